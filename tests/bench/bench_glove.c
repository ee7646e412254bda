/* bench_glove.c - `xlrec glove` beside Stanford GloVe (the reference, built
 * from ../shared/tools/refs/glove-52f7dbc.tar.gz outside the repository):
 * wall time and peak resident memory of each stage (vocab_count, cooccur,
 * shuffle, glove), run as separate processes back to back, alternating the
 * two programs, repeated; plus the parity checks (vocabulary byte for byte,
 * co-occurrence records through `xlrec glove compare`) and the training cost
 * per iteration of both side by side.
 *
 * Environment:
 *   XLREC_BIN          the xlrec binary (make bench sets it)
 *   GLOVE_REF          folder holding vocab_count, cooccur, shuffle, glove
 *                      (default /tmp/glove/build, refs README); without it
 *                      only xlrec's column is printed
 *   XLREC_GLOVE_CORPUS the corpus (official figure: the word2vec fixture
 *                      recipe's brown_lohelp_en.txt, docs/glove.md); default
 *                      `gzip -dc` of ../shared/data/mono/en/{brown_corpus,
 *                      libreoffice_help}.txt.gz; skipped when neither exists
 *   GLOVE_BENCH_REPEAT repetitions (default 3), GLOVE_BENCH_ITER training
 *                      iterations (default 3), GLOVE_BENCH_THREADS (default 1)
 *   GLOVE_BENCH_DIR    scratch folder (default /tmp/xlrec-glove-bench)
 * Settings of every run: -min-count 5, -window-size 15, -memory 4.0,
 * -vector-size 50, -x-max 10 (the reference's demo.sh), -seed 1.
 * Linux only (fork, wait4 for the peak RSS of each child). */
#if defined(__linux__)
#define _GNU_SOURCE
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xl_bench.h"
#include "xl_platform.h"

#if defined(__linux__)
#include <sys/stat.h> /* mkdir */
#include <unistd.h>

/* Run argv with stdin/stdout/stderr redirected (NULL = /dev/null); returns the exit status, wall
 * seconds and peak RSS in KiB. */
static int run(char *const argv[], const char *in, const char *out, const char *err, double *wall, long *rss_kb)
{
    xl_bench_proc r = xl_bench_spawn(argv, in, out, err);
    *wall = r.wall;
    *rss_kb = r.rss_kb;
    return r.status;
}

typedef struct {
    double wall[16];
    long rss;
    int n;
} measure;

static void add(measure *m, double wall, long rss)
{
    if (m->n < 16) m->wall[m->n++] = wall;
    if (rss > m->rss) m->rss = rss;
}

static double median(measure *m)
{
    qsort(m->wall, (size_t)m->n, sizeof(double), xl_bench_cmp_double);
    return m->n ? m->wall[m->n / 2] : 0;
}

/* The costs "iter: NNN, cost: X" of a log, in order. */
static int read_costs(const char *log, double *cost, int cap)
{
    FILE *f = fopen(log, "r");
    if (!f) return 0;
    char line[512];
    int n = 0;
    while (fgets(line, sizeof line, f) && n < cap) {
        char *p = strstr(line, "iter: ");
        int it;
        double c;
        if (p && sscanf(p, "iter: %d, cost: %lf", &it, &c) == 2) cost[n++] = c;
    }
    fclose(f);
    return n;
}

