/* w2v_train.c - see w2v.h.  Structure and update rules follow word2vec.c
 * (TrainModelThread); shapes: syn0, syn1, syn1neg are [V][size] float32. */
#include "w2v.h"

#include <math.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "xl_alloc.h"
#include "xl_io.h"
#include "xl_platform.h"
#include "xl_rng.h"
#include "xl_thread.h"

#if !defined(__STDC_NO_ATOMICS__)
#include <stdatomic.h>
typedef _Atomic uint64_t w2v_counter;
#define COUNTER_ADD(c, v) atomic_fetch_add_explicit(&(c), (v), memory_order_relaxed)
#define COUNTER_GET(c) atomic_load_explicit(&(c), memory_order_relaxed)
#define COUNTER_SET(c, v) atomic_store_explicit(&(c), (v), memory_order_relaxed)
#else
typedef volatile uint64_t w2v_counter;
#define COUNTER_ADD(c, v) ((c) += (v))
#define COUNTER_GET(c) (c)
#define COUNTER_SET(c, v) ((c) = (v))
#endif

#define EXP_TABLE_SIZE 1000
#define MAX_EXP 6
#define MAX_SENTENCE_LENGTH 1000

void xl_w2v_options_default(xl_w2v_options *o)
{
    memset(o, 0, sizeof *o);
    o->size = 100;
    o->window = 5;
    o->sample = 1e-3;
    o->hs = 0;
    o->negative = 5;
    o->threads = XL_THREADS_DEFAULT; /* word2vec.c: 12; 1 keeps a run repeatable (docs/word2vec.md) */
    o->iter = 5;
    o->min_count = 5;
    o->alpha = 0; /* 0.05 for CBOW, 0.025 for skip-gram */
    o->cbow = 1;
    o->seed = 1;
}

void xl_w2v_model_free(xl_w2v_model *m)
{
    if (!m) return;
    xl_w2v_vectors_free(&m->vectors);
    free(m->vocab);
    memset(m, 0, sizeof *m);
}

/* ---- corpus reading: tokens -> provisional ids (first-occurrence order) --- */
typedef struct {
    xl_w2v_words words;     /* provisional vocabulary, "</s>" = 0 */
    int64_t *counts;     /* [words.n] */
    size_t counts_cap;
    uint32_t *tokens;    /* provisional ids, one per token (incl. "</s>") */
    size_t n_tokens, tokens_cap;
    xl_buf partial;      /* a word cut by a chunk boundary */
} corpus;

static int push_token(corpus *c, const char *w, size_t len, xl_error *err)
{
    bool added;
    int64_t id = xl_w2v_words_intern(&c->words, w, len, &added, err);
    if (id < 0) return -1;
    if (id >= (int64_t)UINT32_MAX) return xl_fail(err, XL_ERR_LIMIT, "more than 2^32-1 distinct words");
    size_t old_cap = c->counts_cap;
    int64_t *n = xl_array_reserve(c->counts, &c->counts_cap, (size_t)id + 1, 4096, err);
    if (!n) return -1;
    memset(n + old_cap, 0, (c->counts_cap - old_cap) * sizeof *n); /* counts of words not seen yet */
    c->counts = n;
    c->counts[id]++;
    uint32_t *t = xl_array_reserve(c->tokens, &c->tokens_cap, c->n_tokens + 1, 65536, err);
    if (!t) return -1;
    c->tokens = t;
    c->tokens[c->n_tokens++] = (uint32_t)id;
    return 0;
}

static inline bool is_sep(unsigned char ch)
{
    return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r' || ch == '\v' || ch == '\f';
}

