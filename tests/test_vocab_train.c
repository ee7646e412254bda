/* test_vocab_train.c - WordPiece vocabulary training (tokenizer/wordpiece_train.h)
 * and `xlrec vocab`.  The expected vocabularies of the small corpora below are
 * worked out by hand in docs/vocabulary.md ("A worked example"); the fixture
 * tests/fixtures/vocab/hf_{cased,uncased}.txt is the output of HF tokenizers'
 * WordPieceTrainer (npm tokenizers 0.23.2, tokenizer/tools/hf_vocab_train.js)
 * on tests/fixtures/vocab/corpus.txt. */
#define _POSIX_C_SOURCE 200809L
#include "xl_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "wordpiece.h"
#include "wordpiece_train.h"
#include "xl_alloc.h"
#include "xl_io.h"
#include "xl_utf8.h"

/* 10 hug, 5 pug, 12 pun, 4 bun, 5 hugs (the classic example), shuffled */
static const char *HAND[] = {
    "hugs pun hug bun pun bun pun pun hugs pug pug pun hug hug hug hugs hugs bun",
    "pun pug pun hug bun hug hug pun pug pun pun pug pun hugs hug pun hug hug",
};

static void train_lines(const char *const *lines, size_t n, const xl_wordpiece_train_options *o, xl_wordpiece_vocab *v)
{
    xl_error err;
    xl_error_clear(&err);
    xl_wordpiece_counter *c = xl_wordpiece_counter_create(o, &err);
    assert_non_null(c);
    for (size_t i = 0; i < n; i++) assert_int_equal(xl_wordpiece_counter_add_text(c, lines[i], strlen(lines[i]), &err), 0);
    int rc = xl_wordpiece_train(c, o, v, &err);
    if (rc) print_message("%s\n", err.msg);
    assert_int_equal(rc, 0);
    xl_wordpiece_counter_free(c);
}

/* the vocabulary as one space-separated string */
static char *joined(const xl_wordpiece_vocab *v)
{
    xl_buf b;
    xl_buf_init(&b);
    for (size_t i = 0; i < v->n; i++) {
        if (i) assert_int_equal(xl_buf_putc(&b, ' ', NULL), 0);
        assert_int_equal(xl_buf_append(&b, v->arena + v->off[i], v->len[i], NULL), 0);
    }
    assert_int_equal(xl_buf_putc(&b, '\0', NULL), 0);
    return b.data;
}

static void expect_vocab(const char *const *lines, size_t n, const xl_wordpiece_train_options *o, const char *expected)
{
    xl_wordpiece_vocab v;
    train_lines(lines, n, o, &v);
    char *s = joined(&v);
    assert_string_equal(s, expected);
    free(s);
    xl_wordpiece_vocab_free(&v);
}

static void test_hand_example(void **state)
{
    (void)state;
    xl_wordpiece_train_options o;
    xl_wordpiece_train_options_default(&o);
    /* merges: ##u+##g (20), ##u+##n (16), h+##ug (15, ties with the stale
     * h+##u entry, which goes first and is re-queued at 0), p+##un (12),
     * p+##ug (5: smallest of four pairs at 5), hug+##s (5), b+##un (4) */
    expect_vocab(HAND, 2, &o,
                 "[PAD] [UNK] [CLS] [SEP] [MASK] b g h n p s u ##g ##n ##s ##u ##ug ##un hug pun pug hugs bun");
    o.vocab_size = 20;
    expect_vocab(HAND, 2, &o, "[PAD] [UNK] [CLS] [SEP] [MASK] b g h n p s u ##g ##n ##s ##u ##ug ##un hug pun");
    o.vocab_size = 30000;
    o.min_frequency = 13;
    expect_vocab(HAND, 2, &o, "[PAD] [UNK] [CLS] [SEP] [MASK] b g h n p s u ##g ##n ##s ##u ##ug ##un hug");
    /* alphabet limit 5 drops b (4) and s (5): "bun" becomes ##u ##n, "hugs" hug */
    o.min_frequency = 0;
    o.limit_alphabet = 5;
    expect_vocab(HAND, 2, &o, "[PAD] [UNK] [CLS] [SEP] [MASK] g h n p u ##g ##n ##u ##ug ##un hug pun pug");
}

