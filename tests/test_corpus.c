/* test_corpus.c - the gettext .mo reader behind `xlrec mo-dump` (src/corpus/xl_mo.h), used by the corpus
 * builder (weights/tools/build_corpus.sh): a catalogue built byte by byte here (header entry with the
 * charset, a context, a plural with two forms, a plain message) in little- and big-endian order, and
 * damaged catalogues (bad magic, truncated header, tables and strings running past the end). */
#include "xl_test.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xl_mo.h"

/* Strings of the catalogue: originals sorted as msgfmt sorts them (bytewise), translations alongside. */
static const char orig0[] = "";
static const char header_utf8[] = "Content-Type: text/plain; charset=UTF-8\nPlural-Forms: nplurals=2;\n";
static const char orig1[] = "%d file\0%d files";          /* plural: msgid NUL msgid_plural */
static const char trans1[] = "%d Datei\0%d Dateien";
static const char orig2[] = "menu\004Open";              /* msgctxt EOT msgid */
static const char trans2[] = "\xc3\x96" "ffnen";          /* "Öffnen" */
static const char orig3[] = "Quit";
static const char trans3[] = "Beenden";

static void put32(unsigned char *p, uint32_t v, bool be)
{
    for (int i = 0; i < 4; i++) p[be ? 3 - i : i] = (unsigned char)(v >> (8 * i));
}

/* Builds the 4-message catalogue into buf; returns its length. */
static size_t build_with(unsigned char *buf, bool be, const char *header)
{
    const char *o[4] = {orig0, orig1, orig2, orig3}, *t[4] = {header, trans1, trans2, trans3};
    const size_t ol[4] = {0, sizeof orig1 - 1, sizeof orig2 - 1, sizeof orig3 - 1};
    const size_t tl[4] = {strlen(header), sizeof trans1 - 1, sizeof trans2 - 1, sizeof trans3 - 1};
    memset(buf, 0, 512);
    put32(buf, 0x950412deu, be);
    put32(buf + 4, 0, be);
    put32(buf + 8, 4, be);
    put32(buf + 12, 28, be);
    put32(buf + 16, 28 + 32, be);
    size_t at = 28 + 64;
    for (int i = 0; i < 4; i++) {
        put32(buf + 28 + 8 * i, (uint32_t)ol[i], be);
        put32(buf + 28 + 8 * i + 4, (uint32_t)at, be);
        memcpy(buf + at, o[i], ol[i]);
        at += ol[i] + 1;
    }
    for (int i = 0; i < 4; i++) {
        put32(buf + 60 + 8 * i, (uint32_t)tl[i], be);
        put32(buf + 60 + 8 * i + 4, (uint32_t)at, be);
        memcpy(buf + at, t[i], tl[i]);
        at += tl[i] + 1;
    }
    return at;
}

static size_t build(unsigned char *buf, bool be) { return build_with(buf, be, header_utf8); }

static bool str_is(xl_mo_str s, const char *want) { return s.len == strlen(want) && memcmp(s.s, want, s.len) == 0; }

static void check_catalogue(bool be)
{
    unsigned char buf[512];
    size_t len = build(buf, be);
    xl_mo mo;
    xl_error err;
    assert_int_equal(xl_mo_parse(&mo, buf, len, "t.mo", &err), 0);
    assert_int_equal(mo.big_endian, be);
    assert_int_equal(mo.n, 4);
    assert_string_equal(mo.charset, "utf-8");
    assert_true(xl_mo_is_utf8(&mo));
    assert_false(xl_mo_is_latin1(&mo));
    xl_mo_message m;
    xl_mo_get(&mo, 0, &m); /* header entry */
    assert_int_equal(m.id.len, 0);
    xl_mo_get(&mo, 1, &m);
    assert_false(m.has_ctxt);
    assert_true(m.has_plural);
    assert_true(str_is(m.id, "%d file"));
    assert_true(str_is(m.plural, "%d files"));
    assert_int_equal(m.n_forms, 2);
    assert_true(str_is(m.str[0], "%d Datei"));
    assert_true(str_is(m.str[1], "%d Dateien"));
    xl_mo_get(&mo, 2, &m);
    assert_true(m.has_ctxt);
    assert_true(str_is(m.ctxt, "menu"));
    assert_true(str_is(m.id, "Open"));
    assert_false(m.has_plural);
    assert_int_equal(m.n_forms, 1);
    assert_true(str_is(m.str[0], "\xc3\x96" "ffnen"));
    assert_int_equal(m.str[1].len, 0);
    xl_mo_get(&mo, 3, &m);
    assert_true(str_is(m.id, "Quit"));
    assert_true(str_is(m.str[0], "Beenden"));
}

static void test_little_endian(void **state)
{
    (void)state;
    check_catalogue(false);
}

static void test_big_endian(void **state)
{
    (void)state;
    check_catalogue(true);
}

