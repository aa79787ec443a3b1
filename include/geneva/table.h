/**
 * @file table.h
 * @brief Tables: append, scan, take, versions, time travel, restore and tags.
 * @defgroup table Tables
 *
 * A gnv_table reads one version of a Lance dataset. Writes (gnv_table_add,
 * gnv_table_restore) commit a new version and move the handle to it; when another
 * writer committed first, compatible changes (appends) are rebased over and
 * incompatible ones fail with GNV_ECONFLICT. A crash at any point leaves the table at
 * its last commit.
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
} gnv_scan_options;

#define GNV_SCAN_OPTIONS_VERSION 1
#define GNV_SCAN_OPTIONS_INIT                                                                      \
    {                                                                                              \
        GNV_SCAN_OPTIONS_VERSION, NULL, 0, -1, 0, 0, 0, 0                                          \
    }

/**
 * Read the table's rows at the handle's version, in fragment order, as a stream of
 * struct arrays. Only the requested columns' data is read. `_rowid` and `_rowaddr`
 * may also be named in `columns`; without stable row ids both are the row address
 * `fragment_id << 32 | offset`. Deleted rows are skipped.
 *
 * @param opts options, or NULL for all columns.
 * @param[out] out the stream; the caller releases it. It reads the files of the
 *        version it was opened at, independent of later commits and of the handle;
 *        release it before closing the database.
 * @return GNV_OK; GNV_ENOTFOUND (unknown column, naming it); GNV_EINVAL (bad options);
 *         GNV_ENOMEM. Read errors (GNV_ECORRUPT naming a missing or damaged data file)
 *         come from the stream's get_next.
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
 * Number of live rows at the handle's version (physical rows minus deletions); reads
 * only manifests.
 * @return GNV_OK.
 * @since 0.1
 */
GNV_EXTERN int gnv_table_count_rows(gnv_table *t, int64_t *out);

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

#ifdef __cplusplus
}
#endif
/** @} */
#endif
