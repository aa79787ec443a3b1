/*
 * Boolean logic (NOT, AND, OR with SQL's three-valued logic, IS [NOT] NULL/TRUE/FALSE)
 * and comparisons (=, <>, <, <=, >, >=, IN, BETWEEN). Booleans are processed as bitmaps a
 * chunk at a time; comparisons of fixed-width values compare int64 order keys (floats in
 * arrow-rs's total order: a NaN equals a NaN, +NaN is above everything and -NaN below,
 * -0.0 is below 0.0), strings and binaries compare bytes. As LanceDB does, a comparison
 * of floats with a constant takes -0.0 and 0.0 as equal (`f64 = 0` matches -0.0), while
 * two columns compare in the total order.
 */
#include <string.h>

#include "expr/expr_kernel.h"

/* Value and validity bits of rows [s, s+m) of a boolean input (nb all set when valid). */
static void chunk_bits(const kin *k, int64_t s, int64_t m, uint8_t *vb, uint8_t *nb)
{
    size_t nbytes = (size_t)(m + 7) / 8;
    if (k->all_null) {
        memset(vb, 0, nbytes);
        memset(nb, 0, nbytes);
        return;
    }
    if (k->scalar) {
        bool v = k->type.id == GNV_TYPE_BOOL && kbit(k->data, k->off);
        memset(vb, v ? 0xFF : 0, nbytes);
        memset(nb, 0xFF, nbytes);
        return;
    }
    if (k->type.id == GNV_TYPE_BOOL)
        gnv__kbits_copy(vb, k->data, k->off + s, m);
    else
        memset(vb, 0, nbytes);
    if (k->validity)
        gnv__kbits_copy(nb, k->validity, k->off + s, m);
    else
        memset(nb, 0xFF, nbytes);
}

enum {
    L_NOT,
    L_AND,
    L_OR,
    L_IS_NULL,
    L_IS_NOT_NULL,
    L_IS_TRUE,
    L_IS_NOT_TRUE,
    L_IS_FALSE,
    L_IS_NOT_FALSE
};

/* One logical operation over bool datums a (and b for AND/OR). */
static int logic(struct ArrowArray *out, int op, const gnv_datum *a, const gnv_datum *b, int64_t n)
{
    struct ArrowSchema bs = {0};
    kin ka, kb;
    kout o;
    int rc = GNV_OK;
    GNV_TRY(gnv__kin_init(&ka, a));
    if (b)
        GNV_TRY(gnv__kin_init(&kb, b));
    bool nullable;
    const kin *ins[2] = {&ka, &kb};
    if (op == L_NOT || op == L_AND || op == L_OR)
        nullable = gnv__kany_null(ins, b ? 2 : 1);
    else
        nullable = false;
    GNV_TRY(gnv__schema_init(&bs, "b", "", ARROW_FLAG_NULLABLE));
    rc = gnv__kout_init(&o, out, &bs, n, nullable);
    gnv__schema_release(&bs);
    if (rc < 0)
        return rc;
    uint8_t av[KCHUNK / 8], an[KCHUNK / 8], bv[KCHUNK / 8], bn[KCHUNK / 8];
    for (int64_t s = 0; s < n; s += KCHUNK) {
        int64_t m = GNV_MIN(KCHUNK, n - s), nb = (m + 7) / 8;
        chunk_bits(&ka, s, m, av, an);
        if (b)
            chunk_bits(&kb, s, m, bv, bn);
        uint8_t *ov = o.values + s / 8, *on = o.validity ? o.validity + s / 8 : NULL;
        for (int64_t j = 0; j < nb; j++) {
            uint8_t v, valid = 0xFF;
            switch (op) {
            case L_NOT:
                v = (uint8_t)~av[j];
                valid = an[j];
                break;
            case L_AND: {
                uint8_t fa = an[j] & (uint8_t)~av[j], fb = bn[j] & (uint8_t)~bv[j];
                valid = (an[j] & bn[j]) | fa | fb;
                v = av[j] & bv[j];
                break;
            }
            case L_OR: {
                uint8_t ta = an[j] & av[j], tb = bn[j] & bv[j];
                valid = (an[j] & bn[j]) | ta | tb;
                v = av[j] | bv[j];
                break;
            }
            case L_IS_NULL:
                v = (uint8_t)~an[j];
                break;
            case L_IS_NOT_NULL:
                v = an[j];
                break;
            case L_IS_TRUE:
                v = an[j] & av[j];
                break;
            case L_IS_NOT_TRUE:
                v = (uint8_t) ~(an[j] & av[j]);
                break;
            case L_IS_FALSE:
                v = an[j] & (uint8_t)~av[j];
                break;
            default: /* L_IS_NOT_FALSE */
                v = (uint8_t) ~(an[j] & (uint8_t)~av[j]);
                break;
            }
            ov[j] = v & valid;
            if (on)
                on[j] = valid;
        }
    }
    return gnv__kout_finish(&o);
}

