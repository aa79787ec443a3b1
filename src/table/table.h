/*
 * table: databases (directories of Lance datasets), table handles, versions, commits
 * with conflict handling, scans and takes, tags. Uses format (and through it arrow, io).
 *
 * Invariants:
 * - A table handle reads exactly one committed version: `m` is that version's manifest
 *   and `index_section` its raw IndexSection bytes (empty when none).
 * - Nothing is ever written over a committed manifest: a commit creates version
 *   base+1 with a no-replace commit, and on GNV_EEXISTS rebases or reports a conflict.
 * - Data and transaction files are written before the manifest that names them, so a
 *   crash leaves at most orphan files, never a manifest naming a missing file.
 */
#ifndef GNV_TABLE_H
#define GNV_TABLE_H

#include "format/format.h"
#include "geneva/db.h"
#include "geneva/table.h"

#define GNV__TABLE_SUFFIX      ".lance"
#define GNV__TABLE_NAME_MAX    200
#define GNV__DEFAULT_MAX_ROWS  1048576
#define GNV__DEFAULT_MAX_BYTES (90ull << 30)
#define GNV__WRITER_LIBRARY    "geneva-c"

struct gnv_db {
    gnv_io *io;
    bool own_io;
    char *path;
    int conflict_retries; /* -1: the environment, else the default */
};

struct gnv_table {
    gnv_db *db;
    gnv_io *io; /* db->io, borrowed */
    char *name;
    char *dir;          /* "<name>.lance", relative to the io root */
    Gnvpb__Manifest *m; /* the version this handle reads */
    gnv_buf index_section;
    bool v1_naming; /* the table names its manifests "{v}.manifest" */
    bool read_only; /* a checkout of an older version */
    /* read-only handles: gnv_table_take's reader and open files, kept between calls */
    struct gnv__take_cache *take_cache;
};

/* Free a handle's take cache (NULL-safe) (table_read.c). */
void gnv__take_cache_free(struct gnv__take_cache *c);

/* ---- system tables (table_write.c) ------------------------------------------ */

/* The directory of a database's system tables (geneva_jobs, geneva_errors): Lance
 * tables like any other, kept apart from the user's. */
#define GNV__SYSTEM_DIR "__system"

/*
 * Open the system table `name` (at <db>/__system/<name>.lance), creating it with
 * `schema` when missing (a concurrent creator is tolerated); an existing table's schema
 * must equal `schema` (GNV_EINVAL naming the difference). gnv_table_name() of the handle
 * is "__system/<name>". Users cannot create tables of such names.
 */
int gnv__db_system_table(gnv_table **out,
                         gnv_db *db,
                         const char *name,
                         const struct ArrowSchema *schema);

/* ---- names and paths (table_db.c) ----------------------------------------- */

/* GNV_EINVAL with a message saying what is wrong with a table name. */
int gnv__table_check_name(const char *name);
/* "<dir>/_versions/<manifest name>" in the table's naming; gnv__free. */
char *gnv__table_manifest_path(const char *dir, uint64_t version, bool v1_naming);
/* n random bytes as 2n lower-case hex characters plus NUL (from getrandom). */
int gnv__random_hex(char *out, size_t nbytes);

/* ---- versions (table_version.c) ------------------------------------------- */

/* The latest version of the dataset at dir, found by listing _versions/ (the hint file
 * is not trusted). GNV_ENOTFOUND when there is none; GNV_ECORRUPT when V1 and V2 names
 * are mixed. */
int gnv__table_latest(gnv_io *io, const char *dir, uint64_t *version_out, bool *v1_out);
/* Read one version's manifest (and its raw index section) and check its flags. */
int gnv__table_read_version(Gnvpb__Manifest **m_out,
                            gnv_buf *index_out,
                            gnv_buf *txn_out,
                            gnv_io *io,
                            const char *dir,
                            const char *name,
                            uint64_t version,
                            bool v1_naming);
