/* content.c: the content model, a genre autoencoder + an MLP over genre codes and taste
 * profiles, plus user and movie biases.
 *
 *   z_m = encoder(genres of m)                          (C)  the autoencoder's code, "movie_emb"
 *   t_u = sum_{m rated by u} w_um z_m                   (C)  taste profile, "user_emb", by message
 *         w_um = (r_um - mean_u) / sum |r - mean_u|          passing over the store's user CSR
 *                                                            (nn.h's aggregate, weighted sum)
 *   x   = [z_m | t_u | z_m * t_u]                       (3C)
 *   pred(u, m) = mu + b_u + b_m + w2 . relu(W1 x + b1) + b2
 *
 * Training (mini-batches of training ratings, Adam with lazy rows for the bias tables):
 *   L = mean (pred - r)^2 + reg * mean (b_u^2 + b_m^2)  over the batch.
 * Epoch 0 first trains the autoencoder (CONTENT_AE_EPOCHS passes over all movies, BCE, see
 * autoencoder.h), then computes the codes and profiles once; the encoder is then frozen, so the
 * codes and profiles are inputs of the MLP and the rating loss trains the MLP and the biases.
 * Out-of-fold profiles in training: the training ratings are split in two seeded folds and a
 * rating is fitted with its user's profile built from the other fold only.  With the full
 * profile the MLP learns from ratings that see themselves and overfits (ML-100K u1.base
 * validation RMSE 0.939, against 0.924 out-of-fold); a leave-one-out profile leaks the rating
 * back with the opposite sign (on a planted graph it did worse than the full profile).
 * Prediction uses the full profile of every training rating.
 * The AE tensors are the content model's own tensors ("enc_w", "enc_b", "dec_w", "dec_b").
 *
 * attach recomputes movie_emb and user_emb from the encoder and the graph it is given (so the
 * profiles use every training rating); fold_in builds a new user's profile from the given
 * ratings the same way and fits the user's bias in closed form (the training objective for b_u
 * alone: mean residual / (1 + reg)).
 *
 * Hyper-parameters: dim (code size C, default 8), epochs (12), lr (0.005), reg (0.05, biases),
 * batch (256 ratings).  Hidden width RG_CONTENT_HIDDEN.  Costs: an epoch is O(E*(3C*H + H));
 * attach O(M*G*C + E*C); score O(M*3C*H) per user.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "models/autoencoder.h"
#include "models/content.h"

#define CONTENT_AE_EPOCHS 200          /* autoencoder passes in epoch 0 */
#define CONTENT_AE_LR 0.01f
#define CONTENT_AE_BATCH 32
#define CONTENT_CHUNK 1024             /* rows per forward chunk in predict / score */
#define CONTENT_STREAM_INIT 0x636f6977ULL    /* RNG streams: "coiw" initialisation, */
#define CONTENT_STREAM_SHUFFLE 0x636f7368ULL /* "cosh" rating order, "coae" the AE */
#define CONTENT_STREAM_AE 0x636f6165ULL
#define CONTENT_W2_INIT 0.01f          /* |w2| bound: the untrained MLP adds ~0 to the biases */
#define CONTENT_ADAM_BETA1 0.9f
#define CONTENT_ADAM_BETA2 0.999f
#define CONTENT_ADAM_EPS 1e-8f

/* ---- tensors ---- */

/* Views of the MLP and bias tensors and the embeddings in one block.  Own nothing. */
typedef struct {
    int C, H;
    float *w1; /* (H, 3C) */
    float *b1; /* (H) */
    float *w2; /* (1, H) */
    float *b2; /* (1) */
    float *bu; /* (U) */
    float *bm; /* (M) */
    float *T;  /* (U, C) user_emb */
    float *Z;  /* (M, C) movie_emb */
} content_view_t;