int gnv__kernel_logic(struct ArrowArray *out,
                      const gnv_expr_node *node,
                      const gnv_datum *args,
                      int64_t n)
{
    int op;
    bool neg = node->negated;
    switch (node->op) {
    case GNV_EX_NOT:
        op = L_NOT;
        break;
    case GNV_EX_AND:
        op = L_AND;
        break;
    case GNV_EX_OR:
        op = L_OR;
        break;
    case GNV_EX_IS_NULL:
        op = neg ? L_IS_NOT_NULL : L_IS_NULL;
        break;
    case GNV_EX_IS_TRUE:
        op = neg ? L_IS_NOT_TRUE : L_IS_TRUE;
        break;
    default:
        op = neg ? L_IS_NOT_FALSE : L_IS_FALSE;
        break;
    }
    int want = (op == L_AND || op == L_OR) ? 2 : 1;
    if (node->n_args != want)
        return gnv__error_set(GNV_EINVAL, GNV_SUB_EXPR, "'%s' takes %d operands, not %d",
                              gnv__knode_name(node), want, (int)node->n_args);
    if (op != L_IS_NULL && op != L_IS_NOT_NULL) {
        for (int i = 0; i < want; i++) {
            const char *f = args[i].schema->format;
            if (strcmp(f, "b") != 0 && strcmp(f, "n") != 0)
                return gnv__error_set(GNV_EINVAL, GNV_SUB_EXPR,
                                      "'%s' needs boolean operands, not %s", gnv__knode_name(node),
                                      gnv__ktype_name(args[i].schema));
        }
    }
    return logic(out, op, &args[0], want == 2 ? &args[1] : NULL, n);
}

/* ---- comparisons -------------------------------------------------------- */

#define CMPLOOP(EXPR)                                                                              \
    for (int64_t j = 0; j < m; j += 8) {                                                           \
        uint8_t byte = 0;                                                                          \
        int64_t e = GNV_MIN(8, m - j);                                                             \
        for (int64_t t = 0; t < e; t++) {                                                          \
            int64_t x = xa[j + t], y = kb_[j + t];                                                 \
            byte |= (uint8_t)((EXPR) << t);                                                        \
        }                                                                                          \
        ov[j >> 3] = byte;                                                                         \
    }

#define CMPLOOP_S(EXPR)                                                                            \
    for (int64_t j = 0; j < m; j += 8) {                                                           \
        uint8_t byte = 0;                                                                          \
        int64_t e = GNV_MIN(8, m - j);                                                             \
        for (int64_t t = 0; t < e; t++) {                                                          \
            int64_t x = xa[j + t];                                                                 \
            byte |= (uint8_t)((EXPR) << t);                                                        \
        }                                                                                          \
        ov[j >> 3] = byte;                                                                         \
    }

gnv_expr_op gnv__expr_op_flip(gnv_expr_op op)
{
    switch (op) {
    case GNV_EX_LT:
        return GNV_EX_GT;
    case GNV_EX_LE:
        return GNV_EX_GE;
    case GNV_EX_GT:
        return GNV_EX_LT;
    case GNV_EX_GE:
        return GNV_EX_LE;
    default:
        return op;
    }
}

static bool bytes_like(gnv_type_id id)
{
    return gnv__type_is_binary_like(id) || id == GNV_TYPE_FIXED_SIZE_BINARY;
}

