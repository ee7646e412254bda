/* cmd_eval.c - `xlrec eval`: run evaluation protocols over models, or score
 * another system's ranked lists.
 *   xlrec eval --ratings FILE [data options] --models a,b,c --protocol ratio
 *              [--test-ratio 0.25 | --folds 5] -k 10 [--json FILE]
 *   xlrec eval --predictions FILE --truth FILE -k 10 [--json FILE]
 * A readable table goes to stdout, the JSON report to --json FILE ("-" =
 * stdout instead of the table), an SVG bar chart of the metrics to --svg FILE
 * (src/eval/xl_eval_svg.h); the load report to stderr. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xl_alloc.h"
#include "xl_cli.h"
#include "xl_eval.h"
#include "xl_eval_svg.h"
#include "xl_io.h"
#include "xl_csv.h"
#include "xl_rec_setup.h"

static int emit(const xl_eval_result *res, const char *name, const char *json_path, const char *svg_path,
                xl_error *err)
{
    xl_buf b;
    xl_buf_init(&b);
    int rc = 0;
    if (!json_path || strcmp(json_path, "-") != 0) {
        if (xl_eval_table(res, &b, err) < 0 || fwrite(b.data, 1, b.len, stdout) != b.len) rc = -1;
        xl_buf_clear(&b);
    }
    if (rc == 0 && json_path) {
        if (xl_eval_json(res, name, &b, err) < 0 || xl_write_file(json_path, b.data, b.len, err) < 0) rc = -1;
    }
    if (rc == 0 && svg_path) {
        xl_buf_clear(&b);
        char title[300];
        snprintf(title, sizeof title, "xlrec eval: %s", name ? name : "");
        if (xl_eval_svg(res, title, &b, err) < 0 || xl_write_file(svg_path, b.data, b.len, err) < 0) rc = -1;
    }
    xl_buf_free(&b);
    if (rc == 0 && fflush(stdout) != 0) rc = xl_fail(err, XL_ERR_IO, "stdout: write failed");
    return rc;
}

/* Progress lines of xl_eval_run on stderr ("xlrec: eval: fold 1/1: als fitted in 2.1 s, ..."). */
static void eval_progress(void *ctx, const char *message)
{
    (void)ctx;
    fprintf(stderr, "xlrec: eval: %s\n", message);
    fflush(stderr);
}

/* Per-user metrics of every ranking model: the --per-user TSV and the NDCG columns the paired
 * tests compare (calls pair up across models: xl_eval_config.per_user). */
typedef struct {
    const xl_rec_dataset *d;
    const xl_rec_kind *kinds;
    xl_buf lines;
    double *ndcg[64];
    size_t n[64], cap[64];
    bool keep_lines;
    int failed;
} per_user_log;

static void per_user_add(void *ctx, size_t model_index, int fold, uint32_t user, const xl_rank_metrics *m,
                         size_t n_relevant)
{
    per_user_log *L = ctx;
    if (L->failed || model_index >= 64) return;
    double *g = xl_array_reserve(L->ndcg[model_index], &L->cap[model_index], L->n[model_index] + 1, 1024, NULL);
    if (!g) {
        L->failed = 1;
        return;
    }
    L->ndcg[model_index] = g;
    g[L->n[model_index]++] = m->ndcg;
    if (L->keep_lines &&
        xl_buf_printf(&L->lines, NULL, "%s\t%d\t%s\t%zu\t%.17g\t%.17g\t%.17g\t%.17g\t%.17g\t%.17g\t%.0f\n",
                      xl_rec_kind_name(L->kinds[model_index]), fold + 1, L->d->users.names[user], n_relevant, m->ndcg,
                      m->ndcg_graded, m->precision, m->recall, m->map, m->mrr, m->hit) < 0)
        L->failed = 1;
}

