/*
 * job: virtual UDF columns and backfill jobs (planner, checkpoints, apply, write,
 * commit). Uses table, udf and expr.
 *
 * Invariants:
 * - A checkpoint file is written whole and made visible with a no-replace commit, so a
 *   present checkpoint is complete; its content is checked against the plan before use
 *   and a mismatching one is recomputed.
 * - A fragment's new data file is only written from checkpoints, and committed only
 *   when the fragment's data files (other than the column's) are those the plan read.
 * - Checkpoints are removed only after the commit that made their values visible.
 */
#ifndef GNV_JOB_H
#define GNV_JOB_H

#include "arrow/arrow.h"
#include "geneva/job.h"
#include "table/table.h"
#include "util/util.h"

#define GNV__CKPT_DIR "_geneva/checkpoints"
#define GNV__UDF_DIR  "_geneva/udfs"

/* A virtual column's definition, parsed from its `geneva.udf` field metadata. */
typedef struct gnv__udf_coldef {
    char *function;
    char *version;
    char *library; /* "<sha256>.so", in the table's _geneva/udfs/ */
    char *output;  /* the output type as text */
    char **inputs;
    size_t n_inputs;
} gnv__udf_coldef;

/* Parse a definition; GNV_EINVAL naming the column when the JSON is not one. */
int gnv__udf_coldef_parse(gnv__udf_coldef *out, const char *json, size_t len, const char *column);
void gnv__udf_coldef_reset(gnv__udf_coldef *d);

/* The definition of t's top-level column `column`: GNV_ENOTFOUND when there is no
 * such column, GNV_EINVAL when it is not a virtual column. *field_out (may be NULL)
 * receives a copy of the column's Arrow field (release it). */
int gnv__udf_coldef_of(gnv__udf_coldef *out,
                       struct ArrowSchema *field_out,
                       const gnv_table *t,
                       const char *column);

/* ---- checkpoints (job_ckpt.c) ------------------------------------------------ */

/* What identifies one checkpointed batch (DESIGN 5b). */
typedef struct gnv__ckpt_id {
    const gnv__udf_coldef *def;
    const char *column;
    const char *where;
    const char *table;
    const Gnvpb__DataFragment *frag; /* its data files and deletion file are hashed */
    int32_t field_id;                /* the column's (named in the file name) */
    const int32_t *leaf_ids;         /* its leaves: a file of exactly these (the column's */
    size_t n_leaf;                   /* own, written by a backfill) is not part of the key */
    int64_t start, end;              /* physical row range of the batch */
} gnv__ckpt_id;

/* The path "<table dir>/_geneva/checkpoints/f<field id>-<fragment id>-<key>.arrow"
 * (gnv__free). */
int gnv__ckpt_path(char **out, const gnv_table *t, const gnv__ckpt_id *id);

/* Write a checkpoint: row offsets (n) and the values (an array of `value` schema of n
 * rows). An existing checkpoint of the same key is kept (same content by
 * determinism). */
int gnv__ckpt_write(gnv_io *io,
                    const char *path,
                    const struct ArrowSchema *value,
                    const uint32_t *rows,
                    const struct ArrowArray *values,
                    int64_t n);

/* Read a checkpoint whose rows must equal rows[0..n) and values match `value`:
 * *found is false (and nothing is returned) when the file is missing, and also when it
 * does not match or is damaged (it is then removed). *values_out (may be NULL) gets
 * the values. */
int gnv__ckpt_read(bool *found,
                   struct ArrowArray *values_out,
                   gnv_io *io,
                   const char *path,
                   const struct ArrowSchema *value,
                   const uint32_t *rows,
                   int64_t n);

/* Decode a checkpoint file's bytes (`name` for messages): *ok when they hold exactly
 * rows[0..n) and values of the `value` type, which then go to *values_out (may be
 * NULL). Damaged or mismatching bytes only leave *ok false; GNV_ENOMEM is the only
 * error. */
int gnv__ckpt_decode(bool *ok,
                     struct ArrowArray *values_out,
                     const void *data,
                     size_t size,
                     const char *name,
                     const struct ArrowSchema *value,
                     const uint32_t *rows,
                     int64_t n);

/* Remove the checkpoints of column `field_id` in fragment `frag_id` (names start
 * "f<field id>-<fragment id>-") but those whose file names are in `keep` (may be NULL):
 * the leftovers of a run stopped between its commit and its clean-up, or planned with
 * other options, that the current plan does not use. */
int gnv__ckpt_remove_fragment(
    gnv_io *io, const gnv_table *t, int32_t field_id, uint64_t frag_id, const gnv_strset *keep);

#endif
