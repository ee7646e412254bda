/* cmd_quantize.c - `xlrec quantize MODEL -o OUT --dtype f32|f16|bf16|int8`: rewrite an
 * xlrec model file with its embedding tables and nn.Linear weights (every tensor of rank
 * >= 2) stored as f16, bf16 or symmetric per-row int8; LayerNorm parameters and biases stay
 * f32 (weights/xl_model.h, docs/model-format.md).  Metadata and vocabulary are copied
 * unchanged.  Calibration-free: int8 weights only, activations stay float32 for now. */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>

#include "xl_cli.h"
#include "xl_model.h"

int cmd_quantize(int argc, char **argv)
{
    const char *out = NULL, *dtype_name = NULL, *bits_name = NULL;
    bool quiet = false;
    const xl_option opts[] = {
        {"output", 'o', XL_OPT_STRING, &out, "MODEL", "model file to write (required; never the input)", 0, 0, NULL},
        {"dtype", 0, XL_OPT_CHOICE, &dtype_name, "TYPE",
         "storage of embedding tables and linear weights (required): f32, f16, bf16 or int8 (per-row scales)", 0, 0,
         "f32|f16|bf16|int8"},
        {"weight-bits", 0, XL_OPT_CHOICE, &bits_name, "BITS",
         "int8 only: 8 (default: q in -127..127) or 7 (-63..63: half the resolution; the AVX2 int8 kernel "
         "then runs its faster u8 x s8 form, docs/kernels.md)",
         0, 0, "8|7"},
        {"quiet", 'q', XL_OPT_FLAG, &quiet, NULL, "no summary on stderr (errors are still reported)", 0, 0, NULL},
        {0}};
    const xl_command_spec spec = {
        "quantize", "xlrec quantize MODEL -o OUT --dtype f32|f16|bf16|int8 [--weight-bits 8|7]",
        "Rewrite a model file with its embedding tables and linear weights (every tensor of rank >= 2)\n"
        "stored as f16, bf16 (rounded to nearest even) or int8 (symmetric, one scale per output channel\n"
        "or token: scale = max|row| / 127); LayerNorm parameters and biases stay f32.  Every command runs\n"
        "on the smaller file: f16/bf16 weights are widened to float32 at load; an int8 file's encoder runs\n"
        "its linear layers in int8 (activations quantised per token at run time) and keeps no float32\n"
        "copy of them.  Start from the f32 file: re-quantising a reduced file compounds the rounding.\n"
        "See docs/model-format.md and docs/kernels.md.",
        opts, 1, 1};
    xl_args args;
    int rc = xl_cli_parse(&spec, argc, argv, &args);
    if (rc != XL_CLI_CONTINUE) return rc;
    if (out == NULL) return xl_cli_usage_error(&spec, "missing --output MODEL");
    if (dtype_name == NULL) return xl_cli_usage_error(&spec, "missing --dtype f32|f16|bf16|int8");
    const char *in = args.positional[0];
    if ((rc = xl_cli_check_output(&spec, out, &in, 1)) != XL_CLI_CONTINUE) return rc;
    xl_dtype dtype = XL_DTYPE_F32;
    (void)xl_dtype_parse(dtype_name, &dtype); /* a choice option: always one of the four */
    const bool seven = bits_name != NULL && bits_name[0] == '7';
    if (seven && dtype != XL_DTYPE_I8) return xl_cli_usage_error(&spec, "--weight-bits applies to --dtype int8 only");
    xl_error err;
    xl_error_clear(&err);
    xl_model *m = NULL;
    xl_model_writer *w = NULL;
    if (xl_model_open(&m, in, &err) < 0) return xl_cli_runtime_error(&err);
    bool reduced_source = false;
    for (size_t i = 0; i < xl_model_tensor_count(m); i++)
        reduced_source = reduced_source || xl_model_tensor_at(m, i)->dtype != XL_DTYPE_F32;
    if (reduced_source && !quiet)
        fprintf(stderr, "xlrec: note: %s already holds reduced-precision tensors: their rounding carries over\n", in);
    w = xl_model_writer_new(&err);
    if (w == NULL || xl_model_writer_copy_model(w, m, &err) < 0 || xl_model_writer_set_reduced_dtype(w, dtype, &err) < 0 ||
        (seven && xl_model_writer_set_int8_max(w, 63, &err) < 0) ||
        xl_model_writer_write(w, out, &err) < 0) {
        xl_model_writer_free(w);
        xl_model_close(m);
        return xl_cli_runtime_error(&err);
    }
    xl_model_writer_free(w);
    size_t in_size = xl_model_file_size(m);
    xl_model_close(m);
    if (!quiet && out[0] != '-') {
        if (xl_model_open(&m, out, &err) < 0) return xl_cli_runtime_error(&err);
        fprintf(stderr, "xlrec: wrote %s: %s, %zu bytes (input %zu bytes)\n", out, dtype_name, xl_model_file_size(m),
                in_size);
        xl_model_close(m);
    }
    return XL_EXIT_OK;
}