/* Feed bytes; `final` flushes a pending word. */
static int corpus_feed(corpus *c, const char *data, size_t len, bool final, xl_error *err)
{
    size_t i = 0;
    while (i < len) {
        unsigned char ch = (unsigned char)data[i];
        if (is_sep(ch)) {
            if (c->partial.len) {
                if (push_token(c, c->partial.data, c->partial.len, err) < 0) return -1;
                xl_buf_clear(&c->partial);
            }
            if (ch == '\n' && push_token(c, "</s>", 4, err) < 0) return -1;
            i++;
            continue;
        }
        size_t j = i;
        while (j < len && !is_sep((unsigned char)data[j]) && data[j] != '\0') j++;
        if (j == i) { /* NUL byte: treat as a separator (words are C strings in the files) */
            i++;
            continue;
        }
        if (j == len && !final) { /* may continue in the next chunk */
            if (xl_buf_append(&c->partial, data + i, j - i, err) < 0) return -1;
        } else if (c->partial.len) {
            if (xl_buf_append(&c->partial, data + i, j - i, err) < 0) return -1;
            if (push_token(c, c->partial.data, c->partial.len, err) < 0) return -1;
            xl_buf_clear(&c->partial);
        } else if (push_token(c, data + i, j - i, err) < 0) {
            return -1;
        }
        i = j;
    }
    if (final && c->partial.len) {
        if (push_token(c, c->partial.data, c->partial.len, err) < 0) return -1;
        xl_buf_clear(&c->partial);
    }
    return 0;
}

static void corpus_free(corpus *c)
{
    xl_w2v_words_free(&c->words);
    free(c->counts);
    free(c->tokens);
    xl_buf_free(&c->partial);
}

static int corpus_init(corpus *c, xl_error *err)
{
    memset(c, 0, sizeof *c);
    xl_w2v_words_init(&c->words);
    xl_buf_init(&c->partial);
    /* "</s>" is row 0 even when the text has no newline (word2vec.c) */
    if (xl_w2v_words_add(&c->words, "</s>", 4, err) < 0) return -1;
    c->counts = xl_calloc(4096, sizeof *c->counts, err);
    if (!c->counts) return -1;
    c->counts_cap = 4096;
    return 0;
}

/* ---- training state -------------------------------------------------------- */
typedef struct {
    uint32_t threshold; /* accept column i when the high word < threshold */
    uint32_t alias;
} alias_cell;

typedef struct {
    const xl_w2v_options *opt;
    size_t V, size;
    const uint32_t *tokens; /* vocabulary ids, length n_tokens */
    size_t n_tokens;
    float *syn0, *syn1, *syn1neg;
    const float *keep_prob; /* [V] subsampling: keep when rand < keep_prob */
    const alias_cell *alias; /* [V] negative sampling */
    const uint8_t *codes;    /* Huffman codes, pooled */
    const uint32_t *points;  /* inner nodes, pooled */
    const xl_w2v_vocab_entry *vocab;
    float exp_table[EXP_TABLE_SIZE + 1];
    double starting_alpha;
    uint64_t total_words; /* iter * train_words */
    w2v_counter words_done;
    clock_t clock_start;
    double wall_start;
    int n_threads;
    int failed;
} trainer;

static inline uint32_t sample_negative(const alias_cell *table, size_t V, xl_rng *rng)
{
    uint64_t r = xl_rng_u64(rng);
    uint32_t i = (uint32_t)(((r & 0xffffffffu) * (uint64_t)V) >> 32);
    return (uint32_t)(r >> 32) < table[i].threshold ? i : table[i].alias;
}

/* g for one output unit: (label - sigmoid(f)) * alpha, clipped like word2vec.c */
static inline float ns_gradient(const trainer *t, float f, float label, float alpha)
{
    if (f > MAX_EXP) return (label - 1) * alpha;
    if (f < -MAX_EXP) return (label - 0) * alpha;
    return (label - t->exp_table[(int)((f + MAX_EXP) * (EXP_TABLE_SIZE / MAX_EXP / 2))]) * alpha;
}

/* Output layer for one (input vector h, target word) pair: accumulates the
 * gradient w.r.t. h into neu1e and updates the output vectors. */
