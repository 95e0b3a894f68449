/* test_content.c: the content model (genre autoencoder codes + message-passing taste profile ->
 * MLP, plus biases): it learns a planted graph better than the global mean, taste weights and
 * profiles against hand values and a naive scan, fold-in of a known user reproduces its scores
 * up to the bias, a saved model predicts the same after loading, argument errors, and the
 * acceptance figure on ML-100K u1 (RMSE <= 1.000, skipped visibly without $RG_DATA_DIR). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rg_test.h"
#include "models/autoencoder.h"
#include "models/content.h"

typedef struct {
    rg_graph_t full, train;
    uint8_t *is_test;
    rg_split_spec_t split;
} fixture_t;

/* full = a planted graph, train = full minus a seeded random 20% test split. */
static void planted_fixture(fixture_t *f, uint64_t seed) {
    memset(f, 0, sizeof *f);
    RGT_OK(rgt_graph_planted(&f->full, 300, 120, 40, seed));
    f->split.kind = RG_SPLIT_RANDOM;
    f->split.fraction = 0.2;
    f->split.seed = seed;
    f->is_test = malloc((size_t) f->full.n_ratings);
    uint8_t *keep = malloc((size_t) f->full.n_ratings);
    assert_non_null(f->is_test);
    assert_non_null(keep);
    RGT_OK(rg_split_apply(&f->full, &f->split, f->is_test, NULL));
    for (int64_t e = 0; e < f->full.n_ratings; e++) {
        keep[e] = (uint8_t) !f->is_test[e];
    }
    RGT_OK(rg_graph_filter(&f->train, &f->full, keep, NULL));
    free(keep);
}

static void fixture_free(fixture_t *f) {
    rg_graph_free(&f->train);
    rg_graph_free(&f->full);
    free(f->is_test);
}

static void train_kind(rg_model_t *m, const char *kind, const fixture_t *f,
                       const rg_hparams_t *hp) {
    rg_trainer_t t;
    int done = 0;
    assert_non_null(rg_model_find(kind));
    RGT_OK(rg_model_init(m, rg_model_find(kind), hp, &f->split, &f->full, &f->train));
    RGT_OK(rg_trainer_init(&t, m, &f->train));
    while (!done) {
        RGT_OK(rg_trainer_step(&t, &done));
    }
    RGT_OK(rg_trainer_finish(&t));
    rg_trainer_free(&t);
}

/* RMSE of predicting the training mean for every test rating. */
static double mean_rmse(const fixture_t *f) {
    double mu = rg_graph_mean_rating(&f->train), sse = 0.0;
    int64_t n = 0;
    for (int64_t e = 0; e < f->full.n_ratings; e++) {
        if (f->is_test[e]) {
            double d = f->full.rating[e] - mu;
            sse += d * d;
            n++;
        }
    }
    return sqrt(sse / (double) n);
}

/* Biases + genre taste (a third of the planted signal) put content well below the bias model
 * and the global mean; the rank-3 part of the planted ratings is out of its reach. */
static void test_content_learns_planted_structure(void **state) {
    (void) state;
    fixture_t f;
    rg_model_t m;
    rg_hparams_t hp;
    rg_metrics_t met, bias;
    planted_fixture(&f, 7);
    rg_hparams_init(&hp);
    train_kind(&m, "bias", &f, &hp);
    RGT_OK(rg_evaluate(&m, &f.full, &f.train, f.is_test, 10, &bias));
    rg_model_free(&m);
    rg_hparams_init(&hp);
    train_kind(&m, "content", &f, &hp);
    RGT_OK(rg_evaluate(&m, &f.full, &f.train, f.is_test, 10, &met));
    double base = mean_rmse(&f);
    printf("content RMSE %.4f, bias %.4f, global mean %.4f\n", met.rmse, bias.rmse, base);
    assert_true(met.has_ratings);
    assert_true(met.rmse < bias.rmse - 0.02);
    assert_true(met.rmse < 0.9 * base);
    /* the loss went down over the epochs */
    assert_true(m.history[m.n_history - 1].train_loss < m.history[0].train_loss);
    rg_model_free(&m);
    fixture_free(&f);
}

