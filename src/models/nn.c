/* nn.c: parameter helpers and layers with hand-written backward passes (see nn.h).
 *
 * Dense products go through CBLAS sgemm (OpenBLAS); everything else is plain loops that the
 * compiler can vectorise.  No OpenMP here: the batch-level parallelism is OpenBLAS's, and the
 * elementwise loops are memory-bound.  Every backward accumulates into its d* buffers and skips
 * the ones that are NULL.  Nothing here allocates or fails.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cblas.h>

#include "core/parallel.h"
#include "reelgraph/nn.h"

/* ---- parameter helpers ---- */

void rg_param_init_uniform(float *p, size_t n, float bound, rg_rng_t *r) {
    for (size_t i = 0; i < n; i++) {
        p[i] = (2.0f * rg_rng_uniformf(r) - 1.0f) * bound;
    }
}

void rg_param_init_xavier(float *p, size_t n, int fan_in, int fan_out, rg_rng_t *r) {
    int fans = fan_in + fan_out;
    float bound = fans > 0 ? (float) sqrt(6.0 / (double) fans) : 0.0f;
    rg_param_init_uniform(p, n, bound, r);
}

void rg_param_init_he(float *p, size_t n, int fan_in, rg_rng_t *r) {
    float bound = fan_in > 0 ? (float) sqrt(6.0 / (double) fan_in) : 0.0f;
    rg_param_init_uniform(p, n, bound, r);
}

void rg_param_zero(float *p, size_t n) {
    if (n > 0) {
        memset(p, 0, n * sizeof *p);
    }
}

void rg_grad_zero_rows(float *g, int D, const int32_t *rows, int64_t n_rows) {
    for (int64_t i = 0; i < n_rows; i++) {
        memset(g + (size_t) rows[i] * (size_t) D, 0, (size_t) D * sizeof *g);
    }
}

float rg_grad_clip_norm(float *g, size_t n, float max_norm) {
    double ss = 0.0;
    for (size_t i = 0; i < n; i++) {
        ss += (double) g[i] * (double) g[i];
    }
    double norm = sqrt(ss);
    if (max_norm > 0.0f && norm > (double) max_norm) {
        float s = (float) ((double) max_norm / norm);
        for (size_t i = 0; i < n; i++) {
            g[i] *= s;
        }
    }
    return (float) norm;
}

static int rg_i_cmp_i32(const void *a, const void *b) {
    int32_t x = *(const int32_t *) a, y = *(const int32_t *) b;
    return (x > y) - (x < y);
}

int64_t rg_ids_unique(int32_t *ids, int64_t n) {
    if (n <= 1) {
        return n < 0 ? 0 : n;
    }
    qsort(ids, (size_t) n, sizeof *ids, rg_i_cmp_i32);
    int64_t k = 1;
    for (int64_t i = 1; i < n; i++) {
        if (ids[i] != ids[k - 1]) {
            ids[k++] = ids[i];
        }
    }
    return k;
}

/* ---- linear ---- */

/* Column sums of dout (B,O) added to db (O): the bias gradient of every affine layer. */
static void rg_i_bias_backward(float *db, const float *dout, int B, int O, int ld) {
    for (int b = 0; b < B; b++) {
        const float *dout_b = dout + (size_t) b * (size_t) ld;
        for (int o = 0; o < O; o++) {
            db[o] += dout_b[o];
        }
    }
}

/* out (B,O) with row stride ldo = inp @ W^T + b (b may be NULL), beta = 0; W's rows have
 * stride ldw >= D (W may be the first D columns of a wider matrix). */
static void rg_i_affine(float *out, int ldo, const float *inp, const float *W, const float *b,
                        int B, int D, int O, int ldw) {
    if (B <= 0 || O <= 0) {
        return;
    }
    for (int r = 0; r < B; r++) {
        float *out_r = out + (size_t) r * (size_t) ldo;
        if (b) {
            memcpy(out_r, b, (size_t) O * sizeof *out_r);
        } else {
            memset(out_r, 0, (size_t) O * sizeof *out_r);
        }
    }
    if (D > 0) {
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, B, O, D, 1.0f, inp, D, W, ldw, 1.0f,
                    out, ldo);
    }
}

