/* bench_encoder.c - encoder throughput on random-weight models of real shapes:
 * MiniLM-L6 (6 layers, hidden 384, 12 heads, FFN 1536) and BERT-base (12, 768,
 * 12, 3072), vocabulary 30522, sequence length 16/128/512, batch 1/8, threads
 * 1/2; and the shapes of xlrec's own shipped encoder (issue 15: 4 or 2 layers,
 * hidden 256, 4 heads, FFN 1024, vocabulary 24,000, 64 positions) at 16 and 32
 * tokens, the lengths of the sentences it embeds (max_seq_len 32), batch 1/8/32:
 * tokens/s and achieved GFLOP/s (matrix products only, xl_bert_flops),
 * plus the SGEMM kernel alone on BERT-sized matrices and the peak resident
 * memory.  Models are written to a temporary model file and memory-mapped,
 * as `xlrec embed` does.
 *
 *   build/bench/bench_encoder                 the whole grid (2 models x 16/128/512 tokens x batch
 *                                             1/8 x 1/2 threads; ~3 min, ~6 min with ONNX Runtime)
 *   build/bench/bench_encoder --quick         a representative subset (10 cases)
 *   build/bench/bench_encoder --model minilm --len 128 --batch 8 --threads 1,2 [--reps N] [--min-time S]
 *   build/bench/bench_encoder --model shipped  the shipped encoder's shapes only (xlrec-L4, xlrec-L2),
 *                                             then the shipped file weights/default/xlrec-encoder.xlm
 *                                             itself (as --model-file; the whole grid runs it too)
 *   build/bench/bench_encoder --model-file weights/default/xlrec-encoder.xlm [--onnx shipped_l2.onnx]
 *                                             a real model file (as stored; float16/bfloat16 weights
 *                                             stay 16-bit, as `xlrec embed` keeps them) at the shipped
 *                                             lengths and batches, beside ONNX Runtime on the .onnx file
 *                                             of the same weights in $XLREC_ORT_DIR (`xlrec export` then
 *                                             export_bert_onnx.py --from-hf DIR --name shipped_l2); with
 *                                             --model-file alone no random-weight shape runs unless --model
 *                                             names one
 *   XLREC_SIMD=avx2 ...                       another kernel path
 *   --dtype f32|int8|bf16|f16|int8w7|both|all (default both = f32,int8; a comma list works too; int8w7:
 *                                             int8 with 7-bit weights, --weight-bits 7) the
 *                                             float32 model, the same weights quantised to int8
 *                                             (`xlrec quantize --dtype int8`, opened with
 *                                             XL_MODEL_OPEN_KEEP_I8: the int8 encoder) and/or stored
 *                                             as bf16 / f16 (XL_MODEL_OPEN_KEEP_REDUCED: 16-bit packed
 *                                             weights widened per micro-panel), alternating case by
 *                                             case (which one runs first rotates too), with the
 *                                             ratios to f32
 *
 * Each case is timed as the best of --reps rounds (wall clock) and as tokens per CPU-second of
 * all threads (clock()), which other load on a shared machine disturbs much less.  When ONNX
 * Runtime is set up (see print_ort_setup; $XLREC_ORT_DIR, default /tmp/ort) every case is also run
 * by tests/bench/tools/ort_bench.js on a random-weight ONNX export of the same shape, right after
 * ours (before ours with --ort-first), and both figures are printed side by side with the ratios of
 * the wall-clock and of the CPU-time figures; --no-ort skips it.  The int8 rows are compared with
 * ONNX Runtime's own int8 path: the same export with every weight MatMul dynamically quantised
 * (DynamicQuantizeLinear + MatMulInteger; tests/bench/tools/quantize_onnx_dynamic.py, file NAME_int8.onnx),
 * run right after ONNX Runtime's float32 side.  Run from the repository root.
 */
#define _POSIX_C_SOURCE 200809L /* popen for the ONNX Runtime runner */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bert.h"
#include "xl_bench.h"
#include "xl_kernels.h"
#include "xl_model.h"
#include "xl_platform.h"
#include "xl_rng.h"

typedef struct {
    const char *name;
    int layers, hidden, heads, inter;
    int vocab, max_pos;
    const char *onnx; /* the ONNX Runtime side's file (tests/bench/tools/export_bert_onnx.py) */
    const char *key;  /* --model NAME */
    const char *file; /* a model file to run instead of random weights of this shape (--model-file) */
} shape;

