/* test_rec_cli.c - `xlrec recommend` and `xlrec eval` through the real binary
 * ($XLREC_BIN, set by `make test`) and the loader behind them, on tiny files
 * made here: the details of issue 17, each with its regression test
 * (MovieLens "::" files and --sep auto, --encoding latin1 and the non-UTF-8
 * error, external-list JSON without a split, "-" coverage of language rows,
 * no ranking rows for rating-only models, no never-embedded "because" items,
 * progress lines on stderr). */
#define _POSIX_C_SOURCE 200809L
#include "xl_test.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "xl_rec_data.h"

static char *tmp_copy(const char *tag, const char *text, size_t len)
{
    const char *p = xl_test_write_tmp(tag, text, len);
    assert_non_null(p);
    char *s = malloc(strlen(p) + 1);
    assert_non_null(s);
    strcpy(s, p);
    return s;
}

/* Run `$XLREC_BIN args`; stdout into out, stderr into err_out (each NUL-terminated,
 * at most cap-1 bytes; either may be NULL).  Returns the exit status. */
static int run(const char *args, char *out, char *err_out, size_t cap)
{
    const char *bin = xl_test_bin_or_skip();
    char so[1024], se[1024];
    snprintf(so, sizeof so, "%s", xl_test_tmp_path("stdout"));
    snprintf(se, sizeof se, "%s", xl_test_tmp_path("stderr"));
    char cmd[8192];
    snprintf(cmd, sizeof cmd, "%s %s </dev/null >%s 2>%s", bin, args, so, se);
    int st = system(cmd);
    assert_true(st != -1 && WIFEXITED(st));
    char *bufs[2] = {out, err_out};
    const char *paths[2] = {so, se};
    for (int i = 0; i < 2; i++) {
        if (!bufs[i]) continue;
        FILE *f = fopen(paths[i], "rb");
        assert_non_null(f);
        size_t n = fread(bufs[i], 1, cap - 1, f);
        bufs[i][n] = 0;
        fclose(f);
    }
    remove(so);
    remove(se);
    return WEXITSTATUS(st);
}

/* MovieLens 1M layout: user::movie::rating::time, no header. */
static const char DAT[] = "1::10::5::100\n1::11::3::101\n2::10::4::102\n2::12::2::103\n3::11::5::104\n3::12::1::105\n"
                          "4::10::3::106\n";

static void test_dcolon_separator(void **state)
{
    (void)state;
    char *r = tmp_copy("r.dat", DAT, strlen(DAT));
    static char out[4096], err[4096];
    char args[2048];
    /* --sep auto (the default) finds "::"; popularity: 10 has 3 users, 11 and 12 two each */
    snprintf(args, sizeof args, "recommend --ratings %s --no-header --rating-col 2 --time-col 3 --model popularity -k 1",
             r);
    assert_int_equal(run(args, out, err, sizeof out), 0);
    assert_string_equal(out, "1\t1\t12\t2\n2\t1\t11\t2\n3\t1\t10\t3\n4\t1\t11\t2\n");
    snprintf(args, sizeof args,
             "recommend --ratings %s --no-header --sep :: --rating-col 2 --time-col 3 --model popularity -k 1", r);
    static char out2[4096];
    assert_int_equal(run(args, out2, NULL, sizeof out2), 0);
    assert_string_equal(out, out2);
    /* the loader: ratings and times read from the 3rd and 4th "::" fields */
    xl_rec_load_options o;
    xl_rec_load_options_default(&o);
    assert_int_equal(o.separator, XL_REC_SEP_AUTO);
    o.no_header = true;
    o.rating_col = "2";
    o.time_col = "3";
    xl_rec_dataset d;
    xl_rec_dataset_init(&d);
    xl_error e;
    assert_int_equal(xl_rec_load(&d, r, NULL, &o, &e), 0);
    assert_int_equal(d.n_users, 4);
    assert_int_equal(d.n_items, 3);
    assert_int_equal(d.x.n, 7);
    assert_close(d.x.rating[3], 2.0, 0);
    assert_int_equal(d.x.time[6], 106);
    xl_rec_dataset_free(&d);
    /* ';' with no ',' on the first line is sniffed too (Book-Crossing's original dump) */
    static const char SEMI[] = "\"User-ID\";\"ISBN\";\"Book-Rating\"\n\"1\";\"a\";\"5\"\n\"2\";\"a\";\"3\"\n\"2\";\"b\";\"4\"\n";
    char *rs = tmp_copy("r_semi.csv", SEMI, strlen(SEMI));
    xl_rec_load_options_default(&o);
    o.user_col = "User-ID";
    o.item_col = "ISBN";
    o.rating_col = "Book-Rating";
    xl_rec_dataset_init(&d);
    assert_int_equal(xl_rec_load(&d, rs, NULL, &o, &e), 0);
    assert_int_equal(d.n_users, 2);
    assert_int_equal(d.n_items, 2);
    assert_close(d.x.rating[2], 4.0, 0);
    xl_rec_dataset_free(&d);
    remove(r);
    remove(rs);
    free(r);
    free(rs);
}

