/* test_model_file.c: the .rgm model file: bit-identical round trip, a file cut at every byte
 * (hence at every section boundary) refused as truncated, corrupted checksum, bad magic, wrong
 * version, unknown kind, atomic replacement with no temporary left behind, allocation failure,
 * and rg_model_prepare refusing a graph the model was not trained on. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rg_test.h"

/* ---- helpers ---- */

static unsigned char *slurp(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *b = malloc((size_t) n + 1);
    assert_non_null(b);
    assert_int_equal(fread(b, 1, (size_t) n, f), (size_t) n);
    fclose(f);
    *len = (size_t) n;
    return b;
}

static void spit(const char *path, const unsigned char *b, size_t len) {
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(b, 1, len, f), len);
    fclose(f);
}

/* A trained mf model with the graphs it came from. */
typedef struct {
    rg_model_t m;
    rg_graph_t full, train; /* the planted graph, and it without the test ratings */
    uint8_t *is_test;       /* (full.n_ratings) the random split */
} trained_t;

/* A trained mf model (3 epochs, D = 5, with history) on a planted graph with a random split. */
static void trained(trained_t *tr) {
    rg_model_t *m = &tr->m;
    rg_graph_t *full = &tr->full, *train = &tr->train;
    uint8_t **is_test = &tr->is_test;
    rg_hparams_t hp;
    rg_split_spec_t s;
    rg_trainer_t t;
    int done = 0;
    RGT_OK(rgt_graph_planted(full, 40, 30, 10, 7));
    memset(&s, 0, sizeof s);
    s.seed = 5;
    RGT_OK(rg_split_parse(&s, "random:0.2"));
    *is_test = malloc((size_t) full->n_ratings);
    RGT_OK(rg_split_apply(full, &s, *is_test, NULL));
    uint8_t *keep = malloc((size_t) full->n_ratings);
    for (int64_t e = 0; e < full->n_ratings; e++) {
        keep[e] = (uint8_t) !(*is_test)[e];
    }
    RGT_OK(rg_graph_filter(train, full, keep, NULL));
    free(keep);
    rg_hparams_init(&hp);
    hp.dim = 5;
    hp.epochs = 3;
    hp.lr = 0.0237f;
    hp.val_fraction = 0.1f;
    hp.n_threads = 1;
    hp.seed = 11;
    RGT_OK(rg_model_init(m, rg_model_find("mf"), &hp, &s, full, train));
    snprintf(m->graph_path, sizeof m->graph_path, "/data/planted.rg");
    RGT_OK(rg_trainer_init(&t, m, train));
    while (!done) {
        RGT_OK(rg_trainer_step(&t, &done));
    }
    RGT_OK(rg_trainer_finish(&t));
    rg_trainer_free(&t);
    assert_int_equal(m->n_history, 3);
}

static void trained_free(trained_t *tr) {
    rg_model_free(&tr->m);
    rg_graph_free(&tr->train);
    rg_graph_free(&tr->full);
    free(tr->is_test);
}

/* ---- round trip ---- */

static void test_round_trip_is_bit_identical(void **state) {
    (void) state;
    trained_t t;
    rg_model_t l;
    char p1[512], p2[512];
    trained(&t);
    RGT_OK(rg_model_save(&t.m, rgt_tmp_path(p1, sizeof p1, "a.rgm")));
    RGT_OK(rg_model_load(&l, p1));
    assert_ptr_equal(l.ops, t.m.ops);
    assert_memory_equal(&l.hp, &t.m.hp, sizeof t.m.hp);
    assert_int_equal(l.split.kind, t.m.split.kind);
    RGT_NEAR(l.split.fraction, t.m.split.fraction, 0);
    assert_true(l.split.seed == t.m.split.seed);
    assert_true(l.graph_fingerprint == t.m.graph_fingerprint);
    assert_string_equal(l.graph_path, "/data/planted.rg");
    assert_int_equal(l.n_users, t.m.n_users);
    assert_int_equal(l.n_movies, t.m.n_movies);
    RGT_NEAR(l.global_mean, t.m.global_mean, 0);
    RGT_NEAR(l.rating_max, t.m.rating_max, 0);
    assert_int_equal(l.n_tensors, t.m.n_tensors);
    assert_memory_equal(l.tensors, t.m.tensors, (size_t) t.m.n_tensors * sizeof t.m.tensors[0]);
    assert_int_equal(l.n_params, t.m.n_params);
    assert_memory_equal(l.params, t.m.params, t.m.n_params * sizeof(float));
    assert_int_equal(l.n_history, 3);
    assert_memory_equal(l.history, t.m.history, 3 * sizeof t.m.history[0]);
    assert_non_null(rg_model_f32(&l, "user_emb"));
    assert_null(rg_model_i32(&l, "user_emb")); /* wrong dtype */
    assert_null(rg_model_f32(&l, "no_such_tensor"));
    /* saving the loaded model writes the same bytes */
    RGT_OK(rg_model_save(&l, rgt_tmp_path(p2, sizeof p2, "b.rgm")));
    size_t n1, n2;
    unsigned char *b1 = slurp(p1, &n1), *b2 = slurp(p2, &n2);
    assert_int_equal(n1, n2);
    assert_memory_equal(b1, b2, n1);
    /* and predicts the same after prepare on the same graph */
    rg_graph_t train2;
    uint8_t *is_test2 = malloc((size_t) t.full.n_ratings);
    RGT_OK(rg_model_prepare(&l, &t.full, &train2, is_test2));
    assert_memory_equal(t.is_test, is_test2, (size_t) t.full.n_ratings);
    assert_int_equal(train2.n_ratings, t.train.n_ratings);
    int32_t u[2] = {0, 3}, mv[2] = {1, 2};
    float a[2], b[2];
    RGT_OK(t.m.ops->predict(&t.m, &t.train, 2, u, mv, a));
    RGT_OK(l.ops->predict(&l, &train2, 2, u, mv, b));
    assert_memory_equal(a, b, sizeof a);
    free(b1);
    free(b2);
    free(is_test2);
    unlink(p1);
    unlink(p2);
    rg_graph_free(&train2);
    rg_model_free(&l);
    trained_free(&t);
}

