/* gc_content.c: finite-difference checks of the whole content model on a tiny planted graph:
 * the rating objective (MSE + bias L2) against every MLP and bias tensor, and the genre
 * autoencoder's reconstruction objective (BCE) against its four tensors.  The models are
 * trained for one epoch first so that every tensor (biases included) is away from its
 * initial value.  Repeated users and movies in the batch exercise gradient accumulation.
 * Tolerances: rgt_gc_opts_default.  The MLP weights are then redrawn with high entropy and the
 * hidden biases set to +-KINK_GAP, alternating, so that units are both active and inactive and
 * every pre-activation stays KINK_GAP - |W1 x| away from the ReLU kink; the test asserts that
 * margin exceeds the step times the largest input, so no central difference crosses a kink. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gradcheck.h"
#include "rg_test.h"
#include "models/autoencoder.h"
#include "models/content.h"

enum { NB = 7 };
#define KINK_GAP 1.0f

static void train_one_epoch(rg_model_t *m, rg_trainer_t *t, const char *kind, rg_graph_t *g,
                            const rg_hparams_t *hp) {
    int done = 0;
    RGT_OK(rgt_graph_planted(g, 30, 20, 8, 5));
    RGT_OK(rg_model_init(m, rg_model_find(kind), hp, NULL, g, g));
    RGT_OK(rg_trainer_init(t, m, g));
    RGT_OK(rg_trainer_step(t, &done));
    RGT_OK(rg_trainer_finish(t));
}

/* ---- the rating objective ---- */

typedef struct {
    const rg_model_t *m;
    int32_t users[NB], movies[NB];
    float ratings[NB];
} rating_ctx_t;

static double rating_loss(void *p) {
    rating_ctx_t *c = p;
    double loss = 0.0;
    rg_error_t rc = rg_i_content_loss(c->m, NB, c->users, c->movies, c->ratings, NULL, &loss);
    return rc == RG_SUCCESS ? loss : NAN;
}

static void test_content_rating_gradients(void **state) {
    (void) state;
    rg_graph_t g;
    rg_model_t m;
    rg_trainer_t t;
    rg_hparams_t hp;
    rgt_gc_opts_t o;
    rating_ctx_t c = {.users = {0, 3, 3, 11, 29, 0, 17}, .movies = {1, 4, 19, 4, 7, 12, 1},
                      .ratings = {4.0f, 2.0f, 5.0f, 3.0f, 1.0f, 4.5f, 2.5f}};
    rg_hparams_init(&hp);
    hp.dim = 3;
    hp.batch = NB;
    hp.epochs = 1;
    hp.reg = 0.37f; /* large enough that the L2 term matters in the bias gradients */
    hp.val_fraction = 0.0f;
    train_one_epoch(&m, &t, "content", &g, &hp);
    c.m = &m;
    rgt_gc_opts_default(&o);
    /* high-entropy MLP weights, hidden units pinned away from the kink */
    const rg_tensor_t *w1t = rg_model_tensor(&m, "mlp_w1");
    const int H = (int) w1t->rows, D = (int) w1t->cols, C = D / 3;
    float *w1 = rg_model_f32(&m, "mlp_w1"), *b1 = rg_model_f32(&m, "mlp_b1");
    const float *Z = rg_model_f32(&m, "movie_emb"), *T = rg_model_f32(&m, "user_emb");
    rg_rng_t r;
    rg_rng_init(&r, 23);
    rgt_gc_fill(w1, (size_t) H * (size_t) D, -0.1f, 0.1f, &r);
    rgt_gc_fill(rg_model_f32(&m, "mlp_w2"), (size_t) H, -0.3f, 0.35f, &r);
    for (int h = 0; h < H; h++) {
        b1[h] = h % 2 ? -KINK_GAP : KINK_GAP;
    }
    const float *w2 = rg_model_f32(&m, "mlp_w2");
    const float *bu = rg_model_f32(&m, "user_bias"), *bm = rg_model_f32(&m, "movie_bias");
    double min_gap = INFINITY, max_x = 0.0, resid = 0.0;
    for (int b = 0; b < NB; b++) {
        double x[3 * RG_MAX_GENRES];
        const float *z = Z + (size_t) c.movies[b] * C, *tu = T + (size_t) c.users[b] * C;
        for (int k = 0; k < C; k++) {
            x[k] = z[k];
            x[C + k] = tu[k];
            x[2 * C + k] = (double) z[k] * tu[k];
        }
        for (int k = 0; k < D; k++) {
            max_x = fmax(max_x, fabs(x[k]));
        }
        for (int h = 0; h < H; h++) {
            double pre = b1[h];
            for (int k = 0; k < D; k++) {
                pre += (double) w1[h * D + k] * x[k];
            }
            min_gap = fmin(min_gap, fabs(pre));
            resid -= pre > 0.0 ? w2[h] * pre : 0.0;
        }
        resid += c.ratings[b] - m.global_mean - bu[c.users[b]] - bm[c.movies[b]];
    }
    /* b2 = the mean residual of the rest plus 0.6: the residuals (and the float rounding of L)
     * stay O(1) while their mean, the gradient of b2, is far from 0 */
    rg_model_f32(&m, "mlp_b2")[0] = (float) (resid / NB + 0.6);
    assert_true(min_gap > 4.0 * o.eps * (max_x > 1.0 ? max_x : 1.0));
    float *grads = calloc(m.n_params, sizeof *grads);
    double loss = 0.0;
    RGT_OK(rg_i_content_loss(&m, NB, c.users, c.movies, c.ratings, grads, &loss));
    assert_true(loss > 0.0);
    const char *names[] = {"mlp_w1", "mlp_b1", "mlp_w2", "mlp_b2", "user_bias", "movie_bias"};
    for (int i = 0; i < 6; i++) {
        const rg_tensor_t *tt = rg_model_tensor(&m, names[i]);
        assert_non_null(tt);
        size_t n = (size_t) (tt->rows * tt->cols);
        RGT_GRADCHECK(names[i], m.params + tt->offset, grads + tt->offset, n, rating_loss, &c,
                      &o);
    }
    /* the codes and profiles are inputs of this loss: no gradient reaches them */
    const rg_tensor_t *z = rg_model_tensor(&m, "movie_emb");
    for (size_t i = 0; i < (size_t) (z->rows * z->cols); i++) {
        assert_true(grads[z->offset + i] == 0.0f);
    }
    free(grads);
    rg_trainer_free(&t);
    rg_model_free(&m);
    rg_graph_free(&g);
}

