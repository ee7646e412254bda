/* xl_model_tokenizer.c - see xl_model_tokenizer.h */
#include "xl_model_tokenizer.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

#include "xl_alloc.h"

xl_wordpiece *xl_model_tokenizer(const xl_model *m, xl_error *err)
{
    size_t n = xl_model_vocab_count(m);
    if (n == 0) {
        xl_fail(err, XL_ERR_USAGE,
                "%s: the model has no vocabulary (converted without vocab.txt/tokenizer.json): only token ids can be "
                "embedded (--input ids)",
                xl_model_path(m));
        return NULL;
    }
    const char **toks = xl_calloc(n, sizeof *toks, err);
    size_t *lens = xl_calloc(n, sizeof *lens, err);
    xl_wordpiece *wp = NULL;
    if (toks != NULL && lens != NULL) {
        for (size_t i = 0; i < n; i++) toks[i] = xl_model_vocab_token(m, i, &lens[i]);
        xl_wordpiece_options o;
        xl_wordpiece_options_default(&o);
        bool b;
        int64_t v;
        if (xl_model_meta_bool(m, "tokenizer.lowercase", &b)) o.lowercase = b;
        if (xl_model_meta_bool(m, "tokenizer.strip_accents", &b)) o.strip_accents = b ? 1 : 0;
        if (xl_model_meta_bool(m, "tokenizer.clean_text", &b)) o.clean_text = b;
        if (xl_model_meta_bool(m, "tokenizer.chinese_chars", &b)) o.tokenize_chinese_chars = b;
        /* sentence-transformers do_lower_case: the text is lower-cased before tokenising */
        if (xl_model_meta_bool(m, "tokenizer.st_lowercase", &b) && b) o.lowercase = true;
        if (xl_model_meta_int(m, "tokenizer.max_chars_per_word", &v) && v > 0) o.max_input_chars_per_word = (size_t)v;
        const char *s;
        if ((s = xl_model_meta_string(m, "tokenizer.unk_token")) != NULL) o.unk_token = s;
        if ((s = xl_model_meta_string(m, "tokenizer.cls_token")) != NULL) o.cls_token = s;
        if ((s = xl_model_meta_string(m, "tokenizer.sep_token")) != NULL) o.sep_token = s;
        if ((s = xl_model_meta_string(m, "tokenizer.pad_token")) != NULL) o.pad_token = s;
        if ((s = xl_model_meta_string(m, "tokenizer.mask_token")) != NULL) o.mask_token = s;
        if ((s = xl_model_meta_string(m, "tokenizer.subword_prefix")) != NULL) o.continuing_subword_prefix = s;
        wp = xl_wordpiece_create(toks, lens, n, &o, err);
        if (wp == NULL) xl_error_prefix(err, "%s: embedded vocabulary", xl_model_path(m));
    }
    free(toks);
    free(lens);
    return wp;
}
