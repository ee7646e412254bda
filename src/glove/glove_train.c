/* glove_train.c - shuffle of co-occurrence records, AdaGrad training of the
 * GloVe objective and the reference's vector files; see glove.h.
 *
 * Objective (Pennington et al. 2014, eq. 8):
 *   J = sum_ij f(X_ij) (w_i . w~_j + b_i + b~_j - log X_ij)^2,
 *   f(x) = (x / x_max)^alpha for x < x_max, else 1.
 * Per record (i, j, X) the reference's step (glove.c xl_glove_thread), with
 * diff = w_i . w~_j + b_i + b~_j - log X and g = f(X) diff:
 *   cost += g diff / 2
 *   t  = clip(g w~_j[k], +-grad_clip) eta,  w_i[k]  -= t  / sqrt(G_i[k]),  G_i[k]  += t^2
 *   t~ = clip(g w_i[k],  +-grad_clip) eta,  w~_j[k] -= t~ / sqrt(G~_j[k]), G~_j[k] += t~^2
 *   b_i -= g / sqrt(Gb_i),  b~_j -= g / sqrt(Gb~_j),  Gb_i += g^2,  Gb~_j += g^2
 * (both vector steps use the values before the step; the bias step has no
 * eta, as in the reference).
 */
#include "glove.h"

#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "glove_internal.h"
#include "xl_alloc.h"
#include "xl_io.h"
#include "xl_rng.h"
#include "xl_thread.h"

/* ---- shuffle ---------------------------------------------------------------- */
static uint64_t rng_below64(xl_rng *r, uint64_t n)
{
    if (n <= UINT32_MAX) return xl_rng_below(r, (uint32_t)n);
    uint64_t limit = UINT64_MAX - UINT64_MAX % n, v;
    do v = xl_rng_u64(r);
    while (v >= limit);
    return v % n;
}

/* Fisher-Yates over n 16-byte records. */
static void shuffle_records(xl_rng *r, unsigned char *a, uint64_t n)
{
    unsigned char tmp[GLOVE_RECORD_BYTES];
    for (uint64_t i = n; i-- > 1;) {
        uint64_t j = rng_below64(r, i + 1);
        memcpy(tmp, a + j * GLOVE_RECORD_BYTES, GLOVE_RECORD_BYTES);
        memcpy(a + j * GLOVE_RECORD_BYTES, a + i * GLOVE_RECORD_BYTES, GLOVE_RECORD_BYTES);
        memcpy(a + i * GLOVE_RECORD_BYTES, tmp, GLOVE_RECORD_BYTES);
    }
}

/* Read up to n records; *got records read; a partial record is an error. */
static int read_records(FILE *f, const char *path, unsigned char *a, uint64_t n, uint64_t done, uint64_t *got,
                        xl_error *err)
{
    size_t bytes = fread(a, 1, (size_t)n * GLOVE_RECORD_BYTES, f);
    if (ferror(f)) return xl_fail(err, XL_ERR_IO, "%s: read error", path);
    if (bytes % GLOVE_RECORD_BYTES)
        return xl_fail(err, XL_ERR_FORMAT, "%s: record %llu: file ends inside a 16-byte record (cut short?)", path,
                       (unsigned long long)(done + bytes / GLOVE_RECORD_BYTES + 1));
    *got = bytes / GLOVE_RECORD_BYTES;
    return 0;
}

/* Records of one bucket file back into memory, shuffled, appended to out. */
static int shuffle_bucket(FILE *f, const char *name, uint64_t n, unsigned char *a, xl_rng *rng, FILE *out,
                          const char *out_path, xl_error *err)
{
    uint64_t got;
    rewind(f);
    if (read_records(f, name, a, n, 0, &got, err) < 0) return -1;
    if (got != n) return xl_fail(err, XL_ERR_IO, "%s: %llu records written, %llu read back", name,
                                 (unsigned long long)n, (unsigned long long)got);
    shuffle_records(rng, a, n);
    if (fwrite(a, GLOVE_RECORD_BYTES, (size_t)n, out) != (size_t)n)
        return xl_fail(err, XL_ERR_IO, "%s: write failed (disk full?)", out_path);
    return 0;
}