void rg_linear_forward(float *out, const float *inp, const float *W, const float *b, int B,
                       int D, int O) {
    rg_i_affine(out, O, inp, W, b, B, D, O, D);
}

void rg_linear_backward(float *dinp, float *dW, float *db, const float *dout, const float *inp,
                        const float *W, int B, int D, int O) {
    if (B <= 0 || O <= 0) {
        return;
    }
    /* forward was: out = inp @ W^T + b */
    if (dinp && D > 0) {
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, B, D, O, 1.0f, dout, O, W, D,
                    1.0f, dinp, D);
    }
    if (dW && D > 0) {
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, O, D, B, 1.0f, dout, O, inp, D,
                    1.0f, dW, D);
    }
    if (db) {
        rg_i_bias_backward(db, dout, B, O, O);
    }
}

/* The rows (forward, dinp) or the output units (dW, db) part [lo, hi) of n over thread tid of
 * nthr: each thread's share of a split product. */
static void rg_i_share(int n, int tid, int nthr, int *lo, int *hi) {
    *lo = (int) ((int64_t) n * tid / nthr);
    *hi = (int) ((int64_t) n * (tid + 1) / nthr);
}

void rg_linear2_forward_mt(float *out, const float *A, int DA, const float *C, int DC,
                           const float *W, const float *b, int B, int O, int relu,
                           int n_threads) {
    int nt = B < 2 * rg_i_threads(n_threads) ? 1 : rg_i_threads(n_threads);
    (void) nt;
    const int ldw = DA + DC;
#ifdef _OPENMP
#pragma omp parallel num_threads(nt)
#endif
    {
        int tid, nthr, lo, hi;
        rg_i_team(&tid, &nthr);
        rg_i_share(B, tid, nthr, &lo, &hi);
        float *o = out + (size_t) lo * (size_t) O;
        /* forward was (in effect): out = A @ W[:, :DA]^T + C @ W[:, DA:]^T + b */
        rg_i_affine(o, O, A + (size_t) lo * (size_t) DA, W, b, hi - lo, DA, O, ldw);
        if (hi > lo && DC > 0 && O > 0) {
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, hi - lo, O, DC, 1.0f,
                        C + (size_t) lo * (size_t) DC, DC, W + DA, ldw, 1.0f, o, O);
        }
        if (relu) {
            rg_relu_forward(o, o, (size_t) (hi - lo) * (size_t) O);
        }
    }
}

void rg_linear2_backward_mt(float *dA, float *dC, float *dW, float *db, float *dpre,
                            const float *dout, const float *relu_out, const float *A, int DA,
                            const float *C, int DC, const float *W, int B, int O,
                            int n_threads) {
    if (B <= 0 || O <= 0) {
        return;
    }
    int nt = B < 2 * rg_i_threads(n_threads) ? 1 : rg_i_threads(n_threads);
    (void) nt;
    const int ldw = DA + DC;
    const float *g = relu_out ? dpre : dout;
#ifdef _OPENMP
#pragma omp parallel num_threads(nt)
#endif
    {
        int tid, nthr, lo, hi;
        rg_i_team(&tid, &nthr);
        if (relu_out) {
            /* forward was: out = relu(pre) */
            rg_i_share(B, tid, nthr, &lo, &hi);
            for (size_t i = (size_t) lo * (size_t) O; i < (size_t) hi * (size_t) O; i++) {
                dpre[i] = relu_out[i] > 0.0f ? dout[i] : 0.0f;
            }
            if (nthr > 1) {
#ifdef _OPENMP
#pragma omp barrier /* every product below reads rows of dpre other threads wrote */
#endif
            }
        }
        /* the weight gradient (O x (DA+DC) over B rows) and the input gradients (B x (DA+DC)
         * over O) take the same multiply-adds: the first half of the team splits the former by
         * output units, the rest the latter by rows (one thread: both).  Each sgemm then packs
         * only its own operands, where a row split of the weight gradient would pack all of A
         * and C on every thread. */
        int n_w = nthr > 1 ? nthr / 2 : 1, n_i = nthr > 1 ? nthr - n_w : 1;
        if (tid < n_w) {
            rg_i_share(O, tid, n_w, &lo, &hi);
            if (dW && hi > lo) {
                float *dw = dW + (size_t) lo * (size_t) ldw;
                if (DA > 0) {
                    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, hi - lo, DA, B, 1.0f,
                                g + lo, O, A, DA, 1.0f, dw, ldw);
                }
                if (DC > 0) {
                    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, hi - lo, DC, B, 1.0f,
                                g + lo, O, C, DC, 1.0f, dw + DA, ldw);
                }
            }
            if (db && hi > lo) {
                rg_i_bias_backward(db + lo, g + lo, B, hi - lo, O);
            }
        }
        if (nthr == 1 || tid >= n_w) {
            rg_i_share(B, nthr == 1 ? 0 : tid - n_w, n_i, &lo, &hi);
            size_t r0 = (size_t) lo * (size_t) O;
            if (dA && hi > lo && DA > 0) {
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, hi - lo, DA, O, 1.0f,
                            g + r0, O, W, ldw, 1.0f, dA + (size_t) lo * (size_t) DA, DA);
            }
            if (dC && hi > lo && DC > 0) {
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, hi - lo, DC, O, 1.0f,
                            g + r0, O, W + DA, ldw, 0.0f, dC + (size_t) lo * (size_t) DC, DC);
            }
        }
    }
}

