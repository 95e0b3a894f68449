/* sage.c: GraphSAGE (Hamilton, Ying & Leskovec, "Inductive Representation Learning on Large
 * Graphs", 2017) with two mean-aggregator layers on the bipartite rating graph, trained on
 * mini-batch blocks from the neighbour sampler (query.h), for rating prediction.
 *
 * Shape letters: U users, M movies, N = U + M nodes (global ids: user u is u, movie m is U + m),
 * D = hp.dim, F feature rows, B rating edges per batch, n0/n1/n2 nodes of the block's layers.
 *
 *   x_v  = emb[v] + sum_f w_vf feat[f]       learnable id embedding PLUS node features: the
 *                                            movie's genres (multi-hot, weight 1/#genres) or the
 *                                            user's gender, age bucket and occupation (one-hot
 *                                            each, when the dataset has demographics), as rows of
 *                                            one feature table (an embedding of the one-hot code
 *                                            is a linear layer on it)
 *   h1_v = relu(W1 [x_v | mean_{n in S2(v)} x_n | mean_{n in S2(v)} (r_vn - mu) x_n] + b1)
 *   h2_v =      W2 [h1_v | mean_{n in S1(v)} h1_n | mean_{n in S1(v)} (r_vn - mu) h1_n] + b2
 *   r^   = mu + b_u + b_m + h2_u . h2_m      (dot decoder + biases)
 * S1, S2 are the sampled neighbours (fanouts F1 = hp.fanout[0] for the targets, F2 =
 * hp.fanout[1] one hop further).  The batch's own ratings are excluded from the sample
 * (rg_block_sample's exclude list), so an edge never carries its own target into the messages;
 * at prediction time every training neighbour is used (full-neighbourhood mean, attach).
 * Each layer is GraphSAGE's mean aggregator with a second, rating-aware channel: the mean of the
 * sampled neighbours weighted by the centred rating of the connecting edge (gnn_common.h says
 * why centred); without it the messages would say which movies a user rated but not how.
 * The output layer has no activation: the dot decoder needs signed coordinates.  In training,
 * hp.dropout (default 0) drops layer-1 outputs (inverted dropout, one mask stream per batch).
 * The parameters each epoch hands to the trainer are the moving average of Adam's iterates over
 * the last RG_SAGE_AVG_EPOCHS epochs of steps (gnn_common.h): what is validated, kept and saved.
 *
 * The feature table's rows are gnn_common.h's (rg_i_gnn_feat_t).
 * Tensors: user_emb (U,D) and movie_emb (M,D) (declared adjacent: together one (N,D) table
 * indexed by global id), user_bias (U,1), movie_bias (M,1), feat_emb (F,D), sage_w1 (D,3D),
 * sage_b1 (D,1), sage_w2 (D,3D), sage_b2 (D,1).  Optimiser: Adam, lazy on the id tables,
 * L2 = hp.reg on touched rows.
 * Parallelism (n_threads OpenMP threads, OpenBLAS on one): the sampler's layers, the input rows,
 * each layer's rating-aware means (forward over dst rows, backward over entries with per-thread
 * slices) and its linear part (rg_linear2_*: rows, or weight against input gradients) run on
 * the threads; workspaces are sized once from the block capacities, nothing is allocated per
 * batch.
 */
#include <stdlib.h>
#include <string.h>

#include "models/gnn_common.h"
#include "reelgraph/model.h"
#include "reelgraph/nn.h"
#include "reelgraph/query.h"
#include "reelgraph/rng.h"

#define RG_SAGE_INIT_STD 0.1f /* bound of the uniform init of the id and feature embeddings */
/* Defaults by graph size.  Up to this many training ratings: every neighbour (exact means, the
 * same aggregation as at prediction time) and dim 128; above: fanouts 25 then 10 and dim 64.
 * On ML-100K (validation carve of u1.base, never u1.test) exact means gave 0.8904 validation
 * RMSE against 0.8964 for 25,10 and 0.8996 for 10,5 at dim 64, and 0.8874 at dim 128; on ML-1M
 * each step's 2-hop block covers nearly every node, so its cost is ~N D^2 per step and exact
 * blocks or 128 dimensions cost 4-10x more per epoch. */
#define RG_SAGE_FULL_FANOUT_MAX_RATINGS 250000
#define RG_SAGE_SMALL_BATCH 2048
/* Above RG_SAGE_FULL_FANOUT_MAX_RATINGS: batches of 8192 ratings and L2 0.0001.  ML-1M
 * random:0.1 seed 42, the trainer's validation carve (dim 64, fanouts 25,10, lr 0.002): batch
 * ratings/64 (~13.4K) and reg 0.001 gave 0.8744; batch 8192: 0.8579 (4096: 0.8582, 6681:
 * 0.8502 at reg 0.0001); then reg 0.0003: 0.8532, 0.0002: 0.8472, 0.0001: 0.8458, 0.00005:
 * 0.8474, 0: 0.8521; with the parameter averaging 0.8419.  The L2 term shrinks every touched row
 * at every step, and ML-1M takes ~100 steps an epoch against ML-100K's 38, so the small-graph
 * 0.001 was far too strong there.  dim 128 gained 0.003 (0.8430) for 2.4x the time. */