int xl_glove_shuffle(const char *in_path, const char *out_path, uint64_t chunk_records, uint64_t seed,
                  const char *temp_prefix, unsigned *chunks_written, xl_error *err)
{
    /* In memory when the input fits in one chunk; otherwise every record goes
     * to one of B temporary buckets drawn uniformly at random, and each bucket
     * is shuffled in memory and appended: a uniform random permutation (the
     * reference's chunk-and-merge is not) holding about 1/B of the file. */
    if (chunk_records == 0) chunk_records = GLOVE_SHUFFLE_CHUNK;
    if (chunk_records > SIZE_MAX / GLOVE_RECORD_BYTES / 2)
        chunk_records = SIZE_MAX / GLOVE_RECORD_BYTES / 2;
    if (xl_glove_check_not_input(out_path, in_path, err) < 0) return -1;
    const char *prefix = temp_prefix ? temp_prefix : "temp_shuffle";
    size_t name_cap = strlen(prefix) + 32;
    char *name = xl_malloc(name_cap, err);
    if (!name) return -1;
    FILE *in = NULL, **parts = NULL;
    uint64_t *part_n = NULL;
    unsigned char *a = NULL, *io = NULL;
    unsigned n_parts = 0;
    xl_glove_out out;
    memset(&out, 0, sizeof out);
    int rc = -1;
    xl_rng rng;
    xl_rng_seed(&rng, seed, 0);
    in = xl_fopen(in_path, "rb", err);
    if (!in) goto done;
    /* the size decides the number of buckets; stdin gets 16 */
    uint64_t n = 0;
    bool sized = false;
    if (in != stdin && fseek(in, 0, SEEK_END) == 0) {
        long size = ftell(in);
        if (size >= 0 && fseek(in, 0, SEEK_SET) == 0) {
            if (size % GLOVE_RECORD_BYTES) {
                xl_fail(err, XL_ERR_FORMAT, "%s: record %ld: file ends inside a 16-byte record (cut short?)", in_path,
                        size / GLOVE_RECORD_BYTES + 1);
                goto done;
            }
            n = (uint64_t)size / GLOVE_RECORD_BYTES;
            sized = true;
        }
    }
    uint64_t buckets = 16;
    if (sized) {
        uint64_t target = chunk_records < ((uint64_t)1 << 20) ? chunk_records : ((uint64_t)1 << 20);
        buckets = n <= target ? 1 : (n + n / 8) / target + 1; /* 1/8 margin: bucket sizes are random */
    }
    if (buckets > 4096) buckets = 4096;
    if (buckets == 1) {
        if (n > 0) {
            a = xl_malloc((size_t)n * GLOVE_RECORD_BYTES, err);
            if (!a) goto done;
        }
        uint64_t got;
        if (read_records(in, in_path, a, n, 0, &got, err) < 0) goto done;
        if (got != n) {
            xl_fail(err, XL_ERR_IO, "%s: changed while reading (%llu records, expected %llu)", in_path,
                    (unsigned long long)got, (unsigned long long)n);
            goto done;
        }
        shuffle_records(&rng, a, n);
        if (xl_glove_out_open(&out, out_path, true, err) < 0) goto done;
        if (n && fwrite(a, GLOVE_RECORD_BYTES, (size_t)n, out.f) != (size_t)n) {
            xl_fail(err, XL_ERR_IO, "%s: write failed (disk full?)", out_path);
            goto done;
        }
        if (xl_glove_out_commit(&out, err) < 0) goto done;
        if (chunks_written) *chunks_written = 1;
        rc = 0;
        goto done;
    }
    parts = xl_calloc((size_t)buckets, sizeof *parts, err);
    part_n = xl_calloc((size_t)buckets, sizeof *part_n, err);
    io = xl_malloc((size_t)4096 * GLOVE_RECORD_BYTES, err);
    if (!parts || !part_n || !io) goto done;
    for (unsigned i = 0; i < buckets; i++) {
        snprintf(name, name_cap, "%s_%04u.bin", prefix, i);
        parts[i] = xl_fopen(name, "w+b", err);
        if (!parts[i]) goto done;
        n_parts = i + 1;
    }
    uint64_t total = 0, got;
    do {
        if (read_records(in, in_path, io, 4096, total, &got, err) < 0) goto done;
        for (uint64_t r = 0; r < got; r++) {
            uint32_t b = xl_rng_below(&rng, (uint32_t)buckets);
            if (fwrite(io + r * GLOVE_RECORD_BYTES, GLOVE_RECORD_BYTES, 1, parts[b]) != 1) {
                snprintf(name, name_cap, "%s_%04u.bin", prefix, b);
                xl_fail(err, XL_ERR_IO, "%s: write failed (disk full?)", name);
                goto done;
            }
            part_n[b]++;
        }
        total += got;
    } while (got == 4096);
    uint64_t largest = 0;
    for (unsigned i = 0; i < n_parts; i++) largest = part_n[i] > largest ? part_n[i] : largest;
    if (largest > chunk_records + chunk_records / 4) {
        xl_fail(err, XL_ERR_LIMIT,
                "%s: a bucket of %llu records exceeds the memory limit of %llu records (input of unknown size: give "
                "a file instead of standard input, or raise --memory)",
                in_path, (unsigned long long)largest, (unsigned long long)chunk_records);
        goto done;
    }
    a = xl_malloc((size_t)(largest ? largest : 1) * GLOVE_RECORD_BYTES, err);
    if (!a) goto done;
    if (xl_glove_out_open(&out, out_path, true, err) < 0) goto done;
    for (unsigned i = 0; i < n_parts; i++) {
        snprintf(name, name_cap, "%s_%04u.bin", prefix, i);
        if (fflush(parts[i]) != 0) {
            xl_fail(err, XL_ERR_IO, "%s: write failed (disk full?)", name);
            goto done;
        }
        if (shuffle_bucket(parts[i], name, part_n[i], a, &rng, out.f, out_path, err) < 0) goto done;
    }
    if (xl_glove_out_commit(&out, err) < 0) goto done;
    if (chunks_written) *chunks_written = n_parts;
    rc = 0;
done:
    if (rc < 0 && out.f) xl_glove_out_abort(&out);
    for (unsigned i = 0; i < n_parts; i++) {
        fclose(parts[i]);
        snprintf(name, name_cap, "%s_%04u.bin", prefix, i);
        remove(name);
    }
    free(parts);
    free(part_n);
    free(io);
    free(a);
    if (in && in != stdin) fclose(in);
    free(name);
    return rc;
}

