/*
 * Parsing SQL expression text (DataFusion's dialect, as LanceDB accepts it) into a
 * gnv_expr tree: a lexer that turns the whole text into tokens, then a precedence-climbing
 * parser. Also the tree's helpers shared with the binder and the evaluator (free, copy,
 * operator and function names, a debug printer).
 *
 * Precedence, lowest first (as sqlparser-rs gives DataFusion):
 *   OR < AND < NOT < IS < LIKE/ILIKE < comparison, IN, BETWEEN < || < + - < * / %
 *   < unary minus < ::
 * Positions in nodes and messages are character (not byte) offsets.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "expr/expr_tree.h"

/* ---- tree helpers ------------------------------------------------------- */

void gnv__expr_node_free(gnv_expr_node *n)
{
    if (!n)
        return;
    for (int32_t i = 0; i < n->n_args; i++)
        gnv__expr_node_free(n->args[i]);
    gnv__free(n->args);
    for (int32_t i = 0; i < n->n_names; i++)
        gnv__free(n->names[i]);
    gnv__free(n->names);
    gnv__free(n->path);
    gnv__free(n->lit.s);
    gnv__schema_release(&n->cast_to);
    gnv__schema_release(&n->type);
    gnv__free(n);
}

int gnv__expr_node_copy(gnv_expr_node **out, const gnv_expr_node *in)
{
    int rc = GNV_OK;
    gnv_expr_node *n = NULL;
    *out = NULL;
    if (!in)
        return GNV_OK;
    n = gnv__calloc(1, sizeof *n);
    GNV_CHECK_ALLOC(n);
    n->op = in->op;
    n->pos = in->pos;
    n->negated = in->negated;
    n->case_insensitive = in->case_insensitive;
    n->try_cast = in->try_cast;
    n->func = in->func;
    n->lit = in->lit;
    n->lit.s = NULL;
    if (in->lit.s) {
        n->lit.s = gnv__malloc(in->lit.n + 1);
        GNV_CHECK_ALLOC(n->lit.s);
        memcpy(n->lit.s, in->lit.s, in->lit.n + 1);
    }
    if (in->n_names > 0) {
        n->names = gnv__calloc((size_t)in->n_names, sizeof *n->names);
        GNV_CHECK_ALLOC(n->names);
        for (int32_t i = 0; i < in->n_names; i++) {
            n->names[i] = gnv__strdup(in->names[i]);
            GNV_CHECK_ALLOC(n->names[i]);
            n->n_names = i + 1;
        }
        if (in->path) {
            n->path = gnv__calloc((size_t)in->n_names, sizeof *n->path);
            GNV_CHECK_ALLOC(n->path);
            memcpy(n->path, in->path, (size_t)in->n_names * sizeof *n->path);
        }
    }
    if (in->cast_to.release)
        GNV_TRYG(gnv__schema_copy(&n->cast_to, &in->cast_to));
    if (in->type.release)
        GNV_TRYG(gnv__schema_copy(&n->type, &in->type));
    if (in->n_args > 0) {
        n->args = gnv__calloc((size_t)in->n_args, sizeof *n->args);
        GNV_CHECK_ALLOC(n->args);
        n->n_args = in->n_args;
        for (int32_t i = 0; i < in->n_args; i++)
            GNV_TRYG(gnv__expr_node_copy(&n->args[i], in->args[i]));
    }
    *out = n;
    n = NULL;
done:
    gnv__expr_node_free(n);
    return rc;
}

const char *gnv__expr_op_name(gnv_expr_op op)
{
    switch (op) {
    case GNV_EX_LITERAL:
        return "literal";
    case GNV_EX_COLUMN:
        return "column";
    case GNV_EX_NOT:
        return "NOT";
    case GNV_EX_NEG:
        return "unary -";
    case GNV_EX_IS_NULL:
        return "IS NULL";
    case GNV_EX_IS_TRUE:
        return "IS TRUE";
    case GNV_EX_IS_FALSE:
        return "IS FALSE";
    case GNV_EX_AND:
        return "AND";
    case GNV_EX_OR:
        return "OR";
    case GNV_EX_ADD:
        return "+";
    case GNV_EX_SUB:
        return "-";
    case GNV_EX_MUL:
        return "*";
    case GNV_EX_DIV:
        return "/";
    case GNV_EX_MOD:
        return "%";
    case GNV_EX_EQ:
        return "=";
    case GNV_EX_NE:
        return "!=";
    case GNV_EX_LT:
        return "<";
    case GNV_EX_LE:
        return "<=";
    case GNV_EX_GT:
        return ">";
    case GNV_EX_GE:
        return ">=";
    case GNV_EX_CONCAT_OP:
        return "||";
    case GNV_EX_SHL:
        return "<<";
    case GNV_EX_SHR:
        return ">>";
    case GNV_EX_IN:
        return "IN";
    case GNV_EX_BETWEEN:
        return "BETWEEN";
    case GNV_EX_LIKE:
        return "LIKE";
    case GNV_EX_CASE:
        return "CASE";
    case GNV_EX_CAST:
        return "CAST";
    case GNV_EX_CALL:
        return "function call";
    }
    return "?";
}

/* Every name a function may be called by; the first entry of each function is its
 * canonical name. */
static const struct func_def {
    const char *name;
    gnv_expr_func func;
    int8_t min_args, max_args; /* max -1: any number */
} funcs[] = {
    {"lower", GNV_FN_LOWER, 1, 1},
    {"upper", GNV_FN_UPPER, 1, 1},
    {"length", GNV_FN_LENGTH, 1, 1},
    {"char_length", GNV_FN_LENGTH, 1, 1},
    {"character_length", GNV_FN_LENGTH, 1, 1},
    {"octet_length", GNV_FN_OCTET_LENGTH, 1, 1},
    {"trim", GNV_FN_TRIM, 1, 2},
    {"btrim", GNV_FN_TRIM, 1, 2},
    {"ltrim", GNV_FN_LTRIM, 1, 2},
    {"rtrim", GNV_FN_RTRIM, 1, 2},
    {"substr", GNV_FN_SUBSTR, 2, 3},
    {"substring", GNV_FN_SUBSTR, 2, 3},
    {"concat", GNV_FN_CONCAT, 1, -1},
    {"replace", GNV_FN_REPLACE, 3, 3},
    {"starts_with", GNV_FN_STARTS_WITH, 2, 2},
    {"ends_with", GNV_FN_ENDS_WITH, 2, 2},
    {"regexp_match", GNV_FN_REGEXP_MATCH, 2, 3},
    {"regexp_like", GNV_FN_REGEXP_LIKE, 2, 3},
    {"abs", GNV_FN_ABS, 1, 1},
    {"round", GNV_FN_ROUND, 1, 2},
    {"floor", GNV_FN_FLOOR, 1, 1},
    {"ceil", GNV_FN_CEIL, 1, 1},
    {"sqrt", GNV_FN_SQRT, 1, 1},
    {"ln", GNV_FN_LN, 1, 1},
    {"log", GNV_FN_LOG, 1, 2},
    {"pow", GNV_FN_POW, 2, 2},
    {"power", GNV_FN_POW, 2, 2},
    {"coalesce", GNV_FN_COALESCE, 1, -1},
    {"nullif", GNV_FN_NULLIF, 2, 2},
    {"greatest", GNV_FN_GREATEST, 1, -1},
    {"least", GNV_FN_LEAST, 1, -1},
    {"array_length", GNV_FN_ARRAY_LENGTH, 1, 1},
    {"array_has", GNV_FN_ARRAY_HAS, 2, 2},
    {"array_contains", GNV_FN_ARRAY_HAS, 2, 2},
    {"list_has", GNV_FN_ARRAY_HAS, 2, 2},
    {"array_has_any", GNV_FN_ARRAY_HAS_ANY, 2, 2},
    {"array_has_all", GNV_FN_ARRAY_HAS_ALL, 2, 2},
    {"date_part", GNV_FN_DATE_PART, 2, 2},
    {"make_array", GNV_FN_MAKE_ARRAY, 0, -1},
    {"array_element", GNV_FN_ARRAY_ELEMENT, 2, 2},
    {"array_extract", GNV_FN_ARRAY_ELEMENT, 2, 2},
    {"list_element", GNV_FN_ARRAY_ELEMENT, 2, 2},
    {"array_position", GNV_FN_ARRAY_POSITION, 2, 2},
    {"array_indexof", GNV_FN_ARRAY_POSITION, 2, 2},
    {"cardinality", GNV_FN_ARRAY_LENGTH, 1, 1},
    {"strpos", GNV_FN_STRPOS, 2, 2},
    {"instr", GNV_FN_STRPOS, 2, 2},
    {"left", GNV_FN_LEFT, 2, 2},
    {"right", GNV_FN_RIGHT, 2, 2},
    {"lpad", GNV_FN_LPAD, 2, 3},
    {"rpad", GNV_FN_RPAD, 2, 3},
    {"reverse", GNV_FN_REVERSE, 1, 1},
    {"split_part", GNV_FN_SPLIT_PART, 3, 3},
    {"repeat", GNV_FN_REPEAT, 2, 2},
    {"contains", GNV_FN_CONTAINS, 2, 2},
    {"ascii", GNV_FN_ASCII, 1, 1},
    {"md5", GNV_FN_MD5, 1, 1},
    {"log10", GNV_FN_LOG10, 1, 1},
    {"log2", GNV_FN_LOG2, 1, 1},
    {"exp", GNV_FN_EXP, 1, 1},
    {"signum", GNV_FN_SIGNUM, 1, 1},
    {"trunc", GNV_FN_TRUNC, 1, 1},
    {"sin", GNV_FN_SIN, 1, 1},
    {"cos", GNV_FN_COS, 1, 1},
    {"tan", GNV_FN_TAN, 1, 1},
    {"isnan", GNV_FN_ISNAN, 1, 1},
    {"iszero", GNV_FN_ISZERO, 1, 1},
    {"pi", GNV_FN_PI, 0, 0},
    {"atan2", GNV_FN_ATAN2, 2, 2},
    {"random", GNV_FN_RANDOM, 0, 0},
    {"to_hex", GNV_FN_TO_HEX, 1, 1},
    {"initcap", GNV_FN_INITCAP, 1, 1},
    {"date_trunc", GNV_FN_DATE_TRUNC, 2, 2},
    {"datetrunc", GNV_FN_DATE_TRUNC, 2, 2},
    {"array_append", GNV_FN_ARRAY_APPEND, 2, 2},
    {"list_append", GNV_FN_ARRAY_APPEND, 2, 2},
    {"array_push_back", GNV_FN_ARRAY_APPEND, 2, 2},
    {"array_concat", GNV_FN_ARRAY_CONCAT, 2, 2},
    {"array_cat", GNV_FN_ARRAY_CONCAT, 2, 2},
    {"array_sort", GNV_FN_ARRAY_SORT, 1, 1},
    {"list_sort", GNV_FN_ARRAY_SORT, 1, 1},
    {"array_distinct", GNV_FN_ARRAY_DISTINCT, 1, 1},
    {"list_distinct", GNV_FN_ARRAY_DISTINCT, 1, 1},
    {"array_max", GNV_FN_ARRAY_MAX, 1, 1},
    {"list_max", GNV_FN_ARRAY_MAX, 1, 1},
    {"array_min", GNV_FN_ARRAY_MIN, 1, 1},
    {"list_min", GNV_FN_ARRAY_MIN, 1, 1},
    {"array_to_string", GNV_FN_ARRAY_TO_STRING, 2, 2},
    {"array_join", GNV_FN_ARRAY_TO_STRING, 2, 2},
    {"list_to_string", GNV_FN_ARRAY_TO_STRING, 2, 2},
    {"to_timestamp", GNV_FN_TO_TIMESTAMP, 1, 1},
    {"regexp_replace", GNV_FN_REGEXP_REPLACE, 3, 4},
    {"now", GNV_FN_NOW, 0, 0},
    {"current_timestamp", GNV_FN_NOW, 0, 0},
    {"current_date", GNV_FN_CURRENT_DATE, 0, 0},
    {"datepart", GNV_FN_DATE_PART, 2, 2},
};

