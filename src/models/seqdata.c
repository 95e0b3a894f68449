/* seqdata.c: per-user training sequences in time order (see seqdata.h for the ordering rules),
 * and the recurrent model core shared by rnn.c and lstm.c. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "models/seqdata.h"
#include "reelgraph/nn.h"

/* ---- sequences ---- */

typedef struct {
    int64_t ts;
    uint64_t tie;
    int32_t movie;
    float rating;
} seq_entry_t;

static int seq_entry_cmp(const void *a, const void *b) {
    const seq_entry_t *x = a, *y = b;
    if (x->ts != y->ts) {
        return x->ts < y->ts ? -1 : 1;
    }
    if (x->tie != y->tie) {
        return x->tie < y->tie ? -1 : 1;
    }
    return (x->movie > y->movie) - (x->movie < y->movie);
}

int rg_i_seq_ts_usable(const int64_t *ts, int64_t n) {
    int all_equal = 1;
    for (int64_t i = 0; i < n; i++) {
        if (ts[i] <= 0) {
            return 0;
        }
        if (ts[i] != ts[0]) {
            all_equal = 0;
        }
    }
    return n == 1 || !all_equal;
}

void rg_i_seq_free(rg_i_seq_t *s) {
    free(s->mem);
    memset(s, 0, sizeof *s);
}

rg_error_t rg_i_seq_build(rg_i_seq_t *s, const rg_graph_t *g) {
    rg_error_t rc = RG_SUCCESS;
    seq_entry_t *buf = NULL;
    size_t U = (size_t) g->n_users, E = (size_t) g->n_ratings;
    memset(s, 0, sizeof *s);
    if (g->n_users < 0 || g->n_ratings < 0) {
        RG_ERROR(RG_EINVAL, "graph: negative size (users %lld, ratings %lld)",
                 (long long) g->n_users, (long long) g->n_ratings);
    }
    size_t M = (size_t) (g->n_movies > 0 ? g->n_movies : 0);
    /* one block: ptr (U+1) | ts (E) | movie (E) | rating (E) | movie_n (M) | timed (U) */
    size_t bytes = (U + 1) * sizeof(int64_t) + E * sizeof(int64_t) + E * sizeof(int32_t) +
                   E * sizeof(float) + M * sizeof(int32_t) + U;
    char *p = rg_malloc(bytes ? bytes : 1);
    if (!p) {
        RG_FAIL(RG_ENOMEM, "sequences: cannot allocate %zu bytes for %zu users, %zu ratings",
                bytes, U, E);
    }
    s->mem = p;
    s->ptr = (int64_t *) p;
    s->ts = s->ptr + U + 1;
    s->movie = (int32_t *) (s->ts + E);
    s->rating = (float *) (s->movie + E);
    s->movie_n = (int32_t *) (s->rating + E);
    s->timed = (uint8_t *) (s->movie_n + M);
    s->n_users = g->n_users;
    s->n_movies = g->n_movies;
    for (int32_t j = 0; j < g->n_movies; j++) {
        s->movie_n[j] = (int32_t) rg_graph_movie_degree(g, j);
    }
    s->n = g->n_ratings;

    int64_t max_deg = 0;
    for (int32_t u = 0; u < g->n_users; u++) {
        int64_t d = rg_graph_user_degree(g, u);
        max_deg = d > max_deg ? d : max_deg;
    }
    buf = rg_malloc((size_t) (max_deg ? max_deg : 1) * sizeof *buf);
    if (!buf) {
        RG_FAIL(RG_ENOMEM, "sequences: cannot allocate a sort buffer of %lld entries",
                (long long) max_deg);
    }
    for (int32_t u = 0; u < g->n_users; u++) {
        int64_t lo = g->user_ptr[u], d = rg_graph_user_degree(g, u);
        s->ptr[u] = lo;
        s->timed[u] = (uint8_t) (d > 0 && rg_i_seq_ts_usable(g->ts + lo, d));
        if (d > 0 && !s->timed[u]) {
            s->n_untimed++;
        }
        for (int64_t i = 0; i < d; i++) {
            seq_entry_t *x = &buf[i];
            x->movie = g->user_adj[lo + i];
            x->rating = g->rating[lo + i];
            x->ts = g->ts[lo + i];
            x->tie = rg_rng_mix((uint64_t) u, (uint64_t) x->movie);
        }
        /* untimed users stay in CSR (movie-id) order */
        if (s->timed[u]) {
            qsort(buf, (size_t) d, sizeof *buf, seq_entry_cmp);
        }
        for (int64_t i = 0; i < d; i++) {
            s->movie[lo + i] = buf[i].movie;
            s->rating[lo + i] = buf[i].rating;
            s->ts[lo + i] = buf[i].ts;
        }
    }
    s->ptr[U] = (int64_t) E;
    s->max_len = (int32_t) max_deg;

cleanup:
    free(buf);
    if (rc != RG_SUCCESS) {
        rg_i_seq_free(s);
    }
    return rc;
}

/* ======================================================================================== */
/* ---- the recurrent core ---- */

/* Gradient-norm ceiling of the recurrent weights per window: the usual guard against exploding
 * gradients through time; embeddings and heads are not clipped (their rows are independent). */
#define SEQ_CLIP_NORM 5.0f
/* L2 penalties of the biases, ONCE per parameter and epoch (spread over a bias's occurrences as
 * lambda / count each): the optimum of the bias-only problem is then the damped mean
 * sum(residual) / (n + lambda), with the classic pseudo-counts 25 (movies) and 10 (users), which
 * is also where the biases start.  A per-occurrence penalty would shrink a movie rated once no
 * more than one rated a thousand times, and the biases of rare movies overfit. */
#define SEQ_BIAS_REG_MOVIE 25.0
#define SEQ_BIAS_REG_USER 10.0
/* Adam rate of the recurrent weights, input embeddings and next-movie layer.  The rating layer
 * (Q, biases, user vectors), touched sparsely and rarely, takes plain SGD steps at hp.lr
 * instead: lazy Adam normalises a rare row's gradient to a step of about 3 lr whatever its size,
 * so rare movies' and users' rows random-walk onto their few ratings (measured: validation RMSE
 * rising from the first epoch). */
#define SEQ_ADAM_LR 0.002f
#define SEQ_LR_FLOOR 0.1f
/* Scale of the uniform initialisation of embeddings and head vectors. */
#define SEQ_INIT_SCALE 0.1f
/* Share of each user's ratings held out of his input sequence every epoch (redrawn each epoch)
 * and predicted from the state after the rest: the training analogue of predicting a test movie
 * from the whole training history.  (Predicting only the NEXT rating teaches the state the
 * user's current session, which says little about a movie rated at another time; the next
 * movie is still the target of the ranking head.) */
#define SEQ_HOLDOUT 0.2
/* Users whose sequences are run together by attach (forward only). */
#define SEQ_ATTACH_BATCH 64

enum { T_E, T_WX, T_WH, T_B, T_Q, T_BM, T_BU, T_PU, T_P, T_C, T_UE, SEQ_NT };
static const char *const seq_names[SEQ_NT] = {"movie_emb", "cell_wx",   "cell_wh",    "cell_b",
                                              "rate_q",    "movie_bias", "user_bias", "user_vec",
                                              "rank_p",    "rank_c",     "user_emb"};

/* Shapes and parameter views of one model: v[T_*] points into params, or into a gradient block
 * laid out like it. */
typedef struct {
    const rg_i_seqcell_t *cell;
    int D, H, Din, G, S, C;
    int64_t M, U;
    float mu;
    size_t n_train;          /* trainable prefix of the block (everything before user_emb) */
    size_t off[SEQ_NT];
    float *v[SEQ_NT];
} seq_net_t;

