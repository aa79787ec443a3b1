/* gnv_read_file: pick the reader (CSV, JSON Lines, Arrow IPC) for a file. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "arrow/arrow.h"

/* The extension of path (after the last '.' of the last component), or "". */
static const char *extension(const char *path)
{
    const char *slash = strrchr(path, '/');
    const char *base = slash ? slash + 1 : path;
    const char *dot = strrchr(base, '.');
    return dot && dot != base ? dot + 1 : "";
}

/* The format named by an extension; GNV_FILE_AUTO when unknown. *tsv set for .tsv. */
static int format_from_extension(const char *path, bool *tsv)
{
    const char *ext = extension(path);
    *tsv = false;
    if (strcasecmp(ext, "csv") == 0)
        return GNV_FILE_CSV;
    if (strcasecmp(ext, "tsv") == 0) {
        *tsv = true;
        return GNV_FILE_CSV;
    }
    if (strcasecmp(ext, "jsonl") == 0 || strcasecmp(ext, "ndjson") == 0 ||
        strcasecmp(ext, "json") == 0)
        return GNV_FILE_JSONL;
    if (strcasecmp(ext, "arrow") == 0 || strcasecmp(ext, "arrows") == 0 ||
        strcasecmp(ext, "ipc") == 0 || strcasecmp(ext, "feather") == 0)
        return GNV_FILE_ARROW;
    return GNV_FILE_AUTO;
}

/* Guess from the first bytes: IPC magic or continuation marker, '{' (JSONL), else CSV. */
static int format_from_contents(const char *path, int *format)
{
    unsigned char head[4096];
    FILE *f = fopen(path, "rb");
    if (!f) {
        int err = errno;
        if (err == ENOENT)
            return gnv__error_set(GNV_ENOTFOUND, GNV_SUB_IMPORT, "%s: no such file", path);
        return gnv__error_os(GNV_SUB_IMPORT, err, "%s: cannot open", path);
    }
    size_t n = fread(head, 1, sizeof head, f);
    int err = ferror(f) ? errno : 0;
    fclose(f);
    if (err)
        return gnv__error_os(GNV_SUB_IMPORT, err, "%s: read failed", path);
    if ((n >= 6 && memcmp(head, "ARROW1", 6) == 0) ||
        (n >= 4 && memcmp(head, "\xFF\xFF\xFF\xFF", 4) == 0)) {
        *format = GNV_FILE_ARROW;
        return GNV_OK;
    }
    size_t i = n >= 3 && memcmp(head, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0;
    while (i < n && (head[i] == ' ' || head[i] == '\t' || head[i] == '\r' || head[i] == '\n'))
        i++;
    *format = i < n && head[i] == '{' ? GNV_FILE_JSONL : GNV_FILE_CSV;
    return GNV_OK;
}

GNV_EXTERN int
gnv_read_file(struct ArrowArrayStream *out, const char *path, const gnv_read_options *opts)
{
    gnv_read_options o = GNV_READ_OPTIONS_INIT;
    bool tsv = false;
    if (out)
        memset(out, 0, sizeof *out);
    if (!out || !path)
        return gnv__error_set(GNV_EINVAL, GNV_SUB_IMPORT,
                              "gnv_read_file: out and path are "
                              "required");
    if (opts) {
        if (opts->version == 0)
            return gnv__error_set(GNV_EINVAL, GNV_SUB_IMPORT,
                                  "gnv_read_file: options version is 0; start from "
                                  "GNV_READ_OPTIONS_INIT");
        if (opts->version > GNV_READ_OPTIONS_VERSION)
            return gnv__error_set(GNV_EVERSION, GNV_SUB_IMPORT,
                                  "gnv_read_file: options version %u is not supported (this "
                                  "library knows version %d)",
                                  opts->version, GNV_READ_OPTIONS_VERSION);
        o = *opts;
    }
    int format = o.format;
    if (format == GNV_FILE_AUTO) {
        format = format_from_extension(path, &tsv);
        if (format == GNV_FILE_AUTO)
            GNV_TRY(format_from_contents(path, &format));
    }
    /* .tsv means tab unless the caller chose another delimiter */
    if (tsv && (o.csv_delimiter == ',' || o.csv_delimiter == '\0'))
        o.csv_delimiter = '\t';
    switch (format) {
    case GNV_FILE_CSV:
        return gnv__csv_open_path(out, path, &o);
    case GNV_FILE_JSONL:
        return gnv__jsonl_open_path(out, path, &o);
    case GNV_FILE_ARROW:
        return gnv__ipc_open_path(out, path);
    default:
        return gnv__error_set(GNV_EINVAL, GNV_SUB_IMPORT, "gnv_read_file: unknown format %d",
                              format);
    }
}