/* ---- training ---------------------------------------------------------------- */
void xl_glove_train_defaults(xl_glove_train_opts *o)
{
    memset(o, 0, sizeof *o);
    o->vector_size = 50;
    o->iterations = 25;
    o->threads = XL_THREADS_DEFAULT; /* the reference: 8; 1 keeps a run repeatable */
    o->eta = 0.05;
    o->alpha = 0.75;
    o->x_max = 100;
    o->grad_clip = 100;
    o->seed = 1;
}

void xl_glove_model_free(xl_glove_model *m)
{
    if (!m) return;
    free(m->params);
    memset(m, 0, sizeof *m);
}

/* Training layout: row r (0..2V-1) = [w (dim), b, G (dim), Gb], so one row's
 * parameters and accumulators share cache lines; converted to the reference's
 * [2V][dim+1] layout at the end. */
typedef struct {
    const char *path;
    const xl_glove_train_opts *o;
    double *rows;
    size_t vocab, dim, stride;
    double log_x_max;
    double cost[XL_MAX_THREADS];
    xl_error errs[XL_MAX_THREADS];
    int failed[XL_MAX_THREADS];
} train_ctx;

/* One record; returns the cost term, or -1 when diff is not finite (skipped,
 * as the reference). */
static inline double train_record(double *restrict p1, double *restrict p2, size_t dim, double x, double eta,
                                  double clip, double alpha, double log_x_max, double x_max)
{
    double log_x = log(x);
    double diff = 0;
    for (size_t k = 0; k < dim; k++) diff += p1[k] * p2[k];
    diff += p1[dim] + p2[dim] - log_x;
    double fdiff = x > x_max ? diff : exp(alpha * (log_x - log_x_max)) * diff;
    if (!isfinite(diff) || !isfinite(fdiff)) return -1;
    double *g1 = p1 + dim + 1, *g2 = p2 + dim + 1;
    for (size_t k = 0; k < dim; k++) {
        double t1 = fdiff * p2[k], t2 = fdiff * p1[k];
        t1 = (t1 > clip ? clip : t1 < -clip ? -clip : t1) * eta;
        t2 = (t2 > clip ? clip : t2 < -clip ? -clip : t2) * eta;
        p1[k] -= t1 / sqrt(g1[k]);
        p2[k] -= t2 / sqrt(g2[k]);
        g1[k] += t1 * t1;
        g2[k] += t2 * t2;
    }
    p1[dim] -= fdiff / sqrt(g1[dim]);
    p2[dim] -= fdiff / sqrt(g2[dim]);
    double f2 = fdiff * fdiff;
    g1[dim] += f2;
    g2[dim] += f2;
    return 0.5 * fdiff * diff;
}