#define RG_SAGE_LARGE_BATCH 8192
#define RG_SAGE_LARGE_REG 0.0001f
/* Horizon of the parameter average (gnn_common.h), in epochs.  ML-100K validation carve of
 * u1.base, mean of seeds 42, 1, 2 (defaults otherwise): 0.8854 without averaging, 0.8842 at 1,
 * 0.8838 at 3, 0.8843 at 5 epochs; at 3 with lr 0.005: 0.8846, 0.008: 0.8889. */
#define RG_SAGE_AVG_EPOCHS 3.0

typedef struct {
    float *emb, *user_bias, *movie_bias, *feat, *w1, *b1, *w2, *b2;
} sage_view_t;

/* What one SAGE layer over n dst rows saves and uses as scratch.  The layer's input
 * [self | mean | centred-rating mean] is never built: the linear layer reads the self rows where
 * they are (the first n src rows) and the rating-aware mean pair from agg
 * (rg_linear2_forward_mt). */
typedef struct {
    float *agg;      /* (n, 2D) [mean | centred-rating mean] */
    float *dpre;     /* (n, D), training only */
    float *dagg;     /* (n, 2D), training only */
} sage_layer_ws_t;

/* Floats of a layer workspace (with the backward buffers when `train`); with mem != NULL, points
 * L's buffers into mem. */
static size_t sage_layer_carve(sage_layer_ws_t *L, float *mem, int64_t n, int D, int train) {
    size_t nD = (size_t) n * (size_t) D;
    size_t sizes[] = {2 * nD, train ? nD : 0, train ? 2 * nD : 0};
    float **views[] = {&L->agg, &L->dpre, &L->dagg};
    size_t off = 0;
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        if (mem != NULL) {
            *views[i] = mem + off;
        }
        off += sizes[i];
    }
    return off;
}

typedef struct {
    int D, nt;
    int64_t N;
    rg_i_gnn_feat_t feat;
    /* prediction state (attach) */
    int attached;
    int64_t *gptr;       /* (N+1) full neighbourhood CSR over global ids */
    int32_t *gidx;       /* (2E) */
    float *X, *H1, *H2;  /* (N,D) each: inputs, layer 1, layer 2 outputs */
    float *user_x_mean;  /* (D) mean user input: x of a folded-in user */
    float *att_mem;
    /* training state (init) */
    int training;
    rg_i_gnn_opt_t opt;
    rg_block_t block;
    int64_t n_edges, B;
    int64_t *order;      /* (E) edge ids, reshuffled every epoch */
    int32_t *edge_src;   /* (E) user of each edge */
    int32_t *targets;    /* (2B) */
    int32_t *pos_u, *pos_m, *edge_user, *edge_movie; /* (B) */
    float *edge_r, *pred, *dpred, *s;                /* (B) */
    int32_t *touch_u, *touch_m;
    sage_layer_ws_t L2, L1; /* layer 2 (dst nodes[1]) and layer 1 (dst nodes[0]) */
    float *X2, *H1b, *H2b;
    float *dX2, *dH1, *dH1d, *dH2;
    float *mp_scratch;   /* the rated-mean backward's per-thread slices (n2 rows) */
    uint8_t *mask1;      /* (cap1, D) dropout mask of the layer-1 outputs */
    float *ws_mem;
    rg_i_gnn_avg_t avg;  /* parameter averaging (gnn_common.h) */
} sage_t;

static rg_error_t sage_bind(sage_view_t *v, const rg_model_t *m, float *block) {
    const rg_tensor_t *tu = rg_model_tensor(m, "user_emb"), *tm = rg_model_tensor(m, "movie_emb");
    if (tu == NULL || tm == NULL || tm->offset != tu->offset + (size_t) (tu->rows * tu->cols)) {
        RG_ERROR(RG_EFORMAT, "sage: user_emb and movie_emb must be adjacent tensors");
    }
    const char *names[] = {"user_bias", "movie_bias", "feat_emb", "sage_w1",
                           "sage_b1",   "sage_w2",    "sage_b2"};
    float **dst[] = {&v->user_bias, &v->movie_bias, &v->feat, &v->w1, &v->b1, &v->w2, &v->b2};
    v->emb = block + tu->offset;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        const rg_tensor_t *t = rg_model_tensor(m, names[i]);
        if (t == NULL || t->dtype != RG_DTYPE_F32) {
            RG_ERROR(RG_EFORMAT, "sage: model has no F32 tensor %s", names[i]);
        }
        *dst[i] = block + t->offset;
    }
    return RG_SUCCESS;
}

/* One SAGE layer: out (n_dst, D) = W [self | mean | centred-rating mean] + b over csr
 * (csr->w = the ratings of the entries), relu applied when `relu`; self (n_dst, D) is the dst
 * rows' own input (src itself when dst row i is src row i, as in blocks and full graphs); L
 * keeps what backward needs.  O(nnz D + n_dst D^2). */
static void sage_layer_forward(float *out, sage_layer_ws_t *L, const float *self,
                               const float *src, const rg_mp_csr_t *csr, const float *W,
                               const float *b, float mu, int D, int relu, int nt) {
    int64_t n = csr->n_dst;
    rg_mp_rated_mean_forward(L->agg, 2 * D, src, csr, mu, D,
                             rg_i_gnn_threads(nt, 2.0 * (double) csr->ptr[n] * D));
    rg_linear2_forward_mt(out, self, D, L->agg, 2 * D, W, b, (int) n, D, relu,
                          rg_i_gnn_threads(nt, 3.0 * (double) n * D * D));
}

