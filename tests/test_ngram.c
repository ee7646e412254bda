/* test_ngram.c - n-gram language models (src/ngram/ngram.h) against KenLM.
 *
 * Reference data: ../shared/fixtures/ngram/ (KenLM lmplz ARPA files and query
 * outputs; see its README).  The cases that need it skip when it is absent.
 *   (a) KenLM's ARPA loaded and the test text scored: query's output text is
 *       reproduced byte for byte; per-sentence totals within 1e-4, OOV counts
 *       equal, perplexities within relative 1e-6.
 *   (b) trained on the same text with the same order: every n-gram of lmplz's
 *       ARPA present, log10 p and backoffs within 1e-4, same counts, same
 *       discounts (tiny: full ARPA files; brown20k: lmplz's sample).
 * Plus MLE / add-k on a corpus computed by hand, normalisation checks, and
 * bad input (empty corpus, one token, 1 MB lines, invalid UTF-8, malformed ARPA). */
#define _POSIX_C_SOURCE 200809L
#include "xl_test.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "ngram.h"
#include "ngram_internal.h"
#include "xl_io.h"
#include "xl_rng.h"

static char *slurp(const char *path, size_t *len)
{
    char *data;
    xl_error err;
    if (xl_read_file(path, 0, &data, len, &err) < 0) fail_msg("%s", err.msg);
    return data;
}

static xl_ngram_model *train_lines(xl_lines *r, int order, const xl_ngram_train_opts *o, long max_lines,
                                   xl_ngram_train_stats *st)
{
    xl_error err;
    xl_ngram_trainer *t = xl_ngram_trainer_new(order, o, &err);
    assert_non_null(t);
    const char *line;
    size_t len;
    int rc;
    long n = 0;
    while ((max_lines < 0 || n < max_lines) && (rc = xl_lines_next(r, &line, &len, &err)) > 0) {
        if (xl_ngram_trainer_add_line(t, line, len, &err) < 0) fail_msg("line %ld: %s", n + 1, err.msg);
        n++;
    }
    xl_ngram_model *m = xl_ngram_trainer_estimate(t, st, &err);
    if (m == NULL) fail_msg("%s", err.msg);
    xl_ngram_trainer_free(t);
    return m;
}

static xl_ngram_model *train_file(const char *path, int order, xl_ngram_train_stats *st)
{
    xl_lines r;
    xl_error err;
    if (xl_lines_open(&r, path, &err) < 0) fail_msg("%s", err.msg);
    xl_ngram_model *m = train_lines(&r, order, NULL, -1, st);
    xl_lines_close(&r);
    return m;
}

static xl_ngram_model *load(const char *path)
{
    xl_error err;
    xl_ngram_model *m = xl_ngram_model_read_arpa(path, &err);
    if (m == NULL) fail_msg("%s", err.msg);
    return m;
}

/* Score every line of `text` as `query` [-n] does; return the output text. */
static char *query_text(const xl_ngram_model *m, const char *text_path, bool sentence, xl_ngram_corpus_stats *acc,
                        float **totals, size_t *n_lines)
{
    xl_error err;
    xl_lines r;
    if (xl_lines_open(&r, text_path, &err) < 0) fail_msg("%s", err.msg);
    xl_buf out;
    xl_buf_init(&out);
    memset(acc, 0, sizeof *acc);
    size_t cap = 16, n = 0;
    float *t = malloc(cap * sizeof *t);
    const char *line;
    size_t len;
    int rc;
    while ((rc = xl_lines_next(&r, &line, &len, &err)) > 0) {
        xl_ngram_sentence s;
        if (xl_ngram_query_line(m, line, len, sentence, &out, &s, acc, &err) < 0) fail_msg("%s", err.msg);
        if (n == cap) t = realloc(t, (cap *= 2) * sizeof *t);
        t[n++] = s.total;
    }
    assert_int_equal(rc, 0);
    xl_lines_close(&r);
    assert_int_equal(xl_ngram_format_summary(acc, &out, &err), 0);
    *totals = t;
    *n_lines = n;
    return out.data;
}

/* Column 4 (log10prob) and 3 (oov) of a *.sentences.tsv file. */
static size_t read_sentences_tsv(const char *path, double **logp, uint64_t **oov, uint64_t **tokens)
{
    size_t len;
    char *data = slurp(path, &len);
    size_t cap = 64, n = 0;
    *logp = malloc(cap * sizeof **logp);
    *oov = malloc(cap * sizeof **oov);
    *tokens = malloc(cap * sizeof **tokens);
    char *save = NULL;
    for (char *ln = strtok_r(data, "\n", &save); ln; ln = strtok_r(NULL, "\n", &save)) {
        if (strncmp(ln, "line\t", 5) == 0) continue;
        unsigned long long no, tok, o;
        double lp;
        assert_int_equal(sscanf(ln, "%llu\t%llu\t%llu\t%lf", &no, &tok, &o, &lp), 4);
        if (n == cap) {
            cap *= 2;
            *logp = realloc(*logp, cap * sizeof **logp);
            *oov = realloc(*oov, cap * sizeof **oov);
            *tokens = realloc(*tokens, cap * sizeof **tokens);
        }
        (*logp)[n] = lp;
        (*oov)[n] = o;
        (*tokens)[n] = tok;
        n++;
    }
    free(data);
    return n;
}

