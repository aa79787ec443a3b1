/**
 * @file table.h
 * @brief Tables: append, scan (with SQL filters), take, delete, update, merge insert,
 * versions, time travel, restore and tags.
 * @defgroup table Tables
 *
 * A gnv_table reads one version of a Lance dataset. Writes (gnv_table_add,
 * gnv_table_delete, gnv_table_update, gnv_table_restore, ...) commit a new version
 * and move the handle to it; when another writer committed first, compatible changes
 * (appends) are rebased over and incompatible ones fail with GNV_ECONFLICT. A crash at
 * any point leaves the table at its last commit.
 *
 * Threading: a handle is not thread-safe; use it from one thread at a time. Handles
 * on the same table may be used from different threads or processes at once. A
 * table borrows its database: close tables before their gnv_db.
 * @{
 */
#ifndef GENEVA_TABLE_H
#define GENEVA_TABLE_H

#include <stddef.h>
#include <stdint.h>

#include "arrow_abi.h"
#include "common.h"
#include "db.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Close a table handle. NULL is allowed. @since 0.1 */
GNV_EXTERN void gnv_table_close(gnv_table *t);

/** The table's name; valid while the handle is open. @since 0.1 */
GNV_EXTERN const char *gnv_table_name(const gnv_table *t);

/** The version this handle reads (1 for a new table). @since 0.1 */
GNV_EXTERN uint64_t gnv_table_version(const gnv_table *t);

/**
 * The table's Arrow schema (a struct schema with one child per column) at the
 * handle's version.
 * @param[out] out an owned schema; the caller releases it.
 * @return GNV_OK; GNV_ENOTSUP (a Lance type we cannot represent); GNV_ENOMEM.
 * @since 0.1
 */
GNV_EXTERN int gnv_table_schema(const gnv_table *t, struct ArrowSchema *out);

/** Options of gnv_table_add(). */
typedef struct gnv_add_options {
    unsigned int version;        /**< GNV_ADD_OPTIONS_VERSION */
    int64_t max_rows_per_file;   /**< rows per data file; 0: 1,048,576 */
    uint64_t max_bytes_per_file; /**< bytes per data file (approximate); 0: 90 GiB */
} gnv_add_options;

#define GNV_ADD_OPTIONS_VERSION 1
#define GNV_ADD_OPTIONS_INIT                                                                       \
    {                                                                                              \
        GNV_ADD_OPTIONS_VERSION, 0, 0                                                              \
    }

/**
 * Append rows: writes new data files (split by the size limits) and commits a new
 * version with new fragments; the handle moves to that version. An empty stream
 * commits nothing.
 *
 * @param data batches whose schema equals the table's (names, types, nullability of
 *        every column, in order); read to the end but not released (the
 *        caller releases it).
 * @param opts options, or NULL for the defaults.
 * @return GNV_OK; GNV_EINVAL (schema mismatch, naming the column; a checked-out
 *         read-only handle); GNV_ECONFLICT (a concurrent incompatible commit, naming its
 *         version and operation, or too many lost races); GNV_EIO, GNV_ENOMEM; or the
 *         stream's error. On failure the table is unchanged.
 * @since 0.1
 */
GNV_EXTERN int
gnv_table_add(gnv_table *t, struct ArrowArrayStream *data, const gnv_add_options *opts);

/** Options of gnv_table_scan(). */
typedef struct gnv_scan_options {
    unsigned int version;       /**< GNV_SCAN_OPTIONS_VERSION */
    const char *const *columns; /**< columns to read, in output order; NULL: all */
    size_t n_columns;           /**< number of columns */
    int64_t limit;              /**< at most this many rows; -1: all */
    int64_t offset;             /**< skip this many rows first */
    int with_row_id;            /**< add a `_rowid` uint64 column */
    int with_row_addr;          /**< add a `_rowaddr` uint64 column */
    int64_t batch_rows;         /**< rows per output batch; 0: 8192 */
    /** A SQL filter in DataFusion's dialect (as LanceDB's `where`), e.g.
     * "price > 10 AND name LIKE 'C%'"; may use `_rowid` and `_rowaddr`. NULL: every
     * row. Version 2 and later. @since 0.2 */
    const char *where;
} gnv_scan_options;

