/* model.c: the model object shared by every kind: hyper-parameters, named tensors in two flat
 * blocks (F32 params, I32 ints), the .rgm model file and preparing a loaded model for a graph.
 *
 * Model file layout (all integers and floats little-endian, as the machine writes them):
 *
 *   "RGMODEL\n"  u32 version  u32 n_sections(5)
 *   then five sections, each  u32 tag  u32 0  u64 payload_bytes  payload:
 *     META  kind[32], hyper-parameters, split spec, graph fingerprint, graph path[1024],
 *           n_users, n_movies, rating_min, rating_max, global_mean
 *     TTAB  n_tensors, then per tensor name[32] dtype rows cols offset; n_params, n_ints
 *     DATA  n_params f32 then n_ints i32
 *     HIST  n_history, then per epoch train_loss val_loss seconds (f64)
 *     END.  SHA-256 of every byte before this section
 *
 * Loading reads the whole file, walks the section headers first (so a file cut at any point is
 * reported as truncated, naming the section), then verifies the checksum, then parses.  Saving
 * writes a temporary file in the target directory, fsyncs it and renames it over the target, so
 * a crash leaves either the old model or the new one.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "reelgraph/model.h"

#define RG_RGM_MAGIC "RGMODEL\n"
#define RG_RGM_VERSION 1u
#define RG_RGM_N_SECTIONS 5
#define RG_RGM_KIND_LEN 32
#define RG_RGM_DIGEST_LEN 32
#define RG_RGM_HEADER_LEN 16

enum { RG_SEC_META, RG_SEC_TTAB, RG_SEC_DATA, RG_SEC_HIST, RG_SEC_END };
static const char rg_sec_tags[RG_RGM_N_SECTIONS][5] = {"META", "TTAB", "DATA", "HIST", "END."};

/* ---- hyper-parameters ---- */

void rg_hparams_init(rg_hparams_t *h) {
    memset(h, 0, sizeof *h);
    h->dim = RG_UNSET;
    h->epochs = RG_UNSET;
    h->lr = (float) RG_UNSET;
    h->reg = (float) RG_UNSET;
    h->k = RG_UNSET;
    h->batch = RG_UNSET;
    h->steps = RG_UNSET;
    h->window = RG_UNSET;
    h->fanout[0] = RG_UNSET;
    h->fanout[1] = RG_UNSET;
    h->dropout = (float) RG_UNSET;
    h->alpha = (float) RG_UNSET;
    h->beta = (float) RG_UNSET;
    h->shrink = (float) RG_UNSET;
    h->negatives = RG_UNSET;
    h->metric[0] = '\0';
    h->val_fraction = (float) RG_UNSET;
    h->patience = RG_UNSET;
    h->n_threads = 0;
    h->seed = 42;
}

/* ---- registry lookups (the table itself is in registry.c) ---- */

const rg_model_ops_t *rg_model_find(const char *name) {
    const rg_model_ops_t *const *all = rg_model_list();
    if (!name) {
        return NULL;
    }
    for (int i = 0; all[i]; i++) {
        if (!strcmp(all[i]->name, name)) {
            return all[i];
        }
    }
    return NULL;
}

/* ---- lifecycle and tensors ---- */

rg_error_t rg_model_init(rg_model_t *m, const rg_model_ops_t *ops, const rg_hparams_t *hp,
                         const rg_split_spec_t *split, const rg_graph_t *full,
                         const rg_graph_t *train) {
    memset(m, 0, sizeof *m);
    if (!ops || !hp || !full || !train) {
        RG_ERROR(RG_EINVAL, "rg_model_init: ops, hp, full and train must not be NULL");
    }
    if (train->n_users != full->n_users || train->n_movies != full->n_movies) {
        RG_ERROR(RG_EINVAL,
                 "rg_model_init: training graph has %lld users / %lld movies, full graph %lld / "
                 "%lld: the training graph must be a filter of the full one",
                 (long long) train->n_users, (long long) train->n_movies,
                 (long long) full->n_users, (long long) full->n_movies);
    }
    m->ops = ops;
    m->hp = *hp;
    if (split) {
        m->split = *split;
    }
    m->graph_fingerprint = full->fingerprint;
    m->n_users = full->n_users;
    m->n_movies = full->n_movies;
    m->rating_min = full->rating_min;
    m->rating_max = full->rating_max;
    m->global_mean = train->n_ratings > 0 ? rg_graph_mean_rating(train)
                                          : 0.5 * ((double) full->rating_min + full->rating_max);
    return RG_SUCCESS;
}

