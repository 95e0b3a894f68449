/* query.h: graph queries over the store: k-hop neighbourhoods, seeded neighbour sampling,
 * mini-batch blocks for GNN training, and co-rating similarity (user-user, movie-movie).
 *
 * Global node ids put both sides in one range: user u is u, movie m is n_users + m
 * (rg_node_global / rg_node_side below).  All ids here are internal; tools translate dataset ids.
 * Every function reads the graph only, so a graph may be shared by threads; workspaces are
 * per thread.
 */
#ifndef REELGRAPH_QUERY_H
#define REELGRAPH_QUERY_H

#include <stddef.h>
#include <stdint.h>

#include "reelgraph/error.h"
#include "reelgraph/graph.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum { RG_SIDE_USER = 0, RG_SIDE_MOVIE = 1 } rg_side_t;

/* Global id of node `id` of `side`. */
static inline int32_t rg_node_global(const rg_graph_t *g, rg_side_t side, int32_t id) {
    return side == RG_SIDE_USER ? id : (int32_t) (g->n_users + id);
}
/* Side of global id x, and its id on that side in *id. */
static inline rg_side_t rg_node_side(const rg_graph_t *g, int32_t x, int32_t *id) {
    if (x < g->n_users) {
        *id = x;
        return RG_SIDE_USER;
    }
    *id = (int32_t) (x - g->n_users);
    return RG_SIDE_MOVIE;
}
static inline int64_t rg_node_degree(const rg_graph_t *g, int32_t x) {
    return x < g->n_users ? rg_graph_user_degree(g, x)
                          : rg_graph_movie_degree(g, (int32_t) (x - g->n_users));
}

/* ---- k-hop neighbourhood ---- */

/* The nodes within `hops` hops of a source, in breadth-first order (sides alternate by hop).
 * For each node: its global id, its hop (source 0) and, for hop > 0, the edge through which it
 * was first reached (eid, so its rating is g->rating[eid]) and the position of that edge's other
 * end in this list (parent).  Owns its arrays; free with rg_khop_free. */
typedef struct {
    int64_t n;         /* nodes found, the source included */
    int32_t *node;     /* (n) global ids */
    int32_t *hop;      /* (n) */
    int64_t *eid;      /* (n) discovery edge; -1 for the source */
    int64_t *parent;   /* (n) position of the discovering node; -1 for the source */
    int truncated;     /* 1 when `limit` stopped the search before `hops` was exhausted */
} rg_khop_t;

/* Breadth-first search from global node `src` up to `hops` hops, stopping after `limit` nodes
 * (limit <= 0: no limit).  Memory is O(min(limit, U + M)) for the result plus one byte per node
 * of the graph for the visited marks; a hub is expanded only until the limit is reached.
 * Errors: RG_EINVAL (src out of range, hops < 0), RG_ENOMEM.  Time: O(sum of the degrees of the
 * expanded nodes), bounded by O(limit * d_max). */
rg_error_t rg_khop(rg_khop_t *out, const rg_graph_t *g, int32_t src, int32_t hops, int64_t limit);
void rg_khop_free(rg_khop_t *k);

/* Edge ids of the subgraph induced by a set of global node ids (each edge whose two ends are in
 * the set), ascending.  *eids is allocated with rg_malloc (caller frees).  Time: O(U + M + sum of
 * the degrees of the users in the set). */
rg_error_t rg_induced_edges(const rg_graph_t *g, const int32_t *nodes, int64_t n_nodes,
                            int64_t **eids, int64_t *n_edges);

/* ---- neighbour sampling ---- */

typedef enum {
    RG_SAMPLE_UNIFORM = 0, /* uniform without replacement */
    RG_SAMPLE_RATING,      /* without replacement, probability proportional to the rating */
    RG_SAMPLE_RECENCY      /* without replacement, weight 2^(-(t_last - t) / half_life) where
                              t_last is the node's most recent rating */
} rg_sample_weight_t;

typedef struct {
    rg_sample_weight_t weight;
    double half_life;      /* RECENCY: seconds; default 30 days */
    int n_threads;         /* rg_block_sample: 0 = OpenMP default (default 1) */
} rg_sample_opts_t;

