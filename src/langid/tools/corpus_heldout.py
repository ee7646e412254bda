#!/usr/bin/env python3
"""corpus_heldout.py - a language-ID test set from the held-out slice of the
registry corpus (weights/tools/build_corpus.sh; the slice is chosen by a hash
of the English side, docs/corpus.md), never trained on by make_data.py.

Every distinct text of 20-300 characters of each supported language, from both
sides of pairs/heldout/en-XX.tsv and from mono/heldout/XX.tsv (UDHR lines
skipped: make_data.py tests UDHR by article), at most --per-lang per language,
chosen by a crc32 of the text (deterministic).  Texts of another language than
English that look like untranslated English (make_data.looks_english) are left
out, as in make_data.py.  Output, in the format of make_data.py's test.tsv:
lang<TAB>bucket<TAB>source<TAB>text, bucket "short" (20-29 characters) or
"sentence" (30-300), source from the .src sidecar (gettext, mozilla, ...), so
that eval_20plus.py scores it.

With --exclude TRAIN.tsv (make_data.py's lang<TAB>text training file), texts
found there are left out: the corpus's LibreOffice help and fortunes come from
the shared corpora that make_data.py splits by its own hash, so a few of the
corpus's held-out texts are in that training split (779 of 97,909 at the
default settings, all core languages; trained on by the former model too).

Usage: python3 src/langid/tools/corpus_heldout.py CORPUS_OUT OUT.tsv [--per-lang 2000] [--exclude TRAIN.tsv]
"""
import argparse
import os
import sys
import zlib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_data import LANGS, clean, looks_english  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("corpus")
    ap.add_argument("out")
    ap.add_argument("--per-lang", type=int, default=2000)
    ap.add_argument("--exclude")
    a = ap.parse_args()
    tags = {t for t, *_ in LANGS}
    pool = {t: {} for t in tags}  # tag -> text -> source
    exclude = set()
    if a.exclude:
        with open(a.exclude, encoding="utf-8") as f:
            exclude = {line.rstrip("\n") for line in f}
    for kind in ("mono", "pairs"):
        d = os.path.join(a.corpus, kind, "heldout")
        if not os.path.isdir(d):
            continue
        for name in sorted(os.listdir(d)):
            if not name.endswith(".tsv") or (kind == "pairs" and not name.startswith("en-")):
                continue
            src_path = os.path.join(d, name[:-4] + ".src")
            srcs = open(src_path, encoding="utf-8").read().split("\n") if os.path.exists(src_path) else []
            with open(os.path.join(d, name), encoding="utf-8", errors="replace") as f:
                for i, line in enumerate(f):
                    src = srcs[i].split("\t")[0] if i < len(srcs) and srcs[i] else kind
                    if src.startswith("udhr"):
                        continue
                    cols = line.rstrip("\n").split("\t")
                    for k in range(0, len(cols) - 1, 2):
                        tag, text = cols[k], clean(cols[k + 1])
                        if tag not in tags or not 20 <= len(text) <= 300 or text in pool[tag]:
                            continue
                        if exclude and f"{tag}\t{text}" in exclude:
                            continue
                        if tag != "en" and looks_english(text):
                            continue
                        pool[tag][text] = src
    with open(a.out, "w", encoding="utf-8") as out:
        for tag, *_ in LANGS:
            texts = sorted(pool[tag], key=lambda t: (zlib.crc32(t.encode("utf-8"), 11), t))[: a.per_lang]
            for t in texts:
                out.write(f"{tag}\t{'short' if len(t) < 30 else 'sentence'}\t{pool[tag][t]}\t{t}\n")
            print(f"{tag}: {len(texts)} of {len(pool[tag])}", file=sys.stderr)


if __name__ == "__main__":
    main()
