/* test_nn.c: forward values and invariants of the nn core (gradients are in tests/gradcheck):
 * sgemm vs naive linear, backward accumulation, cell forwards against scalar references,
 * parameter helpers, stable activations and losses at extreme inputs, dropout statistics,
 * message-passing forward against hand values, the CSR transpose and its error paths, and
 * thread-count independence of the aggregation. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "rg_test.h"

static float *fvec(size_t n) {
    float *p = calloc(n ? n : 1, sizeof *p);
    assert_non_null(p);
    return p;
}

static void fill(float *x, size_t n, float lo, float hi, rg_rng_t *r) {
    for (size_t i = 0; i < n; i++) {
        x[i] = lo + (hi - lo) * rg_rng_uniformf(r);
    }
}

/* max |a-b| / (1 + |b|) */
static double max_rel_diff(const float *a, const float *b, size_t n) {
    double m = 0.0;
    for (size_t i = 0; i < n; i++) {
        double d = fabs((double) a[i] - (double) b[i]) / (1.0 + fabs((double) b[i]));
        m = d > m ? d : m;
    }
    return m;
}

/* ---- linear ---- */

static void test_linear_sgemm_matches_naive(void **state) {
    (void) state;
    enum { B = 37, D = 19, O = 23 };
    rg_rng_t r;
    float *inp = fvec(B * D), *W = fvec(O * D), *b = fvec(O), *dout = fvec(B * O);
    float *o1 = fvec(B * O), *o2 = fvec(B * O);
    float *di1 = fvec(B * D), *di2 = fvec(B * D), *dW1 = fvec(O * D), *dW2 = fvec(O * D);
    float *db1 = fvec(O), *db2 = fvec(O);
    rg_rng_init(&r, 1);
    fill(inp, B * D, -1.7f, 1.3f, &r);
    fill(W, O * D, -0.6f, 0.9f, &r);
    fill(b, O, -0.3f, 0.3f, &r);
    fill(dout, B * O, -1.0f, 1.0f, &r);
    rg_linear_forward(o1, inp, W, b, B, D, O);
    rg_linear_forward_naive(o2, inp, W, b, B, D, O);
    assert_true(max_rel_diff(o1, o2, B * O) < 1e-5);
    rg_linear_forward(o1, inp, W, NULL, B, D, O);
    rg_linear_forward_naive(o2, inp, W, NULL, B, D, O);
    assert_true(max_rel_diff(o1, o2, B * O) < 1e-5);
    rg_linear_backward(di1, dW1, db1, dout, inp, W, B, D, O);
    rg_linear_backward_naive(di2, dW2, db2, dout, inp, W, B, D, O);
    assert_true(max_rel_diff(di1, di2, B * D) < 1e-5);
    assert_true(max_rel_diff(dW1, dW2, O * D) < 1e-5);
    assert_true(max_rel_diff(db1, db2, O) < 1e-5);
    /* backward accumulates: a second call doubles every gradient */
    rg_linear_backward(di1, dW1, db1, dout, inp, W, B, D, O);
    for (int i = 0; i < O * D; i++) {
        dW2[i] *= 2.0f;
    }
    assert_true(max_rel_diff(dW1, dW2, O * D) < 1e-5);
    /* NULL gradients are skipped (no crash, nothing written) */
    rg_linear_backward(NULL, NULL, NULL, dout, inp, W, B, D, O);
    float *bufs[] = {inp, W, b, dout, o1, o2, di1, di2, dW1, dW2, db1, db2};
    for (size_t i = 0; i < sizeof bufs / sizeof *bufs; i++) {
        free(bufs[i]);
    }
}

/* ---- cells against scalar references (double, written from the formulas in nn.h) ---- */

enum { CB = 2, CD = 3, CH = 4 };

static double dsig(double x) { return 1.0 / (1.0 + exp(-x)); }

/* row g of (W x + U h + b) for batch row r */
static double pre(const float *W, const float *U, const float *bb, const float *x,
                  const float *h, int g, int r) {
    double s = bb ? bb[g] : 0.0;
    for (int i = 0; i < CD; i++) {
        s += (double) W[g * CD + i] * x[r * CD + i];
    }
    for (int i = 0; h && i < CH; i++) {
        s += (double) U[g * CH + i] * h[r * CH + i];
    }
    return s;
}

