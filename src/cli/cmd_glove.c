/* cmd_glove.c - `xlrec glove vocab|cooccur|shuffle|train|compare|dump`
 *
 * The four tools of Stanford GloVe with their options and defaults
 * (vocab_count, cooccur, shuffle, glove); the reference's single-dash
 * spelling (-min-count 5, -window-size 15 ...) is accepted, and the corpus or
 * co-occurrence input may be given as an option instead of stdin.
 *   compare  two co-occurrence files: same (i, j) set and largest difference
 *   dump     a co-occurrence file as "i j value" (or words with --vocab)
 * Docs: docs/glove.md.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "glove.h"
#include "w2v_vectors.h"
#include "xl_cli.h"
#include "xl_platform.h"
#include "xl_thread.h"

static int parse(const xl_command_spec *spec, const xl_option *opts, int argc, char **argv, xl_args *args)
{
    char store[64][64];
    xl_cli_accept_single_dash(opts, argc, argv, store, 64);
    return xl_cli_parse(spec, argc, argv, args);
}

static int glove_vocab_cmd(int argc, char **argv)
{
    const char *corpus = "-", *output = "-";
    int64_t min_count = 1, max_vocab = 0, verbose = 1;
    const xl_option opts[] = {
        {"corpus", 0, XL_OPT_STRING, &corpus, "FILE", "text, one document per line ('-' = stdin, default)", 0, 0, NULL},
        {"output", 'o', XL_OPT_STRING, &output, "FILE", "vocabulary \"word count\" lines ('-' = stdout, default)", 0, 0,
         NULL},
        {"min-count", 0, XL_OPT_INT, &min_count, "N", "drop words seen fewer times", 1, 9e18, NULL},
        {"max-vocab", 0, XL_OPT_INT, &max_vocab, "N", "keep the N most frequent words (0 = all)", 0, 0, NULL},
        {"verbose", 0, XL_OPT_INT, &verbose, "N", "0 = quiet", 0, 2, NULL},
        {0}};
    const xl_command_spec spec = {
        "glove vocab", "xlrec glove vocab [--corpus FILE] [--output FILE] [--min-count N] [--max-vocab N]",
        "Count the words of a corpus like GloVe's vocab_count: descending count, ties by bytes.", opts, 0, 0};
    xl_args args;
    int rc = parse(&spec, opts, argc, argv, &args);
    if (rc != XL_CLI_CONTINUE) return rc;
    xl_error err;
    xl_error_clear(&err);
    if (xl_glove_check_not_input(output, corpus, &err) < 0) return xl_cli_runtime_error(&err);
    xl_glove_vocab v;
    xl_glove_vocab_stats st;
    double t0 = xl_time_now();
    if (xl_glove_vocab_count(corpus, (uint64_t)min_count, (uint64_t)max_vocab, &v, &st, &err) < 0)
        return xl_cli_runtime_error(&err);
    rc = xl_glove_vocab_write(output, &v, &err);
    if (rc == 0 && verbose)
        fprintf(stderr, "Processed %llu tokens, %llu unique words; vocabulary of %zu words (%.2f s)\n",
                (unsigned long long)st.tokens, (unsigned long long)st.unique_words, v.words.n, xl_time_now() - t0);
    xl_glove_vocab_free(&v);
    return rc < 0 ? xl_cli_runtime_error(&err) : 0;
}

static int glove_cooccur_cmd(int argc, char **argv)
{
    const char *corpus = "-", *output = "-", *vocab_file = "vocab.txt", *overflow = NULL;
    int64_t window = 15, symmetric = 1, weighting = 1, max_product = 0, overflow_length = 0, verbose = 1;
    double memory = 3.0;
    const xl_option opts[] = {
        {"corpus", 0, XL_OPT_STRING, &corpus, "FILE", "text, one document per line ('-' = stdin, default)", 0, 0, NULL},
        {"vocab-file", 0, XL_OPT_STRING, &vocab_file, "FILE", "vocabulary from `glove vocab`", 0, 0,
         NULL},
        {"output", 'o', XL_OPT_STRING, &output, "FILE", "co-occurrence records ('-' = stdout, default)", 0, 0, NULL},
        {"window-size", 0, XL_OPT_INT, &window, "N", "context words on each side", 1, 100000, NULL},
        {"symmetric", 0, XL_OPT_INT, &symmetric, "0|1", "1 = left and right context 0 = left only", 0, 1,
         NULL},
        {"distance-weighting", 0, XL_OPT_INT, &weighting, "0|1", "1 = add 1/d 0 = add 1", 0, 1, NULL},
        {"memory", 0, XL_OPT_DOUBLE, &memory, "GB", "soft memory limit in GiB (the reference code's)",
         1e-12, 1e6, NULL},
        {"max-product", 0, XL_OPT_INT, &max_product, "N", "dense table: rank product below N (overrides --memory)", 1,
         9e18, NULL},
        {"overflow-length", 0, XL_OPT_INT, &overflow_length, "N",
         "records buffered before a sorted run goes to disk (overrides --memory)", 1, 9e18, NULL},
        {"overflow-file", 0, XL_OPT_STRING, &overflow, "PREFIX",
         "temporary runs PREFIX_0001.bin ... (absent: OUTPUT.overflow, or overflow)", 0, 0, NULL},
        {"verbose", 0, XL_OPT_INT, &verbose, "N", "0 = quiet", 0, 3, NULL},
        {0}};
    const xl_command_spec spec = {
        "glove cooccur",
        "xlrec glove cooccur --vocab-file FILE [--corpus FILE] [--output FILE] [--window-size N] [--symmetric 0|1]\n"
        "                    [--memory GB | --max-product N --overflow-length N] [--overflow-file PREFIX]",
        "Word-word co-occurrence counts like GloVe's cooccur: 1/d weighting within the window, sorted\n"
        "{int32, int32, float64} records.  Beyond the memory limit, sorted runs go to temporary files\n"
        "and are merged.",
        opts, 0, 0};
    xl_args args;
    int rc = parse(&spec, opts, argc, argv, &args);
    if (rc != XL_CLI_CONTINUE) return rc;
    xl_error err;
    xl_error_clear(&err);
    xl_glove_cooccur_opts o;
    xl_glove_cooccur_defaults(&o);
    o.window = (int)window;
    o.symmetric = symmetric != 0;
    o.distance_weighting = weighting != 0;
    if (xl_glove_memory_plan(memory * 1073741824.0, o.window, &o.max_product, &o.overflow_length, &err) < 0 &&
        !overflow_length)
        return xl_cli_runtime_error(&err);
    if (max_product) o.max_product = max_product;
    if (overflow_length) o.overflow_length = overflow_length;
    char *prefix = NULL;
    if (!overflow) {
        if (strcmp(output, "-") == 0) {
            overflow = "overflow";
        } else {
            size_t n = strlen(output) + 16;
            prefix = malloc(n);
            if (!prefix) {
                xl_fail(&err, XL_ERR_NOMEM, "out of memory");
                return xl_cli_runtime_error(&err);
            }
            snprintf(prefix, n, "%s.overflow", output);
            overflow = prefix;
        }
    }
    o.temp_prefix = overflow;
    if (xl_glove_check_not_input(output, vocab_file, &err) < 0) {
        free(prefix);
        return xl_cli_runtime_error(&err);
    }
    xl_glove_vocab v;
    if (xl_glove_vocab_read(vocab_file, &v, &err) < 0) {
        free(prefix);
        return xl_cli_runtime_error(&err);
    }
    xl_glove_cooccur_stats st;
    double t0 = xl_time_now();
    if (v.words.n <= (size_t)o.window) { /* the library says the same, without the file */
        xl_fail(&err, XL_ERR_USAGE,
                "%s:%zu: the vocabulary has %zu words, not more than the window of %d: every word would be in "
                "almost every context (use a smaller --window-size or a larger corpus)",
                vocab_file, v.words.n, v.words.n, o.window);
        xl_glove_vocab_free(&v);
        free(prefix);
        return xl_cli_runtime_error(&err);
    }
    rc = xl_glove_cooccur(corpus, &v, &o, output, &st, &err);
    if (rc == 0 && verbose)
        fprintf(stderr,
                "window size %d, %s; %zu words; max product %lld, overflow length %lld\n"
                "Processed %llu tokens; %llu records; %u sorted runs spilled (%.2f s)\n",
                o.window, o.symmetric ? "symmetric" : "left context only", v.words.n, (long long)o.max_product,
                (long long)o.overflow_length, (unsigned long long)st.tokens, (unsigned long long)st.records,
                st.runs_spilled, xl_time_now() - t0);
    xl_glove_vocab_free(&v);
    free(prefix);
    return rc < 0 ? xl_cli_runtime_error(&err) : 0;
}

