/* test_graph_build.c: the CSR store: build, duplicates, metadata, id mapping, filter, lookups,
 * statistics, allocation failures. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rg_test.h"

/* Every structural invariant of a built graph. */
static void check_invariants(const rg_graph_t *g) {
    assert_int_equal(g->user_ptr[0], 0);
    assert_int_equal(g->user_ptr[g->n_users], g->n_ratings);
    assert_int_equal(g->movie_ptr[0], 0);
    assert_int_equal(g->movie_ptr[g->n_movies], g->n_ratings);
    for (int64_t u = 1; u < g->n_users; u++) {
        assert_true(g->user_ext[u - 1] < g->user_ext[u]);
    }
    for (int64_t m = 1; m < g->n_movies; m++) {
        assert_true(g->movie_ext[m - 1] < g->movie_ext[m]);
    }
    for (int32_t u = 0; u < g->n_users; u++) {
        assert_true(g->user_ptr[u] <= g->user_ptr[u + 1]);
        for (int64_t e = g->user_ptr[u]; e < g->user_ptr[u + 1]; e++) {
            assert_true(g->user_adj[e] >= 0 && g->user_adj[e] < g->n_movies);
            if (e > g->user_ptr[u]) {
                assert_true(g->user_adj[e - 1] < g->user_adj[e]); /* sorted, no duplicates */
            }
            assert_int_equal(rg_graph_edge(g, u, g->user_adj[e]), e);
            assert_true(g->rating[e] >= g->rating_min && g->rating[e] <= g->rating_max);
        }
    }
    int64_t *seen = calloc((size_t) g->n_ratings + 1, sizeof *seen);
    assert_non_null(seen);
    for (int32_t m = 0; m < g->n_movies; m++) {
        for (int64_t j = g->movie_ptr[m]; j < g->movie_ptr[m + 1]; j++) {
            int64_t e = g->movie_eid[j];
            int32_t u = g->movie_adj[j];
            assert_true(e >= 0 && e < g->n_ratings);
            assert_true(e >= g->user_ptr[u] && e < g->user_ptr[u + 1]); /* edge belongs to u */
            assert_int_equal(g->user_adj[e], m);
            if (j > g->movie_ptr[m]) {
                assert_true(g->movie_adj[j - 1] < u);
            }
            seen[e]++;
        }
    }
    for (int64_t e = 0; e < g->n_ratings; e++) {
        assert_int_equal(seen[e], 1); /* each edge exactly once in the movie direction */
    }
    free(seen);
    assert_int_equal(g->movie_title_off[0], 0);
    for (int64_t m = 0; m < g->n_movies; m++) {
        const char *t = rg_graph_movie_title(g, (int32_t) m);
        assert_int_equal((int64_t) strlen(t) + 1, g->movie_title_off[m + 1] - g->movie_title_off[m]);
    }
}

