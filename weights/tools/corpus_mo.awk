# corpus_mo.awk - `xlrec mo-dump` lines -> one row per translated string (weights/tools/build_corpus.sh).
# Input (mo-dump): path, msgctxt, msgid, msgid_plural, msgstr[0], msgstr[1], PO-escaped.  -v pkg=PACKAGE.
# Output rows:  package <TAB> locale <TAB> domain <TAB> msgctxt <TAB> english <TAB> translation
# The locale is the directory above LC_MESSAGES in the path, the domain the file name without ".mo".
# Plural entries give two rows: msgid with msgstr[0] and, when the catalogue has a second form, msgid_plural
# with msgstr[1] (languages with one form - ja, ko, zh - give only the first).  Multi-line strings whose two
# versions have the same number of non-blank lines are emitted line by line (help texts, option tables).
# Escapes are decoded (\n \t \r -> space, \\ -> \).  POSIX awk (mawk, gawk).

function unescape(s) {
    gsub(/\\\\/, "\001", s)
    gsub(/\\[ntr]/, " ", s)
    gsub(/\001/, "\\", s)
    return s
}
function nonempty(s, L,   n, i, m, t) {   # the non-blank lines of s (split at escaped \n) into L[1..m]
    n = split(s, T, /\\n/); m = 0
    for (i = 1; i <= n; i++) { t = T[i]; if (t ~ /[^ ]/) L[++m] = t }
    return m
}
function emit(c, a, b,   na, nb, i) {
    na = nonempty(a, LA); nb = nonempty(b, LB)
    if (na > 1 && na == nb) {
        for (i = 1; i <= na; i++) print pkg "\t" loc "\t" dom "\t" unescape(c) "\t" unescape(LA[i]) "\t" unescape(LB[i])
    } else print pkg "\t" loc "\t" dom "\t" unescape(c) "\t" unescape(a) "\t" unescape(b)
}
BEGIN { FS = "\t" }
NF == 6 {
    loc = $1; sub(/\/LC_MESSAGES\/[^\/]*$/, "", loc); sub(/.*\//, "", loc)
    dom = $1; sub(/.*\//, "", dom); sub(/\.mo$/, "", dom)
    emit($2, $3, $5)
    if ($4 != "" && $6 != "") emit($2, $4, $6)
}