rg_error_t rg_model_declare(rg_model_t *m, const char *name, rg_dtype_t dtype, int64_t rows,
                            int64_t cols) {
    if (m->params || m->ints) {
        RG_ERROR(RG_EINVAL, "rg_model_declare: tensor '%s' declared after rg_model_alloc", name);
    }
    if (!name || !name[0] || strlen(name) >= sizeof m->tensors[0].name) {
        RG_ERROR(RG_EINVAL, "rg_model_declare: tensor name '%s' empty or longer than %zu bytes",
                 name ? name : "(null)", sizeof m->tensors[0].name - 1);
    }
    if (dtype != RG_DTYPE_F32 && dtype != RG_DTYPE_I32) {
        RG_ERROR(RG_EINVAL, "rg_model_declare: tensor '%s' has unknown dtype %d", name, (int) dtype);
    }
    if (rows < 0 || cols < 0 || (cols > 0 && rows > (int64_t) (SIZE_MAX / 8) / cols)) {
        RG_ERROR(RG_EINVAL, "rg_model_declare: tensor '%s' has bad shape (%lld, %lld)", name,
                 (long long) rows, (long long) cols);
    }
    if (m->n_tensors >= RG_MODEL_MAX_TENSORS) {
        RG_ERROR(RG_EINVAL, "rg_model_declare: more than %d tensors (adding '%s')",
                 RG_MODEL_MAX_TENSORS, name);
    }
    if (rg_model_tensor(m, name)) {
        RG_ERROR(RG_EINVAL, "rg_model_declare: tensor '%s' declared twice", name);
    }
    rg_tensor_t *t = &m->tensors[m->n_tensors++];
    memset(t, 0, sizeof *t);
    strcpy(t->name, name);
    t->dtype = dtype;
    t->rows = rows;
    t->cols = cols;
    size_t n = (size_t) rows * (size_t) cols;
    size_t *total = dtype == RG_DTYPE_F32 ? &m->n_params : &m->n_ints;
    t->offset = *total;
    *total += n;
    return RG_SUCCESS;
}

rg_error_t rg_model_alloc(rg_model_t *m) {
    if (m->params || m->ints) {
        RG_ERROR(RG_EINVAL, "rg_model_alloc: already allocated");
    }
    if (m->n_params > 0) {
        m->params = rg_calloc(m->n_params, sizeof *m->params);
        if (!m->params) {
            RG_ERROR(RG_ENOMEM, "rg_model_alloc: cannot allocate %zu parameters", m->n_params);
        }
    }
    if (m->n_ints > 0) {
        m->ints = rg_calloc(m->n_ints, sizeof *m->ints);
        if (!m->ints) {
            free(m->params);
            m->params = NULL;
            RG_ERROR(RG_ENOMEM, "rg_model_alloc: cannot allocate %zu integers", m->n_ints);
        }
    }
    return RG_SUCCESS;
}

const rg_tensor_t *rg_model_tensor(const rg_model_t *m, const char *name) {
    for (int i = 0; i < m->n_tensors; i++) {
        if (!strcmp(m->tensors[i].name, name)) {
            return &m->tensors[i];
        }
    }
    return NULL;
}

rg_error_t rg_model_expect(const rg_model_t *m, const char *name, rg_dtype_t dtype, int64_t rows,
                           int64_t cols) {
    const rg_tensor_t *t = rg_model_tensor(m, name);
    const char *kind = m->ops ? m->ops->name : "model";
    if (!t) {
        RG_ERROR(RG_EFORMAT, "%s model: tensor '%s' is missing (not a model file of this kind?)",
                 kind, name);
    }
    if (t->dtype != dtype || t->rows != rows || (cols >= 0 && t->cols != cols)) {
        RG_ERROR(RG_EFORMAT, "%s model: tensor '%s' is %s (%lld, %lld), expected %s (%lld, %lld)",
                 kind, name, t->dtype == RG_DTYPE_F32 ? "f32" : "i32", (long long) t->rows,
                 (long long) t->cols, dtype == RG_DTYPE_F32 ? "f32" : "i32", (long long) rows,
                 (long long) cols);
    }
    return RG_SUCCESS;
}

float *rg_model_f32(const rg_model_t *m, const char *name) {
    const rg_tensor_t *t = rg_model_tensor(m, name);
    if (!t || t->dtype != RG_DTYPE_F32 || !m->params) {
        return NULL;
    }
    return m->params + t->offset;
}

int32_t *rg_model_i32(const rg_model_t *m, const char *name) {
    const rg_tensor_t *t = rg_model_tensor(m, name);
    if (!t || t->dtype != RG_DTYPE_I32 || !m->ints) {
        return NULL;
    }
    return m->ints + t->offset;
}

