/*
 * arenas.c - arenas and threads, following the lecture (deck 30-arenas).
 *
 *   1. one lock, and why it hurts: two threads malloc and free as fast as they
 *      can, first sharing one arena (M_ARENA_MAX=1), then with an arena each
 *      (the per-thread policy); each in a child process of its own, because
 *      the arena settings hold for a whole process; three runs each, alternating,
 *      the fastest kept;
 *   2. trylock: two threads allocate until one finds main_arena locked and
 *      moves to a new arena (the tour's contention step), dumped;
 *   3. free finds that chunk's arena by masking its address with
 *      ~(HEAP_MAX_SIZE-1); every thread heap is HEAP_MAX_SIZE-aligned.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "arena/heap.h"
#include "experiment.h"

static long rounds;

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

static void *churn(void *arg)
{
    double *cpu = arg; /* this thread's CPU time, for how parallel the run was */
    void *keep[16] = {0};
    for (long i = 0; i < rounds; i++) {
        int k = (int)(i & 15);
        arenalloc_free(keep[k]);
        keep[k] = xmalloc(32 + (size_t)(i % 7) * 16);
    }
    for (int k = 0; k < 16; k++)
        arenalloc_free(keep[k]);
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    *cpu = t.tv_sec + t.tv_nsec / 1e9;
    return NULL;
}

/* ns per malloc+free pair with two threads, in a child set up by `setup`;
   *parallel is the threads' CPU time over the wall time (2 when they ran side by
   side throughout, 1 when they took turns). */
static double two_threads(void (*setup)(void), double *parallel)
{
    int fds[2];
    if (pipe(fds) != 0)
        die("pipe");
    pid_t pid = fork();
    if (pid == 0) {
        setup();
        pthread_t t[2];
        double cpu[2] = {0, 0};
        double start = now();
        for (int i = 0; i < 2; i++)
            pthread_create(&t[i], NULL, churn, &cpu[i]);
        for (int i = 0; i < 2; i++)
            pthread_join(t[i], NULL);
        double wall = now() - start;
        double r[2] = {wall * 1e9 / (double)rounds, (cpu[0] + cpu[1]) / wall};
        _exit(write(fds[1], r, sizeof r) == sizeof r ? 0 : 1);
    }
    double r[2];
    if (read(fds[0], r, sizeof r) != sizeof r)
        die("child");
    double ns = r[0];
    *parallel = r[1];
    waitpid(pid, NULL, 0);
    close(fds[0]);
    close(fds[1]);
    return ns;
}

static void one_arena(void) { arenalloc_mallopt(M_ARENA_MAX, 1); }
static void arena_each(void) { arenalloc_set_arena_policy(ARENALLOC_POLICY_PER_THREAD); }

/* ---- 2: trylock moves a thread to a new arena ---------------------------------- */

static void *_Atomic moved;
static time_t deadline;

static void *allocate_until_moved(void *arg)
{
    (void)arg;
    while (atomic_load(&moved) == NULL && time(NULL) < deadline) {
        void *p = xmalloc(48);
        if (size_field(p) & 4) { /* NON_MAIN_ARENA */
            atomic_store(&moved, p);
            break;
        }
        arenalloc_free(p);
    }
    return NULL;
}

int main(int argc, char **argv)
{
    experiment_start(argc, argv);
    /* The lecture's allocator, before glibc 2.26's per-thread cache (deck 50-tcache):
       with the cache on, these frees and mallocs would not reach the arena at all. */
    arenalloc_set_tcache_count(0);
    rounds = short_mode ? 100000 : 1000000;
    /* Alternating runs, the fastest of each kept: other processes on a shared
       machine only ever add time. */
    double shared = 1e30, own = 1e30, parallel = 0, par;
    for (int run = 0; run < 3; run++) {
        double ns = two_threads(one_arena, &par);
        shared = ns < shared ? ns : shared;
        ns = two_threads(arena_each, &par);
        if (ns < own)
            own = ns, parallel = par;
    }
    value("pairs", "%ld", rounds);
    value("ns_shared", "%.1f", shared);
    value("ns_own", "%.1f", own);
    value("ratio", "%.1f", shared / own);
    value("cpus", "%ld", sysconf(_SC_NPROCESSORS_ONLN));
    value("parallel", "%.1f", parallel);
    /* The measurement decides the sentence: on a busy machine the two threads
       may seldom run at the same moment, and then there is nothing to wait for. */
    if (shared / own >= 1.1)
        value("verdict", "Sharing cost %.1f× here: the threads waited for each other, and the lock's cache line "
              "moved between the cores.", shared / own);
    else
        value("verdict", "No cost was measurable in this run (%.1f×). The threads' CPU time was %.1f× the wall "
              "time with an arena each (2 would mean side by side throughout): on this machine's %ld busy "
              "cores they mostly took turns, and threads that take turns never find the lock taken.",
              shared / own, parallel, sysconf(_SC_NPROCESSORS_ONLN));

    void *first = xmalloc(24);
    value("main_chunk", "%#lx", (unsigned long)chunk_addr(first));
    value("main_size_field", "%#zx", size_field(first));
    pthread_t t;
    deadline = time(NULL) + 20;
    pthread_create(&t, NULL, allocate_until_moved, NULL);
    allocate_until_moved(NULL);
    pthread_join(t, NULL);
    void *p = atomic_load(&moved);
    if (p == NULL) {
        fprintf(stderr, "arenas: the two threads never collided in 20 s\n");
        return 1;
    }
    dump_heap("contention.arena1");
    uintptr_t c = chunk_addr(p);
    heap_info *h = heap_for_ptr(mem2chunk(p));
    value("moved_chunk", "%#lx", (unsigned long)c);
    value("moved_size_field", "%#zx", size_field(p));
    value("heap_max", "%#zx", heap_max_size());
    value("mask", "%#lx", (unsigned long)~((uintptr_t)heap_max_size() - 1));
    value("heap", "%#lx", (unsigned long)h);
    value("heap_arena", "%p", (void *)h->ar_ptr);
    value("heap_size", "%#zx", h->size);
    value("heap_offset", "%#lx", (unsigned long)(c - (uintptr_t)h));
    arenalloc_free(p);
    arenalloc_free(first);
    return 0;
}
