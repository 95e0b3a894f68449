/* test_model_save_nomem_code.c: regression test for a test_faults finding (2026-11-27): when the
 * staging buffer of rg_model_save could not be allocated, the save failed with RG_EIO and
 * "cannot write model file ...: No such file or directory" (a stale errno), so the command
 * exited 1 (bad input) instead of 2 and blamed the disk.  Now every allocation failure during a
 * save is RG_ENOMEM with "out of memory", and the model file being replaced stays intact. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rg_test.h"

static void test_save_allocation_failures_are_enomem(void **state) {
    (void) state;
    rg_graph_t g;
    rg_model_t m;
    rg_hparams_t hp;
    rg_trainer_t t;
    int done = 0;
    char path[512];
    RGT_OK(rgt_graph_planted(&g, 20, 15, 6, 3));
    rg_hparams_init(&hp);
    hp.epochs = 1;
    hp.dim = 3;
    RGT_OK(rg_model_init(&m, rg_model_find("mf"), &hp, NULL, &g, &g));
    RGT_OK(rg_trainer_init(&t, &m, &g));
    while (!done) {
        RGT_OK(rg_trainer_step(&t, &done));
    }
    RGT_OK(rg_trainer_finish(&t));
    rg_trainer_free(&t);
    rgt_write_tmp(path, sizeof path, "nomem.rgm", "old contents");

    int failures = 0;
    for (long n = 1; n < 100; n++) {
        rg_fail_alloc_after(n);
        rg_error_t rc = rg_model_save(&m, path);
        rg_fail_alloc_after(0);
        if (rc == RG_SUCCESS) {
            break;
        }
        failures++;
        if (rc != RG_ENOMEM) {
            print_error("allocation %ld: %s: %s\n", n, rg_strerror(rc), rg_last_error_message());
        }
        assert_int_equal(rc, RG_ENOMEM);
        assert_non_null(strstr(rg_last_error_message(), "out of memory"));
        char buf[64] = {0};
        FILE *f = fopen(path, "rb");
        assert_non_null(f);
        assert_true(fread(buf, 1, sizeof buf - 1, f) == strlen("old contents"));
        fclose(f);
        assert_string_equal(buf, "old contents");
    }
    assert_true(failures >= 2); /* the temporary name and the staging buffer */
    rg_model_t back;
    RGT_OK(rg_model_load(&back, path));
    assert_int_equal(back.n_params, m.n_params);
    rg_model_free(&back);
    remove(path);
    rg_model_free(&m);
    rg_graph_free(&g);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_save_allocation_failures_are_enomem),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
