/* gc_mp.c: finite-difference checks of the message-passing aggregations (sum, mean, weighted
 * sum, rating-weighted mean, max) in both backward modes (a transpose, built or viewed, and the
 * owner-computes scan with 1 and 2 threads), on three CSRs:
 *   - users <- movies of a small store-shaped graph (edge ids = position; transpose = the
 *     movie-major view {movie_ptr, movie_adj, movie_eid}), with an isolated user;
 *   - movies <- users of the same graph (weights through movie_eid; transpose built), with an
 *     unrated movie;
 *   - a sampled block (local ids, duplicate sources in a row, an empty row).
 * D = 5.  MAX: source features are spaced >= 0.05 apart so a +-1e-2 step never changes the
 * argmax (ggml's kink rule).  Tolerances: rgt_gc_opts_default.
 * The fused rating-aware mean pair (rg_mp_rated_mean_*) is checked on the same CSRs at widths
 * 5, 16, 37 and 85 (the scalar tail, one register block, two blocks and a tail, one 64-column
 * sweep plus a block and a tail), with strided output rows: its forward against the two-pass
 * composition MEAN + WSUM(centred weights), its backward by finite differences on one thread,
 * on two splitting the entries (private slices in scratch, where the CSR has no more sources
 * than entries) and on two owning source rows (no scratch). */
#include <stdio.h>
#include <string.h>

#include "gradcheck.h"
#include "rg_test.h"

enum { U = 9, M = 7, D = 5, MAXE = U * M };

/* the store-shaped graph */
typedef struct {
    int64_t user_ptr[U + 1], movie_ptr[M + 1], movie_eid[MAXE];
    int32_t user_adj[MAXE], movie_adj[MAXE];
    float rating[MAXE];
    int64_t nnz;
} toy_graph_t;

static void toy_graph(toy_graph_t *g, uint64_t seed) {
    rg_rng_t r;
    int64_t cnt[M + 1] = {0};
    rg_rng_init(&r, seed);
    memset(g, 0, sizeof *g);
    for (int u = 0; u < U; u++) {
        g->user_ptr[u] = g->nnz;
        for (int m = 0; m < M - 1 && u < U - 1; m++) { /* user U-1 isolated, movie M-1 unrated */
            if (rg_rng_uniformf(&r) < 0.5f) {
                g->user_adj[g->nnz] = m;
                g->rating[g->nnz] = 1.0f + (float) rg_rng_below(&r, 9) * 0.5f;
                g->nnz++;
            }
        }
    }
    g->user_ptr[U] = g->nnz;
    /* movie-major view by counting sort (independent of the library's transpose) */
    for (int64_t e = 0; e < g->nnz; e++) {
        cnt[g->user_adj[e] + 1]++;
    }
    for (int m = 0; m < M; m++) {
        cnt[m + 1] += cnt[m];
    }
    memcpy(g->movie_ptr, cnt, sizeof g->movie_ptr);
    for (int u = 0; u < U; u++) {
        for (int64_t e = g->user_ptr[u]; e < g->user_ptr[u + 1]; e++) {
            int64_t k = cnt[g->user_adj[e]]++;
            g->movie_adj[k] = u;
            g->movie_eid[k] = e;
        }
    }
}

typedef struct {
    const rg_mp_csr_t *g;
    rg_agg_t agg;
    float X[U * D];
    float out[U * D], c[U * D], scale[U];
    int32_t argmax[U * D];
} mp_ctx_t;

static double mp_loss(void *p) {
    mp_ctx_t *t = p;
    rg_mp_aggregate_forward(t->out, t->scale, t->argmax, t->X, t->g, D, t->agg, 1);
    return rgt_gc_dot(t->out, t->c, (size_t) t->g->n_dst * D);
}

static const char *agg_name(rg_agg_t a) {
    static const char *names[] = {"sum", "mean", "wsum", "wmean", "max"};
    return names[a];
}

