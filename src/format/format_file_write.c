/*
 * Lance data file writer (file versions 2.1 and 2.2) with the simplest encodings LanceDB
 * reads: mini-block pages of Flat / Variable(Flat32 offsets) / FixedSizeList(Flat)
 * values with raw u16 rep/def levels, full-zip pages for large values, and all-null
 * pages. Each leaf column accumulates one page at a time and flushes it when it reaches
 * max_page_bytes, so memory stays bounded by pages, not by the file.
 *
 * File: [page buffers...][global buffer 0: FileDescriptor][column metadata...]
 *       [column metadata offset table][global buffer offset table][40-byte footer]
 * Every buffer starts at a multiple of 64 bytes.
 */
#include <string.h>

#include "format/format_file.h"

#define MAX_CHUNK_BYTES   32768
#define MAX_CHUNK_VALUES  4096
#define FULLZIP_MIN_VALUE 256 /* values this large (bytes) go to full-zip pages */
#define MAX_INVISIBLE_RUN 4000
#define STAGE_BYTES       ((size_t)1 << 20)

typedef struct wpage {
    uint64_t off[3], size[3];
    int nbuf;
    uint64_t rows, first_row;
    uint8_t *enc; /* packed Any(PageLayout) */
    size_t enc_len;
} wpage;

typedef struct wcol {
    gnv_lf_leaf leaf;
    int top; /* index of the top-level field */
    /* the page being accumulated */
    gnv_buf rep, def;  /* u16 levels */
    bool def_deferred; /* a flat leaf's page without a null yet: its def levels (all 0)
                          are not stored until a null comes */
    int64_t nlevels;
    gnv_buf vals; /* slots (FIXED/FSL/BOOL as bytes 0/1) or VAR bytes */
    gnv_buf offs; /* VAR: u64 end offset per slot */
    /* FSL: per nested level (outer-most first), one byte per item of that level; the
     * last level's items are the values */
    gnv_buf fvalid[GNV_LF_MAX_FSL];
    bool fnulls[GNV_LF_MAX_FSL];
    int64_t nslots, nvalid, rows, first_row;
    uint64_t max_len;
    int64_t invisible_run;
    wpage *pages;
    size_t npages, cap;
} wcol;

struct gnv_lance_writer {
    gnv_io *io;
    gnv_io_writer *w;
    char *path;
    struct ArrowSchema schema;    /* what is stored: dictionaries decoded */
    struct ArrowSchema in_schema; /* the batches' schema, when it has dictionaries */
    bool decode;
    int minor;
    size_t max_page;
    wcol *cols;
    int ncols;
    uint64_t pos;
    int64_t rows;
    bool failed;
    gnv_buf stage; /* mini-block chunks on their way out, STAGE_BYTES at a time */
};

/* ---- output ---------------------------------------------------------------- */

static int out_write(gnv_lance_writer *w, const void *p, size_t n)
{
    if (n == 0)
        return GNV_OK;
    int rc = gnv__io_write(w->io, w->w, p, n);
    if (rc < 0)
        return gnv__error_prefix("writing Lance file %s", w->path);
    w->pos += n;
    return GNV_OK;
}

static int out_align(gnv_lance_writer *w)
{
    static const uint8_t zeros[GNV_LF_ALIGN];
    size_t pad = (size_t)((GNV_LF_ALIGN - w->pos % GNV_LF_ALIGN) % GNV_LF_ALIGN);
    return out_write(w, zeros, pad);
}

/* Write one buffer at an aligned position; report where it went. */
static int out_buffer(gnv_lance_writer *w, const void *p, size_t n, uint64_t *off)
{
    GNV_TRY(out_align(w));
    *off = w->pos;
    return out_write(w, p, n);
}

/* ---- protobuf helpers ------------------------------------------------------ */

static int pack_any(uint8_t **out, size_t *len, const char *type_url, const ProtobufCMessage *msg)
{
    size_t n = protobuf_c_message_get_packed_size(msg);
    uint8_t *inner = gnv__malloc(n ? n : 1);
    if (!inner)
        return gnv__error_oom();
    protobuf_c_message_pack(msg, inner);
    Gnvpb__Any any = GNVPB__ANY__INIT;
    any.type_url = (char *)type_url;
    any.has_value = true;
    any.value.data = inner;
    any.value.len = n;
    size_t m = gnvpb__any__get_packed_size(&any);
    *out = gnv__malloc(m ? m : 1);
    if (!*out) {
        gnv__free(inner);
        return gnv__error_oom();
    }
    gnvpb__any__pack(&any, *out);
    *len = m;
    gnv__free(inner);
    return GNV_OK;
}

static void flat_enc(Gnvpb__CompressiveEncoding *ce, Gnvpb__Flat *flat, uint64_t bits)
{
    gnvpb__flat__init(flat);
    flat->has_bits_per_value = true;
    flat->bits_per_value = bits;
    gnvpb__compressive_encoding__init(ce);
    ce->compression_case = GNVPB__COMPRESSIVE_ENCODING__COMPRESSION_FLAT;
    ce->flat = flat;
}

/* The value encoding of a page (mini-block or full-zip), in caller storage. */
typedef struct venc {
    Gnvpb__CompressiveEncoding top, inner, offs;
    Gnvpb__CompressiveEncoding lvl[GNV_LF_MAX_FSL];
    Gnvpb__Flat flat, flat_offs;
    Gnvpb__Variable var;
    Gnvpb__FixedSizeList fsl[GNV_LF_MAX_FSL];
} venc;

/* fval: FSL levels with a validity bitmap (NULL: none) */
static void value_encoding(venc *e, const gnv_lf_leaf *L, const bool *fval)
{
    switch (L->kind) {
    case GNV_LF_BOOL:
        flat_enc(&e->top, &e->flat, 1);
        break;
    case GNV_LF_FIXED:
        flat_enc(&e->top, &e->flat, (uint64_t)L->width * 8);
        break;
    case GNV_LF_VAR:
        flat_enc(&e->offs, &e->flat_offs, L->large ? 64 : 32);
        gnvpb__variable__init(&e->var);
        e->var.offsets = &e->offs;
        gnvpb__compressive_encoding__init(&e->top);
        e->top.compression_case = GNVPB__COMPRESSIVE_ENCODING__COMPRESSION_VARIABLE;
        e->top.variable = &e->var;
        break;
    case GNV_LF_FSL:
        /* FixedSizeList(dim0, FixedSizeList(dim1, ... Flat(bits))), as LanceDB nests them */
        flat_enc(&e->inner, &e->flat, L->fsl_bool ? 1 : (uint64_t)L->item_width * 8);
        for (int j = L->fsl_levels - 1; j >= 0; j--) {
            Gnvpb__FixedSizeList *fl = &e->fsl[j];
            Gnvpb__CompressiveEncoding *ce = j == 0 ? &e->top : &e->lvl[j];
            gnvpb__fixed_size_list__init(fl);
            fl->has_items_per_value = fl->has_has_validity = true;
            fl->items_per_value = (uint64_t)L->fsl_dim[j];
            fl->has_validity = fval && fval[j];
            fl->values = j == L->fsl_levels - 1 ? &e->inner : &e->lvl[j + 1];
            gnvpb__compressive_encoding__init(ce);
            ce->compression_case = GNVPB__COMPRESSIVE_ENCODING__COMPRESSION_FIXED_SIZE_LIST;
            ce->fixed_size_list = fl;
        }
        break;
    default:
        flat_enc(&e->top, &e->flat, 8);
        break;
    }
}

