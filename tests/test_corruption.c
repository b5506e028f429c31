/*
 * test_corruption.c - a heap corrupted on purpose, the way a how2heap demo does
 * it, is caught: free/malloc abort with glibc 2.36's message, and the heap checker
 * names the damage instead of crashing or looping.
 */
#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "bins/malloc_state.h"
#include "include/arenalloc.h"
#include "tests/expect_abort.h"

/* The size word of the chunk holding p. */
static size_t *size_word(void *p) { return (size_t *)p - 1; }

/* Freeing the same fastbin chunk twice in a row: the fasttop check. */
static void double_free_fast(void)
{
    void *a = arenalloc_malloc(0x18);
    arenalloc_free(a);
    arenalloc_free(a);
}

/* The chunk on a fastbin's top given another bin's size.  free() does not look
   at the chunk it pushes onto (glibc reads it only under a lock the caller
   already held), so the next free succeeds and the damage is found when
   malloc_consolidate empties the bin. */
static void corrupt_fastbin_top_size(void)
{
    size_t *a = arenalloc_malloc(0x18), *b = arenalloc_malloc(0x18);
    arenalloc_malloc(0x18);
    arenalloc_free(a);
    *size_word(a) = 0x50 | 1;
    arenalloc_free(b);
    arenalloc_malloc(0x400);
}

/* A pointer into the middle of a block, not 16-byte aligned as chunks are. */
static void free_interior(void)
{
    char *a = arenalloc_malloc(0x100);
    arenalloc_free(a + 8);
}

/* A size word overwritten with a size smaller than any chunk. */
static void free_bad_size(void)
{
    char *a = arenalloc_malloc(0x100);
    *size_word(a) = 0x10 | 1;
    arenalloc_free(a);
}

/* A small (non-fast) chunk freed twice: the next chunk says it is free already. */
static void double_free_small(void)
{
    void *a = arenalloc_malloc(0x100);
    void *guard = arenalloc_malloc(0x100);
    arenalloc_free(a);
    arenalloc_free(a);
    (void)guard;
}

/* House of Force's first step: top's size overwritten with a huge value. */
static void corrupt_top(void)
{
    char *a = arenalloc_malloc(0x100);
    *size_word(a + 0x110) = (size_t)-1;
    arenalloc_malloc(0x200);
}

/* The unsorted bin attack's write: a freed chunk's bk pointed elsewhere. */
static void corrupt_unsorted_bk(void)
{
    static void *fake[4];
    void **a = arenalloc_malloc(0x100);
    void *guard = arenalloc_malloc(0x100);
    arenalloc_free(a);
    a[1] = fake;
    arenalloc_malloc(0x200);
    (void)guard;
}

/* The boundary tag after a free chunk no longer matches its size. */
static void corrupt_foot(void)
{
    char *a = arenalloc_malloc(0x108);
    char *guard = arenalloc_malloc(0x100);
    arenalloc_free(a);
    *(size_t *)(guard - 16) = 0x120;
    arenalloc_malloc(0x200);
}

START_TEST(test_double_free_fasttop) { ck_assert_aborts_with(double_free_fast, "double free or corruption (fasttop)"); }
END_TEST
START_TEST(test_fastbin_top_size_found_by_consolidate)
{
    ck_assert_aborts_with(corrupt_fastbin_top_size, "malloc_consolidate(): invalid chunk size");
}
END_TEST
START_TEST(test_free_interior) { ck_assert_aborts_with(free_interior, "free(): invalid pointer"); }
END_TEST
START_TEST(test_free_bad_size) { ck_assert_aborts_with(free_bad_size, "free(): invalid size"); }
END_TEST
START_TEST(test_double_free_small) { ck_assert_aborts_with(double_free_small, "double free or corruption (!prev)"); }
END_TEST
START_TEST(test_corrupt_top) { ck_assert_aborts_with(corrupt_top, "malloc(): corrupted top size"); }
END_TEST
START_TEST(test_corrupt_unsorted) { ck_assert_aborts_with(corrupt_unsorted_bk, "malloc(): unsorted double linked list corrupted"); }
END_TEST
START_TEST(test_corrupt_foot) { ck_assert_aborts_with(corrupt_foot, "malloc(): mismatching next->prev_size (unsorted)"); }
END_TEST

