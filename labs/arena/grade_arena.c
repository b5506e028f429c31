/*
 * grade_arena.c - the arena lab's grader: trylock_ring, the heart of the
 * trylock model (glibc before 2.15, and this course): a thread whose arena is
 * busy walks the ring of arenas and takes the first it can lock; only when all
 * are busy is a new one made.
 *
 * Contention is made on purpose, not waited for: the test holds an arena's
 * lock itself (os_lock on its mutex) while another thread allocates.
 */
#include "grade.h"
#include "tests/test_helpers.h"

#include <pthread.h>

#include "arena/arena.h"
#include "arena/heap.h"

/* The arena a block came from. */
static mstate arena_of(void *p)
{
    return (size_word(p) & NON_MAIN_ARENA) ? heap_for_ptr(p)->ar_ptr : &main_arena;
}

static void *one_block(void *arg)
{
    (void)arg;
    return arenalloc_malloc(0x100);
}

static void *in_thread(void)
{
    pthread_t t;
    void *p;
    ck_assert_int_eq(pthread_create(&t, NULL, one_block, NULL), 0);
    pthread_join(t, &p);
    ck_assert_ptr_nonnull(p);
    return p;
}

START_TEST(free_main_shared)
{
    xmalloc(0x10); /* the library is set up before any thread */
    void *p = in_thread();
    ck_assert_msg(arena_of(p) == &main_arena, "under trylock, a new thread whose way to main_arena is free should "
                                              "share main_arena, not make an arena of its own");
}
END_TEST

START_TEST(busy_main_new_arena)
{
    xmalloc(0x10);
    os_lock(&main_arena.mutex);
    void *p = in_thread();
    os_unlock(&main_arena.mutex);
    ck_assert_msg(arena_of(p) != &main_arena, "with main_arena locked by someone else and no other arena, the thread "
                                              "should get a new arena");
}
END_TEST

/* A thread that allocates once and then waits, holding on to its arena
   (unlocked) so the arena is neither free-listed nor busy. */
static pthread_mutex_t hold = PTHREAD_MUTEX_INITIALIZER;
static void *allocate_and_wait(void *arg)
{
    *(void **)arg = arenalloc_malloc(0x100);
    pthread_mutex_lock(&hold);
    pthread_mutex_unlock(&hold);
    return NULL;
}

START_TEST(ring_reuses_free_arena)
{
    xmalloc(0x10);
    pthread_mutex_lock(&hold);
    os_lock(&main_arena.mutex);
    void *first = NULL;
    pthread_t t;
    ck_assert_int_eq(pthread_create(&t, NULL, allocate_and_wait, &first), 0);
    while (__atomic_load_n(&first, __ATOMIC_ACQUIRE) == NULL)
        sched_yield();
    mstate a = arena_of(first);
    ck_assert_msg(a != &main_arena, "the first thread should have made a new arena while main_arena was locked");
    void *second = in_thread(); /* main_arena still locked, a is unlocked */
    os_unlock(&main_arena.mutex);
    pthread_mutex_unlock(&hold);
    pthread_join(t, NULL);
    ck_assert_msg(arena_of(second) == a, "with main_arena busy and the other arena free, trylock_ring should walk the "
                                         "ring to that arena rather than make a third");
}
END_TEST

START_TEST(all_busy_new)
{
    xmalloc(0x10);
    pthread_mutex_lock(&hold);
    os_lock(&main_arena.mutex);
    void *first = NULL;
    pthread_t t;
    ck_assert_int_eq(pthread_create(&t, NULL, allocate_and_wait, &first), 0);
    while (__atomic_load_n(&first, __ATOMIC_ACQUIRE) == NULL)
        sched_yield();
    mstate a = arena_of(first);
    os_lock(&a->mutex); /* now both arenas are busy */
    void *second = in_thread();
    os_unlock(&a->mutex);
    os_unlock(&main_arena.mutex);
    pthread_mutex_unlock(&hold);
    pthread_join(t, NULL);
    ck_assert_msg(arena_of(second) != &main_arena && arena_of(second) != a, "with main_arena and the other arena both "
                  "locked, trylock_ring should find nothing and the thread should get a third arena");
}
END_TEST

START_TEST(untouched_single)
{
    tcache_off();
    void *a = xmalloc(0x100);
    arenalloc_free(a);
    ck_assert_ptr_eq(arenalloc_malloc(0x100), a);
}
END_TEST

static void *per_thread_block(void *arg)
{
    (void)arg;
    void *p = arenalloc_malloc(0x100);
    arenalloc_free(p);
    return arenalloc_malloc(0x100);
}

START_TEST(untouched_per_thread)
{
    ck_assert_int_eq(arenalloc_set_arena_policy(ARENALLOC_POLICY_PER_THREAD), 0);
    pthread_t t;
    void *p;
    ck_assert_int_eq(pthread_create(&t, NULL, per_thread_block, NULL), 0);
    pthread_join(t, &p);
    ck_assert_msg(p != NULL && arena_of(p) != &main_arena, "under the per-thread policy a thread has its own arena");
}
END_TEST

void lab_register(void)
{
    lab_scored("a new thread shares main_arena while it is free", free_main_shared);
    lab_scored("a busy main_arena makes the thread a new arena", busy_main_new_arena);
    lab_scored("trylock_ring takes another arena that is free before making one", ring_reuses_free_arena);
    lab_scored("with every arena busy, a new one is made", all_busy_new);
    lab_untouched("a single-threaded program never looks for an arena", untouched_single);
    lab_untouched("the per-thread policy does not use the trylock ring", untouched_per_thread);
}
