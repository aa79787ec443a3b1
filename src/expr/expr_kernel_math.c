/*
 * Math functions: abs, round, floor, ceil, sqrt, ln, log, log10, log2, exp, signum, trunc,
 * sin, cos, tan, atan2, pow, isnan, iszero, pi, random. Floats follow IEEE and the
 * C library (sqrt of a negative is NaN, ln(0) is -inf); round is half away from zero,
 * with digits as DataFusion computes it: round(x * 10^d) / 10^d. Integer abs and pow are
 * checked: a result that does not fit the result type is an error.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "expr/expr_kernel.h"

static double fabs_nan(double v)
{
    return v != v ? fabs(v) : v;
}

static int ipow(int64_t b, int64_t e, int64_t *r)
{
    int64_t acc = 1;
    while (e > 0) {
        if (e & 1)
            if (__builtin_mul_overflow(acc, b, &acc))
                return 1;
        e >>= 1;
        if (e && __builtin_mul_overflow(b, b, &b))
            return 1;
    }
    *r = acc;
    return 0;
}

/* pi(), isnan(x), iszero(x). */
static int
math_special(struct ArrowArray *out, const gnv_expr_node *node, const gnv_datum *args, int64_t n)
{
    kout o;
    if (node->func == GNV_FN_RANDOM) {
        /* uniform in [0, 1), from a per-thread xorshift seeded by the clock */
        static _Thread_local uint64_t state;
        if (!state)
            state = (uint64_t)time(NULL) * 0x9E3779B97F4A7C15ULL | 1;
        GNV_TRY(gnv__kout_init(&o, out, &node->type, n, false));
        if (o.type.id != GNV_TYPE_DOUBLE) {
            gnv__kout_abort(&o);
            return gnv__error_set(GNV_EINVAL, GNV_SUB_EXPR, "random() returns float64");
        }
        for (int64_t i = 0; i < n; i++) {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            double v = (double)(state >> 11) * (1.0 / 9007199254740992.0);
            memcpy(o.values + i * 8, &v, 8);
        }
        return gnv__kout_finish(&o);
    }
    if (node->func == GNV_FN_PI) {
        GNV_TRY(gnv__kout_init(&o, out, &node->type, n, false));
        if (o.type.id != GNV_TYPE_DOUBLE) {
            gnv__kout_abort(&o);
            return gnv__error_set(GNV_EINVAL, GNV_SUB_EXPR, "pi() returns float64");
        }
        for (int64_t i = 0; i < n; i++) {
            double v = 3.14159265358979323846;
            memcpy(o.values + i * 8, &v, 8);
        }
        return gnv__kout_finish(&o);
    }
    if (node->n_args != 1)
        return gnv__error_set(GNV_EINVAL, GNV_SUB_EXPR, "%s() takes one argument",
                              gnv__expr_func_name(node->func));
    kin k;
    GNV_TRY(gnv__kin_init(&k, &args[0]));
    if (gnv__kdom(k.type.id) == KD_NONE && k.type.id != GNV_TYPE_NA)
        return gnv__error_set(GNV_EINVAL, GNV_SUB_EXPR, "%s() needs a number, not %s",
                              gnv__expr_func_name(node->func), gnv__ktype_name(args[0].schema));
    const kin *ins[1] = {&k};
    GNV_TRY(gnv__kout_init(&o, out, &node->type, n, gnv__kany_null(ins, 1)));
    if (o.type.id != GNV_TYPE_BOOL) {
        gnv__kout_abort(&o);
        return gnv__error_set(GNV_EINVAL, GNV_SUB_EXPR, "%s() returns bool",
                              gnv__expr_func_name(node->func));
    }
    gnv__kvalidity_and(&o, ins, 1);
    if (k.all_null)
        return gnv__kout_finish(&o);
    for (int64_t i = 0; i < n; i++) {
        double v;
        gnv__kload_f64(&k, i, 1, &v);
        if (node->func == GNV_FN_ISNAN ? v != v : v == 0)
            kbit_set(o.values, i, true);
    }
    return gnv__kout_finish(&o);
}

