/* test_optim.c: SGD with momentum, Adam / AdamW (dense and lazy sparse), learning-rate
 * schedules, and the optimizers' error paths. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "rg_test.h"

/* f(p) = sum_i a_i (p_i - t_i)^2 with different curvatures a_i */
enum { QN = 7 };
static const float qa[QN] = {0.3f, 1.0f, 2.7f, 5.0f, 0.05f, 9.0f, 1.6f};
static const float qt[QN] = {1.5f, -2.0f, 0.25f, 3.0f, -0.7f, 0.0f, 2.385f};

static double quad_grad(const float *p, float *g) {
    double f = 0.0;
    for (int i = 0; i < QN; i++) {
        f += qa[i] * (p[i] - qt[i]) * (p[i] - qt[i]);
        g[i] = 2.0f * qa[i] * (p[i] - qt[i]);
    }
    return f;
}

static void test_adam_minimises_quadratic(void **state) {
    (void) state;
    rg_adam_t a;
    float p[QN] = {0}, g[QN];
    RGT_OK(rg_adam_init(&a, QN, 0.9f, 0.999f, 1e-8f, 0.0f, RG_ADAM_L2));
    double f0 = quad_grad(p, g);
    rg_lr_schedule_t s;
    rg_lr_schedule_init(&s, 0.05f);
    s.kind = RG_LR_COSINE;
    s.lr_min = 1e-4f;
    s.total_steps = 3000;
    for (int it = 0; it < 3000; it++) {
        quad_grad(p, g);
        rg_adam_step(&a, p, g, rg_lr_at(&s, it));
    }
    double f1 = quad_grad(p, g);
    assert_int_equal(a.t, 3000);
    assert_true(f1 < 1e-6 * f0);
    for (int i = 0; i < QN; i++) {
        RGT_NEAR(p[i], qt[i], 2e-3);
    }
    rg_adam_free(&a);
}

static void test_sgd_momentum_hand_steps_and_convergence(void **state) {
    (void) state;
    rg_sgd_t s;
    float p[1] = {1.0f}, g[1] = {2.0f};
    RGT_OK(rg_sgd_init(&s, 1, 0.5f, 0.1f));
    /* g' = 2 + 0.1 * 1 = 2.1; vel = 2.1; p = 1 - 0.1 * 2.1 = 0.79 */
    rg_sgd_step(&s, p, g, 0.1f);
    RGT_NEAR(p[0], 0.79, 1e-6);
    /* g' = 2 + 0.079 = 2.079; vel = 1.05 + 2.079 = 3.129; p = 0.79 - 0.3129 = 0.4771 */
    rg_sgd_step(&s, p, g, 0.1f);
    RGT_NEAR(p[0], 0.4771, 1e-6);
    rg_sgd_free(&s);

    float q[QN] = {0}, gq[QN];
    RGT_OK(rg_sgd_init(&s, QN, 0.9f, 0.0f));
    for (int it = 0; it < 2000; it++) {
        quad_grad(q, gq);
        rg_sgd_step(&s, q, gq, 0.005f);
    }
    for (int i = 0; i < QN; i++) {
        RGT_NEAR(q[i], qt[i], 1e-2);
    }
    rg_sgd_free(&s);
    /* momentum 0 keeps no state */
    RGT_OK(rg_sgd_init(&s, QN, 0.0f, 0.0f));
    assert_null(s.vel);
    rg_sgd_free(&s);
}

