/* movielens.c: the dataset readers (io.h): ML-100K, ML-1M / ML-10M ("::"), ml-latest / 20M /
 * 25M / 32M (CSV with quoted titles) and a generic delimited ratings file, plus format detection
 * and rg_ratings_read for held-out test files.  Metadata files are optional (a missing one leaves
 * the movies or users without metadata, which `import` reports); the ratings file is required.
 * Titles are stored as UTF-8: valid UTF-8 is kept, anything else is read as latin-1. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "io/io_internal.h"

/* ---- formats and options ---- */

static const struct {
    const char *name;
    rg_format_t format;
} rg_i_formats[] = {
    {"auto", RG_FORMAT_AUTO},
    {"ml-100k", RG_FORMAT_ML100K},
    {"ml-1m", RG_FORMAT_ML1M},
    {"ml-10m", RG_FORMAT_ML1M},
    {"ml-latest", RG_FORMAT_MLLATEST},
    {"ml-20m", RG_FORMAT_MLLATEST},
    {"ml-25m", RG_FORMAT_MLLATEST},
    {"ml-32m", RG_FORMAT_MLLATEST},
    {"csv", RG_FORMAT_CSV},
};

rg_error_t rg_format_parse(const char *name, rg_format_t *out) {
    for (size_t i = 0; i < sizeof rg_i_formats / sizeof rg_i_formats[0]; i++) {
        if (!strcmp(name, rg_i_formats[i].name)) {
            *out = rg_i_formats[i].format;
            return RG_SUCCESS;
        }
    }
    RG_ERROR(RG_EINVAL, "unknown format '%s' (expected auto, ml-100k, ml-1m, ml-latest or csv)",
             name);
}

const char *rg_format_name(rg_format_t f) {
    switch (f) {
    case RG_FORMAT_AUTO: return "auto";
    case RG_FORMAT_ML100K: return "ml-100k";
    case RG_FORMAT_ML1M: return "ml-1m";
    case RG_FORMAT_MLLATEST: return "ml-latest";
    case RG_FORMAT_CSV: return "csv";
    }
    return "unknown";
}

void rg_read_opts_default(rg_read_opts_t *o) {
    memset(o, 0, sizeof *o);
    o->format = RG_FORMAT_AUTO;
}

/* ---- shared helpers ---- */

static int rg_i_exists(const char *dir, const char *name, char *buf, size_t size) {
    struct stat st;
    snprintf(buf, size, "%s/%s", dir, name);
    return stat(buf, &st) == 0 && S_ISREG(st.st_mode);
}

/* A growable scratch buffer for titles and unquoted CSV fields. */
typedef struct {
    char *p;
    size_t cap;
} rg_i_scratch_t;

static rg_error_t rg_i_scratch_fit(rg_i_scratch_t *b, size_t need, const char *path) {
    if (need <= b->cap) {
        return RG_SUCCESS;
    }
    size_t cap = need < 4096 ? 4096 : need * 2;
    char *p = rg_realloc(b->p, cap);
    if (!p) {
        RG_ERROR(RG_ENOMEM, "%s: cannot allocate a %zu-byte line buffer", path, cap);
    }
    b->p = p;
    b->cap = cap;
    return RG_SUCCESS;
}

/* Index of the name [s, e) in names[0 .. *count), appended when new (cut to RG_NAME_MAX - 1
 * bytes).  RG_EFORMAT naming path, line and `what` when the table already holds max names.
 * O(*count * RG_NAME_MAX). */
static rg_error_t rg_i_intern(char names[][RG_NAME_MAX], int *count, int max, const char *what,
                              const char *s, const char *e, int *out, const char *path,
                              int64_t line) {
    size_t n = (size_t) (e - s);
    for (int k = 0; k < *count; k++) {
        if (strlen(names[k]) == n && !memcmp(names[k], s, n)) {
            *out = k;
            return RG_SUCCESS;
        }
    }
    if (*count == max) {
        RG_ERROR(RG_EFORMAT, "%s:%lld: more than %d distinct %s", path, (long long) line, max,
                 what);
    }
    snprintf(names[*count], RG_NAME_MAX, "%.*s",
             (int) (n < RG_NAME_MAX - 1 ? n : RG_NAME_MAX - 1), s);
    *out = (*count)++;
    return RG_SUCCESS;
}

