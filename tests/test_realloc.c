/*
 * test_realloc.c - realloc keeps contents, and keeps the address where glibc does.
 *
 * glibc's __libc_realloc / _int_realloc: a heap chunk that is already big enough is
 * split in place; a chunk followed by top grows into top; a chunk followed by a free
 * chunk absorbs it; otherwise malloc-copy-free.  An mmapped chunk is resized with
 * mremap (mremap_chunk) and stays mmapped, whatever the new size.
 */
#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "arenalloc.h"
#include "tests/test_helpers.h"

Suite *realloc_suite(void);

/* The byte at offset i of a block tagged `tag`. */
static unsigned char pattern(unsigned tag, size_t i) { return (unsigned char)(tag * 31 + i * 7 + (i >> 8) * 3); }

static void fill(void *p, size_t n, unsigned tag)
{
    unsigned char *b = p;
    for (size_t i = 0; i < n; i++)
        b[i] = pattern(tag, i);
}

/* Offset of the first byte of [p, p + n) that does not match, or n. */
static size_t first_mismatch(const void *p, size_t n, unsigned tag)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++)
        if (b[i] != pattern(tag, i))
            return i;
    return n;
}

/* Growing and shrinking through fast, small, large and mmapped sizes keeps the common prefix. */
START_TEST(test_contents_preserved_grow_and_shrink)
{
    /* Heap sizes first (an mmapped chunk stays mmapped), then into and through mmapped sizes. */
    const size_t steps[] = {1,    24,   25,    120,   130,    1000,   1024,    0x3f8,   0x408,  5000, 70000,
                            1500, 100,  16,    40,    131056, 70000,  140000,  600000,  3000000, 200000, 50000,
                            8,    2000000};
    unsigned tag = 1;
    size_t n = steps[0];
    unsigned char *p = xmalloc(n);
    fill(p, n, tag);
    for (size_t i = 1; i < sizeof steps / sizeof steps[0]; i++) {
        size_t m = steps[i];
        unsigned char *q = arenalloc_realloc(p, m);
        ck_assert_msg(q != NULL, "realloc(%zu -> %zu) failed", n, m);
        ck_assert_msg(((uintptr_t)q & 15) == 0, "realloc(%zu -> %zu) misaligned", n, m);
        ck_assert_uint_ge(arenalloc_malloc_usable_size(q), m);
        size_t keep = n < m ? n : m;
        size_t at = first_mismatch(q, keep, tag);
        ck_assert_msg(at == keep, "realloc(%zu -> %zu): byte %zu lost", n, m, at);
        tag++;
        fill(q, m, tag);
        p = q;
        n = m;
        const char *why = arenalloc_check_heap();
        ck_assert_msg(why == NULL, "after realloc to %zu: %s", m, why);
    }
    arenalloc_free(p);
}
END_TEST

/* Shrinking a heap chunk never moves it; the cut-off tail is freed as a chunk of its own and reused. */
START_TEST(test_shrink_in_place)
{
    settle();
    void *g0 = xmalloc(0x18);
    unsigned char *p = xmalloc(0xff8), *g1 = xmalloc(0x18); /* chunk 0x1000 */
    fill(p, 0xff8, 7);
    uintptr_t e = addr(p);
    unsigned char *q = arenalloc_realloc(p, 0x108);  /* chunk 0x110, tail 0xef0 freed */
    uintptr_t tail = addr(xmalloc(0xee8));           /* exactly the tail's size */
    unsigned char *r = arenalloc_realloc(q, 0x100);  /* same chunk size: nothing to do */

    ck_assert_uint_eq(addr(q), e);
    ck_assert_uint_eq(tail, e + 0x110);
    ck_assert_uint_eq(addr(r), e);
    ck_assert_uint_eq(first_mismatch(r, 0x100, 7), 0x100);
    arenalloc_free(r);
    arenalloc_free((void *)tail);
    arenalloc_free(g0);
    arenalloc_free(g1);
}
END_TEST

