/* cmd_info.c: `reelgraph info GRAPH`: sizes, rating histogram, degree statistics, genres. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "commands.h"

static void info_help(void) {
    printf("usage: reelgraph info GRAPH [options]\n\n"
           "Prints the sizes of a graph snapshot, its rating scale and histogram, degree\n"
           "statistics (min / median / mean / max) of users and movies, and the number of movies\n"
           "per genre.\n\n"
           "options:\n"
           "  --json       print one JSON object (users, movies, ratings, rated_movies, genres,\n"
           "               rating_min, rating_max, histogram, user_degree, movie_degree, ...)\n"
           "  -h, --help   this help\n");
}

static void info_degree_json(json_t *j, const char *key, const rg_degree_stats_t *s) {
    json_key(j, key);
    json_object_begin(j);
    json_key(j, "min");
    json_int(j, s->min);
    json_key(j, "median");
    json_num(j, s->median);
    json_key(j, "mean");
    json_num(j, s->mean);
    json_key(j, "max");
    json_int(j, s->max);
    json_key(j, "zero");
    json_int(j, s->n_zero);
    json_object_end(j);
}

int cmd_info(int argc, char **argv) {
    const char *path = NULL;
    int json = 0;
    for (int i = 1; i < argc; i++) {
        if (cli_is_help(argv[i])) {
            info_help();
            return RG_EXIT_OK;
        } else if (cli_flag(argv, i, "--json")) {
            json = 1;
        } else if (argv[i][0] == '-' && argv[i][1] != '\0') {
            return cli_usage_error("info", "unknown option '%s'", argv[i]);
        } else if (!path) {
            path = argv[i];
        } else {
            return cli_usage_error("info", "unexpected argument '%s'", argv[i]);
        }
    }
    if (!path) {
        return cli_usage_error("info", "missing GRAPH (a snapshot written by 'reelgraph import')");
    }
    rg_graph_t g;
    rg_error_t rc = rg_snapshot_load(&g, path);
    if (rc != RG_SUCCESS) {
        return cli_fail("info", rc);
    }
    rg_degree_stats_t us, ms;
    rg_graph_user_degree_stats(&g, &us);
    rg_graph_movie_degree_stats(&g, &ms);
    int64_t hist[64], gc[RG_MAX_GENRES];
    int nb = rg_graph_rating_histogram(&g, hist);
    rg_graph_genre_counts(&g, gc);
    double mean = rg_graph_mean_rating(&g);
    int64_t rated = g.n_movies - ms.n_zero;
    char fp[32];
    snprintf(fp, sizeof fp, "%016llx", (unsigned long long) g.fingerprint);
    if (json) {
        json_t j;
        json_init(&j, stdout);
        json_object_begin(&j);
        json_graph_sizes(&j, path, &g);
        json_key(&j, "rated_movies");
        json_int(&j, rated);
        json_key(&j, "rating_min");
        json_num(&j, g.rating_min);
        json_key(&j, "rating_max");
        json_num(&j, g.rating_max);
        json_key(&j, "mean_rating");
        json_num(&j, mean);
        json_key(&j, "histogram");
        json_array_begin(&j);
        for (int b = 0; b < nb; b++) {
            json_object_begin(&j);
            json_key(&j, "rating");
            json_num(&j, (double) g.rating_min + 0.5 * b);
            json_key(&j, "count");
            json_int(&j, hist[b]);
            json_object_end(&j);
        }
        json_array_end(&j);
        info_degree_json(&j, "user_degree", &us);
        info_degree_json(&j, "movie_degree", &ms);
        json_key(&j, "genres");
        json_array_begin(&j);
        for (int k = 0; k < g.n_genres; k++) {
            json_object_begin(&j);
            json_key(&j, "name");
            json_str(&j, g.genre_names[k]);
            json_key(&j, "count");
            json_int(&j, gc[k]);
            json_object_end(&j);
        }
        json_array_end(&j);
        json_key(&j, "has_demographics");
        json_bool(&j, g.has_demographics);
        json_key(&j, "fingerprint");
        json_str(&j, fp);
        json_object_end(&j);
        json_finish(&j);
    } else {
        printf("%s: %s graph, fingerprint %s\n", path, g.name, fp);
        printf("  users %lld, movies %lld (%lld rated), ratings %lld, density %.3g%%\n",
               (long long) g.n_users, (long long) g.n_movies, (long long) rated,
               (long long) g.n_ratings,
               g.n_users && g.n_movies
                   ? 100.0 * (double) g.n_ratings / ((double) g.n_users * (double) g.n_movies)
                   : 0.0);
        printf("  ratings in [%g, %g], mean %.4f\n", (double) g.rating_min,
               (double) g.rating_max, mean);
        printf("  histogram:");
        for (int b = 0; b < nb; b++) {
            if (hist[b] || (b % 2 == 0)) {
                printf(" %g:%lld", (double) g.rating_min + 0.5 * b, (long long) hist[b]);
            }
        }
        printf("\n  user degree:  min %lld, median %g, mean %.2f, max %lld\n", (long long) us.min,
               us.median, us.mean, (long long) us.max);
        printf("  movie degree: min %lld, median %g, mean %.2f, max %lld (%lld unrated)\n",
               (long long) ms.min, ms.median, ms.mean, (long long) ms.max, (long long) ms.n_zero);
        printf("  genres:");
        for (int k = 0; k < g.n_genres; k++) {
            printf("%s %s %lld", k ? "," : "", g.genre_names[k], (long long) gc[k]);
        }
        printf("\n  demographics: %s\n", g.has_demographics ? "yes" : "no");
    }
    rg_graph_free(&g);
    return RG_EXIT_OK;
}
