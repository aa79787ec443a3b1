/*
 * Merge insert (upsert), as Lance's merge_insert commits it in its "rewrite rows" mode:
 * matched target rows that are updated are deleted (deletion files) and written again
 * with the source's values, with the inserted rows, as new fragments; target rows not
 * matched by the source may be deleted too; all in one Update transaction.
 *
 * Memory stays bounded by the source: the source is read whole and indexed by key (a
 * hash table over an encoding of the key values); the target is streamed reading only
 * the keys, the delete condition's columns and the row addresses (and ids), keeping the
 * addresses of the rows matched and deleted; the matched rows' other columns are then
 * read by address CHUNK_ROWS at a time while the new rows stream into the writer.
 *
 * Stable row ids: updated rows keep their ids. They are written into fragments of their
 * own that get the ids with gnv__rowids_set(); inserted rows go to other fragments
 * without a sequence, which the commit gives new ids.
 */
#include <inttypes.h>
#include <string.h>

#include "arrow/arrow.h"
#include "expr/expr.h"
#include "table.h"

#define CHUNK_ROWS 8192

/* ---- the source, indexed by key ----------------------------------------------- */

typedef struct source {
    struct ArrowSchema schema; /* as given: a struct of the source's columns */
    struct ArrowArray data;    /* every batch, concatenated */
    gnv_array_view view;
    bool view_live;
    int64_t n;
    int64_t *key_col; /* per key: its child in the source */
    size_t n_keys;
    gnv_buf keys;      /* the encoded keys, back to back */
    size_t *key_off;   /* per row: offset in keys, SIZE_MAX when a key is NULL */
    uint32_t *key_len; /* per row */
    int64_t *slots;    /* open addressing: a row of the key hashed there, or -1 */
    size_t n_slots;    /* a power of two */
    int64_t *next_dup; /* per row: another row with the same key, or -1 */
    bool *matched;     /* per row: a target row has its key */
} source;

static void source_reset(source *s)
{
    if (s->view_live)
        gnv__array_view_reset(&s->view);
    gnv__array_release(&s->data);
    gnv__schema_release(&s->schema);
    gnv__free(s->key_col);
    gnv_buf_dispose(&s->keys);
    gnv__free(s->key_off);
    gnv__free(s->key_len);
    gnv__free(s->slots);
    gnv__free(s->next_dup);
    gnv__free(s->matched);
    memset(s, 0, sizeof *s);
}

/* Read the whole source, checking each batch as untrusted input. */
static int source_read(source *s, struct ArrowArrayStream *in)
{
    int rc = GNV_OK;
    struct ArrowArray *parts = NULL;
    size_t n_parts = 0, cap = 0;
    GNV_TRYG(gnv__stream_get_schema(in, &s->schema));
    GNV_ERR_IF(strcmp(s->schema.format ? s->schema.format : "", "+s") != 0, GNV_EINVAL,
               GNV_SUB_TABLE, "merge insert: the source's schema is not a struct of columns");
    GNV_TRYG(gnv__schema_validate(&s->schema));
    for (;;) {
        if (n_parts == cap) {
            size_t ncap = cap ? 2 * cap : 8;
            struct ArrowArray *p = gnv__reallocarray(parts, ncap, sizeof *p);
            GNV_CHECK_ALLOC(p);
            parts = p;
            cap = ncap;
        }
        rc = gnv__stream_next(in, &parts[n_parts]);
        if (rc == GNV_ITEROVER)
            break;
        GNV_TRYG(rc);
        n_parts++;
        rc = gnv__array_validate(&s->schema, &parts[n_parts - 1], true);
        if (rc < 0) {
            gnv__error_prefix("merge insert: source batch %zu", n_parts);
            goto done;
        }
    }
    rc = GNV_OK;
    {
        const struct ArrowArray **ptrs = gnv__calloc(n_parts ? n_parts : 1, sizeof *ptrs);
        GNV_CHECK_ALLOC(ptrs);
        for (size_t i = 0; i < n_parts; i++)
            ptrs[i] = &parts[i];
        rc = gnv__array_concat(&s->data, &s->schema, (const struct ArrowArray *const *)ptrs,
                               (int64_t)n_parts);
        gnv__free(ptrs);
        GNV_TRYG(rc);
    }
    GNV_TRYG(gnv__array_finish(&s->data));
    s->n = s->data.length;
    GNV_TRYG(gnv__array_view_init(&s->view, &s->schema, &s->data));
    s->view_live = true;
done:
    for (size_t i = 0; i < n_parts; i++)
        gnv__array_release(&parts[i]);
    gnv__free(parts);
    return rc;
}

static bool key_type_ok(gnv_type_id id)
{
    return id != GNV_TYPE_NA && !gnv__type_is_nested(id);
}

/*
 * Append the encoding of one row's key (the views of its key columns, struct-level
 * index `row` of the struct view `sv`) to out: equal keys of the same types encode to
 * equal bytes (floats by their bits, as Arrow's total order compares them). *is_null
 * is set when a key column is NULL there (such a row matches nothing).
 */
