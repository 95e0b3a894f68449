/* bias.c: the baseline predictor r(u, m) = mu + b_u + b_m, with L2-regularised biases fitted by
 * alternating closed-form (ALS) updates, as in Koren's "Factor in the neighbors" baselines:
 *   b_u = sum_{m in R(u)} (r - mu - b_m) / (reg_u + |R(u)|)     (all users, in parallel)
 *   b_m = sum_{u in R(m)} (r - mu - b_u) / (reg_m + |R(m)|)     (all movies, in parallel)
 * Each epoch is one sweep of both; a handful of sweeps converge.  Users are damped more than
 * movies (reg_u = RG_BIAS_USER_DAMPING * reg) because a user's few ratings say less about a
 * general leniency than a movie's many ratings say about its quality.
 * Tensors: user_bias (U, 1), movie_bias (M, 1).  Hyper-parameters: reg (default 3), epochs
 * (default 10).  Cost per epoch O(E), no allocation. */
#ifdef _OPENMP
#include <omp.h>
#endif

#include "reelgraph/model.h"

#define RG_BIAS_USER_DAMPING 1.5f

static rg_error_t rg_bias_init(rg_model_t *m, const rg_graph_t *train) {
    (void) train;
    rg_hp_default_i(&m->hp.epochs, 10);
    rg_hp_default_f(&m->hp.reg, 3.0f);
    if (!(m->hp.reg >= 0.0f)) {
        RG_ERROR(RG_EINVAL, "bias: reg %g must be >= 0", (double) m->hp.reg);
    }
    RG_CHECK(rg_model_declare(m, "user_bias", RG_DTYPE_F32, m->n_users, 1));
    RG_CHECK(rg_model_declare(m, "movie_bias", RG_DTYPE_F32, m->n_movies, 1));
    return rg_model_alloc(m); /* zero biases: the first sweep starts from the global mean */
}

static rg_error_t rg_bias_epoch(rg_model_t *m, const rg_graph_t *g, int epoch, double *loss) {
    (void) epoch;
    float *bu = rg_model_f32(m, "user_bias"), *bm = rg_model_f32(m, "movie_bias");
    double mu = m->global_mean, reg_u = RG_BIAS_USER_DAMPING * m->hp.reg, reg_m = m->hp.reg;
    int nt = m->hp.n_threads;
    (void) nt;
#ifdef _OPENMP
#pragma omp parallel for schedule(dynamic, 64) num_threads(nt > 0 ? nt : omp_get_max_threads())
#endif
    for (int64_t u = 0; u < g->n_users; u++) {
        double s = 0.0;
        for (int64_t e = g->user_ptr[u]; e < g->user_ptr[u + 1]; e++) {
            s += g->rating[e] - mu - bm[g->user_adj[e]];
        }
        bu[u] = (float) (s / (reg_u + (double) (g->user_ptr[u + 1] - g->user_ptr[u])));
    }
    double sse = 0.0;
#ifdef _OPENMP
#pragma omp parallel for schedule(dynamic, 64) num_threads(nt > 0 ? nt : omp_get_max_threads()) \
    reduction(+ : sse)
#endif
    for (int64_t j = 0; j < g->n_movies; j++) {
        double s = 0.0;
        int64_t d = g->movie_ptr[j + 1] - g->movie_ptr[j];
        for (int64_t p = g->movie_ptr[j]; p < g->movie_ptr[j + 1]; p++) {
            s += g->rating[g->movie_eid[p]] - mu - bu[g->movie_adj[p]];
        }
        bm[j] = (float) (s / (reg_m + (double) d));
        for (int64_t p = g->movie_ptr[j]; p < g->movie_ptr[j + 1]; p++) {
            double r = g->rating[g->movie_eid[p]] - mu - bu[g->movie_adj[p]] - bm[j];
            sse += r * r;
        }
    }
    *loss = g->n_ratings > 0 ? sse / (double) g->n_ratings : 0.0;
    return RG_SUCCESS;
}

static rg_error_t rg_bias_predict(const rg_model_t *m, const rg_graph_t *train, int64_t n,
                                  const int32_t *users, const int32_t *movies, float *out) {
    (void) train;
    const float *bu = rg_model_f32(m, "user_bias"), *bm = rg_model_f32(m, "movie_bias");
    for (int64_t i = 0; i < n; i++) {
        out[i] = (float) (m->global_mean + bu[users[i]] + bm[movies[i]]);
    }
    return RG_SUCCESS;
}

static rg_error_t rg_bias_score(const rg_model_t *m, const rg_graph_t *train, int32_t u,
                                float *out) {
    (void) train;
    const float *bu = rg_model_f32(m, "user_bias"), *bm = rg_model_f32(m, "movie_bias");
    for (int64_t j = 0; j < m->n_movies; j++) {
        out[j] = (float) (m->global_mean + bu[u] + bm[j]);
    }
    return RG_SUCCESS;
}

/* A new user's bias is the same closed form as in an epoch, with the movie biases fixed. */
static rg_error_t rg_bias_fold_in(const rg_model_t *m, const rg_graph_t *train, int64_t n,
                                  const int32_t *movies, const float *ratings, float *out) {
    (void) train;
    const float *bm = rg_model_f32(m, "movie_bias");
    double s = 0.0;
    for (int64_t i = 0; i < n; i++) {
        s += ratings[i] - m->global_mean - bm[movies[i]];
    }
    double b = s / (RG_BIAS_USER_DAMPING * m->hp.reg + (double) n);
    for (int64_t j = 0; j < m->n_movies; j++) {
        out[j] = (float) (m->global_mean + b + bm[j]);
    }
    return RG_SUCCESS;
}

/* After a load: both bias vectors must match the graph, so a crafted or foreign model file is
 * refused instead of read out of bounds. */
static rg_error_t rg_bias_attach(rg_model_t *m, const rg_graph_t *train) {
    RG_CHECK(rg_model_expect(m, "user_bias", RG_DTYPE_F32, train->n_users, 1));
    return rg_model_expect(m, "movie_bias", RG_DTYPE_F32, train->n_movies, 1);
}

const rg_model_ops_t rg_model_bias = {
    .name = "bias",
    .summary = "global mean + regularised user and movie biases (ALS)",
    .predicts_ratings = 1,
    .val_fraction_default = -1.0f, /* fixed epochs: use every training rating */
    .init = rg_bias_init,
    .epoch = rg_bias_epoch,
    .attach = rg_bias_attach,
    .predict = rg_bias_predict,
    .score = rg_bias_score,
    .fold_in = rg_bias_fold_in,
};
