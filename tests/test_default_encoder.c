/* test_default_encoder.c - the shipped multilingual sentence encoder
 * (weights/default/xlrec-encoder.xlm, built by weights/tools/build_encoder.sh,
 * model card weights/default/README.md, docs/default-encoder.md): the file
 * fits the size budget, loads strictly, has the documented configuration
 * (BERT, 2 layers, hidden 256, 4 heads, FFN 1024, 64 positions, 24,000
 * WordPiece tokens, mean pooling, unit rows), and real translations are
 * nearer each other than sentences that are not translations (en with de,
 * fr and zh).  The encoder is committed once, when it ships: until then (or in
 * a checkout without it) every test here skips, saying so. */
#include "xl_test.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bert.h"
#include "xl_embedder.h"

#define SHIPPED "weights/default/xlrec-encoder.xlm"

static xl_embedder *enc; /* NULL: no encoder shipped in this checkout */

static int load(void **state)
{
    (void)state;
    FILE *f = fopen(SHIPPED, "rb");
    if (!f) return 0; /* every test skips */
    fclose(f);
    xl_embedder_options o;
    xl_embedder_options_default(&o);
    o.kind = XL_EMBEDDER_BERT;
    o.threads = 1;
    xl_error err;
    xl_error_clear(&err);
    if (xl_embedder_open(&enc, SHIPPED, &o, &err) < 0) {
        fprintf(stderr, "cannot load %s: %s\n", SHIPPED, err.msg);
        return -1;
    }
    return 0;
}

static int unload(void **state)
{
    (void)state;
    xl_embedder_free(enc);
    enc = NULL;
    return 0;
}

static void skip_if_absent(void)
{
    if (enc) return;
    print_message("[  SKIP    ] %s is not in this checkout (the encoder is not shipped yet)\n", SHIPPED);
    skip();
}

static void test_size_and_config(void **state)
{
    (void)state;
    skip_if_absent();
    FILE *f = fopen(SHIPPED, "rb");
    assert_non_null(f);
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    long size = ftell(f);
    fclose(f);
    assert_true(size > 0 && size <= 20L * 1000 * 1000); /* the budget */
    assert_int_equal(xl_embedder_kind_of(enc), XL_EMBEDDER_BERT);
    const xl_bert *b = xl_embedder_bert(enc);
    assert_non_null(b);
    const xl_bert_config *c = &b->cfg;
    assert_int_equal(c->arch, XL_ARCH_BERT);
    assert_int_equal(c->n_layers, 2);
    assert_int_equal(c->hidden, 256);
    assert_int_equal(c->n_heads, 4);
    assert_int_equal(c->intermediate, 1024);
    assert_int_equal(c->max_position, 64);
    assert_int_equal(c->vocab_size, 24000);
    assert_int_equal(c->pooling, XL_POOL_MEAN);
    assert_true(c->normalize);
    assert_int_equal(c->n_dense, 0);
    assert_int_equal(xl_embedder_dim(enc), 256);
}

/* Every row of the default pooling is a unit vector (the model's own normalisation). */
static double dot(const float *a, const float *b, size_t n)
{
    double s = 0;
    for (size_t i = 0; i < n; i++) s += (double)a[i] * b[i];
    return s;
}

/* Two sentences per language on unrelated subjects (printing a document, deleting a file); each
 * sentence's translation is nearer than the other subject's sentence in the same language. */
static void test_translations_nearer(void **state)
{
    (void)state;
    skip_if_absent();
    static const char *const texts[] = {
        "Print the document.",        /* 0 en, subject A */
        "Delete the file.",           /* 1 en, subject B */
        "Das Dokument drucken.",      /* 2 de A */
        "Die Datei löschen.",         /* 3 de B */
        "Imprimer le document.",      /* 4 fr A */
        "Supprimer le fichier.",      /* 5 fr B */
        "打印文档。",                 /* 6 zh A */
        "删除文件。",                 /* 7 zh B */
    };
    enum { N = sizeof texts / sizeof texts[0] };
    size_t d = xl_embedder_dim(enc);
    xl_error err;
    xl_error_clear(&err);
    float *v = malloc(N * d * sizeof *v);
    assert_non_null(v);
    assert_int_equal(xl_embedder_embed(enc, texts, NULL, N, v, NULL, &err), 0);
    for (size_t i = 0; i < N; i++) assert_true(fabs(dot(v + i * d, v + i * d, d) - 1.0) < 1e-4);
#define COS(i, j) dot(v + (size_t)(i) * d, v + (size_t)(j) * d, d)
    for (size_t lang = 1; lang < N / 2; lang++) {
        size_t a = 2 * lang, b = a + 1; /* this language's subject A and B */
        if (!(COS(0, a) > COS(0, b)) || !(COS(1, b) > COS(1, a)))
            fail_msg("en vs %s / %s: cos(A, A') %.4f, cos(A, B') %.4f, cos(B, B') %.4f, cos(B, A') %.4f", texts[a],
                     texts[b], COS(0, a), COS(0, b), COS(1, b), COS(1, a));
    }
#undef COS
    free(v);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_size_and_config),
        cmocka_unit_test(test_translations_nearer),
    };
    return cmocka_run_group_tests(tests, load, unload);
}
