/* xl_kernels.c - path selection, packing, the blocked GEMM driver and the threaded row ops.
 * See xl_kernels.h for the contract and docs/kernels.md for the design.
 *
 * GEMM (Goto & van de Geijn, "Anatomy of high-performance matrix multiplication", TOMS 2008;
 * BLIS loop order).  For one thread's output range C[m0:m1, n0:n1]:
 *   for jc in n0..n1 step NC             B block  op(B)[pc:pc+KC, jc:jc+NC]  (packed: the whole range)
 *     for pc in 0..K step KC             (packed B: a slice of the pre-packed panels, no copy)
 *       for ic in m0..m1 step MC         pack A block A[ic:ic+MC, pc:pc+KC] into MR-row panels (L2)
 *         for jr in 0..nc step NR        B micro-panel KC x NR stays in L1
 *           for ir in 0..mc step MR      micro-kernel: MR x NR tile of C in registers
 *         (last pc: bias + activation on the finished C[ic:ic+MC, jc:jc+NC] block)
 * Threads split the output by NR column panels (or MR row groups when N is narrow), so every
 * thread computes whole tiles with the same K-order and results do not depend on n_threads.
 */
#if defined(__linux__) && !defined(XL_NO_POSIX)
#define _DEFAULT_SOURCE /* madvise(MADV_HUGEPAGE) for packed weights */
#include <sys/mman.h>
#define XL_HAVE_MADVISE_HUGEPAGE 1
#endif
#include "xl_kernels.h"

#if defined(__aarch64__) && defined(__linux__)
#include <sys/auxv.h> /* getauxval: the Arm dot-product extension */
#endif

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xl_alloc.h"
#include "xl_bytes.h"
#include "xl_kernels_impl.h"
#include "xl_platform.h"
#include "xl_thread.h"

#if (defined(__x86_64__) || defined(_M_X64)) && (defined(__GNUC__) || defined(__clang__))
#include <cpuid.h>
#define XL_X86_DETECT 1
#endif

/* largest register block of any path (edge tiles use a stack buffer of this size) */
#define XL_MAX_MR 16
#define XL_MAX_NR 32

/* Back large packed weights with transparent huge pages (xl_pack_b): off by default, -DXL_HUGEPAGE_PACK=1
 * turns it on.  Measured on the 2-vCPU EPYC VM it made the BERT-base 512-token forward 20-30% slower
 * (bench_encoder, 700 vs 950 tok/cpu-s, same binary otherwise) and the 16-token results were ambiguous. */
#ifndef XL_HUGEPAGE_PACK
#define XL_HUGEPAGE_PACK 0
#endif
/* Few rows (M * K <= this many floats, i.e. A fits in L2 whole): pre-packed weights are streamed one
 * NR panel at a time over all of K (gemm_stream), rather than one KC slice of every panel at a time. */
#define XL_STREAM_A_FLOATS ((size_t)64 * 1024)
/* Rows of S / P per block in attention_range: a block of scores (rows x n floats) stays in L2
 * (<= 128 KiB) between Q K^T, the softmax and P V.  Also the size of each thread's score scratch
 * (the last part of its workspace), used when the caller does not keep the probabilities. */
#define XL_ATT_BLOCK_FLOATS ((size_t)XL_ATTENTION_SCRATCH_MAX_LEN)

/* ---- path selection ------------------------------------------------------------------------- */

static const char *const path_names[XL_SIMD_PATH_COUNT] = {"auto", "scalar", "avx2", "avx512", "neon"};

const char *xl_simd_path_name(xl_simd_path path)
{
    if ((int)path < 0 || (int)path >= XL_SIMD_PATH_COUNT) return "unknown";
    return path_names[path];
}

int xl_simd_path_parse(const char *name, xl_simd_path *out, xl_error *err)
{
    for (int i = 0; i < XL_SIMD_PATH_COUNT; i++) {
        if (name != NULL && strcmp(name, path_names[i]) == 0) {
            *out = (xl_simd_path)i;
            return 0;
        }
    }
    return xl_fail(err, XL_ERR_USAGE, "SIMD path '%s': expected auto, scalar, avx2, avx512 or neon",
                   name ? name : "(null)");
}

#ifdef XL_X86_DETECT
/* XCR0 via XGETBV (only valid when CPUID.1:ECX.OSXSAVE is set). */
static unsigned long long read_xcr0(void)
{
    unsigned int lo, hi;
    __asm__ __volatile__("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return ((unsigned long long)hi << 32) | lo;
}

/* CPU and OS support.  The AVX2 file is compiled with -mavx2 -mfma -mf16c and the AVX-512 file
 * with -mavx512f/bw/dq/vl as well, so all of those are required. */
static void x86_features(int *has_avx2, int *has_avx512)
{
    unsigned int a, b, c, d;
    *has_avx2 = *has_avx512 = 0;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return;
    int fma = (c >> 12) & 1, osxsave = (c >> 27) & 1, avx = (c >> 28) & 1, f16c = (c >> 29) & 1;
    if (!osxsave || !avx) return;
    unsigned long long xcr0 = read_xcr0();
    int os_ymm = (xcr0 & 0x6) == 0x6;    /* XMM + YMM state */
    int os_zmm = (xcr0 & 0xe6) == 0xe6;  /* + opmask, ZMM_Hi256, Hi16_ZMM */
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return;
    int avx2 = (b >> 5) & 1, avx512f = (b >> 16) & 1, avx512dq = (b >> 17) & 1;
    int avx512bw = (b >> 30) & 1, avx512vl = (int)((b >> 31) & 1);
    *has_avx2 = os_ymm && avx && avx2 && fma && f16c;
    *has_avx512 = *has_avx2 && os_zmm && avx512f && avx512dq && avx512bw && avx512vl;
}
#endif

/* AVX512_VNNI: CPUID.(EAX=7, ECX=0):ECX bit 11 (the OS state is that of AVX-512, checked by the path). */
static int x86_has_avx512_vnni(void)
{
#ifdef XL_X86_DETECT
    unsigned int a, b, c, d;
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return 0;
    return (int)((c >> 11) & 1);
#else
    return 0;
#endif
}

/* The Arm dot-product extension (sdot/udot, FEAT_DotProd): Linux reports it in AT_HWCAP (ASIMDDP,
 * bit 20); elsewhere it is taken as absent (the plain NEON int8 kernel runs). */
static int arm_has_dotprod(void)
{
#if defined(__aarch64__) && defined(__linux__)
    return (getauxval(AT_HWCAP) & (1ul << 20)) != 0;
#else
    return 0;
#endif
}

/* AVX-VNNI (VEX-encoded vpdpbusd): CPUID.(EAX=7, ECX=1):EAX bit 4 (YMM state: that of the AVX2 path). */
static int x86_has_avx_vnni(void)
{
#ifdef XL_X86_DETECT
    unsigned int a, b, c, d;
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d) || a < 1) return 0;
    if (!__get_cpuid_count(7, 1, &a, &b, &c, &d)) return 0;
    return (int)((a >> 4) & 1);
#else
    return 0;
#endif
}

/* AVX512_BF16: CPUID.(EAX=7, ECX=1):EAX bit 5 (the OS state is that of AVX-512, checked by the path). */
static int x86_has_avx512_bf16(void)
{
#ifdef XL_X86_DETECT
    unsigned int a, b, c, d;
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d) || a < 1) return 0; /* a: highest subleaf */
    if (!__get_cpuid_count(7, 1, &a, &b, &c, &d)) return 0;
    return (int)((a >> 5) & 1);
#else
    return 0;
#endif
}

static const xl_kernel_table *path_table(xl_simd_path path)
{
    switch (path) {
    case XL_SIMD_SCALAR: return &xl_kernel_table_scalar;
    case XL_SIMD_AVX2: return &xl_kernel_table_avx2;
    case XL_SIMD_AVX512: return &xl_kernel_table_avx512;
    case XL_SIMD_NEON: return &xl_kernel_table_neon;
    default: return NULL;
    }
}

int xl_simd_path_available(xl_simd_path path)
{
    const xl_kernel_table *t = path_table(path);
    if (t == NULL || t->ukr == NULL) return 0; /* not compiled into this build */
    if (path == XL_SIMD_AVX2 || path == XL_SIMD_AVX512) {
#ifdef XL_X86_DETECT
        int avx2, avx512;
        x86_features(&avx2, &avx512);
        return path == XL_SIMD_AVX2 ? avx2 : avx512;
#else
        return 0;
#endif
    }
    return 1; /* scalar; NEON is mandatory where its table is compiled (AArch64) */
}

xl_simd_path xl_simd_path_best(void)
{
    static const xl_simd_path order[] = {XL_SIMD_AVX512, XL_SIMD_AVX2, XL_SIMD_NEON};
    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++)
        if (xl_simd_path_available(order[i])) return order[i];
    return XL_SIMD_SCALAR;
}

static size_t round_up(size_t x, size_t m)
{
    return (x + m - 1) / m * m;
}

/* Step that cuts `len` into as few blocks of at most `max` as possible, all of equal size rounded
 * up to a multiple of `unit` (so the last block is not a short remainder: M = 200 with max 192 gives
 * two blocks of 104, not 192 + 8).  `max` >= `unit` >= 1, len >= 1. */
static size_t balanced_step(size_t len, size_t max, size_t unit)
{
    const size_t n_blocks = (len + max - 1) / max;
    return round_up((len + n_blocks - 1) / n_blocks, unit);
}