/* A handle on `name` with no version read yet (for a table being created). */
int gnv__table_new(gnv_table **out, gnv_db *db, const char *name);
/* A new handle on `name` at `version` (0: latest). */
int gnv__table_open_at(gnv_table **out, gnv_db *db, const char *name, uint64_t version);
/* The operation of a packed Transaction ("append", ...), "unknown" (also for bytes
 * that do not decode), or NULL when txn is empty. Static strings. GNV_ENOMEM only. */
int gnv__txn_operation(const char **out, const gnv_buf *txn);
/* The transaction of a manifest: its inline section, else its transaction_file. Empty
 * when the version has none. */
int gnv__table_version_txn(gnv_buf *txn_out,
                           gnv_io *io,
                           const char *dir,
                           const Gnvpb__Manifest *m,
                           const gnv_buf *inline_txn);

/* ---- commits (table_commit.c) --------------------------------------------- */

typedef enum gnv__op {
    GNV__OP_APPEND = 100,
    GNV__OP_DELETE = 101, /* deletion files on some fragments, others removed */
    GNV__OP_OVERWRITE = 102,
    GNV__OP_REWRITE = 104, /* groups of fragments replaced by new ones holding their rows */
    GNV__OP_MERGE = 105,   /* new schema and every fragment (ids kept): add/alter columns */
    GNV__OP_RESTORE = 106,
    GNV__OP_UPDATE = 108,          /* a delete plus new fragments holding the rewritten rows */
    GNV__OP_PROJECT = 109,         /* new schema only: drop, rename, relax nullability */
    GNV__OP_DATA_REPLACEMENT = 111 /* new data files for columns of some fragments */
} gnv__op;

/* One group of a rewrite (Lance's RewriteGroup): the fragments old[0..n_old) of the base,
 * consecutive in its fragment list, are replaced by new_frags[0..n_new) (ids assigned by
 * the commit) at the position of old[0]. */
typedef struct gnv__rewrite_group {
    Gnvpb__DataFragment *const *old;
    size_t n_old;
    Gnvpb__DataFragment *const *new_frags;
    size_t n_new;
} gnv__rewrite_group;

/* What a commit changes. Everything is borrowed; the commit copies what it keeps. */
typedef struct gnv__commit {
    int op;
    /* append, overwrite: the new fragments (ids are assigned by the commit); merge:
     * every fragment of the new version, ids kept */
    Gnvpb__DataFragment **frags;
    size_t n_frags;
    /* overwrite (or a new table), merge, project: the schema; overwrite: the data
     * format version ("2.1") */
    Gnvpb__Field **fields;
    size_t n_fields;
    const char *data_format;
    /* restore: the version whose content to commit */
    uint64_t restore_version;
    /* creating a new table: losing the race for version 1 is GNV_EEXISTS */
    bool create_only;
    /* overwrite creating a new table: give it stable row ids (feature flag 2) */
    bool stable_row_ids;
    /* delete, update: fragments replaced by these (same ids, new deletion files), and
     * fragments removed whole; update also adds `frags` (the rewritten rows) */
    Gnvpb__DataFragment **updated;
    size_t n_updated;
    const uint64_t *removed_ids;
    size_t n_removed;
    const char *predicate; /* delete: the filter, recorded in the transaction */
    /* data replacement (Lance's DataReplacement): fragment replace_ids[i] gets
     * replace_files[i]; a file of the fragment with exactly its fields (and file
     * version) is replaced, else the file is added (the column was all NULL there).
     * Applied on the latest version, so concurrent appends, deletes and other columns
     * are kept; GNV_ECONFLICT when a fragment is gone or one of the file's fields is no
     * longer in the schema. */
    const uint64_t *replace_ids;
    Gnvpb__DataFile *const *replace_files;
    size_t n_replace;
    /* rewrite (compaction): applied on the latest version; GNV_ECONFLICT when one of
     * the old fragments is gone or was changed since (a deletion file, new data) */
    const gnv__rewrite_group *groups;
    size_t n_groups;
} gnv__commit;

