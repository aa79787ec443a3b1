/*
 * Shared machinery of the expression kernels: reading input datums at the buffer level,
 * chunked loads into int64/uint64/double, order keys, building outputs in place, and
 * gathering rows from several sources (CASE, COALESCE, broadcasting scalars).
 */
#include <math.h>
#include <string.h>

#include "expr/expr_kernel.h"

int gnv__kin_init(kin *k, const gnv_datum *d)
{
    memset(k, 0, sizeof *k);
    k->schema = d->schema;
    k->array = d->array;
    k->scalar = d->scalar;
    GNV_TRY(gnv__type_parse(&k->type, d->schema->format));
    if (d->schema->dictionary)
        return gnv__error_set(GNV_ENOTSUP, GNV_SUB_EXPR,
                              "dictionary-encoded operands are not supported by the kernels");
    const struct ArrowArray *a = d->array;
    k->off = a->offset;
    k->length = a->length;
    k->large = gnv__type_is_large(k->type.id);
    if (k->scalar && a->length < 1)
        return gnv__error_set(GNV_EINVAL, GNV_SUB_EXPR, "a scalar operand has no value");
    if (k->type.id == GNV_TYPE_NA) {
        k->all_null = true;
        return GNV_OK;
    }
    int nb = gnv__type_n_buffers(k->type.id);
    if (nb > 0 && a->null_count != 0 && a->buffers && a->buffers[0])
        k->validity = a->buffers[0];
    if (nb > 0 && !a->buffers)
        return gnv__error_set(GNV_EINVAL, GNV_SUB_EXPR, "an operand array has no buffers");
    switch (k->type.id) {
    case GNV_TYPE_STRING:
    case GNV_TYPE_LARGE_STRING:
    case GNV_TYPE_BINARY:
    case GNV_TYPE_LARGE_BINARY:
        k->offsets = a->buffers[1];
        k->data = a->buffers[2];
        break;
    case GNV_TYPE_LIST:
    case GNV_TYPE_LARGE_LIST:
        k->offsets = a->buffers[1];
        break;
    case GNV_TYPE_FIXED_SIZE_LIST:
    case GNV_TYPE_STRUCT:
        break;
    default:
        k->data = a->buffers[1];
        break;
    }
    if (k->scalar && k->validity && !kbit(k->validity, k->off))
        k->all_null = true;
    if (!k->scalar && a->length > 0 && a->null_count == a->length && k->validity)
        k->all_null = true;
    return GNV_OK;
}

kdom gnv__kdom(gnv_type_id id)
{
    switch (id) {
    case GNV_TYPE_BOOL:
    case GNV_TYPE_INT8:
    case GNV_TYPE_UINT8:
    case GNV_TYPE_INT16:
    case GNV_TYPE_UINT16:
    case GNV_TYPE_INT32:
    case GNV_TYPE_UINT32:
    case GNV_TYPE_INT64:
    case GNV_TYPE_DATE32:
    case GNV_TYPE_TIMESTAMP:
    case GNV_TYPE_DURATION:
        return KD_I64;
    case GNV_TYPE_UINT64:
        return KD_U64;
    case GNV_TYPE_HALF_FLOAT:
    case GNV_TYPE_FLOAT:
    case GNV_TYPE_DOUBLE:
        return KD_F64;
    default:
        return KD_NONE;
    }
}

/* Load physical positions [p, p+m) (D: destination type). */
#define LOAD_CASES(D)                                                                              \
    case GNV_TYPE_INT8:                                                                            \
        LOADT(int8_t, D);                                                                          \
        break;                                                                                     \
    case GNV_TYPE_UINT8:                                                                           \
        LOADT(uint8_t, D);                                                                         \
        break;                                                                                     \
    case GNV_TYPE_INT16:                                                                           \
        LOADT(int16_t, D);                                                                         \
        break;                                                                                     \
    case GNV_TYPE_UINT16:                                                                          \
        LOADT(uint16_t, D);                                                                        \
        break;                                                                                     \
    case GNV_TYPE_INT32:                                                                           \
    case GNV_TYPE_DATE32:                                                                          \
        LOADT(int32_t, D);                                                                         \
        break;                                                                                     \
    case GNV_TYPE_UINT32:                                                                          \
        LOADT(uint32_t, D);                                                                        \
        break;                                                                                     \
    case GNV_TYPE_INT64:                                                                           \
    case GNV_TYPE_TIMESTAMP:                                                                       \
    case GNV_TYPE_DURATION:                                                                        \
        LOADT(int64_t, D);                                                                         \
        break;                                                                                     \
    case GNV_TYPE_UINT64:                                                                          \
        LOADT(uint64_t, D);                                                                        \
        break;                                                                                     \
    case GNV_TYPE_BOOL:                                                                            \
        for (int64_t i = 0; i < m; i++)                                                            \
            dst[i] = (D)kbit(k->data, p + i);                                                      \
        break