void rg_sample_opts_default(rg_sample_opts_t *o);
/* "uniform", "rating", "recency" -> weight; RG_EINVAL otherwise. */
rg_error_t rg_sample_weight_parse(const char *name, rg_sample_weight_t *out);

#define RG_MAX_LAYERS 8

/* A mini-batch computation graph for L-layer message passing (GraphSAGE-style blocks).
 *
 * nodes[0] holds the distinct targets in global id order.  For l = 1..L, nodes[l] starts
 * with nodes[l-1] in the same order (so the self feature of dst node i of layer l is row i of
 * layer l's src nodes) followed by the distinct neighbours newly sampled at layer l, in global
 * id order (so a row's neighbours, sorted by id in the graph, sit at increasing positions within
 * each layer's segment).  Layer l is a
 * local CSR from dst index i in nodes[l-1] to src indices in nodes[l]: the sampled neighbours of
 * nodes[l-1][i] are idx[l][ptr[l][i] .. ptr[l][i+1]-1], with w[l] the rating and eid[l] the global
 * edge id of each sampled edge.  Index 0 of ptr/idx/w/eid is unused (layers count from 1).
 * When layers l-1 and l both take every neighbour, idx/w/eid[l-1] are the first entries of
 * idx/w/eid[l] (one storage: every row of layer l-1 is a row of layer l).
 * target_pos[t] is the position in nodes[0] of the t-th target passed to rg_block_sample.
 *
 * All arrays are allocated once by rg_block_init for at most max_targets targets; sampling a
 * batch never allocates.  One block per thread. */
typedef struct {
    int n_layers;
    int32_t fanout[RG_MAX_LAYERS + 1];  /* fanout[l], l = 1..L; <= 0 means all neighbours */
    int64_t max_targets;
    int64_t cap_nodes[RG_MAX_LAYERS + 1];
    int64_t cap_edges[RG_MAX_LAYERS + 1];
    int64_t n_targets;
    int32_t *target_pos;                /* (max_targets) */
    int64_t n_nodes[RG_MAX_LAYERS + 1];
    int32_t *nodes[RG_MAX_LAYERS + 1];  /* global ids */
    int64_t n_edges[RG_MAX_LAYERS + 1];
    int64_t *ptr[RG_MAX_LAYERS + 1];    /* (n_nodes[l-1] + 1) */
    int32_t *idx[RG_MAX_LAYERS + 1];    /* (n_edges[l]) local src index into nodes[l] */
    float *w[RG_MAX_LAYERS + 1];        /* (n_edges[l]) rating */
    int64_t *eid[RG_MAX_LAYERS + 1];    /* (n_edges[l]) edge id */
    /* scratch, private */
    int32_t *local;                     /* (U + M) global id -> position in the layer, or -1 */
    int32_t *n_excluded;                /* (U + M) excluded edges touching each node */
    uint8_t *excluded;                  /* (E) 1 for an edge excluded from this batch */
    uint8_t *seen;                      /* (U + M) 1 for a node sampled in the current layer */
    int64_t *cand;                      /* candidate / heap scratch, cap_cand per thread */
    double *key;
    int64_t cap_cand;
    int n_scratch;                      /* threads the scratch is sized for */
    int64_t n_total;                    /* U + M of the graph the block was sized for */
    int64_t n_edges_graph;
    void *mem;
} rg_block_t;

/* Sizes a block for graph g, batches of at most max_targets targets and fanouts[0..n_layers-1]
 * (F1 first; <= 0 = all neighbours).  Capacities: nodes[l] <= min(U + M, cap[l-1] * (1 + F_l)),
 * edges of layer l <= cap[l-1] * F_l (d_max for "all").  Errors: RG_EINVAL (n_layers not in
 * 1..RG_MAX_LAYERS, max_targets < 1), RG_ENOMEM.  Time and memory: O(U + M + E/8 + capacities). */
rg_error_t rg_block_init(rg_block_t *b, const rg_graph_t *g, int64_t max_targets,
                         const int32_t *fanouts, int n_layers);