/* Value of `key` in a *.summary.tsv file. */
static double summary_value(const char *path, const char *key)
{
    size_t len;
    char *data = slurp(path, &len);
    size_t kl = strlen(key);
    double v = NAN;
    for (char *p = data; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
        if (strncmp(p, key, kl) == 0 && p[kl] == '\t') v = strtod(p + kl + 1, NULL);
    free(data);
    return v;
}

/* Compare per-sentence totals, OOVs and perplexities with a fixture prefix
 * like ".../tiny/o3.test"; prints and returns the max |diff| of totals. */
static double check_against_sentences(const char *prefix, const float *totals, size_t n, const xl_ngram_corpus_stats *acc)
{
    char path[1024];
    double *lp;
    uint64_t *oov, *tok;
    snprintf(path, sizeof path, "%s.sentences.tsv", prefix);
    size_t m = read_sentences_tsv(path, &lp, &oov, &tok);
    assert_int_equal(m, n);
    double maxd = 0;
    uint64_t oov_total = 0;
    for (size_t i = 0; i < n; i++) {
        double d = fabs((double)totals[i] - lp[i]);
        if (d > maxd) maxd = d;
        oov_total += oov[i];
    }
    assert_true(maxd <= 1e-4);
    assert_int_equal(acc->oov, oov_total);
    snprintf(path, sizeof path, "%s.summary.tsv", prefix);
    assert_int_equal(acc->tokens, (uint64_t)summary_value(path, "tokens_incl_eos"));
    assert_int_equal(acc->oov, (uint64_t)summary_value(path, "oov"));
    double ppl_in = summary_value(path, "ppl_incl_oov"), ppl_ex = summary_value(path, "ppl_excl_oov");
    assert_close(xl_ngram_perplexity(acc, true), ppl_in, 1e-6 * ppl_in);
    assert_close(xl_ngram_perplexity(acc, false), ppl_ex, 1e-6 * ppl_ex);
    print_message("           %s: %zu sentences, max |d total| = %.3g, ppl %.10g / %.10g\n", prefix, n, maxd,
                  xl_ngram_perplexity(acc, true), xl_ngram_perplexity(acc, false));
    free(lp);
    free(oov);
    free(tok);
    return maxd;
}

/* (a) KenLM's ARPA + query: the whole output text, then the numbers. */
static void test_kenlm_arpa_query_tiny(void **state)
{
    (void)state;
    XL_SKIP_IF_NO_SHARED(dir0, "fixtures/ngram/tiny");
    char dir[1024];
    snprintf(dir, sizeof dir, "%s", dir0);
    static const char *const sets[3] = {"test", "edge", "edge_nosent"};
    for (int order = 3; order <= 5; order += 2) {
        char path[1200], text[1200], ref[1200], prefix[1200];
        snprintf(path, sizeof path, "%s/o%d.arpa", dir, order);
        xl_ngram_model *m = load(path);
        assert_int_equal(xl_ngram_model_order(m), order);
        assert_int_equal(xl_ngram_model_count(m, 1), 1529);
        for (int s = 0; s < 3; s++) {
            snprintf(text, sizeof text, "%s/%s.txt", dir, s == 0 ? "test" : "edge");
            snprintf(ref, sizeof ref, "%s/o%d.%s.query.txt", dir, order, sets[s]);
            snprintf(prefix, sizeof prefix, "%s/o%d.%s", dir, order, sets[s]);
            xl_ngram_corpus_stats acc;
            float *totals;
            size_t n;
            char *out = query_text(m, text, s != 2, &acc, &totals, &n);
            size_t rlen;
            char *expect = slurp(ref, &rlen);
            assert_string_equal(out, expect); /* byte-identical to KenLM's query */
            check_against_sentences(prefix, totals, n, &acc);
            free(out);
            free(totals);
            /* the same through a binary model file */
            xl_buf img;
            xl_buf_init(&img);
            xl_error err;
            assert_int_equal(xl_ngram_model_format_binary(m, &img, &err), 0);
            xl_ngram_model *mb = xl_ngram_model_parse_binary(img.data, img.len, "tiny.xlb", &err);
            if (mb == NULL) fail_msg("%s", err.msg);
            out = query_text(mb, text, s != 2, &acc, &totals, &n);
            assert_string_equal(out, expect);
            xl_ngram_model_free(mb);
            xl_buf_free(&img);
            free(out);
            free(expect);
            free(totals);
        }
        xl_ngram_model_free(m);
    }
}

/* (b) training reproduces lmplz's ARPA: compare every line of the reference. */
static void compare_arpa(const char *ref_path, const xl_ngram_model *m, double *max_diff)
{
    size_t len;
    char *data = slurp(ref_path, &len);
    int section = 0;
    uint64_t seen[XL_NGRAM_MAX_ORDER + 1] = {0};
    double maxd = 0;
    char *save = NULL;
    for (char *ln = strtok_r(data, "\n", &save); ln; ln = strtok_r(NULL, "\n", &save)) {
        if (ln[0] == '\\') {
            section = (ln[1] >= '1' && ln[1] <= '9') ? ln[1] - '0' : 0;
            continue;
        }
        if (section == 0) continue;
        char *tab1 = strchr(ln, '\t');
        assert_non_null(tab1);
        char *tab2 = strchr(tab1 + 1, '\t');
        double p = strtod(ln, NULL), b = tab2 ? strtod(tab2 + 1, NULL) : 0.0;
        if (tab2) *tab2 = '\0';
        uint32_t ids[XL_NGRAM_MAX_ORDER];
        int n = 0;
        char *wsave = NULL;
        for (char *w = strtok_r(tab1 + 1, " ", &wsave); w; w = strtok_r(NULL, " ", &wsave)) {
            ids[n] = xl_ngram_model_index(m, w, strlen(w));
            if (ids[n] == XL_NGRAM_UNK && strcmp(w, "<unk>") != 0) fail_msg("word '%s' missing from the model", w);
            n++;
        }
        assert_int_equal(n, section);
        float mp, mb;
        if (!xl_ngram_model_lookup(m, ids, n, &mp, &mb)) fail_msg("%d-gram '%s' missing from the model", n, tab1 + 1);
        double d = fmax(fabs(mp - p), fabs(mb - b));
        if (d > maxd) maxd = d;
        if (d > 1e-4) fail_msg("'%s': %.9g %.9g vs lmplz %.9g %.9g", tab1 + 1, mp, mb, p, b);
        seen[n]++;
    }
    for (int k = 1; k <= xl_ngram_model_order(m); k++) assert_int_equal(seen[k], xl_ngram_model_count(m, k));
    free(data);
    *max_diff = maxd;
}

/* The "k count D1=x D2=y D3+=z" lines of an lmplz log. */
static void check_discounts(const char *log_path, const xl_ngram_train_stats *st)
{
    size_t len;
    char *data = slurp(log_path, &len);
    int found = 0;
    for (char *p = data; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
        int k;
        unsigned long long count;
        float d1, d2, d3;
        if (sscanf(p, "%d %llu D1=%f D2=%f D3+=%f", &k, &count, &d1, &d2, &d3) == 5) {
            assert_true(k >= 1 && k <= st->order);
            assert_int_equal(count, st->counts[k - 1]);
            assert_close(st->discounts[k - 1][0], d1, 1e-5 * d1 + 1e-6);
            assert_close(st->discounts[k - 1][1], d2, 1e-5 * d2 + 1e-6);
            assert_close(st->discounts[k - 1][2], d3, 1e-5 * d3 + 1e-6);
            found++;
        }
    }
    assert_int_equal(found, st->order);
    free(data);
}

static void test_train_matches_lmplz_tiny(void **state)
{
    (void)state;
    XL_SKIP_IF_NO_SHARED(dir0, "fixtures/ngram/tiny");
    char dir[1024];
    snprintf(dir, sizeof dir, "%s", dir0);
    for (int order = 3; order <= 5; order += 2) {
        char path[1200];
        snprintf(path, sizeof path, "%s/train.txt", dir);
        xl_ngram_train_stats st;
        xl_ngram_model *m = train_file(path, order, &st);
        assert_int_equal(st.tokens, 4621);
        snprintf(path, sizeof path, "%s/o%d.lmplz.log", dir, order);
        check_discounts(path, &st);
        snprintf(path, sizeof path, "%s/o%d.arpa", dir, order);
        double maxd;
        compare_arpa(path, m, &maxd);
        print_message("           tiny o%d: every lmplz n-gram present, max |diff| = %.3g\n", order, maxd);
        /* the written ARPA reads back to the same text */
        xl_buf a, b;
        xl_buf_init(&a);
        xl_buf_init(&b);
        xl_error err;
        assert_int_equal(xl_ngram_model_format_arpa(m, &a, &err), 0);
        xl_ngram_model *m2 = xl_ngram_model_parse_arpa(a.data, a.len, "roundtrip", &err);
        assert_non_null(m2);
        assert_int_equal(xl_ngram_model_format_arpa(m2, &b, &err), 0);
        assert_string_equal(a.data, b.data);
        /* the trainer's own writer (no model, `ngram train -O`) gives lmplz's file byte for byte */
        xl_lines r;
        snprintf(path, sizeof path, "%s/train.txt", dir);
        if (xl_lines_open(&r, path, &err) < 0) fail_msg("%s", err.msg);
        xl_ngram_trainer *t = xl_ngram_trainer_new(order, NULL, &err);
        assert_non_null(t);
        const char *line;
        size_t len;
        while (xl_lines_next(&r, &line, &len, &err) > 0) assert_int_equal(xl_ngram_trainer_add_line(t, line, len, &err), 0);
        xl_lines_close(&r);
        xl_buf_clear(&b);
        xl_ngram_train_stats st2;
        assert_int_equal(xl_ngram_trainer_format_arpa(t, &b, &st2, &err), 0);
        xl_ngram_trainer_free(t);
        assert_string_equal(a.data, b.data); /* the model writer's text, on every platform */
#if defined(__x86_64__)
        /* and lmplz's file byte for byte where libm's log10f is the one lmplz ran with (glibc x86-64; under
         * qemu-s390x the last digits of some values differ: max |diff| above 3.2e-7 instead of 1.2e-7) */
        snprintf(path, sizeof path, "%s/o%d.arpa", dir, order);
        char *want = slurp(path, &len);
        assert_int_equal(b.len, len);
        assert_memory_equal(b.data, want, len);
        free(want);
#endif
        for (int i = 0; i < order; i++) assert_int_equal(st2.counts[i], st.counts[i]);
        xl_buf_free(&a);
        xl_buf_free(&b);
        xl_ngram_model_free(m2);
        xl_ngram_model_free(m);
    }
}

/* brown20k: train on Brown lines 1-20000 (made from the shipped corpus as the
 * README says), check the discounts, lmplz's ARPA sample and query's scores. */
static void test_brown20k(void **state)
{
    (void)state;
    XL_SKIP_IF_NO_SHARED(dir0, "fixtures/ngram/brown20k/o3.arpa.sample.tsv");
    XL_SKIP_IF_NO_SHARED(corpus0, "data/mono/en/brown_corpus.txt.gz");
    char dir[1024], corpus[1024];
    snprintf(dir, sizeof dir, "%s", dir0);
    *strrchr(dir, '/') = '\0';
    snprintf(corpus, sizeof corpus, "%s", corpus0);
    for (int order = 3; order <= 5; order += 2) {
        char cmd[1200], path[1200];
        snprintf(cmd, sizeof cmd, "gzip -dc '%s'", corpus);
        FILE *f = popen(cmd, "r");
        if (f == NULL) {
            print_message("[  SKIP    ] cannot run gzip\n");
            skip();
        }
        xl_lines r;
        xl_lines_from_stream(&r, f, corpus);
        xl_ngram_train_stats st;
        xl_ngram_model *m = train_lines(&r, order, NULL, 20000, &st);
        xl_lines_close(&r);
        pclose(f);
        assert_int_equal(st.tokens, 430477);
        snprintf(path, sizeof path, "%s/o%d.lmplz.log", dir, order);
        check_discounts(path, &st);
        /* sampled entries: order ngram log10prob log10backoff */
        snprintf(path, sizeof path, "%s/o%d.arpa.sample.tsv", dir, order);
        size_t len;
        char *data = slurp(path, &len);
        double maxd = 0;
        size_t n_checked = 0;
        char *save = NULL;
        for (char *ln = strtok_r(data, "\n", &save); ln; ln = strtok_r(NULL, "\n", &save)) {
            if (ln[0] == '#' || strncmp(ln, "order\t", 6) == 0) continue;
            char *f1 = strchr(ln, '\t'), *f2 = strchr(f1 + 1, '\t'), *f3 = strchr(f2 + 1, '\t');
            *f2 = '\0';
            int k = atoi(ln);
            double p = strtod(f2 + 1, NULL), b = f3 && f3[1] ? strtod(f3 + 1, NULL) : 0.0;
            uint32_t ids[XL_NGRAM_MAX_ORDER];
            int n = 0;
            char *wsave = NULL;
            for (char *w = strtok_r(f1 + 1, " ", &wsave); w; w = strtok_r(NULL, " ", &wsave))
                ids[n++] = xl_ngram_model_index(m, w, strlen(w));
            assert_int_equal(n, k);
            float mp, mb;
            if (!xl_ngram_model_lookup(m, ids, n, &mp, &mb)) fail_msg("'%s' missing", f1 + 1);
            double d = fmax(fabs(mp - p), fabs(mb - b));
            if (d > maxd) maxd = d;
            n_checked++;
        }
        free(data);
        assert_true(maxd <= 1e-4);
        assert_true(n_checked > 2500);
        /* scoring the test text with our model reproduces query's numbers */
        xl_ngram_corpus_stats acc;
        float *totals;
        size_t nl;
        snprintf(path, sizeof path, "%s/test.txt", dir);
        char *out = query_text(m, path, true, &acc, &totals, &nl);
        snprintf(path, sizeof path, "%s/o%d.test", dir, order);
        double maxs = check_against_sentences(path, totals, nl, &acc);
        print_message("           brown20k o%d: %zu sampled entries, max |diff| = %.3g; sentences max |diff| = %.3g\n",
                      order, n_checked, maxd, maxs);
        free(out);
        free(totals);
        xl_ngram_model_free(m);
    }
}

/* ------------------------------------------------- hand-computed corpora */

static xl_ngram_model *train_text(const char *text, int order, xl_ngram_smoothing sm, double k, xl_error *err)
{
    xl_ngram_train_opts o;
    xl_ngram_train_opts_default(&o);
    o.smoothing = sm;
    o.add_k = k;
    xl_ngram_trainer *t = xl_ngram_trainer_new(order, &o, err);
    assert_non_null(t);
    const char *p = text;
    while (*p) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        if (xl_ngram_trainer_add_line(t, p, len, err) < 0) {
            xl_ngram_trainer_free(t);
            return NULL;
        }
        p += len + (nl != NULL);
    }
    xl_ngram_model *m = xl_ngram_trainer_estimate(t, NULL, err);
    xl_ngram_trainer_free(t);
    return m;
}

