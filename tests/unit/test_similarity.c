/* test_similarity.c: co-rating similarity: values computed by hand on a 3x3 graph, every pair
 * and every top-k list of a generated graph against a naive dense double-precision reference,
 * thread-count independence, argument errors, and cosine on ML-100K against a direct scan of
 * u.data. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rg_test.h"
#include "reelgraph/query.h"

/* users 1, 2, 3; movies 10, 20, 30:
 *   u1: 10->5, 20->3, 30->4    u2: 10->4, 20->2    u3: 20->5, 30->1 */
static void hand_graph(rg_graph_t *g) {
    int64_t users[] = {1, 1, 1, 2, 2, 3, 3};
    int64_t movies[] = {10, 20, 30, 10, 20, 20, 30};
    float ratings[] = {5, 3, 4, 4, 2, 5, 1};
    RGT_OK(rgt_graph_from_triples(g, 7, users, movies, ratings, NULL));
}

static float pair(const rg_sim_t *s, int32_t a, int32_t b, int32_t *n_common) {
    float sim;
    RGT_OK(rg_sim_pair(s, a, b, &sim, n_common));
    return sim;
}

static void test_similarity_values_by_hand(void **state) {
    (void) state;
    rg_graph_t g;
    rg_sim_opts_t o;
    rg_sim_t s;
    int32_t nc;
    hand_graph(&g);
    rg_sim_opts_default(&o);
    /* cosine, full norms: u1.u2 = 5*4 + 3*2 = 26, |u1|^2 = 50, |u2|^2 = 20 */
    RGT_OK(rg_sim_init(&s, &g, RG_SIDE_USER, &o));
    RGT_NEAR(pair(&s, 0, 1, &nc), 26.0 / sqrt(50.0 * 20.0), 1e-6);
    assert_int_equal(nc, 2);
    RGT_NEAR(pair(&s, 0, 2, &nc), 19.0 / sqrt(50.0 * 26.0), 1e-6);
    assert_int_equal(nc, 2);
    RGT_NEAR(pair(&s, 1, 2, &nc), 10.0 / sqrt(20.0 * 26.0), 1e-6);
    assert_int_equal(nc, 1);
    rg_sim_free(&s);
    /* cosine between movies: m10.m20 over u1, u2 = 5*3 + 4*2 = 23, |m10|^2 = 41, |m20|^2 = 38 */
    RGT_OK(rg_sim_init(&s, &g, RG_SIDE_MOVIE, &o));
    RGT_NEAR(pair(&s, 0, 1, &nc), 23.0 / sqrt(41.0 * 38.0), 1e-6);
    rg_sim_free(&s);
    /* pearson: means u1 4, u2 3, u3 3; centred u1 (1,-1,0), u2 (1,-1), u3 (2,-2 on 20, 30) */
    o.metric = RG_SIM_PEARSON;
    RGT_OK(rg_sim_init(&s, &g, RG_SIDE_USER, &o));
    RGT_NEAR(pair(&s, 0, 1, &nc), 2.0 / sqrt(2.0 * 2.0), 1e-6);
    RGT_NEAR(pair(&s, 0, 2, &nc), (-1.0 * 2.0 + 0.0 * -2.0) / sqrt(1.0 * 8.0), 1e-6);
    rg_sim_free(&s);
    /* adjusted cosine (user side: centred by the movie's mean 4.5, 10/3, 2.5) */
    o.metric = RG_SIM_ADJUSTED_COSINE;
    RGT_OK(rg_sim_init(&s, &g, RG_SIDE_USER, &o));
    double a1 = 0.5, a2 = 3.0 - 10.0 / 3.0, b1 = -0.5, b2 = 2.0 - 10.0 / 3.0;
    RGT_NEAR(pair(&s, 0, 1, &nc),
             (a1 * b1 + a2 * b2) / sqrt((a1 * a1 + a2 * a2) * (b1 * b1 + b2 * b2)), 1e-6);
    rg_sim_free(&s);
    /* shrinkage 3: sim * 2 / (2 + 3); min_common 2 drops the (u2, u3) pair */
    o.metric = RG_SIM_COSINE;
    o.shrink = 3.0f;
    o.min_common = 2;
    RGT_OK(rg_sim_init(&s, &g, RG_SIDE_USER, &o));
    RGT_NEAR(pair(&s, 0, 1, &nc), 26.0 / sqrt(1000.0) * 2.0 / 5.0, 1e-6);
    RGT_NEAR(pair(&s, 1, 2, &nc), 0.0, 0.0);
    assert_int_equal(nc, 1);
    rg_sim_free(&s);
    rg_graph_free(&g);
}

