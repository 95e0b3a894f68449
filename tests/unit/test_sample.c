/* test_sample.c: neighbour sampling and mini-batch blocks: uniformity of each neighbour's
 * empirical frequency (both sampling branches), all neighbours below the fan-out, no repeats,
 * rating-weighted probabilities, the block invariants (prefix property, local CSR pointing at
 * real edges, deduplicated nodes), exclusion of edges, determinism for a seed and batch index,
 * thread-count independence, workspace reuse, and the hop-by-hop sample. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "rg_test.h"
#include "reelgraph/query.h"

/* A star: user 1 rated movies 0..deg-1 with ratings 1..5 cycling, plus a second user so movies
 * have two raters. */
static void star_graph(rg_graph_t *g, int deg) {
    int64_t *users = malloc((size_t) (2 * deg) * sizeof *users);
    int64_t *movies = malloc((size_t) (2 * deg) * sizeof *movies);
    float *ratings = malloc((size_t) (2 * deg) * sizeof *ratings);
    for (int i = 0; i < deg; i++) {
        users[i] = 1;
        movies[i] = i;
        ratings[i] = (float) (1 + i % 5);
        users[deg + i] = 2;
        movies[deg + i] = i;
        ratings[deg + i] = 3;
    }
    RGT_OK(rgt_graph_from_triples(g, 2 * deg, users, movies, ratings, NULL));
    free(users);
    free(movies);
    free(ratings);
}

/* Empirical frequency of each of user 0's neighbours over n_draws one-layer blocks. */
static void frequencies(const rg_graph_t *g, int32_t fanout, const rg_sample_opts_t *o,
                        int n_draws, double *freq) {
    rg_block_t b;
    int32_t target = 0;
    int64_t deg = rg_graph_user_degree(g, 0);
    RGT_OK(rg_block_init(&b, g, 1, &fanout, 1));
    memset(freq, 0, (size_t) deg * sizeof *freq);
    for (int t = 0; t < n_draws; t++) {
        RGT_OK(rg_block_sample(&b, g, &target, 1, NULL, 0, o, 2024, (uint64_t) t));
        int64_t c = b.ptr[1][1] - b.ptr[1][0];
        assert_int_equal(c, fanout < deg ? fanout : deg);
        for (int64_t j = b.ptr[1][0]; j < b.ptr[1][1]; j++) {
            int64_t e = b.eid[1][j];
            assert_true(e >= g->user_ptr[0] && e < g->user_ptr[1]);
            for (int64_t i = b.ptr[1][0]; i < j; i++) {
                assert_true(b.eid[1][i] != e); /* without replacement */
            }
            freq[e - g->user_ptr[0]] += 1.0 / n_draws;
        }
    }
    rg_block_free(&b);
}

static void test_sample_uniform_frequencies(void **state) {
    (void) state;
    rg_graph_t g;
    rg_sample_opts_t o;
    double freq[13];
    const int n = 20000;
    star_graph(&g, 13);
    rg_sample_opts_default(&o);
    /* fan-out 3 of 13: rejection branch; fan-out 7: partial shuffle branch; each neighbour is
     * in a sample with probability F / deg; tolerance 5 standard deviations */
    const int32_t fanouts[] = {3, 7};
    for (int f = 0; f < 2; f++) {
        double p = fanouts[f] / 13.0, tol = 5.0 * sqrt(p * (1 - p) / n);
        frequencies(&g, fanouts[f], &o, n, freq);
        for (int i = 0; i < 13; i++) {
            RGT_NEAR(freq[i], p, tol);
        }
    }
    /* fan-out above the degree: every neighbour every time */
    frequencies(&g, 20, &o, 10, freq);
    for (int i = 0; i < 13; i++) {
        RGT_NEAR(freq[i], 1.0, 1e-9);
    }
    rg_graph_free(&g);
}

