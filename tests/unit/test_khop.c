/* test_khop.c: k-hop neighbourhoods (order, hops, discovery edges, limit, hubs) and induced
 * subgraphs on hand-built graphs, and ML-100K user 1's neighbours against a scan of u.data. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rg_test.h"
#include "reelgraph/query.h"

/* users 1, 2, 3, 4 (4 rates only movie 40); movies 10, 20, 30, 40:
 *   u1: 10->5, 20->3, 30->4    u2: 10->4, 20->2    u3: 20->5, 30->1    u4: 40->2 */
static void hand_graph(rg_graph_t *g) {
    int64_t users[] = {1, 1, 1, 2, 2, 3, 3, 4};
    int64_t movies[] = {10, 20, 30, 10, 20, 20, 30, 40};
    float ratings[] = {5, 3, 4, 4, 2, 5, 1, 2};
    RGT_OK(rgt_graph_from_triples(g, 8, users, movies, ratings, NULL));
}

static void test_khop_two_hops_from_user(void **state) {
    (void) state;
    rg_graph_t g;
    rg_khop_t k;
    hand_graph(&g);
    int32_t U = (int32_t) g.n_users;
    RGT_OK(rg_khop(&k, &g, 0, 2, 0));
    /* BFS: u1; movies 10, 20, 30 (hop 1, ascending); users 2, 3 (hop 2) */
    int32_t expect_node[] = {0, U + 0, U + 1, U + 2, 1, 2};
    int32_t expect_hop[] = {0, 1, 1, 1, 2, 2};
    float expect_rating[] = {0, 5, 3, 4, 4, 5}; /* u2 found via m10 (4), u3 via m20 (5) */
    assert_int_equal(k.n, 6);
    assert_int_equal(k.truncated, 0);
    for (int i = 0; i < 6; i++) {
        assert_int_equal(k.node[i], expect_node[i]);
        assert_int_equal(k.hop[i], expect_hop[i]);
        if (i == 0) {
            assert_true(k.eid[i] == -1 && k.parent[i] == -1);
            continue;
        }
        RGT_NEAR(g.rating[k.eid[i]], expect_rating[i], 0);
        /* the discovery edge joins the node and its parent */
        int32_t a = k.node[k.parent[i]], b = k.node[i];
        int32_t u = a < U ? a : b, m = (a < U ? b : a) - U;
        assert_int_equal(rg_graph_edge(&g, u, m), k.eid[i]);
    }
    rg_khop_free(&k);
    /* hops 3 reaches nothing new: u4 / m40 are another component */
    RGT_OK(rg_khop(&k, &g, 0, 3, 0));
    assert_int_equal(k.n, 6);
    rg_khop_free(&k);
    /* hops 0: the source only */
    RGT_OK(rg_khop(&k, &g, 0, 0, 0));
    assert_int_equal(k.n, 1);
    rg_khop_free(&k);
    rg_graph_free(&g);
}

static void test_khop_from_movie_and_limit(void **state) {
    (void) state;
    rg_graph_t g;
    rg_khop_t k;
    hand_graph(&g);
    int32_t U = (int32_t) g.n_users;
    RGT_OK(rg_khop(&k, &g, U + 1, 1, 0)); /* movie 20: users 1, 2, 3 */
    assert_int_equal(k.n, 4);
    assert_int_equal(k.node[1], 0);
    assert_int_equal(k.node[3], 2);
    assert_int_equal(k.hop[3], 1);
    rg_khop_free(&k);
    RGT_OK(rg_khop(&k, &g, U + 1, 2, 3));
    assert_int_equal(k.n, 3);
    assert_int_equal(k.truncated, 1);
    rg_khop_free(&k);
    /* an isolated component */
    RGT_OK(rg_khop(&k, &g, 3, 5, 0));
    assert_int_equal(k.n, 2);
    assert_int_equal(k.node[1], U + 3);
    rg_khop_free(&k);
    rg_graph_free(&g);
}

