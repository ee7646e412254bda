/* bench_train.c - training throughput of the encoder (nn/bert_train.h): forward + backward (mean
 * pooling, L2 normalisation, gradient of a fixed linear function of the sentence embeddings) and
 * forward + backward + AdamW, for MiniLM-L6 (6 layers, hidden 384, 12 heads, FFN 1536) and a small
 * shape (4, 256, 4, 1024), vocabulary 30522, batch 32 sequences of 32 and 128 tokens, 1 and 2
 * threads; tokens/s (wall), tokens per CPU-second, GFLOP/s of the matrix products (forward +
 * backward = 3 x forward), the resident memory of each configuration; then the backward GEMMs
 * alone (dX = dY W and dW += dY^T X of every projection at 4096 tokens) against the probed FMA
 * peak; then PyTorch (tests/bench/tools/torch_train_bench.py) on the same shapes when python3 with
 * torch is importable.
 *
 *   build/bench/bench_train                 the whole grid (~4 min on 2 idle cores with PyTorch; 12 on a loaded one)
 *   build/bench/bench_train --quick         the small shape only, no PyTorch
 *   build/bench/bench_train --no-torch      skip PyTorch
 *   build/bench/bench_train --default-encoder[=STEPS] [--threads=N]  the default encoder's training
 *                                           shapes (below; STEPS timed steps a case, default 7)
 *   XLREC_SIMD=avx2 ...                     another kernel path
 * Run from the repository root.
 */
#define _POSIX_C_SOURCE 200809L /* popen */
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bert_train.h"
#include "train_optim.h"
#include "xl_backprop.h"
#include "xl_bench.h"
#include "xl_kernels.h"
#include "xl_platform.h"
#include "xl_rng.h"

typedef struct {
    const char *name;
    int layers, hidden, heads, inter;
} shape;

static const shape shapes[] = {{"MiniLM-L6", 6, 384, 12, 1536}, {"small", 4, 256, 4, 1024}};

static void die(const xl_error *err)
{
    fprintf(stderr, "bench_train: %s\n", err->msg);
    exit(1);
}

static xl_bert_config config_of(const shape *s)
{
    xl_bert_config c;
    memset(&c, 0, sizeof c);
    c.arch = XL_ARCH_BERT;
    c.vocab_size = 30522;
    c.hidden = (size_t)s->hidden;
    c.n_layers = (size_t)s->layers;
    c.n_heads = (size_t)s->heads;
    c.intermediate = (size_t)s->inter;
    c.max_position = 512;
    c.type_vocab_size = 2;
    c.layer_norm_eps = 1e-12f;
    c.pooling = XL_POOL_MEAN;
    c.normalize = true;
    c.max_seq_len = 512;
    return c;
}

typedef struct {
    double fb_tok_s, fb_tok_cpu, fba_tok_s, gflops, rss_mb;
} result;

/* One training step: forward, pool, backward from d_sent (and AdamW when `opt`). */
static void step(xl_bert_train_ctx *c, xl_bert_params *p, xl_bert_grads *g, const xl_bert_input *in, const float *ds,
                 float *m, float *v, uint64_t t, bool opt)
{
    xl_error err;
    xl_bert_grads_zero(g, p);
    if (xl_bert_train_forward(c, p, in, (xl_bert_dropout){0.1f, 0.1f}, &(xl_rng){0x853c49e6748fea9bull, 1}, &err) ==
            NULL ||
        xl_bert_train_pool(c, p, XL_POOL_MEAN, true, &err) == NULL || xl_bert_train_backward(c, p, g, ds, NULL, &err) < 0)
        die(&err);
    if (!opt) return;
    xl_adamw_hparams h;
    xl_adamw_hparams_default(&h);
    /* dense AdamW on every tensor but the word embedding; lazy rows there */
    const size_t H = p->cfg.hidden;
    for (size_t i = 0; i < p->n_tensors; i++) {
        const xl_bert_param_info *ti = &p->info[i];
        if (ti->offset == p->off.word_emb) continue;
        xl_adamw_update(&h, 1e-4, t, !ti->no_decay, p->data + ti->offset, g->data + ti->offset, m + ti->offset,
                        v + ti->offset, ti->count);
    }
    for (size_t r = 0; r < g->n_word_rows; r++) {
        size_t o = p->off.word_emb + (size_t)g->word_rows[r] * H;
        xl_adamw_update(&h, 1e-4, t, true, p->data + o, g->data + o, m + o, v + o, H);
    }
    xl_bert_params_refresh(p, c->k);
}