const char *gnv__expr_func_name(gnv_expr_func f)
{
    for (size_t i = 0; i < GNV_ARRAY_SIZE(funcs); i++)
        if (funcs[i].func == f)
            return funcs[i].name;
    return "?";
}

/* ---- the lexer ---------------------------------------------------------- */

typedef enum tok_kind {
    TK_EOF = 0,
    TK_INT,    /* digits only */
    TK_NUM,    /* a number with a fraction or an exponent */
    TK_STR,    /* '...' or E'...': val holds the decoded bytes */
    TK_BLOB,   /* X'hex': val holds the bytes */
    TK_IDENT,  /* unquoted: val is lower-cased */
    TK_QIDENT, /* "..." or `...`: val as written */
    TK_SYM     /* punctuation and operators: sym */
} tok_kind;

typedef struct token {
    tok_kind kind;
    const char *at; /* in the text */
    size_t len;
    int32_t cpos; /* character offset */
    char *val;    /* owned (STR, IDENT, QIDENT) */
    size_t vlen;
    char sym[3];
} token;

typedef struct lexer {
    const char *text;
    size_t pos;
    int32_t cpos;
    token *toks;
    size_t n, cap;
} lexer;

static void lex_advance(lexer *lx, size_t n)
{
    for (size_t i = 0; i < n && lx->text[lx->pos]; i++) {
        if (((unsigned char)lx->text[lx->pos] & 0xC0) != 0x80)
            lx->cpos++;
        lx->pos++;
    }
}

static bool is_ident_start(unsigned char c)
{
    return isalpha(c) || c == '_' || c >= 0x80;
}

static bool is_ident_char(unsigned char c)
{
    return isalnum(c) || c == '_' || c == '$' || c >= 0x80;
}

static int lex_push(lexer *lx, token *t)
{
    if (lx->n == lx->cap) {
        size_t cap = lx->cap ? lx->cap * 2 : 32;
        token *nt = gnv__reallocarray(lx->toks, cap, sizeof *nt);
        if (!nt) {
            gnv__free(t->val);
            return gnv__error_oom();
        }
        lx->toks = nt;
        lx->cap = cap;
    }
    lx->toks[lx->n++] = *t;
    return GNV_OK;
}

/* A quoted string or identifier from the opening quote at lx->pos. `escapes`: E'..'
 * backslash escapes. The doubled quote stands for one. */