static int add_page(gnv_lance_writer *w,
                    wcol *c,
                    const Gnvpb__PageLayout *layout,
                    int nbuf,
                    const uint64_t *off,
                    const uint64_t *size)
{
    if (c->npages == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 8;
        wpage *p = gnv__reallocarray(c->pages, cap, sizeof *p);
        if (!p)
            return gnv__error_oom();
        c->pages = p;
        c->cap = cap;
    }
    wpage *pg = &c->pages[c->npages];
    memset(pg, 0, sizeof *pg);
    GNV_TRY(pack_any(&pg->enc, &pg->enc_len, "/lance.encodings21.PageLayout", &layout->base));
    pg->nbuf = nbuf;
    for (int i = 0; i < nbuf; i++) {
        pg->off[i] = off[i];
        pg->size[i] = size[i];
    }
    pg->rows = (uint64_t)c->rows;
    pg->first_row = (uint64_t)c->first_row;
    c->npages++;
    (void)w;
    return GNV_OK;
}

/* ---- shredding ----------------------------------------------------------- */

static int put_level(wcol *c, int rep, int def)
{
    const gnv_lf_leaf *L = &c->leaf;
    uint8_t b[2];
    if (L->max_rep > 0) {
        gnv__lf_put16(b, (uint16_t)rep);
        GNV_TRY(gnv__buf_put(&c->rep, b, 2));
    }
    if (L->max_def > 0) {
        gnv__lf_put16(b, (uint16_t)def);
        GNV_TRY(gnv__buf_put(&c->def, b, 2));
    }
    c->nlevels++;
    return GNV_OK;
}

/* A null slot (a visible level without a value). */
static int put_null_slot(wcol *c)
{
    const gnv_lf_leaf *L = &c->leaf;
    switch (L->kind) {
    case GNV_LF_NULL:
        break;
    case GNV_LF_VAR: {
        uint8_t b[8];
        gnv__lf_put64(b, (uint64_t)c->vals.size);
        GNV_TRY(gnv__buf_put(&c->offs, b, 8));
        break;
    }
    case GNV_LF_FSL: {
        int64_t per = 1;
        for (int j = 0; j < L->fsl_levels; j++) {
            per *= L->fsl_dim[j];
            GNV_TRY(gnv__buf_put_zeros(&c->fvalid[j], (size_t)per));
        }
        GNV_TRY(gnv__buf_put_zeros(&c->vals, (size_t)L->width));
        break;
    }
    default:
        GNV_TRY(gnv__buf_put_zeros(&c->vals, (size_t)L->width));
        break;
    }
    c->nslots++;
    return GNV_OK;
}

/* The items of fixed-size-list element i of v at nested `level`: their validity (false
 * under a null enclosing item, `valid`), then, at the last level, their values. */
static int fsl_items(wcol *c, const gnv_array_view *v, int64_t i, int level, bool valid)
{
    const gnv_lf_leaf *L = &c->leaf;
    int64_t s, e;
    gnv__view_list_range(v, i, &s, &e);
    const gnv_array_view *ch = &v->children[0];
    bool last = level == L->fsl_levels - 1;
    if (last && !L->fsl_bool)
        GNV_TRY(gnv__buf_put(&c->vals, ch->data + (ch->offset + s) * L->item_width,
                             (size_t)((e - s) * L->item_width)));
    for (int64_t k = s; k < e; k++) {
        bool ok = valid && !gnv__view_is_null(ch, k);
        if (!ok)
            c->fnulls[level] = true;
        GNV_TRY(gnv__buf_putc(&c->fvalid[level], ok ? 1 : 0));
        if (!last)
            GNV_TRY(fsl_items(c, ch, k, level + 1, ok));
        else if (L->fsl_bool)
            GNV_TRY(gnv__buf_putc(&c->vals, gnv__view_get_bool(ch, k) ? 1 : 0));
    }
    return GNV_OK;
}

static int put_value(wcol *c, const gnv_array_view *v, int64_t i)
{
    const gnv_lf_leaf *L = &c->leaf;
    switch (L->kind) {
    case GNV_LF_NULL:
        break;
    case GNV_LF_BOOL:
        GNV_TRY(gnv__buf_putc(&c->vals, gnv__view_get_bool(v, i) ? 1 : 0));
        break;
    case GNV_LF_FIXED:
        GNV_TRY(gnv__buf_put(&c->vals, v->data + (v->offset + i) * L->width, (size_t)L->width));
        break;
    case GNV_LF_VAR: {
        int64_t len;
        const uint8_t *p = gnv__view_get_bytes(v, i, &len);
        GNV_TRY(gnv__buf_put(&c->vals, p, (size_t)len));
        uint8_t b[8];
        gnv__lf_put64(b, (uint64_t)c->vals.size);
        GNV_TRY(gnv__buf_put(&c->offs, b, 8));
        if ((uint64_t)len > c->max_len)
            c->max_len = (uint64_t)len;
        break;
    }
    case GNV_LF_FSL:
        GNV_TRY(fsl_items(c, v, i, 0, true));
        break;
    }
    c->nslots++;
    c->nvalid++;
    return GNV_OK;
}

/* Emit a level with no value below node `depth` (a null or empty element there). */
static int shred_stop(wcol *c, int rep, int def)
{
    GNV_TRY(put_level(c, rep, def));
    if (def <= c->leaf.max_visible) {
        c->invisible_run = 0;
        return put_null_slot(c);
    }
    c->invisible_run++;
    return GNV_OK;
}

static int shred(wcol *c, int depth, const gnv_array_view *v, int64_t i, int rep)
{
    const gnv_lf_leaf *L = &c->leaf;
    if (L->nullable[depth] && gnv__view_is_null(v, i))
        return shred_stop(c, rep, L->null_def[depth]);
    if (depth == L->depth - 1) {
        GNV_TRY(put_level(c, rep, 0));
        c->invisible_run = 0;
        return put_value(c, v, i);
    }
    if (L->is_list[depth]) {
        int64_t s, e;
        gnv__view_list_range(v, i, &s, &e);
        if (s == e)
            return shred_stop(c, rep, L->empty_def[depth]);
        for (int64_t k = s; k < e; k++)
            GNV_TRY(shred(c, depth + 1, &v->children[0], k, k == s ? rep : L->rep[depth] - 1));
        return GNV_OK;
    }
    /* struct: follow the child on this leaf's path */
    const struct ArrowSchema *next = L->node[depth + 1];
    const struct ArrowSchema *s = L->node[depth];
    for (int64_t k = 0; k < s->n_children; k++)
        if (s->children[k] == next)
            return shred(c, depth + 1, &v->children[k], gnv__view_struct_index(v, i), rep);
    return gnv__error_set(GNV_ERROR, GNV_SUB_FORMAT, "internal: struct child not found");
}

/* Room for n more bytes at the end of b; returns where they go (b->size not moved). */
static uint8_t *room(gnv_buf *b, size_t n)
{
    if (gnv__buf_reserve(b, n) < 0)
        return NULL;
    return (uint8_t *)b->ptr + b->size;
}

static void grow(gnv_buf *b, size_t n)
{
    b->size += n;
    b->ptr[b->size] = '\0';
}

/* True for a leaf that is a whole top-level column of fixed-width values, simple
 * fixed-size lists or strings: shred_flat applies. */
static bool flat_leaf(const gnv_lf_leaf *L)
{
    if (L->depth != 1 || L->max_rep > 0)
        return false;
    return L->kind == GNV_LF_FIXED || L->kind == GNV_LF_VAR ||
           (L->kind == GNV_LF_FSL && L->fsl_levels == 1 && !L->fsl_bool);
}

/* Rows [i, i + k) (indexes into v) of a flat leaf onto the page, in bulk: the levels
 * and slots shred() gives row by row. */
