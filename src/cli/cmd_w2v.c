/* cmd_w2v.c - `xlrec w2v train|similar|analogy|eval|convert`
 *
 * train    word2vec.c's options and defaults; word2vec.c's single-dash
 *          spelling (-train, -min-count ...) is accepted as well, so published
 *          recipes run unchanged.
 * similar  nearest neighbours by cosine (like word2vec.c's `distance`).
 * analogy  a : b = c : ?  by 3CosAdd.
 * eval     the analogy test of compute-accuracy (questions-words.txt).
 * convert  text <-> binary vector files.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "w2v.h"
#include "w2v_eval.h"
#include "w2v_vectors.h"
#include "xl_alloc.h"
#include "xl_cli.h"
#include "xl_io.h"
#include "xl_thread.h"

static void print_progress(void *ctx, double alpha, double frac, double wps)
{
    (void)ctx;
    fprintf(stderr, "\rAlpha: %f  Progress: %.2f%%  Words/thread/sec: %.2fk  ", alpha, frac * 100, wps / 1000);
    fflush(stderr);
}

static xl_w2v_format format_of(int64_t binary) { return binary ? W2V_FORMAT_BINARY : W2V_FORMAT_TEXT; }

static int w2v_train_cmd(int argc, char **argv)
{
    const char *train = NULL, *output = NULL, *save_vocab = NULL;
    xl_w2v_options d; /* the library's defaults */
    xl_w2v_options_default(&d);
    int64_t size = d.size, window = d.window, hs = d.hs, negative = d.negative, threads = d.threads, iter = d.iter,
            min_count = d.min_count, cbow = d.cbow, binary = 0, seed = (int64_t)d.seed, debug = 2;
    double sample = d.sample, alpha = d.alpha;
    bool quiet = false;
    const xl_option opts[] = {
        {"train", 0, XL_OPT_STRING, &train, "FILE", "training text, tokens separated by white space ('-' = stdin)", 0, 0,
         NULL},
        {"output", 0, XL_OPT_STRING, &output, "FILE", "where to write the vectors", 0, 0, NULL},
        {"size", 0, XL_OPT_INT, &size, "N", "vector dimension", 1, 100000, NULL},
        {"window", 0, XL_OPT_INT, &window, "N", "max skip length between words", 1, 1000, NULL},
        {"sample", 0, XL_OPT_DOUBLE, &sample, "T", "subsampling threshold (0 = off; useful 1e-5..1e-3)", 0, 1, NULL},
        {"hs", 0, XL_OPT_INT, &hs, "0|1", "hierarchical softmax", 0, 1, NULL},
        {"negative", 0, XL_OPT_INT, &negative, "N", "negative samples (0 = none)", 0, 1000, NULL},
        {"threads", 0, XL_OPT_INT, &threads, "N", "training threads (Hogwild; 0 = all CPUs; word2vec.c uses 12); 1 = repeatable",
         0, XL_MAX_THREADS, NULL},
        {"iter", 0, XL_OPT_INT, &iter, "N", "training epochs", 0, 100000, NULL},
        {"min-count", 0, XL_OPT_INT, &min_count, "N", "discard words seen fewer times", 0, 0, NULL},
        {"alpha", 0, XL_OPT_DOUBLE, &alpha, "A", "starting learning rate (0 = 0.05 CBOW, 0.025 skip-gram)", 0, 10, NULL},
        {"cbow", 0, XL_OPT_INT, &cbow, "0|1", "1 = CBOW, 0 = skip-gram", 0, 1, NULL},
        {"binary", 0, XL_OPT_INT, &binary, "0|1", "write the binary format", 0, 1, NULL},
        {"save-vocab", 0, XL_OPT_STRING, &save_vocab, "FILE", "write \"word count\" lines", 0, 0, NULL},
        {"seed", 0, XL_OPT_INT, &seed, "S", "random seed", 0, 0, NULL},
        {"debug", 0, XL_OPT_INT, &debug, "N", "2 = progress line (word2vec.c's default), 0 = quiet", 0, 10, NULL},
        {"quiet", 'q', XL_OPT_FLAG, &quiet, NULL, "no progress or summary on stderr", 0, 0, NULL},
        {0}};
    const xl_command_spec spec = {
        "w2v train", "xlrec w2v train --train FILE --output FILE [options]   (or word2vec.c's -train ... spelling)",
        "Train word vectors with CBOW or skip-gram, negative sampling or hierarchical softmax\n"
        "(word2vec.c's algorithm, options and defaults).  --threads 1 with a --seed is bit-for-bit repeatable.",
        opts, 0, 0};
    char store[64][64];
    xl_cli_accept_single_dash(opts, argc, argv, store, 64);
    xl_args args;
    int rc = xl_cli_parse(&spec, argc, argv, &args);
    if (rc != XL_CLI_CONTINUE) return rc;
    if (!train) return xl_cli_usage_error(&spec, "--train FILE is required");
    if (!output) return xl_cli_usage_error(&spec, "--output FILE is required");
    if (!hs && !negative) return xl_cli_usage_error(&spec, "no output layer: use --hs 1 or --negative N > 0");
    const char *inputs[] = {train, output};
    if ((rc = xl_cli_check_output(&spec, output, inputs, 1)) != XL_CLI_CONTINUE ||
        (rc = xl_cli_check_output(&spec, save_vocab, inputs, 2)) != XL_CLI_CONTINUE)
        return rc;
    if (quiet) debug = 0;
    xl_w2v_options o;
    xl_w2v_options_default(&o);
    o.size = (int)size;
    o.window = (int)window;
    o.sample = sample;
    o.hs = (int)hs;
    o.negative = (int)negative;
    o.threads = xl_resolve_threads((int)threads);
    o.iter = (int)iter;
    o.min_count = min_count;
    o.alpha = alpha;
    o.cbow = (int)cbow;
    o.seed = (uint64_t)seed;
    if (debug >= 2) o.progress = print_progress;
    xl_w2v_model m;
    xl_error err;
    xl_error_clear(&err);
    if (xl_w2v_train_file(train, &o, &m, &err) < 0) return xl_cli_runtime_error(&err);
    if (debug >= 1) {
        double per_thread_cpu = m.cpu_seconds > 0 ? (double)m.words_done / m.cpu_seconds : 0;
        fprintf(stderr,
                "%sVocab size: %zu\nWords in train file: %lld\nWords processed: %llu in %.2f s wall, %.2f s CPU\n"
                "Words/thread/sec: %.2fk (per CPU-second, as word2vec.c counts)  wall: %.2fk words/s/thread\n",
                debug >= 2 ? "\n" : "", m.vectors.n_words, (long long)m.train_words,
                (unsigned long long)m.words_done, m.wall_seconds, m.cpu_seconds, per_thread_cpu / 1000,
                m.wall_seconds > 0 ? (double)m.words_done / m.wall_seconds / (double)threads / 1000 : 0);
    }
    rc = xl_w2v_vectors_write(output, &m.vectors, format_of(binary), &err);
    if (rc == 0 && save_vocab) rc = xl_w2v_save_vocab(save_vocab, &m, &err);
    xl_w2v_model_free(&m);
    return rc < 0 ? xl_cli_runtime_error(&err) : XL_EXIT_OK;
}

