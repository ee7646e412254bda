#!/bin/sh
# build_vocab.sh - the WordPiece vocabulary of the registry corpus (docs/vocabulary.md).
#
#   make -j2 && sh tokenizer/tools/build_vocab.sh [CORPUS_DIR] [OUT_DIR] [VOCAB_SIZE]
#
# CORPUS_DIR is the output of weights/tools/build_corpus.sh (default /work/corpus/out):
#   pairs/train/en-XX.tsv  en<TAB>english<TAB>XX<TAB>translation   (+ .src: source per line)
#   pairs/train/L1-L2.tsv  direct pairs between core languages (their texts are already in en-L1, en-L2)
#   mono/train/LANG.tsv    LANG<TAB>text
# Only the train/ halves are read (held-out slices stay unseen), and no UDHR line (the .src
# sidecar names them): UDHR is held-out text in docs/vocabulary.md.  Each translation is taken
# as it comes (build_corpus.sh de-duplicated the pairs); each English text once, however many
# languages it is paired with; direct pairs are skipped (their texts are in the en-XX files).
# The texts stream into
#   xlrec vocab train --vocab-size VOCAB_SIZE (default 32000) --column 2
# cased, default special tokens, writing OUT_DIR/vocab.txt, tokenizer.json, tokenizer_config.json,
# and OUT_DIR/languages.tsv (texts and bytes per language used).  Deterministic (files in LC_ALL=C
# name order, a deterministic trainer); no temporary copy of the corpus.
set -eu
CORPUS=${1:-/work/corpus/out}
OUT=${2:-/work/corpus/vocab}
SIZE=${3:-32000}
XLREC=${XLREC_BIN:-./build/xlrec}
THREADS=${THREADS:-2}
export LC_ALL=C
[ -d "$CORPUS/pairs/train" ] || [ -d "$CORPUS/mono/train" ] || { echo "build_vocab.sh: no $CORPUS/{pairs,mono}/train" >&2; exit 1; }
mkdir -p "$OUT"
{
    for f in "$CORPUS"/pairs/train/en-*.tsv; do
        [ -e "$f" ] || continue
        src=${f%.tsv}.src
        [ -e "$src" ] || src=/dev/null
        printf '%s\t%s\n' "#FILE" "$src"
        cat "$f"
    done
    for f in "$CORPUS"/mono/train/*.tsv; do
        [ -e "$f" ] && { printf '%s\t%s\n' "#FILE" /dev/null; cat "$f"; }
    done
} | awk -F '\t' -v stats="$OUT/languages.tsv" '
    $1 == "#FILE" { src = $2; next }
    {
        s = ""
        if (src != "/dev/null" && (getline s < src) <= 0) s = ""
        if (s ~ /^udhr/) next
        if (NF >= 4) {                       # en<TAB>english<TAB>XX<TAB>translation
            if (!($2 in seen)) { seen[$2] = 1; out($1, $2) }
            out($3, $4)
        } else if (NF >= 2) out($1, $2)      # mono
    }
    function out(l, t) { if (t == "") return; print l "\t" t; n[l]++; b[l] += length(t) }
    END { for (l in n) print l "\t" n[l] "\t" b[l] | "sort > \"" stats "\"" }' |
    "$XLREC" vocab train --vocab-size "$SIZE" --threads "$THREADS" --column 2 \
        -o "$OUT/vocab.txt" --tokenizer-json "$OUT/tokenizer.json" --tokenizer-config "$OUT/tokenizer_config.json" -
sha256sum "$OUT/vocab.txt" "$OUT/tokenizer.json" "$OUT/tokenizer_config.json"
