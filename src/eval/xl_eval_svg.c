/* xl_eval_svg.c - SVG bar chart of evaluation results and its checker (see
 * xl_eval_svg.h). */
#include "xl_eval_svg.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const metric_names[XL_EVAL_SVG_METRICS] = {"P@K", "R@K", "NDCG@K", "MAP@K", "MRR@K", "Hit@K"};
/* Colour-blind-safe palette (Okabe & Ito 2008). */
static const char *const metric_colors[XL_EVAL_SVG_METRICS] = {"#0072B2", "#E69F00", "#009E73",
                                                               "#CC79A7", "#56B4E9", "#D55E00"};

const char *xl_eval_svg_metric_name(int metric)
{
    return metric >= 0 && metric < XL_EVAL_SVG_METRICS ? metric_names[metric] : "?";
}

static double metric_value(const xl_eval_row *row, int m)
{
    switch (m) {
    case 0: return row->rank.precision;
    case 1: return row->rank.recall;
    case 2: return row->rank.ndcg;
    case 3: return row->rank.map;
    case 4: return row->rank.mrr;
    default: return row->rank.hit;
    }
}

static int escape(xl_buf *b, const char *s, xl_error *err)
{
    for (; *s; s++) {
        int rc;
        switch (*s) {
        case '&': rc = xl_buf_printf(b, err, "&amp;"); break;
        case '<': rc = xl_buf_printf(b, err, "&lt;"); break;
        case '>': rc = xl_buf_printf(b, err, "&gt;"); break;
        case '"': rc = xl_buf_printf(b, err, "&quot;"); break;
        case '\'': rc = xl_buf_printf(b, err, "&apos;"); break;
        default:
            /* control characters are not allowed in XML 1.0 */
            rc = xl_buf_putc(b, (unsigned char)*s < 0x20 ? ' ' : *s, err);
        }
        if (rc < 0) return -1;
    }
    return 0;
}

/* Metric label with K substituted: "P@10". */
static void metric_label(int m, size_t k, char *out, size_t cap)
{
    const char *n = metric_names[m];
    const char *at = strchr(n, '@');
    snprintf(out, cap, "%.*s@%zu", (int)(at - n), n, k);
}

/* Subset as shown: "en->de" -> "en → de". */
static int subset_text(xl_buf *b, const char *subset, xl_error *err)
{
    const char *arrow = strstr(subset, "->");
    if (!arrow) return escape(b, subset, err);
    char left[48];
    snprintf(left, sizeof left, "%.*s", (int)(arrow - subset), subset);
    if (escape(b, left, err) < 0 || xl_buf_printf(b, err, " \xe2\x86\x92 ") < 0) return -1;
    return escape(b, arrow + 2, err);
}

