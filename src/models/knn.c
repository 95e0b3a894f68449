/* knn.c: neighbourhood collaborative filtering, user-based (`knn-user`) and item-based
 * (`knn-item`), as message passing over the store.
 *
 * The "row" side is users for knn-user and movies for knn-item.  Training fits a baseline
 * b_ui = mu + b_u + b_i and keeps, for every row node, its L most similar row nodes from the
 * two-hop co-rating similarity pass of query.h (rg_sim_topk_all, shrunk by
 * n_common / (n_common + shrink)).  A rating is predicted as
 *
 *     r_ui = b_ui + sum_n s_n (r_n - b_n) / (sum_n s_n + beta)
 *
 * over the first k neighbours n with s_n > 0 in the row's list that rated the target (knn-user:
 * users v similar to u who rated i, r_n = r_vi; knn-item: movies j similar to i that u rated,
 * r_n = r_uj), and is the baseline alone when no listed neighbour rated the target.  beta
 * damps corrections that rest on few or weak neighbours.
 *
 * The metric string is "NAME[:CENTRE]".  NAME: cosine, pearson, adjusted-cosine (query.h), or
 * pearson-base (Pearson correlation of the baseline residuals r - b_ui, computed by the same
 * pass).  CENTRE: "baseline" (default) or "mean":
 *   baseline: b_u, b_i regularised biases fitted by ALS sweeps, one per epoch (the bias model's
 *             sweep: reg on movies, 1.5 reg on users);
 *   mean:     knn-user b_u = mean of u's ratings - mu, b_i = 0; knn-item b_i = mean of i's
 *             ratings - mu, b_u = 0 (the classic mean-centred neighbourhood formula).
 *
 * Hyper-parameters (defaults): k neighbours per prediction (40); dim = stored list length L
 * (500: neighbours are searched among the L most similar rows only); shrink (100); metric
 * (knn-user "pearson-base", knn-item "adjusted-cosine"); reg (3); beta (0.3); epochs = ALS
 * sweeps (3).
 *
 * Tensors: "user_bias" (U, 1), "movie_bias" (M, 1) (mu is m->global_mean), and the lists
 * "<side>_neighbors" (R, L) I32 (-1 padded) with "<side>_neighbor_sims" (R, L) F32, side "user"
 * or "movie", so `similar MODEL` can read them.
 *
 * Cost: per epoch O(sum over the other side of deg^2) for the similarity pass plus O(E) for the
 * sweep; a prediction O(L log d); score() of one user O(M L) (knn-item) or O(L d) (knn-user);
 * fold-in: knn-item O(M L), knn-user O(E) (a copy of the graph with the user added).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "reelgraph/model.h"
#include "reelgraph/query.h"

typedef enum { KNN_CENTRE_BASELINE = 0, KNN_CENTRE_MEAN } knn_centre_t;

/* Defaults chosen by RMSE on a random 20% validation split of ML-100K u1.base (never u1.test):
 * knn-item adjusted-cosine 0.9167 (pearson-base 0.920, pearson 0.927, cosine 0.933), knn-user
 * pearson-base 0.924 (pearson 0.927, cosine 0.936); bias alone 0.942. */
#define KNN_DEFAULT_METRIC_USER "pearson-base"
#define KNN_DEFAULT_METRIC_ITEM "adjusted-cosine"
#define KNN_DEFAULT_REG 3.0f
#define KNN_DEFAULT_DAMP 0.3f
#define KNN_DEFAULT_LIST 500  /* stored neighbours per row */
#define KNN_DEFAULT_SWEEPS 3

extern const rg_model_ops_t rg_model_knn_user, rg_model_knn_item;
/* The baseline's ALS sweep is the bias model's epoch (bias.c): it reads and writes the tensors
 * "user_bias" and "movie_bias", m->global_mean and m->hp.reg, which this model shares. */
extern const rg_model_ops_t rg_model_bias;

/* Runtime state: how the model was configured, and which graph its tensors were fitted on (so
 * rg_trainer_finish's attach(train) refits on all the training ratings after validating on fit;
 * a loaded model has no fit record and uses its tensors as they are). */
typedef struct {
    rg_side_t side;            /* RG_SIDE_USER: knn-user */
    knn_centre_t centre;
    rg_sim_metric_t metric;
    int residual;              /* pearson-base: similarity of baseline residuals */
    int fitted;                /* tensors describe the graph below */
    int64_t fit_n;
    uint64_t fit_fingerprint;
    int sweeps;                /* ALS sweeps run on that graph */
    int lists_built;           /* neighbour lists computed on that graph */
} knn_state_t;

