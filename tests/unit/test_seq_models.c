/* test_seq_models.c: the sequence models `rnn` and `lstm` (src/models/rnn.c, lstm.c,
 * seqdata.c) and the leave-last-out protocol (seqeval.h): they learn planted sequential
 * structure better than popularity, predict planted ratings better than biases, train
 * deterministically for a seed and thread count, fold in new users, and reject bad input. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "reelgraph/seqeval.h"
#include "rg_test.h"

/* A catalogue of M movies on a cycle: each user starts at a random movie and rates the next
 * ones around the cycle in time order, skipping one now and then.  The movie after the last one
 * is therefore predictable from the last few movies, while every movie is about equally popular:
 * popularity ranks the held-out movie near chance. */
enum { CYC_USERS = 300, CYC_MOVIES = 120, CYC_LEN = 12 };

static void build_cycle(rg_graph_t *g, uint64_t seed) {
    int64_t n = (int64_t) CYC_USERS * CYC_LEN;
    int64_t *users = malloc((size_t) n * sizeof *users), *movies = malloc((size_t) n * sizeof *movies);
    int64_t *ts = malloc((size_t) n * sizeof *ts);
    float *ratings = malloc((size_t) n * sizeof *ratings);
    assert_non_null(users);
    assert_non_null(movies);
    assert_non_null(ts);
    assert_non_null(ratings);
    rg_rng_t r;
    rg_rng_init(&r, seed);
    int64_t k = 0;
    for (int u = 0; u < CYC_USERS; u++) {
        int m = (int) rg_rng_below(&r, CYC_MOVIES);
        for (int t = 0; t < CYC_LEN; t++) {
            users[k] = 1 + u;
            movies[k] = 1 + m;
            ratings[k] = (float) (1 + rg_rng_below(&r, 5));
            ts[k] = 1000000 + 100 * t;
            k++;
            m = (m + 1 + (rg_rng_uniform(&r) < 0.1 ? 1 : 0)) % CYC_MOVIES;
        }
    }
    RGT_OK(rgt_graph_from_triples(g, n, users, movies, ratings, ts));
    free(users);
    free(movies);
    free(ts);
    free(ratings);
}

static void seq_hparams(rg_hparams_t *hp) {
    rg_hparams_init(hp);
    hp->epochs = 15;
    hp->patience = 0;
    hp->val_fraction = 0.0f;
    hp->n_threads = 2;
    hp->seed = 3;
}

static void check_learns_next_movie(const char *name) {
    rg_graph_t g;
    build_cycle(&g, 17);
    rg_hparams_t hp;
    seq_hparams(&hp);
    hp.batch = 8;     /* more (Adam) steps on this small graph */
    hp.alpha = 1.0f;  /* a next-movie model: the ranking loss weighs as much as the ratings */
    rg_seqeval_report_t rep;
    RGT_OK(rg_seqeval_leave_last_out(rg_model_find(name), &hp, &g, 10, &rep));
    print_message("%s: HR@10 %.3f NDCG@10 %.3f, popularity HR@10 %.3f NDCG@10 %.3f (%lld users)\n",
                  name, rep.model.hit_rate, rep.model.ndcg, rep.pop.hit_rate, rep.pop.ndcg,
                  (long long) rep.model.n_users);
    assert_int_equal(rep.model.n_users, CYC_USERS);
    assert_int_equal(rep.pop.n_users, CYC_USERS);
    assert_true(rep.model.hit_rate >= rep.pop.hit_rate + 0.5);
    assert_true(rep.model.ndcg > rep.pop.ndcg);
    rg_graph_free(&g);
}

static void test_rnn_learns_planted_next_movie(void **state) {
    (void) state;
    check_learns_next_movie("rnn");
}

static void test_lstm_learns_planted_next_movie(void **state) {
    (void) state;
    check_learns_next_movie("lstm");
}

/* Trains kind `name` on a random 80/20 split of a planted graph; returns the test RMSE. */
static double planted_rmse(const char *name, rg_graph_t *g, const uint8_t *is_test,
                           const rg_graph_t *train, int epochs) {
    rg_hparams_t hp;
    seq_hparams(&hp);
    hp.epochs = epochs;
    rg_model_t m;
    rg_trainer_t t;
    RGT_OK(rg_model_init(&m, rg_model_find(name), &hp, NULL, g, train));
    RGT_OK(rg_trainer_init(&t, &m, train));
    int done = 0;
    while (!done) {
        RGT_OK(rg_trainer_step(&t, &done));
    }
    RGT_OK(rg_trainer_finish(&t));
    rg_metrics_t met;
    RGT_OK(rg_evaluate(&m, g, train, is_test, 10, &met));
    rg_trainer_free(&t);
    rg_model_free(&m);
    return met.rmse;
}

