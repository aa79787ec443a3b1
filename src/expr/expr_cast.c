/*
 * CAST and TRY_CAST between types, following arrow-rs's cast kernels as DataFusion uses
 * them (safe = false: a value that does not convert is an error; TRY_CAST gives NULL):
 * - numbers between each other, checked: out of range is an error; floats to integers
 *   truncate toward zero (NaN and infinities do not convert); float64 to float32 rounds
 *   (overflowing to infinity);
 * - numbers, booleans, dates and timestamps to strings: integers in decimal, floats in
 *   the shortest form that reads back exactly, written like arrow-rs (lexical-core):
 *   1.0 is "1.0", 1.5e-7 is "1.5e-7", 1e20 is "1e20" (decimal notation for decimal
 *   exponents -5 to 9), NaN is "NaN", infinities "inf"/"-inf"; dates YYYY-MM-DD;
 *   timestamps YYYY-MM-DDTHH:MM:SS[.fff|.ffffff|.fffffffff] (with a time zone: "Z" for
 *   UTC, else "+02:00" style);
 * - strings to numbers (no surrounding spaces; integers do not accept a fraction),
 *   booleans (true/false, t/f, yes/no, on/off, 1/0 in any case), dates and timestamps;
 * - booleans to and from numbers (0/1, non-zero is true); date32 <-> timestamp; timestamp
 *   units (finer: checked multiplication); integers to and from
 *   date32/timestamp (the stored value); to a coarser timestamp unit truncates toward
 *   zero, to a date takes the day the instant falls in;
 * - string/binary types between each other (binary to string checks UTF-8);
 * - lists to lists by casting their items.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "expr/expr_kernel.h"

static bool is_numeric(gnv_type_id id)
{
    return gnv__type_is_integer(id) || gnv__type_is_floating(id);
}

static bool is_list(gnv_type_id id)
{
    return id == GNV_TYPE_LIST || id == GNV_TYPE_LARGE_LIST || id == GNV_TYPE_FIXED_SIZE_LIST;
}

static int cannot(const struct ArrowSchema *from, const struct ArrowSchema *to)
{
    char a[160];
    snprintf(a, sizeof a, "%s", gnv__ktype_name(from));
    return gnv__error_set(GNV_EINVAL, GNV_SUB_EXPR, "cannot cast %s to %s", a, gnv__ktype_name(to));
}

/* ---- formatting --------------------------------------------------------- */

/* Shortest digits of a finite non-zero |v| that read back as v (as float when f32):
 * digits in d (NUL-terminated), decimal exponent of the first digit in *exp. */
static void shortest(double v, bool f32, char *d, int *exp)
{
    char buf[40];
    for (int prec = 0; prec < 17; prec++) {
        snprintf(buf, sizeof buf, "%.*e", prec, v);
        double back = strtod(buf, NULL);
        if (f32 ? (float)back == (float)v : back == v)
            break;
    }
    /* buf: d[.ddd]e[+-]xx */
    int k = 0;
    const char *p = buf;
    for (; *p && *p != 'e'; p++)
        if (*p >= '0' && *p <= '9')
            d[k++] = *p;
    while (k > 1 && d[k - 1] == '0')
        k--;
    d[k] = 0;
    *exp = *p == 'e' ? atoi(p + 1) : 0;
}

int gnv__format_float(char *out, size_t size, double v, bool f32)
{
    if (isnan(v))
        return snprintf(out, size, "NaN");
    if (isinf(v))
        return snprintf(out, size, v < 0 ? "-inf" : "inf");
    if (v == 0)
        return snprintf(out, size, signbit(v) ? "-0.0" : "0.0");
    char d[40], tmp[80];
    int e, k = 0;
    shortest(fabs(v), f32, d, &e);
    int nd = (int)strlen(d);
    if (v < 0)
        tmp[k++] = '-';
    if (e < -5 || e > 9) {
        tmp[k++] = d[0];
        if (nd > 1) {
            tmp[k++] = '.';
            memcpy(tmp + k, d + 1, (size_t)nd - 1);
            k += nd - 1;
        }
        k += snprintf(tmp + k, sizeof tmp - (size_t)k, "e%d", e);
    } else if (e < 0) {
        tmp[k++] = '0';
        tmp[k++] = '.';
        for (int z = 0; z < -e - 1; z++)
            tmp[k++] = '0';
        memcpy(tmp + k, d, (size_t)nd);
        k += nd;
    } else {
        for (int i = 0; i <= e; i++)
            tmp[k++] = i < nd ? d[i] : '0';
        tmp[k++] = '.';
        if (nd > e + 1) {
            memcpy(tmp + k, d + e + 1, (size_t)(nd - e - 1));
            k += nd - e - 1;
        } else {
            tmp[k++] = '0';
        }
    }
    tmp[k] = 0;
    return snprintf(out, size, "%s", tmp);
}

