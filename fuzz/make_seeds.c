/* make_seeds.c: writes the binary and synthetic seed inputs of the fuzz corpora, all made by the
 * project itself (no MovieLens files):
 *   OUT/snapshot/   snapshots of the small fuzz graph and of each tests/data fixture dataset
 *   OUT/model/      one model file per kind, trained for a couple of epochs on the fuzz graph
 *   OUT/synth-ml1m/, OUT/synth-latest/   tiny synthetic datasets (rg_synth_write)
 * fuzz/make_seeds.sh copies these and the text fixtures into one directory per harness.
 * usage: make_seeds OUT REPO_ROOT */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz_fixed.h"
#include "reelgraph/reelgraph.h"

static int fail(const char *what) {
    fprintf(stderr, "make_seeds: %s: %s\n", what, rg_last_error_message());
    return 1;
}

static int train_and_save(const rg_graph_t *g, const rg_model_ops_t *ops, const char *path) {
    rg_hparams_t hp;
    rg_model_t m;
    rg_trainer_t t;
    rg_split_spec_t split;
    int done = 0, bad = 0;
    memset(&split, 0, sizeof split);
    memset(&t, 0, sizeof t);
    rg_hparams_init(&hp);
    hp.epochs = 2;
    hp.dim = 4;
    hp.k = 5;
    hp.batch = 16;
    hp.steps = 1;
    hp.window = 4;
    hp.fanout[0] = 3;
    hp.fanout[1] = 2;
    hp.n_threads = 1;
    if (rg_model_init(&m, ops, &hp, &split, g, g) != RG_SUCCESS ||
        rg_trainer_init(&t, &m, g) != RG_SUCCESS) {
        bad = 1;
    }
    while (!bad && !done) {
        bad = rg_trainer_step(&t, &done) != RG_SUCCESS;
    }
    if (!bad) {
        bad = rg_trainer_finish(&t) != RG_SUCCESS || rg_model_save(&m, path) != RG_SUCCESS;
    }
    if (bad) {
        fprintf(stderr, "make_seeds: model %s: %s (skipped)\n", ops->name,
                rg_last_error_message());
    }
    rg_trainer_free(&t);
    rg_model_free(&m);
    return bad;
}

int main(int argc, char **argv) {
    char path[4096], sub[4096];
    if (argc != 3) {
        fprintf(stderr, "usage: make_seeds OUT REPO_ROOT\n");
        return 2;
    }
    const char *out = argv[1], *root = argv[2];
    const char *dirs[] = {"snapshot", "model", "synth-ml1m", "synth-latest"};
    mkdir(out, 0755);
    for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
        snprintf(path, sizeof path, "%s/%s", out, dirs[i]);
        if (mkdir(path, 0755) != 0 && errno != EEXIST) {
            perror(path);
            return 1;
        }
    }

    rg_graph_t g;
    if (rgf_small_graph(&g) != RG_SUCCESS) {
        return fail("small graph");
    }
    snprintf(path, sizeof path, "%s/snapshot/small.rg", out);
    if (rg_snapshot_write(&g, path) != RG_SUCCESS) {
        return fail(path);
    }
    const char *fixtures[] = {"ml-100k-mini", "ml-1m-mini", "ml-latest-mini"};
    for (size_t i = 0; i < 3; i++) {
        rg_dataset_t d;
        rg_graph_t fg;
        rg_dataset_init(&d);
        snprintf(sub, sizeof sub, "%s/tests/data/%s", root, fixtures[i]);
        if (rg_dataset_read(&d, sub, NULL) != RG_SUCCESS || rg_graph_build(&fg, &d, NULL) != 0) {
            rg_dataset_free(&d);
            return fail(sub);
        }
        rg_dataset_free(&d);
        snprintf(path, sizeof path, "%s/snapshot/%s.rg", out, fixtures[i]);
        if (rg_snapshot_write(&fg, path) != RG_SUCCESS) {
            return fail(path);
        }
        rg_graph_free(&fg);
    }

    const rg_model_ops_t *const *all = rg_model_list();
    int n_models = 0;
    for (int i = 0; all[i]; i++) {
        snprintf(path, sizeof path, "%s/model/%s.rgm", out, all[i]->name);
        n_models += train_and_save(&g, all[i], path) == 0;
    }
    rg_graph_free(&g);
    if (n_models == 0) {
        return fail("no model kind could be trained");
    }

    rg_synth_opts_t so;
    rg_synth_opts_default(&so);
    so.n_users = 12;
    so.n_movies = 15;
    so.n_ratings = 80;
    so.seed = 7;
    so.format = RG_FORMAT_ML1M;
    snprintf(path, sizeof path, "%s/synth-ml1m", out);
    if (rg_synth_write(path, &so, NULL) != RG_SUCCESS) {
        return fail(path);
    }
    so.format = RG_FORMAT_MLLATEST;
    snprintf(path, sizeof path, "%s/synth-latest", out);
    if (rg_synth_write(path, &so, NULL) != RG_SUCCESS) {
        return fail(path);
    }
    printf("make_seeds: 4 snapshots, %d models, 2 synthetic datasets in %s\n", n_models, out);
    return 0;
}
