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
#ifndef ARENALLOC_INSPECT_HEAP_REGION_H
#define ARENALLOC_INSPECT_HEAP_REGION_H

#include "bins/malloc_state.h"

/* One region of an arena's memory: where its first chunk is, and where its
   memory ends when that is known (a thread arena's heap: its committed part).
   With end NULL the region ends at the next region or at the end of top. */
struct heap_region {
    mchunkptr first;
    char *end;
};

/* The regions of arena av's memory (at most `max`), for walking it chunk by
   chunk: main_arena's segments (the brk heap, and any region begun after a
   gap, recorded by sysmalloc), or a thread arena's heaps, chained from the one
   holding top back to the first.  Returns how many. */
int arena_regions(mstate av, struct heap_region *regions, int max);

/* Regions the walkers follow at most: 1 GiB of a thread arena's heaps. */
#define MAX_ARENA_REGIONS 1024

/* The limit of the region starting at sorted[i] of n regions sorted by address:
   no chunk of it reaches past the result. */
char *region_limit(mstate av, const struct heap_region *sorted, int i, int n);

/* Sorts n regions by address into sorted[]. */
void sort_regions(const struct heap_region *regions, int n, struct heap_region *sorted);

/* What closes a region that top has left (see sysmalloc).  Both kinds are
   marked in use, so nothing merges past them:
     - in main_arena, two 16-byte chunks; in a heap, a 16-byte chunk followed
       by a size-0 header (fencepost_pair, at a 16-byte chunk whose next header
       is readable);
     - in a heap whose old top was too small to split, that chunk followed by
       the size-0 header alone (before_heap_end, at any chunk). */
static inline bool fencepost_pair(mchunkptr p)
{
    if (chunksize(p) != CHUNK_HDR_SZ)
        return false;
    INTERNAL_SIZE_T after = chunksize(chunk_at_offset(p, CHUNK_HDR_SZ));
    return after == CHUNK_HDR_SZ || after == 0;
}
static inline bool before_heap_end(mchunkptr p) { return chunksize_nomask(next_chunk(p)) == PREV_INUSE; }

#endif /* ARENALLOC_INSPECT_HEAP_REGION_H */
