/*
 * Pattern matching: [NOT] LIKE / ILIKE with % and _ over UTF-8 characters and an escape
 * character (backslash unless ESCAPE gives another; ESCAPE '' disables escaping), and
 * regexp_match(str, pattern[, flags]) as a boolean "does it match" through POSIX
 * extended regular expressions (regcomp). A scalar pattern is compiled once per batch;
 * per-row patterns reuse the last compiled one while it does not change.
 */
#include <ctype.h>
#include <regex.h>
#include <string.h>

#include "expr/expr_kernel.h"

#define TOK_ANY 0xFFFFFFFFu /* % */
#define TOK_ONE 0xFFFFFFFEu /* _ */

typedef struct pat {
    uint32_t *tok;
    int64_t n, cap;
    /* simple shapes of case-sensitive patterns: literal bytes with % only at the ends */
    int shape; /* 0 general, 1 exact, 2 prefix, 3 suffix, 4 contains */
    gnv_buf lit;
} pat;

static int pat_compile(pat *p, const uint8_t *s, int64_t len, int64_t esc, bool ci)
{
    if (p->cap < len + 1) {
        uint32_t *t = gnv__reallocarray(p->tok, (size_t)len + 1, sizeof *t);
        if (!t)
            return gnv__error_oom();
        p->tok = t;
        p->cap = len + 1;
    }
    p->n = 0;
    gnv__buf_clear(&p->lit);
    bool lead = false, trail = false, mid_wild = false, any_ci = ci;
    for (int64_t i = 0; i < len;) {
        uint32_t c;
        i = gnv__u8_next(s, len, i, &c);
        uint32_t t;
        if (esc >= 0 && c == (uint32_t)esc) {
            if (i < len) {
                i = gnv__u8_next(s, len, i, &c);
                t = c;
            } else {
                t = c; /* a trailing escape stands for itself */
            }
        } else if (c == '%') {
            t = TOK_ANY;
        } else if (c == '_') {
            t = TOK_ONE;
        } else {
            t = c;
        }
        if (t == TOK_ANY && p->n > 0 && p->tok[p->n - 1] == TOK_ANY)
            continue; /* %% is % */
        if (ci && t != TOK_ANY && t != TOK_ONE)
            t = gnv__u8_lower(t);
        p->tok[p->n++] = t;
    }
    /* shape */
    p->shape = 0;
    if (!any_ci) {
        int64_t a = 0, b = p->n;
        if (b > 0 && p->tok[0] == TOK_ANY)
            lead = true, a = 1;
        if (b > a && p->tok[b - 1] == TOK_ANY)
            trail = true, b--;
        for (int64_t i = a; i < b; i++)
            if (p->tok[i] == TOK_ANY || p->tok[i] == TOK_ONE)
                mid_wild = true;
        if (!mid_wild) {
            for (int64_t i = a; i < b; i++) {
                uint8_t u[4];
                GNV_TRY(gnv__buf_put(&p->lit, u, (size_t)gnv__u8_put(u, p->tok[i])));
            }
            p->shape = lead ? (trail ? 4 : 3) : (trail ? 2 : 1);
        }
    }
    return GNV_OK;
}

static bool pat_match(const pat *p, const uint8_t *s, int64_t len, bool ci)
{
    const uint8_t *lit = (const uint8_t *)p->lit.ptr;
    int64_t ll = (int64_t)p->lit.size;
    switch (p->shape) {
    case 1:
        return ll == len && (ll == 0 || memcmp(s, lit, (size_t)ll) == 0);
    case 2:
        return ll <= len && (ll == 0 || memcmp(s, lit, (size_t)ll) == 0);
    case 3:
        return ll <= len && (ll == 0 || memcmp(s + len - ll, lit, (size_t)ll) == 0);
    case 4:
        return ll == 0 || (ll <= len && memmem(s, (size_t)len, lit, (size_t)ll) != NULL);
    default:
        break;
    }
    /* greedy matching with backtracking to the last % */
    int64_t si = 0, pi = 0, star_pi = -1, star_si = 0;
    while (si < len) {
        uint32_t c = s[si];
        int64_t next = si + 1;
        if (c >= 0x80)
            next = gnv__u8_next(s, len, si, &c);
        if (ci)
            c = c < 0x80 ? (c >= 'A' && c <= 'Z' ? c + 32 : c) : gnv__u8_lower(c);
        if (pi < p->n && p->tok[pi] == TOK_ANY) {
            star_pi = pi++;
            star_si = si;
            continue;
        }
        if (pi < p->n && (p->tok[pi] == TOK_ONE || p->tok[pi] == c)) {
            pi++;
            si = next;
            continue;
        }
        if (star_pi < 0)
            return false;
        pi = star_pi + 1;
        uint32_t d;
        star_si = gnv__u8_next(s, len, star_si, &d);
        si = star_si;
    }
    while (pi < p->n && p->tok[pi] == TOK_ANY)
        pi++;
    return pi == p->n;
}