static void test_cells_match_scalar_reference(void **state) {
    (void) state;
    rg_rng_t r;
    float Wx[4 * CH * CD], Wh[4 * CH * CH], b[4 * CH], bh[3 * CH], x[CB * CD];
    float hp[CB * CH], cp[CB * CH], h[CB * CH], c[CB * CH];
    float cache[CB * 6 * CH];
    rg_rng_init(&r, 2);
    fill(Wx, sizeof Wx / sizeof *Wx, -1, 1, &r);
    fill(Wh, sizeof Wh / sizeof *Wh, -1, 1, &r);
    fill(b, 4 * CH, -1, 1, &r);
    fill(bh, 3 * CH, -1, 1, &r);
    fill(x, CB * CD, -1, 1, &r);
    fill(hp, CB * CH, -1, 1, &r);
    fill(cp, CB * CH, -1, 1, &r);

    rg_rnn_cell_forward(h, x, hp, Wx, Wh, b, CB, CD, CH);
    for (int rr = 0; rr < CB; rr++) {
        for (int k = 0; k < CH; k++) {
            RGT_NEAR(h[rr * CH + k], tanh(pre(Wx, Wh, b, x, hp, k, rr)), 1e-5);
        }
    }

    rg_lstm_cell_forward(h, c, cache, x, hp, cp, Wx, Wh, b, CB, CD, CH);
    for (int rr = 0; rr < CB; rr++) {
        for (int k = 0; k < CH; k++) {
            double i = dsig(pre(Wx, Wh, b, x, hp, k, rr));
            double f = dsig(pre(Wx, Wh, b, x, hp, CH + k, rr));
            double g = tanh(pre(Wx, Wh, b, x, hp, 2 * CH + k, rr));
            double o = dsig(pre(Wx, Wh, b, x, hp, 3 * CH + k, rr));
            double cc = f * cp[rr * CH + k] + i * g;
            RGT_NEAR(c[rr * CH + k], cc, 1e-5);
            RGT_NEAR(h[rr * CH + k], o * tanh(cc), 1e-5);
        }
    }

    rg_gru_cell_forward(h, cache, x, hp, Wx, Wh, b, bh, CB, CD, CH);
    for (int rr = 0; rr < CB; rr++) {
        for (int k = 0; k < CH; k++) {
            double xr = pre(Wx, NULL, b, x, NULL, k, rr);
            double xz = pre(Wx, NULL, b, x, NULL, CH + k, rr);
            double xn = pre(Wx, NULL, b, x, NULL, 2 * CH + k, rr);
            double hr = bh[k], hz = bh[CH + k], hn = bh[2 * CH + k];
            for (int i = 0; i < CH; i++) {
                hr += (double) Wh[k * CH + i] * hp[rr * CH + i];
                hz += (double) Wh[(CH + k) * CH + i] * hp[rr * CH + i];
                hn += (double) Wh[(2 * CH + k) * CH + i] * hp[rr * CH + i];
            }
            double rg = dsig(xr + hr), z = dsig(xz + hz), n = tanh(xn + rg * hn);
            RGT_NEAR(h[rr * CH + k], (1 - z) * n + z * hp[rr * CH + k], 1e-5);
        }
    }
}

static void test_bilinear_matches_reference(void **state) {
    (void) state;
    enum { B = 3, K = 5 };
    float u[B * K], v[B * K], Q[K * K], Qv[B * K], s[B], sd[B];
    rg_rng_t r;
    rg_rng_init(&r, 3);
    fill(u, B * K, -1, 1, &r);
    fill(v, B * K, -1, 1, &r);
    fill(Q, K * K, -1, 1, &r);
    rg_bilinear_decoder_forward(s, Qv, u, v, Q, B, K);
    rg_dot_decoder_forward(sd, u, v, B, K);
    for (int b = 0; b < B; b++) {
        double ref = 0.0, dref = 0.0;
        for (int i = 0; i < K; i++) {
            dref += (double) u[b * K + i] * v[b * K + i];
            for (int j = 0; j < K; j++) {
                ref += (double) u[b * K + i] * Q[i * K + j] * v[b * K + j];
            }
        }
        RGT_NEAR(s[b], ref, 1e-5);
        RGT_NEAR(sd[b], dref, 1e-5);
    }
}

