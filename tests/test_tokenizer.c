/* test_tokenizer.c - the Unicode module (tokenizer/xl_unicode.h) and the
 * WordPiece tokenizer (tokenizer/wordpiece.h) on a self-made vocabulary: one
 * test per rule of HF's BertNormalizer / BertPreTokenizer / WordPiece, and the
 * edges of issue 3 (empty line, only spaces, 100/101-char words, combining
 * marks, Hangul, Thai, ZWJ emoji, astral CJK, full-width forms, literal
 * [UNK]/[CLS], invalid UTF-8).  Parity with HF on real vocabularies is
 * tests/test_tokenizer_parity.c. */
#define _POSIX_C_SOURCE 200809L
#include "xl_test.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wordpiece.h"
#include "xl_alloc.h"
#include "xl_unicode.h"

/* ------------------------------------------------------------------------ */
/* Unicode module */

static void test_unicode_categories(void **state)
{
    (void)state;
    assert_string_equal(xl_uc_version(), "15.0.0");
    assert_int_equal(xl_uc_category('A'), XL_GC_LU);
    assert_int_equal(xl_uc_category('a'), XL_GC_LL);
    assert_int_equal(xl_uc_category(0x01C5), XL_GC_LT);
    assert_int_equal(xl_uc_category(0x0301), XL_GC_MN);
    assert_int_equal(xl_uc_category('5'), XL_GC_ND);
    assert_int_equal(xl_uc_category(','), XL_GC_PO);
    assert_int_equal(xl_uc_category('$'), XL_GC_SC);
    assert_int_equal(xl_uc_category(' '), XL_GC_ZS);
    assert_int_equal(xl_uc_category(0x2028), XL_GC_ZL);
    assert_int_equal(xl_uc_category(0x0000), XL_GC_CC);
    assert_int_equal(xl_uc_category(0x200D), XL_GC_CF);
    assert_int_equal(xl_uc_category(0xD800), XL_GC_CS);
    assert_int_equal(xl_uc_category(0xE000), XL_GC_CO);
    assert_int_equal(xl_uc_category(0x10FFFD), XL_GC_CO);
    assert_int_equal(xl_uc_category(0x0378), XL_GC_CN);
    assert_int_equal(xl_uc_category(0x4E00), XL_GC_LO);
    assert_int_equal(xl_uc_category(0x9FFF), XL_GC_LO); /* Unicode 14 addition, in a First/Last range */
    assert_int_equal(xl_uc_category(0x110000), XL_GC_CN);
    assert_int_equal(xl_uc_category(0xFFFFFFFFu), XL_GC_CN);
    assert_string_equal(xl_uc_category_name(XL_GC_PD), "Pd");
    assert_string_equal(xl_uc_category_long_name(XL_GC_SK), "Modifier_Symbol");
    assert_null(xl_uc_category_name(XL_GC_COUNT));
    assert_true(XL_GC_IN(xl_uc_category(0x00BF), XL_GC_MASK_P));
    assert_int_equal(xl_uc_ccc(0x0301), 230);
    assert_int_equal(xl_uc_ccc(0x0327), 202);
    assert_int_equal(xl_uc_ccc('a'), 0);
    assert_true(xl_uc_has(0x3000, XL_UCP_WHITE_SPACE));
    assert_true(xl_uc_has(0x0345, XL_UCP_CASE_IGNORABLE | XL_UCP_CASED));
    assert_true(xl_uc_has(0x1F600, XL_UCP_EXTENDED_PICTOGRAPHIC));
    assert_true(xl_uc_has(0x00C5, XL_UCP_NFD_QC_NO));
    assert_true(xl_uc_has(0x0301, XL_UCP_NFC_QC_MAYBE));
    assert_true(xl_uc_has(0x0958, XL_UCP_FULL_COMP_EXCLUSION));
}

static void test_unicode_scripts(void **state)
{
    (void)state;
    assert_int_equal(xl_uc_script_of('a'), XL_SC_LATIN);
    assert_int_equal(xl_uc_script_of(0x03B1), XL_SC_GREEK);
    assert_int_equal(xl_uc_script_of(0x0416), XL_SC_CYRILLIC);
    assert_int_equal(xl_uc_script_of(0x4E2D), XL_SC_HAN);
    assert_int_equal(xl_uc_script_of(0x20000), XL_SC_HAN);
    assert_int_equal(xl_uc_script_of(0xD55C), XL_SC_HANGUL);
    assert_int_equal(xl_uc_script_of(0x3042), XL_SC_HIRAGANA);
    assert_int_equal(xl_uc_script_of(0x0E01), XL_SC_THAI);
    assert_int_equal(xl_uc_script_of(0x0628), XL_SC_ARABIC);
    assert_int_equal(xl_uc_script_of(' '), XL_SC_COMMON);
    assert_int_equal(xl_uc_script_of(0x0301), XL_SC_INHERITED);
    assert_int_equal(xl_uc_script_of(0x0378), XL_SC_UNKNOWN);
    assert_string_equal(xl_uc_script_name(XL_SC_OLD_ITALIC), "Old_Italic");
    assert_string_equal(xl_uc_script_code(XL_SC_LATIN), "Latn");
    assert_int_equal(xl_uc_script_from_name("old italic"), XL_SC_OLD_ITALIC);
    assert_int_equal(xl_uc_script_from_name("HANI"), XL_SC_HAN);
    assert_int_equal(xl_uc_script_from_name("Klingon"), -1);
    assert_null(xl_uc_script_name(XL_SC_COUNT));
}

