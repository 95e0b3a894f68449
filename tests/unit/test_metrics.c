/* test_metrics.c: the evaluation protocol against hand-computed values: ranking metrics of short
 * lists, rg_evaluate on a 3-user graph with a model whose predictions are a fixed table (so every
 * number can be worked out on paper), tie order, thread-count independence, recommend exclusions
 * and the popularity fallback. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rg_test.h"

#define TOL 1e-12

/* ---- one ranked list ---- */

static void test_ranking_metrics_five_item_list(void **state) {
    (void) state;
    /* ranks 1 and 3 relevant, 3 relevant in total */
    const uint8_t hit[5] = {1, 0, 1, 0, 0};
    rg_rank_metrics_t r;
    rg_ranking_metrics(hit, 5, 5, 3, &r);
    RGT_NEAR(r.precision, 2.0 / 5.0, TOL);
    RGT_NEAR(r.recall, 2.0 / 3.0, TOL);
    /* DCG = 1/log2(2) + 1/log2(4) = 1.5; IDCG = 1 + 1/log2(3) + 1/log2(4) */
    RGT_NEAR(r.ndcg, 1.5 / (1.0 + 1.0 / log2(3.0) + 0.5), TOL);
    RGT_NEAR(r.hit_rate, 1.0, TOL);
    /* AP@5 = (P@1 + P@3) / min(5, 3) = (1 + 2/3) / 3 */
    RGT_NEAR(r.ap, (1.0 + 2.0 / 3.0) / 3.0, TOL);
}

static void test_ranking_metrics_cutoff_and_short_list(void **state) {
    (void) state;
    const uint8_t hit[5] = {0, 0, 0, 1, 1};
    rg_rank_metrics_t r;
    rg_ranking_metrics(hit, 5, 3, 2, &r); /* both hits fall below the cut-off */
    RGT_NEAR(r.precision, 0.0, TOL);
    RGT_NEAR(r.recall, 0.0, TOL);
    RGT_NEAR(r.ndcg, 0.0, TOL);
    RGT_NEAR(r.hit_rate, 0.0, TOL);
    RGT_NEAR(r.ap, 0.0, TOL);
    /* a list shorter than k (few candidates): precision still divides by k */
    const uint8_t hit2[2] = {0, 1};
    rg_ranking_metrics(hit2, 2, 10, 1, &r);
    RGT_NEAR(r.precision, 1.0 / 10.0, TOL);
    RGT_NEAR(r.recall, 1.0, TOL);
    RGT_NEAR(r.ndcg, 1.0 / log2(3.0), TOL);
    RGT_NEAR(r.ap, 0.5, TOL);
    /* more relevant movies than k: the ideal DCG stops at k */
    const uint8_t hit3[2] = {1, 1};
    rg_ranking_metrics(hit3, 2, 2, 7, &r);
    RGT_NEAR(r.ndcg, 1.0, TOL);
    RGT_NEAR(r.recall, 2.0 / 7.0, TOL);
    RGT_NEAR(r.ap, 1.0, TOL);
}

/* ---- a model whose predictions are a fixed table (users x movies) ---- */

#define NU 3
#define NM 5
static const float table[NU][NM] = {
    {4.0f, 3.5f, 4.5f, 6.0f, 2.0f}, /* 6.0 is clipped to 5 for the rating metrics */
    {1.0f, 2.0f, 0.2f, 3.0f, 4.0f}, /* 0.2 is clipped to 1 */
    {3.0f, 3.0f, 3.0f, 3.0f, 3.0f}, /* all tied: lower ids first */
};

static rg_error_t fixed_init(rg_model_t *m, const rg_graph_t *train) {
    (void) train;
    rg_hp_default_i(&m->hp.epochs, 1);
    return rg_model_alloc(m);
}
static rg_error_t fixed_epoch(rg_model_t *m, const rg_graph_t *train, int epoch, double *loss) {
    (void) m;
    (void) train;
    (void) epoch;
    *loss = 0.0;
    return RG_SUCCESS;
}
static rg_error_t fixed_predict(const rg_model_t *m, const rg_graph_t *train, int64_t n,
                                const int32_t *users, const int32_t *movies, float *out) {
    (void) m;
    (void) train;
    for (int64_t i = 0; i < n; i++) {
        out[i] = table[users[i]][movies[i]];
    }
    return RG_SUCCESS;
}
static const rg_model_ops_t fixed_ops = {
    .name = "fixed-table",
    .summary = "test fixture",
    .predicts_ratings = 1,
    .init = fixed_init,
    .epoch = fixed_epoch,
    .predict = fixed_predict, /* no score: exercises the predict fallback of the ranking */
};

