/*
 * chunks.c - the chunk header and its boundary tags, read from real chunks
 * (deck 10-chunks).
 *
 * Three blocks side by side; the middle one, too large for a fastbin, is freed.
 * Before and after, it prints what the headers hold: the size field with its
 * A|M|P bits, and the prev_size word of the chunk after the freed one, which free
 * writes so that the next free can find the start of this chunk.
 */
#include "experiment.h"

static void header(const char *prefix, void *mem)
{
    char key[64];
    size_t sz = size_field(mem);
    snprintf(key, sizeof key, "%s_chunk", prefix);
    value(key, "%#lx", (unsigned long)chunk_addr(mem));
    snprintf(key, sizeof key, "%s_size_field", prefix);
    value(key, "%#zx", sz);
    snprintf(key, sizeof key, "%s_size", prefix);
    value(key, "%#zx", sz & ~(size_t)7);
    snprintf(key, sizeof key, "%s_p", prefix);
    value(key, "%zu", sz & 1);
}

int main(int argc, char **argv)
{
    experiment_start(argc, argv);
    /* The lecture's allocator, before glibc 2.26's per-thread cache (deck 50-tcache):
       with the cache on, these frees and mallocs would not reach the arena at all. */
    arenalloc_set_tcache_count(0);
    void *a = xmalloc(24);
    void *b = xmalloc(200);
    void *c = xmalloc(24);
    value("a_mem", "%p", a);
    value("a_usable", "%zu", arenalloc_malloc_usable_size(a));
    header("a", a);
    header("b", b);
    header("c", c);
    dump_heap("before");

    arenalloc_free(b);
    header("c_after", c);
    value("c_prev_size_after", "%#zx", prev_size_field(c));
    value("b_fd_after", "%#zx", ((size_t *)b)[0]);
    dump_heap("after");

    /* The M bit: a request above the mmap threshold is a mapping of its own. */
    void *big = xmalloc(256 * 1024);
    header("big", big);
    value("big_offset_in_page", "%lu", (unsigned long)((uintptr_t)big % 4096));
    arenalloc_free(big);
    arenalloc_free(a);
    arenalloc_free(c);
    return 0;
}
