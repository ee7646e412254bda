#!/bin/sh
# build_default_model.sh - rebuild weights/default/ (the shipped cross-lingual word vectors) from the
# registry data sets in ../shared/data.  POSIX sh + awk/sort/cut/paste/sed/gzip + build/xlrec; no Python.
#
#   make -j2 && sh weights/tools/build_default_model.sh            # from the repository root
#
# Recipe (docs/default-model.md): one skip-gram model trained on a pseudo-bilingual corpus (Vulic & Moens
# 2016): every aligned LibreOffice help segment / UDHR paragraph becomes ONE line holding the words of all
# its language versions, interleaved by relative position (token j of an n-token version sits at
# (j+0.5)/n), so a word's context window holds its translations.  Arabic has almost no parallel text, so
# its version of each segment is the English one translated word by word with FreeDict eng-ara
# (dictionary code-switching, Gouws & Sogaard 2015).  Held-out evaluation data (a seeded 2,000-segment
# slice of LibreOffice help, UDHR articles 3, 6, ..., 30) is removed BEFORE training and written to
# $WORK/heldout/ for weights/tools/eval_default_model.sh.
#
# Tokenisation is exactly what `xlrec embed-words` / eval-retrieval apply at embedding time
# (xl_sentvec_preprocess = `xlrec normalize --nfkc --casefold --strip-punct --strip-digits --no-entities
# --segment char`: NFKC, case folding, punctuation and digits removed, one token per CJK character).
#
# Environment (defaults = the shipped file): XLREC, XLREC_SHARED (../shared), WORK, OUT, DIM, WINDOW, ITER, MINCOUNT,
# SAMPLE, NEG, THREADS (1 = bit-for-bit repeatable), MAXWORDS (vocabulary cap), SEED, HELDOUT, ARABIC (1/0).
set -eu

XLREC=${XLREC:-build/xlrec}
DATA=${XLREC_SHARED:-../shared}/data
WORK=${WORK:-build/default_model}
OUT=${OUT:-weights/default/xlrec-default-xl12.f16}
DIM=${DIM:-100}
WINDOW=${WINDOW:-10}
ITER=${ITER:-4}
MINCOUNT=${MINCOUNT:-3}
SAMPLE=${SAMPLE:-1e-4}
NEG=${NEG:-5}
THREADS=${THREADS:-1}
MAXWORDS=${MAXWORDS:-100000}
SEED=${SEED:-1}
HELDOUT=${HELDOUT:-2000}
ARABIC=${ARABIC:-1}
CBOW=${CBOW:-0}

LO=$DATA/parallel/libreoffice_help_aligned_11lang.tsv.gz
UDHR=$DATA/parallel/udhr/udhr_paragraphs.tsv.gz
ENG_ARA=$DATA/dict/freedict/eng-ara.tsv.gz
for f in "$LO" "$UDHR" "$ENG_ARA"; do
    [ -r "$f" ] || { echo "build_default_model: cannot read $f (set XLREC_SHARED)" >&2; exit 1; }
done
[ -x "$XLREC" ] || { echo "build_default_model: $XLREC not built (make -j2)" >&2; exit 1; }

export LC_ALL=C
mkdir -p "$WORK/heldout" "$(dirname "$OUT")"
start=$(date +%s)
say() { echo "build_default_model: [$(( $(date +%s) - start )) s] $*" >&2; }
# The embedding-time tokenisation (xl_sentvec_preprocess), one line in, one line out.
tok() { nice "$XLREC" normalize --nfkc --casefold --strip-punct --strip-digits --no-entities --segment char "$@"; }

# Interleave tab-separated token fields of one line by relative position (deterministic; ties: field order).
INTERLEAVE='
function interleave(nf,   f, n, i, best, bk, k, out, t) {
    out = ""
    for (f = 1; f <= nf; f++) { n[f] = split(fld[f], tk, " "); for (i = 1; i <= n[f]; i++) T[f, i] = tk[i]; pos[f] = 1 }
    while (1) {
        best = 0
        for (f = 1; f <= nf; f++) if (pos[f] <= n[f]) {
            k = (pos[f] - 0.5) / n[f]
            if (!best || k < bk) { best = f; bk = k }
        }
        if (!best) break
        t = T[best, pos[best]]; pos[best]++
        out = out == "" ? t : out " " t
    }
    return out
}'

# ---- 1. LibreOffice help: tokenise every language column ------------------------------------------
# columns: key en-US de fr es it pt-BR ru ja ko zh-CN zh-TW
set -- en de fr es it pt ru ja ko zh zh_tw
gzip -dc "$LO" | sed 1d > "$WORK/lo.raw"
col=2
for lang in "$@"; do
    cut -f$col "$WORK/lo.raw" > "$WORK/lo.raw.$lang"
    tok "$WORK/lo.raw.$lang" > "$WORK/lo.tok.$lang"
    col=$((col + 1))
