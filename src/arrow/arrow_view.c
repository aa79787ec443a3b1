/* Read-only views over arrays, and validation of arrays from untrusted producers. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "arrow.h"

int gnv__array_view_init(gnv_array_view *v,
                         const struct ArrowSchema *schema,
                         const struct ArrowArray *array)
{
    int rc = GNV_OK;
    memset(v, 0, sizeof *v);
    v->schema = schema;
    v->array = array;
    GNV_TRY(gnv__type_parse(&v->type, schema->format));
    v->length = array->length;
    v->offset = array->offset;
    int want = gnv__type_n_buffers(v->type.id);
    if (array->n_buffers != want)
        return gnv__error_set(GNV_EINVAL, GNV_SUB_ARROW,
                              "field '%s': array has %lld buffers, type %s needs %d",
                              schema->name ? schema->name : "", (long long)array->n_buffers,
                              gnv__type_id_name(v->type.id), want);
    if (want > 0 && !array->buffers)
        return gnv__error_set(GNV_EINVAL, GNV_SUB_ARROW, "field '%s': buffers array is NULL",
                              schema->name ? schema->name : "");
    if (want > 0 && array->null_count != 0)
        v->validity = array->buffers[0];
    switch (v->type.id) {
    case GNV_TYPE_STRING:
    case GNV_TYPE_LARGE_STRING:
    case GNV_TYPE_BINARY:
    case GNV_TYPE_LARGE_BINARY:
        v->offsets = array->buffers[1];
        v->data = array->buffers[2];
        break;
    case GNV_TYPE_LIST:
    case GNV_TYPE_LARGE_LIST:
        v->offsets = array->buffers[1];
        break;
    case GNV_TYPE_NA:
    case GNV_TYPE_FIXED_SIZE_LIST:
    case GNV_TYPE_STRUCT:
        break;
    default:
        v->data = array->buffers[1];
        break;
    }
    if (schema->dictionary) {
        if (!array->dictionary)
            return gnv__error_set(GNV_EINVAL, GNV_SUB_ARROW,
                                  "field '%s' is dictionary-encoded but the array has no "
                                  "dictionary",
                                  schema->name ? schema->name : "");
        v->dictionary = gnv__calloc(1, sizeof *v->dictionary);
        if (!v->dictionary)
            return gnv__error_oom();
        GNV_TRYG(gnv__array_view_init(v->dictionary, schema->dictionary, array->dictionary));
    }
    if (schema->n_children != array->n_children)
        GNV_ERR_IF(true, GNV_EINVAL, GNV_SUB_ARROW,
                   "field '%s': schema has %lld children, array has %lld",
                   schema->name ? schema->name : "", (long long)schema->n_children,
                   (long long)array->n_children);
    if (array->n_children > 0) {
        GNV_ERR_IF(!array->children, GNV_EINVAL, GNV_SUB_ARROW,
                   "field '%s': children array is NULL", schema->name ? schema->name : "");
        v->children = gnv__calloc((size_t)array->n_children, sizeof *v->children);
        GNV_CHECK_ALLOC(v->children);
        v->n_children = array->n_children;
        for (int64_t i = 0; i < array->n_children; i++) {
            GNV_ERR_IF(!array->children[i], GNV_EINVAL, GNV_SUB_ARROW,
                       "field '%s': child array %lld is NULL", schema->name ? schema->name : "",
                       (long long)i);
            GNV_TRYG(
                gnv__array_view_init(&v->children[i], schema->children[i], array->children[i]));
        }
    }
    return GNV_OK;
done:
    gnv__array_view_reset(v);
    return rc;
}

void gnv__array_view_reset(gnv_array_view *v)
{
    if (!v)
        return;
    for (int64_t i = 0; i < v->n_children; i++)
        gnv__array_view_reset(&v->children[i]);
    gnv__free(v->children);
    if (v->dictionary) {
        gnv__array_view_reset(v->dictionary);
        gnv__free(v->dictionary);
    }
    memset(v, 0, sizeof *v);
}

bool gnv__view_is_null(const gnv_array_view *v, int64_t i)
{
    if (v->type.id == GNV_TYPE_NA)
        return true;
    if (!v->validity)
        return false;
    int64_t j = v->offset + i;
    return !(v->validity[j >> 3] >> (j & 7) & 1);
}

int64_t gnv__view_get_int(const gnv_array_view *v, int64_t i)
{
    int64_t j = v->offset + i;
    switch (v->type.id) {
    case GNV_TYPE_INT8:
        return ((const int8_t *)v->data)[j];
    case GNV_TYPE_UINT8:
        return ((const uint8_t *)v->data)[j];
    case GNV_TYPE_INT16:
        return ((const int16_t *)(const void *)v->data)[j];
    case GNV_TYPE_UINT16:
        return ((const uint16_t *)(const void *)v->data)[j];
    case GNV_TYPE_INT32:
    case GNV_TYPE_DATE32:
        return ((const int32_t *)(const void *)v->data)[j];
    case GNV_TYPE_UINT32:
        return ((const uint32_t *)(const void *)v->data)[j];
    case GNV_TYPE_INT64:
    case GNV_TYPE_TIMESTAMP:
    case GNV_TYPE_DURATION:
    case GNV_TYPE_UINT64:
        return ((const int64_t *)(const void *)v->data)[j];
    case GNV_TYPE_BOOL:
        return gnv__view_get_bool(v, i);
    case GNV_TYPE_HALF_FLOAT:
    case GNV_TYPE_FLOAT:
    case GNV_TYPE_DOUBLE:
        return (int64_t)gnv__view_get_double(v, i);
    default:
        return 0;
    }
}

uint64_t gnv__view_get_uint(const gnv_array_view *v, int64_t i)
{
    if (v->type.id == GNV_TYPE_UINT64)
        return ((const uint64_t *)(const void *)v->data)[v->offset + i];
    return (uint64_t)gnv__view_get_int(v, i);
}

double gnv__half_to_double(uint16_t h)
{
    int exp = (h >> 10) & 0x1F, mant = h & 0x3FF;
    double sign = (h & 0x8000) ? -1.0 : 1.0;
    if (exp == 0)
        return sign * ldexp((double)mant, -24);
    if (exp == 31)
        return mant ? NAN : sign * INFINITY;
    return sign * ldexp((double)(mant | 0x400), exp - 25);
}

double gnv__view_get_double(const gnv_array_view *v, int64_t i)
{
    int64_t j = v->offset + i;
    switch (v->type.id) {
    case GNV_TYPE_DOUBLE:
        return ((const double *)(const void *)v->data)[j];
    case GNV_TYPE_FLOAT:
        return ((const float *)(const void *)v->data)[j];
    case GNV_TYPE_HALF_FLOAT:
        return gnv__half_to_double(((const uint16_t *)(const void *)v->data)[j]);
    case GNV_TYPE_UINT64:
        return (double)gnv__view_get_uint(v, i);
    case GNV_TYPE_DECIMAL128: {
        uint64_t lo;
        int64_t hi;
        memcpy(&lo, v->data + j * 16, 8);
        memcpy(&hi, v->data + j * 16 + 8, 8);
        return ((double)hi * 18446744073709551616.0 + (double)lo) / pow(10.0, v->type.scale);
    }
    default:
        return (double)gnv__view_get_int(v, i);
    }
}

bool gnv__view_get_bool(const gnv_array_view *v, int64_t i)
{
    int64_t j = v->offset + i;
    return v->data[j >> 3] >> (j & 7) & 1;
}

const uint8_t *gnv__view_get_bytes(const gnv_array_view *v, int64_t i, int64_t *len)
{
    int64_t j = v->offset + i;
    if (v->type.id == GNV_TYPE_FIXED_SIZE_BINARY) {
        *len = v->type.fixed_size;
        return v->data + j * v->type.fixed_size;
    }
    int64_t s, e;
    gnv__view_list_range(v, i, &s, &e);
    *len = e - s;
    return v->data + s;
}

void gnv__view_list_range(const gnv_array_view *v, int64_t i, int64_t *start, int64_t *end)
{
    int64_t j = v->offset + i;
    if (v->type.id == GNV_TYPE_FIXED_SIZE_LIST) {
        *start = j * v->type.fixed_size;
        *end = *start + v->type.fixed_size;
    } else if (gnv__type_is_large(v->type.id)) {
        const int64_t *o = v->offsets;
        *start = o[j];
        *end = o[j + 1];
    } else {
        const int32_t *o = v->offsets;
        *start = o[j];
        *end = o[j + 1];
    }
}

int64_t gnv__view_dict_index(const gnv_array_view *v, int64_t i)
{
    return gnv__view_get_int(v, i);
}

/* ---- validation --------------------------------------------------------- */

