/*
 * List functions: array_length, array_has, array_has_any, array_has_all, array_position,
 * array_element, make_array, the builders (array_append, array_concat, array_sort,
 * array_distinct, array_max/min, array_to_string), list equality and list to text.
 * A NULL list gives NULL; a NULL needle gives NULL and NULL items never match it, except
 * in array_has_any/array_has_all, where a NULL item of the second list matches a NULL
 * item of the first (DataFusion compares them as rows). Items compare with the same order
 * keys as comparisons (NaN matches NaN). array_has_all with an empty second list is true
 * even for a NULL first list (as DataFusion answers).
 */
#include <string.h>

#include "expr/expr_kernel.h"

static bool is_list(gnv_type_id id)
{
    return id == GNV_TYPE_LIST || id == GNV_TYPE_LARGE_LIST || id == GNV_TYPE_FIXED_SIZE_LIST;
}

/* The items of a list datum as an array datum of the child. */
static int child_kin(kin *out, const kin *list)
{
    if (list->array->n_children < 1 || list->schema->n_children < 1)
        return gnv__error_set(GNV_EINVAL, GNV_SUB_EXPR, "a list array has no child");
    gnv_datum d = kdatum(list->schema->children[0], list->array->children[0], false);
    return gnv__kin_init(out, &d);
}

static bool contains(const kin *items, int64_t s, int64_t e, const kin *x, int64_t xi)
{
    for (int64_t j = s; j < e; j++)
        if (kin_valid(items, j) && gnv__kcmp(items, j, x, xi) == 0)
            return true;
    return false;
}

/* make_array(a, ...): row i is [a[i], ...]. */
static int
make_array(struct ArrowArray *out, const gnv_expr_node *node, const gnv_datum *args, int64_t n)
{
    int rc = GNV_OK;
    int32_t na = node->n_args;
    gnv_array_view *views = gnv__calloc((size_t)(na > 0 ? na : 1), sizeof *views);
    kin *k = gnv__calloc((size_t)(na > 0 ? na : 1), sizeof *k);
    int32_t n_views = 0;
    bool inited = false;
    if (!views || !k) {
        rc = gnv__error_oom();
        goto done;
    }
    GNV_TRYG(gnv__array_init(out, &node->type));
    inited = true;
    GNV_ERR_IF(out->n_children < 1, GNV_EINVAL, GNV_SUB_EXPR, "make_array() must return a list");
    for (int32_t a = 0; a < na; a++) {
        GNV_TRYG(gnv__kin_init(&k[a], &args[a]));
        GNV_TRYG(gnv__array_view_init(&views[a], args[a].schema, args[a].array));
        n_views++;
    }
    for (int64_t i = 0; i < n; i++) {
        for (int32_t a = 0; a < na; a++) {
            if (!kin_valid(&k[a], i))
                GNV_TRYG(gnv__array_append_null(out->children[0], 1));
            else
                GNV_TRYG(
                    gnv__array_append_view(out->children[0], &views[a], args[a].scalar ? 0 : i, 1));
        }
        GNV_TRYG(gnv__array_finish_element(out));
    }
    GNV_TRYG(gnv__array_finish(out));
done:
    if (rc < 0 && inited)
        gnv__array_release(out);
    for (int32_t a = 0; a < n_views; a++)
        gnv__array_view_reset(&views[a]);
    gnv__free(views);
    gnv__free(k);
    return rc;
}

