/*
 * malloc.c - the public entry points: malloc, free, calloc, realloc.
 *
 * Each is glibc's __libc_* function of the same name: check the arguments, try
 * the thread's cache (malloc and free only; bins/tcache.h), pick and lock an
 * arena, call the arena-level algorithm in bins/ (_int_malloc, _int_free,
 * _int_realloc), unlock.  Chunks with a mapping of their own bypass the
 * arenas entirely.  Step into any of them from a debugger and the next frame is
 * the algorithm itself.
 */
#include "include/arenalloc.h"

#include <errno.h>
#include <string.h>

#include "arena/arena.h"
#include "arena/heap.h"
#include "arena/hooks.h"
#include "arena/main_arena.h"
#include "arena/mmap_chunk.h"
#include "arena/tcache_thread.h"
#include "arena/usual_paths.h"
#include "bins/int_malloc.h"
#include "bins/malloc_par.h"
#include "bins/malloc_printerr.h"
#include "bins/perturb.h"
#include "inspect/heap_check.h"
#include "stomp/stomp.h"

/* malloc's work, once neither a hook nor stomp mode took it over (inlined into
   both callers, so the usual path makes no extra call). */
static inline __attribute__((always_inline)) void *malloc_body(size_t bytes)
{
    /* The thread's cache first: no arena, no lock. */
    size_t tbytes = checked_request2size(bytes);
    if (tbytes == 0) {
        errno = ENOMEM;
        return NULL;
    }
    size_t tc_idx = csize2tidx(tbytes);
    if (tc_idx < mp_.tcache_bins && tcache != NULL && tcache_available(tc_idx)) {
        void *cached = tcache_get(tc_idx);
        debug_check_heap();
        return cached;
    }
    /* A thread's first call makes its cache.  glibc makes it before looking;
       a new cache is empty, so looking first misses nothing, and it keeps the
       call that makes it (which could change the release) off the usual path. */
    maybe_init_tcache();

    if (single_thread_p()) {
        void *victim = _int_malloc(&main_arena, bytes);
        debug_check_heap();
        return victim;
    }
    mstate av = arena_get(bytes);
    void *victim = _int_malloc(av, bytes);
    if (victim == NULL) { /* out of memory in this arena: one more try elsewhere */
        av = arena_get_retry(av, bytes);
        victim = _int_malloc(av, bytes);
    }
    arena_unlock(av);
    debug_check_heap();
    return victim;
}

/* free() must not change errno.  Giving memory back to the OS keeps it (os.h),
   so only a thread's first call, which allocates the cache's structure and may
   run out of memory doing so, saves it.  Out of line: kept inside free, its
   saved registers would cost every call. */
static __attribute__((noinline)) void tcache_init_keeping_errno(void)
{
    int err = errno;
    maybe_init_tcache();
    errno = err;
}

bool usual_malloc_path, usual_free_path;

void update_usual_paths(void)
{
    bool started = atomic_load_explicit(&__malloc_initialized, memory_order_acquire);
    bool plain = release_is_newest() && !stomp_active();
    __atomic_store_n(&usual_malloc_path, started && plain, __ATOMIC_RELEASE);
    __atomic_store_n(&usual_free_path, plain && !stomp_blocks_exist(), __ATOMIC_RELEASE);
}

/* The first call, and the detours malloc may take, each rare, so out of line:
   before 2.34 a hook the program set takes malloc's place (hooks.h); in stomp
   mode every block gets pages of its own (stomp/). */
static __attribute__((noinline)) void *malloc_detour(size_t bytes, const void *caller)
{
    malloc_ensure_init(); /* first: it reads ARENALLOC_RELEASE */
    if (hooks_in_force() && arenalloc_malloc_hook != NULL)
        return arenalloc_malloc_hook(bytes, caller);
    if (stomp_active())
        return stomp_malloc(bytes, 0);
    return malloc_body(bytes);
}

/* The usual call (usual_paths.h) runs a copy of malloc_body in which every
   test of the release has folded away (bins/checks.h); anything else takes the
   detour, with its own copy. */
void *arenalloc_malloc(size_t bytes)
{
    if (malloc_may_take_usual_path()) {
        /* So the newest release is in force: told that, without a test being
           made, the compiler folds every test of the release in its copy. */
        if (!release_is_newest())
            __builtin_unreachable();
        return malloc_body(bytes);
    }
    return malloc_detour(bytes, HOOK_CALLER());
}