static int shred_run(wcol *c, const gnv_array_view *v, int64_t i, int64_t k)
{
    const gnv_lf_leaf *L = &c->leaf;
    bool nullable = L->nullable[0] && v->validity;
    size_t w = (size_t)L->width, kk = (size_t)k;
    int64_t nulls = 0;
    bool any_null = false;
    for (int64_t j = 0; nullable && j < k && !any_null; j++)
        any_null = gnv__view_is_null(v, i + j);
    if (L->max_def > 0 && c->def_deferred && any_null) {
        /* the first null of the page: the levels so far (all valid) are stored now */
        GNV_TRY(gnv__buf_put_zeros(&c->def, 2 * (size_t)c->nlevels));
        c->def_deferred = false;
    }
    if (L->max_def > 0 && !c->def_deferred) {
        uint8_t *d = room(&c->def, 2 * kk);
        if (!d)
            return GNV_ENOMEM;
        for (int64_t j = 0; j < k; j++)
            gnv__lf_put16(d + 2 * j,
                          nullable && gnv__view_is_null(v, i + j) ? (uint16_t)L->null_def[0] : 0);
        grow(&c->def, 2 * kk);
    }
    if (L->kind == GNV_LF_VAR) {
        bool large = gnv__type_is_large(v->type.id);
        const int32_t *o32 = v->offsets;
        const int64_t *o64 = v->offsets;
        int64_t a = v->offset + i;
        uint64_t lo = large ? (uint64_t)o64[a] : (uint64_t)o32[a];
        uint64_t hi = large ? (uint64_t)o64[a + k] : (uint64_t)o32[a + k];
        uint8_t *vb = room(&c->vals, (size_t)(hi - lo));
        uint8_t *ob = room(&c->offs, 8 * kk);
        if (!vb || !ob)
            return GNV_ENOMEM;
        uint64_t end = c->vals.size;
        for (int64_t j = 0; j < k; j++) {
            uint64_t s0 = large ? (uint64_t)o64[a + j] : (uint64_t)o32[a + j];
            uint64_t s1 = large ? (uint64_t)o64[a + j + 1] : (uint64_t)o32[a + j + 1];
            if (nullable && gnv__view_is_null(v, i + j)) {
                nulls++;
            } else {
                memcpy(c->vals.ptr + end, v->data + s0, (size_t)(s1 - s0));
                end += s1 - s0;
                if (s1 - s0 > c->max_len)
                    c->max_len = s1 - s0;
            }
            gnv__lf_put64(ob + 8 * j, end);
        }
        grow(&c->vals, (size_t)(end - c->vals.size));
        grow(&c->offs, 8 * kk);
    } else {
        const uint8_t *src = v->data + (size_t)(v->offset + i) * w;
        const gnv_array_view *ch = L->kind == GNV_LF_FSL ? &v->children[0] : NULL;
        size_t dim = ch ? (size_t)L->dim : 0;
        if (ch)
            src =
                ch->data + (size_t)(ch->offset + (v->offset + i) * L->dim) * (size_t)L->item_width;
        uint8_t *vb = room(&c->vals, kk * w);
        uint8_t *fb = ch ? room(&c->fvalid[0], kk * dim) : NULL;
        if (!vb || (ch && !fb))
            return GNV_ENOMEM;
        memcpy(vb, src, kk * w);
        if (ch && !ch->validity) {
            memset(fb, 1, kk * dim);
        } else if (ch) {
            int64_t first = ch->offset + (v->offset + i) * L->dim;
            for (size_t q = 0; q < kk * dim; q++) {
                int64_t e = first + (int64_t)q;
                fb[q] = (uint8_t)(ch->validity[e >> 3] >> (e & 7) & 1);
            }
        }
        for (int64_t j = 0; j < k; j++) {
            if (nullable && gnv__view_is_null(v, i + j)) {
                /* a null slot: zero bytes, its items invalid (and not null items) */
                memset(vb + (size_t)j * w, 0, w);
                if (ch)
                    memset(fb + (size_t)j * dim, 0, dim);
                nulls++;
            } else if (ch && ch->validity && !c->fnulls[0]) {
                c->fnulls[0] = memchr(fb + (size_t)j * dim, 0, dim) != NULL;
            }
        }
        grow(&c->vals, kk * w);
        if (ch)
            grow(&c->fvalid[0], kk * dim);
    }
    c->nlevels += k;
    c->nslots += k;
    c->nvalid += k - nulls;
    c->invisible_run = 0;
    return GNV_OK;
}

/* ---- page encoding --------------------------------------------------------- */

typedef struct page_in {
    const wcol *c;
    const uint16_t *rep, *def; /* NULL when absent */
    const int64_t *vis_end;    /* level index after the v-th visible level */
    bool validity;             /* FSL: some level has a validity buffer */
    bool fval[GNV_LF_MAX_FSL]; /* FSL: the levels that have one */
    bool all_valid;            /* no list and no null in the page: no def levels written */
    int minor;
} page_in;

static size_t pad8(size_t n)
{
    return (n + 7) & ~(size_t)7;
}

static uint64_t var_off(const wcol *c, int64_t slot) /* end offset of slot-1 */
{
    return slot == 0 ? 0 : gnv__lf_get64((const uint8_t *)c->offs.ptr + (slot - 1) * 8);
}

/* Sizes of the value buffers of a chunk of k slots from slot v0. */
static int chunk_buffers(const page_in *in, int64_t v0, int64_t k, size_t *sizes)
{
    const gnv_lf_leaf *L = &in->c->leaf;
    switch (L->kind) {
    case GNV_LF_BOOL:
        sizes[0] = (size_t)((k + 7) / 8);
        return 1;
    case GNV_LF_VAR: {
        /* offsets are as wide as the Arrow type's; the buffer is padded to that width */
        uint64_t ow = L->large ? 8 : 4;
        uint64_t bytes = var_off(in->c, v0 + k) - var_off(in->c, v0);
        sizes[0] = (size_t)((ow * (uint64_t)(k + 1) + bytes + ow - 1) & ~(ow - 1));
        return 1;
    }
    case GNV_LF_FSL: {
        int nb = 0;
        int64_t per = 1;
        for (int j = 0; j < L->fsl_levels; j++) {
            per *= L->fsl_dim[j];
            if (in->fval[j])
                sizes[nb++] = (size_t)((k * per + 7) / 8);
        }
        sizes[nb++] = L->fsl_bool ? (size_t)((k * L->dim + 7) / 8) : (size_t)k * (size_t)L->width;
        return nb;
    }
    default:
        sizes[0] = (size_t)k * (size_t)L->width;
        return 1;
    }
}

static int64_t level_end(const page_in *in, int64_t v0, int64_t k, bool last)
{
    if (last)
        return in->c->nlevels;
    if (!in->vis_end)
        return v0 + k;
    return in->vis_end[v0 + k - 1];
}

static size_t
chunk_size(const page_in *in, int64_t l0, int64_t v0, int64_t k, bool last, size_t *sizes, int *nb)
{
    int64_t l1 = level_end(in, v0, k, last);
    size_t lv = (size_t)(l1 - l0) * 2;
    *nb = chunk_buffers(in, v0, k, sizes);
    size_t hdr = 2 + (in->rep ? 2 : 0) + (in->def ? 2 : 0) + (size_t)*nb * (in->minor >= 2 ? 4 : 2);
    size_t total = pad8(hdr) + (in->rep ? pad8(lv) : 0) + (in->def ? pad8(lv) : 0);
    for (int i = 0; i < *nb; i++)
        total += pad8(sizes[i]);
    return total;
}

static void put_bits(gnv_buf *b, size_t at, const uint8_t *bytes, int64_t n)
{
    uint8_t *p = (uint8_t *)b->ptr + at;
    for (int64_t i = 0; i < n; i++)
        if (bytes[i])
            p[i >> 3] |= (uint8_t)(1u << (i & 7));
}

