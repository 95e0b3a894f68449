/* ggnn.c: the GRU-based gated graph neural network (Li et al., "Gated Graph Sequence Neural
 * Networks", 2016) on the bipartite rating graph.
 *
 * Shape letters: U users, M movies, D = hp.dim (embedding and hidden size), H = D (decoder
 * hidden layer), T = hp.steps (message-passing rounds), S = hp.fanout[0] (message cap, 0 =
 * every rating).
 *
 *   p_u, e_m                                  the inputs: id embedding plus the node's
 *                                             feature rows (genres; gender, age bucket and
 *                                             occupation when the data has them: the table of
 *                                             gnn_common.h, as sage).  ML-100K validation carve,
 *                                             mean of seeds 42/1/2: 0.8849 -> 0.8800; ML-1M
 *                                             (dim 64): 0.8452 -> 0.8390
 *   a_u   = [mean_m e_m | mean_m (r_um - mu) e_m]   (2D) the plain and the rating-weighted
 *                                             (centred weights, see gnn_common.h) means of u's
 *                                             movies' embeddings (a uniform sample of S of them
 *                                             when deg(u) > S)
 *   h_u^0 = p_u                               the user's own embedding
 *   h_u^t = GRU(a_u, h_u^{t-1}),  t = 1..T    one GRU cell, weights shared by all rounds
 *   b_m   = [mean_u p_u | mean_u (r_um - mu) p_u]   (2D) the same two means over the movie's
 *                                             raters' embeddings (a sample of SM = hp.fanout[1]
 *                                             of them, by default all; SM = 0: no movie side,
 *                                             g_m^T = e_m, the default above
 *                                             RG_GGNN_MOVIE_SIDE_MAX_RATINGS)
 *   g_m^0 = e_m,  g_m^t = GRU(b_m, g_m^{t-1})  the movie's state, through the SAME GRU cell
 *   z     = [h_u^T | g_m^T | h_u^T * g_m^T]   (3D) concatenation (+ their elementwise product,
 *                                             which an MLP cannot form from the concatenation
 *                                             alone and which carries the matrix-factorisation
 *                                             signal)
 *   z'    = dropout(z, hp.dropout)           (training only)
 *   r^    = mu + b_u + b_m + w2 . relu(W1 z' + b1) + b2 + v . z' + h_u^T . g_m^T
 * The linear path v . z' (a wide-and-deep / NeuMF-style skip) gives the decoder the weighted
 * dot product v . (h * e) directly; through the ReLU layer alone it would need two units per
 * coordinate.  The dot path h_u^T . g_m^T (never dropped, no weight) is the matrix-factorisation
 * term itself: with it the ML-100K validation carve of u1.base went 0.8906 -> 0.8888 (mean of
 * seeds 42, 1, 2, batch 4096, lr 0.015, averaged parameters), where the weighted v . (h * g)
 * under dropout had been the only product.
 * The messages a_u, b_m are the same in every round (they read the embeddings, not the states);
 * the recurrence refines the states.  The movie side makes the model symmetric: before it the
 * decoder read e_m directly, and on a random 10% of u1.base (seed 42, trained on the rest) the
 * held-out RMSE went 0.9394 -> 0.9305 with it (3-4x the CPU time per epoch at batch 512: a
 * batch has ~1 movie unit per target against ~1 user unit per 16; at batch 4096 the targets
 * share their movies more and the ML-100K epoch costs ~0.3 s of CPU against 0.78 s).
 * Backward runs through all T rounds (BPTT) of both sides into the GRU weights and, through
 * h^0 and the aggregations, into both embedding tables.
 *
 * Training data flow (why this layout is the fast one).  The costly parts are the decoder (one
 * MLP row per rating) and the GRU (one row per user state per round).  Mini-batches of random
 * ratings would recompute the state of nearly every user of the batch from scratch in every
 * batch (~B GRU rows per batch instead of ~B / mean degree).  Instead each epoch partitions every
 * user's ratings into K = RG_GGNN_FOLDS random folds; a unit (u, f) is one user state computed
 * from u's ratings OUTSIDE fold f and trained on the ratings IN fold f.  A batch is a random set of
 * units, so every user state is computed K times per epoch (independent of the batch size) and
 * every rating is a target exactly once.  Keeping a rating out of the messages of its own target
 * is also what keeps its value (the label, through the rating weight) from leaking into the
 * prediction.  The movie units of a batch are its distinct target movies; their messages skip
 * every target rating of the batch for the same reason.  At prediction time both sides' states
 * are computed from all training ratings (attach).
 *
 * Parameter averaging (gnn_common.h): the parameters an epoch hands to the trainer are the
 * moving average of the optimiser's iterates over the last RG_GGNN_AVG_EPOCHS epochs of steps.
 * On the ML-100K carve: 0.8964 -> 0.8918 at batch 2048 (and it let the rate rise from 0.006 to
 * 0.025 at batch 4096: 0.8865).
 *
 * Tensors: user_emb (U,D), movie_emb (M,D), user_bias (U,1), movie_bias (M,1), gru_wx (3D,2D),
 * gru_wh (3D,D), gru_bx (3D,1), gru_bh (3D,1), mlp_w1 (H,3D), mlp_b1 (H,1), mlp_w2 (1,H),
 * mlp_b2 (1,1), mlp_wlin (1,3D), feat_emb (F,D).  Each step first builds the input table
 * rows X = [user_emb; movie_emb] + feature sums of the nodes it reads, which every part reads
 * in place of the id tables; their gradient goes back to both tables at the end of the step.
 * Optimiser: Adam, lazy on the id tables, L2 = hp.reg on touched rows.
 * The two sides' states share the GRU: no tensor was added for the movie side.
 * OpenMP over blocks of decoder rows (one region forward, one backward); the aggregation uses
 * the mp ops' own threading; sgemm is OpenBLAS's, single-threaded inside each block.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/parallel.h"
#include "models/gnn_common.h"
#include "reelgraph/model.h"
#include "reelgraph/nn.h"
#include "reelgraph/rng.h"

#define RG_GGNN_FOLDS 5         /* units per user and epoch (see the file comment) */
#define RG_GGNN_PRED_CHUNK 2048 /* decoder rows per sgemm when predicting */
#define RG_GGNN_INIT_STD 0.1f   /* bound of the uniform init of the id embeddings */
/* Horizon of the parameter average, in epochs (see the file comment).  ML-100K validation
 * carve of u1.base (mean of seeds 42, 1, 2; batch 4096, lr 0.025, dot path): 0.8865 at 3
 * epochs; batch 2048 / lr 0.006: 0.8964 without averaging, 0.8937 at ~0.5, 0.8918 at ~1.5,
 * 0.8928 at ~4, 0.9005 at ~10 epochs; with the final defaults 5 epochs gave 0.8871 against
 * 0.8864 at 3. */
#define RG_GGNN_AVG_EPOCHS 3.0
/* The movie side is on by default up to this many training ratings.  Its cost grows with the
 * distinct movies per batch (~1 movie state per target): on ML-1M at dim 64 an epoch took
 * ~33 s of CPU with it against ~8 s without, over the 5-minute budget of 40 epochs (batch
 * 2048, caps 64,32: ~15 s per epoch; batch 4096 at lr 0.01: 0.8705 validation, worse than
 * without it). */
#define RG_GGNN_MOVIE_SIDE_MAX_RATINGS 250000

typedef struct {
    float *user_emb, *movie_emb, *user_bias, *movie_bias;
    float *wx, *wh, *bx, *bh;
    float *w1, *b1, *w2, *b2, *wlin;
    float *feat;
} ggnn_view_t;

/* Decoder buffers for n rows. */
typedef struct {
    float *z;    /* (n, 3D) */
    float *o;    /* (n, H) hidden after relu */
    float *s;    /* (n) */
    float *slin; /* (n) the linear path */
    float *sdot; /* (n) the dot path */
    float *dz, *dzd, *dpre, *dout; /* (n,3D), (n,3D), (n,H), (n,H) */
    float *part;                   /* (nt - 1, H (3D + 1)) W1's and b1's gradient of threads
                                    * 1.. over their rows (ggnn_head_backward) */
    uint8_t *mask;                 /* (n,3D) dropout mask */
    float *dhrow, *derow;    /* (n,D) each */
} ggnn_head_ws_t;

/* One side's states for n units: x (n,2D) the messages, hs (T+1, n, D), cache (T, n, 6D) and
 * the gradients dh, dh_prev (n,D), dx (n,2D). */
typedef struct {
    float *x, *hs, *cache, *dh, *dh_prev, *dx;
} ggnn_side_ws_t;

