/*
 * test_mmap.c - when malloc uses mmap, and how the mmap threshold moves.
 *
 * In glibc the threshold is not a plain size test: _int_malloc first tries the bins
 * and top, and only sysmalloc (top too small) compares the chunk size nb with
 * mp_.mmap_threshold (default 128 KiB): nb >= threshold and fewer than
 * mp_.n_mmaps_max mappings -> mmap a chunk of ALIGN_UP(nb + 8, pagesize) bytes;
 * otherwise grow the heap by nb + top_pad.  So the tests that pin the boundary
 * first make top small (M_TOP_PAD 0 and a few allocations).
 *
 * Freeing an mmapped chunk larger than the threshold raises the threshold to that
 * chunk's size (and the trim threshold to twice that), up to
 * DEFAULT_MMAP_THRESHOLD_MAX; any mallopt of M_MMAP_THRESHOLD, M_MMAP_MAX,
 * M_TOP_PAD or M_TRIM_THRESHOLD switches that rise off for good.
 *
 * These settings are process-wide, so every test here assumes it runs in a fresh
 * process: Check's fork mode (the default; not with CK_FORK=no).
 */
#include <check.h>
#include <errno.h>
#include <malloc.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "arenalloc.h"
#include "tests/test_helpers.h"

Suite *mmap_suite(void);

/* With M_TOP_PAD 0, heap growth leaves top below a page + MINSIZE; a few 48 KiB
   allocations make sure the heap has grown at least once.  Returns them for freeing. */
enum { SHRINK_N = 8 };
static void shrink_top(void *keep[SHRINK_N])
{
    ck_assert_int_eq(arenalloc_mallopt(M_TOP_PAD, 0), 1);
    for (int i = 0; i < SHRINK_N; i++) {
        keep[i] = xmalloc(48 * 1024);
        ck_assert(!is_mmapped(keep[i]));
    }
}

static void free_all(void *keep[], int n)
{
    for (int i = 0; i < n; i++)
        arenalloc_free(keep[i]);
}

/* Below the threshold a request never gets its own mapping; far above it (top cannot serve it) it always does. */
START_TEST(test_mmapped_bit_by_size)
{
    const size_t small[] = {0, 1, 1000, 100000, 128 * 1024 - 24}; /* last: nb = 128 KiB - 16 */
    const size_t big[] = {256 * 1024, 1u << 20, 8u << 20};
    void *sp[5], *bp[3];
    for (int i = 0; i < 3; i++)
        bp[i] = xmalloc(big[i]); /* all live: freeing one would move the threshold */
    for (int i = 0; i < 5; i++)
        sp[i] = xmalloc(small[i]);
    for (int i = 0; i < 5; i++)
        ck_assert_msg(!is_mmapped(sp[i]), "malloc(%zu) is mmapped", small[i]);
    for (int i = 0; i < 3; i++)
        ck_assert_msg(is_mmapped(bp[i]), "malloc(%zu) is not mmapped", big[i]);
    free_all(sp, 5);
    free_all(bp, 3);
}
END_TEST

/* An mmapped chunk starts at its mapping (prev_size 0, pointer = page + 16), spans whole pages, and lends no next prev_size. */
START_TEST(test_mmapped_chunk_layout)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    const size_t sizes[] = {256 * 1024, 300000, (1u << 20) + 1};
    void *p[3];
    for (int i = 0; i < 3; i++)
        p[i] = xmalloc(sizes[i]);
    for (int i = 0; i < 3; i++) {
        ck_assert(is_mmapped(p[i]));
        ck_assert_uint_eq((uintptr_t)p[i] % page, 16);
        ck_assert_uint_eq(prev_size_word(p[i]), 0);
        /* nb = request2size(n); the mapping is ALIGN_UP(nb + 8, page) */
        size_t nb = (sizes[i] + 8 + 15) & ~(size_t)15;
        ck_assert_uint_eq(chunk_size(p[i]), (nb + 8 + page - 1) & ~(page - 1));
        ck_assert_uint_eq(arenalloc_malloc_usable_size(p[i]), chunk_size(p[i]) - 16);
        memset(p[i], 0x44, arenalloc_malloc_usable_size(p[i]));
    }
    free_all(p, 3);
}
END_TEST

