/* bench_ngram.c - n-gram language model throughput: training tokens/s
 * (counting + modified Kneser-Ney estimation, order 5) and 5-gram queries/s
 * (one xl_ngram_score call per word, KenLM's FullScore equivalent), on the
 * English Wikipedia extract of ../shared/data/mono (skipped when absent).
 * Lines 1..90% train, the rest is scored.
 *
 * Then, when KenLM's programs are found ($XLREC_KENLM, ../refs-build/kenlm/
 * build/bin or /tmp/kenlm/build/bin; otherwise it says how to build them),
 * xlrec's CLI ($XLREC_BIN, default build/xlrec) and KenLM's side by side on
 * the same files, back to back, NGRAM_BENCH_REPEATS rounds (default 3), the
 * load average printed before each round (the machine is shared):
 *   train     xlrec ngram train -o K        vs  lmplz -o K -S 1G   (ARPA compared byte for byte)
 *   binary    xlrec ngram build-binary      vs  build_binary (probing)
 *   load      query on empty input: the time and peak RSS of loading the binary model
 *   query     per-word output of the held-out text repeated 10x (query's default
 *             output, compared byte for byte), tokens per second of the whole
 *             run and with the load time taken off
 *   quantised xlrec build-binary -q 8 -b 8 (probing) vs build_binary -q 8 -b 8 trie
 *             (KenLM quantises only its trie): time, file size, load, query
 *             time and the perplexities each side prints (not byte-compared:
 *             quantised values differ from the ARPA's by design)
 * Wall time, CPU time (user + sys of the child) and peak RSS (wait4, xl_bench_spawn) are
 * printed for each; K = NGRAM_BENCH_ORDER (default 4).
 *   usage: bench_ngram [CORPUS.txt.gz] [ORDER]      ($XLREC_SHARED honoured) */
#define _DEFAULT_SOURCE /* popen, mkdtemp, access */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ngram.h"
#include "xl_bench.h"
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

/* ---------------------------------------------------------- versus KenLM */

static bool same_file(const char *a, const char *b)
{
    FILE *fa = fopen(a, "rb"), *fb = fopen(b, "rb");
    bool same = fa && fb;
    while (same) {
        int ca = getc(fa), cb = getc(fb);
        if (ca != cb) same = false;
        if (ca == EOF || cb == EOF) break;
    }
    if (fa) fclose(fa);
    if (fb) fclose(fb);
    return same;
}

static long long file_bytes(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) return -1;
    long long n = fseek(f, 0, SEEK_END) == 0 ? (long long)ftell(f) : -1;
    fclose(f);
    return n;
}

/* The "Perplexity including OOVs:" value of a query output file (0 when absent). */
static double output_perplexity(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) return 0;
    char line[4096];
    double ppl = 0;
    while (fgets(line, sizeof line, f) != NULL)
        if (strncmp(line, "Perplexity including OOVs:", 26) == 0) ppl = strtod(line + 26, NULL);
    fclose(f);
    return ppl;
}

static void print_load(const char *when)
{
    double l[3];
    if (xl_bench_load_averages(l) == 0) printf("  [%s] load average: %.2f %.2f %.2f\n", when, l[0], l[1], l[2]);
}

static void row(const char *what, const char *who, xl_bench_proc r, double tokens)
{
    printf("    %-26s %-6s wall %7.2f s  cpu %7.2f s  peak RSS %7.1f MB", what, who, r.wall, r.cpu, (double)r.rss_kb / 1024.0);
    if (tokens > 0) printf("  %6.2f M tokens/s wall, %6.2f M/s cpu", tokens / r.wall / 1e6, tokens / r.cpu / 1e6);
    if (r.status != 0) printf("  EXIT %d", r.status);
    printf("\n");
}

static const char *find_kenlm(char *buf, size_t cap)
{
    const char *env = getenv("XLREC_KENLM");
    const char *cands[] = {env, "../refs-build/kenlm/build/bin", "/tmp/kenlm/build/bin"};
    for (size_t i = 0; i < sizeof cands / sizeof cands[0]; i++) {
        if (cands[i] == NULL || cands[i][0] == '\0') continue;
        snprintf(buf, cap, "%s/query", cands[i]);
        if (access(buf, X_OK) == 0) {
            snprintf(buf, cap, "%s", cands[i]);
            return buf;
        }
    }
    return NULL;
}