int xl_kernels_init(xl_kernels *k, xl_simd_path requested, int max_threads, xl_error *err)
{
    memset(k, 0, sizeof *k);
    xl_simd_path path = requested;
    if (path == XL_SIMD_AUTO) {
        const char *env = getenv("XLREC_SIMD");
        if (env != NULL && env[0] != '\0') {
            if (xl_simd_path_parse(env, &path, err) != 0) return xl_error_prefix(err, "$XLREC_SIMD");
        }
        if (path == XL_SIMD_AUTO) path = xl_simd_path_best();
    }
    if (path_table(path) == NULL)
        return xl_fail(err, XL_ERR_USAGE, "SIMD path %d: no such path", (int)path);
    if (!xl_simd_path_available(path))
        return xl_fail(err, XL_ERR_USAGE, "SIMD path '%s': not available (%s)", xl_simd_path_name(path),
                       path_table(path)->ukr == NULL ? "not compiled into this build"
                                                     : "this CPU or OS does not support it");
    const xl_kernel_table *t = path_table(path);
    int nt = xl_resolve_threads(max_threads);
    /* per thread: packed A block (MC x KC) + packed B block (KC x NC) + a block of attention
     * scores (XL_ATT_BLOCK_FLOATS), each a multiple of 16 floats */
    size_t per = round_up(t->mc * t->kc, 16) + round_up(t->kc * t->nc, 16) + XL_ATT_BLOCK_FLOATS;
    size_t total;
    if (!xl_mul_size(per, (size_t)nt, &total) || !xl_mul_size(total, sizeof(float), &total))
        return xl_fail(err, XL_ERR_NOMEM, "kernel workspace: size overflow for %d threads", nt);
    float *ws = xl_aligned_alloc(total, err);
    if (ws == NULL) return -1;
    xl_pool *pool = NULL;
    if (nt > 1 && xl_threads_available()) {
        pool = xl_pool_new(nt, err);
        if (pool == NULL) {
            xl_aligned_free(ws);
            return -1;
        }
    }
    k->path = path;
    k->impl = t;
    k->has_vnni = (path == XL_SIMD_AVX512 && t->qdot_vnni != NULL && x86_has_avx512_vnni()) ||
                  (path == XL_SIMD_AVX2 && t->qdot_vnni != NULL && x86_has_avx_vnni());
    k->has_dotprod = path == XL_SIMD_NEON && t->qdot_vnni != NULL && arm_has_dotprod();
    k->has_bf16_dot = path == XL_SIMD_AVX512 && t->ukr_bf16 != NULL && x86_has_avx512_bf16();
    k->max_threads = nt;
    k->workspace = ws;
    k->workspace_per_thread = per;
    k->pool = pool;
    return 0;
}

void xl_kernels_free(xl_kernels *k)
{
    if (k == NULL) return;
    xl_pool_free(k->pool);
    xl_aligned_free(k->workspace);
    memset(k, 0, sizeof *k);
}

xl_kernels xl_kernels_thread_view(const xl_kernels *k, int tid)
{
    xl_kernels v = *k;
    if (tid < 0 || tid >= k->max_threads) tid = 0;
    v.workspace = k->workspace + (size_t)tid * k->workspace_per_thread;
    v.max_threads = 1;
    v.pool = NULL;
    return v;
}

static int clamp_threads(const xl_kernels *k, int n_threads)
{
    if (n_threads < 1) return 1;
    return n_threads > k->max_threads ? k->max_threads : n_threads;
}

/* ---- packing -------------------------------------------------------------------------------- */

/* Where op(B) comes from when it has to be packed on the fly. */
typedef enum { SRC_NOTRANS, SRC_TRANS, SRC_PACKED, SRC_PACKED16 } b_source_kind;

typedef struct {
    b_source_kind kind;
    const float *data; /* B, or the packed data of another path's layout */
    size_t ld;         /* row stride of B; panel width for SRC_PACKED / SRC_PACKED16 */
    size_t k_total;    /* K of the whole op(B) (SRC_PACKED: panel = k_total * ld floats) */
    const unsigned short *data16; /* SRC_PACKED16: 16-bit pair-row panels of another path's width */
    xl_elem elem;                 /* SRC_PACKED16: F16 or BF16 */
} b_source;

/* 16 floats: a memcpy of constant size, which the compiler inlines as vector moves (the plain
 * loop was turned into a call to memmove per 64 bytes, or copied float by float: attention's V_h
 * pack, 16-32 rows per head, took as long as P V) */
static inline void copy16(float *d, const float *src)
{
    memcpy(d, src, 16 * sizeof(float));
}

/* dst = panels of NR columns: dst[jp*kc*NR + p*NR + j] = op(B)[pc+p, jc+jp*NR+j], zero past nc. */
static void pack_b(const b_source *s, size_t pc, size_t kc, size_t jc, size_t nc, size_t NR, float *dst)
{
    if (s->kind == SRC_NOTRANS) {
        /* Row by row: row pc+p of B is read front to back once and each NR-float piece goes to its
         * panel (one 64-byte line per panel and row at NR = 16).  The panel-by-panel order read NR
         * floats from every row in turn, a stride of ld floats: for the weight-gradient GEMMs (B =
         * the layer input X [tokens, in], ld = in = 1024) every read was a new 4 KiB page and the
         * rows of one KC block all fell into one L1 set.  Same packed result. */
        const size_t full = nc / NR, width = nc - full * NR;
        for (size_t p = 0; p < kc; p++) {
            const float *src = s->data + (pc + p) * s->ld + jc;
            float *d = dst + p * NR;
            if (NR == 16) /* AVX2's NR: a constant trip count the compiler unrolls */
                for (size_t jp = 0; jp < full; jp++, src += 16, d += kc * 16) copy16(d, src);
            else
                for (size_t jp = 0; jp < full; jp++, src += NR, d += kc * NR)
                    for (size_t j = 0; j < NR; j++) d[j] = src[j];
            if (width) {
                size_t j = 0;
                for (; j < width; j++) d[j] = src[j];
                for (; j < NR; j++) d[j] = 0.0f;
            }
        }
        return;
    }
    for (size_t jp = 0; jp * NR < nc; jp++) {
        float *panel = dst + jp * kc * NR;
        size_t width = nc - jp * NR < NR ? nc - jp * NR : NR;
        size_t col0 = jc + jp * NR;
        if (width < NR)
            for (size_t p = 0; p < kc; p++)
                for (size_t j = width; j < NR; j++) panel[p * NR + j] = 0.0f;
        switch (s->kind) {
        case SRC_NOTRANS:
            /* an inline copy: a memcpy call per 64-byte row cost more than the copy (the weight-gradient
             * GEMMs pack all of X [tokens, in] this way) */
            if (width == 16)
                for (size_t p = 0; p < kc; p++) copy16(panel + p * NR, s->data + (pc + p) * s->ld + col0);
            else
                for (size_t p = 0; p < kc; p++) memcpy(panel + p * NR, s->data + (pc + p) * s->ld + col0, width * 4);
            break;
        case SRC_TRANS: {
            /* 8 source rows at a time, written as contiguous runs of the panel rows (the plain
             * column-at-a-time loop stored with a stride of NR floats on every element) */
            size_t j = 0;
            for (; j + 8 <= width; j += 8) {
                const float *r0 = s->data + (col0 + j) * s->ld + pc, *r1 = r0 + s->ld, *r2 = r1 + s->ld,
                            *r3 = r2 + s->ld, *r4 = r3 + s->ld, *r5 = r4 + s->ld, *r6 = r5 + s->ld, *r7 = r6 + s->ld;
                for (size_t p = 0; p < kc; p++) {
                    float *d = panel + p * NR + j;
                    d[0] = r0[p], d[1] = r1[p], d[2] = r2[p], d[3] = r3[p];
                    d[4] = r4[p], d[5] = r5[p], d[6] = r6[p], d[7] = r7[p];
                }
            }
            for (; j < width; j++) {
                const float *row = s->data + (col0 + j) * s->ld + pc;
                for (size_t p = 0; p < kc; p++) panel[p * NR + j] = row[p];
            }
            break;
        }
        case SRC_PACKED:
            for (size_t j = 0; j < width; j++) {
                size_t n = col0 + j, w = s->ld;
                const float *src = s->data + (n / w) * s->k_total * w + (n % w);
                for (size_t p = 0; p < kc; p++) panel[p * NR + j] = src[(pc + p) * w];
            }
            break;
        case SRC_PACKED16: /* xl_packed_matrix.data16 layout: pair rows of 2 * w halves */
            for (size_t j = 0; j < width; j++) {
                size_t n = col0 + j, w = s->ld, kp = round_up(s->k_total, 2);
                const unsigned short *src = s->data16 + (n / w) * kp * w + 2 * (n % w);
                for (size_t p = 0; p < kc; p++) {
                    size_t r = pc + p;
                    panel[p * NR + j] = xl_elem16_to_float(src[r / 2 * 2 * w + r % 2], s->elem);
                }
            }
            break;
        }
    }
}

/* dst = panels of MR rows: dst[ip*kc*MR + p*MR + i] = A[ip*MR+i, p], zero past mc. */
static void pack_a(const float *A, size_t lda, size_t mc, size_t kc, size_t MR, float *dst)
{
    for (size_t ip = 0; ip * MR < mc; ip++) {
        float *panel = dst + ip * kc * MR;
        size_t height = mc - ip * MR < MR ? mc - ip * MR : MR;
        for (size_t i = 0; i < height; i++) {
            const float *row = A + (ip * MR + i) * lda;
            for (size_t p = 0; p < kc; p++) panel[p * MR + i] = row[p];
        }
        for (size_t i = height; i < MR; i++)
            for (size_t p = 0; p < kc; p++) panel[p * MR + i] = 0.0f;
    }
}

/* Transposed A (op(A) = A^T, A stored [K, M]): dst[ip*kc*MR + p*MR + i] = A[p, ip*MR+i], zero past
 * mc.  Each step p copies MR contiguous floats of one row of the stored A.
 * The steps go in groups of XL_PACK_AT_ROWS rows, every panel of the block per group: panel by
 * panel over all kc rows read one MR-float piece from each of kc rows (up to 512) and came back
 * to the same lines for the next panel, after they had left L1 (a row stride of lda = 768 or 1024
 * floats puts every 4th or every row in the same L1 set); row by row wrote 24 bytes to each of
 * mc / MR panels spaced kc * MR floats apart (the same set again).  A group of 8 rows is at most
 * 8 x mc floats of reads and 8 x MR contiguous floats written per panel.  Same packed result. */
