/*
 * Evaluating a bound expression tree over record batches: the tree is walked bottom-up,
 * each node's arguments evaluated into datums (columns point into the batch without a
 * copy, literals are one-row scalars) and handed to the node's kernel. A node whose
 * arguments are all scalars is computed once, on one row, and stays a scalar: literal-only
 * subtrees are folded this way. Each argument's result is freed as soon as its parent
 * was computed, so memory stays within a few arrays of the batch's length per level.
 */
#include <string.h>

#include "expr/expr_kernel.h"

/* The value of one node during evaluation. */
typedef struct val {
    gnv_datum d;
    struct ArrowArray own; /* an owned result (release set), or unused */
    struct ArrowArray hdr; /* a borrowed column with offset/validity adjusted */
    const void *bufs[3];
    uint8_t *vbits; /* the adjusted validity of hdr (owned) */
} val;

typedef struct ectx {
    const struct ArrowSchema *schema;
    const struct ArrowArray *batch;
    int64_t n;
} ectx;

static void val_reset(val *v)
{
    gnv__array_release(&v->own);
    gnv__free(v->vbits);
    memset(v, 0, sizeof *v);
}

static const char *natural_format(gnv_lit_kind k)
{
    switch (k) {
    case GNV_LIT_BOOL:
        return "b";
    case GNV_LIT_INT:
        return "l";
    case GNV_LIT_UINT:
        return "L";
    case GNV_LIT_DOUBLE:
        return "g";
    case GNV_LIT_STRING:
        return "u";
    case GNV_LIT_DATE:
        return "tdD";
    case GNV_LIT_TIMESTAMP:
        return "tsu:";
    default:
        return "n";
    }
}

/* A literal as a one-row array of the node's type (built in its natural type, then
 * cast when the binder gave it another). */
static int eval_literal(val *v, const gnv_expr_node *node)
{
    int rc = GNV_OK;
    struct ArrowSchema nat = {0};
    struct ArrowArray tmp = {0};
    const gnv_lit *l = &node->lit;
    GNV_TRYG(gnv__schema_init(&nat, natural_format(l->kind), "", ARROW_FLAG_NULLABLE));
    GNV_TRYG(gnv__array_init(&tmp, &nat));
    switch (l->kind) {
    case GNV_LIT_BOOL:
        GNV_TRYG(gnv__array_append_bool(&tmp, l->b));
        break;
    case GNV_LIT_INT:
    case GNV_LIT_DATE:
    case GNV_LIT_TIMESTAMP:
        GNV_TRYG(gnv__array_append_int(&tmp, l->i));
        break;
    case GNV_LIT_UINT:
        GNV_TRYG(gnv__array_append_uint(&tmp, l->u));
        break;
    case GNV_LIT_DOUBLE:
        GNV_TRYG(gnv__array_append_double(&tmp, l->d));
        break;
    case GNV_LIT_STRING:
        GNV_TRYG(gnv__array_append_bytes(&tmp, l->s ? l->s : "", l->s ? l->n : 0));
        break;
    default:
        GNV_TRYG(gnv__array_append_null(&tmp, 1));
        break;
    }
    GNV_TRYG(gnv__array_finish(&tmp));
    if (!node->type.release || strcmp(node->type.format, nat.format) == 0) {
        gnv__array_move(&tmp, &v->own);
    } else {
        gnv_datum d = kdatum(&nat, &tmp, true);
        GNV_TRYG(gnv__expr_cast(&v->own, &d, &node->type, false, 1));
    }
    v->d = kdatum(node->type.release ? &node->type : NULL, &v->own, true);
    if (!v->d.schema) {
        /* unbound literal: keep its natural type */
        rc = gnv__error_set(GNV_EINVAL, GNV_SUB_EXPR, "the expression is not bound");
        goto done;
    }
done:
    gnv__array_release(&tmp);
    gnv__schema_release(&nat);
    return rc;
}

/* A column: the batch's child array along `path`. Offsets of the parents are added to
 * the child's; NULL parents (a NULL struct) make the child NULL, through a validity
 * bitmap built for the purpose. Dictionary-encoded columns are decoded. */
