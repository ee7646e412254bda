/* bench_sgemm.c - SGEMM GFLOP/s per SIMD path and thread count on BERT-sized shapes, against
 * the measured FMA peak of the same path (nn/xl_kernels.h).
 *
 *   build/bench/bench_sgemm [--quick] [--path scalar|avx2|avx512|neon] [--reps N]
 *
 * For each available path and 1..2 threads: the peak is measured by running 12 independent FMA
 * chains of full vectors per thread (xl_kernels_fma_peak_gflops; probed before every shape,
 * best kept, since the machine may be shared), then each shape is timed as
 *   packed:   Y[M,N] = X[M,K] W^T with W pre-packed (xl_sgemm_packed; what the encoder uses)
 *   unpacked: the same with W[N,K] packed on the fly (xl_sgemm, XL_TRANS)
 * and, for the packed case, also as flops per CPU-second (clock(), all threads): the rate per
 * core while it actually runs, which a busy shared machine disturbs much less than wall time.
 * best of --reps runs (default 5; the machine is shared, so the best is the least disturbed).
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
    {128, 768, 768, "BERT-base QKV/out proj, 1 x 128 tokens"},
    {128, 3072, 768, "BERT-base FFN up, 1 x 128 tokens"},
    {128, 768, 3072, "BERT-base FFN down, 1 x 128 tokens"},
    {1024, 768, 768, "BERT-base proj, 8 x 128 tokens"},
    {1024, 3072, 768, "BERT-base FFN up, 8 x 128 tokens"},
    {512, 2304, 768, "BERT-base fused QKV, 512 tokens"},
    {128, 1536, 384, "MiniLM FFN up, 128 tokens"},
    {16, 768, 768, "BERT-base proj, 16 tokens"},
};

typedef struct {
    xl_kernels *k;
    int threads;
    const xl_bench_gemm_shape *s;
    const float *X, *W;
    const xl_packed_matrix *P;
    float *Y;
} gemm_call;

static void gemm_packed(void *ctx)
{
    const gemm_call *g = ctx;
    xl_sgemm_packed(g->k, g->threads, g->s->M, 1.0f, g->X, g->s->K, g->P, 0.0f, g->Y, g->s->N, NULL, XL_ACT_NONE);
}

static void gemm_unpacked(void *ctx)
{
    const gemm_call *g = ctx;
    xl_sgemm(g->k, g->threads, XL_TRANS, g->s->M, g->s->N, g->s->K, 1.0f, g->X, g->s->K, g->W, g->s->K, 0.0f, g->Y,
             g->s->N);
}

int main(int argc, char **argv)
{
    int quick, reps;
    const char *only;
    if (xl_bench_gemm_args("bench_sgemm", argc, argv, &quick, &only, &reps) < 0) return 2;
    printf("  %d CPUs online; best of %d runs; GFLOP/s = 2*M*N*K / seconds\n", xl_cpu_count(), reps);
    printf("  peak = measured: 12 independent FMA chains of full vectors per thread, no loads\n");
    printf("  packed: W pre-packed (xl_sgemm_packed); unpacked: W [N,K] packed per call (xl_sgemm XL_TRANS)\n");
    printf("  cpu-time: packed GEMM flops per CPU-second of all threads (per busy core, robust to a shared\n"
           "  machine); %%core: that against the 1-thread peak\n\n");

    const xl_simd_path paths[] = {XL_SIMD_AVX512, XL_SIMD_AVX2, XL_SIMD_NEON, XL_SIMD_SCALAR};
    size_t maxM = 1024, maxN = 3072, maxK = 3072;
    float *X = malloc(maxM * maxK * sizeof *X), *W = malloc(maxN * maxK * sizeof *W), *Y = malloc(maxM * maxN * 4);
    if (!X || !W || !Y) return 1;
    xl_bench_fill(X, maxM * maxK, 1);
    xl_bench_fill(W, maxN * maxK, 2);
    int max_threads = xl_cpu_count() < 2 ? xl_cpu_count() : 2;
    for (size_t pi = 0; pi < sizeof paths / sizeof paths[0]; pi++) {
        xl_simd_path path = paths[pi];
        if (only && strcmp(only, xl_simd_path_name(path)) != 0) continue;
        if (!xl_simd_path_available(path)) {
            printf("path %s: not available on this machine/build\n\n", xl_simd_path_name(path));
            continue;
        }
        xl_kernels k;
        xl_error err;
        if (xl_kernels_init(&k, path, max_threads, &err) != 0) {
            fprintf(stderr, "bench_sgemm: %s\n", err.msg);
            return 1;
        }
        double core_peak = 0.0; /* the 1-thread peak: one core's */
        for (int threads = 1; threads <= max_threads; threads++) {
            /* The peak is probed before every shape and the best kept: on a shared machine a
             * single probe can land in a busy moment and overstate the GEMM's % of peak. */
            double peak = xl_kernels_fma_peak_gflops(&k, threads, 0.3);
            size_t n_shapes = sizeof shapes / sizeof shapes[0];
            if (path == XL_SIMD_SCALAR || quick) n_shapes = 2;
            double gf_packed[sizeof shapes / sizeof shapes[0]], gf_unpacked[sizeof shapes / sizeof shapes[0]];
            double core_packed[sizeof shapes / sizeof shapes[0]];
            for (size_t si = 0; si < n_shapes; si++) {
                const xl_bench_gemm_shape *s = &shapes[si];
                xl_packed_matrix P;
                if (xl_pack_b(&k, XL_TRANS, s->K, s->N, W, s->K, &P, &err) != 0) {
                    fprintf(stderr, "bench_sgemm: %s\n", err.msg);
                    return 1;
                }
                double p2 = xl_kernels_fma_peak_gflops(&k, threads, 0.06);
                if (p2 > peak) peak = p2;
                double flops = 2.0 * (double)s->M * (double)s->N * (double)s->K;
                int r = path == XL_SIMD_SCALAR ? 1 : reps;
                gemm_call g = {&k, threads, s, X, W, &P, Y};
                /* best of r runs of >= 20 ms each, the packed side first, then the unpacked one */
                const xl_bench_side packed = {gemm_packed, &g}, unpacked = {gemm_unpacked, &g};
                xl_bench_time t;
                xl_bench_best_of(&packed, 1, r, 0.02, &t);
                gf_packed[si] = flops / t.wall * 1e-9;
                core_packed[si] = flops / t.cpu * 1e-9; /* per busy core: flops / CPU-seconds */
                xl_bench_best_of(&unpacked, 1, r, 0.02, &t);
                gf_unpacked[si] = flops / t.wall * 1e-9;
                xl_packed_free(&P);
            }
            printf("path %-6s threads %d   measured FMA peak %7.1f GFLOP/s (best of %zu probes)\n",
                   xl_simd_path_name(path), threads, peak, n_shapes + 1);
            if (threads == 1) core_peak = peak;
            printf("  %5s %5s %5s  %9s %6s  %9s %6s  %9s %6s   %s\n", "M", "N", "K", "packed", "%peak", "unpacked",
                   "%peak", "cpu-time", "%core", "shape");
            for (size_t si = 0; si < n_shapes; si++) {
                const xl_bench_gemm_shape *s = &shapes[si];
                printf("  %5zu %5zu %5zu  %9.1f %5.0f%%  %9.1f %5.0f%%  %9.1f %5.0f%%   %s\n", s->M, s->N, s->K,
                       gf_packed[si], 100.0 * gf_packed[si] / peak, gf_unpacked[si], 100.0 * gf_unpacked[si] / peak,
                       core_packed[si], 100.0 * core_packed[si] / core_peak, s->what);
            }
            printf("\n");
        }
        xl_kernels_free(&k);
    }
    free(X), free(W), free(Y);
    return 0;
}