static int encode_key(gnv_buf *out,
                      bool *is_null,
                      const gnv_array_view *sv,
                      const int64_t *cols,
                      size_t n,
                      int64_t row)
{
    gnv__buf_clear(out);
    *is_null = false;
    for (size_t k = 0; k < n; k++) {
        const gnv_array_view *v = &sv->children[cols[k]];
        int64_t i = gnv__view_struct_index(sv, row);
        if (gnv__view_is_null(v, i)) {
            *is_null = true;
            return GNV_OK;
        }
        if (v->dictionary) {
            i = gnv__view_dict_index(v, i);
            v = v->dictionary;
            if (gnv__view_is_null(v, i)) {
                *is_null = true;
                return GNV_OK;
            }
        }
        gnv_type_id id = v->type.id;
        if (id == GNV_TYPE_BOOL) {
            uint8_t b = gnv__view_get_bool(v, i);
            GNV_TRY(gnv__buf_put(out, &b, 1));
        } else if (gnv__type_is_integer(id) || id == GNV_TYPE_DATE32 || id == GNV_TYPE_TIMESTAMP) {
            uint64_t x = gnv__type_is_integer(id) && !gnv__type_is_signed(id)
                             ? gnv__view_get_uint(v, i)
                             : (uint64_t)gnv__view_get_int(v, i);
            GNV_TRY(gnv__buf_put(out, &x, sizeof x));
        } else if (gnv__type_is_floating(id)) {
            double d = gnv__view_get_double(v, i);
            GNV_TRY(gnv__buf_put(out, &d, sizeof d));
        } else if (gnv__type_is_binary_like(id) || id == GNV_TYPE_FIXED_SIZE_BINARY) {
            int64_t len = 0;
            const uint8_t *p = gnv__view_get_bytes(v, i, &len);
            GNV_TRY(gnv__buf_put(out, &len, sizeof len));
            if (len > 0)
                GNV_TRY(gnv__buf_put(out, p, (size_t)len));
        } else {
            return gnv__error_set(GNV_ENOTSUP, GNV_SUB_TABLE,
                                  "merge insert: cannot compare keys of type %s",
                                  gnv__type_id_name(id));
        }
    }
    return GNV_OK;
}

static int64_t lookup(const source *s, const char *key, size_t len, uint64_t h)
{
    size_t mask = s->n_slots - 1;
    for (size_t p = (size_t)h & mask;; p = (p + 1) & mask) {
        int64_t r = s->slots[p];
        if (r < 0)
            return -1;
        if (s->key_len[r] == len && (len == 0 || !memcmp(s->keys.ptr + s->key_off[r], key, len)))
            return r;
    }
}

/* Index the source's rows by key (s->key_col set). */
static int source_index(source *s)
{
    int rc = GNV_OK;
    gnv_buf k = GNV_BUF_INIT;
    size_t n = (size_t)s->n;
    s->n_slots = 16;
    while (s->n_slots < 2 * n)
        s->n_slots *= 2;
    s->key_off = gnv__calloc(n ? n : 1, sizeof *s->key_off);
    s->key_len = gnv__calloc(n ? n : 1, sizeof *s->key_len);
    s->next_dup = gnv__calloc(n ? n : 1, sizeof *s->next_dup);
    s->matched = gnv__calloc(n ? n : 1, sizeof *s->matched);
    s->slots = gnv__calloc(s->n_slots, sizeof *s->slots);
    GNV_CHECK_ALLOC(s->key_off);
    GNV_CHECK_ALLOC(s->key_len);
    GNV_CHECK_ALLOC(s->next_dup);
    GNV_CHECK_ALLOC(s->matched);
    GNV_CHECK_ALLOC(s->slots);
    for (size_t i = 0; i < s->n_slots; i++)
        s->slots[i] = -1;
    for (size_t r = 0; r < n; r++) {
        bool null;
        s->next_dup[r] = -1;
        GNV_TRYG(encode_key(&k, &null, &s->view, s->key_col, s->n_keys, (int64_t)r));
        if (null) {
            s->key_off[r] = SIZE_MAX;
            continue;
        }
        GNV_ERR_IF(k.size > UINT32_MAX, GNV_EINVAL, GNV_SUB_TABLE,
                   "merge insert: the key of source row %zu is too long", r);
        s->key_off[r] = s->keys.size;
        s->key_len[r] = (uint32_t)k.size;
        GNV_TRYG(gnv__buf_put(&s->keys, k.ptr, k.size));
        uint64_t h = gnv__xxh3(k.ptr, k.size);
        int64_t head = lookup(s, k.ptr, k.size, h);
        if (head >= 0) { /* a duplicate: chained behind the first row of its key */
            s->next_dup[r] = s->next_dup[head];
            s->next_dup[head] = (int64_t)r;
            continue;
        }
        size_t mask = s->n_slots - 1, p = (size_t)h & mask;
        while (s->slots[p] >= 0)
            p = (p + 1) & mask;
        s->slots[p] = (int64_t)r;
    }
done:
    gnv_buf_dispose(&k);
    return rc;
}

/* ---- one merge, at the handle's version ----------------------------------------- */

typedef struct merge {
    gnv_table *t;
    const gnv_merge_insert_options *o;
    source *src;
    struct ArrowSchema tschema; /* the table's */
    int64_t n_cols;
    int64_t *src_col; /* per table column: the source's child holding it, or -1 */
    bool *from_src;   /* per table column: updated rows take it from the source */
    bool need_target; /* updated rows need the target's values (some column kept, or the
                         condition) */
    bool stable;
    gnv_expr *cond;             /* when_matched_condition over cschema */
    struct ArrowSchema cschema; /* struct {target, source} */
    gnv_expr *del;              /* delete_condition over the scan's schema */
    /* from the scan: matched pairs (updated ones compacted to the front as they are
     * written) and rows to delete */
    uint64_t *m_addr, *m_rowid;
    int64_t *m_src;
    size_t n_m, cap_m, n_u;
    uint64_t *d_addr;
    size_t n_d, cap_d;
    int64_t n_ins;
    /* the writer's stream */
    int phase; /* 0: updated rows, 1: inserted rows, 2: done */
    int last_phase;
    size_t pos;
    int64_t ins_pos;
} merge;

