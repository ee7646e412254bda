/* gemm_ab.c - A/B harness for kernel changes (not built by the Makefile): per-core GFLOP/s (process
 * CPU time, best of 30, so other load on the shared machine disturbs it little) of packed SGEMMs on
 * encoder shapes with hot weights, and of the six MiniLM-L6 layers' four GEMMs in a row (42 MB of
 * packed weights, so they stream from memory as in a forward pass) at M rows.
 *
 *   cc -O2 -std=c11 -Inn -Isrc/core tests/bench/tools/gemm_ab.c build/libxlrec.a -lm -pthread -o /tmp/gemm_ab
 *   /tmp/gemm_ab [M for the weight-set run, default 16] [bert: BERT-base's 12 layers, 340 MB, not MiniLM's 6]
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
    /* argv[2] == "bert": the twelve BERT-base layers (340 MB of weights) instead of MiniLM's six */
    const int bert = argc > 2 && argv[2][0] == 'b', L = bert ? 12 : 6;
    const size_t H = bert ? 768 : 384, I = 4 * H;
    size_t shp[4][2] = {{3 * H, H}, {H, H}, {I, H}, {H, I}}; /* N, K: QKV, out, FFN up, FFN down */
    xl_packed_matrix P[12][4];
    float *W = malloc(I * I * 4), *A = malloc(M * I * 4), *C = malloc(M * I * 4);
    if (!W || !A || !C) return 1;
    for (size_t i = 0; i < I * I; i++) W[i] = (float)(i % 5) * 0.01f;
    for (size_t i = 0; i < M * I; i++) A[i] = 0.01f * (float)(i % 3);
    double flops = 0;
    for (int l = 0; l < L; l++)
        for (int j = 0; j < 4; j++) {
            if (xl_pack_b(&k, XL_TRANS, shp[j][1], shp[j][0], W, shp[j][1], &P[l][j], &err)) return 1;
            flops += 2.0 * (double)M * (double)shp[j][0] * (double)shp[j][1];
        }
    double best = 1e9, best_wall = 1e9;
    for (int r = 0; r < 40; r++) {
        clock_t c0 = clock();
        double w0 = xl_time_now();
        for (int l = 0; l < L; l++)
            for (int j = 0; j < 4; j++)
                xl_sgemm_packed(&k, 1, M, 1.0f, A, shp[j][1], &P[l][j], 0.0f, C, shp[j][0], NULL, XL_ACT_NONE);
        double dc = (double)(clock() - c0) / CLOCKS_PER_SEC, dw = xl_time_now() - w0;
        if (dc > 0 && dc < best) best = dc;
        if (dw < best_wall) best_wall = dw;
    }
    printf("%s layer GEMMs (%.0f MB of weights), M = %zu: %.2f ms CPU (%.1f GFLOP/s per core), %.2f ms wall\n",
           bert ? "BERT-base" : "MiniLM-L6", (double)L * (4.0 * (double)(H * H) + 2.0 * (double)(H * I)) * 4e-6, M,
           best * 1e3, flops / best * 1e-9, best_wall * 1e3);
    for (int l = 0; l < L; l++)
        for (int j = 0; j < 4; j++) xl_packed_free(&P[l][j]);
    free(W), free(A), free(C);
    xl_kernels_free(&k);
    return 0;
}