/* Shared by `w2v similar` (word2vec.c's `distance`) and `w2v analogy`
 * (`word-analogy`): read the vectors, normalise them to unit length, form
 * q = sum_i signs[i] * v(words[i]) in the given order, and print the k words
 * nearest to q by cosine, excluding the query words, as "word<TAB>cosine". */
static int print_nearest_to_sum(const char *path, size_t max_words, const char *const *words, const float *signs,
                                int n_words, int64_t k, xl_error *err)
{
    xl_w2v_vectors v;
    if (xl_w2v_vectors_read(path, W2V_FORMAT_AUTO, max_words, &v, err) < 0) return -1;
    xl_w2v_vectors_normalize(&v);
    int64_t exclude[XL_MAX_POSITIONAL];
    float *q = xl_calloc(v.dim, sizeof *q, err);
    int64_t *ids = q ? xl_calloc((size_t)k, sizeof *ids, err) : NULL;
    float *sc = ids ? xl_calloc((size_t)k, sizeof *sc, err) : NULL;
    int rc = sc ? 0 : -1;
    for (int i = 0; rc == 0 && i < n_words; i++) {
        exclude[i] = xl_w2v_vectors_find(&v, words[i]);
        if (exclude[i] < 0)
            rc = xl_fail(err, XL_ERR_USAGE, "%s: word '%s' is not in the vocabulary", path, words[i]);
        else
            xl_w2v_axpy(signs[i], xl_w2v_row(&v, (size_t)exclude[i]), q, v.dim);
    }
    if (rc == 0) {
        size_t n = xl_w2v_nearest(&v, q, (size_t)k, exclude, (size_t)n_words, ids, sc);
        for (size_t i = 0; i < n; i++) printf("%s\t%.6f\n", xl_w2v_words_get(&v.words, (size_t)ids[i]), sc[i]);
    }
    free(q), free(ids), free(sc);
    xl_w2v_vectors_free(&v);
    return rc;
}