/* Tensor views. */
typedef struct {
    float *bu, *bi;
    float mu;
    float damp;         /* hp.beta, added to the similarity sum */
    int32_t *nbr;
    float *sim;
    int64_t n_rows;
    int32_t L;
} knn_view_t;

static const char *knn_nbr_name(rg_side_t side) {
    return side == RG_SIDE_USER ? "user_neighbors" : "movie_neighbors";
}
static const char *knn_sim_name(rg_side_t side) {
    return side == RG_SIDE_USER ? "user_neighbor_sims" : "movie_neighbor_sims";
}

/* Parses "NAME[:CENTRE]" into a similarity metric and a centring. */
static rg_error_t knn_parse_metric(const char *text, rg_sim_metric_t *metric,
                                   knn_centre_t *centre, int *residual) {
    char name[sizeof(((rg_hparams_t *) 0)->metric)];
    size_t len = strcspn(text, ":");
    if (len >= sizeof name) {
        RG_ERROR(RG_EINVAL, "knn: metric '%s' too long", text);
    }
    memcpy(name, text, len);
    name[len] = '\0';
    *centre = KNN_CENTRE_BASELINE;
    if (text[len] == ':') {
        const char *c = text + len + 1;
        if (strcmp(c, "mean") == 0) {
            *centre = KNN_CENTRE_MEAN;
        } else if (strcmp(c, "baseline") != 0) {
            RG_ERROR(RG_EINVAL, "knn: metric '%s': centring '%s' is neither 'baseline' nor "
                     "'mean'", text, c);
        }
    }
    *residual = strcmp(name, "pearson-base") == 0;
    if (*residual) {
        *metric = RG_SIM_PEARSON;
        if (*centre != KNN_CENTRE_BASELINE) {
            RG_ERROR(RG_EINVAL, "knn: metric '%s': pearson-base needs baseline centring", text);
        }
    } else if (rg_sim_metric_parse(name, metric) != RG_SUCCESS) {
        RG_ERROR(RG_EINVAL, "knn: metric '%s': unknown similarity '%s' (cosine, pearson, "
                 "adjusted-cosine, pearson-base)", text, name);
    }
    return RG_SUCCESS;
}

static rg_side_t knn_side(const rg_model_t *m) {
    return m->ops == &rg_model_knn_user ? RG_SIDE_USER : RG_SIDE_MOVIE;
}

static rg_error_t knn_view(const rg_model_t *m, rg_side_t side, knn_view_t *v) {
    const rg_tensor_t *t = rg_model_tensor(m, knn_nbr_name(side));
    v->bu = rg_model_f32(m, "user_bias");
    v->bi = rg_model_f32(m, "movie_bias");
    v->mu = (float) m->global_mean;
    v->damp = m->hp.beta;
    v->nbr = rg_model_i32(m, knn_nbr_name(side));
    v->sim = rg_model_f32(m, knn_sim_name(side));
    if (t == NULL || v->bu == NULL || v->bi == NULL || v->nbr == NULL
        || v->sim == NULL) {
        RG_ERROR(RG_EFORMAT, "%s: model lacks its bias or neighbour-list tensors", m->ops->name);
    }
    v->n_rows = t->rows;
    v->L = (int32_t) t->cols;
    return RG_SUCCESS;
}

static void knn_release(rg_model_t *m) {
    free(m->impl);
    m->impl = NULL;
}

static rg_error_t knn_state_new(rg_model_t *m) {
    knn_release(m);
    knn_state_t *s = rg_calloc(1, sizeof *s);
    if (s == NULL) {
        RG_ERROR(RG_ENOMEM, "%s: cannot allocate the model state", m->ops->name);
    }
    s->side = knn_side(m);
    rg_error_t rc = knn_parse_metric(m->hp.metric, &s->metric, &s->centre, &s->residual);
    if (rc != RG_SUCCESS) {
        free(s);
        return rc;
    }
    m->impl = s;
    return RG_SUCCESS;
}

/* ---- fitting ---- */

/* MSE of the baseline mu + b_u + b_i over the edges of g (mean centring's epoch loss). */
static double knn_baseline_mse(const knn_view_t *v, const rg_graph_t *g) {
    double se = 0.0;
    for (int32_t u = 0; u < (int32_t) g->n_users; u++) {
        for (int64_t e = g->user_ptr[u]; e < g->user_ptr[u + 1]; e++) {
            double d = g->rating[e] - (v->mu + v->bu[u] + v->bi[g->user_adj[e]]);
            se += d * d;
        }
    }
    return g->n_ratings > 0 ? se / (double) g->n_ratings : 0.0;
}