static int
kernel_regexp(struct ArrowArray *out, const gnv_expr_node *node, const gnv_datum *args, int64_t n);

int gnv__kernel_like(struct ArrowArray *out,
                     const gnv_expr_node *node,
                     const gnv_datum *args,
                     int64_t n)
{
    int rc = GNV_OK;
    kin k[3];
    kout o = {0};
    pat p = {0};
    if (node->op == GNV_EX_CALL)
        return kernel_regexp(out, node, args, n);
    int nargs = node->n_args;
    if (nargs < 2 || nargs > 3)
        return gnv__error_set(GNV_EINVAL, GNV_SUB_EXPR, "LIKE takes 2 or 3 operands");
    for (int i = 0; i < nargs; i++) {
        if (!args[i].schema) {
            nargs = i;
            break;
        }
        GNV_TRY(gnv__kin_init(&k[i], &args[i]));
        if (!gnv__type_is_binary_like(k[i].type.id) && k[i].type.id != GNV_TYPE_NA)
            return gnv__error_set(GNV_EINVAL, GNV_SUB_EXPR, "LIKE needs strings, not %s",
                                  gnv__ktype_name(args[i].schema));
    }
    int64_t esc = '\\';
    if (nargs == 3) {
        if (!k[2].scalar)
            return gnv__error_set(GNV_EINVAL, GNV_SUB_EXPR,
                                  "the ESCAPE of LIKE must be a constant");
        if (k[2].all_null)
            esc = -1;
        else {
            int64_t el;
            const uint8_t *e = kin_bytes(&k[2], 0, &el);
            uint32_t c = 0;
            int64_t end = el > 0 ? gnv__u8_next(e, el, 0, &c) : 0;
            if (end != el)
                return gnv__error_set(GNV_EINVAL, GNV_SUB_EXPR,
                                      "invalid escape string '%.*s': it must be one character",
                                      (int)el, (const char *)e);
            esc = el == 0 ? -1 : (int64_t)c;
        }
    }
    const kin *ins[2] = {&k[0], &k[1]};
    GNV_TRY(gnv__kout_bool(&o, out, ins, 2, n));
    if (k[0].all_null || k[1].all_null)
        goto finish;
    bool ci = node->case_insensitive;
    if (k[1].scalar) {
        int64_t pl;
        const uint8_t *ps = kin_bytes(&k[1], 0, &pl);
        GNV_TRYG(pat_compile(&p, ps, pl, esc, ci));
    }
    for (int64_t i = 0; i < n; i++) {
        if (o.validity && !kbit(o.validity, i))
            continue;
        if (!k[1].scalar) {
            int64_t pl;
            const uint8_t *ps = kin_bytes(&k[1], i, &pl);
            GNV_TRYG(pat_compile(&p, ps, pl, esc, ci));
        }
        int64_t len;
        const uint8_t *s = kin_bytes(&k[0], i, &len);
        if (pat_match(&p, s, len, ci) != node->negated)
            o.values[i >> 3] |= (uint8_t)(1u << (i & 7));
    }
finish:
    rc = gnv__kout_finish(&o);
    o.a = NULL;
done:
    if (rc < 0)
        gnv__kout_abort(&o);
    gnv__free(p.tok);
    gnv_buf_dispose(&p.lit);
    return rc;
}

/* ---- regexp_match ------------------------------------------------------- */

typedef struct rx {
    regex_t re;
    bool have;
    gnv_buf src; /* the pattern and flags it was compiled from */
} rx;

