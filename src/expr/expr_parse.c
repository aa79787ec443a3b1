/*
 * Parsing SQL expression text into a gnv_expr tree (work in progress: parse is being
 * written; until then it reports "not supported").
 */
#include "expr/expr_tree.h"

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

int gnv__expr_parse(gnv_expr **out, const char *text)
{
    (void)text;
    *out = NULL;
    return gnv__error_set(GNV_ENOTSUP, GNV_SUB_EXPR, "SQL expressions are not supported yet");
}

int gnv__expr_bind(gnv_expr *e, const struct ArrowSchema *schema)
{
    (void)e;
    (void)schema;
    return gnv__error_set(GNV_ENOTSUP, GNV_SUB_EXPR, "SQL expressions are not supported yet");
}

int gnv__expr_result_schema(struct ArrowSchema *out, const gnv_expr *e, const char *name)
{
    int rc = gnv__schema_copy(out, &e->root->type);
    if (rc != GNV_OK)
        return rc;
    return gnv__schema_set_name(out, name);
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

const char *gnv__expr_op_name(gnv_expr_op op)
{
    (void)op;
    return "?";
}

const char *gnv__expr_func_name(gnv_expr_func f)
{
    (void)f;
    return "?";
}

void gnv__expr_free(gnv_expr *e)
{
    if (!e)
        return;
    gnv__expr_node_free(e->root);
    for (int64_t i = 0; i < e->n_columns; i++)
        gnv__free((void *)e->columns[i]);
    gnv__free(e->columns);
    gnv__free(e->text);
    gnv__free(e);
}
