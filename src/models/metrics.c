/* metrics.c: evaluation (DESIGN.md protocols) and top-N recommendation.
 *
 * Rating metrics: RMSE, MAE, MSE of the model's predictions on the test ratings, each prediction
 * clipped to the dataset's rating scale first.
 *
 * Top-N protocol: for each user with at least one relevant test movie (rated >= rating_max - 1,
 * i.e. >= 4 on a 1..5 scale), rank every movie the user has NOT rated in the training graph
 * (test movies stay candidates), take the top k, and score the list with rg_ranking_metrics.
 * Users without a relevant test movie are excluded from the averages.  Ties in the ranking are
 * broken by the lower internal movie id, so results do not depend on the thread count.
 * Coverage = distinct movies over all the ranked users' top-k lists / n_movies.
 *
 * Parallel over users (OpenMP, dynamic schedule: user degrees are skewed); each thread owns its
 * workspace, and per-user results are summed in user order afterwards so the averages are the
 * same for any thread count.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "reelgraph/model.h"

/* ---- one ranked list ---- */

void rg_ranking_metrics(const uint8_t *hit, int32_t n, int32_t k, int64_t n_relevant,
                        rg_rank_metrics_t *out) {
    double dcg = 0.0, idcg = 0.0, ap = 0.0;
    int64_t hits = 0;
    int32_t len = n < k ? n : k;
    memset(out, 0, sizeof *out);
    if (k <= 0 || n_relevant <= 0) {
        return;
    }
    for (int32_t i = 0; i < len; i++) {
        if (hit[i]) {
            hits++;
            dcg += 1.0 / log2((double) i + 2.0);
            ap += (double) hits / ((double) i + 1.0);
        }
    }
    int64_t ideal = n_relevant < k ? n_relevant : k;
    for (int64_t i = 0; i < ideal; i++) {
        idcg += 1.0 / log2((double) i + 2.0);
    }
    out->precision = (double) hits / (double) k;
    out->recall = (double) hits / (double) n_relevant;
    out->ndcg = dcg / idcg;
    out->hit_rate = hits > 0 ? 1.0 : 0.0;
    out->ap = ap / (double) ideal;
}

/* ---- top-k selection ---- */

/* a ranks below b: lower score, or equal score and higher id; NaN ranks below everything. */
static int rg_i_below(const float *s, int32_t a, int32_t b) {
    float sa = s[a], sb = s[b];
    if (isnan(sa) || isnan(sb)) {
        return isnan(sa) && (!isnan(sb) || a > b);
    }
    return sa < sb || (sa == sb && a > b);
}

static void rg_i_sift_down(const float *s, int32_t *h, int32_t n, int32_t i) {
    for (;;) {
        int32_t l = 2 * i + 1, r = l + 1, w = i;
        if (l < n && rg_i_below(s, h[l], h[w])) {
            w = l;
        }
        if (r < n && rg_i_below(s, h[r], h[w])) {
            w = r;
        }
        if (w == i) {
            return;
        }
        int32_t t = h[i];
        h[i] = h[w];
        h[w] = t;
        i = w;
    }
}

/* The best k of the n_movies candidates (excluded[j] == 0), best first, in out (length >= k).
 * A min-heap of the current best k: O(M log k).  Returns the count. */
static int32_t rg_i_topk(const float *s, const uint8_t *excluded, int64_t n_movies, int32_t k,
                         int32_t *out) {
    int32_t n = 0;
    for (int32_t j = 0; j < (int32_t) n_movies; j++) {
        if (excluded[j]) {
            continue;
        }
        if (n < k) {
            /* sift up */
            int32_t i = n++;
            out[i] = j;
            while (i > 0) {
                int32_t p = (i - 1) / 2;
                if (!rg_i_below(s, out[i], out[p])) {
                    break;
                }
                int32_t t = out[i];
                out[i] = out[p];
                out[p] = t;
                i = p;
            }
        } else if (rg_i_below(s, out[0], j)) {
            out[0] = j;
            rg_i_sift_down(s, out, n, 0);
        }
    }
    /* heap sort: repeatedly move the worst to the end */
    for (int32_t end = n - 1; end > 0; end--) {
        int32_t t = out[0];
        out[0] = out[end];
        out[end] = t;
        rg_i_sift_down(s, out, end, 0);
    }
    return n;
}

/* Ranking scores of user u for every movie: ops->score, or ops->predict over all movies (then
 * users_ws and movies_all, both n_movies long, are needed). */
