/* bench_scale_similar.c: snapshot load and "similar users" for a batch of users, the two
 * query-side figures of bench/scale.sh.
 *
 * usage: bench_scale_similar GRAPH.rg [queries] [threads]
 *   queries  users queried, spread evenly over the id range (default 1000)
 *   threads  queries answered in parallel, one workspace per thread (default 1)
 * Prints one JSON object: load_seconds (rg_snapshot_load: mmap + checksum verification),
 * init_seconds (rg_sim_init: centred edge values and norms), the top-10 co-rating cosine queries'
 * wall and CPU seconds, ms per query, and the peak resident memory of the process.  Every query
 * must succeed and find at least one neighbour for a user with ratings, or the run fails. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "reelgraph/reelgraph.h"

#define K 10

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double) ts.tv_sec + 1e-9 * (double) ts.tv_nsec;
}

static double cpu_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double) ts.tv_sec + 1e-9 * (double) ts.tv_nsec;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: bench_scale_similar GRAPH.rg [queries] [threads]\n");
        return 1;
    }
    int n_q = argc > 2 ? atoi(argv[2]) : 1000;
    int threads = argc > 3 ? atoi(argv[3]) : 1;
    if (n_q < 1 || threads < 1) {
        fprintf(stderr, "bench_scale_similar: queries and threads must be >= 1\n");
        return 1;
    }
    rg_graph_t g;
    double t0 = now();
    if (rg_snapshot_load(&g, argv[1]) != RG_SUCCESS) {
        fprintf(stderr, "cannot load %s: %s\n", argv[1], rg_last_error_message());
        return 1;
    }
    double load_s = now() - t0;
    rg_sim_opts_t o;
    rg_sim_t s;
    rg_sim_opts_default(&o);
    o.n_threads = threads;
    t0 = now();
    if (rg_sim_init(&s, &g, RG_SIDE_USER, &o) != RG_SUCCESS) {
        fprintf(stderr, "sim init: %s\n", rg_last_error_message());
        return 2;
    }
    double init_s = now() - t0;
    if (n_q > s.n_side) {
        n_q = (int) s.n_side;
    }
    int failures = 0;
    int64_t found_total = 0;
    double w0 = now(), c0 = cpu_now();
#ifdef _OPENMP
#pragma omp parallel num_threads(threads) reduction(+ : failures, found_total)
#endif
    {
        rg_sim_workspace_t w;
        int32_t ids[K];
        float sims[K];
        if (rg_sim_workspace_init(&w, &s, K) != RG_SUCCESS) {
            failures++;
        } else {
#ifdef _OPENMP
#pragma omp for schedule(dynamic, 8)
#endif
            for (int q = 0; q < n_q; q++) {
                int32_t a = (int32_t) ((int64_t) q * s.n_side / n_q), n = 0;
                if (rg_sim_topk(&s, a, K, &w, ids, sims, &n) != RG_SUCCESS ||
                    (rg_graph_user_degree(&g, a) > 0 && n < 1)) {
                    failures++;
                }
                found_total += n;
            }
            rg_sim_workspace_free(&w);
        }
    }
    double wall = now() - w0, cpu = cpu_now() - c0;
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("{\"users\":%lld,\"movies\":%lld,\"ratings\":%lld,\"load_seconds\":%.6f,"
           "\"init_seconds\":%.6f,\"queries\":%d,\"k\":%d,\"threads\":%d,\"wall_seconds\":%.6f,"
           "\"cpu_seconds\":%.6f,\"ms_per_query\":%.4f,\"neighbors_found\":%lld,"
           "\"failures\":%d,\"peak_rss_mb\":%.1f}\n",
           (long long) g.n_users, (long long) g.n_movies, (long long) g.n_ratings, load_s, init_s,
           n_q, K, threads, wall, cpu, 1e3 * wall / n_q, (long long) found_total, failures,
           (double) ru.ru_maxrss / 1024.0);
    rg_sim_free(&s);
    rg_graph_free(&g);
    return failures ? 2 : 0;
}
