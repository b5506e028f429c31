/*
 * heap_region.c - an arena's regions: where they are, in order, and where each must end.
 */
#include "inspect/heap_region.h"

#include "arena/heap.h"
#include "arena/main_arena.h"

void sort_regions(const struct heap_region *regions, int n, struct heap_region *sorted)
{
    /* Insertion sort: a handful of regions. */
    for (int i = 0; i < n; i++) {
        int j = i;
        for (; j > 0 && (uintptr_t)sorted[j - 1].first > (uintptr_t)regions[i].first; j--)
            sorted[j] = sorted[j - 1];
        sorted[j] = regions[i];
    }
}

char *region_limit(mstate av, const struct heap_region *sorted, int i, int n)
{
    /* A region's chunks stay below the next region, below its own end when
       known, and below top's end when top is in it or above it. */
    char *limit = i + 1 < n ? (char *)sorted[i + 1].first : (char *)UINTPTR_MAX;
    if (sorted[i].end != NULL && sorted[i].end < limit)
        limit = sorted[i].end;
    char *top_end = (char *)next_chunk(av->top);
    if ((char *)sorted[i].first <= (char *)av->top && top_end < limit)
        limit = top_end;
    return limit;
}

int arena_regions(mstate av, struct heap_region *regions, int max)
{
    int n = 0;
    if (av == &main_arena) {
        for (; n < main_nsegments && n < MAX_MAIN_SEGMENTS && n < max; n++)
            regions[n] = (struct heap_region){(mchunkptr)main_segments[n], NULL};
        return n;
    }
    for (heap_info *h = heap_for_ptr(av->top); h != NULL && n < max; h = h->prev)
        regions[n++] = (struct heap_region){heap_first_chunk(h), (char *)h + h->size};
    return n;
}
