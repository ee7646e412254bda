#!/usr/bin/python3
"""everyday_heldout.py - a held-out everyday-domain retrieval set for every core language, and the list
of English sentences that training mixes must leave out (docs/default-encoder.md, "Everyday held-out
set"; issue 15: "every core language >= 50 on held-out everyday-domain text").

A research tool, not part of the build (Python only for the SHA-256 ordering; `xlrec eval-retrieval`
does the scoring).

  everyday_heldout.py EVERYDAY_DIR OUT [N]

EVERYDAY_DIR is weights/tools/build_everyday.sh's output (everyday.tsv and its per-line source
everyday.src).  Only the `wesnoth` rows are used: campaign dialogue and narration ("But they both look
evenly matched. Who should we ally with?"), translated into every core language, never read by the
corpus build (its catalogues lie outside usr/share/locale) and so never trained on by stages 1-11.
Per language XX, the en-XX wesnoth pairs whose English side has 4+ words and at most 200 characters,
first translation kept per English sentence; the N (default 500) with the smallest SHA-256 of the
English text (UTF-8) are held out, so every language holds out the same sentences where it has them
(the union over the ten languages is ~1,000 sentences; Arabic has only 136 such pairs).

Writes OUT/XX.en and OUT/XX.XX (line i a translation pair) for
`xlrec eval-retrieval --src OUT/XX.en --tgt OUT/XX.XX --max-len 64`, and OUT/heldout_en.txt: every held-out
English sentence, one a line, sorted; a training mix drops the en lines whose English side is listed:

  awk -F'\\t' 'NR==FNR{h[$0];next} !($1=="en" && ($2 in h))' OUT/heldout_en.txt everyday.tsv
"""
import collections
import hashlib
import os
import sys

CORE = ["de", "fr", "es", "it", "pt", "ru", "zh-Hans", "ja", "ko", "ar"]


def main():
    if len(sys.argv) not in (3, 4):
        sys.stderr.write("usage: everyday_heldout.py EVERYDAY_DIR OUT [N]\n")
        return 2
    src_dir, out = sys.argv[1], sys.argv[2]
    n = int(sys.argv[3]) if len(sys.argv) == 4 else 500
    by_lang = collections.defaultdict(dict)  # lang -> {english: translation}
    with open(os.path.join(src_dir, "everyday.src"), encoding="utf-8") as fs, \
            open(os.path.join(src_dir, "everyday.tsv"), encoding="utf-8") as ft:
        for lineno, (source, pair) in enumerate(zip(fs, ft), 1):
            if source.rstrip("\n") != "wesnoth":
                continue
            fields = pair.rstrip("\n").split("\t")
            if len(fields) != 4:
                sys.stderr.write(f"everyday_heldout.py: everyday.tsv:{lineno}: expected 4 fields\n")
                return 1
            l1, english, l2, text = fields
            if l1 != "en" or len(english.split()) < 4 or len(english) > 200:
                continue
            by_lang[l2].setdefault(english, text)
    os.makedirs(out, exist_ok=True)
    held = set()
    for lang in CORE:
        pairs = by_lang.get(lang, {})
        keys = sorted(pairs, key=lambda e: hashlib.sha256(e.encode("utf-8")).hexdigest())[:n]
        with open(os.path.join(out, f"{lang}.en"), "w", encoding="utf-8") as fe, \
                open(os.path.join(out, f"{lang}.{lang}"), "w", encoding="utf-8") as fx:
            for english in keys:
                fe.write(english + "\n")
                fx.write(pairs[english] + "\n")
        held.update(keys)
        print(f"{lang}\t{len(pairs)} candidate pairs\t{len(keys)} held out")
    with open(os.path.join(out, "heldout_en.txt"), "w", encoding="utf-8") as fh:
        for english in sorted(held):
            fh.write(english + "\n")
    print(f"union\t{len(held)} English sentences")
    return 0


if __name__ == "__main__":
    sys.exit(main())
