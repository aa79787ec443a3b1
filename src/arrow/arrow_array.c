/* Owned arrays and their builders, slicing and concatenation.
 *
 * An owned array keeps up to three growable buffers in its private data. The validity
 * bitmap is materialised only when the first null is appended (all earlier bits set),
 * so arrays without nulls carry none. gnv__array_finish() publishes buffer pointers and
 * null counts into the ArrowArray fields; appending again is allowed afterwards. */
#include <math.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "arrow.h"

typedef struct array_priv {
    gnv_type type;
    char *format; /* copy: type.timezone points into it */
    gnv_buf bufs[3];
    bool has_validity;
    const void *buf_ptrs[3];
    struct ArrowArray **child_ptrs;
    struct ArrowArray *dict;
} array_priv;

/* Non-NULL stand-in for empty buffers: some consumers reject NULL data pointers. */
static const uint64_t empty_buffer[2];

static void owned_release(struct ArrowArray *a)
{
    if (!a || !a->release)
        return;
    array_priv *p = a->private_data;
    for (int64_t i = 0; i < a->n_children; i++) {
        if (p->child_ptrs[i]) {
            gnv__array_release(p->child_ptrs[i]);
            gnv__free(p->child_ptrs[i]);
        }
    }
    gnv__free(p->child_ptrs);
    if (p->dict) {
        gnv__array_release(p->dict);
        gnv__free(p->dict);
    }
    for (int i = 0; i < 3; i++)
        gnv_buf_dispose(&p->bufs[i]);
    gnv__free(p->format);
    gnv__free(p);
    a->release = NULL;
}

static inline array_priv *priv(struct ArrowArray *a)
{
    GNV_ASSERT(a->release == owned_release);
    return a->private_data;
}

static bool has_offsets(gnv_type_id id)
{
    return gnv__type_is_binary_like(id) || id == GNV_TYPE_LIST || id == GNV_TYPE_LARGE_LIST;
}

static int put_offset(array_priv *p, int64_t v)
{
    if (gnv__type_is_large(p->type.id))
        return gnv__buf_put(&p->bufs[1], &v, 8);
    if (v > INT32_MAX)
        return gnv__error_set(GNV_EINVAL, GNV_SUB_ARROW,
                              "%s offsets overflow 2 GiB; use the large_ variant of the type",
                              gnv__type_id_name(p->type.id));
    int32_t v32 = (int32_t)v;
    return gnv__buf_put(&p->bufs[1], &v32, 4);
}

static int64_t last_offset(array_priv *p)
{
    if (gnv__type_is_large(p->type.id)) {
        int64_t v;
        memcpy(&v, p->bufs[1].ptr + p->bufs[1].size - 8, 8);
        return v;
    }
    int32_t v;
    memcpy(&v, p->bufs[1].ptr + p->bufs[1].size - 4, 4);
    return v;
}

int gnv__array_init(struct ArrowArray *out, const struct ArrowSchema *schema)
{
    int rc = GNV_OK;
    memset(out, 0, sizeof *out);
    array_priv *p = gnv__calloc(1, sizeof *p);
    if (!p)
        return gnv__error_oom();
    out->private_data = p;
    out->release = owned_release;
    out->buffers = p->buf_ptrs;
    p->format = gnv__strdup(schema->format ? schema->format : "");
    GNV_CHECK_ALLOC(p->format);
    GNV_TRYG(gnv__type_parse(&p->type, p->format));
    if (schema->dictionary) {
        if (!gnv__type_is_integer(p->type.id))
            GNV_ERR_IF(true, GNV_EINVAL, GNV_SUB_ARROW, "dictionary indices must be integers");
        p->dict = gnv__calloc(1, sizeof *p->dict);
        GNV_CHECK_ALLOC(p->dict);
        GNV_TRYG(gnv__array_init(p->dict, schema->dictionary));
        out->dictionary = p->dict;
    }
    out->n_buffers = gnv__type_n_buffers(p->type.id);
    if (schema->n_children > 0) {
        p->child_ptrs = gnv__calloc((size_t)schema->n_children, sizeof *p->child_ptrs);
        GNV_CHECK_ALLOC(p->child_ptrs);
        out->n_children = schema->n_children;
        out->children = p->child_ptrs;
        for (int64_t i = 0; i < schema->n_children; i++) {
            p->child_ptrs[i] = gnv__calloc(1, sizeof(struct ArrowArray));
            GNV_CHECK_ALLOC(p->child_ptrs[i]);
            GNV_TRYG(gnv__array_init(p->child_ptrs[i], schema->children[i]));
        }
    }
    if (has_offsets(p->type.id))
        GNV_TRYG(put_offset(p, 0));
    return GNV_OK;
done:
    owned_release(out);
    return rc;
}

