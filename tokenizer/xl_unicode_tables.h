/* xl_unicode_tables.h - INTERNAL: the layout of the generated tables in
 * tokenizer/unicode_tables.c (written by tokenizer/tools/gen_unicode.c).
 * Only tokenizer/xl_unicode.c and the tokenizer's hot paths read these
 * directly; everyone else uses xl_unicode.h. */
#ifndef XL_UNICODE_TABLES_H
#define XL_UNICODE_TABLES_H

#include <stdint.h>

/* Per-code-point properties shared by many code points (deduplicated). */
typedef struct uc_record {
    uint8_t gc;      /* xl_uc_gc */
    uint8_t ccc;     /* Canonical_Combining_Class */
    uint8_t script;  /* xl_uc_script */
    uint8_t flags;   /* UC_F_* bits */
    uint16_t bert;   /* XL_BERT_* bits */
    uint32_t props;  /* XL_UCP_* bits */
    int32_t dlower, dupper, dtitle, dfold; /* simple mappings as deltas: mapped = cp + delta */
} uc_record;

enum {
    UC_F_DECOMP = 1u << 0,         /* listed in xl_uc_decomp_cp (Hangul syllables are not) */
    UC_F_SPECIAL_CASE = 1u << 1,   /* listed in xl_uc_specials */
    UC_F_FULL_FOLD = 1u << 2,      /* listed in xl_uc_fullfolds */
    UC_F_COMPOSE_FIRST = 1u << 3,  /* first element of some primary composite pair */
    UC_F_COMPOSE_SECOND = 1u << 4, /* second element of some primary composite pair */
};

typedef struct uc_special {
    uint32_t cp;
    uint32_t lower[3], title[3], upper[3];
    uint8_t nl, nt, nu;
} uc_special;

typedef struct uc_fullfold {
    uint32_t cp;
    uint32_t fold[3];
    uint8_t n;
} uc_fullfold;

extern const char xl_uc_ucd_version[];
extern const uc_record xl_uc_records[];
extern const uint16_t xl_uc_top[], xl_uc_mid[], xl_uc_leaf[];
extern const uint32_t xl_uc_decomp_cp[], xl_uc_decomp_info[], xl_uc_decomp_data[];
extern const int xl_uc_ndecomp;
extern const uint64_t xl_uc_comp_key[];
extern const uint32_t xl_uc_comp_value[];
extern const int xl_uc_ncomp;
extern const uc_special xl_uc_specials[];
extern const int xl_uc_nspecial;
extern const uc_fullfold xl_uc_fullfolds[];
extern const int xl_uc_nfullfold;
extern const char *const xl_uc_script_names[][2];
extern const uint32_t xl_uc_bert_lower_extra[][2];
extern const int xl_uc_nbert_lower_extra;

#define UC_LEAF_SHIFT 5
#define UC_MID_SIZE 128

/* The record of any uint32_t (values above U+10FFFF give record 0: unassigned). */
static inline const uc_record *uc_lookup(uint32_t cp)
{
    if (cp > 0x10FFFFu) return &xl_uc_records[0];
    uint32_t mid = xl_uc_mid[(uint32_t)xl_uc_top[cp >> 12] * UC_MID_SIZE + ((cp >> UC_LEAF_SHIFT) & (UC_MID_SIZE - 1))];
    return &xl_uc_records[xl_uc_leaf[(mid << UC_LEAF_SHIFT) | (cp & ((1u << UC_LEAF_SHIFT) - 1))]];
}

#endif /* XL_UNICODE_TABLES_H */