/* ---- parameter helpers ---- */

static void test_init_bounds_and_determinism(void **state) {
    (void) state;
    enum { N = 4000 };
    float *a = fvec(N), *b = fvec(N);
    rg_rng_t r1, r2;
    double bound = sqrt(6.0 / (30 + 50)), mean = 0.0;
    rg_rng_init(&r1, 7);
    rg_rng_init(&r2, 7);
    rg_param_init_xavier(a, N, 30, 50, &r1);
    rg_param_init_xavier(b, N, 30, 50, &r2);
    assert_memory_equal(a, b, N * sizeof *a);
    float mx = 0.0f;
    for (int i = 0; i < N; i++) {
        assert_true(fabs(a[i]) <= bound);
        mx = fabsf(a[i]) > mx ? fabsf(a[i]) : mx;
        mean += a[i];
    }
    assert_true(mx > 0.9 * bound);           /* the range is actually used */
    assert_true(fabs(mean / N) < 0.05 * bound);
    rg_param_init_he(a, N, 24, &r1);
    for (int i = 0; i < N; i++) {
        assert_true(fabs(a[i]) <= sqrt(6.0 / 24));
    }
    rg_param_zero(a, N);
    for (int i = 0; i < N; i++) {
        assert_true(a[i] == 0.0f);
    }
    free(a);
    free(b);
}

static void test_clip_norm(void **state) {
    (void) state;
    float g[3] = {3.0f, 0.0f, -4.0f};
    assert_float_equal(rg_grad_clip_norm(g, 3, 0.0f), 5.0f, 1e-6f);
    assert_float_equal(g[0], 3.0f, 0.0f); /* max_norm 0: untouched */
    assert_float_equal(rg_grad_clip_norm(g, 3, 10.0f), 5.0f, 1e-6f);
    assert_float_equal(g[2], -4.0f, 0.0f); /* below the limit: untouched */
    assert_float_equal(rg_grad_clip_norm(g, 3, 2.5f), 5.0f, 1e-6f);
    assert_float_equal(g[0], 1.5f, 1e-6f);
    assert_float_equal(g[2], -2.0f, 1e-6f);
    assert_float_equal(rg_grad_clip_norm(g, 3, 0.0f), 2.5f, 1e-6f);
}

static void test_ids_unique_and_zero_rows(void **state) {
    (void) state;
    int32_t ids[] = {5, 3, 5, 1, 3, 3, 0};
    assert_int_equal(rg_ids_unique(ids, 7), 4);
    assert_int_equal(ids[0], 0);
    assert_int_equal(ids[1], 1);
    assert_int_equal(ids[2], 3);
    assert_int_equal(ids[3], 5);
    assert_int_equal(rg_ids_unique(ids, 0), 0);
    float g[6 * 2];
    for (int i = 0; i < 12; i++) {
        g[i] = 1.5f;
    }
    int32_t rows[] = {4, 1, 4};
    rg_grad_zero_rows(g, 2, rows, 3);
    for (int i = 0; i < 6; i++) {
        float want = (i == 1 || i == 4) ? 0.0f : 1.5f;
        assert_true(g[2 * i] == want && g[2 * i + 1] == want);
    }
}

/* ---- activations, dropout, losses at extremes ---- */

static void test_activations_stable_at_extremes(void **state) {
    (void) state;
    float x[6] = {-1000.0f, -90.0f, -0.0f, 0.0f, 90.0f, 1000.0f}, y[6], d[6] = {0};
    float one[6] = {1, 1, 1, 1, 1, 1};
    rg_sigmoid_forward(y, x, 6);
    assert_true(y[0] == 0.0f && y[5] == 1.0f);
    assert_float_equal(y[3], 0.5f, 0.0f);
    for (int i = 0; i < 6; i++) {
        assert_false(isnan(y[i]));
    }
    rg_sigmoid_backward(d, one, y, 6);
    assert_float_equal(d[3], 0.25f, 1e-7f);
    rg_tanh_forward(y, x, 6);
    assert_true(y[0] == -1.0f && y[5] == 1.0f);
    rg_relu_forward(x, x, 6); /* in place */
    assert_true(x[0] == 0.0f && x[5] == 1000.0f);
}