#define LOADT(T, D)                                                                                \
    do {                                                                                           \
        const T *s = (const T *)(const void *)k->data + p;                                         \
        for (int64_t i = 0; i < m; i++)                                                            \
            dst[i] = (D)s[i];                                                                      \
    } while (0)

/* Float to int64 without undefined behaviour (saturating; callers range-check first). */
static int64_t f2i(double d)
{
    if (!(d == d))
        return 0;
    if (d >= 9223372036854775807.0)
        return INT64_MAX;
    if (d <= -9223372036854775808.0)
        return INT64_MIN;
    return (int64_t)d;
}

static uint64_t f2u(double d)
{
    if (!(d > 0))
        return 0;
    if (d >= 18446744073709551615.0)
        return UINT64_MAX;
    return (uint64_t)d;
}

static void load_i64(const kin *k, int64_t p, int64_t m, int64_t *dst)
{
    if (k->all_null || !k->data) {
        memset(dst, 0, (size_t)m * sizeof *dst);
        return;
    }
    switch (k->type.id) {
        LOAD_CASES(int64_t);
    case GNV_TYPE_HALF_FLOAT:
        for (int64_t i = 0; i < m; i++)
            dst[i] = f2i(gnv__half_to_double(((const uint16_t *)(const void *)k->data)[p + i]));
        break;
    case GNV_TYPE_FLOAT:
        for (int64_t i = 0; i < m; i++)
            dst[i] = f2i(((const float *)(const void *)k->data)[p + i]);
        break;
    case GNV_TYPE_DOUBLE:
        for (int64_t i = 0; i < m; i++)
            dst[i] = f2i(((const double *)(const void *)k->data)[p + i]);
        break;
    default:
        memset(dst, 0, (size_t)m * sizeof *dst);
        break;
    }
}

static void load_u64(const kin *k, int64_t p, int64_t m, uint64_t *dst)
{
    if (k->all_null || !k->data) {
        memset(dst, 0, (size_t)m * sizeof *dst);
        return;
    }
    switch (k->type.id) {
        LOAD_CASES(uint64_t);
    case GNV_TYPE_HALF_FLOAT:
        for (int64_t i = 0; i < m; i++)
            dst[i] = f2u(gnv__half_to_double(((const uint16_t *)(const void *)k->data)[p + i]));
        break;
    case GNV_TYPE_FLOAT:
        for (int64_t i = 0; i < m; i++)
            dst[i] = f2u(((const float *)(const void *)k->data)[p + i]);
        break;
    case GNV_TYPE_DOUBLE:
        for (int64_t i = 0; i < m; i++)
            dst[i] = f2u(((const double *)(const void *)k->data)[p + i]);
        break;
    default:
        memset(dst, 0, (size_t)m * sizeof *dst);
        break;
    }
}

static void load_f64(const kin *k, int64_t p, int64_t m, double *dst)
{
    if (k->all_null || !k->data) {
        memset(dst, 0, (size_t)m * sizeof *dst);
        return;
    }
    switch (k->type.id) {
        LOAD_CASES(double);
    case GNV_TYPE_HALF_FLOAT:
        for (int64_t i = 0; i < m; i++)
            dst[i] = gnv__half_to_double(((const uint16_t *)(const void *)k->data)[p + i]);
        break;
    case GNV_TYPE_FLOAT:
        LOADT(float, double);
        break;
    case GNV_TYPE_DOUBLE:
        memcpy(dst, (const double *)(const void *)k->data + p, (size_t)m * sizeof *dst);
        break;
    default:
        memset(dst, 0, (size_t)m * sizeof *dst);
        break;
    }
}

