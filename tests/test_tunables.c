/*
 * test_tunables.c - glibc's tuning knobs: every mallopt parameter, and the same
 * settings read from the environment at start-up (MALLOC_*_ and
 * GLIBC_TUNABLES=glibc.malloc.*), each observed through what the allocator then
 * does (white-box: reads mp_, main_arena, global_max_fast, perturb_byte and
 * thread_arena of the prefixed build).
 *
 * Each test runs in a process of its own (Check's fork mode) in which the
 * allocator has not started yet: the runner never calls it.  So a test can
 * setenv() a variable before its first arenalloc_* call, and ptmalloc_init ->
 * read_tunables reads it then.  Every environment test asserts that the
 * allocator is indeed still uninitialised when it starts (it is not under
 * CK_FORK=no).
 *
 * Threads never call ck_assert: they record what they saw, and the test's own
 * thread asserts after joining them.
 */
#include <check.h>
#include <malloc.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena/arena.h"
#include "arena/main_arena.h"
#include "bins/malloc_par.h"
#include "bins/fastbins.h"
#include "bins/perturb.h"
#include "include/arenalloc.h"
#include "syscall/os.h"
#include "tests/suites.h"
#define TEST_HELPERS_ARENA
#include "tests/test_helpers.h"

/* ---- helpers ------------------------------------------------------------------ */

static size_t page(void) { return os_page_size(); }

/* The allocator has not run in this process: the precondition of every
   environment test. */
static void assert_fresh(void)
{
    ck_assert_msg(!atomic_load(&__malloc_initialized),
                  "the allocator ran before this test; environment tests need Check's fork mode");
}

/* Sets GLIBC_TUNABLES to `value` behind the fixture's tcache_count=0 (these
   tests watch the fastbins, which the cache would stand in front of). */
static int setenv_tunables(const char *value)
{
    char both[1200];
    ck_assert_int_lt(snprintf(both, sizeof both, "%s:%s", TCACHE_OFF_TUNABLE, value), (int)sizeof both);
    return setenv("GLIBC_TUNABLES", both, 1);
}

static void fresh_setenv(const char *name, const char *value)
{
    assert_fresh();
    ck_assert_int_eq(strcmp(name, "GLIBC_TUNABLES") == 0 ? setenv_tunables(value) : setenv(name, value, 1), 0);
}

/* The allocator's first call: start-up reads the environment now. */
static void start(void)
{
    arenalloc_free(arenalloc_malloc(1));
    ck_assert(atomic_load(&__malloc_initialized));
}

static INTERNAL_SIZE_T max_fast_for(size_t mxfast)
{
    return mxfast == 0 ? MIN_CHUNK_SIZE / 2 : (mxfast + SIZE_SZ) & ~MALLOC_ALIGN_MASK;
}

/* Every parameter still has glibc's default value. */
static void assert_defaults(void)
{
    ck_assert_uint_eq(mp_.top_pad, DEFAULT_TOP_PAD);
    ck_assert_uint_eq(mp_.mmap_threshold, DEFAULT_MMAP_THRESHOLD);
    ck_assert_uint_eq(mp_.trim_threshold, DEFAULT_TRIM_THRESHOLD);
    ck_assert_int_eq(mp_.n_mmaps_max, DEFAULT_MMAP_MAX);
    ck_assert_uint_eq(mp_.arena_test, DEFAULT_ARENA_TEST);
    ck_assert_uint_eq(mp_.arena_max, 0);
    ck_assert_int_eq(mp_.no_dyn_threshold, 0);
    ck_assert_int_eq(perturb_byte, 0);
    ck_assert_uint_eq(global_max_fast, max_fast_for(DEFAULT_MXFAST));
}

static bool fastbins_empty(mstate av)
{
    for (unsigned i = 0; i < NFASTBINS; i++)
        if (av->fastbinsY[i] != NULL)
            return false;
    return true;
}

/* Frees two separated 40-byte blocks a then b and allocates 40 bytes again:
   a fastbin is LIFO and gives back b, the unsorted bin is FIFO and gives back a.
   Returns true when b came back (the chunks went to a fastbin). */
static bool small_frees_went_to_fastbin(void)
{
    size_t smblks = arenalloc_mallinfo2().smblks;
    char *a = xmalloc(40), *g1 = xmalloc(40), *b = xmalloc(40), *g2 = xmalloc(40);
    arenalloc_free(a);
    arenalloc_free(b);
    bool fast = main_arena.fastbinsY[fastbin_index(48)] == mem2chunk(b);
    ck_assert_uint_eq(arenalloc_mallinfo2().smblks, smblks + (fast ? 2 : 0));
    char *c = xmalloc(40);
    ck_assert_msg(c == a || c == b, "malloc(40) reused neither freed chunk");
    ck_assert_msg(fast == (c == b), "fastbins %s, but malloc(40) returned the %s chunk", fast ? "used" : "empty",
                  c == b ? "last freed" : "first freed");
    arenalloc_free(c);
    arenalloc_free(g1);
    arenalloc_free(g2);
    return fast;
}

/* A request above the dynamic threshold's cap: always mapped, and its free
   leaves the threshold where it was for the checks that follow. */
#define MAPPED_FOR_GOOD (DEFAULT_MMAP_THRESHOLD_MAX + 1)

/* With M_PERTURB n: malloc fills n ^ 0xff over the requested bytes (heap and
   mapped chunks), free fills n past the links it writes, calloc still zeroes. */
