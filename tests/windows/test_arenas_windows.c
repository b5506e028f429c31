/*
 * test_arenas_windows.c - thread arenas on Windows: heaps found by masking,
 * thread exit, contention.
 *
 * A thread arena lives in heaps of heap_max_size() (1 MiB by default) at 1 MiB-aligned
 * addresses, which Windows gives only through os_reserve_aligned's three paths.
 * Whatever path made a heap, a chunk of a second thread must lie in a heap whose
 * heap_info->ar_ptr is that thread's arena (heap_for_ptr), and a heap the arena
 * gives back must leave no reservation behind - not even the oversized one of
 * the last resort.  Threads are Windows threads (CreateThread): the library
 * needs no pthreads on Windows, and neither do its tests.  The thread-exit hook
 * (a fiber-local slot's callback) must hand a dead thread's arena to the next.
 */
#include "tests/windows/win_runner.h"

#include <string.h>

#include <windows.h>

#include "arena/arena.h"
#include "arena/heap.h"
#include "arenalloc.h"

enum { BLOCKS = 200, MAX_HEAPS = 64 };

/* What a thread allocated, and where it found it. */
struct thread_blocks {
    void *blocks[BLOCKS];
    mstate arena;                 /* the thread's arena after its last malloc */
    heap_info *heaps[MAX_HEAPS];  /* the distinct heaps its chunks lie in */
    void *heap_bases[MAX_HEAPS];  /* each heap's reservation (AllocationBase) */
    int nheaps;
    char failure[200];
};

static void *allocation_base(const void *p)
{
    MEMORY_BASIC_INFORMATION info;
    return VirtualQuery(p, &info, sizeof info) != 0 ? info.AllocationBase : NULL;
}

/* Whether the heap at `heap`, reserved from `base`, is gone, reservation and
   all.  Gone is not always free: Wine may give the addresses to an allocation
   of its own at once (it finishes a thread's exit after reporting the thread
   done; seen once in ten runs on a loaded machine).  So the heap's address may
   be free, or in an allocation that did not start at `base`, or in committed
   memory that does not hold the heap's heap_info; still reserved from `base`
   but not committed, it is ours, left behind. */
static bool heap_gone(heap_info *heap, void *base, mstate arena)
{
    MEMORY_BASIC_INFORMATION info;
    if (VirtualQuery(heap, &info, sizeof info) == 0)
        return false;
    if (info.State == MEM_FREE || info.AllocationBase != base)
        return true;
    return info.State == MEM_COMMIT && !(info.Protect == PAGE_READWRITE && heap->ar_ptr == arena);
}

/* BLOCKS blocks of 4 to 36 KiB (about 4 MiB: several heaps), each checked
   against its heap as soon as it is made. */
static DWORD WINAPI allocate_in_thread(void *arg)
{
    struct thread_blocks *t = arg;
    for (int i = 0; i < BLOCKS; i++) {
        size_t size = 4096 + (size_t)(i % 9) * 4096;
        char *p = arenalloc_malloc(size);
        if (p == NULL) {
            snprintf(t->failure, sizeof t->failure, "malloc(%zu) failed", size);
            return 1;
        }
        memset(p, i & 0xff, size);
        t->blocks[i] = p;
        mchunkptr chunk = mem2chunk(p);
        heap_info *heap = heap_for_ptr(p);
        if (chunk_main_arena(chunk) || heap->ar_ptr != thread_arena) {
            snprintf(t->failure, sizeof t->failure,
                     "block %d at %p: NON_MAIN_ARENA %d, heap %p, its ar_ptr %p, the thread's arena %p", i, (void *)p,
                     !chunk_main_arena(chunk), (void *)heap, (void *)heap->ar_ptr, (void *)thread_arena);
            return 1;
        }
        int h = 0;
        while (h < t->nheaps && t->heaps[h] != heap)
            h++;
        if (h == t->nheaps && h < MAX_HEAPS) {
            t->heaps[h] = heap;
            t->heap_bases[h] = allocation_base(heap);
            t->nheaps++;
        }
    }
    t->arena = thread_arena;
    return 0;
}

