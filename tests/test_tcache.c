/*
 * test_tcache.c - the per-thread cache (bins/tcache.h), glibc 2.36's rules:
 * LIFO reuse, 7 entries per bin, tcache_max, the unsorted scan's exact fits and
 * tcache_unsorted_limit, the stashing from a fastbin and a small bin, the entries
 * given back at thread exit, the cache across fork, and each of its checks at
 * every release from 2.26 (ARENALLOC_CHECKS), aborting with glibc's message.
 *
 * Sizes on x86-64: a request of 24 bytes is a 0x20 chunk (cache bin 0), 40 a
 * 0x30 (bin 1), 0xf8 a 0x100 (bin 14, past the fastbins).
 */
#include <check.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "arena/tcache_thread.h"
#include "bins/bins.h"
#include "bins/malloc_par.h"
#include "tests/expect_abort.h"
#include "tests/test_helpers.h"

/* Entries cached now for requests of `bytes`. */
static unsigned cached(size_t bytes) { return tcache->counts[usize2tidx(bytes)]; }

/* n blocks of `bytes`, each followed by a 24-byte guard so that none of them
   merges with its neighbours once free. */
static void alloc_guarded(void **p, int n, size_t bytes)
{
    for (int i = 0; i < n; i++) {
        p[i] = xmalloc(bytes);
        xmalloc(24);
    }
}

static void free_all(void **p, int n)
{
    for (int i = 0; i < n; i++)
        arenalloc_free(p[i]);
}

/* ---- the rules ------------------------------------------------------------------ */

/* The last chunk freed is the first one malloc gives back, from the cache. */
START_TEST(test_lifo)
{
    void *p[3];
    alloc_guarded(p, 3, 40);
    free_all(p, 3);
    ck_assert_uint_eq(cached(40), 3);
    ck_assert_ptr_eq(xmalloc(40), p[2]);
    ck_assert_ptr_eq(xmalloc(40), p[1]);
    ck_assert_ptr_eq(xmalloc(40), p[0]);
    ck_assert_uint_eq(cached(40), 0);
    ck_assert_ptr_null(main_arena.fastbinsY[fastbin_index(48)]); /* never reached the arena */
}
END_TEST

/* A bin holds 7 chunks: the 8th and 9th frees go to the fastbin. */
START_TEST(test_seven_per_bin)
{
    void *p[9];
    alloc_guarded(p, 9, 40);
    free_all(p, 9);
    ck_assert_uint_eq(cached(40), 7);
    ck_assert_ptr_eq(main_arena.fastbinsY[fastbin_index(48)], mem2chunk(p[8]));
    ck_assert_ptr_eq(reveal_ptr(&mem2chunk(p[8])->fd), mem2chunk(p[7]));
    ck_assert_ptr_eq(tcache->entries[usize2tidx(40)], (tcache_entry *)p[6]);
    ck_assert_uint_eq(mp_.tcache_count, TCACHE_FILL_COUNT);
}
END_TEST

/* mp_ as glibc fills it; a request of 1032 bytes is cached, 1033 is not. */
START_TEST(test_tcache_max_default)
{
    ck_assert_uint_eq(mp_.tcache_bins, 64);
    ck_assert_uint_eq(mp_.tcache_max_bytes, 1032);
    ck_assert_uint_eq(mp_.tcache_unsorted_limit, 0);
    void *p[2];
    alloc_guarded(p, 1, 1032);
    alloc_guarded(p + 1, 1, 1033);
    free_all(p, 2);
    ck_assert_uint_eq(cached(1032), 1);
    ck_assert_ptr_eq(unsorted_chunks(&main_arena)->fd, mem2chunk(p[1])); /* 0x420: no bin of the cache */
}
END_TEST

/* glibc.malloc.tcache_max=100: requests up to 100 bytes are cached, 120 not. */
START_TEST(test_tcache_max_tunable)
{
    ck_assert_int_eq(setenv("GLIBC_TUNABLES", "glibc.malloc.tcache_max=100", 1), 0);
    void *p[2];
    alloc_guarded(p, 1, 100);
    alloc_guarded(p + 1, 1, 120);
    ck_assert_uint_eq(mp_.tcache_bins, usize2tidx(100) + 1);
    free_all(p, 2);
    ck_assert_uint_eq(cached(100), 1);
    ck_assert_ptr_eq(main_arena.fastbinsY[fastbin_index(request2size(120))], mem2chunk(p[1]));
}
END_TEST

