/* split.c: train/test splits of the ratings (split.h).
 *
 * Every split writes one 0/1 flag per edge id, so train and test are disjoint and cover all
 * ratings by construction.  RANDOM and KFOLD draw a uniformly random balanced assignment of
 * edges to groups in one sequential pass (the multivariate hypergeometric draw: edge e goes to
 * group i with probability remaining_i / remaining_total), so the group sizes are exact, no
 * O(E) permutation is stored, and the same seed gives the same assignment for every fold of a
 * k-fold run.  TEMPORAL sorts each user's ratings by (timestamp, edge id); FILE matches the
 * listed (user, movie) pairs by dataset ids.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reelgraph/io.h"
#include "reelgraph/rng.h"
#include "reelgraph/split.h"

#define RG_SPLIT_MAX_FOLDS 1000

/* ---- parsing and description ---- */

rg_error_t rg_split_parse(rg_split_spec_t *s, const char *text) {
    uint64_t seed = s->seed; /* the seed is set separately and survives parsing */
    char *end = NULL;
    if (!text) {
        RG_ERROR(RG_EINVAL, "split spec: NULL text");
    }
    memset(s, 0, sizeof *s);
    s->seed = seed;
    if (!strcmp(text, "none")) {
        s->kind = RG_SPLIT_NONE;
        return RG_SUCCESS;
    }
    if (!strncmp(text, "random:", 7)) {
        double f = strtod(text + 7, &end);
        if (end == text + 7 || *end != '\0' || !(f > 0.0 && f < 1.0)) {
            RG_ERROR(RG_EINVAL, "split '%s': random:FRACTION needs a fraction in (0, 1)", text);
        }
        s->kind = RG_SPLIT_RANDOM;
        s->fraction = f;
        return RG_SUCCESS;
    }
    if (!strncmp(text, "temporal:", 9)) {
        long k = strtol(text + 9, &end, 10);
        if (end == text + 9 || *end != '\0' || k < 1 || k > INT32_MAX) {
            RG_ERROR(RG_EINVAL, "split '%s': temporal:LAST_K needs a whole number >= 1", text);
        }
        s->kind = RG_SPLIT_TEMPORAL;
        s->last_k = (int32_t) k;
        return RG_SUCCESS;
    }
    if (!strncmp(text, "kfold:", 6)) {
        long k = strtol(text + 6, &end, 10);
        if (end == text + 6 || *end != ':' || k < 2 || k > RG_SPLIT_MAX_FOLDS) {
            RG_ERROR(RG_EINVAL, "split '%s': kfold:K:FOLD needs K in [2, %d]", text,
                     RG_SPLIT_MAX_FOLDS);
        }
        const char *p = end + 1;
        long fold = strtol(p, &end, 10);
        if (end == p || *end != '\0' || fold < 0 || fold >= k) {
            RG_ERROR(RG_EINVAL, "split '%s': kfold:K:FOLD needs FOLD in [0, %ld)", text, k);
        }
        s->kind = RG_SPLIT_KFOLD;
        s->k = (int32_t) k;
        s->fold = (int32_t) fold;
        return RG_SUCCESS;
    }
    if (!strncmp(text, "file:", 5)) {
        size_t n = strlen(text + 5);
        if (n == 0 || n >= sizeof s->path) {
            RG_ERROR(RG_EINVAL, "split '%s': file:PATH needs a path of 1..%zu bytes", text,
                     sizeof s->path - 1);
        }
        s->kind = RG_SPLIT_FILE;
        memcpy(s->path, text + 5, n + 1);
        return RG_SUCCESS;
    }
    RG_ERROR(RG_EINVAL,
             "split '%s': expected random:FRACTION, temporal:LAST_K, kfold:K:FOLD, file:PATH "
             "or none", text);
}

void rg_split_describe(const rg_split_spec_t *s, char *buf, size_t size) {
    if (!buf || size == 0) {
        return;
    }
    switch (s->kind) {
    case RG_SPLIT_NONE: snprintf(buf, size, "none"); break;
    case RG_SPLIT_FILE: snprintf(buf, size, "file %s", s->path); break;
    case RG_SPLIT_RANDOM:
        snprintf(buf, size, "random:%g seed %" PRIu64, s->fraction, s->seed);
        break;
    case RG_SPLIT_TEMPORAL: snprintf(buf, size, "temporal:%d", (int) s->last_k); break;
    case RG_SPLIT_KFOLD:
        snprintf(buf, size, "kfold:%d:%d seed %" PRIu64, (int) s->k, (int) s->fold, s->seed);
        break;
    default: snprintf(buf, size, "unknown split kind %d", (int) s->kind); break;
    }
}

