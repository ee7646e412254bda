#!/bin/sh
# build_model.sh - rebuild the shipped language-identification model
# weights/langid/langid.xlid from the registry-sourced sets of ../shared/data
# (docs/langid.md lists them and their licences), then evaluate it against
# franc on the held-out test set.
#
#   make && sh src/langid/tools/build_model.sh [DATA_DIR] [MODEL_OUT]
#
# Needs python3 (standard library only).  The evaluation step needs node and
# franc installed with `npm install --prefix /tmp/franc franc@6.2.0`
# (FRANC_DIR); it is skipped when they are missing.  Work files go to
# $WORK (default /tmp/xlrec-langid).  Deterministic: the same data gives a
# byte-identical model.
set -eu
DATA=${1:-../shared/data}
OUT=${2:-weights/langid/langid.xlid}
WORK=${WORK:-/tmp/xlrec-langid}
XLREC=${XLREC_BIN:-./build/xlrec}
FRANC_DIR=${FRANC_DIR:-/tmp/franc}
mkdir -p "$WORK" "$(dirname "$OUT")"
python3 src/langid/tools/make_data.py --data "$DATA" "$WORK"
"$XLREC" langid-train --lambda 0.03 --features 45000 --candidates 8000 --order 5 --script-weight 1 \
    --scripts "$WORK/scripts.tsv" --dev "$WORK/dev.tsv" --out "$OUT" "$WORK/train.tsv"
if command -v node >/dev/null 2>&1 && [ -f "$FRANC_DIR/node_modules/franc/index.js" ]; then
    cut -f4 "$WORK/test.tsv" > "$WORK/test_text.txt"
    "$XLREC" langid --model "$OUT" --min-confidence 0 "$WORK/test_text.txt" > "$WORK/ours.txt"
    FRANC_DIR=$FRANC_DIR node src/langid/tools/franc_predict.mjs "$WORK/test.tsv" > "$WORK/franc_all.txt"
    FRANC_DIR=$FRANC_DIR node src/langid/tools/franc_predict.mjs "$WORK/test.tsv" --only "$WORK/langs.tsv" \
        > "$WORK/franc_only.txt"
    python3 src/langid/tools/eval.py "$WORK/test.tsv" "$WORK/langs.tsv" "$WORK/ours.txt" \
        "$WORK/franc_all.txt" "$WORK/franc_only.txt" --per-language
else
    echo "build_model.sh: node/franc not found in $FRANC_DIR: evaluation skipped" >&2
fi