static void test_encoding(void **state)
{
    (void)state;
    char *r = tmp_copy("r.dat", DAT, strlen(DAT));
    static const char MOVIES[] = "10::Caf\xE9 (1999)::Drama\n11::Big::Comedy\n12::Small::Action\n";
    char *m = tmp_copy("m.dat", MOVIES, strlen(MOVIES));
    static char out[4096], err[4096];
    char args[2048];
    snprintf(args, sizeof args,
             "recommend --ratings %s --no-header --items %s --item-no-header --item-text-cols 1 --text-vectors 16 "
             "--model content -k 1",
             r, m);
    /* not UTF-8: an error naming file, line, byte and column, and the fix */
    assert_int_equal(run(args, out, err, sizeof out), 1);
    assert_non_null(strstr(err, "m.dat:1: byte 0xE9 at column 8"));
    assert_non_null(strstr(err, "--encoding latin1"));
    char args2[2100];
    snprintf(args2, sizeof args2, "%s --encoding latin1", args);
    assert_int_equal(run(args2, out, err, sizeof out), 0);
    /* the library converts Latin-1 to UTF-8: 0xE9 -> C3 A9 */
    xl_rec_load_options o;
    xl_rec_load_options_default(&o);
    o.no_header = o.item_no_header = true;
    o.item_text_cols = "1";
    o.encoding = XL_ENC_LATIN1;
    xl_rec_dataset d;
    xl_rec_dataset_init(&d);
    xl_error e;
    assert_int_equal(xl_rec_load(&d, r, m, &o, &e), 0);
    assert_string_equal(d.item_text[0], "Caf\xC3\xA9 (1999)");
    xl_rec_dataset_free(&d);
    /* a bad byte on line 3 of the ratings file is reported there */
    static const char BAD[] = "u,i\n1,a\n2,b\xFF\n";
    char *b = tmp_copy("bad.csv", BAD, strlen(BAD));
    xl_rec_load_options_default(&o);
    xl_rec_dataset_init(&d);
    assert_int_equal(xl_rec_load(&d, b, NULL, &o, &e), -1);
    assert_non_null(strstr(e.msg, "bad.csv:3: byte 0xFF at column 4"));
    xl_rec_dataset_free(&d);
    remove(r);
    remove(m);
    remove(b);
    free(r);
    free(m);
    free(b);
}

static void test_external_json_has_no_split(void **state)
{
    (void)state;
    char *pred = tmp_copy("pred.tsv", "u1\ta b\nu2\tc a\n", 14);
    char *truth = tmp_copy("truth.csv", "u1,a\nu2,b\n", 10);
    static char out[8192];
    char args[2048];
    snprintf(args, sizeof args, "eval --predictions %s --truth %s -k 2 --json -", pred, truth);
    assert_int_equal(run(args, out, NULL, sizeof out), 0);
    assert_non_null(strstr(out, "\"protocol\": \"external\""));
    assert_null(strstr(out, "test_ratio"));
    assert_null(strstr(out, "\"seed\""));
    assert_null(strstr(out, "folds"));
    /* u1 hits at rank 1, u2 misses: hit rate 0.5 */
    assert_non_null(strstr(out, "\"hit_rate\": 0.500000"));
    snprintf(args, sizeof args, "eval --predictions %s --truth %s -k 2", pred, truth);
    assert_int_equal(run(args, out, NULL, sizeof out), 0);
    assert_true(strncmp(out, "external lists, k=2\n", 20) == 0);
    remove(pred);
    remove(truth);
    free(pred);
    free(truth);
}

/* 6 users x 6 items, items in two languages. */
static const char RATINGS[] = "user,item,rating\n"
                              "1,a,5\n1,b,4\n1,c,3\n1,d,1\n"
                              "2,a,4\n2,c,5\n2,e,2\n2,f,3\n"
                              "3,b,5\n3,d,4\n3,e,3\n3,a,2\n"
                              "4,a,3\n4,b,2\n4,c,1\n4,f,5\n"
                              "5,c,4\n5,d,3\n5,e,5\n5,f,1\n"
                              "6,a,1\n6,d,2\n6,e,4\n6,b,3\n";
static const char ITEMS[] = "item,title,lang\n"
                            "a,red apple,en\nb,red car,en\nc,,en\n"
                            "d,pomme rouge,fr\ne,voiture rouge,fr\nf,pomme verte,fr\n";

