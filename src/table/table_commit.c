/*
 * Commits: build the manifest of version base+1 from the base manifest and an
 * operation, write the transaction file, create the manifest without replacing, and on
 * a lost race rebase over the winners when the operations commute.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "table.h"

/* A commit that loses the race for the next version to a change it commutes with
 * rebases and tries again: until it wins, with growing randomized backoff, for up to
 * this long (losing is not a conflict, so it must not give up after a few tries). */
#define RACE_SECONDS 300

/* The next unused fragment id of a manifest. */
static uint64_t next_fragment_id(const Gnvpb__Manifest *m)
{
    if (!m)
        return 0;
    uint64_t next = m->has_max_fragment_id ? (uint64_t)m->max_fragment_id + 1 : 0;
    for (size_t i = 0; i < m->n_fragments; i++)
        if (m->fragments[i]->id + 1 > next)
            next = m->fragments[i]->id + 1;
    return next;
}

static void free_fragments(Gnvpb__Manifest *m)
{
    for (size_t i = 0; i < m->n_fragments; i++)
        gnv__pb_free(&m->fragments[i]->base);
    gnv__free(m->fragments);
    m->fragments = NULL;
    m->n_fragments = 0;
}

static void free_fields(Gnvpb__Manifest *m)
{
    for (size_t i = 0; i < m->n_fields; i++)
        gnv__pb_free(&m->fields[i]->base);
    gnv__free(m->fields);
    m->fields = NULL;
    m->n_fields = 0;
}

/* Append copies of frags to m->fragments with ids from *next_id on. */
static int
add_fragments(Gnvpb__Manifest *m, Gnvpb__DataFragment *const *frags, size_t n, uint64_t *next_id)
{
    if (n == 0)
        return GNV_OK;
    Gnvpb__DataFragment **arr = gnv__reallocarray(m->fragments, m->n_fragments + n, sizeof *arr);
    if (!arr)
        return gnv__error_oom();
    m->fragments = arr;
    for (size_t i = 0; i < n; i++) {
        Gnvpb__DataFragment *f = (Gnvpb__DataFragment *)gnv__pb_dup(&frags[i]->base);
        if (!f)
            return GNV_ENOMEM;
        f->id = (*next_id)++;
        m->fragments[m->n_fragments++] = f;
    }
    m->has_max_fragment_id = 1;
    m->max_fragment_id = (uint32_t)(*next_id - 1);
    return GNV_OK;
}

/* Set m->fragments to copies of frags, keeping their ids (a merge). */
static int merge_fragments(Gnvpb__Manifest *m, Gnvpb__DataFragment *const *frags, size_t n)
{
    if (n == 0)
        return GNV_OK;
    m->fragments = gnv__calloc(n, sizeof *m->fragments);
    if (!m->fragments)
        return gnv__error_oom();
    for (size_t i = 0; i < n; i++) {
        Gnvpb__DataFragment *f = (Gnvpb__DataFragment *)gnv__pb_dup(&frags[i]->base);
        if (!f)
            return GNV_ENOMEM;
        m->fragments[m->n_fragments++] = f;
        if (!m->has_max_fragment_id || f->id > m->max_fragment_id) {
            m->has_max_fragment_id = 1;
            m->max_fragment_id = (uint32_t)f->id;
        }
    }
    return GNV_OK;
}

static bool has_field(const Gnvpb__Manifest *m, int32_t id)
{
    for (size_t i = 0; i < m->n_fields; i++)
        if (m->fields[i]->id == id)
            return true;
    return false;
}

/* Drop data files that hold no field of m's schema (after a project), as Lance does. */
static void drop_unused_files(Gnvpb__Manifest *m)
{
    for (size_t i = 0; i < m->n_fragments; i++) {
        Gnvpb__DataFragment *f = m->fragments[i];
        size_t keep = 0;
        for (size_t k = 0; k < f->n_files; k++) {
            bool used = false;
            for (size_t j = 0; j < f->files[k]->n_fields && !used; j++)
                used = has_field(m, f->files[k]->fields[j]);
            if (used)
                f->files[keep++] = f->files[k];
            else
                gnv__pb_free(&f->files[k]->base);
        }
        f->n_files = keep;
    }
}

/*
 * The index section for m after a schema change: indexes on a field m no longer has
 * are dropped (Lance's retain_relevant_indices; system indexes, named "__...", stay).
 * Byte for byte the old section when nothing is dropped.
 */
static int retain_indices(gnv_buf *out, const gnv_buf *old, const Gnvpb__Manifest *m)
{
    int rc = GNV_OK;
    Gnvpb__IndexSection *sec = NULL;
    if (!old->size)
        return GNV_OK;
    sec = gnv__pb_unpack(&gnvpb__index_section__descriptor, old->size, (const uint8_t *)old->ptr,
                         "index section");
    if (!sec)
        return gnv_error_last() ? gnv_error_last()->code : GNV_ECORRUPT;
    size_t keep = 0;
    for (size_t i = 0; i < sec->n_indices; i++) {
        Gnvpb__IndexMetadata *x = sec->indices[i];
        bool ok = x->name && !strncmp(x->name, "__", 2);
        if (!ok) {
            ok = true;
            for (size_t j = 0; j < x->n_fields && ok; j++)
                ok = has_field(m, x->fields[j]);
        }
        if (ok)
            sec->indices[keep++] = x;
        else
            gnv__pb_free(&x->base);
    }
    if (keep == sec->n_indices) {
        GNV_TRYG(gnv__buf_put(out, old->ptr, old->size));
    } else {
        sec->n_indices = keep;
        size_t n = gnvpb__index_section__get_packed_size(sec);
        GNV_TRYG(gnv__buf_reserve(out, n));
        gnvpb__index_section__pack(sec, (uint8_t *)out->ptr);
        out->size = n;
    }
done:
    gnv__pb_free(&sec->base);
    return rc;
}

static int set_fields(Gnvpb__Manifest *m, Gnvpb__Field *const *fields, size_t n)
{
    free_fields(m);
    if (n == 0)
        return GNV_OK;
    m->fields = gnv__calloc(n, sizeof *m->fields);
    if (!m->fields)
        return gnv__error_oom();
    for (size_t i = 0; i < n; i++) {
        m->fields[i] = (Gnvpb__Field *)gnv__pb_dup(&fields[i]->base);
        if (!m->fields[i])
            return GNV_ENOMEM;
        m->n_fields = i + 1;
    }
    return GNV_OK;
}

