#!/bin/sh
# compare_vocab_train.sh - `xlrec vocab train` against HuggingFace tokenizers'
# WordPieceTrainer (npm `tokenizers`, through hf_vocab_train.js).
#
#   NODE_PATH=/path/to/node_modules tokenizer/tools/compare_vocab_train.sh OUTDIR CORPUS [FLAGS]
#
# FLAGS: "" (cased), "--lowercase", "--lowercase --strip-accents no", ...
# (the same words are passed to both trainers).  Prints one line:
#   corpus flags | HF tokens | replay: identical? | default: same token set? common prefix
# "replay" runs xlrec with --continuation-order taken from the HF run (HF
# numbers the ##c tokens in hash-map order, different every run); "default"
# runs xlrec in its own deterministic (code point) order.  The binding's only
# trainer is the default one: vocab_size 30000, no special tokens, no alphabet
# limit, min_frequency 0; any smaller --vocab-size is a prefix of its output.
set -eu
out=$1 corpus=$2 flags=${3:-}
here=$(cd "$(dirname "$0")" && pwd)
xlrec=${XLREC_BIN:-$here/../../build/xlrec}
mkdir -p "$out"
name=$(basename "$corpus" .txt)$(echo "$flags" | tr -d ' -')
hf_flags=
case "$flags" in *--lowercase*) hf_flags="--lowercase" ;; esac
case "$flags" in *"--strip-accents no"*) hf_flags="$hf_flags --strip-accents 0" ;; *"--strip-accents yes"*) hf_flags="$hf_flags --strip-accents 1" ;; esac
case "$flags" in *"--chinese-chars no"*) hf_flags="$hf_flags --no-chinese-chars" ;; esac
# shellcheck disable=SC2086
node "$here/hf_vocab_train.js" $hf_flags --out "$out/$name.hf.txt" "$corpus" >/dev/null
# shellcheck disable=SC2086
"$xlrec" vocab train -q --special-tokens "" $flags --continuation-order "$out/$name.hf.txt" -o "$out/$name.replay.txt" "$corpus"
# shellcheck disable=SC2086
"$xlrec" vocab train -q --special-tokens "" $flags -o "$out/$name.xlrec.txt" "$corpus"
hf_n=$(wc -l < "$out/$name.hf.txt")
if cmp -s "$out/$name.hf.txt" "$out/$name.replay.txt"; then replay=identical; else
    replay="DIFFERENT (first differing line $(cmp "$out/$name.hf.txt" "$out/$name.replay.txt" | sed 's/.*line //'))"; fi
same_set=$(sort "$out/$name.hf.txt" | comm -3 - "$(sort "$out/$name.xlrec.txt" > "$out/$name.sorted" && echo "$out/$name.sorted")" | wc -l)
prefix=$(paste -d '\t' "$out/$name.hf.txt" "$out/$name.xlrec.txt" | awk -F '\t' '$1 != $2 { print NR - 1; exit } END { if (NR) print NR }' | head -1)
printf '%s\t%s\t%s\treplay: %s\tdefault order: %s tokens differ, first %s ids equal\n' \
    "$(basename "$corpus")" "${flags:-cased}" "$hf_n" "$replay" "$same_set" "$prefix"
