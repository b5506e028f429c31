/*
 * int_memalign.c - _int_memalign: an aligned chunk cut out of an oversized one.
 *
 * malloc only promises 16-byte alignment.  For more, ask for enough that an
 * aligned chunk must fit inside (nb + alignment + MINSIZE), then find the first
 * aligned position in it that leaves room for a whole chunk in front, and give
 * the leading and trailing pieces back with _int_free.
 *
 *   m: what malloc gave   |<- leader (freed) ->|<- aligned chunk ->|<- trailer (freed) ->|
 */
#include "bins/int_malloc.h"

#include <errno.h>

/* Moves the start of in-use chunk p (returned for `m`) forward to the first
   aligned user address that leaves at least MINSIZE in front; frees the front. */
static mchunkptr cut_leader(mstate av, mchunkptr p, char *m, size_t alignment)
{
    uintptr_t aligned_mem = ((uintptr_t)m + alignment - 1) & -(uintptr_t)alignment;
    char *brk = (char *)mem2chunk((void *)aligned_mem);
    if ((size_t)(brk - (char *)p) < MINSIZE)
        brk += alignment; /* the request allowed for this: it still fits */

    mchunkptr newp = (mchunkptr)brk;
    INTERNAL_SIZE_T leadsize = (INTERNAL_SIZE_T)(brk - (char *)p);
    INTERNAL_SIZE_T newsize = chunksize(p) - leadsize;

    if (chunk_is_mmapped(p)) {
        /* A mapped chunk records its offset into the mapping in prev_size;
           the leader simply becomes more of that offset. */
        set_prev_size(newp, prev_size(p) + leadsize);
        set_head(newp, newsize | IS_MMAPPED);
        return newp;
    }
    set_head(newp, newsize | PREV_INUSE | arena_bit(av));
    set_inuse_bit_at_offset(newp, newsize);
    set_head_size(p, leadsize | arena_bit(av));
    _int_free(av, p, FREE_LOCK_HELD);
    return newp;
}

void *_int_memalign(mstate av, size_t alignment, size_t bytes)
{
    INTERNAL_SIZE_T nb = checked_request2size(bytes);
    if (nb == 0 || alignment > PTRDIFF_MAX) {
        errno = ENOMEM;
        return NULL;
    }

    /* alignment is at most 2^62 and nb at most PTRDIFF_MAX + 24: no overflow. */
    char *m = _int_malloc(av, nb + alignment + MINSIZE);
    if (m == NULL)
        return NULL;

    mchunkptr p = mem2chunk(m);
    if ((uintptr_t)m % alignment != 0)
        p = cut_leader(av, p, m, alignment);

    if (!chunk_is_mmapped(p)) {
        INTERNAL_SIZE_T size = chunksize(p);
        if (size > nb + MINSIZE) {
            mchunkptr remainder = chunk_at_offset(p, (ptrdiff_t)nb);
            set_head(remainder, (size - nb) | PREV_INUSE | arena_bit(av));
            set_head_size(p, nb);
            _int_free(av, remainder, FREE_LOCK_HELD);
        }
    }
    return chunk2mem(p);
}
