/*
 * tcache_thread.h - a thread's per-thread cache: made at its first call, given
 * back when it exits, and the settings that shape it.
 *
 * What the cache is, and the operations the algorithms use, are in
 * bins/tcache.h; this is the part that belongs to threads and arenas: the
 * structure is allocated from the thread's arena (tcache_init), its entries are
 * freed at thread exit (tcache_thread_shutdown, from the exit hook of arena.c),
 * and mallopt, the tunables and arenalloc_set_release change it.  Before
 * glibc 2.26 there is no cache: tcache_init makes none, tcache stays NULL.
 */
#ifndef ARENALLOC_ARENA_TCACHE_THREAD_H
#define ARENALLOC_ARENA_TCACHE_THREAD_H

#include <stdbool.h>

#include "bins/tcache.h"

/* Set when the thread's exit began: its cache is never made again. */
extern OS_THREAD_LOCAL bool tcache_shutting_down;

/* Chooses tcache_key.  Called once by ptmalloc_init. */
void tcache_key_initialize(void);

/* Allocates the calling thread's structure from its arena. */
void tcache_init(void);

/* Called first by malloc, calloc, and by realloc and free of a heap chunk. */
static inline void maybe_init_tcache(void)
{
    if (tcache == NULL && !tcache_shutting_down)
        tcache_init();
}

/* The thread is exiting: free every entry, then the structure, and never
   allocate it again. */
void tcache_thread_shutdown(void);

/* Switches to glibc 2.`glibc_minor` (arenalloc_set_release), re-storing the
   links of the calling thread's cache for the new release (safe-linked or
   not), or freeing the cache for a release before 2.26.  Other threads' caches
   cannot be reached: switch before they start, as at start-up with
   ARENALLOC_RELEASE. */
void tcache_change_release(int glibc_minor);

/* Sets a tunable of the cache (tunables.c, arenalloc_set_tcache_count). */
bool do_set_tcache_max(size_t value);
bool do_set_tcache_count(size_t value);
void do_set_tcache_unsorted_limit(size_t value);

#endif /* ARENALLOC_ARENA_TCACHE_THREAD_H */
