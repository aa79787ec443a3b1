/* Databases: a directory of `<name>.lance` datasets; table names; dropping tables. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "table.h"

int gnv__table_check_name(const char *name)
{
    if (!name || !*name)
        return gnv__error_set(GNV_EINVAL, GNV_SUB_TABLE, "table name is empty");
    size_t len = strlen(name);
    if (len > GNV__TABLE_NAME_MAX)
        return gnv__error_set(GNV_EINVAL, GNV_SUB_TABLE,
                              "table name '%.40s...' is %zu bytes long; the limit is %d", name, len,
                              GNV__TABLE_NAME_MAX);
    if (name[0] == '.')
        return gnv__error_set(GNV_EINVAL, GNV_SUB_TABLE,
                              "table name '%s' starts with '.' (reserved for hidden and "
                              "relative names)",
                              name);
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)name[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '_' || c == '-' || c == '.';
        if (!ok) {
            if (c < 0x20 || c == 0x7f)
                return gnv__error_set(GNV_EINVAL, GNV_SUB_TABLE,
                                      "table name contains control character 0x%02x at byte "
                                      "%zu; names may hold only letters, digits, '_', '-' "
                                      "and '.'",
                                      c, i);
            return gnv__error_set(GNV_EINVAL, GNV_SUB_TABLE,
                                  "table name '%s' contains '%c' at byte %zu; names may hold "
                                  "only ASCII letters, digits, '_', '-' and '.'",
                                  name, c >= 0x80 ? '?' : (char)c, i);
        }
    }
    return GNV_OK;
}

char *gnv__table_manifest_path(const char *dir, uint64_t version, bool v1_naming)
{
    char name[64];
    gnv_buf b = GNV_BUF_INIT;
    if (v1_naming)
        snprintf(name, sizeof name, "%llu.manifest", (unsigned long long)version);
    else
        gnv__manifest_name(name, version);
    if (gnv__buf_printf(&b, "%s/_versions/%s", dir, name) < 0)
        return NULL;
    return gnv__buf_detach(&b, NULL);
}

int gnv__random_hex(char *out, size_t nbytes)
{
    uint8_t bytes[64];
    if (nbytes > sizeof bytes)
        return gnv__error_set(GNV_EINVAL, GNV_SUB_TABLE, "too many random bytes asked");
    size_t got = 0;
    while (got < nbytes) {
        ssize_t n = getrandom(bytes + got, nbytes - got, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return gnv__error_os(GNV_SUB_TABLE, errno, "getrandom");
        got += (size_t)n;
    }
    gnv__hex(out, bytes, nbytes);
    return GNV_OK;
}

int gnv_db_open(gnv_db **out, const char *path, const gnv_db_options *opts)
{
    int rc = GNV_OK;
    gnv_db *db = NULL;
    if (out)
        *out = NULL;
    GNV_ERR_IF(!out || !path || !*path, GNV_EINVAL, GNV_SUB_TABLE,
               "gnv_db_open: out and path are required");
    GNV_ERR_IF(opts && opts->version > GNV_DB_OPTIONS_VERSION, GNV_EVERSION, GNV_SUB_TABLE,
               "gnv_db_open: options version %u is newer than this library's (%d)", opts->version,
               GNV_DB_OPTIONS_VERSION);
    db = gnv__calloc(1, sizeof *db);
    GNV_CHECK_ALLOC(db);
    db->path = gnv__strdup(path);
    GNV_CHECK_ALLOC(db->path);
    db->conflict_retries = opts && opts->version >= 3 ? opts->conflict_retries : -1;
    GNV_ERR_IF(db->conflict_retries < -1, GNV_EINVAL, GNV_SUB_TABLE,
               "gnv_db_open: conflict_retries %d is negative", db->conflict_retries);
    if (opts && opts->io) {
        db->io = opts->io;
    } else {
        int sync_mode = opts && opts->version >= 2 ? opts->sync_mode : -1;
        if (sync_mode < 0)
            GNV_TRYG(gnv_io_local_new(&db->io, path));
        else
            GNV_TRYG(gnv_io_local_new_sync(&db->io, path, sync_mode));
        db->own_io = true;
    }
    *out = db;
    db = NULL;
done:
    gnv_db_close(db);
    return rc;
}

void gnv_db_close(gnv_db *db)
{
    if (!db)
        return;
    if (db->own_io)
        gnv_io_free(db->io);
    gnv__free(db->path);
    gnv__free(db);
}

typedef struct names_acc {
    gnv_io *io;
    char **names;
    size_t n, cap;
    int rc;
} names_acc;

static int collect_table(const char *name, int is_dir, void *payload)
{
    names_acc *acc = payload;
    size_t len = strlen(name), slen = strlen(GNV__TABLE_SUFFIX);
    if (!is_dir || len <= slen || strcmp(name + len - slen, GNV__TABLE_SUFFIX) != 0)
        return 0;
    char *t = gnv__strndup(name, len - slen);
    if (!t) {
        acc->rc = gnv__error_oom();
        return 1;
    }
    /* only datasets: a directory without _versions/ (an interrupted create, or
     * something else) is not a table, though gnv_db_drop_table can remove it */
    char *versions = gnv__path_join(name, "_versions");
    uint64_t size;
    bool dataset = versions && acc->io->vt->stat(acc->io, versions, &size) == GNV_OK;
    gnv__free(versions);
    if (!dataset || gnv__table_check_name(t) < 0) {
        gnv_error_clear(); /* not one of ours to list */
        gnv__free(t);
        return 0;
    }
    if (acc->n == acc->cap) {
        size_t cap = acc->cap ? acc->cap * 2 : 8;
        char **p = gnv__reallocarray(acc->names, cap, sizeof *p);
        if (!p) {
            gnv__free(t);
            acc->rc = gnv__error_oom();
            return 1;
        }
        acc->names = p;
        acc->cap = cap;
    }
    acc->names[acc->n++] = t;
    return 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int gnv_db_table_names(gnv_db *db, char ***names_out, size_t *n_out)
{
    int rc = GNV_OK;
    names_acc acc = {0};
    acc.io = db ? db->io : NULL;
    GNV_ERR_IF(!db || !names_out || !n_out, GNV_EINVAL, GNV_SUB_TABLE,
               "gnv_db_table_names: NULL argument");
    *names_out = NULL;
    *n_out = 0;
    rc = db->io->vt->list(db->io, "", collect_table, &acc);
    if (rc == GNV_ENOTFOUND) {
        gnv_error_clear();
        rc = GNV_OK;
    }
    if (acc.rc < 0)
        rc = acc.rc;
    if (rc < 0)
        goto done;
    if (acc.n)
        qsort(acc.names, acc.n, sizeof *acc.names, cmp_str);
    *names_out = acc.names;
    *n_out = acc.n;
    acc.names = NULL;
    acc.n = 0;
done:
    gnv_db_table_names_free(acc.names, acc.n);
    return rc;
}