static rg_error_t seq_net(seq_net_t *n, const rg_model_t *m, const rg_i_seqcell_t *cell) {
    memset(n, 0, sizeof *n);
    n->cell = cell;
    n->M = m->n_movies;
    n->U = m->n_users;
    n->mu = (float) m->global_mean;
    const rg_tensor_t *te = rg_model_tensor(m, "movie_emb");
    const rg_tensor_t *th = rg_model_tensor(m, "user_emb");
    if (te == NULL || th == NULL) {
        RG_ERROR(RG_EFORMAT, "%s model: tensor movie_emb or user_emb missing", cell->name);
    }
    if (te->cols < 1 || te->cols > INT32_MAX / 8 || th->cols < 1 || th->cols > INT32_MAX / 8) {
        RG_ERROR(RG_EFORMAT, "%s model: tensor movie_emb (%lld columns) or user_emb (%lld "
                 "columns) has a width outside [1, %d]", cell->name, (long long) te->cols,
                 (long long) th->cols, INT32_MAX / 8);
    }
    n->D = (int) te->cols;
    n->H = (int) th->cols;
    n->Din = n->D + 1;
    n->G = cell->G;
    n->S = cell->S;
    n->C = cell->C;
    const int64_t rows[SEQ_NT] = {n->M, (int64_t) n->G * n->H, (int64_t) n->G * n->H,
                                  (int64_t) n->G * n->H, n->M, n->M, n->U, n->U, n->M, n->M, n->U};
    const int64_t cols[SEQ_NT] = {n->D, n->Din, n->H, 1, n->H, 1, 1, n->H, n->H, 1, n->H};
    for (int i = 0; i < SEQ_NT; i++) {
        const rg_tensor_t *t = rg_model_tensor(m, seq_names[i]);
        if (t == NULL || t->dtype != RG_DTYPE_F32 || t->rows != rows[i] || t->cols != cols[i]) {
            RG_ERROR(RG_EFORMAT, "%s model: tensor %s missing or not (%lld, %lld)", cell->name,
                     seq_names[i], (long long) rows[i], (long long) cols[i]);
        }
        n->off[i] = t->offset;
        n->v[i] = m->params + t->offset;
    }
    n->n_train = n->off[T_UE];
    if (n->off[T_UE] + (size_t) (n->U * n->H) != m->n_params) {
        RG_ERROR(RG_EFORMAT, "%s model: user_emb must be the last tensor", cell->name);
    }
    return RG_SUCCESS;
}

/* The same views into another block laid out like params (gradients). */
static void seq_views(const seq_net_t *n, float *base, float *v[SEQ_NT]) {
    for (int i = 0; i < SEQ_NT; i++) {
        v[i] = base + n->off[i];
    }
}

/* ---- training workspace: every buffer of one window, allocated once ---- */

typedef struct {
    int B, W, K;
    int64_t Q;                /* capacity of rating rows of a window: B * longest sequence */
    size_t P;                 /* state plane: B * H floats */
    float *x;                 /* (W, B, Din) inputs */
    float *state;             /* (W+1, S*P): state[j] is the state before step j */
    float *cache;             /* (W, B, C*H) */
    float *ds, *ds_prev;      /* (S*P) each */
    float *dx;                /* (B, Din) */
    float *dpre;              /* (B, G*H) */
    float *hmat, *dhmat;      /* (W*B, H): the state before each step (next-movie head input) */
    float *logits, *dlogits;  /* (W*B, K+1) */
    float *lneg, *dlneg;      /* (W*B, K) */
    float *pn, *dpn;          /* (K, H) */
    float *cn, *dcn;          /* (K) */
    float *qmat, *dqmat;      /* (Q, H): the final state of the user of each rating target */
    float *q_rating;          /* (Q) */
    float *row_rating;        /* (W*B) rating of each step row */
    float *hd, *dtmp;         /* (max(W*B, Q), H) dropped-out rating-head input, its gradient */
    uint8_t *mask;            /* (max(W*B, Q), H) dropout mask */
    int32_t *neg;             /* (K) */
    int32_t *row_user, *row_movie; /* (W*B) user and input movie of each step row */
    int32_t *q_user, *q_movie, *q_step, *q_row; /* (Q) rating targets: user, movie, step, row */
    int32_t *step_rows;       /* (W) active rows of each step */
    int32_t *ids_m;           /* (W*B) distinct input movies of the window */
    int32_t *ids_r;           /* (W*B + K) distinct rows of the ranking head */
    int64_t n_rows;           /* input rows of the last window */
    float *fmem;
    int32_t *imem;
} seq_ws_t;

static void seq_ws_free(seq_ws_t *w) {
    free(w->mask);
    free(w->fmem);
    free(w->imem);
    memset(w, 0, sizeof *w);
}

/* max_len: the longest sequence the workspace will see (bounds the rating targets). */
static rg_error_t seq_ws_init(seq_ws_t *w, const seq_net_t *n, int B, int W, int K,
                              int64_t max_len) {
    memset(w, 0, sizeof *w);
    size_t b = (size_t) B, t = (size_t) W, k = (size_t) K, H = (size_t) n->H;
    size_t Din = (size_t) n->Din, S = (size_t) n->S, C = (size_t) n->C, G = (size_t) n->G;
    size_t P = b * H, WB = t * b, Q = b * (size_t) (max_len > 0 ? max_len : 1);
    size_t R = (WB > Q ? WB : Q) * H;
    size_t nf = t * b * Din + (t + 1) * S * P + t * b * C * H + 2 * S * P + b * Din + b * G * H +
                2 * WB * H + 2 * WB * (k + 1) + 2 * WB * k + 2 * k * H + 2 * k + 2 * Q * H + Q +
                WB + 2 * R;
    size_t ni = k + 2 * WB + 4 * Q + t + WB + (WB + k);
    w->fmem = rg_calloc(nf, sizeof(float));
    w->imem = rg_calloc(ni, sizeof(int32_t));
    w->mask = rg_calloc(R, 1);
    if (w->fmem == NULL || w->imem == NULL || w->mask == NULL) {
        seq_ws_free(w);
        RG_ERROR(RG_ENOMEM, "%s model: cannot allocate a workspace of %zu floats (batch %d, "
                 "window %d, negatives %d)", n->cell->name, nf, B, W, K);
    }
    w->B = B;
    w->W = W;
    w->K = K;
    w->Q = (int64_t) Q;
    w->P = P;
    float *f = w->fmem;
    w->x = f;           f += t * b * Din;
    w->state = f;       f += (t + 1) * S * P;
    w->cache = f;       f += t * b * C * H;
    w->ds = f;          f += S * P;
    w->ds_prev = f;     f += S * P;
    w->dx = f;          f += b * Din;
    w->dpre = f;        f += b * G * H;
    w->hmat = f;        f += WB * H;
    w->dhmat = f;       f += WB * H;
    w->logits = f;      f += WB * (k + 1);
    w->dlogits = f;     f += WB * (k + 1);
    w->lneg = f;        f += WB * k;
    w->dlneg = f;       f += WB * k;
    w->pn = f;          f += k * H;
    w->dpn = f;         f += k * H;
    w->cn = f;          f += k;
    w->dcn = f;         f += k;
    w->qmat = f;        f += Q * H;
    w->dqmat = f;       f += Q * H;
    w->q_rating = f;    f += Q;
    w->row_rating = f;  f += WB;
    w->hd = f;          f += R;
    w->dtmp = f;
    int32_t *i = w->imem;
    w->neg = i;         i += k;
    w->row_user = i;    i += WB;
    w->row_movie = i;   i += WB;
    w->q_user = i;      i += Q;
    w->q_movie = i;     i += Q;
    w->q_step = i;      i += Q;
    w->q_row = i;       i += Q;
    w->step_rows = i;   i += t;
    w->ids_m = i;       i += WB;
    w->ids_r = i;
    return RG_SUCCESS;
}

/* A batch: nb rows of users sorted by input length, longest first.  Row b reads the entries
 * perm[start[b] + i]: its len[b] inputs in sequence order, then its n_tg[b] rating targets
 * (held out of the input this epoch). */
typedef struct {
    int nb;
    const int32_t *users;  /* (nb) */
    const int64_t *start;  /* (nb) */
    const int32_t *len;    /* (nb), non-increasing */
    const int32_t *n_tg;   /* (nb) */
    const int64_t *perm;   /* (entries) */
} seq_batch_t;

/* Loss parts of a window, summed (not normalised). */
typedef struct {
    double se, ce, reg;
    int64_t n, n_tg, n_rated;
} seq_loss_t;

/* Number of batch rows with a step t (lengths are non-increasing). */
static int seq_active(const seq_batch_t *bt, int t) {
    int lo = 0, hi = bt->nb;
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        if (bt->len[mid] > t) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return lo;
}

