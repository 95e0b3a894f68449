/* test_snapshot_crafted_contents.c: regression test for the first fuzz finding (fuzz_snapshot,
 * 2026-11-27): rg_snapshot_load verified the checksums and the CSR offsets but trusted the
 * arrays themselves, so a file whose checksums had been recomputed after an edit (a crafted
 * file, or a buggy writer) loaded with a movie id beyond n_movies in user_adj and every command
 * then read out of bounds.  Each case edits one array of a valid snapshot, recomputes both
 * checksums (header layout: docs/formats.md) and expects RG_EFORMAT naming the problem. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "graph/graph_store.h"
#include "rg_test.h"

typedef struct {
    unsigned char *b;
    size_t size;
    uint64_t data_offset;
    rg_i_layout_t l;
} snap_t;

static void snap_read(snap_t *s, const char *path, const rg_graph_t *g) {
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    s->size = (size_t) ftell(f);
    fseek(f, 0, SEEK_SET);
    s->b = malloc(s->size);
    assert_non_null(s->b);
    assert_int_equal(fread(s->b, 1, s->size, f), s->size);
    fclose(f);
    memcpy(&s->data_offset, s->b + 64, 8);
    RGT_OK(rg_i_layout_compute(&s->l, g->n_users, g->n_movies, g->n_ratings,
                               g->movie_title_off[g->n_movies], g->user_zip_off[g->n_users]));
}

static void *sec(snap_t *s, int section) {
    return s->b + s->data_offset + s->l.offset[section];
}

/* Recomputes both checksums, writes the file and expects a refusal mentioning why. */
static void expect_refused(snap_t *s, const char *path, const char *why) {
    uint32_t hs;
    memcpy(&hs, s->b + 12, 4);
    uint64_t dsum = rg_i_hash(0, s->b + s->data_offset, (size_t) s->l.total);
    memcpy(s->b + hs - 16, &dsum, 8);
    uint64_t hsum = rg_i_hash(0, s->b, hs - 8);
    memcpy(s->b + hs - 8, &hsum, 8);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(s->b, 1, s->size, f), s->size);
    fclose(f);
    rg_graph_t g;
    rg_error_t rc = rg_snapshot_load(&g, path);
    if (rc != RG_EFORMAT || !strstr(rg_last_error_message(), why)) {
        print_error("expected RG_EFORMAT with '%s', got %d: %s\n", why, (int) rc,
                    rg_last_error_message());
    }
    assert_int_equal(rc, RG_EFORMAT);
    assert_non_null(strstr(rg_last_error_message(), why));
    assert_null(g.mem); /* zeroed on failure */
    rg_graph_free(&g);
}

static void test_crafted_arrays_refused(void **state) {
    (void) state;
    /* 3 users, 3 movies, 7 ratings; user 1 rates movies 10, 20, 30 */
    const int64_t users[] = {1, 1, 1, 2, 2, 3, 3};
    const int64_t movies[] = {10, 20, 30, 10, 30, 20, 30};
    const float ratings[] = {5, 3, 4, 2, 1, 4, 5};
    rg_graph_t g, back;
    char path[512], bad[512];
    RGT_OK(rgt_graph_from_triples(&g, 7, users, movies, ratings, NULL));
    rgt_tmp_path(path, sizeof path, "crafted.rg");
    rgt_tmp_path(bad, sizeof bad, "crafted-bad.rg");
    RGT_OK(rg_snapshot_write(&g, path));
    RGT_OK(rg_snapshot_load(&back, path)); /* the untouched file still loads */
    rg_graph_free(&back);

    struct {
        int section;
        const char *why;
    } cases[] = {
        {RG_SEC_USER_ADJ, "out of range"},       /* movie id = n_movies */
        {RG_SEC_USER_ADJ, "not ascending"},      /* user 1's movies swapped */
        {RG_SEC_MOVIE_ADJ, "do not match"},      /* rater id = n_users */
        {RG_SEC_MOVIE_EID, "do not match"},      /* edge id beyond n_ratings */
        {RG_SEC_MOVIE_EID, "do not match"},      /* edge of another movie */
        {RG_SEC_RATING, "rating scale"},         /* rating 99 on a 1..5 scale */
        {RG_SEC_MOVIE_TITLES, "not terminated"}, /* last title loses its NUL */
        {RG_SEC_USER_ZIPS, "not terminated"},    /* last zip loses its NUL */
        {RG_SEC_USER_EXT, "not ascending"},      /* user ids out of order */
        {RG_SEC_MOVIE_EXT, "not ascending"},     /* movie ids repeated */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        snap_t s;
        snap_read(&s, path, &g);
        void *p = sec(&s, cases[i].section);
        int32_t *i32 = p;
        int64_t *i64 = p;
        float *f32 = p;
        char *c = p;
        switch (i) {
        case 0: i32[0] = (int32_t) g.n_movies; break;
        case 1: { int32_t t = i32[0]; i32[0] = i32[1]; i32[1] = t; } break;
        case 2: i32[0] = (int32_t) g.n_users; break;
        case 3: i64[0] = g.n_ratings + 5; break;
        case 4: i64[0] = i64[g.n_ratings - 1]; break;
        case 5: f32[2] = 99.0f; break;
        case 6: c[g.movie_title_off[g.n_movies] - 1] = 'x'; break;
        case 7: c[g.user_zip_off[g.n_users] - 1] = 'x'; break;
        case 8: i64[0] = i64[1] + 1; break;
        case 9: i64[1] = i64[0]; break;
        }
        expect_refused(&s, bad, cases[i].why);
        free(s.b);
    }

    /* a NaN rating scale in the header */
    {
        snap_t s;
        snap_read(&s, path, &g);
        float nan = NAN;
        memcpy(s.b + 92, &nan, 4); /* rating_max */
        expect_refused(&s, bad, "rating scale");
        free(s.b);
    }
    remove(path);
    remove(bad);
    rg_graph_free(&g);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_crafted_arrays_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