static void test_specials_alphabet_ties(void **state)
{
    (void)state;
    xl_wordpiece_train_options o;
    xl_wordpiece_train_options_default(&o);
    const char *specials[] = {"[UNK]", "[X]", "[UNK]"};
    o.special_tokens = specials;
    o.n_special_tokens = 3;
    /* initial alphabet: kept whatever the limit (counted as infinite) */
    const uint32_t z[] = {'z'};
    o.initial_alphabet = z;
    o.n_initial_alphabet = 1;
    o.limit_alphabet = 5; /* of b4 s5 h15 n16 p17 g20 u36 z: drop b, s, h */
    o.vocab_size = 12;
    expect_vocab(HAND, 2, &o, "[UNK] [X] g n p u z ##g ##n ##u ##ug ##un");
    /* equal counts at the limit: the higher code point goes first; a dropped
     * first character still makes the next one a continuation ("ba" -> ##a) */
    const char *ab[] = {"ab ba"};
    xl_wordpiece_train_options_default(&o);
    o.n_special_tokens = 0;
    o.limit_alphabet = 1;
    expect_vocab(ab, 1, &o, "a ##a");
    /* overlapping pairs: "aaaa" -> a ##a ##a ##a; ##a+##a merges the first two
     * (leftmost, non-overlapping), then a+##aa, then aaa+##a */
    const char *aaaa[] = {"aaaa"};
    expect_vocab(aaaa, 1, &o, "a ##a ##aa aaa aaaa");
    /* the "##" of a right part is dropped: "###" is three words "#" */
    o.limit_alphabet = WORDPIECE_TRAIN_NO_LIMIT;
    const char *hash[] = {"x##y"};
    expect_vocab(hash, 1, &o, "# x y");
}

static void test_cased_uncased_normaliser(void **state)
{
    (void)state;
    xl_wordpiece_train_options o;
    xl_wordpiece_train_options_default(&o);
    o.n_special_tokens = 0;
    const char *t[] = {"Café CAFÉ 犬猫"};
    expect_vocab(t, 1, &o, "A C F a f É é 犬 猫 ##A ##F ##a ##f ##É ##é CA Ca ##FÉ ##fé CAFÉ Café");
    o.lowercase = true; /* strip accents follows (HF null) */
    expect_vocab(t, 1, &o, "a c e f 犬 猫 ##a ##e ##f ca ##fe cafe");
    o.strip_accents = 0;
    expect_vocab(t, 1, &o, "a c f é 犬 猫 ##a ##f ##é ca ##fé café");
    o.tokenize_chinese_chars = false;
    o.lowercase = false;
    o.strip_accents = -1;
    const char *cjk[] = {"犬猫"};
    expect_vocab(cjk, 1, &o, "犬 猫 ##猫 犬猫");
}

static char *read_all(const char *path)
{
    char *data = NULL;
    size_t len = 0;
    xl_error err;
    assert_int_equal(xl_read_file(path, 1 << 20, &data, &len, &err), 0);
    char *s = xl_malloc(len + 1, NULL);
    memcpy(s, data, len);
    s[len] = '\0';
    free(data);
    return s;
}

/* code points of the "##c" lines of a vocab.txt, in order */
static size_t continuation_order(const char *vocab, uint32_t *out, size_t cap)
{
    size_t n = 0;
    for (const char *p = vocab; *p;) {
        const char *e = strchr(p, '\n');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        if (len > 2 && p[0] == '#' && p[1] == '#') {
            uint32_t cp;
            int k = xl_utf8_decode((const unsigned char *)p + 2, len - 2, &cp, NULL);
            if (k > 0 && (size_t)k == len - 2 && n < cap) out[n++] = cp;
        }
        p = e ? e + 1 : p + len;
    }
    return n;
}

