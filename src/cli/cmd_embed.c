/* cmd_embed.c - `xlrec embed --model MODEL [options] [FILE|-]`: one sentence
 * embedding per input line (text, or pre-tokenised ids with --input ids), in
 * input order, as TSV or .npy.  --pooling none writes every token's final
 * hidden state instead (TSV: one row per token, a blank line between
 * sequences; npy: [n_lines, longest, H] with zero rows past each length).
 * Text is tokenised with the WordPiece vocabulary and flags embedded in the
 * model file (tokenizer/wordpiece.h), truncated to --max-len (default: the
 * model's max_seq_len) with a warning count on stderr. */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xl_alloc.h"
#include "xl_cli.h"
#include "xl_embedder.h"
#include "xl_io.h"
#include "xl_npy.h"
#include "xl_parse.h"
#include "xl_thread.h"

static int seq_push(xl_embedder_tokens *s, int32_t id, xl_error *err)
{
    int32_t *a = xl_array_reserve(s->ids, &s->cap, s->len + 1, 64, err);
    if (a == NULL) return -1;
    s->ids = a;
    s->ids[s->len++] = id;
    return 0;
}

/* "3 17 42<TAB>0 0 1" -> ids (and type ids); only the first `keep` are stored (the rest are
 * checked and counted, s->truncated set), so a 96 MB line costs the kept tokens. */
static int parse_ids_line(const char *line, size_t len, const char *path, uint64_t lineno, size_t keep,
                          xl_embedder_tokens *s, xl_error *err)
{
    size_t total = 0;
    s->len = 0;
    s->specials = false; /* the ids are the model input as given */
    const char *tab = memchr(line, '\t', len);
    size_t ids_end = tab ? (size_t)(tab - line) : len;
    for (size_t i = 0; i < ids_end;) {
        while (i < ids_end && line[i] == ' ') i++;
        size_t j = i;
        while (j < ids_end && line[j] != ' ') j++;
        if (j == i) break;
        int64_t v;
        if (xl_parse_i64_range(line + i, j - i, 0, INT32_MAX, &v, err) < 0)
            return xl_error_prefix(err, "%s:%" PRIu64 ": token id", path, lineno);
        if (total < keep && seq_push(s, (int32_t)v, err) < 0) return -1;
        total++;
        i = j;
    }
    s->truncated = total > keep;
    if (total == 0) return xl_fail(err, XL_ERR_FORMAT, "%s:%" PRIu64 ": no token ids", path, lineno);
    free(s->type_ids);
    s->type_ids = NULL;
    s->type_cap = 0;
    if (tab != NULL) {
        s->type_ids = xl_calloc(s->len, sizeof *s->type_ids, err);
        if (s->type_ids == NULL) return -1;
        size_t n = 0;
        for (size_t i = ids_end + 1; i < len;) {
            while (i < len && line[i] == ' ') i++;
            size_t j = i;
            while (j < len && line[j] != ' ') j++;
            if (j == i) break;
            int64_t v;
            if (xl_parse_i64_range(line + i, j - i, 0, INT32_MAX, &v, err) < 0)
                return xl_error_prefix(err, "%s:%" PRIu64 ": token type id", path, lineno);
            if (n < s->len) s->type_ids[n] = (int32_t)v;
            n++;
            i = j;
        }
        if (n != total)
            return xl_fail(err, XL_ERR_FORMAT, "%s:%" PRIu64 ": %zu token ids but %zu token type ids", path, lineno,
                           total, n);
    }
    return 0;
}

typedef struct {
    xl_embedder *emb;
    size_t dim;        /* pooled row width, or the hidden size for pooling none */
    bool token_rows;   /* pooling none */
    bool tsv;
    FILE *out;
    const char *out_path;
    xl_buf npy;        /* npy: all rows, appended as raw floats */
    size_t npy_rows;   /* pooled rows, or sequences for pooling none */
    size_t npy_longest;
    xl_buf line;
    float *pooled;
    size_t pooled_cap;
    size_t n_truncated;
    const char *in_path;
    size_t first_line; /* input line of the batch's first sequence */
    bool line_named;   /* the error message already names the input line */
} runner;