static double lp(const xl_ngram_model *m, const char *ngram)
{
    uint32_t ids[XL_NGRAM_MAX_ORDER];
    int n = 0;
    char buf[256];
    snprintf(buf, sizeof buf, "%s", ngram);
    char *save = NULL;
    for (char *w = strtok_r(buf, " ", &save); w; w = strtok_r(NULL, " ", &save))
        ids[n++] = xl_ngram_model_index(m, w, strlen(w));
    float p;
    if (!xl_ngram_model_lookup(m, ids, n, &p, NULL)) fail_msg("'%s' not in the model", ngram);
    return p;
}

static double bo(const xl_ngram_model *m, const char *word)
{
    uint32_t id = xl_ngram_model_index(m, word, strlen(word));
    float b;
    assert_true(xl_ngram_model_lookup(m, &id, 1, NULL, &b));
    return b;
}

static double score_line(const xl_ngram_model *m, const char *line)
{
    xl_error err;
    xl_ngram_sentence s;
    assert_int_equal(xl_ngram_query_line(m, line, strlen(line), true, NULL, &s, NULL, &err), 0);
    return s.total;
}

/* xl_ngram_trainer_format_arpa (levels written and freed as they are
 * estimated, no model) gives the text of the model writer byte for byte, for
 * every estimator and orders 1..6, including words interned but never used. */
static void test_trainer_arpa_equals_model(void **state)
{
    (void)state;
    const char *text = "the cat sat on the mat\nthe dog sat on the log\na cat and a dog\n"
                       "on the mat the cat sat\nthe the the\n\nlog dog cat mat\nsat\n";
    const xl_ngram_smoothing sms[3] = {XL_NGRAM_KN, XL_NGRAM_MLE, XL_NGRAM_ADDK};
    for (int si = 0; si < 3; si++)
        for (int order = 1; order <= 6; order++) {
            xl_ngram_train_opts o;
            xl_ngram_train_opts_default(&o);
            o.smoothing = sms[si];
            o.add_k = 0.25;
            o.discount_fallback = true; /* a corpus this small lacks some counts of counts */
            xl_error err;
            xl_buf want, got;
            xl_buf_init(&want);
            xl_buf_init(&got);
            for (int pass = 0; pass < 2; pass++) {
                xl_ngram_trainer *t = xl_ngram_trainer_new(order, &o, &err);
                assert_non_null(t);
                uint32_t unused;
                assert_int_equal(xl_ngram_vocab_intern(xl_ngram_trainer_vocab(t), "never", 5, &unused, &err), 0);
                const char *p = text;
                while (*p) {
                    const char *nl = strchr(p, '\n');
                    assert_int_equal(xl_ngram_trainer_add_line(t, p, (size_t)(nl - p), &err), 0);
                    p = nl + 1;
                }
                if (pass == 0) {
                    xl_ngram_model *m = xl_ngram_trainer_estimate(t, NULL, &err);
                    if (m == NULL) fail_msg("smoothing %d order %d: %s", si, order, err.msg);
                    assert_int_equal(xl_ngram_model_format_arpa(m, &want, &err), 0);
                    xl_ngram_model_free(m);
                } else {
                    if (xl_ngram_trainer_format_arpa(t, &got, NULL, &err) < 0)
                        fail_msg("smoothing %d order %d: %s", si, order, err.msg);
                    assert_int_equal(xl_ngram_trainer_format_arpa(t, &got, NULL, &err), -1); /* spent */
                }
                xl_ngram_trainer_free(t);
            }
            assert_non_null(strstr(want.data, "\tnever"));
            assert_string_equal(got.data, want.data);
            xl_buf_free(&want);
            xl_buf_free(&got);
        }
}

/* Corpus "a b" / "a": counts a=2 b=1 </s>=2 (5 tokens), |V| = {<unk>,</s>,a,b} = 4;
 * bigrams <s>a=2, ab=1, b</s>=1, a</s>=1. */
static void test_mle_by_hand(void **state)
{
    (void)state;
    xl_error err;
    xl_ngram_model *m = train_text("a b\na\n", 2, XL_NGRAM_MLE, 0, &err);
    assert_non_null(m);
    assert_close(lp(m, "a"), log10(2.0 / 5), 1e-6);
    assert_close(lp(m, "b"), log10(1.0 / 5), 1e-6);
    assert_close(lp(m, "</s>"), log10(2.0 / 5), 1e-6);
    assert_true(isinf(lp(m, "<unk>")));
    assert_close(lp(m, "<s> a"), 0.0, 1e-6);
    assert_close(lp(m, "a b"), log10(0.5), 1e-6);
    assert_close(lp(m, "a </s>"), log10(0.5), 1e-6);
    assert_close(lp(m, "b </s>"), 0.0, 1e-6);
    assert_true(isinf(bo(m, "a")) && bo(m, "a") < 0); /* unseen after a seen context: p = 0 */
    assert_close(score_line(m, "a b"), log10(0.5), 1e-6);
    assert_true(isinf(score_line(m, "b a")));
    /* ARPA writes log10(0) as -99 and reads it back as -inf */
    xl_buf a;
    xl_buf_init(&a);
    assert_int_equal(xl_ngram_model_format_arpa(m, &a, &err), 0);
    assert_non_null(strstr(a.data, "-99\t<unk>"));
    xl_ngram_model *m2 = xl_ngram_model_parse_arpa(a.data, a.len, "mle", &err);
    assert_non_null(m2);
    assert_true(isinf(lp(m2, "<unk>")));
    assert_true(isinf(score_line(m2, "b a")));
    xl_buf_free(&a);
    xl_ngram_model_free(m2);
    xl_ngram_model_free(m);
}

static void test_addk_by_hand(void **state)
{
    (void)state;
    xl_error err;
    xl_ngram_model *m = train_text("a b\na\n", 2, XL_NGRAM_ADDK, 1.0, &err);
    assert_non_null(m);
    /* unigrams (c+1)/(5+4) */
    assert_close(lp(m, "a"), log10(3.0 / 9), 1e-6);
    assert_close(lp(m, "b"), log10(2.0 / 9), 1e-6);
    assert_close(lp(m, "</s>"), log10(3.0 / 9), 1e-6);
    assert_close(lp(m, "<unk>"), log10(1.0 / 9), 1e-6);
    /* bigrams (c+1)/(C(h)+4) */
    assert_close(lp(m, "<s> a"), log10(3.0 / 6), 1e-6);
    assert_close(lp(m, "a b"), log10(2.0 / 6), 1e-6);
    assert_close(lp(m, "a </s>"), log10(2.0 / 6), 1e-6);
    assert_close(lp(m, "b </s>"), log10(2.0 / 5), 1e-6);
    /* bow(h) = (k(|V|-n(h))/(C(h)+k|V|)) / (1 - sum of the lower-order p of the seen words):
     * <s>: (3/6)/(1-3/9) = 0.75; a: (2/6)/(1-5/9) = 0.75; b: (3/5)/(1-3/9) = 0.9 */
    assert_close(bo(m, "<s>"), log10(0.75), 1e-6);
    assert_close(bo(m, "a"), log10(0.75), 1e-6);
    assert_close(bo(m, "b"), log10(0.9), 1e-6);
    /* p(b|<s>) = 0.75 * 2/9 = 1/6 (= (0+1)/(2+4), the add-k value for an unseen bigram) */
    xl_ngram_state s, out;
    xl_ngram_state_begin(m, &s);
    uint32_t b = xl_ngram_model_index(m, "b", 1);
    assert_close(xl_ngram_score(m, &s, b, &out, NULL), log10(1.0 / 6), 1e-6);
    assert_close(score_line(m, "a b"), log10(0.5) + log10(2.0 / 6) + log10(2.0 / 5), 1e-5);
    xl_ngram_model_free(m);
}

/* Every model must sum to 1 over the predicted vocabulary in any context. */
static void check_normalised(const xl_ngram_model *m, const uint32_t *ctx, int n_ctx)
{
    xl_ngram_state s;
    xl_ngram_state_null(&s);
    for (int i = 0; i < n_ctx; i++) {
        xl_ngram_state t;
        xl_ngram_score(m, &s, ctx[i], &t, NULL);
        s = t;
    }
    double sum = 0;
    size_t V = xl_ngram_vocab_size(xl_ngram_model_vocab(m));
    for (uint32_t w = 0; w < V; w++) {
        if (w == xl_ngram_model_bos(m)) continue;
        xl_ngram_state o;
        sum += pow(10.0, xl_ngram_score(m, &s, w, &o, NULL));
    }
    assert_close(sum, 1.0, 1e-4);
}

