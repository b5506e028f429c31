/*
 * test_api.c - the public API's contract, argument checks and errno, as glibc 2.36
 * defines them (malloc/malloc.c: __libc_malloc, __libc_calloc, _mid_memalign,
 * __libc_pvalloc, __posix_memalign, __libc_mallopt ...).
 *
 * Chunk facts used below (x86-64): a chunk's size word sits 8 bytes before the
 * pointer malloc returns; its low bits are PREV_INUSE (1), IS_MMAPPED (2) and
 * NON_MAIN_ARENA (4).  request2size(n) = max(32, (n + 8 + 15) & ~15).
 */
#include <check.h>
#include <errno.h>
#include <malloc.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "arenalloc.h"
#include "tests/test_helpers.h"

Suite *api_suite(void);

/* glibc's request2size for requests below PTRDIFF_MAX. */
static size_t request2size(size_t n) { return n + 8 + 15 < 32 ? 32 : (n + 8 + 15) & ~(size_t)15; }

/* malloc(0) hands out a minimum chunk (32 bytes, 24 usable), a fresh one each time. */
START_TEST(test_malloc_zero_is_unique_minimum_chunk)
{
    char *p = arenalloc_malloc(0);
    char *q = arenalloc_malloc(0);
    ck_assert_ptr_nonnull(p);
    ck_assert_ptr_nonnull(q);
    ck_assert_ptr_ne(p, q);
    ck_assert_uint_eq(chunk_size(p), 32);
    ck_assert_uint_eq(arenalloc_malloc_usable_size(p), 24);
    ck_assert_uint_eq(arenalloc_malloc_usable_size(q), 24);
    memset(p, 0x5a, arenalloc_malloc_usable_size(p)); /* all 24 bytes belong to the caller */
    memset(q, 0xa5, arenalloc_malloc_usable_size(q));
    const char *why = arenalloc_check_heap(); /* writing them damaged no header */
    ck_assert_msg(why == NULL, "check_heap: %s", why);
    arenalloc_free(p);
    arenalloc_free(q);
}
END_TEST

/* free(NULL) does nothing, and free never changes errno (glibc saves and restores it). */
START_TEST(test_free_null_and_errno_preserved)
{
    errno = EDOM;
    arenalloc_free(NULL);
    ck_assert_int_eq(errno, EDOM);

    /* A heap chunk, a chunk big enough to make free trim the top, and an mmapped one. */
    void *small = arenalloc_malloc(100);
    void *big = arenalloc_malloc(100000);
    void *mapped = arenalloc_malloc(4 << 20);
    ck_assert_ptr_nonnull(small);
    ck_assert_ptr_nonnull(big);
    ck_assert_ptr_nonnull(mapped);
    errno = ERANGE;
    arenalloc_free(small);
    arenalloc_free(big);
    arenalloc_free(mapped);
    ck_assert_int_eq(errno, ERANGE);
}
END_TEST

/* realloc(NULL, n) is malloc(n). */
START_TEST(test_realloc_null_is_malloc)
{
    char *p = arenalloc_realloc(NULL, 100);
    ck_assert_ptr_nonnull(p);
    ck_assert(is_aligned(p, 16));
    ck_assert_uint_ge(arenalloc_malloc_usable_size(p), 100);
    ck_assert_uint_eq(chunk_size(p), request2size(100));
    memset(p, 1, 100);
    arenalloc_free(p);
}
END_TEST

/* realloc(p, 0) frees p and returns NULL (REALLOC_ZERO_BYTES_FREES): the chunk is reusable at once. */
START_TEST(test_realloc_zero_frees)
{
    void *p = arenalloc_malloc(0x18);
    ck_assert_ptr_nonnull(p);
    uintptr_t old = (uintptr_t)p;
    void *r = arenalloc_realloc(p, 0);
    /* The freed 0x20 chunk is now at the head of its fastbin: the next 0x20 request gets it. */
    void *q = arenalloc_malloc(0x18);
    ck_assert_ptr_null(r);
    ck_assert_ptr_nonnull(q);
    ck_assert_uint_eq((uintptr_t)q, old);
    arenalloc_free(q);
}
END_TEST

