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
 *
 * Without a lock.  free pushes a fast chunk without taking the arena's lock
 * (glibc 2.36 does; a free from another thread then never waits for the arena's
 * owner).  Taking chunks off stays under the lock: malloc and malloc_consolidate
 * hold it.  So while the process has more than one thread, the top of a bin is
 * replaced by compare-and-swap, which fails (and the step is done again) when
 * another thread's push got there first.  Only one thread at a time pops, so a
 * chunk seen on top cannot be taken and pushed back between the read and the
 * swap (the "ABA" case that makes lock-free pops hard elsewhere).  With one
 * thread (glibc's SINGLE_THREAD_P) the top is simply stored.
 */
#ifndef ARENALLOC_BINS_FASTBINS_H
#define ARENALLOC_BINS_FASTBINS_H

#include "bins/checks.h"
#include "bins/malloc_printerr.h"
#include "bins/malloc_state.h"

/* The largest chunk size that goes to a fastbin (M_MXFAST, rounded to a chunk).
   Static in bins/bins.c, as glibc's (bins/static_symbols.h). */
#ifdef DEFINES_global_max_fast
STATIC_SYMBOL INTERNAL_SIZE_T global_max_fast;
#else
extern INTERNAL_SIZE_T global_max_fast STATIC_SYMBOL_NAME(global_max_fast);
#endif

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

/* The chunk on top of bin fb; another thread may be pushing on it meanwhile. */
static inline mchunkptr fastbin_top(mfastbinptr *fb) { return __atomic_load_n(fb, __ATOMIC_ACQUIRE); }

/* Makes `next` the top of bin fb if the top is still *seen.  A plain store with
   one thread.  Otherwise a compare-and-swap: when another thread pushed since
   *seen was read, it fails and sets *seen to the new top, for the caller to
   redo its step with. */
static inline bool fastbin_replace_top(mfastbinptr *fb, mchunkptr *seen, mchunkptr next, bool single_thread)
{
    if (single_thread) {
        *fb = next;
        return true;
    }
    return __atomic_compare_exchange_n(fb, seen, next, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
}

/* Takes `victim`, the top of bin fb seen by a caller that holds the arena's
   lock, off the bin; returns the chunk taken, which differs from victim when a
   push came first (the new top is taken instead).  glibc's REMOVE_FB, which
   checks the link it follows while other threads exist. */
static inline mchunkptr fastbin_pop(mfastbinptr *fb, mchunkptr victim, bool single_thread)
{
    if (single_thread) {
        *fb = reveal_ptr(&victim->fd);
        return victim;
    }
    mchunkptr next;
    do {
        next = reveal_ptr(&victim->fd);
        if (checks_since(32) && !aligned_OK((uintptr_t)next))
            malloc_printerr("malloc(): unaligned fastbin chunk detected");
    } while (!fastbin_replace_top(fb, &victim, next, false));
    return victim;
}

/* Empties bin fb at one stroke and returns its old chain. */
static inline mchunkptr fastbin_take_all(mfastbinptr *fb) { return __atomic_exchange_n(fb, NULL, __ATOMIC_ACQUIRE); }

#endif /* ARENALLOC_BINS_FASTBINS_H */
