/*
 * Binding a parsed expression to a schema: column references are resolved to child
 * index paths, types are checked, and every coercion DataFusion would make is made
 * explicit (a CAST node, or a literal given the type it is to be held in), so that the
 * evaluator never coerces. Each bind works on a fresh copy of the parsed tree, so an
 * expression may be bound again to another schema.
 *
 * Literals after bind: NULL may have any type; BOOL is bool; INT and UINT are of an
 * integer type they fit; DOUBLE is float16/32/64; STRING is utf8 or large_utf8; DATE
 * is date32; TIMESTAMP is timestamp[us] (any time zone).
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "expr/expr_tree.h"

typedef struct binder {
    const struct ArrowSchema *schema;
} binder;

/* ---- types -------------------------------------------------------------- */

static gnv_type_id type_id(const struct ArrowSchema *s)
{
    gnv_type t;
    if (!s->release || !s->format || gnv__type_parse(&t, s->format) != GNV_OK)
        return GNV_TYPE_COUNT;
    return t.id;
}

static bool id_is_int(gnv_type_id id)
{
    return gnv__type_is_integer(id);
}

static bool id_is_float(gnv_type_id id)
{
    return id == GNV_TYPE_HALF_FLOAT || id == GNV_TYPE_FLOAT || id == GNV_TYPE_DOUBLE;
}

static bool id_is_numeric(gnv_type_id id)
{
    return id_is_int(id) || id_is_float(id);
}

static bool id_is_string(gnv_type_id id)
{
    return id == GNV_TYPE_STRING || id == GNV_TYPE_LARGE_STRING;
}

static bool id_is_temporal(gnv_type_id id)
{
    return id == GNV_TYPE_DATE32 || id == GNV_TYPE_TIMESTAMP;
}

static bool id_is_decimal(gnv_type_id id)
{
    return id == GNV_TYPE_DECIMAL128;
}

/* A number in DataFusion's sense: integers, floats and decimals. */
static bool id_is_number(gnv_type_id id)
{
    return id_is_numeric(id) || id_is_decimal(id);
}

static bool id_is_list(gnv_type_id id)
{
    return id == GNV_TYPE_LIST || id == GNV_TYPE_LARGE_LIST || id == GNV_TYPE_FIXED_SIZE_LIST;
}

static const char *int_format(gnv_type_id id)
{
    switch (id) {
    case GNV_TYPE_INT8:
        return "c";
    case GNV_TYPE_UINT8:
        return "C";
    case GNV_TYPE_INT16:
        return "s";
    case GNV_TYPE_UINT16:
        return "S";
    case GNV_TYPE_INT32:
        return "i";
    case GNV_TYPE_UINT32:
        return "I";
    case GNV_TYPE_INT64:
        return "l";
    case GNV_TYPE_UINT64:
        return "L";
    case GNV_TYPE_HALF_FLOAT:
        return "e";
    case GNV_TYPE_FLOAT:
        return "f";
    default:
        return "g";
    }
}

static bool same_type(const struct ArrowSchema *a, const struct ArrowSchema *b)
{
    if (!a->release || !b->release || strcmp(a->format, b->format) != 0 ||
        a->n_children != b->n_children)
        return false;
    for (int64_t i = 0; i < a->n_children; i++)
        if (!same_type(a->children[i], b->children[i]))
            return false;
    if (!a->dictionary != !b->dictionary)
        return false;
    return !a->dictionary || same_type(a->dictionary, b->dictionary);
}

/* The type's name for messages ("int64", "list<utf8>"), in buf. */
static const char *tname(char *buf, size_t cap, const struct ArrowSchema *s)
{
    gnv_buf b = GNV_BUF_INIT;
    if (!s->release || gnv__type_to_string(&b, s) != GNV_OK || !b.ptr)
        snprintf(buf, cap, "?");
    else
        snprintf(buf, cap, "%s", b.ptr);
    gnv_buf_dispose(&b);
    return buf;
}

static int set_fmt(gnv_expr_node *n, const char *fmt)
{
    gnv__schema_release(&n->type);
    return gnv__schema_init(&n->type, fmt, "", ARROW_FLAG_NULLABLE);
}

static int set_copy(gnv_expr_node *n, const struct ArrowSchema *s)
{
    struct ArrowSchema t;
    GNV_TRY(gnv__schema_copy(&t, s));
    gnv__schema_release(&n->type);
    gnv__schema_move(&t, &n->type);
    n->type.flags |= ARROW_FLAG_NULLABLE;
    return GNV_OK;
}

/* numerical_coercion of DataFusion (binary.rs) for integers and floats; uint64 with a
 * signed integer is decimal128(20, 0) there (GNV_TYPE_DECIMAL128 here: see
 * number_common). */
static gnv_type_id numeric_common(gnv_type_id a, gnv_type_id b)
{
#define EITHER(x) (a == (x) || b == (x))
#define SIGNED(x)                                                                                  \
    ((x) == GNV_TYPE_INT8 || (x) == GNV_TYPE_INT16 || (x) == GNV_TYPE_INT32 ||                     \
     (x) == GNV_TYPE_INT64)
    if (a == b)
        return a;
    if (EITHER(GNV_TYPE_DOUBLE))
        return GNV_TYPE_DOUBLE;
    if (EITHER(GNV_TYPE_FLOAT))
        return GNV_TYPE_FLOAT;
    if (EITHER(GNV_TYPE_HALF_FLOAT))
        return GNV_TYPE_HALF_FLOAT;
    if (EITHER(GNV_TYPE_UINT64))
        return SIGNED(a) || SIGNED(b) ? GNV_TYPE_DECIMAL128 : GNV_TYPE_UINT64;
    if (EITHER(GNV_TYPE_INT64) || (EITHER(GNV_TYPE_UINT32) && (SIGNED(a) || SIGNED(b))))
        return GNV_TYPE_INT64;
    if (EITHER(GNV_TYPE_UINT32))
        return GNV_TYPE_UINT32;
    if (EITHER(GNV_TYPE_INT32) || (EITHER(GNV_TYPE_UINT16) && (SIGNED(a) || SIGNED(b))))
        return GNV_TYPE_INT32;
    if (EITHER(GNV_TYPE_UINT16))
        return GNV_TYPE_UINT16;
    if (EITHER(GNV_TYPE_INT16) || (EITHER(GNV_TYPE_UINT8) && (SIGNED(a) || SIGNED(b))))
        return GNV_TYPE_INT16;
    if (EITHER(GNV_TYPE_INT8))
        return GNV_TYPE_INT8;
    return GNV_TYPE_UINT8;
#undef EITHER
#undef SIGNED
}

static int unit_char(gnv_time_unit u)
{
    return u == GNV_UNIT_SECOND ? 's' : u == GNV_UNIT_MILLI ? 'm' : u == GNV_UNIT_MICRO ? 'u' : 'n';
}

/* The decimal type DataFusion gives a number next to a decimal
 * (coerce_numeric_type_to_decimal): false for types without one. */
static bool decimal_of(const gnv_type *t, int32_t *p, int32_t *s)
{
    *s = 0;
    switch (t->id) {
    case GNV_TYPE_DECIMAL128:
        *p = t->precision;
        *s = t->scale;
        return true;
    case GNV_TYPE_INT8:
    case GNV_TYPE_UINT8:
        *p = 3;
        return true;
    case GNV_TYPE_INT16:
    case GNV_TYPE_UINT16:
        *p = 5;
        return true;
    case GNV_TYPE_INT32:
    case GNV_TYPE_UINT32:
        *p = 10;
        return true;
    case GNV_TYPE_INT64:
    case GNV_TYPE_UINT64:
        *p = 20;
        return true;
    case GNV_TYPE_HALF_FLOAT:
    case GNV_TYPE_FLOAT:
        *p = 14;
        *s = 7;
        return true;
    case GNV_TYPE_DOUBLE:
        *p = 30;
        *s = 15;
        return true;
    default:
        return false;
    }
}

static void decimal_fmt(char *buf, size_t cap, int32_t p, int32_t s)
{
    if (p > GNV_DECIMAL128_MAX_PRECISION)
        p = GNV_DECIMAL128_MAX_PRECISION;
    if (s > GNV_DECIMAL128_MAX_PRECISION)
        s = GNV_DECIMAL128_MAX_PRECISION;
    snprintf(buf, cap, "d:%d,%d", (int)p, (int)s);
}

/*
 * The type two numbers (integers, floats, decimals) compare in, as DataFusion's
 * binary_numeric_coercion: with a decimal, the wider of the two decimal types
 * (get_wider_decimal_type: the larger scale and the larger count of integer digits, at
 * most 38 digits), floats included; otherwise numeric_common (uint64 with a signed
 * integer: decimal128(20, 0)). The format goes to buf.
 */
static void number_common(char *buf, size_t cap, const gnv_type *a, const gnv_type *b)
{
    int32_t pa, sa, pb, sb;
    if ((id_is_decimal(a->id) || id_is_decimal(b->id)) && decimal_of(a, &pa, &sa) &&
        decimal_of(b, &pb, &sb)) {
        int32_t sc = sa > sb ? sa : sb;
        int32_t range = pa - sa > pb - sb ? pa - sa : pb - sb;
        decimal_fmt(buf, cap, range + sc, sc);
        return;
    }
    gnv_type_id id = numeric_common(a->id, b->id);
    if (id == GNV_TYPE_DECIMAL128)
        snprintf(buf, cap, "d:20,0");
    else
        snprintf(buf, cap, "%s", int_format(id));
}

/*
 * The type two operands are brought to: for comparisons (DataFusion's
 * comparison_coercion) or, with `for_union`, for CASE branches and coalesce-like
 * functions (type_union_resolution: a string with a number gives the number).
 * Returns 1 with `out` set, 0 when there is none, or a negative code.
 */
