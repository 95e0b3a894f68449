/* sample.c: seeded neighbour sampling and mini-batch blocks for GNN training (query.h).
 *
 * Uniform sampling without replacement picks, per node, all neighbours when the degree is at
 * most the fan-out, a partial Fisher-Yates shuffle of the candidates when the degree is at most
 * twice the fan-out, and otherwise rejection of repeated draws (expected < 2 draws per pick, no
 * O(degree) work on hubs).  Weighted sampling without replacement uses exponential keys
 * (Efraimidis and Spirakis, 2006): the F largest log(u)/w win, O(degree log F).  In a block,
 * each dst node of each layer draws from its own stream (seed, batch, layer, position), and the
 * new nodes of a layer are numbered in global id order, so a block depends on the seed and the
 * batch only, never on the threads.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/parallel.h"
#include "graph/graph_store.h"
#include "reelgraph/query.h"
#include "reelgraph/rng.h"

#define RG_SAMPLE_DEFAULT_HALF_LIFE (30.0 * 24.0 * 3600.0)
/* A block layer is sampled in parallel from this many entries on (below, a region's start-up
 * costs more than the sampling). */
#define RG_BLOCK_PAR_MIN_EDGES 16384

void rg_sample_opts_default(rg_sample_opts_t *o) {
    memset(o, 0, sizeof *o);
    o->weight = RG_SAMPLE_UNIFORM;
    o->half_life = RG_SAMPLE_DEFAULT_HALF_LIFE;
    o->n_threads = 1;
}

rg_error_t rg_sample_weight_parse(const char *name, rg_sample_weight_t *out) {
    if (name && !strcmp(name, "uniform")) {
        *out = RG_SAMPLE_UNIFORM;
    } else if (name && !strcmp(name, "rating")) {
        *out = RG_SAMPLE_RATING;
    } else if (name && !strcmp(name, "recency")) {
        *out = RG_SAMPLE_RECENCY;
    } else {
        RG_ERROR(RG_EINVAL, "sampling weight '%s': expected uniform, rating or recency",
                 name ? name : "(null)");
    }
    return RG_SUCCESS;
}

/* ---- one node ---- */

/* The i-th neighbour of global node x (lo = start of its CSR row): global id and edge id. */
static inline void nb_at(const rg_graph_t *g, int is_user, int64_t j, int32_t *y, int64_t *e) {
    if (is_user) {
        *y = (int32_t) g->n_users + g->user_adj[j];
        *e = j;
    } else {
        *y = g->movie_adj[j];
        *e = g->movie_eid[j];
    }
}

static inline int sample_in(const int64_t *a, int64_t n, int64_t v) {
    for (int64_t i = 0; i < n; i++) {
        if (a[i] == v) {
            return 1;
        }
    }
    return 0;
}

/* Min-heap of (key, cand) on key: the root is the smallest kept key. */
static void key_sift_down(double *key, int64_t *cand, int64_t n, int64_t i) {
    for (;;) {
        int64_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < n && key[l] < key[m]) {
            m = l;
        }
        if (r < n && key[r] < key[m]) {
            m = r;
        }
        if (m == i) {
            return;
        }
        double tk = key[i];
        int64_t tc = cand[i];
        key[i] = key[m];
        cand[i] = cand[m];
        key[m] = tk;
        cand[m] = tc;
        i = m;
    }
}

/* Every neighbour of global node x whose edge is not excluded (excluded may be NULL when
 * n_excl == 0): global ids to out_nb, edge ids to out_eid and, when out_w is not NULL, ratings
 * to out_w (one pass over the row, user and movie rows in separate loops).  Returns the count. */
static int64_t take_all(const rg_graph_t *g, int32_t x, const uint8_t *excluded, int32_t n_excl,
                        int32_t *restrict out_nb, int64_t *restrict out_eid,
                        float *restrict out_w) {
    /* the graph's arrays in locals: the stores through out_* could alias g's members for the
     * compiler, which then reloaded every pointer in every iteration */
    const float *restrict rating = g->rating;
    int64_t n = 0;
    if (x < g->n_users) {
        const int32_t *restrict adj = g->user_adj;
        const int32_t U = (int32_t) g->n_users;
        for (int64_t e = g->user_ptr[x], hi = g->user_ptr[x + 1]; e < hi; e++) {
            if (n_excl > 0 && excluded[e]) {
                continue;
            }
            out_nb[n] = U + adj[e];
            out_eid[n] = e;
            if (out_w) {
                out_w[n] = rating[e];
            }
            n++;
        }
        return n;
    }
    const int32_t *restrict adj = g->movie_adj;
    const int64_t *restrict eids = g->movie_eid;
    const int64_t m = x - g->n_users;
    for (int64_t q = g->movie_ptr[m], hi = g->movie_ptr[m + 1]; q < hi; q++) {
        int64_t e = eids[q];
        if (n_excl > 0 && excluded[e]) {
            continue;
        }
        out_nb[n] = adj[q];
        out_eid[n] = e;
        if (out_w) {
            out_w[n] = rating[e];
        }
        n++;
    }
    return n;
}

