/* rg_test.h: helpers shared by the cmocka tests: scratch paths, the real-data directory, and
 * small generated graphs. */
#ifndef RG_TEST_H
#define RG_TEST_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "reelgraph/reelgraph.h"

/* A fresh path under the test scratch directory ($RG_TEST_TMP or /tmp), unique per process:
 * writes "<tmp>/<pid>-<name>" into buf and returns buf. */
char *rgt_tmp_path(char *buf, size_t size, const char *name);

/* $RG_DATA_DIR/<sub> when RG_DATA_DIR is set and the path exists; otherwise NULL after printing a
 * visible "SKIP: ..." line (callers then call skip()). */
const char *rgt_data_path(char *buf, size_t size, const char *sub);

/* Asserts rc == RG_SUCCESS and prints the library message when it is not. */
#define RGT_OK(expr)                                                                  \
    do {                                                                              \
        rg_error_t rgt_rc_ = (expr);                                                  \
        if (rgt_rc_ != RG_SUCCESS) {                                                  \
            print_error("%s failed: %s\n", #expr, rg_last_error_message());          \
        }                                                                             \
        assert_int_equal(rgt_rc_, RG_SUCCESS);                                        \
    } while (0)

#endif
