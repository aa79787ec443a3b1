/*
 * The Lance schema: a flat list of Field messages (ids depth-first, parent_id -1 at the
 * top) with LanceDB's logical type names, to and from an Arrow struct schema; and the
 * leaf-column plan the data file writer and reader share.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format/format_file.h"

/* ---- Arrow -> Lance ------------------------------------------------------ */

static const char *unit_name(gnv_time_unit u)
{
    switch (u) {
    case GNV_UNIT_SECOND:
        return "s";
    case GNV_UNIT_MILLI:
        return "ms";
    case GNV_UNIT_MICRO:
        return "us";
    default:
        return "ns";
    }
}

/* The logical type name of a primitive (non-nested) type, or NULL. */
static const char *primitive_name(const gnv_type *t)
{
    switch (t->id) {
    case GNV_TYPE_NA:
        return "null";
    case GNV_TYPE_BOOL:
        return "bool";
    case GNV_TYPE_INT8:
        return "int8";
    case GNV_TYPE_UINT8:
        return "uint8";
    case GNV_TYPE_INT16:
        return "int16";
    case GNV_TYPE_UINT16:
        return "uint16";
    case GNV_TYPE_INT32:
        return "int32";
    case GNV_TYPE_UINT32:
        return "uint32";
    case GNV_TYPE_INT64:
        return "int64";
    case GNV_TYPE_UINT64:
        return "uint64";
    case GNV_TYPE_HALF_FLOAT:
        return "halffloat";
    case GNV_TYPE_FLOAT:
        return "float";
    case GNV_TYPE_DOUBLE:
        return "double";
    case GNV_TYPE_STRING:
        return "string";
    case GNV_TYPE_LARGE_STRING:
        return "large_string";
    case GNV_TYPE_BINARY:
        return "binary";
    case GNV_TYPE_LARGE_BINARY:
        return "large_binary";
    case GNV_TYPE_DATE32:
        return "date32:day";
    default:
        return NULL;
    }
}

/* Write the logical type of schema `s` (type t) into buf. */
static int logical_type(char *buf, size_t n, const struct ArrowSchema *s, const gnv_type *t)
{
    const char *p = primitive_name(t);
    if (p) {
        snprintf(buf, n, "%s", p);
        return GNV_OK;
    }
    switch (t->id) {
    case GNV_TYPE_FIXED_SIZE_BINARY:
        snprintf(buf, n, "fixed_size_binary:%d", t->fixed_size);
        break;
    case GNV_TYPE_TIMESTAMP:
        /* Lance keeps the type as "timestamp:unit:zone" and splits it at ':', so a zone
         * written with a colon would make a table LanceDB cannot open. */
        if (t->timezone && strchr(t->timezone, ':'))
            return gnv__error_set(GNV_ENOTSUP, GNV_SUB_FORMAT,
                                  "field '%s': time zone '%s' cannot be stored in a Lance "
                                  "table (Lance type names cannot hold ':'); use 'UTC', a "
                                  "named zone such as 'Asia/Kolkata', or convert to UTC",
                                  s->name ? s->name : "", t->timezone);
        snprintf(buf, n, "timestamp:%s:%s", unit_name(t->unit),
                 t->timezone && *t->timezone ? t->timezone : "-");
        break;
    case GNV_TYPE_STRUCT:
        snprintf(buf, n, "struct");
        break;
    case GNV_TYPE_LIST:
    case GNV_TYPE_LARGE_LIST: {
        gnv_type ct;
        GNV_TRY(gnv__type_parse(&ct, s->children[0]->format));
        snprintf(buf, n, "%s%s", t->id == GNV_TYPE_LIST ? "list" : "large_list",
                 ct.id == GNV_TYPE_STRUCT ? ".struct" : "");
        break;
    }
    case GNV_TYPE_FIXED_SIZE_LIST: {
        gnv_type ct;
        GNV_TRY(gnv__type_parse(&ct, s->children[0]->format));
        char inner[128];
        GNV_TRY(logical_type(inner, sizeof inner, s->children[0], &ct));
        snprintf(buf, n, "fixed_size_list:%s:%d", inner, t->fixed_size);
        break;
    }
    default:
        return gnv__error_set(GNV_ENOTSUP, GNV_SUB_FORMAT,
                              "field '%s': type %s cannot be stored in a Lance file",
                              s->name ? s->name : "", gnv__type_id_name(t->id));
    }
    return GNV_OK;
}

