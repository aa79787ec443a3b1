/*
 * The differential test of the expr module against LanceDB (see tests/expr/README.md).
 *
 * A deterministic table of every type our tables hold (make_table) is created through
 * our API; each expression of tests/expr/expected.jsonl (the filters of filters.txt
 * and the value expressions of values.txt, with LanceDB's answers) is evaluated by
 * the expr module over the batches our reader scans, and must give LanceDB's answer:
 *   filters: the count and the set of ids of the rows where it is TRUE;
 *   values:  the result type and the value of each of the first VALUE_ROWS rows
 *            (floats within a relative 1e-12, NaN equal to NaN);
 *   errors:  where LanceDB refused the expression (at planning or at run time), we
 *            must fail too (at parse, bind or evaluation).
 * For each filter, gnv_table_scan() with `where` and gnv_table_count_rows_where() must
 * also agree with the expr module. Every mismatch is printed (expression, ours,
 * LanceDB's); the test fails if any that tests/expr/accepted_differences.txt does not
 * list.
 *
 *   test_expr_diff                     the test (GNV_TEST_DATA locates tests/expr)
 *   test_expr_diff --make-table DB     only create the table DB/t.lance (for
 *                                      tests/expr/lancedb_expected.mjs)
 * GNV_EXPR_EXPECTED=FILE compares with FILE instead of tests/expr/expected.jsonl;
 * GNV_EXPR_ONLY=TEXT runs only the expressions containing TEXT;
 * GNV_EXPR_LIST_MISMATCHES=FILE writes the mismatches to FILE in the form of
 * accepted_differences.txt.
 */
#include "gnv_test.h"

#include <inttypes.h>
#include <math.h>
#include <sys/stat.h>

#include <jansson.h>

#include "arrow/arrow.h"
#include "expr/expr.h"

/* ---- the table ------------------------------------------------------------ */

#define N_ROWS        2000
#define ROWS_PER_FILE 700 /* fragments 0, 1, 2: _rowaddr is not the row number */
#define VALUE_ROWS    400 /* value expressions are compared on ids 0..VALUE_ROWS-1 */
#define TABLE_NAME    "t"

/* Keep in sync with tests/expr/README.md (the table's description). */
static const struct {
    const char *name, *type;
} columns[] = {
    {"id", "int64"},
    {"i8", "int8"},
    {"i16", "int16"},
    {"i32", "int32"},
    {"i64", "int64"},
    {"u8", "uint8"},
    {"u16", "uint16"},
    {"u32", "uint32"},
    {"u64", "uint64"},
    {"f32", "float32"},
    {"f64", "float64"},
    {"b", "bool"},
    {"s", "utf8"},
    {"ls", "large_utf8"},
    {"bin", "binary"},
    {"d", "date32"},
    {"ts", "timestamp[us]"},
    {"ts_ms", "timestamp[ms]"},
    {"ts_ns", "timestamp[ns]"},
    {"ts_tz", "timestamp[us, tz=UTC]"},
    {"l", "list<int32>"},
    {"lstr", "list<utf8>"},
    {"vec", "fixed_size_list<float32, 4>"},
    {"st", "struct<a: int32, b: utf8>"},
    {"label", "utf8"},
    {"score", "float64"},
};

enum { N_COLUMNS = (int)GNV_ARRAY_SIZE(columns) };

/* Strings that exercise LIKE, escapes, case and Unicode; cycled through by `s`, `ls`,
 * `lstr` and `st.b`. */
static const char *const strings[] = {
    "",
    "a",
    "A",
    "abc",
    "ABC",
    "Abc",
    "abcdef",
    "h\xc3\xa9llo",                         /* héllo */
    "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e", /* 日本語 */
    "\xf0\x9f\x98\x80",                     /* 😀 */
    "100%",
    "50% off",
    "a_b",
    "a%b",
    "axb",
    "it's",
    "say \"hi\"",
    "back\\slash",
    "  padded  ",
    "tab\there",
    "line\nbreak",
    "label_07",
    "Zeta",
    "zeta",
    "123",
    "-4.5",
    "2024-01-15",
    "true",
    "NULL",
    "stra\xc3\x9f\x65", /* straße */
    "\xc4\xb0stanbul",  /* İstanbul */
    "_",
    "%",
    "\\",
    "apple",
    "banana",
    "cherry",
    "Apple pie",
};

enum { N_STRINGS = (int)GNV_ARRAY_SIZE(strings) };

static uint64_t mix(uint64_t x)
{
    x += 0x9E3779B97F4A7C15ULL;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
    return x ^ (x >> 31);
}

/* The pseudo-random word of row r, column c. */
static uint64_t h(int64_t r, int c)
{
    return mix((uint64_t)r * 64 + (uint64_t)c);
}

