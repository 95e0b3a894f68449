/* io.h: dataset readers, the snapshot file and the synthetic dataset generator.
 *
 * Readers turn a MovieLens release (or a generic delimited ratings file) into an rg_dataset_t;
 * rg_graph_build (graph.h) turns that into the store.  Text in latin-1 is converted to UTF-8.
 * A malformed line is an RG_EFORMAT error whose message names the file, the line number and what
 * is wrong, unless skip_bad is set, in which case it is counted in d->n_skipped_lines.
 */
#ifndef REELGRAPH_IO_H
#define REELGRAPH_IO_H

#include <stdint.h>

#include "reelgraph/error.h"
#include "reelgraph/graph.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    RG_FORMAT_AUTO = 0,  /* decide by the files present */
    RG_FORMAT_ML100K,    /* u.data, u.item, u.user, u.genre */
    RG_FORMAT_ML1M,      /* ratings.dat, movies.dat, users.dat ("::"); also ML-10M */
    RG_FORMAT_MLLATEST,  /* ratings.csv, movies.csv (ml-latest, 20M, 25M, 32M) */
    RG_FORMAT_CSV        /* one delimited file: user,item,rating[,timestamp] */
} rg_format_t;

/* "auto", "ml-100k", ... -> format; RG_EINVAL on an unknown name. */
rg_error_t rg_format_parse(const char *name, rg_format_t *out);
const char *rg_format_name(rg_format_t f);

typedef struct {
    rg_format_t format;
    int skip_bad;               /* 1: skip and count malformed lines instead of failing */
    float rating_min, rating_max; /* scale for RG_FORMAT_CSV; 0, 0 = infer from the data */
} rg_read_opts_t;

void rg_read_opts_default(rg_read_opts_t *o);

/* Reads a dataset directory or a ratings file.  d must be fresh (rg_dataset_init). */
rg_error_t rg_dataset_read(rg_dataset_t *d, const char *src, const rg_read_opts_t *o);

/* Reads just the ratings of one file in any of the supported ratings layouts (u1.test,
 * ratings.dat, ratings.csv, generic), e.g. a held-out test file.  *out is allocated with
 * rg_malloc; the caller frees it. */
rg_error_t rg_ratings_read(const char *path, rg_rating_t **out, int64_t *n);

/* Parses a new user's ratings given as text, "MOVIE:RATING,MOVIE:RATING,..." (dataset movie ids;
 * "" = no ratings), e.g. `reelgraph recommend --ratings`, against graph g: movies[0..*n) receive
 * the internal movie ids and ratings[0..*n) the ratings, in the given order; cap is the capacity
 * of both.  Errors, RG_EINVAL with the message of the first bad pair in text order (a pair that
 * is not MOVIE:RATING, a bad rating, a movie not in g, a rating outside g's scale, a movie given
 * twice, more than cap pairs); RG_ENOMEM.  O(n log n) for n pairs (the duplicate check sorts). */
rg_error_t rg_ratings_parse_list(const rg_graph_t *g, const char *text, int32_t *movies,
                                 float *ratings, int64_t cap, int64_t *n);

/* Snapshot (.rg): magic, format version, section table, checksum; written atomically (temporary
 * file + fsync + rename), loaded by mmap without parsing.  A truncated, corrupted or
 * wrong-version file is refused with RG_EFORMAT. */
rg_error_t rg_snapshot_write(const rg_graph_t *g, const char *path);
rg_error_t rg_snapshot_load(rg_graph_t *g, const char *path);

/* Synthetic MovieLens-1M-format dataset: power-law user and movie degrees, users with planted
 * genre tastes (ratings depend on user/movie biases and taste-genre affinity), timestamps. */
typedef struct {
    int64_t n_users, n_movies, n_ratings;
    uint64_t seed;
    rg_format_t format; /* RG_FORMAT_ML1M (default: *.dat) or RG_FORMAT_MLLATEST (*.csv) */
} rg_synth_opts_t;

void rg_synth_opts_default(rg_synth_opts_t *o); /* 2000 users, 1500 movies, 100000 ratings, seed 42 */
/* Writes ratings.dat, movies.dat, users.dat (or, for RG_FORMAT_MLLATEST, ratings.csv and
 * movies.csv with some titles quoted) into dir (created if needed).  Users have ids 1..N and at
 * least min(20, R/N) ratings; at most half of all (user, movie) pairs may be asked for.  Same
 * options, same bytes.  out (may be NULL) receives the counts actually written.
 * Errors: RG_EINVAL (sizes), RG_EIO (directory or files), RG_ENOMEM.  O(R log M). */
rg_error_t rg_synth_write(const char *dir, const rg_synth_opts_t *o, rg_synth_opts_t *out);

#ifdef __cplusplus
}
#endif
#endif
