/* test_seqdata.c: the per-user sequences the sequence models train on (src/models/seqdata.h):
 * time order, ties, users without usable timestamps. */
#include <string.h>

#include "models/seqdata.h"
#include "rg_test.h"

/* user 7: movies 30, 10, 20 rated at times 300, 100, 200 -> sequence 10, 20, 30;
 * user 8: no timestamps -> movie-id order, untimed;
 * user 9: two ratings in the same second -> unusable order (all equal). */
static void build(rg_graph_t *g) {
    static const int64_t users[] = {7, 7, 7, 8, 8, 8, 9, 9};
    static const int64_t movies[] = {30, 10, 20, 20, 30, 10, 10, 30};
    static const float ratings[] = {5, 1, 3, 4, 2, 3, 4, 5};
    static const int64_t ts[] = {300, 100, 200, 0, 0, 0, 500, 500};
    RGT_OK(rgt_graph_from_triples(g, 8, users, movies, ratings, ts));
}

static void test_seq_orders_by_time(void **state) {
    (void) state;
    rg_graph_t g;
    rg_i_seq_t s;
    build(&g);
    RGT_OK(rg_i_seq_build(&s, &g));
    int32_t u = rg_graph_user_index(&g, 7);
    assert_true(s.timed[u]);
    int64_t lo = s.ptr[u];
    assert_int_equal(s.ptr[u + 1] - lo, 3);
    assert_int_equal(g.movie_ext[s.movie[lo]], 10);
    assert_int_equal(g.movie_ext[s.movie[lo + 1]], 20);
    assert_int_equal(g.movie_ext[s.movie[lo + 2]], 30);
    assert_true(s.rating[lo] == 1.0f && s.rating[lo + 2] == 5.0f);
    assert_true(s.ts[lo] == 100 && s.ts[lo + 2] == 300);
    assert_int_equal(s.max_len, 3);
    rg_i_seq_free(&s);
    rg_graph_free(&g);
}

static void test_seq_untimed_users_keep_movie_order(void **state) {
    (void) state;
    rg_graph_t g;
    rg_i_seq_t s;
    build(&g);
    RGT_OK(rg_i_seq_build(&s, &g));
    int32_t u8 = rg_graph_user_index(&g, 8), u9 = rg_graph_user_index(&g, 9);
    assert_false(s.timed[u8]);
    assert_false(s.timed[u9]);
    assert_int_equal(s.n_untimed, 2);
    int64_t lo = s.ptr[u8];
    assert_int_equal(g.movie_ext[s.movie[lo]], 10);
    assert_int_equal(g.movie_ext[s.movie[lo + 1]], 20);
    assert_int_equal(g.movie_ext[s.movie[lo + 2]], 30);
    /* movie counts are per movie of the graph */
    assert_int_equal(s.movie_n[rg_graph_movie_index(&g, 10)], 3);
    assert_int_equal(s.movie_n[rg_graph_movie_index(&g, 30)], 3);
    rg_i_seq_free(&s);
    rg_graph_free(&g);
}

static void test_seq_ts_usable(void **state) {
    (void) state;
    const int64_t ok[] = {5, 3, 9}, zero[] = {5, 0, 9}, same[] = {4, 4, 4}, one[] = {4};
    assert_true(rg_i_seq_ts_usable(ok, 3));
    assert_false(rg_i_seq_ts_usable(zero, 3));
    assert_false(rg_i_seq_ts_usable(same, 3));
    assert_true(rg_i_seq_ts_usable(one, 1));
}

/* Ties in time keep the untied order and are broken the same way on every build. */
static void test_seq_ties_are_deterministic(void **state) {
    (void) state;
    static const int64_t users[] = {1, 1, 1, 1, 1};
    static const int64_t movies[] = {50, 40, 30, 20, 10};
    static const float ratings[] = {1, 2, 3, 4, 5};
    static const int64_t ts[] = {10, 20, 20, 20, 30};
    rg_graph_t g;
    rg_i_seq_t a, b;
    RGT_OK(rgt_graph_from_triples(&g, 5, users, movies, ratings, ts));
    RGT_OK(rg_i_seq_build(&a, &g));
    RGT_OK(rg_i_seq_build(&b, &g));
    assert_int_equal(g.movie_ext[a.movie[0]], 50);
    assert_int_equal(g.movie_ext[a.movie[4]], 10);
    assert_memory_equal(a.movie, b.movie, 5 * sizeof(int32_t));
    rg_i_seq_free(&a);
    rg_i_seq_free(&b);
    rg_graph_free(&g);
}

static void test_seq_build_fails_cleanly_without_memory(void **state) {
    (void) state;
    rg_graph_t g;
    rg_i_seq_t s;
    build(&g);
    rg_fail_alloc_after(1);
    assert_int_equal(rg_i_seq_build(&s, &g), RG_ENOMEM);
    rg_fail_alloc_after(0);
    assert_null(s.mem);
    rg_i_seq_free(&s); /* safe on the failed struct */
    rg_graph_free(&g);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_seq_orders_by_time),
        cmocka_unit_test(test_seq_untimed_users_keep_movie_order),
        cmocka_unit_test(test_seq_ts_usable),
        cmocka_unit_test(test_seq_ties_are_deterministic),
        cmocka_unit_test(test_seq_build_fails_cleanly_without_memory),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
