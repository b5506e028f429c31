/*
 * test_stomp_windows.c - the stomp mode (stomp/stomp.c) on Windows.
 *
 * Stomp mode gives every block pages of its own next to a guard page, built
 * only from os.h calls: os_reserve (the guard is reserved, never committed, so
 * it is PAGE_NOACCESS in effect), os_commit, os_decommit at free (the freed
 * block's pages fault) and os_release when a block leaves the quarantine.  Here
 * the pages are checked with VirtualQuery, and the faults themselves in child
 * processes, which must die of an access violation.
 */
#include "tests/windows/win_runner.h"

#include <string.h>

#include <windows.h>

#include "arenalloc.h"

static MEMORY_BASIC_INFORMATION query(const void *p)
{
    MEMORY_BASIC_INFORMATION info;
    if (VirtualQuery(p, &info, sizeof info) == 0)
        memset(&info, 0, sizeof info);
    return info;
}

static bool accessible(const void *p)
{
    MEMORY_BASIC_INFORMATION info = query(p);
    return info.State == MEM_COMMIT && info.Protect == PAGE_READWRITE;
}

static void test_overflow_guard(void)
{
    CHECK(arenalloc_set_stomp(ARENALLOC_STOMP_OVERFLOW) == 0);
    char *p = arenalloc_malloc(40);
    CHECK(p != NULL);
    CHECK(arenalloc_malloc_usable_size(p) == 48);
    CHECK(accessible(p) && accessible(p + 47));
    CHECK(!accessible(p + 48)); /* the guard page starts right after the block */
    CHECK(query(p + 48).State == MEM_RESERVE);
    memset(p, 0x5a, 48);

    char *q = arenalloc_memalign(64 * 1024, 100);
    CHECK(q != NULL && (uintptr_t)q % (64 * 1024) == 0);
    CHECK(accessible(q) && !accessible(q + arenalloc_malloc_usable_size(q)));

    arenalloc_free(p);
    arenalloc_free(q);
    /* Freed blocks stay reserved but inaccessible: a use after free faults. */
    CHECK(query(p).State == MEM_RESERVE);
    CHECK(query(q).State == MEM_RESERVE);
    CHECK(arenalloc_set_stomp(ARENALLOC_STOMP_OFF) == 0);
}

static void test_underflow_guard(void)
{
    CHECK(arenalloc_set_stomp(ARENALLOC_STOMP_UNDERFLOW) == 0);
    char *p = arenalloc_malloc(40);
    CHECK(p != NULL);
    CHECK((uintptr_t)p % 4096 == 0);
    CHECK(arenalloc_malloc_usable_size(p) == 4096);
    CHECK(accessible(p) && accessible(p + 4095));
    CHECK(!accessible(p - 1));
    char *r = arenalloc_realloc(p, 10000); /* copies into a new block */
    CHECK(r != NULL && accessible(r + 9999) && !accessible(r - 1));
    arenalloc_free(r);
    CHECK(query(r).State == MEM_RESERVE);
    CHECK(arenalloc_set_stomp(ARENALLOC_STOMP_OFF) == 0);
}

/* More blocks than the quarantine holds (1024): the oldest leave it, and their
   reservations must go back whole. */
static void test_quarantine_releases(void)
{
    enum { N = 1500 };
    static char *blocks[N];
    CHECK(arenalloc_set_stomp(ARENALLOC_STOMP_OVERFLOW) == 0);
    for (int i = 0; i < N; i++) {
        blocks[i] = arenalloc_malloc(100 + (size_t)i);
        CHECK(blocks[i] != NULL);
    }
    void *first_base = query(blocks[0]).AllocationBase;
    for (int i = 0; i < N; i++)
        arenalloc_free(blocks[i]);
    CHECK(query(first_base).State == MEM_FREE);
    CHECK(query(blocks[N - 1]).State == MEM_RESERVE); /* the newest still waits */
    CHECK(arenalloc_set_stomp(ARENALLOC_STOMP_OFF) == 0);
    const char *problem = arenalloc_check_heap();
    CHECK_MSG(problem == NULL, "heap check: %s", problem);
}

static void test_faults_in_children(void)
{
    CHECK(win_run_child("stomp-in-bounds", "ARENALLOC_STOMP=1") == 0);
    CHECK(win_run_child("stomp-overflow", "ARENALLOC_STOMP=1") == (long)EXCEPTION_ACCESS_VIOLATION);
    CHECK(win_run_child("stomp-underflow", "ARENALLOC_STOMP=underflow") == (long)EXCEPTION_ACCESS_VIOLATION);
    CHECK(win_run_child("stomp-use-after-free", "ARENALLOC_STOMP=1") == (long)EXCEPTION_ACCESS_VIOLATION);
}

void stomp_windows_tests(void)
{
    win_run("stomp: overflow guard page", test_overflow_guard);
    win_run("stomp: underflow guard page", test_underflow_guard);
    win_run("stomp: the quarantine releases whole reservations", test_quarantine_releases);
    win_run("stomp: faults, in children (ARENALLOC_STOMP from the environment)", test_faults_in_children);
}

/* ---- children: ARENALLOC_STOMP is read at start-up, from the environment ---- */

static int child_in_bounds(void)
{
    volatile char *p = arenalloc_malloc(40);
    for (int i = 0; i < 48; i++)
        p[i] = 1;
    return 0;
}

static int child_overflow(void)
{
    volatile char *p = arenalloc_malloc(40);
    p[48] = 1;
    return 0;
}

static int child_underflow(void)
{
    volatile char *p = arenalloc_malloc(40);
    p[-1] = 1;
    return 0;
}

static int child_use_after_free(void)
{
    volatile char *p = arenalloc_malloc(40);
    arenalloc_free((void *)p);
    return p[0];
}

const struct win_child stomp_windows_children[] = {
    {"stomp-in-bounds", child_in_bounds},
    {"stomp-overflow", child_overflow},
    {"stomp-underflow", child_underflow},
    {"stomp-use-after-free", child_use_after_free},
    {NULL, NULL},
};
