/* cmd_ngram.c - `xlrec ngram train|query|ppl`: n-gram language models
 * (src/ngram/ngram.h, docs/ngram.md).
 *   train         count a corpus (one sentence per line) and write an ARPA
 *                 and/or binary model; the default is interpolated modified
 *                 Kneser-Ney as KenLM's lmplz
 *   build-binary  ARPA -> binary model file (KenLM's build_binary, probing)
 *   query         score each line as KenLM's `query` prints it, then the summary
 *   ppl           only the corpus summary (perplexity with and without OOVs)
 * query and ppl read either format (the binary magic tells them apart). */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "ngram.h"
#include "xl_cli.h"
#include "xl_io.h"
#include "xl_platform.h"

static int write_stdout(const xl_buf *b, xl_error *err)
{
    if (b->len && fwrite(b->data, 1, b->len, stdout) != b->len) return xl_fail(err, XL_ERR_IO, "stdout: write failed");
    return 0;
}

static int ngram_train(int argc, char **argv)
{
    xl_ngram_train_opts d; /* the library's defaults */
    xl_ngram_train_opts_default(&d);
    int64_t order = 3;
    const char *smoothing = "kn", *output = NULL, *binary = NULL;
    double k = d.add_k;
    bool fallback = false, skip_symbols = false, quiet = false;
    const xl_option opts[] = {
        {"order", 'o', XL_OPT_INT, &order, "N", "n-gram order", 1, XL_NGRAM_MAX_ORDER, NULL},
        {"smoothing", 's', XL_OPT_CHOICE, &smoothing, NULL,
         "kn = interpolated modified Kneser-Ney as KenLM's lmplz, mle = C(h,w)/C(h), addk = add-k", 0, 0,
         "kn|mle|addk"},
        {"k", 'k', XL_OPT_DOUBLE, &k, "X", "k of add-k smoothing", 1e-9, 1e9, NULL},
        {"discount-fallback", 0, XL_OPT_FLAG, &fallback, NULL,
         "KN: use discounts 0.5 1 1.5 where the counts of counts cannot give them (lmplz --discount_fallback)", 0, 0,
         NULL},
        {"skip-symbols", 0, XL_OPT_FLAG, &skip_symbols, NULL,
         "treat <s>, </s>, <unk> in the text as whitespace instead of failing", 0, 0, NULL},
        {"output", 'O', XL_OPT_STRING, &output, "PATH", "ARPA output (default -: stdout, unless --binary is given)", 0,
         0, NULL},
        {"binary", 'B', XL_OPT_STRING, &binary, "PATH", "also (or only, without -O) write a binary model file", 0, 0,
         NULL},
        {"quiet", 'q', XL_OPT_FLAG, &quiet, NULL, "no statistics on stderr", 0, 0, NULL},
        {0}};
    const xl_command_spec spec = {
        "ngram train", "xlrec ngram train [-o N] [--smoothing kn|mle|addk] [-O ARPA] [-B MODEL] [FILE|-]",
        "Train an n-gram language model on FILE (default: standard input), one sentence per line, tokens\n"
        "separated by spaces, and write it in ARPA format.  Each line is <s> w1 .. wn </s>.",
        opts, 0, 1};
    xl_args args;
    int rc = xl_cli_parse(&spec, argc, argv, &args);
    if (rc != XL_CLI_CONTINUE) return rc;
    const char *path = args.n_positional ? args.positional[0] : "-";
    if (output == NULL && binary == NULL) output = "-";
    if ((rc = xl_cli_check_output(&spec, output, &path, 1)) != XL_CLI_CONTINUE) return rc;
    if ((rc = xl_cli_check_output(&spec, binary, &path, 1)) != XL_CLI_CONTINUE) return rc;

    xl_error err;
    xl_error_clear(&err);
    xl_ngram_train_opts o;
    xl_ngram_train_opts_default(&o);
    o.smoothing = strcmp(smoothing, "mle") == 0 ? XL_NGRAM_MLE : strcmp(smoothing, "addk") == 0 ? XL_NGRAM_ADDK
                                                                                                 : XL_NGRAM_KN;
    o.add_k = k;
    o.discount_fallback = fallback;
    o.skip_symbols = skip_symbols;
    double t0 = xl_time_now();
    xl_ngram_trainer *t = xl_ngram_trainer_new((int)order, &o, &err);
    if (t == NULL) return xl_cli_runtime_error(&err);
    xl_lines lines;
    if (xl_lines_open(&lines, path, &err) < 0) {
        xl_ngram_trainer_free(t);
        return xl_cli_runtime_error(&err);
    }
    const char *line;
    size_t len;
    while ((rc = xl_lines_next(&lines, &line, &len, &err)) > 0) {
        if (xl_ngram_trainer_add_line(t, line, len, &err) < 0) {
            xl_error_prefix(&err, "%s:%llu", path, (unsigned long long)lines.lineno);
            rc = -1;
            break;
        }
    }
    xl_lines_close(&lines);
    if (rc < 0) {
        xl_ngram_trainer_free(t);
        return xl_cli_runtime_error(&err);
    }
    double t1 = xl_time_now(), t2, t3;
    xl_ngram_train_stats st;
    if (binary == NULL) {
        /* ARPA only: written as it is estimated, no query tables (lmplz's way; a third of the memory) */
        rc = xl_ngram_trainer_write_arpa(t, output, &st, &err);
        xl_ngram_trainer_free(t);
        if (rc < 0) {
            if (err.code != XL_ERR_IO) xl_error_prefix(&err, "%s", path);
            return xl_cli_runtime_error(&err);
        }
        t2 = t3 = xl_time_now();
    } else {
        xl_ngram_model *m = xl_ngram_trainer_estimate(t, &st, &err);
        xl_ngram_trainer_free(t);
        if (m == NULL) {
            xl_error_prefix(&err, "%s", path);
            return xl_cli_runtime_error(&err);
        }
        t2 = xl_time_now();
        if ((output != NULL && xl_ngram_model_write_arpa(m, output, &err) < 0) ||
            xl_ngram_model_write_binary(m, binary, &err) < 0) {
            xl_ngram_model_free(m);
            return xl_cli_runtime_error(&err);
        }
        t3 = xl_time_now();
        xl_ngram_model_free(m);
    }
    if (!quiet) {
        fprintf(stderr, "Unigram tokens %llu types %llu sentences %llu\n", (unsigned long long)st.tokens,
                (unsigned long long)st.counts[0], (unsigned long long)st.sentences);
        for (int i = 0; i < st.order; i++) {
            fprintf(stderr, "%d %llu", i + 1, (unsigned long long)st.counts[i]);
            if (o.smoothing == XL_NGRAM_KN)
                fprintf(stderr, " D1=%g D2=%g D3+=%g%s", (double)st.discounts[i][0], (double)st.discounts[i][1],
                        (double)st.discounts[i][2], st.used_fallback[i] ? " (fallback)" : "");
            fputc('\n', stderr);
        }
        double secs = t2 - t0;
        if (binary == NULL)
            fprintf(stderr, "counting %.3f s, estimation and writing %.3f s; %.0f tokens/s\n", t1 - t0, t2 - t1,
                    secs > 0 ? (double)(st.tokens + st.sentences) / secs : 0.0);
        else
            fprintf(stderr, "counting %.3f s, estimation %.3f s, writing %.3f s; %.0f tokens/s (count+estimate)\n",
                    t1 - t0, t2 - t1, t3 - t2, secs > 0 ? (double)(st.tokens + st.sentences) / secs : 0.0);
    }
    return XL_EXIT_OK;
}

