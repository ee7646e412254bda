/* gen_unicode.c - generates tokenizer/unicode_tables.c and
 * tokenizer/xl_unicode_scripts.h from the Unicode Character Database text
 * files (UAX #44 formats).  Run through tokenizer/tools/gen_unicode.sh:
 *
 *     gen_unicode UCD_DIR DEPARTURES_FILE OUT_TABLES_C OUT_SCRIPTS_H
 *
 * Files read from UCD_DIR: UnicodeData.txt, Scripts.txt, PropertyValueAliases.txt,
 * PropList.txt, DerivedCoreProperties.txt, DerivedNormalizationProps.txt,
 * CompositionExclusions.txt (cross-check only), SpecialCasing.txt,
 * CaseFolding.txt, DerivedAge.txt, emoji/emoji-data.txt.  DEPARTURES_FILE
 * (tokenizer/tools/hf_bert_departures.txt) lists where HuggingFace tokenizers'
 * BERT character classes differ from this UCD.
 *
 * Output is deterministic: the same inputs give byte-identical files.
 *
 * Table layout (see unicode_tables.c's header comment): every code point maps
 * to a record index through a three-level trie
 *     record = leaf[mid[top[cp >> 12] * MID + ((cp / LEAF) % MID)] * LEAF + (cp % LEAF)]
 * (cp >> 5 in the generated file: LEAF = 32, MID = 128) with identical blocks shared.  Records hold the small per-code-point
 * properties (category, ccc, script, binary properties, BERT classes, simple
 * case mapping deltas).  Decompositions, compositions and full case mappings
 * are sorted arrays searched by binary search (only reached when a record flag
 * says the code point has one).
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NCP 0x110000
#define MAXLINE 4096

static void die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "gen_unicode: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
    exit(1);
}

static void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n, size);
    if (!p) die("out of memory");
    return p;
}

static const char *g_dir;
static char g_version[32];

static FILE *open_ucd(const char *name)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", g_dir, name);
    FILE *f = fopen(path, "r");
    if (!f) die("cannot open %s", path);
    return f;
}

/* The first line of most UCD files is "# Name-15.0.0.txt": check that every
 * file has the same version. */
static void check_version(const char *name, const char *first_line)
{
    const char *dash = strrchr(first_line, '-');
    const char *dot = strstr(first_line, ".txt");
    if (first_line[0] != '#' || !dash || !dot || dot < dash || !isdigit((unsigned char)dash[1])) return;
    char v[32];
    size_t n = (size_t)(dot - dash - 1);
    if (n == 0 || n >= sizeof v) return;
    memcpy(v, dash + 1, n);
    v[n] = 0;
    if (!g_version[0])
        strcpy(g_version, v);
    else if (strcmp(v, g_version) != 0)
        die("%s is version %s, other files %s", name, v, g_version);
}

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t') s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n' || s[n - 1] == '\r')) s[--n] = 0;
    return s;
}

/* Split s at ';' into at most max fields (trimmed); comments (#...) removed.
 * Returns the number of fields, 0 for a blank/comment line. */
static int split_fields(char *s, char **f, int max)
{
    char *hash = strchr(s, '#');
    if (hash) *hash = 0;
    s = trim(s);
    if (!*s) return 0;
    int n = 0;
    for (;;) {
        char *semi = strchr(s, ';');
        if (semi) *semi = 0;
        if (n < max) f[n++] = trim(s);
        if (!semi) break;
        s = semi + 1;
    }
    return n;
}

static uint32_t parse_cp(const char *s)
{
    char *end;
    unsigned long v = strtoul(s, &end, 16);
    if (end == s || v >= NCP) die("bad code point '%s'", s);
    return (uint32_t)v;
}

static void parse_range(const char *s, uint32_t *lo, uint32_t *hi)
{
    const char *dots = strstr(s, "..");
    *lo = parse_cp(s);
    *hi = dots ? parse_cp(dots + 2) : *lo;
    if (*hi < *lo) die("bad range '%s'", s);
}

/* Parse a space-separated list of hex code points; returns the count. */
static int parse_cps(const char *s, uint32_t *out, int max)
{
    int n = 0;
    while (*s) {
        while (*s == ' ') s++;
        if (!*s) break;
        char *end;
        unsigned long v = strtoul(s, &end, 16);
        if (end == s || v >= NCP) die("bad code point list '%s'", s);
        if (n >= max) die("code point list too long '%s'", s);
        out[n++] = (uint32_t)v;
        s = end;
    }
    return n;
}

/* ------------------------------------------------------------------------ */
static const char *GC_NAMES[30] = {"Cn", "Lu", "Ll", "Lt", "Lm", "Lo", "Mn", "Mc", "Me", "Nd",
                                   "Nl", "No", "Pc", "Pd", "Ps", "Pe", "Pi", "Pf", "Po", "Sm",
                                   "Sc", "Sk", "So", "Zs", "Zl", "Zp", "Cc", "Cf", "Cs", "Co"};
enum { GC_CN = 0, GC_MN = 6, GC_PC = 12, GC_PO = 18, GC_CC = 26, GC_CF = 27, GC_CS = 28, GC_CO = 29 };

static const char *DT_NAMES[18] = {"",        "",          "<compat>",   "<font>",  "<noBreak>", "<initial>",
                                   "<medial>", "<final>",  "<isolated>", "<circle>", "<super>",  "<sub>",
                                   "<vertical>", "<wide>", "<narrow>",   "<small>",  "<square>", "<fraction>"};

