/* test_igraph_bridge.c: store -> igraph_t (vertices, edges, bipartite types), subgraphs,
 * components, degree histograms, the thresholded projection against pairwise co-rating counts,
 * the edge cap, and weighted PageRank against a power iteration in double. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rg_test.h"
#include <igraph/igraph.h>

#include "reelgraph/analytics.h"

/* users 1, 2, 3, 4; movies 10, 20, 30, 40 (u4 - m40 is a second component):
 *   u1: 10, 20, 30    u2: 10, 20    u3: 20, 30    u4: 40 */
static void hand_graph(rg_graph_t *g) {
    int64_t users[] = {1, 1, 1, 2, 2, 3, 3, 4};
    int64_t movies[] = {10, 20, 30, 10, 20, 20, 30, 40};
    float ratings[] = {5, 3, 4, 4, 2, 5, 1, 2};
    RGT_OK(rgt_graph_from_triples(g, 8, users, movies, ratings, NULL));
}

static void test_igraph_bridge_whole_graph(void **state) {
    (void) state;
    rg_graph_t g;
    igraph_t ig;
    igraph_vector_bool_t types;
    hand_graph(&g);
    RGT_OK(rg_igraph_from_graph(&ig, &types, &g));
    assert_int_equal(igraph_vcount(&ig), 8);
    assert_int_equal(igraph_ecount(&ig), 8);
    assert_false(igraph_is_directed(&ig));
    for (int v = 0; v < 8; v++) {
        assert_int_equal(VECTOR(types)[v], v >= 4);
    }
    for (int32_t u = 0; u < 4; u++) {
        for (int64_t e = g.user_ptr[u]; e < g.user_ptr[u + 1]; e++) {
            igraph_integer_t from, to;
            igraph_edge(&ig, e, &from, &to);
            assert_int_equal(from < to ? from : to, u);
            assert_int_equal(from < to ? to : from, 4 + g.user_adj[e]);
        }
    }
    igraph_bool_t bip;
    igraph_is_bipartite(&ig, &bip, NULL);
    assert_true(bip);
    igraph_vector_bool_destroy(&types);
    igraph_destroy(&ig);
    rg_graph_free(&g);
}

static void test_igraph_bridge_subgraph_of_khop(void **state) {
    (void) state;
    rg_graph_t g;
    rg_khop_t k;
    igraph_t ig;
    igraph_vector_bool_t types;
    int64_t *eids, n_e;
    hand_graph(&g);
    RGT_OK(rg_khop(&k, &g, 4 + 0, 1, 0)); /* movie 10 and its raters u1, u2 */
    RGT_OK(rg_induced_edges(&g, k.node, k.n, &eids, &n_e));
    RGT_OK(rg_igraph_from_subgraph(&ig, &types, &g, k.node, k.n, eids, n_e));
    assert_int_equal(igraph_vcount(&ig), 3);
    assert_int_equal(igraph_ecount(&ig), 2);
    assert_true(VECTOR(types)[0]);
    assert_false(VECTOR(types)[1]);
    igraph_vector_bool_destroy(&types);
    igraph_destroy(&ig);
    /* an edge leaving the node set is refused */
    int64_t out_edge = g.user_ptr[0] + 1; /* (u1, m20) */
    assert_int_equal(rg_igraph_from_subgraph(&ig, NULL, &g, k.node, k.n, &out_edge, 1),
                     RG_EINVAL);
    assert_non_null(strstr(rg_last_error_message(), "outside"));
    free(eids);
    rg_khop_free(&k);
    rg_graph_free(&g);
}

static void test_igraph_bridge_components_and_degrees(void **state) {
    (void) state;
    rg_graph_t g;
    rg_components_t c;
    int64_t counts[64];
    hand_graph(&g);
    RGT_OK(rg_analyze_components(&g, &c));
    assert_int_equal(c.n_components, 2);
    assert_int_equal(c.largest, 6);
    assert_int_equal(c.n_isolated, 0);
    /* user degrees 3, 2, 2, 1 -> bins [1,2): 1, [2,4): 3 */
    assert_int_equal(rg_degree_histogram(&g, RG_SIDE_USER, counts), 3);
    assert_int_equal(counts[0], 0);
    assert_int_equal(counts[1], 1);
    assert_int_equal(counts[2], 3);
    /* movie degrees 2, 3, 2, 1 */
    assert_int_equal(rg_degree_histogram(&g, RG_SIDE_MOVIE, counts), 3);
    assert_int_equal(counts[1], 1);
    assert_int_equal(counts[2], 3);
    rg_graph_free(&g);
}

