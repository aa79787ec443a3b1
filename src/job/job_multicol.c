/*
 * Multi-column UDFs: a function with a struct output adds one sibling column per field
 * (gnv_table_add_udf_columns), managed as a group; a backfill of any member computes
 * the function once per batch and writes all the group's columns (job_backfill.c uses
 * the helpers here).
 */
#include <jansson.h>
#include <string.h>

#include "io/io.h"
#include "job.h"
#include "udf/udf.h"

void gnv__multicol_free(gnv__multicol *g)
{
    if (!g)
        return;
    for (size_t i = 0; i < g->n_columns; i++)
        gnv__free(g->columns[i]);
    gnv__free(g->columns);
    gnv__free(g);
}

static int64_t child_index(const struct ArrowSchema *s, const char *name)
{
    for (int64_t i = 0; i < s->n_children; i++)
        if (s->children[i]->name && !strcmp(s->children[i]->name, name))
            return i;
    return -1;
}

/* The "columns" of a definition that gnv__udf_coldef_parse accepted (NULL when there
 * is none: a single column). */
static int group_of_json(gnv__multicol **out, const char *text, int32_t len, const char *column)
{
    int rc = GNV_OK;
    json_error_t jerr;
    gnv__multicol *g = NULL;
    *out = NULL;
    gnv__json_setup();
    /* the text parsed before: a failure now, or two parses that differ (jansson may drop
     * a character when an allocation fails), is out of memory */
    json_t *root = json_loadb(text, (size_t)len, 0, &jerr);
    json_t *again = json_loadb(text, (size_t)len, 0, &jerr);
    bool agree = root && again && json_equal(root, again);
    if (again)
        json_decref(again);
    GNV_ERR_IF(!agree || !json_is_object(root), GNV_ENOMEM, GNV_SUB_JOB, "out of memory");
    json_t *cols = json_object_get(root, "columns");
    if (!cols)
        goto done;
    size_t n = json_array_size(cols);
    GNV_ERR_IF(!json_is_array(cols) || n == 0, GNV_EINVAL, GNV_SUB_JOB,
               "column '%s': \"columns\" of its %s definition is not a list of column names",
               column, GNV_UDF_METADATA_KEY);
    g = gnv__calloc(1, sizeof *g);
    GNV_CHECK_ALLOC(g);
    g->columns = gnv__calloc(n, sizeof *g->columns);
    GNV_CHECK_ALLOC(g->columns);
    bool member = false;
    for (size_t i = 0; i < n; i++) {
        json_t *s = json_array_get(cols, i);
        GNV_ERR_IF(!json_is_string(s), GNV_EINVAL, GNV_SUB_JOB,
                   "column '%s': entry %zu of \"columns\" of its definition is not a string",
                   column, i);
        g->columns[i] = gnv__strdup(json_string_value(s));
        GNV_CHECK_ALLOC(g->columns[i]);
        g->n_columns = i + 1;
        member |= !strcmp(g->columns[i], column);
    }
    GNV_ERR_IF(!member, GNV_EINVAL, GNV_SUB_JOB,
               "column '%s': its definition names a group of columns without it", column);
    *out = g;
    g = NULL;
done:
    if (root)
        json_decref(root);
    gnv__multicol_free(g);
    return rc;
}

