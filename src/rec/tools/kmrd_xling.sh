#!/bin/sh
# kmrd_xling.sh - the KMRD cross-lingual experiment (docs/recommender.md, issue 7).
#
# Same users, ratings and split throughout; only the item text changes:
#   ko     Korean title (movies.txt column `title`)
#   en     English title (`title_eng` with the ", YEAR" suffix removed)
#   mixed  per movie one of the two, drawn with a Park-Miller generator seeded by SEED (p = 1/2)
# Each items file is embedded with the shipped cross-lingual word vectors (SIF, `xlrec embed-words`
# defaults) into an .npy aligned row for row with the items file, and evaluated with `xlrec eval`
# (content, cosbias) under one protocol.  References: hashed TF-IDF of the same text (no
# embedder, cannot bridge languages), random item vectors of the same dimension (no signal), and
# the text-free models popularity and ALS (run once: they do not read item text).
# Also reports vocabulary coverage of the tokens (embedding-time tokenisation) per setting.
# ENCODER=MODEL adds the same rows with the items embedded by an encoder model file (`xlrec embed
# --model MODEL`, the model's pooling, unit rows; label "encoder"); src/rec/tools/rec_xling.sh runs
# this and the Book-Crossing experiment with one model and prints the comparison (issue 15).
#
# Shell, awk and build/xlrec only.  Run from anywhere; paths are relative to the repository root.
# Environment: XLREC (build/xlrec), XLREC_SHARED (../shared; the data in its data/), VECTORS (the default model),
#   WORK (build/kmrd_xling), SEED (42), PROTOCOL (ratio = per-user 75/25; or last), K (10),
#   THREADS (2), FACTORS (ALS factors, 32), TFIDF_DIM (1024), ENCODER (unset: no encoder rows),
#   NICE (nice; empty for normal priority), REFS (1; 0: only the ENCODER rows, none of the reference
#   runs: popularity/ALS, word vectors, TF-IDF, random), ENC_POST (unset: nothing; e.g. "--whiten-vectors":
#   with ENCODER, a second set of encoder rows evaluated with these item-vector options, labelled
#   "encoder ENC_POST"; docs/recommender.md "Item-vector post-processing").
# Output: $WORK/results.tsv (setting, vectors, model, subset, users, P@K, R@K, NDCG@K, HitRate@K),
#   $WORK/coverage.tsv, one JSON report per run, and the markdown tables on stdout.
set -eu
cd "$(dirname "$0")/../../.."
XLREC=${XLREC:-build/xlrec}
DATA=${XLREC_SHARED:-../shared}/data
KM=$DATA/rec/kmrd_small
VECTORS=${VECTORS:-weights/default/xlrec-default-xl12.f16}
WORK=${WORK:-build/kmrd_xling}
SEED=${SEED:-42}
PROTOCOL=${PROTOCOL:-ratio}
K=${K:-10}
THREADS=${THREADS:-2}
FACTORS=${FACTORS:-32}
TFIDF_DIM=${TFIDF_DIM:-1024}
ENCODER=${ENCODER:-}
ENC_POST=${ENC_POST:-}
REFS=${REFS:-1}
NICE=${NICE-nice}

for f in "$KM/movies.txt" "$KM/rates.csv" "$VECTORS" "$XLREC" ${ENCODER:+"$ENCODER"}; do
    [ -r "$f" ] || { echo "kmrd_xling: cannot read $f (set XLREC_SHARED / XLREC / VECTORS)" >&2; exit 1; }
done
mkdir -p "$WORK"

