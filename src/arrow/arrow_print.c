/*
 * Printing Arrow streams as a table for people, as CSV or as JSON Lines, and describing
 * schemas as text. Values are rendered one element at a time from array views; the
 * JSON form (gnv__print_json_value) is the reference rendering, the text form
 * (gnv__print_text_value) is the same without quotes around scalars.
 *
 * Decisions kept stable because golden files depend on them:
 * - floats: the shortest "%.Ng" that reads back to the same value, with ".0" added to
 *   integral values so a reader infers a float again; NaN/Infinity/-Infinity as JSON
 *   strings (bare words in text form).
 * - timestamps: ISO-8601 with the digits of the unit (none for s, 3 for ms, 6 for us,
 *   9 for ns). With a time zone "UTC"/"Z"/"+00:00" the instant gets a "Z"; a fixed
 *   offset "+HH:MM"/"-HH:MM" is applied and printed; any other (named) zone is printed
 *   in UTC with "Z", because the values are UTC instants and the library carries no
 *   time-zone database.
 * - table: widths come from the header and the first batch (capped at max_width); later
 *   values wider than their column are cut with "…". A final "(N rows)" line follows.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arrow.h"

#define DEFAULT_MAX_WIDTH 40

/* ---- scalars ------------------------------------------------------------ */

/* Shortest %.Ng rendering of a double (or a float, when is_float) that reads back the
 * same. Writes into tmp (at least 40 bytes). */
/* Precision of a floating-point value being printed. */
typedef enum float_kind { KIND_DOUBLE, KIND_FLOAT, KIND_HALF } float_kind;

static bool round_trips(const char *text, double d, float_kind kind)
{
    double back = strtod(text, NULL);
    switch (kind) {
    case KIND_HALF:
        return gnv__half_from_double(back) == gnv__half_from_double(d);
    case KIND_FLOAT:
        return (float)back == (float)d;
    default:
        return back == d;
    }
}

/* The shortest %g text that reads back as the same value at its own precision.
 * Round-tripping is monotone in the precision, so a binary search finds it. */
static void shortest_float(char *tmp, size_t n, double d, float_kind kind)
{
    /* Whole numbers print whole ("65504.0", not "6.55e+04") while that is exact. */
    if (d == floor(d) && fabs(d) < 1e16) {
        snprintf(tmp, n, "%.1f", d);
        return;
    }
    int lo = 1, hi = kind == KIND_DOUBLE ? 17 : 9;
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        snprintf(tmp, n, "%.*g", mid, d);
        if (round_trips(tmp, d, kind))
            hi = mid;
        else
            lo = mid + 1;
    }
    snprintf(tmp, n, "%.*g", lo, d);
    /* Keep a float looking like a float: "3" -> "3.0". */
    if (!strpbrk(tmp, ".eEni")) {
        size_t len = strlen(tmp);
        if (len + 3 <= n)
            memcpy(tmp + len, ".0", 3);
    }
}

static int put_float(gnv_buf *out, double d, float_kind kind, bool json)
{
    const char *special = NULL;
    if (isnan(d))
        special = "NaN";
    else if (isinf(d))
        special = d > 0 ? "Infinity" : "-Infinity";
    if (special)
        return json ? gnv__buf_printf(out, "\"%s\"", special) : gnv__buf_puts(out, special);
    char tmp[64];
    shortest_float(tmp, sizeof tmp, d, kind);
    return gnv__buf_puts(out, tmp);
}

/* Days since 1970-01-01 to a proleptic Gregorian date (H. Hinnant's algorithm). */
static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t yy = (int64_t)yoe + era * 400;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = yy + (*m <= 2);
}

static int put_date(gnv_buf *out, int64_t days)
{
    int64_t y;
    unsigned m, d;
    civil_from_days(days, &y, &m, &d);
    if (y < 0)
        return gnv__buf_printf(out, "-%04lld-%02u-%02u", (long long)-y, m, d);
    return gnv__buf_printf(out, "%04lld-%02u-%02u", (long long)y, m, d);
}