/* Mean centring: the row side's own mean rating minus mu (0 without ratings), the other 0. */
static void knn_fit_means(const knn_view_t *v, const rg_graph_t *g, rg_side_t side) {
    const float mu = v->mu;
    memset(v->bu, 0, (size_t) g->n_users * sizeof *v->bu);
    memset(v->bi, 0, (size_t) g->n_movies * sizeof *v->bi);
    if (side == RG_SIDE_USER) {
        for (int32_t u = 0; u < (int32_t) g->n_users; u++) {
            double s = 0.0;
            int64_t d = rg_graph_user_degree(g, u);
            for (int64_t e = g->user_ptr[u]; e < g->user_ptr[u + 1]; e++) {
                s += g->rating[e];
            }
            v->bu[u] = d > 0 ? (float) (s / (double) d) - mu : 0.0f;
        }
    } else {
        for (int32_t i = 0; i < (int32_t) g->n_movies; i++) {
            double s = 0.0;
            int64_t d = rg_graph_movie_degree(g, i);
            for (int64_t p = g->movie_ptr[i]; p < g->movie_ptr[i + 1]; p++) {
                s += g->rating[g->movie_eid[p]];
            }
            v->bi[i] = d > 0 ? (float) (s / (double) d) - mu : 0.0f;
        }
    }
}

/* The neighbour lists of every row node by the similarity pass over g.  For "pearson-base" the
 * pass runs on the baseline residuals r - (mu + b_u + b_i) of the current biases, written over
 * the centred edge values of a pearson context (query.h's documented layout: val in the row
 * side's CSR order, oval in the other side's, user-CSR position = edge id): Pearson correlation
 * of the residuals over the co-rated support, Koren's baseline-centred similarity. */
static rg_error_t knn_build_lists(const rg_model_t *m, const knn_state_t *s, const knn_view_t *v,
                                  const rg_graph_t *g) {
    rg_error_t rc = RG_SUCCESS;
    rg_sim_t sim;
    memset(&sim, 0, sizeof sim);
    rg_sim_opts_t o;
    rg_sim_opts_default(&o);
    o.metric = s->metric;
    o.shrink = m->hp.shrink;
    o.n_threads = m->hp.n_threads;
    RG_TRY(rg_sim_init(&sim, g, s->side, &o));
    if (s->residual) {
        float *v_user = s->side == RG_SIDE_USER ? sim.val : sim.oval;
        float *v_movie = s->side == RG_SIDE_USER ? sim.oval : sim.val;
        for (int32_t u = 0; u < (int32_t) g->n_users; u++) {
            for (int64_t e = g->user_ptr[u]; e < g->user_ptr[u + 1]; e++) {
                v_user[e] = g->rating[e] - (v->mu + v->bu[u] + v->bi[g->user_adj[e]]);
            }
        }
        for (int64_t p = 0; p < g->n_ratings; p++) {
            v_movie[p] = v_user[g->movie_eid[p]];
        }
    }
    RG_TRY(rg_sim_topk_all(&sim, v->L, v->nbr, v->sim));
cleanup:
    rg_sim_free(&sim);
    return rc;
}

static int knn_fitted_on(const knn_state_t *s, const rg_graph_t *g) {
    return s->fitted && s->fit_n == g->n_ratings && s->fit_fingerprint == g->fingerprint;
}

/* Starts a fit on g: biases reset (mean centring: fitted at once).  mu is m->global_mean, the
 * mean of all training ratings (rg_model_init), as in the bias model. */
static void knn_fit_start(knn_state_t *s, const knn_view_t *v, const rg_graph_t *g) {
    if (s->centre == KNN_CENTRE_MEAN) {
        knn_fit_means(v, g, s->side);
    } else {
        memset(v->bu, 0, (size_t) g->n_users * sizeof *v->bu);
        memset(v->bi, 0, (size_t) g->n_movies * sizeof *v->bi);
    }
    s->fitted = 1;
    s->fit_n = g->n_ratings;
    s->fit_fingerprint = g->fingerprint;
    s->sweeps = 0;
    s->lists_built = 0;
}