/* Floats of a side workspace for n units; with mem != NULL, points S into it. */
static size_t ggnn_side_carve(ggnn_side_ws_t *S, float *mem, int64_t n, int D, int T) {
    size_t nD = (size_t) n * (size_t) D;
    size_t sizes[] = {2 * nD, (size_t) (T + 1) * nD, (size_t) T * 6 * nD, nD, nD, 2 * nD};
    float **views[] = {&S->x, &S->hs, &S->cache, &S->dh, &S->dh_prev, &S->dx};
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
    int D, H, T;
    int32_t S;
    int32_t SM;          /* hp.fanout[1]: movie message cap; 0 = no movie side */
    int nt;
    /* prediction state (attach) */
    int attached;
    float *user_state;   /* (U,D) h^T from all training ratings */
    float *movie_state;  /* (M,D) g^T from all training ratings */
    float *user_mean;    /* (D) mean user input: h^0 of a folded-in user */
    rg_i_gnn_feat_t feat; /* node features (gnn_common.h) */
    float *X;            /* (U+M, D) inputs: [user_emb; movie_emb] + feature sums */
    float *dX;           /* (U+M, D) their gradient, training only */
    float *att_mem;      /* attach scratch, see ggnn_attach */
    /* training state (init) */
    int training;
    rg_i_gnn_opt_t opt;
    int64_t n_edges;
    int64_t *perm;       /* (E) each user's edge ids, reshuffled within the user every epoch */
    int32_t *units;      /* (K U) unit u*K + f */
    int64_t cap_units, cap_edges, cap_msgs;
    int32_t *unit_user;  /* (cap_units) */
    int64_t *msg_ptr;    /* (cap_units + 1) */
    int32_t *msg_idx;    /* (cap_msgs) movie of each message */
    float *msg_w;        /* (cap_msgs) its rating */
    int32_t *edge_unit, *edge_user, *edge_movie; /* (cap_edges) */
    float *edge_r, *pred, *dpred;                /* (cap_edges) */
    /* the movie side of a batch: the distinct target movies (movie units) and their messages */
    int64_t cap_mmsgs, stamp;
    int64_t *edge_eid;   /* (cap_edges) edge id of each target */
    int32_t *edge_munit; /* (cap_edges) movie unit of each target */
    int32_t *munit_movie; /* (cap_edges) */
    int64_t *mmsg_ptr;   /* (cap_edges + 1) */
    int32_t *mmsg_idx;   /* (cap_mmsgs) user of each message */
    float *mmsg_w;       /* (cap_mmsgs) its rating */
    int64_t *estamp;     /* (E) stamp of the batch an edge is a target of */
    int64_t *mstamp;     /* (M) stamp of the batch a movie is a unit of */
    int32_t *munit_of;   /* (M) its unit in that batch */
    rg_rng_t mrng;       /* the movie messages' sampling stream of the epoch */
    ggnn_side_ws_t us, ms; /* user units (cap_units rows), movie units (cap_edges rows) */
    float *dpre;         /* (max(cap_units, cap_edges), 6D) GRU backward scratch */
    float *mp_scratch;   /* the rated-mean backward's per-thread slices (max(U, M) rows) */
    float *gru_part;     /* (nt - 1, ggnn_gru_np) the GRU weights' gradient of threads 1.. */
    ggnn_head_ws_t head;
    float *ws_mem;
    rg_i_gnn_avg_t avg;  /* parameter averaging (gnn_common.h) */
} ggnn_t;

static void ggnn_bind(ggnn_view_t *v, const rg_model_t *m, float *block) {
    v->user_emb = block + rg_model_tensor(m, "user_emb")->offset;
    v->movie_emb = block + rg_model_tensor(m, "movie_emb")->offset;
    v->user_bias = block + rg_model_tensor(m, "user_bias")->offset;
    v->movie_bias = block + rg_model_tensor(m, "movie_bias")->offset;
    v->wx = block + rg_model_tensor(m, "gru_wx")->offset;
    v->wh = block + rg_model_tensor(m, "gru_wh")->offset;
    v->bx = block + rg_model_tensor(m, "gru_bx")->offset;
    v->bh = block + rg_model_tensor(m, "gru_bh")->offset;
    v->w1 = block + rg_model_tensor(m, "mlp_w1")->offset;
    v->b1 = block + rg_model_tensor(m, "mlp_b1")->offset;
    v->w2 = block + rg_model_tensor(m, "mlp_w2")->offset;
    v->b2 = block + rg_model_tensor(m, "mlp_b2")->offset;
    v->wlin = block + rg_model_tensor(m, "mlp_wlin")->offset;
    v->feat = block + rg_model_tensor(m, "feat_emb")->offset;
}

/* Checks that every tensor exists with the shape the hyper-parameters give. */
/* Largest number of message-passing rounds a model file may ask for (a crafted file must not
 * make attach allocate (steps + 1) copies of every user state). */
#define RG_GGNN_MAX_STEPS 1024

static rg_error_t ggnn_check_tensors(const rg_model_t *m) {
    int64_t D = m->hp.dim, H = m->hp.dim;
    struct {
        const char *name;
        int64_t rows, cols;
    } want[] = {{"user_emb", m->n_users, D},  {"movie_emb", m->n_movies, D},
                {"user_bias", m->n_users, 1}, {"movie_bias", m->n_movies, 1},
                {"gru_wx", 3 * D, 2 * D},     {"gru_wh", 3 * D, D},
                {"gru_bx", 3 * D, 1},         {"gru_bh", 3 * D, 1},
                {"mlp_w1", H, 3 * D},         {"mlp_b1", H, 1},
                {"mlp_w2", 1, H},             {"mlp_b2", 1, 1},
                {"mlp_wlin", 1, 3 * D}};
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        const rg_tensor_t *t = rg_model_tensor(m, want[i].name);
        if (t == NULL || t->dtype != RG_DTYPE_F32 || t->rows != want[i].rows ||
            t->cols != want[i].cols) {
            RG_ERROR(RG_EFORMAT, "ggnn: tensor %s missing or not F32 (%lld, %lld)", want[i].name,
                     (long long) want[i].rows, (long long) want[i].cols);
        }
    }
    return RG_SUCCESS;
}

/* ---- inputs ---- */

/* Builds t's feature lists for g (once) and its input table X (allocated once).  Errors:
 * RG_ENOMEM. */
static rg_error_t ggnn_inputs_alloc(ggnn_t *t, const rg_model_t *m, const rg_graph_t *g) {
    if (t->feat.fptr == NULL) {
        RG_CHECK(rg_i_gnn_feat_init(&t->feat, g));
    }
    if (t->X == NULL) {
        size_t ND = (size_t) (m->n_users + m->n_movies) * (size_t) t->D;
        t->X = rg_malloc((ND > 0 ? ND : 1) * sizeof *t->X);
        if (t->X == NULL) {
            RG_ERROR(RG_ENOMEM, "ggnn: cannot allocate the input table (%zu floats)", ND);
        }
    }
    return RG_SUCCESS;
}

/* X = [user_emb; movie_emb] + each node's feature sum for every node; then p reads X in place
 * of the id tables (every other part of the model takes its inputs through p).  O((U+M) D). */
static void ggnn_inputs(ggnn_view_t *p, const ggnn_t *t, const rg_model_t *m) {
    size_t UD = (size_t) m->n_users * (size_t) t->D;
    rg_i_gnn_inputs_forward(t->X, 1, p->user_emb, p->feat, &t->feat, NULL, m->n_users, 0, t->D,
                            t->nt);
    rg_i_gnn_inputs_forward(t->X + UD, 1, p->movie_emb, p->feat, &t->feat, NULL, m->n_movies,
                            m->n_users, t->D, t->nt);
    p->user_emb = t->X;
    p->movie_emb = t->X + UD;
}

/* ---- decoder: forward / backward over n rows ---- */

/* The decoder's rows run on the threads in contiguous blocks, each thread through every step of
 * its block (z, dropout, MLP, scores) in one parallel region: per step over a batch of 512
 * rows the work is too small to pay a region's start-up, per block of rows it is not. */
static int ggnn_head_threads(int nt, int64_t n, int D, int H) {
    return rg_i_gnn_threads(nt, 8.0 * (double) n * (3.0 * D + 1.0) * H);
}

/* Row k pairs user state hs[h_ids[k]] (h_ids NULL: hs itself, one row for all k) with movie
 * state es[e_ids[k]] (e_ids NULL: row k of es).  Fills w->z (after dropout), w->mask, w->o,
 * w->s (n) = MLP + linear path + dot path.  drop = 0 (prediction): no dropout, seed unused;
 * else row k's mask comes from its own stream rg_rng_mix(seed, k), whatever the split of the
 * rows over the threads.  O(n D H). */
static void ggnn_head_forward(const ggnn_view_t *p, ggnn_head_ws_t *w, const float *hs,
                              const int32_t *h_ids, const float *es, const int32_t *e_ids,
                              int64_t n, int D, int H, float drop, uint64_t seed, int nt) {
    nt = ggnn_head_threads(nt, n, D, H);
    (void) nt;
    const size_t Z = 3 * (size_t) D;
#ifdef _OPENMP
#pragma omp parallel num_threads(rg_i_threads(nt))
#endif
    {
        int tid, nthr;
        rg_i_team(&tid, &nthr);
        int64_t lo = n * tid / nthr, hi = n * (tid + 1) / nthr, rows = hi - lo;
        for (int64_t k = lo; k < hi; k++) {
            const float *h_k = hs + (h_ids ? (size_t) h_ids[k] * (size_t) D : 0);
            const float *e_k = es + (size_t) (e_ids ? e_ids[k] : k) * (size_t) D;
            float *z_k = w->z + (size_t) k * Z;
            float dot = 0.0f;
            for (int i = 0; i < D; i++) {
                z_k[i] = h_k[i];
                z_k[D + i] = e_k[i];
                z_k[2 * D + i] = h_k[i] * e_k[i];
                dot += h_k[i] * e_k[i];
            }
            w->sdot[k] = dot; /* before dropout: the dot path is never dropped */
            if (drop > 0.0f) {
                rg_rng_t r;
                rg_rng_init(&r, rg_rng_mix(seed, (uint64_t) k));
                rg_dropout_forward(z_k, w->mask + (size_t) k * Z, z_k, Z, drop, &r);
            }
        }
        float *z = w->z + (size_t) lo * Z, *o = w->o + (size_t) lo * (size_t) H;
        rg_linear_forward(o, z, p->w1, p->b1, (int) rows, (int) Z, H);
        rg_relu_forward(o, o, (size_t) rows * (size_t) H);
        rg_linear_forward(w->s + lo, o, p->w2, p->b2, (int) rows, H, 1);
        rg_linear_forward(w->slin + lo, z, p->wlin, NULL, (int) rows, (int) Z, 1);
        for (int64_t k = lo; k < hi; k++) {
            w->s[k] += w->slin[k] + w->sdot[k];
        }
    }
}