static bool run_thread(LPTHREAD_START_ROUTINE body, void *arg)
{
    HANDLE thread = CreateThread(NULL, 0, body, arg, 0, NULL);
    if (thread == NULL)
        return false;
    WaitForSingleObject(thread, INFINITE);
    CloseHandle(thread);
    return true;
}

/* Settings that make heap deletion predictable: the workouts before may have
   moved the dynamic thresholds (a trim threshold of 1 MiB keeps every heap). */
static void predictable_thresholds(void)
{
    arenalloc_mallopt(M_MMAP_THRESHOLD, 128 * 1024);
    arenalloc_mallopt(M_TRIM_THRESHOLD, 128 * 1024);
    arenalloc_mallopt(M_TOP_PAD, 0);
}

static struct thread_blocks second;

/* One run of the heap test with os_reserve_aligned's first path forced to
   `path` (NULL: the normal order). */
static void check_heaps_of_second_thread(const char *path)
{
    SetEnvironmentVariableA("ARENALLOC_WIN_NO_VIRTUALALLOC2", path);
    memset(&second, 0, sizeof second);
    bool ran = run_thread(allocate_in_thread, &second);
    SetEnvironmentVariableA("ARENALLOC_WIN_NO_VIRTUALALLOC2", NULL);
    CHECK(ran);
    CHECK_MSG(second.failure[0] == '\0', "%s", second.failure);
    CHECK(second.arena != &main_arena && second.arena != NULL);
    CHECK_MSG(second.nheaps >= 3, "only %d heaps", second.nheaps);

    int before = 0; /* heaps whose reservation starts before them: the last resort's */
    for (int h = 0; h < second.nheaps; h++) {
        CHECK((uintptr_t)second.heaps[h] % heap_max_size() == 0);
        CHECK(second.heaps[h]->ar_ptr == second.arena);
        before += (char *)second.heap_bases[h] < (char *)second.heaps[h];
    }
    win_note("ARENALLOC_WIN_NO_VIRTUALALLOC2=%s: arena %p in %d heaps, %d of them inside a larger reservation",
             path != NULL ? path : "(unset)", (void *)second.arena, second.nheaps, before);
    if (path != NULL && strcmp(path, "last-resort") == 0)
        CHECK(before >= 1); /* the heaps made in this run */

    /* The thread has exited; its blocks are freed here, into its arena. */
    for (int i = 0; i < BLOCKS; i++) {
        unsigned char *p = second.blocks[i];
        CHECK_MSG(p[0] == (i & 0xff), "block %d damaged", i);
        arenalloc_free(p);
    }
    const char *problem = arenalloc_check_heap();
    CHECK_MSG(problem == NULL, "heap check: %s", problem);

    /* Every heap but the arena's first (which holds the arena itself) is gone,
       reservation and all. */
    for (int h = 0; h < second.nheaps; h++) {
        if (second.heaps[h] == (heap_info *)((char *)second.arena - sizeof(heap_info)))
            continue;
        CHECK_MSG(heap_gone(second.heaps[h], second.heap_bases[h], second.arena),
                  "heap %p (reserved from %p) still there", (void *)second.heaps[h], second.heap_bases[h]);
    }
}

static void test_heap_for_ptr_virtualalloc2(void)
{
    predictable_thresholds();
    CHECK(arenalloc_set_arena_policy(ARENALLOC_POLICY_PER_THREAD) == 0);
    check_heaps_of_second_thread(NULL);
}

static void test_heap_for_ptr_retry(void) { check_heaps_of_second_thread("1"); }

static void test_heap_for_ptr_last_resort(void) { check_heaps_of_second_thread("last-resort"); }

/* ---- thread exit -------------------------------------------------------------- */

static DWORD WINAPI malloc_once(void *arg)
{
    struct thread_blocks *t = arg;
    void *p = arenalloc_malloc(100);
    t->arena = thread_arena;
    arenalloc_free(p);
    return 0;
}

