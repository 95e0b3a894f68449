/* text.c: the text toolkit of the readers (io_internal.h): buffered lines, fields, numbers,
 * latin-1 -> UTF-8, bad-line policy, and the ratings-file parser every format shares.
 * Hand-written number parsing and memchr line splitting keep a 25M-line file to a few seconds;
 * no allocation per line. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "io/io_internal.h"

/* ---- lines ---- */

#define RG_I_LINES_BLOCK ((size_t) 4 << 20)
/* The longest line accepted (a MovieLens line is under 1 KiB): it bounds the buffer, so a huge
 * file without line ends (binary data, a wrong file) is refused instead of read into memory. */
#define RG_I_LINES_MAX ((size_t) 16 << 20)

rg_error_t rg_i_lines_open(rg_i_lines_t *L, const char *path) {
    memset(L, 0, sizeof *L);
    L->fd = -1;
    L->path = path;
    L->fd = open(path, O_RDONLY | O_CLOEXEC);
    if (L->fd < 0) {
        RG_ERROR(RG_EIO, "%s: cannot open: %s", path, strerror(errno));
    }
    struct stat st;
    if (fstat(L->fd, &st) == 0) {
        L->file_size = (int64_t) st.st_size;
        if (S_ISDIR(st.st_mode)) {
            close(L->fd);
            L->fd = -1;
            RG_ERROR(RG_EIO, "%s: is a directory, expected a file", path);
        }
    }
#ifdef POSIX_FADV_SEQUENTIAL
    posix_fadvise(L->fd, 0, 0, POSIX_FADV_SEQUENTIAL);
#endif
    L->buf = rg_malloc(RG_I_LINES_BLOCK);
    if (!L->buf) {
        close(L->fd);
        L->fd = -1;
        RG_ERROR(RG_ENOMEM, "%s: cannot allocate a read buffer", path);
    }
    L->cap = RG_I_LINES_BLOCK;
    return RG_SUCCESS;
}

rg_error_t rg_i_lines_next_nonempty(rg_i_lines_t *L, const char **s, const char **e, int *got) {
    do {
        RG_CHECK(rg_i_lines_next(L, s, e, got));
    } while (*got && *s == *e);
    return RG_SUCCESS;
}

void rg_i_lines_close(rg_i_lines_t *L) {
    if (L->fd >= 0) {
        close(L->fd);
    }
    free(L->buf);
    memset(L, 0, sizeof *L);
    L->fd = -1;
}

rg_error_t rg_i_lines_next(rg_i_lines_t *L, const char **s, const char **e, int *got) {
    for (;;) {
        if (L->pos < L->len) {
            char *start = L->buf + L->pos;
            char *nl = memchr(start, '\n', L->len - L->pos);
            if (nl || L->eof) {
                char *end = nl ? nl : L->buf + L->len;
                L->pos = nl ? (size_t) (nl - L->buf) + 1 : L->len;
                if (end > start && end[-1] == '\r') {
                    end--;
                }
                L->line++;
                *s = start;
                *e = end;
                *got = 1;
                return RG_SUCCESS;
            }
        }
        if (L->eof) {
            *got = 0;
            return RG_SUCCESS;
        }
        if (L->pos > 0) {
            memmove(L->buf, L->buf + L->pos, L->len - L->pos);
            L->len -= L->pos;
            L->pos = 0;
        }
        if (L->len == L->cap && L->cap >= RG_I_LINES_MAX) {
            RG_ERROR(RG_EFORMAT, "%s:%lld: line longer than %zu MiB (not a text ratings file?)",
                     L->path, (long long) L->line + 1, RG_I_LINES_MAX >> 20);
        }
        if (L->len == L->cap) { /* a line longer than the buffer: grow */
            char *nb = rg_realloc(L->buf, L->cap * 2);
            if (!nb) {
                RG_ERROR(RG_ENOMEM, "%s:%lld: line too long to buffer", L->path,
                         (long long) L->line + 1);
            }
            L->buf = nb;
            L->cap *= 2;
        }
        ssize_t r = read(L->fd, L->buf + L->len, L->cap - L->len);
        if (r < 0) {
            if (errno == EINTR) {
                continue;
            }
            RG_ERROR(RG_EIO, "%s: read failed near line %lld: %s", L->path,
                     (long long) L->line + 1, strerror(errno));
        }
        if (r == 0) {
            L->eof = 1;
        }
        L->len += (size_t) r;
    }
}