gnv_buf *gnv__array_buffer(struct ArrowArray *a, int i)
{
    if (i < 0 || i >= a->n_buffers)
        return NULL;
    return &priv(a)->bufs[i];
}

const gnv_type *gnv__array_type(const struct ArrowArray *a)
{
    return &((const array_priv *)a->private_data)->type;
}

int gnv__array_reserve(struct ArrowArray *a, int64_t additional)
{
    array_priv *p = priv(a);
    int w = gnv__type_byte_width(&p->type);
    if (w > 0)
        GNV_TRY(gnv__buf_reserve(&p->bufs[1], (size_t)additional * (size_t)w));
    if (has_offsets(p->type.id))
        GNV_TRY(gnv__buf_reserve(&p->bufs[1],
                                 (size_t)additional * (gnv__type_is_large(p->type.id) ? 8 : 4)));
    return GNV_OK;
}

/* ---- bits --------------------------------------------------------------- */

/* Append n bits of value `bit` to a bitmap holding `len` bits. */
static int bits_append(gnv_buf *b, int64_t len, bool bit, int64_t n)
{
    size_t need = (size_t)((len + n + 7) / 8);
    if (need > b->size)
        GNV_TRY(gnv__buf_put_zeros(b, need - b->size));
    uint8_t *d = (uint8_t *)b->ptr;
    if (!bit)
        return GNV_OK; /* new bytes are zero, and bits past len were kept zero */
    int64_t i = len, end = len + n;
    for (; i < end && (i & 7); i++)
        d[i >> 3] |= (uint8_t)(1u << (i & 7));
    for (; i + 8 <= end; i += 8)
        d[i >> 3] = 0xFF;
    for (; i < end; i++)
        d[i >> 3] |= (uint8_t)(1u << (i & 7));
    return GNV_OK;
}

/* Copy n bits from src (starting at bit src_off) to a bitmap holding `len` bits. */
static int bits_copy(gnv_buf *b, int64_t len, const uint8_t *src, int64_t src_off, int64_t n)
{
    size_t need = (size_t)((len + n + 7) / 8);
    if (need > b->size)
        GNV_TRY(gnv__buf_put_zeros(b, need - b->size));
    uint8_t *d = (uint8_t *)b->ptr;
    if ((len & 7) == 0 && (src_off & 7) == 0) {
        memcpy(d + (len >> 3), src + (src_off >> 3), (size_t)(n >> 3));
        int64_t done = n & ~(int64_t)7;
        for (int64_t i = done; i < n; i++)
            if (src[(src_off + i) >> 3] >> ((src_off + i) & 7) & 1)
                d[(len + i) >> 3] |= (uint8_t)(1u << ((len + i) & 7));
        return GNV_OK;
    }
    for (int64_t i = 0; i < n; i++)
        if (src[(src_off + i) >> 3] >> ((src_off + i) & 7) & 1)
            d[(len + i) >> 3] |= (uint8_t)(1u << ((len + i) & 7));
    return GNV_OK;
}

static int64_t count_set_bits(const uint8_t *bits, int64_t off, int64_t n)
{
    int64_t c = 0, i = 0;
    for (; i < n && ((off + i) & 7); i++)
        c += bits[(off + i) >> 3] >> ((off + i) & 7) & 1;
    for (; i + 64 <= n; i += 64) {
        uint64_t w;
        memcpy(&w, bits + ((off + i) >> 3), 8);
        c += __builtin_popcountll(w);
    }
    for (; i < n; i++)
        c += bits[(off + i) >> 3] >> ((off + i) & 7) & 1;
    return c;
}

