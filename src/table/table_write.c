/*
 * Writing rows: create_table and add. Data files are written (and committed) under
 * data/ before the manifest that names them, split by max_rows_per_file and
 * max_bytes_per_file; a failure leaves at most orphan data files.
 */
#include <inttypes.h>
#include <string.h>

#include "table.h"

typedef struct write_plan {
    gnv_table *t;
    const struct ArrowSchema *schema; /* the batches' schema */
    int32_t *leaf_ids;
    size_t n_leaves;
    int minor;
    int64_t max_rows;
    uint64_t max_bytes;
    Gnvpb__DataFragment **frags; /* built here, freed with gnv__pb_free */
    size_t n_frags, cap;
} write_plan;

static void plan_reset(write_plan *p)
{
    for (size_t i = 0; i < p->n_frags; i++)
        gnv__pb_free(&p->frags[i]->base);
    gnv__free(p->frags);
    gnv__free(p->leaf_ids);
    memset(p, 0, sizeof *p);
}

static int minor_of(const gnv_table *t, const char *format, int *minor)
{
    if (!format || !strcmp(format, "2.1")) {
        *minor = 1;
        return GNV_OK;
    }
    if (!strcmp(format, "2.2")) {
        *minor = 2;
        return GNV_OK;
    }
    return gnv__error_set(GNV_ENOTSUP, GNV_SUB_TABLE,
                          "table '%s': cannot write Lance data format '%s' (only 2.1 and 2.2)",
                          t->name, format);
}

/* A fragment record for a finished data file. */
static int add_fragment(write_plan *p, const char *file, uint64_t size, int64_t rows)
{
    int rc = GNV_OK;
    Gnvpb__DataFragment *f = gnv__malloc(sizeof *f);
    GNV_CHECK_ALLOC(f);
    gnvpb__data_fragment__init(f);
    if (p->n_frags == p->cap) {
        size_t cap = p->cap ? 2 * p->cap : 4;
        Gnvpb__DataFragment **a = gnv__reallocarray(p->frags, cap, sizeof *a);
        if (!a) {
            gnv__free(f);
            return gnv__error_oom();
        }
        p->frags = a;
        p->cap = cap;
    }
    p->frags[p->n_frags++] = f;
    f->has_id = 1;
    f->has_physical_rows = 1;
    f->physical_rows = (uint64_t)rows;
    f->files = gnv__calloc(1, sizeof *f->files);
    GNV_CHECK_ALLOC(f->files);
    Gnvpb__DataFile *d = gnv__malloc(sizeof *d);
    GNV_CHECK_ALLOC(d);
    gnvpb__data_file__init(d);
    f->files[0] = d;
    f->n_files = 1;
    d->path = gnv__strdup(file);
    GNV_CHECK_ALLOC(d->path);
    d->fields = gnv__calloc(p->n_leaves ? p->n_leaves : 1, sizeof *d->fields);
    GNV_CHECK_ALLOC(d->fields);
    d->column_indices = gnv__calloc(p->n_leaves ? p->n_leaves : 1, sizeof *d->column_indices);
    GNV_CHECK_ALLOC(d->column_indices);
    for (size_t i = 0; i < p->n_leaves; i++) {
        d->fields[i] = p->leaf_ids[i];
        d->column_indices[i] = (int32_t)i;
    }
    d->n_fields = d->n_column_indices = p->n_leaves;
    d->has_file_major_version = d->has_file_minor_version = d->has_file_size_bytes = 1;
    d->file_major_version = 2;
    d->file_minor_version = (uint32_t)p->minor;
    d->file_size_bytes = size;
done:
    return rc;
}

typedef struct open_file {
    gnv_lance_writer *w;
    char name[48]; /* "<32 hex>.lance" */
} open_file;

static int finish_file(write_plan *p, open_file *of)
{
    uint64_t size = 0;
    int64_t rows = gnv__lance_writer_rows(of->w);
    int rc = gnv__lance_writer_finish(of->w, &size);
    gnv__lance_writer_free(of->w);
    of->w = NULL;
    GNV_TRY(rc);
    return add_fragment(p, of->name, size, rows);
}

