/* test_bias_model_bad_tensor.c: regression test for a fuzz_model_attach finding (2026-11-28): the
 * bias kind had no attach, so a model file with a valid SHA-256 whose "user_bias" tensor was
 * renamed (or shortened) loaded and prepared, and predict then indexed a NULL (or short) tensor.
 * attach now checks both bias vectors against the graph and refuses the file with RG_EFORMAT. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rg_test.h"

static void test_renamed_or_short_bias_refused(void **state) {
    (void) state;
    rg_graph_t g, train;
    rg_hparams_t hp;
    char path[512];
    RGT_OK(rgt_graph_planted(&g, 30, 20, 8, 9));
    uint8_t *is_test = calloc((size_t) g.n_ratings, 1);
    assert_non_null(is_test);
    rgt_tmp_path(path, sizeof path, "bad-bias.rgm");
    for (int variant = 0; variant < 2; variant++) {
        rg_model_t m, back;
        rg_hparams_init(&hp);
        hp.epochs = 2;
        RGT_OK(rgt_model_train(&m, "bias", &hp, &g));
        /* a valid file (fresh SHA-256) with user_bias renamed or shorter than the graph's users */
        RGT_OK(rgt_model_save_altered(&m, path, "user_bias", variant == 0 ? "user_bias_x" : NULL,
                                      variant == 0 ? -1 : 3));
        rg_model_free(&m);
        RGT_OK(rg_model_load(&back, path));
        rg_error_t rc = rg_model_prepare(&back, &g, &train, is_test);
        if (rc != RG_EFORMAT) {
            print_error("variant %d: expected RG_EFORMAT, got %d: %s\n", variant, (int) rc,
                        rg_last_error_message());
        }
        assert_int_equal(rc, RG_EFORMAT);
        assert_non_null(strstr(rg_last_error_message(), "user_bias"));
        rg_model_free(&back);
    }
    free(is_test);
    unlink(path);
    rg_graph_free(&g);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_renamed_or_short_bias_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