static int ngram_score(int argc, char **argv, bool summary_only)
{
    const char *model_path = NULL;
    bool no_sentence = false;
    const xl_option opts[] = {
        {"model", 'm', XL_OPT_STRING, &model_path, "MODEL",
         "the model: ARPA file (KenLM/SRILM compatible) or xlrec binary model (ngram build-binary)", 0, 0, NULL},
        {"no-sentence", 'n', XL_OPT_FLAG, &no_sentence, NULL,
         "do not wrap lines in <s> .. </s> (KenLM query -n)", 0, 0, NULL},
        {0}};
    const xl_command_spec spec_query = {
        "ngram query", "xlrec ngram query -m MODEL [-n] [FILE|-]",
        "Score each line of FILE (default: standard input) and print it as KenLM's query does:\n"
        "word=ID NGRAM_LENGTH LOG10P per word, 'Total: T OOV: K' per line, then perplexities.",
        opts, 0, 1};
    const xl_command_spec spec_ppl = {
        "ngram ppl", "xlrec ngram ppl -m MODEL [-n] [FILE|-]",
        "Print the corpus summary of FILE (default: standard input): sentences, tokens (</s> included),\n"
        "OOVs, log10 probability total, and perplexity including and excluding OOVs (KenLM's definitions).",
        opts, 0, 1};
    xl_args args;
    int rc = xl_cli_parse(summary_only ? &spec_ppl : &spec_query, argc, argv, &args);
    if (rc != XL_CLI_CONTINUE) return rc;
    if (model_path == NULL)
        return xl_cli_usage_error(summary_only ? &spec_ppl : &spec_query, "--model MODEL is required");
    const char *path = args.n_positional ? args.positional[0] : "-";
    xl_error err;
    xl_error_clear(&err);
    xl_ngram_model *m = xl_ngram_model_read(model_path, &err);
    if (m == NULL) return xl_cli_runtime_error(&err);
    xl_lines lines;
    if (xl_lines_open(&lines, path, &err) < 0) {
        xl_ngram_model_free(m);
        return xl_cli_runtime_error(&err);
    }
    xl_ngram_corpus_stats acc;
    memset(&acc, 0, sizeof acc);
    xl_buf out;
    xl_buf_init(&out);
    const char *line;
    size_t len;
    double t0 = xl_time_now();
    while ((rc = xl_lines_next(&lines, &line, &len, &err)) > 0) {
        if (xl_ngram_query_line(m, line, len, !no_sentence, summary_only ? NULL : &out, NULL, &acc, &err) < 0) {
            xl_error_prefix(&err, "%s:%llu", path, (unsigned long long)lines.lineno);
            rc = -1;
            break;
        }
        if (out.len >= 65536) {
            if (write_stdout(&out, &err) < 0) {
                rc = -1;
                break;
            }
            xl_buf_clear(&out);
        }
    }
    double secs = xl_time_now() - t0;
    xl_lines_close(&lines);
    if (rc >= 0 && summary_only) {
        char num[40];
        xl_ngram_format_double(acc.total, num);
        rc = xl_buf_printf(&out, &err, "Sentences:\t%llu\nLog10 total:\t%s\n", (unsigned long long)acc.sentences,
                           num);
    }
    if (rc >= 0 && acc.tokens > 0) rc = xl_ngram_format_summary(&acc, &out, &err);
    if (rc >= 0) rc = write_stdout(&out, &err);
    if (rc >= 0 && fflush(stdout) != 0) rc = xl_fail(&err, XL_ERR_IO, "stdout: write failed");
    xl_buf_free(&out);
    xl_ngram_model_free(m);
    if (rc < 0) return xl_cli_runtime_error(&err);
    if (summary_only)
        fprintf(stderr, "xlrec: %llu tokens scored in %.3f s (%.0f tokens/s)\n", (unsigned long long)acc.tokens, secs,
                secs > 0 ? (double)acc.tokens / secs : 0.0);
    return XL_EXIT_OK;
}

