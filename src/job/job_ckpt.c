/*
 * Backfill checkpoints: one Arrow IPC file per call of the function (one or more
 * batches), named by a hash of what determines its content and by its row range,
 * holding the rows' offsets and values.
 */
#include <inttypes.h>
#include <string.h>

#include "io/io.h"
#include "job.h"

int gnv__ckpt_key(char out[GNV__CKPT_KEY_SIZE], const gnv__ckpt_id *id)
{
    int rc = GNV_OK;
    gnv_buf k = GNV_BUF_INIT;
    uint8_t digest[32];
    char hex[65];
    out[0] = '\0';
    /* function, column, filter, table, the fragment's data files (but the column's
     * own) and the fragment; one field per line */
    GNV_TRYG(gnv__buf_printf(&k, "fn=%s\nver=%s\nlib=%s\ncol=%s\nwhere=%s\ntable=%s\n",
                             id->def->function, id->def->version, id->def->library, id->column,
                             id->where, id->table));
    for (size_t i = 0; i < id->frag->n_files; i++) {
        const Gnvpb__DataFile *d = id->frag->files[i];
        bool own = d->n_fields == id->n_leaf &&
                   (id->n_leaf == 0 ||
                    memcmp(d->fields, id->leaf_ids, id->n_leaf * sizeof *id->leaf_ids) == 0);
        if (!own)
            GNV_TRYG(gnv__buf_printf(&k, "file=%s\n", d->path ? d->path : ""));
    }
    GNV_TRYG(gnv__buf_printf(&k, "frag=%" PRIu64 "\n", id->frag->id));
    GNV_TRYG(gnv__sha256(digest, k.ptr, k.size));
    gnv__hex(hex, digest, 32);
    memcpy(out, hex, GNV__CKPT_KEY_SIZE - 1);
    out[GNV__CKPT_KEY_SIZE - 1] = '\0';
done:
    gnv_buf_dispose(&k);
    return rc;
}

int gnv__ckpt_path(char **out,
                   const gnv_table *t,
                   int32_t field_id,
                   uint64_t frag_id,
                   const char *key,
                   int64_t start,
                   int64_t end)
{
    gnv_buf path = GNV_BUF_INIT;
    *out = NULL;
    int rc = gnv__buf_printf(&path, "%s/%s/f%d-%" PRIu64 "-%s-%" PRId64 "-%" PRId64 ".arrow",
                             t->dir, GNV__CKPT_DIR, (int)field_id, frag_id, key, start, end);
    if (rc == GNV_OK)
        *out = gnv__buf_detach(&path, NULL);
    gnv_buf_dispose(&path);
    return rc;
}

/* A decimal number of at most 19 digits at *p, moved past it. */
static bool parse_num(const char **p, uint64_t *out)
{
    const char *s = *p;
    uint64_t v = 0;
    int n = 0;
    while (*s >= '0' && *s <= '9' && n < 19) {
        v = v * 10 + (uint64_t)(*s++ - '0');
        n++;
    }
    if (n == 0 || (*s >= '0' && *s <= '9'))
        return false;
    *out = v;
    *p = s;
    return true;
}

