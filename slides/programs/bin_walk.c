/*
 * bin_walk.c - the bins, one call at a time (deck 20-bins).
 *
 * Fills every kind of bin with a few frees, then makes one malloc that has to
 * sort the unsorted bin and split a chunk, and one free that merges; the heap is
 * dumped after every call, so each step of the deck is a picture of what that
 * call changed.
 */
#include "experiment.h"

static int step;

static void after(const char *what)
{
    char name[32];
    snprintf(name, sizeof name, "step%d", ++step);
    dump_heap(name);
    char key[32];
    snprintf(key, sizeof key, "step%d", step);
    value(key, "%s", what);
}

static void chunk_value(const char *key, void *mem)
{
    value(key, "%#lx", (unsigned long)chunk_addr(mem));
    char k[64];
    snprintf(k, sizeof k, "%s_size", key);
    value(k, "%#zx", size_field(mem) & ~(size_t)7);
}

int main(int argc, char **argv)
{
    experiment_start(argc, argv);
    /* The lecture's allocator, before glibc 2.26's per-thread cache (deck 50-tcache):
       with the cache on, these frees and mallocs would not reach the arena at all. */
    arenalloc_set_tcache_count(0);
    void *f1 = xmalloc(40), *f2 = xmalloc(40); /* 0x30: fastbin size */
    void *s1 = xmalloc(200);                  /* 0xd0: small bin size */
    xmalloc(24);                              /* guards keep the frees apart */
    void *l1 = xmalloc(1100);                 /* 0x460: large bin size */
    xmalloc(24);
    void *l2 = xmalloc(1300);
    xmalloc(24);
    chunk_value("f1", f1);
    chunk_value("f2", f2);
    chunk_value("s1", s1);
    chunk_value("l1", l1);
    chunk_value("l2", l2);

    arenalloc_free(f1);
    arenalloc_free(f2);
    arenalloc_free(s1);
    arenalloc_free(l1);
    arenalloc_free(l2);
    after("five frees: two fastbin chunks, three chunks in the unsorted bin");

    void *again = xmalloc(40);
    value("fast_hit_is_f2", "%s", again == f2 ? "yes" : "no");
    after("malloc(40): the fastbin's head, the chunk freed last");

    void *m = xmalloc(150); /* 0xa0: nothing fits exactly */
    chunk_value("m", m);
    value("m_from_s1", "%s", chunk_addr(m) == chunk_addr(s1) ? "yes" : "no");
    after("malloc(150): unsorted chunks sorted into their bins, then the 0xd0 chunk split");

    void *exact = xmalloc(1100);
    value("exact_is_l1", "%s", exact == l1 ? "yes" : "no");
    after("malloc(1100): an exact fit in a large bin");

    arenalloc_free(m);
    after("free(m): merged with the free remainder after it");
    value("merged_size", "%#zx", size_field(m) & ~(size_t)7);
    return 0;
}
