/*
 * Lance data file reader (2.1 / 2.2). Opens the footer, offset tables, column metadata
 * and the FileDescriptor; decodes rows of a field by decoding, per leaf column, only the
 * pages (and mini-block chunks) covering those rows into a level stream (rep, def,
 * value slots), then rebuilding the Arrow array from the streams.
 *
 * Dispatch is on the page layout and on the compressive encoding; layouts and
 * encodings not implemented yet fail with GNV_ENOTSUP naming them. Every offset, size
 * and count read from the file is checked first: a damaged file is GNV_ECORRUPT.
 */
#include <inttypes.h>
#include <string.h>

#include "format/format_bitpack.h"
#include "format/format_compress.h"
#include "format/format_file.h"
#include "format/format_fsst.h"
#include "format/format_levels.h"
#include "format/format_rle.h"

/* Most bytes one general-compressed mini-block buffer or full-zip value may decompress to. */
#define MAX_DECOMPRESSED ((size_t)1 << 30)

typedef struct rpage {
    Gnvpb__PageLayout *layout;
    uint64_t *off, *size;
    int nbuf;
    int64_t rows, first_row;
    /* mini-block chunk table, loaded on first use */
    bool loaded;
    int64_t nchunks;
    uint64_t *chunk_off; /* nchunks + 1 byte offsets in the data buffer */
    int64_t *chunk_vals; /* nchunks + 1 cumulative value counts */
    uint64_t *rep_index; /* 2 per chunk, or NULL */
    /* mini-block dictionary, decoded on first use: values (VAR: bytes and u64 end offsets) */
    bool dict_loaded;
    int64_t dict_n;
    gnv_buf dict_vals, dict_offs;
} rpage;

typedef struct rcol {
    rpage *pages;
    int64_t npages;
    bool loaded;        /* metadata read (on the first read of the column) */
    uint64_t off, size; /* where its metadata is */
} rcol;

struct gnv_lance_file {
    gnv_io *io;
    gnv_io_reader *r;
    char *path;
    uint64_t size;
    int minor;
    int64_t rows;
    rcol *cols;
    int ncols;
    Gnvpb__FileDescriptor *fd;
    /* scratch kept between reads, so that a scan batch by batch reuses its memory
     * instead of faulting fresh pages in for every batch: leaf streams, the window
     * stream of a take, one mini-block chunk */
    struct stream *scratch;
    int nscratch;
    struct stream *window;
    gnv_buf chunk;
    /* per column: the bytes of the strings the last range read handed over (its
     * stream's buffer became the array's), so the next one sizes its buffer at once */
    size_t *var_hint;
};

static void scratch_free(gnv_lance_file *f);