/* free's work, once neither a hook nor a stomp block took it over. */
static inline __attribute__((always_inline)) void free_body(void *mem)
{
    if (mem == NULL)
        return;

    mchunkptr p = mem2chunk(mem);
    if (chunk_is_mmapped(p)) {
        mmap_threshold_after_free(p);
        munmap_chunk(p);
    } else {
        if (tcache == NULL)
            tcache_init_keeping_errno();
        mstate av = arena_for_chunk(p);
        _int_free(av, p, free_lock_for(av));
    }
    debug_check_heap();
}

/* free's detours: before 2.34 the program's hook takes free's place, even for
   NULL; a stomp block (one exists once stomp mode has made any, whatever the
   mode is now) goes back to stomp/. */
static __attribute__((noinline)) void free_detour(void *mem, const void *caller)
{
    if (hooks_in_force() && arenalloc_free_hook != NULL)
        arenalloc_free_hook(mem, caller);
    else if (!stomp_free(mem))
        free_body(mem);
}

void arenalloc_free(void *mem)
{
    if (free_may_take_usual_path())
        free_body(mem);
    else
        free_detour(mem, HOOK_CALLER());
}

/* calloc must return zeroes, but memory fresh from the OS already is.  So only
   the part of a chunk that may have been used before is cleared.  That matters
   only for a chunk carved from top that reaches past where top ended before
   the call (top was grown for it): of the new memory, what lies beyond the
   highest point the heap ever reached is fresh.  calloc notes top before
   _int_malloc, and works the rest out only in that case. */
struct top_note {
    mchunkptr top;           /* av->top before the call */
    INTERNAL_SIZE_T size;    /* and its size */
    INTERNAL_SIZE_T reached; /* how far the heap had ever reached: main_arena's
                                max_system_mem, or a heap's committed size */
};

static inline struct top_note note_top(mstate av)
{
    INTERNAL_SIZE_T reached = av == &main_arena ? av->max_system_mem : heap_for_ptr(av->top)->mprotect_size;
    return (struct top_note){av->top, chunksize(av->top), reached};
}

/* How many bytes of chunk p's payload to clear. */
static size_t calloc_clear_size(mstate av, mchunkptr p, const struct top_note *before)
{
    INTERNAL_SIZE_T csz = chunksize(p);
    if (p != before->top || csz <= before->size)
        return csz - SIZE_SZ; /* all of it lay in memory the heap already had */

    char *reached_end;
    if (av != &main_arena)
        reached_end = (char *)heap_for_ptr(p) + before->reached;
    else if (contiguous(av) && mp_.sbrk_base != NULL)
        reached_end = mp_.sbrk_base + before->reached;
    else
        return csz - SIZE_SZ; /* a non-contiguous main arena: clear it all */
    INTERNAL_SIZE_T maybe_used = before->size; /* the old top's own bytes, at least */
    if (reached_end - (char *)p > (ptrdiff_t)maybe_used)
        maybe_used = (INTERNAL_SIZE_T)(reached_end - (char *)p);
    return (csz < maybe_used ? csz : maybe_used) - SIZE_SZ;
}

/* calloc's work, once neither a hook nor stomp mode took it over. */
static inline __attribute__((always_inline)) void *calloc_body(size_t bytes)
{
    maybe_init_tcache();
    bool single = single_thread_p();
    mstate av = single ? &main_arena : arena_get(bytes);

    struct top_note before = note_top(av);
    void *mem = _int_malloc(av, bytes);
    if (!single) {
        if (mem == NULL) {
            av = arena_get_retry(av, bytes);
            before = note_top(av);
            mem = _int_malloc(av, bytes);
        }
        arena_unlock(av);
    }
    if (mem == NULL)
        return NULL;

    mchunkptr p = mem2chunk(mem);
    if (perturbing()) /* malloc filled it: all of it must be cleared */
        memset(mem, 0, bytes);
    else if (!chunk_is_mmapped(p)) /* a fresh mapping is zero */
        memset(mem, 0, calloc_clear_size(av, p, &before));
    debug_check_heap();
    return mem;
}

/* calloc's detours are malloc's (malloc_detour): calloc had no hook of its own,
   so malloc's is called and its block cleared; a stomp block's pages are fresh,
   so already zero. */
