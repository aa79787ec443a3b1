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

/* The definition text (len bytes at src, of a column that gnv__udf_coldef_parse
 * accepted) with the members of fn and the inputs names[0..n) in place of its own; its
 * policy, output and group members kept. *out is freed with gnv__free. */
static int redefine(char **out,
                    const char *src,
                    size_t len,
                    const gnv_udf_function *fn,
                    const char *const *names,
                    size_t n)
{
    int rc = GNV_OK;
    json_t *root = NULL, *again = NULL, *jin = NULL;
    json_error_t jerr;
    gnv__json_setup();
    /* parsed before (gnv__udf_coldef_of): a failure here, or two parses that differ
     * (jansson may drop a character when an allocation fails), is out of memory */
    root = json_loadb(src, len, 0, &jerr);
    again = json_loadb(src, len, 0, &jerr);
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
    rc = gnv__json_dumps_checked(out, root);
done:
    if (jin)
        json_decref(jin);
    if (root)
        json_decref(root);
    if (again)
        json_decref(again);
    return rc;
}

/* A group's function can only be swapped for one of the same struct output (the same
 * field names and types, so each member keeps its field): GNV_EINVAL otherwise. */
static int check_group_output(const char *column,
                              const gnv__multicol *g,
                              const gnv__udf_coldef *def,
                              const gnv_udf_function *fn)
{
    int rc = GNV_OK;
    gnv_buf got = GNV_BUF_INIT, members = GNV_BUF_INIT;
    GNV_TRYG(gnv__type_to_string(&got, gnv_udf_function_output(fn)));
    if (strcmp(got.ptr, def->output) != 0) {
        for (size_t i = 0; i < g->n_columns; i++)
            GNV_TRYG(gnv__buf_printf(&members, "%s'%s'", i ? ", " : "", g->columns[i]));
        rc = gnv__error_set(
            GNV_EINVAL, GNV_SUB_JOB,
            "column '%s' is one of the multi-column group of function '%s' (columns %s): its "
            "function is swapped for the whole group, for one that returns the same %s, but "
            "function '%s' returns %s",
            column, def->function, members.ptr, def->output, gnv_udf_function_name(fn), got.ptr);
    }
done:
    gnv_buf_dispose(&got);
    gnv_buf_dispose(&members);
    return rc;
}

/* The value of the GNV_UDF_METADATA_KEY entry of f (NULL when it has none). */
static const Gnvpb__BytesEntry *definition_entry(const Gnvpb__Field *f)
{
    for (size_t i = 0; i < f->n_metadata; i++)
        if (f->metadata[i]->key && !strcmp(f->metadata[i]->key, GNV_UDF_METADATA_KEY))
            return f->metadata[i];
    return NULL;
}

/* The top-level field of the manifest named name, or -1. */
static ssize_t top_field(Gnvpb__Field *const *fields, size_t nf, const char *name)
{
    for (size_t i = 0; i < nf; i++)
        if (fields[i]->parent_id == -1 && fields[i]->name && !strcmp(fields[i]->name, name))
            return (ssize_t)i;
    return -1;
}

/* One member's new field: a copy of its field with the definition entry's value
 * replaced by json (md and entry are the copy's storage, freed by the caller). */
typedef struct redefined {
    Gnvpb__Field copy;
    Gnvpb__BytesEntry entry;
    Gnvpb__BytesEntry **md;
    char *json;
} redefined;

int gnv_table_alter_udf_column(gnv_table *t,
                               const char *column,
                               const gnv_udf_function *fn,
                               const char *const *inputs,
                               size_t n_inputs)
{
    int rc = GNV_OK;
    gnv__udf_coldef def = {0};
    struct ArrowSchema field = {0}, grouped = {0};
    gnv__multicol *g = NULL;
    Gnvpb__Field **fields = NULL;
    redefined *rd = NULL;
    size_t nm = 0;

    GNV_ERR_IF(!t || !column || !fn || (!inputs && n_inputs), GNV_EINVAL, GNV_SUB_JOB,
               "gnv_table_alter_udf_column: table, column and function are required");
    GNV_ERR_IF(t->read_only, GNV_EINVAL, GNV_SUB_JOB,
               "table '%s' is a read-only checkout of version %llu", t->name,
               (unsigned long long)gnv_table_version(t));
    GNV_TRYG(gnv_table_checkout_latest(t));
    GNV_TRYG(gnv__udf_coldef_of(&def, &field, t, column));
    GNV_TRYG(gnv__multicol_of(&g, &grouped, t, column));
    const char *const *names = inputs ? inputs : (const char *const *)def.inputs;
    size_t n = inputs ? n_inputs : def.n_inputs;
    if (g) /* a member of a group: the function of every member changes */
        GNV_TRYG(check_group_output(column, g, &def, fn));
    GNV_TRYG(gnv__udf_check_binding(t, column, g ? NULL : &field, fn, names, n));

    /* the schema with each member's definition replaced (a Project commit): the old
     * definition (its policy, output, group...) with the function's members */
    const char *const *members = g ? (const char *const *)g->columns : &column;
    size_t nf = t->m->n_fields;
    fields = gnv__calloc(nf ? nf : 1, sizeof *fields);
    GNV_CHECK_ALLOC(fields);
    for (size_t i = 0; i < nf; i++)
        fields[i] = t->m->fields[i];
    rd = gnv__calloc(g ? g->n_columns : 1, sizeof *rd);
    GNV_CHECK_ALLOC(rd);
    nm = g ? g->n_columns : 1;
    for (size_t j = 0; j < nm; j++) {
        ssize_t k = top_field(fields, nf, members[j]);
        GNV_ERR_IF(k < 0, GNV_ENOTFOUND, GNV_SUB_JOB, "table '%s' has no column '%s'", t->name,
                   members[j]);
        const Gnvpb__BytesEntry *old = definition_entry(fields[k]);
        GNV_ERR_IF(!old || !old->has_value, GNV_EINVAL, GNV_SUB_JOB,
                   "column '%s' is not a virtual column", members[j]);
        redefined *r = &rd[j];
        GNV_TRYG(redefine(&r->json, (const char *)old->value.data, old->value.len, fn, names, n));
        r->copy = *fields[k];
        r->md = gnv__calloc(r->copy.n_metadata, sizeof *r->md);
        GNV_CHECK_ALLOC(r->md);
        r->entry = *old;
        r->entry.value.data = (uint8_t *)r->json;
        r->entry.value.len = strlen(r->json);
        for (size_t i = 0; i < r->copy.n_metadata; i++)
            r->md[i] = r->copy.metadata[i] == old ? &r->entry : r->copy.metadata[i];
        r->copy.metadata = r->md;
        fields[k] = &r->copy;
    }

    /* everything is valid: keep the library, then commit the schema */
    GNV_TRYG(store_library(t, fn->lib));
    gnv__commit c = {0};
    c.op = GNV__OP_PROJECT;
    c.fields = fields;
    c.n_fields = nf;
    rc = gnv__table_commit(t, &c);
done:
    for (size_t j = 0; j < nm; j++) {
        gnv__free(rd[j].json);
        gnv__free(rd[j].md);
    }
    gnv__free(rd);
    gnv__free(fields);
    gnv__multicol_free(g);
    gnv__schema_release(&grouped);
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