/* property bits: same values as xl_unicode.h */
enum {
    P_WHITE_SPACE = 1u << 0,
    P_ALPHABETIC = 1u << 1,
    P_LOWERCASE = 1u << 2,
    P_UPPERCASE = 1u << 3,
    P_CASED = 1u << 4,
    P_CASE_IGNORABLE = 1u << 5,
    P_DEFAULT_IGNORABLE = 1u << 6,
    P_IDEOGRAPHIC = 1u << 7,
    P_DASH = 1u << 8,
    P_QUOTATION_MARK = 1u << 9,
    P_NONCHARACTER = 1u << 10,
    P_VARIATION_SELECTOR = 1u << 11,
    P_FULL_COMP_EXCLUSION = 1u << 12,
    P_NFD_QC_NO = 1u << 13,
    P_NFKD_QC_NO = 1u << 14,
    P_NFC_QC_NO = 1u << 15,
    P_NFC_QC_MAYBE = 1u << 16,
    P_NFKC_QC_NO = 1u << 17,
    P_NFKC_QC_MAYBE = 1u << 18,
    P_CHANGES_WHEN_CASEFOLDED = 1u << 19,
    P_EXTENDED_PICTOGRAPHIC = 1u << 20,
    P_REGIONAL_INDICATOR = 1u << 21,
};
/* BERT class bits: same values as xl_unicode.h */
enum {
    B_WHITESPACE = 1u << 0,
    B_CONTROL = 1u << 1,
    B_PUNCT = 1u << 2,
    B_CJK = 1u << 3,
    B_NONSPACING = 1u << 4,
    B_LOWER_CHANGES = 1u << 5,
    B_NFD_CHANGES = 1u << 6,
    B_CCC_ZERO = 1u << 7,
};
/* internal record flags (unicode_tables.c) */
enum {
    F_DECOMP = 1u << 0,      /* has a decomposition mapping in the decomp table */
    F_SPECIAL_CASE = 1u << 1, /* has an unconditional SpecialCasing entry */
    F_FULL_FOLD = 1u << 2,   /* has a CaseFolding F entry */
    F_COMPOSE_FIRST = 1u << 3, /* appears first in a primary composite pair */
    F_COMPOSE_SECOND = 1u << 4, /* appears second */
};

typedef struct {
    uint8_t gc, ccc, script, flags;
    uint16_t bert;
    uint32_t props;
    int32_t dlower, dupper, dtitle, dfold;
} record;

static record *g_rec; /* [NCP] */
static int g_assigned_explicit[NCP / 8];
static uint16_t g_age[NCP]; /* DerivedAge: major << 8 | minor; 0 = unassigned */

/* HuggingFace departures */
static uint16_t g_hf_gc_age, g_hf_norm_age; /* @categories, @normalization */
static uint32_t g_lower_extra[256][2];
static int g_nlower_extra;

/* decompositions */
typedef struct {
    uint32_t cp;
    uint8_t type, len;
    uint32_t map[18];
} decomp;
static decomp g_decomp[8192];
static int g_ndecomp;

/* special casing (unconditional) and full folding */
typedef struct {
    uint32_t cp;
    uint8_t nl, nt, nu;
    uint32_t lower[3], title[3], upper[3];
} special;
static special g_special[256];
static int g_nspecial;
typedef struct {
    uint32_t cp;
    uint8_t n;
    uint32_t fold[3];
} fullfold;
static fullfold g_fold[256];
static int g_nfold;

/* compositions */
typedef struct {
    uint32_t a, b, c;
} comp;
static comp g_comp[4096];
static int g_ncomp;

/* scripts */
typedef struct {
    char name[64], code[8];
} script_name;
static script_name g_scripts[256];
static int g_nscripts;

static int cmp_script(const void *a, const void *b)
{
    return strcmp(((const script_name *)a)->name, ((const script_name *)b)->name);
}

static void read_script_names(void)
{
    FILE *f = open_ucd("PropertyValueAliases.txt");
    char line[MAXLINE], *fl[8];
    script_name unknown = {{0}, {0}}, common = {{0}, {0}}, inherited = {{0}, {0}};
    script_name rest[256];
    int nrest = 0;
    int first = 1;
    while (fgets(line, sizeof line, f)) {
        if (first) check_version("PropertyValueAliases.txt", line), first = 0;
        int n = split_fields(line, fl, 8);
        if (n < 3 || strcmp(fl[0], "sc") != 0) continue;
        script_name s;
        snprintf(s.name, sizeof s.name, "%s", fl[2]);
        snprintf(s.code, sizeof s.code, "%s", fl[1]);
        if (!strcmp(s.name, "Unknown"))
            unknown = s;
        else if (!strcmp(s.name, "Common"))
            common = s;
        else if (!strcmp(s.name, "Inherited"))
            inherited = s;
        else {
            if (nrest >= 250) die("too many scripts");
            rest[nrest++] = s;
        }
    }
    fclose(f);
    if (!unknown.name[0] || !common.name[0] || !inherited.name[0]) die("PropertyValueAliases.txt: no Zzzz/Zyyy/Zinh");
    qsort(rest, (size_t)nrest, sizeof rest[0], cmp_script);
    g_scripts[0] = unknown;
    g_scripts[1] = common;
    g_scripts[2] = inherited;
    memcpy(g_scripts + 3, rest, (size_t)nrest * sizeof rest[0]);
    g_nscripts = nrest + 3;
}

static int script_index(const char *name)
{
    for (int i = 0; i < g_nscripts; i++)
        if (!strcmp(g_scripts[i].name, name)) return i;
    die("unknown script '%s'", name);
    return -1;
}

static int gc_index(const char *s)
{
    for (int i = 0; i < 30; i++)
        if (!strcmp(GC_NAMES[i], s)) return i;
    die("unknown category '%s'", s);
    return -1;
}