void rg_linear_forward_naive(float *out, const float *inp, const float *W, const float *b, int B,
                             int D, int O) {
    for (int r = 0; r < B; r++) {
        for (int o = 0; o < O; o++) {
            double acc = b ? (double) b[o] : 0.0;
            for (int i = 0; i < D; i++) {
                acc += (double) inp[(size_t) r * D + i] * (double) W[(size_t) o * D + i];
            }
            out[(size_t) r * O + o] = (float) acc;
        }
    }
}

void rg_linear_backward_naive(float *dinp, float *dW, float *db, const float *dout,
                              const float *inp, const float *W, int B, int D, int O) {
    if (dinp) {
        for (int r = 0; r < B; r++) {
            for (int i = 0; i < D; i++) {
                double acc = 0.0;
                for (int o = 0; o < O; o++) {
                    acc += (double) dout[(size_t) r * O + o] * (double) W[(size_t) o * D + i];
                }
                dinp[(size_t) r * D + i] += (float) acc;
            }
        }
    }
    if (dW) {
        for (int o = 0; o < O; o++) {
            for (int i = 0; i < D; i++) {
                double acc = 0.0;
                for (int r = 0; r < B; r++) {
                    acc += (double) dout[(size_t) r * O + o] * (double) inp[(size_t) r * D + i];
                }
                dW[(size_t) o * D + i] += (float) acc;
            }
        }
    }
    if (db) {
        for (int o = 0; o < O; o++) {
            double acc = 0.0;
            for (int r = 0; r < B; r++) {
                acc += (double) dout[(size_t) r * O + o];
            }
            db[o] += (float) acc;
        }
    }
}

/* ---- embedding ---- */

void rg_embedding_forward(float *out, const float *W, const int32_t *ids, int B, int D) {
    for (int b = 0; b < B; b++) {
        memcpy(out + (size_t) b * D, W + (size_t) ids[b] * (size_t) D, (size_t) D * sizeof *out);
    }
}

void rg_embedding_backward(float *dW, const float *dout, const int32_t *ids, int B, int D) {
    if (!dW) {
        return;
    }
    for (int b = 0; b < B; b++) {
        /* forward was: out[b] = W[ids[b]] */
        float *dW_row = dW + (size_t) ids[b] * (size_t) D;
        const float *dout_b = dout + (size_t) b * D;
        for (int i = 0; i < D; i++) {
            dW_row[i] += dout_b[i];
        }
    }
}

/* ---- activations ---- */

void rg_relu_forward(float *out, const float *inp, size_t n) {
    for (size_t i = 0; i < n; i++) {
        out[i] = inp[i] > 0.0f ? inp[i] : 0.0f;
    }
}

