/*
 * format: the Lance on-disk format. Data files (2.1 and 2.2) written with the simple
 * encodings LanceDB accepts and read back; the Lance schema (field list) to and from
 * Arrow; manifests and transactions (protobuf-c messages generated from our own
 * lance.proto, whose unknown fields protobuf-c carries forward unchanged).
 * Uses arrow and io.
 */
#ifndef GNV_FORMAT_H
#define GNV_FORMAT_H

#include "arrow/arrow.h"
#include "io/io.h"
#include "lance.pb-c.h" /* generated from src/format/lance.proto at build time */

/* ---- Lance schema <-> Arrow --------------------------------------------- */

/*
 * Lance fields for an Arrow struct schema (a record batch schema). Ids are assigned
 * depth-first starting at *next_id, which is advanced; parent_id is -1 at top level.
 * Field metadata is carried. The caller frees the fields with gnv__lance_fields_free.
 */
int gnv__lance_fields_from_arrow(Gnvpb__Field ***out,
                                 size_t *n_out,
                                 const struct ArrowSchema *schema,
                                 int32_t *next_id);
void gnv__lance_fields_free(Gnvpb__Field **fields, size_t n);
/*
 * Dictionary-encoded fields are stored as their value type (the Lance schema, the
 * data and what a scan returns have the value type; the writer decodes the input).
 * LanceDB itself keeps them as "dict:VALUE:KEY:false" with dictionary-encoded pages;
 * the reader reads such fields as their value type too. gnv__lance_schema_decoded
 * gives an owned copy of `schema` with every dictionary field replaced by its value
 * type (name, nullability and metadata kept).
 */
int gnv__lance_schema_decoded(struct ArrowSchema *out, const struct ArrowSchema *schema);
bool gnv__lance_schema_has_dictionary(const struct ArrowSchema *schema);
/* The Arrow struct schema for a Lance field list (ids ignored, order kept).
 * GNV_ENOTSUP naming the field for logical types we cannot represent. */
int gnv__lance_fields_to_arrow(struct ArrowSchema *out, Gnvpb__Field *const *fields, size_t n);
/* Ids of the leaf fields of a field list, in column order: what DataFile.fields
 * lists for a file holding all of them. */
int gnv__lance_leaf_ids(int32_t **ids_out, size_t *n_out, Gnvpb__Field *const *fields, size_t n);

/* ---- data files --------------------------------------------------------- */

typedef struct gnv_lance_write_options {
    int minor_version;     /* 1: Lance file 2.1 (default), 2: 2.2 */
    size_t max_page_bytes; /* flush a column's page at this size; 0 = 8 MiB */
} gnv_lance_write_options;

typedef struct gnv_lance_writer gnv_lance_writer;

/*
 * Start a data file at `path` (relative to io's root) for batches of `schema` (an
 * Arrow struct schema). Nothing is visible at path until finish. Memory is bounded by
 * the page size times the number of leaf columns (plus one batch).
 */
int gnv__lance_writer_new(gnv_lance_writer **out,
                          gnv_io *io,
                          const char *path,
                          const struct ArrowSchema *schema,
                          const gnv_lance_write_options *opts);
int gnv__lance_writer_write(gnv_lance_writer *w, const struct ArrowArray *batch);
/* Bytes written so far (for max_bytes_per_file). */
uint64_t gnv__lance_writer_bytes(const gnv_lance_writer *w);
int64_t gnv__lance_writer_rows(const gnv_lance_writer *w);
/* Write the metadata and footer and commit the file (no replace). */
int gnv__lance_writer_finish(gnv_lance_writer *w, uint64_t *file_size_out);
/* Free; an unfinished file is abandoned (nothing left at path). NULL-safe. */
void gnv__lance_writer_free(gnv_lance_writer *w);

typedef struct gnv_lance_file gnv_lance_file;

/* Open a data file: reads the footer, column metadata and the schema global buffer.
 * GNV_ECORRUPT naming the file for anything malformed, GNV_EVERSION for file versions
 * other than 2.1/2.2, GNV_ENOTSUP for encodings we do not read (naming them). */
int gnv__lance_file_open(gnv_lance_file **out, gnv_io *io, const char *path);
void gnv__lance_file_close(gnv_lance_file *f);
int64_t gnv__lance_file_rows(const gnv_lance_file *f);
int gnv__lance_file_minor_version(const gnv_lance_file *f);
int gnv__lance_file_num_columns(const gnv_lance_file *f);
/* The Arrow struct schema of the file's own schema (its FileDescriptor). */
int gnv__lance_file_schema(const gnv_lance_file *f, struct ArrowSchema *out);

/*
 * Decode rows [row_start, row_start + n) of one top-level field whose leaves are the
 * file's columns [first_column, first_column + leaf count of `field`). `field` is the
 * Arrow schema of that field; the result is an owned array of that type. Reads only
 * the pages that hold those rows.
 */
int gnv__lance_file_read(gnv_lance_file *f,
                         const struct ArrowSchema *field,
                         int first_column,
                         int64_t row_start,
                         int64_t n,
                         struct ArrowArray *out);
/* Rows at sorted, distinct indexes (for take), same conventions. */
int gnv__lance_file_take(gnv_lance_file *f,
                         const struct ArrowSchema *field,
                         int first_column,
                         const int64_t *rows,
                         int64_t n,
                         struct ArrowArray *out);
/* Number of leaf columns an Arrow field occupies in a Lance file. */
int gnv__lance_leaf_count(const struct ArrowSchema *field);

/* ---- manifests ---------------------------------------------------------- */

/* _versions/ file name of a version in the V2 naming ({u64::MAX - v:020}.manifest). */
void gnv__manifest_name(char out[64], uint64_t version);
/* Parse a manifest file name of either naming; returns false when it is not one. */
bool gnv__manifest_parse_name(const char *name, uint64_t *version, bool *v2_naming);

/* Read and unpack a manifest file. The IndexSection and Transaction messages it holds
 * are kept as raw bytes (index_section_out/transaction_out may be NULL). */
int gnv__manifest_read(Gnvpb__Manifest **out,
                       gnv_io *io,
                       const char *path,
                       gnv_buf *index_section_out,
                       gnv_buf *transaction_out);
/* Serialise a manifest file: [index section][transaction] manifest footer, with the
 * section offsets set in the manifest, and commit it without replacing. GNV_EEXISTS
 * when the version exists (a lost race). */
int gnv__manifest_write(gnv_io *io,
                        const char *path,
                        Gnvpb__Manifest *m,
                        const gnv_buf *index_section,
                        const gnv_buf *transaction);
void gnv__manifest_free(Gnvpb__Manifest *m);

/* Feature flags we understand (1 deletion files, 2 stable row ids, 8 config, 16 base
 * paths); anything else refuses the table with GNV_EVERSION naming the flag. */
int gnv__manifest_check_flags(const Gnvpb__Manifest *m, const char *table_name);

/* The protobuf-c allocator over gnv__malloc/gnv__free, for unpacking and freeing any of
 * our messages (manifests are unpacked with it). */
ProtobufCAllocator *gnv__pb_allocator(void);
/* Unpack a message with that allocator; NULL with GNV_ENOMEM or GNV_ECORRUPT ("<what>:
 * the <Message> message does not decode") set. */
void *gnv__pb_unpack(const ProtobufCMessageDescriptor *desc,
                     size_t n,
                     const uint8_t *data,
                     const char *what);

#endif