/* A fixed_size_list whose items are a fixed-width primitive, bools, or (nested) such
 * fixed_size_lists is one Lance leaf, as LanceDB stores it. */
static bool fsl_is_leaf(const struct ArrowSchema *s)
{
    gnv_type ct;
    if (s->n_children != 1 || s->children[0]->dictionary ||
        gnv__type_parse(&ct, s->children[0]->format) < 0)
        return false;
    if (ct.id == GNV_TYPE_FIXED_SIZE_LIST)
        return fsl_is_leaf(s->children[0]);
    return !gnv__type_is_nested(ct.id) && !gnv__type_is_binary_like(ct.id) && ct.id != GNV_TYPE_NA;
}

/* Why a fixed_size_list is not a leaf (for the error message). */
static const char *fsl_refusal(const struct ArrowSchema *s)
{
    gnv_type ct;
    while (s->n_children == 1 && gnv__type_parse(&ct, s->children[0]->format) == 0 &&
           ct.id == GNV_TYPE_FIXED_SIZE_LIST && !s->children[0]->dictionary)
        s = s->children[0];
    if (s->n_children != 1 || gnv__type_parse(&ct, s->children[0]->format) < 0)
        return "fixed_size_list without an item type";
    if (s->children[0]->dictionary)
        return "a fixed_size_list of dictionary-encoded items cannot be stored in a Lance file";
    if (gnv__type_is_binary_like(ct.id))
        return "a fixed_size_list of strings or binary cannot be stored in a Lance file "
               "(LanceDB cannot write one either); use a list";
    if (ct.id == GNV_TYPE_NA)
        return "a fixed_size_list of nulls cannot be stored in a Lance file";
    return "a fixed_size_list of lists or structs cannot be stored in a Lance 2.1/2.2 file "
           "(LanceDB refuses it too); use a list";
}

typedef struct field_list {
    Gnvpb__Field **items;
    size_t n, cap;
} field_list;

static int copy_metadata(Gnvpb__Field *f, const char *md)
{
    int64_t count = 0;
    gnv_metadata_iter it;
    const char *k, *v;
    int32_t kl, vl;
    gnv__metadata_iter_init(&it, md);
    while (gnv__metadata_iter_next(&it, &k, &kl, &v, &vl))
        count++;
    if (count == 0)
        return GNV_OK;
    f->metadata = gnv__calloc((size_t)count, sizeof *f->metadata);
    if (!f->metadata)
        return gnv__error_oom();
    gnv__metadata_iter_init(&it, md);
    while (gnv__metadata_iter_next(&it, &k, &kl, &v, &vl)) {
        Gnvpb__BytesEntry *e = gnv__malloc(sizeof *e);
        if (!e)
            return gnv__error_oom();
        gnvpb__bytes_entry__init(e);
        f->metadata[f->n_metadata++] = e;
        e->key = gnv__strndup(k, (size_t)kl);
        e->value.data = gnv__malloc(vl > 0 ? (size_t)vl : 1);
        if (!e->key || !e->value.data)
            return gnv__error_oom();
        memcpy(e->value.data, v, (size_t)vl);
        e->value.len = (size_t)vl;
        e->has_value = true;
    }
    return GNV_OK;
}