static int append_int(struct ArrowArray *a, int64_t r, int c, int bits, bool is_signed)
{
    if (r % 13 == c % 13)
        return gnv__array_append_null(a, 1);
    uint64_t x = h(r, c);
    uint64_t umax = bits == 64 ? UINT64_MAX : (UINT64_C(1) << bits) - 1;
    int64_t smax = (int64_t)(umax >> 1), smin = -smax - 1;
    int k = (int)(r % 23);
    if (is_signed) {
        int64_t v;
        switch (k) {
        case 0:
            v = smin;
            break;
        case 1:
            v = smax;
            break;
        case 2:
            v = 0;
            break;
        case 3:
            v = -1;
            break;
        case 4:
            v = 1;
            break;
        case 5:
            v = smax - 1;
            break;
        case 6:
            v = smin + 1;
            break;
        case 7: /* full range */
        case 8:
            v = bits == 64 ? (int64_t)x : (int64_t)(x & umax) + smin;
            break;
        default:
            v = (int64_t)(x % 201) - 100;
            break;
        }
        return gnv__array_append_int(a, v);
    }
    uint64_t v;
    switch (k) {
    case 0:
        v = 0;
        break;
    case 1:
        v = umax;
        break;
    case 2:
        v = 1;
        break;
    case 3:
        v = umax - 1;
        break;
    case 4:
        v = (umax >> 1) + 1;
        break;
    case 5:
        v = x & umax;
        break;
    default:
        v = x % 201;
        break;
    }
    return gnv__array_append_uint(a, v);
}

static double unit_double(uint64_t x)
{
    return (double)(x >> 11) * 0x1.0p-53;
}

static int append_float(struct ArrowArray *a, int64_t r, int c, bool is_f32)
{
    if (r % 13 == c % 13)
        return gnv__array_append_null(a, 1);
    static const double special[] = {NAN, INFINITY, -INFINITY, -0.0, 0.0,    0.5,   -0.5,
                                     1.5, 2.5,      -2.5,      3.0,  1e-300, 1e300, 0.1};
    int k = (int)(r % 19);
    double v;
    if (k < (int)GNV_ARRAY_SIZE(special))
        v = special[k];
    else
        v = (unit_double(h(r, c)) - 0.5) * 2000.0;
    if (is_f32 && k == 11)
        v = 1e-40; /* a float32 subnormal */
    if (is_f32 && k == 12)
        v = 3e38;
    if (is_f32)
        v = (double)(float)v;
    return gnv__array_append_double(a, v);
}

static int append_string(struct ArrowArray *a, int64_t r, int c, int null_mod)
{
    if (r % null_mod == c % null_mod)
        return gnv__array_append_null(a, 1);
    uint64_t x = h(r, c);
    int64_t k = (r * 7 + c) % (N_STRINGS * 2);
    if (k < N_STRINGS)
        return gnv__array_append_bytes(a, strings[k], strlen(strings[k]));
    char word[32];
    snprintf(word, sizeof word, "w%03u", (unsigned)(x % 1000));
    return gnv__array_append_bytes(a, word, strlen(word));
}

