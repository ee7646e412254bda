/* cmd_recommend.c - `xlrec recommend --ratings FILE --model M -k 10 ...`
 * Fits one model on all interactions and prints, per user, the top-K unseen
 * items as TSV:  user<TAB>rank<TAB>item<TAB>score[<TAB>because]
 * where `because` (content, cosbias, hybrid with --explain N) lists the
 * history items that contributed most: "item:contribution,item:contribution".
 * Load report (rows dropped and why) goes to stderr. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xl_alloc.h"
#include "xl_cli.h"
#include "xl_csv.h"
#include "xl_parse.h"
#include "xl_rec_setup.h"

/* An id that a space-separated list cannot carry is an error, not a silently split item. */
static bool list_safe(const char *id)
{
    return *id && !strpbrk(id, " \t\r\n");
}

/* Text in a TSV column: tabs and line ends become spaces. */
static void put_text(const char *s)
{
    for (; *s; s++) putchar(*s == '\t' || *s == '\n' || *s == '\r' ? ' ' : *s);
}

/* --format eval: header "user<TAB>items[<TAB>titles]", then user<TAB>item item ... per user. */
static int print_eval_format(const xl_idmap *user_ids, const xl_rec_dataset *d, const uint32_t *users, size_t nu,
                             const uint32_t *items, size_t k, bool titles, xl_error *err)
{
    printf(titles ? "user\titems\ttitles\n" : "user\titems\n");
    for (size_t j = 0; j < nu; j++) {
        const char *u = user_ids->names[users[j]];
        if (!list_safe(u)) return xl_fail(err, XL_ERR_FORMAT, "--format eval: user id '%s' holds a space or tab", u);
        printf("%s\t", u);
        size_t listed = 0;
        for (size_t t = 0; t < k; t++) {
            uint32_t it = items[j * k + t];
            if (it == XL_REC_NONE) break;
            if (!list_safe(d->items.names[it]))
                return xl_fail(err, XL_ERR_FORMAT, "--format eval: item id '%s' holds a space or tab", d->items.names[it]);
            printf("%s%s", listed++ ? " " : "", d->items.names[it]);
        }
        if (titles) {
            putchar('\t');
            for (size_t t = 0; t < listed; t++) {
                if (t) fputs(" | ", stdout);
                put_text(d->item_text ? d->item_text[items[j * k + t]] : "");
            }
        }
        putchar('\n');
    }
    return 0;
}

/* --history FILE: user,item[,rating][,time] rows (header; columns found by --user-col/--item-col/
 * --rating-col/--time-col when those name header columns, else by the names user, item, rating,
 * time, else user = column 0, item = column 1) for users described only by this history.  Items
 * the model does not know are dropped and counted; a repeated (user, item) keeps the later row. */
static long history_column(const xl_csv *r, const char *given, const char *name, long fallback)
{
    long c = given ? xl_csv_column(r, given) : -1;
    if (c < 0) c = xl_csv_column(r, name);
    return c >= 0 ? c : fallback;
}

static int load_history(const xl_rec_setup *s, const char *path, const xl_idmap *items, xl_idmap *hist_users,
                        xl_csr *out, size_t *unknown_items, xl_error *err)
{
    xl_rec_load_options o;
    if (xl_rec_setup_load_options(s, &o, err) < 0) return -1;
    xl_csv *r;
    char *owned;
    if (xl_rec_open_table(&r, &owned, path, o.separator, o.no_quote, true, o.encoding, NULL, err) < 0) return -1;
    long cu = history_column(r, s->user_col, "user", 0), ci = history_column(r, s->item_col, "item", 1);
    long cr = history_column(r, s->rating_col, "rating", -1), ct = history_column(r, s->time_col, "time", -1);
    xl_interactions x;
    xl_interactions_init(&x);
    const xl_csv_field *f;
    size_t nf;
    int got, rc = -1;
    *unknown_items = 0;
    while ((got = xl_csv_next(r, &f, &nf, err)) > 0) {
        unsigned long long line = (unsigned long long)xl_csv_line(r);
        if ((size_t)cu >= nf || (size_t)ci >= nf || (cr >= 0 && (size_t)cr >= nf) || (ct >= 0 && (size_t)ct >= nf)) {
            xl_fail(err, XL_ERR_FORMAT, "%s:%llu: %zu fields, too few for the user/item/rating/time columns", path,
                    line, nf);
            goto out;
        }
        if (f[cu].len == 0) {
            xl_fail(err, XL_ERR_FORMAT, "%s:%llu: empty user id", path, line);
            goto out;
        }
        long it = xl_idmap_find(items, f[ci].data, f[ci].len);
        if (it < 0) {
            (*unknown_items)++;
            continue;
        }
        double rating = 1.0;
        int64_t t = 0;
        if (cr >= 0 && xl_parse_double(f[cr].data, f[cr].len, false, &rating, err) < 0) {
            xl_error_prefix(err, "%s:%llu: rating", path, line);
            goto out;
        }
        if (ct >= 0 && xl_parse_i64(f[ct].data, f[ct].len, &t, err) < 0) {
            xl_error_prefix(err, "%s:%llu: time", path, line);
            goto out;
        }
        if (!(fabs(rating) <= XL_RATING_ABS_MAX)) {
            xl_fail(err, XL_ERR_FORMAT, "%s:%llu: rating %g out of range", path, line, rating);
            goto out;
        }
        long u = xl_idmap_intern(hist_users, f[cu].data, f[cu].len, NULL, err);
        if (u < 0 || xl_interactions_push(&x, (uint32_t)u, (uint32_t)it, (float)rating, t, err) < 0) goto out;
    }
    if (got < 0) goto out;
    if (hist_users->n == 0) {
        xl_fail(err, XL_ERR_FORMAT, "%s: no history row with a known item", path);
        goto out;
    }
    if (xl_rec_dedupe(&x, (uint32_t)hist_users->n, err) == (size_t)-1) goto out;
    rc = xl_csr_build(out, &x, NULL, 0, (uint32_t)hist_users->n, (uint32_t)items->n, false, err);
out:
    xl_interactions_free(&x);
    xl_csv_close(r);
    free(owned);
    return rc;
}