static int lex_quoted(lexer *lx, token *t, char q, bool escapes, const char *what)
{
    int rc = GNV_OK;
    gnv_buf b = GNV_BUF_INIT;
    int32_t start = lx->cpos;
    lex_advance(lx, 1);
    for (;;) {
        char c = lx->text[lx->pos];
        if (c == '\0') {
            rc = gnv__error_set(GNV_EINVAL, GNV_SUB_EXPR,
                                "unterminated %s starting at character %d", what, (int)start + 1);
            goto done;
        }
        if (c == q) {
            if (lx->text[lx->pos + 1] == q) {
                GNV_TRYG(gnv__buf_putc(&b, q));
                lex_advance(lx, 2);
                continue;
            }
            lex_advance(lx, 1);
            break;
        }
        if (escapes && c == '\\' && lx->text[lx->pos + 1] != '\0') {
            char e = lx->text[lx->pos + 1];
            char r = e;
            switch (e) {
            case 'n':
                r = '\n';
                break;
            case 't':
                r = '\t';
                break;
            case 'r':
                r = '\r';
                break;
            case 'b':
                r = '\b';
                break;
            case 'f':
                r = '\f';
                break;
            case '0':
                r = '\0';
                break;
            default:
                break; /* \\, \', \" and any other character stand for themselves */
            }
            if ((unsigned char)e >= 0x80) {
                lex_advance(lx, 1); /* keep a multi-byte character whole */
                continue;
            }
            GNV_TRYG(gnv__buf_putc(&b, r));
            lex_advance(lx, 2);
            continue;
        }
        GNV_TRYG(gnv__buf_putc(&b, c));
        lex_advance(lx, 1);
    }
    t->vlen = b.size;
    GNV_TRYG(gnv__buf_putc(&b, '\0'));
    t->val = gnv__buf_detach(&b, NULL);
    GNV_CHECK_ALLOC(t->val);
done:
    gnv_buf_dispose(&b);
    return rc;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static int lex_all(lexer *lx)
{
    static const char *const syms2[] = {"<=", ">=", "<>", "!=", "==", "||", "::", "<<", ">>"};
    for (;;) {
        while (isspace((unsigned char)lx->text[lx->pos]))
            lex_advance(lx, 1);
        token t = {0};
        t.at = lx->text + lx->pos;
        t.cpos = lx->cpos;
        unsigned char c = (unsigned char)lx->text[lx->pos];
        size_t start = lx->pos;
        if (c == '\0') {
            t.kind = TK_EOF;
            return lex_push(lx, &t);
        }
        if (c == '-' && lx->text[lx->pos + 1] == '-') {
            /* a comment to the end of the line */
            while (lx->text[lx->pos] && lx->text[lx->pos] != '\n')
                lex_advance(lx, 1);
            continue;
        }
        if (isdigit(c) || (c == '.' && isdigit((unsigned char)lx->text[lx->pos + 1]))) {
            const char *s = lx->text;
            size_t p = lx->pos;
            bool frac = false;
            while (isdigit((unsigned char)s[p]))
                p++;
            if (s[p] == '.') {
                frac = true;
                p++;
                while (isdigit((unsigned char)s[p]))
                    p++;
            }
            if ((s[p] == 'e' || s[p] == 'E') &&
                (isdigit((unsigned char)s[p + 1]) ||
                 ((s[p + 1] == '+' || s[p + 1] == '-') && isdigit((unsigned char)s[p + 2])))) {
                frac = true;
                p += 2;
                while (isdigit((unsigned char)s[p]))
                    p++;
            }
            if (is_ident_start((unsigned char)s[p]))
                return gnv__error_set(GNV_EINVAL, GNV_SUB_EXPR, "malformed number at character %d",
                                      (int)t.cpos + 1);
            t.kind = frac ? TK_NUM : TK_INT;
            lex_advance(lx, p - lx->pos);
        } else if (c == '\'') {
            t.kind = TK_STR;
            GNV_TRY(lex_quoted(lx, &t, '\'', false, "string"));
        } else if ((c == 'e' || c == 'E') && lx->text[lx->pos + 1] == '\'') {
            t.kind = TK_STR;
            lex_advance(lx, 1);
            GNV_TRY(lex_quoted(lx, &t, '\'', true, "string"));
        } else if ((c == 'x' || c == 'X') && lx->text[lx->pos + 1] == '\'') {
            t.kind = TK_BLOB;
            lex_advance(lx, 1);
            GNV_TRY(lex_quoted(lx, &t, '\'', false, "binary string"));
            size_t nb = 0;
            bool ok = t.vlen % 2 == 0;
            for (size_t i = 0; ok && i < t.vlen; i += 2) {
                int hi = hexval(t.val[i]), lo = hexval(t.val[i + 1]);
                ok = hi >= 0 && lo >= 0;
                if (ok)
                    t.val[nb++] = (char)(hi << 4 | lo);
            }
            if (!ok) {
                gnv__free(t.val);
                return gnv__error_set(GNV_EINVAL, GNV_SUB_EXPR,
                                      "invalid binary string at character %d (X'...' needs pairs "
                                      "of hexadecimal digits)",
                                      (int)t.cpos + 1);
            }
            t.vlen = nb;
            t.val[nb] = '\0';
        } else if (c == '"' || c == '`') {
            t.kind = TK_QIDENT;
            GNV_TRY(lex_quoted(lx, &t, (char)c, false, "quoted identifier"));
            if (t.vlen == 0) {
                gnv__free(t.val);
                return gnv__error_set(GNV_EINVAL, GNV_SUB_EXPR,
                                      "empty quoted identifier at character %d", (int)t.cpos + 1);
            }
        } else if (is_ident_start(c)) {
            size_t p = lx->pos;
            while (is_ident_char((unsigned char)lx->text[p]))
                p++;
            t.kind = TK_IDENT;
            t.val = gnv__strndup(lx->text + lx->pos, p - lx->pos);
            if (!t.val)
                return gnv__error_oom();
            t.vlen = p - lx->pos;
            for (size_t i = 0; i < t.vlen; i++)
                t.val[i] = (char)tolower((unsigned char)t.val[i]);
            lex_advance(lx, p - lx->pos);
        } else {
            t.kind = TK_SYM;
            for (size_t i = 0; i < GNV_ARRAY_SIZE(syms2); i++)
                if (strncmp(lx->text + lx->pos, syms2[i], 2) == 0) {
                    memcpy(t.sym, syms2[i], 2);
                    break;
                }
            if (!t.sym[0]) {
                if (!strchr("()+-*/%=<>,.[]", (int)c)) {
                    /* show the whole (possibly multi-byte) character */
                    size_t clen = 1;
                    while (clen < 4 && ((unsigned char)lx->text[lx->pos + clen] & 0xC0) == 0x80)
                        clen++;
                    return gnv__error_set(GNV_EINVAL, GNV_SUB_EXPR,
                                          "unexpected character '%.*s' at character %d", (int)clen,
                                          lx->text + lx->pos, (int)t.cpos + 1);
                }
                t.sym[0] = (char)c;
            }
            lex_advance(lx, strlen(t.sym));
        }
        t.len = lx->pos - start;
        GNV_TRY(lex_push(lx, &t));
    }
}

/* ---- the parser --------------------------------------------------------- */

#define MAX_DEPTH 256

typedef struct parser {
    const char *text;
    token *toks;
    size_t n, i;
    int depth;
    gnv_expr *e;
} parser;

static token *cur(parser *p)
{
    return &p->toks[p->i];
}

static token *peek(parser *p, size_t k)
{
    size_t j = p->i + k;
    return j < p->n ? &p->toks[j] : &p->toks[p->n - 1];
}

static bool is_sym(const token *t, const char *s)
{
    return t->kind == TK_SYM && strcmp(t->sym, s) == 0;
}

/* An unquoted keyword (case-insensitive). */
static bool is_kw(const token *t, const char *kw)
{
    return t->kind == TK_IDENT && strcmp(t->val, kw) == 0;
}

/* "expected X at character N, found 'Y'" for the current token. */
static int expected(parser *p, const char *what)
{
    token *t = cur(p);
    if (t->kind == TK_EOF)
        return gnv__error_set(GNV_EINVAL, GNV_SUB_EXPR,
                              "expected %s at character %d, found end of expression", what,
                              (int)t->cpos + 1);
    size_t len = t->len;
    const char *more = "";
    if (len > 24) {
        len = 24;
        while (len > 0 && ((unsigned char)t->at[len] & 0xC0) == 0x80)
            len--;
        more = "...";
    }
    return gnv__error_set(GNV_EINVAL, GNV_SUB_EXPR, "expected %s at character %d, found '%.*s%s'",
                          what, (int)t->cpos + 1, (int)len, t->at, more);
}

static int expect_sym(parser *p, const char *s)
{
    if (!is_sym(cur(p), s)) {
        char what[8];
        snprintf(what, sizeof what, "'%s'", s);
        return expected(p, what);
    }
    p->i++;
    return GNV_OK;
}

static int expect_kw(parser *p, const char *kw, const char *shown)
{
    if (!is_kw(cur(p), kw))
        return expected(p, shown);
    p->i++;
    return GNV_OK;
}

static gnv_expr_node *node_new(gnv_expr_op op, int32_t pos)
{
    gnv_expr_node *n = gnv__calloc(1, sizeof *n);
    if (n) {
        n->op = op;
        n->pos = pos;
    }
    return n;
}

/* Append arg to n->args; n owns arg afterwards even on failure (then it is freed). */
static int add_arg(gnv_expr_node *n, gnv_expr_node *arg)
{
    gnv_expr_node **a = gnv__reallocarray(n->args, (size_t)n->n_args + 1, sizeof *a);
    if (!a) {
        gnv__expr_node_free(arg);
        return gnv__error_oom();
    }
    n->args = a;
    n->args[n->n_args++] = arg;
    return GNV_OK;
}

static int check_height(int h, int32_t pos)
{
    if (h > MAX_DEPTH)
        return gnv__error_set(GNV_EINVAL, GNV_SUB_EXPR,
                              "expression nests too deeply (more than %d levels) at character %d",
                              MAX_DEPTH, (int)pos + 1);
    return GNV_OK;
}

static int parse_expr(parser *p, int min_prec, gnv_expr_node **out, int *h);

/* Parse one operand (operators binding tighter than prec) into n's args, raising *h
 * to cover its height. */
static int parse_arg(parser *p, int prec, gnv_expr_node *n, int *h)
{
    gnv_expr_node *a = NULL;
    int ah = 0;
    GNV_TRY(parse_expr(p, prec, &a, &ah));
    GNV_TRY(add_arg(n, a));
    *h = GNV_MAX(*h, ah + 1);
    return GNV_OK;
}

/* Record a top-level column name as read. */
static int note_column(parser *p, const char *name)
{
    gnv_expr *e = p->e;
    for (int64_t i = 0; i < e->n_columns; i++)
        if (strcmp(e->columns[i], name) == 0)
            return GNV_OK;
    const char **c = gnv__reallocarray((void *)e->columns, (size_t)e->n_columns + 1, sizeof *c);
    if (!c)
        return gnv__error_oom();
    e->columns = c;
    char *s = gnv__strdup(name);
    if (!s)
        return gnv__error_oom();
    e->columns[e->n_columns++] = s;
    return GNV_OK;
}

static int lit_string(gnv_expr_node **out, const char *s, size_t n, int32_t pos)
{
    gnv_expr_node *nd = node_new(GNV_EX_LITERAL, pos);
    if (!nd)
        return gnv__error_oom();
    nd->lit.kind = GNV_LIT_STRING;
    nd->lit.s = gnv__malloc(n + 1);
    if (!nd->lit.s) {
        gnv__free(nd);
        return gnv__error_oom();
    }
    memcpy(nd->lit.s, s, n);
    nd->lit.s[n] = '\0';
    nd->lit.n = n;
    *out = nd;
    return GNV_OK;
}

static int parse_number(parser *p, gnv_expr_node **out)
{
    token *t = cur(p);
    char buf[512];
    if (t->len >= sizeof buf)
        return gnv__error_set(GNV_EINVAL, GNV_SUB_EXPR, "number too long at character %d",
                              (int)t->cpos + 1);
    memcpy(buf, t->at, t->len);
    buf[t->len] = '\0';
    gnv_expr_node *n = node_new(GNV_EX_LITERAL, t->cpos);
    if (!n)
        return gnv__error_oom();
    bool done = false;
    if (t->kind == TK_INT) {
        errno = 0;
        unsigned long long u = strtoull(buf, NULL, 10);
        if (errno == 0) {
            if (u <= (unsigned long long)INT64_MAX) {
                n->lit.kind = GNV_LIT_INT;
                n->lit.i = (int64_t)u;
            } else {
                n->lit.kind = GNV_LIT_UINT;
                n->lit.u = (uint64_t)u;
            }
            done = true;
        }
    }
    if (!done) {
        /* fractions, exponents and integers too large for 64 bits are float64 */
        n->lit.kind = GNV_LIT_DOUBLE;
        n->lit.d = strtod(buf, NULL);
        if (!isfinite(n->lit.d)) {
            gnv__free(n);
            return gnv__error_set(GNV_EINVAL, GNV_SUB_EXPR, "number out of range at character %d",
                                  (int)t->cpos + 1);
        }
    }
    p->i++;
    *out = n;
    return GNV_OK;
}

/* DATE '...' or TIMESTAMP '...' (the keyword is current, the string next). */
static int parse_typed_literal(parser *p, bool is_date, gnv_expr_node **out)
{
    token *kw = cur(p);
    token *s = peek(p, 1);
    gnv_expr_node *n = node_new(GNV_EX_LITERAL, kw->cpos);
    if (!n)
        return gnv__error_oom();
    bool ok;
    if (is_date) {
        int32_t d = 0;
        ok = gnv__parse_date32(s->val, s->vlen, &d);
        if (!ok) {
            /* also Y-M-D with one-digit months and days, as LanceDB reads '2024-1-1' */
            unsigned y = 0, m = 0, dd = 0;
            int used = 0;
            char norm[16];
            if (s->vlen < 12 && s->val[0] >= '0' && s->val[0] <= '9' &&
                sscanf(s->val, "%4u-%2u-%2u%n", &y, &m, &dd, &used) == 3 &&
                (size_t)used == s->vlen) {
                snprintf(norm, sizeof norm, "%04u-%02u-%02u", y, m, dd);
                ok = gnv__parse_date32(norm, strlen(norm), &d);
            }
        }
        n->lit.kind = GNV_LIT_DATE;
        n->lit.i = d;
    } else {
        bool tz = false;
        ok = gnv__parse_timestamp(s->val, s->vlen, GNV_UNIT_MICRO, true, &n->lit.i, &tz);
        n->lit.kind = GNV_LIT_TIMESTAMP;
    }
    if (!ok) {
        gnv__free(n);
        return gnv__error_set(GNV_EINVAL, GNV_SUB_EXPR,
                              "invalid %s literal '%.60s' at character %d (expected %s)",
                              is_date ? "DATE" : "TIMESTAMP", s->val, (int)s->cpos + 1,
                              is_date ? "YYYY-MM-DD" : "YYYY-MM-DD[ HH:MM:SS[.ffffff]][Z|+HH:MM]");
    }
    p->i += 2;
    *out = n;
    return GNV_OK;
}

/* DECIMAL(p, s) (also NUMERIC, DEC): decimal128 with precision 1..38 and scale 0..p.
 * As in LanceDB, the precision and the scale must both be given. */
static int parse_decimal_type(parser *p, struct ArrowSchema *out)
{
    token *t = cur(p);
    int32_t pos = (int32_t)t->cpos + 1;
    long v[2] = {0, 0};
    p->i++;
    if (!is_sym(cur(p), "("))
        return gnv__error_set(GNV_EINVAL, GNV_SUB_EXPR,
                              "DECIMAL at character %d needs a precision and a scale: "
                              "DECIMAL(p, s)",
                              (int)pos);
    p->i++;
    for (int k = 0; k < 2; k++) {
        token *num = cur(p);
        if (k == 1 && is_sym(num, "-"))
            return gnv__error_set(GNV_EINVAL, GNV_SUB_EXPR,
                                  "DECIMAL at character %d: a negative scale is not supported",
                                  (int)pos);
        if (num->kind != TK_INT)
            return k == 1 && is_sym(num, ")")
                       ? gnv__error_set(GNV_EINVAL, GNV_SUB_EXPR,
                                        "DECIMAL at character %d needs a precision and a scale: "
                                        "DECIMAL(p, s)",
                                        (int)pos)
                       : expected(p, "a number");
        v[k] = num->len <= 3 ? strtol(num->at, NULL, 10) : 1000;
        p->i++;
        if (k == 0 && is_sym(cur(p), ")"))
            return gnv__error_set(GNV_EINVAL, GNV_SUB_EXPR,
                                  "DECIMAL at character %d needs a precision and a scale: "
                                  "DECIMAL(p, s)",
                                  (int)pos);
        if (k == 0)
            GNV_TRY(expect_sym(p, ","));
    }
    GNV_TRY(expect_sym(p, ")"));
    if (v[0] < 1 || v[0] > GNV_DECIMAL128_MAX_PRECISION)
        return gnv__error_set(GNV_EINVAL, GNV_SUB_EXPR,
                              "DECIMAL at character %d: precision %ld is not between 1 and 38",
                              (int)pos, v[0]);
    if (v[1] > v[0])
        return gnv__error_set(GNV_EINVAL, GNV_SUB_EXPR,
                              "DECIMAL at character %d: scale %ld is larger than the precision "
                              "%ld",
                              (int)pos, v[1], v[0]);
    char fmt[32];
    snprintf(fmt, sizeof fmt, "d:%ld,%ld", v[0], v[1]);
    return gnv__schema_init(out, fmt, "", ARROW_FLAG_NULLABLE);
}

/* A SQL type name, as after CAST(x AS ...) or x::... Fills `out` (owned). */
static int parse_type(parser *p, struct ArrowSchema *out)
{
    token *t = cur(p);
    if (t->kind != TK_IDENT)
        return expected(p, "a type name");
    static const struct {
        const char *name;
        const char *fmt;
        const char *unsigned_fmt;
    } types[] = {
        {"boolean", "b", NULL}, {"bool", "b", NULL},      {"tinyint", "c", "C"},
        {"smallint", "s", "S"}, {"int", "i", "I"},        {"integer", "i", "I"},
        {"int2", "s", NULL},    {"int4", "i", NULL},      {"int8", "l", NULL},
        {"bigint", "l", "L"},   {"real", "f", NULL},      {"float", "f", NULL},
        {"float4", "f", NULL},  {"float8", "g", NULL},    {"double", "g", NULL},
        {"varchar", "u", NULL}, {"char", "u", NULL},      {"string", "u", NULL},
        {"text", "u", NULL},    {"date", "tdD", NULL},    {"timestamp", "tsu:", NULL},
        {"bytea", "z", NULL},   {"binary", "z", NULL},    {"varbinary", "z", NULL},
        {"blob", "z", NULL},    {"character", "u", NULL}, {"datetime", "tsu:", NULL},
    };
    const char *fmt = NULL;
    for (size_t i = 0; i < GNV_ARRAY_SIZE(types); i++) {
        if (strcmp(t->val, types[i].name) != 0)
            continue;
        fmt = types[i].fmt;
        p->i++;
        if (strcmp(t->val, "double") == 0 && is_kw(cur(p), "precision"))
            p->i++;
        else if ((strcmp(t->val, "character") == 0 || strcmp(t->val, "char") == 0) &&
                 is_kw(cur(p), "varying"))
            p->i++;
        else if (types[i].unsigned_fmt && is_kw(cur(p), "unsigned")) {
            fmt = types[i].unsigned_fmt;
            p->i++;
        }
        break;
    }
    if (!fmt && (strcmp(t->val, "decimal") == 0 || strcmp(t->val, "numeric") == 0 ||
                 strcmp(t->val, "dec") == 0))
        return parse_decimal_type(p, out);
    if (!fmt) {
        if (strcmp(t->val, "interval") == 0 || strcmp(t->val, "time") == 0)
            return gnv__error_set(GNV_EINVAL, GNV_SUB_EXPR,
                                  "type %s at character %d is not supported", t->val,
                                  (int)t->cpos + 1);
        return gnv__error_set(GNV_EINVAL, GNV_SUB_EXPR, "unknown type '%s' at character %d", t->val,
                              (int)t->cpos + 1);
    }
    /* an optional length, as in VARCHAR(20) (ignored), or the precision of a timestamp:
     * TIMESTAMP(0 | 3 | 6 | 9) for seconds, milli-, micro- or nanoseconds */
    if (is_sym(cur(p), "(")) {
        p->i++;
        token *num = cur(p);
        if (num->kind != TK_INT)
            return expected(p, "a number");
        if (strcmp(fmt, "tsu:") == 0) {
            static const char *const units[] = {"tss:", NULL,   NULL, "tsm:", NULL,
                                                NULL,   "tsu:", NULL, NULL,   "tsn:"};
            int prec = num->len == 1 ? num->at[0] - '0' : -1;
            if (prec < 0 || !units[prec])
                return gnv__error_set(GNV_EINVAL, GNV_SUB_EXPR,
                                      "timestamp precision at character %d must be 0, 3, 6 or 9",
                                      (int)num->cpos + 1);
            fmt = units[prec];
        }
        p->i++;
        GNV_TRY(expect_sym(p, ")"));
    }
    return gnv__schema_init(out, fmt, "", ARROW_FLAG_NULLABLE);
}

static size_t levenshtein(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 64 || lb > 64)
        return 100;
    size_t row[65];
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j];
            size_t best = diag + (a[i - 1] != b[j - 1]);
            if (row[j] + 1 < best)
                best = row[j] + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[lb];
}

