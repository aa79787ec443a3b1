/*
 * Schema evolution: adding columns (computed a batch at a time over every physical row
 * of each fragment into one new data file per fragment, or all NULL without data),
 * dropping them and altering them (rename, nullability, cast), committed with the
 * operations Lance uses: Merge for new data (add, cast), Project for schema-only
 * changes (drop, rename, relaxing nullability). Existing data files are never
 * rewritten; new files are written and committed before the manifest that names them.
 */
#include <inttypes.h>
#include <string.h>
#include <sys/types.h>

#include "expr/expr.h"
#include "expr/expr_tree.h" /* gnv__expr_cast, and the tree of an all-NULL expression */
#include "table.h"

#define DEFAULT_BATCH_ROWS 8192

/* ---- field lists ----------------------------------------------------------- */

/* A growable list of Lance fields, each owned (gnv__pb_free). */
typedef struct field_vec {
    Gnvpb__Field **v;
    size_t n, cap;
} field_vec;

static void fv_reset(field_vec *fv)
{
    for (size_t i = 0; i < fv->n; i++)
        gnv__pb_free(&fv->v[i]->base);
    gnv__free(fv->v);
    memset(fv, 0, sizeof *fv);
}

/* Append a copy of f. */
static int fv_push(field_vec *fv, const Gnvpb__Field *f)
{
    if (fv->n == fv->cap) {
        size_t cap = fv->cap ? fv->cap * 2 : 16;
        Gnvpb__Field **p = gnv__reallocarray(fv->v, cap, sizeof *p);
        if (!p)
            return gnv__error_oom();
        fv->v = p;
        fv->cap = cap;
    }
    Gnvpb__Field *c = (Gnvpb__Field *)gnv__pb_dup(&f->base);
    if (!c)
        return GNV_ENOMEM;
    fv->v[fv->n++] = c;
    return GNV_OK;
}

static int fv_copy(field_vec *fv, Gnvpb__Field *const *fields, size_t n)
{
    for (size_t i = 0; i < n; i++)
        GNV_TRY(fv_push(fv, fields[i]));
    return GNV_OK;
}

/* The largest field id the table ever used: its schema's and its data files' (which
 * still name dropped fields), as Lance's max_field_id. New fields start above it. */
static int32_t max_field_id(const Gnvpb__Manifest *m)
{
    int32_t mx = -1;
    for (size_t i = 0; i < m->n_fields; i++)
        mx = GNV_MAX(mx, m->fields[i]->id);
    for (size_t i = 0; i < m->n_fragments; i++)
        for (size_t k = 0; k < m->fragments[i]->n_files; k++) {
            const Gnvpb__DataFile *d = m->fragments[i]->files[k];
            for (size_t j = 0; j < d->n_fields; j++)
                mx = GNV_MAX(mx, d->fields[j]);
        }
    return mx;
}

static bool is_reserved(const char *name)
{
    return !strcmp(name, "_rowid") || !strcmp(name, "_rowaddr");
}

/* Index of the field named `name` whose parent is `parent`, or -1. */
static ssize_t
find_child(Gnvpb__Field *const *fields, size_t n, int32_t parent, const char *name, size_t len)
{
    for (size_t i = 0; i < n; i++)
        if (fields[i]->parent_id == parent && fields[i]->name && strlen(fields[i]->name) == len &&
            !memcmp(fields[i]->name, name, len))
            return (ssize_t)i;
    return -1;
}

/* Index of the field at a dotted path ("a.b"), or -1. An exact top-level name wins
 * over a path (a column may be named "a.b"). */
static ssize_t find_path(Gnvpb__Field *const *fields, size_t n, const char *path)
{
    ssize_t i = find_child(fields, n, -1, path, strlen(path));
    if (i >= 0)
        return i;
    int32_t parent = -1;
    const char *p = path;
    for (;;) {
        const char *dot = strchr(p, '.');
        size_t len = dot ? (size_t)(dot - p) : strlen(p);
        i = find_child(fields, n, parent, p, len);
        if (i < 0 || !dot)
            return i;
        parent = fields[i]->id;
        p = dot + 1;
    }
}

/* Whether field i is `anc` or lies under it. */
static bool under(Gnvpb__Field *const *fields, size_t n, size_t i, int32_t anc)
{
    int32_t id = fields[i]->id;
    for (size_t hops = 0; hops <= n; hops++) {
        if (id == anc)
            return true;
        ssize_t k = -1;
        for (size_t j = 0; j < n; j++)
            if (fields[j]->id == id) {
                k = (ssize_t)j;
                break;
            }
        if (k < 0 || fields[k]->parent_id < 0)
            return false;
        id = fields[k]->parent_id;
    }
    return false;
}

/* Id of the first leaf under field id `id`. */
static int32_t first_leaf(Gnvpb__Field *const *fields, size_t n, int32_t id)
{
    for (;;) {
        int32_t child = -1;
        for (size_t i = 0; i < n; i++)
            if (fields[i]->parent_id == id && fields[i]->id != id) {
                child = fields[i]->id;
                break;
            }
        if (child < 0)
            return id;
        id = child;
    }
}

/* Check a name for a new (or renamed) column among the siblings under `parent` of the
 * fields; `self` is the field being renamed (-1 for a new one). */
static int check_new_name(const gnv_table *t,
                          Gnvpb__Field *const *fields,
                          size_t n,
                          int32_t parent,
                          const char *name,
                          ssize_t self)
{
    int rc = GNV_OK;
    GNV_ERR_IF(!name || !*name, GNV_EINVAL, GNV_SUB_TABLE, "table '%s': a column name is empty",
               t->name);
    GNV_ERR_IF(parent < 0 && is_reserved(name), GNV_EINVAL, GNV_SUB_TABLE,
               "table '%s': '%s' is a reserved column name", t->name, name);
    ssize_t k = find_child(fields, n, parent, name, strlen(name));
    GNV_ERR_IF(k >= 0 && k != self, GNV_EEXISTS, GNV_SUB_TABLE,
               "table '%s' already has a column named '%s'", t->name, name);
done:
    return rc;
}

