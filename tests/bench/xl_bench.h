/* xl_bench.h - what the benchmarks in tests/bench/ share, written once: deterministic test data,
 * the machine's load average, best-of-N timing of a call by wall clock and by process CPU time
 * (sides alternated, so a shared machine's load falls on both alike), the FMA peak in CPU time,
 * and running a program with its wall time, CPU time and peak resident memory.
 *
 * Contract: benchmarks only (linked into the build/bench/ programs, never into the library or the suites);
 * the machine is shared, so every figure is a best or a median, CPU time (clock(): all threads of
 * this process) beside wall time, and the load average printed with it. */
#ifndef XL_BENCH_H
#define XL_BENCH_H

#include <stddef.h>

#include "xl_kernels.h"

/* A GEMM benchmark's shape: Y[M,N] = X[M,K] W^T, and what it stands for. */
typedef struct xl_bench_gemm_shape {
    size_t M, N, K;
    const char *what;
} xl_bench_gemm_shape;

/* The GEMM benches' arguments [--quick] [--path scalar|avx2|avx512|neon] [--reps N]: *quick,
 * *path (NULL: every path) and *reps (default 5; 2 with --quick unless --reps follows it; at
 * least 1).  Prints "NAME: command: ARGV..." and returns 0, or prints the usage and returns -1. */
int xl_bench_gemm_args(const char *name, int argc, char **argv, int *quick, const char **path, int *reps);

/* v[0..n) = uniform values in [-0.5, 0.5) from a 64-bit LCG seeded by seed (same on every host). */
void xl_bench_fill(float *v, size_t n, unsigned seed);

/* The 1-, 5- and 15-minute load averages from /proc/loadavg into load[0..3); 0, or -1 (all -1)
 * where there is none. */
int xl_bench_load_averages(double load[3]);
/* The 1-minute load average, -1 where there is none. */
double xl_bench_load_average(void);

/* qsort comparator of doubles, ascending. */
int xl_bench_cmp_double(const void *a, const void *b);

/* One timed thing: fn(ctx) runs it once. */
typedef struct xl_bench_side {
    void (*fn)(void *ctx);
    void *ctx;
} xl_bench_side;

typedef struct xl_bench_time {
    double wall; /* seconds per call, wall clock (xl_time_now) */
    double cpu;  /* process CPU seconds per call, all threads (clock()) */
} xl_bench_time;

/* Best of `reps` repetitions of each side, the sides alternating within every repetition (0, 1,
 * ..., 0, 1, ...).  One warm-up call of each side first; side 0's warm-up sets the calls per
 * repetition so that one lasts >= min_seconds.  best[s]: the least wall and the least CPU seconds
 * per call of side s (each minimum taken on its own). */
void xl_bench_best_of(const xl_bench_side *sides, size_t n_sides, int reps, double min_seconds, xl_bench_time *best);

/* FMA peak of one core in GFLOP/s of CPU time (the path's probe, nn/xl_kernels_impl.h): best of 5
 * runs of ~0.1 s each.  Wall-clock peaks (xl_kernels_fma_peak_gflops) drop under other load;
 * this one much less. */
double xl_bench_fma_peak_cpu(const xl_kernels *k);
/* The same for the path's int8 multiply-accumulate probe (GOP/s; 0 when the path has none). */
double xl_bench_int8_peak_cpu(const xl_kernels *k);

/* A finished child process: exit status (-1: it could not run or was killed), wall seconds, CPU
 * seconds (user + system) and peak resident memory in KiB. */
typedef struct xl_bench_proc {
    int status;
    double wall, cpu;
    long rss_kb;
} xl_bench_proc;

/* Runs argv[0] (a path) with stdin from `in`, stdout to `out` and stderr to `err` (NULL:
 * /dev/null) and waits for it.  Linux only (fork, wait4); elsewhere status -1. */
xl_bench_proc xl_bench_spawn(char *const argv[], const char *in, const char *out, const char *err);

#endif /* XL_BENCH_H */
