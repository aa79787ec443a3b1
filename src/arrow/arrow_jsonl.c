/* JSON Lines import as an Arrow stream.
 *
 * One JSON object per line (LF or CRLF; blank lines skipped; a UTF-8 BOM skipped),
 * each parsed with jansson. The schema is inferred from the first infer_rows objects:
 * the union of their keys in first-seen order; objects become structs (the union of
 * their keys, recursively), arrays lists of the inferred item type; integers int64,
 * reals float64 (integers and reals together: float64), strings utf8 (strings that
 * look like dates stay utf8 unless overridden), booleans bool. null, empty arrays and
 * keys seen only with null say nothing: such values default to utf8. Incompatible
 * values for one key (a string here, an object there) are an error naming the key path
 * and both lines. Top-level columns named in the type overrides are not inferred; they
 * take the given type (nested types included). An overridden utf8 column also accepts
 * non-string values, stored as their compact JSON text; binary columns take base64
 * strings; date32 and timestamp columns take the CSV text forms or integers.
 *
 * Later objects must fit the schema: keys missing from a line are NULL, a key never
 * seen during inference is an error (increase infer_rows), a value of another type is
 * an error naming the line and key path. An empty input gives a stream with an empty
 * schema and no batches.
 */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "arrow.h"

#define DEFAULT_BATCH_ROWS 65536
#define DEFAULT_INFER_ROWS 10000
#define MAX_DEPTH          64

/* ---- line source ---------------------------------------------------------- */

typedef struct jrow {
    json_t *obj;
    int64_t line;
} jrow;

typedef struct jsonl {
    gnv_source s;
    char *name;
    gnv_buf text;    /* the current line */
    int64_t line_no; /* physical line of `text` */
    int64_t batch_rows, infer_rows;
    struct ArrowSchema schema;
    bool *lenient; /* per top-level column: overridden */
    jrow *buffered;
    int64_t n_buffered, next_buffered;
    bool at_end;
    int failed;
    char errmsg[1024];
} jsonl;

/* Next line into j->text (without its line end). GNV_ITEROVER at the end. */
static int read_line(jsonl *j)
{
    gnv_source *s = &j->s;
    bool any = false;
    gnv__buf_clear(&j->text);
    for (;;) {
        if (s->pos == s->len) {
            if (s->eof)
                break;
            GNV_TRY(gnv__source_fill(s));
            continue;
        }
        any = true;
        const uint8_t *start = s->buf + s->pos;
        const uint8_t *nl = memchr(start, '\n', s->len - s->pos);
        size_t n = nl ? (size_t)(nl - start) : s->len - s->pos;
        GNV_TRY(gnv__buf_put(&j->text, start, n));
        s->pos += n + (nl ? 1 : 0);
        if (nl)
            break;
    }
    if (!any)
        return GNV_ITEROVER;
    j->line_no++;
    if (j->text.size > 0 && j->text.ptr[j->text.size - 1] == '\r')
        j->text.size--;
    if (j->line_no == 1 && j->text.size >= 3 && memcmp(j->text.ptr, "\xEF\xBB\xBF", 3) == 0) {
        memmove(j->text.ptr, j->text.ptr + 3, j->text.size - 3);
        j->text.size -= 3;
    }
    return GNV_OK;
}

static bool blank(const gnv_buf *b)
{
    for (size_t i = 0; i < b->size; i++)
        if (b->ptr[i] != ' ' && b->ptr[i] != '\t' && b->ptr[i] != '\r')
            return false;
    return true;
}

static const char *json_kind_name(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        return "an object";
    case JSON_ARRAY:
        return "an array";
    case JSON_STRING:
        return "a string";
    case JSON_INTEGER:
        return "an integer";
    case JSON_REAL:
        return "a real number";
    case JSON_TRUE:
    case JSON_FALSE:
        return "a boolean";
    default:
        return "null";
    }
}

