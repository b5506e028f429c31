/*
 * test_stomp.c - the stomp mode (stomp/stomp.c): every block against a guard page.
 *
 * White-box: the stomp_* functions are called directly and stomp_mode is set by
 * hand, so these tests do not depend on how the public entry points use them.
 * What must hold:
 *   - overflow mode: the block ends exactly at the guard (up to the pointer's
 *     alignment), malloc_usable_size is that distance, and one byte more faults;
 *   - underflow mode: the guard is just before the block, p[-1] faults;
 *   - a freed block faults when read;
 *   - alignments are honoured, realloc keeps the contents;
 *   - the quarantine is bounded, so allocating in a loop does not run out of
 *     address space;
 *   - pointers that are not stomp blocks are refused, and a double free aborts.
 * The faulting accesses run in a child process (tests/expect_abort.h), so they
 * work with CK_FORK=no too.  Every test sets the mode it needs.
 */
#include <check.h>
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "stomp/stomp.h"
#include "include/arenalloc.h"
#include "tests/expect_abort.h"
#include "tests/test_helpers.h"

Suite *stomp_suite(void);

static size_t page_size(void) { return (size_t)sysconf(_SC_PAGESIZE); }

static size_t round_up(size_t n, size_t multiple) { return (n + multiple - 1) / multiple * multiple; }

static size_t usable_size(void *p)
{
    size_t size = 0;
    ck_assert_msg(stomp_usable_size(p, &size), "%p is not known as a stomp block", p);
    return size;
}

static void *xstomp_malloc(size_t bytes, size_t alignment)
{
    void *p = stomp_malloc(bytes, alignment);
    ck_assert_msg(p != NULL, "stomp_malloc(%zu, %zu) failed", bytes, alignment);
    return p;
}

/* A child that dies on purpose need not leave a core file behind. */
static void no_core_dump(void)
{
    struct rlimit none = {0, 0};
    setrlimit(RLIMIT_CORE, &none);
}

static void assert_segfaults(void (*fn)(void), const char *what)
{
    struct death d = run_in_child(fn);
    ck_assert_msg(d.signal == SIGSEGV, "%s: expected SIGSEGV, the child ended with signal %d", what,
                  d.signal);
}

static void assert_survives(void (*fn)(void), const char *what)
{
    struct death d = run_in_child(fn);
    ck_assert_msg(d.signal == 0, "%s: the child died of signal %d (%s)", what, d.signal, d.stderr);
}

/* ---- overflow mode ------------------------------------------------------------- */

static const size_t sizes[] = {1, 13, 16, 24, 100, 4095, 4096, 4097, 10000, 65536};
#define NSIZES (sizeof sizes / sizeof sizes[0])

/* The block is the request rounded up to 16, it ends at a page boundary (where
   the guard starts), and every usable byte is writable and starts zero. */
START_TEST(test_overflow_usable_size_is_exact)
{
    stomp_mode = STOMP_OVERFLOW;
    for (size_t i = 0; i < NSIZES; i++) {
        unsigned char *p = xstomp_malloc(sizes[i], 0);
        size_t usable = usable_size(p);
        ck_assert(is_aligned(p, 16));
        ck_assert_uint_eq(usable, round_up(sizes[i], 16));
        ck_assert(is_aligned(p + usable, page_size()));
        for (size_t j = 0; j < usable; j++)
            ck_assert_uint_eq(p[j], 0);
        memset(p, 0x5a, usable);
        ck_assert(stomp_free(p));
    }
}
END_TEST

static void write_one_past_32(void)
{
    no_core_dump();
    stomp_mode = STOMP_OVERFLOW;
    volatile char *p = stomp_malloc(32, 0);
    p[31] = 1; /* the last byte is fine */
    p[32] = 1; /* the first byte of the guard page */
}

/* malloc(24) gets 32 usable bytes (16-byte alignment); the 33rd is the guard. */
static void write_one_past_usable_of_24(void)
{
    no_core_dump();
    stomp_mode = STOMP_OVERFLOW;
    volatile char *p = stomp_malloc(24, 0);
    size_t usable = 0;
    stomp_usable_size((void *)p, &usable);
    p[usable - 1] = 1;
    p[usable] = 1;
}

static void write_one_past_aligned(void)
{
    no_core_dump();
    stomp_mode = STOMP_OVERFLOW;
    volatile char *p = stomp_malloc(100, 64); /* 128 usable */
    p[127] = 1;
    p[128] = 1;
}

