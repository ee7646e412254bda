/* bench_ngram.c - n-gram language model throughput: training tokens/s
 * (counting + modified Kneser-Ney estimation, order 5) and 5-gram queries/s
 * (one xl_ngram_score call per word, KenLM's FullScore equivalent), on the
 * English Wikipedia extract of ../shared/data/mono (skipped when absent).
 * Lines 1..90% train, the rest is scored.
 *   usage: bench_ngram [CORPUS.txt.gz] [ORDER]      ($XLREC_SHARED honoured) */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ngram.h"
#include "xl_io.h"
#include "xl_platform.h"

typedef struct {
    char **lines;
    size_t n, cap;
} lines_t;

static int read_gz(const char *path, lines_t *out, xl_error *err)
{
    char cmd[4200];
    snprintf(cmd, sizeof cmd, "gzip -dc '%s'", path);
    FILE *f = popen(cmd, "r");
    if (f == NULL) return xl_fail(err, XL_ERR_IO, "cannot run gzip");
    xl_lines r;
    xl_lines_from_stream(&r, f, path);
    const char *line;
    size_t len;
    int rc;
    while ((rc = xl_lines_next(&r, &line, &len, err)) > 0) {
        if (out->n == out->cap) {
            out->cap = out->cap ? out->cap * 2 : 1024;
            out->lines = realloc(out->lines, out->cap * sizeof *out->lines);
        }
        out->lines[out->n++] = xl_strndup(line, len, err);
    }
    xl_lines_close(&r);
    pclose(f);
    return rc;
}

int main(int argc, char **argv)
{
    const char *root = getenv("XLREC_SHARED");
    if (root == NULL || root[0] == '\0') root = "../shared";
    char def[4096];
    snprintf(def, sizeof def, "%s/data/mono/en/enwiki_2014_extract.txt.gz", root);
    const char *path = argc > 1 ? argv[1] : def;
    int order = argc > 2 ? atoi(argv[2]) : 5;
    FILE *probe = fopen(path, "rb");
    if (probe == NULL) {
        printf("bench_ngram: %s not found, skipped\n", path);
        return 0;
    }
    fclose(probe);
    printf("command: %s %s %d\n", argv[0], path, order);
    /* the figures depend on what else runs on the machine: say so */
    FILE *load = fopen("/proc/loadavg", "r");
    char loadavg[128];
    if (load != NULL && fgets(loadavg, sizeof loadavg, load) != NULL) printf("load average (1/5/15 min, ...): %s", loadavg);
    if (load != NULL) fclose(load);
    xl_error err;
    lines_t L = {0};
    if (read_gz(path, &L, &err) < 0) {
        fprintf(stderr, "bench_ngram: %s\n", err.msg);
        return 1;
    }
    size_t n_train = L.n * 9 / 10;

    double t0 = xl_time_now();
    xl_ngram_trainer *t = xl_ngram_trainer_new(order, NULL, &err);
    for (size_t i = 0; t && i < n_train; i++)
        if (xl_ngram_trainer_add_line(t, L.lines[i], strlen(L.lines[i]), &err) < 0) {
            fprintf(stderr, "bench_ngram: line %zu: %s\n", i + 1, err.msg);
            return 1;
        }
    double t1 = xl_time_now();
    xl_ngram_train_stats st;
    xl_ngram_model *m = t ? xl_ngram_trainer_estimate(t, &st, &err) : NULL;
    xl_ngram_trainer_free(t);
    if (m == NULL) {
        fprintf(stderr, "bench_ngram: %s\n", err.msg);
        return 1;
    }
    double t2 = xl_time_now();
    uint64_t tokens = st.tokens + st.sentences; /* </s> included */
    printf("train: %zu lines, %llu tokens (+</s>), order %d: counting %.2f s, estimation %.2f s -> %.0f tokens/s\n",
           n_train, (unsigned long long)st.tokens, order, t1 - t0, t2 - t1, (double)tokens / (t2 - t0));
    printf("       n-grams:");
    for (int i = 0; i < order; i++) printf(" %llu", (unsigned long long)st.counts[i]);
    printf("; peak RSS %.0f MB\n", (double)xl_peak_rss_bytes() / 1048576.0);

    /* pre-tokenise the held-out lines into ids, then time the scoring alone */
    size_t cap = 1 << 20, n_ids = 0;
    uint32_t *ids = malloc(cap * sizeof *ids);
    const xl_ngram_vocab *v = xl_ngram_model_vocab(m);
    for (size_t i = n_train; i < L.n; i++) {
        const char *s = L.lines[i];
        while (*s) {
            while (*s == ' ' || *s == '\t') s++;
            if (!*s) break;
            const char *e = s;
            while (*e && *e != ' ' && *e != '\t') e++;
            if (n_ids + 2 >= cap) ids = realloc(ids, (cap *= 2) * sizeof *ids);
            ids[n_ids++] = xl_ngram_vocab_find(v, s, (size_t)(e - s));
            s = e;
        }
        ids[n_ids++] = xl_ngram_model_eos(m); /* sentence end: reset below */
    }
    double best = 0, sum = 0;
    for (int rep = 0; rep < 5; rep++) {
        xl_ngram_state state;
        xl_ngram_state_begin(m, &state);
        double total = 0;
        double q0 = xl_time_now();
        for (size_t i = 0; i < n_ids; i++) {
            total += xl_ngram_score(m, &state, ids[i], &state, NULL);
            if (ids[i] == xl_ngram_model_eos(m)) xl_ngram_state_begin(m, &state);
        }
        double q1 = xl_time_now();
        double qps = (double)n_ids / (q1 - q0);
        if (qps > best) best = qps;
        sum = total;
    }
    printf("query: %zu words of held-out text, %d-gram model: %.2f M queries/s (best of 5; log10 sum %.2f)\n", n_ids,
           order, best / 1e6, sum);
    /* the whole query path: splitting, vocabulary lookup, scoring, KenLM-format text */
    xl_buf out;
    xl_buf_init(&out);
    xl_ngram_corpus_stats acc = {0};
    double q0 = xl_time_now();
    for (size_t i = n_train; i < L.n; i++) {
        xl_buf_clear(&out);
        xl_ngram_query_line(m, L.lines[i], strlen(L.lines[i]), true, &out, NULL, &acc, &err);
    }
    double q1 = xl_time_now();
    printf("query with text output (xlrec ngram query path): %.2f M words/s; perplexity %.2f (OOV %llu of %llu)\n",
           (double)acc.tokens / (q1 - q0) / 1e6, xl_ngram_perplexity(&acc, true), (unsigned long long)acc.oov,
           (unsigned long long)acc.tokens);
    xl_buf_free(&out);
    free(ids);
    xl_ngram_model_free(m);
    for (size_t i = 0; i < L.n; i++) free(L.lines[i]);
    free(L.lines);
    return 0;
}
