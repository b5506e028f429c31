/*
 * test_arenas.c - per-thread arenas (white-box: reads main_arena, mp_,
 * thread_arena and the heaps of the prefixed build).
 *
 * What is pinned down: contention spawns arenas and every chunk names its arena
 * (NON_MAIN_ARENA, the 1 MiB mask, heap_info->ar_ptr); the per-thread policy; the
 * cap on arenas (mallopt and MALLOC_ARENA_MAX); arenas left by exited threads are
 * reused; a thread arena chains heaps and drops them again; fork from a process
 * whose threads are busy in the allocator; a process with one thread takes no
 * lock and never leaves main_arena; frees from other threads do not make a
 * thread leave its arena (trylock).
 *
 * Each test runs in a process of its own (Check's fork mode), in which the
 * allocator starts uninitialised: the tests that set environment variables before
 * the first call rely on that, and say so if it does not hold (CK_FORK=no).
 *
 * Threads never call ck_assert (a failure would end the process under the other
 * threads' feet): they record what they saw, and the test's own thread asserts
 * after joining them.
 *
 * Environment:
 *   ARENALLOC_ARENAS_OPS   malloc/free pairs per thread in the contention tests
 *                          (default 200000); the other threaded tests do a fixed
 *                          fraction of it.  Lower it for the DEBUG build (heap
 *                          checker after every call), e.g. to 5000.
 */
#include <check.h>
#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "arena/arena.h"
#include "arena/heap.h"
#include "arena/main_arena.h"
#include "arena/tcache_thread.h"
#include "bins/fastbins.h"
#include "bins/malloc_par.h"
#include "include/arenalloc.h"
#include "syscall/os.h"
#include "tests/suites.h"
#define TEST_HELPERS_ARENA
#include "tests/test_helpers.h"

#define DEFAULT_OPS 200000L
#define HAMMERS 4

/* ---- helpers ------------------------------------------------------------------ */

static long env_long(const char *name, long dflt)
{
    const char *v = getenv(name);
    if (v == NULL || *v == '\0')
        return dflt;
    char *end;
    long x = strtol(v, &end, 0);
    return *end == '\0' && x > 0 ? x : dflt;
}

static long contention_ops(void) { return env_long("ARENALLOC_ARENAS_OPS", DEFAULT_OPS); }

static size_t ncores(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n >= 1 ? (size_t)n : 1;
}

static bool in_ring(mstate av)
{
    mstate a = &main_arena;
    do {
        if (a == av)
            return true;
        a = ring_next(a);
    } while (a != &main_arena);
    return false;
}

/* A thread arena's first heap starts 1 MiB aligned, and its malloc_state follows
   the heap_info. */
static bool arena_heap_aligned(mstate av)
{
    heap_info *first = (heap_info *)av - 1;
    return ((uintptr_t)first & (heap_max_size() - 1)) == 0 && heap_for_ptr(av) == first && first->ar_ptr == av;
}

static size_t rss_bytes(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    unsigned long size = 0, resident = 0;
    if (f != NULL) {
        if (fscanf(f, "%lu %lu", &size, &resident) != 2)
            resident = 0;
        fclose(f);
    }
    return (size_t)resident * (size_t)sysconf(_SC_PAGESIZE);
}

static uint32_t xorshift32(uint32_t *s)
{
    uint32_t x = *s;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return *s = x;
}

static void start_thread(pthread_t *t, void *(*fn)(void *), void *arg)
{
    ck_assert_int_eq(pthread_create(t, NULL, fn, arg), 0);
}

static void join_thread(pthread_t t) { ck_assert_int_eq(pthread_join(t, NULL), 0); }

/* What is wrong with heap block p, just returned to a thread whose arena is now
   av; NULL if nothing. */
static const char *block_problem(void *p, mstate av)
{
    if (p == NULL)
        return "malloc returned NULL";
    mchunkptr c = mem2chunk(p);
    if (chunk_is_mmapped(c))
        return "a small block is mmapped";
    if (av == NULL)
        return "thread_arena is NULL after a call";
    if (arena_for_chunk(c) != av)
        return "arena_for_chunk(mem2chunk(p)) is not the arena the thread allocated from";
    if (av == &main_arena)
        return chunk_main_arena(c) ? NULL : "a main_arena chunk has NON_MAIN_ARENA";
    if (chunk_main_arena(c))
        return "a thread arena's chunk lacks NON_MAIN_ARENA";
    if (heap_for_ptr(p)->ar_ptr != av)
        return "heap_for_ptr(p)->ar_ptr is not the thread's arena";
    if ((char *)c < (char *)(heap_for_ptr(p) + 1))
        return "chunk overlaps its heap's heap_info";
    if (!arena_heap_aligned(av))
        return "the arena's first heap is not 1 MiB aligned";
    return NULL;
}

/* ---- a thread hammering malloc and free ---------------------------------------- */

#define MAX_SEEN 64

struct hammer {
    pthread_t thread;
    uint32_t seed;
    long ops;
    pthread_barrier_t *after_first; /* if set: wait here after the first call */
    long from_main, from_other; /* blocks served by main_arena / by a thread arena */
    long errors;
    char first_error[160];
    mstate seen[MAX_SEEN];      /* the arenas it allocated from */
    int nseen;
};

static void note_error(struct hammer *h, const char *what, long op)
{
    if (h->errors++ == 0)
        snprintf(h->first_error, sizeof h->first_error, "op %ld: %s", op, what);
}

static void note_arena(struct hammer *h, mstate av)
{
    for (int i = 0; i < h->nseen; i++)
        if (h->seen[i] == av)
            return;
    if (h->nseen < MAX_SEEN)
        h->seen[h->nseen++] = av;
}

/* 64 live blocks of 16..511 bytes, each replaced in turn at random. */
static void *hammer_thread(void *arg)
{
    struct hammer *h = arg;
    void *live[64] = {0};
    uint32_t s = h->seed | 1;

    for (long op = 0; op < h->ops; op++) {
        uint32_t r = xorshift32(&s);
        size_t j = r % 64, size = 16 + (r >> 8) % 496;
        arenalloc_free(live[j]);
        void *p = arenalloc_malloc(size);
        mstate av = thread_arena;
        if (op == 0 && h->after_first != NULL)
            pthread_barrier_wait(h->after_first);
        const char *why = block_problem(p, av);
        if (why != NULL) {
            note_error(h, why, op);
            live[j] = NULL;
            continue;
        }
        note_arena(h, av);
        if (av == &main_arena)
            h->from_main++;
        else
            h->from_other++;
        memset(p, (int)j, size);
        live[j] = p;
    }
    for (int j = 0; j < 64; j++)
        arenalloc_free(live[j]);
    return NULL;
}

