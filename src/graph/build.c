/* build.c: the bipartite CSR store (graph.h): the block layout shared with snapshots, the O(E)
 * build from a dataset (two stable counting sorts, by movie then by user), edge filtering, lookups
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

static inline int64_t rg_i_row_id(const rg_dataset_t *d, int side, int64_t i) {
    return side ? d->ratings[i].movie : d->ratings[i].user;
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

static rg_error_t rg_i_idmap_build(rg_i_idmap_t *m, const rg_dataset_t *d, int side) {
    rg_error_t rc = RG_SUCCESS;
    const char *what = side ? "movie" : "user";
    int64_t n_meta = side ? d->n_movies : d->n_users;
    int64_t total = d->n_ratings + n_meta;
    memset(m, 0, sizeof *m);
    if (total == 0) {
        return RG_SUCCESS;
    }
    int64_t lo = INT64_MAX, hi = INT64_MIN;
    for (int64_t i = 0; i < d->n_ratings; i++) {
        int64_t v = rg_i_row_id(d, side, i);
        lo = v < lo ? v : lo;
        hi = v > hi ? v : hi;
    }
    for (int64_t i = 0; i < n_meta; i++) {
        int64_t v = rg_i_meta_id(d, side, i);
        lo = v < lo ? v : lo;
        hi = v > hi ? v : hi;
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
        for (int64_t i = 0; i < d->n_ratings; i++) {
            m->table[rg_i_row_id(d, side, i) - lo] = 0;
        }
        for (int64_t i = 0; i < n_meta; i++) {
            m->table[rg_i_meta_id(d, side, i) - lo] = 0;
        }
        int64_t n = 0;
        for (int64_t k = 0; k < m->span; k++) {
            n += m->table[k] == 0;
        }
        if (n > INT32_MAX) {
            RG_FAIL(RG_ERANGE, "too many distinct %s ids (%lld)", what, (long long) n);
        }
        m->ext = rg_malloc((size_t) (n ? n : 1) * sizeof *m->ext);
        if (!m->ext) {
            RG_FAIL(RG_ENOMEM, "cannot allocate %lld %s ids", (long long) n, what);
        }
        n = 0;
        for (int64_t k = 0; k < m->span; k++) {
            if (m->table[k] == 0) {
                m->ext[n] = lo + k;
                m->table[k] = (int32_t) n++;
            }
        }
        m->n = n;
    } else {
        m->ext = rg_malloc((size_t) total * sizeof *m->ext);
        if (!m->ext) {
            RG_FAIL(RG_ENOMEM, "cannot allocate %lld %s ids", (long long) total, what);
        }
        for (int64_t i = 0; i < d->n_ratings; i++) {
            m->ext[i] = rg_i_row_id(d, side, i);
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
cleanup:
    if (rc != RG_SUCCESS) {
        rg_i_idmap_free(m);
    }
    return rc;
}

/* ---- build ---- */

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
    rg_i_idmap_t um, mm;
    int32_t *row_u = NULL, *row_m = NULL;
    uint32_t *by_movie = NULL, *by_user = NULL;
    int64_t *cnt = NULL, *uptr = NULL, *movie_meta = NULL, *user_meta = NULL;
    rg_build_stats_t st = {0, 0, 0};
    memset(g, 0, sizeof *g);
    memset(&um, 0, sizeof um);
    memset(&mm, 0, sizeof mm);
    const int64_t E0 = d->n_ratings;

    if (E0 < 0 || (uint64_t) E0 >= UINT32_MAX) {
        RG_FAIL(RG_ERANGE, "too many ratings to build a graph (%lld)", (long long) E0);
    }
    if (d->n_genres < 0 || d->n_genres > RG_MAX_GENRES || d->n_occupations < 0 ||
        d->n_occupations > RG_MAX_OCCUPATIONS) {
        RG_FAIL(RG_EINVAL, "dataset has %d genres / %d occupations (limits %d / %d)",
                d->n_genres, d->n_occupations, RG_MAX_GENRES, RG_MAX_OCCUPATIONS);
    }

    /* the rating scale: the dataset's, or the observed range when it declares none */
    float rmin = d->rating_min, rmax = d->rating_max;
    if (rmin == 0.0f && rmax == 0.0f && E0 > 0) {
        rmin = INFINITY;
        rmax = -INFINITY;
        for (int64_t i = 0; i < E0; i++) {
            float r = d->ratings[i].rating;
            rmin = r < rmin ? r : rmin;
            rmax = r > rmax ? r : rmax;
        }
    }
    if (!(rmin <= rmax) || !isfinite(rmin) || !isfinite(rmax)) {
        RG_FAIL(RG_EINVAL, "bad rating scale [%g, %g]", (double) rmin, (double) rmax);
    }
    for (int64_t i = 0; i < E0; i++) {
        float r = d->ratings[i].rating;
        if (!(r >= rmin && r <= rmax)) {
            RG_FAIL(RG_ERANGE, "rating %g of user %lld for movie %lld (rating %lld) is outside "
                    "the scale [%g, %g]", (double) r, (long long) d->ratings[i].user,
                    (long long) d->ratings[i].movie, (long long) i + 1, (double) rmin,
                    (double) rmax);
        }
    }

    RG_TRY(rg_i_idmap_build(&um, d, 0));
    RG_TRY(rg_i_idmap_build(&mm, d, 1));
    const int64_t U = um.n, M = mm.n;

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
        int32_t m = rg_i_idmap_get(&mm, d->movies[i].id);
        if (movie_meta[m] >= 0) {
            RG_FAIL(RG_EFORMAT, "movie id %lld appears twice in the movie metadata",
                    (long long) d->movies[i].id);
        }
        movie_meta[m] = i;
    }
    for (int64_t i = 0; i < d->n_users; i++) {
        int32_t u = rg_i_idmap_get(&um, d->users[i].id);
        if (user_meta[u] >= 0) {
            RG_FAIL(RG_EFORMAT, "user id %lld appears twice in the user metadata",
                    (long long) d->users[i].id);
        }
        user_meta[u] = i;
    }

    /* dense ids per rating row */
    row_u = rg_malloc((size_t) (E0 ? E0 : 1) * sizeof *row_u);
    row_m = rg_malloc((size_t) (E0 ? E0 : 1) * sizeof *row_m);
    by_movie = rg_malloc((size_t) (E0 ? E0 : 1) * sizeof *by_movie);
    if (!row_u || !row_m || !by_movie) {
        RG_FAIL(RG_ENOMEM, "cannot allocate build arrays for %lld ratings", (long long) E0);
    }
    for (int64_t i = 0; i < E0; i++) {
        row_u[i] = rg_i_idmap_get(&um, d->ratings[i].user);
        row_m[i] = rg_i_idmap_get(&mm, d->ratings[i].movie);
    }

    /* stable counting sort by movie, then by user: user-major, sorted by movie within a user,
     * equal (user, movie) pairs in input order */
    for (int64_t i = 0; i < E0; i++) {
        cnt[row_m[i]]++;
    }
    for (int64_t m = 0, s = 0; m < M; m++) {
        int64_t c = cnt[m];
        cnt[m] = s;
        s += c;
    }
    for (int64_t i = 0; i < E0; i++) {
        by_movie[cnt[row_m[i]]++] = (uint32_t) i;
    }
    memset(cnt, 0, (size_t) ((U > M ? U : M) + 1) * sizeof *cnt);
    for (int64_t i = 0; i < E0; i++) {
        cnt[row_u[i]]++;
    }
    for (int64_t u = 0, s = 0; u < U; u++) {
        int64_t c = cnt[u];
        cnt[u] = s;
        s += c;
    }
    by_user = rg_malloc((size_t) (E0 ? E0 : 1) * sizeof *by_user);
    if (!by_user) {
        RG_FAIL(RG_ENOMEM, "cannot allocate build arrays for %lld ratings", (long long) E0);
    }
    for (int64_t k = 0; k < E0; k++) {
        uint32_t row = by_movie[k];
        by_user[cnt[row_u[row]]++] = row;
    }
    free(by_movie);
    by_movie = NULL;
    free(row_u);
    row_u = NULL;

    /* duplicates are adjacent: keep the latest timestamp (the later row on a tie), compacting
     * by_user in place; cnt[u] is now the end of user u's rows */
    int64_t E = 0;
    for (int64_t u = 0, s = 0; u < U; u++) {
        int64_t e = cnt[u];
        for (int64_t i = s; i < e;) {
            uint32_t best = by_user[i];
            int64_t j = i + 1;
            while (j < e && row_m[by_user[j]] == row_m[best]) {
                if (d->ratings[by_user[j]].ts >= d->ratings[best].ts) {
                    best = by_user[j];
                }
                j++;
            }
            st.n_duplicates += j - i - 1;
            by_user[E++] = best;
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
        const rg_rating_t *r = &d->ratings[by_user[e]];
        user_adj[e] = row_m[by_user[e]];
        rating[e] = r->rating;
        ts[e] = r->ts;
    }
    free(by_user);
    by_user = NULL;
    free(row_m);
    row_m = NULL;

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
        memcpy((int64_t *) g->user_ext, um.ext, (size_t) U * sizeof *um.ext);
    }
    if (M > 0) {
        memcpy((int64_t *) g->movie_ext, mm.ext, (size_t) M * sizeof *mm.ext);
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
            const rg_user_meta_t *um_ = &d->users[user_meta[u]];
            size_t n = strnlen(um_->zip, 15);
            memcpy(zips + off, um_->zip, n);
            off += (int64_t) n;
            age[u] = um_->age;
            gender[u] = um_->gender;
            occ[u] = um_->occupation;
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
    rg_i_idmap_free(&um);
    rg_i_idmap_free(&mm);
    free(row_u);
    free(row_m);
    free(by_movie);
    free(by_user);
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