START_TEST(test_overflow_one_byte_faults)
{
    assert_segfaults(write_one_past_32, "p[32] of a 32-byte block");
    assert_segfaults(write_one_past_usable_of_24, "p[usable] of a 24-byte block");
    assert_segfaults(write_one_past_aligned, "p[128] of memalign(64, 100)");
}
END_TEST

static void read_after_free(void)
{
    no_core_dump();
    stomp_mode = STOMP_OVERFLOW;
    volatile char *p = stomp_malloc(100, 0);
    p[0] = 42;
    stomp_free((void *)p);
    char c = p[0];
    (void)c;
}

static void write_after_free_underflow(void)
{
    no_core_dump();
    stomp_mode = STOMP_UNDERFLOW;
    volatile char *p = stomp_malloc(100, 0);
    stomp_free((void *)p);
    p[50] = 1;
}

/* A control for the two above: the same accesses before free do not fault. */
static void use_before_free(void)
{
    stomp_mode = STOMP_OVERFLOW;
    volatile char *p = stomp_malloc(100, 0);
    p[0] = 42;
    if (p[0] != 42)
        abort();
    stomp_free((void *)p);
}

START_TEST(test_use_after_free_faults)
{
    assert_survives(use_before_free, "use before free");
    assert_segfaults(read_after_free, "read after free");
    assert_segfaults(write_after_free_underflow, "write after free (underflow mode)");
}
END_TEST

/* ---- underflow mode ------------------------------------------------------------ */

/* The block starts on a page, and its usable size is its whole pages. */
START_TEST(test_underflow_layout)
{
    stomp_mode = STOMP_UNDERFLOW;
    for (size_t i = 0; i < NSIZES; i++) {
        unsigned char *p = xstomp_malloc(sizes[i], 0);
        size_t usable = usable_size(p);
        ck_assert(is_aligned(p, page_size()));
        ck_assert_uint_eq(usable, round_up(sizes[i], page_size()));
        memset(p, 0x5a, usable);
        ck_assert(stomp_free(p));
    }
}
END_TEST

static void write_before_block(void)
{
    no_core_dump();
    stomp_mode = STOMP_UNDERFLOW;
    volatile char *p = stomp_malloc(40, 0);
    p[0] = 1;
    p[-1] = 1;
}

START_TEST(test_underflow_one_byte_faults)
{
    assert_segfaults(write_before_block, "p[-1] in underflow mode");
}
END_TEST

/* ---- both modes ---------------------------------------------------------------- */

static const enum stomp_mode modes[] = {STOMP_OVERFLOW, STOMP_UNDERFLOW};

START_TEST(test_alignment_is_honoured)
{
    static const size_t alignments[] = {0, 16, 32, 64, 256, 4096, 8192, 65536, 2 << 20};
    static const size_t asked[] = {1, 100, 5000};
    stomp_mode = modes[_i];
    for (size_t a = 0; a < sizeof alignments / sizeof alignments[0]; a++)
        for (size_t s = 0; s < sizeof asked / sizeof asked[0]; s++) {
            size_t alignment = alignments[a] == 0 ? 16 : alignments[a];
            char *p = xstomp_malloc(asked[s], alignments[a]);
            size_t usable = usable_size(p);
            ck_assert_msg(is_aligned(p, alignment), "%p not aligned to %zu", (void *)p, alignment);
            ck_assert_uint_ge(usable, asked[s]);
            if (stomp_mode == STOMP_OVERFLOW) /* and still right against the guard */
                ck_assert_uint_eq(usable, round_up(asked[s], alignment));
            memset(p, 0x77, usable);
            ck_assert(stomp_free(p));
        }
}
END_TEST

static void fill(unsigned char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (unsigned char)(i * 7 + 3);
}

static void assert_filled(const unsigned char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        ck_assert_msg(p[i] == (unsigned char)(i * 7 + 3), "byte %zu lost", i);
}

START_TEST(test_realloc_keeps_contents)
{
    stomp_mode = modes[_i];
    unsigned char *p = xstomp_malloc(100, 0);
    fill(p, 100);

    unsigned char *grown = stomp_realloc(p, 10000);
    ck_assert_ptr_nonnull(grown);
    ck_assert_ptr_ne(grown, p);
    assert_filled(grown, 100);
    fill(grown, 10000);
    ck_assert_uint_eq(usable_size(p), 0); /* the old block is freed, still known */

    unsigned char *shrunk = stomp_realloc(grown, 10);
    ck_assert_ptr_nonnull(shrunk);
    assert_filled(shrunk, 10);
    if (stomp_mode == STOMP_OVERFLOW)
        ck_assert_uint_eq(usable_size(shrunk), 16);

    errno = 0;
    ck_assert_ptr_null(stomp_realloc(shrunk, 0)); /* glibc: frees it */
    ck_assert_uint_eq(usable_size(shrunk), 0);
}
END_TEST

