/* xl_text_clean.c - cleaning steps and the preprocessing pipeline of
 * xl_text.h: HTML character references, control/format characters, case
 * folding, punctuation/digit removal and white-space collapsing. */
#include <stdlib.h>
#include <string.h>

#include "xl_text.h"

/* HTML 4.01 named character references (the 252 of the HTML 4.01 DTDs:
 * HTMLlat1, HTMLsymbol, HTMLspecial) plus XML's &apos;, sorted by strcmp for
 * binary search.  Listed from Python's html.entities.name2codepoint, which
 * transcribes those DTDs. */
typedef struct entity {
    const char *name;
    uint32_t cp;
} entity;

static const entity ENTITIES[] = {
    {"AElig", 0xC6}, {"Aacute", 0xC1}, {"Acirc", 0xC2}, {"Agrave", 0xC0}, {"Alpha", 0x391}, {"Aring", 0xC5},
    {"Atilde", 0xC3}, {"Auml", 0xC4}, {"Beta", 0x392}, {"Ccedil", 0xC7}, {"Chi", 0x3A7}, {"Dagger", 0x2021},
    {"Delta", 0x394}, {"ETH", 0xD0}, {"Eacute", 0xC9}, {"Ecirc", 0xCA}, {"Egrave", 0xC8}, {"Epsilon", 0x395},
    {"Eta", 0x397}, {"Euml", 0xCB}, {"Gamma", 0x393}, {"Iacute", 0xCD}, {"Icirc", 0xCE}, {"Igrave", 0xCC},
    {"Iota", 0x399}, {"Iuml", 0xCF}, {"Kappa", 0x39A}, {"Lambda", 0x39B}, {"Mu", 0x39C}, {"Ntilde", 0xD1},
    {"Nu", 0x39D}, {"OElig", 0x152}, {"Oacute", 0xD3}, {"Ocirc", 0xD4}, {"Ograve", 0xD2}, {"Omega", 0x3A9},
    {"Omicron", 0x39F}, {"Oslash", 0xD8}, {"Otilde", 0xD5}, {"Ouml", 0xD6}, {"Phi", 0x3A6}, {"Pi", 0x3A0},
    {"Prime", 0x2033}, {"Psi", 0x3A8}, {"Rho", 0x3A1}, {"Scaron", 0x160}, {"Sigma", 0x3A3}, {"THORN", 0xDE},
    {"Tau", 0x3A4}, {"Theta", 0x398}, {"Uacute", 0xDA}, {"Ucirc", 0xDB}, {"Ugrave", 0xD9}, {"Upsilon", 0x3A5},
    {"Uuml", 0xDC}, {"Xi", 0x39E}, {"Yacute", 0xDD}, {"Yuml", 0x178}, {"Zeta", 0x396}, {"aacute", 0xE1},
    {"acirc", 0xE2}, {"acute", 0xB4}, {"aelig", 0xE6}, {"agrave", 0xE0}, {"alefsym", 0x2135}, {"alpha", 0x3B1},
    {"amp", 0x26}, {"and", 0x2227}, {"ang", 0x2220}, {"apos", 0x27}, {"aring", 0xE5}, {"asymp", 0x2248},
    {"atilde", 0xE3}, {"auml", 0xE4}, {"bdquo", 0x201E}, {"beta", 0x3B2}, {"brvbar", 0xA6}, {"bull", 0x2022},
    {"cap", 0x2229}, {"ccedil", 0xE7}, {"cedil", 0xB8}, {"cent", 0xA2}, {"chi", 0x3C7}, {"circ", 0x2C6},
    {"clubs", 0x2663}, {"cong", 0x2245}, {"copy", 0xA9}, {"crarr", 0x21B5}, {"cup", 0x222A}, {"curren", 0xA4},
    {"dArr", 0x21D3}, {"dagger", 0x2020}, {"darr", 0x2193}, {"deg", 0xB0}, {"delta", 0x3B4}, {"diams", 0x2666},
    {"divide", 0xF7}, {"eacute", 0xE9}, {"ecirc", 0xEA}, {"egrave", 0xE8}, {"empty", 0x2205}, {"emsp", 0x2003},
    {"ensp", 0x2002}, {"epsilon", 0x3B5}, {"equiv", 0x2261}, {"eta", 0x3B7}, {"eth", 0xF0}, {"euml", 0xEB},
    {"euro", 0x20AC}, {"exist", 0x2203}, {"fnof", 0x192}, {"forall", 0x2200}, {"frac12", 0xBD}, {"frac14", 0xBC},
    {"frac34", 0xBE}, {"frasl", 0x2044}, {"gamma", 0x3B3}, {"ge", 0x2265}, {"gt", 0x3E}, {"hArr", 0x21D4},
    {"harr", 0x2194}, {"hearts", 0x2665}, {"hellip", 0x2026}, {"iacute", 0xED}, {"icirc", 0xEE}, {"iexcl", 0xA1},
    {"igrave", 0xEC}, {"image", 0x2111}, {"infin", 0x221E}, {"int", 0x222B}, {"iota", 0x3B9}, {"iquest", 0xBF},
    {"isin", 0x2208}, {"iuml", 0xEF}, {"kappa", 0x3BA}, {"lArr", 0x21D0}, {"lambda", 0x3BB}, {"lang", 0x2329},
    {"laquo", 0xAB}, {"larr", 0x2190}, {"lceil", 0x2308}, {"ldquo", 0x201C}, {"le", 0x2264}, {"lfloor", 0x230A},
    {"lowast", 0x2217}, {"loz", 0x25CA}, {"lrm", 0x200E}, {"lsaquo", 0x2039}, {"lsquo", 0x2018}, {"lt", 0x3C},
    {"macr", 0xAF}, {"mdash", 0x2014}, {"micro", 0xB5}, {"middot", 0xB7}, {"minus", 0x2212}, {"mu", 0x3BC},
    {"nabla", 0x2207}, {"nbsp", 0xA0}, {"ndash", 0x2013}, {"ne", 0x2260}, {"ni", 0x220B}, {"not", 0xAC},
    {"notin", 0x2209}, {"nsub", 0x2284}, {"ntilde", 0xF1}, {"nu", 0x3BD}, {"oacute", 0xF3}, {"ocirc", 0xF4},
    {"oelig", 0x153}, {"ograve", 0xF2}, {"oline", 0x203E}, {"omega", 0x3C9}, {"omicron", 0x3BF}, {"oplus", 0x2295},
    {"or", 0x2228}, {"ordf", 0xAA}, {"ordm", 0xBA}, {"oslash", 0xF8}, {"otilde", 0xF5}, {"otimes", 0x2297},
    {"ouml", 0xF6}, {"para", 0xB6}, {"part", 0x2202}, {"permil", 0x2030}, {"perp", 0x22A5}, {"phi", 0x3C6},
    {"pi", 0x3C0}, {"piv", 0x3D6}, {"plusmn", 0xB1}, {"pound", 0xA3}, {"prime", 0x2032}, {"prod", 0x220F},
    {"prop", 0x221D}, {"psi", 0x3C8}, {"quot", 0x22}, {"rArr", 0x21D2}, {"radic", 0x221A}, {"rang", 0x232A},
    {"raquo", 0xBB}, {"rarr", 0x2192}, {"rceil", 0x2309}, {"rdquo", 0x201D}, {"real", 0x211C}, {"reg", 0xAE},
    {"rfloor", 0x230B}, {"rho", 0x3C1}, {"rlm", 0x200F}, {"rsaquo", 0x203A}, {"rsquo", 0x2019}, {"sbquo", 0x201A},
    {"scaron", 0x161}, {"sdot", 0x22C5}, {"sect", 0xA7}, {"shy", 0xAD}, {"sigma", 0x3C3}, {"sigmaf", 0x3C2},
    {"sim", 0x223C}, {"spades", 0x2660}, {"sub", 0x2282}, {"sube", 0x2286}, {"sum", 0x2211}, {"sup", 0x2283},
    {"sup1", 0xB9}, {"sup2", 0xB2}, {"sup3", 0xB3}, {"supe", 0x2287}, {"szlig", 0xDF}, {"tau", 0x3C4},
    {"there4", 0x2234}, {"theta", 0x3B8}, {"thetasym", 0x3D1}, {"thinsp", 0x2009}, {"thorn", 0xFE}, {"tilde", 0x2DC},
    {"times", 0xD7}, {"trade", 0x2122}, {"uArr", 0x21D1}, {"uacute", 0xFA}, {"uarr", 0x2191}, {"ucirc", 0xFB},
    {"ugrave", 0xF9}, {"uml", 0xA8}, {"upsih", 0x3D2}, {"upsilon", 0x3C5}, {"uuml", 0xFC}, {"weierp", 0x2118},
    {"xi", 0x3BE}, {"yacute", 0xFD}, {"yen", 0xA5}, {"yuml", 0xFF}, {"zeta", 0x3B6}, {"zwj", 0x200D},
    {"zwnj", 0x200C},
};
#define N_ENTITIES (sizeof ENTITIES / sizeof ENTITIES[0])
#define ENTITY_NAME_MAX 8 /* longest name: "thetasym" */