/* Puts three 0x100 chunks in the unsorted bin (the cache's bin full, then
   emptied again), freed in the order e[0], e[1], e[2]. */
static void three_unsorted(void **e)
{
    void *fill[7];
    alloc_guarded(fill, 7, 0xf8);
    alloc_guarded(e, 3, 0xf8);
    free_all(fill, 7);
    free_all(e, 3);
    ck_assert_uint_eq(cached(0xf8), 7);
    for (int i = 0; i < 7; i++)
        xmalloc(0xf8);
    ck_assert_uint_eq(cached(0xf8), 0);
}

/* The unsorted scan caches every exact fit it meets (oldest first), then
   returns the last one cached; the others wait in the cache. */
START_TEST(test_unsorted_exact_fits_cached)
{
    void *e[3];
    three_unsorted(e);
    ck_assert_ptr_eq(xmalloc(0xf8), e[2]);
    ck_assert_uint_eq(cached(0xf8), 2);
    ck_assert_ptr_eq(unsorted_chunks(&main_arena)->fd, unsorted_chunks(&main_arena)); /* scanned empty */
    ck_assert_ptr_eq(xmalloc(0xf8), e[1]);
    ck_assert_ptr_eq(xmalloc(0xf8), e[0]);
}
END_TEST

/* With the cache's bin full, the scan returns an exact fit at once. */
START_TEST(test_unsorted_exact_fit_cache_full)
{
    void *e[3];
    three_unsorted(e);
    ck_assert_int_eq(arenalloc_set_tcache_count(1), 1);
    ck_assert_ptr_eq(xmalloc(0xf8), e[1]); /* e[0] cached (the bin holds 1 now), e[1] returned */
    ck_assert_uint_eq(cached(0xf8), 1);
    ck_assert_ptr_eq(unsorted_chunks(&main_arena)->bk, mem2chunk(e[2])); /* not reached */
    ck_assert_ptr_eq(xmalloc(0xf8), e[0]);
}
END_TEST

/* Unsorted, oldest first: an exact fit, two others, another exact fit.  Without
   a limit the scan sorts all and returns the second fit; with
   tcache_unsorted_limit=1 it stops after sorting two and returns the first. */
static void *limit_scenario(void **first_fit, void **second_fit)
{
    void *fill[7], *a[1], *x[2], *b[1];
    alloc_guarded(fill, 7, 0xf8);
    alloc_guarded(a, 1, 0xf8);
    alloc_guarded(x, 2, 0x1f8);
    alloc_guarded(b, 1, 0xf8);
    void *x_fill[7];
    alloc_guarded(x_fill, 7, 0x1f8);
    free_all(x_fill, 7); /* the 0x200 bin of the cache full: x go to the arena */
    free_all(fill, 7);
    arenalloc_free(a[0]);
    free_all(x, 2);
    arenalloc_free(b[0]);
    for (int i = 0; i < 7; i++)
        xmalloc(0xf8);
    *first_fit = a[0];
    *second_fit = b[0];
    return xmalloc(0xf8);
}

START_TEST(test_unsorted_no_limit)
{
    void *a, *b;
    ck_assert_ptr_eq(limit_scenario(&a, &b), b);
    ck_assert_ptr_eq(xmalloc(0xf8), a);
}
END_TEST

START_TEST(test_unsorted_limit)
{
    ck_assert_int_eq(setenv("GLIBC_TUNABLES", "glibc.malloc.tcache_unsorted_limit=1", 1), 0);
    void *a, *b;
    ck_assert_ptr_eq(limit_scenario(&a, &b), a);
    ck_assert_uint_eq(mp_.tcache_unsorted_limit, 1);
    ck_assert_ptr_eq(unsorted_chunks(&main_arena)->bk, mem2chunk(b)); /* left for the next scan */
}
END_TEST

