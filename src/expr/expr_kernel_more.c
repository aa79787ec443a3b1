/*
 * More string functions (strpos, left, right, lpad, rpad, reverse, split_part, repeat,
 * contains, ascii, md5, to_hex, initcap), date_trunc, and the shifts << and >>, as LanceDB's
 * DataFusion computes them. Positions and lengths count characters (UTF-8 code points); NULL in any
 * argument gives NULL. Shifts wrap as Rust's wrapping_shl/shr: the amount is taken modulo the width
 * of the type, and >> of a signed value is arithmetic.
 */
#include <ctype.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>

#include "expr/expr_kernel.h"

static int64_t nchars(const uint8_t *p, int64_t len)
{
    int64_t c = 0;
    for (int64_t i = 0; i < len; i++)
        c += (p[i] & 0xC0) != 0x80;
    return c;
}

/* Byte offset of character k (0-based), or len past the end. */
static int64_t char_at(const uint8_t *p, int64_t len, int64_t k)
{
    int64_t i = 0;
    while (i < len && k > 0) {
        i++;
        while (i < len && (p[i] & 0xC0) == 0x80)
            i++;
        k--;
    }
    return i;
}

/* Append `want` characters of fill (cycled) to b. */
static int put_fill(gnv_buf *b, const uint8_t *fill, int64_t flen, int64_t want)
{
    int64_t i = 0;
    while (want > 0) {
        if (i >= flen)
            i = 0;
        int64_t e = char_at(fill + i, flen - i, 1) + i;
        GNV_TRY(gnv__buf_put(b, fill + i, (size_t)(e - i)));
        i = e;
        want--;
    }
    return GNV_OK;
}

static int64_t load1(const kin *k, int64_t i)
{
    int64_t v = 0;
    gnv__kload_i64(k, i, 1, &v);
    return v;
}

