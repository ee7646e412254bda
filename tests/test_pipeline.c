/* test_pipeline.c - the `xlrec run` pipeline (src/pipeline/pipeline.h) on a
 * tiny catalogue with a hand-made word-vector file, a dictionary and the
 * tiny DistilBERT fixture; bad input; the SVG chart and its checker
 * (src/eval/xl_eval_svg.h). */
#include "xl_test.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline.h"
#include "xl_convert.h"
#include "xl_eval_svg.h"
#include "xl_platform.h"

/* Two themes on two axes, words in English and German; "xx" is a language
 * the vectors do not know (one word has a dictionary entry, one has not). */
static const char *VECTORS = "9 3\n"
                             "cat 1 0 0\n"
                             "dog 1 0 0\n"
                             "katze 1 0 0\n"
                             "hund 1 0 0\n"
                             "car 0 1 0\n"
                             "road 0 1 0\n"
                             "auto 0 1 0\n"
                             "strasse 0 1 0\n"
                             "other 0 0 1\n";

static const char *ITEMS = "item\tlang\ttitle\n"
                           "i1\ten\tCat &amp; Dog\n"   /* idx 0, theme A */
                           "i2\ten\tCar, road!\n"      /* idx 1, theme B */
                           "i3\tde\tKatze und Hund\n"  /* idx 2, A ("und" unknown: 2 of 3 known) */
                           "i4\tde\tAuto Strasse\n"    /* idx 3, B */
                           "i5\txx\tzorp\n"            /* idx 4, A through the dictionary */
                           "i6\txx\tblib\n"            /* idx 5, no entry: nothing known */
                           "i7\ten\t\n";               /* idx 6, no text */

static const char *INTERACTIONS = "user\titem\trating\n"
                                  "u1\ti1\t5\n"
                                  "u2\ti4\t5\n"
                                  "u2\ti99\t4\n"  /* unknown item: dropped and counted */
                                  "u4\ti6\t5\n";  /* history never embedded: no content profile */

static const char *HELDOUT = "user\titem\trating\n"
                             "u1\ti3\t5\n"
                             "u1\ti4\t5\n"
                             "u2\ti2\t5\n"
                             "u3\ti1\t5\n"  /* unknown user */
                             "u1\ti1\t5\n"  /* already in the history */
                             "u2\ti2\t5\n"; /* duplicate */

static const char *DICT = "zorp\tcat\nflum\tcar\n";

typedef struct {
    char items[512], inter[512], held[512], vec[512], dict[512];
} files;

static void write_files(files *f)
{
    snprintf(f->items, sizeof f->items, "%s", xl_test_write_tmp("pl_items.tsv", ITEMS, strlen(ITEMS)));
    snprintf(f->inter, sizeof f->inter, "%s", xl_test_write_tmp("pl_inter.tsv", INTERACTIONS, strlen(INTERACTIONS)));
    snprintf(f->held, sizeof f->held, "%s", xl_test_write_tmp("pl_held.tsv", HELDOUT, strlen(HELDOUT)));
    snprintf(f->vec, sizeof f->vec, "%s", xl_test_write_tmp("pl_vec.txt", VECTORS, strlen(VECTORS)));
    snprintf(f->dict, sizeof f->dict, "%s", xl_test_write_tmp("pl_dict.tsv", DICT, strlen(DICT)));
}

static void options(xl_pipeline_options *o, const files *f, bool with_dict)
{
    xl_pipeline_options_default(o);
    o->items_path = f->items;
    o->interactions_path = f->inter;
    o->heldout_path = f->held;
    o->word_vectors_path = f->vec;
    o->sif = false; /* mean pooling: every vector below can be computed by hand */
    o->dict_path = with_dict ? f->dict : NULL;
    o->k = 2;
    o->kinds[0] = XL_REC_CONTENT;
    o->kinds[1] = XL_REC_COSBIAS;
    o->kinds[2] = XL_REC_ITEMKNN;
    o->kinds[3] = XL_REC_HYBRID;
    o->n_kinds = 4;
}

static const xl_lang_stats *lang(const xl_pipeline *p, const char *tag)
{
    for (size_t i = 0; i < p->n_langs; i++)
        if (strcmp(p->langs[i].lang, tag) == 0) return &p->langs[i];
    fail_msg("no language %s", tag);
    return NULL;
}

