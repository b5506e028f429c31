/*
 * arena.c - choosing an arena for a thread; new arenas; thread exit; fork.
 *
 * One lock per arena means threads that use different arenas never wait for each
 * other.  The question is which arena a thread uses.  Two answers, one switch
 * (arena_policy; ARENALLOC_ARENA_POLICY=trylock|per-thread):
 *
 *   trylock     (the default; glibc before 2.15, and the model this course is
 *               built on) every thread starts on main_arena and stays on
 *               whatever arena it last used as long as that arena's lock is free.
 *               When trylock fails, it walks the ring of arenas and takes the
 *               first it can lock; only when all are busy does it reuse an arena
 *               left by an exited thread or make a new one.  Arenas appear only
 *               where there is contention.
 *   per-thread  (glibc 2.36) a thread's first call gives it an arena of its own
 *               (or one left by an exited thread), and it blocks on that arena's
 *               lock from then on.
 *
 * Frees from other threads.  free(p) must lock the arena p came from, which
 * is often not the freeing thread's own (a server answers on one thread what
 * another allocated).  If the owner's trylock failed on such a free, trylock
 * would make the owner leave its arena, usually for the freeing thread's arena;
 * there the two contend for real, one of them leaves again, and the threads
 * chase each other round the ring: a larson-style run (every object freed by
 * the other thread) spent most of its time switching arenas.  So a free of a
 * fast chunk takes no lock at all (bins/fastbins.h, as glibc 2.36), any other
 * free takes the lock of an arena that is not its thread's as a visitor (os.h,
 * free_lock_for and _int_free), and a thread that finds its arena merely
 * visited waits the short visit out instead of leaving (arena_get's
 * os_lock_unless_used).
 * Only a thread that allocates from the same arena counts as contention; so
 * the model holds: arenas appear where threads contend for one, and a thread
 * stays where it is while only frees come by.
 *
 * Either way the number of arenas is capped (M_ARENA_MAX, else 8 per core once
 * more than M_ARENA_TEST exist); past the cap a thread takes the next arena in
 * round-robin order and waits for its lock (reused_arena).
 *
 * Three more locks, each with one job:
 *   list_lock       guards the ring main_arena.next -> ... -> main_arena (arenas
 *                   are only ever added) and serialises fork.
 *   free_list_lock  guards free_list and every arena's attached_threads and
 *                   next_free.  Nothing is locked while it is held.
 */

#include <errno.h>

#define DEFINES_thread_arena /* bins/static_symbols.h */
#include "include/arenalloc.h"

#include "arena/arena.h"
#include "arena/heap.h"
#include "arena/main_arena.h"
#include "arena/tcache_thread.h"
#include "bins/int_malloc.h"
#include "bins/malloc_par.h"
#include "stomp/stomp.h"

STATIC_SYMBOL OS_THREAD_LOCAL mstate thread_arena;
STATIC_SYMBOL_TLS_ALIAS(thread_arena);
enum arena_policy arena_policy = ARENA_POLICY_TRYLOCK;

static os_lock_t list_lock = OS_LOCK_INITIALIZER;
static os_lock_t free_list_lock = OS_LOCK_INITIALIZER;
static mstate free_list;       /* arenas no thread is attached to */
static size_t narenas = 1;     /* arenas in the ring, main_arena included */

/* glibc's NARENAS_FROM_NCORES: 8 arenas per core on 64-bit. */
static size_t narenas_from_ncores(size_t n) { return n * (sizeof(void *) == 4 ? 2 : 8); }

/* ---- attaching a thread to an arena ------------------------------------------------ */

/* Removes `arena` from the free list, if it is there.  free_list_lock held. */
static void remove_from_free_list(mstate arena)
{
    for (mstate *prev = &free_list; *prev != NULL; prev = &(*prev)->next_free) {
        if (*prev == arena) {
            *prev = arena->next_free;
            return;
        }
    }
}

/* Makes `a` (locked) the calling thread's arena, counting threads per arena so
   the arena can go on the free list when its last thread exits. */