static void *zero_block;

static void read_zero_block(void)
{
    no_core_dump();
    char c = *(volatile char *)zero_block;
    (void)c;
}

/* malloc(0): a unique pointer, 0 usable bytes, touching the guard. */
START_TEST(test_malloc_zero)
{
    stomp_mode = modes[_i];
    void *a = xstomp_malloc(0, 0), *b = xstomp_malloc(0, 0);
    ck_assert_ptr_ne(a, b);
    ck_assert_uint_eq(usable_size(a), 0);
    zero_block = a;
    assert_segfaults(read_zero_block, "reading a 0-byte block");
    ck_assert(stomp_free(a));
    ck_assert(stomp_free(b));
}
END_TEST

START_TEST(test_out_of_memory_is_enomem)
{
    stomp_mode = modes[_i];
    errno = 0;
    ck_assert_ptr_null(stomp_malloc(SIZE_MAX, 0));
    ck_assert_int_eq(errno, ENOMEM);
    errno = 0;
    ck_assert_ptr_null(stomp_malloc(SIZE_MAX / 2 - 4096, 0));
    ck_assert_int_eq(errno, ENOMEM);
    errno = 0; /* small enough to plan, too large for any address space */
    ck_assert_ptr_null(stomp_malloc((size_t)1 << 60, 0));
    ck_assert_int_eq(errno, ENOMEM);
}
END_TEST

START_TEST(test_free_keeps_errno)
{
    stomp_mode = modes[_i];
    void *p = xstomp_malloc(100, 0);
    errno = 1234;
    ck_assert(stomp_free(p));
    ck_assert_int_eq(errno, 1234);
}
END_TEST

/* ---- the registry and the quarantine ------------------------------------------ */

/* Pointers that are not stomp blocks are refused, before and after stomp blocks
   exist, and whatever the mode: the caller then frees them normally. */
START_TEST(test_foreign_pointers_refused)
{
    static char static_buffer[64];
    char on_stack[64];
    size_t size = 99;
    stomp_mode = STOMP_OFF;
    void *ordinary = arenalloc_malloc(100);
    void *from_libc = malloc(100);

    void *foreign[] = {static_buffer, on_stack, ordinary, from_libc, NULL};
    for (int round = 0; round < 2; round++) {
        for (size_t i = 0; i < sizeof foreign / sizeof foreign[0]; i++) {
            ck_assert(!stomp_free(foreign[i]));
            ck_assert(!stomp_usable_size(foreign[i], &size));
            ck_assert_uint_eq(size, 99);
        }
        stomp_mode = STOMP_OVERFLOW; /* round 2: with a live stomp block around */
        xstomp_malloc(100, 0);
    }

    char *block = xstomp_malloc(100, 0);
    ck_assert(!stomp_free(block + 16)); /* inside a block is not a block */
    stomp_mode = STOMP_OFF;
    ck_assert(stomp_free(block)); /* a block outlives a switch of the mode */
    arenalloc_free(ordinary);
    free(from_libc);
}
END_TEST

/* Through the public entry points: arenalloc_set_stomp switches the road of
   malloc and calloc at once, both ways, and a stomp block made before the
   switch back is still freed as one (free keeps asking while any exists). */
START_TEST(test_public_calls_follow_the_switch)
{
    size_t size;
    char *before = arenalloc_malloc(100);
    ck_assert(!stomp_usable_size(before, &size));

    ck_assert_int_eq(arenalloc_set_stomp(ARENALLOC_STOMP_OVERFLOW), 0);
    char *block = arenalloc_malloc(100);
    ck_assert_uint_eq(usable_size(block), 112);
    char *zeroed = arenalloc_calloc(3, 10);
    ck_assert_uint_eq(usable_size(zeroed), 32);
    arenalloc_free(zeroed);
    ck_assert_int_eq(arenalloc_set_stomp(ARENALLOC_STOMP_OFF), 0);
    char *after = arenalloc_malloc(100);
    ck_assert(!stomp_usable_size(after, &size));

    struct stomp_stats live, freed;
    stomp_get_stats(&live);
    arenalloc_free(block);
    stomp_get_stats(&freed);
    ck_assert_uint_eq(freed.live_blocks, live.live_blocks - 1);
    arenalloc_free(before);
    arenalloc_free(after);

    ck_assert_int_eq(arenalloc_set_stomp(7), EINVAL);
    ck_assert(!stomp_active());
}
END_TEST

