/* test_stdin.c - README: "every file argument accepts `-` for standard input".
 * One test per command that reads a file (all but data-path), through the real binary ($XLREC_BIN, set by `make
 * test`): each input file argument is given once as a path and once as `-`
 * with the file on standard input; both runs must succeed and print the same
 * bytes (or write the same output file).  Where the output names the input,
 * the path is replaced by "-" before comparing.  Every input is tiny and made
 * here (the DistilBERT fixture is converted on the fly); `convert`, whose
 * input is a directory, is checked for `-o -` (the model on stdout).
 * Also: two `-` arguments in one call are a usage error (stdin is read once).  Where streaming is
 * impossible the command refuses `-` with exit 2 naming the option: `glove train --input-file`
 * (the records are read once per iteration) and `train-encoder --pairs/--mono/--eval-pairs/--resume`
 * (read by offset, in a new order every epoch).  `glove shuffle` from a pipe cannot know the input's
 * size, so it shuffles in 16 buckets: its records, sorted, are compared. */
#define _POSIX_C_SOURCE 200809L
#include "xl_test.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

static const char *bin;
/* inputs made once by setup() */
static char vectors[512], lines[512], tsv_lines[512], dict[512], counts[512], arpa[512], lid_train[512],
    lid_model[512], model[512], items[512], inter[512], heldout[512], ratings_csv[512], item_vectors[512],
    pred[512], truth[512], scripts[512], questions[512];

/* 6 words, dim 3 */
static const char VECTORS[] = "6 3\ncat 1 0 0\ndog 0 1 0\nchat 1 0.1 0\nchien 0 1 0.1\nhouse 0 0 1\nmaison 0.1 0 1\n";