static void assert_perturbs(int n)
{
    unsigned char on_malloc = (unsigned char)(n ^ 0xff), on_free = (unsigned char)n;

    char *a = xmalloc(100);
    ck_assert_bytes(a, 0, 100, on_malloc);
    char *m = xmalloc(MAPPED_FOR_GOOD);
    ck_assert(is_mmapped(m));
    ck_assert_bytes(m, 0, 1u << 20, on_malloc);
    ck_assert_bytes(m, MAPPED_FOR_GOOD - 4096, MAPPED_FOR_GOOD, on_malloc);

    char *s = xmalloc(200); /* chunk 208: past fd/bk, up to the next prev_size */
    guard_after(s);
    char *f = xmalloc(40); /* chunk 48, a fastbin chunk: past fd */
    arenalloc_free(s);
    ck_assert_bytes(s, 2 * sizeof(void *), 208 - CHUNK_HDR_SZ, on_free);
    arenalloc_free(f);
    ck_assert_ptr_eq(main_arena.fastbinsY[fastbin_index(48)], mem2chunk(f));
    ck_assert_bytes(f, sizeof(void *), 48 - CHUNK_HDR_SZ, on_free);

    char *z = arenalloc_calloc(1, 200); /* the freed 208 chunk again */
    ck_assert_ptr_eq(z, s);
    ck_assert_bytes(z, 0, 200, 0);
    char *zm = arenalloc_calloc(1, MAPPED_FOR_GOOD);
    ck_assert_ptr_nonnull(zm);
    ck_assert(is_mmapped(zm));
    ck_assert_bytes(zm, 0, 1u << 20, 0);
    ck_assert_bytes(zm, MAPPED_FOR_GOOD - 4096, MAPPED_FOR_GOOD, 0);
    arenalloc_free(zm);

    arenalloc_free(a);
    arenalloc_free(m);
    arenalloc_free(z);
    ck_assert_ptr_null(arenalloc_check_heap());
}

static void assert_no_perturb(void)
{
    char *s = xmalloc(200);
    guard_after(s);
    memset(s, 0x5a, 200);
    arenalloc_free(s);
    ck_assert_bytes(s, 2 * sizeof(void *), 192, 0x5a);
    char *t = xmalloc(200);
    ck_assert_ptr_eq(t, s);
    ck_assert_bytes(t, 2 * sizeof(void *), 192, 0x5a); /* (the last 8 bytes held free's boundary tag) */
    char *m = xmalloc(MAPPED_FOR_GOOD);
    ck_assert(is_mmapped(m));
    ck_assert_bytes(m, 0, 1u << 20, 0);
    arenalloc_free(t);
    arenalloc_free(m);
}

/* After freeing a mapped chunk larger than the threshold: has the threshold
   risen to that chunk's size (glibc's dynamic threshold)? */
static bool threshold_rises_after_free(void)
{
    size_t before = mp_.mmap_threshold;
    char *p = xmalloc(300 * 1024);
    ck_assert_msg(is_mmapped(p), "300 KiB is not mapped with threshold %zu", before);
    size_t c = chunksize(mem2chunk(p));
    arenalloc_free(p);
    if (mp_.mmap_threshold == before)
        return false;
    ck_assert_uint_eq(mp_.mmap_threshold, c);
    ck_assert_uint_eq(mp_.trim_threshold, 2 * c);
    return true;
}

/* ---- threads ------------------------------------------------------------------- */

struct first_call {
    pthread_t thread;
    pthread_barrier_t *all_called;
    mstate arena; /* thread_arena after the first call */
};

/* One malloc, then wait until every thread has made its own, so no thread exits
   (and leaves its arena to the next) too early. */
static void *first_call_thread(void *arg)
{
    struct first_call *fc = arg;
    void *p = arenalloc_malloc(40);
    fc->arena = thread_arena;
    pthread_barrier_wait(fc->all_called);
    arenalloc_free(p);
    return NULL;
}

/* n threads, all alive at once, one call each.  Returns the calloc'ed records. */
static struct first_call *run_first_calls(int n)
{
    struct first_call *fc = calloc((size_t)n, sizeof *fc);
    ck_assert_ptr_nonnull(fc);
    pthread_barrier_t b;
    ck_assert_int_eq(pthread_barrier_init(&b, NULL, (unsigned)n), 0);
    for (int i = 0; i < n; i++) {
        fc[i].all_called = &b;
        ck_assert_int_eq(pthread_create(&fc[i].thread, NULL, first_call_thread, &fc[i]), 0);
    }
    for (int i = 0; i < n; i++)
        ck_assert_int_eq(pthread_join(fc[i].thread, NULL), 0);
    pthread_barrier_destroy(&b);
    return fc;
}

/* Per-thread policy: a new thread wants an arena of its own at once. */
static mstate new_thread_arena(void)
{
    ck_assert_int_eq(arenalloc_set_arena_policy(ARENALLOC_POLICY_PER_THREAD), 0);
    struct first_call *fc = run_first_calls(1);
    mstate a = fc[0].arena;
    free(fc);
    ck_assert_ptr_nonnull(a);
    return a;
}

/* More threads than the default cap (8 per core), capped at 100. */
static int many_threads(void)
{
    int n = 8 * os_ncpus() + 4;
    return n > 100 ? 100 : n;
}

/* Per-thread policy, many_threads() threads at once: how many arenas there are
   afterwards. */
static size_t arenas_for_many_threads(void)
{
    ck_assert_int_eq(arenalloc_set_arena_policy(ARENALLOC_POLICY_PER_THREAD), 0);
    free(run_first_calls(many_threads()));
    return arena_count();
}

struct hammer {
    pthread_t thread;
    uint32_t seed;
    long ops;
    bool left_main; /* it was ever on another arena than main_arena */
};

static void *hammer_thread(void *arg)
{
    struct hammer *h = arg;
    void *live[64] = {0};
    uint32_t x = h->seed | 1;
    for (long op = 0; op < h->ops; op++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        size_t j = x % 64;
        arenalloc_free(live[j]);
        live[j] = arenalloc_malloc(16 + (x >> 8) % 496);
        if (thread_arena != &main_arena)
            h->left_main = true;
    }
    for (int j = 0; j < 64; j++)
        arenalloc_free(live[j]);
    return NULL;
}

