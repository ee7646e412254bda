/* xl_unicode.c - see xl_unicode.h.  Lookups into the generated tables of
 * unicode_tables.c (layout in xl_unicode_tables.h). */
#include "xl_unicode.h"

#include <stdlib.h>
#include <string.h>

#include "xl_unicode_tables.h"
#include "xl_utf8.h"

/* Hangul syllable arithmetic, Unicode 3.12 */
enum {
    HANGUL_SBASE = 0xAC00,
    HANGUL_LBASE = 0x1100,
    HANGUL_VBASE = 0x1161,
    HANGUL_TBASE = 0x11A7,
    HANGUL_LCOUNT = 19,
    HANGUL_VCOUNT = 21,
    HANGUL_TCOUNT = 28,
    HANGUL_NCOUNT = HANGUL_VCOUNT * HANGUL_TCOUNT,   /* 588 */
    HANGUL_SCOUNT = HANGUL_LCOUNT * HANGUL_NCOUNT,   /* 11172 */
};

const char *xl_uc_version(void) { return xl_uc_ucd_version; }

xl_uc_gc xl_uc_category(uint32_t cp) { return (xl_uc_gc)uc_lookup(cp)->gc; }

static const char *const GC_SHORT[XL_GC_COUNT] = {"Cn", "Lu", "Ll", "Lt", "Lm", "Lo", "Mn", "Mc", "Me", "Nd",
                                                  "Nl", "No", "Pc", "Pd", "Ps", "Pe", "Pi", "Pf", "Po", "Sm",
                                                  "Sc", "Sk", "So", "Zs", "Zl", "Zp", "Cc", "Cf", "Cs", "Co"};
static const char *const GC_LONG[XL_GC_COUNT] = {
    "Unassigned",           "Uppercase_Letter",      "Lowercase_Letter",    "Titlecase_Letter",
    "Modifier_Letter",      "Other_Letter",          "Nonspacing_Mark",     "Spacing_Mark",
    "Enclosing_Mark",       "Decimal_Number",        "Letter_Number",       "Other_Number",
    "Connector_Punctuation", "Dash_Punctuation",     "Open_Punctuation",    "Close_Punctuation",
    "Initial_Punctuation",  "Final_Punctuation",     "Other_Punctuation",   "Math_Symbol",
    "Currency_Symbol",      "Modifier_Symbol",       "Other_Symbol",        "Space_Separator",
    "Line_Separator",       "Paragraph_Separator",   "Control",             "Format",
    "Surrogate",            "Private_Use"};

const char *xl_uc_category_name(xl_uc_gc gc) { return ((unsigned)gc < XL_GC_COUNT) ? GC_SHORT[gc] : NULL; }
const char *xl_uc_category_long_name(xl_uc_gc gc) { return ((unsigned)gc < XL_GC_COUNT) ? GC_LONG[gc] : NULL; }

uint8_t xl_uc_ccc(uint32_t cp) { return uc_lookup(cp)->ccc; }

xl_uc_script xl_uc_script_of(uint32_t cp) { return (xl_uc_script)uc_lookup(cp)->script; }
const char *xl_uc_script_name(xl_uc_script sc) { return ((unsigned)sc < XL_SC_COUNT) ? xl_uc_script_names[sc][0] : NULL; }
const char *xl_uc_script_code(xl_uc_script sc) { return ((unsigned)sc < XL_SC_COUNT) ? xl_uc_script_names[sc][1] : NULL; }

/* compare ignoring case and the separators '_', '-', ' ' (UAX #44 LM3 loose matching) */
static bool loose_equal(const char *a, const char *b)
{
    for (;;) {
        while (*a == '_' || *a == '-' || *a == ' ') a++;
        while (*b == '_' || *b == '-' || *b == ' ') b++;
        if (!*a || !*b) return *a == *b;
        char ca = *a, cb = *b;
        if (ca >= 'A' && ca <= 'Z') ca = (char)(ca - 'A' + 'a');
        if (cb >= 'A' && cb <= 'Z') cb = (char)(cb - 'A' + 'a');
        if (ca != cb) return false;
        a++;
        b++;
    }
}

int xl_uc_script_from_name(const char *name)
{
    if (!name) return -1;
    for (int i = 0; i < XL_SC_COUNT; i++)
        if (loose_equal(name, xl_uc_script_names[i][0]) || loose_equal(name, xl_uc_script_names[i][1])) return i;
    return -1;
}

uint32_t xl_uc_props(uint32_t cp) { return uc_lookup(cp)->props; }

unsigned xl_uc_bert_class(uint32_t cp) { return uc_lookup(cp)->bert; }

