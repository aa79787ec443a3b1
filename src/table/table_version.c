/* Versions: discovery by listing _versions/, opening a version, the version list, time
 * travel (checkout) and simple accessors of a handle. */
#include <inttypes.h>
#include <string.h>

#include "table.h"

ProtobufCMessage *gnv__pb_dup(const ProtobufCMessage *msg)
{
    size_t n = protobuf_c_message_get_packed_size(msg);
    uint8_t *buf = gnv__malloc(n ? n : 1);
    if (!buf) {
        gnv__error_oom();
        return NULL;
    }
    protobuf_c_message_pack(msg, buf);
    ProtobufCMessage *copy = gnv__pb_unpack(msg->descriptor, n, buf, "copy");
    gnv__free(buf);
    return copy;
}

void gnv__pb_free(ProtobufCMessage *msg)
{
    if (msg)
        protobuf_c_message_free_unpacked(msg, gnv__pb_allocator());
}

int64_t gnv__fragment_live_rows(const Gnvpb__DataFragment *f)
{
    int64_t rows = (int64_t)f->physical_rows;
    if (f->deletion_file && f->deletion_file->has_num_deleted_rows)
        rows -= (int64_t)f->deletion_file->num_deleted_rows;
    return rows < 0 ? 0 : rows;
}

typedef struct latest_acc {
    uint64_t max;
    bool any_v1, any_v2;
    const char *dir;
} latest_acc;

static int see_manifest(const char *name, int is_dir, void *payload)
{
    latest_acc *acc = payload;
    uint64_t v;
    bool v2;
    if (is_dir || !gnv__manifest_parse_name(name, &v, &v2))
        return 0;
    if (v2)
        acc->any_v2 = true;
    else
        acc->any_v1 = true;
    if (v > acc->max)
        acc->max = v;
    return 0;
}

int gnv__table_latest(gnv_io *io, const char *dir, uint64_t *version_out, bool *v1_out)
{
    int rc = GNV_OK;
    latest_acc acc = {0, false, false, dir};
    char *vdir = gnv__path_join(dir, "_versions");
    GNV_CHECK_ALLOC(vdir);
    rc = io->vt->list(io, vdir, see_manifest, &acc);
    if (rc == GNV_ENOTFOUND || (rc == GNV_OK && acc.max == 0)) {
        rc = gnv__error_set(GNV_ENOTFOUND, GNV_SUB_TABLE, "'%s' has no versions", dir);
        goto done;
    }
    if (rc < 0)
        goto done;
    GNV_ERR_IF(acc.any_v1 && acc.any_v2, GNV_ECORRUPT, GNV_SUB_TABLE,
               "'%s' mixes V1 ({v}.manifest) and V2 ({u64::MAX-v:020}.manifest) manifest "
               "names in _versions/",
               dir);
    *version_out = acc.max;
    *v1_out = acc.any_v1;
done:
    gnv__free(vdir);
    return rc;
}

int gnv__table_read_version(Gnvpb__Manifest **m_out,
                            gnv_buf *index_out,
                            gnv_buf *txn_out,
                            gnv_io *io,
                            const char *dir,
                            const char *name,
                            uint64_t version,
                            bool v1_naming)
{
    int rc = GNV_OK;
    Gnvpb__Manifest *m = NULL;
    char *path = gnv__table_manifest_path(dir, version, v1_naming);
    *m_out = NULL;
    GNV_CHECK_ALLOC(path);
    rc = gnv__manifest_read(&m, io, path, index_out, txn_out);
    if (rc == GNV_ENOTFOUND) {
        rc = gnv__error_set(GNV_ENOTFOUND, GNV_SUB_TABLE, "table '%s' has no version %" PRIu64,
                            name, version);
        goto done;
    }
    if (rc < 0)
        goto done;
    GNV_ERR_IF(m->version != version, GNV_ECORRUPT, GNV_SUB_TABLE,
               "manifest '%s' holds version %" PRIu64 ", not %" PRIu64, path, m->version, version);
    rc = gnv__manifest_check_flags(m, name);
    if (rc < 0) {
        gnv__error_prefix("manifest '%s'", path);
        goto done;
    }
    *m_out = m;
    m = NULL;
done:
    gnv__manifest_free(m);
    gnv__free(path);
    return rc;
}

int gnv__table_new(gnv_table **out, gnv_db *db, const char *name)
{
    int rc = GNV_OK;
    gnv_buf b = GNV_BUF_INIT;
    gnv_table *t = gnv__calloc(1, sizeof *t);
    GNV_CHECK_ALLOC(t);
    t->db = db;
    t->io = db->io;
    t->name = gnv__strdup(name);
    GNV_CHECK_ALLOC(t->name);
    GNV_TRYG(gnv__buf_printf(&b, "%s" GNV__TABLE_SUFFIX, name));
    t->dir = gnv__buf_detach(&b, NULL);
    *out = t;
    t = NULL;
done:
    gnv_table_close(t);
    return rc;
}