/* Requests above PTRDIFF_MAX fail in checked_request2size; PTRDIFF_MAX itself fails in sysmalloc. Both: NULL + ENOMEM. */
START_TEST(test_malloc_huge_enomem)
{
    const size_t sizes[] = {SIZE_MAX, (size_t)PTRDIFF_MAX + 1, (size_t)PTRDIFF_MAX, SIZE_MAX - 4096};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        errno = 0;
        void *p = arenalloc_malloc(opaque(sizes[i]));
        ck_assert_msg(p == NULL, "malloc(%#zx) returned %p", sizes[i], p);
        ck_assert_msg(errno == ENOMEM, "malloc(%#zx): errno %d, want ENOMEM", sizes[i], errno);
    }
}
END_TEST

/* calloc checks n * size for overflow into a ptrdiff_t: NULL + ENOMEM. */
START_TEST(test_calloc_overflow_enomem)
{
    const size_t args[][2] = {
        {SIZE_MAX / 2, 3},
        {SIZE_MAX, SIZE_MAX},
        {1, (size_t)PTRDIFF_MAX + 1},          /* fits a size_t, not a ptrdiff_t */
        {2, (size_t)PTRDIFF_MAX / 2 + 1},
        {(size_t)1 << 32, (size_t)1 << 32},
    };
    for (size_t i = 0; i < sizeof args / sizeof args[0]; i++) {
        errno = 0;
        void *p = arenalloc_calloc(opaque(args[i][0]), opaque(args[i][1]));
        ck_assert_msg(p == NULL, "calloc(%#zx, %#zx) returned %p", args[i][0], args[i][1], p);
        ck_assert_msg(errno == ENOMEM, "calloc(%#zx, %#zx): errno %d", args[i][0], args[i][1], errno);
    }
}
END_TEST

/* reallocarray fails on overflow with ENOMEM and leaves the old block as it was. */
START_TEST(test_reallocarray_overflow_keeps_block)
{
    unsigned char *p = arenalloc_malloc(64);
    ck_assert_ptr_nonnull(p);
    for (int i = 0; i < 64; i++)
        p[i] = (unsigned char)(i * 7 + 3);
    size_t usable = arenalloc_malloc_usable_size(p);

    errno = 0;
    void *r = arenalloc_reallocarray(p, opaque(SIZE_MAX / 2), 3);
    ck_assert_ptr_null(r);
    ck_assert_int_eq(errno, ENOMEM);
    errno = 0;
    r = arenalloc_reallocarray(p, opaque((size_t)1 << 33), (size_t)1 << 31);
    ck_assert_ptr_null(r);
    ck_assert_int_eq(errno, ENOMEM);

    ck_assert_uint_eq(arenalloc_malloc_usable_size(p), usable);
    for (int i = 0; i < 64; i++)
        ck_assert_uint_eq(p[i], (unsigned char)(i * 7 + 3));

    /* Without overflow it is realloc(p, n * size): shrinking keeps the block. */
    unsigned char *q = arenalloc_reallocarray(p, 4, 8);
    ck_assert_ptr_eq(q, p);
    for (int i = 0; i < 32; i++)
        ck_assert_uint_eq(q[i], (unsigned char)(i * 7 + 3));
    arenalloc_free(q);
}
END_TEST

/* posix_memalign wants a power-of-two multiple of sizeof(void *): anything else is EINVAL, *memptr untouched. */
START_TEST(test_posix_memalign_einval)
{
    const size_t bad[] = {0, 1, 2, 3, 4, 12, 24, 40, 48, 96, 4095, SIZE_MAX, (size_t)1 << 63 | 8};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        void *sentinel = (void *)0x1234;
        void *m = sentinel;
        int rc = arenalloc_posix_memalign(&m, bad[i], 16);
        ck_assert_msg(rc == EINVAL, "posix_memalign(alignment %#zx) = %d, want EINVAL", bad[i], rc);
        ck_assert_msg(m == sentinel, "posix_memalign(alignment %#zx) wrote *memptr", bad[i]);
    }
}
END_TEST

