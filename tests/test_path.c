/*
 * test_path.c - arenalloc_path_take: each road of malloc and free is reported
 * under its step's name, and only the steps the call took (bins/malloc_path.h).
 *
 * Sizes on x86-64: 40 bytes is a 0x30 chunk (a fastbin and cache size), 200 a
 * 0xd0 (a small bin's, past the fastbins), 24 a 0x20 (the guards that keep
 * chunks from merging).
 */
#include <check.h>

#include "bins/malloc_path.h"
#include "tests/test_helpers.h"

#define BIT(step) (1u << (step))

/* The steps of the last call alone. */
static unsigned path_of_malloc(size_t n, void **p)
{
    arenalloc_path_take();
    *p = xmalloc(n);
    return arenalloc_path_take();
}

static unsigned path_of_free(void *p)
{
    arenalloc_path_take();
    arenalloc_free(p);
    return arenalloc_path_take();
}

START_TEST(test_names_and_clearing)
{
    for (int i = 0; i < PATH_NSTEPS; i++)
        ck_assert_ptr_nonnull(arenalloc_path_step_name(i));
    ck_assert_ptr_null(arenalloc_path_step_name(PATH_NSTEPS));
    ck_assert_ptr_null(arenalloc_path_step_name(-1));
    ck_assert_str_eq(arenalloc_path_step_name(PATH_LAST_REMAINDER), "last_remainder");
    void *p = xmalloc(40);
    ck_assert_uint_ne(arenalloc_path_take(), 0);
    ck_assert_uint_eq(arenalloc_path_take(), 0); /* reading cleared it */
    arenalloc_free(p);
}
END_TEST

START_TEST(test_tcache_roads)
{
    void *p, *q;
    arenalloc_set_tcache_count(7);
    path_of_malloc(40, &p);
    xmalloc(24);
    ck_assert_uint_eq(path_of_free(p), BIT(PATH_TCACHE_PUT));
    ck_assert_uint_eq(path_of_malloc(40, &q), BIT(PATH_TCACHE_GET));
    ck_assert_ptr_eq(q, p);
}
END_TEST

START_TEST(test_fastbin_roads)
{
    void *p, *q;
    arenalloc_set_tcache_count(0);
    path_of_malloc(40, &p);
    xmalloc(24);
    ck_assert_uint_eq(path_of_free(p), BIT(PATH_FREE_FASTBIN));
    ck_assert_uint_eq(path_of_malloc(40, &q), BIT(PATH_FASTBIN));
    ck_assert_ptr_eq(q, p);
}
END_TEST

/* Two 0xd0 chunks side by side: the first goes to the unsorted bin, the second
   merges backward with it; a request of exactly the merged size takes it whole. */
START_TEST(test_merge_and_exact_fit)
{
    void *a, *b, *c;
    arenalloc_set_tcache_count(0);
    a = xmalloc(200);
    b = xmalloc(200);
    xmalloc(24);
    ck_assert_uint_eq(path_of_free(a), BIT(PATH_FREE_UNSORTED));
    ck_assert_uint_eq(path_of_free(b), BIT(PATH_CONSOLIDATE_BACKWARD) | BIT(PATH_FREE_UNSORTED));
    ck_assert_uint_eq(path_of_malloc(0x1a0 - 16, &c), BIT(PATH_UNSORTED_EXACT));
    ck_assert_ptr_eq(c, a);
}
END_TEST

/* A larger request sorts the free chunk into its small bin and is cut from top;
   the next request of the chunk's size finds it there. */
START_TEST(test_sorting_then_smallbin)
{
    void *a, *big, *c;
    arenalloc_set_tcache_count(0);
    a = xmalloc(200);
    xmalloc(24);
    arenalloc_free(a);
    ck_assert_uint_eq(path_of_malloc(1000, &big), BIT(PATH_UNSORTED_SORTED) | BIT(PATH_USE_TOP));
    ck_assert_uint_eq(path_of_malloc(200, &c), BIT(PATH_SMALLBIN));
    ck_assert_ptr_eq(c, a);
}
END_TEST

/* A free chunk next to top becomes part of top; a block above the mmap
   threshold is a mapping, and freeing it unmaps it. */
START_TEST(test_top_and_mapping)
{
    void *p, *m;
    arenalloc_set_tcache_count(0);
    path_of_malloc(1000, &p);
    ck_assert_uint_eq(path_of_free(p), BIT(PATH_FREE_TOP));
    ck_assert_uint_eq(path_of_malloc(200 * 1024, &m), BIT(PATH_MMAP));
    ck_assert_uint_eq(path_of_free(m), BIT(PATH_MUNMAP));
}
END_TEST

Suite *path_suite(void)
{
    Suite *s = suite_create("path");
    TCase *tc = tcase_create("roads");
    tcase_add_test(tc, test_names_and_clearing);
    tcase_add_test(tc, test_tcache_roads);
    tcase_add_test(tc, test_fastbin_roads);
    tcase_add_test(tc, test_merge_and_exact_fit);
    tcase_add_test(tc, test_sorting_then_smallbin);
    tcase_add_test(tc, test_top_and_mapping);
    suite_add_tcase(s, tc);
    return s;
}
