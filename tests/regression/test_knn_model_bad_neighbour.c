/* test_knn_model_bad_neighbour.c: regression test for a fuzz_model_attach finding (2026-11-27):
 * a knn model file whose SHA-256 is valid but whose neighbour list names a node beyond the graph
 * (a crafted file, or one written by a buggy build) loaded and attached, and knn-item's scoring
 * then read past the residual array (heap-buffer-overflow in knn_item_scores).  attach now checks
 * every neighbour id and refuses the model with RG_EFORMAT. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rg_test.h"

static void check_kind(const char *kind, const char *tensor) {
    rg_graph_t g, train;
    rg_model_t m, back;
    rg_hparams_t hp;
    rg_trainer_t t;
    int done = 0;
    char path[512];
    uint8_t *is_test;
    RGT_OK(rgt_graph_planted(&g, 30, 20, 8, 5));
    rg_hparams_init(&hp);
    hp.k = 5;
    RGT_OK(rg_model_init(&m, rg_model_find(kind), &hp, NULL, &g, &g));
    RGT_OK(rg_trainer_init(&t, &m, &g));
    while (!done) {
        RGT_OK(rg_trainer_step(&t, &done));
    }
    RGT_OK(rg_trainer_finish(&t));
    rg_trainer_free(&t);
    int32_t *nbr = rg_model_i32(&m, tensor);
    assert_non_null(nbr);
    nbr[0] = (int32_t) (g.n_users + g.n_movies + 7); /* beyond either side */
    rgt_tmp_path(path, sizeof path, "bad-neighbour.rgm");
    RGT_OK(rg_model_save(&m, path)); /* a valid file (fresh SHA-256) with a bad id inside */
    rg_model_free(&m);
    is_test = calloc((size_t) g.n_ratings, 1);
    assert_non_null(is_test);
    RGT_OK(rg_model_load(&back, path));
    rg_error_t rc = rg_model_prepare(&back, &g, &train, is_test);
    if (rc != RG_EFORMAT) {
        print_error("%s: expected RG_EFORMAT, got %d: %s\n", kind, (int) rc,
                    rg_last_error_message());
    }
    assert_int_equal(rc, RG_EFORMAT);
    assert_non_null(strstr(rg_last_error_message(), "is not a node"));
    rg_model_free(&back);
    rg_graph_free(&g);
    free(is_test);
    unlink(path);
}

static void test_bad_neighbour_refused(void **state) {
    (void) state;
    const rg_model_ops_t *const *all = rg_model_list();
    for (int i = 0; all[i]; i++) {
        if (!strcmp(all[i]->name, "knn-item") || !strcmp(all[i]->name, "knn-user")) {
            rg_model_t probe;
            rg_hparams_t hp;
            rg_graph_t g;
            RGT_OK(rgt_graph_planted(&g, 30, 20, 8, 5));
            rg_hparams_init(&hp);
            RGT_OK(rg_model_init(&probe, all[i], &hp, NULL, &g, &g));
            RGT_OK(all[i]->init(&probe, &g));
            /* the one I32 tensor of the kind holds the neighbour lists */
            const char *name = NULL;
            for (int k = 0; k < probe.n_tensors; k++) {
                if (probe.tensors[k].dtype == RG_DTYPE_I32) {
                    name = probe.tensors[k].name;
                }
            }
            assert_non_null(name);
            char copy[32];
            snprintf(copy, sizeof copy, "%s", name);
            rg_model_free(&probe);
            rg_graph_free(&g);
            check_kind(all[i]->name, copy);
        }
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bad_neighbour_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