/* Samples up to F neighbours (F <= 0: all) of global node x without replacement, skipping
 * excluded edges (excluded may be NULL when n_excl == 0).  Writes global neighbour ids to
 * out_nb and edge ids to out_eid; returns the count.  cand/key hold at least 2F entries. */
static int64_t sample_node(const rg_graph_t *g, int32_t x, int32_t F, const rg_sample_opts_t *o,
                           rg_rng_t *r, const uint8_t *excluded, int32_t n_excl, int64_t *cand,
                           double *key, int32_t *out_nb, int64_t *out_eid) {
    int is_user = x < g->n_users;
    int64_t lo = is_user ? g->user_ptr[x] : g->movie_ptr[x - g->n_users];
    int64_t hi = is_user ? g->user_ptr[x + 1] : g->movie_ptr[x - g->n_users + 1];
    int64_t d = hi - lo, d_eff = d - n_excl;
    int32_t y;
    int64_t e;
    if (F <= 0 || d_eff <= F) {
        return take_all(g, x, excluded, n_excl, out_nb, out_eid, NULL);
    }
    if (o->weight == RG_SAMPLE_UNIFORM) {
        if (d_eff <= 2 * (int64_t) F) {
            /* partial Fisher-Yates over the eligible positions */
            int64_t m = 0;
            for (int64_t j = lo; j < hi; j++) {
                if (n_excl > 0) {
                    nb_at(g, is_user, j, &y, &e);
                    if (excluded[e]) {
                        continue;
                    }
                }
                cand[m++] = j;
            }
            for (int64_t i = 0; i < F; i++) {
                int64_t k = i + (int64_t) rg_rng_below(r, (uint64_t) (m - i));
                int64_t t = cand[i];
                cand[i] = cand[k];
                cand[k] = t;
            }
        } else {
            /* rejection of repeats: the eligible set is more than twice F */
            int64_t m = 0;
            while (m < F) {
                int64_t j = lo + (int64_t) rg_rng_below(r, (uint64_t) d);
                if (n_excl > 0) {
                    nb_at(g, is_user, j, &y, &e);
                    if (excluded[e]) {
                        continue;
                    }
                }
                if (!sample_in(cand, m, j)) {
                    cand[m++] = j;
                }
            }
        }
    } else {
        /* weighted: keep the F largest keys log(u) / w in a min-heap */
        double t_last = 0.0;
        if (o->weight == RG_SAMPLE_RECENCY) {
            for (int64_t j = lo; j < hi; j++) {
                nb_at(g, is_user, j, &y, &e);
                t_last = (double) g->ts[e] > t_last ? (double) g->ts[e] : t_last;
            }
        }
        int64_t m = 0;
        for (int64_t j = lo; j < hi; j++) {
            nb_at(g, is_user, j, &y, &e);
            if (n_excl > 0 && excluded[e]) {
                continue;
            }
            double w = o->weight == RG_SAMPLE_RATING
                           ? (double) g->rating[e]
                           : exp2(-(t_last - (double) g->ts[e]) / o->half_life);
            double u = 1.0 - rg_rng_uniform(r); /* (0, 1] */
            double k = w > 0.0 ? log(u) / w : -INFINITY;
            if (m < F) {
                /* fill, then heapify once full */
                key[m] = k;
                cand[m] = j;
                m++;
                if (m == F) {
                    for (int64_t i = F / 2 - 1; i >= 0; i--) {
                        key_sift_down(key, cand, F, i);
                    }
                }
            } else if (k > key[0]) {
                key[0] = k;
                cand[0] = j;
                key_sift_down(key, cand, F, 0);
            }
        }
    }
    for (int64_t i = 0; i < F; i++) {
        nb_at(g, is_user, cand[i], &out_nb[i], &out_eid[i]);
    }
    return F;
}

