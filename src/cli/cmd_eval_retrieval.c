/* cmd_eval_retrieval.c - `xlrec eval-retrieval --src A --tgt B ...`:
 * cross-lingual sentence retrieval (Tatoeba/XTREME protocol): line i of A is
 * the translation of line i of B; both sides are embedded from word vectors
 * (mean or SIF, sentvec.h) and every line retrieves its nearest line on the
 * other side by cosine (exact search), or by CSLS (Conneau et al. 2018) /
 * margin scoring with --csls.  Reports P@1 in both directions. */
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "align.h"
#include "sentvec.h"
#include "w2v_vectors.h"
#include "xl_alloc.h"
#include "xl_cli.h"

static int direction(const float *Q, const float *T, size_t n, size_t dim, bool csls, size_t k, int threads,
                     size_t *hits, xl_error *err)
{
    /* per query line: nearest target id and its score; with CSLS the targets' mean top-k
     * similarity r_T and its half as a penalty */
    int64_t *ids = xl_calloc(n ? n : 1, sizeof *ids, err);
    float *sc = ids ? xl_calloc(n ? n : 1, sizeof *sc, err) : NULL, *r_t = NULL, *pen = NULL;
    int rc = -1;
    if (!ids || !sc) goto done;
    if (csls) {
        r_t = xl_calloc(n ? n : 1, sizeof *r_t, err);
        pen = r_t ? xl_calloc(n ? n : 1, sizeof *pen, err) : NULL;
        if (!r_t || !pen) goto done;
        if (align_mean_topk(T, n, Q, n, dim, k, threads, r_t, err) < 0) goto done;
        for (size_t i = 0; i < n; i++) pen[i] = 0.5f * r_t[i];
    }
    if (align_topk(Q, n, T, n, dim, pen, 1, threads, ids, sc, err) < 0) goto done;
    *hits = 0;
    for (size_t i = 0; i < n; i++) *hits += ids[i] == (int64_t)i;
    rc = 0;
done:
    free(ids), free(sc), free(r_t), free(pen);
    return rc;
}

