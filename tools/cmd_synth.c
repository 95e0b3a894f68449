/* cmd_synth.c: `reelgraph synth -o DIR`: write a synthetic MovieLens-format dataset. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "commands.h"

static void synth_help(void) {
    rg_synth_opts_t d;
    rg_synth_opts_default(&d);
    printf("usage: reelgraph synth -o DIR [options]\n\n"
           "Writes a synthetic dataset in ML-1M format (ratings.dat, movies.dat, users.dat) or,\n"
           "with --format ml-latest, ml-latest format (ratings.csv, movies.csv).  Users and movies\n"
           "have power-law degrees, users have genre tastes and biases, movies have quality and\n"
           "popularity, and ratings (1-5 stars) come with timestamps, so models have structure to\n"
           "learn.  The same options and seed always give the same files.\n\n"
           "options:\n"
           "  -o, --output DIR   directory to write (created if needed; required)\n"
           "  --users N          number of users (default: %lld)\n"
           "  --movies M         number of movies (default: %lld)\n"
           "  --ratings R        number of ratings (default: %lld; at most N * M / 2)\n"
           "  --seed S           random seed (default: %llu)\n"
           "  --format F         ml-1m or ml-latest (default: ml-1m)\n"
           "  --json             print one JSON object (path, users, movies, ratings, seed, seconds)\n"
           "  -h, --help         this help\n",
           (long long) d.n_users, (long long) d.n_movies, (long long) d.n_ratings,
           (unsigned long long) d.seed);
}

int cmd_synth(int argc, char **argv) {
    const char *dir = NULL, *v;
    int json = 0;
    rg_synth_opts_t o, got;
    rg_synth_opts_default(&o);
    for (int i = 1; i < argc; i++) {
        int r;
        if (cli_is_help(argv[i])) {
            synth_help();
            return RG_EXIT_OK;
        } else if (cli_flag(argv, i, "--json")) {
            json = 1;
        } else if ((r = cli_opt("synth", argc, argv, &i, "-o", &v)) ||
                   (r = cli_opt("synth", argc, argv, &i, "--output", &v))) {
            if (r < 0) {
                return RG_EXIT_USAGE;
            }
            dir = v;
        } else if ((r = cli_opt("synth", argc, argv, &i, "--users", &v))) {
            if (r < 0 || cli_parse_i64("synth", "--users", v, 1, INT32_MAX, &o.n_users)) {
                return RG_EXIT_USAGE;
            }
        } else if ((r = cli_opt("synth", argc, argv, &i, "--movies", &v))) {
            if (r < 0 || cli_parse_i64("synth", "--movies", v, 1, INT32_MAX, &o.n_movies)) {
                return RG_EXIT_USAGE;
            }
        } else if ((r = cli_opt("synth", argc, argv, &i, "--ratings", &v))) {
            if (r < 0 || cli_parse_i64("synth", "--ratings", v, 0, INT64_C(1) << 36,
                                       &o.n_ratings)) {
                return RG_EXIT_USAGE;
            }
        } else if ((r = cli_opt("synth", argc, argv, &i, "--seed", &v))) {
            if (r < 0 || cli_parse_u64("synth", "--seed", v, &o.seed)) {
                return RG_EXIT_USAGE;
            }
        } else if ((r = cli_opt("synth", argc, argv, &i, "--format", &v))) {
            if (r < 0) {
                return RG_EXIT_USAGE;
            }
            if (rg_format_parse(v, &o.format) != RG_SUCCESS ||
                (o.format != RG_FORMAT_ML1M && o.format != RG_FORMAT_MLLATEST)) {
                return cli_usage_error("synth", "--format: '%s' is not ml-1m or ml-latest", v);
            }
        } else if (argv[i][0] == '-' && argv[i][1] != '\0') {
            return cli_usage_error("synth", "unknown option '%s'", argv[i]);
        } else {
            return cli_usage_error("synth", "unexpected argument '%s'", argv[i]);
        }
    }
    if (!dir) {
        return cli_usage_error("synth", "missing -o DIR (where to write the dataset)");
    }
    double t0 = cli_now();
    rg_error_t rc = rg_synth_write(dir, &o, &got);
    if (rc != RG_SUCCESS) {
        return cli_fail("synth", rc);
    }
    double seconds = cli_now() - t0;
    if (json) {
        json_t j;
        json_init(&j, stdout);
        json_object_begin(&j);
        json_key(&j, "path");
        json_str(&j, dir);
        json_key(&j, "format");
        json_str(&j, rg_format_name(got.format));
        json_key(&j, "users");
        json_int(&j, got.n_users);
        json_key(&j, "movies");
        json_int(&j, got.n_movies);
        json_key(&j, "ratings");
        json_int(&j, got.n_ratings);
        json_key(&j, "seed");
        json_int(&j, (int64_t) got.seed);
        json_key(&j, "seconds");
        json_num(&j, seconds);
        json_object_end(&j);
        json_finish(&j);
    } else {
        printf("wrote %s (%s format): %lld users, %lld movies, %lld ratings, seed %llu, "
               "%.2f s\n", dir, rg_format_name(got.format), (long long) got.n_users,
               (long long) got.n_movies, (long long) got.n_ratings,
               (unsigned long long) got.seed, seconds);
    }
    return RG_EXIT_OK;
}
