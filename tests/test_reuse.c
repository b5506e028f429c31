/*
 * test_reuse.c - which chunk malloc hands out next, asserted on addresses.
 *
 * Every expectation here follows from glibc 2.36's _int_malloc / _int_free /
 * malloc_consolidate with the tcache off, so a student can predict each address
 * from the source.  Reminders (x86-64):
 *   - chunk size = request2size(n) = max(32, (n + 8 + 15) & ~15); malloc(0x18) is a
 *     0x20 chunk, malloc(0x108) a 0x110 chunk, and so on;
 *   - fast chunks (size <= 0x80 by default) go to a LIFO fastbin, keep their "in use"
 *     bit and are merged only by malloc_consolidate;
 *   - other chunks are merged with free neighbours at once and put at the head of the
 *     unsorted bin; malloc scans that bin from the tail (oldest first), returns an
 *     exact fit, and sorts the rest into small bins (insert at head, take from tail:
 *     FIFO) or large bins (sorted by size);
 *   - a request whose chunk size is 0x400 or more (a "large" request) first runs
 *     malloc_consolidate.
 *
 * Guards: small allocations placed between the chunks of a scenario so that they
 * do not merge with each other or with the top chunk.  Addresses are recorded
 * during a scenario and asserted afterwards, so nothing else allocates in between.
 */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "arenalloc.h"
#include "tests/test_helpers.h"

Suite *reuse_suite(void);

/* Fastbins are LIFO stacks: the last chunk freed is the first one reused. */
START_TEST(test_fastbin_lifo)
{
    settle();
    void *a = xmalloc(0x28), *b = xmalloc(0x28), *c = xmalloc(0x28);
    uintptr_t ea = addr(a), eb = addr(b), ec = addr(c);
    arenalloc_free(a);
    arenalloc_free(b);
    arenalloc_free(c);
    uintptr_t x = addr(xmalloc(0x28)), y = addr(xmalloc(0x28)), z = addr(xmalloc(0x28));
    ck_assert_uint_eq(x, ec);
    ck_assert_uint_eq(y, eb);
    ck_assert_uint_eq(z, ea);
    arenalloc_free((void *)x);
    arenalloc_free((void *)y);
    arenalloc_free((void *)z);
}
END_TEST

/* Freeing two adjacent fast chunks does not merge them: the boundary tag still says "in use" and both come back separately. */
START_TEST(test_fastbin_no_coalesce)
{
    settle();
    char *a = xmalloc(0x18), *b = xmalloc(0x18), *guard = xmalloc(0x18);
    uintptr_t ea = addr(a), eb = addr(b);
    arenalloc_free(a);
    arenalloc_free(b);
    size_t b_word = size_word(b);      /* b's header still has PREV_INUSE: a looks allocated */
    uintptr_t m = addr(xmalloc(0x38)); /* a 0x40 request: a merged a+b would fit exactly */
    uintptr_t x = addr(xmalloc(0x18)), y = addr(xmalloc(0x18));

    ck_assert_uint_eq(eb, ea + 0x20); /* the scenario's premise: a and b are neighbours */
    ck_assert_uint_eq(b_word & PREV_INUSE, PREV_INUSE);
    ck_assert_uint_ne(m, ea);
    ck_assert_uint_eq(x, eb);
    ck_assert_uint_eq(y, ea);
    arenalloc_free((void *)m);
    arenalloc_free((void *)x);
    arenalloc_free((void *)y);
    arenalloc_free(guard);
}
END_TEST

