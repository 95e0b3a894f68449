/* nn.h: the numerical core every trained model shares: parameter helpers, layers with
 * hand-written backward passes, losses, optimizers and message-passing ops over CSR.
 *
 * Conventions (llm.c style):
 *  - Free functions with explicit shapes; every array is flat, row-major float32 and owned by the
 *    caller.  Shape letters: B batch rows, D input width, O output width, H hidden size, K latent
 *    size, N number of classes (items), E number of CSR entries (edges).
 *  - forward writes its outputs and saves what backward needs in caller-provided buffers (a
 *    "cache"); backward ACCUMULATES (+=) into every d* buffer, so weight sharing (time steps,
 *    message-passing rounds) just works; the caller zeroes gradients.  Any d* pointer may be NULL:
 *    that gradient is not computed.
 *  - forward and backward never allocate and cannot fail (void).  Inputs (ids, CSR indices) are
 *    trusted: they come from the store or the sampler, which validate them.  Functions that
 *    allocate (optimizer state, CSR transpose) return rg_error_t.
 *  - Dense products go through CBLAS sgemm (OpenBLAS), whose own thread pool sets their
 *    parallelism; the message-passing ops take an explicit n_threads (0 = OpenMP default).
 *  - Every sgemm-backed layer has a *_naive twin (plain loops) the tests compare it against.
 *  - Outputs may not alias inputs unless a function says so.
 */
#ifndef REELGRAPH_NN_H
#define REELGRAPH_NN_H

#include <stddef.h>
#include <stdint.h>

#include "reelgraph/error.h"
#include "reelgraph/rng.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ======================================================================================== */
/* ---- parameter helpers over a flat float block ---- */

/* p[i] ~ U(-bound, bound) for i < n.  O(n). */
void rg_param_init_uniform(float *p, size_t n, float bound, rg_rng_t *r);
/* Xavier/Glorot uniform: bound = sqrt(6 / (fan_in + fan_out)); for W (fan_out, fan_in) pass
 * n = fan_in * fan_out (n may differ, e.g. stacked gate matrices).  O(n). */
void rg_param_init_xavier(float *p, size_t n, int fan_in, int fan_out, rg_rng_t *r);
/* He/Kaiming uniform for ReLU layers: bound = sqrt(6 / fan_in).  O(n). */
void rg_param_init_he(float *p, size_t n, int fan_in, rg_rng_t *r);
/* p[0..n) = 0. */
void rg_param_zero(float *p, size_t n);
/* Zero the rows `rows` (n_rows ids, duplicates allowed) of a table g (., D): the cheap way to
 * clear an embedding gradient after a sparse update.  O(n_rows * D). */
void rg_grad_zero_rows(float *g, int D, const int32_t *rows, int64_t n_rows);
/* L2 norm of g (accumulated in double); when max_norm > 0 and the norm exceeds it, g is scaled
 * by max_norm / norm.  Returns the norm BEFORE clipping.  O(n). */
float rg_grad_clip_norm(float *g, size_t n, float max_norm);
/* Sorts ids in place and removes duplicates; returns the number of distinct ids (the first
 * entries of ids).  Use it to build the row list of a sparse optimizer step.  O(n log n). */
int64_t rg_ids_unique(int32_t *ids, int64_t n);

/* ======================================================================================== */
/* ---- linear ---- */

/* out (B,O) = inp (B,D) @ W^T (O,D) + b (O); b may be NULL (no bias).  sgemm.  O(B*D*O). */
void rg_linear_forward(float *out, const float *inp, const float *W, const float *b, int B,
                       int D, int O);
/* Accumulates: dinp (B,D) += dout (B,O) @ W (O,D); dW (O,D) += dout^T @ inp;
 * db (O) += sum_b dout[b].  Any d* may be NULL.  sgemm.  O(B*D*O). */
void rg_linear_backward(float *dinp, float *dW, float *db, const float *dout, const float *inp,
                        const float *W, int B, int D, int O);