static rg_error_t rg_i_scores(const rg_model_t *m, const rg_graph_t *train, int32_t u,
                              float *out, int32_t *users_ws, const int32_t *movies_all) {
    if (m->ops->score) {
        return m->ops->score(m, train, u, out);
    }
    if (!m->ops->predict) {
        RG_ERROR(RG_EINVAL, "model kind %s can neither score nor predict", m->ops->name);
    }
    for (int64_t j = 0; j < m->n_movies; j++) {
        users_ws[j] = u;
    }
    return m->ops->predict(m, train, m->n_movies, users_ws, movies_all, out);
}

static int rg_i_n_threads(const rg_model_t *m) {
#ifdef _OPENMP
    return m->hp.n_threads > 0 ? m->hp.n_threads : omp_get_max_threads();
#else
    (void) m;
    return 1;
#endif
}

static double rg_i_clip(double v, double lo, double hi) { return v < lo ? lo : v > hi ? hi : v; }

/* ---- rating metrics ---- */

static rg_error_t rg_i_rating_metrics(const rg_model_t *m, const rg_graph_t *full,
                                      const rg_graph_t *train, const uint8_t *is_test,
                                      int64_t n_test, rg_metrics_t *out) {
    rg_error_t rc = RG_SUCCESS;
    int32_t *users = rg_malloc((size_t) n_test * sizeof *users);
    int32_t *movies = rg_malloc((size_t) n_test * sizeof *movies);
    float *pred = rg_malloc((size_t) n_test * sizeof *pred);
    if (!users || !movies || !pred) {
        RG_FAIL(RG_ENOMEM, "rg_evaluate: cannot allocate %lld test predictions",
                (long long) n_test);
    }
    int64_t j = 0;
    for (int32_t u = 0; u < full->n_users; u++) {
        for (int64_t e = full->user_ptr[u]; e < full->user_ptr[u + 1]; e++) {
            if (is_test[e]) {
                users[j] = u;
                movies[j] = full->user_adj[e];
                j++;
            }
        }
    }
    RG_TRY(m->ops->predict(m, train, n_test, users, movies, pred));
    double sse = 0.0, sae = 0.0;
    j = 0;
    for (int32_t u = 0; u < full->n_users; u++) {
        for (int64_t e = full->user_ptr[u]; e < full->user_ptr[u + 1]; e++) {
            if (is_test[e]) {
                double d = rg_i_clip(pred[j], m->rating_min, m->rating_max) - full->rating[e];
                sse += d * d;
                sae += fabs(d);
                j++;
            }
        }
    }
    out->mse = sse / (double) n_test;
    out->rmse = sqrt(out->mse);
    out->mae = sae / (double) n_test;
    out->has_ratings = 1;
cleanup:
    free(users);
    free(movies);
    free(pred);
    return rc;
}

/* ---- ranking metrics ---- */

typedef struct {
    float *scores;     /* (M) */
    uint8_t *excluded; /* (M) */
    uint8_t *relevant; /* (M) */
    uint8_t *covered;  /* (M) */
    int32_t *users;    /* (M) predict fallback */
    int32_t *top;      /* (k) */
    uint8_t *hit;      /* (k) */
} rg_eval_ws_t;

