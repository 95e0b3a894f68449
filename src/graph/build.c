/* build.c: the bipartite CSR store (graph.h): the block layout shared with snapshots, the O(E)
 * build from a dataset (a stable counting sort by user, then a sort of each user's ratings by
 * movie, in cache), edge filtering, lookups
 * and the summary statistics.  Single-threaded: the build is memory-bound. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "graph/graph_store.h"
#include "reelgraph/graph.h"

/* ---- layout and hash ---- */

rg_error_t rg_i_layout_compute(rg_i_layout_t *l, int64_t n_users, int64_t n_movies,
                               int64_t n_ratings, int64_t title_bytes, int64_t zip_bytes) {
    memset(l, 0, sizeof *l);
    const int64_t limit = INT64_C(1) << 40; /* far beyond any rating data set, and no overflow */
    if (n_users < 0 || n_movies < 0 || n_ratings < 0 || title_bytes < 0 || zip_bytes < 0 ||
        n_users > limit || n_movies > limit || n_ratings > limit || title_bytes > limit ||
        zip_bytes > limit) {
        RG_ERROR(RG_ERANGE, "graph sizes out of range (users %lld, movies %lld, ratings %lld)",
                 (long long) n_users, (long long) n_movies, (long long) n_ratings);
    }
    uint64_t U = (uint64_t) n_users, M = (uint64_t) n_movies, E = (uint64_t) n_ratings;
    l->n_users = n_users;
    l->n_movies = n_movies;
    l->n_ratings = n_ratings;
    l->title_bytes = title_bytes;
    l->zip_bytes = zip_bytes;
    l->size[RG_SEC_USER_PTR] = (U + 1) * 8;
    l->size[RG_SEC_USER_ADJ] = E * 4;
    l->size[RG_SEC_RATING] = E * 4;
    l->size[RG_SEC_TS] = E * 8;
    l->size[RG_SEC_MOVIE_PTR] = (M + 1) * 8;
    l->size[RG_SEC_MOVIE_ADJ] = E * 4;
    l->size[RG_SEC_MOVIE_EID] = E * 8;
    l->size[RG_SEC_USER_EXT] = U * 8;
    l->size[RG_SEC_MOVIE_EXT] = M * 8;
    l->size[RG_SEC_MOVIE_GENRES] = M * 4;
    l->size[RG_SEC_MOVIE_YEAR] = M * 4;
    l->size[RG_SEC_MOVIE_TITLE_OFF] = (M + 1) * 8;
    l->size[RG_SEC_MOVIE_TITLES] = (uint64_t) title_bytes;
    l->size[RG_SEC_USER_AGE] = U * 4;
    l->size[RG_SEC_USER_GENDER] = U;
    l->size[RG_SEC_USER_OCC] = U * 4;
    l->size[RG_SEC_USER_ZIP_OFF] = (U + 1) * 8;
    l->size[RG_SEC_USER_ZIPS] = (uint64_t) zip_bytes;
    uint64_t off = 0;
    for (int s = 0; s < RG_SEC_COUNT; s++) {
        l->offset[s] = off;
        off += (l->size[s] + RG_SEC_ALIGN - 1) / RG_SEC_ALIGN * RG_SEC_ALIGN;
    }
    l->total = off;
    return RG_SUCCESS;
}

void rg_i_layout_point(rg_graph_t *g, const rg_i_layout_t *l, void *mem) {
    char *b = mem;
    g->n_users = l->n_users;
    g->n_movies = l->n_movies;
    g->n_ratings = l->n_ratings;
    g->user_ptr = (const int64_t *) (b + l->offset[RG_SEC_USER_PTR]);
    g->user_adj = (const int32_t *) (b + l->offset[RG_SEC_USER_ADJ]);
    g->rating = (const float *) (b + l->offset[RG_SEC_RATING]);
    g->ts = (const int64_t *) (b + l->offset[RG_SEC_TS]);
    g->movie_ptr = (const int64_t *) (b + l->offset[RG_SEC_MOVIE_PTR]);
    g->movie_adj = (const int32_t *) (b + l->offset[RG_SEC_MOVIE_ADJ]);
    g->movie_eid = (const int64_t *) (b + l->offset[RG_SEC_MOVIE_EID]);
    g->user_ext = (const int64_t *) (b + l->offset[RG_SEC_USER_EXT]);
    g->movie_ext = (const int64_t *) (b + l->offset[RG_SEC_MOVIE_EXT]);
    g->movie_genres = (const uint32_t *) (b + l->offset[RG_SEC_MOVIE_GENRES]);
    g->movie_year = (const int32_t *) (b + l->offset[RG_SEC_MOVIE_YEAR]);
    g->movie_title_off = (const int64_t *) (b + l->offset[RG_SEC_MOVIE_TITLE_OFF]);
    g->movie_titles = (const char *) (b + l->offset[RG_SEC_MOVIE_TITLES]);
    g->user_age = (const int32_t *) (b + l->offset[RG_SEC_USER_AGE]);
    g->user_gender = (const uint8_t *) (b + l->offset[RG_SEC_USER_GENDER]);
    g->user_occupation = (const int32_t *) (b + l->offset[RG_SEC_USER_OCC]);
    g->user_zip_off = (const int64_t *) (b + l->offset[RG_SEC_USER_ZIP_OFF]);
    g->user_zips = (const char *) (b + l->offset[RG_SEC_USER_ZIPS]);
}

