/* test_baselines.c: the mean, bias and mf models on generated graphs with planted structure:
 * each learns it (bias beats the mean, mf beats bias), mf is reproducible for a seed on one
 * thread and learns on two, recommendations never contain a seen movie and honour the genre
 * filter, and folding a user into mf gives about what retraining with that user gives. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rg_test.h"

typedef struct {
    rg_graph_t full, train;
    uint8_t *is_test;
} split_graph_t;

static void split_graph(split_graph_t *s, int n_users, int n_movies, int per_user,
                        uint64_t seed) {
    rg_split_spec_t sp;
    memset(s, 0, sizeof *s);
    RGT_OK(rgt_graph_planted(&s->full, n_users, n_movies, per_user, seed));
    memset(&sp, 0, sizeof sp);
    sp.seed = seed;
    RGT_OK(rg_split_parse(&sp, "random:0.2"));
    s->is_test = malloc((size_t) s->full.n_ratings);
    RGT_OK(rg_split_apply(&s->full, &sp, s->is_test, NULL));
    uint8_t *keep = malloc((size_t) s->full.n_ratings);
    for (int64_t e = 0; e < s->full.n_ratings; e++) {
        keep[e] = (uint8_t) !s->is_test[e];
    }
    RGT_OK(rg_graph_filter(&s->train, &s->full, keep, NULL));
    free(keep);
}

static void split_graph_free(split_graph_t *s) {
    rg_graph_free(&s->train);
    rg_graph_free(&s->full);
    free(s->is_test);
}

static void train_model(rg_model_t *m, const char *kind, const rg_hparams_t *hp,
                        const rg_graph_t *full, const rg_graph_t *train) {
    rg_trainer_t t;
    int done = 0;
    const rg_model_ops_t *ops = rg_model_find(kind);
    assert_non_null(ops);
    RGT_OK(rg_model_init(m, ops, hp, NULL, full, train));
    RGT_OK(rg_trainer_init(&t, m, train));
    while (!done) {
        RGT_OK(rg_trainer_step(&t, &done));
    }
    RGT_OK(rg_trainer_finish(&t));
    rg_trainer_free(&t);
}

static double test_rmse(const rg_model_t *m, const split_graph_t *s) {
    rg_metrics_t mt;
    RGT_OK(rg_evaluate(m, &s->full, &s->train, s->is_test, 10, &mt));
    assert_true(mt.has_ratings);
    return mt.rmse;
}

static void test_each_baseline_learns_planted_structure(void **state) {
    (void) state;
    split_graph_t s;
    rg_model_t mean, bias, mf;
    rg_hparams_t hp;
    split_graph(&s, 300, 150, 40, 1);
    rg_hparams_init(&hp);
    hp.n_threads = 1;
    train_model(&mean, "mean", &hp, &s.full, &s.train);
    train_model(&bias, "bias", &hp, &s.full, &s.train);
    hp.dim = 16;
    train_model(&mf, "mf", &hp, &s.full, &s.train);
    double r_mean = test_rmse(&mean, &s), r_bias = test_rmse(&bias, &s), r_mf = test_rmse(&mf, &s);
    print_message("planted 300x150: RMSE mean %.4f  bias %.4f  mf %.4f\n", r_mean, r_bias, r_mf);
    /* the mean model predicts exactly the mean training rating */
    int32_t u = 3, mv = 7;
    float p;
    RGT_OK(mean.ops->predict(&mean, &s.train, 1, &u, &mv, &p));
    RGT_NEAR(p, rg_graph_mean_rating(&s.train), 1e-6);
    assert_true(r_bias < r_mean - 0.05);
    assert_true(r_mf < r_bias - 0.05);
    /* training loss goes down over the epochs */
    assert_true(mf.history[mf.n_history - 1].train_loss < 0.7 * mf.history[0].train_loss);
    assert_true(bias.history[bias.n_history - 1].train_loss <= bias.history[0].train_loss);
    rg_model_free(&mean);
    rg_model_free(&bias);
    rg_model_free(&mf);
    split_graph_free(&s);
}

static void test_mf_reproducible_on_one_thread_and_learns_on_two(void **state) {
    (void) state;
    split_graph_t s;
    rg_model_t a, b, c;
    rg_hparams_t hp;
    split_graph(&s, 120, 80, 20, 2);
    rg_hparams_init(&hp);
    hp.n_threads = 1;
    hp.dim = 8;
    hp.epochs = 10;
    train_model(&a, "mf", &hp, &s.full, &s.train);
    train_model(&b, "mf", &hp, &s.full, &s.train);
    assert_int_equal(a.n_params, b.n_params);
    assert_memory_equal(a.params, b.params, a.n_params * sizeof(float));
    hp.seed = 7; /* another seed, other parameters */
    train_model(&c, "mf", &hp, &s.full, &s.train);
    assert_true(memcmp(a.params, c.params, a.n_params * sizeof(float)) != 0);
    rg_model_free(&c);
    /* two threads: the blocked schedule still fits the data */
    hp.n_threads = 2;
    hp.seed = 42;
    train_model(&c, "mf", &hp, &s.full, &s.train);
    assert_true(c.history[9].train_loss < 0.8 * c.history[0].train_loss);
    assert_true(fabs(test_rmse(&c, &s) - test_rmse(&a, &s)) < 0.1);
    rg_model_free(&a);
    rg_model_free(&b);
    rg_model_free(&c);
    split_graph_free(&s);
}