/* ---- blocks ---- */

void rg_block_free(rg_block_t *b) {
    if (!b) {
        return;
    }
    free(b->mem);
    memset(b, 0, sizeof *b);
}

/* Bump allocator over one block: first pass measures, second pass assigns. */
typedef struct {
    char *base;
    size_t off;
} block_layout_t;

static void *layout_take(block_layout_t *l, size_t bytes) {
    size_t off = (l->off + 15) & ~(size_t) 15;
    l->off = off + bytes;
    return l->base ? l->base + off : NULL;
}

/* Does layer i (>= 2) hold layer i-1's entries as its prefix?  When both take every neighbour,
 * every row of layer i-1 is a row of layer i, at the same offset. */
static int block_shared(const rg_block_t *b, int i) {
    return b->fanout[i] <= 0 && b->fanout[i - 1] <= 0;
}

static void block_layout(rg_block_t *b, block_layout_t *l) {
    int L = b->n_layers;
    b->target_pos = layout_take(l, (size_t) b->max_targets * sizeof(int32_t));
    for (int i = 0; i <= L; i++) {
        b->nodes[i] = layout_take(l, (size_t) b->cap_nodes[i] * sizeof(int32_t));
    }
    for (int i = 1; i <= L; i++) {
        b->ptr[i] = layout_take(l, (size_t) (b->cap_nodes[i - 1] + 1) * sizeof(int64_t));
        /* a layer followed by another full-neighbourhood layer keeps its entries as the prefix
         * of the next one's (every row of it is copied there: see rg_block_sample) */
        size_t ce = i < L && block_shared(b, i + 1) ? 0 : (size_t) b->cap_edges[i];
        b->idx[i] = layout_take(l, ce * sizeof(int32_t));
        b->w[i] = layout_take(l, ce * sizeof(float));
        b->eid[i] = layout_take(l, ce * sizeof(int64_t));
    }
    for (int i = L; i >= 2; i--) {
        if (block_shared(b, i)) {
            b->idx[i - 1] = b->idx[i];
            b->w[i - 1] = b->w[i];
            b->eid[i - 1] = b->eid[i];
        }
    }
    b->local = layout_take(l, (size_t) b->n_total * sizeof(int32_t));
    b->n_excluded = layout_take(l, (size_t) b->n_total * sizeof(int32_t));
    b->excluded = layout_take(l, (size_t) b->n_edges_graph);
    b->seen = layout_take(l, (size_t) b->n_total);
    b->cand = layout_take(l, (size_t) (b->cap_cand * b->n_scratch) * sizeof(int64_t));
    b->key = layout_take(l, (size_t) (b->cap_cand * b->n_scratch) * sizeof(double));
}

static int64_t graph_max_degree(const rg_graph_t *g) {
    int64_t d_max = 0;
    for (int64_t u = 0; u < g->n_users; u++) {
        int64_t d = g->user_ptr[u + 1] - g->user_ptr[u];
        d_max = d > d_max ? d : d_max;
    }
    for (int64_t m = 0; m < g->n_movies; m++) {
        int64_t d = g->movie_ptr[m + 1] - g->movie_ptr[m];
        d_max = d > d_max ? d : d_max;
    }
    return d_max;
}

