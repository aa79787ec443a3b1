/**
 * @file arrow.h
 * @brief Reading CSV, JSON Lines and Arrow IPC files as Arrow streams, writing Arrow
 *        IPC, printing streams, and checking arrays.
 * @defgroup arrow Arrow files and streams
 *
 * Data enters and leaves the library through the Arrow C Data Interface
 * (arrow_abi.h). Streams returned here are the caller's: call `release` when done.
 * A stream is used from one thread at a time.
 * @{
 */
#ifndef GENEVA_ARROW_H
#define GENEVA_ARROW_H

#include <stdint.h>
#include <stdio.h>

#include "arrow_abi.h"
#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

/** File formats the readers understand. */
typedef enum gnv_file_format {
    GNV_FILE_AUTO = 0, /**< from the extension, then the contents */
    GNV_FILE_CSV,      /**< comma-separated values (RFC 4180 quoting) */
    GNV_FILE_JSONL,    /**< JSON Lines: one JSON object per line */
    GNV_FILE_ARROW     /**< Arrow IPC, file or stream format */
} gnv_file_format;

/** Options of gnv_read_file(). */
typedef struct gnv_read_options {
    unsigned int version; /**< GNV_READ_OPTIONS_VERSION */
    int format;           /**< a gnv_file_format; default GNV_FILE_AUTO */
    int64_t batch_rows;   /**< rows per batch; 0 = 65536 */
    int64_t infer_rows;   /**< CSV/JSONL rows read to infer types; 0 = 10000 */
    /** CSV/JSONL type overrides, "name:type,name:type", e.g. "id:int32,ts:timestamp[ms]".
     *  Types are written as the CLI prints them (int64, float64, utf8, bool, date32,
     *  timestamp[us, tz=UTC], list<int64>, ...). NULL = infer every column. */
    const char *types;
    char csv_delimiter; /**< default ',' */
    int csv_no_header;  /**< 1: no header line; columns are named f0, f1, ... */
} gnv_read_options;

#define GNV_READ_OPTIONS_VERSION 1
#define GNV_READ_OPTIONS_INIT                                                                      \
    {                                                                                              \
        GNV_READ_OPTIONS_VERSION, GNV_FILE_AUTO, 0, 0, NULL, ',', 0                                \
    }

/**
 * Open a CSV, JSON Lines or Arrow IPC file as a stream of record batches.
 *
 * With GNV_FILE_AUTO the format comes from the extension (.csv; .tsv, tab-delimited;
 * .jsonl, .ndjson, .json; .arrow, .arrows, .ipc, .feather), else from the first bytes
 * (the IPC magic or continuation marker; '{' for JSON Lines; anything else is CSV).
 *
 * CSV: the first line names the columns; types are inferred from the first
 * `infer_rows` rows (int64, float64, bool, date32, timestamp[us], else utf8; an empty
 * field is NULL) unless overridden. JSON Lines: objects become structs, arrays lists;
 * keys missing from a line are NULL. Arrow IPC: the file and the stream format, with
 * LZ4_FRAME or ZSTD body compression; dictionary-encoded fields are decoded.
 * Values that do not fit the inferred type later in the file fail the stream's
 * get_next with a message naming the file, line and column.
 *
 * @param[out] out the stream; the caller releases it.
 * @param path the file.
 * @param opts options, or NULL for the defaults.
 * @return GNV_OK; GNV_ENOTFOUND (no such file); GNV_EINVAL (malformed or unknown
 *         format; the message names the file and place); GNV_ECORRUPT (damaged IPC);
 *         GNV_ENOMEM.
 * @since 0.1
 */
GNV_EXTERN int
gnv_read_file(struct ArrowArrayStream *out, const char *path, const gnv_read_options *opts);

/** Body compression of IPC output. */
typedef enum gnv_ipc_compression {
    GNV_IPC_COMPRESS_NONE = 0,
    GNV_IPC_COMPRESS_LZ4 = 1, /**< LZ4_FRAME */
    GNV_IPC_COMPRESS_ZSTD = 2
} gnv_ipc_compression;