static int start_file(write_plan *p, open_file *of)
{
    char hex[33];
    gnv_buf path = GNV_BUF_INIT;
    GNV_TRY(gnv__random_hex(hex, 16));
    snprintf(of->name, sizeof of->name, "%s.lance", hex);
    int rc = gnv__buf_printf(&path, "%s/data/%s", p->t->dir, of->name);
    if (rc == GNV_OK) {
        gnv_lance_write_options wo = {p->minor, 0};
        rc = gnv__lance_writer_new(&of->w, p->t->io, path.ptr, p->schema, &wo);
    }
    gnv_buf_dispose(&path);
    return rc;
}

/* Write every batch of the stream into data files; fragments go to p->frags. */
static int write_stream(write_plan *p, struct ArrowArrayStream *data)
{
    int rc = GNV_OK;
    open_file of = {0};
    struct ArrowArray batch = {0}, part = {0};
    int64_t nbatch = 0;
    for (;;) {
        rc = gnv__stream_next(data, &batch);
        if (rc == GNV_ITEROVER) {
            rc = GNV_OK;
            break;
        }
        if (rc < 0)
            goto done;
        nbatch++;
        rc = gnv__array_validate(p->schema, &batch, true);
        if (rc < 0) {
            gnv__error_prefix("table '%s': batch %" PRId64, p->t->name, nbatch);
            goto done;
        }
        int64_t off = 0;
        while (off < batch.length) {
            if (!of.w)
                GNV_TRYG(start_file(p, &of));
            int64_t room = p->max_rows - gnv__lance_writer_rows(of.w);
            int64_t take = GNV_MIN(room, batch.length - off);
            if (off == 0 && take == batch.length) {
                GNV_TRYG(gnv__lance_writer_write(of.w, &batch));
            } else {
                GNV_TRYG(gnv__array_slice(&part, &batch, off, take));
                rc = gnv__lance_writer_write(of.w, &part);
                gnv__array_release(&part);
                if (rc < 0)
                    goto done;
            }
            off += take;
            if (gnv__lance_writer_rows(of.w) >= p->max_rows ||
                gnv__lance_writer_bytes(of.w) >= p->max_bytes)
                GNV_TRYG(finish_file(p, &of));
        }
        gnv__array_release(&batch);
    }
    if (of.w && gnv__lance_writer_rows(of.w) > 0)
        GNV_TRYG(finish_file(p, &of));
done:
    gnv__lance_writer_free(of.w);
    gnv__array_release(&batch);
    return rc;
}

/* Compare two Arrow fields' names and types; GNV_EINVAL naming the column. */
static int
check_schema(const gnv_table *t, const struct ArrowSchema *want, const struct ArrowSchema *got)
{
    int rc = GNV_OK;
    gnv_buf a = GNV_BUF_INIT, b = GNV_BUF_INIT;
    struct ArrowSchema decoded = {0};
    GNV_ERR_IF(!got->format || strcmp(got->format, "+s") != 0, GNV_EINVAL, GNV_SUB_TABLE,
               "table '%s': data must be record batches (struct arrays), got format '%s'", t->name,
               got->format ? got->format : "(null)");
    /* dictionary-encoded data is stored as its value type */
    if (gnv__lance_schema_has_dictionary(got)) {
        GNV_TRYG(gnv__lance_schema_decoded(&decoded, got));
        got = &decoded;
    }
    for (int64_t i = 0; i < want->n_children && i < got->n_children; i++) {
        const struct ArrowSchema *w = want->children[i], *g = got->children[i];
        GNV_ERR_IF(strcmp(w->name ? w->name : "", g->name ? g->name : "") != 0, GNV_EINVAL,
                   GNV_SUB_TABLE,
                   "table '%s': column %" PRId64 " of the data is '%s' but the table's is '%s'",
                   t->name, i + 1, g->name ? g->name : "", w->name ? w->name : "");
        gnv__buf_clear(&a);
        gnv__buf_clear(&b);
        GNV_TRYG(gnv__type_to_string(&a, w));
        GNV_TRYG(gnv__type_to_string(&b, g));
        GNV_ERR_IF(strcmp(a.ptr, b.ptr) != 0, GNV_EINVAL, GNV_SUB_TABLE,
                   "table '%s': column '%s' has type %s in the data but %s in the table", t->name,
                   w->name, b.ptr, a.ptr);
    }
    if (want->n_children < got->n_children)
        rc = gnv__error_set(GNV_EINVAL, GNV_SUB_TABLE,
                            "table '%s': the data has a column '%s' that the table lacks", t->name,
                            got->children[want->n_children]->name);
    else if (want->n_children > got->n_children)
        rc = gnv__error_set(GNV_EINVAL, GNV_SUB_TABLE, "table '%s': the data lacks column '%s'",
                            t->name, want->children[got->n_children]->name);
done:
    gnv_buf_dispose(&a);
    gnv_buf_dispose(&b);
    gnv__schema_release(&decoded);
    return rc;
}

