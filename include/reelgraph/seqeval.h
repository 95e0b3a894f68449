/* seqeval.h: the leave-last-out next-movie protocol of the sequence-recommendation literature.
 *
 * For each user whose ratings carry usable timestamps, the LAST rating by time is held out
 * (split.h's temporal:1: ties broken by edge id, i.e. the highest movie id of the last second;
 * ratings without a timestamp never held out; users without any timestamp, e.g. the ML-1M
 * reconstruction's users 3000-6040, are not evaluated and train on all their ratings); the model
 * trains on the rest; then every movie the user has NOT rated in training is ranked and the
 * held-out movie's rank r (0-based) gives
 *     HR@k = [r < k],   NDCG@k = [r < k] / log2(r + 2)
 * averaged over the evaluated users.  Movies tied with the held-out one count against it
 * (pessimistic), so a constant scorer gets no free hits.  The popularity ranking (the `pop`
 * model: training degree) is scored on the same split, next to the model.
 */
#ifndef REELGRAPH_SEQEVAL_H
#define REELGRAPH_SEQEVAL_H

#include <stdint.h>

#include "reelgraph/error.h"
#include "reelgraph/graph.h"
#include "reelgraph/model.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    int32_t k;
    int64_t n_users;         /* users evaluated (one held-out movie each) */
    double hit_rate, ndcg;   /* @k, the model */
    double mean_rank;        /* mean 0-based rank of the held-out movie */
} rg_seqeval_t;

/* Ranks the held-out movies of an already trained model.  is_test (full->n_ratings) marks the
 * held-out edges of full; train is full without them (the graph the model was attached to).  A
 * user's target is his EARLIEST test edge by (ts, edge id) (with temporal:1 the only one);
 * users without a test edge are skipped.  Scores through m->ops->score (thread-safe), OpenMP
 * over users with n_threads (0 = default).
 * Errors: RG_EINVAL (k < 1, graphs of different sizes), RG_ENOMEM, the model's score errors.
 * O(users * (score cost + M)). */
rg_error_t rg_seqeval_rank(const rg_model_t *m, const rg_graph_t *full, const rg_graph_t *train,
                           const uint8_t *is_test, int32_t k, int n_threads, rg_seqeval_t *out);

/* The popularity reference on an existing split: trains `pop` on train (seeded, n_threads) and
 * ranks it with rg_seqeval_rank.  spec is recorded in the temporary model.  Errors as
 * rg_seqeval_rank, plus RG_EINTERNAL when `pop` is not registered.  O(E + users * M). */
rg_error_t rg_seqeval_popularity(const rg_graph_t *full, const rg_graph_t *train,
                                 const uint8_t *is_test, const rg_split_spec_t *spec, int32_t k,
                                 uint64_t seed, int n_threads, rg_seqeval_t *out);

typedef struct {
    rg_seqeval_t model;      /* the model given */
    rg_seqeval_t pop;        /* the popularity ranking on the same split */
    int64_t n_users_no_time; /* users without timestamps, not evaluated */
    double train_seconds;    /* wall time of the model's training */
} rg_seqeval_report_t;

/* The whole protocol: temporal:1 split of full, training of a fresh model of kind ops with
 * hyper-parameters hp (validation and early stopping as hp says, through rg_trainer_*), ranking
 * of the model and of `pop`.  Errors: RG_EINVAL (k < 1, no user with a timestamp), RG_ENOMEM,
 * the model's own errors.  Cost: one training run plus O(users * M). */
rg_error_t rg_seqeval_leave_last_out(const rg_model_ops_t *ops, const rg_hparams_t *hp,
                                     const rg_graph_t *full, int32_t k,
                                     rg_seqeval_report_t *out);

#ifdef __cplusplus
}
#endif
#endif