static void read_unicode_data(void)
{
    FILE *f = open_ucd("UnicodeData.txt");
    char line[MAXLINE], *fl[16];
    uint32_t range_first = 0;
    int in_range = 0;
    while (fgets(line, sizeof line, f)) {
        int n = split_fields(line, fl, 16);
        if (n == 0) continue;
        if (n != 15) die("UnicodeData.txt: %d fields", n);
        uint32_t cp = parse_cp(fl[0]);
        const char *name = fl[1];
        size_t nl = strlen(name);
        uint32_t lo = cp, hi = cp;
        if (nl > 8 && !strcmp(name + nl - 8, ", First>")) {
            range_first = cp;
            in_range = 1;
            continue;
        }
        if (nl > 7 && !strcmp(name + nl - 7, ", Last>")) {
            if (!in_range) die("UnicodeData.txt: Last without First at %04X", cp);
            lo = range_first;
            in_range = 0;
        }
        int gc = gc_index(fl[2]);
        int ccc = atoi(fl[3]);
        for (uint32_t c = lo; c <= hi; c++) {
            record *r = &g_rec[c];
            r->gc = (uint8_t)gc;
            r->ccc = (uint8_t)ccc;
            g_assigned_explicit[c / 8] |= 1 << (c % 8);
            if (fl[12][0]) r->dupper = (int32_t)parse_cp(fl[12]) - (int32_t)c;
            if (fl[13][0]) r->dlower = (int32_t)parse_cp(fl[13]) - (int32_t)c;
            if (fl[14][0]) r->dtitle = (int32_t)parse_cp(fl[14]) - (int32_t)c;
            else r->dtitle = r->dupper; /* UAX #44: empty titlecase field = uppercase */
        }
        if (fl[5][0]) {
            if (lo != hi) die("decomposition on a range");
            decomp *d = &g_decomp[g_ndecomp++];
            if (g_ndecomp >= (int)(sizeof g_decomp / sizeof g_decomp[0])) die("too many decompositions");
            d->cp = cp;
            const char *m = fl[5];
            d->type = 1;
            if (m[0] == '<') {
                const char *gt = strchr(m, '>');
                if (!gt) die("bad decomposition tag at %04X", cp);
                size_t tl = (size_t)(gt - m + 1);
                d->type = 0;
                for (int t = 2; t < 18; t++)
                    if (strlen(DT_NAMES[t]) == tl && !strncmp(DT_NAMES[t], m, tl)) d->type = (uint8_t)t;
                if (!d->type) die("unknown decomposition tag at %04X", cp);
                m = gt + 1;
            }
            d->len = (uint8_t)parse_cps(m, d->map, 18);
            g_rec[cp].flags |= F_DECOMP;
        }
    }
    fclose(f);
}

/* A file of "RANGE ; Value" lines: call fn for every code point. */
typedef void (*range_fn)(uint32_t cp, char **fields, int nfields);
static void read_ranges(const char *name, range_fn fn)
{
    FILE *f = open_ucd(name);
    char line[MAXLINE], *fl[8];
    int first = 1;
    while (fgets(line, sizeof line, f)) {
        if (first) check_version(name, line), first = 0;
        int n = split_fields(line, fl, 8);
        if (n < 2) continue;
        uint32_t lo, hi;
        parse_range(fl[0], &lo, &hi);
        for (uint32_t c = lo; c <= hi; c++) fn(c, fl, n);
    }
    fclose(f);
}

static uint16_t parse_age(const char *s)
{
    int major = 0, minor = 0;
    if (sscanf(s, "%d.%d", &major, &minor) != 2 || major <= 0 || major > 255 || minor < 0 || minor > 255)
        die("bad Unicode version '%s'", s);
    return (uint16_t)(major << 8 | minor);
}

static void on_age(uint32_t cp, char **fl, int n)
{
    (void)n;
    g_age[cp] = parse_age(fl[1]);
}

static void on_script(uint32_t cp, char **fl, int n)
{
    (void)n;
    static char last[64];
    static int last_index;
    if (strcmp(last, fl[1]) != 0) {
        snprintf(last, sizeof last, "%s", fl[1]);
        last_index = script_index(fl[1]);
    }
    g_rec[cp].script = (uint8_t)last_index;
}

typedef struct {
    const char *name;
    uint32_t bit;
} prop_name;
static const prop_name BIN_PROPS[] = {
    {"White_Space", P_WHITE_SPACE},
    {"Alphabetic", P_ALPHABETIC},
    {"Lowercase", P_LOWERCASE},
    {"Uppercase", P_UPPERCASE},
    {"Cased", P_CASED},
    {"Case_Ignorable", P_CASE_IGNORABLE},
    {"Default_Ignorable_Code_Point", P_DEFAULT_IGNORABLE},
    {"Ideographic", P_IDEOGRAPHIC},
    {"Dash", P_DASH},
    {"Quotation_Mark", P_QUOTATION_MARK},
    {"Noncharacter_Code_Point", P_NONCHARACTER},
    {"Variation_Selector", P_VARIATION_SELECTOR},
    {"Full_Composition_Exclusion", P_FULL_COMP_EXCLUSION},
    {"Changes_When_Casefolded", P_CHANGES_WHEN_CASEFOLDED},
    {"Extended_Pictographic", P_EXTENDED_PICTOGRAPHIC},
    {"Regional_Indicator", P_REGIONAL_INDICATOR},
    {NULL, 0}};

static void on_binprop(uint32_t cp, char **fl, int n)
{
    if (n == 2) {
        for (const prop_name *p = BIN_PROPS; p->name; p++)
            if (!strcmp(p->name, fl[1])) g_rec[cp].props |= p->bit;
        return;
    }
    /* quick checks: "NFD_QC; N" */
    if (n == 3) {
        int no = !strcmp(fl[2], "N"), maybe = !strcmp(fl[2], "M");
        if (!strcmp(fl[1], "NFD_QC") && no) g_rec[cp].props |= P_NFD_QC_NO;
        if (!strcmp(fl[1], "NFKD_QC") && no) g_rec[cp].props |= P_NFKD_QC_NO;
        if (!strcmp(fl[1], "NFC_QC")) g_rec[cp].props |= no ? P_NFC_QC_NO : maybe ? P_NFC_QC_MAYBE : 0;
        if (!strcmp(fl[1], "NFKC_QC")) g_rec[cp].props |= no ? P_NFKC_QC_NO : maybe ? P_NFKC_QC_MAYBE : 0;
    }
}

