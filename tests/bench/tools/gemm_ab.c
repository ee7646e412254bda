/* gemm_ab.c - A/B harness for kernel changes (not built by the Makefile): per-core GFLOP/s (process
 * CPU time, best of 30, so other load on the shared machine disturbs it little) of packed SGEMMs on
 * encoder shapes with hot weights, and of the six MiniLM-L6 layers' four GEMMs in a row (42 MB of
 * packed weights, so they stream from memory as in a forward pass) at M rows.
 *
 *   cc -O2 -std=c11 -Inn -Isrc/core tests/bench/tools/gemm_ab.c build/libxlrec.a -lm -pthread -o /tmp/gemm_ab
 *   /tmp/gemm_ab [M for the weight-set run, default 16]
 *
 * Build it against two library builds (e.g. a `git archive` of the previous commit in /tmp) and run
 * them alternately to compare.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "xl_kernels.h"
#include "xl_platform.h"

int main(int argc, char **argv)
{
    xl_kernels k;
    xl_error err;
    if (xl_kernels_init(&k, XL_SIMD_AUTO, 1, &err)) {
        fprintf(stderr, "gemm_ab: %s\n", err.msg);
        return 1;
    }
    printf("path %s\n", xl_simd_path_name(k.path));
    size_t sh[][3] = {{1024, 768, 768}, {1024, 3072, 768}, {128, 768, 3072}, {1024, 1152, 384}, {1024, 384, 1536}};
    for (int s = 0; s < 5; s++) {
        size_t M = sh[s][0], N = sh[s][1], K = sh[s][2];
        float *A = malloc(M * K * 4), *W = malloc(N * K * 4), *C = malloc(M * N * 4);
        if (!A || !W || !C) return 1;
        for (size_t i = 0; i < M * K; i++) A[i] = (float)(i % 7) * 0.1f;
        for (size_t i = 0; i < N * K; i++) W[i] = (float)(i % 5) * 0.1f;
        xl_packed_matrix P;
        if (xl_pack_b(&k, XL_TRANS, K, N, W, K, &P, &err)) return 1;
        double best = 1e9;
        for (int r = 0; r < 30; r++) {
            clock_t c0 = clock();
            xl_sgemm_packed(&k, 1, M, 1.0f, A, K, &P, 0.0f, C, N, NULL, XL_ACT_NONE);
            double dc = (double)(clock() - c0) / CLOCKS_PER_SEC;
            if (dc > 0 && dc < best) best = dc;
        }
        printf("%zux%zux%zu: %.1f GFLOP/s per core\n", M, N, K, 2.0 * (double)(M * N * K) / best * 1e-9);
        xl_packed_free(&P);
        free(A), free(W), free(C);
    }
    size_t M = argc > 1 ? (size_t)atoi(argv[1]) : 16;
    size_t shp[4][2] = {{1152, 384}, {384, 384}, {1536, 384}, {384, 1536}}; /* N, K: QKV, out, FFN up, FFN down */
    xl_packed_matrix P[6][4];
    float *W = malloc(1536 * 1536 * 4), *A = malloc(M * 1536 * 4), *C = malloc(M * 1536 * 4);
    if (!W || !A || !C) return 1;
    for (size_t i = 0; i < 1536 * 1536; i++) W[i] = (float)(i % 5) * 0.01f;
    for (size_t i = 0; i < M * 1536; i++) A[i] = 0.01f * (float)(i % 3);
    double flops = 0;
    for (int l = 0; l < 6; l++)
        for (int j = 0; j < 4; j++) {
            if (xl_pack_b(&k, XL_TRANS, shp[j][1], shp[j][0], W, shp[j][1], &P[l][j], &err)) return 1;
            flops += 2.0 * (double)M * (double)shp[j][0] * (double)shp[j][1];
        }
    double best = 1e9;
    for (int r = 0; r < 40; r++) {
        clock_t c0 = clock();
        for (int l = 0; l < 6; l++)
            for (int j = 0; j < 4; j++)
                xl_sgemm_packed(&k, 1, M, 1.0f, A, shp[j][1], &P[l][j], 0.0f, C, shp[j][0], NULL, XL_ACT_NONE);
        double dc = (double)(clock() - c0) / CLOCKS_PER_SEC;
        if (dc > 0 && dc < best) best = dc;
    }
    printf("MiniLM-L6 layer GEMMs (42 MB of weights), M = %zu: %.2f ms, %.1f GFLOP/s per core\n", M, best * 1e3,
           flops / best * 1e-9);
    for (int l = 0; l < 6; l++)
        for (int j = 0; j < 4; j++) xl_packed_free(&P[l][j]);
    free(W), free(A), free(C);
    xl_kernels_free(&k);
    return 0;
}