/* Index of a genre name in d's vocabulary, adding it when new; -1 for "(no genres listed)" and
 * empty names.  RG_EFORMAT when the vocabulary would exceed RG_MAX_GENRES. */
static rg_error_t rg_i_genre(rg_dataset_t *d, const char *s, const char *e, int *out,
                             const char *path, int64_t line) {
    size_t n = (size_t) (e - s);
    *out = -1;
    if (n == 0 || (n == 18 && !memcmp(s, "(no genres listed)", 18))) {
        return RG_SUCCESS;
    }
    return rg_i_intern(d->genre_names, &d->n_genres, RG_MAX_GENRES, "genres", s, e, out, path,
                       line);
}

static void rg_i_set_names(char names[][RG_NAME_MAX], int *count, const char *const *list,
                           int n) {
    for (int k = 0; k < n; k++) {
        snprintf(names[k], RG_NAME_MAX, "%s", list[k]);
    }
    *count = n;
}

/* Adds a movie whose title is [s, e) in latin-1 or UTF-8, with the year in its title, or `year`
 * when the title has none. */
static rg_error_t rg_i_add_movie(rg_dataset_t *d, rg_i_scratch_t *b, int64_t id, const char *s,
                                 const char *e, uint32_t genres, int32_t year, const char *path) {
    RG_CHECK(rg_i_scratch_fit(b, 2 * (size_t) (e - s) + 1, path));
    rg_i_to_utf8(s, e, b->p, b->cap);
    int32_t ty = rg_i_title_year(b->p);
    return rg_dataset_add_movie(d, id, b->p, ty ? ty : year, genres);
}

#define RG_I_FIELD(f) (int) ((f).e - (f).s < 60 ? (f).e - (f).s : 60), (f).s

/* ---- ML-100K ---- */

static const char *const rg_i_ml100k_genres[] = {
    "unknown", "Action", "Adventure", "Animation", "Children's", "Comedy", "Crime",
    "Documentary", "Drama", "Fantasy", "Film-Noir", "Horror", "Musical", "Mystery", "Romance",
    "Sci-Fi", "Thriller", "War", "Western"};

static rg_error_t rg_i_ml100k_genre_file(rg_dataset_t *d, const char *path, int skip_bad) {
    rg_error_t rc = RG_SUCCESS;
    rg_i_lines_t L;
    int got;
    RG_CHECK(rg_i_lines_open(&L, path));
    d->n_genres = 0;
    for (;;) {
        const char *s, *e;
        RG_TRY(rg_i_lines_next_nonempty(&L, &s, &e, &got));
        if (!got) {
            break;
        }
        rg_i_field_t f[3];
        int64_t idx;
        if (rg_i_split(s, e, "|", f, 3) != 2 || rg_i_parse_i64(f[1].s, f[1].e, &idx) != 0 ||
            idx < 0 || idx >= RG_MAX_GENRES || f[0].e == f[0].s) {
            RG_TRY(rg_i_bad_line(d, skip_bad, path, L.line,
                                 "expected 'name|index' with an index in [0, %d)", RG_MAX_GENRES));
            continue;
        }
        snprintf(d->genre_names[idx], RG_NAME_MAX, "%.*s", RG_I_FIELD(f[0]));
        d->n_genres = (int) idx + 1 > d->n_genres ? (int) idx + 1 : d->n_genres;
    }
cleanup:
    rg_i_lines_close(&L);
    return rc;
}

