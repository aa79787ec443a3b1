/*
 * arrow: the Arrow C Data Interface done small. Parsed types, owned schemas, builders
 * that append into owned arrays, read-only views, validation of untrusted arrays,
 * slicing, concatenation and streams; plus IPC, CSV and JSONL (their own files).
 *
 * Conventions:
 * - An "owned" schema or array is one this module allocated; its private_data holds the
 *   memory, and its release frees everything, children included.
 * - Builders: gnv__array_init() from a schema, gnv__array_append_*(), then
 *   gnv__array_finish() before handing the array to anyone. A finished array may be
 *   appended to again and finished again.
 * - Views (gnv_array_view) own nothing; indexes given to view functions are logical
 *   (0 .. length-1), the array's offset is applied inside.
 * Uses util only.
 */
#ifndef GNV_ARROW_H
#define GNV_ARROW_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "geneva/arrow.h"
#include "geneva/arrow_abi.h"
#include "util/util.h"

/* ---- types -------------------------------------------------------------- */

typedef enum gnv_type_id {
    GNV_TYPE_NA = 0,
    GNV_TYPE_BOOL,
    GNV_TYPE_INT8,
    GNV_TYPE_UINT8,
    GNV_TYPE_INT16,
    GNV_TYPE_UINT16,
    GNV_TYPE_INT32,
    GNV_TYPE_UINT32,
    GNV_TYPE_INT64,
    GNV_TYPE_UINT64,
    GNV_TYPE_HALF_FLOAT,
    GNV_TYPE_FLOAT,
    GNV_TYPE_DOUBLE,
    GNV_TYPE_STRING,       /* utf8, int32 offsets */
    GNV_TYPE_LARGE_STRING, /* utf8, int64 offsets */
    GNV_TYPE_BINARY,
    GNV_TYPE_LARGE_BINARY,
    GNV_TYPE_FIXED_SIZE_BINARY,
    GNV_TYPE_DATE32,
    GNV_TYPE_TIMESTAMP,
    GNV_TYPE_LIST,
    GNV_TYPE_LARGE_LIST,
    GNV_TYPE_FIXED_SIZE_LIST,
    GNV_TYPE_STRUCT,
    GNV_TYPE_DECIMAL128, /* "d:P,S": 16-byte two's complement integers scaled by 10^-S */
    GNV_TYPE_DURATION,   /* "tDs" .. "tDn": int64 counts of `unit` */
    GNV_TYPE_COUNT
} gnv_type_id;

typedef enum gnv_time_unit {
    GNV_UNIT_SECOND = 0,
    GNV_UNIT_MILLI,
    GNV_UNIT_MICRO,
    GNV_UNIT_NANO
} gnv_time_unit;

/* A parsed Arrow format string. `timezone` points into the format string it was
 * parsed from (NUL-terminated there), or is NULL. */
typedef struct gnv_type {
    gnv_type_id id;
    int32_t fixed_size;   /* bytes of fixed_size_binary, items of fixed_size_list */
    gnv_time_unit unit;   /* timestamp, duration */
    const char *timezone; /* timestamp, or NULL */
    int32_t precision;    /* decimal128: 1..38 digits */
    int32_t scale;        /* decimal128: 0..38 digits after the point */
} gnv_type;

/* Decimal128 limits (Arrow's). */
#define GNV_DECIMAL128_MAX_PRECISION 38
/* Text of a decimal128 value (16 bytes, little-endian two's complement) with `scale`
 * digits after the point, as arrow-rs prints it: "-12.50", "0.05", "7" (arrow_decimal.c).
 * buf holds at least GNV_DECIMAL128_TEXT bytes. */
#define GNV_DECIMAL128_TEXT 48
void gnv__decimal128_format(char *buf, const void *le16, int32_t scale);

/* Parse a C Data Interface format string. GNV_EINVAL (message names it) when unknown
 * or not supported by this library. */
int gnv__type_parse(gnv_type *out, const char *format);
/* Short name of a type id: "int32", "utf8", "list", ... */
const char *gnv__type_id_name(gnv_type_id id);
/* Byte width of a fixed-width value (bool: 0, meaning bit-packed; var-width: 0). */
int gnv__type_byte_width(const gnv_type *t);
/* IEEE binary16 conversions (round to nearest even). */
uint16_t gnv__half_from_double(double d);
double gnv__half_to_double(uint16_t h);
bool gnv__type_is_integer(gnv_type_id id);
bool gnv__type_is_signed(gnv_type_id id);
bool gnv__type_is_floating(gnv_type_id id);
bool gnv__type_is_binary_like(gnv_type_id id); /* (large) string/binary */
bool gnv__type_is_large(gnv_type_id id);       /* 64-bit offsets */
bool gnv__type_is_nested(gnv_type_id id);      /* list, large list, fsl, struct */
/* Buffers the C Data Interface gives an array of this type (validity included). */
int gnv__type_n_buffers(gnv_type_id id);

