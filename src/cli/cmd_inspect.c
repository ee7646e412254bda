/* cmd_inspect.c - `xlrec inspect MODEL`: the model file's header, metadata,
 * vocabulary size, tensor table and parameter count (after full validation,
 * so a file inspect accepts is a file embed can map). */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>

#include "xl_cli.h"
#include "xl_model.h"

int cmd_inspect(int argc, char **argv)
{
    bool no_tensors = false;
    int64_t n_tokens = 0;
    const xl_option opts[] = {
        {"no-tensors", 0, XL_OPT_FLAG, &no_tensors, NULL, "omit the tensor table", 0, 0, NULL},
        {"tokens", 0, XL_OPT_INT, &n_tokens, "N", "also list the first N vocabulary tokens", 0, 1e9, NULL},
        {0}};
    const xl_command_spec spec = {"inspect", "xlrec inspect [--no-tensors] [--tokens N] MODEL",
                                  "Validate an xlrec model file and print its metadata, vocabulary size, tensor\n"
                                  "table (name, dtype, shape, offset, bytes) and parameter count.",
                                  opts, 1, 1};
    xl_args args;
    int rc = xl_cli_parse(&spec, argc, argv, &args);
    if (rc != XL_CLI_CONTINUE) return rc;
    xl_error err;
    xl_error_clear(&err);
    xl_model *m;
    if (xl_model_open(&m, args.positional[0], &err) < 0) return xl_cli_runtime_error(&err);
    printf("file\t%s\nformat_version\t%" PRIu32 "\nfile_size\t%zu\nmapped\t%s\n", xl_model_path(m), xl_model_version(m),
           xl_model_file_size(m), xl_model_is_mapped(m) ? "yes" : "no");
    printf("\n# metadata (%zu)\n", xl_model_meta_count(m));
    for (size_t i = 0; i < xl_model_meta_count(m); i++) {
        const xl_meta *e = xl_model_meta_at(m, i);
        switch (e->type) {
        case XL_META_INT: printf("%s\t%" PRId64 "\n", e->key, e->i); break;
        case XL_META_DOUBLE: printf("%s\t%.17g\n", e->key, e->d); break;
        case XL_META_BOOL: printf("%s\t%s\n", e->key, e->i ? "true" : "false"); break;
        case XL_META_STRING: printf("%s\t\"%s\"\n", e->key, e->s); break;
        }
    }
    printf("\n# vocabulary: %zu tokens%s\n", xl_model_vocab_count(m),
           xl_model_vocab_count(m) ? "" : " (token ids only: embed --input ids)");
    for (size_t i = 0; i < (size_t)n_tokens && i < xl_model_vocab_count(m); i++)
        printf("%zu\t%s\n", i, xl_model_vocab_token(m, i, NULL));
    if (!no_tensors) {
        printf("\n# tensors (%zu)\nname\tdtype\tshape\toffset\tbytes\n", xl_model_tensor_count(m));
        for (size_t i = 0; i < xl_model_tensor_count(m); i++) {
            const xl_tensor *t = xl_model_tensor_at(m, i);
            char sh[128];
            printf("%s\t%s\t%s\t%" PRIu64 "\t%" PRIu64 "\n", t->name, xl_dtype_name(t->dtype),
                   xl_shape_str(t->rank, t->shape, sh, sizeof sh), t->offset, t->nbytes);
        }
    }
    printf("\nparameters\t%" PRIu64 "\n", xl_model_param_count(m));
    xl_model_close(m);
    if (fflush(stdout) != 0) {
        xl_fail(&err, XL_ERR_IO, "stdout: write failed");
        return xl_cli_runtime_error(&err);
    }
    return XL_EXIT_OK;
}
