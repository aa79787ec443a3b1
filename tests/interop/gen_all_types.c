/*
 * gen_all_types: write Arrow IPC files with every type the library supports, nulls at
 * every nesting level, field metadata and several batches, plus the rows as the
 * canonical JSONL `geneva inspect --format jsonl` prints, so other Arrow
 * implementations (tests/interop/arrow_js_read.mjs) and our own reader can be checked
 * against them. Also used to make the IPC seed corpus of fuzz/.
 *
 *   gen_all_types OUTDIR
 *
 * Writes, for NAME in geneva_all (everything Arrow JS 18 reads), geneva_large
 * (large_list, which Arrow JS 18 lacks) and geneva_more (fixed-size lists of bools and
 * of fixed-size lists, which Lance stores as one leaf column with a validity bitmap
 * per level):
 *   NAME.arrow / NAME.arrows            file / stream format, uncompressed
 *   NAME.lz4.arrow / NAME.lz4.arrows    LZ4_FRAME bodies
 *   NAME.zstd.arrow / NAME.zstd.arrows  ZSTD bodies
 *   NAME.jsonl     the expected rows
 *   NAME.schema    "name: type[ not null]" per field, then "meta KEY<TAB>VALUE" lines
 *   NAME.floats.json  float16/float32 columns, for the comparison script
 * Floats are written to the JSONL as the shortest double text of the stored value; the
 * comparison rounds float16/float32 columns to their precision.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "arrow/arrow.h"

/*
 * A column: its type, and the values it cycles through, as a JSON array (row r takes
 * values[r % n]; every nullable column is also null where (r + column index) % 4 == 1).
 * In the values: uint64 may be a decimal string, floats "NaN"/"Infinity"/"-Infinity",
 * binary an array of byte values, date32 and timestamps the raw integer.
 */
typedef struct column {
    const char *name;
    const char *type; /* as gnv__type_from_string reads it */
    bool not_null;
    const char *meta_key; /* field metadata, or NULL */
    const char *meta_value;
    const char *values;
} column;

#define TS_S  "[0, -1, 1700000000, 253402300799, -62135596800, 951782400]"
#define TS_MS "[0, -1, 1700000000123, 253402300799999, -62135596800000, 951782400001]"
#define TS_US "[0, -1, 1700000000123456, 253402300799999999, -62135596800000000, 951782400000001]"
#define TS_NS                                                                                      \
    "[0, -1, 1700000000123456789, 9223372036854775807, -9223372036854775807, "                     \
    "951782400000000001]"