void rg_relu_backward(float *dinp, const float *dout, const float *out, size_t n) {
    if (!dinp) {
        return;
    }
    for (size_t i = 0; i < n; i++) {
        dinp[i] += out[i] > 0.0f ? dout[i] : 0.0f;
    }
}

/* exp of a non-positive argument only, so neither branch overflows. */
static inline float rg_i_sigmoid(float x) {
    if (x >= 0.0f) {
        return 1.0f / (1.0f + expf(-x));
    }
    float e = expf(x);
    return e / (1.0f + e);
}

void rg_sigmoid_forward(float *out, const float *inp, size_t n) {
    for (size_t i = 0; i < n; i++) {
        out[i] = rg_i_sigmoid(inp[i]);
    }
}

void rg_sigmoid_backward(float *dinp, const float *dout, const float *out, size_t n) {
    if (!dinp) {
        return;
    }
    for (size_t i = 0; i < n; i++) {
        dinp[i] += dout[i] * out[i] * (1.0f - out[i]);
    }
}

void rg_tanh_forward(float *out, const float *inp, size_t n) {
    for (size_t i = 0; i < n; i++) {
        out[i] = tanhf(inp[i]);
    }
}

void rg_tanh_backward(float *dinp, const float *dout, const float *out, size_t n) {
    if (!dinp) {
        return;
    }
    for (size_t i = 0; i < n; i++) {
        dinp[i] += dout[i] * (1.0f - out[i] * out[i]);
    }
}

/* ---- dropout ---- */

void rg_dropout_forward(float *out, uint8_t *mask, const float *inp, size_t n, float p,
                        rg_rng_t *r) {
    if (p <= 0.0f) {
        memmove(out, inp, n * sizeof *out);
        memset(mask, 1, n);
        return;
    }
    float keep_scale = 1.0f / (1.0f - p);
    /* four 16-bit lanes per 64-bit draw: keep when lane >= p 2^16 (p quantised to 1/65536;
     * one generator call per four units instead of one per unit) */
    uint32_t cut = (uint32_t) (p * 65536.0f + 0.5f);
    size_t q = 0;
    for (; q + 4 <= n; q += 4) {
        uint64_t bits = rg_rng_u64(r);
        for (int k = 0; k < 4; k++) {
            mask[q + (size_t) k] = (uint32_t) ((bits >> (16 * k)) & 0xffffu) >= cut;
        }
    }
    if (q < n) {
        uint64_t bits = rg_rng_u64(r);
        for (; q < n; q++, bits >>= 16) {
            mask[q] = (uint32_t) (bits & 0xffffu) >= cut;
        }
    }
    for (size_t i = 0; i < n; i++) {
        out[i] = mask[i] ? inp[i] * keep_scale : 0.0f;
    }
}

void rg_dropout_backward(float *dinp, const float *dout, const uint8_t *mask, size_t n, float p) {
    if (!dinp) {
        return;
    }
    float keep_scale = p > 0.0f ? 1.0f / (1.0f - p) : 1.0f;
    for (size_t i = 0; i < n; i++) {
        /* forward was: out = inp * mask / (1-p) */
        dinp[i] += mask[i] ? dout[i] * keep_scale : 0.0f;
    }
}

/* ---- concat / split ---- */

void rg_concat_forward(float *out, const float *a, const float *b, int B, int Da, int Db) {
    size_t W = (size_t) Da + (size_t) Db;
    for (int r = 0; r < B; r++) {
        memcpy(out + r * W, a + (size_t) r * Da, (size_t) Da * sizeof *out);
        memcpy(out + r * W + Da, b + (size_t) r * Db, (size_t) Db * sizeof *out);
    }
}

void rg_concat_backward(float *da, float *db, const float *dout, int B, int Da, int Db) {
    size_t W = (size_t) Da + (size_t) Db;
    for (int r = 0; r < B; r++) {
        const float *dout_r = dout + r * W;
        if (da) {
            for (int i = 0; i < Da; i++) {
                da[(size_t) r * Da + i] += dout_r[i];
            }
        }
        if (db) {
            for (int i = 0; i < Db; i++) {
                db[(size_t) r * Db + i] += dout_r[Da + i];
            }
        }
    }
}

