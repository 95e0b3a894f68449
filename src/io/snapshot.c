/* snapshot.c: the .rg snapshot file (io.h, format in docs/formats.md).
 *
 * A snapshot is a fixed header (magic, version, sizes, scalars, section table, checksums) padded
 * to a page boundary, followed byte for byte by the graph's memory block.  Loading maps the file
 * read-only and points the graph into the mapping: no parsing, no copy.  The header checksum and
 * a word-wise checksum of the whole block are verified on load, so a truncated or corrupted file
 * is refused (integrity, not protection against a crafted file).  Little-endian hosts only; the
 * header records the byte order and a foreign one is refused.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "graph/graph_store.h"
#include "reelgraph/io.h"

#define RG_SNAP_MAGIC "RGSNAP\r\n"
#define RG_SNAP_VERSION 1u
#define RG_SNAP_ENDIAN 0x01020304u
#define RG_SNAP_PAGE 4096u

typedef struct {
    char magic[8];
    uint32_t version;
    uint32_t header_size;
    uint32_t endian;
    uint32_t n_sections;
    int64_t n_users, n_movies, n_ratings, title_bytes, zip_bytes;
    uint64_t data_offset, data_size, file_size;
    float rating_min, rating_max;
    int32_t n_genres, n_occupations, has_demographics, reserved;
    uint64_t fingerprint;
    char name[RG_NAME_MAX];
    char genre_names[RG_MAX_GENRES][RG_NAME_MAX];
    char occupation_names[RG_MAX_OCCUPATIONS][RG_NAME_MAX];
    uint64_t sec_offset[RG_SEC_COUNT]; /* from data_offset */
    uint64_t sec_size[RG_SEC_COUNT];
    uint64_t data_checksum;            /* rg_i_hash of the data_size bytes at data_offset */
    uint64_t header_checksum;          /* rg_i_hash of every header byte before this field */
} rg_i_snap_header_t;

static uint64_t rg_i_data_offset(void) {
    return (sizeof(rg_i_snap_header_t) + RG_SNAP_PAGE - 1) / RG_SNAP_PAGE * RG_SNAP_PAGE;
}

/* Writes all n bytes, retrying short writes. */
static rg_error_t rg_i_write_all(int fd, const void *buf, size_t n, const char *path) {
    const char *p = buf;
    while (n > 0) {
        ssize_t w = write(fd, p, n > (1u << 30) ? (1u << 30) : n);
        if (w < 0) {
            if (errno == EINTR) {
                continue;
            }
            RG_ERROR(RG_EIO, "%s: write failed: %s", path, strerror(errno));
        }
        p += w;
        n -= (size_t) w;
    }
    return RG_SUCCESS;
}

