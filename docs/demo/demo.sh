#!/bin/sh
# make demo: `xlrec run` on the built-in demo catalogue (docs/demo/) with the built-in default, the
# shipped sentence encoder (default/xlrec-encoder.xlm), then per user the top recommendations with
# their language, score and the history items that led to them, and the evaluation table with the
# word-vector baseline (`--word-vectors`: the shipped default/xlrec-default-xl12.f16) beside it.
# Usage: sh docs/demo/demo.sh [path/to/xlrec]      (no network, no ../shared needed)
# The models are found as every xlrec command finds them (`xlrec data-path`): $XLREC_DATA (a
# directory laid out like share/xlrec, e.g. XLREC_DATA=/path/with/default/xlrec-encoder.xlm/above),
# the installed data directory, the source tree's weights/.
# Environment: XLREC_DEMO_OUT (default build/demo), XLREC_DEMO_SHOW (recommendations shown per user, 3),
#              XLREC_DATA, XLREC_WORD_VECTORS (another word-vector file for the baseline).
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

# The embedders: the shipped encoder (the default), the shipped word vectors (the baseline).
ENCODER=$("$XLREC" data-path default/xlrec-encoder.xlm 2> "$OUT/encoder-missing.txt") || ENCODER=
VECTORS=${XLREC_WORD_VECTORS:-$("$XLREC" data-path default/xlrec-default-xl12.f16 2>/dev/null || true)}
if [ -n "$ENCODER" ]; then
    echo "default model: $ENCODER (the shipped multilingual sentence encoder)"
else
    echo
    echo "NOTE: the default encoder is not here: $(sed 's/^xlrec: //' "$OUT/encoder-missing.txt")."
    echo "Point XLREC_DATA at a directory holding default/xlrec-encoder.xlm to see it; below: the baseline only."
fi
[ -n "$VECTORS" ] || { echo "demo: neither the encoder nor the word vectors were found (xlrec data-path)" >&2; exit 1; }
echo "baseline:      $VECTORS (the shipped cross-lingual word vectors, SIF pooling)"
echo

RUN_ARGS="--items $DIR/items.tsv --interactions $DIR/interactions.tsv --heldout $DIR/heldout.tsv"
RUN_ARGS="$RUN_ARGS --recommender content,formula,hybrid,cf -k 10 --explain 2 --quiet"
# shellcheck disable=SC2086 # RUN_ARGS is split on purpose (the demo paths have no spaces)
if [ -n "$ENCODER" ]; then
    MAIN=$OUT/encoder
    echo "== xlrec run $RUN_ARGS --out $MAIN        (the default model)"
    "$XLREC" run $RUN_ARGS --out "$MAIN" > "$MAIN.txt"
fi
BASE=$OUT/word-vectors
echo "== xlrec run $RUN_ARGS --word-vectors --out $BASE        (the baseline)"
# shellcheck disable=SC2086
"$XLREC" run $RUN_ARGS --word-vectors --out "$BASE" > "$BASE.txt"
[ -n "$ENCODER" ] || MAIN=$BASE
echo

# Per user: history, then the top recommendations (language, score, title, the history items behind them).
# The theme column is used only to mark a recommendation "same theme" (+) for the reader.
# show = 0: only the closing count.
recs() {
    awk -F'\t' -v show="$1" -v name="$2" '
    FILENAME == ARGV[1] { if (FNR > 1) { title[$1] = $4; lang[$1] = $2; theme[$1] = $3 }; next }
    FILENAME == ARGV[2] { if (FNR > 1) { hist[$1] = hist[$1] (hist[$1] == "" ? "" : "; ") "[" lang[$2] "] " title[$2]
                                         if ($3 + 0 >= 5) main[$1] = theme[$2] }; next }
    FNR == 1 { next }
    $4 <= (show ? show : 3) {
        u = $1
        same = theme[$5] == main[u]; cross = $6 != $2
        n_cross += cross; n_cross_same += cross && same; n_all++
        if (!show) next
        if (u != last) { printf "\n%s reads %s: %s\n", u, $2, hist[u]; last = u }
        split($9, because, ","); b = ""
        for (i = 1; i in because; i++) { split(because[i], kv, ":"); b = b (i > 1 ? ", " : "") kv[1] " \"" title[kv[1]] "\" " kv[2] }
        printf "  %d. [%s] %.3f %s%s %s\n       because: %s\n", $4, $6, $8, same ? "+" : " ", cross ? "*" : " ", $10, b
    }
    END { printf "%s%s: %d of the top-%d lists'"'"' %d recommendations are in another language than the reader'"'"'s; %d of those share the reader'"'"'s theme\n",
                 show ? "\n" : "", name, n_cross, show ? show : 3, n_all, n_cross_same }' \
        "$DIR/items.tsv" "$DIR/interactions.tsv" "$3"
}
echo "== top $SHOW recommendations per user from the $([ -n "$ENCODER" ] && echo encoder || echo word vectors) (content model:" \
     "cosine of the user profile and the item; '+' = same theme as the user's main reading, '*' = in another language" \
     "than the user's); because = history item:contribution"
recs "$SHOW" "$([ -n "$ENCODER" ] && echo encoder || echo 'word vectors')" "$MAIN/recommendations.tsv"
[ -z "$ENCODER" ] || recs 0 "word vectors (baseline)" "$BASE/recommendations.tsv"
echo

# The evaluation table (first block of `run --out`'s stdout): each recommender with the encoder, then
# with the word vectors; cf reads no text, so it is the same under both and shown once.
echo "== evaluation against $DIR/heldout.tsv (every held-out item is in another language than its reader's)"
table() { sed -n '2,/^$/p' "$1" | sed '/^$/d'; }
if [ -n "$ENCODER" ]; then
    table "$MAIN.txt" > "$OUT/t-encoder.txt"
    table "$BASE.txt" > "$OUT/t-vectors.txt"
    awk 'FILENAME == ARGV[1] { if (FNR > 1) base[$1] = $0; next }
         FNR == 1 { sub(/^model    /, "model    embedder      "); print; next }
         { m = $1; rest = substr($0, 9)
           if (m == "cf") { printf "%-8s %-12s%s\n", m, "(no text)", rest; next }
           printf "%-8s %-12s%s\n", m, "encoder", rest
           printf "%-8s %-12s%s\n", m, "word vectors", substr(base[m], 9) }' "$OUT/t-vectors.txt" "$OUT/t-encoder.txt"
    rm -f "$OUT/t-encoder.txt" "$OUT/t-vectors.txt"
else
    table "$BASE.txt"
fi
echo "(per language pair: $MAIN/evaluation.txt; JSON: $MAIN/evaluation.json; chart: $MAIN/evaluation.svg;"
echo " what the run did: $MAIN/summary.txt$([ -n "$ENCODER" ] && echo "; the baseline's: $BASE/"))"
