/*
 * test_helpers.h - small helpers shared by the Check suites tests/test_*.c.
 *
 * Self-contained: it needs only the public "arenalloc.h", and reads chunk headers
 * with memcpy (x86-64: a chunk's size word sits 8 bytes before the pointer malloc
 * returns, its prev_size 16 bytes before).  The few helpers that look into the
 * arena itself are compiled only when a suite defines TEST_HELPERS_ARENA before
 * including this file; only then does it include "arena/arena.h".
 */
#ifndef ARENALLOC_TESTS_TEST_HELPERS_H
#define ARENALLOC_TESTS_TEST_HELPERS_H

#include <check.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "arenalloc.h"

/* Flag bits of the size word, spelt exactly as in bins/chunk.h so either may come first. */
#ifndef PREV_INUSE
#define PREV_INUSE     0x1
#define IS_MMAPPED     0x2
#define NON_MAIN_ARENA 0x4
#define SIZE_BITS      (PREV_INUSE | IS_MMAPPED | NON_MAIN_ARENA)
#endif

/* ---- chunk headers, read through the user pointer ----------------------------------- */

/* The size word of the chunk holding p (flags included). */
static inline size_t size_word(const void *p)
{
    size_t w;
    memcpy(&w, (const char *)p - sizeof w, sizeof w);
    return w;
}

/* The prev_size field of the chunk holding p: valid only while the chunk before it is free. */
static inline size_t prev_size_word(const void *p)
{
    size_t w;
    memcpy(&w, (const char *)p - 2 * sizeof w, sizeof w);
    return w;
}

/* The size of the chunk holding p, flags masked off. */
static inline size_t chunk_size(const void *p) { return size_word(p) & ~(size_t)SIZE_BITS; }

/* Bit 1 of the size word just below the pointer: the chunk has its own mapping. */
static inline int is_mmapped(const void *p) { return (size_word(p) & IS_MMAPPED) != 0; }

/* ---- pointers and allocation ----------------------------------------------------------- */

/* A pointer as a number, to record addresses and compare them later. */
static inline uintptr_t addr(const void *p) { return (uintptr_t)p; }

/* Whether p is a multiple of a (a power of two). */
static inline int is_aligned(const void *p, size_t a) { return ((uintptr_t)p & (a - 1)) == 0; }

/* Impossible sizes pass through a volatile, so the compiler neither warns about them nor assumes anything of the call. */
static inline size_t opaque(size_t x)
{
    volatile size_t v = x;
    return v;
}

/* malloc that fails the test instead of returning NULL. */
static inline void *xmalloc(size_t n)
{
    void *p = arenalloc_malloc(n);
    if (p == NULL)
        ck_abort_msg("malloc(%zu) failed", n);
    return p;
}

/* A scenario starts here: a large request consolidates the fastbins and sorts the
   unsorted bin, so no chunk freed earlier by anyone lies in a fastbin or the
   unsorted bin where it could take part. */
static inline void settle(void)
{
    void *p = arenalloc_malloc(0x10000);
    ck_assert_ptr_nonnull(p);
    arenalloc_free(p);
}

/* ---- the per-thread cache ----------------------------------------------------------- */

/* The suites about the arena's own bins run with the per-thread cache off, so
   that every free reaches the bins, as in glibc with glibc.malloc.tcache_count=0
   (tests/test_tcache.c is about the cache).  A checked fixture: it runs in the
   test's own process. */
static inline void tcache_off(void)
{
    ck_assert_int_eq(arenalloc_set_tcache_count(0), 1);
}

/* The same for suites whose tests read the environment at start-up (the
   allocator must not have run yet): the setting goes in GLIBC_TUNABLES. */
#define TCACHE_OFF_TUNABLE "glibc.malloc.tcache_count=0"
static inline void tcache_off_env(void)
{
    ck_assert_int_eq(setenv("GLIBC_TUNABLES", TCACHE_OFF_TUNABLE, 1), 0);
}

/* ---- byte checks ------------------------------------------------------------------------- */

/* Offset of the first non-zero byte in [p, p + n), or n if there is none. */
static inline size_t first_nonzero(const void *p, size_t n)
{
    const unsigned char *b = p;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t v;
        memcpy(&v, b + i, 8);
        if (v != 0)
            break;
    }
    for (; i < n; i++)
        if (b[i] != 0)
            return i;
    return n;
}

/* The offset of the first byte of p[from, to) that is not b, or -1. */
static inline long first_not(const void *p, size_t from, size_t to, unsigned char b)
{
    const unsigned char *c = p;
    for (size_t i = from; i < to; i++)
        if (c[i] != b)
            return (long)i;
    return -1;
}