/* Runs n hammer threads at once and checks what they recorded. */
static void run_hammers(struct hammer *h, int n, long ops)
{
    for (int i = 0; i < n; i++) {
        memset(&h[i], 0, sizeof h[i]);
        h[i].seed = 0x9e3779b9u * (uint32_t)(i + 1);
        h[i].ops = ops;
        start_thread(&h[i].thread, hammer_thread, &h[i]);
    }
    for (int i = 0; i < n; i++)
        join_thread(h[i].thread);
    for (int i = 0; i < n; i++) {
        ck_assert_msg(h[i].errors == 0, "thread %d: %ld bad blocks, first: %s", i, h[i].errors, h[i].first_error);
        for (int k = 0; k < h[i].nseen; k++)
            ck_assert_msg(in_ring(h[i].seen[k]), "thread %d allocated from %p, which is not in the ring", i,
                          (void *)h[i].seen[k]);
    }
}

static long total_from_other(const struct hammer *h, int n)
{
    long t = 0;
    for (int i = 0; i < n; i++)
        t += h[i].from_other;
    return t;
}

/* Every thread arena in the ring: 1 MiB-aligned heaps that name it, and nothing
   wrong in any arena. */
static void check_ring(void)
{
    mstate a = ring_next(&main_arena);
    for (; a != &main_arena; a = ring_next(a)) {
        ck_assert_msg(arena_heap_aligned(a), "arena %p: first heap not 1 MiB aligned", (void *)a);
        os_lock(&a->mutex);
        for (heap_info *h = heap_for_ptr(a->top); h != NULL; h = h->prev) {
            ck_assert_msg(h->ar_ptr == a, "heap %p of arena %p names arena %p", (void *)h, (void *)a,
                          (void *)h->ar_ptr);
            ck_assert_uint_le(h->size, heap_max_size());
        }
        os_unlock(&a->mutex);
    }
    ck_assert_ptr_null(arenalloc_check_heap());
}

/* ---- contention ------------------------------------------------------------------ */

/* Threads contending for main_arena make more arenas, and each block carries its
   arena: NON_MAIN_ARENA, heap_for_ptr(p)->ar_ptr and arena_for_chunk agree with the
   arena the allocating thread was on; main_arena's blocks lack the bit. */
START_TEST(test_contention_spawns_arenas)
{
    struct hammer h[HAMMERS];
    run_hammers(h, HAMMERS, contention_ops());
    ck_assert_uint_gt(arena_count(), 1);
    ck_assert_int_gt(total_from_other(h, HAMMERS), 0);
    long from_main = 0;
    for (int i = 0; i < HAMMERS; i++)
        from_main += h[i].from_main;
    ck_assert_int_gt(from_main, 0); /* every thread starts on main_arena */
    check_ring();
}
END_TEST

/* ---- the per-thread policy -------------------------------------------------------- */

struct first_call {
    pthread_t thread;
    pthread_barrier_t *all_have_one;
    mstate arena;       /* thread_arena after the first call */
    mstate chunk_arena; /* arena_for_chunk of the block it got */
    bool main_bit;      /* the block's NON_MAIN_ARENA bit was clear */
};

/* One malloc, then wait until every thread has made its own, so no thread exits
   (and leaves its arena to the others) too early. */
static void *first_call_thread(void *arg)
{
    struct first_call *fc = arg;
    void *p = arenalloc_malloc(40);
    fc->arena = thread_arena;
    if (p != NULL) {
        fc->chunk_arena = arena_for_chunk(mem2chunk(p));
        fc->main_bit = chunk_main_arena(mem2chunk(p));
    }
    pthread_barrier_wait(fc->all_have_one);
    arenalloc_free(p);
    return NULL;
}

/* Starts n threads that make one call each, all alive at once. */
static void run_first_calls(struct first_call *fc, int n)
{
    pthread_barrier_t b;
    ck_assert_int_eq(pthread_barrier_init(&b, NULL, (unsigned)n), 0);
    for (int i = 0; i < n; i++) {
        memset(&fc[i], 0, sizeof fc[i]);
        fc[i].all_have_one = &b;
        start_thread(&fc[i].thread, first_call_thread, &fc[i]);
    }
    for (int i = 0; i < n; i++)
        join_thread(fc[i].thread);
    pthread_barrier_destroy(&b);
}

/* An unknown policy is refused with EINVAL; the two known ones are accepted. */
START_TEST(test_set_policy_validates)
{
    ck_assert_int_eq(arenalloc_set_arena_policy(2), EINVAL);
    ck_assert_int_eq(arenalloc_set_arena_policy(-1), EINVAL);
    ck_assert_int_eq(arena_policy, ARENA_POLICY_TRYLOCK);
    ck_assert_int_eq(arenalloc_set_arena_policy(ARENALLOC_POLICY_PER_THREAD), 0);
    ck_assert_int_eq(arena_policy, ARENA_POLICY_PER_THREAD);
    ck_assert_int_eq(arenalloc_set_arena_policy(ARENALLOC_POLICY_TRYLOCK), 0);
    ck_assert_int_eq(arena_policy, ARENA_POLICY_TRYLOCK);
}
END_TEST

/* Per-thread policy: each of N threads (under the cap) gets a distinct thread
   arena at its first call, without any contention. */
START_TEST(test_per_thread_policy_distinct_arenas)
{
    enum { N = 6 };
    ck_assert_int_eq(arenalloc_set_arena_policy(ARENALLOC_POLICY_PER_THREAD), 0);
    struct first_call fc[N];
    run_first_calls(fc, N);
    for (int i = 0; i < N; i++) {
        ck_assert_ptr_nonnull(fc[i].arena);
        ck_assert_msg(fc[i].arena != &main_arena, "thread %d is on main_arena", i);
        ck_assert_ptr_eq(fc[i].chunk_arena, fc[i].arena);
        ck_assert(!fc[i].main_bit);
        ck_assert(arena_heap_aligned(fc[i].arena));
        for (int k = 0; k < i; k++)
            ck_assert_msg(fc[i].arena != fc[k].arena, "threads %d and %d share arena %p", k, i,
                          (void *)fc[i].arena);
    }
    ck_assert_uint_eq(arena_count(), N + 1);
    check_ring();
}
END_TEST

static atomic_bool hammers_done;

/* Takes and holds each thread arena's lock in turn, as frees from other threads
   would, until the hammers are done. */
