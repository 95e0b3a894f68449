/* error.h: return codes and the thread-local error message.
 *
 * Every library function that can fail returns rg_error_t and records a message naming what
 * was wrong (file, line of input, argument).  The library never prints, exits or aborts; the
 * tools decide what to show and which exit code to use.  A breakpoint on rg_error catches
 * every error raised anywhere.
 */
#ifndef REELGRAPH_ERROR_H
#define REELGRAPH_ERROR_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    RG_SUCCESS = 0,
    RG_ENOMEM,    /* allocation failed */
    RG_EINVAL,    /* bad argument or bad usage */
    RG_ERANGE,    /* value outside the allowed range (rating scale, id) */
    RG_EIO,       /* a file could not be opened, read or written */
    RG_EFORMAT,   /* malformed input: a bad line, a corrupted or truncated file */
    RG_EMISMATCH, /* a model file used with a graph it was not trained on */
    RG_EINTERNAL  /* a bug: an invariant did not hold */
} rg_error_t;

/* Records code, source location and a printf-style message in thread-local storage, calls the
 * installed handler (if any) and returns code. */
rg_error_t rg_error(rg_error_t code, const char *file, int line, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;

const char *rg_strerror(rg_error_t code);
/* The message of the last error raised on this thread ("" when none). */
const char *rg_last_error_message(void);
rg_error_t rg_last_error_code(void);
void rg_error_clear(void);

/* A handler is called on every rg_error; NULL (the default) only records the message. */
typedef void rg_error_handler_t(rg_error_t code, const char *message);
rg_error_handler_t *rg_set_error_handler(rg_error_handler_t *handler);

/* Allocation-failure injection for tests: the n-th allocation made through rg_malloc/rg_calloc/
 * rg_realloc from now on (1-based) fails; 0 disables.  Thread-local. */
void rg_fail_alloc_after(long n);
void *rg_malloc(size_t size);
void *rg_calloc(size_t n, size_t size);
void *rg_realloc(void *p, size_t size);

#define RG_ERROR(code, ...) return rg_error((code), __FILE__, __LINE__, __VA_ARGS__)
/* For functions with a local `rg_error_t rc` and a `cleanup:` label. */
#define RG_FAIL(code, ...)                                       \
    do {                                                         \
        rc = rg_error((code), __FILE__, __LINE__, __VA_ARGS__);  \
        goto cleanup;                                            \
    } while (0)
#define RG_CHECK(expr)                   \
    do {                                 \
        rg_error_t rg_rc_ = (expr);      \
        if (rg_rc_ != RG_SUCCESS) {      \
            return rg_rc_;               \
        }                                \
    } while (0)
/* RG_CHECK for functions with a `cleanup:` label. */
#define RG_TRY(expr)                     \
    do {                                 \
        rc = (expr);                     \
        if (rc != RG_SUCCESS) {          \
            goto cleanup;                \
        }                                \
    } while (0)

#ifdef __cplusplus
}
#endif
#endif
