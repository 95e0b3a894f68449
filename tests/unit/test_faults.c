/* test_faults.c: allocation-failure walk.  For each operation, rg_fail_alloc_after(n) makes the
 * n-th allocation through rg_malloc / rg_calloc / rg_realloc fail, for n = 1, 2, ... until the
 * operation succeeds.  Every failed run must return an error code with a message, and leave no
 * partial output file: the file it was replacing is byte-for-byte intact and no temporary file is
 * left in the directory.  Leaks on the failure paths are caught by the ASan+UBSan build of this
 * test (LeakSanitizer at exit), which scripts/test.sh runs.
 *
 * Walked: import (rg_dataset_read + rg_graph_build) of every fixture format, snapshot write over
 * an existing snapshot, snapshot load, training (rg_model_init + rg_trainer_init, which calls
 * ops->init, then one epoch and rg_trainer_finish) for every model kind, model save over an
 * existing model file, model load, and model prepare (split + training graph + attach).
 *
 * Allocations made by third-party libraries (stdio's FILE, OpenSSL's digest context, igraph,
 * cairo, OpenBLAS) do not go through the hook and are not walked (docs/robustness.md). */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rg_test.h"

enum { WALK_LIMIT = 200000 }; /* a walk that has not succeeded by then is a failure */

/* ---- scratch directory and files ---- */

static char scratch[512];

static int setup(void **state) {
    (void) state;
    rgt_tmp_path(scratch, sizeof scratch, "faults");
    mkdir(scratch, 0755);
    return 0;
}

static int count_entries(const char *dir) {
    DIR *d = opendir(dir);
    int n = 0;
    struct dirent *e;
    assert_non_null(d);
    while ((e = readdir(d)) != NULL) {
        n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
    }
    closedir(d);
    return n;
}

static int teardown(void **state) {
    (void) state;
    DIR *d = opendir(scratch);
    struct dirent *e;
    char p[1024];
    while (d && (e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) {
            snprintf(p, sizeof p, "%s/%s", scratch, e->d_name);
            unlink(p);
        }
    }
    if (d) {
        closedir(d);
    }
    rmdir(scratch);
    return 0;
}

static unsigned char *slurp(const char *path, size_t *n) {
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    *n = (size_t) ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *b = malloc(*n ? *n : 1);
    assert_non_null(b);
    assert_int_equal(fread(b, 1, *n, f), *n);
    fclose(f);
    return b;
}

/* ---- the walk ---- */

typedef rg_error_t (*op_fn)(void *ctx);

/* Runs op with the n-th allocation failing for n = 1, 2, ...; after each failure calls check
 * (may be NULL).  Returns the number of allocations the successful run made (n - 1). */
static long walk(const char *what, op_fn op, void (*check)(void *ctx), void *ctx) {
    for (long n = 1; n <= WALK_LIMIT; n++) {
        rg_error_clear();
        rg_fail_alloc_after(n);
        rg_error_t rc = op(ctx);
        rg_fail_alloc_after(0);
        if (rc == RG_SUCCESS) {
            return n - 1;
        }
        if (rg_last_error_message()[0] == '\0') {
            print_error("%s: allocation %ld failed: error %d without a message\n", what, n,
                        (int) rc);
            fail();
        }
        if (rc != RG_ENOMEM) {
            print_error("%s: allocation %ld failed: got %s (%s), expected out of memory\n",
                        what, n, rg_strerror(rc), rg_last_error_message());
            fail();
        }
        if (check) {
            check(ctx);
        }
    }
    print_error("%s: still failing after %d allocations\n", what, WALK_LIMIT);
    fail();
    return -1;
}

/* ---- import ---- */

typedef struct {
    const char *src;
    rg_format_t format;
    int64_t n_ratings; /* of the built graph, checked after the successful run */
} import_ctx_t;

