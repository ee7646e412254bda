/* cmd_eval_retrieval.c - `xlrec eval-retrieval --src A --tgt B ...`:
 * cross-lingual sentence retrieval (Tatoeba/XTREME protocol): line i of A is
 * the translation of line i of B; both sides are embedded (src/embed
 * xl_embedder.h) with a sentence encoder (--model; absent: the shipped
 * encoder) or the word-vector baseline (mean or SIF pooling), and every line
 * retrieves its nearest line on the other side by cosine (exact search), or by
 * CSLS (Conneau et al. 2018) / margin scoring with --csls.  Reports P@1 in
 * both directions. */
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "align.h"
#include "xl_alloc.h"
#include "xl_cli.h"
#include "xl_embedder.h"
#include "xl_thread.h"

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
        if (xl_align_mean_topk(T, n, Q, n, dim, k, threads, r_t, err) < 0) goto done;
        for (size_t i = 0; i < n; i++) pen[i] = 0.5f * r_t[i];
    }
    if (xl_align_topk(Q, n, T, n, dim, pen, 1, threads, ids, sc, err) < 0) goto done;
    *hits = 0;
    for (size_t i = 0; i < n; i++) *hits += ids[i] == (int64_t)i;
    rc = 0;
done:
    free(ids), free(sc), free(r_t), free(pen);
    return rc;
}

