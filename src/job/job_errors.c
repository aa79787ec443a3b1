/*
 * Backfill error handling (DESIGN 5b "Errors"): error policies (fail, retry with
 * backoff, skip with a budget), applying one to a batch (retries, then row-by-row
 * isolation), and the `geneva_errors` system table the failed rows are recorded in.
 *
 * Invariants:
 * - A log holds each (row address, attempt) once; a worker's log reaches its parent
 *   through a file, and loading it again adds nothing twice.
 * - A batch that ends computed records nothing, whatever failed on the way.
 */
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "io/io.h"
#include "job.h"
#include "udf/udf.h"

#define DEFAULT_RETRY_ATTEMPTS 3
#define DEFAULT_BACKOFF_MS     100
#define DEFAULT_MAX_BACKOFF_MS 10000

/* ---- policies ------------------------------------------------------------------- */

static const char *action_name(int action)
{
    switch (action) {
    case GNV_ON_ERROR_RETRY:
        return "retry";
    case GNV_ON_ERROR_SKIP:
        return "skip";
    default:
        return "fail";
    }
}

void gnv__policy_reset(gnv__policy *p)
{
    if (!p)
        return;
    gnv__free(p->match);
    memset(p, 0, sizeof *p);
}

int gnv__policy_from(gnv__policy *out, const gnv_on_error *in, const char *what)
{
    int rc = GNV_OK;
    memset(out, 0, sizeof *out);
    out->action = GNV_ON_ERROR_FAIL;
    out->attempts = 1;
    out->backoff_ms = DEFAULT_BACKOFF_MS;
    out->max_backoff_ms = DEFAULT_MAX_BACKOFF_MS;
    out->max_skipped_rows = -1;
    if (!in)
        return GNV_OK;
    GNV_ERR_IF(in->version == 0 || in->version > GNV_ON_ERROR_VERSION, GNV_EVERSION, GNV_SUB_JOB,
               "%s: error policy version %u (this library knows 1 to %d)", what, in->version,
               GNV_ON_ERROR_VERSION);
    GNV_ERR_IF(in->action < GNV_ON_ERROR_DEFAULT || in->action > GNV_ON_ERROR_SKIP, GNV_EINVAL,
               GNV_SUB_JOB, "%s: unknown on_error action %d", what, in->action);
    GNV_ERR_IF(in->attempts < 0 || in->attempts > 1000, GNV_EINVAL, GNV_SUB_JOB,
               "%s: on_error attempts %d is not between 0 and 1000", what, in->attempts);
    GNV_ERR_IF(in->backoff_ms < -1 || in->max_backoff_ms < 0, GNV_EINVAL, GNV_SUB_JOB,
               "%s: on_error backoff must not be negative", what);
    GNV_ERR_IF(in->max_skipped_rows < -1, GNV_EINVAL, GNV_SUB_JOB,
               "%s: on_error max_skipped_rows %" PRId64 " (use -1 for no limit)", what,
               in->max_skipped_rows);
    GNV_ERR_IF(!(in->max_skipped_fraction >= 0 && in->max_skipped_fraction <= 1), GNV_EINVAL,
               GNV_SUB_JOB, "%s: on_error max_skipped_fraction %g is not between 0 and 1", what,
               in->max_skipped_fraction);
    if (in->action != GNV_ON_ERROR_DEFAULT)
        out->action = in->action;
    if (in->attempts)
        out->attempts = in->attempts;
    else if (out->action == GNV_ON_ERROR_RETRY)
        out->attempts = DEFAULT_RETRY_ATTEMPTS;
    if (in->backoff_ms)
        out->backoff_ms = in->backoff_ms < 0 ? 0 : in->backoff_ms;
    if (in->max_backoff_ms)
        out->max_backoff_ms = in->max_backoff_ms;
    if (in->match && *in->match) {
        out->match = gnv__strdup(in->match);
        GNV_CHECK_ALLOC(out->match);
    }
    out->match_code = in->match_code;
    out->transient_only = in->transient_only != 0;
    out->max_skipped_rows = in->max_skipped_rows;
    out->max_skipped_fraction = in->max_skipped_fraction;
done:
    if (rc < 0)
        gnv__policy_reset(out);
    return rc;
}

