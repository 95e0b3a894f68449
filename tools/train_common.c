/* train_common.c: see train_common.h. */
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "train_common.h"

void tc_split_opts_init(tc_split_opts_t *so) {
    memset(so, 0, sizeof *so);
    so->seed = 42;
}

int tc_parse_split_opt(const char *cmd, int argc, char **argv, int *i, tc_split_opts_t *so) {
    const char *v = NULL;
    int r;
    if ((r = cli_opt(cmd, argc, argv, i, "--test-file", &v)) != 0) {
        so->test_file = v;
        return r;
    }
    if ((r = cli_opt(cmd, argc, argv, i, "--split", &v)) != 0) {
        so->split = v;
        return r;
    }
    if ((r = cli_opt(cmd, argc, argv, i, "--seed", &v)) != 0) {
        if (r < 0 || cli_parse_u64(cmd, "--seed", v, &so->seed) != 0) {
            return -1;
        }
        so->seed_given = 1;
        return 1;
    }
    return 0;
}

int tc_split_given(const tc_split_opts_t *so) { return so->test_file || so->split; }

int tc_split_spec(const char *cmd, const tc_split_opts_t *so, rg_split_spec_t *spec) {
    memset(spec, 0, sizeof *spec);
    spec->seed = so->seed;
    if (so->test_file && so->split) {
        cli_usage_error(cmd, "give either --test-file or --split, not both");
        return -1;
    }
    if (so->test_file) {
        spec->kind = RG_SPLIT_FILE;
        /* absolute, so that eval and recommend find it from any directory */
        if (!realpath(so->test_file, spec->path)) {
            fprintf(stderr, "reelgraph %s: --test-file %s: no such file\n", cmd, so->test_file);
            return -1;
        }
        return 0;
    }
    if (so->split) {
        rg_error_t rc = rg_split_parse(spec, so->split);
        if (rc != RG_SUCCESS) {
            cli_usage_error(cmd, "--split %s: %s", so->split, rg_last_error_message());
            return -1;
        }
    }
    return 0;
}

void tc_split_usage(FILE *f) {
    fprintf(f, "split (which ratings are held out for testing; default: none):\n"
               "  --test-file PATH     the ratings listed in PATH (dataset ids), e.g. ml-100k u1.test\n"
               "  --split SPEC         random:FRACTION | temporal:LAST_K | kfold:K:FOLD\n"
               "  --seed S             seed of the split and of the model (42)\n\n");
}

typedef enum { TC_I32, TC_F32 } tc_kind_t;

int tc_parse_hparam_opt(const char *cmd, int argc, char **argv, int *i, rg_hparams_t *hp) {
    const struct {
        const char *name;
        tc_kind_t kind;
        void *p;
        double lo, hi;
    } opts[] = {
        {"--epochs", TC_I32, &hp->epochs, 1, 1000000},
        {"--dim", TC_I32, &hp->dim, 1, 65536},
        {"--lr", TC_F32, &hp->lr, 0, 1e6},
        {"--reg", TC_F32, &hp->reg, 0, 1e9},
        {"--k", TC_I32, &hp->k, 1, INT32_MAX},
        {"--batch", TC_I32, &hp->batch, 1, INT32_MAX},
        {"--steps", TC_I32, &hp->steps, 1, 1000},
        {"--window", TC_I32, &hp->window, 1, INT32_MAX},
        {"--dropout", TC_F32, &hp->dropout, 0, 0.999},
        {"--alpha", TC_F32, &hp->alpha, -1e6, 1e6},
        {"--beta", TC_F32, &hp->beta, -1e6, 1e6},
        {"--shrink", TC_F32, &hp->shrink, 0, 1e9},
        {"--negatives", TC_I32, &hp->negatives, 1, 100000},
        {"--val-fraction", TC_F32, &hp->val_fraction, 0, 0.99},
        {"--patience", TC_I32, &hp->patience, 0, 1000000},
        {"--threads", TC_I32, &hp->n_threads, 0, 4096},
    };
    const char *v = NULL;
    int r;
    for (size_t o = 0; o < sizeof opts / sizeof opts[0]; o++) {
        if ((r = cli_opt(cmd, argc, argv, i, opts[o].name, &v)) == 0) {
            continue;
        }
        if (r < 0) {
            return -1;
        }
        if (opts[o].kind == TC_I32) {
            if (cli_parse_i32(cmd, opts[o].name, v, (int32_t) opts[o].lo, (int32_t) opts[o].hi,
                              (int32_t *) opts[o].p) != 0) {
                return -1;
            }
        } else {
            double d;
            if (cli_parse_f64(cmd, opts[o].name, v, opts[o].lo, opts[o].hi, &d) != 0) {
                return -1;
            }
            *(float *) opts[o].p = (float) d;
        }
        return 1;
    }
    if ((r = cli_opt(cmd, argc, argv, i, "--fanout", &v)) != 0) {
        if (r < 0) {
            return -1;
        }
        int32_t f[2];
        int n = cli_parse_list_i32(cmd, "--fanout", v, f, 2);
        if (n < 1) {
            return -1;
        }
        hp->fanout[0] = f[0];
        hp->fanout[1] = n > 1 ? f[1] : f[0];
        return 1;
    }
    if ((r = cli_opt(cmd, argc, argv, i, "--metric", &v)) != 0) {
        if (r < 0) {
            return -1;
        }
        /* the model validates the name (knn: cosine, pearson, adjusted-cosine, pearson-base,
         * each optionally ":mean"); only the length is checked here */
        if (strlen(v) >= sizeof hp->metric) {
            cli_usage_error(cmd, "--metric %s: name too long", v);
            return -1;
        }
        snprintf(hp->metric, sizeof hp->metric, "%s", v);
        return 1;
    }
    return 0;
}

