/**
 * @file sys/io.h
 * @brief The storage backend interface, for authors of backends.
 * @defgroup sys_io Storage backends
 *
 * Everything the library stores goes through a gnv_io: a table of functions over
 * files named by '/'-separated paths relative to the backend's root. A backend must
 * make gnv_io_vtable.commit atomic: the target appears whole or not at all, and with
 * GNV_IO_NOREPLACE an existing target is never replaced (GNV_EEXISTS instead).
 * @{
 */
#ifndef GENEVA_SYS_IO_H
#define GENEVA_SYS_IO_H

#include <stddef.h>
#include <stdint.h>

#include "../common.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct gnv_io gnv_io;
typedef struct gnv_io_reader gnv_io_reader;
typedef struct gnv_io_writer gnv_io_writer;

/** Commit modes of gnv_io_vtable.commit. */
typedef enum gnv_io_commit_mode {
    GNV_IO_REPLACE = 0,   /**< replace the target if it exists */
    GNV_IO_NOREPLACE = 1, /**< fail with GNV_EEXISTS if the target exists */
    /** A flag or-ed with either mode: the file must become visible atomically but need
     * not be durable (a hint that is rebuilt when lost), so backends may skip syncing.
     * @since 0.2 */
    GNV_IO_NOSYNC = 0x100
} gnv_io_commit_mode;

/** Callback of gnv_io_vtable.list: one entry name (not a path). Non-zero stops. */
typedef int (*gnv_io_list_cb)(const char *name, int is_dir, void *payload);

/** The functions of a backend. Every function returns GNV_OK or a negative code and
 * sets the last error. */
typedef struct gnv_io_vtable {
    unsigned int version; /**< GNV_IO_VTABLE_VERSION */
    /** Open a file for reading; *size_out receives its size. GNV_ENOTFOUND if absent. */
    int (*open_read)(gnv_io *io, const char *path, gnv_io_reader **out, uint64_t *size_out);
    /** Read exactly n bytes at offset (a short file is GNV_ECORRUPT). */
    int (*read_at)(gnv_io_reader *r, void *buf, size_t n, uint64_t offset);
    void (*close_read)(gnv_io_reader *r);
    /** Start writing a new file; nothing is visible at path until commit. */
    int (*create)(gnv_io *io, const char *path, gnv_io_writer **out);
    int (*write)(gnv_io_writer *w, const void *buf, size_t n);
    /** Make the written bytes durable and visible at path, atomically; frees w. */
    int (*commit)(gnv_io_writer *w, int mode);
    /** Drop the written bytes; frees w. */
    void (*abort)(gnv_io_writer *w);
    /** List a directory's entries (GNV_ENOTFOUND if it does not exist). */
    int (*list)(gnv_io *io, const char *dir, gnv_io_list_cb cb, void *payload);
    /** Remove a file (GNV_ENOTFOUND if absent). */
    int (*remove)(gnv_io *io, const char *path);
    /** Remove a directory tree (GNV_OK if absent). */
    int (*remove_tree)(gnv_io *io, const char *dir);
    /** Size of a file, or GNV_ENOTFOUND. */
    int (*stat)(gnv_io *io, const char *path, uint64_t *size_out);
    /** Release the backend. */
    void (*free)(gnv_io *io);
    /** Last modification time of a file, microseconds since the Unix epoch, or
     * GNV_ENOTFOUND. Since version 2; NULL or an older version means the backend cannot
     * tell, and cleanup then never removes files that no version references.
     * @since 0.2 */
    int (*modified)(gnv_io *io, const char *path, int64_t *unix_us_out);
} gnv_io_vtable;

/** Version 2 added `modified`. A backend filling an older version still works. */
#define GNV_IO_VTABLE_VERSION 2

/** A backend instance: its vtable first, then whatever the backend keeps. */
struct gnv_io {
    const gnv_io_vtable *vt;
};

/** How much a local backend syncs (gnv_io_local_new_sync()). */
typedef enum gnv_sync_mode {
    /** Every committed file and its directory are fsynced before the commit returns:
     * a commit survives power loss. The default. */
    GNV_SYNC_FULL = 0,
    /** Nothing is fsynced; files still appear atomically, so a killed process never
     * leaves a torn table, but the last commits may be lost on power loss or an OS
     * crash (LanceDB's behaviour on local disks). */
    GNV_SYNC_OFF = 1
} gnv_sync_mode;

/**
 * A backend over a local directory. Files are written to a temporary name, fsynced,
 * and linked into place (never replacing with GNV_IO_NOREPLACE); directories are
 * created as needed and fsynced after a commit. The environment variable
 * GENEVA_SYNC=off chooses GNV_SYNC_OFF (anything else, or unset: GNV_SYNC_FULL).
 * @param[out] out the backend; free with gnv_io_free().
 * @param root the directory (created if missing).
 * @return GNV_OK, GNV_EIO, GNV_ENOMEM.
 * @since 0.1
 */
GNV_EXTERN int gnv_io_local_new(gnv_io **out, const char *root);

/**
 * gnv_io_local_new() with an explicit gnv_sync_mode (the environment is not read).
 * @return GNV_OK, GNV_EINVAL (unknown mode), GNV_EIO, GNV_ENOMEM.
 * @since 0.2
 */
GNV_EXTERN int gnv_io_local_new_sync(gnv_io **out, const char *root, int sync_mode);

/** What a fault-injecting backend does to the operation it targets. */
typedef enum gnv_io_fault {
    GNV_IO_FAULT_NONE = 0,
    GNV_IO_FAULT_EIO,    /**< the write (or commit) fails with an I/O error */
    GNV_IO_FAULT_ENOSPC, /**< the write fails: no space left */
    GNV_IO_FAULT_SHORT,  /**< the write stores only half its bytes, then fails */
    GNV_IO_FAULT_CRASH   /**< simulated power loss: this and every later write and
                             commit are lost; uncommitted files vanish */
} gnv_io_fault;

/**
 * A backend that wraps another and injects a fault at the Nth write, commit or remove
 * call (counted together from 1), for crash-safety tests.
 * @param[out] out the backend; it takes ownership of inner.
 * @param inner the backend to wrap.
 * @param fault what happens; nth which operation (0: never).
 * @since 0.1
 */
GNV_EXTERN int gnv_io_fault_new(gnv_io **out, gnv_io *inner, int fault, uint64_t nth);

/** Number of write/commit/remove operations a fault backend has seen. @since 0.1 */
GNV_EXTERN uint64_t gnv_io_fault_ops(const gnv_io *io);

/** Free a backend; NULL is allowed. @since 0.1 */
GNV_EXTERN void gnv_io_free(gnv_io *io);

#ifdef __cplusplus
}
#endif
/** @} */
#endif