static int eval_column(val *v, const gnv_expr_node *node, const ectx *c)
{
    int rc = GNV_OK;
    gnv_array_view view = {0};
    const struct ArrowSchema *s = c->schema;
    const struct ArrowArray *a = c->batch;
    int64_t n = c->n;
    /* parents with nulls: their arrays and physical offsets */
    const struct ArrowArray *parents[64];
    int64_t parent_off[64];
    int np = 0;
    int64_t off = 0;
    if (!node->path || node->n_names < 1)
        return gnv__error_set(GNV_EINVAL, GNV_SUB_EXPR, "column '%s' is not bound",
                              node->n_names > 0 ? node->names[0] : "?");
    for (int32_t l = 0; l < node->n_names; l++) {
        int32_t idx = node->path[l];
        off += a->offset;
        if (a->null_count != 0 && a->n_buffers > 0 && a->buffers && a->buffers[0]) {
            if (np == (int)GNV_ARRAY_SIZE(parents))
                return gnv__error_set(GNV_ENOTSUP, GNV_SUB_EXPR, "column '%s' nests too deeply",
                                      node->names[0]);
            parents[np] = a;
            parent_off[np++] = off;
        }
        if (idx < 0 || idx >= s->n_children || idx >= a->n_children)
            return gnv__error_set(GNV_EINVAL, GNV_SUB_EXPR,
                                  "column '%s' is not in the batch (bound to another schema?)",
                                  node->names[l]);
        s = s->children[idx];
        a = a->children[idx];
    }
    off += a->offset;
    if (a->length < off - a->offset + n && n > 0)
        return gnv__error_set(GNV_EINVAL, GNV_SUB_EXPR, "column '%s' has %lld rows, expected %lld",
                              node->names[node->n_names - 1], (long long)a->length,
                              (long long)(n + off - a->offset));
    v->hdr = *a;
    v->hdr.release = NULL;
    v->hdr.private_data = NULL;
    v->hdr.offset = off;
    v->hdr.length = n;
    v->hdr.null_count = a->null_count == 0 ? 0 : -1;
    if (np > 0 && a->n_buffers > 0) {
        if (a->n_buffers > 3)
            return gnv__error_set(GNV_EINVAL, GNV_SUB_EXPR, "column '%s': unexpected buffers",
                                  node->names[0]);
        size_t nbytes = (size_t)((off + n + 7) / 8);
        v->vbits = gnv__malloc(nbytes ? nbytes : 1);
        if (!v->vbits)
            return gnv__error_oom();
        const uint8_t *own = a->null_count != 0 ? a->buffers[0] : NULL;
        int64_t valid = 0;
        for (int64_t i = 0; i < n; i++) {
            bool ok = !own || kbit(own, off + i);
            for (int p = 0; ok && p < np; p++)
                ok = kbit(parents[p]->buffers[0], parent_off[p] + i);
            kbit_set(v->vbits, off + i, ok);
            valid += ok;
        }
        for (int b = 0; b < a->n_buffers; b++)
            v->bufs[b] = a->buffers[b];
        v->bufs[0] = v->vbits;
        v->hdr.buffers = v->bufs;
        v->hdr.null_count = n - valid;
    }
    v->d = kdatum(s, &v->hdr, false);
    if (s->dictionary) {
        GNV_TRYG(gnv__array_view_init(&view, s, &v->hdr));
        GNV_TRYG(gnv__array_init(&v->own, s->dictionary));
        GNV_TRYG(gnv__array_append_view(&v->own, &view, 0, n));
        GNV_TRYG(gnv__array_finish(&v->own));
        v->d = kdatum(s->dictionary, &v->own, false);
    }
done:
    gnv__array_view_reset(&view);
    return rc;
}

static int eval_node(val *v, const gnv_expr_node *node, const ectx *c, int depth)
{
    int rc = GNV_OK;
    val *args = NULL;
    gnv_datum *d = NULL;
    memset(v, 0, sizeof *v);
    if (depth > 10000)
        return gnv__error_set(GNV_EINVAL, GNV_SUB_EXPR, "the expression nests too deeply");
    if (node->op == GNV_EX_LITERAL)
        return eval_literal(v, node);
    if (node->op == GNV_EX_COLUMN) {
        if (!c->batch)
            return gnv__error_set(GNV_EINVAL, GNV_SUB_EXPR, "a column needs a batch");
        return eval_column(v, node, c);
    }
    if (!node->type.release)
        return gnv__error_set(GNV_EINVAL, GNV_SUB_EXPR, "the expression is not bound");
    if (node->n_args > 0) {
        args = gnv__calloc((size_t)node->n_args, sizeof *args);
        d = gnv__calloc((size_t)node->n_args, sizeof *d);
        GNV_CHECK_ALLOC(args);
        GNV_CHECK_ALLOC(d);
    }
    bool all_scalar = true;
    for (int32_t i = 0; i < node->n_args; i++) {
        if (!node->args[i])
            continue;
        GNV_TRYG(eval_node(&args[i], node->args[i], c, depth + 1));
        d[i] = args[i].d;
        if (!d[i].scalar)
            all_scalar = false;
    }
    GNV_TRYG(gnv__expr_kernel(&v->own, node, d, all_scalar ? 1 : c->n));
    v->d = kdatum(&node->type, &v->own, all_scalar);
done:
    for (int32_t i = 0; args && i < node->n_args; i++)
        val_reset(&args[i]);
    gnv__free(args);
    gnv__free(d);
    if (rc < 0)
        val_reset(v);
    return rc;
}

