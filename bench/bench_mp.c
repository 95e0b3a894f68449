/* bench_mp.c: edges per second of the message-passing aggregation (forward and backward) over
 * the ML-1M rating graph and a synthetic 25M-edge graph, 1 and 2 threads, D = 64.
 *
 * usage: bench_mp [ML1M_DIR] [max_threads]
 * ML1M_DIR defaults to $RG_DATA_DIR/ml-1m (or /work/shared/data/ml-1m); when it cannot be read a
 * synthetic CSR of the same size (6040 x 3706, 1,000,209 edges) is used and the line says so.
 * The 25M graph has ML-25M's sizes (162,541 users, 59,047 movies, 25,000,095 edges), per-user
 * degrees drawn around the ML-25M mean and movies drawn with a cubic skew toward popular ids
 * (repeats within a user allowed: they do not change the cost model).
 * Both directions are timed: users <- movies (dst = users, weights by position) and
 * movies <- users (dst = movies, weights through movie_eid).  Aggregation: rating-weighted mean
 * (the costliest linear kind: a weight lookup per edge).  Backward is timed with the transpose
 * (the store's other direction as a view, or one built once, outside the timing) and with the
 * owner-computes scan (no transpose).  Before timing, the parallel paths are checked to be
 * bitwise equal to the 1-thread result.  Best of 3 runs; wall and CPU time printed, and edges
 * per CPU-second (all threads), which a shared machine's load distorts much less than wall time.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "reelgraph/reelgraph.h"

enum { D = 64, REPS = 3 };

static double wall(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double) ts.tv_sec + 1e-9 * (double) ts.tv_nsec;
}

static double cpu(void) {
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double) ts.tv_sec + 1e-9 * (double) ts.tv_nsec;
}

static void *xmalloc(size_t n) {
    void *p = malloc(n ? n : 1);
    if (!p) {
        fprintf(stderr, "bench_mp: out of memory (%zu bytes)\n", n);
        exit(2);
    }
    return p;
}

/* Both directions of a bipartite rating graph, as the store lays them out. */
typedef struct {
    int64_t n_users, n_movies, nnz;
    int64_t *user_ptr, *movie_ptr, *movie_eid;
    int32_t *user_adj, *movie_adj;
    float *rating;
} bip_t;

static void bip_free(bip_t *b) {
    free(b->user_ptr);
    free(b->movie_ptr);
    free(b->movie_eid);
    free(b->user_adj);
    free(b->movie_adj);
    free(b->rating);
}

/* movie-major direction from the user-major one (counting sort) */
static void bip_finish(bip_t *b) {
    b->movie_ptr = calloc((size_t) b->n_movies + 1, sizeof *b->movie_ptr);
    b->movie_adj = xmalloc((size_t) b->nnz * sizeof *b->movie_adj);
    b->movie_eid = xmalloc((size_t) b->nnz * sizeof *b->movie_eid);
    int64_t *cur = xmalloc(((size_t) b->n_movies + 1) * sizeof *cur);
    if (!b->movie_ptr) {
        exit(2);
    }
    for (int64_t e = 0; e < b->nnz; e++) {
        b->movie_ptr[b->user_adj[e] + 1]++;
    }
    for (int64_t m = 0; m < b->n_movies; m++) {
        b->movie_ptr[m + 1] += b->movie_ptr[m];
    }
    memcpy(cur, b->movie_ptr, ((size_t) b->n_movies + 1) * sizeof *cur);
    for (int64_t u = 0; u < b->n_users; u++) {
        for (int64_t e = b->user_ptr[u]; e < b->user_ptr[u + 1]; e++) {
            int64_t k = cur[b->user_adj[e]]++;
            b->movie_adj[k] = (int32_t) u;
            b->movie_eid[k] = e;
        }
    }
    free(cur);
}

static void bip_synthetic(bip_t *b, int64_t U, int64_t M, int64_t E, uint64_t seed) {
    rg_rng_t r;
    rg_rng_init(&r, seed);
    b->n_users = U;
    b->n_movies = M;
    b->user_ptr = xmalloc(((size_t) U + 1) * sizeof *b->user_ptr);
    /* degrees: 20 + exponential tail, rescaled to sum to E exactly */
    double mean_extra = (double) E / (double) U - 20.0, tot = 0.0;
    double *w = xmalloc((size_t) U * sizeof *w);
    for (int64_t u = 0; u < U; u++) {
        w[u] = -mean_extra * log(1.0 - rg_rng_uniform(&r));
        tot += w[u];
    }
    b->user_ptr[0] = 0;
    double acc = 0.0;
    for (int64_t u = 0; u < U; u++) {
        acc += w[u];
        b->user_ptr[u + 1] = 20 * (u + 1) + (int64_t) ((double) (E - 20 * U) * acc / tot);
    }
    b->user_ptr[U] = E;
    free(w);
    b->nnz = E;
    b->user_adj = xmalloc((size_t) E * sizeof *b->user_adj);
    b->rating = xmalloc((size_t) E * sizeof *b->rating);
    for (int64_t e = 0; e < E; e++) {
        double x = rg_rng_uniform(&r);
        b->user_adj[e] = (int32_t) ((double) M * x * x * x);
        b->rating[e] = 1.0f + (float) rg_rng_below(&r, 9) * 0.5f;
    }
    bip_finish(b);
}