static void test_unicode_decomposition(void **state)
{
    (void)state;
    uint32_t out[XL_UC_DECOMP_MAX];
    xl_uc_decomp_type t;
    assert_int_equal(xl_uc_decomp_mapping(0x00E9, &t, out), 2);
    assert_int_equal(t, XL_DT_CANONICAL);
    assert_int_equal(out[0], 'e');
    assert_int_equal(out[1], 0x0301);
    assert_int_equal(xl_uc_decomp_mapping('a', &t, out), 0);
    assert_int_equal(t, XL_DT_NONE);
    assert_int_equal(xl_uc_decomp_mapping(0xFB01, &t, out), 2); /* fi ligature */
    assert_int_equal(t, XL_DT_COMPAT);
    assert_int_equal(xl_uc_decomp_mapping(0xFF21, &t, out), 1); /* full-width A */
    assert_int_equal(t, XL_DT_WIDE);
    /* one level vs full: U+1E08 (C cedilla acute) -> U+00C7 U+0301 -> C U+0327 U+0301 */
    assert_int_equal(xl_uc_decomp_mapping(0x1E08, NULL, out), 2);
    assert_int_equal(out[0], 0x00C7);
    assert_int_equal(xl_uc_decompose(0x1E08, false, out), 3);
    assert_int_equal(out[0], 'C');
    assert_int_equal(out[1], 0x0327);
    /* Hangul, algorithmic: 한 = U+D55C -> ᄒ ᅡ ᆫ; one level LVT -> LV T */
    assert_int_equal(xl_uc_decompose(0xD55C, false, out), 3);
    assert_int_equal(out[0], 0x1112);
    assert_int_equal(out[1], 0x1161);
    assert_int_equal(out[2], 0x11AB);
    assert_int_equal(xl_uc_decomp_mapping(0xD55C, &t, out), 2);
    assert_int_equal(out[0], 0xD558);
    assert_int_equal(out[1], 0x11AB);
    /* canonical vs compatibility */
    assert_int_equal(xl_uc_decompose(0xFB01, false, out), 1);
    assert_int_equal(xl_uc_decompose(0xFB01, true, out), 2);
    assert_int_equal(xl_uc_decompose(0xFDFA, true, out), XL_UC_DECOMP_MAX);
    /* canonical ordering: a + U+0301 (230) + U+0327 (202) -> a U+0327 U+0301 */
    uint32_t s[3] = {'a', 0x0301, 0x0327};
    xl_uc_canonical_order(s, 3);
    assert_int_equal(s[1], 0x0327);
    assert_int_equal(s[2], 0x0301);
    /* composition */
    assert_int_equal(xl_uc_compose('e', 0x0301), 0x00E9);
    assert_int_equal(xl_uc_compose(0x1112, 0x1161), 0xD558);
    assert_int_equal(xl_uc_compose(0xD558, 0x11AB), 0xD55C);
    assert_int_equal(xl_uc_compose(0x0915, 0x093C), 0); /* U+0958 is a composition exclusion */
    assert_int_equal(xl_uc_compose('a', 'b'), 0);
}

static void test_unicode_case(void **state)
{
    (void)state;
    uint32_t m[XL_UC_CASE_MAX];
    assert_int_equal(xl_uc_simple_lower('A'), 'a');
    assert_int_equal(xl_uc_simple_upper(0x00E9), 0x00C9);
    assert_int_equal(xl_uc_simple_title(0x01C6), 0x01C5);
    assert_int_equal(xl_uc_simple_fold(0x1E9E), 0x00DF);
    assert_int_equal(xl_uc_full_lower(0x0130, m), 2); /* İ -> i + combining dot */
    assert_int_equal(m[0], 'i');
    assert_int_equal(m[1], 0x0307);
    assert_int_equal(xl_uc_full_upper(0x00DF, m), 2); /* ß -> SS */
    assert_int_equal(xl_uc_full_fold(0x00DF, m), 2);
    assert_int_equal(xl_uc_full_upper(0xFB03, m), 3); /* ffi */
    xl_error err;
    xl_buf b;
    xl_buf_init(&b);
    /* Python: "ΟΔΟΣ ΣΑ".lower() == "οδος σα" (Final_Sigma) */
    const char *greek = "\xCE\x9F\xCE\x94\xCE\x9F\xCE\xA3 \xCE\xA3\xCE\x91";
    assert_int_equal(xl_uc_lower_utf8(greek, strlen(greek), true, &b, &err), 0);
    assert_string_equal(b.data, "\xCE\xBF\xCE\xB4\xCE\xBF\xCF\x82 \xCF\x83\xCE\xB1");
    xl_buf_clear(&b);
    assert_int_equal(xl_uc_lower_utf8(greek, strlen(greek), false, &b, &err), 0);
    assert_string_equal(b.data, "\xCE\xBF\xCE\xB4\xCE\xBF\xCF\x83 \xCF\x83\xCE\xB1");
    xl_buf_clear(&b);
    assert_int_equal(xl_uc_casefold_utf8("Stra\xC3\x9F" "e", 7, &b, &err), 0);
    assert_string_equal(b.data, "strasse");
    xl_buf_clear(&b);
    assert_int_equal(xl_uc_upper_utf8("a\xFF" "b", 3, &b, &err), 0); /* ill-formed -> U+FFFD */
    assert_string_equal(b.data, "A\xEF\xBF\xBD" "B");
    xl_buf_free(&b);
}