int gnv__kcompare(
    struct ArrowArray *out, gnv_expr_op op, const gnv_datum *a, const gnv_datum *b, int64_t n)
{
    int rc = GNV_OK;
    kin ka, kb;
    kout o;
    int64_t *ka_ = NULL, *kb_ = NULL;
    GNV_TRY(gnv__kin_init(&ka, a));
    GNV_TRY(gnv__kin_init(&kb, b));
    if (ka.type.id == GNV_TYPE_DECIMAL128 || kb.type.id == GNV_TYPE_DECIMAL128)
        return gnv__kdecimal_compare(out, op, a, b, n);
    bool keyed = gnv__kdom(ka.type.id) != KD_NONE && gnv__kdom(kb.type.id) != KD_NONE;
    bool bytes = bytes_like(ka.type.id) && bytes_like(kb.type.id);
    bool nulls = ka.type.id == GNV_TYPE_NA || kb.type.id == GNV_TYPE_NA;
    if (!keyed && !bytes && !nulls)
        return gnv__error_set(GNV_EINVAL, GNV_SUB_EXPR, "cannot compare %s with %s",
                              gnv__ktype_name(a->schema), gnv__ktype_name(b->schema));
    if (keyed && (gnv__kdom(ka.type.id) == KD_F64) != (gnv__kdom(kb.type.id) == KD_F64))
        return gnv__error_set(GNV_EINVAL, GNV_SUB_EXPR, "cannot compare %s with %s without a cast",
                              gnv__ktype_name(a->schema), gnv__ktype_name(b->schema));
    const kin *ins[2] = {&ka, &kb};
    GNV_TRY(gnv__kout_bool(&o, out, ins, 2, n));
    if (nulls || ka.all_null || kb.all_null)
        return gnv__kout_finish(&o);
    if (ka.scalar && !kb.scalar) {
        /* constant on the left: swap the sides */
        kin t = ka;
        ka = kb;
        kb = t;
        op = gnv__expr_op_flip(op);
    }
    if (keyed) {
        ka_ = gnv__malloc(KCHUNK * sizeof *ka_);
        kb_ = gnv__malloc(KCHUNK * sizeof *kb_);
        GNV_CHECK_ALLOC(ka_);
        GNV_CHECK_ALLOC(kb_);
        int64_t y0 = kb.scalar ? gnv__kkey1(&kb, 0) : 0;
        bool zeros = kb.scalar && gnv__kdom(ka.type.id) == KD_F64;
        if (zeros && y0 == KEY_NEG_ZERO)
            y0 = 0;
        for (int64_t s = 0; s < n; s += KCHUNK) {
            int64_t m = GNV_MIN(KCHUNK, n - s);
            uint8_t *ov = o.values + s / 8;
            const int64_t *xa = ka_;
            if (!ka.scalar && !ka.all_null && ka.data &&
                (ka.type.id == GNV_TYPE_INT64 || ka.type.id == GNV_TYPE_TIMESTAMP))
                xa = (const int64_t *)(const void *)ka.data + ka.off + s; /* keys as they are */
            else
                gnv__kload_key(&ka, s, m, ka_);
            if (zeros)
                for (int64_t j = 0; j < m; j++)
                    ka_[j] = ka_[j] == KEY_NEG_ZERO ? 0 : ka_[j];
            if (kb.scalar) {
                switch (op) {
                case GNV_EX_EQ:
                    CMPLOOP_S(x == y0)
                    break;
                case GNV_EX_NE:
                    CMPLOOP_S(x != y0)
                    break;
                case GNV_EX_LT:
                    CMPLOOP_S(x < y0)
                    break;
                case GNV_EX_LE:
                    CMPLOOP_S(x <= y0)
                    break;
                case GNV_EX_GT:
                    CMPLOOP_S(x > y0)
                    break;
                default:
                    CMPLOOP_S(x >= y0)
                    break;
                }
                continue;
            }
            gnv__kload_key(&kb, s, m, kb_);
            switch (op) {
            case GNV_EX_EQ:
                CMPLOOP(x == y)
                break;
            case GNV_EX_NE:
                CMPLOOP(x != y)
                break;
            case GNV_EX_LT:
                CMPLOOP(x < y)
                break;
            case GNV_EX_LE:
                CMPLOOP(x <= y)
                break;
            case GNV_EX_GT:
                CMPLOOP(x > y)
                break;
            default:
                CMPLOOP(x >= y)
                break;
            }
        }
    } else if ((op == GNV_EX_EQ || op == GNV_EX_NE) && kb.scalar && !ka.large &&
               ka.type.id != GNV_TYPE_FIXED_SIZE_BINARY) {
        /* the common "column = 'text'": lengths first, short values as words */
        int64_t lb;
        const uint8_t *pb = kin_bytes(&kb, 0, &lb);
        const int32_t *off = (const int32_t *)ka.offsets + ka.off;
        uint64_t wb = 0;
        if (lb <= 8)
            memcpy(&wb, pb, (size_t)lb);
        bool ne = op == GNV_EX_NE;
        for (int64_t s = 0; s < n; s += 8) {
            int64_t e = GNV_MIN(8, n - s);
            uint8_t byte = 0;
            for (int64_t t = 0; t < e; t++) {
                int64_t i = s + t, st = off[i], len = off[i + 1] - st;
                bool r = false;
                if (len == lb) {
                    if (lb == 8) {
                        uint64_t wa;
                        memcpy(&wa, ka.data + st, 8);
                        r = wa == wb;
                    } else if (lb < 8) {
                        r = true;
                        for (int64_t q = 0; q < lb; q++)
                            r &= ka.data[st + q] == pb[q];
                    } else {
                        r = memcmp(ka.data + st, pb, (size_t)lb) == 0;
                    }
                }
                byte |= (uint8_t)((r != ne) << t);
            }
            o.values[s >> 3] = byte;
        }
    } else {
        bool eq = op == GNV_EX_EQ || op == GNV_EX_NE;
        for (int64_t i = 0; i < n; i++) {
            int64_t la, lb;
            const uint8_t *pa = kin_bytes(&ka, i, &la), *pb = kin_bytes(&kb, i, &lb);
            bool r;
            if (eq) {
                r = la == lb && (la == 0 || memcmp(pa, pb, (size_t)la) == 0);
                if (op == GNV_EX_NE)
                    r = !r;
            } else {
                int64_t l = la < lb ? la : lb;
                int c = l > 0 ? memcmp(pa, pb, (size_t)l) : 0;
                if (!c)
                    c = la < lb ? -1 : la > lb;
                r = op == GNV_EX_LT   ? c < 0
                    : op == GNV_EX_LE ? c <= 0
                    : op == GNV_EX_GT ? c > 0
                                      : c >= 0;
            }
            if (r)
                o.values[i >> 3] |= (uint8_t)(1u << (i & 7));
        }
    }
    gnv__free(ka_);
    gnv__free(kb_);
    return gnv__kout_finish(&o);
done:
    gnv__free(ka_);
    gnv__free(kb_);
    gnv__kout_abort(&o);
    return rc;
}

