/*
 * tcache.c - allocating and freeing the per-thread cache's structure (see
 * tcache.h for why it exists before the cache does).
 */
#include "arena/tcache.h"

#include <string.h>

#include "arena/arena.h"
#include "bins/int_malloc.h"
#include "include/arenalloc.h"

OS_THREAD_LOCAL tcache_perthread_struct *tcache;
OS_THREAD_LOCAL bool tcache_shutting_down;

void tcache_init(void)
{
    const size_t bytes = sizeof(tcache_perthread_struct);
    mstate av = arena_get(bytes);
    void *victim = _int_malloc(av, bytes);
    if (victim == NULL) {
        av = arena_get_retry(av, bytes);
        victim = _int_malloc(av, bytes);
    }
    arena_unlock(av);

    /* Out of memory this early: try again at the next call. */
    if (victim != NULL) {
        tcache = victim;
        memset(tcache, 0, sizeof *tcache);
    }
}

void tcache_thread_shutdown(void)
{
    tcache_shutting_down = true;
    if (tcache == NULL)
        return;

    void *mem = tcache;
    tcache = NULL;
    arenalloc_free(mem); /* the full free: under memory pressure it may be mapped */
}
