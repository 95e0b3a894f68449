/* bpr.c: matrix factorisation trained for ranking with the BPR pairwise loss (Rendle,
 * Freudenthaler, Gantner and Schmidt-Thieme, "BPR: Bayesian personalized ranking from implicit
 * feedback", UAI 2009).
 *
 * Every training rating (u, i) is a positive, whatever its value; each epoch visits them once in
 * a seeded random order and, for each, samples `negatives` movies j that u did not rate.  With
 * x_uij = b_i - b_j + p_u . (q_i - q_j) the loss is -log sigmoid(x_uij) plus L2 on the rows
 * touched, minimised by plain SGD (the per-sample updates are sparse, which suits SGD better
 * than Adam's dense moments).  Parallel over blocks of the rating matrix (see BPR_BINS below),
 * bit-for-bit reproducible for a seed whatever the thread count.
 *
 * Tensors: "user_emb" (U, D), "movie_emb" (M, D), "movie_bias" (M, 1).  Scores are
 * b_j + p_u . q_j; the model predicts no calibrated ratings (predicts_ratings = 0).
 * Fold-in solves for a new user's p with the movie factors fixed, by the same SGD on the given
 * movies with a seeded negative stream.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "reelgraph/model.h"
#include "reelgraph/nn.h"
#include "reelgraph/rng.h"

/* Blocked training (the LIBMF idea applied to BPR): users and movies are dealt into BPR_BINS
 * bins each, afresh every epoch from the seed, so the ratings fall into BPR_BINS^2 blocks.  An
 * epoch runs BPR_BINS stages; stage t updates the blocks (b, (b + t) % BPR_BINS) for every b in
 * parallel: they share no user bin and no movie bin, and each block draws its negatives from its
 * own movie bin, so the threads write disjoint rows of every tensor.  Each block shuffles its
 * ratings and draws negatives from the stream rg_rng_mix(seed, (epoch, block)), so the result
 * depends on the seed only, not on the thread count or scheduling.  Redrawing the bins every
 * epoch lets every movie serve as a negative for every positive over the epochs. */
#define BPR_BINS 4

typedef struct {
    int32_t *edge_user;   /* (E) user of each edge */
    int64_t *blk_ptr;     /* (BINS^2 + 1) start of each block in blk_edge */
    int64_t *blk_edge;    /* (E) edge ids grouped by block */
    int64_t *blk_fill;    /* (BINS^2) scratch of the grouping */
    int32_t *ubin, *mbin; /* (U), (M) bin of each user / movie this epoch */
    int32_t *perm;        /* (max(U, M)) scratch of the bin draw */
    int32_t *bin_ptr;     /* (BINS + 1) start of each movie bin in bin_movies */
    int32_t *bin_movies;  /* (M) movies grouped by bin */
    int32_t *rated_in;    /* (U * BINS) movies of each bin the user rated */
    double *blk_loss;     /* (BINS^2) summed loss of each block's pass */
    int64_t *blk_n;       /* (BINS^2) triples of each block's pass */
    const rg_graph_t *graph; /* graph the arrays describe */
    rg_rng_t rng;         /* the bin draws */
} bpr_state_t;

/* Frees the arrays and leaves their pointers NULL (safe to call twice). */
static void bpr_state_arrays_free(bpr_state_t *s) {
    void **arrays[] = {(void **) &s->edge_user, (void **) &s->blk_ptr, (void **) &s->blk_edge,
                       (void **) &s->blk_fill,  (void **) &s->ubin,    (void **) &s->mbin,
                       (void **) &s->perm,      (void **) &s->bin_ptr, (void **) &s->bin_movies,
                       (void **) &s->rated_in,  (void **) &s->blk_loss, (void **) &s->blk_n};
    for (size_t a = 0; a < sizeof arrays / sizeof arrays[0]; a++) {
        free(*arrays[a]);
        *arrays[a] = NULL;
    }
    s->graph = NULL;
}

static void bpr_release(rg_model_t *m) {
    bpr_state_t *s = m->impl;
    if (s != NULL) {
        bpr_state_arrays_free(s);
        free(s);
    }
    m->impl = NULL;
}