/* One string result row into b; *null set when the result is NULL. */
static int string_row(gnv_buf *b, gnv_expr_func f, const kin *k, int nargs, int64_t i)
{
    int64_t len = 0, len1 = 0;
    const uint8_t *s = f == GNV_FN_TO_HEX ? NULL : kin_bytes(&k[0], i, &len);
    const uint8_t *s1 = nargs > 1 && f != GNV_FN_LEFT && f != GNV_FN_RIGHT && f != GNV_FN_REPEAT &&
                                f != GNV_FN_LPAD && f != GNV_FN_RPAD
                            ? kin_bytes(&k[1], i, &len1)
                            : NULL;
    switch (f) {
    case GNV_FN_LEFT:
    case GNV_FN_RIGHT: {
        int64_t c = nchars(s, len), m = load1(&k[1], i);
        int64_t keep = m >= 0 ? GNV_MIN(m, c) : GNV_MAX(c + m, 0);
        if (f == GNV_FN_LEFT)
            return gnv__buf_put(b, s, (size_t)char_at(s, len, keep));
        int64_t from = char_at(s, len, c - keep);
        return gnv__buf_put(b, s + from, (size_t)(len - from));
    }
    case GNV_FN_LPAD:
    case GNV_FN_RPAD: {
        int64_t want = load1(&k[1], i), c = nchars(s, len);
        const uint8_t *fill = (const uint8_t *)" ";
        int64_t flen = 1;
        if (nargs > 2)
            fill = kin_bytes(&k[2], i, &flen);
        if (want <= 0)
            return GNV_OK;
        if (want > (int64_t)1 << 20)
            return gnv__error_set(GNV_EINVAL, GNV_SUB_EXPR,
                                  "%s() at row %lld: length %lld is too large",
                                  gnv__expr_func_name(f), (long long)i, (long long)want);
        if (c >= want)
            return gnv__buf_put(b, s, (size_t)char_at(s, len, want));
        if (flen == 0)
            return gnv__buf_put(b, s, (size_t)len);
        if (f == GNV_FN_RPAD)
            GNV_TRY(gnv__buf_put(b, s, (size_t)len));
        GNV_TRY(put_fill(b, fill, flen, want - c));
        if (f == GNV_FN_LPAD)
            GNV_TRY(gnv__buf_put(b, s, (size_t)len));
        return GNV_OK;
    }
    case GNV_FN_REVERSE: {
        GNV_TRY(gnv__buf_reserve(b, (size_t)len));
        int64_t e = len;
        while (e > 0) {
            int64_t st = e - 1;
            while (st > 0 && (s[st] & 0xC0) == 0x80)
                st--;
            GNV_TRY(gnv__buf_put(b, s + st, (size_t)(e - st)));
            e = st;
        }
        return GNV_OK;
    }
    case GNV_FN_REPEAT: {
        int64_t times = load1(&k[1], i);
        if (times <= 0 || len == 0)
            return GNV_OK;
        if (times > ((int64_t)1 << 20) / len)
            return gnv__error_set(GNV_EINVAL, GNV_SUB_EXPR,
                                  "repeat() at row %lld: the result is too large", (long long)i);
        for (int64_t t = 0; t < times; t++)
            GNV_TRY(gnv__buf_put(b, s, (size_t)len));
        return GNV_OK;
    }
    case GNV_FN_SPLIT_PART: {
        int64_t pos = load1(&k[2], i);
        if (pos == 0)
            return gnv__error_set(GNV_EINVAL, GNV_SUB_EXPR,
                                  "split_part() at row %lld: the field position must not be zero",
                                  (long long)i);
        if (len1 == 0) /* an empty delimiter: the whole string is the one part */
            return pos == 1 || pos == -1 ? gnv__buf_put(b, s, (size_t)len) : GNV_OK;
        /* the parts: starts of each */
        int64_t nparts = 1;
        for (int64_t j = 0; j + len1 <= len;) {
            if (memcmp(s + j, s1, (size_t)len1) == 0) {
                nparts++;
                j += len1;
            } else {
                j++;
            }
        }
        int64_t want = pos > 0 ? pos - 1 : nparts + pos;
        if (want < 0 || want >= nparts)
            return GNV_OK;
        int64_t part = 0, start = 0;
        for (int64_t j = 0; j + len1 <= len;) {
            if (memcmp(s + j, s1, (size_t)len1) == 0) {
                if (part == want)
                    return gnv__buf_put(b, s + start, (size_t)(j - start));
                part++;
                j += len1;
                start = j;
            } else {
                j++;
            }
        }
        return gnv__buf_put(b, s + start, (size_t)(len - start));
    }
    case GNV_FN_TO_HEX: {
        char hex[24];
        int64_t v = load1(&k[0], i);
        int m = snprintf(hex, sizeof hex, "%llx", (unsigned long long)v);
        return gnv__buf_put(b, hex, (size_t)m);
    }
    case GNV_FN_INITCAP: {
        /* the first letter or digit of each run of them upper-case, the rest lower-case */
        bool in_word = false;
        GNV_TRY(gnv__buf_reserve(b, (size_t)len + 8));
        for (int64_t j = 0; j < len;) {
            uint32_t c;
            uint8_t enc[4];
            j = gnv__u8_next(s, len, j, &c);
            bool alnum =
                (c < 128 && isalnum((int)c)) || (c >= 128 && gnv__u8_lower(c) != gnv__u8_upper(c));
            uint32_t d = alnum ? (in_word ? gnv__u8_lower(c) : gnv__u8_upper(c)) : c;
            in_word = alnum;
            GNV_TRY(gnv__buf_put(b, enc, (size_t)gnv__u8_put(enc, d)));
        }
        return GNV_OK;
    }
    case GNV_FN_MD5: {
        uint8_t dig[16];
        unsigned dl = 0;
        char hex[33];
        if (!EVP_Digest(s, (size_t)len, dig, &dl, EVP_md5(), NULL))
            return gnv__error_set(GNV_ERROR, GNV_SUB_EXPR, "md5() failed");
        for (int j = 0; j < 16; j++)
            snprintf(hex + 2 * j, 3, "%02x", dig[j]);
        return gnv__buf_put(b, hex, 32);
    }
    default:
        return gnv__error_set(GNV_EINVAL, GNV_SUB_EXPR, "%s() is not a string function",
                              gnv__expr_func_name(f));
    }
}

