/*
 * Reads the dec_* tables LanceDB 0.37.1 (file 2.1) and 0.39.0 (file 2.2) wrote with its
 * default encodings (tests/data/lancedb/<version>/dec_*, made by make_dec.js) and compares
 * every value with LanceDB's own reading (tests/data/lancedb/dec/<table>.jsonl):
 *   dec_str    dictionaries (2.1 Variable, 2.2 General LZ4 over Variable or Flat), FSST
 *              mini-blocks, bitpacked and RLE levels, lists, nested lists, structs, and 2.2
 *              constant pages (inline value, value buffer, with levels);
 *   dec_const  constants: 2.1 as dictionaries / RLE, 2.2 as ConstantLayout pages;
 *   dec_long   full-zip FSST strings;
 *   dec_huge   full-zip values compressed one by one with ZSTD;
 *   dec_opt    opt-in General (ZSTD, LZ4) mini-blocks, byte stream split, inline-bitpacked
 *              levels.
 * Also partial scans, takes, damaged copies, which must fail with GNV_ECORRUPT naming the file
 * and column, and LanceDB's opt-in packed structs (dec_packed, dec_vpacked), which must be
 * refused as an unsupported encoding.
 */
#include "gnv_test.h"

#include <dirent.h>
#include <math.h>

#include "arrow/arrow.h"
#include "format/format_file.h"

/* ---- comparing a row printed as JSON with LanceDB's ------------------------------ */

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
    t->n = 0;
    t->kind = 0;
    if (!*s)
        return s;
    if (strchr("{}[]:,", *s)) {
        t->kind = 'p';
        t->n = 1;
        return s + 1;
    }
    const char *e = s;
    if (*s == '"') {
        e++;
        while (*e && *e != '"')
            e += e[0] == '\\' && e[1] ? 2 : 1;
        t->kind = 's';
        t->n = (size_t)(e - s) + (*e == '"');
        return s + t->n;
    }
    while (*e && !strchr("{}[]:, \n\r\t\"", *e))
        e++;
    t->kind = 'v';
    t->n = (size_t)(e - s);
    return e;
}

static int hexval(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;
}

static void put_utf8(gnv_buf *b, uint32_t c)
{
    char u[4];
    size_t n = c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4;
    static const uint8_t lead[5] = {0, 0, 0xc0, 0xe0, 0xf0};
    for (size_t i = n - 1; i > 0; i--, c >>= 6)
        u[i] = (char)(0x80 | (c & 0x3f));
    u[0] = (char)(lead[n] | c);
    GNV_ASSERT_OK(gnv__buf_put(b, u, n));
}

/* The text of a string token (escapes decoded), or of a number token as it is. */
static void tok_text(const tok *t, gnv_buf *out)
{
    gnv__buf_clear(out);
    if (t->kind != 's') {
        GNV_ASSERT_OK(gnv__buf_put(out, t->p, t->n));
        return;
    }
    const char *s = t->p + 1, *end = t->p + t->n - 1;
    while (s < end) {
        if (*s != '\\') {
            GNV_ASSERT_OK(gnv__buf_putc(out, *s++));
            continue;
        }
        char c = s[1];
        s += 2;
        if (c == 'u') {
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
            continue;
        }
        const char *from = "nrtbf", *to = "\n\r\t\b\f";
        const char *k = strchr(from, c);
        GNV_ASSERT_OK(gnv__buf_putc(out, k && c ? to[k - from] : c));
    }
}

static bool is_integer(const gnv_buf *b)
{
    for (size_t i = 0; i < b->size; i++)
        if (!(b->ptr[i] == '-' || (b->ptr[i] >= '0' && b->ptr[i] <= '9')))
            return false;
    return b->size > 0;
}

/* "#fnv:LEN:HASH" (FNV-1a 64) of some bytes, as make_dec.js writes strings over 1000 bytes. */
static void fnv_digest(char *out, size_t n, const gnv_buf *b)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (size_t i = 0; i < b->size; i++)
        h = (h ^ (uint8_t)b->ptr[i]) * 0x100000001b3ULL;
    snprintf(out, n, "#fnv:%zu:%016llx", b->size, (unsigned long long)h);
}

