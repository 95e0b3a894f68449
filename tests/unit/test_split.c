/* test_split.c: train/test splits: parsing, the partition invariants (every rating exactly once),
 * exact sizes, reproducibility, k-fold folds disjoint and covering, temporal last-K with users
 * without timestamps, file splits matched by dataset ids, and ML-100K u1.test. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rg_test.h"

/* ---- parsing ---- */

static void test_split_parse_valid_and_describe(void **state) {
    (void) state;
    rg_split_spec_t s;
    char buf[256];
    memset(&s, 0, sizeof s);
    s.seed = 7;
    RGT_OK(rg_split_parse(&s, "random:0.125"));
    assert_int_equal(s.kind, RG_SPLIT_RANDOM);
    RGT_NEAR(s.fraction, 0.125, 0);
    assert_true(s.seed == 7); /* the seed survives parsing */
    rg_split_describe(&s, buf, sizeof buf);
    assert_string_equal(buf, "random:0.125 seed 7");
    RGT_OK(rg_split_parse(&s, "temporal:3"));
    assert_int_equal(s.kind, RG_SPLIT_TEMPORAL);
    assert_int_equal(s.last_k, 3);
    RGT_OK(rg_split_parse(&s, "kfold:5:4"));
    assert_int_equal(s.kind, RG_SPLIT_KFOLD);
    assert_int_equal(s.k, 5);
    assert_int_equal(s.fold, 4);
    rg_split_describe(&s, buf, sizeof buf);
    assert_string_equal(buf, "kfold:5:4 seed 7");
    RGT_OK(rg_split_parse(&s, "file:/tmp/u1.test"));
    assert_int_equal(s.kind, RG_SPLIT_FILE);
    assert_string_equal(s.path, "/tmp/u1.test");
    RGT_OK(rg_split_parse(&s, "none"));
    assert_int_equal(s.kind, RG_SPLIT_NONE);
}

static void test_split_parse_rejects_bad_specs(void **state) {
    (void) state;
    const char *bad[] = {"random:0", "random:1", "random:x", "random:0.5x", "temporal:0",
                         "temporal:", "kfold:1:0", "kfold:5:5", "kfold:5:-1", "kfold:5",
                         "file:", "holdout:0.1", ""};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        rg_split_spec_t s;
        memset(&s, 0, sizeof s);
        assert_int_equal(rg_split_parse(&s, bad[i]), RG_EINVAL);
        assert_non_null(strstr(rg_last_error_message(), "split"));
    }
}

/* ---- random and k-fold on a generated graph ---- */

static void test_split_random_exact_size_and_reproducible(void **state) {
    (void) state;
    rg_graph_t g;
    rg_split_spec_t s;
    rg_split_report_t rep;
    RGT_OK(rgt_graph_planted(&g, 37, 53, 11, 3));
    int64_t E = g.n_ratings;
    uint8_t *a = malloc((size_t) E), *b = malloc((size_t) E), *c = malloc((size_t) E);
    memset(&s, 0, sizeof s);
    s.seed = 11;
    RGT_OK(rg_split_parse(&s, "random:0.2385"));
    RGT_OK(rg_split_apply(&g, &s, a, &rep));
    int64_t n_test = 0;
    for (int64_t e = 0; e < E; e++) {
        assert_true(a[e] == 0 || a[e] == 1);
        n_test += a[e];
    }
    assert_int_equal(n_test, (int64_t) floor((double) E * 0.2385 + 0.5));
    assert_int_equal(rep.n_test, n_test);
    assert_int_equal(rep.n_train + rep.n_test, E);
    RGT_OK(rg_split_apply(&g, &s, b, NULL));
    assert_memory_equal(a, b, (size_t) E);
    s.seed = 12;
    RGT_OK(rg_split_apply(&g, &s, c, NULL));
    assert_true(memcmp(a, c, (size_t) E) != 0);
    free(a);
    free(b);
    free(c);
    rg_graph_free(&g);
}

