/*
 * Internal to the Lance data file writer and reader (format_file_write.c,
 * format_file_read.c): how an Arrow field is shredded into leaf columns, and the
 * repetition/definition levels each leaf uses.
 *
 * A leaf column is the path from a top-level field down to a non-struct, non-list node
 * (a fixed-size list of a fixed-width type, of bools, or of such fixed-size lists is a
 * leaf: Lance stores it as one value, with one validity bitmap per nested level).
 * Each node on the path is one rep/def "layer"; layers are listed inner-most first.
 * Definition level 0 means a valid item; each layer, from the inner-most out, adds
 * levels: a nullable item or struct adds "null", a list adds "null" (if nullable) and
 * "empty". Repetition: the outer-most list's level (max_rep) starts a row; level k
 * starts a new element of the k-th list counted from the inner-most one.
 */
#ifndef GNV_FORMAT_FILE_H
#define GNV_FORMAT_FILE_H

#include "format/format.h"

#define GNV_LF_MAX_DEPTH   32
#define GNV_LF_MAGIC       "LANC"
#define GNV_LF_FOOTER_SIZE 40
#define GNV_LF_ALIGN       64
/* bytes of item validity in front of a full-zip fixed-size-list value, at most */
#define GNV_LF_MAX_FSL_VALIDITY 512
/* nested fixed-size-list levels in one leaf, at most */
#define GNV_LF_MAX_FSL 8

/* How a leaf's values are stored. */
typedef enum gnv_lf_kind {
    GNV_LF_NULL = 0, /* Arrow null type: no values */
    GNV_LF_BOOL,     /* 1 bit per value */
    GNV_LF_FIXED,    /* `width` bytes per value (ints, floats, dates, fsb) */
    GNV_LF_VAR,      /* (large) string / binary */
    GNV_LF_FSL       /* fixed_size_list of a fixed-width type: dim items of item_width */
                     /* (or of bools, or nested: see fsl_levels) */
} gnv_lf_kind;

typedef struct gnv_lf_leaf {
    int depth; /* nodes on the path, node[0] is the top-level field */
    const struct ArrowSchema *node[GNV_LF_MAX_DEPTH];
    gnv_type type[GNV_LF_MAX_DEPTH];
    bool nullable[GNV_LF_MAX_DEPTH];
    bool is_list[GNV_LF_MAX_DEPTH];
    int null_def[GNV_LF_MAX_DEPTH];  /* def level for "null here", 0 if not nullable */
    int empty_def[GNV_LF_MAX_DEPTH]; /* lists: def level for "empty list" */
    int rep[GNV_LF_MAX_DEPTH];       /* lists: rep level of this list (inner-most = 1) */
    int layers[GNV_LF_MAX_DEPTH];    /* Gnvpb__RepDefLayer, inner-most first */
    int max_rep;
    int max_def;
    int max_visible; /* def levels <= this take a value slot; INT32_MAX without lists */
    gnv_lf_kind kind;
    int width;      /* bytes of one slot (FIXED, FSL: dim * item_width; BOOL: 1) */
    int item_width; /* FSL: bytes per item */
    int dim;        /* FSL: items per value (the product of fsl_dim) */
    bool large;     /* VAR with 64-bit offsets */
    /* FSL: nested levels (1 for a fixed_size_list of a primitive), the items per value
     * of each, outer-most first; fsl_bool: the items are bools (1 byte each in memory,
     * item_width 1; 1 bit each in the file) */
    int fsl_levels;
    int fsl_dim[GNV_LF_MAX_FSL];
    bool fsl_bool;
} gnv_lf_leaf;

/* Leaves of one Arrow field, in column order. *out is gnv__malloc'ed. GNV_ENOTSUP
 * naming the field for types Lance files cannot hold here. */
int gnv__lf_plan(gnv_lf_leaf **out, int *n_out, const struct ArrowSchema *field);

static inline uint16_t gnv__lf_get16(const uint8_t *p)
{
    return (uint16_t)(p[0] | (p[1] << 8));
}
static inline uint32_t gnv__lf_get32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}
static inline uint64_t gnv__lf_get64(const uint8_t *p)
{
    return (uint64_t)gnv__lf_get32(p) | ((uint64_t)gnv__lf_get32(p + 4) << 32);
}
static inline void gnv__lf_put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}
static inline void gnv__lf_put32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}
static inline void gnv__lf_put64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

/* Bits needed to hold v (0 for 0), as Lance sizes control words. */
static inline int gnv__lf_bits(uint32_t v)
{
    int n = 0;
    while (v) {
        n++;
        v >>= 1;
    }
    return n;
}

#endif
