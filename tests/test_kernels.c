/* test_kernels.c - nn/xl_kernels.h: every available SIMD path against a double-precision naive
 * reference and against the scalar path; SGEMM shapes (odd sizes, transposes, leading
 * dimensions, alpha/beta, packed, batched, threads), GELU/LayerNorm/softmax/L2/dot/axpy. */
#define _POSIX_C_SOURCE 200809L
#include "xl_test.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xl_bytes.h"
#include "xl_kernels.h"

static const xl_simd_path all_paths[] = {XL_SIMD_SCALAR, XL_SIMD_AVX2, XL_SIMD_AVX512, XL_SIMD_NEON};
#define N_PATHS (sizeof all_paths / sizeof all_paths[0])

/* deterministic uniform floats in [-1, 1) (no dependence on the rng API beyond this) */
static unsigned long long lcg_state = 0x9E3779B97F4A7C15ull;
static float frand(void)
{
    lcg_state = lcg_state * 6364136223846793005ull + 1442695040888963407ull;
    return (float)((double)(lcg_state >> 40) / (double)(1ull << 24) * 2.0 - 1.0);
}
static float *rand_vec(size_t n)
{
    float *v = malloc((n ? n : 1) * sizeof *v);
    assert_non_null(v);
    for (size_t i = 0; i < n; i++) v[i] = frand();
    return v;
}

static int init_path(xl_kernels *k, xl_simd_path p)
{
    if (!xl_simd_path_available(p)) return 0;
    xl_error err;
    xl_error_clear(&err);
    int rc = xl_kernels_init(k, p, 2, &err);
    if (rc != 0) fail_msg("init %s: %s", xl_simd_path_name(p), err.msg);
    return 1;
}

/* ---- path selection ---- */

static void test_path_selection(void **state)
{
    (void)state;
    xl_simd_path p;
    xl_error err;
    assert_int_equal(xl_simd_path_parse("avx512", &p, &err), 0);
    assert_int_equal(p, XL_SIMD_AVX512);
    assert_int_equal(xl_simd_path_parse("sse9", &p, &err), -1);
    assert_non_null(strstr(err.msg, "sse9"));
    assert_true(xl_simd_path_available(XL_SIMD_SCALAR));
    assert_true(xl_simd_path_available(xl_simd_path_best()));
    for (size_t i = 0; i < N_PATHS; i++)
        print_message("[ INFO     ] path %-6s %s\n", xl_simd_path_name(all_paths[i]),
                      xl_simd_path_available(all_paths[i]) ? "available" : "not available");
    xl_kernels k;
    /* the environment override is read by XL_SIMD_AUTO */
    setenv("XLREC_SIMD", "scalar", 1);
    assert_int_equal(xl_kernels_init(&k, XL_SIMD_AUTO, 1, &err), 0);
    assert_int_equal(k.path, XL_SIMD_SCALAR);
    xl_kernels_free(&k);
    setenv("XLREC_SIMD", "bogus", 1);
    assert_int_equal(xl_kernels_init(&k, XL_SIMD_AUTO, 1, &err), -1);
    assert_non_null(strstr(err.msg, "XLREC_SIMD"));
    unsetenv("XLREC_SIMD");
    assert_int_equal(xl_kernels_init(&k, XL_SIMD_AUTO, 1, &err), 0);
    assert_int_equal(k.path, xl_simd_path_best());
    xl_kernels_free(&k);
    for (size_t i = 0; i < N_PATHS; i++) {
        if (xl_simd_path_available(all_paths[i])) continue;
        assert_int_equal(xl_kernels_init(&k, all_paths[i], 1, &err), -1);
        assert_non_null(strstr(err.msg, "not available"));
    }
}

/* ---- SGEMM ---- */

/* op(B)[p, j] */
static float opb(const float *B, size_t ldb, xl_trans tb, size_t p, size_t j)
{
    return tb == XL_TRANS ? B[j * ldb + p] : B[p * ldb + j];
}

/* Check C against alpha*A*op(B) + beta*C0 (+bias, act) computed in double; the bound is
 * float rounding of a K-term sum: |err| <= (2e-6 + 3e-8 (K+8)) * (sum |alpha a b| + |beta c0| + |bias|) + 1e-6. */
static void check_gemm(const char *what, size_t M, size_t N, size_t K, float alpha, const float *A, size_t lda,
                       const float *B, size_t ldb, xl_trans tb, float beta, const float *C0, const float *C, size_t ldc,
                       const float *bias, xl_act act)
{
    for (size_t i = 0; i < M; i++)
        for (size_t j = 0; j < N; j++) {
            double s = 0.0, mag = 0.0;
            for (size_t p = 0; p < K; p++) {
                double t = (double)A[i * lda + p] * (double)opb(B, ldb, tb, p, j);
                s += t;
                mag += fabs(t);
            }
            double ref = (double)alpha * s;
            mag = fabs((double)alpha) * mag;
            if (beta != 0.0f) {
                ref += (double)beta * (double)C0[i * ldc + j];
                mag += fabs((double)beta * (double)C0[i * ldc + j]);
            }
            if (bias) {
                ref += bias[j];
                mag += fabs(bias[j]);
            }
            if (act == XL_ACT_GELU) ref = 0.5 * ref * erfc(-ref / sqrt(2.0));
            if (act == XL_ACT_TANH) ref = tanh(ref);
            double tol = (2e-6 + (double)(K + 8) * 3e-8) * mag + 1e-6;
            double got = C[i * ldc + j];
            if (!(fabs(got - ref) <= tol))
                fail_msg("%s: M=%zu N=%zu K=%zu C[%zu,%zu] = %.9g, reference %.9g (tol %.3g)", what, M, N, K, i, j,
                         got, ref, tol);
        }
}

typedef struct {
    size_t M, N, K;
} shape;

static void run_sgemm_case(xl_kernels *k, const char *pname, shape s, xl_trans tb, size_t pad, float alpha,
                           float beta, int threads)
{
    size_t lda = s.K + pad, ldb = (tb == XL_TRANS ? s.K : s.N) + pad, ldc = s.N + pad;
    size_t brows = tb == XL_TRANS ? s.N : s.K;
    float *A = rand_vec(s.M * lda), *B = rand_vec(brows * ldb), *C0 = rand_vec(s.M * ldc);
    float *C = malloc((s.M * ldc + 1) * sizeof *C);
    assert_non_null(C);
    memcpy(C, C0, s.M * ldc * sizeof *C);
    if (beta == 0.0f)
        for (size_t i = 0; i < s.M * ldc; i++) C[i] = NAN; /* beta = 0: C must not be read */
    xl_sgemm(k, threads, tb, s.M, s.N, s.K, alpha, A, lda, B, ldb, beta, C, ldc);
    char what[128];
    snprintf(what, sizeof what, "%s sgemm %s pad=%zu alpha=%g beta=%g threads=%d", pname,
             tb == XL_TRANS ? "B^T" : "B", pad, (double)alpha, (double)beta, threads);
    check_gemm(what, s.M, s.N, s.K, alpha, A, lda, B, ldb, tb, beta, C0, C, ldc, NULL, XL_ACT_NONE);
    /* padding columns of C untouched */
    if (beta != 0.0f)
        for (size_t i = 0; i < s.M; i++)
            for (size_t j = s.N; j < ldc; j++)
                if (C[i * ldc + j] != C0[i * ldc + j]) fail_msg("%s: wrote C padding at [%zu,%zu]", what, i, j);
    free(A), free(B), free(C0), free(C);
}

