/*
 * test_stress.c - four threads, seeded, handing blocks to each other: a shared
 * table of slots, each slot filled, reallocated and emptied by whichever thread
 * picks it, so most blocks are freed by a thread other than the one that
 * allocated them, into an arena that thread is not on.
 *
 * Every block carries a pattern derived from its identity (slot number and
 * generation) and is verified in full before it is freed or reallocated: a byte
 * written by anyone else (two live blocks overlapping, a chunk handed out twice,
 * a header written into a live block) shows up as a mismatch naming both
 * identities.  Every `check_every` operations per thread all threads stop at a
 * barrier; one runs the heap checker over every arena and verifies every live
 * block, and the table must hold exactly as many blocks as were allocated and
 * not yet freed.  At the end every block is verified and freed, and the arenas
 * must be back to (almost) nothing in use, with no mapped chunk left.
 *
 * Sizes are mixed: fastbin sizes, small and large bins, and now and then 128 KiB
 * to 1 MiB (mapped, or from the heap once the dynamic mmap threshold has risen).
 * Blocks come from malloc, calloc (verified zero), realloc(NULL, n) and
 * posix_memalign (verified aligned).
 *
 * Environment:
 *   ARENALLOC_STRESS_OPS    operations per thread (default 2000000).  The slot
 *                           count (8192) and the check interval (100000) shrink
 *                           with it, so a DEBUG build (heap checker after every
 *                           call) can run e.g. ARENALLOC_STRESS_OPS=20000.
 *   ARENALLOC_STRESS_SEED   seed, decimal or 0x-hex; every failure names it.
 *                           Thread interleaving is not reproducible, only each
 *                           thread's sequence of choices.
 */
#include <check.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena/heap.h"
#include "bins/malloc_par.h"
#include "bins/fastbins.h"
#include "include/arenalloc.h"
#include "syscall/os.h"
#include "tests/suites.h"
#define TEST_HELPERS_ARENA
#include "tests/test_helpers.h"

#define NTHREADS 4
#define DEFAULT_OPS 2000000L
#define DEFAULT_SEED UINT64_C(0x5eed0fa7e4a12b3c)
#define MAX_SLOTS 8192
#define NSTRIPES 256
#define MAX_CHECK_EVERY 100000L

/* ---- the identity pattern: 8-byte word j of a block is key + j * PATTERN_STEP -------------- */

/* A block's identity: slot and generation, readable in a hex dump of word 0. */
static uint64_t block_key(size_t slot, uint32_t gen) { return ((uint64_t)slot << 32) | gen; }

static void fill(unsigned char *p, size_t n, uint64_t key)
{
    size_t i = 0;
    uint64_t w = key;
    for (; i + 8 <= n; i += 8, w += PATTERN_STEP)
        memcpy(p + i, &w, 8);
    for (; i < n; i++)
        p[i] = pattern_byte(key, i);
}

/* ---- the shared table ---------------------------------------------------------------- */

enum slot_state { EMPTY, BUSY, FULL }; /* BUSY: one thread is working on it, unlocked */

struct slot {
    unsigned char *p;
    size_t size;   /* bytes asked for, all patterned */
    uint32_t gen;  /* bumped for every new identity in this slot */
    int state;
    int owner;     /* the thread that allocated (or last reallocated) it */
};

struct worker {
    pthread_t thread;
    int id;
    struct rng rng;
    long allocs, frees;        /* blocks created and destroyed */
    long reallocs, cross_frees; /* cross: freed by a thread that did not allocate it */
    long mapped, non_main;     /* blocks that came mapped / from a thread arena */
};

static struct {
    long ops;                  /* per thread */
    size_t nslots;
    long check_every;
    uint64_t seed;
    struct slot slots[MAX_SLOTS];
    pthread_mutex_t stripes[NSTRIPES]; /* slot i is guarded by stripes[i % NSTRIPES] */
    pthread_barrier_t barrier;
    struct worker workers[NTHREADS];
    bool stop;                 /* written by the checking thread only, between two barriers */
    int checks;                /* quiescent checks done */
    pthread_mutex_t error_lock;
    atomic_long errors;
    char first_error[512];
} S;

