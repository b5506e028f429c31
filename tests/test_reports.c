/*
 * test_reports.c - glibc's reports and malloc_trim: mallinfo2 / mallinfo figures
 * against a known sequence of calls, malloc_stats' text on stderr, malloc_info's
 * XML (checked by xmllint, from Debian's libxml2-utils, and against glibc's
 * element names), and malloc_trim giving free pages back (white-box: reads
 * main_arena, mp_ and the thread arenas' heaps of the prefixed build).
 *
 * Each test runs in a process of its own (Check's fork mode), so the figures
 * start from a fresh allocator.  Threads never call ck_assert: they record what
 * they did, and the test's own thread asserts after joining them.
 */
#include <check.h>
#include <errno.h>
#include <limits.h>
#include <malloc.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "arena/arena.h"
#include "arena/heap.h"
#include "bins/malloc_par.h"
#include "include/arenalloc.h"
#include "syscall/os.h"
#include "tests/suites.h"
#define TEST_HELPERS_ARENA
#include "tests/test_helpers.h"

/* ---- helpers ------------------------------------------------------------------ */

static size_t system_mem_sum(void)
{
    size_t sum = 0;
    mstate a = &main_arena;
    do {
        sum += a->system_mem;
        a = ring_next(a);
    } while (a != &main_arena);
    return sum;
}

/* What holds for mallinfo2's figures at any time, in any heap. */
static void assert_mallinfo2_consistent(const struct mallinfo2 *m)
{
    ck_assert_uint_eq(m->arena, system_mem_sum());
    ck_assert_uint_eq(m->uordblks + m->fordblks, m->arena);
    ck_assert_uint_le(m->fsmblks, m->fordblks);
    ck_assert_uint_ge(m->ordblks, arena_count()); /* every arena's top counts as one */
    ck_assert_uint_eq(m->hblks, (size_t)mp_.n_mmaps);
    ck_assert_uint_eq(m->hblkhd, mp_.mmapped_mem);
    ck_assert_uint_eq(m->usmblks, 0);
    ck_assert_uint_eq(m->keepcost, top_size());
}

/* The whole of a stdio stream, from its start, as a string (glibc's malloc). */
static char *slurp(FILE *f)
{
    ck_assert_int_eq(fflush(f), 0);
    ck_assert_int_eq(fseek(f, 0, SEEK_END), 0);
    long n = ftell(f);
    ck_assert_int_ge(n, 0);
    rewind(f);
    char *buf = malloc((size_t)n + 1);
    ck_assert_ptr_nonnull(buf);
    ck_assert_uint_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
    buf[n] = '\0';
    return buf;
}

/* What fn writes to file descriptor 2 (malloc_stats writes to stderr). */
static char *capture_stderr(void (*fn)(void))
{
    fflush(stderr);
    FILE *tmp = tmpfile();
    ck_assert_ptr_nonnull(tmp);
    int saved = dup(2);
    ck_assert_int_ge(saved, 0);
    ck_assert_int_eq(dup2(fileno(tmp), 2), 2);
    fn();
    fflush(stderr);
    ck_assert_int_eq(dup2(saved, 2), 2);
    close(saved);
    char *text = slurp(tmp);
    fclose(tmp);
    return text;
}

/* A temporary file that xmllint can read by name. */
struct tmp_file {
    char path[64];
    FILE *f;
};

static void tmp_open(struct tmp_file *t)
{
    snprintf(t->path, sizeof t->path, "/tmp/arenalloc-test-XXXXXX");
    int fd = mkstemp(t->path);
    ck_assert_int_ge(fd, 0);
    t->f = fdopen(fd, "w+");
    ck_assert_ptr_nonnull(t->f);
}

static void tmp_close(struct tmp_file *t)
{
    fclose(t->f);
    unlink(t->path);
}

/* Runs xmllint --noout on path.  Returns its exit status, and its messages in msg. */
static int xmllint(const char *path, char *msg, size_t msgsize)
{
    ck_assert_msg(system("command -v xmllint >/dev/null 2>&1") == 0,
                  "xmllint not found: install Debian's libxml2-utils (tests/install-deps.sh does)");
    char cmd[160];
    snprintf(cmd, sizeof cmd, "xmllint --noout '%s' 2>&1", path);
    FILE *p = popen(cmd, "r");
    ck_assert_ptr_nonnull(p);
    size_t n = fread(msg, 1, msgsize - 1, p);
    msg[n] = '\0';
    return pclose(p);
}