static void test_exited_threads_arena_goes_to_next_thread(void)
{
    CHECK(arenalloc_set_arena_policy(ARENALLOC_POLICY_PER_THREAD) == 0);
    struct thread_blocks a = {0}, b = {0};
    CHECK(run_thread(malloc_once, &a));
    CHECK(a.arena != NULL && a.arena != &main_arena);
    /* The hook ran at the thread's exit: nobody is attached any more. */
    CHECK_MSG(a.arena->attached_threads == 0, "%zu threads still attached", (size_t)a.arena->attached_threads);
    CHECK(run_thread(malloc_once, &b));
    CHECK_MSG(b.arena == a.arena, "first thread's arena %p, next thread's %p", (void *)a.arena, (void *)b.arena);
}

/* ---- contention --------------------------------------------------------------- */

enum { CONTENDERS = 4, ROUNDS = 20000 };

struct contender {
    uint64_t seed;
    bool bad_arena; /* a chunk whose heap names an arena not in the ring */
    mstate last_arena;
};

static bool in_ring(mstate a)
{
    mstate x = &main_arena;
    do {
        if (x == a)
            return true;
        x = x->next;
    } while (x != &main_arena);
    return false;
}

static DWORD WINAPI contend(void *arg)
{
    struct contender *c = arg;
    struct win_rng rng = {c->seed};
    void *live[32] = {0};
    for (int r = 0; r < ROUNDS; r++) {
        size_t i = win_rng_below(&rng, 32);
        if (live[i] != NULL) {
            arenalloc_free(live[i]);
            live[i] = NULL;
        } else {
            live[i] = arenalloc_malloc(16 + win_rng_below(&rng, 2000));
            if (live[i] != NULL && !chunk_main_arena(mem2chunk(live[i])) && !in_ring(heap_for_ptr(live[i])->ar_ptr))
                c->bad_arena = true;
        }
    }
    for (int i = 0; i < 32; i++)
        arenalloc_free(live[i]);
    c->last_arena = thread_arena;
    return 0;
}

static void test_contention_makes_arenas(void)
{
    CHECK(arenalloc_set_arena_policy(ARENALLOC_POLICY_TRYLOCK) == 0);
    struct contender contenders[CONTENDERS];
    HANDLE threads[CONTENDERS];
    for (int t = 0; t < CONTENDERS; t++) {
        contenders[t] = (struct contender){.seed = 0x1234567 + (uint64_t)t * 7919};
        threads[t] = CreateThread(NULL, 0, contend, &contenders[t], 0, NULL);
        CHECK(threads[t] != NULL);
    }
    WaitForMultipleObjects(CONTENDERS, threads, TRUE, INFINITE);
    int narenas = 0;
    mstate a = &main_arena;
    do {
        narenas++;
        a = a->next;
    } while (a != &main_arena);
    for (int t = 0; t < CONTENDERS; t++) {
        CloseHandle(threads[t]);
        CHECK(!contenders[t].bad_arena);
    }
    const char *problem = arenalloc_check_heap();
    CHECK_MSG(problem == NULL, "heap check: %s", problem);
    win_note("%d threads x %d rounds under trylock; %d arenas in the ring now", CONTENDERS, ROUNDS, narenas);
}

void arenas_windows_tests(void)
{
    win_run("arenas: heap_for_ptr on a second thread's chunks, VirtualAlloc2", test_heap_for_ptr_virtualalloc2);
    win_run("arenas: heap_for_ptr on a second thread's chunks, retry (forced)", test_heap_for_ptr_retry);
    win_run("arenas: heap_for_ptr on a second thread's chunks, last resort (forced)", test_heap_for_ptr_last_resort);
    win_run("arenas: an exited thread's arena goes to the next thread", test_exited_threads_arena_goes_to_next_thread);
    win_run("arenas: contention under trylock", test_contention_makes_arenas);
}