int xl_eval_svg(const xl_eval_result *r, const char *title, xl_buf *b, xl_error *err)
{
    /* layout (pixels) */
    const double label_w = 230, plot_w = 480, right_pad = 70, bar_h = 9, bar_gap = 1, group_gap = 12;
    const double top = 78, section_h = 26;
    const double group_h = XL_EVAL_SVG_METRICS * (bar_h + bar_gap) + group_gap;
    const double width = label_w + plot_w + right_pad;
    size_t k = r->config.k;
    /* order: "all" rows first (per model), then the others in their order */
    size_t order[XL_EVAL_MAX_ROWS], n_drawn = 0, n_all = 0, n_rating_only = 0;
    for (int pass = 0; pass < 2; pass++)
        for (size_t i = 0; i < r->n_rows && i < XL_EVAL_MAX_ROWS; i++) {
            const xl_eval_row *row = &r->rows[i];
            if (!row->has_rank) {
                if (pass == 0) n_rating_only++;
                continue;
            }
            bool is_all = strcmp(row->subset, "all") == 0;
            if ((pass == 0) != is_all) continue;
            order[n_drawn++] = i;
            if (is_all) n_all++;
        }
    size_t n_sections = (n_all > 0) + (n_drawn > n_all);
    double plot_h = (double)n_drawn * group_h + (double)n_sections * section_h;
    double height = top + plot_h + 40 + (double)n_rating_only * 16;
    if (xl_buf_printf(b, err,
                      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                      "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"%.0f\" height=\"%.0f\" "
                      "viewBox=\"0 0 %.0f %.0f\" font-family=\"DejaVu Sans, Arial, sans-serif\" font-size=\"11\">\n"
                      "<rect x=\"0\" y=\"0\" width=\"%.0f\" height=\"%.0f\" fill=\"#ffffff\"/>\n"
                      "<text x=\"12\" y=\"22\" font-size=\"15\" font-weight=\"bold\">",
                      width, height, width, height, width, height) < 0 ||
        escape(b, title && *title ? title : "xlrec evaluation", err) < 0 ||
        xl_buf_printf(b, err, "</text>\n<text x=\"12\" y=\"40\" fill=\"#555555\">K = %zu; bars: ranking metrics, "
                              "0 to 1</text>\n", k) < 0)
        return -1;
    /* legend */
    double lx = 12;
    for (int m = 0; m < XL_EVAL_SVG_METRICS; m++) {
        char lab[32];
        metric_label(m, k, lab, sizeof lab);
        if (xl_buf_printf(b, err,
                          "<rect x=\"%.1f\" y=\"50\" width=\"12\" height=\"12\" fill=\"%s\"/>"
                          "<text x=\"%.1f\" y=\"60\">%s</text>\n",
                          lx, metric_colors[m], lx + 16, lab) < 0)
            return -1;
        lx += 24 + 8.0 * (double)strlen(lab);
    }
    /* grid */
    double y0 = top, y1 = top + plot_h;
    for (int g = 0; g <= 4; g++) {
        double x = label_w + plot_w * g / 4.0;
        if (xl_buf_printf(b, err,
                          "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#dddddd\" stroke-width=\"1\"/>"
                          "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" fill=\"#555555\">%.2f</text>\n",
                          x, y0, x, y1, x, y1 + 14, g / 4.0) < 0)
            return -1;
    }
    double y = top;
    for (size_t o = 0; o < n_drawn; o++) {
        const xl_eval_row *row = &r->rows[order[o]];
        bool is_all = strcmp(row->subset, "all") == 0;
        if (o == 0 || (o == n_all && !is_all)) {
            const char *sec = is_all ? "per model (all users)" : "per subset (user language \xe2\x86\x92 item language)";
            if (xl_buf_printf(b, err, "<text x=\"12\" y=\"%.1f\" font-size=\"12\" font-weight=\"bold\">%s</text>\n",
                              y + 16, sec) < 0)
                return -1;
            y += section_h;
        }
        if (xl_buf_printf(b, err, "<g class=\"row\" data-row=\"%zu\">\n<text x=\"%.1f\" y=\"%.1f\" "
                                  "text-anchor=\"end\">", order[o], label_w - 8, y + 3 * (bar_h + bar_gap) + 4) < 0 ||
            escape(b, row->model, err) < 0 || xl_buf_printf(b, err, is_all ? "" : " \xc2\xb7 ") < 0 ||
            (!is_all && subset_text(b, row->subset, err) < 0) ||
            xl_buf_printf(b, err, "</text>\n<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\" fill=\"#777777\" "
                                  "font-size=\"9\">%zu user%s</text>\n",
                          label_w - 8, y + 3 * (bar_h + bar_gap) + 16, row->n_users, row->n_users == 1 ? "" : "s") < 0)
            return -1;
        for (int m = 0; m < XL_EVAL_SVG_METRICS; m++) {
            double v = metric_value(row, m);
            bool ok = isfinite(v);
            double vv = ok ? (v < 0 ? 0 : v > 1 ? 1 : v) : 0;
            double by = y + m * (bar_h + bar_gap);
            char lab[32];
            metric_label(m, k, lab, sizeof lab);
            if (xl_buf_printf(b, err,
                              "<rect class=\"bar\" data-row=\"%zu\" data-metric=\"%s\" data-value=\"%.6f\" x=\"%.1f\" "
                              "y=\"%.1f\" width=\"%.2f\" height=\"%.1f\" fill=\"%s\"><title>",
                              order[o], lab, ok ? v : 0.0, label_w, by, plot_w * vv, bar_h, metric_colors[m]) < 0 ||
                escape(b, row->model, err) < 0 || xl_buf_printf(b, err, " %s ", row->subset) < 0 ||
                xl_buf_printf(b, err, "%s = %.4f</title></rect>", lab, ok ? v : 0.0) < 0)
                return -1;
            if (ok ? xl_buf_printf(b, err, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"8\" fill=\"#333333\">%.3f</text>\n",
                                   label_w + plot_w * vv + 3, by + bar_h - 1, v)
                   : xl_buf_printf(b, err, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"8\">n/a</text>\n", label_w + 3,
                                   by + bar_h - 1) < 0)
                return -1;
        }
        if (xl_buf_printf(b, err, "</g>\n") < 0) return -1;
        y += group_h;
    }
    y = top + plot_h + 36;
    for (size_t i = 0; i < r->n_rows && i < XL_EVAL_MAX_ROWS; i++) {
        const xl_eval_row *row = &r->rows[i];
        if (row->has_rank) continue;
        if (xl_buf_printf(b, err, "<text x=\"12\" y=\"%.1f\" fill=\"#555555\">", y) < 0 ||
            escape(b, row->model, err) < 0 || xl_buf_printf(b, err, " ") < 0 || escape(b, row->subset, err) < 0 ||
            xl_buf_printf(b, err, ": rating metrics only, RMSE %.4f, MAE %.4f (not drawn)</text>\n",
                          isfinite(row->rmse) ? row->rmse : 0.0, isfinite(row->mae) ? row->mae : 0.0) < 0)
            return -1;
        y += 16;
    }
    return xl_buf_printf(b, err, "</svg>\n");
}

