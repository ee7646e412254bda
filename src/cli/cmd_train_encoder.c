/* cmd_train_encoder.c - `xlrec train-encoder`: train a BERT sentence encoder with the LaBSE
 * ranking loss, MLM and/or TLM (src/train/train.h), with held-out P@1, atomic checkpoints and
 * --resume; the output is an ordinary xlrec model file that `xlrec embed` runs.  A progress line
 * per step on stderr.  See docs/training.md. */
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "bert.h"
#include "train.h"
#include "xl_cli.h"
#include "xl_thread.h"

#ifdef XL_WITH_MPI
/* make MPI=1: data-parallel training over MPI (docs/training.md "Data-parallel training").  The
 * library (src/train) sees only these three collectives; MPI stays in this file. */
#include <mpi.h>

static int mpi_allreduce_f32(void *ctx, float *x, size_t n)
{
    (void)ctx;
    for (size_t i = 0; i < n;) { /* MPI counts are int: chunks of at most 2^30 */
        int c = n - i > ((size_t)1 << 30) ? 1 << 30 : (int)(n - i);
        if (MPI_Allreduce(MPI_IN_PLACE, x + i, c, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD) != MPI_SUCCESS) return -1;
        i += (size_t)c;
    }
    return 0;
}

static int mpi_allreduce_f64(void *ctx, double *x, size_t n)
{
    (void)ctx;
    if (n > (size_t)1 << 30) return -1;
    return MPI_Allreduce(MPI_IN_PLACE, x, (int)n, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD) == MPI_SUCCESS ? 0 : -1;
}

static int mpi_allgather_f32(void *ctx, const float *local, size_t n, float *global)
{
    (void)ctx;
    if (n > (size_t)1 << 30) return -1;
    return MPI_Allgather(local, (int)n, MPI_FLOAT, global, (int)n, MPI_FLOAT, MPI_COMM_WORLD) == MPI_SUCCESS ? 0 : -1;
}
#endif

typedef struct {
    uint64_t every; /* print every N steps (and steps with a P@1 or a checkpoint) */
} progress_ctx;

static void print_progress(void *vctx, const xl_train_progress *p)
{
    const progress_ctx *c = vctx;
    bool eval = !isnan(p->p1_st);
    if (!(eval || p->checkpoint_saved || p->step == p->total_steps || p->step <= 1 || p->step % c->every == 0))
        return;
    if (p->step == 0) { /* before the first step: the held-out starting point */
        fprintf(stderr, "step 0/%" PRIu64 "  P@1 %.4f/%.4f\n", p->total_steps, p->p1_st, p->p1_ts);
        return;
    }
    fprintf(stderr, "step %" PRIu64 "/%" PRIu64 "  loss %.4f", p->step, p->total_steps, p->loss);
    if (!isnan(p->loss_rank)) fprintf(stderr, "  rank %.4f", p->loss_rank);
    if (!isnan(p->loss_mlm)) fprintf(stderr, "  mlm %.4f", p->loss_mlm);
    if (!isnan(p->loss_tlm)) fprintf(stderr, "  tlm %.4f", p->loss_tlm);
    fprintf(stderr, "  lr %.3g  |g| %.3g", p->lr, p->grad_norm);
    if (eval) fprintf(stderr, "  P@1 %.4f/%.4f", p->p1_st, p->p1_ts);
    fprintf(stderr, "  %.0f tok/s  ETA %.0fs%s\n", p->tokens_per_s, p->eta_s,
            p->checkpoint_saved ? "  [checkpoint]" : "");
}

