/* test_augment.c - word-deletion pairs (src/train/train_augment.h, `xlrec augment`): the exact
 * output of a fixed seed (checked by hand against the PCG32 draws listed below), independence of a
 * line's output from the lines before it, code-point integrity in character mode, the skip rules,
 * and malformed input through the library and the binary ($XLREC_BIN); and the file order of
 * weights/tools/group_pairs.sh for train-encoder --batch-order grouped. */
#define _POSIX_C_SOURCE 200809L
#include "xl_test.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "train_augment.h"
#include "xl_io.h"
#include "xl_utf8.h"

static xl_augment_opts opts(double p, uint64_t seed)
{
    xl_augment_opts o;
    xl_augment_opts_default(&o);
    o.p_drop = p;
    o.seed = seed;
    return o;
}

/* Run one line; returns the outcome, the pair (or "") in out. */
static xl_augment_outcome one(const xl_augment_opts *o, const char *line, uint64_t stream, xl_buf *out)
{
    xl_buf_clear(out);
    xl_augment_outcome oc = XL_AUGMENT_N_OUTCOMES;
    xl_error err;
    xl_error_clear(&err);
    if (xl_augment_line(o, line, strlen(line), "t.tsv", stream, stream, out, &oc, NULL, &err) != 0)
        fail_msg("unexpected error: %s", err.msg);
    return oc;
}

/* Seed 7, p 0.5; xl_rng_double draws of stream s = (seed 7, line s), a unit deleted when < 0.5:
 *   1: 0.815 0.149 0.449 0.384 0.734 0.057  the quick brown fox jumps over -> keep, del, del, del, keep, del
 *   2: 0.861 0.700 0.507 0.478 0.443 0.546 0.456  我们今天去公园 -> 我 们 今 kept, 天 去 del, 公 kept, 园 del
 *   3: 0.659 0.775 0.978 0.009  ein Hund bellt laut (two spaces, U+3000 ideographic space) -> laut del
 *   4: 0.901 0.455 0.176 0.505 0.583 0.224 0.965 0.137 0.513 0.721  side 2, ja, per character:
 *      お は よ う | ご ざ い ま す | 😀 -> お, う | ご, い, す | 😀 kept
 *   5: 0.665 0.525  le chat -> nothing deleted: skipped
 *   6: hola (one word < --min-words 2): skipped before any draw */
static void test_exact_seed7(void **state)
{
    (void)state;
    xl_augment_opts o = opts(0.5, 7);
    xl_buf out;
    xl_buf_init(&out);
    assert_int_equal(one(&o, "en\tthe quick brown fox jumps over", 1, &out), XL_AUGMENT_WRITTEN);
    assert_string_equal(out.data, "en\tthe quick brown fox jumps over\ten\tthe jumps");
    assert_int_equal(one(&o, "zh-Hans\t我们今天去公园", 2, &out), XL_AUGMENT_WRITTEN);
    assert_string_equal(out.data, "zh-Hans\t我们今天去公园\tzh-Hans\t我们今公");
    assert_int_equal(one(&o, "de\tein  Hund\xe3\x80\x80" "bellt laut\r", 3, &out), XL_AUGMENT_WRITTEN);
    assert_string_equal(out.data, "de\tein  Hund\xe3\x80\x80" "bellt laut\tde\tein Hund bellt");
    o.side = 2;
    assert_int_equal(one(&o, "en\tgood morning\tja\tおはよう ございます 😀", 4, &out), XL_AUGMENT_WRITTEN);
    assert_string_equal(out.data, "ja\tおはよう ございます 😀\tja\tおう ごいす 😀");
    o.side = 1; /* side 1 of the same line: words of English, stream 4: good keep (0.901), morning del (0.455) */
    assert_int_equal(one(&o, "en\tgood morning\tja\tおはよう ございます 😀", 4, &out), XL_AUGMENT_WRITTEN);
    assert_string_equal(out.data, "en\tgood morning\ten\tgood");
    assert_int_equal(one(&o, "fr\tle chat", 5, &out), XL_AUGMENT_NONE_DROPPED);
    assert_int_equal(out.len, 0);
    assert_int_equal(one(&o, "es\thola", 6, &out), XL_AUGMENT_SHORT);
    o.min_units = 1; /* one word, stream 6: deleted or kept, either way the line is skipped */
    xl_augment_outcome oc = one(&o, "es\thola", 6, &out);
    assert_true(oc == XL_AUGMENT_NONE_DROPPED || oc == XL_AUGMENT_ALL_DROPPED);
    o.max_chars = 10; /* "the quick brown fox jumps over" has 30 code points */
    assert_int_equal(one(&o, "en\tthe quick brown fox jumps over", 1, &out), XL_AUGMENT_LONG);
    assert_int_equal(out.len, 0);
    xl_buf_free(&out);
}