/* Resolves the defaults, checks them and declares the tensors. */
static rg_error_t knn_init(rg_model_t *m, const rg_graph_t *train) {
    (void) train;
    rg_hp_default_i(&m->hp.k, 40);
    rg_hp_default_i(&m->hp.dim, KNN_DEFAULT_LIST);
    rg_hp_default_f(&m->hp.shrink, 100.0f);
    rg_hp_default_f(&m->hp.reg, KNN_DEFAULT_REG);
    rg_hp_default_i(&m->hp.epochs, KNN_DEFAULT_SWEEPS);
    rg_hp_default_f(&m->hp.beta, KNN_DEFAULT_DAMP);
    if (m->hp.metric[0] == '\0') {
        strcpy(m->hp.metric, knn_side(m) == RG_SIDE_USER ? KNN_DEFAULT_METRIC_USER
                                                         : KNN_DEFAULT_METRIC_ITEM);
    }
    if (m->hp.k < 1 || m->hp.dim < 1 || !(m->hp.shrink >= 0.0f) || !(m->hp.reg >= 0.0f)
        || !(m->hp.beta >= 0.0f)) {
        RG_ERROR(RG_EINVAL, "%s: need k >= 1, dim (list length) >= 1, shrink >= 0, reg >= 0, "
                 "beta >= 0 (got %d, %d, %g, %g, %g)", m->ops->name, m->hp.k, m->hp.dim,
                 (double) m->hp.shrink, (double) m->hp.reg, (double) m->hp.beta);
    }
    if (m->hp.dim < m->hp.k) {
        m->hp.dim = m->hp.k; /* a list shorter than k could never supply k neighbours */
    }
    RG_CHECK(knn_state_new(m));
    rg_side_t side = knn_side(m);
    int64_t rows = side == RG_SIDE_USER ? m->n_users : m->n_movies;
    RG_CHECK(rg_model_declare(m, "user_bias", RG_DTYPE_F32, m->n_users, 1));
    RG_CHECK(rg_model_declare(m, "movie_bias", RG_DTYPE_F32, m->n_movies, 1));
    RG_CHECK(rg_model_declare(m, knn_nbr_name(side), RG_DTYPE_I32, rows, m->hp.dim));
    RG_CHECK(rg_model_declare(m, knn_sim_name(side), RG_DTYPE_F32, rows, m->hp.dim));
    return rg_model_alloc(m);
}

/* Epoch: one ALS sweep of the biases (baseline centring); the neighbour lists by the similarity
 * pass after the first sweep on a graph and, for pearson-base (whose similarity depends on the
 * biases), again after the last.  *loss = baseline MSE. */
static rg_error_t knn_epoch(rg_model_t *m, const rg_graph_t *g, int epoch, double *loss) {
    knn_state_t *s = m->impl;
    knn_view_t v;
    if (s == NULL) {
        RG_ERROR(RG_EINVAL, "%s: epoch before init", m->ops->name);
    }
    if (g->n_users != m->n_users || g->n_movies != m->n_movies) {
        RG_ERROR(RG_EINVAL, "%s: graph has %lld users / %lld movies, the model %lld / %lld",
                 m->ops->name, (long long) g->n_users, (long long) g->n_movies,
                 (long long) m->n_users, (long long) m->n_movies);
    }
    RG_CHECK(knn_view(m, s->side, &v));
    if (!knn_fitted_on(s, g)) {
        knn_fit_start(s, &v, g);
    }
    if (s->centre == KNN_CENTRE_BASELINE) {
        RG_CHECK(rg_model_bias.epoch(m, g, epoch, loss));
    } else {
        *loss = knn_baseline_mse(&v, g);
    }
    s->sweeps++;
    /* lists of a bias-free similarity once per graph; pearson-base's again after the last sweep */
    if (!s->lists_built || (s->residual && epoch == m->hp.epochs - 1)) {
        RG_CHECK(knn_build_lists(m, s, &v, g));
        s->lists_built = 1;
    }
    return RG_SUCCESS;
}

/* After training on fit, attach(train) refits on all the training ratings with the same number
 * of sweeps; after loading, the tensors are used as saved. */
static rg_error_t knn_attach(rg_model_t *m, const rg_graph_t *train) {
    knn_view_t v;
    if (train->n_users != m->n_users || train->n_movies != m->n_movies) {
        RG_ERROR(RG_EINVAL, "%s: graph has %lld users / %lld movies, the model %lld / %lld",
                 m->ops->name, (long long) train->n_users, (long long) train->n_movies,
                 (long long) m->n_users, (long long) m->n_movies);
    }
    if (m->impl == NULL) {
        RG_CHECK(knn_state_new(m));
    }
    knn_state_t *s = m->impl;
    RG_CHECK(knn_view(m, s->side, &v));
    int64_t rows = s->side == RG_SIDE_USER ? m->n_users : m->n_movies;
    if (v.n_rows != rows) {
        RG_ERROR(RG_EFORMAT, "%s: neighbour lists have %lld rows for %lld nodes", m->ops->name,
                 (long long) v.n_rows, (long long) rows);
    }
    for (size_t j = 0; j < (size_t) v.n_rows * (size_t) v.L; j++) { /* a list ends at -1 */
        if (v.nbr[j] >= rows) {
            RG_ERROR(RG_EFORMAT, "%s: neighbour %d in the lists is not a node (%lld nodes)",
                     m->ops->name, (int) v.nbr[j], (long long) rows);
        }
    }
    if (s->fitted && !knn_fitted_on(s, train)) {
        int sweeps = s->sweeps;
        double loss;
        knn_fit_start(s, &v, train);
        for (int t = 0; t < sweeps && s->centre == KNN_CENTRE_BASELINE; t++) {
            RG_CHECK(rg_model_bias.epoch(m, train, t, &loss));
        }
        s->sweeps = sweeps;
        RG_CHECK(knn_build_lists(m, s, &v, train));
        s->lists_built = 1;
    }
    return RG_SUCCESS;
}