size_t gnv__expr_edit_distance(const char *a, const char *b)
{
    return levenshtein(a, b);
}

static int unknown_function(const token *t)
{
    const char *best = NULL;
    size_t best_d = 100;
    for (size_t i = 0; i < GNV_ARRAY_SIZE(funcs); i++) {
        size_t d = levenshtein(t->val, funcs[i].name);
        if (d < best_d) {
            best_d = d;
            best = funcs[i].name;
        }
    }
    size_t len = strlen(t->val);
    if (best && best_d <= (len < 6 ? 1 : 2))
        return gnv__error_set(GNV_EINVAL, GNV_SUB_EXPR,
                              "unknown function '%s' (did you mean '%s'?) at character %d", t->val,
                              best, (int)t->cpos + 1);
    return gnv__error_set(GNV_EINVAL, GNV_SUB_EXPR, "unknown function '%s' at character %d", t->val,
                          (int)t->cpos + 1);
}

/* Arguments of a call after '(' up to and including ')'; appended to n. */
static int parse_args(parser *p, gnv_expr_node *n, int *h)
{
    if (is_sym(cur(p), ")")) {
        p->i++;
        return GNV_OK;
    }
    for (;;) {
        gnv_expr_node *a = NULL;
        int ah = 0;
        GNV_TRY(parse_expr(p, 0, &a, &ah));
        GNV_TRY(add_arg(n, a));
        if (ah + 1 > *h)
            *h = ah + 1;
        if (is_sym(cur(p), ",")) {
            p->i++;
            continue;
        }
        return expect_sym(p, ")");
    }
}

/*
 * arrow_cast(x, 'Int8') (a CAST to the Arrow type named as DataFusion prints it) and
 * get_field(col, 'name') (the field `name` of a struct column, as col['name']); the
 * name is current, '(' next.
 */
static int parse_arrow_cast_or_field(parser *p, bool field, gnv_expr_node **out, int *h)
{
    static const struct {
        const char *name, *fmt;
    } arrow_types[] = {
        {"Boolean", "b"},
        {"Int8", "c"},
        {"Int16", "s"},
        {"Int32", "i"},
        {"Int64", "l"},
        {"UInt8", "C"},
        {"UInt16", "S"},
        {"UInt32", "I"},
        {"UInt64", "L"},
        {"Float16", "e"},
        {"Float32", "f"},
        {"Float64", "g"},
        {"Utf8", "u"},
        {"LargeUtf8", "U"},
        {"Binary", "z"},
        {"LargeBinary", "Z"},
        {"Date32", "tdD"},
        {"Null", "n"},
        {"Timestamp(Second, None)", "tss:"},
        {"Timestamp(Millisecond, None)", "tsm:"},
        {"Timestamp(Microsecond, None)", "tsu:"},
        {"Timestamp(Nanosecond, None)", "tsn:"},
    };
    int rc = GNV_OK;
    token *kw = cur(p);
    gnv_expr_node *n = NULL, *a = NULL;
    int ah = 0;
    p->i += 2;
    GNV_TRYG(parse_expr(p, 0, &a, &ah));
    GNV_TRYG(expect_sym(p, ","));
    token *t = cur(p);
    if (t->kind != TK_STR) {
        rc = expected(p, field ? "a field name string" : "an Arrow type name string");
        goto done;
    }
    if (field) {
        GNV_ERR_IF(a->op != GNV_EX_COLUMN, GNV_EINVAL, GNV_SUB_EXPR,
                   "get_field at character %d needs a (struct) column", (int)kw->cpos + 1);
        GNV_ERR_IF(t->vlen == 0 || memchr(t->val, '\0', t->vlen), GNV_EINVAL, GNV_SUB_EXPR,
                   "bad field name at character %d", (int)t->cpos + 1);
        char **names = gnv__reallocarray(a->names, (size_t)a->n_names + 1, sizeof *names);
        GNV_CHECK_ALLOC(names);
        a->names = names;
        a->names[a->n_names] = gnv__strndup(t->val, t->vlen);
        GNV_CHECK_ALLOC(a->names[a->n_names]);
        a->n_names++;
        p->i++;
        GNV_TRYG(expect_sym(p, ")"));
        *out = a;
        *h = ah;
        return GNV_OK;
    }
    const char *fmt = NULL;
    for (size_t i = 0; i < GNV_ARRAY_SIZE(arrow_types) && !fmt; i++)
        if (strlen(arrow_types[i].name) == t->vlen &&
            memcmp(arrow_types[i].name, t->val, t->vlen) == 0)
            fmt = arrow_types[i].fmt;
    GNV_ERR_IF(!fmt, GNV_EINVAL, GNV_SUB_EXPR,
               "unknown or unsupported Arrow type '%.40s' in arrow_cast at character %d", t->val,
               (int)t->cpos + 1);
    n = node_new(GNV_EX_CAST, kw->cpos);
    GNV_CHECK_ALLOC(n);
    GNV_TRYG(gnv__schema_init(&n->cast_to, fmt, "", ARROW_FLAG_NULLABLE));
    rc = add_arg(n, a);
    a = NULL;
    GNV_TRYG(rc);
    p->i++;
    GNV_TRYG(expect_sym(p, ")"));
    *h = ah + 1;
    *out = n;
    n = NULL;
done:
    gnv__expr_node_free(a);
    gnv__expr_node_free(n);
    return rc;
}