static int g_excluded[NCP / 8];
static void on_exclusion(uint32_t cp, char **fl, int n)
{
    (void)fl;
    (void)n;
    g_excluded[cp / 8] |= 1 << (cp % 8);
}
/* CompositionExclusions.txt has a single field per line */
static void read_exclusions(void)
{
    FILE *f = open_ucd("CompositionExclusions.txt");
    char line[MAXLINE], *fl[4];
    int first = 1;
    while (fgets(line, sizeof line, f)) {
        if (first) check_version("CompositionExclusions.txt", line), first = 0;
        if (split_fields(line, fl, 4) < 1) continue;
        uint32_t lo, hi;
        parse_range(fl[0], &lo, &hi);
        for (uint32_t c = lo; c <= hi; c++) on_exclusion(c, fl, 1);
    }
    fclose(f);
}

static void read_special_casing(void)
{
    FILE *f = open_ucd("SpecialCasing.txt");
    char line[MAXLINE], *fl[8];
    int first = 1;
    while (fgets(line, sizeof line, f)) {
        if (first) check_version("SpecialCasing.txt", line), first = 0;
        int n = split_fields(line, fl, 8);
        if (n < 4) continue;
        if (n >= 5 && fl[4][0]) continue; /* conditional (Final_Sigma, language-specific) */
        uint32_t cp = parse_cp(fl[0]);
        special *s = &g_special[g_nspecial++];
        if (g_nspecial >= 256) die("too many SpecialCasing entries");
        s->cp = cp;
        s->nl = (uint8_t)parse_cps(fl[1], s->lower, 3);
        s->nt = (uint8_t)parse_cps(fl[2], s->title, 3);
        s->nu = (uint8_t)parse_cps(fl[3], s->upper, 3);
        g_rec[cp].flags |= F_SPECIAL_CASE;
    }
    fclose(f);
}

static void read_case_folding(void)
{
    FILE *f = open_ucd("CaseFolding.txt");
    char line[MAXLINE], *fl[8];
    int first = 1;
    while (fgets(line, sizeof line, f)) {
        if (first) check_version("CaseFolding.txt", line), first = 0;
        int n = split_fields(line, fl, 8);
        if (n < 3) continue;
        uint32_t cp = parse_cp(fl[0]);
        if (!strcmp(fl[1], "C") || !strcmp(fl[1], "S")) {
            g_rec[cp].dfold = (int32_t)parse_cp(fl[2]) - (int32_t)cp;
        } else if (!strcmp(fl[1], "F")) {
            fullfold *ff = &g_fold[g_nfold++];
            if (g_nfold >= 256) die("too many F foldings");
            ff->cp = cp;
            ff->n = (uint8_t)parse_cps(fl[2], ff->fold, 3);
            g_rec[cp].flags |= F_FULL_FOLD;
        }
    }
    fclose(f);
}

/* ------------------------------------------------------------------------ */
/* HuggingFace departures file (tokenizer/tools/hf_bert_departures.txt):
 *   @categories X.Y        the Unicode version of the General_Category data behind
 *                          the control, punctuation and non-spacing classes:
 *                          code points assigned later get none of them;
 *   @normalization X.Y     the Unicode version of the NFD data: code points
 *                          assigned later neither decompose nor reorder (ccc 0);
 *   RANGE ; CLASS ; +|-    CLASS in WHITESPACE CONTROL PUNCT CJK NONSPACING: '+' sets, '-' clears;
 *   CP ; LOWER ; CP2       an extra lowercase mapping (code points unassigned here). */
static void read_departure_header(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) die("cannot open %s", path);
    char line[MAXLINE];
    while (fgets(line, sizeof line, f)) {
        char *t = trim(line);
        if (!strncmp(t, "@categories", 11)) g_hf_gc_age = parse_age(trim(t + 11));
        if (!strncmp(t, "@normalization", 14)) g_hf_norm_age = parse_age(trim(t + 14));
    }
    fclose(f);
    if (!g_hf_gc_age || !g_hf_norm_age) die("%s: @categories and @normalization are required", path);
}

static void read_departures(const char *path, int *ndep)
{
    FILE *f = fopen(path, "r");
    if (!f) die("cannot open %s", path);
    char line[MAXLINE], *fl[8];
    static const prop_name CLASSES[] = {{"WHITESPACE", B_WHITESPACE}, {"CONTROL", B_CONTROL}, {"PUNCT", B_PUNCT},
                                        {"CJK", B_CJK},               {"NONSPACING", B_NONSPACING}, {NULL, 0}};
    *ndep = 0;
    while (fgets(line, sizeof line, f)) {
        if (trim(line)[0] == '@') continue;
        int n = split_fields(line, fl, 8);
        if (n == 0) continue;
        if (n != 3) die("%s: expected 'RANGE ; CLASS ; +|-'", path);
        uint32_t lo, hi, bit = 0;
        parse_range(fl[0], &lo, &hi);
        if (!strcmp(fl[1], "LOWER")) {
            if (lo != hi || g_nlower_extra >= 256) die("%s: bad LOWER line", path);
            if (g_rec[lo].dlower || (g_rec[lo].flags & F_SPECIAL_CASE)) die("%s: %04X has a UCD lowercase", path, lo);
            g_lower_extra[g_nlower_extra][0] = lo;
            g_lower_extra[g_nlower_extra++][1] = parse_cp(fl[2]);
            g_rec[lo].bert |= B_LOWER_CHANGES;
            (*ndep)++;
            continue;
        }
        for (const prop_name *p = CLASSES; p->name; p++)
            if (!strcmp(p->name, fl[1])) bit = p->bit;
        if (!bit) die("%s: unknown class '%s'", path, fl[1]);
        int set = !strcmp(fl[2], "+");
        if (!set && strcmp(fl[2], "-") != 0) die("%s: expected + or -", path);
        for (uint32_t c = lo; c <= hi; c++) {
            if (set) g_rec[c].bert |= (uint16_t)bit;
            else g_rec[c].bert &= (uint16_t)~bit;
            (*ndep)++;
        }
    }
    fclose(f);
}

