/* bench_train.c - training throughput of the encoder (nn/bert_train.h): forward + backward (mean
 * pooling, L2 normalisation, gradient of a fixed linear function of the sentence embeddings) +
 * AdamW, beside PyTorch on the same shapes in the same run, and the GEMMs of the step against the
 * probed FMA peak.
 *
 * Cases (tokens/s of forward + backward + AdamW, 1 and 2 threads each):
 *   MiniLM-L6 (6 layers, hidden 384, 12 heads, FFN 1536) and small (4, 256, 4, 1024): vocabulary
 *   30522, batch 32 sequences of 32 and 128 tokens;
 *   default: the shipped encoder's shape (weights/default/xlrec-encoder.xlm as train-encoder trains
 *   it: 2 layers, hidden 256, 4 heads, FFN 1024, vocabulary 24,000, --batch 128 pairs = 256
 *   sequences, here all of 32 or of 64 tokens so that PyTorch runs the same shapes unpadded).
 * Every case runs in a child process (this program with --case, and tests/bench/tools/
 * torch_train_bench.sh --case), xlrec and PyTorch alternately, case by case, for --rounds rounds:
 * the shared machine's load falls on both alike, the figures are ranges over the rounds, and each
 * child's peak resident memory (wait4's ru_maxrss) is that configuration's peak.
 *
 *   build/bench/bench_train                 GEMM table, then the grid (xlrec and PyTorch alternately), 2 rounds
 *   build/bench/bench_train --rounds=N      N rounds
 *   build/bench/bench_train --quick         the small shape only, one round, no PyTorch
 *   build/bench/bench_train --no-torch      skip PyTorch
 *   build/bench/bench_train --gemms         the GEMM table alone (forward, dX, dW against the FMA peak)
 *   build/bench/bench_train --case=L,H,NH,I,V,P,BATCH,LEN,THREADS   one case in this process
 *   build/bench/bench_train --case=... --profile   and the backward's wall and CPU ms per op class
 *   build/bench/bench_train --default-encoder[=STEPS] [--threads=N]  the default encoder's training
 *                                           shapes with the corpus's lengths (below; STEPS timed steps a case, default 7)
 *   XLREC_SIMD=avx2 ...                     another kernel path
 *   XLREC_OPENBLAS_LIB=DIR ...              the BLAS PyTorch runs with (tests/bench/tools/torch_train_bench.sh)
 * Run from the repository root.
 */
#define _POSIX_C_SOURCE 200809L /* setenv */
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h> /* getpid */

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
    int vocab, max_position;
} shape;

/* One configuration of the grid: a shape, BATCH sequences of LEN tokens, THREADS threads. */
typedef struct {
    shape s;
    int batch, len, threads;
} train_case;

static const shape shapes[] = {{"MiniLM-L6", 6, 384, 12, 1536, 30522, 512},
                               {"small", 4, 256, 4, 1024, 30522, 512},
                               {"default", 2, 256, 4, 1024, 24000, 64}};

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
    c.vocab_size = (size_t)s->vocab;
    c.hidden = (size_t)s->hidden;
    c.n_layers = (size_t)s->layers;
    c.n_heads = (size_t)s->heads;
    c.intermediate = (size_t)s->inter;
    c.max_position = (size_t)s->max_position;
    c.type_vocab_size = 2;
    c.layer_norm_eps = 1e-12f;
    c.pooling = XL_POOL_MEAN;
    c.normalize = true;
    c.max_seq_len = (size_t)s->max_position;
    return c;
}

/* Wall seconds of a step's phases, summed over steps: training forward; pooling + L2; backward;
 * AdamW + repacking the GEMM copies. */
typedef struct {
    double fwd, pool, bwd, opt;
} phase_times;

/* One training step: forward, pool, backward from d_sent (and AdamW when `opt`); adds each phase's
 * wall time to *ph when ph is not NULL.  AdamW runs on the kernels' pool (xl_adamw_update_pool, as
 * train-encoder: bit-identical for any thread count). */
