/* test_knn.c: knn-user and knn-item on a planted graph (they learn it: test RMSE well below the
 * bias model's), recommendations never contain a seen movie, fold-in of a user matches
 * retraining with that user on a tiny case, neighbour-list tensors are sorted and exclude the
 * node itself, a validation carve ends in the same model (attach refits on every training
 * rating), and bad hyper-parameters / ids fail with a message. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rg_test.h"

/* Trains `name` on train (no validation carve) with the given metric ("" = default). */
static void train_model(rg_model_t *m, const char *name, const char *metric,
                        const rg_graph_t *full, const rg_graph_t *train) {
    rg_hparams_t hp;
    rg_split_spec_t sp;
    rg_trainer_t t;
    int done = 0;
    rg_hparams_init(&hp);
    hp.val_fraction = 0.0f;
    snprintf(hp.metric, sizeof hp.metric, "%s", metric);
    memset(&sp, 0, sizeof sp);
    const rg_model_ops_t *ops = rg_model_find(name);
    assert_non_null(ops);
    RGT_OK(rg_model_init(m, ops, &hp, &sp, full, train));
    RGT_OK(rg_trainer_init(&t, m, train));
    while (!done) {
        RGT_OK(rg_trainer_step(&t, &done));
    }
    RGT_OK(rg_trainer_finish(&t));
    rg_trainer_free(&t);
}

/* A planted graph and a seeded random 20% test split of it. */
typedef struct {
    rg_graph_t full, train;
    uint8_t *is_test;
} split_graph_t;

static void split_graph_init(split_graph_t *s, int users, int movies, int per_user) {
    rg_split_spec_t sp;
    memset(s, 0, sizeof *s);
    RGT_OK(rgt_graph_planted(&s->full, users, movies, per_user, 2385));
    s->is_test = malloc((size_t) s->full.n_ratings);
    uint8_t *keep = malloc((size_t) s->full.n_ratings);
    assert_non_null(s->is_test);
    assert_non_null(keep);
    memset(&sp, 0, sizeof sp);
    sp.seed = 7;
    RGT_OK(rg_split_parse(&sp, "random:0.2"));
    RGT_OK(rg_split_apply(&s->full, &sp, s->is_test, NULL));
    for (int64_t e = 0; e < s->full.n_ratings; e++) {
        keep[e] = !s->is_test[e];
    }
    RGT_OK(rg_graph_filter(&s->train, &s->full, keep, NULL));
    free(keep);
}

static void split_graph_free(split_graph_t *s) {
    rg_graph_free(&s->train);
    rg_graph_free(&s->full);
    free(s->is_test);
}

static double test_rmse(const rg_model_t *m, const split_graph_t *s) {
    rg_metrics_t met;
    RGT_OK(rg_evaluate(m, &s->full, &s->train, s->is_test, 10, &met));
    assert_true(met.has_ratings);
    return met.rmse;
}

static void test_knn_learns_planted_structure(void **state) {
    (void) state;
    split_graph_t s;
    rg_model_t bias, user, item, user_mean;
    split_graph_init(&s, 160, 120, 45);
    train_model(&bias, "bias", "", &s.full, &s.train);
    train_model(&user, "knn-user", "", &s.full, &s.train);
    train_model(&item, "knn-item", "", &s.full, &s.train);
    train_model(&user_mean, "knn-user", "pearson:mean", &s.full, &s.train);
    double r_bias = test_rmse(&bias, &s), r_user = test_rmse(&user, &s);
    double r_item = test_rmse(&item, &s), r_mean = test_rmse(&user_mean, &s);
    print_message("planted RMSE: bias %.4f knn-user %.4f knn-item %.4f knn-user mean %.4f\n",
                  r_bias, r_user, r_item, r_mean);
    assert_true(r_user < 0.93 * r_bias);
    assert_true(r_item < 0.93 * r_bias);
    assert_true(r_mean < r_bias);
    rg_model_free(&bias);
    rg_model_free(&user);
    rg_model_free(&item);
    rg_model_free(&user_mean);
    split_graph_free(&s);
}

