/* rg_test.c: see rg_test.h. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rg_test.h"

char *rgt_tmp_path(char *buf, size_t size, const char *name) {
    const char *tmp = getenv("RG_TEST_TMP");
    if (!tmp || !*tmp) {
        tmp = "/tmp";
    }
    mkdir(tmp, 0777);
    snprintf(buf, size, "%s/%ld-%s", tmp, (long) getpid(), name);
    return buf;
}

char *rgt_fixture_path(char *buf, size_t size, const char *name) {
    /* generated at configure time by tests/data/make_fixtures.py (see CMakeLists.txt) */
    snprintf(buf, size, "%s/%s", RG_FIXTURE_DIR, name);
    return buf;
}

char *rgt_write_tmp(char *buf, size_t size, const char *name, const char *text) {
    rgt_tmp_path(buf, size, name);
    FILE *f = fopen(buf, "wb");
    if (f) {
        fputs(text, f);
        fclose(f);
    }
    return buf;
}

const char *rgt_data_path(char *buf, size_t size, const char *sub) {
    const char *dir = getenv("RG_DATA_DIR");
    struct stat st;
    if (!dir || !*dir) {
        printf("SKIP: RG_DATA_DIR is not set; real-data test not run\n");
        return NULL;
    }
    snprintf(buf, size, "%s/%s", dir, sub);
    if (stat(buf, &st) != 0) {
        printf("SKIP: %s not found; real-data test not run\n", buf);
        return NULL;
    }
    return buf;
}

/* ---- small generated graphs ---- */

static const char *const rgt_genres[] = {"Action", "Comedy", "Drama", "Romance", "Sci-Fi",
                                         "Thriller"};
enum { RGT_N_GENRES = 6 };

static void rgt_set_genres(rg_dataset_t *d) {
    d->n_genres = RGT_N_GENRES;
    for (int k = 0; k < RGT_N_GENRES; k++) {
        snprintf(d->genre_names[k], RG_NAME_MAX, "%s", rgt_genres[k]);
    }
}

static int rgt_cmp_i64(const void *a, const void *b) {
    int64_t x = *(const int64_t *) a, y = *(const int64_t *) b;
    return (x > y) - (x < y);
}

rg_error_t rgt_graph_from_triples(rg_graph_t *g, int64_t n, const int64_t *users,
                                  const int64_t *movies, const float *ratings, const int64_t *ts) {
    rg_dataset_t d;
    rg_error_t rc = RG_SUCCESS;
    int64_t *ids = NULL;
    rg_dataset_init(&d);
    snprintf(d.name, sizeof d.name, "test");
    rgt_set_genres(&d);
    d.rating_min = 1.0f;
    d.rating_max = 5.0f;
    for (int64_t i = 0; i < n; i++) {
        rg_rating_t r = {users[i], movies[i], ratings[i], ts ? ts[i] : 1000000000 + i};
        d.rating_min = r.rating < d.rating_min ? r.rating : d.rating_min;
        d.rating_max = r.rating > d.rating_max ? r.rating : d.rating_max;
        if ((rc = rg_dataset_add_rating(&d, &r)) != RG_SUCCESS) {
            goto cleanup;
        }
    }
    ids = malloc((size_t) (n ? n : 1) * sizeof *ids);
    if (!ids) {
        rc = rg_error(RG_ENOMEM, __FILE__, __LINE__, "rgt_graph_from_triples: no memory");
        goto cleanup;
    }
    if (n > 0) {
        memcpy(ids, movies, (size_t) n * sizeof *ids);
    }
    qsort(ids, (size_t) n, sizeof *ids, rgt_cmp_i64);
    for (int64_t i = 0; i < n; i++) {
        if (i > 0 && ids[i] == ids[i - 1]) {
            continue;
        }
        int64_t id = ids[i], k = id < 0 ? -id : id;
        char title[64];
        snprintf(title, sizeof title, "Movie %lld", (long long) id);
        uint32_t genres = (1u << (k % 6)) | (1u << ((k / 6 + 1) % 6));
        if ((rc = rg_dataset_add_movie(&d, id, title, (int32_t) (1990 + k % 30), genres)) !=
            RG_SUCCESS) {
            goto cleanup;
        }
    }
    rc = rg_graph_build(g, &d, NULL);
cleanup:
    free(ids);
    rg_dataset_free(&d);
    return rc;
}

