/*
 * date_part(part, value) (and EXTRACT) over date32 and timestamps of any unit. Parts:
 * year, quarter, month, week (ISO), day, hour, minute, second, millisecond, microsecond,
 * nanosecond (the last three include the seconds, as DataFusion), dow (0 = Sunday), doy,
 * isodow (0 = Monday), epoch (seconds since 1970, with the fraction). Timestamps with a
 * time zone are read in that zone when it is UTC or a fixed offset (+HH:MM); named zones
 * are an error. The result is stored in the bound result type (float64 keeps the
 * fraction of seconds and epoch).
 */
#include <ctype.h>
#include <math.h>
#include <string.h>
#include <strings.h>

#include "expr/expr_kernel.h"

void gnv__civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t yy = (int64_t)yoe + era * 400;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = yy + (*m <= 2);
}

int64_t gnv__days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static int64_t floordiv(int64_t a, int64_t b)
{
    int64_t q = a / b;
    if ((a % b != 0) && ((a < 0) != (b < 0)))
        q--;
    return q;
}

int64_t gnv__unit_per_second(gnv_time_unit u)
{
    switch (u) {
    case GNV_UNIT_SECOND:
        return 1;
    case GNV_UNIT_MILLI:
        return 1000;
    case GNV_UNIT_MICRO:
        return 1000000;
    default:
        return 1000000000;
    }
}

/* Offset in seconds of a time zone name that is UTC or a fixed offset; false otherwise. */
bool gnv__tz_offset(const char *tz, int64_t *secs)
{
    *secs = 0;
    if (!tz || !*tz || strcmp(tz, "UTC") == 0 || strcmp(tz, "Z") == 0 ||
        strcmp(tz, "Etc/UTC") == 0 || strcmp(tz, "utc") == 0 || strcmp(tz, "GMT") == 0)
        return true;
    if ((tz[0] == '+' || tz[0] == '-') && isdigit((unsigned char)tz[1]) &&
        isdigit((unsigned char)tz[2])) {
        int h = (tz[1] - '0') * 10 + (tz[2] - '0'), mi = 0;
        const char *p = tz + 3;
        if (*p == ':')
            p++;
        if (isdigit((unsigned char)p[0]) && isdigit((unsigned char)p[1])) {
            mi = (p[0] - '0') * 10 + (p[1] - '0');
            p += 2;
        }
        if (*p || h > 23 || mi > 59)
            return false;
        *secs = (int64_t)(h * 3600 + mi * 60) * (tz[0] == '-' ? -1 : 1);
        return true;
    }
    return false;
}

typedef enum part {
    P_YEAR,
    P_QUARTER,
    P_MONTH,
    P_WEEK,
    P_DAY,
    P_HOUR,
    P_MINUTE,
    P_SECOND,
    P_MILLI,
    P_MICRO,
    P_NANO,
    P_DOW,
    P_DOY,
    P_ISODOW,
    P_EPOCH
} part;

static bool parse_part(const uint8_t *s, int64_t len, part *out)
{
    static const struct {
        const char *name;
        part p;
    } names[] = {
        {"year", P_YEAR},
        {"years", P_YEAR},
        {"quarter", P_QUARTER},
        {"month", P_MONTH},
        {"months", P_MONTH},
        {"week", P_WEEK},
        {"weeks", P_WEEK},
        {"day", P_DAY},
        {"days", P_DAY},
        {"hour", P_HOUR},
        {"hours", P_HOUR},
        {"minute", P_MINUTE},
        {"minutes", P_MINUTE},
        {"second", P_SECOND},
        {"seconds", P_SECOND},
        {"millisecond", P_MILLI},
        {"milliseconds", P_MILLI},
        {"microsecond", P_MICRO},
        {"microseconds", P_MICRO},
        {"nanosecond", P_NANO},
        {"nanoseconds", P_NANO},
        {"dow", P_DOW},
        {"doy", P_DOY},
        {"isodow", P_ISODOW},
        {"epoch", P_EPOCH},
    };
    for (size_t i = 0; i < GNV_ARRAY_SIZE(names); i++)
        if ((int64_t)strlen(names[i].name) == len &&
            strncasecmp(names[i].name, (const char *)s, (size_t)len) == 0) {
            *out = names[i].p;
            return true;
        }
    return false;
}

/* ISO week number of a date. */
static int64_t iso_week(int64_t days)
{
    int64_t wd = ((days % 7) + 7 + 3) % 7; /* 0 = Monday; 1970-01-01 was a Thursday */
    int64_t thursday = days - wd + 3;
    int64_t y;
    unsigned m, d;
    gnv__civil_from_days(thursday, &y, &m, &d);
    int64_t jan1 = gnv__days_from_civil(y, 1, 1);
    return (thursday - jan1) / 7 + 1;
}