/* ---- fields ---- */

static inline int rg_i_blank(char c) { return c == ' ' || c == '\t'; }

int rg_i_split(const char *s, const char *e, const char *delim, rg_i_field_t *f, int max) {
    int n = 0;
    const char d0 = delim[0], d1 = delim[1];
    if (d0 == ' ') { /* runs of blanks */
        const char *p = s;
        while (p < e && rg_i_blank(*p)) {
            p++;
        }
        while (p < e) {
            const char *q = p;
            while (q < e && !rg_i_blank(*q)) {
                q++;
            }
            if (n < max) {
                f[n].s = p;
                f[n].e = q;
            }
            n++;
            while (q < e && rg_i_blank(*q)) {
                q++;
            }
            p = q;
        }
        return n;
    }
    const char *p = s;
    for (;;) {
        const char *q = p;
        if (d1) {
            while (q < e && !(q[0] == d0 && q + 1 < e && q[1] == d1)) {
                q++;
            }
        } else {
            const char *hit = memchr(q, d0, (size_t) (e - q));
            q = hit ? hit : e;
        }
        if (n < max) {
            f[n].s = p;
            f[n].e = q;
        }
        n++;
        if (q >= e) {
            return n;
        }
        p = q + (d1 ? 2 : 1);
    }
}

int rg_i_split_csv(const char *s, const char *e, char delim, rg_i_field_t *f, int max,
                   char *scratch) {
    int n = 0;
    const char *p = s;
    char *w = scratch;
    for (;;) {
        const char *fs, *fe;
        if (p < e && *p == '"') {
            fs = w;
            p++;
            for (;;) {
                if (p >= e) {
                    return -1;
                }
                if (*p == '"') {
                    if (p + 1 < e && p[1] == '"') {
                        *w++ = '"';
                        p += 2;
                        continue;
                    }
                    p++;
                    break;
                }
                *w++ = *p++;
            }
            fe = w;
            while (p < e && *p != delim) { /* text after the closing quote is ignored */
                p++;
            }
        } else {
            fs = p;
            while (p < e && *p != delim) {
                p++;
            }
            fe = p;
        }
        if (n < max) {
            f[n].s = fs;
            f[n].e = fe;
        }
        n++;
        if (p >= e) {
            return n;
        }
        p++; /* the delimiter */
    }
}

/* ---- numbers ---- */

static void rg_i_trim(const char **s, const char **e) {
    while (*s < *e && (rg_i_blank(**s) || **s == '\r')) {
        (*s)++;
    }
    while (*e > *s && (rg_i_blank((*e)[-1]) || (*e)[-1] == '\r')) {
        (*e)--;
    }
}

int rg_i_parse_i64(const char *s, const char *e, int64_t *out) {
    rg_i_trim(&s, &e);
    int neg = 0;
    if (s < e && (*s == '-' || *s == '+')) {
        neg = *s == '-';
        s++;
    }
    if (s >= e || e - s > 18) {
        return -1;
    }
    int64_t v = 0;
    for (; s < e; s++) {
        unsigned dgt = (unsigned) (*s - '0');
        if (dgt > 9) {
            return -1;
        }
        v = v * 10 + (int64_t) dgt;
    }
    *out = neg ? -v : v;
    return 0;
}

