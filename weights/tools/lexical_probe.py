#!/usr/bin/python3
"""lexical_probe.py - two diagnostics of the default encoder's weak point (docs/default-encoder.md).

A research tool, not part of the build: Python (numpy) only because it is a throw-away measurement
next to `xlrec eval-retrieval`, which does the real scoring.

  dict  LANG YEAR   multi30k test YEAR (2016|2017), LANG (de|fr) -> en: translate every LANG word into
                    the union of its English FreeDict translations (the corpus's words/freedict.en-LANG.tsv,
                    single-word entries) and retrieve with TF-IDF cosine.  No training, no encoder: what
                    the registry dictionaries alone know about everyday captions.
  drop  YEAR [P]    write the multi30k English test captions with each word deleted with probability P
                    (default 0.4, seed 1) to stdout, for `xlrec eval-retrieval --src EN --tgt DROPPED`:
                    monolingual retrieval that needs only lexical fidelity, no translation.  TF-IDF on
                    the same lines is printed on stderr for comparison.
  words LANG OUT    the N (default 500) most frequent lower-case English words of the multi30k test
        [N]         captions (2016 + 2017) that have a FreeDict translation occurring in the LANG
                    captions, each with its translation most frequent there (one per LANG word):
                    OUT.en and OUT.LANG, line i a translation pair, for `xlrec eval-retrieval --src
                    OUT.en --tgt OUT.LANG --max-len 16`: what the encoder knows of everyday words
                    (retrieval among N candidates, no context).

Data: XLREC_SHARED (default ../shared)/data/parallel/multi30k_task1 (test splits: evaluation only,
never training), CORPUS (default /work/corpus/out).
"""
import collections
import gzip
import os
import random
import re
import sys

import numpy as np

SHARED = os.environ.get("XLREC_SHARED", "../shared")
CORPUS = os.environ.get("CORPUS", "/work/corpus/out")
WORD = re.compile(r"\w+")


def captions(year, lang):
    path = f"{SHARED}/data/parallel/multi30k_task1/test_{year}_flickr.{lang}.gz"
    with gzip.open(path, "rt", encoding="utf-8") as f:
        return [line.rstrip("\n") for line in f]


def tfidf_p1(a_docs, b_docs):
    """P@1 both ways of TF-IDF cosine between token lists a_docs[i] <-> b_docs[i]."""
    vocab = {}
    for doc in a_docs + b_docs:
        for w in doc:
            vocab.setdefault(w, len(vocab))

    def matrix(docs):
        m = np.zeros((len(docs), len(vocab)))
        for i, doc in enumerate(docs):
            for w in doc:
                m[i, vocab[w]] += 1
        return m

    a, b = matrix(a_docs), matrix(b_docs)
    df = (a > 0).sum(0) + (b > 0).sum(0)
    idf = np.log((len(a_docs) + len(b_docs) + 1) / (df + 1))
    a, b = a * idf, b * idf
    a /= np.linalg.norm(a, axis=1, keepdims=True) + 1e-12
    b /= np.linalg.norm(b, axis=1, keepdims=True) + 1e-12
    s = a @ b.T
    n = len(a_docs)
    return 100 * np.mean(s.argmax(1) == np.arange(n)), 100 * np.mean(s.argmax(0) == np.arange(n))


def cmd_dict(lang, year):
    to_en = collections.defaultdict(set)
    with open(f"{CORPUS}/words/freedict.en-{lang}.tsv", encoding="utf-8") as f:
        for line in f:
            p = line.rstrip("\n").split("\t")
            if len(p) == 4 and " " not in p[3].strip():
                to_en[p[3].strip().lower()].update(WORD.findall(p[1].lower()))
    en = [WORD.findall(s.lower()) for s in captions(year, "en")]
    xx = [WORD.findall(s.lower()) for s in captions(year, lang)]
    known = sum(w in to_en for s in xx for w in s) / max(1, sum(len(s) for s in xx))
    tr = [[t for w in s for t in (to_en[w] if w in to_en else {w})] for s in xx]
    e2x, x2e = tfidf_p1(en, tr)
    print(f"multi30k {year} en-{lang}: dictionary coverage {100 * known:.1f} %, "
          f"TF-IDF over FreeDict translations P@1 en->{lang} {e2x:.1f} {lang}->en {x2e:.1f}")


def cmd_drop(year, p):
    rng = random.Random(1)
    en = captions(year, "en")
    out = []
    for s in en:
        words = s.split()
        kept = [w for w in words if rng.random() >= p] or words[:1]
        out.append(" ".join(kept))
    sys.stdout.write("\n".join(out) + "\n")
    a = [WORD.findall(s.lower()) for s in en]
    b = [WORD.findall(s.lower()) for s in out]
    e2d, d2e = tfidf_p1(a, b)
    print(f"TF-IDF, multi30k {year} en vs words deleted (p {p}): P@1 {e2d:.1f} / {d2e:.1f}", file=sys.stderr)


def cmd_words(lang, out, n):
    def counts(path_lang):
        c = collections.Counter()
        for year in ("2016", "2017"):
            for s in captions(year, path_lang):
                c.update(WORD.findall(s))
        return c
    en, xx = counts("en"), counts(lang)
    trans = collections.defaultdict(set)
    with open(f"{CORPUS}/words/freedict.en-{lang}.tsv", encoding="utf-8") as f:
        for line in f:
            p = line.rstrip("\n").split("\t")
            if len(p) == 4 and " " not in p[1] and " " not in p[3]:
                trans[p[1]].add(p[3])
    pairs, used = [], set()
    for w, _ in en.most_common():
        if len(w) < 3 or w.lower() != w:
            continue
        cands = sorted(t for t in trans.get(w, ()) if xx[t] > 0)
        if not cands:
            continue
        best = max(cands, key=lambda t: xx[t])
        if best in used:
            continue
        used.add(best)
        pairs.append((w, best))
        if len(pairs) >= n:
            break
    with open(f"{out}.en", "w", encoding="utf-8") as f:
        f.write("".join(a + "\n" for a, _ in pairs))
    with open(f"{out}.{lang}", "w", encoding="utf-8") as f:
        f.write("".join(b + "\n" for _, b in pairs))
    print(f"{len(pairs)} word pairs en-{lang} -> {out}.en, {out}.{lang}", file=sys.stderr)


def main(argv):
    if len(argv) >= 3 and argv[0] == "dict":
        cmd_dict(argv[1], argv[2])
    elif len(argv) >= 2 and argv[0] == "drop":
        cmd_drop(argv[1], float(argv[2]) if len(argv) > 2 else 0.4)
    elif len(argv) >= 3 and argv[0] == "words":
        cmd_words(argv[1], argv[2], int(argv[3]) if len(argv) > 3 else 500)
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