/* The generic API over code points, as the language identifier uses it. */
static void test_character_model(void **state)
{
    (void)state;
    static const char *const lines[] = {"der Hund läuft", "die Katze schläft", "das Haus ist groß",
                                        "ein Hund und eine Katze", "schöne Grüße"};
    for (int sm = 0; sm < 3; sm++) {
        xl_error err;
        xl_ngram_train_opts o;
        xl_ngram_train_opts_default(&o);
        o.smoothing = (xl_ngram_smoothing)sm;
        o.add_k = 0.5;
        o.discount_fallback = true; /* tiny data: counts of counts can be zero */
        xl_ngram_trainer *t = xl_ngram_trainer_new(4, &o, &err);
        assert_non_null(t);
        xl_ngram_vocab *v = xl_ngram_trainer_vocab(t);
        uint32_t ids[64];
        for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++) {
            size_t n = 0;
            const char *p = lines[i];
            while (*p) {
                size_t l = 1;
                while ((p[l] & 0xC0) == 0x80) l++; /* one code point's UTF-8 bytes */
                assert_int_equal(xl_ngram_vocab_intern(v, p, l, &ids[n++], &err), 0);
                p += l;
            }
            assert_int_equal(xl_ngram_trainer_add_ids(t, ids, n, &err), 0);
        }
        uint32_t reserved = XL_NGRAM_BOS;
        assert_int_equal(xl_ngram_trainer_add_ids(t, &reserved, 1, &err), -1);
        xl_ngram_model *m = xl_ngram_trainer_estimate(t, NULL, &err);
        xl_ngram_trainer_free(t);
        assert_non_null(m);
        const xl_ngram_vocab *mv = xl_ngram_model_vocab(m);
        uint32_t ctx[3] = {xl_ngram_vocab_find(mv, "H", 1), xl_ngram_vocab_find(mv, "u", 1),
                           xl_ngram_vocab_find(mv, "n", 1)};
        if (sm != XL_NGRAM_MLE) check_normalised(m, ctx, 3);
        check_normalised(m, ctx, 0);
        uint32_t ctx2[2] = {xl_ngram_vocab_find(mv, "\xC3\xA4", 2), xl_ngram_vocab_find(mv, "u", 1)}; /* "äu" */
        if (sm != XL_NGRAM_MLE) check_normalised(m, ctx2, 2);
        xl_ngram_model_free(m);
    }
}

static void test_kn_normalised_tiny(void **state)
{
    (void)state;
    XL_SKIP_IF_NO_SHARED(p0, "fixtures/ngram/tiny/train.txt");
    char path[1024];
    snprintf(path, sizeof path, "%s", p0);
    xl_ngram_model *m = train_file(path, 3, NULL);
    const char *w[3] = {"of", "the", "jury"};
    uint32_t ctx[3];
    for (int i = 0; i < 3; i++) ctx[i] = xl_ngram_model_index(m, w[i], strlen(w[i]));
    check_normalised(m, ctx, 2);
    check_normalised(m, ctx + 1, 2);
    check_normalised(m, ctx, 1);
    xl_ngram_model_free(m);
}

/* ---------------------------------------------------------------- bad input */

static void test_empty_and_single_token(void **state)
{
    (void)state;
    xl_error err;
    xl_ngram_trainer *t = xl_ngram_trainer_new(3, NULL, &err);
    assert_null(xl_ngram_trainer_estimate(t, NULL, &err));
    assert_non_null(strstr(err.msg, "empty corpus"));
    xl_ngram_trainer_free(t);
    /* one token: KN cannot estimate discounts (lmplz fails the same way) ... */
    assert_null(train_text("hello\n", 3, XL_NGRAM_KN, 0, &err));
    assert_non_null(strstr(err.msg, "discount"));
    /* ... unless the fallback discounts are allowed; MLE and add-k always work */
    xl_ngram_train_opts o;
    xl_ngram_train_opts_default(&o);
    o.discount_fallback = true;
    t = xl_ngram_trainer_new(3, &o, &err);
    assert_int_equal(xl_ngram_trainer_add_line(t, "hello", 5, &err), 0);
    xl_ngram_train_stats st;
    xl_ngram_model *m = xl_ngram_trainer_estimate(t, &st, &err);
    assert_non_null(m);
    assert_true(st.used_fallback[0]);
    assert_close(st.discounts[0][0], 0.5, 0);
    assert_true(isfinite(score_line(m, "hello")));
    assert_true(isfinite(score_line(m, "unknown words")));
    xl_ngram_model_free(m);
    xl_ngram_trainer_free(t);
    m = train_text("hello\n", 2, XL_NGRAM_MLE, 0, &err);
    assert_non_null(m);
    assert_close(score_line(m, "hello"), 0.0, 1e-6);
    xl_ngram_model_free(m);
    /* an empty line is a sentence "<s> </s>" */
    m = train_text("\n\n", 2, XL_NGRAM_MLE, 0, &err);
    assert_non_null(m);
    assert_close(score_line(m, ""), 0.0, 1e-6);
    xl_ngram_model_free(m);
    /* special tokens in the text: an error unless skipped */
    assert_null(train_text("a <s> b\n", 2, XL_NGRAM_MLE, 0, &err));
    assert_non_null(strstr(err.msg, "<s>"));
    assert_null(xl_ngram_trainer_new(0, NULL, &err));
    assert_null(xl_ngram_trainer_new(XL_NGRAM_MAX_ORDER + 1, NULL, &err));
}

static void test_long_line_and_utf8(void **state)
{
    (void)state;
    /* a 1 MB line of 100,000 words, trained and scored */
    xl_buf line;
    xl_buf_init(&line);
    xl_error err;
    uint32_t lcg = 12345; /* words in a pseudo-random order, so counts of counts are all non-zero */
    while (line.len < (1u << 20)) {
        lcg = lcg * 1103515245u + 12345u;
        assert_int_equal(xl_buf_printf(&line, &err, "w%u ", (lcg >> 16) % 5000), 0);
    }
    assert_int_equal(xl_buf_printf(&line, &err, "\nshort line\n"), 0);
    const char *path = xl_test_write_tmp("long.txt", line.data, line.len);
    char p[1024];
    snprintf(p, sizeof p, "%s", path);
    xl_ngram_train_stats st;
    xl_ngram_train_opts o;
    xl_ngram_train_opts_default(&o);
    o.discount_fallback = true; /* uniform random words: no unigram has adjusted count 1..3 */
    xl_lines r;
    assert_int_equal(xl_lines_open(&r, p, &err), 0);
    xl_ngram_model *m = train_lines(&r, 3, &o, -1, &st);
    xl_lines_close(&r);
    assert_true(st.tokens > 100000);
    assert_int_equal(st.sentences, 2);
    xl_ngram_corpus_stats acc;
    float *totals;
    size_t n;
    char *out = query_text(m, p, true, &acc, &totals, &n);
    assert_int_equal(n, 2);
    assert_int_equal(acc.oov, 0);
    assert_true(isfinite(totals[0]) && totals[0] < 0);
    free(out);
    free(totals);
    /* invalid UTF-8: training and scoring both refuse it */
    xl_ngram_trainer *t = xl_ngram_trainer_new(2, NULL, &err);
    assert_int_equal(xl_ngram_trainer_add_line(t, "ok \xC3\x28 x", 8, &err), -1);
    assert_non_null(strstr(err.msg, "invalid UTF-8 at byte 4"));
    xl_ngram_trainer_free(t);
    assert_int_equal(xl_ngram_query_line(m, "\xED\xA0\x80", 3, true, NULL, NULL, NULL, &err), -1);
    assert_non_null(strstr(err.msg, "invalid UTF-8"));
    xl_ngram_model_free(m);
    remove(p);
    xl_buf_free(&line);
}

static const char good_arpa[] = "\\data\\\nngram 1=4\nngram 2=2\n\n\\1-grams:\n-1\t<unk>\t0\n0\t<s>\t-0.5\n"
                                "-0.5\t</s>\t0\n-0.6\ta\t-0.2\n\n\\2-grams:\n-0.1\t<s> a\n-0.3\ta </s>\n\n\\end\\\n";

static void expect_arpa_error(const char *text, const char *needle)
{
    xl_error err;
    xl_error_clear(&err);
    xl_ngram_model *m = xl_ngram_model_parse_arpa(text, strlen(text), "bad.arpa", &err);
    if (m != NULL) fail_msg("accepted malformed ARPA (wanted '%s'):\n%s", needle, text);
    if (strstr(err.msg, needle) == NULL) fail_msg("message '%s' lacks '%s'", err.msg, needle);
}

static char *replace(const char *s, const char *from, const char *to)
{
    static char buf[4096];
    const char *at = strstr(s, from);
    assert_non_null(at);
    snprintf(buf, sizeof buf, "%.*s%s%s", (int)(at - s), s, to, at + strlen(from));
    return buf;
}

/* ARPA numbers read by the exact fast path and by strtod give the same floats
 * (each value here: the float of strtod's double, bit for bit; -inf at or
 * below -99, lmplz's log10 0). */
static void test_arpa_numbers(void **state)
{
    (void)state;
    static const char *const values[] = {"-1.2345678", "-0.30103", "-1e-7", "-2.5E+1", "-0", "-0.0", "-7",
                                         "-12345678901234567890", "-0.1000000000000000055511151231257827",
                                         "-1.5e-30", "-3.4028234e38", "-1.17549435e-38", "-0.99999994", "-1.",
                                         "-.5", "-0000000000000000000000012.5", "-9007199254740993e-10",
                                         "-4.9406564584124654e-324", "-1e22", "-1e-22", "-123456789012345678e-5"};
    const size_t n = sizeof values / sizeof values[0];
    xl_buf t;
    xl_buf_init(&t);
    xl_error err;
    assert_int_equal(xl_buf_printf(&t, &err, "\\data\\\nngram 1=%zu\n\n\\1-grams:\n", n + 2), 0);
    assert_int_equal(xl_buf_printf(&t, &err, "-1\t<s>\n-1\t</s>\n"), 0);
    for (size_t i = 0; i < n; i++) assert_int_equal(xl_buf_printf(&t, &err, "%s\tw%zu\n", values[i], i), 0);
    assert_int_equal(xl_buf_printf(&t, &err, "\n\\end\\\n"), 0);
    xl_ngram_model *m = xl_ngram_model_parse_arpa(t.data, t.len, "numbers.arpa", &err);
    if (m == NULL) fail_msg("%s", err.msg);
    for (size_t i = 0; i < n; i++) {
        char w[16];
        snprintf(w, sizeof w, "w%zu", i);
        const double v = strtod(values[i], NULL);
        const float want = v <= -99.0 ? -INFINITY : (float)v, got = (float)lp(m, w); /* <= -99: log10 0 */
        if (memcmp(&want, &got, sizeof want) != 0) fail_msg("%s: %.9g, strtod %.9g", values[i], (double)got, (double)want);
    }
    xl_ngram_model_free(m);
    xl_buf_free(&t);
}

