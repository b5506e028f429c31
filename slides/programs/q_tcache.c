/*
 * q_tcache.c - what do per-thread structures buy?  (deck 90-questions)
 *
 * The per-thread cache on (tcache_count 7, glibc's default) and off (0), the same
 * work for both: each thread keeps 256 blocks of 16 to 1024 bytes live and, step
 * after step, frees a random one and allocates another of a random size in its
 * place.  Timed per malloc/free pair with one thread and with two (default arena
 * policy: they share main_arena until they collide), and the footprint at the
 * end: the memory the arenas hold from the OS, and how much of what they count as
 * in use the program does not hold (the caches' chunks).  Every run is a child
 * process of its own, so one run's heap does not shape the next; on and off
 * alternate, and each figure is the median of the runs.
 */
#include <pthread.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "experiment.h"

enum { SLOTS = 256, MAX_THREADS = 2 };

static long pairs; /* per thread */

struct result {
    double ns_per_pair;
    size_t system_kib;   /* mallinfo2: arena + hblkhd */
    size_t unheld_kib;   /* in use by the allocator's count, not held by the program */
};

struct worker {
    pthread_t thread;
    unsigned seed;
    size_t live_bytes; /* the program's own total, at the end */
    double began, ended;
    void *slot[SLOTS];
    size_t size[SLOTS];
};

static pthread_barrier_t start, done, leave;

static unsigned next_rand(unsigned *s)
{
    *s = *s * 1103515245u + 12345u;
    return *s >> 8;
}

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void *work(void *arg)
{
    struct worker *w = arg;
    for (int i = 0; i < SLOTS; i++) {
        w->size[i] = 16 + next_rand(&w->seed) % 1009;
        w->slot[i] = xmalloc(w->size[i]);
    }
    pthread_barrier_wait(&start);
    w->began = now();
    for (long n = 0; n < pairs; n++) {
        unsigned r = next_rand(&w->seed);
        int i = (int)(r % SLOTS);
        arenalloc_free(w->slot[i]);
        w->size[i] = 16 + (r >> 8) % 1009;
        w->slot[i] = xmalloc(w->size[i]);
        *(char *)w->slot[i] = 1;
    }
    w->ended = now();
    w->live_bytes = 0;
    for (int i = 0; i < SLOTS; i++)
        w->live_bytes += w->size[i];
    pthread_barrier_wait(&done);
    pthread_barrier_wait(&leave); /* the main thread reads the footprint first */
    return NULL;
}

/* One run, in the child: `threads` workers with the cache set to `count`.  One
   worker is the main thread itself, so that the process is single-threaded (and
   takes no arena lock, as glibc's SINGLE_THREAD_P); two are threads of their own,
   parked after their work while the footprint is read (their exit would empty
   their caches). */
static struct result run(int threads, size_t count)
{
    arenalloc_set_tcache_count(count);
    struct worker w[MAX_THREADS] = {0};
    unsigned parties = threads == 1 ? 1 : (unsigned)threads + 1;
    pthread_barrier_init(&start, NULL, (unsigned)threads);
    pthread_barrier_init(&done, NULL, parties);
    pthread_barrier_init(&leave, NULL, parties);
    for (int t = 0; t < threads; t++)
        w[t].seed = 12345u + (unsigned)t;
    if (threads == 1)
        work(&w[0]);
    else
        for (int t = 0; t < threads; t++)
            pthread_create(&w[t].thread, NULL, work, &w[t]);
    if (threads > 1)
        pthread_barrier_wait(&done);
    struct mallinfo2 mi = arenalloc_mallinfo2();
    size_t live = 0;
    double began = w[0].began, ended = w[0].ended;
    for (int t = 0; t < threads; t++) {
        live += w[t].live_bytes;
        began = w[t].began < began ? w[t].began : began;
        ended = w[t].ended > ended ? w[t].ended : ended;
    }
    if (threads > 1) {
        pthread_barrier_wait(&leave);
        for (int t = 0; t < threads; t++)
            pthread_join(w[t].thread, NULL);
    }
    /* Wall time over the pairs one thread made: with two threads at once, the
       time a pair takes as the program sees it. */
    size_t used = mi.uordblks + mi.hblkhd;
    struct result r = {(ended - began) * 1e9 / (double)pairs, (mi.arena + mi.hblkhd) / 1024,
                       (used > live ? used - live : 0) / 1024};
    return r;
}