/* Given ds (n), accumulates the decoder weights' gradients into g and writes the gradients of
 * the user state row (w->dhrow) and movie embedding row (w->derow) of each of the n rows.  The
 * rows run on the threads in blocks (as the forward), in the same region W1's and b1's
 * gradients over each block: thread 0 into g, the others into their slices of w->part, added
 * into g after a barrier (deterministic for a given thread count); the small w2, b2, wlin
 * gradients stay serial. */
static void ggnn_head_backward(const ggnn_view_t *p, const ggnn_view_t *g, ggnn_head_ws_t *w,
                               const float *ds, const float *hs, const int32_t *h_ids,
                               const float *es, const int32_t *e_ids, int64_t n, int D, int H,
                               float drop, int nt) {
    int ntr = ggnn_head_threads(nt, n, D, H);
    (void) ntr;
    const size_t Z = 3 * (size_t) D;
#ifdef _OPENMP
#pragma omp parallel num_threads(rg_i_threads(ntr))
#endif
    {
        int tid, nthr;
        rg_i_team(&tid, &nthr);
        int64_t lo = n * tid / nthr, hi = n * (tid + 1) / nthr, rows = hi - lo;
        size_t rH = (size_t) rows * (size_t) H, rZ = (size_t) rows * Z;
        float *dout = w->dout + (size_t) lo * (size_t) H, *dpre = w->dpre + (size_t) lo * H;
        float *dz = w->dz + (size_t) lo * Z, *dzd = w->dzd + (size_t) lo * Z;
        /* forward was: s = o w2^T + b2 */
        rg_param_zero(dout, rH);
        rg_linear_backward(dout, NULL, NULL, ds + lo, w->o + (size_t) lo * H, p->w2, (int) rows,
                           H, 1);
        /* forward was: o = relu(z W1^T + b1) (in place; backward reads the output) */
        rg_param_zero(dpre, rH);
        rg_relu_backward(dpre, dout, w->o + (size_t) lo * (size_t) H, rH);
        rg_param_zero(dz, rZ);
        rg_linear_backward(dz, NULL, NULL, dpre, NULL, p->w1, (int) rows, (int) Z, H);
        /* forward was: s += z' wlin^T */
        rg_linear_backward(dz, NULL, NULL, ds + lo, NULL, p->wlin, (int) rows, (int) Z, 1);
        const float *dzr = dz;
        if (drop > 0.0f) {
            /* forward was: z' = dropout(z) */
            rg_param_zero(dzd, rZ);
            rg_dropout_backward(dzd, dz, w->mask + (size_t) lo * Z, rZ, drop);
            dzr = dzd;
        }
        /* forward was: z = [h | e | h * e] and s += h . e */
        for (int64_t k = lo; k < hi; k++) {
            const float *h_k = hs + (h_ids ? (size_t) h_ids[k] * (size_t) D : 0);
            const float *e_k = es + (size_t) (e_ids ? e_ids[k] : k) * (size_t) D;
            const float *dz_k = dzr + (size_t) (k - lo) * Z;
            float *dh_k = w->dhrow + (size_t) k * (size_t) D;
            float *de_k = w->derow + (size_t) k * (size_t) D;
            for (int i = 0; i < D; i++) {
                dh_k[i] = dz_k[i] + (dz_k[2 * D + i] + ds[k]) * e_k[i];
                de_k[i] = dz_k[D + i] + (dz_k[2 * D + i] + ds[k]) * h_k[i];
            }
        }
        /* W1's and b1's gradient over this block of rows */
        size_t nw = (size_t) H * Z;
        float *dW1 = tid == 0 ? g->w1 : w->part + (size_t) (tid - 1) * (nw + (size_t) H);
        float *db1 = tid == 0 ? g->b1 : dW1 + nw;
        if (tid > 0) {
            rg_param_zero(dW1, nw + (size_t) H);
        }
        rg_linear_backward(NULL, dW1, db1, dpre, w->z + (size_t) lo * Z, p->w1, (int) rows,
                           (int) Z, H);
        if (nthr > 1) {
#ifdef _OPENMP
#pragma omp barrier
#endif
            float *dst[] = {g->w1, g->b1};
            size_t len[] = {nw, (size_t) H};
            rg_i_add_slices(dst, len, 2, w->part, nw + (size_t) H, tid, nthr);
        }
    }
    rg_linear_backward(NULL, g->w2, g->b2, ds, w->o, p->w2, (int) n, H, 1);
    rg_linear_backward(NULL, g->wlin, NULL, ds, w->z, p->wlin, (int) n, (int) Z, 1);
}

/* Carves the decoder buffers for n rows and nt threads out of *mem; returns the floats used. */
static size_t ggnn_head_carve(ggnn_head_ws_t *w, float *mem, int64_t n, int D, int H, int nt) {
    size_t nD = (size_t) n * (size_t) D, nH = (size_t) n * (size_t) H, off = 0;
    size_t mask_floats = (3 * nD + sizeof(float) - 1) / sizeof(float);
    size_t part = (size_t) (rg_i_threads(nt) - 1) * (size_t) H * (3 * (size_t) D + 1);
    size_t sizes[] = {3 * nD, nH, (size_t) n, (size_t) n, (size_t) n, 3 * nD,
                      3 * nD, nH,  nH,         nD,         nD,         part};
    float **views[] = {&w->z,   &w->o,    &w->s,    &w->slin,  &w->sdot,  &w->dz,
                       &w->dzd, &w->dpre, &w->dout, &w->dhrow, &w->derow, &w->part};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        if (mem != NULL) {
            *views[i] = mem + off;
        }
        off += sizes[i];
    }
    if (mem != NULL) {
        w->mask = (uint8_t *) (mem + off);
    }
    return off + mask_floats;
}

/* ---- a side's state: messages + T GRU rounds ---- */

/* x (n, 2D) = [mean_j src_j | mean_j (r_j - mu) src_j] over the message CSR `csr` (its w = the
 * ratings, src the other side's input table): the rating-aware mean pair of nn.h. */
static void ggnn_messages_forward(const float *src, const rg_mp_csr_t *csr, float mu, float *x,
                                  int D, int nt) {
    rg_mp_rated_mean_forward(x, 2 * D, src, csr, mu, D,
                             rg_i_gnn_threads(nt, 2.0 * (double) csr->ptr[csr->n_dst] * D));
}

/* T GRU rounds from x (n, 2D): hs (T+1, n, D) with hs[0] = h^0 given; cache (T, n, 6D) with
 * stride cache_stride (0: one buffer reused by every round, when no backward follows). */
/* Threads for the T GRU rounds of n units: the rows run on the threads in blocks, each block
 * through all T rounds (rows never meet), once there are RG_GGNN_GRU_ROWS rows a thread.  A
 * row-round is a few thousand multiply-adds plus 3D sigmoids and tanhs (~1 us), so a batch's
 * ~32 user units fill two threads, where by multiply-adds alone (rg_i_gnn_threads) they would
 * not. */
#define RG_GGNN_GRU_ROWS 16
static int ggnn_gru_threads(int nt, int64_t n) {
    int want = rg_i_threads(nt);
    return n >= (int64_t) want * RG_GGNN_GRU_ROWS ? want : 1;
}

/* Floats of one thread's GRU-weight gradient: Wx (3D, 2D), Wh (3D, D), bx (3D), bh (3D). */
static size_t ggnn_gru_np(int D) {
    return 9 * (size_t) D * (size_t) D + 6 * (size_t) D;
}

static void ggnn_rounds_forward(const ggnn_view_t *p, const float *x, float *hs, float *cache,
                                size_t cache_stride, int64_t n, int D, int T, int nt) {
    size_t nD = (size_t) n * (size_t) D, d = (size_t) D;
    nt = ggnn_gru_threads(nt, n);
    (void) nt;
#ifdef _OPENMP
#pragma omp parallel num_threads(nt)
#endif
    {
        int tid, nthr;
        rg_i_team(&tid, &nthr);
        int64_t lo = n * tid / nthr, hi = n * (tid + 1) / nthr;
        size_t r0 = (size_t) lo;
        for (int t = 1; t <= T && hi > lo; t++) {
            rg_gru_cell_forward(hs + (size_t) t * nD + r0 * d,
                                cache + (size_t) (t - 1) * cache_stride + r0 * 6 * d,
                                x + r0 * 2 * d, hs + (size_t) (t - 1) * nD + r0 * d, p->wx,
                                p->wh, p->bx, p->bh, (int) (hi - lo), 2 * D, D);
        }
    }
}

