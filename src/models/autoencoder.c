/* autoencoder.c: the genre autoencoder (the "autoencoder" model kind and the AE pieces the
 * "content" model reuses, see autoencoder.h).
 *
 * Each movie's genre multi-hot row x (G) is compressed to a code z = tanh(W_e x + b_e) of C
 * dims and decoded as xhat = sigmoid(W_d z + b_d), trained with binary cross-entropy by Adam on
 * mini-batches of movies.  A seeded share of the movies (AE_HELDOUT_FRACTION) is never trained
 * on: the model reports the reconstruction MSE of those held-out movies (the per-epoch
 * validation loss in the history, and the tensor "heldout_mse" = [autoencoder, genre-frequency
 * baseline]).  The codes of all movies are stored as "movie_emb" (M, C), so `similar` can use
 * them.
 *
 * The kind predicts no ratings.  It still ranks, by genre taste only: score(u, j) = <z_j, t_u>
 * with t_u the user's rating-weighted mean code (rg_i_taste_weights), so `recommend` works.
 *
 * Hyper-parameters: dim (code size C, default 8), epochs (200), lr (0.01), batch (32 movies).
 * Reference kernels only (sgemm through nn.h); the whole model is a few thousand floats.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "models/autoencoder.h"

#define AE_HELDOUT_FRACTION 0.2f      /* share of the movies held out for the reported MSE */
#define AE_STREAM_HELDOUT 0x6165686fULL /* RNG streams: "aeho" held-out choice, */
#define AE_STREAM_SHUFFLE 0x61657368ULL /* "aesh" batch order, */
#define AE_STREAM_INIT 0x61656977ULL    /* "aeiw" weight initialisation */
#define AE_ADAM_BETA1 0.9f
#define AE_ADAM_BETA2 0.999f
#define AE_ADAM_EPS 1e-8f

/* ---- tensors ---- */

rg_error_t rg_i_ae_declare(rg_model_t *m, int G, int C) {
    if (G < 1 || C < 1) {
        RG_ERROR(RG_EINVAL, "autoencoder: need at least one genre and one code dim (G=%d, C=%d)",
                 G, C);
    }
    RG_CHECK(rg_model_declare(m, "enc_w", RG_DTYPE_F32, C, G));
    RG_CHECK(rg_model_declare(m, "enc_b", RG_DTYPE_F32, 1, C));
    RG_CHECK(rg_model_declare(m, "dec_w", RG_DTYPE_F32, G, C));
    return rg_model_declare(m, "dec_b", RG_DTYPE_F32, 1, G);
}

rg_error_t rg_i_ae_bind(const rg_model_t *m, float *block, rg_i_ae_view_t *v, size_t *offset,
                        size_t *n) {
    const rg_tensor_t *ew = rg_model_tensor(m, "enc_w"), *eb = rg_model_tensor(m, "enc_b");
    const rg_tensor_t *dw = rg_model_tensor(m, "dec_w"), *db = rg_model_tensor(m, "dec_b");
    if (!ew || !eb || !dw || !db || ew->dtype != RG_DTYPE_F32 || eb->dtype != RG_DTYPE_F32 ||
        dw->dtype != RG_DTYPE_F32 || db->dtype != RG_DTYPE_F32) {
        RG_ERROR(RG_EFORMAT, "autoencoder: model lacks the tensors enc_w, enc_b, dec_w, dec_b");
    }
    int64_t C = ew->rows, G = ew->cols;
    if (eb->rows * eb->cols != C || dw->rows != G || dw->cols != C || db->rows * db->cols != G) {
        RG_ERROR(RG_EFORMAT, "autoencoder: encoder (%lld,%lld) and decoder (%lld,%lld) shapes "
                 "do not match", (long long) C, (long long) G, (long long) dw->rows,
                 (long long) dw->cols);
    }
    size_t base = ew->offset, cg = (size_t) (C * G);
    if (eb->offset != base + cg || dw->offset != base + cg + (size_t) C ||
        db->offset != base + 2 * cg + (size_t) C) {
        RG_ERROR(RG_EINTERNAL, "autoencoder: the four AE tensors are not contiguous");
    }
    v->G = (int) G;
    v->C = (int) C;
    v->enc_w = block + base;
    v->enc_b = v->enc_w + cg;
    v->dec_w = v->enc_b + C;
    v->dec_b = v->dec_w + cg;
    *offset = base;
    *n = 2 * cg + (size_t) (C + G);
    return RG_SUCCESS;
}

