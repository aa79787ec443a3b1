/*
 * Reads the golden tables LanceDB 0.37.1 and 0.39.0 wrote (tests/data/lancedb/<version>/g_*,
 * made by make_golden.mjs: every type, nulls at every level, LanceDB's default encodings,
 * several fragments, deletion files of both kinds, stable row ids) and compares every
 * value of every row with LanceDB's own reading (tests/data/lancedb/golden/<table>.jsonl).
 *
 * A table whose pages use an encoding our reader does not decode yet is SKIPPED with the
 * reader's "unsupported Lance encoding" message; any other error or any differing value
 * fails.
 */
#include "gnv_test.h"

#include <math.h>

#include "arrow/arrow.h"

typedef struct golden {
    const char *version;
    const char *table;
    bool row_id; /* the expected rows end with LanceDB's `_rowid` */
} golden;

/* ---- comparing JSON texts token by token ---------------------------------- */

typedef struct tok {
    char kind; /* 's' string, 'v' number or literal, 'p' punctuation, 0 end */
    const char *p;
    size_t n;
} tok;

static const char *next_tok(const char *s, tok *t)
{
    while (*s == ' ' || *s == '\n' || *s == '\r' || *s == '\t')
        s++;
    t->p = s;
    if (!*s) {
        t->kind = 0;
        t->n = 0;
        return s;
    }
    if (strchr("{}[]:,", *s)) {
        t->kind = 'p';
        t->n = 1;
        return s + 1;
    }
    if (*s == '"') {
        const char *e = s + 1;
        while (*e && *e != '"')
            e += e[0] == '\\' && e[1] ? 2 : 1;
        t->kind = 's';
        t->n = (size_t)(e - s) + (*e == '"');
        return s + t->n;
    }
    const char *e = s;
    while (*e && !strchr("{}[]:, \n\r\t\"", *e))
        e++;
    t->kind = 'v';
    t->n = (size_t)(e - s);
    return e;
}

static int hexval(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c - 'A' + 10;
}

static void put_utf8(gnv_buf *b, uint32_t c)
{
    char u[4];
    size_t n;
    if (c < 0x80) {
        u[0] = (char)c;
        n = 1;
    } else if (c < 0x800) {
        u[0] = (char)(0xc0 | c >> 6);
        u[1] = (char)(0x80 | (c & 0x3f));
        n = 2;
    } else if (c < 0x10000) {
        u[0] = (char)(0xe0 | c >> 12);
        u[1] = (char)(0x80 | (c >> 6 & 0x3f));
        u[2] = (char)(0x80 | (c & 0x3f));
        n = 3;
    } else {
        u[0] = (char)(0xf0 | c >> 18);
        u[1] = (char)(0x80 | (c >> 12 & 0x3f));
        u[2] = (char)(0x80 | (c >> 6 & 0x3f));
        u[3] = (char)(0x80 | (c & 0x3f));
        n = 4;
    }
    GNV_ASSERT_OK(gnv__buf_put(b, u, n));
}

/* The decoded text of a JSON string token. */
static void unescape(const tok *t, gnv_buf *out)
{
    gnv__buf_clear(out);
    const char *s = t->p + 1, *end = t->p + t->n - 1;
    while (s < end) {
        if (*s != '\\') {
            GNV_ASSERT_OK(gnv__buf_putc(out, *s++));
            continue;
        }
        char c = s[1];
        s += 2;
        switch (c) {
        case 'n':
            GNV_ASSERT_OK(gnv__buf_putc(out, '\n'));
            break;
        case 't':
            GNV_ASSERT_OK(gnv__buf_putc(out, '\t'));
            break;
        case 'r':
            GNV_ASSERT_OK(gnv__buf_putc(out, '\r'));
            break;
        case 'b':
            GNV_ASSERT_OK(gnv__buf_putc(out, '\b'));
            break;
        case 'f':
            GNV_ASSERT_OK(gnv__buf_putc(out, '\f'));
            break;
        case 'u': {
            uint32_t u = 0;
            for (int k = 0; k < 4 && s < end; k++)
                u = u << 4 | (uint32_t)hexval(*s++);
            if (u >= 0xd800 && u < 0xdc00 && s + 6 <= end && s[0] == '\\' && s[1] == 'u') {
                uint32_t lo = 0;
                for (int k = 2; k < 6; k++)
                    lo = lo << 4 | (uint32_t)hexval(s[k]);
                s += 6;
                u = 0x10000 + ((u - 0xd800) << 10) + (lo - 0xdc00);
            }
            put_utf8(out, u);
            break;
        }
        default:
            GNV_ASSERT_OK(gnv__buf_putc(out, c));
            break;
        }
    }
}