static int set_string(char **slot, const char *value)
{
    char *s = gnv__strdup(value);
    if (!s)
        return gnv__error_oom();
    gnv__free(*slot);
    *slot = s;
    return GNV_OK;
}

/* Version, time, transaction file and writer of a new manifest. */
static int stamp(Gnvpb__Manifest *m, uint64_t version, const char *txn_file)
{
    m->has_version = 1;
    m->version = version;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    if (!m->timestamp) {
        m->timestamp = gnv__malloc(sizeof *m->timestamp);
        if (!m->timestamp)
            return gnv__error_oom();
        gnvpb__timestamp__init(m->timestamp);
    }
    m->timestamp->has_seconds = m->timestamp->has_nanos = 1;
    m->timestamp->seconds = ts.tv_sec;
    m->timestamp->nanos = (int32_t)ts.tv_nsec;
    GNV_TRY(set_string(&m->transaction_file, txn_file));
    if (m->tag) { /* deprecated per-version tag: not carried to a new version */
        gnv__free(m->tag);
        m->tag = NULL;
    }
    if (!m->writer_version) {
        m->writer_version = gnv__malloc(sizeof *m->writer_version);
        if (!m->writer_version)
            return gnv__error_oom();
        gnvpb__manifest__writer_version__init(m->writer_version);
    }
    Gnvpb__Manifest__WriterVersion *w = m->writer_version;
    GNV_TRY(set_string(&w->library, GNV__WRITER_LIBRARY));
    GNV_TRY(set_string(&w->version, GNV_VERSION_STRING));
    gnv__free(w->prerelease);
    gnv__free(w->build_metadata);
    w->prerelease = w->build_metadata = NULL;
    return GNV_OK;
}

static int set_data_format(Gnvpb__Manifest *m, const char *version)
{
    if (!m->data_format) {
        m->data_format = gnv__malloc(sizeof *m->data_format);
        if (!m->data_format)
            return gnv__error_oom();
        gnvpb__manifest__data_storage_format__init(m->data_format);
    }
    GNV_TRY(set_string(&m->data_format->file_format, "lance"));
    return set_string(&m->data_format->version, version ? version : "2.1");
}

/*
 * A delete or update over m (a copy of the base): replace the fragments c->updated
 * name by id, drop those of c->removed_ids, and flag deletion files (feature flag 1)
 * when a fragment has one. GNV_ECONFLICT when one of them is gone from the base.
 */
static int apply_deletions(Gnvpb__Manifest *m, const gnv__commit *c)
{
    for (size_t i = 0; i < c->n_updated; i++) {
        size_t j = 0;
        while (j < m->n_fragments && m->fragments[j]->id != c->updated[i]->id)
            j++;
        if (j == m->n_fragments)
            return gnv__error_set(GNV_ECONFLICT, GNV_SUB_TABLE,
                                  "fragment %" PRIu64 " was removed concurrently",
                                  c->updated[i]->id);
        Gnvpb__DataFragment *f = (Gnvpb__DataFragment *)gnv__pb_dup(&c->updated[i]->base);
        if (!f)
            return GNV_ENOMEM;
        gnv__pb_free(&m->fragments[j]->base);
        m->fragments[j] = f;
    }
    for (size_t i = 0; i < c->n_removed; i++) {
        size_t j = 0;
        while (j < m->n_fragments && m->fragments[j]->id != c->removed_ids[i])
            j++;
        if (j == m->n_fragments)
            return gnv__error_set(GNV_ECONFLICT, GNV_SUB_TABLE,
                                  "fragment %" PRIu64 " was removed concurrently",
                                  c->removed_ids[i]);
        gnv__pb_free(&m->fragments[j]->base);
        memmove(&m->fragments[j], &m->fragments[j + 1],
                (m->n_fragments - j - 1) * sizeof *m->fragments);
        m->n_fragments--;
    }
    for (size_t j = 0; j < m->n_fragments; j++)
        if (m->fragments[j]->deletion_file) {
            m->has_reader_feature_flags = m->has_writer_feature_flags = 1;
            m->reader_feature_flags |= 1;
            m->writer_feature_flags |= 1;
            break;
        }
    return GNV_OK;
}

static bool same_ids(const int32_t *a, size_t na, const int32_t *b, size_t nb)
{
    return na == nb && (na == 0 || memcmp(a, b, na * sizeof *a) == 0);
}

/*
 * A data replacement over m (a copy of the latest version): for each replacement, the
 * fragment's file with exactly the new file's fields (and file version) takes the new
 * path and size; otherwise the file is added (as Lance does for a column that was all
 * NULL), and in files that hold those fields among others (rows appended with every
 * column in one file) the fields are tombstoned (id -2, as Lance marks a field whose
 * data moved to another file). GNV_ECONFLICT when the fragment is gone or a field left
 * the schema.
 */
