/* igraph_bridge.c: conversion of the store to igraph_t, components, degree histograms, the
 * thresholded one-mode projection and PageRank on it (analytics.h).
 *
 * The projection is counted by our own two-hop pass (igraph_bipartite_projection would build
 * every co-rating pair of ML-1M, ~18M user pairs, before any threshold); igraph does the graph
 * algorithms on the thresholded result.
 */
#include <stdlib.h>
#include <string.h>

#ifdef _OPENMP
#include <omp.h>
#endif

#include <igraph/igraph.h>

#include "graph/graph_store.h"
#include "reelgraph/analytics.h"

/* ---- igraph error handling ---- */

typedef struct {
    igraph_error_handler_t *err;
    igraph_warning_handler_t *warn;
} bridge_guard_t;

static void guard_begin(bridge_guard_t *b) {
    b->err = igraph_set_error_handler(igraph_error_handler_ignore);
    b->warn = igraph_set_warning_handler(igraph_warning_handler_ignore);
}

static void guard_end(const bridge_guard_t *b) {
    igraph_set_error_handler(b->err);
    igraph_set_warning_handler(b->warn);
}

static rg_error_t bridge_fail(igraph_error_t ie, const char *what) {
    rg_error_t code = ie == IGRAPH_ENOMEM ? RG_ENOMEM : RG_EINTERNAL;
    RG_ERROR(code, "igraph: %s failed: %s", what, igraph_strerror(ie));
}

/* ---- conversion ---- */

/* Creates out from an edge list of n_edges pairs and the types of n_vertices vertices (the
 * vertex ids given by vid: NULL = global id).  Takes ownership of nothing. */
static rg_error_t bridge_create(igraph_t *out, igraph_vector_bool_t *types, const rg_graph_t *g,
                                const int32_t *nodes, int64_t n_vertices, const int32_t *vid,
                                const int64_t *eids, int64_t n_edges) {
    rg_error_t rc = RG_SUCCESS;
    bridge_guard_t guard;
    igraph_vector_int_t el;
    igraph_error_t ie;
    int have_el = 0, have_graph = 0;
    guard_begin(&guard);
    if ((ie = igraph_vector_int_init(&el, 2 * n_edges)) != IGRAPH_SUCCESS) {
        rc = bridge_fail(ie, "edge list allocation");
        goto cleanup;
    }
    have_el = 1;
    for (int64_t i = 0; i < n_edges; i++) {
        int64_t e = eids ? eids[i] : i;
        int64_t u = rg_i_graph_edge_user(g, e), m = g->n_users + g->user_adj[e];
        int64_t vu = vid ? vid[u] : u, vm = vid ? vid[m] : m;
        if (vu < 0 || vm < 0) {
            RG_FAIL(RG_EINVAL, "igraph subgraph: edge %lld (position %lld) has an end outside "
                    "the node set", (long long) e, (long long) i);
        }
        VECTOR(el)[2 * i] = vu;
        VECTOR(el)[2 * i + 1] = vm;
    }
    if ((ie = igraph_create(out, &el, n_vertices, IGRAPH_UNDIRECTED)) != IGRAPH_SUCCESS) {
        rc = bridge_fail(ie, "igraph_create");
        goto cleanup;
    }
    have_graph = 1;
    if (types) {
        if ((ie = igraph_vector_bool_init(types, n_vertices)) != IGRAPH_SUCCESS) {
            rc = bridge_fail(ie, "types allocation");
            goto cleanup;
        }
        for (int64_t v = 0; v < n_vertices; v++) {
            int64_t x = nodes ? nodes[v] : v;
            VECTOR(*types)[v] = x >= g->n_users;
        }
    }
cleanup:
    if (have_el) {
        igraph_vector_int_destroy(&el);
    }
    if (rc != RG_SUCCESS && have_graph) {
        igraph_destroy(out);
    }
    guard_end(&guard);
    return rc;
}

rg_error_t rg_igraph_from_graph(igraph_t *out, igraph_vector_bool_t *types, const rg_graph_t *g) {
    if (!out || !g) {
        RG_ERROR(RG_EINVAL, "rg_igraph_from_graph: NULL graph");
    }
    return bridge_create(out, types, g, NULL, g->n_users + g->n_movies, NULL, NULL, g->n_ratings);
}