/* A line's pair depends on (seed, stream, text) only: the same after any other lines, different
 * for another seed; p near 1 deletes everything and is skipped. */
static void test_independent_of_context(void **state)
{
    (void)state;
    xl_augment_opts o = opts(0.3, 11);
    xl_buf a, b;
    xl_buf_init(&a);
    xl_buf_init(&b);
    const char *line = "en\tone two three four five six seven eight nine ten eleven twelve";
    assert_int_equal(one(&o, line, 42, &a), XL_AUGMENT_WRITTEN);
    xl_augment_stats st;
    memset(&st, 0, sizeof st);
    xl_augment_outcome oc;
    for (uint64_t s = 1; s < 42; s++) { /* other lines through the same buffer and stats */
        xl_buf_clear(&b);
        assert_int_equal(xl_augment_line(&o, "fr\tun deux trois quatre", 22, "t", s, s, &b, &oc, &st, NULL), 0);
    }
    xl_buf_clear(&b);
    assert_int_equal(xl_augment_line(&o, line, strlen(line), "t", 42, 42, &b, &oc, &st, NULL), 0);
    assert_string_equal(a.data, b.data);
    assert_int_equal(st.lines, 42);
    o.seed = 12;
    assert_int_equal(one(&o, line, 42, &b), XL_AUGMENT_WRITTEN);
    assert_string_not_equal(a.data, b.data);
    o.p_drop = 0.999999;
    assert_int_equal(one(&o, line, 42, &b), XL_AUGMENT_ALL_DROPPED);
    xl_buf_free(&a);
    xl_buf_free(&b);
}

/* Character mode never splits a UTF-8 sequence: over many streams every output is well-formed and
 * is the input's code points (white space aside) with some removed, in order. */
static void test_cjk_code_points(void **state)
{
    (void)state;
    static const char text[] = "日本語の文章です。한국어 😀𝄞 Ωé中文";
    char line[256];
    snprintf(line, sizeof line, "ja\t%s", text);
    xl_augment_opts o = opts(0.4, 3);
    o.min_units = 1;
    xl_buf out;
    xl_buf_init(&out);
    size_t written = 0;
    for (uint64_t s = 1; s <= 300; s++) {
        if (one(&o, line, s, &out) != XL_AUGMENT_WRITTEN) continue;
        written++;
        const char *short_side = strrchr(out.data, '\t') + 1;
        size_t n = strlen(short_side);
        assert_true(xl_utf8_validate(short_side, n, NULL, NULL));
        /* subsequence: walk the input's code points */
        size_t i = 0, j = 0;
        const size_t tl = sizeof text - 1;
        while (j < n) {
            if (short_side[j] == ' ') { /* a word boundary of the output */
                j++;
                continue;
            }
            uint32_t want, got;
            int gl = xl_utf8_decode((const unsigned char *)short_side + j, n - j, &got, NULL);
            assert_true(gl > 0);
            bool found = false;
            while (i < tl) {
                int il = xl_utf8_decode((const unsigned char *)text + i, tl - i, &want, NULL);
                i += (size_t)il;
                if (want == got) {
                    found = true;
                    break;
                }
            }
            if (!found) fail_msg("stream %llu: %s is not a subsequence of the input", (unsigned long long)s, short_side);
            j += (size_t)gl;
        }
    }
    assert_true(written > 250); /* 19 units at p 0.4: nothing or everything deleted is rare */
    assert_true(xl_augment_per_char("zh,ja", "ja", 2));
    assert_true(xl_augment_per_char("zh,ja", "zh-Hans", 7));
    assert_false(xl_augment_per_char("zh,ja", "zhx", 3));
    assert_false(xl_augment_per_char("zh,ja", "ko", 2));
    assert_false(xl_augment_per_char("", "ja", 2));
    assert_true(xl_augment_per_char("th,,ja", "th", 2));
    xl_buf_free(&out);
}

static void expect_error(const char *line, size_t len, const char *want)
{
    xl_augment_opts o = opts(0.3, 1);
    xl_buf out;
    xl_buf_init(&out);
    xl_augment_outcome oc;
    xl_error err;
    xl_error_clear(&err);
    assert_int_equal(xl_augment_line(&o, line, len, "in.tsv", 3, 3, &out, &oc, NULL, &err), -1);
    if (strcmp(err.msg, want) != 0) fail_msg("got '%s', wanted '%s'", err.msg, want);
    assert_int_equal(out.len, 0);
    xl_buf_free(&out);
}

