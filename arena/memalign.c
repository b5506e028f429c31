/*
 * memalign.c - the aligned allocation functions: memalign, aligned_alloc,
 * posix_memalign, valloc, pvalloc.
 *
 * All of them end in _mid_memalign (glibc's name), which normalises the alignment
 * and calls _int_memalign on a locked arena.  Their differences are only in how
 * they treat their arguments, and those are glibc 2.36's exactly.
 */
#include "include/arenalloc.h"

#include <errno.h>
#include <stdint.h>

#include "arena/arena.h"
#include "arena/hooks.h"
#include "arena/main_arena.h"
#include "bins/int_malloc.h"
#include "inspect/heap_check.h"
#include "stomp/stomp.h"
#include "syscall/os.h"

static bool powerof2(size_t x) { return (x & (x - 1)) == 0; }

/* `caller`: the address the public function returns to, for the hook. */
static void *_mid_memalign(size_t alignment, size_t bytes, const void *caller)
{
    if (hooks_in_force() && arenalloc_memalign_hook != NULL)
        return arenalloc_memalign_hook(alignment, bytes, caller);

    /* malloc's chunks are 16-byte aligned already. */
    if (alignment <= MALLOC_ALIGNMENT)
        return arenalloc_malloc(bytes);

    /* The leading piece _int_memalign frees must be a chunk: at least MINSIZE. */
    if (alignment < MINSIZE)
        alignment = MINSIZE;
    if (alignment > SIZE_MAX / 2 + 1) {
        errno = EINVAL;
        return NULL;
    }
    /* memalign accepts any alignment and rounds it up to a power of two. */
    if (!powerof2(alignment)) {
        size_t a = MALLOC_ALIGNMENT * 2;
        while (a < alignment)
            a <<= 1;
        alignment = a;
    }

    malloc_ensure_init();
    if (stomp_active())
        return stomp_malloc(bytes, alignment);
    if (single_thread_p()) { /* no lock, no retry: see arena.h */
        void *p = _int_memalign(&main_arena, alignment, bytes);
        debug_check_heap();
        return p;
    }
    mstate av = arena_get(bytes + alignment + MINSIZE);
    void *p = _int_memalign(av, alignment, bytes);
    if (p == NULL) {
        av = arena_get_retry(av, bytes);
        p = _int_memalign(av, alignment, bytes);
    }
    arena_unlock(av);
    debug_check_heap();
    return p;
}

void *arenalloc_memalign(size_t alignment, size_t bytes) { return _mid_memalign(alignment, bytes, HOOK_CALLER()); }

/* glibc 2.36's aligned_alloc is memalign under another name (the stricter C17
   checks came in 2.38). */
void *arenalloc_aligned_alloc(size_t alignment, size_t bytes) { return _mid_memalign(alignment, bytes, HOOK_CALLER()); }

int arenalloc_posix_memalign(void **memptr, size_t alignment, size_t size)
{
    /* POSIX: a power of two multiple of sizeof(void *), else EINVAL. */
    if (alignment == 0 || alignment % sizeof(void *) != 0 || !powerof2(alignment / sizeof(void *)))
        return EINVAL;

    void *mem = _mid_memalign(alignment, size, HOOK_CALLER());
    if (mem == NULL)
        return ENOMEM;
    *memptr = mem;
    return 0;
}

void *arenalloc_valloc(size_t bytes) { return _mid_memalign(os_page_size(), bytes, HOOK_CALLER()); }

void *arenalloc_pvalloc(size_t bytes)
{
    size_t pagesize = os_page_size();
    size_t rounded_bytes;
    if (__builtin_add_overflow(bytes, pagesize - 1, &rounded_bytes)) {
        errno = ENOMEM;
        return NULL;
    }
    /* glibc 2.36 masks with -(pagesize - 1), not -pagesize, which keeps bit 0:
       pvalloc(0) asks for 1 byte, not a page.  Kept, so both give the same sizes. */
    rounded_bytes &= -(pagesize - 1);
    return _mid_memalign(pagesize, rounded_bytes, HOOK_CALLER());
}