static void test_dropout_statistics(void **state) {
    (void) state;
    enum { N = 20000 };
    float *x = fvec(N), *y = fvec(N), *y2 = fvec(N);
    uint8_t *m = malloc(N), *m2 = malloc(N);
    rg_rng_t r, r2;
    assert_non_null(m);
    assert_non_null(m2);
    for (int i = 0; i < N; i++) {
        x[i] = 2.385f;
    }
    rg_rng_init(&r, 9);
    rg_dropout_forward(y, m, x, N, 0.0f, &r);
    assert_memory_equal(x, y, N * sizeof *x);
    rg_rng_init(&r, 9);
    rg_rng_init(&r2, 9);
    rg_dropout_forward(y, m, x, N, 0.3f, &r);
    rg_dropout_forward(y2, m2, x, N, 0.3f, &r2);
    assert_memory_equal(m, m2, N); /* same seed, same mask */
    double kept = 0.0, mean = 0.0;
    for (int i = 0; i < N; i++) {
        kept += m[i];
        mean += y[i];
    }
    /* keep rate 0.7 +- 4 sigma (sigma = sqrt(0.21 / N) ~ 0.0032); inverted scaling keeps E[y] */
    assert_true(fabs(kept / N - 0.7) < 0.013);
    assert_true(fabs(mean / N - 2.385) < 0.05);
    free(x);
    free(y);
    free(y2);
    free(m);
    free(m2);
}

static void test_losses_hand_values_and_extremes(void **state) {
    (void) state;
    float p[2] = {1.0f, 2.0f}, t[2] = {0.0f, 0.0f}, d[2] = {0};
    RGT_NEAR(rg_loss_mse(d, p, t, NULL, 2, 2.0), 2.5, 1e-12);
    RGT_NEAR(d[1], 2.0, 1e-6); /* 2 * 2 / 2 */

    float x[4] = {0.0f, 100.0f, -100.0f, 0.0f}, tt[4] = {1.0f, 0.0f, 1.0f, 0.5f}, dx[4] = {0};
    double L = rg_loss_bce_logits(dx, x, tt, NULL, 4, 1.0);
    RGT_NEAR(L, log(2.0) + 100.0 + 100.0 + log(2.0), 1e-9);
    RGT_NEAR(dx[1], 1.0, 1e-6);
    RGT_NEAR(dx[2], -1.0, 1e-6);
    RGT_NEAR(dx[3], 0.0, 1e-7);

    float sp[2] = {0.0f, -50.0f}, sn[2] = {0.0f, 0.0f}, dp[2] = {0}, dn[2] = {0};
    RGT_NEAR(rg_loss_bpr(dp, dn, sp, sn, 2, 1.0), log(2.0) + 50.0, 1e-9);
    RGT_NEAR(dp[0], -0.5, 1e-7);
    RGT_NEAR(dn[1], 1.0, 1e-7);

    float lg[2 * 4] = {1.5f, 1.5f, 1.5f, 1.5f, 1000.0f, 0.0f, 0.0f, 1000.0f};
    int32_t cls[2] = {2, 1};
    float dl[8] = {0};
    L = rg_loss_softmax_xent(dl, lg, cls, 2, 4, 2.0);
    RGT_NEAR(L, (log(4.0) + (1000.0 + log(2.0))) / 2.0, 1e-9);
    RGT_NEAR(dl[2], (0.25 - 1.0) / 2.0, 1e-7);
    RGT_NEAR(dl[4], 0.25, 1e-7);
    for (int i = 0; i < 8; i++) {
        assert_false(isnan(dl[i]));
    }
    /* sampled softmax: a constant log-q shift cancels */
    float s[3] = {0.3f, -1.2f, 2.0f}, lq[3] = {-2.0f, -2.0f, -2.0f};
    RGT_NEAR(rg_loss_sampled_softmax(NULL, s, lq, 1, 3, 1.0),
             rg_loss_sampled_softmax(NULL, s, NULL, 1, 3, 1.0), 1e-12);
    int32_t zero = 0;
    RGT_NEAR(rg_loss_sampled_softmax(NULL, s, NULL, 1, 3, 1.0),
             rg_loss_softmax_xent(NULL, s, &zero, 1, 3, 1.0), 1e-12);
}