#define GNV_SCAN_OPTIONS_VERSION 2
#define GNV_SCAN_OPTIONS_INIT                                                                      \
    {                                                                                              \
        GNV_SCAN_OPTIONS_VERSION, NULL, 0, -1, 0, 0, 0, 0, NULL                                    \
    }

/**
 * Read the table's rows at the handle's version, in fragment order, as a stream of
 * struct arrays. Only the requested columns' data is read. `_rowid` and `_rowaddr`
 * may also be named in `columns`; without stable row ids both are the row address
 * `fragment_id << 32 | offset`. Deleted rows are skipped.
 *
 * With `where`, only the rows for which the filter is TRUE are returned (NULL counts as
 * false, as in SQL); the filter's columns are read first and the projected columns only
 * for matching rows; `offset` and `limit` count matching rows.
 *
 * @param opts options, or NULL for all columns.
 * @param[out] out the stream; the caller releases it. It reads the files of the
 *        version it was opened at, independent of later commits and of the handle;
 *        release it before closing the database.
 * @return GNV_OK; GNV_ENOTFOUND (unknown column, naming it); GNV_EINVAL (bad options;
 *         a `where` that does not parse or bind, the message starting "where: " and
 *         naming the position or column); GNV_ENOMEM. Read errors (GNV_ECORRUPT naming a
 *         missing or damaged data file) and the filter's runtime errors (GNV_EINVAL,
 *         "where: division by zero") come from the stream's get_next.
 * @since 0.1
 */
GNV_EXTERN int
gnv_table_scan(gnv_table *t, const gnv_scan_options *opts, struct ArrowArrayStream *out);

/**
 * Read rows by row address (`fragment_id << 32 | offset`), in the given order
 * (duplicates allowed).
 *
 * @param columns columns to read (may include `_rowid`, `_rowaddr`); NULL: all.
 * @param[out] schema_out the result's struct schema, owned by the caller.
 * @param[out] array_out one struct array of n rows, owned by the caller.
 * @return GNV_OK; GNV_ENOTFOUND (unknown column, or an address that is not a live row,
 *         naming it); GNV_ECORRUPT; GNV_EIO; GNV_ENOMEM.
 * @since 0.1
 */
GNV_EXTERN int gnv_table_take(gnv_table *t,
                              const uint64_t *row_addrs,
                              size_t n,
                              const char *const *columns,
                              size_t n_columns,
                              struct ArrowSchema *schema_out,
                              struct ArrowArray *array_out);

/**
 * Read rows by row id (`_rowid`), in the given order (duplicates allowed). Without
 * stable row ids a row id is the row address, as in gnv_table_take(); with them
 * (tables created with LanceDB's `new_table_enable_stable_row_ids`), the id a row keeps
 * across updates and compaction, looked up in the fragments' row id sequences.
 *
 * @return as gnv_table_take(); GNV_ENOTFOUND names a row id no live row has.
 * @since 0.2
 */
GNV_EXTERN int gnv_table_take_row_ids(gnv_table *t,
                                      const uint64_t *row_ids,
                                      size_t n,
                                      const char *const *columns,
                                      size_t n_columns,
                                      struct ArrowSchema *schema_out,
                                      struct ArrowArray *array_out);

/**
 * Number of live rows at the handle's version (physical rows minus deletions); reads
 * only manifests.
 * @return GNV_OK.
 * @since 0.1
 */
GNV_EXTERN int gnv_table_count_rows(gnv_table *t, int64_t *out);

/**
 * Number of live rows for which the SQL filter `where` is TRUE (as
 * gnv_table_scan()'s `where`); reads only the filter's columns. NULL or "" counts
 * every row, as gnv_table_count_rows() does.
 * @return GNV_OK; GNV_EINVAL (a filter that does not parse, bind or evaluate, the
 *         message starting "where: "); GNV_ECORRUPT; GNV_EIO; GNV_ENOMEM.
 * @since 0.2
 */
GNV_EXTERN int gnv_table_count_rows_where(gnv_table *t, const char *where, int64_t *out);