/* ---- prediction ---- */

/* Accumulates neighbour n with similarity sim and residual res into *num / *den. */
static inline void knn_add(float sim, float res, double *num, double *den) {
    *num += (double) sim * res;
    *den += sim;
}

/* base + num / (den + damp): the damping pulls a correction resting on few or weakly similar
 * neighbours back towards the baseline (den > 0 only when some neighbour counted). */
static float knn_combine(float base, double num, double den, float damp) {
    return den > 0.0 ? base + (float) (num / (den + damp)) : base;
}

/* Predicted rating of (u, i) in g; ids already checked. */
static float knn_predict_one(const knn_view_t *v, const rg_graph_t *g, rg_side_t side, int32_t k,
                             int32_t u, int32_t i) {
    const float mu = v->mu;
    double num = 0.0, den = 0.0;
    int32_t found = 0;
    if (side == RG_SIDE_USER) {
        const int32_t *nb = v->nbr + (size_t) u * v->L;
        const float *sm = v->sim + (size_t) u * v->L;
        for (int32_t a = 0; a < v->L && found < k && nb[a] >= 0 && sm[a] > 0.0f; a++) {
            int64_t e = rg_graph_edge(g, nb[a], i);
            if (e >= 0) {
                knn_add(sm[a], g->rating[e] - (mu + v->bu[nb[a]] + v->bi[i]), &num, &den);
                found++;
            }
        }
    } else {
        const int32_t *nb = v->nbr + (size_t) i * v->L;
        const float *sm = v->sim + (size_t) i * v->L;
        for (int32_t a = 0; a < v->L && found < k && nb[a] >= 0 && sm[a] > 0.0f; a++) {
            int64_t e = rg_graph_edge(g, u, nb[a]);
            if (e >= 0) {
                knn_add(sm[a], g->rating[e] - (mu + v->bu[u] + v->bi[nb[a]]), &num, &den);
                found++;
            }
        }
    }
    return knn_combine(mu + v->bu[u] + v->bi[i], num, den, v->damp);
}

/* out (n): predicted ratings of the pairs; O(n L log d), parallel over pairs. */
static rg_error_t knn_predict(const rg_model_t *m, const rg_graph_t *g, int64_t n,
                              const int32_t *users, const int32_t *movies, float *out) {
    const knn_state_t *s = m->impl;
    knn_view_t v;
    if (s == NULL) {
        RG_ERROR(RG_EINVAL, "%s: predict before attach", m->ops->name);
    }
    RG_CHECK(knn_view(m, s->side, &v));
    for (int64_t a = 0; a < n; a++) {
        if (users[a] < 0 || users[a] >= m->n_users || movies[a] < 0
            || movies[a] >= m->n_movies) {
            RG_ERROR(RG_ERANGE, "%s: pair %lld (user %d, movie %d) out of range (%lld users, "
                     "%lld movies)", m->ops->name, (long long) a, users[a], movies[a],
                     (long long) m->n_users, (long long) m->n_movies);
        }
    }
    const rg_side_t side = s->side;
    const int32_t k = m->hp.k;
#ifdef _OPENMP
    const int n_threads = m->hp.n_threads > 0 ? m->hp.n_threads : omp_get_max_threads();
#pragma omp parallel for schedule(static) num_threads(n_threads)
#endif
    for (int64_t a = 0; a < n; a++) {
        out[a] = knn_predict_one(&v, g, side, k, users[a], movies[a]);
    }
    return RG_SUCCESS;
}

/* Scores (predicted ratings) of every movie for a user with baseline base (M) whose ratings
 * are given as res (M): residual r - base of each rated movie, NAN elsewhere.  knn-item only. */