static rg_error_t rg_i_ml100k_items(rg_dataset_t *d, const char *path, int skip_bad) {
    rg_error_t rc = RG_SUCCESS;
    rg_i_lines_t L;
    rg_i_scratch_t b = {NULL, 0};
    int got;
    RG_CHECK(rg_i_lines_open(&L, path));
    for (;;) {
        const char *s, *e;
        RG_TRY(rg_i_lines_next_nonempty(&L, &s, &e, &got));
        if (!got) {
            break;
        }
        rg_i_field_t f[5 + RG_MAX_GENRES + 1];
        int n = rg_i_split(s, e, "|", f, 5 + RG_MAX_GENRES + 1);
        int64_t id;
        if (n != 5 + d->n_genres) {
            RG_TRY(rg_i_bad_line(d, skip_bad, path, L.line,
                                 "expected %d fields separated by '|' (id, title, dates, URL, "
                                 "%d genre flags), found %d", 5 + d->n_genres, d->n_genres, n));
            continue;
        }
        if (rg_i_parse_i64(f[0].s, f[0].e, &id) != 0) {
            RG_TRY(rg_i_bad_line(d, skip_bad, path, L.line, "movie id '%.*s' is not an integer",
                                 RG_I_FIELD(f[0])));
            continue;
        }
        uint32_t genres = 0;
        int bad = -1;
        for (int k = 0; k < d->n_genres; k++) {
            const rg_i_field_t *g = &f[5 + k];
            if (g->e - g->s != 1 || (g->s[0] != '0' && g->s[0] != '1')) {
                bad = k;
                break;
            }
            genres |= (uint32_t) (g->s[0] == '1') << k;
        }
        if (bad >= 0) {
            RG_TRY(rg_i_bad_line(d, skip_bad, path, L.line,
                                 "genre flag %d ('%.*s') is not 0 or 1", bad,
                                 RG_I_FIELD(f[5 + bad])));
            continue;
        }
        /* release date dd-Mon-yyyy: the year when the title has none */
        int32_t year = 0;
        if (f[2].e - f[2].s >= 4) {
            int64_t y;
            if (rg_i_parse_i64(f[2].e - 4, f[2].e, &y) == 0) {
                year = (int32_t) y;
            }
        }
        RG_TRY(rg_i_add_movie(d, &b, id, f[1].s, f[1].e, genres, year, path));
    }
cleanup:
    free(b.p);
    rg_i_lines_close(&L);
    return rc;
}

static rg_error_t rg_i_occupation(rg_dataset_t *d, const char *s, const char *e, int32_t *out,
                                  const char *path, int64_t line) {
    int k;
    RG_CHECK(rg_i_intern(d->occupation_names, &d->n_occupations, RG_MAX_OCCUPATIONS,
                         "occupations", s, e, &k, path, line));
    *out = k;
    return RG_SUCCESS;
}

static rg_error_t rg_i_ml100k_occupations(rg_dataset_t *d, const char *path) {
    rg_error_t rc = RG_SUCCESS;
    rg_i_lines_t L;
    int got;
    int32_t idx;
    RG_CHECK(rg_i_lines_open(&L, path));
    for (;;) {
        const char *s, *e;
        RG_TRY(rg_i_lines_next_nonempty(&L, &s, &e, &got));
        if (!got) {
            break;
        }
        RG_TRY(rg_i_occupation(d, s, e, &idx, path, L.line));
    }
cleanup:
    rg_i_lines_close(&L);
    return rc;
}

static uint8_t rg_i_gender(const rg_i_field_t *f) {
    if (f->e - f->s == 1 && (f->s[0] == 'M' || f->s[0] == 'm')) {
        return RG_GENDER_M;
    }
    if (f->e - f->s == 1 && (f->s[0] == 'F' || f->s[0] == 'f')) {
        return RG_GENDER_F;
    }
    return RG_GENDER_UNKNOWN;
}

