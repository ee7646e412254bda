#!/bin/sh
# make_export_fixture.sh - rebuild tests/fixtures/export_tiny/: a tiny model made the way the
# shipped encoder is made (a cased WordPiece vocabulary from `xlrec vocab train`, a BERT encoder from
# `xlrec train-encoder`, mean pooling + L2 normalisation), exported with `xlrec export`, plus
# expected.json: the sentence embeddings of the plain-torch reading of that export
# (tests/tools/check_export.py) on token ids from HuggingFace tokenizers (tests/tools/export_tokenize.js).
# tests/test_export.c checks that xlrec, converting the committed export back, gives those
# embeddings within 1e-5 and those ids, and that exporting it again gives the same bytes.
#
#   NODE_PATH=DIR/node_modules sh tests/tools/make_export_fixture.sh [build/xlrec]
# needs /usr/bin/python3 with torch + numpy (Debian python3-torch) and npm tokenizers@0.23.2.
set -eu
XL=${1:-build/xlrec}
OUT=tests/fixtures/export_tiny
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
# translation pairs written for this fixture (lang<TAB>text<TAB>lang<TAB>text)
cat > "$TMP/pairs.tsv" <<'EOF'
en	The film starts at eight o'clock tonight.	de	Der Film beginnt heute Abend um acht Uhr.
en	I would like to read a good book.	fr	Je voudrais lire un bon livre.
en	Where is the nearest library?	es	¿Dónde está la biblioteca más cercana?
en	The museum is closed on Monday.	it	Il museo è chiuso il lunedì.
en	The book you lent me is excellent.	pt	O livro que você me emprestou é excelente.
en	We are going to the cinema tonight.	ru	Сегодня вечером мы идём в кино.
en	I like Chinese films.	zh	我喜欢看中国电影。
en	Please tell me the way to Tokyo station.	ja	東京駅までの行き方を教えてください。
en	I really like Korean food.	ko	저는 한국 음식을 정말 좋아해요.
en	I love reading books in the evening.	ar	أحب قراءة الكتب في المساء.
de	Der Zug hat zwanzig Minuten Verspätung.	en	The train is twenty minutes late.
fr	Nous avons regardé un très beau film hier soir.	en	We watched a very beautiful film last night.
EOF
cut -f2 "$TMP/pairs.tsv" > "$TMP/text.txt"
cut -f4 "$TMP/pairs.tsv" >> "$TMP/text.txt"
mkdir -p "$TMP/vocab"
"$XL" vocab train -q --vocab-size 420 -o "$TMP/vocab/vocab.txt" --tokenizer-json "$TMP/vocab/tokenizer.json" \
    --tokenizer-config "$TMP/vocab/tokenizer_config.json" "$TMP/text.txt"
"$XL" train-encoder --config layers=2,hidden=32,heads=4,ffn=64,max-position=40 --vocab "$TMP/vocab" \
    --pairs "$TMP/pairs.tsv" --batch 6 --max-len 24 --steps 60 --lr 1e-2 --dropout 0 --seed 7 --threads 1 \
    --log-every 1000 -o "$TMP/tiny.xlm"
[ -f "$OUT/README.md" ] && cp "$OUT/README.md" "$TMP/README.md"
rm -rf "$OUT"
"$XL" export -q "$TMP/tiny.xlm" -o "$OUT"
[ -f "$TMP/README.md" ] && cp "$TMP/README.md" "$OUT/README.md"
/usr/bin/python3 -c 'import sys; sys.path.insert(0, "tests/tools"); import check_export as c; print("\n".join(c.SENTENCES))' \
    > "$TMP/sentences.txt"
node tests/tools/export_tokenize.js "$OUT" "$TMP/sentences.txt" > "$TMP/hf_ids.txt"
/usr/bin/python3 tests/tools/check_export.py --xlrec "$XL" --model "$TMP/tiny.xlm" --export "$OUT" \
    --hf-ids "$TMP/hf_ids.txt" --write-expected "$OUT/expected.json"
