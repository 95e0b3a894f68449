/* trainer.c: epochs as steps (init / step / finish / free), no callbacks.  The trainer carves a
 * seeded validation set out of the training ratings, runs the model's epochs on the rest, records
 * per-epoch train loss, validation loss and wall time in m->history, and stops early when the
 * validation loss has not improved for `patience` epochs, restoring the best parameters. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "reelgraph/model.h"
#include "reelgraph/rng.h"

#define RG_TRAINER_VAL_FRACTION 0.05f
#define RG_TRAINER_VAL_STREAM 0x76616c69ULL /* "vali": the validation carve's RNG stream */

static double rg_i_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double) ts.tv_sec + 1e-9 * (double) ts.tv_nsec;
}

/* The graph the epochs see: train minus validation, or train itself. */
static const rg_graph_t *rg_i_fit(const rg_trainer_t *t) {
    return t->n_val > 0 ? &t->fit : t->train;
}

/* Picks exactly round(fraction * E) training edges, seeded, as the validation set. */
static rg_error_t rg_i_carve_validation(rg_trainer_t *t, float fraction, uint64_t seed) {
    rg_error_t rc = RG_SUCCESS;
    const rg_graph_t *g = t->train;
    int64_t E = g->n_ratings;
    int64_t n_val = (int64_t) llround((double) fraction * (double) E);
    int64_t *order = NULL;
    uint8_t *keep = NULL;
    rg_rng_t r;
    if (n_val <= 0 || n_val >= E) {
        return RG_SUCCESS; /* too few ratings to hold any out: train without validation */
    }
    order = rg_malloc((size_t) E * sizeof *order);
    keep = rg_malloc((size_t) E);
    t->val_users = rg_malloc((size_t) n_val * sizeof *t->val_users);
    t->val_movies = rg_malloc((size_t) n_val * sizeof *t->val_movies);
    t->val_ratings = rg_malloc((size_t) n_val * sizeof *t->val_ratings);
    t->val_pred = rg_malloc((size_t) n_val * sizeof *t->val_pred);
    if (!order || !keep || !t->val_users || !t->val_movies || !t->val_ratings || !t->val_pred) {
        RG_FAIL(RG_ENOMEM, "rg_trainer_init: cannot allocate a validation set of %lld ratings",
                (long long) n_val);
    }
    for (int64_t e = 0; e < E; e++) {
        order[e] = e;
        keep[e] = 1;
    }
    rg_rng_init(&r, rg_rng_mix(seed, RG_TRAINER_VAL_STREAM));
    rg_rng_shuffle_i64(&r, order, E);
    for (int64_t i = 0; i < n_val; i++) {
        keep[order[i]] = 0;
    }
    /* list the validation ratings in edge order (user-major) */
    int64_t j = 0;
    for (int32_t u = 0; u < g->n_users; u++) {
        for (int64_t e = g->user_ptr[u]; e < g->user_ptr[u + 1]; e++) {
            if (!keep[e]) {
                t->val_users[j] = u;
                t->val_movies[j] = g->user_adj[e];
                t->val_ratings[j] = g->rating[e];
                j++;
            }
        }
    }
    RG_TRY(rg_graph_filter(&t->fit, g, keep, NULL));
    t->n_val = n_val;
cleanup:
    free(order);
    free(keep);
    return rc;
}