/* malloc_info's whole output, after checking that a real XML parser accepts it. */
static char *malloc_info_xml(void)
{
    struct tmp_file t;
    tmp_open(&t);
    ck_assert_int_eq(arenalloc_malloc_info(0, t.f), 0);
    ck_assert_int_eq(fflush(t.f), 0);
    char msg[1024];
    int status = xmllint(t.path, msg, sizeof msg);
    char *xml = slurp(t.f);
    ck_assert_msg(status == 0, "xmllint rejects malloc_info's output (%d): %s\n%s", status, msg, xml);
    tmp_close(&t);
    return xml;
}

static int count_of(const char *hay, const char *needle)
{
    int n = 0;
    for (const char *p = hay; (p = strstr(p, needle)) != NULL; p += strlen(needle))
        n++;
    return n;
}

/* A copy of the text of <heap nr="nr">...</heap>. */
static char *heap_element(const char *xml, int nr)
{
    char open[32];
    snprintf(open, sizeof open, "<heap nr=\"%d\">\n", nr);
    const char *start = strstr(xml, open);
    ck_assert_msg(start != NULL, "no %s", open);
    const char *end = strstr(start, "</heap>\n");
    ck_assert_ptr_nonnull(end);
    return strndup(start, (size_t)(end - start) + strlen("</heap>\n"));
}

/* The number in attribute `attr` of the first element that starts with `elem`. */
static size_t attr_of(const char *text, const char *elem, const char *attr)
{
    const char *e = strstr(text, elem);
    ck_assert_msg(e != NULL, "no %s", elem);
    char key[32];
    snprintf(key, sizeof key, " %s=\"", attr);
    const char *a = strstr(e, key);
    const char *close = strstr(e, "/>");
    ck_assert_msg(a != NULL && close != NULL && a < close, "%s has no %s", elem, attr);
    return strtoul(a + strlen(key), NULL, 10);
}

static size_t rss_bytes(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    unsigned long size = 0, resident = 0;
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(fscanf(f, "%lu %lu", &size, &resident), 2);
    fclose(f);
    return (size_t)resident * (size_t)sysconf(_SC_PAGESIZE);
}

/* ---- a thread with an arena of its own ------------------------------------------ */

enum { THREAD_BLOCKS = 25 };

struct arena_thread {
    size_t block_size;          /* heap blocks it keeps */
    int nblocks;
    void *blocks[THREAD_BLOCKS];
    size_t fast_freed;          /* 40-byte blocks it freed (fastbin chunks of 48) */
    mstate arena;
};

static void *arena_thread_fn(void *arg)
{
    struct arena_thread *t = arg;
    void *fast[4];
    for (int i = 0; i < 4; i++)
        fast[i] = arenalloc_malloc(40);
    for (int i = 0; i < t->nblocks; i++)
        t->blocks[i] = arenalloc_malloc(t->block_size);
    for (size_t i = 0; i < t->fast_freed; i++)
        arenalloc_free(fast[i]);
    t->arena = thread_arena;
    return NULL;
}

/* Per-thread policy: a thread makes the second arena, keeps nblocks blocks of
   block_size there, frees `fast_freed` small ones, and exits. */
static void run_arena_thread(struct arena_thread *t)
{
    ck_assert_int_eq(arenalloc_set_arena_policy(ARENALLOC_POLICY_PER_THREAD), 0);
    pthread_t th;
    ck_assert_int_eq(pthread_create(&th, NULL, arena_thread_fn, t), 0);
    ck_assert_int_eq(pthread_join(th, NULL), 0);
    ck_assert_ptr_nonnull(t->arena);
    ck_assert(t->arena != &main_arena);
    for (int i = 0; i < t->nblocks; i++) {
        ck_assert_ptr_nonnull(t->blocks[i]);
        ck_assert(!is_mmapped(t->blocks[i]));
    }
    ck_assert_uint_eq(arena_count(), 2);
}

