/*
 * test_memalign.c - aligned allocation (memalign, posix_memalign, aligned_alloc).
 *
 * glibc's _int_memalign asks _int_malloc for nb + alignment + MINSIZE bytes, finds
 * the first aligned spot at least MINSIZE into that chunk, gives the leading piece
 * back with _int_free (so the aligned chunk's prev_size records its size and its
 * PREV_INUSE bit is clear, unless the piece was small enough for a fastbin), and
 * gives back any tail beyond nb + MINSIZE.  For an mmapped chunk the lead is kept
 * and recorded in prev_size instead, so free can find the start of the mapping.
 */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "arenalloc.h"
#include "tests/test_helpers.h"

Suite *memalign_suite(void);

static const size_t sizes[] = {0, 1, 8, 16, 24, 100, 1000, 4096, 5000, 65536, 200000};
#define NSIZES (sizeof sizes / sizeof sizes[0])

struct block {
    unsigned char *p;
    size_t usable;
    unsigned char tag;
};

static int by_address(const void *a, const void *b)
{
    uintptr_t x = (uintptr_t)((const struct block *)a)->p, y = (uintptr_t)((const struct block *)b)->p;
    return x < y ? -1 : x > y;
}

/* One aligned block through one of the three entry points, chosen by `how`. */
static void *aligned_block(int how, size_t alignment, size_t size)
{
    void *p = NULL;
    switch (how % 3) {
    case 0: p = arenalloc_memalign(alignment, size); break;
    case 1:
        if (arenalloc_posix_memalign(&p, alignment, size) != 0)
            p = NULL;
        break;
    default: p = arenalloc_aligned_alloc(alignment, size); break;
    }
    return p;
}

/* Every alignment 16 .. 1 MiB, many sizes: aligned, usable >= size, disjoint, contents intact, heap sound. */
START_TEST(test_aligned_usable_disjoint)
{
    struct block live[NSIZES];
    int how = 0;
    for (size_t a = 16; a <= (1u << 20); a <<= 1) {
        for (size_t i = 0; i < NSIZES; i++, how++) {
            unsigned char *p = aligned_block(how, a, sizes[i]);
            ck_assert_msg(p != NULL, "alignment %zu size %zu: NULL", a, sizes[i]);
            ck_assert_msg(is_aligned(p, a), "alignment %zu size %zu: %p", a, sizes[i], (void *)p);
            size_t usable = arenalloc_malloc_usable_size(p);
            ck_assert_msg(usable >= sizes[i], "alignment %zu size %zu: usable %zu", a, sizes[i], usable);
            live[i] = (struct block){p, usable, (unsigned char)(i * 16 + (a & 15) + 1)};
            memset(p, live[i].tag, usable);
        }
        /* Sorted by address, each block must end before the next one starts. */
        struct block sorted[NSIZES];
        memcpy(sorted, live, sizeof sorted);
        qsort(sorted, NSIZES, sizeof sorted[0], by_address);
        for (size_t i = 0; i + 1 < NSIZES; i++)
            ck_assert_msg((uintptr_t)sorted[i].p + sorted[i].usable <= (uintptr_t)sorted[i + 1].p,
                          "alignment %zu: blocks %p (+%zu) and %p overlap", a, (void *)sorted[i].p, sorted[i].usable,
                          (void *)sorted[i + 1].p);
        for (size_t i = 0; i < NSIZES; i++)
            for (size_t k = 0; k < live[i].usable; k++)
                if (live[i].p[k] != live[i].tag)
                    ck_abort_msg("alignment %zu size %zu: byte %zu overwritten", a, sizes[i], k);
        const char *why = arenalloc_check_heap();
        ck_assert_msg(why == NULL, "alignment %zu, blocks live: %s", a, why);
        for (size_t i = 0; i < NSIZES; i++)
            arenalloc_free(live[i].p);
        why = arenalloc_check_heap();
        ck_assert_msg(why == NULL, "alignment %zu, blocks freed: %s", a, why);
    }
}
END_TEST

