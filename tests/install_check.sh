#!/bin/sh
# make install-check: `make install` into a temporary PREFIX, then the installed xlrec run from
# another working directory finds its shipped models (langid, the word vectors, the encoder),
# $XLREC_DATA and the command-line options override them in that order, a DESTDIR install
# stages the same tree, and `make uninstall` removes every file again.  The encoder is not in
# the repository until it is committed: a tiny one (the in-repo DistilBERT fixture, converted)
# stands in under $XLREC_DATA.  With weights/default/xlrec-encoder.xlm present, `make install` installs
# it and the installed binary must use it by default; without it, the word vectors stand in.
# Usage: sh tests/install_check.sh   (from the repository root; MAKE=gmake to change make)
set -eu
unset XLREC_DATA XLREC_LANGID_MODEL XLREC_WORD_VECTORS # the caller's overrides would hide what is checked
MAKE=${MAKE:-make}
REPO=$(pwd)
T=$(mktemp -d "${TMPDIR:-/tmp}/xlrec-install.XXXXXX")
trap 'rm -rf "$T"' EXIT INT TERM
PREFIX=$T/prefix
SHARE=$PREFIX/share/xlrec
fail() { echo "install-check: FAILED: $*" >&2; exit 1; }
# the installed binary, run from a directory that is not the repository
x() { (cd "$T/elsewhere" && "$PREFIX/bin/xlrec" "$@"); }
mkdir -p "$T/elsewhere" "$T/data/default"
printf 'the cat and the dog\nle chat et le chien\n' > "$T/in.txt"

echo "== make install PREFIX=$PREFIX"
$MAKE -s install PREFIX="$PREFIX" > "$T/make.log" 2>&1 || { cat "$T/make.log"; fail "make install"; }
for f in bin/xlrec lib/libxlrec.a lib/pkgconfig/xlrec.pc include/xlrec/xl_datapath.h \
         share/xlrec/langid/langid.xlid share/xlrec/default/xlrec-default-xl12.f16 share/xlrec/default/README.md; do
    [ -f "$PREFIX/$f" ] || fail "$PREFIX/$f was not installed"