static void save(char *dst, const char *tag, const char *text)
{
    snprintf(dst, 512, "%s", xl_test_write_tmp(tag, text, strlen(text)));
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    size_t cap = 4096, n = 0, got;
    char *s = malloc(cap + 1);
    assert_non_null(s);
    while ((got = fread(s + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap) {
            cap *= 2;
            s = realloc(s, cap + 1);
            assert_non_null(s);
        }
    }
    fclose(f);
    s[n] = 0;
    *len = n;
    return s;
}

/* `args` with every '@' replaced by `at` and every '#' by `hash`. */
static void expand(char *out, size_t cap, const char *args, const char *at, const char *hash)
{
    size_t n = 0;
    for (const char *p = args; *p && n + 1 < cap; p++) {
        const char *r = *p == '@' ? at : *p == '#' ? hash : NULL;
        if (r) {
            size_t l = strlen(r);
            assert_true(n + l < cap);
            memcpy(out + n, r, l);
            n += l;
        } else {
            out[n++] = *p;
        }
    }
    out[n] = 0;
}

static int sh(const char *cmd)
{
    int st = system(cmd);
    assert_true(st != -1 && WIFEXITED(st));
    return WEXITSTATUS(st);
}

/* Cut the last space-separated field of every line (a wall-clock column such as eval's fit_s). */
static size_t cut_last_field(char *s, size_t n)
{
    size_t o = 0, start = 0;
    for (size_t i = 0; i <= n; i++)
        if (i == n || s[i] == '\n') {
            size_t end = i;
            while (end > start && s[end - 1] != ' ') end--;
            if (end == start) end = i; /* one field: keep it */
            memmove(s + o, s + start, end - start);
            o += end - start;
            if (i < n) s[o++] = '\n';
            start = i + 1;
        }
    s[o] = 0;
    return o;
}

/* Remove every occurrence of `path` (replaced by "-") and every line that starts with `drop` (may be NULL). */
static size_t normalise(char *s, size_t n, const char *path, const char *drop)
{
    size_t pl = strlen(path), o = 0;
    bool line_start = true, dropping = false;
    for (size_t i = 0; i < n;) {
        if (line_start) dropping = drop && strncmp(s + i, drop, strlen(drop)) == 0;
        if (!dropping && pl && i + pl <= n && memcmp(s + i, path, pl) == 0) {
            s[o++] = '-';
            i += pl;
            line_start = false;
            continue;
        }
        line_start = s[i] == '\n';
        if (!dropping) s[o++] = s[i];
        i++;
    }
    s[o] = 0;
    return o;
}

/* `xlrec ARGS` with the input `file` at '@': as a path, then as "-" from stdin.  Compared: stdout, or the
 * file written at '#' when the command writes one, or what the shell command `post` ('%s' = that
 * file) prints of it (for an output whose order the input's size decides). */
static void check_norm(const char *args, const char *file, const char *drop, bool timed, const char *post)
{
    char a_out[512], b_out[512], a_file[512], b_file[512], cmd[8192], expanded[3072], p[1024];
    snprintf(a_out, sizeof a_out, "%s", xl_test_tmp_path("a.out"));
    snprintf(b_out, sizeof b_out, "%s", xl_test_tmp_path("b.out"));
    snprintf(a_file, sizeof a_file, "%s", xl_test_tmp_path("a.file"));
    snprintf(b_file, sizeof b_file, "%s", xl_test_tmp_path("b.file"));
    bool writes = strchr(args, '#') != NULL && !post;
    expand(expanded, sizeof expanded, args, file, a_file);
    snprintf(cmd, sizeof cmd, "%s %s </dev/null >%s 2>/dev/null", bin, expanded, a_out);
    if (sh(cmd) != 0) fail_msg("with a path: %s", cmd);
    expand(expanded, sizeof expanded, args, "-", b_file);
    snprintf(cmd, sizeof cmd, "%s %s <%s >%s 2>/dev/null", bin, expanded, file, b_out);
    if (sh(cmd) != 0) fail_msg("with '-': %s", cmd);
    for (int side = 0; post && side < 2; side++) {
        snprintf(p, sizeof p, post, side ? b_file : a_file);
        snprintf(cmd, sizeof cmd, "%s >%s", p, side ? b_out : a_out);
        if (sh(cmd) != 0) fail_msg("%s", cmd);
    }
    size_t na, nb;
    char *a = slurp(writes ? a_file : a_out, &na), *b = slurp(writes ? b_file : b_out, &nb);
    if (!writes) na = normalise(a, na, file, drop), nb = normalise(b, nb, file, drop);
    if (timed) na = cut_last_field(a, na), nb = cut_last_field(b, nb);
    if (na != nb || memcmp(a, b, na) != 0)
        fail_msg("'%s': output differs with '-' (%zu vs %zu bytes)\n--- path:\n%.400s\n--- stdin:\n%.400s", args, na,
                 nb, a, b);
    if (!writes) assert_true(na > 0);
    free(a);
    free(b);
    remove(a_out), remove(b_out), remove(a_file), remove(b_file);
}

static void check(const char *args, const char *file) { check_norm(args, file, NULL, false, NULL); }
/* eval's table ends with the fit time (fit_s): not compared */
static void check_timed(const char *args, const char *file) { check_norm(args, file, NULL, true, NULL); }

/* `xlrec ARGS` with '-' where the command cannot stream: exit 2 (usage) and a message that names the option. */
static void refuses(const char *args, const char *option)
{
    char cmd[4096], errp[512];
    snprintf(errp, sizeof errp, "%s", xl_test_tmp_path("refuse.err"));
    snprintf(cmd, sizeof cmd, "%s %s </dev/null >/dev/null 2>%s", bin, args, errp);
    int rc = sh(cmd);
    size_t n;
    char *msg = slurp(errp, &n);
    if (rc != 2 || !strstr(msg, option)) fail_msg("'%s': exit %d, expected 2 naming %s: %s", args, rc, option, msg);
    free(msg);
    remove(errp);
}

static int setup(void **state)
{
    (void)state;
    bin = getenv("XLREC_BIN");
    if (!bin) return 0;
    save(vectors, "v.txt", VECTORS);
    save(lines, "lines.txt", "The cat and the dog\nLe chat et le chien\n\nA house, a maison\n");
    save(tsv_lines, "lines.tsv", "cat\tchat\ndog\tchien\nhouse\tmaison\n");
    save(dict, "dict.tsv", "chat\tcat\nchien\tdog\nmaison\thouse\n");
    save(counts, "counts.txt", "cat 10\ndog 5\nhouse 3\nchat 2\nchien 1\nmaison 1\n");
    save(lid_train, "lid.tsv", "en\tthe cat and the dog in the house\nfr\tle chat et le chien dans la maison\n"
                               "en\ta small house with a garden\nfr\tune petite maison avec un jardin\n");
    save(scripts, "scripts.tsv", "en\tLatin\nfr\tLatin\n");
    save(items, "items.tsv", "item\tlang\ttitle\na\ten\tthe cat\nb\tfr\tle chat\nc\ten\tthe dog\nd\tfr\tle chien\n"
                             "e\ten\ta house\nf\tfr\tune maison\n");
    save(inter, "inter.tsv", "user\titem\trating\nu1\ta\t5\nu1\tc\t4\nu2\tb\t5\nu2\tf\t3\nu3\te\t4\nu3\ta\t2\n");
    save(heldout, "heldout.tsv", "user\titem\nu1\td\nu2\td\nu3\tf\n");
    save(ratings_csv, "ratings.csv", "u1,a,5\nu1,c,4\nu2,b,5\nu2,f,3\nu3,e,4\nu3,a,2\nu4,b,1\nu4,d,2\n");
    save(pred, "pred.tsv", "u1\ta b c\nu2\tc d\n");
    save(truth, "truth.csv", "u1,b\nu2,d\n");
    save(questions, "questions.txt", ": pairs\ncat chat dog chien\ndog chien cat chat\n");
    snprintf(arpa, sizeof arpa, "%s", xl_test_tmp_path("lm.arpa"));
    snprintf(lid_model, sizeof lid_model, "%s", xl_test_tmp_path("lid.xlid"));
    snprintf(model, sizeof model, "%s", xl_test_tmp_path("tiny.xlm"));
    snprintf(item_vectors, sizeof item_vectors, "%s", xl_test_tmp_path("items.npy"));
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "%s ngram train -o 2 --discount-fallback -O %s %s 2>/dev/null", bin, arpa, lines);
    if (sh(cmd) != 0) return -1;
    snprintf(cmd, sizeof cmd, "%s langid-train --out %s %s >/dev/null 2>&1", bin, lid_model, lid_train);
    if (sh(cmd) != 0) return -1;
    snprintf(cmd, sizeof cmd, "%s convert -q tests/fixtures/distilbert_tiny -o %s >/dev/null 2>&1", bin, model);
    if (sh(cmd) != 0) return -1;
    snprintf(cmd, sizeof cmd, "cut -f3 %s | sed 1d | %s embed-words -w %s --raw -o %s 2>/dev/null", items, bin, vectors,
             item_vectors);
    if (sh(cmd) != 0) return -1;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    const char *all[] = {vectors, lines, tsv_lines, dict, counts, arpa, lid_train, lid_model, model, items, inter,
                         heldout, ratings_csv, item_vectors, pred, truth, scripts, questions};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        if (all[i][0]) remove(all[i]);
    return 0;
}