/* The next non-blank line parsed as an object. */
static int next_object(jsonl *j, jrow *out)
{
    int rc;
    do {
        rc = read_line(j);
        if (rc < 0)
            return rc;
    } while (blank(&j->text));
    json_error_t err;
    json_t *v = json_loadb(j->text.ptr ? j->text.ptr : "", j->text.size, JSON_DECODE_ANY, &err);
    if (!v)
        return gnv__error_set(GNV_EINVAL, GNV_SUB_IMPORT,
                              "%s: line %lld: invalid JSON: %s "
                              "(at character %d)",
                              j->name, (long long)j->line_no, err.text, err.position + 1);
    if (!json_is_object(v)) {
        rc = gnv__error_set(GNV_EINVAL, GNV_SUB_IMPORT,
                            "%s: line %lld: expected a JSON object, found %s", j->name,
                            (long long)j->line_no, json_kind_name(v));
        json_decref(v);
        return rc;
    }
    out->obj = v;
    out->line = j->line_no;
    return GNV_OK;
}

/* ---- inference ------------------------------------------------------------ */

typedef enum jkind { J_NONE = 0, J_INT, J_REAL, J_STR, J_BOOL, J_OBJ, J_ARR } jkind;

typedef struct jnode {
    jkind kind;
    int64_t line; /* where kind was first seen */
    bool fixed;   /* overridden: not inferred */
    char **names; /* object keys, first-seen order */
    struct jnode **fields;
    int64_t n, cap;
    struct jnode *item; /* array items */
} jnode;

static void node_free(jnode *n)
{
    if (!n)
        return;
    for (int64_t i = 0; i < n->n; i++) {
        gnv__free(n->names[i]);
        node_free(n->fields[i]);
    }
    gnv__free(n->names);
    gnv__free(n->fields);
    node_free(n->item);
    gnv__free(n);
}

static const char *kind_name(jkind k)
{
    static const char *names[] = {"null",      "an integer", "a real number", "a string",
                                  "a boolean", "an object",  "an array"};
    return names[k];
}

static jkind kind_of(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        return J_OBJ;
    case JSON_ARRAY:
        return J_ARR;
    case JSON_STRING:
        return J_STR;
    case JSON_INTEGER:
        return J_INT;
    case JSON_REAL:
        return J_REAL;
    case JSON_TRUE:
    case JSON_FALSE:
        return J_BOOL;
    default:
        return J_NONE;
    }
}

/* The child node for key (created at the end when new); hint speeds up keys that come
 * in the same order on every line. */
static int node_field(jnode *n, const char *key, int64_t *hint, jnode **out)
{
    int64_t h = *hint;
    if (h < n->n && strcmp(n->names[h], key) == 0) {
        *out = n->fields[h];
        *hint = h + 1;
        return GNV_OK;
    }
    for (int64_t i = 0; i < n->n; i++) {
        if (strcmp(n->names[i], key) == 0) {
            *out = n->fields[i];
            *hint = i + 1;
            return GNV_OK;
        }
    }
    if (n->n == n->cap) {
        int64_t ncap = n->cap ? n->cap * 2 : 8;
        char **nn = gnv__reallocarray(n->names, (size_t)ncap, sizeof *nn);
        if (!nn)
            return gnv__error_oom();
        n->names = nn;
        jnode **nf = gnv__reallocarray(n->fields, (size_t)ncap, sizeof *nf);
        if (!nf)
            return gnv__error_oom();
        n->fields = nf;
        n->cap = ncap;
    }
    n->names[n->n] = gnv__strdup(key);
    if (!n->names[n->n])
        return gnv__error_oom();
    n->fields[n->n] = gnv__calloc(1, sizeof(jnode));
    if (!n->fields[n->n]) {
        gnv__free(n->names[n->n]);
        return gnv__error_oom();
    }
    *out = n->fields[n->n++];
    *hint = n->n;
    return GNV_OK;
}

static const char *path_str(const gnv_buf *path)
{
    return path->size ? path->ptr : "";
}

/* Add a path segment (".key" or "[]"); returns the old size to restore. */
static int path_push(gnv_buf *path, const char *seg, bool dot, size_t *old)
{
    *old = path->size;
    if (dot && path->size)
        GNV_TRY(gnv__buf_putc(path, '.'));
    GNV_TRY(gnv__buf_puts(path, seg));
    return GNV_OK;
}

