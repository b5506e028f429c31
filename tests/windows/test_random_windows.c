/*
 * test_random_windows.c - a seeded random workout of the whole API on Windows.
 *
 * The Windows counterpart of tests/test_random.c, smaller (it runs under Wine
 * in `make wincheck`).  A table of slots holds live blocks; each operation picks
 * a slot: an empty one is filled (malloc, calloc, realloc(NULL, n), memalign,
 * posix_memalign, aligned_alloc), a full one is freed or reallocated.  Sizes
 * are log-uniform up to 512 KiB, so fast, small, large and mapped chunks (each
 * a VirtualAlloc of its own) all occur.  Every block carries a pattern made from
 * its slot, generation and offset, verified before it is freed and after a
 * realloc; calloc memory must read zero; pointers must be aligned as asked; the
 * heap checker runs every CHECK_EVERY operations and at the end.
 *
 * Then the same workout in four threads at once, each with its own slots and
 * seed, under each arena policy: thread arenas, their heaps, and contention.
 *
 *   ARENALLOC_WIN_RANDOM_OPS   operations of the single-threaded run (default
 *                              200000; each thread does a quarter of them)
 *   ARENALLOC_WIN_RANDOM_SEED  seed (default below); failures name it
 */
#include "tests/windows/win_runner.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <windows.h>

#include "arenalloc.h"

#define DEFAULT_OPS 200000L
#define DEFAULT_SEED UINT64_C(0x9e3779b97f4a7c15)
#define SLOTS 512
#define MAX_SIZE ((size_t)512 << 10)
#define CHECK_EVERY 5000
#define THREADS 4

struct slot {
    unsigned char *p; /* NULL when empty */
    size_t size;      /* bytes asked for, all patterned */
    uint32_t gen;     /* bumped on every new block in this slot */
};

struct workout {
    struct win_rng rng;
    uint64_t seed;
    long ops;
    struct slot slots[SLOTS];
    char failure[256]; /* empty while all is well */
};

static unsigned char pattern_byte(size_t slot, uint32_t gen, size_t i)
{
    uint64_t x = ((uint64_t)slot << 40) ^ ((uint64_t)gen << 8) ^ (i * UINT64_C(0x9e3779b97f4a7c15));
    return (unsigned char)(x >> 29 ^ x >> 7 ^ x);
}

static void fill(struct slot *s, size_t index, size_t from, size_t to)
{
    for (size_t i = from; i < to; i++)
        s->p[i] = pattern_byte(index, s->gen, i);
}

static bool verify(struct workout *w, size_t index, size_t len, long op, const char *when)
{
    struct slot *s = &w->slots[index];
    for (size_t i = 0; i < len; i++) {
        if (s->p[i] != pattern_byte(index, s->gen, i)) {
            snprintf(w->failure, sizeof w->failure,
                     "seed %#llx op %ld: slot %zu byte %zu of %zu damaged %s", (unsigned long long)w->seed, op, index,
                     i, s->size, when);
            return false;
        }
    }
    return true;
}

/* Log-uniform in [0, MAX_SIZE]: as many tiny blocks as huge ones. */
static size_t random_size(struct win_rng *r)
{
    unsigned bits = (unsigned)win_rng_below(r, 20); /* up to 2^19 = 512 KiB */
    size_t top = (size_t)1 << bits;
    return win_rng_below(r, top + 1);
}

static bool fail(struct workout *w, long op, const char *what)
{
    snprintf(w->failure, sizeof w->failure, "seed %#llx op %ld: %s", (unsigned long long)w->seed, op, what);
    return false;
}