void rg_i_ae_init_params(const rg_i_ae_view_t *p, const float *X, int64_t M, rg_rng_t *r) {
    const int G = p->G, C = p->C;
    rg_param_init_xavier(p->enc_w, (size_t) C * (size_t) G, G, C, r);
    rg_param_zero(p->enc_b, (size_t) C);
    rg_param_init_xavier(p->dec_w, (size_t) G * (size_t) C, C, G, r);
    for (int g = 0; g < G; g++) {
        /* frequency shrunk towards 1/2 by one pseudo-movie each way, so the logit is finite */
        double s = 1.0;
        for (int64_t i = 0; i < M; i++) {
            s += X[(size_t) i * (size_t) G + (size_t) g];
        }
        double f = s / ((double) M + 2.0);
        p->dec_b[g] = (float) log(f / (1.0 - f));
    }
}

rg_error_t rg_i_genre_matrix(const rg_graph_t *g, float **X) {
    *X = NULL;
    if (g->n_genres < 1 || g->n_genres > RG_MAX_GENRES) {
        RG_ERROR(RG_EINVAL, "autoencoder: the graph has %d genres; the genre models need 1..%d",
                 g->n_genres, RG_MAX_GENRES);
    }
    const int G = g->n_genres;
    const int64_t M = g->n_movies;
    float *x = rg_malloc((size_t) (M > 0 ? M : 1) * (size_t) G * sizeof *x);
    if (x == NULL) {
        RG_ERROR(RG_ENOMEM, "autoencoder: cannot allocate the %lld x %d genre matrix",
                 (long long) M, G);
    }
    for (int64_t i = 0; i < M; i++) {
        for (int k = 0; k < G; k++) {
            x[(size_t) i * (size_t) G + (size_t) k] = (float) ((g->movie_genres[i] >> k) & 1u);
        }
    }
    *X = x;
    return RG_SUCCESS;
}

void rg_i_ae_encode(const rg_i_ae_view_t *p, const float *X, int64_t M, float *Z) {
    if (M <= 0) {
        return;
    }
    rg_linear_forward(Z, X, p->enc_w, p->enc_b, (int) M, p->G, p->C);
    rg_tanh_forward(Z, Z, (size_t) M * (size_t) p->C);
}

/* ---- training ---- */

void rg_i_ae_trainer_free(rg_i_ae_trainer_t *t) {
    free(t->X);
    free(t->order);
    free(t->grads);
    rg_adam_free(&t->adam);
    free(t->xb);
    free(t->z);
    free(t->logit);
    free(t->dz);
    free(t->dlogit);
    memset(t, 0, sizeof *t);
}

