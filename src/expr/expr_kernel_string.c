/*
 * String functions over UTF-8 characters (not bytes): lower, upper, length,
 * octet_length, trim/ltrim/rtrim, substr, concat and ||, replace, starts_with,
 * ends_with. Case mapping is simple (one character to one character, plus German sharp
 * s upper-casing to "SS" as Rust does) and covers ASCII, Latin-1, Latin Extended-A,
 * basic Greek and Cyrillic; other characters are kept as they are.
 */
#include <string.h>

#include "expr/expr_kernel.h"

/* ---- UTF-8 and case mapping ---------------------------------------------- */

int64_t gnv__u8_next(const uint8_t *s, int64_t len, int64_t i, uint32_t *cp)
{
    uint8_t c = s[i];
    if (c < 0x80) {
        *cp = c;
        return i + 1;
    }
    int n = c >= 0xF0 ? 3 : c >= 0xE0 ? 2 : c >= 0xC0 ? 1 : 0;
    bool ok = n > 0 && i + n < len;
    for (int k = 1; ok && k <= n; k++)
        ok = (s[i + k] & 0xC0) == 0x80;
    if (!ok) {
        *cp = c; /* invalid or truncated: one byte stands for itself */
        return i + 1;
    }
    uint32_t v = c & (0x3F >> n);
    for (int k = 1; k <= n; k++)
        v = v << 6 | (s[i + k] & 0x3F);
    *cp = v;
    return i + n + 1;
}

int gnv__u8_put(uint8_t *out, uint32_t c)
{
    if (c < 0x80) {
        out[0] = (uint8_t)c;
        return 1;
    }
    if (c < 0x800) {
        out[0] = (uint8_t)(0xC0 | c >> 6);
        out[1] = (uint8_t)(0x80 | (c & 0x3F));
        return 2;
    }
    if (c < 0x10000) {
        out[0] = (uint8_t)(0xE0 | c >> 12);
        out[1] = (uint8_t)(0x80 | (c >> 6 & 0x3F));
        out[2] = (uint8_t)(0x80 | (c & 0x3F));
        return 3;
    }
    out[0] = (uint8_t)(0xF0 | (c >> 18 & 0x07));
    out[1] = (uint8_t)(0x80 | (c >> 12 & 0x3F));
    out[2] = (uint8_t)(0x80 | (c >> 6 & 0x3F));
    out[3] = (uint8_t)(0x80 | (c & 0x3F));
    return 4;
}

uint32_t gnv__u8_lower(uint32_t c)
{
    if (c < 0x80)
        return c >= 'A' && c <= 'Z' ? c + 32 : c;
    if (c >= 0xC0 && c <= 0xDE && c != 0xD7)
        return c + 32;
    if (c >= 0x100 && c <= 0x137 && c != 0x130)
        return c | 1;
    if (c == 0x130)
        return 'i';
    if (c >= 0x139 && c <= 0x148)
        return (c & 1) ? c + 1 : c;
    if (c >= 0x14A && c <= 0x177)
        return c | 1;
    if (c == 0x178)
        return 0xFF;
    if (c >= 0x179 && c <= 0x17E)
        return (c & 1) ? c + 1 : c;
    if (c >= 0x391 && c <= 0x3A9 && c != 0x3A2)
        return c + 32;
    if (c == 0x386)
        return 0x3AC;
    if (c >= 0x388 && c <= 0x38A)
        return c + 37;
    if (c == 0x38C)
        return 0x3CC;
    if (c == 0x38E || c == 0x38F)
        return c + 63;
    if (c >= 0x410 && c <= 0x42F)
        return c + 32;
    if (c >= 0x400 && c <= 0x40F)
        return c + 80;
    return c;
}

uint32_t gnv__u8_upper(uint32_t c)
{
    if (c < 0x80)
        return c >= 'a' && c <= 'z' ? c - 32 : c;
    if (c >= 0xE0 && c <= 0xFE && c != 0xF7)
        return c - 32;
    if (c == 0xFF)
        return 0x178;
    if (c == 0xB5)
        return 0x39C;
    if (c >= 0x100 && c <= 0x137 && c != 0x131)
        return c & ~1u;
    if (c == 0x131)
        return 'I';
    if (c >= 0x139 && c <= 0x148)
        return (c & 1) ? c : c - 1;
    if (c >= 0x14A && c <= 0x177)
        return c & ~1u;
    if (c >= 0x179 && c <= 0x17E)
        return (c & 1) ? c : c - 1;
    if (c >= 0x3B1 && c <= 0x3C9 && c != 0x3C2)
        return c - 32;
    if (c == 0x3C2)
        return 0x3A3;
    if (c == 0x3AC)
        return 0x386;
    if (c >= 0x3AD && c <= 0x3AF)
        return c - 37;
    if (c == 0x3CC)
        return 0x38C;
    if (c == 0x3CD || c == 0x3CE)
        return c - 63;
    if (c >= 0x430 && c <= 0x44F)
        return c - 32;
    if (c >= 0x450 && c <= 0x45F)
        return c - 80;
    return c;
}

