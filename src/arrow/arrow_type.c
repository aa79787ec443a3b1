/* Arrow format strings: parsing, properties, and rendering types as text. */
#include <stdlib.h>
#include <string.h>

#include "arrow.h"

static const char *const type_names[GNV_TYPE_COUNT] = {
    [GNV_TYPE_NA] = "null",
    [GNV_TYPE_BOOL] = "bool",
    [GNV_TYPE_INT8] = "int8",
    [GNV_TYPE_UINT8] = "uint8",
    [GNV_TYPE_INT16] = "int16",
    [GNV_TYPE_UINT16] = "uint16",
    [GNV_TYPE_INT32] = "int32",
    [GNV_TYPE_UINT32] = "uint32",
    [GNV_TYPE_INT64] = "int64",
    [GNV_TYPE_UINT64] = "uint64",
    [GNV_TYPE_HALF_FLOAT] = "float16",
    [GNV_TYPE_FLOAT] = "float32",
    [GNV_TYPE_DOUBLE] = "float64",
    [GNV_TYPE_STRING] = "utf8",
    [GNV_TYPE_LARGE_STRING] = "large_utf8",
    [GNV_TYPE_BINARY] = "binary",
    [GNV_TYPE_LARGE_BINARY] = "large_binary",
    [GNV_TYPE_FIXED_SIZE_BINARY] = "fixed_size_binary",
    [GNV_TYPE_DATE32] = "date32",
    [GNV_TYPE_TIMESTAMP] = "timestamp",
    [GNV_TYPE_LIST] = "list",
    [GNV_TYPE_LARGE_LIST] = "large_list",
    [GNV_TYPE_FIXED_SIZE_LIST] = "fixed_size_list",
    [GNV_TYPE_STRUCT] = "struct",
    [GNV_TYPE_DECIMAL128] = "decimal128",
    [GNV_TYPE_DURATION] = "duration",
};

const char *gnv__type_id_name(gnv_type_id id)
{
    if ((int)id < 0 || id >= GNV_TYPE_COUNT)
        return "unknown";
    return type_names[id];
}

static int parse_positive(const char *s, int32_t *out)
{
    char *end;
    if (*s < '0' || *s > '9')
        return -1;
    long v = strtol(s, &end, 10);
    if (*end != '\0' || v <= 0 || v > INT32_MAX)
        return -1;
    *out = (int32_t)v;
    return 0;
}

