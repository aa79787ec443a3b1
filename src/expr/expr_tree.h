/*
 * The expression tree shared by the parser, the binder and the evaluator of the expr
 * module (not used outside src/expr/).
 *
 * Invariants after gnv__expr_bind():
 * - every node's `type` is set (an owned schema) and is the type of its value;
 * - operands were made explicit: the two sides of arithmetic and comparisons, the items
 *   of IN, the bounds of BETWEEN, the branches of CASE and the arguments of functions
 *   have exactly the types the operation is evaluated in (CAST nodes were inserted
 *   where DataFusion coerces), so kernels never coerce; the one exception is decimal
 *   arithmetic, whose two sides are decimals that may differ in precision and scale (the
 *   kernel rescales them, as arrow-rs does);
 * - COLUMN nodes carry the path of child indexes into the bound schema.
 */
#ifndef GNV_EXPR_TREE_H
#define GNV_EXPR_TREE_H

#include "expr/expr.h"

typedef enum gnv_expr_op {
    GNV_EX_LITERAL = 1, /* value in `lit` */
    GNV_EX_COLUMN,      /* path in `names` / `path` */
    /* unary: args[0] */
    GNV_EX_NOT,
    GNV_EX_NEG,
    GNV_EX_IS_NULL,  /* `negated`: IS NOT NULL */
    GNV_EX_IS_TRUE,  /* `negated`: IS NOT TRUE */
    GNV_EX_IS_FALSE, /* `negated`: IS NOT FALSE */
    /* binary: args[0] op args[1] */
    GNV_EX_AND,
    GNV_EX_OR,
    GNV_EX_ADD,
    GNV_EX_SUB,
    GNV_EX_MUL,
    GNV_EX_DIV,
    GNV_EX_MOD,
    GNV_EX_EQ,
    GNV_EX_NE,
    GNV_EX_LT,
    GNV_EX_LE,
    GNV_EX_GT,
    GNV_EX_GE,
    GNV_EX_CONCAT_OP, /* a || b */
    GNV_EX_SHL,       /* a << b (integers) */
    GNV_EX_SHR,       /* a >> b */
    /* args[0] [NOT] IN (args[1..n)) */
    GNV_EX_IN,
    /* args[0] [NOT] BETWEEN args[1] AND args[2] */
    GNV_EX_BETWEEN,
    /* args[0] [NOT] LIKE|ILIKE args[1] [ESCAPE args[2]]; `case_insensitive` for ILIKE */
    GNV_EX_LIKE,
    /* CASE [operand] WHEN w THEN t ... [ELSE e] END:
     * args = [operand or NULL, w1, t1, w2, t2, ..., else or NULL]; n_args is even. */
    GNV_EX_CASE,
    /* CAST(args[0] AS type) and args[0]::type: target in `cast_to`; `try_cast` for
     * TRY_CAST (NULL instead of an error). */
    GNV_EX_CAST,
    /* function `func` (one of gnv_expr_func) over args */
    GNV_EX_CALL
} gnv_expr_op;

