/*
 * test_fill.c - the fill patterns of the debugging allocators in the seeds
 * (ARENALLOC_FILL=1 or arenalloc_set_fill(1)): every block malloc returns reads
 * 0xA1, every block free takes back reads 0xDE past the links free writes into
 * it; calloc still returns zeroes and realloc keeps the contents.  With the fill
 * off, nothing is filled: glibc's behaviour, where a block freed and allocated
 * again still holds its old bytes.
 *
 * Freed memory is read on purpose (white-box, through the prefixed build):
 * after free, a non-fast chunk's payload holds fd and bk (and, from 1 KiB up,
 * fd_nextsize and bk_nextsize) and a fastbin chunk's holds fd; the fill lies
 * past them, up to the next chunk's prev_size.
 *
 * Each test runs in a process of its own (Check's fork mode) in which the
 * allocator has not started yet, so ARENALLOC_FILL set by setenv before the
 * first call is read at start-up.
 */
#include <check.h>
#include <malloc.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "arena/main_arena.h"
#include "bins/fastbins.h"
#include "bins/perturb.h"
#include "include/arenalloc.h"
#include "tests/suites.h"
#define TEST_HELPERS_ARENA
#include "tests/test_helpers.h"

#define A1 0xA1
#define DE 0xDE

static void fill_from_env(void)
{
    ck_assert_msg(!atomic_load(&__malloc_initialized),
                  "the allocator ran before this test; ARENALLOC_FILL needs Check's fork mode");
    ck_assert_int_eq(setenv("ARENALLOC_FILL", "1", 1), 0);
}

/* Where a freed chunk's fill starts: past fd/bk, or past fd_nextsize/bk_nextsize
   too for a chunk of large-bin size. */
static size_t links_end(size_t chunk)
{
    return chunk >= MIN_LARGE_SIZE ? 4 * sizeof(void *) : 2 * sizeof(void *);
}

/* malloc fills the requested bytes with 0xA1: from top, from a bin, and in a
   chunk with its own mapping. */
static void assert_malloc_fills(void)
{
    const size_t sizes[] = {1, 24, 100, 200, 5000, 100000};
    void *p[6];
    for (int i = 0; i < 6; i++) {
        p[i] = xmalloc(sizes[i]);
        ck_assert(!is_mmapped(p[i]));
        ck_assert_bytes(p[i], 0, sizes[i], A1);
        memset(p[i], 0x33, sizes[i]);
    }
    char *m = xmalloc(1u << 20);
    ck_assert(is_mmapped(m));
    ck_assert_bytes(m, 0, 1u << 20, A1);
    arenalloc_free(p[3]);
    char *again = xmalloc(200); /* the freed chunk, from the unsorted bin */
    ck_assert_ptr_eq(again, p[3]);
    ck_assert_bytes(again, 0, 200, A1);
    arenalloc_free(p[1]);
    char *fast = xmalloc(24); /* from the fastbin */
    ck_assert_ptr_eq(fast, p[1]);
    ck_assert_bytes(fast, 0, 24, A1);
    for (int i = 0; i < 6; i++)
        if (i != 1 && i != 3)
            arenalloc_free(p[i]);
    arenalloc_free(again);
    arenalloc_free(fast);
    arenalloc_free(m);
    ck_assert_ptr_null(arenalloc_check_heap());
}

/* free fills a chunk with 0xDE past the links it writes: non-fast chunks of
   small- and large-bin sizes, and fastbin chunks. */
static void assert_free_fills(void)
{
    /* Every block with an in-use chunk after it, all allocated first, so no
       freed chunk merges with a neighbour or with top. */
    const size_t sizes[] = {200, 600, 3000, 50000, 24, 40, 100, 120};
    enum { N = sizeof sizes / sizeof sizes[0] };
    char *p[N];
    for (int i = 0; i < N; i++) {
        p[i] = xmalloc(sizes[i]);
        memset(p[i], 0x33, sizes[i]);
    }
    for (int i = 0; i < N; i++)
        guard_after(p[i]);
    for (int i = 0; i < N; i++) {
        size_t c = csize(p[i]);
        arenalloc_free(p[i]);
        if (c <= get_max_fast()) {
            ck_assert_ptr_eq(main_arena.fastbinsY[fastbin_index(c)], mem2chunk(p[i]));
            ck_assert_bytes(p[i], sizeof(void *), c - CHUNK_HDR_SZ, DE);
        } else {
            ck_assert_bytes(p[i], links_end(c), c - CHUNK_HDR_SZ, DE);
        }
    }
}