/* ---- damaged files ---- */

static void test_truncation_at_every_byte_is_refused(void **state) {
    (void) state;
    trained_t t;
    rg_model_t l;
    char p[512], q[512];
    size_t len;
    trained(&t);
    RGT_OK(rg_model_save(&t.m, rgt_tmp_path(p, sizeof p, "t.rgm")));
    unsigned char *b = slurp(p, &len);
    rgt_tmp_path(q, sizeof q, "cut.rgm");
    /* every prefix, so every section boundary and every cut inside a section */
    int n_boundaries = 0;
    for (size_t cut = 0; cut < len; cut++) {
        spit(q, b, cut);
        rg_error_t rc = rg_model_load(&l, q);
        if (rc != RG_EFORMAT || !strstr(rg_last_error_message(), "truncated")) {
            print_error("cut at %zu of %zu: rc %d, message '%s'\n", cut, len, (int) rc,
                        rg_last_error_message());
        }
        assert_int_equal(rc, RG_EFORMAT);
        assert_non_null(strstr(rg_last_error_message(), "truncated"));
        if (strstr(rg_last_error_message(), "should start")) {
            n_boundaries++; /* a cut exactly between two sections */
        }
        assert_null(l.params); /* a failed load leaves a zeroed model */
    }
    assert_int_equal(n_boundaries, 5); /* after the header and after each of 4 sections */
    /* an extra byte at the end is refused too */
    unsigned char *b2 = malloc(len + 1);
    memcpy(b2, b, len);
    b2[len] = 0;
    spit(q, b2, len + 1);
    assert_int_equal(rg_model_load(&l, q), RG_EFORMAT);
    assert_non_null(strstr(rg_last_error_message(), "after the end"));
    free(b2);
    free(b);
    unlink(p);
    unlink(q);
    trained_free(&t);
}

static void test_corruption_magic_version_refused(void **state) {
    (void) state;
    trained_t t;
    rg_model_t l;
    char p[512], q[512];
    size_t len;
    trained(&t);
    RGT_OK(rg_model_save(&t.m, rgt_tmp_path(p, sizeof p, "c.rgm")));
    unsigned char *b = slurp(p, &len);
    rgt_tmp_path(q, sizeof q, "bad.rgm");
    /* one flipped bit in the middle (the tensor data) */
    b[len / 2] ^= 0x10;
    spit(q, b, len);
    assert_int_equal(rg_model_load(&l, q), RG_EFORMAT);
    assert_non_null(strstr(rg_last_error_message(), "checksum"));
    b[len / 2] ^= 0x10;
    /* magic */
    b[0] = 'X';
    spit(q, b, len);
    assert_int_equal(rg_model_load(&l, q), RG_EFORMAT);
    assert_non_null(strstr(rg_last_error_message(), "bad magic"));
    b[0] = 'R';
    /* version */
    b[8] = 99;
    spit(q, b, len);
    assert_int_equal(rg_model_load(&l, q), RG_EFORMAT);
    assert_non_null(strstr(rg_last_error_message(), "version 99"));
    b[8] = 1;
    /* restored bytes load again */
    spit(q, b, len);
    RGT_OK(rg_model_load(&l, q));
    rg_model_free(&l);
    /* a missing file */
    assert_int_equal(rg_model_load(&l, "/nonexistent/dir/model.rgm"), RG_EIO);
    assert_non_null(strstr(rg_last_error_message(), "/nonexistent/dir/model.rgm"));
    free(b);
    unlink(p);
    unlink(q);
    trained_free(&t);
}

static rg_error_t nokind_init(rg_model_t *m, const rg_graph_t *train) {
    (void) train;
    return rg_model_alloc(m);
}
static const rg_model_ops_t nokind_ops = {.name = "not-registered", .init = nokind_init};

