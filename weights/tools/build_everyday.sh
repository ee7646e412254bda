#!/bin/sh
# build_everyday.sh - everyday parallel phrases and sentences from Debian packages for the default encoder
# (docs/default-encoder.md, "Everyday sentences"; docs/corpus.md, "Everyday sources").
#
#   sh weights/tools/build_everyday.sh [OUT_DIR]
#
# Why: the registry corpus is software UI strings; the encoder retrieves everyday captions poorly.  These
# packages hold translated everyday text the corpus build did not read (its gettext rule looks only under
# usr/share/locale/ and excludes packages over 60 MB):
#   ding       trans-de-en (Ding German-English dictionary, GPL-2+): every entry line "de | de... :: en | en..."
#              has aligned " | " sections (headword, inflections, phrases, example sentences); sections are
#              split at "; " into alternatives (each German alternative with the first English one, the first
#              German with each English one), stripped of {gram} [tag] <variant> (note) ~ref; lines carrying a
#              tag outside the everyday list below (techn. med. chem. comp. bot. zool. ...) are left out, and
#              alternatives with placeholders (jdn. etw. sb. sth.), "/" variants or "...".  Kept: example
#              sentences (German of 3+ words and both sides ending in . ! ?) and phrases (2+ words a side);
#              single words are the word curriculum's job (build_wordpairs.sh).  de only.
#   tuxpaint   tuxpaint-stamps-default (GPL-2): the description of every stamp (an everyday object, animal,
#              food ...), stamps/**/NAME.txt: line 1 English, then "xx.utf8=translation".
#   wesnoth    the campaign packages wesnoth-1.16-* (GPL-2): story dialogue and narration of the campaigns,
#              gettext catalogues under usr/share/games/wesnoth/1.16/locale/XX/LC_MESSAGES/ (xlrec mo-dump).
#              Messages with leftover markup or variables ($name, {X}) are left out.
# Languages: de fr es it pt ru zh-Hans ja ko ar (pt_BR counts as pt, zh_CN as zh-Hans).
#
# Output under OUT_DIR (default /work/data-everyday/out):
#   everyday.tsv     en<TAB>english<TAB>XX<TAB>text (the training pair format), sorted by language, source,
#                    English text
#   everyday.src     the source of each line (ding-sentence, ding-phrase, tuxpaint, wesnoth), same order
#   counts.tsv       lines per language and source: input, after each filter, written
#   manifest.tsv     package, version, sha256 of every .deb read
#   everyday.tsv.sha256, src/ (downloads), work/
# Filters (as build_corpus.sh, corpus_lib.awk): clean(); placeholder (no letters left), identical (same
# normalised text), short (English under 2 words or 4 letters, translation under 3 letters, CJK 1), long
# (MAX_BYTES, default 300, either side: one training line is 64 tokens), ratio (character-length ratio
# outside [1/3, 3] after CJK scaling, +10 slack), duplicate (same language, normalised English and
# translation: the first in source order ding, tuxpaint, wesnoth).
# Exclusions: the debian-handbook package and anything named multi30k / flickr30k are refused (manifest
# check).  Determinism: LC_ALL=C, no random step, every list sorted: same packages, same bytes.
set -eu
OUT=${1:-/work/data-everyday/out}
XLREC=${XLREC:-build/xlrec}
MAX_BYTES=${MAX_BYTES:-300}
WESNOTH_CAMPAIGNS=${WESNOTH_CAMPAIGNS:-"did dm dw ei httt l low nr sof sota sotbe thot trow tsg ttb utbs"}
SOURCES=${SOURCES:-"ding tuxpaint wesnoth"}
TOOLS=$(cd "$(dirname "$0")" && pwd)
export LC_ALL=C
die() { echo "build_everyday.sh: $*" >&2; exit 1; }
. "$TOOLS/registry_lib.sh"   # deb_fetch
W=$OUT/work
R=$OUT/src/root
mkdir -p "$W"
rm -f "$OUT/src/debs.tsv" "$W"/rows.*
T=$(printf '\t')

# core language of a locale directory name, or nothing
core_of() { case $1 in de | fr | es | it | ru | ja | ko | ar) echo "$1" ;; pt | pt_BR) echo pt ;; zh_CN) echo zh-Hans ;; *) ;; esac; }

