/* cmd_similar.c: `reelgraph similar GRAPH|MODEL (--user ID|--movie ID) [-k K] [--metric M]`:
 * the top-k most similar users or movies, from co-ratings on a graph, or from a model (its
 * "user_emb" / "movie_emb" embeddings by cosine when it has them, a knn model's stored
 * neighbour lists, else co-ratings on the training graph it was fitted to). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "query_common.h"
#include "train_common.h"

static void similar_help(void) {
    printf("usage: reelgraph similar GRAPH|MODEL (--user ID | --movie ID) [options]\n\n"
           "Lists the K users (or movies) most similar to the given one.  On a graph snapshot the\n"
           "similarity comes from co-ratings (users: the movies both rated; movies: the users who\n"
           "rated both).  On a model file it is the cosine of the model's user_emb / movie_emb\n"
           "embeddings when the model has them, the stored neighbour lists of a knn-user /\n"
           "knn-item model, otherwise co-ratings on the training graph the model was fitted to\n"
           "(its recorded graph without the held-out ratings).\n\n"
           "options:\n"
           "  --user ID         a user (dataset id)\n"
           "  --movie ID        a movie (dataset id)\n"
           "  -k K              neighbours to list (default 10)\n"
           "  --metric M        cosine (default), pearson or adjusted-cosine (co-ratings only)\n"
           "  --shrink S        significance shrinkage: sim * n / (n + S), n = co-ratings\n"
           "                    (default 0)\n"
           "  --min-common N    ignore pairs with fewer than N co-ratings (default 1)\n"
           "  --json            one JSON object: source, basis, metric, k, neighbors (list of\n"
           "                    {id, score, common[, title]})\n"
           "  -h, --help        this help\n");
}

typedef struct {
    int32_t k;
    rg_sim_opts_t so;
    int json;
} similar_opts_t;

/* Prints the result list: ids are internal ids of the node's side. */
static void similar_print(const rg_graph_t *g, int32_t src, const char *basis,
                          const char *metric, const similar_opts_t *o, const int32_t *ids, const float *sims,
                          const int32_t *common, int32_t n) {
    int32_t id;
    rg_side_t side = rg_node_side(g, src, &id);
    if (o->json) {
        json_t j;
        json_init(&j, stdout);
        json_object_begin(&j);
        qc_json_source(&j, g, src);
        json_key(&j, "basis");
        json_str(&j, basis);
        json_key(&j, "metric");
        json_str(&j, metric);
        json_key(&j, "k");
        json_int(&j, o->k);
        json_key(&j, "neighbors");
        json_array_begin(&j);
        for (int32_t i = 0; i < n; i++) {
            int32_t x = rg_node_global(g, side, ids[i]);
            json_object_begin(&j);
            json_key(&j, "id");
            json_int(&j, qc_node_ext(g, x));
            json_key(&j, "score");
            json_num(&j, sims[i]);
            if (common) {
                json_key(&j, "common");
                json_int(&j, common[i]);
            }
            if (side == RG_SIDE_MOVIE) {
                json_key(&j, "title");
                json_str(&j, rg_graph_movie_title(g, ids[i]));
            }
            json_object_end(&j);
        }
        json_array_end(&j);
        json_object_end(&j);
        json_finish(&j);
        return;
    }
    printf("%d %s most similar to %s %lld (%s, %s)\n", (int) n,
           side == RG_SIDE_USER ? "users" : "movies", qc_node_type(g, src),
           (long long) qc_node_ext(g, src), basis, metric);
    for (int32_t i = 0; i < n; i++) {
        int32_t x = rg_node_global(g, side, ids[i]);
        printf("%3d. %10lld  %8.5f", (int) i + 1, (long long) qc_node_ext(g, x),
               (double) sims[i]);
        if (common) {
            printf("  %6d co-ratings", (int) common[i]);
        }
        if (side == RG_SIDE_MOVIE) {
            printf("  %s", rg_graph_movie_title(g, ids[i]));
        }
        printf("\n");
    }
}