static void test_split_kfold_folds_disjoint_and_covering(void **state) {
    (void) state;
    rg_graph_t g;
    RGT_OK(rgt_graph_planted(&g, 29, 41, 13, 5));
    int64_t E = g.n_ratings;
    const int K = 7;
    int *hits = calloc((size_t) E, sizeof *hits);
    uint8_t *t = malloc((size_t) E);
    for (int f = 0; f < K; f++) {
        rg_split_spec_t s;
        rg_split_report_t rep;
        char text[32];
        memset(&s, 0, sizeof s);
        s.seed = 99;
        snprintf(text, sizeof text, "kfold:%d:%d", K, f);
        RGT_OK(rg_split_parse(&s, text));
        RGT_OK(rg_split_apply(&g, &s, t, &rep));
        /* balanced: floor(E/K) or ceil(E/K) */
        assert_true(rep.n_test == E / K || rep.n_test == E / K + 1);
        for (int64_t e = 0; e < E; e++) {
            hits[e] += t[e];
        }
    }
    for (int64_t e = 0; e < E; e++) {
        assert_int_equal(hits[e], 1); /* in exactly one test fold */
    }
    free(hits);
    free(t);
    rg_graph_free(&g);
}

/* ---- temporal ---- */

static void test_split_temporal_last_k_and_users_without_time(void **state) {
    (void) state;
    /* user 5: four timed ratings; user 6: no timestamps at all; user 7: one rating (kept);
     * user 8: two timed and one untimed (untimed is never test); user 9: two timed ratings
     * (only one may go: every user keeps a training rating) */
    int64_t users[] = {5, 5, 5, 5, 6, 6, 6, 7, 8, 8, 8, 9, 9};
    int64_t movies[] = {10, 11, 12, 13, 10, 11, 12, 10, 10, 11, 12, 10, 11};
    float ratings[] = {4, 3, 5, 2, 1, 2, 3, 4, 5, 4, 3, 2, 5};
    int64_t ts[] = {300, 100, 400, 200, 0, 0, 0, 500, 0, 700, 600, 900, 800};
    rg_graph_t g;
    rg_split_spec_t s;
    rg_split_report_t rep;
    RGT_OK(rgt_graph_from_triples(&g, 13, users, movies, ratings, ts));
    uint8_t t[13];
    memset(&s, 0, sizeof s);
    RGT_OK(rg_split_parse(&s, "temporal:2"));
    RGT_OK(rg_split_apply(&g, &s, t, &rep));
    assert_int_equal(rep.n_users_no_time, 1);
    for (int i = 0; i < 13; i++) {
        int32_t u = rg_graph_user_index(&g, users[i]), m = rg_graph_movie_index(&g, movies[i]);
        int64_t e = rg_graph_edge(&g, u, m);
        assert_true(e >= 0);
        int expect = (users[i] == 5 && (movies[i] == 12 || movies[i] == 10)) ||
                     (users[i] == 8 && movies[i] != 10) || (users[i] == 9 && movies[i] == 10);
        assert_int_equal(t[e], expect);
    }
    assert_int_equal(rep.n_test, 5);
    assert_int_equal(rep.n_train, 8);
    rg_graph_free(&g);
}

/* ---- file ---- */