static int materialize_validity(struct ArrowArray *a, array_priv *p)
{
    if (p->has_validity)
        return GNV_OK;
    GNV_TRY(bits_append(&p->bufs[0], 0, true, a->length));
    p->has_validity = true;
    return GNV_OK;
}

/* Record n validity bits (valid or not) for elements being appended. */
static int push_validity(struct ArrowArray *a, array_priv *p, bool valid, int64_t n)
{
    if (!valid) {
        GNV_TRY(materialize_validity(a, p));
        a->null_count += n;
    }
    if (p->has_validity)
        GNV_TRY(bits_append(&p->bufs[0], a->length, valid, n));
    return GNV_OK;
}

/* ---- appends ------------------------------------------------------------ */

static int append_blank(struct ArrowArray *a, int64_t n, bool valid)
{
    array_priv *p = priv(a);
    if (n <= 0)
        return GNV_OK;
    if (p->type.id == GNV_TYPE_NA) {
        a->length += n;
        a->null_count += n;
        return GNV_OK;
    }
    if (p->dict) {
        /* dictionary-encoded: index 0 for blanks (valid blanks need a dictionary entry) */
        if (valid && p->dict->length == 0)
            return gnv__error_set(GNV_EINVAL, GNV_SUB_ARROW,
                                  "cannot append an empty value to an empty dictionary");
    }
    GNV_TRY(push_validity(a, p, valid, n));
    int w = gnv__type_byte_width(&p->type);
    switch (p->type.id) {
    case GNV_TYPE_BOOL:
        GNV_TRY(bits_append(&p->bufs[1], a->length, false, n));
        break;
    case GNV_TYPE_STRING:
    case GNV_TYPE_LARGE_STRING:
    case GNV_TYPE_BINARY:
    case GNV_TYPE_LARGE_BINARY:
    case GNV_TYPE_LIST:
    case GNV_TYPE_LARGE_LIST: {
        int64_t last = last_offset(p);
        for (int64_t i = 0; i < n; i++)
            GNV_TRY(put_offset(p, last));
        break;
    }
    case GNV_TYPE_FIXED_SIZE_LIST:
        if (valid)
            GNV_TRY(gnv__array_append_empty(a->children[0], n * p->type.fixed_size));
        else
            GNV_TRY(gnv__array_append_null(a->children[0], n * p->type.fixed_size));
        break;
    case GNV_TYPE_STRUCT:
        for (int64_t c = 0; c < a->n_children; c++) {
            if (valid)
                GNV_TRY(gnv__array_append_empty(a->children[c], n));
            else
                GNV_TRY(gnv__array_append_null(a->children[c], n));
        }
        break;
    default:
        GNV_TRY(gnv__buf_put_zeros(&p->bufs[1], (size_t)n * (size_t)w));
        break;
    }
    a->length += n;
    return GNV_OK;
}

int gnv__array_append_null(struct ArrowArray *a, int64_t n)
{
    return append_blank(a, n, false);
}

int gnv__array_append_empty(struct ArrowArray *a, int64_t n)
{
    return append_blank(a, n, priv(a)->type.id != GNV_TYPE_NA);
}

static int type_error(array_priv *p, const char *what)
{
    return gnv__error_set(GNV_EINVAL, GNV_SUB_ARROW, "cannot append %s to a %s array", what,
                          gnv__type_id_name(p->type.id));
}

static int range_error(array_priv *p, const char *text)
{
    return gnv__error_set(GNV_EINVAL, GNV_SUB_ARROW, "value %s out of range for %s", text,
                          gnv__type_id_name(p->type.id));
}

static int put_fixed(struct ArrowArray *a, array_priv *p, const void *v, size_t w)
{
    GNV_TRY(gnv__buf_put(&p->bufs[1], v, w));
    if (p->has_validity)
        GNV_TRY(bits_append(&p->bufs[0], a->length, true, 1));
    a->length++;
    return GNV_OK;
}