static int append_row(struct ArrowArray *const *cols, int64_t r)
{
    char buf[64];
    uint64_t x;
    for (int c = 0; c < N_COLUMNS; c++) {
        struct ArrowArray *a = cols[c];
        const char *n = columns[c].name;
        const char *t = columns[c].type;
        x = h(r, c);
        if (strcmp(n, "id") == 0) {
            GNV_TRY(gnv__array_append_int(a, r));
        } else if (strncmp(t, "int", 3) == 0 || strncmp(t, "uint", 4) == 0) {
            int bits = atoi(t + (t[0] == 'i' ? 3 : 4));
            GNV_TRY(append_int(a, r, c, bits, t[0] == 'i'));
        } else if (strcmp(n, "f32") == 0 || strcmp(n, "f64") == 0) {
            GNV_TRY(append_float(a, r, c, n[1] == '3'));
        } else if (strcmp(n, "b") == 0) {
            if (r % 7 == 2)
                GNV_TRY(gnv__array_append_null(a, 1));
            else
                GNV_TRY(gnv__array_append_bool(a, (x & 1) != 0));
        } else if (strcmp(n, "s") == 0 || strcmp(n, "ls") == 0) {
            GNV_TRY(append_string(a, r, c, n[0] == 's' ? 9 : 11));
        } else if (strcmp(n, "bin") == 0) {
            if (r % 10 == 7) {
                GNV_TRY(gnv__array_append_null(a, 1));
            } else {
                uint8_t bytes[6];
                size_t len = (size_t)(x % 7);
                for (size_t k = 0; k < len; k++)
                    bytes[k] = (uint8_t)(x >> (8 * (k + 1)));
                if (r % 10 == 3) { /* some printable ones */
                    memcpy(bytes, "abc", 3);
                    len = 3;
                }
                GNV_TRY(gnv__array_append_bytes(a, bytes, len));
            }
        } else if (strcmp(n, "d") == 0) {
            static const int64_t special[] = {0, -1, 18262, 19723, 19737, 19738, -25567, 2932896};
            int k = (int)(r % 29);
            if (r % 12 == 8)
                GNV_TRY(gnv__array_append_null(a, 1));
            else
                GNV_TRY(
                    gnv__array_append_int(a, k < 8 ? special[k] : 10957 + (int64_t)(x % 11000)));
        } else if (strncmp(n, "ts", 2) == 0) {
            /* microseconds: 2000-01-01 .. about 2030, whole days and seconds too */
            int64_t us = INT64_C(946684800000000) + (int64_t)(x % UINT64_C(946080000000000));
            int k = (int)(r % 31);
            if (k == 0)
                us = 0;
            else if (k == 1)
                us = -1000000;
            else if (k == 2)
                us = INT64_C(1705276800000000); /* 2024-01-15 00:00:00 */
            else if (k == 3)
                us = INT64_C(1705276800000001);
            else if (k == 4)
                us = INT64_C(1705320000000000); /* 2024-01-15 12:00:00 */
            else if (k == 5)
                us -= us % 1000000;
            if (r % 14 == c % 14) {
                GNV_TRY(gnv__array_append_null(a, 1));
            } else if (strcmp(n, "ts_ms") == 0) {
                GNV_TRY(gnv__array_append_int(a, us / 1000));
            } else if (strcmp(n, "ts_ns") == 0) {
                GNV_TRY(gnv__array_append_int(a, us * 1000 + (int64_t)(x >> 54)));
            } else {
                GNV_TRY(gnv__array_append_int(a, us));
            }
        } else if (strcmp(n, "l") == 0) {
            if (r % 8 == 5) {
                GNV_TRY(gnv__array_append_null(a, 1));
            } else {
                int len = r % 8 == 2 ? 0 : 1 + (int)(x % 4);
                for (int k = 0; k < len; k++) {
                    uint64_t y = mix(x + (uint64_t)k);
                    if (y % 6 == 0)
                        GNV_TRY(gnv__array_append_null(a->children[0], 1));
                    else
                        GNV_TRY(gnv__array_append_int(a->children[0], (int64_t)(y % 21) - 10));
                }
                GNV_TRY(gnv__array_finish_element(a));
            }
        } else if (strcmp(n, "lstr") == 0) {
            if (r % 9 == 6) {
                GNV_TRY(gnv__array_append_null(a, 1));
            } else {
                int len = r % 9 == 1 ? 0 : 1 + (int)(x % 3);
                for (int k = 0; k < len; k++) {
                    uint64_t y = mix(x + (uint64_t)k);
                    if (y % 7 == 0) {
                        GNV_TRY(gnv__array_append_null(a->children[0], 1));
                    } else {
                        const char *w = strings[33 + y % 5]; /* "\\", apple .. Apple pie */
                        GNV_TRY(gnv__array_append_bytes(a->children[0], w, strlen(w)));
                    }
                }
                GNV_TRY(gnv__array_finish_element(a));
            }
        } else if (strcmp(n, "vec") == 0) {
            if (r % 15 == 3) {
                GNV_TRY(gnv__array_append_null(a, 1));
            } else {
                for (int k = 0; k < 4; k++) {
                    uint64_t y = mix(x + (uint64_t)k);
                    if (r % 31 == 0 && k == 2)
                        GNV_TRY(gnv__array_append_null(a->children[0], 1));
                    else
                        GNV_TRY(gnv__array_append_double(
                            a->children[0], (double)(float)((unit_double(y) - 0.5) * 4)));
                }
                GNV_TRY(gnv__array_finish_element(a));
            }
        } else if (strcmp(n, "st") == 0) {
            if (r % 10 == 3) {
                GNV_TRY(gnv__array_append_null(a, 1));
            } else {
                if (r % 6 == 1)
                    GNV_TRY(gnv__array_append_null(a->children[0], 1));
                else
                    GNV_TRY(gnv__array_append_int(a->children[0], (int64_t)(x % 101) - 50));
                if (r % 7 == 4) {
                    GNV_TRY(gnv__array_append_null(a->children[1], 1));
                } else {
                    const char *w = strings[(x >> 8) % N_STRINGS];
                    GNV_TRY(gnv__array_append_bytes(a->children[1], w, strlen(w)));
                }
                GNV_TRY(gnv__array_finish_element(a));
            }
        } else if (strcmp(n, "label") == 0) {
            snprintf(buf, sizeof buf, "label_%02u", (unsigned)(x % 12));
            GNV_TRY(gnv__array_append_bytes(a, buf, strlen(buf)));
        } else if (strcmp(n, "score") == 0) {
            GNV_TRY(gnv__array_append_double(a, unit_double(x)));
        } else {
            return gnv__error_set(GNV_EINVAL, GNV_SUB_ARROW, "no generator for column %s", n);
        }
    }
    return GNV_OK;
}

