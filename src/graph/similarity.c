/* similarity.c: user-user and movie-movie similarity from co-ratings (query.h).
 *
 * The top-k query is a two-hop message-passing pass over the store: each edge (a, c) of the
 * query node sends x_ac to the middle node c, which passes x_ac * x_bc on to every other
 * neighbour b into a dense per-thread accumulator (dot, sum x_a^2, sum x_b^2, count).  Only the
 * touched entries are scored and reset, so one query costs O(sum of the degrees of a's
 * neighbours), independent of n_side.  Edge values are stored in both CSR orders so both hops
 * stream through memory.  Contributions to a pair arrive in ascending middle-node order both here
 * and in rg_sim_pair's merge, so the two give the same float result.  OpenMP over query nodes
 * only (rg_sim_topk_all); no SIMD.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "reelgraph/query.h"

typedef struct {
    float dot, sa, sb;
    int32_t cnt;
} sim_acc_t;

/* ---- options ---- */

void rg_sim_opts_default(rg_sim_opts_t *o) {
    memset(o, 0, sizeof *o);
    o->metric = RG_SIM_COSINE;
    o->shrink = 0.0f;
    o->min_common = 1;
    o->n_threads = 0;
}

rg_error_t rg_sim_metric_parse(const char *name, rg_sim_metric_t *out) {
    if (name && !strcmp(name, "cosine")) {
        *out = RG_SIM_COSINE;
    } else if (name && !strcmp(name, "pearson")) {
        *out = RG_SIM_PEARSON;
    } else if (name && (!strcmp(name, "adjusted-cosine") || !strcmp(name, "adjusted_cosine") ||
                        !strcmp(name, "acos"))) {
        *out = RG_SIM_ADJUSTED_COSINE;
    } else {
        RG_ERROR(RG_EINVAL, "similarity metric '%s': expected cosine, pearson or adjusted-cosine",
                 name ? name : "(null)");
    }
    return RG_SUCCESS;
}

const char *rg_sim_metric_name(rg_sim_metric_t m) {
    switch (m) {
    case RG_SIM_COSINE: return "cosine";
    case RG_SIM_PEARSON: return "pearson";
    case RG_SIM_ADJUSTED_COSINE: return "adjusted-cosine";
    default: return "unknown";
    }
}

/* ---- context ---- */

void rg_sim_free(rg_sim_t *s) {
    if (!s) {
        return;
    }
    free(s->mem);
    memset(s, 0, sizeof *s);
}