static const xl_eval_row *row(const xl_pipeline *p, const char *model, const char *subset)
{
    for (size_t i = 0; i < p->eval->n_rows; i++)
        if (strcmp(p->eval->rows[i].model, model) == 0 && strcmp(p->eval->rows[i].subset, subset) == 0)
            return &p->eval->rows[i];
    fail_msg("no evaluation row %s/%s", model, subset);
    return NULL;
}

static size_t progress_calls;
static void count_progress(void *ctx, const char *stage, size_t done, size_t total)
{
    (void)ctx, (void)stage;
    assert_true(done <= total);
    progress_calls++;
}

static void test_routing_and_skips(void **state)
{
    (void)state;
    files f;
    write_files(&f);
    xl_pipeline_options o;
    options(&o, &f, false);
    xl_pipeline p;
    xl_error err;
    assert_int_equal(xl_pipeline_run(&p, &o, &err), 0);
    assert_int_equal(p.data.n_items, 7);
    assert_int_equal(p.data.n_users, 3);
    assert_int_equal(p.users_without_content, 1);
    assert_int_equal(p.data.report.unknown_item, 1);
    assert_int_equal(p.n_langs, 3);
    const xl_lang_stats *en = lang(&p, "en"), *de = lang(&p, "de"), *xx = lang(&p, "xx");
    assert_int_equal(en->items, 3);
    assert_int_equal(en->tokens, 4); /* entities decoded, punctuation removed: cat dog car road */
    assert_int_equal(en->known_tokens, 4);
    assert_true(en->covered);
    assert_int_equal(en->direct, 2);
    assert_int_equal(en->skipped[XL_SKIP_NO_TEXT], 1);
    assert_int_equal(de->tokens, 5);
    assert_int_equal(de->known_tokens, 4); /* "und" */
    assert_true(de->covered);
    assert_int_equal(de->direct, 2);
    assert_false(xx->covered);
    assert_int_equal(xx->skipped[XL_SKIP_NOT_COVERED], 2);
    assert_int_equal(p.route[4], XL_ROUTE_SKIPPED);
    assert_int_equal(p.skip[6], XL_SKIP_NO_TEXT);
    assert_int_equal(en->users, 1);
    assert_int_equal(de->users, 1);
    assert_int_equal(xx->users, 1);
    uint32_t u4 = (uint32_t)xl_idmap_find(&p.data.users, "u4", 2);
    assert_int_equal(p.models[0].lists[u4 * 2], XL_REC_NONE); /* content: nothing to say */
    assert_int_equal(p.models[1].lists[u4 * 2], XL_REC_NONE); /* formula: the same */
    assert_int_not_equal(p.models[2].lists[u4 * 2], XL_REC_NONE); /* item-kNN still lists (ties) */
    /* the summary names every skip reason */
    xl_buf b;
    xl_buf_init(&b);
    assert_int_equal(xl_pipeline_summary(&p, &b, &err), 0);
    assert_non_null(strstr(b.data, "no text: 1 item(s): i7(en)"));
    assert_non_null(strstr(b.data, "language not covered by the embedder and no --dict: 2 item(s): i5(xx) i6(xx)"));
    assert_non_null(strstr(b.data, "1 unknown user, 0 unknown item, 1 already in the history, 1 duplicate"));
    assert_non_null(strstr(b.data, "users: 1 of 3 have no embedded history item"));
    /* issue 17: the written lists come from the best model on a validation split of the training
     * data (ties: the earlier model), and the summary says so with every model's value */
    size_t best = 0;
    for (size_t m = 0; m < p.n_models; m++) {
        assert_true(p.models[m].val_ndcg >= -1 && p.models[m].val_ndcg <= 1); /* -1: no validation user */
        if (p.models[m].val_ndcg > p.models[best].val_ndcg) best = m;
    }
    assert_int_equal(p.chosen, best);
    char want[160];
    if (p.models[best].val_ndcg >= 0)
        snprintf(want, sizeof want, "recommendations from %s, k = 2 (best NDCG@2 on a validation split",
                 p.models[best].label);
    else
        snprintf(want, sizeof want, "recommendations from %s, k = 2 (no user has enough training data",
                 p.models[best].label);
    assert_non_null(strstr(b.data, want));
    xl_buf_free(&b);
    xl_pipeline_free(&p);
}

