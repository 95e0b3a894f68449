/* gnn_model_tests.h: the behaviour tests test_ggnn.c and test_sage.c share, parameterised by
 * the model kind and its hyper-parameters:
 *  - learns planted structure: on rgt_graph_planted (biases + rank-3 tastes + genre tastes), the
 *    model's held-out RMSE beats the bias model's fitted on the same split;
 *  - deterministic: two trainings with the same seed and thread count give bitwise-identical
 *    parameters and predictions (also with 2 threads);
 *  - the model file round trip: save, load, attach, identical predictions;
 *  - score agrees with predict; fold-in of a known user's ratings ranks like a sane model
 *    (finite scores) and refuses bad ids; predict before attach is refused;
 *  - parameter averaging: what an epoch hands back is an output only (scrambling it between
 *    two epochs changes nothing).
 */
#ifndef GNN_MODEL_TESTS_H
#define GNN_MODEL_TESTS_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rg_test.h"

typedef struct {
    rg_graph_t full, train;
    uint8_t *is_test;
    rg_split_spec_t split;
} gt_data_t;

static void gt_data_init(gt_data_t *d, int n_users, int n_movies, int per_user, uint64_t seed) {
    RGT_OK(rgt_graph_planted(&d->full, n_users, n_movies, per_user, seed));
    RGT_OK(rg_split_parse(&d->split, "random:0.2"));
    d->split.seed = seed;
    d->is_test = malloc((size_t) d->full.n_ratings);
    assert_non_null(d->is_test);
    RGT_OK(rg_split_apply(&d->full, &d->split, d->is_test, NULL));
    uint8_t *keep = malloc((size_t) d->full.n_ratings);
    assert_non_null(keep);
    for (int64_t e = 0; e < d->full.n_ratings; e++) {
        keep[e] = !d->is_test[e];
    }
    RGT_OK(rg_graph_filter(&d->train, &d->full, keep, NULL));
    free(keep);
}

static void gt_data_free(gt_data_t *d) {
    rg_graph_free(&d->full);
    rg_graph_free(&d->train);
    free(d->is_test);
}

/* Trains kind `name` with hp on d (trainer: validation carve, early stopping as hp says). */
static void gt_train(rg_model_t *m, const char *name, const rg_hparams_t *hp, gt_data_t *d) {
    const rg_model_ops_t *ops = rg_model_find(name);
    assert_non_null(ops);
    RGT_OK(rg_model_init(m, ops, hp, &d->split, &d->full, &d->train));
    rg_trainer_t t;
    RGT_OK(rg_trainer_init(&t, m, &d->train));
    int done = 0;
    while (!done) {
        RGT_OK(rg_trainer_step(&t, &done));
    }
    RGT_OK(rg_trainer_finish(&t));
    rg_trainer_free(&t);
}

static void gt_free(rg_model_t *m) {
    if (m->ops && m->ops->release) {
        m->ops->release(m);
    }
    rg_model_free(m);
}

static double gt_test_rmse(const rg_model_t *m, gt_data_t *d) {
    rg_metrics_t met;
    RGT_OK(rg_evaluate(m, &d->full, &d->train, d->is_test, 10, &met));
    return met.rmse;
}

static void gt_learns_planted(const char *name, const rg_hparams_t *hp) {
    gt_data_t d;
    gt_data_init(&d, 300, 120, 40, 17);
    rg_model_t m, b;
    gt_train(&m, name, hp, &d);
    rg_hparams_t hb;
    rg_hparams_init(&hb);
    gt_train(&b, "bias", &hb, &d);
    double rm = gt_test_rmse(&m, &d), rb = gt_test_rmse(&b, &d);
    print_message("%s planted: test RMSE %.4f, bias model %.4f\n", name, rm, rb);
    assert_true(isfinite(rm));
    /* the planted interaction (rank 3 + genre tastes) is worth far more than 2% of the RMSE */
    assert_true(rm < 0.98 * rb);
    gt_free(&m);
    gt_free(&b);
    gt_data_free(&d);
}

static void gt_deterministic(const char *name, const rg_hparams_t *hp_in, int n_threads) {
    gt_data_t d;
    gt_data_init(&d, 60, 40, 15, 5);
    rg_hparams_t hp = *hp_in;
    hp.n_threads = n_threads;
    rg_model_t a, b;
    gt_train(&a, name, &hp, &d);
    gt_train(&b, name, &hp, &d);
    assert_int_equal(a.n_params, b.n_params);
    assert_memory_equal(a.params, b.params, a.n_params * sizeof *a.params);
    int32_t users[3] = {0, 7, 59}, movies[3] = {3, 0, 39};
    float pa[3], pb[3];
    RGT_OK(a.ops->predict(&a, &d.train, 3, users, movies, pa));
    RGT_OK(b.ops->predict(&b, &d.train, 3, users, movies, pb));
    assert_memory_equal(pa, pb, sizeof pa);
    /* another seed really gives another model (the test above can fail) */
    hp.seed += 1;
    rg_model_t c;
    gt_train(&c, name, &hp, &d);
    assert_true(memcmp(a.params, c.params, a.n_params * sizeof *a.params) != 0);
    rg_model_t *ms[3] = {&a, &b, &c};
    for (int i = 0; i < 3; i++) {
        gt_free(ms[i]);
    }
    gt_data_free(&d);
}