static void test_adamw_decay_is_decoupled(void **state) {
    (void) state;
    rg_adam_t a, l2;
    float p[2] = {2.0f, -3.0f}, q[2] = {2.0f, -3.0f}, zero[2] = {0.0f, 0.0f};
    RGT_OK(rg_adam_init(&a, 2, 0.9f, 0.999f, 1e-8f, 0.1f, RG_ADAM_DECOUPLED));
    RGT_OK(rg_adam_init(&l2, 2, 0.9f, 0.999f, 1e-8f, 0.1f, RG_ADAM_L2));
    /* zero gradient: AdamW shrinks by exactly (1 - lr wd); the moment update is 0 / (0 + eps) */
    rg_adam_step(&a, p, zero, 0.01f);
    RGT_NEAR(p[0], 2.0 * (1.0 - 0.01 * 0.1), 1e-7);
    RGT_NEAR(p[1], -3.0 * (1.0 - 0.01 * 0.1), 1e-7);
    /* Adam + L2: the decay enters the moments, so the first step is ~ lr * sign(wd p) */
    rg_adam_step(&l2, q, zero, 0.01f);
    RGT_NEAR(q[0], 2.0 - 0.01, 1e-6);
    RGT_NEAR(q[1], -3.0 + 0.01, 1e-6);
    rg_adam_free(&a);
    rg_adam_free(&l2);
}

/* layout of the flat block: dense [0,5), table (6 rows x 3) at 5, dense [23,27) */
enum { SN = 27, TOFF = 5, TROWS = 6, TD = 3 };

static void fill_grads(float *g, uint64_t seed) {
    rg_rng_t r;
    rg_rng_init(&r, seed);
    for (int i = 0; i < SN; i++) {
        g[i] = 2.0f * rg_rng_uniformf(&r) - 1.0f;
    }
}

static void test_sparse_adam_leaves_untouched_rows(void **state) {
    (void) state;
    rg_adam_t sp, de;
    float p[SN], q[SN], g[SN];
    rg_rng_t r;
    rg_rng_init(&r, 5);
    for (int i = 0; i < SN; i++) {
        p[i] = q[i] = 2.0f * rg_rng_uniformf(&r) - 1.0f;
    }
    RGT_OK(rg_adam_init(&sp, SN, 0.9f, 0.999f, 1e-8f, 0.01f, RG_ADAM_DECOUPLED));
    RGT_OK(rg_adam_init(&de, SN, 0.9f, 0.999f, 1e-8f, 0.01f, RG_ADAM_DECOUPLED));
    float p0[SN];
    memcpy(p0, p, sizeof p);

    int32_t rows1[] = {1, 4};
    rg_sparse_rows_t tab = {TOFF, TROWS, TD, rows1, 2};
    fill_grads(g, 6);
    rg_adam_step_sparse(&sp, p, g, 0.05f, &tab, 1);
    rg_adam_step(&de, q, g, 0.05f);
    assert_int_equal(sp.t, 1);
    for (int i = 0; i < SN; i++) {
        int in_table = i >= TOFF && i < TOFF + TROWS * TD;
        int row = in_table ? (i - TOFF) / TD : -1;
        if (!in_table || row == 1 || row == 4) {
            assert_true(p[i] == q[i]);      /* same arithmetic as the dense step */
            assert_true(sp.m[i] == de.m[i] && sp.v[i] == de.v[i]);
        } else {
            assert_true(p[i] == p0[i]);     /* untouched: parameters and moments unchanged */
            assert_true(sp.m[i] == 0.0f && sp.v[i] == 0.0f);
        }
    }

    /* second step touches rows 0 and 1: row 4 keeps its step-1 value exactly */
    float p1[SN];
    memcpy(p1, p, sizeof p);
    int32_t rows2[] = {0, 1};
    tab.rows = rows2;
    fill_grads(g, 7);
    rg_adam_step_sparse(&sp, p, g, 0.05f, &tab, 1);
    rg_adam_step(&de, q, g, 0.05f);
    for (int k = 0; k < TD; k++) {
        int i4 = TOFF + 4 * TD + k, i1 = TOFF + 1 * TD + k, i3 = TOFF + 3 * TD + k;
        assert_true(p[i4] == p1[i4]);
        assert_true(p[i3] == p0[i3]);
        assert_true(p[i1] == q[i1]); /* touched both times: identical to dense Adam */
    }
    assert_true(p[0] == q[0] && p[SN - 1] == q[SN - 1]);
    rg_adam_free(&sp);
    rg_adam_free(&de);
}