/* Users 1, 2, 3 (internal 0, 1, 2); movies 10..14 (internal 0..4). */
typedef struct {
    rg_graph_t full, train;
    uint8_t is_test[16];
} fixture_t;

static void fixture_build(fixture_t *f) {
    const int64_t u[] = {1, 1, 1, 1, 2, 2, 2, 3, 3};
    const int64_t mv[] = {10, 11, 12, 13, 10, 14, 12, 11, 13};
    const float r[] = {5, 3, 4, 1, 2, 5, 2, 3, 2};
    const int test[] = {0, 0, 1, 1, 0, 1, 1, 0, 1};
    memset(f, 0, sizeof *f);
    RGT_OK(rgt_graph_from_triples(&f->full, 9, u, mv, r, NULL));
    assert_int_equal(f->full.n_users, NU);
    assert_int_equal(f->full.n_movies, NM);
    uint8_t keep[16];
    for (int i = 0; i < 9; i++) {
        int64_t e = rg_graph_edge(&f->full, rg_graph_user_index(&f->full, u[i]),
                                  rg_graph_movie_index(&f->full, mv[i]));
        assert_true(e >= 0);
        f->is_test[e] = (uint8_t) test[i];
    }
    for (int64_t e = 0; e < f->full.n_ratings; e++) {
        keep[e] = (uint8_t) !f->is_test[e];
    }
    RGT_OK(rg_graph_filter(&f->train, &f->full, keep, NULL));
}

static void fixture_free(fixture_t *f) {
    rg_graph_free(&f->train);
    rg_graph_free(&f->full);
}

static void model_on(rg_model_t *m, fixture_t *f, int threads) {
    rg_hparams_t hp;
    rg_hparams_init(&hp);
    hp.n_threads = threads;
    RGT_OK(rg_model_init(m, &fixed_ops, &hp, NULL, &f->full, &f->train));
    RGT_OK(fixed_ops.init(m, &f->train));
}

static void test_evaluate_by_hand(void **state) {
    (void) state;
    fixture_t f;
    rg_model_t m;
    rg_metrics_t mt;
    fixture_build(&f);
    model_on(&m, &f, 1);
    RGT_OK(rg_evaluate(&m, &f.full, &f.train, f.is_test, 2, &mt));
    /* test errors after clipping: u1 m12 4.5-4, u1 m13 5-1, u2 m14 4-5, u2 m12 1-2, u3 m13 3-2 */
    assert_int_equal(mt.n_test, 5);
    assert_true(mt.has_ratings);
    RGT_NEAR(mt.mse, (0.25 + 16.0 + 1.0 + 1.0 + 1.0) / 5.0, 1e-9);
    RGT_NEAR(mt.rmse, sqrt((0.25 + 16.0 + 1.0 + 1.0 + 1.0) / 5.0), 1e-9);
    RGT_NEAR(mt.mae, (0.5 + 4.0 + 1.0 + 1.0 + 1.0) / 5.0, 1e-9);
    /* ranking at k = 2; user 3's only test rating is 2 (not relevant): not ranked.
     * u1 candidates m12 4.5, m13 6.0, m14 2.0 -> [m13, m12], relevant {m12}: hits [0, 1]
     * u2 candidates m11 2, m12 0.2, m13 3, m14 4 -> [m14, m13], relevant {m14}: [1, 0] */
    assert_int_equal(mt.n_users_ranked, 2);
    assert_int_equal(mt.k, 2);
    RGT_NEAR(mt.precision, (0.5 + 0.5) / 2.0, TOL);
    RGT_NEAR(mt.recall, 1.0, TOL);
    RGT_NEAR(mt.ndcg, (1.0 / log2(3.0) + 1.0) / 2.0, TOL);
    RGT_NEAR(mt.hit_rate, 1.0, TOL);
    RGT_NEAR(mt.map, (0.5 + 1.0) / 2.0, TOL);
    RGT_NEAR(mt.coverage, 3.0 / 5.0, TOL); /* m12, m13, m14 */

    /* the same numbers with two threads */
    rg_metrics_t mt2;
    m.hp.n_threads = 2;
    RGT_OK(rg_evaluate(&m, &f.full, &f.train, f.is_test, 2, &mt2));
    assert_memory_equal(&mt.precision, &mt2.precision, 5 * sizeof(double));
    RGT_NEAR(mt.coverage, mt2.coverage, 0);
    RGT_NEAR(mt.rmse, mt2.rmse, 0);
    rg_model_free(&m);
    fixture_free(&f);
}

