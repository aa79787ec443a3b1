/*
 * Virtual UDF columns: validating and adding one (gnv_table_add_udf_column), and
 * reading a column's definition back from its field metadata.
 */
#include <jansson.h>
#include <string.h>

#include "io/io.h"
#include "job.h"
#include "udf/udf.h"

void gnv__udf_coldef_reset(gnv__udf_coldef *d)
{
    if (!d)
        return;
    gnv__free(d->function);
    gnv__free(d->version);
    gnv__free(d->library);
    gnv__free(d->output);
    for (size_t i = 0; i < d->n_inputs; i++)
        gnv__free(d->inputs[i]);
    gnv__free(d->inputs);
    gnv__policy_reset(&d->on_error);
    memset(d, 0, sizeof *d);
}

static int dup_member(char **out, json_t *obj, const char *key, const char *column)
{
    json_t *v = json_object_get(obj, key);
    if (!json_is_string(v))
        return gnv__error_set(GNV_EINVAL, GNV_SUB_JOB,
                              "column '%s': its %s definition lacks the string \"%s\"", column,
                              GNV_UDF_METADATA_KEY, key);
    *out = gnv__strdup(json_string_value(v));
    return *out ? GNV_OK : gnv__error_oom();
}

int gnv__udf_coldef_parse(gnv__udf_coldef *out, const char *json, size_t len, const char *column)
{
    int rc = GNV_OK;
    json_error_t jerr;
    memset(out, 0, sizeof *out);
    gnv__json_setup();
    /* jansson's lexer does not report every failed allocation: it may give a syntax
     * error or drop a character of a string. Two parses that agree are the text's. */
    json_t *root = json_loadb(json, len, 0, &jerr);
    json_t *again = json_loadb(json, len, 0, &jerr);
    bool agree = root && again && json_equal(root, again);
    if (again)
        json_decref(again);
    if (root && !agree) {
        json_decref(root);
        root = NULL;
        GNV_ERR_IF(true, GNV_ENOMEM, GNV_SUB_JOB, "out of memory");
    }
    if (!root) { /* bad text gives the same error twice */
        root = json_loadb(json, len, 0, &jerr);
        GNV_ERR_IF(root, GNV_ENOMEM, GNV_SUB_JOB, "out of memory");
    }
    GNV_ERR_IF(!root && (json_error_code(&jerr) == json_error_out_of_memory || !jerr.text[0]),
               GNV_ENOMEM, GNV_SUB_JOB, "out of memory");
    GNV_ERR_IF(!root || !json_is_object(root), GNV_EINVAL, GNV_SUB_JOB,
               "column '%s': its %s definition is not a JSON object (%s)", column,
               GNV_UDF_METADATA_KEY, root ? "another JSON value" : jerr.text);
    GNV_TRYG(dup_member(&out->function, root, "function", column));
    GNV_TRYG(dup_member(&out->version, root, "version", column));
    GNV_TRYG(dup_member(&out->library, root, "library", column));
    GNV_TRYG(dup_member(&out->output, root, "output", column));
    GNV_ERR_IF(strchr(out->library, '/') || strstr(out->library, ".."), GNV_EINVAL, GNV_SUB_JOB,
               "column '%s': bad library name '%s' in its definition", column, out->library);
    json_t *in = json_object_get(root, "inputs");
    GNV_ERR_IF(!json_is_array(in), GNV_EINVAL, GNV_SUB_JOB,
               "column '%s': its %s definition lacks the array \"inputs\"", column,
               GNV_UDF_METADATA_KEY);
    size_t n = json_array_size(in);
    out->inputs = gnv__calloc(n ? n : 1, sizeof *out->inputs);
    GNV_CHECK_ALLOC(out->inputs);
    for (size_t i = 0; i < n; i++) {
        json_t *s = json_array_get(in, i);
        GNV_ERR_IF(!json_is_string(s), GNV_EINVAL, GNV_SUB_JOB,
                   "column '%s': input %zu of its definition is not a string", column, i);
        out->inputs[i] = gnv__strdup(json_string_value(s));
        GNV_CHECK_ALLOC(out->inputs[i]);
        out->n_inputs = i + 1;
    }
    json_t *pol = json_object_get(root, "on_error");
    if (pol) {
        GNV_TRYG(gnv__policy_parse(&out->on_error, pol, column));
        out->has_on_error = true;
    }
done:
    if (root)
        json_decref(root);
    if (rc < 0)
        gnv__udf_coldef_reset(out);
    return rc;
}