static void check_hf_fixture(const char *hf_path, bool lowercase)
{
    char *corpus = read_all("tests/fixtures/vocab/corpus.txt");
    char *hf = read_all(hf_path);
    uint32_t order[512];
    xl_wordpiece_train_options o;
    xl_wordpiece_train_options_default(&o);
    o.n_special_tokens = 0;
    o.lowercase = lowercase;
    o.continuation_order = order;
    o.n_continuation_order = continuation_order(hf, order, 512);
    assert_true(o.n_continuation_order > 50);
    /* one text per line, as HF's train_from_files */
    const char *lines[64];
    size_t n = 0;
    for (char *p = corpus; *p && n < 64;) {
        char *e = strchr(p, '\n');
        if (e) *e = '\0';
        lines[n++] = p;
        p = e ? e + 1 : p + strlen(p);
    }
    xl_wordpiece_vocab v;
    train_lines(lines, n, &o, &v);
    xl_buf b;
    xl_buf_init(&b);
    for (size_t i = 0; i < v.n; i++) {
        assert_int_equal(xl_buf_append(&b, v.arena + v.off[i], v.len[i], NULL), 0);
        assert_int_equal(xl_buf_putc(&b, '\n', NULL), 0);
    }
    assert_int_equal(xl_buf_putc(&b, '\0', NULL), 0);
    assert_string_equal(b.data, hf);
    xl_buf_free(&b);
    xl_wordpiece_vocab_free(&v);
    free(corpus);
    free(hf);
}

static void test_hf_reference(void **state)
{
    (void)state;
    check_hf_fixture("tests/fixtures/vocab/hf_cased.txt", false);
    check_hf_fixture("tests/fixtures/vocab/hf_uncased.txt", true);
}

static void test_counter_merge_is_deterministic(void **state)
{
    (void)state;
    char *corpus = read_all("tests/fixtures/vocab/corpus.txt");
    xl_wordpiece_train_options o;
    xl_wordpiece_train_options_default(&o);
    o.vocab_size = 400;
    xl_error err;
    xl_wordpiece_counter *all = xl_wordpiece_counter_create(&o, &err), *odd = xl_wordpiece_counter_create(&o, &err),
                      *even = xl_wordpiece_counter_create(&o, &err);
    assert_non_null(all);
    assert_non_null(odd);
    assert_non_null(even);
    size_t k = 0;
    for (char *p = corpus; *p; k++) {
        char *e = strchr(p, '\n');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        assert_int_equal(xl_wordpiece_counter_add_text(all, p, len, &err), 0);
        assert_int_equal(xl_wordpiece_counter_add_text(k % 2 ? odd : even, p, len, &err), 0);
        p += len + (e != NULL);
    }
    assert_int_equal(xl_wordpiece_counter_merge(even, odd, &err), 0);
    assert_int_equal(xl_wordpiece_counter_total(all), xl_wordpiece_counter_total(even));
    assert_int_equal(xl_wordpiece_counter_distinct(all), xl_wordpiece_counter_distinct(even));
    xl_wordpiece_vocab a, b;
    assert_int_equal(xl_wordpiece_train(all, &o, &a, &err), 0);
    assert_int_equal(xl_wordpiece_train(even, &o, &b, &err), 0);
    assert_int_equal(a.n, 400);
    char *sa = joined(&a), *sb = joined(&b);
    assert_string_equal(sa, sb);
    free(sa);
    free(sb);
    xl_wordpiece_vocab_free(&a);
    xl_wordpiece_vocab_free(&b);
    /* empty input: a clear error */
    xl_wordpiece_counter *none = xl_wordpiece_counter_create(&o, &err);
    assert_int_equal(xl_wordpiece_counter_add_text(none, " \t ", 3, &err), 0);
    assert_int_equal(xl_wordpiece_train(none, &o, &a, &err), -1);
    assert_non_null(strstr(err.msg, "no words"));
    xl_wordpiece_counter_free(none);
    xl_wordpiece_counter_free(all);
    xl_wordpiece_counter_free(odd);
    xl_wordpiece_counter_free(even);
    free(corpus);
}

