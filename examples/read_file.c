/* Read a CSV, JSON Lines or Arrow IPC file and print its schema and first rows.
 *
 *   cc read_file.c $(pkg-config --cflags --libs geneva) -o read_file
 *   ./read_file products.csv
 */
#include <geneva/geneva.h>
#include <stdio.h>

int main(int argc, char **argv)
{
    struct ArrowArrayStream stream;
    struct ArrowSchema schema;
    gnv_buf text = GNV_BUF_INIT;
    gnv_print_options print = GNV_PRINT_OPTIONS_INIT;

    if (argc != 2) {
        fprintf(stderr, "usage: %s FILE\n", argv[0]);
        return 2;
    }
    if (gnv_read_file(&stream, argv[1], NULL) != GNV_OK) {
        fprintf(stderr, "error: %s\n", gnv_error_last()->message);
        return 1;
    }
    /* The schema comes through the Arrow C Stream Interface; describe it as text. */
    if (stream.get_schema(&stream, &schema) == 0) {
        if (gnv_schema_describe(&text, &schema) == GNV_OK)
            printf("%s\n", text.ptr);
        schema.release(&schema);
        gnv_buf_dispose(&text);
    }
    print.format = GNV_PRINT_JSONL;
    print.limit = 5;
    int rc = gnv_print_stream(stdout, &stream, &print, NULL);
    if (rc != GNV_OK)
        fprintf(stderr, "error: %s\n", gnv_error_last()->message);
    stream.release(&stream);
    return rc == GNV_OK ? 0 : 1;
}