static void path_pop(gnv_buf *path, size_t old)
{
    path->size = old;
    if (path->ptr)
        path->ptr[old] = '\0';
}

static int infer_value(jsonl *j, jnode *n, const json_t *v, gnv_buf *path, int64_t line, int depth);

static int
infer_object(jsonl *j, jnode *n, const json_t *obj, gnv_buf *path, int64_t line, int depth)
{
    const char *key;
    json_t *val;
    int64_t hint = 0;
    json_object_foreach((json_t *)obj, key, val)
    {
        jnode *child;
        size_t old;
        GNV_TRY(node_field(n, key, &hint, &child));
        if (child->fixed)
            continue;
        GNV_TRY(path_push(path, key, true, &old));
        GNV_TRY(infer_value(j, child, val, path, line, depth + 1));
        path_pop(path, old);
    }
    return GNV_OK;
}

static int infer_value(jsonl *j, jnode *n, const json_t *v, gnv_buf *path, int64_t line, int depth)
{
    jkind k = kind_of(v);
    if (k == J_NONE)
        return GNV_OK;
    if (depth > MAX_DEPTH)
        return gnv__error_set(GNV_EINVAL, GNV_SUB_IMPORT,
                              "%s: line %lld: field '%s' is nested too deeply", j->name,
                              (long long)line, path_str(path));
    if (n->kind == J_NONE) {
        n->kind = k;
        n->line = line;
    } else if ((n->kind == J_INT && k == J_REAL) || (n->kind == J_REAL && k == J_INT)) {
        n->kind = J_REAL;
    } else if (n->kind != k) {
        return gnv__error_set(GNV_EINVAL, GNV_SUB_IMPORT,
                              "%s: line %lld: field '%s' is %s here but %s on line %lld; "
                              "override its type with --types",
                              j->name, (long long)line, path_str(path), kind_name(k),
                              kind_name(n->kind), (long long)n->line);
    }
    if (k == J_OBJ)
        return infer_object(j, n, v, path, line, depth);
    if (k == J_ARR) {
        size_t i, old;
        json_t *item;
        if (!n->item) {
            n->item = gnv__calloc(1, sizeof(jnode));
            if (!n->item)
                return gnv__error_oom();
        }
        GNV_TRY(path_push(path, "[]", false, &old));
        json_array_foreach((json_t *)v, i, item)
            GNV_TRY(infer_value(j, n->item, item, path, line, depth + 1));
        path_pop(path, old);
    }
    return GNV_OK;
}

/* The schema of an inferred node. */
static int node_schema(struct ArrowSchema *out, const jnode *n, const char *name)
{
    static const char *formats[] = {"u", "l", "g", "u", "b", "+s", "+l"};
    GNV_TRY(gnv__schema_init(out, formats[n->kind], name, ARROW_FLAG_NULLABLE));
    int rc = GNV_OK;
    if (n->kind == J_OBJ) {
        GNV_TRYG(gnv__schema_alloc_children(out, n->n));
        for (int64_t i = 0; i < n->n; i++)
            GNV_TRYG(node_schema(out->children[i], n->fields[i], n->names[i]));
    } else if (n->kind == J_ARR) {
        static const jnode none = {0};
        GNV_TRYG(gnv__schema_alloc_children(out, 1));
        GNV_TRYG(node_schema(out->children[0], n->item ? n->item : &none, "item"));
    }
done:
    if (rc < 0)
        gnv__schema_release(out);
    return rc;
}