static void test_content_taste_weights_by_hand(void **state) {
    (void) state;
    /* row 0: 5 3 4 (mean 4, |c| sum 2); row 1: all equal; row 2: empty; row 3: one rating */
    const int64_t ptr[] = {0, 3, 5, 5, 6};
    const float rating[] = {5, 3, 4, 2, 2, 4};
    float w[6] = {9, 9, 9, 9, 9, 9};
    rg_i_taste_weights(ptr, 4, rating, NULL, 0, w);
    RGT_NEAR(w[0], 0.5, 1e-7);
    RGT_NEAR(w[1], -0.5, 1e-7);
    RGT_NEAR(w[2], 0.0, 1e-7);
    RGT_NEAR(w[3], 0.0, 1e-7);
    RGT_NEAR(w[4], 0.0, 1e-7);
    RGT_NEAR(w[5], 0.0, 1e-7);
    /* fold 1 = entries 0, 1, 3, 4: row 0 is {5, 3} (mean 4, |c| sum 2), row 1 all equal */
    const uint8_t fold[6] = {1, 1, 0, 1, 1, 0};
    rg_i_taste_weights(ptr, 4, rating, fold, 1, w);
    RGT_NEAR(w[0], 0.5, 1e-7);
    RGT_NEAR(w[1], -0.5, 1e-7);
    RGT_NEAR(w[2], 0.0, 1e-7);
    RGT_NEAR(w[5], 0.0, 1e-7);
    /* fold 0 = entries 2, 5: one rating per row, nothing to centre */
    rg_i_taste_weights(ptr, 4, rating, fold, 0, w);
    for (int j = 0; j < 6; j++) {
        RGT_NEAR(w[j], 0.0, 1e-7);
    }
}

/* Profiles of the store by message passing against a naive double scan. */
static void test_content_taste_profiles_match_naive(void **state) {
    (void) state;
    fixture_t f;
    const int C = 5;
    planted_fixture(&f, 3);
    const rg_graph_t *g = &f.train;
    float *Z = malloc((size_t) g->n_movies * C * sizeof *Z);
    float *T = malloc((size_t) g->n_users * C * sizeof *T);
    float *w = malloc((size_t) g->n_ratings * sizeof *w);
    rg_rng_t r;
    rg_rng_init(&r, 5);
    for (int64_t i = 0; i < g->n_movies * C; i++) {
        Z[i] = 2.0f * rg_rng_uniformf(&r) - 1.0f;
    }
    rg_i_taste_profiles(g, Z, C, NULL, 0, w, T, 2);
    for (int32_t u = 0; u < g->n_users; u++) {
        int64_t lo = g->user_ptr[u], hi = g->user_ptr[u + 1];
        double mean = 0.0, abs_sum = 0.0;
        for (int64_t e = lo; e < hi; e++) {
            mean += g->rating[e];
        }
        mean /= (double) (hi > lo ? hi - lo : 1);
        for (int64_t e = lo; e < hi; e++) {
            abs_sum += fabs(g->rating[e] - mean);
        }
        for (int c = 0; c < C; c++) {
            double s = 0.0;
            for (int64_t e = lo; e < hi && abs_sum > 0.0; e++) {
                s += (g->rating[e] - mean) / abs_sum * Z[(size_t) g->user_adj[e] * C + c];
            }
            RGT_NEAR(T[(size_t) u * C + c], s, 1e-5);
        }
    }
    free(Z);
    free(T);
    free(w);
    fixture_free(&f);
}

/* Folding in a known user from its own training ratings gives the same profile, so the scores
 * differ from score(u) only by the bias: a constant shift. */
static void test_content_fold_in_matches_score_up_to_bias(void **state) {
    (void) state;
    fixture_t f;
    rg_model_t m;
    rg_hparams_t hp;
    planted_fixture(&f, 11);
    rg_hparams_init(&hp);
    hp.epochs = 4;
    train_kind(&m, "content", &f, &hp);
    const int64_t M = m.n_movies;
    float *a = malloc((size_t) M * sizeof *a), *b = malloc((size_t) M * sizeof *b);
    for (int32_t u = 0; u < 5; u++) {
        int64_t lo = f.train.user_ptr[u], n = f.train.user_ptr[u + 1] - lo;
        RGT_OK(m.ops->score(&m, &f.train, u, a));
        RGT_OK(m.ops->fold_in(&m, &f.train, n, f.train.user_adj + lo, f.train.rating + lo, b));
        double shift = b[0] - a[0];
        for (int64_t j = 0; j < M; j++) {
            RGT_NEAR(b[j] - a[j], shift, 1e-4);
        }
        assert_true(fabs(shift) < 0.5); /* closed-form bias close to the learned one */
    }
    free(a);
    free(b);
    rg_model_free(&m);
    fixture_free(&f);
}

static void test_content_save_load_predicts_the_same(void **state) {
    (void) state;
    fixture_t f;
    rg_model_t m, l;
    rg_hparams_t hp;
    char path[512];
    planted_fixture(&f, 13);
    rg_hparams_init(&hp);
    hp.epochs = 3;
    train_kind(&m, "content", &f, &hp);
    rgt_tmp_path(path, sizeof path, "content.rgm");
    RGT_OK(rg_model_save(&m, path));
    RGT_OK(rg_model_load(&l, path));
    RGT_OK(l.ops->attach(&l, &f.train));
    int32_t users[4] = {0, 17, 250, 299}, movies[4] = {3, 0, 119, 57};
    float pa[4], pb[4];
    RGT_OK(m.ops->predict(&m, &f.train, 4, users, movies, pa));
    RGT_OK(l.ops->predict(&l, &f.train, 4, users, movies, pb));
    for (int i = 0; i < 4; i++) {
        RGT_NEAR(pa[i], pb[i], 1e-6);
    }
    remove(path);
    rg_model_free(&l);
    rg_model_free(&m);
    fixture_free(&f);
}