#define TRAIN_CHUNK 1024 /* records per fread (16 KiB) */

static void train_range(void *vctx, size_t begin, size_t end, int tid)
{
    train_ctx *c = vctx;
    const xl_glove_train_opts *o = c->o;
    xl_error *err = &c->errs[tid];
    c->cost[tid] = 0;
    unsigned char *buf = NULL;
    FILE *f = xl_fopen(c->path, "rb", err);
    if (!f) goto fail;
    buf = xl_malloc((size_t)TRAIN_CHUNK * GLOVE_RECORD_BYTES, err);
    if (!buf) goto fail;
    if ((unsigned long long)begin * GLOVE_RECORD_BYTES > (unsigned long long)LONG_MAX ||
        fseek(f, (long)(begin * GLOVE_RECORD_BYTES), SEEK_SET) != 0) {
        xl_fail(err, XL_ERR_IO, "%s: cannot seek to record %zu", c->path, begin + 1);
        goto fail;
    }
    double cost = 0;
    size_t at = begin;
    while (at < end) {
        size_t want = end - at < TRAIN_CHUNK ? end - at : TRAIN_CHUNK;
        size_t got = fread(buf, GLOVE_RECORD_BYTES, want, f);
        if (got < want) {
            xl_fail(err, XL_ERR_IO, "%s: record %zu: file ends early (changed while training?)", c->path, at + got + 1);
            goto fail;
        }
        for (size_t r = 0; r < got; r++) {
            int32_t w1, w2;
            double x;
            xl_glove_get_record(buf + r * GLOVE_RECORD_BYTES, &w1, &w2, &x);
            if (w1 < 1 || w2 < 1) continue; /* the reference skips these */
            if ((size_t)w1 > c->vocab || (size_t)w2 > c->vocab) {
                xl_fail(err, XL_ERR_FORMAT, "%s: record %zu: word id %d beyond the vocabulary of %zu words",
                        c->path, at + r + 1, (size_t)w1 > c->vocab ? w1 : w2, c->vocab);
                goto fail;
            }
            if (!(x > 0) || !isfinite(x)) {
                xl_fail(err, XL_ERR_FORMAT, "%s: record %zu: co-occurrence value %g is not a positive number",
                        c->path, at + r + 1, x);
                goto fail;
            }
            double *p1 = c->rows + (size_t)(w1 - 1) * c->stride;
            double *p2 = c->rows + ((size_t)(w2 - 1) + c->vocab) * c->stride;
            double term = train_record(p1, p2, c->dim, x, o->eta, o->grad_clip, o->alpha, c->log_x_max, o->x_max);
            if (term >= 0) cost += term;
        }
        at += got;
    }
    c->cost[tid] = cost;
    fclose(f);
    free(buf);
    return;
fail:
    c->failed[tid] = 1;
    if (f) fclose(f);
    free(buf);
}

