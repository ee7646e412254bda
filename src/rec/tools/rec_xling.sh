#!/bin/sh
# rec_xling.sh - the cross-lingual recommendation evidence of issue 15 for one encoder model:
# content-based NDCG@10 with the items embedded by the encoder, beside the shipped word vectors,
# hashed TF-IDF and random vectors, on
#   KMRD          Korean / English / mixed film titles (src/rec/tools/kmrd_xling.sh with ENCODER=MODEL:
#                 same users, ratings and split, only the item text changes; per-user 75/25, seed 42)
#   Book-Crossing the one real mixed-language catalogue (17,140 en, 527 de, 227 fr, 214 es, 51 it books
#                 by ISBN group; titles only), per-user 75/25, seed 42, NDCG per language of the held-out
#                 book (--by-language) and for cold-start items (docs/recommender.md)
#
#   sh src/rec/tools/rec_xling.sh MODEL          # from the repository root; docs/encoder-eval.md
#
# Prints markdown tables; keeps everything under $WORK (kmrd/, bx/, summary.md).
# Language gap: KMRD: NDCG@10 of the mixed catalogue relative to the mean of the two single-language
# ones, (mixed - mean(ko, en)) / mean(ko, en); Book-Crossing has no single-language version of its
# catalogue, so its row gives NDCG@10 on the non-English held-out books (users-weighted over de, fr, es,
# it) relative to that on the English ones, within the same mixed catalogue.
# Deterministic (fixed seeds; eval with THREADS threads gives the same numbers for any count).
#
# Environment: XLREC (build/xlrec), XLREC_SHARED (../shared; the data in its data/), VECTORS (the shipped word vectors),
#   WORK (build/rec_xling), THREADS (2), TFIDF_DIM (1024), SEED (42), NICE (nice -n 10),
#   REFS_FROM (unset; a previous run's WORK with the same data and settings: its model-independent rows,
#   word vectors, TF-IDF, random, popularity, ALS, are reused instead of recomputed, which leaves the
#   encoder's evaluations; they are deterministic, so the tables are the same), TABLES_ONLY (1: only
#   print the tables of an existing WORK), ENC_POST (--whiten-vectors: the encoder rows once more with
#   these item-vector options, labelled "encoder ENC_POST"; empty: only the plain encoder rows;
#   docs/recommender.md "Item-vector post-processing").
set -eu
[ $# -eq 1 ] || { echo "usage: sh src/rec/tools/rec_xling.sh MODEL" >&2; exit 2; }
MODEL=$1 REFS_FROM=${REFS_FROM:-}
case $MODEL in /*) ;; *) MODEL=$PWD/$MODEL ;; esac   # paths relative to where it is run
case $REFS_FROM in /* | "") ;; *) REFS_FROM=$PWD/$REFS_FROM ;; esac
cd "$(dirname "$0")/../../.."
XLREC=${XLREC:-build/xlrec}
SHARED=${XLREC_SHARED:-../shared}
DATA=$SHARED/data
VECTORS=${VECTORS:-weights/default/xlrec-default-xl12.f16}
WORK=${WORK:-build/rec_xling}
THREADS=${THREADS:-2}
TFIDF_DIM=${TFIDF_DIM:-1024}
SEED=${SEED:-42}
NICE=${NICE-nice -n 10}
ENC_POST=${ENC_POST---whiten-vectors}
BX=$DATA/rec/bookcrossing_subset
for f in "$MODEL" "$XLREC" "$VECTORS" "$BX/BX-Ratings.csv" "$BX/BX-Books.items_lang.tsv"; do
    [ -r "$f" ] || { echo "rec_xling: cannot read $f" >&2; exit 1; }
done
mkdir -p "$WORK/bx"
B=$WORK/bx
if [ "${TABLES_ONLY:-0}" = 0 ]; then

# ---- 1. KMRD -------------------------------------------------------------------------------------------
REFS=1
[ -z "$REFS_FROM" ] || { [ -r "$REFS_FROM/kmrd/results.tsv" ] && [ -r "$REFS_FROM/bx/results.tsv" ] ||
    { echo "rec_xling: REFS_FROM=$REFS_FROM has no kmrd/ and bx/results.tsv" >&2; exit 1; }; REFS=0; }
ENCODER=$MODEL ENC_POST=$ENC_POST REFS=$REFS WORK=$WORK/kmrd XLREC=$XLREC XLREC_SHARED=$SHARED VECTORS=$VECTORS THREADS=$THREADS SEED=$SEED \
    TFIDF_DIM=$TFIDF_DIM NICE=$NICE sh src/rec/tools/kmrd_xling.sh > "$WORK/kmrd.out"
[ "$REFS" = 1 ] || awk -F'\t' '$2 !~ /^encoder/' "$REFS_FROM/kmrd/results.tsv" >> "$WORK/kmrd/results.tsv"

# ---- 2. Book-Crossing: titles in items-file order -> encoder / word vectors / random rows --------------
tail -n +2 "$BX/BX-Books.items_lang.tsv" | cut -f3 > "$B/titles.txt"
# shellcheck disable=SC2086
$NICE "$XLREC" embed -m "$MODEL" --normalize --format npy --threads "$THREADS" -o "$B/enc.npy" "$B/titles.txt" \
    2> "$B/enc.embed.log"
# shellcheck disable=SC2086
$NICE "$XLREC" embed-words -w "$VECTORS" --pooling sif -o "$B/sif.npy" "$B/titles.txt" 2> "$B/sif.embed.log"
awk -v seed="$SEED" -v dim=100 -v w="$B" '   # uniform(-1, 1)^100 per book, Park-Miller (as kmrd_xling.sh)
BEGIN { s = (seed + 12345) % 2147483647 }
{ ids[++n] = "b" n }
END { printf "%d %d\n", n, dim > (w "/random.w2v.txt")
      for (r = 1; r <= n; r++) { line = ids[r]
          for (j = 1; j <= dim; j++) { s = (16807 * s) % 2147483647; line = line sprintf(" %.6f", 2 * s / 2147483647 - 1) }
          print line > (w "/random.w2v.txt"); print ids[r] > (w "/random.txt") } }' "$B/titles.txt"
"$XLREC" embed-words -w "$B/random.w2v.txt" --pooling mean --raw -o "$B/random.npy" "$B/random.txt" 2> "$B/random.embed.log"

BXBASE="--ratings $BX/BX-Ratings.csv --user-col User-ID --item-col ISBN --rating-col Book-Rating
        --items $BX/BX-Books.items_lang.tsv --item-sep tab --item-no-quote --item-id-col ISBN
        --item-lang-col isbn_group_lang --protocol ratio --test-ratio 0.25 -k 10 --seed $SEED --threads $THREADS
        --models content --by-language --cold-start -q"
: > "$B/results.tsv"
bxrun() { # label name extra-args...
    label=$1 name=$2; shift 2
    # shellcheck disable=SC2086
    $NICE "$XLREC" eval $BXBASE "$@" --json "$B/$name.json" > "$B/$name.table" 2>&1 ||
        { cat "$B/$name.table" >&2; exit 1; }
    # table columns: model subset users P@K R@K F1@K NDCG ... Hit; the subset "cold-start items" is two words
    awk -v OFS='\t' -v l="$label" '$1 == "content" && ($2 == "all" || $2 ~ /^lang=/ || $2 == "cold-start") {
        o = $2 == "cold-start"; print "mixed", l, $1, $2, $(3 + o), $(4 + o), $(5 + o), $(7 + o), $(11 + o) }' \
        "$B/$name.table" >> "$B/results.tsv"
}
bxrun "encoder" enc --vectors "$B/enc.npy"
# shellcheck disable=SC2086
[ -z "$ENC_POST" ] || bxrun "encoder $ENC_POST" enc.post --vectors "$B/enc.npy" $ENC_POST
if [ "$REFS" = 1 ]; then
    bxrun "xl12 SIF" sif --vectors "$B/sif.npy"
    bxrun "TF-IDF $TFIDF_DIM" tfidf --item-text-cols title_repaired --text-vectors "$TFIDF_DIM"
    bxrun "random 100-d" random --vectors "$B/random.npy"
else
    awk -F'\t' '$2 !~ /^encoder/' "$REFS_FROM/bx/results.tsv" >> "$B/results.tsv"
fi
fi # TABLES_ONLY

# ---- 3. tables -----------------------------------------------------------------------------------------
{
echo "model: $MODEL ($(wc -c < "$MODEL") bytes, md5 $(md5sum < "$MODEL" | cut -c1-32))"
echo
echo "KMRD, content-based NDCG@10 (per-user 75/25, seed $SEED; gap = (mixed - mean(ko, en)) / mean(ko, en)):"
echo
echo "| item vectors | ko titles | en titles | mixed catalogue | language gap | mixed: ko-titled held out | mixed: en-titled held out |"
echo "|---|---|---|---|---|---|---|"
awk -F'\t' '$3 == "content" { v[$1, $2, $4] = $8; if (!($2 in seen)) { seen[$2] = 1; order[++n] = $2 } }
    END { for (i = 1; i <= n; i++) { l = order[i]
              if (l == "none") continue
              if (l ~ /^random/) { printf "| %s | %s (any text) | | | | | |\n", l, v["(any)", l, "all"]; continue }
              m = (v["ko", l, "all"] + v["en", l, "all"]) / 2
              printf "| %s | %s | %s | %s | %+.1f %% | %s | %s |\n", l, v["ko", l, "all"], v["en", l, "all"],
                     v["mixed", l, "all"], (m > 0 ? 100 * (v["mixed", l, "all"] - m) / m : 0),
                     v["mixed", l, "lang=ko"], v["mixed", l, "lang=en"] } }' "$WORK/kmrd/results.tsv"
echo
echo "KMRD, cosbias (r = cos * b_u * b_i + c) NDCG@10, same settings:"
echo
echo "| item vectors | ko titles | en titles | mixed catalogue | language gap |"
echo "|---|---|---|---|---|"
awk -F'\t' '$3 == "cosbias" { v[$1, $2, $4] = $8; if (!($2 in seen)) { seen[$2] = 1; order[++n] = $2 } }
    END { for (i = 1; i <= n; i++) { l = order[i]
              if (l ~ /^random/) { printf "| %s | %s (any text) | | | |\n", l, v["(any)", l, "all"]; continue }
              m = (v["ko", l, "all"] + v["en", l, "all"]) / 2
              printf "| %s | %s | %s | %s | %+.1f %% |\n", l, v["ko", l, "all"], v["en", l, "all"],
                     v["mixed", l, "all"], (m > 0 ? 100 * (v["mixed", l, "all"] - m) / m : 0) } }' "$WORK/kmrd/results.tsv"
echo
echo "Book-Crossing, content-based NDCG@10 of the mixed catalogue (per-user 75/25, seed $SEED), by language of the"
echo "held-out book (users in brackets); gap = non-English (users-weighted de, fr, es, it) relative to English:"
echo
awk -F'\t' '{ v[$2, $4] = $8; u[$4] = $5; if (!($2 in seen)) { seen[$2] = 1; order[++n] = $2 } }
    END { split("all lang=en lang=de lang=fr lang=es lang=it", S, " ")
          h = "| item vectors |"; s = "|---|"
          for (j = 1; j <= 6; j++) { h = h sprintf(" %s (%s) |", S[j], u[S[j]]); s = s "---|" }
          for (c in u) if (c ~ /cold/) cold = c
          if (cold != "") { h = h sprintf(" %s (%s) |", cold, u[cold]); s = s "---|" }
          print h " non-en vs en |"; print s "---|"
          for (i = 1; i <= n; i++) { l = order[i]; line = "| " l " |"
              for (j = 1; j <= 6; j++) line = line " " v[l, S[j]] " |"
              if (cold != "") line = line " " v[l, cold] " |"
              nu = 0; sum = 0
              for (j = 3; j <= 6; j++) { nu += u[S[j]]; sum += u[S[j]] * v[l, S[j]] }
              e = v[l, "lang=en"]
              print line sprintf(" %s |", (e > 0 && nu > 0) ? sprintf("%+.1f %%", 100 * (sum / nu - e) / e) : "-") } }' \
    "$B/results.tsv"
echo
echo "KMRD vocabulary coverage of the word vectors: $WORK/kmrd/coverage.tsv; all KMRD rows: $WORK/kmrd.out"
} | tee "$WORK/summary.md"
