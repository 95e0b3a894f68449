/* test_graphml.c: the streaming GraphML writer: output validates with xmllint, loads back with
 * igraph_read_graph_graphml with the right node / edge counts and attribute values (escaped
 * titles, demographics, ratings), neighbourhood subsets, and the error paths. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rg_test.h"
#include <igraph/igraph.h>

#include "reelgraph/analytics.h"

/* Two users with demographics, three movies, one with characters XML must escape. */
static void meta_graph(rg_graph_t *g) {
    rg_dataset_t d;
    rg_dataset_init(&d);
    snprintf(d.name, sizeof d.name, "test");
    d.n_genres = 2;
    snprintf(d.genre_names[0], RG_NAME_MAX, "Comedy");
    snprintf(d.genre_names[1], RG_NAME_MAX, "Drama");
    d.n_occupations = 1;
    snprintf(d.occupation_names[0], RG_NAME_MAX, "writer");
    d.rating_min = 1;
    d.rating_max = 5;
    RGT_OK(rg_dataset_add_movie(&d, 7, "Tom & Jerry <\"Best\"> (1992)", 1992, 3u));
    RGT_OK(rg_dataset_add_movie(&d, 8, "Am\xc3\xa9lie (2001)", 2001, 1u));
    RGT_OK(rg_dataset_add_movie(&d, 9, "Unknown", 0, 0u));
    rg_user_meta_t u1 = {.id = 31, .age = 25, .gender = RG_GENDER_F, .occupation = 0};
    rg_user_meta_t u2 = {.id = 32, .age = -1, .gender = RG_GENDER_UNKNOWN, .occupation = -1};
    snprintf(u1.zip, sizeof u1.zip, "55455");
    RGT_OK(rg_dataset_add_user(&d, &u1));
    RGT_OK(rg_dataset_add_user(&d, &u2));
    rg_rating_t r[] = {{31, 7, 4.5f, 978300760}, {31, 8, 2.0f, 978300761},
                       {32, 8, 3.5f, 978300762}, {32, 9, 1.0f, 0}};
    for (int i = 0; i < 4; i++) {
        RGT_OK(rg_dataset_add_rating(&d, &r[i]));
    }
    RGT_OK(rg_graph_build(g, &d, NULL));
    rg_dataset_free(&d);
}

static int have_xmllint(void) { return system("command -v xmllint >/dev/null 2>&1") == 0; }

static void xmllint_ok(const char *path) {
    char cmd[1200];
    if (!have_xmllint()) {
        printf("SKIP: xmllint not installed; XML validation not run\n");
        return;
    }
    snprintf(cmd, sizeof cmd, "xmllint --noout '%s'", path);
    assert_int_equal(system(cmd), 0);
}

/* Loads path with igraph; returns 0 and fills ig, or 1 when igraph lacks GraphML support. */
static int load_back(const char *path, igraph_t *ig) {
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    igraph_error_handler_t *old = igraph_set_error_handler(igraph_error_handler_ignore);
    igraph_error_t ie = igraph_read_graph_graphml(ig, f, 0);
    igraph_set_error_handler(old);
    fclose(f);
    if (ie == IGRAPH_UNIMPLEMENTED) {
        printf("SKIP: igraph built without GraphML; load-back not run\n");
        return 1;
    }
    assert_int_equal(ie, IGRAPH_SUCCESS);
    return 0;
}

static void test_graphml_whole_graph_validates_and_loads_back(void **state) {
    (void) state;
    rg_graph_t g;
    igraph_t ig;
    char path[512];
    meta_graph(&g);
    rgt_tmp_path(path, sizeof path, "whole.graphml");
    RGT_OK(rg_graphml_write(&g, path, NULL, 0, NULL, 0));
    xmllint_ok(path);
    if (load_back(path, &ig) == 0) {
        assert_int_equal(igraph_vcount(&ig), 5);
        assert_int_equal(igraph_ecount(&ig), 4);
        /* vertices in file order: users 31, 32, then movies 7, 8, 9 */
        assert_string_equal(VAS(&ig, "side", 0), "user");
        assert_string_equal(VAS(&ig, "side", 2), "movie");
        RGT_NEAR(VAN(&ig, "dataset_id", 0), 31, 0);
        assert_string_equal(VAS(&ig, "id", 0), "u31"); /* igraph keeps the GraphML node id */
        RGT_NEAR(VAN(&ig, "age", 0), 25, 0);
        assert_string_equal(VAS(&ig, "gender", 0), "F");
        assert_string_equal(VAS(&ig, "occupation", 0), "writer");
        assert_string_equal(VAS(&ig, "zip", 0), "55455");
        assert_string_equal(VAS(&ig, "title", 2), "Tom & Jerry <\"Best\"> (1992)");
        assert_string_equal(VAS(&ig, "title", 3), "Am\xc3\xa9lie (2001)");
        assert_string_equal(VAS(&ig, "genres", 2), "Comedy|Drama");
        RGT_NEAR(VAN(&ig, "year", 3), 2001, 0);
        double sum = 0;
        for (igraph_integer_t e = 0; e < igraph_ecount(&ig); e++) {
            sum += EAN(&ig, "rating", e);
        }
        RGT_NEAR(sum, 4.5 + 2.0 + 3.5 + 1.0, 1e-9);
        RGT_NEAR(EAN(&ig, "timestamp", 0), 978300760, 0);
        igraph_destroy(&ig);
    }
    remove(path);
    rg_graph_free(&g);
}

static void test_graphml_neighbourhood_subset(void **state) {
    (void) state;
    rg_graph_t g;
    rg_khop_t k;
    igraph_t ig;
    int64_t *eids, n_e;
    char path[512];
    RGT_OK(rgt_graph_planted(&g, 30, 20, 5, 2));
    RGT_OK(rg_khop(&k, &g, 3, 2, 0));
    RGT_OK(rg_induced_edges(&g, k.node, k.n, &eids, &n_e));
    rgt_tmp_path(path, sizeof path, "sub.graphml");
    RGT_OK(rg_graphml_write(&g, path, k.node, k.n, eids, n_e));
    xmllint_ok(path);
    if (load_back(path, &ig) == 0) {
        assert_int_equal(igraph_vcount(&ig), k.n);
        assert_int_equal(igraph_ecount(&ig), n_e);
        igraph_destroy(&ig);
    }
    remove(path);
    /* errors: an edge outside the set, a subset without edges, an unwritable path */
    int64_t bad = -1;
    for (int64_t e = 0; e < g.n_ratings && bad < 0; e++) {
        int in = 0;
        for (int64_t i = 0; i < n_e; i++) {
            in |= eids[i] == e;
        }
        bad = in ? -1 : e;
    }
    int32_t two[] = {k.node[0], k.node[1]};
    assert_int_equal(rg_graphml_write(&g, path, two, 2, &bad, 1), RG_EINVAL);
    assert_int_equal(rg_graphml_write(&g, path, two, 2, NULL, 0), RG_EINVAL);
    assert_int_equal(rg_graphml_write(&g, "/nonexistent-dir/x.graphml", NULL, 0, NULL, 0),
                     RG_EIO);
    assert_non_null(strstr(rg_last_error_message(), "/nonexistent-dir/x.graphml"));
    free(eids);
    rg_khop_free(&k);
    rg_graph_free(&g);
}

static int setup(void **state) {
    (void) state;
    igraph_set_attribute_table(&igraph_cattribute_table);
    return 0;
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_graphml_whole_graph_validates_and_loads_back),
        cmocka_unit_test(test_graphml_neighbourhood_subset),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
