/* graph.h: the bipartite rating store.
 *
 * One immutable store holds users, movies and ratings.  Internal ids are dense: users 0..U-1 and
 * movies 0..M-1, assigned in ascending order of the dataset's own ids, so the dataset id of a
 * node is user_ext[u] / movie_ext[m] and the reverse lookup is a binary search.
 *
 * Edges are stored once, in user-major order: the ratings of user u are the edge ids
 * user_ptr[u] .. user_ptr[u+1]-1, sorted by movie.  Edge data (rating, ts) is indexed by edge id.
 * The movie-major direction lists, for movie m, the users movie_adj[j] and the edge ids
 * movie_eid[j] for j in movie_ptr[m] .. movie_ptr[m+1]-1 (sorted by user), so both directions share
 * the one copy of the edge data (igraph's os/is start vectors over one edge list).
 *
 * Every array lives in one block (`mem`), laid out exactly as the snapshot file's sections, so a
 * snapshot is written with one write and loaded with one mmap and no parsing.
 *
 * Cost: building is O(U + M + E) (counting sort); every query below is O(1) or O(log n)
 * unless stated.  A built graph is read-only and safe to share between threads.
 */
#ifndef REELGRAPH_GRAPH_H
#define REELGRAPH_GRAPH_H

#include <stddef.h>
#include <stdint.h>

#include "reelgraph/error.h"

