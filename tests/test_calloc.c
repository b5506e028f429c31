/*
 * test_calloc.c - calloc returns zeroed memory on every path a chunk can come from.
 *
 * glibc's __libc_calloc skips clearing only where it knows the memory is fresh:
 * mmapped chunks (new pages from the kernel) and the part of top that was never
 * handed out before (MORECORE_CLEARS).  Everything else is cleared with memset,
 * the whole usable size.  Each test below first dirties a chunk, frees it, and
 * checks that calloc really reused that chunk (same address) before checking the
 * zeroes - a zero check on fresh memory would prove nothing.
 */
#include <check.h>
#include <malloc.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "arenalloc.h"
#define TEST_HELPERS_ARENA /* top_size, main_arena */
#include "tests/test_helpers.h"

Suite *calloc_suite(void);

/* Fills the whole usable size of p with a non-zero byte. */
static void dirty(void *p) { memset(p, 0xa5, arenalloc_malloc_usable_size(p)); }

/* Asserts that calloc(1, n) reused the address `expect` and that all its usable bytes are zero. */
#define ASSERT_ZEROED_REUSE(q, expect, n)                                                                 \
    do {                                                                                                  \
        ck_assert_ptr_nonnull(q);                                                                         \
        ck_assert_msg(addr(q) == (expect), "calloc(%zu) did not reuse the dirty chunk", (size_t)(n));     \
        size_t usable_ = arenalloc_malloc_usable_size(q);                                                 \
        ck_assert_uint_ge(usable_, (n));                                                                  \
        size_t at_ = first_nonzero((q), usable_);                                                         \
        ck_assert_msg(at_ == usable_, "calloc(%zu): byte %zu of %zu is not zero", (size_t)(n), at_, usable_); \
    } while (0)

/* A chunk from a fastbin still holds the old data and the fd link free wrote into it: calloc clears all of it. */
START_TEST(test_calloc_from_fastbin)
{
    const size_t sizes[] = {0x18, 0x28, 0x48, 0x78};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        void *p = xmalloc(sizes[i]);
        dirty(p);
        uintptr_t e = addr(p);
        arenalloc_free(p);
        void *q = arenalloc_calloc(1, sizes[i]);
        ASSERT_ZEROED_REUSE(q, e, sizes[i]);
        arenalloc_free(q);
    }
}
END_TEST

/* A small chunk reused from the unsorted bin, then from its small bin, is cleared both times. */
START_TEST(test_calloc_from_unsorted_and_smallbin)
{
    settle();
    void *g0 = xmalloc(0x18);
    void *p = xmalloc(0x1e8), *g1 = xmalloc(0x18);
    dirty(p);
    uintptr_t e = addr(p);
    arenalloc_free(p);                         /* unsorted bin */
    void *q = arenalloc_calloc(0x1e8, 1);      /* unsorted exact fit */
    ASSERT_ZEROED_REUSE(q, e, 0x1e8);

    dirty(q);
    arenalloc_free(q);
    void *big = xmalloc(0x1000);               /* sorts it into the 0x1f0 small bin */
    void *r = arenalloc_calloc(0x1e8, 1);      /* small-bin hit */
    ASSERT_ZEROED_REUSE(r, e, 0x1e8);
    arenalloc_free(r);
    arenalloc_free(big);
    arenalloc_free(g0);
    arenalloc_free(g1);
}
END_TEST

/* A large chunk (from the unsorted bin, then from its large bin) is cleared. */
START_TEST(test_calloc_from_large)
{
    settle();
    void *g0 = xmalloc(0x18);
    void *p = xmalloc(0x2000), *g1 = xmalloc(0x18);
    dirty(p);
    uintptr_t e = addr(p);
    arenalloc_free(p);
    void *q = arenalloc_calloc(2, 0x1000);
    ASSERT_ZEROED_REUSE(q, e, 0x2000);

    dirty(q);
    arenalloc_free(q);
    void *big = xmalloc(0x3000);               /* sorts it into its large bin */
    void *r = arenalloc_calloc(0x1000, 2);
    ASSERT_ZEROED_REUSE(r, e, 0x2000);
    arenalloc_free(r);
    arenalloc_free(big);
    arenalloc_free(g0);
    arenalloc_free(g1);
}
END_TEST