rg_error_t rg_sim_init(rg_sim_t *s, const rg_graph_t *g, rg_side_t side, const rg_sim_opts_t *o) {
    rg_error_t rc = RG_SUCCESS;
    float *mean_u = NULL, *mean_m = NULL;
    memset(s, 0, sizeof *s);
    if (!g || !o) {
        RG_ERROR(RG_EINVAL, "rg_sim_init: NULL graph or options");
    }
    if (side != RG_SIDE_USER && side != RG_SIDE_MOVIE) {
        RG_ERROR(RG_EINVAL, "rg_sim_init: side %d is neither user nor movie", (int) side);
    }
    if (o->metric != RG_SIM_COSINE && o->metric != RG_SIM_PEARSON &&
        o->metric != RG_SIM_ADJUSTED_COSINE) {
        RG_ERROR(RG_EINVAL, "rg_sim_init: unknown metric %d", (int) o->metric);
    }
    if (!(o->shrink >= 0.0f) || o->min_common < 1) {
        RG_ERROR(RG_EINVAL, "rg_sim_init: shrink %g must be >= 0 and min_common %d >= 1",
                 (double) o->shrink, (int) o->min_common);
    }
    int64_t E = g->n_ratings, U = g->n_users, M = g->n_movies;
    s->g = g;
    s->side = side;
    s->opts = *o;
    if (side == RG_SIDE_USER) {
        s->n_side = U;
        s->n_other = M;
        s->ptr = g->user_ptr;
        s->adj = g->user_adj;
        s->optr = g->movie_ptr;
        s->oadj = g->movie_adj;
    } else {
        s->n_side = M;
        s->n_other = U;
        s->ptr = g->movie_ptr;
        s->adj = g->movie_adj;
        s->optr = g->user_ptr;
        s->oadj = g->user_adj;
    }
    size_t n_floats = 2 * (size_t) E + (size_t) s->n_side;
    s->mem = rg_malloc((n_floats > 0 ? n_floats : 1) * sizeof(float));
    mean_u = rg_malloc((size_t) (U + 1) * sizeof *mean_u);
    mean_m = rg_malloc((size_t) (M + 1) * sizeof *mean_m);
    if (!s->mem || !mean_u || !mean_m) {
        RG_FAIL(RG_ENOMEM, "rg_sim_init: cannot allocate %zu floats for %lld edges", n_floats,
                (long long) E);
    }
    float *v_user = (float *) s->mem;       /* value by user-CSR position = edge id */
    float *v_movie = v_user + E;            /* value by movie-CSR position */
    s->norm = v_movie + E;
    for (int64_t u = 0; u < U; u++) {
        double sum = 0.0;
        for (int64_t e = g->user_ptr[u]; e < g->user_ptr[u + 1]; e++) {
            sum += g->rating[e];
        }
        int64_t d = g->user_ptr[u + 1] - g->user_ptr[u];
        mean_u[u] = d > 0 ? (float) (sum / (double) d) : 0.0f;
    }
    for (int64_t m = 0; m < M; m++) {
        double sum = 0.0;
        for (int64_t j = g->movie_ptr[m]; j < g->movie_ptr[m + 1]; j++) {
            sum += g->rating[g->movie_eid[j]];
        }
        int64_t d = g->movie_ptr[m + 1] - g->movie_ptr[m];
        mean_m[m] = d > 0 ? (float) (sum / (double) d) : 0.0f;
    }
    /* the centre of each edge: own mean (pearson), middle-node mean (adjusted cosine) */
    const float *centre_user_side = NULL; /* indexed by the user of the edge */
    const float *centre_movie_side = NULL;
    if (o->metric == RG_SIM_PEARSON) {
        if (side == RG_SIDE_USER) {
            centre_user_side = mean_u;
        } else {
            centre_movie_side = mean_m;
        }
    } else if (o->metric == RG_SIM_ADJUSTED_COSINE) {
        if (side == RG_SIDE_USER) {
            centre_movie_side = mean_m;
        } else {
            centre_user_side = mean_u;
        }
    }
    for (int64_t u = 0; u < U; u++) {
        for (int64_t e = g->user_ptr[u]; e < g->user_ptr[u + 1]; e++) {
            float c = centre_user_side ? centre_user_side[u]
                                       : centre_movie_side ? centre_movie_side[g->user_adj[e]]
                                                           : 0.0f;
            v_user[e] = g->rating[e] - c;
        }
    }
    for (int64_t j = 0; j < E; j++) {
        v_movie[j] = v_user[g->movie_eid[j]];
    }
    if (side == RG_SIDE_USER) {
        s->val = v_user;
        s->oval = v_movie;
    } else {
        s->val = v_movie;
        s->oval = v_user;
    }
    for (int64_t a = 0; a < s->n_side; a++) {
        float sq = 0.0f;
        for (int64_t j = s->ptr[a]; j < s->ptr[a + 1]; j++) {
            sq += s->val[j] * s->val[j];
        }
        s->norm[a] = sqrtf(sq);
    }
cleanup:
    free(mean_u);
    free(mean_m);
    if (rc != RG_SUCCESS) {
        rg_sim_free(s);
    }
    return rc;
}

/* The similarity of a and b from the accumulated sums (shared by pair and top-k). */
static inline float sim_score(const rg_sim_t *s, int32_t a, int32_t b, float dot, float sa,
                              float sb, int32_t cnt) {
    float den = s->opts.metric == RG_SIM_COSINE ? s->norm[a] * s->norm[b] : sqrtf(sa * sb);
    float sim = den > 0.0f ? dot / den : 0.0f;
    if (s->opts.shrink > 0.0f) {
        sim *= (float) cnt / ((float) cnt + s->opts.shrink);
    }
    return sim;
}