rg_error_t rg_evaluate(const rg_model_t *m, const rg_graph_t *full, const rg_graph_t *train,
                       const uint8_t *is_test, int32_t k, rg_metrics_t *out) {
    rg_error_t rc = RG_SUCCESS;
    int nt = rg_i_n_threads(m);
    int64_t M = m->n_movies;
    int32_t *rank_users = NULL, *movies_all = NULL;
    double *per_user = NULL;
    rg_eval_ws_t *ws = NULL;
    memset(out, 0, sizeof *out);
    out->rmse = out->mae = out->mse = NAN;
    if (k < 1) {
        RG_ERROR(RG_EINVAL, "rg_evaluate: k = %d, must be at least 1", (int) k);
    }
    if (full->n_users != m->n_users || full->n_movies != M || train->n_users != m->n_users ||
        train->n_movies != M) {
        RG_ERROR(RG_EMISMATCH, "rg_evaluate: graph sizes do not match the model (%lld users, "
                 "%lld movies)", (long long) m->n_users, (long long) M);
    }
    out->k = k;
    double thr = (double) full->rating_max - 1.0;

    /* which users are ranked: those with a relevant test movie */
    int64_t n_test = 0, n_rank = 0;
    rank_users = rg_malloc((size_t) (full->n_users > 0 ? full->n_users : 1) * sizeof *rank_users);
    if (!rank_users) {
        RG_FAIL(RG_ENOMEM, "rg_evaluate: out of memory");
    }
    for (int32_t u = 0; u < full->n_users; u++) {
        int has_rel = 0;
        for (int64_t e = full->user_ptr[u]; e < full->user_ptr[u + 1]; e++) {
            if (is_test[e]) {
                n_test++;
                has_rel |= full->rating[e] >= thr;
            }
        }
        if (has_rel) {
            rank_users[n_rank++] = u;
        }
    }
    out->n_test = n_test;
    if (n_test > 0 && m->ops->predicts_ratings && m->ops->predict) {
        RG_TRY(rg_i_rating_metrics(m, full, train, is_test, n_test, out));
    }
    out->n_users_ranked = n_rank;
    if (n_rank == 0) {
        goto cleanup;
    }

    /* per-thread workspaces, allocated once */
    ws = rg_calloc((size_t) nt, sizeof *ws);
    movies_all = rg_malloc((size_t) M * sizeof *movies_all);
    per_user = rg_calloc((size_t) n_rank * 5, sizeof *per_user);
    if (!ws || !movies_all || !per_user) {
        RG_FAIL(RG_ENOMEM, "rg_evaluate: out of memory for %lld ranked users",
                (long long) n_rank);
    }
    for (int64_t j = 0; j < M; j++) {
        movies_all[j] = (int32_t) j;
    }
    for (int t = 0; t < nt; t++) {
        ws[t].scores = rg_malloc((size_t) M * sizeof(float));
        ws[t].excluded = rg_calloc((size_t) M, 1);
        ws[t].relevant = rg_calloc((size_t) M, 1);
        ws[t].covered = rg_calloc((size_t) M, 1);
        ws[t].users = rg_malloc((size_t) M * sizeof(int32_t));
        ws[t].top = rg_malloc((size_t) k * sizeof(int32_t));
        ws[t].hit = rg_malloc((size_t) k);
        if (!ws[t].scores || !ws[t].excluded || !ws[t].relevant || !ws[t].covered ||
            !ws[t].users || !ws[t].top || !ws[t].hit) {
            RG_FAIL(RG_ENOMEM, "rg_evaluate: cannot allocate the workspace of thread %d", t);
        }
    }

    rg_error_t prc = RG_SUCCESS;
#ifdef _OPENMP
#pragma omp parallel for schedule(dynamic, 16) num_threads(nt)
#endif
    for (int64_t i = 0; i < n_rank; i++) {
        int tid = 0;
#ifdef _OPENMP
        tid = omp_get_thread_num();
#endif
        rg_error_t my_rc;
#ifdef _OPENMP
#pragma omp atomic read
#endif
        my_rc = prc;
        if (my_rc != RG_SUCCESS) {
            continue;
        }
        rg_eval_ws_t *w = &ws[tid];
        int32_t u = rank_users[i];
        my_rc = rg_i_scores(m, train, u, w->scores, w->users, movies_all);
        if (my_rc != RG_SUCCESS) {
#ifdef _OPENMP
#pragma omp critical(rg_eval_error)
#endif
            {
                if (prc == RG_SUCCESS) {
                    prc = my_rc;
                }
            }
            continue;
        }
        for (int64_t e = train->user_ptr[u]; e < train->user_ptr[u + 1]; e++) {
            w->excluded[train->user_adj[e]] = 1;
        }
        int64_t n_rel = 0;
        for (int64_t e = full->user_ptr[u]; e < full->user_ptr[u + 1]; e++) {
            if (is_test[e] && full->rating[e] >= thr) {
                w->relevant[full->user_adj[e]] = 1;
                n_rel++;
            }
        }
        int32_t n = rg_i_topk(w->scores, w->excluded, M, k, w->top);
        for (int32_t r = 0; r < n; r++) {
            w->hit[r] = w->relevant[w->top[r]];
            w->covered[w->top[r]] = 1;
        }
        rg_rank_metrics_t rm;
        rg_ranking_metrics(w->hit, n, k, n_rel, &rm);
        double *pu = per_user + 5 * i;
        pu[0] = rm.precision;
        pu[1] = rm.recall;
        pu[2] = rm.ndcg;
        pu[3] = rm.hit_rate;
        pu[4] = rm.ap;
        for (int64_t e = train->user_ptr[u]; e < train->user_ptr[u + 1]; e++) {
            w->excluded[train->user_adj[e]] = 0;
        }
        for (int64_t e = full->user_ptr[u]; e < full->user_ptr[u + 1]; e++) {
            w->relevant[full->user_adj[e]] = 0;
        }
    }
    if (prc != RG_SUCCESS) {
        rc = prc;
        goto cleanup;
    }
    double sum[5] = {0, 0, 0, 0, 0};
    for (int64_t i = 0; i < n_rank; i++) {
        for (int c = 0; c < 5; c++) {
            sum[c] += per_user[5 * i + c];
        }
    }
    out->precision = sum[0] / (double) n_rank;
    out->recall = sum[1] / (double) n_rank;
    out->ndcg = sum[2] / (double) n_rank;
    out->hit_rate = sum[3] / (double) n_rank;
    out->map = sum[4] / (double) n_rank;
    int64_t n_cov = 0;
    for (int64_t j = 0; j < M; j++) {
        int c = 0;
        for (int t = 0; t < nt; t++) {
            c |= ws[t].covered[j];
        }
        n_cov += c;
    }
    out->coverage = M > 0 ? (double) n_cov / (double) M : 0.0;

cleanup:
    if (ws) {
        for (int t = 0; t < nt; t++) {
            free(ws[t].scores);
            free(ws[t].excluded);
            free(ws[t].relevant);
            free(ws[t].covered);
            free(ws[t].users);
            free(ws[t].top);
            free(ws[t].hit);
        }
    }
    free(ws);
    free(movies_all);
    free(per_user);
    free(rank_users);
    return rc;
}

