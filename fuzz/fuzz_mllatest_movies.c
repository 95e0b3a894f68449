/* fuzz_mllatest_movies.c: libFuzzer harness for the ml-latest movie reader (quoted CSV titles).
 * The input is movies.csv of a dataset directory, read with format RG_FORMAT_MLLATEST (strictly
 * and with skip_bad), built into a store and walked. */
#include "fuzz_common.h"
#include "fuzz_fixed.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static const char *const fixed[] = {"ratings.csv", RGF_MLLATEST_RATINGS, NULL};
    rgf_dataset_dir(RG_FORMAT_MLLATEST, "movies.csv", data, size, fixed);
    return 0;
}
