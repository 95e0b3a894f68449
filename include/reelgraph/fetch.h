/* fetch.h: download a MovieLens release, verify it and unpack it.
 *
 * The zip is fetched over HTTP(S) with libcurl into a temporary file, its MD5 is compared with the
 * checksum GroupLens publishes beside it (NAME.zip.md5) or with a digest the caller pins, and only
 * then is it unpacked with libarchive (no absolute paths, no "..", no symlinks out of the tree)
 * into a temporary directory that is renamed into place.  A truncated or corrupted download never
 * leaves a dataset directory behind.
 */
#ifndef REELGRAPH_FETCH_H
#define REELGRAPH_FETCH_H

#include <stdint.h>

#include "reelgraph/error.h"

#ifdef __cplusplus
extern "C" {
#endif

#define RG_FETCH_DEFAULT_BASE_URL "https://files.grouplens.org/datasets/movielens"

/* Names `reelgraph fetch` accepts, NULL-terminated. */
const char *const *rg_fetch_names(void);

typedef struct {
    const char *base_url;     /* NULL = RG_FETCH_DEFAULT_BASE_URL; the zip is BASE/NAME.zip */
    const char *md5;          /* expected hex MD5 of the zip; NULL = fetch BASE/NAME.zip.md5 */
    const char *sha256;       /* expected hex SHA-256 of the zip; NULL = not checked */
    long timeout_seconds;     /* 0 = no limit */
    /* Called as bytes arrive (total = -1 when unknown); may be NULL.  Tools draw the progress
     * bar; the library prints nothing. */
    void (*progress)(void *arg, int64_t done, int64_t total);
    void *progress_arg;
} rg_fetch_opts_t;

void rg_fetch_opts_default(rg_fetch_opts_t *o);

/* Downloads, verifies and unpacks NAME into dest_dir (created if needed).  The dataset ends up in
 * dest_dir/NAME; its path is written to path_out (size bytes).  An existing dest_dir/NAME is
 * replaced only after the new copy is complete.  Errors: RG_EINVAL (unknown name), RG_EIO
 * (network, disk), RG_EFORMAT (checksum mismatch, truncated or corrupted archive). */
rg_error_t rg_fetch(const char *name, const char *dest_dir, const rg_fetch_opts_t *o,
                    char *path_out, size_t size);

#ifdef __cplusplus
}
#endif
#endif