typedef enum gnv_expr_func {
    GNV_FN_LOWER = 1,
    GNV_FN_UPPER,
    GNV_FN_LENGTH, /* also char_length, character_length */
    GNV_FN_OCTET_LENGTH,
    GNV_FN_TRIM,
    GNV_FN_LTRIM,
    GNV_FN_RTRIM,
    GNV_FN_SUBSTR, /* also substring */
    GNV_FN_CONCAT,
    GNV_FN_REPLACE,
    GNV_FN_STARTS_WITH,
    GNV_FN_ENDS_WITH,
    GNV_FN_REGEXP_MATCH, /* the list of captures; a boolean test where one is needed */
    GNV_FN_ABS,
    GNV_FN_ROUND,
    GNV_FN_FLOOR,
    GNV_FN_CEIL,
    GNV_FN_SQRT,
    GNV_FN_LN,
    GNV_FN_LOG, /* log(x) is base 10; log(b, x) */
    GNV_FN_POW, /* also power */
    GNV_FN_COALESCE,
    GNV_FN_NULLIF,
    GNV_FN_GREATEST,
    GNV_FN_LEAST,
    GNV_FN_ARRAY_LENGTH,
    GNV_FN_ARRAY_HAS,
    GNV_FN_ARRAY_HAS_ANY,
    GNV_FN_ARRAY_HAS_ALL,
    GNV_FN_DATE_PART,      /* date_part('year', d), also EXTRACT(year FROM d) */
    GNV_FN_MAKE_ARRAY,     /* make_array(a, ...), also the literal [a, ...] */
    GNV_FN_ARRAY_ELEMENT,  /* array_element(l, i), also l[i]: 1-based, NULL out of range */
    GNV_FN_ARRAY_POSITION, /* array_position(l, x): 1-based index of the first x, or NULL */
    GNV_FN_STRPOS,         /* also instr */
    GNV_FN_LEFT,
    GNV_FN_RIGHT,
    GNV_FN_LPAD,
    GNV_FN_RPAD,
    GNV_FN_REVERSE,
    GNV_FN_SPLIT_PART,
    GNV_FN_REPEAT,
    GNV_FN_CONTAINS,
    GNV_FN_ASCII,
    GNV_FN_MD5,
    GNV_FN_LOG10,
    GNV_FN_LOG2,
    GNV_FN_EXP,
    GNV_FN_SIGNUM,
    GNV_FN_TRUNC,
    GNV_FN_SIN,
    GNV_FN_COS,
    GNV_FN_TAN,
    GNV_FN_ISNAN,
    GNV_FN_ISZERO,
    GNV_FN_PI,
    GNV_FN_ATAN2,
    GNV_FN_RANDOM,
    GNV_FN_TO_HEX,
    GNV_FN_INITCAP,
    GNV_FN_DATE_TRUNC,   /* date_trunc('day', ts) */
    GNV_FN_NOW,          /* now(), current_timestamp: a literal once bound */
    GNV_FN_CURRENT_DATE, /* current_date: a literal once bound */
    GNV_FN_ARRAY_APPEND,
    GNV_FN_ARRAY_CONCAT,
    GNV_FN_ARRAY_SORT,
    GNV_FN_ARRAY_DISTINCT,
    GNV_FN_ARRAY_MAX,
    GNV_FN_ARRAY_MIN,
    GNV_FN_ARRAY_TO_STRING,
    GNV_FN_TO_TIMESTAMP, /* to_timestamp(x): a CAST once bound */
    GNV_FN_REGEXP_REPLACE,
    GNV_FN_REGEXP_LIKE, /* the boolean test */
    GNV_FN_COUNT_
} gnv_expr_func;

/*
 * Argument and result types of each function after bind (expr_bind.c; "str" is utf8 or
 * large_utf8, the same one for all str arguments of a call):
 *   lower, upper, trim, ltrim, rtrim (str[, str]), replace (str, str, str) -> str
 *   length, octet_length (str; octet_length also binary) -> int32 (int64 on large_utf8)
 *   substr (str, int64[, int64]) -> str      concat (utf8, ...) -> utf8
 *   starts_with, ends_with (str, str), regexp_like (str, str[, flags str]) -> bool
 *   regexp_match (str, str[, flags str]) -> list<utf8> (the captures, NULL without a
 *     match); made regexp_like where a boolean is needed (AND, OR, NOT, WHEN)
 *   abs (any number, decimals included) -> same type
 *   round (x[, int64 digits]), floor, ceil, sqrt, ln, log (x): x float32 or float64 -> same
 *   log (base, x): both float64 (or both float32) -> same;  pow (float64, float64) -> float64
 *   coalesce, greatest, least (T, ...), nullif (T, T) -> T (all arguments of one type)
 *   array_length (list, large list or fixed-size list) -> uint64
 *   array_has (list<T>, T), array_has_any, array_has_all (list<T>, list<T>) -> bool
 *   make_array (T, ...) -> list<T> (all arguments of one type; none: list<null>)
 *   array_element (list<T>, int64) -> T;  array_position (list<T>, T) -> uint64
 *   strpos (str, str) -> int32 (int64 on large_utf8);  left, right, repeat (str, int64),
 *   lpad, rpad (str, int64[, str]), reverse (str), split_part (str, str, int64) -> str
 *   contains (str, str) -> bool;  ascii (str) -> int32;  md5 (str) -> utf8 (lower hex)
 *   log10, log2, exp, signum, trunc, sin, cos, tan (x float32 or float64) -> same
 *   isnan, iszero (float32 or float64) -> bool;  pi (), random () -> float64
 *   atan2 (float64, float64) -> float64;  to_hex (int64) -> utf8;  initcap (str) -> str
 *   date_trunc (part, timestamp) -> the same timestamp type (a date becomes timestamp[us];
 *     part a lower-case utf8 LITERAL: year quarter month week day hour minute second
 *     millisecond microsecond)
 *   array_append (list<T>, T) -> list<T> (T the common type);  array_concat (list<T>,
 *     list<T>), array_sort, array_distinct (list<T>) -> list<T>;  array_max, array_min
 *     (list<T>) -> T;  array_to_string (list, str) -> utf8
 *   regexp_replace (str, pattern, replacement[, flags]) -> str
 *   to_timestamp (integer seconds or str): replaced at bind by CASTs to timestamp[ns]
 *   now, current_date: replaced at bind by a TIMESTAMP / DATE literal (the bind's time)
 *   date_part (part, date32 or timestamp) -> int32, or float64 for 'epoch' (LanceDB's
 *     DataFusion); part is a lower-case utf8 LITERAL, one of year quarter month week
 *     day doy dow isodow hour minute second millisecond microsecond epoch, or a plural
 *     such as years ('qtr' is made 'quarter'; nanosecond is refused at bind). As there:
 *     second = whole seconds, millisecond = seconds * 1000 + ms, microsecond likewise.
 * After bind a LITERAL's `type` is one its kind maps onto: NULL any type; BOOL bool;
 * INT and UINT an integer type the value fits; DOUBLE float16/32/64 (float32 may round,
 * as LanceDB does); STRING utf8 or large_utf8, or binary/large_binary when `lit.b` marks
 * an X'...' literal (its bytes need not be UTF-8); DATE date32; TIMESTAMP timestamp[us]
 * with any time zone.
 */

