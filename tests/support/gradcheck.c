/* gradcheck.c: see gradcheck.h. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "gradcheck.h"

void rgt_gc_opts_default(rgt_gc_opts_t *o) {
    o->eps = 1e-2;
    o->tol = 1e-2;
    o->tiny = 1e-3;
    o->n_max = 0;
    o->seed = 1;
    o->four_point = 0;
    o->refine = 0;
    o->verbose = 1;
}

void rgt_gc_coeffs(float *c, size_t n, uint64_t seed) {
    rg_rng_t r;
    rg_rng_init(&r, seed);
    for (size_t i = 0; i < n; i++) {
        float u = 0.9f * rg_rng_uniformf(&r) + 0.1f;
        c[i] = rg_rng_uniformf(&r) < 0.5f ? -u : u;
    }
}

void rgt_gc_fill(float *x, size_t n, float lo, float hi, rg_rng_t *r) {
    for (size_t i = 0; i < n; i++) {
        x[i] = lo + (hi - lo) * rg_rng_uniformf(r);
    }
}

double rgt_gc_dot(const float *out, const float *c, size_t n) {
    double s = 0.0;
    for (size_t i = 0; i < n; i++) {
        s += (double) c[i] * (double) out[i];
    }
    return s;
}

/* L with x[i] set to v (as float); returns the float actually stored. */
static double rgt_gc_eval_at(float *x, size_t i, double v, rgt_gc_loss_fn *loss, void *ctx,
                             double *stored) {
    x[i] = (float) v;
    *stored = (double) x[i];
    return loss(ctx);
}

/* The finite-difference derivative of loss in x[i] at step h (x[i] left perturbed). */
static double rgt_gc_numeric(float *x, size_t i, float x0, double h, rgt_gc_loss_fn *loss,
                             void *ctx, const rgt_gc_opts_t *o) {
    double xp, xm;
    double lp = rgt_gc_eval_at(x, i, (double) x0 + h, loss, ctx, &xp);
    double lm = rgt_gc_eval_at(x, i, (double) x0 - h, loss, ctx, &xm);
    if (o->four_point) {
        double xp2, xm2;
        double lp2 = rgt_gc_eval_at(x, i, (double) x0 + 2.0 * h, loss, ctx, &xp2);
        double lm2 = rgt_gc_eval_at(x, i, (double) x0 - 2.0 * h, loss, ctx, &xm2);
        /* the stencil assumes equal spacing; use the nominal h (float rounding of x0 +- h is
         * far below the stencil's own error for the magnitudes used in the tests) */
        return (-lp2 + 8.0 * lp - 8.0 * lm + lm2) / (12.0 * h);
    }
    return (lp - lm) / (xp - xm);
}

static double rgt_gc_rel(double a, double num, double tiny) {
    double denom = fabs(a) + fabs(num);
    double rel = fabs(a - num) / (denom < tiny ? tiny : denom);
    return isnan(rel) ? INFINITY : rel; /* a NaN gradient or loss must fail, not slip past */
}

int rgt_gradcheck(rgt_gc_result_t *res, const char *name, float *x, const float *grad, size_t n,
                  rgt_gc_loss_fn *loss, void *ctx, const rgt_gc_opts_t *o) {
    rgt_gc_result_t r = {0.0, 0, 0.0, 0.0, 0};
    size_t n_check = (o->n_max > 0 && o->n_max < n) ? o->n_max : n, n_refined = 0;
    rg_rng_t rng;
    rg_rng_init(&rng, o->seed);
    for (size_t c = 0; c < n_check; c++) {
        /* all indices in order, or a seeded sample (with replacement: cheap and unbiased) */
        size_t i = n_check == n ? c : (size_t) rg_rng_below(&rng, (uint64_t) n);
        float x0 = x[i];
        double a = (double) grad[i];
        double num = rgt_gc_numeric(x, i, x0, o->eps, loss, ctx, o);
        double rel = rgt_gc_rel(a, num, o->tiny);
        /* a failure at step h is retried at h/2, h/4, ...: the estimate's truncation error and
         * a kink within reach of the stencil shrink with h, a wrong analytic gradient does not */
        double h = o->eps;
        for (int k = 0; k < o->refine && rel > o->tol; k++) {
            h *= 0.5;
            double num_k = rgt_gc_numeric(x, i, x0, h, loss, ctx, o);
            double rel_k = rgt_gc_rel(a, num_k, o->tiny);
            if (rel_k < rel) {
                num = num_k;
                rel = rel_k;
            }
            n_refined += rel <= o->tol;
        }
        x[i] = x0; /* restore bit-exactly */
        if (rel > r.max_rel || r.n_checked == 0) {
            r.max_rel = rel;
            r.worst = i;
            r.worst_analytic = a;
            r.worst_numeric = num;
        }
        r.n_checked++;
    }
    int ok = r.max_rel <= o->tol;
    if (o->verbose) {
        printf("gradcheck %-28s %s  max rel err %.2e at %zu (analytic % .6e numeric % .6e), "
               "%zu of %zu checked, %zu at a smaller step\n",
               name, ok ? "ok  " : "FAIL", r.max_rel, r.worst, r.worst_analytic,
               r.worst_numeric, r.n_checked, n, n_refined);
    }
    if (res) {
        *res = r;
    }
    return ok;
}