/* The rating head on NR rows: r^ = mu + b_u + b_m + (h + p_u) . Q_m for the state h (hm row),
 * user and movie of each row; adds the squared errors and penalties to *loss and the gradient on
 * h to dhm.  Gradient mode (sgd_lr == 0) accumulates the gradients of Q, b, p into g.  Training
 * mode (sgd_lr > 0) updates those rows at once, one rating after the other (SGD matrix
 * factorisation): a user's held-out targets all meet in the window where his input ends, and a
 * summed step over a hundred targets of one heavy user overshoots; dhm then uses the values
 * before the rating's own update. */
static void seq_rate(const seq_net_t *n, float *const g[SEQ_NT], const rg_i_seq_t *seq,
                     int64_t NR, const float *hm, float *dhm, const int32_t *users,
                     const int32_t *movies, const float *ratings, float reg, float sgd_lr,
                     double norm, seq_loss_t *loss) {
    const int H = n->H;
    float *const *v = n->v;
    const float rg2 = (float) (2.0 * reg / norm);
    for (int64_t i = 0; i < NR; i++) {
        int32_t u = users[i], mv = movies[i];
        const float *h = hm + (size_t) i * H;
        float *pu = v[T_PU] + (size_t) u * H, *q = v[T_Q] + (size_t) mv * H;
        double dot = 0.0, qq = 0.0, pp = 0.0;
        for (int k = 0; k < H; k++) {
            dot += ((double) h[k] + pu[k]) * q[k];
            qq += (double) q[k] * q[k];
            pp += (double) pu[k] * pu[k];
        }
        float bu = v[T_BU][u], bm = v[T_BM][mv];
        double err = n->mu + bu + bm + dot - ratings[i];
        /* the bias penalties, spread over all the biases' ratings (each is a rating row once per
         * epoch), so they keep their weight against the squared errors */
        double lu = SEQ_BIAS_REG_USER / (double) (seq->ptr[u + 1] - seq->ptr[u]);
        double lm = SEQ_BIAS_REG_MOVIE / (double) seq->movie_n[mv];
        loss->se += err * err;
        loss->n_rated++;
        loss->reg += lu * bu * bu + lm * bm * bm + reg * (qq + pp);
        /* forward was: r^ = mu + b_u + b_m + (h + p_u) . q,  loss (r^ - r)^2 / norm */
        float gr = (float) (2.0 * err / norm);
        float *dh = dhm + (size_t) i * H;
        for (int k = 0; k < H; k++) {
            dh[k] += gr * q[k];
        }
        float dbu = gr + (float) (2.0 * lu / norm) * bu, dbm = gr + (float) (2.0 * lm / norm) * bm;
        if (sgd_lr > 0.0f) {
            const float a = sgd_lr * (float) norm;
            for (int k = 0; k < H; k++) {
                float dq = gr * (h[k] + pu[k]) + rg2 * q[k], dp = gr * q[k] + rg2 * pu[k];
                q[k] -= a * dq;
                pu[k] -= a * dp;
            }
            v[T_BU][u] -= a * dbu;
            v[T_BM][mv] -= a * dbm;
        } else {
            float *dq = g[T_Q] + (size_t) mv * H, *dpu = g[T_PU] + (size_t) u * H;
            for (int k = 0; k < H; k++) {
                dq[k] += gr * (h[k] + pu[k]) + rg2 * q[k];
                dpu[k] += gr * q[k] + rg2 * pu[k];
            }
            g[T_BU][u] += dbu;
            g[T_BM][mv] += dbm;
        }
    }
}

/* seq_rate with inverted dropout (rate p, from r) on the state h of every row: the rating layer
 * then cannot lean on single coordinates of the state, which otherwise come to identify the
 * user and let the layer memorise his ratings.  p == 0 is seq_rate itself. */
static void seq_rate_dropout(const seq_net_t *n, float *const g[SEQ_NT], seq_ws_t *w,
                             const rg_i_seq_t *seq, int64_t NR, const float *hm, float *dhm,
                             const int32_t *users, const int32_t *movies, const float *ratings,
                             float reg, float sgd_lr, float p, rg_rng_t *r, double norm,
                             seq_loss_t *loss) {
    if (p <= 0.0f) {
        seq_rate(n, g, seq, NR, hm, dhm, users, movies, ratings, reg, sgd_lr, norm, loss);
        return;
    }
    size_t len = (size_t) NR * (size_t) n->H;
    rg_dropout_forward(w->hd, w->mask, hm, len, p, r);
    memset(w->dtmp, 0, len * sizeof(float));
    seq_rate(n, g, seq, NR, w->hd, w->dtmp, users, movies, ratings, reg, sgd_lr, norm, loss);
    /* forward was: hd = hm * mask / (1 - p) */
    rg_dropout_backward(dhm, w->dtmp, w->mask, len, p);
}

/* Forward and backward of the window t0 .. t0+Tw-1 of a batch: reads the carried state in
 * state[0], leaves the state after the window in state[Tw], accumulates the gradients of
 * (the window's objective) / norm into g and adds its loss parts to *loss.  The K negatives must
 * be in w->neg. */
