/* test_io_readers.c: the readers on hand-made fixtures (tests/data/make_fixtures.py: every format,
 * encodings, duplicates, missing metadata) and every bad-input case (error code AND a message
 * naming file and line), --skip-bad counting, format detection, rg_ratings_read. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rg_test.h"

/* Reads src with the given format into a graph; asserts success. */
static void read_graph(const char *src, rg_format_t f, rg_graph_t *g, rg_build_stats_t *st,
                       int64_t *skipped) {
    rg_dataset_t d;
    rg_read_opts_t o;
    rg_read_opts_default(&o);
    o.format = f;
    rg_dataset_init(&d);
    RGT_OK(rg_dataset_read(&d, src, &o));
    RGT_OK(rg_graph_build(g, &d, st));
    if (skipped) {
        *skipped = d.n_skipped_lines;
    }
    rg_dataset_free(&d);
}

static float rating_of(const rg_graph_t *g, int64_t user, int64_t movie) {
    int32_t u = rg_graph_user_index(g, user), m = rg_graph_movie_index(g, movie);
    assert_true(u >= 0);
    assert_true(m >= 0);
    int64_t e = rg_graph_edge(g, u, m);
    assert_true(e >= 0);
    return g->rating[e];
}

static void test_ml100k_fixture(void **state) {
    (void) state;
    char dir[1024];
    rg_graph_t g;
    rg_build_stats_t st;
    rgt_fixture_path(dir, sizeof dir, "ml-100k-mini");
    read_graph(dir, RG_FORMAT_AUTO, &g, &st, NULL); /* auto: u.data present */
    assert_string_equal(g.name, "ml-100k");
    assert_int_equal(g.n_users, 4);
    assert_int_equal(g.n_movies, 5); /* movie 5 has metadata and no rating */
    assert_int_equal(g.n_ratings, 10);
    assert_int_equal(st.n_movies_unrated, 1);
    assert_int_equal(st.n_movies_no_meta, 0);
    assert_int_equal(g.n_genres, 19);
    assert_string_equal(g.genre_names[4], "Children's");
    assert_float_equal(g.rating_min, 1.0f, 0.0);
    assert_float_equal(g.rating_max, 5.0f, 0.0);
    int32_t m2 = rg_graph_movie_index(&g, 2);
    /* latin-1 0xE9 became UTF-8 C3 A9 */
    assert_string_equal(rg_graph_movie_title(&g, m2), "Mis\xc3\xa9rables, Les (1995)");
    assert_int_equal(g.movie_year[m2], 1995);
    assert_int_equal(g.movie_genres[m2], 1u << 8);
    int32_t m4 = rg_graph_movie_index(&g, 4); /* no year in the title: from the release date */
    assert_int_equal(g.movie_year[m4], 1995);
    assert_int_equal(g.movie_genres[m4], (1u << 1) | (1u << 6) | (1u << 16));
    assert_int_equal(g.movie_year[rg_graph_movie_index(&g, 3)], 0);
    assert_float_equal(rating_of(&g, 3, 4), 2.0f, 0.0);
    assert_int_equal(g.ts[rg_graph_edge(&g, rg_graph_user_index(&g, 1), m4)], 874965478);
    assert_int_equal(g.has_demographics, 1);
    int32_t u2 = rg_graph_user_index(&g, 2);
    assert_int_equal(g.user_age[u2], 53);
    assert_int_equal(g.user_gender[u2], RG_GENDER_F);
    assert_string_equal(g.occupation_names[g.user_occupation[u2]], "writer");
    assert_string_equal(rg_graph_user_zip(&g, rg_graph_user_index(&g, 4)), "E2A4X");
    rg_graph_free(&g);
}