static void test_eval_rows(void **state)
{
    (void)state;
    char *r = tmp_copy("r.csv", RATINGS, strlen(RATINGS));
    char *it = tmp_copy("items.csv", ITEMS, strlen(ITEMS));
    static char out[16384], err[16384];
    char args[2048];
    snprintf(args, sizeof args,
             "eval --ratings %s --rating-col rating --items %s --item-text-cols title --item-lang-col lang "
             "--models popularity,mean --by-language --test-ratio 0.5 -k 2 --threads 1 --json -",
             r, it);
    assert_int_equal(run(args, out, err, sizeof out), 0);
    /* language rows: coverage is not defined on a subset of the relevant items */
    const char *en = strstr(out, "\"subset\": \"lang=en\"");
    assert_non_null(en);
    const char *en_end = strchr(en, '}');
    const char *cov = strstr(en, "\"coverage\": null");
    assert_true(cov && cov < en_end);
    const char *all = strstr(out, "\"subset\": \"all\"");
    assert_non_null(all);
    assert_non_null(strstr(all, "\"coverage\": 0."));
    /* mean ranks by a constant: no ranking metrics, only RMSE */
    const char *mean = strstr(out, "\"model\": \"mean\"");
    assert_non_null(mean);
    const char *mean_end = strchr(mean, '}');
    const char *ndcg = strstr(mean, "\"ndcg\"");
    assert_true(!ndcg || ndcg > mean_end);
    assert_non_null(strstr(mean, "\"rmse\""));
    /* progress lines on stderr, one before and one after each model */
    assert_non_null(strstr(err, "xlrec: eval: fold 1/1: fitting popularity"));
    assert_non_null(strstr(err, "xlrec: eval: fold 1/1: popularity fitted in"));
    assert_non_null(strstr(err, "xlrec: eval: fold 1/1: mean fitted in"));
    /* the table: "-" in the coverage column of the language rows; --quiet: no progress */
    snprintf(args, sizeof args,
             "eval --ratings %s --rating-col rating --items %s --item-text-cols title --item-lang-col lang "
             "--models popularity --by-language --test-ratio 0.5 -k 2 --threads 1 --quiet",
             r, it);
    assert_int_equal(run(args, out, err, sizeof out), 0);
    const char *row = strstr(out, "lang=fr");
    assert_non_null(row);
    const char *eol = strchr(row, '\n');
    assert_non_null(eol);
    /* fields after the subset: users P R F1 NDCG NDCGg MAP MRR Hit cov RMSE MAE fit_s */
    char line[512];
    snprintf(line, sizeof line, "%.*s", (int)(eol - row), row);
    char *tok[16];
    int nt = 0;
    for (char *t = strtok(line, " "); t && nt < 16; t = strtok(NULL, " ")) tok[nt++] = t;
    assert_int_equal(nt, 14);
    assert_string_equal(tok[10], "-"); /* cov */
    assert_string_equal(err, "");
    remove(r);
    remove(it);
    free(r);
    free(it);
}

static void test_explain_skips_unembedded(void **state)
{
    (void)state;
    /* user 1 has a (red apple), c (no text: zero vector) and b (red car); candidates d, e, f */
    char *r = tmp_copy("r.csv", RATINGS, strlen(RATINGS));
    char *it = tmp_copy("items.csv", ITEMS, strlen(ITEMS));
    static char out[16384];
    char args[2048];
    snprintf(args, sizeof args,
             "recommend --ratings %s --rating-col rating --items %s --item-text-cols title --text-vectors 64 "
             "--model content -k 2 --users 1 --explain 5 --quiet",
             r, it);
    assert_int_equal(run(args, out, NULL, sizeof out), 0);
    assert_true(strlen(out) > 0);
    /* c never appears as a reason, and no reason has contribution 0 */
    assert_null(strstr(out, "\tc:"));
    assert_null(strstr(out, ",c:"));
    assert_null(strstr(out, ":0.0000"));
    remove(r);
    remove(it);
    free(r);
    free(it);
}

/* The number after "key": in the JSON object of model `model` (first result row of it). */
static double json_field(const char *json, const char *model, const char *key)
{
    char pat[96];
    snprintf(pat, sizeof pat, "\"model\": \"%s\"", model);
    const char *row = strstr(json, pat);
    assert_non_null(row);
    snprintf(pat, sizeof pat, "\"%s\": ", key);
    const char *v = strstr(row, pat);
    assert_non_null(v);
    assert_true(v < strchr(row, '}'));
    return strtod(v + strlen(pat), NULL);
}

static size_t count_lines_text(const char *s)
{
    size_t n = 0;
    for (; *s; s++) n += *s == '\n';
    return n;
}

static size_t count_lines(const char *path)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    size_t n = 0;
    int c;
    while ((c = fgetc(f)) != EOF) n += c == '\n';
    fclose(f);
    return n;
}

