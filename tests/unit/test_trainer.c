/* test_trainer.c: the trainer's validation carve (exact size, disjoint, seeded), early stopping
 * with restoration of the best parameters (driven by a model kind whose validation losses are a
 * script), the per-kind validation default, and the history's CSV and plot outputs. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rg_test.h"

/* ---- a kind whose epoch e sets its one parameter to e and whose validation loss is scripted ---- */

static const double script[] = {1.0, 0.8, 0.7, 0.75, 0.9, 0.95, 0.6, 0.5};
#define N_SCRIPT ((int) (sizeof script / sizeof script[0]))

static int n_attach;

static rg_error_t scripted_init(rg_model_t *m, const rg_graph_t *train) {
    (void) train;
    rg_hp_default_i(&m->hp.epochs, N_SCRIPT);
    RG_CHECK(rg_model_declare(m, "epoch", RG_DTYPE_F32, 1, 1));
    return rg_model_alloc(m);
}
static rg_error_t scripted_epoch(rg_model_t *m, const rg_graph_t *train, int epoch,
                                 double *loss) {
    (void) train;
    m->params[0] = (float) epoch;
    *loss = 10.0 - epoch;
    return RG_SUCCESS;
}
static rg_error_t scripted_val(const rg_model_t *m, const rg_graph_t *fit, int64_t n,
                               const int32_t *users, const int32_t *movies, const float *ratings,
                               double *loss) {
    (void) fit;
    (void) n;
    (void) users;
    (void) movies;
    (void) ratings;
    *loss = script[(int) m->params[0]];
    return RG_SUCCESS;
}
static rg_error_t scripted_attach(rg_model_t *m, const rg_graph_t *train) {
    (void) m;
    (void) train;
    n_attach++;
    return RG_SUCCESS;
}
static const rg_model_ops_t scripted_ops = {
    .name = "scripted",
    .summary = "test fixture",
    .predicts_ratings = 1,
    .init = scripted_init,
    .epoch = scripted_epoch,
    .attach = scripted_attach,
    .val_loss = scripted_val,
};

static void run(rg_model_t *m, rg_trainer_t *t, const rg_graph_t *g, int patience,
                float val_fraction) {
    rg_hparams_t hp;
    int done = 0;
    rg_hparams_init(&hp);
    hp.patience = patience;
    hp.val_fraction = val_fraction;
    RGT_OK(rg_model_init(m, &scripted_ops, &hp, NULL, g, g));
    RGT_OK(rg_trainer_init(t, m, g));
    while (!done) {
        RGT_OK(rg_trainer_step(t, &done));
    }
    RGT_OK(rg_trainer_finish(t));
}

static void test_early_stopping_restores_best(void **state) {
    (void) state;
    rg_graph_t g;
    rg_model_t m;
    rg_trainer_t t;
    RGT_OK(rgt_graph_planted(&g, 30, 20, 8, 1));
    n_attach = 0;
    run(&m, &t, &g, 2, 0.1f);
    /* best 0.7 at epoch 2; epochs 3 and 4 do not improve: stop after 5 epochs */
    assert_int_equal(m.n_history, 5);
    assert_int_equal(t.best_epoch, 2);
    RGT_NEAR(t.best_val, 0.7, 0);
    RGT_NEAR(m.params[0], 2.0, 0); /* the best epoch's parameters, not the last ones */
    for (int e = 0; e < 5; e++) {
        RGT_NEAR(m.history[e].val_loss, script[e], 0);
        RGT_NEAR(m.history[e].train_loss, 10.0 - e, 0);
        assert_true(m.history[e].seconds >= 0.0);
    }
    assert_int_equal(n_attach, 1); /* val_loss given: attach only at the end */
    rg_trainer_free(&t);
    rg_model_free(&m);
    /* without patience every epoch runs and the last parameters stay */
    run(&m, &t, &g, 0, 0.1f);
    assert_int_equal(m.n_history, N_SCRIPT);
    RGT_NEAR(m.params[0], N_SCRIPT - 1, 0);
    assert_int_equal(t.best_epoch, N_SCRIPT - 1);
    rg_trainer_free(&t);
    rg_model_free(&m);
    /* without a validation set there is nothing to stop on */
    run(&m, &t, &g, 2, 0.0f);
    assert_int_equal(m.n_history, N_SCRIPT);
    assert_true(isnan(m.history[0].val_loss));
    assert_int_equal(t.n_val, 0);
    rg_trainer_free(&t);
    rg_model_free(&m);
    rg_graph_free(&g);
}