static uint64_t fnv1a(const char *p, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (uint8_t)p[i]) * 0x100000001b3ULL;
    return h;
}

static bool is_integer_text(const tok *t)
{
    for (size_t i = 0; i < t->n; i++)
        if (!(t->p[i] == '-' || (t->p[i] >= '0' && t->p[i] <= '9')))
            return false;
    return t->n > 0;
}

/* NULL when equal, else a description of the first difference (static). */
static const char *json_diff(const char *want, const char *got)
{
    static char msg[600];
    gnv_buf a = GNV_BUF_INIT, b = GNV_BUF_INIT;
    const char *diff = NULL;
    tok tw, tg;
    for (;;) {
        want = next_tok(want, &tw);
        got = next_tok(got, &tg);
        if (tw.kind == 0 && tg.kind == 0)
            break;
        bool same = tw.kind == tg.kind && tw.n == tg.n && !memcmp(tw.p, tg.p, tw.n);
        if (same)
            continue;
        if (tw.kind == 's' && tg.kind == 's') {
            unescape(&tg, &b);
            if (tw.n > 7 && !strncmp(tw.p, "\"#fnv:", 6)) {
                char d[64];
                snprintf(d, sizeof d, "\"#fnv:%zu:%016llx\"", b.size,
                         (unsigned long long)fnv1a(b.ptr, b.size));
                if (strlen(d) == tw.n && !memcmp(d, tw.p, tw.n))
                    continue;
            } else {
                unescape(&tw, &a);
                if (a.size == b.size && !memcmp(a.ptr, b.ptr, a.size))
                    continue;
            }
        } else if (tw.kind == 'v' && tg.kind == 'v' &&
                   !(is_integer_text(&tw) && is_integer_text(&tg))) {
            /* floats: printed at their precision by both sides, compared as numbers */
            double x = strtod(tw.p, NULL), y = strtod(tg.p, NULL);
            if (x == y || fabs(x - y) <= 1e-6 * fmax(fabs(x), fabs(y)))
                continue;
        }
        snprintf(msg, sizeof msg, "LanceDB: %.*s ... we: %.*s ...", (int)GNV_MIN(tw.n, 120), tw.p,
                 (int)GNV_MIN(tg.n, 120), tg.p);
        diff = msg;
        break;
    }
    gnv_buf_dispose(&a);
    gnv_buf_dispose(&b);
    return diff;
}

/* ---- the test -------------------------------------------------------------------- */

static char *read_text(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        fail_msg("cannot open %s", path);
    gnv_buf b = GNV_BUF_INIT;
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        GNV_ASSERT_OK(gnv__buf_put(&b, chunk, n));
    fclose(f);
    GNV_ASSERT_OK(gnv__buf_putc(&b, 0));
    return b.ptr;
}

