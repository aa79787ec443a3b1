/* The block-wise byte source the text readers (CSV, JSON Lines) share: a file read in
 * blocks of GNV_SOURCE_BLOCK bytes, or a private copy of a memory buffer. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "arrow.h"

int gnv__source_open_path(gnv_source *s, const char *path)
{
    memset(s, 0, sizeof *s);
    s->name = path;
    s->f = fopen(path, "rb");
    if (!s->f) {
        int err = errno;
        return err == ENOENT
                   ? gnv__error_set(GNV_ENOTFOUND, GNV_SUB_IMPORT, "%s: no such file", path)
                   : gnv__error_os(GNV_SUB_IMPORT, err, "%s: cannot open", path);
    }
    return GNV_OK;
}

int gnv__source_open_memory(gnv_source *s, const void *data, size_t size, const char *name)
{
    memset(s, 0, sizeof *s);
    s->name = name;
    /* copied, so the caller's buffer need not outlive the stream */
    s->buf = gnv__malloc(size ? size : 1);
    if (!s->buf)
        return gnv__error_oom();
    if (size)
        memcpy(s->buf, data, size);
    s->len = size;
    s->eof = true;
    return GNV_OK;
}

int gnv__source_fill(gnv_source *s)
{
    if (!s->buf) {
        s->buf = gnv__malloc(GNV_SOURCE_BLOCK);
        if (!s->buf)
            return gnv__error_oom();
    }
    s->len = fread(s->buf, 1, GNV_SOURCE_BLOCK, s->f);
    s->pos = 0;
    if (s->len < GNV_SOURCE_BLOCK) {
        if (ferror(s->f))
            return gnv__error_os(GNV_SUB_IMPORT, errno, "%s: read failed", s->name);
        s->eof = true;
    }
    return GNV_OK;
}

void gnv__source_close(gnv_source *s)
{
    if (s->f)
        fclose(s->f);
    gnv__free(s->buf);
    memset(s, 0, sizeof *s);
}