static void test_dictionary_route_and_metrics(void **state)
{
    (void)state;
    files f;
    write_files(&f);
    xl_pipeline_options o;
    options(&o, &f, true);
    progress_calls = 0;
    o.progress = count_progress;
    xl_pipeline p;
    xl_error err;
    assert_int_equal(xl_pipeline_run(&p, &o, &err), 0);
    assert_true(progress_calls > 0);
    const xl_lang_stats *xx = lang(&p, "xx");
    assert_int_equal(xx->translated, 1);
    assert_int_equal(xx->skipped[XL_SKIP_NO_KNOWN_TOKEN], 1);
    assert_int_equal(p.route[4], XL_ROUTE_TRANSLATED);
    assert_string_equal(p.embed_text[4], "cat");
    assert_int_equal(p.route[5], XL_ROUTE_SKIPPED);
    assert_int_equal(p.skip[5], XL_SKIP_NO_KNOWN_TOKEN);
    /* mean of unit axes, L2-normalised: item 2 ("katze und hund") is e1 */
    const float *v2 = p.vectors.v + 2 * p.vectors.dim;
    float e1[3] = {1, 0, 0};
    assert_allclose(v2, e1, 3, 1e-6, 0);
    /* content lists: u1 (history i1 = e1) gets i3 then i5 (both cos 1, lower index first);
     * u2 (history i4 = e2) gets i2 (cos 1) then i1 (cos 0, lowest index among the ties) */
    size_t k = 2;
    const xl_pipeline_model *content = &p.models[0];
    assert_string_equal(content->label, "content");
    uint32_t u1 = (uint32_t)xl_idmap_find(&p.data.users, "u1", 2), u2 = (uint32_t)xl_idmap_find(&p.data.users, "u2", 2);
    assert_int_equal(content->lists[u1 * k + 0], 2);
    assert_int_equal(content->lists[u1 * k + 1], 4);
    assert_close(content->scores[u1 * k + 0], 1.0, 1e-6);
    assert_int_equal(content->lists[u2 * k + 0], 1);
    assert_int_equal(content->lists[u2 * k + 1], 0);
    /* no model ever lists a history item; content models never list skipped items */
    for (size_t m = 0; m < p.n_models; m++)
        for (uint32_t u = 0; u < p.data.n_users; u++)
            for (size_t t = 0; t < k; t++) {
                uint32_t it = p.models[m].lists[u * k + t];
                if (it == XL_REC_NONE) continue;
                assert_false(xl_csr_has(&p.train, u, it));
                if (m <= 1) assert_int_not_equal(p.route[it], XL_ROUTE_SKIPPED);
            }
    /* evaluation by hand (k = 2): u1 relevant {i3, i4}, list [i3, i5]: P 1/2, R 1/2,
     * NDCG 1 / (1 + 1/log2 3), AP (1/2)(1) = 1/2, RR 1; u2 relevant {i2}, list [i2, i1]:
     * P 1/2, R 1, NDCG 1, AP 1, RR 1. */
    assert_true(p.evaluated);
    assert_int_equal(p.heldout.n, 3);
    const xl_eval_row *all = row(&p, "content", "all");
    double ndcg_u1 = 1.0 / (1.0 + 1.0 / log2(3.0));
    assert_int_equal(all->n_users, 2);
    assert_close(all->rank.precision, 0.5, 1e-9);
    assert_close(all->rank.recall, 0.75, 1e-9);
    assert_close(all->rank.ndcg, (ndcg_u1 + 1.0) / 2, 1e-9);
    assert_close(all->rank.map, 0.75, 1e-9);
    assert_close(all->rank.mrr, 1.0, 1e-9);
    assert_close(all->rank.hit, 1.0, 1e-9);
    const xl_eval_row *en_de = row(&p, "content", "en->de"), *de_en = row(&p, "content", "de->en");
    assert_int_equal(en_de->n_users, 1);
    assert_close(en_de->rank.ndcg, ndcg_u1, 1e-9);
    assert_close(en_de->rank.recall, 0.5, 1e-9);
    assert_close(de_en->rank.ndcg, 1.0, 1e-9);
    /* recommendations TSV: header + 2 users x 2 rows, explanations name the history item */
    xl_buf b;
    xl_buf_init(&b);
    assert_int_equal(xl_pipeline_write_recommendations(&p, &b, &err), 0);
    assert_non_null(strstr(b.data, "u1\ten\tcontent\t1\ti3\tde\tdirect\t1.000000\ti1:1.0000\tKatze und Hund\n"));
    assert_non_null(strstr(b.data, "u1\ten\tcontent\t2\ti5\txx\ttranslated\t1.000000\ti1:1.0000\tzorp\n"));
    size_t lines = 0;
    for (const char *q = b.data; *q; q++) lines += *q == '\n';
    assert_int_equal(lines, 5);
    /* the JSON report and the chart */
    xl_buf_clear(&b);
    assert_int_equal(xl_pipeline_eval_json(&p, &b, &err), 0);
    assert_non_null(strstr(b.data, "\"subset\": \"en->de\", \"user_lang\": \"en\", \"item_lang\": \"de\""));
    xl_buf_clear(&b);
    assert_int_equal(xl_pipeline_eval_svg(&p, &b, &err), 0);
    size_t bars = 0;
    assert_int_equal(xl_svg_check(b.data, b.len, &bars, &err), 0);
    /* 4 models over all users + the 2 pairs of the first model, 6 metrics each */
    assert_int_equal(bars, (4 + 2) * XL_EVAL_SVG_METRICS);
    xl_buf_free(&b);
    /* writing the output folder */
    char dir[600];
    snprintf(dir, sizeof dir, "%s", xl_test_tmp_path("pl_out"));
    assert_int_equal(xl_make_dir(dir, &err), 0);
    assert_int_equal(xl_pipeline_write_dir(&p, dir, &err), 0);
    char path[700];
    snprintf(path, sizeof path, "%s/evaluation.svg", dir);
    FILE *fp = fopen(path, "rb");
    assert_non_null(fp);
    fclose(fp);
    static const char *const names[] = {"recommendations.tsv", "summary.txt", "evaluation.json", "evaluation.txt",
                                        "evaluation.svg"};
    for (int i = 0; i < 5; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        remove(path);
    }
    remove(dir);
    xl_pipeline_free(&p);
}

