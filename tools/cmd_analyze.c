/* cmd_analyze.c: `reelgraph analyze GRAPH`: connected components, degree distributions, the
 * one-mode projection onto users or movies (co-rating weights, thresholded) and PageRank on it,
 * through the igraph bridge. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "query_common.h"

static void analyze_help(void) {
    printf("usage: reelgraph analyze GRAPH [options]\n\n"
           "Graph analytics with igraph: connected components of the bipartite graph, degree\n"
           "distributions of users and movies (log2 bins), and the projection onto users (or\n"
           "movies): two users are linked when they rated at least --min-common movies in\n"
           "common, weighted by that count; its components and weighted PageRank.\n\n"
           "options:\n"
           "  --project SIDE    users (default), movies or none\n"
           "  --min-common N    co-ratings needed for a projected edge (default 50; lower values\n"
           "                    give denser projections)\n"
           "  --max-edges N     refuse projections with more edges (default 20000000)\n"
           "  --top N           PageRank nodes to list (default 10)\n"
           "  --damping D       PageRank damping factor (default 0.85)\n"
           "  --threads N       threads for the projection (default 0 = all)\n"
           "  --json            one JSON object: users, movies, ratings, components,\n"
           "                    degree_distribution, projection (side, min_common, nodes, edges,\n"
           "                    components, largest_component, pagerank_top: [{id, score,\n"
           "                    degree}]), seconds\n"
           "  -h, --help        this help\n");
}

static void analyze_hist_json(json_t *j, const int64_t *counts, int n_bins) {
    json_array_begin(j);
    for (int b = 0; b < n_bins; b++) {
        json_object_begin(j);
        json_key(j, "min");
        json_int(j, b == 0 ? 0 : (int64_t) 1 << (b - 1));
        json_key(j, "max");
        json_int(j, b == 0 ? 0 : ((int64_t) 1 << b) - 1);
        json_key(j, "count");
        json_int(j, counts[b]);
        json_object_end(j);
    }
    json_array_end(j);
}

static void analyze_hist_text(const char *name, const int64_t *counts, int n_bins) {
    printf("%s degree distribution:\n", name);
    for (int b = 0; b < n_bins; b++) {
        if (b <= 1) {
            printf("  %16d %10lld\n", b, (long long) counts[b]);
        } else {
            char range[40];
            snprintf(range, sizeof range, "%lld-%lld", (long long) 1 << (b - 1),
                     ((long long) 1 << b) - 1);
            printf("  %16s %10lld\n", range, (long long) counts[b]);
        }
    }
}

/* Indices of the `top` largest scores, descending (ties: lower index first). */
static int32_t *analyze_top(const double *scores, int64_t n, int32_t top) {
    int32_t *idx = malloc((size_t) (top > 0 ? top : 1) * sizeof *idx);
    if (!idx) {
        return NULL;
    }
    int32_t m = 0;
    for (int64_t v = 0; v < n; v++) {
        int32_t pos = m < top ? m : top;
        while (pos > 0 && scores[idx[pos - 1]] < scores[v]) {
            if (pos < top) {
                idx[pos] = idx[pos - 1];
            }
            pos--;
        }
        if (pos < top) {
            idx[pos] = (int32_t) v;
            if (m < top) {
                m++;
            }
        }
    }
    return idx;
}