static const column all_columns[] = {
    {"id", "int64", true, NULL, NULL, NULL}, /* the row number */
    {"n", "null", false, NULL, NULL, "[null]"},
    {"b", "bool", false, NULL, NULL, "[true, false, false]"},
    {"i8", "int8", false, NULL, NULL, "[-128, 127, 0, -1, 42]"},
    {"i16", "int16", false, NULL, NULL, "[-32768, 32767, 0, -1, 1234]"},
    {"i32", "int32", false, "unit", "metres", "[-2147483648, 2147483647, 0, -1, 99]"},
    {"i64", "int64", false, NULL, NULL,
     "[-9223372036854775808, 9223372036854775807, 0, -1, 9007199254740993]"},
    {"u8", "uint8", false, NULL, NULL, "[0, 255, 1, 128]"},
    {"u16", "uint16", false, NULL, NULL, "[0, 65535, 1, 32768]"},
    {"u32", "uint32", false, NULL, NULL, "[0, 4294967295, 1, 2147483648]"},
    {"u64", "uint64", false, NULL, NULL,
     "[0, \"18446744073709551615\", 1, \"9223372036854775808\"]"},
    {"f16", "float16", false, NULL, NULL,
     "[0.5, -2, 65504, \"NaN\", \"-Infinity\", 0.0999755859375, 6.103515625e-05, "
     "5.9604644775390625e-08]"},
    {"f32", "float32", false, NULL, NULL,
     "[0.100000001490116, -3.5, \"Infinity\", \"NaN\", 1e-40, -0.0, 3.4028234663852886e38]"},
    {"f64", "float64", false, NULL, NULL,
     "[0.1, -0.0, 1e308, 5e-324, \"-Infinity\", \"NaN\", 123456789.125, 1e21, "
     "0.3333333333333333]"},
    {"s", "utf8", false, NULL, NULL,
     "[\"\", \"h\\u00e9llo\", \"\\u65e5\\u672c\\u8a9e\", \"q\\\"uote\\\\back\\nline\\ttab\", "
     "\"\\u0001ctl\", \"\\ud83d\\ude00\"]"},
    {"ls", "large_utf8", false, NULL, NULL,
     "[\"large\", \"\", \"\\u00fc\", \"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"]"},
    {"bin", "binary", false, NULL, NULL, "[[], [0, 255, 1], [104, 105]]"},
    {"lbin", "large_binary", false, NULL, NULL, "[[7], [], [250, 251, 252, 253]]"},
    {"fsb", "fixed_size_binary[3]", false, NULL, NULL, "[[1, 2, 3], [0, 0, 0], [255, 128, 64]]"},
    {"d", "date32", false, NULL, NULL, "[0, -1, 19000, 2932896, -719162, 11016]"},
    {"ts_s", "timestamp[s]", false, NULL, NULL, TS_S},
    {"ts_s_tz", "timestamp[s, tz=UTC]", false, NULL, NULL, TS_S},
    {"ts_ms", "timestamp[ms]", false, NULL, NULL, TS_MS},
    {"ts_ms_tz", "timestamp[ms, tz=UTC]", false, NULL, NULL, TS_MS},
    {"ts_us", "timestamp[us]", false, NULL, NULL, TS_US},
    {"ts_us_tz", "timestamp[us, tz=UTC]", false, NULL, NULL, TS_US},
    {"ts_ns", "timestamp[ns]", false, NULL, NULL, TS_NS},
    {"ts_ns_tz", "timestamp[ns, tz=+05:30]", false, NULL, NULL, TS_NS},
    {"l", "list<int32>", false, NULL, NULL,
     "[[1, null, 3], [], [-2147483648, 2147483647], [null], [0]]"},
    {"ll", "list<list<int64>>", false, NULL, NULL,
     "[[[1], [null], null, []], [], [[2, 3]], [null]]"},
    {"fsl", "fixed_size_list<float32, 2>", false, NULL, NULL,
     "[[1.5, null], [0.100000001490116, -0.0], [null, null], [2, 4]]"},
    {"st", "struct<a: int32, b: utf8, c: list<struct<x: bool, y: float64>>>", false, "note",
     "nested \xe2\x9c\x93",
     "[{\"a\": 1, \"b\": \"x\", \"c\": [{\"x\": true, \"y\": 1.5}, null, {\"x\": null, \"y\": "
     "null}]},"
     " {\"a\": null, \"b\": null, \"c\": null}, {\"a\": 2, \"b\": \"\", \"c\": []},"
     " {\"a\": -5, \"b\": \"y\", \"c\": [{\"x\": false, \"y\": -0.25}]}]"},
};

static const column large_columns[] = {
    {"id", "int64", true, NULL, NULL, NULL},
    {"ll", "large_list<utf8>", false, "kind", "large", "[[\"a\", null, \"\"], [], [null]]"},
    {"lll", "large_list<large_list<int32>>", false, NULL, NULL,
     "[[[1, 2], null, []], [], [[null]], null]"},
    {"lst", "large_list<struct<a: int64, b: large_binary>>", false, NULL, NULL,
     "[[{\"a\": 1, \"b\": [1, 2]}, null, {\"a\": null, \"b\": null}], [], [{\"a\": -1, \"b\": "
     "[]}]]"},
};