rg_error_t rg_snapshot_write(const rg_graph_t *g, const char *path) {
    rg_error_t rc = RG_SUCCESS;
    rg_i_snap_header_t *h = NULL;
    char *tmp = NULL;
    int fd = -1;
    rg_i_layout_t l;
    if (!g->mem || !g->movie_title_off || !g->user_zip_off) {
        RG_ERROR(RG_EINVAL, "%s: cannot write an empty (unbuilt) graph", path);
    }
    RG_CHECK(rg_i_layout_compute(&l, g->n_users, g->n_movies, g->n_ratings,
                                 g->movie_title_off[g->n_movies], g->user_zip_off[g->n_users]));
    if (g->mem_size != l.total) {
        RG_ERROR(RG_EINVAL, "%s: the graph has no block of the expected layout (%zu bytes, "
                 "expected %llu)", path, g->mem_size, (unsigned long long) l.total);
    }
    const uint64_t data_offset = rg_i_data_offset();
    h = rg_calloc(1, (size_t) data_offset);
    size_t plen = strlen(path);
    tmp = rg_malloc(plen + 16);
    if (!h || !tmp) {
        RG_FAIL(RG_ENOMEM, "%s: cannot allocate the snapshot header", path);
    }
    memcpy(h->magic, RG_SNAP_MAGIC, 8);
    h->version = RG_SNAP_VERSION;
    h->header_size = (uint32_t) sizeof *h;
    h->endian = RG_SNAP_ENDIAN;
    h->n_sections = RG_SEC_COUNT;
    h->n_users = l.n_users;
    h->n_movies = l.n_movies;
    h->n_ratings = l.n_ratings;
    h->title_bytes = l.title_bytes;
    h->zip_bytes = l.zip_bytes;
    h->data_offset = data_offset;
    h->data_size = l.total;
    h->file_size = data_offset + l.total;
    h->rating_min = g->rating_min;
    h->rating_max = g->rating_max;
    h->n_genres = g->n_genres;
    h->n_occupations = g->n_occupations;
    h->has_demographics = g->has_demographics;
    h->fingerprint = g->fingerprint;
    memcpy(h->name, g->name, sizeof h->name);
    memcpy(h->genre_names, g->genre_names, sizeof h->genre_names);
    memcpy(h->occupation_names, g->occupation_names, sizeof h->occupation_names);
    for (int s = 0; s < RG_SEC_COUNT; s++) {
        h->sec_offset[s] = l.offset[s];
        h->sec_size[s] = l.size[s];
    }
    h->data_checksum = rg_i_hash(0, g->mem, g->mem_size);
    h->header_checksum = rg_i_hash(0, h, offsetof(rg_i_snap_header_t, header_checksum));

    /* atomic replace: a temporary file in the same directory, synced, then renamed */
    snprintf(tmp, plen + 16, "%s.tmpXXXXXX", path);
    fd = mkstemp(tmp);
    if (fd < 0) {
        RG_FAIL(RG_EIO, "%s: cannot create a temporary file next to it: %s", path,
                strerror(errno));
    }
    RG_TRY(rg_i_write_all(fd, h, (size_t) data_offset, path));
    RG_TRY(rg_i_write_all(fd, g->mem, g->mem_size, path));
    if (fchmod(fd, 0644) != 0 || fsync(fd) != 0) {
        RG_FAIL(RG_EIO, "%s: cannot sync the snapshot: %s", path, strerror(errno));
    }
    if (close(fd) != 0) {
        fd = -1;
        RG_FAIL(RG_EIO, "%s: close failed: %s", path, strerror(errno));
    }
    fd = -1;
    if (rename(tmp, path) != 0) {
        RG_FAIL(RG_EIO, "%s: cannot rename the temporary snapshot into place: %s", path,
                strerror(errno));
    }
    tmp[0] = '\0'; /* renamed: nothing to remove */

cleanup:
    if (fd >= 0) {
        close(fd);
    }
    if (tmp && tmp[0]) {
        unlink(tmp);
    }
    free(tmp);
    free(h);
    return rc;
}

/* Cheap structural checks after the checksum: monotone offsets ending where they must. */
static int rg_i_ptr_ok(const int64_t *ptr, int64_t n, int64_t last) {
    if (ptr[0] != 0 || ptr[n] != last) {
        return 0;
    }
    for (int64_t i = 0; i < n; i++) {
        if (ptr[i + 1] < ptr[i]) {
            return 0;
        }
    }
    return 1;
}

/* The contents the checksums cannot vouch for: a file crafted with valid checksums (or written by
 * a buggy writer) must not make a command read out of bounds, so every id an array holds is in
 * range, each user's movies ascend (binary searches), both dataset-id lists ascend, each
 * movie-major entry names an edge of its user that points back at the movie, every title and
 * zip ends inside its section and ratings lie on the (finite) scale (genre bits and
 * demographics are bounds-checked where they are used).  Returns NULL when all hold, else the
 * reason.
 * O(U + M + E), one pass over arrays the checksum has just read. */
