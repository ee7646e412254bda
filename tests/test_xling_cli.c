/* test_xling_cli.c - the cross-lingual baseline commands through the real
 * binary ($XLREC_BIN, set by `make test`): `xlrec translate` (dictionary,
 * --counts, --lm ARPA), `xlrec embed-words` and `xlrec eval-retrieval`
 * (word vectors, and --model with the tiny DistilBERT fixture):
 * output format and the exit-code contract (0 ok, 1 runtime, 2 usage).
 * Every input (vectors, dictionaries, ARPA model, text) is a tiny file made
 * here; the whole file runs in well under a second.  The library side of
 * --lm (xl_dt_dict_set_lm) is also checked directly. */
#define _POSIX_C_SOURCE 200809L
#include "xl_test.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "dict_translate.h"
#include "ngram.h"

/* 4 words, dim 3: cat~chat, dog~chien (nearly the same direction). */
static const char VECTORS[] = "4 3\ncat 1 0 0\ndog 0 1 0\nchat 1 0.1 0\nchien 0 1 0.1\n";
/* maison has two candidates: counts prefer "home", the ARPA model "house";
 * "demeure" is listed first but is in neither, so it only wins without scores.
 * "pomme de terre" is a phrase entry (longest match first). */
static const char DICT[] = "maison\tdemeure\nmaison\thome\nmaison\thouse\nchat\tcat\npomme\tapple\n"
                           "pomme de terre\tpotato\n";
static const char COUNTS[] = "home 100\nhouse 1\ncat 5\n";
static const char ARPA[] = "\\data\\\nngram 1=6\nngram 2=1\n\n"
                           "\\1-grams:\n"
                           "-1.0\t<unk>\t0\n"
                           "-99\t<s>\t-0.3\n"
                           "-1.0\t</s>\t0\n"
                           "-0.5\thouse\t-0.2\n"
                           "-2.0\thome\t-0.1\n"
                           "-1.5\tcat\t-0.1\n"
                           "\n\\2-grams:\n-0.2\t<s> house\n\n\\end\\\n";

static char *tmp_copy(const char *tag, const char *text)
{
    const char *p = xl_test_write_tmp(tag, text, strlen(text));
    assert_non_null(p);
    char *s = malloc(strlen(p) + 1);
    assert_non_null(s);
    strcpy(s, p);
    return s;
}

/* Run `$XLREC_BIN args` (stdin from `stdin_path` or /dev/null, stderr
 * discarded); stdout goes to `out` (NUL-terminated, at most cap-1 bytes).
 * Returns the exit status. */
static int run(const char *args, const char *stdin_path, char *out, size_t cap)
{
    const char *bin = getenv("XLREC_BIN");
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "%s %s <%s 2>/dev/null", bin, args, stdin_path ? stdin_path : "/dev/null");
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    size_t n = 0, got;
    char sink[4096];
    while ((got = fread(out ? out + n : sink, 1, out ? cap - 1 - n : sizeof sink, p)) > 0)
        if (out) {
            n += got;
            if (n == cap - 1) break;
        }
    if (out) out[n] = '\0';
    int st = pclose(p);
    assert_true(st != -1 && WIFEXITED(st));
    return WEXITSTATUS(st);
}

/* ------------------------------------------------------------- translate */