/* ---- mallinfo2 / mallinfo --------------------------------------------------------- */

/* mallinfo2 adds up exactly: arena = system_mem, uordblks + fordblks = arena, smblks/fsmblks = fastbin chunks, ordblks = top + free chunks, hblks/hblkhd = mapped chunks. */
START_TEST(test_mallinfo2_adds_up)
{
    void *first = xmalloc(1);
    struct mallinfo2 m = arenalloc_mallinfo2();
    assert_mallinfo2_consistent(&m);
    ck_assert_uint_eq(m.arena, main_arena.system_mem);
    ck_assert_uint_eq(m.ordblks, 1);
    ck_assert_uint_eq(m.smblks, 0);
    ck_assert_uint_eq(m.fsmblks, 0);
    ck_assert_uint_eq(m.hblks, 0);
    ck_assert_uint_eq(m.hblkhd, 0);
    ck_assert_uint_eq(m.fordblks, top_size());

    /* 5 fast chunks of 48 and 3 of 112, 3 free chunks of 512, 608 and 2016, each behind a guard. */
    void *f48[5], *f112[3], *u[3], *guards[11];
    const size_t usizes[3] = {500, 600, 2000};
    int g = 0;
    for (int i = 0; i < 5; i++) {
        f48[i] = xmalloc(40);
        guards[g++] = xmalloc(24);
    }
    for (int i = 0; i < 3; i++) {
        f112[i] = xmalloc(100);
        guards[g++] = xmalloc(24);
    }
    for (int i = 0; i < 3; i++) {
        u[i] = xmalloc(usizes[i]);
        guards[g++] = xmalloc(24);
    }
    size_t ufree = csize(u[0]) + csize(u[1]) + csize(u[2]);
    ck_assert_uint_eq(ufree, 512 + 608 + 2016);
    /* 3 mapped chunks, before the frees: a large request merges the fastbins */
    void *mm[3] = {xmalloc(256 * 1024), xmalloc(1u << 20), xmalloc(3u << 20)};
    size_t mapped = 0;
    for (int i = 0; i < 3; i++) {
        ck_assert(is_mmapped(mm[i]));
        mapped += csize(mm[i]);
    }
    for (int i = 0; i < 5; i++)
        arenalloc_free(f48[i]);
    for (int i = 0; i < 3; i++)
        arenalloc_free(f112[i]);
    for (int i = 0; i < 3; i++)
        arenalloc_free(u[i]);

    m = arenalloc_mallinfo2();
    assert_mallinfo2_consistent(&m);
    ck_assert_uint_eq(m.arena, main_arena.system_mem);
    ck_assert_uint_eq(m.smblks, 8);
    ck_assert_uint_eq(m.fsmblks, 5 * 48 + 3 * 112);
    ck_assert_uint_eq(m.ordblks, 1 + 3);
    ck_assert_uint_eq(m.fordblks, top_size() + 5 * 48 + 3 * 112 + ufree);
    ck_assert_uint_eq(m.uordblks, main_arena.system_mem - m.fordblks);
    ck_assert_uint_eq(m.hblks, 3);
    ck_assert_uint_eq(m.hblkhd, mapped);
    ck_assert_uint_eq(m.keepcost, top_size());

    /* Freeing a mapped chunk: one fewer, exactly its bytes fewer. */
    size_t c1 = csize(mm[1]);
    arenalloc_free(mm[1]);
    m = arenalloc_mallinfo2();
    ck_assert_uint_eq(m.hblks, 2);
    ck_assert_uint_eq(m.hblkhd, mapped - c1);

    /* A large request merges the fastbins: smblks drops to 0 and the chunks are ordinary free chunks or top. */
    void *big = xmalloc(2000);
    m = arenalloc_mallinfo2();
    assert_mallinfo2_consistent(&m);
    ck_assert_uint_eq(m.smblks, 0);
    ck_assert_uint_eq(m.fsmblks, 0);

    arenalloc_free(big);
    arenalloc_free(mm[0]);
    arenalloc_free(mm[2]);
    for (int i = 0; i < g; i++)
        arenalloc_free(guards[i]);
    arenalloc_free(first);
    m = arenalloc_mallinfo2();
    assert_mallinfo2_consistent(&m);
    ck_assert_uint_eq(m.hblks, 0);
    ck_assert_uint_eq(m.hblkhd, 0);
}
END_TEST

