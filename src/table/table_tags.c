/*
 * Tags, stored as Lance stores them so LanceDB sees them: `_refs/tags/<name>.json`
 * holding {"branch": null, "version": N, "manifestSize": bytes of that manifest}.
 */
#include <inttypes.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "table.h"

#define TAGS_DIR "_refs/tags"

/* Lance's tag name rule, plus our length limit. */
static int check_tag_name(const char *name)
{
    if (!name || !*name)
        return gnv__error_set(GNV_EINVAL, GNV_SUB_TABLE, "tag name is empty");
    size_t len = strlen(name);
    if (len > GNV__TABLE_NAME_MAX)
        return gnv__error_set(GNV_EINVAL, GNV_SUB_TABLE, "tag name is %zu bytes; the limit is %d",
                              len, GNV__TABLE_NAME_MAX);
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)name[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '_' || c == '-' || c == '.';
        if (!ok)
            return gnv__error_set(GNV_EINVAL, GNV_SUB_TABLE,
                                  "tag name contains byte 0x%02x at %zu; tags may hold only "
                                  "ASCII letters, digits, '.', '-' and '_'",
                                  c, i);
    }
    if (name[0] == '.' || name[len - 1] == '.' || strstr(name, "..") ||
        (len >= 5 && !strcmp(name + len - 5, ".lock")))
        return gnv__error_set(GNV_EINVAL, GNV_SUB_TABLE,
                              "tag name '%s' starts or ends with '.', contains '..' or ends "
                              "with '.lock'",
                              name);
    return GNV_OK;
}

static char *tag_path(const gnv_table *t, const char *name)
{
    gnv_buf b = GNV_BUF_INIT;
    if (gnv__buf_printf(&b, "%s/" TAGS_DIR "/%s.json", t->dir, name) < 0)
        return NULL;
    return gnv__buf_detach(&b, NULL);
}

/* The version a tag file names. */
static int read_tag(gnv_table *t, const char *name, uint64_t *version_out)
{
    int rc = GNV_OK;
    gnv_buf body = GNV_BUF_INIT;
    json_t *root = NULL;
    char *path = tag_path(t, name);
    GNV_CHECK_ALLOC(path);
    rc = gnv__io_read_all(t->io, path, &body);
    if (rc == GNV_ENOTFOUND) {
        rc = gnv__error_set(GNV_ENOTFOUND, GNV_SUB_TABLE, "table '%s' has no tag '%s'", t->name,
                            name);
        goto done;
    }
    if (rc < 0)
        goto done;
    gnv__json_setup();
    json_error_t jerr;
    root = json_loadb(body.ptr ? body.ptr : "", body.size, 0, &jerr);
    if (!root) {
        /* jansson reports a failed allocation as a syntax error; a second parse tells
         * a damaged file from a transient lack of memory */
        root = json_loadb(body.ptr ? body.ptr : "", body.size, 0, &jerr);
        if (!root && (jerr.text[0] == 0 || json_error_code(&jerr) == json_error_out_of_memory)) {
            rc = gnv__error_oom();
            goto done;
        }
    }
    GNV_ERR_IF(!root || !json_is_object(root), GNV_ECORRUPT, GNV_SUB_TABLE,
               "tag file '%s' is not a JSON object (%s)", path, root ? "" : jerr.text);
    json_t *v = json_object_get(root, "version");
    GNV_ERR_IF(!json_is_integer(v) || json_integer_value(v) <= 0, GNV_ECORRUPT, GNV_SUB_TABLE,
               "tag file '%s' has no positive \"version\"", path);
    json_t *branch = json_object_get(root, "branch");
    GNV_ERR_IF(branch && !json_is_null(branch), GNV_ENOTSUP, GNV_SUB_TABLE,
               "tag '%s' names a version of branch '%s'; branches are not supported", name,
               json_is_string(branch) ? json_string_value(branch) : "?");
    *version_out = (uint64_t)json_integer_value(v);
done:
    json_decref(root);
    gnv_buf_dispose(&body);
    gnv__free(path);
    return rc;
}

int gnv_table_tag_create(gnv_table *t, const char *name, uint64_t version)
{
    int rc = GNV_OK;
    char *path = NULL, *mpath = NULL, *text = NULL;
    json_t *root = NULL;
    uint64_t size;
    GNV_ERR_IF(!t, GNV_EINVAL, GNV_SUB_TABLE, "gnv_table_tag_create: NULL table");
    GNV_TRYG(check_tag_name(name));
    path = tag_path(t, name);
    GNV_CHECK_ALLOC(path);
    mpath = gnv__table_manifest_path(t->dir, version, t->v1_naming);
    GNV_CHECK_ALLOC(mpath);
    rc = t->io->vt->stat(t->io, mpath, &size);
    if (rc == GNV_ENOTFOUND || version == 0) {
        rc = gnv__error_set(GNV_ENOTFOUND, GNV_SUB_TABLE,
                            "cannot tag version %" PRIu64 " of table '%s': no such version",
                            version, t->name);
        goto done;
    }
    if (rc < 0)
        goto done;
    gnv__json_setup();
    root = json_pack("{s:n, s:I, s:I}", "branch", "version", (json_int_t)version, "manifestSize",
                     (json_int_t)size);
    GNV_CHECK_ALLOC(root);
    text = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    GNV_CHECK_ALLOC(text);
    rc = gnv__io_write_all(t->io, path, text, strlen(text), GNV_IO_NOREPLACE);
    if (rc == GNV_EEXISTS)
        rc = gnv__error_set(GNV_EEXISTS, GNV_SUB_TABLE, "table '%s' already has a tag '%s'",
                            t->name, name);
done:
    gnv__free(text); /* gnv__json_setup routed jansson's allocator to ours */
    json_decref(root);
    gnv__free(path);
    gnv__free(mpath);
    return rc;
}