static void write_file(const char *path, const char *text) {
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void test_split_file_matches_dataset_ids(void **state) {
    (void) state;
    int64_t users[] = {100, 100, 102, 102, 104};
    int64_t movies[] = {1000, 1003, 1000, 1006, 1003};
    float ratings[] = {4, 3, 5, 2, 1};
    rg_graph_t g;
    rg_split_spec_t s;
    rg_split_report_t rep;
    char path[512];
    RGT_OK(rgt_graph_from_triples(&g, 5, users, movies, ratings, NULL));
    rgt_tmp_path(path, sizeof path, "split_test.tsv");
    /* two listed pairs exist, one (104, 1000) does not, one is repeated */
    write_file(path, "102\t1006\t2\t881250949\n104\t1000\t3\t881250950\n100\t1003\t3\t881250951\n"
                     "102\t1006\t2\t881250949\n");
    memset(&s, 0, sizeof s);
    s.kind = RG_SPLIT_FILE;
    snprintf(s.path, sizeof s.path, "%s", path);
    uint8_t t[5];
    RGT_OK(rg_split_apply(&g, &s, t, &rep));
    assert_int_equal(rep.n_file_unmatched, 1);
    assert_int_equal(rep.n_test, 2);
    assert_true(s.file_hash != 0);
    assert_int_equal(t[rg_graph_edge(&g, rg_graph_user_index(&g, 102),
                                     rg_graph_movie_index(&g, 1006))], 1);
    assert_int_equal(t[rg_graph_edge(&g, rg_graph_user_index(&g, 100),
                                     rg_graph_movie_index(&g, 1003))], 1);
    /* reuse with the recorded hash succeeds; a changed file is refused */
    RGT_OK(rg_split_apply(&g, &s, t, NULL));
    write_file(path, "102\t1006\t2\t881250949\n");
    assert_int_equal(rg_split_apply(&g, &s, t, NULL), RG_EMISMATCH);
    assert_non_null(strstr(rg_last_error_message(), path));
    remove(path);
    rg_graph_free(&g);
}

static void test_split_apply_rejects_bad_spec(void **state) {
    (void) state;
    int64_t users[] = {1, 2};
    int64_t movies[] = {1, 1};
    float ratings[] = {3, 4};
    rg_graph_t g;
    rg_split_spec_t s;
    uint8_t t[2];
    RGT_OK(rgt_graph_from_triples(&g, 2, users, movies, ratings, NULL));
    memset(&s, 0, sizeof s);
    s.kind = RG_SPLIT_RANDOM;
    s.fraction = 1.5;
    assert_int_equal(rg_split_apply(&g, &s, t, NULL), RG_EINVAL);
    s.kind = RG_SPLIT_KFOLD;
    s.k = 3;
    s.fold = 3;
    assert_int_equal(rg_split_apply(&g, &s, t, NULL), RG_EINVAL);
    assert_non_null(strstr(rg_last_error_message(), "FOLD"));
    s.kind = RG_SPLIT_FILE;
    snprintf(s.path, sizeof s.path, "/nonexistent/dir/u1.test");
    assert_int_not_equal(rg_split_apply(&g, &s, t, NULL), RG_SUCCESS);
    rg_graph_free(&g);
}

/* ---- real data: ML-100K u1.test against the graph of u.data ---- */

static void test_split_ml100k_u1_test(void **state) {
    (void) state;
    char dir[512], test[512];
    if (!rgt_data_path(dir, sizeof dir, "ml-100k") ||
        !rgt_data_path(test, sizeof test, "ml-100k/u1.test")) {
        skip();
    }
    rg_dataset_t d;
    rg_read_opts_t o;
    rg_graph_t g;
    rg_split_spec_t s;
    rg_split_report_t rep;
    rg_dataset_init(&d);
    rg_read_opts_default(&o);
    RGT_OK(rg_dataset_read(&d, dir, &o));
    RGT_OK(rg_graph_build(&g, &d, NULL));
    rg_dataset_free(&d);
    uint8_t *t = malloc((size_t) g.n_ratings);
    memset(&s, 0, sizeof s);
    s.kind = RG_SPLIT_FILE;
    snprintf(s.path, sizeof s.path, "%s", test);
    RGT_OK(rg_split_apply(&g, &s, t, &rep));
    assert_int_equal(rep.n_test, 20000);
    assert_int_equal(rep.n_train, 80000);
    assert_int_equal(rep.n_file_unmatched, 0);
    free(t);
    rg_graph_free(&g);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_split_parse_valid_and_describe),
        cmocka_unit_test(test_split_parse_rejects_bad_specs),
        cmocka_unit_test(test_split_random_exact_size_and_reproducible),
        cmocka_unit_test(test_split_kfold_folds_disjoint_and_covering),
        cmocka_unit_test(test_split_temporal_last_k_and_users_without_time),
        cmocka_unit_test(test_split_file_matches_dataset_ids),
        cmocka_unit_test(test_split_apply_rejects_bad_spec),
        cmocka_unit_test(test_split_ml100k_u1_test),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