/* Two threads contending for the arenas (trylock policy, the default). */
static void contend(struct hammer h[2])
{
    for (int i = 0; i < 2; i++) {
        h[i] = (struct hammer){.seed = 0x9e3779b9u * (uint32_t)(i + 1), .ops = 200000};
        ck_assert_int_eq(pthread_create(&h[i].thread, NULL, hammer_thread, &h[i]), 0);
    }
    for (int i = 0; i < 2; i++)
        ck_assert_int_eq(pthread_join(h[i].thread, NULL), 0);
}

/* ---- mallopt: return values ------------------------------------------------------ */

/* glibc's return values: unknown parameters and M_CHECK_ACTION give 1 and change nothing; M_MXFAST above 160 gives 0. */
START_TEST(test_mallopt_return_values)
{
    arenalloc_free(arenalloc_malloc(1));
    struct malloc_par before = mp_;
    INTERNAL_SIZE_T max_fast = global_max_fast;

    ck_assert_int_eq(arenalloc_mallopt(12345, 1), 1);
    ck_assert_int_eq(arenalloc_mallopt(-100, 7), 1);
    for (int v = -1; v <= 7; v++)
        ck_assert_int_eq(arenalloc_mallopt(M_CHECK_ACTION, v), 1);
    ck_assert_int_eq(arenalloc_mallopt(M_ARENA_MAX, 0), 1);  /* a count must be positive: ignored */
    ck_assert_int_eq(arenalloc_mallopt(M_ARENA_TEST, -3), 1);
    ck_assert_mem_eq(&mp_, &before, sizeof mp_);
    ck_assert_uint_eq(global_max_fast, max_fast);
    ck_assert_int_eq(perturb_byte, 0);

    ck_assert_int_eq(arenalloc_mallopt(M_MXFAST, 161), 0);
    ck_assert_int_eq(arenalloc_mallopt(M_MXFAST, -1), 0); /* widened to SIZE_MAX */
    ck_assert_uint_eq(global_max_fast, max_fast);
    ck_assert_int_eq(arenalloc_mallopt(M_MXFAST, 160), 1);
    ck_assert_uint_eq(global_max_fast, 160);
    ck_assert_int_eq(arenalloc_mallopt(M_MXFAST, 0), 1);
    ck_assert_int_eq(arenalloc_mallopt(M_PERTURB, 0), 1);
    ck_assert_int_eq(arenalloc_mallopt(M_MMAP_MAX, 65536), 1);
    ck_assert_int_eq(arenalloc_mallopt(M_ARENA_MAX, 3), 1);
    ck_assert_uint_eq(mp_.arena_max, 3);
    ck_assert_int_eq(arenalloc_mallopt(M_ARENA_TEST, 5), 1);
    ck_assert_uint_eq(mp_.arena_test, 5);
}
END_TEST

/* ---- mallopt: mapped chunks ---------------------------------------------------------- */

/* M_MMAP_THRESHOLD T: with top small, a chunk of T - 16 grows the heap and one of T is mapped (T may exceed the dynamic rise's cap). */
START_TEST(test_mallopt_mmap_threshold_moves_boundary)
{
    ck_assert_int_eq(arenalloc_mallopt(M_TOP_PAD, 0), 1);
    const size_t t[] = {32 * 1024, 256 * 1024, 1024 * 1024, 64 * 1024};
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        ck_assert_int_eq(arenalloc_mallopt(M_MMAP_THRESHOLD, (int)t[i]), 1);
        ck_assert_uint_eq(mp_.mmap_threshold, t[i]);
        char *below = xmalloc(t[i] - 24); /* request2size: t - 16 */
        char *at = xmalloc(t[i] - 8);     /* request2size: t */
        ck_assert_msg(!is_mmapped(below), "threshold %zu: chunk of %zu is mapped", t[i], t[i] - 16);
        ck_assert_msg(is_mmapped(at), "threshold %zu: chunk of %zu is not mapped", t[i], t[i]);
        ck_assert_uint_eq(chunksize(mem2chunk(below)), t[i] - 16);
    }
    ck_assert_ptr_null(arenalloc_check_heap());
}
END_TEST

/* By default, freeing a mapped chunk above the threshold raises the threshold to its size (and trim to twice that). */
START_TEST(test_dynamic_threshold_by_default)
{
    arenalloc_free(arenalloc_malloc(1));
    ck_assert(threshold_rises_after_free());
    char *p = xmalloc(300 * 1024);
    ck_assert(!is_mmapped(p)); /* below the risen threshold: the heap now */
    arenalloc_free(p);
}
END_TEST

/* mallopt of M_MMAP_THRESHOLD, M_TOP_PAD, M_TRIM_THRESHOLD or M_MMAP_MAX (even to its default) stops the dynamic rise for good. */
START_TEST(test_mallopt_stops_dynamic_threshold)
{
    static const struct {
        int param, value;
    } set[] = {
        {M_MMAP_THRESHOLD, DEFAULT_MMAP_THRESHOLD},
        {M_TOP_PAD, DEFAULT_TOP_PAD},
        {M_TRIM_THRESHOLD, DEFAULT_TRIM_THRESHOLD},
        {M_MMAP_MAX, DEFAULT_MMAP_MAX},
    };
    ck_assert_int_eq(arenalloc_mallopt(set[_i].param, set[_i].value), 1);
    ck_assert(!threshold_rises_after_free());
    ck_assert_uint_eq(mp_.mmap_threshold, DEFAULT_MMAP_THRESHOLD);
    ck_assert_uint_eq(mp_.trim_threshold, DEFAULT_TRIM_THRESHOLD);
    char *p = xmalloc(300 * 1024);
    ck_assert(is_mmapped(p)); /* still mapped: the boundary did not move */
    arenalloc_free(p);
}
END_TEST