static void fill_features(mp_ctx_t *t, int64_t n_src, rg_rng_t *r) {
    /* distinct values on a 0.05 grid, shuffled, plus a little jitter */
    int32_t perm[U * D];
    size_t n = (size_t) n_src * D;
    for (size_t i = 0; i < n; i++) {
        perm[i] = (int32_t) i;
    }
    rg_rng_shuffle_i32(r, perm, (int64_t) n);
    for (size_t i = 0; i < n; i++) {
        t->X[i] = -1.1f + 0.05f * (float) perm[i] + 0.004f * rg_rng_uniformf(r);
    }
}

/* Checks dX for every aggregation and backward mode on CSR g; tview may be NULL. */
static void check_csr(const rg_mp_csr_t *g, const rg_mp_transpose_t *tview, const char *tag,
                      uint64_t seed) {
    rg_mp_transpose_t tb;
    rgt_gc_opts_t o;
    rg_rng_t r;
    char name[80];
    RGT_OK(rg_mp_transpose_init(&tb, g));
    rgt_gc_opts_default(&o);
    for (int a = RG_AGG_SUM; a <= RG_AGG_MAX; a++) {
        mp_ctx_t t;
        memset(&t, 0, sizeof t);
        rg_rng_init(&r, seed + (uint64_t) a);
        t.g = g;
        t.agg = (rg_agg_t) a;
        fill_features(&t, g->n_src, &r);
        rgt_gc_coeffs(t.c, (size_t) g->n_dst * D, seed + 100 + (uint64_t) a);
        mp_loss(&t);
        size_t nX = (size_t) g->n_src * D;
        /* mode 0: built transpose, 1: view (if any), 2/3: owner scan with 1/2 threads */
        for (int mode = 0; mode < 4; mode++) {
            float dX[U * D] = {0};
            const rg_mp_transpose_t *tr = mode == 0 ? &tb : mode == 1 ? tview : NULL;
            if (mode == 1 && !tview) {
                continue;
            }
            rg_mp_aggregate_backward(dX, t.c, t.scale, t.argmax, g, tr, D, t.agg,
                                     mode == 3 ? 2 : 1);
            static const char *modes[] = {"transpose", "view", "owner/1t", "owner/2t"};
            snprintf(name, sizeof name, "%s %s %s", tag, agg_name(t.agg), modes[mode]);
            RGT_GRADCHECK(name, t.X, dX, nX, mp_loss, &t, &o);
        }
    }
    rg_mp_transpose_free(&tb);
}

/* ---- the rating-aware mean pair ---- */

enum { PD = 85, PLD = 2 * PD + 3 };

typedef struct {
    const rg_mp_csr_t *g;
    int D;
    float mu;
    float X[U * PD];
    float out[U * PLD], c[U * PLD];
} pair_ctx_t;

static double pair_loss(void *p) {
    pair_ctx_t *t = p;
    rg_mp_rated_mean_forward(t->out, PLD, t->X, t->g, t->mu, t->D, 1);
    double s = 0.0;
    for (int64_t d = 0; d < t->g->n_dst; d++) {
        s += rgt_gc_dot(t->out + d * PLD, t->c + d * PLD, 2 * (size_t) t->D);
    }
    return s;
}