static void test_bad_input(void **state)
{
    (void)state;
    files f;
    write_files(&f);
    xl_pipeline_options o;
    xl_pipeline p;
    xl_error err;
    /* an items file with a header and no items */
    options(&o, &f, false);
    const char *hdr = "item\tlang\ttitle\n";
    char empty_items[512];
    snprintf(empty_items, sizeof empty_items, "%s", xl_test_write_tmp("pl_empty_items.tsv", hdr, strlen(hdr)));
    o.items_path = empty_items;
    assert_int_equal(xl_pipeline_run(&p, &o, &err), -1);
    assert_non_null(strstr(err.msg, "no items"));
    xl_pipeline_free(&p);
    /* a zero-byte items file */
    char zero[512];
    snprintf(zero, sizeof zero, "%s", xl_test_write_tmp("pl_zero.tsv", "", 0));
    o.items_path = zero;
    assert_int_equal(xl_pipeline_run(&p, &o, &err), -1);
    assert_non_null(strstr(err.msg, "empty file"));
    xl_pipeline_free(&p);
    /* interactions whose items are all unknown */
    options(&o, &f, false);
    const char *unk = "user\titem\nu1\tnope\nu2\tnada\n";
    char unk_path[512];
    snprintf(unk_path, sizeof unk_path, "%s", xl_test_write_tmp("pl_unknown.tsv", unk, strlen(unk)));
    o.interactions_path = unk_path;
    assert_int_equal(xl_pipeline_run(&p, &o, &err), -1);
    assert_non_null(strstr(err.msg, "no usable interactions"));
    assert_non_null(strstr(err.msg, "2 with an item absent"));
    xl_pipeline_free(&p);
    /* every item without text: runs, everything skipped and reported */
    const char *blank = "item\tlang\ttitle\ni1\ten\t\ni4\tde\t  \n";
    char blank_path[512];
    snprintf(blank_path, sizeof blank_path, "%s", xl_test_write_tmp("pl_blank.tsv", blank, strlen(blank)));
    options(&o, &f, false);
    o.items_path = blank_path;
    o.heldout_path = NULL;
    assert_int_equal(xl_pipeline_run(&p, &o, &err), 0);
    assert_int_equal(p.route[0], XL_ROUTE_SKIPPED);
    assert_int_equal(p.skip[0], XL_SKIP_NO_TEXT);
    assert_int_equal(p.skip[1], XL_SKIP_NO_TEXT);
    assert_false(p.evaluated);
    assert_int_equal(p.models[0].lists[0], XL_REC_NONE); /* nothing a content model may show */
    xl_pipeline_free(&p);
    /* usage errors */
    options(&o, &f, false);
    o.model_path = "x.xlm";
    assert_int_equal(xl_pipeline_run(&p, &o, &err), -1);
    assert_non_null(strstr(err.msg, "not both"));
    xl_pipeline_free(&p);
    options(&o, &f, false);
    o.word_vectors_path = "/nonexistent/vectors.txt";
    assert_int_equal(xl_pipeline_run(&p, &o, &err), -1);
    assert_non_null(strstr(err.msg, "/nonexistent/vectors.txt"));
    xl_pipeline_free(&p);
}