static void seq_window(const seq_net_t *n, float *const g[SEQ_NT], seq_ws_t *w,
                       const rg_i_seq_t *seq, const seq_batch_t *bt, int t0, int Tw, float reg,
                       float sgd_lr, float dropout, float rank_weight, rg_rng_t *r, double norm,
                       seq_loss_t *loss) {
    const rg_i_seqcell_t *cell = n->cell;
    const int D = n->D, H = n->H, Din = n->Din, K = w->K;
    const size_t SP = (size_t) n->S * w->P, BCH = (size_t) w->B * (size_t) n->C * (size_t) H;
    const size_t XB = (size_t) w->B * (size_t) Din;
    float *const *v = n->v;

    /* ---- forward through the cell, gathering the inputs of both heads ---- */
    int64_t N = 0, NQ = 0;
    for (int j = 0; j < Tw; j++) {
        int nj = seq_active(bt, t0 + j);
        w->step_rows[j] = nj;
        float *x = w->x + (size_t) j * XB;
        const float *s_prev = w->state + (size_t) j * SP;
        float *s_next = w->state + (size_t) (j + 1) * SP;
        for (int b = 0; b < nj; b++) {
            int64_t e = bt->perm[bt->start[b] + t0 + j];
            int32_t mv = seq->movie[e];
            float *x_b = x + (size_t) b * Din;
            memcpy(x_b, v[T_E] + (size_t) mv * D, (size_t) D * sizeof *x_b);
            x_b[D] = seq->rating[e] - n->mu;
            /* the next-movie head at step j reads the state BEFORE this movie */
            memcpy(w->hmat + (size_t) N * H, s_prev + (size_t) b * H, (size_t) H * sizeof(float));
            w->row_user[N] = bt->users[b];
            w->row_movie[N] = mv;
            w->row_rating[N] = seq->rating[e];
            N++;
        }
        cell->forward(s_next, w->cache + (size_t) j * BCH, x, s_prev, v[T_WX], v[T_WH], v[T_B],
                      nj, Din, H, w->P);
        /* rows whose input ends here: their final state rates their held-out movies */
        for (int b = 0; b < nj; b++) {
            if (bt->len[b] != t0 + j + 1 || bt->n_tg[b] == 0) {
                continue;
            }
            for (int32_t i = 0; i < bt->n_tg[b]; i++) {
                int64_t e = bt->perm[bt->start[b] + bt->len[b] + i];
                memcpy(w->qmat + (size_t) NQ * H, s_next + (size_t) b * H,
                       (size_t) H * sizeof(float));
                w->q_user[NQ] = bt->users[b];
                w->q_movie[NQ] = seq->movie[e];
                w->q_rating[NQ] = seq->rating[e];
                w->q_step[NQ] = j;
                w->q_row[NQ] = b;
                NQ++;
            }
        }
    }
    loss->n += N;
    loss->n_tg += NQ;
    w->n_rows = N;

    /* ---- rating head, on the state before each input (its own rating: the next rating) and
     * on the final state (the held-out ratings) ---- */
    memset(w->dhmat, 0, (size_t) N * H * sizeof(float));
    memset(w->dqmat, 0, (size_t) NQ * H * sizeof(float));
    seq_rate_dropout(n, g, w, seq, N, w->hmat, w->dhmat, w->row_user, w->row_movie,
                     w->row_rating, reg, sgd_lr, dropout, r, norm, loss);
    seq_rate_dropout(n, g, w, seq, NQ, w->qmat, w->dqmat, w->q_user, w->q_movie, w->q_rating,
                     reg, sgd_lr, dropout, r, norm, loss);

    /* ---- next-movie head: logits over [next movie | K shared negatives] ---- */
    const float rg2 = (float) (2.0 * reg / norm);
    rg_embedding_forward(w->pn, v[T_P], w->neg, K, H);
    for (int k = 0; k < K; k++) {
        w->cn[k] = v[T_C][w->neg[k]];
    }
    rg_linear_forward(w->lneg, w->hmat, w->pn, w->cn, (int) N, H, K);
    const size_t K1 = (size_t) K + 1;
    for (int64_t i = 0; i < N; i++) {
        int32_t mv = w->row_movie[i];
        const float *h = w->hmat + (size_t) i * H, *p = v[T_P] + (size_t) mv * H;
        double dot = 0.0, pp = 0.0;
        for (int k = 0; k < H; k++) {
            dot += (double) h[k] * p[k];
            pp += (double) p[k] * p[k];
        }
        loss->reg += reg * pp;
        float *lg = w->logits + (size_t) i * K1;
        lg[0] = (float) dot + v[T_C][mv];
        for (int k = 0; k < K; k++) {
            /* an accidental hit is not a negative: masked out of the softmax */
            lg[k + 1] = w->neg[k] == mv ? -INFINITY : w->lneg[(size_t) i * K + k];
        }
    }
    memset(w->dlogits, 0, (size_t) N * K1 * sizeof(float));
    loss->ce += rg_loss_sampled_softmax(w->dlogits, w->logits, NULL, (int) N, (int) K1, 1.0);
    const float wr = (float) (rank_weight / norm);
    for (int64_t i = 0; i < N; i++) {
        int32_t mv = w->row_movie[i];
        const float *h = w->hmat + (size_t) i * H, *p = v[T_P] + (size_t) mv * H;
        float *dh = w->dhmat + (size_t) i * H, *dp = g[T_P] + (size_t) mv * H;
        const float *dl = w->dlogits + (size_t) i * K1;
        /* forward was: logit_0 = h . P_m + c_m */
        float d0 = wr * dl[0];
        for (int k = 0; k < H; k++) {
            dh[k] += d0 * p[k];
            dp[k] += d0 * h[k] + rg2 * p[k];
        }
        g[T_C][mv] += d0;
        for (int k = 0; k < K; k++) {
            w->dlneg[(size_t) i * K + k] = wr * dl[k + 1];
        }
    }
    memset(w->dpn, 0, (size_t) K * H * sizeof(float));
    memset(w->dcn, 0, (size_t) K * sizeof(float));
    /* forward was: lneg = hmat @ pn^T + cn */
    rg_linear_backward(w->dhmat, w->dpn, w->dcn, w->dlneg, w->hmat, w->pn, (int) N, H, K);
    rg_embedding_backward(g[T_P], w->dpn, w->neg, K, H);
    for (int k = 0; k < K; k++) {
        g[T_C][w->neg[k]] += w->dcn[k];
    }

    /* ---- backward through time: the rating heads that read state[j+1], step j's cell, then
     * the next-movie heads that read state[j] ---- */
    memset(w->ds, 0, SP * sizeof(float));
    int64_t row_end = N, q_end = NQ;
    for (int j = Tw - 1; j >= 0; j--) {
        int nj = w->step_rows[j];
        float *x = w->x + (size_t) j * XB;
        for (; q_end > 0 && w->q_step[q_end - 1] == j; q_end--) {
            const float *dh = w->dqmat + (size_t) (q_end - 1) * H;
            float *d = w->ds + (size_t) w->q_row[q_end - 1] * H;
            for (int k = 0; k < H; k++) {
                d[k] += dh[k];
            }
        }
        memset(w->ds_prev, 0, SP * sizeof(float));
        memset(w->dx, 0, (size_t) nj * Din * sizeof(float));
        /* forward was: state[j+1] = cell(x_j, state[j]) */
        cell->backward(w->dx, w->ds_prev, g[T_WX], g[T_WH], g[T_B], w->ds, x,
                       w->state + (size_t) j * SP, w->state + (size_t) (j + 1) * SP,
                       w->cache + (size_t) j * BCH, v[T_WX], v[T_WH], w->dpre, nj, Din, H, w->P);
        /* forward was: x_b = [E[m] | r - mu]; the rating column is data */
        for (int b = 0; b < nj; b++) {
            int32_t mv = w->row_movie[row_end - nj + b];
            const float *e = v[T_E] + (size_t) mv * D;
            float *de = g[T_E] + (size_t) mv * D;
            const float *dx_b = w->dx + (size_t) b * Din;
            double ee = 0.0;
            for (int k = 0; k < D; k++) {
                de[k] += dx_b[k] + rg2 * e[k];
                ee += (double) e[k] * e[k];
            }
            loss->reg += reg * ee;
        }
        /* the next-movie heads of step j read h of state[j]: rows row_end - nj .. row_end - 1 */
        for (int b = 0; b < nj; b++) {
            const float *dh = w->dhmat + (size_t) (row_end - nj + b) * H;
            float *d = w->ds_prev + (size_t) b * H;
            for (int k = 0; k < H; k++) {
                d[k] += dh[k];
            }
        }
        row_end -= nj;
        float *tmp = w->ds;
        w->ds = w->ds_prev;
        w->ds_prev = tmp;
    }
}

/* ---- forward only: the final hidden state of whole sequences (attach, fold-in) ---- */

/* Scratch of seq_run for up to B rows. */
typedef struct {
    int B;
    float *x, *s0, *s1, *cache;
    float *mem;
} seq_run_ws_t;

static rg_error_t seq_run_ws_init(seq_run_ws_t *r, const seq_net_t *n, int B) {
    memset(r, 0, sizeof *r);
    size_t P = (size_t) B * (size_t) n->H;
    size_t nf = (size_t) B * (size_t) n->Din + 2 * (size_t) n->S * P + (size_t) n->C * P;
    r->mem = rg_calloc(nf, sizeof(float));
    if (r->mem == NULL) {
        RG_ERROR(RG_ENOMEM, "%s model: cannot allocate %zu floats of forward scratch",
                 n->cell->name, nf);
    }
    r->B = B;
    r->x = r->mem;
    r->s0 = r->x + (size_t) B * (size_t) n->Din;
    r->s1 = r->s0 + (size_t) n->S * P;
    r->cache = r->s1 + (size_t) n->S * P;
    return RG_SUCCESS;
}

/* Runs nb <= r->B sequences from the zero state: row b's step t is (movie[start[b] + t],
 * rating[start[b] + t]), lengths len[] non-increasing and > 0.  Writes row b's final h to
 * hout[b] (H floats).  O(sum len * cell cost). */
static void seq_run(const seq_net_t *n, seq_run_ws_t *r, int nb, const int64_t *start,
                    const int32_t *len, const int32_t *movie, const float *rating,
                    float *const *hout) {
    const int D = n->D, H = n->H, Din = n->Din;
    const size_t P = (size_t) r->B * (size_t) H;
    float *s0 = r->s0, *s1 = r->s1;
    memset(s0, 0, (size_t) n->S * P * sizeof(float));
    int nt = nb;
    for (int t = 0; nt > 0; t++) {
        while (nt > 0 && len[nt - 1] <= t) {
            nt--;
        }
        if (nt == 0) {
            break;
        }
        for (int b = 0; b < nt; b++) {
            int64_t e = start[b] + t;
            float *x_b = r->x + (size_t) b * Din;
            memcpy(x_b, n->v[T_E] + (size_t) movie[e] * D, (size_t) D * sizeof *x_b);
            x_b[D] = rating[e] - n->mu;
        }
        n->cell->forward(s1, r->cache, r->x, s0, n->v[T_WX], n->v[T_WH], n->v[T_B], nt, Din, H, P);
        for (int b = 0; b < nt; b++) {
            if (len[b] == t + 1) {
                memcpy(hout[b], s1 + (size_t) b * H, (size_t) H * sizeof(float));
            }
        }
        float *tmp = s0;
        s0 = s1;
        s1 = tmp;
    }
}