static int ngram_build_binary(int argc, char **argv)
{
    const char *output = NULL;
    int64_t prob_bits = 0, backoff_bits = 0;
    const xl_option opts[] = {
        {"output", 'o', XL_OPT_STRING, &output, "MODEL", "the binary model file to write (required)", 0, 0, NULL},
        {"prob-bits", 'q', XL_OPT_INT, &prob_bits, "P",
         "quantise the probabilities of orders >= 2 into 2^P bins (KenLM -q; 0 = full floats)", 0, 16, NULL},
        {"backoff-bits", 'b', XL_OPT_INT, &backoff_bits, "B",
         "quantise the backoffs into 2^B bins (KenLM -b; default: P)", 0, 16, NULL},
        {0}};
    const xl_command_spec spec = {
        "ngram build-binary", "xlrec ngram build-binary ARPA -o MODEL [-q P [-b B]]",
        "Convert an ARPA model (KenLM/SRILM) into an xlrec binary model file: the query structure (probing hash\n"
        "tables, as KenLM's build_binary makes by default) stored as it is in memory, memory-mapped when read,\n"
        "so `ngram query -m MODEL` and `ngram ppl` start without parsing text.  Scores are those of the ARPA,\n"
        "unless -q quantises them (bins of equal size, centres = means, as KenLM's quantiser; unigrams stay\n"
        "exact): the error that costs is printed per order.",
        opts, 1, 1};
    xl_args args;
    int rc = xl_cli_parse(&spec, argc, argv, &args);
    if (rc != XL_CLI_CONTINUE) return rc;
    if (output == NULL) return xl_cli_usage_error(&spec, "-o MODEL is required");
    if (backoff_bits != 0 && prob_bits == 0) return xl_cli_usage_error(&spec, "-b B needs -q P");
    if (prob_bits != 0 && backoff_bits == 0) backoff_bits = prob_bits;
    if ((rc = xl_cli_check_output(&spec, output, (const char *const *)args.positional, 1)) != XL_CLI_CONTINUE)
        return rc;
    xl_error err;
    xl_error_clear(&err);
    double t0 = xl_time_now();
    xl_ngram_model *m = xl_ngram_model_read(args.positional[0], &err); /* no n-gram lists needed */
    if (m == NULL) return xl_cli_runtime_error(&err);
    double t1 = xl_time_now();
    xl_ngram_quant_report qr;
    rc = xl_ngram_model_write_binary_quant(m, output, (int)prob_bits, (int)backoff_bits, &qr, &err);
    double t2 = xl_time_now();
    const int order = xl_ngram_model_order(m);
    xl_ngram_model_free(m);
    if (rc < 0) return xl_cli_runtime_error(&err);
    for (int k = 2; prob_bits != 0 && k <= order; k++) {
        fprintf(stderr, "xlrec: %d-grams quantised to %d bits: |log10 p error| max %.3g mean %.3g", k, qr.prob_bits,
                qr.prob_max[k - 1], qr.prob_mean[k - 1]);
        if (k < order)
            fprintf(stderr, "; %d bits: |log10 backoff error| max %.3g mean %.3g", qr.backoff_bits,
                    qr.backoff_max[k - 1], qr.backoff_mean[k - 1]);
        fputc('\n', stderr);
    }
    fprintf(stderr, "xlrec: %s -> %s: reading %.3f s, writing %.3f s\n", args.positional[0], output, t1 - t0, t2 - t1);
    return XL_EXIT_OK;
}