/* --similar-items ID,ID: item<TAB>rank<TAB>similar_item<TAB>similarity, K lines per item (fewer
 * when the model lists fewer, e.g. itemknn's neighbours). */
static int print_similar(const xl_rec_model *m, const xl_idmap *item_ids, const char *list, size_t k, xl_error *err)
{
    size_t n_max = 1;
    for (const char *q = list; *q; q++) n_max += *q == ',';
    uint32_t *items = xl_malloc(n_max * sizeof *items, err), *out = NULL;
    float *scores = NULL;
    size_t n = 0;
    int rc = -1;
    if (!items) return -1;
    for (const char *q = list;;) {
        const char *e = strchr(q, ',');
        size_t len = e ? (size_t)(e - q) : strlen(q);
        long it = xl_idmap_find(item_ids, q, len);
        if (it < 0) {
            xl_fail(err, XL_ERR_USAGE, "--similar-items: no item '%.*s' in the model", (int)(len > 64 ? 64 : len), q);
            goto out;
        }
        items[n++] = (uint32_t)it;
        if (!e) break;
        q = e + 1;
    }
    size_t cells;
    if (!xl_mul_size(n, k, &cells)) {
        xl_fail(err, XL_ERR_LIMIT, "--similar-items: %zu items x %zu neighbours overflow", n, k);
        goto out;
    }
    out = xl_malloc(cells * sizeof *out, err);
    scores = xl_malloc(cells * sizeof *scores, err);
    if (!out || !scores || xl_rec_similar_topk(m, items, n, k, out, scores, err) < 0) goto out;
    for (size_t r = 0; r < n; r++)
        for (size_t t = 0; t < k && out[r * k + t] != XL_REC_NONE; t++)
            printf("%s\t%zu\t%s\t%.6g\n", item_ids->names[items[r]], t + 1, item_ids->names[out[r * k + t]],
                   scores[r * k + t]);
    if (fflush(stdout) != 0) {
        xl_fail(err, XL_ERR_IO, "stdout: write failed");
        goto out;
    }
    rc = 0;
out:
    free(items);
    free(out);
    free(scores);
    return rc;
}

