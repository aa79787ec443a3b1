/*
 * Stable row ids (manifest feature flag 2). Each fragment of such a table carries a
 * RowIdSequence, inline or in an external file (a byte range of a file under the table
 * directory), that gives the row id of each of its physical rows, deleted ones included.
 * The sequence is a list of segments: a range, a range with holes, a range with a
 * bitmap (LSB-first), or an array of u16/u32 offsets from a base or of u64 values.
 *
 * Appends give each new fragment the ids next_row_id, next_row_id + 1, ... (a Range
 * segment) and advance the manifest's next_row_id, as LanceDB does; they also record the
 * created-at and last-updated-at versions of the rows (one run of the new version).
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "table.h"

bool gnv__table_stable_row_ids(const Gnvpb__Manifest *m)
{
    return m && m->has_reader_feature_flags && (m->reader_feature_flags & 2);
}

/* ---- decoding ---------------------------------------------------------------- */

typedef struct u64vec {
    uint64_t *v;
    uint64_t n, cap, max; /* max: the fragment's physical rows */
} u64vec;

static int push(u64vec *a, uint64_t x, const char *what)
{
    if (a->n == a->max)
        return gnv__error_set(GNV_ECORRUPT, GNV_SUB_TABLE,
                              "%s: the row id sequence has more ids than the fragment's %" PRIu64
                              " rows",
                              what, a->max);
    if (a->n == a->cap) {
        uint64_t cap = a->cap ? a->cap * 2 : 64;
        if (cap > a->max)
            cap = a->max;
        uint64_t *p = gnv__reallocarray(a->v, (size_t)cap, sizeof *p);
        if (!p)
            return gnv__error_oom();
        a->v = p;
        a->cap = cap;
    }
    a->v[a->n++] = x;
    return GNV_OK;
}

static uint64_t le(const uint8_t *p, int bytes)
{
    uint64_t x = 0;
    for (int i = bytes - 1; i >= 0; i--)
        x = x << 8 | p[i];
    return x;
}

/* The values of an EncodedU64Array, appended to out (at most max of them). */
static int decode_array(u64vec *out, const Gnvpb__EncodedU64Array *a, const char *what)
{
    const uint8_t *p = NULL;
    size_t n = 0;
    int w = 0;
    uint64_t base = 0;
    switch (a ? a->array_case : GNVPB__ENCODED_U64_ARRAY__ARRAY__NOT_SET) {
    case GNVPB__ENCODED_U64_ARRAY__ARRAY_U16_ARRAY:
        if (!a->u16_array)
            break;
        base = a->u16_array->base_value;
        p = a->u16_array->offsets.data;
        n = a->u16_array->offsets.len;
        w = 2;
        break;
    case GNVPB__ENCODED_U64_ARRAY__ARRAY_U32_ARRAY:
        if (!a->u32_array)
            break;
        base = a->u32_array->base_value;
        p = a->u32_array->offsets.data;
        n = a->u32_array->offsets.len;
        w = 4;
        break;
    case GNVPB__ENCODED_U64_ARRAY__ARRAY_U64_ARRAY:
        if (!a->u64_array)
            break;
        p = a->u64_array->values.data;
        n = a->u64_array->values.len;
        w = 8;
        break;
    default:
        break;
    }
    if (w == 0 || n % (size_t)w != 0)
        return gnv__error_set(GNV_ECORRUPT, GNV_SUB_TABLE,
                              "%s: a row id array has no values or a partial value", what);
    for (size_t i = 0; i < n; i += (size_t)w)
        GNV_TRY(push(out, base + le(p + i, w), what));
    return GNV_OK;
}

