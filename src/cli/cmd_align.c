/* cmd_align.c - `xlrec align`: map source word vectors into the target space
 * (orthogonal Procrustes from a seed dictionary, optional refinement) and
 * report word-translation P@1/5/10 with NN and CSLS retrieval.  See align.h. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "align.h"
#include "w2v_vectors.h"
#include "xl_alloc.h"
#include "xl_cli.h"
#include "xl_npy.h"
#include "xl_thread.h"

static void report(const char *stage, const xl_align_eval_result *nn, const xl_align_eval_result *csls)
{
#define P(h, r) ((r)->queries ? 100.0 * (double)(h) / (double)(r)->queries : 0.0)
    printf("%-22s NN   P@1 %5.2f  P@5 %5.2f  P@10 %5.2f   CSLS P@1 %5.2f  P@5 %5.2f  P@10 %5.2f   (%zu queries)\n", stage,
           P(nn->hits1, nn), P(nn->hits5, nn), P(nn->hits10, nn), P(csls->hits1, csls), P(csls->hits5, csls),
           P(csls->hits10, csls), nn->queries);
#undef P
    fflush(stdout);
}

static int evaluate(const char *stage, const xl_w2v_vectors *src, const xl_w2v_vectors *tgt, const float *W,
                    const xl_align_dict *test, xl_align_options *o, xl_error *err)
{
    xl_w2v_vectors mapped;
    if (xl_align_apply(src, W, &mapped, err) < 0) return -1;
    xl_align_eval_result nn, cs;
    o->csls = false;
    int rc = xl_align_eval(&mapped, tgt, test, o, &nn, err);
    o->csls = true;
    if (rc == 0) rc = xl_align_eval(&mapped, tgt, test, o, &cs, err);
    xl_w2v_vectors_free(&mapped);
    if (rc == 0) report(stage, &nn, &cs);
    return rc;
}

int cmd_align(int argc, char **argv)
{
    const char *src_path = NULL, *tgt_path = NULL, *dict_path = NULL, *train_path = NULL, *test_path = NULL;
    const char *out_src = NULL, *out_tgt = NULL, *out_matrix = NULL, *normalize = "center";
    int64_t test_words = 1500, seed = 1, refine = 0, refine_rank = 15000, max_vocab = 200000, csls_k = 10, threads = XL_THREADS_DEFAULT,
            binary = 0;
    const xl_option opts[] = {
        {"src-vectors", 0, XL_OPT_STRING, &src_path, "FILE", "source-language word2vec file", 0, 0, NULL},
        {"tgt-vectors", 0, XL_OPT_STRING, &tgt_path, "FILE", "target-language word2vec file", 0, 0, NULL},
        {"dict", 0, XL_OPT_STRING, &dict_path, "FILE", "bilingual dictionary, split into train/test here", 0, 0, NULL},
        {"test-words", 0, XL_OPT_INT, &test_words, "N", "distinct source words held out for testing (--dict)", 1, 1e12,
         NULL},
        {"seed", 0, XL_OPT_INT, &seed, "S", "seed of the train/test split", 0, 0, NULL},
        {"train-dict", 0, XL_OPT_STRING, &train_path, "FILE", "seed dictionary (instead of --dict)", 0, 0, NULL},
        {"test-dict", 0, XL_OPT_STRING, &test_path, "FILE", "evaluation dictionary (instead of --dict)", 0, 0, NULL},
        {"refine", 0, XL_OPT_INT, &refine, "N", "refinement iterations (mutual NN under CSLS)", 0, 100, NULL},
        {"refine-rank", 0, XL_OPT_INT, &refine_rank, "N", "refinement uses the N most frequent words per side", 1, 1e12,
         NULL},
        {"max-vocab", 0, XL_OPT_INT, &max_vocab, "N", "retrieval candidates: the N most frequent target words", 0, 0,
         NULL},
        {"normalize", 0, XL_OPT_CHOICE, &normalize, NULL, "vector normalisation before alignment", 0, 0,
         "none|unit|center"},
        {"csls-k", 0, XL_OPT_INT, &csls_k, "K", "CSLS neighbourhood size", 1, 1000, NULL},
        {"threads", 0, XL_OPT_INT, &threads, "N", "threads (0 = all CPUs)", 0, XL_MAX_THREADS, NULL},
        {"output-src", 0, XL_OPT_STRING, &out_src, "FILE", "write the mapped source vectors (word2vec format)", 0, 0,
         NULL},
        {"output-tgt", 0, XL_OPT_STRING, &out_tgt, "FILE", "write the normalised target vectors", 0, 0, NULL},
        {"output-matrix", 0, XL_OPT_STRING, &out_matrix, "FILE", "write W (d x d, x -> W x) as .npy", 0, 0, NULL},
        {"binary", 0, XL_OPT_INT, &binary, "0|1", "binary format for --output-src/--output-tgt", 0, 1, NULL},
        {0}};
    const xl_command_spec spec = {
        "align",
        "xlrec align --src-vectors A --tgt-vectors B (--dict D | --train-dict D1 --test-dict D2) [--refine N]",
        "Orthogonal Procrustes alignment of two word-vector spaces from a bilingual dictionary\n"
        "(W = U V^T from the SVD of Y^T X), optional MUSE refinement, and word-translation\n"
        "P@1/5/10 with nearest-neighbour and CSLS retrieval on held-out pairs.\n"
        "With --dict, distinct source words are shuffled (--seed) and --test-words of them are held out.",
        opts, 0, 0};
    xl_args args;
    int rc = xl_cli_parse(&spec, argc, argv, &args);
    if (rc != XL_CLI_CONTINUE) return rc;
    if (!src_path || !tgt_path) return xl_cli_usage_error(&spec, "--src-vectors and --tgt-vectors are required");
    if (!dict_path == !(train_path && test_path))
        return xl_cli_usage_error(&spec, "give either --dict or both --train-dict and --test-dict");
    const char *inputs[] = {src_path, tgt_path, dict_path, train_path, test_path, out_src, out_tgt};
    if ((rc = xl_cli_check_output(&spec, out_matrix, inputs, 7)) != XL_CLI_CONTINUE ||
        (rc = xl_cli_check_output(&spec, out_src, inputs, 5)) != XL_CLI_CONTINUE ||
        (rc = xl_cli_check_output(&spec, out_tgt, inputs, 6)) != XL_CLI_CONTINUE)
        return rc;
    xl_error err;
    xl_error_clear(&err);
    xl_w2v_vectors src, tgt;
    memset(&tgt, 0, sizeof tgt);
    xl_align_dict train = {0}, test = {0};
    float *W = NULL;
    rc = -1;
    if (xl_w2v_vectors_read(src_path, W2V_FORMAT_AUTO, 0, &src, &err) < 0) return xl_cli_runtime_error(&err);
    if (xl_w2v_vectors_read(tgt_path, W2V_FORMAT_AUTO, 0, &tgt, &err) < 0) goto done;
    if (src.dim != tgt.dim) {
        xl_fail(&err, XL_ERR_USAGE, "dimensions differ: %s has %zu, %s has %zu", src_path, src.dim, tgt_path, tgt.dim);
        goto done;
    }
    if (xl_align_normalize(&src, normalize, &err) < 0 || xl_align_normalize(&tgt, normalize, &err) < 0) goto done;
    xl_align_dict_stats st;
    if (dict_path) {
        xl_align_dict all;
        if (xl_align_dict_load(dict_path, &src, &tgt, &all, &st, &err) < 0) goto done;
        printf("dictionary %s: %zu pairs, %zu with a word outside the vocabularies, %zu duplicates, %zu usable\n",
               dict_path, st.pairs, st.oov_pairs, st.duplicates, all.n);
        if (all.n == 0) {
            xl_align_dict_free(&all);
            xl_fail(&err, XL_ERR_USAGE, "%s: no pair has both words in the vocabularies", dict_path);
            goto done;
        }
        int r2 = xl_align_dict_split(&all, (size_t)test_words, (uint64_t)seed, &train, &test, &err);
        xl_align_dict_free(&all);
        if (r2 < 0) goto done;
        printf("split (seed %lld): test %zu source words / %zu pairs, train %zu source words / %zu pairs\n",
               (long long)seed, xl_align_dict_distinct_src(&test), test.n, xl_align_dict_distinct_src(&train), train.n);
    } else {
        if (xl_align_dict_load(train_path, &src, &tgt, &train, &st, &err) < 0) goto done;
        printf("train dictionary %s: %zu pairs, %zu out of vocabulary, %zu usable\n", train_path, st.pairs,
               st.oov_pairs, train.n);
        if (xl_align_dict_load(test_path, &src, &tgt, &test, &st, &err) < 0) goto done;
        printf("test dictionary %s: %zu pairs, %zu out of vocabulary, %zu usable (%zu source words)\n", test_path,
               st.pairs, st.oov_pairs, test.n, xl_align_dict_distinct_src(&test));
    }
    if (train.n == 0 || test.n == 0) {
        xl_fail(&err, XL_ERR_USAGE, "the %s dictionary has no pair in both vocabularies", train.n ? "test" : "train");
        goto done;
    }
    printf("vocabularies: source %zu, target %zu words, dim %zu; candidates: first %zu target words\n", src.n_words,
           tgt.n_words, src.dim, max_vocab && (size_t)max_vocab < tgt.n_words ? (size_t)max_vocab : tgt.n_words);
    size_t w_count;
    if (!xl_mul_size(src.dim, src.dim, &w_count)) {
        xl_fail(&err, XL_ERR_NOMEM, "mapping of dimension %zu: size overflows", src.dim);
        goto done;
    }
    W = xl_calloc(w_count, sizeof *W, &err); /* [dim, dim] */
    if (!W) goto done;
    xl_align_options o = {(size_t)max_vocab, (size_t)csls_k, false, (size_t)refine_rank, (int)threads};
    if (xl_align_procrustes(&src, &tgt, &train, W, &err) < 0) goto done;
    if (evaluate("procrustes", &src, &tgt, W, &test, &o, &err) < 0) goto done;
    for (int64_t it = 0; it < refine; it++) {
        size_t n;
        if (xl_align_refine_step(&src, &tgt, &o, W, &n, &err) < 0) goto done;
        char stage[64];
        snprintf(stage, sizeof stage, "refine %lld (%zu pairs)", (long long)(it + 1), n);
        if (evaluate(stage, &src, &tgt, W, &test, &o, &err) < 0) goto done;
    }
    if (out_matrix) {
        size_t shape[2] = {src.dim, src.dim};
        if (xl_npy_write(out_matrix, W, 2, shape, &err) < 0) goto done;
    }
    if (out_src) {
        xl_w2v_vectors mapped;
        if (xl_align_apply(&src, W, &mapped, &err) < 0) goto done;
        int r2 = xl_w2v_vectors_write(out_src, &mapped, binary ? W2V_FORMAT_BINARY : W2V_FORMAT_TEXT, &err);
        xl_w2v_vectors_free(&mapped);
        if (r2 < 0) goto done;
    }
    if (out_tgt && xl_w2v_vectors_write(out_tgt, &tgt, binary ? W2V_FORMAT_BINARY : W2V_FORMAT_TEXT, &err) < 0) goto done;
    rc = 0;
done:
    free(W);
    xl_align_dict_free(&train);
    xl_align_dict_free(&test);
    xl_w2v_vectors_free(&src);
    xl_w2v_vectors_free(&tgt);
    return rc < 0 ? xl_cli_runtime_error(&err) : XL_EXIT_OK;
}