void rg_model_free(rg_model_t *m) {
    if (!m) {
        return;
    }
    if (m->ops && m->ops->release) {
        m->ops->release(m);
    }
    free(m->params);
    free(m->ints);
    free(m->history);
    memset(m, 0, sizeof *m);
}

/* ---- writing ---- */

typedef struct {
    FILE *f;
    EVP_MD_CTX *md;
    int failed;
    int nomem; /* the failure was the staging buffer's allocation */
    /* a small staging buffer for the META / TTAB / HIST payloads, whose length is needed first */
    unsigned char *buf;
    size_t len, cap;
} rg_rgm_writer_t;

static void rg_w_raw(rg_rgm_writer_t *w, const void *p, size_t n) {
    if (w->failed || n == 0) {
        return;
    }
    if (fwrite(p, 1, n, w->f) != n || EVP_DigestUpdate(w->md, p, n) != 1) {
        w->failed = 1;
    }
}

static void rg_w_put(rg_rgm_writer_t *w, const void *p, size_t n) {
    if (w->failed) {
        return;
    }
    if (w->len + n > w->cap) {
        size_t cap = w->cap ? w->cap : 4096;
        while (cap < w->len + n) {
            cap *= 2;
        }
        unsigned char *b = rg_realloc(w->buf, cap);
        if (!b) {
            w->failed = 1;
            w->nomem = 1;
            return;
        }
        w->buf = b;
        w->cap = cap;
    }
    memcpy(w->buf + w->len, p, n);
    w->len += n;
}

static void rg_w_i32(rg_rgm_writer_t *w, int32_t v) { rg_w_put(w, &v, sizeof v); }
static void rg_w_i64(rg_rgm_writer_t *w, int64_t v) { rg_w_put(w, &v, sizeof v); }
static void rg_w_u64(rg_rgm_writer_t *w, uint64_t v) { rg_w_put(w, &v, sizeof v); }
static void rg_w_f32(rg_rgm_writer_t *w, float v) { rg_w_put(w, &v, sizeof v); }
static void rg_w_f64(rg_rgm_writer_t *w, double v) { rg_w_put(w, &v, sizeof v); }
/* A fixed-width, zero-padded string field. */
static void rg_w_str(rg_rgm_writer_t *w, const char *s, size_t width) {
    char tmp[1024];
    size_t n = strnlen(s, width - 1);
    memset(tmp, 0, width);
    memcpy(tmp, s, n);
    rg_w_put(w, tmp, width);
}

static void rg_w_section_header(rg_rgm_writer_t *w, int sec, uint64_t bytes) {
    uint32_t zero = 0;
    rg_w_raw(w, rg_sec_tags[sec], 4);
    rg_w_raw(w, &zero, 4);
    rg_w_raw(w, &bytes, 8);
}

/* Writes the staged payload as section sec and empties the stage. */
static void rg_w_flush_section(rg_rgm_writer_t *w, int sec) {
    rg_w_section_header(w, sec, w->len);
    rg_w_raw(w, w->buf, w->len);
    w->len = 0;
}

static void rg_w_hparams(rg_rgm_writer_t *w, const rg_hparams_t *h) {
    rg_w_i32(w, h->dim);
    rg_w_i32(w, h->epochs);
    rg_w_f32(w, h->lr);
    rg_w_f32(w, h->reg);
    rg_w_i32(w, h->k);
    rg_w_i32(w, h->batch);
    rg_w_i32(w, h->steps);
    rg_w_i32(w, h->window);
    rg_w_i32(w, h->fanout[0]);
    rg_w_i32(w, h->fanout[1]);
    rg_w_f32(w, h->dropout);
    rg_w_f32(w, h->alpha);
    rg_w_f32(w, h->beta);
    rg_w_f32(w, h->shrink);
    rg_w_i32(w, h->negatives);
    rg_w_str(w, h->metric, sizeof h->metric);
    rg_w_f32(w, h->val_fraction);
    rg_w_i32(w, h->patience);
    rg_w_i32(w, h->n_threads);
    rg_w_u64(w, h->seed);
}

static void rg_w_split(rg_rgm_writer_t *w, const rg_split_spec_t *s) {
    rg_w_i32(w, (int32_t) s->kind);
    rg_w_f64(w, s->fraction);
    rg_w_i32(w, s->last_k);
    rg_w_i32(w, s->k);
    rg_w_i32(w, s->fold);
    rg_w_u64(w, s->seed);
    rg_w_str(w, s->path, sizeof s->path);
    rg_w_u64(w, s->file_hash);
}