static void check_golden(void **state)
{
    const golden *g = *state;
    char rel[256], dbdir[1024];
    snprintf(rel, sizeof rel, "lancedb/golden/%s.jsonl", g->table);
    char *want = read_text(gnv_test_data(rel));
    snprintf(rel, sizeof rel, "lancedb/%s", g->version);
    snprintf(dbdir, sizeof dbdir, "%s", gnv_test_data(rel));

    gnv_db *db = NULL;
    gnv_table *t = NULL;
    GNV_ASSERT_OK(gnv_db_open(&db, dbdir, NULL));
    GNV_ASSERT_OK(gnv_db_open_table(&t, db, g->table));
    gnv_scan_options o = GNV_SCAN_OPTIONS_INIT;
    o.with_row_id = g->row_id;
    o.batch_rows = 333; /* batches that do not line up with pages or chunks */
    struct ArrowArrayStream s;
    struct ArrowSchema schema;
    GNV_ASSERT_OK(gnv_table_scan(t, &o, &s));
    GNV_ASSERT_OK(gnv__stream_get_schema(&s, &schema));
    const char *line = want;
    int64_t row = 0;
    gnv_buf got = GNV_BUF_INIT;
    char *unsupported = NULL;
    for (;;) {
        struct ArrowArray a;
        int rc = gnv__stream_next(&s, &a);
        if (rc == GNV_ITEROVER)
            break;
        if (rc < 0) {
            const gnv_error *e = gnv_error_last();
            const char *m = e ? e->message : "";
            if (strstr(m, "unsupported Lance encoding")) {
                unsupported = strdup(m);
                break;
            }
            fail_msg("%s/%s row %lld: %s", g->version, g->table, (long long)row, m);
        }
        gnv_array_view v;
        GNV_ASSERT_OK(gnv__array_view_init(&v, &schema, &a));
        for (int64_t i = 0; i < a.length; i++, row++) {
            const char *eol = strchr(line, '\n');
            if (!*line || !eol)
                fail_msg("%s/%s: more rows than LanceDB read (%lld)", g->version, g->table,
                         (long long)row);
            gnv__buf_clear(&got);
            GNV_ASSERT_OK(gnv__print_json_value(&got, &v, i));
            GNV_ASSERT_OK(gnv__buf_putc(&got, 0));
            char *exp = strndup(line, (size_t)(eol - line));
            const char *d = json_diff(exp, got.ptr);
            if (d)
                fail_msg("%s/%s row %lld differs: %s", g->version, g->table, (long long)row, d);
            free(exp);
            line = eol + 1;
        }
        gnv__array_view_reset(&v);
        a.release(&a);
    }
    gnv_buf_dispose(&got);
    gnv__schema_release(&schema);
    gnv__stream_release(&s);
    gnv_table_close(t);
    gnv_db_close(db);
    if (unsupported) {
        print_message("  %s/%s: %s\n", g->version, g->table, unsupported);
        free(unsupported);
        free(want);
        skip();
    }
    if (*line)
        fail_msg("%s/%s: %lld rows read, LanceDB read more", g->version, g->table, (long long)row);
    free(want);
}

#define G(v, t, rid)                                                                               \
    {                                                                                              \
        v, t, rid                                                                                  \
    }
static const golden tables[] = {
    G("0.37.1", "g_types_21", 0), G("0.37.1", "g_types_22", 0), G("0.37.1", "g_enc", 0),
    G("0.37.1", "g_long", 0),     G("0.37.1", "g_vec", 0),      G("0.37.1", "g_fsl", 0),
    G("0.37.1", "g_dict", 0),     G("0.37.1", "g_frag", 0),     G("0.37.1", "g_del_big", 0),
    G("0.37.1", "g_stable", 1),   G("0.39.0", "g_types_21", 0), G("0.39.0", "g_types_22", 0),
    G("0.39.0", "g_enc", 0),      G("0.39.0", "g_long", 0),     G("0.39.0", "g_vec", 0),
    G("0.39.0", "g_fsl", 0),      G("0.39.0", "g_dict", 0),     G("0.39.0", "g_frag", 0),
    G("0.39.0", "g_del_big", 0),  G("0.39.0", "g_stable", 1),
};

/* The comparison itself: floats by value, digests of long strings, escapes. */
static void test_json_diff(void **state)
{
    (void)state;
    assert_null(
        json_diff("{\"a\":1.5,\"b\":\"x\\u00e9\"}", "{\"a\":1.5000000001,\"b\":\"x\xc3\xa9\"}"));
    assert_non_null(json_diff("{\"a\":9007199254740993}", "{\"a\":9007199254740992}"));
    assert_non_null(json_diff("{\"a\":1.5}", "{\"a\":1.6}"));
    assert_non_null(json_diff("{\"a\":[1,2]}", "{\"a\":[1,2,3]}"));
    assert_null(json_diff("{\"s\":\"#fnv:3:e71fa2190541574b\"}", "{\"s\":\"abc\"}"));
    assert_non_null(json_diff("{\"s\":\"#fnv:3:e71fa2190541574c\"}", "{\"s\":\"abc\"}"));
}

int main(void)
{
    struct CMUnitTest tests[GNV_ARRAY_SIZE(tables) + 1];
    tests[0] = (struct CMUnitTest)cmocka_unit_test(test_json_diff);
    char names[GNV_ARRAY_SIZE(tables)][64];
    for (size_t i = 0; i < GNV_ARRAY_SIZE(tables); i++) {
        snprintf(names[i], sizeof names[i], "lancedb_%s_%s", tables[i].version, tables[i].table);
        tests[i + 1] = (struct CMUnitTest){names[i], check_golden, NULL, NULL, (void *)&tables[i]};
    }
    return cmocka_run_group_tests(tests, NULL, NULL);
}