/* ------------------------------------------------------------------ checker */

static bool is_name_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
           c == ':' || c == '.';
}

static bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

/* Entities in s[0..n): only &amp; &lt; &gt; &quot; &apos; &#N; &#xH;. */
static int check_entities(const char *s, size_t n, size_t base, xl_error *err)
{
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '<') return xl_fail(err, XL_ERR_FORMAT, "svg: offset %zu: '<' inside a value", base + i);
        if (s[i] != '&') continue;
        const char *semi = memchr(s + i, ';', n - i);
        if (!semi) return xl_fail(err, XL_ERR_FORMAT, "svg: offset %zu: unterminated entity", base + i);
        size_t len = (size_t)(semi - (s + i)) + 1;
        static const char *const named[] = {"&amp;", "&lt;", "&gt;", "&quot;", "&apos;"};
        bool ok = false;
        for (int j = 0; j < 5 && !ok; j++) ok = strlen(named[j]) == len && memcmp(named[j], s + i, len) == 0;
        if (!ok && len >= 4 && s[i + 1] == '#') {
            ok = true;
            bool hex = s[i + 2] == 'x';
            for (size_t q = i + 2 + hex; q < i + len - 1; q++)
                ok = ok && (hex ? strchr("0123456789abcdefABCDEF", s[q]) != NULL : (s[q] >= '0' && s[q] <= '9'));
        }
        if (!ok) return xl_fail(err, XL_ERR_FORMAT, "svg: offset %zu: unknown entity '%.*s'", base + i, (int)len, s + i);
        i += len - 1;
    }
    return 0;
}

static int check_number(const char *v, size_t n, bool non_negative, const char *name, size_t off, xl_error *err)
{
    char tmp[64];
    if (n == 0 || n >= sizeof tmp) return xl_fail(err, XL_ERR_FORMAT, "svg: offset %zu: %s: bad number", off, name);
    memcpy(tmp, v, n);
    tmp[n] = 0;
    char *end;
    double d = strtod(tmp, &end);
    if (end == tmp || *end || !isfinite(d))
        return xl_fail(err, XL_ERR_FORMAT, "svg: offset %zu: %s=\"%s\" is not a finite number", off, name, tmp);
    if (non_negative && d < 0) return xl_fail(err, XL_ERR_FORMAT, "svg: offset %zu: %s=\"%s\" is negative", off, name, tmp);
    return 0;
}

static bool attr_is(const char *name, size_t n, const char *want) { return strlen(want) == n && memcmp(name, want, n) == 0; }