rg_error_t rg_model_save(const rg_model_t *m, const char *path) {
    rg_error_t rc = RG_SUCCESS;
    rg_rgm_writer_t w;
    char *tmp = NULL;
    int fd = -1;
    memset(&w, 0, sizeof w);
    if (!m || !m->ops || !path) {
        RG_ERROR(RG_EINVAL, "rg_model_save: model (with a kind) and path must not be NULL");
    }
    if (m->n_history > 0 && !m->history) {
        RG_ERROR(RG_EINVAL, "rg_model_save: %d history records but no history array",
                 m->n_history);
    }
    size_t plen = strlen(path);
    tmp = rg_malloc(plen + 16);
    if (!tmp) {
        RG_FAIL(RG_ENOMEM, "rg_model_save: out of memory");
    }
    snprintf(tmp, plen + 16, "%s.tmp.XXXXXX", path);
    fd = mkstemp(tmp);
    if (fd < 0) {
        RG_FAIL(RG_EIO, "cannot create a temporary file next to %s: %s", path, strerror(errno));
    }
    w.f = fdopen(fd, "wb");
    if (!w.f) {
        RG_FAIL(RG_EIO, "cannot open %s for writing: %s", tmp, strerror(errno));
    }
    fd = -1; /* owned by w.f now */
    w.md = EVP_MD_CTX_new();
    if (!w.md || EVP_DigestInit_ex(w.md, EVP_sha256(), NULL) != 1) {
        RG_FAIL(RG_EINTERNAL, "rg_model_save: cannot initialise SHA-256");
    }

    uint32_t version = RG_RGM_VERSION, n_sections = RG_RGM_N_SECTIONS;
    rg_w_raw(&w, RG_RGM_MAGIC, 8);
    rg_w_raw(&w, &version, 4);
    rg_w_raw(&w, &n_sections, 4);

    /* META */
    rg_w_str(&w, m->ops->name, RG_RGM_KIND_LEN);
    rg_w_hparams(&w, &m->hp);
    rg_w_split(&w, &m->split);
    rg_w_u64(&w, m->graph_fingerprint);
    rg_w_str(&w, m->graph_path, sizeof m->graph_path);
    rg_w_i64(&w, m->n_users);
    rg_w_i64(&w, m->n_movies);
    rg_w_f32(&w, m->rating_min);
    rg_w_f32(&w, m->rating_max);
    rg_w_f64(&w, m->global_mean);
    rg_w_flush_section(&w, RG_SEC_META);

    /* TTAB */
    rg_w_i32(&w, m->n_tensors);
    for (int i = 0; i < m->n_tensors; i++) {
        const rg_tensor_t *t = &m->tensors[i];
        rg_w_str(&w, t->name, sizeof t->name);
        rg_w_i32(&w, (int32_t) t->dtype);
        rg_w_i64(&w, t->rows);
        rg_w_i64(&w, t->cols);
        rg_w_u64(&w, (uint64_t) t->offset);
    }
    rg_w_u64(&w, (uint64_t) m->n_params);
    rg_w_u64(&w, (uint64_t) m->n_ints);
    rg_w_flush_section(&w, RG_SEC_TTAB);

    /* DATA: written straight from the blocks */
    rg_w_section_header(&w, RG_SEC_DATA, m->n_params * sizeof(float) + m->n_ints * sizeof(int32_t));
    if (m->n_params) {
        rg_w_raw(&w, m->params, m->n_params * sizeof(float));
    }
    if (m->n_ints) {
        rg_w_raw(&w, m->ints, m->n_ints * sizeof(int32_t));
    }

    /* HIST */
    rg_w_i32(&w, m->n_history);
    for (int32_t e = 0; e < m->n_history; e++) {
        rg_w_f64(&w, m->history[e].train_loss);
        rg_w_f64(&w, m->history[e].val_loss);
        rg_w_f64(&w, m->history[e].seconds);
    }
    rg_w_flush_section(&w, RG_SEC_HIST);

    /* END: the digest of everything above */
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int dlen = 0;
    if (!w.failed && EVP_DigestFinal_ex(w.md, digest, &dlen) != 1) {
        w.failed = 1;
    }
    rg_w_section_header(&w, RG_SEC_END, RG_RGM_DIGEST_LEN);
    if (!w.failed && fwrite(digest, 1, RG_RGM_DIGEST_LEN, w.f) != RG_RGM_DIGEST_LEN) {
        w.failed = 1;
    }
    if (w.nomem) {
        RG_FAIL(RG_ENOMEM, "cannot write model file %s: out of memory", path);
    }
    if (w.failed || fflush(w.f) != 0 || fsync(fileno(w.f)) != 0) {
        RG_FAIL(RG_EIO, "cannot write model file %s: %s", tmp,
                errno ? strerror(errno) : "write failed");
    }
    FILE *f = w.f;
    w.f = NULL;
    if (fclose(f) != 0) {
        RG_FAIL(RG_EIO, "cannot close model file %s: %s", tmp, strerror(errno));
    }
    if (rename(tmp, path) != 0) {
        RG_FAIL(RG_EIO, "cannot rename %s to %s: %s", tmp, path, strerror(errno));
    }

cleanup:
    if (w.f) {
        fclose(w.f);
    }
    if (fd >= 0) {
        close(fd);
    }
    if (rc != RG_SUCCESS && tmp) {
        unlink(tmp);
    }
    EVP_MD_CTX_free(w.md);
    free(w.buf);
    free(tmp);
    return rc;
}

