#!/usr/bin/env python3
"""eval.py - accuracy and calibration of `xlrec langid` against franc on the
test set written by make_data.py.

  python3 src/langid/tools/eval.py OUTDIR/test.tsv OUTDIR/langs.tsv ours.txt \
      franc_all.txt franc_only.txt [--per-language]

ours.txt: `xlrec langid --min-confidence 0 --top 1` output on the text column
(lang<TAB>confidence per line).  franc_*.txt: franc_predict.mjs output
(ISO 639-3 per line; franc_only restricted to our languages).  franc's `cmn`
counts as correct for both zh-Hans and zh-Hant (franc cannot tell them
apart), so franc is never penalised for that distinction; ours is.
Prints Markdown tables: accuracy per length bucket (core 11 languages, all
languages, languages franc knows), expected calibration error (15 equal-width
bins, Guo et al. 2017), coverage/accuracy at --min-confidence 0.5, and with
--per-language the sentence accuracy per language.
"""
import argparse
import collections
import sys

BUCKETS = ("word", "phrase", "sentence")


def ece(pairs, bins=15):
    """pairs: (confidence, correct). Expected calibration error."""
    if not pairs:
        return float("nan")
    acc = [[0, 0.0, 0.0] for _ in range(bins)]
    for c, ok in pairs:
        b = min(bins - 1, int(c * bins))
        acc[b][0] += 1
        acc[b][1] += c
        acc[b][2] += ok
    return sum(abs(s - o) for n, s, o in acc if n) / len(pairs)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("test")
    ap.add_argument("langs")
    ap.add_argument("ours")
    ap.add_argument("franc_all")
    ap.add_argument("franc_only")
    ap.add_argument("--per-language", action="store_true")
    a = ap.parse_args()
    franc_code, core = {}, set()
    with open(a.langs, encoding="utf-8") as f:
        next(f)
        for line in f:
            tag, code, c = line.rstrip("\n").split("\t")
            franc_code[tag] = code
            if c == "1":
                core.add(tag)
    rows = [l.rstrip("\n").split("\t", 3) for l in open(a.test, encoding="utf-8")]
    ours = [l.rstrip("\n").split("\t") for l in open(a.ours, encoding="utf-8")]
    fa = [l.rstrip("\n") for l in open(a.franc_all, encoding="utf-8")]
    fo = [l.rstrip("\n") for l in open(a.franc_only, encoding="utf-8")]
    if not (len(rows) == len(ours) == len(fa) == len(fo)):
        sys.exit(f"eval.py: line counts differ: test {len(rows)}, ours {len(ours)}, franc {len(fa)}/{len(fo)}")
    # languages franc can output at all (its full list is in franc_all predictions' universe; use langs.tsv
    # codes that franc_only ever predicted or that appear in franc's data: approximated by franc_only outputs)
    franc_known = set(fo)
    stats = collections.defaultdict(lambda: [0, 0, 0, 0])  # n, ours ok, franc_all ok, franc_only ok
    calib = collections.defaultdict(list)
    thr = collections.defaultdict(lambda: [0, 0, 0])  # n, answered, answered correctly
    per_lang = collections.defaultdict(lambda: [0, 0, 0, 0])
    for (lang, bucket, _src, _text), o, f1, f2 in zip(rows, ours, fa, fo):
        pred, conf = o[0], float(o[1])
        ok = pred == lang
        ok1 = f1 == franc_code[lang]
        ok2 = f2 == franc_code[lang]
        groups = ["all"]
        if lang in core:
            groups.append("core")
        if franc_code[lang] in franc_known:
            groups.append("franc-known")
        for g in groups:
            s = stats[(g, bucket)]
            s[0] += 1
            s[1] += ok
            s[2] += ok1
            s[3] += ok2
            calib[(g, bucket)].append((conf, ok))
            t = thr[(g, bucket)]
            t[0] += 1
            if conf >= 0.5:
                t[1] += 1
                t[2] += ok
        p = per_lang[(lang, bucket)]
        p[0] += 1
        p[1] += ok
        p[2] += ok1
        p[3] += ok2

    print("| languages | bucket | n | xlrec | franc (all 187) | franc (only our languages) | xlrec ECE | "
          "xlrec @0.5: coverage / accuracy |")
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    for g, name in (("core", "core 11 (12 tags)"), ("all", f"all {len(franc_code)}"),
                    ("franc-known", "those franc knows")):
        for b in BUCKETS:
            n, o1, f1, f2 = stats[(g, b)]
            if not n:
                continue
            t = thr[(g, b)]
            print(f"| {name} | {b} | {n} | {100*o1/n:.1f}% | {100*f1/n:.1f}% | {100*f2/n:.1f}% | "
                  f"{ece(calib[(g, b)]):.3f} | {100*t[1]/t[0]:.1f}% / {100*t[2]/max(1,t[1]):.1f}% |")
    if a.per_language:
        print()
        print("| lang | word xlrec / franc-only | phrase xlrec / franc-only | sentence n | sentence xlrec / "
              "franc-only |")
        print("|---|---:|---:|---:|---:|")
        for lang in sorted(franc_code, key=lambda t: (t not in core, t)):
            cells = []
            for b in BUCKETS:
                n, o1, _f1, f2 = per_lang[(lang, b)]
                if b == "sentence":
                    cells.append(str(n))
                cells.append(f"{100*o1/n:.0f} / {100*f2/n:.0f}" if n else "-")
            print(f"| {lang}{' (core)' if lang in core else ''} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    try:
        main()
    except BrokenPipeError:
        sys.exit(0)