/* ---- random and k-fold: balanced random group assignment ---- */

/* Assigns each of n edges to one of n_groups groups of the given exact sizes (summing to n),
 * uniformly over all such assignments, and sets is_test[e] = (group of e == test_group).
 * O(n * n_groups) with n_groups <= RG_SPLIT_MAX_FOLDS; no allocation beyond `left`. */
static void split_balanced(int64_t n, int64_t *left, int n_groups, int test_group, uint64_t seed,
                           uint8_t *is_test) {
    rg_rng_t r;
    rg_rng_init(&r, seed);
    int64_t remaining = n;
    for (int64_t e = 0; e < n; e++) {
        int64_t x = (int64_t) rg_rng_below(&r, (uint64_t) remaining);
        int grp = 0;
        while (grp < n_groups - 1 && x >= left[grp]) {
            x -= left[grp];
            grp++;
        }
        left[grp]--;
        remaining--;
        is_test[e] = (uint8_t) (grp == test_group);
    }
}

static rg_error_t split_random(const rg_graph_t *g, const rg_split_spec_t *s, uint8_t *is_test) {
    int64_t n = g->n_ratings;
    int64_t left[2];
    left[1] = (int64_t) ((double) n * s->fraction + 0.5);
    left[0] = n - left[1];
    split_balanced(n, left, 2, 1, rg_rng_mix(s->seed, 0x73706c6974ULL), is_test);
    return RG_SUCCESS;
}

static rg_error_t split_kfold(const rg_graph_t *g, const rg_split_spec_t *s, uint8_t *is_test) {
    rg_error_t rc = RG_SUCCESS;
    int64_t n = g->n_ratings;
    int64_t *left = NULL;
    if (s->k < 2 || s->k > RG_SPLIT_MAX_FOLDS || s->fold < 0 || s->fold >= s->k) {
        RG_FAIL(RG_EINVAL, "kfold split: K=%d FOLD=%d, need 2 <= K <= %d and 0 <= FOLD < K",
                (int) s->k, (int) s->fold, RG_SPLIT_MAX_FOLDS);
    }
    left = rg_malloc((size_t) s->k * sizeof *left);
    if (!left) {
        RG_FAIL(RG_ENOMEM, "kfold split: cannot allocate %d fold counters", (int) s->k);
    }
    /* fold i gets floor(n/K) edges, plus one for the first n mod K folds */
    for (int i = 0; i < s->k; i++) {
        left[i] = n / s->k + (i < n % s->k ? 1 : 0);
    }
    /* the assignment depends on (seed, K) only, so the K folds of one seed partition the edges */
    split_balanced(n, left, s->k, s->fold, rg_rng_mix(s->seed, 0x6b666f6c64ULL + (uint64_t) s->k),
                   is_test);
cleanup:
    free(left);
    return rc;
}

/* ---- temporal: the last K ratings of each user by timestamp ---- */

typedef struct {
    int64_t ts;
    int64_t eid;
} split_ts_edge_t;

static int split_cmp_ts(const void *a, const void *b) {
    const split_ts_edge_t *x = a, *y = b;
    if (x->ts != y->ts) {
        return x->ts < y->ts ? -1 : 1;
    }
    return (x->eid > y->eid) - (x->eid < y->eid);
}

/* Per user: ratings with ts == 0 (unknown) never go to test; among the others, the last
 * min(K, deg - 1) by (timestamp, edge id) are test, so every user keeps at least one training
 * rating.  Users none of whose ratings has a timestamp are counted and kept in train. */