int rg_i_parse_float(const char *s, const char *e, float *out) {
    static const double pow10[] = {1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9};
    rg_i_trim(&s, &e);
    const char *start = s;
    int neg = 0;
    if (s < e && (*s == '-' || *s == '+')) {
        neg = *s == '-';
        s++;
    }
    int64_t ip = 0, fp = 0;
    int n_int = 0, n_frac = 0;
    while (s < e && (unsigned) (*s - '0') <= 9 && n_int < 15) {
        ip = ip * 10 + (*s++ - '0');
        n_int++;
    }
    if (s < e && *s == '.') {
        s++;
        while (s < e && (unsigned) (*s - '0') <= 9 && n_frac < 9) {
            fp = fp * 10 + (*s++ - '0');
            n_frac++;
        }
    }
    if (s == e && (n_int > 0 || n_frac > 0)) {
        double v = (double) ip + (double) fp / pow10[n_frac];
        *out = (float) (neg ? -v : v);
        return 0;
    }
    /* anything longer or with an exponent: the C library, on a bounded copy */
    char tmp[64];
    size_t len = (size_t) (e - start);
    if (len == 0 || len >= sizeof tmp) {
        return -1;
    }
    memcpy(tmp, start, len);
    tmp[len] = '\0';
    char *end;
    double v = strtod(tmp, &end);
    if (end != tmp + len || !isfinite(v)) { /* the whole field: a NUL inside is not an end */
        return -1;
    }
    *out = (float) v;
    return 0;
}

/* ---- text ---- */

static int rg_i_valid_utf8(const unsigned char *p, const unsigned char *e) {
    while (p < e) {
        unsigned c = *p;
        int n;
        if (c < 0x80) {
            p++;
            continue;
        } else if (c >= 0xC2 && c <= 0xDF) {
            n = 1;
        } else if (c >= 0xE0 && c <= 0xEF) {
            n = 2;
        } else if (c >= 0xF0 && c <= 0xF4) {
            n = 3;
        } else {
            return 0;
        }
        if (e - p <= n) {
            return 0;
        }
        for (int k = 1; k <= n; k++) {
            if ((p[k] & 0xC0) != 0x80) {
                return 0;
            }
        }
        p += n + 1;
    }
    return 1;
}

size_t rg_i_to_utf8(const char *s, const char *e, char *out, size_t outsize) {
    const unsigned char *p = (const unsigned char *) s, *pe = (const unsigned char *) e;
    size_t n = 0;
    if (outsize == 0) {
        return 0;
    }
    if (rg_i_valid_utf8(p, pe)) {
        n = (size_t) (pe - p) < outsize - 1 ? (size_t) (pe - p) : outsize - 1;
        memcpy(out, s, n);
    } else {
        for (; p < pe && n + 2 < outsize; p++) {
            if (*p < 0x80) {
                out[n++] = (char) *p;
            } else {
                out[n++] = (char) (0xC0 | (*p >> 6));
                out[n++] = (char) (0x80 | (*p & 0x3F));
            }
        }
    }
    out[n] = '\0';
    return n;
}

int32_t rg_i_title_year(const char *title) {
    size_t n = strlen(title);
    while (n > 0 && (title[n - 1] == ' ' || title[n - 1] == '\t')) {
        n--;
    }
    if (n < 6 || title[n - 1] != ')' || title[n - 6] != '(') {
        return 0;
    }
    int32_t y = 0;
    for (size_t k = n - 5; k < n - 1; k++) {
        if ((unsigned) (title[k] - '0') > 9) {
            return 0;
        }
        y = y * 10 + (title[k] - '0');
    }
    return y;
}

/* ---- policy ---- */

