/* pipeline_report.c - what `xlrec run` writes: recommendations with their
 * explanations, the account of what the run did, and the evaluation report
 * (JSON, table, SVG).  See pipeline.h. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline.h"
#include "xl_eval_svg.h"
#include "xl_io.h"
#include "xl_json.h"

/* Append s with TAB, CR and LF replaced by spaces (a TSV field). */
static int tsv_field(xl_buf *b, const char *s, xl_error *err)
{
    for (; *s; s++)
        if (xl_buf_putc(b, (*s == '\t' || *s == '\n' || *s == '\r') ? ' ' : *s, err) < 0) return -1;
    return 0;
}

int xl_pipeline_write_recommendations(const xl_pipeline *p, xl_buf *b, xl_error *err)
{
    if (p->n_models == 0) return xl_fail(err, XL_ERR_USAGE, "recommendations: no model was run");
    const xl_pipeline_model *pm = &p->models[p->chosen];
    size_t k = p->opt.k, ne_max = p->opt.explain;
    uint32_t *ex_items = xl_calloc(ne_max ? ne_max : 1, sizeof *ex_items, err);
    float *ex_contrib = xl_calloc(ne_max ? ne_max : 1, sizeof *ex_contrib, err);
    int rc = -1;
    if (!ex_items || !ex_contrib) goto out;
    if (xl_buf_printf(b, err, "user\tuser_lang\tmodel\trank\titem\titem_lang\troute\tscore\tbecause\ttitle\n") < 0) goto out;
    for (uint32_t u = 0; u < p->data.n_users; u++)
        for (size_t t = 0; t < k; t++) {
            uint32_t it = pm->lists[(size_t)u * k + t];
            if (it == XL_REC_NONE) break;
            if (xl_buf_printf(b, err, "%s\t%s\t%s\t%zu\t%s\t%s\t%s\t%.6f\t", p->data.users.names[u], p->user_lang[u],
                              pm->label, t + 1, p->data.items.names[it], p->lang[it], xl_route_name(p->route[it]),
                              (double)pm->scores[(size_t)u * k + t]) < 0)
                goto out;
            size_t ne = ne_max ? xl_rec_explain(pm->model, u, it, ne_max, ex_items, ex_contrib) : 0;
            for (size_t q = 0; q < ne; q++)
                if (xl_buf_printf(b, err, "%s%s:%.4f", q ? "," : "", p->data.items.names[ex_items[q]],
                                  (double)ex_contrib[q]) < 0)
                    goto out;
            if ((ne == 0 && xl_buf_putc(b, '-', err) < 0) || xl_buf_putc(b, '\t', err) < 0 ||
                tsv_field(b, p->clean[it], err) < 0 || xl_buf_putc(b, '\n', err) < 0)
                goto out;
        }
    rc = 0;
out:
    free(ex_items);
    free(ex_contrib);
    return rc;
}

