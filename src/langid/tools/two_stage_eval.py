#!/usr/bin/env python3
"""two_stage_eval.py - issue 14: score a two-stage language-ID decision, simulated exactly from the
prediction files of single models (`xlrec langid --min-confidence 0`, one `lang<TAB>p` line per text).

Stage 1 (a model over all languages) answers; when its answer is a language of a neighbour group,
that group's model (trained by `xlrec langid-train` on the group's training lines only, see
group_data.sh) answers instead, choosing among the group's languages.  This is what a two-stage
classifier that re-asks a group model on stage 1's top-1 would output, line for line.

Usage:
  python3 src/langid/tools/two_stage_eval.py FORMER_TEST.tsv HELDOUT.tsv STAGE1_TEST.txt:STAGE1_HELD.txt \
      [NAME=l1,l2,...=GROUP_TEST.txt:GROUP_HELD.txt ...] [--gate l1,...@P=TEST.txt:HELD.txt ...] [--per-lang] [--write TEST_OUT.txt:HELD_OUT.txt]

FORMER_TEST.tsv: make_data.py's test.tsv (lang, bucket, source, text); HELDOUT.tsv: corpus_heldout.py's
slice (same columns).  Each *.txt is a model's prediction on the 4th column of the matching file.
--gate (a measurement aid, not a shippable design: it needs a second full model): that model's answer
wins when it is one of the listed languages with probability >= P.
Prints the figures issue 14 asks for: former test set sentences of 30+ characters (core 12 tags, all),
20+ characters (languages under 90 %), single words (core), corpus held-out slice 20+ (core, all, the
weak 9, languages under 90 %), and with --per-lang every language of the slice.
"""
import argparse
import collections

CORE = "en de fr es it pt ru ar ja ko zh-Hans zh-Hant".split()
WEAK = "bg uk ca da nb gl sr mk uz".split()


def read_preds(path):
    out = []
    for line in open(path, encoding="utf-8"):
        f = line.rstrip("\n").split("\t")
        out.append((f[0], float(f[1]) if len(f) > 1 else 0.0))
    return out


def read_rows(path):
    return [line.rstrip("\n").split("\t", 3) for line in open(path, encoding="utf-8")]


def pair(spec):
    a, b = spec.split(":")
    return read_preds(a), read_preds(b)


def score(rows, preds, buckets):
    acc = collections.defaultdict(lambda: [0, 0])
    for (lang, bucket, _src, _text), p in zip(rows, preds):
        if bucket in buckets:
            acc[lang][0] += 1
            acc[lang][1] += p == lang
    return acc


def pct(a, langs):
    n = sum(a[l][0] for l in langs if l in a)
    c = sum(a[l][1] for l in langs if l in a)
    return 100.0 * c / n if n else float("nan")


def below(a, limit=0.9):
    return [l for l in sorted(a) if a[l][1] < limit * a[l][0]]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("former_test")
    ap.add_argument("heldout")
    ap.add_argument("stage1")
    ap.add_argument("groups", nargs="*")
    ap.add_argument("--gate", action="append", default=[])
    ap.add_argument("--per-lang", action="store_true")
    ap.add_argument("--write", metavar="TEST_OUT:HELD_OUT", help="write the two-stage answers (lang per line)")
    a = ap.parse_args()
    rows = (read_rows(a.former_test), read_rows(a.heldout))
    s1 = pair(a.stage1)
    for k in (0, 1):
        if len(s1[k]) != len(rows[k]):
            raise SystemExit(f"two_stage_eval.py: {a.stage1}: {len(s1[k])} predictions for {len(rows[k])} texts")
    preds = [[l for l, _ in s1[0]], [l for l, _ in s1[1]]]
    for spec in a.groups:
        name, langs, files = spec.split("=")
        langs = set(langs.split(","))
        g = pair(files)
        for k in (0, 1):
            preds[k] = [gl if p in langs else p for p, (gl, _) in zip(preds[k], g[k])]
    for spec in a.gate:
        lt, files = spec.split("=")
        langs, t = lt.split("@")
        langs, t = set(langs.split(",")), float(t)
        g = pair(files)
        for k in (0, 1):
            preds[k] = [gl if (gl in langs and gp >= t) else p for p, (gl, gp) in zip(preds[k], g[k])]
    if a.write:
        for path, p in zip(a.write.split(":"), preds):
            with open(path, "x", encoding="utf-8") as f:
                f.writelines(f"{l}\t0\n" for l in p)
    s30 = score(rows[0], preds[0], ("sentence",))
    s20 = score(rows[0], preds[0], ("short", "sentence"))
    words = score(rows[0], preds[0], ("word",))
    held = score(rows[1], preds[1], ("short", "sentence"))
    fmt = lambda acc, ls: " ".join(f"{l} {100.0 * acc[l][1] / acc[l][0]:.1f}" for l in ls)
    print(f"former test, sentences 30+: core 12 tags {pct(s30, CORE):.2f} %, all {pct(s30, list(s30)):.2f} %")
    print(f"former test, 20+: all {pct(s20, list(s20)):.2f} %, languages < 90 %: {fmt(s20, below(s20)) or 'none'}")
    print(f"former test, single words: core 12 tags {pct(words, CORE):.2f} %")
    print(f"corpus held-out, 20+: core 12 tags {pct(held, CORE):.2f} %, all {pct(held, list(held)):.2f} %, "
          f"weak 9 {pct(held, WEAK):.2f} %")
    print(f"corpus held-out, 20+, languages < 90 % ({len(below(held))}): {fmt(held, below(held))}")
    print(f"corpus held-out, 20+, core: {fmt(held, CORE)}")
    if a.per_lang:
        print("\n| lang | n | % |\n|---|---:|---:|")
        for l in CORE + WEAK + sorted(set(held) - set(CORE) - set(WEAK)):
            if l in held:
                print(f"| {l} | {held[l][0]} | {100.0 * held[l][1] / held[l][0]:.1f} |")


if __name__ == "__main__":
    main()