static void test_sgemm_all_paths(void **state)
{
    (void)state;
    static const shape shapes[] = {{1, 1, 1},   {1, 17, 3},   {3, 1, 17},   {17, 33, 5},  {33, 17, 127},
                                   {127, 65, 33}, {13, 70, 300}, {64, 64, 64}, {7, 40, 0},   {130, 97, 257},
                                   {2, 300, 9}};
    for (size_t pi = 0; pi < N_PATHS; pi++) {
        xl_kernels k;
        if (!init_path(&k, all_paths[pi])) continue;
        const char *pname = xl_simd_path_name(all_paths[pi]);
        for (size_t si = 0; si < sizeof shapes / sizeof shapes[0]; si++)
            for (int tb = 0; tb < 2; tb++) {
                run_sgemm_case(&k, pname, shapes[si], (xl_trans)tb, 0, 1.0f, 0.0f, 1);
                run_sgemm_case(&k, pname, shapes[si], (xl_trans)tb, 3, 0.5f, -1.25f, 2);
                run_sgemm_case(&k, pname, shapes[si], (xl_trans)tb, 16, -2.0f, 1.0f, 2);
            }
        /* big enough to actually use 2 threads, both split directions */
        run_sgemm_case(&k, pname, (shape){200, 200, 100}, XL_TRANS, 1, 1.0f, 0.0f, 2);
        run_sgemm_case(&k, pname, (shape){300, 40, 200}, XL_NO_TRANS, 0, 1.0f, 0.5f, 2);
        xl_kernels_free(&k);
    }
}

/* every path gives the scalar result (up to rounding) and 1 vs 2 threads are bit-identical */
static void test_sgemm_paths_agree(void **state)
{
    (void)state;
    const size_t M = 150, N = 200, K = 300;
    float *A = rand_vec(M * K), *W = rand_vec(N * K), *bias = rand_vec(N);
    float *ref = malloc(M * N * sizeof *ref), *c1 = malloc(M * N * sizeof *c1), *c2 = malloc(M * N * sizeof *c2);
    assert_true(ref && c1 && c2);
    xl_kernels ks;
    assert_true(init_path(&ks, XL_SIMD_SCALAR));
    xl_sgemm(&ks, 1, XL_TRANS, M, N, K, 1.0f, A, K, W, K, 0.0f, ref, N);
    xl_kernels_free(&ks);
    for (size_t pi = 0; pi < N_PATHS; pi++) {
        xl_kernels k;
        if (!init_path(&k, all_paths[pi])) continue;
        xl_sgemm(&k, 1, XL_TRANS, M, N, K, 1.0f, A, K, W, K, 0.0f, c1, N);
        assert_allclose(c1, ref, M * N, 2e-5, 1e-5);
        xl_sgemm(&k, 2, XL_TRANS, M, N, K, 1.0f, A, K, W, K, 0.0f, c2, N);
        assert_memory_equal(c1, c2, M * N * sizeof *c1);
        /* packed weights, 1 and 2 threads, identical to the unpacked call */
        xl_packed_matrix P;
        xl_error err;
        assert_int_equal(xl_pack_b(&k, XL_TRANS, K, N, W, K, &P, &err), 0);
        xl_sgemm_packed(&k, 2, M, 1.0f, A, K, &P, 0.0f, c2, N, NULL, XL_ACT_NONE);
        assert_memory_equal(c1, c2, M * N * sizeof *c1);
        xl_packed_free(&P);
        xl_kernels_free(&k);
    }
    free(A), free(W), free(bias), free(ref), free(c1), free(c2);
}

static void test_sgemm_packed(void **state)
{
    (void)state;
    static const shape shapes[] = {{1, 1, 1}, {5, 33, 17}, {37, 100, 64}, {128, 96, 300}, {3, 70, 0}};
    for (size_t pi = 0; pi < N_PATHS; pi++) {
        xl_kernels k;
        if (!init_path(&k, all_paths[pi])) continue;
        const char *pname = xl_simd_path_name(all_paths[pi]);
        for (size_t si = 0; si < sizeof shapes / sizeof shapes[0]; si++) {
            shape s = shapes[si];
            for (int tb = 0; tb < 2; tb++) {
                for (int act = 0; act < 3; act++) {
                    size_t ldb = (tb == XL_TRANS ? s.K : s.N) + 2, brows = tb == XL_TRANS ? s.N : s.K;
                    float *A = rand_vec(s.M * s.K), *B = rand_vec(brows * ldb), *bias = rand_vec(s.N);
                    float *C0 = rand_vec(s.M * s.N), *C = malloc((s.M * s.N + 1) * sizeof *C);
                    assert_non_null(C);
                    xl_packed_matrix P;
                    xl_error err;
                    assert_int_equal(xl_pack_b(&k, (xl_trans)tb, s.K, s.N, B, ldb, &P, &err), 0);
                    assert_int_equal(P.n, s.N);
                    char what[96];
                    snprintf(what, sizeof what, "%s packed %s act=%d", pname, tb ? "B^T" : "B", act);
                    memcpy(C, C0, s.M * s.N * sizeof *C);
                    xl_sgemm_packed(&k, 2, s.M, 0.75f, A, s.K, &P, 0.5f, C, s.N, bias, (xl_act)act);
                    check_gemm(what, s.M, s.N, s.K, 0.75f, A, s.K, B, ldb, (xl_trans)tb, 0.5f, C0, C, s.N, bias,
                               (xl_act)act);
                    xl_linear(&k, 1, A, s.M, &P, bias, (xl_act)act, C);
                    check_gemm(what, s.M, s.N, s.K, 1.0f, A, s.K, B, ldb, (xl_trans)tb, 0.0f, C0, C, s.N, bias,
                               (xl_act)act);
                    /* a matrix packed for another path still works (repacked on the fly) */
                    for (size_t qi = 0; qi < N_PATHS; qi++) {
                        xl_kernels other;
                        if (all_paths[qi] == all_paths[pi] || !init_path(&other, all_paths[qi])) continue;
                        xl_linear(&other, 2, A, s.M, &P, bias, (xl_act)act, C);
                        check_gemm(what, s.M, s.N, s.K, 1.0f, A, s.K, B, ldb, (xl_trans)tb, 0.0f, C0, C, s.N, bias,
                                   (xl_act)act);
                        xl_kernels_free(&other);
                    }
                    xl_packed_free(&P);
                    free(A), free(B), free(bias), free(C0), free(C);
                }
            }
        }
        xl_kernels_free(&k);
    }
}