int xl_pipeline_summary(const xl_pipeline *p, xl_buf *b, xl_error *err)
{
    const xl_rec_load_report *r = &p->data.report;
    char report[1024];
    xl_rec_report_text(r, report, sizeof report);
    size_t direct = 0, translated = 0, skipped[XL_SKIP_N] = {0}, n_skipped = 0;
    for (uint32_t i = 0; i < p->data.n_items; i++) {
        if (p->route[i] == XL_ROUTE_DIRECT) direct++;
        else if (p->route[i] == XL_ROUTE_TRANSLATED) translated++;
        else {
            skipped[p->skip[i]]++;
            n_skipped++;
        }
    }
    if (xl_buf_printf(b, err, "items: %u from %s (%llu without text)\n", p->data.n_items, p->opt.items_path,
                      (unsigned long long)r->items_without_text) < 0 ||
        xl_buf_printf(b, err, "interactions: %s: %u users; %s\n", p->opt.interactions_path, p->data.n_users, report) < 0)
        return -1;
    if (p->data.report.unknown_item &&
        xl_buf_printf(b, err, "  %llu interaction row(s) name an item absent from %s (first at line %llu): dropped\n",
                      (unsigned long long)r->unknown_item, p->opt.items_path,
                      (unsigned long long)r->first_line[0]) < 0)
        return -1;
    const char *src = p->lang_from_column == p->data.n_items ? "the items file's language column"
                      : p->lang_from_langid + p->lang_from_script == p->data.n_items
                          ? (p->lang_from_langid ? "the language identifier" : "the script of the text")
                          : "mixed";
    if (xl_buf_printf(b, err, "languages: from %s (%zu from the column, %zu identified, %zu by script)\n", src,
                      p->lang_from_column, p->lang_from_langid, p->lang_from_script) < 0 ||
        xl_buf_printf(b, err, "embedder: %s\n", p->embedder_desc) < 0 ||
        xl_buf_printf(b, err, "  %-8s %6s %8s %7s  %-12s %6s %10s %7s %6s\n", "lang", "items", "tokens", "known",
                      "route", "direct", "translated", "skipped", "users") < 0)
        return -1;
    for (size_t l = 0; l < p->n_langs; l++) {
        const xl_lang_stats *s = &p->langs[l];
        size_t sk = 0;
        for (int q = 0; q < XL_SKIP_N; q++) sk += s->skipped[q];
        double share = s->tokens ? (double)s->known_tokens / (double)s->tokens : 0;
        const char *route = s->covered ? "embedded" : p->opt.dict_path ? "translated" : "not covered";
        if (xl_buf_printf(b, err, "  %-8s %6zu %8zu %6.1f%%  %-12s %6zu %10zu %7zu %6zu\n", s->lang, s->items, s->tokens,
                          100 * share, route, s->direct, s->translated, sk, s->users) < 0)
            return -1;
    }
    if (xl_buf_printf(b, err, "routing (a language is covered when >= %.0f%% of its tokens are in the embedder's "
                              "vocabulary): %zu items embedded directly, %zu translated",
                      100 * p->opt.min_coverage, direct, translated) < 0)
        return -1;
    if (translated &&
        xl_buf_printf(b, err, " with %s into '%s' (%zu tokens translated, %zu without an entry kept as written)",
                      p->opt.dict_path, p->opt.pivot_lang, p->translated_tokens, p->translation_unknown_tokens) < 0)
        return -1;
    if (xl_buf_printf(b, err, ", %zu skipped\n", n_skipped) < 0) return -1;
    for (int q = 1; q < XL_SKIP_N; q++) {
        if (!skipped[q]) continue;
        if (xl_buf_printf(b, err, "  skipped, %s: %zu item(s):", xl_skip_reason_text((xl_skip_reason)q), skipped[q]) < 0)
            return -1;
        size_t shown = 0;
        for (uint32_t i = 0; i < p->data.n_items && shown < 8; i++)
            if (p->route[i] == XL_ROUTE_SKIPPED && (int)p->skip[i] == q) {
                if (xl_buf_printf(b, err, " %s(%s)", p->data.items.names[i], p->lang[i]) < 0) return -1;
                shown++;
            }
        if (xl_buf_printf(b, err, "%s\n", skipped[q] > shown ? " ..." : "") < 0) return -1;
    }
    if (p->users_without_content &&
        xl_buf_printf(b, err, "users: %zu of %u have no embedded history item (every item they read was skipped): the "
                              "content models recommend nothing to them\n",
                      p->users_without_content, p->data.n_users) < 0)
        return -1;
    if (xl_buf_printf(b, err, "recommenders:") < 0) return -1;
    for (size_t m = 0; m < p->n_models; m++)
        if (xl_buf_printf(b, err, " %s (%s, fit %.3f s)%s", p->models[m].label, xl_rec_kind_name(p->models[m].kind),
                          xl_rec_fit_seconds(p->models[m].model), m + 1 < p->n_models ? "," : "") < 0)
            return -1;
    if (xl_buf_printf(b, err, "; recommendations from %s, k = %zu", p->n_models ? p->models[p->chosen].label : "-",
                      p->opt.k) < 0)
        return -1;
    if (p->n_models > 1 && p->models[p->chosen].val_ndcg < 0) {
        if (xl_buf_printf(b, err, " (no user has enough training data for a validation split: the first model)") < 0)
            return -1;
    } else if (p->n_models > 1) { /* issue 17: say why that model */
        if (xl_buf_printf(b, err, " (best NDCG@%zu on a validation split of the training data:", p->opt.k) < 0)
            return -1;
        for (size_t m = 0; m < p->n_models; m++)
            if (xl_buf_printf(b, err, " %s %.4f%s", p->models[m].label, p->models[m].val_ndcg,
                              m + 1 < p->n_models ? "," : ")") < 0)
                return -1;
    }
    if (xl_buf_putc(b, '\n', err) < 0) return -1;
    bool has_hybrid = false;
    for (size_t m = 0; m < p->n_models; m++) has_hybrid |= p->models[m].kind == XL_REC_HYBRID;
    if (has_hybrid) { /* issue 17: the blend weight and where it came from */
        if (p->hybrid_val_ndcg[0] >= 0) {
            if (xl_buf_printf(b, err,
                              "hybrid: CF weight %.1f chosen on the validation split (NDCG@%zu %.4f; CF alone %.4f, "
                              "content alone %.4f)\n",
                              p->hybrid_alpha, p->opt.k, p->hybrid_val_ndcg[0], p->hybrid_val_ndcg[1],
                              p->hybrid_val_ndcg[2]) < 0)
                return -1;
        } else if (xl_buf_printf(b, err, "hybrid: CF weight %.2f (%s)\n", p->hybrid_alpha,
                                 p->opt.hybrid_alpha >= 0 ? "--hybrid-alpha"
                                                          : "no validation user: the middle weight") < 0) {
            return -1;
        }
    }
    if (p->opt.heldout_path &&
        xl_buf_printf(b, err, "held out: %s: %zu rows, %zu used; dropped: %zu unknown user, %zu unknown item, %zu "
                              "already in the history, %zu duplicate\n",
                      p->opt.heldout_path, p->heldout_rows, p->heldout.n, p->heldout_unknown_user,
                      p->heldout_unknown_item, p->heldout_in_train, p->heldout_duplicates) < 0)
        return -1;
    static const char *const stage[] = {"load", "clean", "detect", "open", "route", "embed", "profiles", "recommend",
                                        "evaluate"};
    if (p->eval_rows_dropped &&
        xl_buf_printf(b, err, "evaluation: %zu (model, language pair) rows beyond the report's %d-row limit were not "
                              "computed\n", p->eval_rows_dropped, XL_EVAL_MAX_ROWS) < 0)
        return -1;
    if (xl_buf_printf(b, err, "time:") < 0) return -1;
    for (int s = 0; s < 9; s++)
        if (xl_buf_printf(b, err, " %s %.3f s%s", stage[s], p->seconds[s], s < 8 ? "," : "\n") < 0) return -1;
    return 0;
}