/* mallinfo2 sums every arena: arena = main + thread arena system_mem, smblks counts the thread's fastbin chunks too. */
START_TEST(test_mallinfo2_sums_arenas)
{
    void *first = xmalloc(1);
    struct arena_thread t = {.block_size = 1000, .nblocks = 3, .fast_freed = 2};
    run_arena_thread(&t);
    struct mallinfo2 m = arenalloc_mallinfo2();
    assert_mallinfo2_consistent(&m);
    ck_assert_uint_eq(m.arena, main_arena.system_mem + t.arena->system_mem);
    ck_assert_uint_gt(t.arena->system_mem, 0);
    ck_assert_uint_eq(m.smblks, 2);
    ck_assert_uint_eq(m.fsmblks, 2 * 48);
    ck_assert_uint_ge(m.uordblks, csize(first) + 3 * csize(t.blocks[0]) + 2 * 48);
    for (int i = 0; i < t.nblocks; i++)
        arenalloc_free(t.blocks[i]);
    arenalloc_free(first);
}
END_TEST

/* mallinfo is mallinfo2 with each figure cut to int: above INT_MAX it wraps, as in glibc. */
START_TEST(test_mallinfo_truncates)
{
    void *small = xmalloc(100), *fast = xmalloc(40), *g = xmalloc(16);
    void *huge[3];
    for (int i = 0; i < 3; i++) {
        huge[i] = xmalloc(1u << 30); /* mapped, never touched */
        ck_assert(is_mmapped(huge[i]));
    }
    arenalloc_free(fast); /* after the large requests, which merge the fastbins */
    struct mallinfo2 m2 = arenalloc_mallinfo2();
    struct mallinfo m = arenalloc_mallinfo();
    ck_assert_uint_gt(m2.hblkhd, (size_t)INT_MAX);
    ck_assert_int_eq(m.arena, (int)m2.arena);
    ck_assert_int_eq(m.ordblks, (int)m2.ordblks);
    ck_assert_int_eq(m.smblks, (int)m2.smblks);
    ck_assert_int_eq(m.hblks, (int)m2.hblks);
    ck_assert_int_eq(m.hblkhd, (int)m2.hblkhd);
    ck_assert_int_lt(m.hblkhd, 0); /* 3 GiB and change, wrapped */
    ck_assert_int_eq(m.usmblks, (int)m2.usmblks);
    ck_assert_int_eq(m.fsmblks, (int)m2.fsmblks);
    ck_assert_int_eq(m.uordblks, (int)m2.uordblks);
    ck_assert_int_eq(m.fordblks, (int)m2.fordblks);
    ck_assert_int_eq(m.keepcost, (int)m2.keepcost);
    ck_assert_int_eq(m.hblks, 3);
    ck_assert_int_eq(m.smblks, 1);
    for (int i = 0; i < 3; i++)
        arenalloc_free(huge[i]);
    arenalloc_free(small);
    arenalloc_free(g);
}
END_TEST

/* ---- malloc_stats ------------------------------------------------------------------ */

/* One arena: malloc_stats prints glibc's exact text, its figures those of mallinfo2 and the mmap maxima. */
START_TEST(test_malloc_stats_text)
{
    void *first = xmalloc(1), *h = xmalloc(1000), *f = xmalloc(40), *g = xmalloc(16);
    arenalloc_free(f);
    void *mm[3] = {xmalloc(256 * 1024), xmalloc(1u << 20), xmalloc(2u << 20)};
    size_t max_bytes = csize(mm[0]) + csize(mm[1]) + csize(mm[2]);
    arenalloc_free(mm[1]); /* the maxima outlive them */
    arenalloc_free(mm[2]);

    char *text = capture_stderr(arenalloc_malloc_stats);
    struct mallinfo2 m = arenalloc_mallinfo2();
    ck_assert_uint_eq(m.hblks, 1);
    char expected[1024];
    snprintf(expected, sizeof expected,
             "Arena 0:\n"
             "system bytes     = %10u\n"
             "in use bytes     = %10u\n"
             "Total (incl. mmap):\n"
             "system bytes     = %10u\n"
             "in use bytes     = %10u\n"
             "max mmap regions = %10u\n"
             "max mmap bytes   = %10lu\n",
             (unsigned)m.arena, (unsigned)m.uordblks, (unsigned)(m.arena + m.hblkhd),
             (unsigned)(m.uordblks + m.hblkhd), 3u, (unsigned long)max_bytes);
    ck_assert_str_eq(text, expected);
    free(text);
    arenalloc_free(mm[0]);
    arenalloc_free(first);
    arenalloc_free(h);
    arenalloc_free(g);
}
END_TEST