/* ---- helpers -------------------------------------------------------------- */

static bool is_str(const kin *k)
{
    return gnv__type_is_binary_like(k->type.id) || k->type.id == GNV_TYPE_NA;
}

static int64_t count_chars(const uint8_t *p, int64_t len)
{
    int64_t c = 0;
    for (int64_t i = 0; i < len; i++)
        c += (p[i] & 0xC0) != 0x80;
    return c;
}

/* Byte offset of character `k` (0-based) in p, or len when past the end. */
static int64_t char_offset(const uint8_t *p, int64_t len, int64_t k)
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

static bool in_set(uint32_t c, const uint8_t *set, int64_t n)
{
    for (int64_t i = 0; i < n;) {
        uint32_t d;
        i = gnv__u8_next(set, n, i, &d);
        if (d == c)
            return true;
    }
    return false;
}

static int case_map(kout *o, const uint8_t *p, int64_t len, bool upper)
{
    GNV_TRY(gnv__buf_reserve(o->bytes, (size_t)len * 2 + 4));
    uint8_t *d = (uint8_t *)o->bytes->ptr + o->bytes->size, *d0 = d;
    for (int64_t i = 0; i < len;) {
        uint8_t b = p[i];
        if (b < 0x80) {
            *d++ =
                upper ? (b >= 'a' && b <= 'z' ? b - 32 : b) : (b >= 'A' && b <= 'Z' ? b + 32 : b);
            i++;
            continue;
        }
        uint32_t c;
        int64_t j = gnv__u8_next(p, len, i, &c);
        if (j == i + 1 && b >= 0x80) {
            *d++ = b; /* not UTF-8: copied */
            i = j;
            continue;
        }
        i = j;
        if (upper && c == 0xDF) {
            *d++ = 'S';
            *d++ = 'S';
            continue;
        }
        if (!upper && c == 0x130) {
            /* capital I with dot: i and a combining dot above, as Rust */
            *d++ = 'i';
            d += gnv__u8_put(d, 0x307);
            continue;
        }
        uint32_t m = upper ? gnv__u8_upper(c) : gnv__u8_lower(c);
        d += gnv__u8_put(d, m);
    }
    o->bytes->size += (size_t)(d - d0);
    return GNV_OK;
}

/* Rust's str::replace: every non-overlapping occurrence, left to right; an empty
 * pattern matches between characters and at both ends. */
static int replace_into(gnv_buf *b,
                        const uint8_t *s,
                        int64_t n,
                        const uint8_t *from,
                        int64_t fl,
                        const uint8_t *to,
                        int64_t tl)
{
    if (fl == 0) {
        for (int64_t i = 0; i < n;) {
            GNV_TRY(gnv__buf_put(b, to, (size_t)tl));
            uint32_t c;
            int64_t j = gnv__u8_next(s, n, i, &c);
            GNV_TRY(gnv__buf_put(b, s + i, (size_t)(j - i)));
            i = j;
        }
        return gnv__buf_put(b, to, (size_t)tl);
    }
    int64_t i = 0;
    while (i <= n - fl) {
        const uint8_t *hit = memmem(s + i, (size_t)(n - i), from, (size_t)fl);
        if (!hit)
            break;
        int64_t at = hit - s;
        GNV_TRY(gnv__buf_put(b, s + i, (size_t)(at - i)));
        GNV_TRY(gnv__buf_put(b, to, (size_t)tl));
        i = at + fl;
    }
    if (i < n)
        GNV_TRY(gnv__buf_put(b, s + i, (size_t)(n - i)));
    return GNV_OK;
}

static int64_t sat_add(int64_t a, int64_t b)
{
    int64_t r;
    if (__builtin_add_overflow(a, b, &r))
        return b > 0 ? INT64_MAX : INT64_MIN;
    return r;
}

/* ---- the kernel --------------------------------------------------------- */

