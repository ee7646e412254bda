# licence_policy.awk: which packages a licence policy keeps, from the corpus's licences.tsv
# (PACKAGE <tab> "LIC; LIC; ..." as tallied from the DEP-5 License fields of each copyright file).
# Output: PACKAGE <tab> keep|drop <tab> the first licence entry that decided a drop.
# Policy gpl3-compatible (docs/corpus.md "Licence filter"): a package is kept only when EVERY licence
# entry of its copyright file is one whose text may be relicensed or combined under GPL-3.0-or-later.
# An entry "A or B" is acceptable when one alternative is; "A and B" (or "A, and B") when all are;
# "with ... exception" (extra permissions) is ignored.  "GPL" with no version: any version may be chosen
# (GPL-2 section 9, GPL-3 section 14).  Unknown, "other", not machine-readable -> drop.
function norm_lic(s) {
    s = tolower(s); sub(/^ +/, "", s); sub(/ +$/, "", s)
    sub(/ with .*exception.*$/, "", s); sub(/^licenseref-/, "", s)
    gsub(/\.0-or-later$/, "+", s); gsub(/-or-later$/, "+", s); gsub(/\.0\+$/, "+", s)
    sub(/-only$/, "", s); sub(/\.0$/, "", s)
    return s
}
function ok_one(s) { return (norm_lic(s) in OK) }
function ok_entry(e,   a, b, i, j, n, m, any) {
    e = tolower(e); gsub(/, and /, " and ", e); gsub(/__and__/, " and ", e)
    n = split(e, a, / and /)
    for (i = 1; i <= n; i++) {
        m = split(a[i], b, / or /); any = 0
        for (j = 1; j <= m; j++) if (ok_one(b[j])) { any = 1; break }
        if (!any) return 0
    }
    return 1
}
BEGIN {
    FS = "\t"; OFS = "\t"
    # copyleft that allows GPL-3.0-or-later: the "or later" GPLs; LGPL 2/2.1 also when "only"
    # (LGPL-2.x section 3 lets any copy be converted to GPL-2-or-later); MPL-2.0 (section 3.3,
    # GPL as Secondary License); CC BY-SA 4.0 (one-way compatible with GPLv3, CC 2015); LGPL-3+ .
    n = split("gpl-1+ gpl-2+ gpl-3+ gpl+ lgpl-2 lgpl-2+ lgpl-2.1 lgpl-2.1+ lgpl-3+ lgpl-2.1+3+kdeev lgpl-2+3+kdeev " \
              "lgpl-2.1+3+kdeev-translations kde-accepted-lgpl mpl-2 mpl-2.0 cc-by-sa-4 cc-by-sa-4.0 cc-by-4 " \
              "agpl-3+ " \
              "mit expat x11 old-mit mit-old bsd-2-clause bsd-3-clause bsd-3 bsd-2 bsd-modified bsd-new tcl bsd-0-clause 0bsd isc zlib libpng " \
              "apache-2 apache-2.0 public-domain publicdomain pd cc0 cc0-1 cc0-1.0 unlicense wtfpl wtfplv2 " \
              "gpl postgresql fsfap fsful fsfullr permissive bsl-1 bsl-1.0 boost-1 artistic-2 python-2 psf-2 ncsa curl " \
              "unicode-dfs-2016 unicode-dfs-2015 x11-distribute-modifications-variant", L, " ")
    for (i = 1; i <= n; i++) OK[L[i]] = 1
    OK["gnu gpl"] = 1                                      # unversioned, spelt out (inkscape)
}
NF >= 2 {
    if ($2 ~ /^\(/) { print $1, "drop", $2; next }
    k = split($2, E, /; /); bad = ""
    for (i = 1; i <= k; i++) if (!ok_entry(E[i])) { bad = E[i]; break }
    print $1, (bad == "" ? "keep" : "drop"), bad
}
