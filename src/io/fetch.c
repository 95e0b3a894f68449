/* fetch.c: download, verify and unpack a MovieLens release (see fetch.h).
 *
 * libcurl does the transfer (redirects, TLS, a truncated body is CURLE_PARTIAL_FILE), libcrypto's
 * EVP digests check the bytes, libarchive unpacks the zip with its secure-extraction flags.  Each
 * is a well-kept Debian library doing a job that hand-written code would do worse.
 */
#include <ctype.h>
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>
#include <curl/curl.h>
#include <openssl/evp.h>

#include "reelgraph/fetch.h"

static const char *const rg_i_fetch_names[] = {"ml-100k", "ml-1m", "ml-latest-small", "ml-25m",
                                                "ml-32m", NULL};

const char *const *rg_fetch_names(void) { return rg_i_fetch_names; }

void rg_fetch_opts_default(rg_fetch_opts_t *o) { memset(o, 0, sizeof *o); }

/* ---- download ---- */

typedef struct {
    FILE *f;
    const rg_fetch_opts_t *o;
} rg_i_sink_t;

static size_t rg_i_write(char *data, size_t size, size_t n, void *arg) {
    rg_i_sink_t *s = arg;
    return fwrite(data, size, n, s->f) * size;
}

static int rg_i_xfer(void *arg, curl_off_t total, curl_off_t done, curl_off_t ut, curl_off_t un) {
    (void) ut;
    (void) un;
    rg_i_sink_t *s = arg;
    if (s->o->progress) {
        s->o->progress(s->o->progress_arg, (int64_t) done, total > 0 ? (int64_t) total : -1);
    }
    return 0;
}

/* GETs url into the open file f; fails on HTTP errors and short bodies. */
static rg_error_t rg_i_download(const char *url, FILE *f, const rg_fetch_opts_t *o) {
    static const rg_fetch_opts_t quiet; /* no progress for the small checksum file */
    rg_i_sink_t sink = {f, o ? o : &quiet};
    CURL *c = curl_easy_init();
    if (!c) {
        RG_ERROR(RG_ENOMEM, "cannot start an HTTP transfer (curl_easy_init failed)");
    }
    char err[CURL_ERROR_SIZE] = "";
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(c, CURLOPT_FAILONERROR, 1L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, rg_i_write);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &sink);
    curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, rg_i_xfer);
    curl_easy_setopt(c, CURLOPT_XFERINFODATA, &sink);
    curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, err);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "reelgraph-fetch/" "0.1");
    if (sink.o->timeout_seconds > 0) {
        curl_easy_setopt(c, CURLOPT_TIMEOUT, sink.o->timeout_seconds);
    }
    CURLcode cc = curl_easy_perform(c);
    curl_easy_cleanup(c);
    if (fflush(f) != 0 || ferror(f)) {
        RG_ERROR(RG_EIO, "%s: cannot write the download to disk: %s", url, strerror(errno));
    }
    if (cc == CURLE_PARTIAL_FILE) {
        RG_ERROR(RG_EFORMAT, "%s: download truncated (the server sent fewer bytes than announced)",
                 url);
    }
    if (cc != CURLE_OK) {
        RG_ERROR(RG_EIO, "%s: download failed: %s", url, err[0] ? err : curl_easy_strerror(cc));
    }
    return RG_SUCCESS;
}

/* ---- digests ---- */

/* Hex digest of a file with the given EVP algorithm into hex (at least 2*64+1 bytes). */
static rg_error_t rg_i_digest_file(const char *path, const EVP_MD *md, char *hex) {
    unsigned char buf[1 << 16], out[EVP_MAX_MD_SIZE];
    unsigned int n_out = 0;
    rg_error_t rc = RG_SUCCESS;
    FILE *f = fopen(path, "rb");
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    if (!f || !ctx) {
        RG_FAIL(f ? RG_ENOMEM : RG_EIO, "%s: cannot hash: %s", path, strerror(errno));
    }
    EVP_DigestInit_ex(ctx, md, NULL);
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0) {
        EVP_DigestUpdate(ctx, buf, n);
    }
    if (ferror(f)) {
        RG_FAIL(RG_EIO, "%s: read error while hashing", path);
    }
    EVP_DigestFinal_ex(ctx, out, &n_out);
    for (unsigned int i = 0; i < n_out; i++) {
        sprintf(hex + 2 * i, "%02x", out[i]);
    }
cleanup:
    if (f) {
        fclose(f);
    }
    EVP_MD_CTX_free(ctx);
    return rc;
}

/* Compares an expected hex digest (any case, surrounding text ignored up to the first blank) with
 * the computed one. */