int cmd_train_encoder(int argc, char **argv)
{
    xl_train_opts o;
    xl_train_opts_default(&o);
    const char *objective = "rank", *config = NULL, *pooling = "mean", *schedule = "linear", *simd = "auto",
               *batch_order = "shuffle";
    /* every option starts from the library's default (xl_train_opts_default), which --help prints */
    int64_t batch = (int64_t)o.batch, accum = (int64_t)o.accum, max_len = (int64_t)o.max_len,
            warmup = (int64_t)o.warmup, steps = (int64_t)o.steps, threads = o.threads, seed = (int64_t)o.seed,
            eval_every = (int64_t)o.eval_every;
    int64_t eval_max = (int64_t)o.eval_max, stop_after = (int64_t)o.stop_after, log_every = 10;
    double epochs = o.epochs, lr = o.lr, save_every = o.save_every_min, clip = o.clip, wd = o.adamw.weight_decay,
           eps = o.adamw.eps, dropout = o.dropout;
    double margin = o.margin, scale = o.scale;
    bool lazy = false;
    const xl_option opts[] = {
        {"pairs", 0, XL_OPT_STRING, &o.pairs, "FILE", "aligned pairs: lang1<TAB>text1<TAB>lang2<TAB>text2", 0, 0, NULL},
        {"mono", 0, XL_OPT_STRING, &o.mono, "FILE", "monolingual text for mlm: lang<TAB>text", 0, 0, NULL},
        {"objective", 0, XL_OPT_STRING, &objective, "LIST",
         "rank|mlm|tlm, or weighted: mlm:1,rank:0.5", 0, 0, NULL},
        {"init", 0, XL_OPT_STRING, &o.init_model, "MODEL", "continue from an xlrec model file (arch bert)", 0, 0, NULL},
        {"config", 0, XL_OPT_STRING, &config, "SPEC",
         "new model: layers=L,hidden=H,heads=A,ffn=I,max-position=P (unset: BERT-base sizes)", 0, 0, NULL},
        {"vocab", 0, XL_OPT_STRING, &o.vocab, "FILE", "vocabulary for --config (vocab.txt, tokenizer.json or a dir)", 0,
         0, NULL},
        {"pooling", 0, XL_OPT_CHOICE, &pooling, NULL, "sentence pooling of a --config model", 0, 0,
         "mean|cls"},
        {"batch", 'b', XL_OPT_INT, &batch, "N", "pairs (or sentences) per micro-batch (global over MPI ranks)", 1,
         65536, NULL},
        {"batch-order", 0, XL_OPT_CHOICE, &batch_order, NULL,
         "shuffle: lines in a seeded order; grouped: each micro-batch is a block of --batch consecutive lines of "
         "--pairs, blocks in a seeded order (hard negatives from a file with similar lines adjacent)",
         0, 0, "shuffle|grouped"},
        {"accum", 0, XL_OPT_INT, &accum, "N", "micro-batches per optimiser step", 1, 65536, NULL},
        {"max-len", 0, XL_OPT_INT, &max_len, "N", "tokens per sequence incl. [CLS]/[SEP]", 3, 1 << 16,
         NULL},
        {"lr", 0, XL_OPT_DOUBLE, &lr, "X", "peak learning rate", 0, 10, NULL},
        {"warmup", 0, XL_OPT_INT, &warmup, "N", "linear warm-up steps", 0, 1e18, NULL},
        {"schedule", 0, XL_OPT_CHOICE, &schedule, NULL, "decay after warm-up", 0, 0,
         "linear|cosine|constant"},
        {"steps", 0, XL_OPT_INT, &steps, "N", "optimiser steps (0: from --epochs)", 1, 1e18, NULL},
        {"epochs", 0, XL_OPT_DOUBLE, &epochs, "X", "passes over --pairs (or --mono) when --steps is 0", 1e-9, 1e6,
         NULL},
        {"weight-decay", 0, XL_OPT_DOUBLE, &wd, "X", "AdamW decoupled weight decay (not on biases, LayerNorm)", 0, 1,
         NULL},
        {"adam-eps", 0, XL_OPT_DOUBLE, &eps, "X", "AdamW eps (added outside the square root, as torch)", 1e-30, 1,
         NULL},
        {"clip", 0, XL_OPT_DOUBLE, &clip, "X", "clip gradients to this global norm (0: off)", 0, 1e30, NULL},
        {"lazy-embeddings", 0, XL_OPT_FLAG, &lazy, NULL,
         "AdamW moves only word-embedding rows with a gradient this step", 0, 0, NULL},
        {"dropout", 0, XL_OPT_DOUBLE, &dropout, "P", "hidden and attention dropout", 0, 0.95, NULL},
        {"margin", 0, XL_OPT_DOUBLE, &margin, "M", "ranking loss additive margin m (LaBSE)", 0, 10, NULL},
        {"scale", 0, XL_OPT_DOUBLE, &scale, "S", "ranking loss scale s", 1e-3, 1e4, NULL},
        {"threads", 't', XL_OPT_INT, &threads, "N", "threads (0 = all CPUs)", 0, XL_MAX_THREADS, NULL},
        {"seed", 0, XL_OPT_INT, &seed, "N", "seed of init, data order, masking, dropout", 0, 1e18,
         NULL},
        {"save-every", 0, XL_OPT_DOUBLE, &save_every, "MINUTES", "write a checkpoint every MINUTES (0: off)", 0,
         1e9, NULL},
        {"checkpoint", 0, XL_OPT_STRING, &o.checkpoint, "FILE", "checkpoint path (default OUT.ckpt)", 0, 0, NULL},
        {"resume", 0, XL_OPT_STRING, &o.resume, "CKPT", "continue from a checkpoint (same options otherwise)", 0, 0,
         NULL},
        {"stop-after", 0, XL_OPT_INT, &stop_after, "N", "stop after step N with a checkpoint (0: run to the end)", 1,
         1e18, NULL},
        {"eval-pairs", 0, XL_OPT_STRING, &o.eval_pairs, "FILE", "held-out pairs: P@1 both directions", 0, 0, NULL},
        {"eval-every", 0, XL_OPT_INT, &eval_every, "N", "steps between held-out P@1 (0: at the end only)", 0,
         1e18, NULL},
        {"eval-max", 0, XL_OPT_INT, &eval_max, "N", "held-out pairs used (the first N lines)", 1, 1000000,
         NULL},
        {"log-every", 0, XL_OPT_INT, &log_every, "N", "progress line every N steps", 1, 1e18, NULL},
        {"simd", 0, XL_OPT_CHOICE, &simd, NULL, "kernel code path (auto: the best)", 0, 0,
         "auto|scalar|avx2|avx512|neon"},
        {"output", 'o', XL_OPT_STRING, &o.out, "MODEL", "the trained model file (required)", 0, 0, NULL},
        {0}};
    const xl_command_spec spec = {
        "train-encoder",
        "xlrec train-encoder (--init MODEL | --config SPEC --vocab FILE) [--pairs FILE] [--mono FILE]\n"
        "            [--objective rank|mlm|tlm|mlm:1,rank:1] [--batch N] [--batch-order shuffle|grouped] [--accum N]\n"
        "            [--lr X] [--warmup N]"
        " [--steps N | --epochs X] [--eval-pairs FILE] [--save-every MIN] [--resume CKPT] -o MODEL",
        "Train a BERT sentence encoder: the bidirectional in-batch translation ranking loss with additive\n"
        "margin (LaBSE), masked language modelling with the decoder tied to the word embeddings (BERT), and\n"
        "its translation variant (TLM, XLM), in any weighted combination; AdamW with warm-up and linear or\n"
        "cosine decay, global-norm clipping, gradient accumulation.  With --threads 1 and a --seed a run is\n"
        "bit-for-bit repeatable, and a run stopped (--stop-after) and resumed (--resume) equals an\n"
        "uninterrupted one.  The output runs with `xlrec embed -m MODEL`.  See docs/training.md.",
        opts, 0, 0};
    xl_args args;
    int rc = xl_cli_parse(&spec, argc, argv, &args);
    if (rc != XL_CLI_CONTINUE) return rc;
    xl_error err;
    xl_error_clear(&err);
    if (o.out == NULL) return xl_cli_usage_error(&spec, "missing -o MODEL");
    if ((o.init_model == NULL) == (config == NULL && o.vocab == NULL))
        return xl_cli_usage_error(&spec, "give either --init MODEL or --config SPEC --vocab FILE");
    if (o.init_model == NULL && o.vocab == NULL) return xl_cli_usage_error(&spec, "--config needs --vocab FILE");
    if (xl_train_parse_objectives(objective, &o.w_rank, &o.w_mlm, &o.w_tlm, &err) < 0 ||
        (config != NULL && xl_train_parse_config(config, &o.cfg, &err) < 0) ||
        xl_schedule_parse(schedule, &o.schedule, &err) < 0 || xl_simd_path_parse(simd, &o.simd, &err) < 0 ||
        xl_pooling_parse(pooling, &o.pooling, &err) < 0)
        return xl_cli_usage_error(&spec, "%s", err.msg);
    if ((o.w_rank > 0 || o.w_tlm > 0) && o.pairs == NULL)
        return xl_cli_usage_error(&spec, "the rank and tlm objectives need --pairs FILE");
    if (o.w_mlm > 0 && o.pairs == NULL && o.mono == NULL)
        return xl_cli_usage_error(&spec, "the mlm objective needs --mono FILE (or --pairs FILE)");
    if (o.w_rank > 0 && batch < 2) return xl_cli_usage_error(&spec, "the rank objective needs --batch of at least 2");
    /* The corpora are indexed by byte offset and read again in a new order every epoch, and a
     * checkpoint is read by offset: none can be a pipe, so `-` is refused here (exit 2).  --init and
     * --vocab are read once and take `-` (standard input) like every other command's inputs. */
    const char *seekable[] = {o.pairs, o.mono, o.eval_pairs, o.resume};
    const char *seekable_names[] = {"--pairs", "--mono", "--eval-pairs", "--resume"};
    for (size_t i = 0; i < 4; i++)
        if (seekable[i] != NULL && strcmp(seekable[i], "-") == 0)
            return xl_cli_usage_error(&spec, "%s -: %s is read by offset, more than once; give a file", seekable_names[i],
                                      i < 3 ? "a training corpus" : "a checkpoint");
    /* outputs never clobber inputs (exit 2, as every command); the library checks again */
    const char *inputs[] = {o.pairs, o.mono, o.eval_pairs, o.init_model, o.vocab, o.resume};
    if ((rc = xl_cli_check_output(&spec, o.out, inputs, 6)) != XL_CLI_CONTINUE) return rc;
    if (o.checkpoint != NULL && /* a checkpoint may replace the one it resumes from */
        (rc = xl_cli_check_output(&spec, o.checkpoint, inputs, 5)) != XL_CLI_CONTINUE)
        return rc;
    o.batch = (size_t)batch;
    o.batch_grouped = strcmp(batch_order, "grouped") == 0;
    if (o.batch_grouped && o.pairs == NULL) return xl_cli_usage_error(&spec, "--batch-order grouped needs --pairs FILE");
    o.accum = (size_t)accum;
    o.max_len = (size_t)max_len;
    o.lr = lr;
    o.warmup = (uint64_t)warmup;
    o.steps = (uint64_t)steps;
    o.epochs = epochs;
    o.adamw.weight_decay = wd;
    o.adamw.eps = eps;
    o.clip = clip;
    o.lazy_embeddings = lazy;
    o.dropout = dropout;
    o.margin = margin;
    o.scale = scale;
    o.threads = xl_resolve_threads((int)threads);
    o.seed = (uint64_t)seed;
    o.save_every_min = save_every;
    o.stop_after = (uint64_t)stop_after;
    o.eval_every = (uint64_t)eval_every;
    o.eval_max = (size_t)eval_max;
    progress_ctx pc = {(uint64_t)log_every};
    o.progress = print_progress;
    o.progress_ctx = &pc;
#ifdef XL_WITH_MPI
    int provided = 0, mpi_rank = 0, mpi_size = 1;
    if (MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS) {
        fprintf(stderr, "xlrec: MPI_Init failed\n");
        return XL_EXIT_RUNTIME;
    }
    MPI_Comm_rank(MPI_COMM_WORLD, &mpi_rank);
    MPI_Comm_size(MPI_COMM_WORLD, &mpi_size);
    xl_train_comm comm = {mpi_rank, mpi_size, NULL, mpi_allreduce_f32, mpi_allreduce_f64, mpi_allgather_f32};
    if (mpi_size > 1) o.comm = &comm;
    rc = xl_train_run(&o, &err);
    if (rc < 0) { /* one rank failing stops them all (the others may wait in a collective) */
        xl_cli_runtime_error(&err);
        MPI_Abort(MPI_COMM_WORLD, XL_EXIT_RUNTIME);
    }
    MPI_Finalize();
    return XL_EXIT_OK;
#else
    if (xl_train_run(&o, &err) < 0) return xl_cli_runtime_error(&err);
    return XL_EXIT_OK;
#endif
}