static int
check_batch(const gnv_expr *e, const struct ArrowSchema *schema, const struct ArrowArray *batch)
{
    if (!e || !e->root || !e->bound)
        return gnv__error_set(GNV_EINVAL, GNV_SUB_EXPR, "the expression is not bound");
    if (!schema || !batch)
        return gnv__error_set(GNV_EINVAL, GNV_SUB_EXPR, "no batch to evaluate over");
    if (batch->length < 0 || batch->offset < 0 || schema->n_children != batch->n_children)
        return gnv__error_set(GNV_EINVAL, GNV_SUB_EXPR,
                              "the batch does not match its schema (%lld columns, %lld arrays)",
                              (long long)schema->n_children, (long long)batch->n_children);
    return GNV_OK;
}

int gnv__expr_eval(struct ArrowArray *out,
                   const gnv_expr *e,
                   const struct ArrowSchema *schema,
                   const struct ArrowArray *batch)
{
    int rc = GNV_OK;
    val v = {0};
    gnv_array_view view = {0};
    memset(out, 0, sizeof *out);
    GNV_TRY(check_batch(e, schema, batch));
    ectx c = {schema, batch, batch->length};
    GNV_TRYG(eval_node(&v, e->root, &c, 0));
    if (v.d.scalar) {
        GNV_TRYG(gnv__kbroadcast(out, &v.d, c.n));
    } else if (v.own.release && v.d.array == &v.own && v.own.offset == 0 && v.own.length == c.n &&
               v.own.n_buffers >= 0) {
        gnv__array_move(&v.own, out);
    } else {
        /* a column read as is: copy it out */
        GNV_TRYG(gnv__array_view_init(&view, v.d.schema, v.d.array));
        GNV_TRYG(gnv__array_init(out, v.d.schema));
        rc = gnv__array_append_view(out, &view, 0, c.n);
        if (rc >= 0)
            rc = gnv__array_finish(out);
        if (rc < 0) {
            gnv__array_release(out);
            goto done;
        }
    }
done:
    gnv__array_view_reset(&view);
    val_reset(&v);
    return rc;
}

/* ---- filters `x op k`, evaluated in one pass ---------------------------------- */

/*
 * A comparison of a column (or `column % c` over int64) with a constant is the most
 * common filter ("id % 100 = 50", "score > 0.9"): it is evaluated here in one pass over
 * the column's values where they are, straight into the selection, instead of building
 * the remainder and the boolean arrays. The answer is the generic evaluation's: the same
 * keys (gnv__kload_key) and the same remainder (gnv__ki64_div_const); anything else, or
 * a constant that does not evaluate, goes the generic way.
 */

/* Literals and arithmetic or casts of literals. */
static bool is_const(const gnv_expr_node *n)
{
    if (!n)
        return false;
    switch (n->op) {
    case GNV_EX_LITERAL:
        return true;
    case GNV_EX_CAST:
    case GNV_EX_NEG:
    case GNV_EX_ADD:
    case GNV_EX_SUB:
    case GNV_EX_MUL:
    case GNV_EX_DIV:
    case GNV_EX_MOD:
        for (int32_t i = 0; i < n->n_args; i++)
            if (!is_const(n->args[i]))
                return false;
        return n->n_args > 0;
    default:
        return false;
    }
}

/* A constant subtree's one value as a kin over v (false when it does not evaluate: the
 * error is cleared, the generic path reports it). */
static bool const_value(val *v, kin *k, const gnv_expr_node *node, const ectx *c)
{
    ectx one = {c->schema, NULL, 1};
    if (eval_node(v, node, &one, 0) < 0) {
        gnv_error_clear();
        return false;
    }
    if (!v->d.scalar || gnv__kin_init(k, &v->d) < 0) {
        gnv_error_clear();
        val_reset(v);
        return false;
    }
    return true;
}

