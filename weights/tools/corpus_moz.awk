# corpus_moz.awk - Mozilla localisation files (Fluent .ftl, .properties) -> key <TAB> text
# (weights/tools/build_corpus.sh).  Files are given as arguments; -v loc=LOCALE (the directory name the
# locale uses inside the files' paths, e.g. "de", "en-US"), -v prefix=STRING (prepended to the key),
# -v brand=NAME (the product name that replaces { -brand-short-name } and its siblings).
# The key is prefix + path (with path components equal to loc replaced by "LOC") + "#" + message id
# [+ "." + attribute], so an en-US string and its translation get the same key.
# Fluent: simple messages and their attributes; a value with a selector ("->") is skipped; term references
# to the brand become the product name, other placeables ({ $var }, { NUMBER(...) }) are removed.
# .properties: key = value lines; values with \u escapes are skipped.  POSIX awk.

function keypath(f,   n, i, P, k) {
    n = split(f, P, "/"); k = ""
    for (i = 1; i <= n; i++) { if (P[i] == loc) P[i] = "LOC"; k = k (i > 1 ? "/" : "") P[i] }
    return k
}
function ftl_value(v) {
    gsub(/\{ *-brand-[a-z-]+ *\}/, brand, v)
    gsub(/\{ *-vendor-short-name *\}/, "Mozilla", v)
    gsub(/\{[^{}]*\}/, " ", v)
    gsub(/[ \t]+/, " ", v); sub(/^ /, "", v); sub(/ $/, "", v)
    return v
}
function flush() {
    if (id != "" && !complex && val != "") print key "#" id "\t" ftl_value(val)
    id = ""; val = ""; complex = 0
}
FNR == 1 { if (NR > 1) flush(); key = prefix keypath(FILENAME); ftl = FILENAME ~ /\.ftl$/; msg = "" }
ftl {
    if ($0 ~ /^#/ || $0 ~ /^[ \t]*$/) { if ($0 ~ /^#/) { flush(); msg = "" }; next }
    if ($0 ~ /^-/) { flush(); msg = ""; next }                                   # a term definition
    if (match($0, /^[A-Za-z][A-Za-z0-9_-]* *=/)) {
        flush(); msg = $0; sub(/ *=.*/, "", msg); id = msg
        val = substr($0, RLENGTH + 1); sub(/^ +/, "", val); if (val ~ /->/) complex = 1; next }
    if (match($0, /^ +\.[A-Za-z0-9_-]+ *=/)) {
        flush(); if (msg == "") next
        a = $0; sub(/^ +\./, "", a); sub(/ *=.*/, "", a); id = msg "." a
        val = substr($0, RLENGTH + 1); sub(/^ +/, "", val); if (val ~ /->/) complex = 1; next }
    if ($0 ~ /^ +(\*?\[|\})/ || $0 ~ /->/) { complex = 1; next }
    if ($0 ~ /^ / && id != "") { t = $0; sub(/^ +/, "", t); val = val == "" ? t : val " " t; next }
    next
}
!ftl {
    if ($0 ~ /^[ \t]*[#!]/ || $0 !~ /[=:]/) next
    if (!match($0, /^[ \t]*[^ \t=:]+[ \t]*[=:][ \t]*/)) next
    k = substr($0, 1, RLENGTH); sub(/[ \t]*[=:][ \t]*$/, "", k); sub(/^[ \t]+/, "", k)
    v = substr($0, RLENGTH + 1)
    if (v == "" || v ~ /\\u[0-9a-fA-F]/ || v ~ /\\$/) next
    gsub(/\\n/, " ", v); gsub(/\\t/, " ", v); gsub(/\\(.)/, "&", v)
    print key "#" k "\t" v
}
END { flush() }