/*
 * Render a schema's type as text, e.g. "int64", "list<utf8>", "struct<a: int32, b: utf8>",
 * "fixed_size_list<float32, 8>", "timestamp[us, tz=UTC]". Dictionary fields render as
 * "dictionary<values=utf8, indices=int32>".
 */
int gnv__type_to_string(gnv_buf *out, const struct ArrowSchema *schema);

/*
 * Build a schema from a type written as text (the inverse of gnv__type_to_string, plus
 * aliases: string=utf8, int=int64, float=float32? no: "float" = float32, "double" =
 * float64, boolean=bool, large_string=large_utf8, date=date32, "timestamp" =
 * timestamp[us]). The result is an owned schema with the given name and the nullable
 * flag. GNV_EINVAL with a message naming the bad text.
 */
int gnv__type_from_string(struct ArrowSchema *out, const char *text, const char *name);

/* Type overrides "name:type,name:type" (commas inside <>, [] and () belong to the type),
 * as given to the CSV and JSONL readers (arrow_type_text.c). */
typedef struct gnv_type_override {
    char *name;
    struct ArrowSchema schema; /* owned, named `name` */
    bool used;                 /* set by gnv__type_overrides_find */
} gnv_type_override;
typedef struct gnv_type_overrides {
    gnv_type_override *items;
    int64_t n;
} gnv_type_overrides;
/* Parse text (NULL: no overrides). GNV_EINVAL naming the bad entry. */
int gnv__type_overrides_parse(gnv_type_overrides *out, const char *text);
/* The override for a column (marking it used), or NULL. */
const struct ArrowSchema *gnv__type_overrides_find(gnv_type_overrides *o, const char *name);
/* GNV_EINVAL "<file>: type override names column 'x', which does not exist" if any
 * override was never found. */
int gnv__type_overrides_check_used(const gnv_type_overrides *o, const char *file);
void gnv__type_overrides_free(gnv_type_overrides *o);

/* ---- schemas ------------------------------------------------------------ */

/* An owned schema: copies of format and name, no children, no metadata. */
int gnv__schema_init(struct ArrowSchema *out, const char *format, const char *name, int64_t flags);
/* Give an owned schema n children, each zeroed (release NULL) to be gnv__schema_init'ed. */
int gnv__schema_alloc_children(struct ArrowSchema *s, int64_t n);
/* Give an owned schema a zeroed dictionary schema to be gnv__schema_init'ed. */
int gnv__schema_alloc_dictionary(struct ArrowSchema *s);
int gnv__schema_set_name(struct ArrowSchema *s, const char *name);
int gnv__schema_set_format(struct ArrowSchema *s, const char *format);
/* Copy `metadata` (Arrow's binary encoding, or NULL to clear) into an owned schema. */
int gnv__schema_set_metadata(struct ArrowSchema *s, const char *metadata);
/* Deep copy of any schema into an owned one. */
int gnv__schema_copy(struct ArrowSchema *out, const struct ArrowSchema *in);
/* Release if set (NULL-safe, leaves release == NULL). */
void gnv__schema_release(struct ArrowSchema *s);
void gnv__schema_move(struct ArrowSchema *src, struct ArrowSchema *dst);

/* Field metadata in Arrow's binary encoding: int32 n, then n x (int32 len, key, int32
 * len, value), native endian. */
int64_t gnv__metadata_size(const char *metadata);
/* Find key; value and value_len point into the metadata. Returns true when found. */
bool gnv__metadata_get(const char *metadata,
                       const char *key,
                       const char **value,
                       int32_t *value_len);
typedef struct gnv_metadata_iter {
    const char *pos;
    int32_t remaining;
} gnv_metadata_iter;
void gnv__metadata_iter_init(gnv_metadata_iter *it, const char *metadata);
/* Next pair; returns false at the end. */
bool gnv__metadata_iter_next(gnv_metadata_iter *it,
                             const char **key,
                             int32_t *key_len,
                             const char **value,
                             int32_t *value_len);
/* Encode n pairs (NUL-terminated strings) into out. */
int gnv__metadata_build(gnv_buf *out,
                        const char *const *keys,
                        const char *const *values,
                        int32_t n);