int gnv__multicol_of(gnv__multicol **out,
                     struct ArrowSchema *field,
                     const gnv_table *t,
                     const char *column)
{
    int rc = GNV_OK;
    struct ArrowSchema schema = {0}, grouped = {0};
    gnv__multicol *g = NULL;
    gnv__udf_coldef first = {0}, other = {0};
    *out = NULL;
    GNV_TRYG(gnv_table_schema(t, &schema));
    int64_t k = child_index(&schema, column);
    GNV_ERR_IF(k < 0, GNV_ENOTFOUND, GNV_SUB_JOB, "table '%s' has no column '%s'", t->name, column);
    const char *v = NULL;
    int32_t vlen = 0;
    if (!schema.children[k]->metadata ||
        !gnv__metadata_get(schema.children[k]->metadata, GNV_UDF_METADATA_KEY, &v, &vlen))
        goto done; /* not virtual: the caller says so */
    GNV_TRYG(gnv__udf_coldef_parse(&first, v, (size_t)vlen, column));
    GNV_TRYG(group_of_json(&g, v, vlen, column));
    if (!g)
        goto done;
    /* every member is there, a virtual column of the same function and group */
    GNV_TRYG(gnv__schema_init(&grouped, "+s", column, ARROW_FLAG_NULLABLE));
    GNV_TRYG(gnv__schema_alloc_children(&grouped, (int64_t)g->n_columns));
    for (size_t i = 0; i < g->n_columns; i++) {
        const char *name = g->columns[i];
        int64_t c = child_index(&schema, name);
        GNV_ERR_IF(c < 0, GNV_ENOTFOUND, GNV_SUB_JOB,
                   "column '%s': column '%s' of its multi-column group is no longer in table '%s'",
                   column, name, t->name);
        const char *w = NULL;
        int32_t wlen = 0;
        GNV_ERR_IF(
            !schema.children[c]->metadata ||
                !gnv__metadata_get(schema.children[c]->metadata, GNV_UDF_METADATA_KEY, &w, &wlen),
            GNV_EINVAL, GNV_SUB_JOB,
            "column '%s': column '%s' of its multi-column group is not a virtual column", column,
            name);
        GNV_TRYG(gnv__udf_coldef_parse(&other, w, (size_t)wlen, name));
        GNV_ERR_IF(strcmp(other.function, first.function) || strcmp(other.library, first.library),
                   GNV_EINVAL, GNV_SUB_JOB,
                   "column '%s': column '%s' of its multi-column group has another function",
                   column, name);
        gnv__udf_coldef_reset(&other);
        GNV_TRYG(gnv__schema_copy(grouped.children[i], schema.children[c]));
    }
    gnv__schema_release(field);
    gnv__schema_move(&grouped, field);
    *out = g;
    g = NULL;
done:
    gnv__udf_coldef_reset(&first);
    gnv__udf_coldef_reset(&other);
    gnv__multicol_free(g);
    gnv__schema_release(&grouped);
    gnv__schema_release(&schema);
    return rc;
}

int gnv__multicol_where(char **out, const gnv__multicol *g)
{
    gnv_buf b = GNV_BUF_INIT;
    int rc = GNV_OK;
    for (size_t i = 0; rc == GNV_OK && i < g->n_columns; i++) {
        rc = gnv__buf_puts(&b, i ? " OR \"" : "\"");
        for (const char *p = g->columns[i]; rc == GNV_OK && *p; p++)
            rc = *p == '"' ? gnv__buf_puts(&b, "\"\"") : gnv__buf_putc(&b, *p);
        if (rc == GNV_OK)
            rc = gnv__buf_puts(&b, "\" IS NULL");
    }
    if (rc == GNV_OK)
        *out = gnv__buf_detach(&b, NULL);
    gnv_buf_dispose(&b);
    return rc;
}

int gnv__multicol_split(struct ArrowArray *out,
                        const struct ArrowSchema *field,
                        const struct ArrowArray *values,
                        int64_t rows)
{
    int rc = GNV_OK;
    gnv_array_view view = {0};
    bool has_view = false;
    int64_t n = field->n_children;
    struct ArrowArray *cols = gnv__calloc((size_t)(n ? n : 1), sizeof *cols);
    GNV_CHECK_ALLOC(cols);
    GNV_TRYG(gnv__array_view_init(&view, field, values));
    has_view = true;
    for (int64_t c = 0; c < n; c++) {
        GNV_TRYG(gnv__array_init(&cols[c], field->children[c]));
        GNV_TRYG(gnv__array_reserve(&cols[c], rows));
        for (int64_t i = 0; i < rows; i++) {
            if (gnv__view_is_null(&view, i))
                GNV_TRYG(gnv__array_append_null(&cols[c], 1));
            else
                GNV_TRYG(gnv__array_append_view(&cols[c], &view.children[c], i, 1));
        }
        GNV_TRYG(gnv__array_finish(&cols[c]));
    }
    rc = gnv__struct_of(out, cols, n, rows);
    n = 0; /* moved in, or released on failure */
done:
    if (has_view)
        gnv__array_view_reset(&view);
    for (int64_t c = 0; cols && c < n; c++)
        gnv__array_release(&cols[c]);
    gnv__free(cols);
    return rc;
}

/* ---- adding a group ---------------------------------------------------------------- */