static __attribute__((noinline)) void *calloc_detour(size_t bytes, const void *caller)
{
    malloc_ensure_init();
    if (hooks_in_force() && arenalloc_malloc_hook != NULL) {
        void *mem = arenalloc_malloc_hook(bytes, caller);
        return mem != NULL ? memset(mem, 0, bytes) : NULL;
    }
    if (stomp_active())
        return stomp_malloc(bytes, 0);
    return calloc_body(bytes);
}

void *arenalloc_calloc(size_t n, size_t elem_size)
{
    size_t bytes;
    if (__builtin_mul_overflow(n, elem_size, &bytes)) {
        errno = ENOMEM;
        return NULL;
    }
    if (malloc_may_take_usual_path())
        return calloc_body(bytes);
    return calloc_detour(bytes, HOOK_CALLER());
}

/* realloc of a chunk with its own mapping: let the OS move the pages. */
static void *realloc_mmapped(mchunkptr oldp, INTERNAL_SIZE_T oldsize, INTERNAL_SIZE_T nb, size_t bytes)
{
    mchunkptr newp = mremap_chunk(oldp, nb);
    if (newp != NULL)
        return chunk2mem(newp);
    if (oldsize - SIZE_SZ >= nb) /* the OS cannot remap, but it fits anyway */
        return chunk2mem(oldp);

    void *newmem = arenalloc_malloc(bytes);
    if (newmem == NULL)
        return NULL;
    memcpy(newmem, chunk2mem(oldp), oldsize - CHUNK_HDR_SZ);
    munmap_chunk(oldp);
    return newmem;
}

void *arenalloc_realloc(void *oldmem, size_t bytes)
{
    if (hooks_in_force() && arenalloc_realloc_hook != NULL)
        return arenalloc_realloc_hook(oldmem, bytes, HOOK_CALLER());
    malloc_ensure_init();
    if (bytes == 0 && oldmem != NULL) { /* glibc: realloc(p, 0) frees p */
        arenalloc_free(oldmem);
        return NULL;
    }
    if (oldmem == NULL)
        return arenalloc_malloc(bytes);
    size_t stomp_size;
    if (stomp_usable_size(oldmem, &stomp_size))
        return stomp_realloc(oldmem, bytes);

    mchunkptr oldp = mem2chunk(oldmem);
    INTERNAL_SIZE_T oldsize = chunksize(oldp);
    if (!chunk_is_mmapped(oldp))
        maybe_init_tcache();
    if ((uintptr_t)oldp > (uintptr_t)-oldsize || misaligned_chunk(oldp))
        malloc_printerr("realloc(): invalid pointer");

    INTERNAL_SIZE_T nb = checked_request2size(bytes);
    if (nb == 0) {
        errno = ENOMEM;
        return NULL;
    }
    if (chunk_is_mmapped(oldp))
        return realloc_mmapped(oldp, oldsize, nb, bytes);

    mstate av = arena_for_chunk(oldp);
    if (single_thread_p()) { /* _int_realloc already tried everything main_arena can */
        void *newp = _int_realloc(av, oldp, oldsize, nb);
        debug_check_heap();
        return newp;
    }
    os_lock(&av->mutex);
    void *newp = _int_realloc(av, oldp, oldsize, nb);
    arena_unlock(av);
    if (newp == NULL) { /* this arena is full: move the block to another */
        newp = arenalloc_malloc(bytes);
        if (newp != NULL) {
            memcpy(newp, oldmem, memsize(oldp));
            _int_free(av, oldp, free_lock_for(av));
        }
    }
    debug_check_heap();
    return newp;
}

void *arenalloc_reallocarray(void *ptr, size_t nmemb, size_t size)
{
    size_t bytes;
    if (__builtin_mul_overflow(nmemb, size, &bytes)) {
        errno = ENOMEM;
        return NULL;
    }
    return arenalloc_realloc(ptr, bytes);
}

size_t arenalloc_malloc_usable_size(void *mem)
{
    if (mem == NULL)
        return 0;
    size_t size;
    if (stomp_usable_size(mem, &size))
        return size;
    mchunkptr p = mem2chunk(mem);
    if (chunk_is_mmapped(p) || inuse(p))
        return memsize(p);
    return 0;
}
