/* cmd_inspect.c - `xlrec inspect MODEL`: the model file's header, metadata,
 * vocabulary size, tensor table and parameter count, after the same checks the
 * loader runs (file structure; for a BERT/DistilBERT model the configuration and
 * tensor shapes of xl_bert_from_model and the tokenizer of xl_model_tokenizer;
 * with --check-weights every weight finite), so a file inspect accepts is a file
 * embed accepts.  Names and strings from the file are printed with control
 * characters escaped (xl_utf8_escape_controls). */
#include <inttypes.h>
#include <stdint.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "bert.h"
#include "wordpiece.h"
#include "xl_cli.h"
#include "xl_kernels.h"
#include "xl_model.h"
#include "xl_model_tokenizer.h"
#include "xl_parse.h"
#include "xl_utf8.h"

/* s (len bytes, or strlen when len == SIZE_MAX) with control characters escaped, in b. */
static const char *safe(xl_buf *b, const char *s, size_t len)
{
    xl_buf_clear(b);
    if (s == NULL) return "";
    if (len == SIZE_MAX) len = strlen(s);
    if (xl_utf8_escape_controls(s, len, b, NULL) < 0 || b->data == NULL) return "?";
    return b->data;
}

/* The loader's semantic checks (nn/bert.c, weights/xl_model_tokenizer.c) for the architectures
 * embed runs; other files get the structural checks of xl_model_open only. */
static int check_like_loader(const xl_model *m, bool check_weights, xl_error *err)
{
    if (check_weights)
        for (size_t i = 0; i < xl_model_tensor_count(m); i++) {
            const xl_tensor *t = xl_model_tensor_at(m, i);
            size_t bad = xl_first_nonfinite(t->data, t->count);
            if (bad < t->count)
                return xl_fail(err, XL_ERR_FORMAT, "%s: tensor '%s' holds a non-finite value (%g) at flat index %zu",
                               xl_model_path(m), t->name, (double)t->data[bad], bad);
        }
    const char *arch = xl_model_meta_string(m, "arch");
    if (arch == NULL && xl_model_meta_find(m, "hidden_size") == NULL) return 0; /* not an encoder file */
    xl_kernels k;
    if (xl_kernels_init(&k, XL_SIMD_SCALAR, 1, err) < 0) return -1;
    xl_bert *b = NULL;
    int rc = xl_bert_from_model(&b, m, &k, err);
    xl_bert_free(b);
    xl_kernels_free(&k);
    if (rc < 0) return -1;
    if (xl_model_vocab_count(m) > 0) {
        xl_wordpiece *wp = xl_model_tokenizer(m, err);
        if (wp == NULL) return -1;
        xl_wordpiece_free(wp);
    }
    return 0;
}

int cmd_inspect(int argc, char **argv)
{
    bool no_tensors = false, check_weights = false;
    int64_t n_tokens = 0;
    const xl_option opts[] = {
        {"no-tensors", 0, XL_OPT_FLAG, &no_tensors, NULL, "omit the tensor table", 0, 0, NULL},
        {"tokens", 0, XL_OPT_INT, &n_tokens, "N", "also list the first N vocabulary tokens", 0, 1e9, NULL},
        {"check-weights", 0, XL_OPT_FLAG, &check_weights, NULL,
         "also check that every weight is finite (reads every tensor)", 0, 0, NULL},
        {0}};
    const xl_command_spec spec = {"inspect", "xlrec inspect [--no-tensors] [--tokens N] [--check-weights] MODEL",
                                  "Validate an xlrec model file as `xlrec embed` loads it (structure, configuration,\n"
                                  "tensor shapes, tokenizer; --check-weights: finite weights) and print its metadata,\n"
                                  "vocabulary size, tensor table (name, dtype, shape, offset, bytes) and parameter\n"
                                  "count.  Control characters in names and strings are printed escaped (\\xNN).",
                                  opts, 1, 1};
    xl_args args;
    int rc = xl_cli_parse(&spec, argc, argv, &args);
    if (rc != XL_CLI_CONTINUE) return rc;
    xl_error err;
    xl_error_clear(&err);
    xl_model *m;
    if (xl_model_open(&m, args.positional[0], &err) < 0) return xl_cli_runtime_error(&err);
    if (check_like_loader(m, check_weights, &err) < 0) {
        xl_model_close(m);
        return xl_cli_runtime_error(&err);
    }
    xl_buf b1, b2;
    xl_buf_init(&b1);
    xl_buf_init(&b2);
    printf("file\t%s\nformat_version\t%" PRIu32 "\nfile_size\t%zu\nmapped\t%s\n", safe(&b1, xl_model_path(m), SIZE_MAX),
           xl_model_version(m), xl_model_file_size(m), xl_model_is_mapped(m) ? "yes" : "no");
    printf("\n# metadata (%zu)\n", xl_model_meta_count(m));
    for (size_t i = 0; i < xl_model_meta_count(m); i++) {
        const xl_meta *e = xl_model_meta_at(m, i);
        const char *key = safe(&b1, e->key, SIZE_MAX);
        switch (e->type) {
        case XL_META_INT: printf("%s\t%" PRId64 "\n", key, e->i); break;
        case XL_META_DOUBLE: printf("%s\t%.17g\n", key, e->d); break;
        case XL_META_BOOL: printf("%s\t%s\n", key, e->i ? "true" : "false"); break;
        case XL_META_STRING: printf("%s\t\"%s\"\n", key, safe(&b2, e->s, e->s_len)); break;
        }
    }
    printf("\n# vocabulary: %zu tokens%s\n", xl_model_vocab_count(m),
           xl_model_vocab_count(m) ? "" : " (token ids only: embed --input ids)");
    for (size_t i = 0; i < (size_t)n_tokens && i < xl_model_vocab_count(m); i++) {
        size_t len = 0;
        const char *tok = xl_model_vocab_token(m, i, &len);
        printf("%zu\t%s\n", i, safe(&b1, tok, len));
    }
    if (!no_tensors) {
        printf("\n# tensors (%zu)\nname\tdtype\tshape\toffset\tbytes\n", xl_model_tensor_count(m));
        for (size_t i = 0; i < xl_model_tensor_count(m); i++) {
            const xl_tensor *t = xl_model_tensor_at(m, i);
            char sh[128];
            printf("%s\t%s\t%s\t%" PRIu64 "\t%" PRIu64 "\n", safe(&b1, t->name, SIZE_MAX), xl_dtype_name(t->dtype),
                   xl_shape_str(t->rank, t->shape, sh, sizeof sh), t->offset, t->nbytes);
        }
    }
    printf("\nparameters\t%" PRIu64 "\n", xl_model_param_count(m));
    if (check_weights) printf("weights\tall finite\n");
    xl_buf_free(&b1);
    xl_buf_free(&b2);
    xl_model_close(m);
    if (fflush(stdout) != 0) {
        xl_fail(&err, XL_ERR_IO, "stdout: write failed");
        return xl_cli_runtime_error(&err);
    }
    return XL_EXIT_OK;
}