static int check_writable(const gnv_table *t, const char *what)
{
    int rc = GNV_OK;
    GNV_ERR_IF(!t, GNV_EINVAL, GNV_SUB_TABLE, "%s: NULL table", what);
    GNV_ERR_IF(t->read_only, GNV_EINVAL, GNV_SUB_TABLE,
               "table '%s' is checked out at version %" PRIu64 " (read-only); call "
               "gnv_table_checkout_latest first",
               t->name, t->m->version);
    /* with stable row ids the fragments keep their row id sequences: a merge passes
     * copies of them, a project and a data replacement change only their files */
done:
    return rc;
}

/* New columns (an Arrow struct schema): at least one, names new and distinct. */
static int check_new_columns(const gnv_table *t, const struct ArrowSchema *cols)
{
    int rc = GNV_OK;
    GNV_TRYG(gnv__schema_validate(cols));
    GNV_ERR_IF(strcmp(cols->format, "+s") != 0 || cols->n_children < 1, GNV_EINVAL, GNV_SUB_TABLE,
               "table '%s': new columns must be given as a struct schema with at least one "
               "child",
               t->name);
    for (int64_t i = 0; i < cols->n_children; i++) {
        const char *name = cols->children[i]->name;
        GNV_TRYG(
            check_new_name(t, (Gnvpb__Field *const *)t->m->fields, t->m->n_fields, -1, name, -1));
        for (int64_t j = 0; j < i; j++)
            GNV_ERR_IF(!strcmp(name, cols->children[j]->name), GNV_EINVAL, GNV_SUB_TABLE,
                       "table '%s': new column '%s' is given twice", t->name, name);
    }
done:
    return rc;
}

/* ---- writing new columns ------------------------------------------------------ */

/* What the column writer needs: inputs to read, the producer, the output layout. */
typedef struct col_job {
    gnv_table *t;
    struct ArrowSchema in_schema; /* struct of the input columns */
    int32_t *in_leaf;             /* first leaf id of each input column */
    const struct ArrowSchema *out_schema;
    int32_t *out_leaves; /* leaf ids the new file holds, in column order */
    size_t n_out_leaves;
    gnv__columns_fn fn;
    void *payload;
    int64_t batch_rows;
    int minor;
} col_job;

static void job_reset(col_job *j)
{
    gnv__schema_release(&j->in_schema);
    gnv__free(j->in_leaf);
    gnv__free(j->out_leaves);
}

/* Where a leaf lives in a fragment: data file k, column col (later files win). */
static bool locate(const Gnvpb__DataFragment *f, int32_t leaf, size_t *k, int *col)
{
    for (size_t i = f->n_files; i-- > 0;) {
        const Gnvpb__DataFile *d = f->files[i];
        for (size_t j = 0; j < d->n_fields; j++)
            if (d->fields[j] == leaf) {
                *k = i;
                *col = j < d->n_column_indices ? d->column_indices[j] : (int)j;
                return true;
            }
    }
    return false;
}

/* Rows [start, start+n) of the input columns of fragment f (absent ones NULL). */
static int read_inputs(col_job *j,
                       const Gnvpb__DataFragment *f,
                       gnv_lance_file **files,
                       int64_t start,
                       int64_t n,
                       struct ArrowArray *out)
{
    int rc = GNV_OK;
    int64_t nc = j->in_schema.n_children;
    gnv_buf path = GNV_BUF_INIT;
    struct ArrowArray *cols = gnv__calloc(nc ? (size_t)nc : 1, sizeof *cols);
    GNV_CHECK_ALLOC(cols);
    for (int64_t c = 0; c < nc; c++) {
        const struct ArrowSchema *s = j->in_schema.children[c];
        size_t k;
        int col;
        if (!locate(f, j->in_leaf[c], &k, &col)) {
            GNV_TRYG(gnv__array_init(&cols[c], s));
            GNV_TRYG(gnv__array_append_null(&cols[c], n));
            GNV_TRYG(gnv__array_finish(&cols[c]));
            continue;
        }
        if (!files[k]) {
            gnv__buf_clear(&path);
            GNV_TRYG(gnv__buf_printf(&path, "%s/data/%s", j->t->dir,
                                     f->files[k]->path ? f->files[k]->path : ""));
            rc = gnv__lance_file_open(&files[k], j->t->io, path.ptr);
            if (rc == GNV_ENOTFOUND)
                rc = gnv__error_set(GNV_ECORRUPT, GNV_SUB_TABLE,
                                    "table '%s': data file '%s' of fragment %" PRIu64 " is missing",
                                    j->t->name, path.ptr, f->id);
            if (rc < 0)
                goto done;
        }
        rc = gnv__lance_file_read(files[k], s, col, start, n, &cols[c]);
        if (rc < 0) {
            gnv__error_prefix("table '%s' fragment %" PRIu64 " column '%s'", j->t->name, f->id,
                              s->name);
            goto done;
        }
    }
    rc = gnv__struct_of(out, cols, nc, n);
    gnv__free(cols);
    cols = NULL;
done:
    if (cols) {
        for (int64_t c = 0; c < nc; c++)
            gnv__array_release(&cols[c]);
        gnv__free(cols);
    }
    gnv_buf_dispose(&path);
    return rc;
}