/* A chunk followed by a free chunk grows into it in place; the unused rest is split off again. */
START_TEST(test_grow_into_free_next_chunk)
{
    settle();
    void *g0 = xmalloc(0x18);
    unsigned char *a = xmalloc(0x108), *b = xmalloc(0x108), *g1 = xmalloc(0x18); /* 0x110 each */
    uintptr_t ea = addr(a), eb = addr(b);
    fill(a, 0x108, 3);
    arenalloc_free(b);
    unsigned char *q = arenalloc_realloc(a, 0x188); /* needs 0x190 of the 0x220 */
    uintptr_t rest = addr(xmalloc(0x88));           /* the 0x90 left over */

    ck_assert_uint_eq(eb, ea + 0x110);
    ck_assert_uint_eq(addr(q), ea);
    ck_assert_uint_eq(rest, ea + 0x190);
    ck_assert_uint_eq(first_mismatch(q, 0x108, 3), 0x108);
    arenalloc_free(q);
    arenalloc_free((void *)rest);
    arenalloc_free(g0);
    arenalloc_free(g1);
}
END_TEST

/* The last chunk before top grows into top in place, as far as the heap will go. */
START_TEST(test_grow_into_top)
{
    settle();
    unsigned char *p = xmalloc(0x3000); /* carved from top */
    fill(p, 0x3000, 9);
    uintptr_t e = addr(p);
    unsigned char *q = arenalloc_realloc(p, 0x9000);
    uintptr_t eq1 = addr(q);
    unsigned char *r = arenalloc_realloc(q, 0x18000); /* more than top holds: top is extended first */
    uintptr_t eq2 = addr(r);

    ck_assert_uint_eq(eq1, e);
    ck_assert_uint_eq(eq2, e);
    ck_assert_uint_eq(first_mismatch(r, 0x3000, 9), 0x3000);
    arenalloc_free(r);
}
END_TEST

/* When the next chunk is in use, realloc moves the block (malloc-copy-free) and the old chunk is free again. */
START_TEST(test_grow_blocked_moves)
{
    settle();
    void *g0 = xmalloc(0x18);
    unsigned char *a = xmalloc(0x108), *b = xmalloc(0x108); /* b pins a in place */
    fill(a, 0x108, 5);
    uintptr_t ea = addr(a);
    unsigned char *q = arenalloc_realloc(a, 0x400);
    uintptr_t again = addr(xmalloc(0x108)); /* a's old chunk, now in the unsorted bin */

    ck_assert_uint_eq(addr(b), ea + 0x110);
    ck_assert_ptr_nonnull(q);
    ck_assert_uint_ne(addr(q), ea);
    ck_assert_uint_eq(first_mismatch(q, 0x108, 5), 0x108);
    ck_assert_uint_eq(again, ea);
    arenalloc_free(q);
    arenalloc_free((void *)again);
    arenalloc_free(b);
    arenalloc_free(g0);
}
END_TEST

/* realloc to the same size returns the same pointer; for a heap chunk, so does any size up to its usable size. */
START_TEST(test_same_size_same_pointer)
{
    const size_t sizes[] = {1, 24, 100, 1000, 50000, 300000}; /* (not 0: realloc(p, 0) frees p) */
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        unsigned char *p = xmalloc(sizes[i]);
        fill(p, sizes[i], 11);
        size_t usable = arenalloc_malloc_usable_size(p);
        ck_assert_ptr_eq(arenalloc_realloc(p, sizes[i]), p);
        if (!is_mmapped(p)) /* (mremap_chunk adds SIZE_SZ again: an mmapped chunk would ask for one more page) */
            ck_assert_ptr_eq(arenalloc_realloc(p, usable), p);
        ck_assert_uint_eq(first_mismatch(p, sizes[i], 11), sizes[i]);
        arenalloc_free(p);
    }
}
END_TEST