/* --write-split, then the same numbers from --train/--test, from `recommend --format eval`
 * scored by `eval --predictions`, and from the independent tests/tools/rec_split_metrics.py
 * (when python3 is installed); --per-user and --significance on top. */
static void test_split_roundtrip(void **state)
{
    (void)state;
    char *r = tmp_copy("r.csv", RATINGS, strlen(RATINGS));
    char *it = tmp_copy("items.csv", ITEMS, strlen(ITEMS));
    char dir[1024], pu[1024], pred[1024], args[8192];
    snprintf(dir, sizeof dir, "%s", xl_test_tmp_path("split"));
    snprintf(pu, sizeof pu, "%s", xl_test_tmp_path("pu.tsv"));
    snprintf(pred, sizeof pred, "%s", xl_test_tmp_path("pred.tsv"));
    static char a[16384], b[16384], c[16384];
    snprintf(args, sizeof args,
             "eval --ratings %s --rating-col rating --items %s --models popularity,itemknn --test-ratio 0.4 --val-ratio 0.5 -k 3 "
             "--threads 1 --quiet --json - --write-split %s --per-user %s --significance",
             r, it, dir, pu);
    assert_int_equal(run(args, a, NULL, sizeof a), 0);
    char tr[1100], te[1100], va[1100], ids[1100];
    snprintf(tr, sizeof tr, "%s/train.csv", dir);
    snprintf(te, sizeof te, "%s/test.csv", dir);
    snprintf(va, sizeof va, "%s/validation.csv", dir);
    snprintf(ids, sizeof ids, "%s/items.csv", dir);
    /* 24 ratings: train + test (each with a header line); validation is part of train */
    assert_int_equal(count_lines(tr) - 1 + count_lines(te) - 1, 24);
    assert_true(count_lines(va) > 1 && count_lines(va) < count_lines(tr));
    assert_int_equal(count_lines(ids), 7); /* header + 6 items in index order */
    /* per-user rows: a header and one row per (model, user with a relevant item) */
    double users = json_field(a, "itemknn", "users");
    assert_int_equal(count_lines(pu), 1 + 2 * (size_t)users);
    assert_non_null(strstr(a, "\"paired_tests_ndcg\""));
    char pairs[128];
    snprintf(pairs, sizeof pairs, "{\"a\": \"popularity\", \"b\": \"itemknn\", \"pairs\": %.0f,", users);
    assert_non_null(strstr(a, pairs));
    /* the given split reproduces every number */
    snprintf(args, sizeof args,
             "eval --train %s --test %s --items %s --models popularity,itemknn -k 3 --threads 1 --quiet --json -", tr,
             te, ids);
    assert_int_equal(run(args, b, NULL, sizeof b), 0);
    assert_non_null(strstr(b, "\"protocol\": \"given\""));
    static const char *const keys[] = {"users", "precision", "recall", "ndcg", "ndcg_graded", "map", "mrr", "hit_rate"};
    for (size_t q = 0; q < 8; q++) {
        assert_close(json_field(b, "popularity", keys[q]), json_field(a, "popularity", keys[q]), 0);
        assert_close(json_field(b, "itemknn", keys[q]), json_field(a, "itemknn", keys[q]), 0);
    }
    /* recommend --format eval on train.csv, scored as external lists */
    snprintf(args, sizeof args,
             "recommend --ratings %s --rating-col rating --items %s --model itemknn -k 3 --threads 1 --quiet "
             "--format eval --titles",
             tr, ids);
    assert_int_equal(run(args, c, NULL, sizeof c), 0);
    assert_true(strncmp(c, "user\titems\ttitles\n", 18) == 0);
    FILE *pf = fopen(pred, "wb");
    assert_non_null(pf);
    assert_int_equal(fwrite(c, 1, strlen(c), pf), strlen(c));
    assert_int_equal(fclose(pf), 0);
    snprintf(args, sizeof args, "eval --predictions %s --truth %s --header -k 3 --quiet --json -", pred, te);
    assert_int_equal(run(args, c, NULL, sizeof c), 0);
    for (size_t q = 0; q < 8; q++)
        assert_close(json_field(c, "external", keys[q]), json_field(a, "itemknn", keys[q]), 0);
    /* the independent script, when python3 is there */
    if (system("python3 -c 1 >/dev/null 2>&1") == 0) {
        char cmd[4096];
        snprintf(cmd, sizeof cmd, "python3 tests/tools/rec_split_metrics.py %s %s 3", pred, te);
        FILE *p = popen(cmd, "r");
        assert_non_null(p);
        char line[512] = "";
        assert_non_null(fgets(line, sizeof line, p));
        assert_int_equal(pclose(p), 0);
        double v[9];
        assert_int_equal(sscanf(line, "users %lf %lf %lf %*f %lf %lf %lf %lf %lf", &v[0], &v[1], &v[2], &v[3], &v[4],
                                &v[5], &v[6], &v[7]),
                         8);
        static const char *const k2[] = {"users", "precision", "recall", "ndcg", "ndcg_graded", "map", "mrr", "hit_rate"};
        for (size_t q = 0; q < 8; q++) assert_close(v[q], json_field(a, "itemknn", k2[q]), 5e-7);
    }
    const char *files[] = {tr, te, va, ids, pu, pred};
    for (size_t q = 0; q < 6; q++) remove(files[q]);
    remove(dir);
    remove(r);
    remove(it);
    free(r);
    free(it);
}