#define FILL_SCALAR(fn, T)                                                                         \
    do {                                                                                           \
        if (k->scalar) {                                                                           \
            T v;                                                                                   \
            fn(k, k->off, 1, &v);                                                                  \
            for (int64_t i = 0; i < m; i++)                                                        \
                dst[i] = v;                                                                        \
            return;                                                                                \
        }                                                                                          \
    } while (0)

void gnv__kload_i64(const kin *k, int64_t start, int64_t m, int64_t *dst)
{
    FILL_SCALAR(load_i64, int64_t);
    load_i64(k, k->off + start, m, dst);
}

void gnv__kload_u64(const kin *k, int64_t start, int64_t m, uint64_t *dst)
{
    FILL_SCALAR(load_u64, uint64_t);
    load_u64(k, k->off + start, m, dst);
}

void gnv__kload_f64(const kin *k, int64_t start, int64_t m, double *dst)
{
    FILL_SCALAR(load_f64, double);
    load_f64(k, k->off + start, m, dst);
}

/* The order key of a float: the IEEE total order arrow-rs compares with (-NaN < -inf <
 * .. < -0.0 < +0.0 < .. < +inf < +NaN). */
static inline int64_t fkey(double d)
{
    int64_t x;
    memcpy(&x, &d, 8);
    return x ^ (int64_t)((uint64_t)(x >> 63) >> 1);
}

static void load_key(const kin *k, int64_t p, int64_t m, int64_t *dst)
{
    switch (gnv__kdom(k->type.id)) {
    case KD_U64:
        load_u64(k, p, m, (uint64_t *)dst);
        for (int64_t i = 0; i < m; i++)
            dst[i] = (int64_t)((uint64_t)dst[i] ^ 0x8000000000000000ULL);
        break;
    case KD_F64:
        if (k->type.id == GNV_TYPE_DOUBLE && !k->all_null && k->data) {
            const int64_t *s = (const int64_t *)(const void *)k->data + p;
            for (int64_t i = 0; i < m; i++)
                dst[i] = s[i] ^ (int64_t)((uint64_t)(s[i] >> 63) >> 1);
            break;
        }
        load_f64(k, p, m, (double *)dst);
        for (int64_t i = 0; i < m; i++) {
            double d;
            memcpy(&d, &dst[i], 8);
            dst[i] = fkey(d);
        }
        break;
    default:
        load_i64(k, p, m, dst);
        break;
    }
}

void gnv__kload_key(const kin *k, int64_t start, int64_t m, int64_t *dst)
{
    FILL_SCALAR(load_key, int64_t);
    load_key(k, k->off + start, m, dst);
}

int64_t gnv__kkey1(const kin *k, int64_t i)
{
    int64_t v;
    load_key(k, kin_pos(k, i), 1, &v);
    return v;
}

int gnv__kcmp(const kin *a, int64_t i, const kin *b, int64_t j)
{
    if (gnv__type_is_binary_like(a->type.id) || a->type.id == GNV_TYPE_FIXED_SIZE_BINARY) {
        int64_t la, lb;
        const uint8_t *pa = kin_bytes(a, i, &la), *pb = kin_bytes(b, j, &lb);
        int64_t l = la < lb ? la : lb;
        int c = l > 0 ? memcmp(pa, pb, (size_t)l) : 0;
        if (c)
            return c < 0 ? -1 : 1;
        return la < lb ? -1 : la > lb;
    }
    if (a->type.id == GNV_TYPE_DECIMAL128 && b->type.id == GNV_TYPE_DECIMAL128)
        return gnv__kdecimal_cmp(a, i, b, j);
    if (gnv__kdom(a->type.id) == KD_NONE)
        return 0;
    int64_t x = gnv__kkey1(a, i), y = gnv__kkey1(b, j);
    return x < y ? -1 : x > y;
}

/* ---- outputs ------------------------------------------------------------ */

