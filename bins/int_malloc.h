/*
 * int_malloc.h - the algorithms of one arena, as glibc names them.
 *
 * These are the functions the public entry points in arena/ call once they have
 * chosen and locked an arena.  Each works only on that arena's chunks and bins.
 *
 *   _int_malloc         int_malloc.c    find or make a chunk for a request
 *   _int_free           int_free.c      give a chunk back: fastbin, or merge and
 *   malloc_consolidate  int_free.c        put in the unsorted bin or into top
 *   _int_realloc        int_realloc.c   resize in place if the neighbours allow
 *   _int_memalign       int_memalign.c  an aligned chunk cut out of a larger one
 */
#ifndef ARENALLOC_BINS_INT_MALLOC_H
#define ARENALLOC_BINS_INT_MALLOC_H

#include <stdbool.h>

#include "bins/malloc_state.h"

/* Returns memory for `bytes` from arena av, or NULL with errno ENOMEM. */
void *_int_malloc(mstate av, size_t bytes);

/* How _int_free comes by av's lock, which it needs only for a chunk that is
   neither taken by the calling thread's cache nor of a fast size (fastbins.h
   pushes without it).  glibc passes a flag, have_lock; arenalloc says
   also how to take it, since under the trylock policy a free into another
   thread's arena must not look like contention to that thread (arena.c). */
enum free_lock {
    FREE_LOCK_HELD,  /* the caller holds it (glibc's have_lock: realloc, memalign, sysmalloc) */
    FREE_LOCK_NONE,  /* free() while the process has one thread: none is needed */
    FREE_LOCK_TAKE,  /* free(): take it, av is the calling thread's own arena */
    FREE_LOCK_VISIT, /* free(): take it as a visitor, av is another thread's arena */
};

/* Frees chunk p of arena av (not an mmapped chunk): into the calling thread's
   cache if it has room, else into the arena, under av's lock as `lock` says. */
void _int_free(mstate av, mchunkptr p, enum free_lock lock);

/* Empties every fastbin, merging each chunk with free neighbours. */
void malloc_consolidate(mstate av);

/* Resizes in-use chunk oldp (of oldsize, not mmapped) to chunk size nb.  Returns
   the user pointer, or NULL with errno ENOMEM and oldp unchanged. */
void *_int_realloc(mstate av, mchunkptr oldp, INTERNAL_SIZE_T oldsize, INTERNAL_SIZE_T nb);

/* Returns `bytes` of memory aligned to `alignment` (a power of two > 16), or NULL. */
void *_int_memalign(mstate av, size_t alignment, size_t bytes);

#endif /* ARENALLOC_BINS_INT_MALLOC_H */