static void field_free(Gnvpb__Field *f)
{
    if (!f)
        return;
    gnv__free(f->name);
    gnv__free(f->logical_type);
    for (size_t i = 0; i < f->n_metadata; i++) {
        if (!f->metadata[i])
            continue;
        gnv__free(f->metadata[i]->key);
        gnv__free(f->metadata[i]->value.data);
        gnv__free(f->metadata[i]);
    }
    gnv__free(f->metadata);
    gnv__free(f->extension_name);
    gnv__free(f);
}

static int
add_field(field_list *fl, const struct ArrowSchema *s, int32_t parent, int32_t *next_id, int depth)
{
    if (depth > GNV_LF_MAX_DEPTH)
        return gnv__error_set(GNV_ENOTSUP, GNV_SUB_FORMAT, "field '%s' is nested too deeply",
                              s->name ? s->name : "");
    /* a dictionary-encoded field is stored as its value type (see format.h) */
    const struct ArrowSchema *field = s;
    while (s->dictionary)
        s = s->dictionary;
    gnv_type t;
    GNV_TRY(gnv__type_parse(&t, s->format));
    char lt[256];
    GNV_TRY(logical_type(lt, sizeof lt, s, &t));
    if (fl->n == fl->cap) {
        size_t cap = fl->cap ? fl->cap * 2 : 16;
        Gnvpb__Field **p = gnv__reallocarray(fl->items, cap, sizeof *p);
        if (!p)
            return gnv__error_oom();
        fl->items = p;
        fl->cap = cap;
    }
    Gnvpb__Field *f = gnv__malloc(sizeof *f);
    if (!f)
        return gnv__error_oom();
    gnvpb__field__init(f);
    fl->items[fl->n++] = f;
    int32_t id = (*next_id)++;
    f->name = gnv__strdup(field->name ? field->name : "");
    f->logical_type = gnv__strdup(lt);
    if (!f->name || !f->logical_type)
        return gnv__error_oom();
    f->has_id = f->has_parent_id = f->has_nullable = f->has_encoding = true;
    f->id = id;
    f->parent_id = parent;
    f->nullable = (field->flags & ARROW_FLAG_NULLABLE) != 0;
    f->encoding = gnv__type_is_binary_like(t.id) ? GNVPB__FIELD__LEGACY_ENCODING__VAR_BINARY
                                                 : GNVPB__FIELD__LEGACY_ENCODING__PLAIN;
    GNV_TRY(copy_metadata(f, field->metadata));
    if (t.id == GNV_TYPE_FIXED_SIZE_LIST && fsl_is_leaf(s))
        return GNV_OK;
    for (int64_t i = 0; i < s->n_children; i++)
        GNV_TRY(add_field(fl, s->children[i], id, next_id, depth + 1));
    return GNV_OK;
}

int gnv__lance_fields_from_arrow(Gnvpb__Field ***out,
                                 size_t *n_out,
                                 const struct ArrowSchema *schema,
                                 int32_t *next_id)
{
    field_list fl = {0};
    int rc = GNV_OK;
    GNV_ERR_IF(strcmp(schema->format, "+s") != 0, GNV_EINVAL, GNV_SUB_FORMAT,
               "a Lance schema needs an Arrow struct schema, got format '%s'", schema->format);
    for (int64_t i = 0; i < schema->n_children; i++)
        GNV_TRYG(add_field(&fl, schema->children[i], -1, next_id, 1));
    *out = fl.items;
    *n_out = fl.n;
    return GNV_OK;
done:
    gnv__lance_fields_free(fl.items, fl.n);
    return rc;
}

void gnv__lance_fields_free(Gnvpb__Field **fields, size_t n)
{
    if (!fields)
        return;
    for (size_t i = 0; i < n; i++)
        field_free(fields[i]);
    gnv__free(fields);
}