/* Append one chunk's bytes to data. */
static int emit_chunk(const page_in *in,
                      gnv_buf *data,
                      int64_t l0,
                      int64_t l1,
                      int64_t v0,
                      int64_t k,
                      const size_t *sizes,
                      int nb)
{
    const wcol *c = in->c;
    const gnv_lf_leaf *L = &c->leaf;
    size_t start = data->size;
    uint8_t hdr[32];
    size_t h = 0;
    gnv__lf_put16(hdr, (uint16_t)((in->rep || in->def) ? (l1 - l0) : 0));
    h = 2;
    if (in->rep) {
        gnv__lf_put16(hdr + h, (uint16_t)((l1 - l0) * 2));
        h += 2;
    }
    if (in->def) {
        gnv__lf_put16(hdr + h, (uint16_t)((l1 - l0) * 2));
        h += 2;
    }
    for (int i = 0; i < nb; i++) {
        if (in->minor >= 2) {
            gnv__lf_put32(hdr + h, (uint32_t)sizes[i]);
            h += 4;
        } else {
            gnv__lf_put16(hdr + h, (uint16_t)sizes[i]);
            h += 2;
        }
    }
    while (h % 8)
        hdr[h++] = 0xFE;
    GNV_TRY(gnv__buf_put(data, hdr, h));
    const uint16_t *lv[2] = {in->rep, in->def};
    for (int j = 0; j < 2; j++) {
        if (!lv[j])
            continue;
        uint8_t *d = room(data, 2 * (size_t)(l1 - l0));
        if (!d)
            return GNV_ENOMEM;
        for (int64_t l = l0; l < l1; l++)
            gnv__lf_put16(d + 2 * (l - l0), lv[j][l]);
        grow(data, 2 * (size_t)(l1 - l0));
        GNV_TRY(gnv__buf_put_zeros(data, pad8(data->size - start) - (data->size - start)));
    }
    const uint8_t *vals = (const uint8_t *)c->vals.ptr;
    size_t b0 = data->size;
    switch (L->kind) {
    case GNV_LF_BOOL:
        GNV_TRY(gnv__buf_put_zeros(data, sizes[0]));
        put_bits(data, b0, vals + v0, k);
        break;
    case GNV_LF_VAR: {
        uint64_t base = var_off(c, v0);
        size_t ow = L->large ? 8 : 4;
        uint64_t first = ow * (uint64_t)(k + 1);
        uint8_t *o = room(data, ow * (size_t)(k + 1));
        if (!o)
            return GNV_ENOMEM;
        for (int64_t s = 0; s <= k; s++) {
            uint64_t e = first + var_off(c, v0 + s) - base;
            if (ow == 8)
                gnv__lf_put64(o + 8 * s, e);
            else
                gnv__lf_put32(o + 4 * s, (uint32_t)e);
        }
        grow(data, ow * (size_t)(k + 1));
        GNV_TRY(gnv__buf_put(data, vals + base, (size_t)(var_off(c, v0 + k) - base)));
        break;
    }
    case GNV_LF_FSL: {
        /* a validity bitmap per level that has nulls, outer-most first, then the values */
        int bi = 0;
        int64_t per = 1;
        for (int j = 0; j < L->fsl_levels; j++) {
            per *= L->fsl_dim[j];
            if (!in->fval[j])
                continue;
            GNV_TRY(gnv__buf_put_zeros(data, sizes[bi]));
            put_bits(data, b0, (const uint8_t *)c->fvalid[j].ptr + v0 * per, k * per);
            GNV_TRY(gnv__buf_put_zeros(data, pad8(sizes[bi]) - sizes[bi]));
            b0 = data->size;
            bi++;
        }
        if (L->fsl_bool) {
            GNV_TRY(gnv__buf_put_zeros(data, sizes[bi]));
            put_bits(data, b0, vals + v0 * L->width, k * L->dim);
        } else {
            GNV_TRY(gnv__buf_put(data, vals + v0 * L->width, sizes[bi]));
        }
        break;
    }
    default:
        GNV_TRY(gnv__buf_put(data, vals + v0 * L->width, sizes[0]));
        break;
    }
    size_t used = data->size - b0;
    size_t want = pad8(sizes[nb - 1]);
    GNV_TRY(gnv__buf_put_zeros(data, want - GNV_MIN(used, want)));
    /* pad the whole chunk to 8 (Variable buffers are already padded to 4) */
    GNV_TRY(gnv__buf_put_zeros(data, pad8(data->size - start) - (data->size - start)));
    return GNV_OK;
}

/* The repetition index entry of chunk levels [l0, l1) (Lance's rule, see the notes). */
static void rep_index_chunk(uint64_t *ri,
                            size_t ci,
                            size_t nchunks,
                            const uint16_t *rep,
                            int64_t l0,
                            int64_t l1,
                            uint16_t max_rep)
{
    uint64_t rows = 0, left = 0;
    for (int64_t l = l0 + 1; l < l1; l++)
        rows += rep[l] == max_rep;
    if (ci + 1 < nchunks) {
        int64_t last = -1;
        for (int64_t l = l1 - 1; l >= l0; l--)
            if (rep[l] == max_rep) {
                last = l;
                break;
            }
        left = last < 0 ? (uint64_t)(l1 - l0) : (uint64_t)(l1 - last);
    }
    if (ci > 0 && l1 > l0 && rep[l0] == max_rep && ri[2 * ci - 1] != 0) {
        ri[2 * ci - 2] += 1;
        ri[2 * ci - 1] = 0;
    }
    if (ci + 1 == nchunks)
        rows += 1;
    ri[2 * ci] = rows;
    ri[2 * ci + 1] = left;
}

static void layers_of(const gnv_lf_leaf *L, Gnvpb__RepDefLayer *out)
{
    for (int i = 0; i < L->depth; i++)
        out[i] = (Gnvpb__RepDefLayer)L->layers[i];
}

