/*
 * Conditional expressions: CASE (with or without an operand), coalesce, nullif,
 * greatest and least (NULLs skipped; NULL only when every argument is). Each picks, for
 * every row, which argument the value comes from, then gathers the rows in one pass.
 */
#include <string.h>

#include "expr/expr_kernel.h"

static bool cond_true(const kin *k, int64_t i)
{
    return kin_valid(k, i) && k->type.id == GNV_TYPE_BOOL && kbit(k->data, kin_pos(k, i));
}

static int
kernel_case(struct ArrowArray *out, const gnv_expr_node *node, const gnv_datum *args, int64_t n)
{
    int rc = GNV_OK;
    int32_t na = node->n_args;
    if (na < 4 || (na & 1) != 0)
        return gnv__error_set(GNV_EINVAL, GNV_SUB_EXPR, "CASE has %d parts", (int)na);
    int32_t nb = (na - 2) / 2;
    bool has_else = args[na - 1].schema != NULL;
    kin *srcs = gnv__calloc((size_t)nb + 1, sizeof *srcs);
    int32_t *choice = gnv__malloc((size_t)(n > 0 ? n : 1) * sizeof *choice);
    struct ArrowArray cmp = {0};
    GNV_CHECK_ALLOC(srcs);
    GNV_CHECK_ALLOC(choice);
    for (int64_t i = 0; i < n; i++)
        choice[i] = -2;
    for (int32_t b = 0; b < nb; b++) {
        GNV_TRYG(gnv__kin_init(&srcs[b], &args[2 + 2 * b]));
        kin c;
        if (args[0].schema) {
            GNV_TRYG(gnv__kcompare(&cmp, GNV_EX_EQ, &args[0], &args[1 + 2 * b], n));
            struct ArrowSchema bs = {0};
            bs.format = "b";
            gnv_datum d = kdatum(&bs, &cmp, false);
            GNV_TRYG(gnv__kin_init(&c, &d));
        } else {
            GNV_TRYG(gnv__kin_init(&c, &args[1 + 2 * b]));
            GNV_ERR_IF(c.type.id != GNV_TYPE_BOOL && c.type.id != GNV_TYPE_NA, GNV_EINVAL,
                       GNV_SUB_EXPR, "a WHEN condition must be boolean, not %s",
                       gnv__ktype_name(args[1 + 2 * b].schema));
        }
        for (int64_t i = 0; i < n; i++)
            if (choice[i] == -2 && cond_true(&c, i))
                choice[i] = b;
        gnv__array_release(&cmp);
    }
    if (has_else)
        GNV_TRYG(gnv__kin_init(&srcs[nb], &args[na - 1]));
    for (int64_t i = 0; i < n; i++)
        if (choice[i] == -2)
            choice[i] = has_else ? nb : -1;
    GNV_TRYG(gnv__kgather(out, &node->type, srcs, choice, n));
done:
    gnv__array_release(&cmp);
    gnv__free(srcs);
    gnv__free(choice);
    return rc;
}

int gnv__kernel_cond(struct ArrowArray *out,
                     const gnv_expr_node *node,
                     const gnv_datum *args,
                     int64_t n)
{
    int rc = GNV_OK;
    if (node->op == GNV_EX_CASE)
        return kernel_case(out, node, args, n);
    gnv_expr_func f = node->func;
    int32_t na = node->n_args;
    const char *name = gnv__expr_func_name(f);
    if ((f == GNV_FN_NULLIF && na != 2) || na < 1)
        return gnv__error_set(GNV_EINVAL, GNV_SUB_EXPR, "%s() cannot take %d arguments", name,
                              (int)na);
    kin *srcs = gnv__calloc((size_t)na, sizeof *srcs);
    int32_t *choice = gnv__malloc((size_t)(n > 0 ? n : 1) * sizeof *choice);
    struct ArrowArray cmp = {0};
    GNV_CHECK_ALLOC(srcs);
    GNV_CHECK_ALLOC(choice);
    for (int32_t a = 0; a < na; a++)
        GNV_TRYG(gnv__kin_init(&srcs[a], &args[a]));
    switch (f) {
    case GNV_FN_COALESCE:
        for (int64_t i = 0; i < n; i++) {
            choice[i] = -1;
            for (int32_t a = 0; a < na; a++)
                if (kin_valid(&srcs[a], i)) {
                    choice[i] = a;
                    break;
                }
        }
        break;
    case GNV_FN_NULLIF: {
        GNV_TRYG(gnv__kcompare(&cmp, GNV_EX_EQ, &args[0], &args[1], n));
        struct ArrowSchema bs = {0};
        bs.format = "b";
        gnv_datum d = kdatum(&bs, &cmp, false);
        kin c;
        GNV_TRYG(gnv__kin_init(&c, &d));
        for (int64_t i = 0; i < n; i++)
            choice[i] = cond_true(&c, i) ? -1 : 0;
        break;
    }
    case GNV_FN_GREATEST:
    case GNV_FN_LEAST: {
        int want = f == GNV_FN_GREATEST ? 1 : -1;
        for (int32_t a = 0; a < na; a++) {
            gnv_type_id id = srcs[a].type.id;
            GNV_ERR_IF(gnv__kdom(id) == KD_NONE && !gnv__type_is_binary_like(id) &&
                           id != GNV_TYPE_NA && id != GNV_TYPE_DECIMAL128,
                       GNV_EINVAL, GNV_SUB_EXPR, "%s() cannot compare %s", name,
                       gnv__ktype_name(args[a].schema));
        }
        for (int64_t i = 0; i < n; i++) {
            int32_t best = -1;
            for (int32_t a = 0; a < na; a++) {
                if (!kin_valid(&srcs[a], i))
                    continue;
                if (best < 0 || gnv__kcmp(&srcs[a], i, &srcs[best], i) == want)
                    best = a;
            }
            choice[i] = best;
        }
        break;
    }
    default:
        GNV_ERR_IF(true, GNV_ENOTSUP, GNV_SUB_EXPR, "%s() is not a conditional function", name);
    }
    GNV_TRYG(gnv__kgather(out, &node->type, srcs, choice, n));
done:
    gnv__array_release(&cmp);
    gnv__free(srcs);
    gnv__free(choice);
    return rc;
}
