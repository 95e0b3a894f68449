/* cli.h: what every subcommand shares: option matching, number parsing with clear errors, exit
 * codes, a streaming JSON writer and a progress line.  Tools only; the library never prints. */
#ifndef REELGRAPH_CLI_H
#define REELGRAPH_CLI_H

#include <stdint.h>
#include <stdio.h>

#include "reelgraph/reelgraph.h"

/* Exit codes of the command-line contract. */
enum { RG_EXIT_OK = 0, RG_EXIT_USAGE = 1, RG_EXIT_INTERNAL = 2 };

/* Exit code for a library error: bad input -> 1, memory / internal -> 2. */
int cli_exit_code(rg_error_t rc);
/* Prints "reelgraph CMD: <library message>" on stderr and returns the exit code. */
int cli_fail(const char *cmd, rg_error_t rc);
/* Prints "reelgraph CMD: <formatted>\n(try 'reelgraph CMD --help')" and returns RG_EXIT_USAGE. */
int cli_usage_error(const char *cmd, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* Matches argv[*i] against "--name" (taking the next argument as its value) or "--name=value".
 * Returns 1 on a match (value set, *i advanced past the value), 0 when it is another option, -1
 * when the value is missing (an error was printed for cmd). */
int cli_opt(const char *cmd, int argc, char **argv, int *i, const char *name, const char **value);
/* Matches a flag without value. */
int cli_flag(char **argv, int i, const char *name);
/* True for -h / --help. */
int cli_is_help(const char *arg);

/* Strict number parsing: the whole string must be a number in range; prints an error naming
 * the option and returns -1 on failure, 0 on success. */
int cli_parse_i64(const char *cmd, const char *opt, const char *s, int64_t lo, int64_t hi,
                  int64_t *out);
int cli_parse_i32(const char *cmd, const char *opt, const char *s, int32_t lo, int32_t hi,
                  int32_t *out);
int cli_parse_f64(const char *cmd, const char *opt, const char *s, double lo, double hi,
                  double *out);
int cli_parse_u64(const char *cmd, const char *opt, const char *s, uint64_t *out);
/* "10,5" -> {10, 5}; at most max values. Returns the count or -1. */
int cli_parse_list_i32(const char *cmd, const char *opt, const char *s, int32_t *out, int max);

/* ---- JSON writer: one object on stdout, keys and values appended in order ---- */
typedef struct {
    FILE *f;
    int depth;
    int need_comma[64];
    int after_key;
} json_t;

void json_init(json_t *j, FILE *f);
void json_object_begin(json_t *j);
void json_object_end(json_t *j);
void json_array_begin(json_t *j);
void json_array_end(json_t *j);
void json_key(json_t *j, const char *key);
void json_str(json_t *j, const char *s); /* UTF-8 in, escaped out */
void json_int(json_t *j, int64_t v);
void json_num(json_t *j, double v);      /* NaN / inf -> null */
void json_bool(json_t *j, int v);
void json_null(json_t *j);
/* The keys every graph-level command starts with: graph (path), dataset, users, movies,
 * ratings. */
void json_graph_sizes(json_t *j, const char *path, const rg_graph_t *g);
/* Ends the document with a newline. */
void json_finish(json_t *j);

/* ---- progress on stderr: a rewritten line on a terminal, plain lines otherwise ---- */
typedef struct {
    int tty;
    int quiet;
    double t0;
} progress_t;

void progress_init(progress_t *p, int quiet);
/* printf-style status; on a tty it overwrites the previous status line. */
void progress_update(progress_t *p, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
void progress_done(progress_t *p);
double cli_now(void); /* monotonic seconds */

#endif
