/*
 * A set of strings: open addressing with linear probing over xxh3, grown at half full.
 * Used where a job must remember many names (the files a cleanup keeps).
 */
#include <string.h>

#include "util/util.h"

static size_t slot_of(const gnv_strset *set, const char *s, size_t n)
{
    size_t mask = set->cap - 1, i = (size_t)gnv__xxh3(s, n) & mask;
    while (set->slots[i] && (strlen(set->slots[i]) != n || memcmp(set->slots[i], s, n) != 0))
        i = (i + 1) & mask;
    return i;
}

static int grow(gnv_strset *set)
{
    size_t cap = set->cap ? set->cap * 2 : 64;
    gnv_strset bigger = {gnv__calloc(cap, sizeof(char *)), cap, set->n};
    if (!bigger.slots)
        return gnv__error_oom();
    for (size_t i = 0; i < set->cap; i++)
        if (set->slots[i])
            bigger.slots[slot_of(&bigger, set->slots[i], strlen(set->slots[i]))] = set->slots[i];
    gnv__free(set->slots);
    *set = bigger;
    return GNV_OK;
}

int gnv__strset_add(gnv_strset *set, const char *s, size_t n, bool *added)
{
    if (added)
        *added = false;
    if ((set->n + 1) * 2 > set->cap) {
        int rc = grow(set);
        if (rc < 0)
            return rc;
    }
    size_t i = slot_of(set, s, n);
    if (set->slots[i])
        return GNV_OK;
    set->slots[i] = gnv__strndup(s, n);
    if (!set->slots[i])
        return gnv__error_oom();
    set->n++;
    if (added)
        *added = true;
    return GNV_OK;
}

bool gnv__strset_has(const gnv_strset *set, const char *s, size_t n)
{
    return set->cap && set->slots[slot_of(set, s, n)] != NULL;
}

void gnv__strset_reset(gnv_strset *set)
{
    for (size_t i = 0; i < set->cap; i++)
        gnv__free(set->slots[i]);
    gnv__free(set->slots);
    memset(set, 0, sizeof *set);
}