static int bip_ml1m(bip_t *b, const char *dir) {
    rg_dataset_t d;
    rg_read_opts_t o;
    rg_graph_t g;
    memset(&g, 0, sizeof g);
    rg_dataset_init(&d);
    rg_read_opts_default(&o);
    rg_error_t rc = rg_dataset_read(&d, dir, &o);
    if (rc == RG_SUCCESS) {
        rc = rg_graph_build(&g, &d, NULL);
    }
    rg_dataset_free(&d);
    if (rc != RG_SUCCESS) {
        fprintf(stderr, "bench_mp: cannot read %s: %s\n", dir, rg_last_error_message());
        return -1;
    }
    b->n_users = g.n_users;
    b->n_movies = g.n_movies;
    b->nnz = g.n_ratings;
    b->user_ptr = xmalloc(((size_t) g.n_users + 1) * sizeof *b->user_ptr);
    b->user_adj = xmalloc((size_t) g.n_ratings * sizeof *b->user_adj);
    b->rating = xmalloc((size_t) g.n_ratings * sizeof *b->rating);
    memcpy(b->user_ptr, g.user_ptr, ((size_t) g.n_users + 1) * sizeof *b->user_ptr);
    memcpy(b->user_adj, g.user_adj, (size_t) g.n_ratings * sizeof *b->user_adj);
    memcpy(b->rating, g.rating, (size_t) g.n_ratings * sizeof *b->rating);
    rg_graph_free(&g);
    bip_finish(b);
    return 0;
}

typedef struct {
    double wall, cpu;
} timing_t;

/* best of REPS; kind 0 forward, 1 backward with transpose, 2 backward owner scan */
static timing_t run(int kind, float *out, float *scale, float *dX, const float *X,
                    const float *dout, const rg_mp_csr_t *g, const rg_mp_transpose_t *t,
                    int threads) {
    timing_t best = {1e30, 0.0};
    for (int rep = 0; rep < REPS; rep++) {
        double w0 = wall(), c0 = cpu();
        if (kind == 0) {
            rg_mp_aggregate_forward(out, scale, NULL, X, g, D, RG_AGG_WMEAN, threads);
        } else {
            rg_mp_aggregate_backward(dX, dout, scale, NULL, g, kind == 1 ? t : NULL, D,
                                     RG_AGG_WMEAN, threads);
        }
        double dw = wall() - w0, dc = cpu() - c0;
        if (dw < best.wall) {
            best.wall = dw;
            best.cpu = dc;
        }
    }
    return best;
}