static void test_small_graph_ids_and_both_directions(void **state) {
    (void) state;
    /* dataset ids deliberately unsorted and sparse */
    const int64_t users[] = {42, 7, 42, 19, 7, 19, 42};
    const int64_t movies[] = {300, 300, 12, 12, 55, 300, 55};
    const float ratings[] = {4.5f, 2.0f, 3.0f, 5.0f, 1.0f, 3.5f, 2.5f};
    rg_graph_t g;
    RGT_OK(rgt_graph_from_triples(&g, 7, users, movies, ratings, NULL));
    check_invariants(&g);
    assert_int_equal(g.n_users, 3);
    assert_int_equal(g.n_movies, 3);
    assert_int_equal(g.n_ratings, 7);
    assert_int_equal(g.user_ext[0], 7);
    assert_int_equal(g.user_ext[2], 42);
    assert_int_equal(g.movie_ext[0], 12);
    assert_int_equal(g.movie_ext[2], 300);
    assert_int_equal(rg_graph_user_index(&g, 19), 1);
    assert_int_equal(rg_graph_user_index(&g, 20), -1);
    assert_int_equal(rg_graph_movie_index(&g, 55), 1);
    assert_int_equal(rg_graph_movie_index(&g, 1), -1);
    /* user 42 rated 12 (3.0), 55 (2.5), 300 (4.5) in movie order */
    int32_t u = rg_graph_user_index(&g, 42);
    assert_int_equal(rg_graph_user_degree(&g, u), 3);
    int64_t e = rg_graph_edge(&g, u, rg_graph_movie_index(&g, 300));
    assert_true(e >= 0);
    assert_float_equal(g.rating[e], 4.5f, 0.0);
    assert_int_equal(g.ts[e], 1000000000); /* row 0 */
    assert_int_equal(rg_graph_edge(&g, rg_graph_user_index(&g, 7), rg_graph_movie_index(&g, 12)),
                     -1);
    assert_string_equal(rg_graph_movie_title(&g, rg_graph_movie_index(&g, 55)), "Movie 55");
    assert_int_equal(g.has_demographics, 0);
    rg_graph_free(&g);
    rg_graph_free(&g); /* free is idempotent on a freed graph */
}

static void test_duplicates_keep_latest(void **state) {
    (void) state;
    rg_dataset_t d;
    rg_dataset_init(&d);
    d.rating_min = 1.0f;
    d.rating_max = 5.0f;
    const rg_rating_t rows[] = {
        {1, 10, 2.0f, 500}, {1, 10, 4.0f, 900}, {1, 10, 3.0f, 700}, /* latest ts (4.0) wins */
        {2, 10, 1.0f, 100}, {2, 10, 5.0f, 100},                     /* tie: the later row wins */
        {2, 11, 3.5f, 0},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        RGT_OK(rg_dataset_add_rating(&d, &rows[i]));
    }
    rg_graph_t g;
    rg_build_stats_t st;
    RGT_OK(rg_graph_build(&g, &d, &st));
    check_invariants(&g);
    assert_int_equal(st.n_duplicates, 3);
    assert_int_equal(g.n_ratings, 3);
    int64_t e = rg_graph_edge(&g, rg_graph_user_index(&g, 1), rg_graph_movie_index(&g, 10));
    assert_float_equal(g.rating[e], 4.0f, 0.0);
    assert_int_equal(g.ts[e], 900);
    e = rg_graph_edge(&g, rg_graph_user_index(&g, 2), rg_graph_movie_index(&g, 10));
    assert_float_equal(g.rating[e], 5.0f, 0.0);
    rg_graph_free(&g);
    rg_dataset_free(&d);
}