rg_error_t rg_i_ae_trainer_init(rg_i_ae_trainer_t *t, const rg_model_t *m, const rg_graph_t *g,
                                float heldout_fraction, int B, float lr, uint64_t seed) {
    rg_error_t rc = RG_SUCCESS;
    rg_i_ae_view_t pv;
    rg_rng_t r;
    memset(t, 0, sizeof *t);
    if (!(heldout_fraction >= 0.0f && heldout_fraction < 1.0f) || B < 1 || !(lr > 0.0f)) {
        RG_ERROR(RG_EINVAL, "autoencoder: held-out fraction %g must be in [0,1), batch %d >= 1, "
                 "lr %g > 0", (double) heldout_fraction, B, (double) lr);
    }
    RG_TRY(rg_i_ae_bind(m, m->params, &pv, &t->offset, &t->n));
    if (pv.G != g->n_genres || g->n_movies != m->n_movies) {
        RG_FAIL(RG_EINVAL, "autoencoder: model has %d genres / %lld movies, the graph %d / %lld",
                pv.G, (long long) m->n_movies, g->n_genres, (long long) g->n_movies);
    }
    t->n_movies = g->n_movies;
    t->G = pv.G;
    t->C = pv.C;
    t->B = B;
    t->lr = lr;
    RG_TRY(rg_i_genre_matrix(g, &t->X));
    const size_t M = (size_t) (t->n_movies > 0 ? t->n_movies : 1);
    const size_t BG = (size_t) B * (size_t) t->G, BC = (size_t) B * (size_t) t->C;
    t->order = rg_malloc(M * sizeof *t->order);
    t->grads = rg_calloc(t->n, sizeof *t->grads);
    t->xb = rg_malloc(BG * sizeof *t->xb);
    t->logit = rg_malloc(BG * sizeof *t->logit);
    t->dlogit = rg_malloc(BG * sizeof *t->dlogit);
    t->z = rg_malloc(BC * sizeof *t->z);
    t->dz = rg_malloc(2 * BC * sizeof *t->dz); /* dz, then the pre-activation gradient */
    if (!t->order || !t->grads || !t->xb || !t->logit || !t->dlogit || !t->z || !t->dz) {
        RG_FAIL(RG_ENOMEM, "autoencoder: cannot allocate the training workspace (%lld movies)",
                (long long) t->n_movies);
    }
    RG_TRY(rg_adam_init(&t->adam, t->n, AE_ADAM_BETA1, AE_ADAM_BETA2, AE_ADAM_EPS, 0.0f,
                        RG_ADAM_L2));
    /* views of the gradient block, at the same relative offsets as the params */
    t->dview = pv;
    t->dview.enc_w = t->grads;
    t->dview.enc_b = t->grads + (pv.enc_b - pv.enc_w);
    t->dview.dec_w = t->grads + (pv.dec_w - pv.enc_w);
    t->dview.dec_b = t->grads + (pv.dec_b - pv.enc_w);
    for (int64_t i = 0; i < t->n_movies; i++) {
        t->order[i] = (int32_t) i;
    }
    rg_rng_init(&r, rg_rng_mix(seed, AE_STREAM_HELDOUT));
    rg_rng_shuffle_i32(&r, t->order, t->n_movies);
    t->n_heldout = (int64_t) llround((double) heldout_fraction * (double) t->n_movies);
    t->n_train = t->n_movies - t->n_heldout;
    rg_rng_init(&t->rng, rg_rng_mix(seed, AE_STREAM_SHUFFLE));
cleanup:
    if (rc != RG_SUCCESS) {
        rg_i_ae_trainer_free(t);
    }
    return rc;
}

/* Forward of n rows into the caches: xb (n,G) <- X[ids], z = tanh(enc), logit = dec(z). */
static void ae_forward(rg_i_ae_trainer_t *t, const rg_i_ae_view_t *p, const int32_t *ids, int n) {
    const int G = t->G, C = t->C;
    for (int b = 0; b < n; b++) {
        memcpy(t->xb + (size_t) b * (size_t) G, t->X + (size_t) ids[b] * (size_t) G,
               (size_t) G * sizeof *t->xb);
    }
    rg_linear_forward(t->z, t->xb, p->enc_w, p->enc_b, n, G, C);
    rg_tanh_forward(t->z, t->z, (size_t) n * (size_t) C);
    rg_linear_forward(t->logit, t->z, p->dec_w, p->dec_b, n, C, G);
}

double rg_i_ae_batch(rg_i_ae_trainer_t *t, const rg_i_ae_view_t *p, const rg_i_ae_view_t *grads,
                     const int32_t *ids, int n) {
    const int G = t->G, C = t->C;
    const size_t nG = (size_t) n * (size_t) G, nC = (size_t) n * (size_t) C;
    if (n <= 0) {
        return 0.0;
    }
    ae_forward(t, p, ids, n);
    if (grads == NULL) {
        return rg_loss_bce_logits(NULL, t->logit, t->xb, NULL, (int64_t) nG, (double) nG);
    }
    rg_param_zero(t->dlogit, nG);
    double loss = rg_loss_bce_logits(t->dlogit, t->logit, t->xb, NULL, (int64_t) nG, (double) nG);
    float *dz = t->dz, *dpre = t->dz + nC;
    rg_param_zero(dz, 2 * nC);
    /* forward was: logit = z @ dec_w^T + dec_b */
    rg_linear_backward(dz, grads->dec_w, grads->dec_b, t->dlogit, t->z, p->dec_w, n, C, G);
    /* forward was: z = tanh(pre) */
    rg_tanh_backward(dpre, dz, t->z, nC);
    /* forward was: pre = xb @ enc_w^T + enc_b */
    rg_linear_backward(NULL, grads->enc_w, grads->enc_b, dpre, t->xb, p->enc_w, n, G, C);
    return loss;
}