static void test_ml1m_fixture(void **state) {
    (void) state;
    char dir[1024];
    rg_graph_t g;
    rg_build_stats_t st;
    rgt_fixture_path(dir, sizeof dir, "ml-1m-mini");
    read_graph(dir, RG_FORMAT_ML1M, &g, &st, NULL);
    assert_string_equal(g.name, "ml-1m");
    assert_float_equal(g.rating_min, 1.0f, 0.0); /* users.dat present: ML-1M whole stars */
    assert_int_equal(g.n_users, 3);
    assert_int_equal(g.n_movies, 4);  /* 10, 20, 40 (unrated) + 30 (no metadata) */
    assert_int_equal(g.n_ratings, 6); /* 7 rows, one duplicate */
    assert_int_equal(st.n_duplicates, 1);
    assert_int_equal(st.n_movies_no_meta, 1);
    assert_int_equal(st.n_movies_unrated, 1);
    assert_float_equal(rating_of(&g, 1, 10), 5.0f, 0.0); /* the later timestamp wins */
    assert_string_equal(rg_graph_movie_title(&g, rg_graph_movie_index(&g, 30)), "");
    assert_string_equal(rg_graph_movie_title(&g, rg_graph_movie_index(&g, 20)),
                        "Cit\xc3\xa9 des enfants perdus, La (1995)");
    assert_int_equal(g.n_genres, 18);
    assert_int_equal(g.movie_genres[rg_graph_movie_index(&g, 20)], (1u << 1) | (1u << 14));
    int32_t u = rg_graph_user_index(&g, 3000);
    assert_int_equal(g.ts[g.user_ptr[u]], 0); /* unknown timestamps stay 0 */
    assert_int_equal(g.user_age[u], 25);      /* the age-group code */
    assert_string_equal(g.occupation_names[g.user_occupation[u]], "scientist");
    rg_graph_free(&g);
}

static void test_mllatest_fixture(void **state) {
    (void) state;
    char dir[1024];
    rg_graph_t g;
    rg_build_stats_t st;
    rgt_fixture_path(dir, sizeof dir, "ml-latest-mini");
    read_graph(dir, RG_FORMAT_AUTO, &g, &st, NULL);
    assert_string_equal(g.name, "ml-latest");
    assert_int_equal(g.n_users, 3);
    assert_int_equal(g.n_movies, 4);
    assert_int_equal(g.n_ratings, 6); /* the last line has no newline */
    assert_float_equal(g.rating_min, 0.5f, 0.0);
    assert_float_equal(rating_of(&g, 5, 25), 0.5f, 0.0);
    assert_float_equal(rating_of(&g, 7, 11), 2.5f, 0.0);
    assert_string_equal(rg_graph_movie_title(&g, rg_graph_movie_index(&g, 11)),
                        "American President, The (1995)");
    int32_t m25 = rg_graph_movie_index(&g, 25);
    assert_string_equal(rg_graph_movie_title(&g, m25), "Film \"Quoted\" (2001)");
    assert_int_equal(g.movie_genres[m25], 0); /* (no genres listed) */
    assert_int_equal(g.movie_year[m25], 2001);
    assert_string_equal(rg_graph_movie_title(&g, rg_graph_movie_index(&g, 31)),
                        "Am\xc3\xa9lie (2001)"); /* UTF-8 kept as is */
    assert_int_equal(g.n_genres, 7);              /* vocabulary in order of appearance */
    assert_string_equal(g.genre_names[0], "Adventure");
    assert_int_equal(g.has_demographics, 0);
    rg_graph_free(&g);
}

static void test_generic_files(void **state) {
    (void) state;
    char path[1024];
    rg_graph_t g;
    rgt_fixture_path(path, sizeof path, "ratings-header.csv");
    read_graph(path, RG_FORMAT_AUTO, &g, NULL, NULL); /* a file: csv, header skipped */
    assert_string_equal(g.name, "csv");
    assert_int_equal(g.n_ratings, 4);
    assert_float_equal(g.rating_min, 1.0f, 0.0); /* inferred from the data */
    assert_float_equal(g.rating_max, 5.0f, 0.0);
    assert_float_equal(rating_of(&g, 10, 101), 2.5f, 0.0);
    assert_int_equal(g.ts[rg_graph_edge(&g, rg_graph_user_index(&g, 12), 2)], 1003);
    rg_graph_free(&g);
    rgt_fixture_path(path, sizeof path, "ratings-blanks.txt");
    read_graph(path, RG_FORMAT_CSV, &g, NULL, NULL);
    assert_int_equal(g.n_ratings, 3);
    assert_float_equal(rating_of(&g, 8, 80), 4.5f, 0.0);
    assert_int_equal(g.ts[0], 0); /* no timestamp column */
    rg_graph_free(&g);
    /* semicolons and '|' are detected too */
    rgt_write_tmp(path, sizeof path, "semi.txt", "1;2;3.5\n2;2;4\n");
    read_graph(path, RG_FORMAT_CSV, &g, NULL, NULL);
    assert_int_equal(g.n_ratings, 2);
    rg_graph_free(&g);
    unlink(path);
}