/* ---- reading ---- */

typedef struct {
    const unsigned char *p;
    size_t len, pos;
} rg_rgm_reader_t;

/* Section payloads have been length-checked by the section walk; a read past the end of a
 * payload means the payload is shorter than its kind requires (a malformed, not a cut, file). */
static int rg_r_get(rg_rgm_reader_t *r, void *out, size_t n) {
    if (r->pos + n > r->len) {
        return -1;
    }
    memcpy(out, r->p + r->pos, n);
    r->pos += n;
    return 0;
}

static int rg_r_i32(rg_rgm_reader_t *r, int32_t *v) { return rg_r_get(r, v, sizeof *v); }
static int rg_r_i64(rg_rgm_reader_t *r, int64_t *v) { return rg_r_get(r, v, sizeof *v); }
static int rg_r_u64(rg_rgm_reader_t *r, uint64_t *v) { return rg_r_get(r, v, sizeof *v); }
static int rg_r_f32(rg_rgm_reader_t *r, float *v) { return rg_r_get(r, v, sizeof *v); }
static int rg_r_f64(rg_rgm_reader_t *r, double *v) { return rg_r_get(r, v, sizeof *v); }
static int rg_r_str(rg_rgm_reader_t *r, char *out, size_t width) {
    if (rg_r_get(r, out, width) != 0) {
        return -1;
    }
    return memchr(out, '\0', width) ? 0 : -1;
}

static int rg_r_hparams(rg_rgm_reader_t *r, rg_hparams_t *h) {
    int bad = 0;
    bad |= rg_r_i32(r, &h->dim);
    bad |= rg_r_i32(r, &h->epochs);
    bad |= rg_r_f32(r, &h->lr);
    bad |= rg_r_f32(r, &h->reg);
    bad |= rg_r_i32(r, &h->k);
    bad |= rg_r_i32(r, &h->batch);
    bad |= rg_r_i32(r, &h->steps);
    bad |= rg_r_i32(r, &h->window);
    bad |= rg_r_i32(r, &h->fanout[0]);
    bad |= rg_r_i32(r, &h->fanout[1]);
    bad |= rg_r_f32(r, &h->dropout);
    bad |= rg_r_f32(r, &h->alpha);
    bad |= rg_r_f32(r, &h->beta);
    bad |= rg_r_f32(r, &h->shrink);
    bad |= rg_r_i32(r, &h->negatives);
    bad |= rg_r_str(r, h->metric, sizeof h->metric);
    bad |= rg_r_f32(r, &h->val_fraction);
    bad |= rg_r_i32(r, &h->patience);
    bad |= rg_r_i32(r, &h->n_threads);
    bad |= rg_r_u64(r, &h->seed);
    return bad;
}

static int rg_r_split(rg_rgm_reader_t *r, rg_split_spec_t *s) {
    int bad = 0;
    int32_t kind = 0;
    bad |= rg_r_i32(r, &kind);
    s->kind = (rg_split_kind_t) kind;
    bad |= rg_r_f64(r, &s->fraction);
    bad |= rg_r_i32(r, &s->last_k);
    bad |= rg_r_i32(r, &s->k);
    bad |= rg_r_i32(r, &s->fold);
    bad |= rg_r_u64(r, &s->seed);
    bad |= rg_r_str(r, s->path, sizeof s->path);
    bad |= rg_r_u64(r, &s->file_hash);
    if (kind < RG_SPLIT_NONE || kind > RG_SPLIT_KFOLD) {
        bad = -1;
    }
    return bad;
}