/**
 * Delete the rows for which the SQL filter `where` is TRUE, as Lance does: each
 * fragment holding such rows gets a new deletion file (its older deletions included),
 * fragments left without rows are dropped, and a Delete transaction is committed; the
 * handle moves to the new version. No version is committed when no row matches.
 * A concurrent append is rebased over; after a concurrent delete or update of the same
 * fragments (or another change that conflicts) the delete runs again on the latest
 * version, up to 10 times, as Lance's does. On a table with stable row ids the
 * remaining rows keep their `_rowid` (fragments keep their row id sequences).
 * @param where the filter (required; "true" deletes every row).
 * @param[out] deleted_out the number of rows deleted, or NULL.
 * @return GNV_OK; GNV_EINVAL (bad filter, naming it; a read-only checkout);
 *         GNV_ECONFLICT; GNV_ECORRUPT; GNV_EIO; GNV_ENOMEM. On failure the table is
 *         unchanged.
 * @since 0.2
 */
GNV_EXTERN int gnv_table_delete(gnv_table *t, const char *where, int64_t *deleted_out);

/**
 * Set columns of the rows for which `where` is TRUE (NULL: every row) to the values of
 * SQL expressions evaluated on each row (e.g. "price * 2", "'new'", "NULL"), cast to the
 * column's type, as Lance's update does: the matching rows are deleted (deletion
 * files) and written again with their new values as new fragments, in one Update
 * transaction; the handle moves to the new version. Nothing is committed when no row
 * matches. Rows keep no stable position: their addresses change. On a table with
 * stable row ids each updated row keeps its `_rowid` and its created-at version, and
 * its last-updated-at version becomes the new version, as Lance records them; no new
 * row ids are used. Concurrent changes are handled as by gnv_table_delete().
 * @param columns the column names (each at most once).
 * @param values_sql one SQL expression per column, over the row's columns.
 * @param n the number of columns (>= 1).
 * @param[out] updated_out the number of rows updated, or NULL.
 * @return GNV_OK; GNV_EINVAL (unknown column; an expression that does not parse or
 *         bind, or a value that cannot be cast to the column's type or is NULL for a
 *         non-nullable column, each message naming the column); GNV_ECONFLICT;
 *         GNV_ECORRUPT; GNV_EIO; GNV_ENOMEM. On failure the table is unchanged.
 * @since 0.2
 */
GNV_EXTERN int gnv_table_update(gnv_table *t,
                                const char *where,
                                const char *const *columns,
                                const char *const *values_sql,
                                size_t n,
                                int64_t *updated_out);

/** Options of gnv_table_merge_insert(): which of the three clauses apply. */
typedef struct gnv_merge_insert_options {
    unsigned int version;  /**< GNV_MERGE_INSERT_OPTIONS_VERSION */
    const char *const *on; /**< the key columns (at least one), matched by equality */
    size_t n_on;           /**< number of key columns */
    /** WHEN MATCHED: set the matched target rows' columns to the source row's values */
    int when_matched_update;
    /** the columns to update; NULL: every column of the source */
    const char *const *update_columns;
    size_t n_update_columns; /**< number of update_columns */
    /** only update the matched rows where this SQL filter is TRUE, or NULL. It sees
     * the target row as struct `target` and the source row as struct `source`:
     * "source.ts > target.ts" (as LanceDB's when_matched_update_all(where=...)). */
    const char *when_matched_condition;
    /** WHEN NOT MATCHED: insert the source rows that match no target row */
    int when_not_matched_insert;
    /** WHEN NOT MATCHED BY SOURCE: delete the target rows that match no source row */
    int when_not_matched_by_source_delete;
    /** only delete those where this SQL filter over the target's columns is TRUE, or
     * NULL for all of them */
    const char *delete_condition;
} gnv_merge_insert_options;

#define GNV_MERGE_INSERT_OPTIONS_VERSION 1
#define GNV_MERGE_INSERT_OPTIONS_INIT                                                              \
    {                                                                                              \
        GNV_MERGE_INSERT_OPTIONS_VERSION, NULL, 0, 0, NULL, 0, NULL, 0, 0, NULL                    \
    }

