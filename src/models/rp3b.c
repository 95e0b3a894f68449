/* rp3b.c: RP3beta, the three-step random-walk recommender of Paudel, Christoffel, Newell and
 * Bernstein, "Updatable, accurate, diverse, and scalable recommendations for interactive
 * applications" (ACM TiiS 2017).
 *
 * A walk starts at user u and goes u -> movie i -> user v -> movie j, each step choosing
 * uniformly among the current node's training edges (ratings are treated as implicit feedback).
 * Every transition probability is raised to alpha (alpha < 1 flattens the walk towards
 * low-degree nodes), and the probability of landing on j is divided by deg(j)^beta to push down
 * blockbusters:
 *
 *     score(u, j) = deg(j)^-beta * sum_{i in N(u)} sum_{v in N(i)} [j in N(v)]
 *                   * deg(u)^-alpha * deg(i)^-alpha * deg(v)^-alpha
 *
 * No item-item matrix is built: ranking one user is two message-passing hops over the store,
 * movie -> user (y_v = sum over the movies i that u and v share of deg(i)^-alpha) and
 * user -> movie (z_j = sum over the raters v of j of y_v * deg(v)^-alpha), costing
 * O(sum_{i in N(u)} deg(i) + sum_{v reached} deg(v)), at most O(E) per user.  The model
 * predicts no ratings.  Tensor: "movie_pop" (M, 1), the training degrees (filled by attach).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "reelgraph/model.h"

/* Prediction state rebuilt by attach: the per-node factors deg^-alpha and deg(j)^-beta, so the
 * hops do no pow() in their inner loops. */
typedef struct {
    float *user_w;  /* (U) deg(v)^-alpha, 0 for users without ratings */
    float *movie_w; /* (M) deg(i)^-alpha, 0 for movies without ratings */
    float *pen;     /* (M) deg(j)^-beta, 0 for movies without ratings */
    int64_t n_users, n_movies;
} rp3b_state_t;

static void rp3b_state_free(rp3b_state_t *s) {
    if (s == NULL) {
        return;
    }
    free(s->user_w);
    free(s->movie_w);
    free(s->pen);
    free(s);
}

static void rp3b_release(rg_model_t *m) {
    rp3b_state_free(m->impl);
    m->impl = NULL;
}

/* ---- training: there is nothing to fit; attach reads the degrees ---- */

static rg_error_t rp3b_init(rg_model_t *m, const rg_graph_t *train) {
    (void) train;
    rg_hp_default_i(&m->hp.epochs, 1);
    /* Tuned by NDCG@10 on two validation splits of ML-100K u1.base (random 20%, and 38% of the
     * ratings of a random half of the users, the shape of u1.test), never on u1.test:
     * alpha 0.5-0.7 with beta 0.5-0.6 was best on both, and flat there. */
    rg_hp_default_f(&m->hp.alpha, 0.7f);
    rg_hp_default_f(&m->hp.beta, 0.5f);
    if (!(m->hp.alpha > 0.0f) || !(m->hp.beta >= 0.0f)) {
        RG_ERROR(RG_EINVAL, "rp3b: alpha must be > 0 and beta >= 0 (got %g, %g)",
                 (double) m->hp.alpha, (double) m->hp.beta);
    }
    RG_CHECK(rg_model_declare(m, "movie_pop", RG_DTYPE_F32, m->n_movies, 1));
    return rg_model_alloc(m);
}

static rg_error_t rp3b_epoch(rg_model_t *m, const rg_graph_t *train, int epoch, double *loss) {
    (void) epoch;
    (void) train;
    *loss = 0.0;
    if (rg_model_f32(m, "movie_pop") == NULL) {
        RG_ERROR(RG_EINTERNAL, "rp3b: epoch before init");
    }
    return RG_SUCCESS;
}

/* ---- prediction ---- */

