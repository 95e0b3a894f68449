/* bench_content.c: accuracy and training time of the autoencoder, content and hybrid models
 * (or any other kind) on a MovieLens release, through the public API only.
 *
 *   bench_content DATASET_DIR MODEL (--test-file FILE | --random FRACTION) [--seed S]
 *                 [--epochs N] [--dim D] [--lr X] [--threads T]
 *
 * Prints one line per run: the model, train seconds (wall and CPU), test RMSE / MAE (clipped predictions),
 * and per kind the extra figures: autoencoder held-out reconstruction MSE next to the
 * genre-frequency baseline, hybrid blend weights and each part's validation RMSE. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "reelgraph/reelgraph.h"

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double) ts.tv_sec + 1e-9 * (double) ts.tv_nsec;
}

/* CPU seconds of this process (user + system, all threads): the figure that matters on a
 * machine shared with other jobs, where wall time is inflated. */
static double cpu_now(void) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double) ru.ru_utime.tv_sec + 1e-6 * (double) ru.ru_utime.tv_usec +
           (double) ru.ru_stime.tv_sec + 1e-6 * (double) ru.ru_stime.tv_usec;
}

static int fail(const char *what) {
    fprintf(stderr, "bench_content: %s: %s\n", what, rg_last_error_message());
    return 2;
}

static void print_row(const rg_model_t *m, const char *name) {
    const rg_tensor_t *t = rg_model_tensor(m, name);
    const float *x = rg_model_f32(m, name);
    if (t == NULL || x == NULL) {
        return;
    }
    printf("  %s:", name);
    for (int64_t i = 0; i < t->rows * t->cols; i++) {
        printf(" %.4f", (double) x[i]);
    }
    printf("\n");
}

int main(int argc, char **argv) {
    if (argc < 5) {
        fprintf(stderr, "usage: %s DATASET_DIR MODEL (--test-file F | --random FRAC) "
                "[--seed S] [--epochs N] [--dim D] [--lr X] [--threads T]\n", argv[0]);
        return 1;
    }
    rg_dataset_t d;
    rg_graph_t full, train;
    rg_model_t m;
    rg_trainer_t t;
    rg_read_opts_t ro;
    rg_hparams_t hp;
    rg_split_spec_t split;
    rg_metrics_t met;
    memset(&full, 0, sizeof full);
    memset(&train, 0, sizeof train);
    memset(&m, 0, sizeof m);
    memset(&t, 0, sizeof t);
    memset(&split, 0, sizeof split);
    rg_hparams_init(&hp);
    const rg_model_ops_t *ops = rg_model_find(argv[2]);
    if (ops == NULL) {
        fprintf(stderr, "bench_content: unknown model %s\n", argv[2]);
        return 1;
    }
    for (int i = 3; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--test-file")) {
            split.kind = RG_SPLIT_FILE;
            snprintf(split.path, sizeof split.path, "%s", argv[i + 1]);
        } else if (!strcmp(argv[i], "--random")) {
            split.kind = RG_SPLIT_RANDOM;
            split.fraction = atof(argv[i + 1]);
        } else if (!strcmp(argv[i], "--seed")) {
            hp.seed = strtoull(argv[i + 1], NULL, 10);
        } else if (!strcmp(argv[i], "--epochs")) {
            hp.epochs = atoi(argv[i + 1]);
        } else if (!strcmp(argv[i], "--dim")) {
            hp.dim = atoi(argv[i + 1]);
        } else if (!strcmp(argv[i], "--lr")) {
            hp.lr = (float) atof(argv[i + 1]);
        } else if (!strcmp(argv[i], "--threads")) {
            hp.n_threads = atoi(argv[i + 1]);
        } else {
            fprintf(stderr, "bench_content: unknown option %s\n", argv[i]);
            return 1;
        }
    }
    split.seed = hp.seed;
    rg_dataset_init(&d);
    rg_read_opts_default(&ro);
    if (rg_dataset_read(&d, argv[1], &ro) || rg_graph_build(&full, &d, NULL)) {
        return fail(argv[1]);
    }
    rg_dataset_free(&d);
    uint8_t *is_test = malloc((size_t) full.n_ratings);
    uint8_t *keep = malloc((size_t) full.n_ratings);
    if (!is_test || !keep || rg_split_apply(&full, &split, is_test, NULL)) {
        return fail("split");
    }
    for (int64_t e = 0; e < full.n_ratings; e++) {
        keep[e] = (uint8_t) !is_test[e];
    }
    if (rg_graph_filter(&train, &full, keep, NULL)) {
        return fail("filter");
    }
    double t0 = now(), c0 = cpu_now();
    int done = 0;
    if (rg_model_init(&m, ops, &hp, &split, &full, &train) || rg_trainer_init(&t, &m, &train)) {
        return fail("init");
    }
    while (!done) {
        if (rg_trainer_step(&t, &done)) {
            return fail("epoch");
        }
    }
    if (rg_trainer_finish(&t)) {
        return fail("finish");
    }
    double secs = now() - t0, cpu = cpu_now() - c0;
    if (rg_evaluate(&m, &full, &train, is_test, 10, &met)) {
        return fail("evaluate");
    }
    printf("%s: %d epochs, train %.2f s wall %.2f s CPU, test RMSE %.4f MAE %.4f NDCG@10 %.4f, "
           "last val %.5f\n", argv[2], m.n_history, secs, cpu, met.has_ratings ? met.rmse : NAN,
           met.has_ratings ? met.mae : NAN, met.ndcg,
           m.n_history > 0 ? m.history[m.n_history - 1].val_loss : NAN);
    for (int i = 0; i < m.n_history; i++) {
        printf("  epoch %d: train %.5f val %.5f (%.2f s)\n", i, m.history[i].train_loss,
               m.history[i].val_loss, m.history[i].seconds);
    }
    print_row(&m, "heldout_mse");
    print_row(&m, "blend");
    print_row(&m, "part_val_rmse");
    rg_trainer_free(&t);
    rg_model_free(&m);
    rg_graph_free(&train);
    rg_graph_free(&full);
    free(is_test);
    free(keep);
    return 0;
}
