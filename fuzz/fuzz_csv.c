/* fuzz_csv.c: libFuzzer harness for the generic delimited ratings reader (format csv: delimiter
 * detection, header detection, number parsing).  The first input byte picks the rating scale
 * (inferred, [1, 5] or [0.5, 10]) and skip_bad; the rest is the file. */
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char path[1024];
    if (size < 1) {
        return 0;
    }
    const uint8_t mode = data[0];
    rgf_write(path, sizeof path, "ratings.txt", data + 1, size - 1);
    rg_dataset_t d;
    rg_read_opts_t o;
    rg_dataset_init(&d);
    rg_read_opts_default(&o);
    o.format = RG_FORMAT_CSV;
    o.skip_bad = mode & 1;
    if ((mode >> 1) % 3 == 1) {
        o.rating_min = 1.0f;
        o.rating_max = 5.0f;
    } else if ((mode >> 1) % 3 == 2) {
        o.rating_min = 0.5f;
        o.rating_max = 10.0f;
    }
    rg_error_clear();
    rg_error_t rc = rg_dataset_read(&d, path, &o);
    rgf_check_error(rc);
    if (rc == RG_SUCCESS) {
        rg_graph_t g;
        rg_error_clear();
        rc = rg_graph_build(&g, &d, NULL);
        rgf_check_error(rc);
        if (rc == RG_SUCCESS) {
            rgf_walk_graph(&g);
        }
        rg_graph_free(&g);
    }
    rg_dataset_free(&d);
    return 0;
}