/* With the fill off: a block freed and allocated again keeps its old bytes past
   the links, and a fresh mapping reads 0, not 0xA1. */
static void assert_no_fill(void)
{
    char *m = xmalloc(1u << 20);
    ck_assert(is_mmapped(m));
    ck_assert_bytes(m, 0, 1u << 20, 0);
    char *p = xmalloc(200);
    guard_after(p);
    memset(p, 0x5a, 200);
    arenalloc_free(p);
    ck_assert_bytes(p, 2 * sizeof(void *), 192, 0x5a);
    char *q = xmalloc(200);
    ck_assert_ptr_eq(q, p);
    ck_assert_bytes(q, 2 * sizeof(void *), 192, 0x5a); /* (the last 8 bytes held free's boundary tag) */
    char *f = xmalloc(40);
    memset(f, 0x6b, 40);
    arenalloc_free(f);
    char *f2 = xmalloc(40);
    ck_assert_ptr_eq(f2, f);
    ck_assert_bytes(f2, sizeof(void *), 40, 0x6b);
    arenalloc_free(m);
    arenalloc_free(q);
    arenalloc_free(f2);
}

/* ---- tests ---------------------------------------------------------------------- */

/* ARENALLOC_FILL=1 at start-up: malloc returns 0xA1 bytes, from the heap and from mmap. */
START_TEST(test_env_fill_malloc)
{
    fill_from_env();
    assert_malloc_fills();
    ck_assert(fill_patterns);
}
END_TEST

/* ARENALLOC_FILL=1 at start-up: free leaves 0xDE past the links, in non-fast and fastbin chunks. */
START_TEST(test_env_fill_free)
{
    fill_from_env();
    assert_free_fills();
}
END_TEST

/* arenalloc_set_fill(1), before the first call or after it, does what ARENALLOC_FILL=1 does. */
START_TEST(test_set_fill_on)
{
    if (_i == 1)
        arenalloc_free(xmalloc(10));
    arenalloc_set_fill(1);
    assert_malloc_fills();
    assert_free_fills();
}
END_TEST

/* By default nothing is filled: a freed-then-reallocated block keeps its old bytes, as in glibc. */
START_TEST(test_fill_off_by_default)
{
    ck_assert(!atomic_load(&__malloc_initialized));
    assert_no_fill();
    ck_assert(!fill_patterns);
}
END_TEST

/* ARENALLOC_FILL with another value than 1 leaves the fill off. */
START_TEST(test_env_fill_other_values)
{
    const char *values[] = {"0", "", "yes", "2"};
    ck_assert(!atomic_load(&__malloc_initialized));
    ck_assert_int_eq(setenv("ARENALLOC_FILL", values[_i], 1), 0);
    assert_no_fill();
}
END_TEST

/* arenalloc_set_fill(0) turns the fill of ARENALLOC_FILL=1 off again. */
START_TEST(test_set_fill_off)
{
    fill_from_env();
    arenalloc_free(xmalloc(10));
    ck_assert(fill_patterns);
    arenalloc_set_fill(0);
    assert_no_fill();
}
END_TEST

/* calloc still returns zeroes with the fill on: from top, from a 0xDE-filled free chunk, from a fastbin, from mmap. */
START_TEST(test_fill_calloc_zeroes)
{
    fill_from_env();
    char *top = arenalloc_calloc(1, 3000);
    ck_assert_ptr_nonnull(top);
    ck_assert_bytes(top, 0, 3000, 0);

    char *p = xmalloc(3000), *g = xmalloc(16);
    arenalloc_free(p);
    char *reused = arenalloc_calloc(3, 1000);
    ck_assert_ptr_eq(reused, p);
    ck_assert_bytes(reused, 0, 3000, 0);

    char *f = xmalloc(40), *g2 = xmalloc(16);
    arenalloc_free(f);
    char *fast = arenalloc_calloc(5, 8);
    ck_assert_ptr_eq(fast, f);
    ck_assert_bytes(fast, 0, 40, 0);

    char *m = arenalloc_calloc(1, 2u << 20);
    ck_assert_ptr_nonnull(m);
    ck_assert(is_mmapped(m));
    ck_assert_bytes(m, 0, 2u << 20, 0);

    arenalloc_free(top);
    arenalloc_free(reused);
    arenalloc_free(fast);
    arenalloc_free(m);
    arenalloc_free(g);
    arenalloc_free(g2);
    ck_assert_ptr_null(arenalloc_check_heap());
}
END_TEST