/* ---- training state ---- */

typedef struct {
    int32_t len;
    uint64_t tie;
    int32_t u;
} seq_user_key_t;

/* Longest first; ties by the random key (training) or the user id (deterministic uses). */
static int seq_user_key_cmp(const void *a, const void *b) {
    const seq_user_key_t *x = a, *y = b;
    if (x->len != y->len) {
        return x->len > y->len ? -1 : 1;
    }
    if (x->tie != y->tie) {
        return x->tie < y->tie ? -1 : 1;
    }
    return (x->u > y->u) - (x->u < y->u);
}

/* This epoch's split of every sequence into inputs and held-out rating targets. */
typedef struct {
    int64_t *perm;    /* (n) user u's entries from ptr[u]: inputs in sequence order, then targets */
    int32_t *in_len;  /* (U) */
    int32_t *n_tg;    /* (U) */
    void *mem;
} seq_plan_t;

static void seq_plan_free(seq_plan_t *p) {
    free(p->mem);
    memset(p, 0, sizeof *p);
}

static rg_error_t seq_plan_init(seq_plan_t *p, const rg_i_seq_t *seq, const char *name) {
    memset(p, 0, sizeof *p);
    size_t n = (size_t) seq->n, U = (size_t) seq->n_users;
    size_t bytes = n * sizeof(int64_t) + 2 * U * sizeof(int32_t);
    p->mem = rg_malloc(bytes ? bytes : 1);
    if (p->mem == NULL) {
        RG_ERROR(RG_ENOMEM, "%s model: cannot allocate the epoch plan (%zu bytes)", name, bytes);
    }
    p->perm = p->mem;
    p->in_len = (int32_t *) (p->perm + n);
    p->n_tg = p->in_len + U;
    return RG_SUCCESS;
}

/* Draws the held-out targets (each rating with probability SEQ_HOLDOUT, every user keeping at
 * least one input) and, when shuffle is set, a fresh random order of the inputs of users
 * without time order (a bag has no order to learn).  O(n). */
static void seq_plan_draw(seq_plan_t *p, const rg_i_seq_t *seq, rg_rng_t *r, int shuffle) {
    for (int64_t u = 0; u < seq->n_users; u++) {
        int64_t lo = seq->ptr[u], d = seq->ptr[u + 1] - lo;
        int64_t *pe = p->perm + lo;
        int64_t ni = 0, nt = 0;
        for (int64_t i = 0; i < d; i++) {
            int held = d > 1 && rg_rng_uniform(r) < SEQ_HOLDOUT;
            if (held) {
                /* targets fill the user's range from the end */
                pe[d - 1 - nt++] = lo + i;
            } else {
                pe[ni++] = lo + i;
            }
        }
        if (ni == 0 && d > 0) {
            /* everything was drawn: the earliest becomes the input */
            pe[0] = pe[d - 1];
            ni = 1;
            nt--;
            for (int64_t a = 1, b = d - 1; a < b; a++, b--) {
                int64_t t = pe[a];
                pe[a] = pe[b];
                pe[b] = t;
            }
        }
        if (shuffle && !seq->timed[u]) {
            rg_rng_shuffle_i64(r, pe, ni);
        }
        p->in_len[u] = (int32_t) ni;
        p->n_tg[u] = (int32_t) nt;
    }
}

typedef struct {
    seq_net_t net;
    rg_i_seq_t seq;            /* sequences of the graph the epochs are given */
    const rg_graph_t *seq_graph;
    uint64_t seq_fp;
    int64_t seq_n;
    seq_plan_t plan;
    seq_ws_t ws;
    rg_adam_t adam;
    float *grads;              /* (n_train) */
    seq_user_key_t *keys;      /* (U) */
    int32_t *users;            /* (U) users with ratings, batch after batch */
    int32_t *batch_order;      /* (ceil(U / B)) */
    int64_t *start;            /* (B) */
    int32_t *len, *n_tg;       /* (B) */
} seq_impl_t;

static void seq_impl_free(seq_impl_t *s) {
    if (s == NULL) {
        return;
    }
    rg_i_seq_free(&s->seq);
    seq_plan_free(&s->plan);
    seq_ws_free(&s->ws);
    rg_adam_free(&s->adam);
    free(s->grads);
    free(s->keys);
    free(s->users);
    free(s->batch_order);
    free(s->start);
    free(s->len);
    free(s->n_tg);
    free(s);
}

void rg_i_seqmodel_release(rg_model_t *m) {
    seq_impl_free(m->impl);
    m->impl = NULL;
}

/* (Re)builds the sequences when the epoch's graph is not the one they came from. */
static rg_error_t seq_impl_bind(seq_impl_t *s, const rg_graph_t *g) {
    if (s->seq.mem != NULL && s->seq_graph == g && s->seq_fp == g->fingerprint &&
        s->seq_n == g->n_ratings) {
        return RG_SUCCESS;
    }
    rg_i_seq_free(&s->seq);
    seq_plan_free(&s->plan);
    RG_CHECK(rg_i_seq_build(&s->seq, g));
    if ((int64_t) s->seq.max_len * s->ws.B > s->ws.Q) {
        RG_ERROR(RG_EINVAL, "%s model: epoch graph has a sequence of %d ratings, longer than the "
                 "training graph's", s->net.cell->name, (int) s->seq.max_len);
    }
    RG_CHECK(seq_plan_init(&s->plan, &s->seq, s->net.cell->name));
    s->seq_graph = g;
    s->seq_fp = g->fingerprint;
    s->seq_n = g->n_ratings;
    return RG_SUCCESS;
}

/* Users with ratings, longest first by len (U) (ties: random when r != NULL, else user id);
 * returns their count. */
static int64_t seq_sort_users(const int32_t *len, int64_t n_users, seq_user_key_t *keys,
                              int32_t *users, rg_rng_t *r) {
    int64_t nu = 0;
    for (int64_t u = 0; u < n_users; u++) {
        if (len[u] > 0) {
            keys[nu].len = len[u];
            keys[nu].tie = r ? rg_rng_u64(r) : 0;
            keys[nu].u = (int32_t) u;
            nu++;
        }
    }
    qsort(keys, (size_t) nu, sizeof *keys, seq_user_key_cmp);
    for (int64_t i = 0; i < nu; i++) {
        users[i] = keys[i].u;
    }
    return nu;
}

/* Describes the batch of users users[0 .. nb-1] (sorted longest input first); start, len and
 * n_tg are its (nb) arrays, filled here from the plan. */
static void seq_fill_batch(seq_batch_t *bt, const rg_i_seq_t *seq, const seq_plan_t *p,
                           const int32_t *users, int nb, int64_t *start, int32_t *len,
                           int32_t *n_tg) {
    for (int b = 0; b < nb; b++) {
        start[b] = seq->ptr[users[b]];
        len[b] = p->in_len[users[b]];
        n_tg[b] = p->n_tg[users[b]];
    }
    bt->nb = nb;
    bt->users = users;
    bt->start = start;
    bt->len = len;
    bt->n_tg = n_tg;
    bt->perm = p->perm;
}

/* Rows of the window t0 .. t0+Tw-1: input steps plus the rating targets of the rows whose input
 * ends in it (the normaliser of the window's objective). */
static int64_t seq_window_rows(const seq_batch_t *bt, int t0, int Tw) {
    int64_t N = 0;
    for (int j = 0; j < Tw; j++) {
        N += seq_active(bt, t0 + j);
    }
    for (int b = 0; b < bt->nb; b++) {
        if (bt->len[b] > t0 && bt->len[b] <= t0 + Tw) {
            N += bt->n_tg[b];
        }
    }
    return N;
}

/* ---- ops ---- */


