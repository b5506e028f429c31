/*
 * heap_region.h - the stretches of memory an arena's chunks live in.
 *
 * Walking an arena chunk by chunk (the heap checker, the dump) needs to know
 * where each stretch starts and where it must end.  main_arena has the brk heap,
 * plus a new stretch each time brk could not continue where it was; a thread
 * arena has its heaps.  Chunks are followed by their sizes from each start, and
 * a size that would lead past the stretch's limit means damage: the walk stops
 * there instead of reading memory that may not be mapped.
 */
#ifndef ARENALLOC_BINS_HEAP_REGION_H
#define ARENALLOC_BINS_HEAP_REGION_H

#include "bins/malloc_state.h"

/* One region of an arena's memory: where its first chunk is, and where its
   memory ends when that is known (a thread arena's heap: its committed part).
   With end NULL the region ends at the next region or at the end of top. */
struct heap_region {
    mchunkptr first;
    char *end;
};

/* The limit of the region starting at sorted[i] of n regions sorted by address:
   no chunk of it reaches past the result. */
char *region_limit(mstate av, const struct heap_region *sorted, int i, int n);

/* Sorts n regions by address into sorted[]. */
void sort_regions(const struct heap_region *regions, int n, struct heap_region *sorted);

#endif /* ARENALLOC_BINS_HEAP_REGION_H */
