/*
 * grade_tcache.c - the per-thread cache lab's grader: tcache_put and
 * tcache_get (bins/tcache.h), as glibc 2.36 has them: LIFO bins of at most
 * tcache_count chunks, the key that marks a cached chunk, safe-linked next.
 */
#include "grade.h"
#include "tests/test_helpers.h"

START_TEST(lifo)
{
    void *a = xmalloc(0x48), *b = xmalloc(0x48);
    arenalloc_free(a);
    arenalloc_free(b);
    void *first = arenalloc_malloc(0x48), *second = arenalloc_malloc(0x48);
    ck_assert_msg(first == b && second == a, "after free(a); free(b), malloc(0x48) twice should return b then a (a "
                  "cache bin is LIFO); got %p then %p (a=%p b=%p)", first, second, a, b);
}
END_TEST

START_TEST(seven_per_bin)
{
    tcache_off();
    settle();
    ck_assert_int_eq(arenalloc_set_tcache_count(7), 1);
    void *p[9];
    for (int i = 0; i < 9; i++)
        p[i] = xmalloc(0x28);
    for (int i = 0; i < 9; i++)
        arenalloc_free(p[i]);
    /* Seven in the cache (p[0..6]), two in the fastbin (p[7], p[8]).  The cache
       is served first, newest first. */
    for (int i = 6; i >= 0; i--) {
        void *q = arenalloc_malloc(0x28);
        ck_assert_msg(q == p[i], "with 9 blocks freed, the cache holds the first 7; malloc number %d should return "
                      "block %d from the cache, got %p (expected %p)", 7 - i, i, q, p[i]);
    }
    void *q = arenalloc_malloc(0x28);
    ck_assert_msg(q == p[8], "the 8th malloc should come from the fastbin (block 8, freed last), got %p", q);
}
END_TEST

START_TEST(key_set_and_cleared)
{
    void *a = xmalloc(0x48);
    arenalloc_free(a);
    uintptr_t key;
    memcpy(&key, (char *)a + 8, sizeof key);
    ck_assert_msg(key != 0, "a cached chunk carries the cache's key in its second word (e->key): it is 0");
    void *b = arenalloc_malloc(0x48);
    ck_assert_ptr_eq(b, a);
    memcpy(&key, (char *)a + 8, sizeof key);
    ck_assert_msg(key == 0, "tcache_get should clear the key, so a program's data never shows it by accident: it is "
                            "%#lx", (unsigned long)key);
}
END_TEST

START_TEST(safe_linked)
{
    void *a = xmalloc(0x48), *b = xmalloc(0x48);
    arenalloc_free(a);
    arenalloc_free(b);
    uintptr_t next;
    memcpy(&next, b, sizeof next);
    uintptr_t expect = ((uintptr_t)b >> 12) ^ (uintptr_t)a;
    ck_assert_msg(next == expect, "b's next should point at a's entry (the user pointer, not the chunk), safe-linked: "
                  "(&b->next >> 12) ^ a = %#lx; it is %#lx", (unsigned long)expect, (unsigned long)next);
}
END_TEST

START_TEST(count_setting)
{
    ck_assert_int_eq(arenalloc_set_tcache_count(2), 1);
    void *p[3];
    for (int i = 0; i < 3; i++)
        p[i] = xmalloc(0x88);
    for (int i = 0; i < 3; i++)
        arenalloc_free(p[i]);
    ck_assert_msg(arenalloc_malloc(0x88) == p[1], "with tcache_count 2 the cache keeps the first two frees: malloc "
                                                  "should return the second block freed");
}
END_TEST

START_TEST(sizes_apart)
{
    void *small = xmalloc(0x18), *big = xmalloc(0x3f8);
    arenalloc_free(small);
    arenalloc_free(big);
    ck_assert_msg(arenalloc_malloc(0x3f8) == big, "each size has its own cache bin, up to 0x408: malloc(0x3f8) should "
                                                   "return the 0x400 block");
    ck_assert_msg(arenalloc_malloc(0x18) == small, "and malloc(0x18) the 0x20 one");
}
END_TEST

START_TEST(untouched_off)
{
    tcache_off();
    void *a = xmalloc(0x48), *b = xmalloc(0x108);
    xmalloc(0x18);
    arenalloc_free(a);
    arenalloc_free(b);
    ck_assert_msg(arenalloc_malloc(0x48) == a && arenalloc_malloc(0x108) == b, "with the cache off, the arena's bins "
                  "should still give freed blocks back");
}
END_TEST

void lab_register(void)
{
    lab_scored("a cache bin is LIFO", lifo);
    lab_scored("a bin holds 7 chunks; the 8th free goes to the arena", seven_per_bin);
    lab_scored("tcache_put marks a chunk with the key, tcache_get clears it", key_set_and_cleared);
    lab_scored("the next link is safe-linked", safe_linked);
    lab_scored("glibc.malloc.tcache_count bounds a bin", count_setting);
    lab_scored("each size has its own bin", sizes_apart);
    lab_untouched("with the cache off, the bins still work", untouched_off);
    lab_untouched_mmap();
}