static void test_malformed_arpa(void **state)
{
    (void)state;
    xl_error err;
    xl_ngram_model *m = xl_ngram_model_parse_arpa(good_arpa, strlen(good_arpa), "good.arpa", &err);
    if (m == NULL) fail_msg("%s", err.msg);
    /* backoff: p(</s> | a) = -0.3; p(a | a) = bow(a) + p(a) = -0.8 */
    xl_ngram_state s, o;
    xl_ngram_state_begin(m, &s);
    uint32_t a = xl_ngram_model_index(m, "a", 1);
    int len;
    assert_close(xl_ngram_score(m, &s, a, &s, &len), -0.1, 1e-6);
    assert_int_equal(len, 2);
    assert_close(xl_ngram_score(m, &s, a, &o, &len), -0.8, 1e-6);
    assert_int_equal(len, 1);
    assert_close(xl_ngram_score(m, &o, 77, &o, &len), -1.2, 1e-6); /* out-of-range id = <unk>, after bow(a) */
    xl_ngram_model_free(m);

    expect_arpa_error("", "no \\data\\");
    expect_arpa_error("\\data\\\n\n\\1-grams:\n", "no 'ngram N=COUNT' lines");
    expect_arpa_error(replace(good_arpa, "ngram 2=2", "ngram 2=3"), "bad.arpa:14: section \\2-grams: has 2 entries, the header says 3");
    expect_arpa_error(replace(good_arpa, "ngram 2=2", "ngram 2=1"), "bad.arpa:13: section \\2-grams: has more entries");
    expect_arpa_error(replace(good_arpa, "ngram 1=4", "ngram 1=x4"), "bad.arpa:2: malformed count line");
    expect_arpa_error(replace(good_arpa, "ngram 2=2", "ngram 3=2"), "expected 'ngram 2=...'");
    expect_arpa_error(replace(good_arpa, "ngram 1=4", "ngram 1=99999999999"), "larger than the file");
    expect_arpa_error(replace(good_arpa, "\\2-grams:", "\\3-grams:"), "bad.arpa:11: expected section header \\2-grams:");
    expect_arpa_error(replace(good_arpa, "\n\\2-grams:\n-0.1\t<s> a\n-0.3\ta </s>\n", ""),
                      "bad.arpa:11: expected section header \\2-grams:, got '\\end\\'");
    expect_arpa_error(replace(good_arpa, "\n\\2-grams:\n-0.1\t<s> a\n-0.3\ta </s>\n\n\\end\\\n", ""),
                      "missing section \\2-grams: (end of file)");
    expect_arpa_error(replace(good_arpa, "\\end\\\n", ""), "missing \\end\\");
    expect_arpa_error(replace(good_arpa, "\\end\\", "\\ends\\"), "expected \\end\\");
    expect_arpa_error(replace(good_arpa, "-0.6\ta", "-0.6x\ta"), "bad.arpa:9: log10 probability '-0.6x' is not a number");
    expect_arpa_error(replace(good_arpa, "a\t-0.2", "a\tnan"), "log10 backoff 'nan' is not a number");
    expect_arpa_error(replace(good_arpa, "-0.6\ta", "0.6\ta"), "positive log10 probability");
    expect_arpa_error(replace(good_arpa, "a\t-0.2", "a\t1e39"), "bad.arpa:9: log10 backoff '1e39' is out of the float range");
    expect_arpa_error(replace(good_arpa, "a </s>", "b </s>"), "bad.arpa:13: word 'b' is not in the unigram section");
    expect_arpa_error(replace(good_arpa, "-0.6\ta", "-0.6\t</s>"), "duplicate unigram '</s>'");
    expect_arpa_error(replace(good_arpa, "a </s>\n", "<s> a\n"), "duplicate 2-gram");
    expect_arpa_error(replace(good_arpa, "a </s>\n", "a </s>\t-0.1\n"), "backoff on a highest-order");
    expect_arpa_error(replace(good_arpa, "-0.1\t<s> a", "-0.1\t<s>"), "needs 3 or 4 fields");
    expect_arpa_error(replace(good_arpa, "\ta\t-0.2", "\t\xC3\x28\t-0.2"), "bad.arpa:9: invalid UTF-8");
    expect_arpa_error("\\data\\\nngram 1=2\n\n\\1-grams:\n-1\t<unk>\n-1\t</s>\n\n\\end\\\n",
                      "the unigram section has no <s>");
    /* tolerated: text before \data\, no <unk> (added with -100 as KenLM does), CRLF line ends */
    char no_unk[4096], buf[4096];
    snprintf(no_unk, sizeof no_unk, "%s", replace(good_arpa, "ngram 1=4\n", "ngram 1=3\n"));
    snprintf(buf, sizeof buf, "made by hand\n%s", replace(no_unk, "-1\t<unk>\t0\n", ""));
    m = xl_ngram_model_parse_arpa(buf, strlen(buf), "nounk.arpa", &err);
    if (m == NULL) fail_msg("%s", err.msg);
    uint32_t unk = XL_NGRAM_UNK;
    float p;
    assert_true(xl_ngram_model_lookup(m, &unk, 1, &p, NULL));
    assert_close(p, -100.0, 0);
    xl_ngram_model_free(m);
    xl_buf crlf;
    xl_buf_init(&crlf);
    for (const char *c = good_arpa; *c; c++) {
        if (*c == '\n') xl_buf_putc(&crlf, '\r', &err);
        xl_buf_putc(&crlf, *c, &err);
    }
    m = xl_ngram_model_parse_arpa(crlf.data, crlf.len, "crlf.arpa", &err);
    assert_non_null(m);
    xl_ngram_model_free(m);
    xl_buf_free(&crlf);
}

static void test_number_format(void **state)
{
    (void)state;
    char b[40];
    xl_ngram_format_float(-0.11152398f, b);
    assert_string_equal(b, "-0.11152398");
    xl_ngram_format_float(-3.66383f, b);
    assert_string_equal(b, "-3.66383");
    xl_ngram_format_float(0.0f, b);
    assert_string_equal(b, "0");
    xl_ngram_format_float(-1e-7f, b);
    assert_string_equal(b, "-1e-7");
    xl_ngram_format_float(-1.5e-6f, b);
    assert_string_equal(b, "-0.0000015");
    xl_ngram_format_float(-100.0f, b);
    assert_string_equal(b, "-100");
    xl_ngram_format_double(408.81041750591396, b);
    assert_string_equal(b, "408.81041750591396");
    xl_ngram_format_double(1e21, b);
    assert_string_equal(b, "1e21");
    xl_ngram_format_double(-INFINITY, b);
    assert_string_equal(b, "-inf");
}

static float float_of_bits(uint32_t b)
{
    float f;
    memcpy(&f, &b, sizeof f);
    return f;
}

/* The fast formatter (ngram_float.c) against the slow snprintf/strtof search
 * on a few thousand edge cases (every power of two and its neighbours,
 * subnormals, powers of ten, extremes, random patterns), and against strings
 * printed by KenLM's double-conversion where the two differ: at the powers of
 * two 2^-96, 2^87, 2^90 the nearest shortest decimal is not the correctly
 * rounded one (the interval below a power of two is half as wide), and the
 * old search printed a 9th digit.  All 2^32 patterns: make float-exhaustive. */
static void test_float_format_edge_cases(void **state)
{
    (void)state;
    static const struct {
        uint32_t bits;
        const char *kenlm;
    } known[] = {
        {0x0F800000u, "1.2621775e-29"}, /* 2^-96 */
        {0x6B000000u, "1.5474251e26"},  /* 2^87 */
        {0x6C800000u, "1.2379401e27"},  /* 2^90 */
        {0x7F7FFFFFu, "3.4028235e38"},  /* FLT_MAX */
        {0x00800000u, "1.1754944e-38"}, /* FLT_MIN */
        {0x007FFFFFu, "1.1754942e-38"}, /* largest subnormal */
        {0x00000001u, "1e-45"},         /* smallest subnormal */
        {0x80000000u, "-0"},
        {0x7F800000u, "inf"},
        {0xFF800000u, "-inf"},
        {0x7FC00000u, "NaN"},
        {0x3F800000u, "1"},
        {0xBDE466AFu, "-0.11152398"},
    };
    char got[40], want[40];
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++) {
        xl_ngram_format_float(float_of_bits(known[i].bits), got);
        if (strcmp(got, known[i].kenlm) != 0) fail_msg("0x%08x: '%s', KenLM prints '%s'", known[i].bits, got, known[i].kenlm);
    }
    /* layout edges (decimal exponent -7/-6 and 20/21) */
    static const struct {
        float v;
        const char *s;
    } layout[] = {{1e-7f, "1e-7"}, {1e-6f, "0.000001"}, {-1.5e-6f, "-0.0000015"}, {1.5e-7f, "1.5e-7"},
                  {1e20f, "100000000000000000000"}, {1e21f, "1e21"}, {123456.7f, "123456.7"}, {-99.0f, "-99"}};
    for (size_t i = 0; i < sizeof layout / sizeof layout[0]; i++) {
        xl_ngram_format_float(layout[i].v, got);
        assert_string_equal(got, layout[i].s);
    }
    size_t n_checked = 0;
    xl_rng rng;
    xl_rng_seed(&rng, 20, 1);
    for (int k = 0; k < 5000; k++) {
        uint32_t bits;
        if (k < 254 * 5) { /* every power of two 2^-126..2^127 and 2 neighbours on each side */
            bits = ((uint32_t)(k / 5 + 1) << 23) + (uint32_t)(k % 5) - 2u;
        } else if (k < 254 * 5 + 600) { /* subnormals: the first 300 and the last 300 */
            int j = k - 254 * 5;
            bits = j < 300 ? (uint32_t)j + 1u : 0x007FFFFFu - (uint32_t)(j - 300);
        } else if (k < 254 * 5 + 600 + 84) { /* powers of ten 1e-45..1e38 */
            char t[16];
            snprintf(t, sizeof t, "1e%d", k - (254 * 5 + 600) - 45);
            float f = strtof(t, NULL);
            memcpy(&bits, &f, sizeof bits);
        } else {
            bits = xl_rng_u32(&rng) & 0x7FFFFFFFu;
            if ((bits >> 23) == 0xFFu) continue; /* inf/NaN: above */
        }
        const float v = float_of_bits(bits);
        xl_ngram_format_float(v, got);
        assert_true(memcmp(&(float){strtof(got, NULL)}, &v, sizeof v) == 0); /* reads back bit for bit */
        bool is_known = false;
        for (size_t i = 0; i < 3; i++) is_known = is_known || bits == known[i].bits;
        if (is_known) continue;
        xl_ngram_format_shortest_reference((double)v, true, want);
        if (strcmp(got, want) != 0) fail_msg("0x%08x: fast '%s', reference '%s'", bits, got, want);
        xl_ngram_format_float(-v, got);
        assert_true(got[0] == '-' && strcmp(got + 1, want) == 0);
        n_checked++;
    }
    assert_true(n_checked > 4900);
}

