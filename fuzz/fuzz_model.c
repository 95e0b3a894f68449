/* fuzz_model.c: libFuzzer harness for rg_model_load (.rgm files).  Each input is loaded twice:
 * as it is (the SHA-256 refuses almost every mutation), and with the digest recomputed over the
 * bytes it covers, so mutations reach the section, tensor-table and history parsers.  A loaded
 * model must have every tensor inside its block. */
#include "fuzz_common.h"
#include "fuzz_rgm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void rgf_load(const char *path) {
    rg_model_t m;
    rg_error_clear();
    rg_error_t rc = rg_model_load(&m, path);
    rgf_check_error(rc);
    if (rc == RG_SUCCESS) {
        RGF_REQUIRE(m.ops != NULL && m.n_tensors >= 0 && m.n_tensors <= RG_MODEL_MAX_TENSORS);
        for (int i = 0; i < m.n_tensors; i++) {
            const rg_tensor_t *t = &m.tensors[i];
            size_t n = (size_t) t->rows * (size_t) t->cols;
            size_t total = t->dtype == RG_DTYPE_F32 ? m.n_params : m.n_ints;
            RGF_REQUIRE(t->offset <= total && n <= total - t->offset);
            RGF_REQUIRE(memchr(t->name, '\0', sizeof t->name) != NULL);
            if (n > 0) { /* read the first and the last element */
                if (t->dtype == RG_DTYPE_F32) {
                    volatile float x = m.params[t->offset] + m.params[t->offset + n - 1];
                    (void) x;
                } else {
                    volatile int32_t x = m.ints[t->offset] ^ m.ints[t->offset + n - 1];
                    (void) x;
                }
            }
        }
        for (int32_t e = 0; e < m.n_history; e++) {
            volatile double x = m.history[e].train_loss + m.history[e].val_loss;
            (void) x;
        }
    }
    rg_model_free(&m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char path[1024];
    rgf_write(path, sizeof path, "model.rgm", data, size);
    rgf_load(path);
    if (size < 16 + 5 * 16 + 32 || memcmp(data, "RGMODEL\n", 8) != 0) {
        return 0;
    }
    uint8_t *b = malloc(size);
    if (!b) {
        return 0;
    }
    memcpy(b, data, size);
    if (rgf_fix_digest(b, size)) {
        rgf_write(path, sizeof path, "model.rgm", b, size);
        rgf_load(path);
    }
    free(b);
    return 0;
}