static int common_type(struct ArrowSchema *out,
                       const struct ArrowSchema *a,
                       const struct ArrowSchema *b,
                       bool for_union)
{
    gnv_type ta, tb;
    if (same_type(a, b)) {
        GNV_TRY(gnv__schema_copy(out, a));
        return 1;
    }
    if (gnv__type_parse(&ta, a->format) != GNV_OK || gnv__type_parse(&tb, b->format) != GNV_OK)
        return 0;
    const struct ArrowSchema *pick = NULL;
    const char *fmt = NULL;
    char buf[64];
    if (ta.id == GNV_TYPE_NA)
        pick = b;
    else if (tb.id == GNV_TYPE_NA)
        pick = a;
    else if (id_is_number(ta.id) && id_is_number(tb.id)) {
        number_common(buf, sizeof buf, &ta, &tb);
        fmt = buf;
    } else if (ta.id == GNV_TYPE_DURATION && tb.id == GNV_TYPE_DURATION) {
        /* the finer unit: LanceDB compares durations of two units exactly */
        snprintf(buf, sizeof buf, "tD%c", unit_char(ta.unit > tb.unit ? ta.unit : tb.unit));
        fmt = buf;
    } else if (id_is_string(ta.id) && id_is_string(tb.id))
        fmt = ta.id == GNV_TYPE_LARGE_STRING || tb.id == GNV_TYPE_LARGE_STRING ? "U" : "u";
    else if (ta.id == GNV_TYPE_TIMESTAMP && tb.id == GNV_TYPE_TIMESTAMP) {
        /* the coarser unit; the left time zone, else the right one */
        gnv_time_unit u = ta.unit < tb.unit ? ta.unit : tb.unit;
        const char *tz = ta.timezone && *ta.timezone ? ta.timezone : tb.timezone;
        snprintf(buf, sizeof buf, "ts%c:%.40s", unit_char(u), tz ? tz : "");
        fmt = buf;
    } else if (ta.id == GNV_TYPE_DATE32 && tb.id == GNV_TYPE_TIMESTAMP)
        pick = b;
    else if (ta.id == GNV_TYPE_TIMESTAMP && tb.id == GNV_TYPE_DATE32)
        pick = a;
    else if (ta.id == GNV_TYPE_DATE32 && id_is_int(tb.id))
        pick = a; /* a date with an integer: the integer counts days */
    else if (id_is_int(ta.id) && tb.id == GNV_TYPE_DATE32)
        pick = b;
    else if (id_is_string(ta.id) && id_is_temporal(tb.id))
        pick = b;
    else if (id_is_temporal(ta.id) && id_is_string(tb.id))
        pick = a;
    else if (id_is_string(ta.id) && id_is_number(tb.id))
        pick = for_union || id_is_decimal(tb.id) ? b : a; /* decimals compare as numbers */
    else if (id_is_number(ta.id) && id_is_string(tb.id))
        pick = for_union || id_is_decimal(ta.id) ? a : b;
    else if ((gnv__type_is_binary_like(ta.id) || ta.id == GNV_TYPE_FIXED_SIZE_BINARY) &&
             (gnv__type_is_binary_like(tb.id) || tb.id == GNV_TYPE_FIXED_SIZE_BINARY))
        fmt = gnv__type_is_large(ta.id) || gnv__type_is_large(tb.id) ? "Z" : "z";
    if (pick) {
        GNV_TRY(gnv__schema_copy(out, pick));
        out->flags |= ARROW_FLAG_NULLABLE;
        return 1;
    }
    if (fmt) {
        GNV_TRY(gnv__schema_init(out, fmt, "", ARROW_FLAG_NULLABLE));
        return 1;
    }
    return 0;
}

/* Whether CAST(from AS to) is one the evaluator performs. */
static bool can_cast(const struct ArrowSchema *from, const struct ArrowSchema *to)
{
    if (same_type(from, to))
        return true;
    gnv_type_id f = type_id(from), t = type_id(to);
    if (f == GNV_TYPE_NA)
        return true;
    bool fs = id_is_string(f), ts = id_is_string(t);
    bool fn = id_is_numeric(f) || f == GNV_TYPE_BOOL, tn = id_is_numeric(t) || t == GNV_TYPE_BOOL;
    if ((fn || fs) && (tn || ts))
        return true;
    if ((fs && id_is_temporal(t)) || (id_is_temporal(f) && ts))
        return true;
    if (id_is_temporal(f) && id_is_temporal(t))
        return true;
    if ((id_is_int(f) && id_is_temporal(t)) || (id_is_temporal(f) && id_is_int(t)))
        return true;
    if (id_is_decimal(t) && (id_is_number(f) || fs))
        return true; /* not from booleans, as in LanceDB */
    if (id_is_decimal(f) && (id_is_number(t) || ts))
        return true;
    if (f == GNV_TYPE_DURATION && (id_is_int(t) || ts || t == GNV_TYPE_DURATION))
        return true;
    if (t == GNV_TYPE_DURATION && id_is_int(f))
        return true;
    if ((fs || gnv__type_is_binary_like(f)) && (ts || gnv__type_is_binary_like(t)))
        return true;
    if (f == GNV_TYPE_FIXED_SIZE_BINARY && gnv__type_is_binary_like(t) && !id_is_string(t))
        return true;
    return false;
}

/* ---- literals ----------------------------------------------------------- */

static bool int_fits(const gnv_lit *l, gnv_type_id id)
{
    if (l->kind == GNV_LIT_UINT)
        return id == GNV_TYPE_UINT64;
    int64_t v = l->i;
    switch (id) {
    case GNV_TYPE_INT8:
        return v >= INT8_MIN && v <= INT8_MAX;
    case GNV_TYPE_UINT8:
        return v >= 0 && v <= UINT8_MAX;
    case GNV_TYPE_INT16:
        return v >= INT16_MIN && v <= INT16_MAX;
    case GNV_TYPE_UINT16:
        return v >= 0 && v <= UINT16_MAX;
    case GNV_TYPE_INT32:
        return v >= INT32_MIN && v <= INT32_MAX;
    case GNV_TYPE_UINT32:
        return v >= 0 && v <= (int64_t)UINT32_MAX;
    case GNV_TYPE_INT64:
        return true;
    case GNV_TYPE_UINT64:
        return v >= 0;
    default:
        return false;
    }
}

static bool double_exact(double d, gnv_type_id id)
{
    if (id == GNV_TYPE_DOUBLE)
        return true;
    if (id == GNV_TYPE_FLOAT)
        return (double)(float)d == d;
    if (id == GNV_TYPE_HALF_FLOAT)
        return gnv__half_to_double(gnv__half_from_double(d)) == d;
    return false;
}

static int initial_literal_type(gnv_expr_node *n)
{
    static const char *const fmts[] = {
        [GNV_LIT_NULL] = "n",   [GNV_LIT_BOOL] = "b",         [GNV_LIT_INT] = "l",
        [GNV_LIT_UINT] = "L",   [GNV_LIT_DOUBLE] = "g",       [GNV_LIT_STRING] = "u",
        [GNV_LIT_DATE] = "tdD", [GNV_LIT_TIMESTAMP] = "tsu:",
    };
    if (n->lit.kind < GNV_LIT_NULL || n->lit.kind > GNV_LIT_TIMESTAMP)
        return gnv__error_set(GNV_EINVAL, GNV_SUB_EXPR, "bad literal at character %d",
                              (int)n->pos + 1);
    if (n->type.release)
        return GNV_OK; /* typed by resolve_literals() */
    if (n->lit.kind == GNV_LIT_STRING && n->lit.b)
        return set_fmt(n, "z"); /* X'...' */
    return set_fmt(n, fmts[n->lit.kind]);
}

/*
 * Give literal n the type `to` without a CAST node when its value converts exactly (a
 * string to a date or timestamp is parsed here; a bad one is an error). Returns 1 when
 * n now has type `to`, 0 when a CAST is still needed (n may have changed to a closer
 * type, e.g. a string parsed to timestamp[us] on its way to timestamp[ns]).
 */
static int retype_literal(gnv_expr_node *n, const struct ArrowSchema *to)
{
    gnv_type t;
    gnv_lit *l = &n->lit;
    if (gnv__type_parse(&t, to->format) != GNV_OK)
        return 0;
    switch (l->kind) {
    case GNV_LIT_NULL:
        GNV_TRY(set_copy(n, to));
        return 1;
    case GNV_LIT_INT:
    case GNV_LIT_UINT:
        if (id_is_int(t.id) && int_fits(l, t.id)) {
            GNV_TRY(set_copy(n, to));
            return 1;
        }
        if (t.id == GNV_TYPE_DATE32 && int_fits(l, GNV_TYPE_INT32)) {
            l->kind = GNV_LIT_DATE; /* days since the epoch */
            GNV_TRY(set_copy(n, to));
            return 1;
        }
        if (id_is_float(t.id)) {
            l->d = l->kind == GNV_LIT_UINT ? (double)l->u : (double)l->i;
            l->kind = GNV_LIT_DOUBLE;
            GNV_TRY(set_copy(n, to));
            return 1;
        }
        return 0;
    case GNV_LIT_DOUBLE:
        if (id_is_float(t.id)) {
            GNV_TRY(set_copy(n, to));
            return 1;
        }
        return 0;
    case GNV_LIT_STRING:
        if (l->b) { /* X'...': binary, to other binary types only */
            if (t.id == GNV_TYPE_BINARY || t.id == GNV_TYPE_LARGE_BINARY) {
                GNV_TRY(set_copy(n, to));
                return 1;
            }
            return 0;
        }
        if (id_is_string(t.id)) {
            GNV_TRY(set_copy(n, to));
            return 1;
        }
        if (t.id == GNV_TYPE_DATE32) {
            int32_t d;
            if (!gnv__parse_date32(l->s, l->n, &d))
                return gnv__error_set(GNV_EINVAL, GNV_SUB_EXPR,
                                      "cannot read '%.60s' at character %d as a date (YYYY-MM-DD)",
                                      l->s, (int)n->pos + 1);
            gnv__free(l->s);
            l->s = NULL;
            l->n = 0;
            l->kind = GNV_LIT_DATE;
            l->i = d;
            GNV_TRY(set_copy(n, to));
            return 1;
        }
        if (t.id == GNV_TYPE_TIMESTAMP) {
            int64_t us;
            bool tz;
            if (!gnv__parse_timestamp(l->s, l->n, t.unit, true, &us, &tz))
                return gnv__error_set(GNV_EINVAL, GNV_SUB_EXPR,
                                      "cannot read '%.60s' at character %d as a timestamp "
                                      "(YYYY-MM-DD[ HH:MM:SS[.ffffff]][Z|+HH:MM])",
                                      l->s, (int)n->pos + 1);
            if (t.unit != GNV_UNIT_MICRO)
                return 0; /* CAST the checked text: it is read at the column's precision */
            gnv__free(l->s);
            l->s = NULL;
            l->n = 0;
            l->kind = GNV_LIT_TIMESTAMP;
            l->i = us;
            GNV_TRY(set_copy(n, to));
            return 1;
        }
        return 0;
    case GNV_LIT_DATE:
        if (t.id == GNV_TYPE_TIMESTAMP && t.unit == GNV_UNIT_MICRO) {
            l->kind = GNV_LIT_TIMESTAMP;
            l->i *= 86400000000LL;
            GNV_TRY(set_copy(n, to));
            return 1;
        }
        return 0;
    case GNV_LIT_TIMESTAMP:
        if (t.id == GNV_TYPE_TIMESTAMP && t.unit == GNV_UNIT_MICRO) {
            GNV_TRY(set_copy(n, to));
            return 1;
        }
        return 0;
    case GNV_LIT_BOOL:
        if (t.id == GNV_TYPE_BOOL) {
            GNV_TRY(set_copy(n, to));
            return 1;
        }
        return 0;
    }
    return 0;
}

/* Make *slot have exactly type `to`: nothing, a retyped literal, or a CAST node. */
static int coerce(gnv_expr_node **slot, const struct ArrowSchema *to)
{
    int rc = GNV_OK;
    gnv_expr_node *n = *slot, *c = NULL;
    if (same_type(&n->type, to))
        return GNV_OK;
    if (n->op == GNV_EX_LITERAL) {
        rc = retype_literal(n, to);
        if (rc != 0)
            return rc < 0 ? rc : GNV_OK;
        if (same_type(&n->type, to))
            return GNV_OK;
    }
    c = gnv__calloc(1, sizeof *c);
    GNV_CHECK_ALLOC(c);
    c->op = GNV_EX_CAST;
    c->pos = n->pos;
    c->args = gnv__calloc(1, sizeof *c->args);
    GNV_CHECK_ALLOC(c->args);
    GNV_TRYG(gnv__schema_copy(&c->cast_to, to));
    c->cast_to.flags |= ARROW_FLAG_NULLABLE;
    GNV_TRYG(set_copy(c, to));
    c->args[0] = n;
    c->n_args = 1;
    *slot = c;
    c = NULL;
done:
    gnv__expr_node_free(c);
    return rc;
}

