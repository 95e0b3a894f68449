/* io_internal.h (private): the text-reading toolkit the dataset readers share: a buffered line
 * reader (no per-line allocation), hand-written number parsing, delimited-field splitting (with
 * CSV quoting), latin-1 -> UTF-8 and the error/skip policy for bad lines.  Never installed. */
#ifndef RG_IO_INTERNAL_H
#define RG_IO_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "reelgraph/io.h"

/* ---- lines ---- */

/* Reads a file in large blocks with read(2) (so a huge file does not count in the resident
 * memory the way a mapping would) and hands out one line at a time, without its line end
 * ("\n" or "\r\n").  The returned bytes stay valid until the next call. */
typedef struct {
    const char *path;
    int fd;
    char *buf;
    size_t cap, len, pos;
    int64_t line; /* 1-based number of the line last returned */
    int eof;
    int64_t file_size;
} rg_i_lines_t;

rg_error_t rg_i_lines_open(rg_i_lines_t *L, const char *path);
/* *got = 1 and [*s, *e) the next line, or *got = 0 at the end of the file. */
rg_error_t rg_i_lines_next(rg_i_lines_t *L, const char **s, const char **e, int *got);
/* rg_i_lines_next passing over empty lines (a line with only blanks is not empty). */
rg_error_t rg_i_lines_next_nonempty(rg_i_lines_t *L, const char **s, const char **e, int *got);
void rg_i_lines_close(rg_i_lines_t *L);

/* ---- fields ---- */

typedef struct {
    const char *s, *e;
} rg_i_field_t;

/* Splits [s, e) at every occurrence of delim (1 or 2 characters, e.g. "|" or "::").  Fills at
 * most max fields; returns the number of fields present (which may exceed max). */
int rg_i_split(const char *s, const char *e, const char *delim, rg_i_field_t *f, int max);
/* Splits a CSV line honouring double quotes ("a, b" and "" inside quotes).  Unquoted field text
 * is returned in place; quoted fields are unescaped into scratch (at least e - s bytes).  Returns
 * the number of fields, or -1 on an unterminated quote. */
int rg_i_split_csv(const char *s, const char *e, char delim, rg_i_field_t *f, int max,
                   char *scratch);

/* Whole field must be a number (surrounding blanks allowed).  Return 0 on success. */
int rg_i_parse_i64(const char *s, const char *e, int64_t *out);
int rg_i_parse_float(const char *s, const char *e, float *out);

/* ---- text ---- */

/* Copies [s, e) into out (size outsize >= 2 * (e - s) + 1) as NUL-terminated UTF-8: kept as is
 * when it is valid UTF-8, otherwise read as latin-1.  Returns the output length. */
size_t rg_i_to_utf8(const char *s, const char *e, char *out, size_t outsize);
/* The year of a title ending in "(YYYY)" (blanks allowed after), or 0. */
int32_t rg_i_title_year(const char *title);

/* ---- policy ---- */

/* A bad line: with skip_bad counts it in d->n_skipped_lines and returns RG_SUCCESS; otherwise
 * raises RG_EFORMAT "PATH:LINE: reason". */
rg_error_t rg_i_bad_line(rg_dataset_t *d, int skip_bad, const char *path, int64_t line,
                         const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 5, 6)))
#endif
    ;

/* Reads a ratings file: delim NULL = detect ("::", tab, comma, '|', ';' or blanks); with
 * may_have_header, a first line whose first field is not a number is a header and skipped
 * (otherwise it is a bad line like any other).  Each line is user, movie, rating[, timestamp]
 * (need_ts: the timestamp is required).  Ratings must lie in [d->rating_min, d->rating_max]
 * unless both are 0. */
rg_error_t rg_i_read_ratings_file(rg_dataset_t *d, const char *path, const char *delim,
                                  int need_ts, int may_have_header, int skip_bad);

#endif
