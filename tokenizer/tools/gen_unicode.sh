#!/bin/sh
# gen_unicode.sh - regenerate tokenizer/unicode_tables.c and tokenizer/xl_unicode_scripts.h
# from the Unicode Character Database (Debian: apt-get install unicode-data).
#
#   sh tokenizer/tools/gen_unicode.sh [UCD_DIR] [OUT_DIR]
#
# UCD_DIR defaults to /usr/share/unicode, OUT_DIR to tokenizer/ (pass another
# folder to compare: tests/test_tokenizer.c regenerates into a temporary folder
# and checks that the committed files are byte-identical).  Needs only a C compiler.
# (The generator sits one folder deeper, in gen_unicode/, so that the Makefile's
# one-level source wildcard does not compile it into the library.)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
ucd=${1:-/usr/share/unicode}
out=${2:-$here/..}
cc=${CC:-cc}
tmp=${TMPDIR:-/tmp}/gen_unicode.$$
mkdir -p "$tmp"
trap 'rm -rf "$tmp"' EXIT INT TERM
for f in UnicodeData.txt Scripts.txt PropertyValueAliases.txt PropList.txt DerivedCoreProperties.txt \
         DerivedNormalizationProps.txt CompositionExclusions.txt SpecialCasing.txt CaseFolding.txt DerivedAge.txt \
         emoji/emoji-data.txt; do
    [ -f "$ucd/$f" ] || { echo "gen_unicode.sh: $ucd/$f missing (apt-get install unicode-data)" >&2; exit 1; }
done
"$cc" -std=c11 -O2 -Wall -Wextra -o "$tmp/gen_unicode" "$here/gen_unicode/gen_unicode.c"
"$tmp/gen_unicode" "$ucd" "$here/hf_bert_departures.txt" "$tmp/unicode_tables.c" "$tmp/xl_unicode_scripts.h"
mkdir -p "$out"
cp "$tmp/unicode_tables.c" "$out/unicode_tables.c"
cp "$tmp/xl_unicode_scripts.h" "$out/xl_unicode_scripts.h"
