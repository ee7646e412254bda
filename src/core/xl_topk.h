/* xl_topk.h - the k best (score, id) pairs of a stream, kept sorted: what every nearest-neighbour
 * search (word vectors, alignment/CSLS) keeps per query.
 *
 * Contract
 *   - scores[0..*n) is in descending order with ids[] beside it; *n grows to at most k.
 *   - xl_topk_insert keeps (s, id) when the list is not full or s beats the last score (strictly:
 *     on equal scores the entry seen first stays ahead, so a scan in id order breaks ties by the
 *     lower id); NaN scores are never kept once the list is full.  k = 0 keeps nothing.
 *   - Insertion sort: O(k) per kept entry, for the small k (1 to 50) of these searches; for large
 *     k a heap is the better tool.
 */
#ifndef XL_TOPK_H
#define XL_TOPK_H

#include <stddef.h>
#include <stdint.h>

static inline void xl_topk_insert(float *scores, int64_t *ids, size_t *n, size_t k, float s, int64_t id)
{
    size_t m = *n;
    if (k == 0 || (m == k && !(s > scores[k - 1]))) return;
    size_t p = m < k ? m++ : k - 1;
    while (p > 0 && s > scores[p - 1]) {
        scores[p] = scores[p - 1];
        ids[p] = ids[p - 1];
        p--;
    }
    scores[p] = s;
    ids[p] = id;
    *n = m;
}

#endif /* XL_TOPK_H */