int gnv__table_open_at(gnv_table **out, gnv_db *db, const char *name, uint64_t version)
{
    int rc = GNV_OK;
    gnv_table *t = NULL;
    uint64_t latest;
    bool v1;
    *out = NULL;
    GNV_TRYG(gnv__table_new(&t, db, name));
    rc = gnv__table_latest(db->io, t->dir, &latest, &v1);
    if (rc == GNV_ENOTFOUND) {
        rc = gnv__error_set(GNV_ENOTFOUND, GNV_SUB_TABLE, "table '%s' does not exist", name);
        goto done;
    }
    if (rc < 0)
        goto done;
    t->v1_naming = v1;
    if (version == 0)
        version = latest;
    t->read_only = version != latest;
    GNV_TRYG(
        gnv__table_read_version(&t->m, &t->index_section, NULL, db->io, t->dir, name, version, v1));
    *out = t;
    t = NULL;
done:
    gnv_table_close(t);
    return rc;
}

void gnv_table_close(gnv_table *t)
{
    if (!t)
        return;
    gnv__take_cache_free(t->take_cache);
    gnv__manifest_free(t->m);
    gnv_buf_dispose(&t->index_section);
    gnv__free(t->name);
    gnv__free(t->dir);
    gnv__free(t);
}

const char *gnv_table_name(const gnv_table *t)
{
    return t ? t->name : NULL;
}

uint64_t gnv_table_version(const gnv_table *t)
{
    return t && t->m ? t->m->version : 0;
}

int gnv_table_count_rows(gnv_table *t, int64_t *out)
{
    if (!t || !out)
        return gnv__error_set(GNV_EINVAL, GNV_SUB_TABLE, "gnv_table_count_rows: NULL argument");
    int64_t n = 0;
    for (size_t i = 0; i < t->m->n_fragments; i++)
        n += gnv__fragment_live_rows(t->m->fragments[i]);
    *out = n;
    return GNV_OK;
}

/* Operations our proto does not spell out arrive as unknown fields: name them. */
static const char *unknown_operation(const Gnvpb__Transaction *x)
{
    for (unsigned i = 0; i < x->base.n_unknown_fields; i++) {
        switch (x->base.unknown_fields[i].tag) {
        case 103:
            return "create_index";
        case 107:
            return "reserve_fragments";
        case 110:
            return "update_config";
        case 112:
            return "update_mem_wal_state";
        case 113:
            return "clone";
        default:
            break;
        }
    }
    return "unknown";
}

int gnv__txn_operation(const char **out, const gnv_buf *txn)
{
    *out = NULL;
    if (!txn || txn->size == 0)
        return GNV_OK;
    Gnvpb__Transaction *x = gnv__pb_unpack(&gnvpb__transaction__descriptor, txn->size,
                                           (const uint8_t *)txn->ptr, "transaction");
    if (!x) {
        if (gnv__error_code() == GNV_ENOMEM)
            return GNV_ENOMEM;
        gnv_error_clear(); /* a transaction we cannot decode is of an unknown kind */
        *out = "unknown";
        return GNV_OK;
    }
    const char *op;
    switch (x->operation_case) {
    case GNVPB__TRANSACTION__OPERATION_APPEND:
        op = "append";
        break;
    case GNVPB__TRANSACTION__OPERATION_DELETE:
        op = "delete";
        break;
    case GNVPB__TRANSACTION__OPERATION_OVERWRITE:
        op = "overwrite";
        break;
    case GNVPB__TRANSACTION__OPERATION_REWRITE:
        op = "rewrite";
        break;
    case GNVPB__TRANSACTION__OPERATION_MERGE:
        op = "merge";
        break;
    case GNVPB__TRANSACTION__OPERATION_RESTORE:
        op = "restore";
        break;
    case GNVPB__TRANSACTION__OPERATION_UPDATE:
        op = "update";
        break;
    case GNVPB__TRANSACTION__OPERATION_PROJECT:
        op = "project";
        break;
    case GNVPB__TRANSACTION__OPERATION_DATA_REPLACEMENT:
        op = "data_replacement";
        break;
    default:
        op = unknown_operation(x);
        break;
    }
    gnvpb__transaction__free_unpacked(x, gnv__pb_allocator());
    *out = op;
    return GNV_OK;
}