static void test_similarity_topk_order_padding_and_min_common(void **state) {
    (void) state;
    rg_graph_t g;
    rg_sim_opts_t o;
    rg_sim_t s;
    rg_sim_workspace_t w;
    int32_t ids[4], n;
    float sims[4];
    hand_graph(&g);
    rg_sim_opts_default(&o);
    RGT_OK(rg_sim_init(&s, &g, RG_SIDE_USER, &o));
    RGT_OK(rg_sim_workspace_init(&w, &s, 4));
    RGT_OK(rg_sim_topk(&s, 0, 3, &w, ids, sims, &n));
    assert_int_equal(n, 2);
    assert_int_equal(ids[0], 1);
    assert_int_equal(ids[1], 2);
    assert_int_equal(ids[2], -1);
    RGT_NEAR(sims[0], 26.0 / sqrt(1000.0), 1e-6);
    RGT_NEAR(sims[1], 19.0 / sqrt(1300.0), 1e-6);
    RGT_NEAR(sims[2], 0.0, 0.0);
    /* k = 1 keeps the best */
    RGT_OK(rg_sim_topk(&s, 0, 1, &w, ids, sims, &n));
    assert_int_equal(n, 1);
    assert_int_equal(ids[0], 1);
    /* errors: node out of range, k larger than the workspace */
    assert_int_equal(rg_sim_topk(&s, 3, 1, &w, ids, sims, &n), RG_EINVAL);
    assert_non_null(strstr(rg_last_error_message(), "out of range"));
    assert_int_equal(rg_sim_topk(&s, 0, 5, &w, ids, sims, &n), RG_EINVAL);
    rg_sim_workspace_free(&w);
    rg_sim_free(&s);
    o.min_common = 2;
    RGT_OK(rg_sim_init(&s, &g, RG_SIDE_USER, &o));
    RGT_OK(rg_sim_workspace_init(&w, &s, 4));
    RGT_OK(rg_sim_topk(&s, 1, 3, &w, ids, sims, &n));
    assert_int_equal(n, 1);
    assert_int_equal(ids[0], 0);
    assert_int_equal(ids[1], -1);
    rg_sim_workspace_free(&w);
    rg_sim_free(&s);
    rg_graph_free(&g);
}

/* ---- naive dense reference ---- */

typedef struct {
    int64_t n, m;
    double *r;  /* (n, m), NAN when absent */
} dense_t;

static void dense_from_graph(dense_t *d, const rg_graph_t *g, rg_side_t side) {
    d->n = side == RG_SIDE_USER ? g->n_users : g->n_movies;
    d->m = side == RG_SIDE_USER ? g->n_movies : g->n_users;
    d->r = malloc((size_t) (d->n * d->m) * sizeof *d->r);
    for (int64_t i = 0; i < d->n * d->m; i++) {
        d->r[i] = NAN;
    }
    for (int64_t u = 0; u < g->n_users; u++) {
        for (int64_t e = g->user_ptr[u]; e < g->user_ptr[u + 1]; e++) {
            int64_t mv = g->user_adj[e];
            if (side == RG_SIDE_USER) {
                d->r[u * d->m + mv] = g->rating[e];
            } else {
                d->r[mv * d->m + u] = g->rating[e];
            }
        }
    }
}