/* attention shapes: heads as column slices of a [S, 3*H*D] QKV buffer */
static void test_sgemm_batched(void **state)
{
    (void)state;
    const size_t S = 19, H = 3, D = 8, ld = 3 * H * D;
    float *qkv = rand_vec(S * ld), *scores = malloc(H * S * S * sizeof(float)), *ctx = malloc(S * H * D * sizeof(float));
    assert_true(scores && ctx);
    for (size_t pi = 0; pi < N_PATHS; pi++) {
        xl_kernels k;
        if (!init_path(&k, all_paths[pi])) continue;
        for (int threads = 1; threads <= 2; threads++) {
            /* scores[h] = Q_h K_h^T * 1/sqrt(D):  Q_h = qkv[:, h*D..], K_h = qkv[:, H*D + h*D ..] */
            xl_sgemm_batched(&k, threads, XL_TRANS, H, S, S, D, 0.35f, qkv, ld, D, qkv + H * D, ld, D, 0.0f, scores,
                             S, S * S);
            for (size_t h = 0; h < H; h++)
                check_gemm("batched QK^T", S, S, D, 0.35f, qkv + h * D, ld, qkv + H * D + h * D, ld, XL_TRANS, 0.0f,
                           NULL, scores + h * S * S, S, NULL, XL_ACT_NONE);
            xl_softmax_rows(&k, threads, scores, H * S, S, S, 1.0f, NULL);
            /* ctx[:, h*D..] = P_h V_h */
            xl_sgemm_batched(&k, threads, XL_NO_TRANS, H, S, D, S, 1.0f, scores, S, S * S, qkv + 2 * H * D, ld, D,
                             0.0f, ctx, H * D, D);
            for (size_t h = 0; h < H; h++)
                check_gemm("batched PV", S, D, S, 1.0f, scores + h * S * S, S, qkv + 2 * H * D + h * D, ld,
                           XL_NO_TRANS, 0.0f, NULL, ctx + h * D, H * D, NULL, XL_ACT_NONE);
        }
        xl_kernels_free(&k);
    }
    free(qkv), free(scores), free(ctx);
}

/* ---- SGEMM with transposed A (the weight gradients of training: dW += dY^T X) ---- */

/* C = alpha op(A) op(B) + beta C0 against a double reference, op(A) = A^T with A stored [K, M] */
static void run_sgemm_ta_case(xl_kernels *k, const char *pname, shape s, xl_trans tb, size_t pad, float alpha,
                              float beta, int threads, float *out_c)
{
    size_t lda = s.M + pad, ldb = (tb == XL_TRANS ? s.K : s.N) + pad, ldc = s.N + pad;
    size_t brows = tb == XL_TRANS ? s.N : s.K;
    float *A = rand_vec(s.K * lda), *B = rand_vec(brows * ldb), *C0 = rand_vec(s.M * ldc);
    float *C = malloc((s.M * ldc + 1) * sizeof *C), *At = malloc((s.M * s.K + 1) * sizeof *At);
    assert_true(C && At);
    memcpy(C, C0, s.M * ldc * sizeof *C);
    if (beta == 0.0f)
        for (size_t i = 0; i < s.M * ldc; i++) C[i] = NAN;
    xl_sgemm_ex(k, threads, XL_TRANS, tb, s.M, s.N, s.K, alpha, A, lda, B, ldb, beta, C, ldc);
    /* the reference reads op(A) = A^T as a dense [M, K] matrix */
    for (size_t i = 0; i < s.M; i++)
        for (size_t p = 0; p < s.K; p++) At[i * s.K + p] = A[p * lda + i];
    char what[128];
    snprintf(what, sizeof what, "%s sgemm A^T %s pad=%zu alpha=%g beta=%g threads=%d", pname,
             tb == XL_TRANS ? "B^T" : "B", pad, (double)alpha, (double)beta, threads);
    check_gemm(what, s.M, s.N, s.K, alpha, At, s.K, B, ldb, tb, beta, C0, C, ldc, NULL, XL_ACT_NONE);
    if (beta != 0.0f)
        for (size_t i = 0; i < s.M; i++)
            for (size_t j = s.N; j < ldc; j++)
                if (C[i * ldc + j] != C0[i * ldc + j]) fail_msg("%s: wrote C padding at [%zu,%zu]", what, i, j);
    if (out_c != NULL)
        for (size_t i = 0; i < s.M; i++) memcpy(out_c + i * s.N, C + i * ldc, s.N * sizeof *C);
    free(A), free(B), free(C0), free(C), free(At);
}

static void test_sgemm_trans_a(void **state)
{
    (void)state;
    static const shape shapes[] = {{1, 1, 1},  {1, 17, 3},  {3, 1, 17},    {17, 33, 5},  {33, 17, 127},
                                   {7, 40, 0}, {64, 64, 64}, {130, 97, 257}, {2, 300, 9}, {200, 150, 100}};
    const shape big = {150, 200, 300};
    float *ref = malloc(big.M * big.N * sizeof *ref), *c1 = malloc(big.M * big.N * sizeof *c1),
          *c2 = malloc(big.M * big.N * sizeof *c2);
    assert_true(ref && c1 && c2);
    int have_ref = 0;
    for (size_t pi = 0; pi < N_PATHS; pi++) {
        xl_kernels k;
        if (!init_path(&k, all_paths[pi])) continue;
        const char *pname = xl_simd_path_name(all_paths[pi]);
        for (size_t si = 0; si < sizeof shapes / sizeof shapes[0]; si++)
            for (int tb = 0; tb < 2; tb++) {
                run_sgemm_ta_case(&k, pname, shapes[si], (xl_trans)tb, 0, 1.0f, 0.0f, 1, NULL);
                run_sgemm_ta_case(&k, pname, shapes[si], (xl_trans)tb, 5, -0.5f, 1.0f, 2, NULL);
            }
        /* same inputs (the generator restarted) on every path: agrees with scalar, 1 vs 2 threads bit-identical */
        lcg_state = 12345;
        run_sgemm_ta_case(&k, pname, big, XL_NO_TRANS, 0, 1.0f, 1.0f, 1, c1);
        lcg_state = 12345;
        run_sgemm_ta_case(&k, pname, big, XL_NO_TRANS, 0, 1.0f, 1.0f, 2, c2);
        assert_memory_equal(c1, c2, big.M * big.N * sizeof *c1);
        if (!have_ref) memcpy(ref, c1, big.M * big.N * sizeof *c1), have_ref = 1;
        else assert_allclose(c1, ref, big.M * big.N, 2e-5, 1e-5);
        /* taller than wide (the dW GEMMs of QKV and FFN in): 2 threads split the rows, each packing its
         * own rows of A^T and both packing B; K > KC (the deeper K blocks): still bit-identical */
        const shape tall = {200, 150, 300};
        lcg_state = 777;
        run_sgemm_ta_case(&k, pname, tall, XL_NO_TRANS, 0, 1.0f, 1.0f, 1, c1);
        lcg_state = 777;
        run_sgemm_ta_case(&k, pname, tall, XL_NO_TRANS, 0, 1.0f, 1.0f, 2, c2);
        assert_memory_equal(c1, c2, tall.M * tall.N * sizeof *c1);
        /* batched with transposed A (attention backward: dV_h = P_h^T dctx_h) */
        const size_t S = 13, D = 6, nb = 3;
        float *P = rand_vec(nb * S * S), *dc = rand_vec(S * nb * D), *dv = malloc(S * nb * D * sizeof *dv);
        assert_non_null(dv);
        xl_sgemm_batched_ex(&k, 2, XL_TRANS, XL_NO_TRANS, nb, S, D, S, 1.0f, P, S, S * S, dc, nb * D, D, 0.0f, dv, nb * D,
                            D);
        for (size_t h = 0; h < nb; h++) {
            float *Pt = malloc(S * S * sizeof *Pt);
            assert_non_null(Pt);
            for (size_t i = 0; i < S; i++)
                for (size_t j = 0; j < S; j++) Pt[i * S + j] = P[h * S * S + j * S + i];
            check_gemm("batched P^T dctx", S, D, S, 1.0f, Pt, S, dc + h * D, nb * D, XL_NO_TRANS, 0.0f, NULL,
                       dv + h * D, nb * D, NULL, XL_ACT_NONE);
            free(Pt);
        }
        free(P), free(dc), free(dv);
        xl_kernels_free(&k);
    }
    free(ref), free(c1), free(c2);
}