static void test_igraph_bridge_projection_matches_pairwise_counts(void **state) {
    (void) state;
    rg_graph_t g;
    rg_projection_t p, p1;
    rg_sim_opts_t so;
    rg_sim_t s;
    RGT_OK(rgt_graph_planted(&g, 45, 30, 8, 6));
    rg_sim_opts_default(&so);
    for (int side = 0; side < 2; side++) {
        const int32_t min_common = 2;
        RGT_OK(rg_sim_init(&s, &g, (rg_side_t) side, &so));
        RGT_OK(rg_projection_build(&p, &g, (rg_side_t) side, min_common, 0, 2));
        RGT_OK(rg_projection_build(&p1, &g, (rg_side_t) side, min_common, 0, 1));
        assert_int_equal(p.n_edges, p1.n_edges);
        assert_memory_equal(p.b, p1.b, (size_t) p.n_edges * sizeof *p.b);
        int64_t k = 0;
        for (int32_t a = 0; a < p.n_nodes; a++) {
            for (int32_t b = a + 1; b < p.n_nodes; b++) {
                float sim;
                int32_t nc;
                RGT_OK(rg_sim_pair(&s, a, b, &sim, &nc));
                if (nc >= min_common) {
                    assert_true(k < p.n_edges);
                    assert_int_equal(p.a[k], a);
                    assert_int_equal(p.b[k], b);
                    assert_int_equal(p.weight[k], nc);
                    k++;
                }
            }
        }
        assert_int_equal(k, p.n_edges);
        /* the cap refuses before allocating */
        if (p.n_edges > 1) {
            rg_projection_t p2;
            assert_int_equal(rg_projection_build(&p2, &g, (rg_side_t) side, min_common,
                                                 p.n_edges - 1, 1), RG_ERANGE);
            assert_non_null(strstr(rg_last_error_message(), "min_common"));
        }
        rg_projection_free(&p);
        rg_projection_free(&p1);
        rg_sim_free(&s);
    }
    rg_graph_free(&g);
}

/* Weighted PageRank by power iteration in double: dangling nodes spread uniformly. */
static void pagerank_reference(const rg_projection_t *p, double d, double *pr) {
    int64_t n = p->n_nodes;
    double *strength = calloc((size_t) n, sizeof *strength);
    double *next = malloc((size_t) n * sizeof *next);
    for (int64_t i = 0; i < p->n_edges; i++) {
        strength[p->a[i]] += p->weight[i];
        strength[p->b[i]] += p->weight[i];
    }
    for (int64_t v = 0; v < n; v++) {
        pr[v] = 1.0 / (double) n;
    }
    for (int it = 0; it < 1000; it++) {
        double dangling = 0;
        for (int64_t v = 0; v < n; v++) {
            dangling += strength[v] == 0 ? pr[v] : 0;
        }
        for (int64_t v = 0; v < n; v++) {
            next[v] = (1 - d) / (double) n + d * dangling / (double) n;
        }
        for (int64_t i = 0; i < p->n_edges; i++) {
            int32_t a = p->a[i], b = p->b[i];
            next[b] += d * pr[a] * p->weight[i] / strength[a];
            next[a] += d * pr[b] * p->weight[i] / strength[b];
        }
        memcpy(pr, next, (size_t) n * sizeof *pr);
    }
    free(strength);
    free(next);
}

static void test_igraph_bridge_pagerank_matches_power_iteration(void **state) {
    (void) state;
    rg_graph_t g;
    rg_projection_t p;
    RGT_OK(rgt_graph_planted(&g, 40, 25, 6, 13));
    RGT_OK(rg_projection_build(&p, &g, RG_SIDE_USER, 2, 0, 1));
    double *pr = malloc((size_t) p.n_nodes * sizeof *pr);
    double *ref = malloc((size_t) p.n_nodes * sizeof *ref);
    RGT_OK(rg_projection_pagerank(&p, 0.85, pr));
    pagerank_reference(&p, 0.85, ref);
    double sum = 0;
    for (int64_t v = 0; v < p.n_nodes; v++) {
        RGT_NEAR(pr[v], ref[v], 1e-6);
        sum += pr[v];
    }
    RGT_NEAR(sum, 1.0, 1e-9);
    assert_int_equal(rg_projection_pagerank(&p, 1.0, pr), RG_EINVAL);
    rg_components_t c;
    RGT_OK(rg_projection_components(&p, &c));
    assert_true(c.n_components >= 1 && c.largest <= p.n_nodes);
    free(pr);
    free(ref);
    rg_projection_free(&p);
    rg_graph_free(&g);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_igraph_bridge_whole_graph),
        cmocka_unit_test(test_igraph_bridge_subgraph_of_khop),
        cmocka_unit_test(test_igraph_bridge_components_and_degrees),
        cmocka_unit_test(test_igraph_bridge_projection_matches_pairwise_counts),
        cmocka_unit_test(test_igraph_bridge_pagerank_matches_power_iteration),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
