/*
 * heap_check.h - verifying one arena's invariants, chunk by chunk and bin by bin.
 *
 * What "a sound heap" means, checked in this order:
 *
 *   chunks  walking each region of the arena from its first chunk by sizes lands
 *           exactly on top (or on the two fencepost chunks that close a region);
 *           every size is a multiple of 16 and at least MINSIZE; the flags say
 *           "heap chunk of this arena"; a free chunk's foot repeats its size; no
 *           two free chunks touch (outside fastbins, which count as in use);
 *           PREV_INUSE agrees with the state of the chunk before.
 *   fastbins  each chunk is marked in use, of its bin's size, and lists end.
 *   bins    lists are doubly linked both ways; every chunk in them is free, of a
 *           size belonging to the bin (large bins: sorted, largest first, with a
 *           consistent nextsize list); a non-empty bin has its binmap bit set.
 *   both    every free chunk of the walk is in exactly one bin, and every chunk
 *           in a bin is a free chunk of the walk.
 *
 * The checker only reads the heap.  Lists are followed for at most as many steps
 * as the walk found chunks, so a cycle is reported, never followed forever.
 */
#ifndef ARENALLOC_INSPECT_HEAP_CHECK_H
#define ARENALLOC_INSPECT_HEAP_CHECK_H

#include "inspect/heap_region.h"

/* Checks arena av, whose memory is the `nregions` regions given (any order).
   Returns NULL if sound, else a description of the first violation, written
   into buf (of buflen bytes). */
const char *check_arena(mstate av, const struct heap_region *regions, int nregions, char *buf, size_t buflen);

/* Checks the calling thread's per-thread cache against the arenas
   (tcache_check.c): counts, entries, loops.  Takes the arena locks itself.
   Returns NULL if sound, else the first violation, written into buf. */
const char *check_tcache(char *buf, size_t buflen);

#endif /* ARENALLOC_INSPECT_HEAP_CHECK_H */