int xl_pipeline_eval_json(const xl_pipeline *p, xl_buf *b, xl_error *err)
{
    if (!p->evaluated) return xl_fail(err, XL_ERR_USAGE, "evaluation: no held-out data");
    const xl_eval_result *r = p->eval;
    if (xl_buf_printf(b, err, "{\n  \"items\": ") < 0 || xl_json_put_cstr(b, p->opt.items_path, err) < 0 ||
        xl_buf_printf(b, err, ",\n  \"interactions\": ") < 0 || xl_json_put_cstr(b, p->opt.interactions_path, err) < 0 ||
        xl_buf_printf(b, err, ",\n  \"heldout\": ") < 0 || xl_json_put_cstr(b, p->opt.heldout_path, err) < 0 ||
        xl_buf_printf(b, err, ",\n  \"embedder\": ") < 0 || xl_json_put_cstr(b, p->embedder_desc, err) < 0 ||
        xl_buf_printf(b, err, ",\n  \"k\": %zu, \"seed\": %llu, \"heldout_used\": %zu,\n  \"results\": [", p->opt.k,
                      (unsigned long long)p->opt.seed, p->heldout.n) < 0)
        return -1;
    for (size_t i = 0; i < r->n_rows; i++) {
        const xl_eval_row *o = &r->rows[i];
        if (xl_buf_printf(b, err, "%s\n    {\"model\": ", i ? "," : "") < 0 || xl_json_put_cstr(b, o->model, err) < 0 ||
            xl_buf_printf(b, err, ", \"subset\": ") < 0 || xl_json_put_cstr(b, o->subset, err) < 0)
            return -1;
        const char *arrow = strstr(o->subset, "->");
        if (arrow) {
            char ul[48];
            snprintf(ul, sizeof ul, "%.*s", (int)(arrow - o->subset), o->subset);
            if (xl_buf_printf(b, err, ", \"user_lang\": ") < 0 || xl_json_put_cstr(b, ul, err) < 0 ||
                xl_buf_printf(b, err, ", \"item_lang\": ") < 0 || xl_json_put_cstr(b, arrow + 2, err) < 0)
                return -1;
        }
        if (xl_buf_printf(b, err,
                          ", \"users\": %zu, \"precision\": %.6f, \"recall\": %.6f, \"f1\": %.6f, \"ndcg\": %.6f,"
                          " \"ndcg_graded\": %.6f, \"map\": %.6f, \"mrr\": %.6f, \"hit_rate\": %.6f",
                          o->n_users, o->rank.precision, o->rank.recall, o->rank.f1, o->rank.ndcg, o->rank.ndcg_graded,
                          o->rank.map, o->rank.mrr, o->rank.hit) < 0)
            return -1;
        if (o->coverage >= 0 && xl_buf_printf(b, err, ", \"coverage\": %.6f", o->coverage) < 0) return -1;
        if (xl_buf_putc(b, '}', err) < 0) return -1;
    }
    return xl_buf_printf(b, err, "\n  ]\n}\n");
}