static void knn_item_scores(const knn_view_t *v, const rg_model_t *m, const float *base,
                            const float *res, float *out) {
    for (int32_t i = 0; i < (int32_t) m->n_movies; i++) {
        const int32_t *nb = v->nbr + (size_t) i * v->L;
        const float *sm = v->sim + (size_t) i * v->L;
        double num = 0.0, den = 0.0;
        int32_t found = 0;
        for (int32_t a = 0; a < v->L && found < m->hp.k && nb[a] >= 0 && sm[a] > 0.0f; a++) {
            if (!isnan(res[nb[a]])) {
                knn_add(sm[a], res[nb[a]], &num, &den);
                found++;
            }
        }
        out[i] = knn_combine(base[i], num, den, v->damp);
    }
}

/* Scores of every movie for a user with baseline base (M) and neighbour list nb/sm (length L): one
 * scatter pass over the neighbours' ratings in similarity order, keeping the first k raters of
 * each movie (the same neighbours knn_predict_one picks).  knn-user only.  num, den (M) and
 * cnt (M) are workspaces. */
static void knn_user_scores(const knn_view_t *v, const rg_model_t *m, const rg_graph_t *g,
                            const float *base, const int32_t *nb, const float *sm, double *num,
                            double *den, int32_t *cnt, float *out) {
    const float mu = v->mu;
    memset(num, 0, (size_t) m->n_movies * sizeof *num);
    memset(den, 0, (size_t) m->n_movies * sizeof *den);
    memset(cnt, 0, (size_t) m->n_movies * sizeof *cnt);
    for (int32_t a = 0; a < v->L && nb[a] >= 0 && sm[a] > 0.0f; a++) {
        const int32_t w = nb[a];
        for (int64_t e = g->user_ptr[w]; e < g->user_ptr[w + 1]; e++) {
            int32_t i = g->user_adj[e];
            if (cnt[i] < m->hp.k) {
                knn_add(sm[a], g->rating[e] - (mu + v->bu[w] + v->bi[i]), &num[i], &den[i]);
                cnt[i]++;
            }
        }
    }
    for (int32_t i = 0; i < (int32_t) m->n_movies; i++) {
        out[i] = knn_combine(base[i], num[i], den[i], v->damp);
    }
}

/* Workspace of one score / fold-in call: the user's baseline (M floats) plus M doubles twice
 * and M int32 (knn-user) or M floats (knn-item).  Allocated per call so score stays safe to
 * call from several threads. */
typedef struct {
    float *base;
    double *num, *den;
    int32_t *cnt;
    float *res;
} knn_ws_t;

static void knn_ws_free(knn_ws_t *w) {
    free(w->num);
    free(w->den);
    free(w->cnt);
    free(w->res);
    free(w->base);
    memset(w, 0, sizeof *w);
}

static rg_error_t knn_ws_init(knn_ws_t *w, const rg_model_t *m, rg_side_t side) {
    memset(w, 0, sizeof *w);
    size_t n = (size_t) (m->n_movies > 0 ? m->n_movies : 1);
    w->base = rg_malloc(n * sizeof *w->base);
    if (side == RG_SIDE_USER) {
        w->num = rg_malloc(n * sizeof *w->num);
        w->den = rg_malloc(n * sizeof *w->den);
        w->cnt = rg_malloc(n * sizeof *w->cnt);
        if (w->base == NULL || w->num == NULL || w->den == NULL || w->cnt == NULL) {
            knn_ws_free(w);
            RG_ERROR(RG_ENOMEM, "%s: cannot allocate the scoring workspace (%lld movies)",
                     m->ops->name, (long long) m->n_movies);
        }
    } else {
        w->res = rg_malloc(n * sizeof *w->res);
        if (w->base == NULL || w->res == NULL) {
            knn_ws_free(w);
            RG_ERROR(RG_ENOMEM, "%s: cannot allocate the scoring workspace (%lld movies)",
                     m->ops->name, (long long) m->n_movies);
        }
    }
    return RG_SUCCESS;
}

