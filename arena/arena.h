/*
 * arena.h - arenas, seen from the public entry points: the global parameters,
 * start-up, choosing and locking an arena.
 *
 * main_arena grows with brk; every other arena lives in heaps of HEAP_MAX_SIZE
 * (heap.h).  The mmap threshold's upper bound follows from that size: a request
 * that could not fit in one heap must be mapped on its own.
 */
#ifndef ARENALLOC_ARENA_ARENA_H
#define ARENALLOC_ARENA_ARENA_H

#include <stdatomic.h>

#include "bins/malloc_state.h"

/* The size and alignment of a thread arena's heap (1 MiB; glibc's 64-bit value
   is 64 MiB, its 32-bit value this one). */
#define HEAP_MAX_SIZE (1024 * 1024)

/* Defaults of the tunables, glibc's values. */
#define DEFAULT_TOP_PAD            (128 * 1024) /* extra asked of brk each time */
#define DEFAULT_TRIM_THRESHOLD     (128 * 1024) /* top larger than this: trim */
#define DEFAULT_MMAP_THRESHOLD     (128 * 1024) /* requests this large: mmap */
#define DEFAULT_MMAP_THRESHOLD_MAX (HEAP_MAX_SIZE / 2) /* the dynamic threshold's cap */
#define DEFAULT_MMAP_MAX           65536        /* at most this many mapped chunks */
#define DEFAULT_ARENA_TEST         8            /* arenas before the cap is computed */

/* When brk fails, main_arena continues in mappings of at least this size. */
#define MMAP_AS_MORECORE_SIZE (1024 * 1024)

/* The process-wide parameters, glibc's struct malloc_par field for field (the
   fields for huge pages are kept for that layout). */
struct malloc_par {
    unsigned long trim_threshold;   /* M_TRIM_THRESHOLD */
    INTERNAL_SIZE_T top_pad;        /* M_TOP_PAD */
    INTERNAL_SIZE_T mmap_threshold; /* M_MMAP_THRESHOLD */
    INTERNAL_SIZE_T arena_test;     /* M_ARENA_TEST */
    INTERNAL_SIZE_T arena_max;      /* M_ARENA_MAX */
    INTERNAL_SIZE_T thp_pagesize;   /* (glibc: transparent huge pages) */
    INTERNAL_SIZE_T hp_pagesize;    /* (glibc: huge pages) */
    int hp_flags;                   /* (glibc: huge page mmap flags) */
    int n_mmaps;                    /* mapped chunks now */
    int n_mmaps_max;                /* M_MMAP_MAX */
    int max_n_mmaps;                /* highest n_mmaps so far */
    int no_dyn_threshold;           /* the user set a threshold: stop adjusting it */
    INTERNAL_SIZE_T mmapped_mem;    /* bytes in mapped chunks now */
    INTERNAL_SIZE_T max_mmapped_mem;/* highest mmapped_mem so far */
    char *sbrk_base;                /* where main_arena's brk heap starts */
    size_t tcache_bins;             /* bins of the per-thread cache in use (tcache_max) */
    size_t tcache_max_bytes;        /* glibc.malloc.tcache_max: largest cached request */
    size_t tcache_count;            /* glibc.malloc.tcache_count: entries per bin */
    size_t tcache_unsorted_limit;   /* glibc.malloc.tcache_unsorted_limit (0: none) */
};

extern struct malloc_par mp_;

/* Rounds n up to a multiple of a (a power of two: a page, usually). */
static inline size_t align_up(size_t n, size_t a) { return (n + a - 1) & ~(a - 1); }

/* ---- start-up ---------------------------------------------------------------- */

extern atomic_bool malloc_initialized;

void ptmalloc_init(void);

/* Every public entry point starts with this. */
static inline void malloc_ensure_init(void)
{
    if (!atomic_load_explicit(&malloc_initialized, memory_order_acquire))
        ptmalloc_init();
}

/* ---- which arena, and locking it ---------------------------------------------- */

/* The arena this thread last used; NULL before its first call. */
extern OS_THREAD_LOCAL mstate thread_arena;

/* How a thread picks its arena (arenalloc_set_arena_policy). */
enum arena_policy {
    ARENA_POLICY_TRYLOCK,    /* glibc before 2.15: stay while uncontended, move on trylock failure */
    ARENA_POLICY_PER_THREAD, /* glibc 2.36: each thread its own arena from its first call */
};
extern enum arena_policy arena_policy;

/* Returns an arena for a request of about `size` bytes, locked.  Slow paths
   (contention, a thread's first call) are in arena_get2, in arena.c. */
mstate arena_get2(size_t size, mstate avoid_arena);

static inline mstate arena_get(size_t size)
{
    mstate a = thread_arena;
    if (a != NULL) {
        if (arena_policy == ARENA_POLICY_PER_THREAD) {
            os_lock(&a->mutex);
            return a;
        }
        if (os_trylock(&a->mutex))
            return a;
    }
    return arena_get2(size, NULL);
}

static inline void arena_unlock(mstate av) { os_unlock(&av->mutex); }

/* The next arena in the ring.  Arenas are only ever added, and a new one is
   published with a release store, so the ring can be walked without list_lock. */
static inline mstate next_arena(mstate a) { return __atomic_load_n(&a->next, __ATOMIC_ACQUIRE); }

/* _int_malloc failed in locked arena ar_ptr: unlocks it and returns another,
   locked, to try once more (main_arena if ar_ptr was not, else any other). */
mstate arena_get_retry(mstate ar_ptr, size_t bytes);

/* Called once by ptmalloc_init: fork handlers and the thread-exit hook. */
void arena_init_hooks(void);

/* ---- giving memory back ------------------------------------------------------- */

/* Gives back the whole pages of main_arena's top above `pad` (top keeps at least
   MINSIZE) by moving brk down.  Returns 1 if anything was released, else 0. */
int systrim(size_t pad, mstate av);

/* ---- the regions of main_arena's memory (for the heap checker) ------------------ */

/* Where each piece of main_arena's memory starts: the brk heap, and any region
   begun after brk failed or was moved by someone else.  Recorded by sysmalloc. */
#define MAX_MAIN_SEGMENTS 64
extern char *main_segments[MAX_MAIN_SEGMENTS];
extern int main_nsegments;

#endif /* ARENALLOC_ARENA_ARENA_H */
