/* test_text.c - preprocessing (src/text/xl_text.h): the official
 * NormalizationTest.txt for NFC/NFD/NFKC/NFKD, entities, cleaning, case
 * folding, segmentation, script runs, dictionaries and hostile input. */
#define _POSIX_C_SOURCE 200809L
#include "xl_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sys/wait.h>

#include "xl_text.h"

/* Run xl_text_preprocess and compare with the expected UTF-8. */
static void check_pre(const char *in, const xl_text_options *o, const char *expect)
{
    xl_buf out;
    xl_buf_init(&out);
    xl_error err;
    assert_int_equal(xl_text_preprocess(in, strlen(in), o, &out, &err), 0);
    if (strcmp(out.data ? out.data : "", expect) != 0)
        fail_msg("preprocess(\"%s\") = \"%s\", expected \"%s\"", in, out.data ? out.data : "", expect);
    xl_buf_free(&out);
}

static void check_seg(const char *in, xl_segment_mode mode, const xl_text_dict *dict, const char *expect)
{
    xl_buf out;
    xl_buf_init(&out);
    xl_error err;
    assert_int_equal(xl_text_segment(in, strlen(in), mode, dict, &out, &err), 0);
    if (strcmp(out.data ? out.data : "", expect) != 0)
        fail_msg("segment(\"%s\") = \"%s\", expected \"%s\"", in, out.data ? out.data : "", expect);
    xl_buf_free(&out);
}

/* ------------------------------------------------------------------------ */
/* NormalizationTest.txt (UAX #15 conformance): for every line c1..c5
 *   NFC:  c2 == NFC(c1) == NFC(c2) == NFC(c3),  c4 == NFC(c4) == NFC(c5)
 *   NFD:  c3 == NFD(c1) == NFD(c2) == NFD(c3),  c5 == NFD(c4) == NFD(c5)
 *   NFKC: c4 == NFKC(c1..c5);  NFKD: c5 == NFKD(c1..c5)
 * and every code point not listed in Part 1 is invariant under all forms. */
static FILE *open_normalization_test(bool *is_pipe)
{
    const char *env = getenv("XLREC_NORMALIZATION_TEST");
    const char *plain[] = {env, "/usr/share/unicode/NormalizationTest.txt",
                           "/usr/share/unicode-data/NormalizationTest.txt"};
    for (size_t i = 0; i < 3; i++) {
        if (!plain[i]) continue;
        FILE *f = fopen(plain[i], "r");
        if (f) {
            *is_pipe = false;
            return f;
        }
    }
    /* Debian's unicode-data ships it compressed */
    FILE *probe = fopen("/usr/share/unicode/NormalizationTest.txt.bz2", "r");
    if (!probe) return NULL;
    fclose(probe);
    *is_pipe = true;
    return popen("bzip2 -dc /usr/share/unicode/NormalizationTest.txt.bz2 2>/dev/null", "r");
}

static size_t parse_cps(const char *field, uint32_t *out, size_t max)
{
    size_t n = 0;
    const char *p = field;
    while (*p && n < max) {
        while (*p == ' ') p++;
        if (!*p) break;
        char *end;
        out[n++] = (uint32_t)strtoul(p, &end, 16);
        if (end == p) break;
        p = end;
    }
    return n;
}

static bool same(const xl_u32buf *b, const uint32_t *e, size_t n)
{
    return b->len == n && memcmp(b->data, e, n * sizeof *e) == 0;
}