/* Co-rating similarity on graph g. */
static int similar_graph(const rg_graph_t *g, int32_t src, const char *basis,
                         const similar_opts_t *o) {
    rg_sim_t s;
    rg_sim_workspace_t w;
    int32_t id, n = 0;
    rg_side_t side = rg_node_side(g, src, &id);
    int32_t *ids = malloc((size_t) o->k * sizeof *ids);
    float *sims = malloc((size_t) o->k * sizeof *sims);
    int32_t *common = malloc((size_t) o->k * sizeof *common);
    memset(&s, 0, sizeof s);
    memset(&w, 0, sizeof w);
    rg_error_t rc = RG_SUCCESS;
    if (!ids || !sims || !common) {
        rc = rg_error(RG_ENOMEM, __FILE__, __LINE__, "cannot allocate %d results", (int) o->k);
    }
    if (rc == RG_SUCCESS) {
        rc = rg_sim_init(&s, g, side, &o->so);
    }
    if (rc == RG_SUCCESS) {
        rc = rg_sim_workspace_init(&w, &s, o->k);
    }
    if (rc == RG_SUCCESS) {
        rc = rg_sim_topk(&s, id, o->k, &w, ids, sims, &n);
    }
    for (int32_t i = 0; rc == RG_SUCCESS && i < n; i++) {
        float sim;
        rc = rg_sim_pair(&s, id, ids[i], &sim, &common[i]);
    }
    if (rc == RG_SUCCESS) {
        similar_print(g, src, basis, rg_sim_metric_name(o->so.metric), o, ids, sims, common, n);
    }
    rg_sim_workspace_free(&w);
    rg_sim_free(&s);
    free(ids);
    free(sims);
    free(common);
    return rc == RG_SUCCESS ? RG_EXIT_OK : cli_fail("similar", rc);
}

static int similar_model(const char *path, const qc_node_opt_t *node, const similar_opts_t *o) {
    rg_model_t m;
    rg_graph_t full, train;
    uint8_t *is_test = NULL;
    int32_t src;
    int code = RG_EXIT_OK;
    char graph_msg[512];
    snprintf(graph_msg, sizeof graph_msg, "%s", rg_last_error_message());
    memset(&full, 0, sizeof full);
    memset(&train, 0, sizeof train);
    rg_error_t rc = rg_model_load(&m, path);
    if (rc != RG_SUCCESS) {
        fprintf(stderr, "reelgraph similar: %s is neither a graph snapshot (%s) nor a model "
                "file (%s)\n", path, graph_msg, rg_last_error_message());
        return cli_exit_code(rc);
    }
    if ((rc = rg_snapshot_load(&full, m.graph_path)) != RG_SUCCESS) {
        fprintf(stderr, "reelgraph similar: model %s: cannot load the graph it was trained on "
                "(%s): %s\n", path, m.graph_path, rg_last_error_message());
        rg_model_free(&m);
        return cli_exit_code(rc);
    }
    if ((code = qc_resolve_node("similar", &full, m.graph_path, node, &src)) != RG_EXIT_OK) {
        goto done;
    }
    const char *name = node->side == RG_SIDE_USER ? "user_emb" : "movie_emb";
    const rg_tensor_t *t = rg_model_tensor(&m, name);
    const float *emb = rg_model_f32(&m, name);
    int64_t n_side = node->side == RG_SIDE_USER ? full.n_users : full.n_movies;
    if (t && emb) {
        if (t->rows != n_side) {
            fprintf(stderr, "reelgraph similar: model %s: tensor %s has %lld rows, graph %s has "
                    "%lld %ss\n", path, name, (long long) t->rows, m.graph_path,
                    (long long) n_side, node->side == RG_SIDE_USER ? "user" : "movie");
            code = RG_EXIT_USAGE;
            goto done;
        }
        int32_t id, n = 0;
        rg_node_side(&full, src, &id);
        int32_t *ids = malloc((size_t) o->k * sizeof *ids);
        float *sims = malloc((size_t) o->k * sizeof *sims);
        rc = ids && sims ? rg_sim_embedding_topk(emb, t->rows, t->cols, id, o->k, ids, sims, &n)
                         : rg_error(RG_ENOMEM, __FILE__, __LINE__, "cannot allocate %d results",
                                    (int) o->k);
        if (rc == RG_SUCCESS) {
            similar_print(&full, src, "embeddings", "cosine", o, ids, sims, NULL, n);
        } else {
            code = cli_fail("similar", rc);
        }
        free(ids);
        free(sims);
        goto done;
    }
    /* a neighbourhood model (knn-user / knn-item) keeps its neighbour lists, best first */
    const char *list_name = node->side == RG_SIDE_USER ? "user_neighbors" : "movie_neighbors";
    const char *sims_name = node->side == RG_SIDE_USER ? "user_neighbor_sims"
                                                       : "movie_neighbor_sims";
    const rg_tensor_t *lt = rg_model_tensor(&m, list_name);
    const int32_t *list = rg_model_i32(&m, list_name);
    const float *list_sims = rg_model_f32(&m, sims_name);
    if (lt && list && list_sims && lt->rows == n_side) {
        int32_t id, n = 0;
        rg_node_side(&full, src, &id);
        const int32_t *row = list + (size_t) id * (size_t) lt->cols;
        while (n < o->k && n < lt->cols && row[n] >= 0) {
            n++;
        }
        similar_print(&full, src, "neighbour lists", m.hp.metric, o, row,
                      list_sims + (size_t) id * (size_t) lt->cols, NULL, n);
        goto done;
    }
    /* no embeddings: co-ratings on the training graph */
    if ((code = tc_model_split("similar", &m, &full, &train, &is_test)) != RG_EXIT_OK) {
        goto done;
    }
    code = similar_graph(&train, src, "training graph", o);
done:
    free(is_test);
    rg_graph_free(&train);
    rg_graph_free(&full);
    rg_model_free(&m);
    return code;
}