static int is_hangul_syllable(uint32_t cp) { return cp >= 0xAC00 && cp <= 0xD7A3; }

static const decomp *find_decomp(uint32_t cp)
{
    int lo = 0, hi = g_ndecomp - 1;
    while (lo <= hi) {
        int mid = (lo + hi) / 2;
        if (g_decomp[mid].cp == cp) return &g_decomp[mid];
        if (g_decomp[mid].cp < cp) lo = mid + 1;
        else hi = mid - 1;
    }
    return NULL;
}

/* canonical full decomposition length (for checks) */
static int full_canon(uint32_t cp, uint32_t *out)
{
    const decomp *d = find_decomp(cp);
    if (!d || d->type != 1) {
        out[0] = cp;
        return 1;
    }
    int n = 0;
    for (int i = 0; i < d->len; i++) n += full_canon(d->map[i], out + n);
    return n;
}

static int full_any(uint32_t cp, uint32_t *out)
{
    const decomp *d = find_decomp(cp);
    if (!d) {
        out[0] = cp;
        return 1;
    }
    int n = 0;
    for (int i = 0; i < d->len; i++) n += full_any(d->map[i], out + n);
    return n;
}

static void derive(void)
{
    /* Unassigned code points: UnicodeData.txt leaves them out; surrogates and
     * private use are covered by its First/Last ranges. */
    for (uint32_t c = 0; c < NCP; c++) {
        if (!(g_assigned_explicit[c / 8] & (1 << (c % 8)))) g_rec[c].gc = GC_CN;
    }
    /* compositions: canonical 2-element mappings not excluded */
    for (int i = 0; i < g_ndecomp; i++) {
        const decomp *d = &g_decomp[i];
        int fce = (g_rec[d->cp].props & P_FULL_COMP_EXCLUSION) != 0;
        int excl = (g_excluded[d->cp / 8] >> (d->cp % 8)) & 1;
        /* cross-check: Full_Composition_Exclusion = CompositionExclusions.txt
         * + singletons + non-starter decompositions */
        int derived_fce = excl || (d->type == 1 && d->len == 1) ||
                          (d->type == 1 && (g_rec[d->cp].ccc != 0 || g_rec[d->map[0]].ccc != 0));
        if (d->type == 1 && fce != derived_fce) die("Full_Composition_Exclusion mismatch at %04X", d->cp);
        if (d->type != 1 || d->len != 2 || fce) continue;
        comp *cm = &g_comp[g_ncomp++];
        if (g_ncomp >= 4096) die("too many compositions");
        cm->a = d->map[0];
        cm->b = d->map[1];
        cm->c = d->cp;
        g_rec[cm->a].flags |= F_COMPOSE_FIRST;
        g_rec[cm->b].flags |= F_COMPOSE_SECOND;
    }
    /* check the maximal decomposition lengths assumed by the header */
    uint32_t buf[64];
    for (int i = 0; i < g_ndecomp; i++) {
        if (full_canon(g_decomp[i].cp, buf) > 4) die("canonical decomposition longer than 4 at %04X", g_decomp[i].cp);
        if (full_any(g_decomp[i].cp, buf) > 18) die("decomposition longer than 18 at %04X", g_decomp[i].cp);
    }
    for (int i = 0; i < g_nspecial; i++)
        if (g_special[i].nl > 3 || g_special[i].nu > 3 || g_special[i].nt > 3) die("special casing too long");
    /* BERT classes from the UCD, as HuggingFace tokenizers defines them
     * (tokenizers/src/normalizers/bert.rs, pre_tokenizers/bert.rs):
     *   whitespace: char::is_whitespace (White_Space) ;
     *   control:    Cc Cf Co (not \t \n \r), plus U+0000 and U+FFFD, which
     *               clean_text removes explicitly;
     *   punct:      ASCII punctuation or P* ;
     *   CJK:        the code point ranges of is_chinese_char ;
     *   nonspacing: Mn.
     * The departures file then applies what the library's own tables differ in. */
    static const uint32_t CJK_RANGES[][2] = {{0x4E00, 0x9FFF},   {0x3400, 0x4DBF},   {0x20000, 0x2A6DF},
                                             {0x2A700, 0x2B73F}, {0x2B740, 0x2B81F}, {0x2B920, 0x2CEAF},
                                             {0xF900, 0xFAFF},   {0x2F800, 0x2FA1F}};
    for (uint32_t c = 0; c < NCP; c++) {
        record *r = &g_rec[c];
        uint16_t b = 0;
        int old_gc = g_age[c] && g_age[c] <= g_hf_gc_age; /* assigned in the library's category data */
        if (r->props & P_WHITE_SPACE) b |= B_WHITESPACE;
        if ((r->gc == GC_CC || (r->gc == GC_CF && old_gc) || r->gc == GC_CO) && c != '\t' && c != '\n' &&
            c != '\r')
            b |= B_CONTROL;
        if (c == 0 || c == 0xFFFD) b |= B_CONTROL;
        if ((c >= 33 && c <= 47) || (c >= 58 && c <= 64) || (c >= 91 && c <= 96) || (c >= 123 && c <= 126) ||
            (r->gc >= GC_PC && r->gc <= GC_PO && old_gc))
            b |= B_PUNCT;
        for (size_t k = 0; k < sizeof CJK_RANGES / sizeof CJK_RANGES[0]; k++)
            if (c >= CJK_RANGES[k][0] && c <= CJK_RANGES[k][1]) b |= B_CJK;
        if (r->gc == GC_MN && old_gc) b |= B_NONSPACING;
        int old_norm = g_age[c] && g_age[c] <= g_hf_norm_age;
        if (r->ccc != 0 && !old_norm) b |= B_CCC_ZERO;
        r->bert = b;
    }
}

