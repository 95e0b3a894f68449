/* test_ggnn.c: behaviour of the ggnn model (tests in gnn_model_tests.h): it learns planted
 * structure better than the bias model, trains deterministically for a seed and thread count,
 * survives the model-file round trip, its score / fold-in / error paths behave, and the
 * parameters an epoch hands back are the running average, an output only. */
#include "gnn_model_tests.h"

static void ggnn_hp(rg_hparams_t *hp) {
    rg_hparams_init(hp);
    hp->dim = 8;
    hp->epochs = 25;
    hp->batch = 256;
    hp->lr = 0.01f;
    hp->reg = 0.001f;
    hp->patience = 5;
    hp->n_threads = 1;
}

static void test_ggnn_learns_planted_structure(void **state) {
    (void) state;
    rg_hparams_t hp;
    ggnn_hp(&hp);
    gt_learns_planted("ggnn", &hp);
}

static void test_ggnn_deterministic_one_thread(void **state) {
    (void) state;
    rg_hparams_t hp;
    ggnn_hp(&hp);
    hp.epochs = 4;
    gt_deterministic("ggnn", &hp, 1);
}

static void test_ggnn_deterministic_two_threads(void **state) {
    (void) state;
    rg_hparams_t hp;
    ggnn_hp(&hp);
    hp.epochs = 4;
    gt_deterministic("ggnn", &hp, 2);
}

static void test_ggnn_roundtrip_score_fold_in(void **state) {
    (void) state;
    rg_hparams_t hp;
    ggnn_hp(&hp);
    hp.epochs = 3;
    gt_roundtrip_and_api("ggnn", &hp);
}

static void test_ggnn_average_is_an_output(void **state) {
    (void) state;
    rg_hparams_t hp;
    ggnn_hp(&hp);
    gt_average_is_an_output("ggnn", &hp);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ggnn_learns_planted_structure),
        cmocka_unit_test(test_ggnn_deterministic_one_thread),
        cmocka_unit_test(test_ggnn_deterministic_two_threads),
        cmocka_unit_test(test_ggnn_roundtrip_score_fold_in),
        cmocka_unit_test(test_ggnn_average_is_an_output),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