static int decode_segment(u64vec *out, const Gnvpb__U64Segment *s, const char *what)
{
    switch (s->segment_case) {
    case GNVPB__U64_SEGMENT__SEGMENT_RANGE: {
        uint64_t a = s->range ? s->range->start : 0, b = s->range ? s->range->end : 0;
        if (b < a || b - a > out->max - out->n)
            break;
        for (uint64_t x = a; x < b; x++)
            GNV_TRY(push(out, x, what));
        return GNV_OK;
    }
    case GNVPB__U64_SEGMENT__SEGMENT_RANGE_WITH_HOLES: {
        const Gnvpb__U64Segment__RangeWithHoles *r = s->range_with_holes;
        if (!r || r->end < r->start)
            break;
        u64vec holes = {NULL, 0, 0, r->end - r->start};
        int rc = decode_array(&holes, r->holes, what);
        uint64_t h = 0;
        for (uint64_t x = r->start; rc == GNV_OK && x < r->end; x++) {
            while (h < holes.n && holes.v[h] < x)
                h++;
            if (h < holes.n && holes.v[h] == x)
                continue;
            rc = push(out, x, what);
        }
        gnv__free(holes.v);
        return rc;
    }
    case GNVPB__U64_SEGMENT__SEGMENT_RANGE_WITH_BITMAP: {
        const Gnvpb__U64Segment__RangeWithBitmap *r = s->range_with_bitmap;
        if (!r || r->end < r->start || (r->end - r->start + 7) / 8 > r->bitmap.len)
            break;
        for (uint64_t i = 0; i < r->end - r->start; i++)
            if (r->bitmap.data[i / 8] >> (i % 8) & 1)
                GNV_TRY(push(out, r->start + i, what));
        return GNV_OK;
    }
    case GNVPB__U64_SEGMENT__SEGMENT_SORTED_ARRAY:
        return decode_array(out, s->sorted_array, what);
    case GNVPB__U64_SEGMENT__SEGMENT_ARRAY:
        return decode_array(out, s->array, what);
    default:
        break;
    }
    return gnv__error_set(GNV_ECORRUPT, GNV_SUB_TABLE, "%s: a row id segment is invalid", what);
}

/* The bytes of an inline or external sequence: *data points into inl or into body
 * (which is filled from the external file x). `kind` names the sequence in errors. */
static int sequence_bytes(const uint8_t **data,
                          size_t *len,
                          gnv_buf *body,
                          gnv_io *io,
                          const char *dir,
                          const char *what,
                          const char *kind,
                          const ProtobufCBinaryData *inl,
                          const Gnvpb__ExternalFile *x)
{
    int rc = GNV_OK;
    gnv_buf path = GNV_BUF_INIT;
    if (inl) {
        *data = inl->data;
        *len = inl->len;
        return GNV_OK;
    }
    GNV_ERR_IF(!x || !x->path, GNV_ECORRUPT, GNV_SUB_TABLE, "%s: its %s file has no path", what,
               kind);
    GNV_TRYG(gnv__buf_printf(&path, "%s/%s", dir, x->path));
    rc = gnv__io_read_all(io, path.ptr, body);
    if (rc == GNV_ENOTFOUND)
        rc = gnv__error_set(GNV_ECORRUPT, GNV_SUB_TABLE, "%s: %s file '%s' is missing", what, kind,
                            path.ptr);
    GNV_TRYG(rc);
    GNV_ERR_IF(x->offset > body->size || x->size > body->size - x->offset, GNV_ECORRUPT,
               GNV_SUB_TABLE,
               "%s: %s at bytes %" PRIu64 "+%" PRIu64 " of '%s', which has %zu bytes", what, kind,
               x->offset, x->size, path.ptr, body->size);
    *data = (const uint8_t *)body->ptr + x->offset;
    *len = (size_t)x->size;
done:
    gnv_buf_dispose(&path);
    return rc;
}

