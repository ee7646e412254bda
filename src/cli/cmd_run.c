/* cmd_run.c - `xlrec run`: the whole cross-lingual pipeline (src/pipeline/
 * pipeline.h) from an items file and interactions to explained
 * recommendations and, with held-out interactions, the evaluation report.
 *   stdout: recommendations TSV (no --out), or the evaluation table (--out)
 *   stderr: what the run did; progress only on a terminal and without --quiet
 *   --out DIR: recommendations.tsv, summary.txt, evaluation.{json,txt,svg} */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline.h"
#include "xl_datapath.h"
#include "xl_cli.h"
#include "xl_platform.h"
#include "xl_thread.h"
#include "xl_whiten.h"

typedef struct {
    char last[64];
    int last_pct;
    bool drawn;
} progress_state;

static void show_progress(void *ctx, const char *stage, size_t done, size_t total)
{
    progress_state *ps = ctx;
    int pct = total ? (int)(100.0 * (double)done / (double)total) : 100;
    if (strcmp(ps->last, stage) == 0 && pct == ps->last_pct) return;
    snprintf(ps->last, sizeof ps->last, "%s", stage);
    ps->last_pct = pct;
    fprintf(stderr, "\rxlrec run: %-12s %3d%%   ", stage, pct);
    fflush(stderr);
    ps->drawn = true;
}

static void end_progress(progress_state *ps)
{
    if (ps->drawn) fprintf(stderr, "\r%-40s\r", "");
    ps->drawn = false;
}