static void test_sample_weighted_probabilities(void **state) {
    (void) state;
    rg_graph_t g;
    rg_sample_opts_t o;
    double freq[10];
    const int n = 20000;
    star_graph(&g, 10);
    rg_sample_opts_default(&o);
    o.weight = RG_SAMPLE_RATING;
    /* with fan-out 1, exponential keys pick neighbour i with probability r_i / sum r */
    frequencies(&g, 1, &o, n, freq);
    double sum = 0;
    for (int i = 0; i < 10; i++) {
        sum += 1 + i % 5;
    }
    for (int i = 0; i < 10; i++) {
        double p = (1 + i % 5) / sum;
        RGT_NEAR(freq[i], p, 5.0 * sqrt(p * (1 - p) / n));
    }
    /* recency with a half-life of 4 s: the star's timestamps are 1 s apart (row order), so
     * neighbour i has weight 2^(-(9 - i) / 4) */
    o.weight = RG_SAMPLE_RECENCY;
    o.half_life = 4.0;
    frequencies(&g, 1, &o, n, freq);
    sum = 0;
    for (int i = 0; i < 10; i++) {
        sum += exp2(-(9 - i) / 4.0);
    }
    for (int i = 0; i < 10; i++) {
        double p = exp2(-(9 - i) / 4.0) / sum;
        RGT_NEAR(freq[i], p, 5.0 * sqrt(p * (1 - p) / n));
    }
    frequencies(&g, 4, &o, 50, freq); /* distinct and the right count with F > 1 */
    rg_graph_free(&g);
}

/* ---- blocks ---- */

static uint64_t block_hash(const rg_block_t *b) {
    uint64_t h = 1469598103934665603ULL;
    for (int l = 0; l <= b->n_layers; l++) {
        for (int64_t i = 0; i < b->n_nodes[l]; i++) {
            h = (h ^ (uint64_t) b->nodes[l][i]) * 1099511628211ULL;
        }
        if (l > 0) {
            for (int64_t j = 0; j < b->n_edges[l]; j++) {
                h = (h ^ (uint64_t) b->eid[l][j]) * 1099511628211ULL;
                h = (h ^ (uint64_t) b->idx[l][j]) * 1099511628211ULL;
            }
        }
    }
    return h;
}

static void check_block(const rg_graph_t *g, const rg_block_t *b, const int32_t *targets,
                        int64_t n_targets, const int64_t *excl, int64_t n_excl) {
    int32_t U = (int32_t) g->n_users;
    for (int64_t t = 0; t < n_targets; t++) {
        assert_int_equal(b->nodes[0][b->target_pos[t]], targets[t]);
    }
    for (int l = 0; l <= b->n_layers; l++) {
        /* each layer's own nodes (after the previous layer's prefix) in global id order */
        for (int64_t i = (l > 0 ? b->n_nodes[l - 1] : 0) + 1; i < b->n_nodes[l]; i++) {
            assert_true(b->nodes[l][i - 1] < b->nodes[l][i]);
        }
        /* distinct nodes */
        for (int64_t i = 0; i < b->n_nodes[l]; i++) {
            for (int64_t j = 0; j < i; j++) {
                assert_true(b->nodes[l][i] != b->nodes[l][j]);
            }
        }
        if (l == 0) {
            continue;
        }
        /* prefix property */
        assert_true(b->n_nodes[l] >= b->n_nodes[l - 1]);
        assert_memory_equal(b->nodes[l], b->nodes[l - 1],
                            (size_t) b->n_nodes[l - 1] * sizeof(int32_t));
        assert_int_equal(b->ptr[l][0], 0);
        assert_int_equal(b->ptr[l][b->n_nodes[l - 1]], b->n_edges[l]);
        for (int64_t i = 0; i < b->n_nodes[l - 1]; i++) {
            int32_t x = b->nodes[l - 1][i];
            int64_t c = b->ptr[l][i + 1] - b->ptr[l][i], deg = rg_node_degree(g, x);
            int64_t n_x_excl = 0;
            for (int64_t k = 0; k < n_excl; k++) {
                int32_t u = 0;
                while (g->user_ptr[u + 1] <= excl[k]) {
                    u++;
                }
                n_x_excl += (x == u || x == U + g->user_adj[excl[k]]);
            }
            int64_t avail = deg - n_x_excl;
            int whole = b->fanout[l] <= 0 || b->fanout[l] >= avail;
            assert_int_equal(c, whole ? avail : b->fanout[l]);
            if (whole && l >= 2 && i < b->n_nodes[l - 2] &&
                (b->fanout[l - 1] <= 0 || b->fanout[l - 1] >= avail)) {
                /* taken whole by both layers: the same row, in the same numbering */
                assert_int_equal(c, b->ptr[l - 1][i + 1] - b->ptr[l - 1][i]);
                assert_memory_equal(b->idx[l] + b->ptr[l][i], b->idx[l - 1] + b->ptr[l - 1][i],
                                    (size_t) c * sizeof(int32_t));
            }
            for (int64_t j = b->ptr[l][i]; j < b->ptr[l][i + 1]; j++) {
                int32_t y = b->nodes[l][b->idx[l][j]];
                int32_t u = x < U ? x : y, m = (x < U ? y : x) - U;
                assert_true((x < U) != (y < U));
                assert_int_equal(rg_graph_edge(g, u, m), b->eid[l][j]);
                RGT_NEAR(b->w[l][j], g->rating[b->eid[l][j]], 0);
                for (int64_t k = 0; k < n_excl; k++) {
                    assert_true(b->eid[l][j] != excl[k]);
                }
            }
        }
    }
}