static rg_error_t content_declare(rg_model_t *m, int G, int C) {
    const int H = RG_CONTENT_HIDDEN;
    RG_CHECK(rg_i_ae_declare(m, G, C));
    /* the rating-trained range, contiguous: mlp_w1 .. movie_bias */
    RG_CHECK(rg_model_declare(m, "mlp_w1", RG_DTYPE_F32, H, 3 * C));
    RG_CHECK(rg_model_declare(m, "mlp_b1", RG_DTYPE_F32, 1, H));
    RG_CHECK(rg_model_declare(m, "mlp_w2", RG_DTYPE_F32, 1, H));
    RG_CHECK(rg_model_declare(m, "mlp_b2", RG_DTYPE_F32, 1, 1));
    RG_CHECK(rg_model_declare(m, "user_bias", RG_DTYPE_F32, m->n_users, 1));
    RG_CHECK(rg_model_declare(m, "movie_bias", RG_DTYPE_F32, m->n_movies, 1));
    RG_CHECK(rg_model_declare(m, "user_emb", RG_DTYPE_F32, m->n_users, C));
    return rg_model_declare(m, "movie_emb", RG_DTYPE_F32, m->n_movies, C);
}

/* Binds v to the tensors inside `block` (laid out like m->params); *offset / *n receive the
 * rating-trained range mlp_w1 .. movie_bias.  RG_EFORMAT on a missing or misshapen tensor. */
static rg_error_t content_bind(const rg_model_t *m, float *block, content_view_t *v,
                               size_t *offset, size_t *n) {
    const char *names[] = {"mlp_w1", "mlp_b1", "mlp_w2", "mlp_b2", "user_bias", "movie_bias",
                           "user_emb", "movie_emb"};
    const rg_tensor_t *t[8];
    RG_CHECK(rg_model_expect(m, names[0], RG_DTYPE_F32, RG_CONTENT_HIDDEN, -1));
    const int64_t H = RG_CONTENT_HIDDEN, C = rg_model_tensor(m, names[0])->cols / 3;
    if (C < 1 || rg_model_tensor(m, names[0])->cols != 3 * C) {
        RG_ERROR(RG_EFORMAT, "content model: tensor 'mlp_w1' has %lld columns, expected a "
                 "positive multiple of 3", (long long) rg_model_tensor(m, names[0])->cols);
    }
    /* every shape exactly (a crafted file is refused here, not read out of bounds) */
    const int64_t rows[8] = {H, 1, 1, 1, m->n_users, m->n_movies, m->n_users, m->n_movies};
    const int64_t cols[8] = {3 * C, H, H, 1, 1, 1, C, C};
    for (int i = 0; i < 8; i++) {
        RG_CHECK(rg_model_expect(m, names[i], RG_DTYPE_F32, rows[i], cols[i]));
        t[i] = rg_model_tensor(m, names[i]);
    }
    size_t lo = t[0]->offset, hi = t[5]->offset + (size_t) m->n_movies;
    for (int i = 1; i < 6; i++) {
        if (t[i]->offset != t[i - 1]->offset + (size_t) (t[i - 1]->rows * t[i - 1]->cols)) {
            RG_ERROR(RG_EINTERNAL, "content: the MLP and bias tensors are not contiguous");
        }
    }
    v->C = (int) C;
    v->H = (int) H;
    v->w1 = block + t[0]->offset;
    v->b1 = block + t[1]->offset;
    v->w2 = block + t[2]->offset;
    v->b2 = block + t[3]->offset;
    v->bu = block + t[4]->offset;
    v->bm = block + t[5]->offset;
    v->T = block + t[6]->offset;
    v->Z = block + t[7]->offset;
    *offset = lo;
    *n = hi - lo;
    return RG_SUCCESS;
}

/* ---- forward ---- */

/* pred (n) for n pairs.  The profile of row i is tb[i] (tb (n, C), when non-NULL), else
 * T[users[i]], else t0 (C); its user bias is bu[users[i]], or bu0 when users is NULL (a
 * folded-in user).  Caches: xin (n, 3C), h (n, H) (post-ReLU).  No allocation.
 * O(n * 3C * H). */
