/* hybrid.c: a linear blend of the content model and the collaborative models.
 *
 * The parts are other model kinds, called only through the public model API (rg_model_find +
 * ops + rg_trainer_*), never by copying their code:
 *
 *     pred(u, i) = w_0 + sum_p w_p * clip(pred_p(u, i))
 *
 * Training runs exactly two epochs:
 *   epoch 0: hold out HYBRID_BLEND_FRACTION of the ratings the hybrid is given (seeded), train
 *            every part on the rest with its own defaults and its own trainer, predict the
 *            held-out ratings with each part and fit w by least squares (GSL, ordinary least
 *            squares with an intercept).  The test set is never seen: the hybrid only ever gets
 *            the training graph.
 *   epoch 1: refit every part on all the ratings the hybrid is given and copy its tensors into
 *            the hybrid's own blocks.
 * Each part runs with its own default hyper-parameters (and its own trainer hold-out, if its
 * kind uses one); only the seed and the thread count are passed on.  The hybrid itself takes no
 * trainer hold-out by default (val_fraction_default < 0): its blend hold-out plays that role.
 *
 * Storage: part p's tensor T is stored as "<kind>/T" (same dtype and shape), so one .rgm file
 * holds the whole ensemble.  Each part's resolved hyper-parameters are stored verbatim as one
 * row of the I32 tensor "part_hp" (the bytes of rg_hparams_t; the file is only read back by the
 * same build of the format) and its training mean in "part_mean".  attach rebuilds every part
 * model from these tensors and calls the part's own attach.
 *
 * Reported figures (tensors, one column per part in HYBRID_PARTS order):
 *   "blend"         (1, P+1) intercept w_0, then w_1..w_P;
 *   "part_val_rmse" (1, P+1) each part's RMSE on the blend hold-out, then the blend's own
 *                   (in-sample for the weights, so slightly optimistic).
 *
 * Limits: the parts run one after the other (each part parallelises itself); training costs
 * about twice the sum of the parts' training times.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_matrix.h>
#include <gsl/gsl_multifit.h>
#include <gsl/gsl_vector.h>

#include "reelgraph/model.h"
#include "reelgraph/rng.h"
#include "reelgraph/split.h"

/* The parts, in blend order.  knn-user is left out: on ML-1M it alone costs more to train
 * twice than the rest of the ensemble, and its neighbourhood signal overlaps knn-item's. */
static const char *const HYBRID_PARTS[] = {"content", "bias", "mf", "knn-item"};
#define HYBRID_N_PARTS ((int) (sizeof HYBRID_PARTS / sizeof HYBRID_PARTS[0]))
/* Share of the hybrid's ratings held out in epoch 0 to learn the blend weights. */
#define HYBRID_BLEND_FRACTION 0.1
/* Training ratings sampled for epoch 1's reported loss (predicting all of them costs more
 * than the refit on ML-1M). */
#define HYBRID_LOSS_SAMPLE 20000
/* Words of one stored rg_hparams_t. */
#define HYBRID_HP_WORDS ((int64_t) (sizeof(rg_hparams_t) / sizeof(int32_t)))
_Static_assert(sizeof(rg_hparams_t) % sizeof(int32_t) == 0, "rg_hparams_t is not word-sized");

typedef struct {
    rg_model_t parts[HYBRID_N_PARTS];     /* the part models, each owning its blocks */
    rg_trainer_t trainers[HYBRID_N_PARTS]; /* epoch 1's trainers, between init and epoch 1 */
    int n_trainers;                       /* trainers initialised (0 after epoch 1) */
    int n_parts;                          /* parts initialised (to free) */
    int attached;                         /* parts hold trained parameters and are attached */
} hybrid_state_t;

/* ---- part models ---- */