#define SKIP_WITHOUT_BIN() (void)xl_test_bin_or_skip()
#define F(fmt, ...) (snprintf(args, sizeof args, fmt, __VA_ARGS__), args)

static void test_align(void **state)
{
    (void)state;
    SKIP_WITHOUT_BIN();
    char args[2048];
    check(F("align --src-vectors @ --tgt-vectors %s --train-dict %s --test-dict %s", vectors, dict, dict), vectors);
    check(F("align --tgt-vectors @ --src-vectors %s --train-dict %s --test-dict %s", vectors, dict, dict), vectors);
    check(F("align --src-vectors %s --tgt-vectors %s --train-dict @ --test-dict %s", vectors, vectors, dict), dict);
    check(F("align --src-vectors %s --tgt-vectors %s --train-dict %s --test-dict @", vectors, vectors, dict), dict);
}

static void test_check_utf8(void **state)
{
    (void)state;
    SKIP_WITHOUT_BIN();
    check("check-utf8 --repair @", lines); /* writes the (repaired) text */
}

/* convert reads a directory; its output file accepts "-" (the model on stdout). */
/* export reads the model from "-" as from its path: the same checkpoint files. */
static void test_export(void **state)
{
    (void)state;
    SKIP_WITHOUT_BIN();
    char a[512], b[512], cmd[4096];
    snprintf(a, sizeof a, "%s", xl_test_tmp_path("ex1"));
    snprintf(b, sizeof b, "%s", xl_test_tmp_path("ex2"));
    snprintf(cmd, sizeof cmd, "%s export -q %s -o %s 2>/dev/null && %s export -q - -o %s <%s 2>/dev/null", bin, model, a,
             bin, b, model);
    assert_int_equal(sh(cmd), 0);
    static const char *const files[] = {"model.safetensors", "tokenizer.json", "config.json", "2_Dense/model.safetensors"};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        char pa[600], pb[600];
        snprintf(pa, sizeof pa, "%s/%s", a, files[i]);
        snprintf(pb, sizeof pb, "%s/%s", b, files[i]);
        size_t na, nb;
        char *x = slurp(pa, &na), *y = slurp(pb, &nb);
        assert_true(na > 0);
        assert_int_equal(na, nb);
        assert_memory_equal(x, y, na);
        free(x), free(y);
    }
    snprintf(cmd, sizeof cmd, "rm -rf %s %s", a, b);
    assert_int_equal(sh(cmd), 0);
}

