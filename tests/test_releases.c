/*
 * test_releases.c - the release profiles (arenalloc_set_release, ARENALLOC_RELEASE)
 * against the table of what each glibc release changed, tests/releases.tsv.
 *
 * The table is the data: for each row with a probe, the probe runs in a fresh
 * child process at every release from 2.23 to 2.36, and the row must hold
 * exactly at its releases.  A check or an assert holds when the probe aborts
 * with the row's text on stderr; a feature holds when the probe says it saw it
 * (exit status 1).  So a check added at the wrong release, a message in the
 * wrong words, or a feature a release should not have, fails the row.  Each
 * probe works through the public API and reads or forges chunk headers through
 * user pointers (x86-64: a chunk's size word is p[-1], its prev_size p[-2]).
 *
 * The other tests: the setting itself (range, older names, the environment),
 * the hooks one by one, and the first chunk of a heap without the cache.
 */
#include <check.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/expect_abort.h"
#include "tests/suites.h"
#include "tests/test_helpers.h"

#define TABLE_PATH "tests/releases.tsv"
#define OLDEST 23
#define NEWEST 36

typedef size_t word;

/* ---- running a probe in a child ------------------------------------------------ */

struct release_probe {
    int release;
    bool (*probe)(void);
};

/* The child's part: become glibc 2.`release` (status 99 if refused), then exit
   1 if the probe saw its feature, 0 if not. */
static void probe_as_release(void *arg)
{
    const struct release_probe *rp = arg;
    alarm(20); /* a probe that loops is a failure, not a hang */
    if (arenalloc_set_release(rp->release) != 0)
        _exit(99);
    _exit(rp->probe() ? 1 : 0);
}

/* Runs probe() in a child that behaves as glibc 2.`release`; a probe returns
   whether it saw its feature (checks abort instead, or return false). */
static struct death run_at(int release, bool (*probe)(void))
{
    struct release_probe rp = {release, probe};
    return run_in_child_with(probe_as_release, &rp);
}

/* ---- the probes ------------------------------------------------------------------ */

static word *W(void *p) { return p; }
static word *xmalloc_w(size_t n)
{
    word *p = arenalloc_malloc(n);
    ck_assert_ptr_nonnull(p);
    return p;
}

/* A static area for forged chunks and targets, 16-byte aligned. */
static _Alignas(16) word area[16];

/* A fastbin link as the release stores it at `pos`: safe-linked from 2.32. */
static word stored_link(const void *pos, const void *target)
{
    return arenalloc_get_release() >= 32 ? ((uintptr_t)pos >> 12) ^ (uintptr_t)target : (uintptr_t)target;
}

static bool probe_fasttop(void)
{
    arenalloc_set_tcache_count(0);
    void *a = xmalloc_w(0x18);
    xmalloc_w(0x18);
    arenalloc_free(a);
    arenalloc_free(a);
    return false;
}

static bool probe_fast_size(void)
{
    arenalloc_set_tcache_count(0);
    word *a = xmalloc_w(0x18);
    xmalloc_w(0x18);
    arenalloc_free(a);
    a[-1] = 0x31; /* the fastbin of 0x20 now holds a "0x30" chunk */
    arenalloc_malloc(0x18);
    return false;
}

/* a (0x430, beyond the cache) in the unsorted bin with a forged bk; freeing its
   neighbour b merges backward and unlinks a. */
static bool probe_unlink_links(void)
{
    word *a = xmalloc_w(0x428), *b = xmalloc_w(0x428);
    xmalloc_w(0x18);
    arenalloc_free(a);
    a[1] = (word)area; /* bk -> a chunk whose fd is not a */
    arenalloc_free(b);
    return false;
}

/* Before 2.29 the unsorted scan only checks the size's range: both rows
   (memory corruption; invalid size (unsorted)) come from this probe. */
static bool probe_unsorted_size(void)
{
    word *a = xmalloc_w(0x428);
    xmalloc_w(0x18);
    arenalloc_free(a);
    a[-1] = 0x1;
    arenalloc_malloc(0x500);
    return false;
}

