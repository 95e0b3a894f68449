/* test_limits.c: inputs at the edges of what reelgraph accepts, each of which must give either
 * a correct result or a clear error (code + message naming the file, line and problem):
 * ids beyond 32 bits, ids beyond 64 bits, an empty file, a header-only file, training on a graph
 * with no ratings, NUL bytes, overlong lines (and the line-length cap that bounds the reader's
 * memory), non-UTF-8 titles, and a movie with a million raters built in memory (with its memory
 * use).  docs/robustness.md lists these cases and points here. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rg_test.h"

/* ---- helpers ---- */

static char *write_bytes(char *path, size_t size, const char *name, const void *data, size_t n) {
    rgt_tmp_path(path, size, name);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, n, f), n);
    fclose(f);
    return path;
}

static rg_error_t import(const char *src, rg_format_t format, rg_graph_t *g) {
    rg_dataset_t d;
    rg_read_opts_t o;
    rg_dataset_init(&d);
    rg_read_opts_default(&o);
    o.format = format;
    memset(g, 0, sizeof *g);
    rg_error_clear();
    rg_error_t rc = rg_dataset_read(&d, src, &o);
    if (rc == RG_SUCCESS) {
        rc = rg_graph_build(g, &d, NULL);
    }
    rg_dataset_free(&d);
    return rc;
}

/* rc must be `code` and the message must contain every given fragment. */
static void expect_error(rg_error_t rc, rg_error_t code, const char *frag1, const char *frag2) {
    const char *msg = rg_last_error_message();
    if (rc != code || (frag1 && !strstr(msg, frag1)) || (frag2 && !strstr(msg, frag2))) {
        print_error("expected %s with '%s' and '%s'; got %s: %s\n", rg_strerror(code),
                    frag1 ? frag1 : "", frag2 ? frag2 : "", rg_strerror(rc), msg);
    }
    assert_int_equal(rc, code);
    if (frag1) {
        assert_non_null(strstr(msg, frag1));
    }
    if (frag2) {
        assert_non_null(strstr(msg, frag2));
    }
}

static int valid_utf8(const unsigned char *p) {
    while (*p) {
        int n = *p < 0x80 ? 0 : (*p >> 5) == 6 ? 1 : (*p >> 4) == 14 ? 2 : (*p >> 3) == 30 ? 3 : -1;
        if (n < 0) {
            return 0;
        }
        for (int k = 1; k <= n; k++) {
            if ((p[k] & 0xC0) != 0x80) {
                return 0;
            }
        }
        p += n + 1;
    }
    return 1;
}

/* ---- ids ---- */

static void test_ids_beyond_32_bits(void **state) {
    (void) state;
    char path[512], snap[512];
    const char *text = "user,movie,rating,ts\n"
                       "5000000001,4294967296000,4.5,1\n"
                       "5000000001,7,3,2\n"
                       "-9000000000000000,7,1,3\n"
                       "999999999999999999,4294967296000,2,4\n";
    rgt_write_tmp(path, sizeof path, "bigids.csv", text);
    rg_graph_t g, back;
    RGT_OK(import(path, RG_FORMAT_CSV, &g));
    assert_int_equal(g.n_users, 3);
    assert_int_equal(g.n_movies, 2);
    assert_int_equal(g.n_ratings, 4);
    /* dataset ids kept exactly, ascending; lookups both ways */
    assert_true(g.user_ext[0] == -9000000000000000LL);
    assert_true(g.user_ext[1] == 5000000001LL);
    assert_true(g.user_ext[2] == 999999999999999999LL);
    assert_true(g.movie_ext[0] == 7 && g.movie_ext[1] == 4294967296000LL);
    int32_t u = rg_graph_user_index(&g, 5000000001LL);
    int32_t m = rg_graph_movie_index(&g, 4294967296000LL);
    assert_int_equal(u, 1);
    assert_int_equal(m, 1);
    assert_int_equal(rg_graph_user_index(&g, 5000000001LL & 0xffffffffLL), -1); /* no truncation */
    int64_t e = rg_graph_edge(&g, u, m);
    assert_true(e >= 0);
    RGT_NEAR(g.rating[e], 4.5, 0.0);
    /* through a snapshot and the held-out reader too */
    rgt_tmp_path(snap, sizeof snap, "bigids.rg");
    RGT_OK(rg_snapshot_write(&g, snap));
    RGT_OK(rg_snapshot_load(&back, snap));
    assert_true(back.fingerprint == g.fingerprint);
    assert_int_equal(rg_graph_user_index(&back, 999999999999999999LL), 2);
    rg_graph_free(&back);
    rg_rating_t *r = NULL;
    int64_t n = 0;
    RGT_OK(rg_ratings_read(path, &r, &n));
    assert_int_equal(n, 4);
    assert_true(r[0].user == 5000000001LL && r[0].movie == 4294967296000LL);
    free(r);
    rg_graph_free(&g);
    unlink(path);
    unlink(snap);
}