/* ---- fused attention ---- */

/* Naive double-precision attention for one (sequence, head): ctx = softmax(scale Q K^T + mask) V. */
static void attention_ref(size_t n, size_t dh, float scale, const float *q, const float *k, const float *v, size_t ld,
                          const float *mask, float *ctx, size_t ld_ctx)
{
    double *p = malloc(n * sizeof *p);
    assert_non_null(p);
    for (size_t i = 0; i < n; i++) {
        double mx = -INFINITY, sum = 0.0;
        for (size_t j = 0; j < n; j++) {
            double sc = 0.0;
            for (size_t d = 0; d < dh; d++) sc += (double)q[i * ld + d] * k[j * ld + d];
            p[j] = (double)(float)(scale * sc) + (mask ? mask[j] : 0.0);
            if (p[j] > mx) mx = p[j];
        }
        for (size_t j = 0; j < n; j++) sum += (p[j] = exp(p[j] - mx));
        for (size_t d = 0; d < dh; d++) {
            double acc = 0.0;
            for (size_t j = 0; j < n; j++) acc += p[j] / sum * v[j * ld + d];
            ctx[i * ld_ctx + d] = (float)acc;
        }
    }
    free(p);
}

/* xl_attention on every path, 1 and 2 threads, probabilities kept (att) or not (att == NULL, the
 * per-thread scratch): ctx within float tolerance of the double reference, and bit-identical
 * between the two modes and thread counts.  Cases: a batch of 3 masked sequences (5, 37, 300
 * tokens: 300 takes several blocks of query rows), 40 tokens x head size 3300 (K^T and V too large
 * to pack once: the per-block packing path), 4100 tokens x head size 1 (fewer than MR query rows
 * per scratch block). */
static void test_attention(void **state)
{
    (void)state;
    static const struct {
        size_t n_seq, len[3], heads, dh;
        int masked;
    } cases[] = {{3, {5, 37, 300}, 3, 20, 1}, {1, {40, 0, 0}, 1, 3300, 0}, {1, {4100, 0, 0}, 1, 1, 1}};
    for (size_t ci = 0; ci < sizeof cases / sizeof cases[0]; ci++) {
        const size_t n_seq = cases[ci].n_seq, nh = cases[ci].heads, dh = cases[ci].dh, H = nh * dh, ld = 3 * H;
        size_t off[3], att_off[3], T = 0, A = 0;
        for (size_t s = 0; s < n_seq; s++) {
            off[s] = T, att_off[s] = A;
            T += cases[ci].len[s], A += nh * cases[ci].len[s] * cases[ci].len[s];
        }
        float *qkv = rand_vec(T * ld), *mrow = malloc(T * sizeof *mrow), *att = malloc(A * sizeof *att);
        float *ref = malloc(T * H * sizeof *ref), *kept = malloc(T * H * sizeof *kept), *got = malloc(T * H * sizeof *got);
        assert_true(mrow && att && ref && kept && got);
        const float *masks[3] = {NULL, NULL, NULL};
        for (size_t s = 0; s < n_seq && cases[ci].masked; s++) {
            float *m = mrow + off[s];
            for (size_t j = 0; j < cases[ci].len[s]; j++) m[j] = (j % 4 == 3) ? -FLT_MAX : 0.0f; /* HF padding value */
            masks[s] = m;
        }
        const float scale = 1.0f / sqrtf((float)dh);
        for (size_t s = 0; s < n_seq; s++)
            for (size_t h = 0; h < nh; h++) {
                const float *base = qkv + off[s] * ld + h * dh;
                attention_ref(cases[ci].len[s], dh, scale, base, base + H, base + 2 * H, ld, masks[s],
                              ref + off[s] * H + h * dh, H);
            }
        for (size_t pi = 0; pi < N_PATHS; pi++) {
            xl_kernels k;
            if (!init_path(&k, all_paths[pi])) continue;
            xl_attention(&k, 1, n_seq, off, cases[ci].len, att_off, masks, nh, dh, scale, qkv, qkv + H, qkv + 2 * H,
                         ld, att, kept, H);
            assert_allclose(kept, ref, T * H, 2e-5, 1e-4);
            for (int threads = 1; threads <= 2; threads++) {
                memset(got, 0xff, T * H * sizeof *got);
                xl_attention(&k, threads, n_seq, off, cases[ci].len, att_off, masks, nh, dh, scale, qkv, qkv + H,
                             qkv + 2 * H, ld, NULL, got, H);
                if (memcmp(got, kept, T * H * sizeof *got) != 0)
                    fail_msg("%s, case %zu, %d threads: att == NULL changed ctx", xl_simd_path_name(all_paths[pi]), ci,
                             threads);
            }
            xl_kernels_free(&k);
        }
        free(qkv), free(mrow), free(att), free(ref), free(kept), free(got);
    }
}

/* ---- elementwise ---- */

static double gelu_ref(double x)
{
    return 0.5 * x * erfc(-x / sqrt(2.0));
}

/* ctx == NULL: the probabilities only, identical to those of the full call */
static void test_attention_probabilities_only(void **state)
{
    (void)state;
    const size_t nh = 2, dh = 5, H = nh * dh, n_seq = 2;
    const size_t off[2] = {0, 7}, len[2] = {7, 4}, att_off[2] = {0, 2 * 49}, T = 11, A = 2 * 49 + 2 * 16;
    float *qkv = rand_vec(T * 3 * H), *att = malloc(A * sizeof(float)), *att2 = malloc(A * sizeof(float)),
          *ctx = malloc(T * H * sizeof(float));
    assert_true(att && att2 && ctx);
    for (size_t pi = 0; pi < N_PATHS; pi++) {
        xl_kernels k;
        if (!init_path(&k, all_paths[pi])) continue;
        xl_attention(&k, 2, n_seq, off, len, att_off, NULL, nh, dh, 0.4f, qkv, qkv + H, qkv + 2 * H, 3 * H, att, ctx, H);
        xl_attention(&k, 2, n_seq, off, len, att_off, NULL, nh, dh, 0.4f, qkv, qkv + H, qkv + 2 * H, 3 * H, att2, NULL,
                     H);
        assert_memory_equal(att, att2, A * sizeof(float));
        xl_kernels_free(&k);
    }
    free(qkv), free(att), free(att2), free(ctx);
}