static void hybrid_parts_free(hybrid_state_t *s) {
    for (int p = 0; p < s->n_trainers; p++) {
        rg_trainer_free(&s->trainers[p]);
    }
    s->n_trainers = 0;
    for (int p = 0; p < s->n_parts; p++) {
        rg_model_free(&s->parts[p]); /* calls the part's release */
    }
    s->n_parts = 0;
    s->attached = 0;
}

static void hybrid_release(rg_model_t *m) {
    hybrid_state_t *s = m->impl;
    if (s != NULL) {
        hybrid_parts_free(s);
        free(s);
    }
    m->impl = NULL;
}

static rg_error_t hybrid_find_part(int p, const rg_model_ops_t **ops) {
    *ops = rg_model_find(HYBRID_PARTS[p]);
    if (*ops == NULL) {
        RG_ERROR(RG_EINTERNAL, "hybrid: part model kind \"%s\" is not registered",
                 HYBRID_PARTS[p]);
    }
    if (!(*ops)->predicts_ratings || (*ops)->predict == NULL) {
        RG_ERROR(RG_EINTERNAL, "hybrid: part model kind \"%s\" predicts no ratings",
                 HYBRID_PARTS[p]);
    }
    return RG_SUCCESS;
}

/* Hyper-parameters of a part: its own defaults, the hybrid's seed and thread count. */
static void hybrid_part_hparams(const rg_model_t *m, rg_hparams_t *hp) {
    rg_hparams_init(hp);
    hp->seed = m->hp.seed;
    hp->n_threads = m->hp.n_threads;
}

/* Creates part p on graph g (as both the full and the training graph) and its trainer; the
 * trainer calls the part's init.  The model lands in *pm, the trainer in *t. */
static rg_error_t hybrid_part_start(const rg_model_t *m, int p, const rg_graph_t *g,
                                    rg_model_t *pm, rg_trainer_t *t) {
    const rg_model_ops_t *ops = NULL;
    rg_hparams_t hp;
    RG_CHECK(hybrid_find_part(p, &ops));
    hybrid_part_hparams(m, &hp);
    RG_CHECK(rg_model_init(pm, ops, &hp, &m->split, g, g));
    return rg_trainer_init(t, pm, g);
}

/* Runs a started trainer to the end and attaches its model to the trainer's graph. */
static rg_error_t hybrid_part_run(rg_trainer_t *t) {
    int done = 0;
    while (!done) {
        RG_CHECK(rg_trainer_step(t, &done));
    }
    return rg_trainer_finish(t);
}

static void hybrid_clip(const rg_model_t *m, float *x, int64_t n) {
    for (int64_t i = 0; i < n; i++) {
        x[i] = x[i] < m->rating_min ? m->rating_min : (x[i] > m->rating_max ? m->rating_max : x[i]);
    }
}

/* ---- blend weights ---- */

/* Least squares w (P+1) of r ~ w_0 + sum_p w_p X[p*n + i] over n held-out ratings, with GSL's
 * SVD-based solver (robust to nearly collinear parts). */