int gnv__kout_init(
    kout *o, struct ArrowArray *out, const struct ArrowSchema *type, int64_t n, bool nullable)
{
    int rc = GNV_OK;
    memset(o, 0, sizeof *o);
    o->a = out;
    o->n = n;
    GNV_TRY(gnv__array_init(out, type));
    o->type = *gnv__array_type(out);
    gnv_type_id id = o->type.id;
    size_t nbytes = (size_t)(n + 7) / 8;
    if (id == GNV_TYPE_NA)
        return GNV_OK;
    if (nullable) {
        /* the arrow module materialises a validity bitmap at the first null; make it do
         * so, then take the buffers over */
        GNV_TRYG(gnv__array_append_null(out, 1));
        for (int b = 0; b < out->n_buffers; b++)
            gnv__array_buffer(out, b)->size = 0;
        out->length = 0;
        out->null_count = 0;
    }
    int w = gnv__type_byte_width(&o->type);
    if (gnv__type_is_binary_like(id)) {
        size_t ow = o->type.id == GNV_TYPE_LARGE_STRING || id == GNV_TYPE_LARGE_BINARY ? 8 : 4;
        o->offsets = gnv__array_buffer(out, 1);
        o->bytes = gnv__array_buffer(out, 2);
        o->offsets->size = 0;
        GNV_TRYG(gnv__buf_reserve(o->offsets, (size_t)(n + 1) * ow));
        GNV_TRYG(gnv__buf_put_zeros(o->offsets, ow));
    } else if (id == GNV_TYPE_BOOL || w > 0) {
        gnv_buf *vb = gnv__array_buffer(out, 1);
        GNV_TRYG(gnv__buf_put_zeros(vb, id == GNV_TYPE_BOOL ? nbytes : (size_t)n * (size_t)w));
        o->values = (uint8_t *)vb->ptr;
    } else {
        GNV_ERR_IF(true, GNV_ENOTSUP, GNV_SUB_EXPR, "results of type %s are not supported here",
                   gnv__type_id_name(id));
    }
    if (nullable) {
        gnv_buf *b0 = gnv__array_buffer(out, 0);
        GNV_TRYG(gnv__buf_reserve(b0, nbytes + 1));
        memset(b0->ptr, 0xFF, nbytes);
        b0->size = nbytes;
        o->validity = (uint8_t *)b0->ptr;
    }
    return GNV_OK;
done:
    gnv__array_release(out);
    return rc;
}

int gnv__kout_put_str(kout *o, int64_t i, const void *data, size_t len)
{
    bool large = o->type.id == GNV_TYPE_LARGE_STRING || o->type.id == GNV_TYPE_LARGE_BINARY;
    if (len > 0)
        GNV_TRY(gnv__buf_put(o->bytes, data, len));
    int64_t end = (int64_t)o->bytes->size;
    if (large) {
        memcpy(o->offsets->ptr + (size_t)(i + 1) * 8, &end, 8);
        o->offsets->size = (size_t)(i + 2) * 8;
    } else {
        if (end > INT32_MAX)
            return gnv__error_set(GNV_EINVAL, GNV_SUB_EXPR,
                                  "a %s result exceeds 2 GiB in one batch; cast to large_%s",
                                  gnv__type_id_name(o->type.id), gnv__type_id_name(o->type.id));
        int32_t e32 = (int32_t)end;
        memcpy(o->offsets->ptr + (size_t)(i + 1) * 4, &e32, 4);
        o->offsets->size = (size_t)(i + 2) * 4;
    }
    return GNV_OK;
}