static void *lock_holder_thread(void *arg)
{
    (void)arg;
    while (!atomic_load(&hammers_done)) {
        for (mstate a = ring_next(&main_arena); a != &main_arena; a = ring_next(a)) {
            os_lock(&a->mutex);
            for (volatile int spin = 0; spin < 2000; spin++)
                ;
            os_unlock(&a->mutex);
        }
        sched_yield();
    }
    return NULL;
}

/* Per-thread policy: a thread whose arena is busy waits for it; it never moves
   to another arena or makes one, as the trylock policy would. */
START_TEST(test_per_thread_policy_threads_stay)
{
    enum { N = 3 };
    ck_assert_int_eq(arenalloc_set_arena_policy(ARENALLOC_POLICY_PER_THREAD), 0);
    struct hammer h[N];
    pthread_t holder;
    pthread_barrier_t all_started; /* no thread exits, freeing its arena, before all have one */
    ck_assert_int_eq(pthread_barrier_init(&all_started, NULL, N), 0);
    atomic_store(&hammers_done, false);
    start_thread(&holder, lock_holder_thread, NULL);
    for (int i = 0; i < N; i++) {
        memset(&h[i], 0, sizeof h[i]);
        h[i].seed = 0x2545f491u * (uint32_t)(i + 1);
        h[i].ops = contention_ops() / 4;
        h[i].after_first = &all_started;
        start_thread(&h[i].thread, hammer_thread, &h[i]);
    }
    for (int i = 0; i < N; i++)
        join_thread(h[i].thread);
    atomic_store(&hammers_done, true);
    join_thread(holder);
    pthread_barrier_destroy(&all_started);
    for (int i = 0; i < N; i++) {
        ck_assert_msg(h[i].errors == 0, "thread %d: %s", i, h[i].first_error);
        ck_assert_msg(h[i].nseen == 1, "thread %d used %d arenas", i, h[i].nseen);
        ck_assert(h[i].seen[0] != &main_arena);
        for (int k = 0; k < i; k++)
            ck_assert(h[i].seen[0] != h[k].seen[0]);
    }
    ck_assert_uint_eq(arena_count(), N + 1);
    check_ring();
}
END_TEST

/* ARENALLOC_ARENA_POLICY=per-thread, read at start-up, selects the same policy. */
START_TEST(test_policy_from_environment)
{
    ck_assert_msg(!atomic_load(&__malloc_initialized), "the allocator was used before this test (CK_FORK=no?)");
    ck_assert_int_eq(setenv("ARENALLOC_ARENA_POLICY", "per-thread", 1), 0);
    arenalloc_free(arenalloc_malloc(1));
    ck_assert_int_eq(arena_policy, ARENA_POLICY_PER_THREAD);
    struct first_call fc[2];
    run_first_calls(fc, 2);
    ck_assert(fc[0].arena != &main_arena && fc[1].arena != &main_arena && fc[0].arena != fc[1].arena);
}
END_TEST

/* Per-thread policy without M_ARENA_MAX: past M_ARENA_TEST arenas the cap is 8 per
   core, and threads beyond it share the existing arenas. */
START_TEST(test_per_thread_policy_default_cap)
{
    size_t cap = 8 * ncores();
    int n = (int)(cap + 8 > 200 ? 200 : cap + 8);
    ck_assert_int_eq(arenalloc_set_arena_policy(ARENALLOC_POLICY_PER_THREAD), 0);
    struct first_call *fc = calloc((size_t)n, sizeof *fc);
    ck_assert_ptr_nonnull(fc);
    run_first_calls(fc, n);
    for (int i = 0; i < n; i++)
        ck_assert(in_ring(fc[i].arena) && fc[i].chunk_arena == fc[i].arena);
    ck_assert_uint_le(arena_count(), cap);
    if ((size_t)n >= cap)
        ck_assert_uint_eq(arena_count(), cap);
    free(fc);
    check_ring();
}
END_TEST

/* ---- the cap: M_ARENA_MAX and MALLOC_ARENA_MAX ---------------------------------------- */

/* Contention under a cap of `cap` arenas: the ring never holds more. */
static void contention_under_cap(size_t cap)
{
    struct hammer h[HAMMERS];
    run_hammers(h, HAMMERS, contention_ops());
    ck_assert_uint_le(arena_count(), cap);
    if (cap == 1)
        ck_assert_int_eq(total_from_other(h, HAMMERS), 0);
    else
        ck_assert_uint_eq(arena_count(), cap); /* the contention is there: it uses all it may */
    check_ring();
}

/* mallopt(M_ARENA_MAX, 1): contention never makes a second arena. */
START_TEST(test_mallopt_arena_max_1)
{
    ck_assert_int_eq(arenalloc_mallopt(M_ARENA_MAX, 1), 1);
    contention_under_cap(1);
}
END_TEST

/* mallopt(M_ARENA_MAX, 2): at most two arenas, however many threads contend. */
START_TEST(test_mallopt_arena_max_2)
{
    ck_assert_int_eq(arenalloc_mallopt(M_ARENA_MAX, 2), 1);
    contention_under_cap(2);
}
END_TEST

/* Sets MALLOC_ARENA_MAX before the allocator's first call, which reads it. */
static void env_arena_max(const char *value, size_t cap)
{
    ck_assert_msg(!atomic_load(&__malloc_initialized), "the allocator was used before this test (CK_FORK=no?)");
    ck_assert_int_eq(setenv("MALLOC_ARENA_MAX", value, 1), 0);
    arenalloc_free(arenalloc_malloc(1));
    ck_assert_uint_eq(mp_.arena_max, cap);
    contention_under_cap(cap);
}

/* MALLOC_ARENA_MAX=1 in the environment at start-up: one arena only. */
START_TEST(test_env_arena_max_1) { env_arena_max("1", 1); }
END_TEST

/* MALLOC_ARENA_MAX=2 in the environment at start-up: at most two arenas. */
START_TEST(test_env_arena_max_2) { env_arena_max("2", 2); }
END_TEST

/* MALLOC_ARENA_TEST in the environment at start-up sets mp_.arena_test. */
START_TEST(test_env_arena_test)
{
    ck_assert_msg(!atomic_load(&__malloc_initialized), "the allocator was used before this test (CK_FORK=no?)");
    ck_assert_int_eq(setenv("MALLOC_ARENA_TEST", "3", 1), 0);
    arenalloc_free(arenalloc_malloc(1));
    ck_assert_uint_eq(mp_.arena_test, 3);
    ck_assert_uint_eq(mp_.arena_max, 0);
}
END_TEST

