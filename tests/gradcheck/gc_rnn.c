/* gc_rnn.c: full-model finite-difference check of `rnn` (see gc_seq.h). */
#include "gc_seq.h"

static void test_rnn_full_model_gradient(void **state) {
    (void) state;
    gc_seq_run("rnn", rg_i_rnn_cell());
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rnn_full_model_gradient),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