static void test_sparse_adam_two_tables_and_gaps(void **state) {
    (void) state;
    /* two tables given out of offset order, a dense gap between them and none at the ends */
    enum { N = 2 * 3 + 4 + 3 * 2 };
    float p[N], q[N], g[N];
    rg_adam_t sp, de;
    for (int i = 0; i < N; i++) {
        p[i] = q[i] = 0.1f * (float) i - 0.4f;
        g[i] = 0.37f - 0.05f * (float) i;
    }
    int32_t all_a[] = {0, 1}, all_b[] = {0, 1, 2};
    rg_sparse_rows_t tabs[2] = {{10, 3, 2, all_b, 3}, {0, 2, 3, all_a, 2}};
    RGT_OK(rg_adam_init(&sp, N, 0.8f, 0.99f, 1e-6f, 0.0f, RG_ADAM_L2));
    RGT_OK(rg_adam_init(&de, N, 0.8f, 0.99f, 1e-6f, 0.0f, RG_ADAM_L2));
    /* every row listed: the sparse step must equal the dense one everywhere */
    rg_adam_step_sparse(&sp, p, g, 0.01f, tabs, 2);
    rg_adam_step(&de, q, g, 0.01f);
    assert_memory_equal(p, q, sizeof p);
    rg_adam_free(&sp);
    rg_adam_free(&de);
}

/* A step big enough for the threaded path (>= 65536 entries): the same bits with 1 and 2 threads,
 * and untouched rows left alone by both. */
static void test_sparse_adam_threads(void **state) {
    (void) state;
    enum { R = 3000, D = 32, DENSE = 5000, N = DENSE + R * D + 700 };
    float *p1 = malloc(N * sizeof *p1), *p2 = malloc(N * sizeof *p2), *g = malloc(N * sizeof *g);
    int32_t *rows = malloc(R * sizeof *rows);
    assert_non_null(p1);
    assert_non_null(p2);
    assert_non_null(g);
    assert_non_null(rows);
    rg_rng_t r;
    rg_rng_init(&r, 8);
    for (int i = 0; i < N; i++) {
        p1[i] = p2[i] = rg_rng_uniformf(&r) - 0.5f;
        g[i] = 2.0f * rg_rng_uniformf(&r) - 1.0f;
    }
    int64_t n_rows = 0;
    for (int i = 0; i < R; i++) {
        if (i % 7 != 3) {
            rows[n_rows++] = i;
        }
    }
    rg_sparse_rows_t tab = {DENSE, R, D, rows, n_rows};
    rg_adam_t a1, a2;
    RGT_OK(rg_adam_init(&a1, N, 0.9f, 0.999f, 1e-8f, 0.01f, RG_ADAM_L2));
    RGT_OK(rg_adam_init(&a2, N, 0.9f, 0.999f, 1e-8f, 0.01f, RG_ADAM_L2));
    a2.n_threads = 2;
    for (int step = 0; step < 3; step++) {
        rg_adam_step_sparse(&a1, p1, g, 0.01f, &tab, 1);
        rg_adam_step_sparse(&a2, p2, g, 0.01f, &tab, 1);
    }
    assert_memory_equal(p1, p2, N * sizeof *p1);
    rg_rng_init(&r, 8);
    for (int i = 0; i < N; i++) {
        float p0 = rg_rng_uniformf(&r) - 0.5f;
        (void) rg_rng_uniformf(&r);
        int row = i >= DENSE && i < DENSE + R * D ? (i - DENSE) / D : -1;
        if (row >= 0 && row % 7 == 3) {
            assert_true(p1[i] == p0); /* an untouched row */
        } else {
            assert_true(p1[i] != p0);
        }
    }
    rg_adam_free(&a1);
    rg_adam_free(&a2);
    free(p1);
    free(p2);
    free(g);
    free(rows);
}