static int format_date(char *out, size_t size, int64_t days)
{
    int64_t y;
    unsigned m, d;
    gnv__civil_from_days(days, &y, &m, &d);
    if (y >= 0 && y <= 9999)
        return snprintf(out, size, "%04lld-%02u-%02u", (long long)y, m, d);
    if (y > 9999)
        return snprintf(out, size, "+%lld-%02u-%02u", (long long)y, m, d);
    return snprintf(out, size, "-%04lld-%02u-%02u", (long long)-y, m, d);
}

static int format_timestamp(
    char *out, size_t size, int64_t v, gnv_time_unit unit, const char *tz, int64_t tz_secs)
{
    int64_t per = gnv__unit_per_second(unit);
    int64_t sec = v / per, frac = v % per;
    if (frac < 0)
        frac += per, sec--;
    int64_t local;
    if (tz && !__builtin_add_overflow(sec, tz_secs, &local))
        sec = local; /* (at the very ends of the range the offset is left out) */
    int64_t days = sec / 86400, s = sec % 86400;
    if (s < 0)
        s += 86400, days--;
    int k = format_date(out, size, days);
    k += snprintf(out + k, size - (size_t)k, "T%02lld:%02lld:%02lld", (long long)(s / 3600),
                  (long long)(s / 60 % 60), (long long)(s % 60));
    if (frac) {
        int64_t ns = frac * (1000000000 / per);
        if (ns % 1000000 == 0)
            k += snprintf(out + k, size - (size_t)k, ".%03lld", (long long)(ns / 1000000));
        else if (ns % 1000 == 0)
            k += snprintf(out + k, size - (size_t)k, ".%06lld", (long long)(ns / 1000));
        else
            k += snprintf(out + k, size - (size_t)k, ".%09lld", (long long)ns);
    }
    if (tz && tz_secs == 0) {
        k += snprintf(out + k, size - (size_t)k, "Z");
    } else if (tz) {
        int64_t a = tz_secs < 0 ? -tz_secs : tz_secs;
        k += snprintf(out + k, size - (size_t)k, "%c%02lld:%02lld", tz_secs < 0 ? '-' : '+',
                      (long long)(a / 3600), (long long)(a / 60 % 60));
    }
    return k;
}

/* ---- parsing ------------------------------------------------------------ */

static bool parse_i64(const uint8_t *s, int64_t n, int64_t *out)
{
    int64_t i = 0;
    bool neg = false;
    if (i < n && (s[i] == '+' || s[i] == '-'))
        neg = s[i++] == '-';
    if (i == n)
        return false;
    uint64_t v = 0;
    for (; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        if (v > (UINT64_MAX - 9) / 10)
            return false;
        v = v * 10 + (uint64_t)(s[i] - '0');
    }
    if (neg) {
        if (v > (uint64_t)INT64_MAX + 1)
            return false;
        *out = v == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)v;
    } else {
        if (v > (uint64_t)INT64_MAX)
            return false;
        *out = (int64_t)v;
    }
    return true;
}

static bool parse_u64(const uint8_t *s, int64_t n, uint64_t *out)
{
    int64_t i = 0;
    if (i < n && s[i] == '+')
        i++;
    if (i == n)
        return false;
    uint64_t v = 0;
    for (; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        if (__builtin_mul_overflow(v, 10, &v) || __builtin_add_overflow(v, s[i] - '0', &v))
            return false;
    }
    *out = v;
    return true;
}