/* The checker reports an overwritten size word instead of walking off the heap. */
START_TEST(test_checker_sees_bad_size)
{
    char *a = arenalloc_malloc(0x100);
    arenalloc_malloc(0x100);
    ck_assert_ptr_null(arenalloc_check_heap());
    *size_word(a) = 0x1000000 | 1;
    const char *err = arenalloc_check_heap();
    ck_assert_ptr_nonnull(err);
    ck_assert_msg(strstr(err, "size") != NULL, "unexpected report: %s", err);
}
END_TEST

/* ... and a bin list turned into a cycle, without looping forever. */
START_TEST(test_checker_sees_cycle)
{
    void **a = arenalloc_malloc(0x100);
    void **b = arenalloc_malloc(0x100);
    arenalloc_malloc(0x100);
    arenalloc_free(a);
    ck_assert_ptr_null(arenalloc_check_heap());
    a[0] = a - 2; /* fd points back at the chunk itself */
    ck_assert_ptr_nonnull(arenalloc_check_heap());
    (void)b;
}
END_TEST

/* ... and a chunk that is free but in no bin. */
START_TEST(test_checker_sees_lost_chunk)
{
    void *a = arenalloc_malloc(0x100);
    void *b = arenalloc_malloc(0x100);
    arenalloc_malloc(0x100);
    /* Clear b's PREV_INUSE and give it a matching prev_size: a looks free. */
    *((size_t *)b - 2) = 0x110;
    *size_word(b) &= ~(size_t)1;
    const char *err = arenalloc_check_heap();
    ck_assert_ptr_nonnull(err);
    ck_assert_msg(strstr(err, "no bin") != NULL, "unexpected report: %s", err);
    (void)a;
}
END_TEST

/* ... and the arena's own bookkeeping, which no chunk shows: a small bin's
   binmap bit, have_fastchunks, and a bin header's bk. */
START_TEST(test_checker_sees_arena_bookkeeping)
{
    void *f = arenalloc_malloc(0x18);
    void *a = arenalloc_malloc(0x100);
    arenalloc_malloc(0x18);
    arenalloc_free(a);        /* into the unsorted bin */
    arenalloc_malloc(0x200);  /* the scan sorts a into its small bin */
    arenalloc_free(f);        /* into a fastbin */
    ck_assert_ptr_null(arenalloc_check_heap());

    unsigned i = smallbin_index(0x110);
    ck_assert(get_binmap(&main_arena, i));
    main_arena.binmap[idx2block(i)] &= ~idx2bit(i);
    const char *err = arenalloc_check_heap();
    ck_assert_msg(err != NULL && strstr(err, "binmap") != NULL, "report: %s", err ? err : "none");
    main_arena.binmap[idx2block(i)] |= idx2bit(i);

    main_arena.have_fastchunks = 0;
    err = arenalloc_check_heap();
    ck_assert_msg(err != NULL && strstr(err, "have_fastchunks") != NULL, "report: %s", err ? err : "none");
    main_arena.have_fastchunks = 1;

    mbinptr bin = bin_at(&main_arena, i);
    mchunkptr last = bin->bk;
    bin->bk = bin;
    err = arenalloc_check_heap();
    ck_assert_msg(err != NULL && strstr(err, "header's bk") != NULL, "report: %s", err ? err : "none");
    bin->bk = last;
    ck_assert_ptr_null(arenalloc_check_heap());
}
END_TEST

/* ---- the same attacks under older releases' checks (bins/checks.h) ---- */

/* House of Force: with 2.23's checks a huge top size is believed and malloc
   carves a chunk far beyond the heap's end; 2.29 stops it. */
static void house_of_force_2_23(void)
{
    arenalloc_set_checks(23);
    corrupt_top();
}

/* The unsorted bin attack: with 2.23's checks the scan trusts the forged bk and
   writes the unsorted bin's address into the fake chunk's fd. */
