/*
 * Helpers shared by the evaluator of the expr module (expr_eval.c, expr_cast.c and the
 * kernels in expr_kernel_*.c); not used elsewhere.
 *
 * Kernels read operands at the buffer level through `kin` (an input datum: validity,
 * values, offsets and the physical offset resolved once) and write results through
 * `kout` (an owned array of the arrow module whose buffers are sized up front and
 * filled in place, so loops never append element by element). Fixed-width values are
 * processed in chunks of KCHUNK rows loaded into int64/uint64/double scratch arrays,
 * which keeps one loop per operation instead of one per type.
 */
#ifndef GNV_EXPR_KERNEL_H
#define GNV_EXPR_KERNEL_H

#include <string.h>

#include "expr/expr_tree.h"

#define KCHUNK 1024

/* An input datum seen at the buffer level. Indexes given to the accessors are rows of
 * the batch (a scalar answers every row with its one value). */
typedef struct kin {
    gnv_type type;
    const struct ArrowSchema *schema;
    const struct ArrowArray *array;
    const uint8_t *validity; /* NULL: no nulls */
    const uint8_t *data;     /* fixed-width values, bool bits, or string bytes */
    const void *offsets;     /* int32 or int64 offsets of string/binary/list */
    int64_t off;             /* physical offset (array->offset) */
    int64_t length;          /* array->length */
    bool scalar;
    bool all_null; /* the NA type, a NULL scalar, or an array of nulls only */
    bool large;    /* 64-bit offsets */
} kin;

/* Resolve a datum (dictionary-encoded arrays are not accepted: the evaluator decodes
 * them first). */
int gnv__kin_init(kin *k, const gnv_datum *d);

static inline int64_t kin_pos(const kin *k, int64_t i)
{
    return k->off + (k->scalar ? 0 : i);
}

static inline bool kbit(const uint8_t *bits, int64_t j)
{
    return bits[j >> 3] >> (j & 7) & 1;
}

static inline void kbit_set(uint8_t *bits, int64_t j, bool v)
{
    if (v)
        bits[j >> 3] |= (uint8_t)(1u << (j & 7));
    else
        bits[j >> 3] &= (uint8_t) ~(1u << (j & 7));
}

static inline bool kin_valid(const kin *k, int64_t i)
{
    if (k->all_null)
        return false;
    return !k->validity || kbit(k->validity, kin_pos(k, i));
}

/* Bytes of a string/binary row (also fixed_size_binary). */
static inline const uint8_t *kin_bytes(const kin *k, int64_t i, int64_t *len)
{
    int64_t j = kin_pos(k, i);
    if (k->type.id == GNV_TYPE_FIXED_SIZE_BINARY) {
        *len = k->type.fixed_size;
        return k->data + j * k->type.fixed_size;
    }
    int64_t s, e;
    if (k->large) {
        const int64_t *o = k->offsets;
        s = o[j];
        e = o[j + 1];
    } else {
        const int32_t *o = k->offsets;
        s = o[j];
        e = o[j + 1];
    }
    *len = e - s;
    return k->data + s;
}

/* Items [*s, *e) of a list row, as indexes into the child array (its offset not
 * applied: they are logical indexes of the child). */
static inline void kin_list_range(const kin *k, int64_t i, int64_t *s, int64_t *e)
{
    int64_t j = kin_pos(k, i);
    if (k->type.id == GNV_TYPE_FIXED_SIZE_LIST) {
        *s = j * k->type.fixed_size;
        *e = *s + k->type.fixed_size;
    } else if (k->large) {
        const int64_t *o = k->offsets;
        *s = o[j];
        *e = o[j + 1];
    } else {
        const int32_t *o = k->offsets;
        *s = o[j];
        *e = o[j + 1];
    }
}

/* The domain fixed-width values are computed in. */
typedef enum kdom { KD_NONE = 0, KD_I64, KD_U64, KD_F64 } kdom;
kdom gnv__kdom(gnv_type_id id);

/* Load rows [start, start+m) as int64 (ints, bool, date32, timestamp), uint64 or double
 * (any numeric, bool). Values under nulls are whatever the buffer holds. */
void gnv__kload_i64(const kin *k, int64_t start, int64_t m, int64_t *dst);
void gnv__kload_u64(const kin *k, int64_t start, int64_t m, uint64_t *dst);
void gnv__kload_f64(const kin *k, int64_t start, int64_t m, double *dst);
/* Order keys: int64s whose signed order is the order of the values (floats in the IEEE
 * total order arrow-rs compares with: -NaN < -inf < .. < -0.0 < +0.0 < .. < inf < +NaN;
 * the key of -0.0 is KEY_NEG_ZERO, that of +0.0 is 0). */
#define KEY_NEG_ZERO (-1)
void gnv__kload_key(const kin *k, int64_t start, int64_t m, int64_t *dst);
int64_t gnv__kkey1(const kin *k, int64_t i);
/* Three-way comparison of row i of a and row j of b (same type; both valid). Types
 * without an order compare as equal. */