/* The two reference shapes, then the shipped encoder's (docs/export.md, docs/benchmarks.md). */
static const shape shapes[] = {
    {"MiniLM-L6", 6, 384, 12, 1536, 30522, 512, "minilm_l6.onnx", "minilm", NULL},
    {"BERT-base", 12, 768, 12, 3072, 30522, 512, "bert_base.onnx", "bert-base", NULL},
    {"xlrec-L4", 4, 256, 4, 1024, 24000, 64, "xlrec_l4.onnx", "xlrec-l4", NULL},
    {"xlrec-L2", 2, 256, 4, 1024, 24000, 64, "xlrec_l2.onnx", "xlrec-l2", NULL},
};
enum { N_SHAPES = sizeof shapes / sizeof shapes[0] };
/* the shipped encoder (issue 15), run as a file by the whole grid and --model shipped */
#define SHIPPED_MODEL_FILE "weights/default/xlrec-encoder.xlm"
/* default grid of the shipped shapes: the sentence lengths they see, embed's batch sizes */
static const size_t shipped_lens[] = {16, 32}, shipped_batches[] = {1, 8, 32};

static void die(const xl_error *err)
{
    fprintf(stderr, "bench_encoder: %s\n", err->msg);
    exit(1);
}

static void add(xl_model_writer *w, xl_rng *r, const char *name, uint64_t d0, uint64_t d1, float scale)
{
    size_t n = (size_t)(d0 * (d1 ? d1 : 1));
    float *f = malloc(n * sizeof *f);
    if (f == NULL) exit(1);
    for (size_t i = 0; i < n; i++) f[i] = scale * (xl_rng_float(r) - 0.5f);
    if (scale == 0.0f)
        for (size_t i = 0; i < n; i++) f[i] = 1.0f; /* LayerNorm gamma */
    uint64_t shp[2] = {d0, d1};
    xl_error err;
    if (xl_model_writer_add_tensor(w, name, d1 ? 2 : 1, shp, f, free, &err) < 0) die(&err);
}

/* The random-weight model of shape s; dt != F32: its tensors of rank >= 2 stored as dt
 * (`xlrec quantize --dtype`; the same random weights for every dt). */
static void write_model(const shape *s, const char *path, xl_dtype dt, int int8_max)
{
    xl_error err;
    xl_model_writer *w = xl_model_writer_new(&err);
    xl_rng r;
    xl_rng_seed(&r, 1234, 0);
    const uint64_t V = (uint64_t)s->vocab, P = (uint64_t)s->max_pos, H = (uint64_t)s->hidden, I = (uint64_t)s->inter;
    xl_model_writer_set_string(w, "arch", "bert", &err);
    xl_model_writer_set_int(w, "vocab_size", (int64_t)V, &err);
    xl_model_writer_set_int(w, "hidden_size", s->hidden, &err);
    xl_model_writer_set_int(w, "num_layers", s->layers, &err);
    xl_model_writer_set_int(w, "num_heads", s->heads, &err);
    xl_model_writer_set_int(w, "intermediate_size", s->inter, &err);
    xl_model_writer_set_int(w, "max_position", (int64_t)P, &err);
    xl_model_writer_set_int(w, "type_vocab_size", 2, &err);
    xl_model_writer_set_double(w, "layer_norm_eps", 1e-12, &err);
    xl_model_writer_set_string(w, "hidden_act", "gelu", &err);
    xl_model_writer_set_bool(w, "has_pooler", true, &err);
    xl_model_writer_set_string(w, "pooling", "mean", &err);
    xl_model_writer_set_bool(w, "normalize", true, &err);
    xl_model_writer_set_int(w, "max_seq_len", (int64_t)P, &err);
    xl_model_writer_set_int(w, "dense.count", 0, &err);
    add(w, &r, "embeddings.word_embeddings.weight", V, H, 0.1f);
    add(w, &r, "embeddings.position_embeddings.weight", P, H, 0.1f);
    add(w, &r, "embeddings.token_type_embeddings.weight", 2, H, 0.1f);
    add(w, &r, "embeddings.LayerNorm.weight", H, 0, 0.0f);
    add(w, &r, "embeddings.LayerNorm.bias", H, 0, 0.1f);
    char nm[128];
    const char *sq[] = {"attention.self.query", "attention.self.key", "attention.self.value", "attention.output.dense"};
    for (int l = 0; l < s->layers; l++) {
        for (int k = 0; k < 4; k++) {
            snprintf(nm, sizeof nm, "encoder.layer.%d.%s.weight", l, sq[k]);
            add(w, &r, nm, H, H, 0.1f);
            snprintf(nm, sizeof nm, "encoder.layer.%d.%s.bias", l, sq[k]);
            add(w, &r, nm, H, 0, 0.1f);
        }
        snprintf(nm, sizeof nm, "encoder.layer.%d.attention.output.LayerNorm.weight", l);
        add(w, &r, nm, H, 0, 0.0f);
        snprintf(nm, sizeof nm, "encoder.layer.%d.attention.output.LayerNorm.bias", l);
        add(w, &r, nm, H, 0, 0.1f);
        snprintf(nm, sizeof nm, "encoder.layer.%d.intermediate.dense.weight", l);
        add(w, &r, nm, I, H, 0.1f);
        snprintf(nm, sizeof nm, "encoder.layer.%d.intermediate.dense.bias", l);
        add(w, &r, nm, I, 0, 0.1f);
        snprintf(nm, sizeof nm, "encoder.layer.%d.output.dense.weight", l);
        add(w, &r, nm, H, I, 0.1f);
        snprintf(nm, sizeof nm, "encoder.layer.%d.output.dense.bias", l);
        add(w, &r, nm, H, 0, 0.1f);
        snprintf(nm, sizeof nm, "encoder.layer.%d.output.LayerNorm.weight", l);
        add(w, &r, nm, H, 0, 0.0f);
        snprintf(nm, sizeof nm, "encoder.layer.%d.output.LayerNorm.bias", l);
        add(w, &r, nm, H, 0, 0.1f);
    }
    add(w, &r, "pooler.dense.weight", H, H, 0.1f);
    add(w, &r, "pooler.dense.bias", H, 0, 0.1f);
    if (dt != XL_DTYPE_F32 && xl_model_writer_set_reduced_dtype(w, dt, &err) < 0) die(&err);
    if (xl_model_writer_set_int8_max(w, int8_max, &err) < 0) die(&err);
    if (xl_model_writer_write(w, path, &err) < 0) die(&err);
    xl_model_writer_free(w);
}

