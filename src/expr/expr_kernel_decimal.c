/*
 * decimal128 and duration values, as LanceDB's DataFusion (arrow-rs) computes them:
 * - decimal arithmetic follows arrow-rs's rules for the result type (the binder gives
 *   it): + and - rescale both sides to the larger scale, * multiplies the unscaled
 *   values (scales add up), / multiplies the dividend by 10^(scale increment) and
 *   truncates toward zero, % takes the remainder at the larger scale. Values beyond the
 *   128-bit range are errors naming the operation, the row and the values; results that
 *   exceed the declared precision are kept (arrow-rs does not check them either);
 * - comparisons of two decimals of one type compare the unscaled values;
 * - CAST to decimal checks the precision (a value with more digits is an error, NULL for
 *   TRY_CAST); floats are rounded half away from zero after scaling, strings likewise at
 *   the first dropped digit; decimals to integers truncate toward zero (range-checked),
 *   to floats divide, to strings print with `scale` digits after the point;
 * - durations: timestamp - timestamp (the binder brings both to one unit), duration +/-
 *   duration (overflow is an error), CAST between durations and integers (the count),
 *   between duration units (to a finer unit checked, to a coarser one truncated toward
 *   zero) and to strings ("1 days 2 hours 3 mins 4.500 secs", as arrow-rs prints them).
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "expr/expr_kernel.h"

#ifndef __SIZEOF_INT128__
#error "decimal128 support needs a compiler with __int128"
#endif
__extension__ typedef __int128 i128;
__extension__ typedef unsigned __int128 u128;

/* 10^k for k in 0..38 */
static i128 pow10_i128(int k)
{
    i128 v = 1;
    for (int i = 0; i < k; i++)
        v *= 10;
    return v;
}

static i128 dec_at(const kin *k, int64_t i)
{
    i128 v;
    memcpy(&v, k->data + kin_pos(k, i) * 16, 16);
    return v;
}

static void dec_put(kout *o, int64_t i, i128 v)
{
    memcpy(o->values + i * 16, &v, 16);
}

static void dec_text(char *buf, i128 v, int32_t scale)
{
    gnv__decimal128_format(buf, &v, scale);
}

/* |v| < 10^precision */
static bool dec_fits(i128 v, int32_t precision)
{
    i128 lim = pow10_i128(precision);
    return v < lim && v > -lim;
}

static bool out_valid(const kout *o, int64_t i)
{
    return !o->validity || kbit(o->validity, i);
}

static void set_null(kout *o, int64_t i)
{
    if (o->validity)
        kbit_set(o->validity, i, false);
}

/* ---- arithmetic --------------------------------------------------------- */

/* One decimal operation on unscaled values x (scale sa) and y (scale sb) into *r at the
 * result scale sr. Returns 0, 1 on overflow, 2 on division by zero. */
static int dec_op(gnv_expr_op op, i128 x, int32_t sa, i128 y, int32_t sb, int32_t sr, i128 *r)
{
    i128 mx, my;
    switch (op) {
    case GNV_EX_NEG:
        if (x == (i128)((u128)1 << 127))
            return 1;
        *r = -x;
        return 0;
    case GNV_EX_ADD:
    case GNV_EX_SUB:
    case GNV_EX_MOD:
        if (__builtin_mul_overflow(x, pow10_i128(sr - sa), &mx) ||
            __builtin_mul_overflow(y, pow10_i128(sr - sb), &my))
            return 1;
        if (op == GNV_EX_ADD)
            return __builtin_add_overflow(mx, my, r) ? 1 : 0;
        if (op == GNV_EX_SUB)
            return __builtin_sub_overflow(mx, my, r) ? 1 : 0;
        if (my == 0)
            return 2;
        if (mx >= INT64_MIN && mx <= INT64_MAX && my >= INT64_MIN && my <= INT64_MAX)
            *r = my == -1 ? 0 : (int64_t)mx % (int64_t)my; /* (a 128-bit % is a slow call) */
        else
            *r = my == -1 ? 0 : mx % my;
        return 0;
    case GNV_EX_MUL:
        return __builtin_mul_overflow(x, y, r) ? 1 : 0;
    default: { /* DIV: x * 10^(sr - sa + sb) / y, truncated */
        int32_t pw = sr - sa + sb;
        if (y == 0)
            return 2;
        if (pw >= 0) {
            if (__builtin_mul_overflow(x, pow10_i128(pw), &mx))
                return 1;
            my = y;
        } else {
            mx = x;
            if (__builtin_mul_overflow(y, pow10_i128(-pw), &my))
                return 1;
        }
        if (my == -1 && mx == (i128)((u128)1 << 127))
            return 1;
        *r = mx / my;
        return 0;
    }
    }
}