static void test_sample_block_invariants_and_determinism(void **state) {
    (void) state;
    rg_graph_t g;
    rg_block_t b, b2;
    rg_sample_opts_t o;
    RGT_OK(rgt_graph_planted(&g, 61, 47, 9, 21));
    rg_sample_opts_default(&o);
    int32_t U = (int32_t) g.n_users;
    const int32_t fanouts[] = {4, 3};
    int32_t targets[] = {5, U + 7, 5, 12, U + 0, 33};
    RGT_OK(rg_block_init(&b, &g, 8, fanouts, 2));
    RGT_OK(rg_block_init(&b2, &g, 8, fanouts, 2));
    RGT_OK(rg_block_sample(&b, &g, targets, 6, NULL, 0, &o, 77, 3));
    assert_int_equal(b.n_nodes[0], 5); /* user 5 twice */
    check_block(&g, &b, targets, 6, NULL, 0);
    uint64_t h = block_hash(&b);
    /* another batch in between, then the same batch again: the same block */
    RGT_OK(rg_block_sample(&b, &g, targets + 1, 4, NULL, 0, &o, 77, 4));
    RGT_OK(rg_block_sample(&b, &g, targets, 6, NULL, 0, &o, 77, 3));
    assert_true(block_hash(&b) == h);
    RGT_OK(rg_block_sample(&b2, &g, targets, 6, NULL, 0, &o, 77, 3));
    assert_true(block_hash(&b2) == h);
    RGT_OK(rg_block_sample(&b2, &g, targets, 6, NULL, 0, &o, 77, 5));
    assert_true(block_hash(&b2) != h);
    /* excluding the targets' own edges */
    int64_t excl[] = {g.user_ptr[5], g.user_ptr[5] + 1, rg_graph_edge(&g, 12, 7) >= 0
                                                            ? rg_graph_edge(&g, 12, 7)
                                                            : g.user_ptr[12]};
    RGT_OK(rg_block_sample(&b, &g, targets, 6, excl, 3, &o, 77, 3));
    check_block(&g, &b, targets, 6, excl, 3);
    /* weighted blocks keep the invariants */
    o.weight = RG_SAMPLE_RATING;
    RGT_OK(rg_block_sample(&b, &g, targets, 6, excl, 3, &o, 77, 3));
    check_block(&g, &b, targets, 6, excl, 3);
    rg_block_free(&b);
    rg_block_free(&b2);
    rg_graph_free(&g);
}