int gnv__kcmp(const kin *a, int64_t i, const kin *b, int64_t j);

/* An output being built: an owned array of n rows of `type`. */
typedef struct kout {
    struct ArrowArray *a;
    gnv_type type;
    int64_t n;
    uint8_t *validity; /* (n+7)/8 bytes, NULL when the output has no nulls */
    uint8_t *values;   /* fixed-width values or bool bits (zeroed) */
    gnv_buf *offsets;  /* string/binary: n+1 offsets, [0] set */
    gnv_buf *bytes;    /* string/binary: the bytes appended so far */
} kout;

/* Start an output. `nullable`: give it a validity bitmap (all valid to start with).
 * Fixed-width, bool, and (large) string/binary types only. */
int gnv__kout_init(
    kout *o, struct ArrowArray *out, const struct ArrowSchema *type, int64_t n, bool nullable);
/* Set row i of a string/binary output (rows are set in order, each once; a null row
 * still needs kout_put_str(o, i, NULL, 0) to advance the offsets). */
int gnv__kout_put_str(kout *o, int64_t i, const void *data, size_t len);
/* Store int64/uint64/double values into rows [start, start+m) of a fixed-width output
 * (converted with C casts; callers check ranges). */
void gnv__kstore_i64(kout *o, int64_t start, int64_t m, const int64_t *src);
void gnv__kstore_u64(kout *o, int64_t start, int64_t m, const uint64_t *src);
void gnv__kstore_f64(kout *o, int64_t start, int64_t m, const double *src);
/* Publish: null count, length, buffers. On failure the array is released. */
int gnv__kout_finish(kout *o);
/* Release an unfinished output. */
void gnv__kout_abort(kout *o);

/* Validity of the output = AND of the inputs' validity (scalars and all-null inputs
 * included). Requires o->validity when any input may be null (see gnv__kany_null). */
void gnv__kvalidity_and(kout *o, const kin *const *ins, int nin);
bool gnv__kany_null(const kin *const *ins, int nin);
/* Start a bool output of n rows, null where any of ins is (a comparison's). */
int gnv__kout_bool(kout *o, struct ArrowArray *out, const kin *const *ins, int nin, int64_t n);
/* Copy n bits of src starting at bit `soff` to dst starting at bit 0 (dst whole bytes
 * written; bits past n in the last byte cleared). */
void gnv__kbits_copy(uint8_t *dst, const uint8_t *src, int64_t soff, int64_t n);
int64_t gnv__kbits_count(const uint8_t *bits, int64_t n);

/*
 * Build `out` (n rows of `type`) where row i is row i of srcs[choice[i]] (a scalar source
 * gives its one value), NULL when choice[i] < 0 or the source row is NULL. All sources
 * have `type`.
 */
int gnv__kgather(struct ArrowArray *out,
                 const struct ArrowSchema *type,
                 const kin *srcs,
                 const int32_t *choice,
                 int64_t n);
/* n copies of row `row` of d (the scalar broadcast). */
int gnv__kbroadcast(struct ArrowArray *out, const gnv_datum *d, int64_t n);

/* Datums over owned temporary arrays. */
static inline gnv_datum kdatum(const struct ArrowSchema *s, const struct ArrowArray *a, bool sc)
{
    gnv_datum d = {s, a, sc};
    return d;
}

/* x[0..m) / y or x[0..m) % y (op GNV_EX_DIV or GNV_EX_MOD, truncating as C and arrow-rs)
 * into r[0..m), for a constant y >= 2 (no error is possible then). */
void gnv__ki64_div_const(gnv_expr_op op, const int64_t *x, int64_t y, int64_t m, int64_t *r);

/* Bool result of a comparison op (EQ..GE) of a and b into out (n rows, nullable as
 * needed). */
int gnv__kcompare(
    struct ArrowArray *out, gnv_expr_op op, const gnv_datum *a, const gnv_datum *b, int64_t n);

/* Each row of a list datum as text: "[a, b, ]" as arrow-rs casts a list to a string
 * (NULL items print empty) when sep is NULL, else the valid items joined with the row's
 * sep (array_to_string). Items are cast to utf8 first. */
int gnv__klist_to_text(struct ArrowArray *out,
                       const gnv_datum *list,
                       const kin *sep,
                       const struct ArrowSchema *to,
                       int64_t n);

/* = or <> (op) of two list datums of one type, row by row: equal lengths and equal
 * items, a NULL item equal to a NULL item (as arrow-rs compares lists). */
int gnv__klist_equal(
    struct ArrowArray *out, gnv_expr_op op, const gnv_datum *a, const gnv_datum *b, int64_t n);

/* The kernels, by family. */
int gnv__kernel_logic(struct ArrowArray *out,
                      const gnv_expr_node *node,
                      const gnv_datum *args,
                      int64_t n);
