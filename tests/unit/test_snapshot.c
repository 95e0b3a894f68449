/* test_snapshot.c: the .rg snapshot: round trip through mmap, atomic replace, and refusal of
 * truncated, corrupted, wrong-version and foreign files with a clear message. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rg_test.h"

static long file_size(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 ? (long) st.st_size : -1;
}

static unsigned char *read_all(const char *path, long *n) {
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    *n = file_size(path);
    unsigned char *b = malloc((size_t) *n + 1);
    assert_non_null(b);
    assert_int_equal(fread(b, 1, (size_t) *n, f), (size_t) *n);
    fclose(f);
    return b;
}

static void write_all(const char *path, const unsigned char *b, long n) {
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(b, 1, (size_t) n, f), (size_t) n);
    fclose(f);
}

/* Loads path and asserts it is refused with RG_EFORMAT and a message containing want. */
static void expect_refused(const char *path, const char *want) {
    rg_graph_t g;
    rg_error_t rc = rg_snapshot_load(&g, path);
    if (rc != RG_EFORMAT || !strstr(rg_last_error_message(), want)) {
        print_error("expected refusal containing '%s', got %d: %s\n", want, rc,
                    rg_last_error_message());
    }
    assert_int_equal(rc, RG_EFORMAT);
    assert_non_null(strstr(rg_last_error_message(), want));
    assert_non_null(strstr(rg_last_error_message(), path));
    assert_null(g.mem);
    rg_graph_free(&g);
}

static void test_round_trip_is_identical(void **state) {
    (void) state;
    char path[512], path2[512];
    rgt_tmp_path(path, sizeof path, "rt.rg");
    rgt_tmp_path(path2, sizeof path2, "rt2.rg");
    rg_graph_t g, h;
    RGT_OK(rgt_graph_planted(&g, 37, 23, 9, 5));
    RGT_OK(rg_snapshot_write(&g, path));
    RGT_OK(rg_snapshot_load(&h, path));
    assert_int_equal(h.mem_mapped, 1);
    assert_int_equal(h.n_users, g.n_users);
    assert_int_equal(h.n_movies, g.n_movies);
    assert_int_equal(h.n_ratings, g.n_ratings);
    assert_true(h.fingerprint == g.fingerprint);
    assert_int_equal(h.mem_size, g.mem_size);
    assert_memory_equal(h.mem, g.mem, g.mem_size);
    assert_string_equal(h.name, g.name);
    assert_int_equal(h.n_genres, g.n_genres);
    assert_string_equal(h.genre_names[4], g.genre_names[4]);
    assert_int_equal(h.n_occupations, g.n_occupations);
    assert_string_equal(h.occupation_names[2], g.occupation_names[2]);
    assert_int_equal(h.has_demographics, g.has_demographics);
    assert_float_equal(h.rating_min, g.rating_min, 0.0);
    assert_float_equal(h.rating_max, g.rating_max, 0.0);
    for (int32_t m = 0; m < h.n_movies; m++) {
        assert_string_equal(rg_graph_movie_title(&h, m), rg_graph_movie_title(&g, m));
    }
    /* a mapped graph works like a built one: query, filter, write again byte-identical */
    assert_int_equal(rg_graph_user_index(&h, g.user_ext[3]), 3);
    uint8_t *keep = malloc((size_t) h.n_ratings);
    assert_non_null(keep);
    memset(keep, 1, (size_t) h.n_ratings);
    rg_graph_t f;
    RGT_OK(rg_graph_filter(&f, &h, keep, NULL));
    assert_true(f.fingerprint == g.fingerprint);
    rg_graph_free(&f);
    free(keep);
    RGT_OK(rg_snapshot_write(&h, path2));
    long n1, n2;
    unsigned char *a = read_all(path, &n1), *b = read_all(path2, &n2);
    assert_int_equal(n1, n2);
    assert_memory_equal(a, b, (size_t) n1);
    free(a);
    free(b);
    rg_graph_free(&h);
    rg_graph_free(&g);
    unlink(path);
    unlink(path2);
}