static void content_forward(const content_view_t *v, double mu, int n, const int32_t *users,
                            const float *tb, const float *t0, float bu0, const int32_t *movies,
                            float *xin, float *h, float *pred) {
    const int C = v->C, H = v->H, D = 3 * C;
    for (int i = 0; i < n; i++) {
        const float *z = v->Z + (size_t) movies[i] * (size_t) C;
        const float *t = tb ? tb + (size_t) i * (size_t) C
                            : (users ? v->T + (size_t) users[i] * (size_t) C : t0);
        float *x = xin + (size_t) i * (size_t) D;
        for (int c = 0; c < C; c++) {
            x[c] = z[c];
            x[C + c] = t[c];
            x[2 * C + c] = z[c] * t[c];
        }
    }
    rg_linear_forward(h, xin, v->w1, v->b1, n, D, H);
    rg_relu_forward(h, h, (size_t) n * (size_t) H);
    rg_linear_forward(pred, h, v->w2, v->b2, n, H, 1);
    for (int i = 0; i < n; i++) {
        float bu = users ? v->bu[users[i]] : bu0;
        pred[i] = (float) (mu + (double) bu + (double) v->bm[movies[i]] + (double) pred[i]);
    }
}

/* Chunked forward with a private workspace (thread-safe): pred (n). */
static rg_error_t content_predict_rows(const content_view_t *v, double mu, int64_t n,
                                       const int32_t *users, const float *t0, float bu0,
                                       const int32_t *movies, float *pred) {
    const int chunk = (int) (n < CONTENT_CHUNK ? (n > 0 ? n : 1) : CONTENT_CHUNK);
    float *xin = rg_malloc((size_t) chunk * 3 * (size_t) v->C * sizeof *xin);
    float *h = rg_malloc((size_t) chunk * (size_t) v->H * sizeof *h);
    if (xin == NULL || h == NULL) {
        free(xin);
        free(h);
        RG_ERROR(RG_ENOMEM, "content: cannot allocate a %d-row forward workspace", chunk);
    }
    for (int64_t s = 0; s < n; s += chunk) {
        int nb = (int) (n - s < chunk ? n - s : chunk);
        content_forward(v, mu, nb, users ? users + s : NULL, NULL, t0, bu0, movies + s, xin, h,
                        pred + s);
    }
    free(xin);
    free(h);
    return RG_SUCCESS;
}

/* ---- training state ---- */

typedef struct {
    rg_i_ae_trainer_t ae;   /* the autoencoder sub-step (epoch 0) */
    int B;
    size_t offset, n;       /* the rating-trained range */
    float *grads;           /* (n) */
    content_view_t gview;   /* views of grads (T and Z unused) */
    rg_adam_t adam;
    rg_sparse_rows_t tables[2];
    int64_t n_edges;
    int64_t *order;         /* (E) edge ids, shuffled each epoch */
    int32_t *edge_user;     /* (E) */
    float *w;               /* (E) taste weights */
    int32_t *bu, *bm;       /* (B) batch ids */
    int32_t *rows_u, *rows_m; /* (B) distinct ids for the lazy Adam */
    float *br;              /* (B) batch ratings */
    float *bt;              /* (B, C) their out-of-fold profiles */
    uint8_t *fold;          /* (E) the profile fold of each training rating, 0 or 1 */
    float *T_oof;           /* (2, U, C) profiles from fold 0 and from fold 1 */
    float *xin, *h, *pred;  /* (B,3C) (B,H) (B) */
    float *dpred, *dh, *dpre; /* (B) (B,H) (B,H) */
    rg_rng_t rng;
} content_state_t;

static void content_state_free(content_state_t *s) {
    rg_i_ae_trainer_free(&s->ae);
    free(s->grads);
    rg_adam_free(&s->adam);
    free(s->order);
    free(s->edge_user);
    free(s->w);
    free(s->bu);
    free(s->bm);
    free(s->rows_u);
    free(s->rows_m);
    free(s->br);
    free(s->bt);
    free(s->fold);
    free(s->T_oof);
    free(s->xin);
    free(s->h);
    free(s->pred);
    free(s->dpred);
    free(s->dh);
    free(s->dpre);
    memset(s, 0, sizeof *s);
}