/* The BPR loss of one triple through nn.h: softplus(-(s_pos - s_neg)); *g receives the weight
 * sigmoid(-(s_pos - s_neg)) = -dloss/ds_pos of the gradient step. */
static double bpr_loss(float s_pos, float s_neg, float *g) {
    float dpos = 0.0f, dneg = 0.0f;
    double loss = rg_loss_bpr(&dpos, &dneg, &s_pos, &s_neg, 1, 1.0);
    *g = -dpos;
    return loss;
}

/* One SGD step on the triple (p, q_i, q_j, b_i, b_j), i != j.  Returns the loss before the
 * step.  D = dimension.  The rows are distinct, hence restrict (the loop vectorises). */
static double bpr_step(float *restrict p, float *restrict qi, float *restrict qj, float *bi,
                       float *bj, int D, float lr, float reg) {
    float s_pos = *bi, s_neg = *bj, g;
    for (int d = 0; d < D; d++) {
        s_pos += p[d] * qi[d];
        s_neg += p[d] * qj[d];
    }
    double loss = bpr_loss(s_pos, s_neg, &g);
    /* forward was: s = b + p . q; dloss/dp = -g (q_i - q_j), dloss/dq_i = -g p, dq_j = g p */
    for (int d = 0; d < D; d++) {
        float pd = p[d], qid = qi[d], qjd = qj[d];
        p[d] = pd + lr * (g * (qid - qjd) - reg * pd);
        qi[d] = qid + lr * (g * pd - reg * qid);
        qj[d] = qjd + lr * (-g * pd - reg * qjd);
    }
    *bi += lr * (g - reg * *bi);
    *bj += lr * (-g - reg * *bj);
    return loss;
}

/* The fold-in step: only the user's factors p move, the movie side is fixed. */
static void bpr_user_step(float *restrict p, const float *restrict qi, const float *restrict qj,
                          float bi, float bj, int D, float lr, float reg) {
    float s_pos = bi, s_neg = bj, g;
    for (int d = 0; d < D; d++) {
        s_pos += p[d] * qi[d];
        s_neg += p[d] * qj[d];
    }
    bpr_loss(s_pos, s_neg, &g);
    for (int d = 0; d < D; d++) {
        p[d] += lr * (g * (qi[d] - qj[d]) - reg * p[d]);
    }
}

/* A movie u did not rate in g, uniformly; -1 when u rated every movie. */
static int32_t bpr_sample_negative(const rg_graph_t *g, int32_t u, rg_rng_t *r) {
    if (rg_graph_user_degree(g, u) >= g->n_movies) {
        return -1;
    }
    for (;;) {
        int32_t j = (int32_t) rg_rng_below(r, (uint64_t) g->n_movies);
        if (rg_graph_edge(g, u, j) < 0) {
            return j;
        }
    }
}

/* ---- training ---- */

/* Resolves defaults, declares and initialises the factors N(0, 0.1^2) from the seed; biases
 * start at 0.  Defaults (dim 128, 60 epochs, lr 0.02, reg 0.02, 1 negative) chosen by NDCG@10
 * on two validation splits of ML-100K u1.base (random 20%, and 38% of the ratings of half the
 * users), never on u1.test. */