/* Create DB/t.lance (N_ROWS rows in files of ROWS_PER_FILE rows). */
static int make_table(const char *dbdir)
{
    struct ArrowSchema schema = {0};
    struct ArrowArray batch = {0};
    struct ArrowArrayStream stream = {0};
    gnv_db *db = NULL;
    gnv_table *t = NULL;
    int rc = gnv__schema_init(&schema, "+s", "", 0);
    GNV_TRYG(rc);
    GNV_TRYG(gnv__schema_alloc_children(&schema, N_COLUMNS));
    for (int c = 0; c < N_COLUMNS; c++) {
        GNV_TRYG(gnv__type_from_string(schema.children[c], columns[c].type, columns[c].name));
        if (c == 0)
            schema.children[c]->flags &= ~(int64_t)ARROW_FLAG_NULLABLE;
        else
            schema.children[c]->flags |= ARROW_FLAG_NULLABLE;
    }
    GNV_TRYG(gnv__array_init(&batch, &schema));
    for (int64_t r = 0; r < N_ROWS; r++) {
        GNV_TRYG(append_row(batch.children, r));
        GNV_TRYG(gnv__array_finish_element(&batch));
    }
    GNV_TRYG(gnv__array_finish(&batch));
    GNV_TRYG(gnv__array_validate(&schema, &batch, true));
    GNV_TRYG(gnv__stream_from_arrays(&stream, &schema, &batch, 1));
    (void)mkdir(dbdir, 0777); /* may exist */
    GNV_TRYG(gnv_db_open(&db, dbdir, NULL));
    gnv_create_table_options co = GNV_CREATE_TABLE_OPTIONS_INIT;
    co.max_rows_per_file = ROWS_PER_FILE;
    GNV_TRYG(gnv_db_create_table(&t, db, TABLE_NAME, &stream, NULL, &co));
done:
    if (stream.release)
        stream.release(&stream);
    gnv__array_release(&batch);
    if (schema.release)
        gnv__schema_release(&schema);
    gnv_table_close(t);
    gnv_db_close(db);
    return rc;
}

/* ---- our side ----------------------------------------------------------------- */

typedef struct batches {
    struct ArrowSchema schema;
    struct ArrowArray *arrays;
    int64_t n;
} batches;

static void batches_free(batches *b)
{
    for (int64_t i = 0; i < b->n; i++)
        gnv__array_release(&b->arrays[i]);
    free(b->arrays);
    if (b->schema.release)
        gnv__schema_release(&b->schema);
    memset(b, 0, sizeof *b);
}

/* Scan the table (with _rowid and _rowaddr) in small batches, so that expressions see
 * batch boundaries; `limit` rows (-1: all). */
static void scan(batches *out, gnv_table *t, int64_t limit)
{
    struct ArrowArrayStream s;
    gnv_scan_options so = GNV_SCAN_OPTIONS_INIT;
    so.with_row_id = 1;
    so.with_row_addr = 1;
    so.batch_rows = 256;
    so.limit = limit;
    memset(out, 0, sizeof *out);
    GNV_ASSERT_OK(gnv_table_scan(t, &so, &s));
    GNV_ASSERT_OK(gnv__stream_get_schema(&s, &out->schema));
    for (;;) {
        struct ArrowArray a;
        int rc = gnv__stream_next(&s, &a);
        if (rc == GNV_ITEROVER)
            break;
        GNV_ASSERT_OK(rc);
        out->arrays = realloc(out->arrays, (size_t)(out->n + 1) * sizeof *out->arrays);
        assert_non_null(out->arrays);
        gnv__array_move(&a, &out->arrays[out->n++]);
    }
    gnv__stream_release(&s);
}

static int64_t column_index(const struct ArrowSchema *s, const char *name)
{
    for (int64_t c = 0; c < s->n_children; c++)
        if (strcmp(s->children[c]->name, name) == 0)
            return c;
    fail_msg("the scan has no column %s", name);
    return -1;
}

/* The id of row i of batch a (int64 column `id`). */
static int64_t id_at(const struct ArrowArray *a, int64_t idcol, int64_t i)
{
    const struct ArrowArray *c = a->children[idcol];
    return ((const int64_t *)c->buffers[1])[c->offset + i];
}

static const char *last_message(void)
{
    const gnv_error *e = gnv_error_last();
    return e && e->message ? e->message : "(no message)";
}

/* Parse and bind; on failure the error text in *err (owned). */
static gnv_expr *prepare(const char *text, const struct ArrowSchema *schema, char **err)
{
    gnv_expr *e = NULL;
    *err = NULL;
    if (gnv__expr_parse(&e, text) != GNV_OK || gnv__expr_bind(e, schema) != GNV_OK) {
        *err = strdup(last_message());
        gnv__expr_free(e);
        return NULL;
    }
    return e;
}

/* ---- canonical JSON of values (as lancedb_expected.mjs writes them) ------------ */

static json_t *json_double(double v)
{
    if (isnan(v))
        return json_string("NaN");
    if (isinf(v))
        return json_string(v < 0 ? "-Infinity" : "Infinity");
    if (v == 0 && signbit(v))
        return json_string("-0");
    return json_real(v);
}

static json_t *json_int_text(int64_t v)
{
    char t[32];
    snprintf(t, sizeof t, "%" PRId64, v);
    return json_string(t);
}