# 1. Items files: movie<TAB>text<TAB>lang, header, movies.txt order (so .npy row i = items row i).
awk -F'\t' -v OFS='\t' -v seed="$SEED" -v w="$WORK" '
function eng(t) { sub(/[ ]*,[ ]*[0-9][0-9][0-9][0-9]$/, "", t); return t }
BEGIN { s = seed % 2147483647; if (s <= 0) s += 2147483646 }
NR == 1 { for (x = "ko"; x != ""; x = (x == "ko" ? "en" : (x == "en" ? "mixed" : "")))
              print "movie", "text", "lang" > (w "/" x ".tsv"); next }
{
    ko = $2; en = eng($3)
    print $1, ko, "ko" > (w "/ko.tsv")
    print $1, en, "en" > (w "/en.tsv")
    s = (16807 * s) % 2147483647          # Park-Miller, exact in doubles
    if (s / 2147483647 < 0.5) print $1, ko, "ko" > (w "/mixed.tsv")
    else                      print $1, en, "en" > (w "/mixed.tsv")
}' "$KM/movies.txt"

# 2. Embeddings (SIF) and coverage.  Vocabulary from the model itself (text dump).
"$XLREC" w2v convert -i "$VECTORS" -o "$WORK/vectors.txt" --binary 0
DIM=$(awk 'NR == 1 { print $2; exit }' "$WORK/vectors.txt")
printf 'setting\titems\titems_no_text\titems_no_known_word\ttokens\ttokens_in_vocab\tpct_tokens\ttypes\ttypes_in_vocab\tpct_types\n' \
    > "$WORK/coverage.tsv"
for x in ko en mixed; do
    awk -F'\t' 'NR > 1 { print $2 }' "$WORK/$x.tsv" > "$WORK/$x.txt"
    $NICE "$XLREC" embed-words -w "$VECTORS" --pooling sif -o "$WORK/$x.npy" "$WORK/$x.txt" 2> "$WORK/$x.embed.log"
    [ -z "$ENCODER" ] || $NICE "$XLREC" embed -m "$ENCODER" --normalize --format npy --threads "$THREADS" \
        -o "$WORK/$x.enc.npy" "$WORK/$x.txt" 2> "$WORK/$x.enc.embed.log"
    # tokens exactly as embed-words sees them (xl_sentvec_preprocess; docs/default-model.md, Recipe 1)
    "$XLREC" normalize --nfkc --casefold --strip-punct --strip-digits --no-entities --segment char "$WORK/$x.txt" |
    awk -v OFS='\t' -v x="$x" -v raw="$WORK/$x.txt" '
    BEGIN { while ((getline l < raw) > 0) { n++; if (l ~ /^[ \t]*$/) notext++ } }
    FILENAME != "-" && FNR > 1 && NR == FNR { v[$1] = 1; next }
    FILENAME == "-" {
        known = 0
        for (i = 1; i <= NF; i++) { t++; if ($i in v) { k++; known++ }
                                    if (!($i in seen)) { seen[$i] = 1; ty++; if ($i in v) tk++ } }
        if (known == 0) nok++
    }
    END { printf "%s\t%d\t%d\t%d\t%d\t%d\t%.1f\t%d\t%d\t%.1f\n", x, n, notext, nok, t, k,
                 t ? 100 * k / t : 0, ty, tk, ty ? 100 * tk / ty : 0 }' "$WORK/vectors.txt" - >> "$WORK/coverage.tsv"
done

# 3. Random control: one uniform(-1, 1)^DIM vector per movie (Park-Miller, seeded), written as a
#    word2vec text file of one word per movie and read back with mean pooling of that one word.
awk -F'\t' -v seed="$SEED" -v dim="$DIM" -v w="$WORK" '
BEGIN { s = (seed + 12345) % 2147483647 }
NR > 1 { ids[++n] = "m" $1 }
END {
    printf "%d %d\n", n, dim > (w "/random.w2v.txt")
    for (r = 1; r <= n; r++) {
        line = ids[r]
        for (j = 1; j <= dim; j++) { s = (16807 * s) % 2147483647; line = line sprintf(" %.6f", 2 * s / 2147483647 - 1) }
        print line > (w "/random.w2v.txt"); print ids[r] > (w "/random.txt")
    }
}' "$WORK/ko.tsv"
"$XLREC" embed-words -w "$WORK/random.w2v.txt" --pooling mean --raw -o "$WORK/random.npy" "$WORK/random.txt" \
    2> "$WORK/random.embed.log"