/* One timed case: `reps` rounds of >= min_time each (forward + mean pooling), the best round kept
 * (the machine is shared: the best is the least disturbed).  Also the process CPU time (clock(),
 * all threads) of that round: tokens per CPU-second is the speed of a core while it runs our code. */
typedef struct {
    double tok_s, gflops, ms, tok_cpu_s;
    size_t rss; /* resident bytes with this case's activations allocated (0: unknown) */
    unsigned long long hash; /* FNV-1a of the last hidden state's bytes (--checksum) */
} case_result;

static case_result run_case(const xl_bert *b, xl_kernels *k, int threads, size_t batch, size_t len, double min_time,
                            int reps)
{
    xl_rng r;
    xl_rng_seed(&r, 99, 0);
    int32_t *ids = malloc(batch * len * sizeof *ids);
    const int32_t **rows = malloc(batch * sizeof *rows);
    size_t *lens = malloc(batch * sizeof *lens);
    if (ids == NULL || rows == NULL || lens == NULL) exit(1);
    for (size_t i = 0; i < batch * len; i++) ids[i] = (int32_t)(1000 + xl_rng_below(&r, 20000));
    for (size_t s = 0; s < batch; s++) {
        rows[s] = ids + s * len;
        lens[s] = len;
    }
    xl_bert_input in = {batch, rows, NULL, NULL, lens};
    xl_bert_acts a;
    xl_bert_acts_init(&a, false);
    float *out = malloc(batch * b->cfg.hidden * sizeof *out);
    xl_error err;
    if (xl_bert_forward(b, k, threads, &in, &a, &err) < 0) die(&err); /* warm-up, allocates */
    double best = 1e30, best_cpu = 1e30;
    for (int rep = 0; rep < reps; rep++) {
        int iters = 0;
        double t0 = xl_time_now(), t;
        clock_t c0 = clock();
        do {
            if (xl_bert_forward(b, k, threads, &in, &a, &err) < 0 ||
                xl_bert_pool(b, k, threads, &in, &a, XL_POOL_MEAN, true, out, &err) < 0)
                die(&err);
            iters++;
            t = xl_time_now() - t0;
        } while (t < min_time || iters < 2);
        double cpu = (double)(clock() - c0) / CLOCKS_PER_SEC / iters;
        if (t / iters < best) best = t / iters;
        if (cpu > 0 && cpu < best_cpu) best_cpu = cpu;
    }
    double flops = xl_bert_flops(&b->cfg, lens, batch), tokens = (double)(batch * len);
    case_result res = {tokens / best, flops / best * 1e-9, best * 1e3, tokens / best_cpu, xl_current_rss_bytes(),
                       14695981039346656037ull};
    const unsigned char *h = (const unsigned char *)xl_bert_last_hidden(b, &a);
    for (size_t i = 0; i < batch * len * b->cfg.hidden * sizeof(float); i++) res.hash = (res.hash ^ h[i]) * 1099511628211ull;
    xl_bert_acts_free(&a);
    free(out);
    free(ids);
    free(rows);
    free(lens);
    return res;
}