int gnv__kernel_string(struct ArrowArray *out,
                       const gnv_expr_node *node,
                       const gnv_datum *args,
                       int64_t n)
{
    int rc = GNV_OK;
    kout o = {0};
    kin k[8];
    kin *ks = k;
    int64_t *ibuf = NULL;
    gnv_buf tmp = GNV_BUF_INIT;
    int nargs = node->n_args;
    gnv_expr_func f = node->op == GNV_EX_CONCAT_OP ? GNV_FN_COUNT_ : node->func;
    const char *name = node->op == GNV_EX_CONCAT_OP ? "||" : gnv__expr_func_name(f);
    int min = 1, max = 1;
    switch (f) {
    case GNV_FN_TRIM:
    case GNV_FN_LTRIM:
    case GNV_FN_RTRIM:
        max = 2;
        break;
    case GNV_FN_SUBSTR:
        min = 2, max = 3;
        break;
    case GNV_FN_CONCAT:
        min = 0, max = INT32_MAX;
        break;
    case GNV_FN_REPLACE:
        min = max = 3;
        break;
    case GNV_FN_STARTS_WITH:
    case GNV_FN_ENDS_WITH:
        min = max = 2;
        break;
    case GNV_FN_REGEXP_MATCH:
    case GNV_FN_REGEXP_LIKE:
        return gnv__kernel_like(out, node, args, n);
    case GNV_FN_COUNT_: /* || */
        min = max = 2;
        break;
    default:
        break;
    }
    if (nargs < min || nargs > max)
        return gnv__error_set(GNV_EINVAL, GNV_SUB_EXPR, "%s() cannot take %d arguments", name,
                              nargs);
    if (nargs > 8) {
        ks = gnv__calloc((size_t)nargs, sizeof *ks);
        if (!ks)
            return gnv__error_oom();
    }
    for (int i = 0; i < nargs; i++) {
        GNV_TRYG(gnv__kin_init(&ks[i], &args[i]));
        bool want_int = f == GNV_FN_SUBSTR && i > 0;
        bool ok = want_int
                      ? (gnv__kdom(ks[i].type.id) == KD_I64 && ks[i].type.id != GNV_TYPE_BOOL) ||
                            ks[i].type.id == GNV_TYPE_NA
                      : is_str(&ks[i]);
        GNV_ERR_IF(!ok, GNV_EINVAL, GNV_SUB_EXPR, "%s() argument %d: unexpected type %s", name,
                   i + 1, gnv__ktype_name(args[i].schema));
    }
    const kin *ins[8];
    int nins = nargs > 8 ? 8 : nargs;
    for (int i = 0; i < nins; i++)
        ins[i] = &ks[i];
    bool nullable = f == GNV_FN_CONCAT ? false : gnv__kany_null(ins, nins);
    if (nargs > 8)
        for (int i = 8; i < nargs; i++)
            if (ks[i].validity || ks[i].all_null)
                nullable = true;
    if (f == GNV_FN_CONCAT)
        nullable = false;
    GNV_TRYG(gnv__kout_init(&o, out, &node->type, n, nullable));
    if (o.validity && f != GNV_FN_CONCAT) {
        gnv__kvalidity_and(&o, ins, nins);
        for (int i = 8; i < nargs; i++)
            for (int64_t r = 0; r < n; r++)
                if (!kin_valid(&ks[i], r))
                    kbit_set(o.validity, r, false);
    }
    bool to_str = o.offsets != NULL;
    bool to_int = f == GNV_FN_LENGTH || f == GNV_FN_OCTET_LENGTH;
    bool to_bool = f == GNV_FN_STARTS_WITH || f == GNV_FN_ENDS_WITH;
    GNV_ERR_IF((to_int && gnv__kdom(o.type.id) == KD_NONE) ||
                   (to_bool && o.type.id != GNV_TYPE_BOOL) || (!to_int && !to_bool && !to_str),
               GNV_EINVAL, GNV_SUB_EXPR, "%s() cannot return %s", name,
               gnv__ktype_name(&node->type));
    if (to_int) {
        ibuf = gnv__malloc(KCHUNK * sizeof *ibuf);
        GNV_CHECK_ALLOC(ibuf);
        for (int64_t s = 0; s < n; s += KCHUNK) {
            int64_t m = GNV_MIN(KCHUNK, n - s);
            for (int64_t j = 0; j < m; j++) {
                int64_t len = 0;
                ibuf[j] = 0;
                if (!kin_valid(&ks[0], s + j))
                    continue;
                const uint8_t *p = kin_bytes(&ks[0], s + j, &len);
                ibuf[j] = f == GNV_FN_LENGTH ? count_chars(p, len) : len;
            }
            gnv__kstore_i64(&o, s, m, ibuf);
        }
        gnv__free(ibuf);
        ibuf = NULL;
        GNV_TRYG(gnv__kout_finish(&o));
        goto done;
    }
    for (int64_t i = 0; i < n; i++) {
        bool valid = !o.validity || kbit(o.validity, i);
        if (!valid) {
            if (to_str)
                GNV_TRYG(gnv__kout_put_str(&o, i, NULL, 0));
            continue;
        }
        int64_t len = 0, l1 = 0, l2 = 0;
        const uint8_t *p = NULL, *p1 = NULL, *p2 = NULL;
        if (nargs > 0 && is_str(&ks[0]) && kin_valid(&ks[0], i))
            p = kin_bytes(&ks[0], i, &len);
        switch (f) {
        case GNV_FN_LOWER:
        case GNV_FN_UPPER:
            GNV_TRYG(case_map(&o, p, len, f == GNV_FN_UPPER));
            GNV_TRYG(gnv__kout_put_str(&o, i, NULL, 0));
            break;
        case GNV_FN_TRIM:
        case GNV_FN_LTRIM:
        case GNV_FN_RTRIM: {
            const uint8_t *set = (const uint8_t *)" ";
            int64_t sl = 1, a = 0, b = len;
            if (nargs > 1)
                set = kin_bytes(&ks[1], i, &sl);
            if (f != GNV_FN_RTRIM) {
                while (a < b) {
                    uint32_t c;
                    int64_t j = gnv__u8_next(p, len, a, &c);
                    if (!in_set(c, set, sl))
                        break;
                    a = j;
                }
            }
            if (f != GNV_FN_LTRIM) {
                while (b > a) {
                    int64_t j = b - 1;
                    while (j > a && (p[j] & 0xC0) == 0x80)
                        j--;
                    uint32_t c;
                    gnv__u8_next(p, len, j, &c);
                    if (!in_set(c, set, sl))
                        break;
                    b = j;
                }
            }
            GNV_TRYG(gnv__kout_put_str(&o, i, p + a, (size_t)(b - a)));
            break;
        }
        case GNV_FN_SUBSTR: {
            int64_t start, count = INT64_MAX;
            gnv__kload_i64(&ks[1], i, 1, &start);
            if (nargs > 2) {
                gnv__kload_i64(&ks[2], i, 1, &count);
                if (count < 0) {
                    rc = gnv__error_set(GNV_EINVAL, GNV_SUB_EXPR,
                                        "negative substring length not allowed: substr(<str>, "
                                        "%lld, %lld) at row %lld",
                                        (long long)start, (long long)count, (long long)i);
                    goto done;
                }
                if (start < 1)
                    count = sat_add(count, sat_add(start, -1));
                if (count < 0)
                    count = 0;
            }
            int64_t skip = start > 1 ? start - 1 : 0;
            int64_t a = char_offset(p, len, skip);
            int64_t b = count == INT64_MAX ? len : a + char_offset(p + a, len - a, count);
            GNV_TRYG(gnv__kout_put_str(&o, i, p + a, (size_t)(b - a)));
            break;
        }
        case GNV_FN_CONCAT:
            for (int a = 0; a < nargs; a++) {
                if (!kin_valid(&ks[a], i))
                    continue;
                p1 = kin_bytes(&ks[a], i, &l1);
                GNV_TRYG(gnv__buf_put(o.bytes, p1, (size_t)l1));
            }
            GNV_TRYG(gnv__kout_put_str(&o, i, NULL, 0));
            break;
        case GNV_FN_COUNT_: /* || */
            p1 = kin_bytes(&ks[1], i, &l1);
            GNV_TRYG(gnv__buf_put(o.bytes, p, (size_t)len));
            GNV_TRYG(gnv__kout_put_str(&o, i, p1, (size_t)l1));
            break;
        case GNV_FN_REPLACE:
            p1 = kin_bytes(&ks[1], i, &l1);
            p2 = kin_bytes(&ks[2], i, &l2);
            GNV_TRYG(replace_into(o.bytes, p, len, p1, l1, p2, l2));
            GNV_TRYG(gnv__kout_put_str(&o, i, NULL, 0));
            break;
        case GNV_FN_STARTS_WITH:
        case GNV_FN_ENDS_WITH: {
            p1 = kin_bytes(&ks[1], i, &l1);
            bool r = l1 <= len && (l1 == 0 || memcmp(f == GNV_FN_STARTS_WITH ? p : p + len - l1, p1,
                                                     (size_t)l1) == 0);
            if (r)
                kbit_set(o.values, i, true);
            break;
        }
        default:
            GNV_ERR_IF(true, GNV_ENOTSUP, GNV_SUB_EXPR, "%s() is not a string function", name);
        }
    }
    GNV_TRYG(gnv__kout_finish(&o));
    o.a = NULL;
done:
    if (rc < 0)
        gnv__kout_abort(&o);
    gnv__free(ibuf);
    gnv_buf_dispose(&tmp);
    if (ks != k)
        gnv__free(ks);
    return rc;
}
