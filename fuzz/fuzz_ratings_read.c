/* fuzz_ratings_read.c: libFuzzer harness for rg_ratings_read (held-out test files such as
 * u1.test given to --test-file): the input is the file. */
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char path[1024];
    rg_rating_t *r = NULL;
    int64_t n = -1;
    rgf_write(path, sizeof path, "held-out.test", data, size);
    rg_error_clear();
    rg_error_t rc = rg_ratings_read(path, &r, &n);
    rgf_check_error(rc);
    if (rc == RG_SUCCESS) {
        RGF_REQUIRE(n >= 0 && (n == 0 || r != NULL));
        double sum = 0.0;
        for (int64_t i = 0; i < n; i++) {
            sum += (double) r[i].rating + (double) (r[i].user ^ r[i].movie) + (double) r[i].ts;
        }
        (void) sum;
        free(r);
    }
    return 0;
}
