/* split.h: train/test splits of the ratings, all seeded and reproducible.
 *
 * A split marks each edge id of a graph as train (0) or test (1).  Every split keeps each rating
 * exactly once: train and test are disjoint and together are all ratings.  The spec is stored in
 * model files so `eval` rebuilds the same test set from the same graph.
 */
#ifndef REELGRAPH_SPLIT_H
#define REELGRAPH_SPLIT_H

#include <stdint.h>

#include "reelgraph/error.h"
#include "reelgraph/graph.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    RG_SPLIT_NONE = 0,  /* everything is train */
    RG_SPLIT_FILE,      /* --test-file PATH: the ratings listed in PATH are test */
    RG_SPLIT_RANDOM,    /* random:FRACTION of all ratings */
    RG_SPLIT_TEMPORAL,  /* temporal:LAST_K per user, by timestamp */
    RG_SPLIT_KFOLD      /* kfold:K:FOLD, fold in 0..K-1 */
} rg_split_kind_t;

typedef struct {
    rg_split_kind_t kind;
    double fraction;     /* RANDOM */
    int32_t last_k;      /* TEMPORAL */
    int32_t k, fold;     /* KFOLD */
    uint64_t seed;
    char path[1024];     /* FILE: as given */
    uint64_t file_hash;  /* FILE: hash of the (user, movie) pairs listed, checked on reuse */
} rg_split_spec_t;

/* Parses "random:0.1", "temporal:1", "kfold:5:0" (seed set separately). */
rg_error_t rg_split_parse(rg_split_spec_t *s, const char *text);
/* Human-readable form, e.g. "random:0.1 seed 42" or "file u1.test". */
void rg_split_describe(const rg_split_spec_t *s, char *buf, size_t size);

typedef struct {
    int64_t n_train, n_test;
    int64_t n_users_no_time;   /* TEMPORAL: users whose ratings have no usable timestamps (kept train) */
    int64_t n_file_unmatched;  /* FILE: listed ratings not in the graph */
} rg_split_report_t;

/* Fills is_test (length g->n_ratings) with 0/1.  For FILE, reads the file and fills s->file_hash
 * when it is 0, or checks it when it is not (RG_EMISMATCH if the file changed).  report may be
 * NULL.  O(E) (temporal: O(E log d_max)). */
rg_error_t rg_split_apply(const rg_graph_t *g, rg_split_spec_t *s, uint8_t *is_test,
                          rg_split_report_t *report);

#ifdef __cplusplus
}
#endif
#endif