/* u.user (id|age|gender|occupation name|zip) or users.dat (id::gender::age::code::zip). */
static rg_error_t rg_i_users(rg_dataset_t *d, const char *path, int ml1m, int skip_bad) {
    rg_error_t rc = RG_SUCCESS;
    rg_i_lines_t L;
    int got;
    RG_CHECK(rg_i_lines_open(&L, path));
    for (;;) {
        const char *s, *e;
        RG_TRY(rg_i_lines_next_nonempty(&L, &s, &e, &got));
        if (!got) {
            break;
        }
        rg_i_field_t f[6];
        int n = rg_i_split(s, e, ml1m ? "::" : "|", f, 6);
        if (n != 5) {
            RG_TRY(rg_i_bad_line(d, skip_bad, path, L.line,
                                 "expected 5 fields separated by '%s', found %d",
                                 ml1m ? "::" : "|", n));
            continue;
        }
        rg_user_meta_t u;
        memset(&u, 0, sizeof u);
        int64_t age, occ = -1;
        const rg_i_field_t *fage = ml1m ? &f[2] : &f[1], *fgen = ml1m ? &f[1] : &f[2];
        if (rg_i_parse_i64(f[0].s, f[0].e, &u.id) != 0) {
            RG_TRY(rg_i_bad_line(d, skip_bad, path, L.line, "user id '%.*s' is not an integer",
                                 RG_I_FIELD(f[0])));
            continue;
        }
        if (rg_i_parse_i64(fage->s, fage->e, &age) != 0 || age < 0 || age > 200) {
            RG_TRY(rg_i_bad_line(d, skip_bad, path, L.line, "age '%.*s' is not a valid age",
                                 RG_I_FIELD(*fage)));
            continue;
        }
        u.gender = rg_i_gender(fgen);
        if (u.gender == RG_GENDER_UNKNOWN) {
            RG_TRY(rg_i_bad_line(d, skip_bad, path, L.line, "gender '%.*s' is not M or F",
                                 RG_I_FIELD(*fgen)));
            continue;
        }
        if (ml1m) {
            if (rg_i_parse_i64(f[3].s, f[3].e, &occ) != 0 || occ < 0 ||
                occ >= d->n_occupations) {
                RG_TRY(rg_i_bad_line(d, skip_bad, path, L.line,
                                     "occupation code '%.*s' is not in [0, %d)", RG_I_FIELD(f[3]),
                                     d->n_occupations));
                continue;
            }
            u.occupation = (int32_t) occ;
        } else {
            RG_TRY(rg_i_occupation(d, f[3].s, f[3].e, &u.occupation, path, L.line));
        }
        u.age = (int32_t) age;
        snprintf(u.zip, sizeof u.zip, "%.*s", (int) (f[4].e - f[4].s < 15 ? f[4].e - f[4].s : 15),
                 f[4].s);
        RG_TRY(rg_dataset_add_user(d, &u));
    }
cleanup:
    rg_i_lines_close(&L);
    return rc;
}

static rg_error_t rg_i_read_ml100k(rg_dataset_t *d, const char *dir, int skip_bad) {
    char path[4096];
    snprintf(d->name, sizeof d->name, "ml-100k");
    d->rating_min = 1.0f;
    d->rating_max = 5.0f;
    if (rg_i_exists(dir, "u.genre", path, sizeof path)) {
        RG_CHECK(rg_i_ml100k_genre_file(d, path, skip_bad));
    } else {
        rg_i_set_names(d->genre_names, &d->n_genres, rg_i_ml100k_genres, 19);
    }
    if (rg_i_exists(dir, "u.item", path, sizeof path)) {
        RG_CHECK(rg_i_ml100k_items(d, path, skip_bad));
    }
    if (rg_i_exists(dir, "u.occupation", path, sizeof path)) {
        RG_CHECK(rg_i_ml100k_occupations(d, path));
    }
    if (rg_i_exists(dir, "u.user", path, sizeof path)) {
        RG_CHECK(rg_i_users(d, path, 0, skip_bad));
    }
    snprintf(path, sizeof path, "%s/u.data", dir);
    return rg_i_read_ratings_file(d, path, "\t", 1, 0, skip_bad);
}

/* ---- ML-1M / ML-10M ---- */

