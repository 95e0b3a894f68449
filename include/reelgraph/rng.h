/* rng.h: a small, fast, seedable generator (xoshiro256**, seeded through splitmix64).
 *
 * Everything stochastic takes an explicit rg_rng_t.  Parallel code derives one stream per block
 * with rg_rng_init(&r, rg_rng_mix(seed, block_id)), never from thread scheduling, so results
 * depend on the seed and the block layout only.  GSL's gsl_rng is used where its distributions
 * are needed; this one is for the hot loops (sampling, shuffling, initialisation).
 */
#ifndef REELGRAPH_RNG_H
#define REELGRAPH_RNG_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    uint64_t s[4];
} rg_rng_t;

void rg_rng_init(rg_rng_t *r, uint64_t seed);
/* A well-mixed 64-bit value of (seed, stream): the seed of an independent stream. */
uint64_t rg_rng_mix(uint64_t seed, uint64_t stream);
/* The next 64 random bits (xoshiro256**).  Inline: the samplers and dropout draw millions of
 * these per epoch, and a call per draw showed as 7% of a ggnn epoch. */
static inline uint64_t rg_rng_u64(rg_rng_t *r) {
    uint64_t *s = r->s;
    uint64_t result = ((s[1] * 5) << 7 | (s[1] * 5) >> 57) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = s[3] << 45 | s[3] >> 19;
    return result;
}
/* Uniform in [0, n) without modulo bias; n > 0. */
uint64_t rg_rng_below(rg_rng_t *r, uint64_t n);
/* Uniform in [0, 1). */
double rg_rng_uniform(rg_rng_t *r);
float rg_rng_uniformf(rg_rng_t *r);
/* Standard normal (Box-Muller, one value per call). */
double rg_rng_normal(rg_rng_t *r);
/* Fisher-Yates shuffle of n int32 / int64 values. */
void rg_rng_shuffle_i32(rg_rng_t *r, int32_t *a, int64_t n);
void rg_rng_shuffle_i64(rg_rng_t *r, int64_t *a, int64_t n);

#ifdef __cplusplus
}
#endif
#endif