static inline void output_layer(trainer *t, const float *h, float *neu1e, uint32_t word, float alpha, xl_rng *rng)
{
    const size_t size = t->size;
    if (t->opt->hs) {
        const xl_w2v_vocab_entry *e = &t->vocab[word];
        const uint8_t *code = t->codes + e->code_off;
        const uint32_t *point = t->points + e->code_off;
        for (uint32_t d = 0; d < e->code_len; d++) {
            float *l2 = t->syn1 + (size_t)point[d] * size;
            float f = xl_w2v_dot(h, l2, size);
            if (f <= -MAX_EXP || f >= MAX_EXP) continue;
            f = t->exp_table[(int)((f + MAX_EXP) * (EXP_TABLE_SIZE / MAX_EXP / 2))];
            float g = (1 - code[d] - f) * alpha;
            xl_w2v_axpy(g, l2, neu1e, size);
            xl_w2v_axpy(g, h, l2, size);
        }
    }
    for (int d = 0; d < t->opt->negative + 1 && t->opt->negative > 0; d++) {
        uint32_t target;
        float label;
        if (d == 0) {
            target = word;
            label = 1;
        } else {
            target = sample_negative(t->alias, t->V, rng);
            if (target == 0) target = 1 + xl_rng_below(rng, (uint32_t)(t->V - 1));
            if (target == word) continue;
            label = 0;
        }
        float *l2 = t->syn1neg + (size_t)target * size;
        float g = ns_gradient(t, xl_w2v_dot(h, l2, size), label, alpha);
        xl_w2v_axpy(g, l2, neu1e, size);
        xl_w2v_axpy(g, h, l2, size);
    }
}

typedef struct {
    trainer *t;
} thread_arg;

static void train_thread(void *ctx, size_t tid_begin, size_t tid_end, int tid)
{
    (void)tid_end;
    trainer *t = ctx;
    const xl_w2v_options *o = t->opt;
    const size_t size = t->size;
    const int window = o->window;
    size_t T = (size_t)t->n_threads, id = tid_begin;
    size_t begin = t->n_tokens / T * id + (t->n_tokens % T < id ? t->n_tokens % T : id);
    size_t end = begin + t->n_tokens / T + (id < t->n_tokens % T ? 1 : 0);
    xl_rng rng;
    xl_rng_seed(&rng, t->opt->seed, (uint64_t)id + 1);
    float *neu1 = xl_aligned_alloc(2 * size * sizeof(float) + 64, NULL);
    uint32_t *sen = xl_malloc(MAX_SENTENCE_LENGTH * sizeof *sen, NULL);
    if (!neu1 || !sen) {
        xl_aligned_free(neu1);
        free(sen);
        t->failed = 1;
        return;
    }
    float *neu1e = neu1 + size;
    float alpha = (float)t->starting_alpha;
    uint64_t word_count = 0, last_word_count = 0;
    double last_report = 0;
    for (int epoch = 0; epoch < o->iter; epoch++) {
        size_t pos = begin;
        while (pos < end) {
            if (word_count - last_word_count > 10000) {
                uint64_t done = COUNTER_ADD(t->words_done, word_count - last_word_count) + (word_count - last_word_count);
                last_word_count = word_count;
                double frac = (double)done / (double)(t->total_words + 1);
                alpha = (float)(t->starting_alpha * (1 - frac));
                if (alpha < t->starting_alpha * 0.0001) alpha = (float)(t->starting_alpha * 0.0001);
                if (tid == 0 && o->progress) {
                    double now = xl_time_now();
                    if (now - last_report >= 0.25) {
                        last_report = now;
                        double cpu = (double)(clock() - t->clock_start) / CLOCKS_PER_SEC;
                        o->progress(o->progress_ctx, alpha, frac, cpu > 0 ? (double)done / cpu : 0);
                    }
                }
            }
            /* read a sentence: up to "</s>" or 1000 kept words */
            int len = 0;
            while (pos < end) {
                uint32_t w = t->tokens[pos++];
                word_count++;
                if (w == 0) break;
                if (o->sample > 0 && t->keep_prob[w] < xl_rng_float(&rng)) continue;
                sen[len++] = w;
                if (len >= MAX_SENTENCE_LENGTH) break;
            }
            for (int sp = 0; sp < len; sp++) {
                uint32_t word = sen[sp];
                int b = (int)xl_rng_below(&rng, (uint32_t)window);
                memset(neu1e, 0, size * sizeof(float));
                if (o->cbow) {
                    memset(neu1, 0, size * sizeof(float));
                    int cw = 0;
                    for (int a = b; a < window * 2 + 1 - b; a++) {
                        if (a == window) continue;
                        int c = sp - window + a;
                        if (c < 0 || c >= len) continue;
                        xl_w2v_axpy(1.0f, t->syn0 + (size_t)sen[c] * size, neu1, size);
                        cw++;
                    }
                    if (!cw) continue;
                    float inv = 1.0f / (float)cw;
                    for (size_t k = 0; k < size; k++) neu1[k] *= inv;
                    output_layer(t, neu1, neu1e, word, alpha, &rng);
                    for (int a = b; a < window * 2 + 1 - b; a++) {
                        if (a == window) continue;
                        int c = sp - window + a;
                        if (c < 0 || c >= len) continue;
                        xl_w2v_axpy(1.0f, neu1e, t->syn0 + (size_t)sen[c] * size, size);
                    }
                } else {
                    for (int a = b; a < window * 2 + 1 - b; a++) {
                        if (a == window) continue;
                        int c = sp - window + a;
                        if (c < 0 || c >= len) continue;
                        float *in = t->syn0 + (size_t)sen[c] * size;
                        memset(neu1e, 0, size * sizeof(float));
                        output_layer(t, in, neu1e, word, alpha, &rng);
                        xl_w2v_axpy(1.0f, neu1e, in, size);
                    }
                }
            }
        }
    }
    COUNTER_ADD(t->words_done, word_count - last_word_count);
    xl_aligned_free(neu1);
    free(sen);
}