/* ---- recommendation ---- */

/* Excludes the rated movies and, with genre_filter, every movie sharing no genre with them. */
static void rg_i_exclusions(const rg_graph_t *g, int64_t n_rated, const int32_t *rated,
                            int genre_filter, uint8_t *excluded) {
    uint32_t mask = 0;
    for (int64_t i = 0; i < n_rated; i++) {
        mask |= g->movie_genres[rated[i]];
    }
    for (int64_t j = 0; j < g->n_movies; j++) {
        excluded[j] = (uint8_t) (genre_filter && (g->movie_genres[j] & mask) == 0);
    }
    for (int64_t i = 0; i < n_rated; i++) {
        excluded[rated[i]] = 1;
    }
}

/* Shared tail: scores are in s; picks the top n of the non-excluded movies. */
static void rg_i_emit(const float *s, const uint8_t *excluded, int64_t M, int32_t n,
                      int32_t *movies, float *scores, int32_t *n_out) {
    *n_out = rg_i_topk(s, excluded, M, n, movies);
    for (int32_t i = 0; i < *n_out; i++) {
        scores[i] = s[movies[i]];
    }
}

rg_error_t rg_recommend(const rg_model_t *m, const rg_graph_t *train, const rg_graph_t *seen,
                        int32_t u, int32_t n, int genre_filter, int32_t *movies, float *scores,
                        int32_t *n_out) {
    rg_error_t rc = RG_SUCCESS;
    int64_t M = m->n_movies;
    float *s = NULL;
    uint8_t *excluded = NULL;
    int32_t *users_ws = NULL, *movies_all = NULL;
    *n_out = 0;
    if (u < 0 || u >= m->n_users) {
        RG_ERROR(RG_ERANGE, "rg_recommend: user %d out of range [0, %lld)", (int) u,
                 (long long) m->n_users);
    }
    if (n < 1) {
        RG_ERROR(RG_EINVAL, "rg_recommend: n = %d, must be at least 1", (int) n);
    }
    if (seen->n_movies != M || seen->n_users != m->n_users) {
        RG_ERROR(RG_EMISMATCH, "rg_recommend: the graph of seen movies does not match the model");
    }
    s = rg_malloc((size_t) M * sizeof *s);
    excluded = rg_malloc((size_t) M);
    if (!s || !excluded) {
        RG_FAIL(RG_ENOMEM, "rg_recommend: out of memory");
    }
    if (!m->ops->score) {
        users_ws = rg_malloc((size_t) M * sizeof *users_ws);
        movies_all = rg_malloc((size_t) M * sizeof *movies_all);
        if (!users_ws || !movies_all) {
            RG_FAIL(RG_ENOMEM, "rg_recommend: out of memory");
        }
        for (int64_t j = 0; j < M; j++) {
            movies_all[j] = (int32_t) j;
        }
    }
    RG_TRY(rg_i_scores(m, train, u, s, users_ws, movies_all));
    rg_i_exclusions(seen, rg_graph_user_degree(seen, u), seen->user_adj + seen->user_ptr[u],
                    genre_filter, excluded);
    rg_i_emit(s, excluded, M, n, movies, scores, n_out);
cleanup:
    free(s);
    free(excluded);
    free(users_ws);
    free(movies_all);
    return rc;
}

