/* cmd_sample.c: `reelgraph sample GRAPH (--user ID|--movie ID) --fanout F1,F2,... [--seed S]`:
 * a seeded neighbour sample, hop by hop (the sampler the GNN models train on). */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "query_common.h"

static void sample_help(void) {
    printf("usage: reelgraph sample GRAPH (--user ID | --movie ID) --fanout F1,F2,... [options]\n\n"
           "Samples neighbours hop by hop: F1 neighbours of the node, then F2 neighbours of each\n"
           "distinct node of hop 1, and so on, without replacement (every neighbour when the\n"
           "degree is below the fan-out; 0 = all).  The same seed gives the same sample.\n\n"
           "options:\n"
           "  --user ID          start from this user (dataset id)\n"
           "  --movie ID         start from this movie (dataset id)\n"
           "  --fanout F1,F2,..  neighbours per node at each hop (required, at most %d hops)\n"
           "  --seed S           random seed (default 42)\n"
           "  --weight W         uniform (default), rating (probability proportional to the\n"
           "                     rating) or recency (weight halves every --half-life days before\n"
           "                     the node's latest rating)\n"
           "  --half-life DAYS   recency half-life in days (default 30)\n"
           "  --json             one JSON object: source, seed, fanout, layers (one list per hop,\n"
           "                     hop 1 first, of {type, id, via, rating})\n"
           "  -h, --help         this help\n",
           RG_MAX_LAYERS);
}

int cmd_sample(int argc, char **argv) {
    const char *path = NULL, *v = NULL;
    qc_node_opt_t node = {0};
    int32_t fanouts[RG_MAX_LAYERS];
    int n_hops = 0, json = 0, r;
    uint64_t seed = 42;
    double half_life_days = 30.0;
    rg_sample_opts_t so;
    rg_sample_opts_default(&so);
    for (int i = 1; i < argc; i++) {
        if (cli_is_help(argv[i])) {
            sample_help();
            return RG_EXIT_OK;
        } else if (cli_flag(argv, i, "--json")) {
            json = 1;
        } else if ((r = qc_parse_node_opt("sample", argc, argv, &i, &node)) != 0) {
            if (r < 0) {
                return RG_EXIT_USAGE;
            }
        } else if ((r = cli_opt("sample", argc, argv, &i, "--fanout", &v)) != 0) {
            if (r < 0 || (n_hops = cli_parse_list_i32("sample", "--fanout", v, fanouts,
                                                      RG_MAX_LAYERS)) < 0) {
                return RG_EXIT_USAGE;
            }
        } else if ((r = cli_opt("sample", argc, argv, &i, "--seed", &v)) != 0) {
            if (r < 0 || cli_parse_u64("sample", "--seed", v, &seed)) {
                return RG_EXIT_USAGE;
            }
        } else if ((r = cli_opt("sample", argc, argv, &i, "--weight", &v)) != 0) {
            if (r < 0) {
                return RG_EXIT_USAGE;
            }
            if (rg_sample_weight_parse(v, &so.weight) != RG_SUCCESS) {
                return cli_usage_error("sample", "--weight: %s", rg_last_error_message());
            }
        } else if ((r = cli_opt("sample", argc, argv, &i, "--half-life", &v)) != 0) {
            if (r < 0 || cli_parse_f64("sample", "--half-life", v, 1e-6, 1e6, &half_life_days)) {
                return RG_EXIT_USAGE;
            }
        } else if (argv[i][0] == '-' && argv[i][1] != '\0') {
            return cli_usage_error("sample", "unknown option '%s'", argv[i]);
        } else if (!path) {
            path = argv[i];
        } else {
            return cli_usage_error("sample", "unexpected argument '%s'", argv[i]);
        }
    }
    int code = qc_require_graph_node("sample", path, &node);
    if (code != RG_EXIT_OK) {
        return code;
    }
    if (n_hops == 0) {
        return cli_usage_error("sample", "give --fanout F1,F2,... (neighbours per hop)");
    }
    so.half_life = half_life_days * 86400.0;
    rg_graph_t g;
    rg_sample_hops_t s;
    int32_t src;
    rg_error_t rc;
    if ((code = qc_load_node("sample", path, &node, &g, &src)) != RG_EXIT_OK) {
        return code;
    }
    if ((rc = rg_sample_hops(&s, &g, src, fanouts, n_hops, &so, seed)) != RG_SUCCESS) {
        rg_graph_free(&g);
        return cli_fail("sample", rc);
    }
    if (json) {
        json_t j;
        json_init(&j, stdout);
        json_object_begin(&j);
        qc_json_source(&j, &g, src);
        json_key(&j, "seed");
        json_int(&j, (int64_t) seed);
        json_key(&j, "fanout");
        json_array_begin(&j);
        for (int l = 0; l < n_hops; l++) {
            json_int(&j, fanouts[l]);
        }
        json_array_end(&j);
        json_key(&j, "layers");
        json_array_begin(&j);
        for (int l = 0; l < n_hops; l++) {
            json_array_begin(&j);
            for (int64_t e = s.ptr[l]; e < s.ptr[l + 1]; e++) {
                json_object_begin(&j);
                qc_json_node_keys(&j, &g, s.node[e]);
                json_key(&j, "via");
                json_int(&j, qc_node_ext(&g, s.parent[e]));
                json_key(&j, "rating");
                json_num(&j, g.rating[s.eid[e]]);
                json_object_end(&j);
            }
            json_array_end(&j);
        }
        json_array_end(&j);
        json_object_end(&j);
        json_finish(&j);
    } else {
        printf("sample from %s %lld, seed %llu\n", qc_node_type(&g, src),
               (long long) qc_node_ext(&g, src), (unsigned long long) seed);
        for (int l = 0; l < n_hops; l++) {
            printf("hop %d (fan-out %d): %lld sampled edges\n", l + 1, (int) fanouts[l],
                   (long long) (s.ptr[l + 1] - s.ptr[l]));
            for (int64_t e = s.ptr[l]; e < s.ptr[l + 1]; e++) {
                printf("  %s %lld via %lld (rating %g)\n", qc_node_type(&g, s.node[e]),
                       (long long) qc_node_ext(&g, s.node[e]),
                       (long long) qc_node_ext(&g, s.parent[e]), (double) g.rating[s.eid[e]]);
            }
        }
    }
    rg_sample_hops_free(&s);
    rg_graph_free(&g);
    return RG_EXIT_OK;
}