int gnv__rowids_load(
    uint64_t **out, gnv_io *io, const char *dir, const char *tname, const Gnvpb__DataFragment *f)
{
    int rc = GNV_OK;
    gnv_buf what = GNV_BUF_INIT, body = GNV_BUF_INIT;
    Gnvpb__RowIdSequence *seq = NULL;
    u64vec ids = {NULL, 0, 0, f->physical_rows};
    const uint8_t *data = NULL;
    size_t len = 0;
    *out = NULL;
    GNV_TRYG(gnv__buf_printf(&what, "table '%s' fragment %" PRIu64, tname, f->id));
    if (f->row_id_sequence_case == GNVPB__DATA_FRAGMENT__ROW_ID_SEQUENCE_INLINE_ROW_IDS)
        GNV_TRYG(sequence_bytes(&data, &len, &body, io, dir, what.ptr, "row id", &f->inline_row_ids,
                                NULL));
    else if (f->row_id_sequence_case == GNVPB__DATA_FRAGMENT__ROW_ID_SEQUENCE_EXTERNAL_ROW_IDS)
        GNV_TRYG(sequence_bytes(&data, &len, &body, io, dir, what.ptr, "row id", NULL,
                                f->external_row_ids));
    else
        GNV_ERR_IF(true, GNV_ECORRUPT, GNV_SUB_TABLE,
                   "%s has no row id sequence, but the table uses stable row ids", what.ptr);
    seq = gnv__pb_unpack(&gnvpb__row_id_sequence__descriptor, len, data, what.ptr);
    if (!seq) {
        rc = gnv_error_last() ? gnv_error_last()->code : GNV_ECORRUPT;
        goto done;
    }
    for (size_t i = 0; i < seq->n_segments; i++)
        GNV_TRYG(decode_segment(&ids, seq->segments[i], what.ptr));
    GNV_ERR_IF(ids.n != f->physical_rows, GNV_ECORRUPT, GNV_SUB_TABLE,
               "%s: %" PRIu64 " row ids for %" PRIu64 " rows", what.ptr, ids.n, f->physical_rows);
    if (!ids.v) { /* an empty fragment */
        ids.v = gnv__malloc(sizeof *ids.v);
        GNV_CHECK_ALLOC(ids.v);
    }
    *out = ids.v;
    ids.v = NULL;
done:
    if (seq)
        gnv__pb_free(&seq->base);
    gnv__free(ids.v);
    gnv_buf_dispose(&what);
    gnv_buf_dispose(&body);
    return rc;
}

