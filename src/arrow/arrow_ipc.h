/*
 * Internal declarations of the Arrow IPC code (arrow_ipc_*.c): a bounds-checked
 * flatbuffer reader for untrusted input and a small back-to-front flatbuffer builder.
 * The IPC entry points themselves are declared in arrow.h.
 */
#ifndef GNV_ARROW_IPC_H
#define GNV_ARROW_IPC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arrow.h"

/* ---- IPC constants (Schema.fbs, Message.fbs, File.fbs) -------------------- */

enum { GNV_IPC_V4 = 3, GNV_IPC_V5 = 4 };

/* Type union tags. */
enum {
    GNV_FB_TYPE_NULL = 1,
    GNV_FB_TYPE_INT = 2,
    GNV_FB_TYPE_FLOAT = 3,
    GNV_FB_TYPE_BINARY = 4,
    GNV_FB_TYPE_UTF8 = 5,
    GNV_FB_TYPE_BOOL = 6,
    GNV_FB_TYPE_DECIMAL = 7,
    GNV_FB_TYPE_DATE = 8,
    GNV_FB_TYPE_TIME = 9,
    GNV_FB_TYPE_TIMESTAMP = 10,
    GNV_FB_TYPE_INTERVAL = 11,
    GNV_FB_TYPE_LIST = 12,
    GNV_FB_TYPE_STRUCT = 13,
    GNV_FB_TYPE_UNION = 14,
    GNV_FB_TYPE_FIXED_SIZE_BINARY = 15,
    GNV_FB_TYPE_FIXED_SIZE_LIST = 16,
    GNV_FB_TYPE_MAP = 17,
    GNV_FB_TYPE_DURATION = 18,
    GNV_FB_TYPE_LARGE_BINARY = 19,
    GNV_FB_TYPE_LARGE_UTF8 = 20,
    GNV_FB_TYPE_LARGE_LIST = 21,
    GNV_FB_TYPE_RUN_END_ENCODED = 22,
    GNV_FB_TYPE_BINARY_VIEW = 23,
    GNV_FB_TYPE_UTF8_VIEW = 24,
    GNV_FB_TYPE_LIST_VIEW = 25,
    GNV_FB_TYPE_LARGE_LIST_VIEW = 26
};

/* MessageHeader union tags. */
enum { GNV_FB_MSG_SCHEMA = 1, GNV_FB_MSG_DICTIONARY_BATCH = 2, GNV_FB_MSG_RECORD_BATCH = 3 };

/* Name of a Type union tag, for messages ("decimal", "union", ...). */
const char *gnv__ipc_fb_type_name(int tag);

/* ---- reader --------------------------------------------------------------- */

/* A flatbuffer in memory; every access is checked against [buf, buf+size). */
typedef struct gnv_fb {
    const uint8_t *buf;
    size_t size;
} gnv_fb;

/* A table: its position and its vtable's. */
typedef struct gnv_fb_table {
    const gnv_fb *fb;
    size_t pos;
    size_t vt;
    uint16_t vt_size;
    uint16_t tbl_size;
} gnv_fb_table;

/* A vector: count elements of elem_size bytes starting at pos. */
typedef struct gnv_fb_vec {
    const gnv_fb *fb;
    size_t pos;
    uint32_t count;
} gnv_fb_vec;

/* All of these return GNV_OK (or 1 for "present" where noted) or GNV_ECORRUPT with a
 * message saying what is out of bounds; callers prefix the context. */
int gnv__fb_root(gnv_fb_table *out, const gnv_fb *fb);
/* Scalars: the default when the field is absent; out-of-bounds fields are an error. */
int gnv__fb_i64(const gnv_fb_table *t, int field, int64_t dflt, int64_t *out);
int gnv__fb_i32(const gnv_fb_table *t, int field, int32_t dflt, int32_t *out);
int gnv__fb_i16(const gnv_fb_table *t, int field, int16_t dflt, int16_t *out);
int gnv__fb_u8(const gnv_fb_table *t, int field, uint8_t dflt, uint8_t *out);
/* Sub-table / string / vector: 0 when absent, 1 when present, negative on error. */
int gnv__fb_table(const gnv_fb_table *t, int field, gnv_fb_table *out);
int gnv__fb_string(const gnv_fb_table *t, int field, const char **str, uint32_t *len);
int gnv__fb_vector(const gnv_fb_table *t, int field, size_t elem_size, gnv_fb_vec *out);
/* Element i of a vector of tables. */
int gnv__fb_vec_table(const gnv_fb_vec *v, uint32_t i, gnv_fb_table *out);
/* Element i of a vector of structs: a pointer to its elem_size bytes (checked by
 * gnv__fb_vector). */
const uint8_t *gnv__fb_vec_struct(const gnv_fb_vec *v, uint32_t i, size_t elem_size);
/* Little-endian loads from unaligned memory. */
int64_t gnv__fb_load_i64(const uint8_t *p);
int32_t gnv__fb_load_i32(const uint8_t *p);

/* ---- builder -------------------------------------------------------------- */

/* Builds back to front, as flatbuffers do: objects made first end up last, and a
 * reference (gnv_fb_ref) is an object's distance from the end of the buffer. */
typedef uint32_t gnv_fb_ref;

#define GNV_FB_MAX_FIELDS 16

typedef struct gnv_fb_builder {
    uint8_t *buf; /* data lives in [buf + cap - used, buf + cap) */
    size_t cap;
    size_t used;
    bool in_table;
    size_t table_start;
    int n_fields;
    size_t field_at[GNV_FB_MAX_FIELDS]; /* `used` just after each field, 0 = absent */
} gnv_fb_builder;

void gnv__fbb_init(gnv_fb_builder *b);
void gnv__fbb_reset(gnv_fb_builder *b);
int gnv__fbb_string(gnv_fb_builder *b, const char *s, size_t n, gnv_fb_ref *out);
/* A vector of n structs of elem_size bytes (8-byte aligned), given in order. */
int gnv__fbb_struct_vector(
    gnv_fb_builder *b, const void *elems, uint32_t n, size_t elem_size, gnv_fb_ref *out);
/* A vector of references to tables/strings, given in order. */
int gnv__fbb_ref_vector(gnv_fb_builder *b, const gnv_fb_ref *refs, uint32_t n, gnv_fb_ref *out);
void gnv__fbb_table_start(gnv_fb_builder *b);
int gnv__fbb_add_i64(gnv_fb_builder *b, int field, int64_t v);
int gnv__fbb_add_i32(gnv_fb_builder *b, int field, int32_t v);
int gnv__fbb_add_i16(gnv_fb_builder *b, int field, int16_t v);
int gnv__fbb_add_u8(gnv_fb_builder *b, int field, uint8_t v);
int gnv__fbb_add_ref(gnv_fb_builder *b, int field, gnv_fb_ref ref);
int gnv__fbb_table_end(gnv_fb_builder *b, gnv_fb_ref *out);
/* Finish with root; the bytes are at *data (size *size, a multiple of 8) until the
 * builder is reset. */
int gnv__fbb_finish(gnv_fb_builder *b, gnv_fb_ref root, const uint8_t **data, size_t *size);

#endif