static int glove_shuffle_cmd(int argc, char **argv)
{
    const char *input = "-", *output = "-", *temp = "temp_shuffle";
    int64_t array_size = 0, seed = 1, verbose = 1;
    double memory = 2.0;
    const xl_option opts[] = {
        {"input", 'i', XL_OPT_STRING, &input, "FILE", "co-occurrence records ('-' = stdin, default)", 0, 0, NULL},
        {"output", 'o', XL_OPT_STRING, &output, "FILE", "shuffled records ('-' = stdout, default)", 0, 0, NULL},
        {"memory", 0, XL_OPT_DOUBLE, &memory, "GB", "soft memory limit in GiB (the reference code's)", 1e-12, 1e6, NULL},
        {"array-size", 0, XL_OPT_INT, &array_size, "N", "records held in memory at once (overrides --memory)", 1, 9e18,
         NULL},
        {"temp-file", 0, XL_OPT_STRING, &temp, "PREFIX", "temporary chunks PREFIX_0000.bin ...",
         0, 0, NULL},
        {"seed", 0, XL_OPT_INT, &seed, "S", "random seed", 0, 0, NULL},
        {"verbose", 0, XL_OPT_INT, &verbose, "N", "0 = quiet", 0, 2, NULL},
        {0}};
    const xl_command_spec spec = {
        "glove shuffle", "xlrec glove shuffle [--input FILE] [--output FILE] [--memory GB | --array-size N] [--seed S]",
        "Shuffle co-occurrence records like GloVe's shuffle (chunks beyond the memory limit).", opts, 0, 0};
    xl_args args;
    int rc = parse(&spec, opts, argc, argv, &args);
    if (rc != XL_CLI_CONTINUE) return rc;
    uint64_t chunk = array_size ? (uint64_t)array_size : (uint64_t)(0.95 * memory * 1073741824.0 / 16);
    if (chunk == 0) chunk = 1;
    xl_error err;
    xl_error_clear(&err);
    unsigned chunks = 0;
    double t0 = xl_time_now();
    if (xl_glove_shuffle(input, output, chunk, (uint64_t)seed, temp, &chunks, &err) < 0)
        return xl_cli_runtime_error(&err);
    if (verbose) fprintf(stderr, "Shuffled in %u chunk(s) (%.2f s)\n", chunks, xl_time_now() - t0);
    return 0;
}