/* Lists are sorted by similarity, never contain the node itself, and are -1 padded at the end. */
static void check_lists(const rg_model_t *m, const char *ids_name, const char *sims_name) {
    const rg_tensor_t *t = rg_model_tensor(m, ids_name);
    const int32_t *ids = rg_model_i32(m, ids_name);
    const float *sims = rg_model_f32(m, sims_name);
    assert_non_null(t);
    assert_non_null(ids);
    assert_non_null(sims);
    int64_t n_filled = 0;
    for (int64_t r = 0; r < t->rows; r++) {
        int padded = 0;
        for (int64_t a = 0; a < t->cols; a++) {
            int32_t id = ids[r * t->cols + a];
            if (id < 0) {
                padded = 1;
                continue;
            }
            assert_false(padded);
            assert_true(id != r && id < t->rows);
            n_filled++;
            if (a > 0) {
                assert_true(sims[r * t->cols + a] <= sims[r * t->cols + a - 1]);
            }
        }
    }
    assert_true(n_filled > 0);
}

static void test_knn_neighbour_tensors(void **state) {
    (void) state;
    split_graph_t s;
    rg_model_t user, item;
    split_graph_init(&s, 60, 50, 20);
    train_model(&user, "knn-user", "", &s.full, &s.train);
    train_model(&item, "knn-item", "cosine", &s.full, &s.train);
    check_lists(&user, "user_neighbors", "user_neighbor_sims");
    check_lists(&item, "movie_neighbors", "movie_neighbor_sims");
    assert_null(rg_model_tensor(&user, "movie_neighbors"));
    assert_non_null(rg_model_f32(&item, "user_bias"));
    assert_non_null(rg_model_f32(&item, "movie_bias"));
    rg_model_free(&user);
    rg_model_free(&item);
    split_graph_free(&s);
}

static void test_knn_recommend_excludes_seen(void **state) {
    (void) state;
    split_graph_t s;
    const char *names[] = {"knn-user", "knn-item"};
    split_graph_init(&s, 80, 60, 25);
    for (int k = 0; k < 2; k++) {
        rg_model_t m;
        int32_t movies[20], n_out;
        float scores[20];
        train_model(&m, names[k], "", &s.full, &s.train);
        for (int32_t u = 0; u < (int32_t) s.full.n_users; u += 7) {
            RGT_OK(rg_recommend(&m, &s.train, &s.full, u, 20, 0, movies, scores, &n_out));
            assert_true(n_out > 0);
            for (int32_t a = 0; a < n_out; a++) {
                assert_true(rg_graph_edge(&s.full, u, movies[a]) < 0);
                if (a > 0) {
                    assert_true(scores[a] <= scores[a - 1]);
                }
            }
        }
        rg_model_free(&m);
    }
    split_graph_free(&s);
}

/* Index of the best movie among those u did not rate in g. */
static int32_t best_unseen(const float *scores, const rg_graph_t *g, int32_t u,
                           int32_t n_movies) {
    int32_t best = -1;
    for (int32_t j = 0; j < n_movies; j++) {
        if ((u < 0 || rg_graph_edge(g, u, j) < 0) && (best < 0 || scores[j] > scores[best])) {
            best = j;
        }
    }
    return best;
}

/* Fold-in of user X into a model trained without X's ratings gives (nearly) the predictions of
 * a model retrained with X: the same first choice up to a score tolerance, and a small mean
 * absolute difference (retraining moves the other users' biases and the similarities a bit). */
static void test_knn_fold_in_matches_retraining(void **state) {
    (void) state;
    const char *names[] = {"knn-user", "knn-item"};
    rg_graph_t full, without;
    RGT_OK(rgt_graph_planted(&full, 40, 30, 14, 99));
    const int32_t x = 17;
    uint8_t *keep = malloc((size_t) full.n_ratings);
    assert_non_null(keep);
    for (int64_t e = 0; e < full.n_ratings; e++) {
        keep[e] = e < full.user_ptr[x] || e >= full.user_ptr[x + 1];
    }
    RGT_OK(rg_graph_filter(&without, &full, keep, NULL));
    int64_t n = rg_graph_user_degree(&full, x);
    const int32_t *rated = full.user_adj + full.user_ptr[x];
    const float *ratings = full.rating + full.user_ptr[x];
    const int32_t M = (int32_t) full.n_movies;
    float *fold = malloc((size_t) M * sizeof *fold), *retrain = malloc((size_t) M * sizeof *fold);
    assert_non_null(fold);
    assert_non_null(retrain);
    for (int k = 0; k < 2; k++) {
        rg_model_t m_without, m_full;
        train_model(&m_without, names[k], "", &full, &without);
        train_model(&m_full, names[k], "", &full, &full);
        RGT_OK(m_without.ops->fold_in(&m_without, &without, n, rated, ratings, fold));
        RGT_OK(m_full.ops->score(&m_full, &full, x, retrain));
        double mad = 0.0;
        int64_t n_unseen = 0;
        for (int32_t j = 0; j < M; j++) {
            if (rg_graph_edge(&full, x, j) < 0) {
                mad += fabs((double) fold[j] - retrain[j]);
                n_unseen++;
            }
        }
        mad /= (double) n_unseen;
        int32_t b_fold = best_unseen(fold, &full, x, M), b_re = best_unseen(retrain, &full, x, M);
        print_message("%s fold-in vs retrain: mean |diff| %.4f, best %d (%.3f) vs %d (%.3f)\n",
                      names[k], mad, b_fold, (double) retrain[b_fold], b_re,
                      (double) retrain[b_re]);
        assert_true(mad < 0.15);
        /* the fold-in's first choice is (within tolerance) the retrained model's first choice */
        assert_true(retrain[b_fold] >= retrain[b_re] - 0.15f);
        rg_model_free(&m_without);
        rg_model_free(&m_full);
    }
    free(fold);
    free(retrain);
    free(keep);
    rg_graph_free(&without);
    rg_graph_free(&full);
}