static void test_recommend_never_returns_seen_and_honours_genres(void **state) {
    (void) state;
    split_graph_t s;
    rg_model_t m;
    rg_hparams_t hp;
    int32_t movies[20];
    float scores[20];
    int32_t n;
    split_graph(&s, 100, 60, 15, 3);
    rg_hparams_init(&hp);
    hp.dim = 8;
    hp.epochs = 5;
    hp.n_threads = 1;
    const char *kinds[] = {"bias", "mf"};
    for (int k = 0; k < 2; k++) {
        train_model(&m, kinds[k], &hp, &s.full, &s.train);
        for (int32_t u = 0; u < s.full.n_users; u++) {
            uint32_t mask = 0;
            for (int64_t e = s.full.user_ptr[u]; e < s.full.user_ptr[u + 1]; e++) {
                mask |= s.full.movie_genres[s.full.user_adj[e]];
            }
            for (int filter = 0; filter <= 1; filter++) {
                RGT_OK(rg_recommend(&m, &s.train, &s.full, u, 20, filter, movies, scores, &n));
                assert_true(n > 0);
                for (int32_t i = 0; i < n; i++) {
                    assert_int_equal(rg_graph_edge(&s.full, u, movies[i]), -1);
                    if (filter) {
                        assert_true((s.full.movie_genres[movies[i]] & mask) != 0);
                    }
                    if (i > 0) {
                        assert_true(scores[i] <= scores[i - 1]);
                    }
                }
            }
        }
        rg_model_free(&m);
    }
    split_graph_free(&s);
}

/* Pearson correlation of two score vectors. */
static double correlation(const float *a, const float *b, int64_t n) {
    double ma = 0, mb = 0, sab = 0, saa = 0, sbb = 0;
    for (int64_t i = 0; i < n; i++) {
        ma += a[i];
        mb += b[i];
    }
    ma /= (double) n;
    mb /= (double) n;
    for (int64_t i = 0; i < n; i++) {
        sab += (a[i] - ma) * (b[i] - mb);
        saa += (a[i] - ma) * (a[i] - ma);
        sbb += (b[i] - mb) * (b[i] - mb);
    }
    return sab / sqrt(saa * sbb);
}

static void test_mf_fold_in_close_to_retraining(void **state) {
    (void) state;
    rg_graph_t g, without;
    rg_model_t with_user, without_user;
    rg_hparams_t hp;
    RGT_OK(rgt_graph_planted(&g, 200, 60, 30, 4));
    /* the same graph without user 0's ratings (the user stays, as an isolated node) */
    const int32_t x = 0;
    uint8_t *keep = malloc((size_t) g.n_ratings);
    for (int64_t e = 0; e < g.n_ratings; e++) {
        keep[e] = (uint8_t) !(e >= g.user_ptr[x] && e < g.user_ptr[x + 1]);
    }
    RGT_OK(rg_graph_filter(&without, &g, keep, NULL));
    free(keep);
    rg_hparams_init(&hp);
    hp.dim = 8;
    hp.n_threads = 1;
    train_model(&with_user, "mf", &hp, &g, &g);
    train_model(&without_user, "mf", &hp, &g, &without);

    int64_t n = rg_graph_user_degree(&g, x), M = g.n_movies;
    int32_t *rated = malloc((size_t) n * sizeof *rated);
    float *ratings = malloc((size_t) n * sizeof *ratings);
    for (int64_t i = 0; i < n; i++) {
        rated[i] = g.user_adj[g.user_ptr[x] + i];
        ratings[i] = g.rating[g.user_ptr[x] + i];
    }
    float *retrained = malloc((size_t) M * sizeof(float));
    float *folded = malloc((size_t) M * sizeof(float));
    RGT_OK(with_user.ops->score(&with_user, &g, x, retrained));
    RGT_OK(without_user.ops->fold_in(&without_user, &without, n, rated, ratings, folded));
    double corr = correlation(retrained, folded, M), mad = 0.0;
    for (int64_t j = 0; j < M; j++) {
        mad += fabs(retrained[j] - folded[j]);
    }
    mad /= (double) M;
    /* top 10 overlap through the public recommend paths */
    int32_t top_r[10], top_f[10], nr, nf, overlap = 0;
    float sc[10];
    RGT_OK(rg_recommend(&with_user, &g, &g, x, 10, 0, top_r, sc, &nr));
    RGT_OK(rg_recommend_fold_in(&without_user, &without, n, rated, ratings, 10, 0, top_f, sc,
                                &nf));
    for (int i = 0; i < nr; i++) {
        for (int j = 0; j < nf; j++) {
            overlap += top_r[i] == top_f[j];
        }
    }
    print_message("fold-in vs retraining: corr %.3f, mean |diff| %.3f, top-10 overlap %d\n",
                  corr, mad, (int) overlap);
    assert_true(corr > 0.85);
    assert_true(mad < 0.25);
    assert_true(overlap >= 6);
    /* the fold-in never recommends what the user rated */
    for (int j = 0; j < nf; j++) {
        for (int64_t i = 0; i < n; i++) {
            assert_int_not_equal(top_f[j], rated[i]);
        }
    }
    free(rated);
    free(ratings);
    free(retrained);
    free(folded);
    rg_model_free(&with_user);
    rg_model_free(&without_user);
    rg_graph_free(&without);
    rg_graph_free(&g);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_each_baseline_learns_planted_structure),
        cmocka_unit_test(test_mf_reproducible_on_one_thread_and_learns_on_two),
        cmocka_unit_test(test_recommend_never_returns_seen_and_honours_genres),
        cmocka_unit_test(test_mf_fold_in_close_to_retraining),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
