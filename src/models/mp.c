/* mp.c: message-passing aggregation over CSR (see nn.h): sum, mean, weighted sum, rating-
 * weighted mean and max of source features into destination rows, forward and backward.
 *
 * Forward is parallel over destination rows (each thread writes only its own out rows).
 * Backward must scatter into SOURCE rows, which many destination rows share.  The general ops
 * stay race-free either by walking the transpose (each thread owns the dX rows of its source
 * rows) or, without a transpose, by giving each thread a contiguous block of source rows and
 * letting it skip every entry it does not own; their per-row summation order does not depend on
 * the thread count.  The rated-mean pair's backward, the GNNs' hot loop, splits the entries
 * instead and gives each extra thread a private gradient slice that is added in afterwards
 * (skipping foreign entries costs a mispredicted branch per entry and made two threads slower
 * than one).  No atomics anywhere: results are deterministic for a given thread count.
 * schedule(dynamic, 64) because degrees are skewed (popular movies have thousands of raters).
 */
#include <stdlib.h>
#include <string.h>

#include "core/parallel.h"
#include "core/vec16.h"
#include "reelgraph/nn.h"

static inline float rg_i_weight(const rg_mp_csr_t *g, int64_t j) {
    if (!g->w) {
        return 1.0f;
    }
    return g->w[g->eid ? g->eid[j] : j];
}

/* ---- transpose ---- */

rg_error_t rg_mp_transpose_init(rg_mp_transpose_t *t, const rg_mp_csr_t *g) {
    memset(t, 0, sizeof *t);
    if (g->n_dst < 0 || g->n_src < 0 || !g->ptr) {
        RG_ERROR(RG_EINVAL, "rg_mp_transpose_init: bad CSR (n_dst %lld, n_src %lld, ptr %s)",
                 (long long) g->n_dst, (long long) g->n_src, g->ptr ? "set" : "NULL");
    }
    if (g->n_src > INT32_MAX || g->n_dst > INT32_MAX) {
        RG_ERROR(RG_ERANGE, "rg_mp_transpose_init: %lld dst / %lld src rows exceed int32 ids",
                 (long long) g->n_dst, (long long) g->n_src);
    }
    int64_t nnz = g->ptr[g->n_dst];
    if (g->ptr[0] != 0 || nnz < 0) {
        RG_ERROR(RG_EINVAL, "rg_mp_transpose_init: ptr[0] = %lld, ptr[n_dst] = %lld",
                 (long long) g->ptr[0], (long long) nnz);
    }
    for (int64_t d = 0; d < g->n_dst; d++) {
        if (g->ptr[d + 1] < g->ptr[d]) {
            RG_ERROR(RG_EINVAL, "rg_mp_transpose_init: ptr decreases at dst row %lld",
                     (long long) d);
        }
    }
    for (int64_t j = 0; j < nnz; j++) {
        if (g->idx[j] < 0 || g->idx[j] >= g->n_src) {
            RG_ERROR(RG_ERANGE, "rg_mp_transpose_init: entry %lld names source %d outside [0, %lld)",
                     (long long) j, g->idx[j], (long long) g->n_src);
        }
    }
    /* one block: ptr (n_src+1) and pos (nnz) as int64, then dst (nnz) as int32 */
    size_t n64 = (size_t) g->n_src + 1 + (size_t) nnz;
    if (n64 > (SIZE_MAX - (size_t) nnz * sizeof(int32_t)) / sizeof(int64_t)) {
        RG_ERROR(RG_ENOMEM, "rg_mp_transpose_init: %lld entries overflow size_t",
                 (long long) nnz);
    }
    size_t bytes = n64 * sizeof(int64_t) + (size_t) nnz * sizeof(int32_t);
    char *mem = rg_malloc(bytes);
    if (!mem) {
        RG_ERROR(RG_ENOMEM, "rg_mp_transpose_init: cannot allocate %zu bytes for %lld entries",
                 bytes, (long long) nnz);
    }
    t->ptr = (int64_t *) mem;
    t->pos = t->ptr + g->n_src + 1;
    t->dst = (int32_t *) (t->pos + nnz);
    t->n_src = g->n_src;
    t->nnz = nnz;
    t->owner = 1;
    /* counting sort by source; ptr[s+1] counts, prefix sums, then ptr[s] is the fill cursor
     * (after filling it has moved to the old ptr[s+1], so shift right by one) */
    memset(t->ptr, 0, ((size_t) g->n_src + 1) * sizeof *t->ptr);
    for (int64_t j = 0; j < nnz; j++) {
        t->ptr[g->idx[j] + 1]++;
    }
    for (int64_t s = 0; s < g->n_src; s++) {
        t->ptr[s + 1] += t->ptr[s];
    }
    for (int64_t d = 0; d < g->n_dst; d++) {
        for (int64_t j = g->ptr[d]; j < g->ptr[d + 1]; j++) {
            int64_t k = t->ptr[g->idx[j]]++;
            t->dst[k] = (int32_t) d;
            t->pos[k] = j;
        }
    }
    for (int64_t s = g->n_src; s > 0; s--) {
        t->ptr[s] = t->ptr[s - 1];
    }
    t->ptr[0] = 0;
    return RG_SUCCESS;
}