static int kernel_decimal(struct ArrowArray *out,
                          const gnv_expr_node *node,
                          const gnv_datum *args,
                          int64_t n,
                          const gnv_type *rt)
{
    int rc = GNV_OK;
    bool abs_fn = node->op == GNV_EX_CALL && node->func == GNV_FN_ABS;
    bool unary = node->op == GNV_EX_NEG || abs_fn;
    int want = unary ? 1 : 2;
    kin ka, kb;
    kout o = {0};
    if (node->n_args != want)
        return gnv__error_set(GNV_EINVAL, GNV_SUB_EXPR, "'%s' takes %d operands",
                              abs_fn ? "abs" : gnv__expr_op_name(node->op), want);
    GNV_TRY(gnv__kin_init(&ka, &args[0]));
    kb = ka;
    if (!unary)
        GNV_TRY(gnv__kin_init(&kb, &args[1]));
    if ((ka.type.id != GNV_TYPE_DECIMAL128 && !ka.all_null) ||
        (kb.type.id != GNV_TYPE_DECIMAL128 && !kb.all_null))
        return gnv__error_set(GNV_EINVAL, GNV_SUB_EXPR, "'%s' on decimals needs decimal operands",
                              gnv__expr_op_name(node->op));
    const kin *ins[2] = {&ka, &kb};
    GNV_TRY(gnv__kout_init(&o, out, &node->type, n, gnv__kany_null(ins, want)));
    gnv__kvalidity_and(&o, ins, want);
    if (ka.all_null || kb.all_null)
        return gnv__kout_finish(&o);
    for (int64_t i = 0; i < n; i++) {
        if (!out_valid(&o, i))
            continue;
        i128 x = dec_at(&ka, i), y = unary ? 0 : dec_at(&kb, i), r = x;
        int bad = abs_fn && x >= 0 ? 0
                                   : dec_op(abs_fn ? GNV_EX_NEG : node->op, x, ka.type.scale, y,
                                            kb.type.scale, rt->scale, &r);
        if (bad == 2) {
            rc = gnv__error_set(GNV_EINVAL, GNV_SUB_EXPR, "division by zero in '%s' at row %lld",
                                gnv__expr_op_name(node->op), (long long)i);
            goto done;
        }
        if (bad) {
            char xs[GNV_DECIMAL128_TEXT], ys[GNV_DECIMAL128_TEXT];
            dec_text(xs, x, ka.type.scale);
            if (unary)
                rc = gnv__error_set(GNV_EINVAL, GNV_SUB_EXPR,
                                    "decimal overflow in %s at row %lld: -(%s) does not fit 128 "
                                    "bits",
                                    abs_fn ? "abs()" : "unary '-'", (long long)i, xs);
            else {
                dec_text(ys, y, kb.type.scale);
                rc = gnv__error_set(GNV_EINVAL, GNV_SUB_EXPR,
                                    "decimal overflow in '%s' at row %lld: %s %s %s does not fit "
                                    "%s (128 bits)",
                                    gnv__expr_op_name(node->op), (long long)i, xs,
                                    gnv__expr_op_name(node->op), ys, gnv__ktype_name(&node->type));
            }
            goto done;
        }
        dec_put(&o, i, r);
    }
    return gnv__kout_finish(&o);
done:
    gnv__kout_abort(&o);
    return rc;
}