/* NULL when equal, else the first difference (static). int64 values may be quoted on either
 * side; floats compare by value. */
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
        if (tw.kind == tg.kind && tw.n == tg.n && !memcmp(tw.p, tg.p, tw.n))
            continue;
        if (tw.kind && tw.kind != 'p' && tg.kind && tg.kind != 'p') {
            tok_text(&tw, &a);
            tok_text(&tg, &b);
            if (tw.kind == 's' && tg.kind == 's') {
                char d[64];
                fnv_digest(d, sizeof d, &b);
                GNV_ASSERT_OK(gnv__buf_putc(&b, 0));
                b.size--;
                if ((a.size == b.size && !memcmp(a.ptr, b.ptr, a.size)) ||
                    (a.size == strlen(d) && !memcmp(a.ptr, d, a.size)))
                    continue;
            } else if (is_integer(&a) && is_integer(&b)) {
                if (a.size == b.size && !memcmp(a.ptr, b.ptr, a.size))
                    continue;
            } else if (tw.kind == 'v' && tg.kind == 'v') {
                double x = strtod(a.ptr, NULL), y = strtod(b.ptr, NULL);
                if (x == y || fabs(x - y) <= 1e-6 * fmax(fabs(x), fabs(y)))
                    continue;
            }
        }
        snprintf(msg, sizeof msg, "LanceDB: %.*s ... we: %.*s ...", (int)GNV_MIN(tw.n, 160), tw.p,
                 (int)GNV_MIN(tg.n, 160), tg.p);
        diff = msg;
        break;
    }
    gnv_buf_dispose(&a);
    gnv_buf_dispose(&b);
    return diff;
}

static char *read_text(const char *path)
{
    gnv_buf b = GNV_BUF_INIT;
    GNV_ASSERT_OK(gnv__read_file(&b, path, GNV_SUB_NONE));
    return b.ptr;
}

/* Pointer to the start of line `row` (0-based) of text, or NULL past the end. */
static const char *line_at(const char *text, int64_t row)
{
    for (int64_t r = 0; r < row && text; r++) {
        text = strchr(text, '\n');
        if (text)
            text++;
    }
    return text && *text ? text : NULL;
}

/* Compares the rows of a struct array with lines [first, first + a->length) (or, with rows
 * given, the lines rows[i]) of the expected text. */
static void compare_rows(const char *what,
                         const struct ArrowSchema *schema,
                         const struct ArrowArray *a,
                         const char *want,
                         int64_t first,
                         const int64_t *rows)
{
    gnv_array_view v;
    GNV_ASSERT_OK(gnv__array_view_init(&v, schema, a));
    gnv_buf got = GNV_BUF_INIT;
    for (int64_t i = 0; i < a->length; i++) {
        int64_t row = rows ? rows[i] : first + i;
        const char *line = line_at(want, row);
        if (!line)
            fail_msg("%s: row %lld is beyond LanceDB's rows", what, (long long)row);
        const char *eol = strchr(line, '\n');
        gnv__buf_clear(&got);
        GNV_ASSERT_OK(gnv__print_json_value(&got, &v, i));
        char *exp = strndup(line, eol ? (size_t)(eol - line) : strlen(line));
        const char *d = json_diff(exp, got.ptr);
        if (d)
            fail_msg("%s row %lld differs: %s", what, (long long)row, d);
        free(exp);
    }
    gnv_buf_dispose(&got);
    gnv__array_view_reset(&v);
}

static int64_t count_lines(const char *text)
{
    int64_t n = 0;
    for (const char *p = text; (p = strchr(p, '\n')); p++)
        n++;
    return n;
}

/* Scans version/table (offset, limit -1 for all) and compares every row; returns the number
 * of rows read. */