static void versus_kenlm(const lines_t *L, size_t n_train, const char *root)
{
    char kdir[2048];
    if (find_kenlm(kdir, sizeof kdir) == NULL) {
        printf("versus KenLM: skipped, KenLM not found ($XLREC_KENLM, ../refs-build/kenlm/build/bin, "
               "/tmp/kenlm/build/bin).  Build it outside the repository (%s/tools/refs/README.md):\n"
               "  apt-get install -y cmake libboost-program-options-dev libboost-system-dev libboost-thread-dev "
               "libboost-test-dev zlib1g-dev\n"
               "  tar -xzf %s/tools/refs/kenlm-*.tar.gz -C /tmp && cmake -S /tmp/kenlm -B /tmp/kenlm/build "
               "-DCMAKE_BUILD_TYPE=Release && make -C /tmp/kenlm/build -j2 lmplz query build_binary\n",
               root, root);
        return;
    }
    const char *xbin = getenv("XLREC_BIN");
    if (xbin == NULL || xbin[0] == '\0') xbin = "build/xlrec";
    if (access(xbin, X_OK) != 0) {
        printf("versus KenLM: skipped, %s is not an executable (set XLREC_BIN)\n", xbin);
        return;
    }
    const int order = getenv("NGRAM_BENCH_ORDER") ? atoi(getenv("NGRAM_BENCH_ORDER")) : 4;
    const int repeats = getenv("NGRAM_BENCH_REPEATS") ? atoi(getenv("NGRAM_BENCH_REPEATS")) : 3;
    char dir[] = "/tmp/xlrec-bench-ngram-XXXXXX";
    if (mkdtemp(dir) == NULL) {
        printf("versus KenLM: skipped, no temporary directory\n");
        return;
    }
    char train[4200], test[4200], xarpa[4200], karpa[4200], xbin_m[4200], kbin_m[4200], xout[4200], kout[4200],
        tmp[4200], xq_m[4200], kq_m[4200];
    snprintf(train, sizeof train, "%s/train.txt", dir);
    snprintf(test, sizeof test, "%s/test10.txt", dir);
    snprintf(xarpa, sizeof xarpa, "%s/xlrec.arpa", dir);
    snprintf(karpa, sizeof karpa, "%s/lmplz.arpa", dir);
    snprintf(xbin_m, sizeof xbin_m, "%s/xlrec.xlb", dir);
    snprintf(kbin_m, sizeof kbin_m, "%s/kenlm.probing", dir);
    snprintf(xout, sizeof xout, "%s/xlrec.query", dir);
    snprintf(kout, sizeof kout, "%s/kenlm.query", dir);
    snprintf(tmp, sizeof tmp, "%s", dir);
    snprintf(xq_m, sizeof xq_m, "%s/xlrec.q8.xlb", dir);
    snprintf(kq_m, sizeof kq_m, "%s/kenlm.q8.trie", dir);
    FILE *f = fopen(train, "wb");
    for (size_t i = 0; f && i < n_train; i++) fprintf(f, "%s\n", L->lines[i]);
    if (f) fclose(f);
    double test_tokens = 0;
    f = fopen(test, "wb");
    for (int rep = 0; f && rep < 10; rep++)
        for (size_t i = n_train; i < L->n; i++) {
            fprintf(f, "%s\n", L->lines[i]);
            const char *p = L->lines[i];
            while (*p) { /* KenLM's token count: words + </s> */
                while (*p == ' ' || *p == '\t') p++;
                if (!*p) break;
                test_tokens++;
                while (*p && *p != ' ' && *p != '\t') p++;
            }
            test_tokens++;
        }
    if (f) fclose(f);
    char lmplz[2100], query[2100], build_binary[2100], ord[8];
    snprintf(lmplz, sizeof lmplz, "%s/lmplz", kdir);
    snprintf(query, sizeof query, "%s/query", kdir);
    snprintf(build_binary, sizeof build_binary, "%s/build_binary", kdir);
    snprintf(ord, sizeof ord, "%d", order);
    printf("versus KenLM (%s), order %d, %zu training lines, %.0f query tokens (held-out text x10), "
           "%d rounds, each xlrec then KenLM:\n",
           kdir, order, n_train, test_tokens, repeats);
    for (int rep = 0; rep < repeats; rep++) {
        printf("  round %d\n", rep + 1);
        print_load("before training");
        char *xt[] = {(char *)xbin, "ngram", "train", "-q", "-o", ord, "-O", xarpa, train, NULL};
        char *kt[] = {lmplz, "-o", ord, "-S", "1G", "-T", tmp, NULL};
        xl_bench_proc a = xl_bench_spawn(xt, NULL, NULL, NULL), b = xl_bench_spawn(kt, train, karpa, NULL);
        row("train (ARPA out)", "xlrec", a, 0);
        row("train (ARPA out)", "lmplz", b, 0);
        printf("    ARPA files %s\n", same_file(xarpa, karpa) ? "byte-identical" : "DIFFER");
        print_load("before binary");
        char *xb[] = {(char *)xbin, "ngram", "build-binary", karpa, "-o", xbin_m, NULL};
        char *kb[] = {build_binary, karpa, kbin_m, NULL};
        a = xl_bench_spawn(xb, NULL, NULL, NULL);
        b = xl_bench_spawn(kb, NULL, NULL, NULL);
        row("ARPA -> binary", "xlrec", a, 0);
        row("ARPA -> binary (probing)", "kenlm", b, 0);
        printf("    binary files: xlrec %lld bytes, kenlm probing %lld bytes\n", file_bytes(xbin_m), file_bytes(kbin_m));
        print_load("before load/query");
        char *xl[] = {(char *)xbin, "ngram", "query", "-m", xbin_m, "/dev/null", NULL};
        char *kl[] = {query, kbin_m, NULL};
        xl_bench_proc la = xl_bench_spawn(xl, NULL, NULL, NULL), lb = xl_bench_spawn(kl, NULL, NULL, NULL);
        row("load binary (empty input)", "xlrec", la, 0);
        row("load binary (empty input)", "kenlm", lb, 0);
        char *xq[] = {(char *)xbin, "ngram", "query", "-m", xbin_m, test, NULL};
        a = xl_bench_spawn(xq, NULL, xout, NULL);
        b = xl_bench_spawn(kl, test, kout, NULL);
        row("query, per-word output", "xlrec", a, test_tokens);
        row("query, per-word output", "kenlm", b, test_tokens);
        printf("    query outputs %s; without the load: xlrec %.2f M tokens/s, kenlm %.2f M tokens/s (cpu)\n",
               same_file(xout, kout) ? "byte-identical" : "DIFFER", test_tokens / (a.cpu - la.cpu) / 1e6,
               test_tokens / (b.cpu - lb.cpu) / 1e6);
        const double ppl_full = output_perplexity(xout);
        /* quantised: 8-bit probabilities and backoffs (KenLM: trie only) */
        print_load("before quantised");
        char *xqb[] = {(char *)xbin, "ngram", "build-binary", karpa, "-o", xq_m, "-q", "8", "-b", "8", NULL};
        char *kqb[] = {build_binary, "-q", "8", "-b", "8", "trie", karpa, kq_m, NULL};
        a = xl_bench_spawn(xqb, NULL, NULL, NULL);
        b = xl_bench_spawn(kqb, NULL, NULL, NULL);
        row("ARPA -> binary -q 8 -b 8", "xlrec", a, 0);
        row("ARPA -> trie -q 8 -b 8", "kenlm", b, 0);
        printf("    quantised files: xlrec probing %lld bytes, kenlm trie %lld bytes\n", file_bytes(xq_m),
               file_bytes(kq_m));
        char *xql[] = {(char *)xbin, "ngram", "query", "-m", xq_m, "/dev/null", NULL};
        char *kql[] = {query, kq_m, NULL};
        la = xl_bench_spawn(xql, NULL, NULL, NULL);
        lb = xl_bench_spawn(kql, NULL, NULL, NULL);
        row("load quantised (empty)", "xlrec", la, 0);
        row("load quantised (empty)", "kenlm", lb, 0);
        char *xqq[] = {(char *)xbin, "ngram", "query", "-m", xq_m, test, NULL};
        a = xl_bench_spawn(xqq, NULL, xout, NULL);
        b = xl_bench_spawn(kql, test, kout, NULL);
        row("query quantised", "xlrec", a, test_tokens);
        row("query quantised", "kenlm", b, test_tokens);
        printf("    perplexity incl. OOVs: full floats %.4f; quantised: xlrec %.4f (%+.4f%%), kenlm trie %.4f\n", ppl_full,
               output_perplexity(xout), 100.0 * (output_perplexity(xout) / ppl_full - 1.0), output_perplexity(kout));
    }
    const char *files[] = {train, test, xarpa, karpa, xbin_m, kbin_m, xout, kout, xq_m, kq_m};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) remove(files[i]);
    rmdir(dir);
}

int main(int argc, char **argv)
{
    const char *root = getenv("XLREC_SHARED");
    if (root == NULL || root[0] == '\0') root = "../shared";
    char def[4096];
    snprintf(def, sizeof def, "%s/data/mono/en/enwiki_2014_extract.txt.gz", root);
    const char *path = argc > 1 ? argv[1] : def;
    int order = argc > 2 ? atoi(argv[2]) : 5;
    setvbuf(stdout, NULL, _IOLBF, 0); /* progress shows as it runs, also into a file */
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
    if (getenv("NGRAM_BENCH_SKIP_KENLM") == NULL) versus_kenlm(&L, n_train, root);
    for (size_t i = 0; i < L.n; i++) free(L.lines[i]);
    free(L.lines);
    return 0;
}