static void test_malformed(void **state)
{
    (void)state;
    expect_error("en\tle ch\xc3t", 9, "in.tsv:3: invalid UTF-8 (truncated sequence) at byte 9");
    expect_error("en\ta\tb", 6, "in.tsv:3: 3 tab-separated columns, expected 2 (lang<TAB>text) or 4 "
                               "(lang1<TAB>text1<TAB>lang2<TAB>text2)");
    expect_error("just text", 9, "in.tsv:3: 1 tab-separated column, expected 2 (lang<TAB>text) or 4 "
                                "(lang1<TAB>text1<TAB>lang2<TAB>text2)");
    expect_error(" \tthe cat", 9, "in.tsv:3: empty language tag in column 1");
    expect_error("en\t  ", 5, "in.tsv:3: empty text in column 2");
    expect_error("en\tthe cat\tfr\t", 14, "in.tsv:3: empty text in column 4");
    expect_error("", 0, "in.tsv:3: empty line (expected lang<TAB>text or 4 columns)");
}

/* ---- the command ---- */

static int run(const char *args, const char *input, char *out, size_t cap)
{
    const char *bin = xl_test_bin_or_skip();
    char cmd[8192];
    snprintf(cmd, sizeof cmd, "%s %s <%s 2>&1", bin, args, input ? input : "/dev/null");
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    size_t n = fread(out, 1, cap - 1, p);
    out[n] = '\0';
    while (fgetc(p) != EOF) {
    }
    int st = pclose(p);
    assert_true(st != -1 && WIFEXITED(st));
    return WEXITSTATUS(st);
}

static const char INPUT[] = "en\tthe quick brown fox jumps over\n"
                            "zh-Hans\t我们今天去公园\n"
                            "de\tein  Hund\xe3\x80\x80" "bellt laut\n"
                            "en\tgood morning\tja\tおはよう ございます 😀\n"
                            "fr\tle chat\n"
                            "es\thola\n";

static void test_cli(void **state)
{
    (void)state;
    xl_test_bin_or_skip();
    char in[1100], out[1100], args[4096], buf[8192];
    snprintf(in, sizeof in, "%s", xl_test_write_tmp("aug_in.tsv", INPUT, sizeof INPUT - 1));
    snprintf(out, sizeof out, "%s", xl_test_tmp_path("aug_out.tsv"));
    snprintf(args, sizeof args, "augment --drop-words 0.5 --seed 7 %s -o %s", in, out);
    assert_int_equal(run(args, NULL, buf, sizeof buf), 0);
    assert_non_null(strstr(buf, "6 lines, 4 pairs written (19 units, 9 deleted, 47.4 %); skipped: 1 short, 0 long, "
                                "1 with nothing deleted, 0 with everything deleted"));
    char *d;
    size_t n;
    assert_int_equal(xl_read_file(out, 0, &d, &n, NULL), 0);
    assert_string_equal(d, "en\tthe quick brown fox jumps over\ten\tthe jumps\n"
                           "zh-Hans\t我们今天去公园\tzh-Hans\t我们今公\n"
                           "de\tein  Hund\xe3\x80\x80" "bellt laut\tde\tein Hund bellt\n"
                           "en\tgood morning\ten\tgood\n");
    free(d);
    /* --first-line: lines 3.. of the file given alone equal the full run's pairs of those lines */
    char *tail = strstr(INPUT, "de\t");
    char part[1100];
    snprintf(part, sizeof part, "%s", xl_test_write_tmp("aug_part.tsv", tail, strlen(tail)));
    snprintf(args, sizeof args, "augment --drop-words 0.5 --seed 7 --first-line 3 --side 2 -");
    assert_int_equal(run(args, part, buf, sizeof buf), 0);
    assert_non_null(strstr(buf, "de\tein  Hund\xe3\x80\x80" "bellt laut\tde\tein Hund bellt\n"
                                "ja\tおはよう ございます 😀\tja\tおう ごいす 😀\n"));
    /* errors: FILE:LINE and exit 1, the output file left as it was */
    static const char bad[] = "en\tthe cat\nen\tthe dog\tfr\nen\tx y\n";
    char badf[1100];
    snprintf(badf, sizeof badf, "%s", xl_test_write_tmp("aug_bad.tsv", bad, sizeof bad - 1));
    FILE *f = fopen(out, "wb");
    assert_non_null(f);
    fputs("KEEP", f);
    fclose(f);
    snprintf(args, sizeof args, "augment --drop-words 0.5 %s -o %s", badf, out);
    assert_int_equal(run(args, NULL, buf, sizeof buf), 1);
    char want[1400];
    snprintf(want, sizeof want, "xlrec: %s:2: 3 tab-separated columns, expected 2", badf);
    if (strstr(buf, want) == NULL) fail_msg("got: %s", buf);
    assert_int_equal(xl_read_file(out, 0, &d, &n, NULL), 0);
    assert_string_equal(d, "KEEP");
    free(d);
    static const char bad_utf8[] = "en\tthe cat\nen\tle ch\xff" "t\n";
    snprintf(badf, sizeof badf, "%s", xl_test_write_tmp("aug_bad2.tsv", bad_utf8, sizeof bad_utf8 - 1));
    snprintf(args, sizeof args, "augment --drop-words 0.5 %s", badf);
    assert_int_equal(run(args, NULL, buf, sizeof buf), 1);
    snprintf(want, sizeof want, "xlrec: %s:2: invalid UTF-8 (invalid lead byte) at byte 9", badf);
    if (strstr(buf, want) == NULL) fail_msg("got: %s", buf);
    /* usage errors: exit 2 */
    assert_int_equal(run("augment", NULL, buf, sizeof buf), 2);
    assert_non_null(strstr(buf, "--drop-words P is required"));
    assert_int_equal(run("augment --drop-words 1", NULL, buf, sizeof buf), 2);
    assert_int_equal(run("augment --drop-words 0.3 --side 3", NULL, buf, sizeof buf), 2);
    snprintf(args, sizeof args, "augment --drop-words 0.3 %s -o %s", in, in);
    assert_int_equal(run(args, NULL, buf, sizeof buf), 2); /* the output may not be the input */
    assert_int_equal(run("augment --help", NULL, buf, sizeof buf), 0);
    remove(in);
    remove(out);
    remove(part);
    remove(badf);
}