static void test_normalization_conformance(void **state)
{
    (void)state;
    bool is_pipe = false;
    FILE *f = open_normalization_test(&is_pipe);
    if (!f) {
        print_message("[  SKIP    ] NormalizationTest.txt not found (apt-get install unicode-data)\n");
        skip();
    }
    static const xl_norm_form forms[4] = {XL_NORM_NFC, XL_NORM_NFD, XL_NORM_NFKC, XL_NORM_NFKD};
    /* expected column (0-based) for each input column */
    static const int expect[4][5] = {{1, 1, 1, 3, 3}, {2, 2, 2, 4, 4}, {3, 3, 3, 3, 3}, {4, 4, 4, 4, 4}};
    uint8_t *in_part1 = calloc(0x110000, 1);
    assert_non_null(in_part1);
    char line[4096];
    int part = -1;
    size_t lines = 0, failures = 0;
    xl_u32buf out;
    xl_u32buf_init(&out);
    while (fgets(line, sizeof line, f)) {
        if (line[0] == '@') {
            part = atoi(line + 5);
            continue;
        }
        if (line[0] == '#' || line[0] == '\n') continue;
        char *cols[5];
        char *p = line;
        int nc = 0;
        for (; nc < 5; nc++) {
            cols[nc] = p;
            char *semi = strchr(p, ';');
            if (!semi) break;
            *semi = '\0';
            p = semi + 1;
        }
        assert_int_equal(nc, 5);
        uint32_t c[5][32];
        size_t n[5];
        for (int i = 0; i < 5; i++) n[i] = parse_cps(cols[i], c[i], 32);
        if (part == 1 && n[0] == 1) in_part1[c[0][0]] = 1;
        for (int fi = 0; fi < 4; fi++)
            for (int i = 0; i < 5; i++) {
                out.len = 0;
                assert_int_equal(xl_text_normalize_cps(c[i], n[i], forms[fi], &out, NULL), 0);
                int e = expect[fi][i];
                if (!same(&out, c[e], n[e]) && failures++ < 10)
                    print_error("%s of column %d of '%s' differs\n", xl_norm_form_name(forms[fi]), i + 1, cols[0]);
            }
        lines++;
    }
    if (is_pipe) pclose(f);
    else fclose(f);
    assert_true(lines > 19000); /* Unicode 15.0 has 19,300+ test lines */
    /* Part 1 complement: every other code point is its own normal form */
    for (uint32_t cp = 0; cp < 0x110000; cp++) {
        if (in_part1[cp] || (cp >= 0xD800 && cp <= 0xDFFF)) continue;
        for (int fi = 0; fi < 4; fi++) {
            out.len = 0;
            assert_int_equal(xl_text_normalize_cps(&cp, 1, forms[fi], &out, NULL), 0);
            if (!same(&out, &cp, 1) && failures++ < 10)
                print_error("U+%04X not invariant under %s\n", cp, xl_norm_form_name(forms[fi]));
        }
    }
    free(in_part1);
    xl_u32buf_free(&out);
    assert_int_equal(failures, 0);
}

static void test_normalize_examples(void **state)
{
    (void)state;
    xl_buf out;
    xl_buf_init(&out);
    /* e + combining acute -> é (NFC); é -> e + U+0301 (NFD) */
    assert_int_equal(xl_text_normalize("e\xcc\x81", 3, XL_NORM_NFC, &out, NULL), 0);
    assert_string_equal(out.data, "\xc3\xa9");
    xl_buf_clear(&out);
    assert_int_equal(xl_text_normalize("\xc3\xa9", 2, XL_NORM_NFD, &out, NULL), 0);
    assert_string_equal(out.data, "e\xcc\x81");
    /* full-width ＡＢＣ１ and the ligature ﬁ under NFKC */
    xl_buf_clear(&out);
    const char *fw = "\xef\xbc\xa1\xef\xbc\xa2\xef\xbc\xa3\xef\xbc\x91 \xef\xac\x81";
    assert_int_equal(xl_text_normalize(fw, strlen(fw), XL_NORM_NFKC, &out, NULL), 0);
    assert_string_equal(out.data, "ABC1 fi");
    /* NFC keeps them */
    xl_buf_clear(&out);
    assert_int_equal(xl_text_normalize(fw, strlen(fw), XL_NORM_NFC, &out, NULL), 0);
    assert_string_equal(out.data, fw);
    /* Hangul: jamo L V T compose to one syllable 한 */
    xl_buf_clear(&out);
    assert_int_equal(xl_text_normalize("\xe1\x84\x92\xe1\x85\xa1\xe1\x86\xab", 9, XL_NORM_NFC, &out, NULL), 0);
    assert_string_equal(out.data, "\xed\x95\x9c");
    /* empty input into an empty buffer (found by fuzzing: NULL + 0 under clang's UBSan) */
    xl_u32buf empty;
    xl_u32buf_init(&empty);
    for (int f = XL_NORM_NONE; f <= XL_NORM_NFKD; f++)
        assert_int_equal(xl_text_normalize_cps(NULL, 0, (xl_norm_form)f, &empty, NULL), 0);
    assert_int_equal(empty.len, 0);
    xl_buf_clear(&out);
    assert_int_equal(xl_text_normalize("", 0, XL_NORM_NFKC, &out, NULL), 0);
    assert_int_equal(out.len, 0);
    assert_int_equal(xl_norm_form_from_name("NFKC"), XL_NORM_NFKC);
    assert_int_equal(xl_norm_form_from_name("nfx"), -1);
    xl_buf_free(&out);
}

