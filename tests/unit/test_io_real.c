/* test_io_real.c: integration on the real MovieLens releases in $RG_DATA_DIR (skipped, visibly,
 * when absent): exact sizes and histograms, the canonical test file, and an identical snapshot
 * round trip. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rg_test.h"

/* Imports a release, writes and reloads its snapshot and checks the two are identical. */
static void import_round_trip(const char *dir, rg_graph_t *g, rg_build_stats_t *st) {
    rg_dataset_t d;
    rg_dataset_init(&d);
    RGT_OK(rg_dataset_read(&d, dir, NULL));
    assert_int_equal(d.n_skipped_lines, 0);
    RGT_OK(rg_graph_build(g, &d, st));
    rg_dataset_free(&d);
    char path[1024];
    rgt_tmp_path(path, sizeof path, "real.rg");
    RGT_OK(rg_snapshot_write(g, path));
    rg_graph_t h;
    RGT_OK(rg_snapshot_load(&h, path));
    assert_int_equal(h.mem_mapped, 1);
    assert_true(h.fingerprint == g->fingerprint);
    assert_int_equal(h.mem_size, g->mem_size);
    assert_memory_equal(h.mem, g->mem, g->mem_size);
    assert_string_equal(h.name, g->name);
    assert_int_equal(h.n_genres, g->n_genres);
    rg_graph_free(&h);
    unlink(path);
}

static void test_ml100k(void **state) {
    (void) state;
    char dir[1024];
    if (!rgt_data_path(dir, sizeof dir, "ml-100k")) {
        skip();
    }
    rg_graph_t g;
    rg_build_stats_t st;
    import_round_trip(dir, &g, &st);
    assert_int_equal(g.n_users, 943);
    assert_int_equal(g.n_movies, 1682);
    assert_int_equal(g.n_ratings, 100000);
    assert_int_equal(st.n_duplicates, 0);
    assert_int_equal(st.n_movies_no_meta, 0);
    int64_t h[64];
    int nb = rg_graph_rating_histogram(&g, h);
    assert_int_equal(nb, 9);
    const int64_t want[5] = {6110, 11370, 27145, 34174, 21201};
    for (int s = 0; s < 5; s++) {
        assert_int_equal(h[2 * s], want[s]);
        if (s < 4) {
            assert_int_equal(h[2 * s + 1], 0);
        }
    }
    rg_degree_stats_t ds;
    rg_graph_user_degree_stats(&g, &ds);
    assert_int_equal(ds.min, 20); /* every ML-100K user has >= 20 ratings */
    assert_int_equal(g.n_genres, 19);
    assert_int_equal(g.has_demographics, 1);
    assert_string_equal(rg_graph_movie_title(&g, rg_graph_movie_index(&g, 1)),
                        "Toy Story (1995)");
    /* the canonical split file reads and every rating in it is in the graph */
    char test[1100];
    snprintf(test, sizeof test, "%s/u1.test", dir);
    rg_rating_t *r = NULL;
    int64_t n = 0;
    RGT_OK(rg_ratings_read(test, &r, &n));
    assert_int_equal(n, 20000);
    for (int64_t i = 0; i < n; i++) {
        int32_t u = rg_graph_user_index(&g, r[i].user), m = rg_graph_movie_index(&g, r[i].movie);
        assert_true(u >= 0 && m >= 0);
        int64_t e = rg_graph_edge(&g, u, m);
        assert_true(e >= 0);
        assert_float_equal(g.rating[e], r[i].rating, 0.0);
    }
    free(r);
    rg_graph_free(&g);
}

static void test_ml1m(void **state) {
    (void) state;
    char dir[1024];
    if (!rgt_data_path(dir, sizeof dir, "ml-1m")) {
        skip();
    }
    rg_graph_t g;
    rg_build_stats_t st;
    import_round_trip(dir, &g, &st);
    assert_int_equal(g.n_users, 6040);
    assert_int_equal(g.n_movies, 3883); /* movie nodes: metadata and rated */
    assert_int_equal(g.n_movies - st.n_movies_unrated, 3706);
    assert_int_equal(st.n_movies_no_meta, 0);
    assert_int_equal(g.n_ratings, 1000209);
    assert_int_equal(st.n_duplicates, 0);
    assert_int_equal(g.n_genres, 18);
    assert_float_equal(g.rating_min, 1.0f, 0.0);
    /* users 3000+ have unknown (0) timestamps, users below have real ones */
    int32_t u = rg_graph_user_index(&g, 3000), v = rg_graph_user_index(&g, 1);
    assert_int_equal(g.ts[g.user_ptr[u]], 0);
    assert_true(g.ts[g.user_ptr[v]] > 900000000);
    rg_graph_free(&g);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ml100k),
        cmocka_unit_test(test_ml1m),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