static void content_release(rg_model_t *m) {
    if (m->impl != NULL) {
        content_state_free(m->impl);
        free(m->impl);
    }
    m->impl = NULL;
}

/* Recomputes movie_emb (encoder) and user_emb (taste profiles over g); w is E floats of
 * scratch.  O(M*G*C + E*C). */
static rg_error_t content_embed(rg_model_t *m, const rg_graph_t *g, float *w) {
    content_view_t v;
    rg_i_ae_view_t ae;
    size_t off, n;
    float *X = NULL;
    RG_CHECK(content_bind(m, m->params, &v, &off, &n));
    RG_CHECK(rg_i_ae_bind(m, m->params, &ae, &off, &n));
    if (ae.C != v.C || ae.G != g->n_genres || g->n_movies != m->n_movies ||
        g->n_users != m->n_users) {
        RG_ERROR(RG_EFORMAT, "content: model (code %d, %d genres, %lld x %lld) does not fit the "
                 "graph (%d genres, %lld x %lld)", v.C, ae.G, (long long) m->n_users,
                 (long long) m->n_movies, g->n_genres, (long long) g->n_users,
                 (long long) g->n_movies);
    }
    RG_CHECK(rg_i_genre_matrix(g, &X));
    rg_i_ae_encode(&ae, X, m->n_movies, v.Z);
    free(X);
    rg_i_taste_profiles(g, v.Z, v.C, NULL, 0, w, v.T, m->hp.n_threads);
    return RG_SUCCESS;
}

/* The two out-of-fold profile tables of the training ratings: T_oof[k] from the ratings of
 * fold k only.  A training rating of fold f is fitted with its user's profile from fold 1 - f,
 * so it never sees itself (a leave-one-out profile would leak the rating back, inverted).
 * O(E*C). */
static void content_oof_profiles(const rg_model_t *m, content_state_t *s, const rg_graph_t *g) {
    const float *Z = rg_model_f32(m, "movie_emb");
    const int C = (int) rg_model_tensor(m, "movie_emb")->cols;
    for (int k = 0; k < 2; k++) {
        rg_i_taste_profiles(g, Z, C, s->fold, k, s->w,
                            s->T_oof + (size_t) k * (size_t) m->n_users * (size_t) C,
                            m->hp.n_threads);
    }
}

