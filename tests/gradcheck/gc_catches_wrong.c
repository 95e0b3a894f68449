/* gc_catches_wrong.c: the checker must FAIL on wrong gradients, or every passing check above
 * means nothing.  Each case feeds rgt_gradcheck a deliberately broken backward and asserts that
 * the check fails, and where the bug is local, that the worst index points at it:
 *   - tanh backward with (1 - y) instead of (1 - y^2);
 *   - linear backward whose bias gradient skips the last output;
 *   - a gradient that is right everywhere except one entry, 5% off (just above tol = 1e-2
 *     in relative-error terms: |a - n| / (|a| + |n|) = 0.05 / 2.05 ~ 0.024);
 *   - mean aggregation differentiated as a sum (forgot the 1/deg);
 *   - a NaN in the gradient.
 * Same tolerances as the real checks (rgt_gc_opts_default), verbose off. */
#include <math.h>
#include <string.h>

#include "gradcheck.h"
#include "rg_test.h"

enum { N = 17, B = 3, D = 4, O = 5 };

typedef struct {
    float inp[B * D], W[O * D], b[O], out[B * O], c[B * O];
} lin_ctx_t;

static double lin_loss(void *p) {
    lin_ctx_t *t = p;
    rg_linear_forward(t->out, t->inp, t->W, t->b, B, D, O);
    return rgt_gc_dot(t->out, t->c, B * O);
}

static void lin_setup(lin_ctx_t *t) {
    rg_rng_t r;
    rg_rng_init(&r, 301);
    rgt_gc_fill(t->inp, B * D, -1.0f, 1.0f, &r);
    rgt_gc_fill(t->W, O * D, -1.0f, 1.0f, &r);
    rgt_gc_fill(t->b, O, -1.0f, 1.0f, &r);
    rgt_gc_coeffs(t->c, B * O, 302);
}

static void quiet_opts(rgt_gc_opts_t *o) {
    rgt_gc_opts_default(o);
    o->verbose = 0;
}

typedef struct {
    float x[N], y[N], c[N];
} tanh_ctx_t;

static double tanh_loss(void *p) {
    tanh_ctx_t *t = p;
    rg_tanh_forward(t->y, t->x, N);
    return rgt_gc_dot(t->y, t->c, N);
}

static void test_wrong_tanh_derivative_is_caught(void **state) {
    (void) state;
    tanh_ctx_t t;
    float dx[N];
    rg_rng_t r;
    rgt_gc_opts_t o;
    rgt_gc_result_t res;
    quiet_opts(&o);
    rg_rng_init(&r, 311);
    rgt_gc_fill(t.x, N, -2.0f, 2.0f, &r);
    rgt_gc_coeffs(t.c, N, 312);
    tanh_loss(&t);
    for (int i = 0; i < N; i++) {
        dx[i] = t.c[i] * (1.0f - t.y[i]); /* bug: should be 1 - y^2 */
    }
    assert_false(rgt_gradcheck(&res, "tanh (wrong)", t.x, dx, N, tanh_loss, &t, &o));
    assert_true(res.max_rel > 0.1);
    /* and the correct backward passes with the same options */
    memset(dx, 0, sizeof dx);
    rg_tanh_backward(dx, t.c, t.y, N);
    assert_true(rgt_gradcheck(&res, "tanh", t.x, dx, N, tanh_loss, &t, &o));
}

static void test_missing_bias_term_is_caught(void **state) {
    (void) state;
    lin_ctx_t t;
    float db[O] = {0};
    rgt_gc_opts_t o;
    rgt_gc_result_t res;
    quiet_opts(&o);
    lin_setup(&t);
    lin_loss(&t);
    rg_linear_backward(NULL, NULL, db, t.c, t.inp, t.W, B, D, O);
    db[O - 1] = 0.0f; /* bug: last output's bias gradient never accumulated */
    assert_false(rgt_gradcheck(&res, "linear b (wrong)", t.b, db, O, lin_loss, &t, &o));
    assert_int_equal(res.worst, O - 1);
}

static void test_single_entry_five_percent_off_is_caught(void **state) {
    (void) state;
    lin_ctx_t t;
    float dW[O * D] = {0};
    rgt_gc_opts_t o;
    rgt_gc_result_t res;
    quiet_opts(&o);
    lin_setup(&t);
    lin_loss(&t);
    rg_linear_backward(NULL, dW, NULL, t.c, t.inp, t.W, B, D, O);
    assert_true(rgt_gradcheck(&res, "linear W", t.W, dW, O * D, lin_loss, &t, &o));
    dW[13] *= 1.05f;
    assert_false(rgt_gradcheck(&res, "linear W (one entry 5% off)", t.W, dW, O * D, lin_loss,
                               &t, &o));
    assert_int_equal(res.worst, 13);
}

typedef struct {
    const rg_mp_csr_t *g;
    float X[4 * 3], out[3 * 3], c[3 * 3], scale[3];
} mean_ctx_t;

static double mean_loss(void *p) {
    mean_ctx_t *t = p;
    rg_mp_aggregate_forward(t->out, t->scale, NULL, t->X, t->g, 3, RG_AGG_MEAN, 1);
    return rgt_gc_dot(t->out, t->c, 9);
}

static void test_mean_backward_as_sum_is_caught(void **state) {
    (void) state;
    static const int64_t ptr[] = {0, 2, 5, 6};
    static const int32_t idx[] = {0, 3, 1, 2, 3, 0};
    rg_mp_csr_t g = {ptr, idx, NULL, NULL, 3, 4};
    mean_ctx_t t;
    float dX[12] = {0};
    rg_rng_t r;
    rgt_gc_opts_t o;
    quiet_opts(&o);
    rg_rng_init(&r, 321);
    t.g = &g;
    rgt_gc_fill(t.X, 12, -1.0f, 1.0f, &r);
    rgt_gc_coeffs(t.c, 9, 322);
    mean_loss(&t);
    /* bug: the SUM backward applied to a MEAN forward */
    rg_mp_aggregate_backward(dX, t.c, t.scale, NULL, &g, NULL, 3, RG_AGG_SUM, 1);
    assert_false(rgt_gradcheck(NULL, "mean as sum (wrong)", t.X, dX, 12, mean_loss, &t, &o));
}

static void test_nan_gradient_is_caught(void **state) {
    (void) state;
    lin_ctx_t t;
    float dinp[B * D] = {0};
    rgt_gc_opts_t o;
    rgt_gc_result_t res;
    quiet_opts(&o);
    lin_setup(&t);
    lin_loss(&t);
    rg_linear_backward(dinp, NULL, NULL, t.c, t.inp, t.W, B, D, O);
    dinp[5] = NAN;
    assert_false(rgt_gradcheck(&res, "linear inp (NaN)", t.inp, dinp, B * D, lin_loss, &t, &o));
    assert_int_equal(res.worst, 5);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_wrong_tanh_derivative_is_caught),
        cmocka_unit_test(test_missing_bias_term_is_caught),
        cmocka_unit_test(test_single_entry_five_percent_off_is_caught),
        cmocka_unit_test(test_mean_backward_as_sum_is_caught),
        cmocka_unit_test(test_nan_gradient_is_caught),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