static const char *rg_i_snap_content_error(const rg_graph_t *g, const rg_i_layout_t *l,
                                           float rmin, float rmax) {
    const int64_t U = l->n_users, M = l->n_movies;
    if (!(rmin <= rmax) || !isfinite(rmin) || !isfinite(rmax)) {
        return "the rating scale is empty or not finite";
    }
    for (int64_t u = 0; u < U; u++) {
        if (u > 0 && !(g->user_ext[u - 1] < g->user_ext[u])) {
            return "user ids are not ascending";
        }
        for (int64_t e = g->user_ptr[u]; e < g->user_ptr[u + 1]; e++) {
            if (g->user_adj[e] < 0 || g->user_adj[e] >= M ||
                (e > g->user_ptr[u] && g->user_adj[e - 1] >= g->user_adj[e])) {
                return "a user's movies are out of range or not ascending";
            }
            if (!(g->rating[e] >= rmin && g->rating[e] <= rmax)) {
                return "a rating lies outside the rating scale";
            }
        }
        if (g->user_zip_off[u + 1] <= g->user_zip_off[u] ||
            g->user_zips[g->user_zip_off[u + 1] - 1] != '\0') {
            return "a zip code is not terminated inside its section";
        }
    }
    for (int64_t m = 0; m < M; m++) {
        if (m > 0 && !(g->movie_ext[m - 1] < g->movie_ext[m])) {
            return "movie ids are not ascending";
        }
        for (int64_t j = g->movie_ptr[m]; j < g->movie_ptr[m + 1]; j++) {
            const int64_t u = g->movie_adj[j], e = g->movie_eid[j];
            if (u < 0 || u >= U || e < g->user_ptr[u] || e >= g->user_ptr[u + 1] ||
                g->user_adj[e] != m) {
                return "a movie's raters do not match the users' edges";
            }
        }
        if (g->movie_title_off[m + 1] <= g->movie_title_off[m] ||
            g->movie_titles[g->movie_title_off[m + 1] - 1] != '\0') {
            return "a title is not terminated inside its section";
        }
    }
    return NULL;
}

