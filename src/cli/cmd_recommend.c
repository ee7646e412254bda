/* cmd_recommend.c - `xlrec recommend --ratings FILE --model M -k 10 ...`
 * Fits one model on all interactions and prints, per user, the top-K unseen
 * items as TSV:  user<TAB>rank<TAB>item<TAB>score[<TAB>because]
 * where `because` (content, cosbias, hybrid with --explain N) lists the
 * history items that contributed most: "item:contribution,item:contribution".
 * Load report (rows dropped and why) goes to stderr. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xl_alloc.h"
#include "xl_cli.h"
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
static int print_eval_format(const xl_rec_dataset *d, const uint32_t *users, size_t nu, const uint32_t *items,
                             size_t k, bool titles, xl_error *err)
{
    printf(titles ? "user\titems\ttitles\n" : "user\titems\n");
    for (size_t j = 0; j < nu; j++) {
        const char *u = d->users.names[users[j]];
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

int cmd_recommend(int argc, char **argv)
{
    xl_rec_setup s;
    xl_rec_setup_default(&s);
    const char *model = "als", *users_opt = NULL, *format = "tsv";
    bool titles = false;
    int64_t k = 10, explain = 0;
    bool quiet = false;
    xl_option opts[96];
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
    };
    memcpy(opts, own, sizeof own);
    n = sizeof own / sizeof own[0];
    if (xl_rec_setup_options(&s, opts, &n, 95) < 0) return XL_EXIT_RUNTIME;
    memset(&opts[n], 0, sizeof opts[n]);
    const xl_command_spec spec = {
        "recommend",
        "xlrec recommend --ratings FILE [--items FILE --item-text-cols COLS] [--vectors F.npy | --text-vectors DIM]\n"
        "                --model M [-k 10] [--users ID,ID] [--explain 3] [--format tsv|eval [--titles]]",
        "Fit a model on every interaction and print each user's top-K unseen items as\n"
        "user<TAB>rank<TAB>item<TAB>score[<TAB>history_item:contribution,...].\n"
        "Example (MovieLens): xlrec recommend --ratings ratings.csv --user-col userId --item-col movieId\n"
        "  --rating-col rating --time-col timestamp --model bpr -k 10",
        opts, 0, 0};
    xl_args args;
    int rc = xl_cli_parse(&spec, argc, argv, &args);
    if (rc != XL_CLI_CONTINUE) return rc;
    if (!s.ratings) return xl_cli_usage_error(&spec, "--ratings FILE is required");
    xl_rec_kind kind = (xl_rec_kind)xl_rec_kind_parse(model);
    xl_error err;
    xl_error_clear(&err);
    xl_rec_dataset d;
    xl_rec_dataset_init(&d);
    xl_item_vectors iv = {0};
    xl_rec_model *m = NULL;
    xl_csr train = {0};
    uint32_t *users = NULL, *items = NULL;
    float *scores = NULL;
    uint32_t ex_items[1000];
    float ex_contrib[1000];
    rc = XL_EXIT_RUNTIME;
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
    size_t nu = 0;
    users = xl_malloc(((size_t)d.n_users + 1) * sizeof *users, &err);
    if (!users) goto fail;
    if (users_opt) {
        const char *q = users_opt;
        while (*q) {
            const char *e = strchr(q, ',');
            size_t len = e ? (size_t)(e - q) : strlen(q);
            long u = xl_idmap_find(&d.users, q, len);
            if (u < 0) {
                xl_fail(&err, XL_ERR_USAGE, "--users: no user '%.*s' in %s", (int)(len > 64 ? 64 : len), q, s.ratings);
                goto fail;
            }
            if (nu < d.n_users) users[nu++] = (uint32_t)u;
            q += len + (e ? 1 : 0);
        }
    } else {
        for (uint32_t u = 0; u < d.n_users; u++) users[nu++] = u;
    }
    items = xl_malloc((nu ? nu : 1) * (size_t)k * sizeof *items, &err);
    scores = xl_malloc((nu ? nu : 1) * (size_t)k * sizeof *scores, &err);
    if (!items || !scores) goto fail;
    if (xl_rec_topk(m, &train, users, nu, (size_t)k, p.threads, items, scores, &err) < 0) goto fail;
    if (strcmp(format, "eval") == 0) {
        if (print_eval_format(&d, users, nu, items, (size_t)k, titles, &err) < 0) goto fail;
        nu = 0; /* printed */
    }
    for (size_t j = 0; j < nu; j++) {
        for (size_t t = 0; t < (size_t)k; t++) {
            uint32_t it = items[j * (size_t)k + t];
            if (it == XL_REC_NONE) break;
            printf("%s\t%zu\t%s\t%.6g", d.users.names[users[j]], t + 1, d.items.names[it], scores[j * (size_t)k + t]);
            size_t ne = explain ? xl_rec_explain(m, users[j], it, (size_t)explain, ex_items, ex_contrib) : 0;
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
    xl_rec_free(m);
    xl_csr_free(&train);
    xl_item_vectors_free(&iv);
    xl_rec_dataset_free(&d);
    return rc;
}