/* A linear layer over a two-part concatenation that is never built: out (B,O) =
 * act([A | C] @ W^T + b) with A (B,DA) and C (B,DC) separate row-major blocks, W (O, DA+DC),
 * b (O) or NULL, act = relu when `relu`, else the identity.  For the graph models' layers over
 * thousands of rows, where OpenBLAS runs one thread (see the reelgraph command's BLAS
 * setting): the rows are split over n_threads OpenMP threads (0 = OpenMP's default; 1, or
 * fewer than two rows a thread, runs on the caller), each running single-threaded sgemms on
 * its share, two per thread on W's column blocks in place.  Never call it inside a parallel
 * region.  O(B (DA+DC) O). */
void rg_linear2_forward_mt(float *out, const float *A, int DA, const float *C, int DC,
                           const float *W, const float *b, int B, int O, int relu,
                           int n_threads);
/* Backward of rg_linear2_forward_mt given dout (B,O), the gradient of its output.  relu_out:
 * NULL for the identity; for a relu layer, its output, and then dpre (B,O) receives the
 * gradient before the relu (dpre is unused otherwise).  dA (B,DA) += g W[:, :DA] and
 * dW += g^T [A | C], db += column sums of g (accumulate, may be NULL), but dC (B,DC) is
 * OVERWRITTEN with g W[:, DA:]: C is a block that only feeds this layer (an aggregation), so
 * its gradient needs no zeroing pass.  g = dout or dpre.  Rows of dA, dC and the output units
 * of dW, db are split over the threads.  O(B (DA+DC) O). */
void rg_linear2_backward_mt(float *dA, float *dC, float *dW, float *db, float *dpre,
                            const float *dout, const float *relu_out, const float *A, int DA,
                            const float *C, int DC, const float *W, int B, int O,
                            int n_threads);
/* Reference versions: the same contract in plain loops (double accumulators), for tests. */
void rg_linear_forward_naive(float *out, const float *inp, const float *W, const float *b, int B,
                             int D, int O);
void rg_linear_backward_naive(float *dinp, float *dW, float *db, const float *dout,
                              const float *inp, const float *W, int B, int D, int O);

/* ---- embedding ---- */

/* out (B,D) = W[ids[b], :] for each b; W (n_rows, D).  O(B*D). */
void rg_embedding_forward(float *out, const float *W, const int32_t *ids, int B, int D);
/* Row-sparse backward: dW[ids[b], :] += dout[b, :] (repeated ids accumulate).  Only the looked-up
 * rows of dW are touched; serial (repeated ids would race).  O(B*D). */
void rg_embedding_backward(float *dW, const float *dout, const int32_t *ids, int B, int D);

/* ---- elementwise activations (n elements; forward may run in place, out == inp) ----
 * Backward uses the forward OUTPUT, so an in-place forward keeps what backward needs. */

/* out = max(inp, 0) */
void rg_relu_forward(float *out, const float *inp, size_t n);
/* dinp += dout * (out > 0) */
void rg_relu_backward(float *dinp, const float *dout, const float *out, size_t n);
/* out = 1 / (1 + exp(-inp)), evaluated without overflow for large |inp| */
void rg_sigmoid_forward(float *out, const float *inp, size_t n);
/* dinp += dout * out * (1 - out) */
void rg_sigmoid_backward(float *dinp, const float *dout, const float *out, size_t n);
/* out = tanh(inp) */
void rg_tanh_forward(float *out, const float *inp, size_t n);
/* dinp += dout * (1 - out^2) */
void rg_tanh_backward(float *dinp, const float *dout, const float *out, size_t n);

/* ---- dropout (inverted: kept units are scaled by 1/(1-p), so eval is the identity) ---- */

/* mask[i] = 1 with probability 1-p (drawn from r), out = inp * mask / (1-p).  p in [0, 1);
 * p == 0 copies and sets every mask to 1.  May run in place.  p is used to 1/65536: each unit
 * takes 16 random bits.  O(n). */
void rg_dropout_forward(float *out, uint8_t *mask, const float *inp, size_t n, float p,
                        rg_rng_t *r);
