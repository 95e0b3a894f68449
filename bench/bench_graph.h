/* bench_graph.h: what the graph benchmarks (bench_sample, bench_similar) share: wall-clock and
 * CPU time, and loading their GRAPH.rg|DATASET_DIR argument.  Header-only: every bench .c file
 * is its own executable. */
#ifndef RG_BENCH_GRAPH_H
#define RG_BENCH_GRAPH_H

#include <sys/stat.h>
#include <time.h>

#include "reelgraph/reelgraph.h"

/* Monotonic wall-clock seconds. */
static inline double bench_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double) ts.tv_sec + 1e-9 * (double) ts.tv_nsec;
}

/* Process CPU seconds (all threads). */
static inline double bench_cpu_now(void) { return (double) clock() / CLOCKS_PER_SEC; }

/* A graph snapshot when path is a regular file, otherwise a dataset directory read with the
 * default options and built.  0, or -1 (rg_last_error_message() says why). */
static inline int bench_load_graph(rg_graph_t *g, const char *path) {
    struct stat st;
    if (stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
        return rg_snapshot_load(g, path) == RG_SUCCESS ? 0 : -1;
    }
    rg_dataset_t d;
    rg_read_opts_t o;
    rg_dataset_init(&d);
    rg_read_opts_default(&o);
    rg_error_t rc = rg_dataset_read(&d, path, &o);
    if (rc == RG_SUCCESS) {
        rc = rg_graph_build(g, &d, NULL);
    }
    rg_dataset_free(&d);
    return rc == RG_SUCCESS ? 0 : -1;
}

#endif