bool gnv__ckpt_parse_name(const char *name, gnv__ckpt_name *out)
{
    const char *p = name;
    uint64_t field, frag, start, end;
    if (*p++ != 'f' || !parse_num(&p, &field) || field > INT32_MAX || *p++ != '-' ||
        !parse_num(&p, &frag) || *p++ != '-')
        return false;
    for (int i = 0; i < GNV__CKPT_KEY_SIZE - 1; i++) {
        char c = p[i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
            return false;
        out->key[i] = c;
    }
    out->key[GNV__CKPT_KEY_SIZE - 1] = '\0';
    p += GNV__CKPT_KEY_SIZE - 1;
    if (*p++ != '-' || !parse_num(&p, &start) || *p++ != '-' || !parse_num(&p, &end) ||
        strcmp(p, ".arrow") != 0 || start >= end)
        return false;
    out->field_id = (int32_t)field;
    out->frag_id = frag;
    out->start = (int64_t)start;
    out->end = (int64_t)end;
    return true;
}

int gnv__ckpt_list(gnv_io *io,
                   const gnv_table *t,
                   int (*fn)(const char *name, int is_dir, void *payload),
                   void *payload)
{
    gnv_buf dir = GNV_BUF_INIT;
    int rc = gnv__buf_printf(&dir, "%s/%s", t->dir, GNV__CKPT_DIR);
    if (rc == GNV_OK)
        rc = io->vt->list(io, dir.ptr, fn, payload);
    if (rc == GNV_ENOTFOUND) {
        gnv_error_clear();
        rc = GNV_OK;
    }
    gnv_buf_dispose(&dir);
    return rc;
}

/* The checkpoint's schema: struct<_rowoff: uint32 not null, value: <value>>. */
static int ckpt_schema(struct ArrowSchema *out, const struct ArrowSchema *value)
{
    int rc = GNV_OK;
    GNV_TRYG(gnv__schema_init(out, "+s", "", 0));
    GNV_TRYG(gnv__schema_alloc_children(out, 2));
    gnv__schema_release(out->children[0]);
    GNV_TRYG(gnv__schema_init(out->children[0], "I", "_rowoff", 0));
    gnv__schema_release(out->children[1]);
    GNV_TRYG(gnv__schema_copy(out->children[1], value));
    GNV_TRYG(gnv__schema_set_name(out->children[1], "value"));
    GNV_TRYG(gnv__schema_set_metadata(out->children[1], NULL));
    out->children[1]->flags |= ARROW_FLAG_NULLABLE;
done:
    return rc;
}

static void borrowed_release(struct ArrowArray *a)
{
    a->release = NULL;
}

int gnv__ckpt_write(gnv_io *io,
                    const char *path,
                    const struct ArrowSchema *value,
                    const uint32_t *rows,
                    const struct ArrowArray *values,
                    int64_t n)
{
    int rc = GNV_OK;
    struct ArrowSchema schema = {0};
    struct ArrowArray cols[2] = {{0}}, batch = {0};
    gnv_buf out = GNV_BUF_INIT;
    gnv_ipc_writer *w = NULL;
    /* the offsets as they are (borrowed, not copied) */
    const void *row_buffers[2] = {NULL, rows};
    cols[0].length = n;
    cols[0].n_buffers = 2;
    cols[0].buffers = row_buffers;
    cols[0].release = borrowed_release;
    GNV_TRYG(ckpt_schema(&schema, value));
    if (values->offset == 0) { /* the values as they are, else a copy from offset 0 */
        cols[1] = *values;
        cols[1].release = borrowed_release;
    } else {
        const struct ArrowArray *src[1] = {values};
        GNV_TRYG(gnv__array_concat(&cols[1], schema.children[1], src, 1));
    }
    GNV_TRYG(gnv__struct_of(&batch, cols, 2, n));
    gnv_ipc_write_options wo = GNV_IPC_WRITE_OPTIONS_INIT;
    GNV_TRYG(gnv__ipc_writer_new(&w, gnv__ipc_sink_buf(&out), &schema, &wo));
    GNV_TRYG(gnv__ipc_writer_write(w, &batch));
    GNV_TRYG(gnv__ipc_writer_finish(w));
    rc = gnv__io_write_all(io, path, out.ptr, out.size, GNV_IO_NOREPLACE);
    if (rc == GNV_EEXISTS) { /* written before (or concurrently): same content */
        gnv_error_clear();
        rc = GNV_OK;
    }
done:
    gnv__ipc_writer_free(w);
    gnv__array_release(&cols[0]);
    gnv__array_release(&cols[1]);
    gnv__array_release(&batch);
    gnv__schema_release(&schema);
    gnv_buf_dispose(&out);
    return rc;
}

static bool same_format(const struct ArrowSchema *a, const struct ArrowSchema *b)
{
    if (strcmp(a->format, b->format) != 0 || a->n_children != b->n_children)
        return false;
    for (int64_t i = 0; i < a->n_children; i++)
        if (!same_format(a->children[i], b->children[i]))
            return false;
    return true;
}

/* Check the checkpoint in stream st (see gnv__ckpt_decode); st is released. */
static int decode_stream(bool *ok,
                         struct ArrowArray *values_out,
                         struct ArrowArrayStream *st,
                         int rc,
                         const struct ArrowSchema *value,
                         const uint32_t *rows,
                         int64_t n)
{
    struct ArrowSchema schema = {0};
    struct ArrowArray batch = {0};
    gnv_array_view v = {0};
    bool has_view = false;
    *ok = false;
    /* a damaged or mismatching file is recomputed, not an error; only running out of
     * memory is */
    if (rc != GNV_OK)
        goto check;
    if ((rc = gnv__stream_get_schema(st, &schema)) != GNV_OK || schema.n_children != 2 ||
        strcmp(schema.children[0]->format, "I") != 0 || !same_format(schema.children[1], value))
        goto check;
    if ((rc = gnv__stream_next(st, &batch)) != GNV_OK || batch.length != n || batch.n_children != 2)
        goto check;
    if ((rc = gnv__array_validate(&schema, &batch, true)) != GNV_OK)
        goto check;
    if ((rc = gnv__array_view_init(&v, &schema, &batch)) != GNV_OK)
        goto check;
    has_view = true;
    const gnv_array_view *offs = &v.children[0];
    if (offs->validity && batch.children[0]->null_count != 0)
        goto check;
    if (n > 0 &&
        memcmp((const uint32_t *)offs->data + offs->offset, rows, (size_t)n * sizeof *rows) != 0)
        goto check;
    if (values_out) /* shares the file's buffers */
        if ((rc = gnv__array_slice(values_out, batch.children[1], 0, n)) != GNV_OK)
            goto check;
    *ok = true;
check:
    if (rc == GNV_ENOMEM)
        goto done;
    gnv_error_clear();
    rc = GNV_OK;
done:
    if (has_view)
        gnv__array_view_reset(&v);
    gnv__array_release(&batch);
    gnv__schema_release(&schema);
    if (st->release)
        gnv__stream_release(st);
    return rc;
}

int gnv__ckpt_decode(bool *ok,
                     struct ArrowArray *values_out,
                     const void *data,
                     size_t size,
                     const char *name,
                     const struct ArrowSchema *value,
                     const uint32_t *rows,
                     int64_t n)
{
    struct ArrowArrayStream st = {0};
    int rc = gnv__ipc_open_memory(&st, data, size, name);
    return decode_stream(ok, values_out, &st, rc, value, rows, n);
}

int gnv__ckpt_read(bool *found,
                   struct ArrowArray *values_out,
                   gnv_io *io,
                   const char *path,
                   const struct ArrowSchema *value,
                   const uint32_t *rows,
                   int64_t n)
{
    gnv_io_reader *r;
    uint64_t size;
    gnv_block *b = NULL;
    struct ArrowArrayStream st = {0};
    *found = false;
    int rc = gnv__io_open_read(io, path, &r, &size);
    if (rc == GNV_ENOTFOUND) {
        gnv_error_clear();
        return GNV_OK;
    }
    if (rc < 0)
        return rc;
    /* read into a block the values can share: no copy of the file's bytes */
    rc = gnv__block_new(&b, (size_t)size);
    if (rc == GNV_OK)
        rc = gnv__io_read_at(io, r, gnv__block_data(b), (size_t)size, 0);
    gnv__io_close_read(io, r);
    if (rc < 0) {
        gnv__block_unref(b);
        return rc;
    }
    rc = decode_stream(found, values_out, &st, gnv__ipc_open_block(&st, b, path), value, rows, n);
    gnv__block_unref(b);
    if (rc == GNV_OK && !*found) { /* damaged or stale: recomputed */
        (void)io->vt->remove(io, path);
        gnv_error_clear();
    }
    return rc;
}

typedef struct leftovers {
    gnv_io *io;
    const char *dir;
    char prefix[64];
    const gnv_strset *keep;
    int64_t removed;
} leftovers;

static int remove_prefixed(const char *name, int is_dir, void *payload)
{
    leftovers *l = payload;
    if (is_dir || strncmp(name, l->prefix, strlen(l->prefix)) != 0 ||
        (l->keep && gnv__strset_has(l->keep, name, strlen(name))))
        return 0;
    gnv_buf p = GNV_BUF_INIT;
    if (gnv__buf_printf(&p, "%s/%s", l->dir, name) == GNV_OK &&
        l->io->vt->remove(l->io, p.ptr) == GNV_OK)
        l->removed++;
    gnv_buf_dispose(&p);
    gnv_error_clear();
    return 0;
}

int gnv__ckpt_remove_fragment(
    gnv_io *io, const gnv_table *t, int32_t field_id, uint64_t frag_id, const gnv_strset *keep)
{
    int rc = GNV_OK;
    gnv_buf dir = GNV_BUF_INIT;
    leftovers l = {io, NULL, "", keep, 0};
    GNV_TRYG(gnv__buf_printf(&dir, "%s/%s", t->dir, GNV__CKPT_DIR));
    l.dir = dir.ptr;
    snprintf(l.prefix, sizeof l.prefix, "f%d-%" PRIu64 "-", (int)field_id, frag_id);
    rc = io->vt->list(io, dir.ptr, remove_prefixed, &l);
    if (rc == GNV_ENOTFOUND) {
        gnv_error_clear();
        rc = GNV_OK;
    }
done:
    gnv_buf_dispose(&dir);
    return rc;
}
