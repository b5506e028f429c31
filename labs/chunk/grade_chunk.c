/*
 * grade_chunk.c - the chunk lab's grader: the in-use bit kept in the next
 * chunk, the boundary tag (foot), set_head_size and memsize (bins/chunk.h).
 *
 * The tests read headers through the user pointer, as gdb's `x/4gx p-16` shows
 * them: the size word 8 bytes below the pointer, prev_size 16 bytes below.
 */
#include "grade.h"
#include "tests/test_helpers.h"

static void start(void)
{
    tcache_off();
    settle();
}

START_TEST(free_clears_next_p)
{
    start();
    void *a = xmalloc(0x108), *b = xmalloc(0x18);
    xmalloc(0x18);
    ck_assert_msg(size_word(b) & PREV_INUSE, "while a is in use, the next chunk's PREV_INUSE bit should be set");
    arenalloc_free(a);
    ck_assert_msg(!(size_word(b) & PREV_INUSE), "free(a) of a 0x110 chunk should clear PREV_INUSE in the chunk after "
                                                "it (clear_inuse_bit_at_offset): b's size word is %#zx", size_word(b));
    ck_assert_msg(prev_size_word(b) == 0x110, "free(a) should write a's size, 0x110, at its end, in b's prev_size "
                                              "(set_foot); b's prev_size is %#zx", prev_size_word(b));
}
END_TEST

START_TEST(malloc_sets_p)
{
    start();
    void *a = xmalloc(0x108), *b = xmalloc(0x18);
    xmalloc(0x18);
    arenalloc_free(a);
    void *again = xmalloc(0x108);
    ck_assert_ptr_eq(again, a);
    ck_assert_msg(size_word(b) & PREV_INUSE, "malloc taking a free chunk whole should set PREV_INUSE in the chunk "
                                             "after it again (set_inuse_bit_at_offset): b's size word is %#zx",
                  size_word(b));
}
END_TEST

START_TEST(split_writes_foot)
{
    start();
    void *a = xmalloc(0x408), *b = xmalloc(0x18);
    xmalloc(0x18);
    arenalloc_free(a);
    void *p = xmalloc(0x100); /* a is split: 0x110 in use, 0x300 left free */
    ck_assert_ptr_eq(p, a);
    ck_assert_msg(prev_size_word(b) == 0x300, "splitting a free 0x410 chunk for malloc(0x100) leaves a free 0x300 "
                                              "remainder whose foot (b's prev_size) should say 0x300, not %#zx",
                  prev_size_word(b));
}
END_TEST

START_TEST(usable_size)
{
    start();
    void *p = xmalloc(0x18);
    ck_assert_msg(arenalloc_malloc_usable_size(p) == 0x18, "malloc(0x18) gets a 0x20 chunk whose usable size is 0x18 "
                  "(it borrows the next chunk's prev_size): memsize said %#zx", arenalloc_malloc_usable_size(p));
    void *q = xmalloc(0x100);
    ck_assert_msg(arenalloc_malloc_usable_size(q) == 0x108, "malloc(0x100) gets a 0x110 chunk, usable size 0x108, "
                  "not %#zx", arenalloc_malloc_usable_size(q));
    void *m = xmalloc(1 << 20);
    ck_assert_msg(arenalloc_malloc_usable_size(m) == chunk_size(m) - 16, "a mapped chunk has no next chunk to borrow "
                  "from: usable size should be its size minus 16 (%#zx), not %#zx", chunk_size(m) - 16,
                  arenalloc_malloc_usable_size(m));
}
END_TEST

START_TEST(realloc_shrink_keeps_flags)
{
    start();
    void *a = xmalloc(0x208);
    xmalloc(0x18);
    size_t before = size_word(a) & SIZE_BITS;
    void *b = arenalloc_realloc(a, 0x100);
    ck_assert_ptr_eq(b, a);
    ck_assert_msg(chunk_size(b) == 0x110, "realloc(a, 0x100) shrinks a 0x210 chunk in place to 0x110, got %#zx",
                  chunk_size(b));
    ck_assert_msg((size_word(b) & SIZE_BITS) == before, "shrinking in place should keep the flag bits "
                  "(set_head_size): they were %#zx, now %#zx", before, size_word(b) & SIZE_BITS);
}
END_TEST

START_TEST(merge_neighbours)
{
    start();
    void *a = xmalloc(0x108), *b = xmalloc(0x108), *c = xmalloc(0x18);
    arenalloc_free(a);
    arenalloc_free(b);
    ck_assert_msg(chunk_size(a) == 0x220, "freeing b next to free a should merge them, which needs a's in-use bit "
                  "(read in b) and a's foot: a's size is %#zx, not 0x220", chunk_size(a));
    ck_assert_msg(prev_size_word(c) == 0x220, "the merged chunk's foot (c's prev_size) should be 0x220, not %#zx",
                  prev_size_word(c));
}
END_TEST

START_TEST(untouched_cache)
{
    void *p[5];
    for (int i = 0; i < 5; i++)
        p[i] = xmalloc(0x48);
    for (int i = 0; i < 5; i++)
        arenalloc_free(p[i]);
    ck_assert_msg(arenalloc_malloc(0x48) == p[4], "with the cache on, malloc(0x48) should return the block freed last");
}
END_TEST

void lab_register(void)
{
    lab_scored("free clears the next chunk's PREV_INUSE and writes the foot", free_clears_next_p);
    lab_scored("malloc sets the next chunk's PREV_INUSE again", malloc_sets_p);
    lab_scored("a split leaves the remainder's foot right", split_writes_foot);
    lab_scored("malloc_usable_size: heap chunks borrow 8 bytes, mapped ones do not", usable_size);
    lab_scored("shrinking in place keeps the flag bits", realloc_shrink_keeps_flags);
    lab_scored("two free neighbours merge, by in-use bit and foot", merge_neighbours);
    lab_untouched_mmap();
    lab_untouched("the per-thread cache still serves small blocks", untouched_cache);
}