/* States of n units (training): hs[0] = h0[ids], messages over csr from src, T rounds with the
 * backward's caches.  O(nnz D + T n D^2). */
static void ggnn_side_forward(const ggnn_view_t *p, ggnn_side_ws_t *S, const rg_mp_csr_t *csr,
                              const float *src, const float *h0, const int32_t *ids, float mu,
                              int D, int T, int nt) {
    int64_t n = csr->n_dst;
    rg_embedding_forward(S->hs, h0, ids, (int) n, D);
    ggnn_messages_forward(src, csr, mu, S->x, D, nt);
    ggnn_rounds_forward(p, S->x, S->hs, S->cache, (size_t) n * 6 * (size_t) D, n, D, T, nt);
}

/* Given S->dh = dL/dh^T (n, D), backpropagates through the T rounds (into the GRU gradients of
 * g), h^0 (into dh0[ids]) and the messages (into dsrc).  dpre (n, 6D) is scratch.  Leaves S->dh
 * and S->dh_prev clobbered. */
static void ggnn_side_backward(const ggnn_view_t *p, const ggnn_view_t *g, ggnn_side_ws_t *S,
                               const rg_mp_csr_t *csr, float *dsrc, float *dh0,
                               const int32_t *ids, float *dpre, float *gru_part,
                               float *mp_scratch, float mu, int D, int T, int nt) {
    int64_t n = csr->n_dst;
    size_t nD = (size_t) n * (size_t) D, cache_stride = (size_t) n * 6 * (size_t) D;
    size_t d = (size_t) D, n_gru = ggnn_gru_np(D);
    int ntg = ggnn_gru_threads(nt, n);
    (void) ntg;
    /* the rows' blocks through all T rounds backwards as in the forward; the GRU weights'
     * gradient of thread 0 goes into g, every other thread's into its slice of gru_part, added
     * into g after a barrier (deterministic for a given thread count) */
#ifdef _OPENMP
#pragma omp parallel num_threads(ntg)
#endif
    {
        int tid, nthr;
        rg_i_team(&tid, &nthr);
        size_t r0 = (size_t) (n * tid / nthr), rows = (size_t) (n * (tid + 1) / nthr) - r0;
        float *dwx = g->wx, *dwh = g->wh, *dbx = g->bx, *dbh = g->bh;
        if (tid > 0) {
            dwx = gru_part + (size_t) (tid - 1) * n_gru;
            dwh = dwx + 6 * d * d;
            dbx = dwh + 3 * d * d;
            dbh = dbx + 3 * d;
            rg_param_zero(dwx, n_gru);
        }
        float *dh = S->dh + r0 * d, *dh_prev = S->dh_prev + r0 * d;
        rg_param_zero(S->dx + r0 * 2 * d, rows * 2 * d);
        for (int s = T; s >= 1 && rows > 0; s--) {
            /* forward was: hs[s] = GRU(x, hs[s-1]) */
            rg_param_zero(dh_prev, rows * d);
            rg_gru_cell_backward(S->dx + r0 * 2 * d, dh_prev, dwx, dwh, dbx, dbh, dh,
                                 S->x + r0 * 2 * d, S->hs + (size_t) (s - 1) * nD + r0 * d,
                                 S->cache + (size_t) (s - 1) * cache_stride + r0 * 6 * d, p->wx,
                                 p->wh, dpre + r0 * 6 * d, (int) rows, 2 * D, D);
            float *swap = dh;
            dh = dh_prev;
            dh_prev = swap;
        }
        if (nthr > 1) {
#ifdef _OPENMP
#pragma omp barrier
#endif
            float *dst[] = {g->wx, g->wh, g->bx, g->bh};
            size_t len[] = {6 * d * d, 3 * d * d, 3 * d, 3 * d};
            rg_i_add_slices(dst, len, 4, gru_part, n_gru, tid, nthr);
        }
    }
    for (int s = T; s >= 1; s--) { /* the blocks' dh / dh_prev swaps, on the whole buffers */
        float *swap = S->dh;
        S->dh = S->dh_prev;
        S->dh_prev = swap;
    }
    /* forward was: hs[0] = h0[ids] */
    rg_embedding_backward(dh0, S->dh, ids, (int) n, D);
    /* forward was: x = the rated mean pair over the CSR of src */
    rg_mp_rated_mean_backward(dsrc, mp_scratch, S->dx, 2 * D, csr, mu, D,
                              rg_i_gnn_threads(nt, 2.0 * (double) csr->ptr[n] * D));
}

/* ---- workspace ---- */

static void ggnn_free_impl(ggnn_t *t) {
    if (t == NULL) {
        return;
    }
    free(t->user_state);
    free(t->movie_state);
    free(t->user_mean);
    free(t->att_mem);
    rg_i_gnn_feat_free(&t->feat);
    free(t->X);
    free(t->dX);
    rg_i_gnn_opt_free(&t->opt);
    free(t->perm);
    free(t->units);
    free(t->unit_user);
    free(t->msg_ptr);
    free(t->msg_idx);
    free(t->msg_w);
    free(t->edge_unit);
    free(t->edge_user);
    free(t->edge_movie);
    free(t->edge_r);
    free(t->pred);
    free(t->dpred);
    free(t->edge_eid);
    free(t->edge_munit);
    free(t->munit_movie);
    free(t->mmsg_ptr);
    free(t->mmsg_idx);
    free(t->mmsg_w);
    free(t->estamp);
    free(t->mstamp);
    free(t->munit_of);
    free(t->ws_mem);
    rg_i_gnn_avg_free(&t->avg);
    free(t);
}

static rg_error_t ggnn_get_impl(rg_model_t *m, ggnn_t **out) {
    if (m->impl == NULL) {
        ggnn_t *t = rg_calloc(1, sizeof *t);
        if (t == NULL) {
            RG_ERROR(RG_ENOMEM, "ggnn: cannot allocate the model state");
        }
        m->impl = t;
    }
    *out = m->impl;
    (*out)->D = m->hp.dim;
    (*out)->H = m->hp.dim;
    (*out)->T = m->hp.steps;
    (*out)->S = m->hp.fanout[0];
    (*out)->SM = m->hp.fanout[1];
    (*out)->nt = m->hp.n_threads;
    return RG_SUCCESS;
}

/* Training buffers sized once from the training graph: batches of at most hp.batch targets plus
 * one unit's worth (a unit's targets are never split); at most one movie unit per target. */
