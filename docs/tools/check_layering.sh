#!/bin/sh
# check_layering.sh - the library's folders form layers; a file may include
# headers of its own folder or of a LOWER layer only, never of a higher one
# (in particular nothing outside src/cli includes a src/cli header).
# Usage: sh docs/tools/check_layering.sh   (from the repository root; exit 1 on
# a violation, listing each "file: includes header (folder, layer N > M)").
# `make test` runs it (tests/test_cli.c); docs/architecture.md draws the layers.
#
#   layer 0  src/core
#   layer 1  tokenizer  src/w2v  src/ngram  src/rec  src/corpus
#   layer 2  src/text  weights  src/align  src/eval  src/glove
#   layer 3  nn  src/langid
#   layer 4  src/embed  src/train
#   layer 5  src/pipeline
#   layer 6  src/cli
# A new folder must be given a layer here (an unknown folder is an error).
set -u
layer() {
    case $1 in
    src/core) echo 0 ;;
    tokenizer | src/w2v | src/ngram | src/rec | src/corpus) echo 1 ;;
    src/text | weights | src/align | src/eval | src/glove) echo 2 ;;
    nn | src/langid) echo 3 ;;
    src/embed | src/train) echo 4 ;;
    src/pipeline) echo 5 ;;
    src/cli) echo 6 ;;
    *) echo -1 ;;
    esac
}
# header name -> folder (library headers only; tools/ folders are programs)
map=$(find src tokenizer nn weights -name '*.h' ! -path '*/tools/*' | sed 's|^\(.*\)/\([^/]*\)$|\2 \1|')
bad=0
for f in $(find src tokenizer nn weights -name '*.[ch]' ! -path '*/tools/*' | sort); do
    dir=$(dirname "$f")
    mine=$(layer "$dir")
    if [ "$mine" -lt 0 ]; then
        echo "$f: folder $dir has no layer in docs/tools/check_layering.sh"
        bad=1
        continue
    fi
    for h in $(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$f"); do
        hdir=$(printf '%s\n' "$map" | awk -v h="$h" '$1 == h { print $2; exit }')
        [ -z "$hdir" ] || [ "$hdir" = "$dir" ] && continue
        theirs=$(layer "$hdir")
        if [ "$theirs" -ge "$mine" ]; then
            echo "$f: includes $h ($hdir, layer $theirs >= $dir's layer $mine)"
            bad=1
        fi
    done
done
if [ $bad -ne 0 ]; then
    echo "check_layering: upward or sideways includes found (see the layer table in docs/tools/check_layering.sh)"
    exit 1
fi
echo "check_layering: every include points to the file's own folder or a lower layer"