/* timestamp - timestamp (one type) and duration +/- duration (one type): int64, checked */
static int
kernel_duration(struct ArrowArray *out, const gnv_expr_node *node, const gnv_datum *args, int64_t n)
{
    int rc = GNV_OK;
    kin ka, kb;
    kout o = {0};
    int64_t *x = NULL, *y = NULL;
    if (node->n_args != 2 || (node->op != GNV_EX_ADD && node->op != GNV_EX_SUB))
        return gnv__error_set(GNV_EINVAL, GNV_SUB_EXPR, "'%s' is not supported for durations",
                              gnv__expr_op_name(node->op));
    GNV_TRY(gnv__kin_init(&ka, &args[0]));
    GNV_TRY(gnv__kin_init(&kb, &args[1]));
    const kin *ins[2] = {&ka, &kb};
    GNV_TRY(gnv__kout_init(&o, out, &node->type, n, gnv__kany_null(ins, 2)));
    gnv__kvalidity_and(&o, ins, 2);
    if (ka.all_null || kb.all_null)
        return gnv__kout_finish(&o);
    x = gnv__malloc(2 * KCHUNK * sizeof *x);
    GNV_CHECK_ALLOC(x);
    y = x + KCHUNK;
    int64_t *r = (int64_t *)(void *)o.values;
    bool add = node->op == GNV_EX_ADD;
    for (int64_t s = 0; s < n; s += KCHUNK) {
        int64_t m = GNV_MIN(KCHUNK, n - s);
        gnv__kload_i64(&ka, s, m, x);
        gnv__kload_i64(&kb, s, m, y);
        for (int64_t j = 0; j < m; j++) {
            bool bad = add ? __builtin_add_overflow(x[j], y[j], &r[s + j])
                           : __builtin_sub_overflow(x[j], y[j], &r[s + j]);
            if (bad && out_valid(&o, s + j)) {
                rc = gnv__error_set(GNV_EINVAL, GNV_SUB_EXPR,
                                    "overflow in '%s' at row %lld: %lld %s %lld does not fit %s",
                                    gnv__expr_op_name(node->op), (long long)(s + j),
                                    (long long)x[j], gnv__expr_op_name(node->op), (long long)y[j],
                                    gnv__ktype_name(&node->type));
                goto done;
            }
        }
    }
    gnv__free(x);
    return gnv__kout_finish(&o);
done:
    gnv__free(x);
    gnv__kout_abort(&o);
    return rc;
}

int gnv__kernel_arith_ext(struct ArrowArray *out,
                          const gnv_expr_node *node,
                          const gnv_datum *args,
                          int64_t n,
                          bool *handled)
{
    gnv_type rt;
    *handled = false;
    GNV_TRY(gnv__type_parse(&rt, node->type.format));
    if (rt.id == GNV_TYPE_DECIMAL128) {
        *handled = true;
        return kernel_decimal(out, node, args, n, &rt);
    }
    if (rt.id == GNV_TYPE_DURATION) {
        *handled = true;
        return kernel_duration(out, node, args, n);
    }
    return GNV_OK;
}

int gnv__kernel_decimal_abs(struct ArrowArray *out,
                            const gnv_expr_node *node,
                            const gnv_datum *args,
                            int64_t n)
{
    gnv_type rt;
    GNV_TRY(gnv__type_parse(&rt, node->type.format));
    return kernel_decimal(out, node, args, n, &rt);
}

/* ---- comparisons -------------------------------------------------------- */

int gnv__kdecimal_cmp(const kin *a, int64_t i, const kin *b, int64_t j)
{
    i128 x = dec_at(a, i), y = dec_at(b, j);
    return x < y ? -1 : x > y;
}

int gnv__kdecimal_compare(
    struct ArrowArray *out, gnv_expr_op op, const gnv_datum *a, const gnv_datum *b, int64_t n)
{
    kin ka, kb;
    kout o;
    GNV_TRY(gnv__kin_init(&ka, a));
    GNV_TRY(gnv__kin_init(&kb, b));
    if (!ka.all_null && !kb.all_null &&
        (ka.type.id != GNV_TYPE_DECIMAL128 || kb.type.id != GNV_TYPE_DECIMAL128 ||
         ka.type.scale != kb.type.scale))
        return gnv__error_set(GNV_EINVAL, GNV_SUB_EXPR, "cannot compare %s with %s without a cast",
                              gnv__ktype_name(a->schema), gnv__ktype_name(b->schema));
    const kin *ins[2] = {&ka, &kb};
    GNV_TRY(gnv__kout_bool(&o, out, ins, 2, n));
    if (ka.all_null || kb.all_null)
        return gnv__kout_finish(&o);
    for (int64_t i = 0; i < n; i++) {
        int c = gnv__kdecimal_cmp(&ka, i, &kb, i);
        bool r;
        switch (op) {
        case GNV_EX_EQ:
            r = c == 0;
            break;
        case GNV_EX_NE:
            r = c != 0;
            break;
        case GNV_EX_LT:
            r = c < 0;
            break;
        case GNV_EX_LE:
            r = c <= 0;
            break;
        case GNV_EX_GT:
            r = c > 0;
            break;
        default:
            r = c >= 0;
            break;
        }
        if (r)
            kbit_set(o.values, i, true);
    }
    return gnv__kout_finish(&o);
}

/* ---- casts -------------------------------------------------------------- */