int cmd_similar(int argc, char **argv) {
    const char *path = NULL, *v = NULL;
    qc_node_opt_t node = {0};
    similar_opts_t o;
    int r;
    double shrink = 0.0;
    memset(&o, 0, sizeof o);
    o.k = 10;
    rg_sim_opts_default(&o.so);
    for (int i = 1; i < argc; i++) {
        if (cli_is_help(argv[i])) {
            similar_help();
            return RG_EXIT_OK;
        } else if (cli_flag(argv, i, "--json")) {
            o.json = 1;
        } else if ((r = qc_parse_node_opt("similar", argc, argv, &i, &node)) != 0) {
            if (r < 0) {
                return RG_EXIT_USAGE;
            }
        } else if ((r = cli_opt("similar", argc, argv, &i, "-k", &v)) != 0) {
            if (r < 0 || cli_parse_i32("similar", "-k", v, 1, 100000, &o.k)) {
                return RG_EXIT_USAGE;
            }
        } else if ((r = cli_opt("similar", argc, argv, &i, "--metric", &v)) != 0) {
            if (r < 0) {
                return RG_EXIT_USAGE;
            }
            if (rg_sim_metric_parse(v, &o.so.metric) != RG_SUCCESS) {
                return cli_usage_error("similar", "--metric: %s", rg_last_error_message());
            }
        } else if ((r = cli_opt("similar", argc, argv, &i, "--shrink", &v)) != 0) {
            if (r < 0 || cli_parse_f64("similar", "--shrink", v, 0.0, 1e9, &shrink)) {
                return RG_EXIT_USAGE;
            }
            o.so.shrink = (float) shrink;
        } else if ((r = cli_opt("similar", argc, argv, &i, "--min-common", &v)) != 0) {
            if (r < 0 || cli_parse_i32("similar", "--min-common", v, 1, INT32_MAX,
                                       &o.so.min_common)) {
                return RG_EXIT_USAGE;
            }
        } else if (argv[i][0] == '-' && argv[i][1] != '\0') {
            return cli_usage_error("similar", "unknown option '%s'", argv[i]);
        } else if (!path) {
            path = argv[i];
        } else {
            return cli_usage_error("similar", "unexpected argument '%s'", argv[i]);
        }
    }
    if (!path) {
        return cli_usage_error("similar", "missing GRAPH or MODEL");
    }
    if (!node.given) {
        return cli_usage_error("similar", "give the node: --user ID or --movie ID");
    }
    rg_graph_t g;
    rg_error_t rc = rg_snapshot_load(&g, path);
    if (rc == RG_EFORMAT) {
        return similar_model(path, &node, &o);
    }
    if (rc != RG_SUCCESS) {
        return cli_fail("similar", rc);
    }
    int32_t src;
    int code = qc_resolve_node("similar", &g, path, &node, &src);
    if (code == RG_EXIT_OK) {
        code = similar_graph(&g, src, "graph", &o);
    }
    rg_graph_free(&g);
    return code;
}