static json_t *value_json(const gnv_array_view *v, int64_t i)
{
    char t[32];
    if (gnv__view_is_null(v, i))
        return json_null();
    switch (v->type.id) {
    case GNV_TYPE_NA:
        return json_null();
    case GNV_TYPE_BOOL:
        return json_boolean(gnv__view_get_bool(v, i));
    case GNV_TYPE_UINT8:
    case GNV_TYPE_UINT16:
    case GNV_TYPE_UINT32:
    case GNV_TYPE_UINT64:
        snprintf(t, sizeof t, "%" PRIu64, gnv__view_get_uint(v, i));
        return json_string(t);
    case GNV_TYPE_INT8:
    case GNV_TYPE_INT16:
    case GNV_TYPE_INT32:
    case GNV_TYPE_INT64:
    case GNV_TYPE_DATE32:
    case GNV_TYPE_TIMESTAMP:
    case GNV_TYPE_DURATION:
        return json_int_text(gnv__view_get_int(v, i));
    case GNV_TYPE_DECIMAL128: {
        char d[GNV_DECIMAL128_TEXT];
        gnv__decimal128_format(d, v->data + (v->offset + i) * 16, v->type.scale);
        return json_string(d);
    }
    case GNV_TYPE_HALF_FLOAT:
    case GNV_TYPE_FLOAT:
    case GNV_TYPE_DOUBLE:
        return json_double(gnv__view_get_double(v, i));
    case GNV_TYPE_STRING:
    case GNV_TYPE_LARGE_STRING: {
        int64_t n;
        const uint8_t *p = gnv__view_get_bytes(v, i, &n);
        json_t *s = json_stringn_nocheck((const char *)p, (size_t)n);
        return s;
    }
    case GNV_TYPE_BINARY:
    case GNV_TYPE_LARGE_BINARY:
    case GNV_TYPE_FIXED_SIZE_BINARY: {
        int64_t n;
        const uint8_t *p = gnv__view_get_bytes(v, i, &n);
        char *hex = malloc((size_t)n * 2 + 3);
        hex[0] = '0';
        hex[1] = 'x';
        gnv__hex(hex + 2, p, (size_t)n);
        hex[2 + 2 * n] = 0;
        json_t *s = json_string(hex);
        free(hex);
        return s;
    }
    case GNV_TYPE_LIST:
    case GNV_TYPE_LARGE_LIST:
    case GNV_TYPE_FIXED_SIZE_LIST: {
        int64_t start, end;
        gnv__view_list_range(v, i, &start, &end);
        json_t *arr = json_array();
        for (int64_t k = start; k < end; k++)
            json_array_append_new(arr, value_json(&v->children[0], k));
        return arr;
    }
    case GNV_TYPE_STRUCT: {
        json_t *obj = json_object();
        int64_t k = gnv__view_struct_index(v, i);
        for (int64_t c = 0; c < v->n_children; c++)
            json_object_set_new(obj, v->schema->children[c]->name, value_json(&v->children[c], k));
        return obj;
    }
    default:
        snprintf(t, sizeof t, "<%s>", gnv__type_id_name(v->type.id));
        return json_string(t);
    }
}

/* Equal, floats within a relative 1e-12 (NaN equals NaN: both are the string). */
static bool json_close(const json_t *a, const json_t *b)
{
    if (json_is_number(a) && json_is_number(b)) {
        double x = json_number_value(a), y = json_number_value(b);
        if (x == y)
            return true;
        return fabs(x - y) <= 1e-12 * fmax(fabs(x), fabs(y));
    }
    if (json_is_array(a) && json_is_array(b)) {
        if (json_array_size(a) != json_array_size(b))
            return false;
        for (size_t k = 0; k < json_array_size(a); k++)
            if (!json_close(json_array_get(a, k), json_array_get(b, k)))
                return false;
        return true;
    }
    if (json_is_object(a) && json_is_object(b)) {
        if (json_object_size(a) != json_object_size(b))
            return false;
        const char *key;
        json_t *va;
        json_object_foreach((json_t *)a, key, va)
        {
            json_t *vb = json_object_get(b, key);
            if (!vb || !json_close(va, vb))
                return false;
        }
        return true;
    }
    return json_equal((json_t *)a, (json_t *)b) != 0;
}

static char *dump(const json_t *j)
{
    char *s = json_dumps(j, JSON_ENCODE_ANY | JSON_COMPACT | JSON_REAL_PRECISION(17));
    return s ? s : strdup("?");
}

/* ---- the comparison --------------------------------------------------------------- */

typedef struct run {
    gnv_table *t;
    batches all;  /* every row */
    batches head; /* the first VALUE_ROWS rows */
    int mismatches, checked, errors_agreed;
    int inconsistent; /* the table API disagrees with the expr module */
    int accepted;     /* mismatches listed in accepted_differences.txt */
    const char *only;
    json_t *accept; /* "filter\tEXPR" / "value\tEXPR" -> true once used */
    FILE *list;     /* GNV_EXPR_LIST_MISMATCHES: the mismatches, in accepted_differences form */
} run;

static void
mismatch(run *r, const char *kind, const char *text, const char *ours, const char *theirs)
{
    char key[4200];
    snprintf(key, sizeof key, "%.*s\t%s", (int)strcspn(kind, " "), kind, text);
    json_t *a = json_object_get(r->accept, key);
    if (a) {
        json_object_set_new(r->accept, key, json_true());
        r->accepted++;
        printf("ACCEPTED %s: %s\n    ours:    %s\n    LanceDB: %s\n", kind, text, ours, theirs);
        return;
    }
    r->mismatches++;
    printf("MISMATCH %s: %s\n    ours:    %s\n    LanceDB: %s\n", kind, text, ours, theirs);
    if (r->list)
        fprintf(r->list, "%.*s: %s\n", (int)strcspn(kind, " "), kind, text);
}