int gnv__kernel_cmp(struct ArrowArray *out,
                    const gnv_expr_node *node,
                    const gnv_datum *args,
                    int64_t n);
int gnv__kernel_arith(struct ArrowArray *out,
                      const gnv_expr_node *node,
                      const gnv_datum *args,
                      int64_t n);
int gnv__kernel_math(struct ArrowArray *out,
                     const gnv_expr_node *node,
                     const gnv_datum *args,
                     int64_t n);
int gnv__kernel_string(struct ArrowArray *out,
                       const gnv_expr_node *node,
                       const gnv_datum *args,
                       int64_t n);
int gnv__kernel_like(struct ArrowArray *out,
                     const gnv_expr_node *node,
                     const gnv_datum *args,
                     int64_t n);
int gnv__kernel_cond(struct ArrowArray *out,
                     const gnv_expr_node *node,
                     const gnv_datum *args,
                     int64_t n);
int gnv__kernel_list(struct ArrowArray *out,
                     const gnv_expr_node *node,
                     const gnv_datum *args,
                     int64_t n);
int gnv__kernel_string_more(struct ArrowArray *out,
                            const gnv_expr_node *node,
                            const gnv_datum *args,
                            int64_t n);
int gnv__kernel_regexp_replace(struct ArrowArray *out,
                               const gnv_expr_node *node,
                               const gnv_datum *args,
                               int64_t n);
int gnv__kernel_date_trunc(struct ArrowArray *out,
                           const gnv_expr_node *node,
                           const gnv_datum *args,
                           int64_t n);
int gnv__kernel_shift(struct ArrowArray *out,
                      const gnv_expr_node *node,
                      const gnv_datum *args,
                      int64_t n);
int gnv__kernel_date(struct ArrowArray *out,
                     const gnv_expr_node *node,
                     const gnv_datum *args,
                     int64_t n);

/* decimal128 and duration (expr_kernel_decimal.c). gnv__kernel_arith_ext computes an
 * arithmetic node whose result is a decimal or a duration (*handled set), else leaves it
 * to gnv__kernel_arith. Decimal comparisons need both sides of one decimal type. */
int gnv__kernel_arith_ext(struct ArrowArray *out,
                          const gnv_expr_node *node,
                          const gnv_datum *args,
                          int64_t n,
                          bool *handled);
/* abs() of a decimal (same type; the minimum 128-bit value is an overflow error). */
int gnv__kernel_decimal_abs(struct ArrowArray *out,
                            const gnv_expr_node *node,
                            const gnv_datum *args,
                            int64_t n);
int gnv__kdecimal_compare(
    struct ArrowArray *out, gnv_expr_op op, const gnv_datum *a, const gnv_datum *b, int64_t n);
int gnv__kdecimal_cmp(const kin *a, int64_t i, const kin *b, int64_t j);
/* CAST to or from decimal128 or duration (gnv__kcast_ext_handles says which). */
bool gnv__kcast_ext_handles(gnv_type_id from, gnv_type_id to);
int gnv__kcast_ext(struct ArrowArray *out,
                   const kin *k,
                   const struct ArrowSchema *from,
                   const struct ArrowSchema *to,
                   bool try_cast,
                   int64_t n);
/* Shortest text of a float that reads back (expr_cast.c). */
int gnv__format_float(char *out, size_t size, double v, bool f32);

/* UTF-8: decode the character at byte i (an invalid byte stands for itself; returns the
 * next byte index), encode one (returns its length, at most 4), simple case mapping. */
int64_t gnv__u8_next(const uint8_t *s, int64_t len, int64_t i, uint32_t *cp);
int gnv__u8_put(uint8_t *out, uint32_t c);
uint32_t gnv__u8_lower(uint32_t c);
uint32_t gnv__u8_upper(uint32_t c);

/* Calendar helpers (expr_kernel_date.c): days since 1970-01-01 <-> proleptic Gregorian
 * dates; units of a timestamp per second; the offset of a time zone that is UTC or a fixed
 * offset ("+02:00"), false for named zones. */
void gnv__civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d);
int64_t gnv__days_from_civil(int64_t y, unsigned m, unsigned d);
int64_t gnv__unit_per_second(gnv_time_unit u);
bool gnv__tz_offset(const char *tz, int64_t *secs);
/* Range of an integer-like type's values as int64 (uint64: 0..INT64_MAX). */
void gnv__krange(gnv_type_id id, int64_t *lo, int64_t *hi);

/* Text of a type for messages ("int32", "list<utf8>"); static per-thread storage. */
const char *gnv__ktype_name(const struct ArrowSchema *s);
/* Name of the node's operator or function, for messages. */
const char *gnv__knode_name(const gnv_expr_node *node);

/* The comparison with its operands swapped (a < b is b > a); others unchanged
 * (expr_kernel_cmp.c). */
gnv_expr_op gnv__expr_op_flip(gnv_expr_op op);

#endif