static rg_error_t content_init(rg_model_t *m, const rg_graph_t *train) {
    rg_error_t rc = RG_SUCCESS;
    content_view_t v;
    rg_i_ae_view_t ae;
    size_t ae_off, ae_n;
    rg_rng_t r;
    rg_hp_default_i(&m->hp.dim, 8);
    rg_hp_default_i(&m->hp.epochs, 12);
    rg_hp_default_f(&m->hp.lr, 0.005f);
    rg_hp_default_f(&m->hp.reg, 0.05f);
    rg_hp_default_i(&m->hp.batch, 256);
    if (m->hp.dim < 1 || m->hp.batch < 1 || !(m->hp.lr > 0.0f) || !(m->hp.reg >= 0.0f)) {
        RG_ERROR(RG_EINVAL, "content: dim %d and batch %d must be >= 1, lr %g > 0, reg %g >= 0",
                 m->hp.dim, m->hp.batch, (double) m->hp.lr, (double) m->hp.reg);
    }
    if (train->n_genres < 1) {
        RG_ERROR(RG_EINVAL, "content: graph %s has no genres: the content model needs them",
                 train->name);
    }
    RG_CHECK(content_declare(m, train->n_genres, m->hp.dim));
    RG_CHECK(rg_model_alloc(m));
    content_state_t *s = rg_calloc(1, sizeof *s);
    if (s == NULL) {
        RG_ERROR(RG_ENOMEM, "content: cannot allocate the training state");
    }
    m->impl = s;
    RG_TRY(content_bind(m, m->params, &v, &s->offset, &s->n));
    const int B = m->hp.batch, C = v.C, H = v.H;
    const int64_t E = train->n_ratings;
    s->B = B;
    s->n_edges = E;
    const size_t e1 = (size_t) (E > 0 ? E : 1);
    s->grads = rg_calloc(s->n, sizeof *s->grads);
    s->order = rg_malloc(e1 * sizeof *s->order);
    s->edge_user = rg_malloc(e1 * sizeof *s->edge_user);
    s->w = rg_malloc(e1 * sizeof *s->w);
    s->bu = rg_malloc((size_t) B * sizeof *s->bu);
    s->bm = rg_malloc((size_t) B * sizeof *s->bm);
    s->rows_u = rg_malloc((size_t) B * sizeof *s->rows_u);
    s->rows_m = rg_malloc((size_t) B * sizeof *s->rows_m);
    s->br = rg_malloc((size_t) B * sizeof *s->br);
    s->bt = rg_malloc((size_t) B * (size_t) C * sizeof *s->bt);
    s->fold = rg_malloc(e1);
    s->T_oof = rg_malloc(2 * (size_t) (m->n_users > 0 ? m->n_users : 1) * (size_t) C *
                         sizeof *s->T_oof);
    s->xin = rg_malloc((size_t) B * 3 * (size_t) C * sizeof *s->xin);
    s->h = rg_malloc((size_t) B * (size_t) H * sizeof *s->h);
    s->pred = rg_malloc((size_t) B * sizeof *s->pred);
    s->dpred = rg_malloc((size_t) B * sizeof *s->dpred);
    s->dh = rg_malloc((size_t) B * (size_t) H * sizeof *s->dh);
    s->dpre = rg_malloc((size_t) B * (size_t) H * sizeof *s->dpre);
    if (!s->grads || !s->order || !s->edge_user || !s->w || !s->bu || !s->bm || !s->rows_u ||
        !s->rows_m || !s->br || !s->bt || !s->fold || !s->T_oof || !s->xin || !s->h ||
        !s->pred || !s->dpred || !s->dh || !s->dpre) {
        RG_FAIL(RG_ENOMEM, "content: cannot allocate the training workspace (%lld ratings, "
                "batch %d)", (long long) E, B);
    }
    RG_TRY(rg_adam_init(&s->adam, s->n, CONTENT_ADAM_BETA1, CONTENT_ADAM_BETA2,
                        CONTENT_ADAM_EPS, 0.0f, RG_ADAM_L2));
    /* views of grads at the params' relative offsets */
    float *base = m->params + s->offset;
    s->gview = v;
    s->gview.w1 = s->grads + (v.w1 - base);
    s->gview.b1 = s->grads + (v.b1 - base);
    s->gview.w2 = s->grads + (v.w2 - base);
    s->gview.b2 = s->grads + (v.b2 - base);
    s->gview.bu = s->grads + (v.bu - base);
    s->gview.bm = s->grads + (v.bm - base);
    s->gview.T = NULL;
    s->gview.Z = NULL;
    s->tables[0] = (rg_sparse_rows_t){.offset = (size_t) (v.bu - base), .n_rows = m->n_users,
                                      .D = 1, .rows = s->rows_u, .n_touched = 0};
    s->tables[1] = (rg_sparse_rows_t){.offset = (size_t) (v.bm - base), .n_rows = m->n_movies,
                                      .D = 1, .rows = s->rows_m, .n_touched = 0};
    for (int32_t u = 0; u < (int32_t) train->n_users; u++) {
        for (int64_t e = train->user_ptr[u]; e < train->user_ptr[u + 1]; e++) {
            s->edge_user[e] = u;
            s->order[e] = e;
        }
    }
    /* the autoencoder sub-step trains on every movie (nothing held out) */
    RG_TRY(rg_i_ae_trainer_init(&s->ae, m, train, 0.0f, CONTENT_AE_BATCH, CONTENT_AE_LR,
                                rg_rng_mix(m->hp.seed, CONTENT_STREAM_AE)));
    RG_TRY(rg_i_ae_bind(m, m->params, &ae, &ae_off, &ae_n));
    rg_rng_init(&r, rg_rng_mix(m->hp.seed, CONTENT_STREAM_INIT));
    rg_i_ae_init_params(&ae, s->ae.X, m->n_movies, &r);
    rg_param_init_he(v.w1, (size_t) H * 3 * (size_t) C, 3 * C, &r);
    rg_param_zero(v.b1, (size_t) H);
    rg_param_init_uniform(v.w2, (size_t) H, CONTENT_W2_INIT, &r);
    rg_param_zero(v.b2, 1);
    rg_rng_init(&s->rng, rg_rng_mix(m->hp.seed, CONTENT_STREAM_SHUFFLE));
    for (int64_t e = 0; e < E; e++) {
        s->fold[e] = (uint8_t) rg_rng_below(&r, 2);
    }
    /* codes and profiles of the untrained encoder, so the model predicts from the start */
    RG_TRY(content_embed(m, train, s->w));
    content_oof_profiles(m, s, train);
cleanup:
    if (rc != RG_SUCCESS) {
        content_release(m);
    }
    return rc;
}

