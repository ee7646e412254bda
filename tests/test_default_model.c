/* test_default_model.c - the shipped cross-lingual word vectors
 * (weights/default/, built by weights/tools/build_default_model.sh,
 * docs/default-model.md): the file loads strictly, fits the size budget,
 * covers the languages it claims, and real translations are near each other
 * (a word's translation ranks among the few nearest of all rows; a sentence's
 * translation is nearer than an unrelated sentence in the same language).
 * The file is in the repository, so nothing here is skipped. */
#include "xl_test.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sentvec.h"
#include "w2v_vectors.h"
#include "xl_alloc.h"

#define SHIPPED "weights/default/xlrec-default-xl12.f16"

static xl_w2v_vectors model;

static int load(void **state)
{
    (void)state;
    xl_error err;
    xl_error_clear(&err);
    if (xl_w2v_vectors_read(SHIPPED, W2V_FORMAT_AUTO, 0, &model, &err) < 0) {
        fprintf(stderr, "cannot load %s: %s\n", SHIPPED, err.msg);
        return -1;
    }
    return 0;
}

static int unload(void **state)
{
    (void)state;
    xl_w2v_vectors_free(&model);
    return 0;
}

static void test_shape_and_size(void **state)
{
    (void)state;
    FILE *f = fopen(SHIPPED, "rb");
    assert_non_null(f);
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    long size = ftell(f);
    fclose(f);
    assert_true(size > 0 && size <= 20L * 1000 * 1000); /* the budget */
    assert_int_equal(model.dim, 100);
    assert_true(model.n_words > 30000);
    assert_string_equal(xl_w2v_words_get(&model.words, 0), "</s>");
}

static double cosine(const float *a, const float *b, size_t n)
{
    double ab = 0, aa = 0, bb = 0;
    for (size_t i = 0; i < n; i++) {
        ab += (double)a[i] * b[i];
        aa += (double)a[i] * a[i];
        bb += (double)b[i] * b[i];
    }
    return aa > 0 && bb > 0 ? ab / sqrt(aa * bb) : 0;
}

static const float *vec(const char *w)
{
    int64_t id = xl_w2v_vectors_find(&model, w);
    if (id < 0) fail_msg("'%s' is not in the shipped vocabulary", w);
    return xl_w2v_row(&model, (size_t)id);
}

/* Rank of `to` among all rows by cosine to `from` (0 = nearest, `from` itself skipped). */
static size_t rank_of(const char *from, const char *to)
{
    const float *a = vec(from), *b = vec(to);
    double target = cosine(a, b, model.dim);
    size_t better = 0;
    for (size_t i = 1; i < model.n_words; i++) {
        const float *r = xl_w2v_row(&model, i);
        if (r == a || r == b) continue;
        if (cosine(a, r, model.dim) > target) better++;
    }
    return better;
}

/* Word translations (tokens as xl_sentvec_preprocess writes them: case-folded, CJK one character each). */
static void test_word_neighbours(void **state)
{
    (void)state;
    static const char *const pairs[][2] = {
        {"document", "dokument"},   {"document", "documento"},  {"document", "документ"},
        {"spreadsheet", "tabellendokument"}, {"printer", "drucker"}, {"printer", "imprimante"},
        {"file", "datei"},          {"file", "fichier"},        {"file", "archivo"},
        {"table", "tabelle"},       {"table", "таблица"},       {"font", "schriftart"},
        {"password", "kennwort"},   {"password", "пароль"},        {"chart", "diagramm"},
        {"chart", "차트"},          {"document", "档"},         {"file", "檔"},
        {"file", "파일"},           {"rights", "derechos"},     {"rights", "droits"},
        {"document", "الوثيقة"},
    };
    size_t n = sizeof pairs / sizeof pairs[0], good = 0;
    for (size_t i = 0; i < n; i++) {
        size_t r = rank_of(pairs[i][0], pairs[i][1]);
        /* every translation is far above a random word (median rank n_words / 2) */
        if (r >= model.n_words / 50) fail_msg("%s -> %s: rank %zu of %zu", pairs[i][0], pairs[i][1], r, model.n_words);
        if (r < 50) good++;
        if (getenv("XLREC_TEST_VERBOSE")) printf("%s -> %s: rank %zu\n", pairs[i][0], pairs[i][1], r);
    }
    assert_true(good * 4 >= n * 3); /* and most are among the 50 nearest rows */
    /* a translation is nearer than an unrelated word of the same language */
    assert_true(cosine(vec("document"), vec("dokument"), model.dim) >
                cosine(vec("document"), vec("farbe"), model.dim));
    assert_true(cosine(vec("printer"), vec("imprimante"), model.dim) >
                cosine(vec("printer"), vec("mot"), model.dim));
}

/* Sentence level, through the same path as `xlrec embed-words` (xl_sentvec_preprocess + SIF weights). */
static void test_sentence_neighbours(void **state)
{
    (void)state;
    static const char *const raw[] = {
        "Printing a document with headers and footers",  /* 0 en */
        "Ein Dokument mit Kopf- und Fußzeilen drucken",  /* 1 de: translation of 0 */
        "Diagramme aus Tabellen erstellen",              /* 2 de: unrelated to 0 */
        "Créer des diagrammes à partir des tableaux",    /* 3 fr: translation of 2 */
        "Imprimer un document avec en-têtes",            /* 4 fr: near 0 */
        "打印带页眉和页脚的文档",                         /* 5 zh: translation of 0 */
        "根据表格数据创建图表",                           /* 6 zh: translation of 2 */
    };
    enum { N = sizeof raw / sizeof raw[0] };
    xl_error err;
    xl_buf tok[N];
    const char *lines[N];
    size_t lens[N];
    for (size_t i = 0; i < N; i++) {
        xl_buf_init(&tok[i]);
        assert_int_equal(xl_sentvec_preprocess(raw[i], strlen(raw[i]), &tok[i], &err), 0);
        lines[i] = tok[i].data;
        lens[i] = tok[i].len;
    }
    float *w = NULL, *out = xl_malloc(N * model.dim * sizeof(float), &err);
    assert_non_null(out);
    assert_int_equal(xl_sentvec_sif_weights(&model, NULL, 1e-3, &w, &err), 0);
    xl_sentvec_options o = {SENTVEC_SIF, false, true, false, NULL, 1, NULL};
    size_t empty = 0;
    assert_int_equal(xl_sentvec_embed_lines(&model, w, lines, lens, N, &o, out, NULL, &empty, &err), 0);
    assert_int_equal(empty, 0);
#define COS(i, j) cosine(out + (i) * model.dim, out + (j) * model.dim, model.dim)
    assert_true(COS(0, 1) > COS(0, 2));
    assert_true(COS(2, 3) > COS(1, 3));
    assert_true(COS(0, 4) > COS(2, 4));
    assert_true(COS(0, 5) > COS(0, 6));
    assert_true(COS(2, 6) > COS(2, 5));
#undef COS
    for (size_t i = 0; i < N; i++) xl_buf_free(&tok[i]);
    free(w);
    free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shape_and_size),
        cmocka_unit_test(test_word_neighbours),
        cmocka_unit_test(test_sentence_neighbours),
    };
    return cmocka_run_group_tests(tests, load, unload);
}