/* Parse a fixed offset "+HH:MM", "-HH:MM", "+HHMM" or "+HH" into seconds. */
static bool parse_offset(const char *tz, int *secs)
{
    if ((tz[0] != '+' && tz[0] != '-') || tz[1] < '0' || tz[1] > '9' || tz[2] < '0' || tz[2] > '9')
        return false;
    int h = (tz[1] - '0') * 10 + (tz[2] - '0'), mi = 0;
    const char *p = tz + 3;
    if (*p == ':')
        p++;
    if (*p) {
        if (p[0] < '0' || p[0] > '9' || p[1] < '0' || p[1] > '9' || p[2])
            return false;
        mi = (p[0] - '0') * 10 + (p[1] - '0');
    }
    if (h > 23 || mi > 59)
        return false;
    *secs = (h * 3600 + mi * 60) * (tz[0] == '-' ? -1 : 1);
    return true;
}

static int put_timestamp(gnv_buf *out, int64_t v, gnv_time_unit unit, const char *tz)
{
    static const int64_t per_sec[] = {1, 1000, 1000000, 1000000000};
    static const int digits[] = {0, 3, 6, 9};
    int64_t ps = per_sec[unit];
    int64_t secs = v / ps, frac = v % ps;
    if (frac < 0) {
        frac += ps;
        secs--;
    }
    int offset = 0;
    bool has_offset = tz && strcmp(tz, "+00:00") != 0 && parse_offset(tz, &offset);
    secs += offset;
    int64_t days = secs / 86400, sod = secs % 86400;
    if (sod < 0) {
        sod += 86400;
        days--;
    }
    GNV_TRY(put_date(out, days));
    GNV_TRY(gnv__buf_printf(out, "T%02d:%02d:%02d", (int)(sod / 3600), (int)(sod / 60 % 60),
                            (int)(sod % 60)));
    if (digits[unit])
        GNV_TRY(gnv__buf_printf(out, ".%0*lld", digits[unit], (long long)frac));
    if (!tz)
        return GNV_OK;
    if (!has_offset)
        return gnv__buf_putc(out, 'Z');
    int a = offset < 0 ? -offset : offset;
    return gnv__buf_printf(out, "%c%02d:%02d", offset < 0 ? '-' : '+', a / 3600, a / 60 % 60);
}

/* Length of the valid UTF-8 sequence at s (n bytes left), or 0 when invalid. */
static size_t utf8_seq_len(const uint8_t *s, size_t n)
{
    uint8_t c = s[0];
    size_t len;
    uint32_t cp;
    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF) {
        len = 2;
        cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
        len = 3;
        cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
        cp = c & 0x07;
    } else {
        return 0;
    }
    if (len > n)
        return 0;
    for (size_t k = 1; k < len; k++) {
        if ((s[k] & 0xC0) != 0x80)
            return 0;
        cp = cp << 6 | (s[k] & 0x3F);
    }
    if ((len == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
        (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)))
        return 0;
    return len;
}

/* A JSON string literal; invalid UTF-8 bytes become U+FFFD so the output stays valid. */
static int put_json_string(gnv_buf *out, const uint8_t *s, size_t n)
{
    GNV_TRY(gnv__buf_reserve(out, n + 2));
    GNV_TRY(gnv__buf_putc(out, '"'));
    size_t i = 0;
    while (i < n) {
        size_t run = i;
        /* Copy runs of plain bytes in one go. */
        while (run < n && s[run] >= 0x20 && s[run] < 0x80 && s[run] != '"' && s[run] != '\\')
            run++;
        if (run > i) {
            GNV_TRY(gnv__buf_put(out, s + i, run - i));
            i = run;
            continue;
        }
        uint8_t c = s[i];
        if (c >= 0x80) {
            size_t len = utf8_seq_len(s + i, n - i);
            if (len) {
                GNV_TRY(gnv__buf_put(out, s + i, len));
                i += len;
            } else {
                GNV_TRY(gnv__buf_puts(out, "\\ufffd"));
                i++;
            }
            continue;
        }
        switch (c) {
        case '"':
            GNV_TRY(gnv__buf_puts(out, "\\\""));
            break;
        case '\\':
            GNV_TRY(gnv__buf_puts(out, "\\\\"));
            break;
        case '\b':
            GNV_TRY(gnv__buf_puts(out, "\\b"));
            break;
        case '\f':
            GNV_TRY(gnv__buf_puts(out, "\\f"));
            break;
        case '\n':
            GNV_TRY(gnv__buf_puts(out, "\\n"));
            break;
        case '\r':
            GNV_TRY(gnv__buf_puts(out, "\\r"));
            break;
        case '\t':
            GNV_TRY(gnv__buf_puts(out, "\\t"));
            break;
        default:
            GNV_TRY(gnv__buf_printf(out, "\\u%04x", c));
            break;
        }
        i++;
    }
    return gnv__buf_putc(out, '"');
}

