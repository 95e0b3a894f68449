/* mf.c: biased matrix factorisation with implicit feedback (SVD++), trained by parallel SGD over
 * LIBMF-style blocks.
 *
 *   r(u, m) ~ mu + b_u + b_m + <x_u, q_m>,  x_u = p_u + z_u,  z_u = |N(u)|^-1/2 sum_{j in N(u)} y_j
 *
 * N(u) is the set of movies u rated in the TRAINING graph (which movies, not how), y_j an implicit
 * factor per movie (Koren, "Factorization meets the neighborhood", KDD 2008): a user with few
 * ratings starts from what the movies they chose say about them.  Objective, with reg applied
 * once per rating as plain SGD does:
 *   sum_(u,m) (r - r(u, m))^2 + reg (n_u |p_u|^2 + n_m |q_m|^2)
 *     + RG_MF_BIAS_REG reg (n_u b_u^2 + n_m b_m^2) + RG_MF_IMPLICIT_REG reg sum_j |N(j)| |y_j|^2.
 * user_emb stores the effective factor x_u, so predict, score and `similar` need nothing else.
 *
 * Training alternates two steps per epoch.
 * 1. Blocked SGD on x, q and the biases with y (so z) fixed; per rating, e = r - r(u, m):
 *      b_u += lr_b (e - reg_b b_u),  b_m likewise,  x_u += lr (e q_m - reg x_u),
 *      q_m += lr (e x_u - reg q_m),   lr_b = RG_MF_BIAS_LR lr, reg_b = RG_MF_BIAS_REG reg.
 *    The penalty of p = x - z also pulls x towards z by lr reg z per rating; that term is the
 *    same for every rating of u in an epoch, so it is added after the blocks in closed form:
 *    x_u += (1 - a_u) z_u with a_u = (1 - lr reg)^n_u, which is exactly what the per-rating pulls
 *    sum to.  The kernel is therefore the plain MF kernel.
 * 2. One gradient step on y.  The epoch's data gradient of z_u, g_u = sum_t a^(n_u - t) e_t q_t
 *    (each rating's e q weighted by the decay it went through since), is recovered exactly from
 *    x at the start and end of the epoch: g_u = (x_u - a_u x_u^start) / lr.  Then, as message
 *    passes over the store (nn.h rg_mp_*): movies <- users G_j = sum_{u rated j} |N(u)|^-1/2 g_u,
 *      y_j = (y_j + s G_j) / (1 + s reg_y |N(j)|)     (proximal in the penalty)
 *    and users <- movies z_u = |N(u)|^-1/2 sum_j y_j, moving x_u by the change of z_u (p kept).
 *    The step s = lr RG_MF_IMPLICIT_STEP / (mean q^2 * max_j sum_{u rated j} n_u) divides by a
 *    bound on the curvature of the data term in y (the largest Gershgorin row sum of the
 *    Hessian, up to the mean squared factor entry), so the same constant works on ML-100K and
 *    ML-1M.  y is updated after the blocks, not inside them, because y_j is shared by every user
 *    who rated j: writing it in a block would race with the blocks that own those users.
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
 * statistically.  The implicit step is deterministic for any thread count.
 *
 * The learning rate decays as lr / (1 + RG_MF_LR_DECAY * epoch).  The constants below were
 * chosen on a validation split carved from ML-100K u1.base (never on u1.test) and checked on a
 * hold-out of the ML-1M training part.
 *
 * Tensors: user_emb (U, D) = x, movie_emb (M, D) = q, implicit_emb (M, D) = y, user_bias (U, 1),
 * movie_bias (M, 1).  Hyper-parameters: dim (D, default 128), epochs (40), lr (0.01),
 * reg (0.05), n_threads, seed.
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
#include "reelgraph/nn.h"
#include "reelgraph/rng.h"

#define RG_MF_INIT_STD 0.1f      /* factor initialisation: N(0, std^2 / sqrt(D)) per entry */
#define RG_MF_LR_DECAY 0.05f
#define RG_MF_BIAS_LR 0.5f       /* bias learning rate / lr */
#define RG_MF_BIAS_REG 0.3f      /* bias penalty / reg */
#define RG_MF_IMPLICIT_STEP 15.0f /* step of y in units of the curvature bound (see above) */
#define RG_MF_IMPLICIT_REG 0.1f  /* penalty of y per rater / reg */
#define RG_MF_MP_GRAIN 16e6      /* multiply-adds of a pass below which it runs serially */
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
    double h_max;             /* max over movies of sum_{u rated j} n_u */
    float *z;                 /* (U, D) implicit part of x during the epoch */
    float *g;                 /* (U, D) x at the start of the epoch, then g and the new z */
    float *dy;                /* (M, D) gathered gradient of y */
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