/** What gnv_table_merge_insert() did. */
typedef struct gnv_merge_insert_stats {
    int64_t inserted; /**< source rows inserted */
    int64_t updated;  /**< target rows updated */
    int64_t deleted;  /**< target rows deleted (not matched by the source) */
    uint64_t version; /**< the table's version afterwards */
} gnv_merge_insert_stats;

/**
 * Merge the rows of `source` into the table by key (an upsert), as LanceDB's
 * merge_insert: a target row matches a source row when every key column is equal and
 * not NULL (NULL keys never match, as in SQL). Matched target rows are updated with the
 * source row's values (when_matched_update, optionally only where the condition is
 * TRUE); source rows that match nothing are inserted (when_not_matched_insert); target
 * rows that match nothing are deleted (when_not_matched_by_source_delete, optionally
 * only where delete_condition is TRUE). All of it is one Update transaction, as
 * Lance commits it: updated rows are deleted (deletion files) and written again, with
 * the inserted rows, as new fragments; on a table with stable row ids updated rows keep
 * their row ids. Nothing is committed when no row changes. A concurrent append is
 * rebased over; after a conflicting concurrent change the merge runs again on the
 * latest version, up to 10 times.
 *
 * The source's columns are a subset of the table's (any order, the keys included),
 * each of the table's type. Columns the source lacks keep their values in updated rows
 * and are NULL in inserted rows (an error when such a column is not nullable and rows
 * are to be inserted). Two source rows with the same key that match a target row are
 * an error when updating (inserted, they are both inserted, as in LanceDB).
 *
 * Memory: the source is read whole into memory and indexed by key; the table is
 * streamed (keys, delete_condition's columns and row addresses only), and the matched
 * rows' other columns are read by address a bounded chunk at a time.
 *
 * @param source the new rows; read to the end but not released (the caller releases
 *        it).
 * @param opts the clauses; at least one must be set.
 * @param[out] stats_out the counts and the new version, or NULL.
 * @return GNV_OK; GNV_EINVAL (no clause; a key or update column missing from the source
 *         or the table, a source column the table lacks or of another type, each naming
 *         the column; duplicate source keys matching a target row, naming the key; a
 *         condition that does not parse or bind; a NULL for a non-nullable column; a
 *         read-only checkout); GNV_ENOTSUP (a key column of a nested type);
 *         GNV_EVERSION (a newer options struct); GNV_ECONFLICT; GNV_ECORRUPT; GNV_EIO;
 *         GNV_ENOMEM; or the stream's error. On failure the table is unchanged.
 * @since 0.2
 */
GNV_EXTERN int gnv_table_merge_insert(gnv_table *t,
                                      struct ArrowArrayStream *source,
                                      const gnv_merge_insert_options *opts,
                                      gnv_merge_insert_stats *stats_out);

/**
 * Add columns computed by SQL expressions (DataFusion's dialect, as LanceDB's
 * add_columns): names[i] gets the value of exprs[i] evaluated over the table's columns,
 * in every row. Each expression's type is its column's type; columns are nullable.
 * Writes one new data file per fragment holding only the new columns and commits a
 * Lance Merge; existing data is not rewritten. An expression that is NULL or
 * CAST(NULL AS type) writes no data (the column reads as NULL). The handle moves to the
 * new version.
 *
 * @param names new column names: not empty, distinct, not existing, not `_rowid` or
 *        `_rowaddr`.
 * @param exprs the expressions, one per name.
 * @return GNV_OK; GNV_EEXISTS (a column of that name exists, naming it); GNV_EINVAL (bad
 *         name, a syntax or type error or a failed evaluation in an expression, naming
 *         the column; a read-only handle); GNV_ENOTFOUND; GNV_ECONFLICT (a concurrent
 *         commit); GNV_EIO; GNV_ENOMEM. Nothing is committed on failure.
 * @since 0.2
 */
GNV_EXTERN int gnv_table_add_columns_sql(gnv_table *t,
                                         const char *const *names,
                                         const char *const *exprs,
                                         size_t n);

/**
 * Remove columns from the schema (a Lance Project; the data stays in the files of
 * older versions). Nested fields are named with dots ("a.b").
 * @return GNV_OK; GNV_ENOTFOUND (no such column, naming it); GNV_EINVAL (dropping every
 *         column, or every field of a struct); GNV_ECONFLICT; GNV_EIO; GNV_ENOMEM.
 * @since 0.2
 */