static void test_overwrite_is_atomic_replace(void **state) {
    (void) state;
    char path[512];
    rgt_tmp_path(path, sizeof path, "ow.rg");
    rg_graph_t a, b, h;
    RGT_OK(rgt_graph_planted(&a, 20, 10, 4, 1));
    RGT_OK(rgt_graph_planted(&b, 30, 15, 6, 2));
    RGT_OK(rg_snapshot_write(&a, path));
    RGT_OK(rg_snapshot_load(&h, path)); /* keep the old mapping open while replacing */
    RGT_OK(rg_snapshot_write(&b, path));
    assert_true(h.fingerprint == a.fingerprint);
    assert_int_equal(h.n_users, 20); /* the old mapping still reads the old file */
    rg_graph_free(&h);
    RGT_OK(rg_snapshot_load(&h, path));
    assert_true(h.fingerprint == b.fingerprint);
    rg_graph_free(&h);
    rg_graph_free(&a);
    rg_graph_free(&b);
    unlink(path);
}

static void test_write_errors(void **state) {
    (void) state;
    rg_graph_t g, empty;
    memset(&empty, 0, sizeof empty);
    RGT_OK(rgt_graph_planted(&g, 5, 5, 2, 3));
    assert_int_equal(rg_snapshot_write(&g, "/nonexistent-dir/x.rg"), RG_EIO);
    assert_non_null(strstr(rg_last_error_message(), "/nonexistent-dir/x.rg"));
    assert_int_equal(rg_snapshot_write(&empty, "/tmp/never.rg"), RG_EINVAL);
    rg_graph_free(&g);
}

static void test_refuses_bad_files(void **state) {
    (void) state;
    char path[512], bad[512];
    rgt_tmp_path(path, sizeof path, "good.rg");
    rgt_tmp_path(bad, sizeof bad, "bad.rg");
    rg_graph_t g;
    RGT_OK(rgt_graph_planted(&g, 25, 18, 7, 9));
    RGT_OK(rg_snapshot_write(&g, path));
    rg_graph_free(&g);
    long n;
    unsigned char *b = read_all(path, &n);
    unsigned char *c = malloc((size_t) n);
    assert_non_null(c);

    /* missing file */
    char missing[512];
    rgt_tmp_path(missing, sizeof missing, "missing.rg");
    assert_int_equal(rg_snapshot_load(&g, missing), RG_EIO);
    assert_non_null(strstr(rg_last_error_message(), "cannot open"));

    /* truncated: at the end, in the middle of the data, inside the header, almost empty */
    write_all(bad, b, n - 1);
    expect_refused(bad, "truncated");
    write_all(bad, b, n / 2 + 1000);
    expect_refused(bad, "truncated");
    write_all(bad, b, 100);
    expect_refused(bad, "truncated");
    write_all(bad, b, 3);
    expect_refused(bad, "not a reelgraph snapshot");

    /* one flipped byte in the data, in the header, in the padding before the data */
    memcpy(c, b, (size_t) n);
    c[n - 13] ^= 0x40;
    write_all(bad, c, n);
    expect_refused(bad, "data checksum");
    memcpy(c, b, (size_t) n);
    c[200] ^= 0x01; /* inside the genre names */
    write_all(bad, c, n);
    expect_refused(bad, "header checksum");

    /* wrong version (bytes 8..11) and wrong magic */
    memcpy(c, b, (size_t) n);
    c[8] = 99;
    write_all(bad, c, n);
    expect_refused(bad, "version 99");
    memcpy(c, b, (size_t) n);
    c[0] = 'X';
    write_all(bad, c, n);
    expect_refused(bad, "bad magic");

    /* trailing garbage */
    unsigned char *d = malloc((size_t) n + 10);
    assert_non_null(d);
    memcpy(d, b, (size_t) n);
    memset(d + n, 0, 10);
    write_all(bad, d, n + 10);
    expect_refused(bad, "corrupted");
    free(d);

    /* the good file still loads */
    RGT_OK(rg_snapshot_load(&g, path));
    rg_graph_free(&g);
    free(b);
    free(c);
    unlink(path);
    unlink(bad);
}

static void test_empty_graph_round_trip(void **state) {
    (void) state;
    char path[512];
    rgt_tmp_path(path, sizeof path, "empty.rg");
    rg_graph_t g, h;
    RGT_OK(rgt_graph_from_triples(&g, 0, NULL, NULL, NULL, NULL));
    RGT_OK(rg_snapshot_write(&g, path));
    RGT_OK(rg_snapshot_load(&h, path));
    assert_int_equal(h.n_ratings, 0);
    assert_true(h.fingerprint == g.fingerprint);
    rg_graph_free(&h);
    rg_graph_free(&g);
    unlink(path);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip_is_identical),
        cmocka_unit_test(test_overwrite_is_atomic_replace),
        cmocka_unit_test(test_write_errors),
        cmocka_unit_test(test_refuses_bad_files),
        cmocka_unit_test(test_empty_graph_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