/* ---- ONNX Runtime side by side ----------------------------------------------------------------
 * tests/bench/tools/ort_bench.js runs one case with onnxruntime-node (intraOpNumThreads = threads)
 * on a random-weight model of the same shape exported by tests/bench/tools/export_bert_onnx.py, and
 * prints "ort tokens_per_s X cpu_tokens_per_s Y".  Used when $XLREC_ORT_DIR (default /tmp/ort) holds
 * node_modules/onnxruntime-node and the .onnx files. */
static const char *ort_dir(void)
{
    const char *d = getenv("XLREC_ORT_DIR");
    return d && d[0] ? d : "/tmp/ort";
}

static bool readable(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (f) fclose(f);
    return f != NULL;
}

static bool ort_ready(const char *model_file)
{
    char p[1024];
    snprintf(p, sizeof p, "%s/node_modules/onnxruntime-node/package.json", ort_dir());
    if (!readable(p)) return false;
    snprintf(p, sizeof p, "%s/%s", ort_dir(), model_file);
    return readable(p) && readable("tests/bench/tools/ort_bench.js");
}

static void print_ort_setup(void)
{
    printf("\n# ONNX Runtime side by side: not set up (looked for %s/node_modules/onnxruntime-node and\n"
           "# %s/{minilm_l6,bert_base,xlrec_l4,xlrec_l2}.onnx, and tests/bench/tools/ort_bench.js from the repository root).\n"
           "# Set it up with (the postinstall script only fetches CUDA libraries; skip it):\n"
           "#   mkdir -p /tmp/ort && (cd /tmp/ort && npm init -y >/dev/null &&\n"
           "#     ONNXRUNTIME_NODE_INSTALL_CUDA=skip npm install onnxruntime-node)\n"
           "#   apt-get install -y python3-torch   # Debian's torch, for the export\n"
           "#   /usr/bin/python3 tests/bench/tools/export_bert_onnx.py --out /tmp/ort\n"
           "# and for the shipped model file itself (its weights in the same graph):\n"
           "#   build/xlrec export " SHIPPED_MODEL_FILE " -o /tmp/ort/shipped_hf\n"
           "#   /usr/bin/python3 tests/bench/tools/export_bert_onnx.py --from-hf /tmp/ort/shipped_hf --name shipped_l2 --out /tmp/ort\n"
           "# then rerun from the repository root (XLREC_ORT_DIR=DIR for another folder).\n",
           ort_dir(), ort_dir());
}

static bool run_ort(const char *model_file, int threads, size_t batch, size_t len, double min_time, int reps,
                    case_result *res)
{
    char cmd[2048];
    snprintf(cmd, sizeof cmd,
             "node tests/bench/tools/ort_bench.js --ort '%s' --model '%s/%s' --len %zu --batch %zu --threads %d "
             "--min-time %g --reps %d",
             ort_dir(), ort_dir(), model_file, len, batch, threads, min_time, reps);
    FILE *p = popen(cmd, "r");
    if (p == NULL) return false;
    char line[512];
    bool ok = false;
    while (fgets(line, sizeof line, p)) {
        double tok, cpu;
        if (sscanf(line, "ort tokens_per_s %lf cpu_tokens_per_s %lf", &tok, &cpu) == 2) {
            res->tok_s = tok;
            res->tok_cpu_s = cpu;
            ok = true;
        }
    }
    return pclose(p) == 0 && ok;
}

static void bench_sgemm(xl_kernels *k, int threads, size_t M, size_t N, size_t K)
{
    xl_rng r;
    xl_rng_seed(&r, 5, 0);
    xl_error err;
    float *A = malloc(M * K * sizeof *A), *W = malloc(N * K * sizeof *W), *C = malloc(M * N * sizeof *C);
    for (size_t i = 0; i < M * K; i++) A[i] = xl_rng_float(&r);
    for (size_t i = 0; i < N * K; i++) W[i] = xl_rng_float(&r);
    xl_packed_matrix pw;
    if (xl_pack_b(k, XL_TRANS, K, N, W, K, &pw, &err) < 0) die(&err);
    xl_sgemm_packed(k, threads, M, 1.0f, A, K, &pw, 0.0f, C, N, NULL, XL_ACT_NONE);
    int iters = 0;
    double t0 = xl_time_now(), t;
    do {
        xl_sgemm_packed(k, threads, M, 1.0f, A, K, &pw, 0.0f, C, N, NULL, XL_ACT_NONE);
        iters++;
        t = xl_time_now() - t0;
    } while (t < 0.5 || iters < 3);
    printf("sgemm_packed %s M=%zu N=%zu K=%zu threads %d: %.1f GFLOP/s\n", xl_simd_path_name(k->path), M, N, K, threads,
           2.0 * (double)M * (double)N * (double)K * iters / t * 1e-9);
    xl_packed_free(&pw);
    free(A);
    free(W);
    free(C);
}

