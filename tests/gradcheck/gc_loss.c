/* gc_loss.c: finite-difference checks of every loss's gradient (the loss is already a scalar, so
 * no reduction coefficients are needed).  Inputs include large logits (|x| up to 30) to exercise
 * the stable forms.  Tolerances: rgt_gc_opts_default. */
#include <math.h>
#include <string.h>

#include "gradcheck.h"
#include "rg_test.h"

enum { N = 11, B = 3, NC = 7, S = 5 };

typedef struct {
    float pred[N], target[N], weight[N], neg[N];
    float logits[B * NC], log_q[B * S];
    int32_t cls[B];
    int use_weight, use_log_q;
    double norm;
} loss_ctx_t;

static double mse_loss(void *p) {
    loss_ctx_t *t = p;
    return rg_loss_mse(NULL, t->pred, t->target, t->use_weight ? t->weight : NULL, N, t->norm);
}

static double bce_loss(void *p) {
    loss_ctx_t *t = p;
    return rg_loss_bce_logits(NULL, t->pred, t->target, t->use_weight ? t->weight : NULL, N,
                              t->norm);
}

static double bpr_loss(void *p) {
    loss_ctx_t *t = p;
    return rg_loss_bpr(NULL, NULL, t->pred, t->neg, N, t->norm);
}

static double xent_loss(void *p) {
    loss_ctx_t *t = p;
    return rg_loss_softmax_xent(NULL, t->logits, t->cls, B, NC, t->norm);
}

static double sampled_loss(void *p) {
    loss_ctx_t *t = p;
    return rg_loss_sampled_softmax(NULL, t->logits, t->use_log_q ? t->log_q : NULL, B, S,
                                   t->norm);
}

static void setup(loss_ctx_t *t, uint64_t seed) {
    rg_rng_t r;
    memset(t, 0, sizeof *t);
    rg_rng_init(&r, seed);
    rgt_gc_fill(t->pred, N, -4.0f, 4.0f, &r);
    rgt_gc_fill(t->neg, N, -4.0f, 4.0f, &r);
    rgt_gc_fill(t->target, N, 0.0f, 1.0f, &r);
    rgt_gc_fill(t->weight, N, 0.0f, 2.0f, &r);
    t->weight[2] = 0.0f; /* a masked entry */
    rgt_gc_fill(t->logits, B * NC, -3.0f, 3.0f, &r);
    rgt_gc_fill(t->log_q, B * S, -5.0f, -0.5f, &r);
    t->cls[0] = 0;
    t->cls[1] = 6;
    t->cls[2] = 3;
    t->norm = 3.7;
}

static void test_mse_gradient(void **state) {
    (void) state;
    loss_ctx_t t;
    float d[N] = {0}, dw[N] = {0};
    rgt_gc_opts_t o;
    rgt_gc_opts_default(&o);
    setup(&t, 81);
    rg_loss_mse(d, t.pred, t.target, NULL, N, t.norm);
    RGT_GRADCHECK("mse pred", t.pred, d, N, mse_loss, &t, &o);
    t.use_weight = 1;
    rg_loss_mse(dw, t.pred, t.target, t.weight, N, t.norm);
    RGT_GRADCHECK("mse pred (weighted)", t.pred, dw, N, mse_loss, &t, &o);
    assert_true(dw[2] == 0.0f);
}

static void test_bce_gradient(void **state) {
    (void) state;
    loss_ctx_t t;
    float d[N] = {0};
    rgt_gc_opts_t o;
    rgt_gc_opts_default(&o);
    setup(&t, 82);
    t.pred[0] = 30.0f;  /* saturated logits: gradient stays finite and accurate */
    t.pred[1] = -30.0f;
    t.use_weight = 1;
    rg_loss_bce_logits(d, t.pred, t.target, t.weight, N, t.norm);
    RGT_GRADCHECK("bce logits", t.pred, d, N, bce_loss, &t, &o);
}

static void test_bpr_gradient(void **state) {
    (void) state;
    loss_ctx_t t;
    float dp[N] = {0}, dn[N] = {0};
    rgt_gc_opts_t o;
    rgt_gc_opts_default(&o);
    setup(&t, 83);
    t.pred[0] = 25.0f;
    t.neg[0] = -20.0f;
    t.pred[1] = -20.0f;
    t.neg[1] = 25.0f;
    rg_loss_bpr(dp, dn, t.pred, t.neg, N, t.norm);
    RGT_GRADCHECK("bpr s_pos", t.pred, dp, N, bpr_loss, &t, &o);
    RGT_GRADCHECK("bpr s_neg", t.neg, dn, N, bpr_loss, &t, &o);
}

static void test_softmax_xent_gradient(void **state) {
    (void) state;
    loss_ctx_t t;
    float d[B * NC] = {0};
    rgt_gc_opts_t o;
    rgt_gc_opts_default(&o);
    setup(&t, 84);
    t.logits[4] = 30.0f; /* a dominant logit */
    rg_loss_softmax_xent(d, t.logits, t.cls, B, NC, t.norm);
    RGT_GRADCHECK("softmax xent", t.logits, d, B * NC, xent_loss, &t, &o);
}

static void test_sampled_softmax_gradient(void **state) {
    (void) state;
    loss_ctx_t t;
    float d[B * S] = {0}, dq[B * S] = {0};
    rgt_gc_opts_t o;
    rgt_gc_opts_default(&o);
    setup(&t, 85);
    rg_loss_sampled_softmax(d, t.logits, NULL, B, S, t.norm);
    RGT_GRADCHECK("sampled softmax", t.logits, d, B * S, sampled_loss, &t, &o);
    t.use_log_q = 1;
    rg_loss_sampled_softmax(dq, t.logits, t.log_q, B, S, t.norm);
    RGT_GRADCHECK("sampled softmax logQ", t.logits, dq, B * S, sampled_loss, &t, &o);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mse_gradient),
        cmocka_unit_test(test_bce_gradient),
        cmocka_unit_test(test_bpr_gradient),
        cmocka_unit_test(test_softmax_xent_gradient),
        cmocka_unit_test(test_sampled_softmax_gradient),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