static void test_entities(void **state)
{
    (void)state;
    xl_text_options o = {0};
    o.decode_entities = true;
    check_pre("Tom &amp; Jerry &lt;b&gt; &quot;x&quot; &apos;", &o, "Tom & Jerry <b> \"x\" '");
    check_pre("caf&#233; caf&#xE9; caf&eacute;", &o, "caf\xc3\xa9 caf\xc3\xa9 caf\xc3\xa9");
    /* &nbsp; is white space, so it collapses with the spaces around it */
    check_pre("a&nbsp;&nbsp; b", &o, "a b");
    /* HTML5 numeric rules: 0, surrogates, > U+10FFFF -> U+FFFD; 0x80 -> euro sign */
    check_pre("&#0;|&#xD800;|&#x110000;|&#128;|&#99999999999999999999;", &o,
              "\xef\xbf\xbd|\xef\xbf\xbd|\xef\xbf\xbd|\xe2\x82\xac|\xef\xbf\xbd");
    /* unknown names, a missing ';', bare '&' stay as written */
    check_pre("&bogus; &amp &; & &#; &#x; AT&T", &o, "&bogus; &amp &; & &#; &#x; AT&T");
    /* not decoded when the option is off */
    xl_text_options off = {0};
    check_pre("&amp;", &off, "&amp;");
}

static void test_cleaning(void **state)
{
    (void)state;
    xl_text_options o = {0};
    /* controls -> space, format characters dropped (soft hyphen, ZWSP, BOM, LRM), ZWJ/ZWNJ kept */
    check_pre("a\x01" "b\tc\r\nd", &o, "a b c d");
    check_pre("co\xc2\xad" "op\xe2\x80\x8b" "era\xef\xbb\xbf" "te\xe2\x80\x8e", &o, "cooperate");
    check_pre("\xd9\x85\xe2\x80\x8c\xdb\x8c", &o, "\xd9\x85\xe2\x80\x8c\xdb\x8c");
    /* white space: runs collapse, ends trimmed, U+3000 ideographic space too */
    check_pre("  many \xe3\x80\x80  spaces \xc2\xa0 here  ", &o, "many spaces here");
    /* ill-formed UTF-8 becomes U+FFFD, never an error */
    check_pre("a\xff" "b\xc3", &o, "a\xef\xbf\xbd" "b\xef\xbf\xbd");
    check_pre("", &o, "");
    /* case folding (full: ß -> ss; final sigma folds to σ) after NFKC */
    xl_text_options f = {0};
    f.form = XL_NORM_NFKC;
    f.casefold = true;
    check_pre("Stra\xc3\x9f" "e \xce\xa3\xce\x91\xce\xa3 \xef\xbc\xa1\xef\xbc\xa2", &f,
              "strasse \xcf\x83\xce\xb1\xcf\x83 ab");
    /* punctuation and digits */
    xl_text_options p = {0};
    p.strip_punct = true;
    p.strip_digits = true;
    check_pre("Hello, world! 42 times\xe3\x80\x82\xe2\x80\x9cok\xe2\x80\x9d", &p, "Hello world times ok");
    xl_text_options nl = {0};
    nl.keep_newlines = true;
    check_pre("a  \n  b", &nl, "a\nb");
}