static int corrupt(const gnv_lance_file *f, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static int corrupt(const gnv_lance_file *f, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return gnv__error_set(GNV_ECORRUPT, GNV_SUB_FORMAT, "Lance file %s is corrupt: %s", f->path,
                          msg);
}

static int read_at(gnv_lance_file *f, void *buf, uint64_t off, uint64_t n, const char *what)
{
    if (off > f->size || n > f->size - off)
        return corrupt(
            f, "%s at %" PRIu64 " (%" PRIu64 " bytes) is beyond the file's %" PRIu64 " bytes", what,
            off, n, f->size);
    if (n == 0)
        return GNV_OK;
    int rc = gnv__io_read_at(f->io, f->r, buf, (size_t)n, off);
    if (rc < 0)
        return gnv__error_prefix("reading Lance file %s", f->path);
    return GNV_OK;
}

/* Read [off, off+n) into a new allocation. */
static int read_alloc(gnv_lance_file *f, uint8_t **out, uint64_t off, uint64_t n, const char *what)
{
    if (off > f->size || n > f->size - off)
        return corrupt(
            f, "%s at %" PRIu64 " (%" PRIu64 " bytes) is beyond the file's %" PRIu64 " bytes", what,
            off, n, f->size);
    uint8_t *b = gnv__malloc(n ? (size_t)n : 1);
    if (!b)
        return gnv__error_oom();
    int rc = read_at(f, b, off, n, what);
    if (rc < 0) {
        gnv__free(b);
        return rc;
    }
    *out = b;
    return GNV_OK;
}

static void col_free(rcol *c)
{
    for (int64_t i = 0; i < c->npages; i++) {
        rpage *p = &c->pages[i];
        if (p->layout)
            gnvpb__page_layout__free_unpacked(p->layout, NULL);
        gnv__free(p->off);
        gnv__free(p->size);
        gnv__free(p->chunk_off);
        gnv__free(p->chunk_vals);
        gnv__free(p->rep_index);
        gnv_buf_dispose(&p->dict_vals);
        gnv_buf_dispose(&p->dict_offs);
    }
    gnv__free(c->pages);
}

void gnv__lance_file_close(gnv_lance_file *f)
{
    if (!f)
        return;
    for (int i = 0; i < f->ncols; i++)
        col_free(&f->cols[i]);
    gnv__free(f->cols);
    if (f->fd)
        gnvpb__file_descriptor__free_unpacked(f->fd, NULL);
    if (f->r)
        gnv__io_close_read(f->io, f->r);
    scratch_free(f);
    gnv__free(f->path);
    gnv__free(f);
}

/* Unpack an Any with the expected type URL suffix; returns the inner bytes. */
static int any_inner(gnv_lance_file *f,
                     const ProtobufCBinaryData *bytes,
                     const char *type,
                     Gnvpb__Any **out,
                     int col)
{
    Gnvpb__Any *any = gnvpb__any__unpack(NULL, bytes->len, bytes->data);
    if (!any)
        return corrupt(f, "column %d: an encoding is not a valid protobuf Any", col);
    const char *url = any->type_url ? any->type_url : "";
    const char *slash = strrchr(url, '/');
    const char *name = slash ? slash + 1 : url;
    if (strcmp(name, type) != 0) {
        int rc =
            gnv__error_set(GNV_ENOTSUP, GNV_SUB_FORMAT,
                           "unsupported Lance encoding '%s' in column %d of %s", url, col, f->path);
        gnvpb__any__free_unpacked(any, NULL);
        return rc;
    }
    *out = any;
    return GNV_OK;
}

static int load_page(
    gnv_lance_file *f, rpage *p, const Gnvpb__ColumnMetadata__Page *mp, int col, int64_t first_row)
{
    if (mp->n_buffer_offsets != mp->n_buffer_sizes || mp->n_buffer_offsets > 8)
        return corrupt(f, "column %d: a page lists %zu buffer offsets and %zu sizes", col,
                       mp->n_buffer_offsets, mp->n_buffer_sizes);
    p->nbuf = (int)mp->n_buffer_offsets;
    p->off = gnv__calloc((size_t)p->nbuf + 1, sizeof *p->off);
    p->size = gnv__calloc((size_t)p->nbuf + 1, sizeof *p->size);
    if (!p->off || !p->size)
        return gnv__error_oom();
    for (int i = 0; i < p->nbuf; i++) {
        p->off[i] = mp->buffer_offsets[i];
        p->size[i] = mp->buffer_sizes[i];
        if (p->off[i] > f->size || p->size[i] > f->size - p->off[i])
            return corrupt(f,
                           "column %d: page buffer %d (%" PRIu64 " bytes at %" PRIu64
                           ") is beyond the end of the file",
                           col, i, p->size[i], p->off[i]);
    }
    p->rows = (int64_t)mp->length;
    p->first_row = first_row;
    if (mp->length > (uint64_t)INT64_MAX / 4)
        return corrupt(f, "column %d: a page claims %" PRIu64 " rows", col, mp->length);
    if (!mp->encoding || mp->encoding->location_case != GNVPB__PAGE_ENCODING__LOCATION_DIRECT ||
        !mp->encoding->direct || !mp->encoding->direct->has_encoding)
        return gnv__error_set(GNV_ENOTSUP, GNV_SUB_FORMAT,
                              "unsupported Lance encoding 'deferred page encoding' in column %d "
                              "of %s",
                              col, f->path);
    Gnvpb__Any *any = NULL;
    GNV_TRY(
        any_inner(f, &mp->encoding->direct->encoding, "lance.encodings21.PageLayout", &any, col));
    p->layout = gnvpb__page_layout__unpack(NULL, any->value.len, any->value.data);
    gnvpb__any__free_unpacked(any, NULL);
    if (!p->layout)
        return corrupt(f, "column %d: a page layout is not valid protobuf", col);
    return GNV_OK;
}

static int load_column(gnv_lance_file *f, int col, uint64_t off, uint64_t size)
{
    uint8_t *buf;
    GNV_TRY(read_alloc(f, &buf, off, size, "column metadata"));
    Gnvpb__ColumnMetadata *cm = gnvpb__column_metadata__unpack(NULL, (size_t)size, buf);
    gnv__free(buf);
    if (!cm)
        return corrupt(f, "the metadata of column %d is not valid protobuf", col);
    int rc = GNV_OK;
    rcol *c = &f->cols[col];
    c->loaded = true;
    c->pages = gnv__calloc(cm->n_pages ? cm->n_pages : 1, sizeof *c->pages);
    GNV_CHECK_ALLOC(c->pages);
    int64_t row = 0;
    for (size_t i = 0; i < cm->n_pages; i++) {
        c->npages++;
        GNV_TRYG(load_page(f, &c->pages[i], cm->pages[i], col, row));
        row += c->pages[i].rows;
        GNV_ERR_IF(row > f->rows, GNV_ECORRUPT, GNV_SUB_FORMAT,
                   "Lance file %s is corrupt: column %d has more rows than the file's %lld",
                   f->path, col, (long long)f->rows);
    }
    GNV_ERR_IF(row != f->rows, GNV_ECORRUPT, GNV_SUB_FORMAT,
               "Lance file %s is corrupt: column %d has %lld rows, the file %lld", f->path, col,
               (long long)row, (long long)f->rows);
done:
    gnvpb__column_metadata__free_unpacked(cm, NULL);
    return rc;
}

int gnv__lance_file_open(gnv_lance_file **out, gnv_io *io, const char *path)
{
    int rc = GNV_OK;
    uint8_t *tab = NULL, *gb = NULL;
    gnv_lance_file *f = gnv__calloc(1, sizeof *f);
    GNV_CHECK_ALLOC(f);
    f->io = io;
    f->path = gnv__strdup(path);
    GNV_CHECK_ALLOC(f->path);
    rc = gnv__io_open_read(io, path, &f->r, &f->size);
    if (rc < 0) {
        gnv__error_prefix("opening Lance file %s", path);
        goto done;
    }
    GNV_ERR_IF(f->size < GNV_LF_FOOTER_SIZE, GNV_ECORRUPT, GNV_SUB_FORMAT,
               "Lance file %s is corrupt: %" PRIu64 " bytes is too short for the footer", path,
               f->size);
    uint8_t ft[GNV_LF_FOOTER_SIZE];
    GNV_TRYG(read_at(f, ft, f->size - GNV_LF_FOOTER_SIZE, GNV_LF_FOOTER_SIZE, "footer"));
    GNV_ERR_IF(memcmp(ft + 36, GNV_LF_MAGIC, 4) != 0, GNV_ECORRUPT, GNV_SUB_FORMAT,
               "Lance file %s is corrupt: the footer lacks the LANC magic", path);
    uint16_t major = gnv__lf_get16(ft + 32), minor = gnv__lf_get16(ft + 34);
    GNV_ERR_IF(major != 2 || (minor != 1 && minor != 2), GNV_EVERSION, GNV_SUB_FORMAT,
               "Lance file %s has file version %u.%u; this build reads 2.1 and 2.2", path, major,
               minor);
    f->minor = minor;
    uint64_t cmo = gnv__lf_get64(ft + 8), gbo = gnv__lf_get64(ft + 16);
    uint32_t ngb = gnv__lf_get32(ft + 24), ncols = gnv__lf_get32(ft + 28);
    uint64_t body = f->size - GNV_LF_FOOTER_SIZE;
    GNV_ERR_IF(ngb < 1 || ngb > body / 16 || gbo > body || ngb * (uint64_t)16 > body - gbo,
               GNV_ECORRUPT, GNV_SUB_FORMAT,
               "Lance file %s is corrupt: bad global buffer table (%u at %" PRIu64 ")", path, ngb,
               gbo);
    GNV_ERR_IF(ncols > body / 16 || cmo > body || ncols * (uint64_t)16 > body - cmo, GNV_ECORRUPT,
               GNV_SUB_FORMAT,
               "Lance file %s is corrupt: bad column metadata table (%u at %" PRIu64 ")", path,
               ncols, cmo);
    uint8_t g[16];
    GNV_TRYG(read_at(f, g, gbo, 16, "global buffer table"));
    uint64_t goff = gnv__lf_get64(g), gsize = gnv__lf_get64(g + 8);
    GNV_TRYG(read_alloc(f, &gb, goff, gsize, "global buffer 0"));
    f->fd = gnvpb__file_descriptor__unpack(NULL, (size_t)gsize, gb);
    GNV_ERR_IF(!f->fd || !f->fd->has_length || f->fd->length > (uint64_t)INT64_MAX / 4,
               GNV_ECORRUPT, GNV_SUB_FORMAT,
               "Lance file %s is corrupt: global buffer 0 is not a file descriptor", path);
    f->rows = (int64_t)f->fd->length;
    f->cols = gnv__calloc(ncols ? ncols : 1, sizeof *f->cols);
    GNV_CHECK_ALLOC(f->cols);
    f->ncols = (int)ncols;
    GNV_TRYG(read_alloc(f, &tab, cmo, (uint64_t)ncols * 16, "column metadata table"));
    /* a column's metadata (its pages) is read when the column is first read */
    for (uint32_t i = 0; i < ncols; i++) {
        f->cols[i].off = gnv__lf_get64(tab + 16 * i);
        f->cols[i].size = gnv__lf_get64(tab + 16 * i + 8);
    }
    *out = f;
    f = NULL;
done:
    gnv__free(tab);
    gnv__free(gb);
    gnv__lance_file_close(f);
    return rc;
}

int64_t gnv__lance_file_rows(const gnv_lance_file *f)
{
    return f->rows;
}

int gnv__lance_file_minor_version(const gnv_lance_file *f)
{
    return f->minor;
}

int gnv__lance_file_num_columns(const gnv_lance_file *f)
{
    return f->ncols;
}

int gnv__lance_file_schema(const gnv_lance_file *f, struct ArrowSchema *out)
{
    const Gnvpb__FileSchema *fs = f->fd->schema;
    if (!fs)
        return gnv__error_set(GNV_ECORRUPT, GNV_SUB_FORMAT,
                              "Lance file %s is corrupt: its descriptor has no schema", f->path);
    int rc = gnv__lance_fields_to_arrow(out, fs->fields, fs->n_fields);
    if (rc < 0)
        gnv__error_prefix("Lance file %s", f->path);
    return rc;
}

/* ---- level streams ----------------------------------------------------------- */

typedef struct stream {
    const gnv_lf_leaf *L;
    int col;
    gnv_buf rep, def; /* u16, present when L->max_rep / max_def > 0 */
    bool def_set;     /* some def level is not 0 (else every value is there) */
    int64_t nlevels;
    gnv_buf vals;   /* slots: width bytes each; VAR: bytes */
    gnv_buf offs;   /* VAR: u64 end offsets */
    gnv_buf ivalid; /* FSL item validity (1 byte per item), or empty */
    bool has_ivalid;
    /* nested FSL: validity of the items of level j < fsl_levels - 1 (inner lists), one
     * byte each, every slot adding the level's items */
    gnv_buf lvalid[GNV_LF_MAX_FSL];
    int64_t nslots;
    int64_t lpos, vpos;
} stream;

static void stream_free(stream *s)
{
    gnv_buf_dispose(&s->rep);
    gnv_buf_dispose(&s->def);
    gnv_buf_dispose(&s->vals);
    gnv_buf_dispose(&s->offs);
    gnv_buf_dispose(&s->ivalid);
    for (int j = 0; j < GNV_LF_MAX_FSL; j++)
        gnv_buf_dispose(&s->lvalid[j]);
}

static void scratch_free(gnv_lance_file *f)
{
    for (int i = 0; i < f->nscratch; i++)
        stream_free(&f->scratch[i]);
    gnv__free(f->scratch);
    gnv__free(f->var_hint);
    if (f->window)
        stream_free(f->window);
    gnv__free(f->window);
    gnv_buf_dispose(&f->chunk);
}

static uint16_t s_rep(const stream *s, int64_t l)
{
    return s->L->max_rep > 0 ? ((const uint16_t *)(const void *)s->rep.ptr)[l] : 0;
}
static uint16_t s_def(const stream *s, int64_t l)
{
    return s->L->max_def > 0 ? ((const uint16_t *)(const void *)s->def.ptr)[l] : 0;
}

/* One level, without a call when there is room (levels are pushed one per value). */
static inline int put_u16(gnv_buf *b, uint16_t v)
{
    if (b->asize > b->size + 2) {
        memcpy(b->ptr + b->size, &v, 2);
        b->size += 2;
        b->ptr[b->size] = '\0';
        return GNV_OK;
    }
    return gnv__buf_put(b, &v, 2);
}

/* Per page: how its def levels map onto the plan's, from the page's layers. */
typedef struct defmap {
    uint16_t map[64];
    int nmap;
    int max_visible; /* in page levels */
} defmap;

static int unsupported(gnv_lance_file *f, int col, const char *what)
{
    return gnv__error_set(GNV_ENOTSUP, GNV_SUB_FORMAT,
                          "unsupported Lance encoding '%s' in column %d of %s", what, col, f->path);
}

static int make_defmap(
    gnv_lance_file *f, int col, const gnv_lf_leaf *L, const int *layers, size_t n, defmap *m)
{
    if ((int)n != L->depth)
        return corrupt(f, "column %d: a page has %zu rep/def layers, the field %d", col, n,
                       L->depth);
    int lvl = 0;
    m->map[0] = 0;
    m->max_visible = INT32_MAX;
    for (size_t k = 0; k < n; k++) {
        int node = L->depth - 1 - (int)k;
        int ly = layers[k];
        bool list = ly == GNVPB__REP_DEF_LAYER__REPDEF_ALL_VALID_LIST ||
                    ly == GNVPB__REP_DEF_LAYER__REPDEF_NULLABLE_LIST ||
                    ly == GNVPB__REP_DEF_LAYER__REPDEF_EMPTYABLE_LIST ||
                    ly == GNVPB__REP_DEF_LAYER__REPDEF_NULL_AND_EMPTY_LIST;
        if (list != L->is_list[node] || ly < 1 || ly > 6)
            return corrupt(f, "column %d: page layer %zu (%d) does not match the field", col, k,
                           ly);
        if (list && m->max_visible == INT32_MAX)
            m->max_visible = lvl;
        if (lvl + 2 >= (int)GNV_ARRAY_SIZE(m->map))
            return unsupported(f, col, "too many definition levels");
        switch (ly) {
        case GNVPB__REP_DEF_LAYER__REPDEF_NULLABLE_ITEM:
        case GNVPB__REP_DEF_LAYER__REPDEF_NULLABLE_LIST:
            if (!L->null_def[node])
                return corrupt(f, "column %d: nulls in a non-nullable field", col);
            m->map[++lvl] = (uint16_t)L->null_def[node];
            break;
        case GNVPB__REP_DEF_LAYER__REPDEF_EMPTYABLE_LIST:
            m->map[++lvl] = (uint16_t)L->empty_def[node];
            break;
        case GNVPB__REP_DEF_LAYER__REPDEF_NULL_AND_EMPTY_LIST:
            if (!L->null_def[node])
                return corrupt(f, "column %d: nulls in a non-nullable field", col);
            m->map[++lvl] = (uint16_t)L->null_def[node];
            m->map[++lvl] = (uint16_t)L->empty_def[node];
            break;
        default:
            break;
        }
    }
    m->nmap = lvl + 1;
    return GNV_OK;
}

/* Append one level (page terms) to the stream. */
static int push_level(gnv_lance_file *f, stream *s, const defmap *m, uint16_t rep, uint16_t def)
{
    if (def >= m->nmap)
        return corrupt(f, "column %d: definition level %u is out of range", s->col, def);
    if (rep > s->L->max_rep)
        return corrupt(f, "column %d: repetition level %u is out of range", s->col, rep);
    if (s->L->max_rep > 0)
        GNV_TRY(put_u16(&s->rep, rep));
    if (s->L->max_def > 0)
        GNV_TRY(put_u16(&s->def, m->map[def]));
    s->def_set = s->def_set || m->map[def] != 0;
    s->nlevels++;
    return GNV_OK;
}

static int push_null_slot(stream *s)
{
    const gnv_lf_leaf *L = s->L;
    if (L->kind == GNV_LF_VAR) {
        uint64_t e = s->vals.size;
        GNV_TRY(gnv__buf_put(&s->offs, &e, 8));
    } else if (L->kind != GNV_LF_NULL) {
        GNV_TRY(gnv__buf_put_zeros(&s->vals, (size_t)L->width));
        if (L->kind == GNV_LF_FSL) {
            GNV_TRY(gnv__buf_put_zeros(&s->ivalid, (size_t)L->dim));
            int64_t per = 1;
            for (int j = 0; j + 1 < L->fsl_levels; j++) {
                per *= L->fsl_dim[j];
                GNV_TRY(gnv__buf_put_zeros(&s->lvalid[j], (size_t)per));
            }
        }
    }
    s->nslots++;
    return GNV_OK;
}

/* Append n validity bytes to b: bit i of bits (from bit 0), or all 1 when bits is NULL. */
static int put_validity_bytes(gnv_buf *b, const uint8_t *bits, int64_t n)
{
    GNV_TRY(gnv__buf_reserve(b, (size_t)n));
    uint8_t *d = (uint8_t *)b->ptr + b->size;
    if (bits)
        for (int64_t i = 0; i < n; i++)
            d[i] = (uint8_t)(bits[i >> 3] >> (i & 7) & 1);
    else
        memset(d, 1, (size_t)n);
    b->size += (size_t)n;
    b->ptr[b->size] = '\0';
    return GNV_OK;
}

/* Append n item-validity bytes of FSL values: bit i of bits (from bit 0), or all 1
 * when bits is NULL (then the inner lists of nested FSL values are all valid too). */
static int put_item_validity(stream *s, const uint8_t *bits, int64_t n)
{
    if (!bits && s->L->fsl_levels > 1) {
        int64_t per = 1, slots = n / s->L->dim;
        for (int j = 0; j + 1 < s->L->fsl_levels; j++) {
            per *= s->L->fsl_dim[j];
            GNV_TRY(put_validity_bytes(&s->lvalid[j], NULL, slots * per));
        }
    }
    GNV_TRY(gnv__buf_reserve(&s->ivalid, (size_t)n));
    uint8_t *d = (uint8_t *)s->ivalid.ptr + s->ivalid.size;
    if (bits)
        for (int64_t i = 0; i < n; i++)
            d[i] = (uint8_t)(bits[i >> 3] >> (i & 7) & 1);
    else
        memset(d, 1, (size_t)n);
    s->ivalid.size += (size_t)n;
    s->ivalid.ptr[s->ivalid.size] = '\0';
    return GNV_OK;
}

/* ---- values of a mini-block chunk ------------------------------------------- */

typedef struct vdesc {
    gnv_lf_kind kind;
    int bits;      /* Flat */
    bool validity; /* FSL: the (last level's) items have a validity bitmap */
    int bitpack;   /* InlineBitpacking: the uncompressed word size in bits, else 0 */
    bool rle;      /* Rle: [values][u8 run lengths] per chunk */
    bool bss;      /* ByteStreamSplit of flat values: byte j of value i at j*k + i */
    int general;   /* General: the first buffer of a chunk (mini-block) or each value
                      (full-zip) is compressed with this scheme; 0 for none */
    bool fsst;     /* Fsst over Variable: each string is FSST-compressed with fsst_table */
    gnv_fsst_table fsst_table;
    /* nested FSL: the items of level j have a validity bitmap */
    bool lvalidity[GNV_LF_MAX_FSL];
} vdesc;

/* ---- InlineBitpacking: [T bit width][1024*w/T words of T] per chunk of <= 1024 values ---- */

static int check_inline_bitpacking(
    gnv_lance_file *f, int col, const gnv_lf_leaf *L, const Gnvpb__InlineBitpacking *ib, vdesc *d)
{
    if (!ib)
        return corrupt(f, "column %d: inline bitpacking without its description", col);
    if (ib->values)
        return unsupported(f, col, "inline bitpacking with general compression");
    if (ib->uncompressed_bits_per_value != (uint64_t)L->width * 8 ||
        (L->width != 1 && L->width != 2 && L->width != 4 && L->width != 8))
        return corrupt(f, "column %d: inline bitpacking of %" PRIu64 " bits for a %d-byte type",
                       col, ib->uncompressed_bits_per_value, L->width);
    d->kind = L->kind;
    d->bitpack = L->width * 8;
    return GNV_OK;
}

/* Unpacks one chunk; the writer pads the last chunk of a page to 1024 values. */
static int inline_bitpacked_values(
    gnv_lance_file *f, stream *s, const vdesc *d, const uint8_t *buf, uint64_t size, int64_t k)
{
    uint64_t t = (uint64_t)d->bitpack, wb = t / 8;
    if (k > GNV_FL_BLOCK || size < wb)
        return corrupt(f,
                       "column %d: an inline-bitpacked chunk of %lld values and %" PRIu64 " bytes",
                       s->col, (long long)k, size);
    uint64_t w = wb == 8   ? gnv__lf_get64(buf)
                 : wb == 4 ? gnv__lf_get32(buf)
                 : wb == 2 ? gnv__lf_get16(buf)
                           : buf[0];
    if (w > t || size != wb + gnv__fl_packed_bytes((int)w))
        return corrupt(f,
                       "column %d: an inline-bitpacked chunk of %" PRIu64 " bytes with bit "
                       "width %" PRIu64,
                       s->col, size, w);
    uint64_t *tmp = gnv__malloc(GNV_FL_BLOCK * sizeof *tmp);
    if (!tmp)
        return gnv__error_set(GNV_ENOMEM, GNV_SUB_FORMAT, "out of memory unpacking column %d",
                              s->col);
    int rc = gnv__fl_unpack(tmp, buf + wb, size - wb, (int)t, (int)w);
    if (rc == GNV_OK)
        rc = gnv__buf_put(&s->vals, tmp, (size_t)k * (size_t)wb);
    gnv__free(tmp);
    return rc;
}

/* ---- Rle: two buffers per chunk, flat values of the column's width and u8 run lengths ---- */

static int
check_rle(gnv_lance_file *f, int col, const gnv_lf_leaf *L, const Gnvpb__Rle *r, vdesc *d)
{
    if (!r || !r->values || !r->run_lengths)
        return corrupt(f, "column %d: rle without its description", col);
    const Gnvpb__CompressiveEncoding *v = r->values, *n = r->run_lengths;
    if (v->compression_case != GNVPB__COMPRESSIVE_ENCODING__COMPRESSION_FLAT || !v->flat ||
        v->flat->data || n->compression_case != GNVPB__COMPRESSIVE_ENCODING__COMPRESSION_FLAT ||
        !n->flat || n->flat->data || n->flat->bits_per_value != 8)
        return unsupported(f, col, "rle of values or run lengths that are not flat");
    if (v->flat->bits_per_value != (uint64_t)L->width * 8 ||
        (L->width != 1 && L->width != 2 && L->width != 4 && L->width != 8))
        return corrupt(f, "column %d: rle of %" PRIu64 "-bit values for a %d-byte type", col,
                       v->flat->bits_per_value, L->width);
    d->kind = L->kind;
    d->rle = true;
    return GNV_OK;
}

static int rle_values(gnv_lance_file *f,
                      stream *s,
                      const uint8_t *const *buf,
                      const uint64_t *bsize,
                      int nb,
                      int64_t k)
{
    if (nb != 2)
        return corrupt(f, "column %d: an rle chunk has %d buffers", s->col, nb);
    size_t w = (size_t)s->L->width;
    GNV_TRY(gnv__buf_reserve(&s->vals, (size_t)k * w));
    int rc = gnv__rle_decode(s->vals.ptr + s->vals.size, (size_t)k, (int)w, buf[0],
                             (size_t)bsize[0], buf[1], (size_t)bsize[1]);
    if (rc < 0) {
        char why[256]; /* the message is copied: corrupt() overwrites the last error */
        const gnv_error *e = gnv_error_last();
        snprintf(why, sizeof why, "%s", e ? e->message : "?");
        return corrupt(f, "column %d: bad rle chunk: %s", s->col, why);
    }
    s->vals.size += (size_t)k * w;
    s->vals.ptr[s->vals.size] = '\0';
    return GNV_OK;
}

static const char *encoding_name(const Gnvpb__CompressiveEncoding *ce)
{
    static const char *const names[] = {"none",
                                        "flat",
                                        "variable",
                                        "constant",
                                        "out-of-line bitpacking",
                                        "inline bitpacking",
                                        "fsst",
                                        "dictionary",
                                        "rle",
                                        "byte stream split",
                                        "general",
                                        "fixed size list",
                                        "packed struct"};
    int cs = (int)ce->compression_case;
    return cs >= 0 && cs < (int)GNV_ARRAY_SIZE(names) ? names[cs] : "unknown";
}

/* The scheme of a General wrapper (LZ4 or ZSTD), or an error naming it. */
static int general_scheme(gnv_lance_file *f, int col, const Gnvpb__BufferCompression *bc)
{
    if (!bc)
        return corrupt(f, "column %d: general compression without its scheme", col);
    if (bc->scheme == GNVPB__COMPRESSION_SCHEME__COMPRESSION_ALGORITHM_LZ4)
        return GNV_LANCE_LZ4;
    if (bc->scheme == GNVPB__COMPRESSION_SCHEME__COMPRESSION_ALGORITHM_ZSTD)
        return GNV_LANCE_ZSTD;
    return unsupported(f, col, "general compression of an unknown scheme");
}

static int check_value_encoding(gnv_lance_file *f,
                                int col,
                                const gnv_lf_leaf *L,
                                const Gnvpb__CompressiveEncoding *ce,
                                vdesc *d)
{
    memset(d, 0, sizeof *d);
    if (!ce)
        return corrupt(f, "column %d: a page has no value encoding", col);
    int cs = (int)ce->compression_case;
    const char *name = encoding_name(ce);
    if (cs == GNVPB__COMPRESSIVE_ENCODING__COMPRESSION_GENERAL && ce->general &&
        (L->kind == GNV_LF_FIXED || L->kind == GNV_LF_VAR)) {
        int scheme = general_scheme(f, col, ce->general->compression);
        if (scheme < 0)
            return scheme;
        if (!ce->general->values)
            return corrupt(f, "column %d: general compression of nothing", col);
        if (ce->general->values->compression_case ==
            GNVPB__COMPRESSIVE_ENCODING__COMPRESSION_GENERAL)
            return unsupported(f, col, "general compression of general compression");
        GNV_TRY(check_value_encoding(f, col, L, ce->general->values, d));
        d->general = scheme;
        return GNV_OK;
    }
    switch (L->kind) {
    case GNV_LF_BOOL:
    case GNV_LF_FIXED:
        if (L->kind == GNV_LF_FIXED &&
            cs == GNVPB__COMPRESSIVE_ENCODING__COMPRESSION_INLINE_BITPACKING)
            return check_inline_bitpacking(f, col, L, ce->inline_bitpacking, d);
        if (L->kind == GNV_LF_FIXED && cs == GNVPB__COMPRESSIVE_ENCODING__COMPRESSION_RLE)
            return check_rle(f, col, L, ce->rle, d);
        if (L->kind == GNV_LF_FIXED &&
            cs == GNVPB__COMPRESSIVE_ENCODING__COMPRESSION_BYTE_STREAM_SPLIT) {
            const Gnvpb__CompressiveEncoding *v =
                ce->byte_stream_split ? ce->byte_stream_split->values : NULL;
            if (!v || v->compression_case != GNVPB__COMPRESSIVE_ENCODING__COMPRESSION_FLAT ||
                !v->flat || v->flat->data)
                return unsupported(f, col, "byte stream split of values that are not flat");
            if (v->flat->bits_per_value != (uint64_t)L->width * 8)
                return corrupt(
                    f, "column %d: byte stream split of %" PRIu64 " bits for a %d-byte type", col,
                    v->flat->bits_per_value, L->width);
            d->bss = true;
            d->kind = L->kind;
            return GNV_OK;
        }
        if (cs != GNVPB__COMPRESSIVE_ENCODING__COMPRESSION_FLAT || !ce->flat)
            return unsupported(f, col, name);
        if (ce->flat->data)
            return unsupported(f, col, "flat with general compression");
        d->bits = (int)ce->flat->bits_per_value;
        if (d->bits != (L->kind == GNV_LF_BOOL ? 1 : L->width * 8))
            return corrupt(f, "column %d: flat encoding of %d bits for a %d-byte type", col,
                           d->bits, L->width);
        break;
    case GNV_LF_VAR:
        if (cs == GNVPB__COMPRESSIVE_ENCODING__COMPRESSION_FSST && ce->fsst) {
            const Gnvpb__Fsst *fs = ce->fsst;
            if (!fs->values ||
                fs->values->compression_case != GNVPB__COMPRESSIVE_ENCODING__COMPRESSION_VARIABLE)
                return unsupported(f, col, "fsst of values that are not variable");
            GNV_TRY(check_value_encoding(f, col, L, fs->values, d));
            if (d->general)
                return unsupported(f, col, "fsst of general-compressed values");
            if (gnv__fsst_table_parse(&d->fsst_table, fs->symbol_table.data, fs->symbol_table.len) <
                0) {
                char why[256]; /* the message is copied: corrupt() overwrites the last error */
                const gnv_error *e = gnv_error_last();
                snprintf(why, sizeof why, "%s", e ? e->message : "?");
                return corrupt(f, "column %d: bad FSST symbol table: %s", col, why);
            }
            d->fsst = true;
            return GNV_OK;
        }
        if (cs != GNVPB__COMPRESSIVE_ENCODING__COMPRESSION_VARIABLE || !ce->variable)
            return unsupported(f, col, name);
        if (ce->variable->values)
            return unsupported(f, col, "variable with general compression");
        if (!ce->variable->offsets ||
            ce->variable->offsets->compression_case !=
                GNVPB__COMPRESSIVE_ENCODING__COMPRESSION_FLAT ||
            !ce->variable->offsets->flat ||
            (ce->variable->offsets->flat->bits_per_value != 32 &&
             ce->variable->offsets->flat->bits_per_value != 64))
            return unsupported(f, col, "variable with offsets that are not flat 32/64 bits");
        d->bits = (int)ce->variable->offsets->flat->bits_per_value;
        break;
    case GNV_LF_FSL:
        if (cs != GNVPB__COMPRESSIVE_ENCODING__COMPRESSION_FIXED_SIZE_LIST || !ce->fixed_size_list)
            return unsupported(f, col, name);
        {
            /* FixedSizeList(dim0, ... FixedSizeList(dimN, Flat(item bits))), one per level */
            const Gnvpb__FixedSizeList *fl = ce->fixed_size_list;
            for (int j = 0; j < L->fsl_levels; j++) {
                if (!fl || (int64_t)fl->items_per_value != L->fsl_dim[j] || !fl->values)
                    return unsupported(f, col, "fixed size list of another shape");
                d->lvalidity[j] = fl->has_validity;
                if (j + 1 < L->fsl_levels) {
                    if (fl->values->compression_case !=
                        GNVPB__COMPRESSIVE_ENCODING__COMPRESSION_FIXED_SIZE_LIST)
                        return unsupported(f, col, "fixed size list of another shape");
                    fl = fl->values->fixed_size_list;
                }
            }
            if (fl->values->compression_case != GNVPB__COMPRESSIVE_ENCODING__COMPRESSION_FLAT ||
                !fl->values->flat || fl->values->flat->data ||
                (int64_t)fl->values->flat->bits_per_value !=
                    (L->fsl_bool ? 1 : (int64_t)L->item_width * 8))
                return unsupported(f, col, "fixed size list of non-flat values");
            d->validity = fl->has_validity;
        }
        break;
    case GNV_LF_NULL:
        return corrupt(f, "column %d: values in a null column", col);
    }
    d->kind = L->kind;
    return GNV_OK;
}

/* Copies the message of the last error into why (corrupt() overwrites the last error). */
static const char *last_why(char *why, size_t n)
{
    const gnv_error *e = gnv_error_last();
    snprintf(why, n, "%s", e ? e->message : "?");
    return why;
}

/* Appends one Variable value (raw bytes, or a string to FSST-decompress) and its end offset. */
static int put_var_value(gnv_lance_file *f, stream *s, const vdesc *d, const uint8_t *v, uint64_t n)
{
    if (d->fsst) {
        int rc = gnv__fsst_decode(&s->vals, &d->fsst_table, v, (size_t)n);
        if (rc == GNV_ECORRUPT) {
            char why[256];
            return corrupt(f, "column %d: bad FSST string: %s", s->col, last_why(why, sizeof why));
        }
        GNV_TRY(rc);
    } else {
        GNV_TRY(gnv__buf_put(&s->vals, v, (size_t)n));
    }
    uint64_t e = s->vals.size;
    return gnv__buf_put(&s->offs, &e, 8);
}

/* Decompresses a general-compressed buffer into tmp (cleared first). */
static int general_decompress(gnv_lance_file *f,
                              int col,
                              int scheme,
                              const uint8_t *in,
                              uint64_t n,
                              gnv_buf *tmp,
                              const char *what)
{
    gnv__buf_clear(tmp);
    int rc = gnv__lance_decompress(tmp, scheme, in, (size_t)n, MAX_DECOMPRESSED);
    if (rc == GNV_ECORRUPT) {
        char why[256];
        return corrupt(f, "column %d: %s does not decompress: %s", col, what,
                       last_why(why, sizeof why));
    }
    return rc;
}

static int chunk_values_plain(gnv_lance_file *f,
                              stream *s,
                              const vdesc *d,
                              const uint8_t *const *buf,
                              const uint64_t *bsize,
                              int nb,
                              int64_t k);

/* Decode the k value slots of one chunk (buffers given) onto the stream. */
static int chunk_values(gnv_lance_file *f,
                        stream *s,
                        const vdesc *d,
                        const uint8_t *const *buf,
                        const uint64_t *bsize,
                        int nb,
                        int64_t k)
{
    if (!d->general || nb < 1)
        return chunk_values_plain(f, s, d, buf, bsize, nb, k);
    /* General: the chunk's first buffer is compressed as a whole */
    gnv_buf tmp = {0};
    const uint8_t *b2[GNV_LF_MAX_FSL + 1];
    uint64_t s2[GNV_LF_MAX_FSL + 1];
    for (int i = 0; i < nb && i <= GNV_LF_MAX_FSL; i++) {
        b2[i] = buf[i];
        s2[i] = bsize[i];
    }
    int rc = general_decompress(f, s->col, d->general, buf[0], bsize[0], &tmp,
                                "a general-compressed chunk");
    if (rc == GNV_OK) {
        b2[0] = (const uint8_t *)tmp.ptr;
        s2[0] = tmp.size;
        rc = chunk_values_plain(f, s, d, b2, s2, nb, k);
    }
    gnv_buf_dispose(&tmp);
    return rc;
}

static int chunk_values_plain(gnv_lance_file *f,
                              stream *s,
                              const vdesc *d,
                              const uint8_t *const *buf,
                              const uint64_t *bsize,
                              int nb,
                              int64_t k)
{
    const gnv_lf_leaf *L = s->L;
    int col = s->col;
    switch (L->kind) {
    case GNV_LF_BOOL:
        if (nb != 1 || bsize[0] < (uint64_t)(k + 7) / 8)
            return corrupt(f, "column %d: a bool chunk is too small", col);
        for (int64_t i = 0; i < k; i++)
            GNV_TRY(gnv__buf_putc(&s->vals, (char)(buf[0][i >> 3] >> (i & 7) & 1)));
        break;
    case GNV_LF_FIXED:
        if (d->bitpack) {
            if (nb != 1)
                return corrupt(f, "column %d: an inline-bitpacked chunk has %d buffers", col, nb);
            GNV_TRY(inline_bitpacked_values(f, s, d, buf[0], bsize[0], k));
            break;
        }
        if (d->rle) {
            GNV_TRY(rle_values(f, s, buf, bsize, nb, k));
            break;
        }
        if (nb != 1 || bsize[0] / (uint64_t)L->width < (uint64_t)k)
            return corrupt(f, "column %d: a chunk is too small for its values", col);
        if (d->bss) {
            /* byte j of value i is at j*k + i */
            size_t w = (size_t)L->width, kk = (size_t)k;
            GNV_TRY(gnv__buf_reserve(&s->vals, kk * w));
            uint8_t *o = (uint8_t *)s->vals.ptr + s->vals.size;
            for (size_t i = 0; i < kk; i++)
                for (size_t j = 0; j < w; j++)
                    o[i * w + j] = buf[0][j * kk + i];
            s->vals.size += kk * w;
            s->vals.ptr[s->vals.size] = '\0';
            break;
        }
        GNV_TRY(gnv__buf_put(&s->vals, buf[0], (size_t)k * (size_t)L->width));
        break;
    case GNV_LF_VAR: {
        uint64_t ow = (uint64_t)d->bits / 8;
        if (nb != 1 || bsize[0] / ow < (uint64_t)k + 1)
            return corrupt(f, "column %d: a variable chunk is too small for its offsets", col);
        uint64_t prev = ow == 8 ? gnv__lf_get64(buf[0]) : gnv__lf_get32(buf[0]);
        if (prev < ow * (uint64_t)(k + 1) || prev > bsize[0])
            return corrupt(f, "column %d: bad first offset in a variable chunk", col);
        if (!d->fsst) {
            /* plain bytes: one copy of the chunk's values, then the end offsets */
            uint64_t first = prev,
                     last = ow == 8 ? gnv__lf_get64(buf[0] + 8 * k) : gnv__lf_get32(buf[0] + 4 * k);
            if (last < first || last > bsize[0])
                return corrupt(f, "column %d: variable offsets out of order or range", col);
            uint64_t base = s->vals.size;
            GNV_TRY(gnv__buf_put(&s->vals, buf[0] + first, (size_t)(last - first)));
            GNV_TRY(gnv__buf_reserve(&s->offs, (size_t)k * 8));
            for (int64_t i = 1; i <= k; i++) {
                uint64_t o =
                    ow == 8 ? gnv__lf_get64(buf[0] + 8 * i) : gnv__lf_get32(buf[0] + 4 * i);
                if (o < prev || o > last)
                    return corrupt(f, "column %d: variable offsets out of order or range", col);
                uint64_t e = base + (o - first);
                memcpy(s->offs.ptr + s->offs.size, &e, 8);
                s->offs.size += 8;
                prev = o;
            }
            s->offs.ptr[s->offs.size] = '\0';
            break;
        }
        for (int64_t i = 1; i <= k; i++) {
            uint64_t o = ow == 8 ? gnv__lf_get64(buf[0] + 8 * i) : gnv__lf_get32(buf[0] + 4 * i);
            if (o < prev || o > bsize[0])
                return corrupt(f, "column %d: variable offsets out of order or range", col);
            GNV_TRY(put_var_value(f, s, d, buf[0] + prev, o - prev));
            prev = o;
        }
        break;
    }
    case GNV_LF_FSL: {
        if (L->fsl_levels > 1 || L->fsl_bool) {
            /* a validity bitmap per level that has one (outer-most first), then the
             * values (bools as bits) */
            int bi = 0;
            int64_t per = 1;
            for (int j = 0; j < L->fsl_levels; j++) {
                per *= L->fsl_dim[j];
                const uint8_t *bits = NULL;
                if (d->lvalidity[j]) {
                    if (bi >= nb || bsize[bi] < (uint64_t)(k * per + 7) / 8)
                        return corrupt(f, "column %d: a fixed-size-list chunk is too small", col);
                    bits = buf[bi++];
                }
                if (j + 1 < L->fsl_levels)
                    GNV_TRY(put_validity_bytes(&s->lvalid[j], bits, k * per));
                else
                    GNV_TRY(put_validity_bytes(&s->ivalid, bits, k * per));
            }
            s->has_ivalid = true;
            uint64_t need =
                L->fsl_bool ? (uint64_t)(k * L->dim + 7) / 8 : (uint64_t)k * (uint64_t)L->width;
            if (nb != bi + 1 || bsize[bi] < need)
                return corrupt(f, "column %d: a fixed-size-list chunk is too small", col);
            if (L->fsl_bool)
                GNV_TRY(put_validity_bytes(&s->vals, buf[bi], k * L->dim));
            else
                GNV_TRY(gnv__buf_put(&s->vals, buf[bi], (size_t)need));
            break;
        }
        int vb = d->validity ? 1 : 0;
        if (nb != 1 + vb || bsize[vb] / (uint64_t)L->width < (uint64_t)k ||
            (vb && bsize[0] < (uint64_t)(k * L->dim + 7) / 8))
            return corrupt(f, "column %d: a fixed-size-list chunk is too small", col);
        GNV_TRY(gnv__buf_put(&s->vals, buf[vb], (size_t)k * (size_t)L->width));
        GNV_TRY(put_item_validity(s, vb ? buf[0] : NULL, k * L->dim));
        if (vb)
            s->has_ivalid = true;
        break;
    }
    case GNV_LF_NULL:
        break;
    }
    s->nslots += k;
    return GNV_OK;
}

/* ---- mini-block pages ---------------------------------------------------------- */

static int load_chunks(gnv_lance_file *f, int col, rpage *p, const Gnvpb__MiniBlockLayout *mb)
{
    if (p->loaded)
        return GNV_OK;
    int rc = GNV_OK;
    uint8_t *words = NULL;
    bool has_ri = mb->repetition_index_depth > 0;
    int wsz = mb->has_large_chunk ? 4 : 2;
    int ri_buf = mb->dictionary ? 3 : 2; /* [chunk words][chunks][dictionary][rep index] */
    /* per chunk depth + 1 u64s; the first two (rows finished in the chunk, items left over
     * for the next) are all a reader needs, as in LanceDB's reader */
    uint64_t stride = (uint64_t)mb->repetition_index_depth + 1;
    if (has_ri && stride > GNV_LF_MAX_DEPTH + 1)
        return corrupt(f, "column %d: repetition index depth %u", col, mb->repetition_index_depth);
    if (f->minor >= 2 && !mb->has_large_chunk)
        return corrupt(f, "column %d: Lance v2.2 miniblock pages require the u32 chunk grammar",
                       col);
    GNV_ERR_IF(p->nbuf != ri_buf + (has_ri ? 1 : 0), GNV_ECORRUPT, GNV_SUB_FORMAT,
               "Lance file %s is corrupt: column %d: a mini-block page has %d buffers", f->path,
               col, p->nbuf);
    GNV_ERR_IF(p->size[0] % (uint64_t)wsz != 0 || p->size[0] == 0, GNV_ECORRUPT, GNV_SUB_FORMAT,
               "Lance file %s is corrupt: column %d: bad chunk table size %" PRIu64, f->path, col,
               p->size[0]);
    int64_t n = (int64_t)(p->size[0] / (uint64_t)wsz);
    GNV_TRYG(read_alloc(f, &words, p->off[0], p->size[0], "mini-block chunk table"));
    p->chunk_off = gnv__calloc((size_t)n + 1, sizeof *p->chunk_off);
    p->chunk_vals = gnv__calloc((size_t)n + 1, sizeof *p->chunk_vals);
    GNV_CHECK_ALLOC(p->chunk_off);
    GNV_CHECK_ALLOC(p->chunk_vals);
    for (int64_t i = 0; i < n; i++) {
        uint32_t w = wsz == 4 ? gnv__lf_get32(words + 4 * i) : gnv__lf_get16(words + 2 * i);
        uint64_t bytes = ((uint64_t)(w >> 4) + 1) * 8;
        int64_t vals =
            i + 1 < n ? (int64_t)1 << (w & 15) : (int64_t)mb->num_items - p->chunk_vals[i];
        GNV_ERR_IF(vals <= 0 || p->chunk_vals[i] + vals > (int64_t)mb->num_items, GNV_ECORRUPT,
                   GNV_SUB_FORMAT,
                   "Lance file %s is corrupt: column %d: chunk %lld value count does not add up "
                   "to the page's %" PRIu64 " items",
                   f->path, col, (long long)i, mb->num_items);
        p->chunk_off[i + 1] = p->chunk_off[i] + bytes;
        p->chunk_vals[i + 1] = p->chunk_vals[i] + vals;
        GNV_ERR_IF(p->chunk_off[i + 1] > p->size[1], GNV_ECORRUPT, GNV_SUB_FORMAT,
                   "Lance file %s is corrupt: column %d: mini-block chunks overrun their buffer",
                   f->path, col);
    }
    if (has_ri) {
        uint8_t *ri = NULL;
        GNV_ERR_IF(p->size[ri_buf] != (uint64_t)n * 8 * stride, GNV_ECORRUPT, GNV_SUB_FORMAT,
                   "Lance file %s is corrupt: column %d: repetition index of %" PRIu64
                   " bytes for %lld chunks",
                   f->path, col, p->size[ri_buf], (long long)n);
        GNV_TRYG(read_alloc(f, &ri, p->off[ri_buf], p->size[ri_buf], "repetition index"));
        p->rep_index = gnv__malloc((size_t)n * 2 * sizeof *p->rep_index + 1);
        if (!p->rep_index) {
            gnv__free(ri);
            GNV_CHECK_ALLOC(p->rep_index);
        }
        uint64_t total = 0;
        for (int64_t i = 0; i < n; i++)
            for (int k = 0; k < 2; k++)
                p->rep_index[2 * i + k] =
                    gnv__lf_get64(ri + 8 * ((uint64_t)i * stride + (uint64_t)k));
        gnv__free(ri);
        for (int64_t i = 0; i < n; i++)
            total += p->rep_index[2 * i];
        GNV_ERR_IF(total != (uint64_t)p->rows, GNV_ECORRUPT, GNV_SUB_FORMAT,
                   "Lance file %s is corrupt: column %d: repetition index counts %" PRIu64
                   " rows, the page %lld",
                   f->path, col, total, (long long)p->rows);
    }
    p->nchunks = n;
    p->loaded = true;
done:
    gnv__free(words);
    if (rc < 0) { /* a later call tries again from scratch */
        gnv__free(p->chunk_off);
        gnv__free(p->chunk_vals);
        gnv__free(p->rep_index);
        p->chunk_off = NULL;
        p->chunk_vals = NULL;
        p->rep_index = NULL;
    }
    return rc;
}

/* ---- rep/def levels: raw u16 (Flat 16), OutOfLineBitpacking of u16, or RLE ---- */

/* How levels compressed with `ce` are stored: 16 for raw u16, 0..16 when bitpacked (the
 * packed width), LEVELS_RLE for RLE blocks, -1 for anything else. */
#define LEVELS_RLE    100
#define LEVELS_INLINE 101
static int level_bits(const Gnvpb__CompressiveEncoding *ce)
{
    if (ce->compression_case == GNVPB__COMPRESSIVE_ENCODING__COMPRESSION_INLINE_BITPACKING &&
        ce->inline_bitpacking)
        return ce->inline_bitpacking->uncompressed_bits_per_value == 16 &&
                       !ce->inline_bitpacking->values
                   ? LEVELS_INLINE
                   : -1;
    if (ce->compression_case == GNVPB__COMPRESSIVE_ENCODING__COMPRESSION_FLAT && ce->flat &&
        !ce->flat->data && ce->flat->bits_per_value == 16)
        return 16;
    if (ce->compression_case == GNVPB__COMPRESSIVE_ENCODING__COMPRESSION_RLE && ce->rle) {
        const Gnvpb__CompressiveEncoding *v = ce->rle->values, *n = ce->rle->run_lengths;
        if (v && n && v->compression_case == GNVPB__COMPRESSIVE_ENCODING__COMPRESSION_FLAT &&
            v->flat && !v->flat->data && v->flat->bits_per_value == 16 &&
            n->compression_case == GNVPB__COMPRESSIVE_ENCODING__COMPRESSION_FLAT && n->flat &&
            !n->flat->data && n->flat->bits_per_value == 8)
            return LEVELS_RLE;
        return -1;
    }
    if (ce->compression_case != GNVPB__COMPRESSIVE_ENCODING__COMPRESSION_OUT_OF_LINE_BITPACKING ||
        !ce->out_of_line_bitpacking)
        return -1;
    const Gnvpb__OutOfLineBitpacking *ob = ce->out_of_line_bitpacking;
    const Gnvpb__CompressiveEncoding *v = ob->values;
    if (ob->uncompressed_bits_per_value != 16 || !v ||
        v->compression_case != GNVPB__COMPRESSIVE_ENCODING__COMPRESSION_FLAT || !v->flat ||
        v->flat->data || v->flat->bits_per_value > 16)
        return -1;
    return (int)v->flat->bits_per_value;
}

/* Decodes nlev levels compressed with `ce` (NULL: raw u16) from in (size bytes) into out. */
static int decode_levels(gnv_lance_file *f,
                         int col,
                         const Gnvpb__CompressiveEncoding *ce,
                         const uint8_t *in,
                         uint64_t size,
                         uint64_t nlev,
                         uint16_t *out)
{
    int bits = ce ? level_bits(ce) : 16;
    if (bits < 0)
        return unsupported(f, col, "compressed rep/def levels");
    gnv_levels_form form = bits == 16              ? GNV_LEVELS_RAW
                           : bits == LEVELS_RLE    ? GNV_LEVELS_RLE
                           : bits == LEVELS_INLINE ? GNV_LEVELS_INLINE
                                                   : GNV_LEVELS_PACKED;
    int rc = gnv__levels_decode(out, (size_t)nlev, form, bits, in, (size_t)size);
    if (rc == GNV_ECORRUPT) {
        char why[256];
        return corrupt(f, "column %d: bad levels: %s", col, last_why(why, sizeof why));
    }
    return rc;
}

/* Replaces a compressed level buffer (*lp, *lb bytes) by its nlev little-endian u16 levels in
 * a new buffer *tmp; raw levels are left as they are. */
static int unpack_levels(gnv_lance_file *f,
                         int col,
                         const Gnvpb__CompressiveEncoding *ce,
                         const uint8_t **lp,
                         uint64_t *lb,
                         uint16_t nlev,
                         uint16_t **tmp)
{
    if (!ce || level_bits(ce) == 16)
        return GNV_OK;
    *tmp = gnv__malloc((size_t)nlev * 2 + 2);
    if (!*tmp)
        return gnv__error_set(GNV_ENOMEM, GNV_SUB_FORMAT, "out of memory reading column %d", col);
    GNV_TRY(decode_levels(f, col, ce, *lp, *lb, nlev, *tmp));
    for (uint16_t i = 0; i < nlev; i++)
        gnv__lf_put16((uint8_t *)(*tmp + i), (*tmp)[i]);
    *lp = (const uint8_t *)*tmp;
    *lb = 2 * (uint64_t)nlev;
    return GNV_OK;
}

/* ---- mini-block dictionaries ------------------------------------------------------ */

/*
 * Decodes a dictionary buffer of n items stored with `ce` (block forms: Flat is n raw values;
 * Variable is [u32 32][u32 data start][n+1 u32 offsets][bytes], or the same with u64 fields;
 * General wraps either) into vals (and, for strings, u64 end offsets in offs).
 */
static int decode_dict_block(gnv_lance_file *f,
                             int col,
                             const gnv_lf_leaf *L,
                             const Gnvpb__CompressiveEncoding *ce,
                             const uint8_t *in,
                             uint64_t size,
                             int64_t n,
                             gnv_buf *vals,
                             gnv_buf *offs,
                             int depth)
{
    if (!ce)
        return corrupt(f, "column %d: a dictionary without its encoding", col);
    int cs = (int)ce->compression_case;
    if (cs == GNVPB__COMPRESSIVE_ENCODING__COMPRESSION_GENERAL && ce->general && depth == 0) {
        int scheme = general_scheme(f, col, ce->general->compression);
        if (scheme < 0)
            return scheme;
        gnv_buf tmp = {0};
        int rc = general_decompress(f, col, scheme, in, size, &tmp, "a dictionary");
        if (rc == GNV_OK)
            rc = decode_dict_block(f, col, L, ce->general->values, (const uint8_t *)tmp.ptr,
                                   tmp.size, n, vals, offs, depth + 1);
        gnv_buf_dispose(&tmp);
        return rc;
    }
    if (L->kind == GNV_LF_FIXED && cs == GNVPB__COMPRESSIVE_ENCODING__COMPRESSION_FLAT &&
        ce->flat && !ce->flat->data && ce->flat->bits_per_value == (uint64_t)L->width * 8) {
        if (size / (uint64_t)L->width < (uint64_t)n)
            return corrupt(f, "column %d: a dictionary of %" PRIu64 " bytes for %lld values", col,
                           size, (long long)n);
        return gnv__buf_put(vals, in, (size_t)n * (size_t)L->width);
    }
    if (L->kind != GNV_LF_VAR || cs != GNVPB__COMPRESSIVE_ENCODING__COMPRESSION_VARIABLE ||
        !ce->variable || ce->variable->values)
        return unsupported(f, col, "dictionary of this encoding");
    uint64_t ow = size >= 4 ? gnv__lf_get32(in) / 8 : 0;
    if ((ow != 4 && ow != 8) || size < 2 * ow)
        return corrupt(f, "column %d: a dictionary's variable block has a bad header", col);
    uint64_t start = ow == 8 ? gnv__lf_get64(in + 8) : gnv__lf_get32(in + 4);
    if (start > size || start < 2 * ow || (start - 2 * ow) / ow != (uint64_t)n + 1)
        return corrupt(f, "column %d: a dictionary of %lld values has %" PRIu64 " bytes of offsets",
                       col, (long long)n, start - 2 * ow);
    const uint8_t *o = in + 2 * ow, *data = in + start;
    uint64_t dlen = size - start;
    uint64_t prev = ow == 8 ? gnv__lf_get64(o) : gnv__lf_get32(o);
    for (int64_t i = 1; i <= n; i++) {
        uint64_t e = ow == 8 ? gnv__lf_get64(o + 8 * i) : gnv__lf_get32(o + 4 * i);
        if (e < prev || e > dlen)
            return corrupt(f, "column %d: dictionary offsets out of order or range", col);
        GNV_TRY(gnv__buf_put(vals, data + prev, (size_t)(e - prev)));
        uint64_t end = vals->size;
        GNV_TRY(gnv__buf_put(offs, &end, 8));
        prev = e;
    }
    return GNV_OK;
}

static int load_dict(
    gnv_lance_file *f, int col, const gnv_lf_leaf *L, rpage *p, const Gnvpb__MiniBlockLayout *mb)
{
    if (p->dict_loaded)
        return GNV_OK;
    uint8_t *buf = NULL;
    int64_t n = (int64_t)mb->num_dictionary_items;
    if (mb->num_dictionary_items > (uint64_t)1 << 32)
        return corrupt(f, "column %d: a dictionary of %" PRIu64 " items", col,
                       mb->num_dictionary_items);
    if (L->kind != GNV_LF_FIXED && L->kind != GNV_LF_VAR)
        return unsupported(f, col, "dictionary of this type");
    GNV_TRY(read_alloc(f, &buf, p->off[2], p->size[2], "dictionary"));
    gnv__buf_clear(&p->dict_vals);
    gnv__buf_clear(&p->dict_offs);
    int rc = decode_dict_block(f, col, L, mb->dictionary, buf, p->size[2], n, &p->dict_vals,
                               &p->dict_offs, 0);
    gnv__free(buf);
    if (rc == GNV_OK) {
        p->dict_n = n;
        p->dict_loaded = true;
    }
    return rc;
}

/* The width in bytes of dictionary indices encoded with `ce` (1, 2, 4 or 8), or 0. */
static int index_width(const Gnvpb__CompressiveEncoding *ce)
{
    uint64_t bits = 0;
    if (!ce)
        return 0;
    switch (ce->compression_case) {
    case GNVPB__COMPRESSIVE_ENCODING__COMPRESSION_FLAT:
        bits = ce->flat ? ce->flat->bits_per_value : 0;
        break;
    case GNVPB__COMPRESSIVE_ENCODING__COMPRESSION_INLINE_BITPACKING:
        bits = ce->inline_bitpacking ? ce->inline_bitpacking->uncompressed_bits_per_value : 0;
        break;
    case GNVPB__COMPRESSIVE_ENCODING__COMPRESSION_RLE:
        return ce->rle ? index_width(ce->rle->values) : 0;
    case GNVPB__COMPRESSIVE_ENCODING__COMPRESSION_GENERAL:
        return ce->general && ce->general->values &&
                       ce->general->values->compression_case !=
                           GNVPB__COMPRESSIVE_ENCODING__COMPRESSION_GENERAL
                   ? index_width(ce->general->values)
                   : 0;
    default:
        return 0;
    }
    return bits == 8 || bits == 16 || bits == 32 || bits == 64 ? (int)(bits / 8) : 0;
}

/* How a page's mini-block values are decoded: directly, or as indices into a dictionary. */
typedef struct dictctx {
    const rpage *p;
    gnv_lf_leaf il; /* the leaf seen as its indices */
    vdesc vd;       /* how the indices are stored */
} dictctx;

/* Decodes a chunk's k indices and appends the dictionary values they name. */
static int dict_values(gnv_lance_file *f,
                       stream *s,
                       const dictctx *dc,
                       const uint8_t *const *buf,
                       const uint64_t *bsize,
                       int nb,
                       int64_t k)
{
    stream t;
    memset(&t, 0, sizeof t);
    t.L = &dc->il;
    t.col = s->col;
    int rc = chunk_values(f, &t, &dc->vd, buf, bsize, nb, k);
    const rpage *p = dc->p;
    const uint8_t *iv = (const uint8_t *)t.vals.ptr;
    int iw = dc->il.width;
    const uint64_t *doffs = (const uint64_t *)(const void *)p->dict_offs.ptr;
    for (int64_t i = 0; rc == GNV_OK && i < k; i++) {
        uint64_t x;
        switch (iw) {
        case 1:
            x = iv[i];
            break;
        case 2:
            x = ((const uint16_t *)(const void *)iv)[i];
            break;
        case 4:
            x = ((const uint32_t *)(const void *)iv)[i];
            break;
        default:
            x = ((const uint64_t *)(const void *)iv)[i];
            break;
        }
        if (x >= (uint64_t)p->dict_n) {
            rc = corrupt(f, "column %d: dictionary index %" PRIu64 " of %lld items", s->col, x,
                         (long long)p->dict_n);
            break;
        }
        if (s->L->kind == GNV_LF_VAR) {
            uint64_t a = x ? doffs[x - 1] : 0, b = doffs[x];
            if ((rc = gnv__buf_put(&s->vals, p->dict_vals.ptr + a, (size_t)(b - a))) < 0)
                break;
            uint64_t e = s->vals.size;
            rc = gnv__buf_put(&s->offs, &e, 8);
        } else {
            size_t w = (size_t)s->L->width;
            rc = gnv__buf_put(&s->vals, p->dict_vals.ptr + x * w, w);
        }
    }
    if (rc == GNV_OK)
        s->nslots += k;
    stream_free(&t);
    return rc;
}

/* Decode chunk j of a mini-block page onto the stream. */
static int decode_chunk(gnv_lance_file *f,
                        stream *s,
                        rpage *p,
                        const Gnvpb__MiniBlockLayout *mb,
                        const defmap *m,
                        const vdesc *vd,
                        const dictctx *dc,
                        int64_t j)
{
    int rc = GNV_OK;
    uint64_t clen = p->chunk_off[j + 1] - p->chunk_off[j];
    int64_t k = p->chunk_vals[j + 1] - p->chunk_vals[j];
    uint8_t *c = NULL;
    uint16_t *lv[2] = {NULL, NULL}; /* unpacked rep and def levels */
    uint64_t at = p->off[1] + p->chunk_off[j];
    GNV_ERR_IF(at > f->size || clen > f->size - at, GNV_ECORRUPT, GNV_SUB_FORMAT,
               "Lance file %s is corrupt: column %d: chunk %lld is beyond the file", f->path,
               s->col, (long long)j);
    gnv__buf_clear(&f->chunk);
    GNV_TRYG(gnv__buf_reserve(&f->chunk, (size_t)clen));
    c = (uint8_t *)f->chunk.ptr;
    GNV_TRYG(read_at(f, c, at, clen, "mini-block chunk"));
    bool hr = mb->rep_compression != NULL, hd = mb->def_compression != NULL;
    int nb = (int)mb->num_buffers;
    int ssz = f->minor >= 2 ? 4 : 2;
    /* one value buffer, or a validity bitmap per fixed-size-list level and the values */
    GNV_ERR_IF(nb < 1 || nb > GNV_LF_MAX_FSL + 1, GNV_ECORRUPT, GNV_SUB_FORMAT,
               "Lance file %s is corrupt: column %d: %d value buffers in a chunk", f->path, s->col,
               nb);
    uint64_t h = 2 + (hr ? 2 : 0) + (hd ? 2 : 0) + (uint64_t)nb * (uint64_t)ssz;
    GNV_ERR_IF(h > clen, GNV_ECORRUPT, GNV_SUB_FORMAT,
               "Lance file %s is corrupt: column %d: chunk %lld is shorter than its header",
               f->path, s->col, (long long)j);
    uint64_t pos = 2;
    uint16_t nlev = gnv__lf_get16(c);
    uint64_t rb = 0, db = 0, bs[GNV_LF_MAX_FSL + 1];
    if (hr) {
        rb = gnv__lf_get16(c + pos);
        pos += 2;
    }
    if (hd) {
        db = gnv__lf_get16(c + pos);
        pos += 2;
    }
    for (int i = 0; i < nb; i++) {
        bs[i] = ssz == 4 ? gnv__lf_get32(c + pos) : gnv__lf_get16(c + pos);
        pos += (uint64_t)ssz;
    }
    pos = (pos + 7) & ~(uint64_t)7;
    const uint8_t *rp = NULL, *dp = NULL, *bp[GNV_LF_MAX_FSL + 1];
    uint64_t need[GNV_LF_MAX_FSL + 3] = {hr ? rb : 0, hd ? db : 0};
    const uint8_t **dst[GNV_LF_MAX_FSL + 3] = {&rp, &dp};
    for (int i = 0; i < nb; i++) {
        need[2 + i] = bs[i];
        dst[2 + i] = &bp[i];
    }
    for (int i = 0; i < 2 + nb; i++) {
        if ((i == 0 && !hr) || (i == 1 && !hd))
            continue;
        GNV_ERR_IF(pos > clen || need[i] > clen - pos, GNV_ECORRUPT, GNV_SUB_FORMAT,
                   "Lance file %s is corrupt: column %d: chunk %lld buffers overrun the chunk",
                   f->path, s->col, (long long)j);
        *dst[i] = c + pos;
        pos = (pos + need[i] + 7) & ~(uint64_t)7;
    }
    if (hr)
        GNV_TRYG(unpack_levels(f, s->col, mb->rep_compression, &rp, &rb, nlev, &lv[0]));
    if (hd)
        GNV_TRYG(unpack_levels(f, s->col, mb->def_compression, &dp, &db, nlev, &lv[1]));
    if (hr || hd) {
        GNV_ERR_IF((hr && rb != 2 * (uint64_t)nlev) || (hd && db != 2 * (uint64_t)nlev),
                   GNV_ECORRUPT, GNV_SUB_FORMAT,
                   "Lance file %s is corrupt: column %d: chunk %lld level sizes disagree", f->path,
                   s->col, (long long)j);
        int64_t visible = 0;
        GNV_ERR_IF(!hr && s->L->max_rep > 0 && nlev > 0, GNV_ECORRUPT, GNV_SUB_FORMAT,
                   "Lance file %s is corrupt: column %d: a list page without repetition levels",
                   f->path, s->col);
        if (!hr && s->L->max_rep == 0) {
            /* def levels only (a nullable leaf): mapped and checked in one pass */
            if (s->L->max_def > 0)
                GNV_TRYG(gnv__buf_reserve(&s->def, 2 * (size_t)nlev));
            uint16_t *o = (uint16_t *)(void *)(s->def.ptr + s->def.size);
            for (int64_t l = 0; l < nlev; l++) {
                uint16_t d = gnv__lf_get16(dp + 2 * l);
                GNV_ERR_IF(d >= m->nmap, GNV_ECORRUPT, GNV_SUB_FORMAT,
                           "Lance file %s is corrupt: column %d: definition level %u is out of "
                           "range",
                           f->path, s->col, d);
                if (s->L->max_def > 0)
                    memcpy(o + l, &m->map[d], 2);
                s->def_set = s->def_set || m->map[d] != 0;
                visible += d <= m->max_visible;
            }
            if (s->L->max_def > 0) {
                s->def.size += 2 * (size_t)nlev;
                s->def.ptr[s->def.size] = '\0';
            }
            s->nlevels += nlev;
        } else {
            for (int64_t l = 0; l < nlev; l++) {
                uint16_t r = hr ? gnv__lf_get16(rp + 2 * l) : 0;
                uint16_t d = hd ? gnv__lf_get16(dp + 2 * l) : 0;
                GNV_TRYG(push_level(f, s, m, r, d));
                if (d <= m->max_visible)
                    visible++;
            }
        }
        GNV_ERR_IF(visible != k, GNV_ECORRUPT, GNV_SUB_FORMAT,
                   "Lance file %s is corrupt: column %d: chunk %lld has %lld visible levels "
                   "for %lld values",
                   f->path, s->col, (long long)j, (long long)visible, (long long)k);
    } else {
        GNV_ERR_IF(s->L->max_rep > 0, GNV_ECORRUPT, GNV_SUB_FORMAT,
                   "Lance file %s is corrupt: column %d: a list page without levels", f->path,
                   s->col);
        /* every level is 0 (a valid row): zeros for the def levels kept, if any */
        if (s->L->max_def > 0)
            GNV_TRYG(gnv__buf_put_zeros(&s->def, 2 * (size_t)k));
        s->nlevels += k;
    }
    if (dc)
        GNV_TRYG(dict_values(f, s, dc, bp, bs, nb, k));
    else
        GNV_TRYG(chunk_values(f, s, vd, bp, bs, nb, k));
done:
    gnv__free(lv[0]);
    gnv__free(lv[1]);
    return rc;
}

/* Skip the stream's cursor to the start of its `nrows`-th row start (0-based) counting
 * from level `from`; for lists, continuation levels before the first row start are
 * skipped too. */
static int skip_rows(gnv_lance_file *f, stream *s, int64_t from, int64_t nrows, bool list)
{
    int64_t seen = -1;
    int64_t l = from;
    for (; l < s->nlevels; l++) {
        bool start = !list || s_rep(s, l) == s->L->max_rep;
        if (start && ++seen == nrows)
            break;
        if (s_def(s, l) <= s->L->max_visible)
            s->vpos++;
    }
    if (l >= s->nlevels && nrows >= 0 && seen != nrows)
        return corrupt(f, "column %d: rows missing from a page", s->col);
    s->lpos = l;
    return GNV_OK;
}

static int read_miniblock(gnv_lance_file *f, stream *s, rpage *p, int64_t a, int64_t b, bool first)
{
    const Gnvpb__MiniBlockLayout *mb = p->layout->mini_block_layout;
    defmap m;
    vdesc vd;
    int layers[GNV_LF_MAX_DEPTH];
    if (mb->n_layers > GNV_LF_MAX_DEPTH)
        return corrupt(f, "column %d: too many layers", s->col);
    for (size_t i = 0; i < mb->n_layers; i++)
        layers[i] = (int)mb->layers[i];
    GNV_TRY(make_defmap(f, s->col, s->L, layers, mb->n_layers, &m));
    if ((mb->rep_compression && level_bits(mb->rep_compression) < 0) ||
        (mb->def_compression && level_bits(mb->def_compression) < 0))
        return unsupported(f, s->col, "compressed rep/def levels");
    dictctx dcs, *dc = NULL;
    if (mb->dictionary) {
        /* the chunks hold indices into the page's dictionary */
        int iw = index_width(mb->value_compression);
        if (!iw)
            return unsupported(f, s->col, "dictionary indices of this encoding");
        dc = &dcs;
        memset(dc, 0, sizeof *dc);
        dc->p = p;
        dc->il = *s->L;
        dc->il.kind = GNV_LF_FIXED;
        dc->il.width = iw;
        int rc = check_value_encoding(f, s->col, &dc->il, mb->value_compression, &dc->vd);
        if (rc == GNV_OK)
            rc = load_chunks(f, s->col, p, mb);
        if (rc == GNV_OK)
            rc = load_dict(f, s->col, s->L, p, mb);
        if (rc < 0)
            return rc;
        memset(&vd, 0, sizeof vd);
    } else {
        GNV_TRY(check_value_encoding(f, s->col, s->L, mb->value_compression, &vd));
        GNV_TRY(load_chunks(f, s->col, p, mb));
    }
    bool list = s->L->max_rep > 0;
    int64_t n = p->nchunks, j0 = 0, j1 = n - 1, base_row = 0;
    if (!list) {
        if (p->chunk_vals[n] != p->rows)
            return corrupt(f, "column %d: a page of %lld rows holds %lld values", s->col,
                           (long long)p->rows, (long long)p->chunk_vals[n]);
        while (j0 + 1 < n && p->chunk_vals[j0 + 1] <= a)
            j0++;
        j1 = j0;
        while (j1 + 1 < n && p->chunk_vals[j1 + 1] < b)
            j1++;
        base_row = p->chunk_vals[j0];
    } else {
        /* first row starting in each chunk, from the repetition index */
        int64_t fin = 0;
        for (int64_t j = 0; j < n; j++) {
            bool starts_new = j == 0 || p->rep_index[2 * (j - 1) + 1] == 0;
            int64_t fsr = fin + (starts_new ? 0 : 1);
            if (fsr <= a) {
                j0 = j;
                base_row = fsr;
            }
            if (fsr <= b)
                j1 = j;
            fin += (int64_t)p->rep_index[2 * j];
        }
        if (b >= p->rows)
            j1 = n - 1;
    }
    int64_t from = s->nlevels, vfrom = s->nslots;
    int rc = GNV_OK;
    for (int64_t j = j0; j <= j1 && rc == GNV_OK; j++)
        rc = decode_chunk(f, s, p, mb, &m, &vd, dc, j);
    GNV_TRY(rc);
    if (first) {
        s->vpos = vfrom;
        GNV_TRY(skip_rows(f, s, from, a - base_row, list));
    }
    return GNV_OK;
}

/* ---- full-zip pages -------------------------------------------------------------- */

static uint64_t get_uint(const uint8_t *p, int bytes)
{
    uint64_t v = 0;
    for (int i = 0; i < bytes; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
}

static int read_fullzip(gnv_lance_file *f, stream *s, rpage *p, int64_t a, int64_t b)
{
    int rc = GNV_OK;
    const Gnvpb__FullZipLayout *fz = p->layout->full_zip_layout;
    defmap m;
    vdesc vd;
    int layers[GNV_LF_MAX_DEPTH];
    uint8_t *data = NULL;
    gnv_buf gtmp = {0}; /* one decompressed value */
    if (fz->n_layers > GNV_LF_MAX_DEPTH)
        return corrupt(f, "column %d: too many layers", s->col);
    for (size_t i = 0; i < fz->n_layers; i++)
        layers[i] = (int)fz->layers[i];
    GNV_TRY(make_defmap(f, s->col, s->L, layers, fz->n_layers, &m));
    GNV_TRY(check_value_encoding(f, s->col, s->L, fz->value_compression, &vd));
    if (s->L->kind == GNV_LF_FSL && (s->L->fsl_levels > 1 || s->L->fsl_bool))
        return unsupported(f, s->col, "full-zip nested or bool fixed size list");
    bool var = s->L->kind == GNV_LF_VAR;
    if (!var && (vd.general || vd.bitpack || vd.rle || vd.bss))
        return unsupported(f, s->col, "full-zip fixed-width values that are not flat");
    if (var != (fz->details_case == GNVPB__FULL_ZIP_LAYOUT__DETAILS_BITS_PER_OFFSET))
        return corrupt(f, "column %d: full-zip details do not match the type", s->col);
    if (!var && (uint64_t)fz->bits_per_value !=
                    8 * ((uint64_t)s->L->width + (vd.validity ? (uint64_t)(s->L->dim + 7) / 8 : 0)))
        return corrupt(f, "column %d: full-zip values of %u bits for this type", s->col,
                       fz->bits_per_value);
    int obytes = var ? (int)fz->bits_per_offset / 8 : 0;
    if (var && obytes != 4 && obytes != 8)
        return unsupported(f, s->col, "full-zip offsets that are not 32 or 64 bits");
    if (fz->bits_rep > 16 || fz->bits_def > 16)
        return corrupt(f, "column %d: full-zip control word too wide", s->col);
    int tb = (int)(fz->bits_rep + fz->bits_def);
    int cw = tb == 0 ? 0 : tb <= 8 ? 1 : tb <= 16 ? 2 : 4;
    if (s->L->max_rep > 0 && fz->bits_rep == 0)
        return corrupt(f, "column %d: a list page without repetition levels", s->col);
    uint64_t start, end;
    if (p->nbuf == 2) {
        uint64_t nidx = (uint64_t)p->rows + 1;
        uint64_t bpv = p->size[1] / nidx;
        if (p->size[1] % nidx || (bpv != 1 && bpv != 2 && bpv != 4 && bpv != 8))
            return corrupt(f, "column %d: full-zip index of %" PRIu64 " bytes for %lld rows",
                           s->col, p->size[1], (long long)p->rows);
        uint8_t e[8];
        GNV_TRY(read_at(f, e, p->off[1] + (uint64_t)a * bpv, bpv, "full-zip index"));
        start = get_uint(e, (int)bpv);
        GNV_TRY(read_at(f, e, p->off[1] + (uint64_t)b * bpv, bpv, "full-zip index"));
        end = get_uint(e, (int)bpv);
    } else if (p->nbuf == 1 && !var && s->L->max_rep == 0) {
        uint64_t item = (uint64_t)cw + (uint64_t)s->L->width +
                        (vd.validity ? (uint64_t)(s->L->dim + 7) / 8 : 0);
        start = (uint64_t)a * item;
        end = (uint64_t)b * item;
    } else {
        return corrupt(f, "column %d: a full-zip page has %d buffers", s->col, p->nbuf);
    }
    if (start > end || end > p->size[0])
        return corrupt(f,
                       "column %d: full-zip row range %" PRIu64 "..%" PRIu64 " outside its %" PRIu64
                       "-byte buffer",
                       s->col, start, end, p->size[0]);
    if (cw == 0 && !var && s->L->max_rep == 0 && !vd.validity) {
        /* Plain fixed-width values without levels: read them straight into the slots. */
        uint64_t w = (uint64_t)s->L->width;
        GNV_ERR_IF((end - start) != (uint64_t)(b - a) * w, GNV_ECORRUPT, GNV_SUB_FORMAT,
                   "Lance file %s is corrupt: column %d: full-zip rows %lld..%lld span %" PRIu64
                   " bytes",
                   f->path, s->col, (long long)a, (long long)b, end - start);
        GNV_TRYG(gnv__buf_reserve(&s->vals, (size_t)(end - start)));
        GNV_TRYG(read_at(f, s->vals.ptr + s->vals.size, p->off[0] + start, end - start,
                         "full-zip data"));
        s->vals.size += (size_t)(end - start);
        s->vals.ptr[s->vals.size] = '\0';
        if (s->L->kind == GNV_LF_FSL)
            GNV_TRYG(put_item_validity(s, NULL, (b - a) * s->L->dim));
        if (s->L->max_def > 0) /* every level 0 (valid) */
            GNV_TRYG(gnv__buf_put_zeros(&s->def, 2 * (size_t)(b - a)));
        s->nlevels += b - a;
        s->nslots += b - a;
        goto done;
    }
    const uint8_t *src;
    if (var) {
        GNV_TRYG(read_alloc(f, &data, p->off[0] + start, end - start, "full-zip data"));
        src = data;
    } else {
        /* Read into the slots' own buffer and compact the values in place (each item
         * is at least as long as its value), instead of copying from a scratch buffer. */
        GNV_TRYG(gnv__buf_reserve(&s->vals, (size_t)(end - start)));
        GNV_TRYG(read_at(f, s->vals.ptr + s->vals.size, p->off[0] + start, end - start,
                         "full-zip data"));
        src = (const uint8_t *)s->vals.ptr + s->vals.size;
    }
    uint64_t pos = 0, len = end - start;
    int64_t rows = 0;
    uint32_t dmask = (1u << fz->bits_def) - 1;
    while (pos < len) {
        GNV_ERR_IF(len - pos < (uint64_t)cw, GNV_ECORRUPT, GNV_SUB_FORMAT,
                   "Lance file %s is corrupt: column %d: truncated full-zip item", f->path, s->col);
        uint32_t w = (uint32_t)get_uint(src + pos, cw);
        pos += (uint64_t)cw;
        uint16_t rep = (uint16_t)(fz->bits_rep ? w >> fz->bits_def : (uint32_t)s->L->max_rep);
        uint16_t def = (uint16_t)(w & dmask);
        if (rep == s->L->max_rep)
            rows++;
        GNV_TRYG(push_level(f, s, &m, rep, def));
        if (def > m.max_visible)
            continue;
        if (var) {
            if (def != 0) {
                GNV_TRYG(push_null_slot(s));
                continue;
            }
            GNV_ERR_IF(len - pos < (uint64_t)obytes, GNV_ECORRUPT, GNV_SUB_FORMAT,
                       "Lance file %s is corrupt: column %d: truncated full-zip length", f->path,
                       s->col);
            uint64_t n = get_uint(src + pos, obytes);
            pos += (uint64_t)obytes;
            GNV_ERR_IF(n > len - pos, GNV_ECORRUPT, GNV_SUB_FORMAT,
                       "Lance file %s is corrupt: column %d: full-zip value overruns its page",
                       f->path, s->col);
            if (vd.general) {
                /* each value is compressed on its own */
                GNV_TRYG(general_decompress(f, s->col, vd.general, src + pos, n, &gtmp,
                                            "a full-zip value"));
                GNV_TRYG(put_var_value(f, s, &vd, (const uint8_t *)gtmp.ptr, gtmp.size));
            } else {
                GNV_TRYG(put_var_value(f, s, &vd, src + pos, n));
            }
            pos += n;
        } else {
            uint64_t wdt = (uint64_t)s->L->width;
            uint64_t vb = vd.validity ? (uint64_t)(s->L->dim + 7) / 8 : 0;
            GNV_ERR_IF(wdt + vb > len - pos, GNV_ECORRUPT, GNV_SUB_FORMAT,
                       "Lance file %s is corrupt: column %d: full-zip value overruns its page",
                       f->path, s->col);
            if (s->L->kind == GNV_LF_FSL) {
                /* item validity: from the value's leading bits, or all valid */
                GNV_TRYG(put_item_validity(s, vb ? src + pos : NULL, s->L->dim));
                pos += vb;
            }
            /* reserved above: the buffer does not move */
            memmove(s->vals.ptr + s->vals.size, src + pos, (size_t)wdt);
            s->vals.size += (size_t)wdt;
            pos += wdt;
        }
        s->nslots++;
    }
    if (!var)
        s->vals.ptr[s->vals.size] = '\0'; /* the NUL gnv_buf keeps, after the memmoves */
    GNV_ERR_IF(rows != b - a, GNV_ECORRUPT, GNV_SUB_FORMAT,
               "Lance file %s is corrupt: column %d: full-zip rows %lld..%lld hold %lld rows",
               f->path, s->col, (long long)a, (long long)b, (long long)rows);
done:
    gnv__free(data);
    gnv_buf_dispose(&gtmp);
    return rc;
}

/* ---- all-null pages (2.1) and constant pages (2.2's ConstantLayout, same slot) ---------- */

/*
 * The constant value of a 2.2 page as one slot's bytes in *out: an inline value is the value's
 * own bytes (bool: bit 0); a value in a buffer is [u32 buffer count][u32 size of each] and the
 * buffers: one for fixed-width values, offsets (a pair of u32 or u64) and bytes for strings.
 */
static int constant_value(
    gnv_lance_file *f, stream *s, const uint8_t *v, uint64_t n, bool is_inline, gnv_buf *out)
{
    const gnv_lf_leaf *L = s->L;
    if (L->kind == GNV_LF_NULL)
        return corrupt(f, "column %d: a constant in a null column", s->col);
    if (is_inline) {
        if (L->kind == GNV_LF_BOOL && n == 1)
            return gnv__buf_putc(out, (char)(v[0] & 1));
        if ((L->kind == GNV_LF_FIXED || L->kind == GNV_LF_FSL) && n == (uint64_t)L->width)
            return gnv__buf_put(out, v, (size_t)n);
        if (L->kind == GNV_LF_VAR)
            return unsupported(f, s->col, "constant string stored inline");
        return corrupt(f, "column %d: an inline constant of %" PRIu64 " bytes for this type",
                       s->col, n);
    }
    uint64_t nb = n >= 4 ? gnv__lf_get32(v) : 0;
    if (nb < 1 || nb > 2 || n < 4 + 4 * nb)
        return corrupt(f, "column %d: a constant value buffer of %" PRIu64 " bytes", s->col, n);
    uint64_t len[2] = {gnv__lf_get32(v + 4), nb > 1 ? gnv__lf_get32(v + 8) : 0};
    const uint8_t *d = v + 4 + 4 * nb;
    if (len[0] + len[1] != n - 4 - 4 * nb)
        return corrupt(f, "column %d: a constant value's buffers do not add up", s->col);
    if (L->kind == GNV_LF_VAR) {
        if (nb != 2 || (len[0] != 8 && len[0] != 16))
            return corrupt(f, "column %d: a constant string without its offsets", s->col);
        uint64_t o0 = len[0] == 8 ? gnv__lf_get32(d) : gnv__lf_get64(d);
        uint64_t o1 = len[0] == 8 ? gnv__lf_get32(d + 4) : gnv__lf_get64(d + 8);
        if (o0 > o1 || o1 > len[1])
            return corrupt(f, "column %d: a constant string's offsets are out of range", s->col);
        return gnv__buf_put(out, d + len[0] + o0, (size_t)(o1 - o0));
    }
    if (nb != 1)
        return corrupt(f, "column %d: a constant value has %" PRIu64 " buffers", s->col, nb);
    return constant_value(f, s, d, len[0], true, out);
}

/* Appends the constant value as one slot. */
static int push_const_slot(stream *s, const gnv_buf *cv)
{
    const gnv_lf_leaf *L = s->L;
    GNV_TRY(gnv__buf_put(&s->vals, cv->ptr, cv->size));
    if (L->kind == GNV_LF_VAR) {
        uint64_t e = s->vals.size;
        GNV_TRY(gnv__buf_put(&s->offs, &e, 8));
    } else if (L->kind == GNV_LF_FSL) {
        GNV_TRY(put_item_validity(s, NULL, L->dim));
    }
    s->nslots++;
    return GNV_OK;
}

static int read_all_null(gnv_lance_file *f, stream *s, rpage *p, int64_t a, int64_t b, bool first)
{
    int rc = GNV_OK;
    const Gnvpb__AllNullLayout *an = p->layout->all_null_layout;
    uint8_t *rep = NULL, *def = NULL, *vbuf = NULL;
    uint16_t *rl = NULL, *dl = NULL;
    gnv_buf cv = {0};
    /* 2.2's ConstantLayout: a value inline, or in a first buffer of its own */
    bool has_value = an->has_inline_value;
    int lb = 0; /* first level buffer */
    if (f->minor >= 2 && !has_value && (p->nbuf == 1 || p->nbuf == 3)) {
        has_value = true;
        lb = 1;
    }
    if (has_value) {
        if (an->has_inline_value) {
            GNV_TRYG(constant_value(f, s, an->inline_value.data, an->inline_value.len, true, &cv));
        } else {
            GNV_TRYG(read_alloc(f, &vbuf, p->off[0], p->size[0], "constant value"));
            GNV_TRYG(constant_value(f, s, vbuf, p->size[0], false, &cv));
        }
    }
    if (p->nbuf == lb) {
        /* no levels: one valid value (or one null) per row */
        int lv = 0;
        for (int i = s->L->depth - 1; i >= 0 && !lv && !has_value; i--)
            lv = s->L->null_def[i];
        GNV_ERR_IF(s->L->max_rep > 0 || (!has_value && !lv), GNV_ECORRUPT, GNV_SUB_FORMAT,
                   "Lance file %s is corrupt: column %d: an all-null page for a field that "
                   "cannot be null",
                   f->path, s->col);
        for (int64_t r = a; r < b; r++) {
            if (s->L->max_def > 0)
                GNV_TRYG(put_u16(&s->def, (uint16_t)lv));
            s->def_set = s->def_set || lv != 0;
            s->nlevels++;
            GNV_TRYG(has_value ? push_const_slot(s, &cv) : push_null_slot(s));
        }
        goto done;
    }
    GNV_ERR_IF(p->nbuf != lb + 2, GNV_ECORRUPT, GNV_SUB_FORMAT,
               "Lance file %s is corrupt: column %d: an all-null page has %d buffers", f->path,
               s->col, p->nbuf);
    int layers[GNV_LF_MAX_DEPTH];
    defmap m;
    GNV_ERR_IF(an->n_layers > GNV_LF_MAX_DEPTH, GNV_ECORRUPT, GNV_SUB_FORMAT,
               "Lance file %s is corrupt: column %d: too many layers", f->path, s->col);
    for (size_t i = 0; i < an->n_layers; i++)
        layers[i] = (int)an->layers[i];
    GNV_TRYG(make_defmap(f, s->col, s->L, layers, an->n_layers, &m));
    uint64_t rsz = p->size[lb], dsz = p->size[lb + 1];
    /* level counts: stated (2.2), or from raw u16 buffers */
    uint64_t nr = an->has_num_rep_values ? an->num_rep_values : rsz / 2;
    uint64_t nd = an->has_num_def_values ? an->num_def_values : dsz / 2;
    if (rsz == 0)
        nr = 0;
    if (dsz == 0)
        nd = 0;
    uint64_t nl = nr ? nr : nd;
    GNV_ERR_IF(nr && nd && nr != nd, GNV_ECORRUPT, GNV_SUB_FORMAT,
               "Lance file %s is corrupt: column %d: all-null level counts %" PRIu64 " and %" PRIu64
               " disagree",
               f->path, s->col, nr, nd);
    /* no level form holds more than 255 levels a byte (RLE runs), beyond a few per row */
    GNV_ERR_IF(nl > 255 * (rsz + dsz) + 64 * (uint64_t)p->rows + 1024, GNV_ECORRUPT, GNV_SUB_FORMAT,
               "Lance file %s is corrupt: column %d: %" PRIu64 " levels in %" PRIu64 " bytes",
               f->path, s->col, nl, rsz + dsz);
    GNV_ERR_IF(s->L->max_rep > 0 && nr == 0, GNV_ECORRUPT, GNV_SUB_FORMAT,
               "Lance file %s is corrupt: column %d: a list page without repetition levels",
               f->path, s->col);
    rl = gnv__calloc((size_t)nl + 1, sizeof *rl);
    dl = gnv__calloc((size_t)nl + 1, sizeof *dl);
    GNV_CHECK_ALLOC(rl);
    GNV_CHECK_ALLOC(dl);
    if (nr) {
        GNV_TRYG(read_alloc(f, &rep, p->off[lb], rsz, "all-null repetition levels"));
        GNV_TRYG(decode_levels(f, s->col, an->rep_compression, rep, rsz, nl, rl));
    }
    if (nd) {
        GNV_TRYG(read_alloc(f, &def, p->off[lb + 1], dsz, "all-null definition levels"));
        GNV_TRYG(decode_levels(f, s->col, an->def_compression, def, dsz, nl, dl));
    }
    int64_t from = s->nlevels, vfrom = s->nslots, rows = 0;
    for (uint64_t l = 0; l < nl; l++) {
        uint16_t r = nr ? rl[l] : (uint16_t)s->L->max_rep;
        uint16_t d = dl[l];
        if (r == s->L->max_rep && ++rows > b)
            break;
        GNV_TRYG(push_level(f, s, &m, r, d));
        if (d <= m.max_visible)
            GNV_TRYG(has_value && d == 0 ? push_const_slot(s, &cv) : push_null_slot(s));
    }
    GNV_ERR_IF(rows < b, GNV_ECORRUPT, GNV_SUB_FORMAT,
               "Lance file %s is corrupt: column %d: an all-null page holds %lld of its %lld rows",
               f->path, s->col, (long long)rows, (long long)p->rows);
    if (first) {
        s->vpos = vfrom;
        GNV_TRYG(skip_rows(f, s, from, a, s->L->max_rep > 0));
    }
done:
    gnv__free(rep);
    gnv__free(def);
    gnv__free(vbuf);
    gnv__free(rl);
    gnv__free(dl);
    gnv_buf_dispose(&cv);
    return rc;
}

/* ---- building a leaf's stream for rows [row, row + n) ------------------------- */

/* Column col's metadata, read once. */
static int ensure_column(gnv_lance_file *f, int col)
{
    rcol *c = &f->cols[col];
    if (c->loaded)
        return GNV_OK;
    int rc = load_column(f, col, c->off, c->size);
    if (rc < 0) { /* the next read tries again */
        col_free(c);
        c->pages = NULL;
        c->npages = 0;
        c->loaded = false;
    }
    return rc;
}

static int fill_stream(gnv_lance_file *f, stream *s, int64_t row, int64_t n)
{
    GNV_TRY(ensure_column(f, s->col));
    rcol *c = &f->cols[s->col];
    bool first = true;
    int64_t end = row + n;
    if (s->L->max_rep == 0 && (s->L->kind == GNV_LF_FIXED || s->L->kind == GNV_LF_FSL)) {
        /* One slot per row: size the buffers once instead of growing them page by page.
         * read_fullzip reads whole items (a control word, validity bits, the value)
         * into vals before compacting them, hence the slack. */
        size_t item =
            (size_t)s->L->width + 4 + (s->L->kind == GNV_LF_FSL ? (size_t)(s->L->dim + 7) / 8 : 0);
        GNV_TRY(gnv__buf_reserve(&s->vals, (size_t)n * item));
        if (s->L->kind == GNV_LF_FSL)
            GNV_TRY(gnv__buf_reserve(&s->ivalid, (size_t)n * (size_t)s->L->dim));
    }
    for (int64_t i = 0; i < c->npages && n > 0; i++) {
        rpage *p = &c->pages[i];
        int64_t ps = p->first_row, pe = p->first_row + p->rows;
        if (pe <= row || ps >= end || p->rows == 0)
            continue;
        int64_t a = GNV_MAX(row, ps) - ps, b = GNV_MIN(end, pe) - ps;
        switch (p->layout->layout_case) {
        case GNVPB__PAGE_LAYOUT__LAYOUT_MINI_BLOCK_LAYOUT:
            GNV_TRY(read_miniblock(f, s, p, a, b, first));
            break;
        case GNVPB__PAGE_LAYOUT__LAYOUT_FULL_ZIP_LAYOUT:
            GNV_TRY(read_fullzip(f, s, p, a, b));
            break;
        case GNVPB__PAGE_LAYOUT__LAYOUT_ALL_NULL_LAYOUT:
            GNV_TRY(read_all_null(f, s, p, a, b, first));
            break;
        case GNVPB__PAGE_LAYOUT__LAYOUT_BLOB_LAYOUT:
            return unsupported(f, s->col, "blob layout");
        default:
            return unsupported(f, s->col, "unknown page layout");
        }
        first = false;
    }
    return GNV_OK;
}

/* ---- rebuilding Arrow arrays from the streams ------------------------------------ */

typedef struct rnode {
    const struct ArrowSchema *schema;
    int depth;
    int first_leaf, nleaves;
    int nchildren;
    struct rnode *children;
} rnode;

static void rnode_free(rnode *n)
{
    for (int i = 0; i < n->nchildren; i++)
        rnode_free(&n->children[i]);
    gnv__free(n->children);
}

static int rnode_build(rnode *n,
                       const struct ArrowSchema *s,
                       int depth,
                       int *leaf_counter,
                       const gnv_lf_leaf *leaves,
                       int nleaves)
{
    n->schema = s;
    n->depth = depth;
    n->first_leaf = *leaf_counter;
    n->children = NULL;
    n->nchildren = 0;
    if (*leaf_counter >= nleaves)
        return gnv__error_set(GNV_ERROR, GNV_SUB_FORMAT, "internal: leaf count");
    const gnv_lf_leaf *L = &leaves[*leaf_counter];
    if (depth == L->depth - 1) {
        (*leaf_counter)++;
        n->nleaves = 1;
        return GNV_OK;
    }
    n->nchildren = (int)s->n_children;
    n->children = gnv__calloc((size_t)s->n_children, sizeof *n->children);
    if (!n->children)
        return gnv__error_oom();
    for (int64_t i = 0; i < s->n_children; i++)
        GNV_TRY(
            rnode_build(&n->children[i], s->children[i], depth + 1, leaf_counter, leaves, nleaves));
    n->nleaves = *leaf_counter - n->first_leaf;
    return GNV_OK;
}

typedef struct rctx {
    gnv_lance_file *f;
    stream *st;
    int nleaves;
} rctx;

/* Consume one level from every leaf under n (a null or empty element at n). */
static int consume_stop(rctx *x, const rnode *n)
{
    for (int i = n->first_leaf; i < n->first_leaf + n->nleaves; i++) {
        stream *s = &x->st[i];
        if (s->lpos >= s->nlevels)
            return corrupt(x->f, "column %d: levels run out", s->col);
        if (s_def(s, s->lpos) <= s->L->max_visible)
            s->vpos++;
        s->lpos++;
    }
    return GNV_OK;
}

/* One element of nested level j of a nested or bool FSL value into `out` (an array of
 * level-j lists): its items start at index `first` of level j; the last level's items
 * are the values. */
static int append_fsl_items(const stream *s, struct ArrowArray *out, int j, int64_t first)
{
    const gnv_lf_leaf *L = s->L;
    struct ArrowArray *ch = out->children[0];
    bool last = j + 1 == L->fsl_levels;
    const gnv_buf *vb = last ? &s->ivalid : &s->lvalid[j];
    for (int64_t e = first; e < first + L->fsl_dim[j]; e++) {
        if ((size_t)e < vb->size && !vb->ptr[e]) {
            GNV_TRY(gnv__array_append_null(ch, 1));
        } else if (!last) {
            GNV_TRY(append_fsl_items(s, ch, j + 1, e * L->fsl_dim[j + 1]));
        } else if ((size_t)(e + 1) * (size_t)L->item_width > s->vals.size) {
            return gnv__error_set(GNV_ECORRUPT, GNV_SUB_FORMAT,
                                  "column %d: fixed-size-list values run out", s->col);
        } else if (L->fsl_bool) {
            GNV_TRY(gnv__array_append_bool(ch, s->vals.ptr[e] != 0));
        } else {
            GNV_TRY(gnv__array_append_empty(ch, 1));
            gnv_buf *b = gnv__array_buffer(ch, 1);
            memcpy(b->ptr + b->size - (size_t)L->item_width,
                   s->vals.ptr + (size_t)e * (size_t)L->item_width, (size_t)L->item_width);
        }
    }
    return gnv__array_finish_element(out);
}

static int append_leaf(rctx *x, stream *s, struct ArrowArray *out)
{
    const gnv_lf_leaf *L = s->L;
    if (s->vpos >= s->nslots)
        return corrupt(x->f, "column %d: values run out", s->col);
    int64_t v = s->vpos++;
    s->lpos++;
    const uint8_t *vals = (const uint8_t *)s->vals.ptr;
    switch (L->kind) {
    case GNV_LF_NULL:
        return gnv__array_append_null(out, 1);
    case GNV_LF_BOOL:
        return gnv__array_append_bool(out, vals[v] != 0);
    case GNV_LF_VAR: {
        const uint64_t *o = (const uint64_t *)(const void *)s->offs.ptr;
        uint64_t a = v ? o[v - 1] : 0, b = o[v];
        if (gnv__type_is_binary_like(L->type[L->depth - 1].id) &&
            L->type[L->depth - 1].id != GNV_TYPE_BINARY &&
            L->type[L->depth - 1].id != GNV_TYPE_LARGE_BINARY &&
            gnv__utf8_invalid_at(vals + a, (size_t)(b - a)) >= 0)
            return corrupt(x->f, "column %d: a string is not valid UTF-8", s->col);
        return gnv__array_append_bytes(out, vals + a, (size_t)(b - a));
    }
    case GNV_LF_FIXED:
        if (L->type[L->depth - 1].id == GNV_TYPE_FIXED_SIZE_BINARY)
            return gnv__array_append_bytes(out, vals + v * L->width, (size_t)L->width);
        GNV_TRY(gnv__array_append_empty(out, 1));
        {
            gnv_buf *b = gnv__array_buffer(out, 1);
            memcpy(b->ptr + b->size - (size_t)L->width, vals + v * L->width, (size_t)L->width);
        }
        return GNV_OK;
    case GNV_LF_FSL: {
        if (L->fsl_levels > 1 || L->fsl_bool)
            return append_fsl_items(s, out, 0, v * L->fsl_dim[0]);
        struct ArrowArray *ch = out->children[0];
        const uint8_t *iv = (const uint8_t *)s->ivalid.ptr;
        bool all_valid = !iv || (size_t)((v + 1) * L->dim) > s->ivalid.size ||
                         !memchr(iv + v * L->dim, 0, (size_t)L->dim);
        if (all_valid && gnv__array_buffer(ch, 1)) {
            /* the common case: one copy of the whole vector */
            size_t n = (size_t)L->dim * (size_t)L->item_width;
            GNV_TRY(gnv__array_append_empty(ch, L->dim));
            gnv_buf *b = gnv__array_buffer(ch, 1);
            memcpy(b->ptr + b->size - n, vals + v * L->width, n);
            return gnv__array_finish_element(out);
        }
        for (int64_t k = 0; k < L->dim; k++) {
            if (iv && (size_t)((v + 1) * L->dim) <= s->ivalid.size && !iv[v * L->dim + k]) {
                GNV_TRY(gnv__array_append_null(ch, 1));
                continue;
            }
            GNV_TRY(gnv__array_append_empty(ch, 1));
            gnv_buf *b = gnv__array_buffer(ch, 1);
            memcpy(b->ptr + b->size - (size_t)L->item_width,
                   vals + v * L->width + k * L->item_width, (size_t)L->item_width);
        }
        return gnv__array_finish_element(out);
    }
    }
    return GNV_OK;
}

static int read_elem(rctx *x, const rnode *n, struct ArrowArray *out, int guard)
{
    stream *s = &x->st[n->first_leaf];
    const gnv_lf_leaf *L = s->L;
    int i = n->depth;
    if (guard > 4 * GNV_LF_MAX_DEPTH)
        return corrupt(x->f, "column %d: levels nest too deeply", s->col);
    if (s->lpos >= s->nlevels)
        return corrupt(x->f, "column %d: levels run out", s->col);
    int d = s_def(s, s->lpos);
    int own_max = L->is_list[i] ? L->empty_def[i] : L->null_def[i];
    int inner = 0; /* highest def level of layers inside this node */
    for (int k = L->depth - 1; k > i; k--) {
        int m = L->is_list[k] ? L->empty_def[k] : L->null_def[k];
        if (m > inner)
            inner = m;
    }
    if (d > inner) {
        if (d > own_max)
            return corrupt(x->f, "column %d: definition level %d above its field's", s->col, d);
        GNV_TRY(consume_stop(x, n));
        if (L->null_def[i] && d == L->null_def[i])
            return gnv__array_append_null(out, 1);
        return gnv__array_append_empty(out, 1);
    }
    if (n->nchildren == 0)
        return append_leaf(x, s, out);
    if (L->is_list[i]) {
        int r = L->rep[i];
        do {
            GNV_TRY(read_elem(x, &n->children[0], out->children[0], 0));
        } while (s->lpos < s->nlevels && s_rep(s, s->lpos) < r);
        return gnv__array_finish_element(out);
    }
    for (int c = 0; c < n->nchildren; c++)
        GNV_TRY(read_elem(x, &n->children[c], out->children[c], guard + 1));
    return gnv__array_finish_element(out);
}

static int check_columns(gnv_lance_file *f, int first_column, int nleaves)
{
    if (first_column < 0 || nleaves < 0 || first_column > f->ncols ||
        nleaves > f->ncols - first_column)
        return gnv__error_set(GNV_EINVAL, GNV_SUB_FORMAT,
                              "Lance file %s: columns %d..%d requested, the file has %d", f->path,
                              first_column, first_column + nleaves, f->ncols);
    return GNV_OK;
}

/*
 * The common top-level string or binary column without nulls: one copy of all the
 * bytes and offsets instead of a call per row. *used says whether it applied (it does
 * not when a row is null or the stream is short, and the general path runs instead).
 */
static int
read_flat_var(gnv_lance_file *f, stream *s, int64_t n, struct ArrowArray *out, bool *used)
{
    const gnv_lf_leaf *L = s->L;
    *used = false;
    if (L->kind != GNV_LF_VAR || L->max_rep > 0 || L->depth != 1 || s->nslots - s->vpos < n ||
        (L->max_def > 0 && s->nlevels - s->lpos < n))
        return GNV_OK;
    for (int64_t l = 0; L->max_def > 0 && s->def_set && l < n; l++)
        if (s_def(s, s->lpos + l) != 0)
            return GNV_OK;
    const uint64_t *o = (const uint64_t *)(const void *)s->offs.ptr;
    const uint8_t *vals = (const uint8_t *)s->vals.ptr;
    int64_t v0 = s->vpos;
    uint64_t base = v0 ? o[v0 - 1] : 0, prev = base;
    gnv_type_id id = L->type[0].id;
    bool utf8 = id == GNV_TYPE_STRING || id == GNV_TYPE_LARGE_STRING;
    for (int64_t i = 0; i < n; i++) {
        uint64_t end = o[v0 + i];
        if (end < prev || end > s->vals.size)
            return corrupt(f, "column %d: value offsets out of order", s->col);
        /* With the whole run valid UTF-8, each value is when none starts inside a
         * character (on a continuation byte). */
        if (utf8 && end > prev && (vals[prev] & 0xC0) == 0x80)
            return corrupt(f, "column %d: a string is not valid UTF-8", s->col);
        prev = end;
    }
    if (utf8 && gnv__utf8_invalid_at(vals + base, (size_t)(prev - base)) >= 0)
        return corrupt(f, "column %d: a string is not valid UTF-8", s->col);
    /* the stream's bytes become the array's: the stream ends with this read */
    if (!f->var_hint)
        f->var_hint = gnv__calloc((size_t)f->ncols, sizeof *f->var_hint);
    if (f->var_hint)
        f->var_hint[s->col] = s->vals.size;
    GNV_TRY(gnv__array_adopt_var_run(out, &s->vals, o + v0, base, n));
    s->vpos += n;
    s->lpos += n;
    *used = true;
    return GNV_OK;
}

/* The same for a top-level fixed-width column (numbers, dates, fixed-size binary)
 * without nulls: one copy of n values. */
static int read_flat_fixed(stream *s, int64_t n, struct ArrowArray *out, bool *used)
{
    const gnv_lf_leaf *L = s->L;
    *used = false;
    if (L->kind != GNV_LF_FIXED || L->max_rep > 0 || L->depth != 1 || s->nslots - s->vpos < n ||
        (size_t)((s->vpos + n) * L->width) > s->vals.size ||
        (L->max_def > 0 && s->nlevels - s->lpos < n))
        return GNV_OK;
    for (int64_t l = 0; L->max_def > 0 && s->def_set && l < n; l++)
        if (s_def(s, s->lpos + l) != 0)
            return GNV_OK;
    size_t bytes = (size_t)n * (size_t)L->width;
    GNV_TRY(gnv__array_append_empty(out, n));
    gnv_buf *b = gnv__array_buffer(out, 1);
    memcpy(b->ptr + b->size - bytes, s->vals.ptr + (size_t)s->vpos * (size_t)L->width, bytes);
    s->vpos += n;
    s->lpos += n;
    *used = true;
    return GNV_OK;
}

/* ---- takes of scattered rows ---------------------------------------------------- */

/* Scratch streams holding more than this many bytes are freed after a read. */
#define SCRATCH_KEEP ((size_t)16 << 20)

/* Empty t for the next window, keeping its buffers. */
static void stream_clear(stream *t)
{
    gnv__buf_clear(&t->rep);
    gnv__buf_clear(&t->def);
    t->def_set = false;
    gnv__buf_clear(&t->vals);
    gnv__buf_clear(&t->offs);
    gnv__buf_clear(&t->ivalid);
    for (int j = 0; j < GNV_LF_MAX_FSL; j++)
        gnv__buf_clear(&t->lvalid[j]);
    t->nlevels = t->nslots = t->lpos = t->vpos = 0;
    t->has_ivalid = false;
}

/* Append level l and slot v of t to s: one row of a leaf without lists, whose every
 * level has a slot. */
static int copy_row(gnv_lance_file *f, stream *s, const stream *t, int64_t l, int64_t v)
{
    const gnv_lf_leaf *L = s->L;
    if (l >= t->nlevels || v >= t->nslots)
        return corrupt(f, "column %d: rows missing from a page", s->col);
    if (L->max_def > 0)
        GNV_TRY(put_u16(&s->def, s_def(t, l)));
    s->def_set = s->def_set || s_def(t, l) != 0;
    s->nlevels++;
    if (L->kind == GNV_LF_VAR) {
        const uint64_t *o = (const uint64_t *)(const void *)t->offs.ptr;
        uint64_t a = v ? o[v - 1] : 0, b = o[v];
        if (a > b || b > t->vals.size)
            return corrupt(f, "column %d: value offsets out of order", s->col);
        GNV_TRY(gnv__buf_put(&s->vals, t->vals.ptr + a, (size_t)(b - a)));
        uint64_t e = s->vals.size;
        GNV_TRY(gnv__buf_put(&s->offs, &e, 8));
    } else if (L->kind != GNV_LF_NULL) {
        size_t w = (size_t)L->width;
        if ((size_t)(v + 1) * w > t->vals.size)
            return corrupt(f, "column %d: values run out", s->col);
        GNV_TRY(gnv__buf_put(&s->vals, t->vals.ptr + (size_t)v * w, w));
    }
    if (L->kind == GNV_LF_FSL) {
        size_t d = (size_t)L->dim;
        if ((size_t)(v + 1) * d <= t->ivalid.size)
            GNV_TRY(gnv__buf_put(&s->ivalid, t->ivalid.ptr + (size_t)v * d, d));
        else
            GNV_TRY(put_validity_bytes(&s->ivalid, NULL, (int64_t)d));
        size_t per = 1;
        for (int j = 0; j + 1 < L->fsl_levels; j++) {
            per *= (size_t)L->fsl_dim[j];
            if ((size_t)(v + 1) * per <= t->lvalid[j].size)
                GNV_TRY(gnv__buf_put(&s->lvalid[j], t->lvalid[j].ptr + (size_t)v * per, per));
            else
                GNV_TRY(put_validity_bytes(&s->lvalid[j], NULL, (int64_t)per));
        }
        s->has_ivalid = s->has_ivalid || t->has_ivalid;
    }
    s->nslots++;
    return GNV_OK;
}

/* Full-zip rows this close together are read as one span. */
#define FULLZIP_TAKE_GAP 4

/*
 * The stream of a leaf without lists for the sorted, distinct rows[0..n): the rows of
 * one mini-block chunk are decoded once (a chunk is the unit of decoding anyway), those
 * of a full-zip page in spans of nearby rows, and the selected rows copied out.
 */
static int take_stream(gnv_lance_file *f, stream *s, const int64_t *rows, int64_t n)
{
    GNV_TRY(ensure_column(f, s->col));
    rcol *c = &f->cols[s->col];
    int rc = GNV_OK;
    int64_t i = 0;
    if (!f->window) {
        f->window = gnv__calloc(1, sizeof *f->window);
        GNV_CHECK_ALLOC(f->window);
    }
    stream *t = f->window;
    t->L = s->L;
    t->col = s->col;
    for (int64_t pi = 0; pi < c->npages && i < n; pi++) {
        rpage *p = &c->pages[pi];
        int64_t ps = p->first_row, pe = p->first_row + p->rows;
        GNV_ERR_IF(rows[i] < ps, GNV_ECORRUPT, GNV_SUB_FORMAT,
                   "Lance file %s is corrupt: column %d: row %lld is in no page", f->path, s->col,
                   (long long)rows[i]);
        int lc = p->layout->layout_case;
        while (i < n && rows[i] < pe) {
            int64_t a = rows[i] - ps, lim = p->rows, j = i + 1;
            if (lc == GNVPB__PAGE_LAYOUT__LAYOUT_MINI_BLOCK_LAYOUT) {
                GNV_TRYG(load_chunks(f, s->col, p, p->layout->mini_block_layout));
                int64_t lo = 0, hi = p->nchunks; /* the chunk holding row a */
                while (hi - lo > 1) {
                    int64_t mid = lo + (hi - lo) / 2;
                    if (p->chunk_vals[mid] <= a)
                        lo = mid;
                    else
                        hi = mid;
                }
                lim = GNV_MIN(p->chunk_vals[lo + 1], p->rows);
            }
            if (lc == GNVPB__PAGE_LAYOUT__LAYOUT_FULL_ZIP_LAYOUT)
                while (j < n && rows[j] < pe && rows[j] - rows[j - 1] <= FULLZIP_TAKE_GAP)
                    j++;
            else
                while (j < n && rows[j] - ps < lim)
                    j++;
            int64_t b = rows[j - 1] - ps + 1;
            stream_clear(t);
            switch (lc) {
            case GNVPB__PAGE_LAYOUT__LAYOUT_MINI_BLOCK_LAYOUT:
                GNV_TRYG(read_miniblock(f, t, p, a, b, true));
                break;
            case GNVPB__PAGE_LAYOUT__LAYOUT_FULL_ZIP_LAYOUT:
                GNV_TRYG(read_fullzip(f, t, p, a, b));
                break;
            case GNVPB__PAGE_LAYOUT__LAYOUT_ALL_NULL_LAYOUT:
                GNV_TRYG(read_all_null(f, t, p, a, b, true));
                break;
            case GNVPB__PAGE_LAYOUT__LAYOUT_BLOB_LAYOUT:
                rc = unsupported(f, s->col, "blob layout");
                goto done;
            default:
                rc = unsupported(f, s->col, "unknown page layout");
                goto done;
            }
            for (int64_t k = i; k < j; k++) {
                int64_t d = rows[k] - ps - a;
                GNV_TRYG(copy_row(f, s, t, t->lpos + d, t->vpos + d));
            }
            i = j;
        }
    }
    GNV_ERR_IF(i < n, GNV_ECORRUPT, GNV_SUB_FORMAT,
               "Lance file %s is corrupt: column %d: row %lld is in no page", f->path, s->col,
               (long long)rows[i]);
done:
    return rc;
}

/*
 * Rows [row_start, row_start + n) of a field, or with `rows` the sorted, distinct
 * rows[0..n) (its leaves must have no lists).
 */
static int read_rows(gnv_lance_file *f,
                     const struct ArrowSchema *field,
                     int first_column,
                     int64_t row_start,
                     const int64_t *rows,
                     int64_t n,
                     struct ArrowArray *out)
{
    int rc = GNV_OK;
    gnv_lf_leaf *leaves = NULL;
    int nleaves = 0, counter = 0;
    stream *st = NULL;
    rnode root;
    bool have_root = false;
    memset(out, 0, sizeof *out);
    GNV_TRYG(gnv__lf_plan(&leaves, &nleaves, field));
    GNV_TRYG(check_columns(f, first_column, nleaves));
    if (f->nscratch < nleaves) {
        st = gnv__reallocarray(f->scratch, (size_t)nleaves, sizeof *st);
        GNV_CHECK_ALLOC(st);
        memset(st + f->nscratch, 0, (size_t)(nleaves - f->nscratch) * sizeof *st);
        f->scratch = st;
        f->nscratch = nleaves;
    }
    st = f->scratch;
    for (int i = 0; i < nleaves; i++) {
        stream_clear(&st[i]);
        st[i].L = &leaves[i];
        st[i].col = first_column + i;
        size_t hint = f->var_hint ? f->var_hint[first_column + i] : 0;
        if (!rows && leaves[i].kind == GNV_LF_VAR && hint > st[i].vals.asize)
            GNV_TRYG(gnv__buf_reserve(&st[i].vals, hint + hint / 8));
        if (rows)
            GNV_TRYG(take_stream(f, &st[i], rows, n));
        else
            GNV_TRYG(fill_stream(f, &st[i], row_start, n));
    }
    GNV_TRYG(rnode_build(&root, field, 0, &counter, leaves, nleaves));
    have_root = true;
    GNV_TRYG(gnv__array_init(out, field));
    if (root.nchildren == 0 && leaves[0].max_rep == 0 && leaves[0].kind == GNV_LF_FSL &&
        leaves[0].fsl_levels == 1 && !leaves[0].fsl_bool)
        GNV_TRYG(gnv__array_reserve(out->children[0], n * leaves[0].dim));
    else if (root.nchildren == 0 && leaves[0].max_rep == 0 && leaves[0].kind == GNV_LF_FIXED)
        GNV_TRYG(gnv__array_reserve(out, n));
    rctx x = {f, st, nleaves};
    bool bulk = false;
    if (root.nchildren == 0)
        GNV_TRYG(read_flat_var(f, &st[0], n, out, &bulk));
    if (root.nchildren == 0 && !bulk)
        GNV_TRYG(read_flat_fixed(&st[0], n, out, &bulk));
    for (int64_t r = 0; !bulk && r < n; r++)
        GNV_TRYG(read_elem(&x, &root, out, 0));
    GNV_TRYG(gnv__array_finish(out));
done:
    if (rc < 0)
        gnv__array_release(out);
    if (have_root)
        rnode_free(&root);
    for (int i = 0; st && i < nleaves; i++) {
        /* the plan goes; the buffers stay for the next read unless they grew large */
        if (st[i].vals.asize + st[i].offs.asize + st[i].ivalid.asize > SCRATCH_KEEP) {
            stream_free(&st[i]);
            memset(&st[i], 0, sizeof st[i]);
        }
        st[i].L = NULL;
    }
    gnv__free(leaves);
    return rc;
}

int gnv__lance_file_read(gnv_lance_file *f,
                         const struct ArrowSchema *field,
                         int first_column,
                         int64_t row_start,
                         int64_t n,
                         struct ArrowArray *out)
{
    memset(out, 0, sizeof *out);
    if (row_start < 0 || n < 0 || row_start > f->rows || n > f->rows - row_start)
        return gnv__error_set(GNV_EINVAL, GNV_SUB_FORMAT,
                              "Lance file %s: rows %lld..%lld requested, the file has %lld",
                              f->path, (long long)row_start, (long long)(row_start + n),
                              (long long)f->rows);
    return read_rows(f, field, first_column, row_start, NULL, n, out);
}

/* True when no leaf of the field is under a list (each row is one level of each leaf). */
static bool flat_leaves(const struct ArrowSchema *field)
{
    gnv_lf_leaf *leaves = NULL;
    int nleaves = 0;
    if (gnv__lf_plan(&leaves, &nleaves, field) < 0) {
        gnv_error_clear();
        return false;
    }
    bool flat = true;
    for (int i = 0; i < nleaves; i++)
        flat = flat && leaves[i].max_rep == 0;
    gnv__free(leaves);
    return flat;
}

/*
 * Rows that cover at least half of their span (a scan skipping deleted rows): one read
 * of the span, then the runs copied out, instead of one read (and chunk decode) per run.
 */
static int take_dense(gnv_lance_file *f,
                      const struct ArrowSchema *field,
                      int first_column,
                      const int64_t *rows,
                      int64_t n,
                      struct ArrowArray *out)
{
    struct ArrowArray whole = {0};
    gnv_array_view v;
    bool have_view = false;
    int64_t first = rows[0];
    int rc = gnv__lance_file_read(f, field, first_column, first, rows[n - 1] - first + 1, &whole);
    GNV_TRYG(rc);
    GNV_TRYG(gnv__array_view_init(&v, field, &whole));
    have_view = true;
    GNV_TRYG(gnv__array_init(out, field));
    for (int64_t i = 0; i < n;) {
        int64_t j = i + 1;
        while (j < n && rows[j] == rows[j - 1] + 1)
            j++;
        GNV_TRYG(gnv__array_append_view(out, &v, rows[i] - first, j - i));
        i = j;
    }
    GNV_TRYG(gnv__array_finish(out));
done:
    if (rc < 0)
        gnv__array_release(out);
    if (have_view)
        gnv__array_view_reset(&v);
    gnv__array_release(&whole);
    return rc;
}

int gnv__lance_file_take(gnv_lance_file *f,
                         const struct ArrowSchema *field,
                         int first_column,
                         const int64_t *rows,
                         int64_t n,
                         struct ArrowArray *out)
{
    int rc = GNV_OK;
    struct ArrowArray *parts = NULL;
    const struct ArrowArray **pp = NULL;
    int64_t nparts = 0;
    memset(out, 0, sizeof *out);
    for (int64_t i = 0; i < n; i++)
        GNV_ERR_IF(rows[i] < 0 || rows[i] >= f->rows || (i > 0 && rows[i] <= rows[i - 1]),
                   GNV_EINVAL, GNV_SUB_FORMAT,
                   "Lance file %s: take of row %lld (rows must be sorted, distinct and below "
                   "%lld)",
                   f->path, (long long)rows[i], (long long)f->rows);
    if (n == 0)
        return gnv__lance_file_read(f, field, first_column, 0, 0, out);
    if (n > 1 && rows[n - 1] - rows[0] + 1 <= 2 * n && rows[n - 1] - rows[0] + 1 > n)
        return take_dense(f, field, first_column, rows, n, out);
    if (n > 1 && rows[n - 1] - rows[0] + 1 > n && flat_leaves(field))
        return read_rows(f, field, first_column, 0, rows, n, out);
    parts = gnv__calloc((size_t)n, sizeof *parts);
    pp = gnv__calloc((size_t)n, sizeof *pp);
    GNV_CHECK_ALLOC(parts);
    GNV_CHECK_ALLOC(pp);
    /* one read per run of consecutive rows */
    for (int64_t i = 0; i < n;) {
        int64_t j = i + 1;
        while (j < n && rows[j] == rows[j - 1] + 1)
            j++;
        GNV_TRYG(gnv__lance_file_read(f, field, first_column, rows[i], j - i, &parts[nparts]));
        pp[nparts] = &parts[nparts];
        nparts++;
        i = j;
    }
    if (nparts == 1) {
        gnv__array_move(&parts[0], out);
        nparts = 0;
    } else {
        GNV_TRYG(gnv__array_concat(out, field, pp, nparts));
    }
done:
    for (int64_t i = 0; i < nparts; i++)
        gnv__array_release(&parts[i]);
    gnv__free(parts);
    gnv__free(pp);
    return rc;
}
