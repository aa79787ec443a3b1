/*
 * Evaluating a bound expression tree over record batches (work in progress: until the
 * evaluator is written it reports "not supported").
 */
#include "expr/expr_tree.h"

int gnv__expr_eval(struct ArrowArray *out,
                   const gnv_expr *e,
                   const struct ArrowSchema *schema,
                   const struct ArrowArray *batch)
{
    (void)out;
    (void)e;
    (void)schema;
    (void)batch;
    return gnv__error_set(GNV_ENOTSUP, GNV_SUB_EXPR, "SQL expressions are not supported yet");
}

int gnv__expr_filter(gnv_buf *sel,
                     int64_t *n,
                     const gnv_expr *e,
                     const struct ArrowSchema *schema,
                     const struct ArrowArray *batch)
{
    (void)sel;
    (void)n;
    (void)e;
    (void)schema;
    (void)batch;
    return gnv__error_set(GNV_ENOTSUP, GNV_SUB_EXPR, "SQL expressions are not supported yet");
}

bool gnv__expr_is_always_true(const gnv_expr *e)
{
    (void)e;
    return false;
}

int gnv__expr_kernel(struct ArrowArray *out,
                     const gnv_expr_node *node,
                     const gnv_datum *args,
                     int64_t n)
{
    (void)out;
    (void)node;
    (void)args;
    (void)n;
    return gnv__error_set(GNV_ENOTSUP, GNV_SUB_EXPR, "SQL expressions are not supported yet");
}

int gnv__expr_cast(struct ArrowArray *out,
                   const gnv_datum *in,
                   const struct ArrowSchema *to,
                   bool try_cast,
                   int64_t n)
{
    (void)out;
    (void)in;
    (void)to;
    (void)try_cast;
    (void)n;
    return gnv__error_set(GNV_ENOTSUP, GNV_SUB_EXPR, "SQL expressions are not supported yet");
}