int gnv_table_tag_delete(gnv_table *t, const char *name)
{
    int rc = GNV_OK;
    char *path = NULL;
    GNV_ERR_IF(!t, GNV_EINVAL, GNV_SUB_TABLE, "gnv_table_tag_delete: NULL table");
    GNV_TRYG(check_tag_name(name));
    path = tag_path(t, name);
    GNV_CHECK_ALLOC(path);
    rc = t->io->vt->remove(t->io, path);
    if (rc == GNV_ENOTFOUND)
        rc = gnv__error_set(GNV_ENOTFOUND, GNV_SUB_TABLE, "table '%s' has no tag '%s'", t->name,
                            name);
done:
    gnv__free(path);
    return rc;
}

typedef struct tag_acc {
    gnv_table *t;
    gnv_tag_info *items;
    size_t n, cap;
    int rc;
} tag_acc;

static int see_tag(const char *name, int is_dir, void *payload)
{
    tag_acc *acc = payload;
    size_t len = strlen(name);
    if (is_dir || len <= 5 || strcmp(name + len - 5, ".json") != 0)
        return 0;
    char *tag = gnv__strndup(name, len - 5);
    if (!tag) {
        acc->rc = gnv__error_oom();
        return 1;
    }
    uint64_t v;
    int rc = check_tag_name(tag);
    if (rc == GNV_OK)
        rc = read_tag(acc->t, tag, &v);
    if (rc < 0) {
        gnv__free(tag);
        if (rc == GNV_EINVAL || rc == GNV_ENOTSUP) { /* not a tag we can list */
            gnv_error_clear();
            return 0;
        }
        acc->rc = rc;
        return 1;
    }
    if (acc->n == acc->cap) {
        size_t cap = acc->cap ? 2 * acc->cap : 8;
        gnv_tag_info *p = gnv__reallocarray(acc->items, cap, sizeof *p);
        if (!p) {
            gnv__free(tag);
            acc->rc = gnv__error_oom();
            return 1;
        }
        acc->items = p;
        acc->cap = cap;
    }
    acc->items[acc->n].name = tag;
    acc->items[acc->n].version = v;
    acc->n++;
    return 0;
}

static int cmp_tag(const void *a, const void *b)
{
    return strcmp(((const gnv_tag_info *)a)->name, ((const gnv_tag_info *)b)->name);
}

int gnv_table_tag_list(gnv_table *t, gnv_tag_info **list_out, size_t *n_out)
{
    int rc = GNV_OK;
    tag_acc acc = {t, NULL, 0, 0, 0};
    char *dir = NULL;
    GNV_ERR_IF(!t || !list_out || !n_out, GNV_EINVAL, GNV_SUB_TABLE,
               "gnv_table_tag_list: NULL argument");
    *list_out = NULL;
    *n_out = 0;
    dir = gnv__path_join(t->dir, TAGS_DIR);
    GNV_CHECK_ALLOC(dir);
    rc = t->io->vt->list(t->io, dir, see_tag, &acc);
    if (rc == GNV_ENOTFOUND) {
        gnv_error_clear();
        rc = GNV_OK;
    }
    if (acc.rc < 0)
        rc = acc.rc;
    if (rc < 0)
        goto done;
    if (acc.n)
        qsort(acc.items, acc.n, sizeof *acc.items, cmp_tag);
    *list_out = acc.items;
    *n_out = acc.n;
    acc.items = NULL;
    acc.n = 0;
done:
    gnv_table_tag_list_free(acc.items, acc.n);
    gnv__free(dir);
    return rc;
}

void gnv_table_tag_list_free(gnv_tag_info *list, size_t n)
{
    if (!list)
        return;
    for (size_t i = 0; i < n; i++)
        gnv__free(list[i].name);
    gnv__free(list);
}

int gnv_table_checkout_tag(gnv_table **out, gnv_table *t, const char *tag)
{
    int rc = GNV_OK;
    uint64_t v;
    if (out)
        *out = NULL;
    GNV_ERR_IF(!out || !t, GNV_EINVAL, GNV_SUB_TABLE, "gnv_table_checkout_tag: NULL argument");
    GNV_TRYG(check_tag_name(tag));
    GNV_TRYG(read_tag(t, tag, &v));
    rc = gnv_table_checkout(out, t, v);
done:
    return rc;
}
