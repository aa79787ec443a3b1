/* ArrowArrayStream plumbing: streams implemented inside the library, in-memory streams,
 * and consuming foreign streams with the library's error conventions. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "arrow.h"

typedef struct stream_priv {
    const gnv_stream_impl *impl;
    void *self;
    bool ended;
    char last_error[2048];
} stream_priv;

int gnv__code_to_errno(int code)
{
    switch (code) {
    case GNV_OK:
        return 0;
    case GNV_ENOMEM:
        return ENOMEM;
    case GNV_ENOTFOUND:
        return ENOENT;
    case GNV_EEXISTS:
        return EEXIST;
    case GNV_EINVAL:
        return EINVAL;
    case GNV_ECORRUPT:
        return EILSEQ;
    case GNV_ECANCELED:
        return ECANCELED;
    case GNV_ENOTSUP:
        return ENOTSUP;
    case GNV_ECONFLICT:
        return EAGAIN;
    case GNV_EVERSION:
        return EPROTO;
    default:
        return EIO;
    }
}

int gnv__errno_to_code(int err)
{
    switch (err) {
    case 0:
        return GNV_OK;
    case ENOMEM:
        return GNV_ENOMEM;
    case ENOENT:
        return GNV_ENOTFOUND;
    case EEXIST:
        return GNV_EEXISTS;
    case EINVAL:
        return GNV_EINVAL;
    case EILSEQ:
        return GNV_ECORRUPT;
    case ECANCELED:
        return GNV_ECANCELED;
    case ENOTSUP:
        return GNV_ENOTSUP;
    case EAGAIN:
        return GNV_ECONFLICT;
    case EPROTO:
        return GNV_EVERSION;
    case EIO:
        return GNV_EIO;
    default:
        return GNV_ERROR;
    }
}

static int remember(stream_priv *p, int rc)
{
    const gnv_error *e = gnv_error_last();
    snprintf(p->last_error, sizeof p->last_error, "%s",
             e && e->code == rc ? e->message : gnv_strerror(rc));
    return gnv__code_to_errno(rc);
}

static int s_get_schema(struct ArrowArrayStream *s, struct ArrowSchema *out)
{
    stream_priv *p = s->private_data;
    int rc = p->impl->get_schema(p->self, out);
    return rc < 0 ? remember(p, rc) : 0;
}

static int s_get_next(struct ArrowArrayStream *s, struct ArrowArray *out)
{
    stream_priv *p = s->private_data;
    memset(out, 0, sizeof *out);
    if (p->ended)
        return 0;
    int rc = p->impl->get_next(p->self, out);
    if (rc == GNV_ITEROVER) {
        p->ended = true;
        out->release = NULL;
        return 0;
    }
    return rc < 0 ? remember(p, rc) : 0;
}

static const char *s_get_last_error(struct ArrowArrayStream *s)
{
    stream_priv *p = s->private_data;
    return p->last_error[0] ? p->last_error : NULL;
}

static void s_release(struct ArrowArrayStream *s)
{
    if (!s || !s->release)
        return;
    stream_priv *p = s->private_data;
    if (p->impl->free)
        p->impl->free(p->self);
    gnv__free(p);
    s->release = NULL;
}

int gnv__stream_init(struct ArrowArrayStream *out, const gnv_stream_impl *impl, void *self)
{
    memset(out, 0, sizeof *out);
    stream_priv *p = gnv__calloc(1, sizeof *p);
    if (!p) {
        if (impl->free)
            impl->free(self);
        return gnv__error_oom();
    }
    p->impl = impl;
    p->self = self;
    out->get_schema = s_get_schema;
    out->get_next = s_get_next;
    out->get_last_error = s_get_last_error;
    out->release = s_release;
    out->private_data = p;
    return GNV_OK;
}

/* ---- in-memory streams -------------------------------------------------- */

typedef struct mem_stream {
    struct ArrowSchema schema;
    struct ArrowArray *arrays;
    int64_t n, next;
} mem_stream;

static int mem_get_schema(void *self, struct ArrowSchema *out)
{
    mem_stream *m = self;
    return gnv__schema_copy(out, &m->schema);
}

static int mem_get_next(void *self, struct ArrowArray *out)
{
    mem_stream *m = self;
    if (m->next >= m->n)
        return GNV_ITEROVER;
    gnv__array_move(&m->arrays[m->next++], out);
    return GNV_OK;
}

static void mem_free(void *self)
{
    mem_stream *m = self;
    for (int64_t i = m->next; i < m->n; i++)
        gnv__array_release(&m->arrays[i]);
    gnv__free(m->arrays);
    gnv__schema_release(&m->schema);
    gnv__free(m);
}

static const gnv_stream_impl mem_impl = {mem_get_schema, mem_get_next, mem_free};

int gnv__stream_from_arrays(struct ArrowArrayStream *out,
                            struct ArrowSchema *schema,
                            struct ArrowArray *arrays,
                            int64_t n)
{
    mem_stream *m = gnv__calloc(1, sizeof *m);
    if (m && n > 0)
        m->arrays = gnv__calloc((size_t)n, sizeof *m->arrays);
    if (!m || (n > 0 && !m->arrays)) {
        gnv__free(m);
        return gnv__error_oom();
    }
    gnv__schema_move(schema, &m->schema);
    for (int64_t i = 0; i < n; i++)
        gnv__array_move(&arrays[i], &m->arrays[i]);
    m->n = n;
    return gnv__stream_init(out, &mem_impl, m);
}

/* ---- consuming streams -------------------------------------------------- */

static int stream_error(struct ArrowArrayStream *s, int err, const char *what)
{
    const char *msg = s->get_last_error ? s->get_last_error(s) : NULL;
    return gnv__error_set(gnv__errno_to_code(err), GNV_SUB_ARROW, "%s",
                          msg ? msg : (what ? what : "stream failed"));
}

int gnv__stream_get_schema(struct ArrowArrayStream *s, struct ArrowSchema *out)
{
    memset(out, 0, sizeof *out);
    if (!s || !s->release)
        return gnv__error_set(GNV_EINVAL, GNV_SUB_ARROW, "stream is NULL or released");
    int err = s->get_schema(s, out);
    if (err)
        return stream_error(s, err, "cannot get the stream's schema");
    if (!out->release)
        return gnv__error_set(GNV_EINVAL, GNV_SUB_ARROW, "stream returned a released schema");
    return GNV_OK;
}

int gnv__stream_next(struct ArrowArrayStream *s, struct ArrowArray *out)
{
    memset(out, 0, sizeof *out);
    int err = s->get_next(s, out);
    if (err)
        return stream_error(s, err, "cannot read the next batch");
    return out->release ? GNV_OK : GNV_ITEROVER;
}

void gnv__stream_release(struct ArrowArrayStream *s)
{
    if (s && s->release)
        s->release(s);
}

void gnv__stream_move(struct ArrowArrayStream *src, struct ArrowArrayStream *dst)
{
    memcpy(dst, src, sizeof *dst);
    src->release = NULL;
}