/* Fills an empty slot by one of the six ways.  False on a failure. */
static bool allocate(struct workout *w, size_t index, long op)
{
    struct slot *s = &w->slots[index];
    size_t size = random_size(&w->rng);
    size_t alignment = 16;
    void *p = NULL;
    switch (win_rng_below(&w->rng, 8)) {
    case 0:
    case 1:
    case 2:
        p = arenalloc_malloc(size);
        break;
    case 3: {
        size_t n = size / 8 + 1;
        size = n * 8;
        p = arenalloc_calloc(n, 8);
        if (p != NULL)
            for (size_t i = 0; i < size; i++)
                if (((unsigned char *)p)[i] != 0)
                    return fail(w, op, "calloc memory not zero");
        break;
    }
    case 4:
        p = arenalloc_realloc(NULL, size);
        break;
    case 5:
        alignment = (size_t)32 << win_rng_below(&w->rng, 12); /* 32 B .. 64 KiB */
        p = arenalloc_memalign(alignment, size);
        break;
    case 6:
        alignment = (size_t)16 << win_rng_below(&w->rng, 9);
        if (arenalloc_posix_memalign(&p, alignment, size) != 0)
            p = NULL;
        break;
    default:
        alignment = (size_t)64 << win_rng_below(&w->rng, 6);
        p = arenalloc_aligned_alloc(alignment, size);
        break;
    }
    if (p == NULL)
        return fail(w, op, "allocation failed");
    if ((uintptr_t)p % alignment != 0)
        return fail(w, op, "pointer not aligned as asked");
    if (arenalloc_malloc_usable_size(p) < size)
        return fail(w, op, "usable size below the request");
    s->p = p;
    s->size = size;
    s->gen++;
    fill(s, index, 0, size);
    return true;
}

/* Frees or reallocates a full slot.  False on a failure. */
static bool change(struct workout *w, size_t index, long op)
{
    struct slot *s = &w->slots[index];
    if (!verify(w, index, s->size, op, "before free/realloc"))
        return false;
    size_t choice = win_rng_below(&w->rng, 8);
    if (choice < 4) {
        arenalloc_free(s->p);
        s->p = NULL;
        return true;
    }
    if (choice == 4) { /* realloc to 0 frees, as glibc's does */
        if (arenalloc_realloc(s->p, 0) != NULL)
            return fail(w, op, "realloc(p, 0) did not free");
        s->p = NULL;
        return true;
    }
    size_t new_size = choice == 5 ? s->size + win_rng_below(&w->rng, 64) : random_size(&w->rng);
    unsigned char *q = arenalloc_realloc(s->p, new_size);
    if (q == NULL && new_size != 0)
        return fail(w, op, "realloc failed");
    size_t kept = s->size < new_size ? s->size : new_size;
    s->p = q;
    s->size = kept;
    if (!verify(w, index, kept, op, "after realloc"))
        return false;
    fill(s, index, kept, new_size);
    s->size = new_size;
    return true;
}

static void run_workout(struct workout *w)
{
    memset(w->slots, 0, sizeof w->slots);
    w->rng.state = w->seed | 1;
    for (long op = 0; op < w->ops; op++) {
        size_t index = win_rng_below(&w->rng, SLOTS);
        bool ok = w->slots[index].p == NULL ? allocate(w, index, op) : change(w, index, op);
        if (!ok)
            return;
        if ((op + 1) % CHECK_EVERY == 0) {
            const char *problem = arenalloc_check_heap();
            if (problem != NULL) {
                snprintf(w->failure, sizeof w->failure, "seed %#llx op %ld: heap check: %s",
                         (unsigned long long)w->seed, op, problem);
                return;
            }
        }
    }
    for (size_t i = 0; i < SLOTS; i++) {
        if (w->slots[i].p != NULL) {
            if (!verify(w, i, w->slots[i].size, w->ops, "at the end"))
                return;
            arenalloc_free(w->slots[i].p);
            w->slots[i].p = NULL;
        }
    }
}

static long env_long(const char *name, long fallback)
{
    char value[64];
    DWORD n = GetEnvironmentVariableA(name, value, sizeof value);
    return n > 0 && n < sizeof value ? strtol(value, NULL, 0) : fallback;
}

static uint64_t seed(void)
{
    char value[64];
    DWORD n = GetEnvironmentVariableA("ARENALLOC_WIN_RANDOM_SEED", value, sizeof value);
    return n > 0 && n < sizeof value ? strtoull(value, NULL, 0) : DEFAULT_SEED;
}

static struct workout single;

