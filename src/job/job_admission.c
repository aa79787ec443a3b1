/*
 * Admission control (DESIGN 5b): before a backfill starts, the workers it asks for times
 * its function's resource hints (CPUs per call, bytes of memory) are compared with what
 * this machine has: the CPUs this process may run on (sched_getaffinity, else
 * sysconf) and the memory the kernel says is available (MemAvailable of
 * /proc/meminfo). A job that cannot run as asked (one worker needs more CPUs than the
 * machine has, or the workers together more memory than is available) is refused when
 * strict (the default, as Geneva's; GNV_EINVAL saying what to lower), else a warning
 * goes to the options' `warn` callback and the job's record. More CPUs than the
 * machine has in all only makes the workers share them: always a warning.
 */
#include <inttypes.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "job.h"

/* Geneva's default number of workers (at most the CPUs of this machine) */
#define DEFAULT_CONCURRENCY 8

static int machine_cpus(void)
{
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0) {
        int n = CPU_COUNT(&set);
        if (n > 0)
            return n;
    }
    return gnv__ncpus();
}

int gnv__default_concurrency(void)
{
    return GNV_MIN(DEFAULT_CONCURRENCY, machine_cpus());
}

/* MemAvailable in bytes; 0 when unknown. */
static uint64_t machine_memory(void)
{
    FILE *f = fopen("/proc/meminfo", "r");
    uint64_t kb = 0;
    if (!f)
        return 0;
    char line[256];
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "MemAvailable: %" SCNu64 " kB", &kb) == 1)
            break;
    fclose(f);
    return kb * 1024;
}

/* opt when set (0 or 1), else the environment variable (`on` when it equals "1" or
 * "true" for strictness; off when "0" or "false" for the check), else dflt. */
static bool setting(int opt, const char *env, bool dflt)
{
    if (opt == 0 || opt == 1)
        return opt == 1;
    const char *e = getenv(env);
    if (!e || !*e)
        return dflt;
    if (!strcmp(e, "0") || !strcasecmp(e, "false") || !strcasecmp(e, "no") || !strcasecmp(e, "off"))
        return false;
    return true;
}

static void human_bytes(char *buf, size_t size, uint64_t b)
{
    if (b >= (UINT64_C(1) << 40))
        snprintf(buf, size, "%.1f TiB", (double)b / (double)(UINT64_C(1) << 40));
    else if (b >= (UINT64_C(1) << 30))
        snprintf(buf, size, "%.1f GiB", (double)b / (double)(UINT64_C(1) << 30));
    else
        snprintf(buf, size, "%.0f MiB", (double)b / (double)(UINT64_C(1) << 20));
}

int gnv__admission_check(const gnv_udf_function *fn,
                         int workers,
                         const gnv_backfill_options *o,
                         gnv__jobrun *run)
{
    bool check = true, strict = true;
    if (o && o->version >= 2) {
        check = setting(o->admission_check, "GENEVA_ADMISSION_CHECK", true);
        strict = setting(o->admission_strict, "GENEVA_ADMISSION_STRICT", true);
    } else {
        check = setting(-1, "GENEVA_ADMISSION_CHECK", true);
        strict = setting(-1, "GENEVA_ADMISSION_STRICT", true);
    }
    if (!check || !fn || workers < 1)
        return GNV_OK;
    double cpus = gnv_udf_function_num_cpus(fn);
    if (cpus <= 0)
        cpus = 1;
    uint64_t mem = gnv_udf_function_memory(fn);
    int have_cpus = machine_cpus();
    uint64_t have_mem = mem ? machine_memory() : 0;
    char msg[1024] = "";
    size_t len = 0;
    bool refuse = false; /* the job cannot run as asked */
    double need = cpus * workers;
    if (cpus > have_cpus + 1e-9) {
        refuse = true;
        len +=
            (size_t)snprintf(msg + len, sizeof msg - len,
                             "asks %g cpus for each worker; this machine has %d", cpus, have_cpus);
    } else if (need > have_cpus + 1e-9) {
        int fit = (int)((double)have_cpus / cpus);
        len += (size_t)snprintf(msg + len, sizeof msg - len,
                                "asks %d workers x %g cpus = %g cpus; this machine has %d, so "
                                "they will share them (lower --concurrency (concurrency) to %d "
                                "to give each its own)",
                                workers, cpus, need, have_cpus, fit);
    }
    if (mem && have_mem && (double)mem * workers > (double)have_mem) {
        char m1[32], m2[32], m3[32];
        human_bytes(m1, sizeof m1, mem);
        human_bytes(m2, sizeof m2, (uint64_t)((double)mem * workers));
        human_bytes(m3, sizeof m3, have_mem);
        uint64_t fit = have_mem / mem;
        refuse = true;
        if (len && len < sizeof msg)
            len += (size_t)snprintf(msg + len, sizeof msg - len, "; ");
        if (len < sizeof msg) {
            if (fit >= 1)
                len += (size_t)snprintf(
                    msg + len, sizeof msg - len,
                    "asks %d workers x %s = %s of memory; %s is available: lower --concurrency "
                    "(concurrency) to %" PRIu64,
                    workers, m1, m2, m3, fit);
            else
                len += (size_t)snprintf(msg + len, sizeof msg - len,
                                        "asks %d workers x %s = %s of memory; only %s is available",
                                        workers, m1, m2, m3);
        }
    }
    if (len == 0)
        return GNV_OK;
    if (refuse && strict)
        return gnv__error_set(GNV_EINVAL, GNV_SUB_JOB,
                              "admission: the job %s (or turn the check off: "
                              "GENEVA_ADMISSION_CHECK=0)",
                              msg);
    char warn[1100];
    snprintf(warn, sizeof warn, "admission: the job %s; running it anyway", msg);
    if (o && o->version >= 2 && o->warn)
        o->warn(warn, o->warn_payload);
    gnv__jobrun_warn(run, warn);
    return GNV_OK;
}

int gnv__admission_check_column(gnv_table *t, const char *column, const gnv_backfill_options *o)
{
    int rc = GNV_OK;
    gnv__udf_coldef def = {0};
    gnv_udf_library *lib = NULL;
    const gnv_udf_function *fn = NULL;
    gnv_buf full = GNV_BUF_INIT;
    GNV_TRYG(gnv__udf_coldef_of(&def, NULL, t, column));
    GNV_TRYG(gnv__buf_printf(&full, "%s/%s/%s/%s", t->db->path, t->dir, GNV__UDF_DIR, def.library));
    /* a missing library is reported by the job itself */
    if (gnv_udf_library_open(&lib, full.ptr) < 0 ||
        gnv_udf_library_find(&fn, lib, def.function) < 0) {
        gnv_error_clear();
        goto done;
    }
    int workers = 1;
    if (o && o->executor == GNV_EXECUTOR_PROCESS)
        workers = o->concurrency > 0 ? o->concurrency : gnv__default_concurrency();
    rc = gnv__admission_check(fn, workers, o, NULL);
done:
    gnv_udf_library_close(lib);
    gnv__udf_coldef_reset(&def);
    gnv_buf_dispose(&full);
    return rc;
}
