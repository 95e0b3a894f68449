/* gnn_common.h: private pieces the two graph neural models (ggnn.c, sage.c) share.
 *
 *  - the rating head: pred = global mean + user bias + movie bias + interaction score, and its
 *    backward into the two bias tables;
 *  - the optimizer state of a model whose id tables are row-sparse: one gradient block the size
 *    of the parameter block, lazy Adam (rg_adam_step_sparse) over the tables "user_emb",
 *    "movie_emb", "user_bias", "movie_bias" and dense Adam over every other tensor, then a
 *    cheap re-zeroing of exactly what was touched.
 * Never installed; rg_i_ prefix.
 */
#ifndef RG_MODELS_GNN_COMMON_H
#define RG_MODELS_GNN_COMMON_H

#include <stddef.h>
#include <stdint.h>

#include "reelgraph/model.h"
#include "reelgraph/nn.h"

/* Threads for one parallel region of `work` multiply-adds: 1 below RG_I_GNN_GRAIN, else
 * n_threads (0 = OpenMP default).  Why: a batch of these models runs ~20 small regions; on a
 * machine whose cores are shared, every region's barrier waits for a descheduled thread (spin,
 * then yield), which measured 10x the useful CPU time of an ML-100K sage epoch (6.7 s vs 0.46 s
 * for 3 epochs).  Regions of >= 4M multiply-adds (~2 ms on one core) amortise that. */
#define RG_I_GNN_GRAIN 4194304.0
static inline int rg_i_gnn_threads(int n_threads, double work) {
    return work < RG_I_GNN_GRAIN ? 1 : n_threads;
}

/* The four row-sparse tables, in this order. */
enum { RG_I_GNN_USER_EMB = 0, RG_I_GNN_MOVIE_EMB, RG_I_GNN_USER_BIAS, RG_I_GNN_MOVIE_BIAS,
       RG_I_GNN_N_TABLES };

typedef struct {
    float *grads;                          /* (n_params), zero between steps */
    rg_adam_t adam;
    size_t offset[RG_I_GNN_N_TABLES];      /* first element of each table in the block */
    int64_t n_rows[RG_I_GNN_N_TABLES];
    int cols[RG_I_GNN_N_TABLES];
    int32_t *rows[RG_I_GNN_N_TABLES];      /* touched-row lists, (cap[i]) each */
    int64_t cap[RG_I_GNN_N_TABLES];
    int64_t n_touched[RG_I_GNN_N_TABLES];  /* distinct rows touched since the last step */
    uint32_t *seen[RG_I_GNN_N_TABLES];     /* (n_rows[i]) step stamp of each row's last touch */
    uint32_t stamp;                        /* current step's stamp (never 0) */
} rg_i_gnn_opt_t;

/* Gradient block, Adam state (beta 0.9/0.999, eps 1e-8, coupled L2 weight decay `reg`: only the
 * rows a step touches are decayed) and touched-row lists of cap_user / cap_movie entries (the
 * bias tables share the embedding caps).  The four tables must be declared in m.
 * Errors: RG_EINTERNAL (a table missing), RG_ENOMEM.  O(n_params). */
rg_error_t rg_i_gnn_opt_init(rg_i_gnn_opt_t *o, const rg_model_t *m, float reg,
                             int64_t cap_user, int64_t cap_movie);
/* Table `table`'s gradient, (n_rows, cols) row-major inside o->grads. */
float *rg_i_gnn_opt_grad(const rg_i_gnn_opt_t *o, int table);
/* Appends those of the n row ids not yet touched this step to table's touched list (the
 * caller keeps the appended count within the cap it gave).  O(n). */
void rg_i_gnn_opt_touch(rg_i_gnn_opt_t *o, int table, const int32_t *ids, int64_t n);
/* One Adam step at rate lr: lazy update of the tables' touched rows, dense update elsewhere,
 * then zeroes the gradient (touched rows + dense part) and the lists.
 * O(dense params + touched rows * cols). */
