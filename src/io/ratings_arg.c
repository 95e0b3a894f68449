/* ratings_arg.c: a new user's ratings given as text, "MOVIE:RATING,..." (see io.h). */
#include <errno.h>
#include <stdlib.h>

#include "reelgraph/io.h"

typedef struct {
    int32_t movie;
    int64_t pos; /* index of the pair in the text */
} rg_i_rated_key_t;

static int rg_i_rated_key_cmp(const void *a, const void *b) {
    const rg_i_rated_key_t *x = a, *y = b;
    if (x->movie != y->movie) {
        return x->movie < y->movie ? -1 : 1;
    }
    return (x->pos > y->pos) - (x->pos < y->pos);
}

typedef enum {
    RG_I_PAIR_OK,
    RG_I_PAIR_SYNTAX,
    RG_I_PAIR_RATING,
    RG_I_PAIR_MOVIE,
    RG_I_PAIR_SCALE,
    RG_I_PAIR_TOO_MANY
} rg_i_pair_err_t;

rg_error_t rg_ratings_parse_list(const rg_graph_t *g, const char *text, int32_t *movies,
                                 float *ratings, int64_t cap, int64_t *n) {
    rg_error_t rc = RG_SUCCESS;
    rg_i_rated_key_t *keys = NULL;
    rg_i_pair_err_t err = RG_I_PAIR_OK;
    const char *p = text, *at = NULL;
    long long bad_id = 0;
    double bad_r = 0.0;
    int32_t extra = -1; /* the valid pair found beyond cap, for the duplicate check */
    int64_t k = 0;
    *n = 0;
    /* pass 1: the pairs up to the first bad one; its error is raised after the duplicate check,
     * which may find an earlier bad pair */
    while (*p) {
        char *end;
        errno = 0;
        long long id = strtoll(p, &end, 10);
        if (end == p || *end != ':' || errno) {
            err = RG_I_PAIR_SYNTAX;
            at = p;
            break;
        }
        p = end + 1;
        double r = strtod(p, &end);
        if (end == p || (*end != ',' && *end != '\0')) {
            err = RG_I_PAIR_RATING;
            at = p;
            break;
        }
        p = *end == ',' ? end + 1 : end;
        int32_t mi = rg_graph_movie_index(g, id);
        bad_id = id;
        bad_r = r;
        if (mi < 0) {
            err = RG_I_PAIR_MOVIE;
            break;
        }
        if (!(r >= g->rating_min && r <= g->rating_max)) {
            err = RG_I_PAIR_SCALE;
            break;
        }
        if (k >= cap) {
            err = RG_I_PAIR_TOO_MANY;
            extra = mi;
            break;
        }
        movies[k] = mi;
        ratings[k] = (float) r;
        k++;
    }
    /* pass 2: the first pair that repeats an earlier movie (pairs in text order are positions
     * 0..k-1, then the extra one at k): sort by (movie, position), O(n log n) */
    int64_t n_keys = k + (extra >= 0), dup = -1;
    if (n_keys > 1) {
        keys = rg_malloc((size_t) n_keys * sizeof *keys);
        if (!keys) {
            RG_FAIL(RG_ENOMEM, "cannot allocate the duplicate check of %lld ratings",
                    (long long) n_keys);
        }
        for (int64_t i = 0; i < k; i++) {
            keys[i].movie = movies[i];
            keys[i].pos = i;
        }
        if (extra >= 0) {
            keys[k].movie = extra;
            keys[k].pos = k;
        }
        qsort(keys, (size_t) n_keys, sizeof *keys, rg_i_rated_key_cmp);
        for (int64_t i = 1; i < n_keys; i++) {
            if (keys[i].movie == keys[i - 1].movie && (dup < 0 || keys[i].pos < dup)) {
                dup = keys[i].pos;
            }
        }
    }
    if (dup >= 0) {
        int32_t mi = dup < k ? movies[dup] : extra;
        RG_FAIL(RG_EINVAL, "movie %lld given twice", (long long) g->movie_ext[mi]);
    }
    switch (err) {
    case RG_I_PAIR_OK:
        break;
    case RG_I_PAIR_SYNTAX:
        RG_FAIL(RG_EINVAL, "expected MOVIE:RATING at '%s'", at);
    case RG_I_PAIR_RATING:
        RG_FAIL(RG_EINVAL, "bad rating at '%s'", at);
    case RG_I_PAIR_MOVIE:
        RG_FAIL(RG_EINVAL, "movie %lld is not in the graph", bad_id);
    case RG_I_PAIR_SCALE:
        RG_FAIL(RG_EINVAL, "rating %g of movie %lld is outside the scale [%g, %g]", bad_r, bad_id,
                (double) g->rating_min, (double) g->rating_max);
    case RG_I_PAIR_TOO_MANY:
        RG_FAIL(RG_EINVAL, "too many ratings");
    }
    *n = k;
cleanup:
    free(keys);
    return rc;
}