static void test_gelu(void **state)
{
    (void)state;
    /* a dense sweep over [-12, 12] plus odd lengths (tails) and special points */
    size_t n = 24001 + 7;
    float *x = malloc(n * sizeof *x), *y = malloc(n * sizeof *y), *ref = malloc(n * sizeof *ref);
    float *bias = rand_vec(n);
    assert_true(x && y && ref);
    for (size_t i = 0; i < 24001; i++) x[i] = -12.0f + (float)i * 0.001f;
    const float special[7] = {0.0f, -0.0f, 1e-30f, -1e-30f, 40.0f, -40.0f, -1.41421356f};
    memcpy(x + 24001, special, sizeof special);
    for (size_t pi = 0; pi < N_PATHS; pi++) {
        xl_kernels k;
        if (!init_path(&k, all_paths[pi])) continue;
        for (size_t len = 1; len <= 40; len += 13) { /* tails */
            memcpy(y, x + 11990, len * sizeof *y);
            xl_gelu(&k, y, len);
            for (size_t i = 0; i < len; i++) ref[i] = (float)gelu_ref(x[11990 + i]);
            assert_allclose(y, ref, len, 1e-7, 1e-6);
        }
        memcpy(y, x, n * sizeof *y);
        xl_gelu(&k, y, n);
        for (size_t i = 0; i < n; i++) ref[i] = (float)gelu_ref(x[i]);
        double worst = 0.0;
        for (size_t i = 0; i < n; i++) {
            double d = fabs((double)y[i] - gelu_ref(x[i])) / (fabs(gelu_ref(x[i])) + 1e-30);
            if (fabs(gelu_ref(x[i])) > 1e-30 && d > worst) worst = d;
        }
        print_message("[ INFO     ] %s gelu max relative error %.3g\n", xl_simd_path_name(all_paths[pi]), worst);
        assert_allclose(y, ref, n, 1e-30, 1e-6);
        /* fused bias, rows with a stride */
        memcpy(y, x, n * sizeof *y);
        xl_bias_gelu(&k, 2, y, 100, 233, 240, bias);
        for (size_t r = 0; r < 100; r++)
            for (size_t c = 0; c < 240; c++) {
                size_t i = r * 240 + c;
                double want = c < 233 ? gelu_ref((double)(x[i] + bias[c])) : (double)x[i];
                if (fabs(y[i] - want) > 1e-7 + 1e-6 * fabs(want))
                    fail_msg("%s bias_gelu [%zu,%zu] %.9g want %.9g", xl_simd_path_name(all_paths[pi]), r, c,
                             (double)y[i], want);
            }
        xl_kernels_free(&k);
    }
    free(x), free(y), free(ref), free(bias);
}

/* t = fl(x + r) (the residual add happens in float, as in PyTorch), then LayerNorm in double */
static void layernorm_ref(const float *x, const float *r, const float *g, const float *b, double eps, size_t n,
                          float *y)
{
    double mean = 0.0, var = 0.0;
    for (size_t j = 0; j < n; j++) mean += (double)(r ? x[j] + r[j] : x[j]);
    mean /= (double)n;
    for (size_t j = 0; j < n; j++) {
        double d = (double)(r ? x[j] + r[j] : x[j]) - mean;
        var += d * d;
    }
    var /= (double)n;
    for (size_t j = 0; j < n; j++)
        y[j] = (float)(((double)(r ? x[j] + r[j] : x[j]) - mean) / sqrt(var + eps) * g[j] + b[j]);
}

static void test_layernorm(void **state)
{
    (void)state;
    static const size_t widths[] = {1, 3, 17, 33, 127, 384, 768};
    for (size_t pi = 0; pi < N_PATHS; pi++) {
        xl_kernels k;
        if (!init_path(&k, all_paths[pi])) continue;
        for (size_t wi = 0; wi < sizeof widths / sizeof widths[0]; wi++) {
            size_t n = widths[wi], rows = 90;
            float *x = rand_vec(rows * n), *r = rand_vec(rows * n), *g = rand_vec(n), *b = rand_vec(n);
            float *y = malloc(rows * n * sizeof *y), *ref = malloc(rows * n * sizeof *ref);
            assert_true(y && ref);
            for (size_t i = 0; i < rows * n; i++) x[i] = x[i] * 3.0f + 5.0f; /* offset mean: tests two-pass */
            for (size_t i = 0; i < rows; i++) layernorm_ref(x + i * n, r + i * n, g, b, 1e-12, n, ref + i * n);
            xl_add_layernorm(&k, 2, x, r, g, b, 1e-12f, rows, n, y);
            /* output is O(1): absolute tolerance on the normalised scale, widened by the condition
             * number |mean| / std of the row (the float mean's rounding, inherent to float32) */
            for (size_t i = 0; i < rows; i++) {
                double m = 0.0, v = 0.0;
                for (size_t j = 0; j < n; j++) m += (double)(x[i * n + j] + r[i * n + j]);
                m /= (double)n;
                for (size_t j = 0; j < n; j++) {
                    double d = (double)(x[i * n + j] + r[i * n + j]) - m;
                    v += d * d;
                }
                double cond = fabs(m) / sqrt(v / (double)n + 1e-12);
                assert_allclose(y + i * n, ref + i * n, n, 2e-6 * (1.0 + cond), 2e-6);
            }
            /* in place (y aliases x), no residual, eps = 1e-5 */
            for (size_t i = 0; i < rows; i++) layernorm_ref(x + i * n, NULL, g, b, 1e-5, n, ref + i * n);
            xl_add_layernorm(&k, 1, x, NULL, g, b, 1e-5f, rows, n, x);
            assert_allclose(x, ref, rows * n, 2e-6, 2e-6);
            free(x), free(r), free(g), free(b), free(y), free(ref);
        }
        xl_kernels_free(&k);
    }
}

static void test_softmax(void **state)
{
    (void)state;
    static const size_t widths[] = {1, 2, 17, 33, 128, 129, 512};
    for (size_t pi = 0; pi < N_PATHS; pi++) {
        xl_kernels k;
        if (!init_path(&k, all_paths[pi])) continue;
        for (size_t wi = 0; wi < sizeof widths / sizeof widths[0]; wi++) {
            size_t n = widths[wi], rows = 40, ld = n + 5;
            float *x = rand_vec(rows * ld), *mask = malloc(n * sizeof *mask), *ref = malloc(rows * ld * sizeof *ref);
            assert_true(mask && ref);
            for (size_t j = 0; j < n; j++) mask[j] = (j % 3 == 2 && j > 0) ? -3.4028234663852886e38f : 0.0f;
            for (size_t i = 0; i < rows * ld; i++) x[i] *= 20.0f;
            memcpy(ref, x, rows * ld * sizeof *ref);
            const float scale = 0.125f;
            for (size_t i = 0; i < rows; i++) {
                double mx = -INFINITY, s = 0.0;
                double t[512];
                for (size_t j = 0; j < n; j++) {
                    t[j] = (double)scale * x[i * ld + j] + mask[j];
                    if (t[j] > mx) mx = t[j];
                }
                for (size_t j = 0; j < n; j++) s += exp(t[j] - mx);
                for (size_t j = 0; j < n; j++) ref[i * ld + j] = (float)(exp(t[j] - mx) / s);
            }
            xl_softmax_rows(&k, 2, x, rows, n, ld, scale, mask);
            assert_allclose(x, ref, rows * ld, 1e-8, 2e-6); /* padding columns unchanged too */
            free(x), free(mask), free(ref);
        }
        /* a fully masked (-inf) row gives zeros, not NaN */
        float row[37];
        for (size_t j = 0; j < 37; j++) row[j] = -INFINITY;
        xl_softmax_rows(&k, 1, row, 1, 37, 37, 1.0f, NULL);
        for (size_t j = 0; j < 37; j++) assert_true(row[j] == 0.0f);
        xl_kernels_free(&k);
    }
}

