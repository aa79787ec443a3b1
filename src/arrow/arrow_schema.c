/* Owned schemas and field metadata. An owned schema keeps its strings, child pointer
 * array and children in its private data; release frees them all. */
#include <string.h>

#include "arrow.h"

typedef struct schema_priv {
    char *format;
    char *name;
    char *metadata;
} schema_priv;

static void schema_release(struct ArrowSchema *s)
{
    if (!s || !s->release)
        return;
    for (int64_t i = 0; i < s->n_children; i++) {
        if (s->children[i]) {
            gnv__schema_release(s->children[i]);
            gnv__free(s->children[i]);
        }
    }
    gnv__free(s->children);
    if (s->dictionary) {
        gnv__schema_release(s->dictionary);
        gnv__free(s->dictionary);
    }
    schema_priv *p = s->private_data;
    if (p) {
        gnv__free(p->format);
        gnv__free(p->name);
        gnv__free(p->metadata);
        gnv__free(p);
    }
    s->release = NULL;
}

int gnv__schema_init(struct ArrowSchema *out, const char *format, const char *name, int64_t flags)
{
    memset(out, 0, sizeof *out);
    schema_priv *p = gnv__calloc(1, sizeof *p);
    if (!p)
        return gnv__error_oom();
    out->private_data = p;
    out->release = schema_release;
    out->flags = flags;
    if (gnv__schema_set_format(out, format ? format : "n") < 0 ||
        gnv__schema_set_name(out, name) < 0) {
        schema_release(out);
        return gnv__error_oom();
    }
    return GNV_OK;
}

int gnv__schema_set_format(struct ArrowSchema *s, const char *format)
{
    schema_priv *p = s->private_data;
    char *copy = gnv__strdup(format);
    if (!copy)
        return gnv__error_oom();
    gnv__free(p->format);
    p->format = copy;
    s->format = copy;
    return GNV_OK;
}

int gnv__schema_set_name(struct ArrowSchema *s, const char *name)
{
    schema_priv *p = s->private_data;
    char *copy = NULL;
    if (name && !(copy = gnv__strdup(name)))
        return gnv__error_oom();
    gnv__free(p->name);
    p->name = copy;
    s->name = copy;
    return GNV_OK;
}

int gnv__schema_set_metadata(struct ArrowSchema *s, const char *metadata)
{
    schema_priv *p = s->private_data;
    char *copy = NULL;
    if (metadata) {
        int64_t n = gnv__metadata_size(metadata);
        if (!(copy = gnv__malloc((size_t)n)))
            return gnv__error_oom();
        memcpy(copy, metadata, (size_t)n);
    }
    gnv__free(p->metadata);
    p->metadata = copy;
    s->metadata = copy;
    return GNV_OK;
}

int gnv__schema_alloc_children(struct ArrowSchema *s, int64_t n)
{
    GNV_ASSERT(s->n_children == 0 && s->children == NULL);
    if (n == 0)
        return GNV_OK;
    s->children = gnv__calloc((size_t)n, sizeof *s->children);
    if (!s->children)
        return gnv__error_oom();
    for (int64_t i = 0; i < n; i++) {
        s->children[i] = gnv__calloc(1, sizeof(struct ArrowSchema));
        if (!s->children[i]) {
            s->n_children = i;
            return gnv__error_oom();
        }
    }
    s->n_children = n;
    return GNV_OK;
}

int gnv__schema_alloc_dictionary(struct ArrowSchema *s)
{
    GNV_ASSERT(s->dictionary == NULL);
    s->dictionary = gnv__calloc(1, sizeof(struct ArrowSchema));
    return s->dictionary ? GNV_OK : gnv__error_oom();
}

int gnv__schema_copy(struct ArrowSchema *out, const struct ArrowSchema *in)
{
    int rc;
    GNV_TRY(gnv__schema_init(out, in->format, in->name, in->flags));
    GNV_TRYG(gnv__schema_set_metadata(out, in->metadata));
    GNV_TRYG(gnv__schema_alloc_children(out, in->n_children));
    for (int64_t i = 0; i < in->n_children; i++)
        GNV_TRYG(gnv__schema_copy(out->children[i], in->children[i]));
    if (in->dictionary) {
        GNV_TRYG(gnv__schema_alloc_dictionary(out));
        GNV_TRYG(gnv__schema_copy(out->dictionary, in->dictionary));
    }
    return GNV_OK;
done:
    gnv__schema_release(out);
    return rc;
}

void gnv__schema_release(struct ArrowSchema *s)
{
    if (s && s->release)
        s->release(s);
}