static bool probe_unsorted_next_size(void)
{
    word *a = xmalloc_w(0x428), *g = xmalloc_w(0x18);
    arenalloc_free(a);
    g[-1] = 0; /* the next chunk's size */
    arenalloc_malloc(0x500);
    return false;
}

static bool probe_unsorted_prev_size(void)
{
    word *a = xmalloc_w(0x428), *g = xmalloc_w(0x18);
    arenalloc_free(a);
    g[-2] = 0x999; /* the next chunk's prev_size */
    arenalloc_malloc(0x500);
    return false;
}

/* The unsorted bin attack: before 2.29 the forged bk is written through. */
static bool probe_unsorted_links(void)
{
    word *a = xmalloc_w(0x428);
    xmalloc_w(0x18);
    arenalloc_free(a);
    a[1] = (word)area;
    arenalloc_malloc(0x428); /* the exact fit */
    return false;
}

static bool probe_unsorted_prev_inuse(void)
{
    word *a = xmalloc_w(0x428), *g = xmalloc_w(0x18);
    arenalloc_free(a);
    g[-1] |= 1; /* claims a is in use */
    arenalloc_malloc(0x500);
    return false;
}

static bool probe_top_size(void)
{
    word *a = xmalloc_w(0x18);
    a[3] = ~(word)0; /* top's size word follows a's 0x20 chunk */
    arenalloc_malloc(0x18);
    return false;
}

/* a's size grows to 0x440 while it is free; b's prev_size still says 0x430.
   From 2.29 merging backward notices; before, unlink's own check passes (the
   word at a + 0x440 is made to agree) and the merge goes through. */
static bool probe_consolidate_prev(void)
{
    word *a = xmalloc_w(0x428), *b = xmalloc_w(0x428);
    xmalloc_w(0x18);
    arenalloc_free(a);
    a[-1] = 0x441;
    b[0] = 0x440;
    arenalloc_free(b);
    return false;
}

/* c (free, in the unsorted bin) claims 0x440 bytes; the forged chunk header at
   c + 0x440 (inside g) says c is free but disagrees with its size.  Freeing b
   merges forward, and from 2.26 unlink compares. */
static bool probe_unlink_prev_size(void)
{
    word *b = xmalloc_w(0x428), *c = xmalloc_w(0x428), *g = xmalloc_w(0x18);
    xmalloc_w(0x18);
    arenalloc_free(c);
    c[-1] = 0x441;
    g[0] = 0;    /* prev_size of the chunk at c + 0x440 */
    g[1] = 0x20; /* its size, PREV_INUSE clear: c is free */
    arenalloc_free(b);
    return false;
}

/* A 0x20 fastbin chunk made to claim 0x30, with a forged chunk in use after
   those 0x30 bytes, so that before 2.27 the merge goes through quietly. */
static bool probe_consolidate_size(void)
{
    arenalloc_set_tcache_count(0);
    word *a = xmalloc_w(0x18), *b = xmalloc_w(0x18), *c = xmalloc_w(0x18);
    xmalloc_w(0x18);
    arenalloc_free(a);
    a[-1] = 0x31;
    b[1] = 0x21; /* the chunk at a + 0x30 */
    c[1] = 0x21; /* the one after it: PREV_INUSE, so it is in use */
    arenalloc_malloc(0x500); /* a large request merges the fastbins first */
    return false;
}

static bool probe_tcache_double_free(void)
{
    void *a = xmalloc_w(0x18);
    arenalloc_free(a);
    arenalloc_free(a);
    return false;
}

/* A in a large bin, B (larger, same bin) sorted in after it with A's link forged. */
static bool largebin_insert(int link)
{
    word *A = xmalloc_w(0x438);
    xmalloc_w(0x18);
    word *B = xmalloc_w(0x448);
    xmalloc_w(0x18);
    arenalloc_free(A);
    arenalloc_malloc(0x500); /* sorts A into its large bin */
    arenalloc_free(B);
    A[link] = (word)area; /* 1: bk, 3: bk_nextsize */
    arenalloc_malloc(0x500); /* sorts B in */
    return false;
}
static bool probe_largebin_nextsize(void) { return largebin_insert(3); }
static bool probe_largebin_bk(void) { return largebin_insert(1); }