/* array_element(l, i): 1-based, negative from the end, NULL for 0 or out of range. */
static int
array_element(struct ArrowArray *out, const gnv_expr_node *node, const gnv_datum *args, int64_t n)
{
    int rc = GNV_OK;
    gnv_array_view v = {0};
    bool have_view = false, inited = false;
    kin k[2];
    for (int a = 0; a < 2; a++)
        GNV_TRY(gnv__kin_init(&k[a], &args[a]));
    if (!is_list(k[0].type.id) && k[0].type.id != GNV_TYPE_NA)
        return gnv__error_set(GNV_EINVAL, GNV_SUB_EXPR, "array_element() needs a list, not %s",
                              gnv__ktype_name(args[0].schema));
    if (gnv__kdom(k[1].type.id) != KD_I64 && k[1].type.id != GNV_TYPE_NA)
        return gnv__error_set(GNV_EINVAL, GNV_SUB_EXPR,
                              "array_element() needs an integer index, not %s",
                              gnv__ktype_name(args[1].schema));
    GNV_TRYG(gnv__array_init(out, &node->type));
    inited = true;
    if (k[0].all_null || k[1].all_null) {
        GNV_TRYG(gnv__array_append_null(out, n));
        GNV_TRYG(gnv__array_finish(out));
        goto done;
    }
    GNV_TRYG(gnv__array_view_init(&v, args[0].schema, args[0].array));
    have_view = true;
    GNV_ERR_IF(v.n_children < 1, GNV_EINVAL, GNV_SUB_EXPR, "a list array has no child");
    for (int64_t i = 0; i < n; i++) {
        int64_t idx = 0, s = 0, e = 0;
        bool ok = kin_valid(&k[0], i) && kin_valid(&k[1], i);
        if (ok) {
            gnv__kload_i64(&k[1], i, 1, &idx);
            gnv__view_list_range(&v, args[0].scalar ? 0 : i, &s, &e);
            if (idx > 0 && idx <= e - s)
                idx = s + idx - 1;
            else if (idx < 0 && -idx <= e - s)
                idx = e + idx;
            else
                ok = false;
        }
        if (ok && !gnv__view_is_null(&v.children[0], idx))
            GNV_TRYG(gnv__array_append_view(out, &v.children[0], idx, 1));
        else
            GNV_TRYG(gnv__array_append_null(out, 1));
    }
    GNV_TRYG(gnv__array_finish(out));
done:
    if (rc < 0 && inited)
        gnv__array_release(out);
    if (have_view)
        gnv__array_view_reset(&v);
    return rc;
}

int gnv__klist_to_text(struct ArrowArray *out,
                       const gnv_datum *list,
                       const kin *sep,
                       const struct ArrowSchema *to,
                       int64_t n)
{
    int rc = GNV_OK;
    kin k, c;
    kout o = {0};
    struct ArrowArray items = {0};
    struct ArrowSchema utf8 = {0};
    gnv_buf b = GNV_BUF_INIT;
    GNV_TRY(gnv__kin_init(&k, list));
    if (!is_list(k.type.id))
        return gnv__error_set(GNV_EINVAL, GNV_SUB_EXPR, "%s is not a list",
                              gnv__ktype_name(list->schema));
    const kin *ins[2] = {&k, sep};
    GNV_TRY(gnv__kout_init(&o, out, to, n, gnv__kany_null(ins, sep ? 2 : 1)));
    gnv__kvalidity_and(&o, ins, sep ? 2 : 1);
    bool none = k.all_null || (sep && sep->all_null);
    if (!none) {
        GNV_TRYG(gnv__schema_init(&utf8, "u", "", ARROW_FLAG_NULLABLE));
        gnv_datum cd = kdatum(list->schema->children[0], list->array->children[0], false);
        GNV_TRYG(gnv__expr_cast(&items, &cd, &utf8, false, list->array->children[0]->length));
        gnv_datum id = kdatum(&utf8, &items, false);
        GNV_TRYG(gnv__kin_init(&c, &id));
    }
    for (int64_t i = 0; i < n; i++) {
        b.size = 0;
        if (!none && (!o.validity || kbit(o.validity, i))) {
            int64_t s, e, sl = 0;
            const uint8_t *sp = sep ? kin_bytes(sep, i, &sl) : (const uint8_t *)", ";
            if (!sep)
                sl = 2;
            kin_list_range(&k, i, &s, &e);
            bool first = true;
            if (!sep)
                GNV_TRYG(gnv__buf_put(&b, "[", 1));
            for (int64_t j = s; j < e; j++) {
                bool valid = kin_valid(&c, j);
                if (sep && !valid)
                    continue; /* array_to_string skips NULLs; a cast prints them empty */
                if (!first)
                    GNV_TRYG(gnv__buf_put(&b, sp, (size_t)sl));
                first = false;
                if (valid) {
                    int64_t len;
                    const uint8_t *p = kin_bytes(&c, j, &len);
                    GNV_TRYG(gnv__buf_put(&b, p, (size_t)len));
                }
            }
            if (!sep)
                GNV_TRYG(gnv__buf_put(&b, "]", 1));
        }
        GNV_TRYG(gnv__kout_put_str(&o, i, b.ptr, b.size));
    }
    gnv_buf_dispose(&b);
    gnv__array_release(&items);
    gnv__schema_release(&utf8);
    return gnv__kout_finish(&o);
done:
    gnv_buf_dispose(&b);
    gnv__array_release(&items);
    gnv__schema_release(&utf8);
    gnv__kout_abort(&o);
    return rc;
}