rg_error_t rg_igraph_from_subgraph(igraph_t *out, igraph_vector_bool_t *types,
                                   const rg_graph_t *g, const int32_t *nodes, int64_t n_nodes,
                                   const int64_t *eids, int64_t n_edges) {
    rg_error_t rc = RG_SUCCESS;
    int32_t *vid = NULL;
    int64_t n_total = g->n_users + g->n_movies;
    vid = rg_malloc((size_t) (n_total > 0 ? n_total : 1) * sizeof *vid);
    if (!vid) {
        RG_FAIL(RG_ENOMEM, "rg_igraph_from_subgraph: cannot allocate %lld vertex ids",
                (long long) n_total);
    }
    for (int64_t x = 0; x < n_total; x++) {
        vid[x] = -1;
    }
    for (int64_t i = 0; i < n_nodes; i++) {
        if (nodes[i] < 0 || nodes[i] >= n_total || vid[nodes[i]] >= 0) {
            RG_FAIL(RG_EINVAL, "rg_igraph_from_subgraph: node %d (position %lld) out of range "
                    "[0, %lld) or repeated", (int) nodes[i], (long long) i, (long long) n_total);
        }
        vid[nodes[i]] = (int32_t) i;
    }
    for (int64_t i = 0; i < n_edges; i++) {
        if (eids[i] < 0 || eids[i] >= g->n_ratings) {
            RG_FAIL(RG_EINVAL, "rg_igraph_from_subgraph: edge id %lld (position %lld) out of "
                    "range [0, %lld)", (long long) eids[i], (long long) i,
                    (long long) g->n_ratings);
        }
    }
    rc = bridge_create(out, types, g, nodes, n_nodes, vid, eids, n_edges);
cleanup:
    free(vid);
    return rc;
}

/* ---- components and degrees ---- */

static rg_error_t components_of(const igraph_t *ig, rg_components_t *out) {
    rg_error_t rc = RG_SUCCESS;
    bridge_guard_t guard;
    igraph_vector_int_t csize, deg;
    igraph_integer_t no = 0;
    igraph_error_t ie;
    int have_csize = 0, have_deg = 0;
    memset(out, 0, sizeof *out);
    guard_begin(&guard);
    if ((ie = igraph_vector_int_init(&csize, 0)) != IGRAPH_SUCCESS ||
        !(have_csize = 1) ||
        (ie = igraph_connected_components(ig, NULL, &csize, &no, IGRAPH_WEAK)) !=
            IGRAPH_SUCCESS) {
        rc = bridge_fail(ie, "igraph_connected_components");
        goto cleanup;
    }
    out->n_components = no;
    for (igraph_integer_t i = 0; i < no; i++) {
        out->largest = VECTOR(csize)[i] > out->largest ? VECTOR(csize)[i] : out->largest;
    }
    if ((ie = igraph_vector_int_init(&deg, 0)) != IGRAPH_SUCCESS || !(have_deg = 1) ||
        (ie = igraph_degree(ig, &deg, igraph_vss_all(), IGRAPH_ALL, IGRAPH_LOOPS)) !=
            IGRAPH_SUCCESS) {
        rc = bridge_fail(ie, "igraph_degree");
        goto cleanup;
    }
    for (igraph_integer_t v = 0; v < igraph_vector_int_size(&deg); v++) {
        out->n_isolated += VECTOR(deg)[v] == 0;
    }
cleanup:
    if (have_csize) {
        igraph_vector_int_destroy(&csize);
    }
    if (have_deg) {
        igraph_vector_int_destroy(&deg);
    }
    guard_end(&guard);
    return rc;
}

rg_error_t rg_analyze_components(const rg_graph_t *g, rg_components_t *out) {
    igraph_t ig;
    RG_CHECK(rg_igraph_from_graph(&ig, NULL, g));
    rg_error_t rc = components_of(&ig, out);
    igraph_destroy(&ig);
    return rc;
}

int rg_degree_histogram(const rg_graph_t *g, rg_side_t side, int64_t counts[64]) {
    int64_t n = side == RG_SIDE_USER ? g->n_users : g->n_movies;
    const int64_t *ptr = side == RG_SIDE_USER ? g->user_ptr : g->movie_ptr;
    int n_bins = 0;
    memset(counts, 0, 64 * sizeof *counts);
    for (int64_t x = 0; x < n; x++) {
        int64_t d = ptr[x + 1] - ptr[x];
        int b = 0;
        while (d > 0) {
            d >>= 1;
            b++;
        }
        counts[b]++;
        n_bins = b + 1 > n_bins ? b + 1 : n_bins;
    }
    return n_bins;
}

/* ---- projection ---- */

void rg_projection_free(rg_projection_t *p) {
    if (!p) {
        return;
    }
    free(p->a);
    free(p->b);
    free(p->weight);
    memset(p, 0, sizeof *p);
}

