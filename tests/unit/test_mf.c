/* test_mf.c: the implicit-feedback (SVD++) part of the mf model.  On a generated graph where
 * WHICH movies a user rated is the only clue to their taste (every rating they gave is exactly
 * what the biases predict), mf must predict a cold user's held-out ratings far better than the
 * bias model, both for users trained with the model and for a user folded in afterwards.  A
 * model without the implicit part cannot: the cold user's residuals are all zero, so their
 * factor learns nothing. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rg_test.h"

#define N_FULL 200   /* users who rated their group's movies (3 stars), the targets and the foils */
#define N_COLD 40    /* users who rated only some of their group's movies in training */
#define N_OWN 30     /* movies per group */
#define N_TARGET 20  /* loved (5) by group A, hated (1) by group B */
#define COLD_RATED 10
#define TARGET_EXT 300
#define FOIL_EXT 400 /* hated by group A, loved by group B: every full user's mean is 3 */

/* Group movies: ext 100 + i (group A) and 200 + i (group B); targets: ext 300 + i; foils: ext
 * 400 + i (full users only).  User ext id 1 + u, group u % 2.  Cold users' target ratings are
 * the test set. */
static void build_graph(rg_graph_t *full, uint8_t **is_test, rg_graph_t *train) {
    int64_t cap = (int64_t) N_FULL * (N_OWN + 2 * N_TARGET) +
                  (int64_t) N_COLD * (COLD_RATED + N_TARGET);
    int64_t *users = malloc((size_t) cap * sizeof *users);
    int64_t *movies = malloc((size_t) cap * sizeof *movies);
    float *ratings = malloc((size_t) cap * sizeof *ratings);
    int64_t n = 0;
    rg_rng_t r;
    rg_rng_init(&r, 11);
    for (int u = 0; u < N_FULL + N_COLD; u++) {
        int group = u % 2, cold = u >= N_FULL;
        int32_t own[N_OWN];
        for (int i = 0; i < N_OWN; i++) {
            own[i] = i;
        }
        rg_rng_shuffle_i32(&r, own, N_OWN);
        for (int i = 0; i < (cold ? COLD_RATED : N_OWN); i++) {
            users[n] = 1 + u;
            movies[n] = (group ? 200 : 100) + own[i];
            ratings[n++] = 3.0f;
        }
        for (int i = 0; i < N_TARGET; i++) {
            users[n] = 1 + u;
            movies[n] = TARGET_EXT + i;
            ratings[n++] = group ? 1.0f : 5.0f;
            if (!cold) {
                users[n] = 1 + u;
                movies[n] = FOIL_EXT + i;
                ratings[n++] = group ? 5.0f : 1.0f;
            }
        }
    }
    RGT_OK(rgt_graph_from_triples(full, n, users, movies, ratings, NULL));
    free(users);
    free(movies);
    free(ratings);
    *is_test = malloc((size_t) full->n_ratings);
    uint8_t *keep = malloc((size_t) full->n_ratings);
    for (int32_t u = 0; u < full->n_users; u++) {
        for (int64_t e = full->user_ptr[u]; e < full->user_ptr[u + 1]; e++) {
            int64_t mx = full->movie_ext[full->user_adj[e]];
            (*is_test)[e] = (uint8_t) (full->user_ext[u] > N_FULL && mx >= TARGET_EXT &&
                                       mx < TARGET_EXT + N_TARGET);
            keep[e] = (uint8_t) !(*is_test)[e];
        }
    }
    RGT_OK(rg_graph_filter(train, full, keep, NULL));
    free(keep);
}

static void train_model(rg_model_t *m, const char *kind, const rg_graph_t *full,
                        const rg_graph_t *train) {
    rg_hparams_t hp;
    rg_trainer_t t;
    int done = 0;
    rg_hparams_init(&hp);
    hp.dim = 8;
    hp.n_threads = 1;
    RGT_OK(rg_model_init(m, rg_model_find(kind), &hp, NULL, full, train));
    RGT_OK(rg_trainer_init(&t, m, train));
    while (!done) {
        RGT_OK(rg_trainer_step(&t, &done));
    }
    RGT_OK(rg_trainer_finish(&t));
    rg_trainer_free(&t);
}

static double test_rmse(const rg_model_t *m, const rg_graph_t *full, const rg_graph_t *train,
                        const uint8_t *is_test) {
    rg_metrics_t mt;
    RGT_OK(rg_evaluate(m, full, train, is_test, 10, &mt));
    assert_true(mt.has_ratings);
    return mt.rmse;
}

static void test_mf_learns_from_which_movies_were_rated(void **state) {
    (void) state;
    rg_graph_t full, train;
    uint8_t *is_test;
    rg_model_t mf, bias;
    build_graph(&full, &is_test, &train);
    train_model(&mf, "mf", &full, &train);
    train_model(&bias, "bias", &full, &train);
    const rg_tensor_t *y = rg_model_tensor(&mf, "implicit_emb");
    assert_non_null(y);
    assert_int_equal(y->rows, full.n_movies);
    assert_int_equal(y->cols, 8);
    double r_mf = test_rmse(&mf, &full, &train, is_test);
    double r_bias = test_rmse(&bias, &full, &train, is_test);

    /* fold a cold user of each group in again, from their training ratings alone */
    double sse = 0.0;
    int64_t n_t = 0;
    float *scores = malloc((size_t) full.n_movies * sizeof *scores);
    for (int64_t ext = N_FULL + 1; ext <= N_FULL + 2; ext++) {
        int32_t u = rg_graph_user_index(&train, ext);
        assert_true(u >= 0);
        int64_t n = rg_graph_user_degree(&train, u);
        assert_int_equal(n, COLD_RATED);
        RGT_OK(mf.ops->fold_in(&mf, &train, n, train.user_adj + train.user_ptr[u],
                               train.rating + train.user_ptr[u], scores));
        for (int i = 0; i < N_TARGET; i++) {
            int32_t j = rg_graph_movie_index(&train, TARGET_EXT + i);
            double want = (ext - 1) % 2 ? 1.0 : 5.0;
            double got = fmin(5.0, fmax(1.0, scores[j]));
            sse += (got - want) * (got - want);
            n_t++;
        }
    }
    double r_fold = sqrt(sse / (double) n_t);
    print_message("cold users' targets: RMSE bias %.3f  mf %.3f  mf fold-in %.3f\n", r_bias,
                  r_mf, r_fold);
    /* the bias model (and MF without the implicit part) can only predict about 3 here */
    assert_true(r_bias > 1.5);
    assert_true(r_mf < 0.7 * r_bias);
    assert_true(r_fold < 0.7 * r_bias);
    free(scores);
    rg_model_free(&mf);
    rg_model_free(&bias);
    rg_graph_free(&train);
    rg_graph_free(&full);
    free(is_test);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mf_learns_from_which_movies_were_rated),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
