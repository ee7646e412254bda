/* bench_qgemm.c - int8 linear layers (xl_qlinear: dynamic per-row activation quantisation, int8
 * weights with per-output-channel scales) against the float32 packed GEMM (xl_linear), per SIMD
 * path and 1..2 threads, on BERT-base and MiniLM shapes (nn/xl_kernels.h; issue 19).
 *
 *   build/bench/bench_qgemm [--quick] [--path scalar|avx2|avx512|neon] [--reps N]
 *
 * The two sides alternate inside every repetition (f32, int8, f32, int8, ...) so a shared
 * machine's load falls on both alike; each side's time is the best of --reps (default 5)
 * repetitions, each lasting >= 20 ms.  GOP/s = 2*M*N*K / seconds for both (int8: the multiply-adds
 * done in int8, plus the quantisation of X and the float epilogue inside the timed call), by wall
 * time and per CPU-second (clock(), all threads: the rate while the threads actually run, which a
 * busy shared machine disturbs much less).  The load average is printed before and after:
 * compare the two sides of one row, not runs.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xl_bench.h"
#include "xl_kernels.h"
#include "xl_platform.h"
#include "xl_thread.h"

static const xl_bench_gemm_shape shapes[] = {
    {128, 768, 768, "BERT-base proj, 128 tokens"},    {128, 3072, 768, "BERT-base FFN up, 128 tokens"},
    {128, 768, 3072, "BERT-base FFN down, 128 tokens"}, {512, 2304, 768, "BERT-base fused QKV, 512 tokens"},
    {128, 1536, 384, "MiniLM FFN up, 128 tokens"},     {512, 384, 1536, "MiniLM FFN down, 512 tokens"},
    {16, 768, 768, "BERT-base proj, 16 tokens"},
};

typedef struct {
    xl_kernels *k;
    int threads;
    const xl_bench_gemm_shape *s;
    const float *X;
    const xl_packed_matrix *P;
    const xl_qmatrix *Q;
    float *Y;
} linear_call;

static void linear_f32(void *ctx)
{
    const linear_call *c = ctx;
    xl_linear(c->k, c->threads, c->X, c->s->M, c->P, NULL, XL_ACT_NONE, c->Y);
}

static void linear_int8(void *ctx)
{
    const linear_call *c = ctx;
    xl_qlinear(c->k, c->threads, c->X, c->s->M, c->Q, NULL, XL_ACT_NONE, c->Y);
}

int main(int argc, char **argv)
{
    int quick, reps;
    const char *only;
    if (xl_bench_gemm_args("bench_qgemm", argc, argv, &quick, &only, &reps) < 0) return 2;
    printf("  %d CPUs online; f32 = xl_linear (packed W), int8 = xl_qlinear (dynamic int8); the two\n"
           "  alternate within each of %d repetitions, best kept; GOP/s = 2*M*N*K / seconds\n",
           xl_cpu_count(), reps);
    printf("  load average at start: %.2f\n\n", xl_bench_load_average());
    static const xl_simd_path paths[] = {XL_SIMD_SCALAR, XL_SIMD_AVX2, XL_SIMD_AVX512, XL_SIMD_NEON};
    const size_t n_shapes = quick ? 2 : sizeof shapes / sizeof shapes[0];
    for (size_t pi = 0; pi < sizeof paths / sizeof paths[0]; pi++) {
        xl_simd_path path = paths[pi];
        if (only && strcmp(only, xl_simd_path_name(path)) != 0) continue;
        if (!xl_simd_path_available(path)) {
            printf("path %s: not available on this machine/build\n\n", xl_simd_path_name(path));
            continue;
        }
        if (path == XL_SIMD_SCALAR && !only) continue; /* the reference: minutes at these shapes */
        for (int threads = 1; threads <= 2; threads++) {
            xl_kernels k;
            xl_error err;
            xl_error_clear(&err);
            if (xl_kernels_init(&k, path, threads, &err) < 0) {
                fprintf(stderr, "bench_qgemm: %s\n", err.msg);
                return 1;
            }
            printf("path %-6s threads %d          ---------- wall ----------   ------- per CPU-second -------\n"
                   "  %5s %5s %5s  %9s %9s %7s   %9s %9s %7s   %s\n",
                   xl_simd_path_name(path), threads, "M", "N", "K", "f32 GOP/s", "int8", "speedup", "f32", "int8",
                   "speedup", "shape");
            for (size_t si = 0; si < n_shapes; si++) {
                const xl_bench_gemm_shape *s = &shapes[si];
                float *X = malloc(s->M * s->K * sizeof *X), *W = malloc(s->N * s->K * sizeof *W);
                float *Y = malloc(s->M * s->N * sizeof *Y);
                xl_packed_matrix P;
                xl_qmatrix Q;
                if (!X || !W || !Y) {
                    fprintf(stderr, "bench_qgemm: out of memory\n");
                    return 1;
                }
                xl_bench_fill(X, s->M * s->K, 1);
                xl_bench_fill(W, s->N * s->K, 2);
                if (xl_pack_b(&k, XL_TRANS, s->K, s->N, W, s->K, &P, &err) < 0 ||
                    xl_qmatrix_quantize(s->N, s->K, W, s->K, &Q, &err) < 0) {
                    fprintf(stderr, "bench_qgemm: %s\n", err.msg);
                    return 1;
                }
                /* f32 and int8 alternate in each repetition (>= 20 ms), best of reps each */
                linear_call call = {&k, threads, s, X, &P, &Q, Y};
                const xl_bench_side sides[2] = {{linear_f32, &call}, {linear_int8, &call}};
                xl_bench_time best[2];
                xl_bench_best_of(sides, 2, reps, 0.02, best);
                double ops = 2.0 * (double)s->M * (double)s->N * (double)s->K;
                printf("  %5zu %5zu %5zu  %9.1f %9.1f %6.2fx   %9.1f %9.1f %6.2fx   %s\n", s->M, s->N, s->K,
                       ops / best[0].wall * 1e-9, ops / best[1].wall * 1e-9, best[0].wall / best[1].wall,
                       ops / best[0].cpu * 1e-9, ops / best[1].cpu * 1e-9, best[0].cpu / best[1].cpu, s->what);
                fflush(stdout);
                xl_packed_free(&P);
                xl_qmatrix_free(&Q);
                free(X), free(W), free(Y);
            }
            printf("\n");
            xl_kernels_free(&k);
        }
    }
    printf("  load average at end: %.2f\n", xl_bench_load_average());
    return 0;
}
