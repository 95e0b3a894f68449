/* parallel.h: the two OpenMP idioms the library's kernels share, so each is written once.
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

#endif