static void gt_roundtrip_and_api(const char *name, const rg_hparams_t *hp) {
    gt_data_t d;
    gt_data_init(&d, 50, 30, 12, 9);
    rg_model_t m;
    gt_train(&m, name, hp, &d);
    int64_t n = d.full.n_ratings;
    int32_t *users = malloc((size_t) n * sizeof *users);
    int32_t *movies = malloc((size_t) n * sizeof *movies);
    float *p1 = malloc((size_t) n * sizeof *p1), *p2 = malloc((size_t) n * sizeof *p2);
    float *scores = malloc((size_t) d.full.n_movies * sizeof *scores);
    assert_true(users && movies && p1 && p2 && scores);
    for (int32_t u = 0; u < d.full.n_users; u++) {
        for (int64_t e = d.full.user_ptr[u]; e < d.full.user_ptr[u + 1]; e++) {
            users[e] = u;
            movies[e] = d.full.user_adj[e];
        }
    }
    RGT_OK(m.ops->predict(&m, &d.train, n, users, movies, p1));
    /* score row u agrees with predict (same decoder, same state) */
    RGT_OK(m.ops->score(&m, &d.train, users[0], scores));
    RGT_NEAR(scores[movies[0]], p1[0], 1e-4);

    char path[512];
    rgt_tmp_path(path, sizeof path, "gnn-roundtrip.rgm");
    RGT_OK(rg_model_save(&m, path));
    rg_model_t l;
    RGT_OK(rg_model_load(&l, path));
    /* loaded but not attached: refused, not garbage */
    assert_int_equal(l.ops->predict(&l, &d.train, 1, users, movies, p2), RG_EINVAL);
    RGT_OK(l.ops->attach(&l, &d.train));
    RGT_OK(l.ops->predict(&l, &d.train, n, users, movies, p2));
    for (int64_t i = 0; i < n; i++) {
        RGT_NEAR(p1[i], p2[i], 1e-5);
    }
    /* fold-in from user 0's training ratings: finite scores; a bad movie id is refused */
    int64_t lo = d.train.user_ptr[0], k = d.train.user_ptr[1] - lo;
    RGT_OK(l.ops->fold_in(&l, &d.train, k, d.train.user_adj + lo, d.train.rating + lo, scores));
    for (int64_t j = 0; j < d.full.n_movies; j++) {
        assert_true(isfinite(scores[j]));
    }
    int32_t bad = (int32_t) d.full.n_movies;
    float r = 4.0f;
    assert_int_equal(l.ops->fold_in(&l, &d.train, 1, &bad, &r, scores), RG_ERANGE);
    assert_int_equal(l.ops->score(&l, &d.train, -1, scores), RG_ERANGE);
    remove(path);
    free(users);
    free(movies);
    free(p1);
    free(p2);
    free(scores);
    gt_free(&l);
    gt_free(&m);
    gt_data_free(&d);
}

/* Two epochs through the trainer; with `scramble`, the parameters the first epoch handed back
 * are overwritten before the second. */
static void gt_two_epochs(rg_model_t *m, const char *name, const rg_hparams_t *hp_in,
                          gt_data_t *d, int scramble) {
    rg_hparams_t hp = *hp_in;
    hp.epochs = 2;
    hp.patience = 0;
    RGT_OK(rg_model_init(m, rg_model_find(name), &hp, &d->split, &d->full, &d->train));
    rg_trainer_t t;
    RGT_OK(rg_trainer_init(&t, m, &d->train));
    int done = 0;
    RGT_OK(rg_trainer_step(&t, &done));
    if (scramble) {
        for (size_t i = 0; i < m->n_params; i++) {
            m->params[i] = 0.5f - (float) (i % 7) * 0.1f;
        }
    }
    RGT_OK(rg_trainer_step(&t, &done));
    rg_trainer_free(&t);
}

/* The parameters an epoch hands back are the running average of the optimiser's iterates, an
 * output only: the second epoch trains the iterate it kept, not what the first left in params,
 * so scrambling those is gone without a trace. */
static void gt_average_is_an_output(const char *name, const rg_hparams_t *hp) {
    gt_data_t d;
    gt_data_init(&d, 60, 40, 15, 5);
    rg_model_t a, b;
    gt_two_epochs(&a, name, hp, &d, 0);
    gt_two_epochs(&b, name, hp, &d, 1);
    assert_memory_equal(a.params, b.params, a.n_params * sizeof *a.params);
    gt_free(&a);
    gt_free(&b);
    gt_data_free(&d);
}

#endif