/* Freeing an mmapped chunk unmaps it at once (munmap_chunk); nothing is cached. */
START_TEST(test_free_unmaps_at_once)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    char *p = xmalloc(1u << 20);
    ck_assert(is_mmapped(p));
    char *base = p - 16 - prev_size_word(p);
    size_t len = chunk_size(p) + prev_size_word(p);
    unsigned char vec[(((1u << 20) + 8192) / 4096) + 1];
    ck_assert_uint_le(len / page, sizeof vec);
    ck_assert_int_eq(mincore(base, len, vec), 0);
    arenalloc_free(p);
    errno = 0;
    int rc = mincore(base, len, vec);
    int err = errno;
    ck_assert_int_eq(rc, -1);
    ck_assert_int_eq(err, ENOMEM); /* "not mapped" */
}
END_TEST

/* The default boundary, exactly: nb = 128 KiB - 16 grows the heap, nb = 128 KiB is mmapped (top being small). */
START_TEST(test_default_threshold_exact_boundary)
{
    void *keep[SHRINK_N];
    shrink_top(keep);
    void *below = xmalloc(128 * 1024 - 24); /* request2size = 0x1fff0 */
    void *at = xmalloc(128 * 1024 - 8);     /* request2size = 0x20000 */
    ck_assert(!is_mmapped(below));
    ck_assert(is_mmapped(at));
    arenalloc_free(below);
    arenalloc_free(at);
    free_all(keep, SHRINK_N);
    ck_assert_int_eq(arenalloc_mallopt(M_TOP_PAD, 128 * 1024), 1); /* the default value */
}
END_TEST

/* Freeing an mmapped chunk of size C sets the threshold to C: afterwards nb = C - 16 comes from the heap, nb = C is mmapped. */
START_TEST(test_dynamic_threshold_rises_to_freed_size)
{
    void *p = xmalloc(256 * 1024);
    ck_assert_msg(is_mmapped(p), "256 KiB should start out mmapped (fresh process, default threshold)");
    size_t c = chunk_size(p); /* 0x41000 */
    arenalloc_free(p);
    void *same = xmalloc(256 * 1024);
    void *below = xmalloc(c - 24); /* nb = c - 16 */
    void *at = xmalloc(c - 8);     /* nb = c */
    ck_assert(!is_mmapped(same));
    ck_assert(!is_mmapped(below));
    ck_assert(is_mmapped(at));
    arenalloc_free(same);
    arenalloc_free(below);
    arenalloc_free(at);
}
END_TEST

/* The threshold only goes up: freeing a smaller mmapped chunk afterwards does not lower it again. */
START_TEST(test_dynamic_threshold_only_rises)
{
    void *big = xmalloc(400 * 1024);
    void *small = xmalloc(200 * 1024);
    ck_assert(is_mmapped(big));
    ck_assert(is_mmapped(small));
    arenalloc_free(big);   /* threshold -> ~400 KiB */
    arenalloc_free(small); /* 200 KiB < threshold: no change */
    void *mid = xmalloc(300 * 1024);
    ck_assert(!is_mmapped(mid));
    arenalloc_free(mid);
}
END_TEST

/* The rise does not stop at the heap size: a freed 2 MiB mapped chunk (twice a
   thread arena's 1 MiB heap) raises the threshold to its size, as on glibc, so
   a 1.5 MiB block comes from main_arena's heap and one of the chunk's size is
   still mapped. */
START_TEST(test_dynamic_threshold_above_heap_size)
{
    void *big = xmalloc(2u << 20);
    ck_assert(is_mmapped(big));
    size_t c = chunk_size(big);
    arenalloc_free(big);
    void *p = xmalloc(3u << 19);
    void *at = xmalloc(c - 8); /* nb = c */
    ck_assert_msg(!is_mmapped(p), "after freeing a mapped 2 MiB chunk, malloc(1.5 MiB) should come from the heap");
    ck_assert(is_mmapped(at));
    arenalloc_free(p);
    arenalloc_free(at);
}
END_TEST

/* Chunks above DEFAULT_MMAP_THRESHOLD_MAX (32 MiB on 64-bit, glibc's) do not move the threshold. */
START_TEST(test_dynamic_threshold_ceiling)
{
    void *huge = xmalloc(33u << 20);
    ck_assert(is_mmapped(huge));
    arenalloc_free(huge);
    void *p = xmalloc(200 * 1024); /* still above the unchanged 128 KiB threshold */
    void *q = xmalloc(33u << 20);
    ck_assert(is_mmapped(p));
    ck_assert(is_mmapped(q));
    arenalloc_free(p);
    arenalloc_free(q);
}
END_TEST