int gnv__klist_equal(
    struct ArrowArray *out, gnv_expr_op op, const gnv_datum *a, const gnv_datum *b, int64_t n)
{
    int rc = GNV_OK;
    kin k[2], c[2];
    kout o = {0};
    GNV_TRY(gnv__kin_init(&k[0], a));
    GNV_TRY(gnv__kin_init(&k[1], b));
    for (int x = 0; x < 2; x++)
        if (!is_list(k[x].type.id) && k[x].type.id != GNV_TYPE_NA)
            return gnv__error_set(GNV_EINVAL, GNV_SUB_EXPR, "cannot compare %s with %s",
                                  gnv__ktype_name(a->schema), gnv__ktype_name(b->schema));
    if (op != GNV_EX_EQ && op != GNV_EX_NE)
        return gnv__error_set(GNV_EINVAL, GNV_SUB_EXPR, "lists can only be compared with = and <>");
    const kin *ins[2] = {&k[0], &k[1]};
    GNV_TRY(gnv__kout_bool(&o, out, ins, 2, n));
    if (k[0].all_null || k[1].all_null)
        return gnv__kout_finish(&o);
    GNV_TRYG(child_kin(&c[0], &k[0]));
    GNV_TRYG(child_kin(&c[1], &k[1]));
    GNV_ERR_IF(c[0].type.id != c[1].type.id, GNV_EINVAL, GNV_SUB_EXPR, "cannot compare %s with %s",
               gnv__ktype_name(a->schema), gnv__ktype_name(b->schema));
    for (int64_t i = 0; i < n; i++) {
        if (o.validity && !kbit(o.validity, i))
            continue;
        int64_t s0, e0, s1, e1;
        kin_list_range(&k[0], i, &s0, &e0);
        kin_list_range(&k[1], i, &s1, &e1);
        bool eq = e0 - s0 == e1 - s1;
        for (int64_t j = 0; eq && j < e0 - s0; j++) {
            bool v0 = kin_valid(&c[0], s0 + j), v1 = kin_valid(&c[1], s1 + j);
            eq = v0 == v1 && (!v0 || gnv__kcmp(&c[0], s0 + j, &c[1], s1 + j) == 0);
        }
        if (eq == (op == GNV_EX_EQ))
            kbit_set(o.values, i, true);
    }
    return gnv__kout_finish(&o);
done:
    gnv__kout_abort(&o);
    return rc;
}

/* Sort helper: order of child items a and b, NULLs first. */
static int item_cmp(const kin *c, int64_t a, int64_t b)
{
    bool va = kin_valid(c, a), vb = kin_valid(c, b);
    if (!va || !vb)
        return (int)va - (int)vb;
    return gnv__kcmp(c, a, c, b);
}

/*
 * The list builders: array_append(l, x), array_concat(a, b), array_sort(l),
 * array_distinct(l), and array_max/array_min(l) (an item), array_to_string(l, sep).
 */
