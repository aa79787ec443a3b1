/* Flatbuffers for Arrow IPC, by hand: a reader that checks every offset against the
 * buffer (IPC input is untrusted) and a small builder for the messages we write.
 *
 * Layout reminders: a table starts with an int32 soffset to its vtable (vtable =
 * table - soffset); the vtable holds uint16 vtable size, table size, then one uint16
 * offset per field (0 = absent). References are uint32 offsets forward from where they
 * are stored. Strings and vectors start with a uint32 count. All little endian. */
#include <string.h>

#include "arrow_ipc.h"

const char *gnv__ipc_fb_type_name(int tag)
{
    static const char *const names[] = {"none",
                                        "null",
                                        "int",
                                        "floating point",
                                        "binary",
                                        "utf8",
                                        "bool",
                                        "decimal",
                                        "date",
                                        "time",
                                        "timestamp",
                                        "interval",
                                        "list",
                                        "struct",
                                        "union",
                                        "fixed_size_binary",
                                        "fixed_size_list",
                                        "map",
                                        "duration",
                                        "large_binary",
                                        "large_utf8",
                                        "large_list",
                                        "run_end_encoded",
                                        "binary_view",
                                        "utf8_view",
                                        "list_view",
                                        "large_list_view"};
    if (tag < 0 || (size_t)tag >= GNV_ARRAY_SIZE(names))
        return "unknown type";
    return names[tag];
}

/* ---- loads ---------------------------------------------------------------- */

int64_t gnv__fb_load_i64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = (v << 8) | p[i];
    return (int64_t)v;
}

int32_t gnv__fb_load_i32(const uint8_t *p)
{
    uint32_t v = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
    return (int32_t)v;
}

static uint32_t load_u32(const uint8_t *p)
{
    return (uint32_t)gnv__fb_load_i32(p);
}

static uint16_t load_u16(const uint8_t *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}

/* ---- reader --------------------------------------------------------------- */

static int corrupt(const char *what)
{
    return gnv__error_set(GNV_ECORRUPT, GNV_SUB_IPC, "flatbuffer: %s lies outside the metadata",
                          what);
}

static int table_at(gnv_fb_table *out, const gnv_fb *fb, size_t pos)
{
    if (pos > fb->size || fb->size - pos < 4 || pos % 4 != 0)
        return corrupt("a table");
    int64_t vt = (int64_t)pos - (int64_t)gnv__fb_load_i32(fb->buf + pos);
    if (vt < 0 || (uint64_t)vt > fb->size || fb->size - (size_t)vt < 4 || vt % 2 != 0)
        return corrupt("a vtable");
    uint16_t vt_size = load_u16(fb->buf + vt);
    uint16_t tbl_size = load_u16(fb->buf + vt + 2);
    if (vt_size < 4 || vt_size % 2 != 0 || fb->size - (size_t)vt < vt_size)
        return corrupt("a vtable");
    if (tbl_size < 4 || fb->size - pos < tbl_size)
        return corrupt("a table");
    out->fb = fb;
    out->pos = pos;
    out->vt = (size_t)vt;
    out->vt_size = vt_size;
    out->tbl_size = tbl_size;
    return GNV_OK;
}

int gnv__fb_root(gnv_fb_table *out, const gnv_fb *fb)
{
    if (fb->size < 4)
        return corrupt("the root table");
    return table_at(out, fb, load_u32(fb->buf));
}

/* Offset of field within the table, 0 when absent, <0 when its `width` bytes do not
 * fit in the table. */
static int field_off(const gnv_fb_table *t, int field, size_t width, size_t *off)
{
    size_t slot = 4 + 2 * (size_t)field;
    *off = 0;
    if (slot + 2 > t->vt_size)
        return GNV_OK;
    uint16_t fo = load_u16(t->fb->buf + t->vt + slot);
    if (fo == 0)
        return GNV_OK;
    if (fo < 4 || (size_t)fo + width > t->tbl_size)
        return corrupt("a field");
    *off = fo;
    return GNV_OK;
}

int gnv__fb_i64(const gnv_fb_table *t, int field, int64_t dflt, int64_t *out)
{
    size_t off;
    GNV_TRY(field_off(t, field, 8, &off));
    *out = off ? gnv__fb_load_i64(t->fb->buf + t->pos + off) : dflt;
    return GNV_OK;
}

int gnv__fb_i32(const gnv_fb_table *t, int field, int32_t dflt, int32_t *out)
{
    size_t off;
    GNV_TRY(field_off(t, field, 4, &off));
    *out = off ? gnv__fb_load_i32(t->fb->buf + t->pos + off) : dflt;
    return GNV_OK;
}

int gnv__fb_i16(const gnv_fb_table *t, int field, int16_t dflt, int16_t *out)
{
    size_t off;
    GNV_TRY(field_off(t, field, 2, &off));
    *out = off ? (int16_t)load_u16(t->fb->buf + t->pos + off) : dflt;
    return GNV_OK;
}

