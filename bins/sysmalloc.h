/*
 * sysmalloc.h - the two things bins/ asks of arena/: more memory, and less.
 *
 * The algorithms in bins/ work inside the memory an arena already has.  When the
 * top chunk is too small for a request, _int_malloc hands over to sysmalloc,
 * which grows the arena (brk for main_arena, the heap for a thread arena) or maps
 * the request on its own.  After freeing a large chunk, _int_free asks for the top
 * chunk to be trimmed.  Both are implemented in arena/, which knows where an
 * arena's memory comes from; bins/ only knows the chunks inside it.
 */
#ifndef ARENALLOC_BINS_SYSMALLOC_H
#define ARENALLOC_BINS_SYSMALLOC_H

#include "bins/malloc_state.h"

/* Serves a chunk of size nb that the bins and top could not: by a mapping of its
   own when nb is at least the mmap threshold, else by growing the arena's top.
   Returns the user pointer, or NULL with errno ENOMEM.  Called with av locked. */
void *sysmalloc(INTERNAL_SIZE_T nb, mstate av);

/* Called by _int_free after a chunk of FASTBIN_CONSOLIDATION_THRESHOLD or more
   was freed: gives the unused top of the arena back to the OS when it has grown
   past the trim threshold (systrim for main_arena, heap_trim for the others). */
void trim_top(mstate av);

#endif /* ARENALLOC_BINS_SYSMALLOC_H */