/* One bad input: file content, the reader's format, expected code and message fragments. */
typedef struct {
    const char *file;    /* name inside the scratch dataset directory (or the file itself) */
    const char *content;
    rg_format_t format;
    rg_error_t code;
    const char *where;   /* "name:LINE" expected in the message */
    const char *why;     /* reason expected in the message */
} bad_case_t;

static const bad_case_t bad_cases[] = {
    {"ratings.dat", "1::2::3::4\n1::3::4\n", RG_FORMAT_ML1M, RG_EFORMAT, "ratings.dat:2:",
     "found 3 fields"},
    {"ratings.dat", "1::2::3::4\nx1::3::4::5\n", RG_FORMAT_ML1M, RG_EFORMAT, "ratings.dat:2:",
     "user id 'x1' is not an integer"},
    {"ratings.dat", "1::2::3::4\n\n1::q::4::5\n", RG_FORMAT_ML1M, RG_EFORMAT, "ratings.dat:3:",
     "movie id 'q' is not an integer"},
    {"ratings.dat", "1::2::abc::4\n", RG_FORMAT_ML1M, RG_EFORMAT, "ratings.dat:1:",
     "rating 'abc' is not a number"},
    /* no header in "::" or u.data files: a bad first line is an error, not a header */
    {"ratings.dat", "x::2::3::4\n1::2::3::4\n", RG_FORMAT_ML1M, RG_EFORMAT, "ratings.dat:1:",
     "user id 'x' is not an integer"},
    {"u.data", "user\titem\trating\tts\n1\t2\t3\t4\n", RG_FORMAT_ML100K, RG_EFORMAT,
     "u.data:1:", "user id 'user' is not an integer"},
    /* without users.dat the "::" layout is ML-10M: half stars 0.5..5 */
    {"ratings.dat", "1::2::3::4\n1::3::6::5\n", RG_FORMAT_ML1M, RG_EFORMAT, "ratings.dat:2:",
     "rating 6 is outside the scale [0.5, 5]"},
    {"ratings.dat", "1::2::0.25::4\n", RG_FORMAT_ML1M, RG_EFORMAT, "ratings.dat:1:",
     "outside the scale"},
    {"ratings.dat", "1::2::3::-5\n", RG_FORMAT_ML1M, RG_EFORMAT, "ratings.dat:1:",
     "timestamp '-5'"},
    {"ratings.dat", "1::2::3::12a\n", RG_FORMAT_ML1M, RG_EFORMAT, "ratings.dat:1:",
     "timestamp '12a'"},
    {"ratings.dat", "1::2::3::4::5\n", RG_FORMAT_ML1M, RG_EFORMAT, "ratings.dat:1:",
     "found 5 fields"},
    {"ratings.dat", "1::2::nan::4\n", RG_FORMAT_ML1M, RG_EFORMAT, "ratings.dat:1:",
     "is not a number"},
    {"u.data", "1\t2\t3\t4\n1\t2\t3\n", RG_FORMAT_ML100K, RG_EFORMAT, "u.data:2:",
     "found 3 fields"},
    {"ratings.csv", "userId,movieId,rating,timestamp\r\n1,2,5.5,9\r\n", RG_FORMAT_MLLATEST,
     RG_EFORMAT, "ratings.csv:2:", "rating 5.5 is outside the scale [0.5, 5]"},
    {"ratings.csv", "userId,movieId,rating,timestamp\n1,2,3\n", RG_FORMAT_MLLATEST, RG_EFORMAT,
     "ratings.csv:2:", "timestamp separated by ','"},
    {"plain.csv", "1,2,3,4,5\n", RG_FORMAT_CSV, RG_EFORMAT, "plain.csv:1:", "found 5 fields"},
    {"plain.csv", "1,2\n", RG_FORMAT_CSV, RG_EFORMAT, "plain.csv:1:", "found 2 fields"},
    {"plain.csv", "1,2,3\n4,5,\n", RG_FORMAT_CSV, RG_EFORMAT, "plain.csv:2:",
     "rating '' is not a number"},
};