static int write_miniblock(gnv_lance_writer *w, wcol *c, page_in *in)
{
    int rc = GNV_OK;
    const gnv_lf_leaf *L = &c->leaf;
    gnv_buf words = GNV_BUF_INIT, ri = GNV_BUF_INIT;
    gnv_buf *data = &w->stage; /* written out as it fills: the page's data buffer */
    int64_t l0 = 0, v0 = 0;
    size_t nchunks = 0;
    int64_t *bounds = NULL; /* l0, l1 per chunk */
    size_t bcap = 0;
    GNV_TRYG(out_align(w));
    uint64_t data_off = w->pos;
    gnv__buf_clear(data);
    while (v0 < c->nslots) {
        int64_t rem = c->nslots - v0, k = 1;
        size_t sizes[GNV_LF_MAX_FSL + 1];
        int nb;
        bool last = false;
        if (rem <= MAX_CHUNK_VALUES &&
            chunk_size(in, l0, v0, rem, true, sizes, &nb) <= MAX_CHUNK_BYTES) {
            k = rem;
            last = true;
        } else {
            while (k * 2 <= GNV_MIN(rem, MAX_CHUNK_VALUES))
                k *= 2;
            while (k > 1 && chunk_size(in, l0, v0, k, k == rem, sizes, &nb) > MAX_CHUNK_BYTES)
                k /= 2;
            last = k == rem;
        }
        size_t sz = chunk_size(in, l0, v0, k, last, sizes, &nb);
        GNV_ERR_IF(sz > MAX_CHUNK_BYTES, GNV_ENOTSUP, GNV_SUB_FORMAT,
                   "Lance file %s: a value of field '%s' needs %zu bytes, more than a mini-block "
                   "chunk holds",
                   w->path, L->node[L->depth - 1]->name, sz);
        int64_t l1 = level_end(in, v0, k, last);
        size_t before = data->size;
        GNV_TRYG(emit_chunk(in, data, l0, l1, v0, k, sizes, nb));
        size_t bytes = data->size - before;
        if (data->size >= STAGE_BYTES) {
            GNV_TRYG(out_write(w, data->ptr, data->size));
            gnv__buf_clear(data);
        }
        uint32_t word = (uint32_t)(((bytes / 8 - 1) << 4) |
                                   (last ? 0 : (uint32_t)gnv__lf_bits((uint32_t)k) - 1));
        uint8_t b[4];
        if (w->minor >= 2) {
            gnv__lf_put32(b, word);
            GNV_TRYG(gnv__buf_put(&words, b, 4));
        } else {
            gnv__lf_put16(b, (uint16_t)word);
            GNV_TRYG(gnv__buf_put(&words, b, 2));
        }
        if (nchunks * 2 + 2 > bcap) {
            bcap = bcap ? bcap * 2 : 64;
            int64_t *nbnd = gnv__reallocarray(bounds, bcap, sizeof *bounds);
            GNV_CHECK_ALLOC(nbnd);
            bounds = nbnd;
        }
        bounds[2 * nchunks] = l0;
        bounds[2 * nchunks + 1] = l1;
        nchunks++;
        l0 = l1;
        v0 += k;
    }
    if (L->max_rep > 0) {
        GNV_TRYG(gnv__buf_put_zeros(&ri, nchunks * 16));
        uint64_t *tmp = gnv__calloc(nchunks * 2, sizeof *tmp);
        GNV_CHECK_ALLOC(tmp);
        for (size_t i = 0; i < nchunks; i++)
            rep_index_chunk(tmp, i, nchunks, in->rep, bounds[2 * i], bounds[2 * i + 1],
                            (uint16_t)L->max_rep);
        for (size_t i = 0; i < nchunks * 2; i++)
            gnv__lf_put64((uint8_t *)ri.ptr + 8 * i, tmp[i]);
        gnv__free(tmp);
    }
    GNV_TRYG(out_write(w, data->ptr, data->size));
    gnv__buf_clear(data);
    uint64_t off[3], size[3];
    int nbuf = 2;
    off[1] = data_off; /* buffer 1 (chunks) went out first, buffer 0 (their sizes) next */
    size[1] = w->pos - data_off;
    GNV_TRYG(out_buffer(w, words.ptr, words.size, &off[0]));
    size[0] = words.size;
    if (L->max_rep > 0) {
        GNV_TRYG(out_buffer(w, ri.ptr, ri.size, &off[nbuf]));
        size[nbuf++] = ri.size;
    }

    Gnvpb__CompressiveEncoding rep_ce, def_ce;
    Gnvpb__Flat rep_flat, def_flat;
    venc ve;
    Gnvpb__RepDefLayer layers[GNV_LF_MAX_DEPTH];
    Gnvpb__MiniBlockLayout mb = GNVPB__MINI_BLOCK_LAYOUT__INIT;
    Gnvpb__PageLayout pl = GNVPB__PAGE_LAYOUT__INIT;
    value_encoding(&ve, L, in->fval);
    if (in->rep) {
        flat_enc(&rep_ce, &rep_flat, 16);
        mb.rep_compression = &rep_ce;
    }
    if (in->def) {
        flat_enc(&def_ce, &def_flat, 16);
        mb.def_compression = &def_ce;
    }
    mb.value_compression = &ve.top;
    layers_of(L, layers);
    for (int i = 0; in->all_valid && i < L->depth; i++)
        layers[i] = GNVPB__REP_DEF_LAYER__REPDEF_ALL_VALID_ITEM;
    mb.n_layers = (size_t)L->depth;
    mb.layers = layers;
    mb.has_num_buffers = mb.has_repetition_index_depth = mb.has_num_items = true;
    mb.num_buffers = 1;
    for (int j = 0; L->kind == GNV_LF_FSL && j < L->fsl_levels; j++)
        mb.num_buffers += in->fval[j];
    mb.repetition_index_depth = L->max_rep > 0 ? 1 : 0;
    mb.num_items = (uint64_t)c->nslots;
    if (w->minor >= 2)
        mb.has_has_large_chunk = mb.has_large_chunk = true;
    pl.layout_case = GNVPB__PAGE_LAYOUT__LAYOUT_MINI_BLOCK_LAYOUT;
    pl.mini_block_layout = &mb;
    GNV_TRYG(add_page(w, c, &pl, nbuf, off, size));
done:
    gnv_buf_dispose(&words);
    gnv_buf_dispose(&ri);
    gnv__free(bounds);
    return rc;
}

static int put_uint(gnv_buf *b, uint64_t v, int bytes)
{
    uint8_t t[8];
    gnv__lf_put64(t, v);
    return gnv__buf_put(b, t, (size_t)bytes);
}

static int write_fullzip(gnv_lance_writer *w, wcol *c, page_in *in)
{
    int rc = GNV_OK;
    const gnv_lf_leaf *L = &c->leaf;
    gnv_buf z = GNV_BUF_INIT, idx = GNV_BUF_INIT;
    uint64_t *starts = NULL;
    /* control words sized by the layers (LanceDB decodes by them, not by the data) */
    int bits_rep = gnv__lf_bits((uint32_t)L->max_rep),
        bits_def = gnv__lf_bits((uint32_t)L->max_def);
    int tb = bits_rep + bits_def;
    int cw = tb == 0 ? 0 : tb <= 8 ? 1 : tb <= 16 ? 2 : 4;
    bool var = L->kind == GNV_LF_VAR;
    bool with_index = var || L->max_rep > 0;
    int64_t nitems = (in->rep || in->def) ? c->nlevels : c->nslots;
    starts = gnv__malloc((size_t)(c->rows + 1) * sizeof *starts);
    GNV_CHECK_ALLOC(starts);
    int64_t row = 0, slot = 0;
    for (int64_t l = 0; l < nitems; l++) {
        uint32_t r = in->rep ? in->rep[l] : 0, d = in->def ? in->def[l] : 0;
        if (!in->rep || r == (uint32_t)L->max_rep) {
            GNV_ERR_IF(row >= c->rows, GNV_ERROR, GNV_SUB_FORMAT, "internal: full-zip rows");
            starts[row++] = z.size;
        }
        if (cw)
            GNV_TRYG(put_uint(&z, ((uint64_t)r << bits_def) | d, cw));
        if ((int)d > L->max_visible)
            continue;
        if (var) {
            if (d == 0) {
                uint64_t a = var_off(c, slot), b = var_off(c, slot + 1);
                GNV_TRYG(put_uint(&z, b - a, L->large ? 8 : 4));
                GNV_TRYG(gnv__buf_put(&z, c->vals.ptr + a, (size_t)(b - a)));
            }
        } else {
            if (in->validity) { /* FSL items' validity bits go in front of each value */
                uint8_t bits[GNV_LF_MAX_FSL_VALIDITY];
                size_t vb = (size_t)(L->dim + 7) / 8;
                memset(bits, 0, vb);
                const uint8_t *iv = (const uint8_t *)c->fvalid[0].ptr + slot * L->dim;
                for (int k = 0; k < L->dim; k++)
                    if (iv[k])
                        bits[k >> 3] |= (uint8_t)(1u << (k & 7));
                GNV_TRYG(gnv__buf_put(&z, bits, vb));
            }
            GNV_TRYG(gnv__buf_put(&z, c->vals.ptr + slot * L->width, (size_t)L->width));
        }
        slot++;
    }
    GNV_ERR_IF(row != c->rows || slot != c->nslots, GNV_ERROR, GNV_SUB_FORMAT,
               "internal: full-zip page of %s has %lld rows, %lld slots", w->path, (long long)row,
               (long long)slot);
    starts[row] = z.size;
    uint64_t off[2], size[2];
    int nbuf = 0;
    GNV_TRYG(out_buffer(w, z.ptr, z.size, &off[nbuf]));
    size[nbuf++] = z.size;
    if (with_index) {
        int bpv = z.size < 256 ? 1 : z.size < 65536 ? 2 : z.size <= UINT32_MAX ? 4 : 8;
        for (int64_t r = 0; r <= c->rows; r++)
            GNV_TRYG(put_uint(&idx, starts[r], bpv));
        GNV_TRYG(out_buffer(w, idx.ptr, idx.size, &off[nbuf]));
        size[nbuf++] = idx.size;
    }
    venc ve;
    Gnvpb__RepDefLayer layers[GNV_LF_MAX_DEPTH];
    Gnvpb__FullZipLayout fz = GNVPB__FULL_ZIP_LAYOUT__INIT;
    Gnvpb__PageLayout pl = GNVPB__PAGE_LAYOUT__INIT;
    value_encoding(&ve, L, in->fval);
    fz.has_bits_rep = fz.has_bits_def = fz.has_num_items = fz.has_num_visible_items = true;
    fz.bits_rep = (uint32_t)bits_rep;
    fz.bits_def = (uint32_t)bits_def;
    if (var) {
        fz.details_case = GNVPB__FULL_ZIP_LAYOUT__DETAILS_BITS_PER_OFFSET;
        fz.bits_per_offset = L->large ? 64 : 32;
    } else {
        fz.details_case = GNVPB__FULL_ZIP_LAYOUT__DETAILS_BITS_PER_VALUE;
        fz.bits_per_value = (uint32_t)(L->width + (in->validity ? (L->dim + 7) / 8 : 0)) * 8;
    }
    fz.num_items = (uint32_t)nitems;
    fz.num_visible_items = (uint32_t)c->nslots;
    fz.value_compression = &ve.top;
    layers_of(L, layers);
    fz.n_layers = (size_t)L->depth;
    fz.layers = layers;
    pl.layout_case = GNVPB__PAGE_LAYOUT__LAYOUT_FULL_ZIP_LAYOUT;
    pl.full_zip_layout = &fz;
    GNV_TRYG(add_page(w, c, &pl, nbuf, off, size));
done:
    gnv_buf_dispose(&z);
    gnv_buf_dispose(&idx);
    gnv__free(starts);
    return rc;
}