/* Taking one chunk from a fastbin moves the rest of that bin into the cache. */
START_TEST(test_stash_from_fastbin)
{
    void *p[10];
    alloc_guarded(p, 10, 24);
    free_all(p, 10); /* p[0..6] cached, p[7..9] in the fastbin */
    for (int i = 6; i >= 0; i--)
        ck_assert_ptr_eq(xmalloc(24), p[i]);
    ck_assert_ptr_eq(xmalloc(24), p[9]); /* the fastbin's top; p[8], p[7] stashed */
    ck_assert_ptr_null(main_arena.fastbinsY[0]);
    ck_assert_uint_eq(cached(24), 2);
    ck_assert_ptr_eq(xmalloc(24), p[7]);
    ck_assert_ptr_eq(xmalloc(24), p[8]);
}
END_TEST

/* Taking one chunk from a small bin moves the rest of that bin into the cache. */
START_TEST(test_stash_from_smallbin)
{
    void *e[3];
    three_unsorted(e);
    xmalloc(0x300); /* from top: the scan sorts e[0..2] into the 0x100 small bin */
    mbinptr bin = bin_at(&main_arena, smallbin_index(0x100));
    ck_assert_ptr_eq(last(bin), mem2chunk(e[0]));
    ck_assert_ptr_eq(xmalloc(0xf8), e[0]); /* the oldest; e[1], e[2] stashed */
    ck_assert_ptr_eq(last(bin), bin);
    ck_assert_uint_eq(cached(0xf8), 2);
    ck_assert_ptr_eq(xmalloc(0xf8), e[2]);
    ck_assert_ptr_eq(xmalloc(0xf8), e[1]);
}
END_TEST

/* calloc never takes from the cache (glibc 2.36): it clears cheaply what
   comes from top, and a cached chunk would always need clearing. */
START_TEST(test_calloc_skips_cache)
{
    void *p[1];
    alloc_guarded(p, 1, 40);
    arenalloc_free(p[0]);
    char *c = arenalloc_calloc(1, 40);
    ck_assert_ptr_ne(c, p[0]);
    ck_assert_uint_eq(cached(40), 1);
    ck_assert_ptr_eq(xmalloc(40), p[0]);
}
END_TEST

/* With tcache_count 0 the structure is still allocated and read: a count forged
   there makes malloc take the forged entry, and its alignment check fires. */
static void forged_entry_with_count_zero(void)
{
    ck_assert_int_eq(arenalloc_set_tcache_count(0), 1);
    static char buf[64];
    arenalloc_free(xmalloc(40)); /* the structure exists now */
    tcache->counts[1] = 1;
    tcache->entries[1] = (tcache_entry *)(buf + 8 - ((uintptr_t)buf & 8)); /* 8 mod 16 */
    arenalloc_malloc(40);
}

START_TEST(test_count_zero_still_reads_struct)
{
    ck_assert_aborts_with(forged_entry_with_count_zero, "malloc(): unaligned tcache chunk detected");
}
END_TEST

/* ---- threads and fork ----------------------------------------------------------- */

static void *cache_and_exit(void *arg)
{
    void *p[5];
    for (int i = 0; i < 5; i++)
        p[i] = xmalloc(200);
    free_all(p, 5);
    *(unsigned *)arg = cached(200);
    return NULL;
}

/* A thread's cached chunks, and its cache's structure, are free again once it
   has exited: the bytes in use are what they were before it started. */
START_TEST(test_thread_exit_returns_entries)
{
    arenalloc_free(xmalloc(1)); /* this thread's own cache first */
    size_t before = arenalloc_mallinfo2().uordblks;
    unsigned thread_cached = 0;
    pthread_t t;
    ck_assert_int_eq(pthread_create(&t, NULL, cache_and_exit, &thread_cached), 0);
    ck_assert_int_eq(pthread_join(t, NULL), 0);
    ck_assert_uint_eq(thread_cached, 5);
    ck_assert_uint_eq(arenalloc_mallinfo2().uordblks, before);
    ck_assert_ptr_null(arenalloc_check_heap());
}
END_TEST