int gnv__fb_u8(const gnv_fb_table *t, int field, uint8_t dflt, uint8_t *out)
{
    size_t off;
    GNV_TRY(field_off(t, field, 1, &off));
    *out = off ? t->fb->buf[t->pos + off] : dflt;
    return GNV_OK;
}

/* Follow the reference stored in a field: 0 absent, 1 with *target set. */
static int follow(const gnv_fb_table *t, int field, size_t *target)
{
    size_t off;
    GNV_TRY(field_off(t, field, 4, &off));
    if (!off)
        return 0;
    size_t at = t->pos + off;
    uint32_t rel = load_u32(t->fb->buf + at);
    if (rel > t->fb->size - at)
        return corrupt("a reference");
    *target = at + rel;
    return 1;
}

int gnv__fb_table(const gnv_fb_table *t, int field, gnv_fb_table *out)
{
    size_t target = 0;
    int rc = follow(t, field, &target);
    if (rc <= 0)
        return rc;
    GNV_TRY(table_at(out, t->fb, target));
    return 1;
}

int gnv__fb_string(const gnv_fb_table *t, int field, const char **str, uint32_t *len)
{
    size_t target = 0;
    int rc = follow(t, field, &target);
    if (rc <= 0)
        return rc;
    const gnv_fb *fb = t->fb;
    if (fb->size - target < 4)
        return corrupt("a string");
    uint32_t n = load_u32(fb->buf + target);
    if (fb->size - target - 4 < (size_t)n + 1)
        return corrupt("a string");
    *str = (const char *)fb->buf + target + 4;
    *len = n;
    return 1;
}

int gnv__fb_vector(const gnv_fb_table *t, int field, size_t elem_size, gnv_fb_vec *out)
{
    size_t target = 0;
    memset(out, 0, sizeof *out);
    out->fb = t->fb;
    int rc = follow(t, field, &target);
    if (rc <= 0)
        return rc;
    const gnv_fb *fb = t->fb;
    if (fb->size - target < 4)
        return corrupt("a vector");
    uint32_t n = load_u32(fb->buf + target);
    if ((fb->size - target - 4) / elem_size < n)
        return corrupt("a vector");
    out->pos = target + 4;
    out->count = n;
    return 1;
}

int gnv__fb_vec_table(const gnv_fb_vec *v, uint32_t i, gnv_fb_table *out)
{
    if (i >= v->count)
        return corrupt("a vector element");
    size_t at = v->pos + 4 * (size_t)i;
    uint32_t rel = load_u32(v->fb->buf + at);
    if (rel > v->fb->size - at)
        return corrupt("a reference");
    return table_at(out, v->fb, at + rel);
}

const uint8_t *gnv__fb_vec_struct(const gnv_fb_vec *v, uint32_t i, size_t elem_size)
{
    return v->fb->buf + v->pos + (size_t)i * elem_size;
}

/* ---- builder -------------------------------------------------------------- */

void gnv__fbb_init(gnv_fb_builder *b)
{
    memset(b, 0, sizeof *b);
}

void gnv__fbb_reset(gnv_fb_builder *b)
{
    gnv__free(b->buf);
    gnv__fbb_init(b);
}

static int grow(gnv_fb_builder *b, size_t extra)
{
    if (b->cap - b->used >= extra)
        return GNV_OK;
    size_t cap = b->cap ? b->cap : 256;
    while (cap - b->used < extra) {
        if (cap > SIZE_MAX / 2)
            return gnv__error_oom();
        cap *= 2;
    }
    uint8_t *nb = gnv__malloc(cap);
    if (!nb)
        return gnv__error_oom();
    if (b->used)
        memcpy(nb + cap - b->used, b->buf + b->cap - b->used, b->used);
    gnv__free(b->buf);
    b->buf = nb;
    b->cap = cap;
    return GNV_OK;
}

/* Prepend n bytes (data or zeros when NULL). */
static int prepend(gnv_fb_builder *b, const void *data, size_t n)
{
    GNV_TRY(grow(b, n));
    b->used += n;
    uint8_t *at = b->buf + b->cap - b->used;
    if (data)
        memcpy(at, data, n);
    else
        memset(at, 0, n);
    return GNV_OK;
}

/* Pad so that after prepending `n` more bytes, `used` is a multiple of align. */
static int align_for(gnv_fb_builder *b, size_t n, size_t align)
{
    size_t pad = (align - (b->used + n) % align) % align;
    return pad ? prepend(b, NULL, pad) : GNV_OK;
}