/* Read up to infer_rows objects, infer, apply overrides: sets j->schema. */
static int jsonl_prepare(jsonl *j, const gnv_read_options *opts)
{
    int rc = GNV_OK;
    gnv_type_overrides ov = {0};
    gnv_buf path = GNV_BUF_INIT;
    jnode *root = gnv__calloc(1, sizeof *root);
    GNV_CHECK_ALLOC(root);
    root->kind = J_OBJ;
    GNV_TRYG(gnv__type_overrides_parse(&ov, opts ? opts->types : NULL));
    j->buffered = gnv__calloc((size_t)j->infer_rows, sizeof *j->buffered);
    GNV_CHECK_ALLOC(j->buffered);
    while (j->n_buffered < j->infer_rows) {
        jrow row;
        rc = next_object(j, &row);
        if (rc == GNV_ITEROVER) {
            j->at_end = true;
            rc = GNV_OK;
            break;
        }
        if (rc < 0)
            goto done;
        j->buffered[j->n_buffered++] = row;
        /* top-level keys that are overridden are only registered, never inferred */
        const char *key;
        json_t *val;
        int64_t hint = 0;
        json_object_foreach(row.obj, key, val)
        {
            jnode *child;
            GNV_TRYG(node_field(root, key, &hint, &child));
            if (!child->fixed && child->kind == J_NONE && !child->line) {
                child->line = row.line;
                child->fixed = gnv__type_overrides_find(&ov, key) != NULL;
            }
        }
        GNV_TRYG(infer_object(j, root, row.obj, &path, row.line, 0));
    }
    GNV_TRYG(gnv__schema_init(&j->schema, "+s", "", 0));
    GNV_TRYG(gnv__schema_alloc_children(&j->schema, root->n));
    j->lenient = gnv__calloc((size_t)root->n + 1, sizeof *j->lenient);
    GNV_CHECK_ALLOC(j->lenient);
    for (int64_t i = 0; i < root->n; i++) {
        const struct ArrowSchema *o = gnv__type_overrides_find(&ov, root->names[i]);
        if (o) {
            GNV_TRYG(gnv__schema_copy(j->schema.children[i], o));
            j->lenient[i] = true;
        } else {
            GNV_TRYG(node_schema(j->schema.children[i], root->fields[i], root->names[i]));
        }
    }
    GNV_TRYG(gnv__type_overrides_check_used(&ov, j->name));
done:
    node_free(root);
    gnv__type_overrides_free(&ov);
    gnv_buf_dispose(&path);
    return rc;
}

/* ---- conversion ----------------------------------------------------------- */

static int mismatch(const jsonl *j,
                    int64_t line,
                    const gnv_buf *path,
                    const struct ArrowSchema *s,
                    const json_t *v,
                    const char *why)
{
    gnv_buf t = GNV_BUF_INIT;
    char *text = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
    int rc = gnv__type_to_string(&t, s);
    if (rc == GNV_OK)
        rc = gnv__error_set(GNV_EINVAL, GNV_SUB_IMPORT,
                            "%s: line %lld: field '%s': expected %s, found %s %.60s%s%s; "
                            "override the type with --types",
                            j->name, (long long)line, path_str(path), t.ptr, json_kind_name(v),
                            text ? text : "", text && strlen(text) > 60 ? "..." : "", why);
    gnv_buf_dispose(&t);
    gnv__free(text); /* jansson allocates through gnv__malloc (gnv__json_setup) */
    return rc;
}

static int b64val(int c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+' || c == '-')
        return 62;
    if (c == '/' || c == '_')
        return 63;
    return -1;
}

/* Decode base64 (standard or URL alphabet, padding optional). false when invalid. */
static bool base64_decode(gnv_buf *out, const char *s, size_t n, int *rc)
{
    uint32_t acc = 0;
    int bits = 0;
    *rc = GNV_OK;
    gnv__buf_clear(out);
    while (n > 0 && s[n - 1] == '=')
        n--;
    for (size_t i = 0; i < n; i++) {
        int v = b64val((unsigned char)s[i]);
        if (v < 0)
            return false;
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            *rc = gnv__buf_putc(out, (char)((acc >> bits) & 0xFF));
            if (*rc < 0)
                return false;
        }
    }
    return bits < 6;
}

static int append_value(jsonl *j,
                        struct ArrowArray *a,
                        const struct ArrowSchema *s,
                        const json_t *v,
                        gnv_buf *path,
                        int64_t line,
                        bool lenient);