rg_error_t rgt_graph_planted(rg_graph_t *g, int n_users, int n_movies, int per_user,
                             uint64_t seed) {
    enum { K = 3 };
    rg_dataset_t d;
    rg_rng_t r;
    rg_error_t rc = RG_SUCCESS;
    double *bu = NULL, *bm = NULL, *p = NULL, *q = NULL, *taste = NULL, *pop = NULL;
    uint32_t *genres = NULL;
    uint8_t *seen = NULL;
    int32_t *picked = NULL;
    rg_dataset_init(&d);
    rg_rng_init(&r, seed);
    snprintf(d.name, sizeof d.name, "planted");
    rgt_set_genres(&d);
    d.rating_min = 1.0f;
    d.rating_max = 5.0f;
    d.n_occupations = 3;
    snprintf(d.occupation_names[0], RG_NAME_MAX, "student");
    snprintf(d.occupation_names[1], RG_NAME_MAX, "engineer");
    snprintf(d.occupation_names[2], RG_NAME_MAX, "artist");
    int U = n_users > 0 ? n_users : 0, M = n_movies > 0 ? n_movies : 0;
    int per = per_user < M ? per_user : M;
    bu = malloc((size_t) (U + 1) * sizeof *bu);
    bm = malloc((size_t) (M + 1) * sizeof *bm);
    p = malloc((size_t) (U + 1) * K * sizeof *p);
    q = malloc((size_t) (M + 1) * K * sizeof *q);
    taste = malloc((size_t) (U + 1) * RGT_N_GENRES * sizeof *taste);
    pop = malloc((size_t) (M + 1) * sizeof *pop);
    genres = malloc((size_t) (M + 1) * sizeof *genres);
    seen = calloc((size_t) (M + 1), 1);
    picked = malloc((size_t) (per + 1) * sizeof *picked);
    if (!bu || !bm || !p || !q || !taste || !pop || !genres || !seen || !picked) {
        rc = rg_error(RG_ENOMEM, __FILE__, __LINE__, "rgt_graph_planted: no memory");
        goto cleanup;
    }
    /* movies: genres, bias, factors; popularity ~ 1/(rank+5) for a skewed degree distribution */
    double pop_sum = 0.0;
    for (int m = 0; m < M; m++) {
        uint32_t gbits = 1u << rg_rng_below(&r, RGT_N_GENRES);
        if (rg_rng_uniform(&r) < 0.5) {
            gbits |= 1u << rg_rng_below(&r, RGT_N_GENRES);
        }
        genres[m] = gbits;
        bm[m] = 0.4 * rg_rng_normal(&r);
        for (int k = 0; k < K; k++) {
            q[m * K + k] = 0.7 * rg_rng_normal(&r);
        }
        pop_sum += 1.0 / (m + 5.0);
        pop[m] = pop_sum;
        char title[64];
        int year = 1950 + (int) rg_rng_below(&r, 70);
        snprintf(title, sizeof title, "Planted Movie %d (%d)", m, year);
        if ((rc = rg_dataset_add_movie(&d, 1000 + 3 * (int64_t) m, title, year, gbits)) !=
            RG_SUCCESS) {
            goto cleanup;
        }
    }
    for (int u = 0; u < U; u++) {
        bu[u] = 0.3 * rg_rng_normal(&r);
        for (int k = 0; k < K; k++) {
            p[u * K + k] = 0.7 * rg_rng_normal(&r);
        }
        for (int k = 0; k < RGT_N_GENRES; k++) {
            taste[u * RGT_N_GENRES + k] = 0.6 * rg_rng_normal(&r);
        }
        rg_user_meta_t um;
        memset(&um, 0, sizeof um);
        um.id = 100 + 2 * (int64_t) u;
        um.age = 18 + (int32_t) rg_rng_below(&r, 50);
        um.gender = rg_rng_uniform(&r) < 0.5 ? RG_GENDER_M : RG_GENDER_F;
        um.occupation = (int32_t) rg_rng_below(&r, 3);
        snprintf(um.zip, sizeof um.zip, "%05u", (unsigned) rg_rng_below(&r, 100000));
        if ((rc = rg_dataset_add_user(&d, &um)) != RG_SUCCESS) {
            goto cleanup;
        }
    }
    /* ratings: each user draws distinct movies by popularity (rejection on repeats) */
    for (int u = 0; u < U; u++) {
        int n_picked = 0;
        int64_t t = 1000000000 + (int64_t) rg_rng_below(&r, 100000000);
        while (n_picked < per) {
            int m;
            if (n_picked < per / 2 + 1 && M > 0) {
                double x = rg_rng_uniform(&r) * pop_sum;
                int lo = 0, hi = M - 1;
                while (lo < hi) {
                    int mid = (lo + hi) / 2;
                    if (pop[mid] < x) {
                        lo = mid + 1;
                    } else {
                        hi = mid;
                    }
                }
                m = lo;
            } else {
                m = (int) rg_rng_below(&r, (uint64_t) M);
            }
            if (seen[m]) {
                continue;
            }
            seen[m] = 1;
            picked[n_picked++] = m;
            double s = 3.5 + bu[u] + bm[m];
            for (int k = 0; k < K; k++) {
                s += p[u * K + k] * q[m * K + k];
            }
            double gs = 0.0;
            int ng = 0;
            for (int k = 0; k < RGT_N_GENRES; k++) {
                if (genres[m] >> k & 1u) {
                    gs += taste[u * RGT_N_GENRES + k];
                    ng++;
                }
            }
            s += ng ? gs / ng : 0.0;
            s += 0.25 * rg_rng_normal(&r);
            double v = floor(s + 0.5);
            v = v < 1.0 ? 1.0 : (v > 5.0 ? 5.0 : v);
            t += 60 + (int64_t) rg_rng_below(&r, 86400);
            rg_rating_t rt = {100 + 2 * (int64_t) u, 1000 + 3 * (int64_t) m, (float) v, t};
            if ((rc = rg_dataset_add_rating(&d, &rt)) != RG_SUCCESS) {
                goto cleanup;
            }
        }
        for (int i = 0; i < n_picked; i++) {
            seen[picked[i]] = 0;
        }
    }
    rc = rg_graph_build(g, &d, NULL);
cleanup:
    free(bu);
    free(bm);
    free(p);
    free(q);
    free(taste);
    free(pop);
    free(genres);
    free(seen);
    free(picked);
    rg_dataset_free(&d);
    return rc;
}
