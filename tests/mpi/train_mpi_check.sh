#!/bin/sh
# train_mpi_check.sh XLREC_MPI_BIN - data-parallel training over MPI equals one process with the
# combined batch: `mpirun -np 2` with --batch 4 (2 examples per rank) against one process with
# --batch 4, all three objectives, dropout 0 (each rank draws its own dropout masks, so with
# dropout the runs differ by design).  Checked: every step's loss, rank, mlm and tlm values
# (printed with 4 decimals) within 2e-4, and the trained models' embeddings of a few sentences
# within 1e-4; and a run stopped after 6 steps and resumed under MPI gives the same model bytes.
# Run by `make MPI=1 BUILD=build/mpi mpi-test`.
set -eu
bin=${1:?usage: train_mpi_check.sh XLREC_MPI_BIN}
np=${NP:-2}
dir=$(mktemp -d "${TMPDIR:-/tmp}/xlrec-mpi-XXXXXX")
trap 'rm -rf "$dir"' EXIT
printf '[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\nthe\ncat\ndog\nle\nchat\nchien\na\nhouse\nmaison\nred\nrouge\nblue\nbleu\nbig\ngrand\n' >"$dir/vocab.txt"
printf 'en\tthe cat\tfr\tle chat\nen\tthe dog\tfr\tle chien\nen\ta house\tfr\ta maison\nen\tred cat\tfr\tchat rouge\nen\tblue dog\tfr\tchien bleu\nen\tbig house\tfr\tgrand maison\nen\tthe red house\tfr\tle maison rouge\nen\ta blue cat\tfr\ta chat bleu\n' >"$dir/pairs.tsv"
printf 'the red cat\nle chien bleu\na big house\n' >"$dir/text.txt"
args="train-encoder --config layers=2,hidden=16,heads=2,ffn=32,max-position=32 --vocab $dir/vocab.txt
  --pairs $dir/pairs.tsv --objective rank:1,mlm:0.5,tlm:0.5 --batch 4 --steps 12 --warmup 2 --lr 0.01
  --max-len 16 --dropout 0 --seed 5 --log-every 1 --threads 1"
"$bin" $args -o "$dir/one.xlm" 2>"$dir/one.log"
mpirun ${MPIRUN_FLAGS:---oversubscribe} -np "$np" "$bin" $args -o "$dir/many.xlm" 2>"$dir/many.log"
"$bin" embed -m "$dir/one.xlm" "$dir/text.txt" >"$dir/one.emb"
"$bin" embed -m "$dir/many.xlm" "$dir/text.txt" >"$dir/many.emb"
# the numbers after loss/rank/mlm/tlm on every step line
nums() { sed -n 's/^step \([0-9]*\)\/[0-9]*  loss \([^ ]*\)  rank \([^ ]*\)  mlm \([^ ]*\)  tlm \([^ ]*\) .*/\1 \2 \3 \4 \5/p' "$1"; }
nums "$dir/one.log" >"$dir/one.num"
nums "$dir/many.log" >"$dir/many.num"
[ "$(wc -l <"$dir/one.num")" -eq 12 ] || { echo "FAIL: one process printed $(wc -l <"$dir/one.num") step lines"; exit 1; }
paste "$dir/one.num" "$dir/many.num" | awk '
  { for (i = 2; i <= 5; i++) { d = $i - $(i + 5); if (d < 0) d = -d; if (d > max) max = d; if (d > 2e-4) bad = bad " step " $1 } }
  END { printf "loss curve, %d steps: max |one - mpi| = %.1e\n", NR, max; if (bad != "") { print "FAIL:" bad; exit 1 } }'
paste "$dir/one.emb" "$dir/many.emb" | awk -F'\t' '
  { n = NF / 2; for (i = 1; i <= n; i++) { d = $i - $(i + n); if (d < 0) d = -d; if (d > max) max = d } }
  END { printf "embeddings of the trained models: max |one - mpi| = %.1e\n", max; if (max > 1e-4) { print "FAIL"; exit 1 } }'
# stop after 6 steps under MPI and resume: the same model bytes as the uninterrupted MPI run
mpirun ${MPIRUN_FLAGS:---oversubscribe} -np "$np" "$bin" $args --stop-after 6 --checkpoint "$dir/half.ckpt" \
    -o "$dir/half.xlm" 2>/dev/null
mpirun ${MPIRUN_FLAGS:---oversubscribe} -np "$np" "$bin" $args --resume "$dir/half.ckpt" -o "$dir/resumed.xlm" \
    2>/dev/null
cmp -s "$dir/many.xlm" "$dir/resumed.xlm" || { echo "FAIL: stop + --resume under MPI differs"; exit 1; }
echo "stop after 6 steps + --resume under mpirun -np $np: model bytes identical"
echo "OK: mpirun -np $np equals one process with the combined batch"