double rg_i_ae_trainer_epoch(rg_i_ae_trainer_t *t, float *params) {
    rg_i_ae_view_t pv = t->dview;
    pv.enc_w = params + t->offset;
    pv.enc_b = pv.enc_w + (t->dview.enc_b - t->dview.enc_w);
    pv.dec_w = pv.enc_w + (t->dview.dec_w - t->dview.enc_w);
    pv.dec_b = pv.enc_w + (t->dview.dec_b - t->dview.enc_w);
    double sum = 0.0;
    rg_rng_shuffle_i32(&t->rng, t->order, t->n_train);
    for (int64_t s = 0; s < t->n_train; s += t->B) {
        int n = (int) (t->n_train - s < t->B ? t->n_train - s : t->B);
        rg_param_zero(t->grads, t->n);
        sum += rg_i_ae_batch(t, &pv, &t->dview, t->order + s, n) * (double) n;
        rg_adam_step(&t->adam, params + t->offset, t->grads, t->lr);
    }
    return t->n_train > 0 ? sum / (double) t->n_train : NAN;
}

double rg_i_ae_mse(rg_i_ae_trainer_t *t, const rg_i_ae_view_t *p, const int32_t *ids, int64_t n) {
    const int G = t->G;
    double sse = 0.0;
    for (int64_t s = 0; s < n; s += t->B) {
        int nb = (int) (n - s < t->B ? n - s : t->B);
        ae_forward(t, p, ids + s, nb);
        size_t nG = (size_t) nb * (size_t) G;
        rg_sigmoid_forward(t->logit, t->logit, nG);
        for (size_t i = 0; i < nG; i++) {
            double d = (double) t->logit[i] - (double) t->xb[i];
            sse += d * d;
        }
    }
    return n > 0 ? sse / ((double) n * (double) G) : NAN;
}

double rg_i_ae_freq_mse(const rg_i_ae_trainer_t *t, const int32_t *ids, int64_t n) {
    const int G = t->G;
    double freq[RG_MAX_GENRES] = {0};
    for (int64_t i = 0; i < t->n_train; i++) {
        for (int g = 0; g < G; g++) {
            freq[g] += t->X[(size_t) t->order[i] * (size_t) G + (size_t) g];
        }
    }
    for (int g = 0; g < G; g++) {
        freq[g] = t->n_train > 0 ? freq[g] / (double) t->n_train : 0.0;
    }
    double sse = 0.0;
    for (int64_t i = 0; i < n; i++) {
        for (int g = 0; g < G; g++) {
            double d = freq[g] - (double) t->X[(size_t) ids[i] * (size_t) G + (size_t) g];
            sse += d * d;
        }
    }
    return n > 0 ? sse / ((double) n * (double) G) : NAN;
}

/* ---- taste profiles ---- */

void rg_i_taste_weights(const int64_t *ptr, int64_t n_rows, const float *rating,
                        const uint8_t *fold, int k, float *w) {
    for (int64_t d = 0; d < n_rows; d++) {
        int64_t lo = ptr[d], hi = ptr[d + 1], n = 0;
        double mean = 0.0, abs_sum = 0.0;
        for (int64_t j = lo; j < hi; j++) {
            if (fold == NULL || fold[j] == k) {
                mean += rating[j];
                n++;
            }
        }
        mean /= (double) (n > 0 ? n : 1);
        for (int64_t j = lo; j < hi; j++) {
            if (fold == NULL || fold[j] == k) {
                abs_sum += fabs((double) rating[j] - mean);
            }
        }
        for (int64_t j = lo; j < hi; j++) {
            int in = fold == NULL || fold[j] == k;
            w[j] = in && abs_sum > 0.0 ? (float) (((double) rating[j] - mean) / abs_sum) : 0.0f;
        }
    }
}

void rg_i_taste_profiles(const rg_graph_t *g, const float *Z, int C, const uint8_t *fold, int k,
                         float *w, float *T, int n_threads) {
    rg_i_taste_weights(g->user_ptr, g->n_users, g->rating, fold, k, w);
    rg_mp_csr_t csr = {.ptr = g->user_ptr, .idx = g->user_adj, .w = w, .eid = NULL,
                       .n_dst = g->n_users, .n_src = g->n_movies};
    rg_mp_aggregate_forward(T, NULL, NULL, Z, &csr, C, RG_AGG_WSUM, n_threads);
}