/* ---- owned arrays and builders ------------------------------------------ */

/* An owned, empty array for the schema, children (and dictionary) included. */
int gnv__array_init(struct ArrowArray *out, const struct ArrowSchema *schema);
/* The growable buffer i (0 = validity) of an owned array. NULL if the type has no such
 * buffer. The validity buffer may be empty while the array has no nulls. */
gnv_buf *gnv__array_buffer(struct ArrowArray *a, int i);
/* The parsed type an owned array was initialised with. */
const gnv_type *gnv__array_type(const struct ArrowArray *a);
int gnv__array_reserve(struct ArrowArray *a, int64_t additional);

int gnv__array_append_null(struct ArrowArray *a, int64_t n);
/* n valid "empty" values: 0, false, "", [], a struct of empties. */
int gnv__array_append_empty(struct ArrowArray *a, int64_t n);
/* Integer types, date32 and timestamp; GNV_EINVAL when v does not fit the type. */
int gnv__array_append_int(struct ArrowArray *a, int64_t v);
int gnv__array_append_uint(struct ArrowArray *a, uint64_t v);
/* n valid values of a fixed-width primitive type (integers, floats, dates,
 * timestamps), already in its physical layout: n times its byte width. */
int gnv__array_append_fixed_run(struct ArrowArray *a, const void *values, int64_t n);
/* float16 (rounded), float32, float64. */
int gnv__array_append_double(struct ArrowArray *a, double v);
int gnv__array_append_bool(struct ArrowArray *a, bool v);
/* decimal128: one value as 16 bytes, little-endian two's complement (not range-checked
 * against the precision). */
int gnv__array_append_decimal128(struct ArrowArray *a, const void *le16);
/* (large) string/binary, or fixed_size_binary (n must equal its size). */
int gnv__array_append_bytes(struct ArrowArray *a, const void *data, size_t n);
/* n valid (large) string/binary values at once: value i is data[ends[i-1] .. ends[i])
 * (ends[-1] taken as base), offsets relative to data. The caller has checked the ends
 * are ascending and, for strings, the UTF-8. */
int gnv__array_append_var_run(
    struct ArrowArray *a, const uint8_t *data, const uint64_t *ends, uint64_t base, int64_t n);
/* The same with the bytes in data->ptr, taken over instead of copied when the array is
 * still empty (data is left empty, its first offset is base); else copied. */
int gnv__array_adopt_var_run(
    struct ArrowArray *a, gnv_buf *data, const uint64_t *ends, uint64_t base, int64_t n);
/* For list, large list, fixed-size list and struct: the children for one element
 * have been appended; close the element as valid. (For a null element use
 * gnv__array_append_null, which also pads fixed-size-list and struct children.) */
int gnv__array_finish_element(struct ArrowArray *a);
/* Make an owned array a valid C Data array: buffer pointers, null counts, children. */
int gnv__array_finish(struct ArrowArray *a);

void gnv__array_release(struct ArrowArray *a); /* NULL-safe, leaves release == NULL */
void gnv__array_move(struct ArrowArray *src, struct ArrowArray *dst);

/* ---- views -------------------------------------------------------------- */

typedef struct gnv_array_view {
    const struct ArrowSchema *schema;
    const struct ArrowArray *array;
    gnv_type type;
    int64_t length;          /* array->length */
    int64_t offset;          /* array->offset */
    const uint8_t *validity; /* NULL: all valid (for NA: all null) */
    const void *offsets;     /* int32 or int64 offsets, or NULL */
    const uint8_t *data;     /* values / bytes */
    int64_t n_children;
    struct gnv_array_view *children;
    struct gnv_array_view *dictionary; /* dictionary-encoded: the values; data = indices */
} gnv_array_view;

/* Build a view of array under schema (recursively). Does not validate: call
 * gnv__array_validate first on untrusted data. */
int gnv__array_view_init(gnv_array_view *v,
                         const struct ArrowSchema *schema,
                         const struct ArrowArray *array);
void gnv__array_view_reset(gnv_array_view *v);