int gnv__kernel_math(struct ArrowArray *out,
                     const gnv_expr_node *node,
                     const gnv_datum *args,
                     int64_t n)
{
    int rc = GNV_OK;
    gnv_expr_func f = node->func;
    if (f == GNV_FN_PI || f == GNV_FN_RANDOM || f == GNV_FN_ISNAN || f == GNV_FN_ISZERO)
        return math_special(out, node, args, n);
    if (f == GNV_FN_ABS && strncmp(node->type.format, "d:", 2) == 0)
        return gnv__kernel_decimal_abs(out, node, args, n);
    const char *name = gnv__expr_func_name(f);
    int nargs = node->n_args;
    int min = 1, max = 1;
    if (f == GNV_FN_ROUND || f == GNV_FN_LOG)
        max = 2;
    if (f == GNV_FN_POW || f == GNV_FN_ATAN2)
        min = max = 2;
    if (nargs < min || nargs > max)
        return gnv__error_set(GNV_EINVAL, GNV_SUB_EXPR, "%s() takes %d to %d arguments, not %d",
                              name, min, max, nargs);
    kin k[2];
    kout o = {0};
    void *buf = NULL;
    for (int i = 0; i < nargs; i++) {
        GNV_TRY(gnv__kin_init(&k[i], &args[i]));
        if (gnv__kdom(k[i].type.id) == KD_NONE && k[i].type.id != GNV_TYPE_NA)
            return gnv__error_set(GNV_EINVAL, GNV_SUB_EXPR, "%s() needs numbers, not %s", name,
                                  gnv__ktype_name(args[i].schema));
    }
    gnv_type rt;
    GNV_TRY(gnv__type_parse(&rt, node->type.format));
    kdom rdom = gnv__kdom(rt.id);
    if (rdom == KD_NONE || rt.id == GNV_TYPE_BOOL || rt.id == GNV_TYPE_DATE32 ||
        rt.id == GNV_TYPE_TIMESTAMP)
        return gnv__error_set(GNV_EINVAL, GNV_SUB_EXPR, "%s() cannot return %s", name,
                              gnv__ktype_name(&node->type));
    const kin *ins[2] = {&k[0], &k[1]};
    GNV_TRY(gnv__kout_init(&o, out, &node->type, n, gnv__kany_null(ins, nargs)));
    gnv__kvalidity_and(&o, ins, nargs);
    for (int i = 0; i < nargs; i++)
        if (k[i].all_null)
            return gnv__kout_finish(&o);
    int64_t lo, hi;
    gnv__krange(rt.id, &lo, &hi);
    buf = gnv__malloc(3 * KCHUNK * 8);
    GNV_CHECK_ALLOC(buf);
    for (int64_t s = 0; s < n; s += KCHUNK) {
        int64_t m = GNV_MIN(KCHUNK, n - s);
        if (rdom != KD_F64 && (f == GNV_FN_ABS || f == GNV_FN_POW || f == GNV_FN_FLOOR ||
                               f == GNV_FN_CEIL || f == GNV_FN_ROUND)) {
            /* integer results */
            if (rdom == KD_U64) {
                uint64_t *x = buf;
                gnv__kload_u64(&k[0], s, m, x);
                if (f == GNV_FN_POW) {
                    uint64_t *y = x + KCHUNK;
                    gnv__kload_u64(&k[1], s, m, y);
                    for (int64_t j = 0; j < m; j++) {
                        uint64_t acc = 1, b = x[j];
                        int bad = 0;
                        for (uint64_t e = y[j]; e > 0 && !bad; e >>= 1) {
                            if (e & 1)
                                bad |= __builtin_mul_overflow(acc, b, &acc);
                            if (e > 1)
                                bad |= __builtin_mul_overflow(b, b, &b);
                        }
                        if (bad && (!o.validity || kbit(o.validity, s + j))) {
                            rc = gnv__error_set(GNV_EINVAL, GNV_SUB_EXPR,
                                                "integer overflow in pow() at row %lld",
                                                (long long)(s + j));
                            goto done;
                        }
                        x[j] = bad ? 0 : acc;
                    }
                }
                gnv__kstore_u64(&o, s, m, x);
                continue;
            }
            int64_t *x = buf, *y = x + KCHUNK;
            gnv__kload_i64(&k[0], s, m, x);
            if (nargs > 1)
                gnv__kload_i64(&k[1], s, m, y);
            for (int64_t j = 0; j < m; j++) {
                bool valid = !o.validity || kbit(o.validity, s + j);
                int64_t r = x[j];
                int bad = 0;
                if (f == GNV_FN_ABS) {
                    bad = x[j] == INT64_MIN;
                    r = bad ? 0 : (x[j] < 0 ? -x[j] : x[j]);
                } else if (f == GNV_FN_POW) {
                    if (y[j] < 0) {
                        if (valid) {
                            rc = gnv__error_set(
                                GNV_EINVAL, GNV_SUB_EXPR,
                                "pow() of integers with a negative exponent (%lld) at row %lld; "
                                "use floats",
                                (long long)y[j], (long long)(s + j));
                            goto done;
                        }
                        r = 0;
                    } else {
                        bad = ipow(x[j], y[j], &r);
                    }
                } else if (f == GNV_FN_ROUND && nargs > 1 && y[j] < 0) {
                    /* round to tens, hundreds, ...: half away from zero */
                    int64_t p = 1;
                    if (y[j] < -18 || ipow(10, -y[j], &p)) {
                        r = 0;
                    } else {
                        int64_t q = x[j] / p, rem = x[j] % p;
                        if (rem >= 0 ? rem * 2 >= p : -rem * 2 >= p)
                            q += rem >= 0 ? 1 : -1;
                        bad = __builtin_mul_overflow(q, p, &r);
                    }
                }
                if (!bad && (r < lo || r > hi))
                    bad = 1;
                if (bad && valid) {
                    rc = gnv__error_set(GNV_EINVAL, GNV_SUB_EXPR,
                                        "integer overflow in %s() at row %lld: the result for "
                                        "%lld does not fit %s",
                                        name, (long long)(s + j), (long long)x[j],
                                        gnv__type_id_name(rt.id));
                    goto done;
                }
                x[j] = bad ? 0 : r;
            }
            gnv__kstore_i64(&o, s, m, x);
            continue;
        }
        double *x = buf, *y = x + KCHUNK;
        gnv__kload_f64(&k[0], s, m, x);
        if (nargs > 1)
            gnv__kload_f64(&k[1], s, m, y);
        switch (f) {
        case GNV_FN_ABS:
            for (int64_t j = 0; j < m; j++)
                x[j] = fabs(x[j]);
            break;
        case GNV_FN_ROUND:
            for (int64_t j = 0; j < m; j++) {
                if (nargs == 1) {
                    x[j] = round(x[j]);
                } else {
                    double d = y[j] > 400 ? 400 : y[j] < -400 ? -400 : y[j];
                    double factor = pow(10.0, trunc(d));
                    x[j] = round(x[j] * factor) / factor;
                }
            }
            break;
        case GNV_FN_FLOOR:
            for (int64_t j = 0; j < m; j++)
                x[j] = floor(x[j]);
            break;
        case GNV_FN_CEIL:
            for (int64_t j = 0; j < m; j++)
                x[j] = ceil(x[j]);
            break;
        case GNV_FN_SQRT:
            for (int64_t j = 0; j < m; j++)
                x[j] = sqrt(x[j]);
            break;
        case GNV_FN_LN:
            /* the NaN of a negative is positive, as in DataFusion (it orders above
             * everything there) */
            for (int64_t j = 0; j < m; j++)
                x[j] = fabs_nan(log(x[j]));
            break;
        case GNV_FN_LOG:
            for (int64_t j = 0; j < m; j++)
                x[j] = fabs_nan(nargs == 1 ? log10(x[j]) : log(y[j]) / log(x[j]));
            break;
        case GNV_FN_LOG10:
            for (int64_t j = 0; j < m; j++)
                x[j] = fabs_nan(log10(x[j]));
            break;
        case GNV_FN_LOG2:
            for (int64_t j = 0; j < m; j++)
                x[j] = fabs_nan(log2(x[j]));
            break;
        case GNV_FN_EXP:
            for (int64_t j = 0; j < m; j++)
                x[j] = exp(x[j]);
            break;
        case GNV_FN_SIGNUM: /* 0 for zeros, NaN for NaN (DataFusion) */
            for (int64_t j = 0; j < m; j++)
                x[j] = x[j] > 0 ? 1.0 : x[j] < 0 ? -1.0 : x[j] == 0 ? 0.0 : x[j];
            break;
        case GNV_FN_TRUNC:
            for (int64_t j = 0; j < m; j++)
                x[j] = trunc(x[j]);
            break;
        case GNV_FN_SIN:
            for (int64_t j = 0; j < m; j++)
                x[j] = sin(x[j]);
            break;
        case GNV_FN_COS:
            for (int64_t j = 0; j < m; j++)
                x[j] = cos(x[j]);
            break;
        case GNV_FN_TAN:
            for (int64_t j = 0; j < m; j++)
                x[j] = tan(x[j]);
            break;
        case GNV_FN_ATAN2:
            for (int64_t j = 0; j < m; j++)
                x[j] = atan2(x[j], y[j]);
            break;
        default: /* POW */
            for (int64_t j = 0; j < m; j++)
                x[j] = pow(x[j], y[j]);
            break;
        }
        if (rdom != KD_F64) {
            /* a float computation stored as an integer: check the range */
            for (int64_t j = 0; j < m; j++) {
                bool ok = x[j] == x[j] && x[j] >= (double)lo && x[j] <= (double)hi &&
                          !(hi == INT64_MAX && x[j] >= 9223372036854775807.0);
                if (!ok && (!o.validity || kbit(o.validity, s + j))) {
                    rc = gnv__error_set(GNV_EINVAL, GNV_SUB_EXPR,
                                        "%s() at row %lld: %g does not fit %s", name,
                                        (long long)(s + j), x[j], gnv__type_id_name(rt.id));
                    goto done;
                }
                if (!ok)
                    x[j] = 0;
            }
        }
        gnv__kstore_f64(&o, s, m, x);
    }
    gnv__free(buf);
    return gnv__kout_finish(&o);
done:
    gnv__free(buf);
    gnv__kout_abort(&o);
    return rc;
}