/* Chunks carved from a dirty free chunk (the split, then the last remainder) are cleared. */
START_TEST(test_calloc_from_split_remainder)
{
    settle();
    void *g0 = xmalloc(0x18);
    void *p = xmalloc(0x3e8), *g1 = xmalloc(0x18); /* 0x3f0 */
    dirty(p);
    uintptr_t e = addr(p);
    arenalloc_free(p);
    void *q1 = arenalloc_calloc(1, 0xf8); /* split p: 0x100 + remainder */
    void *q2 = arenalloc_calloc(1, 0xf8); /* from the last remainder */
    void *q3 = arenalloc_calloc(1, 0xf8);
    ASSERT_ZEROED_REUSE(q1, e, 0xf8);
    ASSERT_ZEROED_REUSE(q2, e + 0x100, 0xf8);
    ASSERT_ZEROED_REUSE(q3, e + 0x200, 0xf8);
    arenalloc_free(q1);
    arenalloc_free(q2);
    arenalloc_free(q3);
    arenalloc_free(g0);
    arenalloc_free(g1);
}
END_TEST

/* Memory that went back into top is not "fresh": calloc from top must clear what an earlier owner wrote. */
START_TEST(test_calloc_from_top)
{
    settle();
    void *p = xmalloc(0x6000);
    dirty(p);
    uintptr_t e = addr(p);
    arenalloc_free(p); /* merges into top */
    void *q = arenalloc_calloc(1, 0x6000);
    ASSERT_ZEROED_REUSE(q, e, 0x6000);
    arenalloc_free(q);
}
END_TEST

/* After the heap was trimmed and grown back over dirty memory, calloc still returns zeroes. */
START_TEST(test_calloc_after_trim)
{
    ck_assert_int_eq(arenalloc_mallopt(M_MMAP_MAX, 0), 1); /* keep 1 MiB blocks in the heap */
    settle();
    void *p = xmalloc(1 << 20);
    ck_assert(!is_mmapped(p));
    dirty(p);
    uintptr_t e = addr(p);
    arenalloc_free(p); /* merges into top, top > M_TRIM_THRESHOLD: trimmed back to top_pad */
    void *q = arenalloc_calloc(1 << 10, 1 << 10);
    ASSERT_ZEROED_REUSE(q, e, (size_t)1 << 20);
    arenalloc_free(q);
    ck_assert_int_eq(arenalloc_mallopt(M_MMAP_MAX, 65536), 1); /* the default again */
}
END_TEST

/* After an mmapped free raises the threshold, the same size comes from the heap - dirty heap memory, cleared by calloc. */
START_TEST(test_calloc_large_from_heap_after_threshold_rise)
{
    const size_t n = 256 * 1024;
    void *m = xmalloc(n);
    ck_assert_msg(is_mmapped(m), "%zu bytes should start out mmapped (fresh process, default threshold)", n);
    arenalloc_free(m); /* mmap threshold rises to this chunk's size */
    void *h = xmalloc(n);
    ck_assert(!is_mmapped(h));
    dirty(h);
    uintptr_t e = addr(h);
    arenalloc_free(h);
    void *q = arenalloc_calloc(n, 1);
    ck_assert(!is_mmapped(q));
    ASSERT_ZEROED_REUSE(q, e, n);
    arenalloc_free(q);
}
END_TEST

/* Memory the heap never reached comes fresh from the OS, already zero, and calloc
   leaves it alone, as glibc does: a block carved from a top that had to grow for
   it makes none of the pages the growth added resident (mincore), while the part
   that was top before is cleared. */