static rg_error_t hybrid_fit_blend(int64_t n, int P, const float *X, const float *r, double *w) {
    rg_error_t rc = RG_SUCCESS;
    gsl_matrix *A = NULL;
    gsl_vector *y = NULL, *c = NULL;
    gsl_matrix *cov = NULL;
    gsl_multifit_linear_workspace *ws = NULL;
    double chisq = 0.0;
    if (n <= P + 1) {
        RG_FAIL(RG_EINVAL, "hybrid: %lld held-out ratings are too few to fit %d blend weights",
                (long long) n, P + 1);
    }
    gsl_error_handler_t *old = gsl_set_error_handler_off();
    A = gsl_matrix_alloc((size_t) n, (size_t) P + 1);
    y = gsl_vector_alloc((size_t) n);
    c = gsl_vector_alloc((size_t) P + 1);
    cov = gsl_matrix_alloc((size_t) P + 1, (size_t) P + 1);
    ws = gsl_multifit_linear_alloc((size_t) n, (size_t) P + 1);
    if (A == NULL || y == NULL || c == NULL || cov == NULL || ws == NULL) {
        gsl_set_error_handler(old);
        RG_FAIL(RG_ENOMEM, "hybrid: cannot allocate the %lld x %d blend system", (long long) n,
                P + 1);
    }
    for (int64_t i = 0; i < n; i++) {
        gsl_matrix_set(A, (size_t) i, 0, 1.0);
        for (int p = 0; p < P; p++) {
            gsl_matrix_set(A, (size_t) i, (size_t) p + 1, X[(size_t) p * (size_t) n + (size_t) i]);
        }
        gsl_vector_set(y, (size_t) i, r[i]);
    }
    int status = gsl_multifit_linear(A, y, c, cov, &chisq, ws);
    gsl_set_error_handler(old);
    if (status != GSL_SUCCESS) {
        RG_FAIL(RG_EINTERNAL, "hybrid: least-squares blend failed: %s", gsl_strerror(status));
    }
    for (int p = 0; p <= P; p++) {
        w[p] = gsl_vector_get(c, (size_t) p);
    }
cleanup:
    gsl_multifit_linear_free(ws);
    gsl_matrix_free(cov);
    gsl_vector_free(c);
    gsl_vector_free(y);
    gsl_matrix_free(A);
    return rc;
}

static double hybrid_rmse(const float *pred, const float *r, int64_t n) {
    double s = 0.0;
    for (int64_t i = 0; i < n; i++) {
        double e = (double) pred[i] - (double) r[i];
        s += e * e;
    }
    return n > 0 ? sqrt(s / (double) n) : NAN;
}

/* Epoch 0: parts on the ratings minus a held-out share, blend weights by least squares on it. */
static rg_error_t hybrid_blend_epoch(rg_model_t *m, const rg_graph_t *train, double *loss) {
    rg_error_t rc = RG_SUCCESS;
    const int P = HYBRID_N_PARTS;
    uint8_t *is_val = NULL;
    rg_graph_t fit;
    rg_model_t pm;
    rg_trainer_t t;
    int32_t *users = NULL, *movies = NULL;
    float *r = NULL, *X = NULL, *blended = NULL;
    double w[HYBRID_N_PARTS + 1];
    memset(&fit, 0, sizeof fit);
    memset(&pm, 0, sizeof pm);
    memset(&t, 0, sizeof t);

    rg_split_spec_t spec;
    memset(&spec, 0, sizeof spec);
    spec.kind = RG_SPLIT_RANDOM;
    spec.fraction = HYBRID_BLEND_FRACTION;
    spec.seed = rg_rng_mix(m->hp.seed, 0x68796272u);
    is_val = rg_malloc((size_t) (train->n_ratings > 0 ? train->n_ratings : 1));
    if (is_val == NULL) {
        RG_FAIL(RG_ENOMEM, "hybrid: cannot allocate the blend split (%lld ratings)",
                (long long) train->n_ratings);
    }
    RG_TRY(rg_split_apply(train, &spec, is_val, NULL));
    int64_t n = 0;
    for (int64_t e = 0; e < train->n_ratings; e++) {
        n += is_val[e];
        is_val[e] = (uint8_t) !is_val[e]; /* now: keep for the fit graph */
    }
    RG_TRY(rg_graph_filter(&fit, train, is_val, NULL));
    users = rg_malloc((size_t) (n > 0 ? n : 1) * sizeof *users);
    movies = rg_malloc((size_t) (n > 0 ? n : 1) * sizeof *movies);
    r = rg_malloc((size_t) (n > 0 ? n : 1) * sizeof *r);
    X = rg_malloc((size_t) (n > 0 ? n : 1) * (size_t) P * sizeof *X);
    blended = rg_malloc((size_t) (n > 0 ? n : 1) * sizeof *blended);
    if (users == NULL || movies == NULL || r == NULL || X == NULL || blended == NULL) {
        RG_FAIL(RG_ENOMEM, "hybrid: cannot allocate %lld held-out predictions", (long long) n);
    }
    int64_t i = 0;
    for (int32_t u = 0; u < (int32_t) train->n_users; u++) {
        for (int64_t e = train->user_ptr[u]; e < train->user_ptr[u + 1]; e++) {
            if (!is_val[e]) {
                users[i] = u;
                movies[i] = train->user_adj[e];
                r[i] = train->rating[e];
                i++;
            }
        }
    }

    float *val_rmse = rg_model_f32(m, "part_val_rmse");
    for (int p = 0; p < P; p++) {
        RG_TRY(hybrid_part_start(m, p, &fit, &pm, &t));
        RG_TRY(hybrid_part_run(&t));
        float *x_p = X + (size_t) p * (size_t) n;
        RG_TRY(pm.ops->predict(&pm, &fit, n, users, movies, x_p));
        hybrid_clip(m, x_p, n);
        val_rmse[p] = (float) hybrid_rmse(x_p, r, n);
        rg_trainer_free(&t);
        rg_model_free(&pm);
    }
    RG_TRY(hybrid_fit_blend(n, P, X, r, w));
    float *blend = rg_model_f32(m, "blend");
    for (int p = 0; p <= P; p++) {
        blend[p] = (float) w[p];
    }
    for (int64_t j = 0; j < n; j++) {
        double s = w[0];
        for (int p = 0; p < P; p++) {
            s += w[p + 1] * (double) X[(size_t) p * (size_t) n + (size_t) j];
        }
        blended[j] = (float) s;
    }
    hybrid_clip(m, blended, n);
    val_rmse[P] = (float) hybrid_rmse(blended, r, n);
    *loss = (double) val_rmse[P] * (double) val_rmse[P];
cleanup:
    rg_trainer_free(&t);
    rg_model_free(&pm);
    rg_graph_free(&fit);
    free(is_val);
    free(users);
    free(movies);
    free(r);
    free(X);
    free(blended);
    return rc;
}