int cmd_analyze(int argc, char **argv) {
    const char *path = NULL, *v = NULL;
    int json = 0, r, project = 1;
    rg_side_t side = RG_SIDE_USER;
    int32_t min_common = 50, top = 10, threads = 0;
    int64_t max_edges = 20000000;
    double damping = 0.85;
    for (int i = 1; i < argc; i++) {
        if (cli_is_help(argv[i])) {
            analyze_help();
            return RG_EXIT_OK;
        } else if (cli_flag(argv, i, "--json")) {
            json = 1;
        } else if ((r = cli_opt("analyze", argc, argv, &i, "--project", &v)) != 0) {
            if (r < 0) {
                return RG_EXIT_USAGE;
            }
            if (!strcmp(v, "users")) {
                side = RG_SIDE_USER;
            } else if (!strcmp(v, "movies")) {
                side = RG_SIDE_MOVIE;
            } else if (!strcmp(v, "none")) {
                project = 0;
            } else {
                return cli_usage_error("analyze", "--project: '%s' is not users, movies or none",
                                       v);
            }
        } else if ((r = cli_opt("analyze", argc, argv, &i, "--min-common", &v)) != 0) {
            if (r < 0 || cli_parse_i32("analyze", "--min-common", v, 1, INT32_MAX, &min_common)) {
                return RG_EXIT_USAGE;
            }
        } else if ((r = cli_opt("analyze", argc, argv, &i, "--max-edges", &v)) != 0) {
            if (r < 0 || cli_parse_i64("analyze", "--max-edges", v, 1, INT64_MAX, &max_edges)) {
                return RG_EXIT_USAGE;
            }
        } else if ((r = cli_opt("analyze", argc, argv, &i, "--top", &v)) != 0) {
            if (r < 0 || cli_parse_i32("analyze", "--top", v, 0, 1000000, &top)) {
                return RG_EXIT_USAGE;
            }
        } else if ((r = cli_opt("analyze", argc, argv, &i, "--damping", &v)) != 0) {
            if (r < 0 || cli_parse_f64("analyze", "--damping", v, 1e-9, 1.0 - 1e-9, &damping)) {
                return RG_EXIT_USAGE;
            }
        } else if ((r = cli_opt("analyze", argc, argv, &i, "--threads", &v)) != 0) {
            if (r < 0 || cli_parse_i32("analyze", "--threads", v, 0, 4096, &threads)) {
                return RG_EXIT_USAGE;
            }
        } else if (argv[i][0] == '-' && argv[i][1] != '\0') {
            return cli_usage_error("analyze", "unknown option '%s'", argv[i]);
        } else if (!path) {
            path = argv[i];
        } else {
            return cli_usage_error("analyze", "unexpected argument '%s'", argv[i]);
        }
    }
    if (!path) {
        return cli_usage_error("analyze", "missing GRAPH (a snapshot written by 'reelgraph "
                               "import')");
    }
    double t0 = cli_now();
    rg_graph_t g;
    rg_components_t comp, pcomp;
    rg_projection_t p;
    double *pr = NULL;
    int32_t *best = NULL;
    int64_t uh[64], mh[64];
    int code = RG_EXIT_OK;
    memset(&p, 0, sizeof p);
    memset(&pcomp, 0, sizeof pcomp);
    rg_error_t rc = rg_snapshot_load(&g, path);
    if (rc != RG_SUCCESS) {
        return cli_fail("analyze", rc);
    }
    if ((rc = rg_analyze_components(&g, &comp)) != RG_SUCCESS) {
        code = cli_fail("analyze", rc);
        goto done;
    }
    int nu = rg_degree_histogram(&g, RG_SIDE_USER, uh);
    int nm = rg_degree_histogram(&g, RG_SIDE_MOVIE, mh);
    if (project) {
        if ((rc = rg_projection_build(&p, &g, side, min_common, max_edges, threads)) !=
                RG_SUCCESS ||
            (rc = rg_projection_components(&p, &pcomp)) != RG_SUCCESS) {
            code = cli_fail("analyze", rc);
            goto done;
        }
        pr = malloc((size_t) (p.n_nodes > 0 ? p.n_nodes : 1) * sizeof *pr);
        if (!pr) {
            code = RG_EXIT_INTERNAL;
            goto done;
        }
        if ((rc = rg_projection_pagerank(&p, damping, pr)) != RG_SUCCESS) {
            code = cli_fail("analyze", rc);
            goto done;
        }
        top = top < p.n_nodes ? top : (int32_t) p.n_nodes;
        if (!(best = analyze_top(pr, p.n_nodes, top))) {
            code = RG_EXIT_INTERNAL;
            goto done;
        }
    }
    double seconds = cli_now() - t0;
    if (json) {
        json_t j;
        json_init(&j, stdout);
        json_object_begin(&j);
        json_graph_sizes(&j, path, &g);
        json_key(&j, "components");
        json_object_begin(&j);
        json_key(&j, "count");
        json_int(&j, comp.n_components);
        json_key(&j, "largest");
        json_int(&j, comp.largest);
        json_key(&j, "isolated");
        json_int(&j, comp.n_isolated);
        json_object_end(&j);
        json_key(&j, "degree_distribution");
        json_object_begin(&j);
        json_key(&j, "users");
        analyze_hist_json(&j, uh, nu);
        json_key(&j, "movies");
        analyze_hist_json(&j, mh, nm);
        json_object_end(&j);
        json_key(&j, "projection");
        if (!project) {
            json_null(&j);
        } else {
            json_object_begin(&j);
            json_key(&j, "side");
            json_str(&j, side == RG_SIDE_USER ? "users" : "movies");
            json_key(&j, "min_common");
            json_int(&j, min_common);
            json_key(&j, "nodes");
            json_int(&j, p.n_nodes);
            json_key(&j, "edges");
            json_int(&j, p.n_edges);
            json_key(&j, "components");
            json_int(&j, pcomp.n_components);
            json_key(&j, "largest_component");
            json_int(&j, pcomp.largest);
            json_key(&j, "isolated");
            json_int(&j, pcomp.n_isolated);
            json_key(&j, "damping");
            json_num(&j, damping);
            json_key(&j, "pagerank_top");
            json_array_begin(&j);
            for (int32_t i = 0; i < top; i++) {
                int32_t x = rg_node_global(&g, side, best[i]);
                json_object_begin(&j);
                json_key(&j, "id");
                json_int(&j, qc_node_ext(&g, x));
                json_key(&j, "score");
                json_num(&j, pr[best[i]]);
                json_key(&j, "degree");
                json_int(&j, rg_node_degree(&g, x));
                if (side == RG_SIDE_MOVIE) {
                    json_key(&j, "title");
                    json_str(&j, rg_graph_movie_title(&g, best[i]));
                }
                json_object_end(&j);
            }
            json_array_end(&j);
            json_object_end(&j);
        }
        json_key(&j, "seconds");
        json_num(&j, seconds);
        json_object_end(&j);
        json_finish(&j);
    } else {
        printf("%s: %lld users, %lld movies, %lld ratings\n", path, (long long) g.n_users,
               (long long) g.n_movies, (long long) g.n_ratings);
        printf("components: %lld (largest %lld nodes, %lld isolated)\n",
               (long long) comp.n_components, (long long) comp.largest,
               (long long) comp.n_isolated);
        analyze_hist_text("user", uh, nu);
        analyze_hist_text("movie", mh, nm);
        if (project) {
            printf("projection onto %s (>= %d co-ratings): %lld nodes, %lld edges, %lld "
                   "components (largest %lld, %lld isolated)\n",
                   side == RG_SIDE_USER ? "users" : "movies", (int) min_common,
                   (long long) p.n_nodes, (long long) p.n_edges, (long long) pcomp.n_components,
                   (long long) pcomp.largest, (long long) pcomp.n_isolated);
            printf("PageRank (damping %g), top %d:\n", damping, (int) top);
            for (int32_t i = 0; i < top; i++) {
                int32_t x = rg_node_global(&g, side, best[i]);
                printf("  %3d. %10lld  %.6f  degree %lld  %s\n", (int) i + 1,
                       (long long) qc_node_ext(&g, x), pr[best[i]],
                       (long long) rg_node_degree(&g, x),
                       side == RG_SIDE_MOVIE ? rg_graph_movie_title(&g, best[i]) : "");
            }
        }
        printf("%.2f s\n", seconds);
    }
done:
    free(pr);
    free(best);
    rg_projection_free(&p);
    rg_graph_free(&g);
    return code;
}