/* An array literal [a, b, ...] ('[' is current): make_array(a, b, ...). */
static int parse_array(parser *p, gnv_expr_node **out, int *h)
{
    int rc = GNV_OK;
    gnv_expr_node *n = node_new(GNV_EX_CALL, cur(p)->cpos);
    GNV_CHECK_ALLOC(n);
    n->func = GNV_FN_MAKE_ARRAY;
    p->i++;
    *h = 1;
    if (is_sym(cur(p), "]")) {
        p->i++;
    } else {
        for (;;) {
            GNV_TRYG(parse_arg(p, 0, n, h));
            if (is_sym(cur(p), ",")) {
                p->i++;
                continue;
            }
            GNV_TRYG(expect_sym(p, "]"));
            break;
        }
    }
    GNV_TRYG(check_height(*h, n->pos));
    *out = n;
    n = NULL;
done:
    gnv__expr_node_free(n);
    return rc;
}

/* Whether a FROM keyword follows within the current parentheses (TRIM('x' FROM s)). */
static bool has_from(parser *p)
{
    int depth = 0;
    for (size_t j = p->i; j < p->n; j++) {
        token *t = &p->toks[j];
        if (is_sym(t, "("))
            depth++;
        else if (is_sym(t, ")")) {
            if (depth-- == 0)
                return false;
        } else if (depth == 0 && (is_kw(t, "from") || is_sym(t, ",")))
            return is_kw(t, "from");
        else if (t->kind == TK_EOF)
            return false;
    }
    return false;
}

/* The name token is current, '(' next. */
static int parse_call(parser *p, gnv_expr_node **out, int *h)
{
    int rc = GNV_OK;
    token *name = cur(p);
    const struct func_def *def = NULL;
    gnv_expr_node *n = NULL;
    for (size_t i = 0; i < GNV_ARRAY_SIZE(funcs); i++)
        if (strcmp(name->val, funcs[i].name) == 0)
            def = &funcs[i];
    if (!def)
        return unknown_function(name);
    n = node_new(GNV_EX_CALL, name->cpos);
    GNV_CHECK_ALLOC(n);
    n->func = def->func;
    p->i += 2;
    *h = 1;
    if (def->func == GNV_FN_SUBSTR) {
        /* SUBSTRING(x FROM a [FOR b]) as well as SUBSTR(x, a[, b]) */
        gnv_expr_node *a = NULL;
        int ah = 0;
        GNV_TRYG(parse_expr(p, 0, &a, &ah));
        GNV_TRYG(add_arg(n, a));
        *h = ah + 1;
        if (is_kw(cur(p), "from")) {
            p->i++;
            GNV_TRYG(parse_arg(p, 0, n, h));
            if (is_kw(cur(p), "for")) {
                p->i++;
                GNV_TRYG(parse_arg(p, 0, n, h));
            }
            GNV_TRYG(expect_sym(p, ")"));
        } else if (is_sym(cur(p), ",")) {
            p->i++;
            GNV_TRYG(parse_args(p, n, h));
        } else {
            GNV_TRYG(expect_sym(p, ")"));
        }
    } else if (def->func == GNV_FN_TRIM && strcmp(name->val, "trim") == 0 &&
               (is_kw(cur(p), "both") || is_kw(cur(p), "leading") || is_kw(cur(p), "trailing") ||
                is_kw(cur(p), "from") || has_from(p))) {
        /* TRIM([BOTH | LEADING | TRAILING] [characters] FROM s) */
        if (is_kw(cur(p), "leading"))
            n->func = GNV_FN_LTRIM;
        else if (is_kw(cur(p), "trailing"))
            n->func = GNV_FN_RTRIM;
        if (is_kw(cur(p), "both") || is_kw(cur(p), "leading") || is_kw(cur(p), "trailing"))
            p->i++;
        gnv_expr_node *chars = NULL, *a = NULL;
        int ah = 0;
        if (!is_kw(cur(p), "from")) {
            GNV_TRYG(parse_expr(p, 0, &chars, &ah));
            *h = ah + 1;
        }
        rc = expect_kw(p, "from", "FROM");
        if (rc == GNV_OK)
            rc = parse_expr(p, 0, &a, &ah);
        if (rc == GNV_OK) {
            *h = GNV_MAX(*h, ah + 1);
            rc = add_arg(n, a);
        }
        if (rc == GNV_OK && chars) {
            rc = add_arg(n, chars);
            chars = NULL;
        }
        gnv__expr_node_free(chars);
        GNV_TRYG(rc);
        GNV_TRYG(expect_sym(p, ")"));
    } else {
        GNV_TRYG(parse_args(p, n, h));
    }
    if (n->n_args < def->min_args || (def->max_args >= 0 && n->n_args > def->max_args)) {
        char want[48];
        if (def->max_args < 0)
            snprintf(want, sizeof want, "at least %d argument%s", def->min_args,
                     def->min_args == 1 ? "" : "s");
        else if (def->min_args == def->max_args)
            snprintf(want, sizeof want, "%d argument%s", def->min_args,
                     def->min_args == 1 ? "" : "s");
        else
            snprintf(want, sizeof want, "%d to %d arguments", def->min_args, def->max_args);
        GNV_ERR_IF(true, GNV_EINVAL, GNV_SUB_EXPR, "function '%s' at character %d takes %s, got %d",
                   name->val, (int)name->cpos + 1, want, (int)n->n_args);
    }
    *out = n;
    n = NULL;
done:
    gnv__expr_node_free(n);
    return rc;
}

/* EXTRACT(field FROM x): current token is EXTRACT, '(' next. */
static int parse_extract(parser *p, gnv_expr_node **out, int *h)
{
    int rc = GNV_OK;
    token *kw = cur(p);
    gnv_expr_node *n = node_new(GNV_EX_CALL, kw->cpos), *a = NULL;
    GNV_CHECK_ALLOC(n);
    n->func = GNV_FN_DATE_PART;
    p->i += 2;
    token *f = cur(p);
    if (f->kind != TK_IDENT && f->kind != TK_QIDENT && f->kind != TK_STR) {
        rc = expected(p, "a date part such as YEAR");
        goto done;
    }
    GNV_TRYG(lit_string(&a, f->val, f->vlen, f->cpos));
    for (size_t i = 0; i < a->lit.n; i++)
        a->lit.s[i] = (char)tolower((unsigned char)a->lit.s[i]);
    GNV_TRYG(add_arg(n, a));
    p->i++;
    GNV_TRYG(expect_kw(p, "from", "FROM"));
    int ah = 0;
    GNV_TRYG(parse_expr(p, 0, &a, &ah));
    GNV_TRYG(add_arg(n, a));
    GNV_TRYG(expect_sym(p, ")"));
    *h = ah + 1;
    *out = n;
    n = NULL;
done:
    gnv__expr_node_free(n);
    return rc;
}

/* CASE [operand] WHEN w THEN t ... [ELSE e] END (CASE is current). */
static int parse_case(parser *p, gnv_expr_node **out, int *h)
{
    int rc = GNV_OK;
    token *kw = cur(p);
    gnv_expr_node *n = node_new(GNV_EX_CASE, kw->cpos), *a = NULL;
    int ah = 0;
    GNV_CHECK_ALLOC(n);
    p->i++;
    *h = 1;
    if (!is_kw(cur(p), "when")) {
        GNV_TRYG(parse_expr(p, 0, &a, &ah));
        *h = GNV_MAX(*h, ah + 1);
    }
    GNV_TRYG(add_arg(n, a));
    a = NULL;
    if (!is_kw(cur(p), "when")) {
        rc = expected(p, "WHEN");
        goto done;
    }
    while (is_kw(cur(p), "when")) {
        p->i++;
        GNV_TRYG(parse_arg(p, 0, n, h));
        GNV_TRYG(expect_kw(p, "then", "THEN"));
        GNV_TRYG(parse_arg(p, 0, n, h));
    }
    a = NULL;
    if (is_kw(cur(p), "else")) {
        p->i++;
        GNV_TRYG(parse_expr(p, 0, &a, &ah));
        *h = GNV_MAX(*h, ah + 1);
    }
    GNV_TRYG(add_arg(n, a));
    GNV_TRYG(expect_kw(p, "end", "END"));
    *out = n;
    n = NULL;
done:
    gnv__expr_node_free(n);
    return rc;
}

/* CAST(x AS type) / TRY_CAST(x AS type): the keyword is current, '(' next. */
static int parse_cast(parser *p, bool try_cast, gnv_expr_node **out, int *h)
{
    int rc = GNV_OK;
    token *kw = cur(p);
    gnv_expr_node *n = node_new(GNV_EX_CAST, kw->cpos), *a = NULL;
    int ah = 0;
    GNV_CHECK_ALLOC(n);
    n->try_cast = try_cast;
    p->i += 2;
    GNV_TRYG(parse_expr(p, 0, &a, &ah));
    GNV_TRYG(add_arg(n, a));
    GNV_TRYG(expect_kw(p, "as", "AS"));
    GNV_TRYG(parse_type(p, &n->cast_to));
    GNV_TRYG(expect_sym(p, ")"));
    *h = ah + 1;
    *out = n;
    n = NULL;
done:
    gnv__expr_node_free(n);
    return rc;
}

