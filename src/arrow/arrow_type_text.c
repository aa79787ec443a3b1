/* Types written as text ("int64", "list<utf8>", "timestamp[us, tz=UTC]", ...) turned
 * into owned schemas: the inverse of gnv__type_to_string, plus a few aliases. Also the
 * "name:type,name:type" override lists of the CSV and JSONL readers. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "arrow.h"

/* Parser state: the whole text (for messages) and the position. */
typedef struct tparser {
    const char *text;
    size_t pos;
} tparser;

/* Nesting guard: texts come from users and fuzzers. */
#define MAX_DEPTH 64

static const struct {
    const char *name;
    const char *format;
} scalar_names[] = {
    {"null", "n"},    {"bool", "b"},         {"boolean", "b"},      {"int8", "c"},
    {"uint8", "C"},   {"int16", "s"},        {"uint16", "S"},       {"int32", "i"},
    {"uint32", "I"},  {"int64", "l"},        {"int", "l"},          {"uint64", "L"},
    {"float16", "e"}, {"halffloat", "e"},    {"float32", "f"},      {"float", "f"},
    {"float64", "g"}, {"double", "g"},       {"utf8", "u"},         {"string", "u"},
    {"str", "u"},     {"large_utf8", "U"},   {"large_string", "U"}, {"binary", "z"},
    {"bytes", "z"},   {"large_binary", "Z"}, {"date32", "tdD"},     {"date", "tdD"},
};

static void skip_ws(tparser *p)
{
    while (p->text[p->pos] == ' ' || p->text[p->pos] == '\t' || p->text[p->pos] == '\n' ||
           p->text[p->pos] == '\r')
        p->pos++;
}

static int syntax_error(const tparser *p, const char *what)
{
    return gnv__error_set(GNV_EINVAL, GNV_SUB_ARROW, "invalid type '%s': %s at position %zu",
                          p->text, what, p->pos + 1);
}

/* Consume `c` after optional spaces, or fail naming what was expected. */
static int expect(tparser *p, char c)
{
    skip_ws(p);
    if (p->text[p->pos] != c) {
        char what[32];
        snprintf(what, sizeof what, "expected '%c'", c);
        return syntax_error(p, what);
    }
    p->pos++;
    return GNV_OK;
}

static bool accept(tparser *p, char c)
{
    skip_ws(p);
    if (p->text[p->pos] == c) {
        p->pos++;
        return true;
    }
    return false;
}

/* A lower-cased identifier [A-Za-z0-9_] into word (truncated at size-1). */
static size_t read_word(tparser *p, char *word, size_t size)
{
    skip_ws(p);
    size_t n = 0;
    while (isalnum((unsigned char)p->text[p->pos]) || p->text[p->pos] == '_') {
        if (n + 1 < size)
            word[n++] = (char)tolower((unsigned char)p->text[p->pos]);
        p->pos++;
    }
    word[n] = '\0';
    return n;
}

static int read_int(tparser *p, int32_t *out)
{
    skip_ws(p);
    int64_t v = 0;
    size_t start = p->pos;
    while (isdigit((unsigned char)p->text[p->pos])) {
        v = v * 10 + (p->text[p->pos] - '0');
        if (v > INT32_MAX)
            return syntax_error(p, "number too large");
        p->pos++;
    }
    if (p->pos == start || v <= 0)
        return syntax_error(p, "expected a positive number");
    *out = (int32_t)v;
    return GNV_OK;
}

static int parse_type(tparser *p, struct ArrowSchema *out, const char *name, int depth);

/* decimal128(P, S) (also decimal(P, S)), after the name */
static int parse_decimal(tparser *p, struct ArrowSchema *out, const char *name)
{
    int32_t precision, scale = 0;
    char format[48];
    gnv_type t;
    GNV_TRY(expect(p, '('));
    GNV_TRY(read_int(p, &precision));
    GNV_TRY(expect(p, ','));
    skip_ws(p);
    if (p->text[p->pos] == '0' && !isdigit((unsigned char)p->text[p->pos + 1]))
        p->pos++;
    else
        GNV_TRY(read_int(p, &scale));
    GNV_TRY(expect(p, ')'));
    if (precision > GNV_DECIMAL128_MAX_PRECISION || scale > GNV_DECIMAL128_MAX_PRECISION)
        return syntax_error(p, "decimal128 precision and scale are at most 38");
    snprintf(format, sizeof format, "d:%d,%d", (int)precision, (int)scale);
    GNV_TRY(gnv__type_parse(&t, format));
    return gnv__schema_init(out, format, name, ARROW_FLAG_NULLABLE);
}

