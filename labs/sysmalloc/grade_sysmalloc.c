/*
 * grade_sysmalloc.c - the mmap lab's grader: sysmalloc_mmap (a chunk with a
 * mapping of its own), munmap_chunk, and mmap_threshold_after_free (glibc's
 * dynamic threshold).
 */
#include "grade.h"
#include "tests/expect_abort.h"
#include "tests/test_helpers.h"

#include <malloc.h>

START_TEST(large_is_mapped)
{
    void *p = xmalloc(200 * 1024);
    ck_assert_msg(is_mmapped(p), "malloc(200 KiB), above the 128 KiB threshold, should get a chunk of its own mapping "
                                 "with IS_MMAPPED set in its size word (%#zx)", size_word(p));
    ck_assert_msg(((uintptr_t)p & 4095) == 16, "a mapped chunk starts its mapping: the pointer should be 16 bytes "
                                               "into a page, it is %#lx", (unsigned long)((uintptr_t)p & 4095));
    ck_assert_msg(chunk_size(p) == ((200 * 1024 + 8 + 16 + 4095) & ~(size_t)4095), "the mapping is the request plus "
                  "its header, rounded up to whole pages: expected %#zx, size is %#zx",
                  (size_t)((200 * 1024 + 8 + 16 + 4095) & ~(size_t)4095), chunk_size(p));
    ck_assert_msg(prev_size_word(p) == 0, "a mapped chunk's prev_size is its offset in the mapping: 0 here");
    memset(p, 1, 200 * 1024);
}
END_TEST

START_TEST(counted)
{
    struct mallinfo2 before = arenalloc_mallinfo2();
    void *p = xmalloc(300 * 1024);
    struct mallinfo2 during = arenalloc_mallinfo2();
    ck_assert_msg(during.hblks == before.hblks + 1, "mallinfo2's hblks counts mapped chunks: %zu before, %zu after one",
                  before.hblks, during.hblks);
    ck_assert_msg(during.hblkhd == before.hblkhd + chunk_size(p), "hblkhd should grow by the mapping's size");
    arenalloc_free(p);
    struct mallinfo2 after = arenalloc_mallinfo2();
    ck_assert_msg(after.hblks == before.hblks && after.hblkhd == before.hblkhd, "free of a mapped chunk should unmap "
                  "it and take it off the counts (munmap_chunk): hblks %zu, hblkhd %zu", after.hblks, after.hblkhd);
}
END_TEST

static volatile char *freed_block;
static void touch_after_munmap(void)
{
    char *p = xmalloc(400 * 1024);
    arenalloc_mallopt(M_MMAP_THRESHOLD, 128 * 1024); /* fixed: free must not move the threshold */
    arenalloc_free(p);
    freed_block = p;
    freed_block[0] = 1; /* must fault: the mapping is gone */
}

START_TEST(unmapped)
{
    struct death d = run_in_child(touch_after_munmap);
    ck_assert_msg(d.signal == SIGSEGV, "free of a mapped chunk should give its pages back to the OS at once, so "
                  "touching it afterwards faults (signal %d, expected SIGSEGV)", d.signal);
}
END_TEST

START_TEST(dynamic_threshold)
{
    void *p = xmalloc(200 * 1024);
    ck_assert(is_mmapped(p));
    arenalloc_free(p);
    void *q = xmalloc(200 * 1024);
    ck_assert_msg(!is_mmapped(q), "freeing a 200 KiB mapped chunk should raise the mmap threshold to its size, so the "
                                  "next malloc(200 KiB) comes from the heap (glibc's dynamic threshold)");
    void *r = xmalloc(300 * 1024);
    ck_assert_msg(is_mmapped(r), "malloc(300 KiB) is still above the raised threshold and should be mapped");
}
END_TEST

START_TEST(threshold_cap)
{
    void *p = xmalloc(40u << 20);
    arenalloc_free(p);
    void *q = xmalloc(40u << 20);
    ck_assert_msg(is_mmapped(q), "the threshold never rises above DEFAULT_MMAP_THRESHOLD_MAX (32 MiB): after freeing "
                                 "a 40 MiB chunk, malloc(40 MiB) should still be mapped");
}
END_TEST

START_TEST(mallopt_wins)
{
    ck_assert_int_eq(arenalloc_mallopt(M_MMAP_THRESHOLD, 256 * 1024), 1);
    void *p = xmalloc(300 * 1024);
    arenalloc_free(p);
    void *q = xmalloc(300 * 1024);
    ck_assert_msg(is_mmapped(q), "once the program set M_MMAP_THRESHOLD, free must leave the threshold alone: "
                                 "malloc(300 KiB) should still be mapped");
}
END_TEST

START_TEST(untouched_heap)
{
    tcache_off();
    void *a = xmalloc(0x100), *b = xmalloc(0x8000);
    ck_assert_msg(!is_mmapped(a) && !is_mmapped(b), "blocks below the threshold come from the heap");
    arenalloc_free(a);
    ck_assert_ptr_eq(arenalloc_malloc(0x100), a);
    arenalloc_free(b);
}
END_TEST

START_TEST(untouched_cache)
{
    void *a = xmalloc(0x40);
    arenalloc_free(a);
    ck_assert_ptr_eq(arenalloc_malloc(0x40), a);
}
END_TEST

void lab_register(void)
{
    lab_scored("a request above the threshold gets its own mapping, IS_MMAPPED, whole pages", large_is_mapped);
    lab_scored("mallinfo2 counts mapped chunks in and out", counted);
    lab_scored("free of a mapped chunk unmaps it at once", unmapped);
    lab_scored("free of a mapped chunk raises the threshold to its size", dynamic_threshold);
    lab_scored("the threshold rises no higher than its cap", threshold_cap);
    lab_scored("a threshold set by mallopt is not moved by free", mallopt_wins);
    lab_untouched("blocks below the threshold still come from the heap", untouched_heap);
    lab_untouched("the per-thread cache still serves small blocks", untouched_cache);
}