GNV_EXTERN int gnv_table_drop_columns(gnv_table *t, const char *const *names, size_t n);

/** Nullability in a gnv_column_alteration. */
typedef enum gnv_nullable_change {
    GNV_NULLABLE_KEEP = 0, /**< leave it */
    GNV_NULLABLE_TRUE = 1, /**< make the column nullable */
    GNV_NULLABLE_FALSE = 2 /**< make it non-nullable (fails if it holds nulls) */
} gnv_nullable_change;

/** One change of gnv_table_alter_columns(). */
typedef struct gnv_column_alteration {
    unsigned int version; /**< GNV_COLUMN_ALTERATION_VERSION */
    const char *path;     /**< the column ("a.b" for a nested field) */
    const char *rename;   /**< its new name, or NULL to keep it */
    int nullable;         /**< a gnv_nullable_change */
    const char *cast;     /**< new type in text form ("int64", "utf8"...), or NULL */
} gnv_column_alteration;

#define GNV_COLUMN_ALTERATION_VERSION 1
#define GNV_COLUMN_ALTERATION_INIT                                                                 \
    {                                                                                              \
        GNV_COLUMN_ALTERATION_VERSION, NULL, NULL, GNV_NULLABLE_KEEP, NULL                         \
    }

/**
 * Rename columns, change their nullability or cast them, all in one new version.
 * Renames and making a column nullable change only the schema (a Lance Project). A
 * cast, or making a nullable column non-nullable, writes the column again into new
 * data files with a new field id (a Lance Merge, as LanceDB's alter_columns); a value
 * that does not convert, or a null in a column made non-nullable, fails the whole
 * call. Everything is validated before anything is written.
 * @return GNV_OK; GNV_ENOTFOUND (no such column); GNV_EEXISTS (the new name is taken);
 *         GNV_EINVAL (a reserved or empty name, a bad type, a column altered twice, a
 *         value that does not convert, nulls in a column made non-nullable);
 *         GNV_ENOTSUP (casting a nested field); GNV_EVERSION (a newer alteration
 *         struct); GNV_ECONFLICT; GNV_EIO; GNV_ENOMEM.
 * @since 0.2
 */
GNV_EXTERN int
gnv_table_alter_columns(gnv_table *t, const gnv_column_alteration *alterations, size_t n);

/** One version of a table, as gnv_table_versions() lists it. */
typedef struct gnv_version_info {
    uint64_t version;     /**< version number */
    int64_t timestamp_us; /**< commit time, microseconds since the Unix epoch (0: unknown) */
    /** The operation that made it ("append", "overwrite", "restore", "delete",
     * "update", "merge", "rewrite", "project", "data_replacement", "create_index",
     * "reserve_fragments", "update_config", "update_mem_wal_state", "clone",
     * "unknown"), or NULL
     * when the version has no transaction. */
    char *operation;
} gnv_version_info;

/**
 * Every version of the table, oldest first.
 * @param[out] list_out an array; free with gnv_table_versions_free().
 * @return GNV_OK; GNV_ECORRUPT (naming a damaged manifest); GNV_EIO; GNV_ENOMEM.
 * @since 0.1
 */
GNV_EXTERN int gnv_table_versions(gnv_table *t, gnv_version_info **list_out, size_t *n_out);

/** Free what gnv_table_versions() returned. NULL is allowed. @since 0.1 */
GNV_EXTERN void gnv_table_versions_free(gnv_version_info *list, size_t n);

/**
 * Time travel: a new read-only handle on an existing version. Writes through it fail
 * with GNV_EINVAL until gnv_table_checkout_latest() or gnv_table_restore().
 * @param[out] out the new handle; close with gnv_table_close().
 * @return GNV_OK; GNV_ENOTFOUND (no such version); GNV_ECORRUPT; GNV_EIO; GNV_ENOMEM.
 * @since 0.1
 */
GNV_EXTERN int gnv_table_checkout(gnv_table **out, gnv_table *t, uint64_t version);

/**
 * A new read-only handle on the version a tag names.
 * @return GNV_OK; GNV_ENOTFOUND (no such tag); as gnv_table_checkout() otherwise.
 * @since 0.1
 */