/* ---- message passing ---- */

/* 4 dst rows over 3 sources, row 2 empty, D = 2 */
static const int64_t tptr[] = {0, 2, 5, 5, 6};
static const int32_t tidx[] = {0, 2, 1, 0, 2, 1};
static const float tw[] = {2.0f, 1.0f, 1.0f, 3.0f, 4.0f, 0.5f};
static const float tX[] = {1.0f, -2.0f, 3.0f, 5.0f, -1.0f, 4.0f};

static void test_mp_forward_hand_values(void **state) {
    (void) state;
    rg_mp_csr_t g = {tptr, tidx, tw, NULL, 4, 3};
    float out[8], scale[4];
    int32_t am[8];
    rg_mp_aggregate_forward(out, scale, NULL, tX, &g, 2, RG_AGG_SUM, 1);
    float sum[] = {0, 2, 3, 7, 0, 0, 3, 5};
    assert_memory_equal(out, sum, sizeof sum);
    rg_mp_aggregate_forward(out, scale, NULL, tX, &g, 2, RG_AGG_MEAN, 1);
    RGT_NEAR(out[0], 0.0, 1e-7);
    RGT_NEAR(out[1], 1.0, 1e-7);
    RGT_NEAR(out[2], 1.0, 1e-6);
    RGT_NEAR(out[3], 7.0 / 3.0, 1e-6);
    RGT_NEAR(scale[2], 0.0, 0.0);
    RGT_NEAR(out[4], 0.0, 0.0);
    rg_mp_aggregate_forward(out, scale, NULL, tX, &g, 2, RG_AGG_WSUM, 1);
    RGT_NEAR(out[0], 2.0 * 1 + 1.0 * -1, 1e-6);
    RGT_NEAR(out[3], 1.0 * 5 + 3.0 * -2 + 4.0 * 4, 1e-6);
    rg_mp_aggregate_forward(out, scale, NULL, tX, &g, 2, RG_AGG_WMEAN, 1);
    RGT_NEAR(out[2], (1.0 * 3 + 3.0 * 1 + 4.0 * -1) / 8.0, 1e-6);
    RGT_NEAR(scale[1], 1.0 / 8.0, 1e-7);
    RGT_NEAR(out[6], 3.0, 1e-6);
    rg_mp_aggregate_forward(out, scale, am, tX, &g, 2, RG_AGG_MAX, 1);
    float mx[] = {1, 4, 3, 5, 0, 0, 3, 5};
    int32_t amx[] = {0, 1, 0, 0, -1, -1, 0, 0};
    assert_memory_equal(out, mx, sizeof mx);
    assert_memory_equal(am, amx, sizeof amx);
    /* weights through an edge-id indirection: entry j uses w[eid[j]] */
    static const int64_t eid[] = {5, 4, 3, 2, 1, 0};
    rg_mp_csr_t ge = {tptr, tidx, tw, eid, 4, 3};
    rg_mp_aggregate_forward(out, scale, NULL, tX, &ge, 2, RG_AGG_WSUM, 1);
    RGT_NEAR(out[0], 0.5 * 1 + 4.0 * -1, 1e-6);
}

static void test_mp_transpose_and_errors(void **state) {
    (void) state;
    rg_mp_csr_t g = {tptr, tidx, NULL, NULL, 4, 3};
    rg_mp_transpose_t t;
    RGT_OK(rg_mp_transpose_init(&t, &g));
    int64_t want_ptr[] = {0, 2, 4, 6};
    int32_t want_dst[] = {0, 1, 1, 3, 0, 1};
    int64_t want_pos[] = {0, 3, 2, 5, 1, 4};
    assert_memory_equal(t.ptr, want_ptr, sizeof want_ptr);
    assert_memory_equal(t.dst, want_dst, sizeof want_dst);
    assert_memory_equal(t.pos, want_pos, sizeof want_pos);
    assert_int_equal(t.nnz, 6);
    rg_mp_transpose_free(&t);
    rg_mp_transpose_free(&t); /* safe on a zeroed struct */

    static const int32_t bad_idx[] = {0, 2, 1, 0, 3, 1};
    rg_mp_csr_t gb = {tptr, bad_idx, NULL, NULL, 4, 3};
    assert_int_equal(rg_mp_transpose_init(&t, &gb), RG_ERANGE);
    assert_non_null(strstr(rg_last_error_message(), "entry 4"));
    static const int64_t bad_ptr[] = {0, 2, 1, 5, 6};
    rg_mp_csr_t gp = {bad_ptr, tidx, NULL, NULL, 4, 3};
    assert_int_equal(rg_mp_transpose_init(&t, &gp), RG_EINVAL);
    assert_non_null(strstr(rg_last_error_message(), "dst row 1"));
    rg_fail_alloc_after(1);
    assert_int_equal(rg_mp_transpose_init(&t, &g), RG_ENOMEM);
    rg_fail_alloc_after(0);
    assert_null(t.ptr);
    rg_mp_transpose_free(&t);
}

