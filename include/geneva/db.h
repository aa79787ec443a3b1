/**
 * @file db.h
 * @brief Databases: a directory of Lance tables.
 * @defgroup db Databases
 *
 * A database is a directory whose entries `<name>.lance` are Lance datasets, readable
 * and writable by LanceDB (Python, Node, Rust) as they are.
 *
 * Threading: a gnv_db handle is not thread-safe; use it (and the tables opened from it)
 * from one thread at a time. Separate handles, in one process or many, may work on the
 * same directory at once: commits are atomic and never replace each other.
 * @{
 */
#ifndef GENEVA_DB_H
#define GENEVA_DB_H

#include <stddef.h>
#include <stdint.h>

#include "arrow_abi.h"
#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

/** An open database. */
typedef struct gnv_db gnv_db;
/** An open table: a Lance dataset read at one version. */
typedef struct gnv_table gnv_table;

struct gnv_io;

/** Options of gnv_db_open(). */
typedef struct gnv_db_options {
    unsigned int version; /**< GNV_DB_OPTIONS_VERSION */
    /** A storage backend whose root is the database directory (see sys/io.h), borrowed:
     * it must outlive the database. NULL: a local-directory backend over `path`. */
    struct gnv_io *io;
    /** With io NULL: how much the local backend syncs, a gnv_sync_mode (sys/io.h):
     * 0 (GNV_SYNC_FULL) survives power loss; 1 (GNV_SYNC_OFF) skips fsync, as LanceDB
     * does. -1: from the environment (GENEVA_SYNC=off), else full. @since 0.2 */
    int sync_mode;
    /** How many times a delete, update or merge insert that lost to a concurrent change
     * of the same rows runs again (with backoff) before it fails with GNV_ECONFLICT.
     * -1: GENEVA_CONFLICT_RETRIES from the environment, else 10. (Commits that lose
     * only the race for the next version to a change they commute with, such as two
     * appends, are rebased and never count as conflicts.) @since 0.3 */
    int conflict_retries;
} gnv_db_options;

#define GNV_DB_OPTIONS_VERSION 3
#define GNV_DB_OPTIONS_INIT                                                                        \
    {                                                                                              \
        GNV_DB_OPTIONS_VERSION, NULL, -1, -1                                                       \
    }

/**
 * Open a database directory, creating it if missing.
 *
 * @param[out] out the database; close it with gnv_db_close().
 * @param path the directory (used for messages only when opts->io is given).
 * @param opts options, or NULL for the defaults.
 * @return GNV_OK; GNV_EINVAL (NULL path); GNV_EVERSION (opts->version too new); GNV_EIO
 *         (the directory cannot be created); GNV_ENOMEM.
 * @since 0.1
 */
GNV_EXTERN int gnv_db_open(gnv_db **out, const char *path, const gnv_db_options *opts);

/**
 * Close a database. Tables opened from it must be closed first. NULL is allowed.
 * @since 0.1
 */
GNV_EXTERN void gnv_db_close(gnv_db *db);

/**
 * The names of the tables of a database, sorted bytewise: every `<name>.lance` entry
 * with a valid table name.
 *
 * @param[out] names_out an array of n_out strings; free with gnv_db_table_names_free().
 * @param[out] n_out the number of names.
 * @return GNV_OK, GNV_EIO, GNV_ENOMEM.
 * @since 0.1
 */
GNV_EXTERN int gnv_db_table_names(gnv_db *db, char ***names_out, size_t *n_out);

/** Free what gnv_db_table_names() returned. NULL is allowed. @since 0.1 */
GNV_EXTERN void gnv_db_table_names_free(char **names, size_t n);

/** What gnv_db_create_table() does when the table exists. */
typedef enum gnv_create_mode {
    GNV_CREATE_MODE_CREATE = 0,    /**< fail with GNV_EEXISTS */
    GNV_CREATE_MODE_OVERWRITE = 1, /**< commit a new version holding only the new data */
    GNV_CREATE_MODE_EXIST_OK = 2   /**< open the existing table (data is not added) */
} gnv_create_mode;

