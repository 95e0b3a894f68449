/* test_rp3b.c: RP3beta against a naive dense evaluation of the three-step walk (score and
 * fold-in), RP3beta and the popularity ranker on a graph with planted communities (RP3beta far
 * above random and above popularity), popularity scores = training degrees, recommendations
 * never contain a seen movie, and argument errors. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cf_community.h"

/* Dense reference in double: start weights x (M) on the first step's movies, then
 * score_j = deg(j)^-beta sum_i x_i sum_v A_iv deg(i)^-alpha sum A_vj deg(v)^-alpha. */
static void dense_walk(const rg_graph_t *g, const double *x, double alpha, double beta,
                       double *out) {
    const int64_t U = g->n_users, M = g->n_movies;
    double *A = calloc((size_t) (U * M), sizeof *A); /* A[u*M + m] = 1 when u rated m */
    assert_non_null(A);
    for (int32_t u = 0; u < U; u++) {
        for (int64_t e = g->user_ptr[u]; e < g->user_ptr[u + 1]; e++) {
            A[u * M + g->user_adj[e]] = 1.0;
        }
    }
    for (int64_t j = 0; j < M; j++) {
        double s = 0.0;
        for (int64_t i = 0; i < M; i++) {
            if (x[i] == 0.0) {
                continue;
            }
            for (int64_t v = 0; v < U; v++) {
                if (A[v * M + i] != 0.0 && A[v * M + j] != 0.0) {
                    s += x[i] * pow((double) rg_graph_movie_degree(g, (int32_t) i), -alpha)
                         * pow((double) rg_graph_user_degree(g, (int32_t) v), -alpha);
                }
            }
        }
        int64_t d = rg_graph_movie_degree(g, (int32_t) j);
        out[j] = d > 0 ? s * pow((double) d, -beta) : 0.0;
    }
    free(A);
}

static void assert_close_vectors(const float *got, const double *want, int64_t n) {
    double scale = 0.0;
    for (int64_t j = 0; j < n; j++) {
        scale = fmax(scale, fabs(want[j]));
    }
    assert_true(scale > 0.0);
    for (int64_t j = 0; j < n; j++) {
        RGT_NEAR(got[j], want[j], 1e-5 * scale);
    }
}

static void test_rp3b_matches_dense_walk(void **state) {
    (void) state;
    rg_graph_t g;
    rg_model_t m;
    rg_hparams_t hp;
    RGT_OK(rgt_graph_planted(&g, 13, 11, 5, 31));
    rg_hparams_init(&hp);
    hp.val_fraction = 0.0f;
    hp.alpha = 0.7385f;
    hp.beta = 0.4125f;
    cf_train(&m, "rp3b", &hp, &g, &g);
    const int64_t M = g.n_movies;
    float *got = malloc((size_t) M * sizeof *got);
    double *x = calloc((size_t) M, sizeof *x), *want = malloc((size_t) M * sizeof *want);
    assert_non_null(got);
    assert_non_null(x);
    assert_non_null(want);
    for (int32_t u = 0; u < (int32_t) g.n_users; u += 4) {
        memset(x, 0, (size_t) M * sizeof *x);
        double w = pow((double) rg_graph_user_degree(&g, u), -(double) hp.alpha);
        for (int64_t e = g.user_ptr[u]; e < g.user_ptr[u + 1]; e++) {
            x[g.user_adj[e]] = w;
        }
        dense_walk(&g, x, hp.alpha, hp.beta, want);
        RGT_OK(m.ops->score(&m, &g, u, got));
        assert_close_vectors(got, want, M);
    }
    /* fold-in: a new user who rated movies 1, 4 and 9 starts the walk there */
    int32_t rated[3] = {1, 4, 9};
    float ratings[3] = {4.5f, 2.0f, 3.0f};
    memset(x, 0, (size_t) M * sizeof *x);
    for (int a = 0; a < 3; a++) {
        x[rated[a]] = pow(3.0, -(double) hp.alpha);
    }
    dense_walk(&g, x, hp.alpha, hp.beta, want);
    RGT_OK(m.ops->fold_in(&m, &g, 3, rated, ratings, got));
    assert_close_vectors(got, want, M);
    free(got);
    free(x);
    free(want);
    rg_model_free(&m);
    rg_graph_free(&g);
}