/* Round x / 10^k half away from zero (k > 0). */
static i128 div_round(i128 x, int k)
{
    i128 d = pow10_i128(k), q = x / d, r = x % d;
    if (r > 0 && r >= d - r) /* 2r >= d without overflowing at d = 10^38 */
        q++;
    else if (r < 0 && -r >= d + r)
        q--;
    return q;
}

/* A string as a decimal of scale s: spaces around it are skipped, an optional sign, digits
 * with at most one '.', no exponent; digits past the scale round half away from zero; ""
 * is 0 (as arrow-rs reads it). Returns false when the text is not a number or the value
 * does not fit 38 digits. */
static bool parse_decimal(const uint8_t *p, int64_t len, int32_t scale, i128 *out)
{
    int64_t a = 0, b = len;
    while (a < b && (p[a] == ' ' || p[a] == '\t' || p[a] == '\n' || p[a] == '\r'))
        a++;
    while (b > a && (p[b - 1] == ' ' || p[b - 1] == '\t' || p[b - 1] == '\n' || p[b - 1] == '\r'))
        b--;
    *out = 0;
    if (a == b)
        return true;
    bool neg = false;
    if (p[a] == '+' || p[a] == '-') {
        neg = p[a] == '-';
        a++;
    }
    i128 v = 0;
    int digits = 0, frac = 0, ndig = 0;
    bool point = false, round_up = false, dropped = false;
    for (int64_t i = a; i < b; i++) {
        uint8_t c = p[i];
        if (c == '.' && !point) {
            point = true;
            continue;
        }
        if (c < '0' || c > '9')
            return false;
        ndig++;
        if (point && frac == scale) { /* past the scale: only the first dropped digit counts */
            if (!dropped)
                round_up = c >= '5';
            dropped = true;
            continue;
        }
        if (point)
            frac++;
        if (v != 0 || c != '0')
            digits++;
        if (digits > GNV_DECIMAL128_MAX_PRECISION)
            return false;
        v = v * 10 + (c - '0');
    }
    if (ndig == 0)
        return false;
    for (; frac < scale; frac++) {
        if (v != 0 && ++digits > GNV_DECIMAL128_MAX_PRECISION)
            return false;
        v *= 10;
    }
    if (round_up)
        v++;
    *out = neg ? -v : v;
    return true;
}

/* "1 days 2 hours 3 mins 4.500 secs", as arrow-rs's pretty duration format. */
static void duration_text(char *buf, size_t cap, int64_t v, gnv_time_unit u)
{
    static const int digits[] = {0, 3, 6, 9};
    int sc = digits[u];
    int n; /* (a value longer than buf is cut) */
    if (sc == 0) {
        int64_t secs = v, mins = secs / 60, hours = mins / 60, days = hours / 24;
        n = snprintf(buf, cap, "%lld days %lld hours %lld mins %lld secs", (long long)days,
                     (long long)(hours - days * 24), (long long)(mins - hours * 60),
                     (long long)(secs - mins * 60));
        if (n < 0)
            buf[0] = '\0';
        return;
    }
    int64_t per = gnv__unit_per_second(u);
    int64_t secs = v / per, mins = secs / 60, hours = mins / 60, days = hours / 24;
    int64_t sub = v - secs * per;
    int64_t s = secs - mins * 60, mi = mins - hours * 60, h = hours - days * 24;
    if (sub < 0)
        n = snprintf(buf, cap, "%lld days %lld hours %lld mins -%lld.%0*lld secs", (long long)days,
                     (long long)h, (long long)mi, (long long)(s < 0 ? -s : s), sc, (long long)-sub);
    else
        n = snprintf(buf, cap, "%lld days %lld hours %lld mins %lld.%0*lld secs", (long long)days,
                     (long long)h, (long long)mi, (long long)s, sc, (long long)sub);
    if (n < 0)
        buf[0] = '\0';
}

static int cast_fail(kout *o,
                     bool try_cast,
                     int64_t i,
                     const struct ArrowSchema *from,
                     const char *value,
                     const struct ArrowSchema *to,
                     const char *why)
{
    if (try_cast) {
        set_null(o, i);
        return GNV_OK;
    }
    char f[160];
    snprintf(f, sizeof f, "%s", gnv__ktype_name(from));
    return gnv__error_set(GNV_EINVAL, GNV_SUB_EXPR, "cannot cast %s value %s to %s at row %lld%s",
                          f, value, gnv__ktype_name(to), (long long)i, why);
}