static rg_error_t bpr_init(rg_model_t *m, const rg_graph_t *train) {
    (void) train;
    rg_hp_default_i(&m->hp.dim, 128);
    rg_hp_default_i(&m->hp.epochs, 60);
    rg_hp_default_f(&m->hp.lr, 0.02f);
    rg_hp_default_f(&m->hp.reg, 0.02f);
    rg_hp_default_i(&m->hp.negatives, 1);
    if (m->hp.dim < 1 || m->hp.negatives < 1 || !(m->hp.lr > 0.0f) || !(m->hp.reg >= 0.0f)) {
        RG_ERROR(RG_EINVAL, "bpr: need dim >= 1, negatives >= 1, lr > 0, reg >= 0 "
                 "(got %d, %d, %g, %g)", m->hp.dim, m->hp.negatives, (double) m->hp.lr,
                 (double) m->hp.reg);
    }
    bpr_release(m);
    RG_CHECK(rg_model_declare(m, "user_emb", RG_DTYPE_F32, m->n_users, m->hp.dim));
    RG_CHECK(rg_model_declare(m, "movie_emb", RG_DTYPE_F32, m->n_movies, m->hp.dim));
    RG_CHECK(rg_model_declare(m, "movie_bias", RG_DTYPE_F32, m->n_movies, 1));
    RG_CHECK(rg_model_alloc(m));
    rg_rng_t r;
    rg_rng_init(&r, rg_rng_mix(m->hp.seed, 0));
    const float sd = 0.1f;
    float *P = rg_model_f32(m, "user_emb"), *Q = rg_model_f32(m, "movie_emb");
    for (size_t a = 0; a < (size_t) m->n_users * (size_t) m->hp.dim; a++) {
        P[a] = sd * (float) rg_rng_normal(&r);
    }
    for (size_t a = 0; a < (size_t) m->n_movies * (size_t) m->hp.dim; a++) {
        Q[a] = sd * (float) rg_rng_normal(&r);
    }
    bpr_state_t *s = rg_calloc(1, sizeof *s);
    if (s == NULL) {
        RG_ERROR(RG_ENOMEM, "bpr: cannot allocate the training state");
    }
    rg_rng_init(&s->rng, rg_rng_mix(m->hp.seed, 1));
    m->impl = s;
    return RG_SUCCESS;
}

/* Points the training state at graph g, allocating its arrays (once per graph, never per
 * epoch). */
static rg_error_t bpr_bind(bpr_state_t *s, const rg_graph_t *g) {
    if (s->graph == g) {
        return RG_SUCCESS;
    }
    const size_t E = (size_t) (g->n_ratings > 0 ? g->n_ratings : 1);
    const size_t U = (size_t) (g->n_users > 0 ? g->n_users : 1);
    const size_t M = (size_t) (g->n_movies > 0 ? g->n_movies : 1);
    const size_t NB = (size_t) BPR_BINS * BPR_BINS;
    bpr_state_arrays_free(s);
    s->edge_user = rg_malloc(E * sizeof *s->edge_user);
    s->blk_ptr = rg_malloc((NB + 1) * sizeof *s->blk_ptr);
    s->blk_edge = rg_malloc(E * sizeof *s->blk_edge);
    s->blk_fill = rg_malloc(NB * sizeof *s->blk_fill);
    s->ubin = rg_malloc(U * sizeof *s->ubin);
    s->mbin = rg_malloc(M * sizeof *s->mbin);
    s->perm = rg_malloc((U > M ? U : M) * sizeof *s->perm);
    s->bin_ptr = rg_malloc((BPR_BINS + 1) * sizeof *s->bin_ptr);
    s->bin_movies = rg_malloc(M * sizeof *s->bin_movies);
    s->rated_in = rg_malloc(U * BPR_BINS * sizeof *s->rated_in);
    s->blk_loss = rg_malloc(NB * sizeof *s->blk_loss);
    s->blk_n = rg_malloc(NB * sizeof *s->blk_n);
    if (!s->edge_user || !s->blk_ptr || !s->blk_edge || !s->blk_fill || !s->ubin || !s->mbin
        || !s->perm || !s->bin_ptr || !s->bin_movies || !s->rated_in || !s->blk_loss
        || !s->blk_n) {
        bpr_state_arrays_free(s);
        RG_ERROR(RG_ENOMEM, "bpr: cannot allocate the training blocks of %lld ratings",
                 (long long) g->n_ratings);
    }
    for (int32_t u = 0; u < (int32_t) g->n_users; u++) {
        for (int64_t e = g->user_ptr[u]; e < g->user_ptr[u + 1]; e++) {
            s->edge_user[e] = u;
        }
    }
    s->graph = g;
    return RG_SUCCESS;
}

/* Deals n nodes into BPR_BINS bins of (nearly) equal size at random. */
static void bpr_draw_bins(rg_rng_t *r, int32_t *perm, int32_t *bin, int64_t n) {
    for (int64_t a = 0; a < n; a++) {
        perm[a] = (int32_t) a;
    }
    rg_rng_shuffle_i32(r, perm, n);
    for (int64_t a = 0; a < n; a++) {
        bin[perm[a]] = (int32_t) (a * BPR_BINS / n);
    }
}

/* This epoch's bins and the grouping of the edges by block and of the movies by bin: O(U + M +
 * E). */