static void test_vector_ops(void **state)
{
    (void)state;
    for (size_t pi = 0; pi < N_PATHS; pi++) {
        xl_kernels k;
        if (!init_path(&k, all_paths[pi])) continue;
        for (size_t n = 0; n < 80; n += 7) {
            float *a = rand_vec(n + 1), *b = rand_vec(n + 1), *y = malloc((n + 1) * sizeof *y),
                  *ref = malloc((n + 1) * sizeof *ref);
            assert_true(y && ref);
            double d = 0.0, mag = 0.0;
            for (size_t j = 0; j < n; j++) d += (double)a[j] * b[j], mag += fabs((double)a[j] * b[j]);
            assert_close(xl_dot(&k, a, b, n), d, 1e-6 * mag + 1e-7);
            memcpy(y, b, n * sizeof *y);
            xl_axpy(&k, n, -0.3f, a, y);
            for (size_t j = 0; j < n; j++) ref[j] = (float)((double)b[j] - 0.3 * (double)a[j]);
            assert_allclose(y, ref, n, 1e-7, 1e-6);
            /* L2 normalise 2 rows of n/2 */
            size_t c = n / 2;
            memcpy(y, a, n * sizeof *y);
            xl_l2_normalize(&k, y, 2, c);
            for (size_t r = 0; r < 2; r++) {
                double ss = 0.0;
                for (size_t j = 0; j < c; j++) ss += (double)a[r * c + j] * a[r * c + j];
                double nrm = sqrt(ss) > 1e-12 ? sqrt(ss) : 1e-12;
                for (size_t j = 0; j < c; j++) ref[r * c + j] = (float)(a[r * c + j] / nrm);
            }
            assert_allclose(y, ref, 2 * c, 1e-7, 1e-6);
            /* tanh */
            memcpy(y, a, n * sizeof *y);
            for (size_t j = 0; j < n; j++) y[j] *= 5.0f, ref[j] = (float)tanh((double)y[j]);
            xl_tanh(&k, y, n);
            assert_allclose(y, ref, n, 1e-7, 1e-6);
            free(a), free(b), free(y), free(ref);
        }
        float zero[5] = {0};
        xl_l2_normalize(&k, zero, 1, 5); /* zero vector stays zero, no NaN */
        for (int j = 0; j < 5; j++) assert_true(zero[j] == 0.0f);
        xl_kernels_free(&k);
    }
}

/* ---- int8 linear layers ---- */

/* The documented rule, written again here: symmetric per-row int8, round half away from zero. */
static float test_quantize(const float *x, size_t k, signed char *q)
{
    float amax = 0.0f;
    for (size_t p = 0; p < k; p++) amax = fmaxf(amax, fabsf(x[p]));
    float s = amax / 127.0f;
    if (!(s > 0.0f)) s = 1.0f;
    for (size_t p = 0; p < k; p++) q[p] = (signed char)(int)roundf(x[p] / s);
    return s;
}

/* reduced = 1: weights in [-63, 63] (7-bit, the range where the AVX2 u8 x s8 panel kernel runs with
 * no differences) except, in every fifth column, one pair (p = 0, 1) of 127 and -100 (a difference
 * to add back) and columns 32..47 left full-range (that panel falls back to the vpsignb kernel). */
static void check_qlinear_shape_w(size_t M, size_t N, size_t K, int reduced)
{
    float *X = rand_vec(M * K), *W = rand_vec(N * K), *bias = rand_vec(N);
    /* rows 0 and 1: exact rounding ties (row 0: max 127, s = 1, x = n + 0.5; row 1: max 254, s = 2,
     * x odd), both signs: the SIMD quantisers must round them half away from zero, as roundf */
    for (size_t p = 0; p < K; p++) {
        X[p] = (float)((int)((p * 7) % 253) - 126) + 0.5f;
        X[K + p] = (float)(2 * ((int)((p * 5) % 253) - 126) + 1);
    }
    X[0] = 127.0f, X[K] = -254.0f;
    float *want = malloc(M * N * sizeof *want), *got = malloc(M * N * sizeof *got), *got2 = malloc(M * N * sizeof *got2);
    float *f32 = malloc(M * N * sizeof *f32), *gelu_ref = malloc(M * N * sizeof *gelu_ref);
    signed char *qx = malloc(M * K), *qw = malloc(N * K);
    float *sx = malloc(M * sizeof *sx), *sw = malloc(N * sizeof *sw);
    assert_true(want && got && got2 && f32 && gelu_ref && qx && qw && sx && sw);
    for (size_t i = 0; i < M; i++) sx[i] = test_quantize(X + i * K, K, qx + i * K);
    for (size_t j = 0; j < N; j++) sw[j] = test_quantize(W + j * K, K, qw + j * K);
    if (reduced)
        for (size_t j = 0; j < N; j++) {
            if (j >= 32 && j < 48) continue;
            for (size_t p = 0; p < K; p++) qw[j * K + p] = (signed char)(qw[j * K + p] / 2);
            if (j % 5 == 0 && K >= 2) qw[j * K] = 127, qw[j * K + 1] = -100;
        }
    /* expected: exact integer sums, then the documented float epilogue (two statements: no FMA) */
    for (size_t i = 0; i < M; i++)
        for (size_t j = 0; j < N; j++) {
            long long acc = 0;
            for (size_t p = 0; p < K; p++) acc += (long long)qx[i * K + p] * qw[j * K + p];
            const float ss = sx[i] * sw[j];
            const float v = (float)acc * ss;
            want[i * N + j] = v + bias[j];
        }
    xl_error err;
    xl_error_clear(&err);
    xl_kernels ks;
    assert_true(init_path(&ks, XL_SIMD_SCALAR));
    xl_sgemm(&ks, 1, XL_TRANS, M, N, K, 1.0f, X, K, W, K, 0.0f, f32, N);
    for (size_t i = 0; i < M; i++)
        for (size_t j = 0; j < N; j++) f32[i * N + j] += bias[j];
    xl_qmatrix Q, Q8;
    if (reduced) assert_int_equal(xl_qmatrix_from_i8(N, K, qw, sw, &Q, &err), 0);
    else assert_int_equal(xl_qmatrix_quantize(N, K, W, K, &Q, &err), 0);
    assert_int_equal(xl_qmatrix_from_i8(N, K, qw, sw, &Q8, &err), 0); /* the model file's I8 form */
#if (defined(__x86_64__) || defined(_M_X64)) && (defined(__GNUC__) || defined(__clang__))
    if (reduced) { /* x86-64: the panel copy exists, with differences, and the full-range panel is off */
        assert_non_null(Q.panel);
        assert_true(Q.panel_ok[0] && !Q.panel_ok[2] && Q.fix_start[N] > 0);
    }
#endif
    xl_qlinear(&ks, 1, X, M, &Q, bias, XL_ACT_GELU, gelu_ref);
    xl_kernels_free(&ks);
    double num = 0, den = 0;
    for (size_t i = 0; i < M * N; i++) {
        num += ((double)want[i] - f32[i]) * ((double)want[i] - f32[i]);
        den += (double)f32[i] * f32[i];
    }
    if (!reduced) {
        print_message("[  INFO    ] int8 linear [%zu x %zu] x [%zu x %zu]^T: relative L2 error vs float32 %.4f\n", M, K,
                      N, K, sqrt(num / den));
        assert_true(sqrt(num / den) < 0.02); /* dynamic int8: ~1/254 relative per operand */
    }
    for (size_t pi = 0; pi < N_PATHS; pi++) {
        xl_kernels k;
        if (!init_path(&k, all_paths[pi])) continue;
        xl_qlinear(&k, 1, X, M, &Q, bias, XL_ACT_NONE, got);
        assert_allclose(got, want, M * N, 0.0, 0.0); /* bit for bit: exact integers, same epilogue */
        xl_qlinear(&k, 2, X, M, &Q8, bias, XL_ACT_NONE, got2);
        assert_memory_equal(got, got2, M * N * sizeof *got); /* threads, and I8 form = quantised f32 */
        xl_qlinear(&k, 2, X, M, &Q, bias, XL_ACT_GELU, got2);
        assert_allclose(got2, gelu_ref, M * N, 1e-6, 1e-6); /* the path's GELU vs the scalar one */
        print_message("[  INFO    ] int8 linear %-6s%s: equal to the exact reference\n", xl_simd_path_name(k.path),
                      k.has_vnni ? " (AVX512_VNNI vpdpbusd)" : k.has_dotprod ? " (Arm sdot)" : "");
        if (k.has_vnni || k.has_dotprod) { /* the path's kernel without the dot-product instruction too */
            k.has_vnni = k.has_dotprod = 0;
            xl_qlinear(&k, 2, X, M, &Q, bias, XL_ACT_NONE, got2);
            assert_memory_equal(got, got2, M * N * sizeof *got);
            print_message("[  INFO    ] int8 linear %-6s without it: equal to the exact reference\n",
                          xl_simd_path_name(k.path));
        }
        xl_kernels_free(&k);
    }
    xl_qmatrix_free(&Q);
    xl_qmatrix_free(&Q8);
    free(X), free(W), free(bias), free(want), free(got), free(got2), free(f32), free(gelu_ref);
    free(qx), free(qw), free(sx), free(sw);
}

