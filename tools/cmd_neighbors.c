/* cmd_neighbors.c: `reelgraph neighbors GRAPH (--user ID|--movie ID) [--hops K] [--limit N]`:
 * the k-hop neighbourhood of a user or a movie, breadth first. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "query_common.h"

static void neighbors_help(void) {
    printf("usage: reelgraph neighbors GRAPH (--user ID | --movie ID) [options]\n\n"
           "Lists the nodes within K hops of a user or a movie, breadth first (hop 1 of a user\n"
           "is the movies they rated, hop 2 the other users who rated those, ...), each with its\n"
           "hop and the rating on the edge through which it was first reached.\n\n"
           "options:\n"
           "  --user ID    start from this user (dataset id)\n"
           "  --movie ID   start from this movie (dataset id)\n"
           "  --hops K     hops to expand (default 1)\n"
           "  --limit N    stop after N nodes besides the source (default 0 = no limit); memory\n"
           "               stays proportional to N on hubs\n"
           "  --json       one JSON object: source, hops, limit, truncated, count, nodes (list of\n"
           "               {type, id, hop, rating, via})\n"
           "  -h, --help   this help\n");
}

int cmd_neighbors(int argc, char **argv) {
    const char *path = NULL, *v = NULL;
    qc_node_opt_t node = {0};
    int32_t hops = 1;
    int64_t limit = 0;
    int json = 0, r;
    for (int i = 1; i < argc; i++) {
        if (cli_is_help(argv[i])) {
            neighbors_help();
            return RG_EXIT_OK;
        } else if (cli_flag(argv, i, "--json")) {
            json = 1;
        } else if ((r = qc_parse_node_opt("neighbors", argc, argv, &i, &node)) != 0) {
            if (r < 0) {
                return RG_EXIT_USAGE;
            }
        } else if ((r = cli_opt("neighbors", argc, argv, &i, "--hops", &v)) != 0) {
            if (r < 0 || cli_parse_i32("neighbors", "--hops", v, 0, 1000, &hops)) {
                return RG_EXIT_USAGE;
            }
        } else if ((r = cli_opt("neighbors", argc, argv, &i, "--limit", &v)) != 0) {
            if (r < 0 || cli_parse_i64("neighbors", "--limit", v, 0, INT64_MAX - 1, &limit)) {
                return RG_EXIT_USAGE;
            }
        } else if (argv[i][0] == '-' && argv[i][1] != '\0') {
            return cli_usage_error("neighbors", "unknown option '%s'", argv[i]);
        } else if (!path) {
            path = argv[i];
        } else {
            return cli_usage_error("neighbors", "unexpected argument '%s'", argv[i]);
        }
    }
    int code = qc_require_graph_node("neighbors", path, &node);
    if (code != RG_EXIT_OK) {
        return code;
    }
    rg_graph_t g;
    rg_khop_t k;
    int32_t src;
    memset(&k, 0, sizeof k);
    rg_error_t rc;
    if ((code = qc_load_node("neighbors", path, &node, &g, &src)) != RG_EXIT_OK) {
        return code;
    }
    if ((rc = rg_khop(&k, &g, src, hops, limit > 0 ? limit + 1 : 0)) != RG_SUCCESS) {
        rg_graph_free(&g);
        return cli_fail("neighbors", rc);
    }
    if (json) {
        json_t j;
        json_init(&j, stdout);
        json_object_begin(&j);
        qc_json_source(&j, &g, src);
        json_key(&j, "hops");
        json_int(&j, hops);
        json_key(&j, "limit");
        json_int(&j, limit);
        json_key(&j, "truncated");
        json_bool(&j, k.truncated);
        json_key(&j, "count");
        json_int(&j, k.n - 1);
        json_key(&j, "nodes");
        json_array_begin(&j);
        for (int64_t i = 1; i < k.n; i++) {
            json_object_begin(&j);
            qc_json_node_keys(&j, &g, k.node[i]);
            json_key(&j, "hop");
            json_int(&j, k.hop[i]);
            json_key(&j, "rating");
            json_num(&j, g.rating[k.eid[i]]);
            json_key(&j, "via");
            json_int(&j, qc_node_ext(&g, k.node[k.parent[i]]));
            json_object_end(&j);
        }
        json_array_end(&j);
        json_object_end(&j);
        json_finish(&j);
    } else {
        printf("%s %lld: %lld nodes within %d hop%s%s\n", qc_node_type(&g, src),
               (long long) qc_node_ext(&g, src), (long long) (k.n - 1), (int) hops,
               hops == 1 ? "" : "s", k.truncated ? " (stopped at --limit)" : "");
        printf("%-4s %-6s %10s %6s %10s  %s\n", "hop", "type", "id", "rating", "via", "title");
        for (int64_t i = 1; i < k.n; i++) {
            int32_t x = k.node[i], m;
            int is_movie = rg_node_side(&g, x, &m) == RG_SIDE_MOVIE;
            printf("%-4d %-6s %10lld %6g %10lld  %s\n", (int) k.hop[i], qc_node_type(&g, x),
                   (long long) qc_node_ext(&g, x), (double) g.rating[k.eid[i]],
                   (long long) qc_node_ext(&g, k.node[k.parent[i]]),
                   is_movie ? rg_graph_movie_title(&g, m) : "");
        }
    }
    rg_khop_free(&k);
    rg_graph_free(&g);
    return RG_EXIT_OK;
}