static bool format_is(const gnv_expr_node *n, const char *f)
{
    return n && n->type.format && strcmp(n->type.format, f) == 0;
}

/* An integer column cast to int64 without loss (or an int64 column). */
static const gnv_expr_node *int64_column(const gnv_expr_node *n)
{
    if (!format_is(n, "l"))
        return NULL;
    if (n->op == GNV_EX_COLUMN)
        return n;
    if (n->op != GNV_EX_CAST || n->n_args != 1 || !n->args[0] || n->args[0]->op != GNV_EX_COLUMN)
        return NULL;
    static const char *const widen[] = {"c", "C", "s", "S", "i", "I", "l"};
    for (size_t i = 0; i < GNV_ARRAY_SIZE(widen); i++)
        if (format_is(n->args[0], widen[i]))
            return n->args[0];
    return NULL;
}

/* 64 bits of a bitmap from bit p on (bits past e cleared, e <= 64). */
static uint64_t bits64(const uint8_t *b, int64_t p, int64_t e)
{
    const uint8_t *q = b + (p >> 3);
    int sh = (int)(p & 7);
    int64_t nbytes = (sh + e + 7) / 8;
    uint64_t lo = 0, hi = 0;
    memcpy(&lo, q, (size_t)GNV_MIN(nbytes, 8));
    if (nbytes > 8)
        hi = q[8];
    uint64_t w = sh ? lo >> sh | hi << (64 - sh) : lo;
    return e == 64 ? w : w & ((UINT64_C(1) << e) - 1);
}

/* True when every x[0..m) is in [0, 2^32). */
static bool all_u32(const int64_t *x, int64_t m)
{
    uint64_t acc = 0;
    for (int64_t j = 0; j < m; j++)
        acc |= (uint64_t)x[j];
    return acc >> 32 == 0;
}

#define CMPWORD(val, cond)                                                                         \
    for (int64_t j = 0; j < e; j++) {                                                              \
        int64_t x = (val);                                                                         \
        word |= (uint64_t)(cond) << j;                                                             \
    }
#define CMPOPS(val)                                                                                \
    switch (op) {                                                                                  \
    case GNV_EX_EQ:                                                                                \
        CMPWORD(val, x == k0)                                                                      \
        break;                                                                                     \
    case GNV_EX_NE:                                                                                \
        CMPWORD(val, x != k0)                                                                      \
        break;                                                                                     \
    case GNV_EX_LT:                                                                                \
        CMPWORD(val, x < k0)                                                                       \
        break;                                                                                     \
    case GNV_EX_LE:                                                                                \
        CMPWORD(val, x <= k0)                                                                      \
        break;                                                                                     \
    case GNV_EX_GT:                                                                                \
        CMPWORD(val, x > k0)                                                                       \
        break;                                                                                     \
    default:                                                                                       \
        CMPWORD(val, x >= k0)                                                                      \
        break;                                                                                     \
    }

/* The order key of float64 bits s (gnv__kload_key's), -0.0 made 0.0. */
static inline int64_t f64_key0(int64_t s)
{
    int64_t k = s ^ (int64_t)((uint64_t)(s >> 63) >> 1);
    return k == KEY_NEG_ZERO ? 0 : k;
}

/*
 * Bit j of the result: xs[j] op k0, j < e <= 64. With m32 set, xs[j] % d op k0 instead,
 * every xs[j] in [0, 2^32) and 2 <= d < 2^32: the remainder is Lemire's "fastmod" (two
 * multiplies, exact there), m32 being 2^64 / d rounded up. With f64, xs holds float64
 * bits, compared by their order keys (-0.0 as 0.0).
 */
static uint64_t cmp_word(
    gnv_expr_op op, const int64_t *xs, int64_t e, int64_t k0, uint64_t m32, uint64_t d, bool f64)
{
    __extension__ typedef unsigned __int128 u128;
    uint64_t word = 0;
    if (m32) {
        CMPOPS((int64_t)(((u128)(m32 * (uint64_t)xs[j]) * d) >> 64))
    } else if (f64) {
        CMPOPS(f64_key0(xs[j]))
    } else {
        CMPOPS(xs[j])
    }
    return word;
}

#undef CMPOPS
#undef CMPWORD

