/*
 * make_dump.c - makes a heap with something in every kind of bin and writes
 * arenalloc_dump's JSON of it, for tests/heapviz/heapviz-check.sh and for trying
 * tools/heapviz by hand.  Built against build/libarenalloc-prefixed.a.
 *
 *   make_dump OUT.json        the final heap (below)
 *   make_dump -s DIR          three steps of it: DIR/step1.json (all allocated),
 *                             step2.json (freed, all in the unsorted bin),
 *                             step3.json (= the final heap)
 *   make_dump -m OUT.json     a heap of a few thousand chunks, most in use
 *   make_dump -b OUT.json     a heap of the size of a real program's: 60,000
 *                             chunks, every other one freed, then a large request:
 *                             it consolidates the fast chunks and sorts the first
 *                             10,000 unsorted chunks (glibc's limit per scan), so
 *                             one small bin holds 10,000 and the unsorted bin the rest
 *   make_dump -t OUT.json     the final heap made by a second thread, in a thread
 *                             arena of its own (arena 1), main_arena nearly empty
 *   make_dump -x OUT.json     the final heap, then damaged: a loop in fastbins[0x30]
 *                             (f1's fd back to f3), s1's fd pointing outside the
 *                             heap, and the size of the 0x2010 chunk before top
 *                             overwritten (the walk stops there)
 *   make_dump -c OUT.json     the per-thread cache on: three chunks of 0x30 freed
 *                             into tcachebins[0x30], c3 -> c2 -> c1, each between
 *                             guards in use
 *   make_dump -p OUT.json     the same, then poisoned as an attack would: c3's
 *                             next rewritten, safe-linked, to lead to 0xdeadbeef0,
 *                             no chunk at all
 *
 * The final heap of main_arena (glibc 2.36's rules, the per-thread cache off by
 * arenalloc_set_tcache_count(0); x86-64 sizes):
 *   fastbins[0x20]  f0                      (one chunk)
 *   fastbins[0x30]  f3 -> f2 -> f1          (LIFO: the last freed first)
 *   unsorted        u2 -> u1                (the newest at the head)
 *   smallbins[0x1f0] s2 -> s1               (inserted at the head as sorted, oldest first)
 *   largebins[0x500-0x530] l2 (0x530) -> l1 (0x510) -> l3 (0x510)
 *                   nextsize chain: l2 -> l1 (one entry per size)
 *   top
 * Every free chunk has an in-use guard after it, so nothing merges.
 * It prints, one per line, "name address" for each of those chunks, so a test can
 * check what it sees against what was made.
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arenalloc.h"

static void *xmalloc(size_t n)
{
    void *p = arenalloc_malloc(n);
    if (p == NULL) {
        fprintf(stderr, "make_dump: malloc(%zu) failed\n", n);
        exit(1);
    }
    return p;
}

static void dump_to(const char *path)
{
    FILE *f = fopen(path, "w");
    if (f == NULL || arenalloc_dump(f, ARENALLOC_DUMP_ALL, ARENALLOC_DUMP_JSON) != 0 || fclose(f) != 0) {
        fprintf(stderr, "make_dump: %s: %s\n", path, strerror(errno));
        exit(1);
    }
}

static void show(const char *name, void *p)
{
    printf("%s 0x%lx\n", name, (unsigned long)((char *)p - 16)); /* the chunk, as the dump names it */
}

static void *saved[3]; /* f1, f3, s1 */
static void *big;      /* the 0x2010 chunk */

/* The heap described at the top; step files go to dir when it is not NULL. */
static void build_heap(const char *dir)
{
    char path[4096];
    void *f0 = xmalloc(0x18), *g0 = xmalloc(0x18);
    void *f1 = xmalloc(0x28), *f2 = xmalloc(0x28), *f3 = xmalloc(0x28), *g1 = xmalloc(0x18);
    void *s1 = xmalloc(0x1e8), *g2 = xmalloc(0x18);
    void *s2 = xmalloc(0x1e8), *g3 = xmalloc(0x18);
    void *l1 = xmalloc(0x508), *g4 = xmalloc(0x18);
    void *l2 = xmalloc(0x528), *g5 = xmalloc(0x18);
    void *l3 = xmalloc(0x508), *g6 = xmalloc(0x18);
    void *u1 = xmalloc(0x98), *g7 = xmalloc(0x18);
    void *u2 = xmalloc(0x118), *g8 = xmalloc(0x18);
    (void)g0, (void)g1, (void)g2, (void)g3, (void)g4, (void)g5, (void)g6, (void)g7, (void)g8;
    if (dir != NULL) {
        snprintf(path, sizeof path, "%s/step1.json", dir);
        dump_to(path);
    }

    arenalloc_free(s1);
    arenalloc_free(s2);
    arenalloc_free(l1);
    arenalloc_free(l2);
    arenalloc_free(l3);
    if (dir != NULL) {
        snprintf(path, sizeof path, "%s/step2.json", dir);
        dump_to(path);
    }

    /* A request no free chunk can serve: the unsorted scan sorts s1, s2 into
       their small bin and l1, l2, l3 into their large bin; top serves it. */
    big = xmalloc(0x2008);
    /* Only now the fast chunks (a large request would have consolidated them)
       and the chunks that stay in the unsorted bin. */
    arenalloc_free(f1);
    arenalloc_free(f2);
    arenalloc_free(f3);
    arenalloc_free(f0);
    arenalloc_free(u1);
    arenalloc_free(u2);
    if (dir != NULL) {
        snprintf(path, sizeof path, "%s/step3.json", dir);
        dump_to(path);
    }

    show("f0", f0), show("f1", f1), show("f2", f2), show("f3", f3);
    show("s1", s1), show("s2", s2), show("l1", l1), show("l2", l2), show("l3", l3);
    show("u1", u1), show("u2", u2);
    saved[0] = f1, saved[1] = f3, saved[2] = s1;
}

