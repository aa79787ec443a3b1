/*
 * Fuzz target: the expression evaluator. The input is "<batch bytes>\n<expression>": the
 * first line (up to 64 bytes) seeds a small batch of every supported column type with
 * extreme values (INT_MIN, NaN, infinities, empty and multi-byte strings, NULL structs),
 * the rest is the SQL text, which is parsed, bound, evaluated, used as a filter and
 * checked for being constant. Results are validated as Arrow arrays; failures must leave
 * a message. Under ASan/UBSan nothing may crash or overflow.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "arrow/arrow.h"
#include "expr/expr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_error(int rc)
{
    if (rc < 0 && gnv_error_last() == NULL)
        abort();
}

typedef struct rnd {
    const uint8_t *p;
    size_t n, i;
    uint64_t s;
} rnd;

static uint64_t next(rnd *r)
{
    uint64_t b = r->n ? r->p[r->i++ % r->n] : 0;
    r->s = r->s * 6364136223846793005ULL + 1442695040888963407ULL + b;
    return r->s >> 17;
}

static const char *FIELDS[][2] = {
    {"i", "i"}, {"l", "l"},   {"u", "L"},    {"d", "g"},        {"f", "f"},
    {"s", "u"}, {"b", "b"},   {"dt", "tdD"}, {"ts", "tsm:"},    {"tz", "tsu:UTC"},
    {"c", "c"}, {"big", "U"}, {"h", "e"},    {"dec", "d:20,4"}, {"dur", "tDm"},
};
#define NF (sizeof FIELDS / sizeof FIELDS[0])

static int build(struct ArrowSchema *s, struct ArrowArray *b, rnd *r, int64_t rows)
{
    static const int64_t ints[] = {0,         1,    -1,        2,         7,
                                   100,       -100, INT32_MAX, INT32_MIN, INT64_MAX,
                                   INT64_MIN, 127,  -128,      255,       86400000};
    static const double dbl[] = {0.0,    -0.0,   1.5,          -2.5,   0.1,     1e300,
                                 -1e300, 1e-310, 2147483648.0, 9.3e18, -9.3e18, 3.0};
    static const char *strs[] = {
        "",    "a",    "abc", "A%_\\", "h\xc3\xa9llo", "\xc3\x9f\xce\xa3", "2024-03-15", "12", "-7",
        "1e3", "true", "(",   "%",     "label_07"};
    GNV_TRY(gnv__schema_init(s, "+s", "", 0));
    GNV_TRY(gnv__schema_alloc_children(s, (int64_t)NF + 2));
    for (size_t f = 0; f < NF; f++)
        GNV_TRY(gnv__schema_init(s->children[f], FIELDS[f][1], FIELDS[f][0], ARROW_FLAG_NULLABLE));
    /* li: list<int64>; st: struct<x: int8, y: utf8> */
    struct ArrowSchema *li = s->children[NF], *st = s->children[NF + 1];
    GNV_TRY(gnv__schema_init(li, "+l", "li", ARROW_FLAG_NULLABLE));
    GNV_TRY(gnv__schema_alloc_children(li, 1));
    GNV_TRY(gnv__schema_init(li->children[0], "l", "item", ARROW_FLAG_NULLABLE));
    GNV_TRY(gnv__schema_init(st, "+s", "st", ARROW_FLAG_NULLABLE));
    GNV_TRY(gnv__schema_alloc_children(st, 2));
    GNV_TRY(gnv__schema_init(st->children[0], "c", "x", ARROW_FLAG_NULLABLE));
    GNV_TRY(gnv__schema_init(st->children[1], "u", "y", ARROW_FLAG_NULLABLE));
    GNV_TRY(gnv__array_init(b, s));
    for (int64_t row = 0; row < rows; row++) {
        for (size_t f = 0; f < NF; f++) {
            struct ArrowArray *a = b->children[f];
            uint64_t v = next(r);
            if (v % 5 == 0) {
                GNV_TRY(gnv__array_append_null(a, 1));
                continue;
            }
            int64_t iv = ints[(v >> 3) % (sizeof ints / sizeof ints[0])];
            double dv = dbl[(v >> 3) % (sizeof dbl / sizeof dbl[0])];
            if ((v >> 9) % 7 == 0)
                dv = (v >> 12) & 1 ? NAN : INFINITY;
            const char *sv = strs[(v >> 3) % (sizeof strs / sizeof strs[0])];
            int rc;
            switch (FIELDS[f][1][0]) {
            case 'i':
                rc = gnv__array_append_int(a, (int32_t)iv);
                break;
            case 'c':
                rc = gnv__array_append_int(a, (int8_t)iv);
                break;
            case 'l':
                rc = gnv__array_append_int(a, iv);
                break;
            case 'L':
                rc = gnv__array_append_uint(a, (uint64_t)iv);
                break;
            case 'g':
            case 'f':
            case 'e':
                rc = gnv__array_append_double(a, dv);
                break;
            case 'u':
            case 'U':
                rc = gnv__array_append_bytes(a, sv, strlen(sv));
                break;
            case 'b':
                rc = gnv__array_append_bool(a, v & 8);
                break;
            case 'd': { /* decimal128(20, 4): the integer as unscaled value */
                uint8_t le[16];
                int64_t hi = iv < 0 ? -1 : 0;
                memcpy(le, &iv, 8);
                memcpy(le + 8, &hi, 8);
                rc = gnv__array_append_decimal128(a, le);
                break;
            }
            default: /* date32, timestamps, durations */
                rc = gnv__array_append_int(a, FIELDS[f][1][1] == 'd' ? (int32_t)iv : iv);
                break;
            }
            GNV_TRY(rc);
        }
        uint64_t v = next(r);
        struct ArrowArray *la = b->children[NF], *sa = b->children[NF + 1];
        if (v % 4 == 0) {
            GNV_TRY(gnv__array_append_null(la, 1));
        } else {
            for (uint64_t k = 0; k < (v >> 2) % 4; k++) {
                if ((v >> (4 + k)) % 3 == 0)
                    GNV_TRY(gnv__array_append_null(la->children[0], 1));
                else
                    GNV_TRY(gnv__array_append_int(la->children[0], ints[(v >> (6 + k)) % 15]));
            }
            GNV_TRY(gnv__array_finish_element(la));
        }
        if (v % 3 == 0) {
            GNV_TRY(gnv__array_append_null(sa, 1));
        } else {
            GNV_TRY(gnv__array_append_int(sa->children[0], (int8_t)(v >> 8)));
            GNV_TRY(gnv__array_append_bytes(sa->children[1], strs[(v >> 16) % 14],
                                            strlen(strs[(v >> 16) % 14])));
            GNV_TRY(gnv__array_finish_element(sa));
        }
        GNV_TRY(gnv__array_finish_element(b));
    }
    return gnv__array_finish(b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *nl = memchr(data, '\n', size < 65 ? size : 65);
    if (!nl || size > 4096)
        return 0;
    size_t hn = (size_t)(nl - data);
    rnd r = {data, hn, 0, 0x9E3779B97F4A7C15ULL};
    int64_t rows = hn ? data[0] % 9 : 3;
    int64_t skip = hn > 1 ? data[1] % 3 : 0;
    char *text = malloc(size - hn);
    if (!text)
        return 0;
    memcpy(text, nl + 1, size - hn - 1);
    text[size - hn - 1] = 0;

    struct ArrowSchema s = {0};
    struct ArrowArray full = {0}, b = {0}, out = {0};
    gnv_expr *e = NULL;
    gnv_buf sel = GNV_BUF_INIT;
    int rc = build(&s, &full, &r, rows + skip);
    if (rc < 0)
        goto done;
    /* a slice, so offsets apply */
    rc = gnv__array_slice(&b, &full, skip, rows);
    if (rc < 0)
        goto done;
    rc = gnv__expr_parse(&e, text);
    check_error(rc);
    if (rc < 0)
        goto done;
    rc = gnv__expr_bind(e, &s);
    check_error(rc);
    if (rc < 0)
        goto done;
    (void)gnv__expr_is_always_true(e);
    rc = gnv__expr_eval(&out, e, &s, &b);
    check_error(rc);
    if (rc == GNV_OK) {
        struct ArrowSchema rs;
        if (out.length != rows)
            abort();
        if (gnv__expr_result_schema(&rs, e, "r") == GNV_OK) {
            if (gnv__array_validate(&rs, &out, true) != GNV_OK)
                abort();
            gnv__schema_release(&rs);
        }
        gnv__array_release(&out);
    }
    int64_t n = 0;
    rc = gnv__expr_filter(&sel, &n, e, &s, &b);
    check_error(rc);
    if (rc == GNV_OK) {
        const int64_t *ix = (const int64_t *)(const void *)sel.ptr;
        for (int64_t k = 0; k < n; k++)
            if (ix[k] < 0 || ix[k] >= rows || (k && ix[k] <= ix[k - 1]))
                abort();
    }
done:
    gnv_buf_dispose(&sel);
    gnv__expr_free(e);
    gnv__array_release(&b);
    gnv__array_release(&full);
    gnv__schema_release(&s);
    free(text);
    return 0;
}