/* Tcache poisoning towards a target 8 bytes off alignment. */
static bool probe_tcache_unaligned(void)
{
    word *a = xmalloc_w(0x18), *b = xmalloc_w(0x18);
    arenalloc_free(a);
    arenalloc_free(b);
    b[0] = stored_link(b, (char *)area + 8);
    arenalloc_malloc(0x18);
    arenalloc_malloc(0x18);
    return false;
}

/* Fastbin poisoning towards a misaligned fake chunk of the right size. */
static bool probe_fastbin_unaligned(void)
{
    arenalloc_set_tcache_count(0);
    word *a = xmalloc_w(0x18), *b = xmalloc_w(0x18);
    xmalloc_w(0x18);
    arenalloc_free(a);
    arenalloc_free(b);
    char *fake = (char *)area + 8;
    W(fake)[1] = 0x21;
    b[0] = stored_link(b, fake);
    arenalloc_malloc(0x18);
    arenalloc_malloc(0x18);
    return false;
}

/* The same with a second thread having existed: malloc then takes the chunk
   off with a compare-and-swap (bins/fastbins.h), which checks the link it
   follows, so the first malloc stops already. */
static void *no_op_thread(void *arg) { return arg; }

static bool probe_fastbin_unaligned_threads(void)
{
    pthread_t t;
    if (pthread_create(&t, NULL, no_op_thread, NULL) != 0 || pthread_join(t, NULL) != 0)
        return false;
    return probe_fastbin_unaligned();
}

/* Shrinks top so that it no longer ends on a page boundary, then asks for more
   than it holds (but less than the mmap threshold). */
static bool probe_sysmalloc_old_top(void)
{
    word *a = xmalloc_w(0x18);
    uintptr_t top = (uintptr_t)a + 0x10;
    word size = (top + 0x1010) % 4096 != 0 ? 0x1010 : 0x1020;
    a[3] = size | 1;
    arenalloc_malloc(0x2000);
    return false;
}

static void *hook_answer(size_t n, const void *caller)
{
    (void)n;
    (void)caller;
    return area;
}

static bool probe_hooks(void)
{
    arenalloc_malloc_hook = hook_answer;
    bool called = arenalloc_malloc(5) == (void *)area;
    arenalloc_malloc_hook = NULL;
    return called;
}

/* A huge request that reaches _int_malloc merges the fastbins first (it is a
   large request), which mallinfo2 shows. */
static bool probe_huge_request(void)
{
    arenalloc_set_tcache_count(0);
    void *a = xmalloc_w(0x18);
    xmalloc_w(0x18);
    arenalloc_free(a);
    ck_assert_uint_eq(arenalloc_mallinfo2().fsmblks, 0x20);
    errno = 0;
    ck_assert_ptr_null(arenalloc_malloc((size_t)PTRDIFF_MAX + 1));
    ck_assert_int_eq(errno, ENOMEM);
    return arenalloc_mallinfo2().fsmblks == 0;
}

/* House of Force towards a target below the heap (this program's data). */
static bool probe_house_of_force(void)
{
    word *a = xmalloc_w(0x18);
    char *top = (char *)a + 0x10;
    char *target = (char *)&area[4];
    ck_assert((uintptr_t)target < (uintptr_t)top);
    a[3] = ~(word)0;
    size_t evil = (size_t)(target - 0x20 - top); /* wraps: a huge request */
    if (arenalloc_malloc(evil) == NULL)
        return false;
    return arenalloc_malloc(0x18) == target;
}

/* calloc never takes from the cache: a chunk just freed is handed out again
   by calloc only when it went to a fastbin. */
static bool probe_tcache(void)
{
    void *a = xmalloc_w(0x18);
    xmalloc_w(0x18);
    arenalloc_free(a);
    return arenalloc_calloc(1, 0x18) != a;
}

