#!/bin/sh
# build_wordpairs.sh - an everyday-word curriculum for the default encoder (docs/default-encoder.md,
# "Everyday words"): the most frequent English words of everyday text, each paired with its most
# frequent dictionary translation in every core language, repeated so that the encoder sees every
# such pair several times in a stage; plus pivot pairs between the core languages (de <-> fr ...).
#
#   sh weights/tools/build_wordpairs.sh [CORPUS_DIR] [CODESWITCH_OUT] [OUT_DIR]
#
# Why: the encoder's word-level knowledge, probed with the 500 most frequent multi30k caption words
# and their attested FreeDict translations (en -> de, 500 candidates), is P@1 24 %: it matches by
# spelling ("red" -> "Rede", "two" -> "Tür", "dog" -> "dort").  The stage-4 mix holds each FreeDict
# entry once, every sense with the same weight ("dog" -> "Hund", "Bandhaken", "Reifzange", ...), and
# a 10,000-step stage sees 40 % of the file: a common word's common translation is seen about
# 0.4 times.  Here it is seen COPIES times per pass, and rare senses are left out.
#
# Inputs (all registry data):
#   CORPUS_DIR      weights/tools/build_corpus.sh's output (default /work/corpus/out): pairs/train/,
#                   mono/train/ (the XX texts of zh-Hans, ja, ko)
#   CODESWITCH_OUT  weights/tools/build_codeswitch.sh's output (default /work/data-codeswitch/out):
#                   dict/en-XX.tsv (its attested dictionaries), work/en.wordnet (WordNet 3.0 example
#                   sentences), work/en.fortunes, work/xx.pairs.XX and work/xx.pool.XX (XX texts)
#   pivot dictionaries  (PIVOT=de, the default) Debian dict-freedict-deu-XXX and XXX-deu for fr es it pt ru,
#                   fetched with apt-get download into OUT_DIR/src (versions and sha256 in manifest.tsv):
#                   an English word without an attested direct translation takes the XX words that at
#                   least PIVOT_MIN (2) of its German translations lead to (inverse consultation)
# Output under OUT_DIR (default /work/data-wordpairs/out):
#   wordpairs.tsv   en<TAB>word<TAB>XX<TAB>translation (COPIES copies of the best translation, one of
#                   the second best when it is at least a quarter as frequent), then
#                   XX<TAB>t1<TAB>YY<TAB>t2 pivot pairs (the best translations of the PIVOT_TOP most
#                   frequent English words, every pair of core languages, once)
#   counts.tsv (pivot_candidates, pivot_words: English words translated through the pivot),
#   wordpairs.tsv.sha256, manifest.tsv, work/ (pivotwords.XX: the pivot-only choices, for spot checks)
#
# Frequencies: English = lower-cased ASCII words of the WordNet examples and English fortunes (everyday
# text, not the UI strings); XX = the exact word in the language's texts (languages with spaces: a
# multi-word translation counts its rarest word); zh-Hans / ja / ko: the Dice coefficient of the
# English word and the string over the aligned training pairs (below).  Candidates: dictionary entries whose English
# side is one lower-case ASCII word among the TOP most frequent, whose translation has at most two
# words, no ASCII digits or punctuation but hyphen and apostrophe (nor general or CJK punctuation),
# and occurs in the XX texts.
# Determinism: LC_ALL=C, no random step; ties broken by byte order.  Never read: pairs/heldout,
# mono/heldout, debian-handbook, multi30k (the inputs above are training-split only).
set -eu
CORPUS=${1:-/work/corpus/out}
CS=${2:-/work/data-codeswitch/out}
OUT=${3:-/work/data-wordpairs/out}
TOP=${TOP:-8000}            # English words considered (by everyday frequency)
COPIES=${COPIES:-3}         # copies of each best translation
PIVOT_TOP=${PIVOT_TOP:-4000} # English words whose best translations are paired across languages
PIVOT=${PIVOT:-de}          # pivot languages: de (default), "de fr" (also French; not measured yet), none (as before)
PIVOT_LANGS=${PIVOT_LANGS:-"fr es it pt ru"}   # languages that get pivot candidates
PIVOT_MIN=${PIVOT_MIN:-2}   # pivot words (translations of the English word) that must lead to a candidate
CORE="de fr es it pt ru zh-Hans ja ko ar"
export LC_ALL=C
die() { echo "build_wordpairs.sh: $*" >&2; exit 1; }
. "$(dirname "$0")/registry_lib.sh"   # train_pairs, dictd_entries, deb_fetch
for f in "$CS/work/en.wordnet" "$CS/work/en.fortunes"; do [ -r "$f" ] || die "no $f (run build_codeswitch.sh)"; done
W=$OUT/work
mkdir -p "$W"
[ "$PIVOT" != none ] || { PIVOT=; PIVOT_LANGS=; }
for p in $PIVOT; do case $p in de | fr) ;; *) die "PIVOT: de, fr or none, not $p" ;; esac; done

