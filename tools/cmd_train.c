/* cmd_train.c: `reelgraph train GRAPH --model NAME -o MODEL`: split the ratings, train a model
 * epoch by epoch (progress on stderr), report rating and top-N metrics on the held-out ratings,
 * save the model file and, on request, the per-epoch curves as CSV and as a plot. */
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "cli.h"
#include "commands.h"
#include "train_common.h"

#define CMD "train"

static void usage(FILE *f) {
    fprintf(f,
            "usage: reelgraph train GRAPH --model NAME -o MODEL [options]\n\n"
            "Trains a model on the training part of GRAPH (a snapshot from 'reelgraph import'),\n"
            "reports per-epoch loss and the test metrics, and writes MODEL (.rgm).\n\n"
            "required:\n"
            "  --model NAME         model kind (list below)\n"
            "  -o, --output MODEL   model file to write (atomically)\n\n");
    tc_split_usage(f);
    fprintf(f,
            "hyper-parameters (each model uses the ones it needs; 'model default' when unset):\n"
            "  --epochs N           training epochs (model default)\n"
            "  --dim D              latent / hidden size (model default)\n"
            "  --lr X               learning rate (model default)\n"
            "  --reg X              L2 regularisation (model default)\n"
            "  --k K                neighbours, knn models (model default)\n"
            "  --batch B            mini-batch size (model default)\n"
            "  --steps T            message-passing rounds, ggnn (model default)\n"
            "  --window W           sequence window, rnn/lstm (model default)\n"
            "  --fanout F1,F2       neighbour sampling per layer, sage/ggnn (model default)\n"
            "  --dropout P          dropout probability (model default)\n"
            "  --alpha A, --beta B  rp3b exponents; rnn/lstm: --alpha is the weight of the\n"
            "                       next-movie loss (model default)\n"
            "  --shrink S           similarity shrinkage, knn (model default)\n"
            "  --negatives N        sampled negatives per positive (model default)\n"
            "  --metric M           knn similarity: cosine, pearson, adjusted-cosine,\n"
            "                       pearson-base; append :mean for mean-centred (model default)\n"
            "  --val-fraction F     training ratings held out for validation (0.05; none for\n"
            "                       the kinds fitted in fixed epochs: mean, bias, mf)\n"
            "  --patience P         stop after P epochs without validation gain, keep the best\n"
            "                       parameters; 0 = run every epoch (model default: 5 for\n"
            "                       ggnn and sage, else 0)\n"
            "  --threads N          worker threads, 0 = all cores (0)\n\n"
            "output:\n"
            "  -k K                 cut-off of the top-N metrics (10)\n"
            "  --loss-csv F         write epoch,train_loss,val_loss,seconds to F\n"
            "  --plot F             draw the loss curves to F (.svg or .png)\n"
            "  --json               print one JSON object on stdout\n"
            "  --quiet              no progress lines on stderr\n\n");
    tc_models_usage(f);
}

static double peak_rss_mb(void) {
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) != 0) {
        return NAN;
    }
    return (double) ru.ru_maxrss / 1024.0; /* Linux reports kilobytes */
}