static int apply_replacements(Gnvpb__Manifest *m, const gnv__commit *c)
{
    for (size_t i = 0; i < c->n_replace; i++) {
        const Gnvpb__DataFile *nf = c->replace_files[i];
        Gnvpb__DataFragment *f = NULL;
        for (size_t j = 0; j < m->n_fragments && !f; j++)
            if (m->fragments[j]->id == c->replace_ids[i])
                f = m->fragments[j];
        if (!f)
            return gnv__error_set(GNV_ECONFLICT, GNV_SUB_TABLE,
                                  "fragment %" PRIu64 " was rewritten or removed concurrently",
                                  c->replace_ids[i]);
        for (size_t k = 0; k < nf->n_fields; k++) {
            bool known = false;
            for (size_t q = 0; q < m->n_fields && !known; q++)
                known = m->fields[q]->id == nf->fields[k];
            if (!known)
                return gnv__error_set(GNV_ECONFLICT, GNV_SUB_TABLE,
                                      "field %d was dropped concurrently", (int)nf->fields[k]);
        }
        Gnvpb__DataFile *same = NULL;
        bool overlap = false;
        for (size_t k = 0; k < f->n_files; k++) {
            Gnvpb__DataFile *d = f->files[k];
            if (same_ids(d->fields, d->n_fields, nf->fields, nf->n_fields) &&
                d->file_major_version == nf->file_major_version &&
                d->file_minor_version == nf->file_minor_version) {
                same = d;
                continue;
            }
            for (size_t a = 0; a < d->n_fields; a++)
                for (size_t b = 0; b < nf->n_fields; b++)
                    overlap |= d->fields[a] == nf->fields[b];
        }
        if (overlap && !same)
            for (size_t k = 0; k < f->n_files; k++) {
                Gnvpb__DataFile *d = f->files[k];
                for (size_t a = 0; a < d->n_fields; a++)
                    for (size_t b = 0; b < nf->n_fields; b++)
                        if (d->fields[a] == nf->fields[b])
                            d->fields[a] = -2;
            }
        else if (overlap)
            return gnv__error_set(GNV_ECONFLICT, GNV_SUB_TABLE,
                                  "fragment %" PRIu64 " holds the replaced fields in two files",
                                  f->id);
        Gnvpb__DataFile *copy = (Gnvpb__DataFile *)gnv__pb_dup(&nf->base);
        if (!copy)
            return GNV_ENOMEM;
        if (same) {
            for (size_t k = 0; k < f->n_files; k++)
                if (f->files[k] == same)
                    f->files[k] = copy;
            gnv__pb_free(&same->base);
        } else {
            Gnvpb__DataFile **arr = gnv__reallocarray(f->files, f->n_files + 1, sizeof *arr);
            if (!arr) {
                gnv__pb_free(&copy->base);
                return gnv__error_oom();
            }
            f->files = arr;
            f->files[f->n_files++] = copy;
        }
    }
    return GNV_OK;
}

static bool same_deletion(const Gnvpb__DeletionFile *a, const Gnvpb__DeletionFile *b)
{
    if (!a || !b)
        return !a && !b;
    return a->id == b->id && a->read_version == b->read_version && a->file_type == b->file_type;
}

/*
 * A rewrite over m (a copy of the latest version), as Lance's handle_rewrite_fragments:
 * each group's old fragments are removed and its new fragments, with ids from *next_id
 * on, take the place of the first old one. GNV_ECONFLICT when an old fragment is gone or
 * changed (new deletions, data files or rows) since the rewrite read it. Row ids the
 * new fragments carry (stable row ids) are kept; next_row_id does not move.
 */
static int apply_rewrite(Gnvpb__Manifest *m, const gnv__commit *c, uint64_t *next_id)
{
    for (size_t g = 0; g < c->n_groups; g++) {
        const gnv__rewrite_group *grp = &c->groups[g];
        size_t at = SIZE_MAX;
        for (size_t i = 0; i < grp->n_old; i++) {
            const Gnvpb__DataFragment *old = grp->old[i];
            size_t j = 0;
            while (j < m->n_fragments && m->fragments[j]->id != old->id)
                j++;
            if (j == m->n_fragments)
                return gnv__error_set(GNV_ECONFLICT, GNV_SUB_TABLE,
                                      "fragment %" PRIu64 " was removed concurrently", old->id);
            const Gnvpb__DataFragment *cur = m->fragments[j];
            if (!same_deletion(cur->deletion_file, old->deletion_file) ||
                cur->n_files != old->n_files || cur->physical_rows != old->physical_rows)
                return gnv__error_set(GNV_ECONFLICT, GNV_SUB_TABLE,
                                      "fragment %" PRIu64 " was changed concurrently", old->id);
            if (i == 0)
                at = j;
            gnv__pb_free(&m->fragments[j]->base);
            memmove(&m->fragments[j], &m->fragments[j + 1],
                    (m->n_fragments - j - 1) * sizeof *m->fragments);
            m->n_fragments--;
            if (j < at)
                at--;
        }
        if (at == SIZE_MAX)
            at = m->n_fragments;
        if (grp->n_new == 0)
            continue;
        Gnvpb__DataFragment **arr =
            gnv__reallocarray(m->fragments, m->n_fragments + grp->n_new, sizeof *arr);
        if (!arr)
            return gnv__error_oom();
        m->fragments = arr;
        memmove(&m->fragments[at + grp->n_new], &m->fragments[at],
                (m->n_fragments - at) * sizeof *m->fragments);
        for (size_t i = 0; i < grp->n_new; i++) {
            Gnvpb__DataFragment *f = (Gnvpb__DataFragment *)gnv__pb_dup(&grp->new_frags[i]->base);
            if (!f) { /* close the gap so that m frees cleanly */
                memmove(&m->fragments[at + i], &m->fragments[at + grp->n_new],
                        (m->n_fragments - i - at) * sizeof *m->fragments);
                return GNV_ENOMEM;
            }
            f->id = (*next_id)++;
            m->fragments[at + i] = f;
            m->n_fragments++;
        }
        m->has_max_fragment_id = 1;
        m->max_fragment_id = (uint32_t)(*next_id - 1);
    }
    return GNV_OK;
}

/*
 * The manifest of version base_version+1 for commit c over `base` (NULL for a new
 * dataset). `restored` is the manifest of c->restore_version for a restore. The index
 * section to write goes to index_out.
 */