rg_error_t rg_i_bad_line(rg_dataset_t *d, int skip_bad, const char *path, int64_t line,
                         const char *fmt, ...) {
    if (skip_bad) {
        d->n_skipped_lines++;
        return RG_SUCCESS;
    }
    char why[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    RG_ERROR(RG_EFORMAT, "%s:%lld: %s", path, (long long) line, why);
}

/* ---- ratings files ---- */

static void rg_i_detect_delim(const char *s, const char *e, char out[3]) {
    out[1] = out[2] = '\0';
    for (const char *p = s; p + 1 < e; p++) {
        if (p[0] == ':' && p[1] == ':') {
            out[0] = ':';
            out[1] = ':';
            return;
        }
    }
    static const char order[] = "\t,|;";
    for (const char *c = order; *c; c++) {
        if (memchr(s, *c, (size_t) (e - s))) {
            out[0] = *c;
            return;
        }
    }
    out[0] = ' ';
}

static const char *rg_i_delim_name(const char *d) {
    switch (d[0]) {
    case '\t': return "tab";
    case ',': return "','";
    case '|': return "'|'";
    case ';': return "';'";
    case ':': return "'::'";
    default: return "blanks";
    }
}

rg_error_t rg_i_read_ratings_file(rg_dataset_t *d, const char *path, const char *delim,
                                  int need_ts, int may_have_header, int skip_bad) {
    rg_error_t rc = RG_SUCCESS;
    rg_i_lines_t L;
    char dl[3] = {0, 0, 0};
    int first = 1, got;
    const int check_scale = d->rating_min != 0.0f || d->rating_max != 0.0f;
    const float rmin = d->rating_min, rmax = d->rating_max;
    RG_CHECK(rg_i_lines_open(&L, path));
    if (delim) {
        snprintf(dl, sizeof dl, "%s", delim);
    }
    for (;;) {
        const char *s, *e;
        RG_TRY(rg_i_lines_next(&L, &s, &e, &got));
        if (!got) {
            break;
        }
        const char *t = s;
        while (t < e && rg_i_blank(*t)) {
            t++;
        }
        if (t == e) {
            continue; /* blank line */
        }
        if (!dl[0]) {
            rg_i_detect_delim(s, e, dl);
        }
        rg_i_field_t f[5];
        int n = rg_i_split(s, e, dl, f, 5);
        rg_rating_t r;
        if (first) {
            first = 0;
            if (may_have_header && rg_i_parse_i64(f[0].s, f[0].e, &r.user) != 0) {
                continue; /* a header line */
            }
        }
        if (n < 3 || n > 4 || (need_ts && n != 4)) {
            RG_TRY(rg_i_bad_line(d, skip_bad, path, L.line,
                                 "expected user, movie, rating%s separated by %s, found %d "
                                 "field%s", need_ts ? ", timestamp" : "[, timestamp]",
                                 rg_i_delim_name(dl), n, n == 1 ? "" : "s"));
            continue;
        }
        if (rg_i_parse_i64(f[0].s, f[0].e, &r.user) != 0) {
            RG_TRY(rg_i_bad_line(d, skip_bad, path, L.line, "user id '%.*s' is not an integer",
                                 (int) (f[0].e - f[0].s < 40 ? f[0].e - f[0].s : 40), f[0].s));
            continue;
        }
        if (rg_i_parse_i64(f[1].s, f[1].e, &r.movie) != 0) {
            RG_TRY(rg_i_bad_line(d, skip_bad, path, L.line, "movie id '%.*s' is not an integer",
                                 (int) (f[1].e - f[1].s < 40 ? f[1].e - f[1].s : 40), f[1].s));
            continue;
        }
        if (rg_i_parse_float(f[2].s, f[2].e, &r.rating) != 0) {
            RG_TRY(rg_i_bad_line(d, skip_bad, path, L.line, "rating '%.*s' is not a number",
                                 (int) (f[2].e - f[2].s < 40 ? f[2].e - f[2].s : 40), f[2].s));
            continue;
        }
        if (check_scale && !(r.rating >= rmin && r.rating <= rmax)) {
            RG_TRY(rg_i_bad_line(d, skip_bad, path, L.line,
                                 "rating %g is outside the scale [%g, %g]", (double) r.rating,
                                 (double) rmin, (double) rmax));
            continue;
        }
        r.ts = 0;
        if (n == 4 && (rg_i_parse_i64(f[3].s, f[3].e, &r.ts) != 0 || r.ts < 0)) {
            RG_TRY(rg_i_bad_line(d, skip_bad, path, L.line,
                                 "timestamp '%.*s' is not a non-negative integer",
                                 (int) (f[3].e - f[3].s < 40 ? f[3].e - f[3].s : 40), f[3].s));
            continue;
        }
        RG_TRY(rg_dataset_add_rating(d, &r));
    }
cleanup:
    rg_i_lines_close(&L);
    return rc;
}
