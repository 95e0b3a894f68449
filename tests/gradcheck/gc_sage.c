/* gc_sage.c: finite-difference check of the whole sage model (gc_gnn_model.h): the gradient of
 * one training mini-batch's mean squared error with respect to EVERY parameter (id embeddings,
 * genre/demographic feature embeddings, both SAGE layers, biases), through the dot decoder, the
 * two-channel (mean and centred-rating) aggregations over a sampled block (batch edges
 * excluded) and the input features.
 * Two draws: small fanouts (2, 2: sampling, unseen neighbours) with the first layer's units
 * pushed into their active regime (sage_b1 + 1, see gc_gnn_model.h), and full neighbourhoods
 * (0, 0) with the ReLUs in both regimes and dropout 0.2 on the layer-1 outputs (the batch's
 * mask is fixed by the seed). */
#include "gc_gnn_model.h"

extern const rg_model_ops_t rg_model_sage;

static void check(uint64_t param_seed, int f1, int f2, const char *shift_name) {
    rg_hparams_t hp;
    rg_hparams_init(&hp);
    hp.dim = 5;
    hp.fanout[0] = f1;
    hp.fanout[1] = f2;
    hp.batch = 12;
    hp.seed = 5;
    hp.dropout = shift_name == NULL ? 0.2f : 0.0f;
    gc_check_model(&rg_model_sage, rg_i_sage_batch_grad, &hp, param_seed, shift_name, 1.0f);
}

static void test_sage_full_model_sampled(void **state) {
    (void) state;
    check(13, 2, 2, "sage_b1");
}

static void test_sage_full_model_full_neighbourhood(void **state) {
    (void) state;
    check(31, 0, 0, NULL);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sage_full_model_sampled),
        cmocka_unit_test(test_sage_full_model_full_neighbourhood),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