/* The producer's output for one batch: a struct array of n rows of out_schema. */
static int check_output(const col_job *j, const struct ArrowArray *a, uint64_t frag, int64_t n)
{
    int rc = GNV_OK;
    GNV_ERR_IF(!a->release, GNV_EINVAL, GNV_SUB_TABLE,
               "table '%s' fragment %" PRIu64 ": the producer returned no array", j->t->name, frag);
    GNV_ERR_IF(a->length != n, GNV_EINVAL, GNV_SUB_TABLE,
               "table '%s' fragment %" PRIu64 ": the new columns' batch has %" PRId64
               " rows, expected %" PRId64,
               j->t->name, frag, a->length, n);
    GNV_ERR_IF(a->n_children != j->out_schema->n_children, GNV_EINVAL, GNV_SUB_TABLE,
               "table '%s' fragment %" PRIu64 ": the new columns' batch has %" PRId64
               " columns, expected %" PRId64,
               j->t->name, frag, a->n_children, j->out_schema->n_children);
    rc = gnv__array_validate(j->out_schema, a, true);
    if (rc < 0)
        gnv__error_prefix("table '%s' fragment %" PRIu64, j->t->name, frag);
done:
    return rc;
}

/* Write the new columns of fragment f into one new data file (none when f has no
 * rows); *out is its DataFile record, or NULL. */
static int write_fragment(col_job *j, const Gnvpb__DataFragment *f, Gnvpb__DataFile **out)
{
    int rc = GNV_OK;
    char hex[33], name[48];
    gnv_buf path = GNV_BUF_INIT;
    gnv_lance_writer *w = NULL;
    gnv_lance_file **files = NULL;
    struct ArrowArray in = {0}, res = {0};
    Gnvpb__DataFile *d = NULL;
    int64_t phys = (int64_t)f->physical_rows;
    *out = NULL;
    if (phys == 0)
        return GNV_OK;
    files = gnv__calloc(f->n_files ? f->n_files : 1, sizeof *files);
    GNV_CHECK_ALLOC(files);
    GNV_TRYG(gnv__random_hex(hex, 16));
    snprintf(name, sizeof name, "%s.lance", hex);
    GNV_TRYG(gnv__buf_printf(&path, "%s/data/%s", j->t->dir, name));
    gnv_lance_write_options wo = {j->minor, 0};
    GNV_TRYG(gnv__lance_writer_new(&w, j->t->io, path.ptr, j->out_schema, &wo));
    for (int64_t start = 0; start < phys; start += j->batch_rows) {
        int64_t n = GNV_MIN(j->batch_rows, phys - start);
        GNV_TRYG(read_inputs(j, f, files, start, n, &in));
        gnv__columns_batch info = {f->id, start, &j->in_schema, &in};
        memset(&res, 0, sizeof res);
        rc = j->fn(&res, &info, j->payload);
        if (rc < 0) {
            gnv__array_release(&res);
            goto done;
        }
        GNV_TRYG(check_output(j, &res, f->id, n));
        GNV_TRYG(gnv__lance_writer_write(w, &res));
        gnv__array_release(&res);
        gnv__array_release(&in);
    }
    uint64_t size = 0;
    GNV_TRYG(gnv__lance_writer_finish(w, &size));
    d = gnv__malloc(sizeof *d);
    GNV_CHECK_ALLOC(d);
    gnvpb__data_file__init(d);
    d->path = gnv__strdup(name);
    GNV_CHECK_ALLOC(d->path);
    size_t nl = j->n_out_leaves;
    d->fields = gnv__calloc(nl ? nl : 1, sizeof *d->fields);
    GNV_CHECK_ALLOC(d->fields);
    d->column_indices = gnv__calloc(nl ? nl : 1, sizeof *d->column_indices);
    GNV_CHECK_ALLOC(d->column_indices);
    for (size_t i = 0; i < nl; i++) {
        d->fields[i] = j->out_leaves[i];
        d->column_indices[i] = (int32_t)i;
    }
    d->n_fields = d->n_column_indices = nl;
    d->has_file_major_version = d->has_file_minor_version = d->has_file_size_bytes = 1;
    d->file_major_version = 2;
    d->file_minor_version = (uint32_t)j->minor;
    d->file_size_bytes = size;
    *out = d;
    d = NULL;
done:
    if (d)
        gnv__pb_free(&d->base);
    gnv__array_release(&in);
    gnv__array_release(&res);
    gnv__lance_writer_free(w);
    if (files) {
        for (size_t i = 0; i < f->n_files; i++)
            gnv__lance_file_close(files[i]);
        gnv__free(files);
    }
    gnv_buf_dispose(&path);
    return rc;
}

/* A copy of fragment f with data file d (taken, may be NULL) appended. */
static int
fragment_with(Gnvpb__DataFragment **out, const Gnvpb__DataFragment *f, Gnvpb__DataFile *d)
{
    Gnvpb__DataFragment *c = (Gnvpb__DataFragment *)gnv__pb_dup(&f->base);
    if (!c) {
        if (d)
            gnv__pb_free(&d->base);
        return GNV_ENOMEM;
    }
    if (d) {
        Gnvpb__DataFile **files = gnv__reallocarray(c->files, c->n_files + 1, sizeof *files);
        if (!files) {
            gnv__pb_free(&d->base);
            gnv__pb_free(&c->base);
            return gnv__error_oom();
        }
        c->files = files;
        c->files[c->n_files++] = d;
    }
    *out = c;
    return GNV_OK;
}

static void frags_free(Gnvpb__DataFragment **frags, size_t n)
{
    if (!frags)
        return;
    for (size_t i = 0; i < n; i++)
        if (frags[i])
            gnv__pb_free(&frags[i]->base);
    gnv__free(frags);
}