static rg_error_t op_import(void *p) {
    import_ctx_t *c = p;
    rg_dataset_t d;
    rg_read_opts_t o;
    rg_graph_t g;
    rg_dataset_init(&d);
    rg_read_opts_default(&o);
    o.format = c->format;
    rg_error_t rc = rg_dataset_read(&d, c->src, &o);
    if (rc == RG_SUCCESS) {
        rc = rg_graph_build(&g, &d, NULL);
        if (rc == RG_SUCCESS) {
            c->n_ratings = g.n_ratings;
            rg_graph_free(&g);
        }
    }
    rg_dataset_free(&d);
    return rc;
}

static void test_import_walk(void **state) {
    (void) state;
    const char *names[] = {"ml-100k-mini", "ml-1m-mini", "ml-latest-mini", "ratings-header.csv",
                           "ratings-blanks.txt"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        char src[512];
        import_ctx_t c = {rgt_fixture_path(src, sizeof src, names[i]), RG_FORMAT_AUTO, -1};
        long n = walk(names[i], op_import, NULL, &c);
        assert_true(n >= 2);
        assert_true(c.n_ratings > 0);
        printf("import %-20s %ld allocations walked\n", names[i], n);
    }
}

/* ---- snapshot write / load ---- */

typedef struct {
    const rg_graph_t *g;
    char path[1024];
    unsigned char *old;
    size_t old_size;
    int entries;
} out_ctx_t;

/* The replaced file is intact and nothing else appeared in the directory. */
static void check_untouched(void *p) {
    out_ctx_t *c = p;
    size_t n;
    unsigned char *now = slurp(c->path, &n);
    assert_int_equal(n, c->old_size);
    assert_memory_equal(now, c->old, n);
    free(now);
    assert_int_equal(count_entries(scratch), c->entries);
}

static rg_error_t op_snapshot_write(void *p) {
    out_ctx_t *c = p;
    return rg_snapshot_write(c->g, c->path);
}

static rg_error_t op_snapshot_load(void *p) {
    out_ctx_t *c = p;
    rg_graph_t g;
    rg_error_t rc = rg_snapshot_load(&g, c->path);
    if (rc == RG_SUCCESS) {
        assert_int_equal(g.n_ratings, c->g->n_ratings);
        assert_true(g.fingerprint == c->g->fingerprint);
    }
    rg_graph_free(&g);
    return rc;
}

static void test_snapshot_walk(void **state) {
    (void) state;
    rg_graph_t g, other;
    out_ctx_t c;
    memset(&c, 0, sizeof c);
    RGT_OK(rgt_graph_planted(&g, 30, 20, 8, 7));
    RGT_OK(rgt_graph_planted(&other, 12, 9, 4, 8));
    snprintf(c.path, sizeof c.path, "%s/graph.rg", scratch);
    RGT_OK(rg_snapshot_write(&other, c.path)); /* the file being replaced */
    c.old = slurp(c.path, &c.old_size);
    c.entries = count_entries(scratch);
    c.g = &g;
    long n = walk("snapshot write", op_snapshot_write, check_untouched, &c);
    printf("snapshot write: %ld allocations walked\n", n);
    n = walk("snapshot load", op_snapshot_load, NULL, &c);
    printf("snapshot load: %ld allocations walked\n", n);
    free(c.old);
    rg_graph_free(&g);
    rg_graph_free(&other);
}

/* ---- training ---- */

typedef struct {
    const rg_model_ops_t *ops;
    const rg_graph_t *g;
} train_ctx_t;

static void small_hparams(rg_hparams_t *hp) {
    rg_hparams_init(hp);
    hp->epochs = 2; /* hybrid runs exactly 2 */
    hp->dim = 4;
    hp->k = 5;
    hp->batch = 16;
    hp->steps = 1;
    hp->window = 4;
    hp->fanout[0] = 3;
    hp->fanout[1] = 2;
    hp->n_threads = 1;
}