static int rg_i_digest_matches(const char *expected, const char *actual) {
    size_t n = strlen(actual);
    while (*expected && isspace((unsigned char) *expected)) {
        expected++;
    }
    for (size_t i = 0; i < n; i++) {
        if (tolower((unsigned char) expected[i]) != actual[i]) {
            return 0;
        }
    }
    return expected[n] == '\0' || isspace((unsigned char) expected[n]);
}

/* Reads the published checksum file (GroupLens: "<md5>  NAME.zip" or just the hex). */
static rg_error_t rg_i_fetch_md5(const char *url, const char *tmp_path, char *md5, size_t size) {
    rg_error_t rc = RG_SUCCESS;
    FILE *f = fopen(tmp_path, "w+b");
    if (!f) {
        RG_ERROR(RG_EIO, "%s: cannot create: %s", tmp_path, strerror(errno));
    }
    RG_TRY(rg_i_download(url, f, NULL));
    rewind(f);
    if (!fgets(md5, (int) size, f)) {
        RG_FAIL(RG_EFORMAT, "%s: empty checksum file", url);
    }
cleanup:
    fclose(f);
    unlink(tmp_path);
    return rc;
}

/* ---- unpack ---- */

static rg_error_t rg_i_unpack(const char *zip, const char *dir) {
    rg_error_t rc = RG_SUCCESS;
    struct archive *a = archive_read_new();
    struct archive *w = archive_write_disk_new();
    struct archive_entry *e;
    int n_entries = 0;
    char cwd[4096];
    if (!a || !w || !getcwd(cwd, sizeof cwd)) {
        RG_FAIL(RG_ENOMEM, "cannot start unpacking %s", zip);
    }
    archive_read_support_format_zip(a);
    archive_read_support_filter_all(a);
    archive_write_disk_set_options(w, ARCHIVE_EXTRACT_SECURE_NODOTDOT |
                                          ARCHIVE_EXTRACT_SECURE_SYMLINKS |
                                          ARCHIVE_EXTRACT_SECURE_NOABSOLUTEPATHS);
    if (archive_read_open_filename(a, zip, 1 << 16) != ARCHIVE_OK) {
        RG_FAIL(RG_EFORMAT, "%s: not a readable zip archive: %s", zip, archive_error_string(a));
    }
    if (chdir(dir) != 0) {
        RG_FAIL(RG_EIO, "%s: cannot enter: %s", dir, strerror(errno));
    }
    for (;;) {
        int r = archive_read_next_header(a, &e);
        if (r == ARCHIVE_EOF) {
            break;
        }
        if (r != ARCHIVE_OK) {
            RG_FAIL(RG_EFORMAT, "%s: corrupted archive: %s", zip, archive_error_string(a));
        }
        if (archive_write_header(w, e) != ARCHIVE_OK) {
            RG_FAIL(RG_EFORMAT, "%s: refusing entry %s: %s", zip, archive_entry_pathname(e),
                    archive_error_string(w));
        }
        const void *buf;
        size_t len;
        la_int64_t off;
        while ((r = archive_read_data_block(a, &buf, &len, &off)) == ARCHIVE_OK) {
            if (archive_write_data_block(w, buf, len, off) != ARCHIVE_OK) {
                RG_FAIL(RG_EIO, "%s: cannot write %s: %s", zip, archive_entry_pathname(e),
                        archive_error_string(w));
            }
        }
        if (r != ARCHIVE_EOF) {
            RG_FAIL(RG_EFORMAT, "%s: corrupted data in %s: %s", zip, archive_entry_pathname(e),
                    archive_error_string(a));
        }
        if (archive_write_finish_entry(w) != ARCHIVE_OK) {
            RG_FAIL(RG_EIO, "%s: cannot finish %s", zip, archive_entry_pathname(e));
        }
        n_entries++;
    }
    if (n_entries == 0) {
        RG_FAIL(RG_EFORMAT, "%s: the archive is empty", zip);
    }
cleanup:
    if (chdir(cwd) != 0 && rc == RG_SUCCESS) {
        rc = rg_error(RG_EIO, __FILE__, __LINE__, "cannot return to %s", cwd);
    }
    archive_read_free(a);
    archive_write_free(w);
    return rc;
}

static int rg_i_remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
    (void) st;
    (void) flag;
    (void) ftw;
    return remove(path);
}

/* rm -r: removes a staging tree or a previous copy of the dataset (depth first, links not
 * followed); best effort. */