int xl_svg_check(const char *s, size_t len, size_t *n_bars, xl_error *err)
{
    enum { MAX_DEPTH = 64 };
    const char *stack[MAX_DEPTH];
    size_t stack_len[MAX_DEPTH], depth = 0, bars = 0, elements = 0;
    size_t i = 0;
    while (i < len) {
        if (s[i] != '<') {
            size_t j = i;
            while (j < len && s[j] != '<') j++;
            if (depth == 0) {
                for (size_t q = i; q < j; q++)
                    if (!is_space(s[q]))
                        return xl_fail(err, XL_ERR_FORMAT, "svg: offset %zu: text outside the root element", q);
            } else if (check_entities(s + i, j - i, i, err) < 0) {
                return -1;
            }
            i = j;
            continue;
        }
        if (len - i >= 4 && memcmp(s + i, "<!--", 4) == 0) {
            const char *e = NULL;
            for (size_t q = i + 4; q + 3 <= len; q++)
                if (memcmp(s + q, "-->", 3) == 0) {
                    e = s + q;
                    break;
                }
            if (!e) return xl_fail(err, XL_ERR_FORMAT, "svg: offset %zu: unterminated comment", i);
            i = (size_t)(e - s) + 3;
            continue;
        }
        if (len - i >= 2 && s[i + 1] == '?') {
            if (elements) return xl_fail(err, XL_ERR_FORMAT, "svg: offset %zu: declaration after the first element", i);
            const char *e = NULL;
            for (size_t q = i + 2; q + 2 <= len; q++)
                if (s[q] == '?' && s[q + 1] == '>') {
                    e = s + q;
                    break;
                }
            if (!e) return xl_fail(err, XL_ERR_FORMAT, "svg: offset %zu: unterminated declaration", i);
            i = (size_t)(e - s) + 2;
            continue;
        }
        size_t start = i++;
        bool closing = i < len && s[i] == '/';
        if (closing) i++;
        size_t name_at = i;
        while (i < len && is_name_char(s[i])) i++;
        size_t name_len = i - name_at;
        if (name_len == 0) return xl_fail(err, XL_ERR_FORMAT, "svg: offset %zu: tag without a name", start);
        if (closing) {
            while (i < len && is_space(s[i])) i++;
            if (i >= len || s[i] != '>') return xl_fail(err, XL_ERR_FORMAT, "svg: offset %zu: bad end tag", start);
            i++;
            if (depth == 0 || stack_len[depth - 1] != name_len || memcmp(stack[depth - 1], s + name_at, name_len) != 0)
                return xl_fail(err, XL_ERR_FORMAT, "svg: offset %zu: </%.*s> does not close <%.*s>", start,
                               (int)name_len, s + name_at, depth ? (int)stack_len[depth - 1] : 0,
                               depth ? stack[depth - 1] : "");
            depth--;
            continue;
        }
        if (depth == 0 && elements > 0)
            return xl_fail(err, XL_ERR_FORMAT, "svg: offset %zu: a second root element", start);
        if (depth == 0 && !attr_is(s + name_at, name_len, "svg"))
            return xl_fail(err, XL_ERR_FORMAT, "svg: offset %zu: the root element is not <svg>", start);
        elements++;
        bool is_rect = attr_is(s + name_at, name_len, "rect"), bar = false;
        /* attributes */
        for (;;) {
            size_t before = i;
            while (i < len && is_space(s[i])) i++;
            if (i >= len) return xl_fail(err, XL_ERR_FORMAT, "svg: offset %zu: unterminated tag", start);
            if (s[i] == '>' || (s[i] == '/' && i + 1 < len && s[i + 1] == '>')) break;
            if (i == before) return xl_fail(err, XL_ERR_FORMAT, "svg: offset %zu: attributes must be separated", i);
            size_t an = i;
            while (i < len && is_name_char(s[i])) i++;
            size_t an_len = i - an;
            if (an_len == 0 || i + 1 >= len || s[i] != '=' || (s[i + 1] != '"' && s[i + 1] != '\''))
                return xl_fail(err, XL_ERR_FORMAT, "svg: offset %zu: attribute without a quoted value", an);
            char q = s[i + 1];
            size_t v = i + 2, ve = v;
            while (ve < len && s[ve] != q) ve++;
            if (ve >= len) return xl_fail(err, XL_ERR_FORMAT, "svg: offset %zu: unterminated attribute value", an);
            if (check_entities(s + v, ve - v, v, err) < 0) return -1;
            static const char *const numeric[] = {"x",  "y",  "x1", "y1", "x2", "y2", "rx", "font-size", "stroke-width",
                                                  "data-value", "width", "height", NULL};
            for (int nmi = 0; numeric[nmi]; nmi++)
                if (attr_is(s + an, an_len, numeric[nmi])) {
                    bool nonneg = nmi >= 10;
                    if (check_number(s + v, ve - v, nonneg, numeric[nmi], v, err) < 0) return -1;
                }
            if (attr_is(s + an, an_len, "viewBox")) {
                size_t p = v, count = 0;
                while (p < ve) {
                    while (p < ve && is_space(s[p])) p++;
                    size_t e = p;
                    while (e < ve && !is_space(s[e])) e++;
                    if (e > p) {
                        if (check_number(s + p, e - p, false, "viewBox", p, err) < 0) return -1;
                        count++;
                    }
                    p = e;
                }
                if (count != 4) return xl_fail(err, XL_ERR_FORMAT, "svg: offset %zu: viewBox needs 4 numbers", v);
            }
            if (is_rect && attr_is(s + an, an_len, "class") && ve - v == 3 && memcmp(s + v, "bar", 3) == 0) bar = true;
            i = ve + 1;
        }
        bool self_closing = s[i] == '/';
        i += self_closing ? 2 : 1;
        if (bar) bars++;
        if (!self_closing) {
            if (depth == MAX_DEPTH) return xl_fail(err, XL_ERR_LIMIT, "svg: offset %zu: nested too deeply", start);
            stack[depth] = s + name_at;
            stack_len[depth++] = name_len;
        }
    }
    if (depth) return xl_fail(err, XL_ERR_FORMAT, "svg: <%.*s> is never closed", (int)stack_len[depth - 1], stack[depth - 1]);
    if (!elements) return xl_fail(err, XL_ERR_FORMAT, "svg: no element");
    if (n_bars) *n_bars = bars;
    return 0;
}