/* The input columns bound to fn's parameters (names point into inputs or schema). */
static int bind_inputs(const char ***out,
                       size_t *n_out,
                       const gnv_table *t,
                       const struct ArrowSchema *schema,
                       const gnv_udf_function *fn,
                       const char *const *inputs,
                       size_t n_inputs)
{
    int rc = GNV_OK;
    int64_t np = gnv_udf_function_param_count(fn);
    int kind = gnv_udf_function_kind(fn);
    bool whole = kind == GNV_UDF_RECORD_BATCH && np == 0;
    size_t n = inputs ? n_inputs : (size_t)np;
    const char **names = NULL;
    if (whole) {
        GNV_ERR_IF(inputs && n_inputs > 0, GNV_EINVAL, GNV_SUB_JOB,
                   "function '%s' takes the whole record batch: give it no input columns",
                   gnv_udf_function_name(fn));
        n = (size_t)schema->n_children;
    } else {
        GNV_ERR_IF((int64_t)n != np, GNV_EINVAL, GNV_SUB_JOB,
                   "function '%s' takes %lld parameters but %zu input columns were given",
                   gnv_udf_function_name(fn), (long long)np, n);
    }
    names = gnv__calloc(n ? n : 1, sizeof *names);
    GNV_CHECK_ALLOC(names);
    for (size_t i = 0; i < n; i++) {
        if (whole) {
            names[i] = schema->children[i]->name;
            continue;
        }
        const struct ArrowSchema *p = gnv_udf_function_param(fn, (int64_t)i);
        names[i] = inputs ? inputs[i] : p->name;
        GNV_ERR_IF(!names[i], GNV_EINVAL, GNV_SUB_JOB, "input %zu is NULL", i);
        int64_t k = child_index(schema, names[i]);
        GNV_ERR_IF(k < 0, GNV_ENOTFOUND, GNV_SUB_JOB,
                   "table '%s' has no column '%s' (input of parameter '%s' of function '%s')",
                   t->name, names[i], p->name, gnv_udf_function_name(fn));
        if (!gnv__same_type(schema->children[k], p)) {
            gnv_buf a = GNV_BUF_INIT, b = GNV_BUF_INIT;
            int r1 = gnv__type_to_string(&a, schema->children[k]);
            int r2 = gnv__type_to_string(&b, p);
            rc = gnv__error_set(GNV_EINVAL, GNV_SUB_JOB,
                                "column '%s' is %s but parameter '%s' of function '%s' is %s",
                                names[i], r1 == GNV_OK ? a.ptr : "?", p->name,
                                gnv_udf_function_name(fn), r2 == GNV_OK ? b.ptr : "?");
            gnv_buf_dispose(&a);
            gnv_buf_dispose(&b);
            goto done;
        }
    }
    *out = names;
    *n_out = n;
    names = NULL;
done:
    gnv__free(names);
    return rc;
}

/* A prefix may not contain '.' (a nested path) nor control characters. */
static int check_prefix(const char *prefix)
{
    for (const char *p = prefix; *p; p++)
        if (*p == '.' || (unsigned char)*p < 0x20 || *p == 0x7f)
            return gnv__error_set(
                GNV_EINVAL, GNV_SUB_JOB, "bad column prefix '%s': character %zu is %s", prefix,
                (size_t)(p - prefix) + 1, *p == '.' ? "'.'" : "a control character");
    return GNV_OK;
}

