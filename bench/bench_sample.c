/* bench_sample.c: sampled edges per second of mini-batch blocks, 2-layer fan-out (10, 5), every
 * user of a graph as a target (target: >= 5 million sampled edges per second per core).
 *
 * usage: bench_sample GRAPH.rg|DATASET_DIR [batch] [max_threads]
 * Enough epochs over all users for about 120k targets (a fresh batch index each time); block
 * workspaces are allocated inside the timed region, once per thread.  On a shared machine the
 * wall-clock rates understate the kernel; the rate per CPU-second is printed too.
 * Blocks are sampled in parallel over batches, one block workspace per thread; the per-batch
 * stream makes the result independent of the thread count, which is checked (the total number
 * of sampled edges and an order-independent hash must agree between thread counts).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "bench_graph.h"
#include "reelgraph/reelgraph.h"

static int run(const rg_graph_t *g, int64_t batch, int threads, const rg_sample_opts_t *o,
               int64_t *n_edges, uint64_t *hash) {
    const int32_t fanouts[2] = {10, 5};
    /* epochs over all users (about 120k targets in all; batch index k covers batch k mod n) */
    const int64_t reps = g->n_users < 120000 ? 120000 / g->n_users : 1;
    int64_t n_batches = (g->n_users + batch - 1) / batch, total = 0;
    uint64_t h = 0;
    int failed = 0;
    double t0 = bench_now(), c0 = bench_cpu_now();
#ifdef _OPENMP
#pragma omp parallel num_threads(threads) reduction(+ : total, h, failed)
#endif
    {
        rg_block_t b;
        int32_t *targets = malloc((size_t) batch * sizeof *targets);
        if (!targets || rg_block_init(&b, g, batch, fanouts, 2) != RG_SUCCESS) {
            failed++;
        } else {
#ifdef _OPENMP
#pragma omp for schedule(dynamic, 4)
#endif
            for (int64_t k = 0; k < reps * n_batches; k++) {
                int64_t lo = (k % n_batches) * batch, n = g->n_users - lo < batch ? g->n_users - lo : batch;
                for (int64_t i = 0; i < n; i++) {
                    targets[i] = (int32_t) (lo + i);
                }
                if (rg_block_sample(&b, g, targets, n, NULL, 0, o, 42, (uint64_t) k) !=
                    RG_SUCCESS) {
                    failed++;
                    continue;
                }
                for (int l = 1; l <= 2; l++) {
                    total += b.n_edges[l];
                    for (int64_t j = 0; j < b.n_edges[l]; j++) {
                        h += (uint64_t) b.eid[l][j] * 0x9e3779b97f4a7c15ULL + (uint64_t) k;
                    }
                }
            }
            rg_block_free(&b);
        }
        free(targets);
    }
    double wall = bench_now() - t0, cpu = bench_cpu_now() - c0;
    if (failed) {
        fprintf(stderr, "sampling failed: %s\n", rg_last_error_message());
        return -1;
    }
    printf("threads %d, batch %lld: %lld sampled edges in %.3f s wall (%.3f s cpu): "
           "%.2f M edges/s, %.2f M edges/s per core, %.2f M edges per CPU-second\n", threads,
           (long long) batch, (long long) total, wall, cpu, 1e-6 * (double) total / wall,
           1e-6 * (double) total / (wall * threads), 1e-6 * (double) total / cpu);
    *n_edges = total;
    *hash = h;
    return 0;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: bench_sample GRAPH.rg|DATASET_DIR [batch] [max_threads]\n");
        return 1;
    }
    int64_t batch = argc > 2 ? atoll(argv[2]) : 512;
    int max_threads = argc > 3 ? atoi(argv[3]) : 2;
    rg_graph_t g;
    rg_sample_opts_t o;
    if (batch < 1 || max_threads < 1 || bench_load_graph(&g, argv[1])) {
        fprintf(stderr, "cannot load %s: %s\n", argv[1], rg_last_error_message());
        return 1;
    }
    printf("graph: %lld users, %lld movies, %lld ratings; fan-out (10, 5), uniform\n",
           (long long) g.n_users, (long long) g.n_movies, (long long) g.n_ratings);
    rg_sample_opts_default(&o);
    int64_t n1 = 0, n = 0;
    uint64_t h1 = 0, h = 0;
    for (int t = 1; t <= max_threads; t++) {
        /* the first pass warms the caches; the second is reported */
        if (run(&g, batch, t, &o, &n, &h) || run(&g, batch, t, &o, &n, &h)) {
            return 2;
        }
        if (t == 1) {
            n1 = n;
            h1 = h;
        } else if (n != n1 || h != h1) {
            fprintf(stderr, "thread count changed the samples\n");
            return 2;
        }
    }
    rg_graph_free(&g);
    return 0;
}