/* duration[s|ms|us|ns], after the name */
static int parse_duration(tparser *p, struct ArrowSchema *out, const char *name)
{
    char word[16], format[8];
    GNV_TRY(expect(p, '['));
    size_t at = p->pos;
    read_word(p, word, sizeof word);
    const char *units[] = {"s", "ms", "us", "ns"};
    int u = -1;
    for (int i = 0; i < 4; i++)
        if (strcmp(word, units[i]) == 0)
            u = i;
    if (u < 0) {
        p->pos = at;
        skip_ws(p);
        return syntax_error(p, "expected a time unit (s, ms, us or ns)");
    }
    GNV_TRY(expect(p, ']'));
    snprintf(format, sizeof format, "tD%c", "smun"[u]);
    return gnv__schema_init(out, format, name, ARROW_FLAG_NULLABLE);
}

static int parse_timestamp(tparser *p, struct ArrowSchema *out, const char *name)
{
    char unit = 'u';
    char format[96];
    const char *tz = "";
    char tzbuf[64] = "";
    if (accept(p, '[')) {
        char word[16];
        size_t at = p->pos;
        read_word(p, word, sizeof word);
        if (strcmp(word, "s") == 0)
            unit = 's';
        else if (strcmp(word, "ms") == 0)
            unit = 'm';
        else if (strcmp(word, "us") == 0)
            unit = 'u';
        else if (strcmp(word, "ns") == 0)
            unit = 'n';
        else {
            p->pos = at;
            skip_ws(p);
            return syntax_error(p, "expected a time unit (s, ms, us or ns)");
        }
        if (accept(p, ',')) {
            read_word(p, word, sizeof word);
            if (strcmp(word, "tz") != 0)
                return syntax_error(p, "expected 'tz='");
            GNV_TRY(expect(p, '='));
            skip_ws(p);
            size_t n = 0;
            while (p->text[p->pos] && p->text[p->pos] != ']' && p->text[p->pos] != ' ') {
                if (n + 1 >= sizeof tzbuf)
                    return syntax_error(p, "time zone name too long");
                tzbuf[n++] = p->text[p->pos++];
            }
            tzbuf[n] = '\0';
            if (n == 0)
                return syntax_error(p, "expected a time zone name");
            tz = tzbuf;
        }
        GNV_TRY(expect(p, ']'));
    }
    snprintf(format, sizeof format, "ts%c:%s", unit, tz);
    return gnv__schema_init(out, format, name, ARROW_FLAG_NULLABLE);
}

static int
parse_list(tparser *p, struct ArrowSchema *out, const char *name, const char *word, int depth)
{
    int rc = GNV_OK;
    struct ArrowSchema item = {0};
    int32_t size = 0;
    char format[32];
    GNV_TRYG(expect(p, '<'));
    GNV_TRYG(parse_type(p, &item, "item", depth + 1));
    if (strcmp(word, "fixed_size_list") == 0) {
        GNV_TRYG(expect(p, ','));
        GNV_TRYG(read_int(p, &size));
        snprintf(format, sizeof format, "+w:%d", size);
    } else {
        snprintf(format, sizeof format, "%s", strcmp(word, "list") == 0 ? "+l" : "+L");
    }
    GNV_TRYG(expect(p, '>'));
    GNV_TRYG(gnv__schema_init(out, format, name, ARROW_FLAG_NULLABLE));
    rc = gnv__schema_alloc_children(out, 1);
    if (rc < 0) {
        gnv__schema_release(out);
        goto done;
    }
    gnv__schema_move(&item, out->children[0]);
done:
    gnv__schema_release(&item);
    return rc;
}