/* M_MMAP_MAX 0: no request gets a mapping of its own, however large (malloc, calloc, memalign, realloc). */
START_TEST(test_mallopt_mmap_max_zero)
{
    char *control = xmalloc(8u << 20);
    ck_assert(is_mmapped(control));
    arenalloc_free(control);

    ck_assert_int_eq(arenalloc_mallopt(M_MMAP_MAX, 0), 1);
    char *a = xmalloc(8u << 20);
    char *b = arenalloc_calloc(1, 4u << 20);
    char *c = arenalloc_memalign(4096, 2u << 20);
    char *d = arenalloc_realloc(xmalloc(100), 3u << 20);
    ck_assert_ptr_nonnull(b);
    ck_assert_ptr_nonnull(c);
    ck_assert_ptr_nonnull(d);
    ck_assert(!is_mmapped(a) && !is_mmapped(b) && !is_mmapped(c) && !is_mmapped(d));
    memset(a, 1, 8u << 20);
    ck_assert_bytes(b, 0, 4u << 20, 0);
    ck_assert_int_eq(mp_.n_mmaps, 0);
    ck_assert_uint_eq(arenalloc_mallinfo2().hblks, 0);
    arenalloc_free(a);
    arenalloc_free(b);
    arenalloc_free(c);
    arenalloc_free(d);
    ck_assert_ptr_null(arenalloc_check_heap());
}
END_TEST

/* ---- mallopt: brk kept after frees ------------------------------------------------------ */

/* M_TRIM_THRESHOLD 1 MiB: free() gives brk back only once top reaches 1 MiB, then down to M_TOP_PAD. */
START_TEST(test_mallopt_trim_threshold)
{
    enum { N = 16 };
    const size_t threshold = 1u << 20;
    ck_assert_int_eq(arenalloc_mallopt(M_TOP_PAD, 0), 1);
    ck_assert_int_eq(arenalloc_mallopt(M_TRIM_THRESHOLD, (int)threshold), 1);
    void *p[N];
    for (int i = 0; i < N; i++) {
        p[i] = xmalloc(100000);
        ck_assert(!is_mmapped(p[i]));
    }
    int trims = 0, kept_above_default = 0;
    for (int i = N - 1; i >= 0; i--) { /* from the one next to top down: each merges into top */
        size_t top_before = top_size(), sys_before = main_arena.system_mem;
        size_t c = chunksize(mem2chunk(p[i]));
        arenalloc_free(p[i]);
        if (top_before + c >= threshold) {
            ck_assert_uint_lt(main_arena.system_mem, sys_before);
            ck_assert_uint_le(top_size(), MINSIZE + page());
            ck_assert_ptr_eq((char *)main_arena.top + top_size(), os_morecore(0));
            trims++;
        } else {
            ck_assert_msg(main_arena.system_mem == sys_before, "trimmed with top %zu below the threshold",
                          top_before + c);
            ck_assert_uint_eq(top_size(), top_before + c);
            kept_above_default += top_size() >= DEFAULT_TRIM_THRESHOLD;
        }
    }
    ck_assert_int_ge(trims, 1);
    ck_assert_int_ge(kept_above_default, 1); /* the default threshold would have trimmed these */
}
END_TEST

/* M_TOP_PAD P: brk grows by the request + P, and a trim leaves top at P + MINSIZE, plus less than a page. */
START_TEST(test_mallopt_top_pad)
{
    const size_t pads[] = {0, 64 * 1024, 512 * 1024};
    size_t pad = pads[_i];
    ck_assert_int_eq(arenalloc_mallopt(M_TOP_PAD, (int)pad), 1);
    char *first = xmalloc(100);
    ck_assert_uint_ge(main_arena.system_mem, pad + MINSIZE);
    ck_assert_uint_lt(main_arena.system_mem, pad + MINSIZE + 0x290 + 112 + page());

    enum { N = 8 };
    void *p[N];
    for (int i = 0; i < N; i++)
        p[i] = xmalloc(100000);
    ck_assert_uint_ge(main_arena.system_mem, N * 100000);
    for (int i = N - 1; i >= 0; i--)
        arenalloc_free(p[i]);
    ck_assert_uint_ge(top_size(), pad + MINSIZE);
    ck_assert_uint_le(top_size(), pad + MINSIZE + page());
    ck_assert_ptr_eq((char *)main_arena.top + top_size(), os_morecore(0));
    ck_assert_uint_eq(main_arena.system_mem, (size_t)((char *)os_morecore(0) - mp_.sbrk_base));
    arenalloc_free(first);
}
END_TEST

/* ---- mallopt: fastbins --------------------------------------------------------------- */

/* By default a freed 40-byte block goes to a fastbin: LIFO reuse, mallinfo2 counts it in smblks. */
START_TEST(test_fastbins_by_default)
{
    arenalloc_free(arenalloc_malloc(1));
    ck_assert(small_frees_went_to_fastbin());
}
END_TEST

/* M_MXFAST 0: no chunk is fast; freed small blocks go to the unsorted bin (FIFO reuse) and every fastbin stays empty. */
START_TEST(test_mallopt_mxfast_zero)
{
    ck_assert_int_eq(arenalloc_mallopt(M_MXFAST, 0), 1);
    ck_assert_uint_eq(global_max_fast, max_fast_for(0));
    ck_assert(!small_frees_went_to_fastbin());
    for (int n = 1; n <= 160; n += 7) {
        void *a = xmalloc((size_t)n), *g = xmalloc(16);
        arenalloc_free(a);
        ck_assert_msg(fastbins_empty(&main_arena), "a freed %d-byte block is in a fastbin", n);
        arenalloc_free(g);
    }
    ck_assert(!main_arena.have_fastchunks);
}
END_TEST

