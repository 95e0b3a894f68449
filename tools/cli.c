/* cli.c: shared plumbing of the subcommands (see cli.h). */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

int cli_exit_code(rg_error_t rc) {
    switch (rc) {
    case RG_SUCCESS: return RG_EXIT_OK;
    case RG_ENOMEM:
    case RG_EINTERNAL: return RG_EXIT_INTERNAL;
    default: return RG_EXIT_USAGE;
    }
}

int cli_fail(const char *cmd, rg_error_t rc) {
    const char *msg = rg_last_error_message();
    fprintf(stderr, "reelgraph %s: %s\n", cmd, msg[0] ? msg : rg_strerror(rc));
    return cli_exit_code(rc);
}

int cli_usage_error(const char *cmd, const char *fmt, ...) {
    va_list ap;
    fprintf(stderr, "reelgraph %s: ", cmd);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n(try 'reelgraph %s --help')\n", cmd);
    return RG_EXIT_USAGE;
}

int cli_is_help(const char *arg) { return !strcmp(arg, "-h") || !strcmp(arg, "--help"); }

int cli_flag(char **argv, int i, const char *name) { return !strcmp(argv[i], name); }

int cli_opt(const char *cmd, int argc, char **argv, int *i, const char *name, const char **value) {
    const char *a = argv[*i];
    size_t n = strlen(name);
    if (strncmp(a, name, n) != 0) {
        return 0;
    }
    if (a[n] == '=') {
        *value = a + n + 1;
        return 1;
    }
    if (a[n] != '\0') {
        return 0;
    }
    if (*i + 1 >= argc) {
        cli_usage_error(cmd, "option %s needs a value", name);
        return -1;
    }
    *i += 1;
    *value = argv[*i];
    return 1;
}

int cli_parse_i64(const char *cmd, const char *opt, const char *s, int64_t lo, int64_t hi,
                  int64_t *out) {
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || end == s || *end != '\0' || v < lo || v > hi) {
        cli_usage_error(cmd, "%s: '%s' is not a whole number in [%lld, %lld]", opt, s,
                        (long long) lo, (long long) hi);
        return -1;
    }
    *out = v;
    return 0;
}

int cli_parse_i32(const char *cmd, const char *opt, const char *s, int32_t lo, int32_t hi,
                  int32_t *out) {
    int64_t v;
    if (cli_parse_i64(cmd, opt, s, lo, hi, &v)) {
        return -1;
    }
    *out = (int32_t) v;
    return 0;
}

int cli_parse_u64(const char *cmd, const char *opt, const char *s, uint64_t *out) {
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || end == s || *end != '\0' || s[0] == '-') {
        cli_usage_error(cmd, "%s: '%s' is not a non-negative whole number", opt, s);
        return -1;
    }
    *out = v;
    return 0;
}

int cli_parse_f64(const char *cmd, const char *opt, const char *s, double lo, double hi,
                  double *out) {
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end != '\0' || !(v >= lo && v <= hi)) {
        cli_usage_error(cmd, "%s: '%s' is not a number in [%g, %g]", opt, s, lo, hi);
        return -1;
    }
    *out = v;
    return 0;
}

int cli_parse_list_i32(const char *cmd, const char *opt, const char *s, int32_t *out, int max) {
    int n = 0;
    const char *p = s;
    while (*p) {
        char *end;
        errno = 0;
        long v = strtol(p, &end, 10);
        if (errno || end == p || v < 0 || v > INT32_MAX || (*end != ',' && *end != '\0') ||
            n == max) {
            cli_usage_error(cmd, "%s: '%s' is not a list of at most %d non-negative numbers "
                            "separated by commas", opt, s, max);
            return -1;
        }
        out[n++] = (int32_t) v;
        p = *end == ',' ? end + 1 : end;
    }
    if (n == 0) {
        cli_usage_error(cmd, "%s: empty list", opt);
        return -1;
    }
    return n;
}

/* ---- JSON ---- */

void json_init(json_t *j, FILE *f) {
    memset(j, 0, sizeof *j);
    j->f = f;
}

static void json_i_sep(json_t *j) {
    if (j->after_key) {
        j->after_key = 0;
        return;
    }
    if (j->need_comma[j->depth]) {
        fputc(',', j->f);
    }
    j->need_comma[j->depth] = 1;
}

static void json_i_open(json_t *j, char c) {
    json_i_sep(j);
    fputc(c, j->f);
    if (j->depth < 63) {
        j->depth++;
    }
    j->need_comma[j->depth] = 0;
}

static void json_i_close(json_t *j, char c) {
    fputc(c, j->f);
    if (j->depth > 0) {
        j->depth--;
    }
}

void json_object_begin(json_t *j) { json_i_open(j, '{'); }
void json_object_end(json_t *j) { json_i_close(j, '}'); }
void json_array_begin(json_t *j) { json_i_open(j, '['); }
void json_array_end(json_t *j) { json_i_close(j, ']'); }

static void json_i_string(FILE *f, const char *s) {
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *) s; *p; p++) {
        switch (*p) {
        case '"': fputs("\\\"", f); break;
        case '\\': fputs("\\\\", f); break;
        case '\n': fputs("\\n", f); break;
        case '\r': fputs("\\r", f); break;
        case '\t': fputs("\\t", f); break;
        default:
            if (*p < 0x20) {
                fprintf(f, "\\u%04x", *p);
            } else {
                fputc(*p, f);
            }
        }
    }
    fputc('"', f);
}

void json_key(json_t *j, const char *key) {
    json_i_sep(j);
    json_i_string(j->f, key);
    fputc(':', j->f);
    j->after_key = 1;
}

void json_str(json_t *j, const char *s) {
    json_i_sep(j);
    if (s) {
        json_i_string(j->f, s);
    } else {
        fputs("null", j->f);
    }
}

void json_int(json_t *j, int64_t v) {
    json_i_sep(j);
    fprintf(j->f, "%lld", (long long) v);
}

void json_num(json_t *j, double v) {
    json_i_sep(j);
    if (isfinite(v)) {
        fprintf(j->f, "%.10g", v);
    } else {
        fputs("null", j->f);
    }
}

void json_bool(json_t *j, int v) {
    json_i_sep(j);
    fputs(v ? "true" : "false", j->f);
}

void json_null(json_t *j) {
    json_i_sep(j);
    fputs("null", j->f);
}

void json_graph_sizes(json_t *j, const char *path, const rg_graph_t *g) {
    json_key(j, "graph");
    json_str(j, path);
    json_key(j, "dataset");
    json_str(j, g->name);
    json_key(j, "users");
    json_int(j, g->n_users);
    json_key(j, "movies");
    json_int(j, g->n_movies);
    json_key(j, "ratings");
    json_int(j, g->n_ratings);
}

void json_finish(json_t *j) {
    fputc('\n', j->f);
    fflush(j->f);
}

/* ---- progress ---- */

double cli_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double) ts.tv_sec + 1e-9 * (double) ts.tv_nsec;
}

void progress_init(progress_t *p, int quiet) {
    p->tty = isatty(STDERR_FILENO);
    p->quiet = quiet;
    p->t0 = cli_now();
}

void progress_update(progress_t *p, const char *fmt, ...) {
    if (p->quiet) {
        return;
    }
    va_list ap;
    va_start(ap, fmt);
    if (p->tty) {
        fputs("\r\033[K", stderr);
    }
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    if (!p->tty) {
        fputc('\n', stderr);
    }
    fflush(stderr);
}

void progress_done(progress_t *p) {
    if (!p->quiet && p->tty) {
        fputc('\n', stderr);
    }
}