static void list_ids(gnv_buf *out, const uint8_t *bits, const uint8_t *other, int max)
{
    int n = 0;
    for (int64_t i = 0; i < N_ROWS && n < max; i++)
        if ((bits[i / 8] >> (i % 8) & 1) && !(other[i / 8] >> (i % 8) & 1)) {
            gnv__buf_printf(out, "%s%" PRId64, n ? "," : "", i);
            n++;
        }
    if (n == 0)
        gnv__buf_puts(out, "none");
}

/* What one way of applying a filter gave: an error, or a count and the ids. */
typedef struct outcome {
    char *err; /* owned, or NULL */
    int64_t count;
    uint8_t ids[(N_ROWS + 7) / 8];
} outcome;

static void add_id(outcome *o, int64_t id)
{
    assert_true(id >= 0 && id < N_ROWS);
    o->ids[id / 8] |= (uint8_t)(1u << (id % 8));
}

/* The expr module over the scanned batches. */
static void filter_expr(outcome *o, run *r, const char *text)
{
    gnv_buf sel = GNV_BUF_INIT;
    gnv_expr *e = prepare(text, &r->all.schema, &o->err);
    int64_t idcol = column_index(&r->all.schema, "id");
    for (int64_t b = 0; e && b < r->all.n; b++) {
        int64_t n = 0;
        gnv__buf_clear(&sel);
        if (gnv__expr_filter(&sel, &n, e, &r->all.schema, &r->all.arrays[b]) != GNV_OK) {
            o->err = strdup(last_message());
            break;
        }
        const int64_t *idx = (const int64_t *)sel.ptr;
        for (int64_t k = 0; k < n; k++)
            add_id(o, id_at(&r->all.arrays[b], idcol, idx[k]));
        o->count += n;
    }
    gnv__expr_free(e);
    gnv_buf_dispose(&sel);
}

/* gnv_table_scan() with `where` (the ids), as LanceDB's query().where(). */
static void filter_scan(outcome *o, run *r, const char *text)
{
    static const char *const cols[] = {"id"};
    struct ArrowArrayStream s = {0};
    gnv_scan_options so = GNV_SCAN_OPTIONS_INIT;
    so.columns = cols;
    so.n_columns = 1;
    so.batch_rows = 300;
    so.where = text;
    if (gnv_table_scan(r->t, &so, &s) != GNV_OK) {
        o->err = strdup(last_message());
        return;
    }
    for (;;) {
        struct ArrowArray a;
        int rc = gnv__stream_next(&s, &a);
        if (rc == GNV_ITEROVER)
            break;
        if (rc != GNV_OK) {
            o->err = strdup(last_message());
            break;
        }
        for (int64_t i = 0; i < a.length; i++)
            add_id(o, id_at(&a, 0, i));
        o->count += a.length;
        gnv__array_release(&a);
    }
    gnv__stream_release(&s);
}

static void
outcome_text(gnv_buf *out, const outcome *o, const outcome *other, const char *other_name)
{
    if (o->err) {
        gnv__buf_puts(out, o->err);
        return;
    }
    gnv__buf_printf(out, "%" PRId64 " rows", o->count);
    if (other && !other->err) {
        gnv__buf_printf(out, "; ids not in %s: ", other_name);
        list_ids(out, o->ids, other->ids, 12);
    }
}

static bool outcome_same(const outcome *a, const outcome *b)
{
    if (a->err || b->err)
        return a->err && b->err;
    return a->count == b->count && memcmp(a->ids, b->ids, sizeof a->ids) == 0;
}

static void check_filter(run *r, const char *text, const json_t *exp)
{
    outcome ours = {0}, theirs = {0}, scanned = {0}, counted = {0};
    gnv_buf a = GNV_BUF_INIT, t = GNV_BUF_INIT;
    const char *want_err = json_string_value(json_object_get(exp, "error"));
    if (want_err) {
        theirs.err = strdup(want_err);
    } else {
        const char *hex = json_string_value(json_object_get(exp, "ids"));
        theirs.count = (int64_t)json_number_value(json_object_get(exp, "count"));
        if (!hex || strlen(hex) != 2 * sizeof theirs.ids)
            fail_msg("expected.jsonl: bad ids of '%s'", text);
        for (size_t k = 0; k < sizeof theirs.ids; k++) {
            unsigned v;
            sscanf(hex + 2 * k, "%2x", &v);
            theirs.ids[k] = (uint8_t)v;
        }
    }
    filter_expr(&ours, r, text);
    r->checked++;
    if (!outcome_same(&ours, &theirs)) {
        outcome_text(&a, &ours, &theirs, "LanceDB's");
        outcome_text(&t, &theirs, &ours, "ours");
        mismatch(r, "filter", text, a.ptr, t.ptr);
    } else if (ours.err) {
        r->errors_agreed++;
    }
    /* The table API must agree with the expr module (whether or not LanceDB does). */
    filter_scan(&scanned, r, text);
    if (gnv_table_count_rows_where(r->t, text, &counted.count) != GNV_OK)
        counted.err = strdup(last_message());
    else if (!ours.err)
        memcpy(counted.ids, ours.ids, sizeof ours.ids); /* counts only */
    if (!outcome_same(&scanned, &ours)) {
        gnv__buf_clear(&a);
        gnv__buf_clear(&t);
        outcome_text(&a, &scanned, &ours, "the filter's");
        outcome_text(&t, &ours, &scanned, "the scan's");
        r->inconsistent++;
        printf("INCONSISTENT gnv_table_scan(where) and gnv__expr_filter: %s\n"
               "    scan:   %s\n    filter: %s\n",
               text, a.ptr, t.ptr);
    }
    if (!outcome_same(&counted, &ours)) {
        gnv__buf_clear(&a);
        gnv__buf_clear(&t);
        outcome_text(&a, &counted, NULL, NULL);
        outcome_text(&t, &ours, NULL, NULL);
        r->inconsistent++;
        printf("INCONSISTENT gnv_table_count_rows_where and gnv__expr_filter: %s\n"
               "    count:  %s\n    filter: %s\n",
               text, a.ptr, t.ptr);
    }
    free(ours.err);
    free(theirs.err);
    free(scanned.err);
    free(counted.err);
    gnv_buf_dispose(&a);
    gnv_buf_dispose(&t);
}