static void test_convert(void **state)
{
    (void)state;
    SKIP_WITHOUT_BIN();
    char a[512], b[512], cmd[2048];
    snprintf(a, sizeof a, "%s", xl_test_tmp_path("c1.xlm"));
    snprintf(b, sizeof b, "%s", xl_test_tmp_path("c2.xlm"));
    snprintf(cmd, sizeof cmd, "%s convert -q tests/fixtures/distilbert_tiny -o %s 2>/dev/null", bin, a);
    assert_int_equal(sh(cmd), 0);
    snprintf(cmd, sizeof cmd, "%s convert -q tests/fixtures/distilbert_tiny -o - >%s 2>/dev/null", bin, b);
    assert_int_equal(sh(cmd), 0);
    size_t na, nb;
    char *x = slurp(a, &na), *y = slurp(b, &nb);
    assert_true(na > 0);
    assert_int_equal(na, nb);
    assert_memory_equal(x, y, na);
    free(x), free(y);
    remove(a), remove(b);
}

static void test_embed(void **state)
{
    (void)state;
    SKIP_WITHOUT_BIN();
    char args[2048];
    check(F("embed -m %s @", model), lines);
    check(F("embed -m %s --pooling none @", model), lines);
    check(F("embed -m @ %s", lines), model);
}

static void test_embed_words(void **state)
{
    (void)state;
    SKIP_WITHOUT_BIN();
    char args[2048];
    check(F("embed-words -w %s -f txt @", vectors), lines);
    check(F("embed-words -w @ -f txt %s", lines), vectors);
    check(F("embed-words -w %s -c @ -f txt %s", vectors, lines), counts);
    check(F("embed-words -w %s -o # %s", vectors, lines), vectors);
}

static void test_eval(void **state)
{
    (void)state;
    SKIP_WITHOUT_BIN();
    char args[2048];
    check_timed("eval --ratings @ --models popularity,itemknn -k 3", ratings_csv);
    check_timed(F("eval --ratings @ --sep tab --user-col user --item-col item --rating-col rating --items %s --item-sep tab "
            "--item-id-col item --vectors %s --models content -k 3", items, item_vectors), inter);
    check_timed(F("eval --ratings %s --sep tab --user-col user --item-col item --rating-col rating --items @ --item-sep tab "
            "--item-id-col item --vectors %s --models content -k 3", inter, item_vectors), items);
    check_timed(F("eval --ratings %s --sep tab --user-col user --item-col item --rating-col rating --items %s --item-sep tab "
            "--item-id-col item --vectors @ --models content -k 3", inter, items), item_vectors);
    check_timed(F("eval --predictions @ --truth %s -k 3", truth), pred);
    check_timed(F("eval --predictions %s --truth @ -k 3", pred), truth);
}

static void test_eval_retrieval(void **state)
{
    (void)state;
    SKIP_WITHOUT_BIN();
    char args[2048];
    check(F("eval-retrieval --src @ --tgt %s --word-vectors %s --raw", lines, vectors), lines);
    check(F("eval-retrieval --src %s --tgt @ --word-vectors %s --raw", lines, vectors), lines);
    check(F("eval-retrieval --src %s --tgt %s --word-vectors @ --raw", lines, lines), vectors);
    check(F("eval-retrieval --src %s --tgt %s --src-vectors @ --tgt-vectors %s --raw", lines, lines, vectors), vectors);
    /* stdin is read once: two '-' are refused */
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "%s eval-retrieval --src - --tgt - --word-vectors %s <%s >/dev/null 2>&1", bin, vectors,
             lines);
    assert_int_equal(sh(cmd), 2);
}