static rg_error_t ggnn_alloc_training(ggnn_t *t, const rg_model_t *m, const rg_graph_t *g) {
    int64_t U = g->n_users, M = g->n_movies, E = g->n_ratings, max_deg = 0, max_mdeg = 0;
    int D = t->D, H = t->H, T = t->T;
    for (int64_t u = 0; u < U; u++) {
        int64_t d = g->user_ptr[u + 1] - g->user_ptr[u];
        max_deg = d > max_deg ? d : max_deg;
    }
    for (int64_t j = 0; j < M; j++) {
        int64_t d = g->movie_ptr[j + 1] - g->movie_ptr[j];
        max_mdeg = d > max_mdeg ? d : max_mdeg;
    }
    int64_t msg_cap = t->S > 0 && t->S < max_deg ? t->S : max_deg;
    int64_t mmsg_cap = t->SM < max_mdeg ? t->SM : max_mdeg;
    t->n_edges = E;
    t->cap_units = m->hp.batch;
    t->cap_edges = m->hp.batch + (max_deg + RG_GGNN_FOLDS - 1) / RG_GGNN_FOLDS;
    t->cap_msgs = t->cap_units * (msg_cap > 0 ? msg_cap : 1);
    t->cap_mmsgs = t->cap_edges * (mmsg_cap > 0 ? mmsg_cap : 1);
    size_t nu = (size_t) t->cap_units, ne = (size_t) t->cap_edges;
    t->perm = rg_malloc((size_t) (E > 0 ? E : 1) * sizeof *t->perm);
    t->units = rg_malloc((size_t) (U > 0 ? U : 1) * RG_GGNN_FOLDS * sizeof *t->units);
    t->unit_user = rg_malloc(nu * sizeof *t->unit_user);
    t->msg_ptr = rg_malloc((nu + 1) * sizeof *t->msg_ptr);
    t->msg_idx = rg_malloc((size_t) t->cap_msgs * sizeof *t->msg_idx);
    t->msg_w = rg_malloc((size_t) t->cap_msgs * sizeof *t->msg_w);
    t->edge_unit = rg_malloc(ne * sizeof *t->edge_unit);
    t->edge_user = rg_malloc(ne * sizeof *t->edge_user);
    t->edge_movie = rg_malloc(ne * sizeof *t->edge_movie);
    t->edge_r = rg_malloc(ne * sizeof *t->edge_r);
    t->pred = rg_malloc(ne * sizeof *t->pred);
    t->dpred = rg_malloc(ne * sizeof *t->dpred);
    t->edge_eid = rg_malloc(ne * sizeof *t->edge_eid);
    t->edge_munit = rg_malloc(ne * sizeof *t->edge_munit);
    t->munit_movie = rg_malloc(ne * sizeof *t->munit_movie);
    t->mmsg_ptr = rg_malloc((ne + 1) * sizeof *t->mmsg_ptr);
    t->mmsg_idx = rg_malloc((size_t) t->cap_mmsgs * sizeof *t->mmsg_idx);
    t->mmsg_w = rg_malloc((size_t) t->cap_mmsgs * sizeof *t->mmsg_w);
    t->estamp = rg_calloc((size_t) (E > 0 ? E : 1), sizeof *t->estamp);
    t->mstamp = rg_calloc((size_t) (M > 0 ? M : 1), sizeof *t->mstamp);
    t->munit_of = rg_malloc((size_t) (M > 0 ? M : 1) * sizeof *t->munit_of);
    t->stamp = 0;
    size_t n_dpre = (nu > ne ? nu : ne) * 6 * (size_t) D;
    /* the rated-mean backward uses its scratch only when the source table has no more rows than
     * the batch has messages: user side M rows under cap_msgs, movie side U under cap_mmsgs */
    int64_t mps_rows = M <= t->cap_msgs ? M : 0;
    if (t->SM > 0 && U <= t->cap_mmsgs && U > mps_rows) {
        mps_rows = U;
    }
    size_t n_mps = rg_mp_rated_mean_scratch(mps_rows, D, t->nt);
    size_t n_gru = (size_t) (rg_i_threads(t->nt) - 1) * ggnn_gru_np(D);
    size_t n_floats = ggnn_side_carve(&t->us, NULL, t->cap_units, D, T) +
                      ggnn_side_carve(&t->ms, NULL, t->cap_edges, D, T) + n_dpre + n_mps + n_gru +
                      ggnn_head_carve(&t->head, NULL, t->cap_edges, D, H, t->nt);
    t->ws_mem = rg_malloc(n_floats * sizeof *t->ws_mem);
    if (!t->perm || !t->units || !t->unit_user || !t->msg_ptr || !t->msg_idx || !t->msg_w ||
        !t->edge_unit || !t->edge_user || !t->edge_movie || !t->edge_r || !t->pred ||
        !t->dpred || !t->edge_eid || !t->edge_munit || !t->munit_movie || !t->mmsg_ptr ||
        !t->mmsg_idx || !t->mmsg_w || !t->estamp || !t->mstamp || !t->munit_of || !t->ws_mem) {
        RG_ERROR(RG_ENOMEM, "ggnn: cannot allocate the training workspace (%zu floats)",
                 n_floats);
    }
    RG_CHECK(rg_i_gnn_avg_init(&t->avg, m->n_params));
    RG_CHECK(ggnn_inputs_alloc(t, m, g));
    size_t ND = (size_t) (U + M) * (size_t) D;
    t->dX = rg_calloc(ND > 0 ? ND : 1, sizeof *t->dX); /* zero between steps */
    if (t->dX == NULL) {
        RG_ERROR(RG_ENOMEM, "ggnn: cannot allocate the input gradient (%zu floats)", ND);
    }
    float *w = t->ws_mem;
    w += ggnn_side_carve(&t->us, w, t->cap_units, D, T);
    w += ggnn_side_carve(&t->ms, w, t->cap_edges, D, T);
    t->dpre = w;
    w += n_dpre;
    t->mp_scratch = n_mps > 0 ? w : NULL;
    w += n_mps;
    t->gru_part = w;
    w += n_gru;
    ggnn_head_carve(&t->head, w, t->cap_edges, D, H, t->nt);
    /* touched user rows: the units, the targets' user biases and the movie messages' senders */
    return rg_i_gnn_opt_init(&t->opt, m, m->hp.reg, t->cap_edges + t->cap_mmsgs,
                             t->cap_msgs + t->cap_edges);
}

/* ---- API ---- */

static rg_error_t ggnn_init(rg_model_t *m, const rg_graph_t *train) {
    rg_hparams_t *hp = &m->hp;
    int small = train->n_ratings <= RG_GGNN_MOVIE_SIDE_MAX_RATINGS;
    int32_t max_mdeg = 0;
    for (int64_t j = 0; j < train->n_movies; j++) {
        int64_t d = train->movie_ptr[j + 1] - train->movie_ptr[j];
        max_mdeg = d > max_mdeg ? (int32_t) d : max_mdeg;
    }
    /* dim 32 on small graphs (48 and 64 gained nothing on the ML-100K carve); 64 above, where
     * the large-graph defaults below were chosen (ML-1M carve) */
    rg_hp_default_i(&hp->dim, small ? 32 : 64);
    rg_hp_default_i(&hp->steps, 3);
    /* Small graphs: every message on both sides (the movie cap = the largest movie degree),
     * batches of 4096 targets at lr 0.025.  ML-100K validation carve of u1.base, mean of seeds
     * 42, 1, 2, with the dot path and averaging: 0.8865 (caps 64,64: 0.8888; 0,64: 0.8872;
     * batch 4096 / lr 0.015: 0.8877, lr 0.04: 0.8893; batch 8192 / lr 0.025: 0.8888); an epoch
     * costs 0.33 s of CPU against 0.78 s at batch 512 (a batch's movie units are its distinct
     * target movies, fewer per target in a larger batch).  Large graphs (no movie side, see
     * RG_GGNN_MOVIE_SIDE_MAX_RATINGS): batch 2048 at lr 0.006; ML-1M random:0.1 seed 42, its
     * validation carve, dim 64, reg 0.0005: 0.8617 against 0.8621 at batch 512 / lr 0.003
     * (~3.1 s of CPU per epoch against 3.7 s); batch 4096 / lr 0.015 stalled at 0.8781; at
     * reg 0.00015 lr 0.01 gave 0.8444 against 0.8452, within the noise. */
    rg_hp_default_i(&hp->fanout[0], small ? 0 : 64);
    rg_hp_default_i(&hp->fanout[1], small ? max_mdeg : 0);
    rg_hp_default_i(&hp->batch, small ? 4096 : 2048);
    rg_hp_default_i(&hp->epochs, 40);
    rg_hp_default_f(&hp->lr, small ? 0.025f : 0.006f);
    /* The L2 term decays every touched row at every step, so its strength per epoch grows
     * with the steps per epoch (~E / batch): 19 on ML-100K, 440 on ML-1M.  Small graphs
     * 0.0003: ML-100K carve, mean of seeds 42, 1, 2, at the defaults above: 0.8849 against
     * 0.8866 at 0.0001, 0.8853 at 0.0002, 0.8864 at 0.0005, 0.8924 at 0.0008.  Large graphs
     * 0.00015: ML-1M carve as above, dim 64: 0.8452 against 0.8541 at 0.00005, 0.8461 at
     * 0.0001 (0.8456 with dropout 0.35), 0.8484 at 0.0002, 0.8617 at 0.0005. */
    rg_hp_default_f(&hp->reg, small ? 0.0003f : 0.00015f);
    rg_hp_default_f(&hp->dropout, 0.2f);
    if (hp->fanout[1] < 0) {
        RG_ERROR(RG_EINVAL, "ggnn: fanout[1] (the movie message cap, 0 = no movie side) must be "
                 ">= 0 (got %d)", (int) hp->fanout[1]);
    }
    if (hp->dim < 1 || hp->steps < 1 || hp->batch < 1 || !(hp->lr > 0.0f) || !(hp->reg >= 0.0f) ||
        !(hp->dropout >= 0.0f && hp->dropout < 1.0f)) {
        RG_ERROR(RG_EINVAL,
                 "ggnn: need dim >= 1 (got %d), steps >= 1 (%d), batch >= 1 (%d), lr > 0 (%g), "
                 "reg >= 0 (%g), dropout in [0, 1) (%g)",
                 (int) hp->dim, (int) hp->steps, (int) hp->batch, (double) hp->lr,
                 (double) hp->reg, (double) hp->dropout);
    }
    int64_t D = hp->dim, H = hp->dim;
    RG_CHECK(rg_model_declare(m, "user_emb", RG_DTYPE_F32, m->n_users, D));
    RG_CHECK(rg_model_declare(m, "movie_emb", RG_DTYPE_F32, m->n_movies, D));
    RG_CHECK(rg_model_declare(m, "user_bias", RG_DTYPE_F32, m->n_users, 1));
    RG_CHECK(rg_model_declare(m, "movie_bias", RG_DTYPE_F32, m->n_movies, 1));
    RG_CHECK(rg_model_declare(m, "gru_wx", RG_DTYPE_F32, 3 * D, 2 * D));
    RG_CHECK(rg_model_declare(m, "gru_wh", RG_DTYPE_F32, 3 * D, D));
    RG_CHECK(rg_model_declare(m, "gru_bx", RG_DTYPE_F32, 3 * D, 1));
    RG_CHECK(rg_model_declare(m, "gru_bh", RG_DTYPE_F32, 3 * D, 1));
    RG_CHECK(rg_model_declare(m, "mlp_w1", RG_DTYPE_F32, H, 3 * D));
    RG_CHECK(rg_model_declare(m, "mlp_b1", RG_DTYPE_F32, H, 1));
    RG_CHECK(rg_model_declare(m, "mlp_w2", RG_DTYPE_F32, 1, H));
    RG_CHECK(rg_model_declare(m, "mlp_b2", RG_DTYPE_F32, 1, 1));
    RG_CHECK(rg_model_declare(m, "mlp_wlin", RG_DTYPE_F32, 1, 3 * D));
    RG_CHECK(rg_model_declare(m, "feat_emb", RG_DTYPE_F32, rg_i_gnn_feat_rows(train), D));
    RG_CHECK(rg_model_alloc(m));

    ggnn_view_t p;
    ggnn_bind(&p, m, m->params);
    rg_rng_t r;
    rg_rng_init(&r, rg_rng_mix(hp->seed, 0));
    rg_param_init_uniform(p.user_emb, (size_t) (m->n_users * D), RG_GGNN_INIT_STD, &r);
    rg_param_init_uniform(p.movie_emb, (size_t) (m->n_movies * D), RG_GGNN_INIT_STD, &r);
    rg_param_init_xavier(p.wx, (size_t) (3 * D * 2 * D), (int) (2 * D), (int) D, &r);
    rg_param_init_xavier(p.wh, (size_t) (3 * D * D), (int) D, (int) D, &r);
    rg_param_init_he(p.w1, (size_t) (H * 3 * D), (int) (3 * D), &r);
    rg_param_init_xavier(p.w2, (size_t) H, (int) H, 1, &r);
    rg_param_init_xavier(p.wlin, (size_t) (3 * D), (int) (3 * D), 1, &r);
    rg_param_init_uniform(p.feat, (size_t) (rg_i_gnn_feat_rows(train) * D), RG_GGNN_INIT_STD, &r);

    ggnn_t *t = NULL;
    RG_CHECK(ggnn_get_impl(m, &t));
    t->training = 1;
    return ggnn_alloc_training(t, m, train);
}