static void test_translate_cli(void **state)
{
    (void)state;
    xl_test_bin_or_skip();
    char *dict = tmp_copy("dict.txt", DICT), *counts = tmp_copy("counts.txt", COUNTS);
    char *lm = tmp_copy("lm.arpa", ARPA);
    char *text = tmp_copy("fr.txt", "La maison, le chat!\nPomme de terre et pomme\n\n");
    char args[2048], out[4096];

    /* no scores: first listed candidate; NFKC/casefold/punctuation removed; unknown words copied */
    snprintf(args, sizeof args, "translate --dict %s %s", dict, text);
    assert_int_equal(run(args, NULL, out, sizeof out), 0);
    assert_string_equal(out, "la demeure le cat\npotato et apple\n\n");
    /* counts: highest pivot count */
    snprintf(args, sizeof args, "translate --dict %s --counts %s %s", dict, counts, text);
    assert_int_equal(run(args, NULL, out, sizeof out), 0);
    assert_string_equal(out, "la home le cat\npotato et apple\n\n");
    /* ARPA model: highest unigram log10 p (house -0.5 > home -2.0 > demeure absent = -inf) */
    snprintf(args, sizeof args, "translate --dict %s --lm %s %s", dict, lm, text);
    assert_int_equal(run(args, NULL, out, sizeof out), 0);
    assert_string_equal(out, "la house le cat\npotato et apple\n\n");
    /* stdin ('-' is the default), --drop-unknown */
    snprintf(args, sizeof args, "translate --dict %s --lm %s --drop-unknown", dict, lm);
    assert_int_equal(run(args, text, out, sizeof out), 0);
    assert_string_equal(out, "house cat\npotato apple\n\n");
    /* --raw: no tokenisation ("maison," and "chat!" stay unknown); ASCII case is still folded
     * for the lookup (unknown tokens are copied as written) unless --keep-case */
    snprintf(args, sizeof args, "translate --dict %s --raw %s", dict, text);
    assert_int_equal(run(args, NULL, out, sizeof out), 0);
    assert_string_equal(out, "La maison, le chat!\npotato et apple\n\n");
    snprintf(args, sizeof args, "translate --dict %s --raw --keep-case %s", dict, text);
    assert_int_equal(run(args, NULL, out, sizeof out), 0);
    assert_string_equal(out, "La maison, le chat!\nPomme de terre et apple\n\n");

    /* usage errors: exit 2 */
    assert_int_equal(run("translate", NULL, NULL, 0), 2);
    snprintf(args, sizeof args, "translate --dict %s --counts %s --lm %s", dict, counts, lm);
    assert_int_equal(run(args, NULL, NULL, 0), 2);
    snprintf(args, sizeof args, "translate --dict %s --no-such-option", dict);
    assert_int_equal(run(args, NULL, NULL, 0), 2);
    assert_int_equal(run("translate --help", NULL, NULL, 0), 0);
    /* runtime errors: exit 1 (missing files, a count file given as --lm, a bad dictionary, bad counts) */
    assert_int_equal(run("translate --dict /nonexistent/dict.txt", NULL, NULL, 0), 1);
    snprintf(args, sizeof args, "translate --dict %s --lm /nonexistent/lm.arpa", dict);
    assert_int_equal(run(args, NULL, NULL, 0), 1);
    snprintf(args, sizeof args, "translate --dict %s --lm %s", dict, counts);
    assert_int_equal(run(args, NULL, NULL, 0), 1);
    snprintf(args, sizeof args, "translate --dict %s /nonexistent/in.txt", dict);
    assert_int_equal(run(args, NULL, NULL, 0), 1);
    char *bad_dict = tmp_copy("bad_dict.txt", "maison\n");
    snprintf(args, sizeof args, "translate --dict %s %s", bad_dict, text);
    assert_int_equal(run(args, NULL, NULL, 0), 1);
    char *bad_counts = tmp_copy("bad_counts.txt", "home many\n");
    snprintf(args, sizeof args, "translate --dict %s --counts %s %s", dict, bad_counts, text);
    assert_int_equal(run(args, NULL, NULL, 0), 1);

    char *files[] = {dict, counts, lm, text, bad_dict, bad_counts};
    for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
        remove(files[i]);
        free(files[i]);
    }
}

/* xl_dt_dict_set_lm directly: min over a phrase target's words, absent words -inf, ties first. */
static void test_translate_lm_library(void **state)
{
    (void)state;
    xl_error err;
    xl_error_clear(&err);
    static const char dict_text[] = "a\tdemeure\na\thome\na\thouse\n" /* house wins */
                                    "b\thouse home\nb\tcat\n"          /* cat (-1.5) > min(house, home) = -2.0 */
                                    "c\tx1\nc\tx2\n";                  /* both absent: first listed */
    xl_dt_dict *d;
    assert_int_equal(xl_dt_dict_load_memory(dict_text, strlen(dict_text), "mem", true, &d, &err), 0);
    xl_ngram_model *m = xl_ngram_model_parse_arpa(ARPA, strlen(ARPA), "mem.arpa", &err);
    assert_non_null(m);
    assert_int_equal(xl_dt_dict_set_lm(d, m, &err), 0);
    xl_buf out;
    xl_buf_init(&out);
    xl_dt_stats st = {0, 0, 0, 0};
    assert_int_equal(xl_dt_translate_line(d, "a b c z", 7, false, &out, &st, &err), 0);
    assert_int_equal(out.len, strlen("house cat x1 z"));
    assert_memory_equal(out.data, "house cat x1 z", out.len);
    assert_int_equal(st.tokens, 4);
    assert_int_equal(st.translated_tokens, 3);
    assert_int_equal(st.unknown_tokens, 1);
    xl_buf_free(&out);
    xl_ngram_model_free(m);
    xl_dt_dict_free(d);
}