static void test_content_errors(void **state) {
    (void) state;
    fixture_t f;
    rg_model_t m;
    rg_hparams_t hp;
    planted_fixture(&f, 17);
    rg_hparams_init(&hp);
    hp.epochs = 1;
    train_kind(&m, "content", &f, &hp);
    int32_t users[1] = {0}, movies[1] = {(int32_t) m.n_movies};
    float out[1];
    assert_int_equal(m.ops->predict(&m, &f.train, 1, users, movies, out), RG_ERANGE);
    assert_non_null(strstr(rg_last_error_message(), "out of range"));
    float *scores = malloc((size_t) m.n_movies * sizeof *scores);
    assert_int_equal(m.ops->score(&m, &f.train, -1, scores), RG_ERANGE);
    assert_int_equal(m.ops->fold_in(&m, &f.train, 1, movies, out, scores), RG_ERANGE);
    free(scores);
    rg_model_free(&m);

    /* no training state: the gradient entry point refuses */
    double loss;
    float r[1] = {4.0f};
    movies[0] = 0;
    memset(&m, 0, sizeof m);
    assert_int_equal(rg_i_content_loss(&m, 1, users, movies, r, NULL, &loss), RG_EINVAL);

    /* a graph without genres cannot feed the content model */
    rg_dataset_t d;
    rg_graph_t g;
    rg_rating_t t = {.user = 1, .movie = 2, .rating = 4.0f, .ts = 0};
    rg_dataset_init(&d);
    RGT_OK(rg_dataset_add_rating(&d, &t));
    d.rating_min = 1.0f;
    d.rating_max = 5.0f;
    RGT_OK(rg_graph_build(&g, &d, NULL));
    RGT_OK(rg_model_init(&m, rg_model_find("content"), &hp, NULL, &g, &g));
    assert_int_equal(m.ops->init(&m, &g), RG_EINVAL);
    assert_non_null(strstr(rg_last_error_message(), "genres"));
    rg_model_free(&m);
    rg_graph_free(&g);
    rg_dataset_free(&d);
    fixture_free(&f);
}

/* Acceptance: ML-100K, u1.base -> u1.test, RMSE <= 1.000. */
static void test_content_ml100k_u1(void **state) {
    (void) state;
    char dir[1024], test[1024];
    if (!rgt_data_path(dir, sizeof dir, "ml-100k") ||
        !rgt_data_path(test, sizeof test, "ml-100k/u1.test")) {
        skip();
    }
    fixture_t f;
    rg_dataset_t d;
    rg_read_opts_t ro;
    rg_model_t m;
    rg_hparams_t hp;
    rg_metrics_t met;
    memset(&f, 0, sizeof f);
    rg_dataset_init(&d);
    rg_read_opts_default(&ro);
    RGT_OK(rg_dataset_read(&d, dir, &ro));
    RGT_OK(rg_graph_build(&f.full, &d, NULL));
    rg_dataset_free(&d);
    f.split.kind = RG_SPLIT_FILE;
    snprintf(f.split.path, sizeof f.split.path, "%s", test);
    f.is_test = malloc((size_t) f.full.n_ratings);
    uint8_t *keep = malloc((size_t) f.full.n_ratings);
    RGT_OK(rg_split_apply(&f.full, &f.split, f.is_test, NULL));
    for (int64_t e = 0; e < f.full.n_ratings; e++) {
        keep[e] = (uint8_t) !f.is_test[e];
    }
    RGT_OK(rg_graph_filter(&f.train, &f.full, keep, NULL));
    free(keep);
    rg_hparams_init(&hp);
    train_kind(&m, "content", &f, &hp);
    RGT_OK(rg_evaluate(&m, &f.full, &f.train, f.is_test, 10, &met));
    printf("content on ML-100K u1: RMSE %.4f MSE %.4f (acceptance <= 1.000)\n", met.rmse,
           met.mse);
    assert_true(met.rmse <= 1.000);
    rg_model_free(&m);
    fixture_free(&f);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_content_learns_planted_structure),
        cmocka_unit_test(test_content_taste_weights_by_hand),
        cmocka_unit_test(test_content_taste_profiles_match_naive),
        cmocka_unit_test(test_content_fold_in_matches_score_up_to_bias),
        cmocka_unit_test(test_content_save_load_predicts_the_same),
        cmocka_unit_test(test_content_errors),
        cmocka_unit_test(test_content_ml100k_u1),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