/* Small bins are FIFO: chunks sorted into a small bin come back oldest-freed first. */
START_TEST(test_smallbin_fifo)
{
    settle();
    void *g0 = xmalloc(0x18);
    void *p1 = xmalloc(0x1e8), *g1 = xmalloc(0x18); /* 0x1f0 chunks: not fast */
    void *p2 = xmalloc(0x1e8), *g2 = xmalloc(0x18);
    void *p3 = xmalloc(0x1e8), *g3 = xmalloc(0x18);
    uintptr_t e1 = addr(p1), e2 = addr(p2), e3 = addr(p3);
    arenalloc_free(p1); /* unsorted: p3, p2, p1 (head to tail) */
    arenalloc_free(p2);
    arenalloc_free(p3);
    /* A large request none of them can serve: the unsorted scan takes p1, p2, p3 in turn
       and inserts each at the head of the 0x1f0 small bin. */
    void *big = xmalloc(0x1000);
    uintptr_t x1 = addr(xmalloc(0x1e8)), x2 = addr(xmalloc(0x1e8)), x3 = addr(xmalloc(0x1e8));

    ck_assert_uint_eq(x1, e1);
    ck_assert_uint_eq(x2, e2);
    ck_assert_uint_eq(x3, e3);
    arenalloc_free(big);
    arenalloc_free((void *)x1);
    arenalloc_free((void *)x2);
    arenalloc_free((void *)x3);
    arenalloc_free(g0);
    arenalloc_free(g1);
    arenalloc_free(g2);
    arenalloc_free(g3);
}
END_TEST

/* The unsorted scan returns an exact fit at once, sorting the older chunks it passes into their bins. */
START_TEST(test_unsorted_exact_fit)
{
    settle();
    void *g0 = xmalloc(0x18);
    void *p = xmalloc(0x2d8), *g1 = xmalloc(0x18); /* 0x2e0 */
    void *q = xmalloc(0x1d8), *g2 = xmalloc(0x18); /* 0x1e0 */
    void *l = xmalloc(0x508), *g3 = xmalloc(0x18); /* 0x510: large-bin size */
    uintptr_t ep = addr(p), eq = addr(q), el = addr(l);
    arenalloc_free(p); /* oldest: scanned first */
    arenalloc_free(q);
    arenalloc_free(l);
    uintptr_t x = addr(xmalloc(0x1d8)); /* scan: p binned (no fit), q exact -> returned; l stays */
    uintptr_t y = addr(xmalloc(0x508)); /* large request: l is an exact fit in the unsorted bin */
    uintptr_t z = addr(xmalloc(0x2d8)); /* p now comes from its small bin */

    ck_assert_uint_eq(x, eq);
    ck_assert_uint_eq(y, el);
    ck_assert_uint_eq(z, ep);
    arenalloc_free((void *)x);
    arenalloc_free((void *)y);
    arenalloc_free((void *)z);
    arenalloc_free(g0);
    arenalloc_free(g1);
    arenalloc_free(g2);
    arenalloc_free(g3);
}
END_TEST

/* Freeing a non-fast chunk next to a free one merges them (backward: b into a) into one chunk at a's address. */
START_TEST(test_coalesce_backward)
{
    settle();
    void *g0 = xmalloc(0x18);
    void *a = xmalloc(0x108), *b = xmalloc(0x108), *g1 = xmalloc(0x18); /* 0x110 each */
    uintptr_t ea = addr(a), eb = addr(b);
    arenalloc_free(a);
    arenalloc_free(b); /* prev (a) is free: merge into a 0x220 chunk at a */
    size_t g1_prev_size = prev_size_word(g1);
    uintptr_t x = addr(xmalloc(0x218)); /* a 0x220 request */

    ck_assert_uint_eq(eb, ea + 0x110);
    ck_assert_uint_eq(g1_prev_size, 0x220);
    ck_assert_uint_eq(x, ea);
    arenalloc_free((void *)x);
    arenalloc_free(g0);
    arenalloc_free(g1);
}
END_TEST

/* Merging also works forward (a absorbs the free b that follows it) and both ways at once. */
START_TEST(test_coalesce_forward_and_both)
{
    settle();
    void *g0 = xmalloc(0x18);
    void *a = xmalloc(0x108), *b = xmalloc(0x108), *g1 = xmalloc(0x18);
    void *c = xmalloc(0x98), *d = xmalloc(0xa8), *e = xmalloc(0xb8), *g2 = xmalloc(0x18); /* 0xa0, 0xb0, 0xc0 */
    uintptr_t ea = addr(a), ec = addr(c);
    arenalloc_free(b);
    arenalloc_free(a); /* next (b) is free: a+b = 0x220 at a */
    arenalloc_free(c);
    arenalloc_free(e);
    arenalloc_free(d); /* both neighbours free: c+d+e = 0x210 at c */
    uintptr_t x = addr(xmalloc(0x218));
    uintptr_t y = addr(xmalloc(0x208));

    ck_assert_uint_eq(x, ea);
    ck_assert_uint_eq(y, ec);
    arenalloc_free((void *)x);
    arenalloc_free((void *)y);
    arenalloc_free(g0);
    arenalloc_free(g1);
    arenalloc_free(g2);
}
END_TEST