static int undict(struct ArrowSchema *s)
{
    while (s->dictionary) {
        struct ArrowSchema v = {0};
        int rc = gnv__schema_copy(&v, s->dictionary);
        if (rc == GNV_OK)
            rc = gnv__schema_set_name(&v, s->name ? s->name : "");
        if (rc == GNV_OK)
            rc = gnv__schema_set_metadata(&v, s->metadata);
        if (rc < 0) {
            gnv__schema_release(&v);
            return rc;
        }
        v.flags = s->flags;
        gnv__schema_release(s);
        memcpy(s, &v, sizeof v);
    }
    for (int64_t i = 0; i < s->n_children; i++)
        GNV_TRY(undict(s->children[i]));
    return GNV_OK;
}

bool gnv__lance_schema_has_dictionary(const struct ArrowSchema *s)
{
    if (s->dictionary)
        return true;
    for (int64_t i = 0; i < s->n_children; i++)
        if (gnv__lance_schema_has_dictionary(s->children[i]))
            return true;
    return false;
}

int gnv__lance_schema_decoded(struct ArrowSchema *out, const struct ArrowSchema *schema)
{
    GNV_TRY(gnv__schema_copy(out, schema));
    int rc = undict(out);
    if (rc < 0)
        gnv__schema_release(out);
    return rc;
}

/* ---- Lance -> Arrow ------------------------------------------------------ */

static int bad_type(const Gnvpb__Field *f)
{
    return gnv__error_set(GNV_ENOTSUP, GNV_SUB_FORMAT,
                          "field '%s' (id %d) has Lance logical type '%s', which is not supported",
                          f->name ? f->name : "", (int)f->id,
                          f->logical_type ? f->logical_type : "");
}

/* Arrow format string of a primitive logical type name (n chars), or NULL. */
static const char *primitive_format(const char *lt, size_t n)
{
    static const char *const map[][2] = {
        {"null", "n"},         {"bool", "b"},         {"int8", "c"},         {"uint8", "C"},
        {"int16", "s"},        {"uint16", "S"},       {"int32", "i"},        {"uint32", "I"},
        {"int64", "l"},        {"uint64", "L"},       {"halffloat", "e"},    {"float", "f"},
        {"double", "g"},       {"string", "u"},       {"large_string", "U"}, {"binary", "z"},
        {"large_binary", "Z"}, {"date32:day", "tdD"},
    };
    for (size_t i = 0; i < GNV_ARRAY_SIZE(map); i++)
        if (strlen(map[i][0]) == n && !strncmp(map[i][0], lt, n))
            return map[i][1];
    return NULL;
}

/* Arrow format for a non-nested logical type (prefix of n chars), into buf. */
static bool simple_format(char *buf, size_t bn, const char *lt, size_t n)
{
    const char *p = primitive_format(lt, n);
    if (p) {
        snprintf(buf, bn, "%s", p);
        return true;
    }
    char tmp[256];
    if (n >= sizeof tmp)
        return false;
    memcpy(tmp, lt, n);
    tmp[n] = 0;
    char *end;
    if (!strncmp(tmp, "fixed_size_binary:", 18)) {
        long w = strtol(tmp + 18, &end, 10);
        if (*end || w <= 0 || w > INT32_MAX)
            return false;
        snprintf(buf, bn, "w:%ld", w);
        return true;
    }
    if (!strncmp(tmp, "timestamp:", 10)) {
        char *unit = tmp + 10, *tz = strchr(unit, ':');
        if (!tz)
            return false;
        *tz++ = 0;
        char u = !strcmp(unit, "s")    ? 's'
                 : !strcmp(unit, "ms") ? 'm'
                 : !strcmp(unit, "us") ? 'u'
                 : !strcmp(unit, "ns") ? 'n'
                                       : 0;
        if (!u)
            return false;
        snprintf(buf, bn, "ts%c:%s", u, strcmp(tz, "-") ? tz : "");
        return true;
    }
    return false;
}

