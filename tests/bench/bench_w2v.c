/* bench_w2v.c - word2vec training speed, counted the way word2vec.c counts
 * it: words read (including those dropped by subsampling) per CPU-second of
 * the process, i.e. "Words/thread/sec".  Also wall-clock words/s/thread.
 *
 * Corpus: $XLREC_W2V_CORPUS when set (the official figure uses the fixture
 * recipe's brown_lohelp_en.txt, ../shared/fixtures/word2vec/README.md);
 * otherwise ../shared/data/mono/en/{brown_corpus,libreoffice_help}.txt.gz
 * decompressed with `gzip -dc` (raw text, punctuation attached); skipped when
 * neither exists.
 * Reference (fixtures README, same flags, 2 threads): word2vec.c 399k CBOW,
 * 134k skip-gram words/thread/sec. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "w2v.h"
#include "xl_alloc.h"
#include "xl_rng.h"

static char *gunzip_corpus(size_t *len)
{
    const char *shared = getenv("XLREC_SHARED") ? getenv("XLREC_SHARED") : "../shared";
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "gzip -dc %s/data/mono/en/brown_corpus.txt.gz %s/data/mono/en/libreoffice_help.txt.gz",
             shared, shared);
    char probe[1024];
    snprintf(probe, sizeof probe, "%s/data/mono/en/brown_corpus.txt.gz", shared);
    FILE *t = fopen(probe, "rb");
    if (!t) return NULL;
    fclose(t);
    FILE *p = popen(cmd, "r");
    if (!p) return NULL;
    xl_buf b;
    xl_buf_init(&b);
    char chunk[65536];
    size_t got;
    while ((got = fread(chunk, 1, sizeof chunk, p)) > 0) xl_buf_append(&b, chunk, got, NULL);
    pclose(p);
    *len = b.len;
    return b.data;
}

int main(void)
{
    const char *corpus = getenv("XLREC_W2V_CORPUS");
    char *text = NULL;
    size_t len = 0;
    if (!corpus) {
        text = gunzip_corpus(&len);
        if (!text || len == 0) {
            printf("bench_w2v: skipped (no ../shared/data/mono/en corpus; set XLREC_W2V_CORPUS)\n");
            free(text);
            return 0;
        }
        printf("corpus: gzip -dc ../shared/data/mono/en/brown_corpus.txt.gz libreoffice_help.txt.gz (%zu bytes; "
               "XLREC_W2V_CORPUS=brown_lohelp_en.txt gives the fixture's figure)\n", len);
    } else {
        printf("corpus: %s\n", corpus);
    }
    const struct {
        const char *name;
        int cbow, hs, negative;
        double ref_k;
    } cfg[] = {{"cbow_neg", 1, 0, 5, 399.5}, {"sg_neg", 0, 0, 5, 134.1}, {"cbow_hs", 1, 1, 0, 402.4}};
    for (int threads = 1; threads <= 2; threads++)
        for (size_t c = 0; c < (threads == 1 ? sizeof cfg / sizeof cfg[0] : 1); c++) {
            xl_w2v_options o;
            xl_w2v_options_default(&o);
            o.cbow = cfg[c].cbow;
            o.hs = cfg[c].hs;
            o.negative = cfg[c].negative;
            o.sample = 1e-4;
            o.threads = threads;
            o.iter = 1;
            xl_w2v_model m;
            xl_error err;
            int rc = corpus ? xl_w2v_train_file(corpus, &o, &m, &err) : xl_w2v_train_text(text, len, &o, &m, &err);
            if (rc < 0) {
                fprintf(stderr, "bench_w2v: %s\n", err.msg);
                free(text);
                return 1;
            }
            double cpu = (double)m.words_done / m.cpu_seconds / 1000;
            double wall = (double)m.words_done / m.wall_seconds / threads / 1000;
            printf("%-9s threads %d iter %d: %8.1fk words/thread/sec (CPU, word2vec.c's count)  %8.1fk wall/thread"
                   "  word2vec.c: %.1fk  -> %.2fx\n",
                   cfg[c].name, threads, o.iter, cpu, wall, cfg[c].ref_k, cpu / cfg[c].ref_k);
            printf("  command: xlrec w2v train -train %s -output v.bin -cbow %d -hs %d -negative %d -size 100 -window 5 "
                   "-sample 1e-4 -iter %d -min-count 5 -threads %d\n",
                   corpus ? corpus : "<brown+lohelp raw>", o.cbow, o.hs, o.negative, o.iter, threads);
            xl_w2v_model_free(&m);
        }
    free(text);
    return 0;
}