typedef struct vctx {
    char path[512];
    bool check_utf8;
} vctx;

static int vfail(const vctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int vfail(const vctx *c, const char *fmt, ...)
{
    char msg[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return gnv__error_set(GNV_EINVAL, GNV_SUB_ARROW, "invalid array at '%s': %s", c->path, msg);
}

static int validate_rec(vctx *c, const struct ArrowSchema *s, const struct ArrowArray *a);

static int
validate_child(vctx *c, const char *name, const struct ArrowSchema *s, const struct ArrowArray *a)
{
    size_t len = strlen(c->path);
    snprintf(c->path + len, sizeof c->path - len, "%s%s", len ? "." : "", name ? name : "?");
    int rc = validate_rec(c, s, a);
    c->path[len] = '\0';
    return rc;
}

static int check_offsets(const vctx *c, const gnv_array_view *v, int64_t *first, int64_t *last)
{
    *first = *last = 0;
    if (v->length == 0)
        return GNV_OK;
    if (!v->offsets)
        return vfail(c, "offsets buffer is NULL");
    int64_t prev = 0;
    for (int64_t i = 0; i <= v->length; i++) {
        int64_t j = v->offset + i;
        int64_t o = gnv__type_is_large(v->type.id) ? ((const int64_t *)v->offsets)[j]
                                                   : ((const int32_t *)v->offsets)[j];
        if (o < 0)
            return vfail(c, "offset %lld is negative (%lld)", (long long)j, (long long)o);
        if (i > 0 && o < prev)
            return vfail(c, "offsets decrease at element %lld (%lld < %lld)", (long long)(i - 1),
                         (long long)o, (long long)prev);
        if (i == 0)
            *first = o;
        prev = o;
    }
    *last = prev;
    return GNV_OK;
}

static int validate_rec(vctx *c, const struct ArrowSchema *s, const struct ArrowArray *a)
{
    int rc = GNV_OK;
    gnv_array_view v;
    memset(&v, 0, sizeof v);
    if (!a || !a->release)
        return vfail(c, "array is NULL or released");
    if (a->length < 0 || a->offset < 0 || a->null_count < -1)
        return vfail(c, "negative length (%lld), offset (%lld) or null count (%lld)",
                     (long long)a->length, (long long)a->offset, (long long)a->null_count);
    if (a->offset > INT64_MAX / 16 - a->length)
        return vfail(c, "offset + length overflows");
    if (a->null_count > a->length)
        return vfail(c, "null count %lld exceeds length %lld", (long long)a->null_count,
                     (long long)a->length);
    if ((rc = gnv__array_view_init(&v, s, a)) < 0)
        return rc == GNV_ENOMEM ? rc : vfail(c, "%s", gnv_error_last()->message);
    int64_t end = v.offset + v.length;
    if (v.type.id != GNV_TYPE_NA && v.length > 0 && a->null_count != 0 && !a->buffers[0] &&
        a->null_count > 0)
        GNV_ERR_IF(true, GNV_EINVAL, GNV_SUB_ARROW,
                   "invalid array at '%s': %lld nulls but no validity buffer", c->path,
                   (long long)a->null_count);
    if (v.type.id == GNV_TYPE_NA && a->null_count != a->length && a->null_count != -1)
        GNV_ERR_IF(true, GNV_EINVAL, GNV_SUB_ARROW,
                   "invalid array at '%s': null array with null count %lld != length %lld", c->path,
                   (long long)a->null_count, (long long)a->length);

    switch (v.type.id) {
    case GNV_TYPE_NA:
        break;
    case GNV_TYPE_STRING:
    case GNV_TYPE_LARGE_STRING:
    case GNV_TYPE_BINARY:
    case GNV_TYPE_LARGE_BINARY: {
        int64_t first, last;
        if ((rc = check_offsets(c, &v, &first, &last)) < 0)
            goto done;
        if (last > first && !v.data) {
            rc = vfail(c, "data buffer is NULL but offsets span %lld bytes",
                       (long long)(last - first));
            goto done;
        }
        if (c->check_utf8 && (v.type.id == GNV_TYPE_STRING || v.type.id == GNV_TYPE_LARGE_STRING)) {
            for (int64_t i = 0; i < v.length; i++) {
                if (gnv__view_is_null(&v, i))
                    continue;
                int64_t n;
                const uint8_t *b = gnv__view_get_bytes(&v, i, &n);
                int64_t bad = gnv__utf8_invalid_at(b, (size_t)n);
                if (bad >= 0) {
                    rc = vfail(c, "invalid UTF-8 in element %lld at byte %lld", (long long)i,
                               (long long)bad);
                    goto done;
                }
            }
        }
        break;
    }
    case GNV_TYPE_LIST:
    case GNV_TYPE_LARGE_LIST: {
        int64_t first, last;
        if ((rc = check_offsets(c, &v, &first, &last)) < 0)
            goto done;
        if (a->children[0]->length < last) {
            rc = vfail(c, "list offsets reach %lld but the child has %lld items", (long long)last,
                       (long long)a->children[0]->length);
            goto done;
        }
        break;
    }
    case GNV_TYPE_FIXED_SIZE_LIST:
        if (a->children[0]->length / v.type.fixed_size < end) {
            rc = vfail(c, "fixed_size_list of %lld elements of %d needs %lld child items, has %lld",
                       (long long)end, v.type.fixed_size, (long long)end * v.type.fixed_size,
                       (long long)a->children[0]->length);
            goto done;
        }
        break;
    case GNV_TYPE_STRUCT:
        for (int64_t i = 0; i < a->n_children; i++) {
            if (a->children[i]->length < end) {
                rc = vfail(c, "struct child '%s' has %lld rows, needs %lld",
                           s->children[i]->name ? s->children[i]->name : "?",
                           (long long)a->children[i]->length, (long long)end);
                goto done;
            }
        }
        break;
    default:
        if (v.length > 0 && !v.data) {
            rc = vfail(c, "data buffer is NULL");
            goto done;
        }
        break;
    }
    if (v.dictionary) {
        int64_t dlen = a->dictionary->length;
        for (int64_t i = 0; i < v.length; i++) {
            if (gnv__view_is_null(&v, i))
                continue;
            int64_t k = gnv__view_get_int(&v, i);
            if (k < 0 || k >= dlen) {
                rc = vfail(c, "dictionary index %lld of element %lld is outside [0, %lld)",
                           (long long)k, (long long)i, (long long)dlen);
                goto done;
            }
        }
        if ((rc = validate_child(c, "<dictionary>", s->dictionary, a->dictionary)) < 0)
            goto done;
    }
    for (int64_t i = 0; i < a->n_children; i++)
        if ((rc = validate_child(c, s->children[i]->name, s->children[i], a->children[i])) < 0)
            goto done;
done:
    gnv__array_view_reset(&v);
    return rc;
}

int gnv__array_validate(const struct ArrowSchema *schema,
                        const struct ArrowArray *array,
                        bool check_utf8)
{
    vctx c;
    memset(&c, 0, sizeof c);
    c.check_utf8 = check_utf8;
    GNV_TRY(gnv__schema_validate(schema));
    snprintf(c.path, sizeof c.path, "%s", schema->name ? schema->name : "");
    return validate_rec(&c, schema, array);
}

int gnv_array_validate(const struct ArrowSchema *schema, const struct ArrowArray *array)
{
    return gnv__array_validate(schema, array, true);
}