START_TEST(test_unsorted_attack_2_23)
{
    static void *fake[4];
    ck_assert_int_eq(arenalloc_set_checks(23), 0);
    void **a = arenalloc_malloc(0x100);
    arenalloc_malloc(0x100);
    arenalloc_free(a);
    void *unsorted_bin = a[0]; /* a's fd: the bin header */
    a[1] = fake;               /* bk -> fake chunk */
    arenalloc_malloc(0x100);   /* exact fit: takes a, and writes bck->fd */
    ck_assert_ptr_eq(fake[2], unsorted_bin);
}
END_TEST

START_TEST(test_house_of_force_2_23)
{
    struct death d = run_in_child(house_of_force_2_23);
    ck_assert_int_ne(d.signal, SIGABRT); /* not caught: it runs on */
    ck_assert_ptr_null(strstr(d.stderr, "corrupted top size"));
}
END_TEST

START_TEST(test_unsorted_attack_2_29) { ck_assert_aborts_with(corrupt_unsorted_bk, "malloc(): unsorted double linked list corrupted"); }
END_TEST

/* Safe-linking (2.32): a fastbin's fd is stored mangled; before, as it is. */
START_TEST(test_safe_linking_by_release)
{
    void **a = arenalloc_malloc(0x18);
    void **b = arenalloc_malloc(0x18);
    arenalloc_free(a);
    arenalloc_free(b);                       /* b->fd = a */
    ck_assert_ptr_ne(b[0], (void *)(a - 2)); /* 2.36: mangled */
    ck_assert_ptr_eq((void *)((uintptr_t)b[0] ^ ((uintptr_t)b >> 12)), (void *)(a - 2));
    ck_assert_int_eq(arenalloc_set_checks(31), 0);
    void **c = arenalloc_malloc(0x18);
    void **d = arenalloc_malloc(0x18);
    arenalloc_free(c);
    arenalloc_free(d);
    ck_assert_ptr_eq(d[0], (void *)(c - 2)); /* 2.31: plain */
    ck_assert_int_eq(arenalloc_set_checks(22), EINVAL);
    ck_assert_int_eq(arenalloc_set_checks(37), EINVAL);
}
END_TEST

/* These checks are the arena's: every free must reach the bins, so the
   per-thread cache is off (tests/test_tcache.c has the cache's own checks). */
static void tcache_off(void)
{
    ck_assert_int_eq(arenalloc_set_tcache_count(0), 1);
}

Suite *corruption_suite(void)
{
    Suite *s = suite_create("corruption");
    TCase *aborts = tcase_create("aborts");
    tcase_add_checked_fixture(aborts, tcache_off, NULL);
    tcase_add_test(aborts, test_double_free_fasttop);
    tcase_add_test(aborts, test_fastbin_top_size_found_by_consolidate);
    tcase_add_test(aborts, test_free_interior);
    tcase_add_test(aborts, test_free_bad_size);
    tcase_add_test(aborts, test_double_free_small);
    tcase_add_test(aborts, test_corrupt_top);
    tcase_add_test(aborts, test_corrupt_unsorted);
    tcase_add_test(aborts, test_corrupt_foot);
    suite_add_tcase(s, aborts);

    TCase *releases = tcase_create("releases");

    tcase_add_checked_fixture(releases, tcache_off, NULL);
    tcase_add_test(releases, test_unsorted_attack_2_23);
    tcase_add_test(releases, test_unsorted_attack_2_29);
    tcase_add_test(releases, test_house_of_force_2_23);
    tcase_add_test(releases, test_safe_linking_by_release);
    suite_add_tcase(s, releases);

    TCase *checker = tcase_create("checker");

    tcase_add_checked_fixture(checker, tcache_off, NULL);
    tcase_add_test(checker, test_checker_sees_bad_size);
    tcase_add_test(checker, test_checker_sees_cycle);
    tcase_add_test(checker, test_checker_sees_lost_chunk);
    tcase_add_test(checker, test_checker_sees_arena_bookkeeping);
    suite_add_tcase(s, checker);
    return s;
}
