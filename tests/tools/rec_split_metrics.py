#!/usr/bin/env python3
"""Independent check of `xlrec eval` on a split written by `xlrec eval --write-split DIR`.

Reads ranked lists (`xlrec recommend --format eval` output: a header line, then
user<TAB>item item ...[<TAB>titles]) and the held-out truth DIR/test.csv
(user,item[,rating][,time] with a header), and prints the mean metrics over
truth users with at least one relevant item, computed here from the textbook
definitions in docs/recommender.md without any xlrec code:

  python3 tests/tools/rec_split_metrics.py PRED.tsv DIR/test.csv K [THRESHOLD]

Output: one line "users U P R F1 NDCG NDCGg MAP MRR HIT", each mean with 6 decimals
(the precision of `xlrec eval --json`).  Standard library only.
"""
import csv
import math
import sys


def main():
    pred_path, truth_path, k = sys.argv[1], sys.argv[2], int(sys.argv[3])
    threshold = float(sys.argv[4]) if len(sys.argv) > 4 else 0.0
    truth = {}  # user -> {item: gain}; a repeated pair: the last one wins
    with open(truth_path, newline="", encoding="utf-8") as f:
        r = csv.reader(f)
        header = next(r)
        gain_col = header.index("rating") if "rating" in header else None
        for row in r:
            gain = float(row[gain_col]) if gain_col is not None else 1.0
            truth.setdefault(row[0], {})[row[1]] = gain
    lists = {}
    with open(pred_path, encoding="utf-8") as f:
        next(f)  # header
        for line in f:
            cols = line.rstrip("\n").split("\t")
            lists[cols[0]] = cols[1].split()[:k] if len(cols) > 1 else []
    sums = [0.0] * 8
    users = 0
    for user, items in truth.items():
        rel = {i: g for i, g in items.items() if g >= threshold}
        if not rel:
            continue
        users += 1
        ranked, seen = [], set()
        for i in lists.get(user, []):  # a repeated item counts once
            ranked.append(i if i not in seen else None)
            seen.add(i)
        hits = [1 if i is not None and i in rel else 0 for i in ranked[:k]]
        n_hit = sum(hits)
        p = n_hit / k
        rc = n_hit / len(rel)
        f1 = 2 * p * rc / (p + rc) if p + rc > 0 else 0.0
        dcg = sum(h / math.log2(pos + 2) for pos, h in enumerate(hits))
        idcg = sum(1 / math.log2(pos + 2) for pos in range(min(k, len(rel))))
        dcg_g = sum(rel[ranked[pos]] / math.log2(pos + 2) for pos, h in enumerate(hits) if h)
        ideal = sorted(rel.values(), reverse=True)[: min(k, len(rel))]
        idcg_g = sum(g / math.log2(pos + 2) for pos, g in enumerate(ideal))
        ap, found = 0.0, 0
        for pos, h in enumerate(hits):
            if h:
                found += 1
                ap += found / (pos + 1)
        ap /= min(k, len(rel))
        rr = next((1.0 / (pos + 1) for pos, h in enumerate(hits) if h), 0.0)
        vals = [p, rc, f1, dcg / idcg, dcg_g / idcg_g if idcg_g > 0 else 0.0, ap, rr, 1.0 if n_hit else 0.0]
        sums = [s + v for s, v in zip(sums, vals)]
    print("users %d %s" % (users, " ".join("%.6f" % (s / users) for s in sums)))


if __name__ == "__main__":
    main()
