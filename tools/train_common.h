/* train_common.h: what train, eval and recommend share: the split options, the hyper-parameter
 * options, the model list for --help, building the training graph, and printing metrics. */
#ifndef REELGRAPH_TRAIN_COMMON_H
#define REELGRAPH_TRAIN_COMMON_H

#include <stdint.h>
#include <stdio.h>

#include "cli.h"

typedef struct {
    const char *test_file; /* --test-file PATH */
    const char *split;     /* --split SPEC */
    uint64_t seed;         /* --seed S (42) */
    int seed_given;
} tc_split_opts_t;

void tc_split_opts_init(tc_split_opts_t *so);
/* Matches --test-file, --split, --seed at argv[*i]: 1 matched, 0 not ours, -1 error printed. */
int tc_parse_split_opt(const char *cmd, int argc, char **argv, int *i, tc_split_opts_t *so);
/* Builds the spec (a test file is recorded by its absolute path); -1 after printing an error. */
int tc_split_spec(const char *cmd, const tc_split_opts_t *so, rg_split_spec_t *spec);
int tc_split_given(const tc_split_opts_t *so);
void tc_split_usage(FILE *f);

/* Matches one hyper-parameter option (--epochs, --dim, ..., --threads): 1, 0 or -1. */
int tc_parse_hparam_opt(const char *cmd, int argc, char **argv, int *i, rg_hparams_t *hp);
void tc_models_usage(FILE *f);
/* 0 when path ends in .svg or .png. */
int tc_plot_ext_ok(const char *path);

/* train = full without the test ratings. */
rg_error_t tc_train_graph(const rg_graph_t *full, const uint8_t *is_test, rg_graph_t *train);
/* For a loaded model m and the full graph: allocates *is_test (caller frees) and replays the
 * model's split into it and *train (rg_model_prepare: fingerprint check, attach).  Returns
 * RG_EXIT_OK, or the exit code after printing the error as `reelgraph CMD: ...`. */
int tc_model_split(const char *cmd, rg_model_t *m, const rg_graph_t *full, rg_graph_t *train,
                   uint8_t **is_test);

/* Keys rmse, mae, mse (null for rankers or without test ratings), n_test, k, precision_at_k,
 * recall_at_k, ndcg_at_k, hit_rate_at_k, map_at_k, coverage, users_ranked. */
void tc_json_metrics(json_t *j, const rg_metrics_t *mt);
void tc_print_metrics(FILE *f, const rg_metrics_t *mt);
/* The model's report tensors (ops->report): JSON key "report" {name: [values]} / text lines. */
void tc_json_report(json_t *j, const rg_model_t *m);
void tc_print_report(FILE *f, const rg_model_t *m);
/* "params": the hyper-parameters the model resolved (unset ones omitted). */
void tc_json_hparams(json_t *j, const rg_hparams_t *hp);

#endif
