/* autoencoder.h (private): the genre autoencoder shared by the "autoencoder" model and the
 * "content" model (which trains one as a sub-step and reads movie codes through its encoder),
 * and the taste-profile message passing both use.  Never installed.
 *
 * Shapes: M movies, G genres (input width), C code size, B batch rows.
 *   encoder  z (B,C) = tanh(x (B,G) @ enc_w^T (C,G) + enc_b (C))
 *   decoder  logit (B,G) = z @ dec_w^T (G,C) + dec_b (G);  xhat = sigmoid(logit)
 *   loss     BCE(logit, x), mean over the B*G entries (rg_loss_bce_logits)
 * The four tensors are declared together, in this order, as "enc_w", "enc_b", "dec_w", "dec_b",
 * so they form one contiguous range of the model's params block that the AE optimiser owns.
 */
#ifndef RG_MODELS_AUTOENCODER_H
#define RG_MODELS_AUTOENCODER_H

#include <stddef.h>
#include <stdint.h>

#include "reelgraph/graph.h"
#include "reelgraph/model.h"
#include "reelgraph/nn.h"
#include "reelgraph/rng.h"

/* Views of the four AE tensors inside one float block (params or a gradient block laid out
 * the same way).  They own nothing. */
typedef struct {
    int G, C;
    float *enc_w; /* (C,G) */
    float *enc_b; /* (C) */
    float *dec_w; /* (G,C) */
    float *dec_b; /* (G) */
} rg_i_ae_view_t;

/* Declares the four AE tensors of a model with G genres and code size C (before rg_model_alloc).
 * Errors: those of rg_model_declare. */
rg_error_t rg_i_ae_declare(rg_model_t *m, int G, int C);
/* Binds v to m's AE tensors in `block` (m->params, or a block of n_params floats laid out like
 * it); *offset and *n receive their contiguous range in the block.  RG_EFORMAT when a tensor is
 * missing or of the wrong shape, RG_EINTERNAL when they are not contiguous. */
rg_error_t rg_i_ae_bind(const rg_model_t *m, float *block, rg_i_ae_view_t *v, size_t *offset,
                        size_t *n);
/* Xavier weights, zero encoder bias, decoder bias = logit of each genre's frequency in X (M,G)
 * (so the untrained decoder already predicts the frequencies).  O(M*G + G*C). */
void rg_i_ae_init_params(const rg_i_ae_view_t *p, const float *X, int64_t M, rg_rng_t *r);

/* X (M,G): the movies' genre multi-hot rows from g->movie_genres.  Allocates *X (caller frees).
 * RG_EINVAL when g has no genres, RG_ENOMEM.  O(M*G). */
rg_error_t rg_i_genre_matrix(const rg_graph_t *g, float **X);
/* Z (M,C) = encoder(X (M,G)).  No allocation.  O(M*G*C). */
void rg_i_ae_encode(const rg_i_ae_view_t *p, const float *X, int64_t M, float *Z);

/* Training state: the movies split into trained and held-out ones (seeded), an Adam over the AE
 * range, the gradient block and the batch caches, all allocated once by init. */
typedef struct {
    int64_t n_movies;
    int G, C, B;
    float *X;           /* (M,G) genre rows, owned */
    int32_t *order;     /* (M) the trained movies first (n_train), then the held-out ones */
    int64_t n_train, n_heldout;
    size_t offset, n;   /* the AE range in params */
    float *grads;       /* (n) gradient of the AE range */
    rg_i_ae_view_t dview; /* views of grads */
    rg_adam_t adam;
    float lr;
    float *xb, *z, *logit, *dz, *dlogit; /* batch caches: (B,G) (B,C) (B,G) (B,C) (B,G) */
    rg_rng_t rng;
} rg_i_ae_trainer_t;

/* heldout_fraction in [0, 1): share of the movies kept out of training (chosen with a stream of
 * seed); B > 0 batch rows; lr > 0.  Binds to m (whose AE tensors must be allocated) but does not
 * initialise them.  Errors: RG_EINVAL, RG_ENOMEM and rg_i_ae_bind's.  O(M*G). */
rg_error_t rg_i_ae_trainer_init(rg_i_ae_trainer_t *t, const rg_model_t *m, const rg_graph_t *g,
                                float heldout_fraction, int B, float lr, uint64_t seed);
/* One shuffled pass over the trained movies, one Adam step per batch; returns the mean BCE per
 * entry.  O(n_train * G * C). */
double rg_i_ae_trainer_epoch(rg_i_ae_trainer_t *t, float *params);
/* Forward (and, when grads is non-NULL, backward accumulating into grads) on the n <= B movies
 * `ids`; returns the mean BCE per entry.  Exposed for the gradient checks.  O(n*G*C). */
double rg_i_ae_batch(rg_i_ae_trainer_t *t, const rg_i_ae_view_t *p, const rg_i_ae_view_t *grads,
                     const int32_t *ids, int n);
/* Reconstruction MSE (sigmoid output vs multi-hot) per entry over n movies `ids`; NAN when
 * n == 0.  Uses the trainer's caches.  O(n*G*C). */
double rg_i_ae_mse(rg_i_ae_trainer_t *t, const rg_i_ae_view_t *p, const int32_t *ids, int64_t n);
/* The same for the genre-frequency baseline: xhat[g] = frequency of genre g among the trained
 * movies. */
double rg_i_ae_freq_mse(const rg_i_ae_trainer_t *t, const int32_t *ids, int64_t n);
void rg_i_ae_trainer_free(rg_i_ae_trainer_t *t);

/* ---- taste profiles by message passing ---- */

/* Centred, normalised rating weights of n_rows rating lists: for row d (entries ptr[d] ..
 * ptr[d+1]-1 of rating), w_j = (r_j - mean_d) / sum_j |r_j - mean_d|, and 0 for a row whose
 * ratings are all equal.  Then the weighted sum of the movies' codes is a rating-weighted mean:
 * liked genres pull the profile one way, disliked ones the other.  fold (may be NULL): only the
 * entries with fold[j] == k take part (the others get w_j = 0 and count for nothing).  O(nnz). */
void rg_i_taste_weights(const int64_t *ptr, int64_t n_rows, const float *rating,
                        const uint8_t *fold, int k, float *w);
/* T (U,C): each user's taste profile, sum_j w_j Z[user_adj[j]] over the user's ratings in g,
 * with w from rg_i_taste_weights (w has g->n_ratings entries of scratch, caller-provided;
 * fold / k as there), aggregated by rg_mp_aggregate_forward (RG_AGG_WSUM) over the store's user
 * CSR.  O(E*C). */
void rg_i_taste_profiles(const rg_graph_t *g, const float *Z, int C, const uint8_t *fold, int k,
                         float *w, float *T, int n_threads);
/* t (C): the profile of a user given by n (movie, rating) pairs, by the same op. */
void rg_i_taste_fold_in(int64_t n_movies, const float *Z, int C, int64_t n, const int32_t *movies,
                        const float *ratings, float *w, float *t);

#endif