int gnv_table_schema(const gnv_table *t, struct ArrowSchema *out)
{
    if (!t || !out)
        return gnv__error_set(GNV_EINVAL, GNV_SUB_TABLE, "gnv_table_schema: NULL argument");
    int rc = gnv__lance_fields_to_arrow(out, (Gnvpb__Field *const *)t->m->fields, t->m->n_fields);
    if (rc < 0)
        gnv__error_prefix("table '%s'", t->name);
    return rc;
}

static int plan_init(write_plan *p,
                     gnv_table *t,
                     const struct ArrowSchema *schema,
                     Gnvpb__Field *const *fields,
                     size_t n_fields,
                     const char *format,
                     int64_t max_rows,
                     uint64_t max_bytes)
{
    memset(p, 0, sizeof *p);
    p->t = t;
    p->schema = schema;
    p->max_rows = max_rows > 0 ? max_rows : GNV__DEFAULT_MAX_ROWS;
    p->max_bytes = max_bytes > 0 ? max_bytes : GNV__DEFAULT_MAX_BYTES;
    GNV_TRY(minor_of(t, format, &p->minor));
    return gnv__lance_leaf_ids(&p->leaf_ids, &p->n_leaves, fields, n_fields);
}

int gnv_table_add(gnv_table *t, struct ArrowArrayStream *data, const gnv_add_options *opts)
{
    int rc = GNV_OK;
    struct ArrowSchema want = {0}, got = {0};
    write_plan p = {0};
    GNV_ERR_IF(!t || !data || !data->release, GNV_EINVAL, GNV_SUB_TABLE,
               "gnv_table_add: NULL table or stream");
    GNV_ERR_IF(opts && opts->version > GNV_ADD_OPTIONS_VERSION, GNV_EVERSION, GNV_SUB_TABLE,
               "gnv_table_add: options version %u is newer than this library's", opts->version);
    GNV_ERR_IF(t->read_only, GNV_EINVAL, GNV_SUB_TABLE,
               "table '%s' is checked out at version %" PRIu64 " (read-only); call "
               "gnv_table_checkout_latest first",
               t->name, t->m->version);
    GNV_TRYG(gnv_table_schema(t, &want));
    GNV_TRYG(gnv__stream_get_schema(data, &got));
    GNV_TRYG(check_schema(t, &want, &got));
    GNV_TRYG(plan_init(&p, t, &got, (Gnvpb__Field *const *)t->m->fields, t->m->n_fields,
                       t->m->data_format ? t->m->data_format->version : NULL,
                       opts ? opts->max_rows_per_file : 0, opts ? opts->max_bytes_per_file : 0));
    GNV_TRYG(write_stream(&p, data));
    if (p.n_frags == 0)
        goto done;
    gnv__commit c = {0};
    c.op = GNV__OP_APPEND;
    c.frags = p.frags;
    c.n_frags = p.n_frags;
    rc = gnv__table_commit(t, &c);
done:
    plan_reset(&p);
    gnv__schema_release(&want);
    gnv__schema_release(&got);
    return rc;
}