/* Append obj's fields to the struct array a (children match s's children). */
static int append_object(jsonl *j,
                         struct ArrowArray *a,
                         const struct ArrowSchema *s,
                         const json_t *obj,
                         gnv_buf *path,
                         int64_t line,
                         bool *lenient_cols,
                         bool lenient)
{
    size_t found = 0, old;
    for (int64_t i = 0; i < s->n_children; i++) {
        const struct ArrowSchema *c = s->children[i];
        json_t *v = json_object_get(obj, c->name);
        found += v != NULL;
        GNV_TRY(path_push(path, c->name, true, &old));
        GNV_TRY(append_value(j, a->children[i], c, v, path, line,
                             lenient_cols ? lenient_cols[i] : lenient));
        path_pop(path, old);
    }
    if (found < json_object_size(obj)) {
        const char *key;
        json_t *val;
        json_object_foreach((json_t *)obj, key, val)
        {
            bool known = false;
            for (int64_t i = 0; i < s->n_children && !known; i++)
                known = strcmp(s->children[i]->name, key) == 0;
            if (!known) {
                GNV_TRY(path_push(path, key, true, &old));
                return gnv__error_set(GNV_EINVAL, GNV_SUB_IMPORT,
                                      "%s: line %lld: field '%s' was not seen in the first "
                                      "%lld lines used to infer the schema; increase "
                                      "infer_rows (--infer-rows) or give its type with --types",
                                      j->name, (long long)line, path_str(path),
                                      (long long)j->infer_rows);
            }
        }
    }
    return gnv__array_finish_element(a);
}

static int append_string_like(jsonl *j,
                              struct ArrowArray *a,
                              const struct ArrowSchema *s,
                              const gnv_type *t,
                              const json_t *v,
                              gnv_buf *path,
                              int64_t line,
                              bool lenient)
{
    if (t->id == GNV_TYPE_STRING || t->id == GNV_TYPE_LARGE_STRING) {
        if (json_is_string(v))
            return gnv__array_append_bytes(a, json_string_value(v), json_string_length(v));
        if (!lenient)
            return mismatch(j, line, path, s, v, "");
        char *text = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
        if (!text)
            return gnv__error_oom();
        int rc = gnv__array_append_bytes(a, text, strlen(text));
        gnv__free(text);
        return rc;
    }
    /* binary types: base64 text */
    if (!json_is_string(v))
        return mismatch(j, line, path, s, v, " (binary values are base64 strings)");
    gnv_buf bytes = GNV_BUF_INIT;
    int rc;
    if (!base64_decode(&bytes, json_string_value(v), json_string_length(v), &rc)) {
        if (rc == GNV_OK)
            rc = mismatch(j, line, path, s, v, " (not valid base64)");
    } else if (t->id == GNV_TYPE_FIXED_SIZE_BINARY && bytes.size != (size_t)t->fixed_size) {
        rc = mismatch(j, line, path, s, v, " (wrong length)");
    } else {
        rc = gnv__array_append_bytes(a, bytes.ptr ? bytes.ptr : "", bytes.size);
    }
    gnv_buf_dispose(&bytes);
    return rc;
}

static int append_list(jsonl *j,
                       struct ArrowArray *a,
                       const struct ArrowSchema *s,
                       const gnv_type *t,
                       const json_t *v,
                       gnv_buf *path,
                       int64_t line,
                       bool lenient)
{
    size_t i, old;
    json_t *item;
    if (!json_is_array(v))
        return mismatch(j, line, path, s, v, "");
    if (t->id == GNV_TYPE_FIXED_SIZE_LIST && json_array_size(v) != (size_t)t->fixed_size)
        return mismatch(j, line, path, s, v, " (wrong number of items)");
    GNV_TRY(path_push(path, "[]", false, &old));
    json_array_foreach((json_t *)v, i, item)
        GNV_TRY(append_value(j, a->children[0], s->children[0], item, path, line, lenient));
    path_pop(path, old);
    return gnv__array_finish_element(a);
}