rg_error_t rg_sim_pair(const rg_sim_t *s, int32_t a, int32_t b, float *sim, int32_t *n_common) {
    if (a < 0 || a >= s->n_side || b < 0 || b >= s->n_side) {
        RG_ERROR(RG_EINVAL, "rg_sim_pair: ids %d, %d out of range [0, %lld)", (int) a, (int) b,
                 (long long) s->n_side);
    }
    float dot = 0.0f, sa = 0.0f, sb = 0.0f;
    int32_t cnt = 0;
    int64_t i = s->ptr[a], ie = s->ptr[a + 1], j = s->ptr[b], je = s->ptr[b + 1];
    while (i < ie && j < je) {
        if (s->adj[i] < s->adj[j]) {
            i++;
        } else if (s->adj[i] > s->adj[j]) {
            j++;
        } else {
            float xa = s->val[i], xb = s->val[j];
            dot += xa * xb;
            sa += xa * xa;
            sb += xb * xb;
            cnt++;
            i++;
            j++;
        }
    }
    *n_common = cnt;
    *sim = cnt >= s->opts.min_common ? sim_score(s, a, b, dot, sa, sb, cnt) : 0.0f;
    return RG_SUCCESS;
}

/* ---- workspace ---- */

void rg_sim_workspace_free(rg_sim_workspace_t *w) {
    if (!w) {
        return;
    }
    free(w->mem);
    memset(w, 0, sizeof *w);
}

rg_error_t rg_sim_workspace_init(rg_sim_workspace_t *w, const rg_sim_t *s, int32_t k_max) {
    memset(w, 0, sizeof *w);
    if (!s || k_max < 1) {
        RG_ERROR(RG_EINVAL, "rg_sim_workspace_init: NULL context or k_max %d < 1", (int) k_max);
    }
    size_t n = (size_t) (s->n_side > 0 ? s->n_side : 1);
    size_t bytes = n * sizeof(sim_acc_t) + n * sizeof(int32_t) +
                   (size_t) k_max * (sizeof(int32_t) + sizeof(float));
    w->mem = rg_calloc(1, bytes);
    if (!w->mem) {
        RG_ERROR(RG_ENOMEM, "rg_sim_workspace_init: cannot allocate %zu bytes for %lld nodes",
                 bytes, (long long) s->n_side);
    }
    w->n_side = s->n_side;
    w->k_max = k_max;
    w->acc = w->mem;
    w->touched = (int32_t *) ((sim_acc_t *) w->acc + n);
    w->heap_id = w->touched + n;
    w->heap_sim = (float *) (w->heap_id + k_max);
    return RG_SUCCESS;
}

/* ---- top-k ---- */

/* x ranks before y: higher similarity, then lower id. */
static inline int sim_better(float sx, int32_t x, float sy, int32_t y) {
    return sx > sy || (sx == sy && x < y);
}

static void heap_swap(int32_t *id, float *sim, int32_t i, int32_t j) {
    int32_t ti = id[i];
    float ts = sim[i];
    id[i] = id[j];
    sim[i] = sim[j];
    id[j] = ti;
    sim[j] = ts;
}

/* Min-heap on "better": the root is the worst of the kept. */
static void heap_sift_down(int32_t *id, float *sim, int32_t n, int32_t i) {
    for (;;) {
        int32_t l = 2 * i + 1, r = l + 1, worst = i;
        if (l < n && sim_better(sim[worst], id[worst], sim[l], id[l])) {
            worst = l;
        }
        if (r < n && sim_better(sim[worst], id[worst], sim[r], id[r])) {
            worst = r;
        }
        if (worst == i) {
            return;
        }
        heap_swap(id, sim, i, worst);
        i = worst;
    }
}

