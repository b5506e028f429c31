/*
 * int_realloc.c - _int_realloc: resize a heap chunk, in place whenever possible.
 *
 * Growing tries, in order: absorb the top chunk if it follows; absorb the next
 * chunk if it is free and large enough; else malloc a new chunk, copy, free the
 * old one.  Shrinking (or growing into a neighbour) ends by splitting off what is
 * beyond the new size and freeing it, if it is big enough to be a chunk.
 * Mapped chunks never come here: arena/ resizes them with mremap.
 */
#include "bins/int_malloc.h"

#include <string.h>

#include "bins/bins.h"
#include "bins/malloc_printerr.h"

/* newp (in use, of newsize >= nb) keeps nb bytes; the rest, if at least MINSIZE,
   becomes a chunk of its own and is freed. */
static inline void *shrink_to(mstate av, mchunkptr newp, INTERNAL_SIZE_T newsize, INTERNAL_SIZE_T nb)
{
    INTERNAL_SIZE_T remainder_size = newsize - nb;

    if (remainder_size < MINSIZE) {
        set_head_size(newp, newsize | arena_bit(av));
        set_inuse_bit_at_offset(newp, newsize);
    } else {
        mchunkptr remainder = chunk_at_offset(newp, (ptrdiff_t)nb);
        set_head_size(newp, nb | arena_bit(av));
        set_head(remainder, remainder_size | PREV_INUSE | arena_bit(av));
        /* Mark the remainder in use so _int_free accepts it and merges it. */
        set_inuse_bit_at_offset(remainder, remainder_size);
        _int_free(av, remainder, FREE_LOCK_HELD);
    }
    return chunk2mem(newp);
}

/* The fallback when no neighbour helps: a new chunk, a copy, a free. */
static void *move_chunk(mstate av, mchunkptr oldp, INTERNAL_SIZE_T oldsize, INTERNAL_SIZE_T nb)
{
    /* Ask for nb - 15 bytes: request2size rounds that back up to exactly nb. */
    void *newmem = _int_malloc(av, nb - MALLOC_ALIGN_MASK);
    if (newmem == NULL)
        return NULL;

    mchunkptr newp = mem2chunk(newmem);
    /* malloc may have handed out the chunk right after oldp (freed since, and
       merged from the bins): then oldp simply grows into it, no copy needed. */
    if (newp == chunk_at_offset(oldp, (ptrdiff_t)oldsize))
        return shrink_to(av, oldp, oldsize + chunksize(newp), nb);

    memcpy(newmem, chunk2mem(oldp), memsize(oldp));
    _int_free(av, oldp, FREE_LOCK_HELD);
    return newmem;
}

void *_int_realloc(mstate av, mchunkptr oldp, INTERNAL_SIZE_T oldsize, INTERNAL_SIZE_T nb)
{
    if (chunksize_nomask(oldp) <= CHUNK_HDR_SZ || oldsize >= av->system_mem)
        malloc_printerr("realloc(): invalid old size");

    mchunkptr next = chunk_at_offset(oldp, (ptrdiff_t)oldsize);
    INTERNAL_SIZE_T nextsize = chunksize(next);
    if (chunksize_nomask(next) <= CHUNK_HDR_SZ || nextsize >= av->system_mem)
        malloc_printerr("realloc(): invalid next size");

    if (oldsize >= nb)
        return shrink_to(av, oldp, oldsize, nb);

    if (next == av->top && oldsize + nextsize >= nb + MINSIZE) {
        /* Grow into top: top keeps at least MINSIZE, as it always must. */
        set_head_size(oldp, nb | arena_bit(av));
        av->top = chunk_at_offset(oldp, (ptrdiff_t)nb);
        set_head(av->top, (oldsize + nextsize - nb) | PREV_INUSE);
        return chunk2mem(oldp);
    }
    if (next != av->top && !inuse(next) && oldsize + nextsize >= nb) {
        unlink_chunk(av, next);
        return shrink_to(av, oldp, oldsize + nextsize, nb);
    }
    return move_chunk(av, oldp, oldsize, nb);
}