int gnv__table_version_txn(gnv_buf *txn_out,
                           gnv_io *io,
                           const char *dir,
                           const Gnvpb__Manifest *m,
                           const gnv_buf *inline_txn)
{
    gnv__buf_clear(txn_out);
    if (inline_txn && inline_txn->size)
        return gnv__buf_put(txn_out, inline_txn->ptr, inline_txn->size);
    if (!m->transaction_file || !*m->transaction_file || strchr(m->transaction_file, '/'))
        return GNV_OK;
    gnv_buf path = GNV_BUF_INIT;
    GNV_TRY(gnv__buf_printf(&path, "%s/_transactions/%s", dir, m->transaction_file));
    int rc = gnv__io_read_all(io, path.ptr, txn_out);
    if (rc == GNV_ENOTFOUND) {
        gnv_error_clear(); /* a version without its transaction file has none */
        gnv__buf_clear(txn_out);
        rc = GNV_OK;
    }
    gnv_buf_dispose(&path);
    return rc;
}

int gnv_table_versions(gnv_table *t, gnv_version_info **list_out, size_t *n_out)
{
    int rc = GNV_OK;
    gnv_version_info *list = NULL;
    size_t n = 0;
    uint64_t latest;
    bool v1;
    Gnvpb__Manifest *m = NULL;
    gnv_buf txn = GNV_BUF_INIT, inl = GNV_BUF_INIT;
    GNV_ERR_IF(!t || !list_out || !n_out, GNV_EINVAL, GNV_SUB_TABLE,
               "gnv_table_versions: NULL argument");
    *list_out = NULL;
    *n_out = 0;
    GNV_TRYG(gnv__table_latest(t->io, t->dir, &latest, &v1));
    list = gnv__calloc(latest, sizeof *list);
    GNV_CHECK_ALLOC(list);
    for (uint64_t v = 1; v <= latest; v++) {
        rc = gnv__table_read_version(&m, NULL, &inl, t->io, t->dir, t->name, v, v1);
        if (rc == GNV_ENOTFOUND) { /* removed by a cleanup */
            gnv_error_clear();
            rc = GNV_OK;
            continue;
        }
        if (rc < 0)
            goto done;
        gnv_version_info *vi = &list[n++];
        vi->version = v;
        if (m->timestamp)
            vi->timestamp_us = m->timestamp->seconds * 1000000 + m->timestamp->nanos / 1000;
        GNV_TRYG(gnv__table_version_txn(&txn, t->io, t->dir, m, &inl));
        const char *op;
        GNV_TRYG(gnv__txn_operation(&op, &txn));
        if (op) {
            vi->operation = gnv__strdup(op);
            GNV_CHECK_ALLOC(vi->operation);
        }
        gnv__manifest_free(m);
        m = NULL;
    }
    *list_out = list;
    *n_out = n;
    list = NULL;
done:
    gnv__manifest_free(m);
    gnv_table_versions_free(list, n);
    gnv_buf_dispose(&txn);
    gnv_buf_dispose(&inl);
    return rc;
}

void gnv_table_versions_free(gnv_version_info *list, size_t n)
{
    if (!list)
        return;
    for (size_t i = 0; i < n; i++)
        gnv__free(list[i].operation);
    gnv__free(list);
}

int gnv_table_checkout(gnv_table **out, gnv_table *t, uint64_t version)
{
    int rc = GNV_OK;
    if (out)
        *out = NULL;
    GNV_ERR_IF(!out || !t, GNV_EINVAL, GNV_SUB_TABLE, "gnv_table_checkout: NULL argument");
    GNV_ERR_IF(version == 0, GNV_ENOTFOUND, GNV_SUB_TABLE,
               "table '%s' has no version 0 (versions start at 1)", t->name);
    GNV_TRYG(gnv__table_open_at(out, t->db, t->name, version));
    (*out)->read_only = true;
done:
    return rc;
}

int gnv_table_checkout_latest(gnv_table *t)
{
    int rc = GNV_OK;
    gnv_table *fresh = NULL;
    GNV_ERR_IF(!t, GNV_EINVAL, GNV_SUB_TABLE, "gnv_table_checkout_latest: NULL table");
    GNV_TRYG(gnv__table_open_at(&fresh, t->db, t->name, 0));
    /* swap the state into the caller's handle */
    Gnvpb__Manifest *m = t->m;
    gnv_buf idx = t->index_section;
    t->m = fresh->m;
    t->index_section = fresh->index_section;
    t->v1_naming = fresh->v1_naming;
    t->read_only = false;
    fresh->m = m;
    fresh->index_section = idx;
done:
    gnv_table_close(fresh);
    return rc;
}