static result run_case(const shape *s, size_t len, size_t batch, int threads, xl_kernels *k, double min_time)
{
    xl_error err;
    xl_bert_config cfg = config_of(s);
    xl_bert_params p;
    xl_bert_grads g;
    if (xl_bert_params_init_random(&p, &cfg, NULL, 1, k, &err) < 0 || xl_bert_grads_init(&g, &p, &err) < 0) die(&err);
    float *m = calloc(p.count, sizeof *m), *v = calloc(p.count, sizeof *v);
    int32_t *ids = malloc(batch * len * sizeof *ids);
    const int32_t **idp = malloc(batch * sizeof *idp);
    size_t *lens = malloc(batch * sizeof *lens);
    float *ds = malloc(batch * cfg.hidden * sizeof *ds);
    if (!m || !v || !ids || !idp || !lens || !ds) exit(1);
    xl_rng r;
    xl_rng_seed(&r, 7, 0);
    for (size_t i = 0; i < batch * len; i++) ids[i] = (int32_t)xl_rng_below(&r, 30522);
    for (size_t b = 0; b < batch; b++) idp[b] = ids + b * len, lens[b] = len;
    for (size_t i = 0; i < batch * cfg.hidden; i++) ds[i] = xl_rng_float(&r) - 0.5f;
    xl_bert_input in = {batch, idp, NULL, NULL, lens};
    xl_bert_train_ctx c;
    xl_bert_train_ctx_init(&c, k, threads);
    result res = {0};
    for (int opt = 0; opt < 2; opt++) {
        step(&c, &p, &g, &in, ds, m, v, 1, opt); /* warm-up: buffers allocated, caches warm */
        double best = 1e30, best_cpu = 1e30, t_end = xl_time_now() + min_time;
        uint64_t t = 2;
        int reps = 0;
        do {
            double t0 = xl_time_now();
            clock_t c0 = clock();
            step(&c, &p, &g, &in, ds, m, v, t++, opt);
            double dt = xl_time_now() - t0, dc = (double)(clock() - c0) / CLOCKS_PER_SEC;
            if (dt < best) best = dt;
            if (dc < best_cpu) best_cpu = dc;
            reps++;
        } while (reps < 2 || xl_time_now() < t_end);
        const double tokens = (double)(batch * len);
        if (!opt) {
            res.fb_tok_s = tokens / best;
            res.fb_tok_cpu = tokens / best_cpu;
            res.gflops = xl_bert_train_flops(&cfg, lens, batch) / best * 1e-9;
            res.rss_mb = (double)xl_current_rss_bytes() / 1048576.0;
        } else {
            res.fba_tok_s = tokens / best;
        }
    }
    xl_bert_train_ctx_free(&c);
    xl_bert_grads_free(&g);
    xl_bert_params_free(&p);
    free(m), free(v), free(ids), free(idp), free(lens), free(ds);
    return res;
}

/* The backward GEMMs of one layer at T tokens, alone: GFLOP/s of dX = dY W (no-trans B) and of
 * dW += dY^T X (transposed A), best of `reps`. */