/* HTML5 "numeric character reference end state": C1 controls as windows-1252 */
static const uint16_t WIN1252_C1[32] = {
    0x20AC, 0x81,   0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
    0x2039, 0x0152, 0x8D,   0x017D, 0x8F,   0x90,   0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
    0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x9D,   0x017E, 0x0178};

static int entity_cmp(const void *key, const void *elem)
{
    return strcmp((const char *)key, ((const entity *)elem)->name);
}

/* Try to read a reference starting at in[i] == '&'; on success set *cp and
 * *used (code points consumed, including '&' and ';'). */
static bool parse_reference(const uint32_t *in, size_t n, size_t i, uint32_t *cp, size_t *used)
{
    size_t j = i + 1;
    if (j >= n) return false;
    if (in[j] == '#') {
        j++;
        bool hex = j < n && (in[j] == 'x' || in[j] == 'X');
        if (hex) j++;
        uint64_t v = 0;
        size_t digits = 0;
        for (; j < n; j++, digits++) {
            uint32_t c = in[j];
            int d;
            if (c >= '0' && c <= '9') d = (int)(c - '0');
            else if (hex && c >= 'a' && c <= 'f') d = (int)(c - 'a' + 10);
            else if (hex && c >= 'A' && c <= 'F') d = (int)(c - 'A' + 10);
            else break;
            v = v * (hex ? 16u : 10u) + (uint64_t)d;
            if (v > 0x10FFFFu) v = 0x110000u; /* saturate: still "too large" */
        }
        if (digits == 0 || j >= n || in[j] != ';') return false;
        if (v == 0 || v > 0x10FFFFu || (v >= 0xD800 && v <= 0xDFFF)) v = 0xFFFD;
        else if (v >= 0x80 && v <= 0x9F) v = WIN1252_C1[v - 0x80];
        *cp = (uint32_t)v;
        *used = j + 1 - i;
        return true;
    }
    char name[ENTITY_NAME_MAX + 1];
    size_t k = 0;
    for (; j < n && k <= ENTITY_NAME_MAX; j++) {
        uint32_t c = in[j];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))) break;
        if (k == ENTITY_NAME_MAX) return false;
        name[k++] = (char)c;
    }
    if (k == 0 || j >= n || in[j] != ';') return false;
    name[k] = '\0';
    const entity *e = bsearch(name, ENTITIES, N_ENTITIES, sizeof ENTITIES[0], entity_cmp);
    if (!e) return false;
    *cp = e->cp;
    *used = j + 1 - i;
    return true;
}

