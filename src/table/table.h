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
};

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
    GNV__OP_OVERWRITE = 102,
    GNV__OP_RESTORE = 106
} gnv__op;

/* What a commit changes. Everything is borrowed; the commit copies what it keeps. */
typedef struct gnv__commit {
    int op;
    /* append, overwrite: the new fragments (ids are assigned by the commit) */
    Gnvpb__DataFragment **frags;
    size_t n_frags;
    /* overwrite (or a new table): the schema and data format version ("2.1") */
    Gnvpb__Field **fields;
    size_t n_fields;
    const char *data_format;
    /* restore: the version whose content to commit */
    uint64_t restore_version;
    /* creating a new table: losing the race for version 1 is GNV_EEXISTS */
    bool create_only;
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

/* Live rows of a fragment: physical rows minus deleted rows. */
int64_t gnv__fragment_live_rows(const Gnvpb__DataFragment *f);

#endif
