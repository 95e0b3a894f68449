/* parallel.h: the OpenMP idioms the library's kernels share, so each is written once.
 * Internal (never installed), rg_i_ prefix.  Both work without OpenMP (one thread). */
#ifndef RG_CORE_PARALLEL_H
#define RG_CORE_PARALLEL_H

#ifdef _OPENMP
#include <omp.h>
#endif

/* The team size for a requested thread count: n_threads, or OpenMP's default for 0 (1 without
 * OpenMP). */
static inline int rg_i_threads(int n_threads) {
#ifdef _OPENMP
    return n_threads > 0 ? n_threads : omp_get_max_threads();
#else
    (void) n_threads;
    return 1;
#endif
}

/* Inside a parallel region: the calling thread's id and the team size (0 and 1 outside one or
 * without OpenMP). */
static inline void rg_i_team(int *tid, int *nthr) {
#ifdef _OPENMP
    *tid = omp_get_thread_num();
    *nthr = omp_get_num_threads();
#else
    *tid = 0;
    *nthr = 1;
#endif
}

/* Inside a parallel region, after a barrier, for the split-and-add pattern (thread 0 adds its
 * share into the destination, thread t > 0 into a zeroed private slice): adds the slices of
 * threads 1..nthr-1 into the k destination arrays dst (len[i] floats each).  Slice t-1 starts at
 * part + (t-1) * stride and holds the k arrays one after the other; each thread adds its block
 * of the stride's floats, in thread order (deterministic for a given thread count). */
static inline void rg_i_add_slices(float *const *dst, const size_t *len, int k, const float *part,
                                   size_t stride, int tid, int nthr) {
    size_t lo = stride * (size_t) tid / (size_t) nthr;
    size_t hi = stride * (size_t) (tid + 1) / (size_t) nthr;
    for (size_t a = 0, off = 0; a < (size_t) k; off += len[a], a++) {
        /* this thread's part of array a: flat [max(lo, off), min(hi, off + len)) */
        size_t q0 = lo > off ? lo : off, q1 = hi < off + len[a] ? hi : off + len[a];
        for (int t = 1; t < nthr; t++) {
            const float *src = part + (size_t) (t - 1) * stride;
            for (size_t q = q0; q < q1; q++) {
                dst[a][q - off] += src[q];
            }
        }
    }
}

#endif