static void check_qlinear_shape(size_t M, size_t N, size_t K)
{
    check_qlinear_shape_w(M, N, K, 0);
}

static void test_qlinear(void **state)
{
    (void)state;
    check_qlinear_shape_w(37, 70, 75, 1); /* the u8 x s8 panel kernel, differences, a fallback panel */
    check_qlinear_shape_w(70, 130, 200, 1);
    check_qlinear_shape(37, 70, 75);  /* odd rows, a partial column block, K not a multiple of 32 */
    check_qlinear_shape(3, 5, 130);
    check_qlinear_shape(70, 130, 64); /* several row and column blocks: the thread split */
    /* a row with Inf or NaN gives a NaN row, the others are unaffected; bad shapes are refused */
    xl_error err;
    xl_error_clear(&err);
    float X[3 * 4] = {1, 2, 3, 4, INFINITY, 0, 0, 0, 0, NAN, 1, 1}, W[2 * 4] = {1, 0, 0, 0, 0, 1, 0, 0}, Y[3 * 2];
    xl_qmatrix Q;
    assert_int_equal(xl_qmatrix_quantize(2, 4, W, 4, &Q, &err), 0);
    xl_kernels k;
    assert_true(init_path(&k, xl_simd_path_best()));
    xl_qlinear(&k, 1, X, 3, &Q, NULL, XL_ACT_NONE, Y);
    assert_true(fabsf(Y[0] - 1.0f) < 0.02f && fabsf(Y[1] - 2.0f) < 0.02f);
    assert_true(isnan(Y[2]) && isnan(Y[3]) && isnan(Y[4]) && isnan(Y[5]));
    xl_kernels_free(&k);
    xl_qmatrix_free(&Q);
    W[5] = NAN;
    assert_int_equal(xl_qmatrix_quantize(2, 4, W, 4, &Q, &err), -1);
    assert_non_null(strstr(err.msg, "row 1: element 1 is not finite"));
    assert_int_equal(xl_qmatrix_quantize(2, XL_QMATRIX_MAX_K + 1, W, 4, &Q, &err), -1);
}

/* ---- 16-bit packed weights (f16 / bf16 kept as stored; xl_pack_b16) ---- */

/* Random 16-bit weights [N, K] (ld K + 1) of type `elem`: mostly rounded uniform values, and a few
 * special patterns (+-0, the smallest subnormal, the largest finite f16, bf16 subnormals). */
static unsigned short *rand_w16(size_t N, size_t K, xl_elem elem)
{
    unsigned short *w = malloc(N * (K + 1) * sizeof *w);
    assert_non_null(w);
    static const unsigned short sp16[] = {0x0000, 0x8000, 0x0001, 0x83ff, 0x7bff, 0xfbff, 0x3c00};
    static const unsigned short spbf[] = {0x0000, 0x8000, 0x0001, 0x807f, 0x4780, 0xc2f7, 0x3f80};
    for (size_t i = 0; i < N * (K + 1); i++) {
        float x = frand() * (i % 7 == 0 ? 8.0f : 0.5f);
        w[i] = elem == XL_ELEM_F16 ? xl_float_to_half(x) : xl_float_to_bf16(x);
        if (i % 53 == 0) w[i] = (elem == XL_ELEM_F16 ? sp16 : spbf)[(i / 53) % 7];
    }
    return w;
}

/* xl_pack_b16 + xl_linear / xl_sgemm_packed on every path gives the bits of xl_pack_b on the widened
 * float32 weight (the conversion is exact and the micro-kernel sees the same floats): few rows (the
 * weight-streaming loop), many rows (the blocked loop, several A blocks), odd K and N (the padded
 * pair row and partial panels), 1 and 2 threads, and a matrix packed for another path. */
static void test_pack_b16(void **state)
{
    (void)state;
    static const shape shapes[] = {{3, 37, 45}, {230, 37, 301}, {16, 70, 64}, {1, 1, 1}, {4, 9, 0}};
    for (int e = 1; e <= 2; e++) {
        const xl_elem elem = (xl_elem)e;
        for (size_t si = 0; si < sizeof shapes / sizeof shapes[0]; si++) {
            shape s = shapes[si];
            unsigned short *W16 = rand_w16(s.N, s.K, elem);
            float *W = malloc((s.N * (s.K + 1) + 1) * sizeof *W), *A = rand_vec(s.M * s.K), *bias = rand_vec(s.N);
            float *C1 = malloc((s.M * s.N + 1) * sizeof *C1), *C2 = malloc((s.M * s.N + 1) * sizeof *C2);
            assert_non_null(W), assert_non_null(C1), assert_non_null(C2);
            for (size_t i = 0; i < s.N * (s.K + 1); i++) W[i] = xl_elem16_to_float(W16[i], elem);
            for (size_t pi = 0; pi < N_PATHS; pi++) {
                xl_kernels k;
                if (!init_path(&k, all_paths[pi])) continue;
                xl_packed_matrix P32, P16;
                xl_error err;
                assert_int_equal(xl_pack_b(&k, XL_TRANS, s.K, s.N, W, s.K + 1, &P32, &err), 0);
                assert_int_equal(xl_pack_b16(&k, s.K, s.N, W16, s.K + 1, elem, &P16, &err), 0);
                assert_int_equal(P16.elem, elem);
                assert_null(P16.data);
                for (int act = 0; act < 3; act += 2)
                    for (int th = 1; th <= 2; th++) {
                        xl_linear(&k, th, A, s.M, &P32, bias, (xl_act)act, C1);
                        xl_linear(&k, th, A, s.M, &P16, bias, (xl_act)act, C2);
                        if (s.M > 0 && s.N > 0) assert_memory_equal(C1, C2, s.M * s.N * sizeof *C1);
                    }
                /* general form: alpha, beta, C read */
                for (size_t i = 0; i < s.M * s.N; i++) C1[i] = C2[i] = frand();
                xl_sgemm_packed(&k, 2, s.M, 0.75f, A, s.K, &P32, 0.5f, C1, s.N, NULL, XL_ACT_NONE);
                xl_sgemm_packed(&k, 2, s.M, 0.75f, A, s.K, &P16, 0.5f, C2, s.N, NULL, XL_ACT_NONE);
                if (s.M > 0 && s.N > 0) assert_memory_equal(C1, C2, s.M * s.N * sizeof *C1);
                /* packed for this path, run on another (repacked from the 16-bit panels) */
                for (size_t qi = 0; qi < N_PATHS; qi++) {
                    xl_kernels other;
                    if (all_paths[qi] == all_paths[pi] || !init_path(&other, all_paths[qi])) continue;
                    xl_linear(&other, 2, A, s.M, &P32, bias, XL_ACT_NONE, C1);
                    xl_linear(&other, 2, A, s.M, &P16, bias, XL_ACT_NONE, C2);
                    if (s.M > 0 && s.N > 0) assert_memory_equal(C1, C2, s.M * s.N * sizeof *C1);
                    xl_kernels_free(&other);
                }
                xl_packed_free(&P32);
                xl_packed_free(&P16);
                xl_kernels_free(&k);
            }
            free(W16), free(W), free(A), free(bias), free(C1), free(C2);
        }
    }
    /* the exact conversions */
    assert_true(xl_elem16_to_float(0x3c00, XL_ELEM_F16) == 1.0f);
    assert_true(xl_elem16_to_float(0x0001, XL_ELEM_F16) == ldexpf(1.0f, -24));
    assert_true(xl_elem16_to_float(0x7bff, XL_ELEM_F16) == 65504.0f);
    assert_true(xl_elem16_to_float(0x3f80, XL_ELEM_BF16) == 1.0f);
    assert_true(xl_elem16_to_float(0xc2f7, XL_ELEM_BF16) == -123.5f);
}