#define RG_I_P1 UINT64_C(0x9E3779B185EBCA87)
#define RG_I_P2 UINT64_C(0xC2B2AE3D27D4EB4F)
#define RG_I_P3 UINT64_C(0x165667B19E3779F9)

static inline uint64_t rg_i_rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
static inline uint64_t rg_i_round(uint64_t acc, uint64_t w) {
    return rg_i_rotl(acc + w * RG_I_P2, 31) * RG_I_P1;
}

uint64_t rg_i_hash(uint64_t h, const void *data, size_t n) {
    const unsigned char *p = data;
    /* four lanes so consecutive words do not wait on each other's multiply */
    uint64_t a0 = h + RG_I_P1 + RG_I_P2, a1 = h + RG_I_P2, a2 = h, a3 = h - RG_I_P1;
    size_t i = 0;
    for (; i + 32 <= n; i += 32) {
        uint64_t w[4];
        memcpy(w, p + i, sizeof w);
        a0 = rg_i_round(a0, w[0]);
        a1 = rg_i_round(a1, w[1]);
        a2 = rg_i_round(a2, w[2]);
        a3 = rg_i_round(a3, w[3]);
    }
    uint64_t r = rg_i_rotl(a0, 1) + rg_i_rotl(a1, 7) + rg_i_rotl(a2, 12) + rg_i_rotl(a3, 18);
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, p + i, sizeof w);
        r = rg_i_rotl(r ^ rg_i_round(0, w), 27) * RG_I_P1 + RG_I_P3;
    }
    if (i < n) {
        uint64_t w = 0;
        memcpy(&w, p + i, n - i);
        r = rg_i_rotl(r ^ rg_i_round(0, w ^ (uint64_t) (n - i)), 27) * RG_I_P1 + RG_I_P3;
    }
    r ^= (uint64_t) n;
    r ^= r >> 33;
    r *= RG_I_P2;
    r ^= r >> 29;
    r *= RG_I_P3;
    r ^= r >> 32;
    return r;
}