static void test_seq_models_beat_biases_on_planted_ratings(void **state) {
    (void) state;
    rg_graph_t g, train;
    RGT_OK(rgt_graph_planted(&g, 300, 120, 40, 9));
    rg_split_spec_t sp;
    memset(&sp, 0, sizeof sp);
    RGT_OK(rg_split_parse(&sp, "random:0.2"));
    sp.seed = 4;
    uint8_t *is_test = malloc((size_t) g.n_ratings), *keep = malloc((size_t) g.n_ratings);
    assert_non_null(is_test);
    assert_non_null(keep);
    RGT_OK(rg_split_apply(&g, &sp, is_test, NULL));
    for (int64_t e = 0; e < g.n_ratings; e++) {
        keep[e] = (uint8_t) !is_test[e];
    }
    RGT_OK(rg_graph_filter(&train, &g, keep, NULL));
    double bias = planted_rmse("bias", &g, is_test, &train, 10);
    double rnn = planted_rmse("rnn", &g, is_test, &train, 20);
    double lstm = planted_rmse("lstm", &g, is_test, &train, 20);
    print_message("planted ratings RMSE: bias %.4f rnn %.4f lstm %.4f\n", bias, rnn, lstm);
    assert_true(rnn < bias);
    assert_true(lstm < bias);
    free(is_test);
    free(keep);
    rg_graph_free(&train);
    rg_graph_free(&g);
}

static void train_small(rg_model_t *m, const char *name, const rg_graph_t *g, int n_threads) {
    rg_hparams_t hp;
    seq_hparams(&hp);
    hp.epochs = 3;
    hp.val_fraction = 0.1f;
    hp.n_threads = n_threads;
    rg_trainer_t t;
    RGT_OK(rg_model_init(m, rg_model_find(name), &hp, NULL, g, g));
    RGT_OK(rg_trainer_init(&t, m, g));
    int done = 0;
    while (!done) {
        RGT_OK(rg_trainer_step(&t, &done));
    }
    RGT_OK(rg_trainer_finish(&t));
    rg_trainer_free(&t);
}

static void test_seq_training_is_deterministic(void **state) {
    (void) state;
    static const char *const names[] = {"rnn", "lstm"};
    rg_graph_t g;
    RGT_OK(rgt_graph_planted(&g, 60, 50, 15, 2));
    for (int i = 0; i < 2; i++) {
        rg_model_t a, b;
        train_small(&a, names[i], &g, 2);
        train_small(&b, names[i], &g, 2);
        assert_int_equal(a.n_params, b.n_params);
        assert_memory_equal(a.params, b.params, a.n_params * sizeof(float));
        for (int e = 0; e < a.n_history; e++) {
            assert_true(a.history[e].train_loss == b.history[e].train_loss);
        }
        rg_model_free(&a);
        rg_model_free(&b);
    }
    rg_graph_free(&g);
}

/* Fold-in: a new user's ratings, taken in the order given, rank movies; the same history as
 * an existing user's gives that user's scores. */
static void test_seq_fold_in_matches_known_user(void **state) {
    (void) state;
    rg_graph_t g;
    RGT_OK(rgt_graph_planted(&g, 40, 30, 10, 6));
    rg_model_t m;
    train_small(&m, "lstm", &g, 1);
    /* user 0's training history in time order: the planted graph's timestamps increase per user
     * in movie-row order, so sort by ts */
    int32_t u = 0;
    int64_t lo = g.user_ptr[u], d = rg_graph_user_degree(&g, u);
    int32_t *mv = malloc((size_t) d * sizeof *mv);
    float *rt = malloc((size_t) d * sizeof *rt);
    int64_t *ts = malloc((size_t) d * sizeof *ts);
    for (int64_t i = 0; i < d; i++) {
        mv[i] = g.user_adj[lo + i];
        rt[i] = g.rating[lo + i];
        ts[i] = g.ts[lo + i];
    }
    for (int64_t i = 1; i < d; i++) { /* insertion sort by ts (distinct in the planted graph) */
        for (int64_t j = i; j > 0 && ts[j] < ts[j - 1]; j--) {
            int64_t t = ts[j]; ts[j] = ts[j - 1]; ts[j - 1] = t;
            int32_t x = mv[j]; mv[j] = mv[j - 1]; mv[j - 1] = x;
            float y = rt[j]; rt[j] = rt[j - 1]; rt[j - 1] = y;
        }
    }
    float *a = malloc((size_t) g.n_movies * sizeof *a), *b = malloc((size_t) g.n_movies * sizeof *b);
    RGT_OK(m.ops->fold_in(&m, &g, d, mv, rt, a));
    RGT_OK(m.ops->score(&m, &g, u, b));
    for (int64_t j = 0; j < g.n_movies; j++) {
        assert_true(isfinite(a[j]));
        RGT_NEAR(a[j], b[j], 1e-4);
    }
    /* a movie id outside the catalogue is refused */
    mv[0] = (int32_t) g.n_movies;
    assert_int_equal(m.ops->fold_in(&m, &g, d, mv, rt, a), RG_ERANGE);
    free(a);
    free(b);
    free(mv);
    free(rt);
    free(ts);
    rg_model_free(&m);
    rg_graph_free(&g);
}