int gnv__array_append_fixed_run(struct ArrowArray *a, const void *values, int64_t n)
{
    array_priv *p = priv(a);
    int w = gnv__type_byte_width(&p->type);
    if (w <= 0 || p->type.id == GNV_TYPE_FIXED_SIZE_BINARY)
        return type_error(p, "fixed-width values");
    if (n <= 0)
        return GNV_OK;
    GNV_TRY(gnv__buf_put(&p->bufs[1], values, (size_t)n * (size_t)w));
    GNV_TRY(push_validity(a, p, true, n));
    a->length += n;
    return GNV_OK;
}

/* IEEE half from double, round to nearest even. */
uint16_t gnv__half_from_double(double d)
{
    float f = (float)d;
    uint32_t x;
    memcpy(&x, &f, 4);
    uint32_t sign = (x >> 16) & 0x8000;
    int32_t exp = (int32_t)((x >> 23) & 0xFF) - 127 + 15;
    uint32_t mant = x & 0x7FFFFF;
    if (((x >> 23) & 0xFF) == 0xFF) /* inf or nan */
        return (uint16_t)(sign | 0x7C00 | (mant ? 0x200 : 0));
    if (exp >= 31)
        return (uint16_t)(sign | 0x7C00);
    if (exp <= 0) {
        if (exp < -10)
            return (uint16_t)sign;
        mant |= 0x800000;
        uint32_t shift = (uint32_t)(14 - exp);
        uint32_t half = mant >> shift;
        uint32_t rem = mant & ((1u << shift) - 1), mid = 1u << (shift - 1);
        if (rem > mid || (rem == mid && (half & 1)))
            half++;
        return (uint16_t)(sign | half);
    }
    uint32_t half = sign | (uint32_t)exp << 10 | mant >> 13;
    uint32_t rem = mant & 0x1FFF;
    if (rem > 0x1000 || (rem == 0x1000 && (half & 1)))
        half++;
    return (uint16_t)half;
}

int gnv__array_append_int(struct ArrowArray *a, int64_t v)
{
    array_priv *p = priv(a);
    char text[32];
    switch (p->type.id) {
#define PUT_RANGE(T, lo, hi)                                                                       \
    if (v < (lo) || v > (hi)) {                                                                    \
        snprintf(text, sizeof text, "%lld", (long long)v);                                         \
        return range_error(p, text);                                                               \
    } else {                                                                                       \
        T x = (T)v;                                                                                \
        return put_fixed(a, p, &x, sizeof x);                                                      \
    }
    case GNV_TYPE_INT8:
        PUT_RANGE(int8_t, INT8_MIN, INT8_MAX)
    case GNV_TYPE_INT16:
        PUT_RANGE(int16_t, INT16_MIN, INT16_MAX)
    case GNV_TYPE_INT32:
    case GNV_TYPE_DATE32:
        PUT_RANGE(int32_t, INT32_MIN, INT32_MAX)
    case GNV_TYPE_UINT8:
        PUT_RANGE(uint8_t, 0, UINT8_MAX)
    case GNV_TYPE_UINT16:
        PUT_RANGE(uint16_t, 0, UINT16_MAX)
    case GNV_TYPE_UINT32:
        PUT_RANGE(uint32_t, 0, (int64_t)UINT32_MAX)
    case GNV_TYPE_UINT64:
        PUT_RANGE(uint64_t, 0, INT64_MAX)
#undef PUT_RANGE
    case GNV_TYPE_INT64:
    case GNV_TYPE_TIMESTAMP:
    case GNV_TYPE_DURATION:
        return put_fixed(a, p, &v, 8);
    case GNV_TYPE_HALF_FLOAT:
    case GNV_TYPE_FLOAT:
    case GNV_TYPE_DOUBLE:
        return gnv__array_append_double(a, (double)v);
    default:
        return type_error(p, "an integer");
    }
}