static uint64_t key_hash(int64_t k)
{
    uint64_t x = (uint64_t)k * 0x9E3779B97F4A7C15ULL;
    return x ^ (x >> 29);
}

static uint64_t bytes_hash(const kin *k, int64_t i)
{
    int64_t len;
    const uint8_t *p = kin_bytes(k, i, &len);
    return gnv__xxh3(p, (size_t)len);
}

/* x IN (constants): one pass over x, each row checked against every item (through a hash
 * set when there are many). */
static int in_scalars(struct ArrowArray *out,
                      const gnv_expr_node *node,
                      const gnv_datum *args,
                      int64_t n,
                      bool *done_out)
{
    int rc = GNV_OK;
    int32_t ni = node->n_args - 1;
    kin kx;
    kin *items = NULL;
    int64_t *keys = NULL, *xk = NULL;
    int32_t *slots = NULL;
    int64_t cap = 32;
    kout o = {0};
    struct ArrowSchema bs = {0};
    *done_out = false;
    GNV_TRY(gnv__kin_init(&kx, &args[0]));
    bool keyed = gnv__kdom(kx.type.id) != KD_NONE;
    bool bytes = gnv__type_is_binary_like(kx.type.id);
    if (kx.scalar || (!keyed && !bytes) || ni < 1)
        return GNV_OK;
    items = gnv__calloc((size_t)ni, sizeof *items);
    keys = gnv__calloc((size_t)ni, sizeof *keys);
    xk = gnv__malloc(KCHUNK * sizeof *xk);
    GNV_CHECK_ALLOC(items);
    GNV_CHECK_ALLOC(keys);
    GNV_CHECK_ALLOC(xk);
    bool null_item = false;
    int32_t nv = 0; /* non-null items, packed first */
    for (int32_t i = 0; i < ni; i++) {
        kin k;
        GNV_TRYG(gnv__kin_init(&k, &args[1 + i]));
        if (!k.scalar || (k.type.id != kx.type.id && k.type.id != GNV_TYPE_NA))
            goto done; /* not all constants of x's type: the general path */
        if (k.all_null) {
            null_item = true;
            continue;
        }
        if (keyed && (gnv__kdom(k.type.id) == KD_F64) != (gnv__kdom(kx.type.id) == KD_F64))
            goto done;
        items[nv] = k;
        if (keyed)
            keys[nv] = gnv__kkey1(&k, 0);
        if (keyed && gnv__kdom(kx.type.id) == KD_F64 && keys[nv] == KEY_NEG_ZERO)
            keys[nv] = 0; /* constants: -0.0 = 0.0 */
        nv++;
    }
    bool neg = node->negated;
    if (nv >= 16) {
        /* many items: an open-addressing hash set of item indexes */
        while (cap < 2 * (int64_t)nv)
            cap *= 2;
        slots = gnv__malloc((size_t)cap * sizeof *slots);
        GNV_CHECK_ALLOC(slots);
        for (int64_t h = 0; h < cap; h++)
            slots[h] = -1;
        for (int32_t t = 0; t < nv; t++) {
            uint64_t h = keyed ? key_hash(keys[t]) : bytes_hash(&items[t], 0);
            while (slots[h & (uint64_t)(cap - 1)] >= 0)
                h++;
            slots[h & (uint64_t)(cap - 1)] = t;
        }
    }
    GNV_TRYG(gnv__schema_init(&bs, "b", "", ARROW_FLAG_NULLABLE));
    const kin *ins[1] = {&kx};
    GNV_TRYG(gnv__kout_init(&o, out, &bs, n, null_item || gnv__kany_null(ins, 1)));
    gnv__kvalidity_and(&o, ins, 1);
    for (int64_t s = 0; s < n; s += KCHUNK) {
        int64_t m = GNV_MIN(KCHUNK, n - s);
        if (keyed) {
            gnv__kload_key(&kx, s, m, xk);
            if (gnv__kdom(kx.type.id) == KD_F64)
                for (int64_t j = 0; j < m; j++)
                    xk[j] = xk[j] == KEY_NEG_ZERO ? 0 : xk[j];
        }
        for (int64_t j = 0; j < m; j++) {
            bool found = false;
            if (slots && keyed) {
                for (uint64_t h = key_hash(xk[j]);; h++) {
                    int32_t t = slots[h & (uint64_t)(cap - 1)];
                    if (t < 0 || (found = keys[t] == xk[j]))
                        break;
                }
            } else if (slots) {
                int64_t la;
                const uint8_t *pa = kin_bytes(&kx, s + j, &la);
                for (uint64_t h = bytes_hash(&kx, s + j);; h++) {
                    int32_t t = slots[h & (uint64_t)(cap - 1)];
                    if (t < 0)
                        break;
                    int64_t lb;
                    const uint8_t *pb = kin_bytes(&items[t], 0, &lb);
                    if ((found = la == lb && (la == 0 || memcmp(pa, pb, (size_t)la) == 0)))
                        break;
                }
            } else if (keyed) {
                for (int32_t t = 0; t < nv && !found; t++)
                    found = xk[j] == keys[t];
            } else {
                int64_t la;
                const uint8_t *pa = kin_bytes(&kx, s + j, &la);
                for (int32_t t = 0; t < nv && !found; t++) {
                    int64_t lb;
                    const uint8_t *pb = kin_bytes(&items[t], 0, &lb);
                    found = la == lb && (la == 0 || memcmp(pa, pb, (size_t)la) == 0);
                }
            }
            if (found != neg)
                kbit_set(o.values, s + j, true);
            if (!found && null_item)
                kbit_set(o.validity, s + j, false);
        }
    }
    *done_out = true;
    rc = gnv__kout_finish(&o);
    o.a = NULL;
done:
    if (rc < 0 || !*done_out)
        gnv__kout_abort(&o);
    gnv__schema_release(&bs);
    gnv__free(items);
    gnv__free(keys);
    gnv__free(xk);
    gnv__free(slots);
    return rc;
}