/* Vose's alias method over weights w[i] = count[i]^0.75. */
static int build_alias(const xl_w2v_vocab_entry *vocab, size_t V, alias_cell **out, xl_error *err)
{
    alias_cell *table = xl_malloc(V * sizeof *table, err);
    double *p = xl_malloc(V * sizeof *p, err);
    uint32_t *small = xl_malloc(V * sizeof *small, err), *large = xl_malloc(V * sizeof *large, err);
    if (!table || !p || !small || !large) {
        free(table), free(p), free(small), free(large);
        return -1;
    }
    double total = 0;
    for (size_t i = 0; i < V; i++) total += pow((double)vocab[i].count, 0.75);
    size_t ns = 0, nl = 0;
    for (size_t i = 0; i < V; i++) {
        p[i] = total > 0 ? pow((double)vocab[i].count, 0.75) * (double)V / total : 1.0;
        if (p[i] < 1.0) small[ns++] = (uint32_t)i;
        else large[nl++] = (uint32_t)i;
    }
    while (ns && nl) {
        uint32_t s = small[--ns], l = large[nl - 1];
        double th = p[s] * 4294967296.0;
        table[s].threshold = th >= 4294967295.0 ? UINT32_MAX : (uint32_t)th;
        table[s].alias = l;
        p[l] -= 1.0 - p[s];
        if (p[l] < 1.0) {
            nl--;
            small[ns++] = l;
        }
    }
    while (nl) {
        uint32_t l = large[--nl];
        table[l].threshold = UINT32_MAX;
        table[l].alias = l;
    }
    while (ns) { /* rounding leftovers */
        uint32_t s = small[--ns];
        table[s].threshold = UINT32_MAX;
        table[s].alias = s;
    }
    free(p), free(small), free(large);
    *out = table;
    return 0;
}