rg_error_t rg_recommend_fold_in(const rg_model_t *m, const rg_graph_t *train, int64_t n_rated,
                                const int32_t *rated, const float *ratings, int32_t n,
                                int genre_filter, int32_t *movies, float *scores, int32_t *n_out) {
    rg_error_t rc = RG_SUCCESS;
    int64_t M = m->n_movies;
    float *s = NULL;
    uint8_t *excluded = NULL;
    *n_out = 0;
    if (!m->ops->fold_in) {
        RG_ERROR(RG_EINVAL, "model kind %s cannot fold in a new user's ratings; hint: add the "
                 "user to the dataset and retrain", m->ops->name);
    }
    if (n_rated < 1) {
        RG_ERROR(RG_EINVAL, "rg_recommend_fold_in: no ratings given (use the popularity "
                 "fallback for a user without ratings)");
    }
    if (n < 1) {
        RG_ERROR(RG_EINVAL, "rg_recommend_fold_in: n = %d, must be at least 1", (int) n);
    }
    for (int64_t i = 0; i < n_rated; i++) {
        if (rated[i] < 0 || rated[i] >= M) {
            RG_ERROR(RG_ERANGE, "rg_recommend_fold_in: movie %d out of range [0, %lld)",
                     (int) rated[i], (long long) M);
        }
        if (!(ratings[i] >= m->rating_min && ratings[i] <= m->rating_max)) {
            RG_ERROR(RG_ERANGE, "rating %g of movie %d is outside the scale [%g, %g]",
                     (double) ratings[i], (int) rated[i], (double) m->rating_min,
                     (double) m->rating_max);
        }
    }
    s = rg_malloc((size_t) M * sizeof *s);
    excluded = rg_malloc((size_t) M);
    if (!s || !excluded) {
        RG_FAIL(RG_ENOMEM, "rg_recommend_fold_in: out of memory");
    }
    RG_TRY(m->ops->fold_in(m, train, n_rated, rated, ratings, s));
    rg_i_exclusions(train, n_rated, rated, genre_filter, excluded);
    rg_i_emit(s, excluded, M, n, movies, scores, n_out);
cleanup:
    free(s);
    free(excluded);
    return rc;
}

rg_error_t rg_recommend_popular(const rg_graph_t *train, int64_t n_seen, const int32_t *seen,
                                int32_t n, int32_t *movies, float *scores, int32_t *n_out) {
    rg_error_t rc = RG_SUCCESS;
    int64_t M = train->n_movies;
    float *key = NULL;
    uint8_t *excluded = NULL;
    *n_out = 0;
    if (n < 1) {
        RG_ERROR(RG_EINVAL, "rg_recommend_popular: n = %d, must be at least 1", (int) n);
    }
    key = rg_malloc((size_t) (M > 0 ? M : 1) * sizeof *key);
    excluded = rg_calloc((size_t) (M > 0 ? M : 1), 1);
    if (!key || !excluded) {
        RG_FAIL(RG_ENOMEM, "rg_recommend_popular: out of memory");
    }
    /* key = count + mean / (rating_max + 1): the count decides and the mean rating (a fraction
     * below 1) breaks ties between equal counts */
    for (int64_t j = 0; j < M; j++) {
        int64_t d = rg_graph_movie_degree(train, (int32_t) j);
        double sum = 0.0;
        for (int64_t p = train->movie_ptr[j]; p < train->movie_ptr[j + 1]; p++) {
            sum += train->rating[train->movie_eid[p]];
        }
        double mean = d > 0 ? sum / (double) d : 0.0;
        key[j] = (float) ((double) d + mean / ((double) train->rating_max + 1.0));
    }
    for (int64_t i = 0; i < n_seen; i++) {
        if (seen[i] >= 0 && seen[i] < M) {
            excluded[seen[i]] = 1;
        }
    }
    *n_out = rg_i_topk(key, excluded, M, n, movies);
    for (int32_t i = 0; i < *n_out; i++) {
        scores[i] = (float) rg_graph_movie_degree(train, movies[i]);
    }
cleanup:
    free(key);
    free(excluded);
    return rc;
}
