/* gc_activation.c: finite-difference checks of relu, sigmoid, tanh and dropout.
 * ReLU inputs are kept at least 5 eps away from the kink at 0 (ggml's grad_expect rule); dropout
 * replays the same seeded mask in every loss evaluation.  Tolerances: rgt_gc_opts_default. */
#include <math.h>
#include <string.h>

#include "gradcheck.h"
#include "rg_test.h"

enum { N = 23 };

typedef void act_fwd_fn(float *, const float *, size_t);

typedef struct {
    act_fwd_fn *fwd;
    float inp[N], out[N], c[N];
    uint8_t mask[N];
    float p;
    uint64_t seed;
} act_ctx_t;

static double act_loss(void *q) {
    act_ctx_t *t = q;
    t->fwd(t->out, t->inp, N);
    return rgt_gc_dot(t->out, t->c, N);
}

static void check_act(act_fwd_fn *fwd, void (*bwd)(float *, const float *, const float *, size_t),
                      float lo, float hi, const char *name) {
    act_ctx_t t;
    float dinp[N] = {0};
    rg_rng_t r;
    rgt_gc_opts_t o;
    rg_rng_init(&r, 41);
    rgt_gc_opts_default(&o);
    t.fwd = fwd;
    rgt_gc_fill(t.inp, N, lo, hi, &r);
    for (int i = 0; i < N; i++) {
        if (fabsf(t.inp[i]) < 5.0f * (float) o.eps) {
            t.inp[i] = t.inp[i] < 0.0f ? -0.173f : 0.173f; /* away from relu's kink */
        }
    }
    rgt_gc_coeffs(t.c, N, 42);
    act_loss(&t);
    bwd(dinp, t.c, t.out, N);
    RGT_GRADCHECK(name, t.inp, dinp, N, act_loss, &t, &o);
}

static void test_relu_gradient(void **state) {
    (void) state;
    check_act(rg_relu_forward, rg_relu_backward, -2.0f, 2.0f, "relu");
}

static void test_sigmoid_gradient(void **state) {
    (void) state;
    check_act(rg_sigmoid_forward, rg_sigmoid_backward, -6.0f, 6.0f, "sigmoid");
}

static void test_tanh_gradient(void **state) {
    (void) state;
    check_act(rg_tanh_forward, rg_tanh_backward, -3.0f, 3.0f, "tanh");
}

static double dropout_loss(void *q) {
    act_ctx_t *t = q;
    rg_rng_t r;
    rg_rng_init(&r, t->seed); /* same mask every evaluation */
    rg_dropout_forward(t->out, t->mask, t->inp, N, t->p, &r);
    return rgt_gc_dot(t->out, t->c, N);
}

static void test_dropout_gradient(void **state) {
    (void) state;
    act_ctx_t t;
    float dinp[N] = {0};
    rg_rng_t r;
    rgt_gc_opts_t o;
    int kept = 0;
    rg_rng_init(&r, 51);
    rgt_gc_opts_default(&o);
    rgt_gc_fill(t.inp, N, -2.0f, 2.0f, &r);
    rgt_gc_coeffs(t.c, N, 52);
    t.p = 0.35f;
    t.seed = 53;
    dropout_loss(&t);
    for (int i = 0; i < N; i++) {
        kept += t.mask[i];
    }
    assert_true(kept > 0 && kept < N); /* both branches exercised */
    rg_dropout_backward(dinp, t.c, t.mask, N, t.p);
    RGT_GRADCHECK("dropout p=0.35", t.inp, dinp, N, dropout_loss, &t, &o);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_relu_gradient),
        cmocka_unit_test(test_sigmoid_gradient),
        cmocka_unit_test(test_tanh_gradient),
        cmocka_unit_test(test_dropout_gradient),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
