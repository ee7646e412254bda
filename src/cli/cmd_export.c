/* cmd_export.c - `xlrec export MODEL -o DIR`: an xlrec BERT/DistilBERT model file to a
 * HuggingFace transformers + sentence-transformers checkpoint folder (weights/xl_export.h;
 * docs/export.md lists the files and how the export was checked against PyTorch). */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>

#include "xl_cli.h"
#include "xl_export.h"
#include "xl_model.h"

static void print_note(void *ctx, const char *msg)
{
    const bool *quiet = ctx;
    if (!*quiet) fprintf(stderr, "xlrec: %s\n", msg);
}

int cmd_export(int argc, char **argv)
{
    const char *out = NULL;
    bool quiet = false;
    const xl_option opts[] = {
        {"output", 'o', XL_OPT_STRING, &out, "DIR", "folder to create (required; must not exist or be empty)", 0, 0,
         NULL},
        {"quiet", 'q', XL_OPT_FLAG, &quiet, NULL, "no notes on stderr (errors are still reported)", 0, 0, NULL},
        {0}};
    const xl_command_spec spec = {
        "export", "xlrec export MODEL -o DIR",
        "Write an xlrec BERT/DistilBERT model file as a HuggingFace checkpoint folder that\n"
        "transformers (AutoModel, AutoTokenizer) and sentence-transformers (SentenceTransformer)\n"
        "load: config.json, model.safetensors (float32), vocab.txt, tokenizer.json,\n"
        "tokenizer_config.json, special_tokens_map.json, modules.json, sentence_bert_config.json,\n"
        "1_Pooling/ (the model's pooling), K_Dense/ and K_Normalize/ when the model has them.\n"
        "The folder is written beside DIR and renamed into place at the end: DIR is never left\n"
        "half-written and never merged into.  The inverse of `xlrec convert`.  See docs/export.md.",
        opts, 1, 1};
    xl_args args;
    int rc = xl_cli_parse(&spec, argc, argv, &args);
    if (rc != XL_CLI_CONTINUE) return rc;
    if (out == NULL) return xl_cli_usage_error(&spec, "missing --output DIR");
    if (out[0] == '\0' || (out[0] == '-' && out[1] == '\0'))
        return xl_cli_usage_error(&spec, "--output must name a folder, not '%s'", out);
    const char *inputs[1] = {args.positional[0]};
    if ((rc = xl_cli_check_output(&spec, out, inputs, 1)) != XL_CLI_CONTINUE) return rc;
    xl_error err;
    xl_error_clear(&err);
    xl_model *m;
    if (xl_model_open(&m, args.positional[0], &err) < 0) return xl_cli_runtime_error(&err);
    xl_export_summary sum;
    rc = xl_export_hf(m, out, print_note, &quiet, &sum, &err);
    xl_model_close(m);
    if (rc < 0) return xl_cli_runtime_error(&err);
    if (!quiet)
        fprintf(stderr, "xlrec: wrote %s: %zu files, %zu tensors in model.safetensors, %" PRIu64 " parameters, %" PRIu64
                        " bytes\n",
                out, sum.n_files, sum.n_tensors, sum.n_params, sum.bytes);
    return XL_EXIT_OK;
}