void tc_models_usage(FILE *f) {
    fprintf(f, "models:\n");
    for (const rg_model_ops_t *const *p = rg_model_list(); *p; p++) {
        fprintf(f, "  %-12s %s%s\n", (*p)->name, (*p)->summary,
                (*p)->predicts_ratings ? "" : " (ranking only)");
    }
}

int tc_plot_ext_ok(const char *path) {
    const char *dot = strrchr(path, '.');
    return dot && (!strcmp(dot, ".svg") || !strcmp(dot, ".png") || !strcmp(dot, ".SVG") ||
                   !strcmp(dot, ".PNG"))
               ? 0
               : -1;
}

rg_error_t tc_train_graph(const rg_graph_t *full, const uint8_t *is_test, rg_graph_t *train) {
    uint8_t *keep = rg_malloc(full->n_ratings > 0 ? (size_t) full->n_ratings : 1);
    if (!keep) {
        RG_ERROR(RG_ENOMEM, "cannot allocate %lld flags", (long long) full->n_ratings);
    }
    for (int64_t e = 0; e < full->n_ratings; e++) {
        keep[e] = (uint8_t) !is_test[e];
    }
    rg_error_t rc = rg_graph_filter(train, full, keep, NULL);
    free(keep);
    return rc;
}

int tc_model_split(const char *cmd, rg_model_t *m, const rg_graph_t *full, rg_graph_t *train,
                   uint8_t **is_test) {
    *is_test = malloc(full->n_ratings > 0 ? (size_t) full->n_ratings : 1);
    if (!*is_test) {
        fprintf(stderr, "reelgraph %s: out of memory\n", cmd);
        return RG_EXIT_INTERNAL;
    }
    rg_error_t rc = rg_model_prepare(m, full, train, *is_test);
    return rc == RG_SUCCESS ? RG_EXIT_OK : cli_fail(cmd, rc);
}

static void tc_num_or_null(json_t *j, const char *key, int ok, double v) {
    json_key(j, key);
    if (ok) {
        json_num(j, v);
    } else {
        json_null(j);
    }
}

void tc_json_metrics(json_t *j, const rg_metrics_t *mt) {
    int rated = mt->has_ratings && mt->n_test > 0;
    int ranked = mt->n_users_ranked > 0;
    tc_num_or_null(j, "rmse", rated, mt->rmse);
    tc_num_or_null(j, "mae", rated, mt->mae);
    tc_num_or_null(j, "mse", rated, mt->mse);
    json_key(j, "n_test");
    json_int(j, mt->n_test);
    json_key(j, "k");
    json_int(j, mt->k);
    tc_num_or_null(j, "precision_at_k", ranked, mt->precision);
    tc_num_or_null(j, "recall_at_k", ranked, mt->recall);
    tc_num_or_null(j, "ndcg_at_k", ranked, mt->ndcg);
    tc_num_or_null(j, "hit_rate_at_k", ranked, mt->hit_rate);
    tc_num_or_null(j, "map_at_k", ranked, mt->map);
    tc_num_or_null(j, "coverage", ranked, mt->coverage);
    json_key(j, "users_ranked");
    json_int(j, mt->n_users_ranked);
}