/* The child of a struct schema named `name`, or -1. */
static int64_t child_index(const struct ArrowSchema *s, const char *name)
{
    for (int64_t i = 0; i < s->n_children; i++)
        if (s->children[i]->name && !strcmp(s->children[i]->name, name))
            return i;
    return -1;
}

int gnv__udf_coldef_of(gnv__udf_coldef *out,
                       struct ArrowSchema *field_out,
                       const gnv_table *t,
                       const char *column)
{
    int rc = GNV_OK;
    struct ArrowSchema schema = {0};
    memset(out, 0, sizeof *out);
    GNV_TRYG(gnv_table_schema(t, &schema));
    int64_t k = child_index(&schema, column);
    GNV_ERR_IF(k < 0, GNV_ENOTFOUND, GNV_SUB_JOB, "table '%s' has no column '%s'", t->name, column);
    const char *v = NULL;
    int32_t vlen = 0;
    GNV_ERR_IF(!schema.children[k]->metadata || !gnv__metadata_get(schema.children[k]->metadata,
                                                                   GNV_UDF_METADATA_KEY, &v, &vlen),
               GNV_EINVAL, GNV_SUB_JOB,
               "column '%s' of table '%s' is not a virtual column (no %s field metadata)", column,
               t->name, GNV_UDF_METADATA_KEY);
    GNV_TRYG(gnv__udf_coldef_parse(out, v, (size_t)vlen, column));
    if (field_out)
        GNV_TRYG(gnv__schema_copy(field_out, schema.children[k]));
done:
    gnv__schema_release(&schema);
    return rc;
}

bool gnv__same_type(const struct ArrowSchema *a, const struct ArrowSchema *b)
{
    if (strcmp(a->format, b->format) != 0 || a->n_children != b->n_children)
        return false;
    for (int64_t i = 0; i < a->n_children; i++)
        if (!gnv__same_type(a->children[i], b->children[i]))
            return false;
    return true;
}

const char *gnv__udf_kind_name(int kind)
{
    switch (kind) {
    case GNV_UDF_ROW:
        return "row";
    case GNV_UDF_ARRAY:
        return "array";
    default:
        return "record_batch";
    }
}

/* Copy the library to the table's `_geneva/udfs/<sha256>.so` unless it is there,
 * checking that its bytes are still those that were loaded. */
static int store_library(gnv_table *t, const gnv_udf_library *lib)
{
    int rc = GNV_OK;
    gnv_buf data = GNV_BUF_INIT, rel = GNV_BUF_INIT;
    uint8_t digest[32];
    char hex[65];
    uint64_t size;
    const char *sha = gnv_udf_library_sha256(lib);
    GNV_TRYG(gnv__buf_printf(&rel, "%s/%s/%s.so", t->dir, GNV__UDF_DIR, sha));
    rc = t->io->vt->stat(t->io, rel.ptr, &size);
    if (rc == GNV_OK)
        goto done; /* content-addressed: the same bytes are there */
    if (rc != GNV_ENOTFOUND)
        goto done;
    gnv_error_clear();
    GNV_TRYG(gnv__read_file(&data, gnv_udf_library_path(lib), GNV_SUB_JOB));
    GNV_TRYG(gnv__sha256(digest, data.ptr ? data.ptr : "", data.size));
    gnv__hex(hex, digest, 32);
    GNV_ERR_IF(strcmp(hex, sha) != 0, GNV_ECORRUPT, GNV_SUB_JOB,
               "UDF library '%s' changed since it was loaded", gnv_udf_library_path(lib));
    rc = gnv__io_write_all(t->io, rel.ptr, data.ptr ? data.ptr : "", data.size, GNV_IO_NOREPLACE);
    if (rc == GNV_EEXISTS) { /* stored concurrently: the same bytes */
        gnv_error_clear();
        rc = GNV_OK;
    }
done:
    gnv_buf_dispose(&data);
    gnv_buf_dispose(&rel);
    return rc;
}