/* Per-thread policy with M_ARENA_MAX 2: six threads share the two arenas. */
START_TEST(test_per_thread_policy_capped)
{
    ck_assert_int_eq(arenalloc_mallopt(M_ARENA_MAX, 2), 1);
    ck_assert_int_eq(arenalloc_set_arena_policy(ARENALLOC_POLICY_PER_THREAD), 0);
    struct first_call fc[6];
    run_first_calls(fc, 6);
    for (int i = 0; i < 6; i++)
        ck_assert(in_ring(fc[i].arena) && fc[i].chunk_arena == fc[i].arena);
    ck_assert_uint_eq(arena_count(), 2);
    check_ring();
}
END_TEST

/* ---- thread exit and the free list --------------------------------------------------- */

struct short_lived {
    mstate arena;  /* thread_arena after its calls */
    void *left;    /* a block left for the creating thread to free, or NULL */
    bool leave_one;
    bool bad;      /* a block was NULL or in another arena */
};

/* A few blocks of several sizes, all freed but (maybe) one. */
static void *short_lived_thread(void *arg)
{
    struct short_lived *s = arg;
    void *a = arenalloc_malloc(24), *b = arenalloc_malloc(1000), *c = arenalloc_malloc(70000);
    s->arena = thread_arena;
    if (a == NULL || b == NULL || c == NULL || arena_for_chunk(mem2chunk(a)) != s->arena ||
        arena_for_chunk(mem2chunk(b)) != s->arena)
        s->bad = true;
    memset(b, 0x5a, 1000);
    arenalloc_free(a);
    arenalloc_free(c);
    if (s->leave_one)
        s->left = b;
    else
        arenalloc_free(b);
    return NULL;
}

static struct short_lived run_short_lived(bool leave_one)
{
    struct short_lived s = {.leave_one = leave_one};
    pthread_t t;
    start_thread(&t, short_lived_thread, &s);
    join_thread(t);
    ck_assert(!s.bad);
    return s;
}

/* Per-thread policy: the arena of a thread that exited goes on the free list and
   the next new thread takes it; the ring does not grow. */
START_TEST(test_exited_thread_arena_reused)
{
    ck_assert_int_eq(arenalloc_set_arena_policy(ARENALLOC_POLICY_PER_THREAD), 0);
    struct short_lived first = run_short_lived(false);
    ck_assert(first.arena != &main_arena);
    ck_assert_uint_eq(arena_count(), 2);
    ck_assert_uint_eq(first.arena->attached_threads, 0); /* the exit detached it */

    struct short_lived second = run_short_lived(true);
    ck_assert_ptr_eq(second.arena, first.arena);
    ck_assert_uint_eq(arena_count(), 2);
    ck_assert_uint_eq(first.arena->attached_threads, 0);
    arenalloc_free(second.left); /* from main: into the thread arena, with no thread on it */
    check_ring();
}
END_TEST

/* 10,000 threads one after another (per-thread policy), some leaving a block for
   the main thread to free: one arena serves them all, RSS stays flat, and the
   arena holds nothing of theirs at the end. */
START_TEST(test_many_short_lived_threads_per_thread_policy)
{
    ck_assert_int_eq(arenalloc_set_arena_policy(ARENALLOC_POLICY_PER_THREAD), 0);
    mstate arena = NULL;
    size_t rss0 = 0, max_arenas = 0;
    for (int i = 0; i < 10000; i++) {
        struct short_lived s = run_short_lived(i % 3 == 0);
        if (arena == NULL)
            arena = s.arena;
        ck_assert_msg(s.arena == arena, "thread %d got arena %p, not the freed %p", i, (void *)s.arena,
                      (void *)arena);
        arenalloc_free(s.left);
        size_t n = arena_count();
        if (n > max_arenas)
            max_arenas = n;
        if (i == 100)
            rss0 = rss_bytes();
    }
    size_t rss1 = rss_bytes();
    ck_assert_uint_le(max_arenas, 2);
    ck_assert_msg(rss1 < rss0 + (64u << 20), "RSS grew from %zu to %zu bytes", rss0, rss1);
    /* Nothing of the 10,000 threads stayed behind (a per-thread cache structure
       not freed at exit would be 656 bytes each). */
    ck_assert_uint_lt(arena_bytes_in_use(arena), 16 * 1024);
    check_ring();
}
END_TEST

static void *one_block_thread(void *arg)
{
    (void)arg;
    arenalloc_free(arenalloc_malloc(100));
    return NULL;
}

/* The thread whose call initialises the allocator is detached from its arena at
   exit like any other: its per-thread cache structure is freed. */
START_TEST(test_initialising_thread_exit_frees_tcache)
{
    ck_assert_msg(!atomic_load(&__malloc_initialized), "the allocator was used before this test (CK_FORK=no?)");
    pthread_t t;
    start_thread(&t, one_block_thread, NULL);
    join_thread(t);
    ck_assert_uint_lt(arena_bytes_in_use(&main_arena), sizeof(tcache_perthread_struct));
}
END_TEST

struct pair_thread {
    uint32_t seed;
    void *left;
};

/* A short burst of malloc/free, leaving one block behind. */
static void *burst_thread(void *arg)
{
    struct pair_thread *pt = arg;
    void *live[16] = {0};
    uint32_t s = pt->seed | 1;
    for (long op = 0; op < contention_ops() / 500; op++) {
        uint32_t r = xorshift32(&s);
        arenalloc_free(live[r % 16]);
        live[r % 16] = arenalloc_malloc(16 + (r >> 8) % 2000);
    }
    pt->left = live[0];
    for (int j = 1; j < 16; j++)
        arenalloc_free(live[j]);
    return NULL;
}

/* 10,000 short-lived threads, two at a time (trylock policy, so they contend):
   arenas left by exited threads are reused, so neither the ring nor RSS grows
   without bound. */
START_TEST(test_many_short_lived_threads_contending)
{
    size_t rss0 = 0;
    for (int round = 0; round < 5000; round++) {
        struct pair_thread pt[2] = {{.seed = 2u * (uint32_t)round + 1}, {.seed = 2u * (uint32_t)round + 2}};
        pthread_t t[2];
        start_thread(&t[0], burst_thread, &pt[0]);
        start_thread(&t[1], burst_thread, &pt[1]);
        join_thread(t[0]);
        join_thread(t[1]);
        arenalloc_free(pt[0].left);
        arenalloc_free(pt[1].left);
        if (round == 50)
            rss0 = rss_bytes();
    }
    size_t rss1 = rss_bytes();
    ck_assert_uint_le(arena_count(), 8 * ncores());
    ck_assert_msg(rss1 < rss0 + (64u << 20), "RSS grew from %zu to %zu bytes", rss0, rss1);
    check_ring();
}
END_TEST