/* dinp += dout * mask / (1-p). */
void rg_dropout_backward(float *dinp, const float *dout, const uint8_t *mask, size_t n, float p);

/* ---- concat / split along the feature axis ---- */

/* out (B, Da+Db) = [a (B,Da) | b (B,Db)]. */
void rg_concat_forward(float *out, const float *a, const float *b, int B, int Da, int Db);
/* da += dout[:, :Da], db += dout[:, Da:] (either may be NULL). */
void rg_concat_backward(float *da, float *db, const float *dout, int B, int Da, int Db);
/* a (B,Da) = inp[:, :Da], b (B,Db) = inp[:, Da:] (either may be NULL). */
void rg_split_forward(float *a, float *b, const float *inp, int B, int Da, int Db);
/* dinp (B, Da+Db) += [da | db] (da or db may be NULL = zero). */
void rg_split_backward(float *dinp, const float *da, const float *db, int B, int Da, int Db);

/* ======================================================================================== */
/* ---- recurrent cells: one time step for a batch ----
 * Weights: Wx (G*H, D) on the input, Wh (G*H, H) on the previous hidden state, with G gate
 * blocks stacked in the order given per cell.  h_prev / c_prev may be NULL (= zeros, first
 * step); then nothing flows back to them.  In backward, dh / dc may be NULL (= zero).
 * Truncated BPTT: call backward for t = T-1 .. 0, passing step t's dh_prev as step t-1's dh. */

/* Elman: h (B,H) = tanh(x (B,D) @ Wx^T (H,D) + h_prev (B,H) @ Wh^T (H,H) + b (H)).
 * h itself is the only cache backward needs. */
void rg_rnn_cell_forward(float *h, const float *x, const float *h_prev, const float *Wx,
                         const float *Wh, const float *b, int B, int D, int H);
/* Accumulates dx (B,D), dh_prev (B,H), dWx, dWh, db.  dpre (B,H) is scratch (overwritten). */
void rg_rnn_cell_backward(float *dx, float *dh_prev, float *dWx, float *dWh, float *db,
                          const float *dh, const float *x, const float *h_prev, const float *h,
                          const float *Wx, const float *Wh, float *dpre, int B, int D, int H);

/* LSTM, gates stacked i, f, g, o (G = 4): Wx (4H,D), Wh (4H,H), b (4H).
 *   i = sigmoid(.), f = sigmoid(.), g = tanh(.), o = sigmoid(.) of x Wx^T + h_prev Wh^T + b
 *   c = f * c_prev + i * g;   h = o * tanh(c)
 * cache (B, 5H) per step: row b holds [i f g o (4H, activated) | tanh(c) (H)]. */
static inline size_t rg_lstm_cache_floats(int B, int H) { return (size_t) B * 5 * (size_t) H; }
void rg_lstm_cell_forward(float *h, float *c, float *cache, const float *x, const float *h_prev,
                          const float *c_prev, const float *Wx, const float *Wh, const float *b,
                          int B, int D, int H);
/* Given dh (B,H) and dc (B,H) (gradient reaching c from the next step; NULL = 0), accumulates
 * dx (B,D), dh_prev (B,H), dc_prev (B,H), dWx, dWh, db.  dpre (B,4H) is scratch. */
void rg_lstm_cell_backward(float *dx, float *dh_prev, float *dc_prev, float *dWx, float *dWh,
                           float *db, const float *dh, const float *dc, const float *x,
                           const float *h_prev, const float *c_prev, const float *cache,
                           const float *Wx, const float *Wh, float *dpre, int B, int D, int H);

/* GRU (the cuDNN/PyTorch form), gates stacked r, z, n (G = 3): Wx (3H,D), Wh (3H,H), bx (3H),
 * bh (3H) (either bias may be NULL).
 *   r = sigmoid(xr + hr), z = sigmoid(xz + hz), n = tanh(xn + r * hn)
 *   h = (1 - z) * n + z * h_prev
 * where [xr xz xn] = x Wx^T + bx and [hr hz hn] = h_prev Wh^T + bh.
 * cache (B, 6H) per step: row b holds [r z n (3H) | hr hz hn (3H)]. */