for s in $SOURCES; do
    case $s in
    ding)
        deb_fetch trans-de-en
        [ -r "$R/usr/share/trans/de-en" ] || die "no $R/usr/share/trans/de-en"
        awk -F ' :: ' -v OFS='\t' '
            BEGIN { split("Br. Am. ugs. coll. cook. soc. geh. sport fig. formal humor. pej. slang school Dt. Schw. Ös. " \
                          "Austr. Norddt. Süddt. Bayr. eAm. Sc. Irish Can. Aus. NZ ironic übtr. selten rare dated", T, " ")
                    for (i in T) ok["[" T[i] "]"] = 1 }
            function clean(s) {
                gsub(/\{[^}]*\}|\[[^]]*\]|<[^>]*>|\([^)]*\)/, "", s); gsub(/(^| )~[^ ]*/, "", s)
                gsub(/  +/, " ", s); gsub(/^ +| +$/, "", s); gsub(/ +([.,!?;:])/, "\\1", s); return s }
            function bad(s) { return s == "" || s ~ /[\/{}()<>\[\]]/ || s ~ /\.\.\.|\342\200\246/ ||
                                     s ~ /(^| )(jd[mnrs]?|etw|sb|sth|jds|sb.s)\.?( |$)/ }
            /^#/ || NF != 2 { next }
            { t = $0; keep = 1
              while (match(t, /\[[^]]*\]/)) { tag = substr(t, RSTART, RLENGTH); t = substr(t, RSTART + RLENGTH); if (!(tag in ok)) { keep = 0; break } }
              if (!keep) next
              n = split($1, D, / \| /); m = split($2, E, / \| /); if (n != m) next
              for (i = 1; i <= n; i++) {
                  nd = split(D[i], d, /; /); ne = split(E[i], e, /; /)
                  for (j = 1; j <= nd; j++) d[j] = clean(d[j]); for (j = 1; j <= ne; j++) e[j] = clean(e[j])
                  for (j = 1; j <= nd; j++) for (k = 1; k <= ne; k++) {
                      if (j > 1 && k > 1 || bad(d[j]) || bad(e[k])) continue
                      wd = split(d[j], x, / /); we = split(e[k], x, / /)
                      if (d[j] ~ /[.!?]["\047]?$|[.!?]\342\200[\234\235\231]$/ && e[k] ~ /[.!?]["\047]?$|[.!?]\342\200[\234\235\231]$/ && wd >= 3)
                          print "ding-sentence", "en", e[k], "de", d[j]
                      else if (wd >= 2 && we >= 2) print "ding-phrase", "en", e[k], "de", d[j] } } }' \
            "$R/usr/share/trans/de-en" > "$W/rows.ding" ;;
    tuxpaint)
        deb_fetch tuxpaint-stamps-default
        find "$R/usr/share/tuxpaint/stamps" -name '*.txt' | sort > "$W/tuxpaint.files"
        [ -s "$W/tuxpaint.files" ] || die "no stamp descriptions under $R/usr/share/tuxpaint/stamps"
        tr '\n' '\0' < "$W/tuxpaint.files" | xargs -0 awk -v OFS='\t' '
                BEGIN { m["de"] = "de"; m["fr"] = "fr"; m["es"] = "es"; m["it"] = "it"; m["pt"] = "pt"; m["pt_BR"] = "pt"
                        m["ru"] = "ru"; m["zh_CN"] = "zh-Hans"; m["ja"] = "ja"; m["ko"] = "ko"; m["ar"] = "ar" }
                { sub(/\r$/, "") }
                FNR == 1 { en = $0; gsub(/\t/, " ", en); next }
                /^[A-Za-z_@]+\.utf8=/ { l = $0; sub(/\.utf8=.*/, "", l); if (!(l in m)) next
                    t = $0; sub(/^[^=]*=/, "", t); gsub(/\t/, " ", t)
                    if (en != "" && t != "") print "tuxpaint", "en", en, m[l], t }' > "$W/rows.tuxpaint" ;;
    wesnoth)
        deb_fetch $(for c in $WESNOTH_CAMPAIGNS; do echo "wesnoth-1.16-$c"; done)
        : > "$W/rows.wesnoth"
        for d in $(ls -d "$R"/usr/share/games/wesnoth/1.16/locale/*/ | sort); do
            l=$(core_of "$(basename "$d")")
            [ -n "$l" ] || continue
            ls "$d"LC_MESSAGES/*.mo 2> /dev/null | sort | "$XLREC" mo-dump --list - |
                awk -F '\t' -v OFS='\t' -v l="$l" '$4 == "" && $3 != "" && $5 != "" {
                    gsub(/\\[ntr]/, " ", $3); gsub(/\\[ntr]/, " ", $5); print "wesnoth", "en", $3, l, $5 }' >> "$W/rows.wesnoth"
        done ;;
    *) die "unknown source $s (ding tuxpaint wesnoth)" ;;
    esac
    echo "$s: $(wc -l < "$W/rows.$s") rows" >&2
done

# ---- exclusions: no debian-handbook, nothing named multi30k / flickr30k
sort -u "$OUT/src/debs.tsv" > "$OUT/manifest.tsv"
if cut -f 1 "$OUT/manifest.tsv" | grep -E '^debian-handbook$' > /dev/null; then die "debian-handbook in the manifest"; fi
if grep -i 'multi30k\|flickr30k' "$OUT/manifest.tsv" > /dev/null; then die "multi30k data in the manifest"; fi

# ---- filters (corpus_lib.awk), then duplicates (first in source order), then sort
for s in $SOURCES; do cat "$W/rows.$s"; done |
awk -F '\t' -v OFS='\t' -v maxb="$MAX_BYTES" -v cnt="$W/counts.raw" -f "$TOOLS/corpus_lib.awk" -f /dev/fd/3 3<<'AWK' > "$W/kept.tsv"
BEGIN { lib_init() }
function count(stage) { N[$4 "\t" $1 "\t" stage]++ }
NF == 5 {
    count("input")
    e = clean($3); t = clean($5)
    if (letters(e) == 0 || letters(t) == 0 || e ~ /[$<>{}]/ || t ~ /[$<>{}]/) { count("placeholder"); next }
    en = norm(e); tn = norm(t)
    if (en == tn || e == t) { count("identical"); next }
    f = cjk_factor($4)
    if (split(e, w, " ") < 2 || letters(e) < 4 || letters(t) < (f > 1 ? 1 : 3)) { count("short"); next }
    if (length(e) > maxb || length(t) > maxb) { count("long"); next }
    r = (nchars(t) * f + 10) / (nchars(e) + 10)
    if (r < 1 / 3 || r > 3) { count("ratio"); next }
    if (($4, en, tn) in seen) { count("duplicate"); next }
    seen[$4, en, tn] = 1
    count("written")
    print $4, $1, e, t
}
END { for (k in N) print k "\t" N[k] > cnt }
AWK
sort -t "$T" -k1,1 -k2,2 -k3,3 -k4,4 "$W/kept.tsv" > "$W/sorted.tsv"
awk -F '\t' -v OFS='\t' '{ print "en", $3, $1, $4 }' "$W/sorted.tsv" > "$OUT/everyday.tsv.tmp"
cut -f 2 "$W/sorted.tsv" > "$OUT/everyday.src.tmp"
# counts.tsv: lang source input placeholder identical short long ratio duplicate written
awk -F '\t' -v OFS='\t' '
    { n[$1 "\t" $2, $3] = $4; k[$1 "\t" $2] = 1 }
    END { split("input placeholder identical short long ratio duplicate written", S, " ")
          for (x in k) { line = x; for (i = 1; i <= 8; i++) line = line "\t" (n[x, S[i]] + 0); print line } }' "$W/counts.raw" |
    sort > "$W/counts.body"
{ printf 'lang\tsource\tinput\tplaceholder\tidentical\tshort\tlong\tratio\tduplicate\twritten\n'; cat "$W/counts.body"
  awk -F '\t' -v OFS='\t' '{ for (i = 3; i <= 10; i++) s[i] += $i } END { printf "all\tall"; for (i = 3; i <= 10; i++) printf "\t%d", s[i]; print "" }' "$W/counts.body"
} > "$OUT/counts.tsv"
mv "$OUT/everyday.src.tmp" "$OUT/everyday.src"
mv "$OUT/everyday.tsv.tmp" "$OUT/everyday.tsv"
(cd "$OUT" && sha256sum everyday.tsv > everyday.tsv.sha256)
echo "wrote $OUT/everyday.tsv: $(wc -l < "$OUT/everyday.tsv") pairs" >&2