GNV_EXTERN int gnv_table_checkout_tag(gnv_table **out, gnv_table *t, const char *tag);

/**
 * Move a handle to the latest version; it becomes writable again.
 * @return GNV_OK; GNV_ECORRUPT; GNV_EIO; GNV_ENOMEM.
 * @since 0.1
 */
GNV_EXTERN int gnv_table_checkout_latest(gnv_table *t);

/**
 * Commit a new version whose content (schema, rows, indexes) is that of an older
 * version, as Lance's Restore operation; the handle moves to it and is writable.
 * @param version the version to restore; 0: the handle's own version.
 * @return GNV_OK; GNV_ENOTFOUND (no such version); GNV_ECONFLICT; GNV_EIO; GNV_ENOMEM.
 * @since 0.1
 */
GNV_EXTERN int gnv_table_restore(gnv_table *t, uint64_t version);

/**
 * Name a version. Tags are stored as Lance stores them (`_refs/tags/<name>.json`), so
 * LanceDB sees them. Names are 1 to 200 characters of ASCII letters, digits, '.', '-'
 * and '_', neither starting nor ending with '.', without "..", not ending in ".lock".
 * @return GNV_OK; GNV_EINVAL (bad name); GNV_EEXISTS (the tag exists); GNV_ENOTFOUND
 *         (no such version); GNV_EIO; GNV_ENOMEM.
 * @since 0.1
 */
GNV_EXTERN int gnv_table_tag_create(gnv_table *t, const char *name, uint64_t version);

/**
 * Delete a tag.
 * @return GNV_OK; GNV_EINVAL (bad name); GNV_ENOTFOUND; GNV_EIO.
 * @since 0.1
 */
GNV_EXTERN int gnv_table_tag_delete(gnv_table *t, const char *name);

/** One tag, as gnv_table_tag_list() lists it. */
typedef struct gnv_tag_info {
    char *name;       /**< the tag */
    uint64_t version; /**< the version it names */
} gnv_tag_info;

/**
 * Every tag, sorted by name.
 * @param[out] list_out an array; free with gnv_table_tag_list_free().
 * @return GNV_OK; GNV_ECORRUPT (naming a damaged tag file); GNV_EIO; GNV_ENOMEM.
 * @since 0.1
 */
GNV_EXTERN int gnv_table_tag_list(gnv_table *t, gnv_tag_info **list_out, size_t *n_out);

/** Free what gnv_table_tag_list() returned. NULL is allowed. @since 0.1 */
GNV_EXTERN void gnv_table_tag_list_free(gnv_tag_info *list, size_t n);

/** Options of gnv_table_cleanup(). */
typedef struct gnv_cleanup_options {
    unsigned int version;       /**< GNV_CLEANUP_OPTIONS_VERSION */
    int64_t older_than_seconds; /**< remove versions committed longer ago than this;
                                     default 7 days; 0: every version but the latest */
    int delete_unverified;      /**< also remove files that no version names even when
                                     they are younger than 7 days; only safe when no
                                     other writer is running */
    int dry_run;                /**< count what would be removed, remove nothing */
} gnv_cleanup_options;

#define GNV_CLEANUP_OPTIONS_VERSION 1
#define GNV_CLEANUP_OPTIONS_INIT                                                                   \
    {                                                                                              \
        GNV_CLEANUP_OPTIONS_VERSION, 7 * 24 * 3600, 0, 0                                           \
    }

/** What gnv_table_cleanup() removed (or would remove, in a dry run). */
typedef struct gnv_cleanup_stats {
    uint64_t old_versions;  /**< manifests removed */
    uint64_t files_removed; /**< data, deletion, transaction and index files removed */
    uint64_t bytes_removed; /**< their bytes, manifests included */
} gnv_cleanup_stats;

