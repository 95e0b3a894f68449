/* graph_store.h (private): the layout of the store's one memory block, shared by the builder
 * (src/graph/build.c) and the snapshot reader/writer (src/io/snapshot.c), and the word-wise hash
 * both use for the fingerprint and the snapshot checksum.  Never installed. */
#ifndef RG_GRAPH_STORE_H
#define RG_GRAPH_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "reelgraph/graph.h"

/* The sections of the block, in block (and snapshot file) order. */
enum {
    RG_SEC_USER_PTR = 0,   /* int64 (U+1) */
    RG_SEC_USER_ADJ,       /* int32 (E) */
    RG_SEC_RATING,         /* float (E) */
    RG_SEC_TS,             /* int64 (E) */
    RG_SEC_MOVIE_PTR,      /* int64 (M+1) */
    RG_SEC_MOVIE_ADJ,      /* int32 (E) */
    RG_SEC_MOVIE_EID,      /* int64 (E) */
    RG_SEC_USER_EXT,       /* int64 (U) */
    RG_SEC_MOVIE_EXT,      /* int64 (M) */
    RG_SEC_MOVIE_GENRES,   /* uint32 (M) */
    RG_SEC_MOVIE_YEAR,     /* int32 (M) */
    RG_SEC_MOVIE_TITLE_OFF,/* int64 (M+1) */
    RG_SEC_MOVIE_TITLES,   /* char (title_bytes) */
    RG_SEC_USER_AGE,       /* int32 (U) */
    RG_SEC_USER_GENDER,    /* uint8 (U) */
    RG_SEC_USER_OCC,       /* int32 (U) */
    RG_SEC_USER_ZIP_OFF,   /* int64 (U+1) */
    RG_SEC_USER_ZIPS,      /* char (zip_bytes) */
    RG_SEC_COUNT
};

/* Every section starts on a multiple of this many bytes from the block start. */
#define RG_SEC_ALIGN 64

typedef struct {
    int64_t n_users, n_movies, n_ratings;
    int64_t title_bytes, zip_bytes;
    uint64_t offset[RG_SEC_COUNT]; /* from the block start */
    uint64_t size[RG_SEC_COUNT];   /* bytes used (without padding) */
    uint64_t total;                /* block size, a multiple of RG_SEC_ALIGN */
} rg_i_layout_t;

/* Computes the layout for the given sizes; RG_ERANGE when a size is negative or overflows. */
rg_error_t rg_i_layout_compute(rg_i_layout_t *l, int64_t n_users, int64_t n_movies,
                               int64_t n_ratings, int64_t title_bytes, int64_t zip_bytes);
/* Points every array of g into mem (laid out as l); sets the sizes, not the scalars. */
void rg_i_layout_point(rg_graph_t *g, const rg_i_layout_t *l, void *mem);

/* Word-wise 64-bit hash (four independent lanes, xxh64-style rounds), continued from h.
 * Not cryptographic: detects corruption and identifies graphs. ~8 bytes per cycle-ish. */
uint64_t rg_i_hash(uint64_t h, const void *data, size_t n);

/* The fingerprint of a built graph: sizes, dataset ids, CSR and edge data. */
uint64_t rg_i_graph_fingerprint(const rg_graph_t *g);

/* The user (internal id) of edge e, 0 <= e < n_ratings: the last u with user_ptr[u] <= e
 * (binary search of the user CSR).  Used by the sampler, the igraph bridge and the GraphML
 * writer.  O(log U). */
int32_t rg_i_graph_edge_user(const rg_graph_t *g, int64_t e);

#endif