bool gnv__view_is_null(const gnv_array_view *v, int64_t i);
/* ints, date32, timestamp, duration */
int64_t gnv__view_get_int(const gnv_array_view *v, int64_t i);
uint64_t gnv__view_get_uint(const gnv_array_view *v, int64_t i);
double gnv__view_get_double(const gnv_array_view *v, int64_t i); /* any numeric */
bool gnv__view_get_bool(const gnv_array_view *v, int64_t i);
/* (large) string/binary/fixed_size_binary bytes of element i. */
const uint8_t *gnv__view_get_bytes(const gnv_array_view *v, int64_t i, int64_t *len);
/* List-like element i covers child indexes [*start, *end) (logical in the child view). */
void gnv__view_list_range(const gnv_array_view *v, int64_t i, int64_t *start, int64_t *end);
/* Index into struct children of element i. */
static inline int64_t gnv__view_struct_index(const gnv_array_view *v, int64_t i)
{
    return v->offset + i;
}
/* Dictionary-encoded view: the dictionary index of element i. */
int64_t gnv__view_dict_index(const gnv_array_view *v, int64_t i);

/* Append elements [start, start+n) of a view to an owned array of the same type
 * (dictionary-encoded views are appended decoded). */
int gnv__array_append_view(struct ArrowArray *dst,
                           const gnv_array_view *src,
                           int64_t start,
                           int64_t n);

/* ---- validation, slicing, concatenation --------------------------------- */

/*
 * Check an array from an untrusted producer against its schema: buffer counts,
 * non-NULL buffers where data is implied, offsets monotonic and non-negative, child
 * lengths large enough, dictionary indexes in range, UTF-8 valid for string types
 * (when check_utf8). GNV_EINVAL with a message naming the field path and element.
 * Buffer sizes are not part of the interface, so they are trusted.
 */
int gnv__array_validate(const struct ArrowSchema *schema,
                        const struct ArrowArray *array,
                        bool check_utf8);
/* Check a schema: format strings parse, children counts match, names present. */
int gnv__schema_validate(const struct ArrowSchema *schema);

/*
 * A zero-copy slice [offset, offset+length) of `in`. `in` stays usable; both share the
 * buffers through a reference count (in is converted in place to a shared array).
 */
int gnv__array_slice(struct ArrowArray *out, struct ArrowArray *in, int64_t offset, int64_t length);
/* A new owned array holding all rows of arrays[0..n) (same schema), copied. */
int gnv__array_concat(struct ArrowArray *out,
                      const struct ArrowSchema *schema,
                      const struct ArrowArray *const *arrays,
                      int64_t n);

/*
 * A reference-counted block of bytes that zero-copy arrays point into (the IPC reader
 * reads a message body into one and hands out buffers inside it). Each array whose
 * buffers point into the block holds one reference and drops it in its release
 * callback; the last reference frees the block. Counts are atomic, so arrays may be
 * released on any thread. The data is 64-byte aligned.
 */
typedef struct gnv_block gnv_block;
/* A new block of `size` bytes (contents undefined) holding one reference. */
int gnv__block_new(gnv_block **out, size_t size);
uint8_t *gnv__block_data(const gnv_block *b);
size_t gnv__block_size(const gnv_block *b);
/* Take another reference; returns b. */
gnv_block *gnv__block_ref(gnv_block *b);
/* Drop a reference (NULL is ignored). */
void gnv__block_unref(gnv_block *b);
/* True when the caller's reference is the only one, so the bytes may be reused. */
bool gnv__block_is_unique(const gnv_block *b);

/* ---- streams ------------------------------------------------------------ */

/* Callbacks of a stream implemented inside the library. get_next returns GNV_OK with
 * an array, GNV_ITEROVER at the end, or a negative code with the last error set. */
typedef struct gnv_stream_impl {
    int (*get_schema)(void *self, struct ArrowSchema *out);
    int (*get_next)(void *self, struct ArrowArray *out);
    void (*free)(void *self);
} gnv_stream_impl;

/* Wrap impl/self as an ArrowArrayStream (self is freed by impl->free on release). On
 * failure impl->free(self) has been called. */
int gnv__stream_init(struct ArrowArrayStream *out, const gnv_stream_impl *impl, void *self);
/* A stream over arrays held in memory; takes schema and the n arrays (moved). */
int gnv__stream_from_arrays(struct ArrowArrayStream *out,
                            struct ArrowSchema *schema,
                            struct ArrowArray *arrays,
                            int64_t n);
/* Consume any ArrowArrayStream with our error conventions: GNV_OK, GNV_ITEROVER (out
 * released), or a negative code with the stream's message as the last error. */
int gnv__stream_get_schema(struct ArrowArrayStream *s, struct ArrowSchema *out);
int gnv__stream_next(struct ArrowArrayStream *s, struct ArrowArray *out);
void gnv__stream_release(struct ArrowArrayStream *s);
void gnv__stream_move(struct ArrowArrayStream *src, struct ArrowArrayStream *dst);
/* errno value for a library code, and back. */
int gnv__code_to_errno(int code);
int gnv__errno_to_code(int err);

