/*
 * The peer benchmark's synthetic rows (../shared/peer-bench in the project's
 * workspace, README "Data generator"), ported bit for bit: mulberry32 streams seeded
 * with seed * 16 + stream, 1000 centers of 128 doubles, a 5,000-word vocabulary, and
 * rows of id, vector[128] float32, text, label and score. Compile with
 * -ffp-contract=off so center + sd * g is not fused.
 */
#ifndef GNV_BENCH_PEER_DATA_H
#define GNV_BENCH_PEER_DATA_H

#include <stdint.h>

#define PEER_DIM       128
#define PEER_CENTERS   1000
#define PEER_VOCAB     5000
#define PEER_LABELS    20
#define PEER_MAX_WORDS 12
#define PEER_TEXT_MAX  (PEER_MAX_WORDS * 6) /* words of 5 letters + separators + NUL */

typedef struct peer_gen {
    uint32_t rows_state; /* the rows stream (2) */
    int64_t next_id;
    double *centers;           /* PEER_CENTERS x PEER_DIM */
    char vocab[PEER_VOCAB][6]; /* NUL-terminated five-letter words */
} peer_gen;

typedef struct peer_row {
    int64_t id;
    float vector[PEER_DIM];
    char text[PEER_TEXT_MAX]; /* words joined by single spaces */
    int text_len;
    char label[16]; /* "label_07" */
    double score;
} peer_row;

/* Set up the centers and vocabulary for a seed; the first row is id 0. */
int peer_gen_init(peer_gen *g, uint32_t seed);
/* The next row, in row order. */
void peer_gen_row(peer_gen *g, peer_row *out);
void peer_gen_reset(peer_gen *g);

struct ArrowSchema;
struct ArrowArray;
/* The rows as Arrow: struct<id: int64, vector: fixed_size_list<float32, 128>, text: utf8,
 * label: utf8, score: float64>, and appending one row to an owned array of it. */
int peer_arrow_schema(struct ArrowSchema *s);
int peer_append_row(struct ArrowArray *a, const peer_row *row);

#endif
