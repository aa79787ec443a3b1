/*
 * Updating rows as Lance does in its "rewrite rows" mode: scan the matching rows with
 * their addresses, compute the new values (SQL expressions over the row, cast to the
 * column's type), write the new rows as new fragments, delete the old rows with
 * deletion files, and commit both in one Update transaction. With stable row ids the
 * new fragments carry the row ids of the rows they replace and those rows' created-at
 * versions (the commit sets their last-updated-at version), as Lance records them.
 */
#include <inttypes.h>
#include <string.h>

#include "arrow/arrow.h"
#include "expr/expr.h"
#include "expr/expr_tree.h" /* gnv__expr_cast */
#include "table.h"

/* The stream of updated rows that the writer consumes. */
typedef struct upd {
    gnv_table *t;
    struct ArrowArrayStream scan;
    struct ArrowSchema in;  /* the scan's: the table's columns, _rowid, _rowaddr */
    struct ArrowSchema out; /* the table's */
    gnv_expr **exprs;       /* per table column: its new value, or NULL to keep it */
    bool *cast;             /* per table column: the value needs a CAST */
    uint64_t *addrs;        /* the addresses of the rows read */
    uint64_t *ids;          /* and their row ids */
    size_t n_addrs, cap;
} upd;

static void upd_reset(upd *u)
{
    if (u->scan.release)
        u->scan.release(&u->scan);
    for (int64_t i = 0; u->exprs && i < u->out.n_children; i++)
        gnv__expr_free(u->exprs[i]);
    gnv__free(u->exprs);
    gnv__free(u->cast);
    gnv__schema_release(&u->in);
    gnv__schema_release(&u->out);
    gnv__free(u->addrs);
    gnv__free(u->ids);
    memset(u, 0, sizeof *u);
}

static int upd_schema(void *self, struct ArrowSchema *out)
{
    upd *u = self;
    return gnv__schema_copy(out, &u->out);
}

/* Keep the row addresses (c) and row ids (r) of a scanned batch. */
static int keep_addrs(upd *u, const struct ArrowArray *c, const struct ArrowArray *r)
{
    size_t n = (size_t)c->length;
    if (n == 0)
        return GNV_OK;
    if (u->n_addrs + n > u->cap) {
        size_t cap = GNV_MAX(2 * u->cap, u->n_addrs + n);
        uint64_t *a = gnv__reallocarray(u->addrs, cap ? cap : 1, sizeof *a);
        if (!a)
            return gnv__error_oom();
        u->addrs = a;
        a = gnv__reallocarray(u->ids, cap ? cap : 1, sizeof *a);
        if (!a)
            return gnv__error_oom();
        u->ids = a;
        u->cap = cap;
    }
    memcpy(u->addrs + u->n_addrs, (const uint64_t *)c->buffers[1] + c->offset,
           n * sizeof *u->addrs);
    memcpy(u->ids + u->n_addrs, (const uint64_t *)r->buffers[1] + r->offset, n * sizeof *u->ids);
    u->n_addrs += n;
    return GNV_OK;
}

static int64_t count_nulls(const struct ArrowSchema *s, const struct ArrowArray *a)
{
    if (a->null_count >= 0)
        return a->null_count;
    gnv_array_view v;
    if (gnv__array_view_init(&v, s, a) < 0) {
        gnv_error_clear();
        return 0;
    }
    int64_t n = 0;
    for (int64_t i = 0; i < a->length; i++)
        n += gnv__view_is_null(&v, i);
    gnv__array_view_reset(&v);
    return n;
}

