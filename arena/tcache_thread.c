/*
 * tcache_thread.c - the per-thread cache's slow paths: the key, the structure's
 * birth and death, and the settings (bins/tcache.h says what the cache is; the
 * fast paths are inline there and in _int_malloc/_int_free).
 */
#define DEFINES_tcache /* bins/static_symbols.h */
#include "arena/tcache_thread.h"

#include <string.h>

#include "arena/arena.h"
#include "arena/main_arena.h"
#include "bins/int_malloc.h"
#include "bins/malloc_par.h"
#include "include/arenalloc.h"

/* Declared in bins/tcache.h, with the cache. */
STATIC_SYMBOL OS_THREAD_LOCAL tcache_perthread_struct *tcache;
STATIC_SYMBOL_TLS_ALIAS(tcache);
OS_THREAD_LOCAL bool tcache_shutting_down;
uintptr_t tcache_key;

void tcache_key_initialize(void)
{
    os_random(&tcache_key, sizeof tcache_key);
}

void tcache_init(void)
{
    if (!release_since(26)) /* glibc had no cache before 2.26 */
        return;
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

/* Frees every entry of the calling thread's cache, then the structure. */
static void tcache_free_all(void)
{
    tcache_perthread_struct *tc = tcache;
    /* First out of reach, so the frees below go to the arena, not back here. */
    tcache = NULL;
    for (size_t i = 0; i < TCACHE_MAX_BINS; i++) {
        while (tc->entries[i] != NULL) {
            tcache_entry *e = tc->entries[i];
            if (release_since(32) && !aligned_OK((uintptr_t)e))
                malloc_printerr("tcache_thread_shutdown(): unaligned tcache chunk detected");
            tc->entries[i] = tcache_reveal(&e->next);
            arenalloc_free(e);
        }
    }
    arenalloc_free(tc); /* the full free: under memory pressure it may be mapped */
}

void tcache_thread_shutdown(void)
{
    tcache_shutting_down = true;
    if (tcache != NULL)
        tcache_free_all();
}

/* Stores every link of the calling thread's cache plainly (plain) or as the
   current release stores it (safe-linked from 2.32). */
static void tcache_relink(bool plain)
{
    for (size_t i = 0; i < TCACHE_MAX_BINS; i++)
        for (tcache_entry *e = tcache->entries[i]; e != NULL;) {
            tcache_entry *next = plain ? tcache_reveal(&e->next) : e->next;
            e->next = plain ? next : tcache_protect(&e->next, next);
            e = next;
        }
}

void tcache_change_release(int glibc_minor)
{
    if (tcache != NULL)
        tcache_relink(true);
    glibc_release = glibc_minor;
    /* A release without the cache: give the thread's back to its arena, so its
       heap is what that glibc's would be from here on (tcache_init makes none). */
    if (tcache != NULL && !release_since(26))
        tcache_free_all();
    if (tcache != NULL)
        tcache_relink(false);
}

/* ---- settings (glibc.malloc.tcache_*) ---------------------------------------------- */

/* Requests up to `value` bytes are cached; larger values than bin 63 serves are
   refused, as glibc refuses them. */
bool do_set_tcache_max(size_t value)
{
    if (value > MAX_TCACHE_SIZE)
        return false;
    mp_.tcache_max_bytes = value;
    mp_.tcache_bins = csize2tidx(request2size(value)) + 1;
    return true;
}

bool do_set_tcache_count(size_t value)
{
    if (value > MAX_TCACHE_COUNT)
        return false;
    mp_.tcache_count = value;
    return true;
}

/* How many chunks the unsorted scan may sort, once it has cached an exact fit,
   before it stops and returns one (0: no limit). */
void do_set_tcache_unsorted_limit(size_t value)
{
    mp_.tcache_unsorted_limit = value;
}

int arenalloc_set_tcache_count(size_t count)
{
    malloc_ensure_init();
    if (!do_set_tcache_count(count))
        return 0;
    /* Entries beyond the new count would not be there had the count been set
       at start-up: give the calling thread's back.  A bin holding `count`
       entries is full, so free sends each one to its arena. */
    if (tcache == NULL)
        return 1;
    for (size_t i = 0; i < TCACHE_MAX_BINS; i++)
        while (tcache_bin_count(i) > count && tcache->entries[i] != NULL)
            arenalloc_free(tcache_get(i));
    return 1;
}