/* recommend --save, --load (byte-identical lists), --history fold-in (a training user's own
 * history gives back their lists), and damaged model files refused with a message. */
static void test_model_files(void **state)
{
    (void)state;
    char *r = tmp_copy("r.csv", RATINGS, strlen(RATINGS));
    char *it = tmp_copy("items.csv", ITEMS, strlen(ITEMS));
    /* user 1's history under a new id */
    static const char HIST[] = "user,item,rating\nn1,a,5\nn1,b,4\nn1,c,3\nn1,d,1\n";
    char *h = tmp_copy("hist.csv", HIST, strlen(HIST));
    char model[1024], args[8192];
    snprintf(model, sizeof model, "%s", xl_test_tmp_path("m.xlrec"));
    static char fit[16384], loaded[16384], folded[16384], err[4096];
    /* the last two: the popularity prior travels in the file (format version 2) and in fold-in */
    static const char *const kinds[] = {"popularity", "itemknn", "als", "bpr", "content", "hybrid",
                                        "itemknn --pop-prior 2", "als --pop-prior 2"};
    for (size_t q = 0; q < sizeof kinds / sizeof *kinds; q++) {
        snprintf(args, sizeof args,
                 "recommend --ratings %s --rating-col rating --items %s --item-text-cols title --text-vectors 64 "
                 "--model %s --factors 4 -k 3 --threads 1 --quiet --explain 2 --save %s",
                 r, it, kinds[q], model);
        assert_int_equal(run(args, fit, NULL, sizeof fit), 0);
        snprintf(args, sizeof args, "recommend --load %s -k 3 --threads 2 --quiet --explain 2", model);
        assert_int_equal(run(args, loaded, NULL, sizeof loaded), 0);
        assert_true(strlen(fit) > 0);
        assert_string_equal(fit, loaded);
        snprintf(args, sizeof args, "recommend --load %s --history %s -k 3 --threads 1 --quiet --explain 2", model, h);
        if (strcmp(kinds[q], "bpr") == 0) { /* no fold-in for BPR: refused, not guessed */
            assert_int_equal(run(args, folded, err, sizeof folded), 1);
            assert_non_null(strstr(err, "fold-in: not available for bpr"));
            continue;
        }
        assert_int_equal(run(args, folded, NULL, sizeof folded), 0);
        /* user 1's lines of the fitted model, "1\t" -> "n1\t" */
        char expect[4096] = "";
        for (const char *l = fit; *l;) {
            const char *e = strchr(l, '\n');
            size_t len = e ? (size_t)(e - l) + 1 : strlen(l);
            if (strncmp(l, "1\t", 2) == 0) {
                strcat(expect, "n");
                strncat(expect, l, len);
            }
            l += len;
        }
        assert_true(strlen(expect) > 0);
        assert_string_equal(folded, expect);
    }
    /* damaged files: a flipped byte, a cut, another format */
    FILE *f = fopen(model, "rb");
    assert_non_null(f);
    static unsigned char buf[1 << 16];
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    assert_true(n > 100 && n < sizeof buf);
    char bad[1024];
    snprintf(bad, sizeof bad, "%s", xl_test_tmp_path("bad.xlrec"));
    struct {
        size_t len;
        size_t flip;
        const char *msg;
    } cases[] = {{n, n - 5, "checksum mismatch"}, {n - 7, (size_t)-1, "payload bytes"}, {7, (size_t)-1, "not an xlrec"}};
    for (size_t q = 0; q < 3; q++) {
        if (cases[q].flip != (size_t)-1) buf[cases[q].flip] ^= 0x40;
        f = fopen(bad, "wb");
        assert_non_null(f);
        assert_int_equal(fwrite(buf, 1, cases[q].len, f), cases[q].len);
        fclose(f);
        if (cases[q].flip != (size_t)-1) buf[cases[q].flip] ^= 0x40;
        snprintf(args, sizeof args, "recommend --load %s -k 3", bad);
        assert_int_equal(run(args, loaded, err, sizeof loaded), 1);
        assert_non_null(strstr(err, cases[q].msg));
    }
    remove(bad);
    remove(model);
    remove(r);
    remove(it);
    remove(h);
    free(r);
    free(it);
    free(h);
}

