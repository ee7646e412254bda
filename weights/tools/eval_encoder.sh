#!/bin/sh
# eval_encoder.sh - sentence-retrieval P@1 of an encoder model (and of the word-vector baseline on the
# SAME lines) on the held-out evaluation sets of issue 15 (docs/encoder-eval.md):
#
#   sh weights/tools/eval_encoder.sh MODEL [--word-vectors] [--csls] [--by-source]
#   sh weights/tools/eval_encoder.sh --word-vectors            # the baseline alone (no encoder)
#
#   MODEL           an xlrec model file (BERT family, e.g. from `xlrec train-encoder`), scored with
#                   `xlrec eval-retrieval --model MODEL --max-len $MAX_LEN` (the model's pooling, unit
#                   rows, cosine; read up to MAX_LEN tokens, default 64 = the shipped encoder's position
#                   embeddings, not its training length 32, which cut 175 of the 1,000 German multi30k
#                   test2016 captions; the log counts the lines still cut)
#   --word-vectors  also score the word vectors $VECTORS (default the shipped
#                   weights/default/xlrec-default-xl12.f16; SIF pooling, as eval_default_model.sh)
#   --csls          also CSLS scoring (k = 10) next to plain cosine
#   --by-source     also the held-out slice of each source in $SOURCES alone (en with each core language,
#                   CAP pairs each): the register the scores come from (UI strings, package descriptions)
#
# Sets (each line of side A retrieves its nearest line among all n lines of side B, and back):
#   heldout   the registry corpus's held-out slice ($CORPUS/pairs/heldout/L1-L2.tsv: never trained on),
#             en paired with each core language plus a few direct pairs; pairs from the sources in
#             $EXCLUDE are dropped (default "lohelp udhr": the word vectors were trained on LibreOffice
#             help and on UDHR articles that this slice holds out, so those rows would favour the
#             baseline; UDHR has its own set below), so are pairs whose two texts are
#             equal, then duplicates (a text already used on its side) so every query has
#             exactly one right answer; of the remaining n pairs (sorted, LC_ALL=C) CAP are taken evenly
#             spread (pair floor(i * n / CAP) for i = 0..CAP-1), so every pair has the same candidate
#             count and P@1 is comparable across pairs
#   udhr      UDHR paragraphs of articles 3, 6, 9, ..., 30, aligned by (article, paragraph), en with each
#             core language and 3 direct pairs: the articles held out from BOTH models (the corpus holds
#             out 3, 6, 8, 9, 12, 13, 15, 16, 18, 21, 23, 24, 26, 27, 28, 30, docs/corpus.md; the word
#             vectors 3, 6, ..., 30, docs/default-model.md); UDHR_ARTICLES="..." to change
#   multi30k  test_2016_flickr and test_2017_flickr (1,000 lines each), en-de, en-fr, de-fr
# Prints markdown tables (P@1 in %, a->b / b->a) and keeps every eval-retrieval output in $WORK/log.
# Deterministic: no randomness; the encoder rows do not depend on the thread count.
#
# Environment: XLREC (build/xlrec), XLREC_SHARED (../shared; the data in its data/), CORPUS (/work/corpus/out, the output
#   of weights/tools/build_corpus.sh), VECTORS, WORK (build/eval_encoder), CAP (1000), EXCLUDE,
#   UDHR_ARTICLES (3 6 9 12 15 18 21 24 27 30), SOURCES (gettext ddtp mozilla), THREADS (2), MAX_LEN (64;
#   at most the model's position embeddings; 0 = the model's max_seq_len),
#   NICE (nice -n 10; empty to run at normal priority).
set -eu
XLREC=${XLREC:-build/xlrec}
DATA=${XLREC_SHARED:-../shared}/data
CORPUS=${CORPUS:-/work/corpus/out}
VECTORS=${VECTORS:-weights/default/xlrec-default-xl12.f16}
WORK=${WORK:-build/eval_encoder}
CAP=${CAP:-1000}
THREADS=${THREADS:-2}
MAX_LEN=${MAX_LEN:-64}
NICE=${NICE-nice -n 10}
EXCLUDE=${EXCLUDE-lohelp udhr}
UDHR_ARTICLES=${UDHR_ARTICLES:-3 6 9 12 15 18 21 24 27 30}
SOURCES=${SOURCES:-gettext ddtp mozilla}

MODEL= WV=0 CSLS=0 BYSRC=0
for a in "$@"; do
    case $a in
    --word-vectors) WV=1 ;;
    --csls) CSLS=1 ;;
    --by-source) BYSRC=1 ;;
    -h | --help) sed -n '2,41p' "$0"; exit 0 ;;
    -*) echo "eval_encoder: unknown option $a" >&2; exit 2 ;;
    *) [ -z "$MODEL" ] || { echo "eval_encoder: one MODEL only" >&2; exit 2; }; MODEL=$a ;;
    esac