int cmd_eval_retrieval(int argc, char **argv)
{
    const char *src = NULL, *tgt = NULL, *wv = NULL, *src_wv = NULL, *tgt_wv = NULL, *pooling = "sif";
    const char *src_counts = NULL, *tgt_counts = NULL;
    int64_t max_lines = 0, csls_k = 10, threads = 0;
    double sif_a = 1e-3;
    bool csls = false, raw = false;
    const xl_option opts[] = {
        {"src", 0, XL_OPT_STRING, &src, "FILE", "source-language lines", 0, 0, NULL},
        {"tgt", 0, XL_OPT_STRING, &tgt, "FILE", "target-language lines (line i translates source line i)", 0, 0, NULL},
        {"word-vectors", 0, XL_OPT_STRING, &wv, "FILE", "one (multilingual/aligned) vector file for both sides", 0, 0,
         NULL},
        {"src-vectors", 0, XL_OPT_STRING, &src_wv, "FILE", "source-side vectors (e.g. align --output-src)", 0, 0, NULL},
        {"tgt-vectors", 0, XL_OPT_STRING, &tgt_wv, "FILE", "target-side vectors (e.g. align --output-tgt)", 0, 0, NULL},
        {"pooling", 'p', XL_OPT_CHOICE, &pooling, NULL, "sentence pooling", 0, 0, "mean|sif"},
        {"src-counts", 0, XL_OPT_STRING, &src_counts, "FILE", "source unigram counts for SIF (default: Zipf)", 0, 0,
         NULL},
        {"tgt-counts", 0, XL_OPT_STRING, &tgt_counts, "FILE", "target unigram counts for SIF (default: Zipf)", 0, 0,
         NULL},
        {"sif-a", 0, XL_OPT_DOUBLE, &sif_a, "A", "SIF parameter a", 1e-12, 1, NULL},
        {"csls", 0, XL_OPT_FLAG, &csls, NULL, "CSLS scoring instead of plain cosine", 0, 0, NULL},
        {"csls-k", 0, XL_OPT_INT, &csls_k, "K", "CSLS neighbourhood", 1, 1000, NULL},
        {"max-lines", 0, XL_OPT_INT, &max_lines, "N", "use the first N line pairs (0 = all)", 0, 0, NULL},
        {"raw", 0, XL_OPT_FLAG, &raw, NULL, "input already tokenised", 0, 0, NULL},
        {"threads", 0, XL_OPT_INT, &threads, "N", "threads (0 = all CPUs)", 0, 256, NULL},
        {0}};
    const xl_command_spec spec = {
        "eval-retrieval",
        "xlrec eval-retrieval --src A.txt --tgt B.txt (--word-vectors F | --src-vectors FA --tgt-vectors FB)",
        "Parallel-sentence retrieval: embed both sides from word vectors, retrieve each line's nearest\n"
        "line on the other side (cosine, exact; CSLS with --csls) and report P@1 in both directions.",
        opts, 0, 0};
    xl_args args;
    int rc = xl_cli_parse(&spec, argc, argv, &args);
    if (rc != XL_CLI_CONTINUE) return rc;
    if (!src || !tgt) return xl_cli_usage_error(&spec, "--src and --tgt are required");
    if (!wv && !(src_wv && tgt_wv))
        return xl_cli_usage_error(&spec, "give --word-vectors, or --src-vectors and --tgt-vectors");
    if (!src_wv) src_wv = wv;
    if (!tgt_wv) tgt_wv = wv;
    xl_error err;
    xl_error_clear(&err);
    w2v_vectors vs, vt;
    memset(&vt, 0, sizeof vt);
    float *ws = NULL, *wt = NULL, *es = NULL, *et = NULL;
    size_t ns = 0, nt = 0, empty_s = 0, empty_t = 0;
    bool sif = strcmp(pooling, "sif") == 0;
    sentvec_options o = {sif ? SENTVEC_SIF : SENTVEC_MEAN, sif, true, true, NULL, (int)threads};
    rc = -1;
    if (w2v_vectors_read(src_wv, W2V_FORMAT_AUTO, 0, &vs, &err) < 0) return xl_cli_runtime_error(&err);
    if (w2v_vectors_read(tgt_wv, W2V_FORMAT_AUTO, 0, &vt, &err) < 0) goto done;
    if (vs.dim != vt.dim) {
        xl_fail(&err, XL_ERR_USAGE, "vector dimensions differ (%zu vs %zu)", vs.dim, vt.dim);
        goto done;
    }
    if (sif && (sentvec_sif_weights(&vs, src_counts, sif_a, &ws, &err) < 0 ||
                sentvec_sif_weights(&vt, tgt_counts, sif_a, &wt, &err) < 0))
        goto done;
    if (sif_embed_lines(&vs, ws, src, !raw, (size_t)max_lines, &o, &es, &ns, &empty_s, &err) < 0) goto done;
    if (sif_embed_lines(&vt, wt, tgt, !raw, (size_t)max_lines, &o, &et, &nt, &empty_t, &err) < 0) goto done;
    if (ns != nt) {
        xl_fail(&err, XL_ERR_FORMAT, "%s has %zu lines but %s has %zu: the sides must be line-aligned", src, ns, tgt,
                nt);
        goto done;
    }
    if (ns == 0) {
        xl_fail(&err, XL_ERR_FORMAT, "%s: no lines", src);
        goto done;
    }
    size_t h_st, h_ts;
    if (direction(es, et, ns, vs.dim, csls, (size_t)csls_k, (int)threads, &h_st, &err) < 0 ||
        direction(et, es, ns, vs.dim, csls, (size_t)csls_k, (int)threads, &h_ts, &err) < 0)
        goto done;
    printf("pairs %zu  pooling %s  scoring %s  src->tgt P@1 %.2f  tgt->src P@1 %.2f  "
           "(lines without known words: src %zu, tgt %zu)\n",
           ns, pooling, csls ? "csls" : "cosine", 100.0 * (double)h_st / (double)ns, 100.0 * (double)h_ts / (double)ns,
           empty_s, empty_t);
    rc = 0;
done:
    free(ws), free(wt), free(es), free(et);
    w2v_vectors_free(&vs);
    w2v_vectors_free(&vt);
    return rc < 0 ? xl_cli_runtime_error(&err) : XL_EXIT_OK;
}