/* Loss and (when g != NULL) accumulated gradient of one batch held in s->bu/bm/br. */
static double content_batch(const content_view_t *v, const content_view_t *g, double mu,
                            float reg, content_state_t *s, const float *tb, int n) {
    const int C = v->C, H = v->H, D = 3 * C;
    const size_t nH = (size_t) n * (size_t) H;
    content_forward(v, mu, n, s->bu, tb, NULL, 0.0f, s->bm, s->xin, s->h, s->pred);
    double reg_sum = 0.0;
    for (int i = 0; i < n; i++) {
        double bu = v->bu[s->bu[i]], bm = v->bm[s->bm[i]];
        reg_sum += bu * bu + bm * bm;
    }
    double loss = (double) reg * reg_sum / (double) n;
    if (g == NULL) {
        return loss + rg_loss_mse(NULL, s->pred, s->br, NULL, n, (double) n);
    }
    rg_param_zero(s->dpred, (size_t) n);
    loss += rg_loss_mse(s->dpred, s->pred, s->br, NULL, n, (double) n);
    /* forward was: pred = mu + b_u + b_m + out;  L += reg (b_u^2 + b_m^2) / n */
    const float k = 2.0f * reg / (float) n;
    for (int i = 0; i < n; i++) {
        g->bu[s->bu[i]] += s->dpred[i] + k * v->bu[s->bu[i]];
        g->bm[s->bm[i]] += s->dpred[i] + k * v->bm[s->bm[i]];
    }
    rg_param_zero(s->dh, nH);
    rg_param_zero(s->dpre, nH);
    /* forward was: out (n,1) = h @ w2^T + b2 */
    rg_linear_backward(s->dh, g->w2, g->b2, s->dpred, s->h, v->w2, n, H, 1);
    /* forward was: h = relu(pre) */
    rg_relu_backward(s->dpre, s->dh, s->h, nH);
    /* forward was: pre = xin @ w1^T + b1 (xin holds fixed codes and profiles) */
    rg_linear_backward(NULL, g->w1, g->b1, s->dpre, s->xin, v->w1, n, D, H);
    return loss;
}

rg_error_t rg_i_content_loss(const rg_model_t *m, int64_t n, const int32_t *users,
                             const int32_t *movies, const float *ratings, float *grads,
                             double *loss) {
    content_state_t *s = m->impl;
    content_view_t v, g;
    size_t off, cnt;
    if (s == NULL || s->grads == NULL) {
        RG_ERROR(RG_EINVAL, "content: no training state (init not called)");
    }
    if (n < 1 || n > s->B) {
        RG_ERROR(RG_EINVAL, "content: %lld triples, expected 1..%d (the batch size)",
                 (long long) n, s->B);
    }
    RG_CHECK(content_bind(m, m->params, &v, &off, &cnt));
    if (grads != NULL) {
        RG_CHECK(content_bind(m, grads, &g, &off, &cnt));
    }
    memcpy(s->bu, users, (size_t) n * sizeof *users);
    memcpy(s->bm, movies, (size_t) n * sizeof *movies);
    memcpy(s->br, ratings, (size_t) n * sizeof *ratings);
    *loss = content_batch(&v, grads ? &g : NULL, m->global_mean, m->hp.reg, s, NULL, (int) n);
    return RG_SUCCESS;
}