/* out (M): the predicted rating of every movie for user u (the ranking score).  Thread-safe. */
static rg_error_t knn_score(const rg_model_t *m, const rg_graph_t *g, int32_t u, float *out) {
    rg_error_t rc = RG_SUCCESS;
    const knn_state_t *s = m->impl;
    knn_view_t v;
    knn_ws_t w;
    memset(&w, 0, sizeof w);
    if (s == NULL) {
        RG_FAIL(RG_EINVAL, "%s: score before attach", m->ops->name);
    }
    if (u < 0 || u >= m->n_users) {
        RG_FAIL(RG_ERANGE, "%s: user %d out of range [0, %lld)", m->ops->name, u,
                (long long) m->n_users);
    }
    RG_TRY(knn_view(m, s->side, &v));
    RG_TRY(knn_ws_init(&w, m, s->side));
    for (int32_t i = 0; i < (int32_t) m->n_movies; i++) {
        w.base[i] = v.mu + v.bu[u] + v.bi[i];
    }
    if (s->side == RG_SIDE_USER) {
        knn_user_scores(&v, m, g, w.base, v.nbr + (size_t) u * v.L, v.sim + (size_t) u * v.L,
                        w.num, w.den, w.cnt, out);
    } else {
        for (int32_t j = 0; j < (int32_t) m->n_movies; j++) {
            w.res[j] = NAN;
        }
        for (int64_t e = g->user_ptr[u]; e < g->user_ptr[u + 1]; e++) {
            int32_t j = g->user_adj[e];
            w.res[j] = g->rating[e] - w.base[j];
        }
        knn_item_scores(&v, m, w.base, w.res, out);
    }
cleanup:
    knn_ws_free(&w);
    return rc;
}

/* ---- fold-in ---- */

/* Baseline (M) of a new user from its ratings, everything else fixed.  Baseline centring: the
 * bias model's fold-in (its closed-form user step with the movie biases fixed).  Mean centring:
 * knn-user the mean of the given ratings, knn-item mu + b_i (no user term). */
static rg_error_t knn_fold_in_base(const rg_model_t *m, const knn_state_t *s,
                                   const knn_view_t *v, const rg_graph_t *g, int64_t n,
                                   const int32_t *movies, const float *ratings, float *base) {
    if (s->centre == KNN_CENTRE_BASELINE) {
        return rg_model_bias.fold_in(m, g, n, movies, ratings, base);
    }
    double sum = 0.0;
    for (int64_t a = 0; a < n; a++) {
        sum += ratings[a];
    }
    const float mean = n > 0 ? (float) (sum / (double) n) : v->mu;
    for (int32_t i = 0; i < (int32_t) m->n_movies; i++) {
        base[i] = s->side == RG_SIDE_USER ? mean : v->mu + v->bi[i];
    }
    return RG_SUCCESS;
}

/* knn-user fold-in: the new user's neighbours come from the similarity pass over a copy of the
 * training graph with the user added as its last node (internal id U: the dataset ids of the
 * copy are the training graph's, the new user's one above the largest).  O(E) for the copy. */
static rg_error_t knn_user_fold_in_list(const rg_model_t *m, const knn_state_t *s,
                                        const rg_graph_t *g, int64_t n, const int32_t *movies,
                                        const float *ratings, int32_t L, int32_t *nb,
                                        float *sm) {
    rg_error_t rc = RG_SUCCESS;
    rg_dataset_t d;
    rg_graph_t g2;
    rg_sim_t sim;
    rg_sim_workspace_t ws;
    rg_dataset_init(&d);
    memset(&g2, 0, sizeof g2);
    memset(&sim, 0, sizeof sim);
    memset(&ws, 0, sizeof ws);
    const int64_t new_ext = g->n_users > 0 ? g->user_ext[g->n_users - 1] + 1 : 1;
    d.rating_min = g->rating_min;
    d.rating_max = g->rating_max;
    for (int32_t j = 0; j < (int32_t) g->n_movies; j++) {
        RG_TRY(rg_dataset_add_movie(&d, g->movie_ext[j], "", 0, 0));
    }
    for (int32_t u = 0; u <= (int32_t) g->n_users; u++) { /* every user, rated or not */
        rg_user_meta_t um = {u < g->n_users ? g->user_ext[u] : new_ext, -1, RG_GENDER_UNKNOWN,
                             -1, ""};
        RG_TRY(rg_dataset_add_user(&d, &um));
    }
    for (int32_t u = 0; u < (int32_t) g->n_users; u++) {
        for (int64_t e = g->user_ptr[u]; e < g->user_ptr[u + 1]; e++) {
            rg_rating_t r = {g->user_ext[u], g->movie_ext[g->user_adj[e]], g->rating[e], 0};
            RG_TRY(rg_dataset_add_rating(&d, &r));
        }
    }
    for (int64_t a = 0; a < n; a++) {
        rg_rating_t r = {new_ext, g->movie_ext[movies[a]], ratings[a], 0};
        RG_TRY(rg_dataset_add_rating(&d, &r));
    }
    RG_TRY(rg_graph_build(&g2, &d, NULL));
    if (g2.n_users != g->n_users + 1 || g2.n_movies != g->n_movies) {
        RG_FAIL(RG_EINTERNAL, "%s: fold-in graph has %lld users / %lld movies, expected %lld / "
                "%lld", m->ops->name, (long long) g2.n_users, (long long) g2.n_movies,
                (long long) g->n_users + 1, (long long) g->n_movies);
    }
    rg_sim_opts_t o;
    rg_sim_opts_default(&o);
    o.metric = s->metric;
    o.shrink = m->hp.shrink;
    RG_TRY(rg_sim_init(&sim, &g2, RG_SIDE_USER, &o));
    RG_TRY(rg_sim_workspace_init(&ws, &sim, L));
    RG_TRY(rg_sim_topk(&sim, (int32_t) g->n_users, L, &ws, nb, sm, NULL));
cleanup:
    rg_sim_workspace_free(&ws);
    rg_sim_free(&sim);
    rg_graph_free(&g2);
    rg_dataset_free(&d);
    return rc;
}