/*
 * The fast path of gnv__expr_filter: *handled is false when root is not of that form
 * (nothing was done), else sel/n hold the answer.
 */
static int
filter_cmp_const(gnv_buf *sel, int64_t *n, const gnv_expr_node *root, const ectx *c, bool *handled)
{
    int rc = GNV_OK;
    val cv = {0}, kv = {0}, dv = {0};
    int64_t scratch[2 * KCHUNK]; /* on the stack: no allocation per batch */
    *handled = false;
    gnv_expr_op op = root->op;
    if (op < GNV_EX_EQ || op > GNV_EX_GE || root->n_args != 2 || !root->args[0] || !root->args[1])
        return GNV_OK;
    const gnv_expr_node *var = root->args[0], *cst = root->args[1];
    if (is_const(var)) {
        var = root->args[1];
        cst = root->args[0];
        op = gnv__expr_op_flip(op);
    }
    if (!is_const(cst) || !var->type.format || !cst->type.format ||
        strcmp(var->type.format, cst->type.format) != 0)
        return GNV_OK;
    const gnv_expr_node *col = NULL;
    int64_t divisor = 0;
    if (var->op == GNV_EX_COLUMN) {
        gnv_type t;
        if (gnv__type_parse(&t, var->type.format) < 0) {
            gnv_error_clear();
            return GNV_OK;
        }
        if (gnv__kdom(t.id) == KD_NONE)
            return GNV_OK;
        col = var;
    } else if (var->op == GNV_EX_MOD && var->n_args == 2 && format_is(var, "l") &&
               (col = int64_column(var->args[0])) != NULL && is_const(var->args[1]) &&
               format_is(var->args[1], "l")) {
        kin kd;
        if (!const_value(&dv, &kd, var->args[1], c))
            return GNV_OK;
        bool ok = !kd.all_null && kin_valid(&kd, 0);
        if (ok)
            gnv__kload_i64(&kd, 0, 1, &divisor);
        val_reset(&dv);
        /* x % -d is x % d (truncating); 0, 1, -1 and the minimum go the generic way */
        if (!ok || divisor == INT64_MIN || (divisor > -2 && divisor < 2))
            return GNV_OK;
        divisor = divisor < 0 ? -divisor : divisor;
    } else {
        return GNV_OK;
    }
    kin kk, kc;
    if (!const_value(&kv, &kk, cst, c))
        return GNV_OK;
    GNV_TRYG(eval_node(&cv, col, c, 0));
    if (!cv.d.schema || !cv.d.schema->format || strcmp(cv.d.schema->format, col->type.format))
        goto done; /* (a dictionary's values, say): the generic way */
    GNV_TRYG(gnv__kin_init(&kc, &cv.d));
    *handled = true;
    *n = 0;
    sel->size = 0;
    if (kk.all_null || !kin_valid(&kk, 0) || kc.all_null)
        goto done; /* x op NULL is NULL: no row */
    bool f64 = gnv__kdom(kc.type.id) == KD_F64 && !divisor;
    int64_t k0 = divisor ? 0 : gnv__kkey1(&kk, 0);
    if (divisor)
        gnv__kload_i64(&kk, 0, 1, &k0);
    if (f64 && k0 == KEY_NEG_ZERO) /* -0.0 = 0.0, as gnv__kcompare */
        k0 = 0;
    GNV_TRYG(gnv__buf_reserve(sel, (size_t)c->n * 8 + 8));
    int64_t *o = (int64_t *)(void *)sel->ptr, cnt = 0;
    bool in_place = !kc.scalar && kc.data && kc.type.id == GNV_TYPE_INT64;
    /* float64 columns are read in place too, their keys made word by word */
    bool raw_f64 = f64 && !kc.scalar && kc.data && kc.type.id == GNV_TYPE_DOUBLE;
    for (int64_t s = 0; s < c->n; s += KCHUNK) {
        int64_t m = GNV_MIN(KCHUNK, c->n - s);
        const int64_t *xs = scratch;
        if (in_place || raw_f64)
            xs = (const int64_t *)(const void *)kc.data + kc.off + s;
        else if (divisor)
            gnv__kload_i64(&kc, s, m, scratch);
        else
            gnv__kload_key(&kc, s, m, scratch);
        uint64_t m32 = 0;
        if (divisor && divisor >> 32 == 0 && all_u32(xs, m)) { /* as ids are */
            m32 = UINT64_MAX / (uint64_t)divisor + 1;
        } else if (divisor) {
            gnv__ki64_div_const(GNV_EX_MOD, xs, divisor, m, scratch + KCHUNK);
            xs = scratch + KCHUNK;
        } else if (f64 && !raw_f64) {
            for (int64_t j = 0; j < m; j++)
                scratch[j] = xs[j] == KEY_NEG_ZERO ? 0 : xs[j];
            xs = scratch;
        }
        for (int64_t w = 0; w < m; w += 64) {
            int64_t e = GNV_MIN(64, m - w);
            uint64_t word = cmp_word(op, xs + w, e, k0, m32, (uint64_t)divisor, raw_f64);
            if (kc.validity && !kc.scalar)
                word &= bits64(kc.validity, kc.off + s + w, e);
            else if (kc.scalar && !kin_valid(&kc, 0))
                word = 0;
            while (word) {
                o[cnt++] = s + w + __builtin_ctzll(word);
                word &= word - 1;
            }
        }
    }
    sel->size = (size_t)cnt * 8;
    *n = cnt;
done:
    val_reset(&cv);
    val_reset(&kv);
    return rc;
}