static void bpr_make_blocks(bpr_state_t *s, const rg_graph_t *g) {
    const int nb2 = BPR_BINS * BPR_BINS;
    bpr_draw_bins(&s->rng, s->perm, s->ubin, g->n_users);
    bpr_draw_bins(&s->rng, s->perm, s->mbin, g->n_movies);
    memset(s->blk_fill, 0, (size_t) nb2 * sizeof *s->blk_fill);
    memset(s->rated_in, 0, (size_t) g->n_users * BPR_BINS * sizeof *s->rated_in);
    for (int64_t e = 0; e < g->n_ratings; e++) {
        int32_t u = s->edge_user[e], mb = s->mbin[g->user_adj[e]];
        s->blk_fill[s->ubin[u] * BPR_BINS + mb]++;
        s->rated_in[(size_t) u * BPR_BINS + mb]++;
    }
    s->blk_ptr[0] = 0;
    for (int b = 0; b < nb2; b++) {
        s->blk_ptr[b + 1] = s->blk_ptr[b] + s->blk_fill[b];
        s->blk_fill[b] = s->blk_ptr[b];
    }
    for (int64_t e = 0; e < g->n_ratings; e++) {
        int b = s->ubin[s->edge_user[e]] * BPR_BINS + s->mbin[g->user_adj[e]];
        s->blk_edge[s->blk_fill[b]++] = e;
    }
    memset(s->bin_ptr, 0, (BPR_BINS + 1) * sizeof *s->bin_ptr);
    for (int32_t j = 0; j < (int32_t) g->n_movies; j++) {
        s->bin_ptr[s->mbin[j] + 1]++;
    }
    for (int b = 0; b < BPR_BINS; b++) {
        s->bin_ptr[b + 1] += s->bin_ptr[b];
    }
    int32_t fill[BPR_BINS];
    memcpy(fill, s->bin_ptr, sizeof fill);
    for (int32_t j = 0; j < (int32_t) g->n_movies; j++) {
        s->bin_movies[fill[s->mbin[j]]++] = j;
    }
}

/* One pass over block (ub, mb): its ratings in a shuffled order, each against `negatives`
 * movies of bin mb that the user did not rate (none when the user rated the whole bin). */
static void bpr_block_pass(const rg_model_t *m, bpr_state_t *s, const rg_graph_t *g, int epoch,
                           int ub, int mb, float *P, float *Q, float *B) {
    const int blk = ub * BPR_BINS + mb, D = m->hp.dim;
    const int32_t *bin = s->bin_movies + s->bin_ptr[mb];
    const int32_t bin_n = s->bin_ptr[mb + 1] - s->bin_ptr[mb];
    int64_t *edges = s->blk_edge + s->blk_ptr[blk];
    const int64_t n = s->blk_ptr[blk + 1] - s->blk_ptr[blk];
    rg_rng_t r;
    rg_rng_init(&r, rg_rng_mix(m->hp.seed, 2 + (uint64_t) epoch * BPR_BINS * BPR_BINS + blk));
    rg_rng_shuffle_i64(&r, edges, n);
    double total = 0.0;
    int64_t count = 0;
    for (int64_t a = 0; a < n; a++) {
        int64_t e = edges[a];
        int32_t u = s->edge_user[e], i = g->user_adj[e];
        if (s->rated_in[(size_t) u * BPR_BINS + mb] >= bin_n) {
            continue;
        }
        for (int32_t t = 0; t < m->hp.negatives; t++) {
            int32_t j;
            do {
                j = bin[rg_rng_below(&r, (uint64_t) bin_n)];
            } while (rg_graph_edge(g, u, j) >= 0);
            total += bpr_step(P + (size_t) u * D, Q + (size_t) i * D, Q + (size_t) j * D, B + i,
                              B + j, D, m->hp.lr, m->hp.reg);
            count++;
        }
    }
    s->blk_loss[blk] = total;
    s->blk_n[blk] = count;
}

/* One pass over the training ratings, BPR_BINS stages of BPR_BINS independent blocks each:
 * O(E * negatives * D) work, parallel over the blocks of a stage. */