static double dense_mean_row(const dense_t *d, int64_t a) {
    double s = 0;
    int64_t c = 0;
    for (int64_t j = 0; j < d->m; j++) {
        if (!isnan(d->r[a * d->m + j])) {
            s += d->r[a * d->m + j];
            c++;
        }
    }
    return c ? s / (double) c : 0.0;
}

static double dense_mean_col(const dense_t *d, int64_t j) {
    double s = 0;
    int64_t c = 0;
    for (int64_t a = 0; a < d->n; a++) {
        if (!isnan(d->r[a * d->m + j])) {
            s += d->r[a * d->m + j];
            c++;
        }
    }
    return c ? s / (double) c : 0.0;
}

static double dense_sim(const dense_t *d, rg_sim_metric_t metric, double shrink, int a, int b,
                        int *n_common) {
    double dot = 0, sa = 0, sb = 0, na = 0, nb = 0;
    double ma = dense_mean_row(d, a), mb = dense_mean_row(d, b);
    int c = 0;
    for (int64_t j = 0; j < d->m; j++) {
        double ra = d->r[a * d->m + j], rb = d->r[b * d->m + j];
        if (!isnan(ra)) {
            na += ra * ra;
        }
        if (!isnan(rb)) {
            nb += rb * rb;
        }
        if (isnan(ra) || isnan(rb)) {
            continue;
        }
        double xa = ra, xb = rb;
        if (metric == RG_SIM_PEARSON) {
            xa -= ma;
            xb -= mb;
        } else if (metric == RG_SIM_ADJUSTED_COSINE) {
            double mj = dense_mean_col(d, j);
            xa -= mj;
            xb -= mj;
        }
        dot += xa * xb;
        sa += xa * xa;
        sb += xb * xb;
        c++;
    }
    *n_common = c;
    double den = metric == RG_SIM_COSINE ? sqrt(na * nb) : sqrt(sa * sb);
    double sim = den > 0 ? dot / den : 0.0;
    return sim * (double) c / ((double) c + shrink);
}

static void check_against_reference(const rg_graph_t *g, rg_side_t side, rg_sim_metric_t metric,
                                    float shrink, int min_common, int k) {
    rg_sim_opts_t o;
    rg_sim_t s;
    dense_t d;
    const double tol = 2e-4;
    rg_sim_opts_default(&o);
    o.metric = metric;
    o.shrink = shrink;
    o.min_common = min_common;
    o.n_threads = 2;
    RGT_OK(rg_sim_init(&s, g, side, &o));
    dense_from_graph(&d, g, side);
    int64_t n = d.n;
    int32_t *ids = malloc((size_t) (n * k) * sizeof *ids);
    float *sims = malloc((size_t) (n * k) * sizeof *sims);
    int32_t *ids1 = malloc((size_t) (n * k) * sizeof *ids1);
    float *sims1 = malloc((size_t) (n * k) * sizeof *sims1);
    double *ref = malloc((size_t) n * sizeof *ref);
    int *cnt = malloc((size_t) n * sizeof *cnt);
    RGT_OK(rg_sim_topk_all(&s, k, ids, sims));
    for (int a = 0; a < n; a++) {
        int n_cand = 0;
        for (int b = 0; b < n; b++) {
            ref[b] = dense_sim(&d, metric, shrink, a, b, &cnt[b]);
            if (b != a && cnt[b] >= min_common) {
                n_cand++;
            }
            float ps;
            int32_t pc;
            RGT_OK(rg_sim_pair(&s, a, b, &ps, &pc));
            assert_int_equal(pc, cnt[b]);
            RGT_NEAR(ps, cnt[b] >= min_common ? ref[b] : 0.0, tol);
        }
        const int32_t *row = ids + (size_t) a * (size_t) k;
        const float *srow = sims + (size_t) a * (size_t) k;
        int expect_found = n_cand < k ? n_cand : k;
        for (int i = 0; i < k; i++) {
            if (i >= expect_found) {
                assert_int_equal(row[i], -1);
                continue;
            }
            int32_t b = row[i];
            assert_true(b >= 0 && b < n && b != a && cnt[b] >= min_common);
            RGT_NEAR(srow[i], ref[b], tol);
            if (i > 0) {
                assert_true(srow[i] <= srow[i - 1]);
            }
        }
        /* nothing left out beats the last one kept */
        if (expect_found == k) {
            for (int b = 0; b < n; b++) {
                int in = 0;
                for (int i = 0; i < k; i++) {
                    in |= row[i] == b;
                }
                if (!in && b != a && cnt[b] >= min_common) {
                    assert_true(ref[b] <= srow[k - 1] + tol);
                }
            }
        }
    }
    /* one thread gives the same lists bit for bit */
    rg_sim_free(&s);
    o.n_threads = 1;
    RGT_OK(rg_sim_init(&s, g, side, &o));
    RGT_OK(rg_sim_topk_all(&s, k, ids1, sims1));
    assert_memory_equal(ids, ids1, (size_t) (n * k) * sizeof *ids);
    assert_memory_equal(sims, sims1, (size_t) (n * k) * sizeof *sims);
    free(ids);
    free(sims);
    free(ids1);
    free(sims1);
    free(ref);
    free(cnt);
    free(d.r);
    rg_sim_free(&s);
}