static void test_segmentation(void **state)
{
    (void)state;
    check_seg("Hello, world! don't stop well-known", XL_SEG_CHAR, NULL, "Hello , world ! don't stop well-known");
    /* Chinese and Japanese per character, Latin words kept */
    check_seg("\xe6\x88\x91\xe4\xbb\xac\xe6\x98\xaf\xe4\xb8\xad\xe5\x9b\xbd\xe4\xba\xba use C99",
              XL_SEG_CHAR, NULL,
              "\xe6\x88\x91 \xe4\xbb\xac \xe6\x98\xaf \xe4\xb8\xad \xe5\x9b\xbd \xe4\xba\xba use C99");
    /* Thai: a combining vowel stays with its consonant (กิน = ก + ิ + น) */
    check_seg("\xe0\xb8\x81\xe0\xb8\xb4\xe0\xb8\x99", XL_SEG_CHAR, NULL,
              "\xe0\xb8\x81\xe0\xb8\xb4 \xe0\xb8\x99");
    check_seg("", XL_SEG_CHAR, NULL, "");
    check_seg("  a  b ", XL_SEG_NONE, NULL, "  a  b ");

    const char *words = "# comment\n\xe4\xb8\xad\xe5\x9b\xbd\n\xe4\xb8\xad\xe5\x9b\xbd\xe4\xba\xba\tChinese person\n"
                        "\n\xe6\x88\x91\xe4\xbb\xac\r\n";
    xl_text_dict *d;
    assert_int_equal(xl_text_dict_from_memory(words, strlen(words), &d, NULL), 0);
    assert_int_equal(xl_text_dict_size(d), 3);
    assert_int_equal(xl_text_dict_max_len(d), 3);
    /* 我们是中国人 -> 我们 是 中国人 (longest match wins over 中国) */
    check_seg("\xe6\x88\x91\xe4\xbb\xac\xe6\x98\xaf\xe4\xb8\xad\xe5\x9b\xbd\xe4\xba\xba", XL_SEG_MAXMATCH, d,
              "\xe6\x88\x91\xe4\xbb\xac \xe6\x98\xaf \xe4\xb8\xad\xe5\x9b\xbd\xe4\xba\xba");
    /* maxmatch without a dictionary is a usage error */
    xl_buf out;
    xl_buf_init(&out);
    xl_error err;
    assert_int_equal(xl_text_segment("x", 1, XL_SEG_MAXMATCH, NULL, &out, &err), -1);
    xl_buf_free(&out);
    xl_text_dict_free(d);
    /* loading a missing file fails with its name */
    assert_int_equal(xl_text_dict_load("/nonexistent/words.txt", &d, &err), -1);
    assert_non_null(strstr(err.msg, "/nonexistent/words.txt"));
}

static void test_cedict_maxmatch(void **state)
{
    (void)state;
    /* the CC-CEDICT word list, when ../shared is present, as a real dictionary */
    XL_SKIP_IF_NO_SHARED(path, "data/dict/cc_cedict/cedict.tsv.gz");
    char cmd[1024];
    const char *tmp = xl_test_tmp_path("cedict_words");
    snprintf(cmd, sizeof cmd, "gzip -dc '%s' | cut -f1,2 | tr '\\t' '\\n' > '%s'", path, tmp);
    if (system(cmd) != 0) skip();
    xl_text_dict *d;
    xl_error err;
    assert_int_equal(xl_text_dict_load(tmp, &d, &err), 0);
    assert_true(xl_text_dict_size(d) > 100000);
    /* 我们喜欢自然语言处理 -> 我们 喜欢 自然语言处理 (CC-CEDICT lists the whole term) */
    check_seg("\xe6\x88\x91\xe4\xbb\xac\xe5\x96\x9c\xe6\xac\xa2\xe8\x87\xaa\xe7\x84\xb6\xe8\xaf\xad\xe8\xa8\x80"
              "\xe5\xa4\x84\xe7\x90\x86",
              XL_SEG_MAXMATCH, d,
              "\xe6\x88\x91\xe4\xbb\xac \xe5\x96\x9c\xe6\xac\xa2 \xe8\x87\xaa\xe7\x84\xb6\xe8\xaf\xad\xe8\xa8\x80"
              "\xe5\xa4\x84\xe7\x90\x86");
    xl_text_dict_free(d);
    remove(tmp);
}

static void test_script_runs(void **state)
{
    (void)state;
    const char *s = "Hello, \xd0\xbc\xd0\xb8\xd1\x80! \xe4\xb8\x96\xe7\x95\x8c 123";
    xl_script_run *r;
    size_t n;
    assert_int_equal(xl_text_script_runs(s, strlen(s), &r, &n, NULL), 0);
    assert_int_equal(n, 3);
    assert_int_equal(r[0].script, XL_SC_LATIN);
    assert_int_equal(r[1].script, XL_SC_CYRILLIC);
    assert_int_equal(r[2].script, XL_SC_HAN);
    assert_int_equal(r[0].begin, 0);
    assert_int_equal(r[1].begin, 7);
    assert_int_equal(r[2].end, strlen(s));
    free(r);
    /* leading punctuation joins the first real script; digits only -> Common */
    assert_int_equal(xl_text_script_runs("\"\xce\xb1\xce\xb2", 5, &r, &n, NULL), 0);
    assert_int_equal(n, 1);
    assert_int_equal(r[0].script, XL_SC_GREEK);
    free(r);
    assert_int_equal(xl_text_script_runs("42", 2, &r, &n, NULL), 0);
    assert_int_equal(n, 1);
    assert_int_equal(r[0].script, XL_SC_COMMON);
    free(r);
    assert_int_equal(xl_text_script_runs("", 0, &r, &n, NULL), 0);
    assert_int_equal(n, 0);
    assert_true(xl_text_script_unspaced(XL_SC_THAI));
    assert_false(xl_text_script_unspaced(XL_SC_HANGUL));
}