static rg_error_t op_train(void *p) {
    train_ctx_t *c = p;
    rg_hparams_t hp;
    rg_model_t m;
    rg_trainer_t t;
    int done = 0;
    small_hparams(&hp);
    memset(&t, 0, sizeof t);
    rg_error_t rc = rg_model_init(&m, c->ops, &hp, NULL, c->g, c->g);
    if (rc == RG_SUCCESS) {
        rc = rg_trainer_init(&t, &m, c->g);
    }
    while (rc == RG_SUCCESS && !done) {
        rc = rg_trainer_step(&t, &done);
    }
    if (rc == RG_SUCCESS) {
        rc = rg_trainer_finish(&t);
    }
    rg_trainer_free(&t);
    rg_model_free(&m);
    return rc;
}

static void test_training_walk(void **state) {
    (void) state;
    rg_graph_t g;
    RGT_OK(rgt_graph_planted(&g, 30, 20, 8, 11));
    const rg_model_ops_t *const *all = rg_model_list();
    for (int i = 0; all[i]; i++) {
        train_ctx_t c = {all[i], &g};
        long n = walk(all[i]->name, op_train, NULL, &c);
        printf("train %-12s %ld allocations walked\n", all[i]->name, n);
    }
    rg_graph_free(&g);
}

/* ---- model files ---- */

typedef struct {
    out_ctx_t out;
    rg_model_t *m;
    rg_graph_t *train;
} model_ctx_t;

static rg_error_t op_model_save(void *p) {
    model_ctx_t *c = p;
    return rg_model_save(c->m, c->out.path);
}

static void check_model_untouched(void *p) {
    model_ctx_t *c = p;
    check_untouched(&c->out);
}

static rg_error_t op_model_load_prepare(void *p) {
    model_ctx_t *c = p;
    rg_model_t m;
    rg_graph_t train;
    uint8_t *is_test = NULL;
    memset(&train, 0, sizeof train);
    rg_error_t rc = rg_model_load(&m, c->out.path);
    if (rc == RG_SUCCESS) {
        is_test = malloc((size_t) c->out.g->n_ratings);
        assert_non_null(is_test);
        rc = rg_model_prepare(&m, c->out.g, &train, is_test);
    }
    free(is_test);
    rg_graph_free(&train);
    rg_model_free(&m);
    return rc;
}

static void train_model(rg_model_t *m, const char *kind, const rg_graph_t *g) {
    rg_hparams_t hp;
    rg_trainer_t t;
    int done = 0;
    small_hparams(&hp);
    hp.epochs = 2;
    RGT_OK(rg_model_init(m, rg_model_find(kind), &hp, NULL, g, g));
    RGT_OK(rg_trainer_init(&t, m, g));
    while (!done) {
        RGT_OK(rg_trainer_step(&t, &done));
    }
    RGT_OK(rg_trainer_finish(&t));
    rg_trainer_free(&t);
}

static void test_model_file_walk(void **state) {
    (void) state;
    rg_graph_t g;
    RGT_OK(rgt_graph_planted(&g, 30, 20, 8, 13));
    const char *kinds[] = {"mf", "knn-item", "sage", "lstm", "hybrid"};
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        rg_model_t m, old;
        model_ctx_t c;
        memset(&c, 0, sizeof c);
        train_model(&m, kinds[i], &g);
        train_model(&old, "bias", &g);
        snprintf(c.out.path, sizeof c.out.path, "%s/model.rgm", scratch);
        RGT_OK(rg_model_save(&old, c.out.path)); /* the file being replaced */
        rg_model_free(&old);
        c.out.old = slurp(c.out.path, &c.out.old_size);
        c.out.entries = count_entries(scratch);
        c.out.g = &g;
        c.m = &m;
        long n = walk("model save", op_model_save, check_model_untouched, &c);
        printf("model save %-10s %ld allocations walked\n", kinds[i], n);
        n = walk("model load", op_model_load_prepare, NULL, &c);
        printf("model load+prepare %-10s %ld allocations walked\n", kinds[i], n);
        free(c.out.old);
        rg_model_free(&m);
    }
    rg_graph_free(&g);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_import_walk),
        cmocka_unit_test(test_snapshot_walk),
        cmocka_unit_test(test_training_walk),
        cmocka_unit_test(test_model_file_walk),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