/* word2vec.c's CreateBinaryTree (Huffman tree over the sorted counts). */
static int build_huffman(xl_w2v_vocab_entry *vocab, size_t V, uint8_t **codes_out, uint32_t **points_out, xl_error *err)
{
    size_t n2 = V * 2;
    int64_t *count = xl_malloc(n2 * sizeof *count, err);
    uint8_t *binary = xl_calloc(n2, 1, err);
    size_t *parent = xl_calloc(n2, sizeof *parent, err);
    uint8_t *codes = NULL;
    uint32_t *points = NULL;
    int rc = -1;
    if (!count || !binary || !parent) goto done;
    for (size_t a = 0; a < V; a++) count[a] = vocab[a].count;
    for (size_t a = V; a < n2; a++) count[a] = INT64_MAX / 4;
    ptrdiff_t pos1 = (ptrdiff_t)V - 1;
    size_t pos2 = V;
    for (size_t a = 0; a + 1 < V; a++) {
        size_t m[2];
        for (int k = 0; k < 2; k++) {
            if (pos1 >= 0 && count[pos1] < count[pos2]) m[k] = (size_t)pos1--;
            else m[k] = pos2++;
        }
        count[V + a] = count[m[0]] + count[m[1]];
        parent[m[0]] = V + a;
        parent[m[1]] = V + a;
        binary[m[1]] = 1;
    }
    /* code lengths first, then the pooled arrays */
    size_t total = 0;
    for (size_t a = 0; a < V; a++) {
        size_t len = 0;
        for (size_t b = a; b != n2 - 2 && V > 1; b = parent[b]) len++;
        vocab[a].code_off = total;
        vocab[a].code_len = (uint32_t)len;
        total += len;
    }
    codes = xl_malloc(total + 1, err);
    points = xl_malloc((total + 1) * sizeof *points, err);
    if (!codes || !points) goto done;
    for (size_t a = 0; a < V; a++) {
        size_t len = vocab[a].code_len, i = 0;
        uint8_t *code = codes + vocab[a].code_off;
        uint32_t *point = points + vocab[a].code_off;
        /* walk leaf -> root, store root -> leaf; point[0] is the root (V-2) */
        size_t b = a;
        while (i < len) {
            code[len - 1 - i] = binary[b];
            size_t up = parent[b];
            point[len - 1 - i] = (uint32_t)(up - V);
            b = up;
            i++;
        }
    }
    *codes_out = codes;
    *points_out = points;
    codes = NULL;
    points = NULL;
    rc = 0;
done:
    free(count), free(binary), free(parent), free(codes), free(points);
    return rc;
}

