/* mf.c: biased matrix factorisation trained by parallel SGD, LIBMF style.
 *
 *   r(u, m) ~ mu + b_u + b_m + <p_u, q_m>
 *   per rating: e = r - r(u, m);  b_u += lr (e - reg b_u);  b_m += lr (e - reg b_m)
 *               p_u += lr (e q_m - reg p_u);  q_m += lr (e p_u - reg q_m)
 *
 * Parallelism (Zhuang et al., "A fast parallel SGD for matrix factorization in shared memory
 * systems", the LIBMF scheduler): users and movies are shuffled (seeded) and cut into nb = T + 1
 * bins each, giving nb x nb blocks of ratings.  Two blocks that share neither a user bin nor a
 * movie bin touch disjoint rows of every tensor, so T threads can update them at once without
 * locks.  A scheduler hands each idle thread a block whose bins are both free, chosen at random
 * (seeded) among the blocks not yet updated in this epoch, so an epoch is exactly one pass over
 * every rating (LIBMF instead favours the least-updated blocks and lets an epoch repeat some).
 * With T + 1 bins a free block exists until the last few blocks of an epoch, where a thread may
 * briefly wait.  Each block shuffles its ratings before a pass from its own RNG stream
 * rg_rng_mix(seed, epoch, block).  With one thread the run is bit-reproducible for a seed; with
 * more, the order in which blocks that share a bin run depends on timing, so results agree only
 * statistically.
 *
 * The learning rate decays as lr / (1 + RG_MF_LR_DECAY * epoch).
 *
 * Tensors: user_emb (U, D), movie_emb (M, D), user_bias (U, 1), movie_bias (M, 1).
 * Hyper-parameters: dim (D, default 128), epochs (40), lr (0.01), reg (0.05), n_threads, seed.
 * New users are folded in by ridge regression on the fixed movie factors (see rg_mf_fold_in).
 */
#include <math.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "reelgraph/model.h"
#include "reelgraph/rng.h"

#define RG_MF_INIT_STD 0.1f      /* factor initialisation: N(0, std^2 / sqrt(D)) per entry */
#define RG_MF_LR_DECAY 0.05f
#define RG_MF_BLOCK_STREAM 0x6d66ULL /* "mf": RNG stream family of the block shuffles */

typedef struct {
    int32_t u, m;
    float r;
} rg_mf_rating_t;

typedef struct {
    int nt, nb;               /* threads, bins per side */
    rg_mf_rating_t *ratings;  /* (E) grouped by block */
    int64_t *blk_ptr;         /* (nb*nb + 1) */
    uint8_t *done;            /* (nb*nb) block already updated in this epoch */
    double *blk_sse;          /* (nb*nb) squared error of the block's last pass */
    uint8_t *busy_u, *busy_m; /* (nb) bins in use */
    rg_rng_t sched;           /* the scheduler's tie-breaking stream */
} rg_mf_impl_t;

/* ---- kernels ---- */

/* Dot product with eight partial sums, so the compiler can vectorise it without reassociating
 * a single accumulator (which IEEE semantics forbid). */
static inline float rg_i_dot(const float *a, const float *b, int D) {
    float acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    int i = 0;
    for (; i + 8 <= D; i += 8) {
        for (int j = 0; j < 8; j++) {
            acc[j] += a[i + j] * b[i + j];
        }
    }
    float s = ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
    for (; i < D; i++) {
        s += a[i] * b[i];
    }
    return s;
}

/* One SGD pass over the ratings of one block; returns their squared error before each update. */
static double rg_i_sgd_block(rg_mf_rating_t *r, int64_t n, float *P, float *Q, float *bu,
                             float *bm, int D, float mu, float lr, float reg) {
    double sse = 0.0;
    for (int64_t i = 0; i < n; i++) {
        float *restrict p = P + (size_t) r[i].u * D, *restrict q = Q + (size_t) r[i].m * D;
        float e = r[i].r - (mu + bu[r[i].u] + bm[r[i].m] + rg_i_dot(p, q, D));
        sse += (double) e * e;
        bu[r[i].u] += lr * (e - reg * bu[r[i].u]);
        bm[r[i].m] += lr * (e - reg * bm[r[i].m]);
        for (int k = 0; k < D; k++) {
            float pk = p[k];
            p[k] += lr * (e * q[k] - reg * pk);
            q[k] += lr * (e * pk - reg * q[k]);
        }
    }
    return sse;
}