static int minor_of(const gnv_table *t, int *minor)
{
    const char *v = t->m->data_format ? t->m->data_format->version : NULL;
    if (!v || !strcmp(v, "2.1")) {
        *minor = 1;
        return GNV_OK;
    }
    if (!strcmp(v, "2.2")) {
        *minor = 2;
        return GNV_OK;
    }
    return gnv__error_set(GNV_ENOTSUP, GNV_SUB_TABLE,
                          "table '%s': cannot write Lance data format '%s' (only 2.1 and 2.2)",
                          t->name, v);
}

/* Set up the job's inputs: top-level columns by name. */
static int job_inputs(col_job *j, const char *const *inputs, size_t n)
{
    int rc = GNV_OK;
    gnv_table *t = j->t;
    struct ArrowSchema all = {0};
    Gnvpb__Field *const *fields = (Gnvpb__Field *const *)t->m->fields;
    GNV_TRYG(gnv_table_schema(t, &all));
    GNV_TRYG(gnv__schema_init(&j->in_schema, "+s", "", 0));
    GNV_TRYG(gnv__schema_alloc_children(&j->in_schema, (int64_t)n));
    j->in_leaf = gnv__calloc(n ? n : 1, sizeof *j->in_leaf);
    GNV_CHECK_ALLOC(j->in_leaf);
    for (size_t i = 0; i < n; i++) {
        GNV_ERR_IF(!inputs[i], GNV_EINVAL, GNV_SUB_TABLE, "table '%s': input column %zu is NULL",
                   t->name, i);
        ssize_t k = find_child(fields, t->m->n_fields, -1, inputs[i], strlen(inputs[i]));
        GNV_ERR_IF(k < 0, GNV_ENOTFOUND, GNV_SUB_TABLE, "table '%s' has no column '%s'", t->name,
                   inputs[i]);
        int64_t top = 0; /* position among the top-level fields */
        for (ssize_t q = 0; q < k; q++)
            top += fields[q]->parent_id == -1;
        GNV_TRYG(gnv__schema_copy(j->in_schema.children[i], all.children[top]));
        j->in_leaf[i] = first_leaf(fields, t->m->n_fields, fields[k]->id);
    }
done:
    gnv__schema_release(&all);
    return rc;
}

/*
 * Write the job's new columns (fields new_fields, already holding their new ids) for
 * every fragment and commit a Merge whose schema is `schema`. Data files left holding
 * no field of that schema (after a cast replaced their columns) leave the fragments.
 */
static int run_job(col_job *j, const field_vec *schema, const field_vec *new_fields)
{
    int rc = GNV_OK;
    gnv_table *t = j->t;
    const Gnvpb__Manifest *m = t->m;
    Gnvpb__DataFragment **frags = NULL;
    size_t nf = m->n_fragments;
    GNV_TRYG(minor_of(t, &j->minor));
    GNV_TRYG(gnv__lance_leaf_ids(&j->out_leaves, &j->n_out_leaves,
                                 (Gnvpb__Field *const *)new_fields->v, new_fields->n));
    if (j->batch_rows <= 0)
        j->batch_rows = DEFAULT_BATCH_ROWS;
    frags = gnv__calloc(nf ? nf : 1, sizeof *frags);
    GNV_CHECK_ALLOC(frags);
    for (size_t i = 0; i < nf; i++) {
        Gnvpb__DataFile *d = NULL;
        GNV_TRYG(write_fragment(j, m->fragments[i], &d));
        GNV_TRYG(fragment_with(&frags[i], m->fragments[i], d));
        /* data files left holding no field of the schema are dropped, as Lance does */
        Gnvpb__DataFragment *f = frags[i];
        size_t keep = 0;
        for (size_t k = 0; k < f->n_files; k++) {
            bool used = false;
            for (size_t q = 0; q < f->files[k]->n_fields && !used; q++)
                for (size_t s = 0; s < schema->n && !used; s++)
                    used = schema->v[s]->id == f->files[k]->fields[q];
            if (used)
                f->files[keep++] = f->files[k];
            else
                gnv__pb_free(&f->files[k]->base);
        }
        f->n_files = keep;
    }
    gnv__commit c = {0};
    c.op = GNV__OP_MERGE;
    c.frags = frags;
    c.n_frags = nf;
    c.fields = schema->v;
    c.n_fields = schema->n;
    rc = gnv__table_commit(t, &c);
done:
    frags_free(frags, nf);
    return rc;
}

/* Lance fields (copies, with ids from *next_id) for the columns of an Arrow struct. */
static int
new_lance_fields(field_vec *out, const struct ArrowSchema *cols, int32_t *next_id, int32_t parent)
{
    Gnvpb__Field **fields = NULL;
    size_t n = 0;
    GNV_TRY(gnv__lance_fields_from_arrow(&fields, &n, cols, next_id));
    int rc = GNV_OK;
    for (size_t i = 0; i < n && rc == GNV_OK; i++) {
        if (fields[i]->parent_id == -1)
            fields[i]->parent_id = parent;
        rc = fv_push(out, fields[i]);
    }
    gnv__lance_fields_free(fields, n);
    return rc;
}