static void seq_init_biases(const seq_net_t *n, const rg_graph_t *g) {
    float *bm = n->v[T_BM], *bu = n->v[T_BU], *c = n->v[T_C];
    double lsum = 0.0;
    for (int32_t j = 0; j < (int32_t) n->M; j++) {
        double s = 0.0;
        int64_t d = rg_graph_movie_degree(g, j);
        for (int64_t k = g->movie_ptr[j]; k < g->movie_ptr[j + 1]; k++) {
            s += g->rating[g->movie_eid[k]] - n->mu;
        }
        bm[j] = (float) (s / ((double) d + SEQ_BIAS_REG_MOVIE));
        c[j] = (float) log1p((double) d);
        lsum += c[j];
    }
    /* the ranking bias starts as log-popularity, centred */
    for (int32_t j = 0; j < (int32_t) n->M; j++) {
        c[j] -= (float) (lsum / (double) (n->M > 0 ? n->M : 1));
    }
    for (int32_t u = 0; u < (int32_t) n->U; u++) {
        double s = 0.0;
        for (int64_t e = g->user_ptr[u]; e < g->user_ptr[u + 1]; e++) {
            s += g->rating[e] - n->mu - bm[g->user_adj[e]];
        }
        bu[u] = (float) (s / ((double) rg_graph_user_degree(g, u) + SEQ_BIAS_REG_USER));
    }
}

rg_error_t rg_i_seqmodel_init(rg_model_t *m, const rg_graph_t *train, const rg_i_seqcell_t *cell) {
    rg_error_t rc = RG_SUCCESS;
    seq_impl_t *s = NULL;
    rg_hparams_t *hp = &m->hp;
    rg_hp_default_i(&hp->dim, 16);
    rg_hp_default_i(&hp->epochs, 25);
    /* 0.01 with the cosine decay (seq_lr_scale); ML-100K u1.base validation carve: rnn 0.9166,
     * lstm 0.9087 against 0.9326 / 0.9174 at 0.005 (0.0075: 0.9205 / 0.9099; 0.015: rnn 0.9249
     * at the last epoch) */
    rg_hp_default_f(&hp->lr, 0.01f);
    rg_hp_default_f(&hp->reg, 0.05f);
    rg_hp_default_i(&hp->batch, 32);
    rg_hp_default_i(&hp->window, 32);
    rg_hp_default_i(&hp->negatives, 64);
    rg_hp_default_f(&hp->dropout, 0.5f);
    /* alpha: weight of the next-movie cross-entropy against the squared rating error.  The two
     * heads share the state; 0.1 keeps the ranking term (which starts near log(K+1) ~ 4-5) from
     * pulling the state away from the ratings; a next-movie model wants more (see seqeval). */
    rg_hp_default_f(&hp->alpha, 0.1f);
    if (hp->dim < 1 || hp->batch < 1 || hp->window < 1 || hp->negatives < 1 || hp->epochs < 0) {
        RG_ERROR(RG_EINVAL, "%s model: dim %d, batch %d, window %d, negatives %d and epochs %d "
                 "must be positive", cell->name, (int) hp->dim, (int) hp->batch,
                 (int) hp->window, (int) hp->negatives, (int) hp->epochs);
    }
    if (!(hp->lr > 0.0f) || !(hp->reg >= 0.0f) || !(hp->dropout >= 0.0f && hp->dropout < 1.0f) ||
        !(hp->alpha >= 0.0f)) {
        RG_ERROR(RG_EINVAL, "%s model: lr %g must be > 0, reg %g >= 0, dropout %g in [0, 1) and "
                 "alpha (next-movie loss weight) %g >= 0", cell->name, (double) hp->lr,
                 (double) hp->reg, (double) hp->dropout, (double) hp->alpha);
    }
    if (train->n_users != m->n_users || train->n_movies != m->n_movies) {
        RG_ERROR(RG_EINVAL, "%s model: graph has %lld users / %lld movies, the model %lld / %lld",
                 cell->name, (long long) train->n_users, (long long) train->n_movies,
                 (long long) m->n_users, (long long) m->n_movies);
    }
    const int64_t D = hp->dim, H = hp->dim, GH = (int64_t) cell->G * H;
    RG_CHECK(rg_model_declare(m, "movie_emb", RG_DTYPE_F32, m->n_movies, D));
    RG_CHECK(rg_model_declare(m, "cell_wx", RG_DTYPE_F32, GH, D + 1));
    RG_CHECK(rg_model_declare(m, "cell_wh", RG_DTYPE_F32, GH, H));
    RG_CHECK(rg_model_declare(m, "cell_b", RG_DTYPE_F32, GH, 1));
    RG_CHECK(rg_model_declare(m, "rate_q", RG_DTYPE_F32, m->n_movies, H));
    RG_CHECK(rg_model_declare(m, "movie_bias", RG_DTYPE_F32, m->n_movies, 1));
    RG_CHECK(rg_model_declare(m, "user_bias", RG_DTYPE_F32, m->n_users, 1));
    RG_CHECK(rg_model_declare(m, "user_vec", RG_DTYPE_F32, m->n_users, H));
    RG_CHECK(rg_model_declare(m, "rank_p", RG_DTYPE_F32, m->n_movies, H));
    RG_CHECK(rg_model_declare(m, "rank_c", RG_DTYPE_F32, m->n_movies, 1));
    RG_CHECK(rg_model_declare(m, "user_emb", RG_DTYPE_F32, m->n_users, H));
    RG_CHECK(rg_model_alloc(m));

    s = rg_calloc(1, sizeof *s);
    if (s == NULL) {
        RG_FAIL(RG_ENOMEM, "%s model: cannot allocate its training state", cell->name);
    }
    RG_TRY(seq_net(&s->net, m, cell));
    seq_net_t *n = &s->net;
    rg_rng_t r;
    rg_rng_init(&r, rg_rng_mix(hp->seed, 1));
    rg_param_init_uniform(n->v[T_E], (size_t) (n->M * n->D), SEQ_INIT_SCALE, &r);
    cell->init(n->v[T_WX], n->v[T_WH], n->v[T_B], n->Din, n->H, &r);
    rg_param_init_uniform(n->v[T_Q], (size_t) (n->M * n->H), SEQ_INIT_SCALE, &r);
    rg_param_init_uniform(n->v[T_P], (size_t) (n->M * n->H), SEQ_INIT_SCALE, &r);
    rg_param_init_uniform(n->v[T_PU], (size_t) (n->U * n->H), SEQ_INIT_SCALE, &r);
    seq_init_biases(n, train);

    size_t U = (size_t) (m->n_users > 0 ? m->n_users : 1), B = (size_t) hp->batch;
    s->grads = rg_calloc(n->n_train ? n->n_train : 1, sizeof(float));
    s->keys = rg_malloc(U * sizeof *s->keys);
    s->users = rg_malloc(U * sizeof *s->users);
    s->batch_order = rg_malloc(U * sizeof *s->batch_order);
    s->start = rg_malloc(B * sizeof *s->start);
    s->len = rg_malloc(B * sizeof *s->len);
    s->n_tg = rg_malloc(B * sizeof *s->n_tg);
    if (!s->grads || !s->keys || !s->users || !s->batch_order || !s->start || !s->len ||
        !s->n_tg) {
        RG_FAIL(RG_ENOMEM, "%s model: cannot allocate gradients of %zu floats", cell->name,
                n->n_train);
    }
    RG_TRY(rg_adam_init(&s->adam, n->n_train ? n->n_train : 1, 0.9f, 0.999f, 1e-8f, 0.0f,
                        RG_ADAM_L2));
    int64_t max_len = 0;
    for (int32_t u = 0; u < (int32_t) train->n_users; u++) {
        int64_t d = rg_graph_user_degree(train, u);
        max_len = d > max_len ? d : max_len;
    }
    RG_TRY(seq_ws_init(&s->ws, n, hp->batch, hp->window, hp->negatives, max_len));
    m->impl = s;
    s = NULL;
cleanup:
    seq_impl_free(s);
    return rc;
}

/* One lazy-Adam step over the window's touched rows and the dense cell weights, then zeroes
 * exactly the gradient entries the window wrote. */
/* Both learning rates (the rating layer's SGD and Adam's) follow one cosine from 1 at the first
 * epoch to SEQ_LR_FLOOR at the last: with a constant rate the dropout-noisy steps kept the last
 * epoch's parameters wandering (u1 test RMSE 0.9455 .. 0.9507 over seeds 1-4 and 42). */