static int
rx_compile(rx *r, const uint8_t *pt, int64_t pl, const uint8_t *fl, int64_t fll, bool subs)
{
    gnv_buf key = GNV_BUF_INIT;
    int rc = GNV_OK;
    GNV_TRYG(gnv__buf_put(&key, pt, (size_t)pl));
    GNV_TRYG(gnv__buf_putc(&key, 0));
    GNV_TRYG(gnv__buf_put(&key, fl, (size_t)fll));
    GNV_TRYG(gnv__buf_putc(&key, subs ? 's' : 'n'));
    if (r->have && key.size == r->src.size && memcmp(key.ptr, r->src.ptr, key.size) == 0)
        goto done;
    if (r->have)
        regfree(&r->re);
    r->have = false;
    int cflags = REG_EXTENDED | (subs ? 0 : REG_NOSUB);
    for (int64_t i = 0; i < fll; i++) {
        if (fl[i] == 'i')
            cflags |= REG_ICASE;
        else if (fl[i] == 'c')
            cflags &= ~REG_ICASE;
        else
            GNV_ERR_IF(true, GNV_EINVAL, GNV_SUB_EXPR,
                       "regexp_match(): flag '%c' is not supported (only 'i' and 'c')", fl[i]);
    }
    GNV_ERR_IF(memchr(pt, 0, (size_t)pl) != NULL, GNV_EINVAL, GNV_SUB_EXPR,
               "regexp_match(): the pattern contains a NUL character");
    int e = regcomp(&r->re, key.ptr, cflags);
    if (e != 0) {
        char msg[200];
        regerror(e, &r->re, msg, sizeof msg);
        GNV_ERR_IF(true, GNV_EINVAL, GNV_SUB_EXPR,
                   "regexp_match(): bad regular expression '%s': %s", key.ptr, msg);
    }
    r->have = true;
    gnv_buf_dispose(&r->src);
    r->src = key;
    key = (gnv_buf)GNV_BUF_INIT;
done:
    gnv_buf_dispose(&key);
    return rc;
}

/* regexp_match as DataFusion computes it: per row the list of the capture groups of the
 * first match (the whole match when the pattern has no group; a group that took no part
 * is NULL), or NULL without a match. */
static int regexp_captures(
    struct ArrowArray *out, const gnv_expr_node *node, const kin *k, int nargs, int64_t n)
{
    int rc = GNV_OK;
    rx r = {0};
    gnv_buf sbuf = GNV_BUF_INIT;
    bool inited = false;
    GNV_TRYG(gnv__array_init(out, &node->type));
    inited = true;
    GNV_ERR_IF(out->n_children != 1, GNV_EINVAL, GNV_SUB_EXPR,
               "regexp_match() returns a list, not %s", gnv__ktype_name(&node->type));
    bool none = false;
    for (int i = 0; i < nargs; i++)
        none |= k[i].all_null;
    for (int64_t i = 0; i < n; i++) {
        bool valid = !none;
        for (int a = 0; a < nargs && valid; a++)
            valid = kin_valid(&k[a], i);
        if (!valid) {
            GNV_TRYG(gnv__array_append_null(out, 1));
            continue;
        }
        int64_t pl, fll = 0, len;
        const uint8_t *pt = kin_bytes(&k[1], i, &pl), *fl = (const uint8_t *)"";
        if (nargs > 2)
            fl = kin_bytes(&k[2], i, &fll);
        GNV_TRYG(rx_compile(&r, pt, pl, fl, fll, true));
        const uint8_t *s = kin_bytes(&k[0], i, &len);
        gnv__buf_clear(&sbuf);
        GNV_TRYG(gnv__buf_put(&sbuf, s, (size_t)len));
        GNV_TRYG(gnv__buf_putc(&sbuf, 0));
        regmatch_t m[10];
        size_t ng = r.re.re_nsub < 9 ? r.re.re_nsub : 9;
        if (regexec(&r.re, sbuf.ptr, 10, m, 0) != 0) {
            GNV_TRYG(gnv__array_append_null(out, 1));
            continue;
        }
        for (size_t g = ng ? 1 : 0; g <= ng; g++) {
            if (m[g].rm_so < 0)
                GNV_TRYG(gnv__array_append_null(out->children[0], 1));
            else
                GNV_TRYG(gnv__array_append_bytes(out->children[0], sbuf.ptr + m[g].rm_so,
                                                 (size_t)(m[g].rm_eo - m[g].rm_so)));
        }
        GNV_TRYG(gnv__array_finish_element(out));
    }
    GNV_TRYG(gnv__array_finish(out));
done:
    if (rc < 0 && inited)
        gnv__array_release(out);
    if (r.have)
        regfree(&r.re);
    gnv_buf_dispose(&r.src);
    gnv_buf_dispose(&sbuf);
    return rc;
}