static int train_corpus(corpus *c, const xl_w2v_options *opt_in, xl_w2v_model *m, xl_error *err)
{
    xl_w2v_options opt = *opt_in;
    if (opt.alpha <= 0) opt.alpha = opt.cbow ? 0.05 : 0.025;
    if (opt.size < 1 || opt.window < 1 || opt.iter < 0 || opt.negative < 0 || opt.threads < 1 || opt.sample < 0)
        return xl_fail(err, XL_ERR_USAGE, "word2vec: invalid options (size, window, threads >= 1; iter, negative >= 0)");
    if (!opt.hs && opt.negative == 0)
        return xl_fail(err, XL_ERR_USAGE, "word2vec: no output layer: use -hs 1 or -negative > 0");
    /* vocabulary: "</s>" first, then count >= min_count by descending count,
     * ties by first occurrence */
    size_t n_prov = c->words.n;
    uint32_t *order = xl_malloc(n_prov * sizeof *order, err);
    uint32_t *remap = xl_malloc(n_prov * sizeof *remap, err);
    if (!order || !remap) {
        free(order), free(remap);
        return -1;
    }
    size_t V = 1;
    order[0] = 0;
    for (size_t i = 1; i < n_prov; i++)
        if (c->counts[i] >= opt.min_count) order[V++] = (uint32_t)i;
    /* sort order[1..V) by count desc, id asc: merge sort (stable, O(n log n)) */
    {
        uint32_t *tmp = xl_malloc(V * sizeof *tmp, err);
        if (!tmp) {
            free(order), free(remap);
            return -1;
        }
        uint32_t *a = order + 1;
        size_t n = V - 1;
        for (size_t width = 1; width < n; width *= 2) {
            for (size_t lo = 0; lo < n; lo += 2 * width) {
                size_t mid = lo + width < n ? lo + width : n, hi = lo + 2 * width < n ? lo + 2 * width : n;
                size_t i = lo, j = mid, k = lo;
                while (i < mid && j < hi) tmp[k++] = c->counts[a[j]] > c->counts[a[i]] ? a[j++] : a[i++];
                while (i < mid) tmp[k++] = a[i++];
                while (j < hi) tmp[k++] = a[j++];
            }
            memcpy(a, tmp, n * sizeof *a);
        }
        free(tmp);
    }
    if (V < 2) {
        free(order), free(remap);
        return xl_fail(err, XL_ERR_FORMAT, "word2vec: empty vocabulary: no word occurs at least %lld times",
                       (long long)opt.min_count);
    }
    for (size_t i = 0; i < n_prov; i++) remap[i] = UINT32_MAX;
    for (size_t i = 0; i < V; i++) remap[order[i]] = (uint32_t)i;

    memset(m, 0, sizeof *m);
    m->opt = opt;
    int rc = -1;
    alias_cell *alias = NULL;
    uint8_t *codes = NULL;
    uint32_t *points = NULL;
    float *keep = NULL, *syn1 = NULL, *syn1neg = NULL;
    trainer *t = NULL;
    m->vocab = xl_calloc(V, sizeof *m->vocab, err);
    if (!m->vocab) goto done;
    if (xl_w2v_vectors_alloc(&m->vectors, V, (size_t)opt.size, err) < 0) goto done;
    for (size_t i = 0; i < V; i++) {
        uint32_t p = order[i];
        m->vocab[i].count = c->counts[p];
        m->train_words += c->counts[p];
        if (xl_w2v_words_add(&m->vectors.words, xl_w2v_words_get(&c->words, p), c->words.word_len[p], err) < 0) goto done;
    }
    /* corpus -> vocabulary ids, out-of-vocabulary tokens dropped (word2vec.c skips them) */
    size_t n = 0;
    for (size_t i = 0; i < c->n_tokens; i++) {
        uint32_t id = remap[c->tokens[i]];
        if (id != UINT32_MAX) c->tokens[n++] = id;
    }
    c->n_tokens = n;

    size_t size = (size_t)opt.size;
    t = xl_calloc(1, sizeof *t, err);
    keep = xl_malloc(V * sizeof *keep, err);
    if (!t || !keep) goto done;
    double threshold = opt.sample * (double)m->train_words;
    for (size_t i = 0; i < V; i++) {
        double cn = (double)m->vocab[i].count;
        keep[i] = (opt.sample > 0 && cn > 0) ? (float)((sqrt(cn / threshold) + 1) * threshold / cn) : 1.0f;
    }
    /* syn0: uniform in [-0.5/size, 0.5/size) (word2vec.c InitNet) */
    xl_rng init;
    xl_rng_seed(&init, opt.seed, 0);
    for (size_t i = 0; i < V * size; i++) m->vectors.data[i] = (xl_rng_float(&init) - 0.5f) / (float)size;
    size_t mat_bytes = V * size * sizeof(float);
    if (opt.hs) {
        if (!(syn1 = xl_aligned_alloc(mat_bytes, err))) goto done;
        memset(syn1, 0, mat_bytes);
        if (build_huffman(m->vocab, V, &codes, &points, err) < 0) goto done;
    }
    if (opt.negative > 0) {
        if (!(syn1neg = xl_aligned_alloc(mat_bytes, err))) goto done;
        memset(syn1neg, 0, mat_bytes);
        if (build_alias(m->vocab, V, &alias, err) < 0) goto done;
    }
    t->opt = &opt;
    t->V = V;
    t->size = size;
    t->tokens = c->tokens;
    t->n_tokens = c->n_tokens;
    t->syn0 = m->vectors.data;
    t->syn1 = syn1;
    t->syn1neg = syn1neg;
    t->keep_prob = keep;
    t->alias = alias;
    t->codes = codes;
    t->points = points;
    t->vocab = m->vocab;
    for (int i = 0; i <= EXP_TABLE_SIZE; i++) {
        double e = exp((i / (double)EXP_TABLE_SIZE * 2 - 1) * MAX_EXP);
        t->exp_table[i] = (float)(e / (e + 1));
    }
    t->starting_alpha = opt.alpha;
    t->total_words = (uint64_t)opt.iter * (uint64_t)m->train_words;
    COUNTER_SET(t->words_done, 0);
    t->n_threads = opt.threads;
    if ((size_t)t->n_threads > c->n_tokens) t->n_threads = c->n_tokens ? (int)c->n_tokens : 1;
    t->clock_start = clock();
    t->wall_start = xl_time_now();
    xl_parallel_for(t->n_threads, (size_t)t->n_threads, train_thread, t);
    if (t->failed) {
        xl_fail(err, XL_ERR_NOMEM, "word2vec: out of memory for a thread's buffers");
        goto done;
    }
    m->words_done = COUNTER_GET(t->words_done);
    m->cpu_seconds = (double)(clock() - t->clock_start) / CLOCKS_PER_SEC;
    m->wall_seconds = xl_time_now() - t->wall_start;
    rc = 0;
done:
    free(order), free(remap), free(keep), free(alias), free(codes), free(points), free(t);
    xl_aligned_free(syn1);
    xl_aligned_free(syn1neg);
    if (rc < 0) xl_w2v_model_free(m);
    return rc;
}