/* Integer or bool result row. */
static int64_t value_row(gnv_expr_func f, const kin *k, int64_t i)
{
    int64_t len = 0, len1 = 0;
    const uint8_t *s = kin_bytes(&k[0], i, &len);
    if (f == GNV_FN_ASCII) {
        if (len == 0)
            return 0;
        uint32_t cp;
        gnv__u8_next(s, len, 0, &cp);
        return cp;
    }
    const uint8_t *t = kin_bytes(&k[1], i, &len1);
    if (len1 == 0)
        return 1; /* strpos: 1; contains: true */
    for (int64_t j = 0; j + len1 <= len; j++)
        if (memcmp(s + j, t, (size_t)len1) == 0)
            return f == GNV_FN_CONTAINS ? 1 : nchars(s, j) + 1;
    return 0;
}

int gnv__kernel_string_more(struct ArrowArray *out,
                            const gnv_expr_node *node,
                            const gnv_datum *args,
                            int64_t n)
{
    int rc = GNV_OK;
    gnv_expr_func f = node->func;
    int nargs = node->n_args;
    kin k[3];
    kout o = {0};
    gnv_buf b = GNV_BUF_INIT;
    if (nargs < 1 || nargs > 3)
        return gnv__error_set(GNV_EINVAL, GNV_SUB_EXPR, "%s() cannot take %d arguments",
                              gnv__expr_func_name(f), nargs);
    for (int a = 0; a < nargs; a++)
        GNV_TRY(gnv__kin_init(&k[a], &args[a]));
    bool sarg[3] = {f != GNV_FN_TO_HEX,
                    f != GNV_FN_LEFT && f != GNV_FN_RIGHT && f != GNV_FN_REPEAT &&
                        f != GNV_FN_LPAD && f != GNV_FN_RPAD,
                    f != GNV_FN_SPLIT_PART};
    for (int a = 0; a < nargs; a++) {
        bool ok = k[a].type.id == GNV_TYPE_NA || (sarg[a] ? gnv__type_is_binary_like(k[a].type.id)
                                                          : gnv__kdom(k[a].type.id) == KD_I64);
        if (!ok)
            return gnv__error_set(GNV_EINVAL, GNV_SUB_EXPR, "%s(): argument %d cannot be %s",
                                  gnv__expr_func_name(f), a + 1, gnv__ktype_name(args[a].schema));
    }
    const kin *ins[3] = {&k[0], &k[1], &k[2]};
    GNV_TRY(gnv__kout_init(&o, out, &node->type, n, gnv__kany_null(ins, nargs)));
    gnv__kvalidity_and(&o, ins, nargs);
    bool all_null = false;
    for (int a = 0; a < nargs; a++)
        all_null |= k[a].all_null;
    bool str_out = o.offsets != NULL;
    for (int64_t i = 0; i < n; i++) {
        bool valid = !all_null && (!o.validity || kbit(o.validity, i));
        if (str_out) {
            b.size = 0;
            if (valid)
                GNV_TRYG(string_row(&b, f, k, nargs, i));
            GNV_TRYG(gnv__kout_put_str(&o, i, b.ptr, b.size));
        } else if (valid) {
            int64_t v = value_row(f, k, i);
            if (o.type.id == GNV_TYPE_BOOL) {
                if (v)
                    kbit_set(o.values, i, true);
            } else {
                gnv__kstore_i64(&o, i, 1, &v);
            }
        }
    }
    gnv_buf_dispose(&b);
    return gnv__kout_finish(&o);
done:
    gnv_buf_dispose(&b);
    gnv__kout_abort(&o);
    return rc;
}