/* x IN (items): OR of equalities (NULL when not found and an item or x is NULL). */
static int
kernel_in(struct ArrowArray *out, const gnv_expr_node *node, const gnv_datum *args, int64_t n)
{
    int rc = GNV_OK;
    bool done_fast;
    GNV_TRY(in_scalars(out, node, args, n, &done_fast));
    if (done_fast)
        return GNV_OK;
    struct ArrowArray acc = {0}, eq = {0}, tmp = {0};
    struct ArrowSchema bs = {0};
    GNV_TRY(gnv__schema_init(&bs, "b", "", ARROW_FLAG_NULLABLE));
    {
        /* start from FALSE */
        kout o;
        GNV_TRYG(gnv__kout_init(&o, &acc, &bs, n, false));
        GNV_TRYG(gnv__kout_finish(&o));
    }
    for (int32_t i = 1; i < node->n_args; i++) {
        GNV_TRYG(gnv__kcompare(&eq, GNV_EX_EQ, &args[0], &args[i], n));
        gnv_datum da = kdatum(&bs, &acc, false), de = kdatum(&bs, &eq, false);
        GNV_TRYG(logic(&tmp, L_OR, &da, &de, n));
        gnv__array_release(&acc);
        gnv__array_release(&eq);
        gnv__array_move(&tmp, &acc);
    }
    if (node->negated) {
        gnv_datum da = kdatum(&bs, &acc, false);
        GNV_TRYG(logic(out, L_NOT, &da, NULL, n));
    } else {
        gnv__array_move(&acc, out);
    }
done:
    gnv__array_release(&acc);
    gnv__array_release(&eq);
    gnv__array_release(&tmp);
    gnv__schema_release(&bs);
    return rc;
}