/* Two arenas: "Arena 0:" and "Arena 1:" in ring order with each arena's figures, and totals over both plus mmap. */
START_TEST(test_malloc_stats_two_arenas)
{
    void *first = xmalloc(1), *mm = xmalloc(1u << 20);
    struct arena_thread t = {.block_size = 5000, .nblocks = 2, .fast_freed = 1};
    run_arena_thread(&t);
    char *text = capture_stderr(arenalloc_malloc_stats);
    struct mallinfo2 m = arenalloc_mallinfo2();

    unsigned sys[2], used[2], tsys, tused, regions;
    unsigned long maxbytes;
    int n = sscanf(text,
                   "Arena 0:\nsystem bytes     = %u\nin use bytes     = %u\n"
                   "Arena 1:\nsystem bytes     = %u\nin use bytes     = %u\n"
                   "Total (incl. mmap):\nsystem bytes     = %u\nin use bytes     = %u\n"
                   "max mmap regions = %u\nmax mmap bytes   = %lu\n",
                   &sys[0], &used[0], &sys[1], &used[1], &tsys, &tused, &regions, &maxbytes);
    ck_assert_msg(n == 8, "malloc_stats printed:\n%s", text);
    ck_assert_uint_eq(count_of(text, "Arena "), 2);
    ck_assert_uint_eq(sys[0], main_arena.system_mem);
    ck_assert_uint_eq(sys[1], t.arena->system_mem);
    ck_assert_uint_eq(used[0] + used[1], m.uordblks);
    ck_assert_uint_eq(tsys, m.arena + m.hblkhd);
    ck_assert_uint_eq(tused, m.uordblks + m.hblkhd);
    ck_assert_uint_eq(regions, 1);
    ck_assert_uint_eq(maxbytes, csize(mm));
    free(text);
    for (int i = 0; i < t.nblocks; i++)
        arenalloc_free(t.blocks[i]);
    arenalloc_free(mm);
    arenalloc_free(first);
}
END_TEST

/* ---- malloc_info ---------------------------------------------------------------------- */