/* The text of value i of an integer, float, string or decimal input, for a cast's
 * error message. */
static void cast_text(char *text, size_t cap, const kin *k, int64_t i)
{
    gnv_type_id fid = k->type.id;
    if (fid == GNV_TYPE_UINT64) {
        uint64_t u;
        gnv__kload_u64(k, i, 1, &u);
        snprintf(text, cap, "%llu", (unsigned long long)u);
    } else if (gnv__type_is_integer(fid)) {
        int64_t x;
        gnv__kload_i64(k, i, 1, &x);
        snprintf(text, cap, "%lld", (long long)x);
    } else if (gnv__type_is_floating(fid)) {
        double d;
        gnv__kload_f64(k, i, 1, &d);
        gnv__format_float(text, cap, d, fid == GNV_TYPE_FLOAT);
    } else if (fid == GNV_TYPE_DECIMAL128) {
        char xs[GNV_DECIMAL128_TEXT];
        dec_text(xs, dec_at(k, i), k->type.scale);
        snprintf(text, cap, "%s", xs);
    } else {
        int64_t len;
        const uint8_t *p = kin_bytes(k, i, &len);
        snprintf(text, cap, "'%.*s'", (int)(len < 60 ? len : 60), (const char *)p);
    }
}

/* Whether the arguments of a cast are ones this file handles. */
bool gnv__kcast_ext_handles(gnv_type_id from, gnv_type_id to)
{
    return from == GNV_TYPE_DECIMAL128 || to == GNV_TYPE_DECIMAL128 || from == GNV_TYPE_DURATION ||
           to == GNV_TYPE_DURATION;
}