static const column more_columns[] = {
    {"id", "int64", true, NULL, NULL, NULL},
    {"fb", "fixed_size_list<bool, 3>", false, NULL, NULL,
     "[[true, null, false], [false, false, true], [null, null, null], [true, true, true]]"},
    {"ff", "fixed_size_list<fixed_size_list<int32, 2>, 2>", false, NULL, NULL,
     "[[[1, 2], [3, null]], [null, [-5, 6]], [[2147483647, -2147483648], [0, 0]]]"},
    {"fff", "fixed_size_list<fixed_size_list<fixed_size_list<float64, 2>, 2>, 2>", false, NULL,
     NULL,
     "[[[[1.5, -2], [null, 0.25]], [[3, 4], [5, 6]]], [null, [[7, 8], null]], "
     "[[[0.1, 0.2], [0.3, 0.4]], [[-0.5, 1e300], [\"Infinity\", -0.0]]]]"},
    {"lfb", "list<fixed_size_list<bool, 2>>", false, NULL, NULL,
     "[[[true, false], null], [], [[null, true], [false, false], [true, true]]]"},
    {"st", "struct<v: fixed_size_list<int16, 2>, w: fixed_size_list<bool, 1>>", false, NULL, NULL,
     "[{\"v\": [1, -1], \"w\": [true]}, {\"v\": null, \"w\": [null]}, {\"v\": [null, 7], "
     "\"w\": null}]"},
};

/* Rows per batch; an empty batch included. */
static const int64_t batches[] = {5, 1, 6, 0, 4};

/* ---- canonical JSON of the values appended ---------------------------------- */

static int put_json_double(gnv_buf *j, double v)
{
    if (isnan(v))
        return gnv__buf_puts(j, "\"NaN\"");
    if (isinf(v))
        return gnv__buf_puts(j, v < 0 ? "\"-Infinity\"" : "\"Infinity\"");
    char tmp[40];
    for (int p = 1; p <= 17; p++) {
        snprintf(tmp, sizeof tmp, "%.*g", p, v);
        if (strtod(tmp, NULL) == v)
            break;
    }
    return gnv__buf_puts(j, tmp);
}

static int put_json_string(gnv_buf *j, const char *s, size_t n)
{
    GNV_TRY(gnv__buf_putc(j, '"'));
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\')
            GNV_TRY(gnv__buf_printf(j, "\\%c", c));
        else if (c < 0x20)
            GNV_TRY(gnv__buf_printf(j, "\\u%04x", c));
        else
            GNV_TRY(gnv__buf_putc(j, (char)c));
    }
    return gnv__buf_putc(j, '"');
}

