/*
 * q_thread_exit.c - is a thread arena's memory given back to the OS when its
 * thread exits?  (deck 90-questions)
 *
 * With an arena per thread (glibc 2.36's policy, so that each thread surely has
 * one), a first thread fills its arena with 1 KiB blocks and frees them all; a
 * second one does the same but leaves one block in 64 allocated, as a thread
 * that leaks would.  After each exit: resident memory, the memory the arenas
 * hold (mallinfo2's arena), which arena the thread had, and what
 * malloc_trim(0) gives back.  The second thread gets the first one's arena back
 * from the free list of arenas.
 */
#include <pthread.h>
#include <unistd.h>

#include "arena/heap.h"
#include "experiment.h"

enum { BLOCK = 1024, BLOCKS = 3 * 1024 };

static void *blocks[BLOCKS];
static int keep_every; /* 0: free all */
static void *arena_used;

static long rss_kib(void)
{
    long size, resident;
    FILE *f = fopen("/proc/self/statm", "r");
    if (f == NULL || fscanf(f, "%ld %ld", &size, &resident) != 2)
        die("/proc/self/statm");
    fclose(f);
    return resident * (sysconf(_SC_PAGESIZE) / 1024);
}

static void *fill_and_free(void *arg)
{
    (void)arg;
    for (int i = 0; i < BLOCKS; i++) {
        blocks[i] = xmalloc(BLOCK);
        memset(blocks[i], 1, BLOCK);
    }
    arena_used = arena_for_chunk(mem2chunk(blocks[0]));
    for (int i = BLOCKS - 1; i >= 0; i--)
        if (keep_every == 0 || i % keep_every != 0)
            arenalloc_free(blocks[i]);
    return NULL;
}

static void *run_thread(const char *name, int keep)
{
    char key[64];
    keep_every = keep;
    long before = rss_kib();
    pthread_t t;
    pthread_create(&t, NULL, fill_and_free, NULL);
    pthread_join(t, NULL);
    snprintf(key, sizeof key, "%s_rss_kib_after_exit", name);
    value(key, "%ld", rss_kib() - before);
    snprintf(key, sizeof key, "%s_arena_mem_kib", name);
    value(key, "%zu", arenalloc_mallinfo2().arena / 1024);
    snprintf(key, sizeof key, "%s_arena", name);
    value(key, "%p", arena_used);
    snprintf(key, sizeof key, "%s_trim", name);
    value(key, "%s", arenalloc_malloc_trim(0) ? "yes" : "no");
    snprintf(key, sizeof key, "%s_rss_kib_after_trim", name);
    value(key, "%ld", rss_kib() - before);
    snprintf(key, sizeof key, "%s_arena_mem_kib_after_trim", name);
    value(key, "%zu", arenalloc_mallinfo2().arena / 1024);
    snprintf(key, sizeof key, "%s.arena1", name);
    dump_heap(key);
    return arena_used;
}

int main(int argc, char **argv)
{
    experiment_start(argc, argv);
    arenalloc_set_arena_policy(ARENALLOC_POLICY_PER_THREAD);
    arenalloc_free(xmalloc(16)); /* main_arena's first chunks, before measuring */
    value("blocks", "%d", BLOCKS);
    value("mib", "%d", BLOCKS * BLOCK / (1024 * 1024));
    void *first = run_thread("freeing", 0);
    void *second = run_thread("leaking", 64);
    value("same_arena", "%s", first == second ? "yes" : "no");
    return 0;
}
