/*
 * Arithmetic: unary minus and + - * / % over numeric types, as DataFusion computes them:
 * integer + - * and unary minus wrap around in the result type (DataFusion uses arrow's
 * wrapping kernels for them); integer division and remainder by zero are errors naming
 * the row, and so is the type's minimum divided by -1 (its remainder is 0); floats follow
 * IEEE (x/0 is inf or NaN, % is fmod). Values are processed in chunks loaded into
 * int64/uint64/double. Rows under a NULL never raise errors (their values are arbitrary).
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "expr/expr_kernel.h"

/* Range of an integer type's values in int64 (uint64 is handled apart). */
void gnv__krange(gnv_type_id id, int64_t *lo, int64_t *hi)
{
    switch (id) {
    case GNV_TYPE_INT8:
        *lo = INT8_MIN, *hi = INT8_MAX;
        break;
    case GNV_TYPE_UINT8:
        *lo = 0, *hi = UINT8_MAX;
        break;
    case GNV_TYPE_INT16:
        *lo = INT16_MIN, *hi = INT16_MAX;
        break;
    case GNV_TYPE_UINT16:
        *lo = 0, *hi = UINT16_MAX;
        break;
    case GNV_TYPE_INT32:
    case GNV_TYPE_DATE32:
        *lo = INT32_MIN, *hi = INT32_MAX;
        break;
    case GNV_TYPE_UINT32:
        *lo = 0, *hi = UINT32_MAX;
        break;
    case GNV_TYPE_BOOL:
        *lo = 0, *hi = 1;
        break;
    case GNV_TYPE_UINT64:
        *lo = 0, *hi = INT64_MAX;
        break;
    default:
        *lo = INT64_MIN, *hi = INT64_MAX;
        break;
    }
}

/* An int64 column whose values the kernel can read where they are. */
static bool direct_i64(const kin *k)
{
    return !k->scalar && !k->all_null && k->data &&
           (k->type.id == GNV_TYPE_INT64 || k->type.id == GNV_TYPE_TIMESTAMP);
}

/* A float64 column whose values the kernel can read where they are. */
static bool direct_f64(const kin *k)
{
    return !k->scalar && !k->all_null && k->data && k->type.id == GNV_TYPE_DOUBLE;
}

/* Division and remainder, checked as arrow-rs does: 0 fine, 1 overflow (the type's minimum
 * divided by -1; lo is the result type's minimum; the remainder is then 0), 2 division by
 * zero. */
static int i64_div(gnv_expr_op op, int64_t x, int64_t y, int64_t lo, int64_t *r)
{
    *r = 0;
    if (y == 0)
        return 2;
    if (y == -1 && x == lo && lo < 0 && op == GNV_EX_DIV)
        return 1;
    if (y == -1) {
        *r = op == GNV_EX_DIV ? -x : 0;
        return 0;
    }
    *r = op == GNV_EX_DIV ? x / y : x % y;
    return 0;
}

/*
 * x[0..m) / y or x[0..m) % y (truncating, as C and arrow-rs) for a constant y >= 2: a
 * multiply by 1/y instead of a division for |x| < 2^52 (where the product is off by at
 * most one, corrected from the remainder), plain division above.
 */
void gnv__ki64_div_const(gnv_expr_op op, const int64_t *x, int64_t y, int64_t m, int64_t *r)
{
    const double inv = 1.0 / (double)y;
    const int64_t big = (int64_t)1 << 52;
    bool div = op == GNV_EX_DIV;
    for (int64_t j = 0; j < m; j++) {
        int64_t v = x[j], q, rem;
        if (v > -big && v < big) {
            q = (int64_t)((double)v * inv);
            rem = v - q * y;
            if (v >= 0) {
                if (rem < 0) {
                    q--;
                    rem += y;
                } else if (rem >= y) {
                    q++;
                    rem -= y;
                }
            } else {
                if (rem > 0) {
                    q++;
                    rem -= y;
                } else if (rem <= -y) {
                    q--;
                    rem += y;
                }
            }
        } else {
            q = v / y;
            rem = v % y;
        }
        r[j] = div ? q : rem;
    }
}

static int u64_div(gnv_expr_op op, uint64_t x, uint64_t y, uint64_t *r)
{
    *r = 0;
    if (y == 0)
        return 2;
    *r = op == GNV_EX_DIV ? x / y : x % y;
    return 0;
}

static double f64_op(gnv_expr_op op, double x, double y)
{
    switch (op) {
    case GNV_EX_ADD:
        return x + y;
    case GNV_EX_SUB:
        return x - y;
    case GNV_EX_MUL:
        return x * y;
    case GNV_EX_DIV:
        return x / y;
    case GNV_EX_MOD:
        return fmod(x, y);
    default:
        return -x;
    }
}