static void bench_backward_gemms(xl_kernels *k, int threads, double peak)
{
    const size_t T = 4096, H = 384, I = 1536;
    const struct {
        const char *what;
        size_t in, out;
    } lin[] = {{"QKV     (384 -> 1152)", H, 3 * H}, {"attn out (384 -> 384)", H, H}, {"FFN in  (384 -> 1536)", H, I},
               {"FFN out (1536 -> 384)", I, H}};
    float *X = malloc(T * I * sizeof *X), *dY = malloc(T * I * sizeof *dY), *W = malloc(I * I * sizeof *W),
          *dX = malloc(T * I * sizeof *dX), *dW = calloc(I * I, sizeof *dW);
    if (!X || !dY || !W || !dX || !dW) exit(1);
    xl_rng r;
    xl_rng_seed(&r, 3, 0);
    for (size_t i = 0; i < T * I; i++) X[i] = xl_rng_float(&r) - 0.5f, dY[i] = xl_rng_float(&r) - 0.5f;
    for (size_t i = 0; i < I * I; i++) W[i] = xl_rng_float(&r) - 0.5f;
    printf("\nbackward GEMMs alone, MiniLM-L6 shapes, T = %zu tokens, %d thread%s (FMA peak %.1f GFLOP/s):\n", T, threads,
           threads > 1 ? "s" : "", peak);
    printf("  %-22s %14s %8s %14s %8s %14s %8s\n", "layer", "fwd XW' GF/s", "% peak", "dX=dY.W GF/s", "% peak",
           "dW+=dY'X GF/s", "% peak");
    for (size_t i = 0; i < sizeof lin / sizeof lin[0]; i++) {
        const size_t in = lin[i].in, out = lin[i].out;
        const double flops = 2.0 * (double)T * (double)in * (double)out;
        double best_dx = 1e30, best_dw = 1e30, best_fw = 1e30;
        xl_packed_matrix pw, pdx;
        xl_error err;
        if (xl_pack_b(k, XL_TRANS, in, out, W, in, &pw, &err) < 0 || xl_pack_b(k, XL_NO_TRANS, out, in, W, in, &pdx, &err) < 0)
            die(&err);
        for (int rep = 0; rep < 4; rep++) {
            clock_t cf = clock();
            xl_sgemm_packed(k, threads, T, 1.0f, X, in, &pw, 0.0f, dX, out, NULL, XL_ACT_NONE);
            double cfw = (double)(clock() - cf) / CLOCKS_PER_SEC / threads;
            if (cfw < best_fw) best_fw = cfw;
            clock_t c0 = clock();
            double t0 = xl_time_now();
            xl_sgemm_packed(k, threads, T, 1.0f, dY, out, &pdx, 0.0f, dX, in, NULL, XL_ACT_NONE); /* as the backward */
            double t1 = xl_time_now();
            clock_t c1 = clock();
            xl_sgemm_ex(k, threads, XL_TRANS, XL_NO_TRANS, out, in, T, 1.0f, dY, out, X, in, 1.0f, dW, in);
            double t2 = xl_time_now();
            clock_t c2 = clock();
            /* CPU time per thread (the machine is shared: CPU time is disturbed less than wall) */
            double cdx = (double)(c1 - c0) / CLOCKS_PER_SEC / threads, cdw = (double)(c2 - c1) / CLOCKS_PER_SEC / threads;
            (void)t0, (void)t1, (void)t2;
            if (cdx < best_dx) best_dx = cdx;
            if (cdw < best_dw) best_dw = cdw;
        }
        xl_packed_free(&pw), xl_packed_free(&pdx);
        printf("  %-22s %14.1f %7.0f%% %14.1f %7.0f%% %14.1f %7.0f%%\n", lin[i].what, flops / best_fw * 1e-9,
               100.0 * flops / best_fw * 1e-9 / peak, flops / best_dx * 1e-9,
               100.0 * flops / best_dx * 1e-9 / peak, flops / best_dw * 1e-9, 100.0 * flops / best_dw * 1e-9 / peak);
    }
    free(X), free(dY), free(W), free(dX), free(dW);
}

/* ---- the default encoder's training shapes (--default-encoder) ---------------------------------
 * As `xlrec train-encoder --config layers=L,hidden=256,heads=4,ffn=1024,max-position=64 --batch 128
 * --max-len 32 --objective rank --lazy-embeddings --dropout 0.1` runs them: vocabulary 24,000, one
 * forward + backward over 256 sequences (both sides of 128 pairs) packed without padding, lengths
 * drawn from the token-length histogram of the training mix (8,000 sides of the registry pairs with
 * the 24k cased WordPiece, [CLS]/[SEP] included, truncated at 32: mean 13.9, median 11), then AdamW
 * with lazy word rows and the repack.  Per case: the median over the timed steps (the machine is
 * shared; medians move less than bests), tokens per CPU-second of the process and per wall second. */