/* With a validation carve the epochs fit on part of the ratings and attach(train) refits on all
 * of them with the same number of sweeps: the tensors equal those of a fit without a carve. */
static void test_knn_refits_after_validation(void **state) {
    (void) state;
    split_graph_t s;
    rg_model_t a, b;
    rg_hparams_t hp;
    rg_split_spec_t sp;
    rg_trainer_t t;
    int done = 0;
    split_graph_init(&s, 50, 40, 15);
    train_model(&a, "knn-user", "", &s.full, &s.train);
    rg_hparams_init(&hp);
    hp.val_fraction = 0.15f;
    memset(&sp, 0, sizeof sp);
    RGT_OK(rg_model_init(&b, rg_model_find("knn-user"), &hp, &sp, &s.full, &s.train));
    RGT_OK(rg_trainer_init(&t, &b, &s.train));
    assert_true(t.n_val > 0);
    while (!done) {
        RGT_OK(rg_trainer_step(&t, &done));
    }
    assert_true(isfinite(b.history[0].val_loss));
    RGT_OK(rg_trainer_finish(&t));
    rg_trainer_free(&t);
    assert_int_equal(a.n_params, b.n_params);
    assert_memory_equal(a.params, b.params, a.n_params * sizeof *a.params);
    assert_memory_equal(a.ints, b.ints, a.n_ints * sizeof *a.ints);
    rg_model_free(&a);
    rg_model_free(&b);
    split_graph_free(&s);
}

static void test_knn_errors(void **state) {
    (void) state;
    rg_graph_t g;
    rg_model_t m;
    rg_hparams_t hp;
    rg_split_spec_t sp;
    rg_trainer_t t;
    RGT_OK(rgt_graph_planted(&g, 20, 15, 6, 5));
    memset(&sp, 0, sizeof sp);
    rg_hparams_init(&hp);
    hp.val_fraction = 0.0f;
    strcpy(hp.metric, "euclid");
    RGT_OK(rg_model_init(&m, rg_model_find("knn-item"), &hp, &sp, &g, &g));
    assert_int_equal(rg_trainer_init(&t, &m, &g), RG_EINVAL);
    assert_non_null(strstr(rg_last_error_message(), "euclid"));
    rg_model_free(&m);
    strcpy(hp.metric, "pearson-base:mean");
    RGT_OK(rg_model_init(&m, rg_model_find("knn-user"), &hp, &sp, &g, &g));
    assert_int_equal(rg_trainer_init(&t, &m, &g), RG_EINVAL);
    assert_non_null(strstr(rg_last_error_message(), "baseline"));
    rg_model_free(&m);
    train_model(&m, "knn-user", "", &g, &g);
    int32_t users[1] = {3}, movies[1] = {15};
    float out[1];
    assert_int_equal(m.ops->predict(&m, &g, 1, users, movies, out), RG_ERANGE);
    assert_non_null(strstr(rg_last_error_message(), "movie 15"));
    rg_model_free(&m);
    rg_graph_free(&g);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_knn_learns_planted_structure),
        cmocka_unit_test(test_knn_neighbour_tensors),
        cmocka_unit_test(test_knn_recommend_excludes_seen),
        cmocka_unit_test(test_knn_fold_in_matches_retraining),
        cmocka_unit_test(test_knn_refits_after_validation),
        cmocka_unit_test(test_knn_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