/*
 * `a AND b` where one side takes the fast path: its rows, then those of them where the
 * other side (evaluated as the generic path does, over every row) is true. *handled is
 * false when neither side takes the fast path.
 */
static int
filter_and(gnv_buf *sel, int64_t *n, const gnv_expr_node *root, const ectx *c, bool *handled)
{
    int rc = GNV_OK;
    val v = {0};
    *handled = false;
    if (root->op != GNV_EX_AND || root->n_args != 2 || !root->args[0] || !root->args[1])
        return GNV_OK;
    int side = 0;
    for (; side < 2 && !*handled; side++)
        GNV_TRY(filter_cmp_const(sel, n, root->args[side], c, handled));
    if (!*handled)
        return GNV_OK;
    const gnv_expr_node *other = root->args[2 - side];
    kin k;
    GNV_TRYG(eval_node(&v, other, c, 0));
    GNV_TRYG(gnv__kin_init(&k, &v.d));
    int64_t *o = (int64_t *)(void *)sel->ptr, cnt = 0;
    if (!k.all_null && k.type.id == GNV_TYPE_BOOL) {
        for (int64_t i = 0; i < *n; i++)
            if (kin_valid(&k, o[i]) && kbit(k.data, kin_pos(&k, o[i])))
                o[cnt++] = o[i];
    }
    *n = cnt;
    sel->size = (size_t)cnt * 8;
done:
    val_reset(&v);
    return rc;
}

