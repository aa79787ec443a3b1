/*
 * Float arithmetic over batches longer than the kernels' chunk (float64 columns are read
 * and written in place, a constant loaded once): every row of "f * 2", "2 * f", "f + g",
 * "f / 3", "f - 0.5", "-f", "f % 2", "h * 2" and "h + h" (float32 h, computed in
 * float64) equals C's, NULL rows stay NULL, and a batch with an offset gives its own rows.
 */
#include <math.h>

#include "gnv_test.h"

#include "arrow/arrow.h"
#include "expr/expr.h"

#define N 5000

/* f float64 (NULL every 7th row), g float64, h float32. */
static void make_batch(struct ArrowSchema *s, struct ArrowArray *a)
{
    GNV_ASSERT_OK(gnv__schema_init(s, "+s", "", 0));
    GNV_ASSERT_OK(gnv__schema_alloc_children(s, 3));
    GNV_ASSERT_OK(gnv__schema_init(s->children[0], "g", "f", ARROW_FLAG_NULLABLE));
    GNV_ASSERT_OK(gnv__schema_init(s->children[1], "g", "g", 0));
    GNV_ASSERT_OK(gnv__schema_init(s->children[2], "f", "h", 0));
    GNV_ASSERT_OK(gnv__array_init(a, s));
    for (int64_t i = 0; i < N; i++) {
        double f = (double)i * 0.37 - 900.0;
        GNV_ASSERT_OK(i % 7 == 3 ? gnv__array_append_null(a->children[0], 1)
                                 : gnv__array_append_double(a->children[0], f));
        GNV_ASSERT_OK(gnv__array_append_double(a->children[1], (double)(i % 13) - 6.5));
        GNV_ASSERT_OK(gnv__array_append_double(a->children[2], (double)(float)(f / 8)));
        GNV_ASSERT_OK(gnv__array_finish_element(a));
    }
    GNV_ASSERT_OK(gnv__array_finish(a));
}

static double want(int which, int64_t i)
{
    double f = (double)i * 0.37 - 900.0, g = (double)(i % 13) - 6.5;
    double h = (double)(float)(f / 8);
    switch (which) {
    case 0:
        return f * 2;
    case 1:
        return 2 * f;
    case 2:
        return f + g;
    case 3:
        return f / 3;
    case 4:
        return f - 0.5;
    case 5:
        return -f;
    case 6:
        return fmod(f, 2);
    case 7:
        return h * 2;
    default:
        return h + h;
    }
}

static const char *const exprs[] = {"f * 2", "2 * f", "f + g", "f / 3", "f - 0.5",
                                    "-f",    "f % 2", "h * 2", "h + h"};

static void check(const struct ArrowSchema *s, const struct ArrowArray *a, int which)
{
    gnv_expr *e = NULL;
    struct ArrowArray out;
    GNV_ASSERT_OK(gnv__expr_parse(&e, exprs[which]));
    GNV_ASSERT_OK(gnv__expr_bind(e, s));
    GNV_ASSERT_OK(gnv__expr_eval(&out, e, s, a));
    assert_int_equal(out.length, a->length);
    struct ArrowSchema rs;
    GNV_ASSERT_OK(gnv__expr_result_schema(&rs, e, "r"));
    bool f32 = strcmp(rs.format, "f") == 0;
    assert_true(f32 || strcmp(rs.format, "g") == 0);
    gnv__schema_release(&rs);
    for (int64_t i = 0; i < out.length; i++) {
        int64_t row = a->offset + i, j = out.offset + i;
        bool null =
            out.null_count != 0 && !(((const uint8_t *)out.buffers[0])[j >> 3] >> (j & 7) & 1);
        if (which < 7 && row % 7 == 3) { /* f is NULL */
            if (!null)
                fail_msg("%s: row %lld should be NULL", exprs[which], (long long)row);
            continue;
        }
        if (null)
            fail_msg("%s: row %lld is NULL", exprs[which], (long long)row);
        double got =
            f32 ? (double)((const float *)out.buffers[1])[j] : ((const double *)out.buffers[1])[j];
        double w = f32 ? (double)(float)want(which, row) : want(which, row);
        if (got != w)
            fail_msg("%s: row %lld is %.17g, want %.17g", exprs[which], (long long)row, got, w);
    }
    gnv__array_release(&out);
    gnv__expr_free(e);
}

static void test_arith_f64(void **state)
{
    (void)state;
    struct ArrowSchema s;
    struct ArrowArray a;
    make_batch(&s, &a);
    struct ArrowArray view = a;
    view.release = NULL;
    view.offset = 1029;
    view.length = N - 1029 - 3;
    for (int which = 0; which < (int)GNV_ARRAY_SIZE(exprs); which++) {
        check(&s, &a, which);
        check(&s, &view, which);
    }
    gnv__array_release(&a);
    gnv__schema_release(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_arith_f64),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