static void test_random_single_thread(void)
{
    single.seed = seed();
    single.ops = env_long("ARENALLOC_WIN_RANDOM_OPS", DEFAULT_OPS);
    run_workout(&single);
    CHECK_MSG(single.failure[0] == '\0', "%s", single.failure);
    const char *problem = arenalloc_check_heap();
    CHECK_MSG(problem == NULL, "heap check at the end: %s", problem);
    struct mallinfo2 mi = arenalloc_mallinfo2();
    win_note("%ld operations, seed %#llx; after freeing all: arena %zu bytes, in use %zu, mapped %zu", single.ops,
             (unsigned long long)single.seed, mi.arena, mi.uordblks, mi.hblkhd);
}

static struct workout workouts[THREADS];

static DWORD WINAPI workout_thread(void *w)
{
    run_workout(w);
    return 0;
}

static void run_threads(void)
{
    HANDLE threads[THREADS];
    for (int t = 0; t < THREADS; t++) {
        workouts[t].seed = seed() + (uint64_t)(t + 1) * UINT64_C(0x1000193);
        workouts[t].ops = env_long("ARENALLOC_WIN_RANDOM_OPS", DEFAULT_OPS) / THREADS;
        workouts[t].failure[0] = '\0';
        threads[t] = CreateThread(NULL, 0, workout_thread, &workouts[t], 0, NULL);
        CHECK(threads[t] != NULL);
    }
    WaitForMultipleObjects(THREADS, threads, TRUE, INFINITE);
    for (int t = 0; t < THREADS; t++) {
        CloseHandle(threads[t]);
        CHECK_MSG(workouts[t].failure[0] == '\0', "thread %d: %s", t, workouts[t].failure);
    }
    const char *problem = arenalloc_check_heap();
    CHECK_MSG(problem == NULL, "heap check at the end: %s", problem);
}

static void test_random_threads_trylock(void)
{
    CHECK(arenalloc_set_arena_policy(ARENALLOC_POLICY_TRYLOCK) == 0);
    run_threads();
}

static void test_random_threads_per_thread(void)
{
    CHECK(arenalloc_set_arena_policy(ARENALLOC_POLICY_PER_THREAD) == 0);
    run_threads();
    CHECK(arenalloc_set_arena_policy(ARENALLOC_POLICY_TRYLOCK) == 0);
}

static void test_bad_input_as_glibc(void)
{
    volatile size_t huge = SIZE_MAX;
    errno = 0;
    CHECK(arenalloc_malloc(huge) == NULL && errno == ENOMEM);
    errno = 0;
    CHECK(arenalloc_calloc(huge / 2, 3) == NULL && errno == ENOMEM);
    void *p = (void *)1;
    CHECK(arenalloc_posix_memalign(&p, 24, 8) == EINVAL && p == (void *)1);
    arenalloc_free(NULL);
    CHECK(arenalloc_mallopt(M_MXFAST, 161) == 0); /* glibc refuses above 160 */
    CHECK(arenalloc_mallopt(M_MMAP_THRESHOLD, 256 * 1024) == 1);
    /* The failed malloc(SIZE_MAX) above moved this thread off main_arena, as
       glibc's arena_get_retry does, and a free chunk of any arena serves before
       anything is mapped: so ask for more than a 1 MiB heap can hold, after
       trimming main_arena's top (the workouts raised the trim threshold).  The
       chunks this thread's cache still holds would keep top from shrinking:
       they go back to their arenas first (count 0), and the cache on again. */
    CHECK(arenalloc_set_tcache_count(0) == 1 && arenalloc_set_tcache_count(7) == 1);
    arenalloc_malloc_trim(0);
    void *big = arenalloc_malloc(2 * 1024 * 1024);
    CHECK(big != NULL);
    struct mallinfo2 mi = arenalloc_mallinfo2();
    CHECK_MSG(mi.hblks >= 1 && mi.hblkhd >= 2 * 1024 * 1024, "hblks %zu, hblkhd %zu", mi.hblks, mi.hblkhd);
    arenalloc_free(big);
}

void random_windows_tests(void)
{
    win_run("random: one thread", test_random_single_thread);
    win_run("random: four threads, trylock policy", test_random_threads_trylock);
    win_run("random: four threads, per-thread policy", test_random_threads_per_thread);
    /* Last: it fixes the mmap threshold, which the workouts let move. */
    win_run("random: bad input as glibc, mallopt, mallinfo2", test_bad_input_as_glibc);
}