static void test_unknown_kind_refused(void **state) {
    (void) state;
    rg_model_t m, l;
    rg_graph_t g;
    rg_hparams_t hp;
    char p[512];
    RGT_OK(rgt_graph_planted(&g, 10, 8, 4, 3));
    rg_hparams_init(&hp);
    RGT_OK(rg_model_init(&m, &nokind_ops, &hp, NULL, &g, &g));
    RGT_OK(rg_model_declare(&m, "w", RG_DTYPE_F32, 2, 3));
    RGT_OK(rg_model_declare(&m, "idx", RG_DTYPE_I32, 4, 1));
    RGT_OK(nokind_ops.init(&m, &g));
    RGT_OK(rg_model_save(&m, rgt_tmp_path(p, sizeof p, "k.rgm")));
    assert_int_equal(rg_model_load(&l, p), RG_EFORMAT);
    assert_non_null(strstr(rg_last_error_message(), "unknown model kind 'not-registered'"));
    unlink(p);
    rg_model_free(&m);
    rg_graph_free(&g);
}

static void test_declare_errors(void **state) {
    (void) state;
    rg_model_t m;
    rg_graph_t g;
    rg_hparams_t hp;
    RGT_OK(rgt_graph_planted(&g, 10, 8, 4, 3));
    rg_hparams_init(&hp);
    RGT_OK(rg_model_init(&m, &nokind_ops, &hp, NULL, &g, &g));
    RGT_OK(rg_model_declare(&m, "a", RG_DTYPE_F32, 3, 5));
    RGT_OK(rg_model_declare(&m, "b", RG_DTYPE_F32, 2, 1));
    assert_int_equal(rg_model_declare(&m, "a", RG_DTYPE_F32, 1, 1), RG_EINVAL);
    assert_non_null(strstr(rg_last_error_message(), "declared twice"));
    assert_int_equal(rg_model_declare(&m, "neg", RG_DTYPE_F32, -1, 1), RG_EINVAL);
    RGT_OK(rg_model_alloc(&m));
    assert_int_equal(m.n_params, 17);
    assert_ptr_equal(rg_model_f32(&m, "b"), m.params + 15);
    assert_int_equal(rg_model_declare(&m, "late", RG_DTYPE_F32, 1, 1), RG_EINVAL);
    rg_model_free(&m);
    rg_model_free(&m); /* free is safe on a freed (zeroed) model */
    rg_graph_free(&g);
}

/* ---- atomic writes ---- */

static int count_tmp_files(const char *dir, const char *stem) {
    DIR *d = opendir(dir);
    struct dirent *e;
    int n = 0;
    assert_non_null(d);
    while ((e = readdir(d))) {
        if (strstr(e->d_name, stem) && strstr(e->d_name, ".tmp.")) {
            n++;
        }
    }
    closedir(d);
    return n;
}

static void test_save_is_atomic_and_leaves_no_temporary(void **state) {
    (void) state;
    trained_t t;
    rg_model_t l;
    char p[512], dir[512];
    trained(&t);
    rgt_tmp_path(p, sizeof p, "atomic.rgm");
    snprintf(dir, sizeof dir, "%s", p);
    *strrchr(dir, '/') = '\0';
    spit(p, (const unsigned char *) "old contents", 12);
    RGT_OK(rg_model_save(&t.m, p)); /* replaces the old file */
    RGT_OK(rg_model_load(&l, p));
    rg_model_free(&l);
    assert_int_equal(count_tmp_files(dir, "atomic.rgm"), 0);
    /* a directory that does not exist: an I/O error naming the path, nothing written */
    assert_int_equal(rg_model_save(&t.m, "/nonexistent-dir/x.rgm"), RG_EIO);
    assert_non_null(strstr(rg_last_error_message(), "/nonexistent-dir/x.rgm"));
    /* allocation failure while loading: ENOMEM, nothing leaked (run under ASan in CI) */
    for (long k = 1; k <= 4; k++) {
        rg_fail_alloc_after(k);
        rg_error_t rc = rg_model_load(&l, p);
        rg_fail_alloc_after(0);
        assert_true(rc == RG_ENOMEM || rc == RG_SUCCESS);
        rg_model_free(&l);
    }
    unlink(p);
    trained_free(&t);
}

/* ---- prepare ---- */

static void test_prepare_refuses_another_graph(void **state) {
    (void) state;
    trained_t t;
    rg_graph_t other, tr2;
    trained(&t);
    RGT_OK(rgt_graph_planted(&other, 40, 30, 10, 8)); /* same sizes, other ratings */
    uint8_t *buf = malloc((size_t) other.n_ratings);
    assert_int_equal(rg_model_prepare(&t.m, &other, &tr2, buf), RG_EMISMATCH);
    assert_non_null(strstr(rg_last_error_message(), "hint"));
    assert_non_null(strstr(rg_last_error_message(), "/data/planted.rg"));
    rg_graph_free(&tr2); /* zeroed on failure: safe */
    free(buf);
    rg_graph_free(&other);
    trained_free(&t);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip_is_bit_identical),
        cmocka_unit_test(test_truncation_at_every_byte_is_refused),
        cmocka_unit_test(test_corruption_magic_version_refused),
        cmocka_unit_test(test_unknown_kind_refused),
        cmocka_unit_test(test_declare_errors),
        cmocka_unit_test(test_save_is_atomic_and_leaves_no_temporary),
        cmocka_unit_test(test_prepare_refuses_another_graph),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
