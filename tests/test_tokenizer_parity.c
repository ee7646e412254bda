/* test_tokenizer_parity.c - line-for-line id equality with HuggingFace's
 * native tokenizers library on ../shared/fixtures/tokenizer (README there):
 * every set (samples, tricky, 2,000 UDHR paragraphs in ~40 scripts) for every
 * vocabulary (mBERT cased, bert-base-uncased, bert-base-chinese), loaded both
 * from tokenizer.json and from vocab.txt with the model's flags.  Skips when
 * ../shared is absent. */
#include "xl_test.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wordpiece.h"
#include "xl_io.h"

typedef struct {
    const char *dir;    /* under vocab/ */
    const char *suffix; /* ids file suffix */
    int lowercase;
} vocab_case;

static const vocab_case VOCABS[] = {
    {"bert-base-multilingual-cased", "mbert_cased", 0},
    {"bert-base-uncased", "bert_uncased", 1},
    {"bert-base-chinese", "bert_chinese", 0},
};
static const char *const SETS[] = {"tokenize_samples", "tokenize_tricky", "udhr_sample"};

/* Compare every line of SET.txt with SET.<suffix>.ids; returns mismatching lines. */
static size_t compare_set(const xl_wordpiece *wp, const char *txt_path, const char *ids_path, size_t *n_lines,
                          size_t *n_ids)
{
    char *txt = NULL, *ids = NULL;
    size_t txt_len = 0, ids_len = 0;
    xl_error err;
    if (xl_read_file(txt_path, 0, &txt, &txt_len, &err) < 0 || xl_read_file(ids_path, 0, &ids, &ids_len, &err) < 0)
        fail_msg("%s", err.msg);
    xl_wordpiece_encoding e;
    xl_wordpiece_encoding_init(&e);
    size_t bad = 0, line = 0, tp = 0, ip = 0;
    while (tp < txt_len) {
        /* lines end with "\n" only; every other byte is text (README "Format") */
        const char *nl = memchr(txt + tp, '\n', txt_len - tp);
        size_t end = nl ? (size_t)(nl - txt) : txt_len;
        const char *inl = memchr(ids + ip, '\n', ids_len - ip);
        if (!inl) fail_msg("%s: fewer lines than %s", ids_path, txt_path);
        size_t iend = (size_t)(inl - ids);
        line++;
        if (xl_wordpiece_encode(wp, txt + tp, end - tp, NULL, 0, NULL, &e, &err) < 0) fail_msg("%s", err.msg);
        /* parse the expected ids */
        bool same = true;
        size_t k = 0;
        char *p = ids + ip;
        while (p < ids + iend) {
            char *q;
            long v = strtol(p, &q, 10);
            if (q == p) break;
            if (k >= e.len || e.ids[k] != v) same = false;
            k++;
            p = q;
        }
        if (k != e.len) same = false;
        *n_ids += k;
        if (!same) {
            if (bad < 3) {
                print_message("  mismatch %s line %zu: expected %.*s\n  got", txt_path, line, (int)(iend - ip),
                              ids + ip);
                for (size_t j = 0; j < e.len; j++) print_message(" %d", (int)e.ids[j]);
                print_message("\n");
            }
            bad++;
        }
        tp = end + 1;
        ip = iend + 1;
    }
    if (ip != ids_len) fail_msg("%s: more lines than %s", ids_path, txt_path);
    *n_lines += line;
    xl_wordpiece_encoding_free(&e);
    free(txt);
    free(ids);
    return bad;
}

static void run_vocab(const vocab_case *vc, bool from_json)
{
    char rel[512];
    snprintf(rel, sizeof rel, "vocab/%s/%s", vc->dir, from_json ? "tokenizer.json" : "vocab.txt");
    const char *vpath = xl_test_shared_path(rel);
    if (!vpath) {
        print_message("[  SKIP    ] ../shared/%s not found (set XLREC_SHARED)\n", rel);
        skip();
        return;
    }
    char path[1024];
    snprintf(path, sizeof path, "%s", vpath);
    xl_error err;
    xl_wordpiece *wp = from_json ? xl_wordpiece_load(path, -1, &err) : xl_wordpiece_load(path, vc->lowercase, &err);
    if (!wp) fail_msg("%s", err.msg);
    size_t bad = 0, lines = 0, n_ids = 0;
    for (size_t s = 0; s < sizeof SETS / sizeof SETS[0]; s++) {
        char t[256], i[256];
        snprintf(t, sizeof t, "fixtures/tokenizer/%s.txt", SETS[s]);
        snprintf(i, sizeof i, "fixtures/tokenizer/%s.%s.ids", SETS[s], vc->suffix);
        const char *tp = xl_test_shared_path(t);
        if (!tp) {
            xl_wordpiece_free(wp);
            print_message("[  SKIP    ] ../shared/%s not found\n", t);
            skip();
            return;
        }
        char tpath[1024];
        snprintf(tpath, sizeof tpath, "%s", tp);
        const char *ip = xl_test_shared_path(i);
        if (!ip) fail_msg("missing %s", i);
        char ipath[1024];
        snprintf(ipath, sizeof ipath, "%s", ip);
        bad += compare_set(wp, tpath, ipath, &lines, &n_ids);
    }
    print_message("  %s (%s): %zu lines, %zu ids, %zu mismatching lines\n", vc->dir,
                  from_json ? "tokenizer.json" : "vocab.txt", lines, n_ids, bad);
    xl_wordpiece_free(wp);
    assert_int_equal(bad, 0);
}

static void test_mbert_cased_json(void **state) { (void)state; run_vocab(&VOCABS[0], true); }
static void test_bert_uncased_json(void **state) { (void)state; run_vocab(&VOCABS[1], true); }
static void test_bert_chinese_json(void **state) { (void)state; run_vocab(&VOCABS[2], true); }
static void test_mbert_cased_vocab_txt(void **state) { (void)state; run_vocab(&VOCABS[0], false); }
static void test_bert_uncased_vocab_txt(void **state) { (void)state; run_vocab(&VOCABS[1], false); }
static void test_bert_chinese_vocab_txt(void **state) { (void)state; run_vocab(&VOCABS[2], false); }

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mbert_cased_json),      cmocka_unit_test(test_bert_uncased_json),
        cmocka_unit_test(test_bert_chinese_json),     cmocka_unit_test(test_mbert_cased_vocab_txt),
        cmocka_unit_test(test_bert_uncased_vocab_txt), cmocka_unit_test(test_bert_chinese_vocab_txt),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