static void test_unicode_bert_classes(void **state)
{
    (void)state;
    assert_true(xl_uc_bert_class(' ') & XL_BERT_WHITESPACE);
    assert_true(xl_uc_bert_class('\t') & XL_BERT_WHITESPACE);
    assert_false(xl_uc_bert_class('\t') & XL_BERT_CONTROL);
    assert_true(xl_uc_bert_class(0x000B) & XL_BERT_CONTROL); /* Cc first: dropped, not a space */
    assert_true(xl_uc_bert_class(0x0000) & XL_BERT_CONTROL);
    assert_true(xl_uc_bert_class(0xFFFD) & XL_BERT_CONTROL);
    assert_true(xl_uc_bert_class(0x200D) & XL_BERT_CONTROL);
    assert_false(xl_uc_bert_class(0x0378) & XL_BERT_CONTROL); /* unassigned is kept */
    assert_true(xl_uc_bert_class('$') & XL_BERT_PUNCT);       /* ASCII symbol */
    assert_true(xl_uc_bert_class('`') & XL_BERT_PUNCT);
    assert_true(xl_uc_bert_class(0x00B7) & XL_BERT_PUNCT);
    assert_false(xl_uc_bert_class(0x20AC) & XL_BERT_PUNCT); /* euro sign: Sc, not ASCII */
    assert_true(xl_uc_bert_class(0x4E2D) & XL_BERT_CJK);
    assert_true(xl_uc_bert_class(0x2B920) & XL_BERT_CJK);
    assert_false(xl_uc_bert_class(0x2B820) & XL_BERT_CJK); /* HF's range starts at 2B920 */
    assert_false(xl_uc_bert_class(0x3042) & XL_BERT_CJK);  /* kana is not */
    /* departures (docs/tokenizer.md): categories of Unicode 8.0 */
    assert_false(xl_uc_bert_class(0x0890) & XL_BERT_CONTROL); /* Cf added in 14.0 */
    assert_true(xl_uc_bert_class(0x166D) & XL_BERT_PUNCT);     /* Po in 8.0 */
    assert_true(xl_uc_bert_class(0x1734) & XL_BERT_NONSPACING);
    assert_false(xl_uc_bert_class(0x1885) & XL_BERT_NONSPACING);
    uint32_t m[XL_UC_CASE_MAX], d[XL_UC_DECOMP_MAX];
    assert_int_equal(xl_uc_bert_lower(0x10D50, m), 1); /* Garay, Unicode 16 */
    assert_int_equal(m[0], 0x10D70);
    assert_int_equal(xl_uc_full_lower(0x10D50, m), 1);
    assert_int_equal(m[0], 0x10D50);
    assert_int_equal(xl_uc_bert_decompose(0x11938, d), 1); /* Unicode 13: no NFD in the library */
    assert_int_equal(xl_uc_decompose(0x11938, false, d), 2);
    assert_int_equal(xl_uc_bert_ccc(0x1DFA), 0); /* ccc 218 since Unicode 14 */
    assert_int_equal(xl_uc_ccc(0x1DFA), 218);
}

/* The committed tables are exactly what the generator makes from the UCD. */
static void test_unicode_regenerate_identical(void **state)
{
    (void)state;
    FILE *f = fopen("/usr/share/unicode/UnicodeData.txt", "r");
    if (!f) {
        print_message("[  SKIP    ] /usr/share/unicode not installed (apt-get install unicode-data)\n");
        skip();
    }
    fclose(f);
    f = fopen("tokenizer/tools/gen_unicode.sh", "r");
    if (!f) {
        print_message("[  SKIP    ] run from the repository root\n");
        skip();
    }
    fclose(f);
    const char *dir = xl_test_tmp_path("regen");
    char cmd[2048];
    snprintf(cmd, sizeof cmd,
             "CC=cc sh tokenizer/tools/gen_unicode.sh /usr/share/unicode %s 2>/dev/null && "
             "cmp %s/unicode_tables.c tokenizer/unicode_tables.c && "
             "cmp %s/xl_unicode_scripts.h tokenizer/xl_unicode_scripts.h; rc=$?; rm -rf %s; exit $rc",
             dir, dir, dir, dir);
    assert_int_equal(system(cmd), 0);
}

/* ------------------------------------------------------------------------ */
/* WordPiece on a small vocabulary */

