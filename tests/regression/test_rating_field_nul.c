/* test_rating_field_nul.c: regression test for a test_limits finding (2026-11-27): a rating
 * field with a NUL byte inside ("3\0junk") was parsed by strtod up to the NUL and accepted as 3,
 * silently dropping the rest of the field.  The whole field must be the number, so such a line
 * is a malformed line naming the file and line. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rg_test.h"

static void test_nul_inside_rating_is_refused(void **state) {
    (void) state;
    char path[512];
    static const char text[] = "1,2,3.5\n4,5,3\0junk\n";
    rgt_tmp_path(path, sizeof path, "nul-rating.csv");
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(text, 1, sizeof text - 1, f), sizeof text - 1);
    fclose(f);
    rg_rating_t *r = NULL;
    int64_t n = 0;
    rg_error_t rc = rg_ratings_read(path, &r, &n);
    assert_int_equal(rc, RG_EFORMAT);
    assert_non_null(strstr(rg_last_error_message(), "nul-rating.csv:2:"));
    assert_non_null(strstr(rg_last_error_message(), "is not a number"));
    /* the long path (strtod, for exponents) still takes a whole field */
    static const char ok[] = "1,2,3.5e0\n";
    f = fopen(path, "wb");
    assert_non_null(f);
    fputs(ok, f);
    fclose(f);
    RGT_OK(rg_ratings_read(path, &r, &n));
    assert_int_equal(n, 1);
    RGT_NEAR(r[0].rating, 3.5, 0.0);
    free(r);
    unlink(path);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nul_inside_rating_is_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