/* `w2v similar` and `w2v analogy`: the same options (k's default and help aside) and the same
 * search, print_nearest_to_sum; signs NULL adds every positional word (similar), else the
 * positional words are combined with signs (analogy: B - A + C). */
static int nearest_cmd(int argc, char **argv, const char *name, const char *usage, const char *about, int64_t k,
                       const char *k_help, int min_words, int max_words_arg, const float *signs)
{
    const char *vectors = NULL;
    int64_t max_words = 0;
    const xl_option opts[] = {
        {"vectors", 'v', XL_OPT_STRING, &vectors, "FILE", "word2vec file (text or binary)", 0, 0, NULL},
        {"k", 'k', XL_OPT_INT, &k, "N", k_help, 1, 100000, NULL},
        {"max-words", 0, XL_OPT_INT, &max_words, "N", "read only the first N rows (0 = all)", 0, 0, NULL},
        {0}};
    const xl_command_spec spec = {name, usage, about, opts, min_words, max_words_arg};
    xl_args args;
    int rc = xl_cli_parse(&spec, argc, argv, &args);
    if (rc != XL_CLI_CONTINUE) return rc;
    if (!vectors) return xl_cli_usage_error(&spec, "--vectors FILE is required");
    xl_error err;
    xl_error_clear(&err);
    float all_plus[XL_MAX_POSITIONAL];
    for (int i = 0; i < args.n_positional; i++) all_plus[i] = 1.0f;
    if (print_nearest_to_sum(vectors, (size_t)max_words, args.positional, signs ? signs : all_plus, args.n_positional,
                             k, &err) < 0)
        return xl_cli_runtime_error(&err);
    return XL_EXIT_OK;
}

static int w2v_similar_cmd(int argc, char **argv)
{
    return nearest_cmd(argc, argv, "w2v similar", "xlrec w2v similar --vectors FILE [-k N] WORD [WORD...]",
                       "Print the k nearest words by cosine to the sum of the given words' vectors\n"
                       "(word2vec.c's `distance`): \"word<TAB>cosine\" per line.",
                       40, "neighbours to print", 1, XL_MAX_POSITIONAL, NULL);
}

static int w2v_analogy_cmd(int argc, char **argv)
{
    static const float signs[3] = {-1.0f, 1.0f, 1.0f}; /* B - A + C */
    return nearest_cmd(argc, argv, "w2v analogy", "xlrec w2v analogy --vectors FILE A B C",
                       "Answer A : B = C : ? by 3CosAdd (nearest to B - A + C over unit vectors,\n"
                       "excluding A, B, C).  Prints \"word<TAB>cosine\" lines.",
                       5, "answers to print", 3, 3, signs);
}

static int w2v_eval_cmd(int argc, char **argv)
{
    const char *vectors = NULL, *questions = NULL;
    int64_t restrict_vocab = 30000, threads = XL_THREADS_DEFAULT, n_semantic = 5;
    bool exact = false, sections = false;
    const xl_option opts[] = {
        {"vectors", 'v', XL_OPT_STRING, &vectors, "FILE", "word2vec file (text or binary)", 0, 0, NULL},
        {"questions", 0, XL_OPT_STRING, &questions, "FILE", "analogy questions (questions-words.txt format)", 0, 0,
         NULL},
        {"restrict", 0, XL_OPT_INT, &restrict_vocab, "N", "candidates: the first N rows (0 = all)", 0, 0, NULL},
        {"semantic-sections", 0, XL_OPT_INT, &n_semantic, "N", "the first N sections are semantic", 0, 1000, NULL},
        {"exact-case", 0, XL_OPT_FLAG, &exact, NULL, "compare words as bytes (default: upper-case, 50 bytes)", 0, 0,
         NULL},
        {"sections", 0, XL_OPT_FLAG, &sections, NULL, "print accuracy per section", 0, 0, NULL},
        {"threads", 0, XL_OPT_INT, &threads, "N", "threads (0 = all CPUs)", 0, XL_MAX_THREADS, NULL},
        {0}};
    const xl_command_spec spec = {
        "w2v eval", "xlrec w2v eval --vectors FILE --questions questions-words.txt [--restrict 30000]",
        "The analogy test as word2vec.c's compute-accuracy runs it (3CosAdd over the first N rows,\n"
        "upper-cased words; a question is seen when all 4 words are candidates).",
        opts, 0, 0};
    xl_args args;
    int rc = xl_cli_parse(&spec, argc, argv, &args);
    if (rc != XL_CLI_CONTINUE) return rc;
    if (!vectors || !questions) return xl_cli_usage_error(&spec, "--vectors and --questions are required");
    xl_error err;
    xl_error_clear(&err);
    xl_w2v_vectors v;
    if (xl_w2v_vectors_read(vectors, W2V_FORMAT_AUTO, 0, &v, &err) < 0) return xl_cli_runtime_error(&err);
    xl_w2v_analogy_options ao = {(size_t)restrict_vocab, exact, (size_t)n_semantic, (int)threads};
    xl_w2v_analogy_result r;
    rc = xl_w2v_analogy_eval(&v, questions, &ao, &r, &err);
    xl_w2v_vectors_free(&v);
    if (rc < 0) return xl_cli_runtime_error(&err);
    if (sections)
        for (size_t i = 0; i < r.n_sections; i++)
            printf("%s: %.2f %% (%zu / %zu seen of %zu)\n", r.sections[i].name,
                   r.sections[i].seen ? 100.0 * (double)r.sections[i].correct / (double)r.sections[i].seen : 0.0,
                   r.sections[i].correct, r.sections[i].seen, r.sections[i].questions);
#define PCT(c, s) ((s) ? 100.0 * (double)(c) / (double)(s) : 0.0)
    printf("Total accuracy: %.2f %% (%zu / %zu)   Semantic accuracy: %.2f %% (%zu / %zu)   "
           "Syntactic accuracy: %.2f %% (%zu / %zu)\n",
           PCT(r.correct, r.seen), r.correct, r.seen, PCT(r.semantic_correct, r.semantic_seen), r.semantic_correct,
           r.semantic_seen, PCT(r.syntactic_correct, r.syntactic_seen), r.syntactic_correct, r.syntactic_seen);
    printf("Questions seen / total: %zu %zu   %.2f %%\n", r.seen, r.questions, PCT(r.seen, r.questions));
#undef PCT
    xl_w2v_analogy_result_free(&r);
    return XL_EXIT_OK;
}