static int bench_direction(const char *label, const rg_mp_csr_t *g, const rg_mp_transpose_t *t,
                           int max_threads) {
    rg_rng_t r;
    size_t n_out = (size_t) g->n_dst * D, n_in = (size_t) g->n_src * D;
    float *X = xmalloc(n_in * sizeof *X), *out = xmalloc(n_out * sizeof *out);
    float *dout = xmalloc(n_out * sizeof *dout), *scale = xmalloc((size_t) g->n_dst * sizeof *scale);
    float *dX = calloc(n_in, sizeof *dX), *ref = calloc(n_in, sizeof *ref);
    float *ref_out = xmalloc(n_out * sizeof *ref_out);
    int bad = 0;
    rg_rng_init(&r, 7);
    for (size_t i = 0; i < n_in; i++) {
        X[i] = 2.0f * rg_rng_uniformf(&r) - 1.0f;
    }
    for (size_t i = 0; i < n_out; i++) {
        dout[i] = 2.0f * rg_rng_uniformf(&r) - 1.0f;
    }
    if (!dX || !ref) {
        exit(2);
    }
    /* check first: every parallel path equals the 1-thread result bitwise */
    rg_mp_aggregate_forward(ref_out, scale, NULL, X, g, D, RG_AGG_WMEAN, 1);
    rg_mp_aggregate_backward(ref, dout, scale, NULL, g, NULL, D, RG_AGG_WMEAN, 1);
    for (int th = 2; th <= max_threads; th++) {
        rg_mp_aggregate_forward(out, scale, NULL, X, g, D, RG_AGG_WMEAN, th);
        bad |= memcmp(out, ref_out, n_out * sizeof *out) != 0;
        for (int kind = 1; kind <= 2; kind++) {
            memset(dX, 0, n_in * sizeof *dX);
            rg_mp_aggregate_backward(dX, dout, scale, NULL, g, kind == 1 ? t : NULL, D,
                                     RG_AGG_WMEAN, th);
            bad |= memcmp(dX, ref, n_in * sizeof *dX) != 0;
        }
    }
    printf("  %s: %lld dst, %lld src, %lld edges; parallel == serial: %s\n", label,
           (long long) g->n_dst, (long long) g->n_src, (long long) g->ptr[g->n_dst],
           bad ? "NO (MISMATCH)" : "yes");
    static const char *names[] = {"forward", "backward (transpose)", "backward (owner scan)"};
    double E = (double) g->ptr[g->n_dst];
    for (int kind = 0; kind < 3; kind++) {
        for (int th = 1; th <= max_threads; th++) {
            timing_t tm = run(kind, out, scale, dX, X, dout, g, t, th);
            printf("    %-22s threads %d: %8.1f M edges/s  (wall %.3f s, cpu %.3f s; "
                   "%.1f M edges per CPU-s)\n",
                   names[kind], th, E / tm.wall * 1e-6, tm.wall, tm.cpu, E / tm.cpu * 1e-6);
        }
    }
    free(X);
    free(out);
    free(dout);
    free(scale);
    free(dX);
    free(ref);
    free(ref_out);
    return bad;
}

static int bench_graph(const char *title, bip_t *b, int max_threads) {
    int bad = 0;
    printf("\n%s (D = %d, rating-weighted mean, best of %d)\n", title, D, REPS);
    /* users <- movies: the transpose is the store's movie-major direction, as a view */
    rg_mp_csr_t gu = {b->user_ptr, b->user_adj, b->rating, NULL, b->n_users, b->n_movies};
    rg_mp_transpose_t tu = {b->movie_ptr, b->movie_adj, b->movie_eid, b->n_movies, b->nnz, 0};
    bad |= bench_direction("users <- movies", &gu, &tu, max_threads);
    /* movies <- users: weights through movie_eid; the transpose is built once (untimed) */
    rg_mp_csr_t gm = {b->movie_ptr, b->movie_adj, b->rating, b->movie_eid, b->n_movies,
                      b->n_users};
    rg_mp_transpose_t tm;
    double t0 = wall();
    if (rg_mp_transpose_init(&tm, &gm) != RG_SUCCESS) {
        fprintf(stderr, "bench_mp: %s\n", rg_last_error_message());
        return 1;
    }
    printf("  (built the movies <- users transpose in %.3f s)\n", wall() - t0);
    bad |= bench_direction("movies <- users", &gm, &tm, max_threads);
    rg_mp_transpose_free(&tm);
    return bad;
}

int main(int argc, char **argv) {
    char path[4096];
    const char *dir = argc > 1 ? argv[1] : NULL;
    int max_threads = argc > 2 ? atoi(argv[2]) : 2;
    int bad = 0;
    if (!dir) {
        const char *env = getenv("RG_DATA_DIR");
        snprintf(path, sizeof path, "%s/ml-1m", env && *env ? env : "/work/shared/data");
        dir = path;
    }
    bip_t b;
    memset(&b, 0, sizeof b);
    double t0 = wall();
    if (bip_ml1m(&b, dir) == 0) {
        char title[4200];
        snprintf(title, sizeof title, "ML-1M from %s (read + build %.2f s)", dir, wall() - t0);
        bad |= bench_graph(title, &b, max_threads);
    } else {
        bip_free(&b);
        memset(&b, 0, sizeof b);
        bip_synthetic(&b, 6040, 3706, 1000209, 1);
        bad |= bench_graph("ML-1M-sized SYNTHETIC CSR (dataset unavailable)", &b, max_threads);
    }
    bip_free(&b);
    memset(&b, 0, sizeof b);
    t0 = wall();
    bip_synthetic(&b, 162541, 59047, 25000095, 2);
    char title[128];
    snprintf(title, sizeof title, "synthetic 25M-edge CSR (generated in %.1f s)", wall() - t0);
    bad |= bench_graph(title, &b, max_threads);
    bip_free(&b);
    return bad ? 2 : 0;
}