static void test_inspect(void **state)
{
    (void)state;
    SKIP_WITHOUT_BIN();
    check_norm("inspect @", model, "mapped", false, NULL); /* a pipe is read, not mapped */
}

static void test_langid(void **state)
{
    (void)state;
    SKIP_WITHOUT_BIN();
    char args[2048];
    check(F("langid -m %s @", lid_model), lines);
    check(F("langid -m @ %s", lines), lid_model);
}

static void test_langid_train(void **state)
{
    (void)state;
    SKIP_WITHOUT_BIN();
    char args[2048];
    check("langid-train --out # @", lid_train);
    check(F("langid-train --out # --dev @ %s", lid_train), lid_train);
    check(F("langid-train --out # --scripts @ %s", lid_train), scripts);
}

static void test_ngram(void **state)
{
    (void)state;
    SKIP_WITHOUT_BIN();
    char args[2048];
    check("ngram train -o 2 --discount-fallback @", lines);
    check(F("ngram query -m %s @", arpa), lines);
    check(F("ngram query -m @ %s", lines), arpa);
    check(F("ngram ppl -m %s @", arpa), lines);
}

static void test_normalize(void **state)
{
    (void)state;
    SKIP_WITHOUT_BIN();
    char args[2048];
    check("normalize --nfkc --casefold @", lines);
    check(F("normalize --segment maxmatch --dict @ %s", lines), counts);
}

static void test_recommend(void **state)
{
    (void)state;
    SKIP_WITHOUT_BIN();
    char args[2048];
    check("recommend --ratings @ --model popularity -k 2", ratings_csv);
    check(F("recommend --ratings %s --sep tab --user-col user --item-col item --items @ --item-sep tab "
            "--item-id-col item --item-text-cols title --text-vectors 16 --model content -k 2", inter), items);
    check(F("recommend --ratings %s --sep tab --user-col user --item-col item --items %s --item-sep tab "
            "--item-id-col item --vectors @ --model content -k 2", inter, items), item_vectors);
}

static void test_run(void **state)
{
    (void)state;
    SKIP_WITHOUT_BIN();
    char args[2048];
    const char *rest = "-r content,cf -k 3 -q";
    check(F("run --items @ --interactions %s --heldout %s --word-vectors %s %s", inter, heldout, vectors, rest), items);
    check(F("run --items %s --interactions @ --heldout %s --word-vectors %s %s", items, heldout, vectors, rest), inter);
    check(F("run --items %s --interactions %s --heldout @ --word-vectors %s %s", items, inter, vectors, rest), heldout);
    check(F("run --items %s --interactions %s --word-vectors @ %s", items, inter, rest), vectors);
    check(F("run --items %s --interactions %s --model @ %s", items, inter, rest), model);
    check(F("run --items %s --interactions %s --word-vectors %s --dict @ %s", items, inter, vectors, rest), dict);
    check(F("run --items %s --interactions %s --word-vectors %s --counts @ %s", items, inter, vectors, rest), counts);
    check(F("run --items %s --interactions %s --word-vectors %s --langid-model @ --detect-lang %s", items, inter,
            vectors, rest), lid_model);
}

static void test_tokenize(void **state)
{
    (void)state;
    SKIP_WITHOUT_BIN();
    char args[2048];
    check("tokenize --vocab tests/fixtures/distilbert_tiny/vocab.txt @", lines);
    /* from a pipe there is no tokenizer_config.json beside the vocabulary: say the casing */
    check(F("tokenize --vocab @ --lowercase %s", lines), "tests/fixtures/distilbert_tiny/vocab.txt");
}

static void test_translate(void **state)
{
    (void)state;
    SKIP_WITHOUT_BIN();
    char args[2048];
    check(F("translate --dict %s @", dict), lines);
    check(F("translate --dict @ %s", lines), dict);
    check(F("translate --dict %s --counts @ %s", dict, lines), counts);
    check(F("translate --dict %s --lm @ %s", dict, lines), arpa);
}

static void test_augment(void **state)
{
    (void)state;
    SKIP_WITHOUT_BIN();
    check("augment --drop-words 0.5 --seed 3 --min-words 1 @", lid_train);
}

