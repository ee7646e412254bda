/* cmd_langid_train.c - `xlrec langid-train`: train the naive Bayes language
 * identifier from "lang<TAB>text" lines (src/langid/langid.h).  The shipped
 * model is rebuilt by src/langid/tools/build_model.sh (docs/langid.md). */
#include <stdio.h>

#include "langid.h"
#include "xl_cli.h"

static void log_stderr(void *ctx, const char *msg)
{
    (void)ctx;
    fprintf(stderr, "langid-train: %s\n", msg);
}

int cmd_langid_train(int argc, char **argv)
{
    xl_langid_train_options o;
    xl_langid_train_defaults(&o);
    const char *out = NULL, *dev = NULL, *scripts = NULL, *filter_model = NULL;
    int64_t order = o.max_order, features = (int64_t)o.n_features, cands = (int64_t)o.candidates, max_chars = 0;
    double mu = o.mu, sw = o.script_weight, lambda = o.lambda, refine_margin = o.refine_margin, refine_skip = 0,
           filter_prob = o.filter_prob;
    int64_t refine_epochs = 0, refine_lines = (int64_t)o.refine_lines, refine_spq = o.refine_steps_per_quantum;
    bool quiet = false, neighbour = false, refine_average = false;
    const xl_option opts[] = {
        {"out", 'o', XL_OPT_STRING, &out, "PATH", "model file to write (required)", 0, 0, NULL},
        {"dev", 0, XL_OPT_STRING, &dev, "FILE", "held-out lang<TAB>text lines to fit the temperatures", 0, 0, NULL},
        {"scripts", 0, XL_OPT_STRING, &scripts, "FILE",
         "lang<TAB>Script,Script lines: scripts each language is written in (others are ignored in training)", 0,
         0, NULL},
        {"order", 0, XL_OPT_INT, &order, "N", "largest n-gram order", 1, XL_LANGID_MAX_ORDER, NULL},
        {"features", 0, XL_OPT_INT, &features, "N", "features kept", 1, XL_LANGID_MAX_FEATURES,
         NULL},
        {"candidates", 0, XL_OPT_INT, &cands, "N", "most frequent n-grams per language considered",
         1, 10000000, NULL},
        {"lambda", 0, XL_OPT_DOUBLE, &lambda, "X",
         "Jelinek-Mercer background weight (0 = Dirichlet smoothing with --mu)", 0, 0.999, NULL},
        {"mu", 0, XL_OPT_DOUBLE, &mu, "X", "Dirichlet smoothing mass when --lambda 0", 1e-6, 1e9,
         NULL},
        {"script-weight", 0, XL_OPT_DOUBLE, &sw, "X", "weight of the script model per letter", 0, 100,
         NULL},
        {"neighbour-features", 0, XL_OPT_FLAG, &neighbour, NULL,
         "also select n-grams that tell each language from its closest other language (half of the n-gram budget)",
         0, 0, NULL},
        {"refine-epochs", 0, XL_OPT_INT, &refine_epochs, "N",
         "passes of the perceptron refinement of the naive Bayes weights (0 = none)", 0, 100, NULL},
        {"refine-lines", 0, XL_OPT_INT, &refine_lines, "N", "training lines per class for the refinement", 1,
         10000000, NULL},
        {"refine-margin", 0, XL_OPT_DOUBLE, &refine_margin, "X",
         "refine while the true class leads by at most X nats", 0, 1e6, NULL},
        {"refine-steps", 0, XL_OPT_INT, &refine_spq, "K",
         "perceptron steps that move a weight by one quantum (learning rate 1/K)", 1, 10000, NULL},
        {"refine-skip", 0, XL_OPT_DOUBLE, &refine_skip, "X",
         "refinement leaves out lines whose language trails by more than X nats per letter (0 = none)",
         0, 1e6, NULL},
        {"refine-average", 0, XL_OPT_FLAG, &refine_average, NULL,
         "keep the weights averaged over every refinement step (averaged perceptron, Collins 2002)", 0, 0, NULL},
        {"filter-model", 0, XL_OPT_STRING, &filter_model, "MODEL",
         "drop training lines this model gives to another language with probability > --filter-prob", 0, 0,
         NULL},
        {"filter-prob", 0, XL_OPT_DOUBLE, &filter_prob, "P", "probability above which --filter-model drops a line",
         0, 0.999999, NULL},
        {"max-chars", 0, XL_OPT_INT, &max_chars, "N", "letters read per language (0 = all)", 0, 1e15, NULL},
        {"quiet", 'q', XL_OPT_FLAG, &quiet, NULL, "no progress on stderr", 0, 0, NULL},
        {0}};
    const xl_command_spec spec = {
        "langid-train",
        "xlrec langid-train --out MODEL [--dev FILE] [--scripts FILE] [--features N] [--order N]\n"
        "                   [--refine-epochs N ... --refine-average] [--filter-model MODEL --filter-prob P] [TRAIN|-]",
        "Train a language identifier from lines 'lang<TAB>text' (language tags: letters, digits, '-', '_').\n"
        "Counts hashed code-point n-grams per language, selects the most discriminative ones, smooths,\n"
        "quantises, and fits one softmax temperature per length bucket on --dev.  See docs/langid.md.",
        opts, 0, 1};
    xl_args args;
    int rc = xl_cli_parse(&spec, argc, argv, &args);
    if (rc != XL_CLI_CONTINUE) return rc;
    if (!out) return xl_cli_usage_error(&spec, "--out PATH is required");
    const char *inputs[] = {args.n_positional ? args.positional[0] : "-", dev, scripts, filter_model};
    if ((rc = xl_cli_check_output(&spec, out, inputs, 4)) != XL_CLI_CONTINUE) return rc;
    o.max_order = (unsigned)order;
    o.n_features = (size_t)features;
    o.candidates = (size_t)cands;
    o.mu = mu;
    o.lambda = lambda;
    o.script_weight = sw;
    o.neighbour_features = neighbour;
    o.max_chars_per_lang = (size_t)max_chars;
    o.refine_epochs = (unsigned)refine_epochs;
    o.refine_lines = (size_t)refine_lines;
    o.refine_margin = refine_margin;
    o.refine_steps_per_quantum = (unsigned)refine_spq;
    o.refine_skip_per_letter = refine_skip;
    o.refine_average = refine_average;
    o.filter_model_path = filter_model;
    o.filter_prob = filter_prob;
    o.dev_path = dev;
    o.scripts_path = scripts;
    o.verbose = !quiet;
    o.log = log_stderr;
    xl_error err;
    xl_error_clear(&err);
    if (xl_langid_train(args.n_positional ? args.positional[0] : "-", out, &o, &err) < 0)
        return xl_cli_runtime_error(&err);
    return XL_EXIT_OK;
}