static inline size_t rg_gru_cache_floats(int B, int H) { return (size_t) B * 6 * (size_t) H; }
void rg_gru_cell_forward(float *h, float *cache, const float *x, const float *h_prev,
                         const float *Wx, const float *Wh, const float *bx, const float *bh,
                         int B, int D, int H);
/* Accumulates dx (B,D), dh_prev (B,H), dWx, dWh, dbx, dbh.  dpre (B, 6H) is scratch. */
void rg_gru_cell_backward(float *dx, float *dh_prev, float *dWx, float *dWh, float *dbx,
                          float *dbh, const float *dh, const float *x, const float *h_prev,
                          const float *cache, const float *Wx, const float *Wh, float *dpre,
                          int B, int D, int H);

/* ======================================================================================== */
/* ---- decoders: one score per (u, v) pair ---- */

/* score (B) = sum_k u (B,K) * v (B,K).  O(B*K). */
void rg_dot_decoder_forward(float *score, const float *u, const float *v, int B, int K);
/* du += dscore * v, dv += dscore * u. */
void rg_dot_decoder_backward(float *du, float *dv, const float *dscore, const float *u,
                             const float *v, int B, int K);
/* score (B) = u_b^T Q v_b with Q (K,K); cache Qv (B,K) = v Q^T is saved for backward.
 * O(B*K*K). */
void rg_bilinear_decoder_forward(float *score, float *Qv, const float *u, const float *v,
                                 const float *Q, int B, int K);
/* du += dscore * Qv, dv += (dscore * u) Q, dQ += sum_b dscore_b u_b v_b^T.
 * w (B,K) is scratch. */
void rg_bilinear_decoder_backward(float *du, float *dv, float *dQ, const float *dscore,
                                  const float *u, const float *v, const float *Q,
                                  const float *Qv, float *w, int B, int K);

/* ======================================================================================== */
/* ---- losses: return the loss (double); when the d* pointer is non-NULL ACCUMULATE its
 * gradient.  `norm` (> 0) divides the summed loss: pass the batch size for a mean, or the number
 * of observed entries for a masked mean.  `weight` (may be NULL = all 1) weights each term; a
 * 0/1 weight is a mask (autoencoder: only observed ratings). ---- */

/* L = sum_i weight_i (pred_i - target_i)^2 / norm;  dpred += 2 weight (pred - target) / norm. */
double rg_loss_mse(float *dpred, const float *pred, const float *target, const float *weight,
                   int64_t n, double norm);
/* Binary cross-entropy on logits x, target t in [0,1]:
 *   L = sum_i weight_i (softplus(x_i) - t_i x_i) / norm, softplus(x) = max(x,0) + log1p(exp(-|x|))
 *   dlogit += weight (sigmoid(x) - t) / norm.  Never overflows. */
double rg_loss_bce_logits(float *dlogit, const float *logit, const float *target,
                          const float *weight, int64_t n, double norm);
/* BPR: L = sum_i softplus(-(s_pos_i - s_neg_i)) / norm  (= -log sigmoid(s_pos - s_neg));
 * dpos += -sigmoid(-(s_pos - s_neg)) / norm, dneg -= the same. */
double rg_loss_bpr(float *dpos, float *dneg, const float *s_pos, const float *s_neg, int64_t n,
                   double norm);
/* Softmax cross-entropy over N classes: logits (B,N), target (B) in [0,N).
 *   L = sum_b (logsumexp(logits_b) - logits_b[target_b]) / norm   (max subtracted for stability)
 *   dlogits += (softmax(logits_b) - onehot(target_b)) / norm.  O(B*N). */
double rg_loss_softmax_xent(float *dlogits, const float *logits, const int32_t *target, int B,
                            int N, double norm);