int xl_glove_train(const char *cooccur_path, size_t vocab_size, const xl_glove_train_opts *o, xl_glove_model *out,
                double *final_cost, xl_error *err)
{
    memset(out, 0, sizeof *out);
    if (o->vector_size < 1) return xl_fail(err, XL_ERR_USAGE, "vector size must be at least 1");
    if (vocab_size == 0) return xl_fail(err, XL_ERR_USAGE, "empty vocabulary");
    if (!(o->x_max > 0) || !(o->eta > 0) || !(o->grad_clip > 0))
        return xl_fail(err, XL_ERR_USAGE, "x_max, eta and grad_clip must be positive");
    FILE *f = xl_fopen(cooccur_path, "rb", err);
    if (!f) return -1;
    if (f == stdin)
        return xl_fail(err, XL_ERR_USAGE, "training reads the co-occurrence file several times: give a file");
    long size = -1;
    if (fseek(f, 0, SEEK_END) == 0) size = ftell(f);
    fclose(f);
    if (size < 0) return xl_fail(err, XL_ERR_IO, "%s: cannot find the file size", cooccur_path);
    if (size % GLOVE_RECORD_BYTES)
        return xl_fail(err, XL_ERR_FORMAT, "%s: record %ld: file ends inside a 16-byte record (cut short?)",
                       cooccur_path, size / GLOVE_RECORD_BYTES + 1);
    size_t n_records = (size_t)(size / GLOVE_RECORD_BYTES);
    if (n_records == 0) return xl_fail(err, XL_ERR_FORMAT, "%s: no co-occurrence records", cooccur_path);

    size_t dim = (size_t)o->vector_size, rows = 2 * vocab_size, stride, total;
    if (!xl_mul_size(dim + 1, 2, &stride) || !xl_mul_size(rows, stride, &total) ||
        total > SIZE_MAX / sizeof(double))
        return xl_fail(err, XL_ERR_NOMEM, "%zu x %zu parameters: size overflows", rows, stride);
    double *p = xl_malloc(total * sizeof *p, err);
    if (!p) return -1;
    /* initial values in the reference's order: all of W, row by row */
    xl_rng rng;
    xl_rng_seed(&rng, o->seed, 0);
    for (size_t r = 0; r < rows; r++) {
        double *row = p + r * stride;
        for (size_t k = 0; k <= dim; k++) row[k] = (xl_rng_double(&rng) - 0.5) / (double)dim;
        for (size_t k = 0; k <= dim; k++) row[dim + 1 + k] = 1.0;
    }
    train_ctx *c = xl_calloc(1, sizeof *c, err);
    if (!c) {
        free(p);
        return -1;
    }
    c->path = cooccur_path;
    c->o = o;
    c->rows = p;
    c->vocab = vocab_size;
    c->dim = dim;
    c->stride = stride;
    c->log_x_max = log(o->x_max);
    int threads = xl_resolve_threads(o->threads);
    if ((size_t)threads > n_records) threads = (int)n_records;
    double cost = 0;
    for (int it = 0; it < o->iterations; it++) {
        xl_parallel_for(threads, n_records, train_range, c);
        cost = 0;
        for (int t = 0; t < threads; t++) {
            if (c->failed[t]) {
                if (err) *err = c->errs[t];
                free(c);
                free(p);
                return -1;
            }
            cost += c->cost[t];
        }
        cost /= (double)n_records;
        if (o->on_iteration) o->on_iteration(o->ctx, it + 1, cost);
    }
    free(c);
    /* to the reference's layout, in place (row r moves to r (dim + 1) <= r stride) */
    for (size_t r = 0; r < rows; r++) memmove(p + r * (dim + 1), p + r * stride, (dim + 1) * sizeof *p);
    double *shrunk = realloc(p, rows * (dim + 1) * sizeof *p);
    out->params = shrunk ? shrunk : p;
    out->vocab_size = vocab_size;
    out->dim = dim;
    if (final_cost) *final_cost = cost;
    return 0;
}