void rg_block_free(rg_block_t *b);

/* Samples the block of one batch: targets[0..n_targets-1] are global node ids (duplicates
 * allowed).  Each dst node of each layer draws from its own stream, rg_rng_mix of (seed,
 * batch_index), the layer and the node's position, so the result depends only on (seed,
 * batch_index, targets, options), never on threads: a layer's nodes are sampled in parallel
 * (o->n_threads, at most the threads the block was sized for), then the new nodes are numbered
 * by a scan of per-node flags.  A dst row that layer l-1 also took whole (all its neighbours,
 * as with full neighbourhoods) is the same row and is copied, not sampled again.  Edges
 * listed in exclude_eids (may be NULL; e.g. the batch's own training edges, to keep their
 * ratings out of the messages) are never sampled.  Errors: RG_EINVAL (n_targets > max_targets, an id out of range, an edge id
 * out of range, a graph other than the one the block was sized for).  Time: O(sum over dst nodes
 * of min(deg, F) draws) for uniform, O(sum of degrees) for the weighted kinds. */
rg_error_t rg_block_sample(rg_block_t *b, const rg_graph_t *g, const int32_t *targets,
                           int64_t n_targets, const int64_t *exclude_eids, int64_t n_exclude,
                           const rg_sample_opts_t *o, uint64_t seed, uint64_t batch_index);

/* Hop-by-hop sample from one node (what `reelgraph sample` prints): hop 1 samples F1
 * neighbours of src; hop l samples F_l neighbours of each distinct node of hop l-1.  Hop l is
 * listed as its sampled edges: for j in ptr[l] .. ptr[l+1]-1 (hop numbering from 0 in ptr), the
 * node node[j] (global id) was sampled through edge eid[j] from node parent[j] (global id). */
typedef struct {
    int n_hops;
    int64_t ptr[RG_MAX_LAYERS + 1];
    int64_t n, cap;
    int32_t *node;
    int32_t *parent;
    int64_t *eid;
} rg_sample_hops_t;

/* Stream rg_rng_mix(seed, 0).  Errors: RG_EINVAL, RG_ENOMEM.  Free with rg_sample_hops_free. */
rg_error_t rg_sample_hops(rg_sample_hops_t *out, const rg_graph_t *g, int32_t src,
                          const int32_t *fanouts, int n_hops, const rg_sample_opts_t *o,
                          uint64_t seed);
void rg_sample_hops_free(rg_sample_hops_t *s);

/* ---- similarity from co-ratings ----
 *
 * Two nodes of one side are compared through their common neighbours on the other side (users
 * through the movies both rated; movies through the users who rated both).  With x the value of
 * an edge as defined by the metric, and C the common neighbours:
 *   cosine:          sum_C x_a x_b / (|x_a| |x_b|), x = rating, norms over ALL ratings of a, b
 *   pearson:         sum_C x_a x_b / sqrt(sum_C x_a^2 sum_C x_b^2), x = rating - mean of the
 *                    node's own ratings
 *   adjusted cosine: as pearson, x = rating - mean rating of the common neighbour (the middle
 *                    node: the movie for user-user, the user for movie-movie; Sarwar et al. 2001)
 * then shrunk by significance: sim * n_c / (n_c + shrink), n_c = |C|.  Pairs with
 * n_c < min_common have no similarity (they never appear in top-k lists).  A zero denominator
 * gives similarity 0. */
typedef enum { RG_SIM_COSINE = 0, RG_SIM_PEARSON, RG_SIM_ADJUSTED_COSINE } rg_sim_metric_t;

typedef struct {
    rg_sim_metric_t metric;
    float shrink;        /* >= 0; 0 = none */
    int32_t min_common;  /* >= 1 */
    int n_threads;       /* rg_sim_topk_all; 0 = OpenMP default */
} rg_sim_opts_t;

void rg_sim_opts_default(rg_sim_opts_t *o); /* cosine, shrink 0, min_common 1, n_threads 0 */
/* "cosine", "pearson", "adjusted-cosine" (also "adjusted_cosine", "acos") -> metric. */
rg_error_t rg_sim_metric_parse(const char *name, rg_sim_metric_t *out);
const char *rg_sim_metric_name(rg_sim_metric_t m);

