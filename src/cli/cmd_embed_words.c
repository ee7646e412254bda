/* cmd_embed_words.c - `xlrec embed-words --word-vectors FILE [FILE]`: one
 * embedding per input line from word vectors, by mean or SIF pooling
 * (src/embed: xl_embedder.h, sentvec.h).  Output: .npy (float32, lines x dim) or text rows. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xl_cli.h"
#include "xl_embedder.h"
#include "xl_io.h"
#include "xl_npy.h"
#include "xl_thread.h"

int cmd_embed_words(int argc, char **argv)
{
    xl_embedder_options eo;
    xl_embedder_options_default(&eo);
    const char *vectors = NULL, *counts = NULL, *output = "-", *pooling = "sif", *format = NULL;
    double sif_a = eo.sif_a;
    int64_t max_words = (int64_t)eo.max_words, threads = eo.threads;
    bool raw = false, no_pc = false, normalize = false;
    const xl_option opts[] = {
        {"word-vectors", 'w', XL_OPT_OPTIONAL_STRING, &vectors, "FILE",
         "word2vec file, text or binary (absent, or no FILE: $XLREC_WORD_VECTORS, else the shipped "
         XL_DATA_WORD_VECTORS " from $XLREC_DATA, the installed data directory or the source tree)", 0, 0, NULL},
        {"pooling", 'p', XL_OPT_CHOICE, &pooling, NULL, "mean or SIF (smooth inverse frequency)", 0, 0, "mean|sif"},
        {"counts", 'c', XL_OPT_STRING, &counts, "FILE", "unigram counts for SIF (absent: Zipf from row rank)", 0, 0,
         NULL},
        {"sif-a", 0, XL_OPT_DOUBLE, &sif_a, "A", "SIF parameter a", 1e-12, 1, NULL},
        {"no-pc-removal", 0, XL_OPT_FLAG, &no_pc, NULL, "SIF without removing the first principal component", 0, 0,
         NULL},
        {"normalize", 0, XL_OPT_FLAG, &normalize, NULL, "L2-normalise every output row", 0, 0, NULL},
        {"max-words", 0, XL_OPT_INT, &max_words, "N", "use only the first N word vectors (0 = all)", 0, 0, NULL},
        {"raw", 0, XL_OPT_FLAG, &raw, NULL, "input already tokenised (skip NFKC/casefold/punctuation removal)", 0, 0,
         NULL},
        {"threads", 't', XL_OPT_INT, &threads, "N", "threads (0 = all CPUs); the output does not depend on it", 0,
         XL_MAX_THREADS, NULL},
        {"output", 'o', XL_OPT_STRING, &output, "FILE", "output file ('-' = stdout)", 0, 0, NULL},
        {"format", 'f', XL_OPT_CHOICE, &format, NULL, "npy or txt (absent: npy when --output ends in .npy)", 0, 0,
         "npy|txt"},
        {0}};
    const xl_command_spec spec = {
        "embed-words", "xlrec embed-words [--word-vectors FILE] [--pooling sif|mean] [-o OUT.npy] [FILE|-]",
        "Embed each input line from word vectors: mean of the known words' vectors, or SIF\n"
        "(weights a/(a+p(w)), first principal component removed; Arora et al. 2017).\n"
        "Unknown words are skipped; a line without known words gets the zero vector (counted on stderr).",
        opts, 0, 1};
    xl_args args;
    int rc = xl_cli_parse(&spec, argc, argv, &args);
    if (rc != XL_CLI_CONTINUE) return rc;
    xl_error err;
    xl_error_clear(&err);
    char default_path[XL_DATAPATH_MAX]; /* the shipped word vectors */
    if (!vectors || !*vectors) {
        if (xl_embedder_default_path(XL_EMBEDDER_WORD_VECTORS, default_path, sizeof default_path, &err) < 0)
            return xl_cli_runtime_error(&err);
        vectors = default_path;
    }
    bool npy = format ? strcmp(format, "npy") == 0
                      : (strlen(output) > 4 && strcmp(output + strlen(output) - 4, ".npy") == 0);
    const char *path = args.n_positional ? args.positional[0] : "-";
    const char *inputs[] = {vectors, counts, path};
    if ((rc = xl_cli_check_output(&spec, output, inputs, 3)) != XL_CLI_CONTINUE) return rc;
    bool sif = strcmp(pooling, "sif") == 0;
    eo.kind = XL_EMBEDDER_WORD_VECTORS;
    eo.threads = (int)threads;
    eo.pooling = sif ? SENTVEC_SIF : SENTVEC_MEAN;
    eo.remove_pc = !no_pc;
    eo.normalize = normalize;
    eo.sif_a = sif_a;
    eo.counts_path = counts;
    eo.max_words = (size_t)max_words;
    eo.raw = raw;
    xl_embedder *e;
    if (xl_embedder_open(&e, vectors, &eo, &err) < 0) return xl_cli_runtime_error(&err);
    size_t dim = xl_embedder_dim(e);
    float *emb = NULL;
    size_t n = 0;
    xl_embedder_stats st;
    rc = -1;
    if (xl_embedder_embed_file(e, path, 0, &emb, &n, &st, &err) < 0) goto done;
    if (npy) {
        size_t shape[2] = {n, dim};
        if (xl_npy_write(output, emb, 2, shape, &err) < 0) goto done;
    } else {
        xl_output out;
        if (xl_output_open(&out, output, &err) < 0) goto done;
        for (size_t i = 0; i < n; i++)
            for (size_t j = 0; j < dim; j++) fprintf(out.f, "%.6g%c", emb[i * dim + j], j + 1 == dim ? '\n' : ' ');
        if (xl_output_commit(&out, &err) < 0) goto done;
    }
    fprintf(stderr, "xlrec embed-words: %zu lines x %zu dims, %zu without any known word (zero vectors)\n", n, dim,
            st.n_empty);
    rc = 0;
done:
    free(emb);
    xl_embedder_free(e);
    return rc < 0 ? xl_cli_runtime_error(&err) : XL_EXIT_OK;
}
