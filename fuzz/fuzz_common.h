/* fuzz_common.h: what the libFuzzer harnesses share.
 *
 * The readers take paths, so each input is written to a file in a private scratch directory
 * (created once per process under $TMPDIR, removed at exit) before the library reads it.  After
 * a successful read the harness builds the graph and walks every array a command would touch,
 * aborting when an invariant a consumer relies on does not hold; after a failure it aborts when
 * the library returned an error without a message (every refusal must say why).  Leaks are
 * caught by libFuzzer's LeakSanitizer at the end of each input.
 */
#ifndef RG_FUZZ_COMMON_H
#define RG_FUZZ_COMMON_H

#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "reelgraph/reelgraph.h"

static char rgf_dir[512];

static inline void rgf_cleanup(void) {
    DIR *d = opendir(rgf_dir);
    if (d) {
        struct dirent *e;
        char p[1024];
        while ((e = readdir(d)) != NULL) {
            if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) {
                snprintf(p, sizeof p, "%s/%s", rgf_dir, e->d_name);
                unlink(p);
            }
        }
        closedir(d);
    }
    rmdir(rgf_dir);
}

/* The scratch directory of this process. */
static inline const char *rgf_scratch(void) {
    if (!rgf_dir[0]) {
        const char *t = getenv("TMPDIR");
        snprintf(rgf_dir, sizeof rgf_dir, "%s/rg-fuzz-XXXXXX", t && t[0] ? t : "/tmp");
        if (!mkdtemp(rgf_dir)) {
            perror("mkdtemp");
            abort();
        }
        atexit(rgf_cleanup);
    }
    return rgf_dir;
}

/* Writes size bytes to <scratch>/<name>; the path goes to buf. */
static inline const char *rgf_write(char *buf, size_t bufsize, const char *name,
                                    const void *data, size_t size) {
    snprintf(buf, bufsize, "%s/%s", rgf_scratch(), name);
    int fd = open(buf, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
        perror(buf);
        abort();
    }
    const char *p = data;
    while (size > 0) {
        ssize_t w = write(fd, p, size);
        if (w <= 0) {
            perror(buf);
            abort();
        }
        p += w;
        size -= (size_t) w;
    }
    close(fd);
    return buf;
}

static inline const char *rgf_write_str(char *buf, size_t bufsize, const char *name,
                                        const char *text) {
    return rgf_write(buf, bufsize, name, text, strlen(text));
}

/* An error must carry a message (naming the file and what is wrong). */
static inline void rgf_check_error(rg_error_t rc) {
    if (rc != RG_SUCCESS && rg_last_error_message()[0] == '\0') {
        fprintf(stderr, "fuzz: error %d (%s) without a message\n", (int) rc, rg_strerror(rc));
        abort();
    }
}

#define RGF_REQUIRE(cond)                                                           \
    do {                                                                            \
        if (!(cond)) {                                                              \
            fprintf(stderr, "fuzz: invariant failed: %s (%s:%d)\n", #cond, __FILE__,  \
                    __LINE__);                                                      \
            abort();                                                                \
        }                                                                           \
    } while (0)

/* Touches every array of a store the way the commands do, checking the invariants they rely on
 * (ids in range, offsets monotone, strings terminated inside their section). */