static void heap_sift_up(int32_t *id, float *sim, int32_t i) {
    while (i > 0) {
        int32_t p = (i - 1) / 2;
        if (!sim_better(sim[p], id[p], sim[i], id[i])) {
            return;
        }
        heap_swap(id, sim, i, p);
        i = p;
    }
}

/* Offers (b, sim) to the k-best heap of n_heap entries; returns the new size. */
static int32_t heap_offer(int32_t *hid, float *hsim, int32_t n_heap, int32_t k, int32_t b,
                          float sim) {
    if (n_heap < k) {
        hid[n_heap] = b;
        hsim[n_heap] = sim;
        heap_sift_up(hid, hsim, n_heap);
        return n_heap + 1;
    }
    if (sim_better(sim, b, hsim[0], hid[0])) {
        hid[0] = b;
        hsim[0] = sim;
        heap_sift_down(hid, hsim, n_heap, 0);
    }
    return n_heap;
}

/* Sorts the heap in place, best first (heap sort: the worst goes to the end of the shrinking
 * heap), copies it to ids / sims (which may be the heap arrays themselves) and pads them to k
 * with -1 / 0.  Returns the count. */
static int32_t heap_drain(int32_t *hid, float *hsim, int32_t n_heap, int32_t k, int32_t *ids,
                          float *sims) {
    for (int32_t end = n_heap - 1; end > 0; end--) {
        heap_swap(hid, hsim, 0, end);
        heap_sift_down(hid, hsim, end, 0);
    }
    if (ids != hid) {
        memcpy(ids, hid, (size_t) n_heap * sizeof *ids);
        memcpy(sims, hsim, (size_t) n_heap * sizeof *sims);
    }
    for (int32_t i = n_heap; i < k; i++) {
        ids[i] = -1;
        sims[i] = 0.0f;
    }
    return n_heap;
}

/* One query; never fails once arguments are checked. */
static int32_t sim_topk_one(const rg_sim_t *s, int32_t a, int32_t k, rg_sim_workspace_t *w,
                            int32_t *ids, float *sims) {
    sim_acc_t *acc = (sim_acc_t *) w->acc;
    int32_t *touched = w->touched;
    int64_t n_touched = 0;
    const int centred = s->opts.metric != RG_SIM_COSINE;
    /* hop 1: a -> c; hop 2: c -> b, scattering into b's accumulator */
    for (int64_t j = s->ptr[a]; j < s->ptr[a + 1]; j++) {
        int32_t c = s->adj[j];
        float xa = s->val[j], xa2 = xa * xa;
        int64_t lo = s->optr[c], hi = s->optr[c + 1];
        if (centred) {
            for (int64_t i = lo; i < hi; i++) {
                int32_t b = s->oadj[i];
                float xb = s->oval[i];
                sim_acc_t *t = &acc[b];
                t->dot += xa * xb;
                t->sa += xa2;
                t->sb += xb * xb;
                if (t->cnt++ == 0) {
                    touched[n_touched++] = b;
                }
            }
        } else {
            for (int64_t i = lo; i < hi; i++) {
                int32_t b = s->oadj[i];
                sim_acc_t *t = &acc[b];
                t->dot += xa * s->oval[i];
                if (t->cnt++ == 0) {
                    touched[n_touched++] = b;
                }
            }
        }
    }
    int32_t n_heap = 0;
    int32_t *hid = w->heap_id;
    float *hsim = w->heap_sim;
    for (int64_t t = 0; t < n_touched; t++) {
        int32_t b = touched[t];
        sim_acc_t *x = &acc[b];
        if (b != a && x->cnt >= s->opts.min_common) {
            float sim = sim_score(s, a, b, x->dot, x->sa, x->sb, x->cnt);
            n_heap = heap_offer(hid, hsim, n_heap, k, b, sim);
        }
        memset(x, 0, sizeof *x);
    }
    return heap_drain(hid, hsim, n_heap, k, ids, sims);
}