static void rg_i_shuffle_ratings(rg_rng_t *rng, rg_mf_rating_t *r, int64_t n) {
    for (int64_t i = n - 1; i > 0; i--) {
        int64_t j = (int64_t) rg_rng_below(rng, (uint64_t) i + 1);
        rg_mf_rating_t t = r[i];
        r[i] = r[j];
        r[j] = t;
    }
}

/* ---- lifecycle ---- */

static void rg_mf_release(rg_model_t *m) {
    rg_mf_impl_t *w = m->impl;
    if (!w) {
        return;
    }
    free(w->ratings);
    free(w->blk_ptr);
    free(w->done);
    free(w->blk_sse);
    free(w->busy_u);
    free(w->busy_m);
    free(w);
    m->impl = NULL;
}

/* Bins of one side: a seeded random permutation cut into nb equal parts. */
static rg_error_t rg_i_bins(int32_t *bin, int64_t n, int nb, rg_rng_t *r) {
    int32_t *perm = rg_malloc((size_t) (n > 0 ? n : 1) * sizeof *perm);
    if (!perm) {
        RG_ERROR(RG_ENOMEM, "mf: cannot allocate %lld bin indices", (long long) n);
    }
    for (int64_t i = 0; i < n; i++) {
        perm[i] = (int32_t) i;
    }
    rg_rng_shuffle_i32(r, perm, n);
    for (int64_t i = 0; i < n; i++) {
        bin[perm[i]] = (int32_t) (i * nb / n);
    }
    free(perm);
    return RG_SUCCESS;
}