/* "16,128" -> values; returns the count */
static size_t parse_list(const char *s, size_t *v, size_t cap)
{
    size_t n = 0;
    while (*s && n < cap) {
        char *end;
        unsigned long x = strtoul(s, &end, 10);
        if (end == s || x == 0) break;
        v[n++] = x;
        s = *end == ',' ? end + 1 : end;
    }
    return n;
}

/* int8w7: int8 with 7-bit weights (`xlrec quantize --dtype int8 --weight-bits 7`) */
enum { N_DT = 5 };
static const char *const dt_names[N_DT] = {"f32", "int8", "bf16", "f16", "int8w7"};
static const xl_dtype dt_types[N_DT] = {XL_DTYPE_F32, XL_DTYPE_I8, XL_DTYPE_BF16, XL_DTYPE_F16, XL_DTYPE_I8};

/* "bert_base.onnx" -> "bert_base_int8.onnx" */
static const char *onnx_int8_name(const char *f32_name, char *buf, size_t cap)
{
    const char *dot = strrchr(f32_name, '.');
    int stem = dot ? (int)(dot - f32_name) : (int)strlen(f32_name);
    snprintf(buf, cap, "%.*s_int8.onnx", stem, f32_name);
    return buf;
}

static void usage(const char *argv0)
{
    fprintf(stderr,
            "usage: %s [--model minilm|bert-base|xlrec-l4|xlrec-l2|shipped|all] [--model-file PATH [--onnx FILE]]\n"
            "       [--len L,..] [--batch B,..] [--threads T,..] [--reps N]\n"
            "       [--min-time S] [--quick] [--no-ort] [--ort-first] [--no-sgemm] [--checksum]\n"
            "       [--dtype f32|int8|bf16|f16|int8w7|both|all|LIST]\n",
            argv0);
    exit(2);
}