/* Never exit 0 with NaN/inf in the output: name the input line, the token and the dimension. */
static int check_finite(runner *r, size_t seq, const float *v, size_t n, size_t row_len, xl_error *err)
{
    size_t bad = xl_first_nonfinite(v, n);
    if (bad == n) return 0;
    r->line_named = true;
    char where[64] = "";
    if (row_len < n) snprintf(where, sizeof where, "token %zu, ", bad / row_len); /* --pooling none: every token */
    return xl_fail(err, XL_ERR_FORMAT, "%s:%zu: the model produced a non-finite value (%g) at %sdimension %zu (check "
                   "the weights with `xlrec inspect --check-weights`)", r->in_path, r->first_line + seq, (double)v[bad],
                   where, bad % row_len);
}

static int write_row(runner *r, const float *v, size_t n, xl_error *err)
{
    xl_buf_clear(&r->line);
    for (size_t j = 0; j < n; j++)
        if (xl_buf_printf(&r->line, err, "%s%.9g", j ? "\t" : "", (double)v[j]) < 0) return -1;
    if (xl_buf_putc(&r->line, '\n', err) < 0) return -1;
    return xl_fwrite_exact(r->line.data, r->line.len, r->out, r->out_path, err);
}

/* pooling none: one sequence's token rows [len, H] */
static int token_rows(void *ctx, size_t i, const float *rows, size_t len, size_t H, xl_error *err)
{
    runner *r = ctx;
    if (check_finite(r, i, rows, len * H, H, err) < 0) return -1;
    if (r->tsv) {
        for (size_t p = 0; p < len; p++)
            if (write_row(r, rows + p * H, H, err) < 0) return -1;
        return xl_fwrite_exact("\n", 1, r->out, r->out_path, err);
    }
    /* store length then rows; padded when the header is known */
    uint64_t len64 = len;
    if (xl_buf_append(&r->npy, &len64, sizeof len64, err) < 0 ||
        xl_buf_append(&r->npy, rows, len * H * sizeof(float), err) < 0)
        return -1;
    if (len > r->npy_longest) r->npy_longest = len;
    r->npy_rows++;
    return 0;
}

static int run_batch(runner *r, const xl_embedder_tokens *seqs, size_t n, xl_error *err)
{
    if (n == 0) return 0;
    xl_embedder_stats st;
    if (r->token_rows) {
        if (xl_embedder_token_states(r->emb, seqs, n, token_rows, r, &st, err) != 0) return -1;
        r->n_truncated += st.n_truncated;
        return 0;
    }
    const size_t D = r->dim;
    if (n * D > r->pooled_cap) {
        free(r->pooled);
        r->pooled = xl_calloc(n * D, sizeof(float), err);
        if (r->pooled == NULL) return -1;
        r->pooled_cap = n * D;
    }
    if (xl_embedder_embed_tokens(r->emb, seqs, n, r->pooled, &st, err) < 0) return -1;
    r->n_truncated += st.n_truncated;
    for (size_t s = 0; s < n; s++) {
        if (check_finite(r, s, r->pooled + s * D, D, D, err) < 0) return -1;
        if (r->tsv) {
            if (write_row(r, r->pooled + s * D, D, err) < 0) return -1;
        } else {
            if (xl_buf_append(&r->npy, r->pooled + s * D, D * sizeof(float), err) < 0) return -1;
            r->npy_rows++;
        }
    }
    return 0;
}

static int finish_npy(runner *r, xl_error *err)
{
    const size_t H = r->dim;
    if (!r->token_rows) {
        size_t shape[2] = {r->npy_rows, r->dim};
        if (xl_npy_write_header(r->out, r->out_path, 2, shape, err) < 0) return -1;
        return xl_npy_write_f32(r->out, r->out_path, (const float *)(const void *)r->npy.data, shape[0] * shape[1], err);
    }
    size_t shape[3] = {r->npy_rows, r->npy_longest, H};
    if (xl_npy_write_header(r->out, r->out_path, 3, shape, err) < 0) return -1;
    float *zeros = xl_calloc(H ? H : 1, sizeof(float), err);
    if (zeros == NULL) return -1;
    size_t pos = 0;
    int rc = 0;
    for (size_t s = 0; s < r->npy_rows && rc == 0; s++) {
        uint64_t len64;
        memcpy(&len64, r->npy.data + pos, sizeof len64);
        pos += sizeof len64;
        float *rows = xl_malloc(len64 * H * sizeof(float) + 1, err);
        if (rows == NULL) {
            rc = -1;
            break;
        }
        memcpy(rows, r->npy.data + pos, (size_t)len64 * H * sizeof(float));
        pos += (size_t)len64 * H * sizeof(float);
        rc = xl_npy_write_f32(r->out, r->out_path, rows, (size_t)len64 * H, err);
        free(rows);
        for (size_t p = (size_t)len64; p < r->npy_longest && rc == 0; p++)
            rc = xl_npy_write_f32(r->out, r->out_path, zeros, H, err);
    }
    free(zeros);
    return rc;
}