static int64_t scan_compare(
    const char *dbdir, const char *version, const char *table, int64_t offset, int64_t limit)
{
    char rel[256], what[128];
    snprintf(rel, sizeof rel, "lancedb/dec/%s.jsonl", table);
    char *want = read_text(gnv_test_data(rel));
    snprintf(what, sizeof what, "%s/%s", version, table);
    gnv_db *db = NULL;
    gnv_table *t = NULL;
    GNV_ASSERT_OK(gnv_db_open(&db, dbdir, NULL));
    GNV_ASSERT_OK(gnv_db_open_table(&t, db, table));
    gnv_scan_options o = GNV_SCAN_OPTIONS_INIT;
    o.batch_rows = 333; /* batches that do not line up with pages or chunks */
    o.offset = offset;
    o.limit = limit;
    struct ArrowArrayStream s;
    struct ArrowSchema schema;
    GNV_ASSERT_OK(gnv_table_scan(t, &o, &s));
    GNV_ASSERT_OK(gnv__stream_get_schema(&s, &schema));
    int64_t row = offset;
    for (;;) {
        struct ArrowArray a;
        int rc = gnv__stream_next(&s, &a);
        if (rc == GNV_ITEROVER)
            break;
        if (rc < 0) {
            const gnv_error *e = gnv_error_last();
            fail_msg("%s row %lld: %s", what, (long long)row, e ? e->message : "?");
        }
        compare_rows(what, &schema, &a, want, row, NULL);
        row += a.length;
        a.release(&a);
    }
    int64_t total = count_lines(want);
    int64_t expect_end = limit < 0 ? total : GNV_MIN(total, offset + limit);
    if (row != expect_end)
        fail_msg("%s: read rows %lld..%lld, LanceDB has %lld", what, (long long)offset,
                 (long long)row, (long long)total);
    gnv__schema_release(&schema);
    gnv__stream_release(&s);
    gnv_table_close(t);
    gnv_db_close(db);
    free(want);
    return row - offset;
}

static const char *const tables[] = {"dec_str", "dec_const", "dec_long", "dec_huge", "dec_opt"};

static void scan_version(const char *version)
{
    char rel[64], dbdir[1024];
    snprintf(rel, sizeof rel, "lancedb/%s", version);
    snprintf(dbdir, sizeof dbdir, "%s", gnv_test_data(rel));
    for (size_t i = 0; i < GNV_ARRAY_SIZE(tables); i++)
        assert_true(scan_compare(dbdir, version, tables[i], 0, -1) > 0);
    /* partial reads: starting inside chunks and pages */
    assert_int_equal(scan_compare(dbdir, version, "dec_str", 401, 300), 300);
    assert_int_equal(scan_compare(dbdir, version, "dec_str", 999, 10), 1);
    assert_int_equal(scan_compare(dbdir, version, "dec_const", 77, 500), 500);
    assert_int_equal(scan_compare(dbdir, version, "dec_opt", 590, -1), 10);
    assert_int_equal(scan_compare(dbdir, version, "dec_huge", 1, 2), 2);
}

static void test_lancedb_0_37_1(void **state)
{
    (void)state;
    scan_version("0.37.1");
}

static void test_lancedb_0_39_0(void **state)
{
    (void)state;
    scan_version("0.39.0");
}

/* Rows by address, out of order and repeated. */
static void take_version(const char *version)
{
    char rel[64], dbdir[1024];
    snprintf(rel, sizeof rel, "lancedb/%s", version);
    snprintf(dbdir, sizeof dbdir, "%s", gnv_test_data(rel));
    char *want = read_text(gnv_test_data("lancedb/dec/dec_str.jsonl"));
    static const int64_t rows[] = {999, 0, 512, 513, 37, 37, 1, 700, 255, 256};
    uint64_t addr[GNV_ARRAY_SIZE(rows)];
    for (size_t i = 0; i < GNV_ARRAY_SIZE(rows); i++)
        addr[i] = (uint64_t)rows[i]; /* fragment 0 */
    gnv_db *db = NULL;
    gnv_table *t = NULL;
    GNV_ASSERT_OK(gnv_db_open(&db, dbdir, NULL));
    GNV_ASSERT_OK(gnv_db_open_table(&t, db, "dec_str"));
    struct ArrowSchema schema;
    struct ArrowArray a;
    GNV_ASSERT_OK(gnv_table_take(t, addr, GNV_ARRAY_SIZE(addr), NULL, 0, &schema, &a));
    assert_int_equal(a.length, (int64_t)GNV_ARRAY_SIZE(rows));
    compare_rows(version, &schema, &a, want, 0, rows);
    a.release(&a);
    gnv__schema_release(&schema);
    gnv_table_close(t);
    gnv_db_close(db);
    free(want);
}

static void test_take(void **state)
{
    (void)state;
    take_version("0.37.1");
    take_version("0.39.0");
}

/* ---- damaged copies -------------------------------------------------------------- */

/*
 * Copies version/table to a temporary database, replaces the byte at `at` past the first
 * occurrence of `pat` (plen bytes) in its data file by `byte`, scans it and checks the error.
 */