static void rg_i_remove_tree(const char *path) {
    nftw(path, rg_i_remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* ---- API ---- */

rg_error_t rg_fetch(const char *name, const char *dest_dir, const rg_fetch_opts_t *o,
                    char *path_out, size_t size) {
    rg_error_t rc = RG_SUCCESS;
    rg_fetch_opts_t defaults;
    char url[2048], zip_path[4200], md5_path[4200], stage[4200], staged[4300], final[4200];
    char expected_md5[256] = "", hex[2 * EVP_MAX_MD_SIZE + 1];
    FILE *f = NULL;
    int known = 0, have_stage = 0;
    for (const char *const *n = rg_i_fetch_names; *n; n++) {
        known |= !strcmp(*n, name);
    }
    if (!known) {
        RG_ERROR(RG_EINVAL, "unknown dataset '%s' (known: ml-100k, ml-1m, ml-latest-small, ml-25m, "
                 "ml-32m)", name);
    }
    if (!o) {
        rg_fetch_opts_default(&defaults);
        o = &defaults;
    }
    const char *base = o->base_url ? o->base_url : RG_FETCH_DEFAULT_BASE_URL;
    if (mkdir(dest_dir, 0777) != 0 && errno != EEXIST) {
        RG_ERROR(RG_EIO, "%s: cannot create directory: %s", dest_dir, strerror(errno));
    }
    snprintf(zip_path, sizeof zip_path, "%s/.%s.zip.part", dest_dir, name);
    snprintf(md5_path, sizeof md5_path, "%s/.%s.zip.md5.part", dest_dir, name);
    snprintf(final, sizeof final, "%s/%s", dest_dir, name);
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0) {
        RG_ERROR(RG_EINTERNAL, "cannot initialise libcurl");
    }

    /* 1. the published checksum first: no point downloading 1 GB we cannot verify */
    if (o->md5) {
        snprintf(expected_md5, sizeof expected_md5, "%s", o->md5);
    } else if (!o->sha256) {
        snprintf(url, sizeof url, "%s/%s.zip.md5", base, name);
        RG_TRY(rg_i_fetch_md5(url, md5_path, expected_md5, sizeof expected_md5));
    }
    /* 2. the zip */
    snprintf(url, sizeof url, "%s/%s.zip", base, name);
    f = fopen(zip_path, "wb");
    if (!f) {
        RG_FAIL(RG_EIO, "%s: cannot create: %s", zip_path, strerror(errno));
    }
    RG_TRY(rg_i_download(url, f, o));
    if (fclose(f) != 0) {
        f = NULL;
        RG_FAIL(RG_EIO, "%s: cannot write: %s", zip_path, strerror(errno));
    }
    f = NULL;
    /* 3. verify */
    if (expected_md5[0]) {
        RG_TRY(rg_i_digest_file(zip_path, EVP_md5(), hex));
        if (!rg_i_digest_matches(expected_md5, hex)) {
            RG_FAIL(RG_EFORMAT, "%s: MD5 mismatch (expected %.32s, got %s): corrupted download, "
                    "nothing was unpacked", url, expected_md5, hex);
        }
    }
    if (o->sha256) {
        RG_TRY(rg_i_digest_file(zip_path, EVP_sha256(), hex));
        if (!rg_i_digest_matches(o->sha256, hex)) {
            RG_FAIL(RG_EFORMAT, "%s: SHA-256 mismatch (expected %.64s, got %s): corrupted "
                    "download, nothing was unpacked", url, o->sha256, hex);
        }
    }
    /* 4. unpack into a staging directory, then move the dataset folder into place */
    snprintf(stage, sizeof stage, "%s/.fetch-%s-XXXXXX", dest_dir, name);
    if (!mkdtemp(stage)) {
        RG_FAIL(RG_EIO, "%s: cannot create a staging directory: %s", dest_dir, strerror(errno));
    }
    have_stage = 1;
    RG_TRY(rg_i_unpack(zip_path, stage));
    snprintf(staged, sizeof staged, "%s/%s", stage, name);
    struct stat st;
    if (stat(staged, &st) != 0 || !S_ISDIR(st.st_mode)) {
        RG_FAIL(RG_EFORMAT, "%s: the archive has no top-level folder %s/", url, name);
    }
    rg_i_remove_tree(final);
    if (rename(staged, final) != 0) {
        RG_FAIL(RG_EIO, "cannot move %s to %s: %s", staged, final, strerror(errno));
    }
    snprintf(path_out, size, "%s", final);
cleanup:
    if (f) {
        fclose(f);
    }
    unlink(zip_path);
    unlink(md5_path);
    if (have_stage) {
        rg_i_remove_tree(stage);
    }
    curl_global_cleanup();
    return rc;
}