int gnv__rowids_load_versions(uint64_t **out,
                              gnv_io *io,
                              const char *dir,
                              const char *tname,
                              const Gnvpb__DataFragment *f,
                              bool created)
{
    int rc = GNV_OK;
    gnv_buf what = GNV_BUF_INIT, body = GNV_BUF_INIT;
    Gnvpb__RowDatasetVersionSequence *seq = NULL;
    u64vec vs = {NULL, 0, 0, f->physical_rows};
    u64vec span = {NULL, 0, 0, 0};
    const uint8_t *data = NULL;
    size_t len = 0;
    const char *kind = created ? "created-at version" : "last-updated-at version";
    int kase = created ? (int)f->created_at_version_sequence_case
                       : (int)f->last_updated_at_version_sequence_case;
    const ProtobufCBinaryData *inl =
        created ? &f->inline_created_at_versions : &f->inline_last_updated_at_versions;
    const Gnvpb__ExternalFile *ext =
        created ? f->external_created_at_versions : f->external_last_updated_at_versions;
    int inline_case =
        created
            ? GNVPB__DATA_FRAGMENT__CREATED_AT_VERSION_SEQUENCE_INLINE_CREATED_AT_VERSIONS
            : GNVPB__DATA_FRAGMENT__LAST_UPDATED_AT_VERSION_SEQUENCE_INLINE_LAST_UPDATED_AT_VERSIONS;
    *out = NULL;
    vs.v = gnv__calloc(f->physical_rows ? (size_t)f->physical_rows : 1, sizeof *vs.v);
    GNV_CHECK_ALLOC(vs.v);
    vs.cap = f->physical_rows;
    if (kase == 0) { /* none recorded: version 1, as Lance reads it */
        for (uint64_t i = 0; i < f->physical_rows; i++)
            vs.v[i] = 1;
        goto ok;
    }
    GNV_TRYG(gnv__buf_printf(&what, "table '%s' fragment %" PRIu64, tname, f->id));
    GNV_TRYG(sequence_bytes(&data, &len, &body, io, dir, what.ptr, kind,
                            kase == inline_case ? inl : NULL, ext));
    seq = gnv__pb_unpack(&gnvpb__row_dataset_version_sequence__descriptor, len, data, what.ptr);
    if (!seq) {
        rc = gnv_error_last() ? gnv_error_last()->code : GNV_ECORRUPT;
        goto done;
    }
    /* a run gives its version to as many rows as its span has offsets */
    for (size_t i = 0; i < seq->n_runs; i++) {
        const Gnvpb__RowDatasetVersionRun *r = seq->runs[i];
        GNV_ERR_IF(!r->span, GNV_ECORRUPT, GNV_SUB_TABLE, "%s: a %s run has no span", what.ptr,
                   kind);
        span.n = 0;
        span.max = f->physical_rows;
        GNV_TRYG(decode_segment(&span, r->span, what.ptr));
        GNV_ERR_IF(span.n > f->physical_rows - vs.n, GNV_ECORRUPT, GNV_SUB_TABLE,
                   "%s: more %ss than the fragment's %" PRIu64 " rows", what.ptr, kind,
                   f->physical_rows);
        for (uint64_t k = 0; k < span.n; k++)
            vs.v[vs.n++] = r->version;
    }
    GNV_ERR_IF(vs.n != f->physical_rows, GNV_ECORRUPT, GNV_SUB_TABLE,
               "%s: %" PRIu64 " %ss for %" PRIu64 " rows", what.ptr, vs.n, kind, f->physical_rows);
ok:
    *out = vs.v;
    vs.v = NULL;
done:
    if (seq)
        gnv__pb_free(&seq->base);
    gnv__free(vs.v);
    gnv__free(span.v);
    gnv_buf_dispose(&what);
    gnv_buf_dispose(&body);
    return rc;
}

/* ---- assigning ids to appended fragments --------------------------------------- */

static int pack(ProtobufCBinaryData *out, const ProtobufCMessage *msg)
{
    size_t n = protobuf_c_message_get_packed_size(msg);
    out->data = gnv__malloc(n ? n : 1);
    if (!out->data)
        return gnv__error_oom();
    out->len = protobuf_c_message_pack(msg, out->data);
    return GNV_OK;
}

/* Replace one of f's version sequences (inline or external) by the packed vs. */
static int
set_versions(Gnvpb__DataFragment *f, bool created, const Gnvpb__RowDatasetVersionSequence *vs)
{
    int *kase = created ? (int *)&f->created_at_version_sequence_case
                        : (int *)&f->last_updated_at_version_sequence_case;
    ProtobufCBinaryData *inl =
        created ? &f->inline_created_at_versions : &f->inline_last_updated_at_versions;
    Gnvpb__ExternalFile **ext =
        created ? &f->external_created_at_versions : &f->external_last_updated_at_versions;
    int inline_case =
        created
            ? GNVPB__DATA_FRAGMENT__CREATED_AT_VERSION_SEQUENCE_INLINE_CREATED_AT_VERSIONS
            : GNVPB__DATA_FRAGMENT__LAST_UPDATED_AT_VERSION_SEQUENCE_INLINE_LAST_UPDATED_AT_VERSIONS;
    if (*kase == inline_case)
        gnv__free(inl->data);
    else if (*kase != 0)
        gnv__pb_free(&(*ext)->base);
    *kase = inline_case;
    memset(inl, 0, sizeof *inl);
    return pack(inl, &vs->base);
}