int cmd_run(int argc, char **argv)
{
    xl_pipeline_options o;
    xl_pipeline_options_default(&o);
    const char *items = NULL, *inter = NULL, *heldout = NULL, *model = NULL, *wv = NULL, *dict = NULL, *counts = NULL;
    /* every default is the library's (xl_pipeline_options_default) */
    char recs_default[128] = "";
    for (size_t j = 0; j < o.n_kinds; j++)
        snprintf(recs_default + strlen(recs_default), sizeof recs_default - strlen(recs_default), "%s%s", j ? "," : "",
                 xl_pipeline_kind_label(o.kinds[j], o.cf_kind));
    const char *recs = recs_default, *cf = xl_rec_kind_name(o.cf_kind), *out_dir = NULL, *pooling = o.sif ? "sif" : "mean";
    const char *langid = NULL, *pivot = o.pivot_lang, *sep = NULL;
    const char *text_cols = NULL, *lang_col = NULL, *id_col = NULL, *user_col = NULL, *item_col = NULL,
               *rating_col = NULL;
    int64_t k = (int64_t)o.k, explain = (int64_t)o.explain, seed = (int64_t)o.seed, threads = o.threads,
            max_len = (int64_t)o.max_seq_len;
    double min_cov = o.min_coverage, alpha = o.hybrid_alpha < 0 ? NAN : o.hybrid_alpha; /* NAN: chosen */
    bool quiet = false, detect = false, center = false, whiten = false;
    int64_t whiten_dims = 0;
    const xl_option opts[] = {
        {"items", 0, XL_OPT_STRING, &items, "FILE", "items CSV/TSV with a header: id, [lang], text (required)", 0, 0, NULL},
        {"interactions", 0, XL_OPT_STRING, &inter, "FILE", "user, item[, rating] rows with a header (required)", 0, 0,
         NULL},
        {"heldout", 0, XL_OPT_STRING, &heldout, "FILE", "held-out interactions to evaluate against", 0, 0, NULL},
        {"model", 'm', XL_OPT_STRING, &model, "MODEL",
         "BERT/DistilBERT model file (absent: the shipped encoder " XL_DATA_ENCODER
         ", from $XLREC_DATA, the installed data directory or the source tree)", 0, 0, NULL},
        {"word-vectors", 'w', XL_OPT_OPTIONAL_STRING, &wv, "FILE",
         "the word-vector baseline instead of the encoder: cross-lingual word2vec vectors (no FILE: "
         "$XLREC_WORD_VECTORS, else the shipped " XL_DATA_WORD_VECTORS ")", 0, 0, NULL},
        {"pooling", 0, XL_OPT_CHOICE, &pooling, NULL, "word-vector pooling", 0, 0, "sif|mean"},
        {"counts", 0, XL_OPT_STRING, &counts, "FILE", "unigram counts for SIF weights and translation choice", 0, 0,
         NULL},
        {"dict", 0, XL_OPT_STRING, &dict, "FILE", "dictionary (source<TAB>target) for languages the embedder lacks", 0,
         0, NULL},
        {"pivot", 0, XL_OPT_STRING, &pivot, "LANG", "the dictionary's target language", 0, 0, NULL},
        {"min-coverage", 0, XL_OPT_DOUBLE, &min_cov, "X",
         "a language is covered when this share of its tokens is in the vocabulary", 0, 1, NULL},
        {"langid-model", 0, XL_OPT_STRING, &langid, "FILE",
         "language identifier for items without a language (absent: $XLREC_LANGID_MODEL, else the shipped "
         XL_DATA_LANGID " when found, else by script)", 0, 0, NULL},
        {"detect-lang", 0, XL_OPT_FLAG, &detect, NULL, "ignore the items file's language column", 0, 0, NULL},
        {"recommender", 'r', XL_OPT_STRING, &recs, "LIST",
         "comma-separated, first one writes the recommendations: content|cf|hybrid|formula", 0, 0, NULL},
        {"cf", 0, XL_OPT_CHOICE, &cf, NULL, "the collaborative model behind cf and hybrid", 0, 0,
         "itemknn|als|bpr|popularity"},
        {"hybrid-alpha", 0, XL_OPT_DOUBLE, &alpha, "X",
         "CF weight of the hybrid (default: chosen in 0, 0.1, ..., 1 by NDCG@k on a validation split of the "
         "training data)", 0, 1, NULL},
        {"center-vectors", 0, XL_OPT_FLAG, &center, NULL,
         "subtract the catalogue's mean item vector, then re-normalise (docs/recommender.md)", 0, 0, NULL},
        {"whiten-vectors", 0, XL_OPT_FLAG, &whiten, NULL,
         "whiten the item vectors on the catalogue (zero mean, identity covariance; BERT-whitening), then "
         "re-normalise", 0, 0, NULL},
        {"whiten-dims", 0, XL_OPT_INT, &whiten_dims, "N", "components kept by --whiten-vectors (0 = all)", 0,
         XL_WHITEN_MAX_DIM, NULL},
        {"k", 'k', XL_OPT_INT, &k, "N", "recommendations per user", 1, 100000, NULL},
        {"explain", 0, XL_OPT_INT, &explain, "N", "history items listed per recommendation", 0, 1000, NULL},
        {"max-len", 0, XL_OPT_INT, &max_len, "N", "BERT: truncate items to N tokens (0 = the model's)", 0,
         1 << 20, NULL},
        {"out", 'o', XL_OPT_STRING, &out_dir, "DIR",
         "write recommendations.tsv, summary.txt, evaluation.{json,txt,svg} there", 0, 0, NULL},
        {"quiet", 'q', XL_OPT_FLAG, &quiet, NULL, "nothing on stderr but errors", 0, 0, NULL},
        {"seed", 0, XL_OPT_INT, &seed, "S", "seed of every random step", 0, 9.0e15, NULL},
        {"threads", 't', XL_OPT_INT, &threads, "N", "threads (0 = all CPUs)", 0, XL_MAX_THREADS, NULL},
        {"sep", 0, XL_OPT_STRING, &sep, "C", "field separator of every file (absent: TAB when the header has one, else ',')",
         0, 0, NULL},
        {"item-id-col", 0, XL_OPT_STRING, &id_col, "COL", "item id column (absent: item/id, else 0)", 0, 0, NULL},
        {"item-text-cols", 0, XL_OPT_STRING, &text_cols, "COLS",
         "text columns, joined (absent: title/text/description..., else the last)", 0, 0, NULL},
        {"item-lang-col", 0, XL_OPT_STRING, &lang_col, "COL", "language column (absent: lang/language when present)",
         0, 0, NULL},
        {"user-col", 0, XL_OPT_STRING, &user_col, "COL", "user column of the interactions (absent: user, else 0)", 0,
         0, NULL},
        {"item-col", 0, XL_OPT_STRING, &item_col, "COL", "item column of the interactions (absent: item, else 1)", 0,
         0, NULL},
        {"rating-col", 0, XL_OPT_STRING, &rating_col, "COL", "rating column (absent: rating when present)", 0, 0,
         NULL},
        {0}};
    const xl_command_spec spec = {
        "run",
        "xlrec run --items ITEMS --interactions INTERACTIONS [--heldout FILE] [--model MODEL | --word-vectors [FILE]]\n"
        "          [--dict FILE] [-k 10] [--recommender content,cf,hybrid,formula] [--out DIR] [--quiet]\n"
        "          [--seed S] [--threads N]",
        "The whole pipeline: clean and normalise item text, detect each item's language (or take the\n"
        "items file's), route languages the embedder covers straight to it and the others through\n"
        "--dict translation (or report and skip them), embed (the shipped sentence encoder, another\n"
        "--model, or the word-vector baseline with --word-vectors: SIF/mean), build user profiles,\n"
        "recommend (content, CF, hybrid, or the rating formula cos*b_u*b_i+c) and write each user's\n"
        "top-K with the item language, score and the history items behind it.  With --heldout,\n"
        "evaluate every recommender, per model and per (user language -> item language).  Shipped\n"
        "models are found in $XLREC_DATA, the installed data directory or the source tree (xlrec\n"
        "data-path).  See docs/architecture.md.  Example: xlrec run --items docs/demo/items.tsv\n"
        "  --interactions docs/demo/interactions.tsv --heldout docs/demo/heldout.tsv --out out/",
        opts, 0, 0};
    xl_args args;
    int rc = xl_cli_parse(&spec, argc, argv, &args);
    if (rc != XL_CLI_CONTINUE) return rc;
    if (!items || !inter) return xl_cli_usage_error(&spec, "--items and --interactions are required");
    if (model && wv) return xl_cli_usage_error(&spec, "--model and --word-vectors exclude each other");
    if (center && whiten) return xl_cli_usage_error(&spec, "--center-vectors and --whiten-vectors exclude each other");
    if (whiten_dims && !whiten) return xl_cli_usage_error(&spec, "--whiten-dims needs --whiten-vectors");
    if (sep) {
        if (strcmp(sep, "tab") == 0 || strcmp(sep, "\\t") == 0 || strcmp(sep, "\t") == 0) o.separator = '\t';
        else if (strlen(sep) == 1 && sep[0] != '"' && sep[0] != '\n') o.separator = sep[0];
        else return xl_cli_usage_error(&spec, "--sep '%s': give one character or 'tab'", sep);
    }
    int cfk = xl_rec_kind_parse(cf);
    o.cf_kind = (xl_rec_kind)cfk;
    o.n_kinds = 0;
    for (const char *q = recs; *q;) {
        const char *e = strchr(q, ',');
        size_t len = e ? (size_t)(e - q) : strlen(q);
        char name[32];
        if (len == 0 || len >= sizeof name || o.n_kinds >= XL_PIPELINE_MAX_KINDS)
            return xl_cli_usage_error(&spec, "bad --recommender list '%s'", recs);
        memcpy(name, q, len);
        name[len] = 0;
        int kind = xl_pipeline_parse_kind(name, o.cf_kind);
        if (kind < 0) return xl_cli_usage_error(&spec, "unknown recommender '%s' (content cf hybrid formula)", name);
        for (size_t j = 0; j < o.n_kinds; j++)
            if (o.kinds[j] == (xl_rec_kind)kind) return xl_cli_usage_error(&spec, "recommender '%s' listed twice", name);
        o.kinds[o.n_kinds++] = (xl_rec_kind)kind;
        q += len + (e ? 1 : 0);
    }
    /* the shipped defaults (src/core/xl_datapath.h): the encoder unless --word-vectors; the word
     * vectors when --word-vectors has no FILE; the language identifier when found */
    xl_error derr;
    xl_error_clear(&derr);
    char model_buf[XL_DATAPATH_MAX], wv_buf[XL_DATAPATH_MAX], langid_buf[XL_DATAPATH_MAX];
    if (wv && !*wv) {
        if (xl_embedder_default_path(XL_EMBEDDER_WORD_VECTORS, wv_buf, sizeof wv_buf, &derr) < 0)
            return xl_cli_runtime_error(&derr);
        wv = wv_buf;
    }
    if (!model && !wv) {
        xl_embedder_kind found;
        if (xl_embedder_default(&found, model_buf, sizeof model_buf, &derr) < 0) return xl_cli_runtime_error(&derr);
        if (found == XL_EMBEDDER_WORD_VECTORS) wv = model_buf; /* no encoder shipped */
        else model = model_buf;
    }
    if (!langid) {
        const char *env = getenv("XLREC_LANGID_MODEL");
        if (env && *env) langid = env;
        else if (xl_datapath_find(XL_DATA_LANGID, langid_buf, sizeof langid_buf, &derr) == 0) langid = langid_buf;
    }
    o.items_path = items;
    o.interactions_path = inter;
    o.heldout_path = heldout;
    o.model_path = model;
    o.word_vectors_path = model ? NULL : wv;
    o.sif = strcmp(pooling, "sif") == 0;
    o.counts_path = counts;
    o.dict_path = dict;
    o.pivot_lang = pivot;
    o.min_coverage = min_cov;
    o.langid_path = langid;
    o.detect_all = detect;
    o.center_vectors = center;
    o.whiten_vectors = whiten;
    o.whiten_dims = (size_t)whiten_dims;
    o.hybrid_alpha = isnan(alpha) ? -1 : alpha;
    o.k = (size_t)k;
    o.explain = (size_t)explain;
    o.seed = (uint64_t)seed;
    o.threads = (int)threads;
    o.max_seq_len = (size_t)max_len;
    o.item_id_col = id_col;
    o.item_text_cols = text_cols;
    o.item_lang_col = lang_col;
    o.user_col = user_col;
    o.item_col = item_col;
    o.rating_col = rating_col;
    progress_state ps;
    memset(&ps, 0, sizeof ps);
    ps.last_pct = -1;
    if (!quiet && xl_stderr_is_tty()) {
        o.progress = show_progress;
        o.progress_ctx = &ps;
    }

    if (out_dir) { /* the files --out writes must not be inputs */
        static const char *const written[] = {"recommendations.tsv", "summary.txt", "evaluation.json",
                                              "evaluation.txt", "evaluation.svg"};
        const char *inputs[] = {items, inter, heldout, model, wv, dict, counts, langid};
        for (size_t i = 0; i < sizeof written / sizeof written[0]; i++) {
            char path[4096];
            snprintf(path, sizeof path, "%s/%s", out_dir, written[i]);
            if ((rc = xl_cli_check_output(&spec, path, inputs, sizeof inputs / sizeof inputs[0])) != XL_CLI_CONTINUE)
                return rc;
        }
    }
    xl_error err;
    xl_error_clear(&err);
    xl_pipeline p;
    xl_buf b;
    xl_buf_init(&b);
    rc = XL_EXIT_OK;
    int r = xl_pipeline_run(&p, &o, &err);
    end_progress(&ps);
    if (r < 0) goto fail;
    if (!quiet) {
        if (xl_pipeline_summary(&p, &b, &err) < 0) goto fail;
        fputs(b.data, stderr);
        xl_buf_clear(&b);
    }
    if (out_dir) {
        if (xl_make_dir(out_dir, &err) < 0 || xl_pipeline_write_dir(&p, out_dir, &err) < 0) goto fail;
        if (!quiet)
            fprintf(stderr, "xlrec run: wrote %s/recommendations.tsv, %s/summary.txt%s\n", out_dir, out_dir,
                    p.evaluated ? ", evaluation.json, evaluation.txt, evaluation.svg" : "");
        if (p.evaluated) {
            if (xl_pipeline_eval_table(&p, &b, &err) < 0) goto fail;
            fputs(b.data, stdout);
        }
    } else {
        if (xl_pipeline_write_recommendations(&p, &b, &err) < 0) goto fail;
        fwrite(b.data, 1, b.len, stdout);
        if (p.evaluated && !quiet) {
            xl_buf_clear(&b);
            if (xl_pipeline_eval_table(&p, &b, &err) < 0) goto fail;
            fputs(b.data, stderr);
        }
    }
    if (fflush(stdout) != 0 || ferror(stdout)) {
        xl_fail(&err, XL_ERR_IO, "stdout: write failed");
        goto fail;
    }
    goto done;
fail:
    rc = xl_cli_runtime_error(&err);
done:
    xl_buf_free(&b);
    xl_pipeline_free(&p);
    return rc;
}
