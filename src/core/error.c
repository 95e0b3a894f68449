/* error.c: the thread-local error record, the optional handler and the allocation-failure hook
 * used by the fault-injection tests.  No printing here: tools print. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reelgraph/error.h"

static _Thread_local char rg_i_message[1024];
static _Thread_local rg_error_t rg_i_code;
static _Thread_local long rg_i_alloc_countdown;
static rg_error_handler_t *rg_i_handler; /* set once by a tool at start-up */

rg_error_t rg_error(rg_error_t code, const char *file, int line, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(rg_i_message, sizeof rg_i_message, fmt, ap);
    va_end(ap);
    rg_i_code = code;
    (void) file;
    (void) line;
    if (rg_i_handler) {
        rg_i_handler(code, rg_i_message);
    }
    return code;
}

const char *rg_strerror(rg_error_t code) {
    switch (code) {
    case RG_SUCCESS: return "success";
    case RG_ENOMEM: return "out of memory";
    case RG_EINVAL: return "invalid argument";
    case RG_ERANGE: return "value out of range";
    case RG_EIO: return "input/output error";
    case RG_EFORMAT: return "malformed input";
    case RG_EMISMATCH: return "model and graph do not match";
    case RG_EINTERNAL: return "internal error";
    }
    return "unknown error";
}

const char *rg_last_error_message(void) { return rg_i_message; }
rg_error_t rg_last_error_code(void) { return rg_i_code; }

void rg_error_clear(void) {
    rg_i_message[0] = '\0';
    rg_i_code = RG_SUCCESS;
}

rg_error_handler_t *rg_set_error_handler(rg_error_handler_t *handler) {
    rg_error_handler_t *old = rg_i_handler;
    rg_i_handler = handler;
    return old;
}

void rg_fail_alloc_after(long n) { rg_i_alloc_countdown = n; }

/* True when the injected failure fires for this allocation. */
static int rg_i_alloc_should_fail(void) {
    if (rg_i_alloc_countdown <= 0) {
        return 0;
    }
    return --rg_i_alloc_countdown == 0;
}

void *rg_malloc(size_t size) { return rg_i_alloc_should_fail() ? NULL : malloc(size ? size : 1); }
void *rg_calloc(size_t n, size_t size) {
    return rg_i_alloc_should_fail() ? NULL : calloc(n ? n : 1, size ? size : 1);
}
void *rg_realloc(void *p, size_t size) {
    return rg_i_alloc_should_fail() ? NULL : realloc(p, size ? size : 1);
}
