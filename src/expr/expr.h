/*
 * expr: SQL expressions in the dialect LanceDB accepts (DataFusion's). Text is parsed
 * into a tree (expr_parse.c), bound to a record batch schema (expr_bind.c: columns
 * resolved, types checked, coercions made explicit as CAST nodes), then evaluated a
 * batch at a time over Arrow arrays (expr_eval.c and the kernels in expr_kernel_*.c).
 *
 * Expressions know nothing of storage: a caller that scans a table binds the expression
 * to the schema of the batches it will feed (pseudo-columns such as _rowid and _rowaddr
 * are ordinary uint64 fields there), asks gnv__expr_columns() which columns to read,
 * and evaluates each batch.
 *
 * Uses arrow (and util) only.
 */
#ifndef GNV_EXPR_H
#define GNV_EXPR_H

#include <stdbool.h>
#include <stdint.h>

#include "arrow/arrow.h"

typedef struct gnv_expr gnv_expr;

/*
 * Parse `text`. On a syntax error: GNV_EINVAL with a message such as
 * "expected ')' at character 17 of the expression, found 'AND'". Unknown function
 * names are reported here ("unknown function 'lenght' (did you mean 'length'?)").
 */
int gnv__expr_parse(gnv_expr **out, const char *text);

/*
 * Bind a parsed expression to the schema of the batches it will be evaluated on (a
 * struct schema whose children are the columns). Resolves column references (quoted
 * identifiers, nested a.b), checks and coerces types as DataFusion does, and fixes the
 * result type. Errors (GNV_EINVAL): "no column named 'x' (did you mean 'y'?)",
 * "cannot compare utf8 with int64 at character 5", ... An expression may be bound
 * again to another schema.
 */
int gnv__expr_bind(gnv_expr *e, const struct ArrowSchema *schema);

/* The bound result type, as an owned schema named `name` (nullable). */
int gnv__expr_result_schema(struct ArrowSchema *out, const gnv_expr *e, const char *name);

/*
 * Names of the top-level columns the expression reads (each once, in order of first
 * use), valid after parse. The array and the strings are owned by the expression and
 * live until it is freed.
 */
int gnv__expr_columns(const char *const **out, int64_t *n, const gnv_expr *e);

/*
 * Evaluate a bound expression over one batch: `batch` is a struct array under `schema`
 * (the schema given to bind, or one with the same children). `out` becomes an owned
 * array of batch->length rows of the result type. Integer + - * wrap on overflow, as
 * LanceDB does. Runtime errors (division by zero, MIN / -1, abs(MIN), a failed CAST, a
 * bad regular expression) are GNV_EINVAL with a message naming the function and the
 * value.
 */
int gnv__expr_eval(struct ArrowArray *out,
                   const gnv_expr *e,
                   const struct ArrowSchema *schema,
                   const struct ArrowArray *batch);

/*
 * Evaluate a bound boolean expression as a filter: `sel` receives the int64 indexes
 * (0-based, ascending) of the rows where it is TRUE (NULL and FALSE rows are dropped,
 * as in SQL WHERE); `*n` their count. GNV_EINVAL when the expression is not boolean.
 */
int gnv__expr_filter(gnv_buf *sel,
                     int64_t *n,
                     const gnv_expr *e,
                     const struct ArrowSchema *schema,
                     const struct ArrowArray *batch);

/* True when the bound expression is a constant TRUE (such as "1=1"), so a caller may
 * skip evaluating it. */
bool gnv__expr_is_always_true(const gnv_expr *e);

/* The text the expression was parsed from. */
const char *gnv__expr_text(const gnv_expr *e);

void gnv__expr_free(gnv_expr *e); /* NULL-safe */

#endif