static int set_metadata(struct ArrowSchema *s, const Gnvpb__Field *f)
{
    if (f->n_metadata == 0)
        return GNV_OK;
    int rc = GNV_OK;
    const char **keys = gnv__calloc(f->n_metadata, sizeof *keys);
    const char **vals = gnv__calloc(f->n_metadata, sizeof *vals);
    gnv_buf md = GNV_BUF_INIT;
    GNV_CHECK_ALLOC(keys);
    GNV_CHECK_ALLOC(vals);
    for (size_t i = 0; i < f->n_metadata; i++) {
        keys[i] = f->metadata[i]->key ? f->metadata[i]->key : "";
        vals[i] = gnv__strndup((const char *)f->metadata[i]->value.data, f->metadata[i]->value.len);
        GNV_CHECK_ALLOC(vals[i]);
    }
    GNV_TRYG(gnv__metadata_build(&md, keys, vals, (int32_t)f->n_metadata));
    GNV_TRYG(gnv__schema_set_metadata(s, md.ptr));
done:
    if (vals)
        for (size_t i = 0; i < f->n_metadata; i++)
            gnv__free((void *)vals[i]);
    gnv__free(keys);
    gnv__free(vals);
    gnv_buf_dispose(&md);
    return rc;
}

/* A leaf fixed_size_list from its logical type text lt[0..n) ("fixed_size_list:INNER:DIM",
 * INNER a simple type or another such fixed_size_list), into an initialized `out`'s
 * format and an "item" child. */
static bool fsl_leaf_format(struct ArrowSchema *out, const char *lt, size_t n, int depth)
{
    if (depth > GNV_LF_MAX_FSL || n <= 16 || strncmp(lt, "fixed_size_list:", 16) != 0)
        return false;
    const char *inner = lt + 16, *last = lt + n - 1;
    while (last > inner && *last != ':')
        last--;
    if (last <= inner)
        return false;
    char num[24], fmt[40], ifmt[300];
    size_t dl = (size_t)(lt + n - last - 1);
    if (dl == 0 || dl >= sizeof num)
        return false;
    memcpy(num, last + 1, dl);
    num[dl] = 0;
    char *end;
    long dim = strtol(num, &end, 10);
    if (*end || dim <= 0 || dim > INT32_MAX)
        return false;
    snprintf(fmt, sizeof fmt, "+w:%ld", dim);
    if (gnv__schema_set_format(out, fmt) < 0 || gnv__schema_alloc_children(out, 1) < 0)
        return false;
    size_t in = (size_t)(last - inner);
    if (simple_format(ifmt, sizeof ifmt, inner, in))
        return gnv__schema_init(out->children[0], ifmt, "item", ARROW_FLAG_NULLABLE) == GNV_OK;
    if (gnv__schema_init(out->children[0], "n", "item", ARROW_FLAG_NULLABLE) < 0)
        return false;
    return fsl_leaf_format(out->children[0], inner, in, depth + 1);
}