static void test_khop_hub_is_bounded_by_limit(void **state) {
    (void) state;
    rg_graph_t g;
    rg_khop_t k;
    RGT_OK(rgt_graph_planted(&g, 300, 40, 12, 9));
    int32_t hub = 0;
    for (int32_t m = 1; m < g.n_movies; m++) {
        hub = rg_graph_movie_degree(&g, m) > rg_graph_movie_degree(&g, hub) ? m : hub;
    }
    assert_true(rg_graph_movie_degree(&g, hub) > 50);
    RGT_OK(rg_khop(&k, &g, (int32_t) g.n_users + hub, 2, 25));
    assert_int_equal(k.n, 25);
    assert_int_equal(k.truncated, 1);
    for (int64_t i = 1; i < k.n; i++) {
        assert_int_equal(k.hop[i], 1); /* the hub's raters come first */
    }
    rg_khop_free(&k);
    rg_graph_free(&g);
}

static void test_khop_bad_arguments(void **state) {
    (void) state;
    rg_graph_t g;
    rg_khop_t k;
    hand_graph(&g);
    assert_int_equal(rg_khop(&k, &g, 8, 1, 0), RG_EINVAL);
    assert_non_null(strstr(rg_last_error_message(), "out of range"));
    assert_int_equal(rg_khop(&k, &g, -1, 1, 0), RG_EINVAL);
    assert_int_equal(rg_khop(&k, &g, 0, -1, 0), RG_EINVAL);
    rg_khop_free(&k); /* safe after a failure */
    rg_graph_free(&g);
}

static void test_khop_induced_edges(void **state) {
    (void) state;
    rg_graph_t g;
    int64_t *eids, n;
    hand_graph(&g);
    int32_t U = (int32_t) g.n_users;
    int32_t set[] = {U + 0, 1, 0, U + 3};
    RGT_OK(rg_induced_edges(&g, set, 4, &eids, &n));
    assert_int_equal(n, 2); /* (u1, m10), (u2, m10) */
    assert_int_equal(eids[0], rg_graph_edge(&g, 0, 0));
    assert_int_equal(eids[1], rg_graph_edge(&g, 1, 0));
    free(eids);
    int32_t bad[] = {0, 99};
    assert_int_equal(rg_induced_edges(&g, bad, 2, &eids, &n), RG_EINVAL);
    assert_null(eids);
    rg_graph_free(&g);
}

/* ---- real data: ML-100K user 1 ---- */

static void test_khop_ml100k_user1_matches_u_data(void **state) {
    (void) state;
    char dir[512], data[512];
    if (!rgt_data_path(dir, sizeof dir, "ml-100k") ||
        !rgt_data_path(data, sizeof data, "ml-100k/u.data")) {
        skip();
    }
    int rating_of[1700];
    memset(rating_of, 0, sizeof rating_of);
    int n_rated = 0, u, mv, r;
    long ts;
    FILE *f = fopen(data, "r");
    assert_non_null(f);
    while (fscanf(f, "%d\t%d\t%d\t%ld", &u, &mv, &r, &ts) == 4) {
        if (u == 1) {
            assert_true(mv > 0 && mv < 1700);
            rating_of[mv] = r;
            n_rated++;
        }
    }
    fclose(f);
    rg_dataset_t d;
    rg_read_opts_t o;
    rg_graph_t g;
    rg_khop_t k;
    rg_dataset_init(&d);
    rg_read_opts_default(&o);
    RGT_OK(rg_dataset_read(&d, dir, &o));
    RGT_OK(rg_graph_build(&g, &d, NULL));
    rg_dataset_free(&d);
    RGT_OK(rg_khop(&k, &g, rg_graph_user_index(&g, 1), 1, 0));
    assert_int_equal(k.n - 1, n_rated);
    for (int64_t i = 1; i < k.n; i++) {
        int32_t m;
        assert_int_equal(rg_node_side(&g, k.node[i], &m), RG_SIDE_MOVIE);
        int64_t id = g.movie_ext[m];
        assert_true(id > 0 && id < 1700 && rating_of[id] > 0);
        RGT_NEAR(g.rating[k.eid[i]], rating_of[id], 0);
        rating_of[id] = 0; /* each once */
    }
    rg_khop_free(&k);
    rg_graph_free(&g);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_khop_two_hops_from_user),
        cmocka_unit_test(test_khop_from_movie_and_limit),
        cmocka_unit_test(test_khop_hub_is_bounded_by_limit),
        cmocka_unit_test(test_khop_bad_arguments),
        cmocka_unit_test(test_khop_induced_edges),
        cmocka_unit_test(test_khop_ml100k_user1_matches_u_data),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