static void derive_changes(void)
{
    for (uint32_t c = 0; c < NCP; c++) {
        record *r = &g_rec[c];
        if (r->dlower != 0 || (r->flags & F_SPECIAL_CASE)) {
            /* special entries may map to itself (e.g. lowercase of a lowercase ligature) */
            int changes = r->dlower != 0;
            if (r->flags & F_SPECIAL_CASE) {
                for (int i = 0; i < g_nspecial; i++)
                    if (g_special[i].cp == c) changes = !(g_special[i].nl == 1 && g_special[i].lower[0] == c);
            }
            if (changes) r->bert |= B_LOWER_CHANGES;
        }
        if (is_hangul_syllable(c)) r->bert |= B_NFD_CHANGES;
        const decomp *d = (r->flags & F_DECOMP) ? find_decomp(c) : NULL;
        if (d && d->type == 1 && g_age[c] <= g_hf_norm_age) r->bert |= B_NFD_CHANGES;
    }
}

/* ------------------------------------------------------------------------ */
/* trie building */
#define LEAF 32
#define MID 128
static record g_uniq[65536];
static int g_nuniq;

static int rec_eq(const record *a, const record *b)
{
    return a->gc == b->gc && a->ccc == b->ccc && a->script == b->script && a->bert == b->bert &&
           a->flags == b->flags && a->props == b->props && a->dlower == b->dlower && a->dupper == b->dupper &&
           a->dtitle == b->dtitle && a->dfold == b->dfold;
}

/* simple open-addressing hash over records for dedup */
static int *g_rec_hash;
#define REC_HASH_SIZE (1 << 17)
static uint32_t rec_hash(const record *r)
{
    uint32_t h = 2166136261u;
    uint32_t v[10] = {r->gc, r->ccc, r->script, r->flags, r->bert, r->props, (uint32_t)r->dlower,
                      (uint32_t)r->dupper, (uint32_t)r->dtitle, (uint32_t)r->dfold};
    for (int i = 0; i < 10; i++) h = (h ^ v[i]) * 16777619u;
    return h;
}
static int rec_id(const record *r)
{
    uint32_t h = rec_hash(r) & (REC_HASH_SIZE - 1);
    while (g_rec_hash[h] >= 0) {
        if (rec_eq(&g_uniq[g_rec_hash[h]], r)) return g_rec_hash[h];
        h = (h + 1) & (REC_HASH_SIZE - 1);
    }
    if (g_nuniq >= 65535) die("too many distinct records");
    g_uniq[g_nuniq] = *r;
    g_rec_hash[h] = g_nuniq;
    return g_nuniq++;
}

static uint16_t *g_leaf; /* unique leaf blocks, LEAF entries each */
static int g_nleaf;
static uint16_t *g_mid; /* unique mid blocks, MID entries each */
static int g_nmid;
static uint16_t g_top[NCP >> 12];

static int find_block(uint16_t *blocks, int *nblocks, const uint16_t *b, int size)
{
    for (int i = 0; i < *nblocks; i++)
        if (!memcmp(blocks + (size_t)i * size, b, (size_t)size * sizeof *b)) return i;
    memcpy(blocks + (size_t)*nblocks * size, b, (size_t)size * sizeof *b);
    return (*nblocks)++;
}

static void build_trie(void)
{
    g_rec_hash = xcalloc(REC_HASH_SIZE, sizeof *g_rec_hash);
    for (int i = 0; i < REC_HASH_SIZE; i++) g_rec_hash[i] = -1;
    g_leaf = xcalloc(NCP, sizeof *g_leaf);
    g_mid = xcalloc(NCP / LEAF, sizeof *g_mid);
    /* record 0 = the default (unassigned) record so zeroed tables are safe */
    record dflt;
    memset(&dflt, 0, sizeof dflt);
    rec_id(&dflt);
    uint16_t leaf[LEAF], mid[MID];
    for (uint32_t top = 0; top < (NCP >> 12); top++) {
        for (uint32_t m = 0; m < MID; m++) {
            uint32_t base = (top << 12) | (m * LEAF);
            for (uint32_t k = 0; k < LEAF; k++) leaf[k] = (uint16_t)rec_id(&g_rec[base + k]);
            mid[m] = (uint16_t)find_block(g_leaf, &g_nleaf, leaf, LEAF);
        }
        g_top[top] = (uint16_t)find_block(g_mid, &g_nmid, mid, MID);
    }
}

/* ------------------------------------------------------------------------ */
/* output */
static FILE *g_out;
static int g_col;

static void emit_start(void) { g_col = 0; }
static void emit_num(const char *fmt, long long v)
{
    char tmp[32];
    int n = snprintf(tmp, sizeof tmp, fmt, v);
    if (g_col + n + 1 > 118) {
        fputc('\n', g_out);
        g_col = 0;
    }
    fputs(tmp, g_out);
    fputc(',', g_out);
    g_col += n + 1;
}
static void emit_end(void)
{
    if (g_col) fputc('\n', g_out);
}

static int cmp_decomp(const void *a, const void *b)
{
    uint32_t x = ((const decomp *)a)->cp, y = ((const decomp *)b)->cp;
    return x < y ? -1 : x > y;
}
static int cmp_comp(const void *a, const void *b)
{
    const comp *x = a, *y = b;
    uint64_t kx = ((uint64_t)x->a << 21) | x->b, ky = ((uint64_t)y->a << 21) | y->b;
    return kx < ky ? -1 : kx > ky;
}