/* Backward of sage_layer_forward (self = src) given dout (n_dst, D), the gradient of its output
 * out; accumulates dsrc (n_src, D), dW, db.  scratch: rg_mp_rated_mean_scratch floats for n_src
 * rows (the aggregation's backward splits the entries over the threads, each extra thread into
 * its own slice). */
static void sage_layer_backward(float *dsrc, float *dW, float *db, const float *dout,
                                const float *out, const float *src, sage_layer_ws_t *L,
                                const rg_mp_csr_t *csr, const float *W, float mu, int D, int relu,
                                float *scratch, int nt) {
    int64_t n = csr->n_dst;
    /* forward was: out = act(src[0:n] W_self^T + agg W_agg^T + b) */
    rg_linear2_backward_mt(dsrc, L->dagg, dW, db, L->dpre, dout, relu ? out : NULL, src, D,
                           L->agg, 2 * D, W, (int) n, D,
                           rg_i_gnn_threads(nt, 6.0 * (double) n * D * D));
    /* forward was: agg = the rated mean pair of src */
    rg_mp_rated_mean_backward(dsrc, scratch, L->dagg, 2 * D, csr, mu, D,
                              rg_i_gnn_threads(nt, 2.0 * (double) csr->ptr[n] * D));
}

/* a . b over D floats, in index order (training and prediction score alike). */
static float sage_dot(const float *a, const float *b, int D) {
    float s = 0.0f;
    for (int i = 0; i < D; i++) {
        s += a[i] * b[i];
    }
    return s;
}

/* ---- state ---- */

static void sage_free_impl(sage_t *t) {
    if (t == NULL) {
        return;
    }
    rg_i_gnn_feat_free(&t->feat);
    free(t->gptr);
    free(t->gidx);
    free(t->att_mem);
    rg_i_gnn_opt_free(&t->opt);
    rg_block_free(&t->block);
    free(t->order);
    free(t->edge_src);
    free(t->targets);
    free(t->pos_u);
    free(t->pos_m);
    free(t->edge_user);
    free(t->edge_movie);
    free(t->touch_u);
    free(t->touch_m);
    free(t->ws_mem);
    rg_i_gnn_avg_free(&t->avg);
    free(t);
}

static rg_error_t sage_get_impl(rg_model_t *m, const rg_graph_t *g, sage_t **out) {
    sage_t *t = m->impl;
    if (t == NULL) {
        t = rg_calloc(1, sizeof *t);
        if (t == NULL) {
            RG_ERROR(RG_ENOMEM, "sage: cannot allocate the model state");
        }
        m->impl = t;
    }
    t->D = m->hp.dim;
    t->nt = m->hp.n_threads;
    t->N = m->n_users + m->n_movies;
    if (t->feat.fptr == NULL) {
        RG_CHECK(rg_i_gnn_feat_init(&t->feat, g));
    }
    const rg_tensor_t *tf = rg_model_tensor(m, "feat_emb");
    if (tf == NULL || tf->rows != t->feat.n_rows || tf->cols != t->D) {
        RG_ERROR(RG_EMISMATCH, "sage: feat_emb has %lld rows, the graph's features need %lld",
                 tf ? (long long) tf->rows : -1LL, (long long) t->feat.n_rows);
    }
    *out = t;
    return RG_SUCCESS;
}

static rg_error_t sage_alloc_training(sage_t *t, const rg_model_t *m, const rg_graph_t *g) {
    int D = t->D;
    int64_t B = m->hp.batch;
    int32_t fanouts[2] = {m->hp.fanout[0], m->hp.fanout[1]};
    t->B = B;
    t->n_edges = g->n_ratings;
    RG_CHECK(rg_block_init(&t->block, g, 2 * B, fanouts, 2));
    int64_t c0 = t->block.cap_nodes[0], c1 = t->block.cap_nodes[1], c2 = t->block.cap_nodes[2];
    size_t nb = (size_t) B;
    t->order = rg_malloc((size_t) (g->n_ratings > 0 ? g->n_ratings : 1) * sizeof *t->order);
    t->edge_src = rg_malloc((size_t) (g->n_ratings > 0 ? g->n_ratings : 1) * sizeof *t->edge_src);
    t->targets = rg_malloc(2 * nb * sizeof *t->targets);
    t->pos_u = rg_malloc(nb * sizeof *t->pos_u);
    t->pos_m = rg_malloc(nb * sizeof *t->pos_m);
    t->edge_user = rg_malloc(nb * sizeof *t->edge_user);
    t->edge_movie = rg_malloc(nb * sizeof *t->edge_movie);
    t->touch_u = rg_malloc((size_t) c2 * sizeof *t->touch_u);
    t->touch_m = rg_malloc((size_t) c2 * sizeof *t->touch_m);
    size_t d = (size_t) D, s0 = (size_t) c0 * d, s1 = (size_t) c1 * d, s2 = (size_t) c2 * d;
    size_t n_l2 = sage_layer_carve(&t->L2, NULL, c1, D, 1);
    size_t n_l1 = sage_layer_carve(&t->L1, NULL, c0, D, 1);
    size_t sizes[] = {nb, nb, nb, nb, s2, s1, s0, s2, s1, s1, s0,
                      rg_mp_rated_mean_scratch(c2, D, t->nt),
                      (s1 + sizeof(float) - 1) / sizeof(float) /* mask1 bytes */};
    size_t n_floats = n_l2 + n_l1;
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        n_floats += sizes[i];
    }
    t->ws_mem = rg_malloc(n_floats * sizeof *t->ws_mem);
    if (!t->order || !t->edge_src || !t->targets || !t->pos_u || !t->pos_m || !t->edge_user ||
        !t->edge_movie || !t->touch_u || !t->touch_m ||
        !t->ws_mem) {
        RG_ERROR(RG_ENOMEM, "sage: cannot allocate the training workspace (%zu floats)",
                 n_floats);
    }
    for (int64_t u = 0; u < g->n_users; u++) {
        for (int64_t e = g->user_ptr[u]; e < g->user_ptr[u + 1]; e++) {
            t->edge_src[e] = (int32_t) u;
        }
    }
    float *w = t->ws_mem;
    float *mask_mem = NULL;
    float **views[] = {&t->edge_r, &t->pred, &t->dpred, &t->s,    &t->X2,
                       &t->H1b,    &t->H2b,  &t->dX2,   &t->dH1,  &t->dH1d,
                       &t->dH2,    &t->mp_scratch, &mask_mem};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        *views[i] = w;
        w += sizes[i];
    }
    t->mask1 = (uint8_t *) mask_mem;
    w += sage_layer_carve(&t->L2, w, c1, D, 1);
    sage_layer_carve(&t->L1, w, c0, D, 1);
    int64_t cap = c2 > B ? c2 : B;
    RG_CHECK(rg_i_gnn_avg_init(&t->avg, m->n_params));
    return rg_i_gnn_opt_init(&t->opt, m, m->hp.reg, cap, cap);
}