/* Runs of equal versions over rows [0, n): versions[i] per row, or `version` for every
 * row when versions is NULL. */
static int pack_versions(
    Gnvpb__DataFragment *f, bool created, const uint64_t *versions, uint64_t n, uint64_t version)
{
    int rc = GNV_OK;
    size_t n_runs = 0;
    for (uint64_t i = 0; i < n; i++)
        if (i == 0 || (versions && versions[i] != versions[i - 1]))
            n_runs++;
    Gnvpb__U64Segment__Range *ranges = gnv__calloc(n_runs + 1, sizeof *ranges);
    Gnvpb__U64Segment *spans = gnv__calloc(n_runs + 1, sizeof *spans);
    Gnvpb__RowDatasetVersionRun *runs = gnv__calloc(n_runs + 1, sizeof *runs);
    Gnvpb__RowDatasetVersionRun **run_ptrs = gnv__calloc(n_runs + 1, sizeof *run_ptrs);
    if (!ranges || !spans || !runs || !run_ptrs) {
        rc = gnv__error_oom();
        goto done;
    }
    size_t k = 0;
    for (uint64_t i = 0; i < n; k++) {
        uint64_t j = versions ? i + 1 : n, v = versions ? versions[i] : version;
        while (j < n && versions[j] == v)
            j++;
        gnvpb__u64_segment__range__init(&ranges[k]);
        ranges[k].has_start = ranges[k].has_end = 1;
        ranges[k].start = i;
        ranges[k].end = j;
        gnvpb__u64_segment__init(&spans[k]);
        spans[k].segment_case = GNVPB__U64_SEGMENT__SEGMENT_RANGE;
        spans[k].range = &ranges[k];
        gnvpb__row_dataset_version_run__init(&runs[k]);
        runs[k].span = &spans[k];
        runs[k].has_version = 1;
        runs[k].version = v;
        run_ptrs[k] = &runs[k];
        i = j;
    }
    Gnvpb__RowDatasetVersionSequence vs = GNVPB__ROW_DATASET_VERSION_SEQUENCE__INIT;
    vs.n_runs = k;
    vs.runs = run_ptrs;
    rc = set_versions(f, created, &vs);
done:
    gnv__free(ranges);
    gnv__free(spans);
    gnv__free(runs);
    gnv__free(run_ptrs);
    return rc;
}

/* Set f's inline row id sequence to the packed seq (replacing an external one). */
static int set_sequence(Gnvpb__DataFragment *f, const Gnvpb__RowIdSequence *seq)
{
    if (f->row_id_sequence_case == GNVPB__DATA_FRAGMENT__ROW_ID_SEQUENCE_INLINE_ROW_IDS)
        gnv__free(f->inline_row_ids.data);
    else if (f->row_id_sequence_case == GNVPB__DATA_FRAGMENT__ROW_ID_SEQUENCE_EXTERNAL_ROW_IDS)
        gnv__pb_free(&f->external_row_ids->base);
    f->row_id_sequence_case = GNVPB__DATA_FRAGMENT__ROW_ID_SEQUENCE_INLINE_ROW_IDS;
    memset(&f->inline_row_ids, 0, sizeof f->inline_row_ids);
    return pack(&f->inline_row_ids, &seq->base);
}

