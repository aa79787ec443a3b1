/*
 * Reading rows: scans (a stream over the fragments of one version, reading only the
 * projected columns) and takes by row address. Without stable row ids `_rowid` and
 * `_rowaddr` are both the row address fragment_id << 32 | offset; with them `_rowid`
 * comes from the fragments' row id sequences (table_rowids.c).
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arrow/arrow.h"
#include "expr/expr.h"
#include "expr/expr_tree.h" /* the conjuncts of a filter */
#include "table.h"

#define DEFAULT_BATCH_ROWS 8192
/* A filtered scan evaluates its filter on worker threads from this many rows on (unless
 * GENEVA_SCAN_THREADS says otherwise), each batch on a thread of its own, keeping this
 * many batches in flight per thread. */
#define PAR_MIN_ROWS      65536
#define PAR_MAX_THREADS   8
#define PAR_SLOTS_PER_THR 4

enum { COL_DATA = 0, COL_ROWID, COL_ROWADDR };

typedef struct proj_col {
    int kind;
    int64_t child;   /* index into the table's Arrow schema children (COL_DATA) */
    int32_t leaf_id; /* the first leaf field id of that column */
} proj_col;

/* What scans and takes share: a version's manifest, the table schema, the projection. */
typedef struct reader {
    gnv_io *io;
    char *dir;
    char *tname;
    Gnvpb__Manifest *m;         /* a private copy */
    struct ArrowSchema tschema; /* the whole table */
    struct ArrowSchema oschema; /* the output struct */
    proj_col *cols;
    int64_t n_cols;
    /* the open data files of one fragment, by DataFile index */
    gnv_lance_file **files;
    size_t n_files;
    size_t files_frag; /* the fragment they belong to, or SIZE_MAX */
    /* stable row ids: the row ids of one fragment's physical rows */
    bool stable;
    uint64_t *rowids;
    size_t rowids_frag; /* the fragment they belong to, or SIZE_MAX */
} reader;

static void close_files(reader *r)
{
    for (size_t i = 0; i < r->n_files; i++)
        gnv__lance_file_close(r->files[i]);
    gnv__free(r->files);
    r->files = NULL;
    r->n_files = 0;
    r->files_frag = SIZE_MAX;
}

static void reader_reset(reader *r)
{
    close_files(r);
    gnv__free(r->dir);
    gnv__free(r->tname);
    gnv__manifest_free(r->m);
    gnv__schema_release(&r->tschema);
    gnv__schema_release(&r->oschema);
    gnv__free(r->cols);
    gnv__free(r->rowids);
    memset(r, 0, sizeof *r);
}

/* Id of the first leaf under field id `id` (descending through first children). */
static int32_t first_leaf(const Gnvpb__Manifest *m, int32_t id)
{
    for (;;) {
        int32_t child = -1;
        for (size_t i = 0; i < m->n_fields; i++)
            if (m->fields[i]->parent_id == id && m->fields[i]->id != id) {
                child = m->fields[i]->id;
                break;
            }
        if (child < 0)
            return id;
        id = child;
    }
}

static int add_col(reader *r, int kind, int64_t child, const char *name)
{
    proj_col *c = &r->cols[r->n_cols];
    c->kind = kind;
    c->child = child;
    c->leaf_id = -1;
    if (kind == COL_DATA) {
        int64_t k = 0;
        for (size_t i = 0; i < r->m->n_fields; i++) {
            if (r->m->fields[i]->parent_id != -1)
                continue;
            if (k++ == child) {
                c->leaf_id = first_leaf(r->m, r->m->fields[i]->id);
                break;
            }
        }
        GNV_TRY(gnv__schema_copy(r->oschema.children[r->n_cols], r->tschema.children[child]));
    } else {
        GNV_TRY(gnv__schema_init(r->oschema.children[r->n_cols], "L", name, 0));
    }
    r->n_cols++;
    return GNV_OK;
}

static int find_column(const reader *r, const char *name, int *kind, int64_t *child)
{
    if (!strcmp(name, "_rowid")) {
        *kind = COL_ROWID;
        return GNV_OK;
    }
    if (!strcmp(name, "_rowaddr")) {
        *kind = COL_ROWADDR;
        return GNV_OK;
    }
    for (int64_t i = 0; i < r->tschema.n_children; i++)
        if (r->tschema.children[i]->name && !strcmp(r->tschema.children[i]->name, name)) {
            *kind = COL_DATA;
            *child = i;
            return GNV_OK;
        }
    return gnv__error_set(GNV_ENOTFOUND, GNV_SUB_TABLE, "table '%s' has no column '%s'", r->tname,
                          name);
}

static int reader_init(reader *r,
                       gnv_table *t,
                       const char *const *columns,
                       size_t n_columns,
                       bool row_id,
                       bool row_addr)
{
    int rc = GNV_OK;
    memset(r, 0, sizeof *r);
    r->files_frag = SIZE_MAX;
    r->rowids_frag = SIZE_MAX;
    r->stable = gnv__table_stable_row_ids(t->m);
    r->io = t->io;
    r->dir = gnv__strdup(t->dir);
    r->tname = gnv__strdup(t->name);
    GNV_CHECK_ALLOC(r->dir);
    GNV_CHECK_ALLOC(r->tname);
    r->m = (Gnvpb__Manifest *)gnv__pb_dup(&t->m->base);
    GNV_CHECK_ALLOC(r->m);
    GNV_TRYG(gnv_table_schema(t, &r->tschema));
    /* an explicitly selected pseudo-column is not added a second time by its flag */
    for (size_t i = 0; columns && i < n_columns; i++) {
        row_id = row_id && !(columns[i] && !strcmp(columns[i], "_rowid"));
        row_addr = row_addr && !(columns[i] && !strcmp(columns[i], "_rowaddr"));
    }
    size_t n = columns ? n_columns : (size_t)r->tschema.n_children;
    n += (row_id ? 1 : 0) + (row_addr ? 1 : 0);
    r->cols = gnv__calloc(n ? n : 1, sizeof *r->cols);
    GNV_CHECK_ALLOC(r->cols);
    GNV_TRYG(gnv__schema_init(&r->oschema, "+s", "", 0));
    GNV_TRYG(gnv__schema_alloc_children(&r->oschema, (int64_t)n));
    if (columns) {
        for (size_t i = 0; i < n_columns; i++) {
            int kind = COL_DATA;
            int64_t child = -1;
            GNV_ERR_IF(!columns[i], GNV_EINVAL, GNV_SUB_TABLE, "column name %zu is NULL", i);
            for (size_t j = 0; j < i; j++)
                GNV_ERR_IF(!strcmp(columns[i], columns[j]), GNV_EINVAL, GNV_SUB_TABLE,
                           "column '%s' is selected twice", columns[i]);
            GNV_TRYG(find_column(r, columns[i], &kind, &child));
            GNV_TRYG(add_col(r, kind, child, columns[i]));
        }
    } else {
        for (int64_t i = 0; i < r->tschema.n_children; i++)
            GNV_TRYG(add_col(r, COL_DATA, i, NULL));
    }
    if (row_id)
        GNV_TRYG(add_col(r, COL_ROWID, -1, "_rowid"));
    if (row_addr)
        GNV_TRYG(add_col(r, COL_ROWADDR, -1, "_rowaddr"));
done:
    return rc;
}

/* Open the data files of fragment fi (once). */
static int open_files(reader *r, size_t fi)
{
    if (r->files_frag == fi)
        return GNV_OK;
    close_files(r);
    const Gnvpb__DataFragment *f = r->m->fragments[fi];
    r->files = gnv__calloc(f->n_files ? f->n_files : 1, sizeof *r->files);
    if (!r->files)
        return gnv__error_oom();
    r->n_files = f->n_files;
    r->files_frag = fi;
    return GNV_OK;
}

static int get_file(reader *r, const Gnvpb__DataFragment *f, size_t k, gnv_lance_file **out)
{
    if (!r->files[k]) {
        const char *p = f->files[k]->path ? f->files[k]->path : "";
        gnv_buf path = GNV_BUF_INIT;
        GNV_TRY(gnv__buf_printf(&path, "%s/data/%s", r->dir, p));
        int rc = gnv__lance_file_open(&r->files[k], r->io, path.ptr);
        if (rc == GNV_ENOTFOUND)
            rc = gnv__error_set(GNV_ECORRUPT, GNV_SUB_TABLE,
                                "table '%s' version %" PRIu64 ": data file '%s' of fragment "
                                "%" PRIu64 " is missing",
                                r->tname, r->m->version, path.ptr, f->id);
        gnv_buf_dispose(&path);
        GNV_TRY(rc);
    }
    *out = r->files[k];
    return GNV_OK;
}

