/*
 * test_trim.c - main_arena's top grows by brk with M_TOP_PAD to spare, and gives
 * memory back when free() leaves more than M_TRIM_THRESHOLD on top (white-box:
 * reads main_arena and the emulated brk of the prefixed build).
 */
#include <check.h>
#include <malloc.h>

#include "arena/main_arena.h"
#include "arena/tcache_thread.h"
#include "bins/malloc_par.h"
#include "include/arenalloc.h"
#include "syscall/os.h"
#define TEST_HELPERS_ARENA
#include "tests/test_helpers.h"

static char *top_end(void) { return (char *)main_arena.top + top_size(); }

/* The first malloc asks brk for the request + 128 KiB of top pad, in pages. */
START_TEST(test_first_brk_has_top_pad)
{
    arenalloc_malloc(100);
    ck_assert_ptr_eq(top_end(), os_morecore(0));
    ck_assert_uint_ge(main_arena.system_mem, 100 + DEFAULT_TOP_PAD);
    ck_assert_uint_lt(main_arena.system_mem, 100 + DEFAULT_TOP_PAD + MINSIZE + 2 * os_page_size());
    ck_assert_uint_eq(main_arena.system_mem % os_page_size(), 0);
}
END_TEST

/* Freeing 300 KiB next to top trims top down to the pad (plus < one page). */
START_TEST(test_free_trims_top)
{
    void *a = arenalloc_malloc(100000), *b = arenalloc_malloc(100000), *c = arenalloc_malloc(100000);
    size_t grown = main_arena.system_mem;
    ck_assert_uint_ge(grown, 300000);
    arenalloc_free(c);
    arenalloc_free(b);
    arenalloc_free(a);
    ck_assert_uint_lt(main_arena.system_mem, grown);
    ck_assert_uint_le(top_size(), mp_.top_pad + MINSIZE + os_page_size());
    ck_assert_ptr_eq(top_end(), os_morecore(0)); /* brk really moved down */
}
END_TEST

/* M_TRIM_THRESHOLD set high: nothing is given back. */
START_TEST(test_trim_threshold_respected)
{
    ck_assert_int_eq(arenalloc_mallopt(M_TRIM_THRESHOLD, 64 << 20), 1);
    void *a = arenalloc_malloc(100000), *b = arenalloc_malloc(100000);
    size_t grown = main_arena.system_mem;
    arenalloc_free(b);
    arenalloc_free(a);
    ck_assert_uint_eq(main_arena.system_mem, grown);
}
END_TEST

/* M_TOP_PAD 0: trimming keeps less than a page above MINSIZE. */
START_TEST(test_top_pad_zero)
{
    ck_assert_int_eq(arenalloc_mallopt(M_TOP_PAD, 0), 1);
    void *a = arenalloc_malloc(200000 - 4096);
    arenalloc_malloc(16);
    arenalloc_free(a);
    void *b = arenalloc_malloc(300000);
    arenalloc_free(b);
    ck_assert_uint_lt(top_size(), MINSIZE + os_page_size());
}
END_TEST

/* Growth is contiguous: the second brk extends top, with no fencepost. */
START_TEST(test_growth_is_contiguous)
{
    char *first = arenalloc_malloc(100);
    for (int i = 0; i < 64; i++)
        arenalloc_malloc(100000); /* below the mmap threshold: all from brk */
    ck_assert(contiguous(&main_arena));
    ck_assert_int_eq(main_nsegments, 1);
    ck_assert_ptr_eq(top_end(), os_morecore(0));
    /* The heap starts with the per-thread cache's structure, then our block. */
    ck_assert_ptr_eq(main_segments[0] + request2size(sizeof(tcache_perthread_struct)), first - CHUNK_HDR_SZ);
    ck_assert_ptr_null(arenalloc_check_heap());
}
END_TEST

Suite *trim_suite(void)
{
    Suite *s = suite_create("trim");
    TCase *tc = tcase_create("top");
    tcase_add_test(tc, test_first_brk_has_top_pad);
    tcase_add_test(tc, test_free_trims_top);
    tcase_add_test(tc, test_trim_threshold_respected);
    tcase_add_test(tc, test_top_pad_zero);
    tcase_add_test(tc, test_growth_is_contiguous);
    suite_add_tcase(s, tc);
    return s;
}