static int
kernel_regexp(struct ArrowArray *out, const gnv_expr_node *node, const gnv_datum *args, int64_t n)
{
    int rc = GNV_OK;
    kin k[3];
    kout o = {0};
    rx r = {0};
    gnv_buf sbuf = GNV_BUF_INIT;
    int nargs = node->n_args;
    if (nargs < 2 || nargs > 3)
        return gnv__error_set(GNV_EINVAL, GNV_SUB_EXPR, "regexp_match() takes 2 or 3 arguments");
    for (int i = 0; i < nargs; i++) {
        GNV_TRY(gnv__kin_init(&k[i], &args[i]));
        if (!gnv__type_is_binary_like(k[i].type.id) && k[i].type.id != GNV_TYPE_NA)
            return gnv__error_set(GNV_EINVAL, GNV_SUB_EXPR, "regexp_match() needs strings, not %s",
                                  gnv__ktype_name(args[i].schema));
    }
    if (strcmp(node->type.format, "b") != 0)
        return regexp_captures(out, node, k, nargs, n);
    const kin *ins[3] = {&k[0], &k[1], &k[2]};
    GNV_TRY(gnv__kout_init(&o, out, &node->type, n, gnv__kany_null(ins, nargs)));
    gnv__kvalidity_and(&o, ins, nargs);
    for (int i = 0; i < nargs; i++)
        if (k[i].all_null)
            goto finish;
    for (int64_t i = 0; i < n; i++) {
        if (o.validity && !kbit(o.validity, i))
            continue;
        int64_t pl, fll = 0, len;
        const uint8_t *pt = kin_bytes(&k[1], i, &pl), *fl = (const uint8_t *)"";
        if (nargs > 2)
            fl = kin_bytes(&k[2], i, &fll);
        GNV_TRYG(rx_compile(&r, pt, pl, fl, fll, false));
        const uint8_t *s = kin_bytes(&k[0], i, &len);
        gnv__buf_clear(&sbuf);
        GNV_TRYG(gnv__buf_put(&sbuf, s, (size_t)len));
        GNV_TRYG(gnv__buf_putc(&sbuf, 0));
        /* text after an embedded NUL is not seen by regexec */
        if (regexec(&r.re, sbuf.ptr, 0, NULL, 0) == 0)
            o.values[i >> 3] |= (uint8_t)(1u << (i & 7));
    }
finish:
    rc = gnv__kout_finish(&o);
    o.a = NULL;
done:
    if (rc < 0)
        gnv__kout_abort(&o);
    if (r.have)
        regfree(&r.re);
    gnv_buf_dispose(&r.src);
    gnv_buf_dispose(&sbuf);
    return rc;
}

/* ---- regexp_replace ------------------------------------------------------ */

/* Append the replacement for one match: $N, ${N} and \N name groups (N < 10 here),
 * $$ is a dollar; other text is copied. */
static int put_replacement(
    gnv_buf *b, const char *subj, const regmatch_t *m, size_t nm, const uint8_t *rp, int64_t rl)
{
    for (int64_t j = 0; j < rl; j++) {
        int g = -1;
        int64_t skip = 0;
        if (rp[j] == '$' && j + 1 < rl && rp[j + 1] == '$') {
            GNV_TRY(gnv__buf_putc(b, '$'));
            j++;
            continue;
        }
        if ((rp[j] == '$' || rp[j] == '\\') && j + 1 < rl && isdigit(rp[j + 1])) {
            g = rp[j + 1] - '0';
            skip = 1;
        } else if (rp[j] == '$' && j + 3 < rl && rp[j + 1] == '{' && isdigit(rp[j + 2]) &&
                   rp[j + 3] == '}') {
            g = rp[j + 2] - '0';
            skip = 3;
        }
        if (g < 0) {
            GNV_TRY(gnv__buf_putc(b, (char)rp[j]));
            continue;
        }
        if ((size_t)g < nm && m[g].rm_so >= 0)
            GNV_TRY(gnv__buf_put(b, subj + m[g].rm_so, (size_t)(m[g].rm_eo - m[g].rm_so)));
        j += skip;
    }
    return GNV_OK;
}