/* ---- heaps: growth and trimming ------------------------------------------------------- */

#define GROW_BLOCKS 48
#define GROW_SIZE (64 * 1024) /* below the mmap threshold */

struct grower {
    mstate arena;
    void *blocks[GROW_BLOCKS];
};

static void *grower_thread(void *arg)
{
    struct grower *g = arg;
    for (int i = 0; i < GROW_BLOCKS; i++) {
        g->blocks[i] = arenalloc_malloc(GROW_SIZE);
        if (g->blocks[i] != NULL)
            memset(g->blocks[i], i, GROW_SIZE);
    }
    g->arena = thread_arena;
    return NULL;
}

/* Is [addr, addr + one page) mapped? */
static bool page_mapped(void *addr) { return msync(addr, (size_t)sysconf(_SC_PAGESIZE), MS_ASYNC) == 0; }

/* 3 MiB in one thread arena, in blocks below the mmap threshold: the arena chains
   heaps, each 1 MiB aligned and naming it; freeing everything (from another thread,
   oldest first) deletes the newer heaps and trims the first. */
START_TEST(test_heap_growth_and_trim)
{
    ck_assert_int_eq(arenalloc_set_arena_policy(ARENALLOC_POLICY_PER_THREAD), 0);
    struct grower g = {0};
    pthread_t t;
    start_thread(&t, grower_thread, &g);
    join_thread(t);
    mstate av = g.arena;
    ck_assert(av != NULL && av != &main_arena);

    heap_info *heaps[16];
    int n = 0;
    for (heap_info *h = heap_for_ptr(av->top); h != NULL && n < 16; h = h->prev) {
        ck_assert_msg(((uintptr_t)h & (heap_max_size() - 1)) == 0, "heap %p not 1 MiB aligned", (void *)h);
        ck_assert_ptr_eq(h->ar_ptr, av);
        ck_assert_uint_le(h->size, heap_max_size());
        heaps[n++] = h;
    }
    ck_assert_int_ge(n, 3);
    ck_assert_ptr_eq(heaps[n - 1], (heap_info *)av - 1); /* the oldest holds the malloc_state */
    for (int i = 0; i < GROW_BLOCKS; i++) {
        void *p = g.blocks[i];
        ck_assert_ptr_nonnull(p);
        mchunkptr c = mem2chunk(p);
        ck_assert(!chunk_is_mmapped(c) && !chunk_main_arena(c));
        ck_assert_ptr_eq(arena_for_chunk(c), av);
        bool found = false;
        for (int k = 0; k < n; k++)
            found |= heap_for_ptr(p) == heaps[k];
        ck_assert_msg(found, "block %d (%p) is in no heap of its arena", i, p);
    }
    ck_assert_ptr_null(arenalloc_check_heap());

    size_t before = av->system_mem;
    ck_assert_uint_ge(before, GROW_BLOCKS * GROW_SIZE);
    for (int i = 0; i < GROW_BLOCKS; i++)
        arenalloc_free(g.blocks[i]);
    ck_assert_ptr_null(arenalloc_check_heap());
    ck_assert_int_eq(arena_region_count(av), 1);
    ck_assert_ptr_eq(heap_for_ptr(av->top), heaps[n - 1]);
    ck_assert_uint_lt(av->system_mem, before);
    ck_assert_uint_lt(av->system_mem, mp_.top_pad + 64 * 1024); /* trimmed down to the pad */
    for (int k = 0; k < n - 1; k++)
        ck_assert_msg(!page_mapped(heaps[k]), "deleted heap %p is still mapped", (void *)heaps[k]);
}
END_TEST

/* ---- fork ---------------------------------------------------------------------------- */

#define FORK_WORKERS 3
#define PINNED 16
#define FORKS 50

struct fork_worker {
    pthread_t thread;
    int index;
    bool run_checker;            /* also call arenalloc_check_heap now and then */
    void *pinned[PINNED];        /* blocks it keeps while the main thread forks */
    mstate pinned_arena[PINNED];
};

static atomic_int workers_ready;
static atomic_bool workers_stop;

static size_t pinned_size(int w, int i) { return 24 + (size_t)(w * PINNED + i) * 97; }

static void *fork_worker_thread(void *arg)
{
    struct fork_worker *fw = arg;
    void *live[32] = {0};
    uint32_t s = 0x1234567u * (uint32_t)(fw->index + 1);

    /* Contend first, so the blocks kept below are spread over several arenas. */
    for (long op = 0; op < contention_ops() / 10; op++) {
        uint32_t r = xorshift32(&s);
        arenalloc_free(live[r % 32]);
        live[r % 32] = arenalloc_malloc(16 + (r >> 8) % 1000);
    }
    for (int i = 0; i < PINNED; i++) {
        size_t n = pinned_size(fw->index, i);
        fw->pinned[i] = arenalloc_malloc(n);
        if (fw->pinned[i] != NULL) {
            memset(fw->pinned[i], fw->index * PINNED + i, n);
            fw->pinned_arena[i] = arena_for_chunk(mem2chunk(fw->pinned[i]));
        }
    }
    atomic_fetch_add(&workers_ready, 1);

    for (long op = 0; !atomic_load_explicit(&workers_stop, memory_order_relaxed); op++) {
        uint32_t r = xorshift32(&s);
        arenalloc_free(live[r % 32]);
        size_t n = (r & 0xff) == 0 ? 150000 : 16 + (r >> 8) % 3000; /* now and then an mmapped one */
        live[r % 32] = arenalloc_malloc(n);
        if (fw->run_checker && op % 256 == 0)
            arenalloc_check_heap();
    }
    for (int j = 0; j < 32; j++)
        arenalloc_free(live[j]);
    return NULL;
}

static void *child_thread(void *arg)
{
    uint32_t s = (uint32_t)(uintptr_t)arg | 1;
    void *live[16] = {0};
    for (long op = 0; op < contention_ops() / 40; op++) {
        uint32_t r = xorshift32(&s);
        arenalloc_free(live[r % 16]);
        live[r % 16] = arenalloc_malloc(16 + (r >> 8) % 4000);
    }
    for (int j = 0; j < 16; j++)
        arenalloc_free(live[j]);
    return NULL;
}

/* In the child of a fork: every allocator lock must be usable.  Frees the blocks
   the parent's threads kept (in their arenas), allocates, runs two threads, and
   checks the heap.  Returns the exit status: 0 when all went well. */