/* Prepared similarity context: the centred value of every edge in both CSR orders and the
 * per-node norms.  Keeps a pointer to g (not owned; g must outlive it).  Memory 8 bytes per edge
 * plus 4 per node.  Time O(U + M + E). */
typedef struct {
    const rg_graph_t *g;
    rg_side_t side;
    rg_sim_opts_t opts;
    int64_t n_side;     /* nodes on the compared side */
    int64_t n_other;
    const int64_t *ptr;       /* the side's CSR (points into g) */
    const int32_t *adj;
    const int64_t *optr;      /* the other side's CSR (points into g) */
    const int32_t *oadj;
    float *val;         /* (E) edge value in the side's CSR order */
    float *oval;        /* (E) edge value in the other side's CSR order */
    float *norm;        /* (n_side) cosine: full norm of each node */
    void *mem;
} rg_sim_t;

rg_error_t rg_sim_init(rg_sim_t *s, const rg_graph_t *g, rg_side_t side, const rg_sim_opts_t *o);
void rg_sim_free(rg_sim_t *s);

/* Similarity of nodes a and b of the context's side by merging their sorted neighbour lists.
 * *sim is 0 and *n_common the count when n_common < min_common.  Errors: RG_EINVAL (ids out of
 * range).  Time O(deg a + deg b). */
rg_error_t rg_sim_pair(const rg_sim_t *s, int32_t a, int32_t b, float *sim, int32_t *n_common);

/* Per-thread scratch of the two-hop pass: a dense accumulator over the side's nodes. */
typedef struct {
    int64_t n_side;
    int32_t k_max;
    void *acc;          /* (n_side) accumulators */
    int32_t *touched;   /* (n_side) */
    int32_t *heap_id;   /* (k_max) */
    float *heap_sim;    /* (k_max) */
    void *mem;
} rg_sim_workspace_t;

rg_error_t rg_sim_workspace_init(rg_sim_workspace_t *w, const rg_sim_t *s, int32_t k_max);
void rg_sim_workspace_free(rg_sim_workspace_t *w);

/* The k most similar nodes to a (a itself excluded), by similarity descending then id
 * ascending: ids[0..k-1] and sims[0..k-1], padded with -1 / 0 after the *n_found found.  Two-hop
 * message passing: every edge (a, c) scatters x_a,c * x_b,c into the accumulator of each b
 * adjacent to c.  Errors: RG_EINVAL (a out of range, k < 1 or k > w->k_max).  Time:
 * O(sum over neighbours c of a of deg c + touched * log k).  n_found may be NULL. */
rg_error_t rg_sim_topk(const rg_sim_t *s, int32_t a, int32_t k, rg_sim_workspace_t *w,
                       int32_t *ids, float *sims, int32_t *n_found);

/* Top-k lists of every node of the side, in parallel over nodes (OpenMP dynamic schedule, one
 * workspace per thread): ids and sims are (n_side, k) row-major, row a as rg_sim_topk(a),
 * -1 / 0 padded.  Results do not depend on the thread count.  Errors: RG_EINVAL (k < 1),
 * RG_ENOMEM.  Time O(sum over the other side of deg^2 + n_side * touched * log k) / threads. */
rg_error_t rg_sim_topk_all(const rg_sim_t *s, int32_t k, int32_t *ids, float *sims);

/* The k rows of an embedding table most similar to row a by cosine (a excluded), ordered as
 * rg_sim_topk, -1 / 0 padded: emb is (n, D) row-major (e.g. a model's "user_emb").  A zero row
 * has similarity 0 with everything.  Errors: RG_EINVAL (a out of range, k < 1, D < 1).  Time
 * O(n D + n log k); no allocation.  n_found may be NULL. */
rg_error_t rg_sim_embedding_topk(const float *emb, int64_t n, int64_t D, int32_t a, int32_t k,
                                 int32_t *ids, float *sims, int32_t *n_found);

#ifdef __cplusplus
}
#endif
#endif