static int ngram_query(int argc, char **argv) { return ngram_score(argc, argv, false); }
static int ngram_ppl(int argc, char **argv) { return ngram_score(argc, argv, true); }

int cmd_ngram(int argc, char **argv)
{
    static const xl_subcommand subs[] = {
        {"train", ngram_train, "count and estimate a model from text"},
        {"build-binary", ngram_build_binary, "an ARPA file -> a binary model file"},
        {"query", ngram_query, "score each line as KenLM's query prints it"},
        {"ppl", ngram_ppl, "the corpus summary: tokens, OOVs, log10 probability, perplexity"},
        {NULL, NULL, NULL}};
    return xl_cli_dispatch("ngram",
                           "usage: xlrec ngram train [-o N] [--smoothing kn|mle|addk] [-O ARPA] [-B MODEL] [FILE|-]\n"
                           "       xlrec ngram build-binary ARPA -o MODEL\n"
                           "       xlrec ngram query -m MODEL [-n] [FILE|-]\n"
                           "       xlrec ngram ppl -m MODEL [-n] [FILE|-]\n"
                           "       xlrec ngram <subcommand> --help\n\n"
                           "n-gram language models: interpolated modified Kneser-Ney as KenLM's lmplz builds it, maximum\n"
                           "likelihood and add-k; ARPA files in and out, binary model files (mmap); scores as KenLM's query\n"
                           "prints them.\n\n",
                           subs, argc, argv);
}