int gnv__table_add_columns(gnv_table *t,
                           const struct ArrowSchema *columns,
                           const char *const *inputs,
                           size_t n_inputs,
                           gnv__columns_fn fn,
                           void *payload,
                           int64_t batch_rows)
{
    int rc = GNV_OK;
    col_job j = {0};
    field_vec schema = {0}, added = {0};
    GNV_TRYG(check_writable(t, "gnv__table_add_columns"));
    GNV_ERR_IF(!columns || !fn || (n_inputs && !inputs), GNV_EINVAL, GNV_SUB_TABLE,
               "table '%s': add columns: NULL argument", t->name);
    GNV_TRYG(check_new_columns(t, columns));
    j.t = t;
    j.out_schema = columns;
    j.fn = fn;
    j.payload = payload;
    j.batch_rows = batch_rows;
    GNV_TRYG(job_inputs(&j, inputs, n_inputs));
    int32_t next_id = max_field_id(t->m) + 1;
    GNV_TRYG(new_lance_fields(&added, columns, &next_id, -1));
    GNV_TRYG(fv_copy(&schema, (Gnvpb__Field *const *)t->m->fields, t->m->n_fields));
    GNV_TRYG(fv_copy(&schema, (Gnvpb__Field *const *)added.v, added.n));
    GNV_TRYG(run_job(&j, &schema, &added));
done:
    job_reset(&j);
    fv_reset(&schema);
    fv_reset(&added);
    return rc;
}

static bool all_nullable(const struct ArrowSchema *s)
{
    if (!(s->flags & ARROW_FLAG_NULLABLE))
        return false;
    for (int64_t i = 0; i < s->n_children; i++)
        if (!all_nullable(s->children[i]))
            return false;
    return true;
}

int gnv__table_add_null_columns(gnv_table *t, const struct ArrowSchema *columns)
{
    int rc = GNV_OK;
    field_vec schema = {0};
    GNV_TRYG(check_writable(t, "gnv__table_add_null_columns"));
    GNV_ERR_IF(!columns, GNV_EINVAL, GNV_SUB_TABLE, "table '%s': add columns: NULL schema",
               t->name);
    GNV_TRYG(check_new_columns(t, columns));
    for (int64_t i = 0; i < columns->n_children; i++)
        GNV_ERR_IF(!all_nullable(columns->children[i]), GNV_EINVAL, GNV_SUB_TABLE,
                   "table '%s': all-NULL column '%s' must be nullable (and so must its fields)",
                   t->name, columns->children[i]->name);
    int32_t next_id = max_field_id(t->m) + 1;
    GNV_TRYG(fv_copy(&schema, (Gnvpb__Field *const *)t->m->fields, t->m->n_fields));
    GNV_TRYG(new_lance_fields(&schema, columns, &next_id, -1));
    /* metadata only: the fragments stay as they are and read the new columns as NULL */
    gnv__commit c = {0};
    c.op = GNV__OP_MERGE;
    c.frags = t->m->fragments;
    c.n_frags = t->m->n_fragments;
    c.fields = schema.v;
    c.n_fields = schema.n;
    rc = gnv__table_commit(t, &c);
done:
    fv_reset(&schema);
    return rc;
}

/* ---- SQL columns -------------------------------------------------------------- */

typedef struct sql_cols {
    gnv_expr **e;
    size_t n;
} sql_cols;

static int sql_produce(struct ArrowArray *out, const gnv__columns_batch *in, void *payload)
{
    sql_cols *sc = payload;
    int rc = GNV_OK;
    struct ArrowArray *cols = gnv__calloc(sc->n ? sc->n : 1, sizeof *cols);
    if (!cols)
        return gnv__error_oom();
    for (size_t i = 0; i < sc->n && rc == GNV_OK; i++)
        rc = gnv__expr_eval(&cols[i], sc->e[i], in->schema, in->batch);
    if (rc < 0) {
        for (size_t i = 0; i < sc->n; i++)
            gnv__array_release(&cols[i]);
        gnv__free(cols);
        return rc;
    }
    rc = gnv__struct_of(out, cols, (int64_t)sc->n, in->batch->length);
    gnv__free(cols);
    return rc;
}

/* Whether a bound expression is CAST(NULL AS type) or NULL: its column is all NULL and
 * needs no data (Lance's SqlToAllNullsOptimizer). */
static bool is_all_null(const gnv_expr *e)
{
    const gnv_expr_node *n = e->root;
    while (n && n->op == GNV_EX_CAST && n->n_args == 1)
        n = n->args[0];
    return n && n->op == GNV_EX_LITERAL && n->lit.kind == GNV_LIT_NULL;
}