/* Writes a case into a fresh scratch directory; returns the source to read. */
static char *make_case(const bad_case_t *c, int k, char *src, size_t size) {
    char dir[900], file[1024];
    char name[64];
    snprintf(name, sizeof name, "bad-%d", k);
    rgt_tmp_path(dir, sizeof dir, name);
    mkdir(dir, 0777);
    snprintf(file, sizeof file, "%s/%s", dir, c->file);
    FILE *f = fopen(file, "wb");
    assert_non_null(f);
    fputs(c->content, f);
    fclose(f);
    snprintf(src, size, "%s", c->format == RG_FORMAT_CSV ? file : dir);
    return src;
}

static void remove_case(const bad_case_t *c, const char *src) {
    if (c->format == RG_FORMAT_CSV) {
        unlink(src);
        return;
    }
    char file[1200];
    snprintf(file, sizeof file, "%s/%s", src, c->file);
    unlink(file);
    rmdir(src);
}

static void test_bad_lines_name_file_and_line(void **state) {
    (void) state;
    for (size_t k = 0; k < sizeof bad_cases / sizeof bad_cases[0]; k++) {
        const bad_case_t *c = &bad_cases[k];
        char src[1100];
        make_case(c, (int) k, src, sizeof src);
        rg_dataset_t d;
        rg_read_opts_t o;
        rg_read_opts_default(&o);
        o.format = c->format;
        rg_dataset_init(&d);
        rg_error_t rc = rg_dataset_read(&d, src, &o);
        const char *msg = rg_last_error_message();
        if (rc != c->code || !strstr(msg, c->where) || !strstr(msg, c->why)) {
            print_error("case %zu (%s): got %d '%s', want %d with '%s' and '%s'\n", k, c->file,
                        rc, msg, c->code, c->where, c->why);
        }
        assert_int_equal(rc, c->code);
        assert_non_null(strstr(msg, c->where));
        assert_non_null(strstr(msg, c->why));
        rg_dataset_free(&d);

        /* the same input with skip_bad: the bad line is counted, the rest imported */
        rg_dataset_init(&d);
        o.skip_bad = 1;
        RGT_OK(rg_dataset_read(&d, src, &o));
        assert_int_equal(d.n_skipped_lines, 1);
        rg_dataset_free(&d);
        remove_case(c, src);
    }
}

