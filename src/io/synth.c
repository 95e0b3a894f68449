/* synth.c: the synthetic MovieLens-format dataset (io.h).
 *
 * The generative story, chosen so the data looks like MovieLens and so models can learn:
 *   - movies: 1-3 genres from the ML-1M vocabulary (Drama and Comedy most common), a release
 *     year, a Zipf popularity (weight (rank + 20)^-1 over a random rank order), a quality bias
 *     and a rank-4 latent vector;
 *   - users: a Pareto-distributed number of ratings (>= 20 each, like MovieLens), 1-3 favourite
 *     genres, a taste per genre, a leniency bias and a latent vector;
 *   - each user picks distinct movies, half from their favourite genres and half from the
 *     whole catalogue, both by popularity (switching to uniform picks once a heavy user has
 *     exhausted the popular ones), and rates them round(3.45 + b_u + b_m + taste(u, genres(m)) +
 *     <p_u, q_m> + noise) clipped to 1..5, at increasing timestamps.
 * One generator stream, so the output is a function of the options alone.  Single-threaded;
 * 25M ratings take a few seconds, dominated by formatting and writing.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "reelgraph/io.h"
#include "reelgraph/rng.h"

enum { RG_SYN_K = 4, RG_SYN_NG = 18, RG_SYN_MAX_FAV = 3 };

static const char *const rg_syn_genres[RG_SYN_NG] = {
    "Action", "Adventure", "Animation", "Children's", "Comedy", "Crime", "Documentary", "Drama",
    "Fantasy", "Film-Noir", "Horror", "Musical", "Mystery", "Romance", "Sci-Fi", "Thriller",
    "War", "Western"};
/* relative genre frequencies, roughly ML-1M's */
static const double rg_syn_genre_w[RG_SYN_NG] = {5.0, 2.8, 1.0, 2.5, 12.0, 2.1, 1.3, 16.0, 0.7,
                                                 0.4, 3.4, 1.1, 1.1, 4.7, 2.8, 4.9, 1.4, 0.7};
static const int rg_syn_ages[7] = {1, 18, 25, 35, 45, 50, 56};

void rg_synth_opts_default(rg_synth_opts_t *o) {
    memset(o, 0, sizeof *o);
    o->n_users = 2000;
    o->n_movies = 1500;
    o->n_ratings = 100000;
    o->seed = 42;
    o->format = RG_FORMAT_ML1M;
}

/* ---- buffered output with hand-written integer formatting ---- */

typedef struct {
    FILE *f;
    const char *path;
    char *buf;
    size_t len, cap;
    int failed;
} rg_syn_out_t;

static void rg_syn_flush(rg_syn_out_t *w) {
    if (w->len && fwrite(w->buf, 1, w->len, w->f) != w->len) {
        w->failed = 1;
    }
    w->len = 0;
}

static inline void rg_syn_reserve(rg_syn_out_t *w, size_t n) {
    if (w->len + n > w->cap) {
        rg_syn_flush(w);
    }
}

static inline void rg_syn_str(rg_syn_out_t *w, const char *s) {
    size_t n = strlen(s);
    rg_syn_reserve(w, n);
    memcpy(w->buf + w->len, s, n);
    w->len += n;
}

static inline void rg_syn_int(rg_syn_out_t *w, int64_t v) {
    char tmp[24];
    int n = 0;
    uint64_t x = v < 0 ? (uint64_t) -v : (uint64_t) v;
    do {
        tmp[n++] = (char) ('0' + x % 10);
        x /= 10;
    } while (x);
    rg_syn_reserve(w, (size_t) n + 1);
    if (v < 0) {
        w->buf[w->len++] = '-';
    }
    while (n) {
        w->buf[w->len++] = tmp[--n];
    }
}

static rg_error_t rg_syn_open(rg_syn_out_t *w, char *buf, size_t cap, const char *dir,
                              const char *name, char *path, size_t path_size) {
    snprintf(path, path_size, "%s/%s", dir, name);
    w->path = path;
    w->buf = buf;
    w->cap = cap;
    w->len = 0;
    w->failed = 0;
    w->f = fopen(path, "wb");
    if (!w->f) {
        RG_ERROR(RG_EIO, "%s: cannot create: %s", path, strerror(errno));
    }
    return RG_SUCCESS;
}