static char *read_all(const char *path)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    static char buf[8192];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = 0;
    fclose(f);
    return buf;
}

/* Time-based splits written with --write-split: exact train/test membership.  Items a..d get
 * indices 0..3 in order of appearance; rows are written per user, items ascending. */
static void test_time_split_files(void **state)
{
    (void)state;
    static const char TR[] = "user,item,rating,time\n1,a,5,10\n1,b,4,30\n1,c,3,20\n2,a,4,15\n2,d,5,40\n3,b,2,25\n";
    char *r = tmp_copy("rt.csv", TR, strlen(TR));
    char dir[1024], path[1200], args[8192];
    snprintf(dir, sizeof dir, "%s", xl_test_tmp_path("tsplit"));
    static char out[16384], err[16384];
    struct {
        const char *opts;
        const char *train, *test;
    } cases[] = {
        /* leave-last-2 by time: user 1 keeps a (10), holds out c (20) and b (30); user 2 has two
         * rows and holds out one, d (40); user 3's single row stays */
        {"--protocol last --last-n 2", "user,item,rating,time\n1,a,5,10\n2,a,4,15\n3,b,2,25\n",
         "user,item,rating,time\n1,b,4,30\n1,c,3,20\n2,d,5,40\n"},
        /* global cut at 25: every row with time >= 25 */
        {"--protocol time --time-cut 25", "user,item,rating,time\n1,a,5,10\n1,c,3,20\n2,a,4,15\n",
         "user,item,rating,time\n1,b,4,30\n2,d,5,40\n3,b,2,25\n"},
        /* the latest half (3 of 6 rows): the same rows */
        {"--protocol time --test-ratio 0.5", "user,item,rating,time\n1,a,5,10\n1,c,3,20\n2,a,4,15\n",
         "user,item,rating,time\n1,b,4,30\n2,d,5,40\n3,b,2,25\n"},
    };
    for (size_t q = 0; q < 3; q++) {
        snprintf(args, sizeof args,
                 "eval --ratings %s --rating-col rating --time-col time %s --models popularity -k 2 --threads 1 "
                 "--quiet --json - --write-split %s",
                 r, cases[q].opts, dir);
        assert_int_equal(run(args, out, err, sizeof out), 0);
        assert_non_null(strstr(out, q == 0 ? "\"protocol\": \"last\", \"last_n\": 2" :
                                    q == 1 ? "\"protocol\": \"time\", \"time_cut\": 25" : "\"protocol\": \"time\","));
        snprintf(path, sizeof path, "%s/train.csv", dir);
        assert_string_equal(read_all(path), cases[q].train);
        snprintf(path, sizeof path, "%s/test.csv", dir);
        assert_string_equal(read_all(path), cases[q].test);
    }
    /* no timestamps: a clear usage error, not a split by row order */
    snprintf(args, sizeof args, "eval --ratings %s --rating-col rating --protocol time --models popularity", r);
    assert_int_equal(run(args, out, err, sizeof out), 2);
    assert_non_null(strstr(err, "no timestamps"));
    snprintf(args, sizeof args, "eval --ratings %s --rating-col rating --protocol last --models popularity", r);
    assert_int_equal(run(args, out, err, sizeof out), 2);
    assert_non_null(strstr(err, "--time-col"));
    /* options that belong to another protocol */
    snprintf(args, sizeof args, "eval --ratings %s --time-col time --time-cut 20 --models popularity", r);
    assert_int_equal(run(args, out, err, sizeof out), 2);
    snprintf(args, sizeof args, "eval --ratings %s --time-col time --protocol time --time-cut 2x --models popularity", r);
    assert_int_equal(run(args, out, err, sizeof out), 2);
    const char *files[] = {"train.csv", "test.csv", "validation.csv", "items.csv"};
    for (size_t q = 0; q < 4; q++) {
        snprintf(path, sizeof path, "%s/%s", dir, files[q]);
        remove(path);
    }
    remove(dir);
    remove(r);
    free(r);
}

/* recommend --similar-items: exact item-kNN neighbours of f on RATINGS with shrink 0
 * (U_f = {2,4,5}; common users with c: 3 -> 3/(2 sqrt3) = 0.866025, e: 2 -> 2/(2 sqrt3) = 0.57735,
 * a: 2 -> 2/(sqrt5 sqrt3) = 0.516398, then b and d at 1/(2 sqrt3)), and the same lists from the
 * saved model for itemknn, als and content. */