int gnv__kernel_date(struct ArrowArray *out,
                     const gnv_expr_node *node,
                     const gnv_datum *args,
                     int64_t n)
{
    int rc = GNV_OK;
    kin k[2];
    kout o = {0};
    double *fb = NULL;
    int64_t *ib = NULL;
    if (node->n_args != 2)
        return gnv__error_set(GNV_EINVAL, GNV_SUB_EXPR, "date_part() takes 2 arguments");
    for (int a = 0; a < 2; a++)
        GNV_TRY(gnv__kin_init(&k[a], &args[a]));
    if (!k[0].scalar || !gnv__type_is_binary_like(k[0].type.id) || k[0].all_null)
        return gnv__error_set(GNV_EINVAL, GNV_SUB_EXPR,
                              "date_part(): the part must be a constant string such as 'year'");
    gnv_type_id id = k[1].type.id;
    if (id != GNV_TYPE_DATE32 && id != GNV_TYPE_TIMESTAMP && id != GNV_TYPE_NA)
        return gnv__error_set(GNV_EINVAL, GNV_SUB_EXPR,
                              "date_part() needs a date or a timestamp, not %s",
                              gnv__ktype_name(args[1].schema));
    int64_t pl;
    const uint8_t *ps = kin_bytes(&k[0], 0, &pl);
    part p;
    if (!parse_part(ps, pl, &p))
        return gnv__error_set(GNV_EINVAL, GNV_SUB_EXPR, "date_part(): unknown part '%.*s'",
                              (int)(pl > 40 ? 40 : pl), (const char *)ps);
    int64_t tz = 0;
    if (id == GNV_TYPE_TIMESTAMP && !gnv__tz_offset(k[1].type.timezone, &tz))
        return gnv__error_set(GNV_ENOTSUP, GNV_SUB_EXPR,
                              "date_part(): time zone '%s' is not supported (only UTC and "
                              "fixed offsets such as +02:00)",
                              k[1].type.timezone);
    if (id == GNV_TYPE_DATE32 && (p == P_HOUR || p == P_MINUTE || p == P_SECOND || p == P_MILLI ||
                                  p == P_MICRO || p == P_NANO)) {
        /* DataFusion: time parts of a date are 0 */
    }
    const kin *ins[1] = {&k[1]};
    GNV_TRY(gnv__kout_init(&o, out, &node->type, n, gnv__kany_null(ins, 1)));
    gnv__kvalidity_and(&o, ins, 1);
    bool as_float = gnv__kdom(o.type.id) == KD_F64;
    GNV_ERR_IF(gnv__kdom(o.type.id) == KD_NONE || o.type.id == GNV_TYPE_BOOL, GNV_EINVAL,
               GNV_SUB_EXPR, "date_part() cannot return %s", gnv__ktype_name(&node->type));
    if (k[1].all_null)
        goto finish;
    fb = gnv__malloc(KCHUNK * sizeof *fb);
    ib = gnv__malloc(KCHUNK * sizeof *ib);
    GNV_CHECK_ALLOC(fb);
    GNV_CHECK_ALLOC(ib);
    int64_t per = id == GNV_TYPE_TIMESTAMP ? gnv__unit_per_second(k[1].type.unit) : 1;
    for (int64_t s = 0; s < n; s += KCHUNK) {
        int64_t m = GNV_MIN(KCHUNK, n - s);
        gnv__kload_i64(&k[1], s, m, ib);
        for (int64_t j = 0; j < m; j++) {
            int64_t v = ib[j], days, secs = 0, frac = 0; /* frac: nanoseconds */
            if (id == GNV_TYPE_DATE32) {
                days = v;
            } else {
                int64_t sec = v / per, rem = v % per;
                if (rem < 0)
                    rem += per, sec--;
                frac = rem * (1000000000 / per);
                if (__builtin_add_overflow(sec, tz, &sec))
                    sec = 0;
                days = floordiv(sec, 86400);
                secs = sec - days * 86400;
            }
            int64_t y;
            unsigned mo, d;
            gnv__civil_from_days(days, &y, &mo, &d);
            double r;
            switch (p) {
            case P_YEAR:
                r = (double)y;
                break;
            case P_QUARTER:
                r = (mo - 1) / 3 + 1;
                break;
            case P_MONTH:
                r = mo;
                break;
            case P_WEEK:
                r = (double)iso_week(days);
                break;
            case P_DAY:
                r = d;
                break;
            case P_HOUR:
                r = (double)(secs / 3600);
                break;
            case P_MINUTE:
                r = (double)(secs / 60 % 60);
                break;
            case P_SECOND:
                r = (double)(secs % 60) + (as_float ? (double)frac / 1e9 : 0);
                break;
            case P_MILLI:
                r = (double)(secs % 60) * 1e3 + (double)(frac / 1000000);
                if (as_float)
                    r = (double)(secs % 60) * 1e3 + (double)frac / 1e6;
                break;
            case P_MICRO:
                r = (double)(secs % 60) * 1e6 + (double)(frac / 1000);
                if (as_float)
                    r = (double)(secs % 60) * 1e6 + (double)frac / 1e3;
                break;
            case P_NANO:
                r = (double)(secs % 60) * 1e9 + (double)frac;
                break;
            case P_DOW:
                r = (double)(((days % 7) + 7 + 4) % 7);
                break;
            case P_ISODOW:
                r = (double)(((days % 7) + 7 + 3) % 7);
                break;
            case P_DOY:
                r = (double)(days - gnv__days_from_civil(y, 1, 1) + 1);
                break;
            default: /* P_EPOCH */
                if (id == GNV_TYPE_DATE32)
                    r = (double)days * 86400.0;
                else
                    r = (double)(v / per) + (double)(v % per) / (double)per;
                break;
            }
            fb[j] = as_float ? r : floor(r);
        }
        if (as_float) {
            gnv__kstore_f64(&o, s, m, fb);
        } else {
            for (int64_t j = 0; j < m; j++) {
                double r = fb[j];
                ib[j] = r >= 9.2e18 ? INT64_MAX : r <= -9.2e18 ? INT64_MIN : (int64_t)r;
            }
            gnv__kstore_i64(&o, s, m, ib);
        }
    }
finish:
    rc = gnv__kout_finish(&o);
    o.a = NULL;
done:
    gnv__free(fb);
    gnv__free(ib);
    if (rc < 0)
        gnv__kout_abort(&o);
    return rc;
}