/* ------------------------------------------------------------ embed-words */

static void test_embed_words_cli(void **state)
{
    (void)state;
    xl_test_bin_or_skip();
    char *vec = tmp_copy("v.txt", VECTORS);
    char *text = tmp_copy("en.txt", "The cat!\ncat dog\nunknown words only\n");
    char args[2048], out[4096];

    /* mean pooling, text output: one row per line, dim values; an all-OOV line is zeros */
    snprintf(args, sizeof args, "embed-words --word-vectors %s --pooling mean --format txt %s", vec, text);
    assert_int_equal(run(args, NULL, out, sizeof out), 0);
    assert_string_equal(out, "1 0 0\n0.5 0.5 0\n0 0 0\n");
    /* --normalize: unit rows (the zero row stays zero) */
    snprintf(args, sizeof args, "embed-words -w %s -p mean -f txt --normalize -", vec);
    assert_int_equal(run(args, text, out, sizeof out), 0);
    assert_string_equal(out, "1 0 0\n0.707107 0.707107 0\n0 0 0\n");
    /* SIF: three rows of three numbers, finite */
    snprintf(args, sizeof args, "embed-words -w %s -f txt %s", vec, text);
    assert_int_equal(run(args, NULL, out, sizeof out), 0);
    int rows = 0;
    for (char *line = out; *line; rows++) {
        char *nl = strchr(line, '\n');
        assert_non_null(nl);
        *nl = '\0';
        double a, b, c;
        char extra;
        assert_int_equal(sscanf(line, "%lf %lf %lf %c", &a, &b, &c, &extra), 3);
        assert_true(isfinite(a) && isfinite(b) && isfinite(c));
        line = nl + 1;
    }
    assert_int_equal(rows, 3);
    /* .npy output: NumPy magic, a (3, 3) float32 header */
    const char *npy = xl_test_tmp_path("emb.npy");
    char npy_path[1024];
    snprintf(npy_path, sizeof npy_path, "%s", npy);
    snprintf(args, sizeof args, "embed-words -w %s -p mean -o %s %s", vec, npy_path, text);
    assert_int_equal(run(args, NULL, NULL, 0), 0);
    FILE *f = fopen(npy_path, "rb");
    assert_non_null(f);
    char head[128] = {0};
    size_t got = fread(head, 1, sizeof head - 1, f);
    fclose(f);
    assert_true(got > 10);
    assert_memory_equal(head, "\x93NUMPY", 6);
    head[got] = '\0';
    assert_non_null(strstr(head + 10, "'descr': '<f4'"));
    assert_non_null(strstr(head + 10, "(3, 3)"));
    remove(npy_path);

    /* usage errors: 2; runtime errors: 1 (no -w: the shipped vectors, tests/test_datapath.c) */
    snprintf(args, sizeof args, "embed-words -w %s --pooling max %s", vec, text);
    assert_int_equal(run(args, NULL, NULL, 0), 2);
    snprintf(args, sizeof args, "embed-words -w %s --format csv %s", vec, text);
    assert_int_equal(run(args, NULL, NULL, 0), 2);
    snprintf(args, sizeof args, "embed-words -w /nonexistent/v.txt %s", text);
    assert_int_equal(run(args, NULL, NULL, 0), 1);
    snprintf(args, sizeof args, "embed-words -w %s -f txt /nonexistent/in.txt", vec);
    assert_int_equal(run(args, NULL, NULL, 0), 1);
    char *short_rows = tmp_copy("short.txt", "4 3\ncat 1 0\n");
    snprintf(args, sizeof args, "embed-words -w %s -f txt %s", short_rows, text);
    assert_int_equal(run(args, NULL, NULL, 0), 1);
    char *nan_rows = tmp_copy("nan.txt", "2 2\ncat 1 nan\ndog 0 1\n");
    snprintf(args, sizeof args, "embed-words -w %s -f txt %s", nan_rows, text);
    assert_int_equal(run(args, NULL, NULL, 0), 1);

    char *files[] = {vec, text, short_rows, nan_rows};
    for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
        remove(files[i]);
        free(files[i]);
    }
}