/* The key a cached chunk carries (0 when it carries none); the cache's own
   structure is the heap's first chunk, right before a. */
static bool key_is_cache_address(word key, word *a)
{
    return key == (word)a - 0x290 || key == (word)a - 0x250;
}
static bool probe_tcache_key_pointer(void)
{
    word *a = xmalloc_w(0x18);
    arenalloc_free(a);
    return key_is_cache_address(a[1], a);
}
static bool probe_tcache_key_random(void)
{
    word *a = xmalloc_w(0x18);
    arenalloc_free(a);
    return a[1] != 0 && !key_is_cache_address(a[1], a);
}

/* A cache bin whose count is 0 but whose list head is forged: up to 2.29
   malloc asked the head, from 2.30 the count. */
static bool probe_tcache_head(void)
{
    word *a = xmalloc_w(0x18);
    size_t cache_chunk = arenalloc_mallinfo2().uordblks - 0x20; /* 0, 0x250 or 0x290 */
    if (cache_chunk == 0)
        return false;
    char *cache = (char *)a - cache_chunk; /* its user memory: counts, then entries */
    size_t count_width = cache_chunk == 0x290 ? 2 : 1;
    ((void **)(cache + 64 * count_width))[0] = &area[8]; /* entries[0]: the 0x20 bin */
    return arenalloc_malloc(0x18) == (void *)&area[8];
}

static bool probe_safe_linking(void)
{
    word *a = xmalloc_w(0x18), *b = xmalloc_w(0x18);
    xmalloc_w(0x18);
    arenalloc_free(a);
    arenalloc_free(b); /* b's first word links to a (the cache) or a's chunk (a fastbin) */
    word revealed = ((uintptr_t)b >> 12) ^ b[0];
    return revealed == (word)a || revealed == (word)a - 0x10;
}

static const struct {
    const char *name;
    bool (*fn)(void);
} probes[] = {
    {"fasttop", probe_fasttop},
    {"fast_size", probe_fast_size},
    {"unlink_links", probe_unlink_links},
    {"unsorted_size", probe_unsorted_size},
    {"unsorted_next_size", probe_unsorted_next_size},
    {"unsorted_prev_size", probe_unsorted_prev_size},
    {"unsorted_links", probe_unsorted_links},
    {"unsorted_prev_inuse", probe_unsorted_prev_inuse},
    {"top_size", probe_top_size},
    {"consolidate_prev", probe_consolidate_prev},
    {"unlink_prev_size", probe_unlink_prev_size},
    {"consolidate_size", probe_consolidate_size},
    {"tcache_double_free", probe_tcache_double_free},
    {"largebin_nextsize", probe_largebin_nextsize},
    {"largebin_bk", probe_largebin_bk},
    {"tcache_unaligned", probe_tcache_unaligned},
    {"fastbin_unaligned", probe_fastbin_unaligned},
    {"fastbin_unaligned_threads", probe_fastbin_unaligned_threads},
    {"sysmalloc_old_top", probe_sysmalloc_old_top},
    {"hooks", probe_hooks},
    {"huge_request", probe_huge_request},
    {"house_of_force", probe_house_of_force},
    {"tcache", probe_tcache},
    {"tcache_key_pointer", probe_tcache_key_pointer},
    {"tcache_key_random", probe_tcache_key_random},
    {"safe_linking", probe_safe_linking},
    {"tcache_head", probe_tcache_head},
};
#define NPROBES (sizeof probes / sizeof probes[0])

/* ---- the table ------------------------------------------------------------------- */

struct row {
    char kind[16], name[64], set[8], probe[32], text[400];
    int since, until;
};

#define MAX_ROWS 128
static struct row rows[MAX_ROWS];
static int nrows = -1; /* -1: not read yet; read once, before the suite is made */

