/*
 * Deleting rows: deletion files written as Lance writes them (an Arrow IPC file of
 * uint32 offsets for small sets, a portable Roaring bitmap from 5000 rows on), merged
 * with a fragment's existing deletions, and committed as a Delete transaction; the
 * filtered forms gnv_table_delete and gnv_table_count_rows_where.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "arrow/arrow.h"
#include "table.h"

/* Lance's DeletionVector becomes a bitmap at this many rows (BITMAP_THRESDHOLD). */
#define BITMAP_THRESHOLD 5000

void gnv__deletions_reset(gnv__deletions *d)
{
    for (size_t i = 0; i < d->n_updated; i++)
        gnv__pb_free(&d->updated[i]->base);
    gnv__free(d->updated);
    gnv__free(d->removed_ids);
    memset(d, 0, sizeof *d);
}

static bool bit(const uint8_t *bits, uint64_t row)
{
    return bits[row >> 3] >> (row & 7) & 1;
}

/* Set bits in bits[0..nbytes), eight bytes at a time (no bit is set at or past a
 * fragment's physical rows). */
static uint64_t count_bits(const uint8_t *bits, uint64_t nbytes)
{
    uint64_t n = 0, i = 0;
    for (; i + 8 <= nbytes; i += 8) {
        uint64_t w;
        memcpy(&w, bits + i, 8);
        if (w)
            n += (uint64_t)__builtin_popcountll(w);
    }
    for (; i < nbytes; i++)
        n += (uint64_t)__builtin_popcount(bits[i]);
    return n;
}