/* A non-fast chunk bordering top is merged into top: a larger request then starts at the same address. */
START_TEST(test_free_next_to_top_merges)
{
    settle();
    void *p = xmalloc(0x2000); /* carved from top: nothing free is this big */
    uintptr_t ep = addr(p);
    arenalloc_free(p); /* merges into top: top now starts at p's chunk */
    uintptr_t x = addr(xmalloc(0x2000));
    arenalloc_free((void *)x);
    uintptr_t y = addr(xmalloc(0x5000)); /* would not fit in p's old chunk: only a merged top explains it */

    ck_assert_uint_eq(x, ep);
    ck_assert_uint_eq(y, ep);
    arenalloc_free((void *)y);
}
END_TEST

/* A large request (>= 0x400) runs malloc_consolidate: adjacent fast chunks merge into one free chunk. */
START_TEST(test_large_request_consolidates_fastbins)
{
    settle();
    void *g0 = xmalloc(0x18);
    char *a = xmalloc(0x58), *b = xmalloc(0x58); /* 0x60 each: fast */
    char *g1 = xmalloc(0x18);
    uintptr_t ea = addr(a), eb = addr(b);
    arenalloc_free(a);
    arenalloc_free(b);
    size_t before = size_word(g1); /* still PREV_INUSE: fast chunks are not merged on free */
    void *big = xmalloc(0x3f8);    /* request2size = 0x400: a large request */
    size_t after = size_word(g1);
    size_t after_prev = prev_size_word(g1);
    uintptr_t x = addr(xmalloc(0xb8)); /* a 0xc0 request: the merged a+b */

    ck_assert_uint_eq(eb, ea + 0x60);
    ck_assert_uint_eq(before & PREV_INUSE, PREV_INUSE);
    ck_assert_uint_eq(after & PREV_INUSE, 0);
    ck_assert_uint_eq(after_prev, 0xc0);
    ck_assert_uint_eq(x, ea);
    arenalloc_free(big);
    arenalloc_free((void *)x);
    arenalloc_free(g0);
    arenalloc_free(g1);
}
END_TEST

/* A split chunk's remainder becomes last_remainder; following small requests are carved from it one after another. */
START_TEST(test_split_and_last_remainder)
{
    settle();
    void *g0 = xmalloc(0x18);
    void *p = xmalloc(0x3e8), *g1 = xmalloc(0x18); /* 0x3f0 */
    uintptr_t ep = addr(p);
    arenalloc_free(p);
    /* 0x100 requests: the first sorts p into its bin, finds it through the binmap and splits it
       (remainder 0x2f0, advertised as last_remainder); the next ones take the "last remainder"
       shortcut while the remainder is the only unsorted chunk and larger than nb + MINSIZE. */
    uintptr_t x1 = addr(xmalloc(0xf8)), x2 = addr(xmalloc(0xf8)), x3 = addr(xmalloc(0xf8));

    ck_assert_uint_eq(x1, ep);
    ck_assert_uint_eq(x2, ep + 0x100);
    ck_assert_uint_eq(x3, ep + 0x200);
    arenalloc_free((void *)x1);
    arenalloc_free((void *)x2);
    arenalloc_free((void *)x3);
    arenalloc_free(g0);
    arenalloc_free(g1);
}
END_TEST

/* Frees 0x500, 0x600 and 0x700 chunks (separated by guards) and sorts them into their large bins. */
static void three_large_chunks(uintptr_t e[3], void *guards[4])
{
    settle();
    guards[0] = xmalloc(0x18);
    void *l5 = xmalloc(0x4f8);
    guards[1] = xmalloc(0x18);
    void *l6 = xmalloc(0x5f8);
    guards[2] = xmalloc(0x18);
    void *l7 = xmalloc(0x6f8);
    guards[3] = xmalloc(0x18);
    e[0] = addr(l5), e[1] = addr(l6), e[2] = addr(l7);
    arenalloc_free(l5);
    arenalloc_free(l6);
    arenalloc_free(l7);
    /* A bigger request: none fits, so the scan sorts all three into large bins. */
    void *sorter = xmalloc(0x7f8);
    arenalloc_free(sorter);
}