static void test_metadata_missing_and_unrated_movies(void **state) {
    (void) state;
    rg_dataset_t d;
    rg_dataset_init(&d);
    snprintf(d.name, sizeof d.name, "meta");
    d.rating_min = 0.5f;
    d.rating_max = 5.0f;
    d.n_genres = 2;
    snprintf(d.genre_names[0], RG_NAME_MAX, "Drama");
    snprintf(d.genre_names[1], RG_NAME_MAX, "Comedy");
    RGT_OK(rg_dataset_add_movie(&d, 5, "Five, the Movie (1999)", 1999, 1u));
    RGT_OK(rg_dataset_add_movie(&d, 9, "Nine (2001)", 2001, 3u)); /* nobody rates it */
    const rg_rating_t rows[] = {{3, 5, 4.5f, 1}, {3, 7, 0.5f, 2}, {4, 7, 2.5f, 3}};
    for (size_t i = 0; i < 3; i++) {
        RGT_OK(rg_dataset_add_rating(&d, &rows[i]));
    }
    rg_user_meta_t um = {4, 25, RG_GENDER_F, -1, "02139"};
    RGT_OK(rg_dataset_add_user(&d, &um));
    rg_graph_t g;
    rg_build_stats_t st;
    RGT_OK(rg_graph_build(&g, &d, &st));
    check_invariants(&g);
    assert_int_equal(g.n_movies, 3); /* 5, 7 (no metadata), 9 (isolated) */
    assert_int_equal(st.n_movies_no_meta, 1);
    assert_int_equal(st.n_movies_unrated, 1);
    assert_string_equal(rg_graph_movie_title(&g, rg_graph_movie_index(&g, 7)), "");
    assert_string_equal(rg_graph_movie_title(&g, rg_graph_movie_index(&g, 5)),
                        "Five, the Movie (1999)");
    int32_t m9 = rg_graph_movie_index(&g, 9);
    assert_int_equal(rg_graph_movie_degree(&g, m9), 0);
    assert_int_equal(g.movie_year[m9], 2001);
    assert_int_equal(g.movie_genres[m9], 3);
    int64_t gc[RG_MAX_GENRES];
    rg_graph_genre_counts(&g, gc);
    assert_int_equal(gc[0], 2);
    assert_int_equal(gc[1], 1);
    assert_int_equal(g.has_demographics, 1);
    int32_t u4 = rg_graph_user_index(&g, 4), u3 = rg_graph_user_index(&g, 3);
    assert_int_equal(g.user_age[u4], 25);
    assert_int_equal(g.user_gender[u4], RG_GENDER_F);
    assert_string_equal(rg_graph_user_zip(&g, u4), "02139");
    assert_int_equal(g.user_age[u3], -1); /* user without a metadata row */
    assert_string_equal(rg_graph_user_zip(&g, u3), "");
    assert_string_equal(g.name, "meta");
    assert_string_equal(g.genre_names[1], "Comedy");
    rg_degree_stats_t ds;
    rg_graph_movie_degree_stats(&g, &ds);
    assert_int_equal(ds.min, 0);
    assert_int_equal(ds.max, 2);
    assert_int_equal(ds.n_zero, 1);
    RGT_NEAR(ds.median, 1.0, 0.0);
    rg_graph_free(&g);
    rg_dataset_free(&d);
}

static void test_empty_and_single_edge(void **state) {
    (void) state;
    rg_graph_t g;
    RGT_OK(rgt_graph_from_triples(&g, 0, NULL, NULL, NULL, NULL));
    assert_int_equal(g.n_users, 0);
    assert_int_equal(g.n_movies, 0);
    assert_int_equal(g.n_ratings, 0);
    assert_int_equal(rg_graph_user_index(&g, 1), -1);
    rg_degree_stats_t ds;
    rg_graph_user_degree_stats(&g, &ds);
    assert_int_equal(ds.max, 0);
    RGT_NEAR(rg_graph_mean_rating(&g), 0.0, 0.0);
    rg_graph_free(&g);

    const int64_t u[] = {-5}, m[] = {123456789012345};
    const float r[] = {3.25f};
    RGT_OK(rgt_graph_from_triples(&g, 1, u, m, r, NULL));
    check_invariants(&g);
    assert_int_equal(g.n_users, 1);
    assert_int_equal(g.user_ext[0], -5);
    assert_int_equal(g.movie_ext[0], 123456789012345);
    RGT_NEAR(rg_graph_mean_rating(&g), 3.25, 1e-9);
    rg_graph_free(&g);
}

static void test_sparse_ids_use_sorted_map(void **state) {
    (void) state;
    /* ids spread over a huge range take the sort path instead of the direct table */
    enum { N = 500 };
    int64_t users[N], movies[N];
    float ratings[N];
    for (int i = 0; i < N; i++) {
        users[i] = (int64_t) (i % 37) * 1000000000007LL - 3;
        movies[i] = (int64_t) ((i * 7) % 101) * -99999999977LL;
        ratings[i] = (float) (1 + (i * 13) % 9) * 0.5f;
    }
    rg_graph_t g;
    rg_build_stats_t st;
    RGT_OK(rgt_graph_from_triples(&g, N, users, movies, ratings, NULL));
    check_invariants(&g);
    assert_int_equal(g.n_users, 37);
    assert_int_equal(g.n_movies, 101);
    for (int i = 0; i < N; i++) {
        int32_t u = rg_graph_user_index(&g, users[i]), m = rg_graph_movie_index(&g, movies[i]);
        assert_true(u >= 0 && m >= 0);
        assert_true(rg_graph_edge(&g, u, m) >= 0);
    }
    rg_graph_free(&g);
    (void) st;
}

