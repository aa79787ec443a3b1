/* Content-addressed copies of UDF libraries: `_geneva/udfs/<sha256>.so` under a table's
 * directory, so every worker and every later run loads the code a column was defined
 * with. Written through the public gnv_io vtable (the udf module does not depend on
 * the io module): create, write, commit without replacing. */
#include <string.h>

#include "udf.h"

#define UDF_DIR "_geneva/udfs"

int gnv__udf_store(char **out_path, gnv_io *io, const char *src_path, const char *sha256)
{
    int rc = GNV_OK;
    gnv_buf data = GNV_BUF_INIT;
    char *rel = NULL;
    gnv_io_writer *w = NULL;
    uint8_t digest[32];
    char hex[65];
    uint64_t size = 0;

    if (out_path)
        *out_path = NULL;
    GNV_ERR_IF(!sha256 || strlen(sha256) != 64, GNV_EINVAL, GNV_SUB_UDF,
               "UDF library '%s': bad sha256", src_path);
    size_t n = strlen(UDF_DIR) + 1 + 64 + 4;
    rel = gnv__malloc(n);
    GNV_CHECK_ALLOC(rel);
    snprintf(rel, n, "%s/%s.so", UDF_DIR, sha256);

    rc = io->vt->stat(io, rel, &size);
    if (rc == GNV_OK)
        goto found; /* content-addressed: the same bytes are there already */
    if (rc != GNV_ENOTFOUND) {
        gnv__error_prefix("cannot check '%s'", rel);
        goto done;
    }
    gnv_error_clear();
    rc = GNV_OK;

    GNV_TRYG(gnv__read_file(&data, src_path, GNV_SUB_UDF));
    GNV_TRYG(gnv__sha256(digest, data.ptr ? data.ptr : "", data.size));
    gnv__hex(hex, digest, 32);
    GNV_ERR_IF(strcmp(hex, sha256) != 0, GNV_ECORRUPT, GNV_SUB_UDF,
               "UDF library '%s' changed since it was loaded (sha256 %s, now %s)", src_path, sha256,
               hex);
    GNV_TRYG(io->vt->create(io, rel, &w));
    rc = io->vt->write(w, data.ptr ? data.ptr : "", data.size);
    if (rc < 0) {
        io->vt->abort(w);
        w = NULL;
        goto done;
    }
    rc = io->vt->commit(w, GNV_IO_NOREPLACE);
    w = NULL;
    if (rc == GNV_EEXISTS) { /* another writer stored the same bytes first */
        gnv_error_clear();
        rc = GNV_OK;
    }
    if (rc < 0)
        goto done;
found:
    if (out_path) {
        *out_path = rel;
        rel = NULL;
    }
done:
    gnv_buf_dispose(&data);
    gnv__free(rel);
    return rc;
}