/* ------------------------------------------------------- binary model files */

static const char *const binary_corpus =
    "the cat sat on the mat\n"
    "the dog sat on the log\n"
    "a cat and a dog\n"
    "the cat saw the dog on the mat\n"
    "a dog sat\n"
    "on the mat the cat sat\n"
    "the log and the mat\n"
    "a cat saw a dog and the dog saw a cat\n";

static const char *const binary_queries[] = {"the cat sat on the mat", "a dog saw the log", "zebra on the mat",
                                             "", "the the the", "cat dog log mat sat saw"};

static xl_ngram_model *train_small(const char *text, int order)
{
    xl_error err;
    xl_ngram_train_opts o;
    xl_ngram_train_opts_default(&o);
    o.discount_fallback = true; /* a corpus this small has no n3/n4 for every order */
    xl_ngram_trainer *t = xl_ngram_trainer_new(order, &o, &err);
    assert_non_null(t);
    for (const char *p = text; *p;) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        if (xl_ngram_trainer_add_line(t, p, len, &err) < 0) fail_msg("%s", err.msg);
        p += len + (nl != NULL);
    }
    xl_ngram_model *m = xl_ngram_trainer_estimate(t, NULL, &err);
    if (m == NULL) fail_msg("%s", err.msg);
    xl_ngram_trainer_free(t);
    return m;
}

/* Query output of the fixed lines (with and without <s> </s>). */
static char *query_lines(const xl_ngram_model *m)
{
    xl_buf out;
    xl_buf_init(&out);
    xl_error err;
    xl_ngram_corpus_stats acc;
    memset(&acc, 0, sizeof acc);
    for (size_t i = 0; i < sizeof binary_queries / sizeof binary_queries[0]; i++)
        for (int sent = 0; sent < 2; sent++)
            if (xl_ngram_query_line(m, binary_queries[i], strlen(binary_queries[i]), sent == 1, &out, NULL, &acc,
                                    &err) < 0)
                fail_msg("%s", err.msg);
    assert_int_equal(xl_ngram_format_summary(&acc, &out, &err), 0);
    return out.data;
}

static unsigned char *binary_image(int order, size_t *len)
{
    xl_ngram_model *m = train_small(binary_corpus, order);
    xl_buf img;
    xl_buf_init(&img);
    xl_error err;
    assert_int_equal(xl_ngram_model_format_binary(m, &img, &err), 0);
    xl_ngram_model_free(m);
    *len = img.len;
    return (unsigned char *)img.data;
}

/* Trained model -> binary (memory and file) -> the same scores, words and entries. */
static void test_binary_roundtrip(void **state)
{
    (void)state;
    xl_error err;
    for (int order = 1; order <= 4; order++) {
        xl_ngram_model *m = train_small(binary_corpus, order);
        char *want = query_lines(m);
        xl_buf img;
        xl_buf_init(&img);
        assert_int_equal(xl_ngram_model_format_binary(m, &img, &err), 0);
        assert_int_equal(img.len % 64, 0);
        assert_true(xl_ngram_is_binary(img.data, img.len));
        xl_ngram_model *b = xl_ngram_model_parse_binary(img.data, img.len, "mem.xlb", &err);
        if (b == NULL) fail_msg("order %d: %s", order, err.msg);
        assert_true(xl_ngram_model_is_binary(b));
        assert_int_equal(xl_ngram_model_order(b), order);
        for (int k = 1; k <= order; k++) assert_int_equal(xl_ngram_model_count(b, k), xl_ngram_model_count(m, k));
        assert_int_equal(xl_ngram_model_bos(b), xl_ngram_model_bos(m));
        assert_int_equal(xl_ngram_model_eos(b), xl_ngram_model_eos(m));
        const xl_ngram_vocab *vm = xl_ngram_model_vocab(m), *vb = xl_ngram_model_vocab(b);
        assert_int_equal(xl_ngram_vocab_size(vb), xl_ngram_vocab_size(vm));
        for (uint32_t id = 0; id < xl_ngram_vocab_size(vm); id++) {
            size_t la, lb;
            const char *wa = xl_ngram_vocab_word(vm, id, &la), *wb = xl_ngram_vocab_word(vb, id, &lb);
            assert_int_equal(la, lb);
            assert_memory_equal(wa, wb, la);
            assert_int_equal(xl_ngram_model_index(b, wa, la), id);
        }
        /* every entry (through the text model's n-gram lists) has the same values */
        const struct xl_ngram_model *mi = m;
        for (int k = 2; k <= order; k++) {
            const xl_ngram_level *lv = &mi->level[k - 1];
            for (uint64_t e = 0; e < lv->count; e++) {
                float p1, b1, p2, b2;
                assert_true(xl_ngram_model_lookup(m, lv->ids + e * (uint64_t)k, k, &p1, &b1));
                assert_true(xl_ngram_model_lookup(b, lv->ids + e * (uint64_t)k, k, &p2, &b2));
                assert_memory_equal(&p1, &p2, sizeof p1);
                assert_memory_equal(&b1, &b2, sizeof b1);
            }
        }
        char *got = query_lines(b);
        assert_string_equal(got, want);
        free(got);
        /* ARPA cannot be written back from a binary model: an error, not a crash */
        xl_buf arpa;
        xl_buf_init(&arpa);
        if (order > 1) {
            assert_int_equal(xl_ngram_model_format_arpa(b, &arpa, &err), -1);
            assert_non_null(strstr(err.msg, "binary"));
        }
        xl_buf_free(&arpa);
        xl_ngram_model_free(b);
        /* through a file, told apart from ARPA by the magic */
        const char *path = xl_test_tmp_path("m.xlb");
        assert_int_equal(xl_ngram_model_write_binary(m, path, &err), 0);
        b = xl_ngram_model_read(path, &err);
        if (b == NULL) fail_msg("%s", err.msg);
        assert_true(xl_ngram_model_is_binary(b));
        got = query_lines(b);
        assert_string_equal(got, want);
        free(got);
        xl_ngram_model_free(b);
        const char *apath = xl_test_tmp_path("m.arpa");
        assert_int_equal(xl_ngram_model_write_arpa(m, apath, &err), 0);
        b = xl_ngram_model_read(apath, &err);
        if (b == NULL) fail_msg("%s", err.msg);
        assert_false(xl_ngram_model_is_binary(b));
        got = query_lines(b);
        assert_string_equal(got, want);
        free(got);
        xl_ngram_model_free(b);
        xl_buf_free(&img);
        free(want);
        xl_ngram_model_free(m);
    }
}

static void put_le32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++) p[i] = (unsigned char)(v >> (8 * i));
}
static void put_le64(unsigned char *p, uint64_t v)
{
    put_le32(p, (uint32_t)v);
    put_le32(p + 4, (uint32_t)(v >> 32));
}
static uint64_t get_le64(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--) v = (v << 8) | p[i];
    return v;
}

/* Parse a damaged copy: must fail with a message containing `want` (NULL: any message). */
static void expect_bad(const unsigned char *img, size_t len, const char *want)
{
    xl_error err;
    err.msg[0] = '\0';
    xl_ngram_model *m = xl_ngram_model_parse_binary(img, len, "bad.xlb", &err);
    if (m != NULL) fail_msg("a damaged binary model (expected '%s') was accepted", want ? want : "an error");
    if (err.msg[0] == '\0') fail_msg("no error message");
    if (want && strstr(err.msg, want) == NULL) fail_msg("message '%s' does not contain '%s'", err.msg, want);
}

/* Every kind of damage is refused by name; truncation at every length; random
 * bit flips either fail with a message or give a model that scores (ASan/UBSan
 * in make check catch anything else). */