/**
 * Remove old versions and the files only they use, as LanceDB's
 * cleanup_old_versions does. Kept: the latest version, every tagged version, and every
 * version committed within `older_than_seconds`; with them every data, deletion,
 * transaction and index file a kept version names. A file no manifest names at all may
 * belong to a commit in flight, so it is removed only when it is older than 7 days (or
 * with `delete_unverified`). Files are removed before the manifests that name them, so
 * an interrupted cleanup leaves readable kept versions and is finished by running it
 * again. The handle must be at the latest version (not a checkout).
 *
 * @param opts options, or NULL for the defaults.
 * @param[out] stats_out what was removed; may be NULL.
 * @return GNV_OK; GNV_EINVAL (a checkout, bad options); GNV_ECORRUPT (a manifest that
 *         cannot be read: nothing is removed then); GNV_EIO; GNV_ENOMEM.
 * @since 0.2
 */
GNV_EXTERN int
gnv_table_cleanup(gnv_table *t, const gnv_cleanup_options *opts, gnv_cleanup_stats *stats_out);

/** Options of gnv_table_optimize(). */
typedef struct gnv_optimize_options {
    unsigned int version;                   /**< GNV_OPTIMIZE_OPTIONS_VERSION */
    int64_t target_rows_per_fragment;       /**< rows a compacted fragment aims at; fragments with
                                                 fewer rows are candidates; 0: 1,048,576 */
    int64_t max_rows_per_group;             /**< rows per row group of Lance's legacy file format;
                                                 Lance 2.x files (the ones written) have no row
                                                 groups, so it only has to be >= 0; 0: 1024 */
    int materialize_deletions;              /**< rewrite fragments whose deleted rows exceed the
                                                 threshold, dropping those rows (default true) */
    double materialize_deletions_threshold; /**< fraction of deleted rows above which a
                                                 fragment is rewritten; 0: 0.1 */
} gnv_optimize_options;

#define GNV_OPTIMIZE_OPTIONS_VERSION 1
#define GNV_OPTIMIZE_OPTIONS_INIT                                                                  \
    {                                                                                              \
        GNV_OPTIMIZE_OPTIONS_VERSION, 0, 0, 1, 0.0                                                 \
    }

/** What gnv_table_optimize() did. */
typedef struct gnv_optimize_stats {
    int64_t fragments_removed; /**< fragments rewritten */
    int64_t fragments_added;   /**< fragments written in their place */
    int64_t files_removed;     /**< data and deletion files of the rewritten fragments */
    int64_t files_added;       /**< data files written */
    int64_t rows_rewritten;    /**< live rows copied into the new fragments */
    uint64_t version;          /**< the version committed, or the handle's version when
                                    there was nothing to do */
} gnv_optimize_stats;

/**
 * Compact the table's fragments, as Lance's compact_files (LanceDB's
 * `optimize`/`compact_files`): consecutive runs of fragments with fewer rows than
 * `target_rows_per_fragment`, and fragments whose share of deleted rows exceeds the
 * threshold, are rewritten into new fragments of about the target size holding their
 * live rows in the same order, and one Lance Rewrite transaction replaces them. The
 * schema, field metadata (virtual column definitions) and every row's values stay; a
 * column a fragment lacks (added as NULL) is written out as NULL. With stable row ids,
 * rows keep their `_rowid` (and created/updated versions); without them their row
 * addresses change. Rows are streamed in bounded batches (a large group is read on a
 * second thread while it is written; the thread ends before the call returns). Nothing
 * is committed when no fragment qualifies. Old files are left for gnv_table_cleanup():
 * readers of older versions are unaffected. A concurrent append, or a change to other fragments, is
 * rebased over; a concurrent delete, update or rewrite of a fragment being rewritten
 * fails the call with GNV_ECONFLICT (nothing is committed; run it again). The handle
 * moves to the new version.
 *
 * @param opts options, or NULL for the defaults.
 * @param[out] stats_out what was done; may be NULL.
 * @return GNV_OK; GNV_EINVAL (a checkout, negative options); GNV_EVERSION (newer
 *         options); GNV_ENOTSUP (a table with indexes, which compaction would have to
 *         remap); GNV_ECONFLICT; GNV_ECORRUPT; GNV_EIO; GNV_ENOMEM. On failure the table
 *         is unchanged (orphan data files at most).
 * @since 0.2
 */
GNV_EXTERN int
gnv_table_optimize(gnv_table *t, const gnv_optimize_options *opts, gnv_optimize_stats *stats_out);

#ifdef __cplusplus
}
#endif
/** @} */
#endif
