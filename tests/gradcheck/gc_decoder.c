/* gc_decoder.c: finite-difference checks of the dot-product and bilinear decoders (B=3, K=5).
 * Tolerances: rgt_gc_opts_default. */
#include <string.h>

#include "gradcheck.h"
#include "rg_test.h"

enum { B = 3, K = 5 };

typedef struct {
    float u[B * K], v[B * K], Q[K * K], Qv[B * K], score[B], c[B];
} dec_ctx_t;

static double dot_loss(void *p) {
    dec_ctx_t *t = p;
    rg_dot_decoder_forward(t->score, t->u, t->v, B, K);
    return rgt_gc_dot(t->score, t->c, B);
}

static double bilinear_loss(void *p) {
    dec_ctx_t *t = p;
    rg_bilinear_decoder_forward(t->score, t->Qv, t->u, t->v, t->Q, B, K);
    return rgt_gc_dot(t->score, t->c, B);
}

static void setup(dec_ctx_t *t, uint64_t seed) {
    rg_rng_t r;
    rg_rng_init(&r, seed);
    rgt_gc_fill(t->u, B * K, -1.2f, 1.1f, &r);
    rgt_gc_fill(t->v, B * K, -0.8f, 1.3f, &r);
    rgt_gc_fill(t->Q, K * K, -0.7f, 0.9f, &r);
    rgt_gc_coeffs(t->c, B, seed + 1);
}

static void test_dot_decoder_gradients(void **state) {
    (void) state;
    dec_ctx_t t;
    float du[B * K] = {0}, dv[B * K] = {0};
    rgt_gc_opts_t o;
    rgt_gc_opts_default(&o);
    setup(&t, 61);
    dot_loss(&t);
    rg_dot_decoder_backward(du, dv, t.c, t.u, t.v, B, K);
    RGT_GRADCHECK("dot u", t.u, du, B * K, dot_loss, &t, &o);
    RGT_GRADCHECK("dot v", t.v, dv, B * K, dot_loss, &t, &o);
}

static void test_bilinear_decoder_gradients(void **state) {
    (void) state;
    dec_ctx_t t;
    float du[B * K] = {0}, dv[B * K] = {0}, dQ[K * K] = {0}, w[B * K];
    rgt_gc_opts_t o;
    rgt_gc_opts_default(&o);
    setup(&t, 71);
    bilinear_loss(&t);
    rg_bilinear_decoder_backward(du, dv, dQ, t.c, t.u, t.v, t.Q, t.Qv, w, B, K);
    RGT_GRADCHECK("bilinear u", t.u, du, B * K, bilinear_loss, &t, &o);
    RGT_GRADCHECK("bilinear v", t.v, dv, B * K, bilinear_loss, &t, &o);
    RGT_GRADCHECK("bilinear Q", t.Q, dQ, K * K, bilinear_loss, &t, &o);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dot_decoder_gradients),
        cmocka_unit_test(test_bilinear_decoder_gradients),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