/* Reads the whole file into *buf (rg_malloc'd). */
static rg_error_t rg_i_read_file(const char *path, unsigned char **buf, size_t *len) {
    rg_error_t rc = RG_SUCCESS;
    struct stat st;
    FILE *f = fopen(path, "rb");
    *buf = NULL;
    *len = 0;
    if (!f) {
        RG_ERROR(RG_EIO, "cannot open model file %s: %s", path, strerror(errno));
    }
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
        RG_FAIL(RG_EIO, "model file %s is not a regular file", path);
    }
    *len = (size_t) st.st_size;
    *buf = rg_malloc(*len);
    if (!*buf) {
        RG_FAIL(RG_ENOMEM, "cannot allocate %zu bytes to read model file %s", *len, path);
    }
    if (*len && fread(*buf, 1, *len, f) != *len) {
        RG_FAIL(RG_EIO, "cannot read model file %s: %s", path, strerror(errno));
    }
cleanup:
    fclose(f);
    if (rc != RG_SUCCESS) {
        free(*buf);
        *buf = NULL;
    }
    return rc;
}

rg_error_t rg_model_load(rg_model_t *m, const char *path) {
    rg_error_t rc = RG_SUCCESS;
    unsigned char *buf = NULL;
    size_t len = 0;
    size_t sec_off[RG_RGM_N_SECTIONS], sec_len[RG_RGM_N_SECTIONS];
    memset(m, 0, sizeof *m);
    RG_TRY(rg_i_read_file(path, &buf, &len));

    if (len < RG_RGM_HEADER_LEN) {
        if (len >= 8 && memcmp(buf, RG_RGM_MAGIC, 8) != 0) {
            RG_FAIL(RG_EFORMAT, "%s is not a reelgraph model file (bad magic)", path);
        }
        RG_FAIL(RG_EFORMAT, "model file %s is truncated: %zu bytes, the header alone needs %d",
                path, len, RG_RGM_HEADER_LEN);
    }
    if (memcmp(buf, RG_RGM_MAGIC, 8) != 0) {
        RG_FAIL(RG_EFORMAT, "%s is not a reelgraph model file (bad magic)", path);
    }
    uint32_t version, n_sections;
    memcpy(&version, buf + 8, 4);
    memcpy(&n_sections, buf + 12, 4);
    if (version != RG_RGM_VERSION) {
        RG_FAIL(RG_EFORMAT, "model file %s has format version %u; this reelgraph reads version %u "
                "(hint: retrain the model with this version)", path, version, RG_RGM_VERSION);
    }
    if (n_sections != RG_RGM_N_SECTIONS) {
        RG_FAIL(RG_EFORMAT, "model file %s is corrupted: %u sections, expected %d", path,
                n_sections, RG_RGM_N_SECTIONS);
    }

    /* walk the sections: any cut shows up here as a missing header or a short payload */
    size_t pos = RG_RGM_HEADER_LEN;
    for (int s = 0; s < RG_RGM_N_SECTIONS; s++) {
        uint64_t bytes;
        if (len == pos) {
            RG_FAIL(RG_EFORMAT, "model file %s is truncated: it ends at byte %zu, where section %s "
                    "should start (%s)", path, len, rg_sec_tags[s],
                    s == 0 ? "after the header" : "after the previous section");
        }
        if (len - pos < RG_RGM_HEADER_LEN) {
            RG_FAIL(RG_EFORMAT, "model file %s is truncated: it ends at byte %zu, inside the "
                    "header of section %s", path, len, rg_sec_tags[s]);
        }
        if (memcmp(buf + pos, rg_sec_tags[s], 4) != 0) {
            RG_FAIL(RG_EFORMAT, "model file %s is corrupted: expected section %s at byte %zu",
                    path, rg_sec_tags[s], pos);
        }
        memcpy(&bytes, buf + pos + 8, 8);
        pos += RG_RGM_HEADER_LEN;
        if (bytes > len - pos) {
            RG_FAIL(RG_EFORMAT, "model file %s is truncated: section %s needs %llu bytes at byte "
                    "%zu, only %zu remain", path, rg_sec_tags[s], (unsigned long long) bytes,
                    pos, len - pos);
        }
        sec_off[s] = pos;
        sec_len[s] = (size_t) bytes;
        pos += (size_t) bytes;
    }
    if (pos != len) {
        RG_FAIL(RG_EFORMAT, "model file %s is corrupted: %zu unexpected bytes after the end",
                path, len - pos);
    }

    /* checksum over everything before the END section's header */
    {
        unsigned char digest[EVP_MAX_MD_SIZE];
        unsigned int dlen = 0;
        size_t covered = sec_off[RG_SEC_END] - RG_RGM_HEADER_LEN;
        if (sec_len[RG_SEC_END] != RG_RGM_DIGEST_LEN) {
            RG_FAIL(RG_EFORMAT, "model file %s is corrupted: checksum section has %zu bytes",
                    path, sec_len[RG_SEC_END]);
        }
        if (EVP_Digest(buf, covered, digest, &dlen, EVP_sha256(), NULL) != 1) {
            RG_FAIL(RG_EINTERNAL, "rg_model_load: SHA-256 failed");
        }
        if (memcmp(digest, buf + sec_off[RG_SEC_END], RG_RGM_DIGEST_LEN) != 0) {
            RG_FAIL(RG_EFORMAT, "model file %s is corrupted: checksum mismatch (the file was "
                    "modified or damaged after it was written)", path);
        }
    }

    /* META */
    {
        rg_rgm_reader_t r = {buf + sec_off[RG_SEC_META], sec_len[RG_SEC_META], 0};
        char kind[RG_RGM_KIND_LEN];
        int bad = rg_r_str(&r, kind, sizeof kind);
        bad |= rg_r_hparams(&r, &m->hp);
        bad |= rg_r_split(&r, &m->split);
        bad |= rg_r_u64(&r, &m->graph_fingerprint);
        bad |= rg_r_str(&r, m->graph_path, sizeof m->graph_path);
        bad |= rg_r_i64(&r, &m->n_users);
        bad |= rg_r_i64(&r, &m->n_movies);
        bad |= rg_r_f32(&r, &m->rating_min);
        bad |= rg_r_f32(&r, &m->rating_max);
        bad |= rg_r_f64(&r, &m->global_mean);
        if (bad || r.pos != r.len || m->n_users < 0 || m->n_movies < 0) {
            RG_FAIL(RG_EFORMAT, "model file %s is corrupted: malformed META section", path);
        }
        /* sizes every parallel region of every kind: bound it here, once */
        if (m->hp.n_threads < 0 || m->hp.n_threads > RG_MAX_THREADS) {
            RG_FAIL(RG_EFORMAT, "model file %s is corrupted: thread count %d outside [0, %d]",
                    path, (int) m->hp.n_threads, RG_MAX_THREADS);
        }
        m->ops = rg_model_find(kind);
        if (!m->ops) {
            RG_FAIL(RG_EFORMAT, "model file %s has unknown model kind '%s' (hint: it was written "
                    "by a reelgraph with more model kinds; see 'reelgraph train --help')",
                    path, kind);
        }
    }

    /* TTAB */
    {
        rg_rgm_reader_t r = {buf + sec_off[RG_SEC_TTAB], sec_len[RG_SEC_TTAB], 0};
        int32_t nt = 0;
        uint64_t n_params = 0, n_ints = 0;
        int bad = rg_r_i32(&r, &nt);
        if (bad || nt < 0 || nt > RG_MODEL_MAX_TENSORS) {
            RG_FAIL(RG_EFORMAT, "model file %s is corrupted: bad tensor count", path);
        }
        for (int i = 0; i < nt; i++) {
            rg_tensor_t *t = &m->tensors[i];
            int32_t dtype = 0;
            uint64_t off = 0;
            bad |= rg_r_str(&r, t->name, sizeof t->name);
            bad |= rg_r_i32(&r, &dtype);
            bad |= rg_r_i64(&r, &t->rows);
            bad |= rg_r_i64(&r, &t->cols);
            bad |= rg_r_u64(&r, &off);
            t->dtype = (rg_dtype_t) dtype;
            t->offset = (size_t) off;
            if (dtype != RG_DTYPE_F32 && dtype != RG_DTYPE_I32) {
                bad = -1;
            }
        }
        bad |= rg_r_u64(&r, &n_params);
        bad |= rg_r_u64(&r, &n_ints);
        if (bad || r.pos != r.len) {
            RG_FAIL(RG_EFORMAT, "model file %s is corrupted: malformed tensor table", path);
        }
        m->n_tensors = nt;
        m->n_params = (size_t) n_params;
        m->n_ints = (size_t) n_ints;
        for (int i = 0; i < nt; i++) {
            const rg_tensor_t *t = &m->tensors[i];
            uint64_t total = t->dtype == RG_DTYPE_F32 ? n_params : n_ints;
            if (t->rows < 0 || t->cols < 0 || (t->cols > 0 && (uint64_t) t->rows > total) ||
                (uint64_t) t->rows * (uint64_t) t->cols > total ||
                t->offset > total - (uint64_t) t->rows * (uint64_t) t->cols) {
                RG_FAIL(RG_EFORMAT, "model file %s is corrupted: tensor '%s' (%lld x %lld at %zu) "
                        "lies outside its block", path, t->name, (long long) t->rows,
                        (long long) t->cols, t->offset);
            }
        }
        if (n_params * sizeof(float) + n_ints * sizeof(int32_t) != sec_len[RG_SEC_DATA]) {
            RG_FAIL(RG_EFORMAT, "model file %s is corrupted: data section has %zu bytes, the "
                    "tensor table needs %llu", path, sec_len[RG_SEC_DATA],
                    (unsigned long long) (n_params * sizeof(float) + n_ints * sizeof(int32_t)));
        }
    }

    /* DATA */
    if (m->n_params) {
        m->params = rg_malloc(m->n_params * sizeof(float));
        if (!m->params) {
            RG_FAIL(RG_ENOMEM, "cannot allocate %zu parameters for %s", m->n_params, path);
        }
        memcpy(m->params, buf + sec_off[RG_SEC_DATA], m->n_params * sizeof(float));
    }
    if (m->n_ints) {
        m->ints = rg_malloc(m->n_ints * sizeof(int32_t));
        if (!m->ints) {
            RG_FAIL(RG_ENOMEM, "cannot allocate %zu integers for %s", m->n_ints, path);
        }
        memcpy(m->ints, buf + sec_off[RG_SEC_DATA] + m->n_params * sizeof(float),
               m->n_ints * sizeof(int32_t));
    }

    /* HIST */
    {
        rg_rgm_reader_t r = {buf + sec_off[RG_SEC_HIST], sec_len[RG_SEC_HIST], 0};
        int32_t nh = 0;
        if (rg_r_i32(&r, &nh) != 0 || nh < 0 ||
            (size_t) nh * 3 * sizeof(double) != r.len - r.pos) {
            RG_FAIL(RG_EFORMAT, "model file %s is corrupted: malformed history section", path);
        }
        if (nh > 0) {
            m->history = rg_calloc((size_t) nh, sizeof *m->history);
            if (!m->history) {
                RG_FAIL(RG_ENOMEM, "cannot allocate %d history records", nh);
            }
        }
        for (int32_t e = 0; e < nh; e++) {
            rg_r_f64(&r, &m->history[e].train_loss);
            rg_r_f64(&r, &m->history[e].val_loss);
            rg_r_f64(&r, &m->history[e].seconds);
        }
        m->n_history = nh;
    }

cleanup:
    free(buf);
    if (rc != RG_SUCCESS) {
        rg_model_free(m);
    }
    return rc;
}