static void test_similarity_all_metrics_match_dense_reference(void **state) {
    (void) state;
    rg_graph_t g;
    RGT_OK(rgt_graph_planted(&g, 31, 23, 7, 17));
    check_against_reference(&g, RG_SIDE_USER, RG_SIM_COSINE, 0.0f, 1, 5);
    check_against_reference(&g, RG_SIDE_USER, RG_SIM_PEARSON, 2.385f, 2, 4);
    check_against_reference(&g, RG_SIDE_USER, RG_SIM_ADJUSTED_COSINE, 0.0f, 1, 3);
    check_against_reference(&g, RG_SIDE_MOVIE, RG_SIM_COSINE, 1.5f, 1, 6);
    check_against_reference(&g, RG_SIDE_MOVIE, RG_SIM_PEARSON, 0.0f, 3, 5);
    check_against_reference(&g, RG_SIDE_MOVIE, RG_SIM_ADJUSTED_COSINE, 0.0f, 1, 40);
    rg_graph_free(&g);
}

static void test_similarity_bad_arguments(void **state) {
    (void) state;
    rg_graph_t g;
    rg_sim_opts_t o;
    rg_sim_t s;
    rg_sim_metric_t m;
    float sim;
    int32_t nc;
    hand_graph(&g);
    rg_sim_opts_default(&o);
    o.min_common = 0;
    assert_int_equal(rg_sim_init(&s, &g, RG_SIDE_USER, &o), RG_EINVAL);
    assert_non_null(strstr(rg_last_error_message(), "min_common"));
    o.min_common = 1;
    o.shrink = -1.0f;
    assert_int_equal(rg_sim_init(&s, &g, RG_SIDE_USER, &o), RG_EINVAL);
    o.shrink = 0.0f;
    RGT_OK(rg_sim_init(&s, &g, RG_SIDE_MOVIE, &o));
    assert_int_equal(rg_sim_pair(&s, 0, 3, &sim, &nc), RG_EINVAL);
    assert_int_equal(rg_sim_topk_all(&s, 0, NULL, NULL), RG_EINVAL);
    rg_sim_free(&s);
    RGT_OK(rg_sim_metric_parse("pearson", &m));
    assert_int_equal(m, RG_SIM_PEARSON);
    RGT_OK(rg_sim_metric_parse("adjusted-cosine", &m));
    assert_int_equal(m, RG_SIM_ADJUSTED_COSINE);
    assert_int_equal(rg_sim_metric_parse("jaccard", &m), RG_EINVAL);
    assert_non_null(strstr(rg_last_error_message(), "jaccard"));
    rg_graph_free(&g);
}