/* The new value of column i over one scanned batch, as an owned array of its type. */
static int new_value(upd *u, int64_t i, const struct ArrowArray *batch, struct ArrowArray *out)
{
    int rc = GNV_OK;
    struct ArrowArray v = {0};
    struct ArrowSchema vs = {0};
    const struct ArrowSchema *col = u->out.children[i];
    const char *name = col->name ? col->name : "";
    GNV_TRYG(gnv__expr_eval(&v, u->exprs[i], &u->in, batch));
    if (u->cast[i]) {
        GNV_TRYG(gnv__expr_result_schema(&vs, u->exprs[i], name));
        gnv_datum d = {&vs, &v, false};
        GNV_TRYG(gnv__expr_cast(out, &d, col, false, batch->length));
    } else {
        gnv__array_move(&v, out);
    }
    if (!(col->flags & ARROW_FLAG_NULLABLE)) {
        int64_t nulls = count_nulls(col, out);
        if (nulls > 0) {
            gnv__array_release(out);
            rc = gnv__error_set(
                GNV_EINVAL, GNV_SUB_TABLE,
                "the new value is NULL in %" PRId64 " rows but the column is not nullable", nulls);
        }
    }
done:
    if (rc < 0 && rc != GNV_ENOMEM)
        gnv__error_prefix("table '%s': update of column '%s'", u->t->name, name);
    gnv__array_release(&v);
    gnv__schema_release(&vs);
    return rc;
}

static int upd_next(void *self, struct ArrowArray *out)
{
    upd *u = self;
    int rc = GNV_OK;
    struct ArrowArray batch = {0};
    int64_t n = u->out.n_children;
    struct ArrowArray *cols = NULL;
    rc = gnv__stream_next(&u->scan, &batch);
    if (rc < 0 || rc == GNV_ITEROVER)
        return rc;
    GNV_TRYG(keep_addrs(u, batch.children[n + 1], batch.children[n]));
    cols = gnv__calloc(n ? (size_t)n : 1, sizeof *cols);
    GNV_CHECK_ALLOC(cols);
    for (int64_t i = 0; i < n; i++) {
        if (u->exprs[i])
            GNV_TRYG(new_value(u, i, &batch, &cols[i]));
    }
    for (int64_t i = 0; i < n; i++)
        if (!u->exprs[i])
            gnv__array_move(batch.children[i], &cols[i]);
    rc = gnv__struct_of(out, cols, n, batch.length);
    gnv__free(cols);
    cols = NULL;
done:
    if (cols) {
        for (int64_t i = 0; i < n; i++)
            gnv__array_release(&cols[i]);
        gnv__free(cols);
    }
    gnv__array_release(&batch);
    return rc;
}

static void upd_free(void *self)
{
    (void)self; /* owned by gnv_table_update */
}

static const gnv_stream_impl upd_impl = {upd_schema, upd_next, upd_free};

/* Parse and bind the value of each column; decide the casts. */
static int upd_prepare(upd *u, const char *const *columns, const char *const *values_sql, size_t n)
{
    int rc = GNV_OK;
    gnv_buf a = GNV_BUF_INIT, b = GNV_BUF_INIT;
    struct ArrowSchema rs = {0};
    gnv_table *t = u->t;
    int64_t nc = u->out.n_children;
    u->exprs = gnv__calloc(nc ? (size_t)nc : 1, sizeof *u->exprs);
    u->cast = gnv__calloc(nc ? (size_t)nc : 1, sizeof *u->cast);
    GNV_CHECK_ALLOC(u->exprs);
    GNV_CHECK_ALLOC(u->cast);
    for (size_t k = 0; k < n; k++) {
        GNV_ERR_IF(!columns[k] || !values_sql[k], GNV_EINVAL, GNV_SUB_TABLE,
                   "gnv_table_update: column or value %zu is NULL", k);
        int64_t i = 0;
        while (i < nc && strcmp(u->out.children[i]->name, columns[k]) != 0)
            i++;
        GNV_ERR_IF(i == nc, GNV_EINVAL, GNV_SUB_TABLE, "table '%s' has no column '%s' to update",
                   t->name, columns[k]);
        GNV_ERR_IF(u->exprs[i], GNV_EINVAL, GNV_SUB_TABLE,
                   "table '%s': column '%s' is updated twice", t->name, columns[k]);
        rc = gnv__expr_parse(&u->exprs[i], values_sql[k]);
        if (rc == GNV_OK)
            rc = gnv__expr_bind(u->exprs[i], &u->in);
        if (rc < 0) {
            if (rc != GNV_ENOMEM)
                gnv__error_prefix("table '%s': value of column '%s'", t->name, columns[k]);
            goto done;
        }
        GNV_TRYG(gnv__expr_result_schema(&rs, u->exprs[i], columns[k]));
        gnv__buf_clear(&a);
        gnv__buf_clear(&b);
        GNV_TRYG(gnv__type_to_string(&a, &rs));
        GNV_TRYG(gnv__type_to_string(&b, u->out.children[i]));
        u->cast[i] = strcmp(a.ptr, b.ptr) != 0;
        gnv__schema_release(&rs);
    }
done:
    gnv__schema_release(&rs);
    gnv_buf_dispose(&a);
    gnv_buf_dispose(&b);
    return rc;
}