int xl_text_decode_entities(const uint32_t *in, size_t n, xl_u32buf *out, xl_error *err)
{
    if (xl_u32buf_reserve(out, n, err) < 0) return -1;
    for (size_t i = 0; i < n;) {
        uint32_t cp;
        size_t used;
        if (in[i] == '&' && parse_reference(in, n, i, &cp, &used)) {
            out->data[out->len++] = cp;
            i += used;
        } else {
            out->data[out->len++] = in[i++];
        }
    }
    return 0;
}

static bool is_space(uint32_t cp)
{
    return cp == ' ' || xl_uc_has(cp, XL_UCP_WHITE_SPACE);
}

/* Steps 3 (controls, format characters) on code points, appended to out. */
static int strip_controls(const uint32_t *in, size_t n, bool keep_newlines, xl_u32buf *out, xl_error *err)
{
    if (xl_u32buf_reserve(out, n, err) < 0) return -1;
    for (size_t i = 0; i < n; i++) {
        uint32_t cp = in[i];
        xl_uc_gc gc = xl_uc_category(cp);
        if (keep_newlines && cp == '\n') {
            out->data[out->len++] = cp;
        } else if (gc == XL_GC_CC || is_space(cp)) {
            out->data[out->len++] = ' ';
        } else if (gc == XL_GC_CF && cp != 0x200C && cp != 0x200D) {
            continue;
        } else {
            out->data[out->len++] = cp;
        }
    }
    return 0;
}