rg_error_t rg_block_init(rg_block_t *b, const rg_graph_t *g, int64_t max_targets,
                         const int32_t *fanouts, int n_layers) {
    memset(b, 0, sizeof *b);
    if (!g || !fanouts) {
        RG_ERROR(RG_EINVAL, "rg_block_init: NULL graph or fanouts");
    }
    if (n_layers < 1 || n_layers > RG_MAX_LAYERS) {
        RG_ERROR(RG_EINVAL, "rg_block_init: %d layers, need 1..%d", n_layers, RG_MAX_LAYERS);
    }
    if (max_targets < 1) {
        RG_ERROR(RG_EINVAL, "rg_block_init: max_targets %lld < 1", (long long) max_targets);
    }
    int64_t n_total = g->n_users + g->n_movies, d_max = graph_max_degree(g);
    int64_t two_e = 2 * g->n_ratings;
    b->n_layers = n_layers;
    b->max_targets = max_targets;
    b->n_total = n_total;
    b->n_edges_graph = g->n_ratings;
    b->cap_nodes[0] = max_targets < n_total ? max_targets : n_total;
    b->cap_cand = 1;
    b->n_scratch = rg_i_threads(0);
    for (int l = 1; l <= n_layers; l++) {
        int32_t f = fanouts[l - 1];
        int64_t per = f > 0 && f < d_max ? f : d_max;
        b->fanout[l] = f;
        /* a layer's edges are distinct edges seen from distinct dst nodes: at most 2E */
        int64_t ce = b->cap_nodes[l - 1] * per;
        b->cap_edges[l] = (per > 0 && ce / per != b->cap_nodes[l - 1]) || ce > two_e ? two_e : ce;
        int64_t cn = b->cap_nodes[l - 1] + b->cap_edges[l];
        b->cap_nodes[l] = cn < n_total ? cn : n_total;
        if (f > 0 && 2 * (int64_t) f > b->cap_cand) {
            b->cap_cand = 2 * (int64_t) f;
        }
    }
    block_layout_t l = {NULL, 0};
    block_layout(b, &l);
    b->mem = rg_malloc(l.off);
    if (!b->mem) {
        size_t bytes = l.off;
        rg_block_free(b);
        RG_ERROR(RG_ENOMEM, "rg_block_init: cannot allocate %zu bytes for batches of %lld targets",
                 bytes, (long long) max_targets);
    }
    l.base = b->mem;
    l.off = 0;
    block_layout(b, &l);
    for (int64_t i = 0; i < n_total; i++) {
        b->local[i] = -1;
    }
    memset(b->n_excluded, 0, (size_t) n_total * sizeof(int32_t));
    memset(b->excluded, 0, (size_t) g->n_ratings);
    memset(b->seen, 0, (size_t) n_total);
    return RG_SUCCESS;
}

static void block_mark_excluded(rg_block_t *b, const rg_graph_t *g, const int64_t *ex, int64_t n,
                                int32_t delta) {
    for (int64_t i = 0; i < n; i++) {
        int64_t e = ex[i];
        if ((delta > 0) == (b->excluded[e] != 0)) {
            continue; /* a repeated id (marking) or an already cleared one (unmarking) */
        }
        b->excluded[e] = delta > 0;
        b->n_excluded[rg_i_graph_edge_user(g, e)] += delta;
        b->n_excluded[g->n_users + g->user_adj[e]] += delta;
    }
}

/* Neighbours of global node x left once this batch's excluded edges are removed. */
static inline int64_t block_deff(const rg_block_t *b, const rg_graph_t *g, int32_t x) {
    int64_t d = x < g->n_users ? g->user_ptr[x + 1] - g->user_ptr[x]
                               : g->movie_ptr[x - g->n_users + 1] - g->movie_ptr[x - g->n_users];
    return d - b->n_excluded[x];
}

/* Does a fan-out F take all d_eff neighbours? */
static inline int block_whole(int32_t F, int64_t d_eff) {
    return F <= 0 || d_eff <= F;
}

/* Is dst row i (global node x) of a layer copied from the previous layer (see
 * rg_block_sample)? */
static inline int block_copied(const rg_block_t *b, const rg_graph_t *g, int64_t i, int32_t x,
                               int64_t n_keep, int32_t F_prev, int32_t F) {
    if (i >= n_keep) {
        return 0;
    }
    int64_t d_eff = block_deff(b, g, x);
    return block_whole(F_prev, d_eff) && block_whole(F, d_eff);
}

/* Appends to nodes[n_dst..] every flagged node that has no position yet, in global id order,
 * giving each its position; returns the layer's node count.  Skips unflagged stretches a word
 * at a time: O(U + M) bytes, a few microseconds for MovieLens 25M. */
static int64_t block_number_new(rg_block_t *b, int32_t *nodes, int64_t n_dst) {
    int64_t n = n_dst, N = b->n_total, y = 0;
    for (; y + 8 <= N; y += 8) {
        uint64_t word;
        memcpy(&word, b->seen + y, sizeof word);
        if (word == 0) {
            continue;
        }
        for (int64_t k = y; k < y + 8; k++) {
            if (b->seen[k] && b->local[k] < 0) {
                b->local[k] = (int32_t) n;
                nodes[n++] = (int32_t) k;
            }
        }
    }
    for (; y < N; y++) {
        if (b->seen[y] && b->local[y] < 0) {
            b->local[y] = (int32_t) n;
            nodes[n++] = (int32_t) y;
        }
    }
    return n;
}