int gnv__array_append_uint(struct ArrowArray *a, uint64_t v)
{
    array_priv *p = priv(a);
    if (p->type.id == GNV_TYPE_UINT64)
        return put_fixed(a, p, &v, 8);
    if (v > INT64_MAX) {
        char text[32];
        snprintf(text, sizeof text, "%llu", (unsigned long long)v);
        if (gnv__type_is_floating(p->type.id))
            return gnv__array_append_double(a, (double)v);
        return range_error(p, text);
    }
    return gnv__array_append_int(a, (int64_t)v);
}

int gnv__array_append_double(struct ArrowArray *a, double v)
{
    array_priv *p = priv(a);
    switch (p->type.id) {
    case GNV_TYPE_DOUBLE:
        return put_fixed(a, p, &v, 8);
    case GNV_TYPE_FLOAT: {
        float f = (float)v;
        return put_fixed(a, p, &f, 4);
    }
    case GNV_TYPE_HALF_FLOAT: {
        uint16_t h = gnv__half_from_double(v);
        return put_fixed(a, p, &h, 2);
    }
    default:
        return type_error(p, "a floating-point value");
    }
}

int gnv__array_append_bool(struct ArrowArray *a, bool v)
{
    array_priv *p = priv(a);
    if (p->type.id != GNV_TYPE_BOOL)
        return type_error(p, "a boolean");
    GNV_TRY(bits_append(&p->bufs[1], a->length, v, 1));
    if (p->has_validity)
        GNV_TRY(bits_append(&p->bufs[0], a->length, true, 1));
    a->length++;
    return GNV_OK;
}

int gnv__array_append_decimal128(struct ArrowArray *a, const void *le16)
{
    array_priv *p = priv(a);
    if (p->type.id != GNV_TYPE_DECIMAL128)
        return type_error(p, "a decimal128 value");
    return put_fixed(a, p, le16, 16);
}

int gnv__array_append_bytes(struct ArrowArray *a, const void *data, size_t n)
{
    array_priv *p = priv(a);
    if (p->type.id == GNV_TYPE_FIXED_SIZE_BINARY) {
        if (n != (size_t)p->type.fixed_size)
            return gnv__error_set(GNV_EINVAL, GNV_SUB_ARROW,
                                  "fixed_size_binary[%d] value has %zu bytes", p->type.fixed_size,
                                  n);
        return put_fixed(a, p, data, n);
    }
    if (!gnv__type_is_binary_like(p->type.id))
        return type_error(p, "bytes");
    GNV_TRY(gnv__buf_put(&p->bufs[2], data, n));
    GNV_TRY(put_offset(p, (int64_t)p->bufs[2].size));
    if (p->has_validity)
        GNV_TRY(bits_append(&p->bufs[0], a->length, true, 1));
    a->length++;
    return GNV_OK;
}

/* The offsets of n values ending at ends[i] - base + start (room reserved here). */
static int put_var_ends(array_priv *p, const uint64_t *ends, uint64_t base, size_t start, int64_t n)
{
    bool large = gnv__type_is_large(p->type.id);
    GNV_TRY(gnv__buf_reserve(&p->bufs[1], (size_t)n * (large ? 8 : 4)));
    if (large) {
        int64_t *o = (int64_t *)(void *)(p->bufs[1].ptr + p->bufs[1].size);
        for (int64_t i = 0; i < n; i++)
            o[i] = (int64_t)(start + (ends[i] - base));
    } else {
        int32_t *o = (int32_t *)(void *)(p->bufs[1].ptr + p->bufs[1].size);
        for (int64_t i = 0; i < n; i++)
            o[i] = (int32_t)(start + (ends[i] - base));
    }
    p->bufs[1].size += (size_t)n * (large ? 8 : 4);
    return GNV_OK;
}

static int overflow_error(const array_priv *p)
{
    return gnv__error_set(GNV_EINVAL, GNV_SUB_ARROW,
                          "%s offsets overflow 2 GiB; use the large_ variant of the type",
                          gnv__type_id_name(p->type.id));
}