#define XL_PACK_AT_ROWS 8
static void pack_a_trans(const float *A, size_t lda, size_t mc, size_t kc, size_t MR, float *dst)
{
    const size_t full = mc / MR, height = mc - full * MR;
    for (size_t p0 = 0; p0 < kc; p0 += XL_PACK_AT_ROWS) {
        const size_t p1 = kc - p0 < XL_PACK_AT_ROWS ? kc : p0 + XL_PACK_AT_ROWS;
        for (size_t ip = 0; ip < full; ip++) {
            const float *src = A + p0 * lda + ip * MR;
            float *d = dst + ip * kc * MR + p0 * MR;
            if (MR == 6) /* AVX2's MR, unrolled (a 24-byte memcpy call per step cost more than the copy) */
                for (size_t p = p0; p < p1; p++, src += lda, d += 6)
                    d[0] = src[0], d[1] = src[1], d[2] = src[2], d[3] = src[3], d[4] = src[4], d[5] = src[5];
            else
                for (size_t p = p0; p < p1; p++, src += lda, d += MR)
                    for (size_t i = 0; i < MR; i++) d[i] = src[i];
        }
        if (height) { /* the partial last panel, zero-padded to MR rows */
            const float *src = A + p0 * lda + full * MR;
            float *d = dst + full * kc * MR + p0 * MR;
            for (size_t p = p0; p < p1; p++, src += lda, d += MR) {
                size_t i = 0;
                for (; i < height; i++) d[i] = src[i];
                for (; i < MR; i++) d[i] = 0.0f;
            }
        }
    }
}

int xl_pack_b(const xl_kernels *k, xl_trans trans, size_t K, size_t N, const float *B, size_t ldb,
              xl_packed_matrix *out, xl_error *err)
{
    memset(out, 0, sizeof *out);
    size_t NR = k->impl->nr, panels = (N + NR - 1) / NR, floats, bytes;
    if (!xl_mul_size(panels, K, &floats) || !xl_mul_size(floats, NR, &floats) ||
        !xl_mul_size(floats, sizeof(float), &bytes))
        return xl_fail(err, XL_ERR_NOMEM, "pack weight [%zu x %zu]: size overflow", K, N);
    /* Weights of a few MB and more are streamed from memory on every call when M is small (16
     * tokens): back them by 2 MiB pages where the OS offers them on request (Linux THP "madvise"
     * mode), so the stream does not take a TLB miss every 4 KiB.  The block is 2 MiB-aligned inside
     * an over-allocation; only whole 2 MiB pages inside the data are advised, so resident memory
     * does not grow.  Advice, not a requirement: results do not depend on it. */
    const size_t huge = (size_t)2 << 20;
    const int use_huge = XL_HUGEPAGE_PACK && bytes >= 2 * huge;
    size_t alloc_bytes = bytes ? bytes : 64;
    if (use_huge && !xl_add_size(alloc_bytes, huge, &alloc_bytes))
        return xl_fail(err, XL_ERR_NOMEM, "pack weight [%zu x %zu]: size overflow", K, N);
    void *block = xl_aligned_alloc(alloc_bytes, err);
    if (block == NULL) return -1;
    float *data = block;
    if (use_huge) {
        uintptr_t a = ((uintptr_t)block + huge - 1) & ~(uintptr_t)(huge - 1);
        data = (float *)(void *)((unsigned char *)block + (a - (uintptr_t)block));
#ifdef XL_HAVE_MADVISE_HUGEPAGE
        (void)madvise(data, bytes / huge * huge, MADV_HUGEPAGE);
#endif
    }
    b_source s = {trans == XL_TRANS ? SRC_TRANS : SRC_NOTRANS, B, ldb, K, NULL, XL_ELEM_F32};
    /* whole K in one go: panel p is the contiguous block data + p*K*NR */
    if (K > 0 && N > 0) pack_b(&s, 0, K, 0, N, NR, data);
    out->k = K;
    out->n = N;
    out->nr = NR;
    out->path = k->path;
    out->data = data;
    out->block = block;
    return 0;
}

void xl_pack_b_refresh(const xl_kernels *k, xl_trans trans, const float *B, size_t ldb, xl_packed_matrix *p)
{
    (void)k;
    b_source s = {trans == XL_TRANS ? SRC_TRANS : SRC_NOTRANS, B, ldb, p->k, NULL, XL_ELEM_F32};
    if (p->k > 0 && p->n > 0) pack_b(&s, 0, p->k, 0, p->n, p->nr, p->data);
}

int xl_pack_b16(const xl_kernels *k, size_t K, size_t N, const unsigned short *W, size_t ldb, xl_elem elem,
                xl_packed_matrix *out, xl_error *err)
{
    memset(out, 0, sizeof *out);
    if (elem != XL_ELEM_F16 && elem != XL_ELEM_BF16) return xl_fail(err, XL_ERR_USAGE, "xl_pack_b16: not a 16-bit type");
    size_t NR = k->impl->nr, panels = (N + NR - 1) / NR, kp = round_up(K, 2), halves, bytes;
    if (!xl_mul_size(panels, kp, &halves) || !xl_mul_size(halves, NR, &halves) ||
        !xl_mul_size(halves, sizeof(unsigned short), &bytes))
        return xl_fail(err, XL_ERR_NOMEM, "pack weight [%zu x %zu]: size overflow", K, N);
    unsigned short *data = xl_aligned_alloc(bytes ? bytes : 64, err);
    if (data == NULL) return -1;
    memset(data, 0, bytes); /* +0 in both formats: the padding past K and N */
    for (size_t n = 0; n < N; n++) {
        unsigned short *d = data + n / NR * kp * NR + 2 * (n % NR);
        const unsigned short *row = W + n * ldb;
        for (size_t p = 0; p < K; p++) d[p / 2 * 2 * NR + p % 2] = row[p];
    }
    out->k = K;
    out->n = N;
    out->nr = NR;
    out->path = k->path;
    out->elem = elem;
    out->data16 = data;
    out->block = data;
    return 0;
}

/* The float32 form of the KC slice [pc, pc+kc) of 16-bit panel `jp` of p (pc even), into buf
 * (round_up(kc, 2) x NR floats): the packing step of a 16-bit weight. */
static const float *widen_slice(const xl_kernel_table *t, const xl_packed_matrix *p, size_t jp, size_t pc, size_t kc,
                                float *buf)
{
    const size_t NR = p->nr, kp = round_up(p->k, 2);
    const unsigned short *src = p->data16 + jp * kp * NR + pc * NR;
    (t->widen16 ? t->widen16 : xl_widen16_scalar)(src, (kc + 1) / 2, NR, (int)p->elem, buf);
    return buf;
}

void xl_packed_free(xl_packed_matrix *p)
{
    if (p == NULL) return;
    xl_aligned_free(p->block);
    memset(p, 0, sizeof *p);
}

/* ---- GEMM driver ---------------------------------------------------------------------------- */

typedef struct {
    const xl_kernel_table *t;
    size_t M, N, K;
    float alpha, beta;
    const float *A;
    size_t lda;
    int trans_a;                   /* op(A) = A^T: A stored [K, M] (packed with pack_a_trans, never read in place) */
    b_source bsrc;                 /* used when B must be packed on the fly */
    const xl_packed_matrix *bpack; /* non-NULL: pre-packed with this path's NR, used in place */
    float *C;
    size_t ldc;
    const float *bias;
    xl_act act;
    float *workspace;
    size_t ws_per_thread;
    int split_n; /* parallel items: 1 = NR column panels, 0 = MR row groups */
    int bf16dot; /* B pre-packed BF16 run by the path's ukr_bf16 (activations rounded to bf16) */
    /* batched */
    size_t stride_a, stride_b, stride_c;
} gemm_job;

/* Pack rows [i0, i0+mc) x K steps [pc, pc+kc) of op(A) into MR-row panels. */
static void pack_a_job(const gemm_job *g, size_t i0, size_t pc, size_t mc, size_t kc, float *dst)
{
    if (g->trans_a) pack_a_trans(g->A + pc * g->lda + i0, g->lda, mc, kc, g->t->mr, dst);
    else pack_a(g->A + i0 * g->lda + pc, g->lda, mc, kc, g->t->mr, dst);
}

/* bias + activation on rows [m0,m1) x cols [n0,n1) of the finished C */
static void epilogue(const gemm_job *g, size_t m0, size_t m1, size_t n0, size_t n1)
{
    if (g->bias == NULL && g->act == XL_ACT_NONE) return;
    for (size_t i = m0; i < m1; i++) {
        float *row = g->C + i * g->ldc + n0;
        const float *bias = g->bias ? g->bias + n0 : NULL;
        if (g->act == XL_ACT_GELU) {
            g->t->bias_gelu(row, bias, n1 - n0);
        } else {
            if (bias) g->t->axpy(n1 - n0, 1.0f, bias, row);
            if (g->act == XL_ACT_TANH)
                for (size_t j = 0; j < n1 - n0; j++) row[j] = xl_tanh_ref1(row[j]);
        }
    }
}

/* One MR x NR tile: the micro-kernel, or for a partial tile the kernel into a stack buffer and the
 * valid part merged with alpha/beta.  arows: A read in place (ukr_rows), else the packed amicro. */
static void tile(const xl_kernel_table *t, const gemm_job *g, size_t kc, size_t mr, size_t nr, int direct,
                 const float *arows, const float *amicro, const float *bmicro, float *c, float beta)
{
    const size_t MR = t->mr, NR = t->nr;
    if (mr == MR && nr == NR) {
        if (direct) t->ukr_rows(kc, arows, g->lda, bmicro, c, g->ldc, g->alpha, beta);
        else t->ukr(kc, amicro, bmicro, c, g->ldc, g->alpha, beta);
        return;
    }
    float edge[XL_MAX_MR * XL_MAX_NR];
    if (direct) t->ukr_rows(kc, arows, g->lda, bmicro, edge, NR, 1.0f, 0.0f);
    else t->ukr(kc, amicro, bmicro, edge, NR, 1.0f, 0.0f);
    for (size_t i = 0; i < mr; i++)
        for (size_t j = 0; j < nr; j++) {
            float v = g->alpha * edge[i * NR + j];
            c[i * g->ldc + j] = beta == 0.0f ? v : v + beta * c[i * g->ldc + j];
        }
}