int gnv__rowids_assign(Gnvpb__Manifest *m, size_t first, uint64_t version)
{
    uint64_t next = m->has_next_row_id ? m->next_row_id : 0;
    for (size_t i = first; i < m->n_fragments; i++) {
        Gnvpb__DataFragment *f = m->fragments[i];
        uint64_t rows = f->physical_rows;
        if (f->row_id_sequence_case != GNVPB__DATA_FRAGMENT__ROW_ID_SEQUENCE__NOT_SET)
            continue; /* rows that keep their ids (moved by an update) */
        Gnvpb__U64Segment__Range ids_range = GNVPB__U64_SEGMENT__RANGE__INIT;
        Gnvpb__U64Segment ids_seg = GNVPB__U64_SEGMENT__INIT;
        Gnvpb__U64Segment *ids_segs[1] = {&ids_seg};
        Gnvpb__RowIdSequence seq = GNVPB__ROW_ID_SEQUENCE__INIT;
        ids_range.has_start = ids_range.has_end = 1;
        ids_range.start = next;
        ids_range.end = next + rows;
        ids_seg.segment_case = GNVPB__U64_SEGMENT__SEGMENT_RANGE;
        ids_seg.range = &ids_range;
        seq.n_segments = 1;
        seq.segments = ids_segs;
        /* (version sequences the writer may have set are replaced) */
        GNV_TRY(set_sequence(f, &seq));
        GNV_TRY(pack_versions(f, false, NULL, rows, version));
        GNV_TRY(pack_versions(f, true, NULL, rows, version));
        next += rows;
    }
    m->has_next_row_id = 1;
    m->next_row_id = next;
    return GNV_OK;
}

int gnv__rowids_touch(Gnvpb__Manifest *m, size_t first, uint64_t version)
{
    for (size_t i = first; i < m->n_fragments; i++) {
        Gnvpb__DataFragment *f = m->fragments[i];
        if (f->row_id_sequence_case != GNVPB__DATA_FRAGMENT__ROW_ID_SEQUENCE__NOT_SET)
            GNV_TRY(pack_versions(f, false, NULL, f->physical_rows, version));
    }
    return GNV_OK;
}

/* Runs of consecutive ids at least this long become Range segments; shorter ones are
 * gathered into u64 array segments. */
#define RANGE_MIN_RUN 16

int gnv__rowids_set(Gnvpb__DataFragment *f,
                    const uint64_t *ids,
                    const uint64_t *created,
                    uint64_t version)
{
    int rc = GNV_OK;
    uint64_t n = f->physical_rows;
    /* at most one segment per run plus one array segment between runs */
    Gnvpb__U64Segment *segs = gnv__calloc(2 * n + 1, sizeof *segs);
    Gnvpb__U64Segment **seg_ptrs = gnv__calloc(2 * n + 1, sizeof *seg_ptrs);
    Gnvpb__U64Segment__Range *ranges = gnv__calloc(n + 1, sizeof *ranges);
    Gnvpb__EncodedU64Array *arrays = gnv__calloc(n + 1, sizeof *arrays);
    Gnvpb__EncodedU64Array__U64Array *u64s = gnv__calloc(n + 1, sizeof *u64s);
    uint8_t *bytes = gnv__malloc(8 * n + 1);
    if (!segs || !seg_ptrs || !ranges || !arrays || !u64s || !bytes) {
        rc = gnv__error_oom();
        goto done;
    }
    size_t n_segs = 0, n_ranges = 0, n_arrays = 0;
    uint64_t pending = 0; /* start of ids not yet in a segment */
    for (uint64_t i = 0; i <= n;) {
        uint64_t j = i + 1;
        while (i < n && j < n && ids[j] == ids[j - 1] + 1)
            j++;
        bool run = i < n && j - i >= RANGE_MIN_RUN;
        if ((run || i == n) && pending < i) { /* flush ids [pending, i) as an array */
            Gnvpb__EncodedU64Array__U64Array *u = &u64s[n_arrays];
            Gnvpb__EncodedU64Array *a = &arrays[n_arrays++];
            gnvpb__encoded_u64_array__u64_array__init(u);
            gnvpb__encoded_u64_array__init(a);
            u->has_values = 1;
            u->values.data = bytes + 8 * pending;
            u->values.len = 8 * (i - pending);
            for (uint64_t k = pending; k < i; k++)
                for (int b = 0; b < 8; b++)
                    bytes[8 * k + b] = (uint8_t)(ids[k] >> (8 * b));
            a->array_case = GNVPB__ENCODED_U64_ARRAY__ARRAY_U64_ARRAY;
            a->u64_array = u;
            gnvpb__u64_segment__init(&segs[n_segs]);
            segs[n_segs].segment_case = GNVPB__U64_SEGMENT__SEGMENT_ARRAY;
            segs[n_segs].array = a;
            seg_ptrs[n_segs] = &segs[n_segs];
            n_segs++;
        }
        if (i == n)
            break;
        if (run) {
            Gnvpb__U64Segment__Range *r = &ranges[n_ranges++];
            gnvpb__u64_segment__range__init(r);
            r->has_start = r->has_end = 1;
            r->start = ids[i];
            r->end = ids[i] + (j - i);
            gnvpb__u64_segment__init(&segs[n_segs]);
            segs[n_segs].segment_case = GNVPB__U64_SEGMENT__SEGMENT_RANGE;
            segs[n_segs].range = r;
            seg_ptrs[n_segs] = &segs[n_segs];
            n_segs++;
            pending = j;
        }
        i = j;
    }
    Gnvpb__RowIdSequence seq = GNVPB__ROW_ID_SEQUENCE__INIT;
    seq.n_segments = n_segs;
    seq.segments = seg_ptrs;
    GNV_TRYG(set_sequence(f, &seq));
    GNV_TRYG(pack_versions(f, false, NULL, n, version));
    GNV_TRYG(pack_versions(f, true, created, n, version));
done:
    gnv__free(segs);
    gnv__free(seg_ptrs);
    gnv__free(ranges);
    gnv__free(arrays);
    gnv__free(u64s);
    gnv__free(bytes);
    return rc;
}

