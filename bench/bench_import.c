/* bench_import.c: import and snapshot-load times and peak memory, on ML-100K, ML-1M (from
 * $RG_DATA_DIR) and a synthetic ml-latest-format dataset of 25M ratings (162k users, 59k movies,
 * the size of ML-25M), generated once into the work directory.
 *
 * usage: bench_import [--work DIR] [--ratings R] [--users N] [--movies M] [--skip-synth]
 *
 * Each dataset runs in its own child process so its peak resident memory (ru_maxrss of the
 * child) is its own.  Stages: read (parse), build (CSR), write (snapshot, fsync), load (mmap +
 * checksum verification, file already in the page cache), best of 3 loads.  Before timing, the
 * loaded snapshot is checked against the built graph (same block bytes and fingerprint), so a
 * fast but wrong loader cannot pass.  Targets (issue 2, 2-core machine): ML-1M import < 1 s,
 * 25M import (read + build + write) < 10 s, 25M load < 0.5 s, 25M import peak RSS < 2 GiB. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "reelgraph/reelgraph.h"

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double) t.tv_sec + 1e-9 * (double) t.tv_nsec;
}

static double cpu_now(void) {
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return (double) t.tv_sec + 1e-9 * (double) t.tv_nsec;
}

/* One dataset, in a child: prints one result line, exits 0 when every stage worked. */
static int run_one(const char *label, const char *src, const char *snap, double import_target,
                   double load_target) {
    rg_dataset_t d;
    rg_graph_t g, h;
    rg_read_opts_t o;
    rg_read_opts_default(&o);
    rg_dataset_init(&d);
    double c0 = cpu_now(), t0 = now();
    if (rg_dataset_read(&d, src, &o) != RG_SUCCESS) {
        fprintf(stderr, "%s: %s\n", label, rg_last_error_message());
        return 1;
    }
    double t1 = now(), c1 = cpu_now();
    if (rg_graph_build(&g, &d, NULL) != RG_SUCCESS) {
        fprintf(stderr, "%s: %s\n", label, rg_last_error_message());
        return 1;
    }
    rg_dataset_free(&d);
    double t2 = now(), c2 = cpu_now();
    if (rg_snapshot_write(&g, snap) != RG_SUCCESS) {
        fprintf(stderr, "%s: %s\n", label, rg_last_error_message());
        return 1;
    }
    double t3 = now(), c3 = cpu_now();
    /* correctness before timing: the snapshot is the graph */
    if (rg_snapshot_load(&h, snap) != RG_SUCCESS || h.mem_size != g.mem_size ||
        memcmp(h.mem, g.mem, g.mem_size) != 0 || h.fingerprint != g.fingerprint) {
        fprintf(stderr, "%s: snapshot does not reproduce the graph: %s\n", label,
                rg_last_error_message());
        return 1;
    }
    rg_graph_free(&h);
    int64_t users = g.n_users, movies = g.n_movies, ratings = g.n_ratings;
    rg_graph_free(&g);
    double best = 1e30;
    for (int rep = 0; rep < 3; rep++) {
        double l0 = now();
        if (rg_snapshot_load(&h, snap) != RG_SUCCESS) {
            fprintf(stderr, "%s: %s\n", label, rg_last_error_message());
            return 1;
        }
        double l1 = now();
        rg_graph_free(&h);
        best = l1 - l0 < best ? l1 - l0 : best;
    }
    double import_s = t3 - t0;
    printf("%-10s users %7lld movies %6lld ratings %9lld | read %6.3f s build %6.3f s write "
           "%6.3f s = import %6.3f s (cpu %.2f + %.2f + %.2f s) %s | load %6.3f s %s\n",
           label, (long long) users, (long long) movies, (long long) ratings, t1 - t0, t2 - t1,
           t3 - t2, import_s, c1 - c0, c2 - c1, c3 - c2,
           import_target > 0 ? (import_s < import_target ? "[target met]" : "[TARGET MISSED]")
                             : "",
           best,
           load_target > 0 ? (best < load_target ? "[target met]" : "[TARGET MISSED]") : "");
    fflush(stdout);
    return 0;
}

static int in_child(const char *label, const char *src, const char *snap, double import_target,
                    double load_target, double rss_target_gib) {
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0) {
        perror("fork");
        return 1;
    }
    if (pid == 0) {
        _exit(run_one(label, src, snap, import_target, load_target));
    }
    int status;
    struct rusage ru;
    if (wait4(pid, &status, 0, &ru) < 0) {
        perror("wait4");
        return 1;
    }
    double gib = (double) ru.ru_maxrss / (1024.0 * 1024.0);
    printf("%-10s peak RSS %.3f GiB %s\n", label, gib,
           rss_target_gib > 0 ? (gib < rss_target_gib ? "[target met]" : "[TARGET MISSED]") : "");
    unlink(snap);
    return !(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

int main(int argc, char **argv) {
    const char *work = "bench-data";
    int skip_synth = 0;
    rg_synth_opts_t so;
    rg_synth_opts_default(&so);
    so.n_users = 162000;
    so.n_movies = 59000;
    so.n_ratings = 25000000;
    so.format = RG_FORMAT_MLLATEST;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--work") && i + 1 < argc) {
            work = argv[++i];
        } else if (!strcmp(argv[i], "--ratings") && i + 1 < argc) {
            so.n_ratings = atoll(argv[++i]);
        } else if (!strcmp(argv[i], "--users") && i + 1 < argc) {
            so.n_users = atoll(argv[++i]);
        } else if (!strcmp(argv[i], "--movies") && i + 1 < argc) {
            so.n_movies = atoll(argv[++i]);
        } else if (!strcmp(argv[i], "--skip-synth")) {
            skip_synth = 1;
        } else {
            fprintf(stderr, "usage: bench_import [--work DIR] [--ratings R] [--users N] "
                            "[--movies M] [--skip-synth]\n");
            return 1;
        }
    }
    mkdir(work, 0777);
    int fails = 0;
    char snap[4096], src[4096];
    const char *data = getenv("RG_DATA_DIR");
    const struct {
        const char *label, *sub;
        double import_target;
    } real[] = {{"ml-100k", "ml-100k", 0.0}, {"ml-1m", "ml-1m", 1.0}};
    for (size_t k = 0; k < 2; k++) {
        struct stat st;
        snprintf(src, sizeof src, "%s/%s", data ? data : "", real[k].sub);
        if (!data || stat(src, &st) != 0) {
            printf("%-10s SKIP: %s not found (set RG_DATA_DIR)\n", real[k].label, src);
            continue;
        }
        snprintf(snap, sizeof snap, "%s/%s.rg", work, real[k].label);
        fails += in_child(real[k].label, src, snap, real[k].import_target, 0.0, 0.0);
    }
    if (!skip_synth) {
        snprintf(src, sizeof src, "%s/synth-%lld-%lld-%lld", work, (long long) so.n_users,
                 (long long) so.n_movies, (long long) so.n_ratings);
        char probe[4200];
        struct stat st;
        snprintf(probe, sizeof probe, "%s/ratings.csv", src);
        if (stat(probe, &st) != 0) {
            double t0 = now();
            if (rg_synth_write(src, &so, NULL) != RG_SUCCESS) {
                fprintf(stderr, "synth: %s\n", rg_last_error_message());
                return 1;
            }
            printf("generated %s in %.1f s (not timed below)\n", src, now() - t0);
        }
        snprintf(snap, sizeof snap, "%s/synth.rg", work);
        fails += in_child("synth-25m", src, snap, 10.0, 0.5, 2.0);
    }
    return fails ? 1 : 0;
}