static int
list_build(struct ArrowArray *out, const gnv_expr_node *node, const gnv_datum *args, int64_t n)
{
    int rc = GNV_OK;
    gnv_expr_func f = node->func;
    int32_t na = node->n_args;
    kin k[2], c[2];
    gnv_array_view v[2] = {{0}};
    int nv = 0;
    bool inited = false;
    int64_t *idx = NULL;
    size_t cap = 0;
    if (na < 1 || na > 2)
        return gnv__error_set(GNV_EINVAL, GNV_SUB_EXPR, "%s() cannot take %d arguments",
                              gnv__expr_func_name(f), (int)na);
    for (int32_t a = 0; a < na; a++)
        GNV_TRY(gnv__kin_init(&k[a], &args[a]));
    int nlists = f == GNV_FN_ARRAY_CONCAT ? 2 : 1;
    for (int a = 0; a < nlists; a++)
        if (!is_list(k[a].type.id) && k[a].type.id != GNV_TYPE_NA)
            return gnv__error_set(GNV_EINVAL, GNV_SUB_EXPR, "%s() needs a list, not %s",
                                  gnv__expr_func_name(f), gnv__ktype_name(args[a].schema));
    if (f == GNV_FN_ARRAY_TO_STRING)
        return gnv__klist_to_text(out, &args[0], &k[1], &node->type, n);
    GNV_TRYG(gnv__array_init(out, &node->type));
    inited = true;
    for (int a = 0; a < na; a++) {
        if (k[a].type.id == GNV_TYPE_NA)
            continue;
        GNV_TRYG(gnv__array_view_init(&v[a], args[a].schema, args[a].array));
        nv = a + 1;
        if (is_list(k[a].type.id)) {
            if (f != GNV_FN_ARRAY_APPEND || a == 0)
                GNV_TRYG(child_kin(&c[a], &k[a]));
        }
    }
    bool item_out = f == GNV_FN_ARRAY_MAX || f == GNV_FN_ARRAY_MIN;
    struct ArrowArray *dst = item_out ? out : out->children[0];
    for (int64_t i = 0; i < n; i++) {
        bool valid0 = k[0].type.id != GNV_TYPE_NA && kin_valid(&k[0], i);
        int64_t s = 0, e = 0;
        int64_t r0 = args[0].scalar ? 0 : i;
        if (valid0)
            gnv__view_list_range(&v[0], r0, &s, &e);
        if (f == GNV_FN_ARRAY_APPEND) {
            for (int64_t j = s; j < e; j++)
                GNV_TRYG(gnv__array_append_view(dst, &v[0].children[0], j, 1));
            if (k[1].type.id != GNV_TYPE_NA && kin_valid(&k[1], i))
                GNV_TRYG(gnv__array_append_view(dst, &v[1], args[1].scalar ? 0 : i, 1));
            else
                GNV_TRYG(gnv__array_append_null(dst, 1));
            GNV_TRYG(gnv__array_finish_element(out));
            continue;
        }
        if (f == GNV_FN_ARRAY_CONCAT) {
            bool valid1 = k[1].type.id != GNV_TYPE_NA && kin_valid(&k[1], i);
            if (!valid0 && !valid1) {
                GNV_TRYG(gnv__array_append_null(out, 1));
                continue;
            }
            for (int a = 0; a < 2; a++) {
                if (!(a == 0 ? valid0 : valid1))
                    continue;
                int64_t s2, e2;
                gnv__view_list_range(&v[a], args[a].scalar ? 0 : i, &s2, &e2);
                for (int64_t j = s2; j < e2; j++)
                    GNV_TRYG(gnv__array_append_view(dst, &v[a].children[0], j, 1));
            }
            GNV_TRYG(gnv__array_finish_element(out));
            continue;
        }
        if (!valid0) {
            GNV_TRYG(gnv__array_append_null(out, 1));
            continue;
        }
        if (item_out) {
            int64_t best = -1;
            for (int64_t j = s; j < e; j++) {
                if (!kin_valid(&c[0], j))
                    continue;
                int cmp = best < 0 ? 0 : gnv__kcmp(&c[0], j, &c[0], best);
                if (best < 0 || (f == GNV_FN_ARRAY_MAX ? cmp > 0 : cmp < 0))
                    best = j;
            }
            if (best < 0)
                GNV_TRYG(gnv__array_append_null(out, 1));
            else
                GNV_TRYG(gnv__array_append_view(out, &v[0].children[0], best, 1));
            continue;
        }
        /* sort or distinct: pick item indexes */
        int64_t m = e - s, cnt = 0;
        if ((size_t)m > cap) {
            int64_t *t = gnv__reallocarray(idx, (size_t)m, sizeof *t);
            GNV_CHECK_ALLOC(t);
            idx = t;
            cap = (size_t)m;
        }
        for (int64_t j = s; j < e; j++) {
            if (f == GNV_FN_ARRAY_DISTINCT) {
                bool seen = false;
                for (int64_t q = 0; q < cnt && !seen; q++)
                    seen = item_cmp(&c[0], idx[q], j) == 0 &&
                           kin_valid(&c[0], idx[q]) == kin_valid(&c[0], j);
                if (!seen)
                    idx[cnt++] = j;
            } else {
                /* insertion sort, stable, NULLs first */
                int64_t q = cnt++;
                while (q > 0 && item_cmp(&c[0], idx[q - 1], j) > 0) {
                    idx[q] = idx[q - 1];
                    q--;
                }
                idx[q] = j;
            }
        }
        for (int64_t q = 0; q < cnt; q++)
            GNV_TRYG(gnv__array_append_view(dst, &v[0].children[0], idx[q], 1));
        GNV_TRYG(gnv__array_finish_element(out));
    }
    GNV_TRYG(gnv__array_finish(out));
done:
    if (rc < 0 && inited)
        gnv__array_release(out);
    for (int a = 0; a < nv; a++)
        if (v[a].schema)
            gnv__array_view_reset(&v[a]);
    gnv__free(idx);
    return rc;
}

