/* gradcheck.h: a reusable finite-difference gradient checker for layers and whole models.
 *
 * Recipe (ggml's "grad" mode):
 *   1. draw fixed random coefficients c (rgt_gc_coeffs) and reduce the output to a scalar
 *      L = sum_i c_i out_i (rgt_gc_dot, accumulated in double);
 *   2. analytic gradient: zero the grads, run forward, set dout = c, run backward;
 *   3. numeric gradient: for each checked index i of a parameter or input x, central difference
 *      (L(x_i + h) - L(x_i - h)) / (x_i+h - (x_i-h)) with the ACTUAL float perturbation (x_i + h
 *      is rounded to float), or the 4-point stencil when opts.four_point is set;
 *   4. relative error |a - n| / max(|a| + |n|, tiny); the check passes when the worst one is
 *      <= tol, and reports the worst index.
 * Big tensors: opts.n_max > 0 checks a seeded random subset of that many indices.
 *
 * The loss callback must recompute the forward pass from the current contents of x (and must not
 * draw fresh randomness: reseed dropout or reuse a saved mask), returning L in double.
 *
 * float32 defaults (rgt_gc_opts_default): eps 1e-2, tol 1e-2, tiny 1e-3.  Why: the forward runs
 * in float, so L carries a rounding error of about 1e-7 |L| per term; with h = 1e-2 that is
 * ~1e-5 in the numeric slope, while the truncation error of the central difference is
 * O(h^2 f''') ~ 1e-4 for the smooth layers here.  A relative tolerance of 1e-2 sits two orders
 * above both and still catches any real bug (a wrong factor, a missing term, a transposed index
 * gives errors of order 1); tiny = 1e-3 keeps near-zero gradients from turning noise into a
 * large relative error.
 */
#ifndef RGT_GRADCHECK_H
#define RGT_GRADCHECK_H

#include <stddef.h>
#include <stdint.h>

#include "reelgraph/rng.h"

typedef double rgt_gc_loss_fn(void *ctx);

typedef struct {
    double eps;      /* finite-difference step h */
    double tol;      /* largest accepted relative error */
    double tiny;     /* floor of the relative-error denominator */
    size_t n_max;    /* check at most this many indices (seeded subset); 0 = all */
    uint64_t seed;   /* of the subset */
    int four_point;  /* 1: (-L(+2h) + 8 L(+h) - 8 L(-h) + L(-2h)) / 12h, for strong curvature */
    int refine;      /* an index failing at step h is rechecked at h/2, h/4, ... up to this many
                        halvings and passes if one agrees: for whole models, where a ReLU kink
                        or strong curvature within the stencil spoils one step; a wrong gradient
                        disagrees at every step (0 = off) */
    int verbose;     /* 1: print one line per check (name, worst error, index) */
} rgt_gc_opts_t;

typedef struct {
    double max_rel;        /* worst relative error */
    size_t worst;          /* its index */
    double worst_analytic; /* the two gradients at that index */
    double worst_numeric;
    size_t n_checked;
} rgt_gc_result_t;

/* eps 1e-2, tol 1e-2, tiny 1e-3, n_max 0, seed 1, two-point, refine 0, verbose 1. */
void rgt_gc_opts_default(rgt_gc_opts_t *o);

/* Checks grad (n, the analytic dL/dx) against finite differences of loss(ctx) in x (n floats,
 * perturbed in place and restored bit-exactly).  Fills *res (may be NULL) and returns 1 when
 * res->max_rel <= o->tol, else 0.  name labels the printed line. */
int rgt_gradcheck(rgt_gc_result_t *res, const char *name, float *x, const float *grad, size_t n,
                  rgt_gc_loss_fn *loss, void *ctx, const rgt_gc_opts_t *o);

/* c[i] ~ U(-1, 1) \ (-0.1, 0.1) from a seeded stream: high-entropy, never near zero. */
void rgt_gc_coeffs(float *c, size_t n, uint64_t seed);
/* x[i] ~ U(lo, hi). */
void rgt_gc_fill(float *x, size_t n, float lo, float hi, rg_rng_t *r);
/* sum_i c_i out_i in double. */
double rgt_gc_dot(const float *out, const float *c, size_t n);

/* cmocka assertion: fails the test (with the worst index printed) unless the check passes. */
#define RGT_GRADCHECK(name, x, grad, n, loss, ctx, opts)                                    \
    do {                                                                                    \
        rgt_gc_result_t rgt_gc_res_;                                                        \
        int rgt_gc_ok_ = rgt_gradcheck(&rgt_gc_res_, (name), (x), (grad), (n), (loss),      \
                                       (ctx), (opts));                                      \
        if (!rgt_gc_ok_) {                                                                  \
            print_error("gradcheck %s FAILED: rel err %.3g at index %zu (analytic %.6g, "   \
                        "numeric %.6g)\n", (name), rgt_gc_res_.max_rel, rgt_gc_res_.worst,  \
                        rgt_gc_res_.worst_analytic, rgt_gc_res_.worst_numeric);             \
        }                                                                                   \
        assert_true(rgt_gc_ok_);                                                            \
    } while (0)

#endif