static void damaged(const char *version,
                    const char *table,
                    const void *pat,
                    size_t plen,
                    size_t at,
                    uint8_t byte,
                    const char *needle)
{
    char *dir = gnv_test_tmpdir();
    char cmd[2048], rel[128], path[1536];
    snprintf(rel, sizeof rel, "lancedb/%s/%s.lance", version, table);
    snprintf(cmd, sizeof cmd, "cp -r '%s' '%s/'", gnv_test_data(rel), dir);
    assert_int_equal(system(cmd), 0);
    snprintf(path, sizeof path, "%s/%s.lance/data", dir, table);
    DIR *d = opendir(path);
    assert_non_null(d);
    struct dirent *e;
    char file[256] = "";
    while ((e = readdir(d)))
        if (strstr(e->d_name, ".lance"))
            snprintf(file, sizeof file, "%s", e->d_name);
    closedir(d);
    assert_true(file[0]);
    snprintf(path + strlen(path), sizeof path - strlen(path), "/%s", file);
    gnv_buf b = GNV_BUF_INIT;
    GNV_ASSERT_OK(gnv__read_file(&b, path, GNV_SUB_NONE));
    const char *hit = memmem(b.ptr, b.size, pat, plen);
    if (!hit)
        fail_msg("%s/%s: pattern not found", version, table);
    b.ptr[(size_t)(hit - b.ptr) + at] = (char)byte;
    FILE *fp = fopen(path, "wb");
    assert_non_null(fp);
    assert_int_equal(fwrite(b.ptr, 1, b.size, fp), b.size);
    fclose(fp);
    gnv_buf_dispose(&b);

    gnv_db *db = NULL;
    gnv_table *t = NULL;
    GNV_ASSERT_OK(gnv_db_open(&db, dir, NULL));
    GNV_ASSERT_OK(gnv_db_open_table(&t, db, table));
    gnv_scan_options o = GNV_SCAN_OPTIONS_INIT;
    struct ArrowArrayStream s;
    GNV_ASSERT_OK(gnv_table_scan(t, &o, &s));
    int rc;
    struct ArrowArray a;
    while ((rc = gnv__stream_next(&s, &a)) == GNV_OK)
        a.release(&a);
    if (rc != GNV_ECORRUPT)
        fail_msg("%s/%s damaged: %d (%s)", version, table, rc,
                 gnv_error_last() ? gnv_error_last()->message : "");
    const char *m = gnv_error_last()->message;
    if (!strstr(m, needle) || !strstr(m, file))
        fail_msg("%s/%s damaged: the message lacks '%s' or the file name: %s", version, table,
                 needle, m);
    gnv__stream_release(&s);
    gnv_table_close(t);
    gnv_db_close(db);
    gnv_test_rmdir(dir);
}

static void test_damaged(void **state)
{
    (void)state;
    /* a ZSTD frame of a full-zip value: its magic (the writer's u64 length comes first) */
    damaged("0.37.1", "dec_huge", "\x28\xb5\x2f\xfd", 4, 0, 0x29,
            "column 1: a full-zip value does not decompress");
    /* the FSST symbol table's magic ("FSST" in a little-endian u64) */
    damaged("0.37.1", "dec_str", "TSSF", 4, 0, 'X', "column 2: bad FSST symbol table");
    /* a 2.1 dictionary (Variable block): an end offset beyond its bytes */
    damaged("0.37.1", "dec_const", "\x20\0\0\0\x10\0\0\0\0\0\0\0\x36\0\0\0a constant", 20, 12, 0x77,
            "column 1: dictionary offsets out of order or range");
    /* a 2.2 constant value in a buffer: its buffer count */
    damaged("0.39.0", "dec_const", "\x02\0\0\0\x08\0\0\0\x36\0\0\0", 12, 0, 3,
            "column 1: a constant value buffer");
    /* a 2.2 dictionary compressed with LZ4: its stated length (897 bytes, made 896) */
    damaged("0.39.0", "dec_long", "\x81\x03\0\0\x62\x20", 6, 0, 0x80,
            "column 1: a dictionary does not decompress");
}

/* ---- a repetition index deeper than 1 ------------------------------------------- */

/*
 * Copies 0.37.1/dec_str and rewrites the page of its nested-list column ll_i32 (column 13) with
 * a repetition index of depth 2: per chunk three u64 (the extra one arbitrary) instead of two.
 * The new index buffer, that column's metadata, the offset tables and the footer are appended;
 * everything else stays where it was. With `keep_size` the old index buffer is kept (its size
 * then disagrees with the depth).
 */
