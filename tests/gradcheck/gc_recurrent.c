/* gc_recurrent.c: finite-difference checks of the Elman RNN, LSTM and GRU cells, one step
 * (every input, state and weight, also with no previous state) and unrolled over T=3 steps with
 * shared weights (truncated BPTT as a model would run it: backward in reverse step order,
 * dh_prev of step t feeding dh of step t-1).  B=3, D=4, H=5.
 * Tolerances: tol 1e-2 and tiny 1e-3 as in rgt_gc_opts_default, but the 4-point stencil with
 * h = 5e-2: L sums ~90 float outputs, so its rounding noise (~3e-7) over a 2h = 2e-2 step is
 * ~1.5e-5, as large as the smallest gradients here; the 4-point stencil allows a 5x larger step
 * (truncation O(h^4)) and brings the worst error from 6e-3 down to 2.5e-3.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gradcheck.h"
#include "rg_test.h"

enum { B = 3, D = 4, H = 5, T = 3 };

typedef enum { CELL_RNN, CELL_LSTM, CELL_GRU } cell_t;

/* Weights for all three cells (sized for the largest, G = 4), inputs for T steps, states. */
typedef struct {
    cell_t kind;
    int G;                /* gate blocks: 1, 4, 3 */
    int steps;            /* 1 or T */
    int has_prev;         /* 0: first step from NULL state */
    float Wx[4 * H * D], Wh[4 * H * H], b[4 * H], bh[3 * H];
    float x[T * B * D];
    float h0[B * H], c0[B * H];
    float h[T * B * H], c[T * B * H], cache[T * B * 6 * H];
    float ch[T * B * H], cc[T * B * H]; /* reduction coefficients for h and c of every step */
} rec_ctx_t;

static const float *step_h_prev(const rec_ctx_t *t, int s) {
    if (s > 0) {
        return t->h + (size_t) (s - 1) * B * H;
    }
    return t->has_prev ? t->h0 : NULL;
}

static const float *step_c_prev(const rec_ctx_t *t, int s) {
    if (s > 0) {
        return t->c + (size_t) (s - 1) * B * H;
    }
    return t->has_prev ? t->c0 : NULL;
}

static double rec_loss(void *p) {
    rec_ctx_t *t = p;
    double L = 0.0;
    for (int s = 0; s < t->steps; s++) {
        const float *x = t->x + (size_t) s * B * D;
        float *h = t->h + (size_t) s * B * H, *c = t->c + (size_t) s * B * H;
        float *cache = t->cache + (size_t) s * B * 6 * H;
        switch (t->kind) {
        case CELL_RNN:
            rg_rnn_cell_forward(h, x, step_h_prev(t, s), t->Wx, t->Wh, t->b, B, D, H);
            break;
        case CELL_LSTM:
            rg_lstm_cell_forward(h, c, cache, x, step_h_prev(t, s), step_c_prev(t, s), t->Wx,
                                 t->Wh, t->b, B, D, H);
            L += rgt_gc_dot(c, t->cc + (size_t) s * B * H, B * H);
            break;
        case CELL_GRU:
            rg_gru_cell_forward(h, cache, x, step_h_prev(t, s), t->Wx, t->Wh, t->b, t->bh, B, D,
                                H);
            break;
        }
        L += rgt_gc_dot(h, t->ch + (size_t) s * B * H, B * H);
    }
    return L;
}

typedef struct {
    float dWx[4 * H * D], dWh[4 * H * H], db[4 * H], dbh[3 * H];
    float dx[T * B * D], dh0[B * H], dc0[B * H];
} rec_grads_t;

/* Runs forward then backward over the steps in reverse, with dout = the coefficients. */
static void rec_backward(rec_ctx_t *t, rec_grads_t *g) {
    float dh[B * H], dc[B * H], dh_prev[B * H], dc_prev[B * H], dpre[B * 6 * H];
    memset(g, 0, sizeof *g);
    memset(dh_prev, 0, sizeof dh_prev);
    memset(dc_prev, 0, sizeof dc_prev);
    rec_loss(t);
    for (int s = t->steps - 1; s >= 0; s--) {
        /* gradient reaching h_s: its own coefficient plus what step s+1 sent back */
        for (int i = 0; i < B * H; i++) {
            dh[i] = t->ch[(size_t) s * B * H + i] + dh_prev[i];
            dc[i] = t->cc[(size_t) s * B * H + i] + dc_prev[i];
        }
        memset(dh_prev, 0, sizeof dh_prev);
        memset(dc_prev, 0, sizeof dc_prev);
        const float *x = t->x + (size_t) s * B * D;
        float *dx = g->dx + (size_t) s * B * D;
        const float *hp = step_h_prev(t, s), *cp = step_c_prev(t, s);
        float *dhp = s > 0 ? dh_prev : g->dh0, *dcp = s > 0 ? dc_prev : g->dc0;
        const float *h = t->h + (size_t) s * B * H;
        const float *cache = t->cache + (size_t) s * B * 6 * H;
        switch (t->kind) {
        case CELL_RNN:
            rg_rnn_cell_backward(dx, dhp, g->dWx, g->dWh, g->db, dh, x, hp, h, t->Wx, t->Wh, dpre,
                                 B, D, H);
            break;
        case CELL_LSTM:
            rg_lstm_cell_backward(dx, dhp, dcp, g->dWx, g->dWh, g->db, dh, dc, x, hp, cp, cache,
                                  t->Wx, t->Wh, dpre, B, D, H);
            break;
        case CELL_GRU:
            rg_gru_cell_backward(dx, dhp, g->dWx, g->dWh, g->db, g->dbh, dh, x, hp, cache, t->Wx,
                                 t->Wh, dpre, B, D, H);
            break;
        }
    }
}

