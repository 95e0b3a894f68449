/* cmd_recommend.c: `reelgraph recommend MODEL --user ID` or `--ratings "MOVIE:RATING,..."`: the
 * top-N movies the user has not rated, with titles and scores.  A user of the graph is scored by
 * the model; a new user given as ratings is folded in without retraining; a user with no ratings
 * gets the most popular movies, labelled as a popularity fallback. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "train_common.h"

#define CMD "recommend"

static void usage(FILE *f) {
    fprintf(f,
            "usage: reelgraph recommend MODEL (--user ID | --ratings \"MOVIE:RATING,...\") "
            "[options]\n\n"
            "Top-N movies the user has not rated (in the whole graph), best first.\n\n"
            "options:\n"
            "  --user ID            a user of the graph (dataset id)\n"
            "  --ratings LIST       a new user, not in the graph, given by ratings as\n"
            "                       MOVIE:RATING pairs (dataset ids), folded into the model\n"
            "                       without retraining; an empty LIST gets the popularity\n"
            "                       fallback\n"
            "  -n N                 number of movies (10)\n"
            "  --genre-filter       only movies sharing a genre with the movies the user rated\n"
            "  --graph PATH         the snapshot (default: the one the model was trained on)\n"
            "  --json               print one JSON object on stdout\n");
}

int cmd_recommend(int argc, char **argv) {
    const char *model_path = NULL, *graph_path = NULL, *ratings_text = NULL;
    int json = 0, genre_filter = 0, code = RG_EXIT_OK, have_user = 0;
    int64_t user_id = 0;
    int32_t n = 10, n_out = 0;
    rg_model_t m;
    rg_graph_t full, train;
    uint8_t *is_test = NULL;
    int32_t *rated = NULL, *movies = NULL;
    float *rated_r = NULL, *scores = NULL;
    const char *fallback = NULL;
    rg_error_t rc;
    memset(&m, 0, sizeof m);
    memset(&full, 0, sizeof full);
    memset(&train, 0, sizeof train);

    for (int i = 1; i < argc; i++) {
        const char *v = NULL;
        int r;
        if (cli_is_help(argv[i])) {
            usage(stdout);
            return RG_EXIT_OK;
        }
        if ((r = cli_opt(CMD, argc, argv, &i, "--user", &v)) != 0) {
            if (r < 0 || cli_parse_i64(CMD, "--user", v, INT64_MIN, INT64_MAX, &user_id) != 0) {
                return RG_EXIT_USAGE;
            }
            have_user = 1;
        } else if ((r = cli_opt(CMD, argc, argv, &i, "--ratings", &v)) != 0) {
            if (r < 0) {
                return RG_EXIT_USAGE;
            }
            ratings_text = v;
        } else if ((r = cli_opt(CMD, argc, argv, &i, "-n", &v)) != 0) {
            if (r < 0 || cli_parse_i32(CMD, "-n", v, 1, 1000000, &n) != 0) {
                return RG_EXIT_USAGE;
            }
        } else if ((r = cli_opt(CMD, argc, argv, &i, "--graph", &v)) != 0) {
            if (r < 0) {
                return RG_EXIT_USAGE;
            }
            graph_path = v;
        } else if (cli_flag(argv, i, "--genre-filter")) {
            genre_filter = 1;
        } else if (cli_flag(argv, i, "--json")) {
            json = 1;
        } else if (argv[i][0] == '-' && argv[i][1] != '\0') {
            return cli_usage_error(CMD, "unknown option %s", argv[i]);
        } else if (!model_path) {
            model_path = argv[i];
        } else {
            return cli_usage_error(CMD, "unexpected argument %s", argv[i]);
        }
    }
    if (!model_path) {
        return cli_usage_error(CMD, "missing MODEL (a file written by 'reelgraph train')");
    }
    if (have_user == (ratings_text != NULL)) {
        return cli_usage_error(CMD, "give exactly one of --user ID and --ratings LIST");
    }
    if ((rc = rg_model_load(&m, model_path)) != RG_SUCCESS) {
        return cli_fail(CMD, rc);
    }
    if (!graph_path) {
        graph_path = m.graph_path;
    }
    if ((rc = rg_snapshot_load(&full, graph_path)) != RG_SUCCESS) {
        code = cli_fail(CMD, rc);
        goto done;
    }
    movies = malloc((size_t) n * sizeof *movies);
    scores = malloc((size_t) n * sizeof *scores);
    if (!movies || !scores) {
        fprintf(stderr, "reelgraph %s: out of memory\n", CMD);
        code = RG_EXIT_INTERNAL;
        goto done;
    }
    if ((code = tc_model_split(CMD, &m, &full, &train, &is_test)) != RG_EXIT_OK) {
        goto done;
    }

    if (have_user) {
        int32_t u = rg_graph_user_index(&full, user_id);
        if (u < 0) {
            fprintf(stderr, "reelgraph %s: user %lld is not in the graph %s (hint: describe a new "
                    "user with --ratings \"MOVIE:RATING,...\")\n", CMD, (long long) user_id,
                    graph_path);
            code = RG_EXIT_USAGE;
            goto done;
        }
        if (rg_graph_user_degree(&train, u) == 0) {
            fallback = "popularity";
            rc = rg_recommend_popular(&train, rg_graph_user_degree(&full, u),
                                      full.user_adj + full.user_ptr[u], n, movies, scores, &n_out);
        } else {
            rc = rg_recommend(&m, &train, &full, u, n, genre_filter, movies, scores, &n_out);
        }
    } else {
        int64_t cap = full.n_movies > 0 ? full.n_movies : 1, n_rated = 0;
        rated = malloc((size_t) cap * sizeof *rated);
        rated_r = malloc((size_t) cap * sizeof *rated_r);
        if (!rated || !rated_r) {
            fprintf(stderr, "reelgraph %s: out of memory\n", CMD);
            code = RG_EXIT_INTERNAL;
            goto done;
        }
        if ((rc = rg_ratings_parse_list(&full, ratings_text, rated, rated_r, cap, &n_rated)) !=
            RG_SUCCESS) {
            fprintf(stderr, "reelgraph %s: --ratings: %s\n", CMD, rg_last_error_message());
            code = rc == RG_ENOMEM ? RG_EXIT_INTERNAL : RG_EXIT_USAGE;
            goto done;
        }
        if (n_rated == 0) {
            fallback = "popularity";
            rc = rg_recommend_popular(&train, 0, NULL, n, movies, scores, &n_out);
        } else {
            rc = rg_recommend_fold_in(&m, &train, n_rated, rated, rated_r, n, genre_filter,
                                      movies, scores, &n_out);
        }
    }
    if (rc != RG_SUCCESS) {
        code = cli_fail(CMD, rc);
        goto done;
    }
    if (fallback && genre_filter) {
        fprintf(stderr, "reelgraph %s: note: the user has no ratings, so --genre-filter has "
                "nothing to filter by\n", CMD);
    }

    if (json) {
        json_t j;
        json_init(&j, stdout);
        json_object_begin(&j);
        json_key(&j, "model");
        json_str(&j, m.ops->name);
        json_key(&j, "user");
        if (have_user) {
            json_int(&j, user_id);
        } else {
            json_null(&j);
        }
        json_key(&j, "fallback");
        if (fallback) {
            json_str(&j, fallback);
        } else {
            json_null(&j);
        }
        json_key(&j, "genre_filter");
        json_bool(&j, genre_filter);
        json_key(&j, "items");
        json_array_begin(&j);
        for (int32_t i = 0; i < n_out; i++) {
            json_object_begin(&j);
            json_key(&j, "id");
            json_int(&j, full.movie_ext[movies[i]]);
            json_key(&j, "title");
            json_str(&j, rg_graph_movie_title(&full, movies[i]));
            json_key(&j, "score");
            json_num(&j, scores[i]);
            json_object_end(&j);
        }
        json_array_end(&j);
        json_object_end(&j);
        json_finish(&j);
    } else {
        if (fallback) {
            printf("popularity fallback (the user has no ratings): the most rated movies\n");
        }
        printf("%4s %8s %9s  %s\n", "rank", "movie", fallback ? "ratings" : "score", "title");
        for (int32_t i = 0; i < n_out; i++) {
            printf("%4d %8lld %9.4g  %s\n", (int) i + 1, (long long) full.movie_ext[movies[i]],
                   (double) scores[i], rg_graph_movie_title(&full, movies[i]));
        }
    }
done:
    rg_model_free(&m);
    rg_graph_free(&train);
    rg_graph_free(&full);
    free(is_test);
    free(rated);
    free(rated_r);
    free(movies);
    free(scores);
    return code;
}