static mstate attach(mstate a)
{
    mstate replaced = thread_arena;
    if (replaced == a)
        return a;

    os_lock(&free_list_lock);
    if (replaced != NULL)
        replaced->attached_threads--;
    remove_from_free_list(a); /* an arena on the free list has no threads */
    a->attached_threads++;
    os_unlock(&free_list_lock);

    if (replaced == NULL)
        os_thread_exit_arm(); /* first arena of this thread: detach at exit */
    thread_arena = a;
    return a;
}

/* ---- the three ways to get an arena when the thread's own will not do ----------------- */

/* An arena left by exited threads, locked, or NULL. */
static mstate get_free_list(void)
{
    if (__atomic_load_n(&free_list, __ATOMIC_RELAXED) == NULL)
        return NULL;
    os_lock(&free_list_lock);
    mstate a = free_list;
    if (a != NULL)
        free_list = a->next_free;
    os_unlock(&free_list_lock);
    if (a == NULL)
        return NULL;
    os_lock(&a->mutex);
    return attach(a);
}

/* A new arena in a new heap, locked and in the ring, or NULL. */
static mstate _int_new_arena(size_t size)
{
    size_t overhead = sizeof(heap_info) + sizeof(struct malloc_state) + MALLOC_ALIGNMENT;
    heap_info *h = new_heap(size + overhead, mp_.top_pad);
    if (h == NULL) /* too large for one heap: let sysmalloc map the request */
        h = new_heap(overhead, mp_.top_pad);
    if (h == NULL)
        return NULL;

    mstate a = h->ar_ptr = (mstate)(h + 1);
    malloc_init_state(a);
    a->system_mem = a->max_system_mem = h->size;
    a->top = heap_first_chunk(h);
    set_head(a->top, (INTERNAL_SIZE_T)((char *)h + h->size - (char *)a->top) | PREV_INUSE);
    os_lock_init(&a->mutex);
    os_lock(&a->mutex);

    os_lock(&list_lock);
    a->next = main_arena.next;
    __atomic_store_n(&main_arena.next, a, __ATOMIC_RELEASE); /* readers walk without list_lock */
    os_unlock(&list_lock);
    return attach(a);
}

/* Past the cap: the first arena in round-robin order that trylock can take, else
   the next one in line, waiting for it.  Avoids `avoid` (locked, and failed). */
static mstate reused_arena(mstate avoid)
{
    static mstate next_to_use; /* a hint: races on it only skew the rotation */
    mstate start = next_to_use != NULL ? next_to_use : &main_arena;
    mstate a = start;

    do {
        if (a != avoid && os_trylock(&a->mutex))
            goto out;
        a = next_arena(a);
    } while (a != start);
    if (a == avoid)
        a = next_arena(a);
    os_lock(&a->mutex);
out:
    next_to_use = next_arena(a);
    return attach(a);
}

/* ---- the slow path of arena_get -------------------------------------------------------- */

/* Takes the first arena of the ring, from `start`, that trylock can lock. */
static mstate trylock_ring(mstate start, mstate avoid)
{
    /* LAB(arena) BEGIN */
    mstate a = start;
    do {
        if (a != avoid && os_trylock(&a->mutex))
            return attach(a);
        a = next_arena(a);
    } while (a != start);
    return NULL;
    /* LAB(arena) END */
}

/* The cap on arenas: M_ARENA_MAX, else none until more than M_ARENA_TEST arenas
   exist, then 8 per core. */
static size_t narenas_limit(void)
{
    static size_t limit;
    if (limit == 0) {
        if (mp_.arena_max != 0)
            limit = mp_.arena_max;
        else if (narenas > mp_.arena_test)
            limit = narenas_from_ncores((size_t)os_ncpus());
    }
    return limit;
}