int gnv__udf_store_library(gnv_table *t, const gnv_udf_library *lib)
{
    return store_library(t, lib);
}

/* "column 'c' is T but <what> is U" (GNV_EINVAL). */
static int type_mismatch(const char *column,
                         const struct ArrowSchema *ct,
                         const char *what,
                         const char *fname,
                         const struct ArrowSchema *ft)
{
    gnv_buf a = GNV_BUF_INIT, b = GNV_BUF_INIT;
    int r1 = gnv__type_to_string(&a, ct);
    int r2 = gnv__type_to_string(&b, ft);
    int rc =
        gnv__error_set(GNV_EINVAL, GNV_SUB_JOB, "column '%s' is %s but %s of function '%s' is %s",
                       column, r1 == GNV_OK ? a.ptr : "?", what, fname, r2 == GNV_OK ? b.ptr : "?");
    gnv_buf_dispose(&a);
    gnv_buf_dispose(&b);
    return rc;
}

int gnv__udf_check_binding(const gnv_table *t,
                           const char *column,
                           const struct ArrowSchema *coltype,
                           const gnv_udf_function *fn,
                           const char *const *inputs,
                           size_t n_inputs)
{
    int rc = GNV_OK;
    struct ArrowSchema schema = {0};
    const char *fname = gnv_udf_function_name(fn);
    GNV_TRYG(gnv_table_schema(t, &schema));
    if (coltype && !gnv__same_type(coltype, gnv_udf_function_output(fn))) {
        rc = type_mismatch(column, coltype, "the output", fname, gnv_udf_function_output(fn));
        goto done;
    }
    int64_t np = gnv_udf_function_param_count(fn);
    bool whole = gnv_udf_function_kind(fn) == GNV_UDF_RECORD_BATCH && np == 0;
    GNV_ERR_IF(!whole && (int64_t)n_inputs != np, GNV_EINVAL, GNV_SUB_JOB,
               "column '%s': function '%s' takes %lld parameters but the column has %zu input "
               "columns",
               column, fname, (long long)np, n_inputs);
    for (size_t i = 0; i < n_inputs; i++) {
        GNV_ERR_IF(!inputs[i], GNV_EINVAL, GNV_SUB_JOB, "input %zu is NULL", i);
        int64_t k = child_index(&schema, inputs[i]);
        GNV_ERR_IF(k < 0, GNV_ENOTFOUND, GNV_SUB_JOB,
                   "table '%s' has no column '%s' (input %zu of function '%s')", t->name, inputs[i],
                   i, fname);
        if (whole)
            continue;
        const struct ArrowSchema *p = gnv_udf_function_param(fn, (int64_t)i);
        if (!gnv__same_type(schema.children[k], p)) {
            char what[300];
            snprintf(what, sizeof what, "parameter '%s'", p->name ? p->name : "?");
            rc = type_mismatch(inputs[i], schema.children[k], what, fname, p);
            goto done;
        }
    }
done:
    gnv__schema_release(&schema);
    return rc;
}