void tc_print_metrics(FILE *f, const rg_metrics_t *mt) {
    if (mt->n_test == 0) {
        fprintf(f, "no test ratings: no metrics\n");
        return;
    }
    if (mt->has_ratings) {
        fprintf(f, "test ratings %lld: RMSE %.4f  MAE %.4f  MSE %.4f (clipped to the scale)\n",
                (long long) mt->n_test, mt->rmse, mt->mae, mt->mse);
    } else {
        fprintf(f, "test ratings %lld: ranking model, no rating metrics\n",
                (long long) mt->n_test);
    }
    if (mt->n_users_ranked > 0) {
        fprintf(f, "top-%d over %lld users: P %.4f  R %.4f  NDCG %.4f  HR %.4f  MAP %.4f  "
                   "coverage %.4f\n",
                (int) mt->k, (long long) mt->n_users_ranked, mt->precision, mt->recall,
                mt->ndcg, mt->hit_rate, mt->map, mt->coverage);
    }
}

void tc_json_hparams(json_t *j, const rg_hparams_t *hp) {
    json_key(j, "params");
    json_object_begin(j);
#define TC_I(name, v)                                                                         \
    if ((v) != RG_UNSET) {                                                                    \
        json_key(j, name);                                                                    \
        json_int(j, v);                                                                       \
    }
#define TC_F(name, v)                                                                         \
    if ((v) != (float) RG_UNSET) {                                                            \
        json_key(j, name);                                                                    \
        json_num(j, v);                                                                       \
    }
    TC_I("dim", hp->dim);
    TC_I("epochs", hp->epochs);
    TC_F("lr", hp->lr);
    TC_F("reg", hp->reg);
    TC_I("k", hp->k);
    TC_I("batch", hp->batch);
    TC_I("steps", hp->steps);
    TC_I("window", hp->window);
    TC_F("dropout", hp->dropout);
    TC_F("alpha", hp->alpha);
    TC_F("beta", hp->beta);
    TC_F("shrink", hp->shrink);
    TC_I("negatives", hp->negatives);
    TC_F("val_fraction", hp->val_fraction);
    TC_I("patience", hp->patience);
    TC_I("threads", hp->n_threads);
#undef TC_I
#undef TC_F
    if (hp->fanout[0] != RG_UNSET) {
        json_key(j, "fanout");
        json_array_begin(j);
        json_int(j, hp->fanout[0]);
        json_int(j, hp->fanout[1]);
        json_array_end(j);
    }
    if (hp->metric[0]) {
        json_key(j, "metric");
        json_str(j, hp->metric);
    }
    json_object_end(j);
}

/* Under ASan (RG_SANITIZE): fontconfig, loaded by cairo for the text of --plot, keeps its
 * configuration in process-lifetime caches that LeakSanitizer reports at exit; they are not the
 * program's to free.  A no-op in other builds. */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void) { return "leak:libfontconfig\n"; }

void tc_json_report(json_t *j, const rg_model_t *m) {
    if (!m->ops->report) {
        return;
    }
    json_key(j, "report");
    json_object_begin(j);
    for (const char *const *name = m->ops->report; *name; name++) {
        const rg_tensor_t *t = rg_model_tensor(m, *name);
        const float *v = rg_model_f32(m, *name);
        if (!t || !v) {
            continue;
        }
        json_key(j, *name);
        json_array_begin(j);
        for (int64_t i = 0; i < t->rows * t->cols; i++) {
            json_num(j, v[i]);
        }
        json_array_end(j);
    }
    json_object_end(j);
}

void tc_print_report(FILE *f, const rg_model_t *m) {
    if (!m->ops->report) {
        return;
    }
    for (const char *const *name = m->ops->report; *name; name++) {
        const rg_tensor_t *t = rg_model_tensor(m, *name);
        const float *v = rg_model_f32(m, *name);
        if (!t || !v) {
            continue;
        }
        fprintf(f, "%s:", *name);
        for (int64_t i = 0; i < t->rows * t->cols; i++) {
            fprintf(f, " %.4f", (double) v[i]);
        }
        fprintf(f, "\n");
    }
}