static void test_mp_thread_count_independent(void **state) {
    (void) state;
    enum { ND = 700, NS = 300, DD = 8 };
    rg_rng_t r;
    int64_t *ptr = calloc(ND + 1, sizeof *ptr);
    int32_t *idx = calloc((size_t) ND * 40, sizeof *idx);
    float *w = fvec((size_t) ND * 40), *X = fvec(NS * DD), *dout = fvec(ND * DD);
    float *o1 = fvec(ND * DD), *o2 = fvec(ND * DD), *sc = fvec(ND);
    int32_t *am = calloc(ND * DD, sizeof *am);
    assert_non_null(ptr);
    assert_non_null(idx);
    assert_non_null(am);
    rg_rng_init(&r, 11);
    for (int d = 0; d < ND; d++) {
        int deg = (int) rg_rng_below(&r, 40); /* skewed-ish, some empty rows */
        ptr[d + 1] = ptr[d] + deg;
        for (int64_t j = ptr[d]; j < ptr[d + 1]; j++) {
            idx[j] = (int32_t) rg_rng_below(&r, NS);
            w[j] = 1.0f + (float) rg_rng_below(&r, 5);
        }
    }
    fill(X, NS * DD, -1, 1, &r);
    fill(dout, ND * DD, -1, 1, &r);
    rg_mp_csr_t g = {ptr, idx, w, NULL, ND, NS};
    rg_mp_transpose_t t;
    RGT_OK(rg_mp_transpose_init(&t, &g));
    for (int a = RG_AGG_SUM; a <= RG_AGG_MAX; a++) {
        rg_mp_aggregate_forward(o1, sc, am, X, &g, DD, (rg_agg_t) a, 1);
        rg_mp_aggregate_forward(o2, sc, am, X, &g, DD, (rg_agg_t) a, 2);
        assert_memory_equal(o1, o2, ND * DD * sizeof *o1);
        float *ref = NULL;
        for (int mode = 0; mode < 4; mode++) {
            float *dX = fvec(NS * DD);
            rg_mp_aggregate_backward(dX, dout, sc, am, &g, mode < 2 ? &t : NULL, DD,
                                     (rg_agg_t) a, mode % 2 ? 2 : 1);
            if (!ref) {
                ref = dX;
            } else {
                /* same per-row summation order in every mode: bitwise equal */
                assert_memory_equal(ref, dX, NS * DD * sizeof *dX);
                free(dX);
            }
        }
        free(ref);
    }
    rg_mp_transpose_free(&t);
    free(ptr);
    free(idx);
    free(w);
    free(X);
    free(dout);
    free(o1);
    free(o2);
    free(sc);
    free(am);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_linear_sgemm_matches_naive),
        cmocka_unit_test(test_cells_match_scalar_reference),
        cmocka_unit_test(test_bilinear_matches_reference),
        cmocka_unit_test(test_init_bounds_and_determinism),
        cmocka_unit_test(test_clip_norm),
        cmocka_unit_test(test_ids_unique_and_zero_rows),
        cmocka_unit_test(test_activations_stable_at_extremes),
        cmocka_unit_test(test_dropout_statistics),
        cmocka_unit_test(test_losses_hand_values_and_extremes),
        cmocka_unit_test(test_mp_forward_hand_values),
        cmocka_unit_test(test_mp_transpose_and_errors),
        cmocka_unit_test(test_mp_thread_count_independent),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