static void test_ids_beyond_64_bits(void **state) {
    (void) state;
    char path[512];
    rg_graph_t g;
    rgt_write_tmp(path, sizeof path, "hugeids.csv", "1,2,3\n1,99999999999999999999,3\n");
    expect_error(import(path, RG_FORMAT_CSV, &g), RG_EFORMAT, "hugeids.csv:2:",
                 "movie id '99999999999999999999' is not an integer");
    rgt_write_tmp(path, sizeof path, "hugeids.csv", "1,2,3\n-99999999999999999999,2,3\n");
    expect_error(import(path, RG_FORMAT_CSV, &g), RG_EFORMAT, "hugeids.csv:2:",
                 "user id '-99999999999999999999' is not an integer");
    unlink(path);
}

/* ---- empty and header-only files ---- */

static void train_refused(const rg_graph_t *g) {
    const rg_model_ops_t *const *all = rg_model_list();
    for (int i = 0; all[i]; i++) {
        rg_model_t m;
        rg_trainer_t t;
        rg_hparams_t hp;
        rg_hparams_init(&hp);
        memset(&t, 0, sizeof t);
        RGT_OK(rg_model_init(&m, all[i], &hp, NULL, g, g));
        rg_error_clear();
        expect_error(rg_trainer_init(&t, &m, g), RG_EINVAL, all[i]->name, "no ratings");
        rg_trainer_free(&t);
        rg_model_free(&m);
    }
}

static void test_empty_and_header_only_files(void **state) {
    (void) state;
    char path[512];
    const char *texts[] = {"", "userId,movieId,rating,timestamp\n", "\r\n\n  \n"};
    for (size_t i = 0; i < 3; i++) {
        rg_graph_t g;
        rgt_write_tmp(path, sizeof path, "nothing.csv", texts[i]);
        /* a correct result: an empty graph (info shows 0 ratings) ... */
        RGT_OK(import(path, RG_FORMAT_CSV, &g));
        assert_int_equal(g.n_ratings, 0);
        assert_int_equal(g.n_users, 0);
        /* ... and training on it is refused with a clear message, for every kind */
        train_refused(&g);
        rg_graph_free(&g);
    }
    /* a MovieLens directory whose ratings file is empty: the same */
    char dir[512], file[600];
    rgt_tmp_path(dir, sizeof dir, "empty-ml1m");
    assert_int_equal(mkdir(dir, 0755) == 0 || access(dir, F_OK) == 0, 1);
    snprintf(file, sizeof file, "%s/ratings.dat", dir);
    FILE *f = fopen(file, "wb");
    assert_non_null(f);
    fclose(f);
    rg_graph_t g;
    RGT_OK(import(dir, RG_FORMAT_AUTO, &g));
    assert_int_equal(g.n_ratings, 0);
    rg_graph_free(&g);
    unlink(file);
    rmdir(dir);
    unlink(path);
}

/* ---- NUL bytes ---- */