/* ---- API ---- */

static rg_error_t sage_init(rg_model_t *m, const rg_graph_t *train) {
    rg_hparams_t *hp = &m->hp;
    int small = train->n_ratings <= RG_SAGE_FULL_FANOUT_MAX_RATINGS;
    rg_hp_default_i(&hp->dim, small ? 128 : 64);
    rg_hp_default_i(&hp->fanout[0], small ? 0 : 25);
    rg_hp_default_i(&hp->fanout[1], small ? 0 : 10);
    rg_hp_default_i(&hp->batch, small ? RG_SAGE_SMALL_BATCH : RG_SAGE_LARGE_BATCH);
    /* 20: the cosine schedule then reaches small steps near where validation bottoms out
     * (u1.base carve, dim 128: best validation 0.8866 at 20 epochs, 0.8869 at 15, 0.8874 at 40,
     * 0.8875 at 10) */
    /* large graphs: with batches of ~N/64 ratings lr 0.003 made the validation loss jump early
     * and early stopping quit at epoch 6 on ML-1M (validation ~0.90); lr 0.002 kept improving
     * through epoch 20, hence 30 epochs there (batch 8192, reg 0.0001: lr 0.003 0.8460 against
     * 0.8458, best epoch 12-13 of 30) */
    rg_hp_default_i(&hp->epochs, small ? 20 : 30);
    rg_hp_default_f(&hp->lr, small ? 0.003f : 0.002f);
    rg_hp_default_f(&hp->reg, small ? 0.001f : RG_SAGE_LARGE_REG);
    rg_hp_default_f(&hp->dropout, 0.0f);
    if (hp->dim < 1 || hp->batch < 1 || !(hp->lr > 0.0f) || !(hp->reg >= 0.0f) ||
        !(hp->dropout >= 0.0f && hp->dropout < 1.0f)) {
        RG_ERROR(RG_EINVAL, "sage: need dim >= 1 (got %d), batch >= 1 (%d), lr > 0 (%g), "
                            "reg >= 0 (%g), dropout in [0, 1) (%g)",
                 (int) hp->dim, (int) hp->batch, (double) hp->lr, (double) hp->reg,
                 (double) hp->dropout);
    }
    int64_t D = hp->dim;
    RG_CHECK(rg_model_declare(m, "user_emb", RG_DTYPE_F32, m->n_users, D));
    RG_CHECK(rg_model_declare(m, "movie_emb", RG_DTYPE_F32, m->n_movies, D));
    RG_CHECK(rg_model_declare(m, "user_bias", RG_DTYPE_F32, m->n_users, 1));
    RG_CHECK(rg_model_declare(m, "movie_bias", RG_DTYPE_F32, m->n_movies, 1));
    RG_CHECK(rg_model_declare(m, "feat_emb", RG_DTYPE_F32, rg_i_gnn_feat_rows(train), D));
    RG_CHECK(rg_model_declare(m, "sage_w1", RG_DTYPE_F32, D, 3 * D));
    RG_CHECK(rg_model_declare(m, "sage_b1", RG_DTYPE_F32, D, 1));
    RG_CHECK(rg_model_declare(m, "sage_w2", RG_DTYPE_F32, D, 3 * D));
    RG_CHECK(rg_model_declare(m, "sage_b2", RG_DTYPE_F32, D, 1));
    RG_CHECK(rg_model_alloc(m));

    sage_view_t p;
    RG_CHECK(sage_bind(&p, m, m->params));
    rg_rng_t r;
    rg_rng_init(&r, rg_rng_mix(hp->seed, 0));
    rg_param_init_uniform(p.emb, (size_t) ((m->n_users + m->n_movies) * D), RG_SAGE_INIT_STD, &r);
    rg_param_init_uniform(p.feat, (size_t) (rg_i_gnn_feat_rows(train) * D), RG_SAGE_INIT_STD, &r);
    rg_param_init_he(p.w1, (size_t) (3 * D * D), (int) (3 * D), &r);
    rg_param_init_xavier(p.w2, (size_t) (3 * D * D), (int) (3 * D), (int) D, &r);

    sage_t *t = NULL;
    RG_CHECK(sage_get_impl(m, train, &t));
    t->training = 1;
    return sage_alloc_training(t, m, train);
}