/* The child of fork has the parent's cache, entries and all. */
START_TEST(test_fork_keeps_cache)
{
    void *p[2];
    alloc_guarded(p, 2, 40);
    free_all(p, 2);
    pid_t pid = fork();
    if (pid == 0) {
        int ok = cached(40) == 2 && arenalloc_malloc(40) == p[1] && arenalloc_malloc(40) == p[0];
        arenalloc_free(p[0]);
        _exit(ok && arenalloc_check_heap() == NULL ? 0 : 1);
    }
    int status;
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert(WIFEXITED(status));
    ck_assert_int_eq(WEXITSTATUS(status), 0);
    ck_assert_uint_eq(cached(40), 2); /* the parent's is its own */
    ck_assert_ptr_eq(xmalloc(40), p[1]);
}
END_TEST

/* ---- the checks, release by release --------------------------------------------- */

/* The loop tests run once per release, 2.26 (no tcache checks) to 2.36. */
static int release(int i) { return 26 + i; }

static void double_free(void)
{
    void *a = xmalloc(40);
    arenalloc_free(a);
    arenalloc_free(a);
}

/* 2.29 on: free finds its key in the chunk and the chunk in its bin.  Before:
   the chunk is cached twice, and malloc hands it out twice (tcache dup). */
START_TEST(test_double_free_by_release)
{
    ck_assert_int_eq(arenalloc_set_checks(release(_i)), 0);
    if (checks_since(29)) {
        ck_assert_aborts_with(double_free, "free(): double free detected in tcache 2");
        return;
    }
    void *a = xmalloc(40);
    arenalloc_free(a);
    arenalloc_free(a);
    ck_assert_uint_eq(cached(40), 2);
    ck_assert_ptr_eq(xmalloc(40), a);
    ck_assert_ptr_eq(xmalloc(40), a);
}
END_TEST

/* The key's slot holds tcache_key only from 2.29, and next is safe-linked only
   from 2.32 (stored as (where >> 12) ^ pointer). */
START_TEST(test_entry_layout_by_release)
{
    ck_assert_int_eq(arenalloc_set_checks(release(_i)), 0);
    void *p[2];
    alloc_guarded(p, 2, 40);
    ((uintptr_t *)p[1])[1] = 0x1234; /* data where the key goes */
    free_all(p, 2);
    tcache_entry *b = p[1];
    uintptr_t stored = (uintptr_t)b->next;
    uintptr_t expect = checks_since(32) ? ((uintptr_t)&b->next >> 12) ^ (uintptr_t)p[0] : (uintptr_t)p[0];
    ck_assert_uint_eq(stored, expect);
    ck_assert_uint_eq(b->key, checks_since(29) ? tcache_key_value() : 0x1234);
    if (checks_since(34))
        ck_assert_uint_eq(b->key, tcache_key); /* random, not the structure's address */
    else if (checks_since(29))
        ck_assert_uint_eq(b->key, (uintptr_t)tcache);
    ck_assert_ptr_eq(xmalloc(40), p[1]);
    if (checks_since(29))
        ck_assert_uint_eq(((uintptr_t *)p[1])[1], 0); /* the key is wiped when taken */
}
END_TEST

static char poison_target[64] __attribute__((aligned(16)));

/* Tcache poisoning: a freed entry's next overwritten to point at a chosen
   address, stored as free would store it.  The address is 8 bytes off. */
static void *poison(void)
{
    void *p[2];
    alloc_guarded(p, 2, 40);
    free_all(p, 2);
    tcache_entry *b = p[1];
    b->next = tcache_protect(&b->next, (tcache_entry *)(poison_target + 8));
    ck_assert_ptr_eq(xmalloc(40), p[1]);
    return arenalloc_malloc(40);
}

static void poison_unaligned(void) { poison(); }

/* 2.32 on: an entry taken must be aligned.  Before, malloc returns it. */
START_TEST(test_unaligned_get_by_release)
{
    ck_assert_int_eq(arenalloc_set_checks(release(_i)), 0);
    if (checks_since(32))
        ck_assert_aborts_with(poison_unaligned, "malloc(): unaligned tcache chunk detected");
    else
        ck_assert_ptr_eq(poison(), poison_target + 8);
}
END_TEST