void rg_mp_transpose_free(rg_mp_transpose_t *t) {
    if (t->owner) {
        free(t->ptr);
    }
    memset(t, 0, sizeof *t);
}

/* ---- forward ---- */

void rg_mp_aggregate_forward(float *out, float *scale, int32_t *argmax, const float *X,
                             const rg_mp_csr_t *g, int D, rg_agg_t agg, int n_threads) {
    int nt = rg_i_threads(n_threads);
    (void) nt;
    const int64_t n_dst = g->n_dst;
#ifdef _OPENMP
#pragma omp parallel for schedule(dynamic, 64) num_threads(nt)
#endif
    for (int64_t d = 0; d < n_dst; d++) {
        float *out_d = out + (size_t) d * (size_t) D;
        int64_t lo = g->ptr[d], hi = g->ptr[d + 1];
        memset(out_d, 0, (size_t) D * sizeof *out_d);
        if (agg == RG_AGG_MAX) {
            int32_t *am_d = argmax ? argmax + (size_t) d * (size_t) D : NULL;
            if (lo == hi) {
                for (int f = 0; f < D && am_d; f++) {
                    am_d[f] = -1;
                }
                continue;
            }
            memcpy(out_d, X + (size_t) g->idx[lo] * (size_t) D, (size_t) D * sizeof *out_d);
            for (int f = 0; f < D && am_d; f++) {
                am_d[f] = 0;
            }
            for (int64_t j = lo + 1; j < hi; j++) {
                const float *x_s = X + (size_t) g->idx[j] * (size_t) D;
                for (int f = 0; f < D; f++) {
                    if (x_s[f] > out_d[f]) {
                        out_d[f] = x_s[f];
                        if (am_d) {
                            am_d[f] = (int32_t) (j - lo);
                        }
                    }
                }
            }
            continue;
        }
        int weighted = agg == RG_AGG_WSUM || agg == RG_AGG_WMEAN;
        double wsum = 0.0;
        for (int64_t j = lo; j < hi; j++) {
            const float *x_s = X + (size_t) g->idx[j] * (size_t) D;
            float c = weighted ? rg_i_weight(g, j) : 1.0f;
            wsum += c;
            for (int f = 0; f < D; f++) {
                out_d[f] += c * x_s[f];
            }
        }
        if (agg == RG_AGG_MEAN || agg == RG_AGG_WMEAN) {
            /* empty rows (or zero total weight) aggregate to 0 and pass no gradient back */
            float s = wsum != 0.0 ? (float) (1.0 / wsum) : 0.0f;
            for (int f = 0; f < D; f++) {
                out_d[f] *= s;
            }
            if (scale) {
                scale[d] = s;
            }
        }
    }
}

/* ---- backward ---- */

/* Coefficient of entry j (dst row d) in out_d: d out_d / d x_{idx[j]} for the linear kinds. */
static inline float rg_i_coef(const rg_mp_csr_t *g, const float *scale, rg_agg_t agg, int64_t d,
                              int64_t j) {
    switch (agg) {
    case RG_AGG_MEAN:
        return scale[d];
    case RG_AGG_WSUM:
        return rg_i_weight(g, j);
    case RG_AGG_WMEAN:
        return rg_i_weight(g, j) * scale[d];
    case RG_AGG_SUM:
    default:
        return 1.0f;
    }
}