# 4. Evaluation: one protocol for every run.
BASE="--ratings $KM/rates.csv --user-col user --item-col movie --rating-col rate --time-col time
      --item-sep tab --item-no-quote --item-text-cols text --item-lang-col lang
      --protocol $PROTOCOL -k $K --seed $SEED --threads $THREADS --factors $FACTORS"
: > "$WORK/results.tsv"
run() { # setting vectors-label json-name extra-args...
    setting=$1 label=$2 name=$3; shift 3
    # shellcheck disable=SC2086
    $NICE "$XLREC" eval $BASE "$@" --json "$WORK/$name.json" -q > "$WORK/$name.table" 2>&1 ||
        { cat "$WORK/$name.table" >&2; exit 1; }
    awk -v OFS='\t' -v s="$setting" -v l="$label" '
        $2 == "all" || $2 ~ /^lang=/ || $2 == "ko" || $2 == "en" { print s, l, $1, $2, $3, $4, $5, $7, $11 }' \
        "$WORK/$name.table" >> "$WORK/results.tsv"
    cat "$WORK/$name.table"
}
[ "$REFS" = 0 ] || run "(any)" "none" refs --items "$WORK/ko.tsv" --models popularity,als
for x in ko en mixed; do
    if [ "$REFS" != 0 ]; then
        run "$x" "xl12 SIF" "$x.sif" --items "$WORK/$x.tsv" --vectors "$WORK/$x.npy" --models content,cosbias --by-language
        run "$x" "TF-IDF $TFIDF_DIM" "$x.tfidf" --items "$WORK/$x.tsv" --text-vectors "$TFIDF_DIM" --models content,cosbias --by-language
    fi
    [ -z "$ENCODER" ] ||
        run "$x" "encoder" "$x.enc" --items "$WORK/$x.tsv" --vectors "$WORK/$x.enc.npy" --models content,cosbias --by-language
    # shellcheck disable=SC2086
    [ -z "$ENCODER" ] || [ -z "$ENC_POST" ] ||
        run "$x" "encoder $ENC_POST" "$x.enc.post" --items "$WORK/$x.tsv" --vectors "$WORK/$x.enc.npy" $ENC_POST \
            --models content,cosbias --by-language
done
[ "$REFS" = 0 ] || run "(any)" "random $DIM-d" random --items "$WORK/ko.tsv" --vectors "$WORK/random.npy" --models content,cosbias

# 5. Markdown tables.
echo
echo "| setting | item vectors | model | users | NDCG@$K | P@$K | Recall@$K | HitRate@$K |"
echo "|---|---|---|---|---|---|---|---|"
awk -F'\t' '$4 == "all" { printf "| %s | %s | %s | %s | %s | %s | %s | %s |\n", $1, $2, $3, $5, $8, $6, $7, $9 }' "$WORK/results.tsv"
echo
echo "Cross-lingual gap (NDCG@$K, mixed minus the mean of ko and en, same vectors and model):"
awk -F'\t' '$4 == "all" && ($1 == "ko" || $1 == "en" || $1 == "mixed") { v[$1, $2, $3] = $8; key[$2 SUBSEP $3] = 1 }
END { for (kk in key) { split(kk, a, SUBSEP)
          printf "  %-12s %-8s mixed %.4f  ko %.4f  en %.4f  gap %+.4f\n", a[1], a[2],
                 v["mixed", a[1], a[2]], v["ko", a[1], a[2]], v["en", a[1], a[2]],
                 v["mixed", a[1], a[2]] - (v["ko", a[1], a[2]] + v["en", a[1], a[2]]) / 2 } }' "$WORK/results.tsv" | sort
echo
echo "Coverage of the default vectors' vocabulary (tokens after embedding-time tokenisation):"
cat "$WORK/coverage.tsv"
