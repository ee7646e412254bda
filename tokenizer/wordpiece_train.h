/* wordpiece_train.h - WordPiece vocabulary training, the algorithm of
 * HuggingFace tokenizers' WordPieceTrainer (= its BpeTrainer with
 * continuing_subword_prefix "##", on words from BertNormalizer +
 * BertPreTokenizer).  docs/vocabulary.md gives the algorithm step by step and
 * the comparison with the reference.
 *
 * Contract
 *   - Counting: each text (one line of input) is normalised and split into
 *     words exactly as xl_wordpiece_encode does before WordPiece (steps 2-3 of
 *     docs/tokenizer.md); words are counted in a hash table.
 *   - Training, as HF's BpeTrainer::do_train:
 *       1. the special tokens, in the order given (duplicates once);
 *       2. the alphabet: every character with its count (summed over word
 *          counts), initial_alphabet characters counted as infinite; with
 *          limit_alphabet, the least frequent are dropped until `limit` remain;
 *          the kept characters are added in code point order;
 *       3. each word becomes its characters, the first as "c", the others as
 *          "##c" (characters outside the alphabet are skipped); the "##c"
 *          tokens are added next;
 *       4. pair counts (over word counts) in a priority queue; repeatedly the
 *          most frequent pair (ties: the smaller (left id, right id)) is merged
 *          into left + right-without-"##", added to the vocabulary when new,
 *          until vocab_size tokens exist, no pair is left or the best count is
 *          below min_frequency.  HF's incremental bookkeeping is reproduced
 *          exactly: each queue entry holds the words it was made from, a merged
 *          pair's own count is not decremented, stale entries are re-queued
 *          with their current count.
 *   - Deterministic (bit-for-bit, any thread count) where HF is not: HF hands
 *     out the "##c" ids in hash-map order (random per process, HF issue 1794)
 *     and breaks count ties of the alphabet limit by an unstable sort.  Here
 *     "##c" come in code point order (or in `continuation_order`, to replay a
 *     given HF run), the alphabet limit drops, among equal counts, the higher
 *     code point first, and two queue entries for the same pair with the same
 *     count are taken oldest first.
 *   - Memory: the word table (each distinct word once) plus, while merging,
 *     one symbol per character of each distinct word and one word index per
 *     (pair, word) occurrence in the queue.  Counts are 64-bit.
 */
#ifndef WORDPIECE_TRAIN_H
#define WORDPIECE_TRAIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "xl_error.h"

#define WORDPIECE_TRAIN_NO_LIMIT SIZE_MAX

typedef struct xl_wordpiece_train_options {
    size_t vocab_size;                 /* target size, special tokens included (default 30000) */
    uint64_t min_frequency;            /* merges stop below this pair count (default 0) */
    size_t limit_alphabet;             /* WORDPIECE_TRAIN_NO_LIMIT (default) or the most characters kept */
    const char *const *special_tokens; /* default [PAD] [UNK] [CLS] [SEP] [MASK] */
    size_t n_special_tokens;
    const uint32_t *initial_alphabet;  /* code points always kept (default none) */
    size_t n_initial_alphabet;
    const char *continuing_subword_prefix; /* default "##" */
    /* BertNormalizer (clean_text is always on, as in every BERT tokenizer.json) */
    bool lowercase;                    /* default false (cased) */
    int strip_accents;                 /* -1: follow lowercase (HF null), 0, 1 */
    bool tokenize_chinese_chars;       /* default true */
    /* replay: the order in which "##c" tokens are created (code points);
     * characters not listed follow in code point order.  NULL = none. */
    const uint32_t *continuation_order;
    size_t n_continuation_order;
} xl_wordpiece_train_options;

void xl_wordpiece_train_options_default(xl_wordpiece_train_options *o);

/* ------------------------------------------------------------------------ */
/* Word counts */

typedef struct xl_wordpiece_counter xl_wordpiece_counter;

xl_wordpiece_counter *xl_wordpiece_counter_create(const xl_wordpiece_train_options *o, xl_error *err);
void xl_wordpiece_counter_free(xl_wordpiece_counter *c);
/* One text: normalise, pre-tokenize, count its words.  Ill-formed UTF-8 is
 * read as U+FFFD (dropped), as the tokenizer does; callers that want it to be
 * an error check first (the CLI does). */
int xl_wordpiece_counter_add_text(xl_wordpiece_counter *c, const char *text, size_t len, xl_error *err);
/* Add `count` occurrences of an already pre-tokenized word. */
int xl_wordpiece_counter_add_word(xl_wordpiece_counter *c, const char *word, size_t len, uint64_t count, xl_error *err);
/* Add every count of `from` into `into` (for per-thread counters). */
int xl_wordpiece_counter_merge(xl_wordpiece_counter *into, const xl_wordpiece_counter *from, xl_error *err);
size_t xl_wordpiece_counter_distinct(const xl_wordpiece_counter *c);
uint64_t xl_wordpiece_counter_total(const xl_wordpiece_counter *c);

/* ------------------------------------------------------------------------ */
/* Training */

typedef struct xl_wordpiece_vocab {
    size_t n;          /* tokens; id = index */
    char *arena;       /* token i = arena + off[i], len[i] bytes, NUL-terminated */
    size_t *off;
    size_t *len;
    /* statistics of the run */
    size_t n_special, n_alphabet, n_continuation; /* ids [0, n_special) are the special tokens, etc. */
    size_t n_merges;   /* merge steps done (some give a token already present) */
    uint64_t last_merge_count; /* count of the last merged pair (0 when none) */
} xl_wordpiece_vocab;

/* Train on the counts.  Fails when there is no word (empty input), on an
 * option problem or on allocation failure. */
int xl_wordpiece_train(const xl_wordpiece_counter *c, const xl_wordpiece_train_options *o, xl_wordpiece_vocab *out,
                    xl_error *err);
void xl_wordpiece_vocab_free(xl_wordpiece_vocab *v);

/* vocab.txt: one token per line, line number = id. */
int xl_wordpiece_vocab_write_txt(const xl_wordpiece_vocab *v, const char *path, xl_error *err);
/* A tokenizer.json with the structure of the BERT ones on the HF hub
 * (BertNormalizer with these options, BertPreTokenizer, TemplateProcessing
 * [CLS] $A [SEP] / [CLS] $A [SEP] $B:1 [SEP]:1, WordPiece decoder and model,
 * the special tokens as added tokens).  Needs "[UNK]" in the vocabulary
 * ([CLS]/[SEP] for the post-processor; without them it is null). */
int xl_wordpiece_vocab_write_json(const xl_wordpiece_vocab *v, const xl_wordpiece_train_options *o, const char *path,
                               xl_error *err);
/* tokenizer_config.json for BertTokenizerFast (do_lower_case, strip_accents,
 * tokenize_chinese_chars: without it transformers applies its own defaults
 * over the normaliser, lowercasing a cased vocabulary). */
int xl_wordpiece_vocab_write_config(const xl_wordpiece_train_options *o, const char *path, xl_error *err);

#endif /* WORDPIECE_TRAIN_H */
