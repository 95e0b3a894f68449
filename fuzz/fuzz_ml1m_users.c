/* fuzz_ml1m_users.c: libFuzzer harness for the ML-1M user reader.  The input is users.dat of a
 * dataset directory, read with format RG_FORMAT_ML1M (strictly and with skip_bad), built into a
 * store and walked. */
#include "fuzz_common.h"
#include "fuzz_fixed.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static const char *const fixed[] = {"ratings.dat", RGF_ML1M_RATINGS, NULL};
    rgf_dataset_dir(RG_FORMAT_ML1M, "users.dat", data, size, fixed);
    return 0;
}