static int coerce_fmt(gnv_expr_node **slot, const char *fmt)
{
    struct ArrowSchema s;
    GNV_TRY(gnv__schema_init(&s, fmt, "", ARROW_FLAG_NULLABLE));
    int rc = coerce(slot, &s);
    gnv__schema_release(&s);
    return rc;
}

/*
 * A literal compared with a non-literal of type `other` takes that type when its value
 * fits without loss (DataFusion gets there by unwrapping the cast of the column), so
 * `int32col > 5` compares in int32. Strings are read as dates/timestamps here.
 */
static int adapt_literal(gnv_expr_node *lit, const struct ArrowSchema *other)
{
    if (lit->op != GNV_EX_LITERAL)
        return GNV_OK;
    gnv_type_id to = type_id(other);
    if (to == GNV_TYPE_NA || to == GNV_TYPE_COUNT)
        return GNV_OK;
    gnv_lit *l = &lit->lit;
    bool ok =
        l->kind == GNV_LIT_NULL ||
        ((l->kind == GNV_LIT_INT || l->kind == GNV_LIT_UINT) && id_is_int(to) && int_fits(l, to)) ||
        (l->kind == GNV_LIT_DOUBLE && id_is_float(to) && double_exact(l->d, to)) ||
        (l->kind == GNV_LIT_STRING && !l->b && (id_is_string(to) || id_is_temporal(to))) ||
        (l->kind == GNV_LIT_STRING && l->b &&
         (to == GNV_TYPE_BINARY || to == GNV_TYPE_LARGE_BINARY));
    if (!ok)
        return GNV_OK;
    int rc = retype_literal(lit, other);
    return rc < 0 ? rc : GNV_OK;
}

/* ---- errors ------------------------------------------------------------- */

static int err_types2(const gnv_expr_node *n, const char *verb, const char *op)
{
    char a[64], b[64];
    tname(a, sizeof a, &n->args[0]->type);
    tname(b, sizeof b, &n->args[1]->type);
    if (strcmp(verb, "compare") == 0)
        return gnv__error_set(GNV_EINVAL, GNV_SUB_EXPR, "cannot compare %s with %s at character %d",
                              a, b, (int)n->pos + 1);
    return gnv__error_set(GNV_EINVAL, GNV_SUB_EXPR,
                          "cannot apply '%s' to %s and %s at character %d", op, a, b,
                          (int)n->pos + 1);
}

static int err_type1(const gnv_expr_node *n, const char *op, const struct ArrowSchema *t)
{
    char a[64];
    return gnv__error_set(GNV_EINVAL, GNV_SUB_EXPR, "cannot apply '%s' to %s at character %d", op,
                          tname(a, sizeof a, t), (int)n->pos + 1);
}

static int err_arg(const gnv_expr_node *n, int i, const char *want)
{
    char a[64];
    return gnv__error_set(GNV_EINVAL, GNV_SUB_EXPR,
                          "function '%s' at character %d expects %s as argument %d, got %s",
                          gnv__expr_func_name(n->func), (int)n->pos + 1, want, i + 1,
                          tname(a, sizeof a, &n->args[i]->type));
}

/* ---- columns ------------------------------------------------------------ */

/* Child of a struct schema named `name`: exact match first, then a unique
 * case-insensitive one. Returns the index, -1 when none, -2 when ambiguous. */
static int64_t find_child(const struct ArrowSchema *s, const char *name)
{
    int64_t found = -1;
    for (int64_t i = 0; i < s->n_children; i++)
        if (s->children[i]->name && strcmp(s->children[i]->name, name) == 0)
            return i;
    for (int64_t i = 0; i < s->n_children; i++)
        if (s->children[i]->name && strcasecmp(s->children[i]->name, name) == 0) {
            if (found >= 0)
                return -2;
            found = i;
        }
    return found;
}

static int
no_such_field(const gnv_expr_node *n, int32_t k, const struct ArrowSchema *s, bool ambiguous)
{
    gnv_buf path = GNV_BUF_INIT;
    for (int32_t i = 0; i < k; i++)
        if (gnv__buf_printf(&path, "%s%s", i ? "." : "", n->names[i]) < 0) {
            gnv_buf_dispose(&path);
            return gnv__error_oom();
        }
    const char *what = k == 0 ? "column" : "field";
    int rc;
    if (ambiguous) {
        rc = gnv__error_set(GNV_EINVAL, GNV_SUB_EXPR,
                            "%s name '%s' at character %d is ambiguous: several differ only in "
                            "case; quote it exactly",
                            what, n->names[k], (int)n->pos + 1);
    } else {
        const char *best = NULL;
        size_t best_d = 100;
        for (int64_t i = 0; i < s->n_children; i++) {
            const char *cand = s->children[i]->name;
            if (!cand || strlen(cand) > 64)
                continue;
            char lower[65];
            size_t j = 0;
            for (; cand[j]; j++)
                lower[j] = (char)tolower((unsigned char)cand[j]);
            lower[j] = '\0';
            size_t d = gnv__expr_edit_distance(n->names[k], lower);
            if (d < best_d) {
                best_d = d;
                best = cand;
            }
        }
        size_t len = strlen(n->names[k]);
        bool suggest = best && best_d <= (len < 3 ? 0 : len < 5 ? 1 : len < 9 ? 2 : 3);
        char in[300] = "";
        if (k > 0)
            snprintf(in, sizeof in, " in '%.200s'", path.ptr);
        if (suggest)
            rc = gnv__error_set(GNV_EINVAL, GNV_SUB_EXPR,
                                "no %s named '%s'%s (did you mean '%s'?) at character %d", what,
                                n->names[k], in, best, (int)n->pos + 1);
        else
            rc = gnv__error_set(GNV_EINVAL, GNV_SUB_EXPR, "no %s named '%s'%s at character %d",
                                what, n->names[k], in, (int)n->pos + 1);
    }
    gnv_buf_dispose(&path);
    return rc;
}

static int bind_column(binder *b, gnv_expr_node **slot)
{
    gnv_expr_node *n = *slot;
    const struct ArrowSchema *s = b->schema;
    gnv__free(n->path);
    n->path = gnv__calloc((size_t)n->n_names, sizeof *n->path);
    if (!n->path)
        return gnv__error_oom();
    for (int32_t k = 0; k < n->n_names; k++) {
        if (k > 0 && strcmp(s->format, "+s") != 0) {
            char a[64];
            return gnv__error_set(GNV_EINVAL, GNV_SUB_EXPR,
                                  "'%s' at character %d is %s, not a struct, so it has no field "
                                  "'%s'",
                                  n->names[k - 1], (int)n->pos + 1, tname(a, sizeof a, s),
                                  n->names[k]);
        }
        int64_t i = find_child(s, n->names[k]);
        if (i < 0)
            return no_such_field(n, k, s, i == -2);
        if (i > INT32_MAX)
            return gnv__error_set(GNV_EINVAL, GNV_SUB_EXPR, "too many columns");
        n->path[k] = (int32_t)i;
        s = s->children[i];
    }
    GNV_TRY(set_copy(n, s));
    if (s->dictionary) /* evaluate dictionary-encoded columns as their values */
        GNV_TRY(coerce(slot, s->dictionary));
    return GNV_OK;
}

/* ---- operators ---------------------------------------------------------- */

static int bind_node(binder *b, gnv_expr_node **slot);

/* An operand that must be boolean (NULL becomes a boolean NULL). */
static int need_bool(gnv_expr_node **slot)
{
    gnv_expr_node *n = *slot;
    if (n->op == GNV_EX_CALL && n->func == GNV_FN_REGEXP_MATCH) {
        /* regexp_match where a boolean is needed: the test (regexp_like) */
        n->func = GNV_FN_REGEXP_LIKE;
        return set_fmt(n, "b");
    }
    gnv_type_id id = type_id(&(*slot)->type);
    if (id == GNV_TYPE_BOOL)
        return GNV_OK;
    if (id == GNV_TYPE_NA)
        return coerce_fmt(slot, "b");
    return 1;
}

static int retype_array(gnv_expr_node *a, const struct ArrowSchema *item);

/*
 * DataFusion's optimizer "unwraps" a cast in a comparison with a literal: CAST(x AS INT)
 * > 0, x an integer, compares x with 0 in x's type when 0 fits both types, so the cast (and its
 * overflow error) never runs. LanceDB answers so; we do the same for integer-to-integer
 * and integer-to-decimal casts (not TRY_CAST): CAST(i8 AS DECIMAL(3, 2)) > 0 is i8 > 0.
 */
static void unwrap_int_cast(gnv_expr_node **side, const gnv_expr_node *other)
{
    gnv_expr_node *c = *side;
    if (c->op != GNV_EX_CAST || c->try_cast || c->n_args != 1 || other->op != GNV_EX_LITERAL ||
        (other->lit.kind != GNV_LIT_INT && other->lit.kind != GNV_LIT_UINT))
        return;
    gnv_type_id from = type_id(&c->args[0]->type), to = type_id(&c->type);
    if (!id_is_int(from) || !int_fits(&other->lit, from))
        return;
    if (id_is_decimal(to)) {
        /* also integer to DECIMAL(p, s) when the literal has at most p - s digits */
        gnv_type t;
        if (gnv__type_parse(&t, c->type.format) != GNV_OK)
            return;
        uint64_t mag = other->lit.kind == GNV_LIT_UINT ? other->lit.u
                       : other->lit.i < 0              ? 0 - (uint64_t)other->lit.i
                                                       : (uint64_t)other->lit.i;
        int digits = 0;
        for (; mag; mag /= 10)
            digits++;
        if (digits > t.precision - t.scale)
            return;
    } else if (!id_is_int(to) || !int_fits(&other->lit, to)) {
        return;
    }
    *side = c->args[0];
    c->args[0] = NULL;
    gnv__expr_node_free(c);
}