/* M_MXFAST 32: a 32-byte chunk is still fast, a 48-byte one no longer. */
START_TEST(test_mallopt_mxfast_small)
{
    ck_assert_int_eq(arenalloc_mallopt(M_MXFAST, 32), 1);
    void *a = xmalloc(24), *g1 = xmalloc(100); /* chunk 32; guards of 112, not fast now */
    arenalloc_free(a);
    ck_assert_ptr_eq(main_arena.fastbinsY[0], mem2chunk(a));
    void *b = xmalloc(40), *g2 = xmalloc(100); /* chunk 48 */
    arenalloc_free(b);
    ck_assert_ptr_null(main_arena.fastbinsY[1]);
    ck_assert_uint_eq(arenalloc_mallinfo2().smblks, 1);
    arenalloc_free(g1);
    arenalloc_free(g2);
}
END_TEST

/* ---- mallopt: perturb ------------------------------------------------------------------ */

/* M_PERTURB N: malloc fills N ^ 0xff, free fills N, calloc still zeroes; M_PERTURB 0 turns it off. */
START_TEST(test_mallopt_perturb)
{
    arenalloc_free(arenalloc_malloc(1));
    assert_no_perturb();
    ck_assert_int_eq(arenalloc_mallopt(M_PERTURB, 0x5a), 1);
    ck_assert_int_eq(perturb_byte, 0x5a);
    assert_perturbs(0x5a);
    ck_assert_int_eq(arenalloc_mallopt(M_PERTURB, 0xff), 1); /* malloc fills 0x00, free 0xff */
    assert_perturbs(0xff);
    ck_assert_int_eq(arenalloc_mallopt(M_PERTURB, 0), 1);
    assert_no_perturb();
}
END_TEST

/* ---- mallopt: arenas ----------------------------------------------------------------- */

/* M_ARENA_MAX 1: a new thread that wants an arena of its own (per-thread policy) is put on main_arena. */
START_TEST(test_mallopt_arena_max_1_per_thread)
{
    ck_assert_int_eq(arenalloc_mallopt(M_ARENA_MAX, 1), 1);
    ck_assert_ptr_eq(new_thread_arena(), &main_arena);
    ck_assert_uint_eq(arena_count(), 1);
}
END_TEST

/* Without M_ARENA_MAX, the same new thread gets a second arena (the control for the test above). */
START_TEST(test_no_arena_max_per_thread)
{
    ck_assert(new_thread_arena() != &main_arena);
    ck_assert_uint_eq(arena_count(), 2);
}
END_TEST

/* M_ARENA_MAX 1: two threads contending for the lock never create a second arena. */
START_TEST(test_mallopt_arena_max_1_contention)
{
    ck_assert_int_eq(arenalloc_mallopt(M_ARENA_MAX, 1), 1);
    struct hammer h[2];
    contend(h);
    ck_assert(!h[0].left_main && !h[1].left_main);
    ck_assert_uint_eq(arena_count(), 1);
    ck_assert_ptr_null(arenalloc_check_heap());
}
END_TEST

/* Default M_ARENA_TEST (8): once more than 8 arenas exist, the cap becomes 8 per core. */
START_TEST(test_default_arena_test_caps)
{
    arenalloc_free(arenalloc_malloc(1));
    size_t n = arenas_for_many_threads();
    ck_assert_uint_le(n, (size_t)(8 * os_ncpus()));
}
END_TEST

/* M_ARENA_TEST above the thread count: the cap is never computed, so every thread gets an arena. */
START_TEST(test_mallopt_arena_test)
{
    ck_assert_int_eq(arenalloc_mallopt(M_ARENA_TEST, many_threads() + 8), 1);
    ck_assert_uint_eq(arenas_for_many_threads(), (size_t)many_threads() + 1);
}
END_TEST

/* ---- the environment ------------------------------------------------------------------- */

/* Each test starts in a process where the allocator has not run: setenv before the first call is read by start-up. */
START_TEST(test_env_read_at_start_up)
{
    assert_fresh();
    ck_assert_ptr_eq(main_arena.top, NULL); /* not even malloc_init_state has run */
    ck_assert_int_eq(setenv("MALLOC_TOP_PAD_", "4096", 1), 0);
    start();
    ck_assert_uint_eq(mp_.top_pad, 4096);
}
END_TEST

/* The environment is read once, at start-up: a variable set afterwards changes nothing. */
START_TEST(test_env_read_once)
{
    assert_fresh();
    start();
    ck_assert_int_eq(setenv("MALLOC_PERTURB_", "90", 1), 0);
    ck_assert_int_eq(setenv("MALLOC_MMAP_MAX_", "0", 1), 0);
    ck_assert_int_eq(setenv_tunables("glibc.malloc.mxfast=0"), 0);
    assert_no_perturb();
    assert_defaults();
}
END_TEST

/* MALLOC_MMAP_THRESHOLD_=1048576: 600 KiB comes from the heap, 1 MiB is mapped. */
START_TEST(test_env_mmap_threshold)
{
    fresh_setenv("MALLOC_MMAP_THRESHOLD_", "1048576");
    start();
    ck_assert_uint_eq(mp_.mmap_threshold, 1u << 20);
    ck_assert_int_eq(mp_.no_dyn_threshold, 1);
    char *mid = xmalloc(600 * 1024), *big = xmalloc(1u << 20);
    ck_assert(!is_mmapped(mid));
    ck_assert(is_mmapped(big));
    arenalloc_free(mid);
    arenalloc_free(big);
}
END_TEST

static void *malloc_in_thread(void *arg)
{
    *(void **)arg = xmalloc(100);
    return NULL;
}

/* ARENALLOC_HEAP_MAX_SIZE=64M gives glibc's 64-bit heaps: a thread arena's heap
   is 64 MiB aligned. */
