/* CSV import as an Arrow stream.
 *
 * Format: RFC 4180 — fields separated by the delimiter, optionally "quoted" with ""
 * as an escaped quote, newlines allowed inside quotes, CRLF or LF line ends, a UTF-8
 * BOM skipped, the last line may lack its newline. Lenient where the RFC is silent: a
 * quote inside an unquoted field is an ordinary character, and text after a closing
 * quote is appended to the field. Blank lines are skipped.
 *
 * Header: the first record names the columns (unless csv_no_header: f0, f1, ...). An
 * empty name becomes f<i> (i = 0-based column index); a name already taken gets a
 * suffix _2, _3, ... An empty file is an error ("no header line").
 *
 * Nulls: an empty unquoted field is NULL. A quoted empty field ("") is the empty string
 * in utf8/binary columns and NULL in other columns. No other spelling means NULL.
 *
 * Inference over the first infer_rows records, per column: int64, float64 (decimal and
 * exponent forms only; int64 and float64 together give float64), bool (true/false, any
 * case), date32 (YYYY-MM-DD), timestamp[us] (YYYY-MM-DD[T ]HH:MM:SS[.ffffff]),
 * timestamp[us, tz=UTC] (the same with Z or +HH:MM, normalised to UTC; dates mixed with
 * timestamps give the timestamp type), else utf8. A column holding only NULLs is utf8.
 * Type overrides replace inference for the columns they name; with an override, float
 * columns also accept nan/inf spellings.
 *
 * Streaming: the input is read in blocks of GNV_SOURCE_BLOCK bytes; only the records used
 * for inference are buffered. Line numbers in messages count physical lines.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arrow.h"

#define DEFAULT_BATCH_ROWS 65536
#define DEFAULT_INFER_ROWS 10000

/* ---- dates and times ---------------------------------------------------- */

/* Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm). */
static int64_t days_from_civil(int64_t y, int64_t m, int64_t d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static bool digits(const char *s, int n, int64_t *out)
{
    int64_t v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return true;
}

static bool parse_days(const char *s, size_t n, int64_t *days)
{
    int64_t y, m, d;
    static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (n < 10 || s[4] != '-' || s[7] != '-' || !digits(s, 4, &y) || !digits(s + 5, 2, &m) ||
        !digits(s + 8, 2, &d))
        return false;
    if (m < 1 || m > 12 || d < 1 || d > mdays[m - 1])
        return false;
    if (m == 2 && d == 29 && !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        return false;
    *days = days_from_civil(y, m, d);
    return true;
}

bool gnv__parse_date32(const char *s, size_t n, int32_t *out)
{
    int64_t days;
    if (n != 10 || !parse_days(s, n, &days))
        return false;
    *out = (int32_t)days;
    return true;
}

bool gnv__parse_timestamp(
    const char *s, size_t n, gnv_time_unit unit, bool allow_date, int64_t *out, bool *has_tz)
{
    static const int64_t per_sec[] = {1, 1000, 1000000, 1000000000};
    int64_t days, hh, mi, ss, nanos = 0, offset = 0;
    *has_tz = false;
    if (!parse_days(s, n, &days))
        return false;
    size_t i = 10;
    if (n == 10) {
        if (!allow_date)
            return false;
        hh = mi = ss = 0;
    } else {
        if (n < 19 || (s[10] != 'T' && s[10] != ' ') || s[13] != ':' || s[16] != ':' ||
            !digits(s + 11, 2, &hh) || !digits(s + 14, 2, &mi) || !digits(s + 17, 2, &ss) ||
            hh > 23 || mi > 59 || ss > 59)
            return false;
        i = 19;
        if (i < n && s[i] == '.') {
            int nd = 0;
            i++;
            while (i < n && s[i] >= '0' && s[i] <= '9') {
                if (nd == 9)
                    return false;
                nanos = nanos * 10 + (s[i++] - '0');
                nd++;
            }
            if (nd == 0)
                return false;
            for (; nd < 9; nd++)
                nanos *= 10;
        }
        if (i < n && s[i] == 'Z') {
            *has_tz = true;
            i++;
        } else if (i < n && (s[i] == '+' || s[i] == '-')) {
            int64_t oh, om = 0;
            int sign = s[i] == '-' ? -1 : 1;
            i++;
            if (n - i == 5 && s[i + 2] == ':' && digits(s + i, 2, &oh) && digits(s + i + 3, 2, &om))
                i += 5;
            else if (n - i == 4 && digits(s + i, 2, &oh) && digits(s + i + 2, 2, &om))
                i += 4;
            else if (n - i == 2 && digits(s + i, 2, &oh))
                i += 2;
            else
                return false;
            if (oh > 23 || om > 59)
                return false;
            offset = sign * (oh * 3600 + om * 60);
            *has_tz = true;
        }
        if (i != n)
            return false;
    }
    int64_t secs = days * 86400 + hh * 3600 + mi * 60 + ss - offset;
    int64_t v;
    if (__builtin_mul_overflow(secs, per_sec[unit], &v) ||
        __builtin_add_overflow(v, nanos / (1000000000 / per_sec[unit]), &v))
        return false;
    *out = v;
    return true;
}

/* ---- scalar text ---------------------------------------------------------- */

/* Strict integer: [+-]digits, no spaces; false on overflow too. */
static bool parse_int64(const char *s, size_t n, int64_t *out)
{
    size_t i = 0;
    bool neg = false;
    if (n > 0 && (s[0] == '+' || s[0] == '-')) {
        neg = s[0] == '-';
        i++;
    }
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
    if (neg ? v > (uint64_t)INT64_MAX + 1 : v > (uint64_t)INT64_MAX)
        return false;
    *out = neg ? (int64_t)(0 - v) : (int64_t)v;
    return true;
}

static bool parse_uint64(const char *s, size_t n, uint64_t *out)
{
    size_t i = n > 0 && s[0] == '+' ? 1 : 0;
    if (i == n)
        return false;
    uint64_t v = 0;
    for (; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        uint64_t d = (uint64_t)(s[i] - '0');
        if (v > (UINT64_MAX - d) / 10)
            return false;
        v = v * 10 + d;
    }
    *out = v;
    return true;
}

/* Strict decimal: [+-](digits[.digits*]|.digits)([eE][+-]digits)?. s is NUL-terminated
 * at s[n]. */
static bool parse_double(const char *s, size_t n, double *out)
{
    size_t i = 0, nd = 0;
    if (i < n && (s[i] == '+' || s[i] == '-'))
        i++;
    while (i < n && isdigit((unsigned char)s[i])) {
        i++;
        nd++;
    }
    if (i < n && s[i] == '.') {
        i++;
        while (i < n && isdigit((unsigned char)s[i])) {
            i++;
            nd++;
        }
    }
    if (nd == 0)
        return false;
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        size_t ne = 0;
        i++;
        if (i < n && (s[i] == '+' || s[i] == '-'))
            i++;
        while (i < n && isdigit((unsigned char)s[i])) {
            i++;
            ne++;
        }
        if (ne == 0)
            return false;
    }
    if (i != n)
        return false;
    *out = strtod(s, NULL);
    return true;
}

/* nan, inf, infinity with optional sign, any case: accepted in overridden float columns. */
static bool parse_special_double(const char *s, size_t n, double *out)
{
    double sign = 1;
    if (n > 0 && (s[0] == '+' || s[0] == '-')) {
        sign = s[0] == '-' ? -1 : 1;
        s++;
        n--;
    }
    if (n == 3 && strncasecmp(s, "nan", 3) == 0)
        *out = NAN;
    else if ((n == 3 && strncasecmp(s, "inf", 3) == 0) ||
             (n == 8 && strncasecmp(s, "infinity", 8) == 0))
        *out = sign * INFINITY;
    else
        return false;
    return true;
}

static bool parse_bool(const char *s, size_t n, bool *out)
{
    if (n == 4 && strncasecmp(s, "true", 4) == 0)
        *out = true;
    else if (n == 5 && strncasecmp(s, "false", 5) == 0)
        *out = false;
    else
        return false;
    return true;
}

/* ---- block source ----------------------------------------------------------- */

typedef gnv_source src;

/* Next byte, -1 at the end, -2 on a read error (last error set). */
static int src_getc_slow(src *s)
{
    if (s->eof)
        return -1;
    if (gnv__source_fill(s) < 0)
        return -2;
    if (s->len == 0)
        return -1;
    return s->buf[s->pos++];
}

static inline int src_getc(src *s)
{
    if (s->pos < s->len)
        return s->buf[s->pos++];
    return src_getc_slow(s);
}

/* Give back the byte just read (always in the current block). */
static inline void src_unget(src *s)
{
    s->pos--;
}

/* ---- records -------------------------------------------------------------- */

/* One record: field bytes in data, each field followed by a NUL. start, len and quoted
 * share one allocation (start's): inference buffers thousands of records. */
typedef struct csv_rec {
    gnv_buf data;
    int64_t *start, *len;
    uint8_t *quoted;
    int64_t n, cap;
    int64_t line; /* physical line where the record starts */
} csv_rec;

static void rec_free(csv_rec *r)
{
    gnv_buf_dispose(&r->data);
    gnv__free(r->start);
    memset(r, 0, sizeof *r);
}

static int rec_push(csv_rec *r, size_t fstart, bool quoted)
{
    if (r->n == r->cap) {
        int64_t ncap = r->cap ? r->cap * 2 : 16;
        int64_t *ns = gnv__reallocarray(NULL, (size_t)ncap, 2 * sizeof *ns + 1);
        if (!ns)
            return gnv__error_oom();
        int64_t *nl = ns + ncap;
        uint8_t *nq = (uint8_t *)(nl + ncap);
        if (r->n > 0) {
            memcpy(ns, r->start, (size_t)r->n * sizeof *ns);
            memcpy(nl, r->len, (size_t)r->n * sizeof *nl);
            memcpy(nq, r->quoted, (size_t)r->n);
        }
        gnv__free(r->start);
        r->start = ns;
        r->len = nl;
        r->quoted = nq;
        r->cap = ncap;
    }
    r->start[r->n] = (int64_t)fstart;
    r->len[r->n] = (int64_t)(r->data.size - fstart);
    r->quoted[r->n] = quoted;
    r->n++;
    return gnv__buf_putc(&r->data, '\0');
}

static inline int put_byte(gnv_buf *b, int c)
{
    if (b->size + 1 >= b->asize)
        GNV_TRY(gnv__buf_reserve(b, 1));
    b->ptr[b->size++] = (char)c;
    return GNV_OK;
}

/* Copy the run of bytes at the read position, up to the current block's end or the
 * first byte marked in `stop`, into the field at once: the per-byte loops below only
 * see the bytes that mean something. */
static inline int put_run(gnv_buf *out, src *s, const uint8_t stop[256])
{
    const uint8_t *p = s->buf + s->pos, *end = s->buf + s->len, *q = p;
    while (q < end && !stop[*q])
        q++;
    if (q == p)
        return GNV_OK;
    GNV_TRY(gnv__buf_put(out, p, (size_t)(q - p)));
    s->pos += (size_t)(q - p);
    return GNV_OK;
}

typedef struct csv {
    src s;
    char *name;
    char delim;
    int64_t line; /* current physical line, 1-based */
    int64_t batch_rows, infer_rows;
    struct ArrowSchema schema; /* struct<columns> */
    int64_t ncols;
    gnv_type *types;   /* per column; timezones point into schema */
    csv_rec *buffered; /* records read for inference */
    int64_t n_buffered, next_buffered;
    csv_rec rec; /* the current record after the buffered ones */
    bool at_end;
    /* Bytes that end a run of plain field bytes: delimiter, LF, CR outside quotes;
     * quote and LF (counted as a line) inside them. */
    uint8_t stop_plain[256], stop_quoted[256];
    /* The previous batch's rows and per-column data bytes: the next batch reserves as
     * much up front instead of growing its buffers a doubling at a time. */
    int64_t last_rows;
    size_t *last_data;
    int failed; /* sticky error code */
    char errmsg[1024];
} csv;

/*
 * Read the next non-blank record into r. GNV_OK, GNV_ITEROVER at the end of input, or
 * GNV_EINVAL (unterminated quote) / GNV_EIO.
 */
static int read_record(csv *c, csv_rec *r)
{
    src *s = &c->s;
    int ch;
    gnv__buf_clear(&r->data);
    r->n = 0;
    for (;;) { /* skip blank lines */
        r->line = c->line;
        ch = src_getc(s);
        if (ch == -2)
            return GNV_EIO;
        if (ch == -1)
            return GNV_ITEROVER;
        if (ch == '\n') {
            c->line++;
            continue;
        }
        if (ch == '\r') {
            int nx = src_getc(s);
            if (nx == '\n') {
                c->line++;
                continue;
            }
            if (nx == -2)
                return GNV_EIO;
            if (nx >= 0)
                src_unget(s);
        }
        src_unget(s);
        break;
    }
    for (;;) { /* one field per iteration */
        size_t fstart = r->data.size;
        bool quoted = false;
        ch = src_getc(s);
        if (ch == '"') {
            int64_t qline = c->line;
            quoted = true;
            for (;;) {
                ch = src_getc(s);
                if (ch == -2)
                    return GNV_EIO;
                if (ch == -1)
                    return gnv__error_set(GNV_EINVAL, GNV_SUB_IMPORT,
                                          "%s: line %lld: unterminated quoted field: the quote "
                                          "opened on this line is never closed",
                                          c->name, (long long)qline);
                if (ch == '"') {
                    ch = src_getc(s);
                    if (ch == '"') {
                        GNV_TRY(put_byte(&r->data, '"'));
                        continue;
                    }
                    break;
                }
                if (ch == '\n')
                    c->line++;
                GNV_TRY(put_byte(&r->data, ch));
                GNV_TRY(put_run(&r->data, s, c->stop_quoted));
            }
        }
        /* unquoted bytes (or what follows a closing quote) up to the field's end */
        for (;; ch = src_getc(s)) {
            if (ch == -2)
                return GNV_EIO;
            if (ch == -1 || ch == '\n' || ch == c->delim)
                break;
            if (ch == '\r') {
                int nx = src_getc(s);
                if (nx == '\n') {
                    ch = '\n';
                    break;
                }
                if (nx == -2)
                    return GNV_EIO;
                if (nx >= 0)
                    src_unget(s);
            }
            GNV_TRY(put_byte(&r->data, ch));
            GNV_TRY(put_run(&r->data, s, c->stop_plain));
        }
        GNV_TRY(rec_push(r, fstart, quoted));
        if (ch == c->delim)
            continue;
        if (ch == '\n')
            c->line++;
        return GNV_OK;
    }
}

/* ---- inference ------------------------------------------------------------ */

typedef enum kind { K_NONE = 0, K_INT, K_FLOAT, K_BOOL, K_DATE, K_TS, K_TSTZ, K_STR } kind;

static kind classify(const char *s, size_t n)
{
    int64_t i;
    double d;
    bool b, tz;
    int32_t day;
    if (parse_int64(s, n, &i))
        return K_INT;
    if (parse_double(s, n, &d))
        return K_FLOAT;
    if (parse_bool(s, n, &b))
        return K_BOOL;
    if (n >= 10 && isdigit((unsigned char)s[0])) {
        if (gnv__parse_date32(s, n, &day))
            return K_DATE;
        if (gnv__parse_timestamp(s, n, GNV_UNIT_MICRO, false, &i, &tz))
            return tz ? K_TSTZ : K_TS;
    }
    return K_STR;
}

static kind merge(kind a, kind b)
{
    if (a == K_NONE || a == b)
        return b;
    if (b == K_NONE)
        return a;
    if ((a == K_INT && b == K_FLOAT) || (a == K_FLOAT && b == K_INT))
        return K_FLOAT;
    if ((a == K_DATE && (b == K_TS || b == K_TSTZ)) || (b == K_DATE && (a == K_TS || a == K_TSTZ)))
        return a == K_DATE ? b : a;
    return K_STR;
}

static const char *kind_format(kind k)
{
    switch (k) {
    case K_INT:
        return "l";
    case K_FLOAT:
        return "g";
    case K_BOOL:
        return "b";
    case K_DATE:
        return "tdD";
    case K_TS:
        return "tsu:";
    case K_TSTZ:
        return "tsu:UTC";
    default:
        return "u";
    }
}

static bool csv_supported(gnv_type_id id)
{
    return (id >= GNV_TYPE_BOOL && id <= GNV_TYPE_FIXED_SIZE_BINARY) || id == GNV_TYPE_DATE32 ||
           id == GNV_TYPE_TIMESTAMP;
}

static bool name_taken(char **names, int64_t n, const char *name)
{
    for (int64_t i = 0; i < n; i++)
        if (strcmp(names[i], name) == 0)
            return true;
    return false;
}

/* Column names from the header record (or f0, f1, ...), made unique. */
static int make_names(csv *c, const csv_rec *hdr, char ***out)
{
    int rc = GNV_OK;
    char **names = gnv__calloc((size_t)c->ncols, sizeof *names);
    GNV_CHECK_ALLOC(names);
    for (int64_t i = 0; i < c->ncols; i++) {
        char base[32];
        const char *name = base;
        snprintf(base, sizeof base, "f%lld", (long long)i);
        if (hdr && hdr->len[i] > 0) {
            name = hdr->data.ptr + hdr->start[i];
            int64_t bad = gnv__utf8_invalid_at((const uint8_t *)name, (size_t)hdr->len[i]);
            GNV_ERR_IF(bad >= 0 || memchr(name, '\0', (size_t)hdr->len[i]), GNV_EINVAL,
                       GNV_SUB_IMPORT,
                       "%s: line %lld: the name of column %lld is not valid "
                       "UTF-8 text",
                       c->name, (long long)hdr->line, (long long)i + 1);
        }
        if (name_taken(names, i, name)) {
            size_t cap = strlen(name) + 24;
            char *alt = gnv__malloc(cap);
            GNV_CHECK_ALLOC(alt);
            for (int k = 2;; k++) {
                snprintf(alt, cap, "%s_%d", name, k);
                if (!name_taken(names, i, alt))
                    break;
            }
            names[i] = alt;
        } else {
            names[i] = gnv__strdup(name);
            GNV_CHECK_ALLOC(names[i]);
        }
    }
done:
    *out = names;
    return rc;
}

static int ragged_error(const csv *c, const csv_rec *r)
{
    return gnv__error_set(
        GNV_EINVAL, GNV_SUB_IMPORT, "%s: line %lld: expected %lld field%s, found %lld", c->name,
        (long long)r->line, (long long)c->ncols, c->ncols == 1 ? "" : "s", (long long)r->n);
}

/* Read the header and up to infer_rows records, then build the schema. */
static int csv_prepare(csv *c, const gnv_read_options *opts)
{
    int rc = GNV_OK;
    csv_rec hdr = {0};
    char **names = NULL;
    kind *kinds = NULL;
    gnv_type_overrides ov = {0};

    GNV_TRYG(gnv__type_overrides_parse(&ov, opts ? opts->types : NULL));
    /* skip a UTF-8 byte order mark */
    int b0 = src_getc(&c->s);
    if (b0 == 0xEF) {
        int b1 = src_getc(&c->s), b2 = b1 == 0xBB ? src_getc(&c->s) : -1;
        GNV_ERR_IF(b1 != 0xBB || b2 != 0xBF, GNV_EINVAL, GNV_SUB_IMPORT,
                   "%s: line 1: the file starts with a broken UTF-8 byte order mark", c->name);
    } else if (b0 == -2) {
        rc = GNV_EIO;
        goto done;
    } else if (b0 >= 0) {
        src_unget(&c->s);
    }
    bool no_header = opts && opts->csv_no_header;
    c->buffered = gnv__calloc((size_t)c->infer_rows + 1, sizeof *c->buffered);
    GNV_CHECK_ALLOC(c->buffered);
    rc = read_record(c, no_header ? &c->buffered[0] : &hdr);
    GNV_ERR_IF(rc == GNV_ITEROVER, GNV_EINVAL, GNV_SUB_IMPORT,
               "%s: the file is empty (no header line)", c->name);
    if (rc < 0)
        goto done;
    c->ncols = no_header ? c->buffered[0].n : hdr.n;
    c->n_buffered = no_header ? 1 : 0;
    while (c->n_buffered < c->infer_rows) {
        rc = read_record(c, &c->buffered[c->n_buffered]);
        if (rc == GNV_ITEROVER) {
            c->at_end = true;
            rc = GNV_OK;
            break;
        }
        if (rc < 0)
            goto done;
        c->n_buffered++;
    }
    kinds = gnv__calloc((size_t)c->ncols, sizeof *kinds);
    GNV_CHECK_ALLOC(kinds);
    for (int64_t r = 0; r < c->n_buffered; r++) {
        const csv_rec *rec = &c->buffered[r];
        if (rec->n != c->ncols) {
            rc = ragged_error(c, rec);
            goto done;
        }
        for (int64_t i = 0; i < c->ncols; i++) {
            if (rec->len[i] == 0 || kinds[i] == K_STR)
                continue;
            kinds[i] =
                merge(kinds[i], classify(rec->data.ptr + rec->start[i], (size_t)rec->len[i]));
        }
    }
    GNV_TRYG(make_names(c, no_header ? NULL : &hdr, &names));
    GNV_TRYG(gnv__schema_init(&c->schema, "+s", "", 0));
    GNV_TRYG(gnv__schema_alloc_children(&c->schema, c->ncols));
    c->types = gnv__calloc((size_t)c->ncols + 1, sizeof *c->types);
    GNV_CHECK_ALLOC(c->types);
    for (int64_t i = 0; i < c->ncols; i++) {
        struct ArrowSchema *child = c->schema.children[i];
        const struct ArrowSchema *o = gnv__type_overrides_find(&ov, names[i]);
        if (o) {
            GNV_TRYG(gnv__schema_copy(child, o));
        } else {
            GNV_TRYG(gnv__schema_init(child, kind_format(kinds[i]), names[i], ARROW_FLAG_NULLABLE));
        }
        GNV_TRYG(gnv__type_parse(&c->types[i], child->format));
        if (!csv_supported(c->types[i].id) || child->n_children > 0) {
            gnv_buf t = GNV_BUF_INIT;
            GNV_TRYG(gnv__type_to_string(&t, child));
            rc = gnv__error_set(GNV_EINVAL, GNV_SUB_IMPORT,
                                "%s: column '%s' cannot be read as %s from CSV (only scalar "
                                "types)",
                                c->name, names[i], t.ptr ? t.ptr : "?");
            gnv_buf_dispose(&t);
            goto done;
        }
    }
    GNV_TRYG(gnv__type_overrides_check_used(&ov, c->name));
done:
    if (names)
        for (int64_t i = 0; i < c->ncols; i++)
            gnv__free(names[i]);
    gnv__free(names);
    gnv__free(kinds);
    rec_free(&hdr);
    gnv__type_overrides_free(&ov);
    return rc;
}

/* ---- conversion ----------------------------------------------------------- */

/* "a" or "an" before a type name. */
static const char *article(const char *word)
{
    return strchr("aeio", word[0]) ? "an" : "a";
}

static int value_error(const csv *c, const csv_rec *r, int64_t col, const char *what)
{
    const struct ArrowSchema *child = c->schema.children[col];
    const char *text = r->data.ptr + r->start[col];
    int64_t n = r->len[col];
    gnv_buf t = GNV_BUF_INIT;
    if (gnv__type_to_string(&t, child) < 0)
        return gnv__error_code();
    int rc = gnv__error_set(GNV_EINVAL, GNV_SUB_IMPORT,
                            "%s: line %lld, column '%s': '%.*s%s' is not %s %s%s; override "
                            "the type with --types %s:utf8",
                            c->name, (long long)r->line, child->name, (int)GNV_MIN(n, 60), text,
                            n > 60 ? "..." : "", article(t.ptr), t.ptr, what, child->name);
    gnv_buf_dispose(&t);
    return rc;
}

/* Append field col of record r to the column array a. */
static int append_field(csv *c, struct ArrowArray *a, const csv_rec *r, int64_t col)
{
    const gnv_type *t = &c->types[col];
    const char *s = r->data.ptr + r->start[col];
    size_t n = (size_t)r->len[col];
    int64_t i;
    uint64_t u;
    double d;
    bool b, tz;
    int32_t day;
    int rc;

    if (n == 0) {
        if (r->quoted[col] && gnv__type_is_binary_like(t->id))
            return gnv__array_append_bytes(a, "", 0);
        return gnv__array_append_null(a, 1);
    }
    switch (t->id) {
    case GNV_TYPE_UINT64:
        if (!parse_uint64(s, n, &u))
            return value_error(c, r, col, "");
        return gnv__array_append_uint(a, u);
    case GNV_TYPE_INT8:
    case GNV_TYPE_UINT8:
    case GNV_TYPE_INT16:
    case GNV_TYPE_UINT16:
    case GNV_TYPE_INT32:
    case GNV_TYPE_UINT32:
    case GNV_TYPE_INT64:
        if (!parse_int64(s, n, &i))
            return value_error(c, r, col, "");
        rc = gnv__array_append_int(a, i);
        if (rc == GNV_EINVAL)
            return value_error(c, r, col, " (out of range)");
        return rc;
    case GNV_TYPE_HALF_FLOAT:
    case GNV_TYPE_FLOAT:
    case GNV_TYPE_DOUBLE:
        if (!parse_double(s, n, &d) && !parse_special_double(s, n, &d))
            return value_error(c, r, col, "");
        return gnv__array_append_double(a, d);
    case GNV_TYPE_BOOL:
        if (!parse_bool(s, n, &b))
            return value_error(c, r, col, " (true or false)");
        return gnv__array_append_bool(a, b);
    case GNV_TYPE_DATE32:
        if (!gnv__parse_date32(s, n, &day))
            return value_error(c, r, col, " (YYYY-MM-DD)");
        return gnv__array_append_int(a, day);
    case GNV_TYPE_TIMESTAMP:
        if (!gnv__parse_timestamp(s, n, t->unit, true, &i, &tz))
            return value_error(c, r, col, " (YYYY-MM-DD HH:MM:SS[.ffffff][Z|+HH:MM])");
        return gnv__array_append_int(a, i);
    case GNV_TYPE_STRING:
    case GNV_TYPE_LARGE_STRING: {
        int64_t bad = gnv__utf8_invalid_at((const uint8_t *)s, n);
        if (bad >= 0)
            return gnv__error_set(GNV_EINVAL, GNV_SUB_IMPORT,
                                  "%s: line %lld, column '%s': invalid UTF-8 at byte %lld of "
                                  "the value; override the type with --types %s:binary",
                                  c->name, (long long)r->line, c->schema.children[col]->name,
                                  (long long)bad + 1, c->schema.children[col]->name);
        return gnv__array_append_bytes(a, s, n);
    }
    case GNV_TYPE_FIXED_SIZE_BINARY:
        if (n != (size_t)t->fixed_size)
            return value_error(c, r, col, " (wrong length)");
        return gnv__array_append_bytes(a, s, n);
    default:
        return gnv__array_append_bytes(a, s, n);
    }
}

/* The next record: buffered ones first. Sets *rec. */
static int next_record(csv *c, const csv_rec **rec)
{
    if (c->next_buffered < c->n_buffered) {
        if (c->next_buffered > 0) /* keep memory bounded: drop records already emitted */
            rec_free(&c->buffered[c->next_buffered - 1]);
        *rec = &c->buffered[c->next_buffered++];
        return GNV_OK;
    }
    if (c->n_buffered > 0 && c->next_buffered == c->n_buffered) {
        rec_free(&c->buffered[c->n_buffered - 1]);
        c->next_buffered++;
    }
    if (c->at_end)
        return GNV_ITEROVER;
    int rc = read_record(c, &c->rec);
    if (rc == GNV_ITEROVER)
        c->at_end = true;
    if (rc == GNV_EIO && gnv__error_code() != GNV_EIO)
        rc = gnv__error_code();
    *rec = &c->rec;
    return rc;
}

/* Reserve room for a batch like the previous one. */
static int reserve_batch(csv *c, struct ArrowArray *out)
{
    if (!c->last_data) {
        c->last_data = gnv__calloc((size_t)c->ncols + 1, sizeof *c->last_data);
        if (!c->last_data)
            return gnv__error_oom();
    }
    if (c->last_rows == 0)
        return GNV_OK;
    for (int64_t i = 0; i < c->ncols; i++) {
        GNV_TRY(gnv__array_reserve(out->children[i], c->last_rows));
        gnv_buf *data = gnv__array_buffer(out->children[i], 2);
        if (data && c->last_data[i])
            GNV_TRY(gnv__buf_reserve(data, c->last_data[i]));
    }
    return GNV_OK;
}

static int csv_get_next(void *self, struct ArrowArray *out)
{
    csv *c = self;
    int rc = GNV_OK;
    int64_t rows = 0;
    if (c->failed)
        return gnv__error_set(c->failed, GNV_SUB_IMPORT, "%s", c->errmsg);
    GNV_TRYG(gnv__array_init(out, &c->schema));
    GNV_TRYG(reserve_batch(c, out));
    while (rows < c->batch_rows) {
        const csv_rec *r;
        rc = next_record(c, &r);
        if (rc == GNV_ITEROVER)
            break;
        if (rc < 0)
            goto done;
        if (r->n != c->ncols) {
            rc = ragged_error(c, r);
            goto done;
        }
        for (int64_t i = 0; i < c->ncols; i++)
            GNV_TRYG(append_field(c, out->children[i], r, i));
        GNV_TRYG(gnv__array_finish_element(out));
        rows++;
    }
    if (rows == 0) {
        gnv__array_release(out);
        return GNV_ITEROVER;
    }
    c->last_rows = rows;
    for (int64_t i = 0; i < c->ncols; i++) {
        gnv_buf *data = gnv__array_buffer(out->children[i], 2);
        c->last_data[i] = data ? data->size : 0;
    }
    rc = gnv__array_finish(out);
done:
    if (rc < 0 && rc != GNV_ITEROVER) {
        gnv__array_release(out);
        const gnv_error *e = gnv_error_last();
        c->failed = rc;
        snprintf(c->errmsg, sizeof c->errmsg, "%s", e && e->message ? e->message : "error");
    }
    return rc;
}

static int csv_get_schema(void *self, struct ArrowSchema *out)
{
    csv *c = self;
    return gnv__schema_copy(out, &c->schema);
}

static void csv_free(void *self)
{
    csv *c = self;
    if (!c)
        return;
    gnv__source_close(&c->s);
    gnv__free(c->name);
    gnv__schema_release(&c->schema);
    gnv__free(c->types);
    gnv__free(c->last_data);
    if (c->buffered) /* + 1: the record being read when reading failed */
        for (int64_t i = 0; i <= c->n_buffered && i <= c->infer_rows; i++)
            rec_free(&c->buffered[i]);
    gnv__free(c->buffered);
    rec_free(&c->rec);
    gnv__free(c);
}

static const gnv_stream_impl csv_impl = {csv_get_schema, csv_get_next, csv_free};

static int csv_new(csv **out, const char *name, const gnv_read_options *opts)
{
    csv *c = gnv__calloc(1, sizeof *c);
    *out = c;
    if (!c)
        return gnv__error_oom();
    c->name = gnv__strdup(name ? name : "<memory>");
    if (!c->name)
        return gnv__error_oom();
    c->line = 1;
    c->delim = opts && opts->csv_delimiter ? opts->csv_delimiter : ',';
    c->batch_rows = opts && opts->batch_rows > 0 ? opts->batch_rows : DEFAULT_BATCH_ROWS;
    c->infer_rows = opts && opts->infer_rows > 0 ? opts->infer_rows : DEFAULT_INFER_ROWS;
    if (c->delim == '"' || c->delim == '\n' || c->delim == '\r')
        return gnv__error_set(GNV_EINVAL, GNV_SUB_IMPORT, "invalid CSV delimiter %d", c->delim);
    memset(c->stop_plain, 0, sizeof c->stop_plain);
    memset(c->stop_quoted, 0, sizeof c->stop_quoted);
    if (c->delim >= 0) /* as in read_record, where a byte is compared as 0..255 */
        c->stop_plain[(uint8_t)c->delim] = 1;
    c->stop_plain['\n'] = c->stop_plain['\r'] = 1;
    c->stop_quoted['"'] = c->stop_quoted['\n'] = 1;
    return GNV_OK;
}

static int csv_start(struct ArrowArrayStream *out, csv *c, const gnv_read_options *opts)
{
    int rc = csv_prepare(c, opts);
    if (rc == GNV_EIO && gnv__error_code() != GNV_EIO)
        rc = gnv__error_code();
    if (rc < 0) {
        csv_free(c);
        return rc;
    }
    return gnv__stream_init(out, &csv_impl, c);
}

/* Open a reader over a file (path) or a copy of memory (data, size); `name` is used in
 * messages. */
static int open_source(struct ArrowArrayStream *out,
                       const char *name,
                       const char *path,
                       const void *data,
                       size_t size,
                       const gnv_read_options *opts)
{
    csv *c;
    memset(out, 0, sizeof *out);
    int rc = csv_new(&c, name, opts);
    if (rc == GNV_OK)
        rc = path ? gnv__source_open_path(&c->s, c->name)
                  : gnv__source_open_memory(&c->s, data, size, c->name);
    if (rc < 0) {
        csv_free(c);
        return rc;
    }
    return csv_start(out, c, opts);
}

int gnv__csv_open_path(struct ArrowArrayStream *out, const char *path, const gnv_read_options *opts)
{
    return open_source(out, path, path, NULL, 0, opts);
}

int gnv__csv_open_memory(struct ArrowArrayStream *out,
                         const void *data,
                         size_t size,
                         const char *name,
                         const gnv_read_options *opts)
{
    return open_source(out, name, NULL, data, size, opts);
}