int xl_w2v_train_text(const char *text, size_t len, const xl_w2v_options *opt, xl_w2v_model *model, xl_error *err)
{
    corpus c;
    int rc = -1;
    if (corpus_init(&c, err) == 0 && corpus_feed(&c, text, len, true, err) == 0) rc = train_corpus(&c, opt, model, err);
    corpus_free(&c);
    return rc;
}

int xl_w2v_train_file(const char *path, const xl_w2v_options *opt, xl_w2v_model *model, xl_error *err)
{
    corpus c;
    if (corpus_init(&c, err) < 0) {
        corpus_free(&c);
        return -1;
    }
    FILE *f = xl_fopen(path, "rb", err);
    if (!f) {
        corpus_free(&c);
        return -1;
    }
    char *buf = xl_malloc(1 << 20, err);
    int rc = buf ? 0 : -1;
    while (rc == 0) {
        size_t got = fread(buf, 1, 1 << 20, f);
        if (got > 0 && corpus_feed(&c, buf, got, false, err) < 0) rc = -1;
        if (got < (1 << 20)) {
            if (ferror(f)) rc = xl_fail(err, XL_ERR_IO, "%s: read error", path);
            break;
        }
    }
    free(buf);
    xl_fclose(f, path, NULL);
    if (rc == 0) rc = corpus_feed(&c, "", 0, true, err);
    if (rc == 0 && c.n_tokens == 0) rc = xl_fail(err, XL_ERR_FORMAT, "%s: empty corpus (no tokens)", path);
    if (rc == 0) {
        rc = train_corpus(&c, opt, model, err);
        if (rc < 0) xl_error_prefix(err, "%s", path);
    }
    corpus_free(&c);
    return rc;
}

int xl_w2v_save_vocab(const char *path, const xl_w2v_model *m, xl_error *err)
{
    xl_output out;
    if (xl_output_open(&out, path, err) < 0) return -1;
    int bad = 0;
    for (size_t i = 0; i < m->vectors.n_words; i++)
        if (fprintf(out.f, "%s %lld\n", xl_w2v_words_get(&m->vectors.words, i), (long long)m->vocab[i].count) < 0) bad = 1;
    if (bad) {
        xl_output_abort(&out);
        return xl_fail(err, XL_ERR_IO, "%s: write failed", path);
    }
    return xl_output_commit(&out, err);
}