static const char *const rg_i_ml1m_genres[] = {
    "Action", "Adventure", "Animation", "Children's", "Comedy", "Crime", "Documentary", "Drama",
    "Fantasy", "Film-Noir", "Horror", "Musical", "Mystery", "Romance", "Sci-Fi", "Thriller",
    "War", "Western"};

static const char *const rg_i_ml1m_occupations[] = {
    "other", "academic/educator", "artist", "clerical/admin", "college/grad student",
    "customer service", "doctor/health care", "executive/managerial", "farmer", "homemaker",
    "K-12 student", "lawyer", "programmer", "retired", "sales/marketing", "scientist",
    "self-employed", "technician/engineer", "tradesman/craftsman", "unemployed", "writer"};

/* movies.dat (id::title::A|B) or movies.csv (id,"title, quoted",A|B). */
static rg_error_t rg_i_movies(rg_dataset_t *d, const char *path, int csv, int skip_bad) {
    rg_error_t rc = RG_SUCCESS;
    rg_i_lines_t L;
    rg_i_scratch_t b = {NULL, 0}, q = {NULL, 0};
    int got, first = 1;
    RG_CHECK(rg_i_lines_open(&L, path));
    for (;;) {
        const char *s, *e;
        RG_TRY(rg_i_lines_next_nonempty(&L, &s, &e, &got));
        if (!got) {
            break;
        }
        rg_i_field_t f[4];
        int n;
        if (csv) {
            RG_TRY(rg_i_scratch_fit(&q, (size_t) (e - s) + 1, path));
            n = rg_i_split_csv(s, e, ',', f, 4, q.p);
        } else {
            n = rg_i_split(s, e, "::", f, 4);
        }
        int64_t id;
        if (first) {
            first = 0;
            if (n > 0 && rg_i_parse_i64(f[0].s, f[0].e, &id) != 0) {
                continue; /* header */
            }
        }
        if (n < 0) {
            RG_TRY(rg_i_bad_line(d, skip_bad, path, L.line, "unterminated quoted field"));
            continue;
        }
        if (n != 3) {
            RG_TRY(rg_i_bad_line(d, skip_bad, path, L.line,
                                 "expected 3 fields (id, title, genres) separated by '%s', "
                                 "found %d", csv ? "," : "::", n));
            continue;
        }
        if (rg_i_parse_i64(f[0].s, f[0].e, &id) != 0) {
            RG_TRY(rg_i_bad_line(d, skip_bad, path, L.line, "movie id '%.*s' is not an integer",
                                 RG_I_FIELD(f[0])));
            continue;
        }
        uint32_t genres = 0;
        rg_i_field_t gf[RG_MAX_GENRES + 1];
        int ng = rg_i_split(f[2].s, f[2].e, "|", gf, RG_MAX_GENRES + 1);
        for (int k = 0; k < ng && k <= RG_MAX_GENRES; k++) {
            int gi;
            RG_TRY(rg_i_genre(d, gf[k].s, gf[k].e, &gi, path, L.line));
            if (gi >= 0) {
                genres |= 1u << gi;
            }
        }
        RG_TRY(rg_i_add_movie(d, &b, id, f[1].s, f[1].e, genres, 0, path));
    }
cleanup:
    free(b.p);
    free(q.p);
    rg_i_lines_close(&L);
    return rc;
}

static rg_error_t rg_i_read_ml1m(rg_dataset_t *d, const char *dir, int skip_bad) {
    char path[4096];
    int has_users = rg_i_exists(dir, "users.dat", path, sizeof path);
    /* ML-1M (with users.dat) rates whole stars 1..5; ML-10M half stars 0.5..5 */
    snprintf(d->name, sizeof d->name, has_users ? "ml-1m" : "ml-10m");
    d->rating_min = has_users ? 1.0f : 0.5f;
    d->rating_max = 5.0f;
    rg_i_set_names(d->genre_names, &d->n_genres, rg_i_ml1m_genres, 18);
    if (has_users) {
        rg_i_set_names(d->occupation_names, &d->n_occupations, rg_i_ml1m_occupations, 21);
        RG_CHECK(rg_i_users(d, path, 1, skip_bad));
    }
    if (rg_i_exists(dir, "movies.dat", path, sizeof path)) {
        RG_CHECK(rg_i_movies(d, path, 0, skip_bad));
    }
    snprintf(path, sizeof path, "%s/ratings.dat", dir);
    return rg_i_read_ratings_file(d, path, "::", 1, 0, skip_bad);
}

