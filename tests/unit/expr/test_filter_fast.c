/*
 * The one-pass filter for `column op constant` and `column % constant op constant`
 * (gnv__expr_filter's fast path) gives the rows the generic evaluation selects
 * (gnv__expr_eval, then the rows that are true): over NULLs, negative values and
 * divisors, the int64 limits, narrow integers cast to int64, unsigned and float
 * columns (NaN, -0.0), NULL constants, struct fields under NULL parents, batches with
 * an offset, and `a AND b` with either side on the fast path; the cases it leaves alone
 * keep their errors.
 */
#include <math.h>

#include "gnv_test.h"

#include "arrow/arrow.h"
#include "expr/expr.h"

#define N 3000

static const int64_t edge[] = {0,
                               1,
                               -1,
                               49,
                               50,
                               -50,
                               99,
                               100,
                               -100,
                               INT64_MAX,
                               INT64_MIN,
                               INT64_MIN + 1,
                               INT64_MAX - 1,
                               ((int64_t)1 << 52) - 1,
                               (int64_t)1 << 52,
                               -((int64_t)1 << 52),
                               ((int64_t)1 << 53) + 1,
                               INT32_MAX,
                               INT32_MIN,
                               4294967311};

static const double fedge[] = {0.0, -0.0, 0.5, -0.5, 0.9, 1.0, INFINITY, -INFINITY, NAN, -NAN};

/*
 * Columns x int64, n int32, u uint64, f float64 (all nullable, every 7th, 11th, 13th or
 * 5th row NULL) and s struct<v int64> (every 9th struct NULL, every 4th v NULL).
 */
static void make_batch(struct ArrowSchema *s, struct ArrowArray *a)
{
    GNV_ASSERT_OK(gnv__schema_init(s, "+s", "", 0));
    GNV_ASSERT_OK(gnv__schema_alloc_children(s, 5));
    GNV_ASSERT_OK(gnv__schema_init(s->children[0], "l", "x", ARROW_FLAG_NULLABLE));
    GNV_ASSERT_OK(gnv__schema_init(s->children[1], "i", "n", ARROW_FLAG_NULLABLE));
    GNV_ASSERT_OK(gnv__schema_init(s->children[2], "L", "u", ARROW_FLAG_NULLABLE));
    GNV_ASSERT_OK(gnv__schema_init(s->children[3], "g", "f", ARROW_FLAG_NULLABLE));
    GNV_ASSERT_OK(gnv__schema_init(s->children[4], "+s", "s", ARROW_FLAG_NULLABLE));
    GNV_ASSERT_OK(gnv__schema_alloc_children(s->children[4], 1));
    GNV_ASSERT_OK(gnv__schema_init(s->children[4]->children[0], "l", "v", ARROW_FLAG_NULLABLE));
    GNV_ASSERT_OK(gnv__array_init(a, s));
    uint64_t seed = gnv_test_seed();
    for (int64_t i = 0; i < N; i++) {
        uint64_t r = gnv_test_rand(&seed);
        int64_t v = i < (int64_t)GNV_ARRAY_SIZE(edge) ? edge[i]
                    : i % 3 == 0                      ? (int64_t)(r % 2001) - 1000
                    : i % 3 == 1                      ? (int64_t)r
                                                      : (int64_t)(r >> (r % 64)) * (r & 1 ? 1 : -1);
        double f = i < (int64_t)GNV_ARRAY_SIZE(fedge) ? fedge[i] : (double)(r % 1000) / 1000.0;
        struct ArrowArray *c = a->children[0];
        GNV_ASSERT_OK(i % 7 == 3 ? gnv__array_append_null(c, 1) : gnv__array_append_int(c, v));
        c = a->children[1];
        GNV_ASSERT_OK(i % 11 == 5 ? gnv__array_append_null(c, 1)
                                  : gnv__array_append_int(c, (int32_t)(uint32_t)v));
        c = a->children[2];
        GNV_ASSERT_OK(i % 13 == 6 ? gnv__array_append_null(c, 1)
                                  : gnv__array_append_uint(c, (uint64_t)v));
        c = a->children[3];
        GNV_ASSERT_OK(i % 5 == 4 ? gnv__array_append_null(c, 1) : gnv__array_append_double(c, f));
        c = a->children[4];
        if (i % 9 == 8) {
            GNV_ASSERT_OK(gnv__array_append_null(c, 1));
        } else {
            GNV_ASSERT_OK(i % 4 == 1 ? gnv__array_append_null(c->children[0], 1)
                                     : gnv__array_append_int(c->children[0], v));
            GNV_ASSERT_OK(gnv__array_finish_element(c));
        }
        GNV_ASSERT_OK(gnv__array_finish_element(a));
    }
    GNV_ASSERT_OK(gnv__array_finish(a));
}

/* The rows the generic evaluation selects: true and not NULL. */
static int64_t generic_rows(const gnv_expr *e,
                            const struct ArrowSchema *s,
                            const struct ArrowArray *a,
                            int64_t *rows)
{
    struct ArrowArray out;
    GNV_ASSERT_OK(gnv__expr_eval(&out, e, s, a));
    assert_int_equal(out.length, a->length);
    const uint8_t *valid = out.null_count != 0 ? out.buffers[0] : NULL;
    const uint8_t *bits = out.buffers[1];
    int64_t n = 0;
    for (int64_t i = 0; i < out.length; i++) {
        int64_t j = out.offset + i;
        if ((!valid || (valid[j >> 3] >> (j & 7) & 1)) && (bits[j >> 3] >> (j & 7) & 1))
            rows[n++] = i;
    }
    gnv__array_release(&out);
    return n;
}

