#!/bin/sh
# pair_coverage.sh - what a word-pair file adds to the everyday-word curriculum (docs/corpus.md, "Everyday
# word and phrase pairs from CLDR and CC-CEDICT"): per core language, how many of build_wordpairs.sh's
# English words (its work/en.top) have a translation in PAIRS, how many of those had none in the
# curriculum (its work/best.LANG), and, for a word probe (lexical_probe.py words LANG PREFIX: PREFIX.en
# and PREFIX.LANG, line i a pair; evaluation data, only read here, never written anywhere), how many of
# its English words have some LANG translation in PAIRS and how many have the probe's own translation.
#
#   sh weights/tools/pair_coverage.sh PAIRS WORDPAIRS_OUT [PROBE_PREFIX LANG]...
#
# PAIRS: lang1<TAB>text1<TAB>lang2<TAB>text2 lines; an English side matches a word when, lower-cased, it is
# the word.  Output: TSV on stdout.
set -eu
PAIRS=${1:?usage: pair_coverage.sh PAIRS WORDPAIRS_OUT [PROBE_PREFIX LANG]...}
WP=${2:?usage: pair_coverage.sh PAIRS WORDPAIRS_OUT [PROBE_PREFIX LANG]...}
shift 2
export LC_ALL=C
[ -r "$WP/work/en.top" ] || { echo "pair_coverage.sh: no $WP/work/en.top" >&2; exit 1; }
printf 'lang\tenglish_words\twith_pair\tbefore\tgained\tafter\n'
for l in de fr es it pt ru zh-Hans ja ko ar; do
    awk -F '\t' -v l="$l" -v top="$WP/work/en.top" -v best="$WP/work/best.$l" '
        BEGIN { while ((getline s < top) > 0) { split(s, p, "\t"); want[p[1]] = 1; n++ }
                while ((getline s < best) > 0) { split(s, p, "\t"); had[p[1]] = 1 } }
        $1 == "en" && $3 == l { e = tolower($2); if (e in want) got[e] = 1 }
        $3 == "en" && $1 == l { e = tolower($4); if (e in want) got[e] = 1 }
        END { g = 0; h = 0; b = 0
              for (e in had) if (e in want) b++
              for (e in got) { g++; if (!(e in had)) h++ }
              printf "%s\t%d\t%d\t%d\t%d\t%d\n", l, n, g, b, h, b + h }' "$PAIRS"
done
while [ $# -ge 2 ]; do
    pre=$1; l=$2; shift 2
    paste "$pre.en" "$pre.$l" | awk -F '\t' -v l="$l" -v pairs="$PAIRS" '
        BEGIN { while ((getline s < pairs) > 0) { split(s, p, "\t")
                    if (p[1] == "en" && p[3] == l) { e = tolower(p[2]); any[e] = 1; pr[e, tolower(p[4])] = 1 }
                    else if (p[3] == "en" && p[1] == l) { e = tolower(p[4]); any[e] = 1; pr[e, tolower(p[2])] = 1 } } }
        { n++; if ($1 in any) a++; if (($1, tolower($2)) in pr) x++ }
        END { printf "probe %s\t%d words\t%d with some %s pair\t%d with the probe pair\n", l, n, a, l, x }'
done