static void check_value(run *r, const char *text, const json_t *exp)
{
    const char *want_err = json_string_value(json_object_get(exp, "error"));
    char *err = NULL;
    json_t *got = json_array();
    gnv_buf type = GNV_BUF_INIT, msg = GNV_BUF_INIT;
    struct ArrowSchema rs = {0};
    gnv_expr *e = prepare(text, &r->head.schema, &err);
    if (e) {
        if (gnv__expr_result_schema(&rs, e, "v") != GNV_OK ||
            gnv__type_to_string(&type, &rs) != GNV_OK)
            err = strdup(last_message());
    }
    for (int64_t b = 0; e && !err && b < r->head.n; b++) {
        struct ArrowArray out = {0};
        gnv_array_view v;
        if (gnv__expr_eval(&out, e, &r->head.schema, &r->head.arrays[b]) != GNV_OK) {
            err = strdup(last_message());
            break;
        }
        if (gnv__array_validate(&rs, &out, true) != GNV_OK ||
            out.length != r->head.arrays[b].length) {
            err = strdup("the result is not a valid array of the batch's length");
            gnv__array_release(&out);
            break;
        }
        GNV_ASSERT_OK(gnv__array_view_init(&v, &rs, &out));
        for (int64_t i = 0; i < out.length; i++)
            json_array_append_new(got, value_json(&v, i));
        gnv__array_view_reset(&v);
        gnv__array_release(&out);
    }
    r->checked++;
    if (want_err || err) {
        if (want_err && err)
            r->errors_agreed++;
        else
            mismatch(r, "value", text, err ? err : "(no error)",
                     want_err ? want_err : "(no error)");
        goto done;
    }
    const char *want_type = json_string_value(json_object_get(exp, "type"));
    const json_t *want = json_object_get(exp, "values");
    if (!want_type || !json_is_array(want))
        fail_msg("expected.jsonl: bad entry for '%s'", text);
    if (strcmp(type.ptr, want_type) != 0) {
        mismatch(r, "value type", text, type.ptr, want_type);
        goto done;
    }
    if (json_array_size(got) != json_array_size(want)) {
        gnv__buf_printf(&msg, "%zu rows", json_array_size(got));
        char t[32];
        snprintf(t, sizeof t, "%zu rows", json_array_size(want));
        mismatch(r, "value", text, msg.ptr, t);
        goto done;
    }
    int shown = 0, bad = 0;
    for (size_t i = 0; i < json_array_size(want); i++) {
        if (json_close(json_array_get(got, i), json_array_get(want, i)))
            continue;
        bad++;
        if (shown < 3) {
            char *a = dump(json_array_get(got, i)), *t = dump(json_array_get(want, i));
            gnv__buf_printf(&msg, "%sid %zu: ours %s, LanceDB %s", shown ? "; " : "", i, a, t);
            free(a);
            free(t);
            shown++;
        }
    }
    if (bad) {
        char head[64];
        snprintf(head, sizeof head, "%d of %zu rows differ", bad, json_array_size(want));
        mismatch(r, "value", text, head, msg.ptr);
    }
done:
    json_decref(got);
    gnv__expr_free(e);
    free(err);
    if (rs.release)
        gnv__schema_release(&rs);
    gnv_buf_dispose(&type);
    gnv_buf_dispose(&msg);
}

static const char *expr_dir(void)
{
    static char path[1024];
    const char *base = getenv("GNV_TEST_DATA");
    snprintf(path, sizeof path, "%s/../expr", base ? base : "tests/data");
    return path;
}

/* accepted_differences.txt: "filter: EXPR" / "value: EXPR" lines, '#' comments. */
static json_t *load_accepted(void)
{
    char path[1100], line[4096];
    json_t *acc = json_object();
    snprintf(path, sizeof path, "%s/accepted_differences.txt", expr_dir());
    FILE *f = fopen(path, "r");
    if (!f)
        return acc;
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = 0;
        if (line[0] == 0 || line[0] == '#')
            continue;
        char *colon = strstr(line, ": ");
        if (!colon || (strncmp(line, "filter", 6) != 0 && strncmp(line, "value", 5) != 0))
            fail_msg("%s: expected 'filter: EXPR' or 'value: EXPR', found '%s'", path, line);
        char key[4200];
        snprintf(key, sizeof key, "%.*s\t%s", (int)(colon - line), line, colon + 2);
        json_object_set_new(acc, key, json_false());
    }
    fclose(f);
    return acc;
}