static void check(const struct ArrowSchema *s, const struct ArrowArray *a, const char *text)
{
    static int64_t want[N];
    gnv_expr *e = NULL;
    gnv_buf sel = GNV_BUF_INIT;
    int64_t n = -1;
    GNV_ASSERT_OK(gnv__expr_parse(&e, text));
    GNV_ASSERT_OK(gnv__expr_bind(e, s));
    int64_t m = generic_rows(e, s, a, want);
    GNV_ASSERT_OK(gnv__expr_filter(&sel, &n, e, s, a));
    if (n != m)
        fail_msg("%s: %lld rows, the generic evaluation selects %lld", text, (long long)n,
                 (long long)m);
    const int64_t *got = (const int64_t *)(const void *)sel.ptr;
    for (int64_t i = 0; i < n; i++)
        if (got[i] != want[i])
            fail_msg("%s: selected row %lld is %lld, the generic evaluation's %lld", text,
                     (long long)i, (long long)got[i], (long long)want[i]);
    gnv_buf_dispose(&sel);
    gnv__expr_free(e);
}

static const char *const exprs[] = {
    "x % 100 = 50",
    "50 = x % 100",
    "x % 100 = -50",
    "x % 100 <> 50",
    "x % -100 = 50",
    "x % -100 = -50",
    "x % 7 < 3",
    "3 < x % 7",
    "x % 7 <= -3",
    "x % 7 >= 0",
    "x % 2 > 0",
    "x % 1000003 = 17",
    "x % 4294967311 > 12",
    "x % 9223372036854775807 = 0",
    "x % 9223372036854775807 = -1",
    "x % 4503599627370497 < 5",
    "x % (50 + 50) = 25 * 2",
    "x % CAST(100 AS BIGINT) = 50",
    "x % 100 = 3000000000",
    "x % 100 = NULL",
    "NULL = x % 100",
    "x % 1 = 0",
    "x % -1 = 0",
    "x = 50",
    "x <> -1",
    "x < 0",
    "x >= 9223372036854775807",
    "x <= -9223372036854775808",
    "-100 > x",
    "x = NULL",
    "n % 10 = 3",
    "n % -10 = -3",
    "n % 65536 < 100",
    "n = 50",
    "n > -1000",
    "u = 50",
    "u > 9223372036854775807",
    "u % 10 = 3",
    "f > 0.9",
    "f = 0.0",
    "f = -0.0",
    "f < 0.0",
    "f >= -0.0",
    "f <> 0.5",
    "f > 1e308",
    "f = CAST('NaN' AS DOUBLE)",
    "f < CAST('NaN' AS DOUBLE)",
    "s.v % 100 = 50",
    "s.v > 0",
    /* AND with one side (or both) on the fast path */
    "x % 100 = 50 AND f > 0.5",
    "f > 0.9 AND n % 10 = 3",
    "n = 3 AND x % 2 = 0",
    "x > 0 AND s.v % 7 = 1",
    "x % 3 = 1 AND (f > 0.5 OR n < 0)",
    "(f > 0.5 OR n < 0) AND x % 3 = 1",
    "x % 3 = 1 AND NULL",
    "NULL AND x % 3 = 1",
    "x % 3 = 1 AND true",
    "x % 3 = 1 AND false",
    "x % 3 = 1 AND u IS NULL",
    /* NULL rows hold 0 underneath: true there, but NULL */
    "x % 3 = 1 AND f < 0.5",
    "x % 3 = 1 AND (n < 1 OR u = 0)",
    "f >= 0.0 AND x % 3 = 0",
};

static void test_filter_fast_matches_generic(void **state)
{
    (void)state;
    struct ArrowSchema s;
    struct ArrowArray a;
    make_batch(&s, &a);
    for (size_t i = 0; i < GNV_ARRAY_SIZE(exprs); i++)
        check(&s, &a, exprs[i]);
    /* the batch from row 37 on (an offset not a multiple of 8), and a short one */
    struct ArrowArray view = a;
    view.release = NULL;
    view.offset = 37;
    view.length = N - 37 - 5;
    for (size_t i = 0; i < GNV_ARRAY_SIZE(exprs); i++)
        check(&s, &view, exprs[i]);
    view.offset = 3;
    view.length = 61;
    for (size_t i = 0; i < GNV_ARRAY_SIZE(exprs); i++)
        check(&s, &view, exprs[i]);
    gnv__array_release(&a);
    gnv__schema_release(&s);
}

/* Constants that do not evaluate, and a remainder by zero, fail as before. */
static void test_filter_fast_errors(void **state)
{
    (void)state;
    struct ArrowSchema s;
    struct ArrowArray a;
    make_batch(&s, &a);
    static const char *const bad[] = {"x % 0 = 1", "x % (1 - 1) = 0", "x % 100 = 1 / 0",
                                      "x % 2 = 1 AND x % 0 = 1", "x % 0 = 1 AND x % 2 = 1"};
    for (size_t i = 0; i < GNV_ARRAY_SIZE(bad); i++) {
        gnv_expr *e = NULL;
        gnv_buf sel = GNV_BUF_INIT;
        int64_t n = -1;
        GNV_ASSERT_OK(gnv__expr_parse(&e, bad[i]));
        GNV_ASSERT_OK(gnv__expr_bind(e, &s));
        GNV_ASSERT_ERR(gnv__expr_filter(&sel, &n, e, &s, &a), GNV_EINVAL, "division by zero");
        gnv_buf_dispose(&sel);
        gnv__expr_free(e);
    }
    gnv__array_release(&a);
    gnv__schema_release(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_filter_fast_matches_generic),
        cmocka_unit_test(test_filter_fast_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