/* Sampled softmax: logits (B, S) where column 0 is the positive and columns 1..S-1 are sampled
 * negatives; log_q (B,S) (may be NULL) is the log sampling probability of each column, subtracted
 * from the logit (logQ correction, Bengio & Senecal) so the estimate is unbiased-ish:
 *   z = logits - log_q;  L = sum_b (logsumexp(z_b) - z_b[0]) / norm
 *   dlogits += (softmax(z_b) - e_0) / norm. */
double rg_loss_sampled_softmax(float *dlogits, const float *logits, const float *log_q, int B,
                               int S, double norm);

/* ======================================================================================== */
/* ---- optimizers over a flat block of n parameters; state is one allocation per role ---- */

/* SGD with (heavy-ball) momentum and L2 weight decay:
 *   g' = g + weight_decay * p;  vel = momentum * vel + g';  p -= lr * vel
 * momentum 0 needs no state (vel stays NULL). */
typedef struct {
    size_t n;
    float momentum, weight_decay;
    float *vel; /* (n) or NULL when momentum == 0 */
} rg_sgd_t;

rg_error_t rg_sgd_init(rg_sgd_t *s, size_t n, float momentum, float weight_decay);
void rg_sgd_step(rg_sgd_t *s, float *params, const float *grads, float lr);
void rg_sgd_free(rg_sgd_t *s);

/* Adam (Kingma & Ba) with bias correction; weight decay either coupled (Adam + L2: added to the
 * gradient) or decoupled (AdamW, Loshchilov & Hutter: p -= lr * weight_decay * p).
 *   m = b1 m + (1-b1) g;  v = b2 v + (1-b2) g^2;  mh = m / (1-b1^t);  vh = v / (1-b2^t)
 *   p -= lr * mh / (sqrt(vh) + eps) */
typedef enum { RG_ADAM_L2 = 0, RG_ADAM_DECOUPLED = 1 } rg_adam_decay_t;

typedef struct {
    size_t n;
    float beta1, beta2, eps, weight_decay;
    rg_adam_decay_t decay;
    int64_t t;  /* steps taken (bias correction uses t after the increment) */
    float *m;   /* (n) first moments */
    float *v;   /* (n) second moments */
    int n_threads; /* rg_adam_step_sparse's OpenMP threads, 0 = default; rg_adam_init sets 1 */
} rg_adam_t;

/* Zeroed moments, t = 0.  Errors: RG_EINVAL (n == 0, beta outside [0,1), eps <= 0),
 * RG_ENOMEM. */
rg_error_t rg_adam_init(rg_adam_t *a, size_t n, float beta1, float beta2, float eps,
                        float weight_decay, rg_adam_decay_t decay);
/* Dense step over all n parameters: t += 1, then update every entry.  O(n). */
void rg_adam_step(rg_adam_t *a, float *params, const float *grads, float lr);

/* A row-sparse table inside the flat block: rows (n_rows, D) starting at element `offset`;
 * `rows` lists the n_touched DISTINCT rows that received gradient this step (rg_ids_unique). */
typedef struct {
    size_t offset;
    int64_t n_rows;
    int D;
    const int32_t *rows;
    int64_t n_touched;
} rg_sparse_rows_t;

/* Lazy (sparse-aware) Adam step: t += 1; every entry OUTSIDE the given tables gets the dense
 * update; inside a table only the listed rows are updated (moments, weight decay and all), other
 * rows and their moments are left exactly as they were.
 * Choice: bias correction uses the GLOBAL step t (as PyTorch SparseAdam and TF LazyAdam do), not
 * a per-row count: a rarely seen row then takes a step of about lr * g / |g|, the same size as a
 * frequent row's, which is what these embeddings want; per-row counts would need an int64 per
 * row of state and give the first update of an old row a huge 1/(1-b1^1) boost.
 * Tables must not overlap.  OpenMP over entries and rows with a->n_threads threads when the
 * step updates enough entries; results do not depend on the thread count.
 * O(dense part + sum n_touched * D). */
void rg_adam_step_sparse(rg_adam_t *a, float *params, const float *grads, float lr,
                         const rg_sparse_rows_t *tables, int n_tables);