/* dX_s += the contribution of entry j (dst row d, source row s). */
static inline void rg_i_scatter_entry(float *dX_s, const float *dout, const float *scale,
                                      const int32_t *argmax, const rg_mp_csr_t *g, int D,
                                      rg_agg_t agg, int64_t d, int64_t j) {
    const float *dout_d = dout + (size_t) d * (size_t) D;
    if (agg == RG_AGG_MAX) {
        /* forward was: out_d[f] = x_{argmax}[f]: only the winning entry gets the gradient */
        const int32_t *am_d = argmax + (size_t) d * (size_t) D;
        int32_t off = (int32_t) (j - g->ptr[d]);
        for (int f = 0; f < D; f++) {
            dX_s[f] += am_d[f] == off ? dout_d[f] : 0.0f;
        }
        return;
    }
    /* forward was: out_d = sum_j coef_j x_j */
    float c = rg_i_coef(g, scale, agg, d, j);
    for (int f = 0; f < D; f++) {
        dX_s[f] += c * dout_d[f];
    }
}

void rg_mp_aggregate_backward(float *dX, const float *dout, const float *scale,
                              const int32_t *argmax, const rg_mp_csr_t *g,
                              const rg_mp_transpose_t *t, int D, rg_agg_t agg, int n_threads) {
    if (!dX) {
        return;
    }
    int nt = rg_i_threads(n_threads);
    (void) nt;
    if (t) {
        const int64_t n_src = t->n_src;
#ifdef _OPENMP
#pragma omp parallel for schedule(dynamic, 64) num_threads(nt)
#endif
        for (int64_t s = 0; s < n_src; s++) {
            float *dX_s = dX + (size_t) s * (size_t) D;
            for (int64_t k = t->ptr[s]; k < t->ptr[s + 1]; k++) {
                rg_i_scatter_entry(dX_s, dout, scale, argmax, g, D, agg, t->dst[k], t->pos[k]);
            }
        }
        return;
    }
    /* owner-computes: thread `tid` owns source rows [lo, hi) and applies only their entries */
#ifdef _OPENMP
#pragma omp parallel num_threads(nt)
#endif
    {
        int tid, nthr;
        rg_i_team(&tid, &nthr);
        int64_t lo = g->n_src * tid / nthr, hi = g->n_src * (tid + 1) / nthr;
        for (int64_t d = 0; d < g->n_dst; d++) {
            for (int64_t j = g->ptr[d]; j < g->ptr[d + 1]; j++) {
                int64_t s = g->idx[j];
                if (s >= lo && s < hi) {
                    rg_i_scatter_entry(dX + (size_t) s * (size_t) D, dout, scale, argmax, g, D,
                                       agg, d, j);
                }
            }
        }
    }
}

/* ---- the rating-aware mean pair ---- */

static inline float rg_i_inv_deg(const rg_mp_csr_t *g, int64_t d) {
    int64_t n = g->ptr[d + 1] - g->ptr[d];
    return n > 0 ? 1.0f / (float) n : 0.0f;
}

/* The rating of entry j from the CSR's arrays held in locals (through the CSR struct the
 * compiler reloaded them for every entry). */
static inline float rg_i_w(const float *w, const int64_t *eid, int64_t j) {
    return eid ? w[eid[j]] : w[j];
}

/* The pair's kernels work on blocks of 16 feature columns held in registers (core/vec16.h). */
#define RG_MP_BLOCK RG_I_BLOCK