void rg_split_forward(float *a, float *b, const float *inp, int B, int Da, int Db) {
    size_t W = (size_t) Da + (size_t) Db;
    for (int r = 0; r < B; r++) {
        if (a) {
            memcpy(a + (size_t) r * Da, inp + r * W, (size_t) Da * sizeof *a);
        }
        if (b) {
            memcpy(b + (size_t) r * Db, inp + r * W + Da, (size_t) Db * sizeof *b);
        }
    }
}

void rg_split_backward(float *dinp, const float *da, const float *db, int B, int Da, int Db) {
    if (!dinp) {
        return;
    }
    size_t W = (size_t) Da + (size_t) Db;
    for (int r = 0; r < B; r++) {
        float *dinp_r = dinp + r * W;
        if (da) {
            for (int i = 0; i < Da; i++) {
                dinp_r[i] += da[(size_t) r * Da + i];
            }
        }
        if (db) {
            for (int i = 0; i < Db; i++) {
                dinp_r[Da + i] += db[(size_t) r * Db + i];
            }
        }
    }
}

/* ---- recurrent cells ---- */

/* out (B,N) with row stride ldo += inp (B,K) @ W^T (N,K). */
static void rg_i_gemm_acc(float *out, int ldo, const float *inp, const float *W, int B, int K,
                          int N) {
    if (B > 0 && N > 0 && K > 0) {
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, B, N, K, 1.0f, inp, K, W, K, 1.0f,
                    out, ldo);
    }
}

void rg_rnn_cell_forward(float *h, const float *x, const float *h_prev, const float *Wx,
                         const float *Wh, const float *b, int B, int D, int H) {
    rg_i_affine(h, H, x, Wx, b, B, D, H, D);
    if (h_prev) {
        rg_i_gemm_acc(h, H, h_prev, Wh, B, H, H);
    }
    rg_tanh_forward(h, h, (size_t) B * (size_t) H);
}

void rg_rnn_cell_backward(float *dx, float *dh_prev, float *dWx, float *dWh, float *db,
                          const float *dh, const float *x, const float *h_prev, const float *h,
                          const float *Wx, const float *Wh, float *dpre, int B, int D, int H) {
    if (!dh) {
        return;
    }
    size_t n = (size_t) B * (size_t) H;
    /* forward was: h = tanh(pre) */
    rg_param_zero(dpre, n);
    rg_tanh_backward(dpre, dh, h, n);
    /* forward was: pre = x Wx^T + b + h_prev Wh^T */
    rg_linear_backward(dx, dWx, db, dpre, x, Wx, B, D, H);
    if (h_prev) {
        rg_linear_backward(dh_prev, dWh, NULL, dpre, h_prev, Wh, B, H, H);
    }
}

void rg_lstm_cell_forward(float *h, float *c, float *cache, const float *x, const float *h_prev,
                          const float *c_prev, const float *Wx, const float *Wh, const float *b,
                          int B, int D, int H) {
    int G = 4 * H, ld = 5 * H;
    /* pre-activations of the four gates straight into the cache rows (stride 5H) */
    rg_i_affine(cache, ld, x, Wx, b, B, D, G, D);
    if (h_prev) {
        rg_i_gemm_acc(cache, ld, h_prev, Wh, B, H, G);
    }
    for (int r = 0; r < B; r++) {
        float *ig = cache + (size_t) r * ld, *fg = ig + H, *gg = fg + H, *og = gg + H;
        float *tc = og + H;
        float *h_r = h + (size_t) r * H, *c_r = c + (size_t) r * H;
        const float *cp_r = c_prev ? c_prev + (size_t) r * H : NULL;
        for (int k = 0; k < H; k++) {
            ig[k] = rg_i_sigmoid(ig[k]);
            fg[k] = rg_i_sigmoid(fg[k]);
            gg[k] = tanhf(gg[k]);
            og[k] = rg_i_sigmoid(og[k]);
            c_r[k] = (cp_r ? fg[k] * cp_r[k] : 0.0f) + ig[k] * gg[k];
            tc[k] = tanhf(c_r[k]);
            h_r[k] = og[k] * tc[k];
        }
    }
}

