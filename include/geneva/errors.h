/**
 * @file errors.h
 * @brief Error codes and the thread-local last error.
 * @defgroup errors Errors
 *
 * Every function that can fail returns GNV_OK (0) or a negative code. The message of
 * the most recent failure on the calling thread is kept in gnv_error_last().
 * @{
 */
#ifndef GENEVA_ERRORS_H
#define GENEVA_ERRORS_H

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Return codes. Only failures a caller would handle differently get their own. */
typedef enum gnv_error_code {
    GNV_OK = 0,
    GNV_ERROR = -1,      /**< generic failure; see the message */
    GNV_ENOTFOUND = -2,  /**< a file, table, column or version does not exist */
    GNV_EEXISTS = -3,    /**< the object already exists */
    GNV_EINVAL = -4,     /**< invalid argument or malformed input */
    GNV_ENOMEM = -5,     /**< out of memory */
    GNV_EIO = -6,        /**< an operating-system I/O call failed */
    GNV_ECORRUPT = -7,   /**< stored data is damaged or not what it claims to be */
    GNV_ECONFLICT = -8,  /**< lost a commit race; retry */
    GNV_EVERSION = -9,   /**< a format or ABI version this build does not understand */
    GNV_EUDF = -10,      /**< a user function failed */
    GNV_ECANCELED = -11, /**< the operation was cancelled */
    GNV_ENOTSUP = -12,   /**< a feature that is not supported (yet) */
    GNV_ETIMEOUT = -13,  /**< a wait ended before what it waited for (@since 0.3) */
    GNV_ITEROVER = -31   /**< an iterator has no more items (not an error) */
} gnv_error_code;

/** The subsystem that detected an error. */
typedef enum gnv_error_subsystem {
    GNV_SUB_NONE = 0,
    GNV_SUB_UTIL,
    GNV_SUB_OS,
    GNV_SUB_ARROW,
    GNV_SUB_IPC,
    GNV_SUB_IMPORT,
    GNV_SUB_EXPR,
    GNV_SUB_IO,
    GNV_SUB_FORMAT,
    GNV_SUB_TABLE,
    GNV_SUB_UDF,
    GNV_SUB_INDEX,
    GNV_SUB_QUERY,
    GNV_SUB_JOB,
    GNV_SUB_VIEW,
    GNV_SUB_CLI
} gnv_error_subsystem;

/** The last error of the calling thread. */
typedef struct gnv_error {
    int code;            /**< a gnv_error_code */
    int subsystem;       /**< a gnv_error_subsystem */
    const char *message; /**< never NULL */
} gnv_error;

/**
 * The last error recorded on the calling thread.
 *
 * Never NULL right after a function returned a negative code. The pointer stays
 * valid until the next call into the library on this thread.
 * @return the error, or NULL when none is recorded.
 * @since 0.1
 */
GNV_EXTERN const gnv_error *gnv_error_last(void);

/** Forget the calling thread's last error. @since 0.1 */
GNV_EXTERN void gnv_error_clear(void);

/**
 * Static text for a code, e.g. "not found". Never NULL. Thread-safe.
 * @since 0.1
 */
GNV_EXTERN const char *gnv_strerror(int code);

/** The name of a subsystem, e.g. "arrow". Never NULL. @since 0.1 */
GNV_EXTERN const char *gnv_error_subsystem_name(int subsystem);

#ifdef __cplusplus
}
#endif
/** @} */
#endif