int gnv__rowids_keep_moved(gnv_table *t,
                           const uint64_t *addrs,
                           const uint64_t *ids,
                           size_t n_rows,
                           Gnvpb__DataFragment **frags,
                           size_t n_frags)
{
    int rc = GNV_OK;
    uint64_t *created = NULL, *versions = NULL;
    const Gnvpb__DataFragment *f = NULL;
    created = gnv__calloc(n_rows ? n_rows : 1, sizeof *created);
    GNV_CHECK_ALLOC(created);
    for (size_t i = 0; i < n_rows; i++) {
        uint64_t fid = addrs[i] >> 32, row = addrs[i] & 0xffffffffu;
        if (!f || f->id != fid) { /* rows come fragment by fragment */
            f = NULL;
            for (size_t k = 0; k < t->m->n_fragments && !f; k++)
                if (t->m->fragments[k]->id == fid)
                    f = t->m->fragments[k];
            GNV_ERR_IF(!f, GNV_ECORRUPT, GNV_SUB_TABLE,
                       "table '%s': the scan returned a row of fragment %" PRIu64
                       ", which version %" PRIu64 " does not have",
                       t->name, fid, t->m->version);
            gnv__free(versions);
            versions = NULL;
            GNV_TRYG(gnv__rowids_load_versions(&versions, t->io, t->dir, t->name, f, true));
        }
        GNV_ERR_IF(row >= f->physical_rows, GNV_ECORRUPT, GNV_SUB_TABLE,
                   "table '%s': the scan returned row %" PRIu64 " of fragment %" PRIu64
                   ", which has %" PRIu64 " rows",
                   t->name, row, fid, f->physical_rows);
        created[i] = versions[row];
    }
    uint64_t off = 0;
    for (size_t k = 0; k < n_frags; k++) {
        uint64_t rows = frags[k]->physical_rows;
        GNV_ERR_IF(rows > n_rows - off, GNV_ERROR, GNV_SUB_TABLE,
                   "table '%s': wrote more rows than the %zu it moves", t->name, n_rows);
        GNV_TRYG(gnv__rowids_set(frags[k], ids + off, created + off, t->m->version + 1));
        off += rows;
    }
    GNV_ERR_IF(off != n_rows, GNV_ERROR, GNV_SUB_TABLE,
               "table '%s': wrote %" PRIu64 " rows for the %zu it moves", t->name, off, n_rows);
done:
    gnv__free(created);
    gnv__free(versions);
    return rc;
}