static int bind_compare(gnv_expr_node *n)
{
    int rc;
    struct ArrowSchema common = {0};
    gnv_expr_node **l = &n->args[0], **r = &n->args[1];
    unwrap_int_cast(l, *r);
    unwrap_int_cast(r, *l);
    if (id_is_list(type_id(&(*l)->type)) && id_is_list(type_id(&(*r)->type))) {
        /* lists: = and <> item by item; a list literal takes the other's item type */
        if (!same_type((*l)->type.children[0], (*r)->type.children[0])) {
            GNV_TRY(retype_array(*r, (*l)->type.children[0]));
            GNV_TRY(retype_array(*l, (*r)->type.children[0]));
        }
        if (!same_type((*l)->type.children[0], (*r)->type.children[0]) ||
            type_id(&(*l)->type) != type_id(&(*r)->type))
            return err_types2(n, "compare", NULL);
        if (n->op != GNV_EX_EQ && n->op != GNV_EX_NE)
            return gnv__error_set(GNV_EINVAL, GNV_SUB_EXPR,
                                  "lists at character %d can only be compared with = and <>",
                                  (int)n->pos + 1);
        return set_fmt(n, "b");
    }
    if ((*r)->op == GNV_EX_LITERAL && (*l)->op != GNV_EX_LITERAL)
        GNV_TRY(adapt_literal(*r, &(*l)->type));
    else if ((*l)->op == GNV_EX_LITERAL && (*r)->op != GNV_EX_LITERAL)
        GNV_TRY(adapt_literal(*l, &(*r)->type));
    rc = common_type(&common, &(*l)->type, &(*r)->type, false);
    if (rc < 0)
        return rc;
    if (rc == 0)
        return err_types2(n, "compare", NULL);
    rc = coerce(l, &common);
    if (rc == GNV_OK)
        rc = coerce(r, &common);
    gnv__schema_release(&common);
    if (rc < 0)
        return rc;
    return set_fmt(n, "b");
}

/*
 * Decimal arithmetic (DataFusion's math_decimal_coercion, then arrow-rs's result types):
 * an integer next to a decimal becomes the decimal type of its range (int64: (20, 0)), a
 * float makes both sides that float; uint64 with a signed integer is decimal128(20, 0)
 * on both sides. The result, for (p1, s1) op (p2, s2), capped at 38 digits:
 *   + -  scale max(s1, s2), precision max(p1 - s1, p2 - s2) + scale + 1
 *   *    scale s1 + s2 (more than 38 is an error), precision p1 + p2 + 1
 *   /    scale s1 + 4, precision p1 - s1 + s2 + scale
 *   %    scale max(s1, s2), precision min(p1 - s1, p2 - s2) + scale
 * Returns 1 when it applied (n typed), 0 when the operands are not such numbers.
 */
static int bind_decimal_arith(gnv_expr_node *n)
{
    gnv_expr_node **l = &n->args[0], **r = &n->args[1];
    gnv_type ta, tb;
    char fa[32], fb[32], fr[32];
    if (gnv__type_parse(&ta, (*l)->type.format) != GNV_OK ||
        gnv__type_parse(&tb, (*r)->type.format) != GNV_OK)
        return 0;
    bool dec = id_is_decimal(ta.id) || id_is_decimal(tb.id);
    if (!dec && numeric_common(ta.id, tb.id) != GNV_TYPE_DECIMAL128)
        return 0;
    if (dec && (id_is_float(ta.id) || id_is_float(tb.id))) {
        /* a float and a decimal compute in the float (float64, else float32) */
        const char *f = ta.id == GNV_TYPE_DOUBLE || tb.id == GNV_TYPE_DOUBLE ? "g" : "f";
        GNV_TRY(coerce_fmt(l, f));
        GNV_TRY(coerce_fmt(r, f));
        GNV_TRY(set_fmt(n, f));
        return 1;
    }
    int32_t p1, s1, p2, s2;
    if (dec) {
        if (!decimal_of(&ta, &p1, &s1) || !decimal_of(&tb, &p2, &s2))
            return 0;
    } else {
        p1 = p2 = 20;
        s1 = s2 = 0;
    }
    decimal_fmt(fa, sizeof fa, p1, s1);
    decimal_fmt(fb, sizeof fb, p2, s2);
    GNV_TRY(coerce_fmt(l, fa));
    GNV_TRY(coerce_fmt(r, fb));
    int32_t p, sc;
    switch (n->op) {
    case GNV_EX_ADD:
    case GNV_EX_SUB:
        sc = s1 > s2 ? s1 : s2;
        p = (p1 - s1 > p2 - s2 ? p1 - s1 : p2 - s2) + sc + 1;
        break;
    case GNV_EX_MUL:
        sc = s1 + s2;
        p = p1 + p2 + 1;
        if (sc > GNV_DECIMAL128_MAX_PRECISION) {
            char x[64], y[64];
            return gnv__error_set(GNV_EINVAL, GNV_SUB_EXPR,
                                  "'*' at character %d of %s and %s: the result's scale %d would "
                                  "exceed 38",
                                  (int)n->pos + 1, tname(x, sizeof x, &(*l)->type),
                                  tname(y, sizeof y, &(*r)->type), (int)sc);
        }
        break;
    case GNV_EX_DIV:
        sc = s1 + 4 > GNV_DECIMAL128_MAX_PRECISION ? GNV_DECIMAL128_MAX_PRECISION : s1 + 4;
        p = p1 - s1 + s2 + sc;
        break;
    default: /* MOD */
        sc = s1 > s2 ? s1 : s2;
        p = (p1 - s1 < p2 - s2 ? p1 - s1 : p2 - s2) + sc;
        break;
    }
    if (p < 1)
        p = 1;
    decimal_fmt(fr, sizeof fr, p, sc);
    GNV_TRY(set_fmt(n, fr));
    return 1;
}

/* Timestamp - timestamp is a duration in the coarser unit of the two (the left time
 * zone, else the right one), a date with a timestamp a duration in nanoseconds (as
 * LanceDB's DataFusion); duration +/- duration of one unit is a duration. Returns 1
 * when it applied, 0 when the operands are not such, or a negative code. */
static int bind_temporal_arith(gnv_expr_node *n)
{
    gnv_expr_node **l = &n->args[0], **r = &n->args[1];
    gnv_type ta, tb;
    char fmt[64], res[8];
    if (gnv__type_parse(&ta, (*l)->type.format) != GNV_OK ||
        gnv__type_parse(&tb, (*r)->type.format) != GNV_OK)
        return 0;
    if (n->op == GNV_EX_SUB && ta.id == GNV_TYPE_TIMESTAMP && tb.id == GNV_TYPE_TIMESTAMP) {
        gnv_time_unit u = ta.unit < tb.unit ? ta.unit : tb.unit;
        const char *tz = ta.timezone && *ta.timezone ? ta.timezone : tb.timezone;
        snprintf(fmt, sizeof fmt, "ts%c:%.40s", unit_char(u), tz ? tz : "");
        snprintf(res, sizeof res, "tD%c", unit_char(u));
    } else if (n->op == GNV_EX_SUB && ((ta.id == GNV_TYPE_DATE32 && tb.id == GNV_TYPE_TIMESTAMP) ||
                                       (ta.id == GNV_TYPE_TIMESTAMP && tb.id == GNV_TYPE_DATE32))) {
        const char *tz = ta.id == GNV_TYPE_TIMESTAMP ? ta.timezone : tb.timezone;
        snprintf(fmt, sizeof fmt, "tsn:%.40s", tz ? tz : "");
        snprintf(res, sizeof res, "tDn");
    } else if ((n->op == GNV_EX_ADD || n->op == GNV_EX_SUB) && ta.id == GNV_TYPE_DURATION &&
               tb.id == GNV_TYPE_DURATION) {
        if (ta.unit != tb.unit)
            return err_types2(n, "apply", gnv__expr_op_name(n->op));
        snprintf(fmt, sizeof fmt, "%s", (*l)->type.format);
        snprintf(res, sizeof res, "%s", (*l)->type.format);
    } else {
        return 0;
    }
    GNV_TRY(coerce_fmt(l, fmt));
    GNV_TRY(coerce_fmt(r, fmt));
    GNV_TRY(set_fmt(n, res));
    return 1;
}

static int bind_arith(gnv_expr_node *n)
{
    gnv_expr_node **l = &n->args[0], **r = &n->args[1];
    gnv_type_id a = type_id(&(*l)->type), c = type_id(&(*r)->type);
    int rc;
    if (a == GNV_TYPE_NA && c == GNV_TYPE_NA) {
        GNV_TRY(coerce_fmt(l, "l"));
        GNV_TRY(coerce_fmt(r, "l"));
        return set_fmt(n, "l");
    }
    if (a == GNV_TYPE_NA && id_is_number(c)) {
        GNV_TRY(coerce(l, &(*r)->type));
        a = c;
    } else if (c == GNV_TYPE_NA && id_is_number(a)) {
        GNV_TRY(coerce(r, &(*l)->type));
        c = a;
    }
    if (a == GNV_TYPE_DATE32 && c == GNV_TYPE_DATE32 && n->op == GNV_EX_SUB) {
        /* date - date: the days between, int64 (as LanceDB's DataFusion) */
        GNV_TRY(coerce_fmt(l, "l"));
        GNV_TRY(coerce_fmt(r, "l"));
        return set_fmt(n, "l");
    }
    if ((rc = bind_temporal_arith(n)) != 0)
        return rc < 0 ? rc : GNV_OK;
    if (!id_is_number(a) || !id_is_number(c)) {
        if (id_is_temporal(a) || id_is_temporal(c) || a == GNV_TYPE_DURATION ||
            c == GNV_TYPE_DURATION) {
            char x[64], y[64];
            return gnv__error_set(GNV_EINVAL, GNV_SUB_EXPR,
                                  "cannot apply '%s' to %s and %s at character %d (date and time "
                                  "arithmetic other than date - date, timestamp - timestamp and "
                                  "duration +/- duration is not supported)",
                                  gnv__expr_op_name(n->op), tname(x, sizeof x, &(*l)->type),
                                  tname(y, sizeof y, &(*r)->type), (int)n->pos + 1);
        }
        return err_types2(n, "apply", gnv__expr_op_name(n->op));
    }
    /* decimals, and uint64 with a signed integer (decimal128(20, 0), as DataFusion; so
     * u64 + 1 = 0 matches nothing) */
    if ((rc = bind_decimal_arith(n)) != 0)
        return rc < 0 ? rc : GNV_OK;
    const char *fmt = int_format(numeric_common(a, c));
    GNV_TRY(coerce_fmt(l, fmt));
    GNV_TRY(coerce_fmt(r, fmt));
    return set_fmt(n, fmt);
}

static int bind_concat_op(gnv_expr_node *n)
{
    gnv_type_id a = type_id(&n->args[0]->type), c = type_id(&n->args[1]->type);
    const char *fmt = NULL;
    if (a == GNV_TYPE_LARGE_STRING || c == GNV_TYPE_LARGE_STRING)
        fmt = "U";
    else if (a == GNV_TYPE_STRING || c == GNV_TYPE_STRING || (a == GNV_TYPE_NA && c == GNV_TYPE_NA))
        fmt = "u";
    struct ArrowSchema to;
    if (!fmt)
        return err_types2(n, "apply", "||");
    GNV_TRY(gnv__schema_init(&to, fmt, "", ARROW_FLAG_NULLABLE));
    bool ok = can_cast(&n->args[0]->type, &to) && can_cast(&n->args[1]->type, &to);
    gnv__schema_release(&to);
    if (!ok)
        return err_types2(n, "apply", "||");
    GNV_TRY(coerce_fmt(&n->args[0], fmt));
    GNV_TRY(coerce_fmt(&n->args[1], fmt));
    return set_fmt(n, fmt);
}

/* How unify() finds the common type. */
typedef enum unify_mode {
    U_COMPARE, /* comparison coercion; literals adapt to the first value (IN, BETWEEN) */
    U_PLAIN,   /* comparison coercion, no adapting (CASE results) */
    U_UNION    /* a string with a number gives the number (coalesce, nullif, ...) */
} unify_mode;