/* Every expression of filters.txt / values.txt must have an expectation. */
static int check_listed(const char *file, const char *kind, json_t *seen)
{
    char path[1100], line[4096];
    int missing = 0;
    snprintf(path, sizeof path, "%s/%s", expr_dir(), file);
    FILE *f = fopen(path, "r");
    if (!f)
        fail_msg("cannot open %s", path);
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = 0;
        if (line[0] == 0 || line[0] == '#')
            continue;
        char key[4200];
        snprintf(key, sizeof key, "%s\t%s", kind, line);
        if (!json_object_get(seen, key)) {
            printf("STALE: %s '%s' of %s is not in the expectations "
                   "(regenerate them: tests/expr/README.md)\n",
                   kind, line, file);
            missing++;
        }
    }
    fclose(f);
    return missing;
}

static void test_expr_diff(void **state)
{
    (void)state;
    run r = {0};
    char *dir = gnv_test_tmpdir();
    gnv_db *db = NULL;
    gnv_table *t = NULL;
    GNV_ASSERT_OK(make_table(dir));
    GNV_ASSERT_OK(gnv_db_open(&db, dir, NULL));
    GNV_ASSERT_OK(gnv_db_open_table(&t, db, TABLE_NAME));
    r.t = t;
    scan(&r.all, t, -1);
    scan(&r.head, t, VALUE_ROWS);
    r.only = getenv("GNV_EXPR_ONLY");
    r.accept = load_accepted();
    const char *list = getenv("GNV_EXPR_LIST_MISMATCHES");
    if (list && !(r.list = fopen(list, "w")))
        fail_msg("cannot create %s", list);

    char path[1100];
    const char *exp_path = getenv("GNV_EXPR_EXPECTED");
    if (!exp_path) {
        snprintf(path, sizeof path, "%s/expected.jsonl", expr_dir());
        exp_path = path;
    }
    FILE *f = fopen(exp_path, "r");
    if (!f)
        fail_msg("cannot open %s", exp_path);
    json_t *seen = json_object();
    char *line = NULL;
    size_t cap = 0;
    int lineno = 0;
    while (getline(&line, &cap, f) > 0) {
        json_error_t jerr;
        lineno++;
        json_t *j = json_loads(line, JSON_DECODE_INT_AS_REAL, &jerr); /* floats like 1e20 */
        if (!j)
            fail_msg("%s:%d: %s", exp_path, lineno, jerr.text);
        const char *kind = json_string_value(json_object_get(j, "kind"));
        const char *text = json_string_value(json_object_get(j, "expr"));
        if (!kind || !text)
            fail_msg("%s:%d: no kind or expr", exp_path, lineno);
        char key[4200];
        snprintf(key, sizeof key, "%s\t%s", kind, text);
        json_object_set_new(seen, key, json_true());
        if (r.only && !strstr(text, r.only)) {
            json_decref(j);
            continue;
        }
        if (strcmp(kind, "filter") == 0)
            check_filter(&r, text, j);
        else if (strcmp(kind, "value") == 0)
            check_value(&r, text, j);
        else
            fail_msg("%s:%d: unknown kind '%s'", exp_path, lineno, kind);
        json_decref(j);
    }
    free(line);
    fclose(f);
    int stale = 0;
    if (!r.only && !getenv("GNV_EXPR_EXPECTED")) {
        stale += check_listed("filters.txt", "filter", seen);
        stale += check_listed("values.txt", "value", seen);
    }
    json_decref(seen);
    if (!r.only) {
        const char *key;
        json_t *used;
        json_object_foreach(r.accept, key, used)
        {
            if (!json_is_true(used))
                printf("NOTE: accepted difference '%s' no longer differs: remove it from "
                       "accepted_differences.txt\n",
                       key);
        }
    }
    json_decref(r.accept);
    if (r.list)
        fclose(r.list);
    printf("%d expressions checked: %d agree with LanceDB (%d of them errors on both sides), "
           "%d differ, %d accepted differences; the table API disagrees with the expr module "
           "on %d\n",
           r.checked, r.checked - r.mismatches - r.accepted, r.errors_agreed, r.mismatches,
           r.accepted, r.inconsistent);
    batches_free(&r.all);
    batches_free(&r.head);
    gnv_table_close(t);
    gnv_db_close(db);
    gnv_test_rmdir(dir);
    if (r.checked == 0)
        fail_msg("no expressions in %s", exp_path);
    if (stale)
        fail_msg("%d expressions lack expectations", stale);
    if (r.mismatches || r.inconsistent)
        fail_msg("%d of %d expressions differ from LanceDB; %d filters are inconsistent",
                 r.mismatches, r.checked, r.inconsistent);
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "--make-table") == 0) {
        if (make_table(argv[2]) != GNV_OK) {
            fprintf(stderr, "test_expr_diff: %s\n", last_message());
            return 1;
        }
        return 0;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_expr_diff),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
