/*
 * grade_heap.c - the heaps lab's grader: os_reserve_aligned_checked (POSIX
 * mmap-and-trim), new_heap, and heap_for_ptr.
 *
 * The grader is linked with the library statically, so it calls these
 * internal functions directly, as well as going through malloc in a thread.
 */
#include "grade.h"
#include "tests/test_helpers.h"

#include <pthread.h>

#include "arena/heap.h"
#include "syscall/os.h"

#define MiB ((size_t)1 << 20)

START_TEST(aligned)
{
    for (int i = 0; i < 8; i++) {
        char *p = os_reserve_aligned(MiB, MiB);
        ck_assert_msg(p != NULL, "os_reserve_aligned(1 MiB, 1 MiB) failed");
        ck_assert_msg(((uintptr_t)p & (MiB - 1)) == 0, "os_reserve_aligned(1 MiB, 1 MiB) should return a multiple of "
                      "1 MiB, got %p", (void *)p);
    }
}
END_TEST

START_TEST(trimmed)
{
    size_t before = lab_mapped_bytes();
    char *p = os_reserve_aligned(MiB, MiB);
    ck_assert_ptr_nonnull(p);
    size_t after = lab_mapped_bytes();
    ck_assert_msg(after - before == MiB, "mmap-and-trim maps 2 MiB, then gives back what lies before and after the "
                  "aligned 1 MiB: the process should hold 1 MiB more, it holds %zu KiB more", (after - before) / 1024);
}
END_TEST

START_TEST(new_heap_shape)
{
    heap_info *h = new_heap(0x3000, 0);
    ck_assert_msg(h != NULL, "new_heap(0x3000, 0) failed");
    ck_assert_msg(((uintptr_t)h & (MiB - 1)) == 0, "a heap starts on a 1 MiB boundary (its heap_info first), got %p",
                  (void *)h);
    ck_assert_msg(h->size >= 0x3000 && (h->size & 4095) == 0, "the heap's size should be at least what was asked, in "
                  "whole pages: %#zx", h->size);
    ck_assert_msg(h->mprotect_size == h->size, "mprotect_size should say how much is committed: %#zx, size %#zx",
                  h->mprotect_size, h->size);
    memset((char *)h + sizeof *h, 0x5a, h->size - sizeof *h); /* committed: writable */
}
END_TEST

START_TEST(mask)
{
    heap_info *h = new_heap(0x3000, 0);
    ck_assert_ptr_nonnull(h);
    char *inside[] = {(char *)h, (char *)h + 16, (char *)h + 0x2fff, (char *)h + MiB - 1};
    for (int i = 0; i < 4; i++)
        ck_assert_msg(heap_for_ptr(inside[i]) == h, "heap_for_ptr(%p) should mask the pointer down to its heap %p, "
                      "got %p", (void *)inside[i], (void *)h, (void *)heap_for_ptr(inside[i]));
    ck_assert_msg(heap_for_ptr((char *)h + MiB) != h, "one byte past the heap's 1 MiB belongs to another heap");
}
END_TEST

static void *thread_block(void *arg)
{
    (void)arg;
    return arenalloc_malloc(0x100);
}

START_TEST(thread_arena_free)
{
    ck_assert_int_eq(arenalloc_set_arena_policy(ARENALLOC_POLICY_PER_THREAD), 0);
    pthread_t t;
    void *p;
    ck_assert_int_eq(pthread_create(&t, NULL, thread_block, NULL), 0);
    pthread_join(t, &p);
    ck_assert_ptr_nonnull(p);
    ck_assert_msg(size_word(p) & NON_MAIN_ARENA, "a thread with an arena of its own gets chunks marked NON_MAIN_ARENA");
    heap_info *h = heap_for_ptr(p);
    ck_assert_msg(h->ar_ptr != NULL && h->ar_ptr != &main_arena, "the heap_info found by masking should name the "
                                                                 "thread's arena");
    arenalloc_free(p); /* free finds the arena by heap_for_ptr */
    ck_assert_msg(arenalloc_check_heap() == NULL, "heap check: %s", arenalloc_check_heap());
}
END_TEST

START_TEST(untouched_main)
{
    tcache_off();
    void *a = xmalloc(0x100), *b = xmalloc(1 << 20);
    ck_assert(!(size_word(a) & NON_MAIN_ARENA));
    arenalloc_free(a);
    arenalloc_free(b);
    ck_assert_ptr_eq(arenalloc_malloc(0x100), a);
}
END_TEST

void lab_register(void)
{
    lab_scored("os_reserve_aligned returns 1 MiB-aligned ranges", aligned);
    lab_scored("mmap-and-trim keeps only the aligned 1 MiB", trimmed);
    lab_scored("new_heap: 1 MiB-aligned, size in pages, committed", new_heap_shape);
    lab_scored("heap_for_ptr finds the heap of any pointer inside it", mask);
    lab_scored("a thread's chunk is freed through heap_for_ptr", thread_arena_free);
    lab_untouched("a single-threaded program never needs a heap", untouched_main);
}