/* A literal as written; after bind `type` says how it is held. */
typedef enum gnv_lit_kind {
    GNV_LIT_NULL = 1,
    GNV_LIT_BOOL,
    GNV_LIT_INT,      /* i: fits int64 (larger integer text is parsed as uint64 in u) */
    GNV_LIT_UINT,     /* u: above INT64_MAX */
    GNV_LIT_DOUBLE,   /* d */
    GNV_LIT_STRING,   /* s, n (UTF-8, escapes resolved); `b`: X'..' bytes (binary) */
    GNV_LIT_DATE,     /* DATE '...': i = days since epoch */
    GNV_LIT_TIMESTAMP /* TIMESTAMP '...': i = microseconds since epoch, UTC */
} gnv_lit_kind;

typedef struct gnv_lit {
    gnv_lit_kind kind;
    bool b;
    int64_t i;
    uint64_t u;
    double d;
    char *s; /* owned, NUL-terminated */
    size_t n;
} gnv_lit;

typedef struct gnv_expr_node gnv_expr_node;
struct gnv_expr_node {
    gnv_expr_op op;
    int32_t pos; /* 0-based character offset in the text, for messages */
    bool negated;
    bool case_insensitive;
    bool try_cast;
    gnv_expr_func func;
    gnv_lit lit;
    /* COLUMN: the dotted path as written (names[0] is the top-level column) */
    char **names;
    int32_t n_names;
    int32_t *path; /* after bind: child index at each level */
    /* CAST: the target type (owned); after bind also the node's `type` */
    struct ArrowSchema cast_to;
    gnv_expr_node **args; /* owned; an entry may be NULL (CASE) */
    int32_t n_args;
    struct ArrowSchema type; /* after bind: the type of this node's value (owned) */
};

struct gnv_expr {
    char *text;
    gnv_expr_node *root;
    const char **columns; /* top-level names read, unique */
    int64_t n_columns;
    bool bound;
    /* The tree as parsed (never bound): each bind works on a fresh copy of it, which
     * then replaces `root`. NULL for trees built by hand (then root is bound in place). */
    gnv_expr_node *parsed;
};

void gnv__expr_node_free(gnv_expr_node *n); /* NULL-safe, recursive */
/* Name of an operator or function as written in SQL, for messages. */
const char *gnv__expr_op_name(gnv_expr_op op);
const char *gnv__expr_func_name(gnv_expr_func f);
/* Deep copy of a (sub)tree; NULL gives NULL. */
int gnv__expr_node_copy(gnv_expr_node **out, const gnv_expr_node *in);
/* Append the tree in fully parenthesised SQL, e.g. "((a + 1) > 2)" (for tests and
 * debugging). `types`: follow literals, columns and calls with "::<type>" once bound. */
int gnv__expr_to_string(gnv_buf *out, const gnv_expr_node *n, bool types);
/* Levenshtein distance of two short names (for "did you mean" suggestions). */
size_t gnv__expr_edit_distance(const char *a, const char *b);

/*
 * Kernels (expr_kernel_*.c): each computes one node over a batch. Operands are
 * `gnv_datum`s: an array of the batch's length, or a scalar (an array of length 1 that
 * stands for every row). Results are owned arrays of `n` rows of `type`.
 */
typedef struct gnv_datum {
    const struct ArrowSchema *schema;
    const struct ArrowArray *array;
    bool scalar;
} gnv_datum;

/* Evaluate one node whose arguments are already evaluated (args[i] for node->args[i];
 * absent CASE parts have a NULL schema). */
int gnv__expr_kernel(struct ArrowArray *out,
                     const gnv_expr_node *node,
                     const gnv_datum *args,
                     int64_t n);
/* CAST of a datum to `to` (owned result of n rows; a scalar input gives n copies);
 * `try_cast` gives NULL where the value does not convert instead of GNV_EINVAL. */
int gnv__expr_cast(struct ArrowArray *out,
                   const gnv_datum *in,
                   const struct ArrowSchema *to,
                   bool try_cast,
                   int64_t n);

#endif