/* Forward against MEAN and WSUM with wc = (r - mu) / deg; backward by finite differences. */
static void check_pair(const rg_mp_csr_t *g, const char *tag, uint64_t seed) {
    static const int widths[] = {5, 16, 37, PD};
    rgt_gc_opts_t o;
    rg_rng_t r;
    char name[80];
    rgt_gc_opts_default(&o);
    int64_t nnz = g->ptr[g->n_dst];
    for (size_t wi = 0; wi < sizeof widths / sizeof widths[0]; wi++) {
        pair_ctx_t t;
        memset(&t, 0, sizeof t);
        t.g = g;
        t.D = widths[wi];
        t.mu = 3.25f;
        rg_rng_init(&r, seed + wi);
        for (int64_t i = 0; i < g->n_src * t.D; i++) {
            t.X[i] = 2.0f * rg_rng_uniformf(&r) - 1.0f;
        }
        rgt_gc_coeffs(t.c, (size_t) g->n_dst * PLD, seed + 50 + wi);
        pair_loss(&t);
        /* the two-pass reference */
        float mean[U * PD], ar[U * PD], scale[U], wc[MAXE];
        for (int64_t d = 0; d < g->n_dst; d++) {
            int64_t n = g->ptr[d + 1] - g->ptr[d];
            for (int64_t j = g->ptr[d]; j < g->ptr[d + 1]; j++) {
                wc[j] = (g->w[g->eid ? g->eid[j] : j] - t.mu) / (float) n;
            }
        }
        assert_true(nnz <= MAXE);
        rg_mp_csr_t gw = {g->ptr, g->idx, wc, NULL, g->n_dst, g->n_src};
        rg_mp_aggregate_forward(mean, scale, NULL, t.X, g, t.D, RG_AGG_MEAN, 1);
        rg_mp_aggregate_forward(ar, NULL, NULL, t.X, &gw, t.D, RG_AGG_WSUM, 1);
        for (int64_t d = 0; d < g->n_dst; d++) {
            for (int f = 0; f < t.D; f++) {
                assert_float_equal(t.out[d * PLD + f], mean[d * t.D + f], 1e-5);
                assert_float_equal(t.out[d * PLD + t.D + f], ar[d * t.D + f], 1e-5);
            }
        }
        size_t nX = (size_t) g->n_src * (size_t) t.D;
        /* one thread; two with scratch (entries split); two without (source rows owned) */
        for (int mode = 0; mode < 3; mode++) {
            int threads = mode == 0 ? 1 : 2;
            float dX[U * PD] = {0}, scratch[U * PD];
            assert_true(rg_mp_rated_mean_scratch(g->n_src, t.D, threads) <= U * PD);
            rg_mp_rated_mean_backward(dX, mode == 1 ? scratch : NULL, t.c, PLD, g, t.mu, t.D,
                                      threads);
            snprintf(name, sizeof name, "%s pair D=%d %dt%s", tag, t.D, threads,
                     mode == 1 ? " split" : "");
            RGT_GRADCHECK(name, t.X, dX, nX, pair_loss, &t, &o);
        }
    }
}

static void test_mp_users_from_movies(void **state) {
    (void) state;
    toy_graph_t G;
    toy_graph(&G, 201);
    rg_mp_csr_t g = {G.user_ptr, G.user_adj, G.rating, NULL, U, M};
    /* the store's movie-major direction IS the transpose of the user-major CSR */
    rg_mp_transpose_t view = {G.movie_ptr, G.movie_adj, G.movie_eid, M, G.nnz, 0};
    check_csr(&g, &view, "users<-movies", 210);
    check_pair(&g, "users<-movies", 310);
}

static void test_mp_movies_from_users(void **state) {
    (void) state;
    toy_graph_t G;
    toy_graph(&G, 202);
    rg_mp_csr_t g = {G.movie_ptr, G.movie_adj, G.rating, G.movie_eid, M, U};
    check_csr(&g, NULL, "movies<-users", 220);
    check_pair(&g, "movies<-users", 320);
}

static void test_mp_sampled_block(void **state) {
    (void) state;
    /* 5 dst rows over 6 local sources: row 1 empty, duplicates in rows 0 and 2 */
    static const int64_t ptr[] = {0, 3, 3, 8, 10, 11};
    static const int32_t idx[] = {4, 1, 4, 2, 0, 5, 2, 3, 1, 5, 0};
    static const float w[] = {4.0f, 2.5f, 4.0f, 1.0f, 3.5f, 5.0f, 1.0f, 2.0f, 4.5f, 3.0f, 0.5f};
    rg_mp_csr_t g = {ptr, idx, w, NULL, 5, 6};
    check_csr(&g, NULL, "block", 230);
    check_pair(&g, "block", 330);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mp_users_from_movies),
        cmocka_unit_test(test_mp_movies_from_users),
        cmocka_unit_test(test_mp_sampled_block),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