static int
build_field(struct ArrowSchema *out, Gnvpb__Field *const *fields, size_t n, size_t idx, int depth)
{
    const Gnvpb__Field *f = fields[idx];
    const char *lt = f->logical_type ? f->logical_type : "";
    /* LanceDB stores a dictionary-encoded field as "dict:VALUE:KEY:ORDERED", its pages
     * dictionary-encoded: read it as its value type */
    char dict_value[256];
    if (!strncmp(lt, "dict:", 5)) {
        const char *e = strrchr(lt, ':');
        while (e > lt + 5 && e[-1] != ':')
            e--;
        if (e > lt + 6 && (size_t)(e - 1 - (lt + 5)) < sizeof dict_value) {
            memcpy(dict_value, lt + 5, (size_t)(e - 1 - (lt + 5)));
            dict_value[e - 1 - (lt + 5)] = 0;
            lt = dict_value;
        }
    }
    int64_t flags = f->nullable ? ARROW_FLAG_NULLABLE : 0;
    char fmt[300];
    if (depth > GNV_LF_MAX_DEPTH)
        return gnv__error_set(GNV_ENOTSUP, GNV_SUB_FORMAT, "field '%s' is nested too deeply",
                              f->name ? f->name : "");
    /* children of this field, in order */
    size_t kids[256];
    int64_t nk = 0;
    for (size_t i = 0; i < n; i++)
        if (i != idx && fields[i]->parent_id == f->id) {
            if (nk == (int64_t)GNV_ARRAY_SIZE(kids))
                return bad_type(f);
            kids[nk++] = i;
        }
    if (simple_format(fmt, sizeof fmt, lt, strlen(lt))) {
        GNV_TRY(gnv__schema_init(out, fmt, f->name ? f->name : "", flags));
        return set_metadata(out, f);
    }
    if (!strcmp(lt, "struct")) {
        GNV_TRY(gnv__schema_init(out, "+s", f->name ? f->name : "", flags));
        GNV_TRY(set_metadata(out, f));
        GNV_TRY(gnv__schema_alloc_children(out, nk));
        for (int64_t i = 0; i < nk; i++)
            GNV_TRY(build_field(out->children[i], fields, n, kids[i], depth + 1));
        return GNV_OK;
    }
    if (!strcmp(lt, "list") || !strcmp(lt, "list.struct") || !strcmp(lt, "large_list") ||
        !strcmp(lt, "large_list.struct")) {
        if (nk != 1)
            return gnv__error_set(GNV_ECORRUPT, GNV_SUB_FORMAT,
                                  "list field '%s' (id %d) has %lld child fields, expected 1",
                                  f->name ? f->name : "", (int)f->id, (long long)nk);
        GNV_TRY(gnv__schema_init(out, lt[0] == 'l' && lt[1] == 'i' ? "+l" : "+L",
                                 f->name ? f->name : "", flags));
        GNV_TRY(set_metadata(out, f));
        GNV_TRY(gnv__schema_alloc_children(out, 1));
        return build_field(out->children[0], fields, n, kids[0], depth + 1);
    }
    if (!strncmp(lt, "fixed_size_list:", 16)) {
        const char *inner = lt + 16, *last = strrchr(lt, ':');
        char *end;
        long dim = strtol(last + 1, &end, 10);
        if (last < inner || *end || dim <= 0 || dim > INT32_MAX)
            return bad_type(f);
        snprintf(fmt, sizeof fmt, "+w:%ld", dim);
        GNV_TRY(gnv__schema_init(out, fmt, f->name ? f->name : "", flags));
        GNV_TRY(set_metadata(out, f));
        GNV_TRY(gnv__schema_alloc_children(out, 1));
        if (nk == 1)
            return build_field(out->children[0], fields, n, kids[0], depth + 1);
        char ifmt[300];
        if (simple_format(ifmt, sizeof ifmt, inner, (size_t)(last - inner)))
            return gnv__schema_init(out->children[0], ifmt, "item", ARROW_FLAG_NULLABLE);
        /* a fixed_size_list of fixed_size_lists, stored as one leaf */
        GNV_TRY(gnv__schema_init(out->children[0], "n", "item", ARROW_FLAG_NULLABLE));
        if (!fsl_leaf_format(out->children[0], inner, (size_t)(last - inner), 1))
            return bad_type(f);
        return GNV_OK;
    }
    return bad_type(f);
}

int gnv__lance_fields_to_arrow(struct ArrowSchema *out, Gnvpb__Field *const *fields, size_t n)
{
    int rc = GNV_OK;
    int64_t top = 0;
    memset(out, 0, sizeof *out);
    for (size_t i = 0; i < n; i++)
        if (fields[i]->parent_id == -1)
            top++;
    GNV_TRYG(gnv__schema_init(out, "+s", "", 0));
    GNV_TRYG(gnv__schema_alloc_children(out, top));
    int64_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (fields[i]->parent_id == -1)
            GNV_TRYG(build_field(out->children[k++], fields, n, i, 1));
    return GNV_OK;
done:
    gnv__schema_release(out);
    return rc;
}

