/*
 * test_random.c - a long, seeded, reproducible random workout of the whole API.
 *
 * A table of slots holds live blocks.  Each operation picks a slot at random: an
 * empty slot is filled (malloc, calloc, realloc(NULL, n), memalign, posix_memalign
 * or aligned_alloc), a full one is freed or reallocated (to a new size, or to 0,
 * which frees).  Sizes are log-uniform from 0 to 1 MiB, so fast, small, large and
 * mmapped chunks all occur, and the dynamic mmap threshold moves.
 *
 * Every block is filled with a pattern derived from its identity (slot number and
 * generation) and position, and verified in full before it is freed or
 * reallocated; after realloc the preserved prefix is verified again.  calloc
 * memory must be zero; every pointer must be 16-aligned (and aligned as asked);
 * every 1000 operations the heap checker must find nothing.
 *
 * Environment:
 *   ARENALLOC_RANDOM_OPS    number of operations (default 1000000)
 *   ARENALLOC_RANDOM_SEED   seed, decimal or 0x-hex (default below); a failure
 *                           message always names the seed and the operation
 *   ARENALLOC_RANDOM_SCALE  divides the slot count (1000) and the cap on live
 *                           bytes (64 MiB) by this number (default 1); for debug
 *                           builds that check the whole heap on every call
 */
#include <check.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arenalloc.h"
#include "tests/test_helpers.h"

Suite *random_suite(void);

#define DEFAULT_OPS 1000000L
#define DEFAULT_SEED UINT64_C(0x2545f4914f6cdd1d)
#define DEFAULT_SLOTS 1000
#define DEFAULT_LIVE_CAP ((size_t)64 << 20)
#define MAX_SIZE ((size_t)1 << 20)

/* ---- seeding the PRNG (xoshiro256**, in tests/test_helpers.h) ---- */

static void rng_seed(struct rng *r, uint64_t seed)
{
    for (int i = 0; i < 4; i++)
        r->s[i] = splitmix64(&seed);
}

/* ---- the pattern: byte i of a block is byte (i % 8) of word key + (i / 8) * PATTERN_STEP ---- */

static uint64_t block_key(size_t slot, uint32_t gen)
{
    uint64_t x = ((uint64_t)slot << 32) ^ gen;
    return splitmix64(&x);
}

/* Writes the pattern into bytes [from, to) of p. */
static void fill_range(unsigned char *p, size_t from, size_t to, uint64_t key)
{
    size_t i = from;
    for (; i < to && (i & 7) != 0; i++)
        p[i] = pattern_byte(key, i);
    uint64_t w = key + (uint64_t)(i >> 3) * PATTERN_STEP;
    for (; i + 8 <= to; i += 8, w += PATTERN_STEP)
        memcpy(p + i, &w, 8);
    for (; i < to; i++)
        p[i] = pattern_byte(key, i);
}

/* ---- the workout ---- */

struct slot {
    unsigned char *p; /* NULL when empty */
    size_t size;      /* bytes asked for (and patterned) */
    uint32_t gen;     /* generation: bumped on every new allocation into this slot */
};

struct run {
    struct rng rng;
    uint64_t seed;
    long op;
    struct slot *slots;
    size_t nslots;
    size_t live, live_cap;
    uint32_t next_gen;
};

#define FAIL(run, ...)                                                                                        \
    do {                                                                                                      \
        char what_[256];                                                                                      \
        snprintf(what_, sizeof what_, __VA_ARGS__);                                                           \
        fprintf(stderr, "test_random: seed=%#" PRIx64 " op=%ld: %s\n", (run)->seed, (run)->op, what_);       \
        ck_abort_msg("seed=%#" PRIx64 " op=%ld: %s (rerun with ARENALLOC_RANDOM_SEED=%#" PRIx64 ")",          \
                     (run)->seed, (run)->op, what_, (run)->seed);                                             \
    } while (0)

static size_t env_size(const char *name, size_t dflt)
{
    const char *v = getenv(name);
    if (v == NULL || *v == '\0')
        return dflt;
    char *end;
    unsigned long long x = strtoull(v, &end, 0);
    return *end == '\0' ? (size_t)x : dflt;
}

/* Log-uniform in [0, 1 MiB]: a uniform number of bits, then a uniform value of that many bits. */
static size_t random_size(struct run *r)
{
    unsigned bits = (unsigned)rng_below(&r->rng, 21);
    size_t n = (size_t)(rng_next(&r->rng) & ((UINT64_C(1) << bits) - 1));
    if (bits == 20 && rng_below(&r->rng, 64) == 0)
        n = MAX_SIZE;
    /* Keep the live set bounded: once at the cap, new blocks are small. */
    if (r->live + n > r->live_cap)
        n &= 0xfff;
    return n;
}

/* 16 .. 64 KiB, now and then up to 1 MiB. */
static size_t random_alignment(struct run *r)
{
    unsigned k = 4 + (unsigned)rng_below(&r->rng, 13);
    if (rng_below(&r->rng, 64) == 0)
        k = 17 + (unsigned)rng_below(&r->rng, 4);
    return (size_t)1 << k;
}

static void check_pointer(struct run *r, const unsigned char *p, size_t n, size_t align, const char *how)
{
    if (p == NULL)
        FAIL(r, "%s(%zu) returned NULL", how, n);
    if (((uintptr_t)p & 15) != 0)
        FAIL(r, "%s(%zu) returned %p, not 16-aligned", how, n, (const void *)p);
    if (align != 0 && ((uintptr_t)p & (align - 1)) != 0)
        FAIL(r, "%s(alignment %zu, %zu) returned %p", how, align, n, (const void *)p);
    size_t usable = arenalloc_malloc_usable_size((void *)p);
    if (usable < n)
        FAIL(r, "%s(%zu): usable size %zu", how, n, usable);
}