/* The bf16 dot-product path (AVX512_BF16 vdpbf16ps where the CPU has it; elsewhere the scalar
 * table's exact emulation, switched on here): BF16 weights packed by xl_pack_b16, activations rounded
 * to bf16 pairs, per K block acc += A[2q+1] B[2q+1] then A[2q] B[2q] in float32.  Checked bit for bit
 * against an independent loop of that arithmetic (KC = 256 blocks, no subnormal inputs), 1 and 2
 * threads, alpha / beta, odd K and N, several A blocks; and its error against float64 on the bf16
 * weights (the activation rounding: ~2^-9 relative per product). */
static float bf16_round(float x)
{
    return xl_bf16_to_float(xl_float_to_bf16(x));
}

static void test_bf16_dot(void **state)
{
    (void)state;
    static const shape shapes[] = {{3, 37, 45}, {70, 19, 301}, {16, 8, 64}, {1, 1, 1}};
    const size_t KCB = 256; /* the K block of the paths that have ukr_bf16 (scalar, AVX-512) */
    for (size_t si = 0; si < sizeof shapes / sizeof shapes[0]; si++) {
        shape s = shapes[si];
        unsigned short *W16 = rand_w16(s.N, s.K, XL_ELEM_BF16);
        for (size_t i = 0; i < s.N * (s.K + 1); i++) /* no subnormals (vdpbf16ps flushes them) */
            if ((W16[i] & 0x7F80u) == 0) W16[i] = 0;
        float *A = rand_vec(s.M * s.K), *C0 = rand_vec(s.M * s.N);
        float *want = malloc(s.M * s.N * sizeof *want), *got = malloc(s.M * s.N * sizeof *got);
        assert_non_null(want), assert_non_null(got);
        const float alpha = 0.75f, beta = 0.5f;
        double max_rel = 0;
        for (size_t i = 0; i < s.M; i++)
            for (size_t j = 0; j < s.N; j++) {
                float c = C0[i * s.N + j];
                double ref = 0, mag = 0;
                for (size_t pc = 0; pc < s.K; pc += KCB) {
                    float acc = 0.0f;
                    for (size_t p = pc; p < pc + KCB && p < s.K; p += 2) {
                        if (p + 1 < s.K) {
                            const float p1 = bf16_round(A[i * s.K + p + 1]) * xl_bf16_to_float(W16[j * (s.K + 1) + p + 1]);
                            acc = acc + p1;
                        }
                        const float p0 = bf16_round(A[i * s.K + p]) * xl_bf16_to_float(W16[j * (s.K + 1) + p]);
                        acc = acc + p0;
                    }
                    float v = alpha * acc;
                    const float b = pc == 0 ? beta : 1.0f;
                    c = v + b * c;
                }
                want[i * s.N + j] = c;
                for (size_t p = 0; p < s.K; p++) {
                    double t = (double)A[i * s.K + p] * xl_bf16_to_float(W16[j * (s.K + 1) + p]);
                    ref += t, mag += fabs(t);
                }
                ref = alpha * ref + beta * (double)C0[i * s.N + j];
                mag = alpha * mag + fabs(beta * (double)C0[i * s.N + j]);
                if (mag > 0) max_rel = fmax(max_rel, fabs((double)c - ref) / mag);
            }
        assert_true(max_rel < 1e-2);
        for (size_t pi = 0; pi < N_PATHS; pi++) {
            xl_kernels k;
            if (!init_path(&k, all_paths[pi])) continue;
            const int native = k.has_bf16_dot;
            if (all_paths[pi] == XL_SIMD_SCALAR) k.has_bf16_dot = 1; /* the emulation */
            if (!k.has_bf16_dot) {
                xl_kernels_free(&k);
                continue;
            }
            xl_packed_matrix P;
            xl_error err;
            assert_int_equal(xl_pack_b16(&k, s.K, s.N, W16, s.K + 1, XL_ELEM_BF16, &P, &err), 0);
            for (int th = 1; th <= 2; th++) {
                memcpy(got, C0, s.M * s.N * sizeof *got);
                xl_sgemm_packed(&k, th, s.M, alpha, A, s.K, &P, beta, got, s.N, NULL, XL_ACT_NONE);
                assert_memory_equal(got, want, s.M * s.N * sizeof *got);
            }
            print_message("[  INFO    ] bf16 dot %-6s%s [%zu x %zu x %zu]: equal to the vdpbf16ps arithmetic; max error "
                          "%.2e of sum |a b| vs float64\n",
                          xl_simd_path_name(k.path), native ? " (AVX512_BF16)" : " (emulated)", s.M, s.N, s.K, max_rel);
            xl_packed_free(&P);
            xl_kernels_free(&k);
        }
        free(W16), free(A), free(C0), free(want), free(got);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_path_selection), cmocka_unit_test(test_sgemm_all_paths),
        cmocka_unit_test(test_sgemm_paths_agree), cmocka_unit_test(test_sgemm_packed),
        cmocka_unit_test(test_sgemm_batched), cmocka_unit_test(test_sgemm_trans_a), cmocka_unit_test(test_attention),
        cmocka_unit_test(test_attention_probabilities_only), cmocka_unit_test(test_gelu),
        cmocka_unit_test(test_layernorm), cmocka_unit_test(test_softmax),
        cmocka_unit_test(test_vector_ops), cmocka_unit_test(test_qlinear), cmocka_unit_test(test_pack_b16), cmocka_unit_test(test_bf16_dot),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