int gnv__array_append_var_run(
    struct ArrowArray *a, const uint8_t *data, const uint64_t *ends, uint64_t base, int64_t n)
{
    array_priv *p = priv(a);
    if (!gnv__type_is_binary_like(p->type.id))
        return type_error(p, "bytes");
    if (n <= 0)
        return GNV_OK;
    size_t start = p->bufs[2].size;
    uint64_t total = ends[n - 1] - base;
    if (!gnv__type_is_large(p->type.id) && start + total > INT32_MAX)
        return overflow_error(p);
    GNV_TRY(gnv__buf_put(&p->bufs[2], data + base, (size_t)total));
    GNV_TRY(put_var_ends(p, ends, base, start, n));
    if (p->has_validity)
        GNV_TRY(bits_append(&p->bufs[0], a->length, true, n));
    a->length += n;
    return GNV_OK;
}

int gnv__array_adopt_var_run(
    struct ArrowArray *a, gnv_buf *data, const uint64_t *ends, uint64_t base, int64_t n)
{
    array_priv *p = priv(a);
    if (!gnv__type_is_binary_like(p->type.id))
        return type_error(p, "bytes");
    if (n <= 0 || a->length != 0 || p->bufs[2].size != 0 ||
        p->bufs[1].size != (gnv__type_is_large(p->type.id) ? 8u : 4u))
        return gnv__array_append_var_run(a, (const uint8_t *)data->ptr, ends, base, n);
    if (!gnv__type_is_large(p->type.id) && ends[n - 1] > INT32_MAX)
        return overflow_error(p);
    /* the bytes stay where they are: the offsets start at base, not 0 */
    gnv_buf empty = p->bufs[2];
    p->bufs[2] = *data;
    p->bufs[2].size = (size_t)ends[n - 1]; /* what follows is spare room */
    *data = empty;
    p->bufs[1].size = 0;
    uint64_t first = base;
    GNV_TRY(put_var_ends(p, &first, 0, 0, 1));
    GNV_TRY(put_var_ends(p, ends, 0, 0, n));
    if (p->has_validity)
        GNV_TRY(bits_append(&p->bufs[0], a->length, true, n));
    a->length += n;
    return GNV_OK;
}

int gnv__array_finish_element(struct ArrowArray *a)
{
    array_priv *p = priv(a);
    switch (p->type.id) {
    case GNV_TYPE_LIST:
    case GNV_TYPE_LARGE_LIST:
        GNV_TRY(put_offset(p, a->children[0]->length));
        break;
    case GNV_TYPE_FIXED_SIZE_LIST:
        if (a->children[0]->length != (a->length + 1) * p->type.fixed_size)
            return gnv__error_set(
                GNV_EINVAL, GNV_SUB_ARROW, "fixed_size_list element has %lld items, expected %d",
                (long long)(a->children[0]->length - a->length * p->type.fixed_size),
                p->type.fixed_size);
        break;
    case GNV_TYPE_STRUCT:
        for (int64_t c = 0; c < a->n_children; c++)
            if (a->children[c]->length != a->length + 1)
                return gnv__error_set(
                    GNV_EINVAL, GNV_SUB_ARROW, "struct child %lld has %lld rows, expected %lld",
                    (long long)c, (long long)a->children[c]->length, (long long)(a->length + 1));
        break;
    default:
        return type_error(p, "a nested element");
    }
    if (p->has_validity)
        GNV_TRY(bits_append(&p->bufs[0], a->length, true, 1));
    a->length++;
    return GNV_OK;
}

int gnv__array_finish(struct ArrowArray *a)
{
    array_priv *p = priv(a);
    for (int64_t c = 0; c < a->n_children; c++)
        GNV_TRY(gnv__array_finish(a->children[c]));
    if (p->dict)
        GNV_TRY(gnv__array_finish(p->dict));
    for (int i = 0; i < a->n_buffers; i++) {
        if (i == 0)
            p->buf_ptrs[0] = p->has_validity ? p->bufs[0].ptr : NULL;
        else
            p->buf_ptrs[i] = p->bufs[i].ptr ? (const void *)p->bufs[i].ptr : empty_buffer;
    }
    a->buffers = p->buf_ptrs;
    a->offset = 0;
    return GNV_OK;
}

void gnv__array_release(struct ArrowArray *a)
{
    if (a && a->release)
        a->release(a);
}

