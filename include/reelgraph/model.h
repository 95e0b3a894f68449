/* model.h: the shared model interface, model files, the trainer and evaluation.
 *
 * A model is a kind (an rg_model_ops_t, one per file in src/models/) plus hyper-parameters plus
 * named tensors.  Trainable float tensors are views into ONE flat parameter block (`params`,
 * n_params floats), so gradients, optimizer moments, clipping, checkpointing and gradient checks
 * are single flat loops (llm.c's one-allocation-per-role).  Integer tensors (e.g. kNN neighbour
 * lists) live in a second block (`ints`).  Everything in the two blocks is saved in the model file;
 * `impl` is runtime state rebuilt by ops->attach from the tensors and the training graph.
 *
 * All models see the store through the TRAINING graph: the full graph with the test edges removed
 * (rg_graph_filter), same node ids.  Ids are internal here; tools translate dataset ids.
 */
#ifndef REELGRAPH_MODEL_H
#define REELGRAPH_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "reelgraph/error.h"
#include "reelgraph/graph.h"
#include "reelgraph/split.h"

#ifdef __cplusplus
extern "C" {
#endif

#define RG_UNSET (-1) /* hyper-parameter not given: the model picks its default */
#define RG_MAX_THREADS 4096 /* largest n_threads a model file or a command accepts */

/* Hyper-parameters shared by all kinds; each kind uses the ones it needs and documents them.
 * rg_hparams_init sets every numeric field to RG_UNSET (metric ""), seed 42, n_threads 0; a
 * model's init replaces each RG_UNSET it uses by its default, so the saved file has real values. */
typedef struct {
    int32_t dim;        /* latent / hidden size */
    int32_t epochs;
    float lr;
    float reg;          /* L2 regularisation */
    int32_t k;          /* neighbours (knn) */
    int32_t batch;
    int32_t steps;      /* message-passing rounds (ggnn) */
    int32_t window;     /* BPTT window / max sequence length (rnn, lstm) */
    int32_t fanout[2];  /* neighbour sampling per layer (sage, ggnn) */
    float dropout;
    float alpha, beta;  /* rp3b exponents */
    float shrink;       /* similarity shrinkage (knn) */
    int32_t negatives;  /* sampled negatives per positive (bpr, sequence ranking) */
    char metric[16];    /* "cosine" | "pearson" (knn) */
    float val_fraction; /* part of the training ratings held out for validation / early stopping */
    int32_t patience;   /* epochs without validation improvement before stopping; 0 = never */
    int32_t n_threads;  /* 0 = OpenMP default */
    uint64_t seed;
} rg_hparams_t;

void rg_hparams_init(rg_hparams_t *h);
/* Helpers for a model's init: replace an RG_UNSET field by a default. */
static inline void rg_hp_default_i(int32_t *v, int32_t d) { if (*v == RG_UNSET) { *v = d; } }
static inline void rg_hp_default_f(float *v, float d) { if (*v == (float) RG_UNSET) { *v = d; } }

typedef enum { RG_DTYPE_F32 = 0, RG_DTYPE_I32 = 1 } rg_dtype_t;

#define RG_MODEL_MAX_TENSORS 32

typedef struct {
    char name[32];
    rg_dtype_t dtype;
    int64_t rows, cols;
    size_t offset;      /* in elements, into params (F32) or ints (I32) */
} rg_tensor_t;

typedef struct {
    double train_loss;
    double val_loss;    /* NAN when there is no validation set */
    double seconds;     /* wall time of the epoch */
} rg_epoch_record_t;

typedef struct rg_model rg_model_t;

typedef struct {
    const char *name;     /* "mf", "sage", ...: the --model name */
    const char *summary;  /* one line for --help */
    int predicts_ratings; /* 0 for pure rankers (rp3b): rating metrics are null */
    /* Resolve defaults in m->hp, declare tensors, rg_model_alloc, initialise (seeded from
     * m->hp.seed), create training state in m->impl. */
    rg_error_t (*init)(rg_model_t *m, const rg_graph_t *train);
    /* One epoch; *loss = mean training objective over the epoch. */
    rg_error_t (*epoch)(rg_model_t *m, const rg_graph_t *train, int epoch, double *loss);
    /* (Re)build prediction state from the tensors and a training graph: called after training
     * and after rg_model_load.  Must work without init having been called. */
    rg_error_t (*attach)(rg_model_t *m, const rg_graph_t *train);
    /* Predicted ratings (unclipped) of n (user, movie) pairs; NULL for pure rankers. */
    rg_error_t (*predict)(const rg_model_t *m, const rg_graph_t *train, int64_t n,
                          const int32_t *users, const int32_t *movies, float *out);
    /* Ranking scores of all n_movies movies for user u, higher = better.  Must be safe to call
     * concurrently for different users. */
    rg_error_t (*score)(const rg_model_t *m, const rg_graph_t *train, int32_t u, float *out);
    /* Scores for a user who is not in the graph, from n (movie, rating) pairs, without
     * retraining (fold-in).  NULL when the kind cannot. */
    rg_error_t (*fold_in)(const rg_model_t *m, const rg_graph_t *train, int64_t n,
                          const int32_t *movies, const float *ratings, float *out);
    /* Frees m->impl (training and prediction state). */
    void (*release)(rg_model_t *m);
    /* Optional: the model's own validation loss (lower = better) on n held-out training ratings,
     * called by the trainer after each epoch with the graph the epoch was given.  When NULL the
     * trainer calls attach(fit) and uses the RMSE of predict (NAN for pure rankers). */
    rg_error_t (*val_loss)(const rg_model_t *m, const rg_graph_t *fit, int64_t n,
                           const int32_t *users, const int32_t *movies, const float *ratings,
                           double *loss);
    /* Optional: the trainer's default for an unset hp.val_fraction: 0 = the trainer's own
     * (0.05), > 0 = this fraction, < 0 = no validation set (for kinds fitted in a fixed number
     * of epochs, where a hold-out only costs accuracy). */
    float val_fraction_default;
    /* Optional: the trainer's default for an unset hp.patience (epochs without validation gain
     * before stopping and restoring the best parameters); 0 = run every epoch, keep the last. */
    int32_t patience_default;
    /* Optional: NULL-terminated names of small F32 tensors holding what the model found out
     * about itself (blend weights, held-out reconstruction error); `train` and `eval` print them
     * under "report".  NULL = nothing to report. */
    const char *const *report;
} rg_model_ops_t;

struct rg_model {
    const rg_model_ops_t *ops;
    rg_hparams_t hp;
    rg_split_spec_t split;
    uint64_t graph_fingerprint;
    char graph_path[1024];    /* snapshot the model was trained on (absolute), for `recommend` */
    int64_t n_users, n_movies;
    float rating_min, rating_max;
    double global_mean;       /* mean training rating */
    int n_tensors;
    rg_tensor_t tensors[RG_MODEL_MAX_TENSORS];
    float *params;            /* n_params: every F32 tensor */
    size_t n_params;
    int32_t *ints;            /* n_ints: every I32 tensor */
    size_t n_ints;
    int32_t n_history;        /* epochs run */
    rg_epoch_record_t *history;
    void *impl;
};

/* ---- registry ---- */
const rg_model_ops_t *rg_model_find(const char *name);   /* NULL when unknown */
/* All kinds, NULL-terminated, in a fixed order (for --help). */
const rg_model_ops_t *const *rg_model_list(void);

/* ---- lifecycle ---- */
/* Zeroes m and fills the graph facts (sizes, scale, fingerprint, global mean of train). */
rg_error_t rg_model_init(rg_model_t *m, const rg_model_ops_t *ops, const rg_hparams_t *hp,
                         const rg_split_spec_t *split, const rg_graph_t *full,
                         const rg_graph_t *train);
/* Declare a tensor (before rg_model_alloc). */
rg_error_t rg_model_declare(rg_model_t *m, const char *name, rg_dtype_t dtype, int64_t rows,
                            int64_t cols);
/* Allocate the blocks for every declared tensor, zeroed. */
rg_error_t rg_model_alloc(rg_model_t *m);
/* For attach after a load: checks that tensor `name` exists with this dtype and shape (cols < 0:
 * any), so a crafted or foreign model file is refused with RG_EFORMAT instead of being read out
 * of bounds. */
rg_error_t rg_model_expect(const rg_model_t *m, const char *name, rg_dtype_t dtype, int64_t rows,
                           int64_t cols);
/* Pointer to a declared tensor's data; NULL if absent or of the other dtype. */
float *rg_model_f32(const rg_model_t *m, const char *name);
int32_t *rg_model_i32(const rg_model_t *m, const char *name);
const rg_tensor_t *rg_model_tensor(const rg_model_t *m, const char *name);
void rg_model_free(rg_model_t *m);

/* ---- model files (.rgm) ----
 * magic, version, kind, hyper-parameters, split spec, graph fingerprint and path, tensor table,
 * tensor data, history, checksum.  Written atomically (temporary file + fsync + rename).  Load
 * refuses a truncated or corrupted file (RG_EFORMAT) and an unknown kind. */
rg_error_t rg_model_save(const rg_model_t *m, const char *path);
rg_error_t rg_model_load(rg_model_t *m, const char *path);

/* Given a loaded model and the full graph: checks the fingerprint (RG_EMISMATCH with a hint),
 * rebuilds the split (is_test, length full->n_ratings, caller-allocated), builds the training
 * graph into *train and calls ops->attach. */
rg_error_t rg_model_prepare(rg_model_t *m, const rg_graph_t *full, rg_graph_t *train,
                            uint8_t *is_test);

/* ---- trainer: init / step / finish / free, no callbacks ---- */
typedef struct {
    rg_model_t *m;
    const rg_graph_t *train;     /* all training ratings */
    rg_graph_t fit;              /* train minus the validation ratings (when val_fraction > 0) */
    int64_t n_val;
    int32_t *val_users, *val_movies;
    float *val_ratings;
    int32_t epoch;               /* epochs done */
    double best_val;
    int32_t best_epoch;
    float *best_params;          /* snapshot of params at the best validation epoch */
    int done;
    float *val_pred;             /* (n_val) workspace for validation predictions */
} rg_trainer_t;

/* Call sequence seen by a model: init(fit) once, then per epoch epoch(fit) followed, when there
 * is a validation set, by val_loss(fit) or else attach(fit) + predict(validation pairs); finally
 * attach(train) in rg_trainer_finish.  fit = train minus the validation ratings.
 * Trainer defaults for RG_UNSET fields: val_fraction ops->val_fraction_default or else 0.05
 * (seeded from hp.seed), patience ops->patience_default (0 when the kind sets none: run
 * every epoch, keep the last parameters); with patience > 0 the best-validation parameters are
 * restored at the end. */
rg_error_t rg_trainer_init(rg_trainer_t *t, rg_model_t *m, const rg_graph_t *train);
/* Runs one epoch, appends to m->history, sets *done when the epochs are used up or early
 * stopping fired. */
rg_error_t rg_trainer_step(rg_trainer_t *t, int *done);
/* Restores the best parameters (when validating) and attaches the model to the full training
 * graph, ready to predict. */
rg_error_t rg_trainer_finish(rg_trainer_t *t);
void rg_trainer_free(rg_trainer_t *t);

/* Per-epoch curves: CSV (epoch,train_loss,val_loss,seconds) and an SVG/PNG plot by extension. */
rg_error_t rg_history_write_csv(const rg_model_t *m, const char *path);
rg_error_t rg_history_plot(const rg_model_t *m, const char *path);

/* ---- evaluation (DESIGN.md protocols) ---- */
typedef struct {
    int has_ratings;            /* 0 for pure rankers: rmse/mae/mse are not defined */
    double rmse, mae, mse;      /* predictions clipped to the rating scale */
    int64_t n_test;
    int32_t k;
    double precision, recall, ndcg, hit_rate, map; /* @k, averaged over users with a relevant item */
    double coverage;            /* distinct movies in all top-k lists / n_movies */
    int64_t n_users_ranked;
} rg_metrics_t;

/* Rating metrics on the test edges of full (is_test), ranking metrics with the top-N protocol:
 * for each test user rank every movie not rated in train; relevant = test movies rated >= 4
 * (on a 1..5 scale; >= rating_max - 1 in general). */
rg_error_t rg_evaluate(const rg_model_t *m, const rg_graph_t *full, const rg_graph_t *train,
                       const uint8_t *is_test, int32_t k, rg_metrics_t *out);

/* Metrics of one ranked list: hit[i] != 0 when the movie at rank i (0-based) is relevant, n the
 * list length (<= k is fine), n_relevant the user's relevant test movies (> 0).  Definitions:
 *   precision = hits@k / k,  recall = hits@k / n_relevant,  hit_rate = (hits@k > 0),
 *   ndcg = sum_{hits at rank i<k} 1/log2(i+2) / sum_{i<min(k, n_relevant)} 1/log2(i+2),
 *   ap (MAP@k per user) = sum_{hits at rank i<k} precision@(i+1) / min(k, n_relevant).  O(k). */
typedef struct {
    double precision, recall, ndcg, hit_rate, ap;
} rg_rank_metrics_t;
void rg_ranking_metrics(const uint8_t *hit, int32_t n, int32_t k, int64_t n_relevant,
                        rg_rank_metrics_t *out);

/* Top-n unseen movies for user u (seen = rated in `seen`, usually the full graph); with
 * genre_filter only movies sharing a genre with what u rated.  Returns the count written. */
rg_error_t rg_recommend(const rg_model_t *m, const rg_graph_t *train, const rg_graph_t *seen,
                        int32_t u, int32_t n, int genre_filter, int32_t *movies, float *scores,
                        int32_t *n_out);

/* Top-n for a user who is not in the graph, from n_rated (movie, rating) pairs (internal movie
 * ids), through ops->fold_in: the rated movies are excluded, genre_filter as above.  RG_EINVAL
 * when the kind has no fold_in or n_rated is 0 (use rg_recommend_popular). */
rg_error_t rg_recommend_fold_in(const rg_model_t *m, const rg_graph_t *train, int64_t n_rated,
                                const int32_t *rated, const float *ratings, int32_t n,
                                int genre_filter, int32_t *movies, float *scores, int32_t *n_out);

/* Popularity fallback: the n movies with the most ratings in train (ties: higher mean rating,
 * then lower id), excluding the n_seen movies in seen (may be NULL); score = rating count. */
rg_error_t rg_recommend_popular(const rg_graph_t *train, int64_t n_seen, const int32_t *seen,
                                int32_t n, int32_t *movies, float *scores, int32_t *n_out);

#ifdef __cplusplus
}
#endif
#endif