static void merge_reset(merge *m)
{
    gnv__schema_release(&m->tschema);
    gnv__schema_release(&m->cschema);
    gnv__free(m->src_col);
    gnv__free(m->from_src);
    gnv__expr_free(m->cond);
    gnv__expr_free(m->del);
    gnv__free(m->m_addr);
    gnv__free(m->m_rowid);
    gnv__free(m->m_src);
    gnv__free(m->d_addr);
    memset(m, 0, sizeof *m);
}

static int64_t table_col(const merge *m, const char *name)
{
    for (int64_t i = 0; i < m->n_cols; i++)
        if (!strcmp(m->tschema.children[i]->name, name))
            return i;
    return -1;
}

static int64_t source_col(const source *s, const char *name)
{
    for (int64_t i = 0; i < s->schema.n_children; i++)
        if (s->schema.children[i]->name && !strcmp(s->schema.children[i]->name, name))
            return i;
    return -1;
}

/* Check the source's columns against the table's and decide where each column of an
 * updated row comes from. */
static int merge_columns(merge *m)
{
    int rc = GNV_OK;
    gnv_table *t = m->t;
    const gnv_merge_insert_options *o = m->o;
    source *s = m->src;
    gnv_buf a = GNV_BUF_INIT, b = GNV_BUF_INIT;
    GNV_TRYG(gnv_table_schema(t, &m->tschema));
    m->n_cols = m->tschema.n_children;
    m->src_col = gnv__calloc(m->n_cols ? (size_t)m->n_cols : 1, sizeof *m->src_col);
    m->from_src = gnv__calloc(m->n_cols ? (size_t)m->n_cols : 1, sizeof *m->from_src);
    GNV_CHECK_ALLOC(m->src_col);
    GNV_CHECK_ALLOC(m->from_src);
    for (int64_t j = 0; j < m->n_cols; j++)
        m->src_col[j] = -1;
    for (int64_t i = 0; i < s->schema.n_children; i++) {
        const struct ArrowSchema *c = s->schema.children[i];
        int64_t j = table_col(m, c->name);
        GNV_ERR_IF(j < 0, GNV_EINVAL, GNV_SUB_TABLE,
                   "table '%s' has no column '%s', which the merge insert's source has", t->name,
                   c->name);
        GNV_ERR_IF(m->src_col[j] >= 0, GNV_EINVAL, GNV_SUB_TABLE,
                   "the merge insert's source has two columns named '%s'", c->name);
        gnv__buf_clear(&a);
        gnv__buf_clear(&b);
        GNV_TRYG(gnv__type_to_string(&a, c));
        GNV_TRYG(gnv__type_to_string(&b, m->tschema.children[j]));
        GNV_ERR_IF(strcmp(a.ptr, b.ptr) != 0, GNV_EINVAL, GNV_SUB_TABLE,
                   "the merge insert's source column '%s' is %s, but table '%s' has it as %s",
                   c->name, a.ptr, t->name, b.ptr);
        m->src_col[j] = i;
    }
    for (size_t k = 0; k < o->n_on; k++) {
        GNV_ERR_IF(!o->on[k], GNV_EINVAL, GNV_SUB_TABLE, "merge insert: key %zu is NULL", k);
        int64_t j = table_col(m, o->on[k]);
        GNV_ERR_IF(j < 0, GNV_EINVAL, GNV_SUB_TABLE, "table '%s' has no column '%s' to merge on",
                   t->name, o->on[k]);
        GNV_ERR_IF(m->src_col[j] < 0, GNV_EINVAL, GNV_SUB_TABLE,
                   "the merge insert's source lacks the key column '%s'", o->on[k]);
        gnv_type ty;
        GNV_TRYG(gnv__type_parse(&ty, m->tschema.children[j]->dictionary
                                          ? m->tschema.children[j]->dictionary->format
                                          : m->tschema.children[j]->format));
        GNV_ERR_IF(!key_type_ok(ty.id), GNV_ENOTSUP, GNV_SUB_TABLE,
                   "merge insert: key column '%s' is of type %s, which cannot be a key", o->on[k],
                   gnv__type_id_name(ty.id));
        for (size_t q = 0; q < k; q++)
            GNV_ERR_IF(!strcmp(o->on[q], o->on[k]), GNV_EINVAL, GNV_SUB_TABLE,
                       "merge insert: key column '%s' is given twice", o->on[k]);
    }
    for (int64_t j = 0; j < m->n_cols; j++)
        m->from_src[j] = m->src_col[j] >= 0 && !o->update_columns;
    for (size_t k = 0; o->update_columns && k < o->n_update_columns; k++) {
        const char *name = o->update_columns[k];
        GNV_ERR_IF(!name, GNV_EINVAL, GNV_SUB_TABLE, "merge insert: update column %zu is NULL", k);
        int64_t j = table_col(m, name);
        GNV_ERR_IF(j < 0, GNV_EINVAL, GNV_SUB_TABLE, "table '%s' has no column '%s' to update",
                   t->name, name);
        GNV_ERR_IF(m->src_col[j] < 0, GNV_EINVAL, GNV_SUB_TABLE,
                   "the merge insert's source lacks column '%s', which is to be updated", name);
        m->from_src[j] = true;
    }
    m->need_target = o->when_matched_condition && *o->when_matched_condition;
    for (int64_t j = 0; j < m->n_cols; j++)
        m->need_target |= !m->from_src[j];
done:
    gnv_buf_dispose(&a);
    gnv_buf_dispose(&b);
    return rc;
}