/* ---- storage of the parts in the hybrid's blocks ---- */

static rg_error_t hybrid_tensor_name(char *buf, size_t size, int p, const char *name) {
    int len = snprintf(buf, size, "%s/%s", HYBRID_PARTS[p], name);
    if (len < 0 || (size_t) len >= size) {
        RG_ERROR(RG_EINTERNAL, "hybrid: stored name \"%s/%s\" exceeds %zu characters",
                 HYBRID_PARTS[p], name, size - 1);
    }
    return RG_SUCCESS;
}

/* Copies part p's tensors into the hybrid's (to_part = 0) or back (to_part = 1). */
static rg_error_t hybrid_copy_part(rg_model_t *m, rg_model_t *pm, int p, int to_part) {
    char name[sizeof pm->tensors[0].name];
    for (int k = 0; k < pm->n_tensors; k++) {
        const rg_tensor_t *pt = &pm->tensors[k];
        RG_CHECK(hybrid_tensor_name(name, sizeof name, p, pt->name));
        const rg_tensor_t *ht = rg_model_tensor(m, name);
        if (ht == NULL || ht->dtype != pt->dtype || ht->rows != pt->rows || ht->cols != pt->cols) {
            RG_ERROR(RG_EFORMAT, "hybrid: tensor %s missing or of another type or shape", name);
        }
        size_t count = (size_t) pt->rows * (size_t) pt->cols;
        if (pt->dtype == RG_DTYPE_F32) {
            float *a = m->params + ht->offset, *b = pm->params + pt->offset;
            memcpy(to_part ? b : a, to_part ? a : b, count * sizeof(float));
        } else {
            int32_t *a = m->ints + ht->offset, *b = pm->ints + pt->offset;
            memcpy(to_part ? b : a, to_part ? a : b, count * sizeof(int32_t));
        }
    }
    return RG_SUCCESS;
}

