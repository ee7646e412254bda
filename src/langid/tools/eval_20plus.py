#!/usr/bin/env python3
"""eval_20plus.py - issue 14's language-ID criteria on the held-out test set of
make_data.py: accuracy per language on sentences of 20+ characters (the
"short" 20-29 and "sentence" 30-300 buckets together), the languages below a
threshold, and confusion tables of the neighbour groups.

Usage: python3 src/langid/tools/eval_20plus.py TEST.tsv OURS.txt [--min 90] [--source SRC]
           [--franc FRANC_ONLY.txt LANGS.tsv] [--langs l1,l2,...]
--source keeps only the test lines of one source (3rd column: udhr, registry, gettext, ...);
--langs prints only these rows of the per-language table (the totals are over all).
OURS.txt: `xlrec langid --min-confidence 0` output for the 4th column of TEST.tsv.
"""
import argparse
import collections
import sys

GROUPS = [("bg ru uk mk sr be", "South/East Slavic, Cyrillic"), ("da nb nn sv", "Scandinavian"),
          ("ca es gl pt", "Ibero-Romance"), ("id ms", "Malay"), ("zh-Hans zh-Hant", "Chinese")]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("test")
    ap.add_argument("ours")
    ap.add_argument("--min", type=float, default=90.0)
    ap.add_argument("--franc", nargs=2, metavar=("FRANC_ONLY", "LANGS"))
    ap.add_argument("--source")
    ap.add_argument("--langs")
    a = ap.parse_args()
    rows = [l.rstrip("\n").split("\t", 3) for l in open(a.test, encoding="utf-8")]
    ours = [l.rstrip("\n").split("\t")[0] for l in open(a.ours, encoding="utf-8")]
    if len(rows) != len(ours):
        sys.exit("eval_20plus.py: line counts differ")
    franc = code = None
    if a.franc:
        franc = [l.rstrip("\n") for l in open(a.franc[0], encoding="utf-8")]
        code = {}
        with open(a.franc[1], encoding="utf-8") as f:
            next(f)
            for line in f:
                t, c, _ = line.rstrip("\n").split("\t")
                code[t] = c
    acc = collections.defaultdict(lambda: [0, 0, 0])
    conf = collections.defaultdict(collections.Counter)
    for i, ((lang, bucket, _src, _text), pred) in enumerate(zip(rows, ours)):
        if bucket not in ("short", "sentence") or (a.source and _src != a.source):
            continue
        s = acc[lang]
        s[0] += 1
        s[1] += pred == lang
        if franc:
            s[2] += franc[i] == code[lang]
        conf[lang][pred] += 1
    print(f"| lang | n (20+ chars) | xlrec %" + (" | franc (our languages) %" if franc else "") + " |")
    print("|---|---:|---:" + ("|---:" if franc else "") + "|")
    low = []
    for lang in sorted(acc):
        n, ok, fok = acc[lang]
        p = 100 * ok / n
        if p < a.min:
            low.append(f"{lang} {p:.1f}%")
        if not a.langs or lang in a.langs.split(","):
            print(f"| {lang} | {n} | {p:.1f}" + (f" | {100 * fok / n:.1f}" if franc else "") + " |")
    tot = sum(v[0] for v in acc.values())
    print(f"\nall: {tot} sentences, {100 * sum(v[1] for v in acc.values()) / max(1, tot):.2f}%; "
          f"languages below {a.min:.0f}%: {', '.join(low) if low else 'none'}")
    for members, name in GROUPS:
        ls = [l for l in members.split() if l in acc]
        if len(ls) < 2:
            print(f"\n{name} ({members}): only {' '.join(ls) or 'none'} supported / in the test set")
            continue
        print(f"\n{name}: rows = true language, columns = predicted (20+ characters)\n")
        print("| true \\ predicted | " + " | ".join(ls) + " | other | n |")
        print("|---|" + "---:|" * (len(ls) + 2))
        for l in ls:
            c = conf[l]
            other = acc[l][0] - sum(c[x] for x in ls)
            print(f"| {l} | " + " | ".join(str(c[x]) for x in ls) + f" | {other} | {acc[l][0]} |")


if __name__ == "__main__":
    main()