/* mallopt(M_MMAP_THRESHOLD) moves the boundary up, and freeing mmapped chunks no longer moves it. */
START_TEST(test_mallopt_threshold_up_and_fixed)
{
    ck_assert_int_eq(arenalloc_mallopt(M_MMAP_THRESHOLD, 256 * 1024), 1);
    void *a = xmalloc(200 * 1024); /* mmapped by default, heap now */
    void *b = xmalloc(300 * 1024);
    ck_assert(!is_mmapped(a));
    ck_assert(is_mmapped(b));
    arenalloc_free(b); /* no dynamic rise after mallopt */
    void *c = xmalloc(300 * 1024);
    ck_assert(is_mmapped(c));
    arenalloc_free(a);
    arenalloc_free(c);
    ck_assert_int_eq(arenalloc_mallopt(M_MMAP_THRESHOLD, 128 * 1024), 1); /* the default value (still fixed) */
}
END_TEST

/* mallopt(M_MMAP_THRESHOLD) moves the boundary down: 100 KiB is mmapped under a 64 KiB threshold (top being small). */
START_TEST(test_mallopt_threshold_down)
{
    ck_assert_int_eq(arenalloc_mallopt(M_MMAP_THRESHOLD, 64 * 1024), 1);
    void *keep[SHRINK_N];
    shrink_top(keep);
    void *below = xmalloc(60 * 1024);
    void *above = xmalloc(100 * 1024);
    ck_assert(!is_mmapped(below));
    ck_assert(is_mmapped(above));
    arenalloc_free(below);
    arenalloc_free(above);
    free_all(keep, SHRINK_N);
    ck_assert_int_eq(arenalloc_mallopt(M_MMAP_THRESHOLD, 128 * 1024), 1); /* the default values (still fixed) */
    ck_assert_int_eq(arenalloc_mallopt(M_TOP_PAD, 128 * 1024), 1);
}
END_TEST

/* M_MMAP_MAX caps the number of live mappings: 0 sends everything to the heap, 1 allows one at a time. */
START_TEST(test_mallopt_mmap_max)
{
    ck_assert_int_eq(arenalloc_mallopt(M_MMAP_MAX, 0), 1);
    char *a = xmalloc(1u << 20);
    ck_assert(!is_mmapped(a));
    ck_assert_uint_ge(arenalloc_malloc_usable_size(a), 1u << 20);
    memset(a, 1, 1u << 20);

    ck_assert_int_eq(arenalloc_mallopt(M_MMAP_MAX, 1), 1);
    void *b = xmalloc(1u << 20);
    void *c = xmalloc(1u << 20); /* one mapping is live: the heap again */
    ck_assert(is_mmapped(b));
    ck_assert(!is_mmapped(c));
    arenalloc_free(b);
    void *d = xmalloc(1u << 20); /* the count went back to 0 */
    ck_assert(is_mmapped(d));
    arenalloc_free(a);
    arenalloc_free(c);
    arenalloc_free(d);
    ck_assert_int_eq(arenalloc_mallopt(M_MMAP_MAX, 65536), 1); /* the default value */
    const char *why = arenalloc_check_heap();
    ck_assert_msg(why == NULL, "%s", why);
}
END_TEST

Suite *mmap_suite(void)
{
    Suite *s = suite_create("mmap");
    TCase *tc = tcase_create("threshold");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_mmapped_bit_by_size);
    tcase_add_test(tc, test_mmapped_chunk_layout);
    tcase_add_test(tc, test_free_unmaps_at_once);
    tcase_add_test(tc, test_default_threshold_exact_boundary);
    tcase_add_test(tc, test_dynamic_threshold_rises_to_freed_size);
    tcase_add_test(tc, test_dynamic_threshold_only_rises);
    tcase_add_test(tc, test_dynamic_threshold_above_heap_size);
    tcase_add_test(tc, test_dynamic_threshold_ceiling);
    tcase_add_test(tc, test_mallopt_threshold_up_and_fixed);
    tcase_add_test(tc, test_mallopt_threshold_down);
    tcase_add_test(tc, test_mallopt_mmap_max);
    suite_add_tcase(s, tc);
    return s;
}