/* Rebuilds part p from the hybrid's tensors (after a load, or to re-attach). */
static rg_error_t hybrid_part_restore(rg_model_t *m, int p, rg_model_t *pm) {
    const rg_model_ops_t *ops = NULL;
    char prefix[sizeof pm->tensors[0].name];
    RG_CHECK(hybrid_find_part(p, &ops));
    int len = snprintf(prefix, sizeof prefix, "%s/", HYBRID_PARTS[p]);
    memset(pm, 0, sizeof *pm);
    pm->ops = ops;
    memcpy(&pm->hp, rg_model_i32(m, "part_hp") + (size_t) p * (size_t) HYBRID_HP_WORDS,
           sizeof pm->hp);
    /* raw bytes from the file: the metric string is terminated here, and the seed and thread
     * count are the hybrid's own, as in training (hybrid_part_hparams) */
    pm->hp.metric[sizeof pm->hp.metric - 1] = '\0';
    pm->hp.seed = m->hp.seed;
    pm->hp.n_threads = m->hp.n_threads;
    pm->split = m->split;
    pm->graph_fingerprint = m->graph_fingerprint;
    memcpy(pm->graph_path, m->graph_path, sizeof pm->graph_path);
    pm->n_users = m->n_users;
    pm->n_movies = m->n_movies;
    pm->rating_min = m->rating_min;
    pm->rating_max = m->rating_max;
    pm->global_mean = rg_model_f32(m, "part_mean")[p];
    for (int k = 0; k < m->n_tensors; k++) {
        const rg_tensor_t *ht = &m->tensors[k];
        if (strncmp(ht->name, prefix, (size_t) len) == 0) {
            RG_CHECK(rg_model_declare(pm, ht->name + len, ht->dtype, ht->rows, ht->cols));
        }
    }
    RG_CHECK(rg_model_alloc(pm));
    return hybrid_copy_part(m, pm, p, 1);
}

/* ---- the model interface ---- */

/* Starts every part's final trainer on `train` (each calls its part's init), so the parts'
 * tensor tables are known, then declares them prefixed, plus the blend tensors. */
static rg_error_t hybrid_init(rg_model_t *m, const rg_graph_t *train) {
    rg_error_t rc = RG_SUCCESS;
    const int P = HYBRID_N_PARTS;
    char name[sizeof m->tensors[0].name];
    rg_hp_default_i(&m->hp.epochs, 2);
    if (m->hp.epochs != 2) {
        RG_ERROR(RG_EINVAL, "hybrid: runs exactly 2 epochs (blend, then refit); got --epochs %d",
                 m->hp.epochs);
    }
    hybrid_state_t *s = rg_calloc(1, sizeof *s);
    if (s == NULL) {
        RG_ERROR(RG_ENOMEM, "hybrid: cannot allocate the model state");
    }
    m->impl = s;
    for (int p = 0; p < P; p++) {
        s->n_parts = p + 1;
        s->n_trainers = p + 1;
        RG_TRY(hybrid_part_start(m, p, train, &s->parts[p], &s->trainers[p]));
    }
    RG_TRY(rg_model_declare(m, "blend", RG_DTYPE_F32, 1, P + 1));
    RG_TRY(rg_model_declare(m, "part_val_rmse", RG_DTYPE_F32, 1, P + 1));
    RG_TRY(rg_model_declare(m, "part_mean", RG_DTYPE_F32, 1, P));
    RG_TRY(rg_model_declare(m, "part_hp", RG_DTYPE_I32, P, HYBRID_HP_WORDS));
    for (int p = 0; p < P; p++) {
        const rg_model_t *pm = &s->parts[p];
        for (int k = 0; k < pm->n_tensors; k++) {
            RG_TRY(hybrid_tensor_name(name, sizeof name, p, pm->tensors[k].name));
            RG_TRY(rg_model_declare(m, name, pm->tensors[k].dtype, pm->tensors[k].rows,
                                    pm->tensors[k].cols));
        }
    }
    RG_TRY(rg_model_alloc(m));
    float *val_rmse = rg_model_f32(m, "part_val_rmse");
    for (int p = 0; p <= P; p++) {
        val_rmse[p] = NAN;
    }
cleanup:
    if (rc != RG_SUCCESS) {
        hybrid_release(m);
    }
    return rc;
}