int gnv__kernel_shift(struct ArrowArray *out,
                      const gnv_expr_node *node,
                      const gnv_datum *args,
                      int64_t n)
{
    int rc = GNV_OK;
    kin k[2];
    kout o = {0};
    for (int a = 0; a < 2; a++) {
        GNV_TRY(gnv__kin_init(&k[a], &args[a]));
        kdom d = gnv__kdom(k[a].type.id);
        if (k[a].type.id != GNV_TYPE_NA && d != KD_I64 && d != KD_U64)
            return gnv__error_set(GNV_EINVAL, GNV_SUB_EXPR, "%s needs integers, not %s",
                                  gnv__expr_op_name(node->op), gnv__ktype_name(args[a].schema));
    }
    const kin *ins[2] = {&k[0], &k[1]};
    GNV_TRY(gnv__kout_init(&o, out, &node->type, n, gnv__kany_null(ins, 2)));
    gnv__kvalidity_and(&o, ins, 2);
    if (k[0].all_null || k[1].all_null || o.type.id == GNV_TYPE_NA)
        return gnv__kout_finish(&o);
    int bits = gnv__type_byte_width(&o.type) * 8;
    if (bits <= 0 || bits > 64)
        GNV_ERR_IF(true, GNV_EINVAL, GNV_SUB_EXPR, "%s cannot return %s",
                   gnv__expr_op_name(node->op), gnv__ktype_name(&node->type));
    bool is_signed = gnv__kdom(o.type.id) == KD_I64;
    for (int64_t i = 0; i < n; i++) {
        uint64_t x = 0, y = 0;
        gnv__kload_u64(&k[0], i, 1, &x);
        gnv__kload_u64(&k[1], i, 1, &y);
        unsigned sh = (unsigned)(y % (uint64_t)bits);
        uint64_t r;
        if (node->op == GNV_EX_SHL) {
            r = x << sh;
        } else if (is_signed) {
            int64_t v;
            gnv__kload_i64(&k[0], i, 1, &v);
            r = (uint64_t)(v >> sh); /* arithmetic on the value, sign-extended */
        } else {
            uint64_t mask = bits == 64 ? UINT64_MAX : (((uint64_t)1 << bits) - 1);
            r = (x & mask) >> sh;
        }
        if (is_signed && bits < 64) {
            /* wrap to the width, then sign-extend */
            uint64_t mask = ((uint64_t)1 << bits) - 1;
            r &= mask;
            if (r >> (bits - 1) & 1)
                r |= ~mask;
            int64_t v = (int64_t)r;
            gnv__kstore_i64(&o, i, 1, &v);
        } else if (is_signed) {
            int64_t v = (int64_t)r;
            gnv__kstore_i64(&o, i, 1, &v);
        } else {
            if (bits < 64)
                r &= ((uint64_t)1 << bits) - 1;
            gnv__kstore_u64(&o, i, 1, &r);
        }
    }
    return gnv__kout_finish(&o);
done:
    gnv__kout_abort(&o);
    return rc;
}