int main(int argc, char **argv)
{
    bool full = true; /* --quick: the subset */
    bool custom = false, custom_len = false, custom_batch = false, ort_first = false;
    bool use_ort = true, do_sgemm = true, checksum = false;
    int model_mask = (1 << N_SHAPES) - 1, reps = 3;
    bool model_named = false;
    const char *model_file = NULL, *model_onnx = "shipped_l2.onnx";
    /* dtype index: 0 f32, 1 int8, 2 bf16, 3 f16 (the random-weight shapes; a --model-file runs as stored) */
    bool want_dt[N_DT] = {true, true, false, false, false};
    double min_time = 0.3;
    size_t lens[8] = {16, 128, 512}, batches[8] = {1, 8}, threads_list[8] = {1, 2};
    size_t n_lens = 3, n_batches = 2, n_threads = 2;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--no-ort") == 0) use_ort = false;
        else if (strcmp(a, "--ort-first") == 0) ort_first = true;
        else if (strcmp(a, "--quick") == 0) full = false;
        else if (strcmp(a, "--no-sgemm") == 0) do_sgemm = false;
        else if (strcmp(a, "--checksum") == 0) checksum = true;
        else if (v == NULL) usage(argv[0]);
        else if (strcmp(a, "--model") == 0) {
            model_mask = strcmp(v, "all") == 0 ? (1 << N_SHAPES) - 1 : strcmp(v, "shipped") == 0 ? 4 | 8 : 0;
            for (int si = 0; si < N_SHAPES; si++)
                if (strcmp(v, shapes[si].key) == 0) model_mask = 1 << si;
            if (model_mask == 0) usage(argv[0]);
            model_named = true;
            i++;
        } else if (strcmp(a, "--model-file") == 0) model_file = argv[++i];
        else if (strcmp(a, "--onnx") == 0) model_onnx = argv[++i]; else if (strcmp(a, "--len") == 0) n_lens = parse_list(argv[++i], lens, 8), custom = custom_len = true;
        else if (strcmp(a, "--batch") == 0) n_batches = parse_list(argv[++i], batches, 8), custom = custom_batch = true;
        else if (strcmp(a, "--threads") == 0) n_threads = parse_list(argv[++i], threads_list, 8), custom = true;
        else if (strcmp(a, "--reps") == 0) reps = atoi(argv[++i]);
        else if (strcmp(a, "--dtype") == 0) {
            bool any = false;
            for (int d = 0; d < N_DT; d++) {
                /* v is a comma list of names, or both (f32,int8) / all */
                const char *n = dt_names[d];
                size_t ln = strlen(n);
                bool in_list = false;
                for (const char *q = v; (q = strstr(q, n)) != NULL; q += ln)
                    if ((q == v || q[-1] == ',') && (q[ln] == '\0' || q[ln] == ',')) in_list = true;
                want_dt[d] = in_list || strcmp(v, "all") == 0 || (strcmp(v, "both") == 0 && d < 2);
                any |= want_dt[d];
            }
            if (!any) usage(argv[0]);
            i++;
        }
        else if (strcmp(a, "--min-time") == 0) min_time = atof(argv[++i]);
        else usage(argv[0]);
    }
    if (n_lens == 0 || n_batches == 0 || n_threads == 0 || reps < 1) usage(argv[0]);
    if (custom) full = true; /* an explicit grid is run whole */
    if (model_file != NULL && !model_named) model_mask = 0; /* the file alone */
    /* the whole grid and --model shipped also run the shipped encoder file itself, when the source
     * tree has it (run from the repository root), after the random-weight shapes */
    if (model_file == NULL && (model_mask & (4 | 8)) == (4 | 8) && readable(SHIPPED_MODEL_FILE))
        model_file = SHIPPED_MODEL_FILE;
    xl_error err;
    xl_kernels k;
    if (xl_kernels_init(&k, XL_SIMD_AUTO, 2, &err) < 0) die(&err);
    printf("# bench_encoder: %s, kernel path %s, %d CPUs, load average %.1f at start\n",
           full ? "full grid" : "subset (--quick)", xl_simd_path_name(k.path),
           xl_cpu_count(), xl_bench_load_average());
    printf("# command:");
    for (int i = 0; i < argc; i++) printf(" %s", argv[i]);
    printf("\n# tokens/s: best of %d rounds of >= %.2f s (wall clock); tok/cpu-s: tokens per CPU-second of all\n"
           "# threads (a core's speed while it runs this code: robust to other load, not a wall figure)\n",
           reps, min_time);
    /* measured 1-thread peaks: float32 FMA chains, and the path's int8 multiply-accumulate chains
     * (AVX2: vpmaddubsw + vpmaddwd + vpaddd; VNNI: vpdpbusd); the %core column is a row's matrix
     * product rate per CPU-second against the peak of its arithmetic (int8 rows: the int8 peak,
     * though their attention products run in float32) */
    const double peak_f32 = xl_bench_fma_peak_cpu(&k), peak_i8 = xl_bench_int8_peak_cpu(&k);
    printf("# peaks of one core per CPU-second, measured: float32 FMA %.1f GFLOP/s, int8 %.1f GOP/s%s\n", peak_f32, peak_i8,
           peak_i8 > 0 ? (k.has_vnni ? " (vpdpbusd)" : " (vpmaddubsw + vpmaddwd)") : " (no int8 probe on this path)");
    if (do_sgemm) {
        bench_sgemm(&k, 1, 1024, 3072, 768); /* BERT-base FFN-in on 8 x 128 tokens */
        bench_sgemm(&k, 2, 1024, 3072, 768);
    }
    bool any_ort = false;
    const char *tmpdir = getenv("TMPDIR");
    char path[512];
    snprintf(path, sizeof path, "%s/xlrec-bench-model.xlm", tmpdir && tmpdir[0] ? tmpdir : "/tmp");
    for (size_t si = 0; si <= N_SHAPES; si++) {
        /* si == N_SHAPES: the --model-file, run as stored (opened as `xlrec embed` opens it: int8 and
         * 16-bit weights kept), its shape read from the file below */
        shape file_shape = {"model file", 0, 0, 0, 0, 0, 0, model_onnx, "file", model_file};
        if (si < N_SHAPES ? !(model_mask & (1 << si)) : model_file == NULL) continue;
        const shape *s = si < N_SHAPES ? &shapes[si] : &file_shape;
        bool want[N_DT];
        for (int d = 0; d < N_DT; d++) want[d] = s->file != NULL ? d == 0 : want_dt[d];
        /* each dtype's model loaded alone, its resident growth measured */
        xl_model *m[N_DT] = {NULL};
        xl_bert *b[N_DT] = {NULL};
        size_t rss_before[N_DT] = {0}, rss_loaded[N_DT] = {0}, rss_max[N_DT] = {0}, rss_len = 0, rss_batch = 0;
        int d0 = -1, n_want = 0;
        for (int d = 0; d < N_DT; d++) {
            if (!want[d]) continue;
            if (d0 < 0) d0 = d;
            n_want++;
            if (s->file == NULL) write_model(s, path, dt_types[d], d == 4 ? 63 : 127);
            rss_before[d] = xl_current_rss_bytes();
            if (xl_model_open_ex(&m[d], s->file ? s->file : path, XL_MODEL_OPEN_KEEP_I8 | XL_MODEL_OPEN_KEEP_REDUCED, &err) < 0)
                die(&err);
            if (s->file == NULL) remove(path); /* the mapping stays valid */
            if (xl_bert_from_model(&b[d], m[d], &k, &err) < 0) die(&err);
            rss_loaded[d] = xl_current_rss_bytes();
        }
        if (s->file != NULL) {
            file_shape.layers = (int)b[d0]->cfg.n_layers, file_shape.hidden = (int)b[d0]->cfg.hidden;
            file_shape.heads = (int)b[d0]->cfg.n_heads, file_shape.inter = (int)b[d0]->cfg.intermediate;
            file_shape.vocab = (int)b[d0]->cfg.vocab_size, file_shape.max_pos = (int)b[d0]->cfg.max_position;
            if (b[d0]->cfg.vocab_size < 21000) { /* run_case draws ids from [1000, 21000) */
                fprintf(stderr, "bench_encoder: %s: vocabulary of %zu ids, the benchmark needs at least 21000\n",
                        s->file, b[d0]->cfg.vocab_size);
                exit(1);
            }
            printf("\nmodel file %s", s->file);
        }
        bool ort = use_ort && ort_ready(s->onnx);
        char i8name[256];
        bool ort8 = use_ort && (want[1] || want[4]) && ort_ready(onnx_int8_name(s->onnx, i8name, sizeof i8name));
        any_ort |= ort;
        printf("\n%s: %zu layers, hidden %zu, %zu heads, FFN %zu, %.1f M parameters", s->name, b[d0]->cfg.n_layers,
               b[d0]->cfg.hidden, b[d0]->cfg.n_heads, b[d0]->cfg.intermediate,
               (double)xl_model_param_count(m[d0]) * 1e-6);
        for (int d = 0; d < N_DT; d++)
            if (want[d])
                printf(", %s file %.1f MB (mapped: %s%s)", s->file ? "model" : dt_names[d], (double)xl_model_file_size(m[d]) * 1e-6,
                       xl_model_is_mapped(m[d]) ? "yes" : "no",
                       dt_types[d] == XL_DTYPE_I8 ? (b[d]->n_int8_linear ? ", int8 linear layers" : ", NOT int8")
                       : d > 1 ? (b[d]->n_16bit_linear ? ", 16-bit packed weights" : ", NOT 16-bit") : "");
        if (ort8) printf("\nONNX Runtime int8: %s/%s (dynamic quantisation of every weight MatMul)", ort_dir(), i8name);
        printf("\n%6s %5s %7s %5s %10s %8s %9s %10s", "seqlen", "batch", "threads", "dtype", "tokens/s", "GFLOP/s",
               "ms/batch", "tok/cpu-s");
        if (want[0] && n_want > 1) printf(" %6s %6s", "x/f32", "cpu");
        printf(" %6s", "%core");
        if (ort) printf(" | %10s %10s %7s %7s", "ORT tok/s", "tok/cpu-s", "xl/ORT", "cpu x/O");
        printf(" %5s\n", "load");
        /* the shipped shapes have their own lengths and batches unless the grid is given */
        const bool shipped = s->max_pos < 512;
        const bool own_len = shipped && !custom_len, own_batch = shipped && !custom_batch;
        const size_t *L = own_len ? shipped_lens : lens, *Bs = own_batch ? shipped_batches : batches;
        const size_t nL = own_len ? 2 : n_lens, nB = own_batch ? 3 : n_batches;
        int case_no = 0;
        for (size_t li = 0; li < nL; li++)
            for (size_t bi = 0; bi < nB; bi++)
                for (size_t ti = 0; ti < n_threads; ti++) {
                    size_t len = L[li], bs = Bs[bi];
                    int th = (int)threads_list[ti];
                    if (len > (size_t)s->max_pos) continue;
                    if (!full && shipped) {
                        if (!(len == 32 && bs != 1) && !(len == 16 && bs == 8)) continue; /* subset */
                    } else if (!full) {
                        /* subset: every length at batch 8 on 1 and 2 threads for MiniLM; BERT-base at 128 */
                        bool keep = si == 0 ? (bs == 8 || len == 16) && !(len == 512 && th == 1)
                                            : (len == 128 && bs == 8) || (len == 16 && bs == 1 && th == 1);
                        if (!keep) continue;
                    }
                    double load = xl_bench_load_average();
                    /* --ort-first: ONNX Runtime's side of each case runs before ours (order bias under load) */
                    case_result o = {0, 0, 0, 0, 0, 0}, o8 = {0, 0, 0, 0, 0, 0};
                    bool ort_ok = ort && ort_first && run_ort(s->onnx, th, bs, len, min_time, reps, &o);
                    bool ort8_ok = ort8 && ort_first && run_ort(i8name, th, bs, len, min_time, reps, &o8);
                    case_result x[N_DT];
                    memset(x, 0, sizeof x);
                    /* the dtypes alternate, and which of them goes first rotates from case to case */
                    for (int j = 0; j < N_DT; j++) {
                        int d = (case_no + j) % N_DT;
                        if (want[d]) x[d] = run_case(b[d], &k, th, bs, len, min_time, reps);
                    }
                    case_no++;
                    if (ort && !ort_first) ort_ok = run_ort(s->onnx, th, bs, len, min_time, reps, &o);
                    if (ort8 && !ort_first) ort8_ok = run_ort(i8name, th, bs, len, min_time, reps, &o8);
                    for (int d = 0; d < N_DT; d++) {
                        if (!want[d]) continue;
                        printf("%6zu %5zu %7d %5s %10.0f %8.1f %9.2f %10.0f", len, bs, th, s->file ? "file" : dt_names[d], x[d].tok_s,
                               x[d].gflops, x[d].ms, x[d].tok_cpu_s);
                        if (want[0] && n_want > 1) {
                            if (d > 0) printf(" %5.2fx %5.2fx", x[d].tok_s / x[0].tok_s, x[d].tok_cpu_s / x[0].tok_cpu_s);
                            else printf(" %6s %6s", "", "");
                        }
                        const double pk = dt_types[d] == XL_DTYPE_I8 ? peak_i8 : peak_f32;
                        if (pk > 0 && x[d].tok_s > 0)
                            printf(" %5.0f%%", 100.0 * x[d].gflops / x[d].tok_s * x[d].tok_cpu_s / pk);
                        else printf(" %6s", "-");
                        if (x[d].rss > rss_max[d]) rss_max[d] = x[d].rss, rss_len = len, rss_batch = bs;
                        if (ort) {
                            /* f32 and 16-bit rows beside ORT float32, the int8 row beside ORT int8 */
                            const bool use8 = dt_types[d] == XL_DTYPE_I8 && ort8;
                            const case_result *oc = use8 ? &o8 : &o;
                            if (use8 ? ort8_ok : ort_ok)
                                printf(" | %10.0f %10.0f %7.2f %7.2f%s", oc->tok_s, oc->tok_cpu_s, x[d].tok_s / oc->tok_s,
                                       x[d].tok_cpu_s / oc->tok_cpu_s, use8 ? " (ORT int8)" : "");
                            else printf(" | %10s %10s %7s %7s", "failed", "", "", "");
                        }
                        printf(" %5.1f", load);
                        if (checksum) printf(" %016llx", x[d].hash);
                        printf("\n");
                    }
                    fflush(stdout);
                }
        for (int d = 0; d < N_DT; d++)
            if (want[d] && rss_loaded[d] > 0)
                printf("resident memory %-4s: %.1f MB after loading (+%.1f MB for this model: %s; the file's pages "
                       "of them released), %.1f MB with the activations of %zu x %zu tokens\n",
                       dt_names[d], (double)rss_loaded[d] / 1048576.0,
                       ((double)rss_loaded[d] - (double)rss_before[d]) / 1048576.0,
                       dt_types[d] == XL_DTYPE_I8 ? "int8 weights, no float32 copy"
                       : d > 1 ? "16-bit packed weights, no float32 copy" : "packed float32 weights",
                       (double)rss_max[d] / 1048576.0, rss_batch, rss_len);
        if (n_want > 1)
            printf("(several models in one process: a later one's figure reuses heap pages an earlier one left; run\n"
                   " one --dtype at a time for clean resident figures)\n");
        for (int d = 0; d < N_DT; d++) {
            xl_bert_free(b[d]);
            xl_model_close(m[d]);
        }
    }
    if (use_ort && !any_ort) print_ort_setup();
    printf("\npeak resident memory of the process: %.1f MB (includes writing the random-weight model files)\n",
           (double)xl_peak_rss_bytes() / 1048576.0);
    xl_kernels_free(&k);
    return 0;
}