rg_error_t rg_snapshot_load(rg_graph_t *g, const char *path) {
    rg_error_t rc = RG_SUCCESS;
    int fd = -1;
    void *base = MAP_FAILED;
    size_t size = 0;
    memset(g, 0, sizeof *g);
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        RG_FAIL(RG_EIO, "%s: cannot open: %s", path, strerror(errno));
    }
    struct stat st;
    if (fstat(fd, &st) != 0) {
        RG_FAIL(RG_EIO, "%s: cannot stat: %s", path, strerror(errno));
    }
    size = (size_t) st.st_size;
    if (size < 8) {
        RG_FAIL(RG_EFORMAT, "%s: not a reelgraph snapshot (only %zu bytes)", path, size);
    }
    base = mmap(NULL, size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
    if (base == MAP_FAILED) {
        RG_FAIL(RG_EIO, "%s: cannot map %zu bytes: %s", path, size, strerror(errno));
    }
    const rg_i_snap_header_t *h = base;
    if (memcmp(h->magic, RG_SNAP_MAGIC, 8) != 0) {
        RG_FAIL(RG_EFORMAT, "%s: not a reelgraph snapshot (bad magic; make one with "
                "'reelgraph import')", path);
    }
    if (size < sizeof *h) {
        RG_FAIL(RG_EFORMAT, "%s: truncated snapshot: %zu bytes, shorter than its %zu-byte header",
                path, size, sizeof *h);
    }
    if (h->endian != RG_SNAP_ENDIAN) {
        RG_FAIL(RG_EFORMAT, "%s: snapshot written on a machine of the other byte order", path);
    }
    if (h->version != RG_SNAP_VERSION) {
        RG_FAIL(RG_EFORMAT, "%s: snapshot format version %u, this build reads version %u; "
                "re-import the dataset", path, h->version, RG_SNAP_VERSION);
    }
    if (h->header_size != sizeof *h || h->n_sections != RG_SEC_COUNT ||
        h->header_checksum != rg_i_hash(0, h, offsetof(rg_i_snap_header_t, header_checksum))) {
        RG_FAIL(RG_EFORMAT, "%s: corrupted snapshot: the header checksum does not match", path);
    }
    if (h->file_size != size) {
        RG_FAIL(RG_EFORMAT, "%s: %s snapshot: the header says %llu bytes, the file has %zu", path,
                size < h->file_size ? "truncated" : "corrupted",
                (unsigned long long) h->file_size, size);
    }
    rg_i_layout_t l;
    if (rg_i_layout_compute(&l, h->n_users, h->n_movies, h->n_ratings, h->title_bytes,
                            h->zip_bytes) != RG_SUCCESS ||
        h->data_offset != rg_i_data_offset() || h->data_size != l.total ||
        h->data_offset + h->data_size != h->file_size ||
        memcmp(h->sec_offset, l.offset, sizeof l.offset) != 0 ||
        memcmp(h->sec_size, l.size, sizeof l.size) != 0 || h->n_genres < 0 ||
        h->n_genres > RG_MAX_GENRES || h->n_occupations < 0 ||
        h->n_occupations > RG_MAX_OCCUPATIONS || h->n_users > INT32_MAX ||
        h->n_movies > INT32_MAX) {
        RG_FAIL(RG_EFORMAT, "%s: corrupted snapshot: the section table does not match the sizes",
                path);
    }
    char *data = (char *) base + h->data_offset;
    if (rg_i_hash(0, data, (size_t) h->data_size) != h->data_checksum) {
        RG_FAIL(RG_EFORMAT, "%s: corrupted snapshot: the data checksum does not match", path);
    }
    rg_i_layout_point(g, &l, data);
    if (!rg_i_ptr_ok(g->user_ptr, l.n_users, l.n_ratings) ||
        !rg_i_ptr_ok(g->movie_ptr, l.n_movies, l.n_ratings) ||
        !rg_i_ptr_ok(g->movie_title_off, l.n_movies, l.title_bytes) ||
        !rg_i_ptr_ok(g->user_zip_off, l.n_users, l.zip_bytes)) {
        RG_FAIL(RG_EFORMAT, "%s: corrupted snapshot: inconsistent CSR offsets", path);
    }
    const char *why = rg_i_snap_content_error(g, &l, h->rating_min, h->rating_max);
    if (why) {
        RG_FAIL(RG_EFORMAT, "%s: corrupted snapshot: %s", path, why);
    }
    g->rating_min = h->rating_min;
    g->rating_max = h->rating_max;
    memcpy(g->name, h->name, sizeof g->name);
    g->name[RG_NAME_MAX - 1] = '\0';
    g->n_genres = h->n_genres;
    memcpy(g->genre_names, h->genre_names, sizeof g->genre_names);
    g->n_occupations = h->n_occupations;
    memcpy(g->occupation_names, h->occupation_names, sizeof g->occupation_names);
    for (int k = 0; k < RG_MAX_GENRES; k++) {
        g->genre_names[k][RG_NAME_MAX - 1] = '\0';
    }
    for (int k = 0; k < RG_MAX_OCCUPATIONS; k++) {
        g->occupation_names[k][RG_NAME_MAX - 1] = '\0';
    }
    g->has_demographics = h->has_demographics != 0;
    g->fingerprint = h->fingerprint;
    g->mem = data;
    g->mem_size = (size_t) h->data_size;
    g->mem_mapped = 1;
    g->map_base = base;
    g->map_size = size;
    base = MAP_FAILED; /* owned by g now */

cleanup:
    if (fd >= 0) {
        close(fd);
    }
    if (base != MAP_FAILED) {
        munmap(base, size);
    }
    if (rc != RG_SUCCESS) {
        memset(g, 0, sizeof *g);
    }
    return rc;
}
