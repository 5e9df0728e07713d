/*
 * FFTW reference for bench/fft.bench.ts: single-thread, single-precision complex forward FFT.
 * Usage: fftw_ref LOG2N [REPS]  ->  prints "n=<N> reps=<R> ns_per_fft=<median>" on one line.
 * FFTW_MEASURE planning, out-of-place, interleaved complex; the median of REPS timed batches.
 */
#include <fftw3.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static int cmp(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

int main(int argc, char **argv) {
  if (argc < 2) { fprintf(stderr, "usage: %s LOG2N [REPS]\n", argv[0]); return 2; }
  int lg = atoi(argv[1]);
  int reps = argc > 2 ? atoi(argv[2]) : 5;
  if (lg < 3 || lg > 24 || reps < 1 || reps > 1000) { fprintf(stderr, "bad arguments\n"); return 2; }
  long n = 1L << lg;
  fftwf_complex *in = fftwf_malloc(sizeof(fftwf_complex) * n);
  fftwf_complex *out = fftwf_malloc(sizeof(fftwf_complex) * n);
  fftwf_plan plan = fftwf_plan_dft_1d((int)n, in, out, FFTW_FORWARD, FFTW_MEASURE);
  srand(1);
  for (long i = 0; i < n; i++) { in[i][0] = rand() / (float)RAND_MAX - 0.5f; in[i][1] = rand() / (float)RAND_MAX - 0.5f; }
  /* Each timed batch runs about 0.05 s of transforms so timer resolution does not matter. */
  long inner = 1;
  for (;;) {
    double t0 = now_ns();
    for (long k = 0; k < inner; k++) fftwf_execute(plan);
    if (now_ns() - t0 > 5e7 || inner > (1L << 30)) break;
    inner *= 2;
  }
  double *t = malloc(sizeof(double) * reps);
  for (int r = 0; r < reps; r++) {
    double t0 = now_ns();
    for (long k = 0; k < inner; k++) fftwf_execute(plan);
    t[r] = (now_ns() - t0) / inner;
  }
  qsort(t, reps, sizeof(double), cmp);
  printf("n=%ld reps=%d ns_per_fft=%.1f min=%.1f max=%.1f\n", n, reps, t[reps / 2], t[0], t[reps - 1]);
  fftwf_destroy_plan(plan);
  fftwf_free(in);
  fftwf_free(out);
  free(t);
  return 0;
}
