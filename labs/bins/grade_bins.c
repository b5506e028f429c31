/*
 * grade_bins.c - the large bins' grader: largebin_find_place (sorted insertion
 * with the nextsize list), malloc_from_largebin (best fit along nextsize) and
 * unlink_nextsize.  A large bin holds a range of sizes (0x400-0x430 for the
 * first), largest first; fd_nextsize links the first chunk of each size.
 *
 * Every test runs with the cache off.  Chunks are put into their large bin by
 * freeing them, then asking for something that fits none of them (the scan
 * sorts them), and then asked for by size.
 */
#include "grade.h"
#include "tests/test_helpers.h"

static void start(void)
{
    tcache_off();
    settle();
}

/* Frees the chunks of p[0..n) (separated by guards) and sorts them into bins. */
static void free_and_sort(void **p, int n)
{
    for (int i = 0; i < n; i++)
        arenalloc_free(p[i]);
    xmalloc(0x4000);
}

static void *guarded(size_t n)
{
    void *p = xmalloc(n);
    xmalloc(0x18);
    return p;
}

START_TEST(best_fit)
{
    start();
    void *p[3] = {guarded(0x438), guarded(0x418), guarded(0x428)}; /* 0x440, 0x420, 0x430: one bin */
    free_and_sort(p, 3);
    void *q = arenalloc_malloc(0x418);
    ck_assert_msg(q == p[1], "three chunks of 0x440, 0x420 and 0x430 share a large bin; malloc(0x418) should take the "
                             "smallest that fits, the 0x420 one (%p), got %p", p[1], q);
    q = arenalloc_malloc(0x428);
    ck_assert_msg(q == p[2], "malloc(0x428) should then take the 0x430 one (%p), got %p", p[2], q);
    q = arenalloc_malloc(0x438);
    ck_assert_msg(q == p[0], "and malloc(0x438) the 0x440 one (%p), got %p", p[0], q);
}
END_TEST

START_TEST(best_fit_splits)
{
    start();
    void *p[2] = {guarded(0x438), guarded(0x408)}; /* 0x440 and 0x410 */
    free_and_sort(p, 2);
    void *q = arenalloc_malloc(0x3f8 + 0x10); /* 0x410 exactly */
    ck_assert_msg(q == p[1], "malloc for a 0x410 chunk should take the 0x410 one, not split the larger; got %p", q);
}
END_TEST

START_TEST(same_size_second)
{
    start();
    void *p[3] = {guarded(0x418), guarded(0x418), guarded(0x418)};
    free_and_sort(p, 3);
    /* Sorted in scan order p[0], p[1], p[2]: p[0] heads the run; later ones go
       second in it.  The bin is then p[0], p[2], p[1]; malloc avoids the head. */
    void *q = arenalloc_malloc(0x418);
    ck_assert_msg(q != p[0], "among chunks of one size, malloc should not take the head of the run (the one on the "
                             "nextsize list), which would mean re-threading that list; it took the head %p", q);
    ck_assert_msg(q == p[2], "it should take the chunk second in the run (%p, the last sorted), got %p", p[2], q);
}
END_TEST

START_TEST(take_all_sizes)
{
    start();
    void *p[6] = {guarded(0x418), guarded(0x438), guarded(0x418), guarded(0x428), guarded(0x438), guarded(0x428)};
    free_and_sort(p, 6);
    /* Take them all back by size: the nextsize list must stay consistent each
       time a run's head leaves (unlink_nextsize). */
    size_t order[6] = {0x418, 0x418, 0x428, 0x438, 0x428, 0x438};
    for (int i = 0; i < 6; i++) {
        void *q = arenalloc_malloc(order[i]);
        ck_assert_msg(q != NULL && chunk_size(q) == ((order[i] + 8 + 15) & ~(size_t)15),
                      "malloc(%#zx) number %d should get an exact chunk of its size from the large bin, got %#zx",
                      order[i], i + 1, q ? chunk_size(q) : 0);
        int found = 0;
        for (int j = 0; j < 6; j++)
            found |= q == p[j];
        ck_assert_msg(found, "malloc(%#zx) number %d should come from the large bin, not from top", order[i], i + 1);
    }
    ck_assert_msg(arenalloc_check_heap() == NULL, "the heap checker: %s", arenalloc_check_heap());
}
END_TEST

START_TEST(binmap_larger_bin)
{
    start();
    void *p[2] = {guarded(0x808), guarded(0x7f8)}; /* 0x810 and 0x800: one bin, larger than a 0x410 request's */
    free_and_sort(p, 2);
    void *q = arenalloc_malloc(0x408);
    ck_assert_msg(q == p[1], "with the request's own large bin empty, malloc(0x408) should go up the binmap to the bin "
                             "of 0x800 and 0x810 and split the smaller, the 0x800 chunk (%p); got %p", p[1], q);
}
END_TEST

START_TEST(untouched_small)
{
    tcache_off();
    void *a = xmalloc(0x108);
    xmalloc(0x18);
    arenalloc_free(a);
    xmalloc(0x2008);
    ck_assert_ptr_eq(arenalloc_malloc(0x108), a);
}
END_TEST

void lab_register(void)
{
    lab_scored("a large request takes the smallest chunk that fits in its bin", best_fit);
    lab_scored("an exact size is preferred to a larger one", best_fit_splits);
    lab_scored("of several chunks of one size, the second of the run is taken", same_size_second);
    lab_scored("the nextsize list survives taking every chunk back", take_all_sizes);
    lab_scored("an empty bin sends the request up the binmap", binmap_larger_bin);
    lab_untouched("small bins still work", untouched_small);
    lab_untouched_mmap();
}
