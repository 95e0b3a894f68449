/* test_ratings_arg.c: rg_ratings_parse_list, the "MOVIE:RATING,..." parser of
 * `reelgraph recommend --ratings`: accepted lists, each refusal and its message, and that the
 * first bad pair in text order is the one reported (the duplicate check runs after the scan). */
#include <stdlib.h>
#include <string.h>

#include "rg_test.h"

/* Movies 10, 20, 30, 40 (dataset ids), scale [1, 5]. */
static void small_graph(rg_graph_t *g) {
    const int64_t users[] = {1, 1, 2, 2};
    const int64_t movies[] = {10, 20, 30, 40};
    const float ratings[] = {1.0f, 2.0f, 4.0f, 5.0f};
    RGT_OK(rgt_graph_from_triples(g, 4, users, movies, ratings, NULL));
}

static void expect_refused(const rg_graph_t *g, const char *text, int64_t cap,
                           const char *message) {
    int32_t movies[8];
    float ratings[8];
    int64_t n = -1;
    rg_error_t rc = rg_ratings_parse_list(g, text, movies, ratings, cap, &n);
    if (rc != RG_EINVAL || strcmp(rg_last_error_message(), message) != 0) {
        print_error("'%s': got %d '%s', expected '%s'\n", text, (int) rc,
                    rg_last_error_message(), message);
    }
    assert_int_equal(rc, RG_EINVAL);
    assert_string_equal(rg_last_error_message(), message);
}

static void test_accepts(void **state) {
    (void) state;
    rg_graph_t g;
    small_graph(&g);
    int32_t movies[8];
    float ratings[8];
    int64_t n = -1;
    RGT_OK(rg_ratings_parse_list(&g, "", movies, ratings, 4, &n));
    assert_int_equal(n, 0);
    RGT_OK(rg_ratings_parse_list(&g, "30:4.5,10:1,", movies, ratings, 4, &n));
    assert_int_equal(n, 2);
    assert_int_equal(movies[0], rg_graph_movie_index(&g, 30));
    assert_int_equal(movies[1], rg_graph_movie_index(&g, 10));
    RGT_NEAR(ratings[0], 4.5, 0.0);
    RGT_NEAR(ratings[1], 1.0, 0.0);
    RGT_OK(rg_ratings_parse_list(&g, "40:5,30:4,20:3,10:2", movies, ratings, 4, &n));
    assert_int_equal(n, 4);
    rg_graph_free(&g);
}

static void test_refusals(void **state) {
    (void) state;
    rg_graph_t g;
    small_graph(&g);
    expect_refused(&g, "30", 4, "expected MOVIE:RATING at '30'");
    expect_refused(&g, "30:4,,", 4, "expected MOVIE:RATING at ','");
    expect_refused(&g, "99999999999999999999:4", 4,
                   "expected MOVIE:RATING at '99999999999999999999:4'");
    expect_refused(&g, "30:x", 4, "bad rating at 'x'");
    expect_refused(&g, "30:4;10:2", 4, "bad rating at '4;10:2'");
    expect_refused(&g, "31:4", 4, "movie 31 is not in the graph");
    expect_refused(&g, "30:6", 4, "rating 6 of movie 30 is outside the scale [1, 5]");
    expect_refused(&g, "30:nan", 4, "rating nan of movie 30 is outside the scale [1, 5]");
    expect_refused(&g, "30:4,30:3", 4, "movie 30 given twice");
    expect_refused(&g, "30:4,20:3,40:2", 2, "too many ratings");
    /* at the capacity, a repeated movie is reported as such, not as one too many */
    expect_refused(&g, "30:4,20:3,30:2", 2, "movie 30 given twice");
    rg_graph_free(&g);
}

static void test_first_bad_pair_reported(void **state) {
    (void) state;
    rg_graph_t g;
    small_graph(&g);
    /* a duplicate before a later error is the one reported, and the other way round */
    expect_refused(&g, "10:1,20:2,10:3,31:4", 8, "movie 10 given twice");
    expect_refused(&g, "10:1,31:4,10:3", 8, "movie 31 is not in the graph");
    expect_refused(&g, "40:1,20:2,20:3,40:4", 8, "movie 20 given twice");
    expect_refused(&g, "40:1,20:2,30:3,40:4,20:5", 8, "movie 40 given twice");
    expect_refused(&g, "20:2,30:3,40:4,10:1,zz", 8, "expected MOVIE:RATING at 'zz'");
    rg_graph_free(&g);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_accepts),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_first_bad_pair_reported),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