static void test_bad_metadata_lines(void **state) {
    (void) state;
    static const struct {
        const char *file, *content, *where, *why;
        rg_format_t format;
    } meta[] = {
        {"movies.csv", "movieId,title,genres\n1,\"Open quote,Drama\n", "movies.csv:2:",
         "unterminated quoted field", RG_FORMAT_MLLATEST},
        {"movies.dat", "1::Title (1990)\n", "movies.dat:1:", "expected 3 fields",
         RG_FORMAT_ML1M},
        {"users.dat", "1::X::25::3::12345\n", "users.dat:1:", "gender 'X' is not M or F",
         RG_FORMAT_ML1M},
        {"users.dat", "1::M::25::99::12345\n", "users.dat:1:", "occupation code '99'",
         RG_FORMAT_ML1M},
        {"u.item", "1|T (1990)|01-Jan-1990||u|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|2\n",
         "u.item:1:", "genre flag 18 ('2') is not 0 or 1", RG_FORMAT_ML100K},
        {"u.item", "1|T (1990)|01-Jan-1990\n", "u.item:1:", "expected 24 fields",
         RG_FORMAT_ML100K},
        {"u.user", "1|abc|M|writer|12345\n", "u.user:1:", "age 'abc'", RG_FORMAT_ML100K},
    };
    for (size_t k = 0; k < sizeof meta / sizeof meta[0]; k++) {
        char dir[900], file[1024], ratings[1024];
        char name[64];
        snprintf(name, sizeof name, "meta-%zu", k);
        rgt_tmp_path(dir, sizeof dir, name);
        mkdir(dir, 0777);
        snprintf(file, sizeof file, "%s/%s", dir, meta[k].file);
        FILE *f = fopen(file, "wb");
        assert_non_null(f);
        fputs(meta[k].content, f);
        fclose(f);
        const char *rname = meta[k].format == RG_FORMAT_ML100K ? "u.data"
                            : meta[k].format == RG_FORMAT_ML1M ? "ratings.dat"
                                                               : "ratings.csv";
        const char *rtext = meta[k].format == RG_FORMAT_ML100K ? "1\t1\t3\t5\n"
                            : meta[k].format == RG_FORMAT_ML1M ? "1::1::3::5\n"
                                                               : "1,1,3,5\n";
        snprintf(ratings, sizeof ratings, "%s/%s", dir, rname);
        f = fopen(ratings, "wb");
        assert_non_null(f);
        fputs(rtext, f);
        fclose(f);
        rg_dataset_t d;
        rg_read_opts_t o;
        rg_read_opts_default(&o);
        o.format = meta[k].format;
        rg_dataset_init(&d);
        rg_error_t rc = rg_dataset_read(&d, dir, &o);
        const char *msg = rg_last_error_message();
        if (rc != RG_EFORMAT || !strstr(msg, meta[k].where) || !strstr(msg, meta[k].why)) {
            print_error("meta case %zu: got %d '%s'\n", k, rc, msg);
        }
        assert_int_equal(rc, RG_EFORMAT);
        assert_non_null(strstr(msg, meta[k].where));
        assert_non_null(strstr(msg, meta[k].why));
        rg_dataset_free(&d);
        rg_dataset_init(&d);
        o.skip_bad = 1;
        RGT_OK(rg_dataset_read(&d, dir, &o));
        assert_int_equal(d.n_skipped_lines, 1);
        assert_int_equal(d.n_ratings, 1);
        rg_dataset_free(&d);
        unlink(file);
        unlink(ratings);
        rmdir(dir);
    }
}

static void test_missing_and_wrong_sources(void **state) {
    (void) state;
    rg_dataset_t d;
    rg_read_opts_t o;
    rg_read_opts_default(&o);
    char dir[1024], path[1100];
    rgt_tmp_path(dir, sizeof dir, "emptydir");
    mkdir(dir, 0777);
    rg_dataset_init(&d);
    assert_int_equal(rg_dataset_read(&d, dir, &o), RG_EFORMAT);
    assert_non_null(strstr(rg_last_error_message(), "no u.data"));
    rg_dataset_free(&d);
    o.format = RG_FORMAT_ML1M; /* explicit format, ratings file absent */
    rg_dataset_init(&d);
    assert_int_equal(rg_dataset_read(&d, dir, &o), RG_EIO);
    assert_non_null(strstr(rg_last_error_message(), "ratings.dat"));
    rg_dataset_free(&d);
    o.format = RG_FORMAT_CSV; /* a directory where a file is expected */
    rg_dataset_init(&d);
    assert_int_equal(rg_dataset_read(&d, dir, &o), RG_EINVAL);
    rg_dataset_free(&d);
    snprintf(path, sizeof path, "%s/nothing-here", dir);
    rg_dataset_init(&d);
    assert_int_equal(rg_dataset_read(&d, path, &o), RG_EIO);
    assert_non_null(strstr(rg_last_error_message(), "nothing-here"));
    rg_dataset_free(&d);
    rmdir(dir);
    rg_format_t f;
    assert_int_equal(rg_format_parse("ml-25m", &f), RG_SUCCESS);
    assert_int_equal(f, RG_FORMAT_MLLATEST);
    assert_int_equal(rg_format_parse("ml-7m", &f), RG_EINVAL);
    assert_non_null(strstr(rg_last_error_message(), "ml-7m"));
    assert_string_equal(rg_format_name(RG_FORMAT_ML100K), "ml-100k");
}

static void test_csv_scale_option(void **state) {
    (void) state;
    char path[1024];
    rgt_write_tmp(path, sizeof path, "scale.csv", "1,1,3\n1,2,11\n");
    rg_dataset_t d;
    rg_read_opts_t o;
    rg_read_opts_default(&o);
    o.rating_min = 1.0f;
    o.rating_max = 10.0f;
    rg_dataset_init(&d);
    assert_int_equal(rg_dataset_read(&d, path, &o), RG_EFORMAT);
    assert_non_null(strstr(rg_last_error_message(), ":2: rating 11 is outside the scale [1, 10]"));
    rg_dataset_free(&d);
    unlink(path);
}