/* Parse and bind when_matched_condition to struct {target: the table's columns,
 * source: the source's}. */
static int merge_condition(merge *m)
{
    int rc = GNV_OK;
    const char *text = m->o->when_matched_condition;
    if (!text || !*text || !m->o->when_matched_update)
        return GNV_OK;
    GNV_TRYG(gnv__schema_init(&m->cschema, "+s", "", 0));
    GNV_TRYG(gnv__schema_alloc_children(&m->cschema, 2));
    GNV_TRYG(gnv__schema_copy(m->cschema.children[0], &m->tschema));
    GNV_TRYG(gnv__schema_set_name(m->cschema.children[0], "target"));
    GNV_TRYG(gnv__schema_copy(m->cschema.children[1], &m->src->schema));
    GNV_TRYG(gnv__schema_set_name(m->cschema.children[1], "source"));
    m->cschema.children[0]->flags |= ARROW_FLAG_NULLABLE;
    m->cschema.children[1]->flags |= ARROW_FLAG_NULLABLE;
    GNV_TRYG(gnv__expr_parse(&m->cond, text));
    GNV_TRYG(gnv__expr_bind(m->cond, &m->cschema));
done:
    if (rc < 0 && rc != GNV_ENOMEM)
        gnv__error_prefix("merge insert: when_matched_condition");
    return rc;
}

static int push_u64(uint64_t **a, size_t *n, size_t *cap, uint64_t x)
{
    if (*n == *cap) {
        size_t c = *cap ? 2 * *cap : 1024;
        uint64_t *p = gnv__reallocarray(*a, c, sizeof *p);
        if (!p)
            return gnv__error_oom();
        *a = p;
        *cap = c;
    }
    (*a)[(*n)++] = x;
    return GNV_OK;
}

static int push_match(merge *m, uint64_t addr, uint64_t rowid, int64_t src)
{
    if (m->n_m == m->cap_m) {
        size_t c = m->cap_m ? 2 * m->cap_m : 1024;
        uint64_t *a = gnv__reallocarray(m->m_addr, c, sizeof *a);
        if (!a)
            return gnv__error_oom();
        m->m_addr = a;
        uint64_t *r = gnv__reallocarray(m->m_rowid, c, sizeof *r);
        if (!r)
            return gnv__error_oom();
        m->m_rowid = r;
        int64_t *s = gnv__reallocarray(m->m_src, c, sizeof *s);
        if (!s)
            return gnv__error_oom();
        m->m_src = s;
        m->cap_m = c;
    }
    m->m_addr[m->n_m] = addr;
    m->m_rowid[m->n_m] = rowid;
    m->m_src[m->n_m] = src;
    m->n_m++;
    return GNV_OK;
}

/* "(id = 5, name = "x")": the key of source row r, for messages. */
static int describe_key(gnv_buf *out, const merge *m, int64_t r)
{
    const source *s = m->src;
    GNV_TRY(gnv__buf_putc(out, '('));
    for (size_t k = 0; k < s->n_keys; k++) {
        const gnv_array_view *v = &s->view.children[s->key_col[k]];
        GNV_TRY(gnv__buf_printf(out, "%s%s = ", k ? ", " : "", m->o->on[k]));
        GNV_TRY(gnv__print_json_value(out, v, gnv__view_struct_index(&s->view, r)));
    }
    return gnv__buf_putc(out, ')');
}