/* --------------------------------------------------------- eval-retrieval */

static void test_eval_retrieval_cli(void **state)
{
    (void)state;
    xl_test_bin_or_skip();
    char *vec = tmp_copy("v.txt", VECTORS);
    char *en = tmp_copy("en.txt", "the cat\nthe dog\n");
    char *fr = tmp_copy("fr.txt", "le chat\nle chien\n");
    char *fr_swapped = tmp_copy("fr_sw.txt", "le chien\nle chat\n");
    char *fr_short = tmp_copy("fr_short.txt", "le chat\n");
    char args[2048], out[4096];

    snprintf(args, sizeof args, "eval-retrieval --src %s --tgt %s --word-vectors %s --pooling mean", fr, en, vec);
    assert_int_equal(run(args, NULL, out, sizeof out), 0);
    assert_string_equal(out, "pairs 2  pooling mean  scoring cosine  src->tgt P@1 100.00  tgt->src P@1 100.00  "
                             "(lines without known words: src 0, tgt 0)\n");
    snprintf(args, sizeof args, "eval-retrieval --src %s --tgt %s --word-vectors %s -p mean --csls --csls-k 1", fr,
             en, vec);
    assert_int_equal(run(args, NULL, out, sizeof out), 0);
    assert_non_null(strstr(out, "scoring csls  src->tgt P@1 100.00  tgt->src P@1 100.00"));
    /* misaligned sides: every retrieval is wrong */
    snprintf(args, sizeof args, "eval-retrieval --src %s --tgt %s --src-vectors %s --tgt-vectors %s -p mean",
             fr_swapped, en, vec, vec);
    assert_int_equal(run(args, NULL, out, sizeof out), 0);
    assert_non_null(strstr(out, "pairs 2  pooling mean  scoring cosine  src->tgt P@1 0.00  tgt->src P@1 0.00"));

    /* usage errors: 2 */
    snprintf(args, sizeof args, "eval-retrieval --src %s --word-vectors %s", fr, vec);
    assert_int_equal(run(args, NULL, NULL, 0), 2);
    /* one embedder: --model, --word-vectors, or the two --src/--tgt-vectors (no option: the shipped
     * encoder, tests/test_datapath.c) */
    snprintf(args, sizeof args, "eval-retrieval --src %s --tgt %s --model %s --word-vectors %s", fr, en, vec, vec);
    assert_int_equal(run(args, NULL, NULL, 0), 2);
    snprintf(args, sizeof args, "eval-retrieval --src %s --tgt %s --src-vectors %s", fr, en, vec);
    assert_int_equal(run(args, NULL, NULL, 0), 2);
    snprintf(args, sizeof args, "eval-retrieval --src %s --tgt %s --word-vectors %s --csls-k 0", fr, en, vec);
    assert_int_equal(run(args, NULL, NULL, 0), 2);
    assert_int_equal(run("eval-retrieval --help", NULL, NULL, 0), 0);
    /* runtime errors: 1 (line counts differ, missing file, malformed vectors) */
    snprintf(args, sizeof args, "eval-retrieval --src %s --tgt %s --word-vectors %s", fr_short, en, vec);
    assert_int_equal(run(args, NULL, NULL, 0), 1);
    snprintf(args, sizeof args, "eval-retrieval --src /nonexistent/a.txt --tgt %s --word-vectors %s", en, vec);
    assert_int_equal(run(args, NULL, NULL, 0), 1);
    char *dup = tmp_copy("dup.txt", "2 2\ncat 1 0\ncat 0 1\n");
    snprintf(args, sizeof args, "eval-retrieval --src %s --tgt %s --word-vectors %s", fr, en, dup);
    assert_int_equal(run(args, NULL, NULL, 0), 1);

    char *files[] = {vec, en, fr, fr_swapped, fr_short, dup};
    for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
        remove(files[i]);
        free(files[i]);
    }
}