static rg_error_t bpr_epoch(rg_model_t *m, const rg_graph_t *train, int epoch, double *loss) {
    bpr_state_t *s = m->impl;
    if (s == NULL) {
        RG_ERROR(RG_EINVAL, "bpr: epoch before init");
    }
    if (train->n_users != m->n_users || train->n_movies != m->n_movies) {
        RG_ERROR(RG_EINVAL, "bpr: graph has %lld users / %lld movies, the model %lld / %lld",
                 (long long) train->n_users, (long long) train->n_movies,
                 (long long) m->n_users, (long long) m->n_movies);
    }
    RG_CHECK(bpr_bind(s, train));
    float *P = rg_model_f32(m, "user_emb"), *Q = rg_model_f32(m, "movie_emb");
    float *B = rg_model_f32(m, "movie_bias");
    bpr_make_blocks(s, train);
#ifdef _OPENMP
    const int n_threads = m->hp.n_threads > 0 ? m->hp.n_threads : omp_get_max_threads();
#endif
    for (int t = 0; t < BPR_BINS; t++) {
#ifdef _OPENMP
#pragma omp parallel for schedule(dynamic, 1) num_threads(n_threads)
#endif
        for (int ub = 0; ub < BPR_BINS; ub++) {
            bpr_block_pass(m, s, train, epoch, ub, (ub + t) % BPR_BINS, P, Q, B);
        }
    }
    double total = 0.0;
    int64_t n = 0;
    for (int b = 0; b < BPR_BINS * BPR_BINS; b++) { /* fixed order: thread-count independent */
        total += s->blk_loss[b];
        n += s->blk_n[b];
    }
    *loss = n > 0 ? total / (double) n : 0.0;
    return RG_SUCCESS;
}

/* Validation objective: the mean BPR loss -log sigmoid(x_uij) of the n held-out (u, i) pairs,
 * each against one negative j that u rated neither in fit nor in the pair, drawn from a stream
 * fixed by the seed so successive epochs are compared on the same triples.  O(n D). */
static rg_error_t bpr_val_loss(const rg_model_t *m, const rg_graph_t *fit, int64_t n,
                               const int32_t *users, const int32_t *movies,
                               const float *ratings, double *loss) {
    (void) ratings;
    const int D = m->hp.dim;
    const float *P = rg_model_f32(m, "user_emb"), *Q = rg_model_f32(m, "movie_emb");
    const float *B = rg_model_f32(m, "movie_bias");
    rg_rng_t r;
    rg_rng_init(&r, rg_rng_mix(m->hp.seed, 3));
    double total = 0.0;
    int64_t count = 0;
    for (int64_t a = 0; a < n; a++) {
        int32_t u = users[a], i = movies[a], j;
        if (u < 0 || u >= m->n_users || i < 0 || i >= m->n_movies) {
            RG_ERROR(RG_ERANGE, "bpr: validation pair %lld (user %d, movie %d) out of range",
                     (long long) a, u, i);
        }
        if (rg_graph_user_degree(fit, u) + 1 >= m->n_movies) {
            continue; /* no movie left to serve as a negative */
        }
        do {
            j = bpr_sample_negative(fit, u, &r);
        } while (j == i);
        const float *p = P + (size_t) u * D, *qi = Q + (size_t) i * D, *qj = Q + (size_t) j * D;
        float s_pos = B[i], s_neg = B[j], g;
        for (int d = 0; d < D; d++) {
            s_pos += p[d] * qi[d];
            s_neg += p[d] * qj[d];
        }
        total += bpr_loss(s_pos, s_neg, &g);
        count++;
    }
    *loss = count > 0 ? total / (double) count : NAN;
    return RG_SUCCESS;
}

/* ---- prediction ---- */

/* Checks every tensor score and fold_in read against the graph and hp.dim, so a crafted or
 * foreign model file is refused (RG_EFORMAT) instead of read out of bounds. */
static rg_error_t bpr_attach(rg_model_t *m, const rg_graph_t *train) {
    if (m->hp.dim < 1) {
        RG_ERROR(RG_EFORMAT, "bpr model: dim %d must be >= 1", m->hp.dim);
    }
    RG_CHECK(rg_model_expect(m, "user_emb", RG_DTYPE_F32, train->n_users, m->hp.dim));
    RG_CHECK(rg_model_expect(m, "movie_emb", RG_DTYPE_F32, train->n_movies, m->hp.dim));
    return rg_model_expect(m, "movie_bias", RG_DTYPE_F32, train->n_movies, 1);
}