/** Options of gnv_write_ipc(). */
typedef struct gnv_ipc_write_options {
    unsigned int version; /**< GNV_IPC_WRITE_OPTIONS_VERSION */
    int stream_format;    /**< 0: IPC file format (.arrow); 1: IPC stream format */
    int compression;      /**< a gnv_ipc_compression */
} gnv_ipc_write_options;

#define GNV_IPC_WRITE_OPTIONS_VERSION 1
#define GNV_IPC_WRITE_OPTIONS_INIT                                                                 \
    {                                                                                              \
        GNV_IPC_WRITE_OPTIONS_VERSION, 0, GNV_IPC_COMPRESS_NONE                                    \
    }

/**
 * Write every batch of a stream to an Arrow IPC file (or stream).
 *
 * The file is written to a temporary name beside `path` and renamed into place when
 * complete, so a failure never leaves a half-written file at `path`.
 * The stream is consumed but not released: the caller still releases it.
 *
 * @param path the output file (replaced if it exists).
 * @param in the data; every batch is validated first.
 * @param opts options, or NULL for the defaults.
 * @param[out] rows_out rows written, or NULL.
 * @return GNV_OK; GNV_EINVAL (invalid batch or options); GNV_EIO; GNV_ENOMEM; or the
 *         error the input stream reported.
 * @since 0.1
 */
GNV_EXTERN int gnv_write_ipc(const char *path,
                             struct ArrowArrayStream *in,
                             const gnv_ipc_write_options *opts,
                             int64_t *rows_out);

/** Output formats of gnv_print_stream(). */
typedef enum gnv_print_format {
    GNV_PRINT_TABLE = 0, /**< aligned columns for people */
    GNV_PRINT_CSV,       /**< RFC 4180 with a header line */
    GNV_PRINT_JSONL      /**< one JSON object per row */
} gnv_print_format;

/** Options of gnv_print_stream(). */
typedef struct gnv_print_options {
    unsigned int version; /**< GNV_PRINT_OPTIONS_VERSION */
    int format;           /**< a gnv_print_format */
    int64_t limit;        /**< rows to print; negative = all */
    int max_width;        /**< table format: widest column in characters; 0 = 40 */
} gnv_print_options;

#define GNV_PRINT_OPTIONS_VERSION 1
#define GNV_PRINT_OPTIONS_INIT                                                                     \
    {                                                                                              \
        GNV_PRINT_OPTIONS_VERSION, GNV_PRINT_TABLE, -1, 0                                          \
    }

/**
 * Print the rows of a stream.
 *
 * JSON Lines output keys each row by column name; nested values are JSON objects and
 * arrays, binary values base64, dates "YYYY-MM-DD", timestamps ISO-8601 (with "Z" or
 * the zone offset when the type has a time zone), NaN and infinities as strings.
 * The stream is consumed but not released.
 *
 * @param out where to write.
 * @param in the data.
 * @param opts options, or NULL for the defaults.
 * @param[out] rows_out rows printed, or NULL.
 * @return GNV_OK; GNV_EIO (write failed); or the error the stream reported.
 * @since 0.1
 */
GNV_EXTERN int gnv_print_stream(FILE *out,
                                struct ArrowArrayStream *in,
                                const gnv_print_options *opts,
                                int64_t *rows_out);

/**
 * Describe a schema as text, one field per line: "name: type" (plus " not null" and
 * metadata when present), nested types written as e.g. "list<int64>".
 * @param[out] out receives the text; free with gnv_buf_dispose().
 * @return GNV_OK, GNV_EINVAL (unknown format string), GNV_ENOMEM.
 * @since 0.1
 */
GNV_EXTERN int gnv_schema_describe(gnv_buf *out, const struct ArrowSchema *schema);

/**
 * Check an array from an untrusted producer against its schema: buffer counts,
 * offsets, child lengths, dictionary indexes and UTF-8. The schema itself is checked
 * too. Thread-safe.
 * @return GNV_OK, or GNV_EINVAL with a message naming the field and element at fault.
 * @since 0.1
 */
GNV_EXTERN int gnv_array_validate(const struct ArrowSchema *schema, const struct ArrowArray *array);

#ifdef __cplusplus
}
#endif
/** @} */
#endif