int gnv__policy_to_json(void **out, const gnv__policy *p)
{
    json_t *o;
    gnv__json_setup();
    o = json_pack("{s:s, s:i, s:I, s:I, s:s?, s:i, s:b, s:I, s:f}", "action",
                  action_name(p->action), "attempts", p->attempts, "backoff_ms",
                  (json_int_t)p->backoff_ms, "max_backoff_ms", (json_int_t)p->max_backoff_ms,
                  "match", p->match, "match_code", (int)p->match_code, "transient_only",
                  (int)p->transient_only, "max_skipped_rows", (json_int_t)p->max_skipped_rows,
                  "max_skipped_fraction", p->max_skipped_fraction);
    if (!o)
        return gnv__error_oom();
    *out = o;
    return GNV_OK;
}

int gnv__policy_parse(gnv__policy *out, const void *json, const char *column)
{
    int rc = GNV_OK;
    const json_t *o = json;
    gnv_on_error in = GNV_ON_ERROR_INIT;
    char what[300];
    snprintf(what, sizeof what, "column '%s'", column);
    GNV_ERR_IF(!json_is_object(o), GNV_EINVAL, GNV_SUB_JOB,
               "column '%s': its \"on_error\" definition is not a JSON object", column);
    const char *action = json_string_value(json_object_get(o, "action"));
    if (!action || !strcmp(action, "fail"))
        in.action = GNV_ON_ERROR_FAIL;
    else if (!strcmp(action, "retry"))
        in.action = GNV_ON_ERROR_RETRY;
    else if (!strcmp(action, "skip"))
        in.action = GNV_ON_ERROR_SKIP;
    else
        GNV_ERR_IF(true, GNV_EINVAL, GNV_SUB_JOB, "column '%s': unknown on_error action '%s'",
                   column, action);
    json_t *v;
    if ((v = json_object_get(o, "attempts")) && json_is_integer(v))
        in.attempts = (int)GNV_MIN(json_integer_value(v), 100000);
    if ((v = json_object_get(o, "backoff_ms")) && json_is_integer(v))
        in.backoff_ms = json_integer_value(v) == 0 ? -1 : json_integer_value(v);
    if ((v = json_object_get(o, "max_backoff_ms")) && json_is_integer(v))
        in.max_backoff_ms = json_integer_value(v);
    in.match = json_string_value(json_object_get(o, "match"));
    if ((v = json_object_get(o, "match_code")) && json_is_integer(v))
        in.match_code = (int32_t)json_integer_value(v);
    in.transient_only = json_is_true(json_object_get(o, "transient_only"));
    if ((v = json_object_get(o, "max_skipped_rows")) && json_is_integer(v))
        in.max_skipped_rows = json_integer_value(v);
    if ((v = json_object_get(o, "max_skipped_fraction")) && json_is_number(v))
        in.max_skipped_fraction = json_number_value(v);
    rc = gnv__policy_from(out, &in, what);
done:
    return rc;
}

bool gnv__policy_over_budget(const gnv__policy *p, int64_t skipped, int64_t rows)
{
    if (p->max_skipped_rows >= 0 && skipped > p->max_skipped_rows)
        return true;
    return p->max_skipped_fraction > 0 && rows > 0 &&
           (double)skipped > p->max_skipped_fraction * (double)rows;
}

/* Whether a failure (code, type, message) is to be retried under p. */
static bool retryable(const gnv__policy *p, int32_t code, const char *type, const char *msg)
{
    if (p->match && (!msg || !strstr(msg, p->match)))
        return false;
    if (p->match_code && code != p->match_code)
        return false;
    if (p->transient_only)
        return !strcmp(type, "crash") || !strcmp(type, "out_of_memory") ||
               !strcmp(type, "io_error") ||
               (!strcmp(type, "udf_error") && code == GNV_UDF_RC_TRANSIENT);
    return true;
}

/* Sleep before attempt `attempt` (2, 3, ...): backoff * 2^(attempt - 2), capped, plus
 * up to half of it again at random. */
static void backoff(const gnv__policy *p, int attempt)
{
    if (p->backoff_ms <= 0)
        return;
    int64_t ms = p->backoff_ms;
    for (int i = 2; i < attempt && ms < p->max_backoff_ms; i++)
        ms *= 2;
    if (ms > p->max_backoff_ms)
        ms = p->max_backoff_ms;
    uint64_t r = gnv__xxh64(&ms, sizeof ms, (uint64_t)time(NULL) ^ (uint64_t)clock());
    ms += ms > 1 ? (int64_t)(r % (uint64_t)(ms / 2 + 1)) : 0;
    struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0)
        ;
}

