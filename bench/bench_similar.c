/* bench_similar.c: co-rating similarity on a real graph (ML-1M targets: top-10 similar users of
 * one user < 5 ms; top-50 lists of all users < 10 s).
 *
 * usage: bench_similar GRAPH.rg|DATASET_DIR [metric] [threads]
 * Checks the two-hop top-k against the pairwise merge (rg_sim_pair) for a few users first, then
 * times single queries and the all-users / all-movies passes with 1 and `threads` threads.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_graph.h"
#include "reelgraph/reelgraph.h"

/* every listed neighbour's similarity equals the pairwise merge, and no user left out beats
 * the last one kept */
static int check(const rg_sim_t *s, rg_sim_workspace_t *w, int32_t a, int32_t k) {
    int32_t ids[64];
    float sims[64], sim;
    int32_t n, nc;
    if (rg_sim_topk(s, a, k, w, ids, sims, &n) != RG_SUCCESS) {
        return -1;
    }
    for (int32_t i = 0; i < n; i++) {
        rg_sim_pair(s, a, ids[i], &sim, &nc);
        if (sim != sims[i]) {
            fprintf(stderr, "mismatch: node %d neighbour %d: top-k %g, pair %g\n", a, ids[i],
                    (double) sims[i], (double) sim);
            return -1;
        }
    }
    for (int32_t b = 0; b < s->n_side && n == k; b++) {
        rg_sim_pair(s, a, b, &sim, &nc);
        int listed = 0;
        for (int32_t i = 0; i < n; i++) {
            listed |= ids[i] == b;
        }
        if (b != a && !listed && nc >= s->opts.min_common && sim > sims[k - 1]) {
            fprintf(stderr, "node %d: %d (%g) beats the last kept (%g)\n", a, b, (double) sim,
                    (double) sims[k - 1]);
            return -1;
        }
    }
    return 0;
}

static void run_all(const rg_graph_t *g, rg_side_t side, rg_sim_opts_t o, int k, int threads) {
    rg_sim_t s;
    o.n_threads = threads;
    if (rg_sim_init(&s, g, side, &o) != RG_SUCCESS) {
        fprintf(stderr, "init: %s\n", rg_last_error_message());
        exit(2);
    }
    size_t n = (size_t) s.n_side * (size_t) k;
    int32_t *ids = malloc(n * sizeof *ids);
    float *sims = malloc(n * sizeof *sims);
    double t0 = bench_now(), c0 = bench_cpu_now();
    if (rg_sim_topk_all(&s, k, ids, sims) != RG_SUCCESS) {
        fprintf(stderr, "topk_all: %s\n", rg_last_error_message());
        exit(2);
    }
    double wall = bench_now() - t0, cpu = bench_cpu_now() - c0;
    printf("all %-6s top-%d %-15s threads %d: wall %.3f s, cpu %.3f s\n",
           side == RG_SIDE_USER ? "users" : "movies", k, rg_sim_metric_name(o.metric), threads,
           wall, cpu);
    free(ids);
    free(sims);
    rg_sim_free(&s);
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: bench_similar GRAPH.rg|DATASET_DIR [metric] [threads]\n");
        return 1;
    }
    rg_graph_t g;
    rg_sim_opts_t o;
    rg_sim_t s;
    rg_sim_workspace_t w;
    int threads = argc > 3 ? atoi(argv[3]) : 2;
    rg_sim_opts_default(&o);
    if (argc > 2 && rg_sim_metric_parse(argv[2], &o.metric) != RG_SUCCESS) {
        fprintf(stderr, "%s\n", rg_last_error_message());
        return 1;
    }
    if (bench_load_graph(&g, argv[1])) {
        fprintf(stderr, "cannot load %s: %s\n", argv[1], rg_last_error_message());
        return 1;
    }
    printf("graph: %lld users, %lld movies, %lld ratings; metric %s\n", (long long) g.n_users,
           (long long) g.n_movies, (long long) g.n_ratings, rg_sim_metric_name(o.metric));
    if (rg_sim_init(&s, &g, RG_SIDE_USER, &o) != RG_SUCCESS ||
        rg_sim_workspace_init(&w, &s, 64) != RG_SUCCESS) {
        fprintf(stderr, "%s\n", rg_last_error_message());
        return 2;
    }
    for (int32_t a = 0; a < s.n_side; a += (int32_t) (s.n_side / 7 + 1)) {
        if (check(&s, &w, a, 10)) {
            return 2;
        }
    }
    printf("top-k checked against the pairwise merge: ok\n");
    /* single queries: 500 users spread over the id range, plus the user of largest degree */
    int32_t ids[64], n;
    float sims[64];
    double worst = 0, total = 0;
    int32_t big = 0;
    for (int32_t u = 0; u < g.n_users; u++) {
        big = rg_graph_user_degree(&g, u) > rg_graph_user_degree(&g, big) ? u : big;
    }
    int n_q = 0;
    for (int64_t q = 0; q < 500; q++) {
        int32_t a = (int32_t) (q * g.n_users / 500);
        double t0 = bench_now();
        rg_sim_topk(&s, a, 10, &w, ids, sims, &n);
        double dt = bench_now() - t0;
        total += dt;
        worst = dt > worst ? dt : worst;
        n_q++;
    }
    /* the heaviest query, warm: best of 5 */
    double big_best = 1e9;
    for (int r = 0; r < 5; r++) {
        double t0 = bench_now();
        rg_sim_topk(&s, big, 10, &w, ids, sims, &n);
        double dt = bench_now() - t0;
        big_best = dt < big_best ? dt : big_best;
    }
    printf("single user top-10 over %d users: mean %.3f ms, worst %.3f ms; largest-degree user "
           "(%lld ratings): %.3f ms (best of 5)\n", n_q, 1e3 * total / n_q, 1e3 * worst,
           (long long) rg_graph_user_degree(&g, big), 1e3 * big_best);
    rg_sim_workspace_free(&w);
    rg_sim_free(&s);
    run_all(&g, RG_SIDE_USER, o, 50, 1);
    if (threads > 1) {
        run_all(&g, RG_SIDE_USER, o, 50, threads);
    }
    run_all(&g, RG_SIDE_MOVIE, o, 50, threads);
    rg_graph_free(&g);
    return 0;
}
