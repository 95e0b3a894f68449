/* khop.c: k-hop neighbourhoods and induced subgraphs (query.h).
 *
 * Breadth-first search whose queue is the result itself, so memory is the result plus one
 * visited byte per node; with a limit the search stops as soon as the limit is reached, which
 * bounds both time and memory on hubs (a movie with thousands of raters).
 */
#include <stdlib.h>
#include <string.h>

#include "reelgraph/query.h"

void rg_khop_free(rg_khop_t *k) {
    if (!k) {
        return;
    }
    free(k->node);
    free(k->hop);
    free(k->eid);
    free(k->parent);
    memset(k, 0, sizeof *k);
}

rg_error_t rg_khop(rg_khop_t *out, const rg_graph_t *g, int32_t src, int32_t hops, int64_t limit) {
    rg_error_t rc = RG_SUCCESS;
    uint8_t *seen = NULL;
    memset(out, 0, sizeof *out);
    if (!g) {
        RG_ERROR(RG_EINVAL, "rg_khop: NULL graph");
    }
    int64_t n_total = g->n_users + g->n_movies;
    if (src < 0 || src >= n_total) {
        RG_ERROR(RG_EINVAL, "rg_khop: source node %d out of range [0, %lld)", (int) src,
                 (long long) n_total);
    }
    if (hops < 0) {
        RG_ERROR(RG_EINVAL, "rg_khop: hops %d < 0", (int) hops);
    }
    int64_t cap = (limit > 0 && limit < n_total) ? limit : n_total;
    out->node = rg_malloc((size_t) cap * sizeof *out->node);
    out->hop = rg_malloc((size_t) cap * sizeof *out->hop);
    out->eid = rg_malloc((size_t) cap * sizeof *out->eid);
    out->parent = rg_malloc((size_t) cap * sizeof *out->parent);
    seen = rg_calloc((size_t) n_total, 1);
    if (!out->node || !out->hop || !out->eid || !out->parent || !seen) {
        RG_FAIL(RG_ENOMEM, "rg_khop: cannot allocate a neighbourhood of %lld nodes",
                (long long) cap);
    }
    const int32_t U = (int32_t) g->n_users;
    out->node[0] = src;
    out->hop[0] = 0;
    out->eid[0] = -1;
    out->parent[0] = -1;
    out->n = 1;
    seen[src] = 1;
    for (int64_t head = 0; head < out->n && out->hop[head] < hops; head++) {
        int32_t x = out->node[head];
        int is_user = x < U;
        int64_t lo = is_user ? g->user_ptr[x] : g->movie_ptr[x - U];
        int64_t hi = is_user ? g->user_ptr[x + 1] : g->movie_ptr[x - U + 1];
        for (int64_t j = lo; j < hi; j++) {
            int32_t y = is_user ? U + g->user_adj[j] : g->movie_adj[j];
            if (seen[y]) {
                continue;
            }
            if (out->n == cap) {
                out->truncated = 1;
                goto cleanup;
            }
            seen[y] = 1;
            out->node[out->n] = y;
            out->hop[out->n] = out->hop[head] + 1;
            out->eid[out->n] = is_user ? j : g->movie_eid[j];
            out->parent[out->n] = head;
            out->n++;
        }
    }
cleanup:
    free(seen);
    if (rc != RG_SUCCESS) {
        rg_khop_free(out);
    }
    return rc;
}

rg_error_t rg_induced_edges(const rg_graph_t *g, const int32_t *nodes, int64_t n_nodes,
                            int64_t **eids, int64_t *n_edges) {
    rg_error_t rc = RG_SUCCESS;
    uint8_t *in = NULL;
    *eids = NULL;
    *n_edges = 0;
    int64_t n_total = g->n_users + g->n_movies;
    in = rg_calloc((size_t) (n_total > 0 ? n_total : 1), 1);
    if (!in) {
        RG_FAIL(RG_ENOMEM, "rg_induced_edges: cannot allocate %lld marks", (long long) n_total);
    }
    for (int64_t i = 0; i < n_nodes; i++) {
        if (nodes[i] < 0 || nodes[i] >= n_total) {
            RG_FAIL(RG_EINVAL, "rg_induced_edges: node %d (position %lld) out of range [0, %lld)",
                    (int) nodes[i], (long long) i, (long long) n_total);
        }
        in[nodes[i]] = 1;
    }
    const uint8_t *in_movie = in + g->n_users;
    int64_t count = 0;
    for (int pass = 0; pass < 2; pass++) {
        count = 0;
        for (int64_t u = 0; u < g->n_users; u++) {
            if (!in[u]) {
                continue;
            }
            for (int64_t e = g->user_ptr[u]; e < g->user_ptr[u + 1]; e++) {
                if (in_movie[g->user_adj[e]]) {
                    if (pass == 1) {
                        (*eids)[count] = e;
                    }
                    count++;
                }
            }
        }
        if (pass == 0) {
            *eids = rg_malloc((size_t) (count > 0 ? count : 1) * sizeof **eids);
            if (!*eids) {
                RG_FAIL(RG_ENOMEM, "rg_induced_edges: cannot allocate %lld edge ids",
                        (long long) count);
            }
        }
    }
    *n_edges = count;
cleanup:
    free(in);
    if (rc != RG_SUCCESS) {
        free(*eids);
        *eids = NULL;
    }
    return rc;
}