typedef struct {
    float *P, *Q, *bu, *bm;
    int D;
    float mu, lr, reg, lr_b, reg_b;
} rg_mf_step_t;

/* One SGD pass over the ratings of one block; returns their squared error before each update. */
static double rg_i_sgd_block(const rg_mf_rating_t *r, int64_t n, const rg_mf_step_t *s) {
    double sse = 0.0;
    int D = s->D;
    float lr = s->lr, reg = s->reg, lr_b = s->lr_b, reg_b = s->reg_b;
    for (int64_t i = 0; i < n; i++) {
        int32_t u = r[i].u, mv = r[i].m;
        float *restrict p = s->P + (size_t) u * D, *restrict q = s->Q + (size_t) mv * D;
        float e = r[i].r - (s->mu + s->bu[u] + s->bm[mv] + rg_i_dot(p, q, D));
        sse += (double) e * e;
        s->bu[u] += lr_b * (e - reg_b * s->bu[u]);
        s->bm[mv] += lr_b * (e - reg_b * s->bm[mv]);
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

/* |N(u)|^-1/2, the weight of each implicit factor in z_u (0 without ratings). */
static inline float rg_i_implicit_weight(int64_t n) {
    return n > 0 ? 1.0f / sqrtf((float) n) : 0.0f;
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
    free(w->z);
    free(w->g);
    free(w->dy);
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
    int64_t U = m->n_users, M = m->n_movies;
    RG_CHECK(rg_model_declare(m, "user_emb", RG_DTYPE_F32, U, D));
    RG_CHECK(rg_model_declare(m, "movie_emb", RG_DTYPE_F32, M, D));
    RG_CHECK(rg_model_declare(m, "implicit_emb", RG_DTYPE_F32, M, D));
    RG_CHECK(rg_model_declare(m, "user_bias", RG_DTYPE_F32, U, 1));
    RG_CHECK(rg_model_declare(m, "movie_bias", RG_DTYPE_F32, M, 1));
    RG_CHECK(rg_model_alloc(m));

    rg_rng_init(&r, m->hp.seed);
    float std = RG_MF_INIT_STD / sqrtf(sqrtf((float) D));
    float *P = rg_model_f32(m, "user_emb"), *Q = rg_model_f32(m, "movie_emb");
    for (size_t i = 0; i < (size_t) U * D; i++) {
        P[i] = std * (float) rg_rng_normal(&r);
    }
    for (size_t i = 0; i < (size_t) M * D; i++) {
        Q[i] = std * (float) rg_rng_normal(&r);
    }
    /* y starts at 0, so z = 0 and x = p */

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
    w->z = rg_calloc((size_t) U * D + 1, sizeof *w->z);
    w->g = rg_calloc((size_t) U * D + 1, sizeof *w->g);
    w->dy = rg_calloc((size_t) M * D + 1, sizeof *w->dy);
    ubin = rg_malloc((size_t) (U > 0 ? U : 1) * sizeof *ubin);
    mbin = rg_malloc((size_t) (M > 0 ? M : 1) * sizeof *mbin);
    fill = rg_calloc((size_t) nblk, sizeof *fill);
    if (!w->ratings || !w->blk_ptr || !w->done || !w->blk_sse || !w->busy_u || !w->busy_m ||
        !w->z || !w->g || !w->dy || !ubin || !mbin || !fill) {
        RG_FAIL(RG_ENOMEM, "mf: cannot allocate the blocked matrix of %lld ratings and the "
                "implicit-feedback workspace (%lld x %d)", (long long) E,
                (long long) (U > M ? U : M), D);
    }
    for (int64_t j = 0; j < M; j++) {
        double h = 0.0;
        for (int64_t e = train->movie_ptr[j]; e < train->movie_ptr[j + 1]; e++) {
            h += (double) rg_graph_user_degree(train, train->movie_adj[e]);
        }
        w->h_max = h > w->h_max ? h : w->h_max;
    }
    RG_TRY(rg_i_bins(ubin, U, nb, &r));
    RG_TRY(rg_i_bins(mbin, M, nb, &r));
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

/* Step 2 of an epoch (see the top of the file), after the blocks ran with rate lr; w->g holds x
 * at the start of the epoch.  The deferred pull of x towards z, the step on y, the new z and x.
 * O(E D + (U + M) D). */
static void rg_i_implicit_step(rg_model_t *m, const rg_graph_t *train, float lr) {
    rg_mf_impl_t *w = m->impl;
    int D = m->hp.dim;
    int64_t U = m->n_users, M = m->n_movies;
    float *X = rg_model_f32(m, "user_emb"), *Y = rg_model_f32(m, "implicit_emb");
    const float *Q = rg_model_f32(m, "movie_emb");
    float reg = m->hp.reg;
    /* the passes are short on small graphs, where a second thread mostly spins at barriers */
    int nt = (double) train->n_ratings * D >= RG_MF_MP_GRAIN ? w->nt : 1;
    rg_mp_csr_t users = {train->user_ptr, train->user_adj, NULL, NULL, U, M};
    rg_mp_transpose_t movies = {(int64_t *) train->movie_ptr, (int32_t *) train->movie_adj,
                                (int64_t *) train->movie_eid, M, train->n_ratings, 0};
    for (int64_t u = 0; u < U; u++) {
        int64_t n = rg_graph_user_degree(train, (int32_t) u);
        float a = powf(1.0f - lr * reg, (float) n), c = rg_i_implicit_weight(n) / lr;
        float *g = w->g + (size_t) u * D, *x = X + (size_t) u * D;
        const float *z = w->z + (size_t) u * D;
        for (int k = 0; k < D; k++) {
            g[k] = c * (x[k] - a * g[k]); /* |N(u)|^-1/2 g_u: what each y_j of u receives */
            x[k] += (1.0f - a) * z[k];
        }
    }
    memset(w->dy, 0, (size_t) M * D * sizeof *w->dy);
    rg_mp_aggregate_backward(w->dy, w->g, NULL, NULL, &users, &movies, D, RG_AGG_SUM, nt);
    double q2 = 0.0; /* mean squared entry of q over the ratings */
    for (int64_t j = 0; j < M; j++) {
        const float *q = Q + (size_t) j * D;
        q2 += (double) rg_graph_movie_degree(train, (int32_t) j) * rg_i_dot(q, q, D);
    }
    q2 /= (double) D * (double) (train->n_ratings > 0 ? train->n_ratings : 1);
    if (q2 > 0.0 && w->h_max > 0.0) {
        float s = lr * RG_MF_IMPLICIT_STEP / (float) (q2 * w->h_max);
        for (int64_t j = 0; j < M; j++) {
            float shrink = 1.0f / (1.0f + s * RG_MF_IMPLICIT_REG * reg *
                                              (float) rg_graph_movie_degree(train, (int32_t) j));
            float *y = Y + (size_t) j * D;
            const float *dy = w->dy + (size_t) j * D;
            for (int k = 0; k < D; k++) {
                y[k] = (y[k] + s * dy[k]) * shrink;
            }
        }
    }
    rg_mp_aggregate_forward(w->g, NULL, NULL, Y, &users, D, RG_AGG_SUM, nt);
    for (int64_t u = 0; u < U; u++) {
        float c = rg_i_implicit_weight(rg_graph_user_degree(train, (int32_t) u));
        float *z = w->z + (size_t) u * D, *x = X + (size_t) u * D;
        const float *sum_y = w->g + (size_t) u * D;
        for (int k = 0; k < D; k++) {
            float zk = c * sum_y[k];
            x[k] += zk - z[k];
            z[k] = zk;
        }
    }
}

static rg_error_t rg_mf_epoch(rg_model_t *m, const rg_graph_t *train, int epoch, double *loss) {
    rg_mf_impl_t *w = m->impl;
    if (!w) {
        RG_ERROR(RG_EINVAL, "mf: epoch before init");
    }
    int nb = w->nb, nblk = nb * nb;
    float lr = m->hp.lr / (1.0f + RG_MF_LR_DECAY * (float) epoch);
    rg_mf_step_t s = {
        .P = rg_model_f32(m, "user_emb"),
        .Q = rg_model_f32(m, "movie_emb"),
        .bu = rg_model_f32(m, "user_bias"),
        .bm = rg_model_f32(m, "movie_bias"),
        .D = m->hp.dim,
        .mu = (float) m->global_mean,
        .lr = lr,
        .reg = m->hp.reg,
        .lr_b = RG_MF_BIAS_LR * lr,
        .reg_b = RG_MF_BIAS_REG * m->hp.reg,
    };
    int handed = 0;
    memcpy(w->g, s.P, (size_t) m->n_users * (size_t) s.D * sizeof *w->g);
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
            w->blk_sse[b] = rg_i_sgd_block(rb, n, &s);
#ifdef _OPENMP
#pragma omp critical(rg_mf_scheduler)
#endif
            {
                w->busy_u[b / nb] = 0;
                w->busy_m[b % nb] = 0;
            }
        }
    }
    rg_i_implicit_step(m, train, lr);
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

/* Fold-in: with the movie factors, implicit factors and biases fixed, the new user's implicit
 * part is z = n^-1/2 sum_i y_i over the n rated movies, and v = [p; b] minimises
 *   sum_i (r_i - mu - b_i - <z, q_i> - <v, [q_i; 1]>)^2 + reg n (|p|^2 + RG_MF_BIAS_REG b^2),
 * the per-user part of the training objective (SGD applies the penalties once per rating,
 * hence the factor n); the user's factor is x = p + z.  The normal equations are solved by
 * Cholesky in double.  A model file without implicit_emb folds in with z = 0.
 * O(n D^2 + D^3) time, O(D^2) memory. */
static rg_error_t rg_mf_fold_in(const rg_model_t *m, const rg_graph_t *train, int64_t n,
                                const int32_t *movies, const float *ratings, float *out) {
    (void) train;
    rg_error_t rc = RG_SUCCESS;
    int D = m->hp.dim, K = D + 1;
    const float *Q = rg_model_f32(m, "movie_emb"), *bm = rg_model_f32(m, "movie_bias");
    const float *Y = rg_model_f32(m, "implicit_emb");
    double *A = rg_calloc((size_t) K * K, sizeof *A);
    double *y = rg_calloc((size_t) K, sizeof *y);
    float *x = rg_calloc((size_t) K, sizeof *x);
    if (!A || !y || !x) {
        RG_FAIL(RG_ENOMEM, "mf fold-in: out of memory for a %d x %d system", K, K);
    }
    if (Y) { /* z into x[0 .. D) */
        for (int64_t i = 0; i < n; i++) {
            const float *y_i = Y + (size_t) movies[i] * D;
            for (int k = 0; k < D; k++) {
                x[k] += y_i[k];
            }
        }
        float c = rg_i_implicit_weight(n);
        for (int k = 0; k < D; k++) {
            x[k] *= c;
        }
    }
    for (int64_t i = 0; i < n; i++) {
        const float *q = Q + (size_t) movies[i] * D;
        double t = (double) ratings[i] - m->global_mean - bm[movies[i]] - rg_i_dot(x, q, D);
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
        A[a * K + a] += a < D ? lambda : RG_MF_BIAS_REG * lambda;
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
    for (int i = 0; i < K; i++) { /* L w = y */
        double t = y[i];
        for (int c = 0; c < i; c++) {
            t -= A[i * K + c] * y[c];
        }
        y[i] = t / A[i * K + i];
    }
    for (int i = K - 1; i >= 0; i--) { /* L^T v = w */
        double t = y[i];
        for (int c = i + 1; c < K; c++) {
            t -= A[c * K + i] * y[c];
        }
        y[i] = t / A[i * K + i];
    }
    for (int i = 0; i < K; i++) {
        x[i] += (float) y[i]; /* x = z + p, and the bias */
    }
    rg_i_score_all(m, x, x[D], out);
cleanup:
    free(A);
    free(y);
    free(x);
    return rc;
}

/* Checks the tensors of a loaded model before anything reads them: the shapes follow from the
 * graph and hp.dim, so a crafted file cannot make predict read past an array. */
static rg_error_t rg_mf_attach(rg_model_t *m, const rg_graph_t *train) {
    int64_t D = m->hp.dim;
    RG_CHECK(rg_model_expect(m, "user_emb", RG_DTYPE_F32, train->n_users, D));
    RG_CHECK(rg_model_expect(m, "movie_emb", RG_DTYPE_F32, train->n_movies, D));
    RG_CHECK(rg_model_expect(m, "user_bias", RG_DTYPE_F32, train->n_users, 1));
    RG_CHECK(rg_model_expect(m, "movie_bias", RG_DTYPE_F32, train->n_movies, 1));
    if (rg_model_tensor(m, "implicit_emb")) { /* absent in files from before SVD++ */
        RG_CHECK(rg_model_expect(m, "implicit_emb", RG_DTYPE_F32, train->n_movies, D));
    }
    return RG_SUCCESS;
}

const rg_model_ops_t rg_model_mf = {
    .name = "mf",
    .summary = "biased matrix factorisation with implicit feedback (SVD++), parallel SGD over "
               "LIBMF-style blocks",
    .predicts_ratings = 1,
    .val_fraction_default = -1.0f, /* fixed epochs: use every training rating */
    .init = rg_mf_init,
    .epoch = rg_mf_epoch,
    .attach = rg_mf_attach,
    .predict = rg_mf_predict,
    .score = rg_mf_score,
    .fold_in = rg_mf_fold_in,
    .release = rg_mf_release,
};