/* A large request checks its own large bin first: a 0x600 request takes the 0x600 chunk. */
START_TEST(test_largebin_exact_fit)
{
    uintptr_t e[3];
    void *g[4];
    three_large_chunks(e, g);
    uintptr_t x = addr(xmalloc(0x5f8));
    ck_assert_uint_eq(x, e[1]);
    arenalloc_free((void *)x);
    for (int i = 0; i < 4; i++)
        arenalloc_free(g[i]);
}
END_TEST

/* Best fit: a 0x540 request (its own bin empty) takes the smallest chunk that fits, 0x600 - not the oldest, not the largest. */
START_TEST(test_largebin_best_fit_between)
{
    uintptr_t e[3];
    void *g[4];
    three_large_chunks(e, g);
    uintptr_t x = addr(xmalloc(0x538));
    ck_assert_uint_eq(x, e[1]);
    arenalloc_free((void *)x);
    for (int i = 0; i < 4; i++)
        arenalloc_free(g[i]);
}
END_TEST

/* Inside one large bin (0x1000-0x11f0 share a bin) chunks are kept sorted, and the smallest that fits is chosen. */
START_TEST(test_largebin_best_fit_within_bin)
{
    settle();
    void *g0 = xmalloc(0x18);
    void *a = xmalloc(0x1178), *g1 = xmalloc(0x18); /* 0x1180 */
    void *b = xmalloc(0x0ff8), *g2 = xmalloc(0x18); /* 0x1000 */
    void *c = xmalloc(0x10f8), *g3 = xmalloc(0x18); /* 0x1100 */
    uintptr_t eb = addr(b), ec = addr(c);
    arenalloc_free(a);
    arenalloc_free(b);
    arenalloc_free(c);
    void *sorter = xmalloc(0x1ff8);
    uintptr_t x = addr(xmalloc(0x1078)); /* 0x1080: 0x1000 is too small, 0x1100 is the best fit */
    uintptr_t y = addr(xmalloc(0x0ff8)); /* 0x1000: exact */

    ck_assert_uint_eq(x, ec);
    ck_assert_uint_eq(y, eb);
    arenalloc_free(sorter);
    arenalloc_free((void *)x);
    arenalloc_free((void *)y);
    arenalloc_free(g0);
    arenalloc_free(g1);
    arenalloc_free(g2);
    arenalloc_free(g3);
}
END_TEST

Suite *reuse_suite(void)
{
    Suite *s = suite_create("reuse");

    TCase *tc = tcase_create("fastbins");

    tcase_add_checked_fixture(tc, tcache_off, NULL);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_fastbin_lifo);
    tcase_add_test(tc, test_fastbin_no_coalesce);
    tcase_add_test(tc, test_large_request_consolidates_fastbins);
    suite_add_tcase(s, tc);

    tc = tcase_create("unsorted_small");

    tcase_add_checked_fixture(tc, tcache_off, NULL);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_smallbin_fifo);
    tcase_add_test(tc, test_unsorted_exact_fit);
    tcase_add_test(tc, test_split_and_last_remainder);
    suite_add_tcase(s, tc);

    tc = tcase_create("coalescing");

    tcase_add_checked_fixture(tc, tcache_off, NULL);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_coalesce_backward);
    tcase_add_test(tc, test_coalesce_forward_and_both);
    tcase_add_test(tc, test_free_next_to_top_merges);
    suite_add_tcase(s, tc);

    tc = tcase_create("large_bins");

    tcase_add_checked_fixture(tc, tcache_off, NULL);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_largebin_exact_fit);
    tcase_add_test(tc, test_largebin_best_fit_between);
    tcase_add_test(tc, test_largebin_best_fit_within_bin);
    suite_add_tcase(s, tc);

    return s;
}
