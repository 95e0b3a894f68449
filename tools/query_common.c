/* query_common.c: see query_common.h. */
#include <stdio.h>

#include "query_common.h"

int qc_parse_node_opt(const char *cmd, int argc, char **argv, int *i, qc_node_opt_t *n) {
    const char *v = NULL;
    rg_side_t side = RG_SIDE_USER;
    int r = cli_opt(cmd, argc, argv, i, "--user", &v);
    if (r == 0) {
        side = RG_SIDE_MOVIE;
        r = cli_opt(cmd, argc, argv, i, "--movie", &v);
    }
    if (r <= 0) {
        return r;
    }
    if (n->given) {
        cli_usage_error(cmd, "give one node: --user ID or --movie ID, once");
        return -1;
    }
    if (cli_parse_i64(cmd, side == RG_SIDE_USER ? "--user" : "--movie", v, INT64_MIN, INT64_MAX,
                      &n->id)) {
        return -1;
    }
    n->given = 1;
    n->side = side;
    return 1;
}

int qc_resolve_node(const char *cmd, const rg_graph_t *g, const char *graph_path,
                    const qc_node_opt_t *n, int32_t *global) {
    int32_t id = n->side == RG_SIDE_USER ? rg_graph_user_index(g, n->id)
                                         : rg_graph_movie_index(g, n->id);
    if (id < 0) {
        fprintf(stderr, "reelgraph %s: %s: no %s with id %lld\n", cmd, graph_path,
                n->side == RG_SIDE_USER ? "user" : "movie", (long long) n->id);
        return RG_EXIT_USAGE;
    }
    *global = rg_node_global(g, n->side, id);
    return RG_EXIT_OK;
}

int qc_require_graph_node(const char *cmd, const char *graph_path, const qc_node_opt_t *n) {
    if (!graph_path) {
        return cli_usage_error(cmd, "missing GRAPH (a snapshot written by 'reelgraph import')");
    }
    if (!n->given) {
        return cli_usage_error(cmd, "give the start node: --user ID or --movie ID");
    }
    return RG_EXIT_OK;
}

int qc_load_node(const char *cmd, const char *graph_path, const qc_node_opt_t *n, rg_graph_t *g,
                 int32_t *global) {
    rg_error_t rc = rg_snapshot_load(g, graph_path);
    if (rc != RG_SUCCESS) {
        return cli_fail(cmd, rc);
    }
    int code = qc_resolve_node(cmd, g, graph_path, n, global);
    if (code != RG_EXIT_OK) {
        rg_graph_free(g);
    }
    return code;
}

const char *qc_node_type(const rg_graph_t *g, int32_t x) {
    return x < g->n_users ? "user" : "movie";
}

int64_t qc_node_ext(const rg_graph_t *g, int32_t x) {
    return x < g->n_users ? g->user_ext[x] : g->movie_ext[x - g->n_users];
}

void qc_json_node_keys(json_t *j, const rg_graph_t *g, int32_t x) {
    json_key(j, "type");
    json_str(j, qc_node_type(g, x));
    json_key(j, "id");
    json_int(j, qc_node_ext(g, x));
}

void qc_json_source(json_t *j, const rg_graph_t *g, int32_t x) {
    json_key(j, "source");
    json_object_begin(j);
    qc_json_node_keys(j, g, x);
    json_object_end(j);
}