static void test_similarity_embedding_topk(void **state) {
    (void) state;
    /* row 0 = (1, 2, 2); row 3 is zero; cosines with row 0: r1 = 1, r2 = -1, r4 = 2/3 */
    const float emb[5 * 3] = {1, 2, 2, 2, 4, 4, -1, -2, -2, 0, 0, 0, 0, 0, 3};
    int32_t ids[6], n;
    float sims[6];
    RGT_OK(rg_sim_embedding_topk(emb, 5, 3, 0, 6, ids, sims, &n));
    assert_int_equal(n, 4);
    const int32_t expect_id[] = {1, 4, 3, 2, -1, -1};
    const double expect_sim[] = {1.0, 2.0 / 3.0, 0.0, -1.0, 0.0, 0.0};
    for (int i = 0; i < 6; i++) {
        assert_int_equal(ids[i], expect_id[i]);
        RGT_NEAR(sims[i], expect_sim[i], 1e-6);
    }
    RGT_OK(rg_sim_embedding_topk(emb, 5, 3, 0, 2, ids, sims, &n));
    assert_int_equal(n, 2);
    assert_int_equal(ids[1], 4);
    assert_int_equal(rg_sim_embedding_topk(emb, 5, 3, 5, 2, ids, sims, &n), RG_EINVAL);
}

/* ---- real data: cosine of ML-100K user pairs from a direct scan of u.data ---- */

static void test_similarity_ml100k_cosine_matches_direct_scan(void **state) {
    (void) state;
    char dir[512], data[512];
    if (!rgt_data_path(dir, sizeof dir, "ml-100k") ||
        !rgt_data_path(data, sizeof data, "ml-100k/u.data")) {
        skip();
    }
    enum { NU = 944, NM = 1683 };
    float *r = calloc((size_t) NU * NM, sizeof *r);
    FILE *f = fopen(data, "r");
    assert_non_null(f);
    int u, mv, rating;
    long ts;
    while (fscanf(f, "%d\t%d\t%d\t%ld", &u, &mv, &rating, &ts) == 4) {
        assert_true(u > 0 && u < NU && mv > 0 && mv < NM);
        r[u * NM + mv] = (float) rating;
    }
    fclose(f);
    rg_dataset_t d;
    rg_read_opts_t ro;
    rg_graph_t g;
    rg_sim_opts_t o;
    rg_sim_t s;
    rg_dataset_init(&d);
    rg_read_opts_default(&ro);
    RGT_OK(rg_dataset_read(&d, dir, &ro));
    RGT_OK(rg_graph_build(&g, &d, NULL));
    rg_dataset_free(&d);
    rg_sim_opts_default(&o);
    RGT_OK(rg_sim_init(&s, &g, RG_SIDE_USER, &o));
    const int pairs[][2] = {{1, 2}, {1, 3}, {13, 405}, {450, 655}, {7, 943}};
    for (size_t p = 0; p < sizeof pairs / sizeof pairs[0]; p++) {
        int a = pairs[p][0], b = pairs[p][1];
        double dot = 0, na = 0, nb = 0;
        int c = 0;
        for (int j = 1; j < NM; j++) {
            double ra = r[a * NM + j], rb = r[b * NM + j];
            dot += ra * rb;
            na += ra * ra;
            nb += rb * rb;
            c += ra > 0 && rb > 0;
        }
        float sim;
        int32_t nc;
        RGT_OK(rg_sim_pair(&s, rg_graph_user_index(&g, a), rg_graph_user_index(&g, b), &sim, &nc));
        assert_int_equal(nc, c);
        RGT_NEAR(sim, dot / sqrt(na * nb), 1e-5);
    }
    free(r);
    rg_sim_free(&s);
    rg_graph_free(&g);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_similarity_values_by_hand),
        cmocka_unit_test(test_similarity_topk_order_padding_and_min_common),
        cmocka_unit_test(test_similarity_all_metrics_match_dense_reference),
        cmocka_unit_test(test_similarity_bad_arguments),
        cmocka_unit_test(test_similarity_embedding_topk),
        cmocka_unit_test(test_similarity_ml100k_cosine_matches_direct_scan),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