static void test_sample_blocks_independent_of_threads(void **state) {
    (void) state;
    rg_graph_t g;
    rg_sample_opts_t o;
    enum { N_BATCH = 16, B = 10 };
    uint64_t serial[N_BATCH], parallel[N_BATCH];
    RGT_OK(rgt_graph_planted(&g, 80, 50, 8, 4));
    rg_sample_opts_default(&o);
    const int32_t fanouts[] = {5, 2};
    rg_block_t b;
    RGT_OK(rg_block_init(&b, &g, B, fanouts, 2));
    int32_t targets[N_BATCH * B];
    for (int i = 0; i < N_BATCH * B; i++) {
        targets[i] = (i * 37) % (int32_t) (g.n_users + g.n_movies);
    }
    for (int t = 0; t < N_BATCH; t++) {
        RGT_OK(rg_block_sample(&b, &g, targets + t * B, B, NULL, 0, &o, 5, (uint64_t) t));
        serial[t] = block_hash(&b);
    }
    rg_block_free(&b);
    int failed = 0;
#ifdef _OPENMP
#pragma omp parallel num_threads(2) reduction(+ : failed)
#endif
    {
        rg_block_t bt;
        if (rg_block_init(&bt, &g, B, fanouts, 2) != RG_SUCCESS) {
            failed++;
        } else {
#ifdef _OPENMP
#pragma omp for schedule(dynamic, 1)
#endif
            for (int t = 0; t < N_BATCH; t++) {
                failed += rg_block_sample(&bt, &g, targets + t * B, B, NULL, 0, &o, 5,
                                          (uint64_t) t) != RG_SUCCESS;
                parallel[t] = block_hash(&bt);
            }
            rg_block_free(&bt);
        }
    }
    assert_int_equal(failed, 0);
    assert_memory_equal(serial, parallel, sizeof serial);
    rg_graph_free(&g);
}

/* One block's layers sampled with 1 and with 2 threads inside rg_block_sample (layers big
 * enough for its parallel path: >= 16384 entries): the same block, bit for bit, and valid; with
 * sampled fan-outs and with full neighbourhoods (whose second layer copies the first layer's
 * rows). */
static void test_sample_block_threads_inside(void **state) {
    (void) state;
    rg_graph_t g;
    enum { NU = 600, B = NU };
    RGT_OK(rgt_graph_planted(&g, NU, 300, 40, 9));
    const int32_t fanouts[][2] = {{30, 20}, {0, 0}, {0, 20}, {30, 0}};
    int32_t targets[B];
    int64_t excl[B / 4];
    for (int i = 0; i < B; i++) {
        targets[i] = i;
    }
    for (int i = 0; i < B / 4; i++) {
        excl[i] = g.user_ptr[4 * i]; /* a user's first rating, every fourth user */
    }
    for (size_t f = 0; f < sizeof fanouts / sizeof fanouts[0]; f++) {
        uint64_t h[2];
        for (int k = 0; k < 2; k++) {
            rg_sample_opts_t o;
            rg_sample_opts_default(&o);
            o.n_threads = k + 1;
            rg_block_t b;
            RGT_OK(rg_block_init(&b, &g, B, fanouts[f], 2));
            RGT_OK(rg_block_sample(&b, &g, targets, B, excl, B / 4, &o, 11, 2));
            assert_true(b.n_edges[1] >= 16384);
            check_block(&g, &b, targets, B, excl, B / 4);
            /* two full layers: layer 1's entries are layer 2's prefix, one storage */
            assert_int_equal(b.idx[1] == b.idx[2], fanouts[f][0] <= 0 && fanouts[f][1] <= 0);
            h[k] = block_hash(&b);
            rg_block_free(&b);
        }
        assert_true(h[0] == h[1]);
    }
    rg_graph_free(&g);
}

