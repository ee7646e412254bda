/* cmd_convert.c - `xlrec convert HF_DIR -o MODEL`: a HuggingFace /
 * sentence-transformers checkpoint directory to one xlrec model file
 * (weights/xl_convert.h; docs/encoder.md lists the files it reads). */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stddef.h>

#include "xl_cli.h"
#include "xl_convert.h"
#include "xl_model.h"

static void print_note(void *ctx, const char *msg)
{
    const bool *quiet = ctx;
    if (!*quiet) fprintf(stderr, "xlrec: %s\n", msg);
}

int cmd_convert(int argc, char **argv)
{
    const char *out = NULL;
    bool quiet = false;
    const char *dtype_name = "f32";
    const xl_option opts[] = {
        {"output", 'o', XL_OPT_STRING, &out, "MODEL", "model file to write (required)", 0, 0, NULL},
        {"dtype", 0, XL_OPT_CHOICE, &dtype_name, "TYPE",
         "storage of embedding tables and linear weights: f32, f16, bf16 or int8 (per-row scales); "
         "LayerNorm and biases stay f32",
         0, 0, "f32|f16|bf16|int8"},
        {"quiet", 'q', XL_OPT_FLAG, &quiet, NULL, "no notes on stderr (errors are still reported)", 0, 0, NULL},
        {0}};
    const xl_command_spec spec = {
        "convert", "xlrec convert HF_DIR -o MODEL [--dtype f32|f16|bf16|int8]",
        "Convert a HuggingFace BERT/DistilBERT checkpoint directory (config.json, model.safetensors,\n"
        "vocab.txt or tokenizer.json, tokenizer_config.json, and the sentence-transformers files\n"
        "modules.json, 1_Pooling/, 2_Dense/, sentence_bert_config.json when present) into one xlrec\n"
        "model file for `xlrec embed`.  See docs/encoder.md; --dtype: docs/model-format.md.",
        opts, 1, 1};
    xl_args args;
    int rc = xl_cli_parse(&spec, argc, argv, &args);
    if (rc != XL_CLI_CONTINUE) return rc;
    if (out == NULL) return xl_cli_usage_error(&spec, "missing --output MODEL");
    /* the checkpoint's files (weights/xl_convert.h) must survive a -o pointing into the directory */
    static const char *const read_names[] = {"config.json", "model.safetensors", "vocab.txt", "tokenizer.json",
                                             "tokenizer_config.json", "special_tokens_map.json", "modules.json",
                                             "sentence_bert_config.json", "1_Pooling/config.json",
                                             "2_Dense/config.json", "2_Dense/model.safetensors"};
    enum { N_READ = sizeof read_names / sizeof read_names[0] };
    char paths[N_READ][4096];
    const char *inputs[N_READ];
    for (size_t i = 0; i < N_READ; i++) {
        snprintf(paths[i], sizeof paths[i], "%s/%s", args.positional[0], read_names[i]);
        inputs[i] = paths[i];
    }
    if ((rc = xl_cli_check_output(&spec, out, inputs, N_READ)) != XL_CLI_CONTINUE) return rc;
    xl_error err;
    xl_error_clear(&err);
    xl_dtype dtype = XL_DTYPE_F32;
    (void)xl_dtype_parse(dtype_name, &dtype); /* a choice option: always one of the four */
    if (xl_convert_hf_as(args.positional[0], out, dtype, print_note, &quiet, &err) < 0) return xl_cli_runtime_error(&err);
    if (!quiet && out[0] != '-') {
        xl_model *m;
        if (xl_model_open(&m, out, &err) < 0) return xl_cli_runtime_error(&err);
        fprintf(stderr, "xlrec: wrote %s: %zu tensors, %" PRIu64 " parameters, %zu vocabulary tokens, %zu bytes\n", out,
                xl_model_tensor_count(m), xl_model_param_count(m), xl_model_vocab_count(m), xl_model_file_size(m));
        xl_model_close(m);
    }
    return XL_EXIT_OK;
}
