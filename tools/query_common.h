/* query_common.h: what neighbors, sample, similar and export share: the --user / --movie node
 * option, loading a graph snapshot, and printing a node as {type, id}. */
#ifndef REELGRAPH_QUERY_COMMON_H
#define REELGRAPH_QUERY_COMMON_H

#include <stdint.h>

#include "cli.h"

typedef struct {
    int given;        /* 0: neither --user nor --movie */
    rg_side_t side;
    int64_t id;       /* the dataset's id */
} qc_node_opt_t;

/* Matches --user ID / --movie ID at argv[*i]: 1 matched, 0 not ours, -1 error printed (bad
 * number, or both options given). */
int qc_parse_node_opt(const char *cmd, int argc, char **argv, int *i, qc_node_opt_t *n);
/* The global node id (query.h) of the chosen node; prints an error naming the id and the graph
 * and returns RG_EXIT_USAGE when the graph has no such node. */
int qc_resolve_node(const char *cmd, const rg_graph_t *g, const char *graph_path,
                    const qc_node_opt_t *n, int32_t *global);
/* The checks of a node query (neighbors, sample) after its options: GRAPH and --user/--movie
 * given.  RG_EXIT_OK, or RG_EXIT_USAGE with the message printed. */
int qc_require_graph_node(const char *cmd, const char *graph_path, const qc_node_opt_t *n);
/* Loads the snapshot at graph_path into *g and resolves the chosen node to *global
 * (qc_resolve_node).  RG_EXIT_OK with *g loaded (the caller frees it), or the exit code with the
 * message printed and nothing left to free. */
int qc_load_node(const char *cmd, const char *graph_path, const qc_node_opt_t *n, rg_graph_t *g,
                 int32_t *global);
/* "user" or "movie", and the dataset id, of global node x. */
const char *qc_node_type(const rg_graph_t *g, int32_t x);
int64_t qc_node_ext(const rg_graph_t *g, int32_t x);
/* Writes the two keys "type" and "id" of global node x into the current JSON object. */
void qc_json_node_keys(json_t *j, const rg_graph_t *g, int32_t x);
/* Writes the key "source" with the object {type, id} of global node x: the start node of a
 * neighbors, sample or similar answer. */
void qc_json_source(json_t *j, const rg_graph_t *g, int32_t x);

#endif