int gnv__table_write_fragments(Gnvpb__DataFragment ***frags_out,
                               size_t *n_out,
                               gnv_table *t,
                               struct ArrowArrayStream *data)
{
    return gnv__table_write_fragments_limited(frags_out, n_out, t, data, 0, 0);
}

int gnv__table_write_fragments_limited(Gnvpb__DataFragment ***frags_out,
                                       size_t *n_out,
                                       gnv_table *t,
                                       struct ArrowArrayStream *data,
                                       int64_t max_rows,
                                       uint64_t max_bytes)
{
    int rc = GNV_OK;
    struct ArrowSchema got = {0};
    write_plan p = {0};
    *frags_out = NULL;
    *n_out = 0;
    GNV_TRYG(gnv__stream_get_schema(data, &got));
    GNV_TRYG(plan_init(&p, t, &got, (Gnvpb__Field *const *)t->m->fields, t->m->n_fields,
                       t->m->data_format ? t->m->data_format->version : NULL, max_rows, max_bytes));
    GNV_TRYG(write_stream(&p, data));
    *frags_out = p.frags;
    *n_out = p.n_frags;
    p.frags = NULL;
    p.n_frags = 0;
done:
    plan_reset(&p);
    gnv__schema_release(&got);
    return rc;
}

static int create_new(gnv_table *t,
                      struct ArrowArrayStream *data,
                      const struct ArrowSchema *schema,
                      const gnv_create_table_options *opts)
{
    int rc = GNV_OK;
    Gnvpb__Field **fields = NULL;
    size_t n_fields = 0;
    int32_t next_id = 0;
    write_plan p = {0};
    const char *format = opts && opts->storage_version ? opts->storage_version : "2.1";
    /* the field exists from options version 2 on */
    bool stable = opts && opts->version >= 2 && opts->enable_stable_row_ids;
    GNV_ERR_IF(stable && t->m && !gnv__table_stable_row_ids(t->m), GNV_ENOTSUP, GNV_SUB_TABLE,
               "table '%s' has no stable row ids; they cannot be enabled when overwriting it",
               t->name);
    GNV_TRYG(gnv__lance_fields_from_arrow(&fields, &n_fields, schema, &next_id));
    GNV_TRYG(plan_init(&p, t, schema, fields, n_fields, format, opts ? opts->max_rows_per_file : 0,
                       opts ? opts->max_bytes_per_file : 0));
    if (data)
        GNV_TRYG(write_stream(&p, data));
    gnv__commit c = {0};
    c.op = GNV__OP_OVERWRITE;
    c.frags = p.frags;
    c.n_frags = p.n_frags;
    c.fields = fields;
    c.n_fields = n_fields;
    c.data_format = format;
    c.create_only = !t->m;
    c.stable_row_ids = stable;
    rc = gnv__table_commit(t, &c);
done:
    plan_reset(&p);
    gnv__lance_fields_free(fields, n_fields);
    return rc;
}

/* "__system/<name>": a system table's name (only gnv__db_system_table makes those). */
static bool is_system_name(const char *name)
{
    return name && strncmp(name, GNV__SYSTEM_DIR "/", sizeof GNV__SYSTEM_DIR) == 0;
}