rg_error_t rg_block_sample(rg_block_t *b, const rg_graph_t *g, const int32_t *targets,
                           int64_t n_targets, const int64_t *exclude_eids, int64_t n_exclude,
                           const rg_sample_opts_t *o, uint64_t seed, uint64_t batch_index) {
    rg_sample_opts_t def;
    if (!o) {
        rg_sample_opts_default(&def);
        o = &def;
    }
    if (b->n_total != g->n_users + g->n_movies || b->n_edges_graph != g->n_ratings) {
        RG_ERROR(RG_EINVAL, "rg_block_sample: block sized for %lld nodes / %lld edges, graph has "
                 "%lld / %lld", (long long) b->n_total, (long long) b->n_edges_graph,
                 (long long) (g->n_users + g->n_movies), (long long) g->n_ratings);
    }
    if ((n_targets > 0 && !targets) || (n_exclude > 0 && !exclude_eids)) {
        RG_ERROR(RG_EINVAL, "rg_block_sample: NULL targets or exclude_eids with a positive count");
    }
    if (n_targets < 0 || n_targets > b->max_targets) {
        RG_ERROR(RG_EINVAL, "rg_block_sample: %lld targets, block holds at most %lld",
                 (long long) n_targets, (long long) b->max_targets);
    }
    for (int64_t t = 0; t < n_targets; t++) {
        if (targets[t] < 0 || targets[t] >= b->n_total) {
            RG_ERROR(RG_EINVAL, "rg_block_sample: target %lld = %d out of range [0, %lld)",
                     (long long) t, (int) targets[t], (long long) b->n_total);
        }
    }
    for (int64_t i = 0; i < n_exclude; i++) {
        if (exclude_eids[i] < 0 || exclude_eids[i] >= g->n_ratings) {
            RG_ERROR(RG_EINVAL, "rg_block_sample: excluded edge %lld = %lld out of range [0, %lld)",
                     (long long) i, (long long) exclude_eids[i], (long long) g->n_ratings);
        }
    }
    if (o->weight == RG_SAMPLE_RECENCY && !(o->half_life > 0.0)) {
        RG_ERROR(RG_EINVAL, "rg_block_sample: recency half-life %g must be > 0", o->half_life);
    }
    block_mark_excluded(b, g, exclude_eids, n_exclude, 1);

    /* the distinct targets in global id order, as every layer's new nodes: a row's neighbours
     * (sorted by id in the graph) then sit at increasing positions, so the message-passing
     * kernels sweep their source rows in address order */
    for (int64_t t = 0; t < n_targets; t++) {
        b->seen[targets[t]] = 1;
    }
    int64_t n0 = block_number_new(b, b->nodes[0], 0);
    for (int64_t i = 0; i < n0; i++) {
        b->seen[b->nodes[0][i]] = 0;
    }
    for (int64_t t = 0; t < n_targets; t++) {
        b->target_pos[t] = b->local[targets[t]];
    }
    b->n_targets = n_targets;
    b->n_nodes[0] = n0;
    int nt = o->n_threads > 0 ? o->n_threads : b->n_scratch;
    nt = nt < b->n_scratch ? nt : b->n_scratch;
    for (int l = 1; l <= b->n_layers; l++) {
        int32_t *nodes = b->nodes[l], F = b->fanout[l];
        int64_t n_dst = b->n_nodes[l - 1];
        /* rows i < n_keep that layer l-1 took whole and layer l takes whole are the same
         * neighbours in the same numbering (nodes[l-1] is a prefix of nodes[l]): copied from
         * layer l-1, never resampled; with full neighbourhoods that is every dst row of layer
         * l-1 */
        int64_t n_keep = l >= 2 ? b->n_nodes[l - 2] : 0;
        int32_t F_prev = l >= 2 ? b->fanout[l - 1] : 0;
        memcpy(nodes, b->nodes[l - 1], (size_t) n_dst * sizeof *nodes);
        int64_t *ptr = b->ptr[l];
        int32_t *idx = b->idx[l];
        int64_t *eid = b->eid[l];
        float *w = b->w[l];
        /* every node's count is known up front (all eligible neighbours, or F of them), so the
         * entries are laid out first and the nodes sampled independently into their slots */
        ptr[0] = 0;
        for (int64_t i = 0; i < n_dst; i++) {
            int64_t d_eff = block_deff(b, g, nodes[i]);
            ptr[i + 1] = ptr[i] + (block_whole(F, d_eff) ? d_eff : F);
        }
        uint64_t layer_seed = rg_rng_mix(rg_rng_mix(seed, batch_index), (uint64_t) l);
        int nt_l = ptr[n_dst] >= RG_BLOCK_PAR_MIN_EDGES ? nt : 1;
        (void) nt_l;
#ifdef _OPENMP
#pragma omp parallel num_threads(nt_l)
#endif
        {
            int tid, nthr;
            rg_i_team(&tid, &nthr);
            int64_t *cand = b->cand + (size_t) tid * (size_t) b->cap_cand;
            double *key = b->key + (size_t) tid * (size_t) b->cap_cand;
#ifdef _OPENMP
#pragma omp for schedule(dynamic, 64)
#endif
            for (int64_t i = 0; i < n_dst; i++) {
                int32_t x = nodes[i];
                int64_t lo = ptr[i], n_i = ptr[i + 1] - lo;
                if (block_copied(b, g, i, x, n_keep, F_prev, F)) {
                    int64_t plo = b->ptr[l - 1][i];
                    if (b->idx[l - 1] + plo != idx + lo) { /* else shared: already in place */
                        memcpy(idx + lo, b->idx[l - 1] + plo, (size_t) n_i * sizeof *idx);
                        memcpy(w + lo, b->w[l - 1] + plo, (size_t) n_i * sizeof *w);
                        memcpy(eid + lo, b->eid[l - 1] + plo, (size_t) n_i * sizeof *eid);
                    }
                    continue;
                }
                if (block_whole(F, block_deff(b, g, x))) {
                    take_all(g, x, b->excluded, b->n_excluded[x], idx + lo, eid + lo, w + lo);
                } else {
                    rg_rng_t r;
                    rg_rng_init(&r, rg_rng_mix(layer_seed, (uint64_t) i));
                    sample_node(g, x, F, o, &r, b->excluded, b->n_excluded[x], cand, key,
                                idx + lo, eid + lo);
                    for (int64_t j = lo; j < lo + n_i; j++) {
                        w[j] = g->rating[eid[j]];
                    }
                }
                for (int64_t j = lo; j < lo + n_i; j++) {
                    /* many threads may flag one node: all store the same byte, atomically */
                    __atomic_store_n(&b->seen[idx[j]], 1, __ATOMIC_RELAXED);
                }
            }
        }
        /* number the new source nodes in global id order: a scan of the flags, independent of
         * the threads and of the entry order */
        int64_t n = block_number_new(b, nodes, n_dst);
        /* sampled rows: global ids -> positions in nodes[l] */
#ifdef _OPENMP
#pragma omp parallel for schedule(dynamic, 64) num_threads(nt_l)
#endif
        for (int64_t i = 0; i < n_dst; i++) {
            if (!block_copied(b, g, i, nodes[i], n_keep, F_prev, F)) {
                for (int64_t j = ptr[i]; j < ptr[i + 1]; j++) {
                    idx[j] = b->local[idx[j]];
                }
            }
        }
        for (int64_t i = 0; i < n; i++) {
            b->seen[nodes[i]] = 0;
        }
        b->n_nodes[l] = n;
        b->n_edges[l] = ptr[n_dst];
    }
    /* reset the scratch for the next batch: nodes[L] holds every node touched */
    const int32_t *all = b->nodes[b->n_layers];
    for (int64_t i = 0; i < b->n_nodes[b->n_layers]; i++) {
        b->local[all[i]] = -1;
    }
    block_mark_excluded(b, g, exclude_eids, n_exclude, -1);
    return RG_SUCCESS;
}