static bool out_valid(const kout *o, int64_t i)
{
    return !o->validity || kbit(o->validity, i);
}

static int arith_error(const gnv_expr_node *node,
                       int kind,
                       int64_t row,
                       const char *x,
                       const char *y,
                       const char *type)
{
    const char *sym = gnv__expr_op_name(node->op);
    if (kind == 2)
        return gnv__error_set(GNV_EINVAL, GNV_SUB_EXPR, "division by zero in '%s' at row %lld", sym,
                              (long long)row);
    if (node->op == GNV_EX_NEG)
        return gnv__error_set(GNV_EINVAL, GNV_SUB_EXPR,
                              "integer overflow in unary '-' at row %lld: -(%s) does not fit %s",
                              (long long)row, x, type);
    return gnv__error_set(GNV_EINVAL, GNV_SUB_EXPR,
                          "integer overflow in '%s' at row %lld: %s %s %s does not fit %s", sym,
                          (long long)row, x, sym, y, type);
}

int gnv__kernel_arith(struct ArrowArray *out,
                      const gnv_expr_node *node,
                      const gnv_datum *args,
                      int64_t n)
{
    int rc = GNV_OK;
    bool unary = node->op == GNV_EX_NEG;
    int want = unary ? 1 : 2;
    kin ka, kb;
    kout o = {0};
    void *buf = NULL;
    if (node->n_args != want)
        return gnv__error_set(GNV_EINVAL, GNV_SUB_EXPR, "'%s' takes %d operands",
                              gnv__expr_op_name(node->op), want);
    bool ext;
    rc = gnv__kernel_arith_ext(out, node, args, n, &ext); /* decimal and duration results */
    if (ext || rc < 0)
        return rc;
    GNV_TRY(gnv__kin_init(&ka, &args[0]));
    kb = ka;
    if (!unary)
        GNV_TRY(gnv__kin_init(&kb, &args[1]));
    gnv_type rt;
    GNV_TRY(gnv__type_parse(&rt, node->type.format));
    kdom dom = gnv__kdom(ka.type.id);
    if (ka.type.id == GNV_TYPE_NA && !unary)
        dom = gnv__kdom(kb.type.id);
    if (ka.type.id == GNV_TYPE_NA && unary)
        dom = gnv__kdom(rt.id);
    if (dom == KD_NONE || rt.id == GNV_TYPE_BOOL || gnv__kdom(rt.id) == KD_NONE ||
        ka.type.id == GNV_TYPE_DATE32 || ka.type.id == GNV_TYPE_TIMESTAMP ||
        ka.type.id == GNV_TYPE_BOOL)
        return gnv__error_set(GNV_EINVAL, GNV_SUB_EXPR, "'%s' is not supported for %s",
                              gnv__expr_op_name(node->op), gnv__ktype_name(args[0].schema));
    if (gnv__kdom(rt.id) == KD_F64)
        dom = KD_F64;
    const kin *ins[2] = {&ka, &kb};
    GNV_TRY(gnv__kout_init(&o, out, &node->type, n, gnv__kany_null(ins, want)));
    gnv__kvalidity_and(&o, ins, want);
    if (ka.all_null || kb.all_null)
        return gnv__kout_finish(&o);
    int64_t lo, hi;
    gnv__krange(rt.id, &lo, &hi);
    buf = gnv__malloc(3 * KCHUNK * 8);
    GNV_CHECK_ALLOC(buf);
    for (int64_t s = 0; s < n; s += KCHUNK) {
        int64_t m = GNV_MIN(KCHUNK, n - s);
        if (dom == KD_I64) {
            int64_t *x = buf, *y = x + KCHUNK, *r = y + KCHUNK;
            int bad = 0;
            if (unary)
                memset(y, 0, (size_t)m * sizeof *y);
            if (direct_i64(&ka))
                x = (int64_t *)(void *)(ka.data) + ka.off + s; /* read in place */
            else
                gnv__kload_i64(&ka, s, m, x);
            if (!unary)
                gnv__kload_i64(&kb, s, m, y);
            if (o.type.id == GNV_TYPE_INT64 || o.type.id == GNV_TYPE_TIMESTAMP)
                r = (int64_t *)(void *)o.values + s; /* results in place */
            /* + - * and unary minus wrap around, as DataFusion's kernels do; narrow
             * types wrap when stored */
            switch (node->op) {
            case GNV_EX_ADD:
                for (int64_t j = 0; j < m; j++)
                    r[j] = (int64_t)((uint64_t)x[j] + (uint64_t)y[j]);
                break;
            case GNV_EX_SUB:
                for (int64_t j = 0; j < m; j++)
                    r[j] = (int64_t)((uint64_t)x[j] - (uint64_t)y[j]);
                break;
            case GNV_EX_MUL:
                for (int64_t j = 0; j < m; j++)
                    r[j] = (int64_t)((uint64_t)x[j] * (uint64_t)y[j]);
                break;
            case GNV_EX_NEG:
                for (int64_t j = 0; j < m; j++)
                    r[j] = (int64_t)(0 - (uint64_t)x[j]);
                break;
            default:
                if (kb.scalar && y[0] >= 2) { /* "id % 100": no error possible */
                    gnv__ki64_div_const(node->op, x, y[0], m, r);
                    break;
                }
                for (int64_t j = 0; j < m; j++)
                    bad |= i64_div(node->op, x[j], y[j], lo, &r[j]);
                break;
            }
            if (bad) {
                for (int64_t j = 0; j < m; j++) {
                    int k = i64_div(node->op, x[j], y[j], lo, &r[j]);
                    if (k && out_valid(&o, s + j)) {
                        char xs[32], ys[32];
                        snprintf(xs, sizeof xs, "%lld", (long long)x[j]);
                        snprintf(ys, sizeof ys, "%lld", (long long)y[j]);
                        rc = arith_error(node, k, s + j, xs, ys, gnv__type_id_name(rt.id));
                        goto done;
                    }
                }
            }
            if (r != (int64_t *)(void *)o.values + s)
                gnv__kstore_i64(&o, s, m, r);
        } else if (dom == KD_U64) {
            uint64_t *x = buf, *y = x + KCHUNK, *r = y + KCHUNK;
            int bad = 0;
            if (unary)
                memset(y, 0, (size_t)m * sizeof *y);
            gnv__kload_u64(&ka, s, m, x);
            if (!unary)
                gnv__kload_u64(&kb, s, m, y);
            switch (node->op) {
            case GNV_EX_ADD:
                for (int64_t j = 0; j < m; j++)
                    r[j] = x[j] + y[j];
                break;
            case GNV_EX_SUB:
                for (int64_t j = 0; j < m; j++)
                    r[j] = x[j] - y[j];
                break;
            case GNV_EX_MUL:
                for (int64_t j = 0; j < m; j++)
                    r[j] = x[j] * y[j];
                break;
            case GNV_EX_NEG:
                for (int64_t j = 0; j < m; j++)
                    r[j] = 0 - x[j];
                break;
            default:
                for (int64_t j = 0; j < m; j++)
                    bad |= u64_div(node->op, x[j], y[j], &r[j]);
                break;
            }
            if (bad) {
                for (int64_t j = 0; j < m; j++) {
                    int k = u64_div(node->op, x[j], y[j], &r[j]);
                    if (k && out_valid(&o, s + j)) {
                        char xs[32], ys[32];
                        snprintf(xs, sizeof xs, "%llu", (unsigned long long)x[j]);
                        snprintf(ys, sizeof ys, "%llu", (unsigned long long)y[j]);
                        rc = arith_error(node, k, s + j, xs, ys, "uint64");
                        goto done;
                    }
                }
            }
            gnv__kstore_u64(&o, s, m, r);
        } else {
            double *x = buf, *y = x + KCHUNK, *r = y + KCHUNK;
            /* float64 columns are read, and float64 results written, in place */
            if (direct_f64(&ka))
                x = (double *)(void *)(ka.data) + ka.off + s;
            else
                gnv__kload_f64(&ka, s, m, x);
            if (!unary && direct_f64(&kb))
                y = (double *)(void *)(kb.data) + kb.off + s;
            else if (!unary && (!kb.scalar || s == 0)) /* a constant is loaded once */
                gnv__kload_f64(&kb, s, kb.scalar ? KCHUNK : m, y);
            if (o.type.id == GNV_TYPE_DOUBLE)
                r = (double *)(void *)o.values + s;
            switch (node->op) {
            case GNV_EX_ADD:
                for (int64_t j = 0; j < m; j++)
                    r[j] = x[j] + y[j];
                break;
            case GNV_EX_SUB:
                for (int64_t j = 0; j < m; j++)
                    r[j] = x[j] - y[j];
                break;
            case GNV_EX_MUL:
                for (int64_t j = 0; j < m; j++)
                    r[j] = x[j] * y[j];
                break;
            case GNV_EX_DIV:
                for (int64_t j = 0; j < m; j++)
                    r[j] = x[j] / y[j];
                break;
            default:
                for (int64_t j = 0; j < m; j++)
                    r[j] = f64_op(node->op, x[j], unary ? 0 : y[j]);
                break;
            }
            if (r != (double *)(void *)o.values + s)
                gnv__kstore_f64(&o, s, m, r);
        }
    }
    gnv__free(buf);
    return gnv__kout_finish(&o);
done:
    gnv__free(buf);
    gnv__kout_abort(&o);
    return rc;
}
