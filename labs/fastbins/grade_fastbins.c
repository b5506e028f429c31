/*
 * grade_fastbins.c - the fastbins lab's grader: free_to_fastbin (push),
 * malloc_from_fastbin (pop) and malloc_consolidate.
 *
 * Every test turns the per-thread cache off first, so that each free reaches
 * the arena's bins (the cache has its own lab), and starts from a settled heap.
 */
#include "grade.h"
#include "tests/test_helpers.h"

static void start(void)
{
    tcache_off();
    settle();
}

START_TEST(lifo)
{
    start();
    void *a = xmalloc(0x20), *b = xmalloc(0x20);
    xmalloc(0x20); /* keeps b away from top */
    arenalloc_free(a);
    arenalloc_free(b);
    void *first = arenalloc_malloc(0x20), *second = arenalloc_malloc(0x20);
    ck_assert_msg(first == b, "after free(a); free(b) of two 0x20 blocks, the first malloc(0x20) should return b, "
                              "the chunk freed last (a fastbin is LIFO); it returned %p (a=%p b=%p)", first, a, b);
    ck_assert_msg(second == a, "the second malloc(0x20) should return a, the chunk freed first; it returned %p (a=%p)",
                  second, a);
}
END_TEST

START_TEST(header_kept)
{
    start();
    void *a = xmalloc(0x30), *b = xmalloc(0x30);
    arenalloc_free(a);
    ck_assert_msg(size_word(b) & PREV_INUSE, "after free(a) of a fast chunk, the next chunk's PREV_INUSE bit should "
                                             "stay set: a fastbin chunk still counts as in use, so nothing merges with it");
    ck_assert_msg(chunk_size(a) == 0x40, "free should leave a fast chunk's size word alone (0x40 | P), it is now %#zx",
                  size_word(a));
}
END_TEST

START_TEST(by_size)
{
    start();
    void *small = xmalloc(0x18), *mid = xmalloc(0x38), *big = xmalloc(0x68);
    xmalloc(0x18);
    arenalloc_free(small);
    arenalloc_free(mid);
    arenalloc_free(big);
    void *p = arenalloc_malloc(0x38);
    ck_assert_msg(p == mid, "each chunk size has its own fastbin: after freeing chunks of 0x20, 0x40 and 0x70 bytes, "
                            "malloc(0x38) should return the 0x40 one (%p), not %p", mid, p);
    p = arenalloc_malloc(0x18);
    ck_assert_msg(p == small, "malloc(0x18) should then return the 0x20 chunk (%p), not %p", small, p);
}
END_TEST

START_TEST(safe_linking)
{
    start();
    void *a = xmalloc(0x20), *b = xmalloc(0x20);
    xmalloc(0x20);
    arenalloc_free(a);
    arenalloc_free(b);
    uintptr_t stored;
    memcpy(&stored, b, sizeof stored);
    uintptr_t expect = ((uintptr_t)b >> 12) ^ ((uintptr_t)a - 16);
    ck_assert_msg(stored == expect, "b's fd should hold the chunk of a, safe-linked: (&b->fd >> 12) ^ chunk(a) = %#lx; "
                                    "it holds %#lx (protect_ptr does the XOR)", (unsigned long)expect,
                  (unsigned long)stored);
    arenalloc_free(xmalloc(0x20)); /* and it must still decode: pop b, push it back */
    ck_assert_ptr_eq(arenalloc_malloc(0x20), b);
    ck_assert_msg(arenalloc_malloc(0x20) == a, "the pop after b should decode b's fd back to a (reveal_ptr)");
}
END_TEST

START_TEST(consolidate_merges)
{
    start();
    void *a = xmalloc(0x28), *b = xmalloc(0x28), *c = xmalloc(0x28);
    void *guard = xmalloc(0x100);
    arenalloc_free(a);
    arenalloc_free(b);
    arenalloc_free(c);
    /* A large request runs malloc_consolidate: the three 0x30 chunks side by side
       must become one free chunk of 0x90. */
    void *large = xmalloc(0x420);
    void *p = arenalloc_malloc(0x80);
    ck_assert_msg(p == a, "malloc(0x420) should consolidate the fastbins: three adjacent free 0x30 chunks become one "
                          "0x90 chunk, which malloc(0x80) then returns whole (%p); it returned %p", a, p);
    ck_assert_msg(chunk_size(p) == 0x90, "the merged chunk should be 0x90 bytes, it is %#zx", chunk_size(p));
    arenalloc_free(large);
    arenalloc_free(guard);
}
END_TEST

START_TEST(consolidate_into_top)
{
    start();
    void *low = xmalloc(0x200);
    void *a = xmalloc(0x40);
    size_t top_before = arenalloc_mallinfo2().keepcost;
    arenalloc_free(a);
    void *large = xmalloc(0x500); /* consolidates: a touches top and melts into it */
    arenalloc_free(large);
    size_t top_after = arenalloc_mallinfo2().keepcost;
    ck_assert_msg(top_after >= top_before + 0x50, "a fast chunk next to top should melt into top when the fastbins are "
                                                  "consolidated: top grew from %#zx to only %#zx", top_before, top_after);
    arenalloc_free(low);
}
END_TEST

/* ---- what the stubs must not break -------------------------------------------------- */

START_TEST(mmap_path)
{
    tcache_off();
    void *p = xmalloc(1 << 20);
    ck_assert_msg(is_mmapped(p), "a 1 MiB block should be mapped on its own");
    memset(p, 1, 1 << 20);
    arenalloc_free(p);
}
END_TEST

START_TEST(large_reuse)
{
    tcache_off();
    void *a = xmalloc(0x500);
    xmalloc(0x20);
    arenalloc_free(a);
    ck_assert_msg(arenalloc_malloc(0x500) == a, "a freed 0x500 block should be reused by the next malloc(0x500)");
}
END_TEST

void lab_register(void)
{
    lab_scored("the fastbins are LIFO: two frees, then malloc returns the chunk freed last", lifo);
    lab_scored("free leaves a fast chunk marked in use (no merging, header untouched)", header_kept);
    lab_scored("each chunk size has a fastbin of its own", by_size);
    lab_scored("a fastbin's fd is safe-linked (PROTECT_PTR) and decodes on the way out", safe_linking);
    lab_scored("malloc_consolidate merges adjacent fast chunks into one free chunk", consolidate_merges);
    lab_scored("malloc_consolidate melts a fast chunk next to top into top", consolidate_into_top);
    lab_untouched("a 1 MiB block still comes from mmap", mmap_path);
    lab_untouched("a freed large (0x500) block is still reused", large_reuse);
}