/* A struct field name: "quoted" or the text up to ':' (trimmed). */
static int parse_field_name(tparser *p, gnv_buf *name)
{
    skip_ws(p);
    gnv__buf_clear(name);
    if (p->text[p->pos] == '"') {
        p->pos++;
        while (p->text[p->pos] && p->text[p->pos] != '"')
            GNV_TRY(gnv__buf_putc(name, p->text[p->pos++]));
        GNV_TRY(expect(p, '"'));
    } else {
        size_t start = p->pos;
        while (p->text[p->pos] && !strchr(":,<>", p->text[p->pos]))
            p->pos++;
        size_t end = p->pos;
        while (end > start && (p->text[end - 1] == ' ' || p->text[end - 1] == '\t'))
            end--;
        if (end == start)
            return syntax_error(p, "expected a field name");
        GNV_TRY(gnv__buf_put(name, p->text + start, end - start));
    }
    return gnv__buf_putc(name, '\0');
}

static int parse_struct(tparser *p, struct ArrowSchema *out, const char *name, int depth)
{
    int rc = GNV_OK;
    gnv_buf fname = GNV_BUF_INIT;
    struct ArrowSchema *fields = NULL;
    int64_t n = 0, cap = 0;
    GNV_TRYG(expect(p, '<'));
    if (!accept(p, '>')) {
        do {
            if (n == cap) {
                int64_t ncap = cap ? cap * 2 : 4;
                struct ArrowSchema *nf = gnv__reallocarray(fields, (size_t)ncap, sizeof *nf);
                GNV_CHECK_ALLOC(nf);
                fields = nf;
                cap = ncap;
            }
            GNV_TRYG(parse_field_name(p, &fname));
            GNV_TRYG(expect(p, ':'));
            GNV_TRYG(parse_type(p, &fields[n], fname.ptr, depth + 1));
            n++;
        } while (accept(p, ','));
        GNV_TRYG(expect(p, '>'));
    }
    GNV_TRYG(gnv__schema_init(out, "+s", name, ARROW_FLAG_NULLABLE));
    rc = gnv__schema_alloc_children(out, n);
    if (rc < 0) {
        gnv__schema_release(out);
        goto done;
    }
    for (int64_t i = 0; i < n; i++)
        gnv__schema_move(&fields[i], out->children[i]);
    n = 0;
done:
    for (int64_t i = 0; i < n; i++)
        gnv__schema_release(&fields[i]);
    gnv__free(fields);
    gnv_buf_dispose(&fname);
    return rc;
}

static int parse_type(tparser *p, struct ArrowSchema *out, const char *name, int depth)
{
    char word[32];
    memset(out, 0, sizeof *out);
    if (depth > MAX_DEPTH)
        return syntax_error(p, "types nested too deeply");
    skip_ws(p);
    size_t at = p->pos;
    if (read_word(p, word, sizeof word) == 0)
        return syntax_error(p, "expected a type name");
    for (size_t i = 0; i < GNV_ARRAY_SIZE(scalar_names); i++)
        if (strcmp(word, scalar_names[i].name) == 0)
            return gnv__schema_init(out, scalar_names[i].format, name, ARROW_FLAG_NULLABLE);
    if (strcmp(word, "timestamp") == 0)
        return parse_timestamp(p, out, name);
    if (strcmp(word, "decimal128") == 0 || strcmp(word, "decimal") == 0)
        return parse_decimal(p, out, name);
    if (strcmp(word, "duration") == 0)
        return parse_duration(p, out, name);
    if (strcmp(word, "fixed_size_binary") == 0) {
        int32_t size;
        char format[32];
        GNV_TRY(expect(p, '['));
        GNV_TRY(read_int(p, &size));
        GNV_TRY(expect(p, ']'));
        snprintf(format, sizeof format, "w:%d", size);
        return gnv__schema_init(out, format, name, ARROW_FLAG_NULLABLE);
    }
    if (strcmp(word, "list") == 0 || strcmp(word, "large_list") == 0 ||
        strcmp(word, "fixed_size_list") == 0)
        return parse_list(p, out, name, word, depth);
    if (strcmp(word, "struct") == 0)
        return parse_struct(p, out, name, depth);
    p->pos = at;
    return syntax_error(p, "unknown type name");
}

int gnv__type_from_string(struct ArrowSchema *out, const char *text, const char *name)
{
    memset(out, 0, sizeof *out);
    if (!text)
        return gnv__error_set(GNV_EINVAL, GNV_SUB_ARROW, "no type given");
    tparser p = {text, 0};
    GNV_TRY(parse_type(&p, out, name ? name : "", 0));
    skip_ws(&p);
    if (text[p.pos] != '\0') {
        gnv__schema_release(out);
        return syntax_error(&p, "unexpected text after the type");
    }
    return GNV_OK;
}