done
[ -n "$MODEL" ] || [ "$WV" = 1 ] || { echo "usage: eval_encoder.sh MODEL [--word-vectors] [--csls] [--by-source]" >&2; exit 2; }
for f in "$XLREC" ${MODEL:+"$MODEL"}; do [ -r "$f" ] || { echo "eval_encoder: cannot read $f" >&2; exit 1; }; done
[ "$WV" = 0 ] || [ -r "$VECTORS" ] || { echo "eval_encoder: cannot read $VECTORS (VECTORS=)" >&2; exit 1; }
S=$WORK/sets
mkdir -p "$S"
: > "$WORK/log"

# ---- 1. the evaluation lines: $S/SET.PAIR.a and .b (line i of a translates line i of b) --------------
CORE_PAIRS="en-de en-fr en-es en-it en-pt en-ru en-zh-Hans en-ja en-ko en-ar"
HELDOUT_PAIRS="en-de en-fr en-es en-it en-pt en-ru en-zh-Hans en-ja en-ko en-ar de-fr es-it es-pt de-ru ja-ko ja-zh-Hans ko-zh-Hans ar-fr"
slice() { # set pair only-source ("" = every source not in $EXCLUDE)
    f=$CORPUS/pairs/heldout/$2.tsv
    [ -r "$f" ] && [ -r "${f%.tsv}.src" ] || { echo "eval_encoder: cannot read $f or its .src (CORPUS=)" >&2; exit 1; }
    paste "${f%.tsv}.src" "$f" | LC_ALL=C awk -F'\t' -v OFS='\t' -v ex=" $EXCLUDE " -v only="$3" '
        (only == "" ? index(ex, " " $1 " ") == 0 : $1 == only) && $3 != $5 && $3 != "" && $5 != "" {
            print $2, $3, $4, $5 }' | LC_ALL=C sort -u |
        LC_ALL=C awk -F'\t' -v cap="$CAP" -v a="$S/$1.$2.a" -v b="$S/$1.$2.b" '
        !($2 in A) && !($4 in B) { A[$2] = 1; B[$4] = 1; x[++n] = $2; y[n] = $4 }
        END { m = n < cap ? n : cap
              for (i = 0; i < m; i++) { j = int(i * n / m) + 1; print x[j] > a; print y[j] > b } }'
}
for p in $HELDOUT_PAIRS; do slice heldout "$p" ""; done
SETS="heldout udhr m30k2016 m30k2017"
if [ "$BYSRC" = 1 ]; then
    for src in $SOURCES; do
        for p in $CORE_PAIRS; do slice "src-$src" "$p" "$src"; done
        SETS="$SETS src-$src"
    done
