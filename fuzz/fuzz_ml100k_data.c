/* fuzz_ml100k_data.c: libFuzzer harness for the ML-100K ratings reader.  The input is u.data of
 * a dataset directory, read with format RG_FORMAT_ML100K (strictly and with skip_bad), built
 * into a store and walked. */
#include "fuzz_common.h"
#include "fuzz_fixed.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static const char *const fixed[] = {NULL};
    rgf_dataset_dir(RG_FORMAT_ML100K, "u.data", data, size, fixed);
    return 0;
}