int gnv__expr_filter(gnv_buf *sel,
                     int64_t *n,
                     const gnv_expr *e,
                     const struct ArrowSchema *schema,
                     const struct ArrowArray *batch)
{
    int rc = GNV_OK;
    val v = {0};
    *n = 0;
    gnv__buf_clear(sel);
    GNV_TRY(check_batch(e, schema, batch));
    /* (a bare NULL is refused too, as LanceDB does) */
    const char *f = e->root->type.format;
    if (e->root->op == GNV_EX_CALL && e->root->func == GNV_FN_REGEXP_MATCH) {
        /* regexp_match(...) alone as a filter: the rows that match (as LanceDB) */
        ectx c0 = {schema, batch, batch->length};
        kin k0;
        GNV_TRYG(eval_node(&v, e->root, &c0, 0));
        GNV_TRYG(gnv__kin_init(&k0, &v.d));
        GNV_TRYG(gnv__buf_reserve(sel, (size_t)c0.n * 8));
        int64_t *o = (int64_t *)(void *)sel->ptr, cnt = 0;
        for (int64_t i = 0; i < c0.n; i++)
            if (kin_valid(&k0, i))
                o[cnt++] = i;
        sel->size = (size_t)cnt * 8;
        *n = cnt;
        goto done;
    }
    if (!f || strcmp(f, "b") != 0)
        return gnv__error_set(GNV_EINVAL, GNV_SUB_EXPR,
                              "a filter must be a boolean expression, not %s",
                              gnv__ktype_name(&e->root->type));
    ectx c = {schema, batch, batch->length};
    bool handled = false;
    GNV_TRYG(filter_cmp_const(sel, n, e->root, &c, &handled));
    if (!handled)
        GNV_TRYG(filter_and(sel, n, e->root, &c, &handled));
    if (handled)
        goto done;
    GNV_TRYG(eval_node(&v, e->root, &c, 0));
    kin k;
    GNV_TRYG(gnv__kin_init(&k, &v.d));
    if (k.all_null || k.type.id != GNV_TYPE_BOOL)
        goto done;
    if (k.scalar) {
        if (!kbit(k.data, k.off))
            goto done;
        GNV_TRYG(gnv__buf_reserve(sel, (size_t)c.n * 8));
        int64_t *o = (int64_t *)(void *)sel->ptr;
        for (int64_t i = 0; i < c.n; i++)
            o[i] = i;
        sel->size = (size_t)c.n * 8;
        *n = c.n;
        goto done;
    }
    {
        uint8_t vb[KCHUNK / 8 + 8], nb[KCHUNK / 8 + 8];
        int64_t cnt = 0;
        /* first pass counts, so the selection is allocated once */
        for (int pass = 0; pass < 2; pass++) {
            int64_t *o = pass ? (int64_t *)(void *)sel->ptr : NULL;
            cnt = 0;
            for (int64_t s = 0; s < c.n; s += KCHUNK) {
                int64_t m = GNV_MIN(KCHUNK, c.n - s);
                memset(vb, 0, sizeof vb);
                gnv__kbits_copy(vb, k.data, k.off + s, m);
                if (k.validity) {
                    memset(nb, 0, sizeof nb);
                    gnv__kbits_copy(nb, k.validity, k.off + s, m);
                    for (int64_t b = 0; b < (m + 7) / 8; b++)
                        vb[b] &= nb[b];
                }
                for (int64_t w = 0; w < (m + 63) / 64; w++) {
                    uint64_t word;
                    memcpy(&word, vb + w * 8, 8);
                    if (!o) {
                        cnt += __builtin_popcountll(word);
                        continue;
                    }
                    while (word) {
                        o[cnt++] = s + w * 64 + __builtin_ctzll(word);
                        word &= word - 1;
                    }
                }
            }
            if (!pass) {
                GNV_TRYG(gnv__buf_reserve(sel, (size_t)cnt * 8 + 8));
            }
        }
        sel->size = (size_t)cnt * 8;
        *n = cnt;
    }
done:
    val_reset(&v);
    return rc;
}

static bool has_column(const gnv_expr_node *node)
{
    if (!node)
        return false;
    if (node->op == GNV_EX_COLUMN)
        return true;
    for (int32_t i = 0; i < node->n_args; i++)
        if (has_column(node->args[i]))
            return true;
    return false;
}

bool gnv__expr_is_always_true(const gnv_expr *e)
{
    if (!e || !e->root || !e->bound || has_column(e->root))
        return false;
    const char *f = e->root->type.format;
    if (!f || strcmp(f, "b") != 0)
        return false;
    val v = {0};
    ectx c = {NULL, NULL, 1};
    bool r = false;
    if (eval_node(&v, e->root, &c, 0) < 0) {
        gnv_error_clear();
        return false;
    }
    kin k;
    if (gnv__kin_init(&k, &v.d) == GNV_OK && !k.all_null && k.type.id == GNV_TYPE_BOOL &&
        kin_valid(&k, 0))
        r = kbit(k.data, kin_pos(&k, 0));
    val_reset(&v);
    return r;
}