static int build_manifest(Gnvpb__Manifest **out,
                          gnv_buf *index_out,
                          const gnv__commit *c,
                          const Gnvpb__Manifest *base,
                          const gnv_buf *base_index,
                          const Gnvpb__Manifest *restored,
                          const gnv_buf *restored_index,
                          const char *txn_file)
{
    int rc = GNV_OK;
    Gnvpb__Manifest *m = NULL;
    uint64_t next_id = next_fragment_id(base);
    uint64_t version = base ? base->version + 1 : 1;
    *out = NULL;
    gnv__buf_clear(index_out);

    if (c->op == GNV__OP_RESTORE) {
        m = (Gnvpb__Manifest *)gnv__pb_dup(&restored->base);
        GNV_CHECK_ALLOC(m);
        uint64_t keep = next_fragment_id(restored);
        if (next_id > keep && next_id > 0) { /* never hand out an id twice */
            m->has_max_fragment_id = 1;
            m->max_fragment_id = (uint32_t)(next_id - 1);
        }
        if (restored_index->size)
            GNV_TRYG(gnv__buf_put(index_out, restored_index->ptr, restored_index->size));
    } else if (base) {
        m = (Gnvpb__Manifest *)gnv__pb_dup(&base->base);
        GNV_CHECK_ALLOC(m);
        if (c->op == GNV__OP_APPEND) {
            if (base_index->size) /* carried forward byte for byte */
                GNV_TRYG(gnv__buf_put(index_out, base_index->ptr, base_index->size));
        } else if (c->op == GNV__OP_DELETE || c->op == GNV__OP_UPDATE) {
            /* indexes stay: deleted rows are masked at query time, and the rewritten
             * rows of an update land in new (unindexed) fragments */
            if (base_index->size)
                GNV_TRYG(gnv__buf_put(index_out, base_index->ptr, base_index->size));
            GNV_TRYG(apply_deletions(m, c));
        } else if (c->op == GNV__OP_MERGE || c->op == GNV__OP_PROJECT) {
            /* schema evolution: new schema (merge: and the fragments, ids kept) */
            GNV_TRYG(set_fields(m, c->fields, c->n_fields));
            if (c->op == GNV__OP_MERGE) {
                free_fragments(m);
                GNV_TRYG(merge_fragments(m, c->frags, c->n_frags));
            } else {
                drop_unused_files(m);
            }
            GNV_TRYG(retain_indices(index_out, base_index, m));
            goto stamped;
        } else if (c->op == GNV__OP_DATA_REPLACEMENT) {
            if (base_index->size)
                GNV_TRYG(gnv__buf_put(index_out, base_index->ptr, base_index->size));
            GNV_TRYG(apply_replacements(m, c));
            goto stamped;
        } else if (c->op == GNV__OP_REWRITE) {
            /* the caller rewrote no indexed fragment, so indexes stay as they are */
            if (base_index->size)
                GNV_TRYG(gnv__buf_put(index_out, base_index->ptr, base_index->size));
            GNV_TRYG(apply_rewrite(m, c, &next_id));
            goto stamped;
        } else {
            /* overwrite: new schema and rows; indexes and row-id state do not survive */
            free_fragments(m);
            GNV_TRYG(set_fields(m, c->fields, c->n_fields));
            for (size_t i = 0; i < m->n_schema_metadata; i++)
                gnv__pb_free(&m->schema_metadata[i]->base);
            gnv__free(m->schema_metadata);
            m->schema_metadata = NULL;
            m->n_schema_metadata = 0;
            /* except stable row ids: the new rows get the next ids, as in Lance */
            bool stable = gnv__table_stable_row_ids(base) || c->stable_row_ids;
            m->has_reader_feature_flags = m->has_writer_feature_flags = stable;
            m->reader_feature_flags = m->writer_feature_flags = stable ? 2 : 0;
            if (!stable)
                m->has_next_row_id = 0;
            if (c->data_format)
                GNV_TRYG(set_data_format(m, c->data_format));
        }
        size_t first_new = m->n_fragments;
        GNV_TRYG(add_fragments(m, c->frags, c->n_frags, &next_id));
        /* stable row ids: rows an update moved keep theirs (updated now), the new
         * fragments' rows get the next ids */
        if (gnv__table_stable_row_ids(m)) {
            if (c->op == GNV__OP_UPDATE)
                GNV_TRYG(gnv__rowids_touch(m, first_new, version));
            GNV_TRYG(gnv__rowids_assign(m, first_new, version));
        }
    } else {
        m = gnv__malloc(sizeof *m);
        GNV_CHECK_ALLOC(m);
        gnvpb__manifest__init(m);
        GNV_TRYG(set_fields(m, c->fields, c->n_fields));
        GNV_TRYG(set_data_format(m, c->data_format));
        GNV_TRYG(add_fragments(m, c->frags, c->n_frags, &next_id));
        if (c->stable_row_ids) { /* reader and writer flag 2; the rows get ids 0, 1, ... */
            m->has_reader_feature_flags = m->has_writer_feature_flags = 1;
            m->reader_feature_flags = m->writer_feature_flags = 2;
            GNV_TRYG(gnv__rowids_assign(m, 0, version));
        }
    }
stamped:
    GNV_TRYG(stamp(m, version, txn_file));
    *out = m;
    m = NULL;
done:
    gnv__manifest_free(m);
    return rc;
}