/* ---- IPC (arrow_ipc_*.c) ------------------------------------------------ */

/* Where IPC output goes: write(ctx, data, n) returns GNV_OK or a negative code with
 * the last error set. */
typedef struct gnv_ipc_sink {
    int (*write)(void *ctx, const void *data, size_t n);
    void *ctx;
} gnv_ipc_sink;

typedef struct gnv_ipc_writer gnv_ipc_writer;

/* Start an IPC stream or file (per opts) with this schema. The sink must outlive the
 * writer. */
int gnv__ipc_writer_new(gnv_ipc_writer **out,
                        gnv_ipc_sink sink,
                        const struct ArrowSchema *schema,
                        const gnv_ipc_write_options *opts);
/* Write one record batch (a struct array matching the schema). */
int gnv__ipc_writer_write(gnv_ipc_writer *w, const struct ArrowArray *batch);
/* End of stream marker, and the footer for the file format. */
int gnv__ipc_writer_finish(gnv_ipc_writer *w);
void gnv__ipc_writer_free(gnv_ipc_writer *w);
/* A sink appending to a gnv_buf. */
gnv_ipc_sink gnv__ipc_sink_buf(gnv_buf *buf);

/* Read an IPC file or stream (detected by its magic) from a path, from memory (copied)
 * or from a block (shared: arrays read may point into it, and hold a reference).
 * Dictionary-encoded fields are decoded to their value type. `name` is used in
 * messages. */
int gnv__ipc_open_path(struct ArrowArrayStream *out, const char *path);
int gnv__ipc_open_memory(struct ArrowArrayStream *out,
                         const void *data,
                         size_t size,
                         const char *name);
int gnv__ipc_open_block(struct ArrowArrayStream *out, gnv_block *b, const char *name);

/* ---- CSV and JSON Lines (arrow_csv.c, arrow_jsonl.c) -------------------- */

/* The byte source both read from (arrow_source.c): a file read in blocks, or a copy
 * of a memory buffer (then eof is set and buf holds everything). `name` is borrowed
 * and used in messages. */
#define GNV_SOURCE_BLOCK ((size_t)1 << 20)
typedef struct gnv_source {
    FILE *f;      /* NULL for memory input */
    uint8_t *buf; /* the current block */
    size_t len, pos;
    bool eof; /* nothing more after buf */
    const char *name;
} gnv_source;
int gnv__source_open_path(gnv_source *s, const char *path);
int gnv__source_open_memory(gnv_source *s, const void *data, size_t size, const char *name);
/* Read the next block into buf (len may be 0 at the end; eof set on the last). */
int gnv__source_fill(gnv_source *s);
void gnv__source_close(gnv_source *s);

int gnv__csv_open_path(struct ArrowArrayStream *out,
                       const char *path,
                       const gnv_read_options *opts);
int gnv__csv_open_memory(struct ArrowArrayStream *out,
                         const void *data,
                         size_t size,
                         const char *name,
                         const gnv_read_options *opts);
int gnv__jsonl_open_path(struct ArrowArrayStream *out,
                         const char *path,
                         const gnv_read_options *opts);
int gnv__jsonl_open_memory(struct ArrowArrayStream *out,
                           const void *data,
                           size_t size,
                           const char *name,
                           const gnv_read_options *opts);

/* Text forms of dates and times shared by the CSV and JSONL readers (arrow_csv.c).
 * Dates are YYYY-MM-DD; timestamps YYYY-MM-DD[T ]HH:MM:SS[.f{1,9}][Z|+HH:MM|-HH:MM]
 * (a zone offset is applied, giving UTC). Both return false when the text does not
 * match or the value does not fit. */
bool gnv__parse_date32(const char *s, size_t n, int32_t *out);
/* allow_date: a bare date is midnight. *has_tz tells whether a zone was given. */
bool gnv__parse_timestamp(
    const char *s, size_t n, gnv_time_unit unit, bool allow_date, int64_t *out, bool *has_tz);

/* ---- printing (arrow_print.c) ------------------------------------------- */

/* Append element i of a view as JSON (as in --format jsonl) / as display text. */
int gnv__print_json_value(gnv_buf *out, const gnv_array_view *v, int64_t i);
int gnv__print_text_value(gnv_buf *out, const gnv_array_view *v, int64_t i);

#endif
