/*
 * Integer division and remainder by a constant (the "id % 100" of filters), which the
 * kernel computes with a multiply by the reciprocal: the results equal C's truncating
 * division for every value, small, negative, near 2^52 and at the int64 limits, and for
 * narrow types; a column divisor and a constant 1, 0 or negative one keep their checks.
 */
#include "gnv_test.h"

#include "arrow/arrow.h"
#include "expr/expr.h"

#define N 4096

static int64_t g_vals[N];

/* A batch of one int64 column x (or int32 when narrow) holding g_vals. */
static void make_batch(struct ArrowSchema *s, struct ArrowArray *a, bool narrow)
{
    GNV_ASSERT_OK(gnv__schema_init(s, "+s", "", 0));
    GNV_ASSERT_OK(gnv__schema_alloc_children(s, 2));
    GNV_ASSERT_OK(gnv__schema_init(s->children[0], narrow ? "i" : "l", "x", 0));
    GNV_ASSERT_OK(gnv__schema_init(s->children[1], "l", "y", 0));
    GNV_ASSERT_OK(gnv__array_init(a, s));
    for (int64_t i = 0; i < N; i++) {
        int64_t v = narrow ? (int64_t)(int32_t)g_vals[i] : g_vals[i];
        GNV_ASSERT_OK(gnv__array_append_int(a->children[0], v));
        GNV_ASSERT_OK(gnv__array_append_int(a->children[1], 7));
        GNV_ASSERT_OK(gnv__array_finish_element(a));
    }
    GNV_ASSERT_OK(gnv__array_finish(a));
}

static void fill_values(void)
{
    uint64_t seed = gnv_test_seed();
    int64_t k = 0;
    static const int64_t edge[] = {0,
                                   1,
                                   -1,
                                   99,
                                   100,
                                   101,
                                   -99,
                                   -100,
                                   -101,
                                   INT64_MAX,
                                   INT64_MIN,
                                   INT64_MIN + 1,
                                   ((int64_t)1 << 52) - 1,
                                   (int64_t)1 << 52,
                                   -((int64_t)1 << 52) + 1,
                                   -((int64_t)1 << 52),
                                   ((int64_t)1 << 53) + 1,
                                   INT32_MAX,
                                   INT32_MIN};
    for (size_t i = 0; i < GNV_ARRAY_SIZE(edge); i++)
        g_vals[k++] = edge[i];
    while (k < N) {
        uint64_t r = gnv_test_rand(&seed);
        switch (k % 4) {
        case 0:
            g_vals[k++] = (int64_t)(r % 2000000) - 1000000;
            break;
        case 1:
            g_vals[k++] = (int64_t)r;
            break;
        case 2: /* near 2^52 */
            g_vals[k++] = ((int64_t)1 << 52) - (int64_t)(r % 4096) + 2048;
            break;
        default:
            g_vals[k++] = (int64_t)(r >> (r % 64));
            break;
        }
    }
}

/* Evaluate "x <op> d" and compare with C's division of each value. */
static void check(const struct ArrowSchema *s, const struct ArrowArray *a, char op, int64_t d)
{
    char text[64];
    snprintf(text, sizeof text, "x %c %lld", op, (long long)d);
    gnv_expr *e = NULL;
    GNV_ASSERT_OK(gnv__expr_parse(&e, text));
    GNV_ASSERT_OK(gnv__expr_bind(e, s));
    struct ArrowArray out;
    struct ArrowSchema rs;
    gnv_array_view view;
    GNV_ASSERT_OK(gnv__expr_eval(&out, e, s, a));
    GNV_ASSERT_OK(gnv__expr_result_schema(&rs, e, "r"));
    GNV_ASSERT_OK(gnv__array_view_init(&view, &rs, &out));
    assert_int_equal(out.length, N);
    const struct ArrowArray *x = a->children[0];
    bool narrow = s->children[0]->format[0] == 'i';
    for (int64_t i = 0; i < N; i++) {
        int64_t v =
            narrow ? ((const int32_t *)x->buffers[1])[i] : ((const int64_t *)x->buffers[1])[i];
        int64_t want = op == '/' ? v / d : v % d;
        int64_t got = gnv__view_get_int(&view, i);
        if (got != want)
            fail_msg("%lld %c %lld: got %lld, want %lld", (long long)v, op, (long long)d,
                     (long long)got, (long long)want);
    }
    gnv__array_view_reset(&view);
    gnv__schema_release(&rs);
    gnv__array_release(&out);
    gnv__expr_free(e);
}

static void test_div_const(void **state)
{
    (void)state;
    fill_values();
    static const int64_t divisors[] = {
        2, 3, 7, 10, 100, 1000, 1000003, 4294967296, 4294967311, ((int64_t)1 << 52) + 5, INT64_MAX};
    for (int narrow = 0; narrow < 2; narrow++) {
        struct ArrowSchema s;
        struct ArrowArray a;
        make_batch(&s, &a, narrow);
        for (size_t i = 0; i < GNV_ARRAY_SIZE(divisors); i++) {
            if (narrow && divisors[i] > INT32_MAX) /* the literal takes x's type */
                continue;
            check(&s, &a, '%', divisors[i]);
            check(&s, &a, '/', divisors[i]);
        }
        gnv__array_release(&a);
        gnv__schema_release(&s);
    }
}

/* What the constant path leaves to the checked one: errors and the overflow case. */
static void test_div_checked(void **state)
{
    (void)state;
    fill_values();
    struct ArrowSchema s;
    struct ArrowArray a;
    make_batch(&s, &a, false);
    check(&s, &a, '%', 1);
    gnv_expr *e = NULL;
    struct ArrowArray out;
    GNV_ASSERT_OK(gnv__expr_parse(&e, "x % 0"));
    GNV_ASSERT_OK(gnv__expr_bind(e, &s));
    GNV_ASSERT_ERR(gnv__expr_eval(&out, e, &s, &a), GNV_EINVAL, "division by zero");
    gnv__expr_free(e);
    /* INT64_MIN / -1 overflows (row 10 holds INT64_MIN) */
    GNV_ASSERT_OK(gnv__expr_parse(&e, "x / -1"));
    GNV_ASSERT_OK(gnv__expr_bind(e, &s));
    GNV_ASSERT_ERR(gnv__expr_eval(&out, e, &s, &a), GNV_EINVAL, "overflow");
    gnv__expr_free(e);
    /* a column divisor: y is 7 in every row */
    GNV_ASSERT_OK(gnv__expr_parse(&e, "x % y"));
    GNV_ASSERT_OK(gnv__expr_bind(e, &s));
    GNV_ASSERT_OK(gnv__expr_eval(&out, e, &s, &a));
    for (int64_t i = 0; i < N; i++)
        assert_int_equal(((const int64_t *)out.buffers[1])[i], g_vals[i] % 7);
    gnv__array_release(&out);
    gnv__expr_free(e);
    gnv__array_release(&a);
    gnv__schema_release(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_div_const),
        cmocka_unit_test(test_div_checked),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