/* Stream the target's keys: record the matched pairs and the rows to delete. */
static int merge_scan(merge *m)
{
    int rc = GNV_OK;
    gnv_table *t = m->t;
    const gnv_merge_insert_options *o = m->o;
    source *s = m->src;
    const char **cols = NULL;
    size_t n_cols = 0;
    struct ArrowArrayStream st = {0};
    struct ArrowSchema ss = {0};
    struct ArrowArray b = {0};
    gnv_array_view v = {0};
    bool v_live = false;
    gnv_buf key = GNV_BUF_INIT, sel = GNV_BUF_INIT, msg = GNV_BUF_INIT;
    int64_t *kcols = NULL;
    uint8_t *del_ok = NULL;
    bool deleting = o->when_not_matched_by_source_delete;
    const char *del_text =
        deleting && o->delete_condition && *o->delete_condition ? o->delete_condition : NULL;
    const char *const *dcols = NULL;
    int64_t n_dcols = 0;
    if (del_text) {
        rc = gnv__expr_parse(&m->del, del_text);
        if (rc < 0) {
            if (rc != GNV_ENOMEM)
                gnv__error_prefix("merge insert: delete_condition");
            goto done;
        }
        GNV_TRYG(gnv__expr_columns(&dcols, &n_dcols, m->del));
    }
    cols = gnv__calloc(o->n_on + (size_t)n_dcols + 2, sizeof *cols);
    kcols = gnv__calloc(o->n_on ? o->n_on : 1, sizeof *kcols);
    GNV_CHECK_ALLOC(cols);
    GNV_CHECK_ALLOC(kcols);
    for (size_t k = 0; k < o->n_on; k++) {
        kcols[k] = (int64_t)k;
        cols[n_cols++] = o->on[k];
    }
    for (int64_t i = 0; i < n_dcols; i++) {
        bool seen = !strcmp(dcols[i], "_rowaddr") || !strcmp(dcols[i], "_rowid");
        GNV_ERR_IF(!seen && table_col(m, dcols[i]) < 0, GNV_EINVAL, GNV_SUB_TABLE,
                   "merge insert: delete_condition: table '%s' has no column '%s'", t->name,
                   dcols[i]);
        for (size_t q = 0; q < n_cols && !seen; q++)
            seen = !strcmp(cols[q], dcols[i]);
        if (!seen)
            cols[n_cols++] = dcols[i];
    }
    int64_t addr_col = (int64_t)n_cols, id_col = (int64_t)n_cols + 1;
    cols[n_cols++] = "_rowaddr";
    cols[n_cols++] = "_rowid";
    gnv_scan_options so = GNV_SCAN_OPTIONS_INIT;
    so.columns = cols;
    so.n_columns = n_cols;
    GNV_TRYG(gnv_table_scan(t, &so, &st));
    GNV_TRYG(gnv__stream_get_schema(&st, &ss));
    if (m->del) {
        rc = gnv__expr_bind(m->del, &ss);
        if (rc < 0) {
            if (rc != GNV_ENOMEM)
                gnv__error_prefix("merge insert: delete_condition");
            goto done;
        }
    }
    for (;;) {
        rc = gnv__stream_next(&st, &b);
        if (rc == GNV_ITEROVER)
            break;
        GNV_TRYG(rc);
        GNV_TRYG(gnv__array_view_init(&v, &ss, &b));
        v_live = true;
        const gnv_array_view *av = &v.children[addr_col], *iv = &v.children[id_col];
        gnv__free(del_ok);
        del_ok = NULL;
        if (m->del) {
            int64_t n_sel = 0;
            rc = gnv__expr_filter(&sel, &n_sel, m->del, &ss, &b);
            if (rc < 0) {
                if (rc != GNV_ENOMEM)
                    gnv__error_prefix("merge insert: delete_condition");
                goto done;
            }
            del_ok = gnv__calloc((size_t)b.length / 8 + 1, 1);
            GNV_CHECK_ALLOC(del_ok);
            const int64_t *ix = (const int64_t *)(void *)sel.ptr;
            for (int64_t i = 0; i < n_sel; i++)
                del_ok[ix[i] >> 3] |= (uint8_t)(1u << (ix[i] & 7));
        }
        for (int64_t i = 0; i < b.length; i++) {
            bool null;
            int64_t r = -1;
            GNV_TRYG(encode_key(&key, &null, &v, kcols, o->n_on, i));
            if (!null)
                r = lookup(s, key.ptr, key.size, gnv__xxh3(key.ptr, key.size));
            uint64_t addr = gnv__view_get_uint(av, gnv__view_struct_index(&v, i));
            if (r < 0) {
                if (deleting && (!del_ok || (del_ok[i >> 3] >> (i & 7) & 1)))
                    GNV_TRYG(push_u64(&m->d_addr, &m->n_d, &m->cap_d, addr));
                continue;
            }
            for (int64_t q = r; q >= 0; q = s->next_dup[q])
                s->matched[q] = true;
            if (!o->when_matched_update)
                continue;
            if (s->next_dup[r] >= 0) {
                GNV_TRYG(describe_key(&msg, m, r));
                GNV_ERR_IF(true, GNV_EINVAL, GNV_SUB_TABLE,
                           "ambiguous merge insert: several source rows match the same row of "
                           "table '%s' on %s; each target row may be matched by at most one "
                           "source row",
                           t->name, msg.ptr);
            }
            GNV_TRYG(push_match(m, addr, gnv__view_get_uint(iv, gnv__view_struct_index(&v, i)), r));
        }
        gnv__array_view_reset(&v);
        v_live = false;
        gnv__array_release(&b);
    }
    rc = GNV_OK;
done:
    if (v_live)
        gnv__array_view_reset(&v);
    gnv__array_release(&b);
    gnv__schema_release(&ss);
    if (st.release)
        st.release(&st);
    gnv__free(cols);
    gnv__free(kcols);
    gnv__free(del_ok);
    gnv_buf_dispose(&key);
    gnv_buf_dispose(&sel);
    gnv_buf_dispose(&msg);
    return rc;
}

/* ---- the stream of new rows --------------------------------------------------- */

static int new_rows_schema(void *self, struct ArrowSchema *out)
{
    merge *m = self;
    return gnv__schema_copy(out, &m->tschema);
}

/* Owned, empty arrays, one per table column. */
static int init_cols(merge *m, struct ArrowArray **out)
{
    int rc = GNV_OK;
    struct ArrowArray *cols = gnv__calloc(m->n_cols ? (size_t)m->n_cols : 1, sizeof *cols);
    GNV_CHECK_ALLOC(cols);
    for (int64_t j = 0; j < m->n_cols; j++)
        GNV_TRYG(gnv__array_init(&cols[j], m->tschema.children[j]));
done:
    if (rc < 0 && cols) {
        for (int64_t j = 0; j < m->n_cols; j++)
            gnv__array_release(&cols[j]);
        gnv__free(cols);
        cols = NULL;
    }
    *out = cols;
    return rc;
}

static void free_cols(merge *m, struct ArrowArray *cols)
{
    for (int64_t j = 0; cols && j < m->n_cols; j++)
        gnv__array_release(&cols[j]);
    gnv__free(cols);
}

/* Finish the columns and check nullability; *out becomes the struct of `length` rows
 * (the columns are moved in either way). */