/* With a valid alignment (8 included: it is sizeof(void *)), posix_memalign returns 0 and an aligned block. */
START_TEST(test_posix_memalign_valid)
{
    const size_t sizes[] = {0, 1, 24, 100, 4096, 5000};
    for (size_t a = 8; a <= (1u << 20); a <<= 1) {
        for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
            void *m = NULL;
            int rc = arenalloc_posix_memalign(&m, a, sizes[i]);
            ck_assert_msg(rc == 0, "posix_memalign(%zu, %zu) = %d", a, sizes[i], rc);
            ck_assert_ptr_nonnull(m);
            ck_assert_msg(is_aligned(m, a < 16 ? 16 : a), "posix_memalign(%zu) gave %p", a, m);
            ck_assert_uint_ge(arenalloc_malloc_usable_size(m), sizes[i]);
            memset(m, 0xcc, sizes[i]);
            arenalloc_free(m);
        }
    }
}
END_TEST

/* posix_memalign reports an impossible size as ENOMEM, also for 2^63 alignment (> PTRDIFF_MAX in _int_memalign). */
START_TEST(test_posix_memalign_enomem)
{
    void *sentinel = (void *)0x5678;
    void *m = sentinel;
    ck_assert_int_eq(arenalloc_posix_memalign(&m, 64, opaque(SIZE_MAX)), ENOMEM);
    ck_assert_ptr_eq(m, sentinel);
    ck_assert_int_eq(arenalloc_posix_memalign(&m, 16, opaque(SIZE_MAX)), ENOMEM); /* relayed to malloc */
    ck_assert_ptr_eq(m, sentinel);
    ck_assert_int_eq(arenalloc_posix_memalign(&m, (size_t)PTRDIFF_MAX, 1), EINVAL);
    ck_assert_int_eq(arenalloc_posix_memalign(&m, (size_t)1 << 63, 1), ENOMEM);
    ck_assert_ptr_eq(m, sentinel);
}
END_TEST

/* memalign rounds a non-power-of-two alignment up to the next power of two (at least MINSIZE = 32). */
START_TEST(test_memalign_rounds_alignment_up)
{
    /* requested alignment -> alignment glibc actually provides */
    const size_t cases[][2] = {{48, 64}, {96, 128}, {100, 128}, {24, 32}, {17, 32}, {33, 64}, {3000, 4096}, {5000, 8192}};
    enum { N = 32 };
    void *blocks[N];
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        /* Many live blocks: a block can be aligned by chance, not 32 of them. */
        for (int i = 0; i < N; i++) {
            blocks[i] = arenalloc_memalign(cases[c][0], 40);
            ck_assert_ptr_nonnull(blocks[i]);
        }
        for (int i = 0; i < N; i++)
            ck_assert_msg(is_aligned(blocks[i], cases[c][1]), "memalign(%zu) gave %p, want %zu-aligned",
                          cases[c][0], blocks[i], cases[c][1]);
        for (int i = 0; i < N; i++)
            arenalloc_free(blocks[i]);
    }
    /* Up to MALLOC_ALIGNMENT (16) memalign is plain malloc. */
    void *p = arenalloc_memalign(3, 10);
    ck_assert_ptr_nonnull(p);
    ck_assert(is_aligned(p, 16));
    arenalloc_free(p);
}
END_TEST

/* memalign: an alignment above SIZE_MAX/2 + 1 is EINVAL; 2^63 passes that check and fails as ENOMEM. */
START_TEST(test_memalign_huge_alignment)
{
    errno = 0;
    ck_assert_ptr_null(arenalloc_memalign(opaque(SIZE_MAX), 1));
    ck_assert_int_eq(errno, EINVAL);
    errno = 0;
    ck_assert_ptr_null(arenalloc_memalign(opaque((size_t)1 << 63 | 1), 1));
    ck_assert_int_eq(errno, EINVAL);
    errno = 0;
    ck_assert_ptr_null(arenalloc_memalign(opaque((size_t)1 << 63), 1));
    ck_assert_int_eq(errno, ENOMEM);
    errno = 0;
    ck_assert_ptr_null(arenalloc_memalign(64, opaque(SIZE_MAX)));
    ck_assert_int_eq(errno, ENOMEM);
}
END_TEST