static void test_damaged(void **state)
{
    (void)state;
    unsigned char buf[512];
    size_t len = build(buf, false);
    xl_mo mo;
    xl_error err;
    /* shorter than the header */
    assert_int_equal(xl_mo_parse(&mo, buf, 20, "short.mo", &err), -1);
    assert_non_null(strstr(err.msg, "short.mo: not a gettext .mo file"));
    /* bad magic */
    unsigned char bad[512];
    memcpy(bad, buf, len);
    bad[0] = 0;
    assert_int_equal(xl_mo_parse(&mo, bad, len, "magic.mo", &err), -1);
    assert_non_null(strstr(err.msg, "bad magic"));
    /* a message count whose table runs past the end */
    memcpy(bad, buf, len);
    put32(bad + 8, 0x20000000u, false);
    assert_int_equal(xl_mo_parse(&mo, bad, len, "count.mo", &err), -1);
    assert_non_null(strstr(err.msg, "original table"));
    /* a string offset past the end (translation 3) */
    memcpy(bad, buf, len);
    put32(bad + 60 + 8 * 3 + 4, 0xfffffff0u, false);
    assert_int_equal(xl_mo_parse(&mo, bad, len, "off.mo", &err), -1);
    assert_non_null(strstr(err.msg, "translation string 3"));
    /* a truncated file: the last string's bytes are cut off */
    assert_int_equal(xl_mo_parse(&mo, buf, len - 5, "cut.mo", &err), -1);
    assert_non_null(strstr(err.msg, "runs past the end of the file"));
    /* unsupported major revision */
    memcpy(bad, buf, len);
    put32(bad + 4, 0x00020000u, false);
    assert_int_equal(xl_mo_parse(&mo, bad, len, "rev.mo", &err), -1);
    assert_non_null(strstr(err.msg, "major revision 2"));
}

static void test_charsets(void **state)
{
    (void)state;
    static const struct {
        const char *header, *charset;
        bool utf8, latin1;
    } cases[] = {
        {"Content-Type: text/plain; charset=ISO-8859-1\n", "iso-8859-1", false, true},
        {"Content-Type: text/plain; charset=KOI8-R\n", "koi8-r", false, false},
        {"Content-Type: text/plain; charset=CHARSET\n", "charset", true, false}, /* the untouched template */
        {"Project-Id-Version: x\n", "", true, false},                             /* no charset: ASCII */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        unsigned char buf[512];
        size_t len = build_with(buf, false, cases[i].header);
        xl_mo mo;
        xl_error err;
        assert_int_equal(xl_mo_parse(&mo, buf, len, "c.mo", &err), 0);
        assert_string_equal(mo.charset, cases[i].charset);
        assert_int_equal(xl_mo_is_utf8(&mo), cases[i].utf8);
        assert_int_equal(xl_mo_is_latin1(&mo), cases[i].latin1);
    }
}

/* The corpus builder's licence filter (LICENCE_POLICY=gpl3-compatible, docs/corpus.md "Licence filter"):
 * weights/tools/licence_policy.awk decides per package from its DEP-5 licence list, licence_rows.awk
 * passes the rows of kept packages and sources.  Needs awk (POSIX); skipped when there is none. */
static void test_licence_filter(void **state)
{
    (void)state;
    if (system("awk 'BEGIN { exit 0 }' >/dev/null 2>&1") != 0) skip();
    static const char lic[] =
        "plus\tGPL-2+; LGPL-2.1+; Expat; GPL-3+ with Autoconf exception\n"   /* keep: all allow GPL-3+ */
        "only2\tGPL-2+; GPL-2\n"                                           /* drop: GPL-2 only */
        "either\tMPL-1.1 or GPL-2 or LGPL-2.1; MPL-2.0 or Expat\n"          /* keep: LGPL-2.1 s.3, MPL-2.0 */
        "both\tGPL-2+ and CC-BY-SA-3.0\n"                                   /* drop: CC BY-SA 3.0 */
        "spdx\tGPL-3.0-or-later; CC0-1.0; LGPL-2.1-only\n"                 /* keep */
        "nmr\t(not machine-readable)\n";                                   /* drop: unknown */
    static const char rows[] =
        "gettext\tplus|dom|\t\tar\tOpen the file\tx1\n"
        "gettext\tonly2|dom|\t\tar\tOpen the file\tx2\n"
        "gettext\teither|d|\t\tde\tSave the file\tx3\n"
        "gettext\tboth|d|\t\tde\tSave the file\tx4\n"
        "gettext\tspdx|d|\t\tfr\tClose it now\tx5\n"
        "gettext\tnmr|d|\t\tfr\tClose it now\tx6\n"
        "gettext\tunlisted|d|\t\tfr\tClose it now\tx7\n"
        "mozilla\tff|a.ftl#k\t\tar\tNew tab here\tx8\n"
        "ddtp\tabc|1\t\tar\tA tool for things\tx9\n";
    const char *lic_path = xl_test_write_tmp("licences.tsv", lic, sizeof lic - 1);
    const char *rows_path = xl_test_write_tmp("rows.tsv", rows, sizeof rows - 1);
    const char *policy = xl_test_tmp_path("policy.tsv");
    const char *out = xl_test_tmp_path("kept.tsv");
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "awk -f weights/tools/licence_policy.awk %s > %s && "
             "awk -v POLICY=%s -f weights/tools/licence_rows.awk %s | cut -f6 | tr '\\n' ' ' > %s",
             lic_path, policy, policy, rows_path, out);
    assert_int_equal(system(cmd), 0);
    char got[256] = {0};
    FILE *f = fopen(out, "rb");
    assert_non_null(f);
    size_t n = fread(got, 1, sizeof got - 1, f);
    fclose(f);
    got[n] = '\0';
    assert_string_equal(got, "x1 x3 x5 x8 ");
    /* the policy file names what decided each drop */
    snprintf(cmd, sizeof cmd, "grep -c '^only2\tdrop\tGPL-2$' %s >/dev/null", policy);
    assert_int_equal(system(cmd), 0);
    remove(lic_path); remove(rows_path); remove(policy); remove(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_little_endian), cmocka_unit_test(test_big_endian),
        cmocka_unit_test(test_damaged),       cmocka_unit_test(test_charsets),
        cmocka_unit_test(test_licence_filter),
    };
    return cmocka_run_group_tests_name("corpus", tests, NULL, NULL);
}