/* The packed Transaction of commit c read at read_version. */
static int
build_transaction(gnv_buf *out, const gnv__commit *c, uint64_t read_version, const char *uuid)
{
    Gnvpb__Transaction x = GNVPB__TRANSACTION__INIT;
    Gnvpb__Transaction__Append app = GNVPB__TRANSACTION__APPEND__INIT;
    Gnvpb__Transaction__Overwrite ow = GNVPB__TRANSACTION__OVERWRITE__INIT;
    Gnvpb__Transaction__Restore rs = GNVPB__TRANSACTION__RESTORE__INIT;
    Gnvpb__Transaction__Merge mg = GNVPB__TRANSACTION__MERGE__INIT;
    Gnvpb__Transaction__Project pj = GNVPB__TRANSACTION__PROJECT__INIT;
    Gnvpb__Transaction__Delete del = GNVPB__TRANSACTION__DELETE__INIT;
    Gnvpb__Transaction__Update up = GNVPB__TRANSACTION__UPDATE__INIT;
    Gnvpb__Transaction__DataReplacement dr = GNVPB__TRANSACTION__DATA_REPLACEMENT__INIT;
    Gnvpb__Transaction__DataReplacementGroup *groups = NULL;
    Gnvpb__Transaction__Rewrite rw = GNVPB__TRANSACTION__REWRITE__INIT;
    Gnvpb__Transaction__Rewrite__RewriteGroup *rw_groups = NULL;
    x.has_read_version = 1;
    x.read_version = read_version;
    x.uuid = (char *)uuid;
    switch (c->op) {
    case GNV__OP_APPEND:
        x.operation_case = GNVPB__TRANSACTION__OPERATION_APPEND;
        app.fragments = c->frags;
        app.n_fragments = c->n_frags;
        x.append = &app;
        break;
    case GNV__OP_OVERWRITE:
        x.operation_case = GNVPB__TRANSACTION__OPERATION_OVERWRITE;
        ow.fragments = c->frags;
        ow.n_fragments = c->n_frags;
        ow.schema = c->fields;
        ow.n_schema = c->n_fields;
        x.overwrite = &ow;
        break;
    case GNV__OP_MERGE:
        x.operation_case = GNVPB__TRANSACTION__OPERATION_MERGE;
        mg.fragments = c->frags;
        mg.n_fragments = c->n_frags;
        mg.schema = c->fields;
        mg.n_schema = c->n_fields;
        x.merge = &mg;
        break;
    case GNV__OP_PROJECT:
        x.operation_case = GNVPB__TRANSACTION__OPERATION_PROJECT;
        pj.schema = c->fields;
        pj.n_schema = c->n_fields;
        x.project = &pj;
        break;
    case GNV__OP_DELETE:
        x.operation_case = GNVPB__TRANSACTION__OPERATION_DELETE;
        del.updated_fragments = c->updated;
        del.n_updated_fragments = c->n_updated;
        del.deleted_fragment_ids = (uint64_t *)c->removed_ids;
        del.n_deleted_fragment_ids = c->n_removed;
        del.predicate = (char *)(c->predicate ? c->predicate : "");
        x.delete_ = &del;
        break;
    case GNV__OP_UPDATE:
        x.operation_case = GNVPB__TRANSACTION__OPERATION_UPDATE;
        up.removed_fragment_ids = (uint64_t *)c->removed_ids;
        up.n_removed_fragment_ids = c->n_removed;
        up.updated_fragments = c->updated;
        up.n_updated_fragments = c->n_updated;
        up.new_fragments = c->frags;
        up.n_new_fragments = c->n_frags;
        x.update = &up;
        break;
    case GNV__OP_DATA_REPLACEMENT:
        x.operation_case = GNVPB__TRANSACTION__OPERATION_DATA_REPLACEMENT;
        groups = gnv__calloc(c->n_replace ? c->n_replace : 1, sizeof *groups);
        dr.replacements = gnv__calloc(c->n_replace ? c->n_replace : 1, sizeof *dr.replacements);
        if (!groups || !dr.replacements) {
            gnv__free(groups);
            gnv__free(dr.replacements);
            return gnv__error_oom();
        }
        for (size_t i = 0; i < c->n_replace; i++) {
            gnvpb__transaction__data_replacement_group__init(&groups[i]);
            groups[i].has_fragment_id = 1;
            groups[i].fragment_id = c->replace_ids[i];
            groups[i].new_file = c->replace_files[i];
            dr.replacements[i] = &groups[i];
        }
        dr.n_replacements = c->n_replace;
        x.data_replacement = &dr;
        break;
    case GNV__OP_REWRITE:
        x.operation_case = GNVPB__TRANSACTION__OPERATION_REWRITE;
        rw_groups = gnv__calloc(c->n_groups ? c->n_groups : 1, sizeof *rw_groups);
        rw.groups = gnv__calloc(c->n_groups ? c->n_groups : 1, sizeof *rw.groups);
        if (!rw_groups || !rw.groups) {
            gnv__free(rw_groups);
            gnv__free(rw.groups);
            return gnv__error_oom();
        }
        for (size_t i = 0; i < c->n_groups; i++) {
            gnvpb__transaction__rewrite__rewrite_group__init(&rw_groups[i]);
            rw_groups[i].old_fragments = (Gnvpb__DataFragment **)c->groups[i].old;
            rw_groups[i].n_old_fragments = c->groups[i].n_old;
            rw_groups[i].new_fragments = (Gnvpb__DataFragment **)c->groups[i].new_frags;
            rw_groups[i].n_new_fragments = c->groups[i].n_new;
            rw.groups[i] = &rw_groups[i];
        }
        rw.n_groups = c->n_groups;
        x.rewrite = &rw;
        break;
    default:
        x.operation_case = GNVPB__TRANSACTION__OPERATION_RESTORE;
        rs.has_version = 1;
        rs.version = c->restore_version;
        x.restore = &rs;
        break;
    }
    size_t n = gnvpb__transaction__get_packed_size(&x);
    gnv__buf_clear(out);
    int rc = gnv__buf_reserve(out, n);
    if (rc == GNV_OK) {
        gnvpb__transaction__pack(&x, (uint8_t *)out->ptr);
        out->size = n;
    }
    gnv__free(groups);
    gnv__free(dr.replacements);
    gnv__free(rw_groups);
    gnv__free(rw.groups);
    return rc;
}

static const char *op_name(int op)
{
    switch (op) {
    case GNV__OP_APPEND:
        return "append";
    case GNV__OP_OVERWRITE:
        return "overwrite";
    case GNV__OP_MERGE:
        return "merge";
    case GNV__OP_PROJECT:
        return "project";
    case GNV__OP_DELETE:
        return "delete";
    case GNV__OP_UPDATE:
        return "update";
    case GNV__OP_DATA_REPLACEMENT:
        return "data replacement";
    case GNV__OP_REWRITE:
        return "rewrite";
    default:
        return "restore";
    }
}

/* Whether our operation can be rebased over theirs. Appends commute with operations
 * that keep the schema; overwrite and restore replace the content whatever came
 * before, as in Lance. */