static void step(xl_bert_train_ctx *c, xl_bert_params *p, xl_bert_grads *g, const xl_bert_input *in, const float *ds,
                 float *m, float *v, uint64_t t, bool opt, phase_times *ph)
{
    xl_error err;
    double t0 = xl_time_now();
    xl_bert_grads_zero(g, p);
    if (xl_bert_train_forward(c, p, in, (xl_bert_dropout){0.1f, 0.1f}, &(xl_rng){0x853c49e6748fea9bull, 1}, &err) ==
        NULL)
        die(&err);
    double t1 = xl_time_now();
    if (xl_bert_train_pool(c, p, XL_POOL_MEAN, true, &err) == NULL) die(&err);
    double t2 = xl_time_now();
    if (xl_bert_train_backward(c, p, g, ds, NULL, &err) < 0) die(&err);
    double t3 = xl_time_now();
    if (opt) {
        xl_adamw_hparams h;
        xl_adamw_hparams_default(&h);
        /* dense AdamW on every tensor but the word embedding; lazy rows there */
        const size_t H = p->cfg.hidden;
        xl_pool *pool = c->k->pool;
        const int nt = c->n_threads;
        for (size_t i = 0; i < p->n_tensors; i++) {
            const xl_bert_param_info *ti = &p->info[i];
            if (ti->offset == p->off.word_emb) continue;
            xl_adamw_update_pool(pool, nt, &h, 1e-4, t, !ti->no_decay, p->data + ti->offset, g->data + ti->offset,
                                 m + ti->offset, v + ti->offset, ti->count);
        }
        const size_t o = p->off.word_emb;
        xl_adamw_update_rows_pool(pool, nt, &h, 1e-4, t, true, p->data + o, g->data + o, m + o, v + o, g->word_rows,
                                  g->n_word_rows, H);
        xl_bert_params_refresh(p, c->k);
    }
    double t4 = xl_time_now();
    if (ph != NULL) ph->fwd += t1 - t0, ph->pool += t2 - t1, ph->bwd += t3 - t2, ph->opt += t4 - t3;
}

/* --case: one configuration in this process (a child of the grid): a warm-up step, then timed
 * steps of forward + backward + AdamW for at least min_time seconds and 2 steps; prints
 * "case tok_s=<best wall> tok_cpu=<best CPU> gflops=<matrix GFLOP/s, wall>". */
static int run_one_case(const train_case *tc, double min_time, bool profile)
{
    xl_error err;
    xl_kernels k;
    if (xl_kernels_init(&k, XL_SIMD_AUTO, tc->threads, &err) < 0) die(&err);
    xl_bert_config cfg = config_of(&tc->s);
    const size_t batch = (size_t)tc->batch, len = (size_t)tc->len;
    xl_bert_params p;
    xl_bert_grads g;
    if (xl_bert_params_init_random(&p, &cfg, NULL, 1, &k, &err) < 0 || xl_bert_grads_init(&g, &p, &err) < 0) die(&err);
    float *m = calloc(p.count, sizeof *m), *v = calloc(p.count, sizeof *v);
    int32_t *ids = malloc(batch * len * sizeof *ids);
    const int32_t **idp = malloc(batch * sizeof *idp);
    size_t *lens = malloc(batch * sizeof *lens);
    float *ds = malloc(batch * cfg.hidden * sizeof *ds);
    if (!m || !v || !ids || !idp || !lens || !ds) exit(1);
    xl_rng r;
    xl_rng_seed(&r, 7, 0);
    for (size_t i = 0; i < batch * len; i++) ids[i] = (int32_t)xl_rng_below(&r, (uint32_t)cfg.vocab_size);
    for (size_t b = 0; b < batch; b++) idp[b] = ids + b * len, lens[b] = len;
    for (size_t i = 0; i < batch * cfg.hidden; i++) ds[i] = xl_rng_float(&r) - 0.5f;
    xl_bert_input in = {batch, idp, NULL, NULL, lens};
    xl_bert_train_ctx c;
    xl_bert_train_ctx_init(&c, &k, tc->threads);
    step(&c, &p, &g, &in, ds, m, v, 1, true, NULL); /* warm-up: buffers allocated, caches warm */
    xl_bert_train_prof prof;
    memset(&prof, 0, sizeof prof);
    if (profile) c.prof = &prof; /* --profile: the backward's per-op wall and CPU times */
    double best = 1e30, best_cpu = 1e30, t_end = xl_time_now() + min_time;
    uint64_t t = 2;
    int reps = 0;
    phase_times ph = {0, 0, 0, 0};
    do {
        double t0 = xl_time_now();
        clock_t c0 = clock();
        step(&c, &p, &g, &in, ds, m, v, t++, true, &ph);
        double dt = xl_time_now() - t0, dc = (double)(clock() - c0) / CLOCKS_PER_SEC;
        if (dt < best) best = dt;
        if (dc < best_cpu) best_cpu = dc;
        reps++;
    } while (reps < 2 || xl_time_now() < t_end);
    const double tokens = (double)(batch * len);
    printf("case tok_s=%.1f tok_cpu=%.1f gflops=%.2f\n", tokens / best, tokens / best_cpu,
           xl_bert_train_flops(&cfg, lens, batch) / best * 1e-9);
    /* where a step's wall time goes (mean over the timed steps) */
    printf("phases fwd_ms=%.1f pool_ms=%.1f bwd_ms=%.1f adamw_ms=%.1f\n", 1e3 * ph.fwd / reps, 1e3 * ph.pool / reps,
           1e3 * ph.bwd / reps, 1e3 * ph.opt / reps);
    if (profile) {
        /* per op class of the backward, mean over the timed steps: wall ms and process CPU ms (all
         * threads; a pool thread's brief polling while it waits counts as CPU) */
        double sw = 0.0, sc = 0.0;
        for (int op = 0; op < XL_BWD_N_OPS; op++) {
            printf("bwd_op %-12s wall_ms=%8.1f cpu_ms=%8.1f\n", xl_bwd_op_name((xl_bwd_op)op), 1e3 * prof.wall[op] / reps,
                   1e3 * prof.cpu[op] / reps);
            sw += prof.wall[op], sc += prof.cpu[op];
        }
        printf("bwd_op %-12s wall_ms=%8.1f cpu_ms=%8.1f\n", "all", 1e3 * sw / reps, 1e3 * sc / reps);
    }
    xl_bert_train_ctx_free(&c);
    xl_bert_grads_free(&g);
    xl_bert_params_free(&p);
    xl_kernels_free(&k);
    free(m), free(v), free(ids), free(idp), free(lens), free(ds);
    return 0;
}