static rg_error_t rg_mf_init(rg_model_t *m, const rg_graph_t *train) {
    rg_error_t rc = RG_SUCCESS;
    int32_t *ubin = NULL, *mbin = NULL;
    int64_t *fill = NULL;
    rg_mf_impl_t *w = NULL;
    rg_rng_t r;
    rg_hp_default_i(&m->hp.dim, 128);
    rg_hp_default_i(&m->hp.epochs, 40);
    rg_hp_default_f(&m->hp.lr, 0.01f);
    rg_hp_default_f(&m->hp.reg, 0.05f);
    if (m->hp.dim < 1 || !(m->hp.lr > 0.0f) || !(m->hp.reg >= 0.0f)) {
        RG_ERROR(RG_EINVAL, "mf: need dim >= 1, lr > 0, reg >= 0 (got %d, %g, %g)",
                 (int) m->hp.dim, (double) m->hp.lr, (double) m->hp.reg);
    }
    int D = m->hp.dim;
    RG_CHECK(rg_model_declare(m, "user_emb", RG_DTYPE_F32, m->n_users, D));
    RG_CHECK(rg_model_declare(m, "movie_emb", RG_DTYPE_F32, m->n_movies, D));
    RG_CHECK(rg_model_declare(m, "user_bias", RG_DTYPE_F32, m->n_users, 1));
    RG_CHECK(rg_model_declare(m, "movie_bias", RG_DTYPE_F32, m->n_movies, 1));
    RG_CHECK(rg_model_alloc(m));

    rg_rng_init(&r, m->hp.seed);
    float std = RG_MF_INIT_STD / sqrtf(sqrtf((float) D));
    float *P = rg_model_f32(m, "user_emb"), *Q = rg_model_f32(m, "movie_emb");
    for (size_t i = 0; i < (size_t) m->n_users * D; i++) {
        P[i] = std * (float) rg_rng_normal(&r);
    }
    for (size_t i = 0; i < (size_t) m->n_movies * D; i++) {
        Q[i] = std * (float) rg_rng_normal(&r);
    }

    /* the blocked rating matrix */
    w = rg_calloc(1, sizeof *w);
    if (!w) {
        RG_FAIL(RG_ENOMEM, "mf: out of memory");
    }
    m->impl = w;
#ifdef _OPENMP
    w->nt = m->hp.n_threads > 0 ? m->hp.n_threads : omp_get_max_threads();
#else
    w->nt = 1;
#endif
    w->nb = w->nt > 1 ? w->nt + 1 : 1;
    int nb = w->nb, nblk = nb * nb;
    int64_t E = train->n_ratings;
    w->ratings = rg_malloc((size_t) (E > 0 ? E : 1) * sizeof *w->ratings);
    w->blk_ptr = rg_calloc((size_t) nblk + 1, sizeof *w->blk_ptr);
    w->done = rg_calloc((size_t) nblk, sizeof *w->done);
    w->blk_sse = rg_calloc((size_t) nblk, sizeof *w->blk_sse);
    w->busy_u = rg_calloc((size_t) nb, 1);
    w->busy_m = rg_calloc((size_t) nb, 1);
    ubin = rg_malloc((size_t) (m->n_users > 0 ? m->n_users : 1) * sizeof *ubin);
    mbin = rg_malloc((size_t) (m->n_movies > 0 ? m->n_movies : 1) * sizeof *mbin);
    fill = rg_calloc((size_t) nblk, sizeof *fill);
    if (!w->ratings || !w->blk_ptr || !w->done || !w->blk_sse || !w->busy_u || !w->busy_m ||
        !ubin || !mbin || !fill) {
        RG_FAIL(RG_ENOMEM, "mf: cannot allocate the blocked matrix of %lld ratings",
                (long long) E);
    }
    RG_TRY(rg_i_bins(ubin, m->n_users, nb, &r));
    RG_TRY(rg_i_bins(mbin, m->n_movies, nb, &r));
    for (int32_t u = 0; u < train->n_users; u++) {
        for (int64_t e = train->user_ptr[u]; e < train->user_ptr[u + 1]; e++) {
            w->blk_ptr[ubin[u] * nb + mbin[train->user_adj[e]] + 1]++;
        }
    }
    for (int b = 0; b < nblk; b++) {
        w->blk_ptr[b + 1] += w->blk_ptr[b];
    }
    for (int32_t u = 0; u < train->n_users; u++) {
        for (int64_t e = train->user_ptr[u]; e < train->user_ptr[u + 1]; e++) {
            int b = ubin[u] * nb + mbin[train->user_adj[e]];
            rg_mf_rating_t *x = &w->ratings[w->blk_ptr[b] + fill[b]++];
            x->u = u;
            x->m = train->user_adj[e];
            x->r = train->rating[e];
        }
    }
    rg_rng_init(&w->sched, rg_rng_mix(m->hp.seed, RG_MF_BLOCK_STREAM - 1));

cleanup:
    free(ubin);
    free(mbin);
    free(fill);
    if (rc != RG_SUCCESS) {
        rg_mf_release(m);
    }
    return rc;
}

/* ---- training ---- */

/* Under the scheduler lock: a block not yet updated in this epoch whose user bin and movie bin
 * are both free, chosen uniformly by the seeded scheduler stream and marked busy; -1 when every
 * remaining block shares a bin with a running one (the caller yields and asks again). */
static int rg_i_pick_block(rg_mf_impl_t *w) {
    int nb = w->nb, pick = -1, n_free = 0;
    for (int b = 0; b < nb * nb; b++) {
        if (w->done[b] || w->busy_u[b / nb] || w->busy_m[b % nb]) {
            continue;
        }
        /* reservoir sampling: the i-th candidate replaces the pick with probability 1/i */
        n_free++;
        if (rg_rng_below(&w->sched, (uint64_t) n_free) == 0) {
            pick = b;
        }
    }
    if (pick >= 0) {
        w->busy_u[pick / nb] = 1;
        w->busy_m[pick % nb] = 1;
        w->done[pick] = 1;
    }
    return pick;
}