static const char *const VOCAB[] = {
    "[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]",                                    /* 0-4 */
    "hello", "world", "un", "##aff", "##able",                                       /* 5-9 */
    ",", "!", ".", "a", "##a",                                                       /* 10-14 */
    "\xE4\xB8\xAD", "\xE5\x9B\xBD", "cafe", "caf\xC3\xA9", "##s",                    /* 15-19: 中 国 */
    "h", "##y", "##ga", "hy", "##uga",                                               /* 20-24 */
    "[", "]", "cl", "##s", "$",                                                      /* 25-29 */
    "\xF0\xA0\x80\x80", "i", "##\xCC\x87", "\xCE\xBF\xCE\xB4\xCE\xBF\xCF\x83", "x",  /* 30-34: U+20000, ##U+0307, οδοσ */
    "y", "##b", "b", "\xEF\xBD\x81", "\xE1\x84\x92",                                 /* 35-39: ａ, ᄒ */
    "##\xE1\x85\xA1", "##\xE1\x86\xAB", "\xE0\xB8\xAA", "a\xCC\x81", "\xC3\xA1",     /* 40-44: ##ᅡ ##ᆫ ส á(decomposed) á */
};
#define N_VOCAB (sizeof VOCAB / sizeof VOCAB[0])

static xl_wordpiece *make_wp(bool lowercase)
{
    xl_wordpiece_options o;
    xl_wordpiece_options_default(&o);
    o.lowercase = lowercase;
    xl_error err;
    xl_wordpiece *wp = xl_wordpiece_create(VOCAB, NULL, N_VOCAB, &o, &err);
    if (!wp) fail_msg("xl_wordpiece_create: %s", err.msg);
    return wp;
}

/* encode and compare with the expected ids (specials included) */
static void check_ids(const xl_wordpiece *wp, const char *text, size_t len, const int32_t *expect, size_t n, int line)
{
    xl_wordpiece_encoding e;
    xl_wordpiece_encoding_init(&e);
    xl_error err;
    if (xl_wordpiece_encode(wp, text, len, NULL, 0, NULL, &e, &err) < 0) fail_msg("line %d: %s", line, err.msg);
    bool ok = e.len == n;
    for (size_t k = 0; ok && k < n; k++) ok = e.ids[k] == expect[k];
    if (!ok) {
        char got[1024] = "";
        for (size_t k = 0; k < e.len && strlen(got) < 1000; k++) snprintf(got + strlen(got), 16, " %d", e.ids[k]);
        xl_wordpiece_encoding_free(&e);
        fail_msg("line %d: unexpected ids:%s", line, got);
    }
    xl_wordpiece_encoding_free(&e);
}
#define CHECK(wp, text, ...)                                                                 \
    do {                                                                                     \
        const int32_t ex_[] = {__VA_ARGS__};                                                 \
        check_ids((wp), (text), strlen(text), ex_, sizeof ex_ / sizeof ex_[0], __LINE__);    \
    } while (0)
#define CHECKN(wp, text, len, ...)                                                           \
    do {                                                                                     \
        const int32_t ex_[] = {__VA_ARGS__};                                                 \
        check_ids((wp), (text), (len), ex_, sizeof ex_ / sizeof ex_[0], __LINE__);           \
    } while (0)

static void check_norm(const xl_wordpiece *wp, const char *text, const char *expect)
{
    char *out;
    size_t n;
    xl_error err;
    assert_int_equal(xl_wordpiece_normalize(wp, text, strlen(text), &out, &n, &err), 0);
    assert_int_equal(n, strlen(expect));
    assert_memory_equal(out, expect, n);
    free(out);
}

static void test_wp_greedy_longest_match(void **state)
{
    (void)state;
    xl_wordpiece *wp = make_wp(false);
    CHECK(wp, "hyuga", 2, 23, 24, 3);            /* hy ##uga, not h ##y ##ga */
    CHECK(wp, "unaffable", 2, 7, 8, 9, 3);      /* un ##aff ##able */
    CHECK(wp, "unaffablex", 2, 1, 3);           /* an unmatched piece: the whole word is [UNK] */
    CHECK(wp, "hello unaffablex world", 2, 5, 1, 6, 3);
    CHECK(wp, "ab", 2, 13, 36, 3);
    xl_wordpiece_free(wp);
}

static void test_wp_max_chars(void **state)
{
    (void)state;
    xl_wordpiece *wp = make_wp(false);
    char w[102];
    int32_t ex[103];
    memset(w, 'a', sizeof w);
    ex[0] = 2;
    ex[1] = 13;
    for (int k = 2; k <= 100; k++) ex[k] = 14;
    ex[101] = 3;
    check_ids(wp, w, 100, ex, 102, __LINE__); /* exactly 100 chars: a ##a x 99 */
    CHECKN(wp, w, 101, 2, 1, 3);              /* 101 chars: [UNK] */
    char v[256];
    memset(v, 0, sizeof v);
    for (int k = 0; k < 100; k++) memcpy(v + 2 * k, "\xC3\xA1", 2); /* 100 two-byte chars still count as 100 */
    xl_wordpiece_encoding e;
    xl_wordpiece_encoding_init(&e);
    xl_error err;
    assert_int_equal(xl_wordpiece_encode(wp, v, 200, NULL, 0, NULL, &e, &err), 0);
    assert_int_equal(e.len, 2 + 1); /* á is in the vocabulary, ##á is not: one [UNK] */
    assert_int_equal(e.ids[1], 1);
    assert_int_equal(xl_wordpiece_encode(wp, v, 202 - 2, NULL, 0, NULL, &e, &err), 0);
    xl_wordpiece_encoding_free(&e);
    xl_wordpiece_free(wp);
}