static int write_all_null(gnv_lance_writer *w, wcol *c, page_in *in, bool simple)
{
    const gnv_lf_leaf *L = &c->leaf;
    Gnvpb__RepDefLayer layers[GNV_LF_MAX_DEPTH];
    Gnvpb__AllNullLayout an = GNVPB__ALL_NULL_LAYOUT__INIT;
    Gnvpb__PageLayout pl = GNVPB__PAGE_LAYOUT__INIT;
    Gnvpb__CompressiveEncoding rep_ce, def_ce;
    Gnvpb__Flat rep_flat, def_flat;
    uint64_t off[2] = {0, 0}, size[2] = {0, 0};
    int nbuf = 0;
    if (simple) {
        layers[0] = GNVPB__REP_DEF_LAYER__REPDEF_NULLABLE_ITEM;
        an.n_layers = 1;
    } else {
        layers_of(L, layers);
        an.n_layers = (size_t)L->depth;
        GNV_TRY(out_buffer(w, in->rep, in->rep ? (size_t)c->nlevels * 2 : 0, &off[0]));
        size[0] = in->rep ? (uint64_t)c->nlevels * 2 : 0;
        GNV_TRY(out_buffer(w, in->def, in->def ? (size_t)c->nlevels * 2 : 0, &off[1]));
        size[1] = in->def ? (uint64_t)c->nlevels * 2 : 0;
        nbuf = 2;
        if (w->minor >= 2) {
            /* 2.2's ConstantLayout describes its level buffers */
            if (in->rep) {
                flat_enc(&rep_ce, &rep_flat, 16);
                an.rep_compression = &rep_ce;
                an.has_num_rep_values = true;
                an.num_rep_values = (uint64_t)c->nlevels;
            }
            if (in->def) {
                flat_enc(&def_ce, &def_flat, 16);
                an.def_compression = &def_ce;
                an.has_num_def_values = true;
                an.num_def_values = (uint64_t)c->nlevels;
            }
        }
    }
    an.layers = layers;
    pl.layout_case = GNVPB__PAGE_LAYOUT__LAYOUT_ALL_NULL_LAYOUT;
    pl.all_null_layout = &an;
    return add_page(w, c, &pl, nbuf, off, size);
}

/*
 * LanceDB's full-zip decoder counts every non-list layer's definition levels as
 * "visible", its encoder only those inside the inner-most list. They agree unless a
 * nullable struct encloses a list; such leaves stay in mini-block pages.
 */
static bool fullzip_visibility_agrees(const gnv_lf_leaf *L)
{
    if (L->max_rep == 0)
        return true;
    int inner_list = -1;
    for (int i = L->depth - 1; i >= 0 && inner_list < 0; i--)
        if (L->is_list[i])
            inner_list = i;
    for (int i = 0; i < inner_list; i++)
        if (!L->is_list[i] && L->nullable[i])
            return false;
    return true;
}

static void reset_page(wcol *c)
{
    gnv__buf_clear(&c->rep);
    gnv__buf_clear(&c->def);
    gnv__buf_clear(&c->vals);
    gnv__buf_clear(&c->offs);
    for (int j = 0; j < GNV_LF_MAX_FSL; j++) {
        gnv__buf_clear(&c->fvalid[j]);
        c->fnulls[j] = false;
    }
    c->first_row += c->rows;
    c->def_deferred = flat_leaf(&c->leaf) && c->leaf.max_def > 0;
    c->nlevels = c->nslots = c->nvalid = c->rows = 0;
    c->max_len = 0;
    c->invisible_run = 0;
}

static int flush_page(gnv_lance_writer *w, wcol *c)
{
    if (c->rows == 0)
        return GNV_OK;
    int rc = GNV_OK;
    const gnv_lf_leaf *L = &c->leaf;
    page_in in;
    memset(&in, 0, sizeof in);
    in.c = c;
    in.minor = w->minor;
    in.rep = L->max_rep > 0 ? (const uint16_t *)(const void *)c->rep.ptr : NULL;
    in.def = L->max_def > 0 && !c->def_deferred ? (const uint16_t *)(const void *)c->def.ptr : NULL;
    int64_t *vis = NULL;
    if (c->nvalid == 0 && (c->nslots == 0 || L->kind == GNV_LF_NULL || L->depth == 1)) {
        GNV_TRYG(write_all_null(w, c, &in, L->depth == 1 && c->nslots == c->nlevels));
        goto done;
    }
    if (L->max_rep > 0 && in.def) {
        vis = gnv__malloc((size_t)c->nslots * sizeof *vis);
        GNV_CHECK_ALLOC(vis);
        int64_t v = 0;
        for (int64_t l = 0; l < c->nlevels; l++)
            if (in.def[l] <= L->max_visible)
                vis[v++] = l + 1;
        in.vis_end = vis;
    }
    for (int j = 0; L->kind == GNV_LF_FSL && j < L->fsl_levels; j++) {
        in.fval[j] = c->fnulls[j];
        in.validity |= c->fnulls[j];
    }
    /* nested and bool fixed-size lists stay in mini-block pages */
    bool simple_fsl = L->kind == GNV_LF_FSL && L->fsl_levels == 1 && !L->fsl_bool;
    bool fullzip = ((L->kind == GNV_LF_VAR && c->max_len >= FULLZIP_MIN_VALUE) ||
                    ((simple_fsl || L->kind == GNV_LF_FIXED) && L->width >= FULLZIP_MIN_VALUE &&
                     (!in.validity || L->dim <= 8 * GNV_LF_MAX_FSL_VALIDITY))) &&
                   fullzip_visibility_agrees(L);
    if (!fullzip && L->max_rep == 0 && L->max_def > 0) {
        /* a page without nulls needs no def levels: its layers say "all valid", as
         * LanceDB writes such pages */
        in.all_valid = true;
        for (int64_t l = 0; in.def && l < c->nlevels && in.all_valid; l++)
            in.all_valid = in.def[l] == 0;
        if (in.all_valid)
            in.def = NULL;
    }
    if (fullzip)
        GNV_TRYG(write_fullzip(w, c, &in));
    else
        GNV_TRYG(write_miniblock(w, c, &in));
done:
    gnv__free(vis);
    if (rc == GNV_OK)
        reset_page(c);
    return rc;
}

