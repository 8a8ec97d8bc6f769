// OpenBLAS's DGEMM and SGEMM rate on one thread at the ∞-AE kernel's sizes
// (the reference the phases' GFLOP/s are read against in docs/BENCHMARKS.md):
//   cc -O2 Benchmarks/kernel/gemm-peak.c -lopenblas -o /tmp/gemm-peak && OPENBLAS_NUM_THREADS=1 /tmp/gemm-peak 3000
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + 1e-9 * t.tv_nsec; }

int main(int argc, char **argv) {
    int n = argc > 1 ? atoi(argv[1]) : 3000, reps = 3;
    double *a = malloc(sizeof(double) * n * n), *b = malloc(sizeof(double) * n * n), *c = malloc(sizeof(double) * n * n);
    float *x = malloc(sizeof(float) * n * n), *y = malloc(sizeof(float) * n * n), *z = malloc(sizeof(float) * n * n);
    for (long i = 0; i < (long)n * n; i++) { a[i] = b[i] = x[i] = y[i] = (float)((i * 7919) % 1000) / 1000; }
    double best = 1e9, bests = 1e9;
    for (int r = 0; r < reps; r++) {
        double t0 = now();
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, n, n, 1, a, n, b, n, 0, c, n);
        double t1 = now();
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, n, n, 1, x, n, y, n, 0, z, n);
        double t2 = now();
        if (t1 - t0 < best) best = t1 - t0;
        if (t2 - t1 < bests) bests = t2 - t1;
    }
    double flops = 2.0 * n * n * n;
    printf("n %d: DGEMM %.1f GFLOP/s, SGEMM %.1f GFLOP/s (best of %d, %d thread(s))\n", n, flops / best / 1e9, flops / bests / 1e9, reps,
           openblas_get_num_threads());
    return 0;
}