/* ---- output ------------------------------------------------------------------- */
/* Values of text row i (i == V: "<unk>", the mean of the last min(100, V)
 * words as the reference) for the chosen vectors, in float64; returns the
 * number of values written to out (2 dim + 2 at most). */
static size_t row_values(const xl_glove_model *m, size_t i, xl_glove_save_model which, double *out)
{
    size_t V = m->vocab_size, d = m->dim, D = d + 1;
    const double *W = m->params;
    for (size_t k = 0; k < D; k++) {
        double w, c;
        if (i < V) {
            w = W[i * D + k];
            c = W[(V + i) * D + k];
        } else {
            size_t n_rare = V < 100 ? V : 100;
            w = c = 0;
            for (size_t a = V - n_rare; a < V; a++) {
                w += W[a * D + k] / (double)n_rare;
                c += W[(V + a) * D + k] / (double)n_rare;
            }
        }
        switch (which) {
        case GLOVE_SAVE_ALL:
            out[k] = w;
            out[D + k] = c;
            break;
        case GLOVE_SAVE_WORD:
            if (k < d) out[k] = w;
            break;
        case GLOVE_SAVE_CONCAT:
            if (k < d) {
                out[k] = w;
                out[d + k] = c;
            }
            break;
        default:
            if (k < d) out[k] = w + c;
            break;
        }
    }
    return which == GLOVE_SAVE_ALL ? 2 * D : which == GLOVE_SAVE_CONCAT ? 2 * d : d;
}

int xl_glove_model_to_vectors(const xl_glove_model *m, const xl_glove_vocab *vocab, xl_glove_save_model which, bool add_unk,
                           xl_w2v_vectors *out, xl_error *err)
{
    size_t V = m->vocab_size, d = m->dim;
    if (vocab->words.n != V)
        return xl_fail(err, XL_ERR_USAGE, "vocabulary has %zu words, model %zu", vocab->words.n, V);
    size_t out_dim = which == GLOVE_SAVE_ALL ? 2 * (d + 1) : which == GLOVE_SAVE_CONCAT ? 2 * d : d;
    double *vals = xl_malloc((2 * d + 2) * sizeof *vals, err);
    if (!vals) return -1;
    if (xl_w2v_vectors_alloc(out, V + (add_unk ? 1 : 0), out_dim, err) < 0) {
        free(vals);
        return -1;
    }
    for (size_t i = 0; i < out->n_words; i++) {
        size_t n = row_values(m, i, which, vals);
        for (size_t k = 0; k < n; k++) xl_w2v_row(out, i)[k] = (float)vals[k];
        const char *word = i < V ? xl_w2v_words_get(&vocab->words, i) : "<unk>";
        size_t len = i < V ? vocab->words.word_len[i] : 5;
        if (xl_w2v_words_add(&out->words, word, len, err) < 0) {
            free(vals);
            xl_w2v_vectors_free(out);
            return -1;
        }
    }
    free(vals);
    return 0;
}