static void test_similar_items_cli(void **state)
{
    (void)state;
    char *r = tmp_copy("r.csv", RATINGS, strlen(RATINGS));
    char *it = tmp_copy("items.csv", ITEMS, strlen(ITEMS));
    char model[1024], args[8192];
    snprintf(model, sizeof model, "%s", xl_test_tmp_path("sim.xlrec"));
    static char fit[16384], loaded[16384], err[4096];
    snprintf(args, sizeof args,
             "recommend --ratings %s --rating-col rating --model itemknn --shrink 0 --similar-items f -k 3 --quiet", r);
    assert_int_equal(run(args, fit, NULL, sizeof fit), 0);
    assert_string_equal(fit, "f\t1\tc\t0.866025\nf\t2\te\t0.57735\nf\t3\ta\t0.516398\n");
    static const char *const kinds[] = {"itemknn", "als", "content", "hybrid"};
    for (size_t q = 0; q < 4; q++) {
        snprintf(args, sizeof args,
                 "recommend --ratings %s --rating-col rating --items %s --item-text-cols title --text-vectors 64 "
                 "--model %s --factors 4 -k 4 --threads 1 --quiet --similar-items f,a --save %s",
                 r, it, kinds[q], model);
        assert_int_equal(run(args, fit, NULL, sizeof fit), 0);
        assert_int_equal(count_lines_text(fit), 8);
        assert_true(strncmp(fit, "f\t1\t", 4) == 0);
        snprintf(args, sizeof args, "recommend --load %s -k 4 --threads 2 --quiet --similar-items f,a", model);
        assert_int_equal(run(args, loaded, NULL, sizeof loaded), 0);
        assert_string_equal(fit, loaded);
    }
    /* an unknown item, a model without item representation, a conflicting option */
    snprintf(args, sizeof args, "recommend --load %s --similar-items zz --quiet", model);
    assert_int_equal(run(args, fit, err, sizeof fit), 1);
    assert_non_null(strstr(err, "no item 'zz'"));
    snprintf(args, sizeof args, "recommend --ratings %s --model popularity --similar-items a --quiet", r);
    assert_int_equal(run(args, fit, err, sizeof fit), 1);
    assert_non_null(strstr(err, "no item representation"));
    snprintf(args, sizeof args, "recommend --load %s --similar-items a --users 1", model);
    assert_int_equal(run(args, fit, err, sizeof fit), 2);
    remove(model);
    remove(r);
    remove(it);
    free(r);
    free(it);
}

/* ALS's --tune grid (issue 17, sixth round: factors up to 128, als-reg up to 300, the missing-data
 * exponent): every reported value is a grid point, the whole five-value report fits the row (it ends
 * with the validation NDCG), and the coordinate search, which starts from the defaults, never ends
 * below the defaults' own validation NDCG (the first progress line's "best so far"). */
static void test_tune_als_grid(void **state)
{
    (void)state;
    char *r = tmp_copy("r.csv", RATINGS, strlen(RATINGS));
    static char out[16384], err[16384];
    char args[4096];
    snprintf(args, sizeof args,
             "eval --ratings %s --rating-col rating --models als --als-iters 2 --test-ratio 0.25 --val-ratio 0.5 "
             "-k 2 --threads 1 --tune --json -",
             r);
    assert_int_equal(run(args, out, err, sizeof out), 0);
    const char *t = strstr(out, "\"tuned\": \"factors=");
    assert_non_null(t);
    int factors = 0;
    double reg = -1, alpha = -1, prior = -1, neg = -1, chosen = -1;
    assert_int_equal(sscanf(t, "\"tuned\": \"factors=%d als-reg=%lf als-alpha=%lf pop-prior=%lf als-neg-exp=%lf "
                            "(validation NDCG %lf)",
                            &factors, &reg, &alpha, &prior, &neg, &chosen),
                     6);
    assert_true(factors == 16 || factors == 32 || factors == 64 || factors == 128);
    assert_true(reg == 1 || reg == 10 || reg == 100 || reg == 300);
    assert_true(alpha == 1 || alpha == 10 || alpha == 40);
    assert_true(prior == 0 || prior == 0.3 || prior == 1 || prior == 3 || prior == 10);
    assert_true(neg == 0 || neg == 0.25 || neg == 0.5);
    assert_non_null(strstr(err, "tune als: factors=128: validation NDCG"));
    assert_non_null(strstr(err, "tune als: als-neg-exp=0.25: validation NDCG"));
    const char *first = strstr(err, "(best so far ");
    assert_non_null(first);
    double start = strtod(first + strlen("(best so far "), NULL);
    assert_true(chosen >= start); /* both printed with 4 decimals; rounding keeps the order */
    remove(r);
    free(r);
}

/* --tune reports values from the documented grid; the hybrid's chosen blend is never worse on
 * validation than either of its parts alone (both are points of its search). */