static void test_nul_bytes(void **state) {
    (void) state;
    char path[512];
    rg_graph_t g;
    static const char ratings[] = "1,2,3\n4,\0,5\n";
    write_bytes(path, sizeof path, "nul.csv", ratings, sizeof ratings - 1);
    expect_error(import(path, RG_FORMAT_CSV, &g), RG_EFORMAT, "nul.csv:2:", "is not an integer");
    static const char ratings2[] = "1,2,3\n4,5,3\0\n";
    write_bytes(path, sizeof path, "nul.csv", ratings2, sizeof ratings2 - 1);
    expect_error(import(path, RG_FORMAT_CSV, &g), RG_EFORMAT, "nul.csv:2:", "is not a number");
    unlink(path);

    /* a NUL inside a title: the title ends there (titles are C strings) */
    char dir[512], file[600];
    rgt_tmp_path(dir, sizeof dir, "nul-ml1m");
    mkdir(dir, 0755);
    snprintf(file, sizeof file, "%s/ratings.dat", dir);
    FILE *f = fopen(file, "wb");
    assert_non_null(f);
    fputs("1::10::5::978300760\n", f);
    fclose(f);
    snprintf(file, sizeof file, "%s/movies.dat", dir);
    static const char movies[] = "10::Toy\0 Story (1995)::Comedy\n";
    f = fopen(file, "wb");
    assert_non_null(f);
    fwrite(movies, 1, sizeof movies - 1, f);
    fclose(f);
    RGT_OK(import(dir, RG_FORMAT_AUTO, &g));
    assert_string_equal(rg_graph_movie_title(&g, 0), "Toy");
    rg_graph_free(&g);
    unlink(file);
    snprintf(file, sizeof file, "%s/ratings.dat", dir);
    unlink(file);
    rmdir(dir);
}

/* ---- overlong lines ---- */

static void test_overlong_lines(void **state) {
    (void) state;
    char path[512];
    rg_graph_t g;
    /* 5 MiB of digits in one field: longer than the 4 MiB read block, under the cap: the reader
     * grows its buffer and reports the bad field with its line number */
    size_t n = (size_t) 5 << 20;
    char *buf = malloc(n + 64);
    assert_non_null(buf);
    size_t k = (size_t) sprintf(buf, "1,2,3\n1,");
    memset(buf + k, '7', n);
    k += n;
    k += (size_t) sprintf(buf + k, ",4\n");
    write_bytes(path, sizeof path, "long.csv", buf, k);
    expect_error(import(path, RG_FORMAT_CSV, &g), RG_EFORMAT, "long.csv:2:",
                 "movie id '7777777777");
    /* the message quotes at most 40 bytes of the field */
    assert_true(strlen(rg_last_error_message()) < 300);
    free(buf);

    /* more than the 16 MiB cap without a line end: refused, whatever the content */
    n = (size_t) 17 << 20;
    buf = malloc(n);
    assert_non_null(buf);
    memset(buf, 'x', n);
    write_bytes(path, sizeof path, "long.csv", buf, n);
    expect_error(import(path, RG_FORMAT_CSV, &g), RG_EFORMAT, "long.csv:1:", "longer than 16 MiB");
    rg_rating_t *r = NULL;
    int64_t nr = 0;
    expect_error(rg_ratings_read(path, &r, &nr), RG_EFORMAT, "long.csv:1:", "longer than");
    free(buf);
    unlink(path);
}

/* ---- titles that are not UTF-8 ---- */

static void test_non_utf8_titles(void **state) {
    (void) state;
    char dir[512], file[600];
    rg_graph_t g;
    rgt_tmp_path(dir, sizeof dir, "latin1-ml1m");
    mkdir(dir, 0755);
    snprintf(file, sizeof file, "%s/ratings.dat", dir);
    FILE *f = fopen(file, "wb");
    assert_non_null(f);
    fputs("1::10::5::1\n1::20::4::2\n1::30::3::3\n1::40::2::4\n", f);
    fclose(f);
    snprintf(file, sizeof file, "%s/movies.dat", dir);
    f = fopen(file, "wb");
    assert_non_null(f);
    /* latin-1 e-acute; bytes that are neither UTF-8 nor printable latin-1; a UTF-8 sequence cut
     * short; valid UTF-8 (kept as is) */
    fputs("10::Cit\xe9 des enfants perdus, La (1995)::Drama\n", f);
    fputs("20::\xff\xfe\x80\x81 (1999)::Drama\n", f);
    fputs("30::Caf\xc3 (2001)::Drama\n", f);
    fputs("40::Am\xc3\xa9lie (2001)::Drama\n", f);
    fclose(f);
    RGT_OK(import(dir, RG_FORMAT_AUTO, &g));
    assert_int_equal(g.n_movies, 4);
    for (int32_t m = 0; m < 4; m++) {
        assert_true(valid_utf8((const unsigned char *) rg_graph_movie_title(&g, m)));
    }
    assert_string_equal(rg_graph_movie_title(&g, 0), "Cit\xc3\xa9 des enfants perdus, La (1995)");
    assert_string_equal(rg_graph_movie_title(&g, 1), "\xc3\xbf\xc3\xbe\xc2\x80\xc2\x81 (1999)");
    assert_string_equal(rg_graph_movie_title(&g, 2), "Caf\xc3\x83 (2001)");
    assert_string_equal(rg_graph_movie_title(&g, 3), "Am\xc3\xa9lie (2001)");
    assert_int_equal(g.movie_year[1], 1999);
    rg_graph_free(&g);
    unlink(file);
    snprintf(file, sizeof file, "%s/ratings.dat", dir);
    unlink(file);
    rmdir(dir);
}