static void test_evaluate_rejects_bad_k(void **state) {
    (void) state;
    fixture_t f;
    rg_model_t m;
    rg_metrics_t mt;
    fixture_build(&f);
    model_on(&m, &f, 1);
    assert_int_equal(rg_evaluate(&m, &f.full, &f.train, f.is_test, 0, &mt), RG_EINVAL);
    assert_non_null(strstr(rg_last_error_message(), "k = 0"));
    rg_model_free(&m);
    fixture_free(&f);
}

static void test_recommend_excludes_seen_and_breaks_ties_by_id(void **state) {
    (void) state;
    fixture_t f;
    rg_model_t m;
    int32_t movies[5];
    float scores[5];
    int32_t n = 0;
    fixture_build(&f);
    model_on(&m, &f, 1);
    /* user 3 (internal 2) rated m11 and m13 in the full graph; all scores tie at 3 */
    RGT_OK(rg_recommend(&m, &f.train, &f.full, 2, 5, 0, movies, scores, &n));
    assert_int_equal(n, 3);
    assert_int_equal(movies[0], 0);
    assert_int_equal(movies[1], 2);
    assert_int_equal(movies[2], 4);
    /* user 1 has seen m10..m13 in the full graph (test ones included): only m14 is left */
    RGT_OK(rg_recommend(&m, &f.train, &f.full, 0, 5, 0, movies, scores, &n));
    assert_int_equal(n, 1);
    assert_int_equal(movies[0], 4);
    RGT_NEAR(scores[0], 2.0, 0);
    /* seen = train: the user's test movies come back, best first */
    RGT_OK(rg_recommend(&m, &f.train, &f.train, 0, 2, 0, movies, scores, &n));
    assert_int_equal(n, 2);
    assert_int_equal(movies[0], 3);
    assert_int_equal(movies[1], 2);
    assert_int_equal(rg_recommend(&m, &f.train, &f.full, 7, 5, 0, movies, scores, &n), RG_ERANGE);
    rg_model_free(&m);
    fixture_free(&f);
}

static void test_recommend_popular(void **state) {
    (void) state;
    fixture_t f;
    int32_t movies[5];
    float scores[5];
    int32_t n = 0;
    fixture_build(&f);
    /* training counts: m10 2 (mean 3.5), m11 2 (mean 3), others 0 */
    RGT_OK(rg_recommend_popular(&f.train, 0, NULL, 3, movies, scores, &n));
    assert_int_equal(n, 3);
    assert_int_equal(movies[0], 0);
    assert_int_equal(movies[1], 1);
    RGT_NEAR(scores[0], 2.0, 0);
    RGT_NEAR(scores[1], 2.0, 0);
    assert_int_equal(movies[2], 2); /* unrated movies tie: lowest id */
    const int32_t seen[1] = {0};
    RGT_OK(rg_recommend_popular(&f.train, 1, seen, 1, movies, scores, &n));
    assert_int_equal(n, 1);
    assert_int_equal(movies[0], 1);
    fixture_free(&f);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ranking_metrics_five_item_list),
        cmocka_unit_test(test_ranking_metrics_cutoff_and_short_list),
        cmocka_unit_test(test_evaluate_by_hand),
        cmocka_unit_test(test_evaluate_rejects_bad_k),
        cmocka_unit_test(test_recommend_excludes_seen_and_breaks_ties_by_id),
        cmocka_unit_test(test_recommend_popular),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