static rg_error_t hybrid_predict(const rg_model_t *m, const rg_graph_t *train, int64_t n,
                                 const int32_t *users, const int32_t *movies, float *out);

/* Epoch 1: the started parts train on all of `train`; their tensors go into the hybrid.
 * *loss = the blend's mean squared error on a stride sample of `train`. */
static rg_error_t hybrid_refit_epoch(rg_model_t *m, const rg_graph_t *train, double *loss) {
    rg_error_t rc = RG_SUCCESS;
    hybrid_state_t *s = m->impl;
    int32_t *hp = rg_model_i32(m, "part_hp");
    float *mean = rg_model_f32(m, "part_mean");
    int32_t *users = NULL, *movies = NULL;
    float *pred = NULL, *r = NULL;
    for (int p = 0; p < s->n_trainers; p++) {
        rg_model_t *pm = &s->parts[p];
        RG_CHECK(hybrid_part_run(&s->trainers[p]));
        RG_CHECK(hybrid_copy_part(m, pm, p, 0));
        memcpy(hp + (size_t) p * (size_t) HYBRID_HP_WORDS, &pm->hp, sizeof pm->hp);
        mean[p] = (float) pm->global_mean;
    }
    for (int p = 0; p < s->n_trainers; p++) {
        rg_trainer_free(&s->trainers[p]);
    }
    s->n_trainers = 0;
    s->attached = 1;
    /* a deterministic stride sample of at most HYBRID_LOSS_SAMPLE training ratings */
    const int64_t E = train->n_ratings;
    const int64_t stride =
        E > HYBRID_LOSS_SAMPLE ? (E + HYBRID_LOSS_SAMPLE - 1) / HYBRID_LOSS_SAMPLE : 1;
    int64_t n = (E + stride - 1) / stride;
    users = rg_malloc((size_t) (n > 0 ? n : 1) * sizeof *users);
    movies = rg_malloc((size_t) (n > 0 ? n : 1) * sizeof *movies);
    r = rg_malloc((size_t) (n > 0 ? n : 1) * sizeof *r);
    pred = rg_malloc((size_t) (n > 0 ? n : 1) * sizeof *pred);
    if (users == NULL || movies == NULL || r == NULL || pred == NULL) {
        RG_FAIL(RG_ENOMEM, "hybrid: cannot allocate %lld training predictions", (long long) n);
    }
    for (int32_t u = 0; u < (int32_t) train->n_users; u++) {
        for (int64_t e = train->user_ptr[u]; e < train->user_ptr[u + 1]; e++) {
            if (e % stride == 0) {
                users[e / stride] = u;
                movies[e / stride] = train->user_adj[e];
                r[e / stride] = train->rating[e];
            }
        }
    }
    RG_TRY(hybrid_predict(m, train, n, users, movies, pred));
    hybrid_clip(m, pred, n);
    double rmse = hybrid_rmse(pred, r, n);
    *loss = rmse * rmse;
cleanup:
    free(users);
    free(movies);
    free(r);
    free(pred);
    return rc;
}

static rg_error_t hybrid_epoch(rg_model_t *m, const rg_graph_t *train, int epoch, double *loss) {
    hybrid_state_t *s = m->impl;
    if (s == NULL) {
        RG_ERROR(RG_EINVAL, "hybrid: epoch before init");
    }
    if (epoch == 0) {
        return hybrid_blend_epoch(m, train, loss);
    }
    if (epoch == 1 && s->n_trainers == HYBRID_N_PARTS) {
        return hybrid_refit_epoch(m, train, loss);
    }
    RG_ERROR(RG_EINVAL, "hybrid: epoch %d out of its 2-epoch schedule", epoch);
}