/* Distinct values of the left (which = 0) or right side of the "ul->il" subsets, sorted. */
static size_t pair_sides(const xl_eval_result *r, int which, char (*out)[24], size_t cap)
{
    size_t n = 0;
    for (size_t i = 0; i < r->n_rows; i++) {
        const char *a = strstr(r->rows[i].subset, "->");
        if (!a) continue;
        char v[24];
        if (which == 0) snprintf(v, sizeof v, "%.*s", (int)(a - r->rows[i].subset), r->rows[i].subset);
        else snprintf(v, sizeof v, "%s", a + 2);
        size_t j = 0;
        while (j < n && strcmp(out[j], v) < 0) j++;
        if (j < n && strcmp(out[j], v) == 0) continue;
        if (n == cap) continue;
        memmove(out + j + 1, out + j, (n - j) * sizeof *out);
        snprintf(out[j], sizeof out[j], "%s", v);
        n++;
    }
    return n;
}

int xl_pipeline_eval_table(const xl_pipeline *p, xl_buf *b, xl_error *err)
{
    if (!p->evaluated) return xl_fail(err, XL_ERR_USAGE, "evaluation: no held-out data");
    const xl_eval_result *r = p->eval;
    size_t k = p->opt.k;
    char h[6][16];
    snprintf(h[0], sizeof h[0], "P@%zu", k);
    snprintf(h[1], sizeof h[1], "R@%zu", k);
    snprintf(h[2], sizeof h[2], "NDCG@%zu", k);
    snprintf(h[3], sizeof h[3], "MAP@%zu", k);
    snprintf(h[4], sizeof h[4], "MRR@%zu", k);
    snprintf(h[5], sizeof h[5], "Hit@%zu", k);
    if (xl_buf_printf(b, err, "evaluation on %s (%zu held-out interactions), k = %zu\n%-9s %5s %7s %7s %7s %7s %7s "
                              "%7s %6s\n",
                      p->opt.heldout_path, p->heldout.n, k, "model", "users", h[0], h[1], h[2], h[3], h[4], h[5],
                      "cov") < 0)
        return -1;
    for (size_t i = 0; i < r->n_rows; i++) {
        const xl_eval_row *o = &r->rows[i];
        if (strcmp(o->subset, "all") != 0) continue;
        if (xl_buf_printf(b, err, "%-9s %5zu %7.4f %7.4f %7.4f %7.4f %7.4f %7.4f %6.3f\n", o->model, o->n_users,
                          o->rank.precision, o->rank.recall, o->rank.ndcg, o->rank.map, o->rank.mrr, o->rank.hit,
                          o->coverage) < 0)
            return -1;
    }
    /* per language pair: one matrix per model, rows = user language, columns = item language */
    char ul[64][24], il[64][24];
    size_t nul = pair_sides(r, 0, ul, 64), nil = pair_sides(r, 1, il, 64);
    if (nul == 0) return 0;
    for (size_t m = 0; m < p->n_models; m++) {
        if (xl_buf_printf(b, err, "\n%s: %s per language pair (row: user language, column: item language; "
                                  "users in brackets)\n%-6s",
                          p->models[m].label, h[2], "") < 0)
            return -1;
        for (size_t c = 0; c < nil; c++)
            if (xl_buf_printf(b, err, " %10s", il[c]) < 0) return -1;
        for (size_t a = 0; a < nul; a++) {
            if (xl_buf_printf(b, err, "\n%-6s", ul[a]) < 0) return -1;
            for (size_t c = 0; c < nil; c++) {
                char sub[48];
                snprintf(sub, sizeof sub, "%.20s->%.20s", ul[a], il[c]);
                const xl_eval_row *o = NULL;
                for (size_t i = 0; i < r->n_rows && !o; i++)
                    if (strcmp(r->rows[i].model, p->models[m].label) == 0 && strcmp(r->rows[i].subset, sub) == 0)
                        o = &r->rows[i];
                int rc = o ? xl_buf_printf(b, err, " %6.3f (%zu)", o->rank.ndcg, o->n_users)
                           : xl_buf_printf(b, err, " %10s", "-");
                if (rc < 0) return -1;
            }
        }
        if (xl_buf_putc(b, '\n', err) < 0) return -1;
    }
    return 0;
}

