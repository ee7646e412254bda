#!/bin/sh
# hostile_inputs.sh XLREC WORKDIR - the hostile inputs of docs/reliability.md, one per line:
# "command | exit status | first line of stderr".  Needs /dev/zero and /dev/full, the in-repo
# fixture (run from the repository root), and a scratch directory outside the repository.
set -u
X=$1
W=$2
rm -rf "$W" && mkdir -p "$W" || exit 2
$X convert -q tests/fixtures/distilbert_tiny -o "$W/m.xlm" || exit 2
printf 'hello world\nthe movie\n' > "$W/in.txt"
printf 'a b c\nb c d\n' > "$W/corpus.txt"
printf '4 2\nhello 1 0\nworld 0 1\nthere 1 1\nagain 1 2\n' > "$W/vec.txt"
printf 'user,item,rating\nu1,i1,5\nu1,i2,3\nu2,i1,4\nu2,i3,2\nu3,i2,1\nu3,i3,1e300\nu4,i1,3\n' > "$W/r.csv"
printf '0 4611686018427387903\n' > "$W/huge.vec"
printf 'en\thello there\nde\thallo da\n' > "$W/lang.txt"
cp -r tests/fixtures/distilbert_tiny "$W/ckpt" && rm "$W/ckpt/model.safetensors" && ln -s /dev/zero "$W/ckpt/model.safetensors"
ln -s /dev/full "$W/full.xlm"
echo "old model" > "$W/prev.xlm"
run() {
    desc=$1
    shift
    sh -c "$*" > /dev/null 2> "$W/err.txt"
    rc=$?
    printf '| `%s` | %s | %s |\n' "$desc" "$rc" "$(head -n 1 "$W/err.txt" | sed "s|$W/||g; s/|/\\\\|/g")"
}
run "embed -m m.xlm -o m.xlm in.txt" "$X embed -m $W/m.xlm -o $W/m.xlm $W/in.txt"
run "embed -m m.xlm -o ./in.txt in.txt" "$X embed -m $W/m.xlm -o $W/./in.txt $W/in.txt"
run "ngram train -O corpus.txt corpus.txt" "$X ngram train -q -O $W/corpus.txt $W/corpus.txt"
run "w2v train --train corpus.txt --output corpus.txt" "$X w2v train -q --train $W/corpus.txt --output $W/corpus.txt"
run "langid-train --out lang.txt lang.txt" "$X langid-train -q --out $W/lang.txt $W/lang.txt"
run "embed-words -w vec.txt -o in.txt in.txt" "$X embed-words -w $W/vec.txt -o $W/in.txt $W/in.txt"
run "eval --ratings r.csv --json r.csv" "$X eval -q --ratings $W/r.csv --json $W/r.csv"
run "convert ckpt -o ckpt/config.json" "$X convert -q tests/fixtures/distilbert_tiny -o tests/fixtures/distilbert_tiny/config.json"
run "convert -o prev.xlm under ulimit -f 20" "trap '' XFSZ; ulimit -f 20; $X convert -q tests/fixtures/distilbert_tiny -o $W/prev.xlm"
run "  (prev.xlm afterwards)" "cat $W/prev.xlm >&2"
run "convert -o full.xlm (link to /dev/full)" "$X convert -q tests/fixtures/distilbert_tiny -o $W/full.xlm"
run "  (full.xlm afterwards)" "ls -l $W/full.xlm | sed 's/.* -> /link to /' >&2"
run "w2v similar -v vec.txt hello >/dev/full" "$X w2v similar -v $W/vec.txt hello >/dev/full"
run "w2v analogy -v vec.txt hello world there >/dev/full" "$X w2v analogy -v $W/vec.txt hello world there >/dev/full"
run "eval-retrieval ... >/dev/full" "$X eval-retrieval --word-vectors $W/vec.txt --src $W/in.txt --tgt $W/in.txt >/dev/full"
run "tokenize ... >/dev/full" "$X tokenize --vocab tests/fixtures/distilbert_tiny/vocab.txt $W/in.txt >/dev/full"
run "inspect /dev/zero" "$X inspect /dev/zero"
run "embed -m /dev/zero in.txt" "$X embed -m /dev/zero $W/in.txt"
run "tokenize --vocab /dev/zero in.txt" "$X tokenize --vocab /dev/zero $W/in.txt"
run "w2v similar -v /dev/zero hello" "$X w2v similar -v /dev/zero hello"
run "ngram query -m /dev/zero in.txt" "$X ngram query -m /dev/zero $W/in.txt"
run "translate --dict /dev/zero in.txt" "$X translate --dict /dev/zero $W/in.txt"
run "convert ckpt (model.safetensors -> /dev/zero)" "$X convert -q $W/ckpt -o $W/z.xlm"
run "inspect DIR" "$X inspect $W"
run "ngram query -m DIR in.txt" "$X ngram query -m $W $W/in.txt"
run "w2v similar -v huge.vec (header 0 4611686018427387903)" "$X w2v similar -v $W/huge.vec hello"
run "recommend --ratings r.csv --rating-col rating -m mf (1e300 on line 7)" "$X recommend -q --ratings $W/r.csv --rating-col rating -m mf"
run "recommend ... -m mean --rating-policy clamp --rating-max 5" "$X recommend --ratings $W/r.csv --rating-col rating -m mean --rating-policy clamp --rating-max 5"
run "recommend --ratings r.csv --user-col 99" "$X recommend -q --ratings $W/r.csv --user-col 99"