/* out (M): predicted ratings for a user who is not in the graph, from n (movie, rating) pairs;
 * biases and (knn-item) neighbour lists fixed.  knn-item O(M L); knn-user O(E) (graph copy). */
static rg_error_t knn_fold_in(const rg_model_t *m, const rg_graph_t *g, int64_t n,
                              const int32_t *movies, const float *ratings, float *out) {
    rg_error_t rc = RG_SUCCESS;
    const knn_state_t *s = m->impl;
    knn_view_t v;
    knn_ws_t w;
    int32_t *nb = NULL;
    float *sm = NULL;
    memset(&w, 0, sizeof w);
    if (s == NULL) {
        RG_FAIL(RG_EINVAL, "%s: fold_in before attach", m->ops->name);
    }
    if (n < 0) {
        RG_FAIL(RG_EINVAL, "%s: negative rating count %lld", m->ops->name, (long long) n);
    }
    for (int64_t a = 0; a < n; a++) {
        if (movies[a] < 0 || movies[a] >= m->n_movies || !isfinite(ratings[a])) {
            RG_FAIL(RG_ERANGE, "%s: rating %lld (movie %d, value %g) out of range (%lld movies)",
                    m->ops->name, (long long) a, movies[a], (double) ratings[a],
                    (long long) m->n_movies);
        }
    }
    RG_TRY(knn_view(m, s->side, &v));
    RG_TRY(knn_ws_init(&w, m, s->side));
    RG_TRY(knn_fold_in_base(m, s, &v, g, n, movies, ratings, w.base));
    if (s->side == RG_SIDE_USER) {
        nb = rg_malloc((size_t) v.L * sizeof *nb);
        sm = rg_malloc((size_t) v.L * sizeof *sm);
        if (nb == NULL || sm == NULL) {
            RG_FAIL(RG_ENOMEM, "%s: cannot allocate a neighbour list of %d", m->ops->name, v.L);
        }
        if (n > 0) {
            RG_TRY(knn_user_fold_in_list(m, s, g, n, movies, ratings, v.L, nb, sm));
        } else {
            nb[0] = -1;
        }
        knn_user_scores(&v, m, g, w.base, nb, sm, w.num, w.den, w.cnt, out);
    } else {
        for (int32_t j = 0; j < (int32_t) m->n_movies; j++) {
            w.res[j] = NAN;
        }
        for (int64_t a = 0; a < n; a++) {
            w.res[movies[a]] = ratings[a] - w.base[movies[a]];
        }
        knn_item_scores(&v, m, w.base, w.res, out);
    }
cleanup:
    free(nb);
    free(sm);
    knn_ws_free(&w);
    return rc;
}

const rg_model_ops_t rg_model_knn_user = {
    .name = "knn-user",
    .summary = "user-based neighbourhood CF (co-rating similarity, baseline- or mean-centred)",
    .predicts_ratings = 1,
    .init = knn_init,
    .epoch = knn_epoch,
    .attach = knn_attach,
    .predict = knn_predict,
    .score = knn_score,
    .fold_in = knn_fold_in,
    .release = knn_release,
    .val_fraction_default = -1.0f, /* fixed ALS sweeps: use every training rating */
};

const rg_model_ops_t rg_model_knn_item = {
    .name = "knn-item",
    .summary = "item-based neighbourhood CF (co-rating similarity, baseline- or mean-centred)",
    .predicts_ratings = 1,
    .init = knn_init,
    .epoch = knn_epoch,
    .attach = knn_attach,
    .predict = knn_predict,
    .score = knn_score,
    .fold_in = knn_fold_in,
    .release = knn_release,
    .val_fraction_default = -1.0f, /* fixed ALS sweeps: use every training rating */
};