static const unsigned len_hist[33] = {0,   0,   0,   0,   101, 347, 602, 715, 684, 628, 587, 503, 421, 379, 303, 285, 244,
                                      211, 164, 170, 134, 124, 104, 98,  89,  84,  72,  59,  66,  51,  44,  48,  683};

static void run_default_encoder(xl_kernels *k, int steps, int only_threads)
{
    const size_t n_seq = 256, V = 24000;
    unsigned total = 0;
    for (size_t i = 0; i < 33; i++) total += len_hist[i];
    printf("\ndefault encoder training shapes: vocab %zu, %zu sequences a step (128 pairs), lengths from the corpus\n"
           "histogram, dropout 0.1, forward + backward + lazy AdamW; median of %d steps\n",
           V, n_seq, steps);
    printf("%-8s %4s %6s | %12s %10s | %8s\n", "layers", "thr", "tokens", "tok/cpu-s", "tok/s", "RSS MB");
    for (int layers = 4; layers >= 2; layers -= 2)
        for (int threads = 1; threads <= 2; threads++) {
            if (only_threads > 0 && threads != only_threads) continue;
            xl_error err;
            shape sh = {"default", layers, 256, 4, 1024};
            xl_bert_config cfg = config_of(&sh);
            cfg.vocab_size = V, cfg.max_position = 64, cfg.max_seq_len = 64;
            xl_bert_params p;
            xl_bert_grads g;
            if (xl_bert_params_init_random(&p, &cfg, NULL, 1, k, &err) < 0 || xl_bert_grads_init(&g, &p, &err) < 0)
                die(&err);
            float *m = calloc(p.count, sizeof *m), *v = calloc(p.count, sizeof *v);
            int32_t *ids = malloc(n_seq * 32 * sizeof *ids);
            const int32_t **idp = malloc(n_seq * sizeof *idp);
            size_t *lens = malloc(n_seq * sizeof *lens);
            float *ds = malloc(n_seq * cfg.hidden * sizeof *ds);
            double *cpu = malloc((size_t)steps * sizeof *cpu), *wall = malloc((size_t)steps * sizeof *wall);
            if (!m || !v || !ids || !idp || !lens || !ds || !cpu || !wall) exit(1);
            xl_rng r;
            xl_rng_seed(&r, 7, 0);
            size_t T = 0;
            for (size_t s = 0; s < n_seq; s++) {
                unsigned u = xl_rng_below(&r, total), len = 0;
                while (u >= len_hist[len]) u -= len_hist[len++];
                lens[s] = len;
                idp[s] = ids + s * 32;
                for (size_t q = 0; q < len; q++) ids[s * 32 + q] = (int32_t)xl_rng_below(&r, (uint32_t)V);
                T += len;
            }
            for (size_t i = 0; i < n_seq * cfg.hidden; i++) ds[i] = (xl_rng_float(&r) - 0.5f) * 0.01f;
            xl_bert_input in = {n_seq, idp, NULL, NULL, lens};
            xl_bert_train_ctx c;
            xl_bert_train_ctx_init(&c, k, threads);
            step(&c, &p, &g, &in, ds, m, v, 1, true); /* warm-up */
            for (int i = 0; i < steps; i++) {
                double t0 = xl_time_now();
                clock_t c0 = clock();
                step(&c, &p, &g, &in, ds, m, v, (uint64_t)i + 2, true);
                cpu[i] = (double)(clock() - c0) / CLOCKS_PER_SEC;
                wall[i] = xl_time_now() - t0;
            }
            qsort(cpu, (size_t)steps, sizeof *cpu, xl_bench_cmp_double);
            qsort(wall, (size_t)steps, sizeof *wall, xl_bench_cmp_double);
            printf("%-8d %4d %6zu | %12.0f %10.0f | %8.0f\n", layers, threads, T, (double)T / cpu[steps / 2],
                   (double)T / wall[steps / 2], (double)xl_current_rss_bytes() / 1048576.0);
            fflush(stdout);
            xl_bert_train_ctx_free(&c);
            xl_bert_grads_free(&g);
            xl_bert_params_free(&p);
            free(m), free(v), free(ids), free(idp), free(lens), free(ds), free(cpu), free(wall);
        }
}

