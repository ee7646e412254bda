#!/usr/bin/env python3
"""w2v_tokenize.py - the corpus recipe used for the word2vec / alignment results
in docs/word2vec.md and docs/alignment.md, for any language (Python 3 stdlib).

    python3 w2v_tokenize.py [--chars] FILE.txt[.gz] ... > corpus.txt

Per input line: NFKC normalisation, str.lower(), every character that is not
a letter or combining mark (Unicode category L* / M*) becomes a space, runs of
spaces collapse; one output line per non-empty input line.  With --chars,
every CJK ideograph / kana / hangul syllable is also split into its own token
(character-level Chinese/Japanese, as in the issue: "CJK per character").
Unlike ../shared/fixtures/word2vec/w2v_preprocess.py (English only, a-z, one
line) accents and non-Latin scripts are kept, so MUSE dictionaries match.
"""
import gzip
import sys
import unicodedata


def is_cjk(ch):
    o = ord(ch)
    return (0x3040 <= o <= 0x30FF or 0x3400 <= o <= 0x4DBF or 0x4E00 <= o <= 0x9FFF or
            0xAC00 <= o <= 0xD7AF or 0xF900 <= o <= 0xFAFF or 0x20000 <= o <= 0x2FA1F)


def main():
    args = sys.argv[1:]
    chars = False
    if args and args[0] == "--chars":
        chars = True
        args = args[1:]
    out = sys.stdout
    for path in args:
        opener = gzip.open if path.endswith(".gz") else open
        with opener(path, "rt", encoding="utf-8", errors="replace") as f:
            for line in f:
                line = unicodedata.normalize("NFKC", line).lower()
                buf = []
                for ch in line:
                    cat = unicodedata.category(ch)
                    if cat[0] in "LM":
                        if chars and is_cjk(ch):
                            buf.append(" " + ch + " ")
                        else:
                            buf.append(ch)
                    else:
                        buf.append(" ")
                toks = "".join(buf).split()
                if toks:
                    out.write(" ".join(toks) + "\n")


if __name__ == "__main__":
    main()