START_TEST(test_calloc_leaves_fresh_memory_alone)
{
    ck_assert_int_eq(arenalloc_mallopt(M_MMAP_MAX, 0), 1); /* the block from the heap */
    settle();
    const size_t page = (size_t)sysconf(_SC_PAGESIZE), grown = 64 * page;
    char *old_top = (char *)main_arena.top;
    memset(old_top + 2 * sizeof(size_t), 0xa5, top_size() - 4 * sizeof(size_t)); /* top's bytes, dirty */
    size_t n = top_size() + grown;
    char *q = arenalloc_calloc(1, n);
    ck_assert(q != NULL && !is_mmapped(q));
    ck_assert_ptr_eq(mem2chunk(q), old_top);

    /* The pages wholly past where top ended: none resident yet. */
    char *fresh = (char *)(((uintptr_t)q + n - grown + page - 1) & ~(page - 1));
    size_t npages = (size_t)((uintptr_t)(q + n) - (uintptr_t)fresh) / page;
    unsigned char vec[64 + 1];
    ck_assert_uint_ge(npages, 32);
    ck_assert_int_eq(mincore(fresh, npages * page, vec), 0);
    size_t resident = 0;
    for (size_t i = 0; i < npages; i++)
        resident += vec[i] & 1;
    ck_assert_msg(resident == 0, "calloc touched %zu of the %zu fresh pages", resident, npages);
    ck_assert_uint_eq(first_nonzero(q, arenalloc_malloc_usable_size(q)), arenalloc_malloc_usable_size(q));
    arenalloc_free(q);
    ck_assert_int_eq(arenalloc_mallopt(M_MMAP_MAX, 65536), 1); /* the default again */
}
END_TEST

/* An mmapped calloc is zero too (fresh pages, the one case glibc does not memset). */
START_TEST(test_calloc_mmapped)
{
    void *h = xmalloc(100000); /* leave some dirty heap memory around */
    dirty(h);
    arenalloc_free(h);
    const size_t n = 2u << 20;
    void *q = arenalloc_calloc(1, n);
    ck_assert_ptr_nonnull(q);
    ck_assert(is_mmapped(q));
    size_t usable = arenalloc_malloc_usable_size(q);
    ck_assert_uint_ge(usable, n);
    ck_assert_uint_eq(first_nonzero(q, usable), usable);
    arenalloc_free(q);
}
END_TEST

/* calloc(0, n), calloc(n, 0) and calloc(0, 0) are malloc(0): a unique minimum chunk, 24 usable bytes. */
START_TEST(test_calloc_zero_is_malloc_zero)
{
    void *a = arenalloc_calloc(0, 16);
    void *b = arenalloc_calloc(16, 0);
    void *c = arenalloc_calloc(0, 0);
    ck_assert_ptr_nonnull(a);
    ck_assert_ptr_nonnull(b);
    ck_assert_ptr_nonnull(c);
    ck_assert_ptr_ne(a, b);
    ck_assert_ptr_ne(b, c);
    ck_assert_ptr_ne(a, c);
    ck_assert_uint_eq(arenalloc_malloc_usable_size(a), 24);
    ck_assert_uint_eq(arenalloc_malloc_usable_size(b), 24);
    ck_assert_uint_eq(arenalloc_malloc_usable_size(c), 24);
    arenalloc_free(a);
    arenalloc_free(b);
    arenalloc_free(c);
}
END_TEST

Suite *calloc_suite(void)
{
    Suite *s = suite_create("calloc");
    TCase *tc = tcase_create("zeroed");
    tcase_add_checked_fixture(tc, tcache_off, NULL);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_calloc_from_fastbin);
    tcase_add_test(tc, test_calloc_from_unsorted_and_smallbin);
    tcase_add_test(tc, test_calloc_from_large);
    tcase_add_test(tc, test_calloc_from_split_remainder);
    tcase_add_test(tc, test_calloc_from_top);
    tcase_add_test(tc, test_calloc_after_trim);
    tcase_add_test(tc, test_calloc_large_from_heap_after_threshold_rise);
    tcase_add_test(tc, test_calloc_leaves_fresh_memory_alone);
    tcase_add_test(tc, test_calloc_mmapped);
    tcase_add_test(tc, test_calloc_zero_is_malloc_zero);
    suite_add_tcase(s, tc);
    return s;
}