static int create_table(gnv_table **out,
                        gnv_db *db,
                        const char *name,
                        struct ArrowArrayStream *data,
                        const struct ArrowSchema *schema,
                        const gnv_create_table_options *opts)
{
    int rc = GNV_OK;
    gnv_table *t = NULL;
    struct ArrowSchema got = {0}, have = {0};
    int mode = opts ? opts->mode : GNV_CREATE_MODE_CREATE;
    if (out)
        *out = NULL;
    GNV_ERR_IF(!out || !db, GNV_EINVAL, GNV_SUB_TABLE, "gnv_db_create_table: NULL argument");
    GNV_ERR_IF(opts && opts->version > GNV_CREATE_TABLE_OPTIONS_VERSION, GNV_EVERSION,
               GNV_SUB_TABLE,
               "gnv_db_create_table: options version %u is newer than this "
               "library's",
               opts->version);
    GNV_ERR_IF(mode < GNV_CREATE_MODE_CREATE || mode > GNV_CREATE_MODE_EXIST_OK, GNV_EINVAL,
               GNV_SUB_TABLE, "gnv_db_create_table: unknown mode %d", mode);
    GNV_TRYG(gnv__table_check_name(is_system_name(name) ? name + sizeof GNV__SYSTEM_DIR : name));
    if (opts && opts->storage_version) {
        const char *sv = opts->storage_version;
        GNV_ERR_IF(strcmp(sv, "2.1") != 0 && strcmp(sv, "2.2") != 0, GNV_EINVAL, GNV_SUB_TABLE,
                   "table '%s': storage_version '%s' is not supported (use \"2.1\" or \"2.2\")",
                   name, sv);
    }
    GNV_ERR_IF(opts && opts->max_rows_per_file < 0, GNV_EINVAL, GNV_SUB_TABLE,
               "table '%s': max_rows_per_file is negative", name);
    if (data && data->release)
        GNV_TRYG(gnv__stream_get_schema(data, &got));
    else if (schema)
        GNV_TRYG(gnv__schema_copy(&got, schema));
    if (got.release) {
        GNV_TRYG(gnv__schema_validate(&got));
        GNV_ERR_IF(strcmp(got.format, "+s") != 0, GNV_EINVAL, GNV_SUB_TABLE,
                   "table '%s': the schema must be a struct (record batch) schema, not '%s'", name,
                   got.format);
    }

    rc = gnv__table_open_at(&t, db, name, 0);
    if (rc == GNV_OK) {
        if (mode == GNV_CREATE_MODE_CREATE) {
            rc = gnv__error_set(GNV_EEXISTS, GNV_SUB_TABLE, "table '%s' already exists", name);
            goto done;
        }
        if (mode == GNV_CREATE_MODE_EXIST_OK) {
            if (got.release) {
                GNV_TRYG(gnv_table_schema(t, &have));
                GNV_TRYG(check_schema(t, &have, &got));
            }
            goto ok;
        }
    } else if (rc == GNV_ENOTFOUND) {
        gnv_error_clear();
        gnv_table_close(t);
        t = NULL;
        /* a handle with no version yet: the commit creates version 1 */
        GNV_TRYG(gnv__table_new(&t, db, name));
    } else {
        goto done;
    }
    GNV_ERR_IF(!got.release, GNV_EINVAL, GNV_SUB_TABLE,
               "table '%s': give data or a schema to create it", name);
    GNV_TRYG(create_new(t, data && data->release ? data : NULL, &got, opts));
ok:
    *out = t;
    t = NULL;
done:
    gnv_table_close(t);
    gnv__schema_release(&got);
    gnv__schema_release(&have);
    return rc;
}

int gnv_db_create_table(gnv_table **out,
                        gnv_db *db,
                        const char *name,
                        struct ArrowArrayStream *data,
                        const struct ArrowSchema *schema,
                        const gnv_create_table_options *opts)
{
    if (is_system_name(name)) {
        if (out)
            *out = NULL;
        return gnv__table_check_name(name); /* names the '/' */
    }
    return create_table(out, db, name, data, schema, opts);
}

int gnv__db_system_table(gnv_table **out,
                         gnv_db *db,
                         const char *name,
                         const struct ArrowSchema *schema)
{
    int rc = GNV_OK;
    gnv_buf full = GNV_BUF_INIT;
    gnv_create_table_options o = GNV_CREATE_TABLE_OPTIONS_INIT;
    o.mode = GNV_CREATE_MODE_EXIST_OK;
    GNV_TRYG(gnv__buf_printf(&full, GNV__SYSTEM_DIR "/%s", name));
    rc = create_table(out, db, full.ptr, NULL, schema, &o);
    if (rc == GNV_EEXISTS) { /* another process created it first */
        gnv_error_clear();
        rc = create_table(out, db, full.ptr, NULL, schema, &o);
    }
done:
    gnv_buf_dispose(&full);
    return rc;
}