/* A column reference: name [. name]... (the first name is current). */
static int parse_column(parser *p, gnv_expr_node **out)
{
    int rc = GNV_OK;
    token *t = cur(p);
    gnv_expr_node *n = node_new(GNV_EX_COLUMN, t->cpos);
    GNV_CHECK_ALLOC(n);
    for (;;) {
        t = cur(p);
        if (t->kind != TK_IDENT && t->kind != TK_QIDENT) {
            rc = expected(p, "a field name");
            goto done;
        }
        char **names = gnv__reallocarray(n->names, (size_t)n->n_names + 1, sizeof *names);
        GNV_CHECK_ALLOC(names);
        n->names = names;
        n->names[n->n_names] = gnv__strdup(t->val);
        GNV_CHECK_ALLOC(n->names[n->n_names]);
        n->n_names++;
        p->i++;
        /* a['b'] is a.b (DataFusion's field access) */
        while (is_sym(cur(p), "[") && peek(p, 1)->kind == TK_STR && is_sym(peek(p, 2), "]")) {
            t = peek(p, 1);
            GNV_ERR_IF(t->vlen == 0 || memchr(t->val, '\0', t->vlen), GNV_EINVAL, GNV_SUB_EXPR,
                       "bad field name at character %d", (int)t->cpos + 1);
            names = gnv__reallocarray(n->names, (size_t)n->n_names + 1, sizeof *names);
            GNV_CHECK_ALLOC(names);
            n->names = names;
            n->names[n->n_names] = gnv__strndup(t->val, t->vlen);
            GNV_CHECK_ALLOC(n->names[n->n_names]);
            n->n_names++;
            p->i += 3;
        }
        if (!is_sym(cur(p), "."))
            break;
        p->i++;
    }
    GNV_TRYG(note_column(p, n->names[0]));
    *out = n;
    n = NULL;
done:
    gnv__expr_node_free(n);
    return rc;
}

static bool is_reserved(const token *t)
{
    static const char *const kws[] = {"and",   "or",      "not",  "is",   "in",   "like",
                                      "ilike", "between", "case", "when", "then", "else",
                                      "end",   "escape",  "from", "as"};
    if (t->kind != TK_IDENT)
        return false;
    for (size_t i = 0; i < GNV_ARRAY_SIZE(kws); i++)
        if (strcmp(t->val, kws[i]) == 0)
            return true;
    return false;
}

static int parse_prefix(parser *p, gnv_expr_node **out, int *h)
{
    int rc = GNV_OK;
    token *t = cur(p);
    gnv_expr_node *n = NULL, *a = NULL;
    *h = 1;
    if (t->kind == TK_INT || t->kind == TK_NUM)
        return parse_number(p, out);
    if (t->kind == TK_BLOB) {
        GNV_TRY(lit_string(out, t->val, t->vlen, t->cpos));
        (*out)->lit.b = true; /* binary */
        p->i++;
        return GNV_OK;
    }
    if (t->kind == TK_STR) {
        GNV_TRY(lit_string(out, t->val, t->vlen, t->cpos));
        p->i++;
        return GNV_OK;
    }
    if (is_sym(t, "(")) {
        p->i++;
        GNV_TRY(parse_expr(p, 0, out, h));
        rc = expect_sym(p, ")");
        if (rc < 0) {
            gnv__expr_node_free(*out);
            *out = NULL;
        }
        return rc;
    }
    if (is_sym(t, "+"))
        return gnv__error_set(GNV_EINVAL, GNV_SUB_EXPR,
                              "unary '+' at character %d is not supported (as in LanceDB)",
                              (int)t->cpos + 1);
    if (is_sym(t, "-")) {
        p->i++;
        int ah = 0;
        /* binds tighter than * / % and looser than :: */
        GNV_TRY(parse_expr(p, 45, &a, &ah));
        if (a->op == GNV_EX_LITERAL) {
            /* fold the sign into a number */
            gnv_lit *l = &a->lit;
            bool folded = true;
            if (l->kind == GNV_LIT_INT && l->i != INT64_MIN)
                l->i = -l->i;
            else if (l->kind == GNV_LIT_UINT && l->u == (uint64_t)INT64_MAX + 1) {
                l->kind = GNV_LIT_INT;
                l->i = INT64_MIN;
            } else if (l->kind == GNV_LIT_UINT) {
                l->kind = GNV_LIT_DOUBLE;
                l->d = -(double)l->u;
            } else if (l->kind == GNV_LIT_DOUBLE)
                l->d = -l->d;
            else
                folded = false;
            if (folded) {
                a->pos = t->cpos;
                *out = a;
                *h = ah;
                return GNV_OK;
            }
        }
        n = node_new(GNV_EX_NEG, t->cpos);
        if (!n) {
            gnv__expr_node_free(a);
            return gnv__error_oom();
        }
        if (add_arg(n, a) < 0) {
            gnv__free(n);
            return GNV_ENOMEM;
        }
        *h = ah + 1;
        *out = n;
        return check_height(*h, t->cpos);
    }
    if (t->kind == TK_SYM) {
        if (is_sym(t, "["))
            return parse_array(p, out, h);
        return expected(p, "an expression");
    }
    if (t->kind == TK_EOF)
        return expected(p, "an expression");
    if (t->kind == TK_IDENT) {
        token *nx = peek(p, 1);
        if (strcmp(t->val, "not") == 0) {
            int ah = 0;
            p->i++;
            GNV_TRY(parse_expr(p, 15, &a, &ah));
            n = node_new(GNV_EX_NOT, t->cpos);
            if (!n) {
                gnv__expr_node_free(a);
                return gnv__error_oom();
            }
            if (add_arg(n, a) < 0) {
                gnv__free(n);
                return GNV_ENOMEM;
            }
            *h = ah + 1;
            *out = n;
            return check_height(*h, t->cpos);
        }
        if (strcmp(t->val, "null") == 0 || strcmp(t->val, "true") == 0 ||
            strcmp(t->val, "false") == 0) {
            n = node_new(GNV_EX_LITERAL, t->cpos);
            if (!n)
                return gnv__error_oom();
            n->lit.kind = t->val[0] == 'n' ? GNV_LIT_NULL : GNV_LIT_BOOL;
            n->lit.b = t->val[0] == 't';
            p->i++;
            *out = n;
            return GNV_OK;
        }
        if (strcmp(t->val, "case") == 0)
            return parse_case(p, out, h);
        if ((strcmp(t->val, "current_date") == 0 || strcmp(t->val, "current_timestamp") == 0) &&
            !is_sym(nx, "(") && !is_sym(nx, ".")) {
            /* the SQL keywords (no parentheses): now() and current_date() */
            n = node_new(GNV_EX_CALL, t->cpos);
            if (!n)
                return gnv__error_oom();
            n->func = t->val[8] == 'd' ? GNV_FN_CURRENT_DATE : GNV_FN_NOW;
            p->i++;
            *out = n;
            return GNV_OK;
        }
        if ((strcmp(t->val, "date") == 0 || strcmp(t->val, "timestamp") == 0) && nx->kind == TK_STR)
            return parse_typed_literal(p, t->val[0] == 'd', out);
        if (strcmp(t->val, "interval") == 0 && nx->kind == TK_STR)
            return gnv__error_set(GNV_EINVAL, GNV_SUB_EXPR,
                                  "INTERVAL at character %d is not supported", (int)t->cpos + 1);
        if (is_sym(nx, "(")) {
            if (strcmp(t->val, "cast") == 0 || strcmp(t->val, "try_cast") == 0)
                return parse_cast(p, t->val[0] == 't', out, h);
            if (strcmp(t->val, "extract") == 0)
                return parse_extract(p, out, h);
            if (strcmp(t->val, "arrow_cast") == 0 || strcmp(t->val, "get_field") == 0)
                return parse_arrow_cast_or_field(p, t->val[0] == 'g', out, h);
            if (strcmp(t->val, "exists") == 0 || strcmp(t->val, "select") == 0)
                return gnv__error_set(GNV_EINVAL, GNV_SUB_EXPR,
                                      "subqueries (at character %d) are not supported",
                                      (int)t->cpos + 1);
            return parse_call(p, out, h);
        }
        if (is_reserved(t))
            return expected(p, "an expression");
    } else if (t->kind == TK_QIDENT && is_sym(peek(p, 1), "(")) {
        return parse_call(p, out, h);
    }
    return parse_column(p, out);
}

/* Infix operators: their precedence, or 0 when the current token is none. */
static int infix_prec(parser *p)
{
    token *t = cur(p);
    if (t->kind == TK_SYM) {
        static const struct {
            const char *s;
            int prec;
        } ops[] = {{"=", 20}, {"==", 20}, {"!=", 20}, {"<>", 20}, {"<", 20},  {"<=", 20},
                   {">", 20}, {">=", 20}, {"||", 21}, {"+", 30},  {"-", 30},  {"*", 40},
                   {"/", 40}, {"%", 40},  {"::", 50}, {"<<", 22}, {">>", 22}, {"[", 55}};
        for (size_t i = 0; i < GNV_ARRAY_SIZE(ops); i++)
            if (strcmp(t->sym, ops[i].s) == 0)
                return ops[i].prec;
        return 0;
    }
    if (t->kind != TK_IDENT)
        return 0;
    if (strcmp(t->val, "or") == 0)
        return 5;
    if (strcmp(t->val, "and") == 0)
        return 10;
    if (strcmp(t->val, "is") == 0)
        return 17;
    if (strcmp(t->val, "like") == 0 || strcmp(t->val, "ilike") == 0)
        return 19;
    if (strcmp(t->val, "in") == 0 || strcmp(t->val, "between") == 0)
        return 20;
    if (strcmp(t->val, "not") == 0) {
        token *nx = peek(p, 1);
        if (is_kw(nx, "like") || is_kw(nx, "ilike"))
            return 19;
        if (is_kw(nx, "in") || is_kw(nx, "between"))
            return 20;
    }
    return 0;
}

