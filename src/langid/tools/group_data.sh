#!/bin/sh
# group_data.sh TRAIN.tsv DEV.tsv OUTDIR NAME "l1 l2 ..." - issue 14, two-stage language ID: the training and
# dev lines of one neighbour group (the listed languages and their domain classes l_N), for a group model:
#   xlrec langid-train ... --dev OUTDIR/NAME.dev.tsv --out NAME.xlid OUTDIR/NAME.train.tsv
# The lines keep their order and bytes (grep of whole tags), so the group model is a deterministic function
# of the full training file.  Groups measured (docs/langid.md, fifth round): ibero "ca es gl pt",
# nordic "da nb nn sv", cyr "bg ru uk mk sr be", nguni "xh zu".
set -eu
[ $# -eq 5 ] || { echo "usage: group_data.sh TRAIN.tsv DEV.tsv OUTDIR NAME \"l1 l2 ...\"" >&2; exit 2; }
train=$1 dev=$2 out=$3 name=$4
pat=$(printf '%s' "$5" | sed 's/  */|/g')
mkdir -p "$out"
[ -e "$out/$name.train.tsv" ] && { echo "group_data.sh: $out/$name.train.tsv exists" >&2; exit 1; }
grep -E "^($pat)(_[0-9]+)?	" "$train" > "$out/$name.train.tsv"
grep -E "^($pat)(_[0-9]+)?	" "$dev" > "$out/$name.dev.tsv"
