/*
 * Progress of long reads (geneva create, geneva import): a counting ArrowArrayStream
 * put between the file reader and the table writer, so the library needs no callback.
 * The line is written to standard error only when it is a terminal, and erased at the
 * end, so logs and pipes never see it.
 *
 * Progress of jobs (backfill, job --wait): a bar on a terminal, plain lines every
 * GENEVA_PROGRESS_SECONDS (10) otherwise.
 */
#include <stdlib.h>
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

/* ---- the progress bar of jobs (backfill, job --wait) ----------------------------- */

/* Seconds between two plain lines when standard error is not a terminal. */
static double line_interval(void)
{
    const char *e = getenv("GENEVA_PROGRESS_SECONDS");
    double v = e && *e ? atof(e) : 0;
    return v > 0 ? v : 10.0;
}

void cli_bar_init(cli_bar *b, const char *label, bool quiet)
{
    memset(b, 0, sizeof *b);
    b->label = label;
    b->tty = !quiet && isatty(STDERR_FILENO);
    b->lines = !quiet && !b->tty;
    b->start = b->last = now_seconds();
    b->line_every = line_interval();
}

static void fmt_eta(char *buf, size_t size, double s)
{
    if (s >= 3600)
        snprintf(buf, size, "%dh%02dm", (int)(s / 3600), (int)(s / 60) % 60);
    else if (s >= 60)
        snprintf(buf, size, "%dm%02ds", (int)(s / 60), (int)s % 60);
    else
        snprintf(buf, size, "%.0fs", s);
}

void cli_bar_update(cli_bar *b, int64_t done, int64_t total, int64_t computed, int64_t errors)
{
    double now = now_seconds();
    if (b->tty ? (b->shown && now - b->last < UPDATE_INTERVAL)
               : (!b->lines || now - b->last < b->line_every))
        return;
    double elapsed = now - b->start;
    double rate = elapsed > 0 ? (double)computed / elapsed : 0;
    double pct = total > 0 ? 100.0 * (double)done / (double)total : 100.0;
    char eta[32] = "";
    if (rate > 0 && total > done)
        fmt_eta(eta, sizeof eta, (double)(total - done) / rate);
    char line[256];
    int n = snprintf(line, sizeof line, "%s: %lld/%lld rows (%.0f%%), %.0f rows/s", b->label,
                     (long long)done, (long long)total, pct, rate);
    if (eta[0] && n > 0 && (size_t)n < sizeof line)
        n += snprintf(line + n, sizeof line - (size_t)n, ", ETA %s", eta);
    if (n > 0 && (size_t)n < sizeof line)
        snprintf(line + n, sizeof line - (size_t)n, ", %lld error%s", (long long)errors,
                 errors == 1 ? "" : "s");
    if (b->tty) {
        /* a bar of 20 cells before the text */
        char bar[24];
        int full = (int)(pct / 5);
        for (int i = 0; i < 20; i++)
            bar[i] = i < full ? '#' : '.';
        bar[20] = '\0';
        fprintf(stderr, "\r[%s] %s\033[K", bar, line);
    } else {
        fprintf(stderr, "%s\n", line);
    }
    fflush(stderr);
    b->shown = true;
    b->last = now;
}

void cli_bar_end(cli_bar *b)
{
    if (b->tty && b->shown) {
        fputs("\r\033[K", stderr);
        fflush(stderr);
    }
    b->shown = false;
}

void cli_backfill_progress(const gnv_backfill_stats *s, void *payload)
{
    cli_bar *b = payload;
    int64_t batches = s->batches_computed + s->batches_reused;
    int64_t done = s->batches > 0
                       ? (int64_t)((double)s->rows * (double)batches / (double)s->batches)
                       : s->rows;
    if (batches >= s->batches)
        done = s->rows;
    cli_bar_update(b, done, s->rows, s->rows_computed,
                   s->rows_skipped + s->task_errors + s->errors);
}

void cli_print_job_stages(FILE *f, const gnv_job_info *ji)
{
    fprintf(f,
            "stages: read %.2fs, udf %.2fs, checkpoint %.2fs, write and commit %.2fs; "
            "%lld conflict retr%s\n",
            ji->read_seconds, ji->udf_seconds, ji->checkpoint_seconds, ji->commit_seconds,
            (long long)ji->conflict_retries, ji->conflict_retries == 1 ? "y" : "ies");
}