/* Text of a string value: the bytes, with invalid UTF-8 replaced by U+FFFD. */
static int put_text_string(gnv_buf *out, const uint8_t *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        size_t run = i;
        while (run < n) {
            size_t len = utf8_seq_len(s + run, n - run);
            if (!len)
                break;
            run += len;
        }
        GNV_TRY(gnv__buf_put(out, s + i, run - i));
        i = run;
        if (i < n) {
            GNV_TRY(gnv__buf_puts(out, "\xEF\xBF\xBD"));
            i++;
        }
    }
    return GNV_OK;
}

/* ---- values ------------------------------------------------------------- */

static int put_value(gnv_buf *out, const gnv_array_view *v, int64_t i, bool json, int depth);

static int put_list(gnv_buf *out, const gnv_array_view *v, int64_t i, int depth)
{
    int64_t start, end;
    gnv__view_list_range(v, i, &start, &end);
    GNV_TRY(gnv__buf_putc(out, '['));
    for (int64_t k = start; k < end; k++) {
        if (k > start)
            GNV_TRY(gnv__buf_putc(out, ','));
        GNV_TRY(put_value(out, &v->children[0], k, true, depth + 1));
    }
    return gnv__buf_putc(out, ']');
}

static int put_struct(gnv_buf *out, const gnv_array_view *v, int64_t i, int depth)
{
    int64_t j = gnv__view_struct_index(v, i);
    GNV_TRY(gnv__buf_putc(out, '{'));
    for (int64_t c = 0; c < v->n_children; c++) {
        const gnv_array_view *cv = &v->children[c];
        const char *name = cv->schema->name ? cv->schema->name : "";
        if (c)
            GNV_TRY(gnv__buf_putc(out, ','));
        GNV_TRY(put_json_string(out, (const uint8_t *)name, strlen(name)));
        GNV_TRY(gnv__buf_putc(out, ':'));
        GNV_TRY(put_value(out, cv, j, true, depth + 1));
    }
    return gnv__buf_putc(out, '}');
}

