/* bench_tokenizer.c - WordPiece throughput, one thread: MB/s and tokens/s of
 * xl_wordpiece_encode (with [CLS]/[SEP]) on a ~10 MB multilingual text built at
 * run time from ../shared/data: all 30,788 UDHR paragraphs (532 language
 * versions, ~40 scripts) plus the first 150 kB of every mono corpus (en de fr
 * es it pt ru ar ja ko zh ...).  Skips cleanly when ../shared is absent.
 * When node and the reference tool are installed (cp -r ../shared/tools/ref-tokenizer
 * /tmp/ref-tokenizer && npm install there, or $XLREC_REF_TOKENIZER), the same
 * text is timed through HuggingFace's native tokenizers in the same run
 * (tokenizer/tools/hf_bench.js, RAYON_NUM_THREADS=1) and printed side by side.
 * Times are CPU times of the process (best of 3), so figures stay comparable on
 * a loaded machine; wall times are printed beside them.
 *   usage: bench_tokenizer            ($XLREC_SHARED honoured; run from the repo root) */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "wordpiece.h"
#include "xl_alloc.h"
#include "xl_io.h"
#include "xl_platform.h"

static const char *shared_dir(void)
{
    const char *s = getenv("XLREC_SHARED");
    return s && *s ? s : "../shared";
}

/* append the decompressed gzip file (or its first `limit` bytes of whole lines) */
static int append_gz(xl_buf *out, const char *path, int column, size_t limit, xl_error *err)
{
    char cmd[4200];
    snprintf(cmd, sizeof cmd, "gzip -dc '%s' 2>/dev/null", path);
    FILE *f = popen(cmd, "r");
    if (!f) return xl_fail(err, XL_ERR_IO, "cannot run gzip");
    xl_lines r;
    xl_lines_from_stream(&r, f, path);
    const char *line;
    size_t len, added = 0;
    int rc;
    while ((rc = xl_lines_next(&r, &line, &len, err)) > 0 && added < limit) {
        if (column > 0) { /* TSV with a header: keep one column */
            if (r.lineno == 1) continue;
            const char *p = line, *end = line + len;
            for (int c = 1; c < column && p; c++) {
                p = memchr(p, '\t', (size_t)(end - p));
                if (p) p++;
            }
            if (!p) continue;
            const char *q = memchr(p, '\t', (size_t)(end - p));
            line = p;
            len = (size_t)((q ? q : end) - p);
        }
        if (len == 0) continue;
        if (xl_buf_append(out, line, len, err) < 0 || xl_buf_putc(out, '\n', err) < 0) {
            rc = -1;
            break;
        }
        added += len + 1;
    }
    xl_lines_close(&r);
    pclose(f);
    return rc < 0 ? -1 : 0;
}

static const char *const MONO[] = {
    "ar/saudinewsnet_5Mw", "de/debian_fortunes", "de/debian_manpages", "de/libreoffice_help",
    "en/brown_corpus", "en/enwiki_2014_extract", "en/libreoffice_help", "es/debian_fortunes",
    "es/debian_manpages", "es/libreoffice_help", "fr/debian_manpages", "fr/libreoffice_help",
    "it/debian_fortunes", "it/libreoffice_help", "ja/debian_manpages", "ja/libreoffice_help",
    "ko/libreoffice_help", "pt/libreoffice_help", "ru/debian_manpages", "ru/libreoffice_help",
    "zh/zhwiki_extract_wiki00", "zh/libreoffice_help", "zh_tw/xmind_cmn_news_mt", "zh_tw/libreoffice_help"};

/* Returns the best CPU time of 3 runs (clock(): this process only, so the
 * figure holds on a loaded machine; *wall gets the wall time of that run). */
static double bench_one(const xl_wordpiece *wp, const xl_buf *text, size_t *n_tokens, size_t *n_lines, double *wall)
{
    xl_wordpiece_encoding e;
    xl_wordpiece_encoding_init(&e);
    double best = 1e30;
    for (int run = 0; run < 3; run++) {
        size_t toks = 0, lines = 0, pos = 0;
        double t0 = xl_time_now();
        clock_t c0 = clock();
        while (pos < text->len) {
            const char *nl = memchr(text->data + pos, '\n', text->len - pos);
            size_t end = nl ? (size_t)(nl - text->data) : text->len;
            if (xl_wordpiece_encode(wp, text->data + pos, end - pos, NULL, 0, NULL, &e, NULL) < 0) {
                fprintf(stderr, "bench_tokenizer: encode failed\n");
                exit(1);
            }
            toks += e.len;
            lines++;
            pos = end + 1;
        }
        double cpu = (double)(clock() - c0) / CLOCKS_PER_SEC;
        double dt = xl_time_now() - t0;
        if (cpu < best) {
            best = cpu;
            *wall = dt;
        }
        *n_tokens = toks;
        *n_lines = lines;
    }
    xl_wordpiece_encoding_free(&e);
    return best;
}