static void test_rating_outside_scale_is_error(void **state) {
    (void) state;
    rg_dataset_t d;
    rg_dataset_init(&d);
    d.rating_min = 1.0f;
    d.rating_max = 5.0f;
    rg_rating_t a = {1, 1, 3.0f, 0}, b = {2, 1, 6.0f, 0};
    RGT_OK(rg_dataset_add_rating(&d, &a));
    RGT_OK(rg_dataset_add_rating(&d, &b));
    rg_graph_t g;
    assert_int_equal(rg_graph_build(&g, &d, NULL), RG_ERANGE);
    assert_non_null(strstr(rg_last_error_message(), "rating 2"));
    assert_non_null(strstr(rg_last_error_message(), "outside the scale"));
    assert_null(g.mem);
    rg_graph_free(&g);
    rg_dataset_free(&d);
}

static void test_duplicate_metadata_is_error(void **state) {
    (void) state;
    rg_dataset_t d;
    rg_dataset_init(&d);
    RGT_OK(rg_dataset_add_movie(&d, 8, "A", 0, 0));
    RGT_OK(rg_dataset_add_movie(&d, 8, "B", 0, 0));
    rg_graph_t g;
    assert_int_equal(rg_graph_build(&g, &d, NULL), RG_EFORMAT);
    assert_non_null(strstr(rg_last_error_message(), "movie id 8 appears twice"));
    rg_graph_free(&g);
    rg_dataset_free(&d);
}

static void test_filter_keeps_marked_edges(void **state) {
    (void) state;
    rg_graph_t g, f;
    RGT_OK(rgt_graph_planted(&g, 40, 30, 8, 7));
    check_invariants(&g);
    uint8_t *keep = malloc((size_t) g.n_ratings);
    int64_t *old = malloc((size_t) g.n_ratings * sizeof *old);
    assert_non_null(keep);
    assert_non_null(old);
    int64_t n_keep = 0;
    for (int64_t e = 0; e < g.n_ratings; e++) {
        keep[e] = (uint8_t) ((e * 2654435761u) % 3 != 0);
        n_keep += keep[e];
    }
    RGT_OK(rg_graph_filter(&f, &g, keep, old));
    check_invariants(&f);
    assert_int_equal(f.n_ratings, n_keep);
    assert_int_equal(f.n_users, g.n_users);
    assert_int_equal(f.n_movies, g.n_movies);
    assert_true(f.fingerprint != g.fingerprint);
    for (int64_t e = 0; e < f.n_ratings; e++) {
        int64_t o = old[e];
        assert_true(keep[o]);
        assert_int_equal(f.user_adj[e], g.user_adj[o]);
        assert_float_equal(f.rating[e], g.rating[o], 0.0);
        assert_int_equal(f.ts[e], g.ts[o]);
    }
    for (int64_t m = 0; m < g.n_movies; m++) {
        assert_string_equal(rg_graph_movie_title(&f, (int32_t) m),
                            rg_graph_movie_title(&g, (int32_t) m));
        assert_int_equal(f.movie_genres[m], g.movie_genres[m]);
    }
    /* keeping everything reproduces the graph, fingerprint included */
    rg_graph_t all;
    memset(keep, 1, (size_t) g.n_ratings);
    RGT_OK(rg_graph_filter(&all, &g, keep, NULL));
    assert_true(all.fingerprint == g.fingerprint);
    assert_int_equal(all.mem_size, g.mem_size);
    assert_memory_equal(all.mem, g.mem, g.mem_size);
    rg_graph_free(&all);
    rg_graph_free(&f);
    rg_graph_free(&g);
    free(keep);
    free(old);
}