/* ---- take by row id ------------------------------------------------------------- */

typedef struct id_req {
    uint64_t id;
    size_t index;
} id_req;

static int cmp_id(const void *a, const void *b)
{
    uint64_t x = ((const id_req *)a)->id, y = ((const id_req *)b)->id;
    return x < y ? -1 : x > y;
}

int gnv__rowids_to_addrs(uint64_t *addrs, gnv_table *t, const uint64_t *row_ids, size_t n)
{
    int rc = GNV_OK;
    id_req *req = NULL;
    uint64_t *ids = NULL;
    uint8_t *del = NULL;
    bool *found = NULL;
    if (!gnv__table_stable_row_ids(t->m)) {
        memcpy(addrs, row_ids, n * sizeof *addrs);
        return GNV_OK;
    }
    req = gnv__calloc(n ? n : 1, sizeof *req);
    found = gnv__calloc(n ? n : 1, sizeof *found);
    GNV_CHECK_ALLOC(req);
    GNV_CHECK_ALLOC(found);
    for (size_t i = 0; i < n; i++) {
        req[i].id = row_ids[i];
        req[i].index = i;
    }
    qsort(req, n, sizeof *req, cmp_id);
    for (size_t fi = 0; fi < t->m->n_fragments && n > 0; fi++) {
        const Gnvpb__DataFragment *f = t->m->fragments[fi];
        GNV_TRYG(gnv__rowids_load(&ids, t->io, t->dir, t->name, f));
        GNV_TRYG(gnv__fragment_deletions(t->io, t->dir, t->name, f, &del));
        for (uint64_t r = 0; r < f->physical_rows; r++) {
            if (del && (del[r >> 3] >> (r & 7) & 1))
                continue;
            id_req key = {ids[r], 0};
            id_req *hit = bsearch(&key, req, n, sizeof *req, cmp_id);
            if (!hit)
                continue;
            while (hit > req && hit[-1].id == ids[r]) /* duplicates in the request */
                hit--;
            for (; hit < req + n && hit->id == ids[r]; hit++) {
                addrs[hit->index] = f->id << 32 | r;
                found[hit->index] = true;
            }
        }
        gnv__free(ids);
        ids = NULL;
        gnv__free(del);
        del = NULL;
    }
    for (size_t i = 0; i < n; i++)
        GNV_ERR_IF(!found[i], GNV_ENOTFOUND, GNV_SUB_TABLE,
                   "table '%s' version %" PRIu64 ": no live row has row id %" PRIu64, t->name,
                   t->m->version, row_ids[i]);
done:
    gnv__free(req);
    gnv__free(found);
    gnv__free(ids);
    gnv__free(del);
    return rc;
}

int gnv_table_take_row_ids(gnv_table *t,
                           const uint64_t *row_ids,
                           size_t n,
                           const char *const *columns,
                           size_t n_columns,
                           struct ArrowSchema *schema_out,
                           struct ArrowArray *array_out)
{
    int rc = GNV_OK;
    uint64_t *addrs = NULL;
    GNV_ERR_IF(!t || (!row_ids && n) || !schema_out || !array_out, GNV_EINVAL, GNV_SUB_TABLE,
               "gnv_table_take_row_ids: NULL argument");
    addrs = gnv__calloc(n ? n : 1, sizeof *addrs);
    GNV_CHECK_ALLOC(addrs);
    GNV_TRYG(gnv__rowids_to_addrs(addrs, t, row_ids, n));
    rc = gnv_table_take(t, addrs, n, columns, n_columns, schema_out, array_out);
done:
    gnv__free(addrs);
    return rc;
}