fi
UDHR=$DATA/parallel/udhr/udhr_paragraphs.tsv.gz
UDHR_CODES="eng:en deu_1996:de fra:fr spa:es ita:it por_BR:pt rus:ru cmn_hans:zh jpn:ja kor:ko arb:ar"
UDHR_PAIRS="en-de en-fr en-es en-it en-pt en-ru en-zh en-ja en-ko en-ar de-fr zh-ja ar-fr"
if [ -r "$UDHR" ]; then
    gzip -dc "$UDHR" | awk -F'\t' -v codes="$UDHR_CODES" -v arts="$UDHR_ARTICLES" '
        BEGIN { n = split(codes, c, " "); for (i = 1; i <= n; i++) { split(c[i], kv, ":"); want[kv[1]] = kv[2] }
                n = split(arts, h, " "); for (i = 1; i <= n; i++) held[h[i]] = 1 }
        NR > 1 && ($1 in want) && ($5 in held) { print want[$1] "\t" $5 "\t" $6 "\t" $7 }' > "$WORK/udhr.raw"
    for p in $UDHR_PAIRS; do
        la=${p%-*} lb=${p#*-}
        awk -F'\t' -v la="$la" -v lb="$lb" '$1 == la { A[$2 "." $3] = $4 } $1 == lb { B[$2 "." $3] = $4 }
            END { for (k in A) if (k in B) print k "\t" A[k] "\t" B[k] }' "$WORK/udhr.raw" |
            sort -t. -k1,1n -k2,2n > "$WORK/udhr.$p"
        cut -f2 "$WORK/udhr.$p" > "$S/udhr.$p.a"
        cut -f3 "$WORK/udhr.$p" > "$S/udhr.$p.b"
    done
else
    echo "eval_encoder: $UDHR missing: UDHR rows skipped" >&2
fi
M=$DATA/parallel/multi30k_task1
for t in 2016 2017; do
    [ -r "$M/test_${t}_flickr.en.gz" ] || { echo "eval_encoder: multi30k test $t missing: skipped" >&2; continue; }
    for l in en de fr; do gzip -dc "$M/test_${t}_flickr.$l.gz" > "$WORK/m30k$t.$l"; done
    for p in en-de en-fr de-fr; do
        cp "$WORK/m30k$t.${p%-*}" "$S/m30k$t.$p.a"
        cp "$WORK/m30k$t.${p#*-}" "$S/m30k$t.$p.b"
    done
done

# ---- 2. scoring ---------------------------------------------------------------------------------------
p1() { # a b [extra eval-retrieval args...] -> "P@1 a->b / b->a"
    a=$1 b=$2; shift 2
    echo "## eval-retrieval --src $a --tgt $b $*" >> "$WORK/log"
    # shellcheck disable=SC2086
    $NICE "$XLREC" eval-retrieval --src "$a" --tgt "$b" --threads "$THREADS" "$@" >> "$WORK/log" 2>&1 ||
        { tail -n 3 "$WORK/log" >&2; exit 1; }
    tail -n 1 "$WORK/log" | awk '{ for (i = 1; i < NF; i++) if ($i == "P@1") v[++n] = $(i + 1) }
                                 END { printf "%s / %s", v[1], v[2] }'
}
enc() { p1 "$1" "$2" --model "$MODEL" --max-len "$MAX_LEN" ${3:-}; }
wv() { p1 "$1" "$2" --word-vectors "$VECTORS" --pooling sif ${3:-}; }

hdr="| set | pair | n |" sep="|---|---|---|"
[ -z "$MODEL" ] || { hdr="$hdr encoder P@1 a->b / b->a |"; sep="$sep---|"; }
[ -z "$MODEL" ] || [ "$CSLS" = 0 ] || { hdr="$hdr encoder CSLS |"; sep="$sep---|"; }
[ "$WV" = 0 ] || { hdr="$hdr word vectors P@1 a->b / b->a |"; sep="$sep---|"; }
[ "$WV" = 0 ] || [ "$CSLS" = 0 ] || { hdr="$hdr word vectors CSLS |"; sep="$sep---|"; }
echo "model: ${MODEL:-(none)}${MODEL:+ ($(wc -c < "$MODEL") bytes, md5 $(md5sum < "$MODEL" | cut -c1-32); up to $MAX_LEN tokens a line)}"
[ "$WV" = 0 ] || echo "word vectors: $VECTORS (SIF pooling)"
echo "held-out slices: $CORPUS/pairs/heldout, at most $CAP pairs each (sources excluded: ${EXCLUDE:-none};"
echo "equal texts and duplicates dropped); UDHR articles $UDHR_ARTICLES"
echo
echo "$hdr"
echo "$sep"
: > "$WORK/results.tsv"
for set in $SETS; do
    case $set in
    heldout) name="held-out slice" pairs=$HELDOUT_PAIRS ;;
    udhr) name="UDHR held-out articles" pairs=$UDHR_PAIRS ;;
    m30k2016) name="multi30k test2016" pairs="en-de en-fr de-fr" ;;
    m30k2017) name="multi30k test2017" pairs="en-de en-fr de-fr" ;;
    src-*) name="held-out slice, ${set#src-} only" pairs=$CORE_PAIRS ;;
    esac
    for p in $pairs; do
        a=$S/$set.$p.a b=$S/$set.$p.b
        [ -s "$a" ] || continue   # a source without pairs for this language
        row="| $name | $p | $(wc -l < "$a") |" tsv="$set	$p	$(wc -l < "$a")"
        if [ -n "$MODEL" ]; then
            r=$(enc "$a" "$b"); row="$row $r |"; tsv="$tsv	$r"
            [ "$CSLS" = 0 ] || { r=$(enc "$a" "$b" --csls); row="$row $r |"; tsv="$tsv	$r"; }
        fi
        if [ "$WV" = 1 ]; then
            r=$(wv "$a" "$b"); row="$row $r |"; tsv="$tsv	$r"
            [ "$CSLS" = 0 ] || { r=$(wv "$a" "$b" --csls); row="$row $r |"; tsv="$tsv	$r"; }
        fi
        echo "$row"
        echo "$tsv" >> "$WORK/results.tsv"
    done
done

# ---- 3. per set: mean P@1 over its pairs and both directions ------------------------------------------
echo
echo "Mean P@1 over the pairs and both directions of each set:"
echo
echo "$hdr" | sed 's/| pair | n |/| pairs |/; s/ a->b \/ b->a//g'
echo "$sep" | sed 's/|---|---|---|/|---|---|/'
awk -F'\t' '{ if (!($1 in np)) order[++ns] = $1; np[$1]++; nc = NF - 3
              for (c = 4; c <= NF; c++) { split($c, v, " / "); s[$1, c] += (v[1] + v[2]) / 2 } }
    END { for (i = 1; i <= ns; i++) { k = order[i]; line = "| " k " | " np[k] " |"
              for (c = 4; c < 4 + nc; c++) line = line sprintf(" %.2f |", s[k, c] / np[k])
              print line } }' "$WORK/results.tsv"