done
paste "$WORK/lo.tok.en" "$WORK/lo.tok.de" "$WORK/lo.tok.fr" "$WORK/lo.tok.es" "$WORK/lo.tok.it" "$WORK/lo.tok.pt" \
      "$WORK/lo.tok.ru" "$WORK/lo.tok.ja" "$WORK/lo.tok.ko" "$WORK/lo.tok.zh" "$WORK/lo.tok.zh_tw" > "$WORK/lo.tok"
say "LibreOffice help tokenised: $(wc -l < "$WORK/lo.tok") segments"

# ---- 2. held-out slice: HELDOUT segments whose English text is unique and >= 4 tokens, chosen by a
# Park-Miller generator (x <- 16807 x mod 2^31-1, exact in awk's doubles) seeded with SEED --------------
awk -F'\t' -v seed="$SEED" '
    NR == FNR { cnt[$1]++; next }
    { x = (FNR == 1 ? seed : x); x = (x * 16807) % 2147483647
      if (cnt[$1] == 1 && split($1, t, " ") >= 4) printf "%d\t%d\n", x, FNR }' \
    "$WORK/lo.tok" "$WORK/lo.tok" | sort -n -k1,1 -k2,2 | head -n "$HELDOUT" | cut -f2 | sort -n > "$WORK/heldout/lo.ids"

# Evaluation pairs (raw text; eval-retrieval tokenises): both sides really translated (a non-English
# version identical to the English one is an untranslated segment).
pairs="en-de en-fr en-es en-it en-pt en-ru en-ja en-ko en-zh de-fr es-pt fr-it de-ru ja-zh zh-ko"
idx() { case $1 in en) echo 1;; de) echo 2;; fr) echo 3;; es) echo 4;; it) echo 5;; pt) echo 6;; ru) echo 7;;
        ja) echo 8;; ko) echo 9;; zh) echo 10;; zh_tw) echo 11;; esac; }