/* The movie units of the batch's ne targets: the distinct target movies, and for each a uniform
 * sample of at most S of its ratings that are NOT targets of this batch (so no target's rating
 * reaches a prediction through the movie side either), drawn from t->mrng.  Returns the number
 * of movie units.  O(sum of the target movies' degrees). */
static int64_t ggnn_build_movie_units(ggnn_t *t, const rg_graph_t *g, int64_t ne) {
    int64_t stamp = ++t->stamp, nm = 0, nmsg = 0;
    for (int64_t k = 0; k < ne; k++) {
        int32_t mv = t->edge_movie[k];
        t->estamp[t->edge_eid[k]] = stamp;
        if (t->mstamp[mv] != stamp) {
            t->mstamp[mv] = stamp;
            t->munit_of[mv] = (int32_t) nm;
            t->munit_movie[nm++] = mv;
        }
        t->edge_munit[k] = t->munit_of[mv];
    }
    t->mmsg_ptr[0] = 0;
    for (int64_t j = 0; j < nm; j++) {
        int32_t mv = t->munit_movie[j];
        int64_t lo = g->movie_ptr[mv], hi = g->movie_ptr[mv + 1], n_ok = 0;
        for (int64_t i = lo; i < hi; i++) {
            n_ok += t->estamp[g->movie_eid[i]] != stamp;
        }
        int64_t want = t->SM < n_ok ? t->SM : n_ok;
        /* selection sampling (Knuth's algorithm S): each eligible entry is kept with
         * probability (still wanted) / (still eligible), a uniform sample of `want` */
        for (int64_t i = lo; i < hi && want > 0; i++) {
            int64_t e = g->movie_eid[i];
            if (t->estamp[e] == stamp) {
                continue;
            }
            if (want == n_ok || rg_rng_uniform(&t->mrng) * (double) n_ok < (double) want) {
                t->mmsg_idx[nmsg] = g->movie_adj[i];
                t->mmsg_w[nmsg] = g->rating[e];
                nmsg++;
                want--;
            }
            n_ok--;
        }
        t->mmsg_ptr[j + 1] = nmsg;
    }
    return nm;
}

/* Builds the next batch from units[*pos..]: unit states' message CSR and the target ratings.
 * Returns the number of units; *n_edges the number of targets. */
static int64_t ggnn_build_batch(ggnn_t *t, const rg_graph_t *g, int64_t n_units, int64_t *pos,
                                int64_t batch, int64_t *n_edges) {
    int64_t nu = 0, ne = 0, nm = 0;
    t->msg_ptr[0] = 0;
    while (*pos < n_units && nu < t->cap_units && ne < batch) {
        int32_t unit = t->units[*pos];
        int32_t u = unit / RG_GGNN_FOLDS, f = unit % RG_GGNN_FOLDS;
        int64_t base = g->user_ptr[u], deg = g->user_ptr[u + 1] - base;
        int64_t ku = deg < RG_GGNN_FOLDS ? deg : RG_GGNN_FOLDS;
        int64_t n_targets = (deg - f + ku - 1) / ku;
        if (nu > 0 && ne + n_targets > t->cap_edges) {
            break;
        }
        (*pos)++;
        int64_t n_msgs = 0;
        for (int64_t i = 0; i < deg; i++) {
            int64_t e = t->perm[base + i];
            if (i % ku == f) {
                t->edge_unit[ne] = (int32_t) nu;
                t->edge_user[ne] = u;
                t->edge_movie[ne] = g->user_adj[e];
                t->edge_r[ne] = g->rating[e];
                t->edge_eid[ne] = e;
                ne++;
            } else if (t->S <= 0 || n_msgs < t->S) {
                /* perm is a random order, so the first S non-target ratings are a uniform
                 * sample of them */
                t->msg_idx[nm] = g->user_adj[e];
                t->msg_w[nm] = g->rating[e];
                nm++;
                n_msgs++;
            }
        }
        t->unit_user[nu] = u;
        t->msg_ptr[nu + 1] = nm;
        nu++;
    }
    *n_edges = ne;
    return nu;
}

/* Forward, loss and backward on the batch built by ggnn_build_batch (nu user units, ne targets)
 * and ggnn_build_movie_units (nm movie units): accumulates the gradient of the batch's mean
 * squared error into t->opt.grads and records the touched rows.  Returns the mean squared
 * error. */
static double ggnn_batch_grad(ggnn_t *t, rg_model_t *m, int64_t nu, int64_t ne, int64_t nm,
                              int epoch, int64_t batch_index) {
    int D = t->D, H = t->H, T = t->T, nt = t->nt;
    float mu = (float) m->global_mean;
    ggnn_view_t p, g;
    ggnn_bind(&p, m, m->params);
    ggnn_bind(&g, m, t->opt.grads);
    /* the rows this step reads (they are also the rows Adam updates): users of the units and,
     * with a movie side, the raters in its messages; the target movies and the movies in the
     * user messages */
    rg_i_gnn_opt_touch(&t->opt, RG_I_GNN_USER_EMB, t->unit_user, nu);
    if (t->SM > 0) {
        rg_i_gnn_opt_touch(&t->opt, RG_I_GNN_USER_EMB, t->mmsg_idx, t->mmsg_ptr[nm]);
    }
    rg_i_gnn_opt_touch(&t->opt, RG_I_GNN_USER_BIAS, t->edge_user, ne);
    rg_i_gnn_opt_touch(&t->opt, RG_I_GNN_MOVIE_EMB, t->edge_movie, ne);
    rg_i_gnn_opt_touch(&t->opt, RG_I_GNN_MOVIE_EMB, t->msg_idx, t->msg_ptr[nu]);
    rg_i_gnn_opt_touch(&t->opt, RG_I_GNN_MOVIE_BIAS, t->edge_movie, ne);
    const int32_t *ru = t->opt.rows[RG_I_GNN_USER_EMB], *rm = t->opt.rows[RG_I_GNN_MOVIE_EMB];
    int64_t n_ru = t->opt.n_touched[RG_I_GNN_USER_EMB];
    int64_t n_rm = t->opt.n_touched[RG_I_GNN_MOVIE_EMB];
    /* the inputs X of those rows replace the id tables (forward was: X = emb + feature sums;
     * no other row of X is read this step); their gradient dX (zero between steps) goes back
     * to both at the end */
    size_t UD = (size_t) m->n_users * (size_t) D;
    rg_i_gnn_inputs_forward(t->X, 1, p.user_emb, p.feat, &t->feat, ru, n_ru, 0, D, nt);
    rg_i_gnn_inputs_forward(t->X + UD, 1, p.movie_emb, p.feat, &t->feat, rm, n_rm, m->n_users, D,
                            nt);
    p.user_emb = t->X;
    p.movie_emb = t->X + UD;
    float *g_user = g.user_emb, *g_movie = g.movie_emb;
    g.user_emb = t->dX;
    g.movie_emb = t->dX + UD;
    rg_mp_csr_t ucsr = {t->msg_ptr, t->msg_idx, t->msg_w, NULL, nu, m->n_movies};
    rg_mp_csr_t mcsr = {t->mmsg_ptr, t->mmsg_idx, t->mmsg_w, NULL, nm, m->n_users};

    /* ---- forward ---- */
    ggnn_side_forward(&p, &t->us, &ucsr, p.movie_emb, p.user_emb, t->unit_user, mu, D, T, nt);
    const float *hT = t->us.hs + (size_t) T * (size_t) nu * (size_t) D;
    /* the movie rows the decoder reads: their states, or without a movie side the embeddings */
    const float *gT = p.movie_emb;
    const int32_t *g_ids = t->edge_movie;
    if (t->SM > 0) {
        ggnn_side_forward(&p, &t->ms, &mcsr, p.user_emb, p.movie_emb, t->munit_movie, mu, D, T,
                          nt);
        gT = t->ms.hs + (size_t) T * (size_t) nm * (size_t) D;
        g_ids = t->edge_munit;
    }
    /* dropout streams of this batch: fixed by (seed, epoch, batch), one per decoder row */
    uint64_t drop_seed = rg_rng_mix(rg_rng_mix(m->hp.seed, 1 + (uint64_t) epoch),
                                    (uint64_t) batch_index);
    float drop = m->hp.dropout;
    ggnn_head_forward(&p, &t->head, hT, t->edge_unit, gT, g_ids, ne, D, H, drop, drop_seed, nt);
    rg_i_gnn_head_forward(t->pred, t->head.s, t->edge_user, t->edge_movie, p.user_bias,
                          p.movie_bias, mu, ne);
    rg_param_zero(t->dpred, (size_t) ne);
    double loss = rg_loss_mse(t->dpred, t->pred, t->edge_r, NULL, ne, (double) ne);

    /* ---- backward, the mirror image ---- */
    rg_i_gnn_head_backward(g.user_bias, g.movie_bias, t->dpred, t->edge_user, t->edge_movie, ne);
    ggnn_head_backward(&p, &g, &t->head, t->dpred, hT, t->edge_unit, gT, g_ids, ne, D, H, drop,
                       nt);
    /* forward was: row k of z read hT[edge_unit[k]] and gT[g_ids[k]] */
    rg_param_zero(t->us.dh, (size_t) nu * (size_t) D);
    rg_embedding_backward(t->us.dh, t->head.dhrow, t->edge_unit, (int) ne, D);
    if (t->SM > 0) {
        rg_param_zero(t->ms.dh, (size_t) nm * (size_t) D);
        rg_embedding_backward(t->ms.dh, t->head.derow, t->edge_munit, (int) ne, D);
        ggnn_side_backward(&p, &g, &t->ms, &mcsr, g.user_emb, g.movie_emb, t->munit_movie,
                           t->dpre, t->gru_part, t->mp_scratch, mu, D, T, nt);
    } else {
        rg_embedding_backward(g.movie_emb, t->head.derow, t->edge_movie, (int) ne, D);
    }
    ggnn_side_backward(&p, &g, &t->us, &ucsr, g.movie_emb, g.user_emb, t->unit_user, t->dpre,
                       t->gru_part, t->mp_scratch, mu, D, T, nt);
    /* forward was: X rows = emb rows + feature sums */
    rg_i_gnn_inputs_backward(g_user, g.feat, t->dX, 1, 1, &t->feat, ru, n_ru, 0, D, nt);
    rg_i_gnn_inputs_backward(g_movie, g.feat, t->dX + UD, 1, 1, &t->feat, rm, n_rm, m->n_users,
                             D, nt);
    return loss;
}