static int finish_cols(merge *m, struct ArrowArray *cols, int64_t length, struct ArrowArray *out)
{
    int rc = GNV_OK;
    for (int64_t j = 0; j < m->n_cols; j++) {
        GNV_TRYG(gnv__array_finish(&cols[j]));
        const struct ArrowSchema *c = m->tschema.children[j];
        GNV_ERR_IF(!(c->flags & ARROW_FLAG_NULLABLE) && cols[j].null_count > 0, GNV_EINVAL,
                   GNV_SUB_TABLE,
                   "merge insert: column '%s' of table '%s' is not nullable, but the source "
                   "gives NULL for it",
                   c->name, m->t->name);
    }
    return gnv__struct_of(out, cols, m->n_cols, length);
done:
    for (int64_t j = 0; j < m->n_cols; j++)
        gnv__array_release(&cols[j]);
    return rc;
}

/* Append rows[0..n) of child `child` of the struct view sv to dst, a run of consecutive
 * rows at a time. */
static int put_rows(
    struct ArrowArray *dst, const gnv_array_view *sv, int64_t child, const int64_t *rows, int64_t n)
{
    for (int64_t k = 0; k < n;) {
        int64_t e = k + 1;
        while (e < n && rows[e] == rows[e - 1] + 1)
            e++;
        GNV_TRY(gnv__array_append_view(dst, &sv->children[child],
                                       gnv__view_struct_index(sv, rows[k]), e - k));
        k = e;
    }
    return GNV_OK;
}

/* The source rows src[0..n) as a struct array of the source's schema. */
static int gather_source(struct ArrowArray *out, const source *s, const int64_t *src, size_t n)
{
    int rc = GNV_OK;
    int64_t nc = s->schema.n_children;
    struct ArrowArray *cols = gnv__calloc(nc ? (size_t)nc : 1, sizeof *cols);
    GNV_CHECK_ALLOC(cols);
    for (int64_t c = 0; c < nc; c++) {
        GNV_TRYG(gnv__array_init(&cols[c], s->schema.children[c]));
        GNV_TRYG(put_rows(&cols[c], &s->view, c, src, (int64_t)n));
        GNV_TRYG(gnv__array_finish(&cols[c]));
    }
    rc = gnv__struct_of(out, cols, nc, (int64_t)n);
    gnv__free(cols);
    return rc;
done:
    for (int64_t c = 0; cols && c < nc; c++)
        gnv__array_release(&cols[c]);
    gnv__free(cols);
    return rc;
}

/*
 * The updated rows of the matched pairs [a, b): the target's values (read by address)
 * with the source's in the columns taken from it, where the condition holds. The pairs
 * written are moved to m->m_*[m->n_u...].
 */
static int update_chunk(merge *m, size_t a, size_t b, struct ArrowArray *out, int64_t *rows)
{
    int rc = GNV_OK;
    size_t n = b - a;
    struct ArrowSchema ts = {0};
    struct ArrowArray ta = {0}, comb = {0};
    struct ArrowArray *cols = NULL;
    gnv_array_view cv = {0};
    bool cv_live = false;
    const gnv_array_view *tv = NULL;
    gnv_buf sel = GNV_BUF_INIT;
    int64_t n_sel = (int64_t)n;
    int64_t *tidx = NULL, *sidx = NULL;
    *rows = 0;
    if (m->need_target) {
        GNV_TRYG(gnv_table_take(m->t, m->m_addr + a, n, NULL, 0, &ts, &ta));
        if (!m->cond) {
            GNV_TRYG(gnv__array_view_init(&cv, &ts, &ta));
            cv_live = true;
            tv = &cv;
        } else {
            /* the pairs as struct {target, source} for the condition */
            struct ArrowArray two[2];
            rc = gather_source(&two[1], m->src, m->m_src + a, n);
            if (rc < 0)
                goto done;
            gnv__array_move(&ta, &two[0]);
            GNV_TRYG(gnv__struct_of(&comb, two, 2, (int64_t)n));
            GNV_TRYG(gnv__array_view_init(&cv, &m->cschema, &comb));
            cv_live = true;
            tv = &cv.children[0];
            rc = gnv__expr_filter(&sel, &n_sel, m->cond, &m->cschema, &comb);
            if (rc < 0) {
                if (rc != GNV_ENOMEM)
                    gnv__error_prefix("merge insert: when_matched_condition");
                goto done;
            }
        }
    }
    if (n_sel == 0)
        goto done;
    GNV_TRYG(init_cols(m, &cols));
    const int64_t *ix = m->cond ? (const int64_t *)(void *)sel.ptr : NULL;
    tidx = gnv__calloc((size_t)n_sel, sizeof *tidx);
    sidx = gnv__calloc((size_t)n_sel, sizeof *sidx);
    GNV_CHECK_ALLOC(tidx);
    GNV_CHECK_ALLOC(sidx);
    for (int64_t k = 0; k < n_sel; k++) {
        tidx[k] = ix ? ix[k] : k;
        sidx[k] = m->m_src[a + (size_t)tidx[k]];
    }
    for (int64_t j = 0; j < m->n_cols; j++) {
        if (m->from_src[j])
            GNV_TRYG(put_rows(&cols[j], &m->src->view, m->src_col[j], sidx, n_sel));
        else
            GNV_TRYG(put_rows(&cols[j], tv, j, tidx, n_sel));
    }
    rc = finish_cols(m, cols, n_sel, out);
    gnv__free(cols);
    cols = NULL;
    GNV_TRYG(rc);
    for (int64_t k = 0; k < n_sel; k++) {
        size_t i = a + (size_t)(ix ? ix[k] : k);
        m->m_addr[m->n_u] = m->m_addr[i];
        m->m_rowid[m->n_u] = m->m_rowid[i];
        m->m_src[m->n_u] = m->m_src[i];
        m->n_u++;
    }
    *rows = n_sel;
done:
    if (cv_live)
        gnv__array_view_reset(&cv);
    free_cols(m, cols);
    gnv__array_release(&comb);
    gnv__array_release(&ta);
    gnv__schema_release(&ts);
    gnv_buf_dispose(&sel);
    gnv__free(tidx);
    gnv__free(sidx);
    return rc;
}