/* In glibc 2.36 aligned_alloc is an alias of memalign: any alignment, any size, same rounding. */
START_TEST(test_aligned_alloc_is_memalign)
{
    void *p = arenalloc_aligned_alloc(48, 10); /* not a power of two: rounded up to 64 */
    ck_assert_ptr_nonnull(p);
    ck_assert(is_aligned(p, 64));
    void *q = arenalloc_aligned_alloc(64, 10); /* size not a multiple of the alignment: accepted */
    ck_assert_ptr_nonnull(q);
    ck_assert(is_aligned(q, 64));
    void *r = arenalloc_aligned_alloc(0, 10); /* alignment 0: plain malloc */
    ck_assert_ptr_nonnull(r);
    ck_assert(is_aligned(r, 16));
    void *s = arenalloc_aligned_alloc(4096, 1);
    ck_assert_ptr_nonnull(s);
    ck_assert(is_aligned(s, 4096));
    errno = 0;
    ck_assert_ptr_null(arenalloc_aligned_alloc(opaque(SIZE_MAX), 1));
    ck_assert_int_eq(errno, EINVAL);
    arenalloc_free(p);
    arenalloc_free(q);
    arenalloc_free(r);
    arenalloc_free(s);
}
END_TEST

/* valloc(n) is memalign(pagesize, n). */
START_TEST(test_valloc_page_aligned)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    const size_t sizes[] = {0, 1, 100, 4095, 4096, 4097, 10000, 300000};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        void *p = arenalloc_valloc(sizes[i]);
        ck_assert_ptr_nonnull(p);
        ck_assert_msg(is_aligned(p, page), "valloc(%zu) gave %p", sizes[i], p);
        ck_assert_uint_ge(arenalloc_malloc_usable_size(p), sizes[i]);
        memset(p, 0x11, sizes[i]);
        arenalloc_free(p);
    }
}
END_TEST

/* pvalloc(n) is page aligned with at least n rounded up to a page usable. */
START_TEST(test_pvalloc_rounds_to_page)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    const size_t sizes[] = {1, 2, 100, 4095, 4096, 4097, 5000, 8192, 10000};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        size_t rounded = (sizes[i] + page - 1) & ~(page - 1);
        void *p = arenalloc_pvalloc(sizes[i]);
        ck_assert_ptr_nonnull(p);
        ck_assert_msg(is_aligned(p, page), "pvalloc(%zu) gave %p", sizes[i], p);
        ck_assert_msg(arenalloc_malloc_usable_size(p) >= rounded, "pvalloc(%zu): usable %zu < %zu", sizes[i],
                      arenalloc_malloc_usable_size(p), rounded);
        memset(p, 0x22, rounded);
        arenalloc_free(p);
    }
    errno = 0;
    ck_assert_ptr_null(arenalloc_pvalloc(opaque(SIZE_MAX - 100))); /* rounding up overflows */
    ck_assert_int_eq(errno, ENOMEM);
}
END_TEST

/* glibc 2.36 rounds with "& -(pagesize - 1)", so pvalloc(0) asks for 1 byte: page aligned, but far less than a page. */
START_TEST(test_pvalloc_zero_glibc236)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    void *p = arenalloc_pvalloc(0);
    ck_assert_ptr_nonnull(p);
    ck_assert(is_aligned(p, page));
    ck_assert_uint_ge(arenalloc_malloc_usable_size(p), 1);
    ck_assert_msg(arenalloc_malloc_usable_size(p) < page, "pvalloc(0): usable %zu; glibc 2.36 gives a 1-byte request",
                  arenalloc_malloc_usable_size(p));
    arenalloc_free(p);
}
END_TEST

/* malloc_usable_size: 0 for NULL; chunk size - 8 for heap chunks (the next prev_size field is lent out), - 16 for mmapped ones. */
START_TEST(test_usable_size_is_chunk_size_minus_header)
{
    ck_assert_uint_eq(arenalloc_malloc_usable_size(NULL), 0);
    for (size_t n = 0; n <= 2100; n += (n < 200 ? 1 : 37)) {
        void *p = arenalloc_malloc(n);
        ck_assert_ptr_nonnull(p);
        size_t usable = arenalloc_malloc_usable_size(p);
        ck_assert_msg((size_word(p) & IS_MMAPPED) == 0, "malloc(%zu) mmapped", n);
        ck_assert_uint_ge(usable, n);
        ck_assert_uint_eq(usable, chunk_size(p) - 8);
        /* The chunk is request2size(n), or up to MINSIZE - 16 more when a split would leave less than MINSIZE. */
        ck_assert_uint_ge(chunk_size(p), request2size(n));
        ck_assert_uint_le(chunk_size(p), request2size(n) + 16);
        memset(p, 0x33, usable);
        arenalloc_free(p);
    }
    void *m = arenalloc_malloc(1 << 20); /* well above the 128 KiB mmap threshold */
    ck_assert_ptr_nonnull(m);
    ck_assert_uint_eq(size_word(m) & IS_MMAPPED, IS_MMAPPED);
    ck_assert_uint_eq(arenalloc_malloc_usable_size(m), chunk_size(m) - 16);
    ck_assert_uint_ge(arenalloc_malloc_usable_size(m), 1 << 20);
    arenalloc_free(m);
}
END_TEST

