/* embed_cosine.c - xlrec as a library: load a model file (`xlrec convert` output with a
 * vocabulary), embed two sentences (e.g. in different languages) and print cos(a, b).
 *   cc embed_cosine.c $(pkg-config --cflags --libs xlrec) -o embed_cosine
 *   ./embed_cosine model.xlm "hello world" "hallo welt"                              */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bert.h"       /* encoder: xl_bert_from_model, xl_bert_forward, xl_bert_pool */
#include "wordpiece.h"  /* BERT WordPiece tokenizer */
#include "xl_model.h"   /* the model file: metadata, vocabulary, tensors */

int main(int argc, char **argv)
{
    if (argc != 4) return fprintf(stderr, "usage: %s MODEL SENTENCE_A SENTENCE_B\n", argv[0]), 2;
    xl_error err = {0};
    xl_model *m = NULL; xl_bert *bert = NULL; xl_wordpiece *wp = NULL;
    xl_kernels k = {0};
    xl_bert_acts acts; xl_bert_acts_init(&acts, false);
    xl_wordpiece_encoding enc[2]; xl_wordpiece_encoding_init(&enc[0]); xl_wordpiece_encoding_init(&enc[1]);
    float *emb = NULL; int rc = 1;
    if (xl_model_open(&m, argv[1], &err) < 0 || xl_kernels_init(&k, XL_SIMD_AUTO, 1, &err) < 0 ||
        xl_bert_from_model(&bert, m, &k, &err) < 0) goto done;
    /* the tokenizer from the vocabulary embedded in the model file (token id = position) */
    size_t n = xl_model_vocab_count(m), *lens = calloc(n + 1, sizeof *lens);
    const char **toks = calloc(n + 1, sizeof *toks);
    for (size_t i = 0; toks && lens && i < n; i++) toks[i] = xl_model_vocab_token(m, i, &lens[i]);
    xl_wordpiece_options o; xl_wordpiece_options_default(&o);
    bool lower;
    if (xl_model_meta_bool(m, "tokenizer.lowercase", &lower)) o.lowercase = lower;
    wp = (toks && lens) ? xl_wordpiece_create(toks, lens, n, &o, &err) : NULL;
    free(toks); free(lens);
    if (wp == NULL) goto done;
    /* [CLS] sentence [SEP], truncated to the model's max_seq_len; one batch of two */
    xl_wordpiece_encode_options eo; xl_wordpiece_encode_options_default(&eo);
    eo.max_length = bert->cfg.max_seq_len;
    const int32_t *ids[2]; size_t len[2];
    for (int s = 0; s < 2; s++) {
        if (xl_wordpiece_encode(wp, argv[2 + s], strlen(argv[2 + s]), NULL, 0, &eo, &enc[s], &err) < 0) goto done;
        ids[s] = enc[s].ids; len[s] = enc[s].len;
    }
    xl_bert_input in = {2, ids, NULL, NULL, len};
    size_t d = xl_bert_output_dim(bert, XL_POOL_DEFAULT);
    if ((emb = calloc(2 * d, sizeof *emb)) == NULL) goto done;
    if (xl_bert_forward(bert, &k, 1, &in, &acts, &err) < 0 ||
        xl_bert_pool(bert, &k, 1, &in, &acts, XL_POOL_DEFAULT, bert->cfg.normalize, emb, &err) < 0) goto done;
    double ab = 0, aa = 0, bb = 0; /* cos(a, b) = a.b / (|a| |b|) */
    for (size_t j = 0; j < d; j++) ab += emb[j] * emb[d + j], aa += emb[j] * emb[j], bb += emb[d + j] * emb[d + j];
    printf("%zu + %zu tokens, dim %zu, cosine %.6f\n", len[0], len[1], d, ab / (sqrt(aa) * sqrt(bb)));
    rc = 0;
done:
    if (rc != 0) fprintf(stderr, "embed_cosine: %s\n", err.msg[0] ? err.msg : "out of memory");
    free(emb); xl_wordpiece_encoding_free(&enc[0]); xl_wordpiece_encoding_free(&enc[1]); xl_wordpiece_free(wp);
    xl_bert_acts_free(&acts); xl_bert_free(bert); xl_kernels_free(&k); xl_model_close(m);
    return rc;
}