static void write_scripts_h(const char *path)
{
    FILE *f = fopen(path, "w");
    if (!f) die("cannot write %s", path);
    fprintf(f, "/* xl_unicode_scripts.h - GENERATED by tokenizer/tools/gen_unicode.sh from the\n"
               " * Unicode Character Database %s (PropertyValueAliases.txt, Scripts.txt).  Do not edit.\n"
               " *\n"
               " * The Script property values (UAX #24) as a dense enum: Unknown (Zzzz) = 0, Common (Zyyy) = 1,\n"
               " * Inherited (Zinh) = 2, then every other script in ASCII order of its long name.  Values may be\n"
               " * renumbered when the UCD version changes: store names (xl_uc_script_name), not numbers. */\n"
               "#ifndef XL_UNICODE_SCRIPTS_H\n#define XL_UNICODE_SCRIPTS_H\n\ntypedef enum xl_uc_script {\n",
            g_version);
    for (int i = 0; i < g_nscripts; i++) {
        char up[64];
        size_t k;
        for (k = 0; g_scripts[i].name[k]; k++) up[k] = (char)toupper((unsigned char)g_scripts[i].name[k]);
        up[k] = 0;
        if (i < 3)
            fprintf(f, "    XL_SC_%s = %d, /* %s */\n", up, i, g_scripts[i].code);
        else
            fprintf(f, "    XL_SC_%s, /* %s */\n", up, g_scripts[i].code);
    }
    fprintf(f, "    XL_SC_COUNT\n} xl_uc_script;\n\n#endif /* XL_UNICODE_SCRIPTS_H */\n");
    if (fclose(f) != 0) die("write error on %s", path);
}