static void test_wp_empty_and_spaces(void **state)
{
    (void)state;
    xl_wordpiece *wp = make_wp(false);
    CHECK(wp, "", 2, 3);
    CHECK(wp, "     ", 2, 3);
    CHECK(wp, " \t\r\n\xE3\x80\x80 ", 2, 3); /* ideographic space */
    CHECK(wp, "\x01\x7F\xE2\x80\x8B", 2, 3);  /* controls and ZWSP are dropped */
    CHECK(wp, "  hello \t world  ", 2, 5, 6, 3);
    CHECK(wp, "hel\xE2\x80\x8Blo", 2, 5, 3);  /* ZWSP removed inside a word */
    CHECK(wp, "hello\xC2\xA0world", 2, 5, 6, 3); /* NBSP is whitespace */
    CHECK(wp, "hello\x0Bworld", 2, 1, 3);        /* VT is a control: dropped, words join */
    xl_wordpiece_free(wp);
}

static void test_wp_punctuation(void **state)
{
    (void)state;
    xl_wordpiece *wp = make_wp(false);
    CHECK(wp, "hello,world!", 2, 5, 10, 6, 11, 3);
    CHECK(wp, "$a", 2, 29, 13, 3);
    CHECK(wp, "hello...", 2, 5, 12, 12, 12, 3);
    CHECK(wp, "##s", 2, 1, 1, 1, 3); /* '#' is punctuation: three words */
    xl_wordpiece_free(wp);
}

static void test_wp_cjk(void **state)
{
    (void)state;
    xl_wordpiece *wp = make_wp(false);
    CHECK(wp, "\xE4\xB8\xAD\xE5\x9B\xBD", 2, 15, 16, 3);         /* 中国 -> 中 国 */
    CHECK(wp, "a\xE4\xB8\xAD" "a", 2, 13, 15, 13, 3);            /* split out of a word */
    CHECK(wp, "\xF0\xA0\x80\x80\xE4\xB8\xAD", 2, 30, 15, 3);     /* astral-plane U+20000 */
    CHECK(wp, "\xE3\x81\x82\xE3\x81\x84", 2, 1, 3);              /* kana stays one word */
    CHECK(wp, "\xEF\xBD\x81", 2, 38, 3);                         /* full-width a: no NFKC */
    xl_wordpiece_free(wp);
}

static void test_wp_accents_and_case(void **state)
{
    (void)state;
    xl_wordpiece *cased = make_wp(false), *uncased = make_wp(true);
    CHECK(cased, "caf\xC3\xA9", 2, 18, 3);
    CHECK(uncased, "Caf\xC3\xA9", 2, 17, 3);       /* lowercase + strip accents */
    CHECK(uncased, "CAFE\xCC\x81", 2, 17, 3);      /* decomposed input */
    CHECK(cased, "a\xCC\x81", 2, 43, 3);           /* combining mark kept, not composed */
    CHECK(cased, "\xC3\xA1", 2, 44, 3);
    CHECK(uncased, "\xC3\x81", 2, 13, 3);          /* Á -> a */
    check_norm(uncased, "\xC3\x85ngstr\xC3\xB6m", "angstrom");
    /* İ: NFD gives I + U+0307, the mark is stripped, then I is lowercased */
    CHECK(uncased, "\xC4\xB0", 2, 31, 3);
    /* lowercase without strip_accents: İ -> i + U+0307 (SpecialCasing), which stays */
    xl_wordpiece_options lo;
    xl_wordpiece_options_default(&lo);
    lo.strip_accents = 0;
    xl_error err;
    xl_wordpiece *lower_only = xl_wordpiece_create(VOCAB, NULL, N_VOCAB, &lo, &err);
    assert_non_null(lower_only);
    CHECK(lower_only, "\xC4\xB0", 2, 31, 32, 3);
    CHECK(lower_only, "Caf\xC3\xA9", 2, 18, 3);
    xl_wordpiece_free(lower_only);
    /* no Final_Sigma context (HF lowercases per character) */
    CHECK(uncased, "\xCE\x9F\xCE\x94\xCE\x9F\xCE\xA3", 2, 33, 3);
    /* full-width forms are lowercased, not folded to ASCII */
    check_norm(uncased, "\xEF\xBC\xA1", "\xEF\xBD\x81");
    /* Hangul decomposes to jamo under strip_accents (jamo are not Mn) */
    check_norm(uncased, "\xED\x95\x9C", "\xE1\x84\x92\xE1\x85\xA1\xE1\x86\xAB");
    CHECK(uncased, "\xED\x95\x9C", 2, 39, 40, 41, 3);
    check_norm(cased, "\xED\x95\x9C", "\xED\x95\x9C");
    /* Thai: the vowel signs U+0E31 and U+0E35 are Mn, stripped when uncased */
    check_norm(uncased, "\xE0\xB8\xAA\xE0\xB8\xA7\xE0\xB8\xB1\xE0\xB8\xAA\xE0\xB8\x94\xE0\xB8\xB5",
               "\xE0\xB8\xAA\xE0\xB8\xA7\xE0\xB8\xAA\xE0\xB8\x94");
    check_norm(cased, "\xE0\xB8\xAA\xE0\xB8\xB1", "\xE0\xB8\xAA\xE0\xB8\xB1");
    /* canonical reordering before marks are dropped keeps Mc order */
    check_norm(uncased, "a\xCC\x81\xCC\xA7", "a");
    xl_wordpiece_free(cased);
    xl_wordpiece_free(uncased);
}