static void setup(rec_ctx_t *t, cell_t kind, int steps, int has_prev, uint64_t seed) {
    rg_rng_t r;
    memset(t, 0, sizeof *t);
    rg_rng_init(&r, seed);
    t->kind = kind;
    t->G = kind == CELL_RNN ? 1 : kind == CELL_LSTM ? 4 : 3;
    t->steps = steps;
    t->has_prev = has_prev;
    rgt_gc_fill(t->Wx, (size_t) t->G * H * D, -0.8f, 0.8f, &r);
    rgt_gc_fill(t->Wh, (size_t) t->G * H * H, -0.7f, 0.7f, &r);
    rgt_gc_fill(t->b, (size_t) t->G * H, -0.4f, 0.4f, &r);
    rgt_gc_fill(t->bh, 3 * H, -0.4f, 0.4f, &r);
    rgt_gc_fill(t->x, T * B * D, -1.5f, 1.5f, &r);
    rgt_gc_fill(t->h0, B * H, -0.9f, 0.9f, &r);
    rgt_gc_fill(t->c0, B * H, -1.2f, 1.2f, &r);
    rgt_gc_coeffs(t->ch, T * B * H, seed + 1);
    rgt_gc_coeffs(t->cc, T * B * H, seed + 2);
    if (kind != CELL_LSTM) {
        memset(t->cc, 0, sizeof t->cc); /* only the LSTM exposes c */
    }
}

static void check_cell(cell_t kind, int steps, int has_prev, const char *tag, uint64_t seed) {
    rec_ctx_t *t = malloc(sizeof *t);
    rec_grads_t *g = malloc(sizeof *g);
    rgt_gc_opts_t o;
    char name[64];
    assert_non_null(t);
    assert_non_null(g);
    rgt_gc_opts_default(&o);
    o.four_point = 1;
    o.eps = 5e-2;
    setup(t, kind, steps, has_prev, seed);
    rec_backward(t, g);
    size_t G = (size_t) t->G;
#define CHECK(label, x, dx, n)                                   \
    do {                                                         \
        snprintf(name, sizeof name, "%s %s", tag, label);       \
        RGT_GRADCHECK(name, x, dx, n, rec_loss, t, &o);          \
    } while (0)
    CHECK("x", t->x, g->dx, (size_t) steps * B * D);
    CHECK("Wx", t->Wx, g->dWx, G * H * D);
    CHECK("b", t->b, g->db, G * H);
    if (kind == CELL_GRU) {
        CHECK("bh", t->bh, g->dbh, 3 * H);
    }
    if (has_prev || steps > 1) {
        CHECK("Wh", t->Wh, g->dWh, G * H * H);
    }
    if (has_prev) {
        CHECK("h_prev", t->h0, g->dh0, B * H);
        if (kind == CELL_LSTM) {
            CHECK("c_prev", t->c0, g->dc0, B * H);
        }
    }
#undef CHECK
    free(t);
    free(g);
}

static void test_rnn_cell_gradients(void **state) {
    (void) state;
    check_cell(CELL_RNN, 1, 1, "rnn", 101);
    check_cell(CELL_RNN, 1, 0, "rnn(first step)", 102);
    check_cell(CELL_RNN, T, 1, "rnn(T=3)", 103);
}

static void test_lstm_cell_gradients(void **state) {
    (void) state;
    check_cell(CELL_LSTM, 1, 1, "lstm", 111);
    check_cell(CELL_LSTM, 1, 0, "lstm(first step)", 112);
    check_cell(CELL_LSTM, T, 1, "lstm(T=3)", 113);
}

static void test_gru_cell_gradients(void **state) {
    (void) state;
    check_cell(CELL_GRU, 1, 1, "gru", 121);
    check_cell(CELL_GRU, 1, 0, "gru(first step)", 122);
    check_cell(CELL_GRU, T, 1, "gru(T=3)", 123);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rnn_cell_gradients),
        cmocka_unit_test(test_lstm_cell_gradients),
        cmocka_unit_test(test_gru_cell_gradients),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