int gnv_table_add_columns_sql(gnv_table *t,
                              const char *const *names,
                              const char *const *exprs,
                              size_t n)
{
    int rc = GNV_OK;
    sql_cols sc = {0};
    struct ArrowSchema all = {0}, out = {0}, read = {0};
    const char **inputs = NULL;
    size_t n_inputs = 0;
    GNV_TRYG(check_writable(t, "gnv_table_add_columns_sql"));
    GNV_ERR_IF((!names || !exprs) && n, GNV_EINVAL, GNV_SUB_TABLE,
               "gnv_table_add_columns_sql: NULL argument");
    GNV_ERR_IF(n == 0, GNV_EINVAL, GNV_SUB_TABLE, "table '%s': no columns to add", t->name);
    for (size_t i = 0; i < n; i++) {
        GNV_ERR_IF(!names[i] || !exprs[i], GNV_EINVAL, GNV_SUB_TABLE,
                   "table '%s': column %zu has a NULL name or expression", t->name, i);
        GNV_TRYG(check_new_name(t, (Gnvpb__Field *const *)t->m->fields, t->m->n_fields, -1,
                                names[i], -1));
        for (size_t k = 0; k < i; k++)
            GNV_ERR_IF(!strcmp(names[i], names[k]), GNV_EINVAL, GNV_SUB_TABLE,
                       "table '%s': new column '%s' is given twice", t->name, names[i]);
    }
    sc.e = gnv__calloc(n, sizeof *sc.e);
    GNV_CHECK_ALLOC(sc.e);
    sc.n = n;
    inputs = gnv__calloc(1, sizeof *inputs);
    GNV_CHECK_ALLOC(inputs);
    GNV_TRYG(gnv_table_schema(t, &all));
    GNV_TRYG(gnv__schema_init(&out, "+s", "", 0));
    GNV_TRYG(gnv__schema_alloc_children(&out, (int64_t)n));
    bool nulls_only = true;
    for (size_t i = 0; i < n; i++) {
        rc = gnv__expr_parse(&sc.e[i], exprs[i]);
        if (rc == GNV_OK)
            rc = gnv__expr_bind(sc.e[i], &all);
        if (rc < 0) {
            gnv__error_prefix("table '%s': column '%s' = \"%s\"", t->name, names[i], exprs[i]);
            goto done;
        }
        GNV_TRYG(gnv__expr_result_schema(out.children[i], sc.e[i], names[i]));
        nulls_only = nulls_only && is_all_null(sc.e[i]);
        const char *const *cols;
        int64_t nc;
        GNV_TRYG(gnv__expr_columns(&cols, &nc, sc.e[i]));
        for (int64_t c = 0; c < nc; c++) {
            bool seen = false;
            for (size_t k = 0; k < n_inputs && !seen; k++)
                seen = !strcmp(inputs[k], cols[c]);
            /* the name as the table schema holds it (the expression's may move) */
            const char *name = NULL;
            for (int64_t q = 0; q < all.n_children && !name; q++)
                if (!strcmp(all.children[q]->name, cols[c]))
                    name = all.children[q]->name;
            if (seen || !name)
                continue;
            const char **p = gnv__reallocarray(inputs, n_inputs + 1, sizeof *p);
            GNV_CHECK_ALLOC(p);
            inputs = p;
            inputs[n_inputs++] = name;
        }
    }
    if (nulls_only) {
        rc = gnv__table_add_null_columns(t, &out);
        goto done;
    }
    /* bind again to the columns each batch will hold */
    GNV_TRYG(gnv__schema_init(&read, "+s", "", 0));
    GNV_TRYG(gnv__schema_alloc_children(&read, (int64_t)n_inputs));
    for (size_t k = 0; k < n_inputs; k++)
        for (int64_t c = 0; c < all.n_children; c++)
            if (!strcmp(all.children[c]->name, inputs[k]))
                GNV_TRYG(gnv__schema_copy(read.children[k], all.children[c]));
    for (size_t i = 0; i < n; i++)
        GNV_TRYG(gnv__expr_bind(sc.e[i], &read));
    rc = gnv__table_add_columns(t, &out, inputs, n_inputs, sql_produce, &sc, 0);
done:
    if (sc.e)
        for (size_t i = 0; i < sc.n; i++)
            gnv__expr_free(sc.e[i]);
    gnv__free(sc.e);
    gnv__free(inputs);
    gnv__schema_release(&all);
    gnv__schema_release(&out);
    gnv__schema_release(&read);
    return rc;
}

/* ---- drop --------------------------------------------------------------------- */

int gnv_table_drop_columns(gnv_table *t, const char *const *names, size_t n)
{
    int rc = GNV_OK;
    field_vec schema = {0};
    bool *drop = NULL;
    GNV_TRYG(check_writable(t, "gnv_table_drop_columns"));
    GNV_ERR_IF(!names && n, GNV_EINVAL, GNV_SUB_TABLE, "gnv_table_drop_columns: NULL names");
    GNV_ERR_IF(n == 0, GNV_EINVAL, GNV_SUB_TABLE, "table '%s': no columns to drop", t->name);
    Gnvpb__Field *const *fields = (Gnvpb__Field *const *)t->m->fields;
    size_t nf = t->m->n_fields;
    drop = gnv__calloc(nf ? nf : 1, sizeof *drop);
    GNV_CHECK_ALLOC(drop);
    for (size_t i = 0; i < n; i++) {
        GNV_ERR_IF(!names[i], GNV_EINVAL, GNV_SUB_TABLE, "table '%s': column name %zu is NULL",
                   t->name, i);
        ssize_t k = find_path(fields, nf, names[i]);
        GNV_ERR_IF(k < 0, GNV_ENOTFOUND, GNV_SUB_TABLE, "table '%s' has no column '%s'", t->name,
                   names[i]);
        for (size_t q = 0; q < nf; q++)
            if (under(fields, nf, q, fields[k]->id))
                drop[q] = true;
    }
    /* a struct must keep at least one field, and the table one column */
    size_t top_left = 0;
    for (size_t q = 0; q < nf; q++) {
        if (drop[q])
            continue;
        top_left += fields[q]->parent_id == -1;
        bool had = false, has = false;
        for (size_t c = 0; c < nf; c++)
            if (fields[c]->parent_id == fields[q]->id) {
                had = true;
                has = has || !drop[c];
            }
        GNV_ERR_IF(had && !has, GNV_EINVAL, GNV_SUB_TABLE,
                   "table '%s': dropping every field of '%s' would leave it empty; drop '%s' "
                   "itself",
                   t->name, fields[q]->name, fields[q]->name);
    }
    GNV_ERR_IF(top_left == 0, GNV_EINVAL, GNV_SUB_TABLE,
               "table '%s': cannot drop every column of a table", t->name);
    for (size_t q = 0; q < nf; q++)
        if (!drop[q])
            GNV_TRYG(fv_push(&schema, fields[q]));
    gnv__commit c = {0};
    c.op = GNV__OP_PROJECT;
    c.fields = schema.v;
    c.n_fields = schema.n;
    rc = gnv__table_commit(t, &c);
done:
    gnv__free(drop);
    fv_reset(&schema);
    return rc;
}