static void test_lr_schedules(void **state) {
    (void) state;
    rg_lr_schedule_t s;
    rg_lr_schedule_init(&s, 0.1f);
    RGT_NEAR(rg_lr_at(&s, 0), 0.1, 1e-8);
    RGT_NEAR(rg_lr_at(&s, 12345), 0.1, 1e-8);
    s.kind = RG_LR_STEP;
    s.gamma = 0.5f;
    s.step_size = 10;
    RGT_NEAR(rg_lr_at(&s, 9), 0.1, 1e-8);
    RGT_NEAR(rg_lr_at(&s, 10), 0.05, 1e-8);
    RGT_NEAR(rg_lr_at(&s, 25), 0.025, 1e-8);
    s.kind = RG_LR_COSINE;
    s.lr_min = 0.01f;
    s.total_steps = 100;
    RGT_NEAR(rg_lr_at(&s, 0), 0.1, 1e-7);
    RGT_NEAR(rg_lr_at(&s, 50), 0.055, 1e-7);
    RGT_NEAR(rg_lr_at(&s, 100), 0.01, 1e-7);
    RGT_NEAR(rg_lr_at(&s, 500), 0.01, 1e-7);
    s.warmup_steps = 4;
    RGT_NEAR(rg_lr_at(&s, 0), 0.1 * 0.25, 1e-7);
    rg_lr_schedule_t nowarm = s;
    nowarm.warmup_steps = 0;
    RGT_NEAR(rg_lr_at(&s, 1), 0.5 * rg_lr_at(&nowarm, 1), 1e-8);
    RGT_NEAR(rg_lr_at(&s, 3), rg_lr_at(&nowarm, 3), 0.0); /* ramp ends at (3+1)/4 = 1 */
}

static void test_optimizer_errors(void **state) {
    (void) state;
    rg_adam_t a;
    rg_sgd_t s;
    assert_int_equal(rg_adam_init(&a, 0, 0.9f, 0.999f, 1e-8f, 0.0f, RG_ADAM_L2), RG_EINVAL);
    assert_non_null(strstr(rg_last_error_message(), "n must be > 0"));
    assert_int_equal(rg_adam_init(&a, 4, 1.0f, 0.999f, 1e-8f, 0.0f, RG_ADAM_L2), RG_EINVAL);
    assert_non_null(strstr(rg_last_error_message(), "beta1"));
    assert_int_equal(rg_adam_init(&a, 4, 0.9f, 0.999f, 0.0f, 0.0f, RG_ADAM_L2), RG_EINVAL);
    assert_non_null(strstr(rg_last_error_message(), "eps"));
    assert_int_equal(rg_adam_init(&a, 4, 0.9f, 0.999f, 1e-8f, -1.0f, RG_ADAM_L2), RG_EINVAL);
    assert_int_equal(rg_adam_init(&a, 4, 0.9f, 0.999f, 1e-8f, 0.0f, (rg_adam_decay_t) 7),
                     RG_EINVAL);
    /* the second allocation (v) fails: m is released and the struct left zeroed */
    rg_fail_alloc_after(2);
    assert_int_equal(rg_adam_init(&a, 4, 0.9f, 0.999f, 1e-8f, 0.0f, RG_ADAM_L2), RG_ENOMEM);
    rg_fail_alloc_after(0);
    assert_non_null(strstr(rg_last_error_message(), "second moments"));
    assert_null(a.m);
    assert_null(a.v);
    rg_adam_free(&a);
    assert_int_equal(rg_sgd_init(&s, 3, 1.0f, 0.0f), RG_EINVAL);
    assert_non_null(strstr(rg_last_error_message(), "momentum"));
    rg_fail_alloc_after(1);
    assert_int_equal(rg_sgd_init(&s, 3, 0.9f, 0.0f), RG_ENOMEM);
    rg_fail_alloc_after(0);
    rg_sgd_free(&s);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_adam_minimises_quadratic),
        cmocka_unit_test(test_sgd_momentum_hand_steps_and_convergence),
        cmocka_unit_test(test_adamw_decay_is_decoupled),
        cmocka_unit_test(test_sparse_adam_leaves_untouched_rows),
        cmocka_unit_test(test_sparse_adam_two_tables_and_gaps),
        cmocka_unit_test(test_sparse_adam_threads),
        cmocka_unit_test(test_lr_schedules),
        cmocka_unit_test(test_optimizer_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
