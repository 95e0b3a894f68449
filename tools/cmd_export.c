/* cmd_export.c: `reelgraph export GRAPH --graphml OUT [--user ID|--movie ID --hops K]`: GraphML
 * of the whole graph or of a k-hop neighbourhood (the subgraph it induces). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "query_common.h"

static void export_help(void) {
    printf("usage: reelgraph export GRAPH --graphml OUT [--user ID | --movie ID] [options]\n\n"
           "Writes GraphML (keys d0.. declared; loads in igraph, Gephi and Cytoscape): node\n"
           "attributes side, dataset_id, title, year, genres (movies) and age, gender,\n"
           "occupation, zip (users, when the dataset has them); edge attributes rating and\n"
           "timestamp.  Without --user / --movie the whole graph is written; with one, the\n"
           "subgraph induced by its neighbourhood.\n\n"
           "options:\n"
           "  --graphml OUT   output file (required)\n"
           "  --user ID       export the neighbourhood of this user (dataset id)\n"
           "  --movie ID      export the neighbourhood of this movie (dataset id)\n"
           "  --hops K        neighbourhood radius (default 1)\n"
           "  --limit N       at most N nodes besides the centre (default 0 = no limit)\n"
           "  --json          one JSON object: path, nodes, edges, seconds\n"
           "  -h, --help      this help\n");
}

int cmd_export(int argc, char **argv) {
    const char *path = NULL, *out = NULL, *v = NULL;
    qc_node_opt_t node = {0};
    int32_t hops = 1;
    int64_t limit = 0;
    int json = 0, r, hops_given = 0;
    for (int i = 1; i < argc; i++) {
        if (cli_is_help(argv[i])) {
            export_help();
            return RG_EXIT_OK;
        } else if (cli_flag(argv, i, "--json")) {
            json = 1;
        } else if ((r = qc_parse_node_opt("export", argc, argv, &i, &node)) != 0) {
            if (r < 0) {
                return RG_EXIT_USAGE;
            }
        } else if ((r = cli_opt("export", argc, argv, &i, "--graphml", &v)) != 0) {
            if (r < 0) {
                return RG_EXIT_USAGE;
            }
            out = v;
        } else if ((r = cli_opt("export", argc, argv, &i, "--hops", &v)) != 0) {
            if (r < 0 || cli_parse_i32("export", "--hops", v, 0, 1000, &hops)) {
                return RG_EXIT_USAGE;
            }
            hops_given = 1;
        } else if ((r = cli_opt("export", argc, argv, &i, "--limit", &v)) != 0) {
            if (r < 0 || cli_parse_i64("export", "--limit", v, 0, INT64_MAX - 1, &limit)) {
                return RG_EXIT_USAGE;
            }
        } else if (argv[i][0] == '-' && argv[i][1] != '\0') {
            return cli_usage_error("export", "unknown option '%s'", argv[i]);
        } else if (!path) {
            path = argv[i];
        } else {
            return cli_usage_error("export", "unexpected argument '%s'", argv[i]);
        }
    }
    if (!path) {
        return cli_usage_error("export", "missing GRAPH (a snapshot written by 'reelgraph "
                               "import')");
    }
    if (!out) {
        return cli_usage_error("export", "give the output file: --graphml OUT");
    }
    if (!node.given && (hops_given || limit > 0)) {
        return cli_usage_error("export", "--hops and --limit need --user ID or --movie ID");
    }
    double t0 = cli_now();
    rg_graph_t g;
    rg_khop_t k;
    int64_t *eids = NULL, n_nodes, n_edges;
    int code = RG_EXIT_OK;
    memset(&k, 0, sizeof k);
    rg_error_t rc = rg_snapshot_load(&g, path);
    if (rc != RG_SUCCESS) {
        return cli_fail("export", rc);
    }
    if (node.given) {
        int32_t src;
        if ((code = qc_resolve_node("export", &g, path, &node, &src)) != RG_EXIT_OK) {
            goto done;
        }
        if ((rc = rg_khop(&k, &g, src, hops, limit > 0 ? limit + 1 : 0)) != RG_SUCCESS ||
            (rc = rg_induced_edges(&g, k.node, k.n, &eids, &n_edges)) != RG_SUCCESS ||
            (rc = rg_graphml_write(&g, out, k.node, k.n, eids, n_edges)) != RG_SUCCESS) {
            code = cli_fail("export", rc);
            goto done;
        }
        n_nodes = k.n;
    } else {
        if ((rc = rg_graphml_write(&g, out, NULL, 0, NULL, 0)) != RG_SUCCESS) {
            code = cli_fail("export", rc);
            goto done;
        }
        n_nodes = g.n_users + g.n_movies;
        n_edges = g.n_ratings;
    }
    double seconds = cli_now() - t0;
    if (json) {
        json_t j;
        json_init(&j, stdout);
        json_object_begin(&j);
        json_key(&j, "path");
        json_str(&j, out);
        json_key(&j, "nodes");
        json_int(&j, n_nodes);
        json_key(&j, "edges");
        json_int(&j, n_edges);
        json_key(&j, "truncated");
        json_bool(&j, k.truncated);
        json_key(&j, "seconds");
        json_num(&j, seconds);
        json_object_end(&j);
        json_finish(&j);
    } else {
        printf("wrote %s: %lld nodes, %lld edges%s in %.2f s\n", out, (long long) n_nodes,
               (long long) n_edges, k.truncated ? " (neighbourhood cut at --limit)" : "",
               seconds);
    }
done:
    free(eids);
    rg_khop_free(&k);
    rg_graph_free(&g);
    return code;
}