static void test_tokenizer_json_round_trip(void **state)
{
    (void)state;
    xl_wordpiece_train_options o;
    xl_wordpiece_train_options_default(&o);
    xl_wordpiece_vocab v;
    train_lines(HAND, 2, &o, &v);
    const char *json = xl_test_tmp_path("tokenizer.json");
    xl_error err;
    assert_int_equal(xl_wordpiece_vocab_write_json(&v, &o, json, &err), 0);
    xl_wordpiece *wp = xl_wordpiece_load_json(json, &err);
    assert_non_null(wp);
    assert_int_equal(xl_wordpiece_vocab_size(wp), v.n);
    for (size_t i = 0; i < v.n; i++)
        assert_int_equal(xl_wordpiece_token_to_id(wp, v.arena + v.off[i], v.len[i]), (int32_t)i);
    assert_false(xl_wordpiece_get_options(wp)->lowercase);
    xl_wordpiece_encoding e;
    xl_wordpiece_encoding_init(&e);
    const char *text = "hugs pun bun, hug!";
    assert_int_equal(xl_wordpiece_encode(wp, text, strlen(text), NULL, 0, NULL, &e, &err), 0);
    /* [CLS] hugs pun bun , hug ! [SEP]: "," and "!" are not in the vocabulary */
    const int32_t expected[] = {2, 21, 19, 22, 1, 18, 1, 3};
    assert_int_equal(e.len, 8);
    for (size_t k = 0; k < 8; k++) assert_int_equal(e.ids[k], expected[k]);
    xl_wordpiece_encoding_free(&e);
    xl_wordpiece_free(wp);
    remove(json);
    /* no [UNK]: refused */
    const char *only[] = {"[PAD]"};
    o.special_tokens = only;
    o.n_special_tokens = 1;
    xl_wordpiece_vocab w;
    train_lines(HAND, 2, &o, &w);
    assert_int_equal(xl_wordpiece_vocab_write_json(&w, &o, json, &err), -1);
    xl_wordpiece_vocab_free(&w);
    xl_wordpiece_vocab_free(&v);
}

static int word_cb(void *ctx, const char *w, size_t n)
{
    xl_buf *b = ctx;
    if (b->len) xl_buf_putc(b, '|', NULL);
    return xl_buf_append(b, w, n, NULL);
}

static void test_pre_tokenize(void **state)
{
    (void)state;
    xl_error err;
    xl_wordpiece_options wo;
    xl_wordpiece_options_default(&wo);
    wo.lowercase = false;
    const char *unk = "[UNK]";
    xl_wordpiece *wp = xl_wordpiece_create(&unk, NULL, 1, &wo, &err);
    assert_non_null(wp);
    xl_wordpiece_encoding e;
    xl_wordpiece_encoding_init(&e);
    xl_buf b;
    xl_buf_init(&b);
    const char *t = "Hello,  w\xC3\xB6rld![CLS]\x01\xFF" "犬猫";
    assert_int_equal(xl_wordpiece_pre_tokenize(wp, t, strlen(t), &e, word_cb, &b, &err), 0);
    assert_int_equal(xl_buf_putc(&b, '\0', NULL), 0);
    /* added tokens are not matched (HF's trainer does not), controls and
     * ill-formed bytes are dropped, CJK isolated */
    assert_string_equal(b.data, "Hello|,|w\xC3\xB6rld|!|[|CLS|]|犬|猫");
    xl_buf_free(&b);
    xl_wordpiece_encoding_free(&e);
    xl_wordpiece_free(wp);
}

/* ------------------------------------------------------------------------ */
/* the command */

static int run_sh(const char *cmd)
{
    int st = system(cmd);
    assert_true(st != -1 && WIFEXITED(st));
    return WEXITSTATUS(st);
}