/*
 * Commit version base+1 where base is t's version (t->m NULL: a new dataset at version
 * 1). On a lost race, re-reads the newer versions and, when they commute with c,
 * rebuilds on the latest and retries (bounded, with randomized backoff); otherwise
 * GNV_ECONFLICT naming the competing version and operation. On success t reads the new
 * version and is writable.
 */
int gnv__table_commit(gnv_table *t, const gnv__commit *c);

/* A deep copy of any message (unknown fields included), allocated with
 * gnv__pb_allocator(); NULL on failure (error set). */
ProtobufCMessage *gnv__pb_dup(const ProtobufCMessage *msg);
void gnv__pb_free(ProtobufCMessage *msg);

/* ---- deletions (table_delete.c, table_read.c) ------------------------------ */

/* Append a deletion file's path as Lance names it,
 * "[dir/]_deletions/{fragment}-{read_version}-{id}.{arrow|bin}" (dir may be NULL). */
int gnv__deletion_file_path(gnv_buf *out,
                            const char *dir,
                            uint64_t fragment_id,
                            uint64_t read_version,
                            uint64_t id,
                            bool bitmap);

/* The deleted-row bitmap of fragment f of the table at dir (bit i: row i deleted;
 * physical_rows/8+1 bytes), or NULL when it has no deletion file. GNV_ECORRUPT naming
 * a missing or damaged deletion file. */
int gnv__fragment_deletions(
    gnv_io *io, const char *dir, const char *tname, const Gnvpb__DataFragment *f, uint8_t **out);

/* Rows of one fragment to delete: offsets ascending (duplicates allowed). */
typedef struct gnv__frag_rows {
    uint64_t fragment_id;
    const uint32_t *rows;
    size_t n;
} gnv__frag_rows;

/* What deleting rows changes, ready for a delete or update commit (owned). */
typedef struct gnv__deletions {
    Gnvpb__DataFragment **updated; /* copies with their new DeletionFile */
    size_t n_updated;
    uint64_t *removed_ids; /* fragments all of whose rows are now deleted */
    size_t n_removed;
    int64_t n_deleted; /* rows newly deleted */
} gnv__deletions;
void gnv__deletions_reset(gnv__deletions *d);

/*
 * Write, for each fragment of `sets` (fragments of t's version; each at most once), a
 * deletion file holding its existing deletions and the new rows, as Lance does: an
 * Arrow IPC file of one uint32 column below 5000 deleted rows, else a portable Roaring
 * bitmap, named _deletions/{fragment}-{t's version}-{random u64}.{arrow|bin}. Fragments
 * left without live rows go to removed_ids instead (no file). Rows already deleted are
 * not counted again. GNV_EINVAL naming an unknown fragment or a row past its end.
 */
int gnv__table_write_deletions(gnv__deletions *out,
                               gnv_table *t,
                               const gnv__frag_rows *sets,
                               size_t n_sets);

/* How many times delete, update and merge insert run again when they lose to a
 * concurrent change of the same fragments, unless the database's options or
 * GENEVA_CONFLICT_RETRIES say otherwise (Lance's default conflict_retries is 10). */
#define GNV__CONFLICT_RETRIES 10
/* The retries of t's database: gnv_db_options.conflict_retries when set, else
 * GENEVA_CONFLICT_RETRIES, else GNV__CONFLICT_RETRIES. */
int gnv__conflict_retries(const gnv_table *t);
/* Sleep a random time below 1 ms << attempt (at most 128 ms): between commit tries. */
void gnv__commit_backoff(int attempt);
/* Run once(t, payload); while it fails with GNV_ECONFLICT (it lost to a concurrent
 * change of the same rows and committed nothing), back off, move t to the latest
 * version and run it again, up to gnv__conflict_retries(t) times; then GNV_ECONFLICT
 * naming the competing change and the retries. A run after the first that fails with
 * GNV_EINVAL found the table changed under arguments the first run accepted: that is
 * GNV_ECONFLICT too. */