/* Asserts that bytes [from, to) of p all equal b, naming the first that does not. */
#define ck_assert_bytes(p, from, to, b)                                                                     \
    do {                                                                                                   \
        long at_ = first_not((p), (from), (to), (unsigned char)(b));                                       \
        ck_assert_msg(at_ < 0, "byte %ld of %s is 0x%02x, expected 0x%02x", at_, #p,                       \
                      at_ < 0 ? 0u : (unsigned)((const unsigned char *)(p))[at_], (unsigned)(unsigned char)(b)); \
    } while (0)

/* ---- a small PRNG (xoshiro256**), so runs repeat on every libc ------------------------------ */

/* The generator's state. */
struct rng {
    uint64_t s[4];
};

/* x rotated left by k bits. */
static inline uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

/* splitmix64: the next value of the sequence *x, used for seeding and hashing. */
static inline uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += UINT64_C(0x9e3779b97f4a7c15));
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

/* The next 64 random bits of r. */
static inline uint64_t rng_next(struct rng *r)
{
    uint64_t *s = r->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

/* A random number in [0, n). */
static inline uint64_t rng_below(struct rng *r, uint64_t n) { return rng_next(r) % n; }

/* ---- a block's check pattern: 8-byte word j of a block is key + j * PATTERN_STEP -------------- */

/* The step between consecutive pattern words. */
#define PATTERN_STEP UINT64_C(0x9e3779b97f4a7c15)

/* Byte i of the pattern for key (little-endian byte order, as memcpy of the word would give). */
static inline unsigned char pattern_byte(uint64_t key, size_t i)
{
    uint64_t w = key + (uint64_t)(i >> 3) * PATTERN_STEP;
    return (unsigned char)(w >> (8 * (i & 7)));
}

/* Offset of the first byte of [0, n) that breaks the pattern, or n. */
static inline size_t check_pattern(const unsigned char *p, size_t n, uint64_t key)
{
    size_t i = 0;
    uint64_t w = key;
    for (; i + 8 <= n; i += 8, w += PATTERN_STEP) {
        uint64_t v;
        memcpy(&v, p + i, 8);
        if (v != w)
            break;
    }
    for (; i < n; i++)
        if (p[i] != pattern_byte(key, i))
            return i;
    return n;
}

/* ---- helpers that look into the arena (define TEST_HELPERS_ARENA first) ------------------- */

#ifdef TEST_HELPERS_ARENA
#include "arena/heap.h"
#include "inspect/heap_region.h"
#include "bins/fastbins.h"

/* The size of the chunk holding mem, through the library's own accessors. */
static inline size_t csize(const void *mem) { return chunksize(mem2chunk((void *)mem)); }

/* The size of main_arena's top chunk. */
static inline size_t top_size(void) { return chunksize(main_arena.top); }

/* Makes sure the chunk after p is in use, so that freeing p merges with nothing
   after it: allocates small guards (never freed) until one lands there. */
static inline void guard_after(void *p)
{
    mchunkptr next = next_chunk(mem2chunk(p));
    for (int i = 0; i < 10000 && (next == main_arena.top || !inuse(next)); i++)
        xmalloc(16);
    ck_assert_msg(next != main_arena.top && inuse(next), "no guard after %p", p);
}

/* The arena after a in the ring, read as other threads publish it. */
static inline mstate ring_next(mstate a) { return __atomic_load_n(&a->next, __ATOMIC_ACQUIRE); }

/* Arenas in the ring, main_arena included. */
static inline size_t arena_count(void)
{
    size_t n = 0;
    mstate a = &main_arena;
    do {
        n++;
        a = ring_next(a);
    } while (a != &main_arena);
    return n;
}
/* Bytes of arena av in no bin and not top: blocks in use, plus the arena's own
   headers (heap_info, malloc_state, fenceposts).  Takes av's lock. */
static inline size_t arena_bytes_in_use(mstate av)
{
    os_lock(&av->mutex);
    size_t free_bytes = chunksize(av->top);
    for (unsigned i = 0; i < NFASTBINS; i++)
        for (mchunkptr c = av->fastbinsY[i]; c != NULL; c = reveal_ptr(&c->fd))
            free_bytes += chunksize(c);
    for (unsigned b = 1; b < NBINS; b++) {
        mbinptr bin = bin_at(av, b);
        for (mchunkptr c = bin->fd; c != bin; c = c->fd)
            free_bytes += chunksize(c);
    }
    size_t r = av->system_mem - free_bytes;
    os_unlock(&av->mutex);
    return r;
}

/* The regions of arena av's memory: main_arena's segments, or a thread arena's
   heaps.  With the arena's lock held, or with no thread left that could use it. */
static inline int arena_region_count(mstate av)
{
    static struct heap_region regions[MAX_ARENA_REGIONS];
    return arena_regions(av, regions, MAX_ARENA_REGIONS);
}
#endif /* TEST_HELPERS_ARENA */

#endif /* ARENALLOC_TESTS_TEST_HELPERS_H */