static float seq_lr_scale(const rg_model_t *m, int epoch) {
    rg_lr_schedule_t sch;
    rg_lr_schedule_init(&sch, 1.0f);
    sch.kind = RG_LR_COSINE;
    sch.lr_min = SEQ_LR_FLOOR;
    sch.total_steps = m->hp.epochs > 1 ? m->hp.epochs - 1 : 1;
    return rg_lr_at(&sch, epoch);
}

static void seq_update(seq_impl_t *s, float lr_scale) {
    seq_net_t *n = &s->net;
    seq_ws_t *w = &s->ws;
    const int64_t N = w->n_rows;
    memcpy(w->ids_m, w->row_movie, (size_t) N * sizeof(int32_t));
    int64_t nm = rg_ids_unique(w->ids_m, N);
    memcpy(w->ids_r, w->row_movie, (size_t) N * sizeof(int32_t));
    memcpy(w->ids_r + N, w->neg, (size_t) w->K * sizeof(int32_t));
    int64_t nr = rg_ids_unique(w->ids_r, N + w->K);
    /* the rating layer (Q, biases, user vectors) was updated by SGD inside the window: listed
     * with no touched row, Adam leaves it alone */
    const rg_sparse_rows_t tables[7] = {
        {n->off[T_E], n->M, n->D, w->ids_m, nm}, {n->off[T_P], n->M, n->H, w->ids_r, nr},
        {n->off[T_C], n->M, 1, w->ids_r, nr},    {n->off[T_Q], n->M, n->H, NULL, 0},
        {n->off[T_BM], n->M, 1, NULL, 0},        {n->off[T_BU], n->U, 1, NULL, 0},
        {n->off[T_PU], n->U, n->H, NULL, 0},
    };
    float *dense = s->grads + n->off[T_WX];
    size_t n_dense = n->off[T_Q] - n->off[T_WX];
    rg_grad_clip_norm(dense, n_dense, SEQ_CLIP_NORM);
    rg_adam_step_sparse(&s->adam, n->v[0] - n->off[0], s->grads, SEQ_ADAM_LR * lr_scale, tables,
                        7);
    memset(dense, 0, n_dense * sizeof(float));
    for (int i = 0; i < 3; i++) {
        rg_grad_zero_rows(s->grads + tables[i].offset, tables[i].D, tables[i].rows,
                          tables[i].n_touched);
    }
}

rg_error_t rg_i_seqmodel_epoch(rg_model_t *m, const rg_graph_t *train, int epoch, double *loss) {
    seq_impl_t *s = m->impl;
    if (s == NULL) {
        RG_ERROR(RG_EINVAL, "%s model: epoch called before init", m->ops->name);
    }
    seq_net_t *n = &s->net;
    seq_ws_t *w = &s->ws;
    if (train->n_users != n->U || train->n_movies != n->M) {
        RG_ERROR(RG_EINVAL, "%s model: epoch graph has %lld users / %lld movies, the model "
                 "%lld / %lld", n->cell->name, (long long) train->n_users,
                 (long long) train->n_movies, (long long) n->U, (long long) n->M);
    }
    RG_CHECK(seq_impl_bind(s, train));
    const rg_i_seq_t *seq = &s->seq;
    rg_rng_t r;
    rg_rng_init(&r, rg_rng_mix(m->hp.seed, 2 + (uint64_t) epoch));
    seq_plan_draw(&s->plan, seq, &r, 1);
    int64_t nu = seq_sort_users(s->plan.in_len, seq->n_users, s->keys, s->users, &r);
    int32_t nbatch = (int32_t) ((nu + w->B - 1) / w->B);
    for (int32_t i = 0; i < nbatch; i++) {
        s->batch_order[i] = i;
    }
    rg_rng_shuffle_i32(&r, s->batch_order, nbatch);

    seq_loss_t tot = {0.0, 0.0, 0.0, 0, 0, 0};
    const size_t SP = (size_t) n->S * w->P;
    float lr_scale = seq_lr_scale(m, epoch);
    for (int32_t bi = 0; bi < nbatch; bi++) {
        int64_t first = (int64_t) s->batch_order[bi] * w->B;
        int nb = (int) (nu - first < w->B ? nu - first : w->B);
        seq_batch_t bt;
        seq_fill_batch(&bt, seq, &s->plan, s->users + first, nb, s->start, s->len, s->n_tg);
        memset(w->state, 0, SP * sizeof(float));
        for (int t0 = 0; t0 < bt.len[0]; t0 += w->W) {
            int Tw = bt.len[0] - t0 < w->W ? bt.len[0] - t0 : w->W;
            int64_t N = seq_window_rows(&bt, t0, Tw);
            for (int k = 0; k < w->K; k++) {
                w->neg[k] = (int32_t) rg_rng_below(&r, (uint64_t) n->M);
            }
            float *g[SEQ_NT];
            seq_views(n, s->grads, g);
            seq_window(n, g, w, seq, &bt, t0, Tw, m->hp.reg, m->hp.lr * lr_scale, m->hp.dropout,
                       m->hp.alpha, &r, (double) N, &tot);
            seq_update(s, lr_scale);
            /* carry the state into the next window (the gradient is truncated here) */
            memcpy(w->state, w->state + (size_t) Tw * SP, SP * sizeof(float));
        }
    }
    /* reported: mean squared rating error + weighted next-movie xent per step */
    *loss = (tot.n_rated > 0 ? tot.se / (double) tot.n_rated : 0.0) +
            (tot.n > 0 ? m->hp.alpha * tot.ce / (double) tot.n : 0.0);
    return RG_SUCCESS;
}

rg_error_t rg_i_seqmodel_attach(rg_model_t *m, const rg_graph_t *train,
                                const rg_i_seqcell_t *cell) {
    rg_error_t rc = RG_SUCCESS;
    rg_i_seq_t seq = {0};
    seq_user_key_t *keys = NULL;
    int32_t *users = NULL;
    seq_net_t n;
    RG_CHECK(seq_net(&n, m, cell));
    if (train->n_users != n.U || train->n_movies != n.M) {
        RG_ERROR(RG_EINVAL, "%s model: graph has %lld users / %lld movies, the model %lld / %lld",
                 cell->name, (long long) train->n_users, (long long) train->n_movies,
                 (long long) n.U, (long long) n.M);
    }
    RG_TRY(rg_i_seq_build(&seq, train));
    size_t U = (size_t) (n.U > 0 ? n.U : 1);
    keys = rg_malloc(U * sizeof *keys);
    users = rg_malloc(U * sizeof *users);
    if (keys == NULL || users == NULL) {
        RG_FAIL(RG_ENOMEM, "%s model: cannot allocate the user order of %zu users", cell->name, U);
    }
    for (int64_t u = 0; u < seq.n_users; u++) {
        /* the users array doubles as the length array for the sort, then is overwritten */
        users[u] = (int32_t) (seq.ptr[u + 1] - seq.ptr[u]);
    }
    int64_t nu = seq_sort_users(users, seq.n_users, keys, users, NULL);
    memset(n.v[T_UE], 0, (size_t) (n.U * n.H) * sizeof(float));
    int64_t nbatch = (nu + SEQ_ATTACH_BATCH - 1) / SEQ_ATTACH_BATCH;
    int failed = 0;
#ifdef _OPENMP
    int nth = m->hp.n_threads > 0 ? m->hp.n_threads : omp_get_max_threads();
#pragma omp parallel num_threads(nth) reduction(| : failed)
#endif
    {
        seq_run_ws_t rw;
        int64_t start[SEQ_ATTACH_BATCH];
        int32_t len[SEQ_ATTACH_BATCH];
        float *hout[SEQ_ATTACH_BATCH];
        if (seq_run_ws_init(&rw, &n, SEQ_ATTACH_BATCH) != RG_SUCCESS) {
            failed = 1;
        } else {
#ifdef _OPENMP
#pragma omp for schedule(dynamic, 1)
#endif
            for (int64_t bi = 0; bi < nbatch; bi++) {
                int64_t first = bi * SEQ_ATTACH_BATCH;
                int nb = (int) (nu - first < SEQ_ATTACH_BATCH ? nu - first : SEQ_ATTACH_BATCH);
                for (int b = 0; b < nb; b++) {
                    int32_t u = users[first + b];
                    start[b] = seq.ptr[u];
                    len[b] = (int32_t) (seq.ptr[u + 1] - seq.ptr[u]);
                    hout[b] = n.v[T_UE] + (size_t) u * n.H;
                }
                seq_run(&n, &rw, nb, start, len, seq.movie, seq.rating, hout);
            }
        }
        free(rw.mem);
    }
    if (failed) {
        RG_FAIL(RG_ENOMEM, "%s model: cannot allocate the forward scratch of attach", cell->name);
    }
cleanup:
    free(keys);
    free(users);
    rg_i_seq_free(&seq);
    return rc;
}

