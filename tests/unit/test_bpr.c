/* test_bpr.c: BPR matrix factorisation on a graph with planted communities (far above random
 * and above popularity), decreasing training and validation BPR loss, identical parameters for
 * a seed with 1 and 2 threads, fold-in of a new user recovering its community, recommendations never containing a seen
 * movie, and bad hyper-parameters. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cf_community.h"

#define N_GROUPS 3

static void community_split(cf_split_t *s) {
    cf_community_graph(&s->full, 150, 90, N_GROUPS, 20, 0.8, 77);
    cf_split_init(s, "random:0.25", 5);
}

static void test_bpr_learns_communities(void **state) {
    (void) state;
    cf_split_t s;
    rg_model_t bpr, pop;
    rg_hparams_t hp;
    rg_metrics_t m_bpr, m_pop;
    community_split(&s);
    rg_hparams_init(&hp);
    hp.val_fraction = 0.0f;
    hp.dim = 16;
    hp.epochs = 30;
    cf_train(&bpr, "bpr", &hp, &s.full, &s.train);
    rg_hparams_init(&hp);
    hp.val_fraction = 0.0f;
    cf_train(&pop, "pop", &hp, &s.full, &s.train);
    RGT_OK(rg_evaluate(&bpr, &s.full, &s.train, s.is_test, 10, &m_bpr));
    RGT_OK(rg_evaluate(&pop, &s.full, &s.train, s.is_test, 10, &m_pop));
    double p_random = cf_random_precision(&s);
    print_message("P@10 random %.4f pop %.4f bpr %.4f; NDCG@10 pop %.4f bpr %.4f\n", p_random,
                  m_pop.precision, m_bpr.precision, m_pop.ndcg, m_bpr.ndcg);
    assert_false(m_bpr.has_ratings);
    assert_true(m_bpr.precision > 2.5 * p_random);
    assert_true(m_bpr.ndcg > m_pop.ndcg + 0.1);
    rg_model_free(&bpr);
    rg_model_free(&pop);
    cf_split_free(&s);
}

static void test_bpr_losses_decrease_and_threads_reproduce(void **state) {
    (void) state;
    cf_split_t s;
    rg_model_t a, b;
    rg_hparams_t hp;
    community_split(&s);
    rg_hparams_init(&hp);
    hp.val_fraction = 0.1f;
    hp.dim = 16;
    hp.epochs = 30;
    hp.seed = 2385;
    hp.n_threads = 2;
    cf_train(&a, "bpr", &hp, &s.full, &s.train);
    hp.n_threads = 1; /* the blocked schedule makes the result independent of the threads */
    cf_train(&b, "bpr", &hp, &s.full, &s.train);
    assert_int_equal(a.n_history, 30);
    const rg_epoch_record_t *first = &a.history[0], *last = &a.history[a.n_history - 1];
    print_message("BPR loss train %.4f -> %.4f, validation %.4f -> %.4f\n", first->train_loss,
                  last->train_loss, first->val_loss, last->val_loss);
    assert_true(isfinite(first->val_loss) && isfinite(last->val_loss));
    assert_true(last->train_loss < 0.8 * first->train_loss);
    assert_true(last->val_loss < first->val_loss);
    assert_int_equal(a.n_params, b.n_params);
    assert_memory_equal(a.params, b.params, a.n_params * sizeof *a.params);
    rg_model_free(&a);
    rg_model_free(&b);
    cf_split_free(&s);
}

/* A new user who rated movies of community 1 gets community-1 movies first. */
static void test_bpr_fold_in_recovers_community(void **state) {
    (void) state;
    cf_split_t s;
    rg_model_t m;
    rg_hparams_t hp;
    community_split(&s);
    rg_hparams_init(&hp);
    hp.val_fraction = 0.0f;
    hp.dim = 16;
    hp.epochs = 30;
    cf_train(&m, "bpr", &hp, &s.full, &s.train);
    /* movie internal id j has dataset id 500 + j here (every movie is rated), community j % 3 */
    int32_t rated[6] = {1, 4, 7, 10, 13, 16};
    float ratings[6] = {5, 4, 5, 4, 5, 4};
    int32_t movies[10], n_out;
    float scores[10];
    RGT_OK(rg_recommend_fold_in(&m, &s.train, 6, rated, ratings, 10, 0, movies, scores, &n_out));
    assert_int_equal(n_out, 10);
    int in_community = 0;
    for (int a = 0; a < n_out; a++) {
        for (int c = 0; c < 6; c++) {
            assert_true(movies[a] != rated[c]);
        }
        in_community += movies[a] % N_GROUPS == 1;
    }
    print_message("fold-in: %d of 10 recommendations in the user's community\n", in_community);
    assert_true(in_community >= 8);
    rg_model_free(&m);
    cf_split_free(&s);
}

static void test_bpr_recommend_excludes_seen(void **state) {
    (void) state;
    cf_split_t s;
    rg_model_t m;
    rg_hparams_t hp;
    community_split(&s);
    rg_hparams_init(&hp);
    hp.dim = 8;
    hp.epochs = 5;
    cf_train(&m, "bpr", &hp, &s.full, &s.train);
    for (int32_t u = 0; u < (int32_t) s.full.n_users; u += 9) {
        int32_t movies[15], n_out;
        float scores[15];
        RGT_OK(rg_recommend(&m, &s.train, &s.full, u, 15, 0, movies, scores, &n_out));
        assert_true(n_out > 0);
        for (int32_t a = 0; a < n_out; a++) {
            assert_true(rg_graph_edge(&s.full, u, movies[a]) < 0);
        }
    }
    rg_model_free(&m);
    cf_split_free(&s);
}

static void test_bpr_errors(void **state) {
    (void) state;
    rg_graph_t g;
    rg_model_t m;
    rg_hparams_t hp;
    rg_split_spec_t sp;
    rg_trainer_t t;
    RGT_OK(rgt_graph_planted(&g, 12, 9, 4, 6));
    memset(&sp, 0, sizeof sp);
    rg_hparams_init(&hp);
    hp.lr = 0.0f;
    RGT_OK(rg_model_init(&m, rg_model_find("bpr"), &hp, &sp, &g, &g));
    assert_int_equal(rg_trainer_init(&t, &m, &g), RG_EINVAL);
    assert_non_null(strstr(rg_last_error_message(), "lr"));
    rg_model_free(&m);
    rg_hparams_init(&hp);
    hp.epochs = 2;
    cf_train(&m, "bpr", &hp, &g, &g);
    float out[9];
    assert_int_equal(m.ops->score(&m, &g, -1, out), RG_ERANGE);
    assert_null(m.ops->predict);
    rg_model_free(&m);
    rg_graph_free(&g);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bpr_learns_communities),
        cmocka_unit_test(test_bpr_losses_decrease_and_threads_reproduce),
        cmocka_unit_test(test_bpr_fold_in_recovers_community),
        cmocka_unit_test(test_bpr_recommend_excludes_seen),
        cmocka_unit_test(test_bpr_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
