/* gc_seq.h: the full-model finite-difference check shared by gc_rnn.c and gc_lstm.c (included by
 * each; one executable per model).
 *
 * The objective is the model's whole training loss on a tiny graph (rg_i_seqmodel_objective:
 * every user's sequence in one window, so no truncation; the held-out targets and negatives are
 * fixed by a seed), a sum over ratings computed in float and accumulated in double.  Every
 * trainable parameter is checked (about 200): all of them are first set to random values, so
 * that the rating layer (which starts at zero) and the recurrent weights all carry gradient.
 * The graph has a user with one rating (no target), a user whose timestamps are all 0 (unknown
 * order), uneven lengths over two batches (batch 2) and more negatives than some rows have
 * distinct movies (accidental hits are masked).
 * Tolerance: 4-point stencil with h = 2e-2, tol 2e-2, tiny 1e-3.  L sums ~60 float terms of size
 * ~1 (rounding ~1e-6 each); 2e-2 is still two orders above the error of the central
 * differences and far below the O(1) relative error a wrong or missing term gives.
 */
#ifndef GC_SEQ_H
#define GC_SEQ_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gradcheck.h"
#include "models/seqdata.h"
#include "rg_test.h"

typedef struct {
    rg_model_t m;
    rg_graph_t g;
    const rg_i_seqcell_t *cell;
    float *grads;
} gc_seq_ctx_t;

static double gc_seq_loss(void *p) {
    gc_seq_ctx_t *c = p;
    double L = 0.0;
    memset(c->grads, 0, c->m.n_params * sizeof(float));
    rg_error_t rc = rg_i_seqmodel_objective(&c->m, &c->g, c->cell, 7, &L, c->grads);
    return rc == RG_SUCCESS ? L : NAN;
}

static void gc_seq_run(const char *model, const rg_i_seqcell_t *cell) {
    /* users 1..5; user 4 has one rating, user 5 has no timestamps */
    static const int64_t users[] = {1, 1, 1, 1, 1, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 4, 5, 5, 5, 5};
    static const int64_t movies[] = {10, 11, 12, 13, 14, 10, 12, 15, 11, 12, 13, 14,
                                     15, 16, 10, 16, 10, 13, 14, 16};
    static const float ratings[] = {4, 3, 5, 2, 4, 1, 3, 5, 4, 4, 2, 5, 3, 1, 2, 5, 3, 4, 2, 5};
    static const int64_t ts[] = {105, 101, 103, 102, 104, 203, 201, 202, 310, 302, 305, 301,
                                 303, 304, 309, 400, 0, 0, 0, 0};
    gc_seq_ctx_t c;
    memset(&c, 0, sizeof c);
    c.cell = cell;
    RGT_OK(rgt_graph_from_triples(&c.g, 20, users, movies, ratings, ts));
    rg_hparams_t hp;
    rg_hparams_init(&hp);
    hp.dim = 3;
    hp.batch = 2;
    hp.negatives = 4;
    hp.reg = 0.05f;
    hp.seed = 11;
    const rg_model_ops_t *ops = rg_model_find(model);
    assert_non_null(ops);
    RGT_OK(rg_model_init(&c.m, ops, &hp, NULL, &c.g, &c.g));
    RGT_OK(ops->init(&c.m, &c.g));
    const rg_tensor_t *tu = rg_model_tensor(&c.m, "user_emb");
    assert_non_null(tu);
    size_t n_train = tu->offset; /* user_emb, derived, is last */
    rg_rng_t r;
    rg_rng_init(&r, 5);
    rgt_gc_fill(c.m.params, n_train, -0.6f, 0.6f, &r);
    c.grads = calloc(c.m.n_params, sizeof(float));
    float *analytic = calloc(c.m.n_params, sizeof(float));
    assert_non_null(c.grads);
    assert_non_null(analytic);
    double L = gc_seq_loss(&c);
    assert_true(L == L && L > 0.0);
    memcpy(analytic, c.grads, c.m.n_params * sizeof(float));
    rgt_gc_opts_t o;
    rgt_gc_opts_default(&o);
    o.eps = 2e-2;
    o.tol = 2e-2;
    o.four_point = 1;
    RGT_GRADCHECK(model, c.m.params, analytic, n_train, gc_seq_loss, &c, &o);
    /* nothing flows into the derived user_emb */
    for (size_t i = n_train; i < c.m.n_params; i++) {
        assert_true(analytic[i] == 0.0f);
    }
    free(analytic);
    free(c.grads);
    rg_model_free(&c.m);
    rg_graph_free(&c.g);
}

#endif
