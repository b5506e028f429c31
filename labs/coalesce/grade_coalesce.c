/*
 * grade_coalesce.c - the coalescing lab's grader: _int_free_create_chunk, which
 * merges a freed chunk with a free neighbour on either side and files the
 * result in the unsorted bin, or melts it into top.
 */
#include "grade.h"
#include "tests/test_helpers.h"

static void start(void)
{
    tcache_off();
    settle();
}

/* main_arena's top, by mallinfo2 (keepcost is top's size). */
static size_t top_size(void) { return arenalloc_mallinfo2().keepcost; }

START_TEST(merge_backward)
{
    start();
    void *a = xmalloc(0x108), *b = xmalloc(0x108), *c = xmalloc(0x18);
    (void)c;
    arenalloc_free(a);
    arenalloc_free(b);
    ck_assert_msg(chunk_size(a) == 0x220, "free(b) with free a just before it should merge backwards into one 0x220 "
                  "chunk starting at a; a's size is %#zx", chunk_size(a));
    ck_assert_msg(arenalloc_malloc(0x218) == a, "malloc(0x218) should then get the merged chunk at a");
}
END_TEST

START_TEST(merge_forward)
{
    start();
    void *a = xmalloc(0x108), *b = xmalloc(0x108), *c = xmalloc(0x18);
    (void)c;
    arenalloc_free(b);
    arenalloc_free(a);
    ck_assert_msg(chunk_size(a) == 0x220, "free(a) with free b just after it should merge forwards into one 0x220 "
                  "chunk; a's size is %#zx", chunk_size(a));
    ck_assert_msg(prev_size_word(c) == 0x220, "the merged chunk's foot (the next chunk's prev_size) should be 0x220, "
                  "not %#zx", prev_size_word(c));
    ck_assert_msg(!(size_word(c) & PREV_INUSE), "the chunk after the merged one should have PREV_INUSE clear");
}
END_TEST

START_TEST(merge_both)
{
    start();
    void *a = xmalloc(0x108), *b = xmalloc(0x208), *c = xmalloc(0x108), *d = xmalloc(0x18);
    (void)d;
    arenalloc_free(a);
    arenalloc_free(c);
    arenalloc_free(b);
    ck_assert_msg(chunk_size(a) == 0x430, "free(b) between free a and free c should make one chunk of 0x110 + 0x210 + "
                  "0x110 = 0x430 at a; a's size is %#zx", chunk_size(a));
}
END_TEST

START_TEST(no_merge_in_use)
{
    start();
    void *a = xmalloc(0x108), *b = xmalloc(0x108), *c = xmalloc(0x108), *d = xmalloc(0x18);
    (void)d;
    arenalloc_free(b);
    ck_assert_msg(chunk_size(b) == 0x110, "free(b) between two chunks in use must not merge: b's size is %#zx",
                  chunk_size(b));
    ck_assert_msg(chunk_size(a) == 0x110 && chunk_size(c) == 0x110, "the neighbours in use must keep their sizes");
    ck_assert_msg(arenalloc_malloc(0x108) == b, "malloc(0x108) should get b back, exactly");
}
END_TEST

START_TEST(into_top)
{
    start();
    void *low = xmalloc(0x18);
    void *a = xmalloc(0x208);
    size_t before = top_size();
    arenalloc_free(a);
    ck_assert_msg(top_size() == before + 0x210, "a freed chunk touching top should become part of top: top was %#zx, "
                  "should be %#zx, is %#zx", before, before + 0x210, top_size());
    ck_assert_msg(arenalloc_malloc(0x208) == a, "the next malloc(0x208) should be carved from top where a was");
    (void)low;
}
END_TEST

START_TEST(top_absorbs_prev)
{
    start();
    void *low = xmalloc(0x18);
    void *a = xmalloc(0x108), *b = xmalloc(0x108);
    arenalloc_free(a);
    size_t before = top_size();
    arenalloc_free(b);
    ck_assert_msg(top_size() == before + 0x220, "freeing b, between free a and top, should merge all three: top "
                  "should grow by 0x220 to %#zx, is %#zx", before + 0x220, top_size());
    (void)low;
}
END_TEST

void lab_register(void)
{
    lab_scored("a freed chunk merges with the free chunk before it", merge_backward);
    lab_scored("a freed chunk merges with the free chunk after it", merge_forward);
    lab_scored("a freed chunk merges with both neighbours at once", merge_both);
    lab_scored("a freed chunk between chunks in use stays as it is", no_merge_in_use);
    lab_scored("a freed chunk next to top becomes part of top", into_top);
    lab_scored("top takes a freed chunk and its free neighbour together", top_absorbs_prev);
    lab_untouched_mmap();
    lab_untouched_fastbins();
}
