/* seq_nextitem.c: accuracy and training time of the sequence models `rnn` and `lstm`, through
 * the public API.
 *
 *   seq_nextitem DATA_DIR [--models rnn,lstm] [--ml1m | --only-ml1m] [--threads T] [--seed S]
 *                [--next-alpha A] [--next-negatives K]
 *
 * DATA_DIR holds ml-100k/ (and ml-1m/ with --ml1m).  For each model it prints:
 *   - ML-100K u1.base -> u1.test: RMSE / MAE (clipped predictions), training time (wall, CPU);
 *   - ML-100K leave-last-out by time (seqeval.h): HR@10 and NDCG@10 over all unrated movies,
 *     next to the popularity ranking on the same split;
 *   - with --ml1m, ML-1M random 90/10: RMSE and training time (users 3000-6040 of the
 *     reconstruction have no timestamps: trained as bags, see src/models/seqdata.h), and ML-1M
 *     leave-last-out over the users with timestamps.
 * The rating runs use the models' defaults.  The next-movie runs use the defaults with the
 * next-movie loss weight alpha = 1 and 256 sampled negatives (--next-alpha, --next-negatives):
 * chosen on ML-100K with the same protocol one step earlier (hold out each user's last rating,
 * then evaluate on his second-to-last): HR@10 0.069 / 0.143 / 0.149 / 0.141 for alpha 0.1 / 0.5 /
 * 1 / 2 (rnn), popularity 0.064.  Peak resident memory is printed at the end.
 * Times on a loaded machine are inflated: read the CPU column. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "reelgraph/reelgraph.h"
#include "reelgraph/seqeval.h"

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double) ts.tv_sec + 1e-9 * (double) ts.tv_nsec;
}

static double cpu_now(void) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double) ru.ru_utime.tv_sec + 1e-6 * (double) ru.ru_utime.tv_usec +
           (double) ru.ru_stime.tv_sec + 1e-6 * (double) ru.ru_stime.tv_usec;
}

static int fail(const char *what) {
    fprintf(stderr, "seq_nextitem: %s: %s\n", what, rg_last_error_message());
    return 2;
}

static int load(const char *dir, const char *sub, rg_graph_t *g) {
    char path[2048];
    snprintf(path, sizeof path, "%s/%s", dir, sub);
    rg_dataset_t d;
    rg_read_opts_t o;
    rg_dataset_init(&d);
    rg_read_opts_default(&o);
    if (rg_dataset_read(&d, path, &o) != RG_SUCCESS) {
        return fail(path);
    }
    rg_error_t rc = rg_graph_build(g, &d, NULL);
    rg_dataset_free(&d);
    return rc == RG_SUCCESS ? 0 : fail("graph build");
}

/* Trains `name` with its defaults on full minus the split's test ratings and prints the rating
 * metrics. */
static int rating_run(const char *label, const char *name, const rg_graph_t *full,
                      rg_split_spec_t *sp, const rg_hparams_t *hp) {
    int ret = 2;
    uint8_t *is_test = malloc((size_t) full->n_ratings), *keep = malloc((size_t) full->n_ratings);
    rg_graph_t train;
    rg_model_t m;
    rg_trainer_t t;
    memset(&train, 0, sizeof train);
    memset(&m, 0, sizeof m);
    memset(&t, 0, sizeof t);
    if (!is_test || !keep) {
        fprintf(stderr, "seq_nextitem: out of memory\n");
        goto done;
    }
    if (rg_split_apply(full, sp, is_test, NULL) != RG_SUCCESS) {
        ret = fail("split");
        goto done;
    }
    for (int64_t e = 0; e < full->n_ratings; e++) {
        keep[e] = (uint8_t) !is_test[e];
    }
    if (rg_graph_filter(&train, full, keep, NULL) != RG_SUCCESS ||
        rg_model_init(&m, rg_model_find(name), hp, sp, full, &train) != RG_SUCCESS) {
        ret = fail("model init");
        goto done;
    }
    double w0 = now(), c0 = cpu_now();
    int stop = 0;
    if (rg_trainer_init(&t, &m, &train) != RG_SUCCESS) {
        ret = fail("trainer init");
        goto done;
    }
    while (!stop) {
        if (rg_trainer_step(&t, &stop) != RG_SUCCESS) {
            ret = fail("epoch");
            goto done;
        }
    }
    if (rg_trainer_finish(&t) != RG_SUCCESS) {
        ret = fail("finish");
        goto done;
    }
    double wall = now() - w0, cpu = cpu_now() - c0;
    rg_metrics_t met;
    if (rg_evaluate(&m, full, &train, is_test, 10, &met) != RG_SUCCESS) {
        ret = fail("evaluate");
        goto done;
    }
    printf("%-22s %-5s rmse %.4f mae %.4f  epochs %d (dim %d)  train %.1f s wall, %.1f s cpu\n",
           label, name, met.rmse, met.mae, (int) m.n_history, (int) m.hp.dim, wall, cpu);
    fflush(stdout);
    ret = 0;
done:
    rg_trainer_free(&t);
    rg_model_free(&m);
    rg_graph_free(&train);
    free(is_test);
    free(keep);
    return ret;
}