/* Few rows, pre-packed B (16 tokens: every weight is used by one or two micro-kernel calls, so the
 * GEMM is a stream of the weights from memory).  Loop order: for each NR panel, all K blocks, all
 * row groups: the panel (K x NR floats, contiguous) is read front to back once, which the hardware
 * prefetcher follows, instead of KC-row slices of every panel in turn; A (M x K) stays in L2 and the
 * C tile in L1.  Per C element the same micro-kernel calls in the same K order as gemm_block's,
 * so the results are bit-identical.  The rows not read in place (a partial MR group) are packed
 * once for all of K, which the caller checks fits the MC x KC A workspace. */
static void gemm_stream(const gemm_job *g, size_t m0, size_t m1, size_t n0, size_t n1, float *ws)
{
    const xl_kernel_table *t = g->t;
    const size_t MR = t->mr, NR = t->nr, KC = t->kc, K = g->K, mc = m1 - m0;
    const size_t direct = t->ukr_rows != NULL ? mc / MR * MR : 0;
    float *apack = ws; /* rows [direct, mc): pack_a over all of K; group q's slice at pc is apack + q*K*MR + pc*MR */
    if (direct < mc) pack_a_job(g, m0 + direct, 0, mc - direct, K, apack);
    const int b16 = g->bpack->elem != XL_ELEM_F32;
    float *wbuf = ws + round_up(t->mc * KC, 16); /* a 16-bit slice widened (the B block's space, unused here) */
    for (size_t jc = n0; jc < n1; jc += NR) {
        const size_t nr = n1 - jc < NR ? n1 - jc : NR;
        const float *panel = b16 ? NULL : g->bpack->data + (jc / NR) * K * NR;
        for (size_t pc = 0; pc < K; pc += KC) {
            const size_t kc = K - pc < KC ? K - pc : KC;
            const float beta = pc == 0 ? g->beta : 1.0f;
            const float *bslice = b16 ? widen_slice(t, g->bpack, jc / NR, pc, kc, wbuf) : panel + pc * NR;
            for (size_t ir = 0; ir < mc; ir += MR) {
                const size_t mr = mc - ir < MR ? mc - ir : MR;
                const float *amicro = apack + (ir < direct ? 0 : (ir - direct) / MR * K * MR) + pc * MR;
                tile(t, g, kc, mr, nr, ir < direct, g->A + (m0 + ir) * g->lda + pc, amicro, bslice,
                     g->C + (m0 + ir) * g->ldc + jc, beta);
            }
        }
        epilogue(g, m0, m1, jc, jc + nr);
    }
}

/* Bytes of C one block of gemm_block keeps in L2 (3/4 of a 1 MiB L2; see gemm_block). */
#define XL_C_BLOCK_BYTES ((size_t)768 * 1024)

static void gemm_block_rows(const gemm_job *g, size_t m0, size_t m1, size_t n0, size_t n1, float *ws);

/* C[m0:m1, n0:n1] (+)= alpha A op(B).  With pre-packed B and more rows than one A block (MC), the
 * work is cut into blocks of one A block's rows (balanced, <= MC) x as many columns as keep that
 * block of C within XL_C_BLOCK_BYTES, each block run whole (all K) by gemm_block_rows: the block of C
 * then stays in L2 while the K blocks add into it and while the bias / GELU epilogue runs.  Before,
 * every K block swept all of C (8 x 128 tokens x FFN 3072 = 12 MB) through L3 or memory.  B is still
 * read once per A block, as before; only A is read once more per column block, from L2/L3.
 * Measured (1 thread, AVX-512, weights evicted before each call, CPU time, best of 10 interleaved):
 * 4096 x 768 x 3072 (FFN down, 8 x 512 tokens) 171 -> 192 GFLOP/s, 4096 x 2304 x 768 (QKV) 189 ->
 * 203, FFN up + GELU at 512-4096 rows +3-4%; no gain at 128 rows (one A block), so not used there.
 * Per C element the same K order: results are unchanged to the bit. */
/* A rows [i0, i0+mc) x K steps [pc, pc+kc) rounded to bf16 pairs (ukr_bf16's A, xl_kernels_impl.h):
 * dst[ip*kq*MR + q*MR + i] = bf16(A[i0+ip*MR+i, pc+2q]) | bf16(A[.., pc+2q+1]) << 16, zero past kc, mc. */
static void pack_a_bf16(const gemm_job *g, size_t i0, size_t pc, size_t mc, size_t kc, unsigned int *dst)
{
    const size_t MR = g->t->mr, kq = (kc + 1) / 2;
    for (size_t ip = 0; ip * MR < mc; ip++)
        for (size_t i = 0; i < MR; i++) {
            unsigned int *d = dst + ip * kq * MR + i;
            if (ip * MR + i >= mc) {
                for (size_t q = 0; q < kq; q++) d[q * MR] = 0;
                continue;
            }
            const float *row = g->A + (i0 + ip * MR + i) * g->lda + pc;
            for (size_t q = 0; q < kq; q++) {
                unsigned int lo = xl_float_to_bf16(row[2 * q]);
                unsigned int hi = 2 * q + 1 < kc ? xl_float_to_bf16(row[2 * q + 1]) : 0u;
                d[q * MR] = lo | hi << 16;
            }
        }
}

/* C[m0:m1, n0:n1] with B pre-packed BF16 through the path's bf16 dot-product micro-kernel: per A block
 * (balanced, <= MC rows) and K block (KC, even), A rounded to bf16 pairs once, then every NR panel's
 * pair rows are used in place (no widening).  Edge tiles go through a stack buffer as in tile(). */
static void gemm_bf16dot(const gemm_job *g, size_t m0, size_t m1, size_t n0, size_t n1, float *ws)
{
    const xl_kernel_table *t = g->t;
    const size_t MR = t->mr, NR = t->nr, MC = t->mc, KC = t->kc, K = g->K, kp = round_up(K, 2);
    unsigned int *apack = (unsigned int *)(void *)ws; /* mc x kc/2 words fit in the MC x KC floats */
    const size_t mc_blk = balanced_step(m1 - m0, MC, MR);
    for (size_t ic = m0; ic < m1; ic += mc_blk) {
        const size_t mc = m1 - ic < mc_blk ? m1 - ic : mc_blk;
        for (size_t pc = 0; pc < K; pc += KC) {
            const size_t kc = K - pc < KC ? K - pc : KC, kq = (kc + 1) / 2;
            const float beta = pc == 0 ? g->beta : 1.0f;
            pack_a_bf16(g, ic, pc, mc, kc, apack);
            for (size_t jc = n0; jc < n1; jc += NR) {
                const size_t nr = n1 - jc < NR ? n1 - jc : NR;
                const unsigned short *bmicro = g->bpack->data16 + (jc / NR) * kp * NR + pc * NR;
                for (size_t ir = 0; ir < mc; ir += MR) {
                    const size_t mr = mc - ir < MR ? mc - ir : MR;
                    const unsigned int *amicro = apack + ir / MR * kq * MR;
                    float *c = g->C + (ic + ir) * g->ldc + jc;
                    if (mr == MR && nr == NR) {
                        t->ukr_bf16(kq, amicro, bmicro, c, g->ldc, g->alpha, beta);
                        continue;
                    }
                    float edge[XL_MAX_MR * XL_MAX_NR];
                    t->ukr_bf16(kq, amicro, bmicro, edge, NR, 1.0f, 0.0f);
                    for (size_t i = 0; i < mr; i++)
                        for (size_t j = 0; j < nr; j++) {
                            float v = g->alpha * edge[i * NR + j];
                            c[i * g->ldc + j] = beta == 0.0f ? v : v + beta * c[i * g->ldc + j];
                        }
                }
            }
        }
        epilogue(g, ic, ic + mc, n0, n1);
    }
}

static void gemm_block(const gemm_job *g, size_t m0, size_t m1, size_t n0, size_t n1, float *ws)
{
    const size_t MR = g->t->mr, NR = g->t->nr, MC = g->t->mc;
    if (m0 >= m1 || n0 >= n1) return;
    if (g->bf16dot && g->K > 0) {
        gemm_bf16dot(g, m0, m1, n0, n1, ws);
        return;
    }
    if (g->bpack == NULL || m1 - m0 <= MC) {
        gemm_block_rows(g, m0, m1, n0, n1, ws);
        return;
    }
    const size_t mc_blk = balanced_step(m1 - m0, MC, MR);
    size_t ncb = XL_C_BLOCK_BYTES / (mc_blk * sizeof(float)) / NR * NR;
    if (ncb < NR) ncb = NR;
    ncb = balanced_step(n1 - n0, ncb, NR);
    for (size_t i = m0; i < m1; i += mc_blk)
        for (size_t j = n0; j < n1; j += ncb)
            gemm_block_rows(g, i, m1 - i < mc_blk ? m1 : i + mc_blk, j, n1 - j < ncb ? n1 : j + ncb, ws);
}