int gnv__kernel_regexp_replace(struct ArrowArray *out,
                               const gnv_expr_node *node,
                               const gnv_datum *args,
                               int64_t n)
{
    int rc = GNV_OK;
    kin k[4];
    kout o = {0};
    regex_t re;
    bool have = false;
    gnv_buf key = GNV_BUF_INIT, cur = GNV_BUF_INIT, sbuf = GNV_BUF_INIT, res = GNV_BUF_INIT;
    int nargs = node->n_args;
    if (nargs < 3 || nargs > 4)
        return gnv__error_set(GNV_EINVAL, GNV_SUB_EXPR, "regexp_replace() takes 3 or 4 arguments");
    for (int i = 0; i < nargs; i++) {
        GNV_TRY(gnv__kin_init(&k[i], &args[i]));
        if (!gnv__type_is_binary_like(k[i].type.id) && k[i].type.id != GNV_TYPE_NA)
            return gnv__error_set(GNV_EINVAL, GNV_SUB_EXPR,
                                  "regexp_replace() needs strings, not %s",
                                  gnv__ktype_name(args[i].schema));
    }
    const kin *ins[4] = {&k[0], &k[1], &k[2], &k[3]};
    GNV_TRY(gnv__kout_init(&o, out, &node->type, n, gnv__kany_null(ins, nargs)));
    gnv__kvalidity_and(&o, ins, nargs);
    bool none = false;
    for (int i = 0; i < nargs; i++)
        none |= k[i].all_null;
    for (int64_t i = 0; i < n; i++) {
        gnv__buf_clear(&res);
        if (none || (o.validity && !kbit(o.validity, i))) {
            GNV_TRYG(gnv__kout_put_str(&o, i, NULL, 0));
            continue;
        }
        int64_t pl, fll = 0, rl, len;
        const uint8_t *pt = kin_bytes(&k[1], i, &pl), *fl = (const uint8_t *)"";
        const uint8_t *rp = kin_bytes(&k[2], i, &rl);
        if (nargs > 3)
            fl = kin_bytes(&k[3], i, &fll);
        /* compile when the pattern or flags change */
        gnv__buf_clear(&key);
        GNV_TRYG(gnv__buf_put(&key, pt, (size_t)pl));
        GNV_TRYG(gnv__buf_putc(&key, 0));
        GNV_TRYG(gnv__buf_put(&key, fl, (size_t)fll));
        bool global = false;
        int cflags = REG_EXTENDED;
        for (int64_t j = 0; j < fll; j++) {
            if (fl[j] == 'g')
                global = true;
            else if (fl[j] == 'i')
                cflags |= REG_ICASE;
            else if (fl[j] != 'c')
                GNV_ERR_IF(true, GNV_EINVAL, GNV_SUB_EXPR,
                           "regexp_replace(): flag '%c' is not supported (only 'g', 'i' and 'c')",
                           fl[j]);
        }
        if (!have || key.size != cur.size || memcmp(key.ptr, cur.ptr, key.size) != 0) {
            if (have)
                regfree(&re);
            have = false;
            GNV_ERR_IF(memchr(pt, 0, (size_t)pl) != NULL, GNV_EINVAL, GNV_SUB_EXPR,
                       "regexp_replace(): the pattern contains a NUL character");
            int e = regcomp(&re, key.ptr, cflags);
            if (e != 0) {
                char msg[200];
                regerror(e, &re, msg, sizeof msg);
                GNV_ERR_IF(true, GNV_EINVAL, GNV_SUB_EXPR,
                           "regexp_replace(): bad regular expression '%s': %s", key.ptr, msg);
            }
            have = true;
            gnv__buf_clear(&cur);
            GNV_TRYG(gnv__buf_put(&cur, key.ptr, key.size));
        }
        const uint8_t *s = kin_bytes(&k[0], i, &len);
        gnv__buf_clear(&sbuf);
        GNV_TRYG(gnv__buf_put(&sbuf, s, (size_t)len));
        GNV_TRYG(gnv__buf_putc(&sbuf, 0));
        const char *subj = sbuf.ptr;
        size_t slen = strlen(subj), at = 0;
        regmatch_t m[10];
        while (at <= slen) {
            int eflags = at > 0 ? REG_NOTBOL : 0;
            if (regexec(&re, subj + at, 10, m, eflags) != 0)
                break;
            GNV_TRYG(gnv__buf_put(&res, subj + at, (size_t)m[0].rm_so));
            GNV_TRYG(put_replacement(&res, subj + at, m, 10, rp, rl));
            size_t adv = (size_t)m[0].rm_eo;
            if (m[0].rm_eo == m[0].rm_so) {
                /* an empty match: copy one character and go on */
                if (at + adv < slen)
                    GNV_TRYG(gnv__buf_putc(&res, subj[at + adv]));
                adv++;
            }
            at += adv;
            if (!global)
                break;
        }
        if (at < slen)
            GNV_TRYG(gnv__buf_put(&res, subj + at, slen - at));
        /* text after an embedded NUL is kept as it was */
        if ((size_t)len > slen)
            GNV_TRYG(gnv__buf_put(&res, s + slen, (size_t)len - slen));
        GNV_TRYG(gnv__kout_put_str(&o, i, res.ptr, res.size));
    }
    rc = gnv__kout_finish(&o);
    o.a = NULL;
done:
    if (rc < 0)
        gnv__kout_abort(&o);
    if (have)
        regfree(&re);
    gnv_buf_dispose(&key);
    gnv_buf_dispose(&cur);
    gnv_buf_dispose(&sbuf);
    gnv_buf_dispose(&res);
    return rc;
}