/* Reads tests/releases.tsv (relative to the source tree, where make check runs). */
static void read_table(void)
{
    nrows = 0;
    FILE *f = fopen(TABLE_PATH, "r");
    if (f == NULL)
        return;
    char line[1024];
    bool header = true;
    while (fgets(line, sizeof line, f) != NULL && nrows < MAX_ROWS) {
        if (line[0] == '#' || line[0] == '\n')
            continue;
        line[strcspn(line, "\n")] = '\0';
        if (header) { /* the column names */
            header = false;
            continue;
        }
        struct row *r = &rows[nrows];
        if (sscanf(line, "%15[^\t]\t%d\t%d\t%63[^\t]\t%7[^\t]\t%31[^\t]\t%399[^\n]", r->kind, &r->since, &r->until,
                   r->name, r->set, r->probe, r->text) != 7) {
            snprintf(r->kind, sizeof r->kind, "malformed");
            snprintf(r->text, sizeof r->text, "%.300s", line);
        }
        nrows++;
    }
    fclose(f);
}

static bool (*probe_named(const char *name))(void)
{
    for (size_t i = 0; i < NPROBES; i++)
        if (strcmp(probes[i].name, name) == 0)
            return probes[i].fn;
    return NULL;
}

/* Whether the table says rows[i]'s behaviour is in force at `release`: its own
   releases, or those of a row with the same kind and text. */
static bool expected_at(int i, int release)
{
    for (int j = 0; j < nrows; j++)
        if (strcmp(rows[j].kind, rows[i].kind) == 0 && strcmp(rows[j].text, rows[i].text) == 0 &&
            rows[j].since <= release && release <= rows[j].until)
            return true;
    return false;
}

START_TEST(test_table_is_well_formed)
{
    ck_assert_msg(nrows > 0, "%s: missing or empty (run from the source tree)", TABLE_PATH);
    int probed = 0;
    for (int i = 0; i < nrows; i++) {
        const struct row *r = &rows[i];
        ck_assert_msg(strcmp(r->kind, "malformed") != 0, "%s: malformed row: %s", TABLE_PATH, r->text);
        ck_assert_msg(OLDEST <= r->since && r->since <= r->until && r->until <= NEWEST, "%s: %s: bad releases",
                      TABLE_PATH, r->name);
        ck_assert_msg(strcmp(r->set, "run") == 0 || strcmp(r->set, "build") == 0, "%s: %s: set is run or build",
                      TABLE_PATH, r->name);
        if (strcmp(r->probe, "-") != 0) {
            ck_assert_msg(probe_named(r->probe) != NULL, "%s: %s: no probe %s", TABLE_PATH, r->name, r->probe);
            probed++;
        }
    }
    ck_assert_int_ge(probed, 30); /* rows do not lose their probes unnoticed */
}
END_TEST

/* Row _i, at every release. */
START_TEST(test_row)
{
    if (_i >= nrows)
        return; /* the table shrank since the suite was made: test_table_is_well_formed says so */
    const struct row *r = &rows[_i];
    bool (*probe)(void) = probe_named(r->probe);
    if (strcmp(r->set, "run") != 0 || probe == NULL)
        return; /* counted by test_table_is_well_formed */
    char want[420];
    snprintf(want, sizeof want, "%s\n", r->text);
    for (int release = OLDEST; release <= NEWEST; release++) {
        struct death o = run_at(release, probe);
        bool feature = strcmp(r->kind, "feature") == 0;
        bool seen = feature ? o.signal == 0 && o.status == 1 : o.signal == SIGABRT && strstr(o.stderr, want) != NULL;
        ck_assert_msg(o.status != 99, "arenalloc_set_release(%d) refused", release);
        ck_assert_msg(seen == expected_at(_i, release),
                      "%s (%s): at 2.%d expected %s, got signal %d, status %d, stderr \"%s\"", r->name, r->probe,
                      release, expected_at(_i, release) ? "it" : "not it", o.signal, o.status, o.stderr);
    }
}
END_TEST

/* The README's table of releases names every check of the data table. */
START_TEST(test_readme_lists_every_message)
{
    FILE *f = fopen("README.md", "r");
    ck_assert_ptr_nonnull(f);
    static char readme[1 << 18];
    size_t n = fread(readme, 1, sizeof readme - 1, f);
    readme[n] = '\0';
    fclose(f);
    for (int i = 0; i < nrows; i++)
        if (strcmp(rows[i].kind, "check") == 0)
            ck_assert_msg(strstr(readme, rows[i].text) != NULL, "README.md lacks the check \"%s\"", rows[i].text);
}
END_TEST