static int forked_child(struct fork_worker *fw, int nworkers)
{
    signal(SIGALRM, SIG_DFL); /* not Check's handler, which would kill the whole process group */
    alarm(60);                /* a deadlock here ends the child, and the parent sees SIGALRM;
                                 generous, as 50 children of a DEBUG build share the CPUs */
    for (int w = 0; w < nworkers; w++) {
        for (int i = 0; i < PINNED; i++) {
            unsigned char *p = fw[w].pinned[i];
            size_t n = pinned_size(w, i);
            for (size_t k = 0; k < n; k++)
                if (p[k] != (unsigned char)(w * PINNED + i))
                    return 2;
            arenalloc_free(p);
        }
    }
    void *live[32] = {0};
    for (long op = 0; op < contention_ops() / 100; op++) {
        size_t n = op % 97 == 0 ? 200000 : 16 + (size_t)(op * 37) % 5000;
        arenalloc_free(live[op % 32]);
        if ((live[op % 32] = arenalloc_malloc(n)) == NULL)
            return 3;
        memset(live[op % 32], 1, n);
    }
    for (int j = 0; j < 32; j++)
        arenalloc_free(live[j]);
    pthread_t t[2];
    for (int i = 0; i < 2; i++)
        if (pthread_create(&t[i], NULL, child_thread, (void *)(uintptr_t)(i + 7)) != 0)
            return 4;
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], NULL);
    return arenalloc_check_heap() == NULL ? 0 : 5;
}

static void fork_while_busy(bool run_checker)
{
    struct fork_worker fw[FORK_WORKERS];
    pid_t pids[FORKS];

    signal(SIGALRM, SIG_DFL);
    alarm(300); /* a deadlock in the parent fails the test instead of hanging it */
    /* The forks must find blocks kept in thread arenas.  Under trylock the
       workers move only when they happen to contend, which a busy or a quiet
       machine may never give; each worker's own arena makes it certain.  (How
       trylock makes arenas is tested on its own above.) */
    arenalloc_set_arena_policy(ARENALLOC_POLICY_PER_THREAD);
    atomic_store(&workers_ready, 0);
    atomic_store(&workers_stop, false);
    for (int w = 0; w < FORK_WORKERS; w++) {
        memset(&fw[w], 0, sizeof fw[w]);
        fw[w].index = w;
        fw[w].run_checker = run_checker;
        start_thread(&fw[w].thread, fork_worker_thread, &fw[w]);
    }
    while (atomic_load(&workers_ready) < FORK_WORKERS)
        sched_yield();

    for (int i = 0; i < FORKS; i++) {
        pid_t pid = fork();
        if (pid == 0)
            _exit(forked_child(fw, FORK_WORKERS));
        ck_assert_int_gt(pid, 0);
        pids[i] = pid;
        /* The parent's own thread allocates between forks too. */
        void *p = arenalloc_malloc(100 + (size_t)i);
        arenalloc_free(p);
        nanosleep(&(struct timespec){.tv_nsec = 2 * 1000 * 1000}, NULL);
    }
    atomic_store(&workers_stop, true);
    for (int w = 0; w < FORK_WORKERS; w++)
        join_thread(fw[w].thread);

    int bad = 0;
    char first[160] = "";
    for (int i = 0; i < FORKS; i++) {
        int status;
        ck_assert_int_eq(waitpid(pids[i], &status, 0), pids[i]);
        if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
            continue;
        if (bad++ == 0) {
            if (WIFSIGNALED(status))
                snprintf(first, sizeof first, "child %d killed by signal %d%s", i, WTERMSIG(status),
                         WTERMSIG(status) == SIGALRM ? " (a lock stayed taken: deadlock)" : "");
            else
                snprintf(first, sizeof first, "child %d exited with %d", i, WEXITSTATUS(status));
        }
    }
    alarm(0);
    ck_assert_msg(bad == 0, "%d of %d children failed; first: %s", bad, FORKS, first);

    bool other_arena = false;
    for (int w = 0; w < FORK_WORKERS; w++)
        for (int i = 0; i < PINNED; i++) {
            other_arena |= fw[w].pinned_arena[i] != &main_arena;
            arenalloc_free(fw[w].pinned[i]);
        }
    ck_assert_msg(other_arena, "no kept block was in a thread arena: the children freed only into main_arena");
    check_ring();
    arenalloc_set_arena_policy(ARENALLOC_POLICY_TRYLOCK);
}

/* Forking while threads malloc and free: the child can use every arena (including
   those other threads held at the fork), and the parent goes on. */
START_TEST(test_fork_while_threads_allocate) { fork_while_busy(false); }
END_TEST

/* Forking while another thread runs the heap checker: the checker's own lock must
   not stay taken in the child. */
START_TEST(test_fork_while_thread_checks_heap) { fork_while_busy(true); }
END_TEST

/* ---- one thread: no locks (glibc's SINGLE_THREAD_P) --------------------------------- */

static void *no_op_thread(void *arg) { return arg; }

/* While the process has one thread, malloc and free take no arena lock: with
   main_arena's lock held by this very thread, they still work on main_arena (a
   locking malloc would find main_arena busy and make a new arena; a locking free
   would wait for ever).  Once a second thread has existed, they lock: malloc
   then treats the held lock as contention and moves to an arena of its own.
   Default build only: in the DEBUG build every call runs the heap checker,
   which takes each arena's lock, here already held. */
START_TEST(test_single_thread_takes_no_lock)
{
    ck_assert_msg(os_single_threaded(), "the process already had threads (CK_FORK=no?)");
    void *first = arenalloc_malloc(100); /* initialises, outside the held lock */
    os_lock(&main_arena.mutex);
    void *p = arenalloc_malloc(200);
    ck_assert_ptr_nonnull(p);
    ck_assert_ptr_eq(arena_for_chunk(mem2chunk(p)), &main_arena);
    arenalloc_free(p);
    os_unlock(&main_arena.mutex);
    ck_assert_uint_eq(arena_count(), 1);

    pthread_t t;
    start_thread(&t, no_op_thread, NULL);
    join_thread(t);
    ck_assert(!os_single_threaded());
    os_lock(&main_arena.mutex);
    void *q = arenalloc_malloc(200);
    os_unlock(&main_arena.mutex);
    ck_assert_ptr_nonnull(q);
    ck_assert_msg(arena_for_chunk(mem2chunk(q)) != &main_arena, "malloc used main_arena without its lock");
    ck_assert_uint_eq(arena_count(), 2);
    arenalloc_free(q);
    arenalloc_free(first);
}
END_TEST

/* glibc never retries a failed request in a single-threaded process: after
   malloc(1); malloc(huge); malloc(24) the last block still comes from
   main_arena, right after the first, and no arena was made. */
