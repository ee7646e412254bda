#!/bin/sh
# make valgrind: an end-to-end CLI run with every xlrec command under
#   valgrind --error-exitcode=1 --leak-check=full --errors-for-leak-kinds=definite,indirect
# so an invalid read/write, a use of uninitialised memory or a definite/indirect
# leak fails the run.  Data: docs/demo/ (items, interactions, held-out), the
# in-repo DistilBERT fixture (tests/fixtures/distilbert_tiny, converted here),
# and ../shared's multilingual vocab.txt for tokenize when it is present.
# Usage: sh tests/valgrind_e2e.sh build/xlrec
set -eu
XLREC=${1:-build/xlrec}
DEMO=docs/demo
OUT=${TMPDIR:-/tmp}/xlrec-valgrind.$$
mkdir -p "$OUT"
trap 'rm -rf "$OUT"' EXIT INT TERM

VG="valgrind -q --error-exitcode=1 --leak-check=full --errors-for-leak-kinds=definite,indirect"
VG="$VG --show-leak-kinds=definite,indirect --track-origins=yes"
step() { echo "== valgrind xlrec $*" >&2; $VG "$XLREC" "$@"; }

SHARED=${XLREC_SHARED:-../shared}
VOCAB=tests/fixtures/distilbert_tiny/vocab.txt
[ -f "$SHARED/vocab/bert-base-multilingual-cased/vocab.txt" ] && VOCAB=$SHARED/vocab/bert-base-multilingual-cased/vocab.txt

# titles (column 4 of items.tsv, header dropped): en/de/fr/es/zh/ar ... text
tail -n +2 "$DEMO/items.tsv" | cut -f4 > "$OUT/titles.txt"

step tokenize --vocab "$VOCAB" --cased "$OUT/titles.txt" > "$OUT/ids.txt"
test "$(wc -l < "$OUT/ids.txt")" -eq "$(wc -l < "$OUT/titles.txt")"

step convert -q tests/fixtures/distilbert_tiny -o "$OUT/model.xlm"
step embed --model "$OUT/model.xlm" --format npy -o "$OUT/items.npy" "$OUT/titles.txt"
step embed --model "$OUT/model.xlm" --pooling none "$OUT/titles.txt" > /dev/null
# the default encoder found through $XLREC_DATA (a data directory laid out like share/xlrec)
mkdir -p "$OUT/data/default"
cp "$OUT/model.xlm" "$OUT/data/default/xlrec-encoder.xlm"
(XLREC_DATA=$OUT/data; export XLREC_DATA; step embed "$OUT/titles.txt" > /dev/null && step data-path > /dev/null)

step recommend --ratings "$DEMO/interactions.tsv" --sep tab --rating-col rating \
    --items "$DEMO/items.tsv" --item-sep tab --vectors "$OUT/items.npy" --model content -k 5 -q > "$OUT/recs.tsv"
test -s "$OUT/recs.tsv"
step recommend --ratings "$DEMO/interactions.tsv" --sep tab --rating-col rating --model als -k 5 -q > /dev/null

# our lists scored against the held-out interactions, then the seeded protocol
awk -F'\t' '{print $1 "," $3 "," $4}' "$OUT/recs.tsv" > "$OUT/pred.csv"
tail -n +2 "$DEMO/heldout.tsv" | tr '\t' ',' > "$OUT/truth.csv"
step eval --predictions "$OUT/pred.csv" --truth "$OUT/truth.csv" -k 5 > /dev/null
step eval --ratings "$DEMO/interactions.tsv" --sep tab --rating-col rating --models popularity,itemknn,als,mean \
    -k 5 -q > /dev/null

# error paths: a runtime error (exit 1) must not leak either
if $VG "$XLREC" embed --model /nonexistent.xlm "$OUT/titles.txt" 2> "$OUT/err.txt"; then
    echo "expected a failure"; exit 1
fi
grep -q 'xlrec: ' "$OUT/err.txt" && ! grep -q 'definitely lost\|indirectly lost\|Invalid' "$OUT/err.txt"
echo "valgrind: every step clean"
