/* lstm.c: `lstm`, an LSTM over each user's ratings in time order.
 *
 *     [i f g o] = act(Wx [E[m_t] | r_t - mu] + Wh h_{t-1} + b),  c_t = f c_{t-1} + i g,
 *     h_t = o tanh(c_t)
 *
 * The final hidden state is the user's taste: it feeds the next-movie layer (h . P_j + c_j,
 * sampled softmax over the next movie and K negatives) and the rating layer
 * (mu + b_u + b_m + (h + p_u) . Q_m), trained together (multi-task).  The sequences, heads,
 * truncated BPTT and training loop are shared with `rnn` in seqdata.c (see seqdata.h); this file
 * binds the LSTM cell of nn.h.  Hyper-parameters as for rnn: dim 16, epochs 25 (all run), 5% validation,
 * lr 0.01 (cosine-decayed to a tenth), reg 0.05, dropout 0.5, alpha 0.1, batch 32, window 32,
 * negatives 64.
 */
#include "models/seqdata.h"
#include "reelgraph/nn.h"

/* The forget gate starts biased open (Jozefowicz, Zaremba & Sutskever 2015), so early training
 * carries the state through long sequences instead of forgetting it. */
#define LSTM_FORGET_BIAS 1.0f

static void lstm_cell_init(float *Wx, float *Wh, float *b, int Din, int H, rg_rng_t *r) {
    rg_param_init_xavier(Wx, 4 * (size_t) H * (size_t) Din, Din, H, r);
    rg_param_init_xavier(Wh, 4 * (size_t) H * (size_t) H, H, H, r);
    rg_param_zero(b, 4 * (size_t) H);
    /* gates are stacked i, f, g, o */
    for (int k = 0; k < H; k++) {
        b[H + k] = LSTM_FORGET_BIAS;
    }
}

/* state planes: h at s, c at s + P */
static void lstm_cell_forward(float *s, float *cache, const float *x, const float *s_prev,
                              const float *Wx, const float *Wh, const float *b, int B, int Din,
                              int H, size_t P) {
    rg_lstm_cell_forward(s, s + P, cache, x, s_prev, s_prev + P, Wx, Wh, b, B, Din, H);
}

static void lstm_cell_backward(float *dx, float *ds_prev, float *dWx, float *dWh, float *db,
                               const float *ds, const float *x, const float *s_prev,
                               const float *s, const float *cache, const float *Wx,
                               const float *Wh, float *dpre, int B, int Din, int H, size_t P) {
    (void) s;
    rg_lstm_cell_backward(dx, ds_prev, ds_prev + P, dWx, dWh, db, ds, ds + P, x, s_prev,
                          s_prev + P, cache, Wx, Wh, dpre, B, Din, H);
}

static const rg_i_seqcell_t lstm_cell = {"lstm", 4, 2, 5, lstm_cell_init, lstm_cell_forward,
                                         lstm_cell_backward};

const rg_i_seqcell_t *rg_i_lstm_cell(void) { return &lstm_cell; }

static rg_error_t lstm_init(rg_model_t *m, const rg_graph_t *train) {
    return rg_i_seqmodel_init(m, train, &lstm_cell);
}

static rg_error_t lstm_attach(rg_model_t *m, const rg_graph_t *train) {
    return rg_i_seqmodel_attach(m, train, &lstm_cell);
}

static rg_error_t lstm_fold_in(const rg_model_t *m, const rg_graph_t *train, int64_t n,
                               const int32_t *movies, const float *ratings, float *out) {
    return rg_i_seqmodel_fold_in(m, train, n, movies, ratings, out, &lstm_cell);
}

const rg_model_ops_t rg_model_lstm = {
    .name = "lstm",
    .summary = "LSTM over each user's ratings in time order; final state scores next movie and rating",
    .predicts_ratings = 1,
    .init = lstm_init,
    .epoch = rg_i_seqmodel_epoch,
    .attach = lstm_attach,
    .predict = rg_i_seqmodel_predict,
    .score = rg_i_seqmodel_score,
    .fold_in = lstm_fold_in,
    .release = rg_i_seqmodel_release,
};