static gnv_expr_op binop_of(const token *t)
{
    if (t->kind == TK_IDENT)
        return t->val[0] == 'o' ? GNV_EX_OR : GNV_EX_AND;
    static const struct {
        const char *s;
        gnv_expr_op op;
    } ops[] = {{"=", GNV_EX_EQ},         {"==", GNV_EX_EQ}, {"!=", GNV_EX_NE},  {"<>", GNV_EX_NE},
               {"<", GNV_EX_LT},         {"<=", GNV_EX_LE}, {">", GNV_EX_GT},   {">=", GNV_EX_GE},
               {"||", GNV_EX_CONCAT_OP}, {"+", GNV_EX_ADD}, {"-", GNV_EX_SUB},  {"*", GNV_EX_MUL},
               {"/", GNV_EX_DIV},        {"%", GNV_EX_MOD}, {"<<", GNV_EX_SHL}, {">>", GNV_EX_SHR}};
    for (size_t i = 0; i < GNV_ARRAY_SIZE(ops); i++)
        if (strcmp(t->sym, ops[i].s) == 0)
            return ops[i].op;
    return GNV_EX_EQ;
}

/* The infix part after `left` (owned by n once built). */
static int
parse_infix(parser *p, int prec, gnv_expr_node *left, int lh, gnv_expr_node **out, int *h)
{
    int rc = GNV_OK;
    token *t = cur(p);
    gnv_expr_node *n = NULL;
    *h = lh + 1;
    if (is_sym(t, "[")) {
        /* l[i]: array_element(l, i) */
        n = node_new(GNV_EX_CALL, t->cpos);
        GNV_CHECK_ALLOC(n);
        n->func = GNV_FN_ARRAY_ELEMENT;
        rc = add_arg(n, left);
        left = NULL;
        GNV_TRYG(rc);
        p->i++;
        GNV_TRYG(parse_arg(p, 0, n, h));
        GNV_TRYG(expect_sym(p, "]"));
        goto finish;
    }
    if (is_sym(t, "::")) {
        n = node_new(GNV_EX_CAST, t->cpos);
        GNV_CHECK_ALLOC(n);
        rc = add_arg(n, left);
        left = NULL;
        GNV_TRYG(rc);
        p->i++;
        GNV_TRYG(parse_type(p, &n->cast_to));
        goto finish;
    }
    if (is_kw(t, "is")) {
        p->i++;
        bool neg = false;
        if (is_kw(cur(p), "not")) {
            neg = true;
            p->i++;
        }
        gnv_expr_op op;
        if (is_kw(cur(p), "null") || is_kw(cur(p), "unknown"))
            op = GNV_EX_IS_NULL;
        else if (is_kw(cur(p), "true"))
            op = GNV_EX_IS_TRUE;
        else if (is_kw(cur(p), "false"))
            op = GNV_EX_IS_FALSE;
        else if (is_kw(cur(p), "distinct")) {
            rc = gnv__error_set(GNV_EINVAL, GNV_SUB_EXPR,
                                "IS [NOT] DISTINCT FROM at character %d is not supported",
                                (int)t->cpos + 1);
            goto done;
        } else {
            rc = expected(p, "NULL, TRUE or FALSE");
            goto done;
        }
        p->i++;
        n = node_new(op, t->cpos);
        GNV_CHECK_ALLOC(n);
        n->negated = neg;
        rc = add_arg(n, left);
        left = NULL;
        GNV_TRYG(rc);
        goto finish;
    }
    bool neg = false;
    if (is_kw(t, "not")) {
        neg = true;
        p->i++;
        t = cur(p);
    }
    if (is_kw(t, "like") || is_kw(t, "ilike")) {
        n = node_new(GNV_EX_LIKE, t->cpos);
        GNV_CHECK_ALLOC(n);
        n->negated = neg;
        n->case_insensitive = t->val[0] == 'i';
        rc = add_arg(n, left);
        left = NULL;
        GNV_TRYG(rc);
        p->i++;
        GNV_TRYG(parse_arg(p, prec, n, h));
        if (is_kw(cur(p), "escape")) {
            p->i++;
            GNV_TRYG(parse_arg(p, prec, n, h));
        }
        goto finish;
    }
    if (is_kw(t, "between")) {
        n = node_new(GNV_EX_BETWEEN, t->cpos);
        GNV_CHECK_ALLOC(n);
        n->negated = neg;
        rc = add_arg(n, left);
        left = NULL;
        GNV_TRYG(rc);
        p->i++;
        GNV_TRYG(parse_arg(p, prec, n, h));
        GNV_TRYG(expect_kw(p, "and", "AND"));
        GNV_TRYG(parse_arg(p, prec, n, h));
        goto finish;
    }
    if (is_kw(t, "in")) {
        n = node_new(GNV_EX_IN, t->cpos);
        GNV_CHECK_ALLOC(n);
        n->negated = neg;
        rc = add_arg(n, left);
        left = NULL;
        GNV_TRYG(rc);
        p->i++;
        GNV_TRYG(expect_sym(p, "("));
        if (is_kw(cur(p), "select")) {
            rc = gnv__error_set(GNV_EINVAL, GNV_SUB_EXPR,
                                "subqueries (at character %d) are not supported",
                                (int)cur(p)->cpos + 1);
            goto done;
        }
        if (is_sym(cur(p), ")")) {
            rc = expected(p, "a value");
            goto done;
        }
        GNV_TRYG(parse_args(p, n, h));
        goto finish;
    }
    /* a binary operator, left-associative */
    n = node_new(binop_of(t), t->cpos);
    GNV_CHECK_ALLOC(n);
    rc = add_arg(n, left);
    left = NULL;
    GNV_TRYG(rc);
    p->i++;
    GNV_TRYG(parse_arg(p, prec, n, h));
finish:
    GNV_TRYG(check_height(*h, n->pos));
    *out = n;
    n = NULL;
done:
    gnv__expr_node_free(left);
    gnv__expr_node_free(n);
    return rc;
}

/* Parse an expression whose infix operators all bind tighter than min_prec. */
static int parse_expr(parser *p, int min_prec, gnv_expr_node **out, int *h)
{
    int rc = GNV_OK;
    gnv_expr_node *left = NULL;
    int lh = 0;
    *out = NULL;
    if (++p->depth > MAX_DEPTH) {
        rc = gnv__error_set(GNV_EINVAL, GNV_SUB_EXPR,
                            "expression nests too deeply (more than %d levels) at character %d",
                            MAX_DEPTH, (int)cur(p)->cpos + 1);
        goto done;
    }
    GNV_TRYG(parse_prefix(p, &left, &lh));
    for (;;) {
        int prec = infix_prec(p);
        if (prec <= min_prec)
            break;
        gnv_expr_node *n = NULL;
        int nh = 0;
        rc = parse_infix(p, prec, left, lh, &n, &nh);
        left = NULL;
        if (rc < 0)
            goto done;
        left = n;
        lh = nh;
    }
    *out = left;
    *h = lh;
    left = NULL;
done:
    p->depth--;
    gnv__expr_node_free(left);
    return rc;
}

int gnv__expr_parse(gnv_expr **out, const char *text)
{
    int rc = GNV_OK;
    lexer lx = {0};
    gnv_expr *e = NULL;
    *out = NULL;
    GNV_ERR_IF(!text, GNV_EINVAL, GNV_SUB_EXPR, "no expression given");
    int64_t bad = gnv__utf8_invalid_at((const uint8_t *)text, strlen(text));
    GNV_ERR_IF(bad >= 0, GNV_EINVAL, GNV_SUB_EXPR, "expression is not valid UTF-8 (at byte %lld)",
               (long long)bad + 1);
    e = gnv__calloc(1, sizeof *e);
    GNV_CHECK_ALLOC(e);
    e->text = gnv__strdup(text);
    GNV_CHECK_ALLOC(e->text);
    lx.text = text;
    GNV_TRYG(lex_all(&lx));
    parser p = {.text = text, .toks = lx.toks, .n = lx.n, .e = e};
    GNV_ERR_IF(lx.n == 1, GNV_EINVAL, GNV_SUB_EXPR, "empty expression");
    int h = 0;
    GNV_TRYG(parse_expr(&p, 0, &e->root, &h));
    if (cur(&p)->kind != TK_EOF) {
        rc = expected(&p, "an operator or the end of the expression");
        goto done;
    }
    GNV_TRYG(gnv__expr_node_copy(&e->parsed, e->root));
    *out = e;
    e = NULL;
done:
    for (size_t i = 0; i < lx.n; i++)
        gnv__free(lx.toks[i].val);
    gnv__free(lx.toks);
    gnv__expr_free(e);
    return rc;
}

int gnv__expr_columns(const char *const **out, int64_t *n, const gnv_expr *e)
{
    *out = e->columns;
    *n = e->n_columns;
    return GNV_OK;
}

const char *gnv__expr_text(const gnv_expr *e)
{
    return e->text;
}

void gnv__expr_free(gnv_expr *e)
{
    if (!e)
        return;
    gnv__expr_node_free(e->root);
    gnv__expr_node_free(e->parsed);
    for (int64_t i = 0; i < e->n_columns; i++)
        gnv__free((void *)e->columns[i]);
    gnv__free((void *)e->columns);
    gnv__free(e->text);
    gnv__free(e);
}

/* ---- the debug printer -------------------------------------------------- */

/* Civil date of a day count since 1970-01-01 (proleptic Gregorian). */
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

static int print_quoted(gnv_buf *out, const char *s, size_t n, char q)
{
    GNV_TRY(gnv__buf_putc(out, q));
    for (size_t i = 0; i < n; i++) {
        if (s[i] == q)
            GNV_TRY(gnv__buf_putc(out, q));
        GNV_TRY(gnv__buf_putc(out, s[i]));
    }
    return gnv__buf_putc(out, q);
}