static void print_cost(void *ctx, int iteration, double cost)
{
    double *t0 = ctx;
    fprintf(stderr, "%.2f s, iter: %03d, cost: %lf\n", xl_time_now() - *t0, iteration, cost);
}

static int glove_train_cmd(int argc, char **argv)
{
    const char *input = "cooccurrence.shuf.bin", *vocab_file = "vocab.txt", *save = "vectors", *w2v_out = NULL;
    /* the training options start from the library's defaults (xl_glove_train_defaults), which --help prints */
    xl_glove_train_opts o;
    xl_glove_train_defaults(&o);
    int64_t size = o.vector_size, iter = o.iterations, threads = o.threads, binary = 0, model = 2, header = 0,
            seed = (int64_t)o.seed, verbose = 1;
    double eta = o.eta, alpha = o.alpha, x_max = o.x_max, clip = o.grad_clip;
    const xl_option opts[] = {
        {"input-file", 0, XL_OPT_STRING, &input, "FILE", "shuffled records",
         0, 0, NULL},
        {"vocab-file", 0, XL_OPT_STRING, &vocab_file, "FILE", "vocabulary", 0, 0, NULL},
        {"save-file", 0, XL_OPT_STRING, &save, "PREFIX", "writes PREFIX.txt and/or PREFIX.bin", 0, 0,
         NULL},
        {"vector-size", 0, XL_OPT_INT, &size, "N", "dimension", 1, 100000, NULL},
        {"iter", 0, XL_OPT_INT, &iter, "N", "passes over the records", 0, 100000, NULL},
        {"threads", 0, XL_OPT_INT, &threads, "N", "threads (the reference uses 8; 1 = repeatable)", 1, XL_MAX_THREADS, NULL},
        {"eta", 0, XL_OPT_DOUBLE, &eta, "X", "initial learning rate", 1e-12, 1e6, NULL},
        {"alpha", 0, XL_OPT_DOUBLE, &alpha, "X", "weighting exponent", 0, 100, NULL},
        {"x-max", 0, XL_OPT_DOUBLE, &x_max, "X", "weighting cutoff", 1e-12, 1e12, NULL},
        {"grad-clip", 0, XL_OPT_DOUBLE, &clip, "X", "gradient component clip", 1e-12, 1e12, NULL},
        {"binary", 0, XL_OPT_INT, &binary, "0|1|2",
         "0 = text 1 = binary (all parameters, + PREFIX.bin.vocab), 2 = both", 0, 2, NULL},
        {"model", 0, XL_OPT_INT, &model, "0-3", "text rows: 0 all, 1 w, 2 w + w~ 3 w then w~", 0, 3, NULL},
        {"write-header", 0, XL_OPT_INT, &header, "0|1", "first line \"ROWS DIM\" (word2vec text)", 0, 1, NULL},
        {"w2v", 0, XL_OPT_STRING, &w2v_out, "FILE", "also write the --model vectors in word2vec's binary format", 0, 0,
         NULL},
        {"seed", 0, XL_OPT_INT, &seed, "S", "random seed", 0, 0, NULL},
        {"verbose", 0, XL_OPT_INT, &verbose, "N", "1 = cost per iteration 0 = quiet", 0, 2, NULL},
        {0}};
    const xl_command_spec spec = {
        "glove train",
        "xlrec glove train --input-file FILE --vocab-file FILE --save-file PREFIX [--vector-size N] [--iter N]\n"
        "                  [--threads N] [--x-max X] [--alpha X] [--eta X] [--binary 0|1|2] [--model 0-3] [--seed S]",
        "Train GloVe vectors by AdaGrad like GloVe's glove (same update, defaults and files); prints the\n"
        "cost per iteration as the reference does.  --threads 1 is bit-for-bit repeatable.",
        opts, 0, 0};
    xl_args args;
    int rc = parse(&spec, opts, argc, argv, &args);
    if (rc != XL_CLI_CONTINUE) return rc;
    /* AdaGrad passes over the records --iter times (and seeks back to read them again), so a pipe
     * cannot be the input: refused here, before anything is read */
    if (strcmp(input, "-") == 0)
        return xl_cli_usage_error(&spec, "--input-file -: training reads the co-occurrence records once per "
                                         "iteration; give a file (glove shuffle -o FILE)");
    xl_error err;
    xl_error_clear(&err);
    /* the vocabulary is read once, before training (its words name the output rows), so
     * --vocab-file - works and the file cannot change under a long run */
    xl_glove_vocab v;
    if (xl_glove_vocab_read(vocab_file, &v, &err) < 0) return xl_cli_runtime_error(&err);
    size_t vocab_size = v.words.n;
    o.vector_size = (int)size;
    o.iterations = (int)iter;
    o.threads = (int)threads;
    o.eta = eta;
    o.alpha = alpha;
    o.x_max = x_max;
    o.grad_clip = clip;
    o.seed = (uint64_t)seed;
    double t0 = xl_time_now();
    if (verbose) {
        o.on_iteration = print_cost;
        o.ctx = &t0;
        fprintf(stderr, "vector size: %d\nvocab size: %zu\nx_max: %lf\nalpha: %lf\n", o.vector_size, vocab_size, x_max,
                alpha);
    }
    size_t n = strlen(save) + 16;
    char *path = malloc(n);
    xl_glove_model m;
    memset(&m, 0, sizeof m);
    xl_w2v_vectors vec;
    memset(&vec, 0, sizeof vec);
    rc = -1;
    if (!path) {
        xl_fail(&err, XL_ERR_NOMEM, "out of memory");
        goto done;
    }
    snprintf(path, n, "%s.txt", save);
    if (xl_glove_check_not_input(path, input, &err) < 0 || xl_glove_check_not_input(path, vocab_file, &err) < 0) goto done;
    snprintf(path, n, "%s.bin", save);
    if (xl_glove_check_not_input(path, input, &err) < 0 || xl_glove_check_not_input(path, vocab_file, &err) < 0) goto done;
    if (w2v_out &&
        (xl_glove_check_not_input(w2v_out, input, &err) < 0 || xl_glove_check_not_input(w2v_out, vocab_file, &err) < 0))
        goto done;
    if (xl_glove_train(input, vocab_size, &o, &m, NULL, &err) < 0) goto done;
    if (binary > 0) {
        snprintf(path, n, "%s.bin", save);
        if (xl_glove_write_binary(path, &m, &err) < 0) goto done;
        /* its companion vocabulary, so that every xlrec reader takes the file */
        snprintf(path, n, "%s.bin.vocab", save);
        if (xl_glove_check_not_input(path, vocab_file, &err) < 0 || xl_glove_vocab_write(path, &v, &err) < 0) goto done;
    }
    if (binary != 1) {
        snprintf(path, n, "%s.txt", save);
        if (xl_glove_write_text(path, &m, &v, (xl_glove_save_model)model, true, header != 0, &err) < 0) goto done;
    }
    if (w2v_out) {
        if (xl_glove_model_to_vectors(&m, &v, (xl_glove_save_model)model, true, &vec, &err) < 0) goto done;
        if (xl_w2v_vectors_write(w2v_out, &vec, W2V_FORMAT_BINARY, &err) < 0) goto done;
    }
    rc = 0;
done:
    free(path);
    xl_w2v_vectors_free(&vec);
    xl_glove_model_free(&m);
    xl_glove_vocab_free(&v);
    return rc < 0 ? xl_cli_runtime_error(&err) : 0;
}