/* M_MXFAST accepts 0..MAX_FAST_SIZE (80 * sizeof(size_t) / 4 = 160) and refuses anything larger, or negative. */
START_TEST(test_mallopt_mxfast_range)
{
    ck_assert_int_eq(arenalloc_mallopt(M_MXFAST, 161), 0);
    ck_assert_int_eq(arenalloc_mallopt(M_MXFAST, 200), 0);
    ck_assert_int_eq(arenalloc_mallopt(M_MXFAST, -1), 0);
    ck_assert_int_eq(arenalloc_mallopt(M_MXFAST, 160), 1);
    ck_assert_int_eq(arenalloc_mallopt(M_MXFAST, 0), 1);
    ck_assert_int_eq(arenalloc_mallopt(M_MXFAST, 128), 1); /* the default, 64 * sizeof(size_t) / 4 */
}
END_TEST

/* M_MXFAST is a request size: the largest fast chunk is (value + 8) & ~15 - 0x80 by default, 0xa0 for 160, none for 0. */
START_TEST(test_mallopt_mxfast_moves_fastbin_limit)
{
    /* How to tell: a freed fast chunk leaves PREV_INUSE set in the next chunk's header; a freed
       non-fast chunk clears it and writes its size into the next chunk's prev_size. */
    /* Pairs of neighbours, all carved before anything is freed: the first of each pair is freed below. */
    char *a = arenalloc_malloc(0x78), *b = arenalloc_malloc(0x18); /* chunk 0x80 */
    char *c = arenalloc_malloc(0x88), *d = arenalloc_malloc(0x18); /* chunk 0x90 */
    char *e = arenalloc_malloc(0x98), *f = arenalloc_malloc(0x18); /* chunk 0xa0 */
    char *g = arenalloc_malloc(0xa8), *h = arenalloc_malloc(0x18); /* chunk 0xb0 */
    char *i = arenalloc_malloc(0x18), *j = arenalloc_malloc(0x18); /* chunk 0x20 */
    ck_assert_ptr_eq(b, a + 0x80);
    ck_assert_ptr_eq(d, c + 0x90);
    ck_assert_ptr_eq(f, e + 0xa0);
    ck_assert_ptr_eq(h, g + 0xb0);
    ck_assert_ptr_eq(j, i + 0x20);

    /* Default limit 0x80. */
    arenalloc_free(a);
    arenalloc_free(c);
    size_t b_word = size_word(b), d_word = size_word(d);
    ck_assert_uint_eq(b_word & PREV_INUSE, PREV_INUSE); /* a went to a fastbin */
    ck_assert_uint_eq(d_word & PREV_INUSE, 0);          /* c went to the unsorted bin */
    ck_assert_uint_eq(prev_size_word(d), 0x90);

    /* M_MXFAST 160: chunk 0xa0 is fast now, 0xb0 still is not. */
    ck_assert_int_eq(arenalloc_mallopt(M_MXFAST, 160), 1);
    arenalloc_free(e);
    arenalloc_free(g);
    size_t f_word = size_word(f), h_word = size_word(h);
    ck_assert_uint_eq(f_word & PREV_INUSE, PREV_INUSE);
    ck_assert_uint_eq(h_word & PREV_INUSE, 0);

    /* M_MXFAST 0: no chunk is fast, not even a minimum one. */
    ck_assert_int_eq(arenalloc_mallopt(M_MXFAST, 0), 1);
    arenalloc_free(i);
    size_t j_word = size_word(j);
    ck_assert_uint_eq(j_word & PREV_INUSE, 0);
    ck_assert_uint_eq(prev_size_word(j), 0x20);

    arenalloc_free(b);
    arenalloc_free(d);
    arenalloc_free(f);
    arenalloc_free(h);
    arenalloc_free(j);
    ck_assert_int_eq(arenalloc_mallopt(M_MXFAST, 128), 1);
}
END_TEST