/* A big alignment for a big size is served by mmap: the chunk keeps its lead, recorded in prev_size, and free unmaps it all. */
START_TEST(test_mmapped_memalign_records_lead)
{
    const size_t a = 1u << 20;
    for (int round = 0; round < 8; round++) {
        void *p = arenalloc_memalign(a, 300000);
        ck_assert_ptr_nonnull(p);
        ck_assert(is_aligned(p, a));
        size_t w = size_word(p);
        ck_assert_uint_eq(w & IS_MMAPPED, IS_MMAPPED);
        /* The mapping starts prev_size bytes before the chunk and is page aligned. */
        uintptr_t base = (uintptr_t)p - 16 - prev_size_word(p);
        ck_assert_uint_eq(base & 4095, 0);
        ck_assert_uint_eq(((w & ~(size_t)SIZE_BITS) + prev_size_word(p)) & 4095, 0);
        memset(p, 0x77, 300000);
        arenalloc_free(p);
    }
}
END_TEST

/* The piece cut off before the aligned chunk is freed for reuse: a malloc of exactly its size returns it. */
START_TEST(test_lead_piece_is_reused)
{
    /* When the lead is not a fast chunk, the aligned chunk's PREV_INUSE is clear and its prev_size is the lead's size. */
    /* Alignments and sizes that make leads of many sizes; a lead of 0x80 or less went to a fastbin. */
    const size_t aligns[] = {256, 1024, 4096, 16384, 512, 2048, 8192, 32768};
    const size_t nbytes[] = {100, 3000, 50, 7000, 10, 20000, 300, 1};
    int nonfast = 0, reused = 0;
    uintptr_t first_bad = 0, first_bad_want = 0;
    void *keep[8];
    for (int i = 0; i < 8; i++) {
        char *p = arenalloc_memalign(aligns[i], nbytes[i]);
        keep[i] = p;
        if (p == NULL || (size_word(p) & (PREV_INUSE | IS_MMAPPED)) != 0)
            continue; /* the chunk was already aligned, or its lead went to a fastbin */
        size_t lead = prev_size_word(p);
        nonfast++;
        char *q = arenalloc_malloc(lead - 8); /* request2size(lead - 8) == lead */
        if ((uintptr_t)q == (uintptr_t)p - lead)
            reused++;
        else if (first_bad == 0)
            first_bad = (uintptr_t)q, first_bad_want = (uintptr_t)p - lead;
        arenalloc_free(q);
    }
    for (int i = 0; i < 8; i++)
        ck_assert_ptr_nonnull(keep[i]);
    ck_assert_msg(nonfast > 0, "no memalign left a non-fast lead piece");
    ck_assert_msg(reused == nonfast, "%d of %d lead pieces reused; e.g. got %#lx, want %#lx", reused, nonfast,
                  (unsigned long)first_bad, (unsigned long)first_bad_want);
    for (int i = 0; i < 8; i++)
        arenalloc_free(keep[i]);
    const char *why = arenalloc_check_heap();
    ck_assert_msg(why == NULL, "%s", why);
}
END_TEST

/* A memalign/free loop reuses the same memory (leads and tails are freed and merge back): the heap stays put. */
START_TEST(test_memalign_free_loop_is_bounded)
{
    uintptr_t lo = UINTPTR_MAX, hi = 0;
    const char *why = NULL;
    long bad_at = -1;
    for (long i = 0; i < 20000; i++) {
        size_t a = (size_t)32 << (i % 12);           /* 32 .. 64 KiB */
        size_t n = (size_t)((i * 7919) % 3000) + 1;  /* keeps the inner request below the mmap threshold */
        unsigned char *p = arenalloc_memalign(a, n);
        if (p == NULL || !is_aligned(p, a)) {
            bad_at = i;
            break;
        }
        p[0] = 1;
        p[n - 1] = 2;
        if ((uintptr_t)p < lo)
            lo = (uintptr_t)p;
        if ((uintptr_t)p > hi)
            hi = (uintptr_t)p;
        arenalloc_free(p);
        if (i % 1000 == 999 && (why = arenalloc_check_heap()) != NULL) {
            bad_at = i;
            break;
        }
    }
    ck_assert_msg(bad_at < 0, "iteration %ld: %s", bad_at, why ? why : "NULL or misaligned");
    ck_assert_msg(hi - lo < (1u << 20), "20000 memalign/free pairs spread over %#lx bytes",
                  (unsigned long)(hi - lo));
}
END_TEST

Suite *memalign_suite(void)
{
    Suite *s = suite_create("memalign");
    TCase *tc = tcase_create("aligned");
    tcase_add_checked_fixture(tc, tcache_off, NULL);
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_aligned_usable_disjoint);
    tcase_add_test(tc, test_mmapped_memalign_records_lead);
    tcase_add_test(tc, test_lead_piece_is_reused);
    tcase_add_test(tc, test_memalign_free_loop_is_bounded);
    suite_add_tcase(s, tc);
    return s;
}
