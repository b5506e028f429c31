/*
 * grade_unsorted.c - the unsorted scan's grader: process_unsorted's loop body
 * (exact fits, sorting into bins) and split_last_remainder.
 *
 * Every test runs with the cache off, so freed chunks reach the unsorted bin.
 */
#include "grade.h"
#include "tests/test_helpers.h"

static void start(void)
{
    tcache_off();
    settle();
}

START_TEST(exact_fit)
{
    start();
    void *a = xmalloc(0x108);
    xmalloc(0x18);
    arenalloc_free(a);
    void *p = arenalloc_malloc(0x108);
    ck_assert_msg(p == a, "a freed 0x110 chunk waits in the unsorted bin; malloc(0x108) should find it there as an "
                          "exact fit and return it (%p), got %p", a, p);
}
END_TEST

START_TEST(oldest_first)
{
    start();
    void *a = xmalloc(0x108);
    xmalloc(0x18);
    void *b = xmalloc(0x108);
    xmalloc(0x18);
    arenalloc_free(a);
    arenalloc_free(b);
    void *p = arenalloc_malloc(0x108);
    ck_assert_msg(p == a, "the scan starts from the oldest chunk (unsorted->bk): after free(a); free(b) of the same "
                          "size, malloc should return a (%p), got %p", a, p);
}
END_TEST

START_TEST(sorts_then_splits)
{
    start();
    void *a = xmalloc(0x208);
    xmalloc(0x18);
    arenalloc_free(a);
    void *p = arenalloc_malloc(0x108);
    ck_assert_msg(p == a, "a free 0x210 chunk that does not fit exactly is sorted into its bin; malloc(0x108) should "
                          "then split it and return its front (%p), got %p", a, p);
    ck_assert_msg(chunk_size(p) == 0x110, "the front should be a 0x110 chunk, it is %#zx", chunk_size(p));
}
END_TEST

START_TEST(sorted_stays_reusable)
{
    start();
    void *a = xmalloc(0x108);
    xmalloc(0x18);
    arenalloc_free(a);
    void *big = xmalloc(0x2008); /* the scan sorts a into its small bin, big comes from top */
    ck_assert_msg(big != a, "malloc(0x2008) must not take the 0x110 chunk");
    void *p = arenalloc_malloc(0x108);
    ck_assert_msg(p == a, "after a scan sorted a into its small bin, malloc(0x108) should find it there (%p), got %p",
                  a, p);
}
END_TEST

START_TEST(last_remainder)
{
    start();
    char *a = xmalloc(0x3f8);
    xmalloc(0x18);
    arenalloc_free(a);
    char *p1 = arenalloc_malloc(0x28), *p2 = arenalloc_malloc(0x28), *p3 = arenalloc_malloc(0x28);
    ck_assert_msg(p1 == a && p2 == a + 0x30 && p3 == a + 0x60, "small requests should be carved one after another "
                  "from the last remainder: expected %p, %p, %p; got %p, %p, %p", a, a + 0x30, a + 0x60, p1, p2, p3);
}
END_TEST

START_TEST(last_remainder_beats_best_fit)
{
    start();
    char *a = xmalloc(0x3f8);
    xmalloc(0x18);
    char *small = xmalloc(0x88);
    xmalloc(0x18);
    arenalloc_free(a);
    char *p1 = arenalloc_malloc(0x28); /* sorts a, splits it: the rest is the last remainder */
    ck_assert_ptr_eq(p1, a);
    arenalloc_free(small);
    xmalloc(0x2008);                   /* sorts the 0x90 chunk and the remainder into bins */
    arenalloc_free(xmalloc(0x3000));   /* nothing in the unsorted bin now but what we put there */
    char *p2 = arenalloc_malloc(0x28);
    /* Best fit would take the 0x90 chunk; both are now in small bins, so it does. */
    ck_assert_msg(p2 == small, "with the remainder sorted into a bin, best fit should take the smaller 0x90 chunk "
                               "(%p), got %p", small, p2);
}
END_TEST

void lab_register(void)
{
    lab_scored("an exact fit is taken from the unsorted bin", exact_fit);
    lab_scored("the scan takes the oldest chunk first", oldest_first);
    lab_scored("a chunk that does not fit is sorted into its bin, then split", sorts_then_splits);
    lab_scored("a sorted chunk is found in its small bin later", sorted_stays_reusable);
    lab_scored("small requests are carved in a row from the last remainder", last_remainder);
    lab_scored("a sorted remainder loses its privilege: best fit again", last_remainder_beats_best_fit);
    lab_untouched_mmap();
    lab_untouched_fastbins();
}