#define STORE_CASES(S)                                                                             \
    switch (o->type.id) {                                                                          \
    case GNV_TYPE_INT8:                                                                            \
        STORET(int8_t);                                                                            \
        break;                                                                                     \
    case GNV_TYPE_UINT8:                                                                           \
        STORET(uint8_t);                                                                           \
        break;                                                                                     \
    case GNV_TYPE_INT16:                                                                           \
        STORET(int16_t);                                                                           \
        break;                                                                                     \
    case GNV_TYPE_UINT16:                                                                          \
        STORET(uint16_t);                                                                          \
        break;                                                                                     \
    case GNV_TYPE_INT32:                                                                           \
    case GNV_TYPE_DATE32:                                                                          \
        STORET(int32_t);                                                                           \
        break;                                                                                     \
    case GNV_TYPE_UINT32:                                                                          \
        STORET(uint32_t);                                                                          \
        break;                                                                                     \
    case GNV_TYPE_INT64:                                                                           \
    case GNV_TYPE_TIMESTAMP:                                                                       \
    case GNV_TYPE_DURATION:                                                                        \
        STORET(int64_t);                                                                           \
        break;                                                                                     \
    case GNV_TYPE_UINT64:                                                                          \
        STORET(uint64_t);                                                                          \
        break;                                                                                     \
    case GNV_TYPE_FLOAT:                                                                           \
        STORET(float);                                                                             \
        break;                                                                                     \
    case GNV_TYPE_DOUBLE:                                                                          \
        STORET(double);                                                                            \
        break;                                                                                     \
    case GNV_TYPE_HALF_FLOAT: {                                                                    \
        uint16_t *d = (uint16_t *)(void *)o->values + start;                                       \
        for (int64_t i = 0; i < m; i++)                                                            \
            d[i] = gnv__half_from_double((double)src[i]);                                          \
        break;                                                                                     \
    }                                                                                              \
    case GNV_TYPE_BOOL:                                                                            \
        for (int64_t i = 0; i < m; i++)                                                            \
            kbit_set(o->values, start + i, src[i] != 0);                                           \
        break;                                                                                     \
    default:                                                                                       \
        break;                                                                                     \
    }

#define STORET(T)                                                                                  \
    do {                                                                                           \
        T *d = (T *)(void *)o->values + start;                                                     \
        for (int64_t i = 0; i < m; i++)                                                            \
            d[i] = (T)src[i];                                                                      \
    } while (0)

void gnv__kstore_i64(kout *o, int64_t start, int64_t m, const int64_t *src)
{
    STORE_CASES(int64_t)
}

void gnv__kstore_u64(kout *o, int64_t start, int64_t m, const uint64_t *src)
{
    STORE_CASES(uint64_t)
}

#undef STORET
/* double to an integer type: the value was range-checked, or is under a null */
#define STORET(T)                                                                                  \
    do {                                                                                           \
        T *d = (T *)(void *)o->values + start;                                                     \
        for (int64_t i = 0; i < m; i++)                                                            \
            d[i] = store_conv_##T(src[i]);                                                         \
    } while (0)

static inline int8_t store_conv_int8_t(double v)
{
    return (int8_t)f2i(v);
}
static inline uint8_t store_conv_uint8_t(double v)
{
    return (uint8_t)f2i(v);
}
static inline int16_t store_conv_int16_t(double v)
{
    return (int16_t)f2i(v);
}
static inline uint16_t store_conv_uint16_t(double v)
{
    return (uint16_t)f2i(v);
}
static inline int32_t store_conv_int32_t(double v)
{
    return (int32_t)f2i(v);
}
static inline uint32_t store_conv_uint32_t(double v)
{
    return (uint32_t)f2i(v);
}
static inline int64_t store_conv_int64_t(double v)
{
    return f2i(v);
}
static inline uint64_t store_conv_uint64_t(double v)
{
    return f2u(v);
}
static inline float store_conv_float(double v)
{
    if (v > 3.4028234663852886e38)
        return INFINITY;
    if (v < -3.4028234663852886e38)
        return -INFINITY;
    return (float)v;
}
static inline double store_conv_double(double v)
{
    return v;
}

void gnv__kstore_f64(kout *o, int64_t start, int64_t m, const double *src){STORE_CASES(double)}

int64_t gnv__kbits_count(const uint8_t *bits, int64_t n)
{
    int64_t c = 0, i = 0;
    for (; i + 64 <= n; i += 64) {
        uint64_t w;
        memcpy(&w, bits + (i >> 3), 8);
        c += __builtin_popcountll(w);
    }
    for (; i < n; i++)
        c += kbit(bits, i);
    return c;
}

