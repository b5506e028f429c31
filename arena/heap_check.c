/*
 * heap_check.c - arenalloc_check_heap: run the checker over every arena.
 *
 * The checker (bins/heap_check.c) needs to know where each region of an arena's
 * memory starts.  For main_arena, sysmalloc records them as it goes (the brk
 * heap, and any region begun after a gap).  A thread arena's regions are its
 * heaps, chained from the heap holding top back to the first.
 */
#include "arena/heap_check.h"

#include "arena/arena.h"
#include "arena/heap.h"
#include "bins/heap_check.h"
#include "bins/malloc_printerr.h"
#include "include/arenalloc.h"

#include <stdio.h>

/* The description of the last violation this thread found (the API returns a
   pointer here).  Per thread, so checks in several threads need no lock, and a
   child forked in the middle of one inherits nothing held. */
static OS_THREAD_LOCAL char check_message[320];

/* Regions of thread arena av, at most `max`.  Returns how many. */
static int thread_arena_regions(mstate av, struct heap_region *regions, int max)
{
    int n = 0;
    for (heap_info *h = heap_for_ptr(av->top); h != NULL && n < max; h = h->prev)
        regions[n++].first = heap_first_chunk(h);
    return n;
}

/* Heaps of one thread arena the checker follows (1 GiB of heaps). */
#define MAX_REGIONS 1024

static const char *check_one(mstate av, char *buf, size_t buflen)
{
    struct heap_region regions[MAX_REGIONS];
    int n;

    if (av == &main_arena) {
        for (n = 0; n < main_nsegments; n++)
            regions[n].first = (mchunkptr)main_segments[n];
    } else {
        n = thread_arena_regions(av, regions, MAX_REGIONS);
    }
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