static void test_wp_emoji(void **state)
{
    (void)state;
    xl_wordpiece *wp = make_wp(false);
    /* family emoji: ZWJ (Cf) is dropped, the pictographs stay one word -> [UNK] */
    const char *family = "\xF0\x9F\x91\xA8\xE2\x80\x8D\xF0\x9F\x91\xA9\xE2\x80\x8D\xF0\x9F\x91\xA7";
    CHECK(wp, family, 2, 1, 3);
    check_norm(wp, family, "\xF0\x9F\x91\xA8\xF0\x9F\x91\xA9\xF0\x9F\x91\xA7");
    check_norm(wp, "\xF0\x9F\x91\x8D\xF0\x9F\x8F\xBD", "\xF0\x9F\x91\x8D\xF0\x9F\x8F\xBD"); /* skin tone kept */
    xl_wordpiece_free(wp);
}

static void test_wp_literal_special_tokens(void **state)
{
    (void)state;
    xl_wordpiece *cased = make_wp(false), *uncased = make_wp(true);
    CHECK(cased, "a [CLS] b", 2, 13, 2, 37, 3);
    CHECK(cased, "[UNK]", 2, 1, 3);
    CHECK(cased, "x[SEP]y", 2, 34, 3, 35, 3);          /* glued: matched anyway */
    CHECK(cased, "[MASK][PAD]", 2, 4, 0, 3);
    CHECK(uncased, "[CLS]", 2, 2, 3);                  /* matched before lowercasing */
    CHECK(uncased, "[cls]", 2, 25, 27, 28, 26, 3);     /* lowercase text is not special: [ cl ##s ] */
    CHECK(cased, "[CLS", 2, 25, 1, 3);                 /* incomplete: [ and CLS */
    xl_wordpiece_free(cased);
    xl_wordpiece_free(uncased);
}

static void test_wp_invalid_utf8(void **state)
{
    (void)state;
    xl_wordpiece *wp = make_wp(false);
    /* each ill-formed subpart reads as U+FFFD, which clean_text drops */
    CHECK(wp, "a\xFF" "b", 2, 13, 36, 3);
    CHECK(wp, "a\xC3", 2, 13, 3);              /* truncated at the end */
    CHECK(wp, "\xE4\xB8" "a", 2, 13, 3);       /* truncated 3-byte sequence */
    CHECK(wp, "\xC0\xAF" "a", 2, 13, 3);       /* overlong '/' is not punctuation */
    CHECK(wp, "\xED\xA0\x80" "a", 2, 13, 3);   /* surrogate */
    CHECK(wp, "\xF4\x90\x80\x80", 2, 3);       /* above U+10FFFF */
    CHECK(wp, "\xEF\xBF\xBD" "a", 2, 13, 3);   /* a real U+FFFD is dropped too */
    CHECKN(wp, "a\0b", 3, 2, 13, 36, 3);       /* NUL is dropped */
    xl_wordpiece_free(wp);
}

static void test_wp_pairs_and_truncation(void **state)
{
    (void)state;
    xl_wordpiece *wp = make_wp(false);
    xl_wordpiece_encoding e;
    xl_wordpiece_encoding_init(&e);
    xl_error err;
    assert_int_equal(xl_wordpiece_encode(wp, "hello world", 11, "a b", 3, NULL, &e, &err), 0);
    const int32_t ids[] = {2, 5, 6, 3, 13, 37, 3}, types[] = {0, 0, 0, 0, 1, 1, 1};
    assert_int_equal(e.len, 7);
    assert_memory_equal(e.ids, ids, sizeof ids);
    assert_memory_equal(e.type_ids, types, sizeof types);
    assert_int_equal(e.sequence[0], -1);
    assert_int_equal(e.sequence[4], 1);
    assert_int_equal(e.special_mask[3], 1);
    assert_int_equal(e.offsets[2 * 4], 0); /* "a" at 0 in text B */
    assert_int_equal(e.offsets[2 * 5], 2);
    /* longest_first: A has 6 tokens, B 2, max 7 -> 4 content tokens: 2 + 2 */
    xl_wordpiece_encode_options o;
    xl_wordpiece_encode_options_default(&o);
    o.max_length = 7;
    assert_int_equal(xl_wordpiece_encode(wp, "a b a b a b", 11, "x y", 3, &o, &e, &err), 0);
    assert_int_equal(e.len, 7);
    assert_int_equal(e.n_truncated, 4);
    const int32_t t1[] = {2, 13, 37, 3, 34, 35, 3};
    assert_memory_equal(e.ids, t1, sizeof t1);
    /* both long: split evenly, the extra one to the second */
    o.max_length = 8;
    assert_int_equal(xl_wordpiece_encode(wp, "a a a a a a", 11, "b b b b b b", 11, &o, &e, &err), 0);
    const int32_t t2[] = {2, 13, 13, 3, 37, 37, 37, 3};
    assert_int_equal(e.len, 8);
    assert_memory_equal(e.ids, t2, sizeof t2);
    o.truncation = WORDPIECE_TRUNC_ONLY_SECOND;
    assert_int_equal(xl_wordpiece_encode(wp, "a a", 3, "b b b b b b", 11, &o, &e, &err), 0);
    const int32_t t3[] = {2, 13, 13, 3, 37, 37, 37, 3};
    assert_memory_equal(e.ids, t3, sizeof t3);
    o.truncation = WORDPIECE_TRUNC_ONLY_FIRST;
    assert_int_equal(xl_wordpiece_encode(wp, "a a", 3, "b b b b b b", 11, &o, &e, &err), -1);
    assert_non_null(strstr(err.msg, "too short"));
    /* single sequence */
    o.max_length = 3;
    assert_int_equal(xl_wordpiece_encode(wp, "a b a", 5, NULL, 0, &o, &e, &err), 0);
    const int32_t t4[] = {2, 13, 3};
    assert_int_equal(e.len, 3);
    assert_memory_equal(e.ids, t4, sizeof t4);
    o.max_length = 1;
    assert_int_equal(xl_wordpiece_encode(wp, "a", 1, NULL, 0, &o, &e, &err), -1);
    /* no special tokens */
    o.max_length = 0;
    o.add_special_tokens = false;
    assert_int_equal(xl_wordpiece_encode(wp, "a b", 3, NULL, 0, &o, &e, &err), 0);
    assert_int_equal(e.len, 2);
    xl_wordpiece_encoding_free(&e);
    xl_wordpiece_free(wp);
}