static rg_error_t sage_check_epoch_graph(const rg_model_t *m, const rg_graph_t *g) {
    const sage_t *t = m->impl;
    if (t == NULL || !t->training) {
        RG_ERROR(RG_EINVAL, "sage: epoch called before init");
    }
    if (g->n_ratings != t->n_edges || g->n_users != m->n_users || g->n_movies != m->n_movies) {
        RG_ERROR(RG_EINVAL, "sage: epoch graph (%lld ratings) is not the one init saw (%lld)",
                 (long long) g->n_ratings, (long long) t->n_edges);
    }
    return RG_SUCCESS;
}

/* Ratings per step: hp.batch at most, as equal as the epoch allows (ceil(E / steps) for
 * steps = ceil(E / hp.batch)).  A remainder batch would take a full Adam step however few
 * ratings it held (Adam scales every step to about lr): on ML-1M the old batch of E/64 left 11
 * ratings for the last step, and the validation curve jumped with it (0.8744 against 0.8579 at
 * a batch of 13000, from the helper sweep). */
static int64_t sage_batch_size(const sage_t *t) {
    int64_t steps = (t->n_edges + t->B - 1) / t->B;
    return steps > 0 ? (t->n_edges + steps - 1) / steps : t->B;
}

/* Shuffled edge order of `epoch`. */
static void sage_epoch_prepare(sage_t *t, const rg_model_t *m, int epoch) {
    rg_rng_t r;
    rg_rng_init(&r, rg_rng_mix(m->hp.seed, 1 + (uint64_t) epoch));
    for (int64_t e = 0; e < t->n_edges; e++) {
        t->order[e] = e;
    }
    rg_rng_shuffle_i64(&r, t->order, t->n_edges);
}

/* Samples the block of edges order[e0 .. e0+nb), runs forward and backward, accumulating the
 * gradient of the batch's mean squared error and the touched rows.  Returns the MSE. */