void gnv__array_move(struct ArrowArray *src, struct ArrowArray *dst)
{
    memcpy(dst, src, sizeof *dst);
    src->release = NULL;
}

/* ---- append from a view ------------------------------------------------- */

int gnv__array_append_view(struct ArrowArray *dst,
                           const gnv_array_view *src,
                           int64_t start,
                           int64_t n)
{
    array_priv *p = priv(dst);
    if (n <= 0)
        return GNV_OK;
    if (src->dictionary) {
        for (int64_t i = start; i < start + n; i++) {
            if (gnv__view_is_null(src, i))
                GNV_TRY(gnv__array_append_null(dst, 1));
            else
                GNV_TRY(
                    gnv__array_append_view(dst, src->dictionary, gnv__view_dict_index(src, i), 1));
        }
        return GNV_OK;
    }
    if (p->type.id != src->type.id)
        return gnv__error_set(GNV_EINVAL, GNV_SUB_ARROW, "cannot append %s values to a %s array",
                              gnv__type_id_name(src->type.id), gnv__type_id_name(p->type.id));
    if (p->type.id == GNV_TYPE_NA)
        return gnv__array_append_null(dst, n);

    int64_t abs = src->offset + start; /* physical index of the first element */
    /* validity */
    if (src->validity) {
        int64_t valid = count_set_bits(src->validity, abs, n);
        if (valid < n) {
            GNV_TRY(materialize_validity(dst, p));
            dst->null_count += n - valid;
        }
        if (p->has_validity)
            GNV_TRY(bits_copy(&p->bufs[0], dst->length, src->validity, abs, n));
    } else if (p->has_validity) {
        GNV_TRY(bits_append(&p->bufs[0], dst->length, true, n));
    }

    int w = gnv__type_byte_width(&p->type);
    switch (p->type.id) {
    case GNV_TYPE_BOOL:
        GNV_TRY(bits_copy(&p->bufs[1], dst->length, src->data, abs, n));
        break;
    case GNV_TYPE_STRING:
    case GNV_TYPE_LARGE_STRING:
    case GNV_TYPE_BINARY:
    case GNV_TYPE_LARGE_BINARY:
    case GNV_TYPE_LIST:
    case GNV_TYPE_LARGE_LIST: {
        bool large = gnv__type_is_large(p->type.id);
        int64_t first, end, base = last_offset(p);
        gnv__view_list_range(src, start, &first, &end);
        gnv__view_list_range(src, start + n - 1, &end, &end);
        GNV_TRY(gnv__buf_reserve(&p->bufs[1], (size_t)n * (large ? 8 : 4)));
        for (int64_t i = 0; i < n; i++) {
            int64_t s, e;
            gnv__view_list_range(src, start + i, &s, &e);
            GNV_TRY(put_offset(p, base + e - first));
        }
        if (gnv__type_is_binary_like(p->type.id))
            GNV_TRY(gnv__buf_put(&p->bufs[2], src->data + first, (size_t)(end - first)));
        else
            GNV_TRY(
                gnv__array_append_view(dst->children[0], &src->children[0], first, end - first));
        break;
    }
    case GNV_TYPE_FIXED_SIZE_LIST:
        GNV_TRY(gnv__array_append_view(dst->children[0], &src->children[0],
                                       abs * p->type.fixed_size, n * p->type.fixed_size));
        break;
    case GNV_TYPE_STRUCT:
        if (dst->n_children != src->n_children)
            return gnv__error_set(GNV_EINVAL, GNV_SUB_ARROW,
                                  "struct with %lld fields appended to one with %lld",
                                  (long long)src->n_children, (long long)dst->n_children);
        for (int64_t c = 0; c < dst->n_children; c++)
            GNV_TRY(gnv__array_append_view(dst->children[c], &src->children[c], abs, n));
        break;
    default:
        GNV_TRY(gnv__buf_put(&p->bufs[1], src->data + abs * w, (size_t)(n * w)));
        break;
    }
    dst->length += n;
    return GNV_OK;
}

/* ---- concatenation ------------------------------------------------------ */