/* __libc_mallopt starts from res = 1 and its switch has no default: a parameter it does not know is "accepted" (1). */
START_TEST(test_mallopt_unknown_param_returns_1)
{
    ck_assert_int_eq(arenalloc_mallopt(12345, 1), 1);
    ck_assert_int_eq(arenalloc_mallopt(-12345, 1), 1);
    ck_assert_int_eq(arenalloc_mallopt(M_NLBLKS, 1), 1); /* SVID parameters glibc ignores */
    ck_assert_int_eq(arenalloc_mallopt(M_GRAIN, 1), 1);
    ck_assert_int_eq(arenalloc_mallopt(M_KEEP, 1), 1);
}
END_TEST

/* After ordinary use of every entry point the heap checker finds nothing. */
START_TEST(test_check_heap_after_ordinary_use)
{
    void *keep[64];
    for (int i = 0; i < 64; i++) {
        size_t n = (size_t)(i * i * 37) % 5000;
        switch (i % 5) {
        case 0: keep[i] = arenalloc_malloc(n); break;
        case 1: keep[i] = arenalloc_calloc(3, n); break;
        case 2: keep[i] = arenalloc_memalign(64, n); break;
        case 3: keep[i] = arenalloc_realloc(arenalloc_malloc(10), n + 1); break;
        default: keep[i] = arenalloc_valloc(n); break;
        }
        ck_assert_ptr_nonnull(keep[i]);
    }
    void *big = arenalloc_malloc(300000);
    ck_assert_ptr_nonnull(big);
    for (int i = 0; i < 64; i += 2)
        arenalloc_free(keep[i]);
    const char *why = arenalloc_check_heap();
    ck_assert_msg(why == NULL, "check_heap: %s", why);
    for (int i = 1; i < 64; i += 2)
        arenalloc_free(keep[i]);
    arenalloc_free(big);
    why = arenalloc_check_heap();
    ck_assert_msg(why == NULL, "check_heap: %s", why);
}
END_TEST

Suite *api_suite(void)
{
    Suite *s = suite_create("api");

    TCase *tc = tcase_create("malloc_free_realloc");

    tcase_add_checked_fixture(tc, tcache_off, NULL);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_malloc_zero_is_unique_minimum_chunk);
    tcase_add_test(tc, test_free_null_and_errno_preserved);
    tcase_add_test(tc, test_realloc_null_is_malloc);
    tcase_add_test(tc, test_realloc_zero_frees);
    tcase_add_test(tc, test_malloc_huge_enomem);
    tcase_add_test(tc, test_calloc_overflow_enomem);
    tcase_add_test(tc, test_reallocarray_overflow_keeps_block);
    suite_add_tcase(s, tc);

    tc = tcase_create("aligned");

    tcase_add_checked_fixture(tc, tcache_off, NULL);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_posix_memalign_einval);
    tcase_add_test(tc, test_posix_memalign_valid);
    tcase_add_test(tc, test_posix_memalign_enomem);
    tcase_add_test(tc, test_memalign_rounds_alignment_up);
    tcase_add_test(tc, test_memalign_huge_alignment);
    tcase_add_test(tc, test_aligned_alloc_is_memalign);
    tcase_add_test(tc, test_valloc_page_aligned);
    tcase_add_test(tc, test_pvalloc_rounds_to_page);
    tcase_add_test(tc, test_pvalloc_zero_glibc236);
    suite_add_tcase(s, tc);

    tc = tcase_create("introspection");

    tcase_add_checked_fixture(tc, tcache_off, NULL);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_usable_size_is_chunk_size_minus_header);
    tcase_add_test(tc, test_mallopt_mxfast_range);
    tcase_add_test(tc, test_mallopt_mxfast_moves_fastbin_limit);
    tcase_add_test(tc, test_mallopt_unknown_param_returns_1);
    tcase_add_test(tc, test_check_heap_after_ordinary_use);
    suite_add_tcase(s, tc);

    return s;
}