/* An mmapped block grows and shrinks by mremap: contents kept, still mmapped, usable size follows. */
START_TEST(test_mmapped_grow_and_shrink)
{
    const size_t n0 = 2u << 20, n1 = 8u << 20, n2 = 600000;
    unsigned char *p = xmalloc(n0);
    ck_assert(is_mmapped(p));
    fill(p, n0, 13);
    unsigned char *q = arenalloc_realloc(p, n1);
    ck_assert_ptr_nonnull(q);
    ck_assert(is_mmapped(q));
    ck_assert_uint_ge(arenalloc_malloc_usable_size(q), n1);
    ck_assert_uint_eq(first_mismatch(q, n0, 13), n0);
    fill(q, n1, 14);
    unsigned char *r = arenalloc_realloc(q, n2);
    ck_assert_ptr_eq(r, q); /* shrinking a mapping never moves it */
    ck_assert(is_mmapped(r));
    ck_assert_uint_ge(arenalloc_malloc_usable_size(r), n2);
    ck_assert_uint_lt(arenalloc_malloc_usable_size(r), n2 + 4096);
    ck_assert_uint_eq(first_mismatch(r, n2, 14), n2);
    arenalloc_free(r);
}
END_TEST

/* small -> mmapped -> small: contents survive each move; an mmapped chunk stays mmapped even when shrunk to 100 bytes. */
START_TEST(test_regime_changes)
{
    const size_t big = 4u << 20;
    unsigned char *p = xmalloc(100);
    ck_assert(!is_mmapped(p));
    fill(p, 100, 21);
    unsigned char *q = arenalloc_realloc(p, big);
    ck_assert_ptr_nonnull(q);
    ck_assert(is_mmapped(q));
    ck_assert_uint_eq(first_mismatch(q, 100, 21), 100);
    fill(q, big, 22);
    unsigned char *r = arenalloc_realloc(q, 100);
    ck_assert_ptr_nonnull(r);
    ck_assert(is_mmapped(r)); /* mremap_chunk: one page, still a mapping */
    ck_assert_uint_eq(arenalloc_malloc_usable_size(r), 4096 - 16);
    ck_assert_uint_eq(first_mismatch(r, 100, 22), 100);
    unsigned char *s = arenalloc_realloc(r, 50000);
    ck_assert_ptr_nonnull(s);
    ck_assert_uint_eq(first_mismatch(s, 100, 22), 100);
    arenalloc_free(s);
    const char *why = arenalloc_check_heap();
    ck_assert_msg(why == NULL, "%s", why);
}
END_TEST

/* A realloc that cannot be satisfied returns NULL with ENOMEM and leaves the old block alone. */
START_TEST(test_failed_realloc_keeps_block)
{
    const size_t sizes[] = {100, 5000, 300000};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        unsigned char *p = xmalloc(sizes[i]);
        fill(p, sizes[i], 17);
        errno = 0;
        ck_assert_ptr_null(arenalloc_realloc(p, opaque(SIZE_MAX - 100)));
        ck_assert_int_eq(errno, ENOMEM);
        errno = 0;
        ck_assert_ptr_null(arenalloc_realloc(p, opaque((size_t)PTRDIFF_MAX)));
        ck_assert_int_eq(errno, ENOMEM);
        ck_assert_uint_eq(first_mismatch(p, sizes[i], 17), sizes[i]);
        unsigned char *q = arenalloc_realloc(p, sizes[i] * 2); /* still a valid block */
        ck_assert_ptr_nonnull(q);
        ck_assert_uint_eq(first_mismatch(q, sizes[i], 17), sizes[i]);
        arenalloc_free(q);
    }
}
END_TEST

Suite *realloc_suite(void)
{
    Suite *s = suite_create("realloc");
    TCase *tc = tcase_create("heap");
    tcase_add_checked_fixture(tc, tcache_off, NULL);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_contents_preserved_grow_and_shrink);
    tcase_add_test(tc, test_shrink_in_place);
    tcase_add_test(tc, test_grow_into_free_next_chunk);
    tcase_add_test(tc, test_grow_into_top);
    tcase_add_test(tc, test_grow_blocked_moves);
    tcase_add_test(tc, test_same_size_same_pointer);
    tcase_add_test(tc, test_failed_realloc_keeps_block);
    suite_add_tcase(s, tc);

    tc = tcase_create("mmapped");

    tcase_add_checked_fixture(tc, tcache_off, NULL);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_mmapped_grow_and_shrink);
    tcase_add_test(tc, test_regime_changes);
    suite_add_tcase(s, tc);
    return s;
}