static int casefold_cps(const uint32_t *in, size_t n, xl_u32buf *out, xl_error *err)
{
    if (xl_u32buf_reserve(out, n, err) < 0) return -1;
    for (size_t i = 0; i < n; i++) {
        uint32_t m[XL_UC_CASE_MAX];
        size_t k = xl_uc_full_fold(in[i], m);
        if (out->cap - out->len < k && xl_u32buf_reserve(out, k + n - i, err) < 0) return -1;
        memcpy(out->data + out->len, m, k * sizeof *m);
        out->len += k;
    }
    return 0;
}

/* Steps 6 and 7: punctuation/digits -> space, collapse white space, trim. */
static int finish_cps(const uint32_t *in, size_t n, const xl_text_options *o, xl_u32buf *out, xl_error *err)
{
    if (xl_u32buf_reserve(out, n, err) < 0) return -1;
    size_t start = out->len;
    bool pending_space = false;
    for (size_t i = 0; i < n; i++) {
        uint32_t cp = in[i];
        xl_uc_gc gc = xl_uc_category(cp);
        bool nl = o->keep_newlines && cp == '\n';
        bool space = !nl && (is_space(cp) || (o->strip_punct && XL_GC_IN(gc, XL_GC_MASK_P)) ||
                             (o->strip_digits && gc == XL_GC_ND));
        if (space) {
            pending_space = true;
            continue;
        }
        if (nl) {
            /* drop spaces before a newline; newline itself resets spacing */
            out->data[out->len++] = '\n';
            pending_space = false;
            continue;
        }
        if (pending_space && out->len > start && out->data[out->len - 1] != '\n') out->data[out->len++] = ' ';
        pending_space = false;
        out->data[out->len++] = cp;
    }
    return 0;
}

int xl_text_preprocess(const char *s, size_t len, const xl_text_options *opts, xl_buf *out, xl_error *err)
{
    static const xl_text_options defaults = {0};
    const xl_text_options *o = opts ? opts : &defaults;
    xl_u32buf a, b;
    xl_u32buf_init(&a);
    xl_u32buf_init(&b);
    int rc = -1;
#define SWAP_AB()              \
    do {                       \
        xl_u32buf t_ = a;      \
        a = b;                 \
        b = t_;                \
        b.len = 0;             \
    } while (0)
    if (xl_text_decode(s, len, &a, err) < 0) goto done;
    if (o->decode_entities) {
        if (xl_text_decode_entities(a.data, a.len, &b, err) < 0) goto done;
        SWAP_AB();
    }
    if (strip_controls(a.data, a.len, o->keep_newlines, &b, err) < 0) goto done;
    SWAP_AB();
    if (o->form != XL_NORM_NONE) {
        if (xl_text_normalize_cps(a.data, a.len, o->form, &b, err) < 0) goto done;
        SWAP_AB();
    }
    if (o->casefold) {
        if (casefold_cps(a.data, a.len, &b, err) < 0) goto done;
        SWAP_AB();
        if (o->form != XL_NORM_NONE) {
            if (xl_text_normalize_cps(a.data, a.len, o->form, &b, err) < 0) goto done;
            SWAP_AB();
        }
    }
    if (finish_cps(a.data, a.len, o, &b, err) < 0) goto done;
    rc = xl_text_encode(b.data, b.len, out, err);
#undef SWAP_AB
done:
    xl_u32buf_free(&a);
    xl_u32buf_free(&b);
    return rc;
}
