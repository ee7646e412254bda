#!/bin/sh
# eval_default_model.sh - cross-lingual sentence retrieval P@1 of a word-vector model on the data held out
# by build_default_model.sh ($WORK/heldout: LibreOffice help slice, UDHR articles 3, 6, ..., 30) and on
# multi30k test_2016_flickr (en/de/fr; not registry data: evaluation only).
#
#   sh weights/tools/eval_default_model.sh [MODEL]      # default weights/default/xlrec-default-xl12.f16
#
# Prints one markdown row per set and pair: n, P@1 src->tgt and tgt->src with cosine, then with CSLS
# (k = 10), SIF pooling (a = 1e-3, Zipf weights from the row rank; `xlrec eval-retrieval` defaults).
# Environment: XLREC, XLREC_SHARED (../shared), WORK (as for the build), POOLING (sif|mean), THREADS.
set -eu
XLREC=${XLREC:-build/xlrec}
DATA=${XLREC_SHARED:-../shared}/data
WORK=${WORK:-build/default_model}
MODEL=${1:-weights/default/xlrec-default-xl12.f16}
POOLING=${POOLING:-sif}
THREADS=${THREADS:-2}
H=$WORK/heldout
[ -d "$H" ] || { echo "eval_default_model: $H missing: run weights/tools/build_default_model.sh first" >&2; exit 1; }

# one eval-retrieval run -> "P@1 a->b / P@1 b->a"
p1() { # src tgt [--csls]
    nice "$XLREC" eval-retrieval --src "$1" --tgt "$2" --word-vectors "$MODEL" --pooling "$POOLING" \
        --threads "$THREADS" ${3:-} 2>/dev/null |
        awk '/P@1/ { for (i = 1; i < NF; i++) if ($i == "P@1") v[++n] = $(i + 1) }
             END { printf "%s / %s", v[1], v[2] }'
}
row() { # set pair src tgt
    n=$(wc -l < "$3")
    echo "| $1 | $2 | $n | $(p1 "$3" "$4") | $(p1 "$3" "$4" --csls) |"
}

echo "| set | pair | n | P@1 cos a->b / b->a | P@1 CSLS a->b / b->a |"
echo "|---|---|---|---|---|"
for f in "$H"/lo.*.ids; do
    p=$(basename "$f" .ids); p=${p#lo.}; a=${p%-*}; b=${p#*-}
    row "LibreOffice help (held out)" "$p" "$H/lo.$p.$a" "$H/lo.$p.$b"
done
for f in "$H"/udhr.*-*; do
    case $f in *.??|*.??_??) continue ;; esac
    p=${f##*/udhr.}; a=${p%-*}; b=${p#*-}
    row "UDHR arts 3,6..30" "$p" "$H/udhr.$p.$a" "$H/udhr.$p.$b"
done
M=$DATA/parallel/multi30k_task1
if [ -r "$M/test_2016_flickr.en.gz" ]; then
    for l in en de fr; do gzip -dc "$M/test_2016_flickr.$l.gz" > "$H/m30k.$l"; done
    row "multi30k test2016" en-de "$H/m30k.en" "$H/m30k.de"
    row "multi30k test2016" en-fr "$H/m30k.en" "$H/m30k.fr"
    row "multi30k test2016" de-fr "$H/m30k.de" "$H/m30k.fr"
fi
