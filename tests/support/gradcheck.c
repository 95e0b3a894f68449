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

int rgt_gradcheck(rgt_gc_result_t *res, const char *name, float *x, const float *grad, size_t n,
                  rgt_gc_loss_fn *loss, void *ctx, const rgt_gc_opts_t *o) {
    rgt_gc_result_t r = {0.0, 0, 0.0, 0.0, 0};
    size_t n_check = (o->n_max > 0 && o->n_max < n) ? o->n_max : n;
    rg_rng_t rng;
    rg_rng_init(&rng, o->seed);
    for (size_t c = 0; c < n_check; c++) {
        /* all indices in order, or a seeded sample (with replacement: cheap and unbiased) */
        size_t i = n_check == n ? c : (size_t) rg_rng_below(&rng, (uint64_t) n);
        float x0 = x[i];
        double h = o->eps, num;
        double xp, xm;
        double lp = rgt_gc_eval_at(x, i, (double) x0 + h, loss, ctx, &xp);
        double lm = rgt_gc_eval_at(x, i, (double) x0 - h, loss, ctx, &xm);
        if (o->four_point) {
            double xp2, xm2;
            double lp2 = rgt_gc_eval_at(x, i, (double) x0 + 2.0 * h, loss, ctx, &xp2);
            double lm2 = rgt_gc_eval_at(x, i, (double) x0 - 2.0 * h, loss, ctx, &xm2);
            /* the stencil assumes equal spacing; use the nominal h (float rounding of x0 +- h
             * is far below the stencil's own error for the magnitudes used in the tests) */
            num = (-lp2 + 8.0 * lp - 8.0 * lm + lm2) / (12.0 * h);
        } else {
            num = (lp - lm) / (xp - xm);
        }
        x[i] = x0; /* restore bit-exactly */
        double a = (double) grad[i];
        double denom = fabs(a) + fabs(num);
        if (denom < o->tiny) {
            denom = o->tiny;
        }
        double rel = fabs(a - num) / denom;
        if (isnan(rel)) {
            rel = INFINITY; /* a NaN gradient or loss must fail, not slip past the max */
        }
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
               "%zu of %zu checked\n",
               name, ok ? "ok  " : "FAIL", r.max_rel, r.worst, r.worst_analytic,
               r.worst_numeric, r.n_checked, n);
    }
    if (res) {
        *res = r;
    }
    return ok;
}