static int append_value(jsonl *j,
                        struct ArrowArray *a,
                        const struct ArrowSchema *s,
                        const json_t *v,
                        gnv_buf *path,
                        int64_t line,
                        bool lenient)
{
    const gnv_type *t = gnv__array_type(a);
    int64_t iv;
    int32_t day;
    bool tz;
    int rc;
    if (!v || json_is_null(v))
        return gnv__array_append_null(a, 1);
    switch (t->id) {
    case GNV_TYPE_INT8:
    case GNV_TYPE_UINT8:
    case GNV_TYPE_INT16:
    case GNV_TYPE_UINT16:
    case GNV_TYPE_INT32:
    case GNV_TYPE_UINT32:
    case GNV_TYPE_INT64:
    case GNV_TYPE_UINT64:
        if (!json_is_integer(v))
            return mismatch(j, line, path, s, v, "");
        rc = gnv__array_append_int(a, json_integer_value(v));
        return rc == GNV_EINVAL ? mismatch(j, line, path, s, v, " (out of range)") : rc;
    case GNV_TYPE_HALF_FLOAT:
    case GNV_TYPE_FLOAT:
    case GNV_TYPE_DOUBLE:
        if (!json_is_number(v))
            return mismatch(j, line, path, s, v, "");
        return gnv__array_append_double(a, json_number_value(v));
    case GNV_TYPE_BOOL:
        if (!json_is_boolean(v))
            return mismatch(j, line, path, s, v, "");
        return gnv__array_append_bool(a, json_is_true(v));
    case GNV_TYPE_DATE32:
        if (json_is_integer(v)) {
            rc = gnv__array_append_int(a, json_integer_value(v));
            return rc == GNV_EINVAL ? mismatch(j, line, path, s, v, " (out of range)") : rc;
        }
        if (!json_is_string(v) ||
            !gnv__parse_date32(json_string_value(v), json_string_length(v), &day))
            return mismatch(j, line, path, s, v, " (dates are \"YYYY-MM-DD\")");
        return gnv__array_append_int(a, day);
    case GNV_TYPE_TIMESTAMP:
        if (json_is_integer(v))
            return gnv__array_append_int(a, json_integer_value(v));
        if (!json_is_string(v) || !gnv__parse_timestamp(json_string_value(v), json_string_length(v),
                                                        t->unit, true, &iv, &tz))
            return mismatch(j, line, path, s, v,
                            " (timestamps are \"YYYY-MM-DD HH:MM:SS[.ffffff][Z|+HH:MM]\")");
        return gnv__array_append_int(a, iv);
    case GNV_TYPE_STRING:
    case GNV_TYPE_LARGE_STRING:
    case GNV_TYPE_BINARY:
    case GNV_TYPE_LARGE_BINARY:
    case GNV_TYPE_FIXED_SIZE_BINARY:
        return append_string_like(j, a, s, t, v, path, line, lenient);
    case GNV_TYPE_LIST:
    case GNV_TYPE_LARGE_LIST:
    case GNV_TYPE_FIXED_SIZE_LIST:
        return append_list(j, a, s, t, v, path, line, lenient);
    case GNV_TYPE_STRUCT:
        if (!json_is_object(v))
            return mismatch(j, line, path, s, v, "");
        return append_object(j, a, s, v, path, line, NULL, lenient);
    default:
        return gnv__error_set(GNV_EINVAL, GNV_SUB_IMPORT,
                              "%s: field '%s': type %s cannot be read from JSON", j->name,
                              path_str(path), gnv__type_id_name(t->id));
    }
}

static int next_row(jsonl *j, jrow *row)
{
    if (j->next_buffered < j->n_buffered) {
        *row = j->buffered[j->next_buffered];
        j->buffered[j->next_buffered++].obj = NULL;
        return GNV_OK;
    }
    if (j->at_end)
        return GNV_ITEROVER;
    int rc = next_object(j, row);
    if (rc == GNV_ITEROVER)
        j->at_end = true;
    return rc;
}