int gnv_table_alter_udf_column(gnv_table *t,
                               const char *column,
                               const gnv_udf_function *fn,
                               const char *const *inputs,
                               size_t n_inputs)
{
    int rc = GNV_OK;
    gnv__udf_coldef def = {0};
    struct ArrowSchema field = {0};
    const char *vlen_src = NULL;
    int32_t vlen = 0;
    json_t *root = NULL, *again = NULL, *jin = NULL;
    char *json = NULL;
    Gnvpb__Field **fields = NULL;
    Gnvpb__BytesEntry **md = NULL;
    Gnvpb__Field copy;
    Gnvpb__BytesEntry entry;
    json_error_t jerr;

    GNV_ERR_IF(!t || !column || !fn || (!inputs && n_inputs), GNV_EINVAL, GNV_SUB_JOB,
               "gnv_table_alter_udf_column: table, column and function are required");
    GNV_ERR_IF(t->read_only, GNV_EINVAL, GNV_SUB_JOB,
               "table '%s' is a read-only checkout of version %llu", t->name,
               (unsigned long long)gnv_table_version(t));
    GNV_TRYG(gnv_table_checkout_latest(t));
    GNV_TRYG(gnv__udf_coldef_of(&def, &field, t, column));
    const char *const *names = inputs ? inputs : (const char *const *)def.inputs;
    size_t n = inputs ? n_inputs : def.n_inputs;
    GNV_TRYG(gnv__udf_check_binding(t, column, &field, fn, names, n));

    /* the new definition: the old one (its policy, kind...) with the function's members */
    GNV_ERR_IF(!gnv__metadata_get(field.metadata, GNV_UDF_METADATA_KEY, &vlen_src, &vlen),
               GNV_EINVAL, GNV_SUB_JOB, "column '%s' is not a virtual column", column);
    gnv__json_setup();
    /* parsed before (gnv__udf_coldef_of): a failure here, or two parses that differ
     * (jansson may drop a character when an allocation fails), is out of memory */
    root = json_loadb(vlen_src, (size_t)vlen, 0, &jerr);
    again = json_loadb(vlen_src, (size_t)vlen, 0, &jerr);
    GNV_ERR_IF(!root || !again || !json_is_object(root) || !json_equal(root, again), GNV_ENOMEM,
               GNV_SUB_JOB, "out of memory");
    jin = json_array();
    GNV_CHECK_ALLOC(jin);
    for (size_t i = 0; i < n; i++)
        GNV_ERR_IF(json_array_append_new(jin, json_string(names[i])) != 0, GNV_ENOMEM, GNV_SUB_JOB,
                   "out of memory");
    char lib[80];
    snprintf(lib, sizeof lib, "%s.so", gnv_udf_library_sha256(fn->lib));
    GNV_ERR_IF(
        json_object_set_new(root, "function", json_string(gnv_udf_function_name(fn))) ||
            json_object_set_new(root, "version", json_string(gnv_udf_function_version(fn))) ||
            json_object_set_new(root, "library", json_string(lib)) ||
            json_object_set_new(root, "kind",
                                json_string(gnv__udf_kind_name(gnv_udf_function_kind(fn)))) ||
            json_object_set(root, "inputs", jin),
        GNV_ENOMEM, GNV_SUB_JOB, "out of memory");
    GNV_TRYG(gnv__json_dumps_checked(&json, root));

    /* the schema with the field's metadata entry replaced (a Project commit) */
    size_t nf = t->m->n_fields;
    fields = gnv__calloc(nf ? nf : 1, sizeof *fields);
    GNV_CHECK_ALLOC(fields);
    ssize_t k = -1;
    for (size_t i = 0; i < nf; i++) {
        fields[i] = t->m->fields[i];
        if (k < 0 && fields[i]->parent_id == -1 && fields[i]->name &&
            !strcmp(fields[i]->name, column))
            k = (ssize_t)i;
    }
    GNV_ERR_IF(k < 0, GNV_ENOTFOUND, GNV_SUB_JOB, "table '%s' has no column '%s'", t->name, column);
    copy = *fields[k];
    md = gnv__calloc(copy.n_metadata + 1, sizeof *md);
    GNV_CHECK_ALLOC(md);
    gnvpb__bytes_entry__init(&entry);
    entry.key = (char *)GNV_UDF_METADATA_KEY;
    entry.value.data = (uint8_t *)json;
    entry.value.len = strlen(json);
    entry.has_value = true;
    size_t m = 0;
    bool put = false;
    for (size_t i = 0; i < copy.n_metadata; i++) {
        if (copy.metadata[i]->key && !strcmp(copy.metadata[i]->key, GNV_UDF_METADATA_KEY)) {
            if (!put)
                md[m++] = &entry;
            put = true;
        } else {
            md[m++] = copy.metadata[i];
        }
    }
    if (!put)
        md[m++] = &entry;
    copy.metadata = md;
    copy.n_metadata = m;
    fields[k] = &copy;

    /* everything is valid: keep the library, then commit the schema */
    GNV_TRYG(store_library(t, fn->lib));
    gnv__commit c = {0};
    c.op = GNV__OP_PROJECT;
    c.fields = fields;
    c.n_fields = nf;
    rc = gnv__table_commit(t, &c);
done:
    if (jin)
        json_decref(jin);
    if (root)
        json_decref(root);
    if (again)
        json_decref(again);
    gnv__free(json);
    gnv__free(md);
    gnv__free(fields);
    gnv__schema_release(&field);
    gnv__udf_coldef_reset(&def);
    return rc;
}