static void test_long_and_hostile(void **state)
{
    (void)state;
    /* a 1 MB line of mixed text through every step */
    size_t n = 1 << 20;
    char *big = malloc(n + 1);
    assert_non_null(big);
    const char *pat = "A\xcc\x8a &amp; \xe4\xb8\xad\xff x ";
    size_t pl = strlen(pat);
    for (size_t i = 0; i < n; i++) big[i] = pat[i % pl];
    big[n] = '\0';
    xl_text_options o = {1, XL_NORM_NFKC, true, true, true, false};
    xl_buf out;
    xl_buf_init(&out);
    assert_int_equal(xl_text_preprocess(big, n, &o, &out, NULL), 0);
    assert_true(out.len > n / 4);
    xl_buf seg;
    xl_buf_init(&seg);
    assert_int_equal(xl_text_segment(out.data, out.len, XL_SEG_CHAR, NULL, &seg, NULL), 0);
    xl_buf_free(&seg);
    xl_buf_free(&out);
    /* 10,000 combining marks after one base: canonical ordering stays correct */
    size_t marks = 10000;
    uint32_t *cps = malloc((marks + 1) * sizeof *cps);
    assert_non_null(cps);
    cps[0] = 'a';
    for (size_t i = 1; i <= marks; i++) cps[i] = (i % 2) ? 0x0301 : 0x0323; /* ccc 230, 220 */
    xl_u32buf nf;
    xl_u32buf_init(&nf);
    assert_int_equal(xl_text_normalize_cps(cps, marks + 1, XL_NORM_NFC, &nf, NULL), 0);
    /* a + dot below composes to ạ (U+1EA1), then acute would block... all 230s after the 220s */
    assert_int_equal(nf.data[0], 0x1EA1);
    for (size_t i = 2; i < nf.len; i++) assert_true(xl_uc_ccc(nf.data[i - 1]) <= xl_uc_ccc(nf.data[i]));
    xl_u32buf_free(&nf);
    free(cps);
    free(big);
}

/* `xlrec normalize` through the binary ($XLREC_BIN, set by `make test`). */
static void test_cli(void **state)
{
    (void)state;
    const char *bin = xl_test_bin_or_skip();
    const char *in = xl_test_write_tmp("normalize_cli_in", "Caf\xc3\xa9 &amp; \xef\xbc\xa1\n\xe4\xb8\xad\xe6\x96\x87\n", 23);
    char cmd[2048], out[256] = {0};
    snprintf(cmd, sizeof cmd, "%s normalize --nfkc --casefold --segment char %s", bin, in);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    size_t n = fread(out, 1, sizeof out - 1, p);
    int st = pclose(p);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    out[n] = '\0';
    assert_string_equal(out, "caf\xc3\xa9 & a\n\xe4\xb8\xad \xe6\x96\x87\n");
    const char *bad_args[] = {"--nfc --nfkc", "--segment maxmatch", "--dict x.txt", "--segment words"};
    for (size_t i = 0; i < 4; i++) {
        snprintf(cmd, sizeof cmd, "%s normalize %s %s >/dev/null 2>&1", bin, bad_args[i], in);
        st = system(cmd);
        assert_int_equal(WEXITSTATUS(st), 2);
    }
    snprintf(cmd, sizeof cmd, "%s normalize --segment maxmatch --dict /nonexistent %s >/dev/null 2>&1", bin, in);
    st = system(cmd);
    assert_int_equal(WEXITSTATUS(st), 1);
    remove(in);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_normalization_conformance),
        cmocka_unit_test(test_normalize_examples),
        cmocka_unit_test(test_entities),
        cmocka_unit_test(test_cleaning),
        cmocka_unit_test(test_segmentation),
        cmocka_unit_test(test_cedict_maxmatch),
        cmocka_unit_test(test_script_runs),
        cmocka_unit_test(test_long_and_hostile),
        cmocka_unit_test(test_cli),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