int gnv__kout_finish(kout *o)
{
    struct ArrowArray *a = o->a;
    int64_t n = o->n;
    if (o->type.id == GNV_TYPE_NA) {
        a->length = n;
        a->null_count = n;
        return gnv__array_finish(a);
    }
    if (n & 7) {
        uint8_t mask = (uint8_t)((1u << (n & 7)) - 1);
        if (o->validity)
            o->validity[n >> 3] &= mask;
        if (o->type.id == GNV_TYPE_BOOL)
            o->values[n >> 3] &= mask;
    }
    a->length = n;
    a->null_count = o->validity ? n - gnv__kbits_count(o->validity, n) : 0;
    int rc = gnv__array_finish(a);
    if (rc < 0)
        gnv__array_release(a);
    return rc;
}

void gnv__kout_abort(kout *o)
{
    if (o->a)
        gnv__array_release(o->a);
}

/* ---- bits --------------------------------------------------------------- */

void gnv__kbits_copy(uint8_t *dst, const uint8_t *src, int64_t soff, int64_t n)
{
    int64_t nbytes = (n + 7) / 8;
    if ((soff & 7) == 0) {
        memcpy(dst, src + (soff >> 3), (size_t)nbytes);
    } else {
        int r = (int)(soff & 7);
        const uint8_t *s = src + (soff >> 3);
        int64_t src_bytes = (r + n + 7) / 8; /* bytes of src holding the n bits */
        for (int64_t k = 0; k < nbytes; k++) {
            uint8_t hi = k + 1 < src_bytes ? (uint8_t)(s[k + 1] << (8 - r)) : 0;
            dst[k] = (uint8_t)(s[k] >> r) | hi;
        }
    }
    if (n & 7)
        dst[n >> 3] &= (uint8_t)((1u << (n & 7)) - 1);
}

bool gnv__kany_null(const kin *const *ins, int nin)
{
    for (int i = 0; i < nin; i++)
        if (ins[i]->all_null || ins[i]->validity)
            return true;
    return false;
}

int gnv__kout_bool(kout *o, struct ArrowArray *out, const kin *const *ins, int nin, int64_t n)
{
    struct ArrowSchema bs = {0};
    GNV_TRY(gnv__schema_init(&bs, "b", "", ARROW_FLAG_NULLABLE));
    int rc = gnv__kout_init(o, out, &bs, n, gnv__kany_null(ins, nin));
    gnv__schema_release(&bs);
    GNV_TRY(rc);
    gnv__kvalidity_and(o, ins, nin);
    return GNV_OK;
}

void gnv__kvalidity_and(kout *o, const kin *const *ins, int nin)
{
    if (!o->validity)
        return;
    int64_t n = o->n, nbytes = (n + 7) / 8;
    memset(o->validity, 0xFF, (size_t)nbytes);
    uint8_t tmp[KCHUNK / 8];
    for (int i = 0; i < nin; i++) {
        const kin *k = ins[i];
        if (k->all_null) {
            memset(o->validity, 0, (size_t)nbytes);
            return;
        }
        if (!k->validity || k->scalar)
            continue;
        for (int64_t s = 0; s < n; s += KCHUNK) {
            int64_t m = GNV_MIN(KCHUNK, n - s);
            gnv__kbits_copy(tmp, k->validity, k->off + s, m);
            uint8_t *d = o->validity + s / 8;
            for (int64_t b = 0; b < (m + 7) / 8; b++)
                d[b] &= tmp[b];
        }
    }
}

/* ---- gather ------------------------------------------------------------- */

