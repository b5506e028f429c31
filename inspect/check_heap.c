/*
 * heap_check.c - arenalloc_check_heap: run the checker over every arena.
 *
 * The checker (inspect/heap_check.c) needs to know where each region of an arena's
 * memory starts (arena_regions, in heap.c).
 */
#include "inspect/check_heap.h"

#include "arena/arena.h"
#include "arena/heap.h"
#include "inspect/heap_check.h"
#include "bins/malloc_printerr.h"
#include "include/arenalloc.h"

#include <stdio.h>

/* The description of the last violation this thread found (the API returns a
   pointer here).  Per thread, so checks in several threads need no lock, and a
   child forked in the middle of one inherits nothing held. */
static OS_THREAD_LOCAL char check_message[320];

static const char *check_one(mstate av, char *buf, size_t buflen)
{
    struct heap_region regions[MAX_ARENA_REGIONS];
    int n = arena_regions(av, regions, MAX_ARENA_REGIONS);
    return check_arena(av, regions, n, buf, buflen);
}

const char *arenalloc_check_heap(void)
{
    char detail[256];
    const char *err = NULL;
    int index = 0;

    malloc_ensure_init();
    mstate av = &main_arena;
    do {
        os_lock(&av->mutex);
        err = check_one(av, detail, sizeof detail);
        os_unlock(&av->mutex);
        if (err != NULL) {
            snprintf(check_message, sizeof check_message, "arena %d (%p): %s", index, (void *)av, detail);
            break;
        }
        index++;
        av = next_arena(av);
    } while (av != &main_arena);
    if (err == NULL && (err = check_tcache(detail, sizeof detail)) != NULL)
        snprintf(check_message, sizeof check_message, "%s", detail);
    return err != NULL ? check_message : NULL;
}

#if ARENALLOC_DEBUG
void debug_check_heap(void)
{
    const char *err = arenalloc_check_heap();
    if (err != NULL) {
        os_write_error("arenalloc: heap check failed: ");
        malloc_printerr(err);
    }
}
#endif