void rg_i_gnn_opt_step(rg_i_gnn_opt_t *o, rg_model_t *m, float lr);
/* Zeroes the whole gradient block (n_params floats) and empties the touched lists, without a
 * step (the gradient-check hooks).  O(n_params). */
void rg_i_gnn_opt_reset(rg_i_gnn_opt_t *o, size_t n_params);
void rg_i_gnn_opt_free(rg_i_gnn_opt_t *o);

/* ---- node features ----
 * One feature table for both node kinds, as rows of a learnable (F, D) embedding: the movie's
 * genres (multi-hot, weight 1/#genres each) and, when the dataset has demographics, the user's
 * gender, age bucket and occupation (one-hot each).  Rows: genres [0, G), then gender M/F
 * [G, G+2), age buckets [G+2, G+9) (<18, 18-24, 25-34, 35-44, 45-49, 50-55, 56+: ML-1M's codes
 * are the buckets' lower bounds, ML-100K's raw ages fall into them), occupations [G+9, G+9+O).
 * An embedding of a one-hot code is a linear layer on it, so a node's input is its id
 * embedding plus the weighted sum of its feature rows. */
typedef struct {
    int64_t n_rows;      /* F */
    int64_t *fptr;       /* (N+1): node v (global id) has entries fptr[v] .. fptr[v+1]-1 */
    int32_t *fidx;       /* feature row of each entry */
    float *fw;           /* its weight */
} rg_i_gnn_feat_t;

/* F for graph g (at least 1, so the table can always be declared). */
int64_t rg_i_gnn_feat_rows(const rg_graph_t *g);
/* Builds the feature CSR of every node of g.  Errors: RG_ENOMEM.  O(N + G M). */
rg_error_t rg_i_gnn_feat_init(rg_i_gnn_feat_t *f, const rg_graph_t *g);
void rg_i_gnn_feat_free(rg_i_gnn_feat_t *f);
/* The input rows: embedding row plus the weighted sum of the node's feature rows.  For i < n,
 * r = ids ? ids[i] : i is a row of emb (the id table of one node kind, whose node v has global
 * id offset + r; or the table of every node, offset 0).  Writes x's row r when `scatter` (x
 * indexed like emb), else row i (compact).  Rows run on the threads once there are enough of
 * them (a pass of row copies and adds is bound by memory, not multiply-adds: weighed as 64 a
 * float, a block of ML-100K's 2.6K rows runs on two threads, which took about half the time).
 * O(n D + feature entries D). */
void rg_i_gnn_inputs_forward(float *x, int scatter, const float *emb, const float *feat,
                             const rg_i_gnn_feat_t *f, const int32_t *ids, int64_t n,
                             int64_t offset, int D, int n_threads);
/* Backward of rg_i_gnn_inputs_forward over DISTINCT ids, dx laid out as its x: gemb row r +=
 * dx row, and each feature row += weight * the dx row of every node that has it (the feature
 * rows are owned by the threads in blocks, each thread scanning every node's few entries, so
 * their sums run in row order whatever the thread count).  With `clear`, the dx rows read are
 * zeroed afterwards (a gradient table that must be zero between steps).
 * O(n D + threads * feature entries + feature entries D). */
void rg_i_gnn_inputs_backward(float *gemb, float *gfeat, float *dx, int scatter, int clear,
                              const rg_i_gnn_feat_t *f, const int32_t *ids, int64_t n,
                              int64_t offset, int D, int n_threads);

/* ---- parameter averaging (Polyak-Ruppert) ----
 * Adam's iterates wander: epoch to epoch the validation RMSE of both models jumped by +-0.005
 * and early stopping kept a lucky epoch.  So the models keep an exponential moving average of
 * the parameters over a horizon of optimiser steps (a plain mean of the first iterates until
 * the horizon is reached) and hand THAT to the trainer after every epoch: it is what is
 * validated, kept by early stopping, saved and predicted with.  The optimiser's own iterate is
 * kept aside and resumed by the next epoch.  The average is updated every horizon/32 steps (an
 * update reads every parameter, where a step touches only its batch's rows). */