int gnv__kernel_list(struct ArrowArray *out,
                     const gnv_expr_node *node,
                     const gnv_datum *args,
                     int64_t n)
{
    int rc = GNV_OK;
    switch (node->func) {
    case GNV_FN_ARRAY_APPEND:
    case GNV_FN_ARRAY_CONCAT:
    case GNV_FN_ARRAY_SORT:
    case GNV_FN_ARRAY_DISTINCT:
    case GNV_FN_ARRAY_MAX:
    case GNV_FN_ARRAY_MIN:
    case GNV_FN_ARRAY_TO_STRING:
        return list_build(out, node, args, n);
    default:
        break;
    }
    if (node->func == GNV_FN_MAKE_ARRAY)
        return make_array(out, node, args, n);
    if (node->func == GNV_FN_ARRAY_ELEMENT)
        return array_element(out, node, args, n);
    gnv_expr_func f = node->func;
    const char *name = gnv__expr_func_name(f);
    int32_t na = node->n_args;
    kin k[2], c[2];
    kout o = {0};
    int64_t *ibuf = NULL;
    int want = f == GNV_FN_ARRAY_LENGTH ? 1 : 2;
    if (na != want && !(f == GNV_FN_ARRAY_LENGTH && na == 2))
        return gnv__error_set(GNV_EINVAL, GNV_SUB_EXPR, "%s() cannot take %d arguments", name,
                              (int)na);
    for (int32_t a = 0; a < na; a++)
        GNV_TRY(gnv__kin_init(&k[a], &args[a]));
    if (!is_list(k[0].type.id) && k[0].type.id != GNV_TYPE_NA)
        return gnv__error_set(GNV_EINVAL, GNV_SUB_EXPR, "%s() needs a list, not %s", name,
                              gnv__ktype_name(args[0].schema));
    bool two_lists = f == GNV_FN_ARRAY_HAS_ANY || f == GNV_FN_ARRAY_HAS_ALL;
    if (two_lists && !is_list(k[1].type.id) && k[1].type.id != GNV_TYPE_NA)
        return gnv__error_set(GNV_EINVAL, GNV_SUB_EXPR, "%s() needs two lists, not %s", name,
                              gnv__ktype_name(args[1].schema));
    if (f == GNV_FN_ARRAY_LENGTH && na == 2 &&
        (gnv__kdom(k[1].type.id) != KD_I64 && gnv__kdom(k[1].type.id) != KD_U64))
        return gnv__error_set(GNV_EINVAL, GNV_SUB_EXPR,
                              "array_length(): the dimension must be "
                              "an integer");
    const kin *ins[2] = {&k[0], &k[1]};
    GNV_TRY(gnv__kout_init(&o, out, &node->type, n, true));
    gnv__kvalidity_and(&o, ins, na);
    bool int_out = f == GNV_FN_ARRAY_LENGTH || f == GNV_FN_ARRAY_POSITION;
    if (o.type.id != GNV_TYPE_BOOL && (!int_out || gnv__kdom(o.type.id) == KD_NONE))
        GNV_ERR_IF(true, GNV_EINVAL, GNV_SUB_EXPR, "%s() cannot return %s", name,
                   gnv__ktype_name(&node->type));
    if (f == GNV_FN_ARRAY_HAS_ALL && !k[1].all_null) {
        /* an empty second list: true, even where the first is NULL */
        for (int64_t i = 0; i < n; i++) {
            int64_t a2, b2;
            if (!kin_valid(&k[1], i))
                continue;
            kin_list_range(&k[1], i, &a2, &b2);
            if (a2 == b2) {
                if (o.validity)
                    kbit_set(o.validity, i, true);
                kbit_set(o.values, i, true);
            }
        }
    }
    for (int32_t a = 0; a < na; a++)
        if (k[a].all_null)
            goto finish;
    GNV_TRYG(child_kin(&c[0], &k[0]));
    if (two_lists)
        GNV_TRYG(child_kin(&c[1], &k[1]));
    if (f == GNV_FN_ARRAY_LENGTH) {
        ibuf = gnv__malloc(KCHUNK * sizeof *ibuf);
        GNV_CHECK_ALLOC(ibuf);
        for (int64_t s = 0; s < n; s += KCHUNK) {
            int64_t m = GNV_MIN(KCHUNK, n - s);
            for (int64_t j = 0; j < m; j++) {
                int64_t a, b;
                ibuf[j] = 0;
                if (o.validity && !kbit(o.validity, s + j))
                    continue;
                if (na == 2) {
                    int64_t dim;
                    gnv__kload_i64(&k[1], s + j, 1, &dim);
                    if (dim != 1) {
                        /* only the outer dimension: others give NULL */
                        kbit_set(o.validity, s + j, false);
                        continue;
                    }
                }
                kin_list_range(&k[0], s + j, &a, &b);
                ibuf[j] = b - a;
            }
            gnv__kstore_i64(&o, s, m, ibuf);
        }
        goto finish;
    }
    for (int64_t i = 0; i < n; i++) {
        if (o.validity && !kbit(o.validity, i))
            continue;
        int64_t a, b;
        kin_list_range(&k[0], i, &a, &b);
        bool r;
        if (f == GNV_FN_ARRAY_POSITION) {
            int64_t pos = 0;
            for (int64_t j = a; j < b && !pos; j++)
                if (kin_valid(&c[0], j) && gnv__kcmp(&c[0], j, &k[1], i) == 0)
                    pos = j - a + 1;
            if (!pos)
                kbit_set(o.validity, i, false);
            gnv__kstore_i64(&o, i, 1, &pos);
            continue;
        } else if (f == GNV_FN_ARRAY_HAS) {
            r = contains(&c[0], a, b, &k[1], i);
        } else {
            int64_t a2, b2;
            kin_list_range(&k[1], i, &a2, &b2);
            r = f == GNV_FN_ARRAY_HAS_ALL;
            for (int64_t j = a2; j < b2; j++) {
                bool in;
                if (!kin_valid(&c[1], j)) {
                    /* a NULL item matches a NULL item (DataFusion compares rows) */
                    in = false;
                    for (int64_t q = a; q < b && !in; q++)
                        in = !kin_valid(&c[0], q);
                } else {
                    in = contains(&c[0], a, b, &c[1], j);
                }
                if (f == GNV_FN_ARRAY_HAS_ANY && in) {
                    r = true;
                    break;
                }
                if (f == GNV_FN_ARRAY_HAS_ALL && !in) {
                    r = false;
                    break;
                }
            }
        }
        if (r)
            kbit_set(o.values, i, true);
    }
finish:
    gnv__free(ibuf);
    ibuf = NULL;
    rc = gnv__kout_finish(&o);
    o.a = NULL;
done:
    gnv__free(ibuf);
    if (rc < 0)
        gnv__kout_abort(&o);
    return rc;
}