static int
kernel_between(struct ArrowArray *out, const gnv_expr_node *node, const gnv_datum *args, int64_t n)
{
    int rc = GNV_OK;
    struct ArrowArray ge = {0}, le = {0}, both = {0};
    struct ArrowSchema bs = {0};
    GNV_TRY(gnv__schema_init(&bs, "b", "", ARROW_FLAG_NULLABLE));
    GNV_TRYG(gnv__kcompare(&ge, GNV_EX_GE, &args[0], &args[1], n));
    GNV_TRYG(gnv__kcompare(&le, GNV_EX_LE, &args[0], &args[2], n));
    gnv_datum a = kdatum(&bs, &ge, false), b = kdatum(&bs, &le, false);
    if (node->negated) {
        GNV_TRYG(logic(&both, L_AND, &a, &b, n));
        gnv_datum d = kdatum(&bs, &both, false);
        GNV_TRYG(logic(out, L_NOT, &d, NULL, n));
    } else {
        GNV_TRYG(logic(out, L_AND, &a, &b, n));
    }
done:
    gnv__array_release(&ge);
    gnv__array_release(&le);
    gnv__array_release(&both);
    gnv__schema_release(&bs);
    return rc;
}

int gnv__kernel_cmp(struct ArrowArray *out,
                    const gnv_expr_node *node,
                    const gnv_datum *args,
                    int64_t n)
{
    switch (node->op) {
    case GNV_EX_IN:
        if (node->n_args < 1)
            break;
        return kernel_in(out, node, args, n);
    case GNV_EX_BETWEEN:
        if (node->n_args != 3)
            break;
        return kernel_between(out, node, args, n);
    default:
        if (node->n_args != 2)
            break;
        if (args[0].schema && args[0].schema->n_children == 1 && args[0].schema->format[0] == '+')
            return gnv__klist_equal(out, node->op, &args[0], &args[1], n);
        return gnv__kcompare(out, node->op, &args[0], &args[1], n);
    }
    return gnv__error_set(GNV_EINVAL, GNV_SUB_EXPR, "'%s' has %d operands", gnv__knode_name(node),
                          (int)node->n_args);
}