/* out (M) = b + Q p for the factor vector p (D). */
static void bpr_scores(const rg_model_t *m, const float *p, float *out) {
    const int D = (int) rg_model_tensor(m, "movie_emb")->cols;
    const float *Q = rg_model_f32(m, "movie_emb"), *B = rg_model_f32(m, "movie_bias");
    for (int64_t j = 0; j < m->n_movies; j++) {
        const float *q = Q + (size_t) j * D;
        float x = B[j];
        for (int d = 0; d < D; d++) {
            x += p[d] * q[d];
        }
        out[j] = x;
    }
}

/* out (M): b_j + p_u . q_j.  O(M D), thread-safe. */
static rg_error_t bpr_score(const rg_model_t *m, const rg_graph_t *train, int32_t u, float *out) {
    (void) train;
    if (u < 0 || u >= m->n_users) {
        RG_ERROR(RG_ERANGE, "bpr: user %d out of range [0, %lld)", u, (long long) m->n_users);
    }
    const int D = (int) rg_model_tensor(m, "user_emb")->cols;
    bpr_scores(m, rg_model_f32(m, "user_emb") + (size_t) u * D, out);
    return RG_SUCCESS;
}

/* A new user's factors, fitted by BPR-SGD with the movie side fixed: 50 passes over the n given
 * movies (all positives), negatives drawn from a stream seeded by the model seed, starting from
 * p = 0.  O(50 n D + M D). */
static rg_error_t bpr_fold_in(const rg_model_t *m, const rg_graph_t *train, int64_t n,
                              const int32_t *movies, const float *ratings, float *out) {
    (void) ratings;
    (void) train;
    const int passes = 50;
    if (n < 0) {
        RG_ERROR(RG_EINVAL, "bpr: negative rating count %lld", (long long) n);
    }
    for (int64_t a = 0; a < n; a++) {
        if (movies[a] < 0 || movies[a] >= m->n_movies) {
            RG_ERROR(RG_ERANGE, "bpr: movie %d (rating %lld) out of range [0, %lld)", movies[a],
                     (long long) a, (long long) m->n_movies);
        }
    }
    const int D = (int) rg_model_tensor(m, "movie_emb")->cols;
    const float *Q = rg_model_f32(m, "movie_emb"), *B = rg_model_f32(m, "movie_bias");
    float *p = rg_calloc((size_t) D, sizeof *p);
    if (p == NULL) {
        RG_ERROR(RG_ENOMEM, "bpr: cannot allocate %d fold-in factors", D);
    }
    rg_rng_t r;
    rg_rng_init(&r, rg_rng_mix(m->hp.seed, 2));
    for (int t = 0; t < passes && n > 0 && n < m->n_movies; t++) {
        for (int64_t a = 0; a < n; a++) {
            int32_t i = movies[a], j;
            int seen;
            do { /* a movie outside the given list, by rejection */
                j = (int32_t) rg_rng_below(&r, (uint64_t) m->n_movies);
                seen = 0;
                for (int64_t c = 0; c < n && !seen; c++) {
                    seen = movies[c] == j;
                }
            } while (seen);
            bpr_user_step(p, Q + (size_t) i * D, Q + (size_t) j * D, B[i], B[j], D, m->hp.lr,
                          m->hp.reg);
        }
    }
    bpr_scores(m, p, out);
    free(p);
    return RG_SUCCESS;
}

const rg_model_ops_t rg_model_bpr = {
    .name = "bpr",
    .summary = "matrix factorisation trained with the BPR pairwise ranking loss (top-N)",
    .predicts_ratings = 0,
    .init = bpr_init,
    .epoch = bpr_epoch,
    .attach = bpr_attach,
    .predict = NULL,
    .score = bpr_score,
    .fold_in = bpr_fold_in,
    .release = bpr_release,
    .val_loss = bpr_val_loss,
    /* fixed epochs: use every training rating (--val-fraction to monitor the BPR loss) */
    .val_fraction_default = -1.0f,
};