static void test_w2v(void **state)
{
    (void)state;
    SKIP_WITHOUT_BIN();
    char args[2048];
    check("w2v train --train @ --output # --size 4 --min-count 1 --iter 1 --threads 1 --seed 1 -q", lines);
    check("w2v similar --vectors @ -k 2 cat", vectors);
    check("w2v analogy --vectors @ cat chat dog", vectors);
    check(F("w2v eval --vectors @ --questions %s", questions), vectors);
    check(F("w2v eval --vectors %s --questions @", vectors), questions);
    check("w2v convert -i @ -o # --binary 0", vectors);
}

static void test_glove(void **state)
{
    (void)state;
    SKIP_WITHOUT_BIN();
    char args[2048], cmd[8192], gv[512], co[512], shuf[512], bin_params[520], prefix[512];
    snprintf(gv, sizeof gv, "%s", xl_test_tmp_path("glove.vocab"));
    snprintf(co, sizeof co, "%s", xl_test_tmp_path("glove.cooc"));
    snprintf(shuf, sizeof shuf, "%s", xl_test_tmp_path("glove.shuf"));
    snprintf(prefix, sizeof prefix, "%s", xl_test_tmp_path("glove.vec"));
    snprintf(bin_params, sizeof bin_params, "%s.bin", prefix);
    snprintf(cmd, sizeof cmd,
             "%s glove vocab --corpus %s -o %s --verbose 0 && %s glove cooccur --vocab-file %s --corpus %s -o %s "
             "--window-size 2 --verbose 0 && %s glove shuffle -i %s -o %s --verbose 0 && %s glove train --input-file %s "
             "--vocab-file %s --save-file %s --vector-size 4 --iter 2 --binary 1 --verbose 0",
             bin, lines, gv, bin, gv, lines, co, bin, co, shuf, bin, shuf, gv, prefix);
    assert_int_equal(sh(cmd), 0);
    check("glove vocab --corpus @ -o # --verbose 0", lines);
    check(F("glove cooccur --vocab-file %s --corpus @ -o # --window-size 2 --verbose 0", gv), lines);
    check(F("glove cooccur --vocab-file @ --corpus %s -o # --window-size 2 --verbose 0", lines), gv);
    /* shuffle: a file's size sets the number of buckets, a pipe gets 16, so the permutation differs;
     * the records must be the same */
    char post[600];
    snprintf(post, sizeof post, "%s glove dump %%s | sort", bin);
    check_norm("glove shuffle -i @ -o # --verbose 0", co, NULL, false, post);
    check(F("glove train --input-file %s --vocab-file @ --save-file %s.b --w2v # --vector-size 4 --iter 2 --verbose 0",
            shuf, prefix), gv);
    refuses(F("glove train --input-file - --vocab-file %s --save-file %s.c", gv, prefix), "--input-file");
    check(F("glove text --input-file @ --vocab-file %s", gv), bin_params);
    check(F("glove text --input-file %s --vocab-file @", bin_params), gv);
    check("glove dump @", co);
    check(F("glove dump %s --vocab-file @", co), gv);
    check(F("glove compare @ %s", co), co);
    check(F("glove compare %s @", co), co);
    const char *made[] = {gv, co, shuf, bin_params};
    for (size_t i = 0; i < 4; i++) remove(made[i]);
    const char *suffix[] = {".bin.vocab", ".txt", ".b.txt"};
    for (size_t i = 0; i < 3; i++) {
        snprintf(cmd, sizeof cmd, "%s%s", prefix, suffix[i]);
        remove(cmd);
    }
}

static void test_vocab(void **state)
{
    (void)state;
    SKIP_WITHOUT_BIN();
    char args[2048];
    const char *tok = "tests/fixtures/distilbert_tiny/vocab.txt";
    check("vocab train --vocab-size 60 @", lines);
    check(F("vocab prune --tokenizer %s --vocab-size 50 @", tok), lines);
    check(F("vocab stats --tokenizer %s @", tok), lines);
    /* from a pipe there is no tokenizer_config.json beside the vocabulary: say the casing */
    check(F("vocab prune --tokenizer @ --lowercase --vocab-size 50 %s", lines), tok);
    check(F("vocab stats --tokenizer @ --lowercase %s", lines), tok);
}