static bool parse_f64(const uint8_t *s, int64_t n, double *out)
{
    char buf[64];
    int64_t i = 0;
    if (n <= 0 || n >= (int64_t)sizeof buf) {
        if (n <= 0 || n > 4096)
            return false;
    }
    if (i < n && (s[i] == '+' || s[i] == '-'))
        i++;
    int64_t rest = n - i;
    const char *r = (const char *)s + i;
    if ((rest == 3 && strncasecmp(r, "inf", 3) == 0) ||
        (rest == 8 && strncasecmp(r, "infinity", 8) == 0)) {
        *out = s[0] == '-' ? -INFINITY : INFINITY;
        return true;
    }
    if (rest == 3 && strncasecmp(r, "nan", 3) == 0) {
        *out = NAN;
        return true;
    }
    /* digits [. digits] [e [sign] digits] */
    int64_t j = i, dig = 0;
    while (j < n && s[j] >= '0' && s[j] <= '9')
        j++, dig++;
    if (j < n && s[j] == '.') {
        j++;
        while (j < n && s[j] >= '0' && s[j] <= '9')
            j++, dig++;
    }
    if (!dig)
        return false;
    if (j < n && (s[j] == 'e' || s[j] == 'E')) {
        j++;
        if (j < n && (s[j] == '+' || s[j] == '-'))
            j++;
        int64_t ed = 0;
        while (j < n && s[j] >= '0' && s[j] <= '9')
            j++, ed++;
        if (!ed)
            return false;
    }
    if (j != n)
        return false;
    char *heap = NULL, *p = buf;
    if (n >= (int64_t)sizeof buf) {
        heap = gnv__malloc((size_t)n + 1);
        if (!heap)
            return false;
        p = heap;
    }
    memcpy(p, s, (size_t)n);
    p[n] = 0;
    *out = strtod(p, NULL);
    gnv__free(heap);
    return true;
}

static bool parse_bool(const uint8_t *s, int64_t n, bool *out)
{
    static const char *const t[] = {"t", "tr", "tru", "true", "y", "ye", "yes", "on", "1"};
    static const char *const f[] = {"f", "fa", "fal", "fals", "false", "n", "no", "off", "0"};
    for (size_t i = 0; i < GNV_ARRAY_SIZE(t); i++)
        if ((int64_t)strlen(t[i]) == n && strncasecmp(t[i], (const char *)s, (size_t)n) == 0)
            return *out = true, true;
    for (size_t i = 0; i < GNV_ARRAY_SIZE(f); i++)
        if ((int64_t)strlen(f[i]) == n && strncasecmp(f[i], (const char *)s, (size_t)n) == 0)
            return *out = false, true;
    return false;
}

/* ---- the cast ----------------------------------------------------------- */

typedef struct cctx {
    const kin *k;
    const struct ArrowSchema *from, *to;
    gnv_type t;
    bool try_cast;
    kout o;
} cctx;

/* A row that does not convert: NULL under TRY_CAST, else the error. */
static int bad_row(cctx *c, int64_t i, const char *value, const char *why)
{
    if (c->try_cast) {
        kbit_set(c->o.validity, i, false);
        return GNV_OK;
    }
    char a[160];
    snprintf(a, sizeof a, "%s", gnv__ktype_name(c->from));
    return gnv__error_set(GNV_EINVAL, GNV_SUB_EXPR, "cannot cast %s value %s to %s at row %lld%s%s",
                          a, value, gnv__ktype_name(c->to), (long long)i, why ? ": " : "",
                          why ? why : "");
}

static bool row_valid(const cctx *c, int64_t i)
{
    return !c->o.validity || kbit(c->o.validity, i);
}

