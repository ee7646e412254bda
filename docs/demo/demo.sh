#!/bin/sh
# make demo: `xlrec run` on the built-in demo catalogue (docs/demo/) with the shipped default
# cross-lingual word vectors (weights/default/), then per user the top recommendations with their
# language, score and the history items that led to them, and a short evaluation summary.
# Usage: sh docs/demo/demo.sh [path/to/xlrec]      (no network, no ../shared needed)
# Environment: XLREC_DEMO_OUT (default build/demo), XLREC_DEMO_SHOW (recommendations shown per user, 3),
#              XLREC_WORD_VECTORS (another vector file).
set -eu
XLREC=${1:-build/xlrec}
DIR=$(dirname "$0")
OUT=${XLREC_DEMO_OUT:-build/demo}
SHOW=${XLREC_DEMO_SHOW:-3}
mkdir -p "$OUT"
export LC_ALL=C

echo "xlrec demo: $("$XLREC" --version)"
echo "catalogue: $(($(wc -l < "$DIR/items.tsv") - 1)) items in 8 languages, $(($(wc -l < "$DIR/interactions.tsv") - 1))" \
     "training interactions of 24 users (each reads one language), $(($(wc -l < "$DIR/heldout.tsv") - 1)) held out" \
     "(same theme, OTHER languages)"

# The embedder: the shipped default model, else say so and fall back.
VECTORS=
for f in "${XLREC_WORD_VECTORS:-}" weights/default/xlrec-default-xl12.f16 weights/default/xlrec-default-xl12.bin \
         weights/default/xlrec-default.bin weights/default/vectors.bin weights/default/vectors.txt; do
    if [ -n "$f" ] && [ -r "$f" ]; then VECTORS=$f; break; fi
done
if [ -n "$VECTORS" ]; then
    echo "embedder: $VECTORS (the shipped cross-lingual word vectors, SIF pooling)"
else
    cat <<'EOF'

NOTE: the shipped default model (weights/default/, built by weights/tools/build_default_model.sh)
is not in this checkout yet.  FALLING BACK to word vectors trained here in a few seconds on a
pseudo-bilingual corpus made from the demo catalogue itself, grouped by its `theme` column: that
column is the evaluation's ground truth, so the scores below only show the mechanics of the pipeline,
NOT the quality of a real cross-lingual model.
EOF
    VECTORS=$OUT/fallback-vectors.txt
    # one line per theme and round: all titles of the theme (every language), tokens shuffled
    cut -f4 "$DIR/items.tsv" | sed 1d |
        "$XLREC" normalize --nfkc --casefold --strip-punct --strip-digits --no-entities --segment char > "$OUT/tok.txt"
    cut -f3 "$DIR/items.tsv" | sed 1d | paste - "$OUT/tok.txt" | awk -F'\t' 'BEGIN { srand(3) }
        { t[$1] = t[$1] " " $2; if (!($1 in seen)) { seen[$1] = 1; order[++nt] = $1 } }
        END { for (r = 0; r < 100; r++) for (q = 1; q <= nt; q++) {
                  n = split(t[order[q]], w, " ")
                  for (i = n; i > 1; i--) { j = int(rand() * i) + 1; x = w[i]; w[i] = w[j]; w[j] = x }
                  s = w[1]; for (i = 2; i <= n; i++) s = s " " w[i]; print s } }' > "$OUT/fallback-corpus.txt"
    "$XLREC" w2v train --train "$OUT/fallback-corpus.txt" --output "$VECTORS" --size 32 --window 10 \
        --min-count 1 --iter 5 --threads 1 --seed 1 --cbow 0 --sample 0 -q
    echo "embedder: $VECTORS (fallback, see NOTE)"
fi
echo

echo "== xlrec run --items $DIR/items.tsv --interactions $DIR/interactions.tsv --heldout $DIR/heldout.tsv --word-vectors $VECTORS --out $OUT"
"$XLREC" run --items "$DIR/items.tsv" --interactions "$DIR/interactions.tsv" --heldout "$DIR/heldout.tsv" \
    --word-vectors "$VECTORS" --recommender content,formula,hybrid,cf -k 10 --explain 2 --out "$OUT" \
    > "$OUT/evaluation-stdout.txt"
echo

# Per user: history, then the top recommendations (language, score, title, the history items behind them).
# The theme column is used only to mark a recommendation "same theme" (+) for the reader.
echo "== top $SHOW recommendations per user (content model: cosine of the user profile and the item; '+' = same theme"
echo "   as the user's main reading, '*' = in another language than the user's); because = history item:contribution"
awk -F'\t' -v show="$SHOW" '
    FILENAME == ARGV[1] { if (FNR > 1) { title[$1] = $4; lang[$1] = $2; theme[$1] = $3 }; next }
    FILENAME == ARGV[2] { if (FNR > 1) { hist[$1] = hist[$1] (hist[$1] == "" ? "" : "; ") "[" lang[$2] "] " title[$2]
                                         if ($3 + 0 >= 5) main[$1] = theme[$2] }; next }
    FNR == 1 { next }
    $4 <= show {
        u = $1
        if (u != last) { printf "\n%s reads %s: %s\n", u, $2, hist[u]; last = u; nu++ }
        same = theme[$5] == main[u]; cross = $6 != $2
        n_cross += cross; n_cross_same += cross && same; n_all++
        split($9, because, ","); b = ""
        for (i = 1; i in because; i++) { split(because[i], kv, ":"); b = b (i > 1 ? ", " : "") kv[1] " \"" title[kv[1]] "\" " kv[2] }
        printf "  %d. [%s] %.3f %s%s %s\n       because: %s\n", $4, $6, $8, same ? "+" : " ", cross ? "*" : " ", $10, b
    }
    END { printf "\n%d of %d recommendations shown are in another language than the reader'"'"'s; %d of those share the reader'"'"'s theme\n",
                 n_cross, n_all, n_cross_same }' "$DIR/items.tsv" "$DIR/interactions.tsv" "$OUT/recommendations.tsv"
echo

echo "== evaluation against $DIR/heldout.tsv (every held-out item is in another language than its reader's)"
sed -n '1,/^$/p' "$OUT/evaluation-stdout.txt" | sed '/^$/d'
echo "(per language pair: $OUT/evaluation.txt; JSON: $OUT/evaluation.json; chart: $OUT/evaluation.svg;"
echo " what the run did: $OUT/summary.txt)"