int32_t rg_i_graph_edge_user(const rg_graph_t *g, int64_t e) {
    int64_t lo = 0, hi = g->n_users; /* user_ptr[lo] <= e < user_ptr[hi] */
    while (hi - lo > 1) {
        int64_t mid = lo + (hi - lo) / 2;
        if (g->user_ptr[mid] <= e) {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    return (int32_t) lo;
}

uint64_t rg_i_graph_fingerprint(const rg_graph_t *g) {
    int64_t sizes[3] = {g->n_users, g->n_movies, g->n_ratings};
    size_t U = (size_t) g->n_users, M = (size_t) g->n_movies, E = (size_t) g->n_ratings;
    uint64_t h = rg_i_hash(0, sizes, sizeof sizes);
    h = rg_i_hash(h, g->user_ext, U * sizeof *g->user_ext);
    h = rg_i_hash(h, g->movie_ext, M * sizeof *g->movie_ext);
    h = rg_i_hash(h, g->user_ptr, (U + 1) * sizeof *g->user_ptr);
    h = rg_i_hash(h, g->user_adj, E * sizeof *g->user_adj);
    h = rg_i_hash(h, g->rating, E * sizeof *g->rating);
    h = rg_i_hash(h, g->ts, E * sizeof *g->ts);
    return h;
}

/* ---- dataset ids -> dense ids ---- */

/* Distinct ids of one side, ascending.  Small non-negative id ranges (every MovieLens release)
 * use a direct table: O(E + span).  Anything else sorts the ids: O(E log E) and a binary search
 * per lookup. */
typedef struct {
    int64_t n;      /* distinct ids */
    int64_t *ext;   /* (n) ascending */
    int64_t lo;     /* direct table: index = id - lo */
    int64_t span;
    int32_t *table; /* (span) dense id or -1; NULL when ext is searched */
} rg_i_idmap_t;

static void rg_i_idmap_free(rg_i_idmap_t *m) {
    free(m->ext);
    free(m->table);
    memset(m, 0, sizeof *m);
}

static inline int64_t rg_i_meta_id(const rg_dataset_t *d, int side, int64_t i) {
    return side ? d->movies[i].id : d->users[i].id;
}

static int rg_i_cmp_i64(const void *a, const void *b) {
    int64_t x = *(const int64_t *) a, y = *(const int64_t *) b;
    return (x > y) - (x < y);
}

static inline int32_t rg_i_idmap_get(const rg_i_idmap_t *m, int64_t id) {
    if (m->table) {
        uint64_t k = (uint64_t) (id - m->lo);
        return k < (uint64_t) m->span ? m->table[k] : -1;
    }
    int64_t lo = 0, hi = m->n;
    while (lo < hi) {
        int64_t mid = lo + (hi - lo) / 2;
        if (m->ext[mid] < id) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return lo < m->n && m->ext[lo] == id ? (int32_t) lo : -1;
}

/* Both id maps (side 0 users, 1 movies) from the id ranges of the ratings (lo/hi, already
 * scanned) and the metadata.  Direct tables are marked in one pass over the ratings. */
static rg_error_t rg_i_idmaps_build(rg_i_idmap_t maps[2], const rg_dataset_t *d,
                                    const int64_t rlo[2], const int64_t rhi[2]) {
    rg_error_t rc = RG_SUCCESS;
    memset(maps, 0, 2 * sizeof *maps);
    for (int side = 0; side < 2; side++) {
        rg_i_idmap_t *m = &maps[side];
        const char *what = side ? "movie" : "user";
        int64_t n_meta = side ? d->n_movies : d->n_users, total = d->n_ratings + n_meta;
        int64_t lo = rlo[side], hi = rhi[side];
        for (int64_t i = 0; i < n_meta; i++) {
            int64_t v = rg_i_meta_id(d, side, i);
            lo = v < lo ? v : lo;
            hi = v > hi ? v : hi;
        }
        if (total == 0) {
            continue;
        }
        int64_t budget = total * 8 > (INT64_C(1) << 22) ? total * 8 : (INT64_C(1) << 22);
        if (lo >= 0 && hi - lo < budget && hi - lo < INT32_MAX) {
            m->lo = lo;
            m->span = hi - lo + 1;
            m->table = rg_malloc((size_t) m->span * sizeof *m->table);
            if (!m->table) {
                RG_FAIL(RG_ENOMEM, "cannot allocate the %s id table (%lld entries)", what,
                        (long long) m->span);
            }
            memset(m->table, 0xff, (size_t) m->span * sizeof *m->table);
            for (int64_t i = 0; i < n_meta; i++) {
                m->table[rg_i_meta_id(d, side, i) - lo] = 0;
            }
        } else {
            m->ext = rg_malloc((size_t) total * sizeof *m->ext);
            if (!m->ext) {
                RG_FAIL(RG_ENOMEM, "cannot allocate %lld %s ids", (long long) total, what);
            }
            for (int64_t i = 0; i < d->n_ratings; i++) {
                m->ext[i] = side ? d->ratings[i].movie : d->ratings[i].user;
            }
            for (int64_t i = 0; i < n_meta; i++) {
                m->ext[d->n_ratings + i] = rg_i_meta_id(d, side, i);
            }
            qsort(m->ext, (size_t) total, sizeof *m->ext, rg_i_cmp_i64);
            int64_t n = 0;
            for (int64_t i = 0; i < total; i++) {
                if (n == 0 || m->ext[n - 1] != m->ext[i]) {
                    m->ext[n++] = m->ext[i];
                }
            }
            if (n > INT32_MAX) {
                RG_FAIL(RG_ERANGE, "too many distinct %s ids (%lld)", what, (long long) n);
            }
            m->n = n;
        }
    }
    /* mark the rated ids of the direct tables in one pass */
    int32_t *ut = maps[0].table, *mt = maps[1].table;
    const int64_t ulo = maps[0].lo, mlo = maps[1].lo;
    if (ut && mt) {
        for (int64_t i = 0; i < d->n_ratings; i++) {
            ut[d->ratings[i].user - ulo] = 0;
            mt[d->ratings[i].movie - mlo] = 0;
        }
    } else if (ut || mt) {
        for (int64_t i = 0; i < d->n_ratings; i++) {
            if (ut) {
                ut[d->ratings[i].user - ulo] = 0;
            } else {
                mt[d->ratings[i].movie - mlo] = 0;
            }
        }
    }
    /* dense ids of the direct tables in ascending id order */
    for (int side = 0; side < 2; side++) {
        rg_i_idmap_t *m = &maps[side];
        if (!m->table) {
            continue;
        }
        int64_t n = 0;
        for (int64_t k = 0; k < m->span; k++) {
            n += m->table[k] == 0;
        }
        if (n > INT32_MAX) {
            RG_FAIL(RG_ERANGE, "too many distinct %s ids (%lld)", side ? "movie" : "user",
                    (long long) n);
        }
        m->ext = rg_malloc((size_t) (n ? n : 1) * sizeof *m->ext);
        if (!m->ext) {
            RG_FAIL(RG_ENOMEM, "cannot allocate %lld ids", (long long) n);
        }
        n = 0;
        for (int64_t k = 0; k < m->span; k++) {
            if (m->table[k] == 0) {
                m->ext[n] = m->lo + k;
                m->table[k] = (int32_t) n++;
            }
        }
        m->n = n;
    }
cleanup:
    if (rc != RG_SUCCESS) {
        rg_i_idmap_free(&maps[0]);
        rg_i_idmap_free(&maps[1]);
    }
    return rc;
}

/* ---- build ---- */

/* Sorts n keys ascending: insertion sort for short runs, quicksort (median of three) above,
 * heapsort when the recursion gets too deep, so crafted input cannot make it quadratic. */
static void rg_i_heapsort_u64(uint64_t *a, int64_t n) {
    for (int64_t start = n / 2 - 1, end = n;;) {
        int64_t root;
        if (start >= 0) {
            root = start--;
        } else {
            if (--end <= 0) {
                return;
            }
            uint64_t t = a[0];
            a[0] = a[end];
            a[end] = t;
            root = 0;
        }
        for (int64_t child; (child = 2 * root + 1) < end; root = child) {
            if (child + 1 < end && a[child + 1] > a[child]) {
                child++;
            }
            if (a[root] >= a[child]) {
                break;
            }
            uint64_t t = a[root];
            a[root] = a[child];
            a[child] = t;
        }
    }
}

static void rg_i_sort_u64_depth(uint64_t *a, int64_t n, int depth) {
    while (n > 16) {
        if (depth-- == 0) {
            rg_i_heapsort_u64(a, n);
            return;
        }
        uint64_t x = a[0], y = a[n / 2], z = a[n - 1];
        uint64_t pivot = x < y ? (y < z ? y : (x < z ? z : x)) : (x < z ? x : (y < z ? z : y));
        int64_t i = 0, j = n - 1;
        for (;;) {
            while (a[i] < pivot) {
                i++;
            }
            while (a[j] > pivot) {
                j--;
            }
            if (i >= j) {
                break;
            }
            uint64_t t = a[i];
            a[i] = a[j];
            a[j] = t;
            i++;
            j--;
        }
        /* [0, j] <= pivot <= [j+1, n): recurse into the smaller side, loop on the larger */
        if (j + 1 < n - j - 1) {
            rg_i_sort_u64_depth(a, j + 1, depth);
            a += j + 1;
            n -= j + 1;
        } else {
            rg_i_sort_u64_depth(a + j + 1, n - j - 1, depth);
            n = j + 1;
        }
    }
    for (int64_t i = 1; i < n; i++) {
        uint64_t v = a[i];
        int64_t k = i;
        for (; k > 0 && a[k - 1] > v; k--) {
            a[k] = a[k - 1];
        }
        a[k] = v;
    }
}

static void rg_i_sort_u64(uint64_t *a, int64_t n) {
    int depth = 0;
    for (int64_t k = n; k > 1; k >>= 1) {
        depth += 2;
    }
    rg_i_sort_u64_depth(a, n, depth);
}


static void rg_i_copy_scalars(rg_graph_t *g, const char *name, float rmin, float rmax,
                              int n_genres, const char (*genres)[RG_NAME_MAX], int n_occ,
                              const char (*occ)[RG_NAME_MAX]) {
    snprintf(g->name, sizeof g->name, "%s", name);
    g->rating_min = rmin;
    g->rating_max = rmax;
    g->n_genres = n_genres;
    memcpy(g->genre_names, genres, sizeof g->genre_names);
    g->n_occupations = n_occ;
    memcpy(g->occupation_names, occ, sizeof g->occupation_names);
}

rg_error_t rg_graph_build(rg_graph_t *g, const rg_dataset_t *d, rg_build_stats_t *stats) {
    rg_error_t rc = RG_SUCCESS;
    rg_i_idmap_t maps[2];
    uint64_t *keys = NULL;
    int64_t *cnt = NULL, *uptr = NULL, *movie_meta = NULL, *user_meta = NULL;
    rg_build_stats_t st = {0, 0, 0};
    memset(g, 0, sizeof *g);
    memset(maps, 0, sizeof maps);
    const rg_i_idmap_t *um = &maps[0], *mm = &maps[1];
    const int64_t E0 = d->n_ratings;

    if (E0 < 0 || (uint64_t) E0 >= UINT32_MAX) {
        RG_FAIL(RG_ERANGE, "too many ratings to build a graph (%lld)", (long long) E0);
    }
    if (d->n_genres < 0 || d->n_genres > RG_MAX_GENRES || d->n_occupations < 0 ||
        d->n_occupations > RG_MAX_OCCUPATIONS) {
        RG_FAIL(RG_EINVAL, "dataset has %d genres / %d occupations (limits %d / %d)",
                d->n_genres, d->n_occupations, RG_MAX_GENRES, RG_MAX_OCCUPATIONS);
    }

    /* one pass over the ratings: id ranges of both sides and the observed rating range */
    int64_t lo[2] = {INT64_MAX, INT64_MAX}, hi[2] = {INT64_MIN, INT64_MIN};
    float obs_min = INFINITY, obs_max = -INFINITY;
    int bad_rating = 0;
    for (int64_t i = 0; i < E0; i++) {
        const rg_rating_t *r = &d->ratings[i];
        lo[0] = r->user < lo[0] ? r->user : lo[0];
        hi[0] = r->user > hi[0] ? r->user : hi[0];
        lo[1] = r->movie < lo[1] ? r->movie : lo[1];
        hi[1] = r->movie > hi[1] ? r->movie : hi[1];
        obs_min = r->rating < obs_min ? r->rating : obs_min;
        obs_max = r->rating > obs_max ? r->rating : obs_max;
        bad_rating |= r->rating != r->rating; /* NaN */
    }
    /* the rating scale: the dataset's, or the observed range when it declares none */
    float rmin = d->rating_min, rmax = d->rating_max;
    if (rmin == 0.0f && rmax == 0.0f && E0 > 0) {
        rmin = obs_min;
        rmax = obs_max;
    }
    if (!(rmin <= rmax) || !isfinite(rmin) || !isfinite(rmax)) {
        RG_FAIL(RG_EINVAL, "bad rating scale [%g, %g]", (double) rmin, (double) rmax);
    }
    if (bad_rating || obs_min < rmin || obs_max > rmax) {
        for (int64_t i = 0; i < E0; i++) {
            float r = d->ratings[i].rating;
            if (!(r >= rmin && r <= rmax)) {
                RG_FAIL(RG_ERANGE, "rating %g of user %lld for movie %lld (rating %lld) is "
                        "outside the scale [%g, %g]", (double) r,
                        (long long) d->ratings[i].user, (long long) d->ratings[i].movie,
                        (long long) i + 1, (double) rmin, (double) rmax);
            }
        }
    }

    RG_TRY(rg_i_idmaps_build(maps, d, lo, hi));
    const int64_t U = um->n, M = mm->n;

    /* which metadata row describes each node; a repeated id is an error */
    movie_meta = rg_malloc((size_t) (M + 1) * sizeof *movie_meta);
    user_meta = rg_malloc((size_t) (U + 1) * sizeof *user_meta);
    cnt = rg_calloc((size_t) ((U > M ? U : M) + 1), sizeof *cnt);
    uptr = rg_calloc((size_t) (U + 1), sizeof *uptr);
    if (!movie_meta || !user_meta || !cnt || !uptr) {
        RG_FAIL(RG_ENOMEM, "cannot allocate node tables for %lld users and %lld movies",
                (long long) U, (long long) M);
    }
    memset(movie_meta, 0xff, (size_t) (M + 1) * sizeof *movie_meta);
    memset(user_meta, 0xff, (size_t) (U + 1) * sizeof *user_meta);
    for (int64_t i = 0; i < d->n_movies; i++) {
        int32_t m = rg_i_idmap_get(mm, d->movies[i].id);
        if (movie_meta[m] >= 0) {
            RG_FAIL(RG_EFORMAT, "movie id %lld appears twice in the movie metadata",
                    (long long) d->movies[i].id);
        }
        movie_meta[m] = i;
    }
    for (int64_t i = 0; i < d->n_users; i++) {
        int32_t u = rg_i_idmap_get(um, d->users[i].id);
        if (user_meta[u] >= 0) {
            RG_FAIL(RG_EFORMAT, "user id %lld appears twice in the user metadata",
                    (long long) d->users[i].id);
        }
        user_meta[u] = i;
    }

    /* counting sort by user (stable): key = movie << 32 | row.  Input grouped by user (every
     * MovieLens file) makes this scatter sequential.  Ids are looked up twice rather than
     * stored: the lookups are cheap and fresh memory is not (page faults dominate here). */
    keys = rg_malloc((size_t) (E0 ? E0 : 1) * sizeof *keys);
    if (!keys) {
        RG_FAIL(RG_ENOMEM, "cannot allocate build arrays for %lld ratings", (long long) E0);
    }
    for (int64_t i = 0; i < E0; i++) {
        cnt[rg_i_idmap_get(um, d->ratings[i].user)]++;
    }
    for (int64_t u = 0, s = 0; u < U; u++) {
        int64_t c = cnt[u];
        cnt[u] = s;
        s += c;
    }
    for (int64_t i = 0; i < E0; i++) {
        int32_t u = rg_i_idmap_get(um, d->ratings[i].user);
        int32_t m = rg_i_idmap_get(mm, d->ratings[i].movie);
        keys[cnt[u]++] = (uint64_t) (uint32_t) m << 32 | (uint64_t) i;
    }

    /* per user: sort by (movie, row) in cache, then keep one rating per movie, the latest by
     * timestamp (the later row on a tie), compacting keys in place; cnt[u] ends user u */
    int64_t E = 0;
    for (int64_t u = 0, s = 0; u < U; u++) {
        int64_t e = cnt[u];
        rg_i_sort_u64(keys + s, e - s);
        for (int64_t i = s; i < e;) {
            uint64_t best = keys[i];
            int64_t j = i + 1;
            for (; j < e && (keys[j] >> 32) == (best >> 32); j++) {
                if (d->ratings[keys[j] & 0xffffffffu].ts >= d->ratings[best & 0xffffffffu].ts) {
                    best = keys[j];
                }
            }
            st.n_duplicates += j - i - 1;
            keys[E++] = best;
            i = j;
        }
        uptr[u + 1] = E;
        s = e;
    }

    /* node feature sizes */
    int64_t title_bytes = 0, zip_bytes = 0;
    for (int64_t m = 0; m < M; m++) {
        const char *t = movie_meta[m] >= 0 ? d->movies[movie_meta[m]].title : NULL;
        title_bytes += (t ? (int64_t) strlen(t) : 0) + 1;
    }
    for (int64_t u = 0; u < U; u++) {
        zip_bytes += (user_meta[u] >= 0 ? (int64_t) strnlen(d->users[user_meta[u]].zip, 15) : 0) + 1;
    }

    rg_i_layout_t l;
    RG_TRY(rg_i_layout_compute(&l, U, M, E, title_bytes, zip_bytes));
    g->mem = rg_calloc(1, (size_t) l.total); /* zeroed: padding is deterministic on disk */
    if (!g->mem) {
        RG_FAIL(RG_ENOMEM, "cannot allocate the graph block (%llu bytes)",
                (unsigned long long) l.total);
    }
    g->mem_size = (size_t) l.total;
    rg_i_layout_point(g, &l, g->mem);
    int64_t *user_ptr = (int64_t *) g->user_ptr, *movie_ptr = (int64_t *) g->movie_ptr;
    int32_t *user_adj = (int32_t *) g->user_adj, *movie_adj = (int32_t *) g->movie_adj;
    float *rating = (float *) g->rating;
    int64_t *ts = (int64_t *) g->ts, *movie_eid = (int64_t *) g->movie_eid;

    memcpy(user_ptr, uptr, (size_t) (U + 1) * sizeof *uptr);
    for (int64_t e = 0; e < E; e++) {
        const rg_rating_t *r = &d->ratings[keys[e] & 0xffffffffu];
        user_adj[e] = (int32_t) (keys[e] >> 32);
        rating[e] = r->rating;
        ts[e] = r->ts;
    }
    free(keys);
    keys = NULL;

    /* movie-major direction: scattering edges in user order keeps each movie's users sorted */
    for (int64_t e = 0; e < E; e++) {
        movie_ptr[user_adj[e] + 1]++;
    }
    for (int64_t m = 0; m < M; m++) {
        movie_ptr[m + 1] += movie_ptr[m];
        cnt[m] = movie_ptr[m];
    }
    for (int64_t u = 0; u < U; u++) {
        for (int64_t e = user_ptr[u]; e < user_ptr[u + 1]; e++) {
            int64_t pos = cnt[user_adj[e]]++;
            movie_adj[pos] = (int32_t) u;
            movie_eid[pos] = e;
        }
    }

    /* ids and node features */
    if (U > 0) {
        memcpy((int64_t *) g->user_ext, um->ext, (size_t) U * sizeof *um->ext);
    }
    if (M > 0) {
        memcpy((int64_t *) g->movie_ext, mm->ext, (size_t) M * sizeof *mm->ext);
    }
    uint32_t *genres = (uint32_t *) g->movie_genres;
    int32_t *year = (int32_t *) g->movie_year;
    int64_t *title_off = (int64_t *) g->movie_title_off;
    char *titles = (char *) g->movie_titles;
    int64_t off = 0;
    for (int64_t m = 0; m < M; m++) {
        title_off[m] = off;
        if (movie_meta[m] >= 0) {
            const rg_movie_meta_t *mt = &d->movies[movie_meta[m]];
            size_t n = mt->title ? strlen(mt->title) : 0;
            memcpy(titles + off, mt->title ? mt->title : "", n);
            off += (int64_t) n;
            genres[m] = mt->genres;
            year[m] = mt->year;
            if (movie_ptr[m + 1] == movie_ptr[m]) {
                st.n_movies_unrated++;
            }
        } else {
            st.n_movies_no_meta++;
        }
        titles[off++] = '\0';
    }
    title_off[M] = off;

    int32_t *age = (int32_t *) g->user_age, *occ = (int32_t *) g->user_occupation;
    uint8_t *gender = (uint8_t *) g->user_gender;
    int64_t *zip_off = (int64_t *) g->user_zip_off;
    char *zips = (char *) g->user_zips;
    off = 0;
    for (int64_t u = 0; u < U; u++) {
        zip_off[u] = off;
        age[u] = -1;
        occ[u] = -1;
        if (user_meta[u] >= 0) {
            const rg_user_meta_t *ud = &d->users[user_meta[u]];
            size_t n = strnlen(ud->zip, 15);
            memcpy(zips + off, ud->zip, n);
            off += (int64_t) n;
            age[u] = ud->age;
            gender[u] = ud->gender;
            occ[u] = ud->occupation;
        }
        zips[off++] = '\0';
    }
    zip_off[U] = off;
    g->has_demographics = d->n_users > 0;

    rg_i_copy_scalars(g, d->name, rmin, rmax, d->n_genres,
                      (const char (*)[RG_NAME_MAX]) d->genre_names, d->n_occupations,
                      (const char (*)[RG_NAME_MAX]) d->occupation_names);
    g->fingerprint = rg_i_graph_fingerprint(g);
    if (stats) {
        *stats = st;
    }

cleanup:
    rg_i_idmap_free(&maps[0]);
    rg_i_idmap_free(&maps[1]);
    free(keys);
    free(cnt);
    free(uptr);
    free(movie_meta);
    free(user_meta);
    if (rc != RG_SUCCESS) {
        rg_graph_free(g);
    }
    return rc;
}

/* ---- filter ---- */

rg_error_t rg_graph_filter(rg_graph_t *out, const rg_graph_t *g, const uint8_t *keep,
                           int64_t *old_eid) {
    rg_error_t rc = RG_SUCCESS;
    int64_t *next = NULL;
    rg_i_layout_t lg, lo;
    memset(out, 0, sizeof *out);
    const int64_t U = g->n_users, M = g->n_movies;
    int64_t E = 0;
    for (int64_t e = 0; e < g->n_ratings; e++) {
        E += keep[e] != 0;
    }
    int64_t title_bytes = g->movie_title_off[M], zip_bytes = g->user_zip_off[U];
    RG_TRY(rg_i_layout_compute(&lg, U, M, g->n_ratings, title_bytes, zip_bytes));
    RG_TRY(rg_i_layout_compute(&lo, U, M, E, title_bytes, zip_bytes));
    next = rg_malloc((size_t) (M + 1) * sizeof *next);
    out->mem = rg_calloc(1, (size_t) lo.total);
    if (!next || !out->mem) {
        RG_FAIL(RG_ENOMEM, "cannot allocate the filtered graph (%llu bytes)",
                (unsigned long long) lo.total);
    }
    out->mem_size = (size_t) lo.total;
    rg_i_layout_point(out, &lo, out->mem);

    /* node sections are identical in size: copy them whole */
    static const int node_secs[] = {RG_SEC_USER_EXT, RG_SEC_MOVIE_EXT, RG_SEC_MOVIE_GENRES,
                                    RG_SEC_MOVIE_YEAR, RG_SEC_MOVIE_TITLE_OFF,
                                    RG_SEC_MOVIE_TITLES, RG_SEC_USER_AGE, RG_SEC_USER_GENDER,
                                    RG_SEC_USER_OCC, RG_SEC_USER_ZIP_OFF, RG_SEC_USER_ZIPS};
    const char *src = (const char *) g->user_ptr - lg.offset[RG_SEC_USER_PTR];
    for (size_t k = 0; k < sizeof node_secs / sizeof node_secs[0]; k++) {
        int s = node_secs[k];
        memcpy((char *) out->mem + lo.offset[s], src + lg.offset[s], (size_t) lg.size[s]);
    }

    int64_t *user_ptr = (int64_t *) out->user_ptr, *movie_ptr = (int64_t *) out->movie_ptr;
    int32_t *user_adj = (int32_t *) out->user_adj, *movie_adj = (int32_t *) out->movie_adj;
    float *rating = (float *) out->rating;
    int64_t *ts = (int64_t *) out->ts, *movie_eid = (int64_t *) out->movie_eid;
    int64_t k = 0;
    for (int64_t u = 0; u < U; u++) {
        for (int64_t e = g->user_ptr[u]; e < g->user_ptr[u + 1]; e++) {
            if (keep[e]) {
                user_adj[k] = g->user_adj[e];
                rating[k] = g->rating[e];
                ts[k] = g->ts[e];
                if (old_eid) {
                    old_eid[k] = e;
                }
                movie_ptr[g->user_adj[e] + 1]++;
                k++;
            }
        }
        user_ptr[u + 1] = k;
    }
    for (int64_t m = 0; m < M; m++) {
        movie_ptr[m + 1] += movie_ptr[m];
        next[m] = movie_ptr[m];
    }
    for (int64_t u = 0; u < U; u++) {
        for (int64_t e = user_ptr[u]; e < user_ptr[u + 1]; e++) {
            int64_t pos = next[user_adj[e]]++;
            movie_adj[pos] = (int32_t) u;
            movie_eid[pos] = e;
        }
    }
    rg_i_copy_scalars(out, g->name, g->rating_min, g->rating_max, g->n_genres, g->genre_names,
                      g->n_occupations, g->occupation_names);
    out->has_demographics = g->has_demographics;
    out->fingerprint = rg_i_graph_fingerprint(out);

cleanup:
    free(next);
    if (rc != RG_SUCCESS) {
        rg_graph_free(out);
    }
    return rc;
}

void rg_graph_free(rg_graph_t *g) {
    if (g->mem_mapped) {
        if (g->map_base) {
            munmap(g->map_base, g->map_size);
        }
    } else {
        free(g->mem);
    }
    memset(g, 0, sizeof *g);
}

/* ---- lookups ---- */

static int64_t rg_i_search(const int64_t *a, int64_t n, int64_t key) {
    int64_t lo = 0, hi = n;
    while (lo < hi) {
        int64_t mid = lo + (hi - lo) / 2;
        if (a[mid] < key) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return lo < n && a[lo] == key ? lo : -1;
}

int32_t rg_graph_user_index(const rg_graph_t *g, int64_t ext_id) {
    return (int32_t) rg_i_search(g->user_ext, g->n_users, ext_id);
}

int32_t rg_graph_movie_index(const rg_graph_t *g, int64_t ext_id) {
    return (int32_t) rg_i_search(g->movie_ext, g->n_movies, ext_id);
}

int64_t rg_graph_edge(const rg_graph_t *g, int32_t u, int32_t m) {
    if (u < 0 || u >= g->n_users) {
        return -1;
    }
    int64_t lo = g->user_ptr[u], hi = g->user_ptr[u + 1];
    while (lo < hi) {
        int64_t mid = lo + (hi - lo) / 2;
        if (g->user_adj[mid] < m) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return lo < g->user_ptr[u + 1] && g->user_adj[lo] == m ? lo : -1;
}

/* ---- statistics ---- */

/* k-th smallest (0-based) of the n degrees ptr[i+1]-ptr[i], found by bisection on the value so
 * no memory is needed: O(n log max_degree). */
static int64_t rg_i_degree_kth(const int64_t *ptr, int64_t n, int64_t k, int64_t lo, int64_t hi) {
    while (lo < hi) {
        int64_t mid = lo + (hi - lo) / 2, c = 0;
        for (int64_t i = 0; i < n; i++) {
            c += ptr[i + 1] - ptr[i] <= mid;
        }
        if (c > k) {
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }
    return lo;
}

static void rg_i_degree_stats(const int64_t *ptr, int64_t n, rg_degree_stats_t *out) {
    memset(out, 0, sizeof *out);
    if (n <= 0) {
        return;
    }
    out->min = INT64_MAX;
    for (int64_t i = 0; i < n; i++) {
        int64_t deg = ptr[i + 1] - ptr[i];
        out->min = deg < out->min ? deg : out->min;
        out->max = deg > out->max ? deg : out->max;
        out->n_zero += deg == 0;
    }
    out->mean = (double) (ptr[n] - ptr[0]) / (double) n;
    int64_t a = rg_i_degree_kth(ptr, n, (n - 1) / 2, out->min, out->max);
    int64_t b = n % 2 ? a : rg_i_degree_kth(ptr, n, n / 2, out->min, out->max);
    out->median = 0.5 * ((double) a + (double) b);
}

void rg_graph_user_degree_stats(const rg_graph_t *g, rg_degree_stats_t *out) {
    rg_i_degree_stats(g->user_ptr, g->n_users, out);
}

void rg_graph_movie_degree_stats(const rg_graph_t *g, rg_degree_stats_t *out) {
    rg_i_degree_stats(g->movie_ptr, g->n_movies, out);
}

int rg_graph_rating_histogram(const rg_graph_t *g, int64_t counts[64]) {
    memset(counts, 0, 64 * sizeof *counts);
    double span = 2.0 * ((double) g->rating_max - (double) g->rating_min);
    int n_bins = span >= 63.0 ? 64 : (int) lround(span) + 1;
    for (int64_t e = 0; e < g->n_ratings; e++) {
        long b = lround(2.0 * ((double) g->rating[e] - (double) g->rating_min));
        b = b < 0 ? 0 : (b >= n_bins ? n_bins - 1 : b);
        counts[b]++;
    }
    return n_bins;
}

void rg_graph_genre_counts(const rg_graph_t *g, int64_t counts[RG_MAX_GENRES]) {
    memset(counts, 0, RG_MAX_GENRES * sizeof *counts);
    for (int64_t m = 0; m < g->n_movies; m++) {
        uint32_t bits = g->movie_genres[m];
        for (int k = 0; k < RG_MAX_GENRES; k++) {
            counts[k] += (bits >> k) & 1u;
        }
    }
}

double rg_graph_mean_rating(const rg_graph_t *g) {
    if (g->n_ratings == 0) {
        return 0.0;
    }
    double s = 0.0;
    for (int64_t e = 0; e < g->n_ratings; e++) {
        s += g->rating[e];
    }
    return s / (double) g->n_ratings;
}