/* Bring args[first .. first+count) to one type, folded left to right. */
static int unify(gnv_expr_node *n, int32_t first, int32_t count, unify_mode mode, const char *what)
{
    int rc = GNV_OK;
    bool for_union = mode == U_UNION;
    struct ArrowSchema acc = {0}, next = {0};
    gnv_expr_node **args = n->args + first;
    if (mode == U_COMPARE && args[0]->op != GNV_EX_LITERAL)
        for (int32_t i = 1; i < count; i++)
            GNV_TRY(adapt_literal(args[i], &args[0]->type));
    GNV_TRY(gnv__schema_copy(&acc, &args[0]->type));
    for (int32_t i = 1; i < count; i++) {
        rc = common_type(&next, &acc, &args[i]->type, for_union);
        if (rc < 0)
            goto done;
        if (rc == 0) {
            char x[64], y[64];
            rc = gnv__error_set(GNV_EINVAL, GNV_SUB_EXPR,
                                "%s at character %d mixes %s and %s, which have no common type",
                                what, (int)n->pos + 1, tname(x, sizeof x, &acc),
                                tname(y, sizeof y, &args[i]->type));
            goto done;
        }
        gnv__schema_release(&acc);
        gnv__schema_move(&next, &acc);
    }
    rc = GNV_OK;
    for (int32_t i = 0; i < count; i++)
        GNV_TRYG(coerce(&args[i], &acc));
done:
    gnv__schema_release(&acc);
    gnv__schema_release(&next);
    return rc;
}

static int bind_like(gnv_expr_node *n)
{
    const char *op = n->case_insensitive ? "ILIKE" : "LIKE";
    for (int i = 0; i < 2; i++) {
        gnv_type_id id = type_id(&n->args[i]->type);
        if (id == GNV_TYPE_NA)
            GNV_TRY(coerce_fmt(&n->args[i], "u"));
        else if (!id_is_string(id))
            return err_types2(n, "apply", op);
    }
    GNV_TRY(unify(n, 0, 2, U_COMPARE, op));
    if (n->n_args > 2) {
        gnv_expr_node *e = n->args[2];
        bool ok = e->op == GNV_EX_LITERAL && e->lit.kind == GNV_LIT_STRING && e->lit.n > 0;
        if (ok) {
            /* exactly one (UTF-8) character */
            size_t chars = 0;
            for (size_t i = 0; i < e->lit.n; i++)
                chars += ((unsigned char)e->lit.s[i] & 0xC0) != 0x80;
            ok = chars == 1;
        }
        if (!ok)
            return gnv__error_set(GNV_EINVAL, GNV_SUB_EXPR,
                                  "ESCAPE at character %d must be a string of one character",
                                  (int)e->pos + 1);
    }
    return set_fmt(n, "b");
}

static int bind_case(gnv_expr_node *n)
{
    int32_t n_when = (n->n_args - 2) / 2;
    int rc = GNV_OK;
    if (n->args[0]) {
        /* CASE x WHEN v ...: x and the values compare in one type; gather them */
        gnv_expr_node **tmp = gnv__calloc((size_t)n_when + 1, sizeof *tmp);
        gnv_expr_node fake = *n;
        if (!tmp)
            return gnv__error_oom();
        tmp[0] = n->args[0];
        for (int32_t i = 0; i < n_when; i++)
            tmp[i + 1] = n->args[1 + 2 * i];
        fake.args = tmp;
        rc = unify(&fake, 0, n_when + 1, U_COMPARE, "CASE");
        n->args[0] = tmp[0];
        for (int32_t i = 0; i < n_when; i++)
            n->args[1 + 2 * i] = tmp[i + 1];
        gnv__free(tmp);
        GNV_TRY(rc);
    } else {
        for (int32_t i = 0; i < n_when; i++) {
            gnv_expr_node **w = &n->args[1 + 2 * i];
            rc = need_bool(w);
            if (rc < 0)
                return rc;
            if (rc > 0) {
                char a[64];
                return gnv__error_set(GNV_EINVAL, GNV_SUB_EXPR,
                                      "CASE WHEN condition at character %d must be boolean, got "
                                      "%s",
                                      (int)(*w)->pos + 1, tname(a, sizeof a, &(*w)->type));
            }
        }
    }
    /* the results: THEN values and ELSE share one type */
    int32_t n_res = n_when + (n->args[n->n_args - 1] ? 1 : 0);
    gnv_expr_node **tmp = gnv__calloc((size_t)n_res, sizeof *tmp);
    gnv_expr_node fake = *n;
    if (!tmp)
        return gnv__error_oom();
    for (int32_t i = 0; i < n_when; i++)
        tmp[i] = n->args[2 + 2 * i];
    if (n_res > n_when)
        tmp[n_when] = n->args[n->n_args - 1];
    fake.args = tmp;
    rc = unify(&fake, 0, n_res, U_PLAIN, "CASE");
    for (int32_t i = 0; i < n_when; i++)
        n->args[2 + 2 * i] = tmp[i];
    if (n_res > n_when)
        n->args[n->n_args - 1] = tmp[n_when];
    if (rc == GNV_OK)
        rc = set_copy(n, &tmp[0]->type);
    gnv__free(tmp);
    return rc;
}

/* ---- functions ---------------------------------------------------------- */

/* Argument i must be a string (NULL becomes a utf8 NULL); `binary` also allows binary. */
static int string_arg(gnv_expr_node *n, int i, bool binary)
{
    gnv_type_id id = type_id(&n->args[i]->type);
    if (id == GNV_TYPE_NA)
        return coerce_fmt(&n->args[i], "u");
    if (id_is_string(id) || (binary && gnv__type_is_binary_like(id)))
        return GNV_OK;
    return err_arg(n, i, "a string");
}

/* All arguments from `first` strings, brought to one string type (returned in fmt). */
static int strings_common(gnv_expr_node *n, int first, const char **fmt)
{
    *fmt = "u";
    for (int i = first; i < n->n_args; i++) {
        GNV_TRY(string_arg(n, i, false));
        if (type_id(&n->args[i]->type) == GNV_TYPE_LARGE_STRING)
            *fmt = "U";
    }
    for (int i = first; i < n->n_args; i++)
        GNV_TRY(coerce_fmt(&n->args[i], *fmt));
    return GNV_OK;
}

static int int_arg(gnv_expr_node *n, int i)
{
    gnv_type_id id = type_id(&n->args[i]->type);
    if (id == GNV_TYPE_NA || id_is_int(id))
        return coerce_fmt(&n->args[i], "l");
    return err_arg(n, i, "an integer");
}

/* A float argument: float32 stays, other numbers become float64. */
static int float_arg(gnv_expr_node *n, int i, bool keep_f32)
{
    gnv_type_id id = type_id(&n->args[i]->type);
    if (id == GNV_TYPE_FLOAT && keep_f32)
        return GNV_OK;
    if (id == GNV_TYPE_NA || id_is_numeric(id))
        return coerce_fmt(&n->args[i], "g");
    return err_arg(n, i, "a number");
}

static const char *const date_parts[] = {
    "year",        "years",        "quarter",    "month",       "months",
    "week",        "weeks",        "day",        "days",        "doy",
    "dow",         "isodow",       "hour",       "hours",       "minute",
    "minutes",     "second",       "seconds",    "millisecond", "milliseconds",
    "microsecond", "microseconds", "nanosecond", "nanoseconds", "epoch",
};

/* n's type := list<item> (items nullable, named "item"). */
static int set_list_of(gnv_expr_node *n, const struct ArrowSchema *item)
{
    struct ArrowSchema t = {0};
    int rc = GNV_OK;
    GNV_TRY(gnv__schema_init(&t, "+l", "", ARROW_FLAG_NULLABLE));
    GNV_TRYG(gnv__schema_alloc_children(&t, 1));
    gnv__schema_release(t.children[0]);
    GNV_TRYG(gnv__schema_copy(t.children[0], item));
    GNV_TRYG(gnv__schema_set_name(t.children[0], "item"));
    t.children[0]->flags |= ARROW_FLAG_NULLABLE;
    gnv__schema_release(&n->type);
    gnv__schema_move(&t, &n->type);
done:
    if (rc < 0)
        gnv__schema_release(&t);
    return rc;
}

/* A make_array() / [..] argument of a list function takes the item type of the other
 * list (DataFusion coerces the two lists to one type): its items are coerced one by one.
 * Other expressions are left alone. */
static int retype_array(gnv_expr_node *a, const struct ArrowSchema *item)
{
    if (a->op != GNV_EX_CALL || a->func != GNV_FN_MAKE_ARRAY)
        return GNV_OK;
    for (int32_t i = 0; i < a->n_args; i++) {
        GNV_TRY(adapt_literal(a->args[i], item));
        if (!can_cast(&a->args[i]->type, item))
            return GNV_OK; /* the caller reports the mismatch */
    }
    for (int32_t i = 0; i < a->n_args; i++)
        GNV_TRY(coerce(&a->args[i], item));
    return set_list_of(a, item);
}