/* One dst row of the pair over entries lo..hi-1 (weights r - mu, scaled by inv = 1/deg). */
static inline void rg_i_rated_mean_row(float *o1, float *o2, const float *X, const rg_mp_csr_t *g,
                                       int64_t lo, int64_t hi, float mu, float inv, int D) {
    int f0 = 0;
    /* four blocks (64 columns) at a time: each entry's source row is read in one sweep of
     * four consecutive cache lines, eight accumulators in registers */
    const int32_t *idx = g->idx;
    const float *w = g->w;
    const int64_t *eid = g->eid;
    for (; f0 + 4 * RG_MP_BLOCK <= D; f0 += 4 * RG_MP_BLOCK) {
        rg_i_v16 a[4] = {{0}}, b[4] = {{0}};
        for (int64_t j = lo; j < hi; j++) {
            const float *x = X + (size_t) idx[j] * (size_t) D + f0;
            float c = rg_i_w(w, eid, j) - mu;
            for (int k = 0; k < 4; k++) {
                rg_i_v16 v = RG_I_V16(x + k * RG_MP_BLOCK);
                RG_I_IN_REGISTER(v);
                a[k] += v;
                b[k] += c * v;
            }
        }
        for (int k = 0; k < 4; k++) {
            RG_I_V16(o1 + f0 + k * RG_MP_BLOCK) = a[k] * inv;
            RG_I_V16(o2 + f0 + k * RG_MP_BLOCK) = b[k] * inv;
        }
    }
    for (; f0 + RG_MP_BLOCK <= D; f0 += RG_MP_BLOCK) {
        rg_i_v16 a1 = {0}, a2 = {0};
        for (int64_t j = lo; j < hi; j++) {
            rg_i_v16 x = RG_I_V16(X + (size_t) idx[j] * (size_t) D + f0);
            RG_I_IN_REGISTER(x);
            a1 += x;
            a2 += (rg_i_w(w, eid, j) - mu) * x;
        }
        RG_I_V16(o1 + f0) = a1 * inv;
        RG_I_V16(o2 + f0) = a2 * inv;
    }
    if (f0 == D) {
        return;
    }
    for (int f = f0; f < D; f++) {
        o1[f] = 0.0f;
        o2[f] = 0.0f;
    }
    for (int64_t j = lo; j < hi; j++) {
        const float *x = X + (size_t) idx[j] * (size_t) D;
        float c = rg_i_w(w, eid, j) - mu;
        for (int f = f0; f < D; f++) {
            o1[f] += x[f];
            o2[f] += c * x[f];
        }
    }
    for (int f = f0; f < D; f++) {
        o1[f] *= inv;
        o2[f] *= inv;
    }
}

void rg_mp_rated_mean_forward(float *out, int ld, const float *X, const rg_mp_csr_t *g,
                              float mu, int D, int n_threads) {
    int nt = rg_i_threads(n_threads);
    (void) nt;
    const int64_t n_dst = g->n_dst;
#ifdef _OPENMP
#pragma omp parallel for schedule(dynamic, 64) num_threads(nt)
#endif
    for (int64_t d = 0; d < n_dst; d++) {
        float *o1 = out + (size_t) d * (size_t) ld, *o2 = o1 + D;
        rg_i_rated_mean_row(o1, o2, X, g, g->ptr[d], g->ptr[d + 1], mu, rg_i_inv_deg(g, d), D);
    }
}

size_t rg_mp_rated_mean_scratch(int64_t n_src, int D, int n_threads) {
    int nt = rg_i_threads(n_threads);
    return nt > 1 ? (size_t) (nt - 1) * (size_t) n_src * (size_t) D : 0;
}