/* Rebuilds every part from the stored tensors and attaches it to `train`. */
static rg_error_t hybrid_attach(rg_model_t *m, const rg_graph_t *train) {
    rg_error_t rc = RG_SUCCESS;
    /* the hybrid's own tensors; each part's attach then checks the part's */
    RG_CHECK(rg_model_expect(m, "part_hp", RG_DTYPE_I32, HYBRID_N_PARTS, HYBRID_HP_WORDS));
    RG_CHECK(rg_model_expect(m, "blend", RG_DTYPE_F32, 1, HYBRID_N_PARTS + 1));
    RG_CHECK(rg_model_expect(m, "part_val_rmse", RG_DTYPE_F32, 1, HYBRID_N_PARTS + 1));
    RG_CHECK(rg_model_expect(m, "part_mean", RG_DTYPE_F32, 1, HYBRID_N_PARTS));
    hybrid_release(m);
    hybrid_state_t *s = rg_calloc(1, sizeof *s);
    if (s == NULL) {
        RG_ERROR(RG_ENOMEM, "hybrid: cannot allocate the model state");
    }
    m->impl = s;
    for (int p = 0; p < HYBRID_N_PARTS; p++) {
        s->n_parts = p + 1;
        RG_TRY(hybrid_part_restore(m, p, &s->parts[p]));
        if (s->parts[p].ops->attach != NULL) {
            RG_TRY(s->parts[p].ops->attach(&s->parts[p], train));
        }
    }
    s->attached = 1;
cleanup:
    if (rc != RG_SUCCESS) {
        hybrid_release(m);
    }
    return rc;
}

static rg_error_t hybrid_ready(const rg_model_t *m) {
    const hybrid_state_t *s = m->impl;
    if (s == NULL || !s->attached) {
        RG_ERROR(RG_EINVAL, "hybrid: used before training or attach");
    }
    return RG_SUCCESS;
}

/* out (n): the blend of the parts' clipped predictions.  O(n * P) plus the parts' costs. */
static rg_error_t hybrid_predict(const rg_model_t *m, const rg_graph_t *train, int64_t n,
                                 const int32_t *users, const int32_t *movies, float *out) {
    rg_error_t rc = RG_SUCCESS;
    const hybrid_state_t *s = m->impl;
    const float *w = rg_model_f32(m, "blend");
    float *x = NULL;
    RG_CHECK(hybrid_ready(m));
    x = rg_malloc((size_t) (n > 0 ? n : 1) * sizeof *x);
    if (x == NULL) {
        RG_FAIL(RG_ENOMEM, "hybrid: cannot allocate %lld part predictions", (long long) n);
    }
    for (int64_t i = 0; i < n; i++) {
        out[i] = w[0];
    }
    for (int p = 0; p < HYBRID_N_PARTS; p++) {
        RG_TRY(s->parts[p].ops->predict(&s->parts[p], train, n, users, movies, x));
        hybrid_clip(m, x, n);
        for (int64_t i = 0; i < n; i++) {
            out[i] += w[p + 1] * x[i];
        }
    }
cleanup:
    free(x);
    return rc;
}

/* out (M): the blend of the parts' ranking scores (unclipped, so ties at the top of the scale
 * stay ordered).  Thread-safe when the parts' score is. */