static rg_error_t sage_batch_grad(sage_t *t, rg_model_t *m, const rg_graph_t *g, int epoch,
                                  int64_t batch_index, int64_t e0, int64_t nb, double *loss) {
    int D = t->D, nt = t->nt;
    int64_t U = g->n_users;
    const int64_t *eids = t->order + e0;
    for (int64_t k = 0; k < nb; k++) {
        int64_t e = eids[k];
        int32_t u = t->edge_src[e];
        t->edge_user[k] = u;
        t->edge_movie[k] = g->user_adj[e];
        t->edge_r[k] = g->rating[e];
        t->targets[2 * k] = u;
        t->targets[2 * k + 1] = (int32_t) (U + g->user_adj[e]);
    }
    rg_block_t *b = &t->block;
    rg_sample_opts_t so;
    rg_sample_opts_default(&so);
    so.n_threads = nt;
    RG_CHECK(rg_block_sample(b, g, t->targets, 2 * nb, eids, nb, &so,
                             rg_rng_mix(m->hp.seed, 1 + (uint64_t) epoch), (uint64_t) batch_index));
    for (int64_t k = 0; k < nb; k++) {
        t->pos_u[k] = b->target_pos[2 * k];
        t->pos_m[k] = b->target_pos[2 * k + 1];
    }
    int64_t n0 = b->n_nodes[0], n1 = b->n_nodes[1], n2 = b->n_nodes[2];
    rg_mp_csr_t csr1 = {b->ptr[1], b->idx[1], b->w[1], NULL, n0, n1};
    rg_mp_csr_t csr2 = {b->ptr[2], b->idx[2], b->w[2], NULL, n1, n2};
    float mu = (float) m->global_mean;
    sage_view_t p, gr;
    RG_CHECK(sage_bind(&p, m, m->params));
    RG_CHECK(sage_bind(&gr, m, t->opt.grads));

    /* ---- forward ---- */
    rg_i_gnn_inputs_forward(t->X2, 0, p.emb, p.feat, &t->feat, b->nodes[2], n2, 0, D, nt);
    sage_layer_forward(t->H1b, &t->L2, t->X2, t->X2, &csr2, p.w1, p.b1, mu, D, 1, nt);
    float drop = m->hp.dropout;
    size_t n1D = (size_t) n1 * (size_t) D;
    if (drop > 0.0f) {
        rg_rng_t r; /* dropout stream of this batch: fixed by (seed, epoch, batch) */
        rg_rng_init(&r, rg_rng_mix(rg_rng_mix(m->hp.seed, 1 + (uint64_t) epoch),
                                   (uint64_t) batch_index));
        rg_dropout_forward(t->H1b, t->mask1, t->H1b, n1D, drop, &r);
    }
    sage_layer_forward(t->H2b, &t->L1, t->H1b, t->H1b, &csr1, p.w2, p.b2, mu, D, 0, nt);
    for (int64_t k = 0; k < nb; k++) {
        t->s[k] = sage_dot(t->H2b + (size_t) t->pos_u[k] * (size_t) D,
                           t->H2b + (size_t) t->pos_m[k] * (size_t) D, D);
    }
    rg_i_gnn_head_forward(t->pred, t->s, t->edge_user, t->edge_movie, p.user_bias, p.movie_bias,
                          (float) m->global_mean, nb);
    rg_param_zero(t->dpred, (size_t) nb);
    *loss = rg_loss_mse(t->dpred, t->pred, t->edge_r, NULL, nb, (double) nb);

    /* ---- backward ---- */
    rg_i_gnn_head_backward(gr.user_bias, gr.movie_bias, t->dpred, t->edge_user, t->edge_movie,
                           nb);
    /* forward was: s_k = h2[pos_u[k]] . h2[pos_m[k]] (users and movies are different rows) */
    rg_param_zero(t->dH2, (size_t) n0 * (size_t) D);
    for (int64_t k = 0; k < nb; k++) {
        float *du = t->dH2 + (size_t) t->pos_u[k] * (size_t) D;
        float *dm = t->dH2 + (size_t) t->pos_m[k] * (size_t) D;
        const float *hu = t->H2b + (size_t) t->pos_u[k] * (size_t) D;
        const float *hm = t->H2b + (size_t) t->pos_m[k] * (size_t) D;
        const float gk = t->dpred[k];
        for (int c = 0; c < D; c++) {
            du[c] += gk * hm[c];
            dm[c] += gk * hu[c];
        }
    }
    rg_param_zero(t->dH1, n1D);
    sage_layer_backward(t->dH1, gr.w2, gr.b2, t->dH2, t->H2b, t->H1b, &t->L1, &csr1, p.w2, mu,
                        D, 0, t->mp_scratch, nt);
    const float *dH1 = t->dH1;
    if (drop > 0.0f) {
        /* forward was: H1 = dropout(relu(.)) in place; the relu backward below reads the
         * dropped output, whose zeros carry no gradient either way */
        rg_param_zero(t->dH1d, n1D);
        rg_dropout_backward(t->dH1d, t->dH1, t->mask1, n1D, drop);
        dH1 = t->dH1d;
    }
    rg_param_zero(t->dX2, (size_t) n2 * (size_t) D);
    sage_layer_backward(t->dX2, gr.w1, gr.b1, dH1, t->H1b, t->X2, &t->L2, &csr2, p.w1, mu, D,
                        1, t->mp_scratch, nt);
    /* forward was: x = emb[nodes] + feature sum */
    rg_i_gnn_inputs_backward(gr.emb, gr.feat, t->dX2, 0, 0, &t->feat, b->nodes[2], n2, 0, D,
                             nt);

    int64_t nu = 0, nm = 0;
    for (int64_t i = 0; i < n2; i++) {
        int32_t v = b->nodes[2][i];
        if (v < U) {
            t->touch_u[nu++] = v;
        } else {
            t->touch_m[nm++] = (int32_t) (v - U);
        }
    }
    rg_i_gnn_opt_touch(&t->opt, RG_I_GNN_USER_EMB, t->touch_u, nu);
    rg_i_gnn_opt_touch(&t->opt, RG_I_GNN_MOVIE_EMB, t->touch_m, nm);
    rg_i_gnn_opt_touch(&t->opt, RG_I_GNN_USER_BIAS, t->edge_user, nb);
    rg_i_gnn_opt_touch(&t->opt, RG_I_GNN_MOVIE_BIAS, t->edge_movie, nb);
    return RG_SUCCESS;
}

rg_error_t rg_i_sage_batch_grad(rg_model_t *m, const rg_graph_t *g, int epoch, double *loss,
                                const float **grads) {
    RG_CHECK(sage_check_epoch_graph(m, g));
    sage_t *t = m->impl;
    sage_epoch_prepare(t, m, epoch);
    rg_i_gnn_opt_reset(&t->opt, m->n_params);
    int64_t nb = t->n_edges < sage_batch_size(t) ? t->n_edges : sage_batch_size(t);
    *loss = 0.0;
    if (nb > 0) {
        RG_CHECK(sage_batch_grad(t, m, g, epoch, 0, 0, nb, loss));
    }
    *grads = t->opt.grads;
    return RG_SUCCESS;
}

static rg_error_t sage_epoch(rg_model_t *m, const rg_graph_t *g, int epoch, double *loss) {
    RG_CHECK(sage_check_epoch_graph(m, g));
    sage_t *t = m->impl;
    rg_i_gnn_avg_begin(&t->avg, m, RG_SAGE_AVG_EPOCHS,
                       (double) (t->n_edges + t->B - 1) / (double) t->B);
    int64_t per = sage_batch_size(t);
    sage_epoch_prepare(t, m, epoch);
    double sse = 0.0;
    int64_t batch_index = 0;
    float lr = rg_i_gnn_lr(m, epoch);
    for (int64_t e0 = 0; e0 < t->n_edges; e0 += per, batch_index++) {
        int64_t nb = t->n_edges - e0 < per ? t->n_edges - e0 : per;
        double l = 0.0;
        RG_CHECK(sage_batch_grad(t, m, g, epoch, batch_index, e0, nb, &l));
        rg_i_gnn_opt_step(&t->opt, m, lr);
        rg_i_gnn_avg_step(&t->avg, m);
        sse += l * (double) nb;
    }
    rg_i_gnn_avg_end(&t->avg, m);
    *loss = t->n_edges > 0 ? sse / (double) t->n_edges : 0.0;
    t->attached = 0;
    return RG_SUCCESS;
}