static void test_wp_padding_and_offsets(void **state)
{
    (void)state;
    xl_wordpiece *wp = make_wp(true);
    xl_wordpiece_encoding e[2];
    xl_error err;
    xl_wordpiece_encoding_init(&e[0]);
    xl_wordpiece_encoding_init(&e[1]);
    const char *t0 = "Hello, W\xC3\xB6rld", *t1 = "a";
    assert_int_equal(xl_wordpiece_encode(wp, t0, strlen(t0), NULL, 0, NULL, &e[0], &err), 0);
    assert_int_equal(xl_wordpiece_encode(wp, t1, 1, NULL, 0, NULL, &e[1], &err), 0);
    assert_int_equal(e[0].len, 5); /* [CLS] hello , [UNK] [SEP] */
    assert_int_equal(e[0].offsets[2], 0);
    assert_int_equal(e[0].offsets[3], 5);
    assert_int_equal(e[0].offsets[4], 5);
    assert_int_equal(e[0].offsets[5], 6);
    assert_int_equal(e[0].offsets[6], 7);  /* "Wörld" bytes 7..13 */
    assert_int_equal(e[0].offsets[7], 13);
    assert_int_equal(xl_wordpiece_byte_to_char(t0, strlen(t0), 13), 12);
    assert_int_equal(xl_wordpiece_pad_batch(wp, e, 2, 0, &err), 0);
    assert_int_equal(e[1].len, 5);
    const int32_t ids[] = {2, 13, 3, 0, 0};
    const uint8_t att[] = {1, 1, 1, 0, 0};
    assert_memory_equal(e[1].ids, ids, sizeof ids);
    assert_memory_equal(e[1].attention_mask, att, sizeof att);
    assert_int_equal(xl_wordpiece_pad_batch(wp, e, 2, 8, &err), 0);
    assert_int_equal(e[0].len, 8);
    xl_wordpiece_encoding_free(&e[0]);
    xl_wordpiece_encoding_free(&e[1]);
    xl_wordpiece_free(wp);
}

static void test_wp_vocab_api(void **state)
{
    (void)state;
    xl_wordpiece *wp = make_wp(false);
    assert_int_equal(xl_wordpiece_vocab_size(wp), N_VOCAB);
    assert_int_equal(xl_wordpiece_token_to_id(wp, "##aff", 5), 8);
    assert_int_equal(xl_wordpiece_token_to_id(wp, "zzz", 3), -1);
    size_t n;
    assert_string_equal(xl_wordpiece_id_to_token(wp, 6, &n), "world");
    assert_null(xl_wordpiece_id_to_token(wp, 9999, &n));
    /* "##s" appears twice (19 and 28): the later id wins, as HF's reader */
    assert_int_equal(xl_wordpiece_token_to_id(wp, "##s", 3), 28);
    assert_null(xl_wordpiece_id_to_token(wp, 19, &n));
    assert_int_equal(xl_wordpiece_special_id(wp, WORDPIECE_CLS), 2);
    assert_int_equal(xl_wordpiece_special_id(wp, WORDPIECE_MASK), 4);
    xl_wordpiece_free(wp);
    /* missing [UNK] */
    xl_error err;
    const char *bad[] = {"a", "b"};
    assert_null(xl_wordpiece_create(bad, NULL, 2, NULL, &err));
    assert_non_null(strstr(err.msg, "[UNK]"));
    assert_null(xl_wordpiece_create(bad, NULL, 0, NULL, &err));
    /* custom special tokens and prefix */
    const char *v2[] = {"<unk>", "<s>", "</s>", "ab", "@@c"};
    xl_wordpiece_options o;
    xl_wordpiece_options_default(&o);
    o.unk_token = "<unk>";
    o.cls_token = "<s>";
    o.sep_token = "</s>";
    o.continuing_subword_prefix = "@@";
    xl_wordpiece *w2 = xl_wordpiece_create(v2, NULL, 5, &o, &err);
    assert_non_null(w2);
    CHECK(w2, "abc <s>", 1, 3, 4, 1, 2);
    xl_wordpiece_free(w2);
}