/* One child's figures: tokens/s (best step, wall), tokens per CPU-second, peak RSS in MB; ok = 0
 * when the child failed. */
typedef struct {
    int ok;
    double tok_s, tok_cpu, rss_mb;
    double ph[4]; /* xlrec only: ms a step in forward, pooling, backward, AdamW + repack (wall, mean) */
} case_result;

static case_result spawn_case(char *const argv[], const char *out_path)
{
    case_result r = {0, 0, 0, 0, {0, 0, 0, 0}};
    xl_bench_proc pr = xl_bench_spawn(argv, NULL, out_path, NULL);
    if (pr.status != 0) return r;
    FILE *f = fopen(out_path, "r");
    if (f == NULL) return r;
    char line[512];
    while (fgets(line, sizeof line, f) != NULL)
        if (sscanf(line, "case tok_s=%lf tok_cpu=%lf", &r.tok_s, &r.tok_cpu) == 2) r.ok = 1;
        else (void)sscanf(line, "phases fwd_ms=%lf pool_ms=%lf bwd_ms=%lf adamw_ms=%lf", &r.ph[0], &r.ph[1], &r.ph[2],
                          &r.ph[3]);
    fclose(f);
    r.rss_mb = (double)pr.rss_kb / 1024.0;
    return r;
}

static void case_arg(const train_case *tc, char *buf, size_t n)
{
    snprintf(buf, n, "%d,%d,%d,%d,%d,%d,%d,%d,%d", tc->s.layers, tc->s.hidden, tc->s.heads, tc->s.inter, tc->s.vocab,
             tc->s.max_position, tc->batch, tc->len, tc->threads);
}

static int parse_case(const char *arg, train_case *tc)
{
    memset(tc, 0, sizeof *tc);
    tc->s.name = "case";
    return sscanf(arg, "%d,%d,%d,%d,%d,%d,%d,%d,%d", &tc->s.layers, &tc->s.hidden, &tc->s.heads, &tc->s.inter,
                  &tc->s.vocab, &tc->s.max_position, &tc->batch, &tc->len, &tc->threads) == 9 &&
                   tc->s.layers > 0 && tc->s.hidden > 0 && tc->s.heads > 0 && tc->s.inter > 0 && tc->s.vocab > 0 &&
                   tc->batch > 0 && tc->len > 0 && tc->len <= tc->s.max_position && tc->threads > 0
               ? 0
               : -1;
}