done
for f in "$REPO"/weights/default/*.xlm; do
    [ -f "$f" ] || continue
    [ -f "$SHARE/default/$(basename "$f")" ] || fail "$f was not installed"
done

echo "== the installed headers: the public API only (docs/architecture.md), each compiles on its own"
for h in bert.h wordpiece.h xl_model.h xl_embedder.h pipeline.h xl_error.h; do
    [ -f "$PREFIX/include/xlrec/$h" ] || fail "public header $h was not installed"
done
for h in xl_kernels_impl.h xl_cli.h xl_rec_setup.h xl_rec_internal.h ngram_internal.h xl_unicode_tables.h; do
    [ ! -e "$PREFIX/include/xlrec/$h" ] || fail "internal header $h was installed"
done
for h in "$PREFIX"/include/xlrec/*.h; do
    printf '#include "%s"\nint xl_header_check;\n' "$(basename "$h")" |
        ${CC:-cc} -std=c11 -Wall -Wextra -Wpedantic -Werror -fsyntax-only -I "$PREFIX/include/xlrec" -x c - ||
        fail "$h does not compile on its own with only the installed headers"
done

echo "== the installed data directory is searched before the source tree"
[ "$(x data-path langid/langid.xlid)" = "$SHARE/langid/langid.xlid" ] || fail "data-path langid: $(x data-path langid/langid.xlid)"
[ "$(x data-path default/xlrec-default-xl12.f16)" = "$SHARE/default/xlrec-default-xl12.f16" ] || fail "data-path vectors"
[ "$(x langid < "$T/in.txt" | cut -f1 | tr '\n' ' ')" = "en fr " ] || fail "langid from $T/elsewhere"

echo "== \$XLREC_DATA first: the encoder (a tiny stand-in), the rest from the installed directory"
x convert -q "$REPO/tests/fixtures/distilbert_tiny" -o "$T/data/default/xlrec-encoder.xlm"
[ "$(XLREC_DATA=$T/data x data-path default/xlrec-encoder.xlm)" = "$T/data/default/xlrec-encoder.xlm" ] || fail "XLREC_DATA"
[ "$(XLREC_DATA=$T/data x data-path langid/langid.xlid)" = "$SHARE/langid/langid.xlid" ] || fail "fall through to installed"
XLREC_DATA=$T/data x embed < "$T/in.txt" > "$T/default.tsv" || fail "embed with the default encoder"
x embed --model "$T/data/default/xlrec-encoder.xlm" < "$T/in.txt" > "$T/model.tsv"
cmp -s "$T/default.tsv" "$T/model.tsv" || fail "embed: the default is not the encoder in \$XLREC_DATA"
[ "$(wc -l < "$T/default.tsv")" -eq 2 ] || fail "embed: not one row per line"

echo "== run from elsewhere: the encoder by default, the installed word vectors with --word-vectors"
D=$REPO/docs/demo
XLREC_DATA=$T/data x run --items "$D/items.tsv" --interactions "$D/interactions.tsv" -k 3 > "$T/recs.tsv" 2> "$T/run.err" ||
    { cat "$T/run.err"; fail "run with the default encoder"; }
grep -q "BERT model $T/data/default/xlrec-encoder.xlm" "$T/run.err" || fail "run did not use the encoder"
x run --items "$D/items.tsv" --interactions "$D/interactions.tsv" -k 3 --word-vectors > /dev/null 2> "$T/run.err" ||
    { cat "$T/run.err"; fail "run --word-vectors"; }
grep -q "word vectors $SHARE/default/xlrec-default-xl12.f16" "$T/run.err" || fail "run --word-vectors: not the installed file"

echo "== the option first of all"
[ "$(XLREC_DATA=$T/data x langid --model "$SHARE/langid/langid.xlid" < "$T/in.txt" | cut -f1 | tr '\n' ' ')" = "en fr " ] ||
    fail "langid --model"
if XLREC_DATA=$T/data x embed --model "$T/none.xlm" < "$T/in.txt" > /dev/null 2> "$T/err.txt"; then fail "a missing --model"; fi
grep -q "$T/none.xlm" "$T/err.txt" || fail "the missing --model is not named"

if [ -f "$SHARE/default/xlrec-encoder.xlm" ]; then
    echo "== the installed encoder is the default (found before the source tree's, used by embed and run)"
    E=$SHARE/default/xlrec-encoder.xlm
    [ "$(x data-path default/xlrec-encoder.xlm)" = "$E" ] || fail "data-path encoder: $(x data-path default/xlrec-encoder.xlm)"
    x embed < "$T/in.txt" > "$T/auto.txt" 2> "$T/err.txt" || { cat "$T/err.txt"; fail "embed with the installed encoder"; }
    x embed --model "$E" < "$T/in.txt" > "$T/model.txt" || fail "embed --model $E"
    cmp -s "$T/auto.txt" "$T/model.txt" || fail "embed: the default is not the installed encoder"
    x run --items "$D/items.tsv" --interactions "$D/interactions.tsv" -k 3 > /dev/null 2> "$T/run.err" ||
        { cat "$T/run.err"; fail "run with the installed encoder"; }
    grep -q "BERT model $E" "$T/run.err" || fail "run did not use the installed encoder"
else
    echo "== no encoder installed (none in weights/default/)"
fi

echo "== without any encoder: the installed word vectors stand in (the same output as --word-vectors)"
if [ -f "$SHARE/default/xlrec-encoder.xlm" ]; then
    echo "   (an encoder is installed: the absent case is not checkable with this installation)"
elif XLREC_DATA=$T/elsewhere x data-path default/xlrec-encoder.xlm > /dev/null 2>&1; then
    echo "   (an encoder is found in the source tree: the absent case is not checkable here)"
else
    XLREC_DATA=$T/elsewhere x embed --pooling mean < "$T/in.txt" > "$T/auto.txt" 2> "$T/err.txt" ||
        { cat "$T/err.txt"; fail "embed without an encoder"; }
    XLREC_DATA=$T/elsewhere x embed --word-vectors --pooling mean < "$T/in.txt" > "$T/wv.txt" 2> "$T/err.txt" ||
        { cat "$T/err.txt"; fail "embed --word-vectors"; }
    cmp -s "$T/auto.txt" "$T/wv.txt" || fail "embed without an encoder differs from embed --word-vectors"
fi

echo "== make uninstall PREFIX=$PREFIX"
$MAKE -s uninstall PREFIX="$PREFIX" > "$T/make.log" 2>&1 || { cat "$T/make.log"; fail "make uninstall"; }
left=$(find "$PREFIX" ! -type d)
[ -z "$left" ] || fail "left after uninstall: $left"

echo "== make install DESTDIR=$T/stage PREFIX=/opt/xlrec, then uninstall"
$MAKE -s install DESTDIR="$T/stage" PREFIX=/opt/xlrec > "$T/make.log" 2>&1 || { cat "$T/make.log"; fail "DESTDIR install"; }
S=$T/stage/opt/xlrec
[ -x "$S/bin/xlrec" ] && [ -f "$S/share/xlrec/langid/langid.xlid" ] || fail "DESTDIR tree"
grep -q "^prefix=/opt/xlrec" "$S/lib/pkgconfig/xlrec.pc" || fail "xlrec.pc prefix"
[ "$(cd "$T/elsewhere" && XLREC_DATA=$S/share/xlrec "$S/bin/xlrec" data-path langid/langid.xlid)" = "$S/share/xlrec/langid/langid.xlid" ] ||
    fail "staged binary with XLREC_DATA"
$MAKE -s uninstall DESTDIR="$T/stage" PREFIX=/opt/xlrec > "$T/make.log" 2>&1 || { cat "$T/make.log"; fail "DESTDIR uninstall"; }
left=$(find "$T/stage" ! -type d)
[ -z "$left" ] || fail "left after uninstall: $left"

# build/xlrec back to the default data directory
$MAKE -s > "$T/make.log" 2>&1 || { cat "$T/make.log"; fail "make"; }
echo "install-check: all passed"
