/* cmd_eval.c: `reelgraph eval MODEL [GRAPH]`: rating and top-N metrics of a saved model on the
 * held-out ratings.  By default the model's own split is rebuilt on the graph it was trained on,
 * which reproduces the test set of `train`; split flags evaluate on another split instead. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "train_common.h"

#define CMD "eval"

/* --protocol next-item: the model and a popularity ranking on the model's own split. */
static int eval_next_item(rg_model_t *m, const rg_graph_t *full, const rg_graph_t *train,
                          const uint8_t *is_test, int32_t k, int json) {
    rg_seqeval_t ev, pop_ev;
    rg_error_t rc;
    if (m->split.kind != RG_SPLIT_TEMPORAL || m->split.last_k != 1) {
        fprintf(stderr, "reelgraph %s: note: next-item is defined on a temporal:1 split; this "
                "model's split differs, so each user's earliest test rating is the target\n",
                CMD);
    }
    if ((rc = rg_seqeval_rank(m, full, train, is_test, k, m->hp.n_threads, &ev)) != RG_SUCCESS) {
        return cli_fail(CMD, rc);
    }
    if ((rc = rg_seqeval_popularity(full, train, is_test, &m->split, k, m->hp.seed,
                                    m->hp.n_threads, &pop_ev)) != RG_SUCCESS) {
        return cli_fail(CMD, rc);
    }
    if (json) {
        json_t j;
        json_init(&j, stdout);
        json_object_begin(&j);
        json_key(&j, "model");
        json_str(&j, m->ops->name);
        json_key(&j, "protocol");
        json_str(&j, "next-item");
        json_key(&j, "k");
        json_int(&j, k);
        json_key(&j, "users");
        json_int(&j, ev.n_users);
        json_key(&j, "hit_rate_at_k");
        json_num(&j, ev.hit_rate);
        json_key(&j, "ndcg_at_k");
        json_num(&j, ev.ndcg);
        json_key(&j, "mean_rank");
        json_num(&j, ev.mean_rank);
        json_key(&j, "popularity");
        json_object_begin(&j);
        json_key(&j, "hit_rate_at_k");
        json_num(&j, pop_ev.hit_rate);
        json_key(&j, "ndcg_at_k");
        json_num(&j, pop_ev.ndcg);
        json_key(&j, "mean_rank");
        json_num(&j, pop_ev.mean_rank);
        json_object_end(&j);
        json_object_end(&j);
        json_finish(&j);
    } else {
        printf("next-item over %lld users: HR@%d %.4f  NDCG@%d %.4f  mean rank %.1f\n",
               (long long) ev.n_users, (int) k, ev.hit_rate, (int) k, ev.ndcg, ev.mean_rank);
        printf("popularity:              HR@%d %.4f  NDCG@%d %.4f  mean rank %.1f\n", (int) k,
               pop_ev.hit_rate, (int) k, pop_ev.ndcg, pop_ev.mean_rank);
    }
    return RG_EXIT_OK;
}

static void usage(FILE *f) {
    fprintf(f,
            "usage: reelgraph eval MODEL [GRAPH] [options]\n\n"
            "Rating metrics (RMSE, MAE, MSE; predictions clipped to the scale) and top-N metrics\n"
            "(for each test user, every movie not rated in training is ranked; relevant = test\n"
            "movies rated >= 4 on a 1-5 scale): precision, recall, NDCG, hit rate, MAP at k,\n"
            "catalogue coverage.  GRAPH defaults to the snapshot the model was trained on, and\n"
            "the test set to the model's own split.\n\n"
            "options:\n"
            "  -k K                 cut-off of the top-N metrics (10)\n"
            "  --protocol P         ratings (default): the metrics above; next-item: the\n"
            "                       leave-last-out next-movie protocol (train the model with\n"
            "                       --split temporal:1): for each user the held-out movie's rank\n"
            "                       among all movies unrated in training, HR@k and NDCG@k, next to\n"
            "                       a popularity ranking on the same split\n"
            "  --threads N          worker threads, 0 = all cores (the model's setting)\n"
            "  --json               print one JSON object on stdout\n\n");
    fprintf(f, "override the split (only to evaluate on another test set; a test set that\n"
               "overlaps the model's training ratings gives optimistic figures):\n");
    tc_split_usage(f);
}

