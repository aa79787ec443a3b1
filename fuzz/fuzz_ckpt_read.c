/*
 * Fuzz target: backfill checkpoint files. The first byte picks the column type a
 * checkpoint is expected to hold (int32, utf8, fixed_size_list<float32, 8>,
 * list<utf8>), the second the number of rows n (0..255), whose offsets are expected to
 * be 3i; the rest is the file given to gnv__ckpt_decode. Damaged, stale or mismatching
 * bytes must only leave "not usable" (ok false) without an error, except for
 * GNV_ENOMEM; an accepted file must yield n valid values of the type.
 */
#include <stdint.h>
#include <stdlib.h>

#include "job/job.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const types[] = {"int32", "utf8", "fixed_size_list<float32, 8>", "list<utf8>"};

static const struct ArrowSchema *value_schema(int k)
{
    static struct ArrowSchema s[4];
    if (!s[k].release && gnv__type_from_string(&s[k], types[k], "value") != GNV_OK)
        abort();
    return &s[k];
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    const struct ArrowSchema *value = value_schema(data[0] % 4);
    int64_t n = data[1];
    uint32_t rows[256];
    for (int64_t i = 0; i < n; i++)
        rows[i] = (uint32_t)(3 * i);
    bool ok = true;
    struct ArrowArray values = {0};
    int rc = gnv__ckpt_decode(&ok, &values, data + 2, size - 2, "fuzz", value, rows, n);
    if (rc != GNV_OK) {
        if (rc != GNV_ENOMEM || !gnv_error_last())
            abort();
        return 0;
    }
    if (!ok) {
        if (values.release)
            abort(); /* nothing handed out */
        return 0;
    }
    if (values.length != n || gnv__array_validate(value, &values, true) != GNV_OK)
        abort();
    gnv__array_release(&values);
    return 0;
}