static bool reserved_name(const char *name)
{
    return !strcmp(name, "_rowid") || !strcmp(name, "_rowaddr");
}

int gnv_table_add_udf_column(gnv_table *t,
                             const char *name,
                             const gnv_udf_function *fn,
                             const char *const *inputs,
                             size_t n_inputs)
{
    return gnv_table_add_udf_column_v2(t, name, fn, inputs, n_inputs, NULL);
}

int gnv_table_add_udf_column_v2(gnv_table *t,
                                const char *name,
                                const gnv_udf_function *fn,
                                const char *const *inputs,
                                size_t n_inputs,
                                const gnv_on_error *on_error)
{
    int rc = GNV_OK;
    struct ArrowSchema schema = {0}, cols = {0};
    gnv_buf type = GNV_BUF_INIT, meta = GNV_BUF_INIT;
    json_t *def = NULL, *jin = NULL;
    void *jpol = NULL;
    char *json = NULL;
    const char **names = NULL;
    gnv__policy pol = {0};

    GNV_ERR_IF(!t || !name || !fn, GNV_EINVAL, GNV_SUB_JOB,
               "gnv_table_add_udf_column: table, name and function are required");
    if (on_error) {
        char what[300];
        snprintf(what, sizeof what, "column '%s'", name);
        GNV_TRYG(gnv__policy_from(&pol, on_error, what));
    }
    GNV_ERR_IF(t->read_only, GNV_EINVAL, GNV_SUB_JOB,
               "table '%s' is a read-only checkout of version %llu", t->name,
               (unsigned long long)gnv_table_version(t));
    GNV_ERR_IF(!*name || reserved_name(name), GNV_EINVAL, GNV_SUB_JOB,
               "bad column name '%s' (empty or reserved)", name);
    GNV_TRYG(gnv_table_schema(t, &schema));
    GNV_ERR_IF(child_index(&schema, name) >= 0, GNV_EEXISTS, GNV_SUB_JOB,
               "table '%s' already has a column '%s'", t->name, name);
    const struct ArrowSchema *outs = gnv_udf_function_output(fn);
    GNV_ERR_IF(!strcmp(outs->format, "+s"), GNV_EINVAL, GNV_SUB_JOB,
               "function '%s' returns a struct (a multi-column UDF): add its fields as sibling "
               "columns with gnv_table_add_udf_columns() (`geneva add-columns`), not as the "
               "single column '%s'",
               gnv_udf_function_name(fn), name);

    /* bind the inputs */
    int64_t np = gnv_udf_function_param_count(fn);
    int kind = gnv_udf_function_kind(fn);
    size_t n = inputs ? n_inputs : (size_t)np;
    if (kind == GNV_UDF_RECORD_BATCH && np == 0) {
        GNV_ERR_IF(inputs && n_inputs > 0, GNV_EINVAL, GNV_SUB_JOB,
                   "function '%s' takes the whole record batch: give it no input columns",
                   gnv_udf_function_name(fn));
        n = (size_t)schema.n_children; /* every column of the table as it is now */
    } else {
        GNV_ERR_IF((int64_t)n != np, GNV_EINVAL, GNV_SUB_JOB,
                   "function '%s' takes %lld parameters but %zu input columns were given",
                   gnv_udf_function_name(fn), (long long)np, n);
    }
    names = gnv__calloc(n ? n : 1, sizeof *names);
    GNV_CHECK_ALLOC(names);
    for (size_t i = 0; i < n; i++) {
        if (kind == GNV_UDF_RECORD_BATCH && np == 0) {
            names[i] = schema.children[i]->name;
            continue;
        }
        const struct ArrowSchema *p = gnv_udf_function_param(fn, (int64_t)i);
        names[i] = inputs ? inputs[i] : p->name;
        GNV_ERR_IF(!names[i], GNV_EINVAL, GNV_SUB_JOB, "input %zu is NULL", i);
        int64_t k = child_index(&schema, names[i]);
        GNV_ERR_IF(k < 0, GNV_ENOTFOUND, GNV_SUB_JOB,
                   "table '%s' has no column '%s' (input of parameter '%s' of function '%s')",
                   t->name, names[i], p->name, gnv_udf_function_name(fn));
        if (!gnv__same_type(schema.children[k], p)) {
            gnv_buf a = GNV_BUF_INIT, b = GNV_BUF_INIT;
            int r1 = gnv__type_to_string(&a, schema.children[k]);
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

    /* the definition */
    GNV_TRYG(gnv__type_to_string(&type, outs));
    char lib[80];
    snprintf(lib, sizeof lib, "%s.so", gnv_udf_library_sha256(fn->lib));
    gnv__json_setup();
    jin = json_array();
    GNV_CHECK_ALLOC(jin);
    for (size_t i = 0; i < n; i++)
        GNV_ERR_IF(json_array_append_new(jin, json_string(names[i])) != 0, GNV_ENOMEM, GNV_SUB_JOB,
                   "out of memory");
    def = json_pack("{s:s, s:s, s:s, s:s, s:O, s:s}", "function", gnv_udf_function_name(fn),
                    "version", gnv_udf_function_version(fn), "library", lib, "kind",
                    gnv__udf_kind_name(kind), "inputs", jin, "output", type.ptr);
    GNV_CHECK_ALLOC(def);
    if (on_error) {
        GNV_TRYG(gnv__policy_to_json(&jpol, &pol));
        GNV_ERR_IF(json_object_set(def, "on_error", jpol) != 0, GNV_ENOMEM, GNV_SUB_JOB,
                   "out of memory");
    }
    GNV_TRYG(gnv__json_dumps_checked(&json, def));

    /* the column: the output type, nullable, named, with its definition */
    GNV_TRYG(gnv__schema_init(&cols, "+s", "", 0));
    GNV_TRYG(gnv__schema_alloc_children(&cols, 1));
    GNV_TRYG(gnv__schema_copy(cols.children[0], outs));
    GNV_TRYG(gnv__schema_set_name(cols.children[0], name));
    cols.children[0]->flags |= ARROW_FLAG_NULLABLE;
    const char *keys[] = {GNV_UDF_METADATA_KEY};
    const char *vals[] = {json};
    GNV_TRYG(gnv__metadata_build(&meta, keys, vals, 1));
    GNV_TRYG(gnv__schema_set_metadata(cols.children[0], meta.ptr));

    /* everything is valid: keep the library, then commit the column */
    GNV_TRYG(store_library(t, fn->lib));
    rc = gnv__table_add_null_columns(t, &cols);
done:
    if (jin)
        json_decref(jin);
    if (def)
        json_decref(def);
    if (jpol)
        json_decref(jpol);
    gnv__policy_reset(&pol);
    gnv__free(json);
    gnv__free(names);
    gnv__schema_release(&schema);
    gnv__schema_release(&cols);
    gnv_buf_dispose(&type);
    gnv_buf_dispose(&meta);
    return rc;
}