/* The bin of a chunk c whose key the attacker forged holds a, whose next was
   overwritten with `next`; freeing c walks the bin. */
static void walk_forged_bin(tcache_entry *(*next)(tcache_entry *a))
{
    void *p[2];
    alloc_guarded(p, 2, 40);
    arenalloc_free(p[0]);
    tcache_entry *a = p[0];
    a->next = tcache_protect(&a->next, next(a));
    ((uintptr_t *)p[1])[1] = tcache_key_value();
    arenalloc_free(p[1]);
}

static tcache_entry *unaligned_next(tcache_entry *a) { return (tcache_entry *)((char *)a + 8); }
static tcache_entry *loop_next(tcache_entry *a) { return a; }
static void free_with_unaligned_bin(void) { walk_forged_bin(unaligned_next); }
static void free_with_looping_bin(void) { walk_forged_bin(loop_next); }

/* 2.32 on: the walk checks each entry's alignment. */
START_TEST(test_unaligned_in_walk)
{
    ck_assert_int_eq(arenalloc_set_checks(release(_i)), 0);
    ck_assert_aborts_with(free_with_unaligned_bin, "free(): unaligned chunk detected in tcache 2");
}
END_TEST

/* 2.33 on: the walk stops after tcache_count entries. */
START_TEST(test_too_many_in_walk)
{
    ck_assert_int_eq(arenalloc_set_checks(release(_i)), 0);
    ck_assert_aborts_with(free_with_looping_bin, "free(): too many chunks detected in tcache");
}
END_TEST

/* Changing the release re-stores the caller's cached links in its format. */
START_TEST(test_change_release_keeps_cache)
{
    void *p[3];
    alloc_guarded(p, 3, 40);
    free_all(p, 3);
    ck_assert_int_eq(arenalloc_set_checks(31), 0);
    tcache_entry *top = p[2];
    ck_assert_ptr_eq(top->next, (tcache_entry *)p[1]); /* plain before 2.32 */
    ck_assert_int_eq(arenalloc_set_checks(36), 0);
    ck_assert_ptr_eq(xmalloc(40), p[2]);
    ck_assert_ptr_eq(xmalloc(40), p[1]);
    ck_assert_ptr_eq(xmalloc(40), p[0]);
}
END_TEST

/* A program's data that happens to hold the key is no double free. */
START_TEST(test_key_coincidence)
{
    void *p[1];
    alloc_guarded(p, 1, 40);
    ((uintptr_t *)p[0])[1] = tcache_key_value();
    arenalloc_free(p[0]);
    ck_assert_uint_eq(cached(40), 1);
}
END_TEST

/* Stashing from a fastbin checks each chunk's alignment (2.32). */
static void stash_unaligned(void)
{
    void *p[9];
    alloc_guarded(p, 9, 24);
    free_all(p, 9); /* p[7], p[8] in the fastbin */
    for (int i = 0; i < 7; i++)
        xmalloc(24);
    mchunkptr top = mem2chunk(p[8]);
    top->fd = protect_ptr(&top->fd, (mchunkptr)((char *)mem2chunk(p[7]) + 8));
    arenalloc_malloc(24);
}

START_TEST(test_stash_checks_alignment)
{
    ck_assert_aborts_with(stash_unaligned, "malloc(): unaligned fastbin chunk detected 3");
}
END_TEST

/* ---- the heap checker ------------------------------------------------------------ */

START_TEST(test_checker_accepts_cache)
{
    void *p[9];
    alloc_guarded(p, 9, 40);
    free_all(p, 9);
    ck_assert_ptr_null(arenalloc_check_heap());
}
END_TEST

/* A bin whose list loops: caught, and the check ends. */
START_TEST(test_checker_sees_loop)
{
    void *p[2];
    alloc_guarded(p, 2, 40);
    free_all(p, 2);
    tcache_entry *a = p[0];
    a->next = tcache_protect(&a->next, a);
    const char *err = arenalloc_check_heap();
    ck_assert_ptr_nonnull(err);
    ck_assert_msg(strstr(err, "loops back") != NULL, "%s", err);
}
END_TEST