void rg_lstm_cell_backward(float *dx, float *dh_prev, float *dc_prev, float *dWx, float *dWh,
                           float *db, const float *dh, const float *dc, const float *x,
                           const float *h_prev, const float *c_prev, const float *cache,
                           const float *Wx, const float *Wh, float *dpre, int B, int D, int H) {
    if (!dh && !dc) {
        return;
    }
    int G = 4 * H, ld = 5 * H;
    for (int r = 0; r < B; r++) {
        const float *ig = cache + (size_t) r * ld, *fg = ig + H, *gg = fg + H, *og = gg + H;
        const float *tc = og + H;
        float *di = dpre + (size_t) r * G, *df = di + H, *dg = df + H, *dO = dg + H;
        for (int k = 0; k < H; k++) {
            size_t rk = (size_t) r * H + k;
            float dh_k = dh ? dh[rk] : 0.0f;
            /* forward was: h = o * tanh(c) */
            float do_k = dh_k * tc[k];
            float dct = (dc ? dc[rk] : 0.0f) + dh_k * og[k] * (1.0f - tc[k] * tc[k]);
            /* forward was: c = f * c_prev + i * g */
            float cp = c_prev ? c_prev[rk] : 0.0f;
            float di_k = dct * gg[k], dg_k = dct * ig[k], df_k = dct * cp;
            if (dc_prev && c_prev) {
                dc_prev[rk] += dct * fg[k];
            }
            /* forward was: i, f, o = sigmoid(pre), g = tanh(pre) */
            di[k] = di_k * ig[k] * (1.0f - ig[k]);
            df[k] = df_k * fg[k] * (1.0f - fg[k]);
            dg[k] = dg_k * (1.0f - gg[k] * gg[k]);
            dO[k] = do_k * og[k] * (1.0f - og[k]);
        }
    }
    /* forward was: pre = x Wx^T + b + h_prev Wh^T */
    rg_linear_backward(dx, dWx, db, dpre, x, Wx, B, D, G);
    if (h_prev) {
        rg_linear_backward(dh_prev, dWh, NULL, dpre, h_prev, Wh, B, H, G);
    }
}

void rg_gru_cell_forward(float *h, float *cache, const float *x, const float *h_prev,
                         const float *Wx, const float *Wh, const float *bx, const float *bh,
                         int B, int D, int H) {
    int G = 3 * H, ld = 6 * H;
    /* [xr xz xn] into cache[:, 0:3H], [hr hz hn] into cache[:, 3H:6H] */
    rg_i_affine(cache, ld, x, Wx, bx, B, D, G, D);
    rg_i_affine(cache + G, ld, h_prev, Wh, bh, B, h_prev ? H : 0, G, H);
    for (int r = 0; r < B; r++) {
        float *rg = cache + (size_t) r * ld, *zg = rg + H, *ng = zg + H;
        const float *hr = ng + H, *hz = hr + H, *hn = hz + H;
        float *h_r = h + (size_t) r * H;
        const float *hp_r = h_prev ? h_prev + (size_t) r * H : NULL;
        for (int k = 0; k < H; k++) {
            rg[k] = rg_i_sigmoid(rg[k] + hr[k]);
            zg[k] = rg_i_sigmoid(zg[k] + hz[k]);
            ng[k] = tanhf(ng[k] + rg[k] * hn[k]);
            h_r[k] = (1.0f - zg[k]) * ng[k] + (hp_r ? zg[k] * hp_r[k] : 0.0f);
        }
    }
}