static void test_statistics(void **state) {
    (void) state;
    /* user degrees 1, 2, 4 -> median 2, mean 7/3 */
    const int64_t u[] = {1, 2, 2, 3, 3, 3, 3};
    const int64_t m[] = {1, 1, 2, 1, 2, 3, 4};
    const float r[] = {1.0f, 1.5f, 5.0f, 5.0f, 3.0f, 3.0f, 4.5f};
    rg_graph_t g;
    RGT_OK(rgt_graph_from_triples(&g, 7, u, m, r, NULL));
    rg_degree_stats_t ds;
    rg_graph_user_degree_stats(&g, &ds);
    assert_int_equal(ds.min, 1);
    assert_int_equal(ds.max, 4);
    RGT_NEAR(ds.median, 2.0, 0.0);
    RGT_NEAR(ds.mean, 7.0 / 3.0, 1e-12);
    rg_graph_movie_degree_stats(&g, &ds); /* 3, 2, 1, 1 -> median 1.5 */
    RGT_NEAR(ds.median, 1.5, 0.0);
    int64_t h[64];
    int nb = rg_graph_rating_histogram(&g, h);
    assert_int_equal(nb, 9);
    assert_int_equal(h[0], 1); /* 1.0 */
    assert_int_equal(h[1], 1); /* 1.5 */
    assert_int_equal(h[4], 2); /* 3.0 */
    assert_int_equal(h[7], 1); /* 4.5 */
    assert_int_equal(h[8], 2); /* 5.0 */
    RGT_NEAR(rg_graph_mean_rating(&g), 23.0 / 7.0, 1e-6);
    rg_graph_free(&g);
}

static void test_planted_is_deterministic(void **state) {
    (void) state;
    rg_graph_t a, b, c;
    RGT_OK(rgt_graph_planted(&a, 60, 45, 12, 11));
    RGT_OK(rgt_graph_planted(&b, 60, 45, 12, 11));
    RGT_OK(rgt_graph_planted(&c, 60, 45, 12, 12));
    check_invariants(&a);
    assert_int_equal(a.n_users, 60);
    assert_int_equal(a.n_ratings, 60 * 12);
    assert_int_equal(a.user_ext[1], 102);
    assert_true(a.fingerprint == b.fingerprint);
    assert_true(a.fingerprint != c.fingerprint);
    int64_t h[64];
    int nb = rg_graph_rating_histogram(&a, h);
    assert_int_equal(nb, 9);
    int used = 0;
    for (int i = 0; i < nb; i += 2) {
        used += h[i] > 0;
    }
    assert_true(used >= 4); /* ratings spread over the scale */
    rg_graph_free(&a);
    rg_graph_free(&b);
    rg_graph_free(&c);
}