int gnv__array_concat(struct ArrowArray *out,
                      const struct ArrowSchema *schema,
                      const struct ArrowArray *const *arrays,
                      int64_t n)
{
    int rc;
    gnv_array_view v;
    GNV_TRY(gnv__array_init(out, schema));
    for (int64_t i = 0; i < n; i++) {
        GNV_TRYG(gnv__array_view_init(&v, schema, arrays[i]));
        rc = gnv__array_append_view(out, &v, 0, arrays[i]->length);
        gnv__array_view_reset(&v);
        if (rc < 0)
            goto done;
    }
    GNV_TRYG(gnv__array_finish(out));
    return GNV_OK;
done:
    gnv__array_release(out);
    return rc;
}

/* ---- slices: arrays sharing one base through a reference count ------------ */

typedef struct shared_base {
    _Atomic int64_t refs;
    struct ArrowArray base;
} shared_base;

static void shared_release(struct ArrowArray *a)
{
    shared_base *s = a->private_data;
    if (atomic_fetch_sub(&s->refs, 1) == 1) {
        gnv__array_release(&s->base);
        gnv__free(s);
    }
    a->release = NULL;
}

int gnv__array_slice(struct ArrowArray *out, struct ArrowArray *in, int64_t offset, int64_t length)
{
    if (offset < 0 || length < 0 || offset > in->length || length > in->length - offset)
        return gnv__error_set(GNV_EINVAL, GNV_SUB_ARROW,
                              "slice [%lld, +%lld) out of bounds of an array of %lld rows",
                              (long long)offset, (long long)length, (long long)in->length);
    if (in->release != shared_release) {
        shared_base *s = gnv__malloc(sizeof *s);
        if (!s)
            return gnv__error_oom();
        atomic_init(&s->refs, 1);
        gnv__array_move(in, &s->base);
        *in = s->base;
        in->release = shared_release;
        in->private_data = s;
    }
    shared_base *s = in->private_data;
    atomic_fetch_add(&s->refs, 1);
    *out = *in;
    out->offset = in->offset + offset;
    out->length = length;
    out->null_count = in->null_count == 0 ? 0 : -1;
    return GNV_OK;
}

/* ---- blocks: bytes shared by zero-copy arrays -------------------------------- */

struct gnv_block {
    _Atomic int64_t refs;
    size_t size;
    uint8_t *data; /* 64-byte aligned, inside the allocation that starts at the struct */
};

int gnv__block_new(gnv_block **out, size_t size)
{
    *out = NULL;
    if (size > SIZE_MAX - sizeof(gnv_block) - 64)
        return gnv__error_oom();
    gnv_block *b = gnv__malloc(sizeof *b + 64 + size);
    if (!b)
        return gnv__error_oom();
    atomic_init(&b->refs, 1);
    b->size = size;
    uintptr_t at = (uintptr_t)(b + 1);
    b->data = (uint8_t *)(b + 1) + ((64 - at % 64) % 64);
#ifdef MADV_HUGEPAGE
    /* Large blocks are filled at once; huge pages make that one fault per 2 MiB instead
     * of one per 4 KiB (only a hint: the whole pages inside the block). */
    if (size >= ((size_t)8 << 20)) {
        uintptr_t pg = (uintptr_t)sysconf(_SC_PAGESIZE);
        uintptr_t lo = ((uintptr_t)b->data + pg - 1) / pg * pg;
        uintptr_t hi = ((uintptr_t)b->data + size) / pg * pg;
        (void)madvise((void *)lo, hi - lo, MADV_HUGEPAGE);
    }
#endif
    *out = b;
    return GNV_OK;
}

uint8_t *gnv__block_data(const gnv_block *b)
{
    return b->data;
}

size_t gnv__block_size(const gnv_block *b)
{
    return b->size;
}

gnv_block *gnv__block_ref(gnv_block *b)
{
    atomic_fetch_add(&b->refs, 1);
    return b;
}

void gnv__block_unref(gnv_block *b)
{
    if (b && atomic_fetch_sub(&b->refs, 1) == 1)
        gnv__free(b);
}

bool gnv__block_is_unique(const gnv_block *b)
{
    return atomic_load(&((gnv_block *)b)->refs) == 1;
}