/* Numbers, booleans, dates and timestamps to each other. */
static int cast_fixed(cctx *c, int64_t n)
{
    int rc = GNV_OK;
    const kin *k = c->k;
    gnv_type_id fid = k->type.id, tid = c->t.id;
    kdom fd = gnv__kdom(fid), td = gnv__kdom(tid);
    bool ftime = fid == GNV_TYPE_DATE32 || fid == GNV_TYPE_TIMESTAMP;
    bool ttime = tid == GNV_TYPE_DATE32 || tid == GNV_TYPE_TIMESTAMP;
    if ((ftime && (td == KD_F64 || tid == GNV_TYPE_BOOL)) ||
        (ttime && (fd == KD_F64 || fid == GNV_TYPE_BOOL)))
        return cannot(c->from, c->to);
    /* time conversions: a multiplier or a divisor */
    int64_t mul = 1, div = 1, tz_shift = 0;
    if (ftime && ttime) {
        int64_t fper = fid == GNV_TYPE_DATE32 ? 86400 : 1,
                tper = tid == GNV_TYPE_DATE32 ? 86400 : 1;
        int64_t fu = fid == GNV_TYPE_TIMESTAMP ? gnv__unit_per_second(k->type.unit) : 1;
        int64_t tu = tid == GNV_TYPE_TIMESTAMP ? gnv__unit_per_second(c->t.unit) : 1;
        /* value_to = value_from * (fper * tu) / (tper * fu) */
        int64_t num = fper * tu, den = tper * fu;
        if (num >= den)
            mul = num / den;
        else
            div = den / num;
        if (fid == GNV_TYPE_TIMESTAMP && tid == GNV_TYPE_DATE32) {
            /* the date in the timestamp's zone */
            if (!gnv__tz_offset(k->type.timezone, &tz_shift))
                tz_shift = 0;
            tz_shift *= fu;
        }
    }
    int64_t lo, hi;
    gnv__krange(tid, &lo, &hi);
    void *buf = gnv__malloc(KCHUNK * 8);
    if (!buf)
        return gnv__error_oom();
    char text[64];
    for (int64_t s = 0; s < n; s += KCHUNK) {
        int64_t m = GNV_MIN(KCHUNK, n - s);
        if (td == KD_F64) {
            double *x = buf;
            gnv__kload_f64(k, s, m, x);
            gnv__kstore_f64(&c->o, s, m, x);
            continue;
        }
        if (tid == GNV_TYPE_BOOL) {
            int64_t *r = buf;
            if (fd == KD_F64) {
                double v;
                for (int64_t j = 0; j < m; j++) {
                    gnv__kload_f64(k, s + j, 1, &v);
                    r[j] = v != 0;
                }
            } else {
                gnv__kload_i64(k, s, m, r);
                for (int64_t j = 0; j < m; j++)
                    r[j] = r[j] != 0;
            }
            gnv__kstore_i64(&c->o, s, m, r);
            continue;
        }
        if (fd == KD_F64) {
            double *x = buf;
            gnv__kload_f64(k, s, m, x);
            for (int64_t j = 0; j < m; j++) {
                double v = trunc(x[j]);
                bool ok;
                if (td == KD_U64)
                    ok = v > -1.0 && v < 18446744073709551616.0;
                else
                    ok = v >= -9223372036854775808.0 && v < 9223372036854775808.0 &&
                         (int64_t)v >= lo && (int64_t)v <= hi;
                if (!ok && row_valid(c, s + j)) {
                    gnv__format_float(text, sizeof text, x[j], fid == GNV_TYPE_FLOAT);
                    GNV_TRYG(bad_row(c, s + j, text, "out of range"));
                }
                x[j] = ok ? v : 0;
            }
            gnv__kstore_f64(&c->o, s, m, x);
            continue;
        }
        if (fd == KD_U64) {
            uint64_t *x = buf;
            gnv__kload_u64(k, s, m, x);
            for (int64_t j = 0; j < m; j++) {
                bool ok = td == KD_U64 || x[j] <= (uint64_t)hi;
                if (!ok && row_valid(c, s + j)) {
                    snprintf(text, sizeof text, "%llu", (unsigned long long)x[j]);
                    GNV_TRYG(bad_row(c, s + j, text, "out of range"));
                }
                if (!ok)
                    x[j] = 0;
            }
            gnv__kstore_u64(&c->o, s, m, x);
            continue;
        }
        int64_t *x = buf;
        gnv__kload_i64(k, s, m, x);
        for (int64_t j = 0; j < m; j++) {
            int64_t v = x[j];
            bool ok = true;
            if (tz_shift && __builtin_add_overflow(v, tz_shift, &v))
                ok = false;
            if (mul != 1 && __builtin_mul_overflow(v, mul, &v))
                ok = false;
            if (div != 1) {
                /* to a date: the day the instant falls in; to a coarser unit: truncated
                 * toward zero, as arrow-rs */
                int64_t q = v / div;
                if (tid == GNV_TYPE_DATE32 && v % div != 0 && v < 0)
                    q--;
                v = q;
            }
            if (ok && td == KD_U64)
                ok = v >= 0;
            else if (ok)
                ok = v >= lo && v <= hi;
            if (!ok && row_valid(c, s + j)) {
                snprintf(text, sizeof text, "%lld", (long long)x[j]);
                GNV_TRYG(bad_row(c, s + j, text, "out of range"));
            }
            x[j] = ok ? v : 0;
        }
        gnv__kstore_i64(&c->o, s, m, x);
    }
done:
    gnv__free(buf);
    return rc;
}

