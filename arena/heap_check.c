/*
 * heap_check.c - arenalloc_check_heap: run the checker over every arena.
 */
#include "arena/heap_check.h"

#include "arena/arena.h"
#include "bins/heap_check.h"
#include "bins/malloc_printerr.h"
#include "include/arenalloc.h"

/* The description of the last violation found (the API returns a pointer here). */
static char check_message[256];

static const char *check_main_arena(void)
{
    struct heap_region regions[MAX_MAIN_SEGMENTS];
    for (int i = 0; i < main_nsegments; i++)
        regions[i].first = (mchunkptr)main_segments[i];
    return check_arena(&main_arena, regions, main_nsegments, check_message, sizeof check_message);
}

const char *arenalloc_check_heap(void)
{
    malloc_ensure_init();
    os_lock(&main_arena.mutex);
    const char *err = check_main_arena();
    os_unlock(&main_arena.mutex);
    return err;
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