rg_error_t rg_sim_topk(const rg_sim_t *s, int32_t a, int32_t k, rg_sim_workspace_t *w,
                       int32_t *ids, float *sims, int32_t *n_found) {
    if (a < 0 || a >= s->n_side) {
        RG_ERROR(RG_EINVAL, "rg_sim_topk: node %d out of range [0, %lld)", (int) a,
                 (long long) s->n_side);
    }
    if (k < 1 || k > w->k_max || w->n_side != s->n_side) {
        RG_ERROR(RG_EINVAL, "rg_sim_topk: k %d not in [1, %d] or workspace sized for another "
                 "side", (int) k, (int) w->k_max);
    }
    int32_t n = sim_topk_one(s, a, k, w, ids, sims);
    if (n_found) {
        *n_found = n;
    }
    return RG_SUCCESS;
}

rg_error_t rg_sim_topk_all(const rg_sim_t *s, int32_t k, int32_t *ids, float *sims) {
    rg_error_t rc = RG_SUCCESS;
    rg_sim_workspace_t *ws = NULL;
    int nt = 1;
    if (k < 1) {
        RG_ERROR(RG_EINVAL, "rg_sim_topk_all: k %d < 1", (int) k);
    }
#ifdef _OPENMP
    nt = s->opts.n_threads > 0 ? s->opts.n_threads : omp_get_max_threads();
#endif
    ws = rg_calloc((size_t) nt, sizeof *ws);
    if (!ws) {
        RG_FAIL(RG_ENOMEM, "rg_sim_topk_all: cannot allocate %d workspaces", nt);
    }
    for (int t = 0; t < nt; t++) {
        RG_TRY(rg_sim_workspace_init(&ws[t], s, k));
    }
    int64_t n = s->n_side;
#ifdef _OPENMP
#pragma omp parallel for schedule(dynamic, 64) num_threads(nt)
#endif
    for (int64_t a = 0; a < n; a++) {
        int tid = 0;
#ifdef _OPENMP
        tid = omp_get_thread_num();
#endif
        sim_topk_one(s, (int32_t) a, k, &ws[tid], ids + (size_t) a * (size_t) k,
                     sims + (size_t) a * (size_t) k);
    }
cleanup:
    if (ws) {
        for (int t = 0; t < nt; t++) {
            rg_sim_workspace_free(&ws[t]);
        }
    }
    free(ws);
    return rc;
}

rg_error_t rg_sim_embedding_topk(const float *emb, int64_t n, int64_t D, int32_t a, int32_t k,
                                 int32_t *ids, float *sims, int32_t *n_found) {
    if (!emb || a < 0 || a >= n || k < 1 || D < 1) {
        RG_ERROR(RG_EINVAL, "rg_sim_embedding_topk: row %d of %lld, k %d, D %lld (need a valid "
                 "row, k >= 1, D >= 1)", (int) a, (long long) n, (int) k, (long long) D);
    }
    /* the outputs are the heap; an in-place heap sort orders them at the end */
    const float *x = emb + (size_t) a * (size_t) D;
    double nx = 0.0;
    for (int64_t d = 0; d < D; d++) {
        nx += (double) x[d] * x[d];
    }
    int32_t n_heap = 0;
    for (int64_t b = 0; b < n; b++) {
        if (b == a) {
            continue;
        }
        const float *y = emb + (size_t) b * (size_t) D;
        double dot = 0.0, ny = 0.0;
        for (int64_t d = 0; d < D; d++) {
            dot += (double) x[d] * y[d];
            ny += (double) y[d] * y[d];
        }
        float sim = nx > 0.0 && ny > 0.0 ? (float) (dot / sqrt(nx * ny)) : 0.0f;
        n_heap = heap_offer(ids, sims, n_heap, k, (int32_t) b, sim);
    }
    int32_t n_kept = heap_drain(ids, sims, n_heap, k, ids, sims);
    if (n_found) {
        *n_found = n_kept;
    }
    return RG_SUCCESS;
}