void gnv_db_table_names_free(char **names, size_t n)
{
    if (!names)
        return;
    for (size_t i = 0; i < n; i++)
        gnv__free(names[i]);
    gnv__free(names);
}

int gnv_db_open_table(gnv_table **out, gnv_db *db, const char *name)
{
    int rc = GNV_OK;
    if (out)
        *out = NULL;
    GNV_ERR_IF(!out || !db, GNV_EINVAL, GNV_SUB_TABLE, "gnv_db_open_table: NULL argument");
    GNV_TRYG(gnv__table_check_name(name));
    rc = gnv__table_open_at(out, db, name, 0);
done:
    return rc;
}

int gnv_db_drop_table(gnv_db *db, const char *name)
{
    int rc = GNV_OK;
    char *dir = NULL;
    uint64_t v;
    bool v1;
    GNV_ERR_IF(!db, GNV_EINVAL, GNV_SUB_TABLE, "gnv_db_drop_table: NULL database");
    GNV_TRYG(gnv__table_check_name(name));
    dir = gnv__strdup(name);
    GNV_CHECK_ALLOC(dir);
    {
        gnv_buf b = GNV_BUF_INIT;
        GNV_TRYG(gnv__buf_printf(&b, "%s" GNV__TABLE_SUFFIX, name));
        gnv__free(dir);
        dir = gnv__buf_detach(&b, NULL);
    }
    rc = gnv__table_latest(db->io, dir, &v, &v1);
    if (rc == GNV_ENOTFOUND) {
        /* no version: the leftover of an interrupted create is still removed */
        uint64_t size;
        if (db->io->vt->stat(db->io, dir, &size) != GNV_OK) {
            rc = gnv__error_set(GNV_ENOTFOUND, GNV_SUB_TABLE, "table '%s' does not exist", name);
            goto done;
        }
    }
    /* a damaged table may still be dropped */
    if (rc < 0)
        gnv_error_clear();
    rc = db->io->vt->remove_tree(db->io, dir);
done:
    gnv__free(dir);
    return rc;
}