static int cast_to_string(cctx *c, int64_t n)
{
    const kin *k = c->k;
    gnv_type_id fid = k->type.id;
    char text[96];
    int64_t tz_secs = 0;
    const char *tz = NULL;
    if (fid == GNV_TYPE_TIMESTAMP && k->type.timezone && *k->type.timezone) {
        tz = k->type.timezone;
        if (!gnv__tz_offset(tz, &tz_secs))
            tz_secs = 0;
    }
    for (int64_t i = 0; i < n; i++) {
        if (!row_valid(c, i)) {
            GNV_TRY(gnv__kout_put_str(&c->o, i, NULL, 0));
            continue;
        }
        int len;
        if (gnv__type_is_binary_like(fid) || fid == GNV_TYPE_FIXED_SIZE_BINARY) {
            int64_t l;
            const uint8_t *p = kin_bytes(k, i, &l);
            bool is_text = c->t.id == GNV_TYPE_STRING || c->t.id == GNV_TYPE_LARGE_STRING;
            bool from_bin = fid == GNV_TYPE_BINARY || fid == GNV_TYPE_LARGE_BINARY ||
                            fid == GNV_TYPE_FIXED_SIZE_BINARY;
            if (is_text && from_bin && gnv__utf8_invalid_at(p, (size_t)l) >= 0) {
                GNV_TRY(bad_row(c, i, "(binary)", "not valid UTF-8"));
                GNV_TRY(gnv__kout_put_str(&c->o, i, NULL, 0));
                continue;
            }
            GNV_TRY(gnv__kout_put_str(&c->o, i, p, (size_t)l));
            continue;
        }
        switch (gnv__kdom(fid)) {
        case KD_U64: {
            uint64_t v;
            gnv__kload_u64(k, i, 1, &v);
            len = snprintf(text, sizeof text, "%llu", (unsigned long long)v);
            break;
        }
        case KD_F64: {
            double v;
            gnv__kload_f64(k, i, 1, &v);
            len = gnv__format_float(text, sizeof text, v, fid != GNV_TYPE_DOUBLE);
            break;
        }
        default: {
            int64_t v;
            gnv__kload_i64(k, i, 1, &v);
            if (fid == GNV_TYPE_BOOL)
                len = snprintf(text, sizeof text, "%s", v ? "true" : "false");
            else if (fid == GNV_TYPE_DATE32)
                len = format_date(text, sizeof text, v);
            else if (fid == GNV_TYPE_TIMESTAMP)
                len = format_timestamp(text, sizeof text, v, k->type.unit, tz, tz_secs);
            else
                len = snprintf(text, sizeof text, "%lld", (long long)v);
            break;
        }
        }
        if (len < 0)
            len = 0;
        if ((size_t)len >= sizeof text)
            len = (int)sizeof text - 1;
        GNV_TRY(gnv__kout_put_str(&c->o, i, text, (size_t)len));
    }
    return GNV_OK;
}