/* Floor division (toward -inf). */
static int64_t fdiv(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

int gnv__kernel_date_trunc(struct ArrowArray *out,
                           const gnv_expr_node *node,
                           const gnv_datum *args,
                           int64_t n)
{
    int rc = GNV_OK;
    kin k[2];
    kout o = {0};
    if (node->n_args != 2)
        return gnv__error_set(GNV_EINVAL, GNV_SUB_EXPR, "date_trunc() takes 2 arguments");
    for (int a = 0; a < 2; a++)
        GNV_TRY(gnv__kin_init(&k[a], &args[a]));
    if (k[1].type.id != GNV_TYPE_TIMESTAMP && k[1].type.id != GNV_TYPE_NA)
        return gnv__error_set(GNV_EINVAL, GNV_SUB_EXPR, "date_trunc() needs a timestamp, not %s",
                              gnv__ktype_name(args[1].schema));
    if (!gnv__type_is_binary_like(k[0].type.id) || !k[0].scalar)
        return gnv__error_set(GNV_EINVAL, GNV_SUB_EXPR,
                              "date_trunc() needs the unit as a string constant");
    char unit[16] = {0};
    if (kin_valid(&k[0], 0)) {
        int64_t ul;
        const uint8_t *u = kin_bytes(&k[0], 0, &ul);
        if (ul > 0 && ul < (int64_t)sizeof unit)
            memcpy(unit, u, (size_t)ul);
    }
    int64_t tz = 0;
    if (k[1].type.id == GNV_TYPE_TIMESTAMP && !gnv__tz_offset(k[1].type.timezone, &tz))
        return gnv__error_set(GNV_EINVAL, GNV_SUB_EXPR,
                              "date_trunc(): time zone '%s' is not supported (only UTC and fixed "
                              "offsets)",
                              k[1].type.timezone);
    const kin *ins[2] = {&k[0], &k[1]};
    GNV_TRY(gnv__kout_init(&o, out, &node->type, n, gnv__kany_null(ins, 2)));
    gnv__kvalidity_and(&o, ins, 2);
    if (k[0].all_null || k[1].all_null || o.type.id == GNV_TYPE_NA)
        return gnv__kout_finish(&o);
    int64_t ups = gnv__unit_per_second(k[1].type.unit);
    int64_t day = 86400 * ups, off = tz * ups;
    int64_t step = 0; /* sub-day units: a fixed step */
    if (strcmp(unit, "day") == 0)
        step = day;
    else if (strcmp(unit, "hour") == 0)
        step = 3600 * ups;
    else if (strcmp(unit, "minute") == 0)
        step = 60 * ups;
    else if (strcmp(unit, "second") == 0)
        step = ups;
    else if (strcmp(unit, "millisecond") == 0)
        step = ups >= 1000 ? ups / 1000 : 1;
    else if (strcmp(unit, "microsecond") == 0)
        step = ups >= 1000000 ? ups / 1000000 : 1;
    bool known = step > 0 || strcmp(unit, "week") == 0 || strcmp(unit, "month") == 0 ||
                 strcmp(unit, "quarter") == 0 || strcmp(unit, "year") == 0;
    GNV_ERR_IF(!known, GNV_EINVAL, GNV_SUB_EXPR, "date_trunc(): unknown unit '%s'", unit);
    for (int64_t i = 0; i < n; i++) {
        if (o.validity && !kbit(o.validity, i))
            continue;
        int64_t v, r;
        gnv__kload_i64(&k[1], i, 1, &v);
        /* local time (the zone's offset), in the column's unit; overflow-safe near the ends */
        int64_t local;
        if (__builtin_add_overflow(v, off, &local)) {
            rc = gnv__error_set(GNV_EINVAL, GNV_SUB_EXPR, "date_trunc() at row %lld: out of range",
                                (long long)i);
            goto done;
        }
        if (step > 0) {
            if (__builtin_mul_overflow(fdiv(local, step), step, &r)) {
                rc = gnv__error_set(GNV_EINVAL, GNV_SUB_EXPR,
                                    "date_trunc() at row %lld: out of range", (long long)i);
                goto done;
            }
        } else {
            int64_t days = fdiv(local, day), y;
            unsigned m, d;
            if (unit[0] == 'w') {
                /* ISO weeks start on Monday; 1970-01-01 was a Thursday */
                int64_t dow = ((days + 3) % 7 + 7) % 7;
                days -= dow;
            } else {
                gnv__civil_from_days(days, &y, &m, &d);
                if (unit[0] == 'y')
                    m = 1;
                else if (unit[0] == 'q')
                    m = (m - 1) / 3 * 3 + 1;
                days = gnv__days_from_civil(y, m, 1);
            }
            if (__builtin_mul_overflow(days, day, &r)) {
                rc = gnv__error_set(GNV_EINVAL, GNV_SUB_EXPR,
                                    "date_trunc() at row %lld: out of range", (long long)i);
                goto done;
            }
        }
        if (__builtin_sub_overflow(r, off, &r)) {
            rc = gnv__error_set(GNV_EINVAL, GNV_SUB_EXPR, "date_trunc() at row %lld: out of range",
                                (long long)i);
            goto done;
        }
        gnv__kstore_i64(&o, i, 1, &r);
    }
    return gnv__kout_finish(&o);
done:
    gnv__kout_abort(&o);
    return rc;
}