static void verify_slot(struct run *r, size_t i, const char *before)
{
    struct slot *s = &r->slots[i];
    size_t at = check_pattern(s->p, s->size, block_key(i, s->gen));
    if (at != s->size)
        FAIL(r, "before %s: slot %zu (%p, %zu bytes, gen %" PRIu32 ") corrupted at byte %zu", before, i,
             (void *)s->p, s->size, s->gen, at);
}

static void op_allocate(struct run *r, size_t i)
{
    struct slot *s = &r->slots[i];
    size_t n = random_size(r);
    size_t align = 0;
    unsigned char *p = NULL;
    const char *how;
    int zeroed = 0;
    switch (rng_below(&r->rng, 10)) {
    case 0: case 1: case 2: case 3:
        how = "malloc";
        p = arenalloc_malloc(n);
        break;
    case 4: case 5: {
        how = "calloc";
        size_t elem = (size_t)1 << rng_below(&r->rng, 4); /* calloc(n / elem, elem) */
        n -= n % elem;
        p = arenalloc_calloc(n / elem, elem);
        zeroed = 1;
        break;
    }
    case 6:
        how = "realloc(NULL)";
        p = arenalloc_realloc(NULL, n);
        break;
    case 7:
        how = "memalign";
        align = random_alignment(r);
        p = arenalloc_memalign(align, n);
        break;
    case 8: {
        how = "posix_memalign";
        align = random_alignment(r);
        void *q = NULL;
        int rc = arenalloc_posix_memalign(&q, align, n);
        if (rc != 0)
            FAIL(r, "posix_memalign(%zu, %zu) = %d", align, n, rc);
        p = q;
        break;
    }
    default:
        how = "aligned_alloc";
        align = random_alignment(r);
        p = arenalloc_aligned_alloc(align, n);
        break;
    }
    check_pointer(r, p, n, align, how);
    if (zeroed) {
        size_t at = first_nonzero(p, n);
        if (at != n)
            FAIL(r, "calloc(%zu) byte %zu not zero", n, at);
    }
    s->p = p;
    s->size = n;
    s->gen = r->next_gen++;
    fill_range(p, 0, n, block_key(i, s->gen));
    r->live += n;
}

static void op_free(struct run *r, size_t i)
{
    struct slot *s = &r->slots[i];
    verify_slot(r, i, "free");
    arenalloc_free(s->p);
    r->live -= s->size;
    s->p = NULL;
    s->size = 0;
}

static void op_realloc(struct run *r, size_t i)
{
    struct slot *s = &r->slots[i];
    verify_slot(r, i, "realloc");
    size_t n = rng_below(&r->rng, 50) == 0 ? 0 : random_size(r);
    unsigned char *p = arenalloc_realloc(s->p, n);
    if (n == 0) { /* glibc: realloc(p, 0) frees p and returns NULL */
        if (p != NULL)
            FAIL(r, "realloc(%p, 0) returned %p, not NULL", (void *)s->p, (void *)p);
        r->live -= s->size;
        s->p = NULL;
        s->size = 0;
        return;
    }
    check_pointer(r, p, n, 0, "realloc");
    size_t keep = s->size < n ? s->size : n;
    uint64_t key = block_key(i, s->gen);
    size_t at = check_pattern(p, keep, key);
    if (at != keep)
        FAIL(r, "realloc(%zu -> %zu) of slot %zu: byte %zu of the preserved %zu lost", s->size, n, i, at, keep);
    if (n > s->size)
        fill_range(p, s->size, n, key); /* the pattern is positional: just extend it */
    r->live = r->live - s->size + n;
    s->p = p;
    s->size = n;
}

static void check_heap(struct run *r)
{
    const char *why = arenalloc_check_heap();
    if (why != NULL)
        FAIL(r, "arenalloc_check_heap: %s", why);
}

/* The randomized workout: at least a million reproducible operations, every byte checked. */
START_TEST(test_random_operations)
{
    struct run r;
    memset(&r, 0, sizeof r);
    long ops = (long)env_size("ARENALLOC_RANDOM_OPS", (size_t)DEFAULT_OPS);
    size_t scale = env_size("ARENALLOC_RANDOM_SCALE", 1);
    if (scale == 0)
        scale = 1;
    r.seed = (uint64_t)env_size("ARENALLOC_RANDOM_SEED", (size_t)DEFAULT_SEED);
    r.nslots = DEFAULT_SLOTS / scale > 0 ? DEFAULT_SLOTS / scale : 1;
    r.live_cap = DEFAULT_LIVE_CAP / scale;
    r.slots = calloc(r.nslots, sizeof r.slots[0]); /* the test's own bookkeeping: the system allocator */
    ck_assert_ptr_nonnull(r.slots);
    rng_seed(&r.rng, r.seed);

    for (r.op = 0; r.op < ops; r.op++) {
        size_t i = (size_t)rng_below(&r.rng, r.nslots);
        if (r.slots[i].p == NULL)
            op_allocate(&r, i);
        else if (rng_below(&r.rng, 10) < 6)
            op_free(&r, i);
        else
            op_realloc(&r, i);
        if (r.op % 1000 == 999)
            check_heap(&r);
    }
    for (size_t i = 0; i < r.nslots; i++)
        if (r.slots[i].p != NULL)
            op_free(&r, i);
    check_heap(&r);
    ck_assert_uint_eq(r.live, 0);
    free(r.slots);
}
END_TEST

Suite *random_suite(void)
{
    Suite *s = suite_create("random");
    TCase *tc = tcase_create("workout");
    tcase_set_timeout(tc, 1200);
    tcase_add_test(tc, test_random_operations);
    suite_add_tcase(s, tc);
    return s;
}