static int put_value(gnv_buf *out, const gnv_array_view *v, int64_t i, bool json, int depth)
{
    if (depth > 64)
        return gnv__error_set(GNV_EINVAL, GNV_SUB_ARROW, "values nested deeper than 64 levels");
    if (gnv__view_is_null(v, i))
        return gnv__buf_puts(out, "null");
    if (v->dictionary) {
        int64_t k = gnv__view_dict_index(v, i);
        if (k < 0 || k >= v->dictionary->length)
            return gnv__error_set(GNV_EINVAL, GNV_SUB_ARROW,
                                  "field '%s': dictionary index %lld out of range",
                                  v->schema->name ? v->schema->name : "", (long long)k);
        return put_value(out, v->dictionary, k, json, depth + 1);
    }
    switch (v->type.id) {
    case GNV_TYPE_NA:
        return gnv__buf_puts(out, "null");
    case GNV_TYPE_BOOL:
        return gnv__buf_puts(out, gnv__view_get_bool(v, i) ? "true" : "false");
    case GNV_TYPE_INT8:
    case GNV_TYPE_INT16:
    case GNV_TYPE_INT32:
    case GNV_TYPE_INT64:
    case GNV_TYPE_UINT8:
    case GNV_TYPE_UINT16:
    case GNV_TYPE_UINT32:
        return gnv__buf_printf(out, "%lld", (long long)gnv__view_get_int(v, i));
    case GNV_TYPE_UINT64:
        return gnv__buf_printf(out, "%llu", (unsigned long long)gnv__view_get_uint(v, i));
    case GNV_TYPE_HALF_FLOAT:
        return put_float(out, gnv__view_get_double(v, i), KIND_HALF, json);
    case GNV_TYPE_FLOAT:
        return put_float(out, gnv__view_get_double(v, i), KIND_FLOAT, json);
    case GNV_TYPE_DOUBLE:
        return put_float(out, gnv__view_get_double(v, i), KIND_DOUBLE, json);
    case GNV_TYPE_STRING:
    case GNV_TYPE_LARGE_STRING: {
        int64_t len;
        const uint8_t *p = gnv__view_get_bytes(v, i, &len);
        return json ? put_json_string(out, p, (size_t)len) : put_text_string(out, p, (size_t)len);
    }
    case GNV_TYPE_BINARY:
    case GNV_TYPE_LARGE_BINARY:
    case GNV_TYPE_FIXED_SIZE_BINARY: {
        int64_t len;
        const uint8_t *p = gnv__view_get_bytes(v, i, &len);
        if (json)
            GNV_TRY(gnv__buf_putc(out, '"'));
        GNV_TRY(gnv__base64_encode(out, p, (size_t)len));
        return json ? gnv__buf_putc(out, '"') : GNV_OK;
    }
    case GNV_TYPE_DATE32:
    case GNV_TYPE_TIMESTAMP:
        if (json)
            GNV_TRY(gnv__buf_putc(out, '"'));
        if (v->type.id == GNV_TYPE_DATE32)
            GNV_TRY(put_date(out, gnv__view_get_int(v, i)));
        else
            GNV_TRY(put_timestamp(out, gnv__view_get_int(v, i), v->type.unit, v->type.timezone));
        return json ? gnv__buf_putc(out, '"') : GNV_OK;
    case GNV_TYPE_DURATION: /* the count of its unit */
        return gnv__buf_printf(out, "%lld", (long long)gnv__view_get_int(v, i));
    case GNV_TYPE_DECIMAL128: { /* exact text; a string in JSON so that no digit is lost */
        char text[GNV_DECIMAL128_TEXT];
        gnv__decimal128_format(text, v->data + (v->offset + i) * 16, v->type.scale);
        return gnv__buf_printf(out, json ? "\"%s\"" : "%s", text);
    }
    case GNV_TYPE_LIST:
    case GNV_TYPE_LARGE_LIST:
    case GNV_TYPE_FIXED_SIZE_LIST:
        return put_list(out, v, i, depth);
    case GNV_TYPE_STRUCT:
        return put_struct(out, v, i, depth);
    default:
        return gnv__error_set(GNV_ENOTSUP, GNV_SUB_ARROW, "field '%s': cannot print type %s",
                              v->schema->name ? v->schema->name : "",
                              gnv__type_id_name(v->type.id));
    }
}

int gnv__print_json_value(gnv_buf *out, const gnv_array_view *v, int64_t i)
{
    return put_value(out, v, i, true, 0);
}

int gnv__print_text_value(gnv_buf *out, const gnv_array_view *v, int64_t i)
{
    return put_value(out, v, i, false, 0);
}

/* ---- output ------------------------------------------------------------- */

static int write_out(FILE *f, const void *p, size_t n)
{
    if (n && fwrite(p, 1, n, f) != n)
        return gnv__error_os(GNV_SUB_ARROW, errno ? errno : EIO, "cannot write the output");
    if (ferror(f))
        return gnv__error_os(GNV_SUB_ARROW, errno ? errno : EIO, "cannot write the output");
    return GNV_OK;
}

static int flush_buf(FILE *f, gnv_buf *b)
{
    int rc = write_out(f, b->ptr, b->size);
    gnv__buf_clear(b);
    return rc;
}