static bool commutes(int ours, const char *theirs)
{
    if (ours == GNV__OP_MERGE || ours == GNV__OP_PROJECT) {
        /* a merge replaces every fragment and a project the schema: only operations
         * that change neither may have come in between */
        static const char *const keep[] = {"create_index", "reserve_fragments", "update_config"};
        for (size_t i = 0; i < GNV_ARRAY_SIZE(keep); i++)
            if (theirs && !strcmp(theirs, keep[i]))
                return true;
        return false;
    }
    if (ours == GNV__OP_DELETE || ours == GNV__OP_UPDATE) {
        /* deletes, updates and rewrites of other fragments are checked by touches_ours() */
        static const char *const keep[] = {"append",       "delete",       "update",
                                           "rewrite",      "create_index", "reserve_fragments",
                                           "update_config"};
        for (size_t i = 0; i < GNV_ARRAY_SIZE(keep); i++)
            if (theirs && !strcmp(theirs, keep[i]))
                return true;
        return false;
    }
    if (ours == GNV__OP_DATA_REPLACEMENT) {
        /* applied on the latest version: fragments or fields that went away are
         * reported by apply_replacements() */
        static const char *const keep[] = {"append",           "delete",        "update",
                                           "rewrite",          "create_index",  "reserve_fragments",
                                           "data_replacement", "update_config", "merge",
                                           "project"};
        for (size_t i = 0; i < GNV_ARRAY_SIZE(keep); i++)
            if (theirs && !strcmp(theirs, keep[i]))
                return true;
        return false;
    }
    if (ours == GNV__OP_REWRITE) {
        /* as Lance's check_rewrite_txn: changes to the rewritten fragments are found by
         * touches_ours() and apply_rewrite(); merges, overwrites, restores and new
         * indexes conflict */
        static const char *const keep[] = {"append",           "delete",       "update",
                                           "rewrite",          "project",      "reserve_fragments",
                                           "data_replacement", "update_config"};
        for (size_t i = 0; i < GNV_ARRAY_SIZE(keep); i++)
            if (theirs && !strcmp(theirs, keep[i]))
                return true;
        return false;
    }
    if (ours != GNV__OP_APPEND)
        return true;
    static const char *const ok[] = {"append",           "delete",       "update",
                                     "rewrite",          "create_index", "reserve_fragments",
                                     "data_replacement", "update_config"};
    for (size_t i = 0; i < GNV_ARRAY_SIZE(ok); i++)
        if (theirs && !strcmp(theirs, ok[i]))
            return true;
    return false;
}

static bool ours_has(const gnv__commit *c, uint64_t id)
{
    for (size_t i = 0; i < c->n_updated; i++)
        if (c->updated[i]->id == id)
            return true;
    for (size_t i = 0; i < c->n_removed; i++)
        if (c->removed_ids[i] == id)
            return true;
    for (size_t g = 0; g < c->n_groups; g++)
        for (size_t i = 0; i < c->groups[g].n_old; i++)
            if (c->groups[g].old[i]->id == id)
                return true;
    return false;
}

/* For our delete, update or rewrite over their delete, update or rewrite (or data
 * replacement, for our rewrite) (the packed transaction txn): the first fragment both
 * change, or -1 when none. GNV_ENOMEM only. */
static int touches_ours(int64_t *out, const gnv__commit *c, const gnv_buf *txn)
{
    *out = -1;
    if (c->op != GNV__OP_DELETE && c->op != GNV__OP_UPDATE && c->op != GNV__OP_REWRITE)
        return GNV_OK;
    Gnvpb__Transaction *x = gnv__pb_unpack(&gnvpb__transaction__descriptor, txn->size,
                                           (const uint8_t *)txn->ptr, "transaction");
    if (!x)
        return gnv__error_code() == GNV_ENOMEM ? GNV_ENOMEM : GNV_ECORRUPT;
    Gnvpb__DataFragment **frags = NULL;
    size_t n_frags = 0, n_ids = 0;
    const uint64_t *ids = NULL;
    if (x->operation_case == GNVPB__TRANSACTION__OPERATION_DELETE) {
        frags = x->delete_->updated_fragments;
        n_frags = x->delete_->n_updated_fragments;
        ids = x->delete_->deleted_fragment_ids;
        n_ids = x->delete_->n_deleted_fragment_ids;
    } else if (x->operation_case == GNVPB__TRANSACTION__OPERATION_UPDATE) {
        frags = x->update->updated_fragments;
        n_frags = x->update->n_updated_fragments;
        ids = x->update->removed_fragment_ids;
        n_ids = x->update->n_removed_fragment_ids;
    } else if (x->operation_case == GNVPB__TRANSACTION__OPERATION_REWRITE) {
        const Gnvpb__Transaction__Rewrite *r = x->rewrite;
        for (size_t i = 0; i < r->n_old_fragments && *out < 0; i++)
            if (ours_has(c, r->old_fragments[i]->id))
                *out = (int64_t)r->old_fragments[i]->id;
        for (size_t g = 0; g < r->n_groups && *out < 0; g++)
            for (size_t i = 0; i < r->groups[g]->n_old_fragments && *out < 0; i++)
                if (ours_has(c, r->groups[g]->old_fragments[i]->id))
                    *out = (int64_t)r->groups[g]->old_fragments[i]->id;
    } else if (x->operation_case == GNVPB__TRANSACTION__OPERATION_DATA_REPLACEMENT &&
               c->op == GNV__OP_REWRITE) {
        const Gnvpb__Transaction__DataReplacement *d = x->data_replacement;
        for (size_t i = 0; i < d->n_replacements && *out < 0; i++)
            if (ours_has(c, d->replacements[i]->fragment_id))
                *out = (int64_t)d->replacements[i]->fragment_id;
    }
    for (size_t i = 0; i < n_frags && *out < 0; i++)
        if (ours_has(c, frags[i]->id))
            *out = (int64_t)frags[i]->id;
    for (size_t i = 0; i < n_ids && *out < 0; i++)
        if (ours_has(c, ids[i]))
            *out = (int64_t)ids[i];
    gnv__pb_free(&x->base);
    return GNV_OK;
}

static bool same_fields(const Gnvpb__Manifest *a, const Gnvpb__Manifest *b)
{
    if (a->n_fields != b->n_fields)
        return false;
    for (size_t i = 0; i < a->n_fields; i++) {
        const Gnvpb__Field *x = a->fields[i], *y = b->fields[i];
        if (x->id != y->id || x->parent_id != y->parent_id ||
            strcmp(x->name ? x->name : "", y->name ? y->name : "") != 0 ||
            strcmp(x->logical_type ? x->logical_type : "",
                   y->logical_type ? y->logical_type : "") != 0)
            return false;
    }
    return true;
}

/*
 * After losing the race for version base->version+1: check the versions committed
 * since, and load the latest into *base / base_index. GNV_ECONFLICT when one of them
 * does not commute with ours.
 */