/* ---- alter -------------------------------------------------------------------- */

/* A column being rewritten by an alteration: the old column, read as input, and its
 * new type (a cast, or the same type made non-nullable). */
typedef struct rewrite {
    const char *name; /* the old (input) name */
    size_t old;       /* its index in the table's fields */
    struct ArrowSchema to;
    bool check_nulls;
} rewrite;

typedef struct alter_job {
    rewrite *rw;
    size_t n;
    const gnv_table *t;
} alter_job;

static int count_nulls(const struct ArrowSchema *s, const struct ArrowArray *a, int64_t *out)
{
    if (a->null_count >= 0) {
        *out = a->null_count;
        return GNV_OK;
    }
    gnv_array_view v;
    GNV_TRY(gnv__array_view_init(&v, s, a));
    int64_t k = 0;
    for (int64_t i = 0; i < a->length; i++)
        k += gnv__view_is_null(&v, i);
    gnv__array_view_reset(&v);
    *out = k;
    return GNV_OK;
}

static int alter_produce(struct ArrowArray *out, const gnv__columns_batch *in, void *payload)
{
    alter_job *aj = payload;
    int rc = GNV_OK;
    struct ArrowArray *cols = gnv__calloc(aj->n ? aj->n : 1, sizeof *cols);
    if (!cols)
        return gnv__error_oom();
    for (size_t i = 0; i < aj->n; i++) {
        rewrite *r = &aj->rw[i];
        const struct ArrowSchema *s = in->schema->children[i];
        const struct ArrowArray *a = in->batch->children[i];
        gnv_buf x = GNV_BUF_INIT, y = GNV_BUF_INIT;
        rc = gnv__type_to_string(&x, s);
        if (rc == GNV_OK)
            rc = gnv__type_to_string(&y, &r->to);
        bool same = rc == GNV_OK && !strcmp(x.ptr, y.ptr);
        gnv_buf_dispose(&x);
        gnv_buf_dispose(&y);
        if (rc < 0)
            break;
        if (same) {
            const struct ArrowArray *one[1] = {a};
            rc = gnv__array_concat(&cols[i], s, one, 1);
        } else {
            gnv_datum d = {s, a, false};
            rc = gnv__expr_cast(&cols[i], &d, &r->to, false, a->length);
            if (rc < 0)
                gnv__error_prefix("table '%s': casting column '%s'", aj->t->name, r->name);
        }
        if (rc < 0)
            break;
        int64_t nulls = 0;
        if (r->check_nulls && (rc = count_nulls(&r->to, &cols[i], &nulls)) == GNV_OK && nulls)
            rc = gnv__error_set(GNV_EINVAL, GNV_SUB_TABLE,
                                "table '%s': column '%s' holds null values (in fragment %" PRIu64
                                "), so it cannot be made non-nullable",
                                aj->t->name, r->name, in->fragment_id);
        if (rc < 0)
            break;
    }
    if (rc < 0) {
        for (size_t i = 0; i < aj->n; i++)
            gnv__array_release(&cols[i]);
        gnv__free(cols);
        return rc;
    }
    rc = gnv__struct_of(out, cols, (int64_t)aj->n, in->batch->length);
    gnv__free(cols);
    return rc;
}