int gnv__retry_conflicts(gnv_table *t, int (*once)(gnv_table *t, void *payload), void *payload);

/* Delete rows by offset and commit a Delete transaction recording `predicate` (may be
 * NULL). Nothing is committed when no row is newly deleted. *deleted_out (may be NULL)
 * receives the number of rows deleted. */
int gnv__table_delete_rows(gnv_table *t,
                           const gnv__frag_rows *sets,
                           size_t n_sets,
                           const char *predicate,
                           int64_t *deleted_out);

/* Sort row addresses (fragment_id << 32 | offset; addrs is sorted in place) and group
 * them into per-fragment sets whose offsets live in *rows_out. Free *sets_out and
 * *rows_out with gnv__free. */
int gnv__group_row_addrs(
    gnv__frag_rows **sets_out, size_t *n_out, uint32_t **rows_out, uint64_t *addrs, size_t n);

/* Call fn with the row addresses of the rows matching `where` (NULL: every row), a
 * batch at a time in scan order; a negative return of fn stops the scan with it. */
int gnv__table_each_rowaddr(gnv_table *t,
                            const char *where,
                            int (*fn)(const uint64_t *addrs, size_t n, void *payload),
                            void *payload);

/* The row addresses of the rows matching `where`, in scan order (gnv__free). */
int gnv__table_match_addrs(uint64_t **out, size_t *n_out, gnv_table *t, const char *where);

/* A struct array of `length` rows over the owned arrays cols[0..n), moved in (and
 * released on failure) (table_read.c). */
int gnv__struct_of(struct ArrowArray *out, struct ArrowArray *cols, int64_t n, int64_t length);

/* ---- writing rows (table_write.c) ------------------------------------------- */

/* Write the batches of `data` (the table's schema) into new data files of t, as
 * gnv_table_add does, without committing: the fragments (ids unassigned) go to
 * *frags_out (free each with gnv__pb_free, then the array with gnv__free). */
int gnv__table_write_fragments(Gnvpb__DataFragment ***frags_out,
                               size_t *n_out,
                               gnv_table *t,
                               struct ArrowArrayStream *data);
/* The same with a file's limits: at most max_rows rows (0: 1,048,576) and about
 * max_bytes bytes (0: 90 GiB) per data file, hence per fragment. */
int gnv__table_write_fragments_limited(Gnvpb__DataFragment ***frags_out,
                                       size_t *n_out,
                                       gnv_table *t,
                                       struct ArrowArrayStream *data,
                                       int64_t max_rows,
                                       uint64_t max_bytes);

/* ---- schema evolution (table_columns.c) ------------------------------------ */

/* One batch handed to a column producer: rows [row_start, row_start + length) of
 * fragment `fragment_id`, counted over its physical rows (deleted rows included). */
typedef struct gnv__columns_batch {
    uint64_t fragment_id;
    int64_t row_start;
    const struct ArrowSchema *schema; /* struct of the input columns asked for */
    const struct ArrowArray *batch;   /* struct array of those columns (borrowed) */
} gnv__columns_batch;

/* Compute the new columns of one batch: *out becomes an owned struct array of
 * in->batch->length rows whose children match the new columns' schema exactly. A
 * negative return (error set) abandons the whole operation. */
typedef int (*gnv__columns_fn)(struct ArrowArray *out, const gnv__columns_batch *in, void *payload);

/*
 * Add the columns of `columns` (a struct schema; new, distinct, non-reserved names;
 * field metadata kept) computed by fn: every fragment is read a batch of `batch_rows`
 * (0: 8192) physical rows at a time, in order, over the top-level columns `inputs`
 * (a column missing from a fragment reads as NULL), and fn's results stream into one
 * new data file per fragment holding only the new columns (field ids above any id the
 * table used). Commits a Merge (schema + fragments with the file appended); nothing
 * existing is rewritten. On failure the table is unchanged (orphan files at most).
 */