static rg_error_t split_temporal(const rg_graph_t *g, const rg_split_spec_t *s, uint8_t *is_test,
                                 int64_t *n_no_time) {
    rg_error_t rc = RG_SUCCESS;
    split_ts_edge_t *buf = NULL;
    int64_t d_max = 0;
    if (s->last_k < 1) {
        RG_FAIL(RG_EINVAL, "temporal split: LAST_K=%d, need >= 1", (int) s->last_k);
    }
    for (int64_t u = 0; u < g->n_users; u++) {
        int64_t d = g->user_ptr[u + 1] - g->user_ptr[u];
        d_max = d > d_max ? d : d_max;
    }
    buf = rg_malloc((size_t) (d_max > 0 ? d_max : 1) * sizeof *buf);
    if (!buf) {
        RG_FAIL(RG_ENOMEM, "temporal split: cannot allocate a buffer of %lld edges",
                (long long) d_max);
    }
    memset(is_test, 0, (size_t) g->n_ratings);
    *n_no_time = 0;
    for (int64_t u = 0; u < g->n_users; u++) {
        int64_t lo = g->user_ptr[u], hi = g->user_ptr[u + 1], n_known = 0;
        for (int64_t e = lo; e < hi; e++) {
            if (g->ts[e] > 0) {
                buf[n_known].ts = g->ts[e];
                buf[n_known].eid = e;
                n_known++;
            }
        }
        if (hi > lo && n_known == 0) {
            (*n_no_time)++;
            continue;
        }
        int64_t n_hold = s->last_k;
        if (n_hold > hi - lo - 1) {
            n_hold = hi - lo - 1;
        }
        if (n_hold > n_known) {
            n_hold = n_known;
        }
        if (n_hold <= 0) {
            continue;
        }
        qsort(buf, (size_t) n_known, sizeof *buf, split_cmp_ts);
        for (int64_t i = n_known - n_hold; i < n_known; i++) {
            is_test[buf[i].eid] = 1;
        }
    }
cleanup:
    free(buf);
    return rc;
}

/* ---- file: the listed (user, movie) pairs ---- */

static rg_error_t split_file(const rg_graph_t *g, rg_split_spec_t *s, uint8_t *is_test,
                             int64_t *n_unmatched) {
    rg_error_t rc = RG_SUCCESS;
    rg_rating_t *list = NULL;
    int64_t n = 0;
    uint64_t h = 0x72656c6772617068ULL;
    if (!s->path[0]) {
        RG_FAIL(RG_EINVAL, "file split: empty test-file path");
    }
    RG_TRY(rg_ratings_read(s->path, &list, &n));
    memset(is_test, 0, (size_t) g->n_ratings);
    *n_unmatched = 0;
    for (int64_t i = 0; i < n; i++) {
        h = rg_rng_mix(h ^ (uint64_t) list[i].user, (uint64_t) list[i].movie);
        int32_t u = rg_graph_user_index(g, list[i].user);
        int32_t m = rg_graph_movie_index(g, list[i].movie);
        int64_t e = (u >= 0 && m >= 0) ? rg_graph_edge(g, u, m) : -1;
        if (e < 0) {
            (*n_unmatched)++;
        } else {
            is_test[e] = 1;
        }
    }
    h = rg_rng_mix(h, (uint64_t) n);
    if (h == 0) {
        h = 1; /* 0 means "not recorded yet" */
    }
    if (s->file_hash == 0) {
        s->file_hash = h;
    } else if (s->file_hash != h) {
        RG_FAIL(RG_EMISMATCH,
                "test file %s: its (user, movie) pairs changed since the split was recorded "
                "(hash %016" PRIx64 ", recorded %016" PRIx64 ")", s->path, h, s->file_hash);
    }
cleanup:
    free(list);
    return rc;
}

/* ---- API ---- */

rg_error_t rg_split_apply(const rg_graph_t *g, rg_split_spec_t *s, uint8_t *is_test,
                          rg_split_report_t *report) {
    rg_error_t rc = RG_SUCCESS;
    rg_split_report_t rep;
    memset(&rep, 0, sizeof rep);
    if (!g || !s || (!is_test && g->n_ratings > 0)) {
        RG_ERROR(RG_EINVAL, "rg_split_apply: NULL graph, spec or is_test");
    }
    switch (s->kind) {
    case RG_SPLIT_NONE: memset(is_test, 0, (size_t) g->n_ratings); break;
    case RG_SPLIT_RANDOM:
        if (!(s->fraction > 0.0 && s->fraction < 1.0)) {
            RG_ERROR(RG_EINVAL, "random split: fraction %g is not in (0, 1)", s->fraction);
        }
        rc = split_random(g, s, is_test);
        break;
    case RG_SPLIT_KFOLD: rc = split_kfold(g, s, is_test); break;
    case RG_SPLIT_TEMPORAL: rc = split_temporal(g, s, is_test, &rep.n_users_no_time); break;
    case RG_SPLIT_FILE: rc = split_file(g, s, is_test, &rep.n_file_unmatched); break;
    default: RG_ERROR(RG_EINVAL, "rg_split_apply: unknown split kind %d", (int) s->kind);
    }
    if (rc != RG_SUCCESS) {
        return rc;
    }
    for (int64_t e = 0; e < g->n_ratings; e++) {
        rep.n_test += is_test[e];
    }
    rep.n_train = g->n_ratings - rep.n_test;
    if (report) {
        *report = rep;
    }
    return RG_SUCCESS;
}