/* Thousands of live blocks at once: the table grows, and removing entries from
   the middle of probe runs keeps every other entry findable. */
START_TEST(test_many_live_blocks)
{
    enum { N = 3000 };
    static char *blocks[N];
    for (size_t i = 0; i < N; i++) {
        stomp_mode = modes[i % 2];
        blocks[i] = xstomp_malloc(i % 200, 0);
        if (i % 200 >= sizeof(size_t))
            memcpy(blocks[i], &i, sizeof i);
    }
    /* Free every third, then check that all the others are intact and known. */
    for (size_t i = 0; i < N; i += 3)
        ck_assert(stomp_free(blocks[i]));
    for (size_t i = 0; i < N; i++) {
        if (i % 3 == 0)
            continue;
        size_t stored;
        ck_assert_uint_ge(usable_size(blocks[i]), i % 200);
        if (i % 200 >= sizeof(size_t)) {
            memcpy(&stored, blocks[i], sizeof stored);
            ck_assert_uint_eq(stored, i);
        }
        ck_assert(stomp_free(blocks[i]));
    }
}
END_TEST

/* The current size of the address space, from /proc (Linux). */
static size_t address_space_bytes(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    unsigned long pages = 0;
    if (f == NULL || fscanf(f, "%lu", &pages) != 1)
        abort();
    fclose(f);
    return pages * page_size();
}

/* The quarantine keeps at most 1024 blocks and 64 MiB reserved, and the blocks it
   pushes out are released: the address space stops growing. */
START_TEST(test_quarantine_is_bounded)
{
    struct stomp_stats before, after;
    stomp_mode = modes[_i];
    stomp_get_stats(&before);
    size_t space_before = address_space_bytes();
    /* Two pages each, block and guard: 40 MiB if none were released, 8 MiB for
       the 1024 the quarantine keeps. */
    for (int i = 0; i < 5000; i++)
        ck_assert(stomp_free(xstomp_malloc(100, 0)));
    stomp_get_stats(&after);
    ck_assert_uint_eq(after.live_blocks, before.live_blocks);
    ck_assert_uint_eq(after.quarantined_blocks, 1024);
    ck_assert_uint_le(address_space_bytes(), space_before + ((size_t)16 << 20));

    for (int i = 0; i < 200; i++)
        ck_assert(stomp_free(xstomp_malloc(1 << 20, 0)));
    stomp_get_stats(&after);
    ck_assert_uint_le(after.quarantined_bytes, (size_t)64 << 20);
    ck_assert_uint_lt(after.quarantined_blocks, 64); /* the bytes bound came first */
}
END_TEST

/* 5000 blocks of 256 KiB, 1.25 GiB in all, allocated, touched and freed under a
   limit of 256 MiB more address space: only the quarantine's releases let it
   finish.  (Touching every page too would only make it slow: the limit is on
   address space, which is what a quarantine that never released would use up.) */
static void allocate_in_a_loop_under_a_limit(void)
{
    no_core_dump();
    struct rlimit limit;
    limit.rlim_cur = limit.rlim_max = address_space_bytes() + ((size_t)256 << 20);
    if (setrlimit(RLIMIT_AS, &limit) != 0)
        abort();
    for (int i = 0; i < 5000; i++) {
        char *p = stomp_malloc((size_t)256 << 10, 0);
        if (p == NULL) {
            fputs("stomp_malloc failed: address space exhausted\n", stderr);
            abort();
        }
        p[0] = p[((size_t)256 << 10) - 1] = 1; /* commit the first and the last page */
        stomp_free(p);
    }
}

START_TEST(test_loop_does_not_exhaust_memory)
{
    stomp_mode = modes[_i];
    assert_survives(allocate_in_a_loop_under_a_limit, "5000 x 256 KiB under RLIMIT_AS");
}
END_TEST

static void free_twice(void)
{
    stomp_mode = STOMP_OVERFLOW;
    void *p = stomp_malloc(100, 0);
    stomp_free(p);
    stomp_free(p);
}

static void realloc_freed(void)
{
    stomp_mode = STOMP_UNDERFLOW;
    void *p = stomp_malloc(100, 0);
    stomp_free(p);
    stomp_realloc(p, 200);
}