static void test_language_detection(void **state)
{
    (void)state;
    assert_string_equal(xl_pipeline_guess_lang_by_script("电子表格", strlen("电子表格")), "zh");
    assert_string_equal(xl_pipeline_guess_lang_by_script("表計算の数式", strlen("表計算の数式")), "ja");
    assert_string_equal(xl_pipeline_guess_lang_by_script("Права человека", strlen("Права человека")), "ru");
    assert_string_equal(xl_pipeline_guess_lang_by_script("حقوق الإنسان", strlen("حقوق الإنسان")), "ar");
    assert_string_equal(xl_pipeline_guess_lang_by_script("인권", strlen("인권")), "ko");
    assert_string_equal(xl_pipeline_guess_lang_by_script("Human rights", 12), "und");
    assert_string_equal(xl_pipeline_guess_lang_by_script("", 0), "und");
    /* without a language column every item is detected (no identifier model given: by script) */
    files f;
    write_files(&f);
    xl_pipeline_options o;
    options(&o, &f, false);
    o.detect_all = true;
    xl_pipeline p;
    xl_error err;
    assert_int_equal(xl_pipeline_run(&p, &o, &err), 0);
    assert_int_equal(p.lang_from_script, 7);
    assert_string_equal(p.lang[0], "und"); /* Latin script alone does not tell the language */
    xl_pipeline_free(&p);
}

/* The BERT route: the tiny DistilBERT fixture converted on the fly; its
 * vocabulary has no 'z' or 'q', so the "zz" items are [UNK] only. */
static void test_bert_model(void **state)
{
    (void)state;
    const char *fixture = "tests/fixtures/distilbert_tiny";
    char model[512];
    snprintf(model, sizeof model, "%s", xl_test_tmp_path("pl_tiny.xlm"));
    xl_error err;
    if (xl_convert_hf(fixture, model, NULL, NULL, &err) < 0) fail_msg("convert: %s", err.msg);
    const char *items = "item\tlang\ttitle\n"
                        "a\ten\thello world\n"
                        "b\tde\thallo welt\n"
                        "c\tfr\tbonjour le monde\n"
                        "d\ten\tthe movie book\n"
                        "e\tzz\tzzzz qqq\n";
    const char *inter = "user\titem\nu1\ta\nu2\td\n";
    files f;
    write_files(&f);
    snprintf(f.items, sizeof f.items, "%s", xl_test_write_tmp("pl_bitems.tsv", items, strlen(items)));
    snprintf(f.inter, sizeof f.inter, "%s", xl_test_write_tmp("pl_binter.tsv", inter, strlen(inter)));
    xl_pipeline_options o;
    options(&o, &f, false);
    o.word_vectors_path = NULL;
    o.model_path = model;
    o.heldout_path = NULL;
    xl_pipeline p;
    assert_int_equal(xl_pipeline_run(&p, &o, &err), 0);
    assert_true(p.vectors.dim > 0);
    assert_true(lang(&p, "en")->covered);
    assert_false(lang(&p, "zz")->covered);
    assert_int_equal(p.skip[4], XL_SKIP_NOT_COVERED);
    /* embedded rows are unit vectors, the skipped one is zero */
    for (uint32_t i = 0; i < 5; i++) {
        double n2 = 0;
        for (size_t j = 0; j < p.vectors.dim; j++) n2 += (double)p.vectors.v[i * p.vectors.dim + j] * p.vectors.v[i * p.vectors.dim + j];
        assert_close(n2, i == 4 ? 0.0 : 1.0, 1e-5);
    }
    xl_pipeline_free(&p);
    remove(model);
}