static int rebase(gnv_table *t, const gnv__commit *c, Gnvpb__Manifest **base, gnv_buf *base_index)
{
    int rc = GNV_OK;
    uint64_t latest;
    bool v1;
    Gnvpb__Manifest *m = NULL;
    gnv_buf idx = GNV_BUF_INIT, inl = GNV_BUF_INIT, txn = GNV_BUF_INIT;
    GNV_TRYG(gnv__table_latest(t->io, t->dir, &latest, &v1));
    GNV_ERR_IF(v1 != t->v1_naming, GNV_ECORRUPT, GNV_SUB_TABLE,
               "table '%s' changed its manifest naming while we committed", t->name);
    uint64_t from = *base ? (*base)->version : 0;
    for (uint64_t v = from + 1; v <= latest; v++) {
        rc = gnv__table_read_version(&m, &idx, &inl, t->io, t->dir, t->name, v, v1);
        if (rc == GNV_ENOTFOUND) {
            gnv_error_clear();
            continue;
        }
        if (rc < 0)
            goto done;
        GNV_TRYG(gnv__table_version_txn(&txn, t->io, t->dir, m, &inl));
        const char *theirs;
        GNV_TRYG(gnv__txn_operation(&theirs, &txn));
        GNV_ERR_IF(!theirs && (c->op == GNV__OP_APPEND || c->op == GNV__OP_DELETE ||
                               c->op == GNV__OP_UPDATE || c->op == GNV__OP_DATA_REPLACEMENT ||
                               c->op == GNV__OP_REWRITE),
                   GNV_ECONFLICT, GNV_SUB_TABLE,
                   "table '%s': version %" PRIu64 " was committed concurrently and has no "
                   "transaction, so our %s cannot be rebased over it",
                   t->name, v, op_name(c->op));
        GNV_ERR_IF(!commutes(c->op, theirs), GNV_ECONFLICT, GNV_SUB_TABLE,
                   "table '%s': our %s conflicts with the %s committed concurrently as "
                   "version %" PRIu64,
                   t->name, op_name(c->op), theirs, v);
        GNV_ERR_IF(c->op == GNV__OP_APPEND && *base && !same_fields(*base, m), GNV_ECONFLICT,
                   GNV_SUB_TABLE,
                   "table '%s': version %" PRIu64 " (%s) changed the schema while we appended",
                   t->name, v, theirs);
        GNV_ERR_IF(c->op == GNV__OP_UPDATE && *base && !same_fields(*base, m), GNV_ECONFLICT,
                   GNV_SUB_TABLE,
                   "table '%s': version %" PRIu64 " (%s) changed the schema while we updated",
                   t->name, v, theirs);
        int64_t both;
        GNV_TRYG(touches_ours(&both, c, &txn));
        GNV_ERR_IF(both >= 0, GNV_ECONFLICT, GNV_SUB_TABLE,
                   "table '%s': our %s conflicts with the %s committed concurrently as "
                   "version %" PRIu64 ", which also changed fragment %" PRId64,
                   t->name, op_name(c->op), theirs, v, both);
        if (v == latest) {
            gnv__manifest_free(*base);
            *base = m;
            m = NULL;
            gnv_buf tmp = *base_index;
            *base_index = idx;
            idx = tmp;
        }
        gnv__manifest_free(m);
        m = NULL;
    }
done:
    gnv__manifest_free(m);
    gnv_buf_dispose(&idx);
    gnv_buf_dispose(&inl);
    gnv_buf_dispose(&txn);
    return rc;
}

void gnv__commit_backoff(int attempt)
{
    char hex[9];
    unsigned r = 0;
    if (gnv__random_hex(hex, 4) == GNV_OK)
        r = (unsigned)strtoul(hex, NULL, 16);
    else
        gnv_error_clear();
    unsigned cap_us = 1000u << (attempt < 7 ? attempt : 7); /* 1 ms .. 128 ms */
    usleep(r % cap_us + 100);
}

int gnv__conflict_retries(const gnv_table *t)
{
    if (t && t->db && t->db->conflict_retries >= 0)
        return t->db->conflict_retries;
    const char *e = getenv("GENEVA_CONFLICT_RETRIES");
    char *end = NULL;
    long v = e && *e ? strtol(e, &end, 10) : -1;
    return v >= 0 && end && !*end && v <= 1000000 ? (int)v : GNV__CONFLICT_RETRIES;
}

int gnv__retry_conflicts(gnv_table *t, int (*once)(gnv_table *t, void *payload), void *payload)
{
    int retries = gnv__conflict_retries(t);
    for (int attempt = 0;; attempt++) {
        int rc = once(t, payload);
        if (rc == GNV_EINVAL && attempt > 0) {
            /* the first run accepted the arguments: the table changed meanwhile (a
             * column dropped, say), which is a conflict, not the caller's mistake */
            const gnv_error *e = gnv_error_last();
            char msg[800];
            snprintf(msg, sizeof msg, "%s", e ? e->message : "invalid");
            return gnv__error_set(GNV_ECONFLICT, GNV_SUB_TABLE,
                                  "table '%s' changed before the operation ran again: %s", t->name,
                                  msg);
        }
        if (rc != GNV_ECONFLICT)
            return rc;
        if (attempt >= retries) {
            const gnv_error *e = gnv_error_last();
            char msg[900];
            snprintf(msg, sizeof msg, "%s", e ? e->message : "conflict");
            return gnv__error_set(GNV_ECONFLICT, GNV_SUB_TABLE, "%s (gave up after %d %s)", msg,
                                  retries, retries == 1 ? "retry" : "retries");
        }
        gnv_error_clear();
        gnv__commit_backoff(attempt);
        GNV_TRY(gnv_table_checkout_latest(t));
    }
}

static void write_hint(gnv_table *t, uint64_t version)
{
    gnv_buf path = GNV_BUF_INIT, body = GNV_BUF_INIT;
    if (gnv__buf_printf(&path, "%s/latest_version_hint.json", t->dir) == GNV_OK &&
        gnv__buf_printf(&body, "{\"version\":%" PRIu64 "}", version) == GNV_OK)
        (void)gnv__io_write_all(t->io, path.ptr, body.ptr, body.size,
                                GNV_IO_REPLACE | GNV_IO_NOSYNC);
    /* only a hint: readers list _versions/, so a failure here changes nothing */
    gnv_error_clear();
    gnv_buf_dispose(&path);
    gnv_buf_dispose(&body);
}