START_TEST(test_single_thread_failed_request_stays_on_main)
{
    ck_assert_msg(os_single_threaded(), "the process already had threads (CK_FORK=no?)");
    char *a = arenalloc_malloc(1);
    errno = 0;
    void *huge = arenalloc_malloc((size_t)1 << 46);
    ck_assert_ptr_null(huge);
    ck_assert_int_eq(errno, ENOMEM);
    char *b = arenalloc_malloc(24);
    ck_assert_ptr_nonnull(b);
    ck_assert_ptr_eq(arena_for_chunk(mem2chunk(b)), &main_arena);
    ck_assert_ptr_eq(thread_arena, &main_arena);
    ck_assert_uint_eq(arena_count(), 1);
    ck_assert_ptr_eq(b, a + 0x20); /* the next chunk of main_arena's top */

    /* The same for calloc, memalign and realloc. */
    ck_assert_ptr_null(arenalloc_calloc((size_t)1 << 23, (size_t)1 << 23));
    ck_assert_ptr_null(arenalloc_memalign(64, (size_t)1 << 46));
    ck_assert_ptr_null(arenalloc_realloc(b, (size_t)1 << 46));
    ck_assert_ptr_eq(thread_arena, &main_arena);
    ck_assert_uint_eq(arena_count(), 1);
    arenalloc_free(a);
    arenalloc_free(b);
}
END_TEST

/* ---- frees from other threads: visits, not contention ------------------------------ */

struct holder {
    pthread_t thread;
    bool as_visitor;            /* os_lock_as_visitor, else os_lock */
    pthread_barrier_t *holding; /* met once the lock is held */
};

/* Holds main_arena's lock, as a free from another thread would (a visitor) or
   as a thread allocating from it would (a user), for long enough that the
   test's malloc arrives while it is held, then lets go. */
static void *main_arena_holder_thread(void *arg)
{
    struct holder *h = arg;
    if (h->as_visitor)
        os_lock_as_visitor(&main_arena.mutex);
    else
        os_lock(&main_arena.mutex);
    pthread_barrier_wait(h->holding);
    nanosleep(&(struct timespec){0, 20 * 1000 * 1000}, NULL);
    os_unlock(&main_arena.mutex);
    return NULL;
}

/* Where a malloc goes while another thread holds main_arena, this thread's arena. */
static mstate arena_of_malloc_while_held(bool as_visitor)
{
    pthread_barrier_t holding;
    ck_assert_int_eq(pthread_barrier_init(&holding, NULL, 2), 0);
    struct holder h = {.as_visitor = as_visitor, .holding = &holding};
    start_thread(&h.thread, main_arena_holder_thread, &h);
    pthread_barrier_wait(&holding);
    void *p = arenalloc_malloc(64);
    join_thread(h.thread);
    pthread_barrier_destroy(&holding);
    ck_assert_ptr_nonnull(p);
    mstate av = arena_for_chunk(mem2chunk(p));
    ck_assert_ptr_eq(av, thread_arena);
    arenalloc_free(p);
    return av;
}

/* trylock: a thread whose arena is held by a visitor (a free from another
   thread) waits and stays; held by a user (a thread allocating), it moves. */
START_TEST(test_visited_arena_is_waited_for)
{
    void *first = arenalloc_malloc(16); /* this thread's arena: main_arena */
    ck_assert_ptr_eq(thread_arena, &main_arena);
    ck_assert_ptr_eq(arena_of_malloc_while_held(true), &main_arena);
    ck_assert_uint_eq(arena_count(), 1);
    ck_assert_ptr_ne(arena_of_malloc_while_held(false), &main_arena);
    ck_assert_uint_eq(arena_count(), 2);
    arenalloc_free(first);
    check_ring();
}
END_TEST

/* A free of a fast chunk takes no lock (bins/fastbins.h): it reaches
   main_arena's fastbin while another thread holds main_arena's lock.  The holder
   lets go once the free has returned, or after 2 s: a free that locked would
   have waited that long, and the holder reports it. */
static atomic_bool fast_free_returned;

static void *hold_main_arena_until_freed(void *arg)
{
    os_lock(&main_arena.mutex);
    pthread_barrier_wait(arg);
    for (int ms = 0; ms < 2000 && !atomic_load(&fast_free_returned); ms++)
        nanosleep(&(struct timespec){0, 1000 * 1000}, NULL);
    bool returned = atomic_load(&fast_free_returned);
    os_unlock(&main_arena.mutex);
    return returned ? arg : NULL;
}

START_TEST(test_fast_free_takes_no_lock)
{
    void *p = arenalloc_malloc(40); /* a 0x30 chunk of main_arena, this thread's arena */
    ck_assert_ptr_eq(arena_for_chunk(mem2chunk(p)), &main_arena);
    pthread_barrier_t holding;
    ck_assert_int_eq(pthread_barrier_init(&holding, NULL, 2), 0);
    pthread_t t;
    start_thread(&t, hold_main_arena_until_freed, &holding);
    pthread_barrier_wait(&holding);
    arenalloc_free(p);
    atomic_store(&fast_free_returned, true);
    void *returned;
    ck_assert_int_eq(pthread_join(t, &returned), 0);
    pthread_barrier_destroy(&holding);
    ck_assert_msg(returned != NULL, "free of a fast chunk waited for main_arena's lock");
    ck_assert_ptr_eq(*fastbin(&main_arena, fastbin_index(0x30)), mem2chunk(p));
}
END_TEST

/* Two threads that free each other's blocks (a server answering on one thread
   what another allocated), both allocating all the time.  Each thread changes
   arena at most once (the split, when they first contend on main_arena); the
   frees it receives never drive it away. */
enum { SWAP_SLOTS = 256 };
static void *swap_slots[2][SWAP_SLOTS];
static pthread_barrier_t swap_round;

struct swapper {
    pthread_t thread;
    int index;
    long rounds;
    long changes;  /* times its arena changed */
    long bad;      /* blocks that did not hold their pattern */
    mstate last;
};

static void *swapper_thread(void *arg)
{
    struct swapper *w = arg;
    for (long r = 0; r < w->rounds; r++) {
        void **half = swap_slots[(w->index + r) % 2]; /* the other thread's blocks of the last round */
        for (int i = 0; i < SWAP_SLOTS; i++) {
            if (half[i] != NULL) {
                if (*(long *)half[i] != r - 1)
                    w->bad++;
                arenalloc_free(half[i]);
            }
            half[i] = arenalloc_malloc(32 + (size_t)i % 64);
            if (half[i] == NULL) {
                w->bad++;
                continue;
            }
            *(long *)half[i] = r;
            if (thread_arena != w->last && w->last != NULL)
                w->changes++;
            w->last = thread_arena;
        }
        pthread_barrier_wait(&swap_round);
    }
    return NULL;
}