static void test_seq_rejects_bad_input(void **state) {
    (void) state;
    rg_graph_t g;
    RGT_OK(rgt_graph_planted(&g, 20, 15, 5, 1));
    rg_hparams_t hp;
    seq_hparams(&hp);
    hp.dim = 0;
    rg_model_t m;
    RGT_OK(rg_model_init(&m, rg_model_find("rnn"), &hp, NULL, &g, &g));
    assert_int_equal(m.ops->init(&m, &g), RG_EINVAL);
    assert_non_null(strstr(rg_last_error_message(), "dim"));
    rg_model_free(&m);

    seq_hparams(&hp);
    hp.dropout = 1.0f;
    RGT_OK(rg_model_init(&m, rg_model_find("lstm"), &hp, NULL, &g, &g));
    assert_int_equal(m.ops->init(&m, &g), RG_EINVAL);
    assert_non_null(strstr(rg_last_error_message(), "dropout"));
    rg_model_free(&m);

    train_small(&m, "rnn", &g, 1);
    int32_t users[1] = {(int32_t) g.n_users}, movies[1] = {0};
    float out[1];
    assert_int_equal(m.ops->predict(&m, &g, 1, users, movies, out), RG_ERANGE);
    float *scores = malloc((size_t) g.n_movies * sizeof *scores);
    assert_int_equal(m.ops->score(&m, &g, -1, scores), RG_ERANGE);
    free(scores);
    rg_seqeval_t ev;
    uint8_t *is_test = calloc((size_t) g.n_ratings, 1);
    assert_int_equal(rg_seqeval_rank(&m, &g, &g, is_test, 0, 1, &ev), RG_EINVAL);
    RGT_OK(rg_seqeval_rank(&m, &g, &g, is_test, 10, 1, &ev));
    assert_int_equal(ev.n_users, 0); /* no held-out movie: nobody evaluated */
    free(is_test);
    rg_model_free(&m);
    rg_graph_free(&g);
}

/* Users without timestamps are not evaluated by leave-last-out, and a graph without any
 * timestamp is refused. */
static void test_seqeval_needs_timestamps(void **state) {
    (void) state;
    static const int64_t users[] = {1, 1, 1, 2, 2, 2};
    static const int64_t movies[] = {1, 2, 3, 1, 2, 3};
    static const float ratings[] = {3, 4, 5, 1, 2, 3};
    static const int64_t ts[] = {0, 0, 0, 0, 0, 0};
    rg_graph_t g;
    RGT_OK(rgt_graph_from_triples(&g, 6, users, movies, ratings, ts));
    rg_hparams_t hp;
    seq_hparams(&hp);
    hp.epochs = 1;
    rg_seqeval_report_t rep;
    assert_int_equal(rg_seqeval_leave_last_out(rg_model_find("rnn"), &hp, &g, 10, &rep),
                     RG_EINVAL);
    assert_non_null(strstr(rg_last_error_message(), "timestamp"));
    rg_graph_free(&g);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rnn_learns_planted_next_movie),
        cmocka_unit_test(test_lstm_learns_planted_next_movie),
        cmocka_unit_test(test_seq_models_beat_biases_on_planted_ratings),
        cmocka_unit_test(test_seq_training_is_deterministic),
        cmocka_unit_test(test_seq_fold_in_matches_known_user),
        cmocka_unit_test(test_seq_rejects_bad_input),
        cmocka_unit_test(test_seqeval_needs_timestamps),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