/* The chart: every model's "all" row, then the language pairs of the first
 * model (all models' pairs would make a chart thousands of pixels tall; the
 * JSON has them). */
int xl_pipeline_eval_svg(const xl_pipeline *p, xl_buf *b, xl_error *err)
{
    if (!p->evaluated) return xl_fail(err, XL_ERR_USAGE, "evaluation: no held-out data");
    xl_eval_result *c = xl_calloc(1, sizeof *c, err);
    if (!c) return -1;
    c->config = p->eval->config;
    c->n_folds_run = 1;
    for (size_t i = 0; i < p->eval->n_rows; i++) {
        const xl_eval_row *o = &p->eval->rows[i];
        if (strcmp(o->subset, "all") == 0 || strcmp(o->model, p->models[p->chosen].label) == 0) c->rows[c->n_rows++] = *o;
    }
    char title[300];
    snprintf(title, sizeof title, "xlrec run: %s (pairs: %s)", p->opt.heldout_path, p->models[p->chosen].label);
    int rc = xl_eval_svg(c, title, b, err);
    free(c);
    return rc;
}

static int write_one(const char *dir, const char *name, const xl_buf *b, xl_error *err)
{
    xl_buf path;
    xl_buf_init(&path);
    int rc = xl_buf_printf(&path, err, "%s/%s", dir, name);
    if (rc == 0) rc = xl_write_file(path.data, b->data ? b->data : "", b->len, err);
    xl_buf_free(&path);
    return rc;
}

int xl_pipeline_write_dir(const xl_pipeline *p, const char *dir, xl_error *err)
{
    xl_buf b;
    xl_buf_init(&b);
    int rc = -1;
    if (xl_pipeline_write_recommendations(p, &b, err) < 0 || write_one(dir, "recommendations.tsv", &b, err) < 0)
        goto out;
    xl_buf_clear(&b);
    if (xl_pipeline_summary(p, &b, err) < 0 || write_one(dir, "summary.txt", &b, err) < 0) goto out;
    if (p->evaluated) {
        xl_buf_clear(&b);
        if (xl_pipeline_eval_json(p, &b, err) < 0 || write_one(dir, "evaluation.json", &b, err) < 0) goto out;
        xl_buf_clear(&b);
        if (xl_pipeline_eval_table(p, &b, err) < 0 || write_one(dir, "evaluation.txt", &b, err) < 0) goto out;
        xl_buf_clear(&b);
        if (xl_pipeline_eval_svg(p, &b, err) < 0 || write_one(dir, "evaluation.svg", &b, err) < 0) goto out;
    }
    rc = 0;
out:
    xl_buf_free(&b);
    return rc;
}