/* Civil date of days since 1970-01-01 (proleptic Gregorian). */
static void civil(int64_t days, int64_t *y, int *m, int *d)
{
    int64_t z = days + 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

static int json_date(gnv_buf *j, int64_t days)
{
    int64_t y;
    int m, d;
    civil(days, &y, &m, &d);
    return gnv__buf_printf(j, "\"%04" PRId64 "-%02d-%02d\"", y, m, d);
}

static int64_t floordiv(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/* unit: 0 s .. 3 ns; offset_min: the zone's offset (only printed when has_tz). */
static int json_ts(gnv_buf *j, int64_t v, int unit, bool has_tz, int offset_min)
{
    static const int64_t per[] = {1, 1000, 1000000, 1000000000};
    static const int digits[] = {0, 3, 6, 9};
    int64_t secs = floordiv(v, per[unit]);
    int64_t frac = v % per[unit]; /* not v - secs * per: that overflows near INT64_MIN */
    if (frac < 0)
        frac += per[unit];
    secs += (int64_t)offset_min * 60;
    int64_t days = floordiv(secs, 86400), rem = secs - days * 86400;
    int64_t y;
    int m, d;
    civil(days, &y, &m, &d);
    GNV_TRY(gnv__buf_printf(j, "\"%04" PRId64 "-%02d-%02dT%02d:%02d:%02d", y, m, d,
                            (int)(rem / 3600), (int)(rem / 60 % 60), (int)(rem % 60)));
    if (digits[unit])
        GNV_TRY(gnv__buf_printf(j, ".%0*" PRId64, digits[unit], frac));
    if (has_tz && offset_min == 0)
        GNV_TRY(gnv__buf_putc(j, 'Z'));
    else if (has_tz)
        GNV_TRY(gnv__buf_printf(j, "%c%02d:%02d", offset_min < 0 ? '-' : '+', abs(offset_min) / 60,
                                abs(offset_min) % 60));
    return gnv__buf_putc(j, '"');
}

/* ---- append a JSON literal to an array, and its canonical JSON to a buffer -------- */

static int fail(const char *what, const char *name)
{
    return gnv__error_set(GNV_EINVAL, GNV_SUB_ARROW, "gen_all_types: bad %s value in '%s'", what,
                          name);
}

static int tz_offset_min(const char *tz)
{
    if (!tz || strcmp(tz, "UTC") == 0)
        return 0;
    int h = 0, m = 0;
    if (sscanf(tz + 1, "%d:%d", &h, &m) != 2)
        return 0;
    return (tz[0] == '-' ? -1 : 1) * (h * 60 + m);
}

static double json_number(const json_t *v)
{
    if (json_is_string(v)) {
        const char *s = json_string_value(v);
        if (strcmp(s, "NaN") == 0)
            return NAN;
        return strcmp(s, "-Infinity") == 0 ? -INFINITY : INFINITY;
    }
    return json_number_value(v);
}

static int
append_value(struct ArrowArray *a, const struct ArrowSchema *s, const json_t *v, gnv_buf *j);

static int
append_list(struct ArrowArray *a, const struct ArrowSchema *s, const json_t *v, gnv_buf *j)
{
    if (!json_is_array(v))
        return fail("list", s->name);
    GNV_TRY(gnv__buf_putc(j, '['));
    for (size_t k = 0; k < json_array_size(v); k++) {
        if (k)
            GNV_TRY(gnv__buf_putc(j, ','));
        GNV_TRY(append_value(a->children[0], s->children[0], json_array_get(v, k), j));
    }
    GNV_TRY(gnv__array_finish_element(a));
    return gnv__buf_putc(j, ']');
}

static int
append_struct(struct ArrowArray *a, const struct ArrowSchema *s, const json_t *v, gnv_buf *j)
{
    if (!json_is_object(v))
        return fail("struct", s->name);
    GNV_TRY(gnv__buf_putc(j, '{'));
    for (int64_t c = 0; c < s->n_children; c++) {
        const char *name = s->children[c]->name;
        GNV_TRY(gnv__buf_printf(j, "%s", c ? "," : ""));
        GNV_TRY(put_json_string(j, name, strlen(name)));
        GNV_TRY(gnv__buf_putc(j, ':'));
        GNV_TRY(append_value(a->children[c], s->children[c], json_object_get(v, name), j));
    }
    GNV_TRY(gnv__array_finish_element(a));
    return gnv__buf_putc(j, '}');
}

static int
append_bytes(struct ArrowArray *a, const struct ArrowSchema *s, const json_t *v, gnv_buf *j)
{
    uint8_t bytes[64];
    size_t n = json_array_size(v);
    if (!json_is_array(v) || n > sizeof bytes)
        return fail("binary", s->name);
    for (size_t k = 0; k < n; k++)
        bytes[k] = (uint8_t)json_integer_value(json_array_get(v, k));
    GNV_TRY(gnv__array_append_bytes(a, bytes, n));
    GNV_TRY(gnv__buf_putc(j, '"'));
    GNV_TRY(gnv__base64_encode(j, bytes, n));
    return gnv__buf_putc(j, '"');
}

static int
append_value(struct ArrowArray *a, const struct ArrowSchema *s, const json_t *v, gnv_buf *j)
{
    const gnv_type *t = gnv__array_type(a);
    if (v == NULL || json_is_null(v)) {
        GNV_TRY(gnv__array_append_null(a, 1));
        return gnv__buf_puts(j, "null");
    }
    switch (t->id) {
    case GNV_TYPE_BOOL:
        GNV_TRY(gnv__array_append_bool(a, json_is_true(v)));
        return gnv__buf_puts(j, json_is_true(v) ? "true" : "false");
    case GNV_TYPE_UINT64:
        if (json_is_string(v)) {
            uint64_t u = strtoull(json_string_value(v), NULL, 10);
            GNV_TRY(gnv__array_append_uint(a, u));
            return gnv__buf_printf(j, "%" PRIu64, u);
        }
        /* fall through */
    case GNV_TYPE_INT8:
    case GNV_TYPE_UINT8:
    case GNV_TYPE_INT16:
    case GNV_TYPE_UINT16:
    case GNV_TYPE_INT32:
    case GNV_TYPE_UINT32:
    case GNV_TYPE_INT64:
        if (!json_is_integer(v))
            return fail("integer", s->name);
        GNV_TRY(gnv__array_append_int(a, json_integer_value(v)));
        return gnv__buf_printf(j, "%" PRId64, (int64_t)json_integer_value(v));
    case GNV_TYPE_HALF_FLOAT:
    case GNV_TYPE_FLOAT:
    case GNV_TYPE_DOUBLE: {
        double d = json_number(v);
        if (t->id == GNV_TYPE_FLOAT)
            d = (double)(float)d; /* print what is stored */
        GNV_TRY(gnv__array_append_double(a, d));
        return put_json_double(j, d);
    }
    case GNV_TYPE_STRING:
    case GNV_TYPE_LARGE_STRING: {
        const char *str = json_string_value(v);
        size_t n = json_string_length(v);
        if (!str)
            return fail("string", s->name);
        GNV_TRY(gnv__array_append_bytes(a, str, n));
        return put_json_string(j, str, n);
    }
    case GNV_TYPE_BINARY:
    case GNV_TYPE_LARGE_BINARY:
    case GNV_TYPE_FIXED_SIZE_BINARY:
        return append_bytes(a, s, v, j);
    case GNV_TYPE_DATE32:
        GNV_TRY(gnv__array_append_int(a, json_integer_value(v)));
        return json_date(j, json_integer_value(v));
    case GNV_TYPE_TIMESTAMP:
        GNV_TRY(gnv__array_append_int(a, json_integer_value(v)));
        return json_ts(j, json_integer_value(v), (int)t->unit, t->timezone != NULL,
                       tz_offset_min(t->timezone));
    case GNV_TYPE_LIST:
    case GNV_TYPE_LARGE_LIST:
    case GNV_TYPE_FIXED_SIZE_LIST:
        return append_list(a, s, v, j);
    case GNV_TYPE_STRUCT:
        return append_struct(a, s, v, j);
    default:
        return fail("typed", s->name);
    }
}

/* ---- schema, batches, files ------------------------------------------------- */

static int make_schema(struct ArrowSchema *out, const column *cols, int n)
{
    gnv_buf meta = GNV_BUF_INIT;
    int rc = gnv__schema_init(out, "+s", "", 0);
    GNV_TRYG(rc);
    GNV_TRYG(gnv__schema_alloc_children(out, n));
    for (int c = 0; c < n; c++) {
        GNV_TRYG(gnv__type_from_string(out->children[c], cols[c].type, cols[c].name));
        if (cols[c].not_null)
            out->children[c]->flags &= ~(int64_t)ARROW_FLAG_NULLABLE;
        else
            out->children[c]->flags |= ARROW_FLAG_NULLABLE;
        if (cols[c].meta_key) {
            const char *k[] = {cols[c].meta_key}, *v[] = {cols[c].meta_value};
            gnv__buf_clear(&meta);
            GNV_TRYG(gnv__metadata_build(&meta, k, v, 1));
            GNV_TRYG(gnv__schema_set_metadata(out->children[c], meta.ptr));
        }
    }
done:
    gnv_buf_dispose(&meta);
    return rc;
}

/* Build batch b (rows [row0, row0 + n)) and append its rows' JSON lines to jsonl. */
static int make_batch(struct ArrowArray *out,
                      const struct ArrowSchema *schema,
                      const column *cols,
                      json_t *const *values,
                      int64_t row0,
                      int64_t n,
                      gnv_buf *jsonl)
{
    gnv_buf line = GNV_BUF_INIT;
    int rc = gnv__array_init(out, schema);
    GNV_TRYG(rc);
    for (int64_t r = row0; r < row0 + n; r++) {
        gnv__buf_clear(&line);
        GNV_TRYG(gnv__buf_putc(&line, '{'));
        for (int64_t c = 0; c < schema->n_children; c++) {
            struct ArrowArray *col = out->children[c];
            GNV_TRYG(gnv__buf_printf(&line, "%s\"%s\":", c ? "," : "", cols[c].name));
            if (!cols[c].values) {
                GNV_TRYG(gnv__array_append_int(col, r));
                GNV_TRYG(gnv__buf_printf(&line, "%" PRId64, r));
            } else if (!cols[c].not_null && (r + c) % 4 == 1) {
                GNV_TRYG(append_value(col, schema->children[c], NULL, &line));
            } else {
                json_t *vals = values[c];
                json_t *v = json_array_get(vals, (size_t)(r % (int64_t)json_array_size(vals)));
                GNV_TRYG(append_value(col, schema->children[c], v, &line));
            }
        }
        GNV_TRYG(gnv__array_finish_element(out));
        GNV_TRYG(gnv__buf_puts(&line, "}\n"));
        GNV_TRYG(gnv__buf_put(jsonl, line.ptr, line.size));
    }
    GNV_TRYG(gnv__array_finish(out));
done:
    gnv_buf_dispose(&line);
    return rc;
}

static int
write_file(const char *dir, const char *name, const char *suffix, const void *data, size_t n)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s%s", dir, name, suffix);
    FILE *f = fopen(path, "wb");
    if (!f)
        return gnv__error_os(GNV_SUB_ARROW, errno, "cannot create %s", path);
    size_t w = n ? fwrite(data, 1, n, f) : 0;
    int bad = fclose(f) != 0 || w != n;
    return bad ? gnv__error_os(GNV_SUB_ARROW, errno, "cannot write %s", path) : GNV_OK;
}

static int write_ipc(const char *dir,
                     const char *name,
                     const char *suffix,
                     const struct ArrowSchema *schema,
                     struct ArrowArray *arrays,
                     int nb,
                     int stream_format,
                     int compression)
{
    gnv_buf buf = GNV_BUF_INIT;
    gnv_ipc_writer *w = NULL;
    gnv_ipc_write_options opts = GNV_IPC_WRITE_OPTIONS_INIT;
    opts.stream_format = stream_format;
    opts.compression = compression;
    int rc = gnv__ipc_writer_new(&w, gnv__ipc_sink_buf(&buf), schema, &opts);
    GNV_TRYG(rc);
    for (int b = 0; b < nb; b++)
        GNV_TRYG(gnv__ipc_writer_write(w, &arrays[b]));
    GNV_TRYG(gnv__ipc_writer_finish(w));
    GNV_TRYG(write_file(dir, name, suffix, buf.ptr, buf.size));
done:
    gnv__ipc_writer_free(w);
    gnv_buf_dispose(&buf);
    return rc;
}

/* The .schema file: field lines, then metadata lines (see arrow_js_read.mjs). */
static int schema_text(gnv_buf *out, const struct ArrowSchema *schema, const column *cols)
{
    for (int64_t c = 0; c < schema->n_children; c++) {
        GNV_TRY(gnv__buf_printf(out, "%s: ", cols[c].name));
        GNV_TRY(gnv__type_to_string(out, schema->children[c]));
        GNV_TRY(gnv__buf_puts(out, cols[c].not_null ? " not null\n" : "\n"));
    }
    for (int64_t c = 0; c < schema->n_children; c++)
        if (cols[c].meta_key)
            GNV_TRY(gnv__buf_printf(out, "meta %s\t%s\n", cols[c].meta_key, cols[c].meta_value));
    return GNV_OK;
}

static int floats_text(gnv_buf *out, const column *cols, int n)
{
    GNV_TRY(gnv__buf_putc(out, '{'));
    int k = 0;
    for (int c = 0; c < n; c++) {
        int bits = strstr(cols[c].type, "float16") ? 16 : strstr(cols[c].type, "float32") ? 32 : 0;
        if (bits)
            GNV_TRY(gnv__buf_printf(out, "%s\"%s\":%d", k++ ? "," : "", cols[c].name, bits));
    }
    return gnv__buf_puts(out, "}\n");
}

static int generate(const char *dir, const char *name, const column *cols, int ncols)
{
    enum { NB = GNV_ARRAY_SIZE(batches) };
    struct ArrowSchema schema = {0};
    struct ArrowArray arrays[NB];
    json_t *values[64] = {0};
    gnv_buf jsonl = GNV_BUF_INIT, text = GNV_BUF_INIT;
    int rc = GNV_OK;
    memset(arrays, 0, sizeof arrays);
    GNV_ERR_IF(ncols > 64, GNV_EINVAL, GNV_SUB_ARROW, "too many columns");
    for (int c = 0; c < ncols; c++) {
        json_error_t err;
        if (!cols[c].values)
            continue;
        values[c] = json_loads(cols[c].values, JSON_DECODE_ANY, &err);
        GNV_ERR_IF(!json_is_array(values[c]) || json_array_size(values[c]) == 0, GNV_EINVAL,
                   GNV_SUB_ARROW, "column %s: bad values: %s", cols[c].name, err.text);
    }
    GNV_TRYG(make_schema(&schema, cols, ncols));
    int64_t row0 = 0;
    for (int b = 0; b < NB; b++) {
        GNV_TRYG(make_batch(&arrays[b], &schema, cols, values, row0, batches[b], &jsonl));
        GNV_TRYG(gnv__array_validate(&schema, &arrays[b], true));
        row0 += batches[b];
    }
    static const struct {
        const char *suffix;
        int stream, compression;
    } outs[] = {
        {".arrow", 0, GNV_IPC_COMPRESS_NONE},      {".arrows", 1, GNV_IPC_COMPRESS_NONE},
        {".lz4.arrow", 0, GNV_IPC_COMPRESS_LZ4},   {".lz4.arrows", 1, GNV_IPC_COMPRESS_LZ4},
        {".zstd.arrow", 0, GNV_IPC_COMPRESS_ZSTD}, {".zstd.arrows", 1, GNV_IPC_COMPRESS_ZSTD},
    };
    for (size_t o = 0; o < GNV_ARRAY_SIZE(outs); o++)
        GNV_TRYG(write_ipc(dir, name, outs[o].suffix, &schema, arrays, NB, outs[o].stream,
                           outs[o].compression));
    GNV_TRYG(write_file(dir, name, ".jsonl", jsonl.ptr, jsonl.size));
    GNV_TRYG(schema_text(&text, &schema, cols));
    GNV_TRYG(write_file(dir, name, ".schema", text.ptr, text.size));
    gnv__buf_clear(&text);
    GNV_TRYG(floats_text(&text, cols, ncols));
    GNV_TRYG(write_file(dir, name, ".floats.json", text.ptr, text.size));
    printf("wrote %s: %" PRId64 " rows in %d batches, %d columns\n", name, row0, (int)NB, ncols);
done:
    for (int b = 0; b < NB; b++)
        gnv__array_release(&arrays[b]);
    gnv__schema_release(&schema);
    for (int c = 0; c < ncols; c++)
        json_decref(values[c]);
    gnv_buf_dispose(&jsonl);
    gnv_buf_dispose(&text);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: gen_all_types OUTDIR\n");
        return 2;
    }
    int rc = generate(argv[1], "geneva_all", all_columns, (int)GNV_ARRAY_SIZE(all_columns));
    if (rc == GNV_OK)
        rc = generate(argv[1], "geneva_large", large_columns, (int)GNV_ARRAY_SIZE(large_columns));
    if (rc == GNV_OK)
        rc = generate(argv[1], "geneva_more", more_columns, (int)GNV_ARRAY_SIZE(more_columns));
    if (rc != GNV_OK) {
        const gnv_error *e = gnv_error_last();
        fprintf(stderr, "gen_all_types: %s\n", e ? e->message : "failed");
        return 1;
    }
    return 0;
}
