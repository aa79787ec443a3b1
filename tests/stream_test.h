/* Helpers shared by the tests of stream readers (CSV, JSON Lines): drain a stream into
 * one concatenated array with a view, and check its columns. Include after gnv_test.h. */
#ifndef GNV_STREAM_TEST_H
#define GNV_STREAM_TEST_H

#include "arrow/arrow.h"

/* Everything a stream gave: its schema, all batches concatenated, a view of them. */
typedef struct result {
    struct ArrowSchema schema;
    struct ArrowArray all;
    int64_t batches;
    int64_t batch_len[64];
    gnv_array_view view;
    char type[256];
} result;

static inline void result_free(result *r)
{
    gnv__array_view_reset(&r->view);
    gnv__array_release(&r->all);
    gnv__schema_release(&r->schema);
}

/* Drain a stream into r; returns the first failure (stream released either way). */
static inline int drain(result *r, struct ArrowArrayStream *s)
{
    struct ArrowArray parts[64];
    const struct ArrowArray *ptrs[64];
    int rc;
    memset(r, 0, sizeof *r);
    rc = gnv__stream_get_schema(s, &r->schema);
    while (rc == GNV_OK) {
        struct ArrowArray a;
        rc = gnv__stream_next(s, &a);
        if (rc == GNV_ITEROVER) {
            rc = GNV_OK;
            break;
        }
        if (rc < 0)
            break;
        assert_int_equal(gnv__array_validate(&r->schema, &a, true), GNV_OK);
        if (r->batches < 64) {
            r->batch_len[r->batches] = a.length;
            parts[r->batches] = a;
            ptrs[r->batches] = &parts[r->batches];
        } else {
            gnv__array_release(&a);
        }
        r->batches++;
    }
    if (rc == GNV_OK) {
        int64_t n = r->batches < 64 ? r->batches : 64;
        assert_int_equal(gnv__array_concat(&r->all, &r->schema, ptrs, n), GNV_OK);
        assert_int_equal(gnv__array_view_init(&r->view, &r->schema, &r->all), GNV_OK);
    }
    for (int64_t i = 0; i < r->batches && i < 64; i++)
        gnv__array_release(&parts[i]);
    gnv__stream_release(s);
    if (rc < 0)
        result_free(r);
    return rc;
}

static inline const char *col_type(result *r, int i)
{
    gnv_buf b = GNV_BUF_INIT;
    assert_int_equal(gnv__type_to_string(&b, r->schema.children[i]), GNV_OK);
    snprintf(r->type, sizeof r->type, "%s", b.ptr);
    gnv_buf_dispose(&b);
    return r->type;
}

static inline const gnv_array_view *col(const result *r, int i)
{
    return &r->view.children[i];
}

static inline void assert_str(const gnv_array_view *v, int64_t i, const char *expect)
{
    int64_t n;
    assert_false(gnv__view_is_null(v, i));
    const uint8_t *p = gnv__view_get_bytes(v, i, &n);
    if ((size_t)n != strlen(expect) || memcmp(p, expect, (size_t)n) != 0)
        fail_msg("row %lld: '%.*s' != '%s'", (long long)i, (int)n, (const char *)p, expect);
}

#endif