/* Full-neighbourhood inference for every node of g: X, H1, H2 (N, D).  O(E D + N D^2). */
static rg_error_t sage_attach(rg_model_t *m, const rg_graph_t *g) {
    if (g->n_users != m->n_users || g->n_movies != m->n_movies) {
        RG_ERROR(RG_EINVAL, "sage: graph has %lld users / %lld movies, the model %lld / %lld",
                 (long long) g->n_users, (long long) g->n_movies, (long long) m->n_users,
                 (long long) m->n_movies);
    }
    /* every tensor the layers read, against the graph and dim: a crafted model file is
     * refused here instead of read out of bounds */
    int64_t Dm = m->hp.dim;
    if (Dm < 1) {
        RG_ERROR(RG_EFORMAT, "sage: the model's dim %lld must be >= 1", (long long) Dm);
    }
    RG_CHECK(rg_model_expect(m, "user_emb", RG_DTYPE_F32, g->n_users, Dm));
    RG_CHECK(rg_model_expect(m, "movie_emb", RG_DTYPE_F32, g->n_movies, Dm));
    RG_CHECK(rg_model_expect(m, "user_bias", RG_DTYPE_F32, g->n_users, 1));
    RG_CHECK(rg_model_expect(m, "movie_bias", RG_DTYPE_F32, g->n_movies, 1));
    RG_CHECK(rg_model_expect(m, "feat_emb", RG_DTYPE_F32, rg_i_gnn_feat_rows(g), Dm));
    RG_CHECK(rg_model_expect(m, "sage_w1", RG_DTYPE_F32, Dm, 3 * Dm));
    RG_CHECK(rg_model_expect(m, "sage_b1", RG_DTYPE_F32, Dm, 1));
    RG_CHECK(rg_model_expect(m, "sage_w2", RG_DTYPE_F32, Dm, 3 * Dm));
    RG_CHECK(rg_model_expect(m, "sage_b2", RG_DTYPE_F32, Dm, 1));
    sage_t *t = NULL;
    RG_CHECK(sage_get_impl(m, g, &t));
    int D = t->D;
    int64_t U = g->n_users, M = g->n_movies, N = t->N, E = g->n_ratings;
    size_t ND = (size_t) N * (size_t) D;
    /* the full neighbourhood CSR over global ids (ratings in gw) and, in one block, the outputs
     * X H1 H2 (N,D), user_x_mean (D) and the scratch gw (2E), one layer workspace */
    sage_layer_ws_t L;
    size_t n_layer = sage_layer_carve(&L, NULL, N, D, 0);
    size_t n_floats = 3 * ND + (size_t) D + 2 * (size_t) E + n_layer + 1;
    free(t->gptr);
    free(t->gidx);
    free(t->att_mem);
    t->gptr = rg_malloc((size_t) (N + 1) * sizeof *t->gptr);
    t->gidx = rg_malloc((size_t) (2 * E + 1) * sizeof *t->gidx);
    t->att_mem = rg_malloc(n_floats * sizeof *t->att_mem);
    if (!t->gptr || !t->gidx || !t->att_mem) {
        RG_ERROR(RG_ENOMEM, "sage: cannot allocate the prediction state of %lld nodes",
                 (long long) N);
    }
    t->X = t->att_mem;
    t->H1 = t->X + ND;
    t->H2 = t->H1 + ND;
    t->user_x_mean = t->H2 + ND;
    float *gw = t->user_x_mean + D;
    sage_layer_carve(&L, gw + 2 * E, N, D, 0);
    int64_t k = 0;
    t->gptr[0] = 0;
    for (int64_t u = 0; u < U; u++) {
        for (int64_t e = g->user_ptr[u]; e < g->user_ptr[u + 1]; e++) {
            t->gidx[k] = (int32_t) (U + g->user_adj[e]);
            gw[k++] = g->rating[e];
        }
        t->gptr[u + 1] = k;
    }
    for (int64_t j = 0; j < M; j++) {
        for (int64_t q = g->movie_ptr[j]; q < g->movie_ptr[j + 1]; q++) {
            t->gidx[k] = g->movie_adj[q];
            gw[k++] = g->rating[g->movie_eid[q]];
        }
        t->gptr[U + j + 1] = k;
    }
    sage_view_t p;
    RG_CHECK(sage_bind(&p, m, m->params));
    rg_i_gnn_inputs_forward(t->X, 0, p.emb, p.feat, &t->feat, NULL, N, 0, D, t->nt);
    rg_mp_csr_t csr = {t->gptr, t->gidx, gw, NULL, N, N};
    float mu = (float) m->global_mean;
    sage_layer_forward(t->H1, &L, t->X, t->X, &csr, p.w1, p.b1, mu, D, 1, t->nt);
    sage_layer_forward(t->H2, &L, t->H1, t->H1, &csr, p.w2, p.b2, mu, D, 0, t->nt);
    for (int i = 0; i < D; i++) {
        double s = 0.0;
        for (int64_t u = 0; u < U; u++) {
            s += t->X[(size_t) u * (size_t) D + (size_t) i];
        }
        t->user_x_mean[i] = U > 0 ? (float) (s / (double) U) : 0.0f;
    }
    t->attached = 1;
    return RG_SUCCESS;
}

static rg_error_t sage_check_attached(const rg_model_t *m) {
    const sage_t *t = m->impl;
    if (t == NULL || !t->attached) {
        RG_ERROR(RG_EINVAL, "sage: model not attached to a graph (call attach after training)");
    }
    return RG_SUCCESS;
}

