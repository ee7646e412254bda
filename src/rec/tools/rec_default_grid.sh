#!/bin/sh
# rec_default_grid.sh - the measurements behind the ALS and BPR defaults (docs/recommender.md,
# "ALS and BPR defaults", issue 17).
#
# For one data set: the per-user 75/25 test split (seed 42) is written with --write-split; the
# validation split that --tune uses (per-user 20 % of the training part, seed 42 + 1000) is
# validation.csv; fit.csv = train.csv minus validation.csv.  Every grid point is fitted on fit.csv
# and scored on validation.csv (`xlrec eval --train fit.csv --test validation.csv`): test.csv is
# never looked at.  Points run in order of interest, ALS and BPR interleaved, and a point whose
# JSON exists is skipped, so an interrupted run resumes.
#
# usage: src/rec/tools/rec_default_grid.sh ml|km|bx [WORK]
# Environment: XLREC (build/xlrec), XLREC_SHARED (../shared; the data in its data/), FACTORS (32),
#   THREADS (1), NICE (nice -n 10; empty for normal priority).
# Output: WORK/SET/val_*.json (WORK default build/rec_grid) and a TSV on stdout:
#   set model params validation_ndcg ratio_to_popularity
# Shell, Python 3 (standard library, to subtract validation.csv from train.csv) and build/xlrec.
set -eu
cd "$(dirname "$0")/../../.."
XLREC=${XLREC:-build/xlrec}
S=${XLREC_SHARED:-../shared}/data/rec
F=${FACTORS:-32}
T=${THREADS:-1}
NICE=${NICE-nice -n 10}
SET=${1:?usage: rec_default_grid.sh ml|km|bx [WORK]}
W=${2:-build/rec_grid}/$SET
case $SET in
ml) D="--ratings $S/ml_latest_small/ratings.csv --user-col userId --item-col movieId --rating-col rating --time-col timestamp --items $S/ml_latest_small/movies.csv" ;;
km) D="--ratings $S/kmrd_small/rates.csv --user-col user --item-col movie --rating-col rate --time-col time --items $S/kmrd_small/movies.txt --item-sep tab --item-no-quote" ;;
bx) D="--ratings $S/bookcrossing_subset/BX-Ratings.csv --user-col User-ID --item-col ISBN --rating-col Book-Rating --items $S/bookcrossing_subset/BX-Books.items_lang.tsv --item-sep tab --item-no-quote --item-id-col ISBN" ;;
*) echo "rec_default_grid.sh: unknown set '$SET' (ml, km, bx)" >&2; exit 2 ;;
esac
mkdir -p "$W"
[ -f "$W/split/fit.csv" ] || {
    $NICE $XLREC eval $D --models popularity --protocol ratio --test-ratio 0.25 -k 10 --threads "$T" --quiet \
        --write-split "$W/split" --json "$W/pop_test.json" > /dev/null
    python3 - "$W/split" <<'PY'
import sys
d = sys.argv[1]
val = open(d + '/validation.csv').read().splitlines()[1:]
vs = set(val)
tr = open(d + '/train.csv').read().splitlines()
out = [tr[0]] + [l for l in tr[1:] if l not in vs]
assert len(out) - 1 + len(val) == len(tr) - 1, 'validation.csv is not a part of train.csv'
open(d + '/fit.csv', 'w').write('\n'.join(out) + '\n')
PY
}
V="--train $W/split/fit.csv --test $W/split/validation.csv --items $W/split/items.csv -k 10 --threads $T --quiet"
run() { # name, options
    [ -f "$W/val_$1.json" ] || $NICE $XLREC eval $V $2 --json "$W/val_$1.json" > /dev/null
}
run pop "--models popularity"
als() { run "als_a$1_r$2" "--models als --factors $F --als-alpha $1 --als-reg $2"; }
bpr() { run "bpr_lr$1_r$2" "--models bpr --factors $F --bpr-lr $1 --bpr-reg $2 --bpr-epochs 100"; }
als 10 1; bpr 0.1 0.01
als 1 100; bpr 0.05 0.01
als 10 10; bpr 0.1 0.001
als 10 100; bpr 0.1 0.1
als 1 10; bpr 0.05 0.001
als 40 100; bpr 0.05 0.1
als 40 10
als 1 1
# third round (docs/recommender.md "Third round"): factor counts, BPR epochs, high-lambda ALS
pt() { run "$1" "$2"; }
pt knn_default "--models itemknn"
pt bpr_f32_e300 "--models bpr --factors 32 --bpr-epochs 300"
pt bpr_f64 "--models bpr --factors 64 --bpr-epochs 100"
pt bpr_f100_e300 "--models bpr --factors 100 --bpr-epochs 300"
pt als_f16_a10_r100 "--models als --factors 16 --als-alpha 10 --als-reg 100"
pt bpr_f64_e300 "--models bpr --factors 64 --bpr-epochs 300"
pt als_f32_a10_r1000 "--models als --factors 32 --als-alpha 10 --als-reg 1000"
pt als_f64_a10_r100 "--models als --factors 64 --als-alpha 10 --als-reg 100"
pt als_f100_default "--models als --factors 100 --als-alpha 10 --als-reg 100"
pt als_f8_a10_r100 "--models als --factors 8 --als-alpha 10 --als-reg 100"
pt als_f32_a3_r300 "--models als --factors 32 --als-alpha 3 --als-reg 300"
pt als_f32_a1_r1000 "--models als --factors 32 --als-alpha 1 --als-reg 1000"
pt bpr_f64_lr0.05_e300 "--models bpr --factors 64 --bpr-lr 0.05 --bpr-epochs 300"
pt als_f32_a10_r300 "--models als --factors 32 --als-alpha 10 --als-reg 300"
pt als_f32_a10_r500 "--models als --factors 32 --als-alpha 10 --als-reg 500"
python3 - "$W" "$SET" <<'PY'
import glob, json, os, sys
w, name = sys.argv[1], sys.argv[2]
def ndcg(p):
    return [r for r in json.load(open(p))['results'] if r['subset'] == 'all'][0]['ndcg']
pop = ndcg(w + '/val_pop.json')
for p in sorted(glob.glob(w + '/val_*.json')):
    tag = os.path.basename(p)[4:-5]
    v = ndcg(p)
    print('%s\t%s\t%s\t%.4f\t%.2f' % (name, tag.split('_')[0], '_'.join(tag.split('_')[1:]), v, v / pop))
PY
