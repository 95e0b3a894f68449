/* rnn.c: `rnn`, an Elman recurrent network over each user's ratings in time order.
 *
 *     h_t = tanh(Wx [E[m_t] | r_t - mu] + Wh h_{t-1} + b)
 *
 * The state after the user's history predicts the rating of a further movie
 * (mu + b_u + b_m + (h + p_u) . Q_m) and ranks the next movie (h . P_j + c_j, sampled softmax).
 * The sequences, both heads, truncated BPTT and the training loop are shared with `lstm` in
 * seqdata.c (see seqdata.h for the model and its training); this file binds the Elman cell of
 * nn.h.  Hyper-parameters (defaults): dim 16 (D = H), epochs 25 (all run: the trainer's patience
 * default 0; --patience N stops early) with a 5% validation carve, lr 0.01 (SGD of the rating
 * layer; Adam 0.002 for the rest; both cosine-decayed to a tenth over the epochs), reg 0.05,
 * dropout 0.5 on the state in the rating head, alpha 0.1 (next-movie loss weight), batch 32
 * users, window 32 steps, negatives 64.
 */
#include "models/seqdata.h"
#include "reelgraph/nn.h"

static void rnn_cell_init(float *Wx, float *Wh, float *b, int Din, int H, rg_rng_t *r) {
    rg_param_init_xavier(Wx, (size_t) H * (size_t) Din, Din, H, r);
    rg_param_init_xavier(Wh, (size_t) H * (size_t) H, H, H, r);
    rg_param_zero(b, (size_t) H);
}

static void rnn_cell_forward(float *s, float *cache, const float *x, const float *s_prev,
                             const float *Wx, const float *Wh, const float *b, int B, int Din,
                             int H, size_t P) {
    (void) cache;
    (void) P;
    rg_rnn_cell_forward(s, x, s_prev, Wx, Wh, b, B, Din, H);
}

static void rnn_cell_backward(float *dx, float *ds_prev, float *dWx, float *dWh, float *db,
                              const float *ds, const float *x, const float *s_prev,
                              const float *s, const float *cache, const float *Wx,
                              const float *Wh, float *dpre, int B, int Din, int H, size_t P) {
    (void) cache;
    (void) P;
    rg_rnn_cell_backward(dx, ds_prev, dWx, dWh, db, ds, x, s_prev, s, Wx, Wh, dpre, B, Din, H);
}

/* state: h only; the output h is the only cache the backward needs */
static const rg_i_seqcell_t rnn_cell = {"rnn", 1, 1, 0, rnn_cell_init, rnn_cell_forward,
                                        rnn_cell_backward};

const rg_i_seqcell_t *rg_i_rnn_cell(void) { return &rnn_cell; }

static rg_error_t rnn_init(rg_model_t *m, const rg_graph_t *train) {
    return rg_i_seqmodel_init(m, train, &rnn_cell);
}

static rg_error_t rnn_attach(rg_model_t *m, const rg_graph_t *train) {
    return rg_i_seqmodel_attach(m, train, &rnn_cell);
}

static rg_error_t rnn_fold_in(const rg_model_t *m, const rg_graph_t *train, int64_t n,
                              const int32_t *movies, const float *ratings, float *out) {
    return rg_i_seqmodel_fold_in(m, train, n, movies, ratings, out, &rnn_cell);
}

const rg_model_ops_t rg_model_rnn = {
    .name = "rnn",
    .summary = "Elman RNN over each user's ratings in time order: next rating and next movie",
    .predicts_ratings = 1,
    .init = rnn_init,
    .epoch = rg_i_seqmodel_epoch,
    .attach = rnn_attach,
    .predict = rg_i_seqmodel_predict,
    .score = rg_i_seqmodel_score,
    .fold_in = rnn_fold_in,
    .release = rg_i_seqmodel_release,
};
