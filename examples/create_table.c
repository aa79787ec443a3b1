/* The README example: load a CSV file into a Lance table and print its first rows.
 *
 *   cc create_table.c $(pkg-config --cflags --libs geneva) -o create_table
 *   ./create_table      (reads products.csv in the current directory, writes ./mydb)
 */
#include <geneva/geneva.h>
#include <stdio.h>

int main(void)
{
    gnv_db *db = NULL;
    gnv_table *t = NULL;
    struct ArrowArrayStream in, rows;
    gnv_scan_options scan = GNV_SCAN_OPTIONS_INIT;
    gnv_print_options print = GNV_PRINT_OPTIONS_INIT;

    int rc = gnv_read_file(&in, "products.csv", NULL); /* CSV, JSONL or Arrow IPC */
    if (rc == GNV_OK && (rc = gnv_db_open(&db, "mydb", NULL)) == GNV_OK)
        rc = gnv_db_create_table(&t, db, "products", &in, NULL, NULL);
    if (in.release)
        in.release(&in);
    scan.limit = 5;
    if (rc == GNV_OK && (rc = gnv_table_scan(t, &scan, &rows)) == GNV_OK) {
        rc = gnv_print_stream(stdout, &rows, &print, NULL);
        rows.release(&rows);
    }
    if (rc != GNV_OK)
        fprintf(stderr, "error: %s\n", gnv_error_last()->message);
    gnv_table_close(t);
    gnv_db_close(db);
    return rc == GNV_OK ? 0 : 1;
}