START_TEST(test_env_heap_max_size)
{
    fresh_setenv("ARENALLOC_HEAP_MAX_SIZE", "64M");
    start();
    ck_assert_uint_eq(heap_max_size(), 64u << 20);
    ck_assert_int_eq(arenalloc_set_arena_policy(ARENALLOC_POLICY_PER_THREAD), 0);
    pthread_t t;
    void *mem = NULL;
    ck_assert_int_eq(pthread_create(&t, NULL, malloc_in_thread, &mem), 0);
    ck_assert_int_eq(pthread_join(t, NULL), 0);
    ck_assert(!chunk_main_arena(mem2chunk(mem)));
    heap_info *h = heap_for_ptr(mem);
    ck_assert_uint_eq((uintptr_t)h & ((64u << 20) - 1), 0);
    ck_assert_ptr_eq(arena_for_chunk(mem2chunk(mem)), h->ar_ptr);
    arenalloc_free(mem);
}
END_TEST

/* A value that is no heap size (3M, junk) keeps 1 MiB; a number of bytes is taken. */
START_TEST(test_env_heap_max_size_refused)
{
    fresh_setenv("ARENALLOC_HEAP_MAX_SIZE", _i == 0 ? "3M" : _i == 1 ? "64MB" : "2097152");
    start();
    ck_assert_uint_eq(heap_max_size(), _i == 2 ? 2u << 20 : 1u << 20);
}
END_TEST

/* MALLOC_MMAP_THRESHOLD_ in hex (0x10000) is taken, and stops the dynamic rise as mallopt does. */
START_TEST(test_env_mmap_threshold_hex_fixed)
{
    fresh_setenv("MALLOC_MMAP_THRESHOLD_", "0x10000");
    start();
    ck_assert_uint_eq(mp_.mmap_threshold, 0x10000);
    ck_assert(!threshold_rises_after_free());
    ck_assert_uint_eq(mp_.mmap_threshold, 0x10000);
}
END_TEST

/* MALLOC_TRIM_THRESHOLD_=0x4000000: freeing 300 KiB next to top keeps all of brk. */
START_TEST(test_env_trim_threshold)
{
    fresh_setenv("MALLOC_TRIM_THRESHOLD_", "0x4000000");
    start();
    ck_assert_uint_eq(mp_.trim_threshold, 0x4000000);
    void *a = xmalloc(100000), *b = xmalloc(100000), *c = xmalloc(100000);
    size_t grown = main_arena.system_mem;
    arenalloc_free(c);
    arenalloc_free(b);
    arenalloc_free(a);
    ck_assert_uint_eq(main_arena.system_mem, grown);
    ck_assert_uint_ge(top_size(), 300000); /* default: trimmed to 128 KiB + less than a page */
}
END_TEST

/* MALLOC_TOP_PAD_: the first brk is the request + the pad, in pages (0 and 0x100000). */
START_TEST(test_env_top_pad)
{
    const char *values[] = {"0", "0x100000"};
    const size_t pads[] = {0, 0x100000};
    fresh_setenv("MALLOC_TOP_PAD_", values[_i]);
    start();
    ck_assert_uint_eq(mp_.top_pad, pads[_i]);
    ck_assert_uint_ge(main_arena.system_mem, pads[_i] + MINSIZE);
    ck_assert_uint_lt(main_arena.system_mem, pads[_i] + MINSIZE + 0x290 + 32 + page());
    void *a = xmalloc(100000), *b = xmalloc(100000), *c = xmalloc(100000);
    ck_assert(!is_mmapped(a) && !is_mmapped(b) && !is_mmapped(c));
    arenalloc_free(c);
    arenalloc_free(b); /* top reaches the 128 KiB trim threshold: trimmed down to the pad */
    ck_assert_uint_le(top_size(), pads[_i] + MINSIZE + page());
    arenalloc_free(a);
}
END_TEST

/* MALLOC_MMAP_MAX_=0: an 8 MiB request comes from the heap. */
START_TEST(test_env_mmap_max)
{
    fresh_setenv("MALLOC_MMAP_MAX_", "0");
    start();
    ck_assert_int_eq(mp_.n_mmaps_max, 0);
    char *p = xmalloc(8u << 20);
    ck_assert(!is_mmapped(p));
    ck_assert_int_eq(mp_.n_mmaps, 0);
    arenalloc_free(p);
}
END_TEST

/* MALLOC_PERTURB_=90: malloc fills 0xa5, free fills 0x5a. */
START_TEST(test_env_perturb)
{
    fresh_setenv("MALLOC_PERTURB_", "90");
    start();
    ck_assert_int_eq(perturb_byte, 90);
    assert_perturbs(90);
}
END_TEST

/* MALLOC_PERTURB_=010 is octal 8, as glibc's _dl_strtoul reads a leading 0. */
START_TEST(test_env_octal)
{
    fresh_setenv("MALLOC_PERTURB_", "010");
    start();
    ck_assert_msg(perturb_byte == 8, "MALLOC_PERTURB_=010 gave perturb byte %d; glibc 2.36 reads it as octal 8",
                  perturb_byte);
    assert_perturbs(8);
}
END_TEST

/* MALLOC_ARENA_MAX=1: a new thread that wants its own arena gets main_arena. */
START_TEST(test_env_arena_max)
{
    fresh_setenv("MALLOC_ARENA_MAX", "1");
    start();
    ck_assert_uint_eq(mp_.arena_max, 1);
    ck_assert_ptr_eq(new_thread_arena(), &main_arena);
    ck_assert_uint_eq(arena_count(), 1);
}
END_TEST

/* MALLOC_ARENA_TEST above the thread count: every thread gets an arena of its own. */
START_TEST(test_env_arena_test)
{
    char v[32];
    snprintf(v, sizeof v, "%d", many_threads() + 8);
    fresh_setenv("MALLOC_ARENA_TEST", v);
    start();
    ck_assert_uint_eq(mp_.arena_test, (size_t)many_threads() + 8);
    ck_assert_uint_eq(arenas_for_many_threads(), (size_t)many_threads() + 1);
}
END_TEST