static int glove_text_cmd(int argc, char **argv)
{
    const char *input = NULL, *vocab_file = "vocab.txt", *output = "-";
    int64_t model = 2, header = 0;
    const xl_option opts[] = {
        {"input-file", 0, XL_OPT_STRING, &input, "FILE", "binary parameters (glove -binary 1)", 0, 0, NULL},
        {"vocab-file", 0, XL_OPT_STRING, &vocab_file, "FILE", "its vocabulary", 0, 0, NULL},
        {"output", 'o', XL_OPT_STRING, &output, "FILE", "text vectors ('-' = stdout, default)", 0, 0, NULL},
        {"model", 0, XL_OPT_INT, &model, "0-3", "0 all, 1 w, 2 w + w~ 3 w then w~", 0, 3, NULL},
        {"write-header", 0, XL_OPT_INT, &header, "0|1", "first line \"ROWS DIM\"", 0, 1, NULL},
        {0}};
    const xl_command_spec spec = {"glove text", "xlrec glove text --input-file vectors.bin --vocab-file FILE [-o FILE]",
                                  "Write binary GloVe parameters (xlrec's or the reference's) as the reference's text.",
                                  opts, 0, 0};
    xl_args args;
    int rc = parse(&spec, opts, argc, argv, &args);
    if (rc != XL_CLI_CONTINUE) return rc;
    if (!input) return xl_cli_usage_error(&spec, "--input-file FILE is required");
    xl_error err;
    xl_error_clear(&err);
    if (xl_glove_check_not_input(output, input, &err) < 0 || xl_glove_check_not_input(output, vocab_file, &err) < 0)
        return xl_cli_runtime_error(&err);
    xl_glove_vocab v;
    if (xl_glove_vocab_read(vocab_file, &v, &err) < 0) return xl_cli_runtime_error(&err);
    xl_glove_model m;
    rc = xl_glove_read_binary(input, v.words.n, &m, &err);
    if (rc == 0) rc = xl_glove_write_text(output, &m, &v, (xl_glove_save_model)model, true, header != 0, &err);
    xl_glove_model_free(&m);
    xl_glove_vocab_free(&v);
    return rc < 0 ? xl_cli_runtime_error(&err) : 0;
}

