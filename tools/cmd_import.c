/* cmd_import.c: `reelgraph import SRC -o GRAPH`: read a MovieLens directory or a delimited
 * ratings file, build the store and write it as a snapshot. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "commands.h"

static void import_help(void) {
    printf("usage: reelgraph import SRC -o GRAPH [options]\n\n"
           "Reads a dataset directory (ml-100k: u.data, u.item, u.user, u.genre; ml-1m / ml-10m:\n"
           "ratings.dat, movies.dat, users.dat; ml-latest / 20m / 25m / 32m: ratings.csv,\n"
           "movies.csv) or one delimited ratings file (user,movie,rating[,timestamp]; comma, tab,\n"
           "'::', '|', ';' or blanks; optional header line), builds the graph and writes it as a\n"
           "snapshot GRAPH (.rg) that the other commands load without re-parsing.\n"
           "Duplicate (user, movie) ratings keep the latest by timestamp and are counted; ratings\n"
           "of movies missing from the metadata are kept (with an empty title) and counted.\n\n"
           "options:\n"
           "  -o, --output GRAPH    snapshot to write (required)\n"
           "  --format F            auto, ml-100k, ml-1m, ml-latest or csv (default: auto: by the\n"
           "                        files present; a single file is csv)\n"
           "  --skip-bad            skip malformed lines and count them (default: stop at the\n"
           "                        first one with an error naming file and line)\n"
           "  --rating-min X        csv only: lowest allowed rating (default: inferred from data)\n"
           "  --rating-max X        csv only: highest allowed rating (default: inferred)\n"
           "  --json                print one JSON object (users, movies, ratings, rated_movies,\n"
           "                        duplicates, skipped, movies_without_metadata, seconds, ...)\n"
           "  --quiet               no progress on stderr\n"
           "  -h, --help            this help\n");
}

int cmd_import(int argc, char **argv) {
    const char *src = NULL, *out = NULL, *v;
    int json = 0, quiet = 0, have_min = 0, have_max = 0;
    double rmin = 0.0, rmax = 0.0;
    rg_read_opts_t o;
    rg_read_opts_default(&o);
    for (int i = 1; i < argc; i++) {
        int r;
        if (cli_is_help(argv[i])) {
            import_help();
            return RG_EXIT_OK;
        } else if (cli_flag(argv, i, "--json")) {
            json = 1;
        } else if (cli_flag(argv, i, "--quiet")) {
            quiet = 1;
        } else if (cli_flag(argv, i, "--skip-bad")) {
            o.skip_bad = 1;
        } else if ((r = cli_opt("import", argc, argv, &i, "-o", &v)) ||
                   (r = cli_opt("import", argc, argv, &i, "--output", &v))) {
            if (r < 0) {
                return RG_EXIT_USAGE;
            }
            out = v;
        } else if ((r = cli_opt("import", argc, argv, &i, "--format", &v))) {
            if (r < 0) {
                return RG_EXIT_USAGE;
            }
            if (rg_format_parse(v, &o.format) != RG_SUCCESS) {
                return cli_usage_error("import", "%s", rg_last_error_message());
            }
        } else if ((r = cli_opt("import", argc, argv, &i, "--rating-min", &v))) {
            if (r < 0 || cli_parse_f64("import", "--rating-min", v, -1e9, 1e9, &rmin)) {
                return RG_EXIT_USAGE;
            }
            have_min = 1;
        } else if ((r = cli_opt("import", argc, argv, &i, "--rating-max", &v))) {
            if (r < 0 || cli_parse_f64("import", "--rating-max", v, -1e9, 1e9, &rmax)) {
                return RG_EXIT_USAGE;
            }
            have_max = 1;
        } else if (argv[i][0] == '-' && argv[i][1] != '\0') {
            return cli_usage_error("import", "unknown option '%s'", argv[i]);
        } else if (!src) {
            src = argv[i];
        } else {
            return cli_usage_error("import", "unexpected argument '%s'", argv[i]);
        }
    }
    if (!src) {
        return cli_usage_error("import", "missing SRC (a dataset directory or a ratings file)");
    }
    if (!out) {
        return cli_usage_error("import", "missing -o GRAPH (the snapshot to write)");
    }
    if (have_min != have_max) {
        return cli_usage_error("import", "give both --rating-min and --rating-max, or neither");
    }
    if (have_min && !(rmin < rmax)) {
        return cli_usage_error("import", "--rating-min %g must be below --rating-max %g", rmin,
                               rmax);
    }
    o.rating_min = (float) rmin;
    o.rating_max = (float) rmax;

    progress_t p;
    progress_init(&p, quiet);
    double t0 = cli_now();
    rg_dataset_t d;
    rg_graph_t g;
    rg_build_stats_t st;
    rg_dataset_init(&d);
    memset(&g, 0, sizeof g);
    progress_update(&p, "import: reading %s", src);
    rg_error_t rc = rg_dataset_read(&d, src, &o);
    double t_read = cli_now() - t0;
    if (rc == RG_SUCCESS) {
        progress_update(&p, "import: building the graph from %lld ratings",
                        (long long) d.n_ratings);
        rc = rg_graph_build(&g, &d, &st);
    }
    int64_t skipped = d.n_skipped_lines;
    rg_dataset_free(&d); /* before writing: keeps the peak memory to one copy of the data */
    double t_build = cli_now() - t0 - t_read;
    if (rc == RG_SUCCESS) {
        progress_update(&p, "import: writing %s", out);
        rc = rg_snapshot_write(&g, out);
    }
    progress_done(&p);
    if (rc != RG_SUCCESS) {
        rg_graph_free(&g);
        return cli_fail("import", rc);
    }
    double seconds = cli_now() - t0;
    int64_t rated = g.n_movies - st.n_movies_unrated;
    if (json) {
        json_t j;
        char fp[32];
        snprintf(fp, sizeof fp, "%016llx", (unsigned long long) g.fingerprint);
        json_init(&j, stdout);
        json_object_begin(&j);
        json_graph_sizes(&j, out, &g);
        json_key(&j, "rated_movies");
        json_int(&j, rated);
        json_key(&j, "duplicates");
        json_int(&j, st.n_duplicates);
        json_key(&j, "skipped");
        json_int(&j, skipped);
        json_key(&j, "movies_without_metadata");
        json_int(&j, st.n_movies_no_meta);
        json_key(&j, "movies_unrated");
        json_int(&j, st.n_movies_unrated);
        json_key(&j, "fingerprint");
        json_str(&j, fp);
        json_key(&j, "read_seconds");
        json_num(&j, t_read);
        json_key(&j, "build_seconds");
        json_num(&j, t_build);
        json_key(&j, "seconds");
        json_num(&j, seconds);
        json_object_end(&j);
        json_finish(&j);
    } else {
        printf("imported %s (%s) -> %s in %.2f s\n", src, g.name, out, seconds);
        printf("  users %lld, movies %lld (%lld rated), ratings %lld\n", (long long) g.n_users,
               (long long) g.n_movies, (long long) rated, (long long) g.n_ratings);
        printf("  duplicates %lld, skipped lines %lld, movies without metadata %lld, "
               "unrated movies %lld\n", (long long) st.n_duplicates, (long long) skipped,
               (long long) st.n_movies_no_meta, (long long) st.n_movies_unrated);
    }
    rg_graph_free(&g);
    return RG_EXIT_OK;
}
