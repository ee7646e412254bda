#!/bin/sh
# make demo: the main job on the built-in default data (docs/demo/).
# Usage: sh docs/demo/demo.sh path/to/xlrec
set -e
XLREC=${1:-build/xlrec}
DIR=$(dirname "$0")
echo "xlrec demo: $(${XLREC} --version)"
echo "catalogue: $(($(wc -l < "$DIR/items.tsv") - 1)) items, $(($(wc -l < "$DIR/interactions.tsv") - 1)) training interactions, $(($(wc -l < "$DIR/heldout.tsv") - 1)) held out"
echo
echo "NOTE: the end-to-end pipeline ('xlrec run') is not built yet; this demo runs the most"
echo "complete stages that exist today."
echo
echo "== 1. every item title is well-formed UTF-8 (xlrec check-utf8)"
cut -f4 "$DIR/items.tsv" | "$XLREC" check-utf8 - && echo "ok"