/* ------------------------------------------------------------------ SVG */

static void test_svg_chart_and_checker(void **state)
{
    (void)state;
    xl_eval_result *r = calloc(1, sizeof *r);
    assert_non_null(r);
    r->config.k = 10;
    r->n_rows = 3;
    snprintf(r->rows[0].model, sizeof r->rows[0].model, "content <&>");
    snprintf(r->rows[0].subset, sizeof r->rows[0].subset, "all");
    r->rows[0].has_rank = true;
    r->rows[0].rank.precision = 0.5;
    r->rows[0].rank.ndcg = 0.25;
    r->rows[0].rank.hit = NAN; /* drawn as 0, labelled n/a */
    snprintf(r->rows[1].model, sizeof r->rows[1].model, "content");
    snprintf(r->rows[1].subset, sizeof r->rows[1].subset, "en->de");
    r->rows[1].has_rank = true;
    r->rows[1].rank.recall = 1.0;
    snprintf(r->rows[2].model, sizeof r->rows[2].model, "mf");
    snprintf(r->rows[2].subset, sizeof r->rows[2].subset, "all");
    r->rows[2].has_rating = true;
    r->rows[2].rmse = 0.9;
    xl_buf b;
    xl_buf_init(&b);
    xl_error err;
    assert_int_equal(xl_eval_svg(r, "test \"chart\"", &b, &err), 0);
    size_t bars = 0;
    if (xl_svg_check(b.data, b.len, &bars, &err) < 0) fail_msg("%s", err.msg);
    assert_int_equal(bars, 2 * XL_EVAL_SVG_METRICS);
    assert_non_null(strstr(b.data, "data-metric=\"P@10\" data-value=\"0.500000\""));
    assert_non_null(strstr(b.data, "width=\"240.00\"")); /* 0.5 of the 480-pixel axis */
    assert_non_null(strstr(b.data, "content &lt;&amp;&gt;"));
    assert_non_null(strstr(b.data, "en \xe2\x86\x92 de"));
    assert_non_null(strstr(b.data, "rating metrics only, RMSE 0.9000"));
    assert_null(strstr(b.data, "nan"));
    xl_buf_free(&b);
    free(r);
    /* the checker refuses what is not well-formed */
    static const struct {
        const char *svg, *why;
    } bad[] = {
        {"<svg><g></svg>", "does not close"},
        {"<svg><rect x=\"nan\"/></svg>", "finite"},
        {"<svg><rect width=\"-1\"/></svg>", "negative"},
        {"<svg><text>a & b</text></svg>", "entity"},
        {"<svg><text>&bogus;</text></svg>", "unknown entity"},
        {"<svg><rect x=1/></svg>", "quoted"},
        {"<svg viewBox=\"0 0 10\"></svg>", "4 numbers"},
        {"<svg></svg><svg></svg>", "second root"},
        {"<html></html>", "not <svg>"},
        {"<svg><g>", "never closed"},
        {"", "no element"},
        {"<svg><!-- x </svg>", "comment"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        xl_error e;
        if (xl_svg_check(bad[i].svg, strlen(bad[i].svg), NULL, &e) == 0) fail_msg("accepted: %s", bad[i].svg);
        if (!strstr(e.msg, bad[i].why)) fail_msg("%s: message '%s' lacks '%s'", bad[i].svg, e.msg, bad[i].why);
    }
    const char *good = "<?xml version=\"1.0\"?>\n<svg viewBox=\"0 0 1 1\"><!-- c --><rect class=\"bar\" x=\"1e-3\" "
                       "width=\"0\"/><text>&#x41;&amp;&#66;</text></svg>\n";
    assert_int_equal(xl_svg_check(good, strlen(good), &bars, &err), 0);
    assert_int_equal(bars, 1);
}

/* docs/formulas.md cites functions by file and line; the script checks every citation. */
/* Issue 17: `xlrec run` chooses the hybrid's CF weight on the validation split of the training
 * data (no held-out file needed), the blend is never worse there than either part alone, the
 * model choice sees the same number, and a given --hybrid-alpha is kept. */
static void test_hybrid_weight_on_validation(void **state)
{
    (void)state;
    files f;
    write_files(&f);
    static const char *MANY = "user\titem\trating\n"
                              "u1\ti1\t5\nu1\ti3\t4\nu1\ti5\t5\nu1\ti2\t2\n"
                              "u2\ti2\t5\nu2\ti4\t5\nu2\ti1\t1\n"
                              "u3\ti1\t4\nu3\ti3\t5\nu3\ti7\t3\n"
                              "u4\ti2\t4\nu4\ti4\t4\nu4\ti6\t2\nu4\ti7\t5\n"
                              "u5\ti3\t5\nu5\ti5\t4\nu5\ti1\t5\n"
                              "u6\ti4\t5\nu6\ti2\t3\nu6\ti6\t4\n";
    char inter[512];
    snprintf(inter, sizeof inter, "%s", xl_test_write_tmp("pl_many.tsv", MANY, strlen(MANY)));
    xl_pipeline_options o;
    options(&o, &f, false);
    o.interactions_path = inter;
    o.heldout_path = NULL;
    o.kinds[0] = XL_REC_HYBRID;
    o.kinds[1] = XL_REC_ITEMKNN;
    o.kinds[2] = XL_REC_CONTENT;
    o.n_kinds = 3;
    o.cf_kind = XL_REC_ITEMKNN;
    xl_pipeline p;
    xl_error err;
    assert_int_equal(xl_pipeline_run(&p, &o, &err), 0);
    const double *v = p.hybrid_val_ndcg;
    assert_true(v[0] >= 0 && v[1] >= 0 && v[2] >= 0);
    assert_true(v[0] >= v[1] - 1e-12 && v[0] >= v[2] - 1e-12);
    double steps = p.hybrid_alpha * 10;
    assert_true(p.hybrid_alpha >= 0 && p.hybrid_alpha <= 1 && fabs(steps - floor(steps + 0.5)) < 1e-9);
    /* the model choice refits the hybrid with the chosen weight on the same split: same NDCG; the
     * CF part alone is alpha = 1 */
    assert_close(p.models[0].val_ndcg, v[0], 1e-12);
    assert_close(p.models[1].val_ndcg, v[1], 1e-12);
    xl_buf b;
    xl_buf_init(&b);
    assert_int_equal(xl_pipeline_summary(&p, &b, &err), 0);
    char want[160];
    snprintf(want, sizeof want, "hybrid: CF weight %.1f chosen on the validation split (NDCG@2 %.4f; CF alone %.4f,",
             p.hybrid_alpha, v[0], v[1]);
    if (!strstr(b.data, want)) fail_msg("summary lacks '%s':\n%s", want, b.data);
    xl_pipeline_free(&p);
    /* a given weight is used as is, and the summary says so */
    o.hybrid_alpha = 0.3;
    assert_int_equal(xl_pipeline_run(&p, &o, &err), 0);
    assert_close(p.hybrid_alpha, 0.3, 0);
    assert_close(p.hybrid_val_ndcg[0], -1, 0);
    xl_buf_clear(&b);
    assert_int_equal(xl_pipeline_summary(&p, &b, &err), 0);
    assert_non_null(strstr(b.data, "hybrid: CF weight 0.30 (--hybrid-alpha)"));
    xl_buf_free(&b);
    xl_pipeline_free(&p);
    remove(inter);
}

static void test_formula_refs(void **state)
{
    (void)state;
    FILE *f = fopen("docs/tools/check_formula_refs.sh", "r");
    if (!f) {
        print_message("[  SKIP    ] docs/tools/check_formula_refs.sh not found (run from the repository root)\n");
        skip();
    }
    fclose(f);
    int rc = system("sh docs/tools/check_formula_refs.sh docs/formulas.md docs/architecture.md");
    assert_int_equal(rc, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_routing_and_skips),
        cmocka_unit_test(test_dictionary_route_and_metrics),
        cmocka_unit_test(test_bad_input),
        cmocka_unit_test(test_language_detection),
        cmocka_unit_test(test_bert_model),
        cmocka_unit_test(test_svg_chart_and_checker),
        cmocka_unit_test(test_hybrid_weight_on_validation),
        cmocka_unit_test(test_formula_refs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