void gnv__schema_move(struct ArrowSchema *src, struct ArrowSchema *dst)
{
    memcpy(dst, src, sizeof *dst);
    src->release = NULL;
}

int gnv__schema_validate(const struct ArrowSchema *s)
{
    gnv_type t;
    if (!s || !s->release)
        return gnv__error_set(GNV_EINVAL, GNV_SUB_ARROW, "schema is NULL or released");
    if (!s->format)
        return gnv__error_set(GNV_EINVAL, GNV_SUB_ARROW, "field '%s' has no format string",
                              s->name ? s->name : "");
    if (s->n_children < 0 || (s->n_children > 0 && !s->children))
        return gnv__error_set(GNV_EINVAL, GNV_SUB_ARROW, "field '%s' has a bad child count",
                              s->name ? s->name : "");
    if (s->dictionary) {
        GNV_TRY(gnv__type_parse(&t, s->format));
        if (!gnv__type_is_integer(t.id))
            return gnv__error_set(GNV_EINVAL, GNV_SUB_ARROW,
                                  "field '%s': dictionary indices must be integers, not '%s'",
                                  s->name ? s->name : "", s->format);
        return gnv__schema_validate(s->dictionary);
    }
    GNV_TRY(gnv__type_parse(&t, s->format));
    int64_t want = -1;
    if (t.id == GNV_TYPE_LIST || t.id == GNV_TYPE_LARGE_LIST || t.id == GNV_TYPE_FIXED_SIZE_LIST)
        want = 1;
    else if (t.id != GNV_TYPE_STRUCT)
        want = 0;
    if (want >= 0 && s->n_children != want)
        return gnv__error_set(GNV_EINVAL, GNV_SUB_ARROW,
                              "field '%s' of type %s has %lld children, expected %lld",
                              s->name ? s->name : "", gnv__type_id_name(t.id),
                              (long long)s->n_children, (long long)want);
    for (int64_t i = 0; i < s->n_children; i++) {
        if (!s->children[i])
            return gnv__error_set(GNV_EINVAL, GNV_SUB_ARROW, "field '%s': child %lld is NULL",
                                  s->name ? s->name : "", (long long)i);
        GNV_TRY(gnv__schema_validate(s->children[i]));
    }
    return GNV_OK;
}

/* ---- metadata ----------------------------------------------------------- */

static int32_t read_i32(const char *p)
{
    int32_t v;
    memcpy(&v, p, 4);
    return v;
}

int64_t gnv__metadata_size(const char *metadata)
{
    if (!metadata)
        return 0;
    int32_t n = read_i32(metadata);
    const char *p = metadata + 4;
    for (int32_t i = 0; i < n; i++) {
        p += 4 + read_i32(p);
        p += 4 + read_i32(p);
    }
    return p - metadata;
}

void gnv__metadata_iter_init(gnv_metadata_iter *it, const char *metadata)
{
    it->pos = metadata ? metadata + 4 : NULL;
    it->remaining = metadata ? read_i32(metadata) : 0;
}

bool gnv__metadata_iter_next(gnv_metadata_iter *it,
                             const char **key,
                             int32_t *key_len,
                             const char **value,
                             int32_t *value_len)
{
    if (it->remaining <= 0)
        return false;
    *key_len = read_i32(it->pos);
    *key = it->pos + 4;
    it->pos += 4 + *key_len;
    *value_len = read_i32(it->pos);
    *value = it->pos + 4;
    it->pos += 4 + *value_len;
    it->remaining--;
    return true;
}

bool gnv__metadata_get(const char *metadata,
                       const char *key,
                       const char **value,
                       int32_t *value_len)
{
    gnv_metadata_iter it;
    const char *k, *v;
    int32_t kl, vl;
    size_t want = strlen(key);
    gnv__metadata_iter_init(&it, metadata);
    while (gnv__metadata_iter_next(&it, &k, &kl, &v, &vl)) {
        if ((size_t)kl == want && memcmp(k, key, want) == 0) {
            *value = v;
            *value_len = vl;
            return true;
        }
    }
    return false;
}

int gnv__metadata_build(gnv_buf *out, const char *const *keys, const char *const *values, int32_t n)
{
    GNV_TRY(gnv__buf_put(out, &n, 4));
    for (int32_t i = 0; i < n; i++) {
        int32_t kl = (int32_t)strlen(keys[i]), vl = (int32_t)strlen(values[i]);
        GNV_TRY(gnv__buf_put(out, &kl, 4));
        GNV_TRY(gnv__buf_put(out, keys[i], (size_t)kl));
        GNV_TRY(gnv__buf_put(out, &vl, 4));
        GNV_TRY(gnv__buf_put(out, values[i], (size_t)vl));
    }
    return GNV_OK;
}