/* ---- override lists ----------------------------------------------------- */

void gnv__type_overrides_free(gnv_type_overrides *o)
{
    if (!o)
        return;
    for (int64_t i = 0; i < o->n; i++) {
        gnv__free(o->items[i].name);
        gnv__schema_release(&o->items[i].schema);
    }
    gnv__free(o->items);
    memset(o, 0, sizeof *o);
}

static char *trimmed_copy(const char *s, size_t n)
{
    while (n > 0 && isspace((unsigned char)*s)) {
        s++;
        n--;
    }
    while (n > 0 && isspace((unsigned char)s[n - 1]))
        n--;
    return gnv__strndup(s, n);
}

/* Split one "name:type" entry and parse it into o->items[o->n]. */
static int parse_override(gnv_type_overrides *o, const char *entry, size_t len)
{
    int rc = GNV_OK;
    char *name = NULL, *type = NULL;
    const char *colon = memchr(entry, ':', len);
    if (!colon) {
        char *e = gnv__strndup(entry, len);
        rc = gnv__error_set(GNV_EINVAL, GNV_SUB_IMPORT,
                            "type override '%s' is not of the form name:type", e ? e : "");
        gnv__free(e);
        return rc;
    }
    name = trimmed_copy(entry, (size_t)(colon - entry));
    type = trimmed_copy(colon + 1, len - (size_t)(colon - entry) - 1);
    GNV_CHECK_ALLOC(name);
    GNV_CHECK_ALLOC(type);
    GNV_ERR_IF(!*name, GNV_EINVAL, GNV_SUB_IMPORT, "type override ':%s' has no column name", type);
    for (int64_t i = 0; i < o->n; i++)
        GNV_ERR_IF(strcmp(o->items[i].name, name) == 0, GNV_EINVAL, GNV_SUB_IMPORT,
                   "type override for column '%s' given twice", name);
    rc = gnv__type_from_string(&o->items[o->n].schema, type, name);
    if (rc < 0) {
        gnv__error_prefix("type override for column '%s'", name);
        goto done;
    }
    o->items[o->n].name = name;
    o->items[o->n].used = false;
    o->n++;
    name = NULL;
done:
    gnv__free(name);
    gnv__free(type);
    return rc;
}

int gnv__type_overrides_parse(gnv_type_overrides *out, const char *text)
{
    int rc = GNV_OK;
    memset(out, 0, sizeof *out);
    if (!text)
        return GNV_OK;
    /* Entries are separated by commas outside <>, [] and () (types contain commas). */
    int64_t cap = 1;
    for (const char *s = text; *s; s++)
        cap += *s == ',';
    out->items = gnv__calloc((size_t)cap, sizeof *out->items);
    GNV_CHECK_ALLOC(out->items);
    const char *start = text;
    int depth = 0;
    for (const char *s = text;; s++) {
        if (*s == '<' || *s == '[' || *s == '(')
            depth++;
        else if ((*s == '>' || *s == ']' || *s == ')') && depth > 0)
            depth--;
        if (*s == '\0' || (*s == ',' && depth == 0)) {
            bool blank = true;
            for (const char *b = start; b < s; b++)
                blank = blank && isspace((unsigned char)*b);
            if (!blank)
                GNV_TRYG(parse_override(out, start, (size_t)(s - start)));
            if (*s == '\0')
                break;
            start = s + 1;
        }
    }
done:
    if (rc < 0)
        gnv__type_overrides_free(out);
    return rc;
}

const struct ArrowSchema *gnv__type_overrides_find(gnv_type_overrides *o, const char *name)
{
    for (int64_t i = 0; i < o->n; i++) {
        if (strcmp(o->items[i].name, name) == 0) {
            o->items[i].used = true;
            return &o->items[i].schema;
        }
    }
    return NULL;
}

int gnv__type_overrides_check_used(const gnv_type_overrides *o, const char *file)
{
    for (int64_t i = 0; i < o->n; i++)
        if (!o->items[i].used)
            return gnv__error_set(GNV_EINVAL, GNV_SUB_IMPORT,
                                  "%s: type override names column '%s', which does not exist", file,
                                  o->items[i].name);
    return GNV_OK;
}