static void test_heavy_users_sorted_and_deduplicated(void **state) {
    (void) state;
    /* three heavy users whose ratings arrive descending, ascending-with-repeats and scrambled:
     * exercises the per-user sort on reversed, paired and heavily repeated keys */
    enum { N = 3 * 700 };
    int64_t users[N], movies[N], ts[N];
    float ratings[N];
    int k = 0;
    for (int i = 0; i < 700; i++, k++) { /* descending, no repeats */
        users[k] = 1;
        movies[k] = 1000 - i;
        ratings[k] = 3.0f;
        ts[k] = i;
    }
    for (int i = 0; i < 700; i++, k++) { /* every movie rated twice in a row, later one 5 */
        users[k] = 2;
        movies[k] = 500 + i / 2;
        ratings[k] = i % 2 ? 5.0f : 1.0f;
        ts[k] = 100 + i / 2;
    }
    for (int i = 0; i < 700; i++, k++) { /* scrambled with many repeats of few movies */
        users[k] = 3;
        movies[k] = 500 + (i * 7919) % 97;
        ratings[k] = (float) (1 + i % 5);
        ts[k] = i;
    }
    rg_graph_t g;
    rg_build_stats_t st;
    rg_dataset_t d;
    rg_dataset_init(&d);
    d.rating_min = 1.0f;
    d.rating_max = 5.0f;
    for (int i = 0; i < N; i++) {
        rg_rating_t r = {users[i], movies[i], ratings[i], ts[i]};
        RGT_OK(rg_dataset_add_rating(&d, &r));
    }
    RGT_OK(rg_graph_build(&g, &d, &st));
    check_invariants(&g);
    assert_int_equal(rg_graph_user_degree(&g, rg_graph_user_index(&g, 1)), 700);
    assert_int_equal(rg_graph_user_degree(&g, rg_graph_user_index(&g, 2)), 350);
    assert_int_equal(rg_graph_user_degree(&g, rg_graph_user_index(&g, 3)), 97);
    assert_int_equal(st.n_duplicates, 350 + (700 - 97));
    int32_t u2 = rg_graph_user_index(&g, 2);
    for (int64_t e = g.user_ptr[u2]; e < g.user_ptr[u2 + 1]; e++) {
        assert_float_equal(g.rating[e], 5.0f, 0.0); /* equal ts: the later row */
    }
    /* user 3: the kept rating of each movie is its last row (largest ts) */
    int32_t u3 = rg_graph_user_index(&g, 3);
    for (int64_t e = g.user_ptr[u3]; e < g.user_ptr[u3 + 1]; e++) {
        int64_t mid = g.movie_ext[g.user_adj[e]];
        int last = -1;
        for (int i = 0; i < 700; i++) {
            if (500 + (i * 7919) % 97 == mid) {
                last = i;
            }
        }
        assert_int_equal(g.ts[e], last);
        assert_float_equal(g.rating[e], (float) (1 + last % 5), 0.0);
    }
    rg_graph_free(&g);
    rg_dataset_free(&d);
}

static void test_allocation_failures(void **state) {
    (void) state;
    rg_dataset_t d;
    rg_dataset_init(&d);
    RGT_OK(rg_dataset_add_movie(&d, 3, "T", 0, 1));
    rg_rating_t r = {1, 3, 2.0f, 5};
    RGT_OK(rg_dataset_add_rating(&d, &r));
    int failures = 0;
    for (long k = 1; k < 40; k++) {
        rg_graph_t g;
        rg_fail_alloc_after(k);
        rg_error_t rc = rg_graph_build(&g, &d, NULL);
        rg_fail_alloc_after(0);
        if (rc == RG_SUCCESS) {
            check_invariants(&g);
        } else {
            assert_int_equal(rc, RG_ENOMEM);
            assert_null(g.mem);
            failures++;
        }
        rg_graph_free(&g);
    }
    assert_true(failures >= 5);
    rg_dataset_free(&d);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_small_graph_ids_and_both_directions),
        cmocka_unit_test(test_duplicates_keep_latest),
        cmocka_unit_test(test_metadata_missing_and_unrated_movies),
        cmocka_unit_test(test_empty_and_single_edge),
        cmocka_unit_test(test_sparse_ids_use_sorted_map),
        cmocka_unit_test(test_rating_outside_scale_is_error),
        cmocka_unit_test(test_duplicate_metadata_is_error),
        cmocka_unit_test(test_filter_keeps_marked_edges),
        cmocka_unit_test(test_statistics),
        cmocka_unit_test(test_planted_is_deterministic),
        cmocka_unit_test(test_heavy_users_sorted_and_deduplicated),
        cmocka_unit_test(test_allocation_failures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