static rg_error_t hybrid_score(const rg_model_t *m, const rg_graph_t *train, int32_t u,
                               float *out) {
    rg_error_t rc = RG_SUCCESS;
    const hybrid_state_t *s = m->impl;
    const float *w = rg_model_f32(m, "blend");
    float *x = NULL;
    RG_CHECK(hybrid_ready(m));
    x = rg_malloc((size_t) (m->n_movies > 0 ? m->n_movies : 1) * sizeof *x);
    if (x == NULL) {
        RG_FAIL(RG_ENOMEM, "hybrid: cannot allocate %lld part scores", (long long) m->n_movies);
    }
    for (int64_t j = 0; j < m->n_movies; j++) {
        out[j] = w[0];
    }
    for (int p = 0; p < HYBRID_N_PARTS; p++) {
        RG_TRY(s->parts[p].ops->score(&s->parts[p], train, u, x));
        for (int64_t j = 0; j < m->n_movies; j++) {
            out[j] += w[p + 1] * x[j];
        }
    }
cleanup:
    free(x);
    return rc;
}

/* out (M): the blend of the parts' fold-in scores; RG_EINVAL when a part cannot fold in. */
static rg_error_t hybrid_fold_in(const rg_model_t *m, const rg_graph_t *train, int64_t n,
                                 const int32_t *movies, const float *ratings, float *out) {
    rg_error_t rc = RG_SUCCESS;
    const hybrid_state_t *s = m->impl;
    const float *w = rg_model_f32(m, "blend");
    float *x = NULL;
    RG_CHECK(hybrid_ready(m));
    for (int p = 0; p < HYBRID_N_PARTS; p++) {
        if (s->parts[p].ops->fold_in == NULL) {
            RG_ERROR(RG_EINVAL, "hybrid: part \"%s\" cannot fold in a new user",
                     HYBRID_PARTS[p]);
        }
    }
    x = rg_malloc((size_t) (m->n_movies > 0 ? m->n_movies : 1) * sizeof *x);
    if (x == NULL) {
        RG_FAIL(RG_ENOMEM, "hybrid: cannot allocate %lld part scores", (long long) m->n_movies);
    }
    for (int64_t j = 0; j < m->n_movies; j++) {
        out[j] = w[0];
    }
    for (int p = 0; p < HYBRID_N_PARTS; p++) {
        RG_TRY(s->parts[p].ops->fold_in(&s->parts[p], train, n, movies, ratings, x));
        for (int64_t j = 0; j < m->n_movies; j++) {
            out[j] += w[p + 1] * x[j];
        }
    }
cleanup:
    free(x);
    return rc;
}

/* The trainer's validation loss: RMSE of the blend (clipped) on its held-out ratings. */
static rg_error_t hybrid_val_loss(const rg_model_t *m, const rg_graph_t *fit, int64_t n,
                                  const int32_t *users, const int32_t *movies,
                                  const float *ratings, double *loss) {
    rg_error_t rc = RG_SUCCESS;
    const hybrid_state_t *s = m->impl;
    float *pred = NULL;
    if (s == NULL || !s->attached) {
        *loss = NAN; /* after epoch 0 only the blend weights exist */
        return RG_SUCCESS;
    }
    pred = rg_malloc((size_t) (n > 0 ? n : 1) * sizeof *pred);
    if (pred == NULL) {
        RG_FAIL(RG_ENOMEM, "hybrid: cannot allocate %lld validation predictions", (long long) n);
    }
    RG_TRY(hybrid_predict(m, fit, n, users, movies, pred));
    hybrid_clip(m, pred, n);
    *loss = hybrid_rmse(pred, ratings, n);
cleanup:
    free(pred);
    return rc;
}

static const char *const hybrid_report[] = {"blend", "part_val_rmse", NULL};

const rg_model_ops_t rg_model_hybrid = {
    .name = "hybrid",
    .summary = "least-squares blend of content, bias, mf and knn-item (validation split)",
    .predicts_ratings = 1,
    .init = hybrid_init,
    .epoch = hybrid_epoch,
    .attach = hybrid_attach,
    .predict = hybrid_predict,
    .score = hybrid_score,
    .fold_in = hybrid_fold_in,
    .release = hybrid_release,
    .val_loss = hybrid_val_loss,
    .val_fraction_default = -1.0f, /* its own blend hold-out: a trainer hold-out only costs data */
    .report = hybrid_report,
};
