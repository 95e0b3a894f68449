/* analytics.h: the igraph bridge (igraph 0.10, igraph_integer_t), whole-graph analytics and the
 * GraphML writer.
 *
 * igraph stays at the edge of the code: the store converts to an igraph_t (vertices = the global
 * node ids of query.h: users 0..U-1, then movies U..U+M-1; `types` false for users, true for
 * movies) for algorithms; training loops keep using our CSR.  Bridge functions install igraph's
 * "ignore" error handler for their duration, so an igraph failure becomes an rg_error_t instead of
 * an abort.  igraph's types are only forward-declared here (struct igraph_s is igraph_t, struct
 * igraph_vector_bool_t is igraph_vector_bool_t), so including this header does not pull igraph's
 * macros into the caller; code that calls the conversions includes <igraph/igraph.h> itself.
 */
#ifndef REELGRAPH_ANALYTICS_H
#define REELGRAPH_ANALYTICS_H

#include <stdint.h>

#include "reelgraph/error.h"
#include "reelgraph/graph.h"
#include "reelgraph/query.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- conversion ---- */

struct igraph_s;
struct igraph_vector_bool_t;

/* The whole store as an undirected igraph_t with U + M vertices and edge i = edge id i.  out and
 * types must be uninitialised; on success the caller destroys both (igraph_destroy,
 * igraph_vector_bool_destroy).  types may be NULL.  Errors: RG_ENOMEM, RG_EINTERNAL (igraph).
 * Time O(U + M + E). */
rg_error_t rg_igraph_from_graph(struct igraph_s *out, struct igraph_vector_bool_t *types,
                                const rg_graph_t *g);

/* A subgraph: vertex i is global node nodes[i]; edges are the edge ids eids[0..n_edges-1], both
 * ends of which must be in nodes (e.g. from rg_khop + rg_induced_edges).  Errors: RG_EINVAL (an
 * edge leaves the node set, an id out of range), RG_ENOMEM.  Time O(U + M + n_nodes + n_edges). */
rg_error_t rg_igraph_from_subgraph(struct igraph_s *out, struct igraph_vector_bool_t *types,
                                   const rg_graph_t *g, const int32_t *nodes, int64_t n_nodes,
                                   const int64_t *eids, int64_t n_edges);

/* ---- analytics ---- */

typedef struct {
    int64_t n_components;   /* weakly connected components, isolated nodes included */
    int64_t largest;        /* nodes in the largest component */
    int64_t n_isolated;     /* nodes of degree 0 */
} rg_components_t;

/* Connected components of the bipartite graph (igraph_connected_components).  O(U + M + E). */
rg_error_t rg_analyze_components(const rg_graph_t *g, rg_components_t *out);

/* Degree histogram of one side in log2 bins: counts[0] = degree 0, counts[b] = degrees in
 * [2^(b-1), 2^b) for b >= 1.  Returns the number of bins used (index of the last non-zero bin
 * plus one).  O(n_side). */
int rg_degree_histogram(const rg_graph_t *g, rg_side_t side, int64_t counts[64]);

/* The one-mode projection onto users or movies: an edge (a, b), a < b, weighted by the number
 * of co-ratings (common neighbours), kept when the weight is >= min_common.  Owns its arrays. */
typedef struct {
    rg_side_t side;
    int64_t n_nodes;     /* nodes of the side (isolated ones included) */
    int64_t n_edges;
    int32_t *a, *b;      /* (n_edges) ascending by (a, b) */
    int32_t *weight;     /* (n_edges) co-ratings */
} rg_projection_t;

/* Builds the projection by a two-hop count per node, in parallel over nodes (n_threads, 0 =
 * OpenMP default; the result does not depend on it).  Fails with RG_ERANGE, naming the count,
 * when more than max_edges edges pass the threshold (max_edges <= 0: no cap), so a low threshold
 * on a large graph is refused before the memory is allocated.  Errors: RG_EINVAL (min_common <
 * 1), RG_ERANGE, RG_ENOMEM.  Time O(sum over the other side of deg^2), twice (count, then fill). */
rg_error_t rg_projection_build(rg_projection_t *p, const rg_graph_t *g, rg_side_t side,
                               int32_t min_common, int64_t max_edges, int n_threads);
void rg_projection_free(rg_projection_t *p);

/* Components of the projection (igraph).  O(n_nodes + n_edges). */
rg_error_t rg_projection_components(const rg_projection_t *p, rg_components_t *out);

/* PageRank of the projection's nodes with edge weights = co-ratings (igraph_pagerank, PRPACK),
 * damping in (0, 1).  scores has n_nodes entries and sums to 1.  Errors: RG_EINVAL, RG_ENOMEM,
 * RG_EINTERNAL. */
rg_error_t rg_projection_pagerank(const rg_projection_t *p, double damping, double *scores);

/* ---- GraphML ---- */

/* Writes GraphML (streaming, our own writer) of the given global nodes and edge ids; nodes NULL
 * means every node (users, then movies) and eids NULL every edge.  Every edge's ends must be in
 * the node set.  Node ids are "u<dataset id>" / "m<dataset id>".  Keys, all declared:
 *   d0 side (string: user | movie), d1 dataset_id (long), d2 title (string), d3 year
 *   (int), d4 genres (string, '|'-separated), d5 age (int), d6 gender (string), d7 occupation
 *   (string), d8 zip (string) on nodes (values omitted when unknown); d9 rating (double),
 *   d10 timestamp (long) on edges.
 * Written to PATH.tmp then renamed.  Errors: RG_EINVAL, RG_EIO (naming the path), RG_ENOMEM.
 * Time O(n_nodes + n_edges) plus O(U + M) for the node check. */
rg_error_t rg_graphml_write(const rg_graph_t *g, const char *path, const int32_t *nodes,
                            int64_t n_nodes, const int64_t *eids, int64_t n_edges);

#ifdef __cplusplus
}
#endif
#endif
