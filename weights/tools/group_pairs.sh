#!/bin/sh
# group_pairs.sh - order a pairs file so that sentences sharing words are adjacent, for
# `xlrec train-encoder --batch-order grouped` (docs/training.md "Batch order"): every run of
# --batch consecutive lines becomes one micro-batch, so the ranking loss's in-batch negatives of a
# sentence include sentences with its rarest words (hard negatives, as ANCE / LaBSE's hard-negative
# mining, here by shared vocabulary instead of a model's neighbours).
#
#   sh weights/tools/group_pairs.sh [-f FIELD] IN.tsv > OUT.tsv
#
# IN: lang1<TAB>text1<TAB>lang2<TAB>text2 lines (train-encoder's --pairs format); FIELD (default 2)
# is the text column whose words decide the grouping.  OUT holds the same lines, reordered.
#
# Key of a line: the words of its FIELD text (ASCII lower-cased, split at ASCII characters that
# are not letters or digits; bytes >= 0x80 belong to words, so UTF-8 words stay whole), each
# counted once per line; df(w) = lines whose FIELD has w.  The line's key is its rarest SHARED
# word (smallest df >= 2, ties by the word's bytes), then its second rarest shared word.  Lines
# are sorted by
#   1. round: the k-th copy of an identical FIELD text goes to round k (copies of one sentence,
#      e.g. one English sentence code-switched into ten languages, never share a batch: each
#      would be the other's false negative),
#   2. no shared word last (grouped by lang1 only: texts written without spaces, such as zh/ja,
#      share a "word" only when identical),
#   3. the rarest shared word, 4. the second, 5. the line number.
# So the lines of a key are consecutive and a micro-batch of B lines holds runs of sentences that
# share a rare word.  No random step (LC_ALL=C; awk and sort only): the same file gives the same
# order; train-encoder shuffles the blocks with its --seed.  Memory: one awk array entry per
# distinct word and per distinct FIELD text; sort spills to disk.
set -eu
export LC_ALL=C
FIELD=2
while getopts f: opt; do
    case $opt in
    f) FIELD=$OPTARG ;;
    *) echo "usage: sh group_pairs.sh [-f FIELD] IN.tsv > OUT.tsv" >&2; exit 2 ;;
    esac
done
shift $((OPTIND - 1))
[ $# -eq 1 ] || { echo "usage: sh group_pairs.sh [-f FIELD] IN.tsv > OUT.tsv" >&2; exit 2; }
IN=$1
[ -r "$IN" ] || { echo "group_pairs.sh: cannot read $IN" >&2; exit 1; }
case $FIELD in '' | *[!0-9]*) echo "group_pairs.sh: -f needs a column number" >&2; exit 2 ;; esac
TAB=$(printf '\t')
KEYED=${TMPDIR:-/tmp}/group_pairs.$$
trap 'rm -f "$KEYED"' EXIT HUP INT TERM
awk -F '\t' -v f="$FIELD" '
    function words(s, w,   n, i, k, seen, t) {   # distinct words of s into w[1..k]; returns k
        n = split(tolower(s), t, /[^a-z0-9\200-\377]+/); k = 0
        for (i = 1; i <= n; i++) if (t[i] != "" && !(t[i] in seen)) { seen[t[i]] = 1; w[++k] = t[i] }
        return k }
    NR == FNR { n = words($f, w); for (i = 1; i <= n; i++) df[w[i]]++; next }
    {
        if (NF < f) { printf "group_pairs.sh: %s:%d: no column %d\n", FILENAME, FNR, f > "/dev/stderr"; exit 1 }
        round = copies[$f]++
        n = words($f, w); k1 = ""; k2 = ""; d1 = 0; d2 = 0
        for (i = 1; i <= n; i++) {
            d = df[w[i]]; if (d < 2) continue
            if (k1 == "" || d < d1 || (d == d1 && w[i] < k1)) { k2 = k1; d2 = d1; k1 = w[i]; d1 = d }
            else if (k2 == "" || d < d2 || (d == d2 && w[i] < k2)) { k2 = w[i]; d2 = d }
        }
        if (k1 == "") printf "%09d\t1\t%s\t\t%012d\t%s\n", round, $1, FNR, $0
        else printf "%09d\t0\t%09d %s\t%09d %s\t%012d\t%s\n", round, d1, k1, d2, k2, FNR, $0
    }' "$IN" "$IN" > "$KEYED"
sort -t "$TAB" -k1,1 -k2,2 -k3,3 -k4,4 -k5,5 "$KEYED" | cut -f 6-
