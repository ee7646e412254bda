#!/bin/sh
# demo_theme_check.sh - sanity check of a word-vector model on the demo catalogue (docs/demo/items.tsv:
# 128 titles, 8 languages x 8 themes x 2): embed every title (`xlrec embed-words`, SIF, L2-normalised), and
# for each title look at its nearest titles in OTHER languages.  Prints, per language, how often the
# nearest one (top-1) and how many of the 5 nearest (top-5) share the title's theme.  Chance: 2/14 = 14 %.
#   sh weights/tools/demo_theme_check.sh [MODEL]
set -eu
XLREC=${XLREC:-build/xlrec}
MODEL=${1:-weights/default/xlrec-default-xl12.f16}
ITEMS=${ITEMS:-docs/demo/items.tsv}
tmp=${TMPDIR:-/tmp}/demo_theme_check.$$
sed 1d "$ITEMS" | cut -f4 | "$XLREC" embed-words --word-vectors "$MODEL" --pooling "${POOLING:-sif}" --normalize \
    --format txt -o "$tmp.vec" - 2>/dev/null
sed 1d "$ITEMS" | cut -f2,3 | paste - "$tmp.vec" | awk -F'\t' '
    { lang[NR] = $1; theme[NR] = $2; n = split($3, v, " "); for (j = 1; j <= n; j++) x[NR, j] = v[j]; d = n }
    END {
        for (i = 1; i <= NR; i++) {
            for (k = 1; k <= 5; k++) { bs[k] = -9; bi[k] = 0 }
            for (o = 1; o <= NR; o++) {
                if (lang[o] == lang[i]) continue
                s = 0; for (j = 1; j <= d; j++) s += x[i, j] * x[o, j]
                for (k = 1; k <= 5; k++) if (s > bs[k]) { for (m = 5; m > k; m--) { bs[m] = bs[m-1]; bi[m] = bi[m-1] } bs[k] = s; bi[k] = o; break }
            }
            L = lang[i]; cnt[L]++; tot++
            if (theme[bi[1]] == theme[i]) { t1[L]++; T1++ }
            for (k = 1; k <= 5; k++) if (theme[bi[k]] == theme[i]) { t5[L]++; T5++ }
        }
        print "| language | titles | top-1 same theme | top-5 same theme |"
        print "|---|---|---|---|"
        for (L in cnt) printf "| %s | %d | %.0f %% | %.0f %% |\n", L, cnt[L], 100 * t1[L] / cnt[L], 100 * t5[L] / (5 * cnt[L])
        printf "| all | %d | %.0f %% | %.0f %% |\n", tot, 100 * T1 / tot, 100 * T5 / (5 * tot)
    }'
rm -f "$tmp.vec"