static int jsonl_get_next(void *self, struct ArrowArray *out)
{
    jsonl *j = self;
    int rc = GNV_OK;
    int64_t rows = 0;
    jrow row = {0};
    gnv_buf path = GNV_BUF_INIT;
    if (j->failed)
        return gnv__error_set(j->failed, GNV_SUB_IMPORT, "%s", j->errmsg);
    GNV_TRYG(gnv__array_init(out, &j->schema));
    while (rows < j->batch_rows) {
        rc = next_row(j, &row);
        if (rc == GNV_ITEROVER)
            break;
        if (rc < 0)
            goto done;
        gnv__buf_clear(&path);
        GNV_TRYG(append_object(j, out, &j->schema, row.obj, &path, row.line, j->lenient, false));
        json_decref(row.obj);
        row.obj = NULL;
        rows++;
    }
    if (rows == 0) {
        gnv__array_release(out);
        gnv_buf_dispose(&path);
        return GNV_ITEROVER;
    }
    rc = gnv__array_finish(out);
done:
    json_decref(row.obj);
    gnv_buf_dispose(&path);
    if (rc < 0 && rc != GNV_ITEROVER) {
        gnv__array_release(out);
        const gnv_error *e = gnv_error_last();
        j->failed = rc;
        snprintf(j->errmsg, sizeof j->errmsg, "%s", e && e->message ? e->message : "error");
    }
    return rc;
}

static int jsonl_get_schema(void *self, struct ArrowSchema *out)
{
    jsonl *j = self;
    return gnv__schema_copy(out, &j->schema);
}

static void jsonl_free(void *self)
{
    jsonl *j = self;
    if (!j)
        return;
    gnv__source_close(&j->s);
    gnv__free(j->name);
    gnv_buf_dispose(&j->text);
    gnv__schema_release(&j->schema);
    gnv__free(j->lenient);
    if (j->buffered)
        for (int64_t i = 0; i < j->n_buffered; i++)
            json_decref(j->buffered[i].obj);
    gnv__free(j->buffered);
    gnv__free(j);
}

static const gnv_stream_impl jsonl_impl = {jsonl_get_schema, jsonl_get_next, jsonl_free};

static int jsonl_new(jsonl **out, const char *name, const gnv_read_options *opts)
{
    gnv__json_setup();
    jsonl *j = gnv__calloc(1, sizeof *j);
    *out = j;
    if (!j)
        return gnv__error_oom();
    j->name = gnv__strdup(name ? name : "<memory>");
    if (!j->name)
        return gnv__error_oom();
    j->batch_rows = opts && opts->batch_rows > 0 ? opts->batch_rows : DEFAULT_BATCH_ROWS;
    j->infer_rows = opts && opts->infer_rows > 0 ? opts->infer_rows : DEFAULT_INFER_ROWS;
    return GNV_OK;
}

static int jsonl_start(struct ArrowArrayStream *out, jsonl *j, const gnv_read_options *opts)
{
    int rc = jsonl_prepare(j, opts);
    if (rc < 0) {
        jsonl_free(j);
        return rc;
    }
    return gnv__stream_init(out, &jsonl_impl, j);
}

/* Open a reader over a file (path) or a copy of memory (data, size); `name` is used in
 * messages. */
static int open_source(struct ArrowArrayStream *out,
                       const char *name,
                       const char *path,
                       const void *data,
                       size_t size,
                       const gnv_read_options *opts)
{
    jsonl *j;
    memset(out, 0, sizeof *out);
    int rc = jsonl_new(&j, name, opts);
    if (rc == GNV_OK)
        rc = path ? gnv__source_open_path(&j->s, j->name)
                  : gnv__source_open_memory(&j->s, data, size, j->name);
    if (rc < 0) {
        jsonl_free(j);
        return rc;
    }
    return jsonl_start(out, j, opts);
}

int gnv__jsonl_open_path(struct ArrowArrayStream *out,
                         const char *path,
                         const gnv_read_options *opts)
{
    return open_source(out, path, path, NULL, 0, opts);
}

int gnv__jsonl_open_memory(struct ArrowArrayStream *out,
                           const void *data,
                           size_t size,
                           const char *name,
                           const gnv_read_options *opts)
{
    return open_source(out, name, NULL, data, size, opts);
}