int gnv__kcast_ext(struct ArrowArray *out,
                   const kin *k,
                   const struct ArrowSchema *from,
                   const struct ArrowSchema *to,
                   bool try_cast,
                   int64_t n)
{
    int rc = GNV_OK;
    kout o = {0};
    gnv_type tt;
    GNV_TRY(gnv__type_parse(&tt, to->format));
    gnv_type_id fid = k->type.id, tid = tt.id;
    bool fint = gnv__type_is_integer(fid), tint = gnv__type_is_integer(tid);
    bool ffloat = gnv__type_is_floating(fid), tfloat = gnv__type_is_floating(tid);
    bool fstr = fid == GNV_TYPE_STRING || fid == GNV_TYPE_LARGE_STRING;
    bool tstr = tid == GNV_TYPE_STRING || tid == GNV_TYPE_LARGE_STRING;
    bool fdec = fid == GNV_TYPE_DECIMAL128, tdec = tid == GNV_TYPE_DECIMAL128;
    bool fdur = fid == GNV_TYPE_DURATION, tdur = tid == GNV_TYPE_DURATION;
    bool ok = (tdec && (fint || ffloat || fstr || fdec)) || (fdec && (tint || tfloat || tstr)) ||
              (fdur && (tint || tstr || tdur)) || (tdur && fint);
    if (!ok) {
        char a[160];
        snprintf(a, sizeof a, "%s", gnv__ktype_name(from));
        return gnv__error_set(GNV_EINVAL, GNV_SUB_EXPR, "cannot cast %s to %s", a,
                              gnv__ktype_name(to));
    }
    const kin *ins[1] = {k};
    GNV_TRY(gnv__kout_init(&o, out, to, n, try_cast || gnv__kany_null(ins, 1)));
    gnv__kvalidity_and(&o, ins, 1);
    if (k->all_null) {
        for (int64_t i = 0; tstr && i < n; i++)
            GNV_TRYG(gnv__kout_put_str(&o, i, NULL, 0));
        return gnv__kout_finish(&o);
    }
    char text[96];
    int64_t lo, hi;
    gnv__krange(tid, &lo, &hi);
    for (int64_t i = 0; i < n; i++) {
        bool valid = out_valid(&o, i);
        if (!valid) {
            if (tstr)
                GNV_TRYG(gnv__kout_put_str(&o, i, NULL, 0));
            continue;
        }
        if (tdec) {
            i128 v = 0;
            bool conv = true;
            const char *why = "";
            if (fint) {
                int64_t x;
                if (fid == GNV_TYPE_UINT64) {
                    uint64_t u;
                    gnv__kload_u64(k, i, 1, &u);
                    v = (i128)u;
                } else {
                    gnv__kload_i64(k, i, 1, &x);
                    v = x;
                }
                /* 20 digits times 10^38 can overflow */
                conv = !__builtin_mul_overflow(v, pow10_i128(tt.scale), &v);
            } else if (ffloat) {
                double d;
                gnv__kload_f64(k, i, 1, &d);
                double s = round(d * pow(10.0, tt.scale));
                if (!isfinite(s) || fabs(s) >= 1.7014118346046923e38)
                    conv = false;
                else
                    v = (i128)s;
            } else if (fstr) {
                int64_t len;
                const uint8_t *p = kin_bytes(k, i, &len);
                conv = parse_decimal(p, len, tt.scale, &v);
            } else { /* decimal to decimal */
                i128 x = dec_at(k, i);
                if (tt.scale >= k->type.scale)
                    conv = !__builtin_mul_overflow(x, pow10_i128(tt.scale - k->type.scale), &v);
                else
                    v = div_round(x, k->type.scale - tt.scale);
            }
            if (conv && !dec_fits(v, tt.precision)) {
                conv = false;
                why = " (too many digits for its precision)";
            }
            if (!conv) { /* (the value's text is made for the message only) */
                if (!try_cast)
                    cast_text(text, sizeof text, k, i);
                GNV_TRYG(cast_fail(&o, try_cast, i, from, text, to, why));
                continue;
            }
            dec_put(&o, i, v);
        } else if (fdec) {
            i128 x = dec_at(k, i);
            if (tstr) {
                char xs[GNV_DECIMAL128_TEXT];
                dec_text(xs, x, k->type.scale);
                GNV_TRYG(gnv__kout_put_str(&o, i, xs, strlen(xs)));
            } else if (tfloat) {
                double d = (double)x / pow(10.0, k->type.scale);
                gnv__kstore_f64(&o, i, 1, &d);
            } else { /* integers: truncate toward zero, range-checked */
                i128 q = x / pow10_i128(k->type.scale);
                bool fits =
                    tid == GNV_TYPE_UINT64 ? q >= 0 && q <= (i128)UINT64_MAX : q >= lo && q <= hi;
                if (!fits) {
                    char xs[GNV_DECIMAL128_TEXT];
                    dec_text(xs, x, k->type.scale);
                    GNV_TRYG(cast_fail(&o, try_cast, i, from, xs, to, " (out of range)"));
                    continue;
                }
                if (tid == GNV_TYPE_UINT64) {
                    uint64_t u = (uint64_t)q;
                    gnv__kstore_u64(&o, i, 1, &u);
                } else {
                    int64_t s = (int64_t)q;
                    gnv__kstore_i64(&o, i, 1, &s);
                }
            }
        } else if (fdur) {
            int64_t x;
            gnv__kload_i64(k, i, 1, &x);
            if (tstr) {
                duration_text(text, sizeof text, x, k->type.unit);
                GNV_TRYG(gnv__kout_put_str(&o, i, text, strlen(text)));
            } else if (tdur) { /* finer: checked multiplication; coarser: truncation */
                int64_t fu = gnv__unit_per_second(k->type.unit), tu = gnv__unit_per_second(tt.unit);
                int64_t y = x;
                if (tu >= fu && __builtin_mul_overflow(x, tu / fu, &y)) {
                    snprintf(text, sizeof text, "%lld", (long long)x);
                    GNV_TRYG(cast_fail(&o, try_cast, i, from, text, to, " (out of range)"));
                    continue;
                }
                if (tu < fu)
                    y = x / (fu / tu);
                gnv__kstore_i64(&o, i, 1, &y);
            } else if (tid == GNV_TYPE_UINT64 ? x < 0 : (tint && (x < lo || x > hi))) {
                snprintf(text, sizeof text, "%lld", (long long)x);
                GNV_TRYG(cast_fail(&o, try_cast, i, from, text, to, " (out of range)"));
            } else {
                gnv__kstore_i64(&o, i, 1, &x);
            }
        } else { /* integer to duration: the count */
            if (fid == GNV_TYPE_UINT64) {
                uint64_t u;
                gnv__kload_u64(k, i, 1, &u);
                if (u > INT64_MAX) {
                    snprintf(text, sizeof text, "%llu", (unsigned long long)u);
                    GNV_TRYG(cast_fail(&o, try_cast, i, from, text, to, " (out of range)"));
                    continue;
                }
            }
            int64_t x;
            gnv__kload_i64(k, i, 1, &x);
            gnv__kstore_i64(&o, i, 1, &x);
        }
    }
    return gnv__kout_finish(&o);
done:
    gnv__kout_abort(&o);
    return rc;
}