int gnv__table_add_columns(gnv_table *t,
                           const struct ArrowSchema *columns,
                           const char *const *inputs,
                           size_t n_inputs,
                           gnv__columns_fn fn,
                           void *payload,
                           int64_t batch_rows);
/* Add columns that are NULL in every row (all fields nullable), metadata only: a Merge
 * with the fragments unchanged, which read the columns as NULL. Field metadata (such
 * as a virtual column's definition) is kept. */
int gnv__table_add_null_columns(gnv_table *t, const struct ArrowSchema *columns);

/* Live rows of a fragment: physical rows minus deleted rows. */
int64_t gnv__fragment_live_rows(const Gnvpb__DataFragment *f);

/* ---- stable row ids (table_rowids.c) ---------------------------------------- */

/* The manifest has stable row ids (reader feature flag 2). */
bool gnv__table_stable_row_ids(const Gnvpb__Manifest *m);
/* The row id of each physical row of fragment f (physical_rows values, gnv__free), from
 * its inline or external RowIdSequence. GNV_ECORRUPT naming the fragment when the
 * sequence is missing, damaged or of the wrong length. */
int gnv__rowids_load(
    uint64_t **out, gnv_io *io, const char *dir, const char *tname, const Gnvpb__DataFragment *f);
/* The created-at (created) or last-updated-at version of each physical row of fragment
 * f (physical_rows values, gnv__free), from its inline or external version sequence;
 * version 1 for every row when f records none (as Lance reads it). GNV_ECORRUPT naming
 * the fragment when the sequence is damaged or of the wrong length. */
int gnv__rowids_load_versions(uint64_t **out,
                              gnv_io *io,
                              const char *dir,
                              const char *tname,
                              const Gnvpb__DataFragment *f,
                              bool created);
/* Give the fragments [first, n_fragments) of m that have no row id sequence yet the
 * next row ids (a Range each) and the created/updated version `version`; advance
 * m->next_row_id. Fragments that carry a sequence (rows moved by an update keep their
 * ids) are left as they are. */
int gnv__rowids_assign(Gnvpb__Manifest *m, size_t first, uint64_t version);
/* Set the last-updated-at version of the fragments [first, n_fragments) of m that carry
 * a row id sequence (the rows an update moved) to `version`, the version the commit
 * lands at; their created-at versions stay. */
int gnv__rowids_touch(Gnvpb__Manifest *m, size_t first, uint64_t version);
/* Give fragment f the row ids ids[0..physical_rows) (rows moved by an update or a
 * compaction keep theirs) as an inline sequence, their created-at versions
 * created[0..physical_rows) (NULL: `version`) and last-updated-at version `version`.
 * gnv__rowids_assign() then leaves f as it is. */
int gnv__rowids_set(Gnvpb__DataFragment *f,
                    const uint64_t *ids,
                    const uint64_t *created,
                    uint64_t version);
/* Rows moved by an update or a merge insert keep their ids: give the fragments
 * frags[0..n_frags), written in this order from the rows at addrs[0..n_rows) (row
 * addresses of t's version, fragment by fragment), the ids ids[0..n_rows), the rows'
 * created-at versions, and t's next version as last-updated-at. */
int gnv__rowids_keep_moved(gnv_table *t,
                           const uint64_t *addrs,
                           const uint64_t *ids,
                           size_t n_rows,
                           Gnvpb__DataFragment **frags,
                           size_t n_frags);
/* The row addresses of live rows with the given row ids (the ids themselves without
 * stable row ids). GNV_ENOTFOUND naming an id no live row has. */
int gnv__rowids_to_addrs(uint64_t *addrs, gnv_table *t, const uint64_t *row_ids, size_t n);

#endif