static void store_le(uint8_t *p, uint64_t v, int n)
{
    for (int i = 0; i < n; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static int prepend_scalar(gnv_fb_builder *b, uint64_t v, int n)
{
    uint8_t tmp[8];
    store_le(tmp, v, n);
    GNV_TRY(align_for(b, (size_t)n, (size_t)n));
    return prepend(b, tmp, (size_t)n);
}

/* Prepend a uint32 reference to `ref`, relative to where it is stored. */
static int prepend_ref(gnv_fb_builder *b, gnv_fb_ref ref)
{
    GNV_TRY(align_for(b, 4, 4));
    size_t here = b->used + 4;
    return prepend_scalar(b, (uint64_t)(here - ref), 4);
}

int gnv__fbb_string(gnv_fb_builder *b, const char *s, size_t n, gnv_fb_ref *out)
{
    if (n > UINT32_MAX - 16)
        return gnv__error_set(GNV_EINVAL, GNV_SUB_IPC, "string of %zu bytes is too long", n);
    GNV_TRY(align_for(b, n + 1 + 4, 4));
    GNV_TRY(prepend(b, NULL, 1));
    GNV_TRY(prepend(b, s, n));
    GNV_TRY(prepend_scalar(b, n, 4));
    *out = (gnv_fb_ref)b->used;
    return GNV_OK;
}

int gnv__fbb_struct_vector(
    gnv_fb_builder *b, const void *elems, uint32_t n, size_t elem_size, gnv_fb_ref *out)
{
    GNV_TRY(align_for(b, (size_t)n * elem_size, 8));
    GNV_TRY(prepend(b, elems, (size_t)n * elem_size));
    GNV_TRY(prepend_scalar(b, n, 4));
    *out = (gnv_fb_ref)b->used;
    return GNV_OK;
}

int gnv__fbb_ref_vector(gnv_fb_builder *b, const gnv_fb_ref *refs, uint32_t n, gnv_fb_ref *out)
{
    GNV_TRY(align_for(b, (size_t)n * 4, 4));
    for (uint32_t i = n; i-- > 0;)
        GNV_TRY(prepend_ref(b, refs[i]));
    GNV_TRY(prepend_scalar(b, n, 4));
    *out = (gnv_fb_ref)b->used;
    return GNV_OK;
}

void gnv__fbb_table_start(gnv_fb_builder *b)
{
    b->in_table = true;
    b->table_start = b->used;
    b->n_fields = 0;
    memset(b->field_at, 0, sizeof b->field_at);
}

static void mark_field(gnv_fb_builder *b, int field)
{
    GNV_ASSERT(b->in_table && field >= 0 && field < GNV_FB_MAX_FIELDS);
    b->field_at[field] = b->used;
    if (field + 1 > b->n_fields)
        b->n_fields = field + 1;
}

int gnv__fbb_add_i64(gnv_fb_builder *b, int field, int64_t v)
{
    GNV_TRY(prepend_scalar(b, (uint64_t)v, 8));
    mark_field(b, field);
    return GNV_OK;
}

int gnv__fbb_add_i32(gnv_fb_builder *b, int field, int32_t v)
{
    GNV_TRY(prepend_scalar(b, (uint32_t)v, 4));
    mark_field(b, field);
    return GNV_OK;
}

int gnv__fbb_add_i16(gnv_fb_builder *b, int field, int16_t v)
{
    GNV_TRY(prepend_scalar(b, (uint16_t)v, 2));
    mark_field(b, field);
    return GNV_OK;
}

int gnv__fbb_add_u8(gnv_fb_builder *b, int field, uint8_t v)
{
    GNV_TRY(prepend_scalar(b, v, 1));
    mark_field(b, field);
    return GNV_OK;
}

int gnv__fbb_add_ref(gnv_fb_builder *b, int field, gnv_fb_ref ref)
{
    GNV_TRY(prepend_ref(b, ref));
    mark_field(b, field);
    return GNV_OK;
}

int gnv__fbb_table_end(gnv_fb_builder *b, gnv_fb_ref *out)
{
    GNV_ASSERT(b->in_table);
    b->in_table = false;
    /* The soffset placeholder; patched once the vtable's place is known. */
    GNV_TRY(prepend_scalar(b, 0, 4));
    size_t table = b->used;
    size_t tbl_size = table - b->table_start;
    size_t vt_size = 4 + 2 * (size_t)b->n_fields;
    if (tbl_size > UINT16_MAX)
        return gnv__error_set(GNV_EINVAL, GNV_SUB_IPC, "flatbuffer table too large");
    uint8_t vt[4 + 2 * GNV_FB_MAX_FIELDS];
    store_le(vt, vt_size, 2);
    store_le(vt + 2, tbl_size, 2);
    for (int i = 0; i < b->n_fields; i++)
        store_le(vt + 4 + 2 * i, b->field_at[i] ? table - b->field_at[i] : 0, 2);
    GNV_TRY(prepend(b, vt, vt_size));
    size_t vtable = b->used;
    /* table - soffset = vtable, in addresses: (end - table) - s = end - vtable. */
    store_le(b->buf + b->cap - table, (uint64_t)(uint32_t)(int32_t)(vtable - table), 4);
    *out = (gnv_fb_ref)table;
    return GNV_OK;
}

int gnv__fbb_finish(gnv_fb_builder *b, gnv_fb_ref root, const uint8_t **data, size_t *size)
{
    GNV_TRY(align_for(b, 4, 8));
    GNV_TRY(prepend_ref(b, root));
    *data = b->buf + b->cap - b->used;
    *size = b->used;
    return GNV_OK;
}
