/*
 * test_chunk.c - the chunk layout and bin geometry are glibc's (white-box: reads
 * bins/ headers directly).
 */
#include <check.h>
#include <stddef.h>

#include "bins/malloc_par.h"
#include "bins/bin_index.h"
#include "bins/chunk.h"
#include "bins/fastbins.h"
#include "bins/malloc_state.h"

/* The x86-64 constants every heap tutorial quotes. */
START_TEST(test_constants)
{
    ck_assert_uint_eq(SIZE_SZ, 8);
    ck_assert_uint_eq(MALLOC_ALIGNMENT, 16);
    ck_assert_uint_eq(MINSIZE, 32);
    ck_assert_uint_eq(NFASTBINS, fastbin_index(request2size(MAX_FAST_SIZE)) + 1);
    ck_assert_uint_eq(NFASTBINS, 10);
    ck_assert_uint_eq(MIN_LARGE_SIZE, 1024);
    ck_assert_uint_eq(BINMAPSIZE, 4);
}
END_TEST

/* request2size: 0..24 bytes -> 0x20, 25..40 -> 0x30, ... */
START_TEST(test_request2size)
{
    ck_assert_uint_eq(request2size(0), 0x20);
    ck_assert_uint_eq(request2size(24), 0x20);
    ck_assert_uint_eq(request2size(25), 0x30);
    ck_assert_uint_eq(request2size(40), 0x30);
    ck_assert_uint_eq(request2size(41), 0x40);
    ck_assert_uint_eq(request2size(0x78), 0x80);
    ck_assert_uint_eq(checked_request2size((size_t)PTRDIFF_MAX + 1), 0);
    ck_assert_uint_ne(checked_request2size(PTRDIFF_MAX), 0);
}
END_TEST

/* Small bins: one size each; large bins: glibc's 64-bit largebin_index_64. */
START_TEST(test_bin_index)
{
    ck_assert_uint_eq(bin_index(0x20), 2);
    ck_assert_uint_eq(bin_index(0x3f0), 63);
    ck_assert_uint_eq(bin_index(0x400), 64);
    ck_assert_uint_eq(bin_index(0x430), 64);
    ck_assert_uint_eq(bin_index(0x440), 65);
    ck_assert_uint_eq(bin_index(3136), 97);
    ck_assert_uint_eq(bin_index(10752), 112);
    ck_assert_uint_eq(bin_index(65535 & ~15UL), 120);
    ck_assert_uint_eq(bin_index(65536), 121);
    ck_assert_uint_eq(bin_index(163840), 124);
    ck_assert_uint_eq(bin_index(524288), 126);
    ck_assert_uint_eq(bin_index((size_t)1 << 40), 126);
    /* Indices never decrease as sizes grow. */
    for (size_t sz = MINSIZE; sz < (4u << 20); sz += 16)
        ck_assert_uint_le(bin_index(sz), bin_index(sz + 16));
}
END_TEST

/* struct malloc_state and malloc_par keep glibc 2.36's offsets, so glibc heap
   tools can read them. */
START_TEST(test_layout)
{
    ck_assert_uint_eq(offsetof(struct malloc_state, flags), 0x4);
    ck_assert_uint_eq(offsetof(struct malloc_state, have_fastchunks), 0x8);
    ck_assert_uint_eq(offsetof(struct malloc_state, fastbinsY), 0x10);
    ck_assert_uint_eq(offsetof(struct malloc_state, top), 0x60);
    ck_assert_uint_eq(offsetof(struct malloc_state, last_remainder), 0x68);
    ck_assert_uint_eq(offsetof(struct malloc_state, bins), 0x70);
    ck_assert_uint_eq(offsetof(struct malloc_state, binmap), 0x860);
    ck_assert_uint_eq(offsetof(struct malloc_state, next), 0x870);
    ck_assert_uint_eq(offsetof(struct malloc_state, system_mem), 0x888);
    ck_assert_uint_eq(sizeof(struct malloc_state), 0x898);
    ck_assert_uint_eq(offsetof(struct malloc_par, n_mmaps), 0x3c);
    ck_assert_uint_eq(offsetof(struct malloc_par, sbrk_base), 0x60);
    ck_assert_uint_eq(sizeof(struct malloc_par), 0x88);
}
END_TEST

/* bin_at overlays each fd/bk pair of bins[] on a fake chunk's fd/bk. */
START_TEST(test_bin_at)
{
    static struct malloc_state st;
    mbinptr b = bin_at(&st, 1);
    ck_assert_ptr_eq(&b->fd, &st.bins[0]);
    ck_assert_ptr_eq(&b->bk, &st.bins[1]);
    ck_assert_ptr_eq(next_bin(b), bin_at(&st, 2));
    ck_assert_ptr_eq(&bin_at(&st, 127)->bk, &st.bins[NBINS * 2 - 3]);
}
END_TEST

/* Safe-linking: a stored pointer is unreadable as an address, and decodes back. */
START_TEST(test_safe_linking)
{
    mchunkptr slot;
    mchunkptr target = (mchunkptr)(uintptr_t)0x55555555a2c0;
    slot = protect_ptr(&slot, target);
    ck_assert_ptr_ne(slot, target);
    ck_assert_ptr_eq(reveal_ptr(&slot), target);
}
END_TEST

Suite *chunk_suite(void)
{
    Suite *s = suite_create("chunk");
    TCase *tc = tcase_create("layout");
    tcase_add_test(tc, test_constants);
    tcase_add_test(tc, test_request2size);
    tcase_add_test(tc, test_bin_index);
    tcase_add_test(tc, test_layout);
    tcase_add_test(tc, test_bin_at);
    tcase_add_test(tc, test_safe_linking);
    suite_add_tcase(s, tc);
    return s;
}