# ---- pivot dictionaries (Debian FreeDict, WikDict-based where large): P-XX.dict = pivot word<TAB>XX word,
# from P3-XX3 and the reversed XX3-P3 where Debian has them (deu-{fra,spa,ita,por,rus}, {fra,spa,ita,por}-deu,
# fra-{ita,spa,por,rus}, por-fra)
fd3() { case $1 in de) echo deu ;; fr) echo fra ;; es) echo spa ;; it) echo ita ;; pt) echo por ;; ru) echo rus ;; *) die "no FreeDict code for $1" ;; esac; }
fd_pkgs() { case $1-$2 in
    de-fr | de-es | de-it | de-pt) echo "deu-$(fd3 "$2") $(fd3 "$2")-deu" ;;
    de-ru) echo deu-rus ;;
    fr-it | fr-es | fr-ru) echo "fra-$(fd3 "$2")" ;;
    fr-pt) echo "fra-por por-fra" ;;
    *) ;; esac; }
rm -f "$OUT/src/debs.tsv" "$OUT/manifest.tsv" "$W"/*.dict
for l in $PIVOT_LANGS; do
    for p in $PIVOT; do
        [ "$p" != "$l" ] || continue
        : > "$W/$p-$l.dict.tmp"
        for k in $(fd_pkgs "$p" "$l"); do
            deb_fetch "dict-freedict-$k"
            dd=$OUT/src/root/usr/share/dictd
            if [ "${k%-*}" = "$(fd3 "$p")" ]; then
                dictd_entries "$dd/freedict-$k.index" "$dd/freedict-$k.dict.dz"
            else
                dictd_entries "$dd/freedict-$k.index" "$dd/freedict-$k.dict.dz" | awk -F '\t' -v OFS='\t' '{ print $2, $1 }'
            fi >> "$W/$p-$l.dict.tmp"
        done
        sort -u "$W/$p-$l.dict.tmp" > "$W/$p-$l.dict"; rm -f "$W/$p-$l.dict.tmp"
        echo "pivot $p-$l: $(wc -l < "$W/$p-$l.dict") dictionary pairs" >&2
    done
done
[ ! -r "$OUT/src/debs.tsv" ] || sort -u "$OUT/src/debs.tsv" > "$OUT/manifest.tsv"

# ---- English everyday frequency: word<TAB>count, the TOP most frequent (count desc, then bytes)
cat "$CS/work/en.wordnet" "$CS/work/en.fortunes" |
    awk '{ n = split(tolower($0), w, /[^a-z]+/); for (i = 1; i <= n; i++) if (w[i] != "") c[w[i]]++ }
         END { for (x in c) print x "\t" c[x] }' |
    sort -t "$(printf '\t')" -k2,2nr -k1,1 | head -n "$TOP" > "$W/en.top"
echo "english: $(wc -l < "$W/en.top") words (TOP $TOP)" >&2

# XX texts of a language, one per line
xx_texts() {
    case $1 in
    zh-Hans | ja | ko)
        train_pairs "$1" | awk -F '\t' 'NF == 4 { print $4 }'
        [ -r "$CORPUS/mono/train/$1.tsv" ] && cut -f 2 "$CORPUS/mono/train/$1.tsv"
        true ;;
    *)
        for f in "$CS/work/xx.pairs.$1" "$CS/work/xx.pool.$1"; do [ -r "$f" ] || die "no $f"; cat "$f"; done ;;
    esac
}

printf 'lang\tdict_candidates\tenglish_words\tsecond\tlines\tpivot_candidates\tpivot_words\n' > "$OUT/counts.tsv.tmp"
: > "$OUT/wordpairs.tsv.tmp"
for l in $CORE; do
    d=$CS/dict/en-$l.tsv
    [ -r "$d" ] || die "no $d"
    # candidates: english<TAB>translation, English among the top words, translation clean
    awk -F '\t' -v top="$W/en.top" '
        BEGIN { while ((getline s < top) > 0) { split(s, p, "\t"); rank[p[1]] = 1 } }
        NF == 2 && ($1 in rank) && $2 !~ /[!-&(-,.-@[-`{-~]/ && $2 !~ /\342\200|\302[\241\253\273\277]|\343\200/ && $2 != "" && split($2, w, / +/) <= 2 { print $1 "\t" $2 }' "$d" |
        sort -u > "$W/cand.$l"
    # pivot candidates english<TAB>translation<TAB>support (inverse consultation, Tanaka & Umemura 1994):
    # an XX word t is a candidate for the English word e when at least PIVOT_MIN of e's translations in
    # the pivot languages (the en-de / en-fr dictionaries) translate to t (P-XX.dict): "bench" -> Bank,
    # Sitzbank -> banc (2), but Bank alone -> banque (1).  Clean as above, less the words the en-XX
    # dictionary gives only other English meanings; used for English words without a direct translation
    : > "$W/pcand.$l"
    pd=""; for p in $PIVOT; do [ -r "$W/$p-$l.dict" ] && pd="$pd $p"; done
    if [ -n "$pd" ]; then
        for p in $pd; do awk -F '\t' -v OFS='\t' -v p="$p" '{ print p, $1, $2 }' "$W/$p-$l.dict"; done |
        awk -F '\t' -v pmin="$PIVOT_MIN" -v top="$W/en.top" -v cs="$CS/dict" -v pd="$pd" -v known="$d" '
            BEGIN { while ((getline s < top) > 0) { split(s, p, "\t"); rank[p[1]] = 1 }
                    while ((getline s < known) > 0) { split(s, p, "\t"); kn[p[2]] = 1; ke[p[2], p[1]] = 1 } }
            $3 !~ /[!-&(-,.-@[-`{-~]/ && $3 !~ /\342\200|\302[\241\253\273\277]|\343\200/ && $3 != "" && split($3, w, / +/) <= 2 {
                n = ++nt[$1, $2]; tt[$1, $2, n] = $3 }
            END { np = split(pd, P, " ")
                  for (j = 1; j <= np; j++) { f = cs "/en-" P[j] ".tsv"
                      while ((getline s < f) > 0) {
                          split(s, p, "\t"); e = p[1]; g = p[2]
                          if (!(e in rank) || !((P[j], g) in nt) || ((P[j], e, g) in seen)) continue
                          seen[P[j], e, g] = 1
                          for (i = 1; i <= nt[P[j], g]; i++) c[e, tt[P[j], g, i]]++ }
                      close(f) }
                  for (k in c) if (c[k] >= pmin) { split(k, q, SUBSEP)
                      if (!(q[2] in kn) || ((q[1], q[2]) in ke)) print q[1] "\t" q[2] "\t" c[k] } }' |
            sort -u > "$W/pcand.$l"
    fi
    # frequency of each candidate translation in the XX texts
    case $l in
    zh-Hans | ja | ko)
        # count occurrences of candidate strings starting at UTF-8 character starts
        xx_texts "$l" | awk -v cand="$W/cand.$l" '
            BEGIN { FS = "\t"; while ((getline s < cand) > 0) { split(s, p, "\t"); want[p[2]] = 0
                        if (length(p[2]) > maxlen) maxlen = length(p[2]) }
                    if (maxlen > 12) maxlen = 12 }                    # at most 4 CJK characters
            { n = length($0)
              for (i = 1; i <= n; i++) {
                  b = substr($0, i, 1); if (b >= "\200" && b < "\300") continue   # UTF-8 continuation byte
                  for (k = 1; k <= maxlen && i + k - 1 <= n; k++) {
                      b = substr($0, i + k, 1); if (b >= "\200" && b < "\300") continue   # ends inside a character
                      s = substr($0, i, k); if (s in want) want[s]++ } } }
            END { for (x in want) print x "\t" want[x] }' > "$W/freq.$l" ;;
    *)
        xx_texts "$l" | awk -v cand="$W/cand.$l" -v pcand="$W/pcand.$l" '
            BEGIN { while ((getline s < cand) > 0) { split(s, p, "\t"); m = split(p[2], w, / +/)
                        for (i = 1; i <= m; i++) want[w[i]] = 0 }
                    while ((getline s < pcand) > 0) { split(s, p, "\t"); m = split(p[2], w, / +/)
                        for (i = 1; i <= m; i++) want[w[i]] = 0 } }
            { n = split($0, w, /[][ \t!"#$%&()*+,.\/:;<=>?@\\^_`{|}~]+/)
              for (i = 1; i <= n; i++) if (w[i] in want) want[w[i]]++ }
            END { for (x in want) print x "\t" want[x] }' > "$W/freq.$l" ;;
    esac
    # zh-Hans / ja / ko: a string's frequency favours short strings inside other words ("dog" -> ぶす);
    # score a candidate instead by its Dice coefficient with the English word over the aligned training
    # pairs, 2 c(e,t) / (c(e) + c(t)) (c(e): pairs whose English side has the word, c(t): occurrences
    # of t in the texts, c(e,t): pairs with both), kept when c(e,t) >= 2; other words are left out.
    : > "$W/dice.$l"
    case $l in
    zh-Hans | ja | ko)
        train_pairs "$l" | awk -F '\t' -v cand="$W/cand.$l" -v freq="$W/freq.$l" '
            BEGIN { while ((getline s < cand) > 0) { split(s, p, "\t"); n = ++nc[p[1]]; ct[p[1], n] = p[2] }
                    while ((getline s < freq) > 0) { split(s, p, "\t"); f[p[1]] = p[2] + 0 } }
            NF == 4 { m = split(tolower($2), w, /[^a-z]+/); split("", seen)
                for (i = 1; i <= m; i++) { e = w[i]; if (!(e in nc) || (e in seen)) continue
                    seen[e] = 1; ce[e]++
                    for (j = 1; j <= nc[e]; j++) if (index($4, ct[e, j])) co[e, ct[e, j]]++ } }
            END { for (k in co) if (co[k] >= 2) { split(k, q, SUBSEP)
                      printf "%s\t%s\t%d\n", q[1], q[2], int(2000000 * co[k] / (ce[q[1]] + f[q[2]])) } }' > "$W/dice.$l" ;;
    esac
    rm -f "$W/pivotwords.$l"
    # choose per English word: best translation COPIES times, the second once when >= best / 4; an
    # English word without a direct candidate takes its pivot candidates (pcand), chosen the same way
    awk -F '\t' -v OFS='\t' -v l="$l" -v freq="$W/freq.$l" -v top="$W/en.top" -v copies="$COPIES" \
        -v dice="$W/dice.$l" -v pcand="$W/pcand.$l" -v pout="$W/pivotwords.$l" \
        -v cjk="$(case $l in zh-Hans | ja | ko) echo 1 ;; *) echo 0 ;; esac)" '
        BEGIN { while ((getline s < freq) > 0) { split(s, p, "\t"); f[p[1]] = p[2] + 0 }
                while ((getline s < dice) > 0) { split(s, p, "\t"); d[p[1], p[2]] = p[3] + 0 }
                r = 0; while ((getline s < top) > 0) { split(s, p, "\t"); rank[p[1]] = ++r } }
        function fr(e, t,   m, w, i, v, lo) {
            if (cjk) return d[e, t] + 0
            m = split(t, w, / +/); lo = -1
            for (i = 1; i <= m; i++) { v = f[w[i]] + 0; if (lo < 0 || v < lo) lo = v }
            return lo }
        function take(e, t,   v) {
            v = fr(e, t); if (v < 1) return
            if ((e in b1) && t == b1[e] || (e in b2) && t == b2[e]) return
            if (!(e in b1) || v > v1[e] || (v == v1[e] && t < b1[e])) {
                if (e in b1) { b2[e] = b1[e]; v2[e] = v1[e] }
                b1[e] = t; v1[e] = v
            } else if (!(e in b2) || v > v2[e] || (v == v2[e] && t < b2[e])) { b2[e] = t; v2[e] = v } }
        { take($1, $2) }
        END {
            for (e in b1) direct[e] = 1
            while ((getline s < pcand) > 0) { split(s, p, "\t"); if (!(p[1] in direct)) take(p[1], p[2]) }
            for (e in b1) {
                for (c = 0; c < copies; c++) print rank[e], 0, c, "en", e, l, b1[e]
                if ((e in b2) && 4 * v2[e] >= v1[e]) print rank[e], 1, 0, "en", e, l, b2[e]
                if (!(e in direct)) print e, b1[e], v1[e], ((e in b2) && 4 * v2[e] >= v1[e]) ? b2[e] : "-" > pout
            } }' "$W/cand.$l" | sort -t "$(printf '\t')" -k1,1n -k2,2n -k3,3n | cut -f 4- > "$W/pairs.$l"
    [ -r "$W/pivotwords.$l" ] && sort -o "$W/pivotwords.$l" "$W/pivotwords.$l"
    touch "$W/pivotwords.$l"
    awk -F '\t' '!seen[$2]++ { print $2 "\t" $4 }' "$W/pairs.$l" > "$W/best.$l"
    cat "$W/pairs.$l" >> "$OUT/wordpairs.tsv.tmp"
    printf '%s\t%s\t%s\t%s\t%s' "$l" "$(wc -l < "$W/cand.$l")" "$(wc -l < "$W/best.$l")" \
        "$(awk -F '\t' -v c="$COPIES" '{ n[$2]++ } END { s = 0; for (e in n) if (n[e] > c) s++; print s }' "$W/pairs.$l")" \
        "$(wc -l < "$W/pairs.$l")" >> "$OUT/counts.tsv.tmp"
    printf '\t%s\t%s\n' "$(wc -l < "$W/pcand.$l")" "$(wc -l < "$W/pivotwords.$l")" >> "$OUT/counts.tsv.tmp"
    echo "$l: $(wc -l < "$W/best.$l") English words with a translation, $(wc -l < "$W/pairs.$l") lines" >&2
done

# ---- pivot pairs: the best translations of one English word in two core languages
set -- $CORE
for a in "$@"; do
    shift
    for b in "$@"; do
        awk -F '\t' -v OFS='\t' -v a="$a" -v b="$b" -v top="$W/en.top" -v pt="$PIVOT_TOP" -v fb="$W/best.$b" '
            BEGIN { r = 0; while ((getline s < top) > 0 && r < pt) { split(s, p, "\t"); keep[p[1]] = ++r }
                    while ((getline s < fb) > 0) { split(s, p, "\t"); tb[p[1]] = p[2] } }
            ($1 in keep) && ($1 in tb) && $2 != tb[$1] { print keep[$1], a, $2, b, tb[$1] }' "$W/best.$a"
    done
done | sort -t "$(printf '\t')" -k1,1n -k2,2 -k4,4 | cut -f 2- > "$W/pivot"
cat "$W/pivot" >> "$OUT/wordpairs.tsv.tmp"
printf 'pivot\t-\t-\t-\t%s\t-\t-\n' "$(wc -l < "$W/pivot")" >> "$OUT/counts.tsv.tmp"
mv "$OUT/counts.tsv.tmp" "$OUT/counts.tsv"
mv "$OUT/wordpairs.tsv.tmp" "$OUT/wordpairs.tsv"
(cd "$OUT" && sha256sum wordpairs.tsv > wordpairs.tsv.sha256)
echo "wrote $OUT/wordpairs.tsv: $(wc -l < "$OUT/wordpairs.tsv") pairs" >&2
