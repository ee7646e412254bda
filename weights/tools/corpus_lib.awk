# corpus_lib.awk - text functions shared by the stages of weights/tools/build_corpus.sh (docs/corpus.md).
# POSIX awk (mawk or gawk) under LC_ALL=C: strings are bytes; every non-ASCII byte counts as a letter.
#
#   clean(s)        software-string clean-up: markup, entities, accelerators, placeholders, option columns
#   norm(s)         the comparison key: ASCII lower case, every ASCII non-alphanumeric removed
#   letters(s)      number of letters (ASCII letters + UTF-8 characters outside ASCII)
#   nchars(s)       number of UTF-8 characters
#   hash(s)         31-polynomial hash mod 2^31-1 (exact in doubles, same in every awk)
#   cjk_factor(l)   English characters per character of language l (zh 3.5, ja 2.5, ko 2.3, else 1)
#   lid_group(l)    language-ID neighbour group (a confusion inside a group is not counted as disagreement)
#   lid_agree(e, g) language ID g acceptable for expected language e (always, when the model lacks e)

function lib_init(   i) {
    for (i = 1; i < 256; i++) ORD[sprintf("%c", i)] = i
    split("bg ru uk mk sr be kk ky tg mn tt", g, " "); for (i in g) GROUP[g[i]] = "cyr"
    split("da nb nn sv", g, " "); for (i in g) GROUP[g[i]] = "nordic"
    split("ca es gl pt", g, " "); for (i in g) GROUP[g[i]] = "iberian"
    split("hr sr bs sl", g, " "); for (i in g) if (!(g[i] in GROUP)) GROUP[g[i]] = "southslavic"
    split("cs sk", g, " "); for (i in g) GROUP[g[i]] = "czsk"
    split("zh-Hans zh-Hant ja", g, " "); for (i in g) GROUP[g[i]] = "han"
    split("ar fa ur ps ug", g, " "); for (i in g) GROUP[g[i]] = "arabic"
    split("hi mr ne", g, " "); for (i in g) GROUP[g[i]] = "deva"
    split("id ms tl", g, " "); for (i in g) GROUP[g[i]] = "malay"
    split("xh zu", g, " "); for (i in g) GROUP[g[i]] = "nguni"
    split("nl af", g, " "); for (i in g) GROUP[g[i]] = "dutch"
    # the 96 languages of the shipped language-ID model (docs/langid.md); others are not checked
    split("en de fr es it pt ru ar ja ko zh-Hans zh-Hant nl sv da nb nn fi et pl cs sk sl hr hu ro tr az uz id tl vi " \
          "sw ca gl eu ga cy is lt lv sq mt af ha yo ig so zu xh eo ceb jv rw ny sn mg qu tk wo uk be bg mk sr kk ky " \
          "tg mn tt fa ur ps ug hi mr ne el he yi hy ka th bn ta te kn ml gu pa si km lo my am ti", g, " ")
    for (i in g) LIDLANG[g[i]] = 1
    LIB_READY = 1
}
function lid_group(l) { return (l in GROUP) ? GROUP[l] : l }
function lid_agree(expected, got) {
    return !(expected in LIDLANG) || got == "und" || got == expected || lid_group(got) == lid_group(expected) ||
           (expected == "sr" && got == "hr") || (expected == "bs" && (got == "hr" || got == "sr"))
}
function cjk_factor(l) { return l ~ /^zh/ ? 3.5 : l == "ja" ? 2.5 : l == "ko" ? 2.3 : 1 }

function hash(s,   h, i, n) {
    h = 0; n = length(s)
    for (i = 1; i <= n; i++) h = (h * 31 + ORD[substr(s, i, 1)]) % 2147483647
    return h
}
function nchars(s,   t) { t = s; gsub(/[\200-\277]/, "", t); return length(t) }
function letters(s,   t) { t = s; gsub(/[\200-\277]/, "", t); gsub(/[^A-Za-z\300-\377]/, "", t); return length(t) }
function norm(s,   t) { t = tolower(s); gsub(/[\001-\057\072-\100\133-\140\173-\177]/, "", t); return t }

# strip_accel(s, ch): remove the accelerator marker ch ("&", "_" or "~") where it precedes a letter and does
# not follow one (so "snake_case" and "a & b" stay); a doubled marker ("&&") stands for the character itself.
function strip_accel(s, ch,   out, i, nxt, prv) {
    out = ""
    while ((i = index(s, ch)) > 0) {
        nxt = substr(s, i + 1, 1); prv = i > 1 ? substr(s, i - 1, 1) : ""
        if (nxt == ch) { out = out substr(s, 1, i); s = substr(s, i + 2); continue }
        if (nxt ~ /[A-Za-z0-9\200-\377]/ && prv !~ /[A-Za-z0-9\200-\377]/) out = out substr(s, 1, i - 1)
        else out = out substr(s, 1, i)
        s = substr(s, i + 1)
    }
    return out s
}

function clean(s) {
    gsub(/\r/, " ", s)
    gsub(/<\/?[A-Za-z][^<>]*>/, " ", s)                           # markup (<b>, <a href=...>, </p>)
    gsub(/&(lt|#60);/, "<", s); gsub(/&(gt|#62);/, ">", s); gsub(/&(quot|#34);/, "\"", s)
    gsub(/&(apos|#39|#x27);/, "'", s); gsub(/&(nbsp|#160);/, " ", s)
    gsub(/&(amp|#38);/, "\002", s)                                 # a real "&", kept out of the accelerator pass
    gsub(/(\(|（)[&_~][A-Za-z0-9](\)|）)/, "", s)                       # CJK-style accelerators: "ファイル(_F)", "(&O)"
    if (index(s, "&")) s = strip_accel(s, "&")
    if (index(s, "_")) s = strip_accel(s, "_")
    if (index(s, "~")) s = strip_accel(s, "~")
    gsub(/\002/, "\\&", s)
    # placeholders: printf (%s %d %1$s %-10.3f %lu %'d), Qt/KDE (%1), LibreOffice (%COLUMNNUMBER $(ARG1) #1),
    # Python/C# ({name} {0} %(name)s), shell (${VAR} $VAR)
    gsub(/%%/, "\003", s)
    gsub(/%\([A-Za-z_][A-Za-z0-9_]*\)[-#0 +]*[0-9]*(\.[0-9]+)?[sdifgxXeEr]/, " ", s)
    gsub(/%[0-9]*\$?[-+ #0']*[0-9*]*(\.[0-9*]+)?(hh|h|ll|l|L|q|j|z|t|I64|I32|I)?[diouxXeEfFgGaAcsSpn@]/, " ", s)
    gsub(/%[0-9]+/, " ", s)
    gsub(/%[A-Z][A-Z0-9_]+%?/, " ", s)
    gsub(/\$\([A-Za-z0-9_]+\)/, " ", s); gsub(/\$\{[A-Za-z0-9_]+\}/, " ", s); gsub(/\$[A-Z][A-Z0-9_]+/, " ", s)
    gsub(/\{[A-Za-z0-9_.:]*\}/, " ", s)
    gsub(/(^|[ (])#[0-9]/, " ", s)
    gsub(/\003/, "%", s)
    # a leading option column of a --help table ("  -a, --all      do not ignore ...")
    if (s ~ /^[ \t]*-/) sub(/^[ \t]*(-[A-Za-z0-9?], )?--?[A-Za-z0-9][-A-Za-z0-9_]*(\[?=[-A-Za-z_]+\]?| [A-Z][A-Z_]+)?  +/, "", s)
    gsub(/[ \t]+/, " ", s); sub(/^ /, "", s); sub(/ $/, "", s)
    return s
}