START_TEST(test_checker_sees_count)
{
    void *p[2];
    alloc_guarded(p, 2, 40);
    free_all(p, 2);
    tcache->counts[usize2tidx(40)] = 3;
    const char *err = arenalloc_check_heap();
    ck_assert_ptr_nonnull(err);
    ck_assert_ptr_nonnull(strstr(err, "fewer entries than its count"));
}
END_TEST

/* An entry pointing into the middle of a chunk (tcache poisoning's aim). */
START_TEST(test_checker_sees_interior_entry)
{
    void *p[1];
    char *big = xmalloc(200);
    alloc_guarded(p, 1, 40);
    arenalloc_free(p[0]);
    ((uintptr_t *)(big + 64))[-1] = 0x31; /* looks like a 0x30 chunk */
    tcache_entry *fake = (tcache_entry *)(big + 64), *a = p[0];
    fake->next = tcache_protect(&fake->next, NULL); /* the list ends there */
    a->next = tcache_protect(&a->next, (tcache_entry *)(big + 64));
    tcache->counts[usize2tidx(40)] = 2;
    const char *err = arenalloc_check_heap();
    ck_assert_ptr_nonnull(err);
    ck_assert_msg(strstr(err, "not a chunk") != NULL, "%s", err);
}
END_TEST

/* The cache's whole test process dies of SIGABRT on a double free, as Check
   itself sees it. */
START_TEST(test_double_free_raises_sigabrt)
{
    double_free();
}
END_TEST

Suite *tcache_suite(void)
{
    Suite *s = suite_create("tcache");

    TCase *tc = tcase_create("rules");
    tcase_add_test(tc, test_lifo);
    tcase_add_test(tc, test_seven_per_bin);
    tcase_add_test(tc, test_tcache_max_default);
    tcase_add_test(tc, test_tcache_max_tunable);
    tcase_add_test(tc, test_unsorted_exact_fits_cached);
    tcase_add_test(tc, test_unsorted_exact_fit_cache_full);
    tcase_add_test(tc, test_unsorted_no_limit);
    tcase_add_test(tc, test_unsorted_limit);
    tcase_add_test(tc, test_stash_from_fastbin);
    tcase_add_test(tc, test_stash_from_smallbin);
    tcase_add_test(tc, test_calloc_skips_cache);
    tcase_add_test(tc, test_count_zero_still_reads_struct);
    suite_add_tcase(s, tc);

    tc = tcase_create("threads_fork");
    tcase_add_test(tc, test_thread_exit_returns_entries);
    tcase_add_test(tc, test_fork_keeps_cache);
    suite_add_tcase(s, tc);

    tc = tcase_create("checks");
    tcase_add_loop_test(tc, test_double_free_by_release, 0, 11);     /* 2.26 .. 2.36 */
    tcase_add_loop_test(tc, test_entry_layout_by_release, 0, 11);
    tcase_add_loop_test(tc, test_unaligned_get_by_release, 0, 11);
    tcase_add_loop_test(tc, test_unaligned_in_walk, 32 - 26, 11);   /* 2.32 .. 2.36 */
    tcase_add_loop_test(tc, test_too_many_in_walk, 33 - 26, 11);    /* 2.33 .. 2.36 */
    tcase_add_test(tc, test_key_coincidence);
    tcase_add_test(tc, test_change_release_keeps_cache);
    tcase_add_test(tc, test_stash_checks_alignment);
    tcase_add_test_raise_signal(tc, test_double_free_raises_sigabrt, SIGABRT);
    suite_add_tcase(s, tc);

    tc = tcase_create("checker");
    tcase_add_test(tc, test_checker_accepts_cache);
    tcase_add_test(tc, test_checker_sees_loop);
    tcase_add_test(tc, test_checker_sees_count);
    tcase_add_test(tc, test_checker_sees_interior_entry);
    suite_add_tcase(s, tc);
    return s;
}
