/*
 * top.h - the top chunk: carving a chunk off its front, and how much of its end
 * may go back to the OS.
 *
 * Top is the free chunk that borders the end of an arena's memory.  It is in no
 * bin; it is the last resort of _int_malloc, and sysmalloc makes it larger.
 * Giving memory back (systrim for main_arena, heap_trim for a heap) shrinks it
 * from the end, in whole pages, always keeping `pad` bytes and a minimal chunk.
 */
#ifndef ARENALLOC_BINS_TOP_H
#define ARENALLOC_BINS_TOP_H

#include "bins/chunk.h"
#include "bins/malloc_state.h"

/* Cuts a chunk of size nb off the front of top, which must hold at least
   nb + MINSIZE, and returns its user pointer.  What is left stays top. */
static inline void *split_top(mstate av, INTERNAL_SIZE_T nb)
{
    mchunkptr victim = av->top;
    INTERNAL_SIZE_T size = chunksize(victim);

    av->top = chunk_at_offset(victim, (ptrdiff_t)nb);
    set_head(victim, nb | PREV_INUSE | arena_bit(av));
    set_head(av->top, (size - nb) | PREV_INUSE);
    return chunk2mem(victim);
}

/* How many bytes at the end of a top of top_size may be given back, keeping
   `pad` bytes and one minimal chunk: whole pages only, 0 when not one page. */
static inline size_t top_trim_size(INTERNAL_SIZE_T top_size, size_t pad, size_t pagesize)
{
    if (top_size < MINSIZE + 1 || top_size - MINSIZE - 1 <= pad)
        return 0;
    return (top_size - MINSIZE - 1 - pad) & ~(pagesize - 1);
}

#endif /* ARENALLOC_BINS_TOP_H */