int gnv_table_alter_columns(gnv_table *t, const gnv_column_alteration *alts, size_t n)
{
    int rc = GNV_OK;
    field_vec schema = {0}, added = {0};
    rewrite *rw = NULL;
    size_t n_rw = 0;
    ssize_t *idx = NULL;
    col_job j = {0};
    struct ArrowSchema all = {0}, out = {0};
    const char **inputs = NULL;
    GNV_TRYG(check_writable(t, "gnv_table_alter_columns"));
    GNV_ERR_IF(!alts && n, GNV_EINVAL, GNV_SUB_TABLE, "gnv_table_alter_columns: NULL argument");
    GNV_ERR_IF(n == 0, GNV_EINVAL, GNV_SUB_TABLE, "table '%s': no alterations", t->name);
    Gnvpb__Field *const *fields = (Gnvpb__Field *const *)t->m->fields;
    size_t nf = t->m->n_fields;
    GNV_TRYG(fv_copy(&schema, fields, nf));
    GNV_TRYG(gnv_table_schema(t, &all));
    idx = gnv__calloc(n, sizeof *idx);
    rw = gnv__calloc(n, sizeof *rw);
    inputs = gnv__calloc(n, sizeof *inputs);
    GNV_CHECK_ALLOC(idx);
    GNV_CHECK_ALLOC(rw);
    GNV_CHECK_ALLOC(inputs);

    /* validate everything and apply renames and nullability to the copy */
    for (size_t i = 0; i < n; i++) {
        const gnv_column_alteration *a = &alts[i];
        GNV_ERR_IF(a->version > GNV_COLUMN_ALTERATION_VERSION || a->version == 0, GNV_EVERSION,
                   GNV_SUB_TABLE, "table '%s': alteration %zu has version %u (this library: %u)",
                   t->name, i, a->version, GNV_COLUMN_ALTERATION_VERSION);
        GNV_ERR_IF(!a->path, GNV_EINVAL, GNV_SUB_TABLE, "table '%s': alteration %zu has no path",
                   t->name, i);
        GNV_ERR_IF(a->nullable < GNV_NULLABLE_KEEP || a->nullable > GNV_NULLABLE_FALSE, GNV_EINVAL,
                   GNV_SUB_TABLE, "table '%s': column '%s': bad nullable value %d", t->name,
                   a->path, a->nullable);
        ssize_t k = find_path(fields, nf, a->path);
        GNV_ERR_IF(k < 0, GNV_ENOTFOUND, GNV_SUB_TABLE, "table '%s' has no column '%s'", t->name,
                   a->path);
        for (size_t q = 0; q < i; q++)
            GNV_ERR_IF(idx[q] == k, GNV_EINVAL, GNV_SUB_TABLE,
                       "table '%s': column '%s' is altered twice", t->name, a->path);
        idx[i] = k;
        Gnvpb__Field *f = schema.v[k];
        if (a->rename) {
            GNV_TRYG(check_new_name(t, (Gnvpb__Field *const *)schema.v, schema.n, f->parent_id,
                                    a->rename, k));
            char *s = gnv__strdup(a->rename);
            GNV_CHECK_ALLOC(s);
            gnv__free(f->name);
            f->name = s;
        }
        bool to_non_null = a->nullable == GNV_NULLABLE_FALSE && f->nullable;
        if (a->nullable != GNV_NULLABLE_KEEP) {
            f->has_nullable = 1;
            f->nullable = a->nullable == GNV_NULLABLE_TRUE;
        }
        if (!a->cast && !to_non_null)
            continue;
        GNV_ERR_IF(fields[k]->parent_id != -1, GNV_ENOTSUP, GNV_SUB_TABLE,
                   "table '%s': changing the type or nullability of nested field '%s' is not "
                   "supported",
                   t->name, a->path);
        rewrite *r = &rw[n_rw++];
        r->name = fields[k]->name;
        r->old = (size_t)k;
        r->check_nulls = !f->nullable;
        int64_t top = 0;
        for (ssize_t q = 0; q < k; q++)
            top += fields[q]->parent_id == -1;
        if (a->cast) {
            GNV_TRYG(gnv__type_from_string(&r->to, a->cast, f->name));
            GNV_ERR_IF(!strcmp(r->to.format, "+s") || !strcmp(r->to.format, "n"), GNV_EINVAL,
                       GNV_SUB_TABLE, "table '%s': cannot cast column '%s' to %s", t->name, a->path,
                       a->cast);
        } else {
            GNV_TRYG(gnv__schema_copy(&r->to, all.children[top]));
            GNV_TRYG(gnv__schema_set_name(&r->to, f->name));
        }
        if (f->nullable)
            r->to.flags |= ARROW_FLAG_NULLABLE;
        else
            r->to.flags &= ~(int64_t)ARROW_FLAG_NULLABLE;
        inputs[n_rw - 1] = fields[k]->name;
    }

    if (n_rw == 0) {
        gnv__commit c = {0};
        c.op = GNV__OP_PROJECT;
        c.fields = schema.v;
        c.n_fields = schema.n;
        rc = gnv__table_commit(t, &c);
        goto done;
    }

    /* the rewritten columns get new field ids (in their old place) and new files */
    GNV_TRYG(gnv__schema_init(&out, "+s", "", 0));
    GNV_TRYG(gnv__schema_alloc_children(&out, (int64_t)n_rw));
    int32_t next_id = max_field_id(t->m) + 1;
    for (size_t i = 0; i < n_rw; i++) {
        GNV_TRYG(gnv__schema_copy(out.children[i], &rw[i].to));
        /* the old field (its copy in `schema`, maybe renamed, has the same id) */
        const Gnvpb__Field *old = fields[rw[i].old];
        struct ArrowSchema one = {0};
        GNV_TRYG(gnv__schema_init(&one, "+s", "", 0));
        rc = gnv__schema_alloc_children(&one, 1);
        if (rc == GNV_OK)
            rc = gnv__schema_copy(one.children[0], &rw[i].to);
        size_t before = added.n;
        if (rc == GNV_OK)
            rc = new_lance_fields(&added, &one, &next_id, -1);
        gnv__schema_release(&one);
        GNV_TRYG(rc);
        /* carry the old field's metadata to its replacement */
        Gnvpb__Field *nfld = added.v[before];
        if (old->n_metadata && !nfld->n_metadata) {
            Gnvpb__Field *dup = (Gnvpb__Field *)gnv__pb_dup(&old->base);
            GNV_CHECK_ALLOC(dup);
            nfld->metadata = dup->metadata;
            nfld->n_metadata = dup->n_metadata;
            dup->metadata = NULL;
            dup->n_metadata = 0;
            gnv__pb_free(&dup->base);
        }
        /* replace the old field and its descendants in `schema` by the new ones */
        size_t at = SIZE_MAX;
        field_vec next = {0};
        for (size_t q = 0; q < schema.n; q++) {
            if (under((Gnvpb__Field *const *)schema.v, schema.n, q, old->id)) {
                if (at == SIZE_MAX) {
                    at = q;
                    for (size_t z = before; z < added.n && rc == GNV_OK; z++)
                        rc = fv_push(&next, added.v[z]);
                }
                continue;
            }
            if (rc == GNV_OK)
                rc = fv_push(&next, schema.v[q]);
        }
        if (rc < 0) {
            fv_reset(&next);
            goto done;
        }
        fv_reset(&schema);
        schema = next;
    }
    j.t = t;
    j.out_schema = &out;
    j.fn = alter_produce;
    alter_job aj = {rw, n_rw, t};
    j.payload = &aj;
    GNV_TRYG(job_inputs(&j, inputs, n_rw));
    rc = run_job(&j, &schema, &added);
done:
    if (rw)
        for (size_t i = 0; i < n_rw; i++)
            gnv__schema_release(&rw[i].to);
    gnv__free(rw);
    gnv__free(idx);
    gnv__free(inputs);
    job_reset(&j);
    gnv__schema_release(&all);
    gnv__schema_release(&out);
    fv_reset(&schema);
    fv_reset(&added);
    return rc;
}
