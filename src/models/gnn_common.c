/* gnn_common.c: the rating head and the row-sparse Adam state shared by ggnn.c and sage.c
 * (see gnn_common.h).  Serial; the per-step cost is dominated by the dense tensors. */
#include "models/gnn_common.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/parallel.h"

static const char *const rg_i_gnn_table_names[RG_I_GNN_N_TABLES] = {
    "user_emb", "movie_emb", "user_bias", "movie_bias"};

rg_error_t rg_i_gnn_opt_init(rg_i_gnn_opt_t *o, const rg_model_t *m, float reg,
                             int64_t cap_user, int64_t cap_movie) {
    rg_error_t rc = RG_SUCCESS;
    memset(o, 0, sizeof *o);
    if (cap_user < 1 || cap_movie < 1) {
        RG_ERROR(RG_EINVAL, "gnn optimizer: touched-row caps %lld / %lld must be >= 1",
                 (long long) cap_user, (long long) cap_movie);
    }
    for (int i = 0; i < RG_I_GNN_N_TABLES; i++) {
        const rg_tensor_t *t = rg_model_tensor(m, rg_i_gnn_table_names[i]);
        if (t == NULL || t->dtype != RG_DTYPE_F32) {
            RG_ERROR(RG_EINTERNAL, "gnn optimizer: model has no F32 tensor %s",
                     rg_i_gnn_table_names[i]);
        }
        o->offset[i] = t->offset;
        o->n_rows[i] = t->rows;
        o->cols[i] = (int) t->cols;
        o->cap[i] = (i == RG_I_GNN_USER_EMB || i == RG_I_GNN_USER_BIAS) ? cap_user : cap_movie;
    }
    o->grads = rg_calloc(m->n_params, sizeof *o->grads);
    if (o->grads == NULL) {
        RG_FAIL(RG_ENOMEM, "gnn optimizer: cannot allocate %zu gradient floats", m->n_params);
    }
    for (int i = 0; i < RG_I_GNN_N_TABLES; i++) {
        o->rows[i] = rg_malloc((size_t) o->cap[i] * sizeof *o->rows[i]);
        o->seen[i] = rg_calloc((size_t) (o->n_rows[i] > 0 ? o->n_rows[i] : 1), sizeof *o->seen[i]);
        if (o->rows[i] == NULL || o->seen[i] == NULL) {
            RG_FAIL(RG_ENOMEM, "gnn optimizer: cannot allocate %lld touched-row ids",
                    (long long) o->cap[i]);
        }
    }
    o->stamp = 1;
    RG_TRY(rg_adam_init(&o->adam, m->n_params, 0.9f, 0.999f, 1e-8f, reg, RG_ADAM_L2));
    o->adam.n_threads = m->hp.n_threads;
cleanup:
    if (rc != RG_SUCCESS) {
        rg_i_gnn_opt_free(o);
    }
    return rc;
}

float *rg_i_gnn_opt_grad(const rg_i_gnn_opt_t *o, int table) {
    return o->grads + o->offset[table];
}

void rg_i_gnn_opt_touch(rg_i_gnn_opt_t *o, int table, const int32_t *ids, int64_t n) {
    uint32_t *seen = o->seen[table], stamp = o->stamp;
    int32_t *rows = o->rows[table];
    int64_t k = o->n_touched[table];
    for (int64_t i = 0; i < n; i++) {
        if (seen[ids[i]] != stamp) {
            seen[ids[i]] = stamp;
            rows[k++] = ids[i];
        }
    }
    o->n_touched[table] = k;
}

/* A new stamp marks every row untouched; on wrap-around the stamps are cleared for real. */
static void rg_i_gnn_opt_new_stamp(rg_i_gnn_opt_t *o) {
    if (++o->stamp == 0) {
        for (int i = 0; i < RG_I_GNN_N_TABLES; i++) {
            memset(o->seen[i], 0, (size_t) o->n_rows[i] * sizeof *o->seen[i]);
        }
        o->stamp = 1;
    }
}

void rg_i_gnn_opt_reset(rg_i_gnn_opt_t *o, size_t n_params) {
    rg_param_zero(o->grads, n_params);
    for (int i = 0; i < RG_I_GNN_N_TABLES; i++) {
        o->n_touched[i] = 0;
    }
    rg_i_gnn_opt_new_stamp(o);
}