static void test_wp_loading_files(void **state)
{
    (void)state;
    xl_error err;
    /* vocab.txt with CRLF, trailing spaces and no final newline */
    const char vt[] = "[PAD]\r\n[UNK]\n[CLS] \n[SEP]\n[MASK]\nHello\nhello\n##x";
    const char *path = xl_test_write_tmp("vocab.txt", vt, sizeof vt - 1);
    xl_wordpiece_options o;
    xl_wordpiece_options_default(&o);
    o.lowercase = false;
    xl_wordpiece *wp = xl_wordpiece_load_vocab(path, &o, &err);
    assert_non_null(wp);
    assert_int_equal(xl_wordpiece_vocab_size(wp), 8);
    CHECK(wp, "Hello hellox [CLS]", 2, 5, 6, 7, 2, 3);
    xl_wordpiece_free(wp);
    wp = xl_wordpiece_load(path, 1, &err); /* --lowercase */
    assert_non_null(wp);
    CHECK(wp, "Hello", 2, 6, 3);
    xl_wordpiece_free(wp);
    remove(path);
    /* tokenizer.json */
    const char tj[] =
        "{\"version\":\"1.0\",\"added_tokens\":[{\"id\":0,\"content\":\"[UNK]\",\"special\":true,\"normalized\":false},"
        "{\"id\":1,\"content\":\"[CLS]\",\"special\":true,\"normalized\":false},"
        "{\"id\":2,\"content\":\"[SEP]\",\"special\":true,\"normalized\":false}],"
        "\"normalizer\":{\"type\":\"BertNormalizer\",\"clean_text\":true,\"handle_chinese_chars\":true,"
        "\"strip_accents\":null,\"lowercase\":true},\"pre_tokenizer\":{\"type\":\"BertPreTokenizer\"},"
        "\"post_processor\":{\"type\":\"BertProcessing\",\"sep\":[\"[SEP]\",2],\"cls\":[\"[CLS]\",1]},"
        "\"model\":{\"type\":\"WordPiece\",\"unk_token\":\"[UNK]\",\"continuing_subword_prefix\":\"##\","
        "\"max_input_chars_per_word\":3,\"vocab\":{\"[UNK]\":0,\"[CLS]\":1,\"[SEP]\":2,\"abc\":3,\"abcd\":4}}}";
    path = xl_test_write_tmp("tokenizer.json", tj, sizeof tj - 1);
    wp = xl_wordpiece_load(path, -1, &err);
    if (!wp) fail_msg("%s", err.msg);
    assert_true(xl_wordpiece_get_options(wp)->lowercase);
    CHECK(wp, "ABC abcd", 1, 3, 0, 2); /* abcd is over max_input_chars_per_word = 3 */
    xl_wordpiece_free(wp);
    remove(path);
    /* refused: other model, broken JSON, missing file */
    const char bpe[] = "{\"model\":{\"type\":\"BPE\",\"vocab\":{}}}";
    path = xl_test_write_tmp("bpe.json", bpe, sizeof bpe - 1);
    assert_null(xl_wordpiece_load(path, -1, &err));
    assert_non_null(strstr(err.msg, "not WordPiece"));
    remove(path);
    const char broken[] = "{\"model\":";
    path = xl_test_write_tmp("broken.json", broken, sizeof broken - 1);
    assert_null(xl_wordpiece_load(path, -1, &err));
    remove(path);
    assert_null(xl_wordpiece_load_vocab("/nonexistent/vocab.txt", NULL, &err));
    assert_non_null(strstr(err.msg, "/nonexistent/vocab.txt"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_unicode_categories),
        cmocka_unit_test(test_unicode_scripts),
        cmocka_unit_test(test_unicode_decomposition),
        cmocka_unit_test(test_unicode_case),
        cmocka_unit_test(test_unicode_bert_classes),
        cmocka_unit_test(test_unicode_regenerate_identical),
        cmocka_unit_test(test_wp_greedy_longest_match),
        cmocka_unit_test(test_wp_max_chars),
        cmocka_unit_test(test_wp_empty_and_spaces),
        cmocka_unit_test(test_wp_punctuation),
        cmocka_unit_test(test_wp_cjk),
        cmocka_unit_test(test_wp_accents_and_case),
        cmocka_unit_test(test_wp_emoji),
        cmocka_unit_test(test_wp_literal_special_tokens),
        cmocka_unit_test(test_wp_invalid_utf8),
        cmocka_unit_test(test_wp_pairs_and_truncation),
        cmocka_unit_test(test_wp_padding_and_offsets),
        cmocka_unit_test(test_wp_vocab_api),
        cmocka_unit_test(test_wp_loading_files),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