/* ---- hop-by-hop sample from one node ---- */

void rg_sample_hops_free(rg_sample_hops_t *s) {
    if (!s) {
        return;
    }
    free(s->node);
    free(s->parent);
    free(s->eid);
    memset(s, 0, sizeof *s);
}

static rg_error_t hops_reserve(rg_sample_hops_t *s, int64_t need) {
    if (need <= s->cap) {
        return RG_SUCCESS;
    }
    int64_t cap = s->cap > 0 ? s->cap : 64;
    while (cap < need) {
        cap *= 2;
    }
    int32_t *node = rg_realloc(s->node, (size_t) cap * sizeof *node);
    if (node) {
        s->node = node;
    }
    int32_t *parent = rg_realloc(s->parent, (size_t) cap * sizeof *parent);
    if (parent) {
        s->parent = parent;
    }
    int64_t *eid = rg_realloc(s->eid, (size_t) cap * sizeof *eid);
    if (eid) {
        s->eid = eid;
    }
    if (!node || !parent || !eid) {
        RG_ERROR(RG_ENOMEM, "rg_sample_hops: cannot grow the sample to %lld edges",
                 (long long) cap);
    }
    s->cap = cap;
    return RG_SUCCESS;
}

rg_error_t rg_sample_hops(rg_sample_hops_t *out, const rg_graph_t *g, int32_t src,
                          const int32_t *fanouts, int n_hops, const rg_sample_opts_t *o,
                          uint64_t seed) {
    rg_error_t rc = RG_SUCCESS;
    uint8_t *mark = NULL;
    int32_t *frontier = NULL;
    int64_t *cand = NULL;
    double *key = NULL;
    rg_sample_opts_t def;
    memset(out, 0, sizeof *out);
    if (!o) {
        rg_sample_opts_default(&def);
        o = &def;
    }
    int64_t n_total = g->n_users + g->n_movies;
    if (!fanouts) {
        RG_ERROR(RG_EINVAL, "rg_sample_hops: NULL fanouts");
    }
    if (src < 0 || src >= n_total) {
        RG_ERROR(RG_EINVAL, "rg_sample_hops: source %d out of range [0, %lld)", (int) src,
                 (long long) n_total);
    }
    if (n_hops < 1 || n_hops > RG_MAX_LAYERS) {
        RG_ERROR(RG_EINVAL, "rg_sample_hops: %d hops, need 1..%d", n_hops, RG_MAX_LAYERS);
    }
    if (o->weight == RG_SAMPLE_RECENCY && !(o->half_life > 0.0)) {
        RG_ERROR(RG_EINVAL, "rg_sample_hops: recency half-life %g must be > 0", o->half_life);
    }
    int64_t cap_cand = 1, d_max = graph_max_degree(g);
    for (int l = 0; l < n_hops; l++) {
        int64_t f = fanouts[l] > 0 ? fanouts[l] : d_max;
        cap_cand = 2 * f > cap_cand ? 2 * f : cap_cand;
    }
    mark = rg_calloc((size_t) n_total, 1);
    frontier = rg_malloc((size_t) n_total * sizeof *frontier);
    cand = rg_malloc((size_t) cap_cand * sizeof *cand);
    key = rg_malloc((size_t) cap_cand * sizeof *key);
    if (!mark || !frontier || !cand || !key) {
        RG_FAIL(RG_ENOMEM, "rg_sample_hops: cannot allocate scratch for %lld nodes",
                (long long) n_total);
    }
    rg_rng_t r;
    rg_rng_init(&r, rg_rng_mix(seed, 0));
    out->n_hops = n_hops;
    int64_t n_front = 1;
    frontier[0] = src;
    for (int l = 0; l < n_hops; l++) {
        out->ptr[l] = out->n;
        for (int64_t i = 0; i < n_front; i++) {
            int32_t x = frontier[i];
            int64_t f = fanouts[l] > 0 ? fanouts[l] : d_max;
            RG_TRY(hops_reserve(out, out->n + f));
            int64_t c = sample_node(g, x, fanouts[l], o, &r, NULL, 0, cand, key,
                                    out->node + out->n, out->eid + out->n);
            for (int64_t j = out->n; j < out->n + c; j++) {
                out->parent[j] = x;
            }
            out->n += c;
        }
        /* the next frontier: the distinct nodes of this hop, in first-appearance order */
        n_front = 0;
        for (int64_t j = out->ptr[l]; j < out->n; j++) {
            if (!mark[out->node[j]]) {
                mark[out->node[j]] = 1;
                frontier[n_front++] = out->node[j];
            }
        }
        for (int64_t i = 0; i < n_front; i++) {
            mark[frontier[i]] = 0;
        }
    }
    out->ptr[n_hops] = out->n;
cleanup:
    free(mark);
    free(frontier);
    free(cand);
    free(key);
    if (rc != RG_SUCCESS) {
        rg_sample_hops_free(out);
    }
    return rc;
}