START_TEST(test_cross_thread_frees_do_not_move_threads)
{
    struct swapper w[2];
    ck_assert_int_eq(pthread_barrier_init(&swap_round, NULL, 2), 0);
    for (int i = 0; i < 2; i++) {
        w[i] = (struct swapper){.index = i, .rounds = contention_ops() / 1000 + 2};
        start_thread(&w[i].thread, swapper_thread, &w[i]);
    }
    for (int i = 0; i < 2; i++)
        join_thread(w[i].thread);
    pthread_barrier_destroy(&swap_round);
    for (int i = 0; i < 2; i++) {
        ck_assert_msg(w[i].bad == 0, "thread %d: %ld blocks lost their contents", i, w[i].bad);
        ck_assert_msg(w[i].changes <= 1, "thread %d changed arena %ld times", i, w[i].changes);
    }
    ck_assert_uint_le(arena_count(), 2);
    for (int h = 0; h < 2; h++)
        for (int i = 0; i < SWAP_SLOTS; i++)
            arenalloc_free(swap_slots[h][i]);
    check_ring();
}
END_TEST

/* The heap size as a setting: 1 MiB by default; glibc's 64 MiB before the first
   heap, after which thread arenas' heaps are 64 MiB aligned and free() finds them
   with the 64 MiB mask. */
START_TEST(test_heap_size_64_mib)
{
    const size_t mib = 1024 * 1024;
    ck_assert_uint_eq(heap_max_size(), 1 * mib);
    ck_assert_int_eq(arenalloc_set_heap_max_size(64 * mib), 0);
    ck_assert_uint_eq(heap_max_size(), 64 * mib);

    ck_assert_int_eq(arenalloc_set_arena_policy(ARENALLOC_POLICY_PER_THREAD), 0);
    struct first_call fc[2];
    run_first_calls(fc, 2);
    for (int i = 0; i < 2; i++) {
        heap_info *first = (heap_info *)fc[i].arena - 1;
        ck_assert_msg(((uintptr_t)first & (64 * mib - 1)) == 0, "heap %p not 64 MiB aligned", (void *)first);
        ck_assert(arena_heap_aligned(fc[i].arena));
        ck_assert_ptr_eq(fc[i].chunk_arena, fc[i].arena);
        ck_assert(!fc[i].main_bit);
    }
    ck_assert_ptr_null(arenalloc_check_heap());

    /* Heaps exist: another size is refused, the same one is not a change. */
    ck_assert_int_eq(arenalloc_set_heap_max_size(1 * mib), EBUSY);
    ck_assert_int_eq(arenalloc_set_heap_max_size(64 * mib), 0);
    ck_assert_uint_eq(heap_max_size(), 64 * mib);
}
END_TEST

/* Only powers of two from 1 MiB to 64 MiB are heap sizes; a refused one changes nothing. */
START_TEST(test_heap_size_refused)
{
    const size_t sizes[] = {0, 512 * 1024, 3 * 1024 * 1024, 128 * 1024 * 1024, SIZE_MAX};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
        ck_assert_int_eq(arenalloc_set_heap_max_size(sizes[i]), EINVAL);
    ck_assert_uint_eq(heap_max_size(), 1024 * 1024);
    ck_assert_int_eq(arenalloc_set_heap_max_size(4 * 1024 * 1024), 0);
    ck_assert_uint_eq(heap_max_size(), 4 * 1024 * 1024);
}
END_TEST

Suite *arenas_suite(void)
{
    Suite *s = suite_create("arenas");

    TCase *tc = tcase_create("contention");
    /* Contention comes from threads meeting in the arena; the cache would spare
       them most of those meetings. */
    tcase_add_checked_fixture(tc, tcache_off_env, NULL);
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_contention_spawns_arenas);
    suite_add_tcase(s, tc);

    tc = tcase_create("policy");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_set_policy_validates);
    tcase_add_test(tc, test_per_thread_policy_distinct_arenas);
    tcase_add_test(tc, test_per_thread_policy_threads_stay);
    tcase_add_test(tc, test_policy_from_environment);
    tcase_add_test(tc, test_per_thread_policy_default_cap);
    suite_add_tcase(s, tc);

    tc = tcase_create("arena_max");
    tcase_add_checked_fixture(tc, tcache_off_env, NULL); /* as "contention" */
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_mallopt_arena_max_1);
    tcase_add_test(tc, test_mallopt_arena_max_2);
    tcase_add_test(tc, test_env_arena_max_1);
    tcase_add_test(tc, test_env_arena_max_2);
    tcase_add_test(tc, test_env_arena_test);
    tcase_add_test(tc, test_per_thread_policy_capped);
    suite_add_tcase(s, tc);

    tc = tcase_create("thread_exit");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_exited_thread_arena_reused);
    tcase_add_test(tc, test_initialising_thread_exit_frees_tcache);
    tcase_add_test(tc, test_many_short_lived_threads_per_thread_policy);
    tcase_add_test(tc, test_many_short_lived_threads_contending);
    suite_add_tcase(s, tc);

    tc = tcase_create("heaps");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_heap_growth_and_trim);
    tcase_add_test(tc, test_heap_size_64_mib);
    tcase_add_test(tc, test_heap_size_refused);
    suite_add_tcase(s, tc);

    tc = tcase_create("visits");
    /* Each malloc here must reach an arena to show where it goes: as "contention". */
    tcase_add_checked_fixture(tc, tcache_off_env, NULL);
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_visited_arena_is_waited_for);
    tcase_add_test(tc, test_fast_free_takes_no_lock);
    tcase_add_test(tc, test_cross_thread_frees_do_not_move_threads);
    suite_add_tcase(s, tc);

    tc = tcase_create("single_thread");
    tcase_add_checked_fixture(tc, tcache_off_env, NULL); /* as "visits" */
    tcase_add_test(tc, test_single_thread_takes_no_lock);
    tcase_add_test(tc, test_single_thread_failed_request_stays_on_main);
    suite_add_tcase(s, tc);

    tc = tcase_create("fork");
    /* The threads must meet in arenas, and make some, for the child to inherit
       them (tests/test_tcache.c forks with the cache on). */
    tcase_add_checked_fixture(tc, tcache_off_env, NULL);
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, test_fork_while_threads_allocate);
    tcase_add_test(tc, test_fork_while_thread_checks_heap);
    suite_add_tcase(s, tc);
    return s;
}