int gnv__kgather(struct ArrowArray *out,
                 const struct ArrowSchema *type,
                 const kin *srcs,
                 const int32_t *choice,
                 int64_t n)
{
    int rc = GNV_OK;
    gnv_type t;
    gnv_array_view *views = NULL;
    int32_t nsrc = 0;
    GNV_TRY(gnv__type_parse(&t, type->format));
    for (int64_t i = 0; i < n; i++)
        if (choice && choice[i] + 1 > nsrc)
            nsrc = choice[i] + 1;
    if (!choice)
        nsrc = 1;
    int w = gnv__type_byte_width(&t);
    bool fast = t.id == GNV_TYPE_BOOL || gnv__type_is_binary_like(t.id) ||
                (w > 0 && t.id != GNV_TYPE_FIXED_SIZE_BINARY) || t.id == GNV_TYPE_NA;
    if (fast && !type->dictionary) {
        bool nullable = false;
        for (int32_t s = 0; s < nsrc; s++)
            if (srcs[s].validity || srcs[s].all_null)
                nullable = true;
        for (int64_t i = 0; choice && !nullable && i < n; i++)
            if (choice[i] < 0)
                nullable = true;
        kout o;
        GNV_TRY(gnv__kout_init(&o, out, type, n, nullable));
        if (t.id == GNV_TYPE_NA)
            return gnv__kout_finish(&o);
        for (int64_t i = 0; i < n; i++) {
            int32_t c = choice ? choice[i] : 0;
            const kin *k = c >= 0 ? &srcs[c] : NULL;
            bool valid = k && kin_valid(k, i);
            if (o.validity && !valid)
                kbit_set(o.validity, i, false);
            if (o.offsets) {
                int64_t len = 0;
                const uint8_t *p = valid ? kin_bytes(k, i, &len) : NULL;
                rc = gnv__kout_put_str(&o, i, p, (size_t)len);
                if (rc < 0) {
                    gnv__kout_abort(&o);
                    return rc;
                }
            } else if (!valid) {
                continue;
            } else if (t.id == GNV_TYPE_BOOL) {
                if (kbit(k->data, kin_pos(k, i)))
                    kbit_set(o.values, i, true);
            } else {
                int64_t j = kin_pos(k, i);
                switch (w) {
                case 8:
                    memcpy(o.values + i * 8, k->data + j * 8, 8);
                    break;
                case 4:
                    memcpy(o.values + i * 4, k->data + j * 4, 4);
                    break;
                case 2:
                    memcpy(o.values + i * 2, k->data + j * 2, 2);
                    break;
                default:
                    memcpy(o.values + i * w, k->data + j * w, (size_t)w);
                    break;
                }
            }
        }
        return gnv__kout_finish(&o);
    }
    /* nested and other types: row by row through views */
    views = gnv__calloc((size_t)(nsrc > 0 ? nsrc : 1), sizeof *views);
    if (!views)
        return gnv__error_oom();
    GNV_TRYG(gnv__array_init(out, type));
    for (int32_t s = 0; s < nsrc; s++)
        GNV_TRYG(gnv__array_view_init(&views[s], srcs[s].schema, srcs[s].array));
    for (int64_t i = 0; i < n; i++) {
        int32_t c = choice ? choice[i] : 0;
        if (c < 0 || !kin_valid(&srcs[c], i)) {
            GNV_TRYG(gnv__array_append_null(out, 1));
            continue;
        }
        GNV_TRYG(gnv__array_append_view(out, &views[c], srcs[c].scalar ? 0 : i, 1));
    }
    GNV_TRYG(gnv__array_finish(out));
done:
    if (rc < 0)
        gnv__array_release(out);
    for (int32_t s = 0; s < nsrc; s++)
        gnv__array_view_reset(&views[s]);
    gnv__free(views);
    return rc;
}

int gnv__kbroadcast(struct ArrowArray *out, const gnv_datum *d, int64_t n)
{
    kin k;
    GNV_TRY(gnv__kin_init(&k, d));
    k.scalar = true;
    return gnv__kgather(out, d->schema, &k, NULL, n);
}

/* ---- names -------------------------------------------------------------- */

const char *gnv__ktype_name(const struct ArrowSchema *s)
{
    /* a few buffers in turn, so one message may name several types */
    static _Thread_local char texts[4][160];
    static _Thread_local unsigned turn;
    char *text = texts[turn++ % 4];
    gnv_buf b = GNV_BUF_INIT;
    if (gnv__type_to_string(&b, s) < 0 || !b.ptr)
        snprintf(text, sizeof texts[0], "%s", s && s->format ? s->format : "?");
    else
        snprintf(text, sizeof texts[0], "%s", b.ptr);
    gnv_buf_dispose(&b);
    return text;
}

const char *gnv__knode_name(const gnv_expr_node *node)
{
    if (node->op == GNV_EX_CALL)
        return gnv__expr_func_name(node->func);
    return gnv__expr_op_name(node->op);
}