/* Up to CHUNK_ROWS unmatched source rows from m->ins_pos on. */
static int insert_chunk(merge *m, struct ArrowArray *out, int64_t *rows)
{
    int rc = GNV_OK;
    source *s = m->src;
    struct ArrowArray *cols = NULL;
    int64_t *sidx = NULL;
    int64_t n = 0;
    *rows = 0;
    while (m->ins_pos < s->n && s->matched[m->ins_pos])
        m->ins_pos++;
    if (m->ins_pos == s->n)
        return GNV_OK;
    sidx = gnv__calloc(CHUNK_ROWS, sizeof *sidx);
    GNV_CHECK_ALLOC(sidx);
    for (; m->ins_pos < s->n && n < CHUNK_ROWS; m->ins_pos++)
        if (!s->matched[m->ins_pos])
            sidx[n++] = m->ins_pos;
    GNV_TRYG(init_cols(m, &cols));
    for (int64_t j = 0; j < m->n_cols; j++) {
        if (m->src_col[j] >= 0)
            GNV_TRYG(put_rows(&cols[j], &s->view, m->src_col[j], sidx, n));
        else
            GNV_TRYG(gnv__array_append_null(&cols[j], n));
    }
    rc = finish_cols(m, cols, n, out);
    gnv__free(cols);
    cols = NULL;
    GNV_TRYG(rc);
    m->n_ins += n;
    *rows = n;
done:
    free_cols(m, cols);
    gnv__free(sidx);
    return rc;
}

static int new_rows_next(void *self, struct ArrowArray *out)
{
    merge *m = self;
    int64_t rows = 0;
    while (m->phase <= m->last_phase) {
        if (m->phase == 0) {
            if (m->pos >= m->n_m) {
                m->phase++;
                continue;
            }
            size_t b = GNV_MIN(m->n_m, m->pos + CHUNK_ROWS), a = m->pos;
            m->pos = b;
            GNV_TRY(update_chunk(m, a, b, out, &rows));
        } else if (m->phase == 1) {
            if (!m->o->when_not_matched_insert) {
                m->phase++;
                continue;
            }
            GNV_TRY(insert_chunk(m, out, &rows));
            if (rows == 0) {
                m->phase++;
                continue;
            }
        } else {
            break;
        }
        if (rows > 0)
            return GNV_OK;
    }
    return GNV_ITEROVER;
}

static void new_rows_free(void *self)
{
    (void)self; /* owned by merge_once */
}

static const gnv_stream_impl new_rows_impl = {new_rows_schema, new_rows_next, new_rows_free};

/* Write the rows of phases [first, last] as new fragments, appended to *frags. */
static int write_phase(merge *m, int first, int last, Gnvpb__DataFragment ***frags, size_t *n)
{
    int rc = GNV_OK;
    struct ArrowArrayStream st = {0};
    Gnvpb__DataFragment **got = NULL;
    size_t n_got = 0;
    m->phase = first;
    m->last_phase = last;
    GNV_TRYG(gnv__stream_init(&st, &new_rows_impl, m));
    GNV_TRYG(gnv__table_write_fragments(&got, &n_got, m->t, &st));
    if (n_got) {
        Gnvpb__DataFragment **all = gnv__reallocarray(*frags, *n + n_got, sizeof *all);
        GNV_CHECK_ALLOC(all);
        memcpy(all + *n, got, n_got * sizeof *got);
        *frags = all;
        *n += n_got;
        n_got = 0;
    }
done:
    if (st.release)
        st.release(&st);
    for (size_t i = 0; i < n_got; i++)
        gnv__pb_free(&got[i]->base);
    gnv__free(got);
    return rc;
}