void rg_adam_free(rg_adam_t *a);

/* ---- learning-rate schedules, a pure function of the step ---- */
typedef enum { RG_LR_CONSTANT = 0, RG_LR_STEP = 1, RG_LR_COSINE = 2 } rg_lr_kind_t;

typedef struct {
    rg_lr_kind_t kind;
    float lr;          /* base rate */
    float lr_min;      /* cosine: floor reached at total_steps */
    float gamma;       /* step: multiply by gamma every step_size steps */
    int64_t step_size;
    int64_t total_steps;  /* cosine: length of the half period (>= 1) */
    int64_t warmup_steps; /* linear ramp from lr/warmup to lr over the first steps; 0 = none */
} rg_lr_schedule_t;

/* Constant schedule at lr. */
void rg_lr_schedule_init(rg_lr_schedule_t *s, float lr);
/* Rate for step (0-based).  constant: lr; step: lr * gamma^(step / step_size);
 * cosine: lr_min + (lr - lr_min) (1 + cos(pi min(step, total) / total)) / 2.
 * Warmup, when set, scales the first warmup_steps by (step+1)/warmup_steps. */
float rg_lr_at(const rg_lr_schedule_t *s, int64_t step);

/* ======================================================================================== */
/* ---- message passing over CSR ----
 * A CSR view (owns nothing): dst row d has entries j in ptr[d] .. ptr[d+1]-1, each naming a
 * source row idx[j] of X (n_src, D) and a weight w[eid ? eid[j] : j] (w NULL = all 1).
 * It fits both the store and sampled blocks:
 *   users <- movies:  {ptr=user_ptr,  idx=user_adj,  w=rating, eid=NULL,      n_dst=U, n_src=M}
 *   movies <- users:  {ptr=movie_ptr, idx=movie_adj, w=rating, eid=movie_eid, n_dst=M, n_src=U}
 *   a sampled block:  {ptr (n_dst+1), idx (local src), w (rating), eid=NULL}. */
typedef struct {
    const int64_t *ptr;  /* (n_dst+1), ptr[0] = 0, ptr[n_dst] = nnz */
    const int32_t *idx;  /* (nnz) source row of each entry */
    const float *w;      /* edge weights or NULL */
    const int64_t *eid;  /* (nnz) index into w of each entry, or NULL (= j) */
    int64_t n_dst, n_src;
} rg_mp_csr_t;

/* The transpose of a CSR for race-free backward: source row s has entries k in
 * ptr[s] .. ptr[s+1]-1 naming the dst row dst[k] and the position pos[k] of that entry in the
 * forward CSR.  Built by rg_mp_transpose_init (owner = 1), or filled by hand as a view
 * (owner = 0): for the store's users <- movies CSR the transpose is
 * {ptr=movie_ptr, dst=movie_adj, pos=movie_eid, n_src=M}. */
typedef struct {
    int64_t *ptr;  /* (n_src+1) */
    int32_t *dst;  /* (nnz) */
    int64_t *pos;  /* (nnz) */
    int64_t n_src, nnz;
    int owner;     /* 1: the three arrays are one allocation freed by rg_mp_transpose_free */
} rg_mp_transpose_t;

/* Builds the transpose of g with one counting pass (entries of each source row in increasing
 * dst order).  Errors: RG_EINVAL (bad sizes), RG_ERANGE (idx outside [0, n_src)), RG_ENOMEM.
 * O(n_src + n_dst + nnz) time, 12 bytes per entry. */
rg_error_t rg_mp_transpose_init(rg_mp_transpose_t *t, const rg_mp_csr_t *g);
/* Frees an owned transpose; a no-op on a view or a zeroed struct. */
void rg_mp_transpose_free(rg_mp_transpose_t *t);

typedef enum {
    RG_AGG_SUM = 0,   /* out_d = sum_j x_j */
    RG_AGG_MEAN = 1,  /* out_d = sum_j x_j / deg(d) */
    RG_AGG_WSUM = 2,  /* out_d = sum_j w_j x_j */
    RG_AGG_WMEAN = 3, /* out_d = sum_j w_j x_j / sum_j w_j (rating-weighted mean) */
    RG_AGG_MAX = 4    /* out_d[f] = max_j x_j[f] */
} rg_agg_t;