static int glove_compare_cmd(int argc, char **argv)
{
    double tolerance = 1e-6;
    const xl_option opts[] = {
        {"tolerance", 0, XL_OPT_DOUBLE, &tolerance, "R", "largest relative difference accepted", 0, 1,
         NULL},
        {0}};
    const xl_command_spec spec = {
        "glove compare", "xlrec glove compare A.bin B.bin [--tolerance R]",
        "Compare two sorted co-occurrence files (e.g. xlrec's and the reference's cooccur output): the (i, j)\n"
        "sets and the largest value difference.  Exit 0 when the sets are equal and values agree within R.",
        opts, 2, 2};
    xl_args args;
    int rc = xl_cli_parse(&spec, argc, argv, &args);
    if (rc != XL_CLI_CONTINUE) return rc;
    xl_error err;
    xl_error_clear(&err);
    xl_glove_cooccur_diff d;
    if (xl_glove_cooccur_compare(args.positional[0], args.positional[1], &d, &err) < 0)
        return xl_cli_runtime_error(&err);
    bool same = d.only_a == 0 && d.only_b == 0 && d.max_rel_diff <= tolerance;
    printf("records\t%llu\t%llu\ncommon\t%llu\nonly_first\t%llu\nonly_second\t%llu\n"
           "max_abs_diff\t%.3g\nmax_rel_diff\t%.3g\t(%d, %d)\nresult\t%s\n",
           (unsigned long long)d.records_a, (unsigned long long)d.records_b, (unsigned long long)d.common,
           (unsigned long long)d.only_a, (unsigned long long)d.only_b, d.max_abs_diff, d.max_rel_diff, d.worst_i,
           d.worst_j, same ? "same" : "different");
    return same ? 0 : 1;
}

