/* bench_linear.c: GFLOP/s of the sgemm-backed linear layer (forward + backward) against the
 * machine's measured sgemm peak, with 1 and 2 OpenBLAS threads.
 *
 * usage: bench_linear [max_threads]
 * Peak = best of 3 runs of one square 2048^3 sgemm.  Layer shapes are the ones the models use
 * (MLP / GraphSAGE update layers, the autoencoder's item-sized input, RNN gate matrices).
 * Work counted: forward 2BDO, backward 4BDO (dinp and dW), bias terms ignored.  Before timing,
 * the sgemm layer is checked against the naive reference on a small odd shape.
 * Prints wall and CPU time per configuration, and GFLOP per CPU-second (all threads' CPU time):
 * on a shared machine wall-clock rates fall with the load, CPU-time rates much less so.
 * Run on a quiet machine for stable numbers.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cblas.h>

#include "reelgraph/reelgraph.h"

static double wall(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double) ts.tv_sec + 1e-9 * (double) ts.tv_nsec;
}

static double cpu(void) {
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double) ts.tv_sec + 1e-9 * (double) ts.tv_nsec;
}

static float *alloc_fill(size_t n, rg_rng_t *r) {
    float *p = malloc(n * sizeof *p);
    if (!p) {
        fprintf(stderr, "bench_linear: out of memory (%zu floats)\n", n);
        exit(2);
    }
    for (size_t i = 0; i < n; i++) {
        p[i] = 2.0f * rg_rng_uniformf(r) - 1.0f;
    }
    return p;
}

/* sgemm layer vs naive on B=13, D=29, O=17: forward and all three gradients. */
static int check_against_naive(void) {
    enum { B = 13, D = 29, O = 17 };
    rg_rng_t r;
    rg_rng_init(&r, 1);
    float *x = alloc_fill(B * D, &r), *W = alloc_fill(O * D, &r), *b = alloc_fill(O, &r);
    float *dout = alloc_fill(B * O, &r);
    float o1[B * O], o2[B * O], dx1[B * D] = {0}, dx2[B * D] = {0}, dW1[O * D] = {0},
          dW2[O * D] = {0}, db1[O] = {0}, db2[O] = {0};
    rg_linear_forward(o1, x, W, b, B, D, O);
    rg_linear_forward_naive(o2, x, W, b, B, D, O);
    rg_linear_backward(dx1, dW1, db1, dout, x, W, B, D, O);
    rg_linear_backward_naive(dx2, dW2, db2, dout, x, W, B, D, O);
    double worst = 0.0;
    const float *a[] = {o1, dx1, dW1, db1}, *c[] = {o2, dx2, dW2, db2};
    size_t n[] = {B * O, B * D, O * D, O};
    for (int k = 0; k < 4; k++) {
        for (size_t i = 0; i < n[k]; i++) {
            double e = fabs((double) a[k][i] - (double) c[k][i]) / (1.0 + fabs((double) c[k][i]));
            worst = e > worst ? e : worst;
        }
    }
    free(x);
    free(W);
    free(b);
    free(dout);
    printf("check: sgemm linear vs naive, worst rel diff %.2e %s\n", worst,
           worst < 1e-5 ? "(ok)" : "(MISMATCH)");
    return worst < 1e-5 ? 0 : 1;
}

/* best wall-clock GFLOP/s of a 2048^3 sgemm; *per_cpu receives GFLOP per CPU-second of that run
 * (on a shared machine wall time includes time the process was not running; CPU time does not) */
static double peak_gflops(int threads, double *per_cpu) {
    enum { N = 2048 };
    rg_rng_t r;
    rg_rng_init(&r, 2);
    float *A = alloc_fill((size_t) N * N, &r), *Bm = alloc_fill((size_t) N * N, &r);
    float *C = calloc((size_t) N * N, sizeof *C);
    double best = 0.0;
    openblas_set_num_threads(threads);
    for (int rep = 0; rep < 3; rep++) {
        double t0 = wall(), c0 = cpu();
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, N, N, N, 1.0f, A, N, Bm, N, 0.0f,
                    C, N);
        double dt = wall() - t0, dc = cpu() - c0;
        double gf = 2.0 * N * (double) N * N / dt * 1e-9;
        if (gf > best) {
            best = gf;
            *per_cpu = 2.0 * N * (double) N * N / dc * 1e-9;
        }
    }
    free(A);
    free(Bm);
    free(C);
    return best;
}

typedef struct {
    const char *what;
    int B, D, O;
} shape_t;

int main(int argc, char **argv) {
    int max_threads = argc > 1 ? atoi(argv[1]) : 2;
    static const shape_t shapes[] = {
        {"mlp hidden 256", 1024, 256, 256},
        {"emb-size layer 64", 4096, 128, 64},
        {"autoencoder in 3706", 256, 3706, 256},
        {"lstm gates 4x128", 512, 128, 512},
        {"sage update 2x64", 2048, 128, 64},
    };
    if (check_against_naive() != 0) {
        return 2;
    }
    printf("OpenBLAS: %s, core %s\n", openblas_get_config(), openblas_get_corename());
    for (int th = 1; th <= max_threads; th++) {
        double peak_cpu = 0.0, peak = peak_gflops(th, &peak_cpu);
        printf("\nthreads %d: measured sgemm peak (2048^3) %.1f GFLOP/s wall, %.1f GFLOP per "
               "CPU-second\n", th, peak, peak_cpu);
        printf("  %-22s %6s %6s %6s %10s %10s %8s %8s %12s\n", "layer", "B", "D", "O", "GFLOP/s",
               "of peak", "wall s", "cpu s", "GFLOP/cpu-s");
        for (size_t s = 0; s < sizeof shapes / sizeof *shapes; s++) {
            const shape_t *sh = &shapes[s];
            rg_rng_t r;
            rg_rng_init(&r, 3 + s);
            size_t B = (size_t) sh->B, D = (size_t) sh->D, O = (size_t) sh->O;
            float *x = alloc_fill(B * D, &r), *W = alloc_fill(O * D, &r), *b = alloc_fill(O, &r);
            float *out = alloc_fill(B * O, &r), *dx = alloc_fill(B * D, &r);
            float *dW = alloc_fill(O * D, &r), *db = alloc_fill(O, &r);
            double flop = 6.0 * (double) B * (double) D * (double) O;
            /* enough repetitions for ~0.3 s at 50 GFLOP/s */
            int reps = (int) (15e9 / flop) + 1;
            rg_linear_forward(out, x, W, b, sh->B, sh->D, sh->O); /* warm-up */
            double w0 = wall(), c0 = cpu();
            for (int k = 0; k < reps; k++) {
                rg_linear_forward(out, x, W, b, sh->B, sh->D, sh->O);
                rg_linear_backward(dx, dW, db, out, x, W, sh->B, sh->D, sh->O);
            }
            double dw = wall() - w0, dc = cpu() - c0;
            double gf = flop * reps / dw * 1e-9;
            printf("  %-22s %6d %6d %6d %10.1f %9.0f%% %8.3f %8.3f %12.1f\n", sh->what, sh->B,
                   sh->D, sh->O, gf, 100.0 * gf / peak, dw, dc, flop * reps / dc * 1e-9);
            free(x);
            free(W);
            free(b);
            free(out);
            free(dx);
            free(dW);
            free(db);
        }
    }
    return 0;
}