/* Builds the walk factors and movie_pop from the graph given (after training: all the training
 * ratings, not the trainer's fit part; after loading: the same graph again): O(U + M). */
static rg_error_t rp3b_attach(rg_model_t *m, const rg_graph_t *train) {
    rg_error_t rc = RG_SUCCESS;
    rp3b_state_t *s = NULL;
    if (train->n_users != m->n_users || train->n_movies != m->n_movies) {
        RG_FAIL(RG_EINVAL, "rp3b: graph has %lld users / %lld movies, the model %lld / %lld",
                (long long) train->n_users, (long long) train->n_movies,
                (long long) m->n_users, (long long) m->n_movies);
    }
    RG_TRY(rg_model_expect(m, "movie_pop", RG_DTYPE_F32, train->n_movies, 1));
    float *pop = rg_model_f32(m, "movie_pop");
    rp3b_release(m);
    s = rg_calloc(1, sizeof *s);
    if (s == NULL) {
        RG_FAIL(RG_ENOMEM, "rp3b: cannot allocate the prediction state");
    }
    s->n_users = m->n_users;
    s->n_movies = m->n_movies;
    s->user_w = rg_malloc((size_t) (m->n_users > 0 ? m->n_users : 1) * sizeof *s->user_w);
    s->movie_w = rg_malloc((size_t) (m->n_movies > 0 ? m->n_movies : 1) * sizeof *s->movie_w);
    s->pen = rg_malloc((size_t) (m->n_movies > 0 ? m->n_movies : 1) * sizeof *s->pen);
    if (s->user_w == NULL || s->movie_w == NULL || s->pen == NULL) {
        RG_FAIL(RG_ENOMEM, "rp3b: cannot allocate walk factors for %lld users and %lld movies",
                (long long) m->n_users, (long long) m->n_movies);
    }
    const double alpha = m->hp.alpha, beta = m->hp.beta;
    for (int32_t v = 0; v < (int32_t) m->n_users; v++) {
        int64_t d = rg_graph_user_degree(train, v);
        s->user_w[v] = d > 0 ? (float) pow((double) d, -alpha) : 0.0f;
    }
    for (int32_t j = 0; j < (int32_t) m->n_movies; j++) {
        int64_t d = rg_graph_movie_degree(train, j);
        s->movie_w[j] = d > 0 ? (float) pow((double) d, -alpha) : 0.0f;
        s->pen[j] = d > 0 ? (float) pow((double) d, -beta) : 0.0f;
        pop[j] = (float) d;
    }
    m->impl = s;
    s = NULL;
cleanup:
    rp3b_state_free(s);
    return rc;
}

/* The two hops shared by score and fold_in.  x (M) is the walk's distribution after the first
 * step (non-zero only on the start movies, listed in movies[0..n)); y (U) is a workspace.
 * Writes out (M) = score of every movie. */
static void rp3b_walk(const rp3b_state_t *s, const rg_graph_t *g, int64_t n,
                      const int32_t *movies, const float *x, float *y, float *out) {
    memset(y, 0, (size_t) s->n_users * sizeof *y);
    memset(out, 0, (size_t) s->n_movies * sizeof *out);
    /* hop 2: movie i -> its raters v, weight deg(i)^-alpha */
    for (int64_t a = 0; a < n; a++) {
        int32_t i = movies[a];
        float w = x[a] * s->movie_w[i];
        for (int64_t p = g->movie_ptr[i]; p < g->movie_ptr[i + 1]; p++) {
            y[g->movie_adj[p]] += w;
        }
    }
    /* hop 3: user v -> the movies v rated, weight deg(v)^-alpha */
    for (int32_t v = 0; v < (int32_t) s->n_users; v++) {
        if (y[v] == 0.0f) {
            continue;
        }
        float w = y[v] * s->user_w[v];
        for (int64_t p = g->user_ptr[v]; p < g->user_ptr[v + 1]; p++) {
            out[g->user_adj[p]] += w;
        }
    }
    for (int32_t j = 0; j < (int32_t) s->n_movies; j++) {
        out[j] *= s->pen[j];
    }
}

