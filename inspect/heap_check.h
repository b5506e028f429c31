/*
 * heap_check.h - the heap checker: verifying every arena's invariants, chunk by
 * chunk and bin by bin (arenalloc_check_heap, include/arenalloc.h).
 *
 * What "a sound heap" means, checked in this order:
 *
 *   chunks  walking each region of the arena from its first chunk by sizes lands
 *           exactly on top (or on the fencepost chunks that close a region);
 *           every size is a multiple of 16 and at least MINSIZE; the flags say
 *           "heap chunk of this arena"; a free chunk's foot repeats its size; no
 *           two free chunks touch (outside fastbins, which count as in use); a
 *           region's first chunk has PREV_INUSE set.
 *   fastbins  each chunk is marked in use, of its bin's size, and lists end;
 *           have_fastchunks is set while any is non-empty.
 *   bins    lists are doubly linked both ways; every chunk in them is free, of a
 *           size belonging to the bin (large bins: sorted, largest first, with a
 *           consistent nextsize list); a non-empty bin has its binmap bit set.
 *   both    every free chunk of the walk is in exactly one bin, and every chunk
 *           in a bin is a free chunk of the walk.
 *   tcache  the calling thread's cache: counts equal list lengths, every entry
 *           is a chunk in use of its bin's size, no loops, none twice.
 *
 * The checker judges the very reading the dump prints (read_heap, dump.h: a
 * snapshot of each arena, heap_snapshot.h, and the cache followed over them),
 * so what the dump marks as damage the checker reports, and a damaged heap is
 * never followed outside its regions or round a cycle.
 *
 * `make DEBUG=1` defines ARENALLOC_DEBUG, and every public call then ends with
 * debug_check_heap(), which aborts with the checker's description at the first
 * call that left the heap broken: the bug is then in that call, not somewhere
 * later.  In the default build the call compiles to nothing.
 */
#ifndef ARENALLOC_INSPECT_HEAP_CHECK_H
#define ARENALLOC_INSPECT_HEAP_CHECK_H

#if ARENALLOC_DEBUG
void debug_check_heap(void);
#else
static inline void debug_check_heap(void) {}
#endif

#endif /* ARENALLOC_INSPECT_HEAP_CHECK_H */
