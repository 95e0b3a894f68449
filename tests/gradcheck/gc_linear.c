/* gc_linear.c: finite-difference checks of the linear layer (sgemm and naive), the linear layer
 * over a two-part concatenation (rg_linear2_*, with and without its relu), the embedding
 * lookup (with repeated ids) and concat / split.  Shapes are deliberately odd (B=3, D=7, O=5).
 * Tolerances: rgt_gc_opts_default (see gradcheck.h). */
#include <stdio.h>
#include <string.h>

#include "gradcheck.h"
#include "rg_test.h"

enum { B = 3, D = 7, O = 5 };

/* ---- linear ---- */

typedef void linear_fwd_fn(float *, const float *, const float *, const float *, int, int, int);

typedef struct {
    linear_fwd_fn *fwd;
    float inp[B * D], W[O * D], b[O], out[B * O], c[B * O];
    int use_bias;
} linear_ctx_t;

static double linear_loss(void *p) {
    linear_ctx_t *t = p;
    t->fwd(t->out, t->inp, t->W, t->use_bias ? t->b : NULL, B, D, O);
    return rgt_gc_dot(t->out, t->c, B * O);
}

static void check_linear(linear_fwd_fn *fwd,
                         void (*bwd)(float *, float *, float *, const float *, const float *,
                                     const float *, int, int, int),
                         int use_bias, const char *tag) {
    linear_ctx_t t;
    rg_rng_t r;
    rgt_gc_opts_t o;
    float dinp[B * D] = {0}, dW[O * D] = {0}, db[O] = {0};
    char name[64];
    rg_rng_init(&r, 11);
    rgt_gc_opts_default(&o);
    t.fwd = fwd;
    t.use_bias = use_bias;
    rgt_gc_fill(t.inp, B * D, -1.3f, 1.7f, &r);
    rgt_gc_fill(t.W, O * D, -0.9f, 0.8f, &r);
    rgt_gc_fill(t.b, O, -0.5f, 0.5f, &r);
    rgt_gc_coeffs(t.c, B * O, 12);
    linear_loss(&t);
    bwd(dinp, dW, use_bias ? db : NULL, t.c, t.inp, t.W, B, D, O);
    snprintf(name, sizeof name, "%s inp", tag);
    RGT_GRADCHECK(name, t.inp, dinp, B * D, linear_loss, &t, &o);
    snprintf(name, sizeof name, "%s W", tag);
    RGT_GRADCHECK(name, t.W, dW, O * D, linear_loss, &t, &o);
    if (use_bias) {
        snprintf(name, sizeof name, "%s b", tag);
        RGT_GRADCHECK(name, t.b, db, O, linear_loss, &t, &o);
    }
}

static void test_linear_sgemm_gradients(void **state) {
    (void) state;
    check_linear(rg_linear_forward, rg_linear_backward, 1, "linear(sgemm)");
    check_linear(rg_linear_forward, rg_linear_backward, 0, "linear(sgemm,nobias)");
}

static void test_linear_naive_gradients(void **state) {
    (void) state;
    check_linear(rg_linear_forward_naive, rg_linear_backward_naive, 1, "linear(naive)");
}

/* ---- linear over a two-part concatenation ---- */

enum { LB = 6, LA = 4, LC = 6 };

typedef struct {
    float A[LB * LA], C[LB * LC], W[O * (LA + LC)], b[O], out[LB * O], c[LB * O];
    int relu, threads;
} linear2_ctx_t;

static double linear2_loss(void *p) {
    linear2_ctx_t *t = p;
    rg_linear2_forward_mt(t->out, t->A, LA, t->C, LC, t->W, t->b, LB, O, t->relu, t->threads);
    return rgt_gc_dot(t->out, t->c, LB * O);
}

/* Gradients of every input on 1 and 2 threads, with and without the relu; dC is filled with
 * garbage first (the backward overwrites it); the forward equals rg_linear_forward on the
 * concatenation built by hand. */