static bool torch_available(void)
{
    return system("/usr/bin/python3 -c 'import torch' >/dev/null 2>&1 || python3 -c 'import torch' >/dev/null 2>&1") ==
           0;
}

int main(int argc, char **argv)
{
    bool quick = false, with_torch = true, gemms_only = false;
    int default_steps = 0, only_threads = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--quick") == 0) quick = true, with_torch = false;
        else if (strcmp(argv[i], "--no-torch") == 0) with_torch = false;
        else if (strcmp(argv[i], "--gemms") == 0) gemms_only = true;
        else if (strcmp(argv[i], "--default-encoder") == 0) default_steps = 7;
        else if (strncmp(argv[i], "--default-encoder=", 18) == 0) default_steps = atoi(argv[i] + 18);
        else if (strncmp(argv[i], "--threads=", 10) == 0) only_threads = atoi(argv[i] + 10);
        else {
            fprintf(stderr, "usage: bench_train [--quick] [--no-torch] [--gemms] [--default-encoder[=STEPS] [--threads=1|2]]\n");
            return 2;
        }
    }
    xl_kernels k;
    xl_error err;
    if (xl_kernels_init(&k, XL_SIMD_AUTO, 2, &err) < 0) die(&err);
    const double peak1 = xl_bench_fma_peak_cpu(&k);
    printf("bench_train: path %s, FMA peak %.1f GFLOP/s per core (CPU time), batch 32, dropout 0.1, mean pooling\n",
           xl_simd_path_name(k.path), peak1);
    if (default_steps > 0) {
        run_default_encoder(&k, default_steps, only_threads);
        xl_kernels_free(&k);
        return 0;
    }
    printf("tok/s = tokens per wall second, best step; tok/cpu-s = tokens per CPU-second of all threads; GF/s =\n"
           "matrix-product GFLOP/s of forward + backward (wall); RSS = resident MB with the case allocated\n\n");
    printf("%-10s %5s %4s | %10s %10s %8s | %12s | %8s\n", "shape", "len", "thr", "fwd+bwd", "tok/cpu-s", "GF/s",
           "+AdamW tok/s", "RSS MB");
    if (gemms_only) {
        bench_backward_gemms(&k, 1, peak1);
        xl_kernels_free(&k);
        return 0;
    }
    for (size_t si = quick ? 1 : 0; si < sizeof shapes / sizeof shapes[0]; si++)
        for (size_t len = 32; len <= 128; len *= 4)
            for (int threads = 1; threads <= 2; threads++) {
                result r = run_case(&shapes[si], len, 32, threads, &k, quick ? 0.5 : 1.0);
                printf("%-10s %5zu %4d | %10.0f %10.0f %8.1f | %12.0f | %8.0f\n", shapes[si].name, len, threads,
                       r.fb_tok_s, r.fb_tok_cpu, r.gflops, r.fba_tok_s, r.rss_mb);
                fflush(stdout);
            }
    bench_backward_gemms(&k, 1, peak1);
    printf("\npeak resident memory of the process: %.1f MB\n", (double)xl_peak_rss_bytes() / 1048576.0);
    xl_kernels_free(&k);
    if (!with_torch) return 0;
    if (!torch_available()) {
        printf("\nPyTorch: not importable; for the side-by-side run: apt-get install python3-torch (Debian 1.13)\n");
        return 0;
    }
    printf("\nPyTorch, same shapes (tests/bench/tools/torch_train_bench.py):\n");
    fflush(stdout);
    int rc = system("sh tests/bench/tools/torch_train_bench.sh");
    return rc == 0 ? 0 : 1;
}