/* Where a leaf id lives in a fragment: data file k, column col. False when absent. */
static bool locate(const Gnvpb__DataFragment *f, int32_t leaf, size_t *k, int *col)
{
    for (size_t i = f->n_files; i-- > 0;) { /* later files win, as in Lance */
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

/* True when a struct holding `leaf` is listed in the fragment's data files itself: LanceDB's
 * opt-in packed struct stores the struct as one column instead of one per leaf. */
static bool packed_ancestor(const Gnvpb__Manifest *m, const Gnvpb__DataFragment *f, int32_t leaf)
{
    int32_t id = leaf;
    for (int depth = 0; depth < 64; depth++) {
        int32_t parent = -1;
        for (size_t i = 0; i < m->n_fields; i++)
            if (m->fields[i]->id == id) {
                parent = m->fields[i]->parent_id;
                break;
            }
        size_t k;
        int col;
        if (parent < 0)
            return false;
        if (locate(f, parent, &k, &col))
            return true;
        id = parent;
    }
    return false;
}

static int addr_column(struct ArrowArray *out,
                       const struct ArrowSchema *s,
                       uint64_t frag,
                       const int64_t *rows,
                       int64_t start,
                       int64_t n)
{
    GNV_TRY(gnv__array_init(out, s));
    int rc = gnv__array_reserve(out, n);
    uint64_t chunk[1024];
    for (int64_t i = 0; i < n && rc == GNV_OK;) {
        int64_t k = 0;
        for (; k < 1024 && i + k < n; k++)
            chunk[k] = frag << 32 | (uint64_t)(rows ? rows[i + k] : start + i + k);
        rc = gnv__array_append_fixed_run(out, chunk, k);
        i += k;
    }
    if (rc == GNV_OK)
        rc = gnv__array_finish(out);
    if (rc < 0)
        gnv__array_release(out);
    return rc;
}

static int null_column(struct ArrowArray *out, const struct ArrowSchema *s, int64_t n)
{
    GNV_TRY(gnv__array_init(out, s));
    int rc = gnv__array_append_null(out, n);
    if (rc == GNV_OK)
        rc = gnv__array_finish(out);
    if (rc < 0)
        gnv__array_release(out);
    return rc;
}

/* Stable row ids of fragment fi's rows [start, start+n) or rows[0..n). */
static int rowid_column(reader *r,
                        size_t fi,
                        struct ArrowArray *out,
                        const struct ArrowSchema *s,
                        const int64_t *rows,
                        int64_t start,
                        int64_t n)
{
    const Gnvpb__DataFragment *f = r->m->fragments[fi];
    if (r->rowids_frag != fi) {
        gnv__free(r->rowids);
        r->rowids = NULL;
        r->rowids_frag = SIZE_MAX;
        GNV_TRY(gnv__rowids_load(&r->rowids, r->io, r->dir, r->tname, f));
        r->rowids_frag = fi;
    }
    GNV_TRY(gnv__array_init(out, s));
    int rc = GNV_OK;
    for (int64_t i = 0; i < n && rc == GNV_OK; i++) {
        int64_t row = rows ? rows[i] : start + i;
        if (row < 0 || (uint64_t)row >= f->physical_rows)
            rc = gnv__error_set(GNV_ECORRUPT, GNV_SUB_TABLE,
                                "table '%s' fragment %" PRIu64 ": row %" PRId64 " has no row id",
                                r->tname, f->id, row);
        else
            rc = gnv__array_append_uint(out, r->rowids[row]);
    }
    if (rc == GNV_OK)
        rc = gnv__array_finish(out);
    if (rc < 0)
        gnv__array_release(out);
    return rc;
}

/* Column c of fragment fi, rows [start, start+n) or the sorted rows[0..n). */
static int read_column(reader *r,
                       size_t fi,
                       int64_t c,
                       int64_t start,
                       const int64_t *rows,
                       int64_t n,
                       struct ArrowArray *out)
{
    const Gnvpb__DataFragment *f = r->m->fragments[fi];
    const proj_col *pc = &r->cols[c];
    const struct ArrowSchema *s = r->oschema.children[c];
    if (pc->kind == COL_ROWID && r->stable)
        return rowid_column(r, fi, out, s, rows, start, n);
    if (pc->kind != COL_DATA)
        return addr_column(out, s, f->id, rows, start, n);
    size_t k;
    int col;
    if (!locate(f, pc->leaf_id, &k, &col)) {
        if (packed_ancestor(r->m, f, pc->leaf_id))
            return gnv__error_set(GNV_ENOTSUP, GNV_SUB_TABLE,
                                  "table '%s' fragment %" PRIu64 " column '%s': unsupported "
                                  "Lance encoding 'packed struct'",
                                  r->tname, f->id, s->name ? s->name : "");
        return null_column(out, s, n);
    }
    GNV_TRY(open_files(r, fi));
    gnv_lance_file *lf;
    GNV_TRY(get_file(r, f, k, &lf));
    int rc = rows ? gnv__lance_file_take(lf, s, col, rows, n, out)
                  : gnv__lance_file_read(lf, s, col, start, n, out);
    if (rc < 0)
        gnv__error_prefix("table '%s' fragment %" PRIu64 " column '%s'", r->tname, f->id,
                          s->name ? s->name : "");
    return rc;
}

/* ---- deletion files ------------------------------------------------------ */

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void mark(uint8_t *bits, uint64_t phys, uint64_t row)
{
    if (row < phys)
        bits[row >> 3] |= (uint8_t)(1u << (row & 7));
}

/* A portable-format Roaring bitmap (what Lance writes to .bin deletion files). */
static int parse_roaring(uint8_t *bits, uint64_t phys, const uint8_t *p, size_t n, const char *path)
{
#define NEED(k)                                                                                    \
    do {                                                                                           \
        if ((size_t)(k) > n - pos)                                                                 \
            goto bad;                                                                              \
    } while (0)
    size_t pos = 0;
    NEED(4);
    uint32_t cookie = le32(p);
    pos = 4;
    uint32_t size;
    const uint8_t *runs = NULL;
    bool offsets;
    if ((cookie & 0xffff) == 12347) {
        size = (cookie >> 16) + 1;
        NEED((size + 7) / 8);
        runs = p + pos;
        pos += (size + 7) / 8;
        offsets = size >= 4;
    } else if (cookie == 12346) {
        NEED(4);
        size = le32(p + pos);
        pos += 4;
        offsets = true;
    } else {
        goto bad;
    }
    if (size > 65536)
        goto bad;
    NEED((size_t)size * 4);
    const uint8_t *desc = p + pos;
    pos += (size_t)size * 4;
    if (offsets) {
        NEED((size_t)size * 4);
        pos += (size_t)size * 4;
    }
    for (uint32_t c = 0; c < size; c++) {
        uint64_t key = (uint64_t)(desc[4 * c] | desc[4 * c + 1] << 8) << 16;
        uint32_t card = (uint32_t)(desc[4 * c + 2] | desc[4 * c + 3] << 8) + 1;
        if (runs && (runs[c / 8] >> (c % 8) & 1)) {
            NEED(2);
            uint32_t nr = (uint32_t)(p[pos] | p[pos + 1] << 8);
            pos += 2;
            NEED((size_t)nr * 4);
            for (uint32_t i = 0; i < nr; i++, pos += 4) {
                uint32_t start = (uint32_t)(p[pos] | p[pos + 1] << 8);
                uint32_t len = (uint32_t)(p[pos + 2] | p[pos + 3] << 8);
                for (uint32_t v = start; v <= start + len && v < 65536; v++)
                    mark(bits, phys, key | v);
            }
        } else if (card > 4096) {
            NEED(8192);
            /* the container's bitmap is laid out as ours: or it in a byte at a time */
            for (uint64_t j = 0; j < 8192 && key + 8 * j < phys; j++) {
                uint8_t b = p[pos + j];
                if (key + 8 * j + 8 > phys)
                    b &= (uint8_t)((1u << (phys - key - 8 * j)) - 1);
                bits[(key >> 3) + j] |= b;
            }
            pos += 8192;
        } else {
            NEED((size_t)card * 2);
            for (uint32_t i = 0; i < card; i++, pos += 2)
                mark(bits, phys, key | (uint32_t)(p[pos] | p[pos + 1] << 8));
        }
    }
    return GNV_OK;
bad:
    return gnv__error_set(GNV_ECORRUPT, GNV_SUB_TABLE,
                          "deletion file '%s' is not a valid Roaring bitmap (at byte %zu)", path,
                          pos);
#undef NEED
}

/* An Arrow IPC file with one uint32 column of deleted offsets. */
static int
parse_arrow_deletions(uint8_t *bits, uint64_t phys, const gnv_buf *body, const char *path)
{
    struct ArrowArrayStream st = {0};
    struct ArrowSchema sc = {0};
    struct ArrowArray a = {0};
    int rc = gnv__ipc_open_memory(&st, body->ptr, body->size, path);
    if (rc < 0)
        return rc;
    GNV_TRYG(gnv__stream_get_schema(&st, &sc));
    GNV_ERR_IF(sc.n_children != 1 || strcmp(sc.children[0]->format, "I") != 0, GNV_ECORRUPT,
               GNV_SUB_TABLE, "deletion file '%s' does not hold one uint32 column", path);
    for (;;) {
        rc = gnv__stream_next(&st, &a);
        if (rc == GNV_ITEROVER) {
            rc = GNV_OK;
            break;
        }
        if (rc < 0)
            goto done;
        const struct ArrowArray *c = a.children[0];
        const uint32_t *v = c->buffers[1];
        for (int64_t i = 0; i < c->length; i++)
            mark(bits, phys, v[c->offset + i]);
        gnv__array_release(&a);
    }
done:
    gnv__array_release(&a);
    gnv__schema_release(&sc);
    gnv__stream_release(&st);
    return rc;
}

int gnv__deletion_file_path(gnv_buf *out,
                            const char *dir,
                            uint64_t fragment_id,
                            uint64_t read_version,
                            uint64_t id,
                            bool bitmap)
{
    return gnv__buf_printf(out, "%s%s_deletions/%" PRIu64 "-%" PRIu64 "-%" PRIu64 ".%s",
                           dir ? dir : "", dir ? "/" : "", fragment_id, read_version, id,
                           bitmap ? "bin" : "arrow");
}

int gnv__fragment_deletions(
    gnv_io *io, const char *dir, const char *tname, const Gnvpb__DataFragment *f, uint8_t **out)
{
    int rc = GNV_OK;
    const Gnvpb__DeletionFile *d = f->deletion_file;
    gnv_buf path = GNV_BUF_INIT, body = GNV_BUF_INIT;
    uint8_t *bits = NULL;
    *out = NULL;
    if (!d)
        return GNV_OK;
    bool bitmap = d->has_file_type && d->file_type == GNVPB__DELETION_FILE__KIND__BITMAP;
    GNV_TRYG(gnv__deletion_file_path(&path, dir, f->id, d->read_version, d->id, bitmap));
    rc = gnv__io_read_all(io, path.ptr, &body);
    if (rc == GNV_ENOTFOUND)
        rc = gnv__error_set(GNV_ECORRUPT, GNV_SUB_TABLE,
                            "table '%s': deletion file '%s' of fragment %" PRIu64 " is missing",
                            tname, path.ptr, f->id);
    if (rc < 0)
        goto done;
    bits = gnv__calloc((size_t)(f->physical_rows / 8 + 1), 1);
    GNV_CHECK_ALLOC(bits);
    if (bitmap)
        rc = parse_roaring(bits, f->physical_rows, (const uint8_t *)body.ptr, body.size, path.ptr);
    else
        rc = parse_arrow_deletions(bits, f->physical_rows, &body, path.ptr);
    if (rc < 0)
        goto done;
    *out = bits;
    bits = NULL;
done:
    gnv__free(bits);
    gnv_buf_dispose(&path);
    gnv_buf_dispose(&body);
    return rc;
}

/* The deleted-row bitmap of a fragment (NULL when it has no deletion file). */
static int load_deletions(const reader *r, const Gnvpb__DataFragment *f, uint8_t **out)
{
    return gnv__fragment_deletions(r->io, r->dir, r->tname, f, out);
}

static bool is_deleted(const uint8_t *bits, int64_t row)
{
    return bits && (bits[row >> 3] >> (row & 7) & 1);
}

/* ---- struct arrays over owned children ------------------------------------ */

typedef struct struct_priv {
    struct ArrowArray *storage;
    struct ArrowArray **children;
    const void *buffers[1];
} struct_priv;

static void struct_release(struct ArrowArray *a)
{
    struct_priv *p = a->private_data;
    for (int64_t i = 0; i < a->n_children; i++)
        gnv__array_release(&p->storage[i]);
    gnv__free(p->storage);
    gnv__free(p->children);
    gnv__free(p);
    a->release = NULL;
}

/* A struct array of `length` rows over cols[0..n) (moved in, released on failure). */
static int make_struct(struct ArrowArray *out, struct ArrowArray *cols, int64_t n, int64_t length)
{
    struct_priv *p = gnv__calloc(1, sizeof *p);
    if (p) {
        p->storage = gnv__calloc(n ? (size_t)n : 1, sizeof *p->storage);
        p->children = gnv__calloc(n ? (size_t)n : 1, sizeof *p->children);
    }
    if (!p || !p->storage || !p->children) {
        if (p) {
            gnv__free(p->storage);
            gnv__free(p->children);
            gnv__free(p);
        }
        for (int64_t i = 0; i < n; i++)
            gnv__array_release(&cols[i]);
        return gnv__error_oom();
    }
    for (int64_t i = 0; i < n; i++) {
        gnv__array_move(&cols[i], &p->storage[i]);
        p->children[i] = &p->storage[i];
    }
    memset(out, 0, sizeof *out);
    out->length = length;
    out->null_count = 0;
    out->n_buffers = 1;
    out->buffers = p->buffers;
    out->n_children = n;
    out->children = p->children;
    out->release = struct_release;
    out->private_data = p;
    return GNV_OK;
}

int gnv__struct_of(struct ArrowArray *out, struct ArrowArray *cols, int64_t n, int64_t length)
{
    return make_struct(out, cols, n, length);
}

/* ---- scans ---------------------------------------------------------------- */

typedef struct scan {
    reader r;
    int64_t limit, offset, batch_rows;
    size_t frag;
    int64_t row;
    int64_t skipped, emitted;
    uint8_t *del; /* deleted rows of the current fragment, or NULL */
    bool del_loaded;
    int64_t *sel; /* live row offsets of the batch being read */
    /* with a `where`: the filter, bound to the output of fr (its columns) */
    gnv_expr *filter;
    reader fr;
    struct fsplit *split; /* the filter as two conjuncts, or NULL */
    int64_t *match;       /* offsets of the matching rows of the batch */
    struct pscan *par;    /* filter evaluation on worker threads, or NULL */
} scan;

/* One batch of a parallel filtered scan: its live rows in, its matching rows out. */
typedef struct ptask {
    struct pscan *ps;
    size_t frag;
    int64_t *sel, k;       /* live rows of the batch */
    int64_t *match, m;     /* the rows that match */
    struct ArrowArray out; /* with emitting threads: the batch of those rows */
    int state;             /* PT_FREE, PT_RUNNING, PT_DONE */
    int rc, code, sub;
    char msg[512];
} ptask;

enum { PT_FREE, PT_RUNNING, PT_DONE };

typedef struct pscan {
    gnv_pool *pool;
    int nthreads;
    reader *readers;  /* one filter reader per thread (open files are not shared) */
    reader *emitters; /* and one of the projected columns, or NULL: the scan's thread reads
                         them (with an offset) */
    bool *busy;
    gnv_buf *idx; /* per reader: the filter's selection (kept between batches) */
    const gnv_expr *filter;
    const struct fsplit *split;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    ptask *slots;
    int64_t nslots;
    int64_t head, tail; /* the next batch to emit, to submit */
    bool input_done;
} pscan;

static int scan_schema(void *self, struct ArrowSchema *out)
{
    scan *s = self;
    return gnv__schema_copy(out, &s->r.oschema);
}

/* The projected columns of fragment frag, rows [start, start+n) or sel[0..n), as a struct. */
static int read_struct(
    reader *r, size_t frag, int64_t start, const int64_t *sel, int64_t n, struct ArrowArray *out)
{
    struct ArrowArray *cols = gnv__calloc(r->n_cols ? (size_t)r->n_cols : 1, sizeof *cols);
    if (!cols)
        return gnv__error_oom();
    int rc = GNV_OK;
    for (int64_t c = 0; c < r->n_cols && rc == GNV_OK; c++)
        rc = read_column(r, frag, c, start, sel, n, &cols[c]);
    if (rc < 0) {
        for (int64_t i = 0; i < r->n_cols; i++)
            gnv__array_release(&cols[i]);
        gnv__free(cols);
        return rc;
    }
    rc = make_struct(out, cols, r->n_cols, n);
    gnv__free(cols);
    return rc;
}

/* One output batch of fragment `frag`: rows [start, start+n) or sel[0..n). */
static int
emit_of(scan *s, size_t frag, int64_t start, const int64_t *sel, int64_t n, struct ArrowArray *out)
{
    GNV_TRY(read_struct(&s->r, frag, start, sel, n, out));
    s->emitted += n;
    return GNV_OK;
}

static int emit(scan *s, int64_t start, const int64_t *sel, int64_t n, struct ArrowArray *out)
{
    return emit_of(s, s->frag, start, sel, n, out);
}

static void next_fragment(scan *s)
{
    close_files(&s->r);
    close_files(&s->fr);
    gnv__free(s->del);
    s->del = NULL;
    s->del_loaded = false;
    s->frag++;
    s->row = 0;
}

/* The next up to batch_rows live rows of the current fragment (of phys rows) into sel,
 * from s->row on, which is advanced past them; returns their number. */
static int64_t live_rows(scan *s, int64_t phys, int64_t *sel)
{
    int64_t k = 0;
    if (!s->del) {
        k = GNV_MIN(s->batch_rows, phys - s->row);
        for (int64_t i = 0; i < k; i++)
            sel[i] = s->row + i;
        s->row += k;
        return k;
    }
    while (s->row < phys && k < s->batch_rows) {
        int64_t row = s->row;
        if ((row & 63) == 0 && row + 64 <= phys && k + 64 <= s->batch_rows) {
            /* 64 rows of the bitmap at a time: the live ones */
            uint64_t live;
            memcpy(&live, s->del + (row >> 3), 8);
            for (live = ~live; live; live &= live - 1)
                sel[k++] = row + __builtin_ctzll(live);
            s->row += 64;
            continue;
        }
        if (!is_deleted(s->del, row))
            sel[k++] = row;
        s->row++;
    }
    return k;
}

/*
 * A filter `a AND b` whose second part cannot fail (comparisons of columns and
 * constants, IS NULL, AND, OR, NOT) and reads a column the first does not: the first
 * part is evaluated over the batch, the second only over the rows that passed, so its
 * columns are read for those rows only. (A second part that can fail, as in
 * `x <> 0 AND 1 / x > 0`, is evaluated over every row, as LanceDB does.)
 */
typedef struct fsplit {
    gnv_expr first, second; /* views of the filter's subtrees (own nothing) */
    bool *need1, *need2;    /* per filter column: read for the first, the second part */
} fsplit;

static void fsplit_free(fsplit *f)
{
    if (!f)
        return;
    gnv__free(f->need1);
    gnv__free(f->need2);
    gnv__free(f);
}

static bool infallible(const gnv_expr_node *n)
{
    if (!n)
        return false;
    switch (n->op) {
    case GNV_EX_COLUMN:
    case GNV_EX_LITERAL:
        return n->type.format && n->type.format[0] != '+';
    case GNV_EX_EQ:
    case GNV_EX_NE:
    case GNV_EX_LT:
    case GNV_EX_LE:
    case GNV_EX_GT:
    case GNV_EX_GE:
    case GNV_EX_AND:
    case GNV_EX_OR:
        return n->n_args == 2 && infallible(n->args[0]) && infallible(n->args[1]);
    case GNV_EX_NOT:
    case GNV_EX_IS_NULL:
        return n->n_args == 1 && infallible(n->args[0]);
    default:
        return false;
    }
}

/* Mark the filter columns (top-level, bound) a subtree reads. */
static void mark_columns(const gnv_expr_node *n, bool *need, int64_t ncols)
{
    if (!n)
        return;
    if (n->op == GNV_EX_COLUMN && n->path && n->n_names > 0 && n->path[0] >= 0 &&
        n->path[0] < ncols)
        need[n->path[0]] = true;
    for (int32_t i = 0; i < n->n_args; i++)
        mark_columns(n->args[i], need, ncols);
}

/* The split of s->filter (bound to s->fr), when it has one. */
static int split_init(scan *s)
{
    const gnv_expr_node *r = s->filter->root;
    if (!r || r->op != GNV_EX_AND || r->n_args != 2 || !r->args[0] || !r->args[1])
        return GNV_OK;
    const gnv_expr_node *a = r->args[0], *b = r->args[1];
    if (!infallible(b)) {
        if (!infallible(a))
            return GNV_OK;
        const gnv_expr_node *t = a; /* evaluate the part that can fail over every row */
        a = b;
        b = t;
    }
    int64_t nc = s->fr.n_cols;
    fsplit *f = gnv__calloc(1, sizeof *f);
    if (!f)
        return gnv__error_oom();
    f->need1 = gnv__calloc(nc ? (size_t)nc : 1, sizeof *f->need1);
    f->need2 = gnv__calloc(nc ? (size_t)nc : 1, sizeof *f->need2);
    if (!f->need1 || !f->need2) {
        fsplit_free(f);
        return gnv__error_oom();
    }
    mark_columns(a, f->need1, nc);
    mark_columns(b, f->need2, nc);
    bool more = false;
    for (int64_t c = 0; c < nc; c++)
        more = more || (f->need2[c] && !f->need1[c]);
    if (!more) { /* nothing to read less of */
        fsplit_free(f);
        return GNV_OK;
    }
    f->first = *s->filter;
    f->first.root = (gnv_expr_node *)a;
    f->second = *s->filter;
    f->second.root = (gnv_expr_node *)b;
    s->split = f;
    return GNV_OK;
}

/*
 * The filter over the live rows sel[0..k) of fragment frag (sorted): read the filter's
 * columns (fr) for them and evaluate; match[0..*m) gets the rows that pass. idx is
 * scratch.
 */
static int filter_rows(reader *fr,
                       size_t frag,
                       const gnv_expr *filter,
                       const bool *need,
                       const int64_t *sel,
                       int64_t k,
                       bool whole,
                       gnv_buf *idx,
                       int64_t *match,
                       int64_t *m)
{
    int rc = GNV_OK;
    struct ArrowArray batch = {0};
    struct ArrowArray *cols = gnv__calloc(fr->n_cols ? (size_t)fr->n_cols : 1, sizeof *cols);
    GNV_CHECK_ALLOC(cols);
    bool dense = whole || sel[k - 1] - sel[0] == k - 1;
    int64_t n = dense ? sel[k - 1] - sel[0] + 1 : k;
    for (int64_t c = 0; c < fr->n_cols; c++) {
        if (need && !need[c]) /* a column the filter part does not read: a stand-in */
            GNV_TRYG(null_column(&cols[c], fr->oschema.children[c], 0));
        else
            GNV_TRYG(read_column(fr, frag, c, sel[0], dense ? NULL : sel, n, &cols[c]));
    }
    rc = make_struct(&batch, cols, fr->n_cols, n);
    gnv__free(cols);
    cols = NULL;
    GNV_TRYG(rc);
    gnv__buf_clear(idx);
    rc = gnv__expr_filter(idx, m, filter, &fr->oschema, &batch);
    if (rc < 0) {
        gnv__error_prefix("where");
        goto done;
    }
    const int64_t *ix = (const int64_t *)(const void *)idx->ptr;
    if (!dense || n == k) {
        for (int64_t i = 0; i < *m; i++)
            match[i] = dense ? sel[0] + ix[i] : sel[ix[i]];
    } else {
        /* the span's matching rows that are live (in sel) */
        int64_t q = 0, j = 0;
        for (int64_t i = 0; i < *m; i++) {
            int64_t row = sel[0] + ix[i];
            while (j < k && sel[j] < row)
                j++;
            if (j < k && sel[j] == row)
                match[q++] = row;
        }
        *m = q;
    }
done:
    if (cols) {
        for (int64_t c = 0; c < fr->n_cols; c++)
            gnv__array_release(&cols[c]);
        gnv__free(cols);
    }
    gnv__array_release(&batch);
    return rc;
}

/*
 * filter_rows over sel[0..k); when the live rows cover at least half of their span (a
 * fragment with deleted rows), the filter runs over the whole span instead, which reads
 * the columns without picking the live rows out first, and the deleted rows are dropped
 * from the result. Should that fail (say a deleted row's value does not convert), the
 * live rows alone decide, as they would otherwise.
 */
static int filter_part(reader *fr,
                       size_t frag,
                       const gnv_expr *filter,
                       const bool *need,
                       const int64_t *sel,
                       int64_t k,
                       gnv_buf *idx,
                       int64_t *match,
                       int64_t *m)
{
    int64_t span = sel[k - 1] - sel[0] + 1;
    if (span > k && span <= 2 * k) {
        int rc = filter_rows(fr, frag, filter, need, sel, k, true, idx, match, m);
        if (rc != GNV_ENOMEM && rc < 0)
            gnv_error_clear();
        else
            return rc;
    }
    return filter_rows(fr, frag, filter, need, sel, k, false, idx, match, m);
}

/* The whole filter over sel[0..k): at once, or first part then second (split). */
static int filter_batch(reader *fr,
                        size_t frag,
                        const gnv_expr *filter,
                        const fsplit *split,
                        const int64_t *sel,
                        int64_t k,
                        gnv_buf *idx,
                        int64_t *match,
                        int64_t *m)
{
    if (!split)
        return filter_part(fr, frag, filter, NULL, sel, k, idx, match, m);
    GNV_TRY(filter_part(fr, frag, &split->first, split->need1, sel, k, idx, match, m));
    if (*m == 0)
        return GNV_OK;
    int64_t m1 = *m;
    int64_t *rows = gnv__malloc((size_t)m1 * sizeof *rows);
    if (!rows)
        return gnv__error_oom();
    memcpy(rows, match, (size_t)m1 * sizeof *rows);
    int rc = filter_rows(fr, frag, &split->second, split->need2, rows, m1, false, idx, match, m);
    gnv__free(rows);
    return rc;
}

/*
 * The next batch of a filtered scan: take up to batch_rows live rows of the current
 * fragment, read the filter's columns for them, evaluate the filter, and read the
 * projected columns of the matching rows only. Offset and limit count matching rows.
 */
static int scan_next_filtered(scan *s, struct ArrowArray *out)
{
    reader *r = &s->r, *fr = &s->fr;
    gnv_buf idx = GNV_BUF_INIT;
    int rc = GNV_OK;
    while (s->frag < r->m->n_fragments) {
        const Gnvpb__DataFragment *f = r->m->fragments[s->frag];
        int64_t phys = (int64_t)f->physical_rows;
        if (s->limit >= 0 && s->emitted >= s->limit) {
            rc = GNV_ITEROVER;
            goto done;
        }
        if (!s->del_loaded) {
            GNV_TRYG(load_deletions(r, f, &s->del));
            s->del_loaded = true;
        }
        if (s->row >= phys) {
            next_fragment(s);
            continue;
        }
        int64_t k = live_rows(s, phys, s->sel);
        if (k == 0)
            continue;
        int64_t m = k;
        if (!gnv__expr_is_always_true(s->filter)) {
            GNV_TRYG(filter_batch(fr, s->frag, s->filter, s->split, s->sel, k, &idx, s->match, &m));
        } else {
            memcpy(s->match, s->sel, (size_t)k * sizeof *s->match);
        }
        int64_t skip = GNV_MIN(s->offset - s->skipped, m);
        s->skipped += skip;
        if (s->limit >= 0)
            m = GNV_MIN(m, skip + s->limit - s->emitted);
        if (m - skip <= 0)
            continue;
        rc = emit(s, 0, s->match + skip, m - skip, out);
        goto done;
    }
    rc = GNV_ITEROVER;
done:
    gnv_buf_dispose(&idx);
    return rc;
}

/* ---- filtered scans on worker threads ----------------------------------------- */

/*
 * With a filter to evaluate over many rows, worker threads evaluate it batch by batch
 * (each with its own filter reader: open files are not shared), up to nslots batches
 * ahead, while the scan's own thread emits the batches in order, reading the
 * projected columns of their matching rows. The result is the serial scan's.
 */

/* Wait for the worker threads, then free what they used. NULL-safe. */
static void par_free(pscan *ps)
{
    if (!ps)
        return;
    gnv__pool_free(ps->pool); /* waits for queued and running batches */
    for (int i = 0; ps->readers && i < ps->nthreads; i++)
        reader_reset(&ps->readers[i]);
    for (int i = 0; ps->emitters && i < ps->nthreads; i++)
        reader_reset(&ps->emitters[i]);
    gnv__free(ps->readers);
    gnv__free(ps->emitters);
    gnv__free(ps->busy);
    for (int i = 0; ps->idx && i < ps->nthreads; i++)
        gnv_buf_dispose(&ps->idx[i]);
    gnv__free(ps->idx);
    for (int64_t i = 0; ps->slots && i < ps->nslots; i++) {
        gnv__free(ps->slots[i].sel);
        gnv__free(ps->slots[i].match);
        gnv__array_release(&ps->slots[i].out);
    }
    gnv__free(ps->slots);
    pthread_mutex_destroy(&ps->mu);
    pthread_cond_destroy(&ps->cv);
    gnv__free(ps);
}

static void ptask_run(void *arg)
{
    ptask *t = arg;
    pscan *ps = t->ps;
    int ri = 0;
    pthread_mutex_lock(&ps->mu);
    while (ps->busy[ri]) /* a pool thread per reader: one is free */
        ri++;
    ps->busy[ri] = true;
    pthread_mutex_unlock(&ps->mu);
    int rc = filter_batch(&ps->readers[ri], t->frag, ps->filter, ps->split, t->sel, t->k,
                          &ps->idx[ri], t->match, &t->m);
    if (rc == GNV_OK && ps->emitters && t->m > 0)
        rc = read_struct(&ps->emitters[ri], t->frag, 0, t->match, t->m, &t->out);
    if (rc < 0) {
        const gnv_error *e = gnv_error_last();
        t->code = e ? e->code : rc;
        t->sub = e ? e->subsystem : GNV_SUB_TABLE;
        snprintf(t->msg, sizeof t->msg, "%s", e ? e->message : "filter evaluation failed");
    }
    pthread_mutex_lock(&ps->mu);
    t->rc = rc;
    t->state = PT_DONE;
    ps->busy[ri] = false;
    pthread_cond_broadcast(&ps->cv);
    pthread_mutex_unlock(&ps->mu);
}

/* The next batch of live rows into slot t (false when the scan has no rows left). */
static int par_next_input(scan *s, ptask *t, bool *got)
{
    reader *r = &s->r;
    *got = false;
    while (s->frag < r->m->n_fragments) {
        const Gnvpb__DataFragment *f = r->m->fragments[s->frag];
        int64_t phys = (int64_t)f->physical_rows;
        if (!s->del_loaded) {
            GNV_TRY(load_deletions(r, f, &s->del));
            s->del_loaded = true;
        }
        if (s->row >= phys) {
            gnv__free(s->del); /* the emitting side keeps its files open */
            s->del = NULL;
            s->del_loaded = false;
            s->frag++;
            s->row = 0;
            continue;
        }
        int64_t k = live_rows(s, phys, t->sel);
        if (k == 0)
            continue;
        t->frag = s->frag;
        t->k = k;
        t->m = 0;
        *got = true;
        return GNV_OK;
    }
    return GNV_OK;
}

static int scan_next_par(scan *s, struct ArrowArray *out)
{
    pscan *ps = s->par;
    for (;;) {
        if (s->limit >= 0 && s->emitted >= s->limit)
            return GNV_ITEROVER;
        /* keep the slots busy */
        while (!ps->input_done && ps->tail - ps->head < ps->nslots) {
            ptask *t = &ps->slots[ps->tail % ps->nslots];
            bool got;
            GNV_TRY(par_next_input(s, t, &got));
            if (!got) {
                ps->input_done = true;
                break;
            }
            t->state = PT_RUNNING;
            t->rc = GNV_OK;
            int rc = gnv__pool_submit(ps->pool, ptask_run, t);
            if (rc < 0) {
                t->state = PT_FREE;
                return rc;
            }
            ps->tail++;
        }
        if (ps->head == ps->tail)
            return GNV_ITEROVER;
        ptask *t = &ps->slots[ps->head % ps->nslots];
        pthread_mutex_lock(&ps->mu);
        while (t->state != PT_DONE)
            pthread_cond_wait(&ps->cv, &ps->mu);
        pthread_mutex_unlock(&ps->mu);
        t->state = PT_FREE;
        ps->head++;
        if (t->rc < 0)
            return gnv__error_set(t->code, t->sub, "%s", t->msg);
        if (ps->emitters) { /* no offset, no limit: the whole batch as read */
            if (t->m == 0)
                continue;
            gnv__array_move(&t->out, out);
            s->emitted += t->m;
            return GNV_OK;
        }
        int64_t m = t->m;
        int64_t skip = GNV_MIN(s->offset - s->skipped, m);
        s->skipped += skip;
        if (s->limit >= 0)
            m = GNV_MIN(m, skip + s->limit - s->emitted);
        if (m - skip <= 0)
            continue;
        return emit_of(s, t->frag, 0, t->match + skip, m - skip, out);
    }
}

/* Threads for a filtered scan of t: GENEVA_SCAN_THREADS when set, else one per CPU
 * (at most PAR_MAX_THREADS) from PAR_MIN_ROWS rows on; 1 means none. */
static int par_threads(gnv_table *t, int64_t batch_rows)
{
    const char *env = getenv("GENEVA_SCAN_THREADS");
    if (env && *env) {
        long n = strtol(env, NULL, 10);
        return n < 1 ? 1 : n > PAR_MAX_THREADS ? PAR_MAX_THREADS : (int)n;
    }
    uint64_t rows = 0;
    for (size_t i = 0; i < t->m->n_fragments; i++)
        rows += t->m->fragments[i]->physical_rows;
    if (rows < PAR_MIN_ROWS || rows < 2 * (uint64_t)batch_rows)
        return 1;
    int n = gnv__ncpus();
    return n < 1 ? 1 : n > PAR_MAX_THREADS ? PAR_MAX_THREADS : n;
}

static int par_init(scan *s, gnv_table *t, const char *const *names, int64_t n, int nthreads)
{
    int rc = GNV_OK;
    pscan *ps = gnv__calloc(1, sizeof *ps);
    GNV_CHECK_ALLOC(ps);
    pthread_mutex_init(&ps->mu, NULL);
    pthread_cond_init(&ps->cv, NULL);
    s->par = ps;
    ps->filter = s->filter;
    ps->nthreads = nthreads;
    ps->nslots = (int64_t)nthreads * PAR_SLOTS_PER_THR;
    ps->readers = gnv__calloc((size_t)nthreads, sizeof *ps->readers);
    ps->busy = gnv__calloc((size_t)nthreads, sizeof *ps->busy);
    ps->idx = gnv__calloc((size_t)nthreads, sizeof *ps->idx);
    ps->slots = gnv__calloc((size_t)ps->nslots, sizeof *ps->slots);
    GNV_CHECK_ALLOC(ps->readers);
    GNV_CHECK_ALLOC(ps->busy);
    GNV_CHECK_ALLOC(ps->idx);
    GNV_CHECK_ALLOC(ps->slots);
    for (int i = 0; i < nthreads; i++)
        GNV_TRYG(reader_init(&ps->readers[i], t, names, (size_t)n, false, false));
    for (int64_t i = 0; i < ps->nslots; i++) {
        ptask *k = &ps->slots[i];
        k->ps = ps;
        k->sel = gnv__calloc((size_t)s->batch_rows, sizeof *k->sel);
        k->match = gnv__calloc((size_t)s->batch_rows, sizeof *k->match);
        GNV_CHECK_ALLOC(k->sel);
        GNV_CHECK_ALLOC(k->match);
    }
    GNV_TRYG(gnv__pool_new(&ps->pool, nthreads));
done:
    return rc; /* on failure scan_free frees s->par */
}

static int scan_next(void *self, struct ArrowArray *out)
{
    scan *s = self;
    reader *r = &s->r;
    if (s->par)
        return scan_next_par(s, out);
    if (s->filter)
        return scan_next_filtered(s, out);
    while (s->frag < r->m->n_fragments) {
        const Gnvpb__DataFragment *f = r->m->fragments[s->frag];
        int64_t phys = (int64_t)f->physical_rows;
        if (s->limit >= 0 && s->emitted >= s->limit)
            return GNV_ITEROVER;
        if (!s->del_loaded) {
            GNV_TRY(load_deletions(r, f, &s->del));
            s->del_loaded = true;
        }
        if (s->row >= phys) {
            next_fragment(s);
            continue;
        }
        int64_t want = s->batch_rows;
        if (s->limit >= 0)
            want = GNV_MIN(want, s->limit - s->emitted);
        if (!s->del) {
            if (s->skipped < s->offset) {
                int64_t skip = GNV_MIN(s->offset - s->skipped, phys - s->row);
                s->skipped += skip;
                s->row += skip;
                continue;
            }
            int64_t n = GNV_MIN(want, phys - s->row);
            GNV_TRY(emit(s, s->row, NULL, n, out));
            s->row += n;
            return GNV_OK;
        }
        /* a fragment with deletions: skip and read live rows only */
        while (s->row < phys && s->skipped < s->offset) {
            if (!is_deleted(s->del, s->row))
                s->skipped++;
            s->row++;
        }
        int64_t k = 0;
        while (s->row < phys && k < want) {
            if (!is_deleted(s->del, s->row))
                s->sel[k++] = s->row;
            s->row++;
        }
        if (k == 0)
            continue;
        return emit(s, 0, s->sel, k, out);
    }
    return GNV_ITEROVER;
}

static void scan_free(void *self)
{
    scan *s = self;
    par_free(s->par); /* first: its threads use the filter */
    reader_reset(&s->r);
    reader_reset(&s->fr);
    fsplit_free(s->split);
    gnv__expr_free(s->filter);
    gnv__free(s->match);
    gnv__free(s->del);
    gnv__free(s->sel);
    gnv__free(s);
}

static const gnv_stream_impl scan_impl = {scan_schema, scan_next, scan_free};

/* The table's columns plus _rowid and _rowaddr: what a filter may name. */
static int filter_schema(struct ArrowSchema *out, gnv_table *t)
{
    struct ArrowSchema ts = {0};
    int rc = GNV_OK;
    GNV_TRYG(gnv_table_schema(t, &ts));
    GNV_TRYG(gnv__schema_init(out, "+s", "", 0));
    GNV_TRYG(gnv__schema_alloc_children(out, ts.n_children + 2));
    for (int64_t i = 0; i < ts.n_children; i++)
        GNV_TRYG(gnv__schema_copy(out->children[i], ts.children[i]));
    GNV_TRYG(gnv__schema_init(out->children[ts.n_children], "L", "_rowid", 0));
    GNV_TRYG(gnv__schema_init(out->children[ts.n_children + 1], "L", "_rowaddr", 0));
done:
    gnv__schema_release(&ts);
    if (rc < 0)
        gnv__schema_release(out);
    return rc;
}

/* Parse `where`, check it against the whole table (so an unknown column is named with
 * the table's columns as suggestions), then bind it to the columns it reads (fr). */
static int scan_filter_init(scan *s, gnv_table *t, const char *where)
{
    int rc = GNV_OK;
    struct ArrowSchema all = {0};
    const char *const *names = NULL;
    int64_t n = 0;
    rc = gnv__expr_parse(&s->filter, where);
    if (rc < 0)
        goto where_error;
    GNV_TRYG(filter_schema(&all, t));
    rc = gnv__expr_bind(s->filter, &all);
    if (rc < 0)
        goto where_error;
    GNV_TRYG(gnv__expr_columns(&names, &n, s->filter));
    GNV_TRYG(reader_init(&s->fr, t, (const char *const *)names, (size_t)n, false, false));
    /* worker threads for a filter that reads columns, over many rows, without a limit
     * (a limit usually stops early); before binding again, which frees names */
    int nthreads = par_threads(t, s->batch_rows);
    if (nthreads > 1 && s->limit < 0 && !gnv__expr_is_always_true(s->filter))
        GNV_TRYG(par_init(s, t, (const char *const *)names, n, nthreads));
    rc = gnv__expr_bind(s->filter, &s->fr.oschema);
    if (rc < 0)
        goto where_error;
    GNV_TRYG(split_init(s));
    if (s->par)
        s->par->split = s->split;
    s->match = gnv__calloc((size_t)s->batch_rows, sizeof *s->match);
    GNV_CHECK_ALLOC(s->match);
    goto done;
where_error:
    if (rc != GNV_ENOMEM)
        gnv__error_prefix("where");
done:
    gnv__schema_release(&all);
    return rc;
}

int gnv_table_scan(gnv_table *t, const gnv_scan_options *opts, struct ArrowArrayStream *out)
{
    int rc = GNV_OK;
    scan *s = NULL;
    gnv_scan_options def = GNV_SCAN_OPTIONS_INIT;
    GNV_ERR_IF(!t || !out, GNV_EINVAL, GNV_SUB_TABLE, "gnv_table_scan: NULL argument");
    memset(out, 0, sizeof *out);
    if (!opts)
        opts = &def;
    GNV_ERR_IF(opts->version > GNV_SCAN_OPTIONS_VERSION, GNV_EVERSION, GNV_SUB_TABLE,
               "gnv_table_scan: options version %u is newer than this library's", opts->version);
    GNV_ERR_IF(opts->offset < 0 || opts->batch_rows < 0 || opts->limit < -1, GNV_EINVAL,
               GNV_SUB_TABLE, "gnv_table_scan: negative offset, batch_rows or limit");
    const char *where = opts->version >= 2 ? opts->where : NULL;
    s = gnv__calloc(1, sizeof *s);
    GNV_CHECK_ALLOC(s);
    GNV_TRYG(reader_init(&s->r, t, opts->columns, opts->n_columns, opts->with_row_id != 0,
                         opts->with_row_addr != 0));
    s->limit = opts->limit;
    s->offset = opts->offset;
    s->batch_rows = opts->batch_rows > 0 ? opts->batch_rows : DEFAULT_BATCH_ROWS;
    s->sel = gnv__calloc((size_t)s->batch_rows, sizeof *s->sel);
    GNV_CHECK_ALLOC(s->sel);
    s->fr.files_frag = SIZE_MAX;
    if (where && *where)
        GNV_TRYG(scan_filter_init(s, t, where));
    if (s->par && s->offset == 0) {
        /* the worker threads read the matching rows' columns too */
        pscan *ps = s->par;
        ps->emitters = gnv__calloc((size_t)ps->nthreads, sizeof *ps->emitters);
        GNV_CHECK_ALLOC(ps->emitters);
        for (int i = 0; i < ps->nthreads; i++)
            GNV_TRYG(reader_init(&ps->emitters[i], t, opts->columns, opts->n_columns,
                                 opts->with_row_id != 0, opts->with_row_addr != 0));
    }
    rc = gnv__stream_init(out, &scan_impl, s);
    s = NULL; /* freed by the stream, or by gnv__stream_init on failure */
done:
    if (s)
        scan_free(s);
    return rc;
}

/* ---- takes ---------------------------------------------------------------- */

typedef struct take_req {
    uint64_t addr;
    size_t index; /* position in the request */
} take_req;

static int cmp_req(const void *a, const void *b)
{
    const take_req *x = a, *y = b;
    if (x->addr != y->addr)
        return x->addr < y->addr ? -1 : 1;
    return x->index < y->index ? -1 : x->index > y->index;
}

static int find_fragment(const Gnvpb__Manifest *m, uint64_t id, size_t *fi)
{
    for (size_t i = 0; i < m->n_fragments; i++)
        if (m->fragments[i]->id == id) {
            *fi = i;
            return GNV_OK;
        }
    return GNV_ENOTFOUND;
}

/* A read-only handle's reader for takes, kept between calls: the manifest copy, the
 * projection and the open files of the last fragment read are reused. */
typedef struct gnv__take_cache {
    pthread_mutex_t lock;
    reader r;
    bool live;
    char **names; /* the projection it was made for */
    size_t n_names;
} gnv__take_cache;

static void take_cache_clear(gnv__take_cache *c)
{
    if (c->live)
        reader_reset(&c->r);
    for (size_t i = 0; i < c->n_names; i++)
        gnv__free(c->names[i]);
    gnv__free(c->names);
    c->names = NULL;
    c->n_names = 0;
    c->live = false;
}

void gnv__take_cache_free(gnv__take_cache *c)
{
    if (!c)
        return;
    take_cache_clear(c);
    pthread_mutex_destroy(&c->lock);
    gnv__free(c);
}

static bool same_projection(const gnv__take_cache *c, const char *const *names, size_t n)
{
    if (!c->live || c->n_names != n)
        return false;
    for (size_t i = 0; i < n; i++)
        if (strcmp(c->names[i], names[i]) != 0)
            return false;
    return true;
}

/* The reader of a take: the handle's cached one (locked in *tc) when the handle is a
 * read-only checkout not in use by another thread, else *rp (a fresh one). */
static int
take_reader(reader **rp, gnv__take_cache **tc, gnv_table *t, const char *const *columns, size_t n)
{
    if (!t->read_only || !columns)
        return reader_init(*rp, t, columns, n, false, false);
    static pthread_mutex_t create_lock = PTHREAD_MUTEX_INITIALIZER; /* threads taking at once */
    pthread_mutex_lock(&create_lock);
    if (!t->take_cache) {
        gnv__take_cache *c = gnv__calloc(1, sizeof *c);
        if (c)
            pthread_mutex_init(&c->lock, NULL);
        t->take_cache = c;
    }
    gnv__take_cache *c = t->take_cache;
    pthread_mutex_unlock(&create_lock);
    if (!c)
        return gnv__error_oom();
    if (pthread_mutex_trylock(&c->lock) != 0) /* another thread's take: no cache */
        return reader_init(*rp, t, columns, n, false, false);
    *tc = c;
    if (same_projection(c, columns, n)) {
        *rp = &c->r;
        return GNV_OK;
    }
    take_cache_clear(c);
    c->live = true; /* (cleared on failure: the caller's take_cache_clear resets it) */
    GNV_TRY(reader_init(&c->r, t, columns, n, false, false));
    c->names = gnv__calloc(n ? n : 1, sizeof *c->names);
    if (!c->names)
        return gnv__error_oom();
    for (size_t i = 0; i < n; i++) {
        c->names[i] = gnv__strdup(columns[i]);
        if (!c->names[i])
            return gnv__error_oom();
        c->n_names = i + 1;
    }
    *rp = &c->r;
    return GNV_OK;
}

/* The errors of a take: an address naming no fragment, past its fragment's rows, or
 * of a deleted row. */
static int no_fragment(const gnv_table *t, const reader *rp, uint64_t addr)
{
    return gnv__error_set(GNV_ENOTFOUND, GNV_SUB_TABLE,
                          "table '%s' version %" PRIu64 ": row address %" PRIu64
                          " names fragment %" PRIu64 ", which does not exist",
                          t->name, rp->m->version, addr, addr >> 32);
}

static int past_fragment(const gnv_table *t, const Gnvpb__DataFragment *f, uint64_t addr)
{
    return gnv__error_set(GNV_ENOTFOUND, GNV_SUB_TABLE,
                          "table '%s': row address %" PRIu64 " is past the %" PRIu64
                          " rows of fragment %" PRIu64,
                          t->name, addr, f->physical_rows, addr >> 32);
}

static int deleted_row(const gnv_table *t, uint64_t addr)
{
    return gnv__error_set(GNV_ENOTFOUND, GNV_SUB_TABLE,
                          "table '%s': row address %" PRIu64 " was deleted", t->name, addr);
}

/* Whether addrs[0..n) are consecutive rows of one fragment (a backfill's call). */
static bool consecutive(const uint64_t *addrs, size_t n)
{
    if (n == 0 || addrs[n - 1] >> 32 != addrs[0] >> 32 || addrs[n - 1] - addrs[0] != n - 1)
        return false;
    for (size_t i = 1; i < n; i++)
        if (addrs[i] != addrs[i - 1] + 1)
            return false;
    return true;
}

/* Take rows [addr0, addr0 + n) of one fragment (consecutive()): one range read per
 * column into cols[], without the bookkeeping of a request per row. */
static int
take_run(reader *rp, const gnv_table *t, uint64_t addr0, int64_t n, struct ArrowArray *cols)
{
    int rc = GNV_OK;
    uint8_t *del = NULL;
    uint64_t fid = addr0 >> 32;
    int64_t off0 = (int64_t)(addr0 & 0xffffffffu);
    size_t fi;
    if (find_fragment(rp->m, fid, &fi) < 0)
        return no_fragment(t, rp, addr0);
    const Gnvpb__DataFragment *f = rp->m->fragments[fi];
    if (off0 + n > (int64_t)f->physical_rows) /* the first address past its rows */
        return past_fragment(
            t, f, off0 >= (int64_t)f->physical_rows ? addr0 : (fid << 32) | f->physical_rows);
    GNV_TRYG(load_deletions(rp, f, &del));
    for (int64_t r = off0; del && r < off0 + n; r++)
        if (is_deleted(del, r)) {
            rc = deleted_row(t, (fid << 32) | (uint64_t)r);
            goto done;
        }
    for (int64_t c = 0; c < rp->n_cols; c++)
        GNV_TRYG(read_column(rp, fi, c, off0, NULL, n, &cols[c]));
done:
    gnv__free(del);
    return rc;
}

int gnv_table_take(gnv_table *t,
                   const uint64_t *row_addrs,
                   size_t n,
                   const char *const *columns,
                   size_t n_columns,
                   struct ArrowSchema *schema_out,
                   struct ArrowArray *array_out)
{
    int rc = GNV_OK;
    reader local = {0}, *rp = &local;
    gnv__take_cache *tc = NULL;
    take_req *req = NULL;
    int64_t *rows = NULL;
    size_t *pos = NULL;              /* request index -> row in its group's arrays */
    size_t *grp = NULL;              /* request index -> group */
    struct ArrowArray *parts = NULL; /* group g, column c at [g * n_cols + c] */
    size_t n_groups = 0;
    struct ArrowArray *cols = NULL;
    gnv_array_view view = {0};
    bool view_live = false;
    uint8_t *del = NULL;
    GNV_ERR_IF(!t || (!row_addrs && n) || !schema_out || !array_out, GNV_EINVAL, GNV_SUB_TABLE,
               "gnv_table_take: NULL argument");
    memset(schema_out, 0, sizeof *schema_out);
    memset(array_out, 0, sizeof *array_out);
    GNV_TRYG(take_reader(&rp, &tc, t, columns, n_columns));
    if (consecutive(row_addrs, n)) {
        cols = gnv__calloc(rp->n_cols ? (size_t)rp->n_cols : 1, sizeof *cols);
        GNV_CHECK_ALLOC(cols);
        GNV_TRYG(take_run(rp, t, row_addrs[0], (int64_t)n, cols));
        if (!tc)
            close_files(rp);
        goto assemble;
    }
    req = gnv__calloc(n ? n : 1, sizeof *req);
    rows = gnv__calloc(n ? n : 1, sizeof *rows);
    pos = gnv__calloc(n ? n : 1, sizeof *pos);
    grp = gnv__calloc(n ? n : 1, sizeof *grp);
    GNV_CHECK_ALLOC(req);
    GNV_CHECK_ALLOC(rows);
    GNV_CHECK_ALLOC(pos);
    GNV_CHECK_ALLOC(grp);
    /* backfills and filters ask for ascending, distinct rows: no sort, and the parts
     * are then the answer in request order */
    bool ascending = true;
    for (size_t i = 0; i < n; i++) {
        req[i].addr = row_addrs[i];
        req[i].index = i;
        if (i > 0 && row_addrs[i] <= row_addrs[i - 1])
            ascending = false;
    }
    if (!ascending)
        qsort(req, n, sizeof *req, cmp_req);
    /* count fragment groups */
    for (size_t i = 0; i < n; i++)
        if (i == 0 || req[i].addr >> 32 != req[i - 1].addr >> 32)
            n_groups++;
    parts = gnv__calloc(n_groups * (size_t)rp->n_cols + 1, sizeof *parts);
    GNV_CHECK_ALLOC(parts);
    for (size_t i = 0, g = 0; i < n; g++) {
        uint64_t fid = req[i].addr >> 32;
        size_t fi;
        size_t j = i;
        int64_t k = 0;
        if (find_fragment(rp->m, fid, &fi) < 0) {
            rc = no_fragment(t, rp, req[i].addr);
            goto done;
        }
        const Gnvpb__DataFragment *f = rp->m->fragments[fi];
        gnv__free(del);
        GNV_TRYG(load_deletions(rp, f, &del));
        for (; j < n && req[j].addr >> 32 == fid; j++) {
            int64_t off = (int64_t)(req[j].addr & 0xffffffffu);
            if (off >= (int64_t)f->physical_rows || is_deleted(del, off)) {
                rc = off >= (int64_t)f->physical_rows ? past_fragment(t, f, req[j].addr)
                                                      : deleted_row(t, req[j].addr);
                goto done;
            }
            if (k == 0 || rows[k - 1] != off)
                rows[k++] = off;
            pos[req[j].index] = (size_t)(k - 1);
            grp[req[j].index] = g;
        }
        /* a run of consecutive rows is a range read, which decodes pages whole */
        bool range = k > 0 && rows[k - 1] - rows[0] == k - 1;
        for (int64_t c = 0; c < rp->n_cols; c++)
            GNV_TRYG(read_column(rp, fi, c, range ? rows[0] : 0, range ? NULL : rows, k,
                                 &parts[g * (size_t)rp->n_cols + c]));
        if (!tc)
            close_files(rp);
        i = j;
    }
    /* assemble the columns in request order */
    cols = gnv__calloc(rp->n_cols ? (size_t)rp->n_cols : 1, sizeof *cols);
    GNV_CHECK_ALLOC(cols);
    for (int64_t c = 0; c < rp->n_cols && ascending; c++) {
        const struct ArrowSchema *s = rp->oschema.children[c];
        const struct ArrowArray **src = gnv__calloc(n_groups ? n_groups : 1, sizeof *src);
        GNV_CHECK_ALLOC(src);
        for (size_t g = 0; g < n_groups; g++)
            src[g] = &parts[g * (size_t)rp->n_cols + c];
        if (n_groups == 1)
            gnv__array_move(&parts[c], &cols[c]);
        else
            rc = gnv__array_concat(&cols[c], s, src, n_groups);
        gnv__free(src);
        if (rc < 0)
            goto done;
    }
    for (int64_t c = 0; c < rp->n_cols && !ascending; c++) {
        const struct ArrowSchema *s = rp->oschema.children[c];
        GNV_TRYG(gnv__array_init(&cols[c], s));
        for (size_t i = 0; i < n; i++) {
            GNV_TRYG(gnv__array_view_init(&view, s, &parts[grp[i] * (size_t)rp->n_cols + c]));
            view_live = true;
            GNV_TRYG(gnv__array_append_view(&cols[c], &view, (int64_t)pos[i], 1));
            gnv__array_view_reset(&view);
            view_live = false;
        }
        GNV_TRYG(gnv__array_finish(&cols[c]));
    }
assemble:
    GNV_TRYG(gnv__schema_copy(schema_out, &rp->oschema));
    rc = make_struct(array_out, cols, rp->n_cols, (int64_t)n);
    gnv__free(cols);
    cols = NULL;
    if (rc < 0)
        gnv__schema_release(schema_out);
done:
    if (view_live)
        gnv__array_view_reset(&view);
    if (cols) {
        for (int64_t c = 0; c < rp->n_cols; c++)
            gnv__array_release(&cols[c]);
        gnv__free(cols);
    }
    if (parts) {
        for (size_t i = 0; i < n_groups * (size_t)rp->n_cols; i++)
            gnv__array_release(&parts[i]);
        gnv__free(parts);
    }
    gnv__free(req);
    gnv__free(rows);
    gnv__free(pos);
    gnv__free(grp);
    gnv__free(del);
    if (tc) {
        if (rc < 0) /* start afresh next time */
            take_cache_clear(tc);
        pthread_mutex_unlock(&tc->lock);
    }
    reader_reset(&local);
    return rc;
}
