/* rng.c: xoshiro256** (Blackman and Vigna, 2018) seeded through splitmix64.  Written from the
 * published algorithm description; period 2^256 - 1, passes BigCrush. */
#include <math.h>

#include "reelgraph/rng.h"

static uint64_t rg_i_splitmix64(uint64_t *x) {
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

void rg_rng_init(rg_rng_t *r, uint64_t seed) {
    uint64_t x = seed;
    for (int i = 0; i < 4; i++) {
        r->s[i] = rg_i_splitmix64(&x);
    }
}

uint64_t rg_rng_mix(uint64_t seed, uint64_t stream) {
    uint64_t x = seed ^ (stream * 0xd1b54a32d192ed03ULL);
    rg_i_splitmix64(&x);
    return rg_i_splitmix64(&x);
}

uint64_t rg_rng_below(rg_rng_t *r, uint64_t n) {
    /* Lemire's multiply-shift with rejection of the biased low region. */
    unsigned __int128 m = (unsigned __int128) rg_rng_u64(r) * n;
    uint64_t lo = (uint64_t) m;
    if (lo < n) {
        uint64_t threshold = (0 - n) % n;
        while (lo < threshold) {
            m = (unsigned __int128) rg_rng_u64(r) * n;
            lo = (uint64_t) m;
        }
    }
    return (uint64_t) (m >> 64);
}

double rg_rng_uniform(rg_rng_t *r) { return (double) (rg_rng_u64(r) >> 11) * 0x1.0p-53; }
float rg_rng_uniformf(rg_rng_t *r) { return (float) (rg_rng_u64(r) >> 40) * 0x1.0p-24f; }

double rg_rng_normal(rg_rng_t *r) {
    double u1 = 1.0 - rg_rng_uniform(r); /* (0, 1]: log is finite */
    double u2 = rg_rng_uniform(r);
    return sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2);
}

void rg_rng_shuffle_i32(rg_rng_t *r, int32_t *a, int64_t n) {
    for (int64_t i = n - 1; i > 0; i--) {
        int64_t j = (int64_t) rg_rng_below(r, (uint64_t) i + 1);
        int32_t t = a[i];
        a[i] = a[j];
        a[j] = t;
    }
}

void rg_rng_shuffle_i64(rg_rng_t *r, int64_t *a, int64_t n) {
    for (int64_t i = n - 1; i > 0; i--) {
        int64_t j = (int64_t) rg_rng_below(r, (uint64_t) i + 1);
        int64_t t = a[i];
        a[i] = a[j];
        a[j] = t;
    }
}