static int
merge_once(gnv_table *t, source *src, const gnv_merge_insert_options *o, gnv_merge_insert_stats *st)
{
    int rc = GNV_OK;
    merge m = {0};
    Gnvpb__DataFragment **frags = NULL;
    size_t n_frags = 0, n_sets = 0;
    uint64_t *addrs = NULL;
    gnv__frag_rows *sets = NULL;
    uint32_t *offs = NULL;
    gnv__deletions d = {0};
    gnv_buf msg = GNV_BUF_INIT;
    memset(st, 0, sizeof *st);
    st->version = t->m->version;
    GNV_ERR_IF(t->read_only, GNV_EINVAL, GNV_SUB_TABLE,
               "table '%s' is checked out at version %" PRIu64 " (read-only); call "
               "gnv_table_checkout_latest first",
               t->name, t->m->version);
    m.t = t;
    m.o = o;
    m.src = src;
    m.stable = gnv__table_stable_row_ids(t->m);
    GNV_TRYG(merge_columns(&m));
    if (!src->key_col) {
        src->key_col = gnv__calloc(o->n_on, sizeof *src->key_col);
        GNV_CHECK_ALLOC(src->key_col);
        src->n_keys = o->n_on;
        for (size_t k = 0; k < o->n_on; k++)
            src->key_col[k] = source_col(src, o->on[k]);
        rc = source_index(src);
        if (rc < 0) {
            gnv__free(src->key_col);
            src->key_col = NULL;
            goto done;
        }
    } else {
        memset(src->matched, 0, (size_t)(src->n ? src->n : 1) * sizeof *src->matched);
    }
    GNV_TRYG(merge_condition(&m));
    GNV_TRYG(merge_scan(&m));

    /* rows to insert need every column the source lacks to be nullable */
    if (o->when_not_matched_insert) {
        int64_t first = 0;
        while (first < src->n && src->matched[first])
            first++;
        for (int64_t j = 0; first < src->n && j < m.n_cols; j++) {
            const struct ArrowSchema *c = m.tschema.children[j];
            if (m.src_col[j] >= 0 || (c->flags & ARROW_FLAG_NULLABLE))
                continue;
            GNV_TRYG(describe_key(&msg, &m, first));
            GNV_ERR_IF(true, GNV_EINVAL, GNV_SUB_TABLE,
                       "merge insert: the source lacks column '%s' of table '%s', which is not "
                       "nullable, so the source row %s that matches no row cannot be inserted",
                       c->name, t->name, msg.ptr);
        }
    }

    /* the new rows first, then the deletion files, then the commit naming both */
    if (m.stable) {
        GNV_TRYG(write_phase(&m, 0, 0, &frags, &n_frags));
        GNV_TRYG(gnv__rowids_keep_moved(t, m.m_addr, m.m_rowid, m.n_u, frags, n_frags));
        GNV_TRYG(write_phase(&m, 1, 1, &frags, &n_frags));
    } else {
        GNV_TRYG(write_phase(&m, 0, 1, &frags, &n_frags));
    }
    st->updated = (int64_t)m.n_u;
    st->inserted = m.n_ins;
    st->deleted = (int64_t)m.n_d;
    if (m.n_u + m.n_d + (size_t)m.n_ins == 0)
        goto done;
    size_t n_addrs = m.n_u + m.n_d;
    addrs = gnv__calloc(n_addrs ? n_addrs : 1, sizeof *addrs);
    GNV_CHECK_ALLOC(addrs);
    if (m.n_u)
        memcpy(addrs, m.m_addr, m.n_u * sizeof *addrs);
    if (m.n_d)
        memcpy(addrs + m.n_u, m.d_addr, m.n_d * sizeof *addrs);
    if (n_addrs) {
        GNV_TRYG(gnv__group_row_addrs(&sets, &n_sets, &offs, addrs, n_addrs));
        GNV_TRYG(gnv__table_write_deletions(&d, t, sets, n_sets));
    }
    gnv__commit c = {0};
    c.op = GNV__OP_UPDATE;
    c.frags = frags;
    c.n_frags = n_frags;
    c.updated = d.updated;
    c.n_updated = d.n_updated;
    c.removed_ids = d.removed_ids;
    c.n_removed = d.n_removed;
    GNV_TRYG(gnv__table_commit(t, &c));
    st->version = t->m->version;
done:
    for (size_t i = 0; i < n_frags; i++)
        gnv__pb_free(&frags[i]->base);
    gnv__free(frags);
    gnv__free(addrs);
    gnv__free(sets);
    gnv__free(offs);
    gnv__deletions_reset(&d);
    gnv_buf_dispose(&msg);
    merge_reset(&m);
    return rc;
}

typedef struct merge_args {
    source *src;
    const gnv_merge_insert_options *opts;
    gnv_merge_insert_stats *st;
} merge_args;

static int merge_retry(gnv_table *t, void *payload)
{
    merge_args *a = payload;
    return merge_once(t, a->src, a->opts, a->st);
}

int gnv_table_merge_insert(gnv_table *t,
                           struct ArrowArrayStream *source_in,
                           const gnv_merge_insert_options *opts,
                           gnv_merge_insert_stats *stats_out)
{
    int rc = GNV_OK;
    source src = {0};
    gnv_merge_insert_stats st = {0};
    if (stats_out)
        memset(stats_out, 0, sizeof *stats_out);
    GNV_ERR_IF(!t || !source_in || !opts, GNV_EINVAL, GNV_SUB_TABLE,
               "gnv_table_merge_insert: NULL argument");
    GNV_ERR_IF(opts->version > GNV_MERGE_INSERT_OPTIONS_VERSION, GNV_EVERSION, GNV_SUB_TABLE,
               "gnv_table_merge_insert: options version %u is newer than this library's %d",
               opts->version, GNV_MERGE_INSERT_OPTIONS_VERSION);
    GNV_ERR_IF(opts->n_on == 0 || !opts->on, GNV_EINVAL, GNV_SUB_TABLE,
               "table '%s': a merge insert needs at least one key column", t->name);
    GNV_ERR_IF(opts->n_update_columns && !opts->update_columns, GNV_EINVAL, GNV_SUB_TABLE,
               "gnv_table_merge_insert: update_columns is NULL");
    GNV_ERR_IF(opts->update_columns && opts->n_update_columns == 0, GNV_EINVAL, GNV_SUB_TABLE,
               "table '%s': a merge insert's update_columns is empty", t->name);
    GNV_ERR_IF(!opts->when_matched_update && !opts->when_not_matched_insert &&
                   !opts->when_not_matched_by_source_delete,
               GNV_EINVAL, GNV_SUB_TABLE,
               "table '%s': the merge insert is not configured to change the data in any way",
               t->name);
    GNV_TRYG(source_read(&src, source_in));
    /* a concurrent change of the same fragments: run again on the latest version */
    merge_args a = {&src, opts, &st};
    rc = gnv__retry_conflicts(t, merge_retry, &a);
    if (rc == GNV_OK && stats_out)
        *stats_out = st;
done:
    source_reset(&src);
    return rc;
}