/* One block of gemm_block: the BLIS loops below (docs/kernels.md, "SGEMM design"). */
static void gemm_block_rows(const gemm_job *g, size_t m0, size_t m1, size_t n0, size_t n1, float *ws)
{
    const xl_kernel_table *t = g->t;
    const size_t MR = t->mr, NR = t->nr, K = g->K;
    size_t MC = t->mc, KC = t->kc, NC = t->nc;
    if (g->trans_a && K > KC && MC / 2 / MR * MR >= MR && NC / 2 / NR * NR >= NR) {
        /* Transposed A with a long K (the weight-gradient GEMMs dW += dY^T X: K = tokens): K blocks
         * twice as deep, A blocks half as tall and B blocks half as wide (the same workspace), so
         * every C tile is loaded and stored half as often (K / KC times: 16 at 4,096 tokens with
         * KC = 256) and each micro-kernel call does twice the FMAs per C tile visit.  The B
         * micro-panel (2 KC x NR) then no longer fits L1 beside A; it streams from L2, which has
         * the bandwidth (~15 bytes a cycle at one FMA pair per cycle).  The K blocking depends only
         * on the shapes, never on the threads, so results stay the same for every thread count. */
        MC = MC / 2 / MR * MR, KC *= 2, NC = NC / 2 / NR * NR;
    }
    if (m0 >= m1 || n0 >= n1) return;
    if (K == 0) { /* C = beta*C, then bias/act */
        for (size_t i = m0; i < m1; i++) {
            float *row = g->C + i * g->ldc;
            for (size_t j = n0; j < n1; j++) row[j] = g->beta == 0.0f ? 0.0f : g->beta * row[j];
        }
        epilogue(g, m0, m1, n0, n1);
        return;
    }
    const size_t rows_packed = t->ukr_rows != NULL ? (m1 - m0) % MR : m1 - m0; /* by gemm_stream */
    if (g->bpack && !g->trans_a && (m1 - m0) * K <= XL_STREAM_A_FLOATS && round_up(rows_packed, MR) * K <= MC * KC) {
        gemm_stream(g, m0, m1, n0, n1, ws);
        return;
    }
    /* balanced A blocks: a short last block would stream the whole B block again for a handful
     * of rows */
    const size_t mc_blk = balanced_step(m1 - m0, MC, MR);
    float *apack = ws;
    float *bpack = ws + round_up(MC * KC, 16);
    const size_t nc_step = g->bpack ? n1 - n0 : NC;
    for (size_t jc = n0; jc < n1; jc += nc_step) {
        size_t nc = n1 - jc < nc_step ? n1 - jc : nc_step;
        for (size_t pc = 0; pc < K; pc += KC) {
            size_t kc = K - pc < KC ? K - pc : KC;
            const float *bp;
            size_t bstride; /* floats between consecutive NR panels */
            const int b16 = g->bpack && g->bpack->elem != XL_ELEM_F32;
            if (b16) { /* widened one micro-panel at a time below, into the B block's space */
                bp = NULL;
                bstride = 0;
            } else if (g->bpack) {
                bp = g->bpack->data + (jc / NR) * K * NR + pc * NR;
                bstride = K * NR;
            } else {
                pack_b(&g->bsrc, pc, kc, jc, nc, NR, bpack);
                bp = bpack;
                bstride = kc * NR;
            }
            const float beta = pc == 0 ? g->beta : 1.0f;
            for (size_t ic = m0; ic < m1; ic += mc_blk) {
                size_t mc = m1 - ic < mc_blk ? m1 - ic : mc_blk;
                /* rows [0, direct) of the block are read in place by ukr_rows (no packing: the A
                 * pack was a scalar transpose costing up to as much as the FMAs when N is narrow);
                 * the rest (a partial MR group, or all rows on paths without ukr_rows) is packed.
                 * Both kernels do the same FMAs in the same order. */
                const size_t direct = t->ukr_rows != NULL && !g->trans_a ? mc / MR * MR : 0;
                if (direct < mc) pack_a_job(g, ic + direct, pc, mc - direct, kc, apack);
                for (size_t jr = 0; jr < nc; jr += NR) {
                    size_t nr = nc - jr < NR ? nc - jr : NR;
                    const float *bmicro = b16 ? widen_slice(t, g->bpack, (jc + jr) / NR, pc, kc, bpack)
                                              : bp + (jr / NR) * bstride;
                    for (size_t ir = 0; ir < mc; ir += MR) {
                        size_t mr = mc - ir < MR ? mc - ir : MR;
                        float *c = g->C + (ic + ir) * g->ldc + jc + jr;
                        const float *arows = g->A + (ic + ir) * g->lda + pc;
                        const float *amicro = apack + ((ir - (ir < direct ? ir : direct)) / MR) * kc * MR;
                        tile(t, g, kc, mr, nr, ir < direct, arows, amicro, bmicro, c, beta);
                    }
                }
                if (pc + kc >= K) epilogue(g, ic, ic + mc, jc, jc + nc);
            }
        }
    }
}

static void gemm_range(void *ctx, size_t begin, size_t end, int tid)
{
    const gemm_job *g = ctx;
    float *ws = g->workspace + (size_t)tid * g->ws_per_thread;
    if (g->split_n) {
        size_t n0 = begin * g->t->nr, n1 = end * g->t->nr;
        gemm_block(g, 0, g->M, n0, n1 < g->N ? n1 : g->N, ws);
    } else {
        size_t m0 = begin * g->t->mr, m1 = end * g->t->mr;
        gemm_block(g, m0, m1 < g->M ? m1 : g->M, 0, g->N, ws);
    }
}

/* Threads and split for one GEMM: below ~4 MFLOP the thread start costs more than it saves. */
static void gemm_run(xl_kernels *k, int n_threads, gemm_job *g)
{
    g->workspace = k->workspace;
    g->ws_per_thread = k->workspace_per_thread;
    if (g->M == 0 || g->N == 0) return;
    size_t n_panels = (g->N + g->t->nr - 1) / g->t->nr, m_groups = (g->M + g->t->mr - 1) / g->t->mr;
    int nt = clamp_threads(k, n_threads);
    double flops = 2.0 * (double)g->M * (double)g->N * (double)g->K;
    if (flops < 4e6) nt = 1;
    g->split_n = n_panels >= 2 * (size_t)nt || n_panels >= m_groups;
    if (g->trans_a && g->bpack == NULL && g->M > g->N && m_groups >= 2 * (size_t)nt) {
        /* Both operands packed on the fly (the weight-gradient GEMMs dW += dY^T X, K = tokens):
         * every thread packs all of the operand that is not split.  Split the taller side so the
         * smaller one is the one packed twice: for dW of QKV (768 x 256) and FFN in (1024 x 256)
         * rows, so each thread packs its own rows of dY^T and both pack X [K, 256], instead of both
         * packing all of dY^T [K, 768 or 1024].  Tiles stay on the global MR x NR grid and every C
         * element keeps its K order, so the result does not depend on the split. */
        g->split_n = 0;
    }
    if (nt == 1) {
        gemm_block(g, 0, g->M, 0, g->N, g->workspace);
        return;
    }
    xl_pool_run(k->pool, nt, g->split_n ? n_panels : m_groups, gemm_range, g);
}