static double minv(const double *v, int n)
{
    double m = v[0];
    for (int i = 1; i < n; i++) m = v[i] < m ? v[i] : m;
    return m;
}

static double maxv(const double *v, int n)
{
    double m = v[0];
    for (int i = 1; i < n; i++) m = v[i] > m ? v[i] : m;
    return m;
}

#define MAX_ROUNDS 16
#define MAX_CASES 16

/* The grid: every case, xlrec then PyTorch, `rounds` times; then the table of ranges. */
static void run_grid(const char *self, int rounds, bool quick, bool with_torch)
{
    train_case cases[MAX_CASES];
    int n = 0;
    for (size_t si = quick ? 1 : 0; si < (quick ? 2 : sizeof shapes / sizeof shapes[0]); si++) {
        const bool dflt = strcmp(shapes[si].name, "default") == 0;
        for (int li = 0; li < 2; li++)
            for (int thr = 1; thr <= 2; thr++)
                cases[n++] = (train_case){shapes[si], dflt ? 256 : 32, dflt ? 32 * (li + 1) : 32 * (li * 3 + 1), thr};
    }
    static case_result xr[MAX_CASES][MAX_ROUNDS], pr[MAX_CASES][MAX_ROUNDS];
    char out_path[64];
    snprintf(out_path, sizeof out_path, "/tmp/bench_train_case.%ld.out", (long)getpid());
    double load[3];
    for (int r = 0; r < rounds; r++) {
        xl_bench_load_averages(load);
        printf("round %d/%d: load average %.1f %.1f %.1f\n", r + 1, rounds, load[0], load[1], load[2]);
        fflush(stdout);
        for (int c = 0; c < n; c++) {
            char arg[128], thr[16];
            case_arg(&cases[c], arg, sizeof arg);
            snprintf(thr, sizeof thr, "%d", cases[c].threads);
            char carg[160];
            snprintf(carg, sizeof carg, "--case=%s", arg);
            char *xargv[] = {(char *)self, carg, NULL};
            xr[c][r] = spawn_case(xargv, out_path);
            if (with_torch) {
                /* torch.set_num_threads and the BLAS's own threads = the case's threads */
                setenv("OMP_NUM_THREADS", thr, 1);
                setenv("OPENBLAS_NUM_THREADS", thr, 1);
                char *targv[] = {"/bin/sh", "tests/bench/tools/torch_train_bench.sh", "--case", arg, NULL};
                pr[c][r] = spawn_case(targv, out_path);
            }
            printf("  %-10s len %3d batch %3d thr %d: xlrec %7.0f tok/s %7.0f tok/cpu-s %6.0f MB", cases[c].s.name,
                   cases[c].len, cases[c].batch, cases[c].threads, xr[c][r].tok_s, xr[c][r].tok_cpu, xr[c][r].rss_mb);
            if (with_torch)
                printf(" | PyTorch %7.0f tok/s %7.0f tok/cpu-s %6.0f MB%s", pr[c][r].tok_s, pr[c][r].tok_cpu,
                       pr[c][r].rss_mb, pr[c][r].ok ? "" : " (failed)");
            printf("%s\n", xr[c][r].ok ? "" : " (xlrec failed)");
            if (xr[c][r].ok)
                printf("    xlrec ms a step (wall, mean): forward %.1f, pooling %.1f, backward %.1f, AdamW + repack %.1f\n",
                       xr[c][r].ph[0], xr[c][r].ph[1], xr[c][r].ph[2], xr[c][r].ph[3]);
            fflush(stdout);
        }
    }
    remove(out_path);
    xl_bench_load_averages(load);
    printf("end: load average %.1f %.1f %.1f\n\n", load[0], load[1], load[2]);
    printf("forward + backward + AdamW, ranges over %d round%s (min-max); ratio = xlrec / PyTorch of the same round;\n"
           "peak RSS = the configuration's process (wait4 ru_maxrss; PyTorch's includes the interpreter and torch)\n",
           rounds, rounds > 1 ? "s" : "");
    printf("%-10s %4s %5s %3s | %13s %13s %11s | %13s %13s %11s | %6s %6s\n", "shape", "len", "batch", "thr",
           "xlrec tok/s", "PyTorch tok/s", "ratio", "xlrec tok/cpu", "PyT tok/cpu", "ratio", "xl MB", "PyT MB");
    for (int c = 0; c < n; c++) {
        double xs[MAX_ROUNDS], xc[MAX_ROUNDS], ps[MAX_ROUNDS], pc[MAX_ROUNDS], rs[MAX_ROUNDS], rc[MAX_ROUNDS], xm = 0,
                                                                                                               pm = 0;
        int k = 0;
        for (int r = 0; r < rounds; r++) {
            if (!xr[c][r].ok || (with_torch && !pr[c][r].ok)) continue;
            xs[k] = xr[c][r].tok_s, xc[k] = xr[c][r].tok_cpu;
            ps[k] = with_torch ? pr[c][r].tok_s : 0, pc[k] = with_torch ? pr[c][r].tok_cpu : 0;
            rs[k] = with_torch ? xs[k] / ps[k] : 0, rc[k] = with_torch ? xc[k] / pc[k] : 0;
            if (xr[c][r].rss_mb > xm) xm = xr[c][r].rss_mb;
            if (with_torch && pr[c][r].rss_mb > pm) pm = pr[c][r].rss_mb;
            k++;
        }
        if (k == 0) {
            printf("%-10s %4d %5d %3d | (failed)\n", cases[c].s.name, cases[c].len, cases[c].batch, cases[c].threads);
            continue;
        }
        if (!with_torch) {
            printf("%-10s %4d %5d %3d | %6.0f-%-6.0f %13s %11s | %6.0f-%-6.0f %13s %11s | %6.0f %6s\n", cases[c].s.name,
                   cases[c].len, cases[c].batch, cases[c].threads, minv(xs, k), maxv(xs, k), "-", "-", minv(xc, k),
                   maxv(xc, k), "-", "-", xm, "-");
            continue;
        }
        printf("%-10s %4d %5d %3d | %6.0f-%-6.0f %6.0f-%-6.0f %5.2f-%-5.2f | %6.0f-%-6.0f %6.0f-%-6.0f %5.2f-%-5.2f | %6.0f "
               "%6.0f\n",
               cases[c].s.name, cases[c].len, cases[c].batch, cases[c].threads, minv(xs, k), maxv(xs, k), minv(ps, k),
               maxv(ps, k), minv(rs, k), maxv(rs, k), minv(xc, k), maxv(xc, k), minv(pc, k), maxv(pc, k), minv(rc, k),
               maxv(rc, k), xm, pm);
    }
}