/* ---- the autoencoder objective ---- */

typedef struct {
    rg_i_ae_trainer_t *t;
    rg_i_ae_view_t p;
    int32_t ids[NB];
} ae_ctx_t;

static double ae_loss(void *ctx) {
    ae_ctx_t *c = ctx;
    return rg_i_ae_batch(c->t, &c->p, NULL, c->ids, NB);
}

static void test_autoencoder_gradients(void **state) {
    (void) state;
    rg_graph_t g;
    rg_model_t m;
    rg_trainer_t t;
    rg_hparams_t hp;
    rgt_gc_opts_t o;
    rg_i_ae_view_t gv;
    size_t off, n;
    ae_ctx_t c = {.ids = {0, 5, 5, 19, 2, 13, 0}};
    rg_hparams_init(&hp);
    hp.dim = 3;
    hp.batch = NB;
    hp.epochs = 1;
    train_one_epoch(&m, &t, "autoencoder", &g, &hp);
    c.t = m.impl; /* the autoencoder kind's training state is its AE trainer */
    RGT_OK(rg_i_ae_bind(&m, m.params, &c.p, &off, &n));
    float *grads = calloc(m.n_params, sizeof *grads);
    RGT_OK(rg_i_ae_bind(&m, grads, &gv, &off, &n));
    double loss = rg_i_ae_batch(c.t, &c.p, &gv, c.ids, NB);
    assert_true(loss > 0.0);
    rgt_gc_opts_default(&o);
    RGT_GRADCHECK("enc_w", c.p.enc_w, gv.enc_w, (size_t) (c.p.C * c.p.G), ae_loss, &c, &o);
    RGT_GRADCHECK("enc_b", c.p.enc_b, gv.enc_b, (size_t) c.p.C, ae_loss, &c, &o);
    RGT_GRADCHECK("dec_w", c.p.dec_w, gv.dec_w, (size_t) (c.p.G * c.p.C), ae_loss, &c, &o);
    RGT_GRADCHECK("dec_b", c.p.dec_b, gv.dec_b, (size_t) c.p.G, ae_loss, &c, &o);
    free(grads);
    rg_trainer_free(&t);
    rg_model_free(&m);
    rg_graph_free(&g);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_content_rating_gradients),
        cmocka_unit_test(test_autoencoder_gradients),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