static rg_error_t sage_predict(const rg_model_t *m, const rg_graph_t *g, int64_t n,
                               const int32_t *users, const int32_t *movies, float *out) {
    (void) g;
    RG_CHECK(sage_check_attached(m));
    const sage_t *t = m->impl;
    const float *bu = rg_model_f32(m, "user_bias"), *bm = rg_model_f32(m, "movie_bias");
    int D = t->D;
    for (int64_t i = 0; i < n; i++) {
        if (users[i] < 0 || users[i] >= m->n_users || movies[i] < 0 || movies[i] >= m->n_movies) {
            RG_ERROR(RG_ERANGE, "sage: pair %lld (user %d, movie %d) out of range", (long long) i,
                     users[i], movies[i]);
        }
        const float *hu = t->H2 + (size_t) users[i] * (size_t) D;
        const float *hm = t->H2 + (size_t) (m->n_users + movies[i]) * (size_t) D;
        out[i] = (float) m->global_mean + bu[users[i]] + bm[movies[i]] + sage_dot(hu, hm, D);
    }
    return RG_SUCCESS;
}

/* Scores of every movie against one output row h (n_movies), plus bias `b_user`. */
static void sage_score_row(const rg_model_t *m, const float *h, float b_user, float *out) {
    const sage_t *t = m->impl;
    const float *bm = rg_model_f32(m, "movie_bias");
    for (int64_t j = 0; j < m->n_movies; j++) {
        const float *hm = t->H2 + (size_t) (m->n_users + j) * (size_t) t->D;
        out[j] = (float) m->global_mean + b_user + bm[j] + sage_dot(h, hm, t->D);
    }
}

static rg_error_t sage_score(const rg_model_t *m, const rg_graph_t *g, int32_t u, float *out) {
    (void) g;
    RG_CHECK(sage_check_attached(m));
    if (u < 0 || u >= m->n_users) {
        RG_ERROR(RG_ERANGE, "sage: user %d out of range [0, %lld)", u, (long long) m->n_users);
    }
    const sage_t *t = m->impl;
    sage_score_row(m, t->H2 + (size_t) u * (size_t) t->D, rg_model_f32(m, "user_bias")[u], out);
    return RG_SUCCESS;
}

/* A new user: input x = the mean user input, neighbours = the given movies with their ratings
 * (their layer inputs and layer-1 outputs from attach), bias 0.  O(n D + D^2 + M D). */
static rg_error_t sage_fold_in(const rg_model_t *m, const rg_graph_t *g, int64_t n,
                               const int32_t *movies, const float *ratings, float *out) {
    (void) g;
    RG_CHECK(sage_check_attached(m));
    if (n < 0) {
        RG_ERROR(RG_EINVAL, "sage: negative rating count %lld", (long long) n);
    }
    for (int64_t i = 0; i < n; i++) {
        if (movies[i] < 0 || movies[i] >= m->n_movies) {
            RG_ERROR(RG_ERANGE, "sage: fold-in movie %d out of range [0, %lld)", movies[i],
                     (long long) m->n_movies);
        }
    }
    const sage_t *t = m->impl;
    int D = t->D;
    sage_view_t p;
    RG_CHECK(sage_bind(&p, m, m->params));
    /* one dst row: x (D), h1 (D), h2 (D) and a layer workspace (2D) */
    size_t n_floats = 5 * (size_t) D;
    float *mem = rg_malloc(n_floats * sizeof *mem);
    int32_t *nb = rg_malloc((size_t) (n + 1) * sizeof *nb);
    if (mem == NULL || nb == NULL) {
        free(mem);
        free(nb);
        RG_ERROR(RG_ENOMEM, "sage: cannot allocate the fold-in state");
    }
    for (int64_t i = 0; i < n; i++) {
        nb[i] = (int32_t) (m->n_users + movies[i]);
    }
    float *x = mem, *h1 = mem + D, *h2 = mem + 2 * D;
    sage_layer_ws_t L;
    sage_layer_carve(&L, mem + 3 * D, 1, D, 0);
    int64_t ptr[2] = {0, n};
    rg_mp_csr_t csr = {ptr, nb, ratings, NULL, 1, t->N};
    float mu = (float) m->global_mean;
    /* the new node's own row is not in X / H1, so its layers take the self row apart */
    memcpy(x, t->user_x_mean, (size_t) D * sizeof *x);
    sage_layer_forward(h1, &L, x, t->X, &csr, p.w1, p.b1, mu, D, 1, 1);
    sage_layer_forward(h2, &L, h1, t->H1, &csr, p.w2, p.b2, mu, D, 0, 1);
    sage_score_row(m, h2, 0.0f, out);
    free(mem);
    free(nb);
    return RG_SUCCESS;
}

static void sage_release(rg_model_t *m) {
    sage_free_impl(m->impl);
    m->impl = NULL;
}

const rg_model_ops_t rg_model_sage = {
    .name = "sage",
    .summary = "GraphSAGE: two mean-aggregator layers over sampled blocks, id embeddings + genre "
               "and demographic features, dot decoder + biases",
    .predicts_ratings = 1,
    .init = sage_init,
    .epoch = sage_epoch,
    .attach = sage_attach,
    .predict = sage_predict,
    .score = sage_score,
    .fold_in = sage_fold_in,
    .release = sage_release,
    .val_loss = NULL,
    .patience_default = 5, /* keep the best-validation epoch (trainer's 5% carve) */
};