/* The GEMMs of one layer's linear layers at T tokens, alone: GFLOP/s per core (CPU time per thread,
 * best of 4) and the fraction of the probed FMA peak of the forward Y = X W^T (pre-packed W), of the
 * backward dX = dY W (pre-packed non-transposed copy, as the backward) and of dW += dY^T X
 * (transposed A, both operands packed on the fly, as the backward). */
static void bench_gemms(xl_kernels *k, int threads, double peak, const char *name, size_t H, size_t I)
{
    const size_t T = 4096;
    struct {
        char what[40];
        size_t in, out;
    } lin[4] = {{"", H, 3 * H}, {"", H, H}, {"", H, I}, {"", I, H}};
    snprintf(lin[0].what, sizeof lin[0].what, "QKV      (%zu -> %zu)", H, 3 * H);
    snprintf(lin[1].what, sizeof lin[1].what, "attn out (%zu -> %zu)", H, H);
    snprintf(lin[2].what, sizeof lin[2].what, "FFN in   (%zu -> %zu)", H, I);
    snprintf(lin[3].what, sizeof lin[3].what, "FFN out  (%zu -> %zu)", I, H);
    float *X = malloc(T * I * sizeof *X), *dY = malloc(T * I * sizeof *dY), *W = malloc(I * I * sizeof *W),
          *dX = malloc(T * I * sizeof *dX), *dW = calloc(I * I, sizeof *dW);
    if (!X || !dY || !W || !dX || !dW) exit(1);
    xl_rng r;
    xl_rng_seed(&r, 3, 0);
    for (size_t i = 0; i < T * I; i++) X[i] = xl_rng_float(&r) - 0.5f, dY[i] = xl_rng_float(&r) - 0.5f;
    for (size_t i = 0; i < I * I; i++) W[i] = xl_rng_float(&r) - 0.5f;
    printf("GEMMs of the step alone, %s shapes, T = %zu tokens, %d thread%s, GFLOP/s per core in CPU time and %% of "
           "the FMA peak (%.1f):\n",
           name, T, threads, threads > 1 ? "s" : "", peak);
    printf("  %-24s %12s %6s | %12s %6s | %13s %6s\n", "layer", "fwd X.W' GF", "%peak", "dX=dY.W GF", "%peak",
           "dW+=dY'.X GF", "%peak");
    double sum_f = 0, sum_fw = 0, sum_bw = 0;
    for (size_t i = 0; i < sizeof lin / sizeof lin[0]; i++) {
        const size_t in = lin[i].in, out = lin[i].out;
        const double flops = 2.0 * (double)T * (double)in * (double)out;
        double best_dx = 1e30, best_dw = 1e30, best_fw = 1e30;
        xl_packed_matrix pw, pdx;
        xl_error err;
        if (xl_pack_b(k, XL_TRANS, in, out, W, in, &pw, &err) < 0 || xl_pack_b(k, XL_NO_TRANS, out, in, W, in, &pdx, &err) < 0)
            die(&err);
        for (int rep = 0; rep < 4; rep++) {
            /* CPU time per thread (the machine is shared: CPU time is disturbed less than wall) */
            clock_t c0 = clock();
            xl_sgemm_packed(k, threads, T, 1.0f, X, in, &pw, 0.0f, dX, out, NULL, XL_ACT_NONE);
            clock_t c1 = clock();
            xl_sgemm_packed(k, threads, T, 1.0f, dY, out, &pdx, 0.0f, dX, in, NULL, XL_ACT_NONE);
            clock_t c2 = clock();
            xl_sgemm_ex(k, threads, XL_TRANS, XL_NO_TRANS, out, in, T, 1.0f, dY, out, X, in, 1.0f, dW, in);
            clock_t c3 = clock();
            double cfw = (double)(c1 - c0) / CLOCKS_PER_SEC / threads, cdx = (double)(c2 - c1) / CLOCKS_PER_SEC / threads,
                   cdw = (double)(c3 - c2) / CLOCKS_PER_SEC / threads;
            if (cfw > 0 && cfw < best_fw) best_fw = cfw;
            if (cdx > 0 && cdx < best_dx) best_dx = cdx;
            if (cdw > 0 && cdw < best_dw) best_dw = cdw;
        }
        xl_packed_free(&pw), xl_packed_free(&pdx);
        sum_f += flops, sum_fw += best_fw, sum_bw += best_dx + best_dw;
        printf("  %-24s %12.1f %5.0f%% | %12.1f %5.0f%% | %13.1f %5.0f%%\n", lin[i].what, flops / best_fw * 1e-9,
               100.0 * flops / best_fw * 1e-9 / peak, flops / best_dx * 1e-9, 100.0 * flops / best_dx * 1e-9 / peak,
               flops / best_dw * 1e-9, 100.0 * flops / best_dw * 1e-9 / peak);
    }
    printf("  %-24s %12.1f %5.0f%% | %28.1f %5.0f%%   (backward = dX + dW)\n", "all four (flop-weighted)",
           sum_f / sum_fw * 1e-9, 100.0 * sum_f / sum_fw * 1e-9 / peak, 2 * sum_f / sum_bw * 1e-9,
           100.0 * 2 * sum_f / sum_bw * 1e-9 / peak);
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
            shape sh = {"default", layers, 256, 4, 1024, 24000, 64};
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
            step(&c, &p, &g, &in, ds, m, v, 1, true, NULL); /* warm-up */
            for (int i = 0; i < steps; i++) {
                double t0 = xl_time_now();
                clock_t c0 = clock();
                step(&c, &p, &g, &in, ds, m, v, (uint64_t)i + 2, true, NULL);
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

/* the CPU's model name from /proc/cpuinfo ("unknown" elsewhere) */
static void cpu_model(char *buf, size_t n)
{
    snprintf(buf, n, "unknown CPU");
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (f == NULL) return;
    char line[256];
    while (fgets(line, sizeof line, f) != NULL)
        if (strncmp(line, "model name", 10) == 0) {
            const char *c = strchr(line, ':');
            if (c != NULL) {
                snprintf(buf, n, "%s", c + 2);
                buf[strcspn(buf, "\n")] = '\0';
            }
            break;
        }
    fclose(f);
}

int main(int argc, char **argv)
{
    bool quick = false, with_torch = true, gemms_only = false;
    int default_steps = 0, only_threads = 0, rounds = 2;
    const char *case_spec = NULL;
    bool profile = false;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--quick") == 0) quick = true, with_torch = false, rounds = 1;
        else if (strcmp(argv[i], "--no-torch") == 0) with_torch = false;
        else if (strcmp(argv[i], "--gemms") == 0) gemms_only = true;
        else if (strncmp(argv[i], "--rounds=", 9) == 0) rounds = atoi(argv[i] + 9);
        else if (strncmp(argv[i], "--case=", 7) == 0) case_spec = argv[i] + 7;
        else if (strcmp(argv[i], "--profile") == 0) profile = true;
        else if (strcmp(argv[i], "--default-encoder") == 0) default_steps = 7;
        else if (strncmp(argv[i], "--default-encoder=", 18) == 0) default_steps = atoi(argv[i] + 18);
        else if (strncmp(argv[i], "--threads=", 10) == 0) only_threads = atoi(argv[i] + 10);
        else {
            fprintf(stderr, "usage: bench_train [--quick] [--no-torch] [--rounds=N] [--gemms] [--case=L,H,NH,I,V,P,BATCH,LEN,THREADS [--profile]]\n"
                            "                   [--default-encoder[=STEPS] [--threads=1|2]]\n");
            return 2;
        }
    }
    if (rounds < 1 || rounds > MAX_ROUNDS) {
        fprintf(stderr, "bench_train: --rounds must be 1..%d\n", MAX_ROUNDS);
        return 2;
    }
    if (case_spec != NULL) {
        train_case tc;
        if (parse_case(case_spec, &tc) < 0) {
            fprintf(stderr, "bench_train: --case=%s: want L,H,NH,I,V,P,BATCH,LEN,THREADS (LEN <= P)\n", case_spec);
            return 2;
        }
        return run_one_case(&tc, 1.0, profile);
    }
    xl_kernels k;
    xl_error err;
    if (xl_kernels_init(&k, XL_SIMD_AUTO, 2, &err) < 0) die(&err);
    const double peak1 = xl_bench_fma_peak_cpu(&k);
    char cpu[128];
    cpu_model(cpu, sizeof cpu);
    double load[3];
    xl_bench_load_averages(load);
    printf("bench_train: %s, path %s (avx512 %s), FMA peak %.1f GFLOP/s per core (CPU time), load average %.1f %.1f "
           "%.1f\n",
           cpu, xl_simd_path_name(k.path), xl_simd_path_available(XL_SIMD_AVX512) ? "available" : "not on this CPU",
           peak1, load[0], load[1], load[2]);
    printf("step = training forward (dropout 0.1 hidden and attention) + mean pooling + L2 + backward + AdamW (lazy word rows)\n");
    if (default_steps > 0) {
        run_default_encoder(&k, default_steps, only_threads);
        xl_kernels_free(&k);
        return 0;
    }
    printf("\n");
    bench_gemms(&k, 1, peak1, "MiniLM-L6", 384, 1536);
    if (gemms_only || !quick) bench_gemms(&k, 1, peak1, "default encoder / small", 256, 1024);
    xl_kernels_free(&k);
    if (gemms_only) return 0;
    if (with_torch && !torch_available()) {
        printf("\nPyTorch: not importable; for the side-by-side run: apt-get install python3-torch (Debian 1.13)\n");
        with_torch = false;
    }
    if (with_torch) {
        printf("\nPyTorch (tests/bench/tools/torch_train_bench.sh):\n");
        fflush(stdout);
        if (system("sh tests/bench/tools/torch_train_bench.sh --info") != 0) with_torch = false;
    }
    printf("\n");
    fflush(stdout);
    char self[4096];
    ssize_t nself = readlink("/proc/self/exe", self, sizeof self - 1);
    if (nself <= 0) snprintf(self, sizeof self, "%s", argv[0]);
    else self[nself] = '\0';
    run_grid(self, rounds, quick, with_torch);
    return 0;
}