/** Options of gnv_db_create_table(). */
typedef struct gnv_create_table_options {
    unsigned int version; /**< GNV_CREATE_TABLE_OPTIONS_VERSION */
    int mode;             /**< a gnv_create_mode */
    /** Lance data file version: "2.1" (NULL: the default) or "2.2". */
    const char *storage_version;
    int64_t max_rows_per_file;   /**< rows per data file; 0: 1,048,576 */
    uint64_t max_bytes_per_file; /**< bytes per data file (approximate); 0: 90 GiB */
    /**
     * Non-zero: give the new table stable row ids (Lance feature flag 2, LanceDB's
     * `enableStableRowIds`): every row keeps its `_rowid` through deletes, updates and
     * column changes. An existing table keeps what it has; asking for them when
     * overwriting a table without them is GNV_ENOTSUP, as in Lance. Read only when
     * `version` >= 2 (older callers' structs end before it).
     * @since 0.1 (options version 2)
     */
    int enable_stable_row_ids;
} gnv_create_table_options;

#define GNV_CREATE_TABLE_OPTIONS_VERSION 2
#define GNV_CREATE_TABLE_OPTIONS_INIT                                                              \
    {                                                                                              \
        GNV_CREATE_TABLE_OPTIONS_VERSION, GNV_CREATE_MODE_CREATE, NULL, 0, 0, 0                    \
    }

/**
 * Create a table `<name>.lance` from a stream of record batches (or empty, with a
 * schema), committed as version 1 (or, with GNV_CREATE_MODE_OVERWRITE over an existing
 * table, as the next version, whose content is only the new data).
 *
 * Valid names are 1 to 200 bytes of ASCII letters, digits, '_', '-' and '.', not
 * starting with '.'; anything else (path separators, "..", control characters,
 * non-ASCII) is refused, so a name never escapes the database directory.
 *
 * With GNV_CREATE_MODE_EXIST_OK an existing table is opened as it is; when data or
 * schema is given, its schema must equal the table's (GNV_EINVAL naming the first
 * difference) and the data is not added.
 *
 * @param[out] out the table, at its new version; close with gnv_table_close().
 * @param db the database.
 * @param name the table name.
 * @param data batches (struct arrays) to store, read to the end but not released (the
 *        caller releases it); or NULL.
 * @param schema the schema when data is NULL (borrowed); ignored otherwise.
 * @param opts options, or NULL for the defaults.
 * @return GNV_OK; GNV_EINVAL (bad name, no schema, bad options, unsupported types);
 *         GNV_EEXISTS (the table exists and mode is CREATE); GNV_ENOTSUP (stable
 *         row ids asked for when overwriting a table without them); GNV_EVERSION
 *         (options of a newer version); GNV_ECONFLICT (a concurrent writer won);
 *         GNV_EIO, GNV_ENOMEM; or the stream's error.
 * @since 0.1
 */
GNV_EXTERN int gnv_db_create_table(gnv_table **out,
                                   gnv_db *db,
                                   const char *name,
                                   struct ArrowArrayStream *data,
                                   const struct ArrowSchema *schema,
                                   const gnv_create_table_options *opts);

/**
 * Open a table at its latest version (found by listing `_versions/`).
 *
 * @param[out] out the table; close with gnv_table_close().
 * @return GNV_OK; GNV_EINVAL (bad name); GNV_ENOTFOUND (no such table); GNV_ECORRUPT
 *         (a damaged manifest, naming the file); GNV_EVERSION (a feature flag this
 *         library does not know); GNV_EIO, GNV_ENOMEM.
 * @since 0.1
 */
GNV_EXTERN int gnv_db_open_table(gnv_table **out, gnv_db *db, const char *name);

/**
 * Delete a table's directory and everything in it. Open handles on it become unusable.
 * @return GNV_OK; GNV_EINVAL (bad name); GNV_ENOTFOUND; GNV_EIO.
 * @since 0.1
 */
GNV_EXTERN int gnv_db_drop_table(gnv_db *db, const char *name);

#ifdef __cplusplus
}
#endif
/** @} */
#endif
