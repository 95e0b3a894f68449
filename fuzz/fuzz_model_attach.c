/* fuzz_model_attach.c: libFuzzer harness for using a loaded model file: rg_model_load (digest
 * recomputed, fuzz_rgm.h), then rg_model_prepare on the small fuzz graph the seed models were
 * trained on (split, training graph, ops->attach), then predictions, scores and top-10 lists for
 * two users and a fold-in.  A model file that loads and matches the graph must not make attach,
 * predict or score read out of bounds (it may still be refused with an error). */
#include "fuzz_common.h"
#include "fuzz_fixed.h"
#include "fuzz_rgm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static rg_graph_t full;
    static int ready;
    char path[1024];
    if (!ready) {
        if (rgf_small_graph(&full) != RG_SUCCESS) {
            fprintf(stderr, "fuzz: cannot build the graph: %s\n", rg_last_error_message());
            abort();
        }
        ready = 1;
    }
    if (size < 16 + 5 * 16 + 32 || memcmp(data, "RGMODEL\n", 8) != 0) {
        return 0;
    }
    uint8_t *b = malloc(size);
    if (!b) {
        return 0;
    }
    memcpy(b, data, size);
    int fixed = rgf_fix_digest(b, size);
    rgf_write(path, sizeof path, "model.rgm", b, size);
    free(b);
    if (!fixed) {
        return 0;
    }
    rg_model_t m;
    rg_graph_t train;
    memset(&train, 0, sizeof train);
    uint8_t is_test[400];
    RGF_REQUIRE(full.n_ratings <= 400);
    rg_error_clear();
    rg_error_t rc = rg_model_load(&m, path);
    rgf_check_error(rc);
    if (rc == RG_SUCCESS) {
        rg_error_clear();
        rc = rg_model_prepare(&m, &full, &train, is_test);
        rgf_check_error(rc);
    }
    if (rc == RG_SUCCESS) {
        int32_t users[2] = {0, (int32_t) full.n_users - 1}, movies[2] = {3, 0};
        float pred[2], scores[64], top_s[10];
        int32_t top[10], n_out = 0;
        RGF_REQUIRE(full.n_movies <= 64);
        if (m.ops->predict) {
            rgf_check_error(m.ops->predict(&m, &train, 2, users, movies, pred));
        }
        for (int i = 0; i < 2; i++) {
            if (m.ops->score) {
                rgf_check_error(m.ops->score(&m, &train, users[i], scores));
            }
            rgf_check_error(rg_recommend(&m, &train, &full, users[i], 10, i, top, top_s, &n_out));
        }
        if (m.ops->fold_in) {
            int32_t rated[2] = {1, 4};
            float r[2] = {4.0f, 2.0f};
            rgf_check_error(rg_recommend_fold_in(&m, &train, 2, rated, r, 10, 0, top, top_s,
                                                 &n_out));
        }
    }
    rg_graph_free(&train);
    rg_model_free(&m);
    return 0;
}