static void put_le16(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static void put_le32(uint8_t *p, uint32_t v)
{
    put_le16(p, v & 0xffff);
    put_le16(p + 2, v >> 16);
}

/*
 * The portable Roaring serialization of the set bits of bits[0..phys), as roaring-rs
 * writes it without run containers: cookie 12346, the container count, (key,
 * cardinality-1) pairs, one u32 offset per container, then the containers: sorted u16
 * values (array, up to 4096) or a 65536-bit bitmap (8192 bytes).
 */
static int roaring_bytes(gnv_buf *out, const uint8_t *bits, uint64_t phys)
{
    uint32_t n_keys = (uint32_t)((phys + 65535) / 65536);
    uint32_t *card = gnv__calloc(n_keys ? n_keys : 1, sizeof *card);
    if (!card)
        return gnv__error_oom();
    uint32_t size = 0;
    for (uint32_t k = 0; k < n_keys; k++) { /* 8192 bytes (65536 rows) a key */
        uint64_t lo = (uint64_t)k << 13, hi = GNV_MIN(lo + 8192, (phys + 7) / 8);
        card[k] = (uint32_t)count_bits(bits + lo, hi - lo);
        size += card[k] != 0;
    }
    size_t total = 8 + (size_t)size * 8;
    for (uint32_t k = 0; k < n_keys; k++)
        if (card[k])
            total += card[k] > 4096 ? 8192 : (size_t)card[k] * 2;
    int rc = gnv__buf_reserve(out, total);
    if (rc < 0) {
        gnv__free(card);
        return rc;
    }
    uint8_t *p = (uint8_t *)out->ptr;
    memset(p, 0, total);
    put_le32(p, 12346);
    put_le32(p + 4, size);
    size_t head = 8, offs = 8 + (size_t)size * 4, pos = 8 + (size_t)size * 8;
    for (uint32_t k = 0; k < n_keys; k++) {
        if (!card[k])
            continue;
        put_le16(p + head, k);
        put_le16(p + head + 2, card[k] - 1);
        put_le32(p + offs, (uint32_t)pos);
        head += 4;
        offs += 4;
        uint64_t lo = (uint64_t)k << 16, hi = GNV_MIN(lo + 65536, phys);
        if (card[k] > 4096) { /* the same bit order: a copy (no bit is set past phys) */
            memcpy(p + pos, bits + (lo >> 3), (size_t)((hi - lo + 7) >> 3));
            pos += 8192;
        } else {
            for (uint64_t b = lo >> 3; b < (hi + 7) >> 3; b++) /* lo is a multiple of 8 */
                for (unsigned v = bits[b]; v; v &= v - 1) {
                    put_le16(p + pos, (uint32_t)((b << 3) + (unsigned)__builtin_ctz(v) - lo));
                    pos += 2;
                }
        }
    }
    out->size = total;
    gnv__free(card);
    return GNV_OK;
}

/* An Arrow IPC file with one batch of schema `row_id: uint32 not null` (ZSTD-compressed
 * buffers), the set bits in ascending order. */
static int arrow_bytes(gnv_buf *out, const uint8_t *bits, uint64_t phys)
{
    int rc = GNV_OK;
    struct ArrowSchema s = {0};
    struct ArrowArray a = {0};
    gnv_ipc_writer *w = NULL;
    GNV_TRYG(gnv__schema_init(&s, "+s", "", 0));
    GNV_TRYG(gnv__schema_alloc_children(&s, 1));
    GNV_TRYG(gnv__schema_init(s.children[0], "I", "row_id", 0));
    GNV_TRYG(gnv__array_init(&a, &s));
    for (uint64_t r = 0; r < phys; r++) {
        if (!(r & 7) && !bits[r >> 3]) {
            r += 7; /* a byte without deleted rows */
            continue;
        }
        if (bit(bits, r)) {
            GNV_TRYG(gnv__array_append_uint(a.children[0], r));
            GNV_TRYG(gnv__array_finish_element(&a));
        }
    }
    GNV_TRYG(gnv__array_finish(&a));
    gnv_ipc_write_options o = GNV_IPC_WRITE_OPTIONS_INIT;
    o.compression = GNV_IPC_COMPRESS_ZSTD;
    GNV_TRYG(gnv__ipc_writer_new(&w, gnv__ipc_sink_buf(out), &s, &o));
    GNV_TRYG(gnv__ipc_writer_write(w, &a));
    GNV_TRYG(gnv__ipc_writer_finish(w));
done:
    gnv__ipc_writer_free(w);
    gnv__array_release(&a);
    gnv__schema_release(&s);
    return rc;
}

/* Write the deletion file of fragment f holding bits (n_deleted rows set); *out is a
 * new DeletionFile message naming it. */
static int write_deletion_file(Gnvpb__DeletionFile **out,
                               gnv_table *t,
                               const Gnvpb__DataFragment *f,
                               const uint8_t *bits,
                               uint64_t n_deleted,
                               bool bitmap)
{
    int rc = GNV_OK;
    gnv_buf body = GNV_BUF_INIT, path = GNV_BUF_INIT;
    Gnvpb__DeletionFile *d = NULL;
    char hex[17];
    *out = NULL;
    GNV_TRYG(gnv__random_hex(hex, 8));
    uint64_t id = strtoull(hex, NULL, 16);
    if (bitmap)
        GNV_TRYG(roaring_bytes(&body, bits, f->physical_rows));
    else
        GNV_TRYG(arrow_bytes(&body, bits, f->physical_rows));
    GNV_TRYG(gnv__deletion_file_path(&path, t->dir, f->id, t->m->version, id, bitmap));
    GNV_TRYG(gnv__io_write_all(t->io, path.ptr, body.ptr, body.size, GNV_IO_NOREPLACE));
    d = gnv__malloc(sizeof *d);
    GNV_CHECK_ALLOC(d);
    gnvpb__deletion_file__init(d);
    d->has_file_type = d->has_read_version = d->has_id = d->has_num_deleted_rows = 1;
    d->file_type =
        bitmap ? GNVPB__DELETION_FILE__KIND__BITMAP : GNVPB__DELETION_FILE__KIND__ARROW_ARRAY;
    d->read_version = t->m->version;
    d->id = id;
    d->num_deleted_rows = n_deleted;
    *out = d;
done:
    gnv_buf_dispose(&body);
    gnv_buf_dispose(&path);
    return rc;
}

static int push_id(gnv__deletions *d, uint64_t id)
{
    uint64_t *a = gnv__reallocarray(d->removed_ids, d->n_removed + 1, sizeof *a);
    if (!a)
        return gnv__error_oom();
    d->removed_ids = a;
    a[d->n_removed++] = id;
    return GNV_OK;
}

static int push_fragment(gnv__deletions *d, Gnvpb__DataFragment *f)
{
    Gnvpb__DataFragment **a = gnv__reallocarray(d->updated, d->n_updated + 1, sizeof *a);
    if (!a)
        return gnv__error_oom();
    d->updated = a;
    a[d->n_updated++] = f;
    return GNV_OK;
}

/* One fragment's part of gnv__table_write_deletions. */
static int delete_in_fragment(gnv__deletions *out,
                              gnv_table *t,
                              const Gnvpb__DataFragment *f,
                              const gnv__frag_rows *set)
{
    int rc = GNV_OK;
    uint8_t *bits = NULL;
    Gnvpb__DataFragment *copy = NULL;
    uint64_t phys = f->physical_rows;
    GNV_TRYG(gnv__fragment_deletions(t->io, t->dir, t->name, f, &bits));
    const Gnvpb__DeletionFile *old = f->deletion_file;
    bool was_bitmap =
        old && old->has_file_type && old->file_type == GNVPB__DELETION_FILE__KIND__BITMAP;
    if (!bits) {
        bits = gnv__calloc((size_t)(phys / 8 + 1), 1);
        GNV_CHECK_ALLOC(bits);
    }
    uint64_t had = count_bits(bits, (phys + 7) / 8), added = 0;
    for (size_t i = 0; i < set->n; i++) {
        uint64_t r = set->rows[i];
        GNV_ERR_IF(r >= phys, GNV_EINVAL, GNV_SUB_TABLE,
                   "table '%s': cannot delete row %" PRIu64 " of fragment %" PRIu64
                   ", which has %" PRIu64 " rows",
                   t->name, r, f->id, phys);
        if (!bit(bits, r)) {
            bits[r >> 3] |= (uint8_t)(1u << (r & 7));
            added++;
        }
    }
    if (added == 0)
        goto done;
    uint64_t total = had + added;
    out->n_deleted += (int64_t)added;
    if (total == phys) {
        GNV_TRYG(push_id(out, f->id));
        goto done;
    }
    /* Lance's rule: a set grows into a bitmap above the threshold, a fresh vector of
     * that many rows starts as one, and a bitmap stays one */
    bool bitmap = was_bitmap || (old ? total > BITMAP_THRESHOLD : total >= BITMAP_THRESHOLD);
    copy = (Gnvpb__DataFragment *)gnv__pb_dup(&f->base);
    GNV_CHECK_ALLOC(copy);
    Gnvpb__DeletionFile *d = NULL;
    GNV_TRYG(write_deletion_file(&d, t, f, bits, total, bitmap));
    if (copy->deletion_file)
        gnv__pb_free(&copy->deletion_file->base);
    copy->deletion_file = d;
    GNV_TRYG(push_fragment(out, copy));
    copy = NULL;
done:
    if (copy)
        gnv__pb_free(&copy->base);
    gnv__free(bits);
    return rc;
}

int gnv__table_write_deletions(gnv__deletions *out,
                               gnv_table *t,
                               const gnv__frag_rows *sets,
                               size_t n_sets)
{
    int rc = GNV_OK;
    memset(out, 0, sizeof *out);
    for (size_t i = 0; i < n_sets; i++) {
        const Gnvpb__DataFragment *f = NULL;
        for (size_t j = 0; j < t->m->n_fragments && !f; j++)
            if (t->m->fragments[j]->id == sets[i].fragment_id)
                f = t->m->fragments[j];
        GNV_ERR_IF(!f, GNV_EINVAL, GNV_SUB_TABLE,
                   "table '%s' version %" PRIu64 " has no fragment %" PRIu64, t->name,
                   t->m->version, sets[i].fragment_id);
        for (size_t j = 0; j < i; j++)
            GNV_ERR_IF(sets[j].fragment_id == sets[i].fragment_id, GNV_EINVAL, GNV_SUB_TABLE,
                       "fragment %" PRIu64 " is listed twice", sets[i].fragment_id);
        GNV_TRYG(delete_in_fragment(out, t, f, &sets[i]));
    }
done:
    if (rc < 0)
        gnv__deletions_reset(out);
    return rc;
}

/* Writes through a handle need the latest version. With stable row ids a delete only
 * writes deletion files: the fragments keep their row id sequences, as in Lance. */
static int check_writable(const gnv_table *t)
{
    if (t->read_only)
        return gnv__error_set(GNV_EINVAL, GNV_SUB_TABLE,
                              "table '%s' is checked out at version %" PRIu64
                              " (read-only); call gnv_table_checkout_latest first",
                              t->name, t->m->version);
    return GNV_OK;
}

int gnv__table_delete_rows(gnv_table *t,
                           const gnv__frag_rows *sets,
                           size_t n_sets,
                           const char *predicate,
                           int64_t *deleted_out)
{
    int rc = GNV_OK;
    gnv__deletions d = {0};
    if (deleted_out)
        *deleted_out = 0;
    GNV_TRYG(check_writable(t));
    GNV_TRYG(gnv__table_write_deletions(&d, t, sets, n_sets));
    if (d.n_deleted == 0)
        goto done;
    gnv__commit c = {0};
    c.op = GNV__OP_DELETE;
    c.updated = d.updated;
    c.n_updated = d.n_updated;
    c.removed_ids = d.removed_ids;
    c.n_removed = d.n_removed;
    c.predicate = predicate;
    GNV_TRYG(gnv__table_commit(t, &c));
    if (deleted_out)
        *deleted_out = d.n_deleted;
done:
    gnv__deletions_reset(&d);
    return rc;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

int gnv__group_row_addrs(
    gnv__frag_rows **sets_out, size_t *n_out, uint32_t **rows_out, uint64_t *addrs, size_t n)
{
    *sets_out = NULL;
    *n_out = 0;
    *rows_out = NULL;
    bool sorted = true; /* as a scan gives them, mostly */
    for (size_t i = 1; i < n && sorted; i++)
        sorted = addrs[i - 1] <= addrs[i];
    if (!sorted)
        qsort(addrs, n, sizeof *addrs, cmp_u64);
    size_t groups = 0;
    for (size_t i = 0; i < n; i++)
        if (i == 0 || addrs[i] >> 32 != addrs[i - 1] >> 32)
            groups++;
    gnv__frag_rows *sets = gnv__calloc(groups ? groups : 1, sizeof *sets);
    uint32_t *rows = gnv__calloc(n ? n : 1, sizeof *rows);
    if (!sets || !rows) {
        gnv__free(sets);
        gnv__free(rows);
        return gnv__error_oom();
    }
    size_t g = 0;
    for (size_t i = 0; i < n; i++) {
        if (i == 0 || addrs[i] >> 32 != addrs[i - 1] >> 32) {
            sets[g].fragment_id = addrs[i] >> 32;
            sets[g].rows = rows + i;
            g++;
        }
        rows[i] = (uint32_t)addrs[i];
        sets[g - 1].n++;
    }
    *sets_out = sets;
    *n_out = groups;
    *rows_out = rows;
    return GNV_OK;
}

int gnv__table_each_rowaddr(gnv_table *t,
                            const char *where,
                            int (*fn)(const uint64_t *addrs, size_t n, void *payload),
                            void *payload)
{
    int rc = GNV_OK;
    struct ArrowArrayStream st = {0};
    struct ArrowArray a = {0};
    static const char *const cols[] = {"_rowaddr"};
    gnv_scan_options so = GNV_SCAN_OPTIONS_INIT;
    so.columns = cols;
    so.n_columns = 1;
    so.where = where;
    GNV_TRYG(gnv_table_scan(t, &so, &st));
    for (;;) {
        rc = gnv__stream_next(&st, &a);
        if (rc == GNV_ITEROVER) {
            rc = GNV_OK;
            break;
        }
        if (rc < 0)
            goto done;
        const struct ArrowArray *c = a.children[0];
        if (c->length > 0)
            GNV_TRYG(fn((const uint64_t *)c->buffers[1] + c->offset, (size_t)c->length, payload));
        gnv__array_release(&a);
    }
done:
    gnv__array_release(&a);
    if (st.release)
        gnv__stream_release(&st);
    return rc;
}

typedef struct addr_list {
    uint64_t *addrs;
    size_t n, cap;
} addr_list;

static int addr_list_put(const uint64_t *v, size_t n, void *payload)
{
    addr_list *l = payload;
    if (l->n + n > l->cap) {
        size_t ncap = GNV_MAX(l->cap * 2, l->n + n);
        uint64_t *na = gnv__reallocarray(l->addrs, ncap ? ncap : 1, sizeof *na);
        if (!na)
            return gnv__error_oom();
        l->addrs = na;
        l->cap = ncap;
    }
    memcpy(l->addrs + l->n, v, n * sizeof *v);
    l->n += n;
    return GNV_OK;
}

int gnv__table_match_addrs(uint64_t **out, size_t *n_out, gnv_table *t, const char *where)
{
    addr_list l = {NULL, 0, 0};
    *out = NULL;
    *n_out = 0;
    int rc = gnv__table_each_rowaddr(t, where, addr_list_put, &l);
    if (rc < 0) {
        gnv__free(l.addrs);
        return rc;
    }
    *out = l.addrs;
    *n_out = l.n;
    return GNV_OK;
}

static int delete_once(gnv_table *t, const char *where, int64_t *deleted_out)
{
    int rc = GNV_OK;
    uint64_t *addrs = NULL;
    size_t n = 0, n_sets = 0;
    gnv__frag_rows *sets = NULL;
    uint32_t *rows = NULL;
    GNV_TRYG(gnv__table_match_addrs(&addrs, &n, t, where));
    GNV_TRYG(gnv__group_row_addrs(&sets, &n_sets, &rows, addrs, n));
    rc = gnv__table_delete_rows(t, sets, n_sets, where, deleted_out);
done:
    gnv__free(addrs);
    gnv__free(sets);
    gnv__free(rows);
    return rc;
}

typedef struct delete_args {
    const char *where;
    int64_t *deleted_out;
} delete_args;

static int delete_retry(gnv_table *t, void *payload)
{
    delete_args *a = payload;
    return delete_once(t, a->where, a->deleted_out);
}

int gnv_table_delete(gnv_table *t, const char *where, int64_t *deleted_out)
{
    int rc = GNV_OK;
    if (deleted_out)
        *deleted_out = 0;
    GNV_ERR_IF(!t, GNV_EINVAL, GNV_SUB_TABLE, "gnv_table_delete: NULL table");
    GNV_ERR_IF(!where || !*where, GNV_EINVAL, GNV_SUB_TABLE,
               "table '%s': delete needs a filter (give \"true\" to delete every row)", t->name);
    GNV_TRYG(check_writable(t));
    /* a concurrent change of the same fragments: run again on the latest version */
    delete_args a = {where, deleted_out};
    rc = gnv__retry_conflicts(t, delete_retry, &a);
done:
    return rc;
}

int gnv_table_count_rows_where(gnv_table *t, const char *where, int64_t *out)
{
    int rc = GNV_OK;
    struct ArrowArrayStream st = {0};
    struct ArrowArray a = {0};
    GNV_ERR_IF(!t || !out, GNV_EINVAL, GNV_SUB_TABLE, "gnv_table_count_rows_where: NULL argument");
    *out = 0;
    if (!where || !*where)
        return gnv_table_count_rows(t, out);
    gnv_scan_options so = GNV_SCAN_OPTIONS_INIT;
    static const char *const none[] = {NULL};
    so.columns = none; /* no column: only the filter's are read */
    so.n_columns = 0;
    so.where = where;
    GNV_TRYG(gnv_table_scan(t, &so, &st));
    int64_t n = 0;
    for (;;) {
        rc = gnv__stream_next(&st, &a);
        if (rc == GNV_ITEROVER) {
            rc = GNV_OK;
            break;
        }
        if (rc < 0)
            goto done;
        n += a.length;
        gnv__array_release(&a);
    }
    *out = n;
done:
    gnv__array_release(&a);
    gnv__stream_release(&st);
    return rc;
}