for p in $pairs; do
    a=${p%-*}; b=${p#*-}; ia=$(idx "$a"); ib=$(idx "$b")
    awk -F'\t' -v ia="$ia" -v ib="$ib" 'NR == FNR { held[$1] = 1; next }
        (FNR in held) && (ia == 1 || $ia != $1) && (ib == 1 || $ib != $1) && $ia != "" && $ib != "" { print FNR }' \
        "$WORK/heldout/lo.ids" "$WORK/lo.tok" > "$WORK/heldout/lo.$p.ids"
    awk 'NR == FNR { want[$1] = 1; next } FNR in want' "$WORK/heldout/lo.$p.ids" "$WORK/lo.raw.$a" > "$WORK/heldout/lo.$p.$a"
    awk 'NR == FNR { want[$1] = 1; next } FNR in want' "$WORK/heldout/lo.$p.ids" "$WORK/lo.raw.$b" > "$WORK/heldout/lo.$p.$b"
done

# Training segments: held-out lines removed, and any version whose text equals a held-out version's text
# removed too (duplicated help strings would leak); untranslated (= English) versions dropped.
awk -F'\t' -v OFS='\t' 'FNR == 1 { pass++ }
    pass == 1 { held[$1] = 1; next }
    pass == 2 { if (FNR in held) for (c = 1; c <= NF; c++) if ($c != "") ban[$c] = 1; next }
    !(FNR in held) {
        for (c = 1; c <= NF; c++) if ($c in ban || (c > 1 && $c == $1)) $c = ""
        print }' "$WORK/heldout/lo.ids" "$WORK/lo.tok" "$WORK/lo.tok" > "$WORK/lo.train"
say "held out $(wc -l < "$WORK/heldout/lo.ids") segments; $(wc -l < "$WORK/lo.train") training segments"

# ---- 3. UDHR: paragraphs of 12 versions; articles 3, 6, ..., 30 held out --------------------------------
UDHR_CODES="eng:en deu_1996:de fra:fr spa:es ita:it por_BR:pt rus:ru jpn:ja kor:ko cmn_hans:zh cmn_hant:zh_tw arb:ar"
gzip -dc "$UDHR" | awk -F'\t' -v codes="$UDHR_CODES" '
    BEGIN { n = split(codes, c, " "); for (i = 1; i <= n; i++) { split(c[i], kv, ":"); want[kv[1]] = kv[2] } }
    NR > 1 && ($1 in want) { print want[$1] "\t" $5 "\t" $6 "\t" $7 }' > "$WORK/udhr.raw"
cut -f4 "$WORK/udhr.raw" | tok > "$WORK/udhr.tok4"
cut -f1-3 "$WORK/udhr.raw" | paste - "$WORK/udhr.tok4" > "$WORK/udhr.tok"
for p in en-de en-fr en-es en-it en-pt en-ru en-ja en-ko en-zh en-ar de-fr zh-ja ar-fr; do
    a=${p%-*}; b=${p#*-}
    awk -F'\t' -v a="$a" -v b="$b" '$2 % 3 == 0 && $2 > 0 {
            if ($1 == a) A[$2 "." $3] = $4; else if ($1 == b) B[$2 "." $3] = $4 }
        END { for (k in A) if (k in B) print k "\t" A[k] "\t" B[k] }' "$WORK/udhr.raw" | sort -t. -k1,1n -k2,2n > "$WORK/heldout/udhr.$p"
    cut -f2 "$WORK/heldout/udhr.$p" > "$WORK/heldout/udhr.$p.$a"
    cut -f3 "$WORK/heldout/udhr.$p" > "$WORK/heldout/udhr.$p.$b"
done
# one line per (article, paragraph): fields en de fr es it pt ru ja ko zh zh_tw ar
awk -F'\t' '!($2 % 3 == 0 && $2 > 0) { k = $2 "." $3; if (!(k in seen)) { seen[k] = 1; order[++n] = k } txt[k, $1] = $4 }
    END { split("en de fr es it pt ru ja ko zh zh_tw ar", L, " ")
          for (i = 1; i <= n; i++) { s = ""; for (j = 1; j <= 12; j++) s = s (j > 1 ? "\t" : "") txt[order[i], L[j]]; print s } }' \
    "$WORK/udhr.tok" > "$WORK/udhr.train"
say "UDHR: $(wc -l < "$WORK/udhr.train") training paragraphs"

# ---- 4. Arabic code-switching: the English version of each LibreOffice training segment translated word
# by word with FreeDict eng-ara (function words, single letters and gloss-like targets removed; Arabic
# short vowels/shadda removed from targets, since running text rarely writes them) --------------------
if [ "$ARABIC" = 1 ]; then
    gzip -dc "$ENG_ARA" | awk -F'\t' '
        BEGIN { n = split("a an the of to in on at by for with from and or but not no is are was were be been am it its " \
                          "this that these those as if so do does did has have had he she they we you i me him her them " \
                          "us my your his our their which who whom what when where how than then there here", s, " ")
                for (i = 1; i <= n; i++) stop[s[i]] = 1 }
        { k = tolower($1); if (length(k) < 2 || (k in stop) || $2 ~ /-|\(|,|;/ || split($2, w, " ") > 2 || $2 == "الـ") next
          print k "\t" $2 }' > "$WORK/eng-ara.dict"
    cut -f1 "$WORK/lo.train" | nice "$XLREC" translate --raw --drop-unknown --dict "$WORK/eng-ara.dict" 2> "$WORK/ar.log" |
        sed -e 's/ً//g' -e 's/ٌ//g' -e 's/ٍ//g' -e 's/َ//g' -e 's/ُ//g' -e 's/ِ//g' -e 's/ّ//g' -e 's/ْ//g' |
        tok > "$WORK/lo.ar"
    say "Arabic code-switch: $(cat "$WORK/ar.log")"
else
    cut -f1 "$WORK/lo.train" | sed 's/.*//' > "$WORK/lo.ar"
fi

# ---- 5. the pseudo-bilingual corpus: one interleaved line per segment / paragraph -------------------------
paste "$WORK/lo.train" "$WORK/lo.ar" | awk -F'\t' "$INTERLEAVE"'
    { for (i = 1; i <= NF; i++) fld[i] = $i; s = interleave(NF); if (s != "") print s }' > "$WORK/corpus.txt"
awk -F'\t' "$INTERLEAVE"'{ for (i = 1; i <= NF; i++) fld[i] = $i; s = interleave(NF); if (s != "") print s }' \
    "$WORK/udhr.train" >> "$WORK/corpus.txt"
say "corpus: $(awk '{ t += NF } END { print NR " lines, " t " tokens" }' "$WORK/corpus.txt")"

# ---- 6. train ---------------------------------------------------------------------------------------------
nice "$XLREC" w2v train --train "$WORK/corpus.txt" --output "$WORK/vectors.bin" --binary 1 --cbow "$CBOW" \
    --size "$DIM" --window "$WINDOW" --negative "$NEG" --hs 0 --sample "$SAMPLE" --iter "$ITER" \
    --min-count "$MINCOUNT" --threads "$THREADS" --seed "$SEED" --save-vocab "$WORK/vocab.txt" --debug 0
say "trained: $(head -c 40 "$WORK/vectors.bin" | head -n 1)"

# ---- 7. cap the vocabulary (rows are frequency-sorted) and write the shipped file ------------------------
case $OUT in
    *.f16) fmt=--f16 ;;    # xlrec's float16 variant of the binary format (docs/word2vec.md)
    *) fmt="--binary 1" ;; # word2vec.c binary
esac
nice "$XLREC" w2v convert -i "$WORK/vectors.bin" -o "$OUT" $fmt --max-words "$MAXWORDS"
head -n "$((MAXWORDS))" "$WORK/vocab.txt" > "$WORK/vocab.capped.txt"
say "wrote $OUT ($(wc -c < "$OUT") bytes)"