/* ---- the setting ------------------------------------------------------------------ */

START_TEST(test_set_release_range)
{
    ck_assert_int_eq(arenalloc_get_release(), NEWEST);
    ck_assert_int_eq(arenalloc_set_release(22), EINVAL);
    ck_assert_int_eq(arenalloc_set_release(37), EINVAL);
    ck_assert_int_eq(arenalloc_get_release(), NEWEST);
    for (int r = OLDEST; r <= NEWEST; r++) {
        ck_assert_int_eq(arenalloc_set_release(r), 0);
        ck_assert_int_eq(arenalloc_get_release(), r);
    }
    ck_assert_int_eq(arenalloc_set_checks(29), 0); /* the older name */
    ck_assert_int_eq(arenalloc_get_release(), 29);
    ck_assert_int_eq(arenalloc_set_checks(40), EINVAL);
}
END_TEST

/* ARENALLOC_RELEASE at start-up (this test's process has not allocated yet);
   it wins over ARENALLOC_CHECKS; malformed values are ignored. */
static const char *const env_cases[][3] = {
    /* ARENALLOC_RELEASE, ARENALLOC_CHECKS, the release expected */
    {"2.23", NULL, "23"}, {"2.31", "2.25", "31"}, {NULL, "2.27", "27"},
    {"2.22", NULL, "36"}, {"2.37", NULL, "36"}, {"3.30", NULL, "36"}, {"2.3x", "2.24", "24"},
};
START_TEST(test_release_from_environment)
{
    if (env_cases[_i][0] != NULL)
        ck_assert_int_eq(setenv("ARENALLOC_RELEASE", env_cases[_i][0], 1), 0);
    if (env_cases[_i][1] != NULL)
        ck_assert_int_eq(setenv("ARENALLOC_CHECKS", env_cases[_i][1], 1), 0);
    arenalloc_free(arenalloc_malloc(8)); /* start-up */
    ck_assert_int_eq(arenalloc_get_release(), atoi(env_cases[_i][2]));
}
END_TEST

/* Before 2.26 the heap's first chunk is the program's own: no 0x290 chunk of
   the cache's before it.  Measured between two heaps of one release each. */
static bool first_chunk_offset(void)
{
    /* mallinfo2's in-use bytes count the cache's structure with the rest. */
    return arenalloc_malloc(0x18) != NULL && arenalloc_mallinfo2().uordblks == 0x20;
}
START_TEST(test_no_cache_chunk_before_2_26)
{
    for (int r = OLDEST; r <= NEWEST; r++) {
        struct death o = run_at(r, first_chunk_offset);
        ck_assert_msg(o.signal == 0 && o.status == (r < 26 ? 1 : 0), "at 2.%d: status %d, signal %d", r, o.status,
                      o.signal);
    }
}
END_TEST

/* Switching below 2.26 at run time gives the calling thread's cache back: its
   cached chunks are the arena's again (calloc finds one in a fastbin). */
START_TEST(test_switch_below_2_26_frees_the_cache)
{
    void *a = arenalloc_malloc(0x18);
    arenalloc_malloc(0x18);
    arenalloc_free(a); /* cached */
    size_t in_use = arenalloc_mallinfo2().uordblks;
    ck_assert_int_eq(arenalloc_set_release(25), 0);
    ck_assert_uint_eq(arenalloc_mallinfo2().uordblks, in_use - 0x290 - 0x20); /* the structure and a are the arena's */
    ck_assert_ptr_eq(arenalloc_calloc(1, 0x18), a);
    ck_assert_ptr_null(arenalloc_check_heap());
    ck_assert_int_eq(arenalloc_set_release(36), 0); /* and back: a new cache */
    void *b = arenalloc_malloc(0x18);
    arenalloc_free(b);
    ck_assert_ptr_ne(arenalloc_calloc(1, 0x18), b);
    ck_assert_ptr_null(arenalloc_check_heap());
}
END_TEST