static void test_binary_malformed(void **state)
{
    (void)state;
    size_t len;
    unsigned char *good = binary_image(3, &len);
    unsigned char *b = malloc(len);
    xl_error err;
    for (size_t cut = 0; cut < len; cut++) expect_bad(good, cut, NULL);
#define DAMAGE(stmt, want)          \
    do {                            \
        memcpy(b, good, len);       \
        stmt;                       \
        expect_bad(b, len, (want)); \
    } while (0)
    DAMAGE(b[0] = 'Y', "not a binary n-gram model");
    DAMAGE(put_le32(b + 8, 3), "format version 3");
    DAMAGE(put_le32(b + 8, 2), "quantised with 0 / 0 bits"); /* version 2 needs its bits */
    DAMAGE(put_le32(b + 120, 8), "reserved");
    DAMAGE(put_le32(b + 12, 256), "header size");
    DAMAGE(put_le32(b + 16, 0x04030201u), "byte order");
    DAMAGE(put_le32(b + 20, 0x3FC00001u), "IEEE");
    DAMAGE(put_le64(b + 40, len + 64), "truncated?");
    DAMAGE(put_le32(b + 48, 9), "order 9");
    DAMAGE(put_le32(b + 48, 0), "order 0");
    DAMAGE(put_le32(b + 52, 0), "<s> id");
    DAMAGE(put_le32(b + 52, 2), "<s> id");
    DAMAGE(put_le32(b + 60, 2), "at least");
    DAMAGE(put_le32(b + 60, 0xFFFFFFFFu), "words");
    DAMAGE(put_le64(b + 104, 3), "power of 2");
    DAMAGE(put_le64(b + 104, (uint64_t)1 << 40), "power of 2");
    DAMAGE(put_le64(b + 64, get_le64(b + 64) + 1), "multiple of 64");
    DAMAGE(put_le64(b + 64, 64), "overlaps");
    DAMAGE(put_le64(b + 72, get_le64(b + 80) - get_le64(b + 64) + 1), "overlaps"); /* words run into the offsets */
    DAMAGE(put_le64(b + 112, len), "runs past the end");
    DAMAGE(put_le64(b + 112, ((uint64_t)1 << 63) + 64), "runs past the end");
    DAMAGE(put_le64(b + 88, 1), "reserved");
    DAMAGE(put_le64(b + 128, 5), "unigram count");
    DAMAGE(put_le64(b + 128 + 24 + 8, get_le64(b + 128 + 24)), "buckets"); /* 2-gram buckets = count */
    DAMAGE(put_le64(b + 128 + 24 + 8, (uint64_t)1 << 62), "buckets");
    DAMAGE(put_le64(b + 128 + 48 + 16, get_le64(b + 128 + 24 + 16)), "overlaps"); /* 3-grams on the 2-grams */
    DAMAGE(put_le64(b + 128 + 72, 1), "not zero in an order-3");
    /* the vocabulary */
    const uint64_t words = get_le64(good + 64), offs = get_le64(good + 80), table = get_le64(good + 96),
                   slots = get_le64(good + 104), uni = get_le64(good + 112);
    DAMAGE(put_le32(b + offs + 4, 3), "NUL-terminated");        /* word 1 ends inside word 0 */
    DAMAGE(put_le32(b + offs, 1), "word offsets run");          /* does not start at 0 */
    DAMAGE(b[words + 3] = 0xFF, "invalid UTF-8");               /* inside "<unk>" */
    DAMAGE(b[words + 1] = 'x', "should be <unk>");
    for (uint64_t i = 0; i < slots; i++) /* an id past the vocabulary */
        if (get_le64(good + table + 4 * i) != 0) {
            DAMAGE(put_le32(b + table + 4 * i, 1000), "holds id");
            break;
        }
    DAMAGE(memset(b + table, 0, (size_t)slots * 4), "holds 0 ids");
    DAMAGE(put_le32(b + uni, 0x7FC00000u), "unigram 0");  /* NaN log10 p */
    DAMAGE(put_le32(b + uni + 8, 0x3F800000u), "unigram 1"); /* log10 p = +1 */
#undef DAMAGE
    /* a probing table with no empty slot (the loader does not scan tables): queries still end */
    memcpy(b, good, len);
    const uint64_t top_buckets = get_le64(good + 128 + 48 + 8), top_off = get_le64(good + 128 + 48 + 16);
    for (uint64_t i = 0; i < top_buckets; i++) put_le32(b + top_off + 12 * i, 0x12345u + (uint32_t)i);
    xl_ngram_model *m = xl_ngram_model_parse_binary(b, len, "full.xlb", &err);
    if (m == NULL) fail_msg("%s", err.msg);
    char *out = query_lines(m);
    free(out);
    xl_ngram_model_free(m);
    /* random bit flips: refused with a message, or a model that scores */
    xl_rng rng;
    xl_rng_seed(&rng, 7, 3);
    int refused = 0;
    for (int t = 0; t < 400; t++) {
        memcpy(b, good, len);
        int flips = 1 + (int)xl_rng_below(&rng, 3);
        for (int f = 0; f < flips; f++) {
            size_t at = xl_rng_below(&rng, (uint32_t)len);
            b[at] ^= (unsigned char)(1u << xl_rng_below(&rng, 8));
        }
        err.msg[0] = '\0';
        m = xl_ngram_model_parse_binary(b, len, "flip.xlb", &err);
        if (m == NULL) {
            assert_true(err.msg[0] != '\0');
            refused++;
            continue;
        }
        out = query_lines(m);
        free(out);
        xl_ngram_model_free(m);
    }
    assert_true(refused > 0);
    free(b);
    free(good);
}

