/* bench_encoder.c - encoder throughput on random-weight models of real shapes:
 * MiniLM-L6 (6 layers, hidden 384, 12 heads, FFN 1536) and BERT-base (12, 768,
 * 12, 3072), vocabulary 30522, sequence length 16/128/512, batch 1/8, threads
 * 1/2: tokens/s and achieved GFLOP/s (matrix products only, xl_bert_flops),
 * plus the SGEMM kernel alone on BERT-sized matrices and the peak resident
 * memory.  Models are written to a temporary model file and memory-mapped,
 * as `xlrec embed` does.
 *
 *   build/bench/bench_encoder                 representative subset (~1 min)
 *   XLREC_BENCH_FULL=1 build/bench/bench_encoder   the whole grid
 *   XLREC_SIMD=avx2 ...                       another kernel path
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bert.h"
#include "xl_kernels.h"
#include "xl_model.h"
#include "xl_platform.h"
#include "xl_rng.h"

typedef struct {
    const char *name;
    int layers, hidden, heads, inter;
} shape;

static const shape shapes[] = {{"MiniLM-L6", 6, 384, 12, 1536}, {"BERT-base", 12, 768, 12, 3072}};

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

static void write_model(const shape *s, const char *path)
{
    xl_error err;
    xl_model_writer *w = xl_model_writer_new(&err);
    xl_rng r;
    xl_rng_seed(&r, 1234, 0);
    const uint64_t V = 30522, P = 512, H = (uint64_t)s->hidden, I = (uint64_t)s->inter;
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
    if (xl_model_writer_write(w, path, &err) < 0) die(&err);
    xl_model_writer_free(w);
}

/* Time forward + mean pooling for batch x seq_len tokens. */
static void run_case(const xl_bert *b, xl_kernels *k, int threads, size_t batch, size_t len, double min_time)
{
    xl_rng r;
    xl_rng_seed(&r, 99, 0);
    int32_t *ids = malloc(batch * len * sizeof *ids);
    const int32_t **rows = malloc(batch * sizeof *rows);
    size_t *lens = malloc(batch * sizeof *lens);
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
    int iters = 0;
    double t0 = xl_time_now(), t;
    do {
        if (xl_bert_forward(b, k, threads, &in, &a, &err) < 0 ||
            xl_bert_pool(b, k, threads, &in, &a, XL_POOL_MEAN, true, out, &err) < 0)
            die(&err);
        iters++;
        t = xl_time_now() - t0;
    } while (t < min_time || iters < 2);
    double per = t / iters, flops = xl_bert_flops(&b->cfg, lens, batch);
    printf("%-10s %6zu %6zu %8d %12.0f %10.1f %10.2f\n", "", len, batch, threads, (double)(batch * len) / per,
           flops / per * 1e-9, per * 1e3);
    fflush(stdout);
    xl_bert_acts_free(&a);
    free(out);
    free(ids);
    free(rows);
    free(lens);
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

int main(void)
{
    const char *full_env = getenv("XLREC_BENCH_FULL");
    const bool full = full_env != NULL && full_env[0] == '1';
    xl_error err;
    xl_kernels k;
    if (xl_kernels_init(&k, XL_SIMD_AUTO, 2, &err) < 0) die(&err);
    printf("# bench_encoder: %s, kernel path %s, %d CPUs%s\n", full ? "full grid" : "default subset (XLREC_BENCH_FULL=1 for all)",
           xl_simd_path_name(k.path), xl_cpu_count(), "");
    printf("# command: %sbuild/bench/bench_encoder\n", full ? "XLREC_BENCH_FULL=1 " : "");
    bench_sgemm(&k, 1, 1024, 3072, 768); /* BERT-base FFN-in on 8 x 128 tokens */
    bench_sgemm(&k, 2, 1024, 3072, 768);
    const char *tmpdir = getenv("TMPDIR");
    char path[512];
    snprintf(path, sizeof path, "%s/xlrec-bench-model.xlm", tmpdir && tmpdir[0] ? tmpdir : "/tmp");
    for (size_t si = 0; si < sizeof shapes / sizeof shapes[0]; si++) {
        const shape *s = &shapes[si];
        write_model(s, path);
        xl_model *m;
        if (xl_model_open(&m, path, &err) < 0) die(&err);
        remove(path); /* the mapping stays valid */
        xl_bert *b;
        if (xl_bert_from_model(&b, m, &k, &err) < 0) die(&err);
        printf("\n%s: %zu layers, hidden %zu, %zu heads, FFN %zu, %.1f M parameters, file %.1f MB (mapped: %s)\n", s->name,
               b->cfg.n_layers, b->cfg.hidden, b->cfg.n_heads, b->cfg.intermediate, (double)xl_model_param_count(m) * 1e-6,
               (double)xl_model_file_size(m) * 1e-6, xl_model_is_mapped(m) ? "yes" : "no");
        printf("%-10s %6s %6s %8s %12s %10s %10s\n", "", "seqlen", "batch", "threads", "tokens/s", "GFLOP/s", "ms/batch");
        static const size_t lens[] = {16, 128, 512};
        static const size_t batches[] = {1, 8};
        for (size_t li = 0; li < 3; li++)
            for (size_t bi = 0; bi < 2; bi++)
                for (int th = 1; th <= 2; th++) {
                    size_t len = lens[li], bs = batches[bi];
                    if (!full) {
                        /* subset: every length at batch 8 on 1 and 2 threads for MiniLM; BERT-base at 128 */
                        bool keep = si == 0 ? (bs == 8 || len == 16) && !(len == 512 && th == 1)
                                            : (len == 128 && bs == 8) || (len == 16 && bs == 1 && th == 1);
                        if (!keep) continue;
                    }
                    run_case(b, &k, th, bs, len, full ? 1.0 : 0.5);
                }
        xl_bert_free(b);
        xl_model_close(m);
    }
    printf("\npeak resident memory: %.1f MB\n", (double)xl_peak_rss_bytes() / 1048576.0);
    xl_kernels_free(&k);
    return 0;
}
