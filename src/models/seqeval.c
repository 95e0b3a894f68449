/* seqeval.c: leave-last-out next-movie evaluation (seqeval.h).
 *
 * Ranking is exact and needs no sort: the held-out movie's rank is the number of unrated
 * candidates scoring at least as high (ties pessimistic), one O(M) pass per user.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "reelgraph/seqeval.h"

static double seqeval_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double) ts.tv_sec + 1e-9 * (double) ts.tv_nsec;
}

/* The target of every user: the earliest test edge by (ts, edge id), -1 when none. */
static void seqeval_targets(const rg_graph_t *full, const uint8_t *is_test, int32_t *target) {
    for (int32_t u = 0; u < (int32_t) full->n_users; u++) {
        int64_t best = -1;
        for (int64_t e = full->user_ptr[u]; e < full->user_ptr[u + 1]; e++) {
            if (is_test[e] && (best < 0 || full->ts[e] < full->ts[best])) {
                best = e;
            }
        }
        target[u] = best < 0 ? -1 : full->user_adj[best];
    }
}

rg_error_t rg_seqeval_rank(const rg_model_t *m, const rg_graph_t *full, const rg_graph_t *train,
                           const uint8_t *is_test, int32_t k, int n_threads, rg_seqeval_t *out) {
    rg_error_t rc = RG_SUCCESS;
    int32_t *target = NULL;
    memset(out, 0, sizeof *out);
    out->k = k;
    if (k < 1) {
        RG_ERROR(RG_EINVAL, "seqeval: cutoff k = %d, need >= 1", (int) k);
    }
    if (m->ops == NULL || m->ops->score == NULL) {
        RG_ERROR(RG_EINVAL, "seqeval: model has no ranking scores");
    }
    if (train->n_users != full->n_users || train->n_movies != full->n_movies ||
        full->n_users != m->n_users || full->n_movies != m->n_movies) {
        RG_ERROR(RG_EINVAL, "seqeval: model (%lld x %lld), full (%lld x %lld) and train (%lld x "
                 "%lld) graphs differ in size", (long long) m->n_users, (long long) m->n_movies,
                 (long long) full->n_users, (long long) full->n_movies,
                 (long long) train->n_users, (long long) train->n_movies);
    }
    const int64_t M = full->n_movies;
    target = rg_malloc((size_t) (full->n_users > 0 ? full->n_users : 1) * sizeof *target);
    if (target == NULL) {
        RG_FAIL(RG_ENOMEM, "seqeval: cannot allocate %lld targets", (long long) full->n_users);
    }
    seqeval_targets(full, is_test, target);
    double hits = 0.0, ndcg = 0.0, rank_sum = 0.0;
    int64_t n_eval = 0;
    int failed = 0;
    rg_error_t fail_rc = RG_SUCCESS;
    char fail_msg[256] = "";
#ifdef _OPENMP
    int nth = n_threads > 0 ? n_threads : omp_get_max_threads();
#pragma omp parallel num_threads(nth) reduction(+ : hits, ndcg, rank_sum, n_eval) \
    reduction(| : failed)
#endif
    {
        float *score = rg_malloc((size_t) (M > 0 ? M : 1) * sizeof *score);
        uint8_t *seen = rg_calloc((size_t) (M > 0 ? M : 1), 1);
        if (score == NULL || seen == NULL) {
            failed = 1;
        }
#ifdef _OPENMP
#pragma omp for schedule(dynamic, 16)
#endif
        for (int32_t u = 0; u < (int32_t) full->n_users; u++) {
            if (failed || target[u] < 0) {
                continue;
            }
            rg_error_t src = m->ops->score(m, train, u, score);
            if (src != RG_SUCCESS) {
                failed = 1;
#ifdef _OPENMP
#pragma omp critical(seqeval_fail)
#endif
                {
                    fail_rc = src;
                    snprintf(fail_msg, sizeof fail_msg, "%s", rg_last_error_message());
                }
                continue;
            }
            for (int64_t e = train->user_ptr[u]; e < train->user_ptr[u + 1]; e++) {
                seen[train->user_adj[e]] = 1;
            }
            float st = score[target[u]];
            int64_t rank = 0;
            for (int32_t j = 0; j < (int32_t) M; j++) {
                /* NaN scores rank above the target: a broken model gets no credit */
                if (j != target[u] && !seen[j] && !(score[j] < st)) {
                    rank++;
                }
            }
            for (int64_t e = train->user_ptr[u]; e < train->user_ptr[u + 1]; e++) {
                seen[train->user_adj[e]] = 0;
            }
            if (rank < k) {
                hits += 1.0;
                ndcg += 1.0 / log2((double) rank + 2.0);
            }
            rank_sum += (double) rank;
            n_eval++;
        }
        free(score);
        free(seen);
    }
    if (failed) {
        if (fail_rc != RG_SUCCESS) {
            RG_FAIL(fail_rc, "seqeval: scoring failed: %s", fail_msg);
        }
        RG_FAIL(RG_ENOMEM, "seqeval: cannot allocate per-thread score buffers of %lld movies",
                (long long) M);
    }
    out->n_users = n_eval;
    if (n_eval > 0) {
        out->hit_rate = hits / (double) n_eval;
        out->ndcg = ndcg / (double) n_eval;
        out->mean_rank = rank_sum / (double) n_eval;
    }
cleanup:
    free(target);
    return rc;
}