static int cmp_float_asc(const void *a, const void *b)
{
    const float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

/* Quantised binary files: with 1 probability bit the values of an order are
 * the means of the lower and the upper half of its sorted probabilities (KenLM's
 * bins, computed here independently); backoffs of 0 stay exactly 0; the
 * reported errors are the largest and mean differences; bits enough for one
 * value per bin are lossless (the query text is identical); the file is
 * smaller; damaged quantisation fields are refused by name. */
static void test_binary_quantised(void **state)
{
    (void)state;
    xl_error err;
    const int order = 3;
    xl_ngram_model *m = train_small(binary_corpus, order);
    const struct xl_ngram_model *mi = m;
    xl_buf full, img;
    xl_buf_init(&full);
    xl_buf_init(&img);
    assert_int_equal(xl_ngram_model_format_binary(m, &full, &err), 0);
    xl_ngram_quant_report rep;
    assert_int_equal(xl_ngram_model_format_binary_quant(m, &img, 1, 2, &rep, &err), 0);
    assert_true(img.len < full.len);
    xl_ngram_model *q = xl_ngram_model_parse_binary(img.data, img.len, "q.xlb", &err);
    if (q == NULL) fail_msg("%s", err.msg);
    for (int k = 2; k <= order; k++) {
        const xl_ngram_level *lv = &mi->level[k - 1];
        const size_t n = (size_t)lv->count;
        float *sorted = malloc(n * sizeof *sorted);
        for (size_t e = 0; e < n; e++) {
            float b;
            assert_true(xl_ngram_model_lookup(m, lv->ids + e * (uint64_t)k, k, &sorted[e], &b));
        }
        qsort(sorted, n, sizeof *sorted, cmp_float_asc);
        double lo = 0, hi = 0;
        for (size_t e = 0; e < n / 2; e++) lo += sorted[e];
        for (size_t e = n / 2; e < n; e++) hi += sorted[e];
        const float c0 = (float)(lo / (double)(float)(n / 2)), c1 = (float)(hi / (double)(float)(n - n / 2));
        double pmax = 0, psum = 0, bmax = 0;
        for (size_t e = 0; e < n; e++) {
            const uint32_t *g = lv->ids + e * (uint64_t)k;
            float p1, b1, p2, b2;
            assert_true(xl_ngram_model_lookup(m, g, k, &p1, &b1));
            assert_true(xl_ngram_model_lookup(q, g, k, &p2, &b2));
            const float want = fabsf(p1 - c0) <= fabsf(c1 - p1) ? c0 : c1; /* the nearer centre (ties: lower) */
            assert_memory_equal(&p2, &want, sizeof want);
            const double ep = fabs((double)p1 - (double)p2), eb = fabs((double)b1 - (double)b2);
            psum += ep;
            if (ep > pmax) pmax = ep;
            if (eb > bmax) bmax = eb;
            if (b1 == 0.0f) assert_true(b2 == 0.0f);
        }
        assert_true(pmax > 0);
        assert_true(pmax == rep.prob_max[k - 1]);
        assert_close(psum / (double)n, rep.prob_mean[k - 1], 1e-12);
        if (k < order) assert_true(bmax == rep.backoff_max[k - 1]);
        free(sorted);
    }
    xl_ngram_model_free(q);
    /* 16 bits, more bins than n-grams: every value is its own bin's mean, so nothing changes */
    xl_buf_clear(&img);
    assert_int_equal(xl_ngram_model_format_binary_quant(m, &img, 16, 16, &rep, &err), 0);
    q = xl_ngram_model_parse_binary(img.data, img.len, "q16.xlb", &err);
    if (q == NULL) fail_msg("%s", err.msg);
    char *want = query_lines(m), *got = query_lines(q);
    assert_string_equal(got, want);
    assert_true(rep.prob_max[1] == 0 && rep.prob_max[2] == 0 && rep.backoff_max[1] == 0);
    free(want), free(got);
    /* a quantised model is not quantised again nor written as full floats */
    xl_buf other;
    xl_buf_init(&other);
    assert_int_equal(xl_ngram_model_format_binary_quant(q, &other, 8, 8, NULL, &err), -1);
    assert_non_null(strstr(err.msg, "quantised already"));
    assert_int_equal(xl_ngram_model_format_binary(q, &other, &err), -1);
    assert_int_equal(xl_ngram_model_format_binary_quant(m, &other, 17, 8, NULL, &err), -1);
    /* an order-1 model has nothing to quantise: the full-float file, which reads back */
    xl_ngram_model *m1 = train_small(binary_corpus, 1);
    xl_buf_clear(&other);
    assert_int_equal(xl_ngram_model_format_binary_quant(m1, &other, 8, 8, NULL, &err), 0);
    xl_buf full1;
    xl_buf_init(&full1);
    assert_int_equal(xl_ngram_model_format_binary(m1, &full1, &err), 0);
    assert_int_equal(other.len, full1.len);
    assert_memory_equal(other.data, full1.data, full1.len);
    xl_buf_free(&full1);
    xl_ngram_model_free(m1);
    xl_buf_free(&other);
    xl_ngram_model_free(q);
    /* damage */
    xl_buf_clear(&img);
    assert_int_equal(xl_ngram_model_format_binary_quant(m, &img, 3, 3, NULL, &err), 0);
    const unsigned char *good = (const unsigned char *)img.data;
    const size_t len = img.len;
    unsigned char *b = malloc(len);
    const uint64_t centres = get_le64(good + 88);
    for (size_t cut = 0; cut < len; cut += 7) expect_bad(good, cut, NULL);
#define DAMAGE(stmt, want)          \
    do {                            \
        memcpy(b, good, len);       \
        stmt;                       \
        expect_bad(b, len, (want)); \
    } while (0)
    DAMAGE(put_le32(b + 120, 0), "quantised with 0 / 3 bits");
    DAMAGE(put_le32(b + 124, 17), "quantised with 3 / 17 bits");
    DAMAGE(put_le64(b + 88, centres + 1), "multiple of 64");
    DAMAGE(put_le64(b + 88, len), "runs past the end");
    DAMAGE(put_le32(b + centres, 0x7FC00000u), "probability centre 0");          /* NaN */
    DAMAGE(put_le32(b + centres + 4 * 3, 0x3F800000u), "probability centre 3");  /* +1 */
    DAMAGE(put_le32(b + centres + 4 * 8, 0x3F800000u), "bin 0 must be 0");        /* backoff bin 0 */
    DAMAGE(put_le32(b + centres + 4 * 9, 0x7F800000u), "backoff centre 1");       /* +inf */
#undef DAMAGE
    /* any q in the tables decodes inside the centres (read through masks) */
    memcpy(b, good, len);
    for (int k = 2; k <= order; k++) {
        const uint64_t buckets = get_le64(good + 128 + 24 * (k - 1) + 8), off = get_le64(good + 128 + 24 * (k - 1) + 16);
        for (uint64_t i = 0; i < buckets; i++) put_le32(b + off + 12 * i + 8, 0xFFFFFFFFu);
    }
    q = xl_ngram_model_parse_binary(b, len, "q-ones.xlb", &err);
    if (q == NULL) fail_msg("%s", err.msg);
    got = query_lines(q);
    free(got);
    xl_ngram_model_free(q);
    free(b);
    xl_buf_free(&img);
    xl_buf_free(&full);
    xl_ngram_model_free(m);
}

/* The CLI: train | query through files and "-", exit codes, file:line errors. */
static int run(const char *cmdline)
{
    int st = system(cmdline);
    assert_true(st != -1 && WIFEXITED(st));
    return WEXITSTATUS(st);
}

static void test_cli(void **state)
{
    (void)state;
    const char *bin = xl_test_bin_or_skip();
    char corpus[1024], arpa[1024], errf[1024], cmd[8192];
    snprintf(corpus, sizeof corpus, "%s", xl_test_write_tmp("c.txt", "a b c\nb c a\nc a b a\n", 20));
    snprintf(arpa, sizeof arpa, "%s", xl_test_tmp_path("m.arpa"));
    snprintf(errf, sizeof errf, "%s", xl_test_tmp_path("err.txt"));
    snprintf(cmd, sizeof cmd, "%s ngram train -q -o 2 --smoothing addk --k 0.5 -O %s - < %s", bin, arpa, corpus);
    assert_int_equal(run(cmd), 0);
    snprintf(cmd, sizeof cmd, "echo 'a b zz' | %s ngram query -m %s - > %s", bin, arpa, errf);
    assert_int_equal(run(cmd), 0);
    size_t len;
    char *out = slurp(errf, &len);
    assert_non_null(strstr(out, "zz=0 1 "));
    assert_non_null(strstr(out, "OOV: 1\n"));
    assert_non_null(strstr(out, "Tokens:\t4\n"));
    free(out);
    snprintf(cmd, sizeof cmd, "%s ngram ppl -m %s %s > /dev/null 2>&1", bin, arpa, corpus);
    assert_int_equal(run(cmd), 0);
    snprintf(cmd, sizeof cmd, "%s ngram train -o 9 %s > /dev/null 2>&1", bin, corpus);
    assert_int_equal(run(cmd), 2);
    snprintf(cmd, sizeof cmd, "%s ngram frobnicate > /dev/null 2>&1", bin);
    assert_int_equal(run(cmd), 2);
    snprintf(cmd, sizeof cmd, "%s ngram query %s > /dev/null 2>&1", bin, corpus);
    assert_int_equal(run(cmd), 2); /* --model missing */
    const char *bad = xl_test_write_tmp("bad.txt", "fine line\nbad \xC0\xAF\n", 15);
    snprintf(cmd, sizeof cmd, "%s ngram train -o 2 %s > /dev/null 2> %s", bin, bad, errf);
    assert_int_equal(run(cmd), 1);
    out = slurp(errf, &len);
    assert_non_null(strstr(out, "bad.txt:2: invalid UTF-8 at byte 5"));
    free(out);
    snprintf(cmd, sizeof cmd, "%s ngram query -m %s %s > /dev/null 2> %s", bin, corpus, corpus, errf);
    assert_int_equal(run(cmd), 1); /* the corpus is no ARPA file */
    out = slurp(errf, &len);
    assert_non_null(strstr(out, "no \\data\\"));
    free(out);
    /* binary models: build-binary and train -B give the query output of the ARPA model */
    char xlb[1024], xlb2[1024], qa[1024], qb[1024];
    snprintf(xlb, sizeof xlb, "%s", xl_test_tmp_path("m.xlb"));
    snprintf(xlb2, sizeof xlb2, "%s", xl_test_tmp_path("m2.xlb"));
    snprintf(qa, sizeof qa, "%s", xl_test_tmp_path("qa.txt"));
    snprintf(qb, sizeof qb, "%s", xl_test_tmp_path("qb.txt"));
    snprintf(cmd, sizeof cmd, "%s ngram build-binary %s -o %s 2> /dev/null", bin, arpa, xlb);
    assert_int_equal(run(cmd), 0);
    snprintf(cmd, sizeof cmd, "%s ngram train -q -o 2 --smoothing addk --k 0.5 -B %s %s", bin, xlb2, corpus);
    assert_int_equal(run(cmd), 0);
    snprintf(cmd, sizeof cmd, "%s ngram query -m %s %s > %s", bin, arpa, corpus, qa);
    assert_int_equal(run(cmd), 0);
    char *want = slurp(qa, &len);
    const char *models[2] = {xlb, xlb2};
    for (int i = 0; i < 2; i++) {
        snprintf(cmd, sizeof cmd, "%s ngram query -m %s %s > %s", bin, models[i], corpus, qb);
        assert_int_equal(run(cmd), 0);
        out = slurp(qb, &len);
        assert_string_equal(out, want);
        free(out);
    }
    free(want);
    snprintf(cmd, sizeof cmd, "%s ngram build-binary %s > /dev/null 2>&1", bin, arpa);
    assert_int_equal(run(cmd), 2); /* -o missing */
    snprintf(cmd, sizeof cmd, "%s ngram build-binary %s -o %s -b 4 > /dev/null 2>&1", bin, arpa, xlb2);
    assert_int_equal(run(cmd), 2); /* -b without -q */
    snprintf(cmd, sizeof cmd, "%s ngram build-binary %s -o %s -q 17 > /dev/null 2>&1", bin, arpa, xlb2);
    assert_int_equal(run(cmd), 2);
    snprintf(cmd, sizeof cmd, "%s ngram build-binary %s -o %s -q 3 2> %s && %s ngram query -m %s %s > %s", bin, arpa,
             xlb2, errf, bin, xlb2, corpus, qb);
    assert_int_equal(run(cmd), 0); /* quantised: the error per order on stderr, a model that scores */
    out = slurp(errf, &len);
    assert_non_null(strstr(out, "2-grams quantised to 3 bits: |log10 p error| max "));
    free(out);
    out = slurp(qb, &len);
    assert_non_null(strstr(out, "Perplexity including OOVs:"));
    free(out);
    snprintf(cmd, sizeof cmd, "head -c 100 %s > %s && %s ngram query -m %s %s > /dev/null 2> %s", xlb, qb, bin, qb,
             corpus, errf);
    assert_int_equal(run(cmd), 1); /* a truncated binary model */
    out = slurp(errf, &len);
    assert_non_null(strstr(out, "header"));
    free(out);
    remove(xlb);
    remove(xlb2);
    remove(qa);
    remove(qb);
    remove(corpus);
    remove(arpa);
    remove(errf);
    remove(bad);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_number_format),
        cmocka_unit_test(test_float_format_edge_cases),
        cmocka_unit_test(test_binary_roundtrip),
        cmocka_unit_test(test_binary_malformed),
        cmocka_unit_test(test_binary_quantised),
        cmocka_unit_test(test_trainer_arpa_equals_model),
        cmocka_unit_test(test_mle_by_hand),
        cmocka_unit_test(test_addk_by_hand),
        cmocka_unit_test(test_character_model),
        cmocka_unit_test(test_empty_and_single_token),
        cmocka_unit_test(test_long_line_and_utf8),
        cmocka_unit_test(test_arpa_numbers),
        cmocka_unit_test(test_malformed_arpa),
        cmocka_unit_test(test_kenlm_arpa_query_tiny),
        cmocka_unit_test(test_train_matches_lmplz_tiny),
        cmocka_unit_test(test_kn_normalised_tiny),
        cmocka_unit_test(test_brown20k),
        cmocka_unit_test(test_cli),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