/* One arena: well-formed XML, glibc's elements in glibc's order, every figure exact, and the final mmap total is mp_.n_mmaps / mmapped_mem. */
START_TEST(test_malloc_info_xml)
{
    void *first = xmalloc(1);
    void *f[3], *g[4];
    for (int i = 0; i < 3; i++) {
        f[i] = xmalloc(40);
        g[i] = xmalloc(24);
    }
    void *u = xmalloc(500);
    g[3] = xmalloc(24);
    void *mm[2] = {xmalloc(1u << 20), xmalloc(2u << 20)}; /* before the frees: a large request merges the fastbins */
    for (int i = 0; i < 3; i++)
        arenalloc_free(f[i]);
    arenalloc_free(u);

    char *xml = malloc_info_xml();
    size_t top = top_size(), sys = main_arena.system_mem, maxsys = main_arena.max_system_mem;
    ck_assert_int_eq(mp_.n_mmaps, 2);
    ck_assert_uint_eq(mp_.mmapped_mem, csize(mm[0]) + csize(mm[1]));
    size_t rest = top + (512 | PREV_INUSE); /* bins report chunksize_nomask, as glibc does */
    char heap[1024], expected[4096];
    snprintf(heap, sizeof heap,
             "<heap nr=\"0\">\n"
             "<sizes>\n"
             "  <size from=\"33\" to=\"48\" total=\"144\" count=\"3\"/>\n"
             "  <unsorted from=\"513\" to=\"513\" total=\"513\" count=\"1\"/>\n"
             "</sizes>\n"
             "<total type=\"fast\" count=\"3\" size=\"144\"/>\n"
             "<total type=\"rest\" count=\"2\" size=\"%zu\"/>\n"
             "<system type=\"current\" size=\"%zu\"/>\n"
             "<system type=\"max\" size=\"%zu\"/>\n"
             "<aspace type=\"total\" size=\"%zu\"/>\n"
             "<aspace type=\"mprotect\" size=\"%zu\"/>\n"
             "</heap>\n",
             rest, sys, maxsys, sys, sys);
    snprintf(expected, sizeof expected,
             "<malloc version=\"1\">\n"
             "%s"
             "<total type=\"fast\" count=\"3\" size=\"144\"/>\n"
             "<total type=\"rest\" count=\"2\" size=\"%zu\"/>\n"
             "<total type=\"mmap\" count=\"%d\" size=\"%zu\"/>\n"
             "<system type=\"current\" size=\"%zu\"/>\n"
             "<system type=\"max\" size=\"%zu\"/>\n"
             "<aspace type=\"total\" size=\"%zu\"/>\n"
             "<aspace type=\"mprotect\" size=\"%zu\"/>\n"
             "</malloc>\n",
             heap, rest, mp_.n_mmaps, mp_.mmapped_mem, sys, maxsys, sys, sys);
    ck_assert_str_eq(xml, expected);

    /* The same, read as glibc's scripts read it. */
    ck_assert_int_eq(count_of(xml, "<heap nr="), 1);
    ck_assert_int_eq(count_of(xml, "subheaps"), 0);
    const char *totals = strstr(xml, "</heap>\n") + strlen("</heap>\n");
    ck_assert_uint_eq(attr_of(totals, "<total type=\"mmap\"", "count"), (size_t)mp_.n_mmaps);
    ck_assert_uint_eq(attr_of(totals, "<total type=\"mmap\"", "size"), mp_.mmapped_mem);
    free(xml);

    arenalloc_free(mm[0]);
    arenalloc_free(mm[1]);
    for (int i = 0; i < 4; i++)
        arenalloc_free(g[i]);
    arenalloc_free(first);
}
END_TEST

/* With a thread arena: two <heap> elements, the second with its heaps' sizes and <aspace type="subheaps"> counting them; totals sum both. */
START_TEST(test_malloc_info_two_heaps)
{
    void *first = xmalloc(1);
    struct arena_thread t = {.block_size = 100000, .nblocks = THREAD_BLOCKS, .fast_freed = 3};
    run_arena_thread(&t); /* 2.5 MB in 1 MiB heaps: several heaps */
    char *xml = malloc_info_xml();

    size_t nheaps = 0, hsize = 0, hprot = 0;
    for (heap_info *h = heap_for_ptr(t.arena->top); h != NULL; h = h->prev) {
        nheaps++;
        hsize += h->size;
        hprot += h->mprotect_size;
    }
    ck_assert_uint_ge(nheaps, 3);
    ck_assert_int_eq(count_of(xml, "<heap nr="), 2);
    ck_assert_int_eq(count_of(xml, "</heap>"), 2);
    char *h0 = heap_element(xml, 0), *h1 = heap_element(xml, 1);
    ck_assert_ptr_null(strstr(h0, "subheaps"));
    ck_assert_uint_eq(attr_of(h0, "<system type=\"current\"", "size"), main_arena.system_mem);
    ck_assert_uint_eq(attr_of(h0, "<aspace type=\"total\"", "size"), main_arena.system_mem);

    ck_assert_uint_eq(attr_of(h1, "<total type=\"fast\"", "count"), 3);
    ck_assert_uint_eq(attr_of(h1, "<total type=\"fast\"", "size"), 3 * 48);
    ck_assert_uint_eq(attr_of(h1, "<system type=\"current\"", "size"), t.arena->system_mem);
    ck_assert_uint_eq(attr_of(h1, "<system type=\"max\"", "size"), t.arena->max_system_mem);
    ck_assert_uint_eq(attr_of(h1, "<aspace type=\"total\"", "size"), hsize);
    ck_assert_uint_eq(attr_of(h1, "<aspace type=\"mprotect\"", "size"), hprot);
    ck_assert_uint_eq(attr_of(h1, "<aspace type=\"subheaps\"", "size"), nheaps);
    char tail[64];
    snprintf(tail, sizeof tail, "<aspace type=\"subheaps\" size=\"%zu\"/>\n</heap>\n", nheaps);
    ck_assert_msg(strstr(h1, tail) != NULL, "subheaps is not the last element of heap 1:\n%s", h1);

    const char *totals = strstr(strstr(xml, h1) + strlen(h1), "<total");
    ck_assert_ptr_nonnull(totals);
    ck_assert_uint_eq(attr_of(totals, "<system type=\"current\"", "size"), main_arena.system_mem + t.arena->system_mem);
    ck_assert_uint_eq(attr_of(totals, "<aspace type=\"total\"", "size"), main_arena.system_mem + hsize);
    ck_assert_uint_eq(attr_of(totals, "<total type=\"fast\"", "count"), 3);
    ck_assert_uint_eq(attr_of(totals, "<total type=\"mmap\"", "count"), 0);
    free(h0);
    free(h1);
    free(xml);
    for (int i = 0; i < t.nblocks; i++)
        arenalloc_free(t.blocks[i]);
    arenalloc_free(first);
}
END_TEST