static rg_error_t rg_syn_close(rg_syn_out_t *w) {
    rg_syn_flush(w);
    int bad = w->failed | (fclose(w->f) != 0);
    w->f = NULL;
    if (bad) {
        RG_ERROR(RG_EIO, "%s: write failed (disk full?)", w->path);
    }
    return RG_SUCCESS;
}

/* Index of the first cdf entry > x (cdf ascending, n > 0). */
static int64_t rg_syn_pick(const double *cdf, int64_t n, double x) {
    int64_t lo = 0, hi = n - 1;
    while (lo < hi) {
        int64_t mid = lo + (hi - lo) / 2;
        if (cdf[mid] <= x) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return lo;
}

/* The global popularity draw through a guide table (Chen's indexed search): guide[k] is the
 * first index whose cdf exceeds k / n of the total, so a draw scans O(1) entries on average
 * instead of a binary search over tens of thousands. */
static int64_t rg_syn_pick_guided(const double *cdf, const int64_t *guide, int64_t n, double u01) {
    double x = u01 * cdf[n - 1];
    int64_t k = (int64_t) (u01 * (double) n);
    int64_t i = guide[k < n ? k : n - 1];
    while (i < n - 1 && cdf[i] <= x) {
        i++;
    }
    return i;
}

/* ---- generation ---- */

rg_error_t rg_synth_write(const char *dir, const rg_synth_opts_t *o, rg_synth_opts_t *out) {
    rg_error_t rc = RG_SUCCESS;
    const int64_t U = o->n_users, M = o->n_movies, R = o->n_ratings;
    const int csv = o->format == RG_FORMAT_MLLATEST;
    rg_syn_out_t w = {NULL, NULL, NULL, 0, 0, 0};
    char path[4096];
    char *iobuf = NULL;
    double *mcdf = NULL, *gcdf = NULL, *mbias = NULL, *q = NULL, *taste = NULL, *p = NULL;
    double *ubias = NULL;
    int64_t *guide = NULL, *deg = NULL, *gstart = NULL, *gmovie = NULL, *stamp = NULL;
    uint32_t *mgen = NULL;
    int32_t *myear = NULL;
    uint8_t *fav = NULL;
    rg_rng_t r;

    if (o->format != RG_FORMAT_ML1M && o->format != RG_FORMAT_MLLATEST) {
        RG_ERROR(RG_EINVAL, "synth writes ml-1m or ml-latest format, not %s",
                 rg_format_name(o->format));
    }
    if (U < 1 || M < 1 || R < 0 || U > INT32_MAX || M > INT32_MAX) {
        RG_ERROR(RG_EINVAL, "synth needs >= 1 user and >= 1 movie (got %lld users, %lld movies, "
                 "%lld ratings)", (long long) U, (long long) M, (long long) R);
    }
    const int64_t cap = M / 2 > 0 ? M / 2 : 1; /* ratings per user at most */
    if ((double) R > (double) U * (double) cap) {
        RG_ERROR(RG_EINVAL, "%lld ratings do not fit %lld users x %lld movies (at most %lld per "
                 "user)", (long long) R, (long long) U, (long long) M, (long long) cap);
    }
    if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
        RG_ERROR(RG_EIO, "%s: cannot create the directory: %s", dir, strerror(errno));
    }
    rg_rng_init(&r, o->seed);

    iobuf = rg_malloc((size_t) 1 << 22);
    mcdf = rg_malloc((size_t) M * sizeof *mcdf);
    mbias = rg_malloc((size_t) M * sizeof *mbias);
    q = rg_malloc((size_t) M * RG_SYN_K * sizeof *q);
    mgen = rg_malloc((size_t) M * sizeof *mgen);
    myear = rg_malloc((size_t) M * sizeof *myear);
    stamp = rg_malloc((size_t) M * sizeof *stamp);
    gstart = rg_calloc(RG_SYN_NG + 1, sizeof *gstart);
    guide = rg_malloc((size_t) M * sizeof *guide);
    deg = rg_malloc((size_t) U * sizeof *deg);
    if (!iobuf || !mcdf || !mbias || !q || !mgen || !myear || !stamp || !gstart || !deg ||
        !guide) {
        RG_FAIL(RG_ENOMEM, "synth: cannot allocate the tables for %lld movies / %lld users",
                (long long) M, (long long) U);
    }

    /* movies: genres, year, popularity over a random rank order, bias, latent vector */
    double gw_cdf[RG_SYN_NG], gsum = 0.0;
    for (int k = 0; k < RG_SYN_NG; k++) {
        gsum += rg_syn_genre_w[k];
        gw_cdf[k] = gsum;
    }
    double csum = 0.0;
    for (int64_t m = 0; m < M; m++) {
        int ng = 1 + (rg_rng_uniform(&r) < 0.45) + (rg_rng_uniform(&r) < 0.2);
        uint32_t bits = 0;
        for (int k = 0; k < ng; k++) {
            bits |= 1u << rg_syn_pick(gw_cdf, RG_SYN_NG, rg_rng_uniform(&r) * gsum);
        }
        mgen[m] = bits;
        double u01 = rg_rng_uniform(&r);
        myear[m] = 1919 + (int32_t) (97.0 * sqrt(u01)); /* more recent movies */
        /* popularity rank: a random but fixed position in the Zipf order */
        double rk = (double) rg_rng_below(&r, (uint64_t) M);
        double pop = 1.0 / (rk + 20.0);
        csum += pop;
        mcdf[m] = csum;
        mbias[m] = 0.45 * rg_rng_normal(&r) + 0.15 * log((double) M / (rk + 20.0) + 1.0) - 0.3;
        for (int k = 0; k < RG_SYN_K; k++) {
            q[m * RG_SYN_K + k] = 0.55 * rg_rng_normal(&r);
        }
        for (int k = 0; k < RG_SYN_NG; k++) {
            gstart[k + 1] += (bits >> k) & 1u;
        }
        stamp[m] = -1;
    }
    for (int64_t k = 0, i = 0; k < M; k++) {
        double x = csum * (double) k / (double) M;
        while (i < M - 1 && mcdf[i] <= x) {
            i++;
        }
        guide[k] = i;
    }
    /* per-genre movie lists with popularity CDFs */
    for (int k = 0; k < RG_SYN_NG; k++) {
        gstart[k + 1] += gstart[k];
    }
    gmovie = rg_malloc((size_t) (gstart[RG_SYN_NG] + 1) * sizeof *gmovie);
    gcdf = rg_malloc((size_t) (gstart[RG_SYN_NG] + 1) * sizeof *gcdf);
    if (!gmovie || !gcdf) {
        RG_FAIL(RG_ENOMEM, "synth: cannot allocate the genre tables");
    }
    {
        int64_t fill[RG_SYN_NG];
        double acc[RG_SYN_NG];
        for (int k = 0; k < RG_SYN_NG; k++) {
            fill[k] = gstart[k];
            acc[k] = 0.0;
        }
        for (int64_t m = 0; m < M; m++) {
            double pop = mcdf[m] - (m ? mcdf[m - 1] : 0.0);
            for (int k = 0; k < RG_SYN_NG; k++) {
                if ((mgen[m] >> k) & 1u) {
                    acc[k] += pop;
                    gmovie[fill[k]] = m;
                    gcdf[fill[k]++] = acc[k];
                }
            }
        }
    }

    /* users: Pareto extra ratings on top of a floor of min(20, R/U) */
    int64_t floor_deg = R / U < 20 ? R / U : 20, total = 0;
    double xsum = 0.0;
    ubias = rg_malloc((size_t) U * sizeof *ubias);
    p = rg_malloc((size_t) U * RG_SYN_K * sizeof *p);
    taste = rg_malloc((size_t) U * RG_SYN_NG * sizeof *taste);
    fav = rg_malloc((size_t) U * RG_SYN_MAX_FAV);
    if (!ubias || !p || !taste || !fav) {
        RG_FAIL(RG_ENOMEM, "synth: cannot allocate the tables for %lld users", (long long) U);
    }
    for (int64_t u = 0; u < U; u++) {
        double pareto = pow(1.0 - rg_rng_uniform(&r), -1.0 / 1.3);
        ubias[u] = pareto; /* temporarily the Pareto weight */
        xsum += pareto;
    }
    for (int64_t u = 0; u < U; u++) {
        int64_t dg = floor_deg + (int64_t) ((double) (R - floor_deg * U) * ubias[u] / xsum);
        deg[u] = dg < cap ? dg : cap;
        total += deg[u];
    }
    /* fix the total exactly: add or remove one at a time, round-robin, within the bounds */
    for (int64_t u = 0; total != R; u = (u + 1) % U) {
        if (total < R && deg[u] < cap) {
            deg[u]++;
            total++;
        } else if (total > R && deg[u] > floor_deg) {
            deg[u]--;
            total--;
        }
    }
    for (int64_t u = 0; u < U; u++) {
        ubias[u] = 0.35 * rg_rng_normal(&r);
        for (int k = 0; k < RG_SYN_K; k++) {
            p[u * RG_SYN_K + k] = 0.55 * rg_rng_normal(&r);
        }
        for (int k = 0; k < RG_SYN_NG; k++) {
            taste[u * RG_SYN_NG + k] = 0.45 * rg_rng_normal(&r);
        }
        for (int k = 0; k < RG_SYN_MAX_FAV; k++) {
            int g = (int) rg_syn_pick(gw_cdf, RG_SYN_NG, rg_rng_uniform(&r) * gsum);
            fav[u * RG_SYN_MAX_FAV + k] = (uint8_t) g;
            taste[u * RG_SYN_NG + g] += 0.5;
        }
    }

    /* movies and users files */
    RG_TRY(rg_syn_open(&w, iobuf, (size_t) 1 << 22, dir, csv ? "movies.csv" : "movies.dat", path,
                       sizeof path));
    if (csv) {
        rg_syn_str(&w, "movieId,title,genres\n");
    }
    for (int64_t m = 0; m < M; m++) {
        rg_syn_int(&w, m + 1);
        rg_syn_str(&w, csv ? "," : "::");
        /* every seventh title has a comma ("Title, The"), quoted in CSV */
        int comma = (m % 7) == 3;
        if (csv && comma) {
            rg_syn_str(&w, "\"");
        }
        rg_syn_str(&w, "Synthetic Movie ");
        rg_syn_int(&w, m + 1);
        rg_syn_str(&w, comma ? ", The (" : " (");
        rg_syn_int(&w, myear[m]);
        rg_syn_str(&w, ")");
        if (csv && comma) {
            rg_syn_str(&w, "\"");
        }
        rg_syn_str(&w, csv ? "," : "::");
        int first = 1;
        for (int k = 0; k < RG_SYN_NG; k++) {
            if ((mgen[m] >> k) & 1u) {
                rg_syn_str(&w, first ? "" : "|");
                rg_syn_str(&w, rg_syn_genres[k]);
                first = 0;
            }
        }
        rg_syn_str(&w, "\n");
    }
    RG_TRY(rg_syn_close(&w));
    if (!csv) {
        RG_TRY(rg_syn_open(&w, iobuf, (size_t) 1 << 22, dir, "users.dat", path, sizeof path));
        for (int64_t u = 0; u < U; u++) {
            rg_syn_int(&w, u + 1);
            rg_syn_str(&w, rg_rng_uniform(&r) < 0.72 ? "::M::" : "::F::");
            rg_syn_int(&w, rg_syn_ages[rg_rng_below(&r, 7)]);
            rg_syn_str(&w, "::");
            rg_syn_int(&w, (int64_t) rg_rng_below(&r, 21));
            rg_syn_str(&w, "::");
            char zip[8];
            snprintf(zip, sizeof zip, "%05u", (unsigned) rg_rng_below(&r, 100000));
            rg_syn_str(&w, zip);
            rg_syn_str(&w, "\n");
        }
        RG_TRY(rg_syn_close(&w));
    }

    /* ratings, user by user in time order */
    RG_TRY(rg_syn_open(&w, iobuf, (size_t) 1 << 22, dir, csv ? "ratings.csv" : "ratings.dat",
                       path, sizeof path));
    if (csv) {
        rg_syn_str(&w, "userId,movieId,rating,timestamp\n");
    }
    const char *sep = csv ? "," : "::";
    const int64_t t_lo = 946684800, t_span = 441763200; /* 2000-01-01 .. 2014-01-01 */
    for (int64_t u = 0; u < U; u++) {
        int64_t t = t_lo + (int64_t) rg_rng_below(&r, (uint64_t) t_span);
        int misses = 0;
        for (int64_t k = 0; k < deg[u];) {
            int64_t m;
            /* eight repeats in a row: this user has exhausted the popular movies, so the rest of
             * their picks are uniform (at most half the catalogue: <= 2 draws per pick) */
            if (misses >= 8) {
                m = (int64_t) rg_rng_below(&r, (uint64_t) M);
            } else if (rg_rng_uniform(&r) < 0.5) {
                int g = fav[u * RG_SYN_MAX_FAV + rg_rng_below(&r, RG_SYN_MAX_FAV)];
                int64_t n = gstart[g + 1] - gstart[g];
                if (n == 0) {
                    misses++;
                    continue;
                }
                const double *c = gcdf + gstart[g];
                m = gmovie[gstart[g] + rg_syn_pick(c, n, rg_rng_uniform(&r) * c[n - 1])];
            } else {
                m = rg_syn_pick_guided(mcdf, guide, M, rg_rng_uniform(&r));
            }
            if (stamp[m] == u) {
                misses += misses < 8;
                continue;
            }
            stamp[m] = u;
            misses = misses < 8 ? 0 : misses;
            double s = 3.45 + ubias[u] + mbias[m], ts = 0.0;
            int ng = 0;
            for (int g = 0; g < RG_SYN_NG; g++) {
                if ((mgen[m] >> g) & 1u) {
                    ts += taste[u * RG_SYN_NG + g];
                    ng++;
                }
            }
            s += ng ? ts / ng : 0.0;
            for (int j = 0; j < RG_SYN_K; j++) {
                s += p[u * RG_SYN_K + j] * q[m * RG_SYN_K + j];
            }
            s += 0.5 * rg_rng_normal(&r);
            int64_t v = (int64_t) floor(s + 0.5);
            v = v < 1 ? 1 : (v > 5 ? 5 : v);
            /* sessions: mostly minutes apart, sometimes days */
            t += rg_rng_uniform(&r) < 0.9 ? 20 + (int64_t) rg_rng_below(&r, 600)
                                           : 3600 + (int64_t) rg_rng_below(&r, 30 * 86400);
            rg_syn_int(&w, u + 1);
            rg_syn_str(&w, sep);
            rg_syn_int(&w, m + 1);
            rg_syn_str(&w, sep);
            rg_syn_int(&w, v);
            if (csv) {
                rg_syn_str(&w, ".0");
            }
            rg_syn_str(&w, sep);
            rg_syn_int(&w, t);
            rg_syn_str(&w, "\n");
            k++;
        }
    }
    RG_TRY(rg_syn_close(&w));
    if (out) {
        *out = *o;
        out->n_ratings = R;
    }

cleanup:
    if (w.f) {
        fclose(w.f);
    }
    free(iobuf);
    free(mcdf);
    free(guide);
    free(gcdf);
    free(mbias);
    free(q);
    free(taste);
    free(p);
    free(ubias);
    free(deg);
    free(gstart);
    free(gmovie);
    free(stamp);
    free(mgen);
    free(myear);
    free(fav);
    return rc;
}
