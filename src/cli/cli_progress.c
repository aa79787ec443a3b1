/*
 * Progress of long reads (geneva create, geneva import): a counting ArrowArrayStream
 * put between the file reader and the table writer, so the library needs no callback.
 * The line is written to standard error only when it is a terminal, and erased at the
 * end, so logs and pipes never see it.
 */
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

/* Seconds between two updates of the line. */
#define UPDATE_INTERVAL 0.1

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void draw(cli_progress *p, double now)
{
    double elapsed = now - p->start;
    double rate = elapsed > 0.0 ? (double)p->rows / elapsed : 0.0;
    /* \r goes back to the start of the line; ESC [K erases what a longer line left. */
    fprintf(stderr, "\rread %lld rows (%.0f rows/s)\033[K", (long long)p->rows, rate);
    fflush(stderr);
    p->shown = true;
    p->last = now;
}

static int counting_get_schema(struct ArrowArrayStream *s, struct ArrowSchema *out)
{
    cli_progress *p = s->private_data;
    return p->inner.get_schema(&p->inner, out);
}

static int counting_get_next(struct ArrowArrayStream *s, struct ArrowArray *out)
{
    cli_progress *p = s->private_data;
    int rc = p->inner.get_next(&p->inner, out);
    if (rc != 0 || !out->release)
        return rc;
    p->rows += out->length;
    if (p->show) {
        double now = now_seconds();
        if (!p->shown || now - p->last >= UPDATE_INTERVAL)
            draw(p, now);
    }
    return 0;
}

static const char *counting_get_last_error(struct ArrowArrayStream *s)
{
    cli_progress *p = s->private_data;
    return p->inner.get_last_error ? p->inner.get_last_error(&p->inner) : NULL;
}

static void counting_release(struct ArrowArrayStream *s)
{
    cli_progress *p = s->private_data;
    cli_stream_release(&p->inner);
    memset(s, 0, sizeof *s);
}

void cli_progress_wrap(cli_progress *p, struct ArrowArrayStream *stream, bool show)
{
    memset(p, 0, sizeof *p);
    p->inner = *stream;
    p->show = show;
    p->start = p->last = now_seconds();
    stream->get_schema = counting_get_schema;
    stream->get_next = counting_get_next;
    stream->get_last_error = counting_get_last_error;
    stream->release = counting_release;
    stream->private_data = p;
}

void cli_progress_end(cli_progress *p)
{
    if (!p->shown)
        return;
    fputs("\r\033[K", stderr);
    fflush(stderr);
    p->shown = false;
}

bool cli_progress_wanted(bool quiet)
{
    return !quiet && isatty(STDERR_FILENO);
}
