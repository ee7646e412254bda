/* xl_convert.h - HuggingFace / sentence-transformers checkpoint directory ->
 * one xlrec model file (xl_model.h).
 *
 * Contract
 *   - Reads from HF_DIR: config.json (required), model.safetensors (required;
 *     F32, F16, BF16 and F64 tensors are widened to float32), vocab.txt or else
 *     tokenizer.json (WordPiece vocabulary and BertNormalizer flags),
 *     tokenizer_config.json (lower-casing, accents, Chinese characters,
 *     special tokens, model_max_length), and the sentence-transformers extras:
 *     modules.json (module order), <k>_Pooling/config.json (pooling mode),
 *     <k>_Dense/config.json + <k>_Dense/model.safetensors (Dense layers with
 *     their activation), a Normalize module, sentence_bert_config.json
 *     (max_seq_length, do_lower_case).
 *   - Architectures: BERT (model_type "bert") and DistilBERT ("distilbert").
 *     Tensor names are mapped to the canonical HF BertModel names (listed in
 *     docs/model-format.md): an optional "bert." / "distilbert." prefix is
 *     removed, LayerNorm.gamma/beta become LayerNorm.weight/bias, DistilBERT
 *     names (transformer.layer.N.attention.q_lin ...) become BERT names;
 *     pre-training and task heads (cls.*, pre_classifier, classifier,
 *     vocab_transform, vocab_layer_norm, vocab_projector, qa_outputs) are
 *     dropped with a note; integer buffers (embeddings.position_ids,
 *     embeddings.token_type_ids) are ignored.  A missing or mis-shaped tensor
 *     is an error naming it (with its name in the checkpoint).
 *   - Without any vocabulary file the model is written without a vocabulary
 *     (it then accepts only token ids) and a warning says so.
 *   - Notes and warnings go through the `note` callback (the library never
 *     prints); pass NULL to drop them.
 */
#ifndef XL_CONVERT_H
#define XL_CONVERT_H

#include "xl_error.h"
#include "xl_model.h"

typedef void (*xl_note_fn)(void *ctx, const char *message);

/* Convert hf_dir into out_path.  Returns 0, or -1 with err naming the file
 * and field at fault (no output file is left behind on failure). */
int xl_convert_hf(const char *hf_dir, const char *out_path, xl_note_fn note, void *note_ctx, xl_error *err);
/* The same, storing the embedding tables and nn.Linear weights (every tensor of rank >= 2)
 * as `dtype` (xl_dtype_for_tensor); LayerNorm parameters and biases stay F32. */
int xl_convert_hf_as(const char *hf_dir, const char *out_path, xl_dtype dtype, xl_note_fn note, void *note_ctx,
                     xl_error *err);

#endif /* XL_CONVERT_H */