static void test_rp3b_and_pop_on_communities(void **state) {
    (void) state;
    cf_split_t s;
    rg_model_t rp3b, pop;
    rg_hparams_t hp;
    rg_metrics_t m_rp3b, m_pop;
    cf_community_graph(&s.full, 150, 90, 3, 20, 0.8, 77);
    cf_split_init(&s, "random:0.25", 5);
    rg_hparams_init(&hp);
    hp.val_fraction = 0.0f;
    cf_train(&rp3b, "rp3b", &hp, &s.full, &s.train);
    rg_hparams_init(&hp);
    hp.val_fraction = 0.0f;
    cf_train(&pop, "pop", &hp, &s.full, &s.train);
    RGT_OK(rg_evaluate(&rp3b, &s.full, &s.train, s.is_test, 10, &m_rp3b));
    RGT_OK(rg_evaluate(&pop, &s.full, &s.train, s.is_test, 10, &m_pop));
    double p_random = cf_random_precision(&s);
    print_message("P@10 random %.4f pop %.4f rp3b %.4f; NDCG@10 pop %.4f rp3b %.4f\n",
                  p_random, m_pop.precision, m_rp3b.precision, m_pop.ndcg, m_rp3b.ndcg);
    assert_false(m_rp3b.has_ratings);
    assert_false(m_pop.has_ratings);
    assert_true(m_rp3b.precision > 2.5 * p_random);
    assert_true(m_rp3b.ndcg > m_pop.ndcg + 0.1);
    rg_model_free(&rp3b);
    rg_model_free(&pop);
    cf_split_free(&s);
}

static void test_pop_scores_are_degrees(void **state) {
    (void) state;
    rg_graph_t g;
    rg_model_t m;
    rg_hparams_t hp;
    RGT_OK(rgt_graph_planted(&g, 30, 25, 8, 3));
    rg_hparams_init(&hp);
    hp.val_fraction = 0.2f; /* epochs see 80% of the ratings; attach recounts on all of them */
    cf_train(&m, "pop", &hp, &g, &g);
    float *out = malloc((size_t) g.n_movies * sizeof *out);
    assert_non_null(out);
    RGT_OK(m.ops->score(&m, &g, 2, out));
    for (int32_t j = 0; j < (int32_t) g.n_movies; j++) {
        assert_true(out[j] == (float) rg_graph_movie_degree(&g, j));
    }
    int32_t rated[1] = {0};
    float ratings[1] = {5.0f};
    RGT_OK(m.ops->fold_in(&m, &g, 1, rated, ratings, out));
    assert_true(out[3] == (float) rg_graph_movie_degree(&g, 3));
    assert_int_equal(m.ops->score(&m, &g, (int32_t) g.n_users, out), RG_ERANGE);
    free(out);
    rg_model_free(&m);
    rg_graph_free(&g);
}

static void test_rankers_exclude_seen(void **state) {
    (void) state;
    cf_split_t s;
    const char *names[] = {"rp3b", "pop"};
    cf_community_graph(&s.full, 60, 40, 2, 12, 0.75, 8);
    cf_split_init(&s, "random:0.2", 2);
    for (int k = 0; k < 2; k++) {
        rg_model_t m;
        rg_hparams_t hp;
        int32_t movies[10], n_out;
        float scores[10];
        rg_hparams_init(&hp);
        cf_train(&m, names[k], &hp, &s.full, &s.train);
        for (int32_t u = 0; u < (int32_t) s.full.n_users; u += 5) {
            RGT_OK(rg_recommend(&m, &s.train, &s.full, u, 10, 0, movies, scores, &n_out));
            assert_true(n_out > 0);
            for (int32_t a = 0; a < n_out; a++) {
                assert_true(rg_graph_edge(&s.full, u, movies[a]) < 0);
            }
        }
        rg_model_free(&m);
    }
    cf_split_free(&s);
}

static void test_rp3b_errors(void **state) {
    (void) state;
    rg_graph_t g;
    rg_model_t m;
    rg_hparams_t hp;
    rg_split_spec_t sp;
    rg_trainer_t t;
    RGT_OK(rgt_graph_planted(&g, 10, 8, 4, 1));
    memset(&sp, 0, sizeof sp);
    rg_hparams_init(&hp);
    hp.alpha = -0.5f;
    RGT_OK(rg_model_init(&m, rg_model_find("rp3b"), &hp, &sp, &g, &g));
    assert_int_equal(rg_trainer_init(&t, &m, &g), RG_EINVAL);
    assert_non_null(strstr(rg_last_error_message(), "alpha"));
    rg_model_free(&m);
    rg_hparams_init(&hp);
    cf_train(&m, "rp3b", &hp, &g, &g);
    float out[8];
    int32_t rated[1] = {8};
    float ratings[1] = {3.0f};
    assert_int_equal(m.ops->fold_in(&m, &g, 1, rated, ratings, out), RG_ERANGE);
    assert_non_null(strstr(rg_last_error_message(), "movie 8"));
    assert_null(m.ops->predict);
    rg_model_free(&m);
    rg_graph_free(&g);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rp3b_matches_dense_walk),
        cmocka_unit_test(test_rp3b_and_pop_on_communities),
        cmocka_unit_test(test_pop_scores_are_degrees),
        cmocka_unit_test(test_rankers_exclude_seen),
        cmocka_unit_test(test_rp3b_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