uint8_t xl_uc_bert_ccc(uint32_t cp)
{
    const uc_record *r = uc_lookup(cp);
    return (r->bert & XL_BERT_CCC_ZERO) ? 0 : r->ccc;
}

size_t xl_uc_bert_lower(uint32_t cp, uint32_t out[XL_UC_CASE_MAX])
{
    const uc_record *r = uc_lookup(cp);
    if (!(r->bert & XL_BERT_LOWER_CHANGES)) {
        out[0] = cp;
        return 1;
    }
    if (r->dlower == 0 && !(r->flags & UC_F_SPECIAL_CASE)) {
        int lo = 0, hi = xl_uc_nbert_lower_extra - 1;
        while (lo <= hi) {
            int mid = lo + (hi - lo) / 2;
            if (xl_uc_bert_lower_extra[mid][0] == cp) {
                out[0] = xl_uc_bert_lower_extra[mid][1];
                return 1;
            }
            if (xl_uc_bert_lower_extra[mid][0] < cp) lo = mid + 1;
            else hi = mid - 1;
        }
    }
    return xl_uc_full_lower(cp, out);
}

size_t xl_uc_bert_decompose(uint32_t cp, uint32_t out[XL_UC_DECOMP_MAX])
{
    /* every code point of an old decomposition is old too, so the library
     * decomposes recursively exactly as the UCD does */
    if (!(uc_lookup(cp)->bert & XL_BERT_NFD_CHANGES)) {
        out[0] = cp;
        return 1;
    }
    return xl_uc_decompose(cp, false, out);
}

/* ------------------------------------------------------------------------ */
/* decomposition */

static int find_decomp(uint32_t cp)
{
    int lo = 0, hi = xl_uc_ndecomp - 1;
    while (lo <= hi) {
        int mid = lo + (hi - lo) / 2;
        uint32_t v = xl_uc_decomp_cp[mid];
        if (v == cp) return mid;
        if (v < cp) lo = mid + 1;
        else hi = mid - 1;
    }
    return -1;
}

size_t xl_uc_decomp_mapping(uint32_t cp, xl_uc_decomp_type *type, uint32_t out[XL_UC_DECOMP_MAX])
{
    if (cp >= HANGUL_SBASE && cp < HANGUL_SBASE + HANGUL_SCOUNT) {
        uint32_t s = cp - HANGUL_SBASE, t = s % HANGUL_TCOUNT;
        if (type) *type = XL_DT_CANONICAL;
        if (t == 0) { /* LV -> L V */
            out[0] = HANGUL_LBASE + s / HANGUL_NCOUNT;
            out[1] = HANGUL_VBASE + (s % HANGUL_NCOUNT) / HANGUL_TCOUNT;
        } else { /* LVT -> LV T */
            out[0] = cp - t;
            out[1] = HANGUL_TBASE + t;
        }
        return 2;
    }
    int i = (uc_lookup(cp)->flags & UC_F_DECOMP) ? find_decomp(cp) : -1;
    if (i < 0) {
        if (type) *type = XL_DT_NONE;
        return 0;
    }
    uint32_t info = xl_uc_decomp_info[i];
    size_t len = info & 31u, off = info >> 10;
    if (type) *type = (xl_uc_decomp_type)((info >> 5) & 31u);
    memcpy(out, xl_uc_decomp_data + off, len * sizeof *out);
    return len;
}

/* Appends the full decomposition of cp to out[*n...], bounded by XL_UC_DECOMP_MAX
 * (the generator checks that no decomposition is longer). */
static void decompose_into(uint32_t cp, bool compat, uint32_t *out, size_t *n)
{
    if (cp >= HANGUL_SBASE && cp < HANGUL_SBASE + HANGUL_SCOUNT) {
        uint32_t s = cp - HANGUL_SBASE, t = s % HANGUL_TCOUNT;
        out[(*n)++] = HANGUL_LBASE + s / HANGUL_NCOUNT;
        out[(*n)++] = HANGUL_VBASE + (s % HANGUL_NCOUNT) / HANGUL_TCOUNT;
        if (t) out[(*n)++] = HANGUL_TBASE + t;
        return;
    }
    int i = (uc_lookup(cp)->flags & UC_F_DECOMP) ? find_decomp(cp) : -1;
    uint32_t info = i >= 0 ? xl_uc_decomp_info[i] : 0;
    if (i < 0 || (!compat && ((info >> 5) & 31u) != XL_DT_CANONICAL)) {
        if (*n < XL_UC_DECOMP_MAX) out[(*n)++] = cp;
        return;
    }
    size_t len = info & 31u, off = info >> 10;
    for (size_t k = 0; k < len; k++) decompose_into(xl_uc_decomp_data[off + k], compat, out, n);
}