static void test_empty_ratings_file(void **state) {
    (void) state;
    char path[1024];
    rgt_write_tmp(path, sizeof path, "empty.csv", "\n\n");
    rg_graph_t g;
    read_graph(path, RG_FORMAT_CSV, &g, NULL, NULL);
    assert_int_equal(g.n_ratings, 0);
    rg_graph_free(&g);
    unlink(path);
}

static void test_ratings_read(void **state) {
    (void) state;
    char path[1024];
    rg_rating_t *r = NULL;
    int64_t n = 0;
    rgt_fixture_path(path, sizeof path, "u-mini.test");
    RGT_OK(rg_ratings_read(path, &r, &n));
    assert_int_equal(n, 3);
    assert_int_equal(r[1].user, 2);
    assert_int_equal(r[1].movie, 3);
    assert_float_equal(r[1].rating, 1.0f, 0.0);
    assert_int_equal(r[2].ts, 878543541);
    free(r);
    rgt_fixture_path(path, sizeof path, "ml-latest-mini/ratings.csv"); /* header, CRLF */
    RGT_OK(rg_ratings_read(path, &r, &n));
    assert_int_equal(n, 6);
    assert_float_equal(r[1].rating, 4.5f, 0.0);
    free(r);
    rgt_fixture_path(path, sizeof path, "ml-1m-mini/ratings.dat");
    RGT_OK(rg_ratings_read(path, &r, &n));
    assert_int_equal(n, 7); /* raw rows: duplicates are the graph's business */
    free(r);
    rgt_write_tmp(path, sizeof path, "bad.test", "1\t2\t3\t4\n1\t2\n");
    r = NULL;
    assert_int_equal(rg_ratings_read(path, &r, &n), RG_EFORMAT);
    assert_non_null(strstr(rg_last_error_message(), "bad.test:2:"));
    assert_null(r);
    unlink(path);
}

static void test_long_line_and_no_final_newline(void **state) {
    (void) state;
    /* a comment-free file whose first line is far longer than the 4 MiB read block */
    size_t n = (size_t) 5 << 20;
    char *text = malloc(n + 64);
    assert_non_null(text);
    memset(text, ' ', n);
    memcpy(text, "1,2,3", 5);
    snprintf(text + n, 64, "\n4,5,2");
    char path[1024];
    rgt_write_tmp(path, sizeof path, "long.csv", text);
    free(text);
    rg_graph_t g;
    read_graph(path, RG_FORMAT_CSV, &g, NULL, NULL);
    assert_int_equal(g.n_ratings, 2);
    assert_float_equal(rating_of(&g, 4, 5), 2.0f, 0.0);
    rg_graph_free(&g);
    unlink(path);
}

static void test_allocation_failures(void **state) {
    (void) state;
    char dir[1024];
    rgt_fixture_path(dir, sizeof dir, "ml-latest-mini");
    int failures = 0;
    for (long k = 1; k < 60; k++) {
        rg_dataset_t d;
        rg_dataset_init(&d);
        rg_fail_alloc_after(k);
        rg_error_t rc = rg_dataset_read(&d, dir, NULL);
        rg_fail_alloc_after(0);
        if (rc != RG_SUCCESS) {
            assert_int_equal(rc, RG_ENOMEM);
            failures++;
        } else {
            assert_int_equal(d.n_ratings, 6);
        }
        rg_dataset_free(&d);
    }
    assert_true(failures >= 5);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ml100k_fixture),
        cmocka_unit_test(test_ml1m_fixture),
        cmocka_unit_test(test_mllatest_fixture),
        cmocka_unit_test(test_generic_files),
        cmocka_unit_test(test_bad_lines_name_file_and_line),
        cmocka_unit_test(test_bad_metadata_lines),
        cmocka_unit_test(test_missing_and_wrong_sources),
        cmocka_unit_test(test_csv_scale_option),
        cmocka_unit_test(test_empty_ratings_file),
        cmocka_unit_test(test_ratings_read),
        cmocka_unit_test(test_long_line_and_no_final_newline),
        cmocka_unit_test(test_allocation_failures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