/* ---- using a loaded model ---- */

rg_error_t rg_model_prepare(rg_model_t *m, const rg_graph_t *full, rg_graph_t *train,
                            uint8_t *is_test) {
    rg_error_t rc = RG_SUCCESS;
    uint8_t *keep = NULL;
    memset(train, 0, sizeof *train);
    if (!m->ops) {
        RG_ERROR(RG_EINVAL, "rg_model_prepare: model has no kind (not initialised or loaded)");
    }
    if (full->fingerprint != m->graph_fingerprint || full->n_users != m->n_users ||
        full->n_movies != m->n_movies) {
        RG_ERROR(RG_EMISMATCH,
                 "this %s model was trained on another graph (fingerprint %016llx, %lld users, "
                 "%lld movies; this graph: %016llx, %lld users, %lld movies); hint: use the "
                 "snapshot it was trained on%s%s",
                 m->ops->name, (unsigned long long) m->graph_fingerprint, (long long) m->n_users,
                 (long long) m->n_movies, (unsigned long long) full->fingerprint,
                 (long long) full->n_users, (long long) full->n_movies,
                 m->graph_path[0] ? ", " : "", m->graph_path);
    }
    RG_TRY(rg_split_apply(full, &m->split, is_test, NULL));
    keep = rg_malloc(full->n_ratings ? (size_t) full->n_ratings : 1);
    if (!keep) {
        RG_FAIL(RG_ENOMEM, "rg_model_prepare: cannot allocate %lld flags",
                (long long) full->n_ratings);
    }
    for (int64_t e = 0; e < full->n_ratings; e++) {
        keep[e] = (uint8_t) !is_test[e];
    }
    RG_TRY(rg_graph_filter(train, full, keep, NULL));
    if (m->ops->attach) {
        RG_TRY(m->ops->attach(m, train));
    }
cleanup:
    free(keep);
    if (rc != RG_SUCCESS) {
        rg_graph_free(train);
    }
    return rc;
}