void gnv__error_classify(int rc, int plugin_rc, int32_t *code, const char **type)
{
    *code = rc;
    switch (rc) {
    case GNV_EUDF:
        *type = plugin_rc ? "udf_error" : "invalid_output";
        if (plugin_rc)
            *code = plugin_rc;
        break;
    case GNV_ENOMEM:
        *type = "out_of_memory";
        break;
    case GNV_EIO:
        *type = "io_error";
        break;
    default:
        *type = "error";
        break;
    }
}

/* ---- job ids -------------------------------------------------------------------- */

int gnv__job_id_new(char out[40])
{
    char hex[33];
    GNV_TRY(gnv__random_hex(hex, 16));
    hex[12] = '4'; /* a version-4 UUID's layout */
    hex[16] = "89ab"[hex[16] % 4];
    snprintf(out, 40, "%.8s-%.4s-%.4s-%.4s-%.12s", hex, hex + 8, hex + 12, hex + 16, hex + 20);
    return GNV_OK;
}

/* ---- logs ----------------------------------------------------------------------- */

static int64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int add_rec(gnv__errlog *l, const gnv__err_rec *r)
{
    char key[48];
    bool added = false;
    snprintf(key, sizeof key, "%" PRIx64 ":%" PRId32, r->addr, r->attempt);
    GNV_TRY(gnv__strset_add(&l->seen, key, strlen(key), &added));
    if (!added)
        return GNV_OK;
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 16;
        gnv__err_rec *grown = gnv__reallocarray(l->recs, cap, sizeof *grown);
        if (!grown)
            return gnv__error_oom();
        l->recs = grown;
        l->cap = cap;
    }
    gnv__err_rec *d = &l->recs[l->n];
    *d = *r;
    d->type = gnv__strdup(r->type ? r->type : "error");
    d->message = gnv__strdup(r->message ? r->message : "");
    if (!d->type || !d->message) {
        gnv__free(d->type);
        gnv__free(d->message);
        return gnv__error_oom();
    }
    l->n++;
    return GNV_OK;
}

int gnv__errlog_add(
    gnv__errlog *l, uint64_t addr, int32_t code, const char *type, const char *msg, int32_t attempt)
{
    gnv__err_rec r = {addr, code, attempt, now_us(), (char *)type, (char *)msg};
    return add_rec(l, &r);
}

static void clear_recs(gnv__errlog *l)
{
    for (size_t i = 0; i < l->n; i++) {
        gnv__free(l->recs[i].type);
        gnv__free(l->recs[i].message);
    }
    l->n = 0;
}

void gnv__errlog_reset(gnv__errlog *l)
{
    if (!l)
        return;
    clear_recs(l);
    gnv__free(l->recs);
    gnv__strset_reset(&l->seen);
    memset(l, 0, sizeof *l);
}