static int cmp_i32(const void *x, const void *y) {
    int32_t a = *(const int32_t *) x, b = *(const int32_t *) y;
    return (a > b) - (a < b);
}

/* Co-rating counts of node a with every b > a, into cnt (zero on entry and on exit); when out_b
 * is not NULL, writes the kept (b, count) pairs in ascending b.  Returns the number kept. */
static int64_t project_one(const int64_t *ptr, const int32_t *adj, const int64_t *optr,
                           const int32_t *oadj, int32_t a, int32_t min_common, int32_t *cnt,
                           int32_t *touched, int32_t *out_b, int32_t *out_w) {
    int64_t n_touched = 0, kept = 0;
    for (int64_t j = ptr[a]; j < ptr[a + 1]; j++) {
        int32_t c = adj[j];
        /* the other side's rows are sorted: skip the neighbours <= a */
        int64_t lo = optr[c], hi = optr[c + 1];
        while (lo < hi) {
            int64_t mid = lo + (hi - lo) / 2;
            if (oadj[mid] <= a) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        for (int64_t i = lo; i < optr[c + 1]; i++) {
            int32_t b = oadj[i];
            if (cnt[b]++ == 0) {
                touched[n_touched++] = b;
            }
        }
    }
    if (out_b) {
        /* the kept ids in ascending order, then their counts */
        for (int64_t i = 0; i < n_touched; i++) {
            if (cnt[touched[i]] >= min_common) {
                out_b[kept++] = touched[i];
            }
        }
        qsort(out_b, (size_t) kept, sizeof *out_b, cmp_i32);
        for (int64_t i = 0; i < kept; i++) {
            out_w[i] = cnt[out_b[i]];
        }
    } else {
        for (int64_t i = 0; i < n_touched; i++) {
            kept += cnt[touched[i]] >= min_common;
        }
    }
    for (int64_t i = 0; i < n_touched; i++) {
        cnt[touched[i]] = 0;
    }
    return kept;
}

rg_error_t rg_projection_build(rg_projection_t *p, const rg_graph_t *g, rg_side_t side,
                               int32_t min_common, int64_t max_edges, int n_threads) {
    rg_error_t rc = RG_SUCCESS;
    int64_t *row = NULL;
    int32_t *scratch = NULL;
    int nt = 1;
    memset(p, 0, sizeof *p);
    if (min_common < 1) {
        RG_ERROR(RG_EINVAL, "rg_projection_build: min_common %d < 1", (int) min_common);
    }
    const int is_user = side == RG_SIDE_USER;
    const int64_t n = is_user ? g->n_users : g->n_movies;
    const int64_t *ptr = is_user ? g->user_ptr : g->movie_ptr;
    const int32_t *adj = is_user ? g->user_adj : g->movie_adj;
    const int64_t *optr = is_user ? g->movie_ptr : g->user_ptr;
    const int32_t *oadj = is_user ? g->movie_adj : g->user_adj;
    p->side = side;
    p->n_nodes = n;
#ifdef _OPENMP
    nt = n_threads > 0 ? n_threads : omp_get_max_threads();
#else
    (void) n_threads;
#endif
    row = rg_calloc((size_t) n + 1, sizeof *row);
    scratch = rg_calloc((size_t) nt * 2 * (size_t) (n > 0 ? n : 1), sizeof *scratch);
    if (!row || !scratch) {
        RG_FAIL(RG_ENOMEM, "rg_projection_build: cannot allocate counters for %lld nodes and %d "
                "threads", (long long) n, nt);
    }
    /* pass 1: kept edges per node */
#ifdef _OPENMP
#pragma omp parallel for schedule(dynamic, 64) num_threads(nt)
#endif
    for (int64_t a = 0; a < n; a++) {
        int tid = 0;
#ifdef _OPENMP
        tid = omp_get_thread_num();
#endif
        int32_t *cnt = scratch + (size_t) tid * 2 * (size_t) n;
        row[a + 1] = project_one(ptr, adj, optr, oadj, (int32_t) a, min_common, cnt, cnt + n,
                                 NULL, NULL);
    }
    for (int64_t a = 0; a < n; a++) {
        row[a + 1] += row[a];
    }
    p->n_edges = row[n];
    if (max_edges > 0 && p->n_edges > max_edges) {
        RG_FAIL(RG_ERANGE, "projection onto %s with min_common %d has %lld edges, more than the "
                "cap of %lld: raise min_common", is_user ? "users" : "movies", (int) min_common,
                (long long) p->n_edges, (long long) max_edges);
    }
    size_t ne = (size_t) (p->n_edges > 0 ? p->n_edges : 1);
    p->a = rg_malloc(ne * sizeof *p->a);
    p->b = rg_malloc(ne * sizeof *p->b);
    p->weight = rg_malloc(ne * sizeof *p->weight);
    if (!p->a || !p->b || !p->weight) {
        RG_FAIL(RG_ENOMEM, "rg_projection_build: cannot allocate %lld projected edges",
                (long long) p->n_edges);
    }
    /* pass 2: fill each node's slice */
#ifdef _OPENMP
#pragma omp parallel for schedule(dynamic, 64) num_threads(nt)
#endif
    for (int64_t a = 0; a < n; a++) {
        int tid = 0;
#ifdef _OPENMP
        tid = omp_get_thread_num();
#endif
        int32_t *cnt = scratch + (size_t) tid * 2 * (size_t) n;
        int64_t k = project_one(ptr, adj, optr, oadj, (int32_t) a, min_common, cnt, cnt + n,
                                p->b + row[a], p->weight + row[a]);
        for (int64_t i = row[a]; i < row[a] + k; i++) {
            p->a[i] = (int32_t) a;
        }
    }
cleanup:
    free(row);
    free(scratch);
    if (rc != RG_SUCCESS) {
        rg_projection_free(p);
    }
    return rc;
}

static rg_error_t projection_igraph(const rg_projection_t *p, igraph_t *ig) {
    rg_error_t rc = RG_SUCCESS;
    bridge_guard_t guard;
    igraph_vector_int_t el;
    igraph_error_t ie;
    guard_begin(&guard);
    if ((ie = igraph_vector_int_init(&el, 2 * p->n_edges)) != IGRAPH_SUCCESS) {
        rc = bridge_fail(ie, "projection edge list allocation");
        goto done;
    }
    for (int64_t i = 0; i < p->n_edges; i++) {
        VECTOR(el)[2 * i] = p->a[i];
        VECTOR(el)[2 * i + 1] = p->b[i];
    }
    if ((ie = igraph_create(ig, &el, p->n_nodes, IGRAPH_UNDIRECTED)) != IGRAPH_SUCCESS) {
        rc = bridge_fail(ie, "igraph_create (projection)");
    }
    igraph_vector_int_destroy(&el);
done:
    guard_end(&guard);
    return rc;
}

rg_error_t rg_projection_components(const rg_projection_t *p, rg_components_t *out) {
    igraph_t ig;
    RG_CHECK(projection_igraph(p, &ig));
    rg_error_t rc = components_of(&ig, out);
    igraph_destroy(&ig);
    return rc;
}

rg_error_t rg_projection_pagerank(const rg_projection_t *p, double damping, double *scores) {
    rg_error_t rc = RG_SUCCESS;
    bridge_guard_t guard;
    igraph_t ig;
    igraph_vector_t w, pr;
    igraph_real_t value;
    igraph_error_t ie;
    int have_w = 0, have_pr = 0;
    if (!(damping > 0.0 && damping < 1.0)) {
        RG_ERROR(RG_EINVAL, "rg_projection_pagerank: damping %g not in (0, 1)", damping);
    }
    RG_CHECK(projection_igraph(p, &ig));
    guard_begin(&guard);
    if ((ie = igraph_vector_init(&w, p->n_edges)) != IGRAPH_SUCCESS) {
        rc = bridge_fail(ie, "weights allocation");
        goto cleanup;
    }
    have_w = 1;
    for (int64_t i = 0; i < p->n_edges; i++) {
        VECTOR(w)[i] = p->weight[i];
    }
    if ((ie = igraph_vector_init(&pr, 0)) != IGRAPH_SUCCESS) {
        rc = bridge_fail(ie, "pagerank vector allocation");
        goto cleanup;
    }
    have_pr = 1;
    if ((ie = igraph_pagerank(&ig, IGRAPH_PAGERANK_ALGO_PRPACK, &pr, &value, igraph_vss_all(),
                              0, damping, p->n_edges > 0 ? &w : NULL, NULL)) != IGRAPH_SUCCESS) {
        rc = bridge_fail(ie, "igraph_pagerank");
        goto cleanup;
    }
    for (int64_t v = 0; v < p->n_nodes; v++) {
        scores[v] = VECTOR(pr)[v];
    }
cleanup:
    if (have_w) {
        igraph_vector_destroy(&w);
    }
    if (have_pr) {
        igraph_vector_destroy(&pr);
    }
    igraph_destroy(&ig);
    guard_end(&guard);
    return rc;
}