int main(void)
{
    const char *xlrec = getenv("XLREC_BIN") ? getenv("XLREC_BIN") : "build/xlrec";
    const char *ref = getenv("GLOVE_REF") ? getenv("GLOVE_REF") : "/tmp/glove/build";
    const char *dir = getenv("GLOVE_BENCH_DIR") ? getenv("GLOVE_BENCH_DIR") : "/tmp/xlrec-glove-bench";
    const char *shared = getenv("XLREC_SHARED") ? getenv("XLREC_SHARED") : "../shared";
    int repeat = getenv("GLOVE_BENCH_REPEAT") ? atoi(getenv("GLOVE_BENCH_REPEAT")) : 3;
    const char *iters = getenv("GLOVE_BENCH_ITER") ? getenv("GLOVE_BENCH_ITER") : "3";
    const char *threads = getenv("GLOVE_BENCH_THREADS") ? getenv("GLOVE_BENCH_THREADS") : "1";
    if (repeat < 1 || repeat > 16) repeat = 3;
    char cmd[4096], corpus[1024], p[16][1024];
    mkdir(dir, 0755);
    if (getenv("XLREC_GLOVE_CORPUS")) {
        snprintf(corpus, sizeof corpus, "%s", getenv("XLREC_GLOVE_CORPUS"));
    } else {
        snprintf(corpus, sizeof corpus, "%s/data/mono/en/brown_corpus.txt.gz", shared);
        if (xl_path_kind_of(corpus) == XL_PATH_MISSING) {
            printf("bench_glove: skipped (no XLREC_GLOVE_CORPUS and no %s)\n", corpus);
            return 0;
        }
        snprintf(corpus, sizeof corpus, "%s/corpus.txt", dir);
        snprintf(cmd, sizeof cmd,
                 "gzip -dc %s/data/mono/en/brown_corpus.txt.gz %s/data/mono/en/libreoffice_help.txt.gz > %s", shared,
                 shared, corpus);
        if (system(cmd) != 0) {
            printf("bench_glove: cannot decompress the corpus\n");
            return 1;
        }
    }
    char tool[4][1024];
    const char *names[4] = {"vocab_count", "cooccur", "shuffle", "glove"};
    int have_ref = 1;
    for (int k = 0; k < 4; k++) {
        snprintf(tool[k], sizeof tool[k], "%s/%s", ref, names[k]);
        if (xl_path_kind_of(tool[k]) == XL_PATH_MISSING) have_ref = 0;
    }
    if (!have_ref) printf("bench_glove: reference not found in %s (set GLOVE_REF): xlrec only\n", ref);
    /* files: [0] ref vocab [1] ours vocab [2] ref cooc [3] ours cooc [4] ref shuf [5] ours shuf
     * [6] ref vectors prefix [7] ours prefix [8] ref log [9] ours log [10] overflow prefix */
    const char *fname[11] = {"ref_vocab.txt", "xl_vocab.txt", "ref_cooc.bin",  "xl_cooc.bin",
                             "ref_shuf.bin",  "xl_shuf.bin",  "ref_vectors",   "xl_vectors",
                             "ref_train.log", "xl_train.log", "overflow"};
    for (int k = 0; k < 11; k++) snprintf(p[k], sizeof p[k], "%s/%s", dir, fname[k]);
    char ovf_ref[1100], ovf_shuf[1100];
    snprintf(ovf_ref, sizeof ovf_ref, "%s/ref_overflow", dir);
    snprintf(ovf_shuf, sizeof ovf_shuf, "%s/ref_temp_shuffle", dir);

    measure m[4][2];
    memset(m, 0, sizeof m);
    double load[3];
    xl_bench_load_averages(load);
    for (int r = 0; r < repeat; r++) {
        for (int side = 0; side < 2; side++) {
            /* alternate who goes first */
            int ours = (side + r) % 2;
            if (!ours && !have_ref) continue;
            double w;
            long rss;
            int rc;
            char *const ref_vocab[] = {tool[0], "-min-count", "5", "-verbose", "0", NULL};
            char *const xl_vocab[] = {(char *)xlrec, "glove", "vocab", "-corpus", corpus, "-min-count", "5",
                                      "-verbose", "0", "-output", p[1], NULL};
            rc = ours ? run(xl_vocab, NULL, NULL, NULL, &w, &rss) : run(ref_vocab, corpus, p[0], NULL, &w, &rss);
            if (rc != 0) goto failed;
            add(&m[0][ours], w, rss);
            char *const ref_cooc[] = {tool[1], "-memory", "4.0", "-vocab-file", p[0], "-verbose", "0",
                                      "-window-size", "15", "-overflow-file", ovf_ref, NULL};
            char *const xl_cooc[] = {(char *)xlrec, "glove", "cooccur", "-corpus", corpus, "-memory", "4.0",
                                     "-vocab-file", p[1], "-verbose", "0", "-window-size", "15", "-output", p[3],
                                     "-overflow-file", p[10], NULL};
            rc = ours ? run(xl_cooc, NULL, NULL, NULL, &w, &rss) : run(ref_cooc, corpus, p[2], NULL, &w, &rss);
            if (rc != 0) goto failed;
            add(&m[1][ours], w, rss);
            char *const ref_shuf[] = {tool[2], "-memory", "4.0", "-verbose", "0", "-seed", "1", "-temp-file",
                                      ovf_shuf, NULL};
            char *const xl_shuf[] = {(char *)xlrec, "glove", "shuffle", "-memory", "4.0", "-verbose", "0",
                                     "-seed", "1", "-input", p[3], "-output", p[5], NULL};
            rc = ours ? run(xl_shuf, NULL, NULL, NULL, &w, &rss) : run(ref_shuf, p[2], p[4], NULL, &w, &rss);
            if (rc != 0) goto failed;
            add(&m[2][ours], w, rss);
            char *const ref_train[] = {tool[3], "-input-file", p[4], "-vocab-file", p[0], "-save-file", p[6],
                                       "-verbose", "2", "-vector-size", "50", "-threads", (char *)threads, "-iter",
                                       (char *)iters, "-x-max", "10", "-seed", "1", "-binary", "0", NULL};
            char *const xl_train[] = {(char *)xlrec, "glove", "train", "-input-file", p[5], "-vocab-file", p[1],
                                      "-save-file", p[7], "-vector-size", "50", "-threads", (char *)threads, "-iter",
                                      (char *)iters, "-x-max", "10", "-seed", "1", NULL};
            rc = ours ? run(xl_train, NULL, NULL, p[9], &w, &rss) : run(ref_train, NULL, NULL, p[8], &w, &rss);
            if (rc != 0) goto failed;
            add(&m[3][ours], w, rss);
            continue;
        failed:
            printf("bench_glove: a %s run failed (exit %d)\n", ours ? "xlrec" : "reference", rc);
            return 1;
        }
    }
    printf("corpus %s; %d runs each, alternating; load average before: %.2f %.2f %.2f\n", corpus, repeat, load[0],
           load[1], load[2]);
    printf("%-10s %12s %12s %8s %12s %12s\n", "stage", "xlrec s", "ref s", "speedup", "xlrec MiB", "ref MiB");
    const char *stage[4] = {"vocab", "cooccur", "shuffle", "train"};
    for (int k = 0; k < 4; k++) {
        double a = median(&m[k][1]), b = have_ref ? median(&m[k][0]) : 0;
        printf("%-10s %12.2f %12.2f %7.2fx %12.1f %12.1f\n", stage[k], a, b, a > 0 && b > 0 ? b / a : 0,
               (double)m[k][1].rss / 1024, (double)m[k][0].rss / 1024);
    }
    printf("(train: %s iterations, %s thread(s), vector size 50; median wall, largest peak RSS)\n", iters, threads);
    if (have_ref) {
        snprintf(cmd, sizeof cmd, "cmp -s %s %s", p[0], p[1]);
        printf("vocabulary: %s\n", system(cmd) == 0 ? "identical to vocab_count's (cmp)" : "DIFFERENT");
        snprintf(cmd, sizeof cmd, "%s glove compare %s %s", xlrec, p[3], p[2]);
        printf("co-occurrence (xlrec glove compare ours reference):\n");
        fflush(stdout);
        if (system(cmd) != 0) printf("co-occurrence: DIFFERENT\n");
        double c_ref[256], c_xl[256];
        int n_ref = read_costs(p[8], c_ref, 256), n_xl = read_costs(p[9], c_xl, 256);
        printf("training cost per iteration (last run, seed 1):\n%-6s %12s %12s\n", "iter", "xlrec", "reference");
        for (int i = 0; i < n_ref || i < n_xl; i++)
            printf("%-6d %12.6f %12.6f\n", i + 1, i < n_xl ? c_xl[i] : 0, i < n_ref ? c_ref[i] : 0);
    }
    printf("commands: %s glove vocab|cooccur|shuffle|train with the reference's flags (see docs/glove.md)\n", xlrec);
    return 0;
}
#else
int main(void)
{
    printf("bench_glove: skipped (needs Linux: fork, wait4)\n");
    return 0;
}
#endif