static int glove_dump_cmd(int argc, char **argv)
{
    const char *vocab_file = NULL;
    const xl_option opts[] = {
        {"vocab-file", 0, XL_OPT_STRING, &vocab_file, "FILE", "print words instead of ids", 0, 0, NULL}, {0}};
    const xl_command_spec spec = {"glove dump", "xlrec glove dump FILE [--vocab-file FILE]",
                                  "Print co-occurrence records as \"i j value\" lines (%.17g values).", opts, 1, 1};
    xl_args args;
    int rc = xl_cli_parse(&spec, argc, argv, &args);
    if (rc != XL_CLI_CONTINUE) return rc;
    xl_error err;
    xl_error_clear(&err);
    xl_glove_vocab v;
    if (vocab_file && xl_glove_vocab_read(vocab_file, &v, &err) < 0) return xl_cli_runtime_error(&err);
    rc = xl_glove_cooccur_dump(args.positional[0], vocab_file ? &v : NULL, stdout, &err);
    if (vocab_file) xl_glove_vocab_free(&v);
    return rc < 0 ? xl_cli_runtime_error(&err) : 0;
}

int cmd_glove(int argc, char **argv)
{
    static const xl_subcommand subs[] = {
        {"vocab", glove_vocab_cmd, "count words (GloVe's vocab_count)"},
        {"cooccur", glove_cooccur_cmd, "co-occurrence counts with a memory limit (cooccur)"},
        {"shuffle", glove_shuffle_cmd, "shuffle co-occurrence records (shuffle)"},
        {"train", glove_train_cmd, "AdaGrad training of the GloVe objective (glove)"},
        {"text", glove_text_cmd, "binary parameters to the reference's text vectors"},
        {"compare", glove_compare_cmd, "compare two co-occurrence files"},
        {"dump", glove_dump_cmd, "print a co-occurrence file as text"},
        {NULL, NULL, NULL}};
    return xl_cli_dispatch("glove",
                           "usage: xlrec glove vocab|cooccur|shuffle|train|text|compare|dump [options]   (--help on each)\n",
                           subs, argc, argv);
}