static size_t page_bytes(const wcol *c)
{
    size_t n = c->rep.size + c->def.size + c->vals.size + c->offs.size;
    for (int j = 0; j < c->leaf.fsl_levels; j++)
        n += c->fvalid[j].size;
    return n;
}

/* ---- public API ------------------------------------------------------------ */

static void col_free(wcol *c)
{
    gnv_buf_dispose(&c->rep);
    gnv_buf_dispose(&c->def);
    gnv_buf_dispose(&c->vals);
    gnv_buf_dispose(&c->offs);
    for (int j = 0; j < GNV_LF_MAX_FSL; j++)
        gnv_buf_dispose(&c->fvalid[j]);
    for (size_t i = 0; i < c->npages; i++)
        gnv__free(c->pages[i].enc);
    gnv__free(c->pages);
}

void gnv__lance_writer_free(gnv_lance_writer *w)
{
    if (!w)
        return;
    if (w->w)
        gnv__io_abort(w->io, w->w);
    for (int i = 0; i < w->ncols; i++)
        col_free(&w->cols[i]);
    gnv__free(w->cols);
    gnv_buf_dispose(&w->stage);
    gnv__schema_release(&w->schema);
    gnv__schema_release(&w->in_schema);
    gnv__free(w->path);
    gnv__free(w);
}

int gnv__lance_writer_new(gnv_lance_writer **out,
                          gnv_io *io,
                          const char *path,
                          const struct ArrowSchema *schema,
                          const gnv_lance_write_options *opts)
{
    int rc = GNV_OK;
    gnv_lance_writer *w = gnv__calloc(1, sizeof *w);
    GNV_CHECK_ALLOC(w);
    w->io = io;
    w->minor = opts && opts->minor_version ? opts->minor_version : 1;
    w->max_page = opts && opts->max_page_bytes ? opts->max_page_bytes : 8u << 20;
    w->path = gnv__strdup(path);
    GNV_CHECK_ALLOC(w->path);
    GNV_ERR_IF(w->minor != 1 && w->minor != 2, GNV_EVERSION, GNV_SUB_FORMAT,
               "Lance file %s: file version 2.%d cannot be written (2.1 and 2.2 can)", path,
               w->minor);
    GNV_TRYG(gnv__schema_validate(schema));
    GNV_ERR_IF(strcmp(schema->format, "+s") != 0, GNV_EINVAL, GNV_SUB_FORMAT,
               "Lance file %s: the schema must be a struct, not '%s'", path, schema->format);
    w->decode = gnv__lance_schema_has_dictionary(schema);
    if (w->decode) {
        GNV_TRYG(gnv__schema_copy(&w->in_schema, schema));
        GNV_TRYG(gnv__lance_schema_decoded(&w->schema, schema));
    } else {
        GNV_TRYG(gnv__schema_copy(&w->schema, schema));
    }
    for (int64_t f = 0; f < schema->n_children; f++) {
        gnv_lf_leaf *leaves;
        int n;
        GNV_TRYG(gnv__lf_plan(&leaves, &n, w->schema.children[f]));
        wcol *nc = gnv__reallocarray(w->cols, (size_t)(w->ncols + n), sizeof *nc);
        if (!nc) {
            gnv__free(leaves);
            GNV_CHECK_ALLOC(nc);
        }
        w->cols = nc;
        for (int i = 0; i < n; i++) {
            wcol *c = &w->cols[w->ncols++];
            memset(c, 0, sizeof *c);
            c->leaf = leaves[i];
            c->top = (int)f;
            c->def_deferred = flat_leaf(&c->leaf) && c->leaf.max_def > 0;
        }
        gnv__free(leaves);
    }
    GNV_TRYG(gnv__io_create(io, path, &w->w));
    *out = w;
    return GNV_OK;
done:
    gnv__lance_writer_free(w);
    return rc;
}

/*
 * Rows [i, i + n) of a flat leaf (flat_leaf), in runs that end where the row-by-row
 * path would flush the page: the page fills to the same row either way.
 */
static int shred_flat(gnv_lance_writer *w, wcol *c, const gnv_array_view *v, int64_t i, int64_t n)
{
    const gnv_lf_leaf *L = &c->leaf;
    bool large = L->kind == GNV_LF_VAR && gnv__type_is_large(v->type.id);
    const int32_t *o32 = v->offsets;
    const int64_t *o64 = v->offsets;
    while (n > 0) {
        size_t pb = page_bytes(c);
        size_t lv = L->max_def > 0 && !c->def_deferred ? 2 : 0;
        int64_t k = 0;
        if (L->kind == GNV_LF_VAR) {
            /* each row adds its bytes (none when null), an offset and a level */
            bool nullable = L->nullable[0] && v->validity;
            while (k < n && (k == 0 || pb < w->max_page)) {
                int64_t a = v->offset + i + k;
                uint64_t len =
                    large ? (uint64_t)(o64[a + 1] - o64[a]) : (uint64_t)(o32[a + 1] - o32[a]);
                if (nullable && gnv__view_is_null(v, i + k))
                    len = 0;
                pb += (size_t)len + 8 + lv;
                k++;
            }
        } else {
            size_t per = (size_t)L->width + lv + (L->kind == GNV_LF_FSL ? (size_t)L->dim : 0);
            k = pb >= w->max_page ? 1 : (int64_t)((w->max_page - pb + per - 1) / per);
            k = GNV_MIN(k, n);
        }
        GNV_TRY(shred_run(c, v, i, k));
        c->rows += k;
        i += k;
        n -= k;
        if (page_bytes(c) >= w->max_page)
            GNV_TRY(flush_page(w, c));
    }
    return GNV_OK;
}

/* The batch with its dictionary-encoded fields decoded, under w->schema. */
static int decode_batch(gnv_lance_writer *w, const struct ArrowArray *batch, struct ArrowArray *out)
{
    gnv_array_view v;
    int rc = gnv__array_view_init(&v, &w->in_schema, batch);
    if (rc < 0)
        return rc;
    rc = gnv__array_init(out, &w->schema);
    if (rc == GNV_OK)
        rc = gnv__array_append_view(out, &v, 0, batch->length);
    if (rc == GNV_OK)
        rc = gnv__array_finish(out);
    gnv__array_view_reset(&v);
    if (rc < 0)
        gnv__array_release(out);
    return rc;
}

int gnv__lance_writer_write(gnv_lance_writer *w, const struct ArrowArray *batch)
{
    int rc = GNV_OK;
    gnv_array_view v;
    bool have_view = false;
    struct ArrowArray decoded = {0};
    GNV_ERR_IF(w->failed || !w->w, GNV_EINVAL, GNV_SUB_FORMAT,
               "Lance file %s: the writer failed or finished earlier", w->path);
    GNV_TRYG(gnv__array_validate(w->decode ? &w->in_schema : &w->schema, batch, false));
    if (w->decode) {
        GNV_TRYG(decode_batch(w, batch, &decoded));
        batch = &decoded;
    }
    GNV_TRYG(gnv__array_view_init(&v, &w->schema, batch));
    have_view = true;
    for (int ci = 0; ci < w->ncols; ci++) {
        wcol *c = &w->cols[ci];
        const gnv_array_view *fv = &v.children[c->top];
        if (flat_leaf(&c->leaf)) {
            GNV_TRYG(shred_flat(w, c, fv, gnv__view_struct_index(&v, 0), batch->length));
            continue;
        }
        for (int64_t r = 0; r < batch->length; r++) {
            GNV_TRYG(shred(c, 0, fv, gnv__view_struct_index(&v, r), c->leaf.max_rep));
            c->rows++;
            if (page_bytes(c) >= w->max_page || c->invisible_run > MAX_INVISIBLE_RUN)
                GNV_TRYG(flush_page(w, c));
        }
    }
    w->rows += batch->length;
done:
    if (have_view)
        gnv__array_view_reset(&v);
    gnv__array_release(&decoded);
    if (rc < 0)
        w->failed = true;
    return rc;
}