void rg_i_taste_fold_in(int64_t n_movies, const float *Z, int C, int64_t n, const int32_t *movies,
                        const float *ratings, float *w, float *t) {
    const int64_t ptr[2] = {0, n};
    rg_i_taste_weights(ptr, 1, ratings, NULL, 0, w);
    rg_mp_csr_t csr = {.ptr = ptr, .idx = movies, .w = w, .eid = NULL, .n_dst = 1,
                       .n_src = n_movies};
    rg_mp_aggregate_forward(t, NULL, NULL, Z, &csr, C, RG_AGG_WSUM, 1);
}

/* ======================================================================================== */
/* ---- the "autoencoder" model kind ---- */

static void ae_release(rg_model_t *m) {
    if (m->impl != NULL) {
        rg_i_ae_trainer_free(m->impl);
        free(m->impl);
    }
    m->impl = NULL;
}

static rg_error_t ae_init(rg_model_t *m, const rg_graph_t *train) {
    rg_error_t rc = RG_SUCCESS;
    rg_i_ae_view_t v;
    size_t off, n;
    rg_rng_t r;
    rg_hp_default_i(&m->hp.dim, 8);
    rg_hp_default_i(&m->hp.epochs, 200);
    rg_hp_default_f(&m->hp.lr, 0.01f);
    rg_hp_default_i(&m->hp.batch, 32);
    if (m->hp.dim < 1 || m->hp.batch < 1 || !(m->hp.lr > 0.0f)) {
        RG_ERROR(RG_EINVAL, "autoencoder: dim %d and batch %d must be >= 1 and lr %g > 0",
                 m->hp.dim, m->hp.batch, (double) m->hp.lr);
    }
    if (train->n_genres < 1) {
        RG_ERROR(RG_EINVAL, "autoencoder: graph %s has no genres to encode", train->name);
    }
    RG_CHECK(rg_i_ae_declare(m, train->n_genres, m->hp.dim));
    RG_CHECK(rg_model_declare(m, "movie_emb", RG_DTYPE_F32, m->n_movies, m->hp.dim));
    RG_CHECK(rg_model_declare(m, "heldout_mse", RG_DTYPE_F32, 1, 2));
    RG_CHECK(rg_model_alloc(m));
    rg_i_ae_trainer_t *t = rg_calloc(1, sizeof *t);
    if (t == NULL) {
        RG_ERROR(RG_ENOMEM, "autoencoder: cannot allocate the training state");
    }
    m->impl = t;
    RG_TRY(rg_i_ae_trainer_init(t, m, train, AE_HELDOUT_FRACTION, m->hp.batch, m->hp.lr,
                                m->hp.seed));
    RG_TRY(rg_i_ae_bind(m, m->params, &v, &off, &n));
    rg_rng_init(&r, rg_rng_mix(m->hp.seed, AE_STREAM_INIT));
    rg_i_ae_init_params(&v, t->X, t->n_movies, &r);
    float *mse = rg_model_f32(m, "heldout_mse");
    const int32_t *held = t->order + t->n_train;
    mse[0] = (float) rg_i_ae_mse(t, &v, held, t->n_heldout);
    mse[1] = (float) rg_i_ae_freq_mse(t, held, t->n_heldout);
cleanup:
    if (rc != RG_SUCCESS) {
        ae_release(m);
    }
    return rc;
}

/* One pass over the trained movies; *loss = mean BCE per entry.  Updates heldout_mse. */
static rg_error_t ae_epoch(rg_model_t *m, const rg_graph_t *train, int epoch, double *loss) {
    (void) train;
    (void) epoch;
    rg_i_ae_trainer_t *t = m->impl;
    rg_i_ae_view_t v;
    size_t off, n;
    if (t == NULL) {
        RG_ERROR(RG_EINVAL, "autoencoder: epoch before init");
    }
    RG_CHECK(rg_i_ae_bind(m, m->params, &v, &off, &n));
    *loss = rg_i_ae_trainer_epoch(t, m->params);
    rg_model_f32(m, "heldout_mse")[0] =
        (float) rg_i_ae_mse(t, &v, t->order + t->n_train, t->n_heldout);
    return RG_SUCCESS;
}

/* The validation loss is the held-out movies' reconstruction MSE (the ratings are not used). */
static rg_error_t ae_val_loss(const rg_model_t *m, const rg_graph_t *fit, int64_t n,
                              const int32_t *users, const int32_t *movies, const float *ratings,
                              double *loss) {
    (void) fit;
    (void) n;
    (void) users;
    (void) movies;
    (void) ratings;
    const float *mse = rg_model_f32(m, "heldout_mse");
    if (mse == NULL) {
        RG_ERROR(RG_EFORMAT, "autoencoder: model has no heldout_mse tensor");
    }
    *loss = mse[0];
    return RG_SUCCESS;
}