static int cast_from_string(cctx *c, int64_t n)
{
    const kin *k = c->k;
    gnv_type_id tid = c->t.id;
    kdom td = gnv__kdom(tid);
    int64_t lo, hi;
    gnv__krange(tid, &lo, &hi);
    int64_t tz_secs = 0;
    if (tid == GNV_TYPE_TIMESTAMP && !gnv__tz_offset(c->t.timezone, &tz_secs))
        tz_secs = 0;
    char shown[80];
    for (int64_t i = 0; i < n; i++) {
        if (!row_valid(c, i))
            continue;
        int64_t l;
        const uint8_t *p = kin_bytes(k, i, &l);
        bool ok = true;
        int64_t iv = 0;
        uint64_t uv = 0;
        double dv = 0;
        if (tid == GNV_TYPE_BOOL) {
            bool b = false;
            ok = parse_bool(p, l, &b);
            iv = b;
        } else if (tid == GNV_TYPE_DATE32) {
            int32_t d = 0;
            ok = gnv__parse_date32((const char *)p, (size_t)l, &d);
            iv = d;
        } else if (tid == GNV_TYPE_TIMESTAMP) {
            bool has_tz = false;
            ok = gnv__parse_timestamp((const char *)p, (size_t)l, c->t.unit, true, &iv, &has_tz);
            if (ok && !has_tz && tz_secs &&
                __builtin_sub_overflow(iv, tz_secs * gnv__unit_per_second(c->t.unit), &iv))
                ok = false;
        } else if (td == KD_F64) {
            ok = parse_f64(p, l, &dv);
        } else if (td == KD_U64) {
            ok = parse_u64(p, l, &uv);
        } else {
            ok = parse_i64(p, l, &iv) && iv >= lo && iv <= hi;
        }
        if (!ok) {
            snprintf(shown, sizeof shown, "'%.*s%s'", (int)(l > 60 ? 60 : l), (const char *)p,
                     l > 60 ? "..." : "");
            GNV_TRY(bad_row(c, i, shown, NULL));
            continue;
        }
        if (td == KD_F64)
            gnv__kstore_f64(&c->o, i, 1, &dv);
        else if (td == KD_U64)
            gnv__kstore_u64(&c->o, i, 1, &uv);
        else
            gnv__kstore_i64(&c->o, i, 1, &iv);
    }
    return GNV_OK;
}

static int cast_list(
    struct ArrowArray *out, const kin *k, const struct ArrowSchema *to, bool try_cast, int64_t n)
{
    int rc = GNV_OK;
    gnv_type t;
    struct ArrowArray cc = {0}, hdr;
    GNV_TRY(gnv__type_parse(&t, to->format));
    if (to->n_children != 1 || k->array->n_children != 1 || k->schema->n_children != 1)
        return cannot(k->schema, to);
    bool fsl_from = k->type.id == GNV_TYPE_FIXED_SIZE_LIST;
    if ((t.id == GNV_TYPE_FIXED_SIZE_LIST) != fsl_from ||
        (fsl_from && t.fixed_size != k->type.fixed_size))
        return cannot(k->schema, to);
    const struct ArrowArray *child = k->array->children[0];
    hdr = *child;
    hdr.release = NULL;
    int64_t first = 0, count = child->length;
    if (fsl_from) {
        first = k->off * k->type.fixed_size;
        count = n * k->type.fixed_size;
        if (first + count > child->length)
            return gnv__error_set(GNV_EINVAL, GNV_SUB_EXPR, "a list's items are too short");
        hdr.offset = child->offset + first;
        hdr.length = count;
        hdr.null_count = child->null_count == 0 ? 0 : -1;
    }
    gnv_datum cd = kdatum(k->schema->children[0], &hdr, false);
    GNV_TRY(gnv__expr_cast(&cc, &cd, to->children[0], try_cast, count));
    GNV_TRYG(gnv__array_init(out, to));
    if (k->validity) {
        GNV_TRYG(gnv__array_append_null(out, 1));
        for (int b = 0; b < out->n_buffers; b++)
            gnv__array_buffer(out, b)->size = 0;
        out->length = 0;
        out->null_count = 0;
    }
    if (!fsl_from) {
        gnv_buf *ob = gnv__array_buffer(out, 1);
        bool large = t.id == GNV_TYPE_LARGE_LIST;
        int64_t last = 0;
        for (int64_t i = 0; i <= n; i++) {
            int64_t v = last, e = last;
            if (i < n) {
                kin_list_range(k, i, &v, &e);
                last = e;
            }
            if (large) {
                GNV_TRYG(gnv__buf_put(ob, &v, 8));
            } else {
                GNV_ERR_IF(v > INT32_MAX, GNV_EINVAL, GNV_SUB_EXPR,
                           "list offsets overflow; cast to a large_list");
                int32_t v32 = (int32_t)v;
                GNV_TRYG(gnv__buf_put(ob, &v32, 4));
            }
        }
    }
    if (k->validity) {
        gnv_buf *vb = gnv__array_buffer(out, 0);
        GNV_TRYG(gnv__buf_put_zeros(vb, (size_t)(n + 7) / 8 + 1));
        vb->size = (size_t)(n + 7) / 8;
        gnv__kbits_copy((uint8_t *)vb->ptr, k->validity, k->off, n);
        out->null_count = n - gnv__kbits_count((const uint8_t *)vb->ptr, n);
    }
    out->length = n;
    gnv__array_release(out->children[0]);
    gnv__array_move(&cc, out->children[0]);
    GNV_TRYG(gnv__array_finish(out));
    return GNV_OK;
done:
    gnv__array_release(&cc);
    gnv__array_release(out);
    return rc;
}