void rg_i_gnn_opt_step(rg_i_gnn_opt_t *o, rg_model_t *m, float lr) {
    rg_sparse_rows_t tables[RG_I_GNN_N_TABLES];
    for (int i = 0; i < RG_I_GNN_N_TABLES; i++) {
        tables[i].offset = o->offset[i];
        tables[i].n_rows = o->n_rows[i];
        tables[i].D = o->cols[i];
        tables[i].rows = o->rows[i];
        tables[i].n_touched = o->n_touched[i];
    }
    rg_adam_step_sparse(&o->adam, m->params, o->grads, lr, tables, RG_I_GNN_N_TABLES);
    /* Re-zero: the touched table rows, then every tensor outside the tables. */
    for (int i = 0; i < RG_I_GNN_N_TABLES; i++) {
        rg_grad_zero_rows(o->grads + o->offset[i], o->cols[i], o->rows[i], o->n_touched[i]);
        o->n_touched[i] = 0;
    }
    rg_i_gnn_opt_new_stamp(o);
    for (int k = 0; k < m->n_tensors; k++) {
        const rg_tensor_t *t = &m->tensors[k];
        int is_table = 0;
        for (int i = 0; i < RG_I_GNN_N_TABLES; i++) {
            is_table |= t->dtype == RG_DTYPE_F32 && t->offset == o->offset[i];
        }
        if (t->dtype == RG_DTYPE_F32 && !is_table) {
            rg_param_zero(o->grads + t->offset, (size_t) (t->rows * t->cols));
        }
    }
}

void rg_i_gnn_opt_free(rg_i_gnn_opt_t *o) {
    free(o->grads);
    for (int i = 0; i < RG_I_GNN_N_TABLES; i++) {
        free(o->rows[i]);
        free(o->seen[i]);
    }
    rg_adam_free(&o->adam);
    memset(o, 0, sizeof *o);
}

/* ---- node features ---- */

#define RG_I_GNN_N_AGE 7
#define RG_I_GNN_N_GENDER 2

/* The age bucket of an age in years or of ML-1M's age code (the bucket's lower bound). */
static int rg_i_gnn_age_bucket(int32_t age) {
    static const int32_t lower[RG_I_GNN_N_AGE - 1] = {18, 25, 35, 45, 50, 56};
    int b = 0;
    while (b < RG_I_GNN_N_AGE - 1 && age >= lower[b]) {
        b++;
    }
    return b;
}

int64_t rg_i_gnn_feat_rows(const rg_graph_t *g) {
    int64_t n = g->n_genres;
    if (g->has_demographics) {
        n += RG_I_GNN_N_GENDER + RG_I_GNN_N_AGE + g->n_occupations;
    }
    return n > 0 ? n : 1;
}

void rg_i_gnn_feat_free(rg_i_gnn_feat_t *f) {
    free(f->fptr);
    free(f->fidx);
    free(f->fw);
    memset(f, 0, sizeof *f);
}

