/* test_model_bad_tensors.c: regression test for the model-file hardening of 2026-11-28 (after
 * fuzz_model_attach): a model file with a valid SHA-256 whose tensor table names a tensor
 * differently or gives it fewer rows than the graph needs must be refused by rg_model_prepare
 * (the kind's attach) with RG_EFORMAT and a message naming the tensor, for every kind that has
 * tensors, instead of being read or written out of bounds later (the suite also runs under
 * ASan).  mean has no tensors (its mean is in the header), so it has no case here; knn, mf and
 * bias have their own regression tests. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rg_test.h"

typedef struct {
    const char *kind;
    const char *tensor;   /* altered in the file */
    const char *new_name; /* NULL: keep the name */
    int64_t rows;         /* < 0: keep the rows */
    const char *named;    /* the error message must contain this */
} bad_case_t;

static const bad_case_t CASES[] = {
    {"pop", "movie_pop", NULL, 3, "movie_pop"},
    {"pop", "movie_pop", "movie_pox", -1, "movie_pop"},
    {"rp3b", "movie_pop", NULL, 3, "movie_pop"},
    {"rp3b", "movie_pop", "movie_pox", -1, "movie_pop"},
    {"bpr", "movie_emb", NULL, 3, "movie_emb"},
    {"bpr", "movie_bias", "movie_biax", -1, "movie_bias"},
    {"autoencoder", "movie_emb", NULL, 3, "movie_emb"},
    {"autoencoder", "movie_emb", "movie_emx", -1, "movie_emb"},
    {"content", "movie_bias", NULL, 3, "movie_bias"},
    {"content", "mlp_b2", NULL, 0, "mlp_b2"},
    {"content", "user_emb", "user_emx", -1, "user_emb"},
    {"hybrid", "blend", NULL, 0, "blend"},
    {"hybrid", "part_mean", "part_meax", -1, "part_mean"},
    {"hybrid", "mf/movie_emb", NULL, 3, "movie_emb"},
    {"hybrid", "bias/user_bias", "bias/user_biax", -1, "user_bias"},
    {"rnn", "rate_q", NULL, 3, "rate_q"},
    {"rnn", "cell_wh", "cell_wx2", -1, "cell_wh"},
    {"lstm", "rank_p", NULL, 3, "rank_p"},
    {"lstm", "movie_bias", "movie_biax", -1, "movie_bias"},
    {"ggnn", "mlp_w1", NULL, 3, "mlp_w1"},
    {"ggnn", "gru_bh", "gru_bx2", -1, "gru_bh"},
    {"sage", "sage_b2", NULL, 3, "sage_b2"},
    {"sage", "feat_emb", "feat_emx", -1, "feat_emb"},
};

static void test_altered_tensor_refused(void **state) {
    (void) state;
    rg_graph_t g, train;
    rg_hparams_t hp;
    char path[512];
    RGT_OK(rgt_graph_planted(&g, 30, 20, 8, 11));
    uint8_t *is_test = calloc((size_t) g.n_ratings, 1);
    assert_non_null(is_test);
    rgt_tmp_path(path, sizeof path, "bad-tensor.rgm");
    const char *trained = NULL;
    rg_model_t m;
    memset(&m, 0, sizeof m);
    for (size_t c = 0; c < sizeof CASES / sizeof CASES[0]; c++) {
        const bad_case_t *bc = &CASES[c];
        if (!trained || strcmp(trained, bc->kind) != 0) {
            if (trained) {
                rg_model_free(&m);
            }
            rg_hparams_init(&hp);
            hp.epochs = 2;
            if (strcmp(bc->kind, "hybrid") != 0) {
                hp.dim = 4;
            }
            RGT_OK(rgt_model_train(&m, bc->kind, &hp, &g));
            trained = bc->kind;
        }
        /* the unaltered file loads and prepares: the failure below is the alteration's */
        rg_model_t back;
        RGT_OK(rg_model_save(&m, path));
        RGT_OK(rg_model_load(&back, path));
        RGT_OK(rg_model_prepare(&back, &g, &train, is_test));
        rg_graph_free(&train);
        rg_model_free(&back);

        RGT_OK(rgt_model_save_altered(&m, path, bc->tensor, bc->new_name, bc->rows));
        RGT_OK(rg_model_load(&back, path));
        rg_error_t rc = rg_model_prepare(&back, &g, &train, is_test);
        const char *msg = rg_last_error_message();
        if (rc != RG_EFORMAT || !strstr(msg, bc->named)) {
            print_error("%s with %s %s: expected RG_EFORMAT naming %s, got %d: %s\n", bc->kind,
                        bc->tensor, bc->new_name ? "renamed" : "cut short", bc->named, (int) rc,
                        msg);
        }
        assert_int_equal(rc, RG_EFORMAT);
        assert_non_null(strstr(msg, bc->named));
        rg_model_free(&back);
    }
    rg_model_free(&m);
    free(is_test);
    unlink(path);
    rg_graph_free(&g);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_altered_tensor_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
