/*
 * Fuzz target: Arrow IPC reader. Feeds the bytes to gnv__ipc_open_memory as a file or
 * stream, consumes every batch and reads every value through a view, the way a caller
 * would after trusting the reader's validation. Every batch read is also written again
 * with the IPC writer (stream format; no compression, LZ4 or ZSTD by input size), and
 * that output must read back to the same number of rows: a round trip of whatever the
 * reader accepts. Any crash, leak or sanitizer report is a bug: bad input must only
 * ever produce an error code and a message.
 */
#include <stdint.h>
#include <stdlib.h>

#include "arrow/arrow.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint64_t sink;

/* Touch element i of v and, for nested types, everything under it. */
static void visit(const gnv_array_view *v, int64_t i, int depth)
{
    if (depth > 64 || gnv__view_is_null(v, i))
        return;
    if (v->dictionary) {
        visit(v->dictionary, gnv__view_dict_index(v, i), depth + 1);
        return;
    }
    int64_t len = 0, start = 0, end = 0;
    const uint8_t *p;
    switch (v->type.id) {
    case GNV_TYPE_NA:
        break;
    case GNV_TYPE_BOOL:
        sink += gnv__view_get_bool(v, i);
        break;
    case GNV_TYPE_UINT64:
        sink += gnv__view_get_uint(v, i);
        break;
    case GNV_TYPE_HALF_FLOAT:
    case GNV_TYPE_FLOAT:
    case GNV_TYPE_DOUBLE:
        sink += (uint64_t)(gnv__view_get_double(v, i) != 0.0);
        break;
    case GNV_TYPE_STRING:
    case GNV_TYPE_LARGE_STRING:
    case GNV_TYPE_BINARY:
    case GNV_TYPE_LARGE_BINARY:
    case GNV_TYPE_FIXED_SIZE_BINARY:
        p = gnv__view_get_bytes(v, i, &len);
        for (int64_t k = 0; k < len; k++)
            sink += p[k];
        break;
    case GNV_TYPE_LIST:
    case GNV_TYPE_LARGE_LIST:
    case GNV_TYPE_FIXED_SIZE_LIST:
        gnv__view_list_range(v, i, &start, &end);
        for (int64_t k = start; k < end; k++)
            visit(&v->children[0], k, depth + 1);
        break;
    case GNV_TYPE_STRUCT:
        for (int64_t c = 0; c < v->n_children; c++)
            visit(&v->children[c], gnv__view_struct_index(v, i), depth + 1);
        break;
    default: /* integers, date32, timestamp */
        sink += (uint64_t)gnv__view_get_int(v, i);
        break;
    }
}

/* A failure must leave a message behind (STYLE.md: never NULL right after a failure). */
static void check_error(int rc)
{
    if (rc < 0 && rc != GNV_ITEROVER && gnv_error_last() == NULL)
        abort();
}

/* Read back what the writer wrote; it must hold `rows` rows. */
static void check_round_trip(const gnv_buf *written, int64_t rows)
{
    struct ArrowArrayStream s = {0};
    struct ArrowArray a = {0};
    int64_t n = 0;
    int rc = gnv__ipc_open_memory(&s, written->ptr, written->size, "round trip");
    while (rc == GNV_OK && (rc = gnv__stream_next(&s, &a)) == GNV_OK) {
        n += a.length;
        gnv__array_release(&a);
    }
    if (rc != GNV_ITEROVER || n != rows)
        abort();
    gnv__stream_release(&s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ArrowArrayStream stream = {0};
    struct ArrowSchema schema = {0};
    struct ArrowArray batch = {0};
    gnv_buf text = GNV_BUF_INIT, written = GNV_BUF_INIT;
    gnv_ipc_writer *w = NULL;
    gnv_ipc_write_options wo = GNV_IPC_WRITE_OPTIONS_INIT;
    int64_t rows = 0;
    bool write_ok = true;
    wo.stream_format = 1;
    wo.compression = (int)(size % 3);
    int rc = gnv__ipc_open_memory(&stream, data, size, "fuzz");
    check_error(rc);
    if (rc < 0)
        return 0;
    rc = gnv__stream_get_schema(&stream, &schema);
    check_error(rc);
    if (rc < 0)
        goto done;
    /* The schema must be printable and valid. */
    if (gnv__schema_validate(&schema) < 0 || gnv__type_to_string(&text, &schema) < 0)
        abort();
    if (gnv__ipc_writer_new(&w, gnv__ipc_sink_buf(&written), &schema, &wo) < 0)
        abort();
    for (int nb = 0; nb < 10000; nb++) {
        rc = gnv__stream_next(&stream, &batch);
        check_error(rc);
        if (rc != GNV_OK)
            break;
        /* The reader validates what it hands out: it must pass the untrusted check. */
        if (gnv__array_validate(&schema, &batch, false) < 0)
            abort();
        gnv_array_view view;
        if (gnv__array_view_init(&view, &schema, &batch) == GNV_OK) {
            for (int64_t i = 0; i < view.length; i++)
                visit(&view, i, 0);
            gnv__array_view_reset(&view);
        } else {
            check_error(-1);
        }
        /* The writer may refuse (say, a batch too large), but then with a message. */
        if (write_ok && gnv__ipc_writer_write(w, &batch) < 0) {
            check_error(-1);
            write_ok = false;
        }
        rows += batch.length;
        gnv__array_release(&batch);
    }
    /* Only a stream read to its end is written back in full. */
    if (rc == GNV_ITEROVER && write_ok && gnv__ipc_writer_finish(w) == GNV_OK)
        check_round_trip(&written, rows);
done:
    gnv__ipc_writer_free(w);
    gnv_buf_dispose(&written);
    gnv_buf_dispose(&text);
    gnv__schema_release(&schema);
    gnv__stream_release(&stream);
    return 0;
}