/* A forward pass failed for the batch of lines first..last: name the line when there is one. */
static void batch_error(xl_error *err, const char *path, size_t first, size_t last)
{
    if (first == last)
        xl_error_prefix(err, "%s:%zu", path, first);
    else
        xl_error_prefix(err, "%s: lines %zu..%zu", path, first, last);
}

int cmd_embed(int argc, char **argv)
{
    xl_embedder_options eo;
    xl_embedder_options_default(&eo);
    const char *model_path = NULL, *wv_path = NULL, *pooling_s = "default", *format = "tsv", *input = "text",
               *out_path = "-";
    const char *simd = "auto";
    bool normalize = false, no_normalize = false;
    int64_t batch = (int64_t)eo.batch, threads = eo.threads, max_len = (int64_t)eo.max_len;
    const xl_option opts[] = {
        {"model", 'm', XL_OPT_STRING, &model_path, "MODEL",
         "model file from `xlrec convert` or `train-encoder` (absent: the shipped encoder " XL_DATA_ENCODER
         ", from $XLREC_DATA, the installed data directory or the source tree)", 0, 0, NULL},
        {"word-vectors", 'w', XL_OPT_OPTIONAL_STRING, &wv_path, "FILE",
         "the word-vector baseline instead of an encoder (no FILE: $XLREC_WORD_VECTORS, else the shipped "
         XL_DATA_WORD_VECTORS "); --pooling default = SIF over the whole input, or mean", 0, 0, NULL},
        {"pooling", 'p', XL_OPT_CHOICE, &pooling_s, NULL,
         "sentence pooling ('default': the model's); none = every token's hidden state", 0, 0,
         "default|cls|mean|max|mean_sqrt_len|pooler|none"},
        {"normalize", 0, XL_OPT_FLAG, &normalize, NULL, "L2-normalise the embeddings (default: the model's)", 0, 0, NULL},
        {"no-normalize", 0, XL_OPT_FLAG, &no_normalize, NULL, "do not L2-normalise", 0, 0, NULL},
        {"batch", 'b', XL_OPT_INT, &batch, "N", "sequences per forward pass", 1, 1024, NULL},
        {"threads", 't', XL_OPT_INT, &threads, "N", "threads (0 = all CPUs)", 0, XL_MAX_THREADS, NULL},
        {"max-len", 0, XL_OPT_INT, &max_len, "N", "truncate to N tokens (0: the model's max_seq_len)", 0, 1 << 20,
         NULL},
        {"format", 'f', XL_OPT_CHOICE, &format, NULL, "output format", 0, 0, "tsv|npy"},
        {"input", 'i', XL_OPT_CHOICE, &input, NULL,
         "text lines, or token ids per line (\"2 17 3\", optionally TAB and token type ids)", 0, 0, "text|ids"},
        {"output", 'o', XL_OPT_STRING, &out_path, "FILE", "output file ('-' = standard output)", 0, 0, NULL},
        {"simd", 0, XL_OPT_CHOICE, &simd, NULL, "kernel code path (auto: best; $XLREC_SIMD)", 0, 0,
         "auto|scalar|avx2|avx512|neon"},
        {0}};
    const xl_command_spec spec = {
        "embed",
        "xlrec embed [--model MODEL | --word-vectors [FILE]] [--pooling P] [--normalize] [--batch N]\n"
        "            [--threads N] [--max-len N] [--format tsv|npy] [--input text|ids] [-o FILE] [FILE|-]",
        "Embed each input line with a BERT/DistilBERT model file (absent: the shipped encoder): one vector\n"
        "per line, in input order\n"
        "(TSV rows or a float32 .npy [lines, dim]).  --pooling none writes every token's final hidden\n"
        "state (TSV: a row per token, a blank line between sequences; npy: [lines, longest, hidden],\n"
        "zero rows past each length).  --input ids reads token ids instead of text, so any\n"
        "HuggingFace output can be compared without writing code.  See docs/encoder.md.",
        opts, 0, 1};
    xl_args args;
    int rc = xl_cli_parse(&spec, argc, argv, &args);
    if (rc != XL_CLI_CONTINUE) return rc;
    if (model_path && wv_path) return xl_cli_usage_error(&spec, "--model and --word-vectors exclude each other");
    if (normalize && no_normalize) return xl_cli_usage_error(&spec, "--normalize and --no-normalize conflict");
    bool words = wv_path != NULL;
    if (words && strcmp(input, "ids") == 0)
        return xl_cli_usage_error(&spec, "--input ids needs a model (word vectors read text)");
    if (words && strcmp(pooling_s, "default") != 0 && strcmp(pooling_s, "mean") != 0)
        return xl_cli_usage_error(&spec, "--pooling %s: word vectors pool by default (SIF) or mean", pooling_s);
    xl_error err;
    xl_error_clear(&err);
    char default_path[XL_DATAPATH_MAX]; /* the shipped encoder or word vectors */
    if (words ? !*wv_path : !model_path) {
        xl_embedder_kind found = XL_EMBEDDER_WORD_VECTORS;
        if ((words ? xl_embedder_default_path(XL_EMBEDDER_WORD_VECTORS, default_path, sizeof default_path, &err)
                   : xl_embedder_default(&found, default_path, sizeof default_path, &err)) < 0)
            return xl_cli_runtime_error(&err);
        if (!words && found == XL_EMBEDDER_WORD_VECTORS) {
            /* no encoder shipped: the word-vector baseline is the default */
            words = true;
            wv_path = "";
            if (strcmp(input, "ids") == 0)
                return xl_cli_usage_error(&spec, "--input ids needs a model (no encoder is shipped: give --model)");
            if (strcmp(pooling_s, "default") != 0 && strcmp(pooling_s, "mean") != 0)
                return xl_cli_usage_error(&spec, "--pooling %s: no encoder is shipped and word vectors pool by "
                                          "default (SIF) or mean: give --model", pooling_s);
        }
        if (words) wv_path = default_path;
        else model_path = default_path;
    }
    const char *in_path = args.n_positional ? args.positional[0] : "-";
    const char *inputs[] = {words ? wv_path : model_path, in_path};
    if ((rc = xl_cli_check_output(&spec, out_path, inputs, 2)) != XL_CLI_CONTINUE) return rc;
    if (words) {
        eo.pooling = strcmp(pooling_s, "mean") == 0 ? SENTVEC_MEAN : SENTVEC_SIF;
    } else if (xl_pooling_parse(pooling_s, &eo.bert_pooling, &err) < 0) {
        return xl_cli_usage_error(&spec, "%s", err.msg);
    }
    if (xl_simd_path_parse(simd, &eo.simd, &err) < 0) return xl_cli_usage_error(&spec, "%s", err.msg);
    eo.kind = words ? XL_EMBEDDER_WORD_VECTORS : XL_EMBEDDER_BERT;
    eo.threads = (int)threads;
    eo.batch = (size_t)batch;
    eo.max_len = (size_t)max_len;
    eo.normalize_default = !normalize && !no_normalize;
    eo.normalize = normalize;

    xl_lines lines;
    bool lines_open = false;
    size_t limit = 0; /* the truncation length in use (known once the model is open) */
    xl_output output;
    xl_embedder_tokens *seqs = NULL;
    runner r;
    memset(&r, 0, sizeof r);
    xl_buf_init(&r.npy);
    xl_buf_init(&r.line);
    size_t n_lines = 0;
    rc = -1;

    if (xl_embedder_open(&r.emb, words ? wv_path : model_path, &eo, &err) < 0) goto done;
    bool text = strcmp(input, "text") == 0;
    limit = xl_embedder_max_len(r.emb);
    r.dim = xl_embedder_dim(r.emb);
    r.token_rows = eo.bert_pooling == XL_POOL_NONE;
    r.tsv = strcmp(format, "tsv") == 0;
    r.out_path = out_path;
    r.in_path = in_path;
    if (xl_output_open(&output, out_path, &err) < 0) goto done; /* temporary file, renamed at the end */
    r.out = output.f;
    if (words) { /* SIF removes the first principal component of the whole input: one call */
        float *rows = NULL;
        xl_embedder_stats st;
        if (xl_embedder_embed_file(r.emb, in_path, 0, &rows, &n_lines, &st, &err) < 0) goto done;
        int wrc = 0;
        r.first_line = 1;
        for (size_t i = 0; i < n_lines && wrc == 0; i++) {
            const float *v = rows + i * r.dim;
            if ((wrc = check_finite(&r, i, v, r.dim, r.dim, &err)) < 0) break;
            if (r.tsv) wrc = write_row(&r, v, r.dim, &err);
            else if ((wrc = xl_buf_append(&r.npy, v, r.dim * sizeof(float), &err)) == 0) r.npy_rows++;
        }
        free(rows);
        if (wrc < 0) goto done;
        if (st.n_empty)
            fprintf(stderr, "xlrec embed: %zu of %zu lines without a known word (zero vectors)\n", st.n_empty, n_lines);
        if (!r.tsv && finish_npy(&r, &err) < 0) goto done;
        rc = 0;
        goto done;
    }
    seqs = xl_calloc((size_t)batch, sizeof *seqs, &err);
    if (seqs == NULL) goto done;
    if (xl_lines_open(&lines, in_path, &err) < 0) goto done;
    lines_open = true;
    const char *line;
    size_t len, n = 0;
    int lr;
    while ((lr = xl_lines_next(&lines, &line, &len, &err)) > 0) {
        xl_embedder_tokens *s = &seqs[n];
        if (text) {
            if (xl_embedder_tokenize(r.emb, line, len, s, &err) < 0) {
                xl_error_prefix(&err, "%s:%" PRIu64, in_path, lines.lineno);
                goto done;
            }
        } else {
            if (parse_ids_line(line, len, in_path, lines.lineno, limit, s, &err) < 0) goto done;
            if (xl_bert_check_ids(xl_embedder_bert(r.emb), s->ids, s->type_ids, s->len, &err) < 0) {
                xl_error_prefix(&err, "%s:%" PRIu64, in_path, lines.lineno); /* name the line, not the batch */
                goto done;
            }
        }
        n_lines++;
        if (++n == (size_t)batch) {
            r.first_line = n_lines - n + 1;
            if (run_batch(&r, seqs, n, &err) < 0) {
                if (!r.line_named) batch_error(&err, in_path, n_lines - n + 1, n_lines);
                goto done;
            }
            n = 0;
        }
    }
    if (lr < 0) goto done;
    r.first_line = n_lines - n + 1;
    if (run_batch(&r, seqs, n, &err) < 0) {
        if (!r.line_named) batch_error(&err, in_path, n_lines - n + 1, n_lines);
        goto done;
    }
    if (!r.tsv && finish_npy(&r, &err) < 0) goto done;
    rc = 0;
done:
    if (lines_open) xl_lines_close(&lines);
    if (r.out != NULL) {
        if (rc == 0)
            rc = xl_output_commit(&output, &err);
        else
            xl_output_abort(&output);
    }
    if (seqs != NULL)
        for (size_t i = 0; i < (size_t)batch; i++) xl_embedder_tokens_free(&seqs[i]);
    free(seqs);
    free(r.pooled);
    xl_buf_free(&r.npy);
    xl_buf_free(&r.line);
    xl_embedder_free(r.emb);
    if (rc < 0) return xl_cli_runtime_error(&err);
    if (r.n_truncated)
        fprintf(stderr, "xlrec: warning: %zu of %zu sequence(s) truncated to %zu tokens\n", r.n_truncated, n_lines,
                limit);
    return XL_EXIT_OK;
}
