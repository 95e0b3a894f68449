/* seqdata.h: private to src/models: each user's training ratings as a sequence in time order,
 * and the recurrent rating / next-movie model core shared by `rnn` and `lstm`.
 *
 * Order.  A user's sequence is ordered by timestamp when the timestamps are usable: every rating
 * has ts > 0 and they are not all equal.  Ties (ML-100K has many ratings in the same second) are
 * broken by a fixed hash of (user, movie), not by movie id, so the order inside a tie carries no
 * information the held-out movie could leak through.  A user without usable timestamps (the
 * ML-1M reconstruction: users 3000-6040 have ts = 0) has NO order: his sequence is kept in movie-id
 * order, marked untimed, and treated as a bag: training visits it in a fresh random permutation
 * every epoch (so no order can be learnt from it: his "next" movie and rating are just another
 * movie of the bag, a co-occurrence signal), prediction runs it in movie-id order.  The
 * leave-last-out protocol (seqeval.h) does not evaluate such users.
 */
#ifndef RG_MODELS_SEQDATA_H
#define RG_MODELS_SEQDATA_H

#include <stdint.h>

#include "reelgraph/graph.h"
#include "reelgraph/model.h"
#include "reelgraph/rng.h"

/* ---- sequences ---- */

typedef struct {
    int64_t n_users, n_movies;
    int64_t n;          /* entries = ratings of the graph */
    int64_t n_untimed;  /* users with ratings but no usable order */
    int32_t max_len;
    int64_t *ptr;       /* (U+1): user u's sequence is entries ptr[u] .. ptr[u+1]-1 */
    int32_t *movie;     /* (n) */
    float *rating;      /* (n) raw ratings */
    int64_t *ts;        /* (n) timestamps as stored (0 = unknown) */
    int32_t *movie_n;   /* (M) ratings of each movie */
    uint8_t *timed;     /* (U) 1 = time order, 0 = unknown order (movie-id order) */
    void *mem;          /* the one block all the arrays above live in */
} rg_i_seq_t;

/* Builds the sequences of every user of g.  s is overwritten; free with rg_i_seq_free.
 * Errors: RG_ENOMEM.  O(E log d_max). */
rg_error_t rg_i_seq_build(rg_i_seq_t *s, const rg_graph_t *g);
void rg_i_seq_free(rg_i_seq_t *s);

/* 1 when the n timestamps give an order: all > 0 and not all equal. */
int rg_i_seq_ts_usable(const int64_t *ts, int64_t n);

/* ---- the recurrent core shared by rnn.c and lstm.c ----
 *
 * Per user, the ratings (m_1, r_1) .. (m_T, r_T) in sequence order feed a recurrent cell:
 *     x_t = [E[m_t] (D) | r_t - mu]              s_t = cell(x_t, s_{t-1}),  s_0 = 0
 * where the state s holds h (and c for the LSTM).  Two heads read the state:
 *     rating:      r^(u, m | h) = mu + b_u + b_m + (h + p_u) . Q_m    (squared error), read
 *                  from the state BEFORE each input (its rating is the next rating) and from the
 *                  FINAL state for the ratings held out of this epoch's input;
 *     next movie:  logit(j) = h_{t-1} . P_j + c_j over the next input movie and K negatives drawn
 *                  uniformly per window (sampled softmax, accidental hits masked).
 * p_u is a stationary user vector beside the recurrent state (as in Wu et al., "Recurrent
 * Recommender Networks", WSDM 2017); dropout (hp.dropout) on h in the rating head keeps the
 * state from becoming a per-user code the rating layer memorises.  Each epoch a random
 * SEQ_HOLDOUT share of every user's ratings is held out of his input and predicted from the state
 * after the rest: the training analogue of a test rating, which lies anywhere in time and is
 * predicted from the whole training history (next-rating targets alone teach the state the
 * current session, and the final state then predicts badly: measured).
 * Objective = sum of (r^ - r)^2 + RANK_WEIGHT * xent + reg * (|Q_m|^2 + |p_u|^2 + |E_m|^2 +
 * |P_m|^2) per occurrence + 10 b_u^2 + 25 b_m^2 per epoch (damped means: the bias penalty is
 * spread over the bias's ratings).  Training runs batches of B users (sorted by input length so
 * the active rows of each step are a prefix) in windows of W steps (truncated BPTT: the state is
 * carried across windows, the gradient is not).  Per window, the cell, input embeddings and
 * next-movie layer take one lazy-Adam step; the rating layer (Q, b, p) is updated rating by
 * rating with SGD at hp.lr inside the window (SGD matrix factorisation).  Prediction uses the
 * final state of the user's WHOLE training sequence (the derived tensor "user_emb" = h_T, filled
 * by attach), never anything later.
 *
 * Tensors (trainable first, in this order): movie_emb (M, D), cell_wx (G*H, D+1),
 * cell_wh (G*H, H), cell_b (G*H, 1), rate_q (M, H), movie_bias (M, 1), user_bias (U, 1),
 * user_vec (U, H), rank_p (M, H), rank_c (M, 1); then the derived user_emb (U, H). */