/* A new arena while under the cap, else NULL. */
static mstate new_arena_if_allowed(size_t size)
{
    size_t n = __atomic_load_n(&narenas, __ATOMIC_RELAXED);
    do {
        if (n > narenas_limit() - 1) /* limit 0 means "no cap yet": wraps to huge */
            return NULL;
    } while (!__atomic_compare_exchange_n(&narenas, &n, n + 1, false, __ATOMIC_ACQ_REL, __ATOMIC_RELAXED));

    mstate a = _int_new_arena(size);
    if (a == NULL)
        __atomic_sub_fetch(&narenas, 1, __ATOMIC_RELAXED);
    return a;
}

mstate arena_get2(size_t size, mstate avoid_arena)
{
    mstate a;

    /* trylock: the thread's arena was busy (or it has none yet): any free one? */
    if (arena_policy == ARENA_POLICY_TRYLOCK) {
        mstate start = thread_arena != NULL ? next_arena(thread_arena) : &main_arena;
        if ((a = trylock_ring(start, avoid_arena)) != NULL)
            return a;
    }
    if ((a = get_free_list()) != NULL)
        return a;
    if ((a = new_arena_if_allowed(size)) != NULL)
        return a;
    return reused_arena(avoid_arena);
}

mstate arena_get_retry(mstate ar_ptr, size_t bytes)
{
    arena_unlock(ar_ptr);
    if (ar_ptr != &main_arena) { /* a heap could not grow: brk might */
        os_lock(&main_arena.mutex);
        return &main_arena;
    }
    return arena_get2(bytes, ar_ptr); /* brk failed: a heap might not */
}

/* ---- thread exit and fork ------------------------------------------------------------ */

/* The thread is exiting: it no longer holds its arena, which goes on the free
   list if no other thread does. */
static void arena_thread_freeres(void)
{
    tcache_thread_shutdown(); /* frees into the arena, so first */
    mstate a = thread_arena;
    thread_arena = NULL;
    if (a == NULL)
        return;
    os_lock(&free_list_lock);
    if (--a->attached_threads == 0) {
        a->next_free = free_list;
        free_list = a;
    }
    os_unlock(&free_list_lock);
}

/* Whether fork_prepare took the locks, for fork_parent to give them back. */
static bool fork_locked;

/* Before fork: hold every lock, so the child's copy of the heap is consistent.
   A single-threaded process has nobody to wait for; and it may be forking from
   a signal handler that interrupted malloc, holding a lock that would then
   never be released (glibc skips the locks then too). */
static void fork_prepare(void)
{
    fork_locked = !os_single_threaded();
    if (!fork_locked)
        return;
    stomp_fork_prepare();
    os_lock(&list_lock);
    mstate a = &main_arena;
    do {
        os_lock(&a->mutex);
        a = a->next;
    } while (a != &main_arena);
}

static void fork_parent(void)
{
    if (!fork_locked)
        return;
    mstate a = &main_arena;
    do {
        os_unlock(&a->mutex);
        a = a->next;
    } while (a != &main_arena);
    os_unlock(&list_lock);
    stomp_fork_parent();
}

/* In the child only the forking thread exists: every lock starts afresh, and
   every arena but this thread's is free for the taking. */
static void fork_child(void)
{
    os_lock_init(&free_list_lock);
    free_list = NULL;
    if (thread_arena != NULL)
        thread_arena->attached_threads = 1;
    mstate a = &main_arena;
    do {
        os_lock_init(&a->mutex);
        if (a != thread_arena) {
            a->attached_threads = 0;
            a->next_free = free_list;
            free_list = a;
        }
        a = a->next;
    } while (a != &main_arena);
    os_lock_init(&list_lock);
    stomp_fork_child();
}

int arenalloc_set_arena_policy(int policy)
{
    if (policy != ARENALLOC_POLICY_TRYLOCK && policy != ARENALLOC_POLICY_PER_THREAD)
        return EINVAL;
    malloc_ensure_init();
    arena_policy = policy == ARENALLOC_POLICY_TRYLOCK ? ARENA_POLICY_TRYLOCK : ARENA_POLICY_PER_THREAD;
    return 0;
}

void arena_init_hooks(void)
{
    os_thread_exit_hook(arena_thread_freeres);
    os_atfork(fork_prepare, fork_parent, fork_child);
}