static void write_tables_c(const char *path, int ndep)
{
    g_out = fopen(path, "w");
    if (!g_out) die("cannot write %s", path);
    FILE *o = g_out;
    fprintf(o,
            "/* unicode_tables.c - GENERATED by tokenizer/tools/gen_unicode.sh from the Unicode\n"
            " * Character Database %s (Debian unicode-data) and tokenizer/tools/hf_bert_departures.txt\n"
            " * (%d code point/class departures of HuggingFace tokenizers).  Do not edit; regenerate.\n"
            " *\n"
            " * cp -> record: xl_uc_leaf[xl_uc_mid[xl_uc_top[cp >> 12] * %d + ((cp >> 5) & %d)] * %d + (cp & %d)]\n"
            " * %d records, %d leaf blocks of %d, %d mid blocks of %d; %d decompositions, %d compositions,\n"
            " * %d unconditional special casings, %d full case foldings. */\n"
            "#include \"xl_unicode_tables.h\"\n\n"
            "const char xl_uc_ucd_version[] = \"%s\";\n\n",
            g_version, ndep, MID, MID - 1, LEAF, LEAF - 1, g_nuniq, g_nleaf, LEAF, g_nmid, MID, g_ndecomp, g_ncomp,
            g_nspecial, g_nfold, g_version);
    /* records */
    fprintf(o, "/* {gc, ccc, script, flags, bert, props, dlower, dupper, dtitle, dfold} */\n");
    fprintf(o, "const uc_record xl_uc_records[%d] = {\n", g_nuniq);
    for (int i = 0; i < g_nuniq; i++) {
        const record *r = &g_uniq[i];
        fprintf(o, "    {%d, %d, %d, %d, %d, 0x%X, %d, %d, %d, %d},\n", r->gc, r->ccc, r->script, r->flags, r->bert,
                r->props, r->dlower, r->dupper, r->dtitle, r->dfold);
    }
    fprintf(o, "};\n\n");
    fprintf(o, "const uint16_t xl_uc_top[%d] = {\n", NCP >> 12);
    emit_start();
    for (int i = 0; i < (NCP >> 12); i++) emit_num("%lld", g_top[i]);
    emit_end();
    fprintf(o, "};\n\nconst uint16_t xl_uc_mid[%d] = {\n", g_nmid * MID);
    emit_start();
    for (int i = 0; i < g_nmid * MID; i++) emit_num("%lld", g_mid[i]);
    emit_end();
    fprintf(o, "};\n\nconst uint16_t xl_uc_leaf[%d] = {\n", g_nleaf * LEAF);
    emit_start();
    for (int i = 0; i < g_nleaf * LEAF; i++) emit_num("%lld", g_leaf[i]);
    emit_end();
    fprintf(o, "};\n\n");
    /* decompositions */
    qsort(g_decomp, (size_t)g_ndecomp, sizeof g_decomp[0], cmp_decomp);
    int total = 0;
    for (int i = 0; i < g_ndecomp; i++) total += g_decomp[i].len;
    fprintf(o, "/* decompositions, sorted by code point: info = offset << 10 | type << 5 | length */\n");
    fprintf(o, "const uint32_t xl_uc_decomp_cp[%d] = {\n", g_ndecomp);
    emit_start();
    for (int i = 0; i < g_ndecomp; i++) emit_num("%lld", g_decomp[i].cp);
    emit_end();
    fprintf(o, "};\n\nconst uint32_t xl_uc_decomp_info[%d] = {\n", g_ndecomp);
    emit_start();
    int off = 0;
    for (int i = 0; i < g_ndecomp; i++) {
        emit_num("%lld", ((long long)off << 10) | (g_decomp[i].type << 5) | g_decomp[i].len);
        off += g_decomp[i].len;
    }
    emit_end();
    fprintf(o, "};\n\nconst uint32_t xl_uc_decomp_data[%d] = {\n", total);
    emit_start();
    for (int i = 0; i < g_ndecomp; i++)
        for (int k = 0; k < g_decomp[i].len; k++) emit_num("%lld", g_decomp[i].map[k]);
    emit_end();
    fprintf(o, "};\nconst int xl_uc_ndecomp = %d;\n\n", g_ndecomp);
    /* compositions */
    qsort(g_comp, (size_t)g_ncomp, sizeof g_comp[0], cmp_comp);
    fprintf(o, "/* primary composites, sorted by (first << 21 | second) */\n");
    fprintf(o, "const uint64_t xl_uc_comp_key[%d] = {\n", g_ncomp);
    emit_start();
    for (int i = 0; i < g_ncomp; i++) emit_num("%lld", (long long)(((uint64_t)g_comp[i].a << 21) | g_comp[i].b));
    emit_end();
    fprintf(o, "};\n\nconst uint32_t xl_uc_comp_value[%d] = {\n", g_ncomp);
    emit_start();
    for (int i = 0; i < g_ncomp; i++) emit_num("%lld", g_comp[i].c);
    emit_end();
    fprintf(o, "};\nconst int xl_uc_ncomp = %d;\n\n", g_ncomp);
    /* special casing (input order is by code point in SpecialCasing.txt? sort to be sure) */
    for (int i = 1; i < g_nspecial; i++)
        for (int j = i; j > 0 && g_special[j - 1].cp > g_special[j].cp; j--) {
            special t = g_special[j];
            g_special[j] = g_special[j - 1];
            g_special[j - 1] = t;
        }
    fprintf(o, "/* unconditional SpecialCasing.txt entries: {cp, {lower}, {title}, {upper}, nl, nt, nu} */\n");
    fprintf(o, "const uc_special xl_uc_specials[%d] = {\n", g_nspecial);
    for (int i = 0; i < g_nspecial; i++) {
        const special *s = &g_special[i];
        fprintf(o, "    {0x%04X, {0x%X, 0x%X, 0x%X}, {0x%X, 0x%X, 0x%X}, {0x%X, 0x%X, 0x%X}, %d, %d, %d},\n", s->cp,
                s->lower[0], s->lower[1], s->lower[2], s->title[0], s->title[1], s->title[2], s->upper[0],
                s->upper[1], s->upper[2], s->nl, s->nt, s->nu);
    }
    fprintf(o, "};\nconst int xl_uc_nspecial = %d;\n\n", g_nspecial);
    for (int i = 1; i < g_nfold; i++)
        for (int j = i; j > 0 && g_fold[j - 1].cp > g_fold[j].cp; j--) {
            fullfold t = g_fold[j];
            g_fold[j] = g_fold[j - 1];
            g_fold[j - 1] = t;
        }
    fprintf(o, "/* CaseFolding.txt status F: {cp, {folding}, n} */\n");
    fprintf(o, "const uc_fullfold xl_uc_fullfolds[%d] = {\n", g_nfold);
    for (int i = 0; i < g_nfold; i++)
        fprintf(o, "    {0x%04X, {0x%X, 0x%X, 0x%X}, %d},\n", g_fold[i].cp, g_fold[i].fold[0], g_fold[i].fold[1],
                g_fold[i].fold[2], g_fold[i].n);
    fprintf(o, "};\nconst int xl_uc_nfullfold = %d;\n\n", g_nfold);
    /* extra lowercase mappings */
    for (int i = 1; i < g_nlower_extra; i++)
        for (int j = i; j > 0 && g_lower_extra[j - 1][0] > g_lower_extra[j][0]; j--) {
            uint32_t t0 = g_lower_extra[j][0], t1 = g_lower_extra[j][1];
            g_lower_extra[j][0] = g_lower_extra[j - 1][0];
            g_lower_extra[j][1] = g_lower_extra[j - 1][1];
            g_lower_extra[j - 1][0] = t0;
            g_lower_extra[j - 1][1] = t1;
        }
    fprintf(o, "/* HuggingFace lowercase mappings for code points unassigned in this UCD: {cp, lower} */\n");
    fprintf(o, "const uint32_t xl_uc_bert_lower_extra[%d][2] = {\n", g_nlower_extra > 0 ? g_nlower_extra : 1);
    for (int i = 0; i < g_nlower_extra; i++)
        fprintf(o, "    {0x%04X, 0x%04X},\n", g_lower_extra[i][0], g_lower_extra[i][1]);
    if (g_nlower_extra == 0) fprintf(o, "    {0, 0},\n");
    fprintf(o, "};\nconst int xl_uc_nbert_lower_extra = %d;\n\n", g_nlower_extra);
    /* names */
    fprintf(o, "const char *const xl_uc_script_names[%d][2] = {\n", g_nscripts);
    for (int i = 0; i < g_nscripts; i++)
        fprintf(o, "    {\"%s\", \"%s\"},\n", g_scripts[i].name, g_scripts[i].code);
    fprintf(o, "};\n");
    if (fclose(o) != 0) die("write error on %s", path);
}

int main(int argc, char **argv)
{
    if (argc != 5) die("usage: gen_unicode UCD_DIR DEPARTURES_FILE OUT_TABLES_C OUT_SCRIPTS_H");
    g_dir = argv[1];
    g_rec = xcalloc(NCP, sizeof *g_rec);
    read_script_names();
    read_unicode_data();
    read_ranges("Scripts.txt", on_script);
    read_ranges("PropList.txt", on_binprop);
    read_ranges("DerivedCoreProperties.txt", on_binprop);
    read_ranges("DerivedNormalizationProps.txt", on_binprop);
    read_ranges("emoji/emoji-data.txt", on_binprop);
    read_ranges("DerivedAge.txt", on_age);
    read_exclusions();
    read_special_casing();
    read_case_folding();
    qsort(g_decomp, (size_t)g_ndecomp, sizeof g_decomp[0], cmp_decomp);
    read_departure_header(argv[2]);
    derive();
    int ndep = 0;
    read_departures(argv[2], &ndep);
    derive_changes();
    build_trie();
    write_tables_c(argv[3], ndep);
    write_scripts_h(argv[4]);
    fprintf(stderr, "gen_unicode: UCD %s: %d records, %d leaf blocks, %d mid blocks, %d decompositions, %d compositions\n",
            g_version, g_nuniq, g_nleaf, g_nmid, g_ndecomp, g_ncomp);
    return 0;
}
