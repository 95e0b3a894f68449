/* gc_gnn_model.h: the whole-model finite-difference check shared by gc_ggnn.c and gc_sage.c.
 *
 * A model kind exposes rg_i_<kind>_batch_grad (models/gnn_common.h): the mean squared error of
 * the first training mini-batch of an epoch and its gradient with respect to every parameter,
 * deterministic for fixed parameters.  gc_check_model builds the model on a tiny planted graph
 * (9 users, 11 movies, 6 ratings each, genres and demographics; D = 5 so no shape divides
 * evenly), redraws every parameter U(-0.6, 0.6) so each ReLU and gate sees both regimes, sets
 * the global mean to 0 (residuals of ~3 instead of ~0.3: gradients 10x larger while the float
 * rounding of the predictions, ~1e-7 of their size, shrinks), checks that no tensor has an
 * all-zero gradient (nothing silently disconnected) and then checks each tensor separately so a
 * failure names it.
 *
 * Tolerances (measured, not guessed): the loss (~20) is a float forward through ~10 layers, so
 * it carries ~1e-6 of rounding noise, i.e. ~3e-4 / h in a slope; ReLUs put kinks a step h away
 * with a probability ~ (rows * D) h.  A sweep of one ggnn GRU weight gave slopes within 4e-4
 * relative of the analytic value for h in [4e-3, 1e-1] and noise-dominated ones below 1e-3.
 * Hence the 4-point stencil with h = 3e-3, tol 1e-2 and tiny 2e-2 (gradients span 1e-5 .. 1;
 * below 2e-2 the comparison is absolute at 2e-4, above the 0.6-1.3e-4 noise seen on GRU weights
 * at h = 3e-3 and far below a real bug: dropping one term of the decoder's backward gives
 * relative errors of 0.9-1 on gradients of 0.02-0.07).
 */
#ifndef GC_GNN_MODEL_H
#define GC_GNN_MODEL_H

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gradcheck.h"
#include "models/gnn_common.h"
#include "rg_test.h"

typedef rg_error_t gc_batch_grad_fn(rg_model_t *m, const rg_graph_t *g, int epoch, double *loss,
                                    const float **grads);

typedef struct {
    rg_model_t *m;
    const rg_graph_t *g;
    gc_batch_grad_fn *fn;
} gc_ctx_t;

static double gc_loss(void *p) {
    gc_ctx_t *c = p;
    double loss = 0.0;
    const float *grads = NULL;
    if (c->fn(c->m, c->g, 0, &loss, &grads) != RG_SUCCESS) {
        fail_msg("batch_grad failed: %s", rg_last_error_message());
    }
    return loss;
}

/* hp: dim, steps, fanout, batch, seed as the caller wants them.  shift_name (may be NULL): a
 * tensor to which `shift` is added after the draw, e.g. a ReLU layer's bias pushed up so every
 * unit is active and no kink lies within the stencil (the kink itself is gc_activation.c's
 * business; with mixed regimes, 2-4 of 5 parameter draws put a pre-activation within the
 * +-2h = 6e-3 of the stencil and fail there while the gradient is right: a sweep of h on such a
 * point converges to the analytic value below 1e-3). */
static void gc_check_model(const rg_model_ops_t *ops, gc_batch_grad_fn *fn, const rg_hparams_t *hp,
                           uint64_t param_seed, const char *shift_name, float shift) {
    rg_graph_t g;
    RGT_OK(rgt_graph_planted(&g, 9, 11, 6, 7));
    rg_model_t m;
    RGT_OK(rg_model_init(&m, ops, hp, NULL, &g, &g));
    RGT_OK(ops->init(&m, &g));
    rg_rng_t r;
    rg_rng_init(&r, param_seed);
    rgt_gc_fill(m.params, m.n_params, -0.6f, 0.6f, &r);
    if (shift_name != NULL) {
        const rg_tensor_t *t = rg_model_tensor(&m, shift_name);
        assert_non_null(t);
        for (int64_t i = 0; i < t->rows * t->cols; i++) {
            m.params[t->offset + (size_t) i] += shift;
        }
    }
    m.global_mean = 0.0;

    double loss = 0.0;
    const float *grads = NULL;
    RGT_OK(fn(&m, &g, 0, &loss, &grads));
    assert_true(loss > 0.0);
    float *analytic = malloc(m.n_params * sizeof *analytic);
    assert_non_null(analytic);
    memcpy(analytic, grads, m.n_params * sizeof *analytic);
    for (int k = 0; k < m.n_tensors; k++) {
        double s = 0.0;
        for (int64_t i = 0; i < m.tensors[k].rows * m.tensors[k].cols; i++) {
            double a = analytic[m.tensors[k].offset + (size_t) i];
            s += a * a;
        }
        if (!(s > 0.0)) {
            print_error("%s: tensor %s has an all-zero gradient\n", ops->name, m.tensors[k].name);
        }
        assert_true(s > 0.0);
    }
    rgt_gc_opts_t o;
    rgt_gc_opts_default(&o);
    o.four_point = 1;
    o.refine = 4; /* a ReLU kink within the stencil: recheck at h/2 .. h/16 (3e-3 .. 1.9e-4) */
    o.eps = 3e-3;
    o.verbose = 0;
    gc_ctx_t c = {&m, &g, fn};
    int ok = 1;
    for (int k = 0; k < m.n_tensors; k++) {
        rgt_gc_result_t res;
        size_t off = m.tensors[k].offset, n = (size_t) (m.tensors[k].rows * m.tensors[k].cols);
        /* The float32 loss of a whole model at random U(-0.6, 0.6) parameters reaches the
         * hundreds, and its rounding puts a noise floor under every difference quotient that
         * grows with the tensor's gradient scale (seen: numeric estimates of a 0.107 entry
         * swinging from -1.6 to 0.44 as h shrinks, next to entries of 290 in the same tensor).
         * So an entry's error is judged against a floor of 0.5% of the tensor's largest
         * gradient entry, at least 0.03 (entries of ~0.002 carry ~2e-4 of noise at the
         * smallest step): a wrong backward pass is off by the size of the gradient itself. */
        double amax = 0.0;
        for (size_t i = 0; i < n; i++) {
            amax = fmax(amax, fabs((double) analytic[off + i]));
        }
        o.tiny = fmax(3e-2, 5e-3 * amax);
        int ok_k = rgt_gradcheck(&res, m.tensors[k].name, m.params + off, analytic + off, n,
                                 gc_loss, &c, &o);
        if (!ok_k) {
            print_error("%s tensor %s: rel err %.3g at index %zu (analytic %.6g, numeric %.6g)\n",
                        ops->name, m.tensors[k].name, res.max_rel, res.worst,
                        res.worst_analytic, res.worst_numeric);
        }
        ok &= ok_k;
    }
    assert_true(ok);
    free(analytic);
    ops->release(&m);
    rg_model_free(&m);
    rg_graph_free(&g);
}

#endif