START_TEST(test_double_free_aborts)
{
    ck_assert_aborts_with(free_twice, "free(): invalid pointer");
    ck_assert_aborts_with(realloc_freed, "realloc(): invalid pointer");
}
END_TEST

/* ---- threads and the environment ----------------------------------------------- */

static void *churn(void *arg)
{
    uintptr_t id = (uintptr_t)arg;
    char *kept[16] = {0};
    for (size_t i = 0; i < 2000; i++) {
        size_t slot = i % 16;
        if (kept[slot] != NULL) {
            if ((uintptr_t)kept[slot][0] != ((id + slot) & 0x7f) || !stomp_free(kept[slot]))
                return (void *)1;
        }
        kept[slot] = stomp_malloc(i % 300 + 1, i % 3 == 0 ? 64 : 0);
        if (kept[slot] == NULL)
            return (void *)1;
        kept[slot][0] = (char)((id + slot) & 0x7f);
    }
    for (size_t slot = 0; slot < 16; slot++)
        stomp_free(kept[slot]);
    return NULL;
}

START_TEST(test_threads_share_the_registry)
{
    enum { NTHREADS = 4 };
    pthread_t threads[NTHREADS];
    struct stomp_stats before, after;
    stomp_mode = modes[_i];
    stomp_get_stats(&before);
    for (uintptr_t t = 0; t < NTHREADS; t++)
        ck_assert_int_eq(pthread_create(&threads[t], NULL, churn, (void *)t), 0);
    for (int t = 0; t < NTHREADS; t++) {
        void *result;
        pthread_join(threads[t], &result);
        ck_assert_ptr_null(result);
    }
    stomp_get_stats(&after);
    ck_assert_uint_eq(after.live_blocks, before.live_blocks);
}
END_TEST

START_TEST(test_environment_sets_the_mode)
{
    static const struct {
        const char *value;
        enum stomp_mode mode;
    } cases[] = {
        {"1", STOMP_OVERFLOW},   {"underflow", STOMP_UNDERFLOW}, {"0", STOMP_OFF},
        {"overflow", STOMP_OVERFLOW}, {"bogus", STOMP_OVERFLOW},   {"off", STOMP_OFF},
    };
    stomp_mode = STOMP_OFF;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        setenv("ARENALLOC_STOMP", cases[i].value, 1);
        stomp_read_env();
        ck_assert_msg(stomp_mode == cases[i].mode, "ARENALLOC_STOMP=%s", cases[i].value);
    }
    unsetenv("ARENALLOC_STOMP");
    stomp_read_env();
    ck_assert(stomp_mode == STOMP_OFF && !stomp_active());
}
END_TEST

Suite *stomp_suite(void)
{
    Suite *s = suite_create("stomp");

    TCase *guards = tcase_create("guards");
    tcase_add_test(guards, test_overflow_usable_size_is_exact);
    tcase_add_test(guards, test_overflow_one_byte_faults);
    tcase_add_test(guards, test_use_after_free_faults);
    tcase_add_test(guards, test_underflow_layout);
    tcase_add_test(guards, test_underflow_one_byte_faults);
    suite_add_tcase(s, guards);

    /* The loop tests are run once per mode: _i indexes modes[]. */
    TCase *api = tcase_create("api");
    tcase_set_timeout(api, 60);
    tcase_add_loop_test(api, test_alignment_is_honoured, 0, 2);
    tcase_add_loop_test(api, test_realloc_keeps_contents, 0, 2);
    tcase_add_loop_test(api, test_malloc_zero, 0, 2);
    tcase_add_loop_test(api, test_out_of_memory_is_enomem, 0, 2);
    tcase_add_loop_test(api, test_free_keeps_errno, 0, 2);
    tcase_add_test(api, test_foreign_pointers_refused);
    tcase_add_test(api, test_public_calls_follow_the_switch);
    tcase_add_test(api, test_double_free_aborts);
    tcase_add_test(api, test_environment_sets_the_mode);
    suite_add_tcase(s, api);

    TCase *registry = tcase_create("registry");
    tcase_set_timeout(registry, 120);
    tcase_add_test(registry, test_many_live_blocks);
    tcase_add_loop_test(registry, test_quarantine_is_bounded, 0, 2);
    tcase_add_loop_test(registry, test_loop_does_not_exhaust_memory, 0, 2);
    tcase_add_loop_test(registry, test_threads_share_the_registry, 0, 2);
    suite_add_tcase(s, registry);
    return s;
}