int cmd_eval(int argc, char **argv) {
    const char *model_path = NULL, *graph_path = NULL;
    int json = 0, code = RG_EXIT_OK, threads_given = 0, next_item = 0;
    int32_t k = 10, threads = 0;
    tc_split_opts_t so;
    rg_model_t m;
    rg_graph_t full, train;
    uint8_t *is_test = NULL;
    rg_error_t rc;
    memset(&m, 0, sizeof m);
    memset(&full, 0, sizeof full);
    memset(&train, 0, sizeof train);
    tc_split_opts_init(&so);

    for (int i = 1; i < argc; i++) {
        const char *v = NULL;
        int r;
        if (cli_is_help(argv[i])) {
            usage(stdout);
            return RG_EXIT_OK;
        }
        if ((r = tc_parse_split_opt(CMD, argc, argv, &i, &so)) != 0) {
            if (r < 0) {
                return RG_EXIT_USAGE;
            }
        } else if ((r = cli_opt(CMD, argc, argv, &i, "-k", &v)) != 0) {
            if (r < 0 || cli_parse_i32(CMD, "-k", v, 1, 1000000, &k) != 0) {
                return RG_EXIT_USAGE;
            }
        } else if ((r = cli_opt(CMD, argc, argv, &i, "--threads", &v)) != 0) {
            if (r < 0 || cli_parse_i32(CMD, "--threads", v, 0, 4096, &threads) != 0) {
                return RG_EXIT_USAGE;
            }
            threads_given = 1;
        } else if ((r = cli_opt(CMD, argc, argv, &i, "--protocol", &v)) != 0) {
            if (r < 0) {
                return RG_EXIT_USAGE;
            }
            if (!strcmp(v, "next-item")) {
                next_item = 1;
            } else if (strcmp(v, "ratings") != 0) {
                return cli_usage_error(CMD, "--protocol %s: expected ratings or next-item", v);
            }
        } else if (cli_flag(argv, i, "--json")) {
            json = 1;
        } else if (argv[i][0] == '-' && argv[i][1] != '\0') {
            return cli_usage_error(CMD, "unknown option %s", argv[i]);
        } else if (!model_path) {
            model_path = argv[i];
        } else if (!graph_path) {
            graph_path = argv[i];
        } else {
            return cli_usage_error(CMD, "unexpected argument %s", argv[i]);
        }
    }
    if (!model_path) {
        return cli_usage_error(CMD, "missing MODEL (a file written by 'reelgraph train')");
    }
    if ((rc = rg_model_load(&m, model_path)) != RG_SUCCESS) {
        return cli_fail(CMD, rc);
    }
    if (!graph_path) {
        graph_path = m.graph_path;
    }
    if (threads_given) {
        m.hp.n_threads = threads;
    }
    if (tc_split_given(&so)) {
        rg_split_spec_t spec;
        if (tc_split_spec(CMD, &so, &spec) != 0) {
            code = RG_EXIT_USAGE;
            goto done;
        }
        m.split = spec;
    } else if (so.seed_given) {
        fprintf(stderr, "reelgraph %s: note: --seed without --split/--test-file is ignored; the "
                "model's own split (and seed) is used\n", CMD);
    }
    if ((rc = rg_snapshot_load(&full, graph_path)) != RG_SUCCESS) {
        code = cli_fail(CMD, rc);
        goto done;
    }
    if ((code = tc_model_split(CMD, &m, &full, &train, &is_test)) != RG_EXIT_OK) {
        goto done;
    }
    if (next_item) {
        code = eval_next_item(&m, &full, &train, is_test, k, json);
        goto done;
    }
    rg_metrics_t mt;
    double t0 = cli_now();
    if ((rc = rg_evaluate(&m, &full, &train, is_test, k, &mt)) != RG_SUCCESS) {
        code = cli_fail(CMD, rc);
        goto done;
    }
    double seconds = cli_now() - t0;
    char split_text[1100];
    rg_split_describe(&m.split, split_text, sizeof split_text);
    if (mt.n_test == 0) {
        fprintf(stderr, "reelgraph %s: note: the split '%s' holds out no ratings; metrics are "
                "null\n", CMD, split_text);
    }
    if (json) {
        json_t j;
        json_init(&j, stdout);
        json_object_begin(&j);
        json_key(&j, "model");
        json_str(&j, m.ops->name);
        tc_json_metrics(&j, &mt);
        tc_json_report(&j, &m);
        json_key(&j, "split");
        json_str(&j, split_text);
        json_key(&j, "graph");
        json_str(&j, graph_path);
        json_key(&j, "eval_seconds");
        json_num(&j, seconds);
        json_object_end(&j);
        json_finish(&j);
    } else {
        printf("model %s (%s) on %s, split %s\n", m.ops->name, model_path, graph_path,
               split_text);
        tc_print_metrics(stdout, &mt);
        tc_print_report(stdout, &m);
    }
done:
    rg_model_free(&m);
    rg_graph_free(&train);
    rg_graph_free(&full);
    free(is_test);
    return code;
}