/* ---- the hooks ------------------------------------------------------------------- */

static int hook_calls;
static const void *hook_caller;
static void *fake_malloc(size_t n, const void *caller)
{
    hook_calls++;
    hook_caller = caller;
    return n == 7 ? area : NULL;
}
static void fake_free(void *p, const void *caller)
{
    (void)caller;
    hook_calls += p == (void *)area ? 1 : 100;
}
static void *fake_realloc(void *p, size_t n, const void *caller)
{
    (void)caller;
    hook_calls++;
    return p == (void *)area && n == 9 ? &area[2] : NULL;
}
static void *fake_memalign(size_t alignment, size_t n, const void *caller)
{
    (void)caller;
    hook_calls++;
    return alignment == 64 && n == 11 ? &area[8] : NULL;
}

static void set_hooks(void)
{
    arenalloc_malloc_hook = fake_malloc;
    arenalloc_free_hook = fake_free;
    arenalloc_realloc_hook = fake_realloc;
    arenalloc_memalign_hook = fake_memalign;
}
static void clear_hooks(void)
{
    arenalloc_malloc_hook = NULL;
    arenalloc_free_hook = NULL;
    arenalloc_realloc_hook = NULL;
    arenalloc_memalign_hook = NULL;
}

START_TEST(test_hooks_before_2_34)
{
    ck_assert_int_eq(arenalloc_set_release(33), 0);
    area[0] = 0x5a5a;
    set_hooks();
    hook_calls = 0;
    ck_assert_ptr_eq(arenalloc_malloc(7), area);
    ck_assert_ptr_nonnull(hook_caller);
    ck_assert_ptr_eq(arenalloc_calloc(1, 7), area); /* calloc: the malloc hook, then cleared */
    ck_assert_uint_eq(area[0], 0);
    arenalloc_free(area);
    ck_assert_ptr_eq(arenalloc_realloc(area, 9), &area[2]);
    ck_assert_ptr_eq(arenalloc_memalign(64, 11), &area[8]);
    void *p = NULL;
    ck_assert_int_eq(arenalloc_posix_memalign(&p, 64, 11), 0);
    ck_assert_ptr_eq(p, &area[8]);
    ck_assert_ptr_eq(arenalloc_aligned_alloc(64, 11), &area[8]);
    ck_assert_int_eq(hook_calls, 7);
    arenalloc_free(NULL); /* a hook sees even free(NULL) (and counts it as foreign) */
    ck_assert_int_eq(hook_calls, 107);
    clear_hooks();
    ck_assert_ptr_null(arenalloc_check_heap());
}
END_TEST

START_TEST(test_hooks_ignored_from_2_34)
{
    for (int r = 34; r <= NEWEST; r++) {
        ck_assert_int_eq(arenalloc_set_release(r), 0);
        set_hooks();
        hook_calls = 0;
        void *a = arenalloc_malloc(7);
        ck_assert_ptr_ne(a, area);
        a = arenalloc_realloc(a, 9);
        void *b = arenalloc_memalign(64, 11);
        ck_assert_ptr_ne(b, &area[8]);
        arenalloc_free(a);
        arenalloc_free(b);
        arenalloc_free(arenalloc_calloc(1, 7));
        ck_assert_int_eq(hook_calls, 0);
        clear_hooks();
    }
    ck_assert_ptr_null(arenalloc_check_heap());
}
END_TEST