rg_error_t rg_i_seqmodel_predict(const rg_model_t *m, const rg_graph_t *train, int64_t n,
                                 const int32_t *users, const int32_t *movies, float *out) {
    (void) train;
    const rg_tensor_t *tq = rg_model_tensor(m, "rate_q");
    const float *ue = rg_model_f32(m, "user_emb"), *q = rg_model_f32(m, "rate_q");
    const float *bu = rg_model_f32(m, "user_bias"), *bm = rg_model_f32(m, "movie_bias");
    const float *pu = rg_model_f32(m, "user_vec");
    if (tq == NULL || ue == NULL || bu == NULL || bm == NULL || pu == NULL) {
        RG_ERROR(RG_EFORMAT, "%s model: rating tensors missing", m->ops->name);
    }
    const int64_t H = tq->cols;
    for (int64_t i = 0; i < n; i++) {
        int32_t u = users[i], j = movies[i];
        if (u < 0 || u >= m->n_users || j < 0 || j >= m->n_movies) {
            RG_ERROR(RG_ERANGE, "%s model: pair %lld (user %d, movie %d) out of range "
                     "[0, %lld) x [0, %lld)", m->ops->name, (long long) i, (int) u, (int) j,
                     (long long) m->n_users, (long long) m->n_movies);
        }
        const float *h = ue + (size_t) u * H, *p = pu + (size_t) u * H, *q_j = q + (size_t) j * H;
        double dot = 0.0;
        for (int64_t k = 0; k < H; k++) {
            dot += ((double) h[k] + p[k]) * q_j[k];
        }
        out[i] = (float) (m->global_mean + bu[u] + bm[j] + dot);
    }
    return RG_SUCCESS;
}

/* out (M) = P h + c: the next-movie logits of a final state h. */
static void seq_rank_scores(const rg_model_t *m, const float *h, float *out) {
    const rg_tensor_t *tp = rg_model_tensor(m, "rank_p");
    rg_linear_forward(out, h, rg_model_f32(m, "rank_p"), rg_model_f32(m, "rank_c"), 1,
                      (int) tp->cols, (int) m->n_movies);
}

rg_error_t rg_i_seqmodel_score(const rg_model_t *m, const rg_graph_t *train, int32_t u,
                               float *out) {
    (void) train;
    const rg_tensor_t *tu = rg_model_tensor(m, "user_emb");
    if (tu == NULL || rg_model_tensor(m, "rank_p") == NULL || rg_model_f32(m, "rank_c") == NULL) {
        RG_ERROR(RG_EFORMAT, "%s model: ranking tensors missing", m->ops->name);
    }
    if (u < 0 || u >= m->n_users) {
        RG_ERROR(RG_ERANGE, "%s model: user %d out of range [0, %lld)", m->ops->name, (int) u,
                 (long long) m->n_users);
    }
    seq_rank_scores(m, rg_model_f32(m, "user_emb") + (size_t) u * (size_t) tu->cols, out);
    return RG_SUCCESS;
}

rg_error_t rg_i_seqmodel_fold_in(const rg_model_t *m, const rg_graph_t *train, int64_t n,
                                 const int32_t *movies, const float *ratings, float *out,
                                 const rg_i_seqcell_t *cell) {
    (void) train;
    rg_error_t rc = RG_SUCCESS;
    seq_run_ws_t rw = {0};
    float *h = NULL;
    seq_net_t net;
    RG_CHECK(seq_net(&net, m, cell));
    if (n < 1 || n > INT32_MAX) {
        RG_ERROR(RG_EINVAL, "%s fold-in: %lld ratings given, need 1 .. %d", cell->name,
                 (long long) n, INT32_MAX);
    }
    for (int64_t i = 0; i < n; i++) {
        if (movies[i] < 0 || movies[i] >= m->n_movies) {
            RG_ERROR(RG_ERANGE, "%s fold-in: rating %lld names movie %d, outside [0, %lld)",
                     cell->name, (long long) i, (int) movies[i], (long long) m->n_movies);
        }
    }
    h = rg_calloc((size_t) net.H, sizeof *h);
    if (h == NULL) {
        RG_FAIL(RG_ENOMEM, "%s fold-in: cannot allocate a state of %d floats", cell->name, net.H);
    }
    RG_TRY(seq_run_ws_init(&rw, &net, 1));
    /* the given order is taken as the time order */
    int64_t start = 0;
    int32_t len = (int32_t) n;
    seq_run(&net, &rw, 1, &start, &len, movies, ratings, &h);
    seq_rank_scores(m, h, out);
cleanup:
    free(rw.mem);
    free(h);
    return rc;
}

rg_error_t rg_i_seqmodel_objective(const rg_model_t *m, const rg_graph_t *g,
                                   const rg_i_seqcell_t *cell, uint64_t seed, double *loss,
                                   float *grads) {
    rg_error_t rc = RG_SUCCESS;
    rg_i_seq_t seq = {0};
    seq_plan_t plan = {0};
    seq_ws_t w = {0};
    seq_user_key_t *keys = NULL;
    int32_t *users = NULL, *len = NULL, *n_tg = NULL;
    int64_t *start = NULL;
    seq_net_t n;
    RG_CHECK(seq_net(&n, m, cell));
    RG_TRY(rg_i_seq_build(&seq, g));
    RG_TRY(seq_plan_init(&plan, &seq, cell->name));
    int B = m->hp.batch;
    size_t U = (size_t) (n.U > 0 ? n.U : 1);
    keys = rg_malloc(U * sizeof *keys);
    users = rg_malloc(U * sizeof *users);
    start = rg_malloc((size_t) B * sizeof *start);
    len = rg_malloc((size_t) B * sizeof *len);
    n_tg = rg_malloc((size_t) B * sizeof *n_tg);
    if (!keys || !users || !start || !len || !n_tg) {
        RG_FAIL(RG_ENOMEM, "%s objective: cannot allocate its order arrays", cell->name);
    }
    int32_t W = seq.max_len > 0 ? seq.max_len : 1;
    RG_TRY(seq_ws_init(&w, &n, B, W, m->hp.negatives, seq.max_len));
    rg_rng_t r;
    rg_rng_init(&r, seed);
    seq_plan_draw(&plan, &seq, &r, 0);
    int64_t nu = seq_sort_users(plan.in_len, seq.n_users, keys, users, NULL);
    float *gv[SEQ_NT];
    seq_views(&n, grads, gv);
    seq_loss_t tot = {0.0, 0.0, 0.0, 0, 0, 0};
    for (int64_t first = 0; first < nu; first += B) {
        int nb = (int) (nu - first < B ? nu - first : B);
        seq_batch_t bt;
        seq_fill_batch(&bt, &seq, &plan, users + first, nb, start, len, n_tg);
        memset(w.state, 0, (size_t) n.S * w.P * sizeof(float));
        for (int k = 0; k < w.K; k++) {
            w.neg[k] = (int32_t) rg_rng_below(&r, (uint64_t) n.M);
        }
        seq_window(&n, gv, &w, &seq, &bt, 0, bt.len[0], m->hp.reg, 0.0f, 0.0f, m->hp.alpha, &r,
                   1.0, &tot);
    }
    *loss = tot.se + m->hp.alpha * tot.ce + tot.reg;
cleanup:
    seq_ws_free(&w);
    seq_plan_free(&plan);
    free(keys);
    free(users);
    free(start);
    free(len);
    free(n_tg);
    rg_i_seq_free(&seq);
    return rc;
}