int gnv__type_parse(gnv_type *out, const char *format)
{
    memset(out, 0, sizeof *out);
    if (!format || !*format)
        return gnv__error_set(GNV_EINVAL, GNV_SUB_ARROW, "empty Arrow format string");
    const char *f = format;
    if (f[1] == '\0') {
        switch (f[0]) {
        case 'n':
            out->id = GNV_TYPE_NA;
            return GNV_OK;
        case 'b':
            out->id = GNV_TYPE_BOOL;
            return GNV_OK;
        case 'c':
            out->id = GNV_TYPE_INT8;
            return GNV_OK;
        case 'C':
            out->id = GNV_TYPE_UINT8;
            return GNV_OK;
        case 's':
            out->id = GNV_TYPE_INT16;
            return GNV_OK;
        case 'S':
            out->id = GNV_TYPE_UINT16;
            return GNV_OK;
        case 'i':
            out->id = GNV_TYPE_INT32;
            return GNV_OK;
        case 'I':
            out->id = GNV_TYPE_UINT32;
            return GNV_OK;
        case 'l':
            out->id = GNV_TYPE_INT64;
            return GNV_OK;
        case 'L':
            out->id = GNV_TYPE_UINT64;
            return GNV_OK;
        case 'e':
            out->id = GNV_TYPE_HALF_FLOAT;
            return GNV_OK;
        case 'f':
            out->id = GNV_TYPE_FLOAT;
            return GNV_OK;
        case 'g':
            out->id = GNV_TYPE_DOUBLE;
            return GNV_OK;
        case 'u':
            out->id = GNV_TYPE_STRING;
            return GNV_OK;
        case 'U':
            out->id = GNV_TYPE_LARGE_STRING;
            return GNV_OK;
        case 'z':
            out->id = GNV_TYPE_BINARY;
            return GNV_OK;
        case 'Z':
            out->id = GNV_TYPE_LARGE_BINARY;
            return GNV_OK;
        default:
            break;
        }
    } else if (f[0] == 'w' && f[1] == ':') {
        if (parse_positive(f + 2, &out->fixed_size) == 0) {
            out->id = GNV_TYPE_FIXED_SIZE_BINARY;
            return GNV_OK;
        }
    } else if (strcmp(f, "tdD") == 0) {
        out->id = GNV_TYPE_DATE32;
        return GNV_OK;
    } else if (f[0] == 't' && f[1] == 'D' && f[2] && !f[3]) {
        static const char units[] = "smun";
        const char *u = strchr(units, f[2]);
        if (u) {
            out->id = GNV_TYPE_DURATION;
            out->unit = (gnv_time_unit)(u - units);
            return GNV_OK;
        }
    } else if (f[0] == 'd' && f[1] == ':') {
        /* d:P,S or d:P,S,128 (256-bit and other widths are not supported) */
        char *end;
        long p = strtol(f + 2, &end, 10);
        if (end > f + 2 && *end == ',' && f[2] >= '0' && f[2] <= '9') {
            const char *ss = end + 1;
            long sc = strtol(ss, &end, 10);
            bool digits =
                (*ss >= '0' && *ss <= '9') || (*ss == '-' && ss[1] >= '0' && ss[1] <= '9');
            bool w128 = *end == '\0' || strcmp(end, ",128") == 0;
            if (digits && w128 && p >= 1 && p <= GNV_DECIMAL128_MAX_PRECISION && sc >= 0 &&
                sc <= GNV_DECIMAL128_MAX_PRECISION) {
                out->id = GNV_TYPE_DECIMAL128;
                out->precision = (int32_t)p;
                out->scale = (int32_t)sc;
                return GNV_OK;
            }
            if (digits && (*end == '\0' || end[0] == ','))
                return gnv__error_set(GNV_ENOTSUP, GNV_SUB_ARROW,
                                      "unsupported Arrow decimal type '%s' (decimal128 with "
                                      "precision 1..38 and scale 0..38 only)",
                                      format);
        }
    } else if (f[0] == 't' && f[1] == 's' && f[2] && f[3] == ':') {
        static const char units[] = "smun";
        const char *u = strchr(units, f[2]);
        if (u) {
            out->id = GNV_TYPE_TIMESTAMP;
            out->unit = (gnv_time_unit)(u - units);
            out->timezone = f[4] ? f + 4 : NULL;
            return GNV_OK;
        }
    } else if (f[0] == '+') {
        if (strcmp(f, "+l") == 0) {
            out->id = GNV_TYPE_LIST;
            return GNV_OK;
        }
        if (strcmp(f, "+L") == 0) {
            out->id = GNV_TYPE_LARGE_LIST;
            return GNV_OK;
        }
        if (strcmp(f, "+s") == 0) {
            out->id = GNV_TYPE_STRUCT;
            return GNV_OK;
        }
        if (f[1] == 'w' && f[2] == ':' && parse_positive(f + 3, &out->fixed_size) == 0) {
            out->id = GNV_TYPE_FIXED_SIZE_LIST;
            return GNV_OK;
        }
    }
    return gnv__error_set(GNV_ENOTSUP, GNV_SUB_ARROW, "unsupported Arrow type format '%s'", format);
}

int gnv__type_byte_width(const gnv_type *t)
{
    switch (t->id) {
    case GNV_TYPE_INT8:
    case GNV_TYPE_UINT8:
        return 1;
    case GNV_TYPE_INT16:
    case GNV_TYPE_UINT16:
    case GNV_TYPE_HALF_FLOAT:
        return 2;
    case GNV_TYPE_INT32:
    case GNV_TYPE_UINT32:
    case GNV_TYPE_FLOAT:
    case GNV_TYPE_DATE32:
        return 4;
    case GNV_TYPE_INT64:
    case GNV_TYPE_UINT64:
    case GNV_TYPE_DOUBLE:
    case GNV_TYPE_TIMESTAMP:
    case GNV_TYPE_DURATION:
        return 8;
    case GNV_TYPE_DECIMAL128:
        return 16;
    case GNV_TYPE_FIXED_SIZE_BINARY:
        return t->fixed_size;
    default:
        return 0;
    }
}

bool gnv__type_is_integer(gnv_type_id id)
{
    return id >= GNV_TYPE_INT8 && id <= GNV_TYPE_UINT64;
}

bool gnv__type_is_signed(gnv_type_id id)
{
    return id == GNV_TYPE_INT8 || id == GNV_TYPE_INT16 || id == GNV_TYPE_INT32 ||
           id == GNV_TYPE_INT64 || id == GNV_TYPE_DATE32 || id == GNV_TYPE_TIMESTAMP ||
           id == GNV_TYPE_DURATION || id == GNV_TYPE_DECIMAL128;
}