static bool csv_needs_quotes(const char *s, size_t n)
{
    for (size_t k = 0; k < n; k++)
        if (s[k] == ',' || s[k] == '"' || s[k] == '\n' || s[k] == '\r')
            return true;
    return false;
}

static int put_csv_field(gnv_buf *out, const char *s, size_t n)
{
    /* An empty value is quoted so that it differs from a null (an empty field). */
    if (n == 0)
        return gnv__buf_puts(out, "\"\"");
    if (!csv_needs_quotes(s, n))
        return gnv__buf_put(out, s, n);
    GNV_TRY(gnv__buf_putc(out, '"'));
    for (size_t k = 0; k < n; k++) {
        if (s[k] == '"')
            GNV_TRY(gnv__buf_putc(out, '"'));
        GNV_TRY(gnv__buf_putc(out, s[k]));
    }
    return gnv__buf_putc(out, '"');
}

/* Render the text of column view `cv` at batch row r (CSV/table cells): nested values as
 * JSON text, scalars as text. */
static int put_cell(gnv_buf *out, const gnv_array_view *bv, int64_t c, int64_t r)
{
    int64_t j = gnv__view_struct_index(bv, r);
    return put_value(out, &bv->children[c], j, false, 0);
}

/* State shared by the three formats while walking a stream. */
typedef struct printer {
    FILE *f;
    const gnv_print_options *opts;
    const struct ArrowSchema *schema;
    gnv_buf line;
    gnv_buf cell;
    int64_t printed;
    /* table */
    bool header_done;
    int64_t ncols;
    size_t *widths; /* display columns per column */
    bool *right;    /* right-aligned (numbers) */
} printer;

static int csv_header(printer *p)
{
    for (int64_t c = 0; c < p->schema->n_children; c++) {
        const char *name = p->schema->children[c]->name ? p->schema->children[c]->name : "";
        if (c)
            GNV_TRY(gnv__buf_putc(&p->line, ','));
        GNV_TRY(put_csv_field(&p->line, name, strlen(name)));
    }
    GNV_TRY(gnv__buf_putc(&p->line, '\n'));
    return flush_buf(p->f, &p->line);
}

static int csv_rows(printer *p, const gnv_array_view *bv, int64_t n)
{
    for (int64_t r = 0; r < n; r++) {
        for (int64_t c = 0; c < bv->n_children; c++) {
            if (c)
                GNV_TRY(gnv__buf_putc(&p->line, ','));
            const gnv_array_view *cv = &bv->children[c];
            if (gnv__view_is_null(cv, gnv__view_struct_index(bv, r)))
                continue;
            gnv__buf_clear(&p->cell);
            GNV_TRY(put_cell(&p->cell, bv, c, r));
            GNV_TRY(put_csv_field(&p->line, p->cell.ptr, p->cell.size));
        }
        GNV_TRY(gnv__buf_putc(&p->line, '\n'));
        GNV_TRY(flush_buf(p->f, &p->line));
    }
    return GNV_OK;
}

static int jsonl_rows(printer *p, const gnv_array_view *bv, int64_t n)
{
    for (int64_t r = 0; r < n; r++) {
        GNV_TRY(put_struct(&p->line, bv, r, 0));
        GNV_TRY(gnv__buf_putc(&p->line, '\n'));
        GNV_TRY(flush_buf(p->f, &p->line));
    }
    return GNV_OK;
}

/* ---- table -------------------------------------------------------------- */

/* Display width of UTF-8 text: one column per code point. */
static size_t text_width(const char *s, size_t n)
{
    size_t w = 0;
    for (size_t k = 0; k < n; k++)
        if (((unsigned char)s[k] & 0xC0) != 0x80)
            w++;
    return w;
}

/* Byte length of the first `cols` code points of s. */
static size_t prefix_bytes(const char *s, size_t n, size_t cols)
{
    size_t k = 0, w = 0;
    while (k < n) {
        if (((unsigned char)s[k] & 0xC0) != 0x80) {
            if (w == cols)
                break;
            w++;
        }
        k++;
    }
    return k;
}