static void test_linear2_gradients(void **state) {
    (void) state;
    for (int relu = 0; relu <= 1; relu++) {
        for (int threads = 1; threads <= 2; threads++) {
            linear2_ctx_t t;
            rg_rng_t r;
            rgt_gc_opts_t o;
            float dA[LB * LA] = {0}, dC[LB * LC], dW[O * (LA + LC)] = {0}, db[O] = {0};
            float dpre[LB * O], cat[LB * (LA + LC)], ref[LB * O];
            char name[64];
            rg_rng_init(&r, 41 + (uint64_t) relu);
            rgt_gc_opts_default(&o);
            t.relu = relu;
            t.threads = threads;
            rgt_gc_fill(t.A, LB * LA, -1.3f, 1.7f, &r);
            rgt_gc_fill(t.C, LB * LC, -1.1f, 1.2f, &r);
            rgt_gc_fill(t.W, O * (LA + LC), -0.9f, 0.8f, &r);
            rgt_gc_fill(t.b, O, -0.5f, 0.5f, &r);
            rgt_gc_coeffs(t.c, LB * O, 42);
            for (int i = 0; i < LB * LC; i++) {
                dC[i] = 7.0f;
            }
            linear2_loss(&t);
            rg_concat_forward(cat, t.A, t.C, LB, LA, LC);
            rg_linear_forward(ref, cat, t.W, t.b, LB, LA + LC, O);
            for (int i = 0; i < LB * O; i++) {
                RGT_NEAR(t.out[i], relu && ref[i] < 0.0f ? 0.0f : ref[i], 1e-5);
            }
            rg_linear2_backward_mt(dA, dC, dW, db, dpre, t.c, relu ? t.out : NULL, t.A, LA, t.C,
                                   LC, t.W, LB, O, threads);
            snprintf(name, sizeof name, "linear2 relu=%d %dt A", relu, threads);
            RGT_GRADCHECK(name, t.A, dA, LB * LA, linear2_loss, &t, &o);
            snprintf(name, sizeof name, "linear2 relu=%d %dt C", relu, threads);
            RGT_GRADCHECK(name, t.C, dC, LB * LC, linear2_loss, &t, &o);
            snprintf(name, sizeof name, "linear2 relu=%d %dt W", relu, threads);
            RGT_GRADCHECK(name, t.W, dW, O * (LA + LC), linear2_loss, &t, &o);
            snprintf(name, sizeof name, "linear2 relu=%d %dt b", relu, threads);
            RGT_GRADCHECK(name, t.b, db, O, linear2_loss, &t, &o);
        }
    }
}

/* ---- embedding ---- */

enum { NR = 6, ED = 5, EB = 7 };

typedef struct {
    float W[NR * ED], out[EB * ED], c[EB * ED];
    int32_t ids[EB];
} emb_ctx_t;

static double emb_loss(void *p) {
    emb_ctx_t *t = p;
    rg_embedding_forward(t->out, t->W, t->ids, EB, ED);
    return rgt_gc_dot(t->out, t->c, EB * ED);
}

static void test_embedding_repeated_ids(void **state) {
    (void) state;
    emb_ctx_t t = {.ids = {3, 1, 3, 0, 5, 3, 1}}; /* row 2 and 4 never looked up */
    float dW[NR * ED] = {0};
    rg_rng_t r;
    rgt_gc_opts_t o;
    rg_rng_init(&r, 21);
    rgt_gc_opts_default(&o);
    rgt_gc_fill(t.W, NR * ED, -1.0f, 1.0f, &r);
    rgt_gc_coeffs(t.c, EB * ED, 22);
    emb_loss(&t);
    rg_embedding_backward(dW, t.c, t.ids, EB, ED);
    RGT_GRADCHECK("embedding W", t.W, dW, NR * ED, emb_loss, &t, &o);
    for (int i = 0; i < ED; i++) {
        assert_true(dW[2 * ED + i] == 0.0f && dW[4 * ED + i] == 0.0f);
    }
}

/* ---- concat / split ---- */

enum { DA = 4, DB = 5 };

typedef struct {
    float a[B * DA], b[B * DB], cat[B * (DA + DB)], c[B * (DA + DB)];
    float sa[B * DA], sb[B * DB];
} cat_ctx_t;

static double concat_loss(void *p) {
    cat_ctx_t *t = p;
    rg_concat_forward(t->cat, t->a, t->b, B, DA, DB);
    return rgt_gc_dot(t->cat, t->c, B * (DA + DB));
}

/* split of cat into (sa, sb), reduced with the two halves of c */
static double split_loss(void *p) {
    cat_ctx_t *t = p;
    float ca[B * DA], cb[B * DB];
    rg_split_forward(t->sa, t->sb, t->cat, B, DA, DB);
    rg_split_forward(ca, cb, t->c, B, DA, DB);
    return rgt_gc_dot(t->sa, ca, B * DA) + rgt_gc_dot(t->sb, cb, B * DB);
}

static void test_concat_split_gradients(void **state) {
    (void) state;
    cat_ctx_t t;
    float da[B * DA] = {0}, db[B * DB] = {0}, dcat[B * (DA + DB)] = {0};
    float ca[B * DA], cb[B * DB];
    rg_rng_t r;
    rgt_gc_opts_t o;
    rg_rng_init(&r, 31);
    rgt_gc_opts_default(&o);
    rgt_gc_fill(t.a, B * DA, -2.0f, 2.0f, &r);
    rgt_gc_fill(t.b, B * DB, -2.0f, 2.0f, &r);
    rgt_gc_coeffs(t.c, B * (DA + DB), 32);
    concat_loss(&t);
    rg_concat_backward(da, db, t.c, B, DA, DB);
    RGT_GRADCHECK("concat a", t.a, da, B * DA, concat_loss, &t, &o);
    RGT_GRADCHECK("concat b", t.b, db, B * DB, concat_loss, &t, &o);

    split_loss(&t);
    rg_split_forward(ca, cb, t.c, B, DA, DB);
    rg_split_backward(dcat, ca, cb, B, DA, DB);
    RGT_GRADCHECK("split inp", t.cat, dcat, B * (DA + DB), split_loss, &t, &o);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_linear_sgemm_gradients),
        cmocka_unit_test(test_linear_naive_gradients),
        cmocka_unit_test(test_linear2_gradients),
        cmocka_unit_test(test_embedding_repeated_ids),
        cmocka_unit_test(test_concat_split_gradients),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
