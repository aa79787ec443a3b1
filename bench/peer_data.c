/* The peer benchmark's data generator in C (see peer_data.h). */
#include "peer_data.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "arrow/arrow.h"
#include "util/util.h"

enum { STREAM_CENTERS = 1, STREAM_ROWS = 2, STREAM_VOCAB = 4 };

static uint32_t u(uint32_t *a) /* mulberry32 */
{
    uint32_t t = (*a += 0x6D2B79F5u);
    t = (t ^ (t >> 15)) * (t | 1u);
    t ^= t + (t ^ (t >> 7)) * (t | 61u);
    return t ^ (t >> 14);
}

/* Irwin-Hall(4): mean 0, variance 1, exact in double arithmetic. The sum is in double,
 * as JavaScript adds the four uint32 values as numbers. */
static double g(uint32_t *a)
{
    double s = (double)u(a);
    s += u(a);
    s += u(a);
    s += u(a);
    return (s / 4294967296.0 - 2) * sqrt(3.0);
}

int peer_gen_init(peer_gen *g_, uint32_t seed)
{
    static const char C[] = "bcdfghjklmnprstvwz", V[] = "aeiou", F[] = "kxz";
    memset(g_, 0, sizeof *g_);
    g_->centers = gnv__malloc(sizeof(double) * PEER_CENTERS * PEER_DIM);
    if (!g_->centers)
        return gnv__error_oom();
    uint32_t cs = seed * 16 + STREAM_CENTERS;
    for (int i = 0; i < PEER_CENTERS * PEER_DIM; i++)
        g_->centers[i] = 2.0 * u(&cs) / 4294967296.0 - 1;

    /* 5,000 distinct words; a duplicate's draws are consumed and the word skipped. */
    uint32_t vs = seed * 16 + STREAM_VOCAB;
    int n = 0;
    while (n < PEER_VOCAB) {
        char w[6];
        for (int s = 0; s < 2; s++) {
            w[2 * s] = C[u(&vs) % 18];
            w[2 * s + 1] = V[u(&vs) % 5];
        }
        w[4] = F[u(&vs) % 3];
        w[5] = '\0';
        bool seen = false;
        for (int k = 0; k < n && !seen; k++) /* 5,000^2/2 compares: a few ms, once */
            seen = memcmp(g_->vocab[k], w, 5) == 0;
        if (!seen)
            memcpy(g_->vocab[n++], w, 6);
    }
    g_->rows_state = seed * 16 + STREAM_ROWS;
    return GNV_OK;
}

void peer_gen_row(peer_gen *g_, peer_row *out)
{
    uint32_t *r = &g_->rows_state;
    int c = (int)(u(r) % PEER_CENTERS);
    for (int d = 0; d < PEER_DIM; d++) {
        double sd = 1.0 / sqrt(1.0 + d);
        out->vector[d] = (float)(g_->centers[c * PEER_DIM + d] + sd * g(r));
    }
    int k = 8 + (int)(u(r) % 5);
    int p = 0;
    for (int j = 0; j < k; j++) {
        if (j)
            out->text[p++] = ' ';
        memcpy(out->text + p, g_->vocab[u(r) % PEER_VOCAB], 5);
        p += 5;
    }
    out->text[p] = '\0';
    out->text_len = p;
    snprintf(out->label, sizeof out->label, "label_%02u", u(r) % PEER_LABELS);
    out->score = u(r) / 4294967296.0;
    out->id = g_->next_id++;
}

void peer_gen_reset(peer_gen *g_)
{
    gnv__free(g_->centers);
    g_->centers = NULL;
}

/* ---- as Arrow ------------------------------------------------------------ */

int peer_arrow_schema(struct ArrowSchema *s)
{
    static const char *const names[] = {"id", "vector", "text", "label", "score"};
    static const char *const types[] = {"int64", "fixed_size_list<float32, 128>", "utf8", "utf8",
                                        "float64"};
    GNV_TRY(gnv__schema_init(s, "+s", "", 0));
    GNV_TRY(gnv__schema_alloc_children(s, 5));
    for (int c = 0; c < 5; c++)
        GNV_TRY(gnv__type_from_string(s->children[c], types[c], names[c]));
    return GNV_OK;
}

int peer_append_row(struct ArrowArray *a, const peer_row *row)
{
    GNV_TRY(gnv__array_append_int(a->children[0], row->id));
    struct ArrowArray *vec = a->children[1];
    for (int d = 0; d < PEER_DIM; d++)
        GNV_TRY(gnv__array_append_double(vec->children[0], row->vector[d]));
    GNV_TRY(gnv__array_finish_element(vec));
    GNV_TRY(gnv__array_append_bytes(a->children[2], row->text, (size_t)row->text_len));
    GNV_TRY(gnv__array_append_bytes(a->children[3], row->label, strlen(row->label)));
    GNV_TRY(gnv__array_append_double(a->children[4], row->score));
    return gnv__array_finish_element(a);
}