/* The first dst row whose entries start at or after entry `at` (ptr is non-decreasing). */
static int64_t rg_i_row_at(const rg_mp_csr_t *g, int64_t at) {
    int64_t lo = 0, hi = g->n_dst;
    while (lo < hi) {
        int64_t mid = lo + (hi - lo) / 2;
        if (g->ptr[mid] < at) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return lo;
}

/* acc (n_src, D) += the pair's gradient from dst rows [d0, d1), from the entries whose source
 * row lies in [s_lo, s_hi).  Per dst row and column block the two gradient blocks stay in
 * registers while the row's entries are updated. */
static void rg_i_rated_mean_scatter(float *acc, const float *dout, int ld, const rg_mp_csr_t *g,
                                    float mu, int D, int64_t d0, int64_t d1, int64_t s_lo,
                                    int64_t s_hi) {
    const int32_t *idx = g->idx;
    const float *w = g->w;
    const int64_t *eid = g->eid;
    for (int64_t d = d0; d < d1; d++) {
        const float *g1 = dout + (size_t) d * (size_t) ld, *g2 = g1 + D;
        int64_t j0 = g->ptr[d], j1 = g->ptr[d + 1];
        float inv = rg_i_inv_deg(g, d);
        int f0 = 0;
        /* four blocks at a time: each entry's gradient row is updated in one sweep */
        for (; f0 + 4 * RG_MP_BLOCK <= D; f0 += 4 * RG_MP_BLOCK) {
            rg_i_v16 b1[4], b2[4];
            for (int k = 0; k < 4; k++) {
                b1[k] = inv * RG_I_V16(g1 + f0 + k * RG_MP_BLOCK);
                b2[k] = inv * RG_I_V16(g2 + f0 + k * RG_MP_BLOCK);
            }
            for (int64_t j = j0; j < j1; j++) {
                int64_t s = idx[j];
                if (s >= s_lo && s < s_hi) {
                    float *p = acc + (size_t) s * (size_t) D + f0;
                    float c = rg_i_w(w, eid, j) - mu;
                    for (int k = 0; k < 4; k++) {
                        rg_i_v16 v = b1[k] + c * b2[k];
                        RG_I_IN_REGISTER(v);
                        RG_I_V16(p + k * RG_MP_BLOCK) += v;
                    }
                }
            }
        }
        for (; f0 + RG_MP_BLOCK <= D; f0 += RG_MP_BLOCK) {
            rg_i_v16 b1 = inv * RG_I_V16(g1 + f0), b2 = inv * RG_I_V16(g2 + f0);
            for (int64_t j = j0; j < j1; j++) {
                int64_t s = idx[j];
                if (s >= s_lo && s < s_hi) {
                    RG_I_V16(acc + (size_t) s * (size_t) D + f0) +=
                        b1 + (rg_i_w(w, eid, j) - mu) * b2;
                }
            }
        }
        for (int64_t j = j0; j < j1 && f0 < D; j++) {
            int64_t s = idx[j];
            if (s >= s_lo && s < s_hi) {
                float *p = acc + (size_t) s * (size_t) D, c2 = (rg_i_w(w, eid, j) - mu) * inv;
                for (int f = f0; f < D; f++) {
                    p[f] += inv * g1[f] + c2 * g2[f];
                }
            }
        }
    }
}

void rg_mp_rated_mean_backward(float *dX, float *scratch, const float *dout, int ld,
                               const rg_mp_csr_t *g, float mu, int D, int n_threads) {
    int nt = rg_i_threads(n_threads);
    (void) nt;
    const int64_t nnz = g->ptr[g->n_dst], n_src = g->n_src;
    /* split: thread 0 scatters its share of the entries into dX itself, thread t > 0 into its
     * own zeroed slice of scratch, and the slices are then added into dX, each thread a block
     * of rows.  Owner-computes (scratch NULL, or more source rows than entries, where zeroing
     * and adding the slices would cost more than scanning the entries): thread t scans every
     * entry and applies those of its own block of source rows. */
    const int split = scratch != NULL && n_src <= nnz;
#ifdef _OPENMP
#pragma omp parallel num_threads(nt)
#endif
    {
        int tid, nthr;
        rg_i_team(&tid, &nthr);
        size_t slice = (size_t) n_src * (size_t) D;
        if (!split || nthr == 1) {
            rg_i_rated_mean_scatter(dX, dout, ld, g, mu, D, 0, g->n_dst, n_src * tid / nthr,
                                    n_src * (tid + 1) / nthr);
        } else {
            float *acc = tid == 0 ? dX : scratch + (size_t) (tid - 1) * slice;
            if (tid > 0) {
                memset(acc, 0, slice * sizeof *acc);
            }
            rg_i_rated_mean_scatter(acc, dout, ld, g, mu, D, rg_i_row_at(g, nnz * tid / nthr),
                                    rg_i_row_at(g, nnz * (tid + 1) / nthr), 0, n_src);
#ifdef _OPENMP
#pragma omp barrier
#endif
            rg_i_add_slices(&dX, &slice, 1, scratch, slice, tid, nthr);
        }
    }
}
