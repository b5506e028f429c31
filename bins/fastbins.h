/*
 * fastbins.h - the fastbins: small freed chunks kept for quick reuse.
 *
 * Programs free and reallocate small blocks of the same size over and over.  A
 * chunk of a fast size (by default up to 128 bytes) is therefore freed in the
 * cheapest way there is: pushed on a singly-linked LIFO list for its size, its
 * header left untouched.  In particular the chunk stays marked in use (the next
 * chunk's PREV_INUSE bit stays set), so neither free() nor malloc() ever merges
 * with it.  It is merged with its neighbours only when malloc_consolidate()
 * empties all fastbins at once (a large request, a large free, or a malloc that
 * would otherwise have to grow the heap).
 *
 * Safe-linking: the fd pointer of a fastbin chunk is stored XORed with the page
 * number of the address it is stored at (glibc 2.32's PROTECT_PTR).  A pointer
 * overwritten by an attacker who does not know where the heap is then decodes to
 * garbage that fails the alignment check, instead of to an address of their choice.
 */
#ifndef ARENALLOC_BINS_FASTBINS_H
#define ARENALLOC_BINS_FASTBINS_H

#include "bins/checks.h"
#include "bins/malloc_state.h"

/* The largest chunk size that goes to a fastbin (M_MXFAST, rounded to a chunk). */
extern OS_HIDDEN INTERNAL_SIZE_T global_max_fast;

static inline INTERNAL_SIZE_T get_max_fast(void) { return global_max_fast; }

/* M_MXFAST: requests up to `s` bytes are fast; 0 turns fastbins off, which is
   done by a limit smaller than any chunk. */
static inline void set_max_fast(INTERNAL_SIZE_T s)
{
    global_max_fast = (s == 0) ? MIN_CHUNK_SIZE / 2 : ((s + SIZE_SZ) & ~MALLOC_ALIGN_MASK);
}

static inline mfastbinptr *fastbin(mstate av, unsigned idx) { return &av->fastbinsY[idx]; }

/* glibc's PROTECT_PTR and REVEAL_PTR: `pos` is where the pointer is stored.
   Before 2.32 pointers were stored as they are (checks.h). */
static inline mchunkptr protect_ptr(void *pos, mchunkptr ptr)
{
    if (!checks_since(32))
        return ptr;
    return (mchunkptr)(((uintptr_t)pos >> 12) ^ (uintptr_t)ptr);
}
static inline mchunkptr reveal_ptr(mchunkptr *pos) { return protect_ptr(pos, *pos); }

#endif /* ARENALLOC_BINS_FASTBINS_H */