static bool lance_field_is_leaf(const Gnvpb__Field *f, Gnvpb__Field *const *fields, size_t n)
{
    const char *lt = f->logical_type ? f->logical_type : "";
    if (!strcmp(lt, "struct") || !strncmp(lt, "list", 4) || !strncmp(lt, "large_list", 10))
        return false;
    for (size_t i = 0; i < n; i++)
        if (fields[i] != f && fields[i]->parent_id == f->id)
            return false; /* a fixed_size_list of a nested type */
    return true;
}

int gnv__lance_leaf_ids(int32_t **ids_out, size_t *n_out, Gnvpb__Field *const *fields, size_t n)
{
    int32_t *ids = gnv__malloc((n ? n : 1) * sizeof *ids);
    if (!ids)
        return gnv__error_oom();
    size_t k = 0;
    /* fields are stored depth-first, so their order is the column order */
    for (size_t i = 0; i < n; i++)
        if (lance_field_is_leaf(fields[i], fields, n))
            ids[k++] = fields[i]->id;
    *ids_out = ids;
    *n_out = k;
    return GNV_OK;
}

/* ---- leaf plan ----------------------------------------------------------- */

typedef struct plan_ctx {
    gnv_lf_leaf *leaves;
    int n, cap;
    gnv_lf_leaf cur;
} plan_ctx;

static int plan_unsupported(const struct ArrowSchema *s, const char *why)
{
    return gnv__error_set(GNV_ENOTSUP, GNV_SUB_FORMAT, "field '%s': %s", s->name ? s->name : "",
                          why);
}

/* Fill in levels for the finished path in ctx->cur and store it. */
static int plan_finish_leaf(plan_ctx *c)
{
    gnv_lf_leaf *L = &c->cur;
    int lvl = 0, reps = 0, nl = 0;
    L->max_visible = INT32_MAX;
    for (int i = L->depth - 1; i >= 0; i--) {
        L->null_def[i] = L->empty_def[i] = L->rep[i] = 0;
        if (L->is_list[i]) {
            if (L->max_visible == INT32_MAX)
                L->max_visible = lvl;
            if (L->nullable[i]) {
                L->null_def[i] = ++lvl;
                L->empty_def[i] = ++lvl;
                L->layers[nl++] = GNVPB__REP_DEF_LAYER__REPDEF_NULL_AND_EMPTY_LIST;
            } else {
                L->empty_def[i] = ++lvl;
                L->layers[nl++] = GNVPB__REP_DEF_LAYER__REPDEF_EMPTYABLE_LIST;
            }
            L->rep[i] = ++reps;
        } else if (L->nullable[i]) {
            L->null_def[i] = ++lvl;
            L->layers[nl++] = GNVPB__REP_DEF_LAYER__REPDEF_NULLABLE_ITEM;
        } else {
            L->layers[nl++] = GNVPB__REP_DEF_LAYER__REPDEF_ALL_VALID_ITEM;
        }
    }
    L->max_def = lvl;
    L->max_rep = reps;
    if (c->n == c->cap) {
        int cap = c->cap ? c->cap * 2 : 8;
        gnv_lf_leaf *p = gnv__reallocarray(c->leaves, (size_t)cap, sizeof *p);
        if (!p)
            return gnv__error_oom();
        c->leaves = p;
        c->cap = cap;
    }
    c->leaves[c->n++] = *L;
    return GNV_OK;
}