int gnv_table_add_udf_columns(gnv_table *t,
                              const gnv_udf_function *fn,
                              const char *const *inputs,
                              size_t n_inputs,
                              const char *prefix)
{
    int rc = GNV_OK;
    struct ArrowSchema schema = {0}, cols = {0};
    gnv_buf type = GNV_BUF_INIT, meta = GNV_BUF_INIT, name = GNV_BUF_INIT;
    json_t *def = NULL, *jin = NULL, *jcols = NULL;
    char *json = NULL;
    const char **names = NULL;
    size_t n = 0;

    GNV_ERR_IF(!t || !fn, GNV_EINVAL, GNV_SUB_JOB,
               "gnv_table_add_udf_columns: table and function are required");
    if (!prefix)
        prefix = "";
    GNV_ERR_IF(t->read_only, GNV_EINVAL, GNV_SUB_JOB,
               "table '%s' is a read-only checkout of version %llu", t->name,
               (unsigned long long)gnv_table_version(t));
    GNV_TRYG(check_prefix(prefix));
    const struct ArrowSchema *outs = gnv_udf_function_output(fn);
    GNV_ERR_IF(strcmp(outs->format, "+s") != 0 || outs->n_children == 0, GNV_EINVAL, GNV_SUB_JOB,
               "function '%s' does not return a struct (not a multi-column UDF): add it with "
               "gnv_table_add_udf_column()",
               gnv_udf_function_name(fn));
    GNV_TRYG(gnv_table_schema(t, &schema));
    GNV_TRYG(bind_inputs(&names, &n, t, &schema, fn, inputs, n_inputs));

    /* the group's column names */
    gnv__json_setup();
    jcols = json_array();
    GNV_CHECK_ALLOC(jcols);
    for (int64_t c = 0; c < outs->n_children; c++) {
        const char *f = outs->children[c]->name ? outs->children[c]->name : "";
        gnv__buf_clear(&name);
        GNV_TRYG(gnv__buf_printf(&name, "%s%s", prefix, f));
        GNV_ERR_IF(!*f || !strcmp(name.ptr, "_rowid") || !strcmp(name.ptr, "_rowaddr"), GNV_EINVAL,
                   GNV_SUB_JOB,
                   "function '%s': output field %lld gives the bad column name '%s' (empty or "
                   "reserved)",
                   gnv_udf_function_name(fn), (long long)c, name.ptr);
        GNV_ERR_IF(child_index(&schema, name.ptr) >= 0, GNV_EEXISTS, GNV_SUB_JOB,
                   "table '%s' already has a column '%s' (output field '%s' of function '%s')",
                   t->name, name.ptr, f, gnv_udf_function_name(fn));
        for (int64_t d = 0; d < c; d++)
            GNV_ERR_IF(outs->children[d]->name && !strcmp(outs->children[d]->name, f), GNV_EINVAL,
                       GNV_SUB_JOB, "function '%s' has two output fields named '%s'",
                       gnv_udf_function_name(fn), f);
        GNV_ERR_IF(json_array_append_new(jcols, json_string(name.ptr)) != 0, GNV_ENOMEM,
                   GNV_SUB_JOB, "out of memory");
    }

    /* the common definition */
    GNV_TRYG(gnv__type_to_string(&type, outs));
    char lib[80];
    snprintf(lib, sizeof lib, "%s.so", gnv_udf_library_sha256(fn->lib));
    jin = json_array();
    GNV_CHECK_ALLOC(jin);
    for (size_t i = 0; i < n; i++)
        GNV_ERR_IF(json_array_append_new(jin, json_string(names[i])) != 0, GNV_ENOMEM, GNV_SUB_JOB,
                   "out of memory");
    def = json_pack("{s:s, s:s, s:s, s:s, s:O, s:s, s:O}", "function", gnv_udf_function_name(fn),
                    "version", gnv_udf_function_version(fn), "library", lib, "kind",
                    gnv__udf_kind_name(gnv_udf_function_kind(fn)), "inputs", jin, "output",
                    type.ptr, "columns", jcols);
    GNV_CHECK_ALLOC(def);

    /* the columns: each field's type, nullable, named, with the definition + its field */
    GNV_TRYG(gnv__schema_init(&cols, "+s", "", 0));
    GNV_TRYG(gnv__schema_alloc_children(&cols, outs->n_children));
    for (int64_t c = 0; c < outs->n_children; c++) {
        GNV_ERR_IF(json_object_set_new(def, "field", json_string(outs->children[c]->name)) != 0,
                   GNV_ENOMEM, GNV_SUB_JOB, "out of memory");
        gnv__free(json);
        json = NULL;
        GNV_TRYG(gnv__json_dumps_checked(&json, def));
        GNV_TRYG(gnv__schema_copy(cols.children[c], outs->children[c]));
        GNV_TRYG(gnv__schema_set_name(cols.children[c],
                                      json_string_value(json_array_get(jcols, (size_t)c))));
        cols.children[c]->flags |= ARROW_FLAG_NULLABLE;
        const char *keys[] = {GNV_UDF_METADATA_KEY};
        const char *vals[] = {json};
        gnv__buf_clear(&meta);
        GNV_TRYG(gnv__metadata_build(&meta, keys, vals, 1));
        GNV_TRYG(gnv__schema_set_metadata(cols.children[c], meta.ptr));
    }

    /* everything is valid: keep the library, then commit the columns in one version */
    GNV_TRYG(gnv__udf_store_library(t, fn->lib));
    rc = gnv__table_add_null_columns(t, &cols);
done:
    if (jin)
        json_decref(jin);
    if (jcols)
        json_decref(jcols);
    if (def)
        json_decref(def);
    gnv__free(json);
    gnv__free(names);
    gnv__schema_release(&schema);
    gnv__schema_release(&cols);
    gnv_buf_dispose(&type);
    gnv_buf_dispose(&meta);
    gnv_buf_dispose(&name);
    return rc;
}