static int w2v_convert_cmd(int argc, char **argv)
{
    const char *input = NULL, *output = NULL;
    int64_t binary = 1, max_words = 0;
    bool f16 = false;
    const xl_option opts[] = {
        {"input", 'i', XL_OPT_STRING, &input, "FILE", "word2vec file (text, binary or f16)", 0, 0, NULL},
        {"output", 'o', XL_OPT_STRING, &output, "FILE", "output file", 0, 0, NULL},
        {"binary", 0, XL_OPT_INT, &binary, "0|1", "output format", 0, 1, NULL},
        {"f16", 0, XL_OPT_FLAG, &f16, NULL, "write xlrec's compact float16 variant (docs/word2vec.md)", 0, 0, NULL},
        {"max-words", 0, XL_OPT_INT, &max_words, "N", "keep only the first N rows (0 = all)", 0, 0, NULL},
        {0}};
    const xl_command_spec spec = {"w2v convert", "xlrec w2v convert -i FILE -o FILE [--binary 0|1 | --f16]",
                                  "Convert between word2vec.c's text and binary formats and xlrec's float16 variant\n"
                                  "(checks the input strictly).",
                                  opts, 0, 0};
    xl_args args;
    int rc = xl_cli_parse(&spec, argc, argv, &args);
    if (rc != XL_CLI_CONTINUE) return rc;
    if (!input || !output) return xl_cli_usage_error(&spec, "--input and --output are required");
    if ((rc = xl_cli_check_output(&spec, output, &input, 1)) != XL_CLI_CONTINUE) return rc;
    xl_error err;
    xl_error_clear(&err);
    xl_w2v_vectors v;
    if (xl_w2v_vectors_read(input, W2V_FORMAT_AUTO, (size_t)max_words, &v, &err) < 0) return xl_cli_runtime_error(&err);
    rc = xl_w2v_vectors_write(output, &v, f16 ? W2V_FORMAT_F16 : format_of(binary), &err);
    xl_w2v_vectors_free(&v);
    return rc < 0 ? xl_cli_runtime_error(&err) : XL_EXIT_OK;
}

int cmd_w2v(int argc, char **argv)
{
    static const xl_subcommand subs[] = {
        {"train", w2v_train_cmd, "train word vectors (word2vec.c options)"},
        {"similar", w2v_similar_cmd, "nearest neighbours by cosine"},
        {"analogy", w2v_analogy_cmd, "A : B = C : ?"},
        {"eval", w2v_eval_cmd, "analogy accuracy (compute-accuracy protocol)"},
        {"convert", w2v_convert_cmd, "text <-> binary"},
        {NULL, NULL, NULL}};
    return xl_cli_dispatch("w2v",
                           "usage: xlrec w2v train|similar|analogy|eval|convert [options]  (xlrec w2v SUB --help)\n",
                           subs, argc, argv);
}