/* --model: an encoder model file (the tiny DistilBERT fixture converted here).
 * A file against itself retrieves every line (distinct lines, distinct rows);
 * against its reversal only the middle line of 3 stays in place: 33.33. */
static void test_eval_retrieval_model_cli(void **state)
{
    (void)state;
    xl_test_bin_or_skip();
    char *a = tmp_copy("ma.txt", "the cat sat\nhello world\na dog runs\n");
    char *b = tmp_copy("mb.txt", "a dog runs\nhello world\nthe cat sat\n");
    char *vec = tmp_copy("mv.txt", VECTORS);
    char model[1024], args[4096], out[4096];
    snprintf(model, sizeof model, "%s", xl_test_tmp_path("retrieval_tiny.xlm"));
    snprintf(args, sizeof args, "convert -q tests/fixtures/distilbert_tiny -o %s", model);
    assert_int_equal(run(args, NULL, NULL, 0), 0);

    snprintf(args, sizeof args, "eval-retrieval --src %s --tgt %s --model %s", a, a, model);
    assert_int_equal(run(args, NULL, out, sizeof out), 0);
    assert_non_null(strstr(out, "pairs 3  pooling mean  scoring cosine  src->tgt P@1 100.00  tgt->src P@1 100.00"));
    snprintf(args, sizeof args, "eval-retrieval --src %s --tgt %s -m %s", a, b, model);
    assert_int_equal(run(args, NULL, out, sizeof out), 0);
    assert_non_null(strstr(out, "pairs 3  pooling mean  scoring cosine  src->tgt P@1 33.33  tgt->src P@1 33.33"));
    /* truncation: the model's max_seq_len (32) by default, --max-len N instead; the line says how many
     * lines lost their tail ([CLS] + 1 piece + [SEP] of every line at N = 3: the first words differ,
     * so every line still retrieves itself) */
    snprintf(args, sizeof args, "eval-retrieval --src %s --tgt %s --model %s", a, a, model);
    assert_int_equal(run(args, NULL, out, sizeof out), 0);
    assert_non_null(strstr(out, "P@1 100.00  (lines cut at 32 tokens: src 0, tgt 0)\n"));
    snprintf(args, sizeof args, "eval-retrieval --src %s --tgt %s --model %s --max-len 3", a, a, model);
    assert_int_equal(run(args, NULL, out, sizeof out), 0);
    assert_non_null(strstr(out, "P@1 100.00  (lines cut at 3 tokens: src 3, tgt 3)\n"));
    /* beyond the model's 40 position embeddings: refused; word vectors have no --max-len */
    snprintf(args, sizeof args, "eval-retrieval --src %s --tgt %s --model %s --max-len 41", a, a, model);
    assert_int_equal(run(args, NULL, NULL, 0), 1);
    snprintf(args, sizeof args, "eval-retrieval --src %s --tgt %s --word-vectors %s --max-len 3", a, a, vec);
    assert_int_equal(run(args, NULL, NULL, 0), 2);
    /* usage: --model excludes word vectors; runtime: a model file that is not one */
    snprintf(args, sizeof args, "eval-retrieval --src %s --tgt %s --model %s --word-vectors %s", a, a, model, vec);
    assert_int_equal(run(args, NULL, NULL, 0), 2);
    snprintf(args, sizeof args, "eval-retrieval --src %s --tgt %s --model %s", a, a, vec);
    assert_int_equal(run(args, NULL, NULL, 0), 1);

    remove(model);
    char *files[] = {a, b, vec};
    for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
        remove(files[i]);
        free(files[i]);
    }
}

/* ------------------------------------------------------ translate --code-switch */

