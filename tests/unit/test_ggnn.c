/* test_ggnn.c: behaviour of the ggnn model (tests in gnn_model_tests.h): it learns planted
 * structure better than the bias model, trains deterministically for a seed and thread count,
 * survives the model-file round trip, and its score / fold-in / error paths behave.  Own test:
 * the parameters an epoch hands back are the running average, an output only (the next epoch
 * resumes the optimiser's own iterate). */
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

/* Two epochs through the trainer; with `scramble`, the parameters the first epoch handed back
 * are overwritten before the second. */
static void ggnn_two_epochs(rg_model_t *m, gt_data_t *d, int scramble) {
    rg_hparams_t hp;
    ggnn_hp(&hp);
    hp.epochs = 2;
    hp.patience = 0;
    RGT_OK(rg_model_init(m, rg_model_find("ggnn"), &hp, &d->split, &d->full, &d->train));
    rg_trainer_t t;
    RGT_OK(rg_trainer_init(&t, m, &d->train));
    int done = 0;
    RGT_OK(rg_trainer_step(&t, &done));
    if (scramble) {
        for (size_t i = 0; i < m->n_params; i++) {
            m->params[i] = 0.5f - (float) (i % 7) * 0.1f;
        }
    }
    RGT_OK(rg_trainer_step(&t, &done));
    rg_trainer_free(&t);
}

static void test_ggnn_average_is_an_output(void **state) {
    (void) state;
    gt_data_t d;
    gt_data_init(&d, 60, 40, 15, 5);
    rg_model_t a, b;
    ggnn_two_epochs(&a, &d, 0);
    ggnn_two_epochs(&b, &d, 1);
    /* the second epoch trained the optimiser's iterate and the average it kept, not what the
     * first epoch left in params: the scrambling is gone without a trace */
    assert_memory_equal(a.params, b.params, a.n_params * sizeof *a.params);
    gt_free(&a);
    gt_free(&b);
    gt_data_free(&d);
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