int gnv__json_dumps_checked(char **out, const void *value)
{
    /* jansson's dump may drop a key when an allocation fails and still return text:
     * the text is kept only when it parses back to the value */
    char *text = json_dumps(value, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_t *back = text ? json_loads(text, 0, NULL) : NULL;
    bool same = back && json_equal(back, (json_t *)value);
    if (back)
        json_decref(back);
    if (!same) {
        gnv__free(text);
        return gnv__error_oom();
    }
    *out = text;
    return GNV_OK;
}

int gnv__errlog_save(const gnv__errlog *l, gnv_io *io, const char *path)
{
    int rc = GNV_OK;
    char *text = NULL;
    gnv__json_setup();
    json_t *root = json_object(), *arr = json_array();
    GNV_ERR_IF(!root || !arr || json_object_set_new(root, "retries", json_integer(l->retries)),
               GNV_ENOMEM, GNV_SUB_JOB, "out of memory");
    for (size_t i = 0; i < l->n; i++) {
        const gnv__err_rec *r = &l->recs[i];
        json_t *o = json_pack("{s:I, s:i, s:i, s:I, s:s, s:s}", "a", (json_int_t)r->addr, "c",
                              (int)r->code, "n", (int)r->attempt, "t", (json_int_t)r->time_us, "y",
                              r->type, "m", r->message);
        GNV_ERR_IF(!o || json_array_append_new(arr, o), GNV_ENOMEM, GNV_SUB_JOB, "out of memory");
    }
    GNV_ERR_IF(json_object_set(root, "errors", arr), GNV_ENOMEM, GNV_SUB_JOB, "out of memory");
    GNV_TRYG(gnv__json_dumps_checked(&text, root));
    rc = gnv__io_write_all(io, path, text, strlen(text), 0);
done:
    if (root)
        json_decref(root);
    if (arr)
        json_decref(arr);
    gnv__free(text);
    return rc;
}

int gnv__errlog_load(gnv__errlog *l, gnv_io *io, const char *path)
{
    int rc = GNV_OK;
    gnv_buf data = GNV_BUF_INIT;
    json_error_t jerr;
    json_t *root = NULL;
    GNV_TRYG(gnv__io_read_all(io, path, &data));
    gnv__json_setup();
    /* jansson's lexer does not report every failed allocation (it may give a syntax
     * error or drop a character): two parses that agree are the text's */
    root = json_loadb(data.ptr ? data.ptr : "", data.size, 0, &jerr);
    json_t *again = json_loadb(data.ptr ? data.ptr : "", data.size, 0, &jerr);
    bool agree = root && again && json_equal(root, again);
    bool oom = !agree && (root || again || json_error_code(&jerr) == json_error_out_of_memory);
    if (again)
        json_decref(again);
    GNV_ERR_IF(oom, GNV_ENOMEM, GNV_SUB_JOB, "out of memory");
    GNV_ERR_IF(!json_is_object(root), GNV_ECORRUPT, GNV_SUB_JOB,
               "backfill worker error file '%s' is damaged", path);
    l->retries += json_integer_value(json_object_get(root, "retries"));
    json_t *arr = json_object_get(root, "errors");
    for (size_t i = 0; i < json_array_size(arr); i++) {
        json_t *o = json_array_get(arr, i);
        gnv__err_rec r = {(uint64_t)json_integer_value(json_object_get(o, "a")),
                          (int32_t)json_integer_value(json_object_get(o, "c")),
                          (int32_t)json_integer_value(json_object_get(o, "n")),
                          json_integer_value(json_object_get(o, "t")),
                          (char *)json_string_value(json_object_get(o, "y")),
                          (char *)json_string_value(json_object_get(o, "m"))};
        GNV_TRYG(add_rec(l, &r));
    }
done:
    if (root)
        json_decref(root);
    gnv_buf_dispose(&data);
    return rc;
}

/* ---- the errors table ------------------------------------------------------------ */

static const char *const err_cols[] = {"job_id",      "table",       "column",     "udf_name",
                                       "udf_version", "row_address", "error_code", "error_type",
                                       "message",     "attempt",     "time"};
static const char *const err_fmts[] = {"u", "u", "u", "u", "u", "L", "i", "u", "u", "i", "tsu:UTC"};

static int errors_schema(struct ArrowSchema *out)
{
    int rc = GNV_OK;
    GNV_TRYG(gnv__schema_init(out, "+s", "", 0));
    GNV_TRYG(gnv__schema_alloc_children(out, (int64_t)GNV_ARRAY_SIZE(err_cols)));
    for (size_t i = 0; i < GNV_ARRAY_SIZE(err_cols); i++)
        GNV_TRYG(gnv__schema_init(out->children[i], err_fmts[i], err_cols[i], ARROW_FLAG_NULLABLE));
done:
    if (rc < 0)
        gnv__schema_release(out);
    return rc;
}

static int open_errors(gnv_table **out, gnv_table *t)
{
    struct ArrowSchema s = {0};
    GNV_TRY(errors_schema(&s));
    int rc = gnv__db_system_table(out, t->db, GNV_ERRORS_TABLE, &s);
    gnv__schema_release(&s);
    return rc;
}

static int put_str(struct ArrowArray *a, const char *s)
{
    return gnv__array_append_bytes(a, s ? s : "", s ? strlen(s) : 0);
}

int gnv__errlog_flush(gnv__errlog *l,
                      gnv_table *t,
                      const char *job_id,
                      const char *column,
                      const gnv__udf_coldef *def)
{
    int rc = GNV_OK;
    struct ArrowSchema s = {0};
    struct ArrowArray a = {0};
    struct ArrowArrayStream st = {0};
    gnv_table *et = NULL;
    if (l->n == 0)
        return GNV_OK;
    GNV_TRYG(errors_schema(&s));
    GNV_TRYG(gnv__array_init(&a, &s));
    GNV_TRYG(gnv__array_reserve(&a, (int64_t)l->n));
    for (size_t i = 0; i < l->n; i++) {
        const gnv__err_rec *r = &l->recs[i];
        struct ArrowArray **c = a.children;
        GNV_TRYG(put_str(c[0], job_id));
        GNV_TRYG(put_str(c[1], t->name));
        GNV_TRYG(put_str(c[2], column));
        GNV_TRYG(put_str(c[3], def->function));
        GNV_TRYG(put_str(c[4], def->version));
        GNV_TRYG(gnv__array_append_uint(c[5], r->addr));
        GNV_TRYG(gnv__array_append_int(c[6], r->code));
        GNV_TRYG(put_str(c[7], r->type));
        GNV_TRYG(put_str(c[8], r->message));
        GNV_TRYG(gnv__array_append_int(c[9], r->attempt));
        GNV_TRYG(gnv__array_append_int(c[10], r->time_us));
        GNV_TRYG(gnv__array_finish_element(&a));
    }
    GNV_TRYG(gnv__array_finish(&a));
    GNV_TRYG(open_errors(&et, t));
    GNV_TRYG(gnv__stream_from_arrays(&st, &s, &a, 1));
    for (int attempt = 0;; attempt++) {
        rc = gnv_table_add(et, &st, NULL);
        if (rc != GNV_ECONFLICT || attempt >= 5)
            break;
        gnv_error_clear(); /* another job appended meanwhile */
    }
    if (rc < 0)
        goto done;
    clear_recs(l);
done:
    if (rc < 0)
        gnv__error_prefix("recording %zu failed rows in %s/%s", l->n, GNV__SYSTEM_DIR,
                          GNV_ERRORS_TABLE);
    if (st.release)
        gnv__stream_release(&st);
    gnv__array_release(&a);
    gnv__schema_release(&s);
    gnv_table_close(et);
    return rc;
}

/* ---- applying a policy to a batch ------------------------------------------------ */

/* One failed batch attempt, kept until the batch's fate is known. */
typedef struct attempt_err {
    int32_t code;
    const char *type;
    char msg[512];
} attempt_err;

static void note_error(attempt_err *e, int rc, int plugin_rc)
{
    const gnv_error *le = gnv_error_last();
    gnv__error_classify(rc, plugin_rc, &e->code, &e->type);
    snprintf(e->msg, sizeof e->msg, "%s", le && le->message ? le->message : "failed");
    /* "function 'f' failed at row N: ..." counts rows of the call, not of the table:
     * the record has the row's address, so keep "function 'f': ..." */
    char *at = strstr(e->msg, " failed at row ");
    char *colon = at ? strstr(at, ": ") : NULL;
    if (colon)
        memmove(at, colon, strlen(colon) + 1);
}

/* Run one row alone: GNV_OK with its value appended to col, GNV_EUDF with *err set
 * (the error is cleared), another code as it is. */
static int one_row(gnv__apply *a, struct ArrowArray *col, uint64_t addr, attempt_err *err)
{
    struct ArrowArray v = {0};
    gnv_array_view view = {0};
    (void)gnv__udf_take_rc();
    if (a->current)
        *a->current = addr;
    int rc = a->compute(&v, &addr, 1, a->payload);
    if (a->current)
        *a->current = UINT64_MAX;
    if (rc == GNV_EUDF) {
        note_error(err, rc, gnv__udf_take_rc());
        gnv_error_clear();
        return GNV_EUDF;
    }
    if (rc < 0)
        return rc;
    rc = gnv__array_view_init(&view, a->field, &v);
    if (rc == GNV_OK)
        rc = gnv__array_append_view(col, &view, 0, 1);
    gnv__array_view_reset(&view);
    gnv__array_release(&v);
    return rc;
}

static bool known_crash(const gnv__apply *a, uint64_t addr)
{
    for (size_t i = 0; i < a->n_crashed; i++)
        if (a->crashed[i] == addr)
            return true;
    return false;
}

/* Skip: every row alone; the failing ones NULL and recorded. */
static int row_by_row(gnv__apply *a, struct ArrowArray *out, const uint64_t *addrs, size_t n)
{
    int rc = GNV_OK;
    struct ArrowArray col = {0};
    attempt_err err;
    GNV_TRYG(gnv__array_init(&col, a->field));
    GNV_TRYG(gnv__array_reserve(&col, (int64_t)n));
    for (size_t i = 0; i < n; i++) {
        if (known_crash(a, addrs[i])) { /* its crash is recorded by the parent */
            GNV_TRYG(gnv__array_append_null(&col, 1));
            continue;
        }
        rc = one_row(a, &col, addrs[i], &err);
        if (rc == GNV_EUDF) {
            GNV_TRYG(gnv__errlog_add(a->log, addrs[i], err.code, err.type, err.msg, 1));
            GNV_TRYG(gnv__array_append_null(&col, 1));
            a->skipped++;
            continue;
        }
        if (rc < 0)
            goto done;
    }
    GNV_TRYG(gnv__array_finish(&col));
    gnv__array_move(&col, out);
done:
    gnv__array_release(&col);
    return rc;
}

/* Fail or retry exhausted: find the batch's first failing row, record it once per
 * attempt made, and return GNV_EUDF naming it. */
static int
record_failure(gnv__apply *a, const uint64_t *addrs, size_t n, const attempt_err *errs, int made)
{
    int rc = GNV_OK;
    struct ArrowArray col = {0};
    attempt_err lone;
    uint64_t bad = UINT64_MAX;
    GNV_TRYG(gnv__array_init(&col, a->field));
    for (size_t i = 0; i < n && bad == UINT64_MAX; i++) {
        rc = one_row(a, &col, addrs[i], &lone);
        if (rc == GNV_EUDF)
            bad = addrs[i];
        else if (rc < 0)
            goto done;
    }
    rc = GNV_OK;
    /* a row that fails alone is the culprit; when none does, every row of the batch is */
    for (size_t i = 0; i < n; i++) {
        if (bad != UINT64_MAX && addrs[i] != bad)
            continue;
        for (int k = 0; k < made; k++)
            GNV_TRYG(
                gnv__errlog_add(a->log, addrs[i], errs[k].code, errs[k].type, errs[k].msg, k + 1));
    }
    if (bad != UINT64_MAX)
        rc = gnv__error_set(GNV_EUDF, GNV_SUB_JOB,
                            "row %" PRIu64 " (fragment %" PRIu64 ", offset %" PRIu64 "): %s", bad,
                            bad >> 32, bad & 0xffffffffu, errs[made - 1].msg);
    else
        rc = gnv__error_set(GNV_EUDF, GNV_SUB_JOB,
                            "rows %" PRIu64 "..%" PRIu64 " (%zu rows, none failing alone): %s",
                            addrs[0], addrs[n - 1], n, errs[made - 1].msg);
    if (!a->first_error[0])
        snprintf(a->first_error, sizeof a->first_error, "%s", gnv_error_last()->message);
done:
    gnv__array_release(&col);
    return rc;
}

int gnv__apply_batch(gnv__apply *a, struct ArrowArray *out, const uint64_t *addrs, size_t n)
{
    int rc = GNV_OK;
    const gnv__policy *p = a->policy;
    int attempts = p->attempts > 0 ? p->attempts : 1;
    attempt_err *errs = NULL;
    int made = 0;
    if (n == 0 || a->row_by_row)
        return n ? row_by_row(a, out, addrs, n) : a->compute(out, addrs, n, a->payload);
    for (;;) {
        (void)gnv__udf_take_rc();
        rc = a->compute(out, addrs, n, a->payload);
        if (rc != GNV_EUDF)
            goto done; /* computed, or an error that is not the function's */
        int prc = gnv__udf_take_rc();
        if (!errs) { /* the first failure: room for every attempt's */
            errs = gnv__calloc((size_t)attempts, sizeof *errs);
            GNV_CHECK_ALLOC(errs);
        }
        note_error(&errs[made], rc, prc);
        made++;
        if (made >= attempts ||
            !retryable(p, errs[made - 1].code, errs[made - 1].type, errs[made - 1].msg))
            break;
        gnv_error_clear();
        a->log->retries++;
        backoff(p, made + 1);
    }
    gnv_error_clear();
    if (p->action == GNV_ON_ERROR_SKIP)
        rc = row_by_row(a, out, addrs, n);
    else
        rc = record_failure(a, addrs, n, errs, made);
done:
    gnv__free(errs);
    return rc;
}

/* ---- reading the errors back ----------------------------------------------------- */

static int put_cond(gnv_buf *b, const char *col, const char *val)
{
    if (!val)
        return GNV_OK;
    GNV_TRY(gnv__buf_printf(b, "%s\"%s\" = '", b->size ? " AND " : "", col));
    for (const char *p = val; *p; p++)
        GNV_TRY(*p == '\'' ? gnv__buf_puts(b, "''") : gnv__buf_putc(b, *p));
    return gnv__buf_putc(b, '\'');
}

static int errors_scan(gnv_table *t,
                       const gnv_errors_filter *f,
                       const char *const *cols,
                       size_t n_cols,
                       struct ArrowArrayStream *out)
{
    int rc = GNV_OK;
    gnv_table *et = NULL;
    gnv_buf where = GNV_BUF_INIT;
    GNV_ERR_IF(!t || !out, GNV_EINVAL, GNV_SUB_JOB, "errors: a table and an output are required");
    GNV_TRYG(put_cond(&where, "table", t->name));
    if (f) {
        GNV_TRYG(put_cond(&where, "job_id", f->job_id));
        GNV_TRYG(put_cond(&where, "column", f->column));
        GNV_TRYG(put_cond(&where, "error_type", f->error_type));
    }
    GNV_TRYG(open_errors(&et, t));
    gnv_scan_options so = GNV_SCAN_OPTIONS_INIT;
    so.where = where.ptr;
    so.columns = cols;
    so.n_columns = n_cols;
    GNV_TRYG(gnv_table_scan(et, &so, out));
done:
    gnv_table_close(et);
    gnv_buf_dispose(&where);
    return rc;
}

int gnv_table_get_errors(gnv_table *t,
                         const gnv_errors_filter *filter,
                         struct ArrowArrayStream *out)
{
    return errors_scan(t, filter, NULL, 0, out);
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

int gnv_table_get_failed_row_addresses(
    gnv_table *t, const char *job_id, const char *column, uint64_t **out, size_t *n)
{
    int rc = GNV_OK;
    struct ArrowArrayStream s = {0};
    struct ArrowSchema sc = {0};
    uint64_t *v = NULL;
    size_t len = 0, cap = 0;
    GNV_ERR_IF(!out || !n, GNV_EINVAL, GNV_SUB_JOB, "failed row addresses: outputs required");
    *out = NULL;
    *n = 0;
    gnv_errors_filter f = {job_id, column, NULL};
    const char *cols[1] = {"row_address"};
    GNV_TRYG(errors_scan(t, &f, cols, 1, &s));
    GNV_TRYG(gnv__stream_get_schema(&s, &sc));
    for (;;) {
        struct ArrowArray a;
        gnv_array_view view = {0};
        rc = gnv__stream_next(&s, &a);
        if (rc == GNV_ITEROVER) {
            rc = GNV_OK;
            break;
        }
        if (rc < 0)
            goto done;
        rc = gnv__array_view_init(&view, &sc, &a);
        for (int64_t i = 0; rc == GNV_OK && i < a.length; i++) {
            if (gnv__view_is_null(&view.children[0], i))
                continue;
            if (len == cap) {
                size_t c2 = cap ? cap * 2 : 64;
                uint64_t *g = gnv__reallocarray(v, c2, sizeof *g);
                if (!g) {
                    rc = gnv__error_oom();
                    break;
                }
                v = g;
                cap = c2;
            }
            v[len++] = gnv__view_get_uint(&view.children[0], i);
        }
        gnv__array_view_reset(&view);
        gnv__array_release(&a);
        if (rc < 0)
            goto done;
    }
    if (len) {
        qsort(v, len, sizeof *v, cmp_u64);
        size_t k = 1;
        for (size_t i = 1; i < len; i++)
            if (v[i] != v[k - 1])
                v[k++] = v[i];
        len = k;
    }
    *out = v;
    *n = len;
    v = NULL;
done:
    gnv__free(v);
    gnv__schema_release(&sc);
    if (s.release)
        gnv__stream_release(&s);
    return rc;
}

/* ---- backfill glue ---------------------------------------------------------------- */

int gnv__job_policy(gnv__policy *out,
                    char job_id[40],
                    const gnv_backfill_options *o,
                    const gnv__udf_coldef *def,
                    const char *column)
{
    if (o->job_id && *o->job_id) {
        size_t n = strlen(o->job_id);
        bool ok = n < 40;
        for (size_t i = 0; ok && i < n; i++) {
            char c = o->job_id[i];
            ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                 c == '-' || c == '_';
        }
        if (!ok)
            return gnv__error_set(GNV_EINVAL, GNV_SUB_JOB,
                                  "backfill options: bad job_id '%s' (at most 39 letters, digits, "
                                  "'-' and '_')",
                                  o->job_id);
        memcpy(job_id, o->job_id, n + 1);
    } else {
        GNV_TRY(gnv__job_id_new(job_id));
    }
    if (o->on_error && o->on_error->action != GNV_ON_ERROR_DEFAULT)
        return gnv__policy_from(out, o->on_error, "backfill options");
    if (def->has_on_error) {
        *out = def->on_error;
        out->match = NULL;
        if (def->on_error.match) {
            out->match = gnv__strdup(def->on_error.match);
            if (!out->match)
                return gnv__error_oom();
        }
        return GNV_OK;
    }
    return gnv__policy_from(out, NULL, "backfill options");
}

static int worker_dir(gnv_buf *b, const gnv_table *t)
{
    return gnv__buf_printf(b, "%s/%s", t->dir, GNV__ERRORS_DIR);
}

int gnv__job_worker_log(const gnv__errlog *l, const gnv_table *t, const char *job_id)
{
    int rc = GNV_OK;
    gnv_buf path = GNV_BUF_INIT;
    if (l->n == 0 && l->retries == 0)
        return GNV_OK;
    GNV_TRYG(worker_dir(&path, t));
    GNV_TRYG(gnv__buf_printf(&path, "/%s-%ld.json", job_id, (long)getpid()));
    rc = gnv__errlog_save(l, t->io, path.ptr);
done:
    gnv_buf_dispose(&path);
    return rc;
}

typedef struct collect_ctx {
    const char *prefix;
    gnv_strset names;
} collect_ctx;

static int collect_cb(const char *name, int is_dir, void *payload)
{
    collect_ctx *c = payload;
    if (is_dir || strncmp(name, c->prefix, strlen(c->prefix)) != 0)
        return 0;
    return gnv__strset_add(&c->names, name, strlen(name), NULL);
}

int gnv__job_collect_logs(gnv__errlog *l, const gnv_table *t, const char *job_id)
{
    int rc = GNV_OK;
    gnv_buf dir = GNV_BUF_INIT, path = GNV_BUF_INIT, prefix = GNV_BUF_INIT;
    collect_ctx c = {NULL, {0}};
    GNV_TRYG(worker_dir(&dir, t));
    GNV_TRYG(gnv__buf_printf(&prefix, "%s-", job_id));
    c.prefix = prefix.ptr;
    rc = t->io->vt->list(t->io, dir.ptr, collect_cb, &c);
    if (rc == GNV_ENOTFOUND) { /* no worker wrote one */
        gnv_error_clear();
        rc = GNV_OK;
        goto done;
    }
    if (rc < 0)
        goto done;
    for (size_t i = 0; i < c.names.cap; i++) {
        if (!c.names.slots[i])
            continue;
        gnv__buf_clear(&path);
        GNV_TRYG(gnv__buf_printf(&path, "%s/%s", dir.ptr, c.names.slots[i]));
        GNV_TRYG(gnv__errlog_load(l, t->io, path.ptr));
        (void)t->io->vt->remove(t->io, path.ptr);
        gnv_error_clear();
    }
done:
    gnv__strset_reset(&c.names);
    gnv_buf_dispose(&dir);
    gnv_buf_dispose(&path);
    gnv_buf_dispose(&prefix);
    return rc;
}

int gnv__job_over_budget(const gnv__errlog *l,
                         const gnv__policy *p,
                         const char *column,
                         int64_t rows)
{
    char budget[64];
    if (p->max_skipped_rows >= 0)
        snprintf(budget, sizeof budget, "%" PRId64 " rows", p->max_skipped_rows);
    else
        snprintf(budget, sizeof budget, "%g%% of %" PRId64 " rows", p->max_skipped_fraction * 100,
                 rows);
    const gnv__err_rec *r = l->n ? &l->recs[0] : NULL;
    return gnv__error_set(GNV_EUDF, GNV_SUB_JOB,
                          "column '%s': %zu rows skipped, more than the skip budget of %s; the "
                          "first: row %" PRIu64 ": %s",
                          column, l->n, budget, r ? r->addr : 0, r ? r->message : "?");
}
