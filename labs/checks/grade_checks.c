/*
 * grade_checks.c - the integrity-checks lab's grader: four checks, one of each
 * family glibc has, each made to fire by the corruption it is there to catch,
 * and each required to stay quiet on a correct program.
 *
 *   fasttop    free(): the chunk on top of its fastbin freed again
 *   unlink     unlink_chunk: fd->bk and bk->fd must both point back at p
 *   unsorted   the unsorted scan: the oldest chunk's links must be intact
 *   tcache key free(): a chunk that carries the cache's key is looked for in its bin
 *
 * Each corruption runs in a child process (tests/expect_abort.h); the test
 * asserts it died of SIGABRT with glibc 2.36's message.
 */
#include "grade.h"
#include "tests/expect_abort.h"
#include "tests/test_helpers.h"

static void start(void)
{
    tcache_off();
    settle();
}

static void fasttop_double_free(void)
{
    start();
    void *a = xmalloc(0x28);
    xmalloc(0x28);
    arenalloc_free(a);
    arenalloc_free(a);
}

START_TEST(fasttop)
{
    ck_assert_aborts_with(fasttop_double_free, "double free or corruption (fasttop)");
}
END_TEST

/* Frees a (0x110, not fast) into the unsorted bin, overwrites its fd, then frees
   its neighbour b, which must unlink a to merge with it. */
static void unlink_broken_fd(void)
{
    start();
    char *a = xmalloc(0x108), *b = xmalloc(0x108);
    xmalloc(0x18);
    static char fake[64];
    arenalloc_free(a);
    void *bogus = fake;
    memcpy(a, &bogus, sizeof bogus); /* a->fd */
    arenalloc_free(b);
}

START_TEST(unlink_check)
{
    ck_assert_aborts_with(unlink_broken_fd, "corrupted double-linked list");
}
END_TEST

/* Frees a into the unsorted bin and points its bk somewhere else: the next scan
   must refuse the chunk before it trusts the link. */
static void unsorted_broken_bk(void)
{
    start();
    char *a = xmalloc(0x108);
    xmalloc(0x18);
    static uintptr_t fake[8];
    arenalloc_free(a);
    void *bogus = fake;
    memcpy(a + sizeof(void *), &bogus, sizeof bogus); /* a->bk */
    xmalloc(0x208);
}

START_TEST(unsorted_check)
{
    ck_assert_aborts_with(unsorted_broken_bk, "malloc(): unsorted double linked list corrupted");
}
END_TEST

static void tcache_double_free(void)
{
    ck_assert_int_eq(arenalloc_set_tcache_count(7), 1);
    void *a = xmalloc(0x48);
    arenalloc_free(a);
    arenalloc_free(a);
}

START_TEST(tcache_key)
{
    ck_assert_aborts_with(tcache_double_free, "free(): double free detected in tcache 2");
}
END_TEST

/* The cache's key may sit in a program's data by chance: a block freed while
   it holds the key must not be taken for a double free. */
START_TEST(tcache_key_quiet)
{
    void *a = xmalloc(0x48), *b = xmalloc(0x48);
    arenalloc_free(a); /* a now carries the key in its second word */
    uintptr_t key;
    memcpy(&key, (char *)a + sizeof(void *), sizeof key);
    memcpy((char *)b + sizeof(void *), &key, sizeof key);
    arenalloc_free(b);
    ck_assert_msg(arenalloc_malloc(0x48) == b, "b held the key by chance but was not in the cache: freeing it must "
                  "not abort, and it should be cached like any other block");
}
END_TEST

START_TEST(correct_program)
{
    start();
    void *p[16];
    for (int round = 0; round < 3; round++) {
        for (int i = 0; i < 16; i++)
            p[i] = xmalloc((size_t)(16 + 40 * i));
        for (int i = 0; i < 16; i += 2)
            arenalloc_free(p[i]);
        xmalloc(0x600);
        for (int i = 1; i < 16; i += 2)
            arenalloc_free(p[i]);
    }
}
END_TEST

void lab_register(void)
{
    lab_scored("free(a); free(a) of a fast chunk aborts: double free or corruption (fasttop)", fasttop);
    lab_scored("unlinking a chunk whose fd was overwritten aborts: corrupted double-linked list", unlink_check);
    lab_scored("the unsorted scan refuses a chunk whose bk was overwritten", unsorted_check);
    lab_scored("free(a); free(a) with the cache on aborts: double free detected in tcache 2", tcache_key);
    lab_untouched("a block holding the cache's key by chance is freed normally", tcache_key_quiet);
    lab_untouched("a correct program passes every check", correct_program);
}