size_t xl_uc_decompose(uint32_t cp, bool compat, uint32_t out[XL_UC_DECOMP_MAX])
{
    size_t n = 0;
    decompose_into(cp, compat, out, &n);
    return n;
}

static void canonical_order(uint32_t *cps, size_t n, uint8_t (*ccc_of)(uint32_t))
{
    /* insertion sort within runs of non-starters: stable, and runs are short */
    for (size_t i = 1; i < n; i++) {
        uint8_t c = ccc_of(cps[i]);
        if (c == 0) continue;
        uint32_t v = cps[i];
        size_t j = i;
        while (j > 0) {
            uint8_t p = ccc_of(cps[j - 1]);
            if (p == 0 || p <= c) break;
            cps[j] = cps[j - 1];
            j--;
        }
        cps[j] = v;
    }
}

void xl_uc_canonical_order(uint32_t *cps, size_t n) { canonical_order(cps, n, xl_uc_ccc); }

void xl_uc_bert_canonical_order(uint32_t *cps, size_t n) { canonical_order(cps, n, xl_uc_bert_ccc); }

uint32_t xl_uc_compose(uint32_t starter, uint32_t second)
{
    /* Hangul: L + V -> LV, LV + T -> LVT */
    if (starter >= HANGUL_LBASE && starter < HANGUL_LBASE + HANGUL_LCOUNT && second >= HANGUL_VBASE &&
        second < HANGUL_VBASE + HANGUL_VCOUNT)
        return HANGUL_SBASE + ((starter - HANGUL_LBASE) * HANGUL_VCOUNT + (second - HANGUL_VBASE)) * HANGUL_TCOUNT;
    if (starter >= HANGUL_SBASE && starter < HANGUL_SBASE + HANGUL_SCOUNT &&
        (starter - HANGUL_SBASE) % HANGUL_TCOUNT == 0 && second > HANGUL_TBASE &&
        second < HANGUL_TBASE + HANGUL_TCOUNT)
        return starter + (second - HANGUL_TBASE);
    if (starter > XL_UC_MAX_CODE_POINT || second > XL_UC_MAX_CODE_POINT) return 0;
    if (!(uc_lookup(starter)->flags & UC_F_COMPOSE_FIRST) || !(uc_lookup(second)->flags & UC_F_COMPOSE_SECOND))
        return 0;
    uint64_t key = ((uint64_t)starter << 21) | second;
    int lo = 0, hi = xl_uc_ncomp - 1;
    while (lo <= hi) {
        int mid = lo + (hi - lo) / 2;
        if (xl_uc_comp_key[mid] == key) return xl_uc_comp_value[mid];
        if (xl_uc_comp_key[mid] < key) lo = mid + 1;
        else hi = mid - 1;
    }
    return 0;
}

/* ------------------------------------------------------------------------ */
/* case */

uint32_t xl_uc_simple_lower(uint32_t cp) { return cp + (uint32_t)uc_lookup(cp)->dlower; }
uint32_t xl_uc_simple_upper(uint32_t cp) { return cp + (uint32_t)uc_lookup(cp)->dupper; }
uint32_t xl_uc_simple_title(uint32_t cp) { return cp + (uint32_t)uc_lookup(cp)->dtitle; }
uint32_t xl_uc_simple_fold(uint32_t cp) { return cp + (uint32_t)uc_lookup(cp)->dfold; }

static const uc_special *find_special(uint32_t cp)
{
    int lo = 0, hi = xl_uc_nspecial - 1;
    while (lo <= hi) {
        int mid = lo + (hi - lo) / 2;
        if (xl_uc_specials[mid].cp == cp) return &xl_uc_specials[mid];
        if (xl_uc_specials[mid].cp < cp) lo = mid + 1;
        else hi = mid - 1;
    }
    return NULL;
}

enum { CASE_LOWER, CASE_TITLE, CASE_UPPER };

static size_t full_case(uint32_t cp, int which, uint32_t out[XL_UC_CASE_MAX])
{
    const uc_record *r = uc_lookup(cp);
    if (r->flags & UC_F_SPECIAL_CASE) {
        const uc_special *s = find_special(cp);
        if (s) {
            const uint32_t *m = which == CASE_LOWER ? s->lower : which == CASE_TITLE ? s->title : s->upper;
            size_t n = which == CASE_LOWER ? s->nl : which == CASE_TITLE ? s->nt : s->nu;
            memcpy(out, m, n * sizeof *out);
            return n;
        }
    }
    int32_t d = which == CASE_LOWER ? r->dlower : which == CASE_TITLE ? r->dtitle : r->dupper;
    out[0] = cp + (uint32_t)d;
    return 1;
}

