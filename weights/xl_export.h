/* xl_export.h - an xlrec BERT-family model file (xl_model.h) -> a HuggingFace
 * transformers / sentence-transformers checkpoint directory: the inverse of
 * xl_convert.h, for users of the Python libraries.
 *
 * Contract
 *   - Writes into OUT_DIR (docs/export.md lists every file and key):
 *       config.json               BertConfig (model_type "bert") or DistilBertConfig ("distilbert")
 *       model.safetensors         the encoder, float32, HF BertModel / DistilBertModel tensor names
 *                                 (no "bert." prefix: AutoModel and BertModel load it directly)
 *       vocab.txt, tokenizer.json, tokenizer_config.json, special_tokens_map.json
 *                                 BertTokenizer(Fast) with the model's WordPiece vocabulary and
 *                                 BertNormalizer flags (lower-casing, accents, Chinese characters,
 *                                 clean_text), its special tokens and max length
 *       modules.json, sentence_bert_config.json, config_sentence_transformers.json,
 *       1_Pooling/config.json     the model's default pooling (cls, mean, max, mean_sqrt_len)
 *       2_Dense/ ...              one K_Dense/{config.json, model.safetensors} per Dense layer
 *       K_Normalize/              when the model L2-normalises (an empty folder, as the module has
 *                                 no parameters)
 *     so that SentenceTransformer(OUT_DIR).encode(s) computes what `xlrec embed` computes.
 *   - safetensors: 8-byte little-endian header length N, N bytes of compact JSON padded with
 *     spaces to a multiple of 8 (so the data buffer starts 8-byte aligned), an "__metadata__"
 *     {"format": "pt"}, then the tensors back to back in the model's order, little-endian on any
 *     host, with contiguous data_offsets (what the reference library checks).
 *   - The model is checked before anything is written: every metadata key the architecture
 *     needs, every tensor with the shape the metadata implies (messages name the key or tensor),
 *     a pooling that sentence-transformers has (pooler / none are refused), vocabulary tokens
 *     that vocab.txt can hold (no line breaks).
 *   - Atomic: everything is written into a new temporary folder beside OUT_DIR, then that folder
 *     is renamed to OUT_DIR.  OUT_DIR must not exist or be an empty folder (an existing export is
 *     never merged into or partly replaced); on any failure the temporary folder is removed and
 *     OUT_DIR is as it was.
 *   - Notes (an id dropped from tokenizer.json because a later duplicate token replaces it, a
 *     tensor of the file that is not part of the exported architecture) go through `note`
 *     (NULL drops them); the library never prints.
 */
#ifndef XL_EXPORT_H
#define XL_EXPORT_H

#include <stddef.h>
#include <stdint.h>

#include "xl_convert.h"
#include "xl_error.h"
#include "xl_model.h"

typedef struct xl_export_summary {
    size_t n_files;        /* files written */
    size_t n_tensors;      /* tensors in model.safetensors (Dense layers not counted) */
    uint64_t n_params;     /* parameters written, Dense layers included */
    uint64_t bytes;        /* bytes written in all files */
} xl_export_summary;

/* Export an open model to out_dir.  summary may be NULL.  Returns 0, or -1 with err naming the
 * field or file at fault (nothing is left behind on failure). */
int xl_export_hf(const xl_model *m, const char *out_dir, xl_note_fn note, void *note_ctx, xl_export_summary *summary,
                 xl_error *err);

/* One float32 tensor of a safetensors file being written. */
typedef struct xl_st_entry {
    const char *name;
    int rank;
    uint64_t shape[XL_MODEL_MAX_RANK];
    const float *data; /* product(shape) host-order floats */
} xl_st_entry;

/* Write a safetensors file of F32 tensors (the layout above) through the output policy of
 * xl_io.h (temporary file + rename).  *bytes (may be NULL) receives the file size. */
int xl_safetensors_write_f32(const char *path, const xl_st_entry *tensors, size_t n, uint64_t *bytes, xl_error *err);

#endif /* XL_EXPORT_H */
