/* optim.c: SGD with momentum, Adam / AdamW (dense and lazy row-sparse), learning-rate schedules
 * (see nn.h).  State is one allocation per role (vel; m; v).  Steps never allocate. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/parallel.h"
#include "reelgraph/nn.h"

/* ---- SGD ---- */

rg_error_t rg_sgd_init(rg_sgd_t *s, size_t n, float momentum, float weight_decay) {
    memset(s, 0, sizeof *s);
    if (n == 0) {
        RG_ERROR(RG_EINVAL, "rg_sgd_init: parameter count n must be > 0");
    }
    if (!(momentum >= 0.0f && momentum < 1.0f)) {
        RG_ERROR(RG_EINVAL, "rg_sgd_init: momentum %g outside [0, 1)", (double) momentum);
    }
    if (!(weight_decay >= 0.0f)) {
        RG_ERROR(RG_EINVAL, "rg_sgd_init: weight_decay %g must be >= 0", (double) weight_decay);
    }
    s->n = n;
    s->momentum = momentum;
    s->weight_decay = weight_decay;
    if (momentum > 0.0f) {
        if (n > SIZE_MAX / sizeof(float)) {
            RG_ERROR(RG_ENOMEM, "rg_sgd_init: %zu velocities overflow size_t", n);
        }
        s->vel = rg_calloc(n, sizeof(float));
        if (!s->vel) {
            RG_ERROR(RG_ENOMEM, "rg_sgd_init: cannot allocate %zu velocities", n);
        }
    }
    return RG_SUCCESS;
}

void rg_sgd_step(rg_sgd_t *s, float *params, const float *grads, float lr) {
    float mu = s->momentum, wd = s->weight_decay;
    for (size_t i = 0; i < s->n; i++) {
        float g = grads[i] + wd * params[i];
        if (s->vel) {
            s->vel[i] = mu * s->vel[i] + g;
            g = s->vel[i];
        }
        params[i] -= lr * g;
    }
}

void rg_sgd_free(rg_sgd_t *s) {
    free(s->vel);
    memset(s, 0, sizeof *s);
}

/* ---- Adam ---- */

rg_error_t rg_adam_init(rg_adam_t *a, size_t n, float beta1, float beta2, float eps,
                        float weight_decay, rg_adam_decay_t decay) {
    rg_error_t rc = RG_SUCCESS;
    memset(a, 0, sizeof *a);
    if (n == 0) {
        RG_ERROR(RG_EINVAL, "rg_adam_init: parameter count n must be > 0");
    }
    if (!(beta1 >= 0.0f && beta1 < 1.0f) || !(beta2 >= 0.0f && beta2 < 1.0f)) {
        RG_ERROR(RG_EINVAL, "rg_adam_init: beta1 %g / beta2 %g outside [0, 1)", (double) beta1,
                 (double) beta2);
    }
    if (!(eps > 0.0f)) {
        RG_ERROR(RG_EINVAL, "rg_adam_init: eps %g must be > 0", (double) eps);
    }
    if (!(weight_decay >= 0.0f)) {
        RG_ERROR(RG_EINVAL, "rg_adam_init: weight_decay %g must be >= 0", (double) weight_decay);
    }
    if (decay != RG_ADAM_L2 && decay != RG_ADAM_DECOUPLED) {
        RG_ERROR(RG_EINVAL, "rg_adam_init: unknown weight-decay mode %d", (int) decay);
    }
    if (n > SIZE_MAX / sizeof(float)) {
        RG_ERROR(RG_ENOMEM, "rg_adam_init: %zu moments overflow size_t", n);
    }
    a->m = rg_calloc(n, sizeof(float));
    if (!a->m) {
        RG_FAIL(RG_ENOMEM, "rg_adam_init: cannot allocate %zu first moments", n);
    }
    a->v = rg_calloc(n, sizeof(float));
    if (!a->v) {
        RG_FAIL(RG_ENOMEM, "rg_adam_init: cannot allocate %zu second moments", n);
    }
    a->n = n;
    a->beta1 = beta1;
    a->beta2 = beta2;
    a->eps = eps;
    a->weight_decay = weight_decay;
    a->decay = decay;
    a->n_threads = 1;
cleanup:
    if (rc != RG_SUCCESS) {
        rg_adam_free(a);
    }
    return rc;
}

/* The per-step constants: bias corrections for step t (after the increment). */
typedef struct {
    float lr, b1, b2, eps, wd, bc1, bc2;
    int decoupled;
} rg_i_adam_k_t;

static rg_i_adam_k_t rg_i_adam_consts(const rg_adam_t *a, float lr) {
    rg_i_adam_k_t k;
    k.lr = lr;
    k.b1 = a->beta1;
    k.b2 = a->beta2;
    k.eps = a->eps;
    k.wd = a->weight_decay;
    k.decoupled = a->decay == RG_ADAM_DECOUPLED;
    k.bc1 = (float) (1.0 - pow((double) a->beta1, (double) a->t));
    k.bc2 = (float) (1.0 - pow((double) a->beta2, (double) a->t));
    return k;
}

/* rg_adam_step_sparse runs threads from this many updated entries on. */
#define RG_ADAM_PAR_MIN 65536

/* Dense update of entries [lo, hi).  One loop per decay mode with restrict pointers, so the
 * compiler vectorises both (sqrtf too: the build passes -fno-math-errno). */