void xl_sgemm(xl_kernels *k, int n_threads, xl_trans trans_b, size_t M, size_t N, size_t K, float alpha,
              const float *A, size_t lda, const float *B, size_t ldb, float beta, float *C, size_t ldc)
{
    xl_sgemm_ex(k, n_threads, XL_NO_TRANS, trans_b, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}

void xl_sgemm_ex(xl_kernels *k, int n_threads, xl_trans trans_a, xl_trans trans_b, size_t M, size_t N, size_t K,
                 float alpha, const float *A, size_t lda, const float *B, size_t ldb, float beta, float *C, size_t ldc)
{
    gemm_job g;
    memset(&g, 0, sizeof g);
    g.t = k->impl;
    g.M = M, g.N = N, g.K = K, g.alpha = alpha, g.beta = beta;
    g.A = A, g.lda = lda, g.C = C, g.ldc = ldc, g.trans_a = trans_a == XL_TRANS;
    g.bsrc = (b_source){trans_b == XL_TRANS ? SRC_TRANS : SRC_NOTRANS, B, ldb, K, NULL, XL_ELEM_F32};
    gemm_run(k, n_threads, &g);
}

void xl_sgemm_packed(xl_kernels *k, int n_threads, size_t M, float alpha, const float *A, size_t lda,
                     const xl_packed_matrix *B, float beta, float *C, size_t ldc, const float *bias, xl_act act)
{
    gemm_job g;
    memset(&g, 0, sizeof g);
    g.t = k->impl;
    g.M = M, g.N = B->n, g.K = B->k, g.alpha = alpha, g.beta = beta;
    g.A = A, g.lda = lda, g.C = C, g.ldc = ldc, g.bias = bias, g.act = act;
    g.bf16dot = k->has_bf16_dot && g.t->ukr_bf16 != NULL && B->elem == XL_ELEM_BF16 && B->nr == g.t->nr;
    if (B->nr == g.t->nr) g.bpack = B;
    else if (B->elem != XL_ELEM_F32) /* packed for another path: repack */
        g.bsrc = (b_source){SRC_PACKED16, NULL, B->nr, B->k, B->data16, B->elem};
    else g.bsrc = (b_source){SRC_PACKED, B->data, B->nr, B->k, NULL, XL_ELEM_F32};
    gemm_run(k, n_threads, &g);
}

void xl_linear(xl_kernels *k, int n_threads, const float *X, size_t M, const xl_packed_matrix *W, const float *bias,
               xl_act act, float *Y)
{
    xl_sgemm_packed(k, n_threads, M, 1.0f, X, W->k, W, 0.0f, Y, W->n, bias, act);
}

static void batched_range(void *ctx, size_t begin, size_t end, int tid)
{
    const gemm_job *g = ctx;
    float *ws = g->workspace + (size_t)tid * g->ws_per_thread;
    for (size_t b = begin; b < end; b++) {
        gemm_job one = *g;
        one.A = g->A + b * g->stride_a;
        one.bsrc.data = g->bsrc.data + b * g->stride_b;
        one.C = g->C + b * g->stride_c;
        gemm_block(&one, 0, one.M, 0, one.N, ws);
    }
}

void xl_sgemm_batched(xl_kernels *k, int n_threads, xl_trans trans_b, size_t batch, size_t M, size_t N, size_t K,
                      float alpha, const float *A, size_t lda, size_t stride_a, const float *B, size_t ldb,
                      size_t stride_b, float beta, float *C, size_t ldc, size_t stride_c)
{
    xl_sgemm_batched_ex(k, n_threads, XL_NO_TRANS, trans_b, batch, M, N, K, alpha, A, lda, stride_a, B, ldb, stride_b,
                        beta, C, ldc, stride_c);
}

void xl_sgemm_batched_ex(xl_kernels *k, int n_threads, xl_trans trans_a, xl_trans trans_b, size_t batch, size_t M,
                         size_t N, size_t K, float alpha, const float *A, size_t lda, size_t stride_a, const float *B,
                         size_t ldb, size_t stride_b, float beta, float *C, size_t ldc, size_t stride_c)
{
    if (batch == 0 || M == 0 || N == 0) return;
    gemm_job g;
    memset(&g, 0, sizeof g);
    g.t = k->impl;
    g.M = M, g.N = N, g.K = K, g.alpha = alpha, g.beta = beta;
    g.A = A, g.lda = lda, g.C = C, g.ldc = ldc, g.trans_a = trans_a == XL_TRANS;
    g.bsrc = (b_source){trans_b == XL_TRANS ? SRC_TRANS : SRC_NOTRANS, B, ldb, K, NULL, XL_ELEM_F32};
    g.stride_a = stride_a, g.stride_b = stride_b, g.stride_c = stride_c;
    g.workspace = k->workspace;
    g.ws_per_thread = k->workspace_per_thread;
    int nt = clamp_threads(k, n_threads);
    if ((double)batch * 2.0 * (double)M * (double)N * (double)K < 4e6) nt = 1;
    if (nt == 1) batched_range(&g, 0, batch, 0);
    else xl_pool_run(k->pool, nt, batch, batched_range, &g);
}

/* ---- fused multi-head attention ------------------------------------------------------------ */

typedef struct {
    const xl_kernel_table *t;
    size_t n_heads, dh;
    float scale;
    const size_t *off, *len, *att_off;
    const float *const *mask;
    const float *q, *k, *v;
    size_t ld_qkv, ld_ctx;
    float *att, *ctx;
    float *workspace;
    size_t ws_per_thread;
} attn_job;

static void attention_range(void *ctx, size_t begin, size_t end, int tid)
{
    const attn_job *j = ctx;
    const xl_kernel_table *t = j->t;
    float *ws = j->workspace + (size_t)tid * j->ws_per_thread;
    /* the thread's score block when the probabilities are not kept (j->att == NULL) */
    float *scratch = ws + j->ws_per_thread - XL_ATT_BLOCK_FLOATS;
    const size_t NR = t->nr, MR = t->mr;
    for (size_t item = begin; item < end; item++) {
        const size_t s = item / j->n_heads, h = item % j->n_heads, n = j->len[s], dh = j->dh;
        const size_t row0 = j->off[s] * j->ld_qkv + h * dh;
        float *P = j->att ? j->att + j->att_off[s] + h * n * n : NULL;
        float *ctx_h = j->ctx ? j->ctx + j->off[s] * j->ld_ctx + h * dh : NULL;
        const float *mask = j->mask ? j->mask[s] : NULL;
        /* query rows per block: a block of scores (rb x n) fits the scratch, at least MR rows */
        size_t rb = XL_ATT_BLOCK_FLOATS / n / MR * MR;
        if (rb < MR) rb = MR;
        gemm_job g;
        memset(&g, 0, sizeof g);
        g.t = t;
        const size_t kt_floats = round_up(n, NR) * dh, v_floats = round_up(dh, NR) * n;
        const int packed_once = kt_floats + v_floats <= t->kc * t->nc;
        if (P == NULL && MR * n > XL_ATT_BLOCK_FLOATS) /* > 4096 tokens at MR = 8: fewer rows per block */
            rb = XL_ATT_BLOCK_FLOATS / n;                 /* >= 1: xl_attention checked n */
        if (P != NULL && !packed_once) /* kept probabilities, K^T / V too large to pack once: */
            rb = n;                    /* one block, so they are packed once per cache block */
        float *kt = ws + round_up(t->mc * t->kc, 16), *vp = kt + kt_floats;
        xl_packed_matrix KT = {0}, VP = {0};
        if (packed_once) {
            /* K_h^T and V_h packed once per head into the B part of the workspace (the A part is
             * left to gemm_block); otherwise (very long sequences) gemm_block packs them per cache
             * block from the QKV rows, on every block of query rows */
            const b_source ks = {SRC_TRANS, j->k + row0, j->ld_qkv, dh, NULL, XL_ELEM_F32},
                           vs = {SRC_NOTRANS, j->v + row0, j->ld_qkv, n, NULL, XL_ELEM_F32};
            if (t->pack_bt != NULL) t->pack_bt(j->k + row0, j->ld_qkv, dh, n, NR, kt); /* the same floats */
            else pack_b(&ks, 0, dh, 0, n, NR, kt);
            pack_b(&vs, 0, n, 0, dh, NR, vp);
            KT = (xl_packed_matrix){.k = dh, .n = n, .nr = NR, .path = t->path, .data = kt, .block = NULL};
            VP = (xl_packed_matrix){.k = n, .n = dh, .nr = NR, .path = t->path, .data = vp, .block = NULL};
        }
        /* the head in blocks of query rows: S rows = scale * Q K^T, softmax, ctx rows = P V, each
         * block's scores still in L2 for the next step.  Per element the same products in the
         * same order as one-shot GEMMs, so the result depends neither on the block size nor on
         * the thread count, nor on whether the probabilities are kept. */
        for (size_t r0 = 0; r0 < n; r0 += rb) {
            const size_t r1 = n - r0 < rb ? n : r0 + rb;
            /* the block's scores: rows r0.. of P when kept, else the scratch (row r at (r - r0) * n) */
            float *Sb = P ? P + r0 * n : scratch;
            /* S [r0:r1, n] = scale * Q_h [r0:r1, dh] K_h^T */
            g.M = r1 - r0, g.N = n, g.K = dh, g.alpha = j->scale, g.beta = 0.0f;
            g.A = j->q + row0 + r0 * j->ld_qkv, g.lda = j->ld_qkv, g.C = Sb, g.ldc = n;
            g.bpack = packed_once ? &KT : NULL;
            g.bsrc = (b_source){SRC_TRANS, j->k + row0, j->ld_qkv, dh, NULL, XL_ELEM_F32};
            gemm_block(&g, 0, r1 - r0, 0, n, ws);
            /* P = softmax(S + mask) row by row */
            for (size_t r = 0; r < r1 - r0; r++) t->softmax(Sb + r * n, n, 1.0f, mask);
            if (ctx_h == NULL) continue; /* probabilities only */
            /* ctx_h [r0:r1, dh] = P [r0:r1, n] V_h [n, dh] */
            g.M = r1 - r0, g.N = dh, g.K = n, g.alpha = 1.0f;
            g.A = Sb, g.lda = n, g.C = ctx_h + r0 * j->ld_ctx, g.ldc = j->ld_ctx;
            g.bpack = packed_once ? &VP : NULL;
            g.bsrc = (b_source){SRC_NOTRANS, j->v + row0, j->ld_qkv, n, NULL, XL_ELEM_F32};
            gemm_block(&g, 0, r1 - r0, 0, dh, ws);
        }
    }
}

void xl_attention(xl_kernels *k, int n_threads, size_t n_seq, const size_t *off, const size_t *len,
                  const size_t *att_off, const float *const *mask, size_t n_heads, size_t head_dim, float scale,
                  const float *q, const float *kk, const float *v, size_t ld_qkv, float *att, float *ctx,
                  size_t ld_ctx)
{
    if (n_seq == 0 || n_heads == 0) return;
    if (att == NULL)
        for (size_t s = 0; s < n_seq; s++)
            if (len[s] > XL_ATTENTION_SCRATCH_MAX_LEN) { /* a caller bug, not bad input: see xl_kernels.h */
                fprintf(stderr, "xl_attention: att == NULL needs sequences of at most %d tokens, got %zu\n",
                        XL_ATTENTION_SCRATCH_MAX_LEN, len[s]);
                abort();
            }
    attn_job j = {.t = k->impl, .n_heads = n_heads, .dh = head_dim, .scale = scale, .off = off, .len = len,
                  .att_off = att_off, .mask = mask, .q = q, .k = kk, .v = v, .ld_qkv = ld_qkv, .ld_ctx = ld_ctx,
                  .att = att, .ctx = ctx, .workspace = k->workspace, .ws_per_thread = k->workspace_per_thread};
    double flops = 0.0;
    for (size_t s = 0; s < n_seq; s++) flops += 4.0 * (double)len[s] * (double)len[s] * (double)head_dim;
    int nt = clamp_threads(k, n_threads);
    if (flops * (double)n_heads < 1e6) nt = 1;
    if (nt == 1) attention_range(&j, 0, n_seq * n_heads, 0);
    else xl_pool_run(k->pool, nt, n_seq * n_heads, attention_range, &j);
}

/* ---- FMA peak probe ------------------------------------------------------------------------ */

typedef struct {
    const xl_kernel_table *t;
    double (*probe)(size_t iters, float *sink);
    size_t iters;
    double flops[XL_MAX_THREADS];
    float sink[XL_MAX_THREADS][16];
} peak_job;

static void peak_range(void *ctx, size_t begin, size_t end, int tid)
{
    peak_job *j = ctx;
    (void)begin, (void)end;
    j->sink[tid][0] = 1.0f;
    j->flops[tid] = j->probe(j->iters, j->sink[tid]);
}

static double probe_peak(xl_kernels *k, int n_threads, double seconds, double (*probe)(size_t, float *));

double xl_kernels_fma_peak_gflops(xl_kernels *k, int n_threads, double seconds)
{
    return probe_peak(k, n_threads, seconds, k->impl->fma_probe);
}

double xl_kernels_int8_peak_gops(xl_kernels *k, int n_threads, double seconds)
{
    const xl_kernel_table *t = k->impl;
    double (*probe)(size_t, float *) = k->has_vnni && t->qpeak_probe_vnni ? t->qpeak_probe_vnni : t->qpeak_probe;
    return probe ? probe_peak(k, n_threads, seconds, probe) : 0.0;
}

static double probe_peak(xl_kernels *k, int n_threads, double seconds, double (*probe)(size_t, float *))
{
    int nt = clamp_threads(k, n_threads);
    peak_job *j = malloc(sizeof *j);
    if (j == NULL) return 0.0;
    memset(j, 0, sizeof *j);
    j->t = k->impl;
    j->probe = probe;
    /* calibrate on one thread, then time the real run */
    j->iters = 1000;
    double best = 0.0;
    for (;;) {
        double t0 = xl_time_now();
        peak_range(j, 0, 1, 0);
        double dt = xl_time_now() - t0;
        if (dt > 0.02 || (double)j->iters > 0x1p40 || j->iters > SIZE_MAX / 4) { /* no size_t shift/wrap on 32-bit */
            j->iters = (size_t)((double)j->iters * (seconds / 3.0) / (dt > 0 ? dt : 1e-9)) + 1;
            break;
        }
        j->iters *= 4;
    }
    for (int rep = 0; rep < 3; rep++) {
        double t0 = xl_time_now();
        xl_pool_run(k->pool, nt, (size_t)nt, peak_range, j);
        double dt = xl_time_now() - t0, flops = 0.0;
        for (int t = 0; t < nt; t++) flops += j->flops[t];
        if (dt > 0 && flops / dt > best) best = flops / dt;
    }
    free(j);
    return best * 1e-9;
}

/* ---- row ops -------------------------------------------------------------------------------- */

typedef struct {
    const xl_kernel_table *t;
    int op; /* 0 bias_gelu, 1 add_layernorm, 2 softmax */
    float *x;
    const float *cx, *r, *g, *b, *bias, *mask;
    float *y;
    float eps, scale;
    size_t cols, ld;
} row_job;

static void row_range(void *ctx, size_t begin, size_t end, int tid)
{
    const row_job *j = ctx;
    (void)tid;
    for (size_t i = begin; i < end; i++) {
        switch (j->op) {
        case 0: j->t->bias_gelu(j->x + i * j->ld, j->bias, j->cols); break;
        case 1:
            j->t->add_layernorm(j->cx + i * j->cols, j->r ? j->r + i * j->cols : NULL, j->g, j->b, j->eps, j->cols,
                                j->y + i * j->cols);
            break;
        default: j->t->softmax(j->x + i * j->ld, j->cols, j->scale, j->mask); break;
        }
    }
}

/* Rows in parallel when there is enough work to pay for starting threads (~64k elements). */
static void run_rows(const xl_kernels *k, int n_threads, size_t rows, row_job *j)
{
    int nt = clamp_threads(k, n_threads);
    if ((double)rows * (double)j->cols < 65536.0) nt = 1;
    if (nt == 1) row_range(j, 0, rows, 0);
    else xl_pool_run(k->pool, nt, rows, row_range, j);
}

void xl_bias_gelu(const xl_kernels *k, int n_threads, float *x, size_t rows, size_t cols, size_t ldx,
                  const float *bias)
{
    row_job j = {.t = k->impl, .op = 0, .x = x, .bias = bias, .cols = cols, .ld = ldx};
    run_rows(k, n_threads, rows, &j);
}

void xl_add_layernorm(const xl_kernels *k, int n_threads, const float *x, const float *residual, const float *gamma,
                      const float *beta, float eps, size_t rows, size_t cols, float *y)
{
    row_job j = {.t = k->impl, .op = 1, .cx = x, .r = residual, .g = gamma, .b = beta, .y = y, .eps = eps,
                 .cols = cols, .ld = cols};
    run_rows(k, n_threads, rows, &j);
}

void xl_softmax_rows(const xl_kernels *k, int n_threads, float *x, size_t rows, size_t cols, size_t ldx, float scale,
                     const float *mask)
{
    row_job j = {.t = k->impl, .op = 2, .x = x, .mask = mask, .scale = scale, .cols = cols, .ld = ldx};
    run_rows(k, n_threads, rows, &j);
}

void xl_gelu(const xl_kernels *k, float *x, size_t n)
{
    k->impl->bias_gelu(x, NULL, n);
}

void xl_tanh(const xl_kernels *k, float *x, size_t n)
{
    (void)k; /* tanh only runs on pooler/Dense outputs (one vector per sequence): libm in double */
    for (size_t i = 0; i < n; i++) x[i] = xl_tanh_ref1(x[i]);
}

void xl_l2_normalize(const xl_kernels *k, float *x, size_t rows, size_t cols)
{
    for (size_t i = 0; i < rows; i++) {
        float *row = x + i * cols;
        double norm = sqrt((double)k->impl->dot(row, row, cols));
        if (norm < 1e-12) norm = 1e-12;
        k->impl->scal(cols, (float)(1.0 / norm), row);
    }
}

float xl_dot(const xl_kernels *k, const float *a, const float *b, size_t n)
{
    return k->impl->dot(a, b, n);
}

void xl_axpy(const xl_kernels *k, size_t n, float alpha, const float *x, float *y)
{
    k->impl->axpy(n, alpha, x, y);
}

/* ---- int8 linear layers (xl_kernels.h) ------------------------------------------------------ */

enum { Q_ALIGN = 64, Q_MB = 32, Q_NB = 64 }; /* row padding; rows x columns of one task's tile */

static int qmatrix_alloc(size_t n, size_t k, xl_qmatrix *out, xl_error *err)
{
    memset(out, 0, sizeof *out);
    if (k == 0 || n == 0 || k > XL_QMATRIX_MAX_K)
        return xl_fail(err, XL_ERR_LIMIT, "int8 weight [%zu, %zu]: in-dimension must be 1..%u", n, k,
                       XL_QMATRIX_MAX_K);
    size_t kp = round_up(k, Q_ALIGN), qbytes, total;
    if (!xl_mul_size(n, kp, &qbytes) || qbytes > SIZE_MAX / 2 || n > SIZE_MAX / 16 ||
        !xl_add_size(round_up(qbytes, Q_ALIGN), 2 * n * sizeof(float), &total))
        return xl_fail(err, XL_ERR_NOMEM, "int8 weight [%zu, %zu]: size overflow", n, k);
    unsigned char *block = xl_aligned_alloc(total, err);
    if (block == NULL) return -1;
    memset(block, 0, qbytes); /* the padding columns are zeros: they add nothing to a dot product */
    out->n = n, out->k = k, out->kp = kp;
    out->q = (signed char *)block;
    out->scale = (float *)(void *)(block + round_up(qbytes, Q_ALIGN));
    out->rowsum = (int *)(void *)(block + round_up(qbytes, Q_ALIGN) + n * sizeof(float));
    out->block = block;
    return 0;
}

static void qmatrix_rowsums(xl_qmatrix *m)
{
    for (size_t j = 0; j < m->n; j++) {
        int s = 0;
        for (size_t p = 0; p < m->k; p++) s += m->q[j * m->kp + p];
        m->rowsum[j] = s;
    }
}

/* The AVX2 u8 x s8 kernel's copy of q (xl_kernels.h: xl_qmatrix.panel), x86-64 builds only.  Per
 * column, each pair (p = 2t, 2t+1) with |w| + |w'| > 128 keeps sign(w) * (128 - |w'|) for the
 * larger |w| (same sign, smaller magnitude) in the panel and the rest as a difference, so
 * main + difference = q exactly and the products split exactly.  Weights of trained models are
 * bell-shaped (max |q| = 127 is a tail value), so differences are rare; uniformly random ones are
 * not, and then the panel falls back to q (panel_ok 0). */
static int qmatrix_panels(xl_qmatrix *m, xl_error *err)
{
#ifdef XL_X86_DETECT
    const size_t np = (m->n + 15) / 16, kp = m->kp;
    size_t bytes, n_fix = 0, n_ok = 0, panel_fix = 0;
    if (!xl_mul_size(np * 16, kp, &bytes)) return xl_fail(err, XL_ERR_NOMEM, "int8 weight panels: size overflow");
    for (size_t j = 0; j < m->n; j++) {
        for (size_t p = 0; p + 1 < kp; p += 2) {
            const int w0 = m->q[j * kp + p], w1 = m->q[j * kp + p + 1];
            if (abs(w0) + abs(w1) > 128) n_fix++, panel_fix++;
        }
        if (j % 16 == 15 || j + 1 == m->n) {
            if (panel_fix <= kp / 16) n_ok++;
            panel_fix = 0;
        }
    }
    if (n_ok == 0) return 0; /* no panel usable (full-range 8-bit weights): no copy, q and vpsignb */
    m->panel = xl_aligned_alloc(bytes, err);
    m->pcorr = xl_calloc(np * 16, sizeof *m->pcorr, err);
    m->panel_ok = xl_calloc(np, 1, err);
    m->fix_start = xl_calloc(m->n + 1, sizeof *m->fix_start, err);
    m->fix_k = xl_calloc(n_fix + 1, sizeof *m->fix_k, err);
    m->fix_w = xl_calloc(n_fix + 1, 1, err);
    if (!m->panel || !m->pcorr || !m->panel_ok || !m->fix_start || !m->fix_k || !m->fix_w) return -1;
    memset(m->panel, 0, bytes);
    size_t f = 0;
    for (size_t j = 0; j < m->n; j++) {
        const signed char *row = m->q + j * kp;
        signed char *dst = m->panel + (j / 16) * 16 * kp + (j % 16) * 4;
        unsigned sum = 0; /* modulo 2^32, as the kernel's int32 lanes */
        m->fix_start[j] = f;
        for (size_t p = 0; p < kp; p += 2) {
            int w[2] = {row[p], row[p + 1]};
            const int a0 = abs(w[0]), a1 = abs(w[1]);
            if (a0 + a1 > 128) {
                const int big = a0 >= a1 ? 0 : 1, keep = 128 - (big == 0 ? a1 : a0);
                const int main_w = w[big] < 0 ? -keep : keep;
                m->fix_k[f] = (unsigned)(p + (size_t)big);
                m->fix_w[f] = (signed char)(w[big] - main_w);
                f++;
                w[big] = main_w;
            }
            for (int e = 0; e < 2; e++) {
                const size_t pe = p + (size_t)e;
                dst[(pe / 4) * 64 + pe % 4] = (signed char)w[e];
                sum += (unsigned)w[e];
            }
        }
        m->pcorr[j] = (int)(0u - 128u * sum); /* two's complement: -128 * sum modulo 2^32 */
        panel_fix += f - m->fix_start[j];
        if (j % 16 == 15 || j + 1 == m->n) {
            m->panel_ok[j / 16] = (unsigned char)(panel_fix <= kp / 16);
            panel_fix = 0;
        }
    }
    m->fix_start[m->n] = f;
#else
    (void)m, (void)err;
#endif
    return 0;
}

int xl_qmatrix_from_i8(size_t n, size_t k, const signed char *q, const float *scale, xl_qmatrix *out, xl_error *err)
{
    if (qmatrix_alloc(n, k, out, err) < 0) return -1;
    for (size_t j = 0; j < n; j++) {
        memcpy(out->q + j * out->kp, q + j * k, k);
        out->scale[j] = scale[j];
    }
    qmatrix_rowsums(out);
    if (qmatrix_panels(out, err) < 0) {
        xl_qmatrix_free(out);
        return -1;
    }
    return 0;
}

int xl_qmatrix_quantize(size_t n, size_t k, const float *w, size_t ldw, xl_qmatrix *out, xl_error *err)
{
    if (qmatrix_alloc(n, k, out, err) < 0) return -1;
    for (size_t j = 0; j < n; j++) {
        const float *row = w + j * ldw;
        float amax = 0.0f;
        for (size_t p = 0; p < k; p++) {
            if (!isfinite(row[p])) {
                xl_qmatrix_free(out);
                return xl_fail(err, XL_ERR_FORMAT, "int8 weight row %zu: element %zu is not finite", j, p);
            }
            amax = fmaxf(amax, fabsf(row[p]));
        }
        float s = amax / 127.0f;
        if (!(s > 0.0f)) s = 1.0f;
        out->scale[j] = s;
        for (size_t p = 0; p < k; p++) {
            float v = roundf(row[p] / s);
            out->q[j * out->kp + p] = (signed char)(int)(v > 127.0f ? 127.0f : v < -127.0f ? -127.0f : v);
        }
    }
    qmatrix_rowsums(out);
    if (qmatrix_panels(out, err) < 0) {
        xl_qmatrix_free(out);
        return -1;
    }
    return 0;
}

void xl_qmatrix_free(xl_qmatrix *m)
{
    if (m == NULL) return;
    xl_aligned_free(m->block);
    xl_aligned_free(m->panel);
    free(m->pcorr), free(m->panel_ok), free(m->fix_start), free(m->fix_k), free(m->fix_w);
    memset(m, 0, sizeof *m);
}

typedef struct {
    const xl_kernel_table *t;
    int vnni;
    int panels; /* run the u8 x s8 panel kernel (t->qpanel, W->panel) where W->panel_ok */
    const float *X;
    size_t M, mb, n_cb;
    const xl_qmatrix *W;
    const float *bias;
    xl_act act;
    float *Y;
    float *workspace;
    size_t ws_per_thread;
} qjob;

/* Row x (k floats) -> q (kp int8, zero-padded) and its scale; NaN scale for a non-finite row.
 * The reference for every path's quantize_row (xl_kernels_impl.h). */
float xl_quantize_row_scalar(const float *x, size_t k, size_t kp, signed char *q)
{
    float amax = 0.0f;
    for (size_t p = 0; p < k; p++) amax = fmaxf(amax, fabsf(x[p])); /* fmaxf drops NaN: checked below */
    int finite = isfinite(amax);
    for (size_t p = 0; p < k && finite; p++) finite = !isnan(x[p]);
    memset(q, 0, kp);
    if (!finite) return NAN;
    float s = amax / 127.0f;
    if (!(s > 0.0f)) return 1.0f;
    for (size_t p = 0; p < k; p++) {
        float v = roundf(x[p] / s);
        q[p] = (signed char)(int)(v > 127.0f ? 127.0f : v < -127.0f ? -127.0f : v);
    }
    return s;
}

static void qlinear_range(void *ctx, size_t begin, size_t end, int tid)
{
    const qjob *j = ctx;
    const xl_qmatrix *W = j->W;
    unsigned char *ws = (unsigned char *)(j->workspace + (size_t)tid * j->ws_per_thread);
    int *acc = (int *)(void *)ws;                                  /* [Q_MB][Q_NB] int32 */
    float *sx = (float *)(void *)(ws + sizeof(int) * Q_MB * Q_NB); /* [Q_MB] */
    signed char *xq = (signed char *)(ws + sizeof(int) * Q_MB * Q_NB + round_up(sizeof(float) * Q_MB, Q_ALIGN));
    unsigned char *xu = (unsigned char *)(xq + j->mb * W->kp); /* [mb][kp] qx + 128 (panels only) */
    void (*qdot)(size_t, size_t, size_t, const signed char *, size_t, const signed char *, size_t, const int *, int *,
                 size_t) = j->t->qdot ? j->t->qdot : xl_qdot_scalar;
    if (j->vnni && j->t->qdot_vnni) qdot = j->t->qdot_vnni;
    float (*quant)(const float *, size_t, size_t, signed char *) =
        j->t->quantize_row ? j->t->quantize_row : xl_quantize_row_scalar;
    size_t have_rb = SIZE_MAX;
    for (size_t task = begin; task < end; task++) {
        const size_t rb = task / j->n_cb, cb = task % j->n_cb;
        const size_t m0 = rb * j->mb, m1 = m0 + j->mb < j->M ? m0 + j->mb : j->M;
        const size_t n0 = cb * Q_NB, n1 = n0 + Q_NB < W->n ? n0 + Q_NB : W->n;
        if (rb != have_rb) { /* consecutive tasks of one thread share the quantised row block */
            for (size_t i = m0; i < m1; i++) sx[i - m0] = quant(j->X + i * W->k, W->k, W->kp, xq + (i - m0) * W->kp);
            if (j->panels) { /* u8 = qx + 128 (flip the sign bit); rows past m1 up to a multiple of 4 zero */
                const size_t used = (m1 - m0) * W->kp; /* a multiple of 64 bytes */
                for (size_t b = 0; b < used; b += 8) {
                    uint64_t w8;
                    memcpy(&w8, xq + b, 8);
                    w8 ^= UINT64_C(0x8080808080808080);
                    memcpy(xu + b, &w8, 8);
                }
                memset(xu + used, 0, (round_up(m1 - m0, 4) - (m1 - m0)) * W->kp);
            }
            have_rb = rb;
        }
        if (!j->panels) qdot(m1 - m0, n1 - n0, W->kp, xq, W->kp, W->q + n0 * W->kp, W->kp, W->rowsum + n0, acc, Q_NB);
        else
            for (size_t g0 = n0; g0 < n1; g0 += 16) { /* one 16-column panel at a time */
                const size_t g1 = g0 + 16 < n1 ? g0 + 16 : n1;
                int *ag = acc + (g0 - n0);
                if (!W->panel_ok[g0 / 16]) {
                    qdot(m1 - m0, g1 - g0, W->kp, xq, W->kp, W->q + g0 * W->kp, W->kp, W->rowsum + g0, ag, Q_NB);
                    continue;
                }
                j->t->qpanel(round_up(m1 - m0, 4), W->kp, xu, W->kp, W->panel + g0 * W->kp, W->pcorr + g0, ag, Q_NB);
                for (size_t c = g0; c < g1; c++) /* the differences q - main of this column */
                    for (size_t f = W->fix_start[c]; f < W->fix_start[c + 1]; f++) {
                        const signed char *xk = xq + W->fix_k[f];
                        const int w = W->fix_w[f];
                        for (size_t i = 0; i < m1 - m0; i++) ag[i * Q_NB + (c - g0)] += xk[i * W->kp] * w;
                    }
            }
        for (size_t i = m0; i < m1; i++) {
            float *y = j->Y + i * W->n + n0;
            const int *a = acc + (i - m0) * Q_NB;
            const float s = sx[i - m0];
            if (j->t->qepilogue) j->t->qepilogue(a, n1 - n0, s, W->scale + n0, j->bias ? j->bias + n0 : NULL, y);
            else
                for (size_t c = 0; c < n1 - n0; c++) {
                    const float ss = s * W->scale[n0 + c]; /* each step assigned: float rounding on every host */
                    const float v = (float)a[c] * ss;
                    y[c] = j->bias ? v + j->bias[n0 + c] : v;
                }
            if (j->act == XL_ACT_GELU) j->t->bias_gelu(y, NULL, n1 - n0);
            else if (j->act == XL_ACT_TANH)
                for (size_t c = 0; c < n1 - n0; c++) y[c] = xl_tanh_ref1(y[c]);
        }
    }
}

void xl_qlinear(xl_kernels *k, int n_threads, const float *X, size_t M, const xl_qmatrix *W, const float *bias,
                xl_act act, float *Y)
{
    if (M == 0 || W->n == 0) return;
    const size_t ws_bytes = k->workspace_per_thread * sizeof(float);
    const size_t fixed = sizeof(int) * Q_MB * Q_NB + round_up(sizeof(float) * Q_MB, Q_ALIGN);
    /* rows per block: as many of Q_MB as the workspace holds (at least 1: kp <= 128 KiB fits); the
     * panel kernel wants a second copy of the rows (u8) and a multiple of 4 of them */
    const int vnni = k->has_vnni || k->has_dotprod;
    int panels = !vnni && k->impl->qpanel != NULL && W->panel != NULL;
    size_t mb = ws_bytes > fixed ? (ws_bytes - fixed) / (W->kp * (panels ? 2 : 1)) : 0;
    if (mb > Q_MB) mb = Q_MB;
    if (panels) mb -= mb % 4;
    if (mb == 0) panels = 0, mb = ws_bytes > fixed ? (ws_bytes - fixed) / W->kp : 0;
    if (mb > Q_MB) mb = Q_MB;
    if (mb == 0) mb = 1;
    qjob j = {k->impl, vnni, panels, X, M, mb, (W->n + Q_NB - 1) / Q_NB, W, bias, act, Y, k->workspace, k->workspace_per_thread};
    const size_t n_tasks = (M + mb - 1) / mb * j.n_cb;
    int nt = clamp_threads(k, n_threads);
    if (2.0 * (double)M * (double)W->n * (double)W->k < 4e6) nt = 1;
    if (nt == 1 || k->pool == NULL) qlinear_range(&j, 0, n_tasks, 0);
    else xl_pool_run(k->pool, nt, n_tasks, qlinear_range, &j);
}