int cmd_recommend(int argc, char **argv)
{
    xl_rec_setup s;
    xl_rec_setup_default(&s);
    const char *model = "als", *users_opt = NULL, *format = "tsv";
    const char *save = NULL, *load = NULL, *history = NULL, *similar = NULL;
    bool titles = false;
    int64_t k = 10, explain = 0;
    bool quiet = false;
    xl_option opts[100];
    size_t n = 0;
    const xl_option own[] = {
        {"model", 'm', XL_OPT_CHOICE, &model, NULL, "model", 0, 0,
         "popularity|itemknn|als|bpr|mf|mean|baseline|content|cosbias|hybrid"},
        {"k", 'k', XL_OPT_INT, &k, "N", "items per user", 1, 100000, NULL},
        {"users", 'u', XL_OPT_STRING, &users_opt, "IDS", "comma-separated user ids (absent: every user)", 0, 0, NULL},
        {"explain", 0, XL_OPT_INT, &explain, "N", "content models: the N history items that contributed most", 0, 1000, NULL},
        {"quiet", 'q', XL_OPT_FLAG, &quiet, NULL, "no load report on stderr", 0, 0, NULL},
        {"format", 0, XL_OPT_CHOICE, &format, NULL,
         "tsv: user, rank, item, score per line; eval: one line per user, user<TAB>item item ... (what "
         "`xlrec eval --predictions` reads, after a header line)", 0, 0, "tsv|eval"},
        {"titles", 0, XL_OPT_FLAG, &titles, NULL, "--format eval: a third column with the items' text, ' | '-joined", 0,
         0, NULL},
        {"save", 0, XL_OPT_STRING, &save, "MODEL", "write the fitted model (ids, training matrix, parameters)", 0, 0,
         NULL},
        {"load", 0, XL_OPT_STRING, &load, "MODEL", "use a model written by --save instead of fitting one", 0, 0, NULL},
        {"history", 0, XL_OPT_STRING, &history, "FILE",
         "recommend for the users of FILE (user,item[,rating][,time]) from their history alone (fold-in: "
         "popularity, itemknn, als, content, hybrid)", 0, 0, NULL},
        {"similar-items", 0, XL_OPT_STRING, &similar, "IDS",
         "instead of user lists: the K items most similar to each of these comma-separated item ids "
         "(item<TAB>rank<TAB>similar_item<TAB>similarity; itemknn, als, bpr, mf, content, cosbias, hybrid)", 0, 0,
         NULL},
    };
    memcpy(opts, own, sizeof own);
    n = sizeof own / sizeof own[0];
    if (xl_rec_setup_options(&s, opts, &n, 99) < 0) return XL_EXIT_RUNTIME;
    memset(&opts[n], 0, sizeof opts[n]);
    const xl_command_spec spec = {
        "recommend",
        "xlrec recommend --ratings FILE [--items FILE --item-text-cols COLS] [--vectors F.npy | --text-vectors DIM]\n"
        "                --model M [-k 10] [--users ID,ID] [--explain 3] [--format tsv|eval [--titles]]\n"
        "                [--save MODEL]\n"
        "xlrec recommend --load MODEL [--history FILE] [-k 10] [--users ID,ID] [--format tsv|eval]\n"
        "xlrec recommend (--ratings FILE ... --model M | --load MODEL) --similar-items ID,ID [-k 10]",
        "Fit a model on every interaction (or load one) and print each user's top-K unseen items as\n"
        "user<TAB>rank<TAB>item<TAB>score[<TAB>history_item:contribution,...].\n"
        "Example (MovieLens): xlrec recommend --ratings ratings.csv --user-col userId --item-col movieId\n"
        "  --rating-col rating --time-col timestamp --model bpr -k 10 --save ml.xlrec",
        opts, 0, 0};
    xl_args args;
    int rc = xl_cli_parse(&spec, argc, argv, &args);
    if (rc != XL_CLI_CONTINUE) return rc;
    if (!s.ratings && !load) return xl_cli_usage_error(&spec, "--ratings FILE (or --load MODEL) is required");
    if (s.ratings && load) return xl_cli_usage_error(&spec, "give --ratings (fit) or --load (a saved model), not both");
    if (xl_rec_setup_usage_problem(&s)) return xl_cli_usage_error(&spec, "%s", xl_rec_setup_usage_problem(&s));
    if (similar && (history || users_opt || explain || strcmp(format, "tsv") != 0 || titles))
        return xl_cli_usage_error(&spec, "--similar-items lists items, not users: it does not go with --history, "
                                  "--users, --explain, --format eval or --titles");
    const char *inputs[] = {s.ratings, s.items, s.vectors, load, history};
    if ((rc = xl_cli_check_output(&spec, save, inputs, 5)) != XL_CLI_CONTINUE) return rc;
    xl_rec_kind kind = (xl_rec_kind)xl_rec_kind_parse(model);
    xl_error err;
    xl_error_clear(&err);
    xl_rec_dataset d;
    xl_rec_dataset_init(&d);
    xl_item_vectors iv = {0};
    xl_rec_model *m = NULL, *folded = NULL;
    xl_csr train = {0}, hist = {0};
    xl_idmap hist_users;
    xl_idmap_init(&hist_users);
    uint32_t *users = NULL, *items = NULL;
    float *scores = NULL;
    uint32_t ex_items[1000];
    float ex_contrib[1000];
    rc = XL_EXIT_RUNTIME;
    if (load) {
        if (xl_rec_load_model(load, &m, &d.users, &d.items, &err) < 0) goto fail;
        xl_rec_set_threads(m, (int)s.threads);
        d.n_users = (uint32_t)d.users.n;
        d.n_items = (uint32_t)d.items.n;
        if (!quiet)
            fprintf(stderr, "xlrec: %s: %s model, %u users, %u items\n", load, xl_rec_kind_name(xl_rec_model_kind(m)),
                    d.n_users, d.n_items);
    } else {
        if (xl_rec_setup_load(&s, &d, &iv, &err) < 0) goto fail;
        if (!quiet) {
            char report[1024];
            xl_rec_report_text(&d.report, report, sizeof report);
            fprintf(stderr, "xlrec: %s: %u users, %u items; %s\n", s.ratings, d.n_users, d.n_items, report);
        }
        if (xl_rec_needs_vectors(kind) && !iv.v) {
            rc = xl_cli_usage_error(&spec, "model %s needs --vectors or --text-vectors", model);
            goto done;
        }
        xl_rec_params p;
        if (xl_rec_setup_params(&s, &d, &p, &err) < 0) goto fail;
        if (xl_csr_build(&train, &d.x, NULL, 0, d.n_users, d.n_items, false, &err) < 0) goto fail;
        m = xl_rec_fit(kind, &p, &train, iv.v ? &iv : NULL, &err);
        if (!m) goto fail;
        if (save) {
            if (xl_rec_save(m, &d.users, &d.items, save, &err) < 0) goto fail;
            if (!quiet) fprintf(stderr, "xlrec: model written to %s\n", save);
        }
    }
    if (similar) {
        rc = print_similar(m, &d.items, similar, (size_t)k, &err);
        if (rc < 0) goto fail;
        rc = XL_EXIT_OK;
        goto done;
    }
    /* the model that ranks, its users' ids and the items each user has seen */
    const xl_rec_model *ranker = m;
    const xl_idmap *user_ids = &d.users;
    const xl_csr *seen = xl_rec_train_matrix(m);
    if (history) {
        size_t unknown = 0;
        if (load_history(&s, history, &d.items, &hist_users, &hist, &unknown, &err) < 0) goto fail;
        if (!quiet)
            fprintf(stderr, "xlrec: %s: %zu users; %zu rows with items the model does not know dropped\n", history,
                    hist_users.n, unknown);
        folded = xl_rec_fold_in(m, &hist, &err);
        if (!folded) goto fail;
        ranker = folded;
        user_ids = &hist_users;
        seen = &hist;
    }
    uint32_t n_rank_users = (uint32_t)user_ids->n;
    size_t nu = 0;
    users = xl_malloc(((size_t)n_rank_users + 1) * sizeof *users, &err);
    if (!users) goto fail;
    if (users_opt) {
        const char *q = users_opt;
        while (*q) {
            const char *e = strchr(q, ',');
            size_t len = e ? (size_t)(e - q) : strlen(q);
            long u = xl_idmap_find(user_ids, q, len);
            if (u < 0) {
                xl_fail(&err, XL_ERR_USAGE, "--users: no user '%.*s' in %s", (int)(len > 64 ? 64 : len), q,
                        history ? history : load ? load : s.ratings);
                goto fail;
            }
            if (nu < n_rank_users) users[nu++] = (uint32_t)u;
            q += len + (e ? 1 : 0);
        }
    } else {
        for (uint32_t u = 0; u < n_rank_users; u++) users[nu++] = u;
    }
    items = xl_malloc((nu ? nu : 1) * (size_t)k * sizeof *items, &err);
    scores = xl_malloc((nu ? nu : 1) * (size_t)k * sizeof *scores, &err);
    if (!items || !scores) goto fail;
    if (xl_rec_topk(ranker, seen, users, nu, (size_t)k, (int)s.threads, items, scores, &err) < 0) goto fail;
    if (strcmp(format, "eval") == 0) {
        if (print_eval_format(user_ids, &d, users, nu, items, (size_t)k, titles, &err) < 0) goto fail;
        nu = 0; /* printed */
    }
    for (size_t j = 0; j < nu; j++) {
        for (size_t t = 0; t < (size_t)k; t++) {
            uint32_t it = items[j * (size_t)k + t];
            if (it == XL_REC_NONE) break;
            printf("%s\t%zu\t%s\t%.6g", user_ids->names[users[j]], t + 1, d.items.names[it], scores[j * (size_t)k + t]);
            size_t ne = explain ? xl_rec_explain(ranker, users[j], it, (size_t)explain, ex_items, ex_contrib) : 0;
            for (size_t q = 0; q < ne; q++)
                printf("%c%s:%.4f", q ? ',' : '\t', d.items.names[ex_items[q]], ex_contrib[q]);
            putchar('\n');
        }
    }
    if (fflush(stdout) != 0) {
        xl_fail(&err, XL_ERR_IO, "stdout: write failed");
        goto fail;
    }
    rc = XL_EXIT_OK;
    goto done;
fail:
    rc = xl_cli_runtime_error(&err);
done:
    free(users);
    free(items);
    free(scores);
    xl_rec_free(folded);
    xl_rec_free(m);
    xl_csr_free(&train);
    xl_csr_free(&hist);
    xl_idmap_free(&hist_users);
    xl_item_vectors_free(&iv);
    xl_rec_dataset_free(&d);
    return rc;
}