/* Make a cell printable on one line: control characters become escapes. */
static int sanitize_cell(gnv_buf *out, const char *s, size_t n)
{
    for (size_t k = 0; k < n; k++) {
        unsigned char c = (unsigned char)s[k];
        if (c == '\n')
            GNV_TRY(gnv__buf_puts(out, "\\n"));
        else if (c == '\r')
            GNV_TRY(gnv__buf_puts(out, "\\r"));
        else if (c == '\t')
            GNV_TRY(gnv__buf_puts(out, "\\t"));
        else if (c < 0x20 || c == 0x7F)
            GNV_TRY(gnv__buf_printf(out, "\\x%02x", c));
        else
            GNV_TRY(gnv__buf_putc(out, (char)c));
    }
    return GNV_OK;
}

/* One table cell's text into out, for a column of the batch (sanitized, not cut). */
static int table_cell_text(printer *p, gnv_buf *out, const gnv_array_view *bv, int64_t c, int64_t r)
{
    gnv__buf_clear(&p->cell);
    GNV_TRY(put_cell(&p->cell, bv, c, r));
    gnv__buf_clear(out);
    return sanitize_cell(out, p->cell.ptr ? p->cell.ptr : "", p->cell.size);
}

static size_t max_width(const printer *p)
{
    return p->opts->max_width > 0 ? (size_t)p->opts->max_width : DEFAULT_MAX_WIDTH;
}

/* Append s padded or cut to width w; the last column is not padded on the right. */
static int table_put_cell(printer *p, const char *s, size_t n, size_t w, bool right, bool last)
{
    size_t tw = text_width(s, n);
    if (tw > w) {
        size_t keep = w > 0 ? w - 1 : 0;
        GNV_TRY(gnv__buf_put(&p->line, s, prefix_bytes(s, n, keep)));
        if (w > 0)
            GNV_TRY(gnv__buf_puts(&p->line, "\xE2\x80\xA6"));
        return GNV_OK;
    }
    if (right)
        for (size_t k = tw; k < w; k++)
            GNV_TRY(gnv__buf_putc(&p->line, ' '));
    GNV_TRY(gnv__buf_put(&p->line, s, n));
    if (!right && !last)
        for (size_t k = tw; k < w; k++)
            GNV_TRY(gnv__buf_putc(&p->line, ' '));
    return GNV_OK;
}

static const char *col_name(const printer *p, int64_t c)
{
    const char *name = p->schema->children[c]->name;
    return name ? name : "";
}

static int table_header(printer *p)
{
    gnv_buf tmp = GNV_BUF_INIT;
    int rc = GNV_OK;
    for (int64_t c = 0; c < p->ncols; c++) {
        const char *name = col_name(p, c);
        gnv__buf_clear(&tmp);
        GNV_TRYG(sanitize_cell(&tmp, name, strlen(name)));
        if (c)
            GNV_TRYG(gnv__buf_puts(&p->line, " | "));
        GNV_TRYG(table_put_cell(p, tmp.ptr ? tmp.ptr : "", tmp.size, p->widths[c], p->right[c],
                                c == p->ncols - 1));
    }
    GNV_TRYG(gnv__buf_putc(&p->line, '\n'));
    for (int64_t c = 0; c < p->ncols; c++) {
        if (c)
            GNV_TRYG(gnv__buf_puts(&p->line, "-+-"));
        for (size_t k = 0; k < p->widths[c]; k++)
            GNV_TRYG(gnv__buf_putc(&p->line, '-'));
    }
    if (p->ncols)
        GNV_TRYG(gnv__buf_putc(&p->line, '\n'));
    GNV_TRYG(flush_buf(p->f, &p->line));
    p->header_done = true;
done:
    gnv_buf_dispose(&tmp);
    return rc;
}

static bool is_right_aligned(const gnv_array_view *cv)
{
    const gnv_array_view *t = cv->dictionary ? cv->dictionary : cv;
    return gnv__type_is_integer(t->type.id) || gnv__type_is_floating(t->type.id);
}

