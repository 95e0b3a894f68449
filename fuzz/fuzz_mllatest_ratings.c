/* fuzz_mllatest_ratings.c: libFuzzer harness for the ml-latest ratings reader.  The input is
 * ratings.csv of a dataset directory, read with format RG_FORMAT_MLLATEST (strictly and with
 * skip_bad), built into a store and walked. */
#include "fuzz_common.h"
#include "fuzz_fixed.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static const char *const fixed[] = {NULL};
    rgf_dataset_dir(RG_FORMAT_MLLATEST, "ratings.csv", data, size, fixed);
    return 0;
}