/* weights/tools/group_pairs.sh (the file order for train-encoder --batch-order grouped): lines
 * sharing their rarest word become adjacent, the second copy of an identical first side goes to
 * the second round (never beside the first), lines without a shared word come last; the output is
 * a permutation of the input.  Checked on 7 lines whose order was worked out by hand:
 *   df: the 5, cat 3, dog 2, park 2, mat 2, on 2, sat 2, in 1, my 1, likes 1, zebra 1 ...
 *   keys: line 2 (dog, park), 4 (dog, park), 1 (mat, on), 5 (cat), 7 and 6 none; line 3 = line 1. */
static void test_group_pairs_tool(void **state)
{
    (void)state;
    static const char in_text[] = "en\tthe cat sat on the mat\tfr\tx\n"
                                  "en\ta dog in the park\tde\ty\n"
                                  "en\tthe cat sat on the mat\tde\tz\n"
                                  "en\tmy dog likes the park\tfr\tw\n"
                                  "en\tThe zebra, cat!\tfr\tv\n"
                                  "zh-Hans\t我们\tja\tu\n"
                                  "en\tno shared words\tfr\tt\n";
    char in[1100], out[1100], cmd[2400];
    snprintf(in, sizeof in, "%s", xl_test_write_tmp("group_in.tsv", in_text, sizeof in_text - 1));
    snprintf(out, sizeof out, "%s", xl_test_tmp_path("group_out.tsv"));
    snprintf(cmd, sizeof cmd, "sh weights/tools/group_pairs.sh %s > %s", in, out);
    int st = system(cmd);
    assert_true(st != -1 && WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 0);
    char *d;
    size_t n;
    assert_int_equal(xl_read_file(out, 0, &d, &n, NULL), 0);
    assert_string_equal(d, "en\ta dog in the park\tde\ty\n"
                           "en\tmy dog likes the park\tfr\tw\n"
                           "en\tthe cat sat on the mat\tfr\tx\n"
                           "en\tThe zebra, cat!\tfr\tv\n"
                           "en\tno shared words\tfr\tt\n"
                           "zh-Hans\t我们\tja\tu\n"
                           "en\tthe cat sat on the mat\tde\tz\n");
    free(d);
    /* a missing column: exit 1 with the file and line named */
    snprintf(cmd, sizeof cmd, "sh weights/tools/group_pairs.sh -f 9 %s > %s 2>&1", in, out);
    st = system(cmd);
    assert_true(st != -1 && WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 1);
    assert_int_equal(xl_read_file(out, 0, &d, &n, NULL), 0);
    assert_non_null(strstr(d, ":1: no column 9"));
    free(d);
    remove(in);
    remove(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_exact_seed7), cmocka_unit_test(test_independent_of_context),
        cmocka_unit_test(test_cjk_code_points), cmocka_unit_test(test_malformed), cmocka_unit_test(test_cli),
        cmocka_unit_test(test_group_pairs_tool),
    };
    return cmocka_run_group_tests_name("augment", tests, NULL, NULL);
}