/* The 2.36 form of the assertion, whole, and the older one's shape. */
START_TEST(test_sysmalloc_assertion_messages)
{
    struct death o = run_at(36, probe_sysmalloc_old_top);
    ck_assert_int_eq(o.signal, SIGABRT);
    ck_assert_str_eq(o.stderr, "Fatal glibc error: malloc assertion failure in sysmalloc: (old_top == initial_top (av) "
                               "&& old_size == 0) || ((unsigned long) (old_size) >= MINSIZE && prev_inuse (old_top) && "
                               "((unsigned long) old_end & (pagesize - 1)) == 0)\n");
    o = run_at(23, probe_sysmalloc_old_top);
    ck_assert_int_eq(o.signal, SIGABRT);
    ck_assert_msg(strncmp(o.stderr, program_invocation_short_name, strlen(program_invocation_short_name)) == 0 &&
                      strstr(o.stderr, ": malloc.c:2394: sysmalloc: Assertion `(old_top") != NULL,
                  "got \"%s\"", o.stderr);
}
END_TEST

/* House of Orange's condition: a top shrunk to a page boundary with PREV_INUSE
   passes the assertion, and the old top is freed into the unsorted bin. */
static bool orange(void)
{
    word *a = xmalloc_w(0x18);
    uintptr_t top = (uintptr_t)a + 0x10;
    a[3] = (word)((4096 - top % 4096) | 1); /* ends on the page boundary */
    if (a[3] < 0x20 + 1)
        a[3] += 4096;
    word old = a[3] & ~(word)7;
    arenalloc_malloc(0x2000);
    word *freed = (word *)(top + 0x10);
    return (freed[-1] & ~(word)7) == old - 0x20 && arenalloc_check_heap() == NULL;
}
START_TEST(test_orange_top_passes)
{
    for (int r = OLDEST; r <= NEWEST; r++) {
        struct death o = run_at(r, orange);
        ck_assert_msg(o.signal == 0 && o.status == 1, "at 2.%d: status %d, signal %d, \"%s\"", r, o.status, o.signal,
                      o.stderr);
    }
}
END_TEST

/* The dump says which release is in force, in text and JSON. */
START_TEST(test_dump_names_the_release)
{
    for (int r = OLDEST; r <= NEWEST; r++) {
        ck_assert_int_eq(arenalloc_set_release(r), 0);
        arenalloc_free(arenalloc_malloc(40));
        char *buf = NULL, want[64];
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);
        ck_assert_int_eq(arenalloc_dump(f, ARENALLOC_DUMP_ARENAS, ARENALLOC_DUMP_TEXT), 0);
        fclose(f);
        snprintf(want, sizeof want, "release: glibc 2.%d\narena 0: ", r);
        ck_assert_msg(strncmp(buf, want, strlen(want)) == 0, "text dump begins \"%.60s\"", buf);
        free(buf);
        f = open_memstream(&buf, &len);
        ck_assert_int_eq(arenalloc_dump(f, ARENALLOC_DUMP_ALL, ARENALLOC_DUMP_JSON), 0);
        fclose(f);
        snprintf(want, sizeof want, "\"release\": \"2.%d\"", r);
        ck_assert_msg(strstr(buf, want) != NULL, "JSON dump lacks %s", want);
        if (r < 26) /* no cache to show */
            ck_assert_ptr_nonnull(strstr(buf, "\"tcache\": null"));
        free(buf);
    }
}
END_TEST

Suite *releases_suite(void)
{
    if (nrows < 0)
        read_table();
    Suite *s = suite_create("releases");
    TCase *tc = tcase_create("table");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_table_is_well_formed);
    tcase_add_loop_test(tc, test_row, 0, nrows > 0 ? nrows : 1);
    tcase_add_test(tc, test_readme_lists_every_message);
    suite_add_tcase(s, tc);

    tc = tcase_create("setting");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_set_release_range);
    tcase_add_loop_test(tc, test_release_from_environment, 0, sizeof env_cases / sizeof env_cases[0]);
    tcase_add_test(tc, test_no_cache_chunk_before_2_26);
    tcase_add_test(tc, test_switch_below_2_26_frees_the_cache);
    tcase_add_test(tc, test_hooks_before_2_34);
    tcase_add_test(tc, test_hooks_ignored_from_2_34);
    tcase_add_test(tc, test_sysmalloc_assertion_messages);
    tcase_add_test(tc, test_orange_top_passes);
    tcase_add_test(tc, test_dump_names_the_release);
    suite_add_tcase(s, tc);
    return s;
}
