/*
 * sysmalloc.h - the seam between bins/ and arena/: more memory, and less.
 *
 * The algorithms in bins/ work inside the memory an arena already has; where
 * that memory comes from (brk for main_arena, heaps for the others, mappings of
 * their own for large requests) is arena/'s business.  Exactly this crosses from
 * bins/ up into arena/, and nothing else:
 *
 *   sysmalloc   _int_malloc's last step, when no bin and not the top chunk can
 *               serve a request;
 *   trim_top    after _int_free made a large free chunk: give top back if it
 *               has grown past the trim threshold;
 *   main_arena  the one arena bins/ knows by name, to leave NON_MAIN_ARENA clear
 *               on its chunks (declared with its type in bins/malloc_state.h).
 *
 * Both functions are defined in sysmalloc.c, beside systrim, which the rest of
 * arena/ uses too.
 */
#ifndef ARENALLOC_ARENA_SYSMALLOC_H
#define ARENALLOC_ARENA_SYSMALLOC_H

#include "bins/malloc_state.h"

/* Serves a chunk of size nb that the bins and top could not: by a mapping of its
   own when nb is at least the mmap threshold, else by growing the arena's top.
   Returns the user pointer, or NULL with errno ENOMEM.  Called with av locked. */
void *sysmalloc(INTERNAL_SIZE_T nb, mstate av);

/* Called by _int_free after a chunk of FASTBIN_CONSOLIDATION_THRESHOLD or more
   was freed: gives the unused top of the arena back to the OS when it has grown
   past the trim threshold (systrim for main_arena, heap_trim for the others). */
void trim_top(mstate av);

/* ---- within arena/ ------------------------------------------------------------ */

/* Gives back the whole pages of main_arena's top above `pad` (top keeps at least
   MINSIZE) by moving brk down.  Returns 1 if anything was released, else 0. */
int systrim(size_t pad, mstate av);

#endif /* ARENALLOC_ARENA_SYSMALLOC_H */