uint64_t gnv__lance_writer_bytes(const gnv_lance_writer *w)
{
    return w->pos;
}

int64_t gnv__lance_writer_rows(const gnv_lance_writer *w)
{
    return w->rows;
}

/* Global buffer 0: FileDescriptor{schema, length}. */
static int write_descriptor(gnv_lance_writer *w, uint64_t *off, uint64_t *size)
{
    int rc = GNV_OK;
    Gnvpb__Field **fields = NULL;
    size_t nf = 0;
    int32_t next_id = 0;
    uint8_t *buf = NULL;
    GNV_TRYG(gnv__lance_fields_from_arrow(&fields, &nf, &w->schema, &next_id));
    Gnvpb__FileSchema fs = GNVPB__FILE_SCHEMA__INIT;
    fs.n_fields = nf;
    fs.fields = fields;
    Gnvpb__FileDescriptor fd = GNVPB__FILE_DESCRIPTOR__INIT;
    fd.schema = &fs;
    fd.has_length = true;
    fd.length = (uint64_t)w->rows;
    size_t n = gnvpb__file_descriptor__get_packed_size(&fd);
    buf = gnv__malloc(n ? n : 1);
    GNV_CHECK_ALLOC(buf);
    gnvpb__file_descriptor__pack(&fd, buf);
    GNV_TRYG(out_buffer(w, buf, n, off));
    *size = n;
done:
    gnv__free(buf);
    gnv__lance_fields_free(fields, nf);
    return rc;
}

static int write_column_meta(gnv_lance_writer *w, wcol *c, uint64_t *off, uint64_t *size)
{
    int rc = GNV_OK;
    uint8_t *colenc = NULL, *buf = NULL;
    size_t colenc_len = 0;
    Gnvpb__ColumnMetadata__Page *pages = NULL, **pp = NULL;
    Gnvpb__PageEncoding *pes = NULL;
    Gnvpb__DirectEncoding *des = NULL;
    Gnvpb__Empty empty = GNVPB__EMPTY__INIT;
    Gnvpb__ColumnEncoding ce = GNVPB__COLUMN_ENCODING__INIT;
    ce.column_encoding_case = GNVPB__COLUMN_ENCODING__COLUMN_ENCODING_VALUES;
    ce.values = &empty;
    GNV_TRYG(pack_any(&colenc, &colenc_len, "/lance.encodings.ColumnEncoding", &ce.base));
    Gnvpb__DirectEncoding cde = GNVPB__DIRECT_ENCODING__INIT;
    cde.has_encoding = true;
    cde.encoding.data = colenc;
    cde.encoding.len = colenc_len;
    Gnvpb__PageEncoding cpe = GNVPB__PAGE_ENCODING__INIT;
    cpe.location_case = GNVPB__PAGE_ENCODING__LOCATION_DIRECT;
    cpe.direct = &cde;
    size_t np = c->npages;
    pages = gnv__calloc(np ? np : 1, sizeof *pages);
    pp = gnv__calloc(np ? np : 1, sizeof *pp);
    pes = gnv__calloc(np ? np : 1, sizeof *pes);
    des = gnv__calloc(np ? np : 1, sizeof *des);
    GNV_CHECK_ALLOC(pages);
    GNV_CHECK_ALLOC(pp);
    GNV_CHECK_ALLOC(pes);
    GNV_CHECK_ALLOC(des);
    for (size_t i = 0; i < np; i++) {
        wpage *wp = &c->pages[i];
        gnvpb__direct_encoding__init(&des[i]);
        des[i].has_encoding = true;
        des[i].encoding.data = wp->enc;
        des[i].encoding.len = wp->enc_len;
        gnvpb__page_encoding__init(&pes[i]);
        pes[i].location_case = GNVPB__PAGE_ENCODING__LOCATION_DIRECT;
        pes[i].direct = &des[i];
        gnvpb__column_metadata__page__init(&pages[i]);
        pages[i].n_buffer_offsets = pages[i].n_buffer_sizes = (size_t)wp->nbuf;
        pages[i].buffer_offsets = wp->off;
        pages[i].buffer_sizes = wp->size;
        pages[i].has_length = pages[i].has_priority = true;
        pages[i].length = wp->rows;
        pages[i].priority = wp->first_row;
        pages[i].encoding = &pes[i];
        pp[i] = &pages[i];
    }
    Gnvpb__ColumnMetadata cm = GNVPB__COLUMN_METADATA__INIT;
    cm.encoding = &cpe;
    cm.n_pages = np;
    cm.pages = pp;
    size_t n = gnvpb__column_metadata__get_packed_size(&cm);
    buf = gnv__malloc(n ? n : 1);
    GNV_CHECK_ALLOC(buf);
    gnvpb__column_metadata__pack(&cm, buf);
    *off = w->pos;
    *size = n;
    GNV_TRYG(out_write(w, buf, n));
done:
    gnv__free(colenc);
    gnv__free(buf);
    gnv__free(pages);
    gnv__free(pp);
    gnv__free(pes);
    gnv__free(des);
    return rc;
}

int gnv__lance_writer_finish(gnv_lance_writer *w, uint64_t *file_size_out)
{
    int rc = GNV_OK;
    uint8_t *tables = NULL;
    GNV_ERR_IF(w->failed || !w->w, GNV_EINVAL, GNV_SUB_FORMAT,
               "Lance file %s: the writer failed or finished earlier", w->path);
    for (int i = 0; i < w->ncols; i++)
        GNV_TRYG(flush_page(w, &w->cols[i]));
    uint64_t gb_off = 0, gb_size = 0;
    GNV_TRYG(write_descriptor(w, &gb_off, &gb_size));
    tables = gnv__malloc((size_t)(w->ncols + 1) * 16);
    GNV_CHECK_ALLOC(tables);
    GNV_TRYG(out_align(w));
    uint64_t col_meta_start = w->pos;
    for (int i = 0; i < w->ncols; i++) {
        uint64_t off = 0, size = 0;
        GNV_TRYG(write_column_meta(w, &w->cols[i], &off, &size));
        gnv__lf_put64(tables + 16 * i, off);
        gnv__lf_put64(tables + 16 * i + 8, size);
    }
    /* Lance finds the offset table as the bytes just before the global buffer table */
    uint64_t cmo = w->pos;
    GNV_TRYG(out_write(w, tables, (size_t)w->ncols * 16));
    uint64_t gbo = w->pos;
    uint8_t g[16], footer[GNV_LF_FOOTER_SIZE];
    gnv__lf_put64(g, gb_off);
    gnv__lf_put64(g + 8, gb_size);
    GNV_TRYG(out_write(w, g, 16));
    gnv__lf_put64(footer, col_meta_start);
    gnv__lf_put64(footer + 8, cmo);
    gnv__lf_put64(footer + 16, gbo);
    gnv__lf_put32(footer + 24, 1);
    gnv__lf_put32(footer + 28, (uint32_t)w->ncols);
    gnv__lf_put16(footer + 32, 2);
    gnv__lf_put16(footer + 34, (uint16_t)w->minor);
    memcpy(footer + 36, GNV_LF_MAGIC, 4);
    GNV_TRYG(out_write(w, footer, sizeof footer));
    gnv_io_writer *iw = w->w;
    w->w = NULL;
    rc = gnv__io_commit(w->io, iw, GNV_IO_NOREPLACE);
    if (rc < 0) {
        gnv__error_prefix("committing Lance file %s", w->path);
        goto done;
    }
    if (file_size_out)
        *file_size_out = w->pos;
done:
    gnv__free(tables);
    if (rc < 0)
        w->failed = true;
    return rc;
}
