/*
 * Fuzz target: CSV and JSON Lines readers. The first byte picks the reader and its
 * options; the rest is the file. Every batch is consumed and validated, and every value
 * printed as JSON (which reads every value through a view).
 *
 * First byte: bit 0 JSONL (else CSV); bits 1-2 batch_rows 7/1/2/default; bit 3
 * csv_no_header; bit 4 ';' delimiter; bits 5-6 infer_rows 3/1/50/default; bit 7 a type
 * override. Small values are the common case: the defaults (65536 rows per batch, 10000
 * rows to infer) make each run allocate much more than a small input needs, which slows
 * fuzzing down tenfold under ASan.
 */
#include <stdint.h>
#include <stdlib.h>

#include "arrow/arrow.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_error(int rc)
{
    if (rc < 0 && rc != GNV_ITEROVER && gnv_error_last() == NULL)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const int64_t batch_rows[] = {7, 1, 2, 0};
    static const int64_t infer_rows[] = {3, 1, 50, 0};
    if (size == 0)
        return 0;
    uint8_t sel = data[0];
    gnv_read_options opts = GNV_READ_OPTIONS_INIT;
    opts.batch_rows = batch_rows[(sel >> 1) & 3];
    opts.csv_no_header = (sel >> 3) & 1;
    opts.csv_delimiter = (sel >> 4) & 1 ? ';' : ',';
    opts.infer_rows = infer_rows[(sel >> 5) & 3];
    if (sel & 0x80)
        opts.types = (sel & 1) ? "a:int32,b:list<float64>,c:timestamp[ms, tz=UTC]"
                               : "a:int32,b:date32,f1:timestamp[ms]";

    struct ArrowArrayStream stream = {0};
    struct ArrowSchema schema = {0};
    struct ArrowArray batch = {0};
    gnv_buf text = GNV_BUF_INIT;
    int rc = (sel & 1) ? gnv__jsonl_open_memory(&stream, data + 1, size - 1, "fuzz.jsonl", &opts)
                       : gnv__csv_open_memory(&stream, data + 1, size - 1, "fuzz.csv", &opts);
    check_error(rc);
    if (rc < 0)
        return 0;
    rc = gnv__stream_get_schema(&stream, &schema);
    check_error(rc);
    if (rc < 0)
        goto done;
    if (gnv__schema_validate(&schema) < 0)
        abort();
    for (int nb = 0; nb < 100000; nb++) {
        rc = gnv__stream_next(&stream, &batch);
        check_error(rc);
        if (rc != GNV_OK)
            break;
        /* What the reader hands out must be a valid array for its schema. */
        if (gnv__array_validate(&schema, &batch, true) < 0)
            abort();
        gnv_array_view view;
        if (gnv__array_view_init(&view, &schema, &batch) == GNV_OK) {
            for (int64_t c = 0; c < view.n_children; c++)
                for (int64_t i = 0; i < view.length; i++) {
                    gnv__buf_clear(&text);
                    check_error(gnv__print_json_value(&text, &view.children[c], i));
                }
            gnv__array_view_reset(&view);
        }
        gnv__array_release(&batch);
    }
done:
    gnv_buf_dispose(&text);
    gnv__schema_release(&schema);
    gnv__stream_release(&stream);
    return 0;
}