#ifdef __cplusplus
extern "C" {
#endif

#define RG_MAX_GENRES 32      /* genres are a uint32 bitmask per movie */
#define RG_MAX_OCCUPATIONS 64
#define RG_NAME_MAX 48        /* genre / occupation / dataset name, NUL included */

enum { RG_GENDER_UNKNOWN = 0, RG_GENDER_M = 1, RG_GENDER_F = 2 };

/* ---- input: what a reader produces and the builder consumes ---- */

/* One rating, in the dataset's own ids. ts = 0 means "no timestamp". */
typedef struct {
    int64_t user;
    int64_t movie;
    float rating;
    int64_t ts;
} rg_rating_t;

typedef struct {
    int64_t id;
    char *title;     /* UTF-8, owned by the dataset; NULL when unknown */
    int32_t year;    /* 0 when unknown */
    uint32_t genres; /* bit g set = genre g of the dataset's vocabulary */
} rg_movie_meta_t;

typedef struct {
    int64_t id;
    int32_t age;        /* -1 when unknown; ML-1M stores its age-group code */
    uint8_t gender;     /* RG_GENDER_* */
    int32_t occupation; /* index into occupation_names, -1 when unknown */
    char zip[16];
} rg_user_meta_t;

/* A dataset as read from disk, before it becomes a graph.  Owns all its memory; free with
 * rg_dataset_free.  Growable arrays: n_* used, cap_* allocated. */
typedef struct {
    char name[RG_NAME_MAX]; /* "ml-100k", "ml-1m", "ml-latest", "csv", "synthetic" */
    rg_rating_t *ratings;
    int64_t n_ratings, cap_ratings;
    rg_movie_meta_t *movies;
    int64_t n_movies, cap_movies;
    rg_user_meta_t *users;
    int64_t n_users, cap_users;
    int n_genres;
    char genre_names[RG_MAX_GENRES][RG_NAME_MAX];
    int n_occupations;
    char occupation_names[RG_MAX_OCCUPATIONS][RG_NAME_MAX];
    float rating_min, rating_max; /* the dataset's rating scale */
    /* what the reader did, reported by `import` */
    int64_t n_skipped_lines;      /* malformed lines skipped under --skip-bad */
} rg_dataset_t;

void rg_dataset_init(rg_dataset_t *d);
void rg_dataset_free(rg_dataset_t *d);
rg_error_t rg_dataset_add_rating(rg_dataset_t *d, const rg_rating_t *r);
/* Copies the title; the returned pointer stays valid until the next add. */
rg_error_t rg_dataset_add_movie(rg_dataset_t *d, int64_t id, const char *title, int32_t year,
                                uint32_t genres);
rg_error_t rg_dataset_add_user(rg_dataset_t *d, const rg_user_meta_t *u);

/* What the builder did with the dataset. */
typedef struct {
    int64_t n_duplicates;      /* repeated (user, movie) pairs; the latest by timestamp was kept */
    int64_t n_movies_no_meta;  /* rated movies missing from the metadata (imported, empty metadata) */
    int64_t n_movies_unrated;  /* movies with metadata and no rating (kept as isolated nodes) */
} rg_build_stats_t;

/* ---- the store ---- */

typedef struct {
    int64_t n_users, n_movies, n_ratings;
    float rating_min, rating_max;
    char name[RG_NAME_MAX];

    /* user-major CSR; edge id = position */
    const int64_t *user_ptr;  /* (U+1) */
    const int32_t *user_adj;  /* (E) movie of each edge */
    const float *rating;      /* (E) */
    const int64_t *ts;        /* (E) unix seconds, 0 = unknown */
    /* movie-major CSR */
    const int64_t *movie_ptr; /* (M+1) */
    const int32_t *movie_adj; /* (E) user */
    const int64_t *movie_eid; /* (E) edge id of each entry */
    /* dataset ids, ascending */
    const int64_t *user_ext;  /* (U) */
    const int64_t *movie_ext; /* (M) */

    /* movie features */
    int n_genres;
    char genre_names[RG_MAX_GENRES][RG_NAME_MAX];
    const uint32_t *movie_genres;    /* (M) bitmask */
    const int32_t *movie_year;       /* (M) 0 = unknown */
    const int64_t *movie_title_off;  /* (M+1) offsets into movie_titles */
    const char *movie_titles;        /* UTF-8, NUL after each title */
    /* user features (has_demographics = 0 when the dataset has none) */
    int has_demographics;
    int n_occupations;
    char occupation_names[RG_MAX_OCCUPATIONS][RG_NAME_MAX];
    const int32_t *user_age;         /* (U) -1 = unknown */
    const uint8_t *user_gender;      /* (U) RG_GENDER_* */
    const int32_t *user_occupation;  /* (U) -1 = unknown */
    const int64_t *user_zip_off;     /* (U+1) offsets into user_zips */
    const char *user_zips;

    uint64_t fingerprint;            /* hash of sizes, ids and edges: identifies the graph */

    /* ownership: one block, either heap memory or a read-only file mapping */
    void *mem;
    size_t mem_size;
    int mem_mapped;                  /* 1: mem is an mmap of mem_size bytes at map_base */
    void *map_base;
    size_t map_size;
} rg_graph_t;

/* Builds the store from a dataset: dense ids in ascending dataset-id order, duplicates resolved
 * (latest timestamp wins; on equal timestamps the later row), movies without metadata kept with an
 * empty title, metadata-only movies (and users) kept as isolated nodes.  `stats` may be NULL.
 * Errors: RG_ERANGE (a rating outside d's scale, naming it; too many ratings), RG_EFORMAT (an id
 * twice in the metadata), RG_EINVAL (bad scale or vocabulary sizes), RG_ENOMEM; g is zeroed on
 * failure.  Cost: ids map through a direct table (O(E + id span)) when the ids are small and
 * non-negative, as in every MovieLens release, else by sorting (O(E log E)); a counting sort by
 * user, then each user's ratings sorted by movie in cache (O(E log d_max), faster in practice
 * than a second scatter pass), and a counting sort for the movie direction (O(M + E)). */
rg_error_t rg_graph_build(rg_graph_t *g, const rg_dataset_t *d, rg_build_stats_t *stats);

/* A new store with the same nodes and features and only the edges with keep[e] != 0.  Edge ids of
 * the result are dense again; old_eid (may be NULL, else length out->n_ratings) receives, for each
 * new edge, its id in g.  O(U + M + E). */
rg_error_t rg_graph_filter(rg_graph_t *out, const rg_graph_t *g, const uint8_t *keep,
                           int64_t *old_eid);

/* Releases what the graph owns (heap block or mapping).  Safe on a zeroed or failed graph. */
void rg_graph_free(rg_graph_t *g);

/* Dataset id -> internal id; -1 when absent.  O(log n). */
int32_t rg_graph_user_index(const rg_graph_t *g, int64_t ext_id);
int32_t rg_graph_movie_index(const rg_graph_t *g, int64_t ext_id);
/* Edge id of (u, m), or -1 when u did not rate m.  O(log deg(u)). */
int64_t rg_graph_edge(const rg_graph_t *g, int32_t u, int32_t m);

static inline int64_t rg_graph_user_degree(const rg_graph_t *g, int32_t u) {
    return g->user_ptr[u + 1] - g->user_ptr[u];
}
static inline int64_t rg_graph_movie_degree(const rg_graph_t *g, int32_t m) {
    return g->movie_ptr[m + 1] - g->movie_ptr[m];
}
static inline const char *rg_graph_movie_title(const rg_graph_t *g, int32_t m) {
    return g->movie_titles + g->movie_title_off[m];
}
static inline const char *rg_graph_user_zip(const rg_graph_t *g, int32_t u) {
    return g->user_zips + g->user_zip_off[u];
}

/* Degree statistics of one side. */
typedef struct {
    int64_t min, max, n_zero;
    double mean, median;
} rg_degree_stats_t;

void rg_graph_user_degree_stats(const rg_graph_t *g, rg_degree_stats_t *out);
void rg_graph_movie_degree_stats(const rg_graph_t *g, rg_degree_stats_t *out);
/* Histogram of ratings in half-star bins from rating_min: counts[i] = #ratings with
 * value == rating_min + i/2; n_bins = 2 * (max - min) + 1 (<= 64). Returns n_bins. */
int rg_graph_rating_histogram(const rg_graph_t *g, int64_t counts[64]);
/* Number of movies carrying genre g. */
void rg_graph_genre_counts(const rg_graph_t *g, int64_t counts[RG_MAX_GENRES]);
/* Mean rating over all edges. */
double rg_graph_mean_rating(const rg_graph_t *g);

#ifdef __cplusplus
}
#endif
#endif