static void test_tune_and_hybrid(void **state)
{
    (void)state;
    char *r = tmp_copy("r.csv", RATINGS, strlen(RATINGS));
    char *it = tmp_copy("items.csv", ITEMS, strlen(ITEMS));
    static char out[16384], err[16384];
    char args[4096];
    snprintf(args, sizeof args,
             "eval --ratings %s --rating-col rating --items %s --item-text-cols title --text-vectors 64 "
             "--models itemknn,hybrid --hybrid-cf itemknn --test-ratio 0.25 --val-ratio 0.5 -k 2 --threads 1 "
             "--tune --json -",
             r, it);
    assert_int_equal(run(args, out, err, sizeof out), 0);
    const char *t = strstr(out, "\"tuned\": \"neighbors=");
    assert_non_null(t);
    int nb = 0;
    double shrink = -1, prior = -1;
    assert_int_equal(sscanf(t, "\"tuned\": \"neighbors=%d shrink=%lf pop-prior=%lf", &nb, &shrink, &prior), 3);
    assert_true(nb == 20 || nb == 50 || nb == 100 || nb == 200 || nb == 400);
    assert_true(shrink == 0 || shrink == 10 || shrink == 50 || shrink == 100);
    /* the popularity prior is searched too, from the model's own (1): a grid value, never -1 */
    assert_true(prior == 0 || prior == 0.3 || prior == 1 || prior == 3 || prior == 10);
    assert_non_null(strstr(err, "tune itemknn: neighbors=20: validation NDCG"));
    double best = json_field(out, "hybrid", "validation_ndcg"), cf = json_field(out, "hybrid", "validation_ndcg_cf"),
           content = json_field(out, "hybrid", "validation_ndcg_content");
    assert_true(best >= cf && best >= content);
    assert_non_null(strstr(err, "hybrid alpha"));
    remove(r);
    remove(it);
    free(r);
    free(it);
}

/* Overwrite every "fit_seconds" value of a JSON report with '#' (wall-clock timings differ between
 * runs; everything else must repeat bit for bit). */
static void mask_timings(char *json)
{
    const char *key = "\"fit_seconds\": ";
    for (char *p = strstr(json, key); p; p = strstr(p, key)) {
        p += strlen(key);
        while (*p && *p != ',' && *p != '}') *p++ = '#';
    }
}

/* --center-vectors / --whiten-vectors: usage errors (exit 2) for the combinations that make no
 * sense, and a whitened evaluation runs; whitening to fewer dimensions than the data changes the
 * content model's lists (a different geometry), and repeats bit for bit. */
static void test_vector_postprocessing(void **state)
{
    (void)state;
    char *r = tmp_copy("r.csv", RATINGS, strlen(RATINGS));
    char *it = tmp_copy("items.csv", ITEMS, strlen(ITEMS));
    static char out[16384], err[16384], out2[16384];
    char args[4096];
    const char *base = "eval --ratings %s --rating-col rating --items %s --item-text-cols title --text-vectors 16 "
                       "--models content -k 2 --threads 1 %s";
    snprintf(args, sizeof args, base, r, it, "--center-vectors --whiten-vectors");
    assert_int_equal(run(args, out, err, sizeof out), 2);
    assert_non_null(strstr(err, "exclude each other"));
    snprintf(args, sizeof args, base, r, it, "--whiten-dims 3");
    assert_int_equal(run(args, out, err, sizeof out), 2);
    assert_non_null(strstr(err, "--whiten-dims needs --whiten-vectors"));
    snprintf(args, sizeof args, "eval --ratings %s --rating-col rating --models popularity --center-vectors", r);
    assert_int_equal(run(args, out, err, sizeof out), 2);
    assert_non_null(strstr(err, "--center-vectors needs --vectors or --text-vectors"));
    snprintf(args, sizeof args, base, r, it, "--whiten-vectors --whiten-dims 3 --json -");
    assert_int_equal(run(args, out, err, sizeof out), 0);
    assert_non_null(strstr(out, "\"content\""));
    assert_int_equal(run(args, out2, NULL, sizeof out2), 0);
    mask_timings(out);
    mask_timings(out2);
    assert_non_null(strstr(out, "\"fit_seconds\": #"));
    assert_string_equal(out, out2);
    snprintf(args, sizeof args, base, r, it, "--center-vectors --json -");
    assert_int_equal(run(args, out, err, sizeof out), 0);
    remove(r);
    remove(it);
    free(r);
    free(it);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dcolon_separator),
        cmocka_unit_test(test_encoding),
        cmocka_unit_test(test_external_json_has_no_split),
        cmocka_unit_test(test_eval_rows),
        cmocka_unit_test(test_explain_skips_unembedded),
        cmocka_unit_test(test_split_roundtrip),
        cmocka_unit_test(test_model_files),
        cmocka_unit_test(test_tune_and_hybrid),
        cmocka_unit_test(test_tune_als_grid),
        cmocka_unit_test(test_vector_postprocessing),
        cmocka_unit_test(test_time_split_files),
        cmocka_unit_test(test_similar_items_cli),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