static void test_validation_carve(void **state) {
    (void) state;
    rg_graph_t g;
    rg_model_t m1, m2, m3;
    rg_trainer_t t1, t2, t3;
    rg_hparams_t hp;
    RGT_OK(rgt_graph_planted(&g, 50, 40, 12, 2));
    rg_hparams_init(&hp);
    hp.val_fraction = 0.2f;
    RGT_OK(rg_model_init(&m1, &scripted_ops, &hp, NULL, &g, &g));
    RGT_OK(rg_trainer_init(&t1, &m1, &g));
    assert_int_equal(t1.n_val, llround(0.2 * (double) g.n_ratings));
    assert_int_equal(t1.fit.n_ratings + t1.n_val, g.n_ratings);
    /* every validation rating is a training rating missing from fit */
    for (int64_t i = 0; i < t1.n_val; i++) {
        int64_t e = rg_graph_edge(&g, t1.val_users[i], t1.val_movies[i]);
        assert_true(e >= 0);
        RGT_NEAR(g.rating[e], t1.val_ratings[i], 0);
        assert_int_equal(rg_graph_edge(&t1.fit, t1.val_users[i], t1.val_movies[i]), -1);
    }
    /* the same seed carves the same set, another seed another one */
    RGT_OK(rg_model_init(&m2, &scripted_ops, &hp, NULL, &g, &g));
    RGT_OK(rg_trainer_init(&t2, &m2, &g));
    assert_int_equal(t2.n_val, t1.n_val);
    assert_memory_equal(t1.val_users, t2.val_users, (size_t) t1.n_val * sizeof(int32_t));
    assert_memory_equal(t1.val_movies, t2.val_movies, (size_t) t1.n_val * sizeof(int32_t));
    hp.seed = 43;
    RGT_OK(rg_model_init(&m3, &scripted_ops, &hp, NULL, &g, &g));
    RGT_OK(rg_trainer_init(&t3, &m3, &g));
    assert_true(memcmp(t1.val_movies, t3.val_movies, (size_t) t1.n_val * sizeof(int32_t)) != 0 ||
                memcmp(t1.val_users, t3.val_users, (size_t) t1.n_val * sizeof(int32_t)) != 0);
    rg_trainer_free(&t1);
    rg_trainer_free(&t2);
    rg_trainer_free(&t3);
    rg_trainer_free(&t3); /* free is idempotent */
    rg_model_free(&m1);
    rg_model_free(&m2);
    rg_model_free(&m3);
    /* bad fraction */
    hp.val_fraction = 1.5f;
    RGT_OK(rg_model_init(&m1, &scripted_ops, &hp, NULL, &g, &g));
    assert_int_equal(rg_trainer_init(&t1, &m1, &g), RG_EINVAL);
    assert_non_null(strstr(rg_last_error_message(), "validation fraction"));
    rg_model_free(&m1);
    rg_graph_free(&g);
}

static void test_validation_defaults_per_kind(void **state) {
    (void) state;
    rg_graph_t g;
    rg_model_t m;
    rg_trainer_t t;
    rg_hparams_t hp;
    RGT_OK(rgt_graph_planted(&g, 50, 40, 12, 2));
    rg_hparams_init(&hp);
    /* the scripted kind leaves the default to the trainer: 5% */
    RGT_OK(rg_model_init(&m, &scripted_ops, &hp, NULL, &g, &g));
    RGT_OK(rg_trainer_init(&t, &m, &g));
    RGT_NEAR(m.hp.val_fraction, 0.05, 1e-7);
    assert_int_equal(t.n_val, llround(0.05 * (double) g.n_ratings));
    rg_trainer_free(&t);
    rg_model_free(&m);
    /* bias asks for none: it fits every training rating */
    RGT_OK(rg_model_init(&m, rg_model_find("bias"), &hp, NULL, &g, &g));
    RGT_OK(rg_trainer_init(&t, &m, &g));
    RGT_NEAR(m.hp.val_fraction, 0.0, 0);
    assert_int_equal(t.n_val, 0);
    rg_trainer_free(&t);
    rg_model_free(&m);
    rg_graph_free(&g);
}

/* ---- outputs ---- */

static void test_history_csv_and_plots(void **state) {
    (void) state;
    rg_graph_t g;
    rg_model_t m;
    rg_trainer_t t;
    char csv[512], svg[512], png[512], bad[512];
    RGT_OK(rgt_graph_planted(&g, 30, 20, 8, 1));
    run(&m, &t, &g, 0, 0.1f);
    m.history[3].val_loss = NAN; /* a missing value is written as an empty field */
    RGT_OK(rg_history_write_csv(&m, rgt_tmp_path(csv, sizeof csv, "h.csv")));
    FILE *f = fopen(csv, "r");
    char line[256];
    int n = 0;
    assert_non_null(fgets(line, sizeof line, f));
    assert_string_equal(line, "epoch,train_loss,val_loss,seconds\n");
    while (fgets(line, sizeof line, f)) {
        int e;
        double tl;
        assert_int_equal(sscanf(line, "%d,%lf,", &e, &tl), 2);
        assert_int_equal(e, n + 1);
        RGT_NEAR(tl, 10.0 - n, 1e-9);
        if (n == 3) {
            assert_non_null(strstr(line, ",,"));
        }
        n++;
    }
    fclose(f);
    assert_int_equal(n, N_SCRIPT);

    RGT_OK(rg_history_plot(&m, rgt_tmp_path(svg, sizeof svg, "h.svg")));
    RGT_OK(rg_history_plot(&m, rgt_tmp_path(png, sizeof png, "h.png")));
    f = fopen(svg, "r");
    char head[4096];
    size_t k = fread(head, 1, sizeof head - 1, f);
    head[k] = '\0';
    fclose(f);
    assert_non_null(strstr(head, "<svg"));
    f = fopen(png, "rb");
    unsigned char sig[8];
    assert_int_equal(fread(sig, 1, 8, f), 8);
    fclose(f);
    assert_memory_equal(sig, "\x89PNG\r\n\x1a\n", 8);
    assert_int_equal(rg_history_plot(&m, rgt_tmp_path(bad, sizeof bad, "h.jpg")), RG_EINVAL);
    assert_non_null(strstr(rg_last_error_message(), ".svg or .png"));
    assert_int_equal(rg_history_write_csv(&m, "/nonexistent-dir/h.csv"), RG_EIO);
    unlink(csv);
    unlink(svg);
    unlink(png);
    rg_trainer_free(&t);
    rg_model_free(&m);
    rg_graph_free(&g);
}

/* Under ASan: fontconfig (loaded by cairo to draw the plot's text) keeps its configuration in
 * process-lifetime caches that LeakSanitizer reports; they are not ours to free. */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void) { return "leak:libfontconfig\n"; }

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_early_stopping_restores_best),
        cmocka_unit_test(test_validation_carve),
        cmocka_unit_test(test_validation_defaults_per_kind),
        cmocka_unit_test(test_history_csv_and_plots),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
