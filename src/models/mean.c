/* mean.c: the global-mean baseline: every rating is predicted as the mean training rating.  No
 * tensors; the mean itself is m->global_mean, saved in the model file's header.  Its ranking
 * scores are constant, so its top-N lists are the ranking's tie order (lowest ids first): it is
 * a floor for the rating metrics, not a recommender. */
#include "reelgraph/model.h"

static double rg_i_sq_error(const rg_graph_t *g, double mu) {
    double sse = 0.0;
    for (int64_t e = 0; e < g->n_ratings; e++) {
        double d = g->rating[e] - mu;
        sse += d * d;
    }
    return g->n_ratings > 0 ? sse / (double) g->n_ratings : 0.0;
}

static rg_error_t rg_mean_init(rg_model_t *m, const rg_graph_t *train) {
    (void) train;
    rg_hp_default_i(&m->hp.epochs, 1);
    return rg_model_alloc(m);
}

/* The mean is fixed by rg_model_init; an epoch only reports its training MSE. */
static rg_error_t rg_mean_epoch(rg_model_t *m, const rg_graph_t *train, int epoch,
                                double *loss) {
    (void) epoch;
    *loss = rg_i_sq_error(train, m->global_mean);
    return RG_SUCCESS;
}

static rg_error_t rg_mean_predict(const rg_model_t *m, const rg_graph_t *train, int64_t n,
                                  const int32_t *users, const int32_t *movies, float *out) {
    (void) train;
    (void) users;
    (void) movies;
    for (int64_t i = 0; i < n; i++) {
        out[i] = (float) m->global_mean;
    }
    return RG_SUCCESS;
}

static rg_error_t rg_mean_score(const rg_model_t *m, const rg_graph_t *train, int32_t u,
                                float *out) {
    (void) train;
    (void) u;
    for (int64_t j = 0; j < m->n_movies; j++) {
        out[j] = (float) m->global_mean;
    }
    return RG_SUCCESS;
}

const rg_model_ops_t rg_model_mean = {
    .name = "mean",
    .summary = "global mean rating (a floor for the rating metrics)",
    .predicts_ratings = 1,
    .val_fraction_default = -1.0f, /* fixed epochs: use every training rating */
    .init = rg_mean_init,
    .epoch = rg_mean_epoch,
    .predict = rg_mean_predict,
    .score = rg_mean_score,
};
