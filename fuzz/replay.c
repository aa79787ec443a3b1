/*
 * Replay driver: runs a fuzz target's LLVMFuzzerTestOneInput over every file named on
 * the command line, and every file inside directories named there (not recursive), so
 * the corpus is a regression test in ordinary (gcc, no libFuzzer) builds.
 *
 *   replay_<target> DIR|FILE...
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "util/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int run_file(const char *path)
{
    gnv_buf buf = GNV_BUF_INIT;
    if (gnv__read_file(&buf, path, GNV_SUB_ARROW) < 0) {
        const gnv_error *e = gnv_error_last();
        fprintf(stderr, "replay: %s\n", e ? e->message : path);
        return -1;
    }
    /* A private copy of exactly `size` bytes, so ASan sees reads past the end. */
    uint8_t *copy = gnv__malloc(buf.size ? buf.size : 1);
    if (!copy) {
        gnv_buf_dispose(&buf);
        return -1;
    }
    if (buf.size)
        memcpy(copy, buf.ptr, buf.size);
    LLVMFuzzerTestOneInput(copy, buf.size);
    gnv__free(copy);
    gnv_buf_dispose(&buf);
    return 0;
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int run_dir(const char *dir, int *count)
{
    DIR *d = opendir(dir);
    if (!d) {
        fprintf(stderr, "replay: cannot open %s\n", dir);
        return -1;
    }
    char **names = NULL;
    size_t n = 0;
    int rc = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char **grown = gnv__reallocarray(names, n + 1, sizeof *names);
        if (!grown) {
            rc = -1;
            break;
        }
        names = grown;
        names[n] = gnv__malloc(strlen(dir) + strlen(e->d_name) + 2);
        if (!names[n]) {
            rc = -1;
            break;
        }
        sprintf(names[n++], "%s/%s", dir, e->d_name);
    }
    closedir(d);
    if (n)
        qsort(names, n, sizeof *names, cmp_names);
    for (size_t i = 0; i < n; i++) {
        struct stat st;
        if (rc == 0 && stat(names[i], &st) == 0 && S_ISREG(st.st_mode)) {
            if (run_file(names[i]) < 0)
                rc = -1;
            else
                (*count)++;
        }
        gnv__free(names[i]);
    }
    gnv__free(names);
    return rc;
}

int main(int argc, char **argv)
{
    int count = 0, rc = 0;
    if (argc < 2) {
        fprintf(stderr, "usage: %s DIR|FILE...\n", argv[0]);
        return 2;
    }
    for (int i = 1; i < argc && rc == 0; i++) {
        struct stat st;
        if (stat(argv[i], &st) != 0) {
            fprintf(stderr, "replay: no such file or directory: %s\n", argv[i]);
            rc = -1;
        } else if (S_ISDIR(st.st_mode)) {
            rc = run_dir(argv[i], &count);
        } else if (run_file(argv[i]) == 0) {
            count++;
        } else {
            rc = -1;
        }
    }
    printf("replayed %d inputs\n", count);
    return rc == 0 && count > 0 ? 0 : 1;
}