rg_error_t rg_i_gnn_feat_init(rg_i_gnn_feat_t *f, const rg_graph_t *g) {
    int64_t U = g->n_users, M = g->n_movies, N = U + M, G = g->n_genres;
    memset(f, 0, sizeof *f);
    f->n_rows = rg_i_gnn_feat_rows(g);
    int64_t per_user = g->has_demographics ? 3 : 0, per_movie = G;
    size_t cap = (size_t) (U * per_user + M * per_movie + 1);
    f->fptr = rg_malloc((size_t) (N + 1) * sizeof *f->fptr);
    f->fidx = rg_malloc(cap * sizeof *f->fidx);
    f->fw = rg_malloc(cap * sizeof *f->fw);
    if (!f->fptr || !f->fidx || !f->fw) {
        rg_i_gnn_feat_free(f);
        RG_ERROR(RG_ENOMEM, "gnn features: cannot allocate the feature lists of %lld nodes",
                 (long long) N);
    }
    int64_t k = 0;
    f->fptr[0] = 0;
    for (int64_t u = 0; u < U; u++) {
        if (g->has_demographics) {
            int32_t base = (int32_t) G;
            if (g->user_gender[u] == RG_GENDER_M || g->user_gender[u] == RG_GENDER_F) {
                f->fidx[k] = base + (g->user_gender[u] == RG_GENDER_F);
                f->fw[k++] = 1.0f;
            }
            base += RG_I_GNN_N_GENDER;
            if (g->user_age[u] >= 0) {
                f->fidx[k] = base + rg_i_gnn_age_bucket(g->user_age[u]);
                f->fw[k++] = 1.0f;
            }
            base += RG_I_GNN_N_AGE;
            if (g->user_occupation[u] >= 0 && g->user_occupation[u] < g->n_occupations) {
                f->fidx[k] = base + g->user_occupation[u];
                f->fw[k++] = 1.0f;
            }
        }
        f->fptr[u + 1] = k;
    }
    for (int64_t j = 0; j < M; j++) {
        uint32_t bits = g->movie_genres[j];
        int n = __builtin_popcount(bits);
        for (int64_t gi = 0; gi < G && n > 0; gi++) {
            if (bits & (1u << gi)) {
                f->fidx[k] = (int32_t) gi;
                f->fw[k++] = 1.0f / (float) n;
            }
        }
        f->fptr[U + j + 1] = k;
    }
    return RG_SUCCESS;
}

rg_error_t rg_i_gnn_avg_init(rg_i_gnn_avg_t *a, size_t n_params) {
    memset(a, 0, sizeof *a);
    size_t n = n_params > 0 ? n_params : 1;
    a->avg = rg_malloc(n * sizeof *a->avg);
    a->fast = rg_malloc(n * sizeof *a->fast);
    if (a->avg == NULL || a->fast == NULL) {
        rg_i_gnn_avg_free(a);
        RG_ERROR(RG_ENOMEM, "gnn averaging: cannot allocate 2 x %zu floats", n_params);
    }
    return RG_SUCCESS;
}

void rg_i_gnn_avg_free(rg_i_gnn_avg_t *a) {
    free(a->avg);
    free(a->fast);
    memset(a, 0, sizeof *a);
}

void rg_i_gnn_avg_begin(rg_i_gnn_avg_t *a, rg_model_t *m, double horizon_epochs,
                        double steps_per_epoch) {
    if (a->has_fast) {
        memcpy(m->params, a->fast, m->n_params * sizeof *m->params);
    }
    double horizon = horizon_epochs * steps_per_epoch;
    horizon = horizon > 1.0 ? horizon : 1.0;
    a->every = (int64_t) (horizon / 32.0);
    a->every = a->every > 1 ? a->every : 1;
    a->beta = pow(1.0 - 1.0 / horizon, (double) a->every);
}

/* avg = (1 - w) avg + w params with w = max(1 - beta, 1 / n_avg): the plain mean of the first
 * iterates, then the exponential average (the first update copies). */
static void rg_i_gnn_avg_update(rg_i_gnn_avg_t *a, const rg_model_t *m) {
    if (a->n_avg++ == 0) {
        memcpy(a->avg, m->params, m->n_params * sizeof *a->avg);
        return;
    }
    double w = 1.0 / (double) a->n_avg;
    float wf = (float) (w > 1.0 - a->beta ? w : 1.0 - a->beta);
    for (size_t i = 0; i < m->n_params; i++) {
        a->avg[i] += wf * (m->params[i] - a->avg[i]);
    }
}

void rg_i_gnn_avg_step(rg_i_gnn_avg_t *a, const rg_model_t *m) {
    if (a->n_steps++ % a->every == 0) {
        rg_i_gnn_avg_update(a, m);
    }
}

void rg_i_gnn_avg_end(rg_i_gnn_avg_t *a, rg_model_t *m) {
    if (a->n_avg == 0) {
        rg_i_gnn_avg_update(a, m); /* an epoch without a step: average what there is */
    }
    memcpy(a->fast, m->params, m->n_params * sizeof *m->params);
    memcpy(m->params, a->avg, m->n_params * sizeof *m->params);
    a->has_fast = 1;
}

float rg_i_gnn_lr(const rg_model_t *m, int epoch) {
    rg_lr_schedule_t s;
    rg_lr_schedule_init(&s, m->hp.lr);
    s.kind = RG_LR_COSINE;
    s.lr_min = RG_I_GNN_LR_FLOOR * m->hp.lr;
    s.total_steps = m->hp.epochs > 1 ? m->hp.epochs - 1 : 1;
    return rg_lr_at(&s, epoch);
}