/* malloc_info with options other than 0 returns EINVAL and writes nothing. */
START_TEST(test_malloc_info_einval)
{
    struct tmp_file t;
    tmp_open(&t);
    ck_assert_int_eq(arenalloc_malloc_info(1, t.f), EINVAL);
    ck_assert_int_eq(arenalloc_malloc_info(-1, t.f), EINVAL);
    ck_assert_int_eq(fflush(t.f), 0);
    ck_assert_int_eq(ftell(t.f), 0);
    tmp_close(&t);
}
END_TEST

/* The XML check itself can fail: xmllint rejects a truncated document. */
START_TEST(test_xmllint_rejects_broken_xml)
{
    struct tmp_file t;
    tmp_open(&t);
    fputs("<malloc version=\"1\">\n<heap nr=\"0\">\n</malloc>\n", t.f);
    ck_assert_int_eq(fflush(t.f), 0);
    char msg[1024];
    ck_assert_int_ne(xmllint(t.path, msg, sizeof msg), 0);
    tmp_close(&t);
}
END_TEST

/* ---- malloc_trim -------------------------------------------------------------------------- */

/* malloc_trim(0) gives back the pages inside free chunks (madvise), where top cannot shrink: RSS drops by most of ~100 MiB; free() alone did not. */
START_TEST(test_malloc_trim_lowers_rss)
{
    enum { N = 1000, SIZE = 100 * 1024 };
    const size_t mib = 1u << 20;
    ck_assert_int_eq(arenalloc_mallopt(M_TRIM_THRESHOLD, INT_MAX), 1); /* free() never trims top */
    static void *p[N];
    size_t rss0 = rss_bytes();
    for (int i = 0; i < N; i++) {
        p[i] = xmalloc(SIZE);
        ck_assert(!is_mmapped(p[i]));
        memset(p[i], 0x77, SIZE);
    }
    void *guard = xmalloc(64); /* top lies past it: only the free chunk below can give pages back */
    size_t rss_full = rss_bytes();
    ck_assert_uint_ge(rss_full, rss0 + 90 * mib);
    for (int i = 0; i < N; i++)
        arenalloc_free(p[i]);
    size_t rss_freed = rss_bytes();
    ck_assert_uint_ge(rss_freed + 8 * mib, rss_full);
    size_t sys = main_arena.system_mem;

    ck_assert_int_eq(arenalloc_malloc_trim(0), 1);
    size_t rss_trimmed = rss_bytes();
    ck_assert_msg(rss_trimmed + 90 * mib <= rss_freed, "RSS went from %zu to only %zu bytes", rss_freed, rss_trimmed);
    ck_assert_uint_ge(main_arena.system_mem + 2 * mib, sys); /* the pages stay mapped: brk barely moved */
    ck_assert_ptr_null(arenalloc_check_heap());

    /* The free chunk is usable again, and reads as zeros where its pages went. */
    char *q = xmalloc(SIZE);
    ck_assert_ptr_eq(q, p[0]);
    size_t pg = os_page_size();
    size_t discarded = (((uintptr_t)q + 32 + pg - 1) & ~(uintptr_t)(pg - 1)) - (uintptr_t)q;
    size_t i = discarded;
    while (i < SIZE && q[i] == 0)
        i++;
    ck_assert_msg(i == SIZE, "byte %zu of a trimmed page is 0x%02x", i, (unsigned)(unsigned char)q[i]);
    memset(q, 1, SIZE);
    arenalloc_free(q);
    arenalloc_free(guard);
    ck_assert_ptr_null(arenalloc_check_heap());
}
END_TEST