/* ---- ml-latest / 20M / 25M / 32M ---- */

static rg_error_t rg_i_read_mllatest(rg_dataset_t *d, const char *dir, int skip_bad) {
    char path[4096];
    snprintf(d->name, sizeof d->name, "ml-latest");
    d->rating_min = 0.5f;
    d->rating_max = 5.0f;
    if (rg_i_exists(dir, "movies.csv", path, sizeof path)) {
        RG_CHECK(rg_i_movies(d, path, 1, skip_bad));
    }
    snprintf(path, sizeof path, "%s/ratings.csv", dir);
    return rg_i_read_ratings_file(d, path, ",", 1, 1, skip_bad);
}

/* ---- entry points ---- */

rg_error_t rg_dataset_read(rg_dataset_t *d, const char *src, const rg_read_opts_t *o) {
    rg_read_opts_t def;
    struct stat st;
    char path[4096];
    if (!o) {
        rg_read_opts_default(&def);
        o = &def;
    }
    if (stat(src, &st) != 0) {
        RG_ERROR(RG_EIO, "%s: cannot read: %s", src, strerror(errno));
    }
    int is_dir = S_ISDIR(st.st_mode);
    rg_format_t f = o->format;
    if (f == RG_FORMAT_AUTO) {
        if (!is_dir) {
            f = RG_FORMAT_CSV;
        } else if (rg_i_exists(src, "u.data", path, sizeof path)) {
            f = RG_FORMAT_ML100K;
        } else if (rg_i_exists(src, "ratings.dat", path, sizeof path)) {
            f = RG_FORMAT_ML1M;
        } else if (rg_i_exists(src, "ratings.csv", path, sizeof path)) {
            f = RG_FORMAT_MLLATEST;
        } else {
            RG_ERROR(RG_EFORMAT, "%s: no u.data (ml-100k), ratings.dat (ml-1m) or ratings.csv "
                     "(ml-latest) in this directory", src);
        }
    }
    if (f != RG_FORMAT_CSV && !is_dir) {
        RG_ERROR(RG_EINVAL, "%s: format %s expects a dataset directory, not a file", src,
                 rg_format_name(f));
    }
    if (f == RG_FORMAT_CSV && is_dir) {
        RG_ERROR(RG_EINVAL, "%s: format csv expects a ratings file, not a directory", src);
    }
    switch (f) {
    case RG_FORMAT_ML100K: return rg_i_read_ml100k(d, src, o->skip_bad);
    case RG_FORMAT_ML1M: return rg_i_read_ml1m(d, src, o->skip_bad);
    case RG_FORMAT_MLLATEST: return rg_i_read_mllatest(d, src, o->skip_bad);
    default: break;
    }
    snprintf(d->name, sizeof d->name, "csv");
    d->rating_min = o->rating_min;
    d->rating_max = o->rating_max;
    if (!(d->rating_min <= d->rating_max)) {
        RG_ERROR(RG_EINVAL, "rating scale [%g, %g] is empty", (double) d->rating_min,
                 (double) d->rating_max);
    }
    return rg_i_read_ratings_file(d, src, NULL, 0, 1, o->skip_bad);
}

rg_error_t rg_ratings_read(const char *path, rg_rating_t **out, int64_t *n) {
    rg_dataset_t d;
    rg_dataset_init(&d);
    rg_error_t rc = rg_i_read_ratings_file(&d, path, NULL, 0, 1, 0);
    if (rc == RG_SUCCESS) {
        *out = d.ratings;
        *n = d.n_ratings;
        d.ratings = NULL;
    }
    rg_dataset_free(&d);
    return rc;
}