/* Runs `run` in a child process and reads its result back through a pipe. */
static struct result in_child(int threads, size_t count)
{
    int fd[2];
    struct result r;
    if (pipe(fd) != 0)
        die("pipe");
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0)
        die("fork");
    if (pid == 0) {
        close(fd[0]);
        r = run(threads, count);
        _exit(write(fd[1], &r, sizeof r) == sizeof r ? 0 : 1);
    }
    close(fd[1]);
    ssize_t n = read(fd[0], &r, sizeof r);
    close(fd[0]);
    int status;
    waitpid(pid, &status, 0);
    if (n != sizeof r || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fprintf(stderr, "q_tcache: a run failed\n");
        exit(1);
    }
    return r;
}

static int by_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, by_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

enum { MAX_REPS = 7 };

struct medians {
    double speedup, system_kib[2], unheld_kib[2]; /* [0] off, [1] on */
};

/* reps runs each with the cache on and off, alternating; medians printed. */
static struct medians compare(const char *name, int threads, int reps)
{
    struct medians out;
    double ns[2][MAX_REPS], sys[2][MAX_REPS], unheld[2][MAX_REPS];
    for (int i = 0; i < reps; i++)
        for (int on = 0; on < 2; on++) {
            struct result r = in_child(threads, on ? 7 : 0);
            ns[on][i] = r.ns_per_pair;
            sys[on][i] = (double)r.system_kib;
            unheld[on][i] = (double)r.unheld_kib;
        }
    char key[64];
    double m[2];
    for (int on = 0; on < 2; on++) {
        const char *mode = on ? "on" : "off";
        m[on] = median(ns[on], reps);
        snprintf(key, sizeof key, "%s_ns_%s", name, mode);
        value(key, "%.1f", m[on]);
        snprintf(key, sizeof key, "%s_system_kib_%s", name, mode);
        out.system_kib[on] = median(sys[on], reps);
        value(key, "%.0f", out.system_kib[on]);
        snprintf(key, sizeof key, "%s_unheld_kib_%s", name, mode);
        out.unheld_kib[on] = median(unheld[on], reps);
        value(key, "%.0f", out.unheld_kib[on]);
    }
    out.speedup = m[0] / m[1];
    snprintf(key, sizeof key, "%s_speedup", name);
    value(key, "%.2f", out.speedup);
    return out;
}

/* The slide's sentence, from what was measured. */
static void verdict(struct medians t1, struct medians t2)
{
    char time[160], memory[200];
    if (t1.speedup >= 1.1 && t2.speedup >= 1.1)
        snprintf(time, sizeof time, "The cache made a pair %.1f× faster alone and %.1f× faster with two threads.",
                 t1.speedup, t2.speedup);
    else
        snprintf(time, sizeof time, "The cache did not make a pair clearly faster here (%.2f× alone, %.2f× with two threads).",
                 t1.speedup, t2.speedup);
    double more = t2.system_kib[1] - t2.system_kib[0];
    if (more > 0)
        snprintf(memory, sizeof memory,
                 "The price is memory: the two threads' caches held %.0f KiB of freed chunks no other thread could use, "
                 "and the arenas took %.0f KiB more from the OS.",
                 t2.unheld_kib[1] - t2.unheld_kib[0], more);
    else
        snprintf(memory, sizeof memory, "The caches held %.0f KiB of freed chunks, and the arenas took no more from the OS.",
                 t2.unheld_kib[1] - t2.unheld_kib[0]);
    value("verdict", "%s %s", time, memory);
}

int main(int argc, char **argv)
{
    experiment_start(argc, argv);
    pairs = short_mode ? 200000 : 2000000;
    int reps = short_mode ? 3 : 5;
    value("pairs", "%ld", pairs);
    value("reps", "%d", reps);
    value("slots", "%d", SLOTS);
    struct medians t1 = compare("t1", 1, reps);
    struct medians t2 = compare("t2", 2, reps);
    verdict(t1, t2);
    return 0;
}