static int plan_node(plan_ctx *c, const struct ArrowSchema *s, int depth)
{
    gnv_lf_leaf *L = &c->cur;
    if (depth >= GNV_LF_MAX_DEPTH)
        return plan_unsupported(s, "nested too deeply for a Lance file");
    gnv_type t;
    GNV_TRY(gnv__type_parse(&t, s->format));
    if (s->dictionary)
        return plan_unsupported(s, "dictionary-encoded fields cannot be stored in a Lance file");
    L->depth = depth + 1;
    L->node[depth] = s;
    L->type[depth] = t;
    L->nullable[depth] = (s->flags & ARROW_FLAG_NULLABLE) != 0 || t.id == GNV_TYPE_NA;
    L->is_list[depth] = t.id == GNV_TYPE_LIST || t.id == GNV_TYPE_LARGE_LIST;
    L->width = L->item_width = L->dim = 0;
    L->fsl_levels = 0;
    L->fsl_bool = false;
    L->large = false;
    switch (t.id) {
    case GNV_TYPE_STRUCT:
        if (s->n_children == 0)
            return plan_unsupported(s, "a struct without fields cannot be stored in a Lance file");
        for (int64_t i = 0; i < s->n_children; i++)
            GNV_TRY(plan_node(c, s->children[i], depth + 1));
        return GNV_OK;
    case GNV_TYPE_LIST:
    case GNV_TYPE_LARGE_LIST:
        return plan_node(c, s->children[0], depth + 1);
    case GNV_TYPE_FIXED_SIZE_LIST: {
        if (!fsl_is_leaf(s))
            return plan_unsupported(s, fsl_refusal(s));
        gnv_type ct = t;
        const struct ArrowSchema *x = s;
        int64_t dim = 1;
        L->fsl_levels = 0;
        L->fsl_bool = false;
        while (ct.id == GNV_TYPE_FIXED_SIZE_LIST) {
            if (L->fsl_levels == GNV_LF_MAX_FSL)
                return plan_unsupported(s, "fixed_size_list nested too deeply");
            if (ct.fixed_size <= 0)
                return plan_unsupported(s, "fixed_size_list of size 0");
            L->fsl_dim[L->fsl_levels++] = ct.fixed_size;
            dim *= ct.fixed_size;
            if (dim > INT32_MAX / 8)
                return plan_unsupported(s, "fixed_size_list too wide");
            x = x->children[0];
            GNV_TRY(gnv__type_parse(&ct, x->format));
        }
        L->kind = GNV_LF_FSL;
        L->dim = (int)dim;
        L->fsl_bool = ct.id == GNV_TYPE_BOOL;
        L->item_width = L->fsl_bool ? 1 : gnv__type_byte_width(&ct);
        if (L->item_width <= 0 || (int64_t)L->dim * L->item_width > INT32_MAX / 8)
            return plan_unsupported(s, "fixed_size_list too wide");
        L->width = L->dim * L->item_width;
        break;
    }
    case GNV_TYPE_NA:
        L->kind = GNV_LF_NULL;
        break;
    case GNV_TYPE_BOOL:
        L->kind = GNV_LF_BOOL;
        L->width = 1;
        break;
    case GNV_TYPE_STRING:
    case GNV_TYPE_LARGE_STRING:
    case GNV_TYPE_BINARY:
    case GNV_TYPE_LARGE_BINARY:
        L->kind = GNV_LF_VAR;
        L->large = gnv__type_is_large(t.id);
        break;
    default:
        L->kind = GNV_LF_FIXED;
        L->width = gnv__type_byte_width(&t);
        if (L->width <= 0 || L->width > INT32_MAX / 8)
            return plan_unsupported(s, "type cannot be stored in a Lance file");
        break;
    }
    return plan_finish_leaf(c);
}

int gnv__lf_plan(gnv_lf_leaf **out, int *n_out, const struct ArrowSchema *field)
{
    plan_ctx c;
    memset(&c, 0, sizeof c);
    int rc = plan_node(&c, field, 0);
    if (rc < 0) {
        gnv__free(c.leaves);
        return rc;
    }
    *out = c.leaves;
    *n_out = c.n;
    return GNV_OK;
}

int gnv__lance_leaf_count(const struct ArrowSchema *field)
{
    gnv_lf_leaf *leaves;
    int n;
    int rc = gnv__lf_plan(&leaves, &n, field);
    if (rc < 0)
        return rc;
    gnv__free(leaves);
    return n;
}