static int bind_call(gnv_expr_node *n)
{
    int rc = GNV_OK;
    const char *fmt;
    switch (n->func) {
    case GNV_FN_LOWER:
    case GNV_FN_UPPER:
    case GNV_FN_TRIM:
    case GNV_FN_LTRIM:
    case GNV_FN_RTRIM:
    case GNV_FN_REPLACE:
        GNV_TRY(strings_common(n, 0, &fmt));
        return set_fmt(n, fmt);
    case GNV_FN_LENGTH:
    case GNV_FN_OCTET_LENGTH:
        GNV_TRY(string_arg(n, 0, n->func == GNV_FN_OCTET_LENGTH));
        return set_fmt(n, gnv__type_is_large(type_id(&n->args[0]->type)) ? "l" : "i");
    case GNV_FN_SUBSTR:
        GNV_TRY(string_arg(n, 0, false));
        for (int i = 1; i < n->n_args; i++)
            GNV_TRY(int_arg(n, i));
        return set_copy(n, &n->args[0]->type);
    case GNV_FN_CONCAT: {
        fmt = "u"; /* utf8 even over large_utf8 arguments, as LanceDB gives */
        struct ArrowSchema to;
        GNV_TRY(gnv__schema_init(&to, fmt, "", ARROW_FLAG_NULLABLE));
        for (int i = 0; i < n->n_args && rc == GNV_OK; i++) {
            if (!can_cast(&n->args[i]->type, &to))
                rc = err_arg(n, i, "a value that converts to a string");
            else
                rc = coerce(&n->args[i], &to);
        }
        gnv__schema_release(&to);
        GNV_TRY(rc);
        return set_fmt(n, fmt);
    }
    case GNV_FN_STARTS_WITH:
    case GNV_FN_ENDS_WITH:
    case GNV_FN_REGEXP_LIKE:
        GNV_TRY(strings_common(n, 0, &fmt));
        return set_fmt(n, "b");
    case GNV_FN_REGEXP_MATCH: {
        /* the captures as list<utf8> (DataFusion's regexp_match) */
        GNV_TRY(strings_common(n, 0, &fmt));
        struct ArrowSchema item;
        GNV_TRY(gnv__schema_init(&item, "u", "item", ARROW_FLAG_NULLABLE));
        rc = set_list_of(n, &item);
        gnv__schema_release(&item);
        return rc;
    }
    case GNV_FN_ABS: {
        gnv_type_id id = type_id(&n->args[0]->type);
        if (id == GNV_TYPE_NA)
            GNV_TRY(coerce_fmt(&n->args[0], "l"));
        else if (!id_is_number(id)) /* decimals too (same type) */
            return err_arg(n, 0, "a number");
        return set_copy(n, &n->args[0]->type);
    }
    case GNV_FN_ROUND:
    case GNV_FN_FLOOR:
    case GNV_FN_CEIL:
    case GNV_FN_SQRT:
    case GNV_FN_LN:
        GNV_TRY(float_arg(n, 0, true));
        if (n->n_args > 1)
            GNV_TRY(int_arg(n, 1));
        return set_copy(n, &n->args[0]->type);
    case GNV_FN_LOG:
        if (n->n_args == 1) {
            GNV_TRY(float_arg(n, 0, true));
            return set_copy(n, &n->args[0]->type);
        }
        /* log(base, x): both float32 stay float32, else both float64 */
        {
            bool f32 = type_id(&n->args[0]->type) == GNV_TYPE_FLOAT &&
                       type_id(&n->args[1]->type) == GNV_TYPE_FLOAT;
            GNV_TRY(float_arg(n, 0, f32));
            GNV_TRY(float_arg(n, 1, f32));
            return set_copy(n, &n->args[1]->type);
        }
    case GNV_FN_POW:
        GNV_TRY(float_arg(n, 0, false));
        GNV_TRY(float_arg(n, 1, false));
        return set_fmt(n, "g");
    case GNV_FN_COALESCE:
    case GNV_FN_GREATEST:
    case GNV_FN_LEAST:
        GNV_TRY(unify(n, 0, n->n_args, U_UNION, gnv__expr_func_name(n->func)));
        return set_copy(n, &n->args[0]->type);
    case GNV_FN_NULLIF:
        GNV_TRY(unify(n, 0, 2, U_UNION, "nullif"));
        return set_copy(n, &n->args[0]->type);
    case GNV_FN_ARRAY_LENGTH:
        if (!id_is_list(type_id(&n->args[0]->type)))
            return err_arg(n, 0, "a list");
        return set_fmt(n, "L");
    case GNV_FN_ARRAY_HAS: {
        if (!id_is_list(type_id(&n->args[0]->type)))
            return err_arg(n, 0, "a list");
        const struct ArrowSchema *item = n->args[0]->type.children[0];
        GNV_TRY(adapt_literal(n->args[1], item));
        if (!can_cast(&n->args[1]->type, item)) {
            char a[64];
            return err_arg(n, 1, tname(a, sizeof a, item));
        }
        GNV_TRY(coerce(&n->args[1], item));
        return set_fmt(n, "b");
    }
    case GNV_FN_ARRAY_HAS_ANY:
    case GNV_FN_ARRAY_HAS_ALL:
        for (int i = 0; i < 2; i++)
            if (!id_is_list(type_id(&n->args[i]->type)))
                return err_arg(n, i, "a list");
        if (!same_type(n->args[0]->type.children[0], n->args[1]->type.children[0])) {
            bool lit1 = n->args[1]->op == GNV_EX_CALL && n->args[1]->func == GNV_FN_MAKE_ARRAY;
            int other = lit1 ? 0 : 1;
            GNV_TRY(retype_array(n->args[1 - other], n->args[other]->type.children[0]));
        }
        if (!same_type(n->args[0]->type.children[0], n->args[1]->type.children[0])) {
            char a[64];
            return err_arg(n, 1, tname(a, sizeof a, &n->args[0]->type));
        }
        return set_fmt(n, "b");
    case GNV_FN_DATE_PART: {
        gnv_expr_node *f = n->args[0];
        if (f->op != GNV_EX_LITERAL || f->lit.kind != GNV_LIT_STRING)
            return gnv__error_set(GNV_EINVAL, GNV_SUB_EXPR,
                                  "date_part at character %d needs the part as a string literal, "
                                  "such as 'year'",
                                  (int)n->pos + 1);
        for (size_t i = 0; i < f->lit.n; i++)
            f->lit.s[i] = (char)tolower((unsigned char)f->lit.s[i]);
        if (strcmp(f->lit.s, "qtr") == 0) {
            char *s = gnv__strdup("quarter");
            if (!s)
                return gnv__error_oom();
            gnv__free(f->lit.s);
            f->lit.s = s;
            f->lit.n = strlen(s);
        }
        bool known = false;
        for (size_t i = 0; i < GNV_ARRAY_SIZE(date_parts); i++)
            known |= strcmp(f->lit.s, date_parts[i]) == 0;
        if (!known)
            return gnv__error_set(
                GNV_EINVAL, GNV_SUB_EXPR,
                "unknown date part '%.40s' at character %d (one of year, quarter, "
                "month, week, day, doy, dow, isodow, hour, minute, second, "
                "millisecond, microsecond, nanosecond, epoch)",
                f->lit.s, (int)f->pos + 1);
        gnv_type_id id = type_id(&n->args[1]->type);
        if (n->args[1]->op == GNV_EX_LITERAL && n->args[1]->lit.kind == GNV_LIT_STRING)
            GNV_TRY(coerce_fmt(&n->args[1], "tsu:"));
        else if (id == GNV_TYPE_NA)
            GNV_TRY(coerce_fmt(&n->args[1], "tsu:"));
        else if (!id_is_temporal(id))
            return err_arg(n, 1, "a date or timestamp");
        /* LanceDB's DataFusion: int32 for every part but epoch (float64); no nanoseconds */
        if (strncmp(f->lit.s, "nanosecond", 10) == 0)
            return gnv__error_set(GNV_EINVAL, GNV_SUB_EXPR,
                                  "date part '%s' at character %d is not supported", f->lit.s,
                                  (int)f->pos + 1);
        return set_fmt(n, strcmp(f->lit.s, "epoch") == 0 ? "g" : "i");
    }
    case GNV_FN_MAKE_ARRAY: {
        if (n->n_args == 0) {
            struct ArrowSchema na;
            GNV_TRY(gnv__schema_init(&na, "n", "item", ARROW_FLAG_NULLABLE));
            rc = set_list_of(n, &na);
            gnv__schema_release(&na);
            return rc;
        }
        GNV_TRY(unify(n, 0, n->n_args, U_UNION, "make_array"));
        return set_list_of(n, &n->args[0]->type);
    }
    case GNV_FN_ARRAY_SORT:
    case GNV_FN_ARRAY_DISTINCT:
        if (!id_is_list(type_id(&n->args[0]->type)))
            return err_arg(n, 0, "a list");
        return set_list_of(n, n->args[0]->type.children[0]);
    case GNV_FN_ARRAY_MAX:
    case GNV_FN_ARRAY_MIN:
        if (!id_is_list(type_id(&n->args[0]->type)))
            return err_arg(n, 0, "a list");
        return set_copy(n, n->args[0]->type.children[0]);
    case GNV_FN_ARRAY_TO_STRING:
        if (!id_is_list(type_id(&n->args[0]->type)))
            return err_arg(n, 0, "a list");
        GNV_TRY(string_arg(n, 1, false));
        GNV_TRY(coerce_fmt(&n->args[1], "u"));
        return set_fmt(n, "u");
    case GNV_FN_ARRAY_CONCAT:
        for (int i = 0; i < 2; i++)
            if (!id_is_list(type_id(&n->args[i]->type)))
                return err_arg(n, i, "a list");
        if (!same_type(n->args[0]->type.children[0], n->args[1]->type.children[0])) {
            GNV_TRY(retype_array(n->args[1], n->args[0]->type.children[0]));
            if (!same_type(n->args[0]->type.children[0], n->args[1]->type.children[0])) {
                char a[64];
                return err_arg(n, 1, tname(a, sizeof a, &n->args[0]->type));
            }
        }
        return set_list_of(n, n->args[0]->type.children[0]);
    case GNV_FN_ARRAY_APPEND: {
        /* the item type: the list's items and x brought to one type */
        if (!id_is_list(type_id(&n->args[0]->type)))
            return err_arg(n, 0, "a list");
        struct ArrowSchema common = {0};
        rc = common_type(&common, n->args[0]->type.children[0], &n->args[1]->type, false);
        if (rc <= 0) {
            gnv__schema_release(&common);
            if (rc < 0)
                return rc;
            char a[64];
            return err_arg(n, 1, tname(a, sizeof a, n->args[0]->type.children[0]));
        }
        rc = coerce(&n->args[1], &common);
        if (rc == GNV_OK && !same_type(n->args[0]->type.children[0], &common)) {
            struct ArrowSchema lt = {0};
            gnv_expr_node fake = {0};
            rc = set_list_of(&fake, &common);
            if (rc == GNV_OK)
                rc = gnv__schema_copy(&lt, &fake.type);
            gnv__schema_release(&fake.type);
            if (rc == GNV_OK)
                rc = coerce(&n->args[0], &lt);
            gnv__schema_release(&lt);
        }
        if (rc == GNV_OK)
            rc = set_list_of(n, &common);
        gnv__schema_release(&common);
        return rc;
    }
    case GNV_FN_TO_TIMESTAMP: {
        /* integer seconds or a string: CASTs to timestamp[ns] (DataFusion's type) */
        gnv_type_id id = type_id(&n->args[0]->type);
        if (id_is_int(id) || id == GNV_TYPE_NA)
            GNV_TRY(coerce_fmt(&n->args[0], "tss:"));
        else if (!id_is_string(id) && id != GNV_TYPE_TIMESTAMP && id != GNV_TYPE_DATE32)
            return err_arg(n, 0, "integer seconds or a string");
        n->op = GNV_EX_CAST;
        n->func = 0;
        GNV_TRY(gnv__schema_init(&n->cast_to, "tsn:", "", ARROW_FLAG_NULLABLE));
        return set_copy(n, &n->cast_to);
    }
    case GNV_FN_ARRAY_ELEMENT:
        if (!id_is_list(type_id(&n->args[0]->type)))
            return err_arg(n, 0, "a list");
        GNV_TRY(int_arg(n, 1));
        return set_copy(n, n->args[0]->type.children[0]);
    case GNV_FN_ARRAY_POSITION: {
        if (!id_is_list(type_id(&n->args[0]->type)))
            return err_arg(n, 0, "a list");
        const struct ArrowSchema *item = n->args[0]->type.children[0];
        GNV_TRY(adapt_literal(n->args[1], item));
        if (!can_cast(&n->args[1]->type, item)) {
            char a[64];
            return err_arg(n, 1, tname(a, sizeof a, item));
        }
        GNV_TRY(coerce(&n->args[1], item));
        return set_fmt(n, "L");
    }
    case GNV_FN_STRPOS:
        GNV_TRY(strings_common(n, 0, &fmt));
        return set_fmt(n, fmt[0] == 'U' ? "l" : "i");
    case GNV_FN_CONTAINS:
        GNV_TRY(strings_common(n, 0, &fmt));
        return set_fmt(n, "b");
    case GNV_FN_REGEXP_REPLACE:
        GNV_TRY(strings_common(n, 0, &fmt));
        return set_fmt(n, fmt);
    case GNV_FN_ASCII:
        GNV_TRY(string_arg(n, 0, false));
        return set_fmt(n, "i");
    case GNV_FN_MD5:
        GNV_TRY(string_arg(n, 0, false));
        return set_fmt(n, "u");
    case GNV_FN_REVERSE:
        GNV_TRY(string_arg(n, 0, false));
        return set_copy(n, &n->args[0]->type);
    case GNV_FN_LEFT:
    case GNV_FN_RIGHT:
    case GNV_FN_REPEAT:
        GNV_TRY(string_arg(n, 0, false));
        GNV_TRY(int_arg(n, 1));
        return set_copy(n, &n->args[0]->type);
    case GNV_FN_LPAD:
    case GNV_FN_RPAD:
        GNV_TRY(string_arg(n, 0, false));
        GNV_TRY(int_arg(n, 1));
        if (n->n_args > 2) {
            GNV_TRY(string_arg(n, 2, false));
            GNV_TRY(coerce(&n->args[2], &n->args[0]->type));
        }
        return set_copy(n, &n->args[0]->type);
    case GNV_FN_SPLIT_PART: {
        gnv_expr_node *pos = n->args[2];
        n->args[2] = NULL;
        n->n_args = 2;
        rc = strings_common(n, 0, &fmt);
        n->args[2] = pos;
        n->n_args = 3;
        GNV_TRY(rc);
        GNV_TRY(int_arg(n, 2));
        return set_fmt(n, fmt);
    }
    case GNV_FN_LOG10:
    case GNV_FN_LOG2:
    case GNV_FN_EXP:
    case GNV_FN_SIGNUM:
    case GNV_FN_TRUNC:
    case GNV_FN_SIN:
    case GNV_FN_COS:
    case GNV_FN_TAN:
        GNV_TRY(float_arg(n, 0, true));
        return set_copy(n, &n->args[0]->type);
    case GNV_FN_ISNAN:
    case GNV_FN_ISZERO:
        GNV_TRY(float_arg(n, 0, true));
        return set_fmt(n, "b");
    case GNV_FN_PI:
    case GNV_FN_RANDOM:
        return set_fmt(n, "g");
    case GNV_FN_ATAN2:
        GNV_TRY(float_arg(n, 0, false));
        GNV_TRY(float_arg(n, 1, false));
        return set_fmt(n, "g");
    case GNV_FN_TO_HEX:
        GNV_TRY(int_arg(n, 0));
        return set_fmt(n, "u");
    case GNV_FN_INITCAP:
        GNV_TRY(string_arg(n, 0, false));
        return set_copy(n, &n->args[0]->type);
    case GNV_FN_NOW:
    case GNV_FN_CURRENT_DATE: {
        /* one instant for the whole evaluation: a literal of the bind's time */
        struct timespec now;
        clock_gettime(CLOCK_REALTIME, &now);
        int64_t us = (int64_t)now.tv_sec * 1000000 + now.tv_nsec / 1000;
        n->op = GNV_EX_LITERAL;
        if (n->func == GNV_FN_NOW) {
            n->lit.kind = GNV_LIT_TIMESTAMP;
            n->lit.i = us;
        } else {
            n->lit.kind = GNV_LIT_DATE;
            int64_t secs = (int64_t)now.tv_sec;
            n->lit.i = secs >= 0 ? secs / 86400 : (secs - 86399) / 86400;
        }
        n->func = 0;
        return initial_literal_type(n);
    }
    case GNV_FN_DATE_TRUNC: {
        static const char *const units[] = {"year",        "quarter",    "month",  "week",
                                            "day",         "hour",       "minute", "second",
                                            "millisecond", "microsecond"};
        gnv_expr_node *f = n->args[0];
        if (f->op != GNV_EX_LITERAL || f->lit.kind != GNV_LIT_STRING)
            return gnv__error_set(GNV_EINVAL, GNV_SUB_EXPR,
                                  "date_trunc at character %d needs the unit as a string literal, "
                                  "such as 'day'",
                                  (int)n->pos + 1);
        for (size_t i = 0; i < f->lit.n; i++)
            f->lit.s[i] = (char)tolower((unsigned char)f->lit.s[i]);
        bool known = false;
        for (size_t i = 0; i < GNV_ARRAY_SIZE(units); i++)
            known |= strcmp(f->lit.s, units[i]) == 0;
        if (!known)
            return gnv__error_set(GNV_EINVAL, GNV_SUB_EXPR,
                                  "unknown date_trunc unit '%.40s' at character %d (one of year, "
                                  "quarter, month, week, day, hour, minute, second, millisecond, "
                                  "microsecond)",
                                  f->lit.s, (int)f->pos + 1);
        GNV_TRY(coerce_fmt(&n->args[0], "u"));
        gnv_type_id id = type_id(&n->args[1]->type);
        if (id == GNV_TYPE_NA || id == GNV_TYPE_DATE32 ||
            (n->args[1]->op == GNV_EX_LITERAL && n->args[1]->lit.kind == GNV_LIT_STRING))
            GNV_TRY(coerce_fmt(&n->args[1], "tsu:"));
        else if (id != GNV_TYPE_TIMESTAMP)
            return err_arg(n, 1, "a timestamp");
        return set_copy(n, &n->args[1]->type);
    }
    case GNV_FN_COUNT_:
        break;
    }
    (void)rc;
    return gnv__error_set(GNV_EINVAL, GNV_SUB_EXPR, "unknown function at character %d",
                          (int)n->pos + 1);
}

