/* gc_lstm.c: full-model finite-difference check of `lstm` (see gc_seq.h). */
#include "gc_seq.h"

static void test_lstm_full_model_gradient(void **state) {
    (void) state;
    gc_seq_run("lstm", rg_i_lstm_cell());
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lstm_full_model_gradient),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