int xl_glove_write_text(const char *path, const xl_glove_model *m, const xl_glove_vocab *vocab, xl_glove_save_model which,
                     bool add_unk, bool header, xl_error *err)
{
    size_t V = m->vocab_size, d = m->dim;
    if (vocab->words.n != V)
        return xl_fail(err, XL_ERR_USAGE, "vocabulary has %zu words, model %zu", vocab->words.n, V);
    double *vals = xl_malloc((2 * d + 2) * sizeof *vals, err);
    if (!vals) return -1;
    xl_glove_out o;
    if (xl_glove_out_open(&o, path, false, err) < 0) {
        free(vals);
        return -1;
    }
    size_t rows = V + (add_unk ? 1 : 0);
    int bad = header && fprintf(o.f, "%zu %zu\n", rows, row_values(m, 0, which, vals)) < 0;
    for (size_t i = 0; i < rows && !bad; i++) {
        size_t n = row_values(m, i, which, vals);
        if (i < V)
            bad |= fwrite(xl_w2v_words_get(&vocab->words, i), 1, vocab->words.word_len[i], o.f) != vocab->words.word_len[i];
        else
            bad |= fputs("<unk>", o.f) == EOF;
        for (size_t k = 0; k < n && !bad; k++) bad |= fprintf(o.f, " %lf", vals[k]) < 0;
        bad |= fputc('\n', o.f) == EOF;
    }
    free(vals);
    if (bad) {
        xl_glove_out_abort(&o);
        return xl_fail(err, XL_ERR_IO, "%s: write failed", path);
    }
    return xl_glove_out_commit(&o, err);
}

int xl_glove_read_binary(const char *path, size_t vocab_size, xl_glove_model *out, xl_error *err)
{
    memset(out, 0, sizeof *out);
    char *data;
    size_t len;
    if (vocab_size == 0) return xl_fail(err, XL_ERR_USAGE, "empty vocabulary");
    if (xl_read_file(path, 0, &data, &len, err) < 0) return -1;
    size_t per_dim = 16 * vocab_size;
    if (vocab_size > SIZE_MAX / 16 || len % per_dim != 0 || len / per_dim < 2) {
        free(data);
        return xl_fail(err, XL_ERR_FORMAT,
                       "%s: %zu bytes are not 2 x %zu words x (dim + 1) float64 values (file cut short, or another "
                       "vocabulary?)",
                       path, len, vocab_size);
    }
    size_t n = len / 8;
    out->params = xl_malloc(n * sizeof *out->params, err);
    if (!out->params) {
        free(data);
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        uint64_t u = 0;
        for (int b = 0; b < 8; b++) u |= (uint64_t)(unsigned char)data[8 * i + (size_t)b] << (8 * b);
        memcpy(&out->params[i], &u, 8);
        if (!isfinite(out->params[i])) {
            free(data);
            xl_glove_model_free(out);
            return xl_fail(err, XL_ERR_FORMAT, "%s: value %zu is not finite", path, i + 1);
        }
    }
    free(data);
    out->vocab_size = vocab_size;
    out->dim = len / per_dim - 1;
    return 0;
}

int xl_glove_write_binary(const char *path, const xl_glove_model *m, xl_error *err)
{
    xl_glove_out o;
    if (xl_glove_out_open(&o, path, true, err) < 0) return -1;
    size_t n = 2 * m->vocab_size * (m->dim + 1);
    unsigned char buf[8 * 512];
    size_t fill = 0;
    int bad = 0;
    for (size_t i = 0; i < n && !bad; i++) {
        uint64_t u;
        memcpy(&u, &m->params[i], 8);
        for (int b = 0; b < 8; b++) buf[fill++] = (unsigned char)(u >> (8 * b));
        if (fill == sizeof buf || i + 1 == n) {
            bad = fwrite(buf, 1, fill, o.f) != fill;
            fill = 0;
        }
    }
    if (bad) {
        xl_glove_out_abort(&o);
        return xl_fail(err, XL_ERR_IO, "%s: write failed", path);
    }
    return xl_glove_out_commit(&o, err);
}