int cmd_eval_retrieval(int argc, char **argv)
{
    xl_embedder_options eo;
    xl_embedder_options_default(&eo);
    const char *src = NULL, *tgt = NULL, *model = NULL, *wv = NULL, *src_wv = NULL, *tgt_wv = NULL, *pooling = "sif";
    const char *src_counts = NULL, *tgt_counts = NULL;
    int64_t max_lines = 0, csls_k = 10, threads = eo.threads, max_len = (int64_t)eo.max_len;
    double sif_a = eo.sif_a;
    bool csls = false, raw = false;
    const xl_option opts[] = {
        {"src", 0, XL_OPT_STRING, &src, "FILE", "source-language lines", 0, 0, NULL},
        {"tgt", 0, XL_OPT_STRING, &tgt, "FILE", "target-language lines (line i translates source line i)", 0, 0, NULL},
        {"model", 'm', XL_OPT_STRING, &model, "MODEL",
         "sentence encoder model file (absent, and no vectors given: the shipped encoder " XL_DATA_ENCODER
         ", from $XLREC_DATA, the installed data directory or the source tree)", 0, 0, NULL},
        {"word-vectors", 'w', XL_OPT_OPTIONAL_STRING, &wv, "FILE",
         "the word-vector baseline: one (multilingual/aligned) vector file for both sides (no FILE: "
         "$XLREC_WORD_VECTORS, else the shipped " XL_DATA_WORD_VECTORS ")", 0, 0, NULL},
        {"src-vectors", 0, XL_OPT_STRING, &src_wv, "FILE", "source-side vectors (e.g. align --output-src)", 0, 0, NULL},
        {"tgt-vectors", 0, XL_OPT_STRING, &tgt_wv, "FILE", "target-side vectors (e.g. align --output-tgt)", 0, 0, NULL},
        {"pooling", 'p', XL_OPT_CHOICE, &pooling, NULL, "word-vector sentence pooling (an encoder pools as its "
         "model file says)", 0, 0, "mean|sif"},
        {"src-counts", 0, XL_OPT_STRING, &src_counts, "FILE", "source unigram counts for SIF (absent: Zipf)", 0, 0,
         NULL},
        {"tgt-counts", 0, XL_OPT_STRING, &tgt_counts, "FILE", "target unigram counts for SIF (absent: Zipf)", 0, 0,
         NULL},
        {"sif-a", 0, XL_OPT_DOUBLE, &sif_a, "A", "SIF parameter a", 1e-12, 1, NULL},
        {"csls", 0, XL_OPT_FLAG, &csls, NULL, "CSLS scoring instead of plain cosine", 0, 0, NULL},
        {"csls-k", 0, XL_OPT_INT, &csls_k, "K", "CSLS neighbourhood", 1, 1000, NULL},
        {"max-lines", 0, XL_OPT_INT, &max_lines, "N", "use the first N line pairs (0 = all)", 0, 0, NULL},
        {"raw", 0, XL_OPT_FLAG, &raw, NULL, "input already tokenised", 0, 0, NULL},
        {"max-len", 0, XL_OPT_INT, &max_len, "N",
         "encoder: truncate to N tokens (0: the model's max_seq_len; at most its position embeddings)", 0, 1 << 20,
         NULL},
        {"threads", 't', XL_OPT_INT, &threads, "N", "threads (0 = all CPUs)", 0, XL_MAX_THREADS, NULL},
        {0}};
    const xl_command_spec spec = {
        "eval-retrieval",
        "xlrec eval-retrieval --src A.txt --tgt B.txt\n"
        "                     [--model MODEL | --word-vectors [F] | --src-vectors FA --tgt-vectors FB]",
        "Parallel-sentence retrieval: embed both sides with a sentence encoder (absent: the shipped one)\n"
        "or the word-vector baseline, retrieve each line's nearest line on the other side (cosine,\n"
        "exact; CSLS with --csls) and report P@1 in both directions.",
        opts, 0, 0};
    xl_args args;
    int rc = xl_cli_parse(&spec, argc, argv, &args);
    if (rc != XL_CLI_CONTINUE) return rc;
    if (!src || !tgt) return xl_cli_usage_error(&spec, "--src and --tgt are required");
    if (!src_wv != !tgt_wv) return xl_cli_usage_error(&spec, "give both --src-vectors and --tgt-vectors");
    if ((model != NULL) + (wv != NULL) + (src_wv != NULL) > 1)
        return xl_cli_usage_error(&spec, "give one of --model, --word-vectors, --src-vectors/--tgt-vectors");
    bool words = wv || src_wv;
    xl_error err;
    xl_error_clear(&err);
    char default_path[XL_DATAPATH_MAX]; /* the shipped encoder or word vectors */
    if (words ? wv && !*wv : !model) {
        xl_embedder_kind found = XL_EMBEDDER_WORD_VECTORS;
        if ((words ? xl_embedder_default_path(XL_EMBEDDER_WORD_VECTORS, default_path, sizeof default_path, &err)
                   : xl_embedder_default(&found, default_path, sizeof default_path, &err)) < 0)
            return xl_cli_runtime_error(&err);
        if (!words && found == XL_EMBEDDER_WORD_VECTORS)
            words = true; /* no encoder shipped: the word-vector baseline is the default */
        if (words) wv = default_path;
        else model = default_path;
    }
    if (!words) {
        if (raw || src_counts || tgt_counts)
            return xl_cli_usage_error(&spec, "--raw, --src-counts and --tgt-counts apply to word vectors");
        wv = model;
    } else if (max_len) {
        return xl_cli_usage_error(&spec, "--max-len applies to an encoder (word vectors read every word)");
    }
    if (!src_wv) src_wv = wv;
    if (!tgt_wv) tgt_wv = wv;
    /* one embedder when both sides use the same vectors and counts: each file is read once ("-" works) */
    bool shared = strcmp(src_wv, tgt_wv) == 0 &&
                  (src_counts == tgt_counts || (src_counts && tgt_counts && strcmp(src_counts, tgt_counts) == 0));
    const char *inputs[] = {src, tgt, src_wv, shared ? NULL : tgt_wv, src_counts, shared ? NULL : tgt_counts};
    int n_stdin = 0;
    for (size_t i = 0; i < sizeof inputs / sizeof inputs[0]; i++) n_stdin += inputs[i] && strcmp(inputs[i], "-") == 0;
    if (n_stdin > 1) return xl_cli_usage_error(&spec, "standard input ('-') can be only one of the input files");
    bool sif = strcmp(pooling, "sif") == 0;
    eo.kind = words ? XL_EMBEDDER_WORD_VECTORS : XL_EMBEDDER_BERT;
    eo.normalize_default = false; /* compared by cosine: unit rows from every embedder */
    eo.threads = (int)threads;
    eo.pooling = sif ? SENTVEC_SIF : SENTVEC_MEAN;
    eo.normalize = true;
    eo.sif_a = sif_a;
    eo.raw = raw;
    eo.max_len = (size_t)max_len;
    xl_embedder *es_emb = NULL, *et_emb = NULL;
    float *es = NULL, *et = NULL;
    size_t ns = 0, nt = 0, dim = 0;
    xl_embedder_stats st_s = {0, 0}, st_t = {0, 0};
    rc = -1;
    eo.counts_path = src_counts;
    if (xl_embedder_open(&es_emb, src_wv, &eo, &err) < 0) return xl_cli_runtime_error(&err);
    eo.counts_path = tgt_counts;
    if (!shared && xl_embedder_open(&et_emb, tgt_wv, &eo, &err) < 0) goto done;
    xl_embedder *tgt_side = shared ? es_emb : et_emb;
    dim = xl_embedder_dim(es_emb);
    if (dim != xl_embedder_dim(tgt_side)) {
        xl_fail(&err, XL_ERR_USAGE, "vector dimensions differ (%zu vs %zu)", dim, xl_embedder_dim(tgt_side));
        goto done;
    }
    if (xl_embedder_embed_file(es_emb, src, (size_t)max_lines, &es, &ns, &st_s, &err) < 0) goto done;
    if (xl_embedder_embed_file(tgt_side, tgt, (size_t)max_lines, &et, &nt, &st_t, &err) < 0) goto done;
    if (ns != nt) {
        xl_fail(&err, XL_ERR_FORMAT, "%s has %zu lines but %s has %zu: the sides must be line-aligned", src, ns, tgt,
                nt);
        goto done;
    }
    if (ns == 0) {
        xl_fail(&err, XL_ERR_FORMAT, "%s: no lines", src);
        goto done;
    }
    if (!words) pooling = xl_pooling_name(xl_embedder_bert(es_emb)->cfg.pooling); /* what the encoder did */
    int n_threads = xl_embedder_threads(es_emb);
    size_t h_st, h_ts;
    if (direction(es, et, ns, dim, csls, (size_t)csls_k, n_threads, &h_st, &err) < 0 ||
        direction(et, es, ns, dim, csls, (size_t)csls_k, n_threads, &h_ts, &err) < 0)
        goto done;
    printf("pairs %zu  pooling %s  scoring %s  src->tgt P@1 %.2f  tgt->src P@1 %.2f  ", ns, pooling,
           csls ? "csls" : "cosine", 100.0 * (double)h_st / (double)ns, 100.0 * (double)h_ts / (double)ns);
    if (words) printf("(lines without known words: src %zu, tgt %zu)\n", st_s.n_empty, st_t.n_empty);
    else /* an encoder reads at most max_len tokens: the lines that lost their tail */
        printf("(lines cut at %zu tokens: src %zu, tgt %zu)\n", xl_embedder_max_len(es_emb), st_s.n_truncated,
               st_t.n_truncated);
    rc = 0;
done:
    free(es), free(et);
    xl_embedder_free(es_emb);
    xl_embedder_free(et_emb);
    return rc < 0 ? xl_cli_runtime_error(&err) : XL_EXIT_OK;
}
