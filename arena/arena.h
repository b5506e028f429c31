/*
 * arena.h - choosing and locking an arena, as the public entry points do.
 *
 * Each arena has its own lock; a thread works in one arena at a time.  Which one
 * is the policy's choice (arena.c explains both policies); what the entry points
 * see is arena_get (an arena, locked) and arena_unlock.  main_arena grows with
 * brk (main_arena.h); every other arena lives in heaps of HEAP_MAX_SIZE (heap.h).
 */
#ifndef ARENALLOC_ARENA_ARENA_H
#define ARENALLOC_ARENA_ARENA_H

#include <stdatomic.h>

#include "bins/int_malloc.h"
#include "bins/malloc_state.h"

/* ---- which arena, and locking it ---------------------------------------------- */

/* The arena this thread last used; NULL before its first call.  Static in
   arena/arena.c, as glibc's (bins/static_symbols.h). */
#ifdef DEFINES_thread_arena
STATIC_SYMBOL OS_THREAD_LOCAL mstate thread_arena;
#else
extern OS_THREAD_LOCAL mstate thread_arena STATIC_SYMBOL_NAME(thread_arena);
#endif

/* How a thread picks its arena (arenalloc_set_arena_policy). */
enum arena_policy {
    ARENA_POLICY_TRYLOCK,    /* glibc before 2.15: stay while uncontended, move on trylock failure */
    ARENA_POLICY_PER_THREAD, /* glibc 2.36: each thread its own arena from its first call */
};
extern OS_HIDDEN enum arena_policy arena_policy;

/* Returns an arena for a request of about `size` bytes, locked.  Slow paths
   (contention, a thread's first call) are in arena_get2, in arena.c.  Under
   trylock, a thread stays on its arena while nobody else allocates from it: a
   free from another thread (a visit, free_lock_for) is waited out, not
   taken for contention (arena.c says why). */
mstate arena_get2(size_t size, mstate avoid_arena);

static inline mstate arena_get(size_t size)
{
    mstate a = thread_arena;
    if (a != NULL) {
        if (arena_policy == ARENA_POLICY_PER_THREAD) {
            os_lock(&a->mutex);
            return a;
        }
        if (os_lock_unless_used(&a->mutex))
            return a;
    }
    return arena_get2(size, NULL);
}

static inline void arena_unlock(mstate av) { os_unlock(&av->mutex); }

/* How a free into arena av takes its lock (_int_free): none while the process
   has one thread; as its user if it is this thread's arena; else as a visitor,
   which the arena's own threads wait for (arena_get). */
static inline enum free_lock free_lock_for(mstate av)
{
    if (single_thread_p())
        return FREE_LOCK_NONE;
    return av == thread_arena ? FREE_LOCK_TAKE : FREE_LOCK_VISIT;
}

/* The next arena in the ring.  Arenas are only ever added, and a new one is
   published with a release store, so the ring can be walked without list_lock. */
static inline mstate next_arena(mstate a) { return __atomic_load_n(&a->next, __ATOMIC_ACQUIRE); }

/* _int_malloc failed in locked arena ar_ptr: unlocks it and returns another,
   locked, to try once more (main_arena if ar_ptr was not, else any other). */
mstate arena_get_retry(mstate ar_ptr, size_t bytes);

/* Called once by ptmalloc_init: fork handlers and the thread-exit hook. */
void arena_init_hooks(void);

#endif /* ARENALLOC_ARENA_ARENA_H */
