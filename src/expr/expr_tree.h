/*
 * The expression tree shared by the parser, the binder and the evaluator of the expr
 * module (not used outside src/expr/).
 *
 * Invariants after gnv__expr_bind():
 * - every node's `type` is set (an owned schema) and is the type of its value;
 * - operands were made explicit: the two sides of arithmetic and comparisons, the items
 *   of IN, the bounds of BETWEEN, the branches of CASE and the arguments of functions
 *   have exactly the types the operation is evaluated in (CAST nodes were inserted
 *   where DataFusion coerces), so kernels never coerce;
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
    GNV_EX_IS_NULL, /* `negated`: IS NOT NULL */
    GNV_EX_IS_TRUE, /* `negated`: IS NOT TRUE */
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
    /* args[0] [NOT] IN (args[1..n)) */
    GNV_EX_IN,
    /* args[0] [NOT] BETWEEN args[1] AND args[2] */
    GNV_EX_BETWEEN,
    /* args[0] [NOT] LIKE|ILIKE args[1] [ESCAPE args[2]]; `case_insensitive` for ILIKE */
    GNV_EX_LIKE,
    /* CASE [operand] WHEN w THEN t ... [ELSE e] END:
     * args = [operand or NULL, w1, t1, w2, t2, ..., else or NULL]; n_args is odd. */
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
    GNV_FN_REGEXP_MATCH, /* as a boolean filter: regexp_like semantics are documented */
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
    GNV_FN_DATE_PART, /* date_part('year', d), also EXTRACT(year FROM d) */
    GNV_FN_COUNT_
} gnv_expr_func;

/* A literal as written; after bind `type` says how it is held. */
typedef enum gnv_lit_kind {
    GNV_LIT_NULL = 1,
    GNV_LIT_BOOL,
    GNV_LIT_INT,    /* i: fits int64 (larger integer text is parsed as uint64 in u) */
    GNV_LIT_UINT,   /* u: above INT64_MAX */
    GNV_LIT_DOUBLE, /* d */
    GNV_LIT_STRING, /* s, n (UTF-8, escapes resolved) */
    GNV_LIT_DATE,   /* DATE '...': i = days since epoch */
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
};

void gnv__expr_node_free(gnv_expr_node *n); /* NULL-safe, recursive */
/* Name of an operator or function as written in SQL, for messages. */
const char *gnv__expr_op_name(gnv_expr_op op);
const char *gnv__expr_func_name(gnv_expr_func f);

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