static void test_codeswitch_cli(void **state)
{
    (void)state;
    xl_test_bin_or_skip();
    char *dict = tmp_copy("cs_dict.txt", "new\tnuevo\nnew york\tNueva York\ncity\tciudad\ncity\turbe\ndog\tperro\n"
                                         "\xC3\xBC" "ber\tsobre\nsign\tZeichen \xC2\xB4\n");
    char *text = tmp_copy("cs_en.txt", "The new York city!\n\xC3\x9C" "ber  dogs, sign.\nnew new new new\ncity city city\n");
    char *tail = tmp_copy("cs_tail.txt", "new new new new\ncity city city\n");
    char args[2048], out[4096], out2[4096];
    /* P = 1: every known unit replaced, the rest of the line kept as written */
    snprintf(args, sizeof args, "translate --dict %s --code-switch 1 --seed 4 --morph en %s", dict, text);
    assert_int_equal(run(args, NULL, out, sizeof out), 0);
    assert_non_null(strstr(out, "The Nueva York "));
    assert_non_null(strstr(out, "!\nsobre  perro, sign.\nnuevo nuevo nuevo nuevo\n"));
    /* seeded: the same command gives the same bytes; stdin gives the same as the file */
    snprintf(args, sizeof args, "translate --dict %s --code-switch 0.5 --seed 9 %s", dict, text);
    assert_int_equal(run(args, NULL, out, sizeof out), 0);
    snprintf(args, sizeof args, "translate --dict %s --code-switch 0.5 --seed 9", dict);
    assert_int_equal(run(args, text, out2, sizeof out2), 0);
    assert_string_equal(out, out2);
    assert_string_equal(out, "The new York city!\n\xC3\x9C" "ber  dogs, sign.\nnuevo nuevo new nuevo\nurbe city ciudad\n");
    /* line independence: lines 3-4 of the file == lines 1-2 of a file starting there (--first-line 3) */
    snprintf(args, sizeof args, "translate --dict %s --code-switch 0.5 --seed 9 --first-line 3 %s", dict, tail);
    assert_int_equal(run(args, NULL, out2, sizeof out2), 0);
    const char *third = strchr(strchr(out, '\n') + 1, '\n') + 1;
    assert_string_equal(third, out2);
    /* --min-switched keeps the line count: weakly switched lines are empty */
    snprintf(args, sizeof args, "translate --dict %s --code-switch 1 --min-switched 0.6 %s", dict, text);
    assert_int_equal(run(args, NULL, out, sizeof out), 0);
    assert_string_equal(out, "The Nueva York urbe!\n\nnuevo nuevo nuevo nuevo\nurbe ciudad ciudad\n");
    /* usage errors: exit 2 */
    const char *bad_args[] = {"--code-switch 0", "--code-switch 1.5", "--code-switch x", "--seed 3", "--morph en",
                              "--min-switched 0.5", "--code-switch 1 --morph fr", "--code-switch 1 --min-switched 2",
                              "--code-switch 1 --raw", "--code-switch 1 --first-line 0"};
    for (size_t i = 0; i < sizeof bad_args / sizeof *bad_args; i++) {
        snprintf(args, sizeof args, "translate --dict %s %s %s", dict, bad_args[i], text);
        assert_int_equal(run(args, NULL, NULL, 0), 2);
    }
    /* invalid UTF-8 input: exit 1, the message names the file and line */
    char *bad = tmp_copy("cs_bad.txt", "fine new city\nnew \xC3 city\n");
    snprintf(args, sizeof args, "translate --dict %s --code-switch 1 %s 2>&1 >/dev/null", dict, bad);
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "%s %s", getenv("XLREC_BIN"), args);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    size_t n = fread(out, 1, sizeof out - 1, p);
    out[n] = '\0';
    int st = pclose(p);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 1);
    assert_non_null(strstr(out, "cs_bad.txt:2: invalid UTF-8"));
    free(dict), free(text), free(tail), free(bad);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_translate_cli),
        cmocka_unit_test(test_translate_lm_library),
        cmocka_unit_test(test_codeswitch_cli),
        cmocka_unit_test(test_embed_words_cli),
        cmocka_unit_test(test_eval_retrieval_cli),
        cmocka_unit_test(test_eval_retrieval_model_cli),
    };
    return cmocka_run_group_tests_name("xling_cli", tests, NULL, NULL);
}