/* ---- LanceDB's literal resolution ---------------------------------------- */

/*
 * LanceDB resolves literals against columns before DataFusion sees the expression
 * (Lance's resolve_expr and safe_coerce_scalar): in `col op literal` (op any binary
 * operator but AND/OR, at the top of the expression or under AND/OR only), in
 * `col BETWEEN a AND b`, in `col IN (...)` (a top-level column), and in the literal
 * leaves of `col op (a op b ...)`, a literal takes the column's type or is an error.
 * An integer must fit an integer column; a float literal does not convert to an
 * integer; numbers become floats (float64 to float32 may round); strings go to string
 * columns only (not to dates, timestamps or numbers), X'..' to binary ones, DATE to
 * date32, TIMESTAMP to any timestamp unit. So `i8 = 200`, `id < 10.0` and
 * `d > '2024-01-01'` are errors, `i8 + 1` is int8 and `f32 = 0.1` compares in float32.
 */

/* The type of a column reference (resolved as bind_column does), or NULL. */
static const struct ArrowSchema *column_type(binder *b, const gnv_expr_node *n)
{
    if (n->op != GNV_EX_COLUMN)
        return NULL;
    const struct ArrowSchema *s = b->schema;
    for (int32_t k = 0; k < n->n_names; k++) {
        if (k > 0 && strcmp(s->format, "+s") != 0)
            return NULL;
        int64_t i = find_child(s, n->names[k]);
        if (i < 0)
            return NULL;
        s = s->children[i];
    }
    return s->dictionary ? s->dictionary : s;
}

static bool is_binary_op(gnv_expr_op op)
{
    return op >= GNV_EX_AND && op <= GNV_EX_SHR;
}

/* A literal as text for messages. */
static void lit_text(char *buf, size_t cap, const gnv_lit *l)
{
    switch (l->kind) {
    case GNV_LIT_INT:
        snprintf(buf, cap, "%lld", (long long)l->i);
        break;
    case GNV_LIT_UINT:
        snprintf(buf, cap, "%llu", (unsigned long long)l->u);
        break;
    case GNV_LIT_DOUBLE:
        snprintf(buf, cap, "%.17g", l->d);
        break;
    case GNV_LIT_STRING:
        snprintf(buf, cap, l->b ? "X'...'" : "'%.40s'", l->s ? l->s : "");
        break;
    case GNV_LIT_BOOL:
        snprintf(buf, cap, "%s", l->b ? "TRUE" : "FALSE");
        break;
    case GNV_LIT_DATE:
        snprintf(buf, cap, "DATE '...'");
        break;
    case GNV_LIT_TIMESTAMP:
        snprintf(buf, cap, "TIMESTAMP '...'");
        break;
    default:
        snprintf(buf, cap, "NULL");
        break;
    }
}

/* The literal *slot next to column `col` of type `to`, as Lance's safe_coerce_scalar:
 * retyped, wrapped in a CAST (timestamps of another unit), or an error. */
static int
lance_literal(gnv_expr_node **slot, const struct ArrowSchema *to, const gnv_expr_node *col)
{
    int rc = GNV_OK;
    gnv_expr_node *n = *slot, *c = NULL;
    gnv_lit *l = &n->lit;
    gnv_type t;
    const char *hint = "";
    if (n->type.release || l->kind == GNV_LIT_NULL || gnv__type_parse(&t, to->format) != GNV_OK)
        return GNV_OK;
    if (t.id == GNV_TYPE_DECIMAL128 || t.id == GNV_TYPE_DURATION)
        return GNV_OK; /* left to the DataFusion rules */
    bool numeric = id_is_int(t.id) || id_is_float(t.id);
    switch (l->kind) {
    case GNV_LIT_INT:
    case GNV_LIT_UINT:
        if (id_is_int(t.id) && int_fits(l, t.id))
            return set_copy(n, to);
        if (id_is_float(t.id)) {
            l->d = l->kind == GNV_LIT_UINT ? (double)l->u : (double)l->i;
            l->kind = GNV_LIT_DOUBLE;
            return set_copy(n, to);
        }
        if (id_is_string(t.id))
            hint = " (quote it to compare it as a string)";
        break;
    case GNV_LIT_DOUBLE:
        if (id_is_float(t.id))
            return set_copy(n, to); /* float32 may round, as in LanceDB */
        if (id_is_int(t.id))
            hint = " (LanceDB does not convert a float literal to an integer)";
        break;
    case GNV_LIT_STRING:
        if (!l->b && id_is_string(t.id))
            return set_copy(n, to);
        if (l->b && (t.id == GNV_TYPE_BINARY || t.id == GNV_TYPE_LARGE_BINARY))
            return set_copy(n, to);
        if (!l->b && t.id == GNV_TYPE_DATE32)
            hint = " (write DATE '...')";
        else if (!l->b && t.id == GNV_TYPE_TIMESTAMP)
            hint = " (write TIMESTAMP '...')";
        else if (!l->b && gnv__type_is_binary_like(t.id))
            hint = " (write X'...' in hexadecimal)";
        else if (!l->b && numeric)
            hint = " (write the number without quotes)";
        break;
    case GNV_LIT_BOOL:
        if (t.id == GNV_TYPE_BOOL)
            return GNV_OK;
        break;
    case GNV_LIT_DATE:
        if (t.id == GNV_TYPE_DATE32)
            return GNV_OK;
        if (t.id == GNV_TYPE_TIMESTAMP)
            hint = " (write TIMESTAMP '...')";
        break;
    case GNV_LIT_TIMESTAMP:
        if (t.id != GNV_TYPE_TIMESTAMP)
            break;
        if (t.unit == GNV_UNIT_MICRO)
            return set_copy(n, to);
        char fmt[64]; /* microseconds (as LanceDB reads it), then the column's unit */
        snprintf(fmt, sizeof fmt, "tsu:%.40s", t.timezone ? t.timezone : "");
        GNV_TRY(set_fmt(n, fmt));
        c = gnv__calloc(1, sizeof *c);
        GNV_CHECK_ALLOC(c);
        c->op = GNV_EX_CAST;
        c->pos = n->pos;
        c->args = gnv__calloc(1, sizeof *c->args);
        GNV_CHECK_ALLOC(c->args);
        GNV_TRYG(gnv__schema_copy(&c->cast_to, to));
        c->cast_to.flags |= ARROW_FLAG_NULLABLE;
        c->args[0] = n;
        c->n_args = 1;
        *slot = c;
        c = NULL;
        goto done;
    default:
        return GNV_OK;
    }
    {
        char v[64], a[64];
        lit_text(v, sizeof v, l);
        return gnv__error_set(GNV_EINVAL, GNV_SUB_EXPR,
                              "literal %s at character %d does not convert to %s, the type of "
                              "'%s'%s",
                              v, (int)n->pos + 1, tname(a, sizeof a, to),
                              col->names[col->n_names - 1], hint);
    }
done:
    gnv__expr_node_free(c);
    return rc;
}