static void test_train_encoder(void **state)
{
    (void)state;
    SKIP_WITHOUT_BIN();
    char args[2048], cmd[4096], vocab[512], pairs[512], init[512];
    size_t n;
    /* the fixture's vocabulary without its tokenizer_config.json, so the path and the pipe read the same casing */
    char *v = slurp("tests/fixtures/distilbert_tiny/vocab.txt", &n);
    save(vocab, "te.vocab", v);
    free(v);
    save(pairs, "te.pairs", "en\tthe cat\tfr\tle chat\nen\tthe dog\tfr\tle chien\nen\tthe house\tfr\tla maison\n"
                            "en\ta cat\tfr\tun chat\n");
    snprintf(init, sizeof init, "%s", xl_test_tmp_path("te.init.xlm"));
    const char *tiny = "--config layers=1,hidden=8,heads=2,ffn=16,max-position=32 --steps 2 --batch 2 --max-len 16";
    check(F("train-encoder %s --vocab @ --pairs %s -o #", tiny, pairs), vocab);
    snprintf(cmd, sizeof cmd, "%s train-encoder %s --vocab %s --pairs %s -o %s >/dev/null 2>&1", bin, tiny, vocab, pairs,
             init);
    assert_int_equal(sh(cmd), 0);
    check(F("train-encoder --init @ --pairs %s --steps 2 --batch 2 --max-len 16 -o #", pairs), init);
    /* the corpora and the checkpoint are read by offset, again every epoch: a pipe is refused (exit 2) */
    refuses(F("train-encoder %s --vocab %s --pairs - -o %s.x", tiny, vocab, init), "--pairs");
    refuses(F("train-encoder %s --vocab %s --mono - --objective mlm -o %s.x", tiny, vocab, init), "--mono");
    refuses(F("train-encoder %s --vocab %s --pairs %s --eval-pairs - -o %s.x", tiny, vocab, pairs, init), "--eval-pairs");
    refuses(F("train-encoder %s --vocab %s --pairs %s --resume - -o %s.x", tiny, vocab, pairs, init), "--resume");
    remove(vocab), remove(pairs), remove(init);
}

static void test_quantize(void **state)
{
    (void)state;
    SKIP_WITHOUT_BIN();
    check("quantize @ -o # --dtype f16", model);
}

static void test_mo_dump(void **state)
{
    (void)state;
    SKIP_WITHOUT_BIN();
    char mo[512], list[600];
    /* a one-message catalogue, little-endian: header (magic, revision 0, N 1, originals at 28,
     * translations at 36, no hash table), the two (length, offset) tables, "hello" -> "bonjour" */
    static const unsigned char MO[] = {
        0xde, 0x12, 0x04, 0x95, 0, 0, 0, 0, 1, 0, 0, 0, 28, 0, 0, 0, 36, 0, 0, 0, 0, 0, 0, 0, 44, 0, 0, 0,
        5, 0, 0, 0, 44, 0, 0, 0, 7, 0, 0, 0, 50, 0, 0, 0,
        'h', 'e', 'l', 'l', 'o', 0, 'b', 'o', 'n', 'j', 'o', 'u', 'r', 0};
    snprintf(mo, sizeof mo, "%s", xl_test_write_tmp("t.mo", MO, sizeof MO));
    snprintf(list, sizeof list, "%s\n", mo);
    char listfile[512];
    save(listfile, "mo.list", list);
    check("mo-dump @", mo);
    check("mo-dump --list @", listfile);
    remove(mo), remove(listfile);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_align),      cmocka_unit_test(test_check_utf8),  cmocka_unit_test(test_convert),
        cmocka_unit_test(test_export),
        cmocka_unit_test(test_embed),      cmocka_unit_test(test_embed_words), cmocka_unit_test(test_eval),
        cmocka_unit_test(test_eval_retrieval), cmocka_unit_test(test_inspect), cmocka_unit_test(test_langid),
        cmocka_unit_test(test_langid_train), cmocka_unit_test(test_ngram),     cmocka_unit_test(test_normalize),
        cmocka_unit_test(test_recommend),  cmocka_unit_test(test_run),         cmocka_unit_test(test_tokenize),
        cmocka_unit_test(test_translate),  cmocka_unit_test(test_w2v),         cmocka_unit_test(test_glove),
        cmocka_unit_test(test_vocab),      cmocka_unit_test(test_train_encoder), cmocka_unit_test(test_quantize),
        cmocka_unit_test(test_mo_dump),    cmocka_unit_test(test_augment),
    };
    return cmocka_run_group_tests_name("stdin", tests, setup, teardown);
}