/* Widths from the column names and the first batch's rows, capped at max_width. */
static int table_setup(printer *p, const gnv_array_view *bv, int64_t n)
{
    int rc = GNV_OK;
    gnv_buf tmp = GNV_BUF_INIT;
    size_t cap = max_width(p);
    for (int64_t c = 0; c < p->ncols; c++) {
        const char *name = col_name(p, c);
        size_t w = text_width(name, strlen(name));
        if (bv) {
            p->right[c] = is_right_aligned(&bv->children[c]);
            for (int64_t r = 0; r < n && w < cap; r++) {
                GNV_TRYG(table_cell_text(p, &tmp, bv, c, r));
                w = GNV_MAX(w, text_width(tmp.ptr ? tmp.ptr : "", tmp.size));
            }
        }
        p->widths[c] = GNV_MIN(w, cap);
    }
    rc = table_header(p);
done:
    gnv_buf_dispose(&tmp);
    return rc;
}

static int table_rows(printer *p, const gnv_array_view *bv, int64_t n)
{
    int rc = GNV_OK;
    gnv_buf tmp = GNV_BUF_INIT;
    if (!p->header_done)
        GNV_TRYG(table_setup(p, bv, n));
    for (int64_t r = 0; r < n; r++) {
        for (int64_t c = 0; c < p->ncols; c++) {
            GNV_TRYG(table_cell_text(p, &tmp, bv, c, r));
            if (c)
                GNV_TRYG(gnv__buf_puts(&p->line, " | "));
            GNV_TRYG(table_put_cell(p, tmp.ptr ? tmp.ptr : "", tmp.size, p->widths[c], p->right[c],
                                    c == p->ncols - 1));
        }
        GNV_TRYG(gnv__buf_putc(&p->line, '\n'));
        GNV_TRYG(flush_buf(p->f, &p->line));
    }
done:
    gnv_buf_dispose(&tmp);
    return rc;
}

/* ---- gnv_print_stream ---------------------------------------------------- */

static int print_batch(printer *p, const struct ArrowArray *batch, int64_t n)
{
    gnv_array_view bv;
    GNV_TRY(gnv__array_view_init(&bv, p->schema, batch));
    int rc;
    switch (p->opts->format) {
    case GNV_PRINT_CSV:
        rc = csv_rows(p, &bv, n);
        break;
    case GNV_PRINT_JSONL:
        rc = jsonl_rows(p, &bv, n);
        break;
    default:
        rc = table_rows(p, &bv, n);
        break;
    }
    gnv__array_view_reset(&bv);
    return rc;
}

static int print_all(printer *p, struct ArrowArrayStream *in)
{
    int rc = GNV_OK;
    struct ArrowArray batch = {0};
    int64_t limit = p->opts->limit;
    if (p->opts->format == GNV_PRINT_CSV)
        GNV_TRY(csv_header(p));
    while (limit < 0 || p->printed < limit) {
        rc = gnv__stream_next(in, &batch);
        if (rc == GNV_ITEROVER) {
            rc = GNV_OK;
            break;
        }
        if (rc < 0)
            return rc;
        GNV_TRYG(gnv__array_validate(p->schema, &batch, false));
        int64_t n = batch.length;
        if (limit >= 0 && n > limit - p->printed)
            n = limit - p->printed;
        /* Empty batches are skipped so that table widths come from rows. */
        if (n > 0)
            GNV_TRYG(print_batch(p, &batch, n));
        p->printed += n;
        gnv__array_release(&batch);
    }
    if (p->opts->format == GNV_PRINT_TABLE) {
        if (!p->header_done)
            GNV_TRYG(table_setup(p, NULL, 0));
        GNV_TRYG(gnv__buf_printf(&p->line, "(%lld row%s)\n", (long long)p->printed,
                                 p->printed == 1 ? "" : "s"));
        GNV_TRYG(flush_buf(p->f, &p->line));
    }
done:
    gnv__array_release(&batch);
    return rc;
}