/* The literal leaves of a tree of binary operators take the column's type. */
static int
lance_leaves(gnv_expr_node **slot, const struct ArrowSchema *to, const gnv_expr_node *col)
{
    gnv_expr_node *n = *slot;
    if (n->op == GNV_EX_LITERAL)
        return lance_literal(slot, to, col);
    if (is_binary_op(n->op)) {
        GNV_TRY(lance_leaves(&n->args[0], to, col));
        return lance_leaves(&n->args[1], to, col);
    }
    return GNV_OK;
}

static int resolve_literals(binder *b, gnv_expr_node *n)
{
    const struct ArrowSchema *t;
    if (n->op == GNV_EX_AND || n->op == GNV_EX_OR) {
        GNV_TRY(resolve_literals(b, n->args[0]));
        return resolve_literals(b, n->args[1]);
    }
    if (is_binary_op(n->op)) {
        if ((t = column_type(b, n->args[0])) != NULL) {
            if (n->args[1]->op == GNV_EX_LITERAL || is_binary_op(n->args[1]->op))
                return lance_leaves(&n->args[1], t, n->args[0]);
        } else if ((t = column_type(b, n->args[1])) != NULL && n->args[0]->op == GNV_EX_LITERAL) {
            return lance_literal(&n->args[0], t, n->args[1]);
        }
        return GNV_OK;
    }
    if (n->op == GNV_EX_BETWEEN && (t = column_type(b, n->args[0])) != NULL) {
        GNV_TRY(lance_leaves(&n->args[1], t, n->args[0]));
        return lance_leaves(&n->args[2], t, n->args[0]);
    }
    if (n->op == GNV_EX_IN && n->args[0]->op == GNV_EX_COLUMN && n->args[0]->n_names == 1 &&
        (t = column_type(b, n->args[0])) != NULL)
        for (int32_t i = 1; i < n->n_args; i++)
            GNV_TRY(lance_leaves(&n->args[i], t, n->args[0]));
    return GNV_OK;
}

/* ---- the walk ----------------------------------------------------------- */

static int bind_node(binder *b, gnv_expr_node **slot)
{
    gnv_expr_node *n = *slot;
    int rc;
    if (n->op == GNV_EX_COLUMN)
        return bind_column(b, slot);
    if (n->op == GNV_EX_LITERAL)
        return initial_literal_type(n);
    for (int32_t i = 0; i < n->n_args; i++)
        if (n->args[i])
            GNV_TRY(bind_node(b, &n->args[i]));
    switch (n->op) {
    case GNV_EX_NOT:
        rc = need_bool(&n->args[0]);
        if (rc > 0)
            return err_type1(n, "NOT", &n->args[0]->type);
        GNV_TRY(rc);
        return set_fmt(n, "b");
    case GNV_EX_IS_TRUE:
    case GNV_EX_IS_FALSE:
        rc = need_bool(&n->args[0]);
        if (rc > 0)
            return err_type1(n, n->op == GNV_EX_IS_TRUE ? "IS TRUE" : "IS FALSE",
                             &n->args[0]->type);
        GNV_TRY(rc);
        return set_fmt(n, "b");
    case GNV_EX_IS_NULL:
        return set_fmt(n, "b");
    case GNV_EX_NEG: {
        gnv_type_id id = type_id(&n->args[0]->type);
        if (id == GNV_TYPE_NA)
            GNV_TRY(coerce_fmt(&n->args[0], "l"));
        else if (!(id_is_float(id) || id_is_decimal(id) ||
                   (id_is_int(id) && gnv__type_is_signed(id))))
            return err_type1(n, "unary -", &n->args[0]->type);
        return set_copy(n, &n->args[0]->type);
    }
    case GNV_EX_AND:
    case GNV_EX_OR: {
        int r0 = need_bool(&n->args[0]);
        GNV_TRY(r0);
        int r1 = need_bool(&n->args[1]);
        GNV_TRY(r1);
        if (r0 > 0 || r1 > 0)
            return err_types2(n, "apply", gnv__expr_op_name(n->op));
        return set_fmt(n, "b");
    }
    case GNV_EX_ADD:
    case GNV_EX_SUB:
    case GNV_EX_MUL:
    case GNV_EX_DIV:
    case GNV_EX_MOD:
        return bind_arith(n);
    case GNV_EX_EQ:
    case GNV_EX_NE:
    case GNV_EX_LT:
    case GNV_EX_LE:
    case GNV_EX_GT:
    case GNV_EX_GE:
        return bind_compare(n);
    case GNV_EX_CONCAT_OP:
        return bind_concat_op(n);
    case GNV_EX_SHL:
    case GNV_EX_SHR:
        for (int i = 0; i < 2; i++) {
            gnv_type_id id = type_id(&n->args[i]->type);
            if (id == GNV_TYPE_NA)
                GNV_TRY(coerce_fmt(&n->args[i], "l"));
            else if (!id_is_int(id))
                return err_types2(n, "apply", gnv__expr_op_name(n->op));
        }
        GNV_TRY(unify(n, 0, 2, U_PLAIN, gnv__expr_op_name(n->op)));
        return set_copy(n, &n->args[0]->type);
    case GNV_EX_IN:
        GNV_TRY(unify(n, 0, n->n_args, U_COMPARE, "IN"));
        return set_fmt(n, "b");
    case GNV_EX_BETWEEN:
        GNV_TRY(unify(n, 0, 3, U_COMPARE, "BETWEEN"));
        return set_fmt(n, "b");
    case GNV_EX_LIKE:
        return bind_like(n);
    case GNV_EX_CASE:
        return bind_case(n);
    case GNV_EX_CAST:
        /* also a list to a string, explicitly only: "[1, 2, ]" as arrow-rs prints it */
        if (!can_cast(&n->args[0]->type, &n->cast_to) &&
            !(id_is_list(type_id(&n->args[0]->type)) && id_is_string(type_id(&n->cast_to)))) {
            char a[64], c[64];
            return gnv__error_set(GNV_EINVAL, GNV_SUB_EXPR, "cannot cast %s to %s at character %d",
                                  tname(a, sizeof a, &n->args[0]->type),
                                  tname(c, sizeof c, &n->cast_to), (int)n->pos + 1);
        }
        return set_copy(n, &n->cast_to);
    case GNV_EX_CALL:
        return bind_call(n);
    default:
        return gnv__error_set(GNV_EINVAL, GNV_SUB_EXPR, "unknown operator at character %d",
                              (int)n->pos + 1);
    }
}

/* Rebuild e->columns from the bound tree: the schema's own spelling of each top-level
 * column, in order of first use. */
static int collect_columns(gnv_expr_node *n,
                           const struct ArrowSchema *schema,
                           const char ***cols,
                           int64_t *n_cols)
{
    if (!n)
        return GNV_OK;
    if (n->op == GNV_EX_COLUMN) {
        const char *name = schema->children[n->path[0]]->name;
        for (int64_t i = 0; i < *n_cols; i++)
            if (strcmp((*cols)[i], name) == 0)
                return GNV_OK;
        const char **c = gnv__reallocarray((void *)*cols, (size_t)*n_cols + 1, sizeof *c);
        if (!c)
            return gnv__error_oom();
        *cols = c;
        char *s = gnv__strdup(name);
        if (!s)
            return gnv__error_oom();
        c[(*n_cols)++] = s;
        return GNV_OK;
    }
    for (int32_t i = 0; i < n->n_args; i++)
        GNV_TRY(collect_columns(n->args[i], schema, cols, n_cols));
    return GNV_OK;
}

int gnv__expr_bind(gnv_expr *e, const struct ArrowSchema *schema)
{
    int rc = GNV_OK;
    gnv_expr_node *root = NULL;
    const char **cols = NULL;
    int64_t n_cols = 0;
    binder b = {.schema = schema};
    GNV_ERR_IF(!e || !schema || !schema->release || !schema->format, GNV_EINVAL, GNV_SUB_EXPR,
               "binding an expression needs an expression and a schema");
    GNV_ERR_IF(schema->n_children > 0 && !schema->children, GNV_EINVAL, GNV_SUB_EXPR,
               "schema has no children array");
    e->bound = false;
    if (e->parsed)
        GNV_TRYG(gnv__expr_node_copy(&root, e->parsed));
    else
        root = e->root;
    GNV_ERR_IF(!root, GNV_EINVAL, GNV_SUB_EXPR, "empty expression");
    rc = resolve_literals(&b, root);
    if (rc == GNV_OK)
        rc = bind_node(&b, &root);
    if (!e->parsed)
        e->root = root; /* bound in place (a CAST may have been put on top) */
    if (rc < 0)
        goto done;
    GNV_TRYG(collect_columns(root, schema, &cols, &n_cols));
    if (e->parsed) {
        gnv__expr_node_free(e->root);
        e->root = root;
    }
    root = NULL;
    for (int64_t i = 0; i < e->n_columns; i++)
        gnv__free((void *)e->columns[i]);
    gnv__free((void *)e->columns);
    e->columns = cols;
    e->n_columns = n_cols;
    cols = NULL;
    e->bound = true;
done:
    if (e && e->parsed)
        gnv__expr_node_free(root);
    for (int64_t i = 0; i < n_cols && cols; i++)
        gnv__free((void *)cols[i]);
    gnv__free((void *)cols);
    return rc;
}

int gnv__expr_result_schema(struct ArrowSchema *out, const gnv_expr *e, const char *name)
{
    if (!e->bound || !e->root || !e->root->type.release)
        return gnv__error_set(GNV_EINVAL, GNV_SUB_EXPR, "expression '%s' is not bound",
                              e->text ? e->text : "");
    GNV_TRY(gnv__schema_copy(out, &e->root->type));
    out->flags |= ARROW_FLAG_NULLABLE;
    int rc = gnv__schema_set_name(out, name);
    if (rc < 0)
        gnv__schema_release(out);
    return rc;
}