static void test_sample_block_bad_arguments(void **state) {
    (void) state;
    rg_graph_t g, g2;
    rg_block_t b;
    const int32_t fanouts[] = {2, 2};
    star_graph(&g, 5);
    star_graph(&g2, 6);
    assert_int_equal(rg_block_init(&b, &g, 0, fanouts, 2), RG_EINVAL);
    assert_int_equal(rg_block_init(&b, &g, 4, fanouts, 0), RG_EINVAL);
    assert_int_equal(rg_block_init(&b, &g, 4, fanouts, RG_MAX_LAYERS + 1), RG_EINVAL);
    RGT_OK(rg_block_init(&b, &g, 2, fanouts, 2));
    int32_t t3[] = {0, 1, 2};
    assert_int_equal(rg_block_sample(&b, &g, t3, 3, NULL, 0, NULL, 1, 0), RG_EINVAL);
    assert_non_null(strstr(rg_last_error_message(), "at most 2"));
    int32_t bad[] = {0, 7};
    assert_int_equal(rg_block_sample(&b, &g, bad, 2, NULL, 0, NULL, 1, 0), RG_EINVAL);
    int64_t ex = 10;
    assert_int_equal(rg_block_sample(&b, &g, t3, 1, &ex, 1, NULL, 1, 0), RG_EINVAL);
    assert_int_equal(rg_block_sample(&b, &g2, t3, 1, NULL, 0, NULL, 1, 0), RG_EINVAL);
    /* still usable after the errors */
    RGT_OK(rg_block_sample(&b, &g, t3, 2, NULL, 0, NULL, 1, 0));
    check_block(&g, &b, t3, 2, NULL, 0);
    rg_block_free(&b);
    rg_graph_free(&g);
    rg_graph_free(&g2);
}

/* ---- hop-by-hop ---- */

static void test_sample_hops_structure(void **state) {
    (void) state;
    rg_graph_t g;
    rg_sample_hops_t s, s2;
    RGT_OK(rgt_graph_planted(&g, 40, 30, 10, 8));
    int32_t U = (int32_t) g.n_users;
    const int32_t fanouts[] = {3, 2, 4};
    RGT_OK(rg_sample_hops(&s, &g, 4, fanouts, 3, NULL, 9));
    assert_int_equal(s.n_hops, 3);
    assert_int_equal(s.ptr[1] - s.ptr[0], 3);
    for (int l = 0; l < 3; l++) {
        for (int64_t j = s.ptr[l]; j < s.ptr[l + 1]; j++) {
            int32_t x = s.parent[j], y = s.node[j];
            int32_t u = x < U ? x : y, m = (x < U ? y : x) - U;
            assert_int_equal(rg_graph_edge(&g, u, m), s.eid[j]);
            assert_int_equal(y < U, l % 2 == 1); /* sides alternate from a user source */
            if (l == 0) {
                assert_int_equal(x, 4);
            } else {
                int found = 0; /* the parent was sampled at the previous hop */
                for (int64_t i = s.ptr[l - 1]; i < s.ptr[l]; i++) {
                    found |= s.node[i] == x;
                }
                assert_true(found);
            }
        }
    }
    RGT_OK(rg_sample_hops(&s2, &g, 4, fanouts, 3, NULL, 9));
    assert_int_equal(s.n, s2.n);
    assert_memory_equal(s.eid, s2.eid, (size_t) s.n * sizeof *s.eid);
    rg_sample_hops_free(&s2);
    rg_sample_hops_free(&s);
    assert_int_equal(rg_sample_hops(&s, &g, U + (int32_t) g.n_movies, fanouts, 1, NULL, 1),
                     RG_EINVAL);
    rg_graph_free(&g);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sample_uniform_frequencies),
        cmocka_unit_test(test_sample_weighted_probabilities),
        cmocka_unit_test(test_sample_block_invariants_and_determinism),
        cmocka_unit_test(test_sample_blocks_independent_of_threads),
        cmocka_unit_test(test_sample_block_threads_inside),
        cmocka_unit_test(test_sample_block_bad_arguments),
        cmocka_unit_test(test_sample_hops_structure),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