int gnv_print_stream(FILE *out,
                     struct ArrowArrayStream *in,
                     const gnv_print_options *opts,
                     int64_t *rows_out)
{
    int rc = GNV_OK;
    gnv_print_options defaults = GNV_PRINT_OPTIONS_INIT;
    struct ArrowSchema schema = {0};
    printer p;
    memset(&p, 0, sizeof p);
    if (rows_out)
        *rows_out = 0;
    if (!opts)
        opts = &defaults;
    GNV_ERR_IF(!out || !in, GNV_EINVAL, GNV_SUB_ARROW, "gnv_print_stream: NULL output or stream");
    GNV_ERR_IF(opts->version != GNV_PRINT_OPTIONS_VERSION, GNV_EVERSION, GNV_SUB_ARROW,
               "gnv_print_stream: options version %u, expected %u", opts->version,
               GNV_PRINT_OPTIONS_VERSION);
    GNV_ERR_IF(opts->format < GNV_PRINT_TABLE || opts->format > GNV_PRINT_JSONL, GNV_EINVAL,
               GNV_SUB_ARROW, "gnv_print_stream: unknown format %d", opts->format);
    GNV_TRYG(gnv__stream_get_schema(in, &schema));
    GNV_TRYG(gnv__schema_validate(&schema));
    GNV_ERR_IF(strcmp(schema.format, "+s") != 0, GNV_EINVAL, GNV_SUB_ARROW,
               "cannot print a stream whose schema is '%s', not a struct of columns",
               schema.format);
    p.f = out;
    p.opts = opts;
    p.schema = &schema;
    p.ncols = schema.n_children;
    if (p.ncols > 0) {
        p.widths = gnv__calloc((size_t)p.ncols, sizeof *p.widths);
        p.right = gnv__calloc((size_t)p.ncols, sizeof *p.right);
        GNV_CHECK_ALLOC(p.widths);
        GNV_CHECK_ALLOC(p.right);
    }
    GNV_TRYG(print_all(&p, in));
    if (fflush(out) != 0)
        GNV_TRYG(gnv__error_os(GNV_SUB_ARROW, errno ? errno : EIO, "cannot write the output"));
done:
    if (rows_out)
        *rows_out = p.printed;
    gnv__free(p.widths);
    gnv__free(p.right);
    gnv_buf_dispose(&p.line);
    gnv_buf_dispose(&p.cell);
    gnv__schema_release(&schema);
    return rc;
}

/* ---- gnv_schema_describe ------------------------------------------------ */

static int describe_metadata(gnv_buf *out, const char *metadata)
{
    gnv_metadata_iter it;
    const char *k, *v;
    int32_t kl, vl;
    bool first = true;
    gnv__metadata_iter_init(&it, metadata);
    while (gnv__metadata_iter_next(&it, &k, &kl, &v, &vl)) {
        GNV_TRY(gnv__buf_puts(out, first ? " {" : ", "));
        GNV_TRY(gnv__buf_printf(out, "%.*s: %.*s", (int)kl, k, (int)vl, v));
        first = false;
    }
    return first ? GNV_OK : gnv__buf_putc(out, '}');
}

static int describe_field(gnv_buf *out, const struct ArrowSchema *f)
{
    GNV_TRY(gnv__buf_printf(out, "%s: ", f->name ? f->name : ""));
    GNV_TRY(gnv__type_to_string(out, f));
    if (!(f->flags & ARROW_FLAG_NULLABLE))
        GNV_TRY(gnv__buf_puts(out, " not null"));
    if (f->metadata && gnv__metadata_size(f->metadata) > 4)
        GNV_TRY(describe_metadata(out, f->metadata));
    return gnv__buf_putc(out, '\n');
}

int gnv_schema_describe(gnv_buf *out, const struct ArrowSchema *schema)
{
    if (!out || !schema || !schema->format)
        return gnv__error_set(GNV_EINVAL, GNV_SUB_ARROW, "gnv_schema_describe: NULL schema");
    GNV_TRY(gnv__schema_validate(schema));
    if (strcmp(schema->format, "+s") != 0)
        return describe_field(out, schema);
    for (int64_t i = 0; i < schema->n_children; i++)
        GNV_TRY(describe_field(out, schema->children[i]));
    return GNV_OK;
}