/* One epoch: epoch 0 first trains the autoencoder and embeds; then a shuffled pass over the
 * training ratings.  *loss = the mean batch objective. */
static rg_error_t content_epoch(rg_model_t *m, const rg_graph_t *train, int epoch,
                                double *loss) {
    content_state_t *s = m->impl;
    content_view_t v;
    size_t off, cnt;
    if (s == NULL || s->grads == NULL) {
        RG_ERROR(RG_EINVAL, "content: epoch before init");
    }
    if (train->n_ratings != s->n_edges) {
        RG_ERROR(RG_EINVAL, "content: epoch graph has %lld ratings, init's %lld",
                 (long long) train->n_ratings, (long long) s->n_edges);
    }
    if (epoch == 0) {
        for (int i = 0; i < CONTENT_AE_EPOCHS; i++) {
            rg_i_ae_trainer_epoch(&s->ae, m->params);
        }
        RG_CHECK(content_embed(m, train, s->w));
        content_oof_profiles(m, s, train);
    }
    RG_CHECK(content_bind(m, m->params, &v, &off, &cnt));
    const int C = v.C;
    rg_rng_shuffle_i64(&s->rng, s->order, s->n_edges);
    double sum = 0.0;
    for (int64_t start = 0; start < s->n_edges; start += s->B) {
        int n = (int) (s->n_edges - start < s->B ? s->n_edges - start : s->B);
        for (int i = 0; i < n; i++) {
            int64_t e = s->order[start + i];
            s->bu[i] = s->edge_user[e];
            s->bm[i] = train->user_adj[e];
            s->br[i] = train->rating[e];
            memcpy(s->bt + (size_t) i * (size_t) C,
                   s->T_oof + ((size_t) !s->fold[e] * (size_t) m->n_users + (size_t) s->bu[i]) *
                                  (size_t) C,
                   (size_t) C * sizeof *s->bt);
        }
        rg_param_zero(s->grads, s->n);
        sum += (double) n * content_batch(&v, &s->gview, m->global_mean, m->hp.reg, s, s->bt, n);
        memcpy(s->rows_u, s->bu, (size_t) n * sizeof *s->rows_u);
        memcpy(s->rows_m, s->bm, (size_t) n * sizeof *s->rows_m);
        s->tables[0].n_touched = rg_ids_unique(s->rows_u, n);
        s->tables[1].n_touched = rg_ids_unique(s->rows_m, n);
        rg_adam_step_sparse(&s->adam, m->params + s->offset, s->grads, m->hp.lr, s->tables, 2);
    }
    *loss = s->n_edges > 0 ? sum / (double) s->n_edges : NAN;
    return RG_SUCCESS;
}

/* ---- prediction ---- */

static rg_error_t content_attach(rg_model_t *m, const rg_graph_t *train) {
    float *w = rg_malloc((size_t) (train->n_ratings > 0 ? train->n_ratings : 1) * sizeof *w);
    if (w == NULL) {
        RG_ERROR(RG_ENOMEM, "content: cannot allocate %lld taste weights",
                 (long long) train->n_ratings);
    }
    rg_error_t rc = content_embed(m, train, w);
    free(w);
    return rc;
}

static rg_error_t content_predict(const rg_model_t *m, const rg_graph_t *train, int64_t n,
                                  const int32_t *users, const int32_t *movies, float *out) {
    (void) train;
    content_view_t v;
    size_t off, cnt;
    RG_CHECK(content_bind(m, m->params, &v, &off, &cnt));
    for (int64_t i = 0; i < n; i++) {
        if (users[i] < 0 || users[i] >= m->n_users || movies[i] < 0 ||
            movies[i] >= m->n_movies) {
            RG_ERROR(RG_ERANGE, "content: pair %lld (user %d, movie %d) out of range "
                     "[0, %lld) x [0, %lld)", (long long) i, users[i], movies[i],
                     (long long) m->n_users, (long long) m->n_movies);
        }
    }
    return content_predict_rows(&v, m->global_mean, n, users, NULL, 0.0f, movies, out);
}