bool gnv__type_is_floating(gnv_type_id id)
{
    return id == GNV_TYPE_HALF_FLOAT || id == GNV_TYPE_FLOAT || id == GNV_TYPE_DOUBLE;
}

bool gnv__type_is_binary_like(gnv_type_id id)
{
    return id == GNV_TYPE_STRING || id == GNV_TYPE_LARGE_STRING || id == GNV_TYPE_BINARY ||
           id == GNV_TYPE_LARGE_BINARY;
}

bool gnv__type_is_large(gnv_type_id id)
{
    return id == GNV_TYPE_LARGE_STRING || id == GNV_TYPE_LARGE_BINARY || id == GNV_TYPE_LARGE_LIST;
}

bool gnv__type_is_nested(gnv_type_id id)
{
    return id == GNV_TYPE_LIST || id == GNV_TYPE_LARGE_LIST || id == GNV_TYPE_FIXED_SIZE_LIST ||
           id == GNV_TYPE_STRUCT;
}

int gnv__type_n_buffers(gnv_type_id id)
{
    switch (id) {
    case GNV_TYPE_NA:
        return 0;
    case GNV_TYPE_STRING:
    case GNV_TYPE_LARGE_STRING:
    case GNV_TYPE_BINARY:
    case GNV_TYPE_LARGE_BINARY:
        return 3;
    case GNV_TYPE_FIXED_SIZE_LIST:
    case GNV_TYPE_STRUCT:
        return 1;
    default:
        return 2;
    }
}

static const char *unit_name(gnv_time_unit u)
{
    static const char *names[] = {"s", "ms", "us", "ns"};
    return names[u];
}

static int render_type(gnv_buf *out, const struct ArrowSchema *s);

static int render_value_type(gnv_buf *out, const struct ArrowSchema *s)
{
    gnv_type t;
    GNV_TRY(gnv__type_parse(&t, s->format));
    switch (t.id) {
    case GNV_TYPE_FIXED_SIZE_BINARY:
        return gnv__buf_printf(out, "fixed_size_binary[%d]", t.fixed_size);
    case GNV_TYPE_TIMESTAMP:
        if (t.timezone)
            return gnv__buf_printf(out, "timestamp[%s, tz=%s]", unit_name(t.unit), t.timezone);
        return gnv__buf_printf(out, "timestamp[%s]", unit_name(t.unit));
    case GNV_TYPE_DURATION:
        return gnv__buf_printf(out, "duration[%s]", unit_name(t.unit));
    case GNV_TYPE_DECIMAL128:
        return gnv__buf_printf(out, "decimal128(%d, %d)", (int)t.precision, (int)t.scale);
    case GNV_TYPE_LIST:
    case GNV_TYPE_LARGE_LIST:
    case GNV_TYPE_FIXED_SIZE_LIST:
        if (s->n_children != 1 || !s->children || !s->children[0])
            return gnv__error_set(GNV_EINVAL, GNV_SUB_ARROW, "%s type needs one child",
                                  gnv__type_id_name(t.id));
        GNV_TRY(gnv__buf_printf(out, "%s<", gnv__type_id_name(t.id)));
        GNV_TRY(render_type(out, s->children[0]));
        if (t.id == GNV_TYPE_FIXED_SIZE_LIST)
            GNV_TRY(gnv__buf_printf(out, ", %d", t.fixed_size));
        return gnv__buf_putc(out, '>');
    case GNV_TYPE_STRUCT:
        GNV_TRY(gnv__buf_puts(out, "struct<"));
        for (int64_t i = 0; i < s->n_children; i++) {
            const struct ArrowSchema *c = s->children[i];
            if (!c)
                return gnv__error_set(GNV_EINVAL, GNV_SUB_ARROW, "struct child %lld is NULL",
                                      (long long)i);
            GNV_TRY(gnv__buf_printf(out, "%s%s: ", i ? ", " : "", c->name ? c->name : ""));
            GNV_TRY(render_type(out, c));
        }
        return gnv__buf_putc(out, '>');
    default:
        return gnv__buf_puts(out, gnv__type_id_name(t.id));
    }
}

static int render_type(gnv_buf *out, const struct ArrowSchema *s)
{
    if (s->dictionary) {
        gnv_type idx;
        GNV_TRY(gnv__type_parse(&idx, s->format));
        GNV_TRY(gnv__buf_puts(out, "dictionary<values="));
        GNV_TRY(render_value_type(out, s->dictionary));
        return gnv__buf_printf(out, ", indices=%s>", gnv__type_id_name(idx.id));
    }
    return render_value_type(out, s);
}

int gnv__type_to_string(gnv_buf *out, const struct ArrowSchema *schema)
{
    return render_type(out, schema);
}
