#!/bin/sh
# build_vocab.sh - the WordPiece vocabulary of the registry corpus (docs/vocabulary.md).
#
#   make -j2 && sh tokenizer/tools/build_vocab.sh [CORPUS_DIR] [OUT_DIR] [VOCAB_SIZE]
#
# CORPUS_DIR is the output of weights/tools/build_corpus.sh (default /work/corpus/out):
#   pairs/train/L1-L2.tsv  L1<TAB>text1<TAB>L2<TAB>text2
#   mono/train/LANG.tsv    LANG<TAB>text
# Only the train/ halves are read (held-out slices stay unseen), without UDHR lines (the .src
# sidecar names them): UDHR is held-out text in docs/vocabulary.md.  Every text is taken once per
# language (an English sentence paired with ten languages counts once), then at most CAP_BYTES
# bytes of text per language (default 50,000,000; a deterministic hash order picks which), so that
# one large language does not crowd the others out.  Then
#   xlrec vocab train --vocab-size VOCAB_SIZE (default 32000) --column 2
# cased, default special tokens, writing OUT_DIR/vocab.txt, tokenizer.json, tokenizer_config.json
# and OUT_DIR/languages.tsv (bytes and lines per language actually used).
# Deterministic: LC_ALL=C sorting, a fixed hash order, and a deterministic trainer.
set -eu
CORPUS=${1:-/work/corpus/out}
OUT=${2:-/work/corpus/vocab}
SIZE=${3:-32000}
CAP_BYTES=${CAP_BYTES:-50000000}
XLREC=${XLREC_BIN:-./build/xlrec}
THREADS=${THREADS:-2}
export LC_ALL=C
[ -d "$CORPUS/pairs/train" ] || [ -d "$CORPUS/mono/train" ] || { echo "build_vocab.sh: no $CORPUS/{pairs,mono}/train" >&2; exit 1; }
mkdir -p "$OUT"
tmp=$OUT/texts.tsv
{
    for f in "$CORPUS"/pairs/train/*.tsv; do
        [ -e "$f" ] || continue
        src=${f%.tsv}.src
        [ -e "$src" ] || src=/dev/null
        # UDHR lines are left out: UDHR is the held-out text the vocabulary is measured on
        awk -F '\t' -v src="$src" '{ s = ""; if ((getline s < src) <= 0) s = "" }
            s !~ /^udhr/ && NF >= 4 { print $1 "\t" $2; print $3 "\t" $4 }' "$f"
    done
    for f in "$CORPUS"/mono/train/*.tsv; do
        [ -e "$f" ] && awk -F '\t' 'NF >= 2 { print $1 "\t" $2 }' "$f"
    done
} | sort -u -S 512M -T "$OUT" |
    # a fixed pseudo-random order (sort -R hashes each line with a key read from the random
    # source: /dev/zero makes it the same on every run), then the per-language cap
    sort -R --random-source=/dev/zero -S 512M -T "$OUT" |
    awk -F '\t' -v cap="$CAP_BYTES" '{ n = length($2) + 1; if (used[$1] + n <= cap) { used[$1] += n; lines[$1]++; print } }
        END { for (l in used) print l "\t" used[l] "\t" lines[l] > "/dev/stderr" }' > "$tmp" 2> "$OUT/languages.unsorted"
sort "$OUT/languages.unsorted" > "$OUT/languages.tsv"
rm -f "$OUT/languages.unsorted"
"$XLREC" vocab train --vocab-size "$SIZE" --threads "$THREADS" --column 2 \
    -o "$OUT/vocab.txt" --tokenizer-json "$OUT/tokenizer.json" --tokenizer-config "$OUT/tokenizer_config.json" "$tmp"
rm -f "$tmp"
sha256sum "$OUT/vocab.txt" "$OUT/tokenizer.json" "$OUT/tokenizer_config.json"