/* Trains a fresh model of kind ops on train and ranks it. */
static rg_error_t seqeval_one(const rg_model_ops_t *ops, const rg_hparams_t *hp,
                              const rg_split_spec_t *spec, const rg_graph_t *full,
                              const rg_graph_t *train, const uint8_t *is_test, int32_t k,
                              rg_seqeval_t *out, double *seconds) {
    rg_error_t rc = RG_SUCCESS;
    rg_model_t m;
    rg_trainer_t t;
    memset(&t, 0, sizeof t);
    RG_TRY(rg_model_init(&m, ops, hp, spec, full, train));
    double t0 = seqeval_now();
    RG_TRY(rg_trainer_init(&t, &m, train));
    int done = 0;
    while (!done) {
        RG_TRY(rg_trainer_step(&t, &done));
    }
    RG_TRY(rg_trainer_finish(&t));
    if (seconds) {
        *seconds = seqeval_now() - t0;
    }
    RG_TRY(rg_seqeval_rank(&m, full, train, is_test, k, hp->n_threads, out));
cleanup:
    rg_trainer_free(&t);
    rg_model_free(&m);
    return rc;
}

rg_error_t rg_seqeval_popularity(const rg_graph_t *full, const rg_graph_t *train,
                                 const uint8_t *is_test, const rg_split_spec_t *spec, int32_t k,
                                 uint64_t seed, int n_threads, rg_seqeval_t *out) {
    const rg_model_ops_t *pop = rg_model_find("pop");
    if (pop == NULL) {
        RG_ERROR(RG_EINTERNAL, "seqeval: the popularity model `pop` is not registered");
    }
    rg_hparams_t php;
    rg_hparams_init(&php);
    php.seed = seed;
    php.n_threads = n_threads;
    return seqeval_one(pop, &php, spec, full, train, is_test, k, out, NULL);
}

rg_error_t rg_seqeval_leave_last_out(const rg_model_ops_t *ops, const rg_hparams_t *hp,
                                     const rg_graph_t *full, int32_t k,
                                     rg_seqeval_report_t *out) {
    rg_error_t rc = RG_SUCCESS;
    uint8_t *is_test = NULL, *keep = NULL;
    rg_graph_t train;
    memset(&train, 0, sizeof train);
    memset(out, 0, sizeof *out);
    if (k < 1) {
        RG_ERROR(RG_EINVAL, "seqeval: cutoff k = %d, need >= 1", (int) k);
    }
    rg_split_spec_t spec;
    memset(&spec, 0, sizeof spec);
    RG_CHECK(rg_split_parse(&spec, "temporal:1"));
    spec.seed = hp->seed;
    size_t E = (size_t) (full->n_ratings > 0 ? full->n_ratings : 1);
    is_test = rg_malloc(E);
    keep = rg_malloc(E);
    if (is_test == NULL || keep == NULL) {
        RG_FAIL(RG_ENOMEM, "seqeval: cannot allocate split flags for %lld ratings",
                (long long) full->n_ratings);
    }
    rg_split_report_t rep;
    RG_TRY(rg_split_apply(full, &spec, is_test, &rep));
    out->n_users_no_time = rep.n_users_no_time;
    if (rep.n_test == 0) {
        RG_FAIL(RG_EINVAL, "seqeval: no user has a timestamped rating to hold out (%lld users "
                "without timestamps)", (long long) rep.n_users_no_time);
    }
    for (int64_t e = 0; e < full->n_ratings; e++) {
        keep[e] = (uint8_t) !is_test[e];
    }
    RG_TRY(rg_graph_filter(&train, full, keep, NULL));
    RG_TRY(seqeval_one(ops, hp, &spec, full, &train, is_test, k, &out->model,
                       &out->train_seconds));
    RG_TRY(rg_seqeval_popularity(full, &train, is_test, &spec, k, hp->seed, hp->n_threads,
                                 &out->pop));
cleanup:
    rg_graph_free(&train);
    free(is_test);
    free(keep);
    return rc;
}
