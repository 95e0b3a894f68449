/* test_rng.c: the generator against the published algorithms (xoshiro256** seeded through
 * splitmix64; the reference values come from an independent transcription of both, in Python,
 * for seed 42), and the ranges of the derived draws. */
#include "rg_test.h"

static void test_rng_matches_reference(void **state) {
    (void) state;
    rg_rng_t r;
    rg_rng_init(&r, 42);
    assert_true(rg_rng_u64(&r) == 0x15780b2e0c2ec716ULL);
    assert_true(rg_rng_u64(&r) == 0x6104d9866d113a7eULL);
    assert_true(rg_rng_u64(&r) == 0xae17533239e499a1ULL);
}

static void test_rng_ranges(void **state) {
    (void) state;
    rg_rng_t r;
    rg_rng_init(&r, 7);
    int hits[5] = {0};
    for (int i = 0; i < 5000; i++) {
        uint64_t b = rg_rng_below(&r, 5);
        assert_true(b < 5);
        hits[b]++;
        float u = rg_rng_uniformf(&r);
        assert_true(u >= 0.0f && u < 1.0f);
        double v = rg_rng_uniform(&r);
        assert_true(v >= 0.0 && v < 1.0);
    }
    for (int k = 0; k < 5; k++) {
        assert_true(hits[k] > 850 && hits[k] < 1150); /* expected 1000, sd ~28 */
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rng_matches_reference),
        cmocka_unit_test(test_rng_ranges),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