static char *deeper_rep_index(bool keep_size)
{
    char *dir = gnv_test_tmpdir();
    char cmd[2048], path[1536];
    snprintf(cmd, sizeof cmd, "cp -r '%s' '%s/'", gnv_test_data("lancedb/0.37.1/dec_str.lance"),
             dir);
    assert_int_equal(system(cmd), 0);
    snprintf(path, sizeof path, "%s/dec_str.lance/data", dir);
    DIR *d = opendir(path);
    assert_non_null(d);
    struct dirent *e;
    char file[256] = "";
    while ((e = readdir(d)))
        if (strstr(e->d_name, ".lance"))
            snprintf(file, sizeof file, "%s", e->d_name);
    closedir(d);
    snprintf(path + strlen(path), sizeof path - strlen(path), "/%s", file);
    gnv_buf b = GNV_BUF_INIT;
    GNV_ASSERT_OK(gnv__read_file(&b, path, GNV_SUB_NONE));
    const uint8_t *u = (const uint8_t *)b.ptr;
    size_t end = b.size - GNV_LF_FOOTER_SIZE;
    uint8_t footer[GNV_LF_FOOTER_SIZE];
    memcpy(footer, u + end, sizeof footer);
    uint64_t cmo = gnv__lf_get64(footer + 8), gbo = gnv__lf_get64(footer + 16);
    uint32_t ngb = gnv__lf_get32(footer + 24), ncols = gnv__lf_get32(footer + 28);
    const int col = 13;
    Gnvpb__ColumnMetadata *cm = gnvpb__column_metadata__unpack(
        NULL, gnv__lf_get64(u + cmo + 16 * col + 8), u + gnv__lf_get64(u + cmo + 16 * col));
    assert_non_null(cm);
    assert_int_equal(cm->n_pages, 1);
    Gnvpb__ColumnMetadata__Page *pg = cm->pages[0];
    Gnvpb__Any *any = gnvpb__any__unpack(NULL, pg->encoding->direct->encoding.len,
                                         pg->encoding->direct->encoding.data);
    assert_non_null(any);
    Gnvpb__PageLayout *pl = gnvpb__page_layout__unpack(NULL, any->value.len, any->value.data);
    assert_non_null(pl);
    assert_int_equal(pl->mini_block_layout->repetition_index_depth, 1);
    pl->mini_block_layout->repetition_index_depth = 2;
    /* the new index: [rows finished, items left over, 77] per chunk */
    size_t ri = pg->n_buffer_offsets - 1, nchunks = pg->buffer_sizes[ri] / 16;
    assert_true(nchunks >= 2);
    gnv_buf out = GNV_BUF_INIT;
    GNV_ASSERT_OK(gnv__buf_put(&out, b.ptr, end));
    GNV_ASSERT_OK(gnv__buf_put_zeros(&out, (64 - out.size % 64) % 64));
    if (!keep_size) {
        uint64_t at = out.size;
        for (size_t i = 0; i < nchunks; i++) {
            uint8_t w[24];
            memcpy(w, u + pg->buffer_offsets[ri] + 16 * i, 16);
            gnv__lf_put64(w + 16, 77);
            GNV_ASSERT_OK(gnv__buf_put(&out, w, sizeof w));
        }
        pg->buffer_offsets[ri] = at;
        pg->buffer_sizes[ri] = 24 * nchunks;
    }
    /* repack: layout into the Any, the Any into the page, the column metadata */
    ProtobufCBinaryData old_value = any->value, old_enc = pg->encoding->direct->encoding;
    uint8_t *lb = malloc(gnvpb__page_layout__get_packed_size(pl));
    any->value.len = gnvpb__page_layout__pack(pl, lb);
    any->value.data = lb;
    uint8_t *ab = malloc(gnvpb__any__get_packed_size(any));
    pg->encoding->direct->encoding.len = gnvpb__any__pack(any, ab);
    pg->encoding->direct->encoding.data = ab;
    uint8_t *cb = malloc(gnvpb__column_metadata__get_packed_size(cm));
    size_t cn = gnvpb__column_metadata__pack(cm, cb);
    uint64_t cm_at = out.size;
    GNV_ASSERT_OK(gnv__buf_put(&out, cb, cn));
    /* the offset tables, column `col` pointing at its new metadata */
    uint64_t new_cmo = out.size;
    GNV_ASSERT_OK(gnv__buf_put(&out, u + cmo, 16 * (size_t)ncols));
    gnv__lf_put64((uint8_t *)out.ptr + new_cmo + 16 * col, cm_at);
    gnv__lf_put64((uint8_t *)out.ptr + new_cmo + 16 * col + 8, cn);
    uint64_t new_gbo = out.size;
    GNV_ASSERT_OK(gnv__buf_put(&out, u + gbo, 16 * (size_t)ngb));
    gnv__lf_put64(footer + 8, new_cmo);
    gnv__lf_put64(footer + 16, new_gbo);
    GNV_ASSERT_OK(gnv__buf_put(&out, footer, sizeof footer));
    FILE *fp = fopen(path, "wb");
    assert_non_null(fp);
    assert_int_equal(fwrite(out.ptr, 1, out.size, fp), out.size);
    fclose(fp);
    any->value = old_value;
    pg->encoding->direct->encoding = old_enc;
    free(lb);
    free(ab);
    free(cb);
    gnvpb__page_layout__free_unpacked(pl, NULL);
    gnvpb__any__free_unpacked(any, NULL);
    gnvpb__column_metadata__free_unpacked(cm, NULL);
    gnv_buf_dispose(&out);
    gnv_buf_dispose(&b);
    return dir;
}

