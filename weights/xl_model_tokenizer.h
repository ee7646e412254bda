/* xl_model_tokenizer.h - the WordPiece tokenizer embedded in a model file.
 *
 * A converted model carries its vocabulary and the tokenizer flags the
 * converter read from tokenizer.json / tokenizer_config.json /
 * sentence-transformers configs (metadata keys "tokenizer.*", see
 * docs/model-format.md).  This builds the matching `wordpiece` so that text
 * is tokenised exactly as HuggingFace does for that checkpoint.  Used by
 * `xlrec embed` and the pipeline (`xlrec run --model`).
 */
#ifndef XL_MODEL_TOKENIZER_H
#define XL_MODEL_TOKENIZER_H

#include "wordpiece.h"
#include "xl_error.h"
#include "xl_model.h"

/* Returns a new tokenizer (free with xl_wordpiece_free), or NULL with a message:
 * a model converted without any vocabulary file accepts only token ids. */
xl_wordpiece *xl_model_tokenizer(const xl_model *m, xl_error *err);

#endif /* XL_MODEL_TOKENIZER_H */