size_t xl_uc_full_lower(uint32_t cp, uint32_t out[XL_UC_CASE_MAX]) { return full_case(cp, CASE_LOWER, out); }
size_t xl_uc_full_upper(uint32_t cp, uint32_t out[XL_UC_CASE_MAX]) { return full_case(cp, CASE_UPPER, out); }
size_t xl_uc_full_title(uint32_t cp, uint32_t out[XL_UC_CASE_MAX]) { return full_case(cp, CASE_TITLE, out); }

size_t xl_uc_full_fold(uint32_t cp, uint32_t out[XL_UC_CASE_MAX])
{
    const uc_record *r = uc_lookup(cp);
    if (r->flags & UC_F_FULL_FOLD) {
        int lo = 0, hi = xl_uc_nfullfold - 1;
        while (lo <= hi) {
            int mid = lo + (hi - lo) / 2;
            if (xl_uc_fullfolds[mid].cp == cp) {
                memcpy(out, xl_uc_fullfolds[mid].fold, xl_uc_fullfolds[mid].n * sizeof *out);
                return xl_uc_fullfolds[mid].n;
            }
            if (xl_uc_fullfolds[mid].cp < cp) lo = mid + 1;
            else hi = mid - 1;
        }
    }
    out[0] = cp + (uint32_t)r->dfold;
    return 1;
}

/* decode s[0..len) into code points (ill-formed -> U+FFFD); *n = count */
static int decode_all(const char *s, size_t len, uint32_t **cps, size_t *n, xl_error *err)
{
    *cps = xl_calloc(len ? len : 1, sizeof **cps, err);
    if (!*cps) return -1;
    size_t i = 0, k = 0;
    while (i < len) {
        uint32_t cp;
        int r = xl_utf8_decode((const unsigned char *)s + i, len - i, &cp, NULL);
        (*cps)[k++] = cp;
        i += (size_t)(r > 0 ? r : -r);
    }
    *n = k;
    return 0;
}

static int put_cp(xl_buf *out, uint32_t cp, xl_error *err)
{
    unsigned char u[4];
    size_t n = xl_utf8_encode(cp, u);
    return xl_buf_append(out, u, n, err);
}

/* Final_Sigma (Unicode 3.13 Table 3-17): C is preceded by a sequence of a
 * cased letter then case-ignorables, and not followed by case-ignorables then
 * a cased letter. */
static bool final_sigma_at(const uint32_t *cps, size_t n, size_t i)
{
    size_t j = i;
    bool before = false;
    while (j > 0) {
        uint32_t p = xl_uc_props(cps[--j]);
        if (p & XL_UCP_CASE_IGNORABLE) continue;
        before = (p & XL_UCP_CASED) != 0;
        break;
    }
    if (!before) return false;
    for (j = i + 1; j < n; j++) {
        uint32_t p = xl_uc_props(cps[j]);
        if (p & XL_UCP_CASE_IGNORABLE) continue;
        return (p & XL_UCP_CASED) == 0;
    }
    return true;
}

static int map_utf8(const char *s, size_t len, int which, bool final_sigma, xl_buf *out, xl_error *err)
{
    uint32_t *cps;
    size_t n;
    if (decode_all(s, len, &cps, &n, err) < 0) return -1;
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        uint32_t m[XL_UC_CASE_MAX];
        size_t k;
        if (which == CASE_LOWER && final_sigma && cps[i] == 0x03A3 && final_sigma_at(cps, n, i)) {
            m[0] = 0x03C2;
            k = 1;
        } else if (which < 0) {
            k = xl_uc_full_fold(cps[i], m);
        } else {
            k = full_case(cps[i], which, m);
        }
        for (size_t j = 0; j < k && rc == 0; j++) rc = put_cp(out, m[j], err);
    }
    free(cps);
    return rc;
}

int xl_uc_lower_utf8(const char *s, size_t len, bool final_sigma, xl_buf *out, xl_error *err)
{
    return map_utf8(s, len, CASE_LOWER, final_sigma, out, err);
}
int xl_uc_upper_utf8(const char *s, size_t len, xl_buf *out, xl_error *err)
{
    return map_utf8(s, len, CASE_UPPER, false, out, err);
}
int xl_uc_casefold_utf8(const char *s, size_t len, xl_buf *out, xl_error *err)
{
    return map_utf8(s, len, -1, false, out, err);
}