int gnv__expr_cast(struct ArrowArray *out,
                   const gnv_datum *in,
                   const struct ArrowSchema *to,
                   bool try_cast,
                   int64_t n)
{
    int rc = GNV_OK;
    kin k;
    cctx c;
    memset(out, 0, sizeof *out);
    memset(&c, 0, sizeof c);
    if (in->scalar && n != 1) {
        /* cast the one value, then repeat it */
        struct ArrowArray one = {0};
        GNV_TRY(gnv__expr_cast(&one, in, to, try_cast, 1));
        gnv_datum d = kdatum(to, &one, true);
        rc = gnv__kbroadcast(out, &d, n);
        gnv__array_release(&one);
        return rc;
    }
    GNV_TRY(gnv__kin_init(&k, in));
    GNV_TRY(gnv__type_parse(&c.t, to->format));
    gnv_type_id fid = k.type.id, tid = c.t.id;
    if (to->dictionary)
        return cannot(in->schema, to);
    if (strcmp(in->schema->format, to->format) == 0 && !is_list(tid) && tid != GNV_TYPE_STRUCT)
        return gnv__kgather(out, to, &k, NULL, n);
    if (fid == GNV_TYPE_NA || tid == GNV_TYPE_NA) {
        if (fid != GNV_TYPE_NA && tid == GNV_TYPE_NA)
            return cannot(in->schema, to);
        GNV_TRY(gnv__array_init(out, to));
        rc = gnv__array_append_null(out, n);
        if (rc >= 0)
            rc = gnv__array_finish(out);
        if (rc < 0)
            gnv__array_release(out);
        return rc;
    }
    if (gnv__kcast_ext_handles(fid, tid))
        return gnv__kcast_ext(out, &k, in->schema, to, try_cast, n);
    if (is_list(fid) && is_list(tid))
        return cast_list(out, &k, to, try_cast, n);
    if (is_list(fid) && (tid == GNV_TYPE_STRING || tid == GNV_TYPE_LARGE_STRING))
        return gnv__klist_to_text(out, in, NULL, to, n);
    bool fnum = is_numeric(fid) || fid == GNV_TYPE_BOOL || fid == GNV_TYPE_DATE32 ||
                fid == GNV_TYPE_TIMESTAMP;
    bool tnum = is_numeric(tid) || tid == GNV_TYPE_BOOL || tid == GNV_TYPE_DATE32 ||
                tid == GNV_TYPE_TIMESTAMP;
    bool fstr = gnv__type_is_binary_like(fid) || fid == GNV_TYPE_FIXED_SIZE_BINARY;
    bool tstr = gnv__type_is_binary_like(tid);
    bool tstring = tid == GNV_TYPE_STRING || tid == GNV_TYPE_LARGE_STRING;
    bool fstring = fid == GNV_TYPE_STRING || fid == GNV_TYPE_LARGE_STRING;
    if (!((fnum && tnum) || (fnum && tstring) || (fstring && tnum) || (fstr && tstr)))
        return cannot(in->schema, to);
    const kin *ins[1] = {&k};
    c.k = &k;
    c.from = in->schema;
    c.to = to;
    c.try_cast = try_cast;
    GNV_TRY(gnv__kout_init(&c.o, out, to, n, try_cast || gnv__kany_null(ins, 1)));
    gnv__kvalidity_and(&c.o, ins, 1);
    if (!k.all_null) {
        if (fnum && tnum)
            GNV_TRYG(cast_fixed(&c, n));
        else if (tstr)
            GNV_TRYG(cast_to_string(&c, n));
        else
            GNV_TRYG(cast_from_string(&c, n));
    } else if (tstr) {
        for (int64_t i = 0; i < n; i++)
            GNV_TRYG(gnv__kout_put_str(&c.o, i, NULL, 0));
    }
    return gnv__kout_finish(&c.o);
done:
    gnv__kout_abort(&c.o);
    return rc;
}