/* Reshuffles each user's ratings and the units for `epoch`; returns the number of units. */
static int64_t ggnn_epoch_prepare(ggnn_t *t, const rg_model_t *m, const rg_graph_t *g,
                                  int epoch) {
    rg_rng_t r;
    rg_rng_init(&r, rg_rng_mix(m->hp.seed, 1 + (uint64_t) epoch));
    /* the movie messages' stream: beside the dropout streams (mixed with batch indexes < 2^40) */
    rg_rng_init(&t->mrng, rg_rng_mix(rg_rng_mix(m->hp.seed, 1 + (uint64_t) epoch),
                                     UINT64_C(1) << 40));
    int64_t n_units = 0;
    for (int64_t u = 0; u < g->n_users; u++) {
        int64_t base = g->user_ptr[u], deg = g->user_ptr[u + 1] - base;
        for (int64_t i = 0; i < deg; i++) {
            t->perm[base + i] = base + i;
        }
        rg_rng_shuffle_i64(&r, t->perm + base, deg);
        for (int64_t f = 0; f < deg && f < RG_GGNN_FOLDS; f++) {
            t->units[n_units++] = (int32_t) (u * RG_GGNN_FOLDS + f);
        }
    }
    rg_rng_shuffle_i32(&r, t->units, n_units);
    return n_units;
}

static rg_error_t ggnn_check_epoch_graph(const rg_model_t *m, const rg_graph_t *g) {
    const ggnn_t *t = m->impl;
    if (t == NULL || !t->training) {
        RG_ERROR(RG_EINVAL, "ggnn: epoch called before init");
    }
    if (g->n_ratings != t->n_edges || g->n_users != m->n_users || g->n_movies != m->n_movies) {
        RG_ERROR(RG_EINVAL, "ggnn: epoch graph (%lld ratings) is not the one init saw (%lld)",
                 (long long) g->n_ratings, (long long) t->n_edges);
    }
    return RG_SUCCESS;
}

rg_error_t rg_i_ggnn_batch_grad(rg_model_t *m, const rg_graph_t *g, int epoch, double *loss,
                                const float **grads) {
    RG_CHECK(ggnn_check_epoch_graph(m, g));
    ggnn_t *t = m->impl;
    int64_t n_units = ggnn_epoch_prepare(t, m, g, epoch), pos = 0, ne = 0;
    int64_t nu = ggnn_build_batch(t, g, n_units, &pos, m->hp.batch, &ne);
    int64_t nm = t->SM > 0 ? ggnn_build_movie_units(t, g, ne) : 0;
    rg_i_gnn_opt_reset(&t->opt, m->n_params);
    *loss = ne > 0 ? ggnn_batch_grad(t, m, nu, ne, nm, epoch, 0) : 0.0;
    *grads = t->opt.grads;
    return RG_SUCCESS;
}

/* One epoch of Adam on the optimiser's iterate; m->params leaves holding the running average
 * of the iterates, which the trainer validates, keeps and saves (see the file comment). */
static rg_error_t ggnn_epoch(rg_model_t *m, const rg_graph_t *g, int epoch, double *loss) {
    RG_CHECK(ggnn_check_epoch_graph(m, g));
    ggnn_t *t = m->impl;
    rg_i_gnn_avg_begin(&t->avg, m, RG_GGNN_AVG_EPOCHS,
                       (double) g->n_ratings / (double) m->hp.batch);
    int64_t n_units = ggnn_epoch_prepare(t, m, g, epoch);
    double sse = 0.0;
    int64_t pos = 0, n_seen = 0, batch_index = 0;
    float lr = rg_i_gnn_lr(m, epoch);
    while (pos < n_units) {
        int64_t ne = 0;
        int64_t nu = ggnn_build_batch(t, g, n_units, &pos, m->hp.batch, &ne);
        int64_t nm = t->SM > 0 ? ggnn_build_movie_units(t, g, ne) : 0;
        sse += ggnn_batch_grad(t, m, nu, ne, nm, epoch, batch_index++) * (double) ne;
        rg_i_gnn_opt_step(&t->opt, m, lr);
        rg_i_gnn_avg_step(&t->avg, m);
        n_seen += ne;
    }
    rg_i_gnn_avg_end(&t->avg, m);
    *loss = n_seen > 0 ? sse / (double) n_seen : 0.0;
    t->attached = 0; /* the parameters moved: the prediction state is stale */
    return RG_SUCCESS;
}

/* Final states (n = csr->n_dst, D) of every node of one side from all its ratings: h^0 = h0,
 * messages from src, T rounds; scratch as ggnn_attach sizes it.  O(nnz D + T n D^2). */
static void ggnn_full_states(const ggnn_view_t *p, const rg_mp_csr_t *csr, const float *src,
                             const float *h0, float mu, float *out, float *scratch, int D, int T,
                             int nt) {
    size_t n = (size_t) csr->n_dst, nD = n * (size_t) D;
    float *x = scratch, *hs = x + 2 * nD, *cache = hs + (size_t) (T + 1) * nD;
    ggnn_messages_forward(src, csr, mu, x, D, nt);
    memcpy(hs, h0, nD * sizeof *hs);
    ggnn_rounds_forward(p, x, hs, cache, 0, (int64_t) n, D, T, nt);
    memcpy(out, hs + (size_t) T * nD, nD * sizeof *hs);
}

