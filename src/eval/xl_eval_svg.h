/* xl_eval_svg.h - a self-contained SVG bar chart of evaluation results (no
 * dependencies, hand-written SVG 1.1), and a small checker for such files.
 *
 * Chart: one horizontal group of bars per result row (model, subset), one bar
 * per ranking metric (P@K, R@K, NDCG@K, MAP@K, MRR@K, HitRate@K) on a common
 * 0..1 axis with grid lines at 0.25 steps, the value written at the end of
 * each bar, a legend, and the rows split into sections by subset: "all" (per
 * model) first, then the other subsets (per language pair "en->de", per
 * language "lang=de"...).  Rows without ranking metrics (rating-only models)
 * are listed under the chart instead of drawn.  Every bar is
 *   <rect class="bar" data-row="R" data-metric="NAME" data-value="V" .../>
 * so tests and scripts can find them.  Text is XML-escaped.
 *
 * Contract: appends to buf; numbers written are finite (a non-finite metric
 * is drawn as 0 and labelled "n/a"); returns 0 or -1 (out of memory).
 */
#ifndef XL_EVAL_SVG_H
#define XL_EVAL_SVG_H

#include <stddef.h>

#include "xl_alloc.h"
#include "xl_error.h"
#include "xl_eval.h"

#define XL_EVAL_SVG_METRICS 6

/* Metric names as drawn ("P@K" with K replaced by the list length). */
const char *xl_eval_svg_metric_name(int metric);

int xl_eval_svg(const xl_eval_result *r, const char *title, xl_buf *buf, xl_error *err);

/* Check that svg[0..len) is well-formed for what xl_eval_svg writes: an
 * optional <?xml ...?> declaration, comments, balanced and properly nested
 * elements with quoted attributes, only the five XML entities (and numeric
 * references) in text and attributes, and every numeric geometry attribute
 * (x y width height x1 y1 x2 y2 rx font-size stroke-width data-value,
 * viewBox) a finite number, width/height not negative.  *n_bars (may be NULL)
 * receives the number of <rect class="bar"> elements.  Returns 0 or -1 with
 * err naming the byte offset and the problem. */
int xl_svg_check(const char *svg, size_t len, size_t *n_bars, xl_error *err);

#endif /* XL_EVAL_SVG_H */