static rg_error_t rg_mf_epoch(rg_model_t *m, const rg_graph_t *train, int epoch, double *loss) {
    rg_mf_impl_t *w = m->impl;
    if (!w) {
        RG_ERROR(RG_EINVAL, "mf: epoch before init");
    }
    int D = m->hp.dim, nb = w->nb, nblk = nb * nb;
    float *P = rg_model_f32(m, "user_emb"), *Q = rg_model_f32(m, "movie_emb");
    float *bu = rg_model_f32(m, "user_bias"), *bm = rg_model_f32(m, "movie_bias");
    float mu = (float) m->global_mean, reg = m->hp.reg;
    float lr = m->hp.lr / (1.0f + RG_MF_LR_DECAY * (float) epoch);
    int handed = 0;
    for (int b = 0; b < nblk; b++) {
        w->blk_sse[b] = 0.0;
        w->done[b] = 0;
    }
#ifdef _OPENMP
#pragma omp parallel num_threads(w->nt)
#endif
    {
        for (;;) {
            int b = -1, finished = 0;
#ifdef _OPENMP
#pragma omp critical(rg_mf_scheduler)
#endif
            {
                if (handed >= nblk) {
                    finished = 1;
                } else {
                    b = rg_i_pick_block(w);
                    handed += b >= 0;
                }
            }
            if (finished) {
                break;
            }
            if (b < 0) {
                sched_yield(); /* the last blocks of an epoch can all conflict with running ones */
                continue;
            }
            rg_rng_t r;
            rg_rng_init(&r, rg_rng_mix(m->hp.seed, RG_MF_BLOCK_STREAM +
                                                       (uint64_t) epoch * (uint64_t) nblk +
                                                       (uint64_t) b));
            int64_t n = w->blk_ptr[b + 1] - w->blk_ptr[b];
            rg_mf_rating_t *rb = w->ratings + w->blk_ptr[b];
            rg_i_shuffle_ratings(&r, rb, n);
            w->blk_sse[b] = rg_i_sgd_block(rb, n, P, Q, bu, bm, D, mu, lr, reg);
#ifdef _OPENMP
#pragma omp critical(rg_mf_scheduler)
#endif
            {
                w->busy_u[b / nb] = 0;
                w->busy_m[b % nb] = 0;
            }
        }
    }
    double sse = 0.0;
    for (int b = 0; b < nblk; b++) {
        sse += w->blk_sse[b];
    }
    *loss = train->n_ratings > 0 ? sse / (double) train->n_ratings : 0.0;
    return RG_SUCCESS;
}

/* ---- prediction ---- */

static rg_error_t rg_mf_predict(const rg_model_t *m, const rg_graph_t *train, int64_t n,
                                const int32_t *users, const int32_t *movies, float *out) {
    (void) train;
    int D = m->hp.dim;
    const float *P = rg_model_f32(m, "user_emb"), *Q = rg_model_f32(m, "movie_emb");
    const float *bu = rg_model_f32(m, "user_bias"), *bm = rg_model_f32(m, "movie_bias");
    float mu = (float) m->global_mean;
    for (int64_t i = 0; i < n; i++) {
        out[i] = mu + bu[users[i]] + bm[movies[i]] +
                 rg_i_dot(P + (size_t) users[i] * D, Q + (size_t) movies[i] * D, D);
    }
    return RG_SUCCESS;
}

/* Scores of every movie for a user with factors p and bias b. */
static void rg_i_score_all(const rg_model_t *m, const float *p, float b, float *out) {
    int D = m->hp.dim;
    const float *Q = rg_model_f32(m, "movie_emb"), *bm = rg_model_f32(m, "movie_bias");
    float mu = (float) m->global_mean;
    for (int64_t j = 0; j < m->n_movies; j++) {
        out[j] = mu + b + bm[j] + rg_i_dot(p, Q + (size_t) j * D, D);
    }
}

static rg_error_t rg_mf_score(const rg_model_t *m, const rg_graph_t *train, int32_t u,
                              float *out) {
    (void) train;
    const float *P = rg_model_f32(m, "user_emb"), *bu = rg_model_f32(m, "user_bias");
    rg_i_score_all(m, P + (size_t) u * m->hp.dim, bu[u], out);
    return RG_SUCCESS;
}