static int update_once(gnv_table *t,
                       const char *where,
                       const char *const *columns,
                       const char *const *values_sql,
                       size_t n,
                       int64_t *updated_out)
{
    int rc = GNV_OK;
    upd u = {0};
    struct ArrowArrayStream rows = {0};
    Gnvpb__DataFragment **frags = NULL;
    size_t n_frags = 0, n_sets = 0;
    gnv__frag_rows *sets = NULL;
    uint32_t *offs = NULL;
    gnv__deletions d = {0};
    if (updated_out)
        *updated_out = 0;
    GNV_ERR_IF(!t || (n && (!columns || !values_sql)), GNV_EINVAL, GNV_SUB_TABLE,
               "gnv_table_update: NULL argument");
    GNV_ERR_IF(n == 0, GNV_EINVAL, GNV_SUB_TABLE, "table '%s': update needs at least one column",
               t->name);
    GNV_ERR_IF(t->read_only, GNV_EINVAL, GNV_SUB_TABLE,
               "table '%s' is checked out at version %" PRIu64 " (read-only); call "
               "gnv_table_checkout_latest first",
               t->name, t->m->version);
    u.t = t;
    gnv_scan_options so = GNV_SCAN_OPTIONS_INIT;
    so.with_row_id = so.with_row_addr = 1;
    so.where = where;
    GNV_TRYG(gnv_table_schema(t, &u.out));
    GNV_TRYG(gnv_table_scan(t, &so, &u.scan));
    GNV_TRYG(gnv__stream_get_schema(&u.scan, &u.in));
    GNV_TRYG(upd_prepare(&u, columns, values_sql, n));

    /* the new rows first, then the deletion files, then the commit naming both */
    GNV_TRYG(gnv__stream_init(&rows, &upd_impl, &u));
    GNV_TRYG(gnv__table_write_fragments(&frags, &n_frags, t, &rows));
    if (u.n_addrs == 0)
        goto done;
    if (gnv__table_stable_row_ids(t->m))
        GNV_TRYG(gnv__rowids_keep_moved(t, u.addrs, u.ids, u.n_addrs, frags, n_frags));
    GNV_TRYG(gnv__group_row_addrs(&sets, &n_sets, &offs, u.addrs, u.n_addrs));
    GNV_TRYG(gnv__table_write_deletions(&d, t, sets, n_sets));
    gnv__commit c = {0};
    c.op = GNV__OP_UPDATE;
    c.frags = frags;
    c.n_frags = n_frags;
    c.updated = d.updated;
    c.n_updated = d.n_updated;
    c.removed_ids = d.removed_ids;
    c.n_removed = d.n_removed;
    GNV_TRYG(gnv__table_commit(t, &c));
    if (updated_out)
        *updated_out = (int64_t)u.n_addrs;
done:
    if (rows.release)
        rows.release(&rows);
    for (size_t i = 0; i < n_frags; i++)
        gnv__pb_free(&frags[i]->base);
    gnv__free(frags);
    gnv__free(sets);
    gnv__free(offs);
    gnv__deletions_reset(&d);
    upd_reset(&u);
    return rc;
}

typedef struct update_args {
    const char *where;
    const char *const *columns;
    const char *const *values_sql;
    size_t n;
    int64_t *updated_out;
} update_args;

static int update_retry(gnv_table *t, void *payload)
{
    update_args *a = payload;
    return update_once(t, a->where, a->columns, a->values_sql, a->n, a->updated_out);
}

int gnv_table_update(gnv_table *t,
                     const char *where,
                     const char *const *columns,
                     const char *const *values_sql,
                     size_t n,
                     int64_t *updated_out)
{
    update_args a = {where, columns, values_sql, n, updated_out};
    /* a concurrent change of the same fragments: run again on the latest version */
    return gnv__retry_conflicts(t, update_retry, &a);
}