/* --train/--test: the rating and time columns of split files are found by name when not given. */
static int split_file_columns(xl_rec_setup *s, xl_error *err)
{
    xl_rec_load_options o;
    if (xl_rec_setup_load_options(s, &o, err) < 0) return -1;
    xl_csv *r;
    char *owned;
    if (xl_rec_open_table(&r, &owned, s->ratings, o.separator, o.no_quote, !o.no_header, o.encoding, NULL, err) < 0)
        return -1;
    if (!s->rating_col && xl_csv_column(r, "rating") >= 0) s->rating_col = "rating";
    if (!s->time_col && xl_csv_column(r, "time") >= 0) s->time_col = "time";
    xl_csv_close(r);
    free(owned);
    return 0;
}

int cmd_eval(int argc, char **argv)
{
    xl_rec_setup s;
    xl_rec_setup_default(&s);
    const char *models = "popularity,itemknn,als,bpr,mf,mean,baseline", *protocol = "ratio", *json = NULL;
    const char *pred = NULL, *truth = NULL, *svg = NULL;
    const char *write_split = NULL, *train_path = NULL, *test_path = NULL, *per_user = NULL;
    bool significance = false, tune = false;
    xl_eval_config dc; /* the library's defaults */
    xl_eval_config_default(&dc);
    int64_t k = (int64_t)dc.k, folds = (int64_t)dc.folds, last_n = dc.last_n;
    const char *time_cut = NULL;
    double test_ratio = dc.test_ratio, threshold = dc.relevance_threshold, val_ratio = dc.val_ratio;
    bool by_lang = false, cold = false, header = false, quiet = false;
    xl_option opts[124];
    const xl_option own[] = {
        {"models", 'm', XL_OPT_STRING, &models, "LIST", "comma-separated models", 0, 0, NULL},
        {"protocol", 'p', XL_OPT_CHOICE, &protocol, NULL,
         "split: random holdout, per-user ratio, per-user leave-last-N by time, k-fold, global time cut", 0, 0,
         "random|ratio|last|kfold|time"},
        {"last-n", 0, XL_OPT_INT, &last_n, "N", "--protocol last: hold out each user's N latest (at most all but one)",
         1, 1000000, NULL},
        {"time-cut", 0, XL_OPT_STRING, &time_cut, "T",
         "--protocol time: test = interactions with time >= T (absent: the latest test-ratio share)", 0, 0, NULL},
        {"test-ratio", 0, XL_OPT_DOUBLE, &test_ratio, "X", "test share for random, ratio, and time without a cut", 1e-9, 0.999999, NULL},
        {"folds", 0, XL_OPT_INT, &folds, "N", "folds for kfold", 2, 255, NULL},
        {"k", 'k', XL_OPT_INT, &k, "N", "list length K", 1, 100000, NULL},
        {"threshold", 0, XL_OPT_DOUBLE, &threshold, "X", "held-out items with rating >= X are relevant (0: all)", 0, 0, NULL},
        {"val-ratio", 0, XL_OPT_DOUBLE, &val_ratio, "X", "hybrid: per-user validation share of train", 1e-9, 0.999999, NULL},
        {"by-language", 0, XL_OPT_FLAG, &by_lang, NULL, "also report per item language (--item-lang-col)", 0, 0, NULL},
        {"cold-start", 0, XL_OPT_FLAG, &cold, NULL, "also report held-out items without training interactions", 0, 0, NULL},
        {"json", 0, XL_OPT_STRING, &json, "FILE", "write the JSON report ('-': stdout, no table)", 0, 0, NULL},
        {"svg", 0, XL_OPT_STRING, &svg, "FILE", "write an SVG bar chart of the metrics per model and subset", 0, 0, NULL},
        {"predictions", 0, XL_OPT_STRING, &pred, "FILE", "score another system: user<TAB>items... or user,item,score", 0, 0, NULL},
        {"truth", 0, XL_OPT_STRING, &truth, "FILE", "held-out truth for --predictions: user,item[,gain]", 0, 0, NULL},
        {"header", 0, XL_OPT_FLAG, &header, NULL, "--predictions/--truth files start with a header row", 0, 0, NULL},
        {"quiet", 'q', XL_OPT_FLAG, &quiet, NULL, "no load report and no progress lines on stderr", 0, 0, NULL},
        {"write-split", 0, XL_OPT_STRING, &write_split, "DIR",
         "write the split as DIR/train.csv, validation.csv (part of train), test.csv, items.csv", 0, 0, NULL},
        {"train", 0, XL_OPT_STRING, &train_path, "FILE", "evaluate on a given split: training interactions", 0, 0, NULL},
        {"test", 0, XL_OPT_STRING, &test_path, "FILE", "with --train: held-out interactions", 0, 0, NULL},
        {"per-user", 0, XL_OPT_STRING, &per_user, "FILE", "write per-user metrics (TSV) of every ranking model", 0, 0,
         NULL},
        {"tune", 0, XL_OPT_FLAG, &tune, NULL,
         "tune als, bpr, itemknn on a validation split of the training data (grid: docs/recommender.md), then refit",
         0, 0, NULL},
        {"significance", 0, XL_OPT_FLAG, &significance, NULL,
         "paired t-test and Wilcoxon signed-rank on per-user NDCG: first model against each other", 0, 0, NULL},
    };
    size_t n = sizeof own / sizeof own[0];
    memcpy(opts, own, sizeof own);
    if (xl_rec_setup_options(&s, opts, &n, 123) < 0) return XL_EXIT_RUNTIME;
    memset(&opts[n], 0, sizeof opts[n]);
    const xl_command_spec spec = {
        "eval",
        "xlrec eval --ratings FILE [data options] [--models LIST] [--protocol ratio|random|last|kfold] [-k 10]\n"
        "           [--json FILE] [--svg FILE]\n"
        "xlrec eval --train FILE --test FILE [data options] [--models LIST] [--per-user FILE] [--significance]\n"
        "xlrec eval --predictions FILE --truth FILE [-k 10] [--threshold X]",
        "Evaluate recommenders under a seeded protocol (P@K, R@K, F1, NDCG binary and graded,\n"
        "MAP, MRR, HitRate, coverage; RMSE/MAE for rating models), or score another system's lists.\n"
        "Metric definitions: docs/recommender.md.",
        opts, 0, 0};
    xl_args args;
    int rc = xl_cli_parse(&spec, argc, argv, &args);
    if (rc != XL_CLI_CONTINUE) return rc;
    const char *inputs[] = {s.ratings, s.items, s.vectors, pred, truth, train_path, test_path, json, svg};
    if ((rc = xl_cli_check_output(&spec, json, inputs, 7)) != XL_CLI_CONTINUE ||
        (rc = xl_cli_check_output(&spec, svg, inputs, 8)) != XL_CLI_CONTINUE ||
        (rc = xl_cli_check_output(&spec, per_user, inputs, 9)) != XL_CLI_CONTINUE)
        return rc;
    if ((train_path != NULL) != (test_path != NULL)) return xl_cli_usage_error(&spec, "--train and --test go together");
    if (train_path && s.ratings) return xl_cli_usage_error(&spec, "give --ratings or --train/--test, not both");
    if (xl_rec_setup_usage_problem(&s)) return xl_cli_usage_error(&spec, "%s", xl_rec_setup_usage_problem(&s));
    if (train_path) s.ratings = train_path;
    xl_error err;
    xl_error_clear(&err);
    xl_eval_result *res = calloc(1, sizeof *res);
    if (!res) {
        xl_fail(&err, XL_ERR_NOMEM, "out of memory");
        return xl_cli_runtime_error(&err);
    }
    xl_eval_config c;
    xl_eval_config_default(&c);
    c.protocol = (xl_split_kind)xl_split_parse(protocol);
    c.test_ratio = test_ratio;
    c.folds = (int)folds;
    c.last_n = (int)last_n;
    if (last_n != 1 && c.protocol != XL_SPLIT_LAST) {
        free(res);
        return xl_cli_usage_error(&spec, "--last-n goes with --protocol last");
    }
    if (time_cut) {
        char *end = NULL;
        errno = 0;
        long long v = strtoll(time_cut, &end, 10);
        if (errno || end == time_cut || *end) {
            free(res);
            return xl_cli_usage_error(&spec, "--time-cut wants an integer timestamp, got '%s'", time_cut);
        }
        if (c.protocol != XL_SPLIT_TIME) {
            free(res);
            return xl_cli_usage_error(&spec, "--time-cut goes with --protocol time");
        }
        c.has_time_cut = true;
        c.time_cut = (int64_t)v;
    }
    c.k = (size_t)k;
    c.relevance_threshold = threshold;
    c.val_ratio = val_ratio;
    c.seed = (uint64_t)s.seed;
    c.threads = (int)s.threads;
    c.by_language = by_lang;
    c.cold_start = cold;
    c.tune = tune;
    if (!quiet) c.progress = eval_progress;
    if (pred || truth) {
        if (!pred || !truth) {
            free(res);
            return xl_cli_usage_error(&spec, "--predictions and --truth go together");
        }
        res->config = c;
        res->external = true;
        res->n_folds_run = 1;
        res->n_rows = 1;
        size_t ignored = 0;
        if (xl_eval_external(pred, truth, (size_t)k, threshold, header, &res->rows[0], &ignored, &err) < 0 ||
            (!quiet && (fprintf(stderr, "xlrec: %zu prediction rows for users absent from %s ignored\n", ignored,
                                truth),
                        0)) ||
            emit(res, pred, json, svg, &err) < 0) {
            free(res);
            return xl_cli_runtime_error(&err);
        }
        free(res);
        return XL_EXIT_OK;
    }
    if (!s.ratings) {
        free(res);
        return xl_cli_usage_error(&spec, "give --ratings FILE (or --predictions with --truth)");
    }
    xl_rec_kind kinds[64];
    size_t nk = 0;
    for (const char *q = models; *q;) {
        const char *e = strchr(q, ',');
        size_t len = e ? (size_t)(e - q) : strlen(q);
        char name[32];
        if (len == 0 || len >= sizeof name || nk >= 64) {
            free(res);
            return xl_cli_usage_error(&spec, "bad --models list '%s'", models);
        }
        memcpy(name, q, len);
        name[len] = 0;
        int kind = xl_rec_kind_parse(name);
        if (kind < 0) {
            free(res);
            return xl_cli_usage_error(&spec, "unknown model '%s' (popularity itemknn als bpr mf mean baseline "
                                             "content cosbias hybrid)", name);
        }
        kinds[nk++] = (xl_rec_kind)kind;
        q += len + (e ? 1 : 0);
    }
    xl_rec_dataset d;
    xl_rec_dataset_init(&d);
    xl_item_vectors iv = {0};
    xl_rec_params p;
    uint8_t *given = NULL;
    per_user_log L;
    memset(&L, 0, sizeof L);
    xl_buf_init(&L.lines);
    L.d = &d;
    L.kinds = kinds;
    L.keep_lines = per_user != NULL;
    xl_csr trainc = {0};
    xl_interactions held;
    xl_interactions_init(&held);
    rc = XL_EXIT_OK;
    if ((train_path && split_file_columns(&s, &err) < 0) || xl_rec_setup_load(&s, &d, &iv, &err) < 0) {
        rc = xl_cli_runtime_error(&err);
        goto done;
    }
    if (train_path) { /* the held-out file mapped onto the training data; fold 0 = train, 1 = test */
        xl_rec_load_options o;
        xl_rec_heldout_report hr;
        size_t n_train = d.x.n;
        if (xl_rec_setup_load_options(&s, &o, &err) < 0 ||
            xl_csr_build(&trainc, &d.x, NULL, 0, d.n_users, d.n_items, false, &err) < 0 ||
            xl_rec_load_heldout(&d, &trainc, test_path, &o, &held, &hr, &err) < 0) {
            rc = xl_cli_runtime_error(&err);
            goto done;
        }
        if (!quiet)
            fprintf(stderr,
                    "xlrec: %s: %llu rows, %zu kept; dropped: %llu of users absent from %s, %llu of unknown items, "
                    "%llu already in training, %llu repeated\n",
                    test_path, (unsigned long long)hr.rows, held.n, (unsigned long long)hr.unknown_user, train_path,
                    (unsigned long long)hr.unknown_item, (unsigned long long)hr.in_train,
                    (unsigned long long)hr.duplicates);
        given = xl_malloc(n_train + held.n + 1, &err);
        if (!given) {
            rc = xl_cli_runtime_error(&err);
            goto done;
        }
        for (size_t e = 0; e < held.n; e++)
            if (xl_interactions_push(&d.x, held.user[e], held.item[e], held.rating[e], held.time[e], &err) < 0) {
                rc = xl_cli_runtime_error(&err);
                goto done;
            }
        memset(given, 0, n_train);
        memset(given + n_train, 1, held.n);
        c.given_fold = given;
    }
    if (!quiet) {
        char report[1024];
        xl_rec_report_text(&d.report, report, sizeof report);
        fprintf(stderr, "xlrec: %s: %u users, %u items; %s\n", s.ratings, d.n_users, d.n_items, report);
    }
    if ((c.protocol == XL_SPLIT_LAST || c.protocol == XL_SPLIT_TIME) && !d.has_time && !c.given_fold) {
        rc = xl_cli_usage_error(&spec, "--protocol %s splits by time, but the ratings have no timestamps: give "
                                "--time-col (MovieLens: timestamp, KMRD: time)", protocol);
        goto done;
    }
    if (write_split) {
        if (xl_eval_write_split(&d, &c, write_split, &err) < 0) {
            rc = xl_cli_runtime_error(&err);
            goto done;
        }
        if (!quiet) fprintf(stderr, "xlrec: split written to %s/ (train.csv, validation.csv, test.csv, items.csv)\n",
                            write_split);
    }
    if (per_user || significance) {
        c.per_user = per_user_add;
        c.per_user_ctx = &L;
    }
    if (xl_rec_setup_params(&s, &d, &p, &err) < 0 || xl_eval_run(&d, iv.v ? &iv : NULL, kinds, nk, &p, &c, res, &err) < 0) {
        rc = xl_cli_runtime_error(&err);
        goto done;
    }
    if (L.failed) {
        xl_fail(&err, XL_ERR_NOMEM, "out of memory collecting per-user metrics");
        rc = xl_cli_runtime_error(&err);
        goto done;
    }
    if (per_user) {
        xl_buf out;
        xl_buf_init(&out);
        int wrc = xl_buf_printf(&out, &err, "model\tfold\tuser\trelevant\tndcg\tndcg_graded\tprecision\trecall\tap\trr\thit\n");
        if (wrc == 0 && L.lines.len) wrc = xl_buf_append(&out, L.lines.data, L.lines.len, &err);
        if (wrc == 0) wrc = xl_write_file(per_user, out.data, out.len, &err);
        xl_buf_free(&out);
        if (wrc < 0) {
            rc = xl_cli_runtime_error(&err);
            goto done;
        }
    }
    if (significance) { /* the first ranking model against every other one, over the same users */
        size_t first = nk;
        for (size_t t = 0; t < nk && first == nk; t++)
            if (!xl_eval_rating_only(kinds[t])) first = t;
        for (size_t t = first + 1; t < nk && res->n_tests < 16; t++) {
            if (xl_eval_rating_only(kinds[t]) || L.n[t] != L.n[first]) continue;
            if (L.n[t] < 2) continue;
            size_t q = res->n_tests;
            snprintf(res->tests[q].model_a, sizeof res->tests[q].model_a, "%s", xl_rec_kind_name(kinds[first]));
            snprintf(res->tests[q].model_b, sizeof res->tests[q].model_b, "%s", xl_rec_kind_name(kinds[t]));
            if (xl_paired_tests(L.ndcg[first], L.ndcg[t], L.n[t], &res->tests[q].r, &err) < 0) {
                rc = xl_cli_runtime_error(&err);
                goto done;
            }
            res->n_tests++;
        }
        if (!res->n_tests && !quiet) fprintf(stderr, "xlrec: --significance needs two ranking models\n");
    }
    if (emit(res, s.ratings, json, svg, &err) < 0) rc = xl_cli_runtime_error(&err);
done:
    free(given);
    xl_csr_free(&trainc);
    xl_interactions_free(&held);
    xl_buf_free(&L.lines);
    for (size_t t = 0; t < 64; t++) free(L.ndcg[t]);
    xl_item_vectors_free(&iv);
    xl_rec_dataset_free(&d);
    free(res);
    return rc;
}