int main(void)
{
    const char *sh = shared_dir();
    char path[4096];
    snprintf(path, sizeof path, "%s/data/parallel/udhr/udhr_paragraphs.tsv.gz", sh);
    FILE *probe = fopen(path, "rb");
    if (!probe) {
        printf("bench_tokenizer: SKIP (%s not found; set XLREC_SHARED)\n", path);
        return 0;
    }
    fclose(probe);
    xl_error err;
    xl_buf text;
    xl_buf_init(&text);
    if (append_gz(&text, path, 7, (size_t)-1, &err) < 0) goto fail;
    for (size_t i = 0; i < sizeof MONO / sizeof MONO[0]; i++) {
        snprintf(path, sizeof path, "%s/data/mono/%s.txt.gz", sh, MONO[i]);
        FILE *f = fopen(path, "rb");
        if (!f) continue;
        fclose(f);
        if (append_gz(&text, path, 0, 150000, &err) < 0) goto fail;
    }
    const char *tmp = getenv("TMPDIR");
    char corpus[4096];
    snprintf(corpus, sizeof corpus, "%s/bench_tokenizer_corpus.txt", tmp && *tmp ? tmp : "/tmp");
    if (xl_write_file(corpus, text.data, text.len, &err) < 0) goto fail;
    printf("corpus: %.2f MB multilingual text (UDHR 532 versions + 24 mono corpora), written to %s\n",
           text.len / 1e6, corpus);
    static const char *const VOCABS[] = {"bert-base-multilingual-cased", "bert-base-uncased"};
    const char *ref = getenv("XLREC_REF_TOKENIZER");
    if (!ref || !*ref) ref = "/tmp/ref-tokenizer";
    for (size_t v = 0; v < 2; v++) {
        snprintf(path, sizeof path, "%s/vocab/%s/tokenizer.json", sh, VOCABS[v]);
        xl_wordpiece *wp = xl_wordpiece_load(path, -1, &err);
        if (!wp) goto fail;
        size_t toks = 0, lines = 0;
        double wall = 0, dt = bench_one(wp, &text, &toks, &lines, &wall);
        xl_wordpiece_free(wp);
        printf("xlrec  %-30s %8.1f MB/s %8.2f M tokens/s  (%zu lines, %zu tokens, %.3f s CPU, %.3f s wall, "
               "1 thread, best of 3)\n",
               VOCABS[v], text.len / 1e6 / dt, toks / 1e6 / dt, lines, toks, dt, wall);
        char mod[4200];
        snprintf(mod, sizeof mod, "%s/node_modules/@anush008/tokenizers/package.json", ref);
        FILE *f = fopen(mod, "rb");
        if (!f) {
            if (v == 0) printf("HF     (skipped: %s not installed; see this file's header)\n", mod);
            continue;
        }
        fclose(f);
        char cmd[12000];
        snprintf(cmd, sizeof cmd,
                 "RAYON_NUM_THREADS=1 TOKENIZERS_PARALLELISM=false NODE_PATH='%s/node_modules' "
                 "node tokenizer/tools/hf_bench.js '%s' '%s'",
                 ref, path, corpus);
        FILE *p = popen(cmd, "r");
        double hdt = 0, hwall = 0;
        unsigned long long hbytes = 0, hlines = 0, htoks = 0;
        if (p && fscanf(p, "hf %lf %lf %llu %llu %llu", &hdt, &hwall, &hbytes, &hlines, &htoks) == 5 && hdt > 0) {
            printf("HF     %-30s %8.1f MB/s %8.2f M tokens/s  (%llu lines, %llu tokens, %.3f s CPU, %.3f s wall)  "
                   "-> xlrec %.1fx\n",
                   VOCABS[v], hbytes / 1e6 / hdt, htoks / 1e6 / hdt, hlines, htoks, hdt, hwall, hdt / dt);
        } else {
            printf("HF     (node run failed)\n");
        }
        if (p) pclose(p);
        printf("       command: %s\n", cmd);
    }
    remove(corpus);
    xl_buf_free(&text);
    return 0;
fail:
    fprintf(stderr, "bench_tokenizer: %s\n", err.msg);
    xl_buf_free(&text);
    return 1;
}