/* ---- a movie with a million raters ---- */

static long peak_rss_kb(void) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

static void test_million_raters(void **state) {
    (void) state;
    enum { N = 1000000 };
    rg_dataset_t d;
    rg_graph_t g, back;
    char snap[512];
    long rss0 = peak_rss_kb();
    rg_dataset_init(&d);
    d.rating_min = 0.5f;
    d.rating_max = 5.0f;
    RGT_OK(rg_dataset_add_movie(&d, 42, "Everyone's Favourite (2000)", 2000, 0));
    double sum = 0.0;
    for (int64_t u = 0; u < N; u++) {
        rg_rating_t r = {1000 + 3 * u, 42, 0.5f * (float) (1 + u % 10), 900000000 + u};
        sum += r.rating;
        RGT_OK(rg_dataset_add_rating(&d, &r));
    }
    /* a few other movies so the popularity ranking has something to beat */
    for (int64_t u = 0; u < 50; u++) {
        rg_rating_t r = {1000 + 3 * u, 7 + u % 3, 4.0f, 1};
        RGT_OK(rg_dataset_add_rating(&d, &r));
    }
    RGT_OK(rg_graph_build(&g, &d, NULL));
    rg_dataset_free(&d);
    assert_int_equal(g.n_users, N);
    assert_int_equal(g.n_movies, 4);
    int32_t m = rg_graph_movie_index(&g, 42);
    assert_int_equal(rg_graph_movie_degree(&g, m), N);
    /* raters listed once each, ascending, each edge pointing back at the movie */
    for (int64_t j = g.movie_ptr[m]; j < g.movie_ptr[m + 1]; j++) {
        if (j > g.movie_ptr[m]) {
            assert_true(g.movie_adj[j - 1] < g.movie_adj[j]);
        }
        assert_int_equal(g.user_adj[g.movie_eid[j]], m);
    }
    rg_degree_stats_t ds;
    rg_graph_movie_degree_stats(&g, &ds);
    assert_int_equal(ds.max, N);
    RGT_NEAR(rg_graph_mean_rating(&g), (sum + 50 * 4.0) / (N + 50), 1e-6);
    int32_t top[2], n_out = 0;
    float score[2];
    RGT_OK(rg_recommend_popular(&g, 0, NULL, 2, top, score, &n_out));
    assert_int_equal(n_out, 2);
    assert_int_equal(top[0], m);
    RGT_NEAR(score[0], N, 0.0);
    rgt_tmp_path(snap, sizeof snap, "million.rg");
    RGT_OK(rg_snapshot_write(&g, snap));
    RGT_OK(rg_snapshot_load(&back, snap));
    assert_int_equal(rg_graph_movie_degree(&back, m), N);
    rg_graph_free(&back);
    unlink(snap);
    rg_graph_free(&g);
    /* memory: the dataset (32 B per rating, grown by doubling) plus the store (about 44 B per
     * rating plus 60 B per user) and the builder's temporaries; 1M ratings stay well under
     * 400 MB of peak RSS in a plain build (sanitizer builds add shadow memory: not checked) */
    long grew_mb = (peak_rss_kb() - rss0) / 1024;
    printf("million raters: peak RSS grew by %ld MB\n", grew_mb);
#if !defined(__SANITIZE_ADDRESS__)
    assert_true(grew_mb < 400);
#endif
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ids_beyond_32_bits),
        cmocka_unit_test(test_ids_beyond_64_bits),
        cmocka_unit_test(test_empty_and_header_only_files),
        cmocka_unit_test(test_nul_bytes),
        cmocka_unit_test(test_overlong_lines),
        cmocka_unit_test(test_non_utf8_titles),
        cmocka_unit_test(test_million_raters),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