static void test_rep_index_depth(void **state)
{
    (void)state;
    char *dir = deeper_rep_index(false);
    assert_int_equal(scan_compare(dir, "depth 2", "dec_str", 0, -1), 1000);
    assert_int_equal(scan_compare(dir, "depth 2", "dec_str", 700, 100), 100);
    gnv_test_rmdir(dir);
    /* the depth says three u64 per chunk, the buffer has two */
    dir = deeper_rep_index(true);
    gnv_db *db = NULL;
    gnv_table *t = NULL;
    GNV_ASSERT_OK(gnv_db_open(&db, dir, NULL));
    GNV_ASSERT_OK(gnv_db_open_table(&t, db, "dec_str"));
    gnv_scan_options o = GNV_SCAN_OPTIONS_INIT;
    const char *cols[] = {"ll_i32"};
    o.columns = cols;
    o.n_columns = 1;
    struct ArrowArrayStream s;
    struct ArrowArray a;
    GNV_ASSERT_OK(gnv_table_scan(t, &o, &s));
    GNV_ASSERT_ERR(gnv__stream_next(&s, &a), GNV_ECORRUPT, "column 13: repetition index of");
    gnv__stream_release(&s);
    gnv_table_close(t);
    gnv_db_close(db);
    gnv_test_rmdir(dir);
}

/* LanceDB's opt-in packed structs are refused with the encoding's name, never read as nulls. */
static void refused(const char *version, const char *table)
{
    char rel[64], dbdir[1024];
    snprintf(rel, sizeof rel, "lancedb/%s", version);
    snprintf(dbdir, sizeof dbdir, "%s", gnv_test_data(rel));
    gnv_db *db = NULL;
    gnv_table *t = NULL;
    GNV_ASSERT_OK(gnv_db_open(&db, dbdir, NULL));
    GNV_ASSERT_OK(gnv_db_open_table(&t, db, table));
    gnv_scan_options o = GNV_SCAN_OPTIONS_INIT;
    struct ArrowArrayStream s;
    GNV_ASSERT_OK(gnv_table_scan(t, &o, &s));
    struct ArrowArray a;
    GNV_ASSERT_ERR(gnv__stream_next(&s, &a), GNV_ENOTSUP,
                   "column 'p': unsupported Lance encoding 'packed struct'");
    gnv__stream_release(&s);
    uint64_t addr = 5;
    struct ArrowSchema schema;
    GNV_ASSERT_ERR(gnv_table_take(t, &addr, 1, NULL, 0, &schema, &a), GNV_ENOTSUP,
                   "unsupported Lance encoding 'packed struct'");
    gnv_table_close(t);
    gnv_db_close(db);
}

static void test_opt_in_refused(void **state)
{
    (void)state;
    refused("0.37.1", "dec_packed");
    refused("0.39.0", "dec_packed");
    refused("0.39.0", "dec_vpacked");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lancedb_0_37_1), cmocka_unit_test(test_lancedb_0_39_0),
        cmocka_unit_test(test_take),           cmocka_unit_test(test_damaged),
        cmocka_unit_test(test_opt_in_refused), cmocka_unit_test(test_rep_index_depth),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