/* MALLOC_CHECK_ is accepted and, without glibc's debugging library, changes nothing. */
START_TEST(test_env_malloc_check)
{
    const char *values[] = {"0", "1", "2", "3"};
    fresh_setenv("MALLOC_CHECK_", values[_i]);
    start();
    assert_defaults();
    char *p = xmalloc(100);
    p = arenalloc_realloc(p, 5000);
    ck_assert_ptr_nonnull(p);
    arenalloc_free(p);
    ck_assert_ptr_null(arenalloc_check_heap());
}
END_TEST

/* GLIBC_TUNABLES: mmap_threshold (hex) and mxfast=0 are taken, an unknown namespace is ignored. */
START_TEST(test_glibc_tunables)
{
    fresh_setenv("GLIBC_TUNABLES", "glibc.malloc.mmap_threshold=0x20000:glibc.malloc.mxfast=0:glibc.unknown.x=1");
    start();
    ck_assert_uint_eq(mp_.mmap_threshold, 0x20000);
    ck_assert_int_eq(mp_.no_dyn_threshold, 1);
    ck_assert_uint_eq(global_max_fast, max_fast_for(0));
    ck_assert(!small_frees_went_to_fastbin());
    ck_assert(!threshold_rises_after_free()); /* a threshold set by tunable is fixed too */
}
END_TEST

/* GLIBC_TUNABLES: the cache's three tunables reach mp_, out-of-range values are
   refused as glibc refuses them, and the items after them still apply. */
START_TEST(test_glibc_tunables_tcache_count)
{
    fresh_setenv("GLIBC_TUNABLES", "glibc.malloc.tcache_count=3:glibc.malloc.tcache_unsorted_limit=5:"
                                   "glibc.malloc.tcache_max=1033:glibc.malloc.perturb=0x22:glibc.malloc.top_pad=0");
    start();
    ck_assert_uint_eq(mp_.tcache_count, 3);
    ck_assert_uint_eq(mp_.tcache_unsorted_limit, 5);
    ck_assert_uint_eq(mp_.tcache_max_bytes, 1032); /* 1033 is past bin 63: refused */
    ck_assert_uint_eq(mp_.tcache_bins, 64);
    ck_assert_int_eq(perturb_byte, 0x22);
    ck_assert_uint_eq(mp_.top_pad, 0);
    /* Three frees of one size fill its bin of the cache; the fourth reaches the fastbin. */
    char *p[4];
    for (int i = 0; i < 4; i++)
        p[i] = xmalloc(40);
    for (int i = 0; i < 4; i++)
        arenalloc_free(p[i]);
    ck_assert_ptr_eq(main_arena.fastbinsY[fastbin_index(48)], mem2chunk(p[3]));
    ck_assert_ptr_null(reveal_ptr(&mem2chunk(p[3])->fd));
}
END_TEST

/* Every glibc.malloc name arenalloc implements, in one GLIBC_TUNABLES, reaches its parameter. */
START_TEST(test_glibc_tunables_all_names)
{
    fresh_setenv("GLIBC_TUNABLES", "glibc.malloc.check=1:glibc.malloc.top_pad=4096:glibc.malloc.perturb=7:"
                                   "glibc.malloc.mmap_threshold=200000:glibc.malloc.trim_threshold=300000:"
                                   "glibc.malloc.mmap_max=5:glibc.malloc.arena_max=3:glibc.malloc.arena_test=2:"
                                   "glibc.malloc.mxfast=64:glibc.malloc.tcache_max=0:glibc.malloc.hugetlb=0");
    start();
    ck_assert_uint_eq(mp_.top_pad, 4096);
    ck_assert_int_eq(perturb_byte, 7);
    ck_assert_uint_eq(mp_.mmap_threshold, 200000);
    ck_assert_uint_eq(mp_.trim_threshold, 300000);
    ck_assert_int_eq(mp_.n_mmaps_max, 5);
    ck_assert_uint_eq(mp_.arena_max, 3);
    ck_assert_uint_eq(mp_.arena_test, 2);
    ck_assert_uint_eq(global_max_fast, max_fast_for(64));
    ck_assert_uint_eq(mp_.tcache_max_bytes, 0);
    ck_assert_uint_eq(mp_.tcache_bins, 1); /* requests of 0 bytes still have a bin */
}
END_TEST

/* GLIBC_TUNABLES wins over the older MALLOC_*_ name of the same tunable. */
START_TEST(test_glibc_tunables_beat_alias)
{
    fresh_setenv("MALLOC_MMAP_THRESHOLD_", "65536");
    ck_assert_int_eq(setenv("MALLOC_PERTURB_", "0x10", 1), 0);
    ck_assert_int_eq(setenv("MALLOC_TOP_PAD_", "8192", 1), 0); /* no tunable for it below: the alias applies */
    ck_assert_int_eq(setenv_tunables("glibc.malloc.mmap_threshold=1048576:glibc.malloc.perturb=0x20"),
                     0);
    start();
    ck_assert_uint_eq(mp_.mmap_threshold, 1u << 20);
    ck_assert_int_eq(perturb_byte, 0x20);
    ck_assert_uint_eq(mp_.top_pad, 8192);
    char *mid = xmalloc(600 * 1024); /* mapped under the alias's 64 KiB */
    ck_assert(!is_mmapped(mid));
    arenalloc_free(mid);
    assert_perturbs(0x20);
}
END_TEST

static const char *const malformed[] = {"12abc", "", "-5", "0x", "abc", "0x1g", "1 "};