/* Fold-in: with the movie factors and biases fixed, the new user's x = [p; b] minimises
 *   sum_i (r_i - mu - b_i - <x, [q_i; 1]>)^2 + reg * n * |x|^2,
 * the per-user part of the SGD objective (SGD applies reg once per rating, hence reg * n).  The
 * normal equations (F^T F + reg n I) x = F^T y are solved by Cholesky in double.
 * O(n D^2 + D^3) time, O(D^2) memory. */
static rg_error_t rg_mf_fold_in(const rg_model_t *m, const rg_graph_t *train, int64_t n,
                                const int32_t *movies, const float *ratings, float *out) {
    (void) train;
    rg_error_t rc = RG_SUCCESS;
    int D = m->hp.dim, K = D + 1;
    const float *Q = rg_model_f32(m, "movie_emb"), *bm = rg_model_f32(m, "movie_bias");
    double *A = rg_calloc((size_t) K * K, sizeof *A);
    double *y = rg_calloc((size_t) K, sizeof *y);
    float *x = rg_malloc((size_t) K * sizeof *x);
    if (!A || !y || !x) {
        RG_FAIL(RG_ENOMEM, "mf fold-in: out of memory for a %d x %d system", K, K);
    }
    for (int64_t i = 0; i < n; i++) {
        const float *q = Q + (size_t) movies[i] * D;
        double t = (double) ratings[i] - m->global_mean - bm[movies[i]];
        for (int a = 0; a < K; a++) {
            double fa = a < D ? q[a] : 1.0;
            y[a] += fa * t;
            for (int c = 0; c <= a; c++) {
                A[a * K + c] += fa * (c < D ? q[c] : 1.0);
            }
        }
    }
    double lambda = (double) m->hp.reg * (double) n;
    for (int a = 0; a < K; a++) {
        A[a * K + a] += lambda;
    }
    /* Cholesky A = L L^T in the lower triangle */
    for (int j = 0; j < K; j++) {
        double s = A[j * K + j];
        for (int c = 0; c < j; c++) {
            s -= A[j * K + c] * A[j * K + c];
        }
        if (!(s > 0.0)) {
            RG_FAIL(RG_EINVAL, "mf fold-in: the normal equations are singular (reg is %g; "
                    "fold-in needs reg > 0 or more ratings than factors)", (double) m->hp.reg);
        }
        double d = sqrt(s);
        A[j * K + j] = d;
        for (int i = j + 1; i < K; i++) {
            double t = A[i * K + j];
            for (int c = 0; c < j; c++) {
                t -= A[i * K + c] * A[j * K + c];
            }
            A[i * K + j] = t / d;
        }
    }
    for (int i = 0; i < K; i++) { /* L z = y */
        double t = y[i];
        for (int c = 0; c < i; c++) {
            t -= A[i * K + c] * y[c];
        }
        y[i] = t / A[i * K + i];
    }
    for (int i = K - 1; i >= 0; i--) { /* L^T x = z */
        double t = y[i];
        for (int c = i + 1; c < K; c++) {
            t -= A[c * K + i] * y[c];
        }
        y[i] = t / A[i * K + i];
    }
    for (int i = 0; i < K; i++) {
        x[i] = (float) y[i];
    }
    rg_i_score_all(m, x, x[D], out);
cleanup:
    free(A);
    free(y);
    free(x);
    return rc;
}

const rg_model_ops_t rg_model_mf = {
    .name = "mf",
    .summary = "biased matrix factorisation, parallel SGD over LIBMF-style blocks",
    .predicts_ratings = 1,
    .val_fraction_default = -1.0f, /* fixed epochs: use every training rating */
    .init = rg_mf_init,
    .epoch = rg_mf_epoch,
    .predict = rg_mf_predict,
    .score = rg_mf_score,
    .fold_in = rg_mf_fold_in,
    .release = rg_mf_release,
};