/* A recurrent cell over a state of S planes (h, then c): plane p of a state buffer s is the
 * (rows, H) matrix at s + p * P.  Gates are stacked G blocks in Wx (G*H, Din), Wh (G*H, H),
 * b (G*H); cache holds C*H floats per row per step. */
typedef struct {
    const char *name;
    int G, S, C;
    /* Initialises the cell weights (seeded from r). */
    void (*init)(float *Wx, float *Wh, float *b, int Din, int H, rg_rng_t *r);
    /* s (B rows) = cell(x (B, Din), s_prev (B rows)); cache (B, C*H). */
    void (*forward)(float *s, float *cache, const float *x, const float *s_prev, const float *Wx,
                    const float *Wh, const float *b, int B, int Din, int H, size_t P);
    /* Given ds (gradient on s), accumulates dx (B, Din), ds_prev, dWx, dWh, db; dpre (B, G*H)
     * is scratch. */
    void (*backward)(float *dx, float *ds_prev, float *dWx, float *dWh, float *db,
                     const float *ds, const float *x, const float *s_prev, const float *s,
                     const float *cache, const float *Wx, const float *Wh, float *dpre, int B,
                     int Din, int H, size_t P);
} rg_i_seqcell_t;

/* The two cells (rnn.c, lstm.c), for the gradient checks. */
const rg_i_seqcell_t *rg_i_rnn_cell(void);
const rg_i_seqcell_t *rg_i_lstm_cell(void);

/* The model ops, parameterised by the cell (rnn.c and lstm.c bind their cell). */
rg_error_t rg_i_seqmodel_init(rg_model_t *m, const rg_graph_t *train, const rg_i_seqcell_t *cell);
rg_error_t rg_i_seqmodel_epoch(rg_model_t *m, const rg_graph_t *train, int epoch, double *loss);
rg_error_t rg_i_seqmodel_attach(rg_model_t *m, const rg_graph_t *train,
                                const rg_i_seqcell_t *cell);
rg_error_t rg_i_seqmodel_predict(const rg_model_t *m, const rg_graph_t *train, int64_t n,
                                 const int32_t *users, const int32_t *movies, float *out);
rg_error_t rg_i_seqmodel_score(const rg_model_t *m, const rg_graph_t *train, int32_t u,
                               float *out);
rg_error_t rg_i_seqmodel_fold_in(const rg_model_t *m, const rg_graph_t *train, int64_t n,
                                 const int32_t *movies, const float *ratings, float *out,
                                 const rg_i_seqcell_t *cell);
void rg_i_seqmodel_release(rg_model_t *m);

/* The training objective of the model on the sequences of g, and its gradient, with a FIXED set
 * of negatives per window (drawn from seed): the full-model finite-difference checks call this
 * with W >= the longest sequence (so no truncation) and compare grads (n_params of m, zeroed by
 * the caller, accumulated) to differences of the returned loss (sum over all ratings, not a
 * mean).  Errors: RG_ENOMEM, RG_EINVAL (tensors missing). */
rg_error_t rg_i_seqmodel_objective(const rg_model_t *m, const rg_graph_t *g,
                                   const rg_i_seqcell_t *cell, uint64_t seed, double *loss,
                                   float *grads);

#endif
