/* xl_rec_hybrid.c - the hybrid: alpha z(CF score) + (1 - alpha) z(content score),
 * z = per-user standardisation over all items; the CF part is any collaborative model
 * (`hybrid_cf`), the content part the content model.  alpha is chosen on validation by the
 * callers (xl_eval_hybrid_alpha in src/eval). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "xl_alloc.h"
#include "xl_platform.h"
#include "xl_rng.h"
#include "xl_thread.h"

#include "xl_rec_internal.h"

int xl_rec_fit_hybrid(xl_rec_model *m, const xl_rec_params *p, const xl_csr *train, const xl_item_vectors *vectors,
                      xl_error *err)
{
    xl_rec_kind cfk = p->hybrid_cf;
    if (cfk == XL_REC_HYBRID || xl_rec_needs_vectors(cfk))
        return xl_fail(err, XL_ERR_USAGE, "hybrid: the CF part must be a collaborative model");
    m->cf = xl_rec_fit(cfk, p, train, vectors, err);
    if (!m->cf) return -1;
    m->content = xl_rec_fit(XL_REC_CONTENT, p, train, vectors, err);
    if (!m->content) return -1;
    return 0;
}

void xl_rec_zscore(float *s, size_t n)
{
    double mean = 0, var = 0;
    for (size_t j = 0; j < n; j++) mean += s[j];
    mean /= (double)(n ? n : 1);
    for (size_t j = 0; j < n; j++) var += (s[j] - mean) * (s[j] - mean);
    double sd = n ? sqrt(var / (double)n) : 0.0;
    double inv = sd > 0 ? 1.0 / sd : 0.0;
    for (size_t j = 0; j < n; j++) s[j] = (float)((s[j] - mean) * inv);
}

/* scores = alpha z(CF) + (1 - alpha) z(content); scratch: n_items floats. */
void xl_rec_hybrid_score(const xl_rec_model *m, uint32_t user, float *scores, float *scratch)
{
    size_t n = m->n_items;
    xl_rec_score(m->cf, user, scores, NULL);
    xl_rec_score(m->content, user, scratch, NULL);
    xl_rec_zscore(scores, n);
    xl_rec_zscore(scratch, n);
    float a = (float)m->alpha, b = (float)(1.0 - m->alpha);
    for (size_t j = 0; j < n; j++) scores[j] = a * scores[j] + b * scratch[j];
}

/* alpha z(CF similarity) + (1 - alpha) z(content similarity), z over every item but X. */
int xl_rec_hybrid_similar(const xl_rec_model *m, uint32_t item, float *sims, float *scratch, xl_error *err)
{
    size_t n = m->n_items;
    if (xl_rec_similar_raw(m->cf, item, sims, 0.0f, err) < 0 ||
        xl_rec_similar_raw(m->content, item, scratch, 0.0f, err) < 0)
        return -1;
    /* z over every item but X: X's slot takes the last item's value, the first n - 1 entries are
     * standardised, and the last item's standardised value goes back to its place */
    if (n > 1) {
        sims[item] = sims[n - 1];
        scratch[item] = scratch[n - 1];
        xl_rec_zscore(sims, n - 1);
        xl_rec_zscore(scratch, n - 1);
        sims[n - 1] = sims[item];
        scratch[n - 1] = scratch[item];
    }
    float a = (float)m->alpha, b = (float)(1.0 - m->alpha);
    for (size_t j = 0; j < n; j++) sims[j] = a * sims[j] + b * scratch[j];
    sims[item] = NAN;
    return 0;
}