/*
 * After a failed manifest commit: whether our manifest is in place anyway (a backend
 * may fail after the file became visible, e.g. syncing the directory). It is ours when
 * it names our transaction file, whose name holds a fresh UUID. Keeps the original
 * error when not.
 */
static bool landed(gnv_table *t, const char *path, const char *txn_name)
{
    const gnv_error *e = gnv_error_last();
    int code = e ? e->code : GNV_ERROR;
    int sub = e ? e->subsystem : GNV_SUB_TABLE;
    char msg[512];
    snprintf(msg, sizeof msg, "%s", e ? e->message : "manifest commit failed");
    Gnvpb__Manifest *m = NULL;
    bool ours = gnv__manifest_read(&m, t->io, path, NULL, NULL) == GNV_OK && m->transaction_file &&
                strcmp(m->transaction_file, txn_name) == 0;
    gnv__manifest_free(m);
    if (ours)
        gnv_error_clear();
    else
        gnv__error_set(code, sub, "%s", msg);
    return ours;
}

int gnv__table_commit(gnv_table *t, const gnv__commit *c)
{
    int rc = GNV_OK;
    char uuid[33], uuid_str[40];
    gnv_buf txn = GNV_BUF_INIT, txn_name = GNV_BUF_INIT, txn_path = GNV_BUF_INIT;
    gnv_buf base_index = GNV_BUF_INIT, new_index = GNV_BUF_INIT, restored_index = GNV_BUF_INIT;
    Gnvpb__Manifest *base = NULL, *m = NULL, *restored = NULL;
    char *path = NULL;

    if (t->m) {
        base = (Gnvpb__Manifest *)gnv__pb_dup(&t->m->base);
        GNV_CHECK_ALLOC(base);
        GNV_TRYG(gnv__buf_put(&base_index, t->index_section.ptr, t->index_section.size));
    }
    if (c->op == GNV__OP_RESTORE)
        GNV_TRYG(gnv__table_read_version(&restored, &restored_index, NULL, t->io, t->dir, t->name,
                                         c->restore_version, t->v1_naming));

    /* The transaction file first: the manifest names it. */
    uint64_t read_version = base ? base->version : 0;
    GNV_TRYG(gnv__random_hex(uuid, 16));
    uuid[12] = '4'; /* a version-4 UUID, as Lance writes */
    uuid[16] = "89ab"[uuid[16] % 4];
    snprintf(uuid_str, sizeof uuid_str, "%.8s-%.4s-%.4s-%.4s-%.12s", uuid, uuid + 8, uuid + 12,
             uuid + 16, uuid + 20);
    GNV_TRYG(build_transaction(&txn, c, read_version, uuid_str));
    GNV_TRYG(gnv__buf_printf(&txn_name, "%" PRIu64 "-%s.txn", read_version, uuid_str));
    GNV_TRYG(gnv__buf_printf(&txn_path, "%s/_transactions/%s", t->dir, txn_name.ptr));
    GNV_TRYG(gnv__io_write_all(t->io, txn_path.ptr, txn.ptr, txn.size, GNV_IO_NOREPLACE));

    double started = gnv__now();
    for (int attempt = 0;; attempt++) {
        GNV_TRYG(build_manifest(&m, &new_index, c, base, &base_index, restored, &restored_index,
                                txn_name.ptr));
        gnv__free(path);
        path = gnv__table_manifest_path(t->dir, m->version, t->v1_naming);
        GNV_CHECK_ALLOC(path);
        rc = gnv__manifest_write(t->io, path, m, &new_index, &txn);
        if (rc < 0 && rc != GNV_EEXISTS && landed(t, path, txn_name.ptr))
            rc = GNV_OK;
        if (rc == GNV_OK)
            break;
        if (rc != GNV_EEXISTS)
            goto done;
        uint64_t lost = m->version;
        GNV_ERR_IF(c->create_only, GNV_EEXISTS, GNV_SUB_TABLE,
                   "table '%s' already exists (created concurrently)", t->name);
        gnv__manifest_free(m);
        m = NULL;
        GNV_ERR_IF(gnv__now() - started > RACE_SECONDS, GNV_ECONFLICT, GNV_SUB_TABLE,
                   "table '%s': gave up committing our %s after losing %d races in %d s (last "
                   "for version %" PRIu64 ")",
                   t->name, op_name(c->op), attempt + 1, RACE_SECONDS, lost);
        gnv_error_clear();
        GNV_TRYG(rebase(t, c, &base, &base_index));
        if (!base || base->version < lost) {
            /* the winner vanished from the listing: wait for it to show up */
            gnv__manifest_free(base);
            base = NULL;
            rc = gnv__table_read_version(&base, &base_index, NULL, t->io, t->dir, t->name, lost,
                                         t->v1_naming);
            if (rc < 0)
                goto done;
        }
        gnv__commit_backoff(attempt);
    }

    write_hint(t, m->version);
    gnv__manifest_free(t->m);
    t->m = m;
    m = NULL;
    gnv_buf_dispose(&t->index_section);
    t->index_section = new_index;
    new_index = (gnv_buf)GNV_BUF_INIT;
    t->read_only = false;
done:
    gnv__manifest_free(base);
    gnv__manifest_free(m);
    gnv__manifest_free(restored);
    gnv__free(path);
    gnv_buf_dispose(&txn);
    gnv_buf_dispose(&txn_name);
    gnv_buf_dispose(&txn_path);
    gnv_buf_dispose(&base_index);
    gnv_buf_dispose(&new_index);
    gnv_buf_dispose(&restored_index);
    return rc;
}

int gnv_table_restore(gnv_table *t, uint64_t version)
{
    int rc = GNV_OK;
    GNV_ERR_IF(!t, GNV_EINVAL, GNV_SUB_TABLE, "gnv_table_restore: NULL table");
    if (version == 0)
        version = t->m->version;
    gnv__commit c = {0};
    c.op = GNV__OP_RESTORE;
    c.restore_version = version;
    /* A restore commits on top of the latest version, whatever the handle reads. */
    if (t->read_only)
        GNV_TRYG(gnv_table_checkout_latest(t));
    rc = gnv__table_commit(t, &c);
done:
    return rc;
}