/* All movies for one user (profile t, bias bu): out (M). */
static rg_error_t content_rank(const rg_model_t *m, const content_view_t *v, const float *t,
                               float bu, float *out) {
    int32_t *movies = rg_malloc((size_t) (m->n_movies > 0 ? m->n_movies : 1) * sizeof *movies);
    if (movies == NULL) {
        RG_ERROR(RG_ENOMEM, "content: cannot allocate %lld movie ids", (long long) m->n_movies);
    }
    for (int32_t j = 0; j < (int32_t) m->n_movies; j++) {
        movies[j] = j;
    }
    rg_error_t rc = content_predict_rows(v, m->global_mean, m->n_movies, NULL, t, bu, movies,
                                         out);
    free(movies);
    return rc;
}

static rg_error_t content_score(const rg_model_t *m, const rg_graph_t *train, int32_t u,
                                float *out) {
    (void) train;
    content_view_t v;
    size_t off, cnt;
    if (u < 0 || u >= m->n_users) {
        RG_ERROR(RG_ERANGE, "content: user %d out of range [0, %lld)", u,
                 (long long) m->n_users);
    }
    RG_CHECK(content_bind(m, m->params, &v, &off, &cnt));
    return content_rank(m, &v, v.T + (size_t) u * (size_t) v.C, v.bu[u], out);
}

/* A new user: profile from the given ratings by the same message passing, then the bias that
 * minimises the training objective for b_u alone given that profile. */
static rg_error_t content_fold_in(const rg_model_t *m, const rg_graph_t *train, int64_t n,
                                  const int32_t *movies, const float *ratings, float *out) {
    (void) train;
    rg_error_t rc = RG_SUCCESS;
    content_view_t v;
    size_t off, cnt;
    float *w = NULL, *t = NULL, *pred = NULL;
    RG_CHECK(content_bind(m, m->params, &v, &off, &cnt));
    if (n < 0) {
        RG_ERROR(RG_EINVAL, "content: negative rating count %lld", (long long) n);
    }
    for (int64_t i = 0; i < n; i++) {
        if (movies[i] < 0 || movies[i] >= m->n_movies) {
            RG_ERROR(RG_ERANGE, "content: movie %d (rating %lld) out of range [0, %lld)",
                     movies[i], (long long) i, (long long) m->n_movies);
        }
    }
    w = rg_malloc((size_t) (n > 0 ? n : 1) * sizeof *w);
    pred = rg_malloc((size_t) (n > 0 ? n : 1) * sizeof *pred);
    t = rg_malloc((size_t) v.C * sizeof *t);
    if (w == NULL || pred == NULL || t == NULL) {
        RG_FAIL(RG_ENOMEM, "content: cannot allocate the fold-in of %lld ratings", (long long) n);
    }
    rg_i_taste_fold_in(m->n_movies, v.Z, v.C, n, movies, ratings, w, t);
    RG_TRY(content_predict_rows(&v, m->global_mean, n, NULL, t, 0.0f, movies, pred));
    double resid = 0.0;
    for (int64_t i = 0; i < n; i++) {
        resid += (double) ratings[i] - (double) pred[i];
    }
    /* argmin_b sum_i (pred_i + b - r_i)^2 + n reg b^2 */
    float bu = n > 0 ? (float) (resid / ((double) n * (1.0 + (double) m->hp.reg))) : 0.0f;
    RG_TRY(content_rank(m, &v, t, bu, out));
cleanup:
    free(w);
    free(pred);
    free(t);
    return rc;
}

const rg_model_ops_t rg_model_content = {
    .name = "content",
    .summary = "genre autoencoder codes + message-passing taste profile -> MLP, plus biases",
    .predicts_ratings = 1,
    .init = content_init,
    .epoch = content_epoch,
    .attach = content_attach,
    .predict = content_predict,
    .score = content_score,
    .fold_in = content_fold_in,
    .release = content_release,
    .val_loss = NULL,
};