/* Final user and movie states from all ratings of g, and the mean user input. */
static rg_error_t ggnn_attach(rg_model_t *m, const rg_graph_t *g) {
    ggnn_t *t = NULL;
    RG_CHECK(ggnn_check_tensors(m));
    if (g->n_users != m->n_users || g->n_movies != m->n_movies) {
        RG_ERROR(RG_EINVAL, "ggnn: graph has %lld users / %lld movies, the model %lld / %lld",
                 (long long) g->n_users, (long long) g->n_movies, (long long) m->n_users,
                 (long long) m->n_movies);
    }
    /* steps sizes the (T + 1) R D state history below: bound it before any arithmetic */
    if (m->hp.steps < 1 || m->hp.steps > RG_GGNN_MAX_STEPS || m->hp.dim < 1) {
        RG_ERROR(RG_EFORMAT, "ggnn: the model's steps %d (1..%d) or dim %d (>= 1) is corrupted",
                 (int) m->hp.steps, RG_GGNN_MAX_STEPS, (int) m->hp.dim);
    }
    RG_CHECK(ggnn_get_impl(m, &t));
    int D = t->D, T = t->T;
    size_t U = (size_t) m->n_users, M = (size_t) m->n_movies;
    size_t UD = U * (size_t) D, MD = M * (size_t) D;
    if (t->user_state == NULL) {
        t->user_state = rg_malloc((UD > 0 ? UD : 1) * sizeof *t->user_state);
        t->movie_state = rg_malloc((MD > 0 ? MD : 1) * sizeof *t->movie_state);
        t->user_mean = rg_malloc((size_t) D * sizeof *t->user_mean);
        if (!t->user_state || !t->movie_state || !t->user_mean) {
            RG_ERROR(RG_ENOMEM, "ggnn: cannot allocate the prediction state of %zu users", U);
        }
    }
    /* scratch for the larger side R = max(U, M): x (R,2D), hs (T+1, R, D), cache (R, 6D) */
    size_t R = U > M ? U : M, RD = R * (size_t) D;
    free(t->att_mem);
    size_t n_floats = 2 * RD + (size_t) (T + 1) * RD + 6 * RD + 1;
    t->att_mem = rg_malloc(n_floats * sizeof *t->att_mem);
    if (t->att_mem == NULL) {
        RG_ERROR(RG_ENOMEM, "ggnn: cannot allocate %zu floats of inference scratch", n_floats);
    }
    RG_CHECK(rg_model_expect(m, "feat_emb", RG_DTYPE_F32, rg_i_gnn_feat_rows(g), D));
    RG_CHECK(ggnn_inputs_alloc(t, m, g));
    ggnn_view_t p;
    ggnn_bind(&p, m, m->params);
    ggnn_inputs(&p, t, m);
    float mu = (float) m->global_mean;
    rg_mp_csr_t ucsr = {g->user_ptr, g->user_adj, g->rating, NULL, g->n_users, g->n_movies};
    rg_mp_csr_t mcsr = {g->movie_ptr, g->movie_adj, g->rating, g->movie_eid, g->n_movies,
                        g->n_users};
    ggnn_full_states(&p, &ucsr, p.movie_emb, p.user_emb, mu, t->user_state, t->att_mem, D, T,
                     t->nt);
    if (t->SM > 0) {
        ggnn_full_states(&p, &mcsr, p.user_emb, p.movie_emb, mu, t->movie_state, t->att_mem, D,
                         T, t->nt);
    } else {
        memcpy(t->movie_state, p.movie_emb, MD * sizeof *t->movie_state);
    }
    for (int i = 0; i < D; i++) {
        double s = 0.0;
        for (size_t u = 0; u < U; u++) {
            s += p.user_emb[u * (size_t) D + (size_t) i];
        }
        t->user_mean[i] = U > 0 ? (float) (s / (double) U) : 0.0f;
    }
    t->attached = 1;
    return RG_SUCCESS;
}

/* Decoder over n rows in chunks: out[k] = mu + bu + bm[movie] + MLP(hs row, movie row);
 * h_ids NULL = the single state hs for every row; users NULL = user bias 0. */
static rg_error_t ggnn_decode(const rg_model_t *m, const float *hs, const int32_t *h_ids,
                              const int32_t *users, const int32_t *movies, int64_t n,
                              float *out) {
    const ggnn_t *t = m->impl;
    int D = t->D, H = t->H;
    ggnn_view_t p;
    ggnn_bind(&p, m, m->params);
    int64_t chunk = n < RG_GGNN_PRED_CHUNK ? n : RG_GGNN_PRED_CHUNK;
    ggnn_head_ws_t w;
    float *mem = rg_malloc((ggnn_head_carve(&w, NULL, chunk, D, H, t->nt) + 1) * sizeof *mem);
    if (mem == NULL) {
        RG_ERROR(RG_ENOMEM, "ggnn: cannot allocate the decoder buffers for %lld rows",
                 (long long) chunk);
    }
    ggnn_head_carve(&w, mem, chunk, D, H, t->nt);
    for (int64_t k0 = 0; k0 < n; k0 += chunk) {
        int64_t nk = n - k0 < chunk ? n - k0 : chunk;
        ggnn_head_forward(&p, &w, hs, h_ids ? h_ids + k0 : NULL, t->movie_state, movies + k0, nk,
                          D, H, 0.0f, 0, t->nt);
        for (int64_t k = 0; k < nk; k++) {
            float bu = users ? p.user_bias[users[k0 + k]] : 0.0f;
            out[k0 + k] = (float) m->global_mean + bu + p.movie_bias[movies[k0 + k]] + w.s[k];
        }
    }
    free(mem);
    return RG_SUCCESS;
}

static rg_error_t ggnn_check_attached(const rg_model_t *m) {
    const ggnn_t *t = m->impl;
    if (t == NULL || !t->attached) {
        RG_ERROR(RG_EINVAL, "ggnn: model not attached to a graph (call attach after training)");
    }
    return RG_SUCCESS;
}

static rg_error_t ggnn_predict(const rg_model_t *m, const rg_graph_t *g, int64_t n,
                               const int32_t *users, const int32_t *movies, float *out) {
    (void) g;
    RG_CHECK(ggnn_check_attached(m));
    for (int64_t i = 0; i < n; i++) {
        if (users[i] < 0 || users[i] >= m->n_users || movies[i] < 0 || movies[i] >= m->n_movies) {
            RG_ERROR(RG_ERANGE, "ggnn: pair %lld (user %d, movie %d) out of range", (long long) i,
                     users[i], movies[i]);
        }
    }
    const ggnn_t *t = m->impl;
    return ggnn_decode(m, t->user_state, users, users, movies, n, out);
}

/* Scores of all movies for one state row (bias of user u, or none when u < 0). */
static rg_error_t ggnn_score_state(const rg_model_t *m, const float *state, int32_t u,
                                   float *out) {
    int32_t *movies = rg_malloc((size_t) (m->n_movies > 0 ? m->n_movies : 1) * sizeof *movies);
    if (movies == NULL) {
        RG_ERROR(RG_ENOMEM, "ggnn: cannot allocate %lld movie ids", (long long) m->n_movies);
    }
    for (int32_t j = 0; j < (int32_t) m->n_movies; j++) {
        movies[j] = j;
    }
    rg_error_t rc = ggnn_decode(m, state, NULL, NULL, movies, m->n_movies, out);
    if (rc == RG_SUCCESS && u >= 0) {
        /* the user's bias is the same for every movie: added after the decode */
        const float *bu = rg_model_f32(m, "user_bias");
        for (int64_t j = 0; j < m->n_movies; j++) {
            out[j] += bu[u];
        }
    }
    free(movies);
    return rc;
}

static rg_error_t ggnn_score(const rg_model_t *m, const rg_graph_t *g, int32_t u, float *out) {
    (void) g;
    RG_CHECK(ggnn_check_attached(m));
    if (u < 0 || u >= m->n_users) {
        RG_ERROR(RG_ERANGE, "ggnn: user %d out of range [0, %lld)", u, (long long) m->n_users);
    }
    const ggnn_t *t = m->impl;
    return ggnn_score_state(m, t->user_state + (size_t) u * (size_t) t->D, u, out);
}

/* A new user: messages from the given movies and ratings, h^0 = the mean user embedding,
 * T GRU rounds, user bias 0, decoded against every movie's attached state.
 * O(n D + T D^2 + M D H). */
static rg_error_t ggnn_fold_in(const rg_model_t *m, const rg_graph_t *g, int64_t n,
                               const int32_t *movies, const float *ratings, float *out) {
    (void) g;
    RG_CHECK(ggnn_check_attached(m));
    if (n < 0) {
        RG_ERROR(RG_EINVAL, "ggnn: negative rating count %lld", (long long) n);
    }
    for (int64_t i = 0; i < n; i++) {
        if (movies[i] < 0 || movies[i] >= m->n_movies) {
            RG_ERROR(RG_ERANGE, "ggnn: fold-in movie %d out of range [0, %lld)", movies[i],
                     (long long) m->n_movies);
        }
    }
    const ggnn_t *t = m->impl;
    int D = t->D;
    ggnn_view_t p;
    ggnn_bind(&p, m, m->params);
    /* x (2D), hs (T+1, D), cache (6D) */
    size_t n_floats = (size_t) (2 * D + (t->T + 1) * D + 6 * D);
    float *mem = rg_malloc(n_floats * sizeof *mem);
    if (mem == NULL) {
        RG_ERROR(RG_ENOMEM, "ggnn: cannot allocate the fold-in state");
    }
    float *x = mem, *hs = x + 2 * D, *cache = hs + (size_t) (t->T + 1) * (size_t) D;
    int64_t ptr[2] = {0, n};
    rg_mp_csr_t csr = {ptr, movies, ratings, NULL, 1, m->n_movies};
    /* the movies' inputs as attach left them */
    const float *movie_in = t->X + (size_t) m->n_users * (size_t) D;
    ggnn_messages_forward(movie_in, &csr, (float) m->global_mean, x, D, 1);
    memcpy(hs, t->user_mean, (size_t) D * sizeof *hs);
    ggnn_rounds_forward(&p, x, hs, cache, 0, 1, D, t->T, 1);
    rg_error_t rc = ggnn_score_state(m, hs + (size_t) t->T * (size_t) D, -1, out);
    free(mem);
    return rc;
}

static void ggnn_release(rg_model_t *m) {
    ggnn_free_impl(m->impl);
    m->impl = NULL;
}

const rg_model_ops_t rg_model_ggnn = {
    .name = "ggnn",
    .summary = "GRU-based gated GNN: T rounds of rating-weighted messages update each user's "
               "and each movie's state through one GRU cell; MLP decoder + biases",
    .predicts_ratings = 1,
    .init = ggnn_init,
    .epoch = ggnn_epoch,
    .attach = ggnn_attach,
    .predict = ggnn_predict,
    .score = ggnn_score,
    .fold_in = ggnn_fold_in,
    .release = ggnn_release,
    .val_loss = NULL,
    .patience_default = 5, /* keep the best-validation epoch (trainer's 5% carve) */
};