int gnv__expr_kernel(struct ArrowArray *out,
                     const gnv_expr_node *node,
                     const gnv_datum *args,
                     int64_t n)
{
    memset(out, 0, sizeof *out);
    for (int32_t i = 0; i < node->n_args; i++)
        if (node->args[i] && !args[i].schema)
            return gnv__error_set(GNV_EINVAL, GNV_SUB_EXPR, "an argument was not evaluated");
    switch (node->op) {
    case GNV_EX_NOT:
    case GNV_EX_IS_NULL:
    case GNV_EX_IS_TRUE:
    case GNV_EX_IS_FALSE:
    case GNV_EX_AND:
    case GNV_EX_OR:
        return gnv__kernel_logic(out, node, args, n);
    case GNV_EX_NEG:
    case GNV_EX_ADD:
    case GNV_EX_SUB:
    case GNV_EX_MUL:
    case GNV_EX_DIV:
    case GNV_EX_MOD:
        return gnv__kernel_arith(out, node, args, n);
    case GNV_EX_EQ:
    case GNV_EX_NE:
    case GNV_EX_LT:
    case GNV_EX_LE:
    case GNV_EX_GT:
    case GNV_EX_GE:
    case GNV_EX_IN:
    case GNV_EX_BETWEEN:
        return gnv__kernel_cmp(out, node, args, n);
    case GNV_EX_CONCAT_OP:
        return gnv__kernel_string(out, node, args, n);
    case GNV_EX_SHL:
    case GNV_EX_SHR:
        return gnv__kernel_shift(out, node, args, n);
    case GNV_EX_LIKE:
        return gnv__kernel_like(out, node, args, n);
    case GNV_EX_CASE:
        return gnv__kernel_cond(out, node, args, n);
    case GNV_EX_CAST:
        if (node->n_args != 1)
            break;
        return gnv__expr_cast(out, &args[0], &node->type, node->try_cast, n);
    case GNV_EX_CALL:
        switch (node->func) {
        case GNV_FN_LOWER:
        case GNV_FN_UPPER:
        case GNV_FN_LENGTH:
        case GNV_FN_OCTET_LENGTH:
        case GNV_FN_TRIM:
        case GNV_FN_LTRIM:
        case GNV_FN_RTRIM:
        case GNV_FN_SUBSTR:
        case GNV_FN_CONCAT:
        case GNV_FN_REPLACE:
        case GNV_FN_STARTS_WITH:
        case GNV_FN_ENDS_WITH:
        case GNV_FN_REGEXP_MATCH:
        case GNV_FN_REGEXP_LIKE:
            return gnv__kernel_string(out, node, args, n);
        case GNV_FN_ABS:
        case GNV_FN_ROUND:
        case GNV_FN_FLOOR:
        case GNV_FN_CEIL:
        case GNV_FN_SQRT:
        case GNV_FN_LN:
        case GNV_FN_LOG:
        case GNV_FN_POW:
        case GNV_FN_LOG10:
        case GNV_FN_LOG2:
        case GNV_FN_EXP:
        case GNV_FN_SIGNUM:
        case GNV_FN_TRUNC:
        case GNV_FN_SIN:
        case GNV_FN_COS:
        case GNV_FN_TAN:
        case GNV_FN_ISNAN:
        case GNV_FN_ISZERO:
        case GNV_FN_PI:
        case GNV_FN_ATAN2:
        case GNV_FN_RANDOM:
            return gnv__kernel_math(out, node, args, n);
        case GNV_FN_DATE_TRUNC:
            return gnv__kernel_date_trunc(out, node, args, n);
        case GNV_FN_REGEXP_REPLACE:
            return gnv__kernel_regexp_replace(out, node, args, n);
        case GNV_FN_STRPOS:
        case GNV_FN_LEFT:
        case GNV_FN_RIGHT:
        case GNV_FN_LPAD:
        case GNV_FN_RPAD:
        case GNV_FN_REVERSE:
        case GNV_FN_SPLIT_PART:
        case GNV_FN_REPEAT:
        case GNV_FN_CONTAINS:
        case GNV_FN_ASCII:
        case GNV_FN_MD5:
        case GNV_FN_TO_HEX:
        case GNV_FN_INITCAP:
            return gnv__kernel_string_more(out, node, args, n);
        case GNV_FN_COALESCE:
        case GNV_FN_NULLIF:
        case GNV_FN_GREATEST:
        case GNV_FN_LEAST:
            return gnv__kernel_cond(out, node, args, n);
        case GNV_FN_ARRAY_LENGTH:
        case GNV_FN_ARRAY_HAS:
        case GNV_FN_ARRAY_HAS_ANY:
        case GNV_FN_ARRAY_HAS_ALL:
        case GNV_FN_ARRAY_POSITION:
        case GNV_FN_ARRAY_ELEMENT:
        case GNV_FN_MAKE_ARRAY:
        case GNV_FN_ARRAY_APPEND:
        case GNV_FN_ARRAY_CONCAT:
        case GNV_FN_ARRAY_SORT:
        case GNV_FN_ARRAY_DISTINCT:
        case GNV_FN_ARRAY_MAX:
        case GNV_FN_ARRAY_MIN:
        case GNV_FN_ARRAY_TO_STRING:
            return gnv__kernel_list(out, node, args, n);
        case GNV_FN_DATE_PART:
            return gnv__kernel_date(out, node, args, n);
        default:
            break;
        }
        break;
    default:
        break;
    }
    return gnv__error_set(GNV_ENOTSUP, GNV_SUB_EXPR, "no kernel for '%s' with %d arguments",
                          gnv__knode_name(node), (int)node->n_args);
}