int cmd_train(int argc, char **argv) {
    const char *graph_path = NULL, *model_name = NULL, *out_path = NULL;
    const char *loss_csv = NULL, *plot = NULL;
    int json = 0, quiet = 0, code = RG_EXIT_OK;
    int32_t k = 10;
    rg_hparams_t hp;
    tc_split_opts_t so;
    rg_graph_t full, train;
    rg_model_t m;
    rg_trainer_t t;
    uint8_t *is_test = NULL;
    rg_error_t rc = RG_SUCCESS;
    memset(&full, 0, sizeof full);
    memset(&train, 0, sizeof train);
    memset(&m, 0, sizeof m);
    memset(&t, 0, sizeof t);
    rg_hparams_init(&hp);
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
            continue;
        }
        if ((r = tc_parse_hparam_opt(CMD, argc, argv, &i, &hp)) != 0) {
            if (r < 0) {
                return RG_EXIT_USAGE;
            }
            continue;
        }
        if ((r = cli_opt(CMD, argc, argv, &i, "--model", &v)) != 0) {
            if (r < 0) {
                return RG_EXIT_USAGE;
            }
            model_name = v;
        } else if ((r = cli_opt(CMD, argc, argv, &i, "-o", &v)) != 0 ||
                   (r = cli_opt(CMD, argc, argv, &i, "--output", &v)) != 0) {
            if (r < 0) {
                return RG_EXIT_USAGE;
            }
            out_path = v;
        } else if ((r = cli_opt(CMD, argc, argv, &i, "-k", &v)) != 0) {
            if (r < 0 || cli_parse_i32(CMD, "-k", v, 1, 1000000, &k) != 0) {
                return RG_EXIT_USAGE;
            }
        } else if ((r = cli_opt(CMD, argc, argv, &i, "--loss-csv", &v)) != 0) {
            if (r < 0) {
                return RG_EXIT_USAGE;
            }
            loss_csv = v;
        } else if ((r = cli_opt(CMD, argc, argv, &i, "--plot", &v)) != 0) {
            if (r < 0) {
                return RG_EXIT_USAGE;
            }
            plot = v;
        } else if (cli_flag(argv, i, "--json")) {
            json = 1;
        } else if (cli_flag(argv, i, "--quiet")) {
            quiet = 1;
        } else if (argv[i][0] == '-' && argv[i][1] != '\0') {
            return cli_usage_error(CMD, "unknown option %s", argv[i]);
        } else if (!graph_path) {
            graph_path = argv[i];
        } else {
            return cli_usage_error(CMD, "unexpected argument %s", argv[i]);
        }
    }
    if (!graph_path) {
        return cli_usage_error(CMD, "missing GRAPH (a snapshot written by 'reelgraph import')");
    }
    if (!model_name) {
        return cli_usage_error(CMD, "missing --model NAME");
    }
    if (!out_path) {
        return cli_usage_error(CMD, "missing -o MODEL (the model file to write)");
    }
    const rg_model_ops_t *ops = rg_model_find(model_name);
    if (!ops) {
        fprintf(stderr, "reelgraph %s: unknown model '%s'; known models:", CMD, model_name);
        for (const rg_model_ops_t *const *p = rg_model_list(); *p; p++) {
            fprintf(stderr, " %s", (*p)->name);
        }
        fprintf(stderr, "\n");
        return RG_EXIT_USAGE;
    }
    if (plot && tc_plot_ext_ok(plot) != 0) {
        return cli_usage_error(CMD, "--plot %s: the file name must end in .svg or .png", plot);
    }
    hp.seed = so.seed;

    /* the graph and the split */
    rc = rg_snapshot_load(&full, graph_path);
    if (rc != RG_SUCCESS) {
        return cli_fail(CMD, rc);
    }
    rg_split_spec_t spec;
    if (tc_split_spec(CMD, &so, &spec) != 0) {
        code = RG_EXIT_USAGE;
        goto done;
    }
    rg_split_report_t rep;
    is_test = malloc(full.n_ratings > 0 ? (size_t) full.n_ratings : 1);
    if (!is_test) {
        rc = RG_ENOMEM;
        fprintf(stderr, "reelgraph %s: out of memory\n", CMD);
        code = RG_EXIT_INTERNAL;
        goto done;
    }
    if ((rc = rg_split_apply(&full, &spec, is_test, &rep)) != RG_SUCCESS ||
        (rc = tc_train_graph(&full, is_test, &train)) != RG_SUCCESS) {
        code = cli_fail(CMD, rc);
        goto done;
    }
    if (spec.kind == RG_SPLIT_FILE && rep.n_file_unmatched > 0 && !quiet) {
        fprintf(stderr, "reelgraph %s: note: %lld ratings of %s are not in the graph (ignored)\n",
                CMD, (long long) rep.n_file_unmatched, spec.path);
    }
    if (spec.kind == RG_SPLIT_NONE && !quiet) {
        fprintf(stderr, "reelgraph %s: note: no split given, every rating is used for training "
                "and the test metrics are null (see --test-file / --split)\n", CMD);
    }

    /* training */
    if ((rc = rg_model_init(&m, ops, &hp, &spec, &full, &train)) != RG_SUCCESS) {
        code = cli_fail(CMD, rc);
        goto done;
    }
    if (!realpath(graph_path, m.graph_path)) {
        snprintf(m.graph_path, sizeof m.graph_path, "%s", graph_path);
    }
    progress_t pr;
    progress_init(&pr, quiet);
    double t0 = cli_now();
    if ((rc = rg_trainer_init(&t, &m, &train)) != RG_SUCCESS) {
        code = cli_fail(CMD, rc);
        goto done;
    }
    int finished = 0;
    while (!finished) {
        if ((rc = rg_trainer_step(&t, &finished)) != RG_SUCCESS) {
            progress_done(&pr);
            code = cli_fail(CMD, rc);
            goto done;
        }
        const rg_epoch_record_t *h = &m.history[m.n_history - 1];
        double elapsed = cli_now() - t0;
        double per_epoch = elapsed / m.n_history;
        double eta = per_epoch * (double) (m.hp.epochs - m.n_history);
        double rate = h->seconds > 0 ? (double) (train.n_ratings - t.n_val) / h->seconds : 0.0;
        char val[32] = "-";
        if (!isnan(h->val_loss)) {
            snprintf(val, sizeof val, "%.4f", h->val_loss);
        }
        progress_update(&pr, "%s epoch %d/%d  loss %.4f  val %s  %.2fM ratings/s  ETA %.0fs",
                        ops->name, (int) m.n_history, (int) m.hp.epochs, h->train_loss, val,
                        rate / 1e6, finished ? 0.0 : eta);
    }
    progress_done(&pr);
    if ((rc = rg_trainer_finish(&t)) != RG_SUCCESS) {
        code = cli_fail(CMD, rc);
        goto done;
    }
    double train_seconds = cli_now() - t0;
    if (t.best_params && t.best_epoch >= 0 && !quiet) {
        fprintf(stderr, "reelgraph %s: kept the parameters of epoch %d (best validation %.4f)\n",
                CMD, (int) t.best_epoch + 1, t.best_val);
    }

    /* outputs */
    if ((rc = rg_model_save(&m, out_path)) != RG_SUCCESS ||
        (loss_csv && (rc = rg_history_write_csv(&m, loss_csv)) != RG_SUCCESS) ||
        (plot && (rc = rg_history_plot(&m, plot)) != RG_SUCCESS)) {
        code = cli_fail(CMD, rc);
        goto done;
    }
    rg_metrics_t mt;
    double e0 = cli_now();
    if ((rc = rg_evaluate(&m, &full, &train, is_test, k, &mt)) != RG_SUCCESS) {
        code = cli_fail(CMD, rc);
        goto done;
    }
    double eval_seconds = cli_now() - e0;

    char split_text[1100];
    rg_split_describe(&spec, split_text, sizeof split_text);
    if (json) {
        json_t j;
        json_init(&j, stdout);
        json_object_begin(&j);
        json_key(&j, "model");
        json_str(&j, ops->name);
        json_key(&j, "output");
        json_str(&j, out_path);
        tc_json_metrics(&j, &mt);
        tc_json_report(&j, &m);
        json_key(&j, "epochs");
        json_int(&j, m.n_history);
        json_key(&j, "best_epoch");
        if (t.best_epoch >= 0) {
            json_int(&j, t.best_epoch + 1);
        } else {
            json_null(&j);
        }
        json_key(&j, "train_seconds");
        json_num(&j, train_seconds);
        json_key(&j, "eval_seconds");
        json_num(&j, eval_seconds);
        json_key(&j, "peak_rss_mb");
        json_num(&j, peak_rss_mb());
        json_key(&j, "n_train");
        json_int(&j, train.n_ratings - t.n_val);
        json_key(&j, "n_val");
        json_int(&j, t.n_val);
        json_key(&j, "split");
        json_str(&j, split_text);
        json_key(&j, "seed");
        json_int(&j, (int64_t) m.hp.seed);
        tc_json_hparams(&j, &m.hp);
        json_key(&j, "history");
        json_array_begin(&j);
        for (int32_t e = 0; e < m.n_history; e++) {
            json_object_begin(&j);
            json_key(&j, "epoch");
            json_int(&j, e + 1);
            json_key(&j, "train_loss");
            json_num(&j, m.history[e].train_loss);
            json_key(&j, "val_loss");
            json_num(&j, m.history[e].val_loss);
            json_key(&j, "seconds");
            json_num(&j, m.history[e].seconds);
            json_object_end(&j);
        }
        json_array_end(&j);
        json_object_end(&j);
        json_finish(&j);
    } else {
        printf("model %s trained in %.2f s (%d epochs, seed %llu, split %s), saved to %s\n",
               ops->name, train_seconds, (int) m.n_history, (unsigned long long) m.hp.seed,
               split_text, out_path);
        tc_print_metrics(stdout, &mt);
        tc_print_report(stdout, &m);
        printf("peak memory %.1f MB\n", peak_rss_mb());
    }

done:
    rg_trainer_free(&t);
    rg_model_free(&m);
    rg_graph_free(&train);
    rg_graph_free(&full);
    free(is_test);
    return code;
}