/* out (n_dst, D) = aggregate over each dst row's entries of X (n_src, D).  A row with no entries
 * (or zero total weight for WMEAN) gives 0.  Saves for backward:
 *   scale (n_dst): MEAN 1/deg, WMEAN 1/sum w (0 for empty rows); required for MEAN and WMEAN,
 *                  ignored (may be NULL) otherwise;
 *   argmax (n_dst, D): MAX only, entry offset within the row (j - ptr[d]) of the max, -1 for an
 *                  empty row (ties: first entry); may be NULL otherwise.
 * OpenMP over dst rows, schedule(dynamic, 64).  O(nnz * D). */
void rg_mp_aggregate_forward(float *out, float *scale, int32_t *argmax, const float *X,
                             const rg_mp_csr_t *g, int D, rg_agg_t agg, int n_threads);
/* Accumulates dX (n_src, D) += d out / d X applied to dout (n_dst, D), using the scale / argmax
 * the forward saved.  Race-free under OpenMP:
 *   t != NULL: loops over SOURCE rows of the transpose, each thread owning its dX rows
 *              (dynamic, 64); cost O(nnz * D);
 *   t == NULL: each thread owns a contiguous block of source rows and scans every dst row,
 *              applying only entries whose source it owns; no extra memory, but every thread
 *              reads the whole CSR (O(n_threads * nnz) index reads + O(nnz * D) flops).
 * Either way the result does not depend on the thread count up to float summation order. */
void rg_mp_aggregate_backward(float *dX, const float *dout, const float *scale,
                              const int32_t *argmax, const rg_mp_csr_t *g,
                              const rg_mp_transpose_t *t, int D, rg_agg_t agg, int n_threads);

/* The rating-aware mean pair, both channels in one pass over the entries (each source row is
 * read once for the two): for every dst row d with entries j (deg = ptr[d+1] - ptr[d]),
 *   out[d ld + 0 .. D)  = sum_j x_j / deg                  the plain mean
 *   out[d ld + D .. 2D) = sum_j (r_j - mu) x_j / deg       the centred-rating mean
 * with r_j = g->w[eid ? eid[j] : j] (g->w required); an empty row gives zeros.  Rows of out have
 * stride ld >= 2D, so the pair can be written straight into a wider row (a concatenation).
 * OpenMP over dst rows.  O(nnz D). */
void rg_mp_rated_mean_forward(float *out, int ld, const float *X, const rg_mp_csr_t *g,
                              float mu, int D, int n_threads);
/* Backward of rg_mp_rated_mean_forward: dX (n_src, D) += the gradient through both channels of
 * dout (rows of stride ld, the two channels at columns 0 and D).  With scratch
 * (rg_mp_rated_mean_scratch floats) and no more source rows than entries, the dst rows are split
 * among the threads by entry count: thread 0 scatters into dX, every other thread into its own
 * slice of scratch, and the slices are then added into dX.  Otherwise (scratch NULL, or a large
 * source table under few entries) owner-computes: each thread scans every entry and applies
 * those of its own block of source rows.  No atomics and no transpose (the blocks the GNNs
 * backpropagate through change every batch, and building their transposes cost more than it
 * saved); results are deterministic for a given thread count.
 * O(nnz D + n_threads n_src D) split, O(n_threads nnz + nnz D) owner-computes. */
void rg_mp_rated_mean_backward(float *dX, float *scratch, const float *dout, int ld,
                               const rg_mp_csr_t *g, float mu, int D, int n_threads);
/* Floats of scratch rg_mp_rated_mean_backward needs for n_src source rows on n_threads threads
 * (0 for one thread). */
size_t rg_mp_rated_mean_scratch(int64_t n_src, int D, int n_threads);

#ifdef __cplusplus
}
#endif
#endif