typedef struct {
    float *avg;            /* (n_params) the running average */
    float *fast;           /* (n_params) the optimiser's iterate between epochs */
    int has_fast;
    int64_t n_steps, n_avg; /* optimiser steps taken, averaging updates made */
    int64_t every;         /* steps between updates, this epoch */
    double beta;           /* the average's decay per update */
} rg_i_gnn_avg_t;

/* Errors: RG_ENOMEM.  O(n_params) memory twice. */
rg_error_t rg_i_gnn_avg_init(rg_i_gnn_avg_t *a, size_t n_params);
void rg_i_gnn_avg_free(rg_i_gnn_avg_t *a);
/* Start of an epoch of about steps_per_epoch optimiser steps, averaging over horizon_epochs
 * epochs: resumes the optimiser's iterate into m->params.  O(n_params). */
void rg_i_gnn_avg_begin(rg_i_gnn_avg_t *a, rg_model_t *m, double horizon_epochs,
                        double steps_per_epoch);
/* After each optimiser step.  O(n_params) on the steps that update. */
void rg_i_gnn_avg_step(rg_i_gnn_avg_t *a, const rg_model_t *m);
/* End of the epoch: keeps the iterate aside and leaves the average in m->params.  O(n_params). */
void rg_i_gnn_avg_end(rg_i_gnn_avg_t *a, rg_model_t *m);

/* Learning rate of `epoch` (0-based): cosine decay from hp.lr at the first epoch to
 * RG_I_GNN_LR_FLOOR * hp.lr at the last of hp.epochs (rg_lr_at).  Adam's steps stay large while
 * the validation loss still falls and shrink when early stopping is about to pick an epoch,
 * which the lazily-updated embedding rows (whose moments are stale) need to settle. */
#define RG_I_GNN_LR_FLOOR 0.1f
float rg_i_gnn_lr(const rg_model_t *m, int epoch);

/* ---- rating-aware messages ----
 * Both models aggregate two channels over a neighbour list: the plain mean of the neighbours'
 * states and their rating-weighted mean with centred weights, mean_j (r_j - mu) x_j.  The first
 * says what a node's neighbourhood is, the second how it was rated (liked minus disliked); a
 * weighted mean with raw weights r_j / sum r is nearly the plain mean again (weights 1..5 give a
 * convex combination close to uniform), so a network would have to take a small difference of
 * two large inputs.  Both channels come from one pass of nn.h's rg_mp_rated_mean_forward. */

/* pred (n) = mu + bu[users[i]] + bm[movies[i]] + s[i]  (s may be NULL = 0).  O(n). */
void rg_i_gnn_head_forward(float *pred, const float *s, const int32_t *users,
                           const int32_t *movies, const float *bu, const float *bm, float mu,
                           int64_t n);
/* Accumulates dbu[users[i]] += dpred[i], dbm[movies[i]] += dpred[i] (serial: ids repeat).
 * The gradient of s is dpred itself.  O(n). */
void rg_i_gnn_head_backward(float *dbu, float *dbm, const float *dpred, const int32_t *users,
                            const int32_t *movies, int64_t n);

/* ---- hooks for the full-model gradient checks (tests/gradcheck/gc_ggnn.c, gc_sage.c) ----
 * After the model's init(m, g): builds the first mini-batch of `epoch` exactly as training does
 * (same seed streams), zeroes the gradient block, runs forward and backward without an
 * optimizer step and returns the batch's mean squared error in *loss and the gradient of it
 * with respect to every parameter in *grads (n_params floats, owned by the model state).
 * Deterministic: calling it again with other parameter values evaluates the same batch.
 * Errors: RG_EINVAL (init not called, g not the graph init saw) and the sampler's. */
rg_error_t rg_i_ggnn_batch_grad(rg_model_t *m, const rg_graph_t *g, int epoch, double *loss,
                                const float **grads);
rg_error_t rg_i_sage_batch_grad(rg_model_t *m, const rg_graph_t *g, int epoch, double *loss,
                                const float **grads);

#endif