static int next_item_run(const char *label, const char *name, const rg_graph_t *full,
                         const rg_hparams_t *hp_rating, float alpha, int negatives) {
    rg_seqeval_report_t rep;
    rg_hparams_t hpv = *hp_rating;
    const rg_hparams_t *hp = &hpv;
    hpv.alpha = alpha;
    hpv.negatives = negatives;
    double c0 = cpu_now();
    if (rg_seqeval_leave_last_out(rg_model_find(name), hp, full, 10, &rep) != RG_SUCCESS) {
        return fail("leave-last-out");
    }
    printf("%-22s %-5s HR@10 %.4f NDCG@10 %.4f | popularity HR@10 %.4f NDCG@10 %.4f | %lld users "
           "(%lld without timestamps)  train %.1f s wall, %.1f s cpu (both trainings)\n",
           label, name, rep.model.hit_rate, rep.model.ndcg, rep.pop.hit_rate, rep.pop.ndcg,
           (long long) rep.model.n_users, (long long) rep.n_users_no_time, rep.train_seconds,
           cpu_now() - c0);
    fflush(stdout);
    return 0;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: seq_nextitem DATA_DIR [--models rnn,lstm] [--ml1m] [--threads T] "
                "[--seed S]\n");
        return 1;
    }
    const char *dir = argv[1];
    char models[256] = "rnn,lstm";
    int ml1m = 0, ml100k = 1, next_negatives = 256;
    float next_alpha = 1.0f;
    rg_hparams_t hp;
    rg_hparams_init(&hp);
    for (int i = 2; i < argc; i++) {
        if (!strcmp(argv[i], "--ml1m")) {
            ml1m = 1;
        } else if (!strcmp(argv[i], "--only-ml1m")) {
            ml1m = 1;
            ml100k = 0;
        } else if (!strcmp(argv[i], "--models") && i + 1 < argc) {
            snprintf(models, sizeof models, "%s", argv[++i]);
        } else if (!strcmp(argv[i], "--threads") && i + 1 < argc) {
            hp.n_threads = atoi(argv[++i]);
        } else if (!strcmp(argv[i], "--next-alpha") && i + 1 < argc) {
            next_alpha = (float) atof(argv[++i]);
        } else if (!strcmp(argv[i], "--next-negatives") && i + 1 < argc) {
            next_negatives = atoi(argv[++i]);
        } else if (!strcmp(argv[i], "--seed") && i + 1 < argc) {
            hp.seed = strtoull(argv[++i], NULL, 10);
        } else {
            fprintf(stderr, "seq_nextitem: unknown argument %s\n", argv[i]);
            return 1;
        }
    }
    rg_graph_t g100;
    if (load(dir, "ml-100k", &g100)) {
        return 2;
    }
    for (char *name = strtok(models, ","); name; name = strtok(NULL, ",")) {
        if (rg_model_find(name) == NULL) {
            fprintf(stderr, "seq_nextitem: unknown model %s\n", name);
            return 1;
        }
        rg_split_spec_t sp;
        memset(&sp, 0, sizeof sp);
        sp.kind = RG_SPLIT_FILE;
        snprintf(sp.path, sizeof sp.path, "%s/ml-100k/u1.test", dir);
        sp.seed = hp.seed;
        if (ml100k && (rating_run("ml-100k u1.test", name, &g100, &sp, &hp) ||
            next_item_run("ml-100k leave-last-out", name, &g100, &hp, next_alpha,
                          next_negatives))) {
            return 2;
        }
        if (ml1m) {
            rg_graph_t g1m;
            if (load(dir, "ml-1m", &g1m)) {
                return 2;
            }
            rg_split_spec_t sp1;
            memset(&sp1, 0, sizeof sp1);
            if (rg_split_parse(&sp1, "random:0.1") != RG_SUCCESS) {
                return fail("split spec");
            }
            sp1.seed = hp.seed;
            if (rating_run("ml-1m random 90/10", name, &g1m, &sp1, &hp) ||
                next_item_run("ml-1m leave-last-out", name, &g1m, &hp, next_alpha,
                              next_negatives)) {
                return 2;
            }
            rg_graph_free(&g1m);
        }
    }
    rg_graph_free(&g100);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("peak resident memory %.1f MB\n", (double) ru.ru_maxrss / 1024.0);
    return 0;
}