rg_error_t rg_trainer_init(rg_trainer_t *t, rg_model_t *m, const rg_graph_t *train) {
    rg_error_t rc = RG_SUCCESS;
    memset(t, 0, sizeof *t);
    t->m = m;
    t->train = train;
    t->best_val = INFINITY;
    t->best_epoch = -1;
    if (!m || !m->ops || !train) {
        RG_ERROR(RG_EINVAL, "rg_trainer_init: model (initialised with a kind) and train graph "
                 "must not be NULL");
    }
    float vf = m->ops->val_fraction_default;
    rg_hp_default_f(&m->hp.val_fraction,
                    vf > 0.0f ? vf : vf < 0.0f ? 0.0f : RG_TRAINER_VAL_FRACTION);
    rg_hp_default_i(&m->hp.patience, m->ops->patience_default);
    if (train->n_ratings == 0) {
        RG_ERROR(RG_EINVAL, "model %s: the training graph has no ratings, nothing to train on",
                 m->ops->name);
    }
    if (!(m->hp.val_fraction >= 0.0f && m->hp.val_fraction < 1.0f)) {
        RG_ERROR(RG_EINVAL, "validation fraction %g is outside [0, 1)", (double) m->hp.val_fraction);
    }
    if (m->hp.patience < 0) {
        RG_ERROR(RG_EINVAL, "patience %d is negative", (int) m->hp.patience);
    }
    RG_TRY(rg_i_carve_validation(t, m->hp.val_fraction, m->hp.seed));
    RG_TRY(m->ops->init(m, rg_i_fit(t)));
    if (m->hp.epochs < 1) {
        RG_FAIL(RG_EINVAL, "model %s: epochs must be at least 1 (got %d)", m->ops->name,
                (int) m->hp.epochs);
    }
    free(m->history);
    m->n_history = 0;
    m->history = rg_calloc((size_t) m->hp.epochs, sizeof *m->history);
    if (!m->history) {
        RG_FAIL(RG_ENOMEM, "rg_trainer_init: cannot allocate %d history records",
                (int) m->hp.epochs);
    }
    if (m->hp.patience > 0 && t->n_val > 0 && m->n_params > 0) {
        t->best_params = rg_malloc(m->n_params * sizeof *t->best_params);
        if (!t->best_params) {
            RG_FAIL(RG_ENOMEM, "rg_trainer_init: cannot allocate a copy of %zu parameters",
                    m->n_params);
        }
    }
cleanup:
    if (rc != RG_SUCCESS) {
        rg_trainer_free(t);
    }
    return rc;
}

/* Validation loss after an epoch: the model's own, or the RMSE of its clipped predictions. */
static rg_error_t rg_i_validate(rg_trainer_t *t, double *val) {
    rg_model_t *m = t->m;
    const rg_graph_t *fit = rg_i_fit(t);
    *val = NAN;
    if (t->n_val == 0) {
        return RG_SUCCESS;
    }
    if (m->ops->val_loss) {
        return m->ops->val_loss(m, fit, t->n_val, t->val_users, t->val_movies, t->val_ratings, val);
    }
    if (!m->ops->predict || !m->ops->predicts_ratings) {
        return RG_SUCCESS;
    }
    if (m->ops->attach) {
        RG_CHECK(m->ops->attach(m, fit));
    }
    RG_CHECK(m->ops->predict(m, fit, t->n_val, t->val_users, t->val_movies, t->val_pred));
    double sse = 0.0;
    for (int64_t i = 0; i < t->n_val; i++) {
        double p = fmin(fmax((double) t->val_pred[i], m->rating_min), m->rating_max);
        double d = p - t->val_ratings[i];
        sse += d * d;
    }
    *val = sqrt(sse / (double) t->n_val);
    return RG_SUCCESS;
}

rg_error_t rg_trainer_step(rg_trainer_t *t, int *done) {
    rg_model_t *m = t->m;
    double loss = NAN, val = NAN;
    *done = t->done;
    if (t->done) {
        return RG_SUCCESS;
    }
    double t0 = rg_i_now();
    RG_CHECK(m->ops->epoch(m, rg_i_fit(t), t->epoch, &loss));
    RG_CHECK(rg_i_validate(t, &val));
    rg_epoch_record_t *rec = &m->history[m->n_history++];
    rec->train_loss = loss;
    rec->val_loss = val;
    rec->seconds = rg_i_now() - t0;
    if (!isnan(val) && val < t->best_val) {
        t->best_val = val;
        t->best_epoch = t->epoch;
        if (t->best_params) {
            memcpy(t->best_params, m->params, m->n_params * sizeof *m->params);
        }
    }
    t->epoch++;
    if (t->epoch >= m->hp.epochs) {
        t->done = 1;
    } else if (m->hp.patience > 0 && t->best_epoch >= 0 &&
               t->epoch - 1 - t->best_epoch >= m->hp.patience) {
        t->done = 1;
    }
    *done = t->done;
    return RG_SUCCESS;
}

rg_error_t rg_trainer_finish(rg_trainer_t *t) {
    rg_model_t *m = t->m;
    if (t->best_params && t->best_epoch >= 0 && t->best_epoch != t->epoch - 1) {
        memcpy(m->params, t->best_params, m->n_params * sizeof *m->params);
    }
    if (m->ops->attach) {
        RG_CHECK(m->ops->attach(m, t->train));
    }
    return RG_SUCCESS;
}

void rg_trainer_free(rg_trainer_t *t) {
    if (!t) {
        return;
    }
    rg_graph_free(&t->fit);
    free(t->val_users);
    free(t->val_movies);
    free(t->val_ratings);
    free(t->val_pred);
    free(t->best_params);
    memset(t, 0, sizeof *t);
}