static int print_lit(gnv_buf *out, const gnv_lit *l)
{
    switch (l->kind) {
    case GNV_LIT_NULL:
        return gnv__buf_puts(out, "NULL");
    case GNV_LIT_BOOL:
        return gnv__buf_puts(out, l->b ? "TRUE" : "FALSE");
    case GNV_LIT_INT:
        return gnv__buf_printf(out, "%lld", (long long)l->i);
    case GNV_LIT_UINT:
        return gnv__buf_printf(out, "%llu", (unsigned long long)l->u);
    case GNV_LIT_DOUBLE: {
        char b[40];
        snprintf(b, sizeof b, "%.17g", l->d);
        if (!strpbrk(b, ".eEn"))
            strcat(b, ".0");
        return gnv__buf_puts(out, b);
    }
    case GNV_LIT_STRING: {
        if (l->b) {
            GNV_TRY(gnv__buf_puts(out, "X'"));
            for (size_t i = 0; i < l->n; i++)
                GNV_TRY(gnv__buf_printf(out, "%02X", (unsigned char)l->s[i]));
            return gnv__buf_putc(out, '\'');
        }
        bool plain = true;
        for (size_t i = 0; i < l->n; i++)
            if (l->s[i] == '\\' || (unsigned char)l->s[i] < 0x20)
                plain = false;
        if (plain)
            return print_quoted(out, l->s, l->n, '\'');
        GNV_TRY(gnv__buf_puts(out, "E'"));
        for (size_t i = 0; i < l->n; i++) {
            unsigned char c = (unsigned char)l->s[i];
            const char *esc = c == '\n'   ? "\\n"
                              : c == '\t' ? "\\t"
                              : c == '\r' ? "\\r"
                              : c == '\b' ? "\\b"
                              : c == '\f' ? "\\f"
                              : c == 0    ? "\\0"
                              : c == '\\' ? "\\\\"
                              : c == '\'' ? "''"
                                          : NULL;
            if (esc)
                GNV_TRY(gnv__buf_puts(out, esc));
            else
                GNV_TRY(gnv__buf_putc(out, (char)c));
        }
        return gnv__buf_putc(out, '\'');
    }
    case GNV_LIT_DATE: {
        int64_t y;
        unsigned m, d;
        civil_from_days(l->i, &y, &m, &d);
        return gnv__buf_printf(out, "DATE '%04lld-%02u-%02u'", (long long)y, m, d);
    }
    case GNV_LIT_TIMESTAMP: {
        int64_t us = l->i, days = us / 86400000000LL, rem = us % 86400000000LL;
        if (rem < 0) {
            rem += 86400000000LL;
            days--;
        }
        int64_t y;
        unsigned m, d;
        civil_from_days(days, &y, &m, &d);
        int64_t secs = rem / 1000000, frac = rem % 1000000;
        return gnv__buf_printf(out, "TIMESTAMP '%04lld-%02u-%02u %02d:%02d:%02d.%06d'",
                               (long long)y, m, d, (int)(secs / 3600), (int)(secs / 60 % 60),
                               (int)(secs % 60), (int)frac);
    }
    }
    return gnv__buf_puts(out, "?");
}

static bool plain_ident(const char *s)
{
    if (!is_ident_start((unsigned char)s[0]))
        return false;
    for (const char *c = s; *c; c++)
        if (!is_ident_char((unsigned char)*c) || isupper((unsigned char)*c))
            return false;
    static const char *const words[] = {"and",     "or",   "not",  "is",   "in",   "like", "ilike",
                                        "between", "case", "when", "then", "else", "end",  "escape",
                                        "from",    "as",   "null", "true", "false"};
    for (size_t i = 0; i < GNV_ARRAY_SIZE(words); i++)
        if (strcmp(s, words[i]) == 0)
            return false;
    return true;
}

static int print_type(gnv_buf *out, const gnv_expr_node *n, bool types)
{
    if (!types || !n->type.release)
        return GNV_OK;
    GNV_TRY(gnv__buf_puts(out, "::"));
    return gnv__type_to_string(out, &n->type);
}

/* The SQL name of a type CAST can name (so the printed form parses again), else its
 * Arrow name. */
static int print_sql_type(gnv_buf *out, const struct ArrowSchema *t)
{
    static const char *const names[][2] = {
        {"b", "BOOLEAN"},
        {"c", "TINYINT"},
        {"C", "TINYINT UNSIGNED"},
        {"s", "SMALLINT"},
        {"S", "SMALLINT UNSIGNED"},
        {"i", "INT"},
        {"I", "INT UNSIGNED"},
        {"l", "BIGINT"},
        {"L", "BIGINT UNSIGNED"},
        {"f", "REAL"},
        {"g", "DOUBLE"},
        {"u", "VARCHAR"},
        {"tdD", "DATE"},
        {"tsu:", "TIMESTAMP"},
        {"z", "BYTEA"},
        {"tss:", "TIMESTAMP(0)"},
        {"tsm:", "TIMESTAMP(3)"},
        {"tsn:", "TIMESTAMP(9)"},
    };
    if (!t->release)
        return gnv__buf_puts(out, "?");
    gnv_type dt;
    if (strncmp(t->format, "d:", 2) == 0 && gnv__type_parse(&dt, t->format) == GNV_OK)
        return gnv__buf_printf(out, "DECIMAL(%d, %d)", (int)dt.precision, (int)dt.scale);
    for (size_t i = 0; i < GNV_ARRAY_SIZE(names); i++)
        if (strcmp(t->format, names[i][0]) == 0)
            return gnv__buf_puts(out, names[i][1]);
    return gnv__type_to_string(out, t);
}

static int print_node(gnv_buf *out, const gnv_expr_node *n, bool types)
{
    if (!n)
        return gnv__buf_puts(out, "<none>");
    switch (n->op) {
    case GNV_EX_LITERAL:
        GNV_TRY(print_lit(out, &n->lit));
        return print_type(out, n, types);
    case GNV_EX_COLUMN:
        for (int32_t i = 0; i < n->n_names; i++) {
            if (i > 0)
                GNV_TRY(gnv__buf_putc(out, '.'));
            if (plain_ident(n->names[i]))
                GNV_TRY(gnv__buf_puts(out, n->names[i]));
            else
                GNV_TRY(print_quoted(out, n->names[i], strlen(n->names[i]), '"'));
        }
        return print_type(out, n, types);
    case GNV_EX_NOT:
    case GNV_EX_NEG:
        GNV_TRY(gnv__buf_puts(out, n->op == GNV_EX_NOT ? "(NOT " : "(- "));
        GNV_TRY(print_node(out, n->args[0], types));
        return gnv__buf_putc(out, ')');
    case GNV_EX_IS_NULL:
    case GNV_EX_IS_TRUE:
    case GNV_EX_IS_FALSE:
        GNV_TRY(gnv__buf_putc(out, '('));
        GNV_TRY(print_node(out, n->args[0], types));
        GNV_TRY(gnv__buf_puts(out, n->negated ? " IS NOT " : " IS "));
        GNV_TRY(gnv__buf_puts(out, n->op == GNV_EX_IS_NULL   ? "NULL)"
                                   : n->op == GNV_EX_IS_TRUE ? "TRUE)"
                                                             : "FALSE)"));
        return GNV_OK;
    case GNV_EX_IN:
        GNV_TRY(gnv__buf_putc(out, '('));
        GNV_TRY(print_node(out, n->args[0], types));
        GNV_TRY(gnv__buf_puts(out, n->negated ? " NOT IN (" : " IN ("));
        for (int32_t i = 1; i < n->n_args; i++) {
            if (i > 1)
                GNV_TRY(gnv__buf_puts(out, ", "));
            GNV_TRY(print_node(out, n->args[i], types));
        }
        return gnv__buf_puts(out, "))");
    case GNV_EX_BETWEEN:
        GNV_TRY(gnv__buf_putc(out, '('));
        GNV_TRY(print_node(out, n->args[0], types));
        GNV_TRY(gnv__buf_puts(out, n->negated ? " NOT BETWEEN " : " BETWEEN "));
        GNV_TRY(print_node(out, n->args[1], types));
        GNV_TRY(gnv__buf_puts(out, " AND "));
        GNV_TRY(print_node(out, n->args[2], types));
        return gnv__buf_putc(out, ')');
    case GNV_EX_LIKE:
        GNV_TRY(gnv__buf_putc(out, '('));
        GNV_TRY(print_node(out, n->args[0], types));
        GNV_TRY(gnv__buf_puts(out, n->negated ? " NOT" : ""));
        GNV_TRY(gnv__buf_puts(out, n->case_insensitive ? " ILIKE " : " LIKE "));
        GNV_TRY(print_node(out, n->args[1], types));
        if (n->n_args > 2) {
            GNV_TRY(gnv__buf_puts(out, " ESCAPE "));
            GNV_TRY(print_node(out, n->args[2], types));
        }
        return gnv__buf_putc(out, ')');
    case GNV_EX_CASE:
        GNV_TRY(gnv__buf_puts(out, "(CASE"));
        if (n->args[0]) {
            GNV_TRY(gnv__buf_putc(out, ' '));
            GNV_TRY(print_node(out, n->args[0], types));
        }
        for (int32_t i = 1; i + 1 < n->n_args; i += 2) {
            GNV_TRY(gnv__buf_puts(out, " WHEN "));
            GNV_TRY(print_node(out, n->args[i], types));
            GNV_TRY(gnv__buf_puts(out, " THEN "));
            GNV_TRY(print_node(out, n->args[i + 1], types));
        }
        if (n->args[n->n_args - 1]) {
            GNV_TRY(gnv__buf_puts(out, " ELSE "));
            GNV_TRY(print_node(out, n->args[n->n_args - 1], types));
        }
        return gnv__buf_puts(out, " END)");
    case GNV_EX_CAST:
        GNV_TRY(gnv__buf_puts(out, n->try_cast ? "TRY_CAST(" : "CAST("));
        GNV_TRY(print_node(out, n->args[0], types));
        GNV_TRY(gnv__buf_puts(out, " AS "));
        GNV_TRY(print_sql_type(out, &n->cast_to));
        return gnv__buf_putc(out, ')');
    case GNV_EX_CALL:
        GNV_TRY(gnv__buf_puts(out, gnv__expr_func_name(n->func)));
        GNV_TRY(gnv__buf_putc(out, '('));
        for (int32_t i = 0; i < n->n_args; i++) {
            if (i > 0)
                GNV_TRY(gnv__buf_puts(out, ", "));
            GNV_TRY(print_node(out, n->args[i], types));
        }
        GNV_TRY(gnv__buf_putc(out, ')'));
        return print_type(out, n, types);
    default:
        GNV_TRY(gnv__buf_putc(out, '('));
        GNV_TRY(print_node(out, n->args[0], types));
        GNV_TRY(gnv__buf_printf(out, " %s ", gnv__expr_op_name(n->op)));
        GNV_TRY(print_node(out, n->args[1], types));
        return gnv__buf_putc(out, ')');
    }
}

int gnv__expr_to_string(gnv_buf *out, const gnv_expr_node *n, bool types)
{
    return print_node(out, n, types);
}