/* Damage written by hand, as an exploit would (see -x above). */
static void damage_heap(void)
{
    uintptr_t *f1 = saved[0], *s1 = saved[2];
    uintptr_t f3_chunk = (uintptr_t)saved[1] - 16;
    f1[0] = ((uintptr_t)&f1[0] >> 12) ^ f3_chunk; /* fd, safe-linked (glibc 2.32's PROTECT_PTR) */
    s1[0] = 0xdeadbeef0;                          /* fd */
    ((size_t *)big)[-1] = 0x49;                   /* size 0x48: not a multiple of 16 */
}

/* A few thousand chunks, most in use, a few of each kind free. */
static void build_many(void)
{
    enum { N = 3000 };
    static void *p[N];
    for (int i = 0; i < N; i++)
        p[i] = xmalloc(i % 7 == 3 ? 0x1e8 : 0x18 + (size_t)(i % 5) * 0x10);
    for (int i = 500; i < N; i += 400)
        arenalloc_free(p[i + 3]); /* small, not fast: unsorted, then sorted below */
    xmalloc(0x4008);
    for (int i = 700; i < N; i += 600)
        arenalloc_free(p[i]); /* fast */
}

/* Real programs' heaps: tens of thousands of chunks, long bin lists. */
static void build_big(void)
{
    enum { N = 60000 };
    static void *p[N];
    for (int i = 0; i < N; i++)
        p[i] = xmalloc(i % 4 < 2 ? 0x18 : 0x98);
    for (int i = 1; i < N; i += 2)
        arenalloc_free(p[i]); /* 0x20: fastbins; 0xa0: unsorted, sorted below */
    xmalloc(0x10008);
}

static void *thread_main(void *arg)
{
    (void)arg;
    build_heap(NULL);
    return NULL;
}

int main(int argc, char **argv)
{
    /* The bins' diagrams: every free must reach the arena, as in glibc with
       glibc.malloc.tcache_count=0. */
    arenalloc_set_tcache_count(0);
    if (argc == 3 && strcmp(argv[1], "-s") == 0) {
        build_heap(argv[2]);
    } else if (argc == 3 && (strcmp(argv[1], "-c") == 0 || strcmp(argv[1], "-p") == 0)) {
        /* Three chunks of 0x30 in the per-thread cache: c3 -> c2 -> c1. */
        arenalloc_set_tcache_count(7);
        void *c[3];
        for (int i = 0; i < 3; i++) {
            c[i] = xmalloc(0x28);
            xmalloc(0x18);
        }
        for (int i = 0; i < 3; i++)
            arenalloc_free(c[i]);
        show("c1", c[0]);
        show("c2", c[1]);
        show("c3", c[2]);
        /* The link is the entry's first word, stored as (its own address >> 12) ^
           the next entry: a forged one must be encoded the same way to be followed. */
        if (argv[1][1] == 'p')
            *(uintptr_t *)c[2] = ((uintptr_t)c[2] >> 12) ^ (uintptr_t)0xdeadbeef0;
        dump_to(argv[2]);
    } else if (argc == 3 && strcmp(argv[1], "-m") == 0) {
        build_many();
        dump_to(argv[2]);
    } else if (argc == 3 && strcmp(argv[1], "-b") == 0) {
        build_big();
        dump_to(argv[2]);
    } else if (argc == 3 && strcmp(argv[1], "-t") == 0) {
        pthread_t t;
        arenalloc_set_arena_policy(ARENALLOC_POLICY_PER_THREAD);
        arenalloc_free(xmalloc(0x18));
        if (pthread_create(&t, NULL, thread_main, NULL) != 0 || pthread_join(t, NULL) != 0)
            return 1;
        dump_to(argv[2]);
    } else if (argc == 3 && strcmp(argv[1], "-x") == 0) {
        build_heap(NULL);
        damage_heap();
        dump_to(argv[2]);
    } else if (argc == 2 && argv[1][0] != '-') {
        build_heap(NULL);
        dump_to(argv[1]);
    } else {
        fprintf(stderr, "usage: make_dump OUT.json | -s DIR | -m OUT.json | -b OUT.json | -t OUT.json | -x OUT.json | -c OUT.json | -p OUT.json\n");
        return 2;
    }
    return 0;
}