/* A malformed value ("12abc", "", "-5", ...) in any variable is ignored: every default stays and nothing crashes (arenalloc's documented rule; glibc 2.36 would read a leading number). */
START_TEST(test_env_malformed_ignored)
{
    static const char *const aliases[] = {"MALLOC_TOP_PAD_",  "MALLOC_PERTURB_",  "MALLOC_MMAP_THRESHOLD_",
                                          "MALLOC_TRIM_THRESHOLD_", "MALLOC_MMAP_MAX_", "MALLOC_ARENA_MAX",
                                          "MALLOC_ARENA_TEST", "MALLOC_CHECK_"};
    static const char *const names[] = {"top_pad", "perturb", "mmap_threshold", "trim_threshold",
                                        "mmap_max", "arena_max", "arena_test", "mxfast", "check"};
    const char *v = malformed[_i];
    assert_fresh();
    for (size_t i = 0; i < sizeof aliases / sizeof aliases[0]; i++)
        ck_assert_int_eq(setenv(aliases[i], v, 1), 0);
    char tunables[1024] = "";
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        snprintf(tunables + strlen(tunables), sizeof tunables - strlen(tunables), "%sglibc.malloc.%s=%s",
                 i == 0 ? "" : ":", names[i], v);
    ck_assert_int_eq(setenv_tunables(tunables), 0);
    start();
    assert_defaults();
    assert_no_perturb();
    ck_assert(small_frees_went_to_fastbin());
    ck_assert(threshold_rises_after_free()); /* the threshold was not fixed either */
}
END_TEST

/* Values outside glibc's ranges (perturb 256, arena_max 0, arena_test 0, mmap_max 2^31, mxfast 161, check 4) are ignored, as by glibc. */
START_TEST(test_env_out_of_range_ignored)
{
    fresh_setenv("MALLOC_PERTURB_", "256");
    ck_assert_int_eq(setenv("MALLOC_ARENA_MAX", "0", 1), 0);
    ck_assert_int_eq(setenv("MALLOC_ARENA_TEST", "0", 1), 0);
    ck_assert_int_eq(setenv("MALLOC_MMAP_MAX_", "2147483648", 1), 0);
    ck_assert_int_eq(setenv("MALLOC_CHECK_", "4", 1), 0);
    ck_assert_int_eq(setenv_tunables("glibc.malloc.mxfast=161:glibc.malloc.perturb=0x100"), 0);
    start();
    assert_defaults();
    assert_no_perturb();
    ck_assert(small_frees_went_to_fastbin());
}
END_TEST

/* GLIBC_TUNABLES items without '=' or outside glibc.malloc are skipped, and parsing goes on. */
START_TEST(test_glibc_tunables_odd_items)
{
    fresh_setenv("GLIBC_TUNABLES", "glibc.malloc.mxfast:::glibc.malloc.=5:malloc.perturb=3:glibc.cpu.x86_ibt=on:"
                                   "glibc.malloc.perturbX=9:glibc.malloc.perturb=0x41:");
    start();
    ck_assert_int_eq(perturb_byte, 0x41);
    ck_assert_uint_eq(global_max_fast, max_fast_for(DEFAULT_MXFAST));
    assert_perturbs(0x41);
}
END_TEST

Suite *tunables_suite(void)
{
    Suite *s = suite_create("tunables");

    TCase *tc = tcase_create("mallopt");

    tcase_add_checked_fixture(tc, tcache_off_env, NULL);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_mallopt_return_values);
    tcase_add_test(tc, test_mallopt_mmap_threshold_moves_boundary);
    tcase_add_test(tc, test_dynamic_threshold_by_default);
    tcase_add_loop_test(tc, test_mallopt_stops_dynamic_threshold, 0, 4);
    tcase_add_test(tc, test_mallopt_mmap_max_zero);
    tcase_add_test(tc, test_mallopt_trim_threshold);
    tcase_add_loop_test(tc, test_mallopt_top_pad, 0, 3);
    tcase_add_test(tc, test_fastbins_by_default);
    tcase_add_test(tc, test_mallopt_mxfast_zero);
    tcase_add_test(tc, test_mallopt_mxfast_small);
    tcase_add_test(tc, test_mallopt_perturb);
    suite_add_tcase(s, tc);

    tc = tcase_create("arenas");

    tcase_add_checked_fixture(tc, tcache_off_env, NULL);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_mallopt_arena_max_1_per_thread);
    tcase_add_test(tc, test_no_arena_max_per_thread);
    tcase_add_test(tc, test_mallopt_arena_max_1_contention);
    tcase_add_test(tc, test_default_arena_test_caps);
    tcase_add_test(tc, test_mallopt_arena_test);
    suite_add_tcase(s, tc);

    tc = tcase_create("environment");

    tcase_add_checked_fixture(tc, tcache_off_env, NULL);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_env_read_at_start_up);
    tcase_add_test(tc, test_env_read_once);
    tcase_add_test(tc, test_env_mmap_threshold);
    tcase_add_test(tc, test_env_heap_max_size);
    tcase_add_loop_test(tc, test_env_heap_max_size_refused, 0, 3);
    tcase_add_test(tc, test_env_mmap_threshold_hex_fixed);
    tcase_add_test(tc, test_env_trim_threshold);
    tcase_add_loop_test(tc, test_env_top_pad, 0, 2);
    tcase_add_test(tc, test_env_mmap_max);
    tcase_add_test(tc, test_env_perturb);
    tcase_add_test(tc, test_env_octal);
    tcase_add_test(tc, test_env_arena_max);
    tcase_add_test(tc, test_env_arena_test);
    tcase_add_loop_test(tc, test_env_malloc_check, 0, 4);
    tcase_add_test(tc, test_glibc_tunables);
    tcase_add_test(tc, test_glibc_tunables_tcache_count);
    tcase_add_test(tc, test_glibc_tunables_all_names);
    tcase_add_test(tc, test_glibc_tunables_beat_alias);
    tcase_add_loop_test(tc, test_env_malformed_ignored, 0, (int)(sizeof malformed / sizeof malformed[0]));
    tcase_add_test(tc, test_env_out_of_range_ignored);
    tcase_add_test(tc, test_glibc_tunables_odd_items);
    suite_add_tcase(s, tc);
    return s;
}