/* movie_emb = the codes of every movie of `train`.  O(M*G*C). */
static rg_error_t ae_attach(rg_model_t *m, const rg_graph_t *train) {
    rg_i_ae_view_t v;
    size_t off, n;
    float *X = NULL;
    float *Z = rg_model_f32(m, "movie_emb");
    RG_CHECK(rg_i_ae_bind(m, m->params, &v, &off, &n));
    RG_CHECK(rg_model_expect(m, "movie_emb", RG_DTYPE_F32, train->n_movies, v.C));
    if (train->n_genres != v.G || train->n_movies != m->n_movies) {
        RG_ERROR(RG_EFORMAT, "autoencoder: the graph's %d genres / %lld movies do not match the "
                 "model's %d / %lld", train->n_genres, (long long) train->n_movies, v.G,
                 (long long) m->n_movies);
    }
    RG_CHECK(rg_i_genre_matrix(train, &X));
    rg_i_ae_encode(&v, X, m->n_movies, Z);
    free(X);
    return RG_SUCCESS;
}

/* out (M) = <z_j, t> for the profile t of the n given (movie, rating) pairs. */
static rg_error_t ae_rank(const rg_model_t *m, int64_t n, const int32_t *movies,
                          const float *ratings, float *out) {
    const rg_tensor_t *zt = rg_model_tensor(m, "movie_emb");
    const float *Z = rg_model_f32(m, "movie_emb");
    if (Z == NULL) {
        RG_ERROR(RG_EFORMAT, "autoencoder: model has no movie_emb tensor");
    }
    const int C = (int) zt->cols;
    float *w = rg_malloc((size_t) (n > 0 ? n : 1) * sizeof *w);
    float *t = rg_malloc((size_t) C * sizeof *t);
    if (w == NULL || t == NULL) {
        free(w);
        free(t);
        RG_ERROR(RG_ENOMEM, "autoencoder: cannot allocate a profile of %lld ratings",
                 (long long) n);
    }
    rg_i_taste_fold_in(m->n_movies, Z, C, n, movies, ratings, w, t);
    /* out (M,1) = Z (M,C) @ t^T (1,C) */
    rg_linear_forward(out, Z, t, NULL, (int) m->n_movies, C, 1);
    free(w);
    free(t);
    return RG_SUCCESS;
}

static rg_error_t ae_score(const rg_model_t *m, const rg_graph_t *train, int32_t u, float *out) {
    if (u < 0 || u >= m->n_users || u >= train->n_users) {
        RG_ERROR(RG_ERANGE, "autoencoder: user %d out of range [0, %lld)", u,
                 (long long) m->n_users);
    }
    int64_t lo = train->user_ptr[u];
    return ae_rank(m, train->user_ptr[u + 1] - lo, train->user_adj + lo, train->rating + lo, out);
}

static rg_error_t ae_fold_in(const rg_model_t *m, const rg_graph_t *train, int64_t n,
                             const int32_t *movies, const float *ratings, float *out) {
    (void) train;
    if (n < 0) {
        RG_ERROR(RG_EINVAL, "autoencoder: negative rating count %lld", (long long) n);
    }
    for (int64_t i = 0; i < n; i++) {
        if (movies[i] < 0 || movies[i] >= m->n_movies) {
            RG_ERROR(RG_ERANGE, "autoencoder: movie %d (rating %lld) out of range [0, %lld)",
                     movies[i], (long long) i, (long long) m->n_movies);
        }
    }
    return ae_rank(m, n, movies, ratings, out);
}

static const char *const ae_report[] = {"heldout_mse", NULL};

const rg_model_ops_t rg_model_autoencoder = {
    .name = "autoencoder",
    .summary = "genre autoencoder: movie codes, held-out reconstruction MSE (ranks by genre taste)",
    .predicts_ratings = 0,
    .init = ae_init,
    .epoch = ae_epoch,
    .attach = ae_attach,
    .predict = NULL,
    .score = ae_score,
    .fold_in = ae_fold_in,
    .release = ae_release,
    .val_loss = ae_val_loss,
    .report = ae_report,
};