void rg_gru_cell_backward(float *dx, float *dh_prev, float *dWx, float *dWh, float *dbx,
                          float *dbh, const float *dh, const float *x, const float *h_prev,
                          const float *cache, const float *Wx, const float *Wh, float *dpre,
                          int B, int D, int H) {
    if (!dh) {
        return;
    }
    int G = 3 * H, ld = 6 * H;
    float *dpx = dpre;                          /* (B,3H) d[xr xz xn] */
    float *dph = dpre + (size_t) B * (size_t) G; /* (B,3H) d[hr hz hn] */
    for (int r = 0; r < B; r++) {
        const float *rg = cache + (size_t) r * ld, *zg = rg + H, *ng = zg + H;
        const float *hn = ng + 3 * H; /* [r z n | hr hz hn] */
        float *dxr = dpx + (size_t) r * G, *dxz = dxr + H, *dxn = dxz + H;
        float *dhr = dph + (size_t) r * G, *dhz = dhr + H, *dhn = dhz + H;
        for (int k = 0; k < H; k++) {
            size_t rk = (size_t) r * H + k;
            float hp = h_prev ? h_prev[rk] : 0.0f;
            /* forward was: h = (1 - z) * n + z * h_prev */
            float dn = dh[rk] * (1.0f - zg[k]);
            float dz = dh[rk] * (hp - ng[k]);
            if (dh_prev && h_prev) {
                dh_prev[rk] += dh[rk] * zg[k];
            }
            /* forward was: n = tanh(xn + r * hn) */
            float dan = dn * (1.0f - ng[k] * ng[k]);
            float dr = dan * hn[k];
            /* forward was: r = sigmoid(xr + hr), z = sigmoid(xz + hz) */
            float dar = dr * rg[k] * (1.0f - rg[k]);
            float daz = dz * zg[k] * (1.0f - zg[k]);
            dxr[k] = dar;
            dxz[k] = daz;
            dxn[k] = dan;
            dhr[k] = dar;
            dhz[k] = daz;
            dhn[k] = dan * rg[k];
        }
    }
    /* forward was: [xr xz xn] = x Wx^T + bx;  [hr hz hn] = h_prev Wh^T + bh */
    rg_linear_backward(dx, dWx, dbx, dpx, x, Wx, B, D, G);
    if (h_prev) {
        rg_linear_backward(dh_prev, dWh, dbh, dph, h_prev, Wh, B, H, G);
    } else if (dbh) {
        rg_i_bias_backward(dbh, dph, B, G, G);
    }
}

/* ---- decoders ---- */

void rg_dot_decoder_forward(float *score, const float *u, const float *v, int B, int K) {
    for (int b = 0; b < B; b++) {
        const float *u_b = u + (size_t) b * K, *v_b = v + (size_t) b * K;
        float acc = 0.0f;
        for (int k = 0; k < K; k++) {
            acc += u_b[k] * v_b[k];
        }
        score[b] = acc;
    }
}

void rg_dot_decoder_backward(float *du, float *dv, const float *dscore, const float *u,
                             const float *v, int B, int K) {
    for (int b = 0; b < B; b++) {
        /* forward was: score = sum_k u * v */
        float ds = dscore[b];
        size_t o = (size_t) b * K;
        if (du) {
            for (int k = 0; k < K; k++) {
                du[o + k] += ds * v[o + k];
            }
        }
        if (dv) {
            for (int k = 0; k < K; k++) {
                dv[o + k] += ds * u[o + k];
            }
        }
    }
}

void rg_bilinear_decoder_forward(float *score, float *Qv, const float *u, const float *v,
                                 const float *Q, int B, int K) {
    /* Qv_b = Q v_b, i.e. Qv (B,K) = v (B,K) @ Q^T */
    rg_i_affine(Qv, K, v, Q, NULL, B, K, K, K);
    rg_dot_decoder_forward(score, u, Qv, B, K);
}

void rg_bilinear_decoder_backward(float *du, float *dv, float *dQ, const float *dscore,
                                  const float *u, const float *v, const float *Q,
                                  const float *Qv, float *w, int B, int K) {
    if (B <= 0 || K <= 0) {
        return;
    }
    /* forward was: score = <u, Qv>: du += dscore * Qv, and w = d Qv = dscore * u */
    for (int b = 0; b < B; b++) {
        float ds = dscore[b];
        size_t o = (size_t) b * K;
        for (int k = 0; k < K; k++) {
            if (du) {
                du[o + k] += ds * Qv[o + k];
            }
            w[o + k] = ds * u[o + k];
        }
    }
    /* forward was: Qv = v @ Q^T */
    rg_linear_backward(dv, dQ, NULL, w, v, Q, B, K, K);
}
