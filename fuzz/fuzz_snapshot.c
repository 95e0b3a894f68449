/* fuzz_snapshot.c: libFuzzer harness for rg_snapshot_load.  Each input is loaded twice: as it
 * is (the checksums refuse almost every mutation), and after its file size and both checksums
 * are recomputed, so mutations reach the structural checks behind them.  A graph the loader
 * accepts is walked like a command would walk it (fuzz_common.h): the loader must refuse every
 * file whose contents would make a command read out of bounds.
 *
 * Header fields patched (docs/formats.md): header_size u32 at 12, data_offset u64 at 64,
 * data_size u64 at 72, file_size u64 at 80; the data checksum and the header checksum are the
 * last two u64 of the header. */
#include "fuzz_common.h"
#include "graph/graph_store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void rgf_load(const char *path) {
    rg_graph_t g;
    rg_error_clear();
    rg_error_t rc = rg_snapshot_load(&g, path);
    rgf_check_error(rc);
    if (rc == RG_SUCCESS) {
        rgf_walk_graph(&g);
    }
    rg_graph_free(&g);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char path[1024];
    rgf_write(path, sizeof path, "graph.rg", data, size);
    rgf_load(path);

    if (size < 96 || memcmp(data, "RGSNAP\r\n", 8) != 0) {
        return 0;
    }
    uint8_t *b = malloc(size);
    if (!b) {
        return 0;
    }
    memcpy(b, data, size);
    uint32_t hs;
    uint64_t doff, dsize, fsize = size;
    memcpy(&hs, b + 12, 4);
    memcpy(&doff, b + 64, 8);
    memcpy(&dsize, b + 72, 8);
    if (hs >= 96 && hs % 8 == 0 && hs <= size && doff <= size && dsize <= size - doff) {
        uint64_t dsum = rg_i_hash(0, b + doff, (size_t) dsize);
        memcpy(b + 80, &fsize, 8);
        memcpy(b + hs - 16, &dsum, 8);
        uint64_t hsum = rg_i_hash(0, b, hs - 8);
        memcpy(b + hs - 8, &hsum, 8);
        rgf_write(path, sizeof path, "graph.rg", b, size);
        rgf_load(path);
    }
    free(b);
    return 0;
}