static void rg_i_adam_range(const rg_i_adam_k_t *k, float *restrict p, const float *restrict g,
                            float *restrict m, float *restrict v, size_t lo, size_t hi) {
    const float lr = k->lr, b1 = k->b1, b2 = k->b2, eps = k->eps, wd = k->wd;
    const float bc1 = k->bc1, bc2 = k->bc2;
    if (k->decoupled) {
        for (size_t i = lo; i < hi; i++) {
            float gi = g[i];
            m[i] = b1 * m[i] + (1.0f - b1) * gi;
            v[i] = b2 * v[i] + (1.0f - b2) * gi * gi;
            float mh = m[i] / bc1, vh = v[i] / bc2;
            p[i] -= lr * wd * p[i];  /* AdamW: decay applied to the weight directly */
            p[i] -= lr * mh / (sqrtf(vh) + eps);
        }
        return;
    }
    for (size_t i = lo; i < hi; i++) {
        float gi = g[i] + wd * p[i];  /* Adam + L2: decay enters the moments */
        m[i] = b1 * m[i] + (1.0f - b1) * gi;
        v[i] = b2 * v[i] + (1.0f - b2) * gi * gi;
        float mh = m[i] / bc1, vh = v[i] / bc2;
        p[i] -= lr * mh / (sqrtf(vh) + eps);
    }
}

void rg_adam_step(rg_adam_t *a, float *params, const float *grads, float lr) {
    a->t++;
    rg_i_adam_k_t k = rg_i_adam_consts(a, lr);
    rg_i_adam_range(&k, params, grads, a->m, a->v, 0, a->n);
}

/* The next dense gap [*lo, *hi) at or after cur between the tables (in offset order; n_tables is
 * small: a selection scan per gap avoids sorting into a temporary); returns the offset after
 * the table that ends it, or SIZE_MAX after the last gap. */
static size_t rg_i_adam_gap(const rg_sparse_rows_t *tables, int n_tables, size_t n, size_t cur,
                            size_t *lo, size_t *hi) {
    int next = -1;
    for (int t = 0; t < n_tables; t++) {
        if (tables[t].offset >= cur && (next < 0 || tables[t].offset < tables[next].offset)) {
            next = t;
        }
    }
    *lo = cur;
    *hi = next < 0 ? n : tables[next].offset;
    return next < 0 ? SIZE_MAX
                    : tables[next].offset + (size_t) tables[next].n_rows * (size_t) tables[next].D;
}

void rg_adam_step_sparse(rg_adam_t *a, float *params, const float *grads, float lr,
                         const rg_sparse_rows_t *tables, int n_tables) {
    a->t++;
    rg_i_adam_k_t k = rg_i_adam_consts(a, lr);
    size_t work = 0, lo, hi;
    for (size_t cur = 0; cur != SIZE_MAX;) {
        cur = rg_i_adam_gap(tables, n_tables, a->n, cur, &lo, &hi);
        work += hi - lo;
    }
    for (int t = 0; t < n_tables; t++) {
        work += (size_t) tables[t].n_touched * (size_t) tables[t].D;
    }
    /* every entry is updated on its own: the split over threads cannot change a result */
    int nt = work >= RG_ADAM_PAR_MIN ? a->n_threads : 1;
    (void) nt;
#ifdef _OPENMP
#pragma omp parallel num_threads(rg_i_threads(nt))
#endif
    {
        int tid, nthr;
        rg_i_team(&tid, &nthr);
        /* this thread's share of every dense gap */
        for (size_t cur = 0; cur != SIZE_MAX;) {
            size_t glo, ghi;
            cur = rg_i_adam_gap(tables, n_tables, a->n, cur, &glo, &ghi);
            rg_i_adam_range(&k, params, grads, a->m, a->v, glo + (ghi - glo) * tid / nthr,
                            glo + (ghi - glo) * (tid + 1) / nthr);
        }
        /* only the touched rows of each table */
        for (int t = 0; t < n_tables; t++) {
            size_t D = (size_t) tables[t].D;
#ifdef _OPENMP
#pragma omp for schedule(static)
#endif
            for (int64_t i = 0; i < tables[t].n_touched; i++) {
                size_t r0 = tables[t].offset + (size_t) tables[t].rows[i] * D;
                rg_i_adam_range(&k, params, grads, a->m, a->v, r0, r0 + D);
            }
        }
    }
}

void rg_adam_free(rg_adam_t *a) {
    free(a->m);
    free(a->v);
    memset(a, 0, sizeof *a);
}

/* ---- learning-rate schedules ---- */

void rg_lr_schedule_init(rg_lr_schedule_t *s, float lr) {
    memset(s, 0, sizeof *s);
    s->kind = RG_LR_CONSTANT;
    s->lr = lr;
    s->lr_min = 0.0f;
    s->gamma = 1.0f;
    s->step_size = 1;
    s->total_steps = 1;
}

float rg_lr_at(const rg_lr_schedule_t *s, int64_t step) {
    double lr = s->lr;
    if (step < 0) {
        step = 0;
    }
    switch (s->kind) {
    case RG_LR_STEP: {
        int64_t every = s->step_size > 0 ? s->step_size : 1;
        lr = s->lr * pow((double) s->gamma, (double) (step / every));
        break;
    }
    case RG_LR_COSINE: {
        int64_t total = s->total_steps > 0 ? s->total_steps : 1;
        double frac = (double) (step < total ? step : total) / (double) total;
        lr = s->lr_min + (s->lr - s->lr_min) * 0.5 * (1.0 + cos(M_PI * frac));
        break;
    }
    case RG_LR_CONSTANT:
    default:
        break;
    }
    if (s->warmup_steps > 0 && step < s->warmup_steps) {
        lr *= (double) (step + 1) / (double) s->warmup_steps;
    }
    return (float) lr;
}