static void test_cli(void **state)
{
    (void)state;
    const char *bin = xl_test_bin_or_skip();
    const char *in = xl_test_write_tmp("hand.txt", "hugs pun hug\nbun\tpug hugs\n", 26);
    const char *out1 = xl_test_tmp_path("v1.txt"), *out2 = xl_test_tmp_path("v2.txt");
    const char *json = xl_test_tmp_path("t.json");
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "%s vocab train -q -o %s --tokenizer-json %s %s", bin, out1, json, in);
    assert_int_equal(run_sh(cmd), 0);
    snprintf(cmd, sizeof cmd, "%s vocab train -q -o %s - < %s", bin, out2, in);
    assert_int_equal(run_sh(cmd), 0);
    char *a = read_all(out1), *b = read_all(out2);
    assert_string_equal(a, b); /* stdin = file */
    assert_non_null(strstr(a, "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\nb\n"));
    free(a);
    free(b);
    /* the trained tokenizer.json through `xlrec tokenize` */
    snprintf(cmd, sizeof cmd, "echo 'hugs pun' | %s tokenize --tokenizer %s --tokens > %s", bin, json, out2);
    assert_int_equal(run_sh(cmd), 0);
    b = read_all(out2);
    assert_string_equal(b, "[CLS] hugs pun [SEP]\n");
    free(b);
    /* TSV column: only column 2 ("pug hugs") */
    snprintf(cmd, sizeof cmd, "%s vocab train -q --special-tokens '' --column 2 -o %s %s 2>/dev/null", bin, out2, in);
    assert_int_equal(run_sh(cmd), 1); /* line 1 has no column 2 */
    const char *tsv = xl_test_write_tmp("c.tsv", "x\tpug hugs\n", 11);
    snprintf(cmd, sizeof cmd, "%s vocab train -q --special-tokens '' --column 2 -o %s %s", bin, out2, tsv);
    assert_int_equal(run_sh(cmd), 0);
    b = read_all(out2);
    assert_string_equal(b, "g\nh\np\ns\nu\n##g\n##s\n##u\n##ug\nhug\npug\nhugs\n");
    free(b);
    /* invalid UTF-8: FILE:LINE, exit 1 */
    const char *bad = xl_test_write_tmp("bad.txt", "ok\nx\xC0\xAFy\n", 8);
    const char *errf = xl_test_tmp_path("err.txt");
    snprintf(cmd, sizeof cmd, "%s vocab train -q -o %s %s 2> %s", bin, out2, bad, errf);
    assert_int_equal(run_sh(cmd), 1);
    b = read_all(errf);
    assert_non_null(strstr(b, ":2: invalid UTF-8"));
    free(b);
    /* empty input: exit 1 with a message */
    snprintf(cmd, sizeof cmd, "%s vocab train -q -o %s - < /dev/null 2> %s", bin, out2, errf);
    assert_int_equal(run_sh(cmd), 1);
    b = read_all(errf);
    assert_non_null(strstr(b, "no words"));
    free(b);
    /* usage errors: exit 2; never overwrite an input */
    snprintf(cmd, sizeof cmd, "%s vocab train --vocab-size 0 %s 2>/dev/null", bin, in);
    assert_int_equal(run_sh(cmd), 2);
    snprintf(cmd, sizeof cmd, "%s vocab train -o %s %s 2>/dev/null", bin, in, in);
    assert_int_equal(run_sh(cmd), 2);
    snprintf(cmd, sizeof cmd, "%s vocab nope 2>/dev/null", bin);
    assert_int_equal(run_sh(cmd), 2);
    /* stats on the trained vocabulary: 4 words, 4 pieces, no [UNK] */
    snprintf(cmd, sizeof cmd, "echo 'hugs pun hug bun' | %s vocab stats --tokenizer %s - > %s", bin, json, out2);
    assert_int_equal(run_sh(cmd), 0);
    b = read_all(out2);
    assert_non_null(strstr(b, "-\t1\t4\t4\t0\t0.000\t1.000\n"));
    free(b);
    remove(in);
    remove(tsv);
    remove(bad);
    remove(errf);
    remove(out1);
    remove(out2);
    remove(json);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hand_example),
        cmocka_unit_test(test_specials_alphabet_ties),
        cmocka_unit_test(test_cased_uncased_normaliser),
        cmocka_unit_test(test_hf_reference),
        cmocka_unit_test(test_counter_merge_is_deterministic),
        cmocka_unit_test(test_tokenizer_json_round_trip),
        cmocka_unit_test(test_pre_tokenize),
        cmocka_unit_test(test_cli),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