/* malloc_trim(pad) shrinks top down to pad (+ MINSIZE, + less than a page) and says so; a second call has nothing left and returns 0. */
START_TEST(test_malloc_trim_pad)
{
    const size_t pad = 64 * 1024;
    ck_assert_int_eq(arenalloc_mallopt(M_TRIM_THRESHOLD, INT_MAX), 1);
    void *p[10];
    for (int i = 0; i < 10; i++)
        p[i] = xmalloc(100000);
    for (int i = 9; i >= 0; i--)
        arenalloc_free(p[i]);
    size_t sys = main_arena.system_mem;
    ck_assert_uint_ge(top_size(), 1000000);
    ck_assert_int_eq(arenalloc_malloc_trim(pad), 1);
    ck_assert_uint_lt(main_arena.system_mem, sys);
    ck_assert_uint_gt(top_size(), pad + MINSIZE);
    ck_assert_uint_le(top_size(), pad + MINSIZE + os_page_size());
    ck_assert_ptr_eq((char *)main_arena.top + top_size(), os_morecore(0));
    ck_assert_int_eq(arenalloc_malloc_trim(pad), 0);
}
END_TEST

/* malloc_trim on a heap that was never used, and on one emptied again, returns 0 or 1 and leaves a working allocator. */
START_TEST(test_malloc_trim_empty_heap)
{
    int r = arenalloc_malloc_trim(0);
    ck_assert(r == 0 || r == 1);
    ck_assert_ptr_null(arenalloc_check_heap());
    void *a = xmalloc(100), *b = xmalloc(50000);
    arenalloc_free(a);
    arenalloc_free(b);
    r = arenalloc_malloc_trim(0);
    ck_assert(r == 0 || r == 1);
    ck_assert_ptr_null(arenalloc_check_heap());
    r = arenalloc_malloc_trim(SIZE_MAX);
    ck_assert(r == 0 || r == 1);
    char *c = xmalloc(1000);
    memset(c, 3, 1000);
    arenalloc_free(c);
    ck_assert_ptr_null(arenalloc_check_heap());
}
END_TEST

Suite *reports_suite(void)
{
    Suite *s = suite_create("reports");

    TCase *tc = tcase_create("mallinfo");

    tcase_add_checked_fixture(tc, tcache_off, NULL);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_mallinfo2_adds_up);
    tcase_add_test(tc, test_mallinfo2_sums_arenas);
    tcase_add_test(tc, test_mallinfo_truncates);
    suite_add_tcase(s, tc);

    tc = tcase_create("malloc_stats");

    tcase_add_checked_fixture(tc, tcache_off, NULL);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_malloc_stats_text);
    tcase_add_test(tc, test_malloc_stats_two_arenas);
    suite_add_tcase(s, tc);

    tc = tcase_create("malloc_info");

    tcase_add_checked_fixture(tc, tcache_off, NULL);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_malloc_info_xml);
    tcase_add_test(tc, test_malloc_info_two_heaps);
    tcase_add_test(tc, test_malloc_info_einval);
    tcase_add_test(tc, test_xmllint_rejects_broken_xml);
    suite_add_tcase(s, tc);

    tc = tcase_create("malloc_trim");

    tcase_add_checked_fixture(tc, tcache_off, NULL);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_malloc_trim_lowers_rss);
    tcase_add_test(tc, test_malloc_trim_pad);
    tcase_add_test(tc, test_malloc_trim_empty_heap);
    suite_add_tcase(s, tc);
    return s;
}