void rg_i_gnn_head_forward(float *pred, const float *s, const int32_t *users,
                           const int32_t *movies, const float *bu, const float *bm, float mu,
                           int64_t n) {
    for (int64_t i = 0; i < n; i++) {
        pred[i] = mu + bu[users[i]] + bm[movies[i]] + (s ? s[i] : 0.0f);
    }
}

void rg_i_gnn_head_backward(float *dbu, float *dbm, const float *dpred, const int32_t *users,
                            const int32_t *movies, int64_t n) {
    for (int64_t i = 0; i < n; i++) {
        /* forward was: pred = mu + bu[u] + bm[m] + s */
        dbu[users[i]] += dpred[i];
        dbm[movies[i]] += dpred[i];
    }
}

/* ---- input rows ---- */

void rg_i_gnn_inputs_forward(float *x, int scatter, const float *emb, const float *feat,
                             const rg_i_gnn_feat_t *f, const int32_t *ids, int64_t n,
                             int64_t offset, int D, int n_threads) {
    int nt = rg_i_threads(rg_i_gnn_threads(n_threads, 64.0 * (double) n * D));
    (void) nt;
#ifdef _OPENMP
#pragma omp parallel for schedule(static) num_threads(nt)
#endif
    for (int64_t i = 0; i < n; i++) {
        int64_t r = ids ? ids[i] : i, v = offset + r;
        float *xi = x + (size_t) (scatter ? r : i) * (size_t) D;
        memcpy(xi, emb + (size_t) r * (size_t) D, (size_t) D * sizeof *xi);
        for (int64_t k = f->fptr[v]; k < f->fptr[v + 1]; k++) {
            const float *fr = feat + (size_t) f->fidx[k] * (size_t) D;
            const float wk = f->fw[k]; /* hoisted: xi could alias fw for the compiler */
            for (int c = 0; c < D; c++) {
                xi[c] += wk * fr[c];
            }
        }
    }
}

void rg_i_gnn_inputs_backward(float *gemb, float *gfeat, float *dx, int scatter, int clear,
                              const rg_i_gnn_feat_t *f, const int32_t *ids, int64_t n,
                              int64_t offset, int D, int n_threads) {
    int nt = rg_i_threads(rg_i_gnn_threads(n_threads, 64.0 * (double) n * D));
    (void) nt;
#ifdef _OPENMP
#pragma omp parallel num_threads(nt)
#endif
    {
        int tid, nthr;
        rg_i_team(&tid, &nthr);
#ifdef _OPENMP
#pragma omp for schedule(static) nowait
#endif
        for (int64_t i = 0; i < n; i++) {
            int64_t r = ids ? ids[i] : i;
            float *ge = gemb + (size_t) r * (size_t) D;
            const float *di = dx + (size_t) (scatter ? r : i) * (size_t) D;
            for (int c = 0; c < D; c++) {
                ge[c] += di[c];
            }
        }
        int64_t lo = f->n_rows * tid / nthr, hi = f->n_rows * (tid + 1) / nthr;
        for (int64_t i = 0; i < n; i++) {
            int64_t r = ids ? ids[i] : i, v = offset + r;
            const float *di = dx + (size_t) (scatter ? r : i) * (size_t) D;
            for (int64_t k = f->fptr[v]; k < f->fptr[v + 1]; k++) {
                if (f->fidx[k] >= lo && f->fidx[k] < hi) {
                    float *gf = gfeat + (size_t) f->fidx[k] * (size_t) D;
                    const float wk = f->fw[k];
                    for (int c = 0; c < D; c++) {
                        gf[c] += wk * di[c];
                    }
                }
            }
        }
        if (clear) {
#ifdef _OPENMP
#pragma omp barrier /* every thread has read every dx row */
#pragma omp for schedule(static)
#endif
            for (int64_t i = 0; i < n; i++) {
                int64_t r = ids ? ids[i] : i;
                memset(dx + (size_t) (scatter ? r : i) * (size_t) D, 0, (size_t) D * sizeof *dx);
            }
        }
    }
}