/* out (M): RP3beta scores for user u; O(E) worst case; thread-safe (a private U-float
 * workspace per call). */
static rg_error_t rp3b_score(const rg_model_t *m, const rg_graph_t *train, int32_t u,
                             float *out) {
    rg_error_t rc = RG_SUCCESS;
    const rp3b_state_t *s = m->impl;
    float *y = NULL, *x = NULL;
    if (s == NULL) {
        RG_FAIL(RG_EINVAL, "rp3b: score before attach");
    }
    if (u < 0 || u >= m->n_users) {
        RG_FAIL(RG_ERANGE, "rp3b: user %d out of range [0, %lld)", u, (long long) m->n_users);
    }
    int64_t deg = rg_graph_user_degree(train, u);
    y = rg_malloc((size_t) (s->n_users > 0 ? s->n_users : 1) * sizeof *y);
    x = rg_malloc((size_t) (deg > 0 ? deg : 1) * sizeof *x);
    if (y == NULL || x == NULL) {
        RG_FAIL(RG_ENOMEM, "rp3b: cannot allocate the walk workspace (%lld users)",
                (long long) s->n_users);
    }
    /* hop 1: u -> each movie it rated with probability deg(u)^-alpha */
    for (int64_t a = 0; a < deg; a++) {
        x[a] = s->user_w[u];
    }
    rp3b_walk(s, train, deg, train->user_adj + train->user_ptr[u], x, y, out);
cleanup:
    free(y);
    free(x);
    return rc;
}

/* A user who is not in the graph starts the walk from the given movies (ratings are implicit
 * feedback: every given movie counts once, whatever its rating). */
static rg_error_t rp3b_fold_in(const rg_model_t *m, const rg_graph_t *train, int64_t n,
                               const int32_t *movies, const float *ratings, float *out) {
    (void) ratings;
    rg_error_t rc = RG_SUCCESS;
    const rp3b_state_t *s = m->impl;
    float *y = NULL, *x = NULL;
    if (s == NULL) {
        RG_FAIL(RG_EINVAL, "rp3b: fold_in before attach");
    }
    if (n < 0) {
        RG_FAIL(RG_EINVAL, "rp3b: negative rating count %lld", (long long) n);
    }
    for (int64_t a = 0; a < n; a++) {
        if (movies[a] < 0 || movies[a] >= m->n_movies) {
            RG_FAIL(RG_ERANGE, "rp3b: movie %d (rating %lld) out of range [0, %lld)", movies[a],
                    (long long) a, (long long) m->n_movies);
        }
    }
    y = rg_malloc((size_t) (s->n_users > 0 ? s->n_users : 1) * sizeof *y);
    x = rg_malloc((size_t) (n > 0 ? n : 1) * sizeof *x);
    if (y == NULL || x == NULL) {
        RG_FAIL(RG_ENOMEM, "rp3b: cannot allocate the walk workspace (%lld users)",
                (long long) s->n_users);
    }
    float w0 = n > 0 ? (float) pow((double) n, -(double) m->hp.alpha) : 0.0f;
    for (int64_t a = 0; a < n; a++) {
        x[a] = w0;
    }
    rp3b_walk(s, train, n, movies, x, y, out);
cleanup:
    free(y);
    free(x);
    return rc;
}

const rg_model_ops_t rg_model_rp3b = {
    .name = "rp3b",
    .summary = "RP3beta: 3-step random walk user->movie->user->movie, popularity^beta penalty",
    .predicts_ratings = 0,
    .init = rp3b_init,
    .epoch = rp3b_epoch,
    .attach = rp3b_attach,
    .predict = NULL,
    .score = rp3b_score,
    .fold_in = rp3b_fold_in,
    .release = rp3b_release,
};