static void report(int thread, long op, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void report(int thread, long op, const char *fmt, ...)
{
    if (atomic_fetch_add(&S.errors, 1) != 0)
        return;
    char what[384];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    pthread_mutex_lock(&S.error_lock);
    snprintf(S.first_error, sizeof S.first_error, "seed=%#" PRIx64 " thread %d op %ld: %s", S.seed, thread, op,
             what);
    pthread_mutex_unlock(&S.error_lock);
    fprintf(stderr, "test_stress: %s\n", S.first_error);
}

/* Verifies the block in slot i (its fields as given); reports a mismatch. */
static bool verify_block(int thread, long op, size_t i, const unsigned char *p, size_t size, uint32_t gen,
                         int owner)
{
    size_t bad = check_pattern(p, size, block_key(i, gen));
    if (bad == size)
        return true;
    uint64_t word = 0;
    memcpy(&word, p + (bad & ~(size_t)7), bad + 8 <= size ? 8 : 0);
    report(thread, op,
           "slot %zu gen %u (%zu bytes at %p, from thread %d): byte %zu overwritten; the word there reads %#" PRIx64
           " (key of slot %" PRIu64 " gen %" PRIu64 "?)",
           i, gen, size, (const void *)p, owner, bad, word, word >> 32, word & 0xffffffffu);
    return false;
}

static size_t env_number(const char *name, size_t dflt)
{
    const char *v = getenv(name);
    if (v == NULL || *v == '\0')
        return dflt;
    char *end;
    unsigned long long x = strtoull(v, &end, 0);
    return *end == '\0' && x > 0 ? (size_t)x : dflt;
}

/* ---- one thread ------------------------------------------------------------------------ */

/* 55% fastbin sizes, 30% small bins, 14.5% large bins up to 128 KiB, 0.5% of
   128 KiB .. 1 MiB (mapped unless the dynamic threshold has risen above it). */
static size_t pick_size(struct rng *r)
{
    uint64_t x = rng_below(r, 1000);
    if (x < 550)
        return 1 + (size_t)rng_below(r, 120);
    if (x < 850)
        return 121 + (size_t)rng_below(r, 1008 - 120);
    if (x < 995) { /* log-uniform 1 KiB .. 128 KiB */
        unsigned bits = 10 + (unsigned)rng_below(r, 7);
        return ((size_t)1 << bits) + (size_t)rng_below(r, (uint64_t)1 << bits);
    }
    if (rng_below(r, 4) != 0)
        return 0; /* keep the big ones rarer still: 0 means "pick a small one" */
    return (128 << 10) + (size_t)rng_below(r, 896 << 10);
}

/* A new block of `size` bytes, by one of four functions; NULL on failure. */
static unsigned char *new_block(struct worker *w, long op, size_t size)
{
    uint64_t how = rng_below(&w->rng, 20);
    unsigned char *p;
    if (how == 0) {
        p = arenalloc_calloc(1, size);
        if (p != NULL && first_nonzero(p, size) != size)
            report(w->id, op, "calloc(1, %zu) = %p: byte %zu not zero", size, (void *)p, first_nonzero(p, size));
    } else if (how == 1) {
        p = arenalloc_realloc(NULL, size);
    } else if (how == 2) {
        size_t align = (size_t)32 << rng_below(&w->rng, 8); /* 32 .. 4096 */
        void *q = NULL;
        int err = arenalloc_posix_memalign(&q, align, size);
        if (err != 0)
            report(w->id, op, "posix_memalign(%zu, %zu) failed: %d", align, size, err);
        else if ((uintptr_t)q % align != 0)
            report(w->id, op, "posix_memalign(%zu, %zu) = %p: misaligned", align, size, q);
        p = q;
    } else {
        p = arenalloc_malloc(size);
    }
    if (p == NULL) {
        report(w->id, op, "no memory for %zu bytes", size);
        return NULL;
    }
    if ((uintptr_t)p % 16 != 0)
        report(w->id, op, "%p is not 16-aligned", (void *)p);
    mchunkptr c = mem2chunk(p);
    if (chunk_is_mmapped(c))
        w->mapped++;
    else if (!chunk_main_arena(c))
        w->non_main++;
    return p;
}

/* One operation on slot i: fill it if empty; if full, free it (most often) or
   reallocate it; skip it if another thread is working on it. */
static void one_op(struct worker *w, long op)
{
    size_t i = (size_t)rng_below(&w->rng, S.nslots);
    pthread_mutex_t *m = &S.stripes[i % NSTRIPES];
    struct slot *sl = &S.slots[i];

    pthread_mutex_lock(m);
    if (sl->state == BUSY) {
        pthread_mutex_unlock(m);
        return;
    }
    if (sl->state == EMPTY) {
        sl->state = BUSY;
        uint32_t gen = ++sl->gen;
        pthread_mutex_unlock(m);

        size_t size = pick_size(&w->rng);
        if (size == 0)
            size = 1 + (size_t)rng_below(&w->rng, 64);
        unsigned char *p = new_block(w, op, size);
        if (p != NULL) {
            fill(p, size, block_key(i, gen));
            w->allocs++;
        }
        pthread_mutex_lock(m);
        sl->p = p;
        sl->size = size;
        sl->owner = w->id;
        sl->state = p != NULL ? FULL : EMPTY;
        pthread_mutex_unlock(m);
        return;
    }

    /* FULL: take the block out of the table to work on it unlocked. */
    unsigned char *p = sl->p;
    size_t size = sl->size;
    uint32_t gen = sl->gen;
    int owner = sl->owner;
    bool do_realloc = rng_below(&w->rng, 100) < 12;
    if (do_realloc) {
        sl->state = BUSY;
        sl->gen = gen + 1;
    } else {
        sl->state = EMPTY;
        sl->p = NULL;
    }
    pthread_mutex_unlock(m);

    verify_block(w->id, op, i, p, size, gen, owner);
    if (!do_realloc) {
        arenalloc_free(p);
        w->frees++;
        if (owner != w->id)
            w->cross_frees++;
        return;
    }

    size_t new_size = pick_size(&w->rng);
    if (new_size == 0)
        new_size = 1 + (size_t)rng_below(&w->rng, 64);
    unsigned char *q = arenalloc_realloc(p, new_size);
    if (q == NULL) {
        report(w->id, op, "realloc(%p, %zu) failed", (void *)p, new_size);
        q = p; /* still valid, still holding the old block */
        new_size = size;
    } else {
        size_t keep = size < new_size ? size : new_size;
        size_t bad = check_pattern(q, keep, block_key(i, gen));
        if (bad != keep)
            report(w->id, op, "realloc(%p, %zu -> %zu) = %p: byte %zu of the old contents lost", (void *)p,
                   size, new_size, (void *)q, bad);
        mchunkptr c = mem2chunk(q);
        if (!chunk_is_mmapped(c) && !chunk_main_arena(c))
            w->non_main++;
        w->reallocs++;
    }
    fill(q, new_size, block_key(i, gen + 1));
    pthread_mutex_lock(m);
    sl->p = q;
    sl->size = new_size;
    sl->owner = w->id;
    sl->state = FULL;
    pthread_mutex_unlock(m);
}

/* At a barrier, all threads stopped: the heap checker, every live block, and
   the count of live blocks. */
static void quiescent_check(int thread, long op)
{
    const char *err = arenalloc_check_heap();
    if (err != NULL)
        report(thread, op, "heap check: %s", err);
    long live = 0, expected = 0;
    for (size_t i = 0; i < S.nslots; i++) {
        struct slot *sl = &S.slots[i];
        if (sl->state == BUSY)
            report(thread, op, "slot %zu busy at a barrier", i);
        if (sl->state == FULL) {
            live++;
            verify_block(thread, op, i, sl->p, sl->size, sl->gen, sl->owner);
        }
    }
    for (int t = 0; t < NTHREADS; t++)
        expected += S.workers[t].allocs - S.workers[t].frees;
    if (live != expected)
        report(thread, op, "%ld blocks in the table, but %ld allocated and not freed", live, expected);
    S.checks++;
    S.stop = atomic_load(&S.errors) != 0;
}

static void *worker_thread(void *arg)
{
    struct worker *w = arg;
    for (long op = 0; op < S.ops; op++) {
        one_op(w, op);
        if ((op + 1) % S.check_every == 0 || op + 1 == S.ops) {
            if (pthread_barrier_wait(&S.barrier) == PTHREAD_BARRIER_SERIAL_THREAD)
                quiescent_check(w->id, op);
            pthread_barrier_wait(&S.barrier);
            if (S.stop)
                break;
        }
    }
    return NULL;
}

/* ---- after the run --------------------------------------------------------------------- */

static void run_stress(int policy)
{
    ck_assert_int_eq(arenalloc_set_arena_policy(policy), 0);
    memset(&S, 0, sizeof S);
    S.ops = (long)env_number("ARENALLOC_STRESS_OPS", DEFAULT_OPS);
    S.seed = (uint64_t)env_number("ARENALLOC_STRESS_SEED", DEFAULT_SEED);
    S.nslots = (size_t)S.ops / 64;
    S.nslots = S.nslots > MAX_SLOTS ? MAX_SLOTS : S.nslots < 64 ? 64 : S.nslots;
    S.check_every = S.ops / 20 > MAX_CHECK_EVERY ? MAX_CHECK_EVERY : S.ops / 20 > 0 ? S.ops / 20 : 1;
    for (int i = 0; i < NSTRIPES; i++)
        pthread_mutex_init(&S.stripes[i], NULL);
    pthread_mutex_init(&S.error_lock, NULL);
    ck_assert_int_eq(pthread_barrier_init(&S.barrier, NULL, NTHREADS), 0);

    uint64_t x = S.seed;
    for (int t = 0; t < NTHREADS; t++) {
        struct worker *w = &S.workers[t];
        w->id = t;
        for (int k = 0; k < 4; k++)
            w->rng.s[k] = splitmix64(&x);
        ck_assert_int_eq(pthread_create(&w->thread, NULL, worker_thread, w), 0);
    }
    for (int t = 0; t < NTHREADS; t++)
        ck_assert_int_eq(pthread_join(S.workers[t].thread, NULL), 0);
    ck_assert_msg(atomic_load(&S.errors) == 0, "%ld errors; first: %s", atomic_load(&S.errors), S.first_error);
    ck_assert_int_eq(S.checks, (int)((S.ops + S.check_every - 1) / S.check_every));

    long allocs = 0, frees = 0, cross = 0, reallocs = 0, mapped = 0, non_main = 0;
    for (int t = 0; t < NTHREADS; t++) {
        allocs += S.workers[t].allocs;
        frees += S.workers[t].frees;
        cross += S.workers[t].cross_frees;
        reallocs += S.workers[t].reallocs;
        mapped += S.workers[t].mapped;
        non_main += S.workers[t].non_main;
    }
    /* The run did what it is meant to: blocks moved between threads, the
       contention made thread arenas, and mapped chunks were among them. */
    ck_assert_int_gt(cross, frees / 2);
    ck_assert_int_gt(reallocs, 0);
    ck_assert_int_gt(non_main, 0);
    if (S.ops >= 200000)
        ck_assert_int_gt(mapped, 0);

    /* Everything still in the table is intact and accounted for; then free it. */
    long live = 0;
    for (size_t i = 0; i < S.nslots; i++) {
        struct slot *sl = &S.slots[i];
        ck_assert_int_ne(sl->state, BUSY);
        if (sl->state != FULL)
            continue;
        live++;
        ck_assert_msg(verify_block(-1, S.ops, i, sl->p, sl->size, sl->gen, sl->owner), "%s", S.first_error);
    }
    ck_assert_int_eq(live, allocs - frees);
    for (size_t i = 0; i < S.nslots; i++)
        if (S.slots[i].state == FULL)
            arenalloc_free(S.slots[i].p);
    ck_assert_ptr_null(arenalloc_check_heap());
    /* The workers' caches went back at their exit; the main thread's goes back now. */
    ck_assert_int_eq(arenalloc_set_tcache_count(0), 1);

    /* Nothing lost: no mapping left, and each arena has only its headers (its
       malloc_state; per region a heap_info, fenceposts, alignment) and at most the
       main thread's per-thread cache structure (656 bytes) outside its free chunks. */
    ck_assert_int_eq(mp_.n_mmaps, 0);
    ck_assert_uint_eq(mp_.mmapped_mem, 0);
    mstate av = &main_arena;
    do {
        size_t regions = (size_t)arena_region_count(av);
        size_t in_use = arena_bytes_in_use(av);
        size_t headers = (av != &main_arena ? sizeof(struct malloc_state) : 0) + regions * 128;
        ck_assert_msg(in_use <= headers + 1024, "arena %p: %zu bytes in use over %zu regions", (void *)av, in_use,
                      regions);
        av = ring_next(av);
    } while (av != &main_arena);

    pthread_barrier_destroy(&S.barrier);
}

/* 4 threads x ARENALLOC_STRESS_OPS operations passing blocks between them, trylock
   policy: no block is ever damaged, the heap is sound at every barrier, the table
   accounts for every block, and when all are freed nothing is left in use. */
START_TEST(test_threads_hand_blocks_around) { run_stress(ARENALLOC_POLICY_TRYLOCK); }
END_TEST

/* The same with the per-thread policy: every thread on an arena of its own, so
   almost every free is into another thread's arena. */
START_TEST(test_threads_hand_blocks_around_per_thread) { run_stress(ARENALLOC_POLICY_PER_THREAD); }
END_TEST

Suite *stress_suite(void)
{
    Suite *s = suite_create("stress");
    TCase *tc = tcase_create("threads");
    tcase_set_timeout(tc, 900); /* seconds at -O2; the DEBUG build is far slower */
    tcase_add_test(tc, test_threads_hand_blocks_around);
    tcase_add_test(tc, test_threads_hand_blocks_around_per_thread);
    suite_add_tcase(s, tc);
    return s;
}