static void pattern(unsigned char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (unsigned char)(i * 7 + 1);
}

static long pattern_mismatch(const unsigned char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != (unsigned char)(i * 7 + 1))
            return (long)i;
    return -1;
}

/* realloc with the fill on keeps the contents: grown in place, moved, shrunk, and a mapped chunk grown. */
START_TEST(test_fill_realloc_preserves)
{
    fill_from_env();

    /* Moved: an in-use chunk follows the block; the old chunk is freed (0xDE). */
    unsigned char *a = xmalloc(300);
    guard_after(a);
    pattern(a, 300);
    unsigned char *moved = arenalloc_realloc(a, 3000);
    ck_assert_ptr_nonnull(moved);
    ck_assert(moved != a);
    ck_assert_int_eq(pattern_mismatch(moved, 300), -1);
    ck_assert_bytes(a, links_end(csize(a)), csize(a) - CHUNK_HDR_SZ, DE);

    /* In place: the block borders top. */
    unsigned char *b = xmalloc(1000);
    pattern(b, 1000);
    unsigned char *grown = arenalloc_realloc(b, 20000);
    ck_assert_ptr_eq(grown, b);
    ck_assert_int_eq(pattern_mismatch(grown, 1000), -1);

    /* Shrunk in place. */
    pattern(grown, 20000);
    unsigned char *shrunk = arenalloc_realloc(grown, 500);
    ck_assert_ptr_eq(shrunk, grown);
    ck_assert_int_eq(pattern_mismatch(shrunk, 500), -1);

    /* A mapped chunk grown. */
    unsigned char *m = xmalloc(1u << 20);
    ck_assert(is_mmapped(m));
    pattern(m, 1u << 20);
    unsigned char *m2 = arenalloc_realloc(m, 3u << 20);
    ck_assert_ptr_nonnull(m2);
    ck_assert_int_eq(pattern_mismatch(m2, 1u << 20), -1);

    /* realloc(NULL, n) is malloc: filled. */
    unsigned char *n = arenalloc_realloc(NULL, 700);
    ck_assert_bytes(n, 0, 700, A1);

    arenalloc_free(moved);
    arenalloc_free(shrunk);
    arenalloc_free(m2);
    arenalloc_free(n);
    ck_assert_ptr_null(arenalloc_check_heap());
}
END_TEST

/* The fill patterns win over M_PERTURB when both are on (perturb.h's rule), and M_PERTURB applies again once the fill is off. */
START_TEST(test_fill_beats_perturb)
{
    ck_assert_int_eq(arenalloc_mallopt(M_PERTURB, 0x11), 1);
    arenalloc_set_fill(1);
    assert_malloc_fills();
    assert_free_fills();
    arenalloc_set_fill(0);
    char *p = xmalloc(200), *g = xmalloc(16);
    ck_assert_bytes(p, 0, 200, 0x11 ^ 0xff);
    arenalloc_free(p);
    ck_assert_bytes(p, 4 * sizeof(void *), 192, 0x11); /* past the links, even if p merged with a free neighbour */
    arenalloc_free(g);
}
END_TEST

Suite *fill_suite(void)
{
    Suite *s = suite_create("fill");
    TCase *tc = tcase_create("patterns");
    tcase_add_checked_fixture(tc, tcache_off_env, NULL);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_env_fill_malloc);
    tcase_add_test(tc, test_env_fill_free);
    tcase_add_loop_test(tc, test_set_fill_on, 0, 2);
    tcase_add_test(tc, test_fill_off_by_default);
    tcase_add_loop_test(tc, test_env_fill_other_values, 0, 4);
    tcase_add_test(tc, test_set_fill_off);
    tcase_add_test(tc, test_fill_calloc_zeroes);
    tcase_add_test(tc, test_fill_realloc_preserves);
    tcase_add_test(tc, test_fill_beats_perturb);
    suite_add_tcase(s, tc);
    return s;
}
