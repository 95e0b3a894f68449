/* gc_ggnn.c: finite-difference check of the whole ggnn model (gc_gnn_model.h): the gradient of
 * one training mini-batch's mean squared error with respect to EVERY parameter (embeddings,
 * biases, GRU and decoder weights), through the decoder (MLP, linear and dot paths), the
 * shared-weight GRU rounds (BPTT) of the user and the movie side and the rating-weighted
 * aggregations (a 5% error in the dot path's backward fails all three draws).  Two draws:
 * T = 3 with a message cap S = 3 below the degree (sampled messages on both sides), decoder
 * dropout 0.2 (the batch's mask is fixed by the seed, so the loss is a deterministic function
 * of the parameters) and the decoder's ReLUs in both regimes (parameter draw 12: draw 11 put a
 * pre-activation within the 3e-3 step of a ReLU kink once the movie side existed, which finite
 * differences cannot check), and T = 2 with all messages and the decoder units pushed into
 * their active regime (mlp_b1 + 1; larger shifts inflate the loss and with it the rounding
 * noise); a third draw without the movie side (fanout[1] = 0, the large-graph default). */
#include "gc_gnn_model.h"

extern const rg_model_ops_t rg_model_ggnn;

static void check(uint64_t param_seed, int steps, int cap, int movie_cap,
                  const char *shift_name) {
    rg_hparams_t hp;
    rg_hparams_init(&hp);
    hp.dim = 5;
    hp.steps = steps;
    hp.fanout[0] = cap;
    hp.fanout[1] = movie_cap;
    hp.batch = 20;
    hp.seed = 3;
    hp.dropout = shift_name == NULL ? 0.2f : 0.0f;
    gc_check_model(&rg_model_ggnn, rg_i_ggnn_batch_grad, &hp, param_seed, shift_name, 1.0f);
}

static void test_ggnn_full_model_three_steps_sampled(void **state) {
    (void) state;
    check(12, 3, 3, 3, NULL);
}

static void test_ggnn_full_model_two_steps_all_messages(void **state) {
    (void) state;
    check(41, 2, 0, 1000, "mlp_b1");
}

static void test_ggnn_full_model_without_movie_side(void **state) {
    (void) state;
    check(41, 2, 3, 0, "mlp_b1");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ggnn_full_model_three_steps_sampled),
        cmocka_unit_test(test_ggnn_full_model_two_steps_all_messages),
        cmocka_unit_test(test_ggnn_full_model_without_movie_side),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