static inline void rgf_walk_graph(const rg_graph_t *g) {
    const int64_t U = g->n_users, M = g->n_movies, E = g->n_ratings;
    RGF_REQUIRE(U >= 0 && M >= 0 && E >= 0 && U <= INT32_MAX && M <= INT32_MAX);
    RGF_REQUIRE(g->rating_min <= g->rating_max);
    RGF_REQUIRE(g->n_genres >= 0 && g->n_genres <= RG_MAX_GENRES);
    RGF_REQUIRE(g->n_occupations >= 0 && g->n_occupations <= RG_MAX_OCCUPATIONS);
    RGF_REQUIRE(memchr(g->name, '\0', RG_NAME_MAX) != NULL);
    RGF_REQUIRE(g->user_ptr[0] == 0 && g->user_ptr[U] == E);
    RGF_REQUIRE(g->movie_ptr[0] == 0 && g->movie_ptr[M] == E);
    for (int32_t u = 0; u < U; u++) {
        RGF_REQUIRE(rg_graph_user_degree(g, u) >= 0);
        for (int64_t e = g->user_ptr[u]; e < g->user_ptr[u + 1]; e++) {
            RGF_REQUIRE(g->user_adj[e] >= 0 && g->user_adj[e] < M);
            RGF_REQUIRE(g->rating[e] >= g->rating_min && g->rating[e] <= g->rating_max);
            RGF_REQUIRE(rg_graph_edge(g, u, g->user_adj[e]) >= 0);
        }
        RGF_REQUIRE(rg_graph_user_index(g, g->user_ext[u]) == u);
        size_t zl = strlen(rg_graph_user_zip(g, u));
        RGF_REQUIRE(zl < 1u << 20);
    }
    for (int32_t m = 0; m < M; m++) {
        for (int64_t j = g->movie_ptr[m]; j < g->movie_ptr[m + 1]; j++) {
            RGF_REQUIRE(g->movie_adj[j] >= 0 && g->movie_adj[j] < U);
            RGF_REQUIRE(g->movie_eid[j] >= 0 && g->movie_eid[j] < E);
            RGF_REQUIRE(g->user_adj[g->movie_eid[j]] == m);
        }
        RGF_REQUIRE(rg_graph_movie_index(g, g->movie_ext[m]) == m);
        size_t tl = strlen(rg_graph_movie_title(g, m));
        RGF_REQUIRE(tl < 1u << 30);
    }
    int64_t hist[64], genres[RG_MAX_GENRES];
    int nb = rg_graph_rating_histogram(g, hist);
    RGF_REQUIRE(nb >= 1 && nb <= 64);
    int64_t total = 0;
    for (int b = 0; b < nb; b++) {
        total += hist[b];
    }
    RGF_REQUIRE(total == E);
    rg_graph_genre_counts(g, genres);
    rg_degree_stats_t ds;
    rg_graph_user_degree_stats(g, &ds);
    rg_graph_movie_degree_stats(g, &ds);
    (void) rg_graph_mean_rating(g);
}

/* Reads a dataset (directory or file), builds the store and walks it. */
static inline void rgf_read_build(const char *src, rg_format_t format, int skip_bad) {
    rg_dataset_t d;
    rg_read_opts_t o;
    rg_dataset_init(&d);
    rg_read_opts_default(&o);
    o.format = format;
    o.skip_bad = skip_bad;
    rg_error_clear();
    rg_error_t rc = rg_dataset_read(&d, src, &o);
    rgf_check_error(rc);
    if (rc == RG_SUCCESS) {
        rg_graph_t g;
        rg_build_stats_t st;
        rg_error_clear();
        rc = rg_graph_build(&g, &d, &st);
        rgf_check_error(rc);
        if (rc == RG_SUCCESS) {
            rgf_walk_graph(&g);
        }
        rg_graph_free(&g);
    }
    rg_dataset_free(&d);
}

/* One file of a dataset directory is the fuzz input; the others are fixed small valid files.
 * Each input is read twice: strictly and with skip_bad. */
static inline void rgf_dataset_dir(rg_format_t format, const char *fuzzed_name,
                                   const uint8_t *data, size_t size,
                                   const char *const *fixed) {
    char path[1024];
    for (int i = 0; fixed[i]; i += 2) {
        rgf_write_str(path, sizeof path, fixed[i], fixed[i + 1]);
    }
    rgf_write(path, sizeof path, fuzzed_name, data, size);
    rgf_read_build(rgf_scratch(), format, 0);
    rgf_read_build(rgf_scratch(), format, 1);
}

#endif
