/*
 * bench.c - arena-bench: the allocation patterns `make bench` times, one per
 * workload, through the plain malloc API, so the same binary measures whichever
 * allocator LD_PRELOAD puts first (arenalloc's drop-in library, jemalloc,
 * mimalloc, tcmalloc) or the system's glibc.
 *
 *   arena-bench WORKLOAD [--smoke | --scale N] [--seed S]
 *
 *   pair32      malloc(32) and free it at once, again and again: the cost of one
 *               call pair on the fastest path an allocator has
 *   small-fixed batches of 100 blocks of 32 bytes, allocated, then freed
 *   small-mixed the same with sizes 16 to 512 (a program's small objects)
 *   random-1t   glibc's bench-malloc-thread pattern: a working set of 1024 blocks
 *   random-2t   per thread, each step frees one at random and allocates a block
 *               of 4 to 32768 bytes, drawn with density 1/size^2 (most small,
 *               a few large); the main thread alone, then two threads
 *   larson-2t   a server: two threads, every object freed by the thread that did
 *               not allocate it (the work changes hands at each round)
 *   xmalloc-2t  producer and consumer: one thread allocates, the other frees
 *   realloc     2000 buffers grown by realloc in small steps, interleaved
 *
 * Every block carries a pattern derived from its identity, written when it is
 * allocated and checked before it is freed or resized: a wrong result (an
 * allocator handing out a block twice, realloc losing bytes) ends the run with
 * status 1.  The sum of the checked words is printed; it depends only on the
 * workload and seed, so every allocator must print the same one.
 *
 * stdout is one line of key=value pairs: workload, threads, ops (calls to the
 * allocator), time_s (the timed loop only), ns_per_op, checksum, peak_rss (bytes:
 * what the workload made resident, see "peak RSS" below) and maxrss_kb (the
 * process's peak resident set, as GNU time's %M reports it).
 * --smoke runs about a thousandth of the work, to check the results quickly;
 * --scale N runs N thousandths of it (1000 is the default), for a profiler
 * such as callgrind, which counts instructions the same on a busy machine.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

/* ---- shared helpers ----------------------------------------------------------------- */

static unsigned long scale = 1000; /* work units: 1000 normally, 1 with --smoke */
static uint64_t seed = 1;
static atomic_ulong failures;

/* xorshift64*: cheap, and the same sequence on every allocator. */
static inline uint64_t next_random(uint64_t *state)
{
    uint64_t x = *state;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *state = x;
    return x * 0x2545F4914F6CDD1DULL;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void *xmalloc(size_t n)
{
    void *p = malloc(n);
    if (p == NULL) {
        fprintf(stderr, "arena-bench: malloc(%zu) failed: %s\n", n, strerror(errno));
        exit(1);
    }
    return p;
}

/* ---- peak RSS ---------------------------------------------------------------------------- */

/* A workload's peak RSS is the most anonymous memory the process had resident
   while it ran, above what it had when main began: the heap and whatever else
   the allocator mapped for the workload, and the threads' stacks.  Not the
   process's peak resident set (%M, printed as maxrss_kb): that also counts file
   pages, the code of the program and of its libraries, which the kernel maps up
   to 64 KiB around each page touched, so that where ASLR puts the libraries
   moves %M of a 1.5 MiB process by a tenth, and a preloaded allocator's own
   library (its code, and its data written when it is loaded) adds the same to
   it whatever its heap does.  The replayer's peak RSS of a trace is the same
   quantity (bench/trace/replay.c, sampled from statm).

   The figure is sampled: PROBES times spread over each workload, by one thread,
   at moments when its blocks are all live (after a batch's mallocs, before its
   frees).  Each sample reads /proc/self/smaps_rollup, whose figures the kernel
   counts by walking the page tables (statm's are kept per thread and can be 64
   pages behind), and without calling malloc, which would put the probe's own
   buffers in the heap it measures.  The time the samples take is left out of
   time_s. */
enum { PROBES = 64 };
static long anon_base_kb = -1, anon_peak_kb = -1;
static double probe_s;

/* smaps_rollup's "Anonymous:" in KiB, or -1 when it cannot be read. */
static long anon_kb(void)
{
    char text[4096];
    int fd = open("/proc/self/smaps_rollup", O_RDONLY);
    if (fd < 0)
        return -1;
    ssize_t n = read(fd, text, sizeof text - 1);
    close(fd);
    if (n <= 0)
        return -1;
    text[n] = '\0';
    const char *line = strstr(text, "\nAnonymous:");
    return line == NULL ? -1 : strtol(line + strlen("\nAnonymous:"), NULL, 10);
}

static void probe_rss(void)
{
    double start = now_s();
    long kb = anon_kb();
    if (kb > anon_peak_kb)
        anon_peak_kb = kb;
    probe_s += now_s() - start;
}

/* A mask m such that (i & m) == 0 for about PROBES of the counts 0 .. n-1: one
   AND in the loop, where a division would cost more than some allocators' malloc. */
static uint64_t probe_mask(uint64_t n)
{
    uint64_t step = 1;
    while (step * 2 <= n / PROBES)
        step *= 2;
    return step - 1;
}

/* A block's pattern: its first and last word hold `tag` (one word, in a block
   of under 16 bytes), and so does the word in the middle of a large block.
   Blocks are at least 8 bytes. */
static inline void mark(void *p, size_t size, uint64_t tag)
{
    memcpy(p, &tag, 8);
    if (size >= 16)
        memcpy((char *)p + size - 8, &tag, 8);
    if (size >= 64)
        memcpy((char *)p + (size / 2 & ~(size_t)7), &tag, 8);
}

/* Checks what mark wrote; returns the tag, for the checksum. */
static inline uint64_t verify(const void *p, size_t size, uint64_t tag)
{
    uint64_t a, b = tag, c = tag;
    memcpy(&a, p, 8);
    if (size >= 16)
        memcpy(&b, (const char *)p + size - 8, 8);
    if (size >= 64)
        memcpy(&c, (const char *)p + (size / 2 & ~(size_t)7), 8);
    if (a != tag || b != tag || c != tag)
        atomic_fetch_add(&failures, 1);
    return tag;
}

static inline uint64_t tag_of(uint64_t who, uint64_t when) { return who * 0x9E3779B97F4A7C15ULL ^ when; }

/* What each workload reports. */
struct result {
    unsigned threads;
    uint64_t ops;
    uint64_t checksum;
};

/* ---- single thread, small blocks ------------------------------------------------------ */

static struct result pair32(void)
{
    uint64_t n = 20000ull * scale, sum = 0, mask = probe_mask(n);
    for (uint64_t i = 0; i < n; i++) {
        void *p = xmalloc(32);
        mark(p, 32, i);
        if ((i & mask) == 0)
            probe_rss();
        sum += verify(p, 32, i);
        free(p);
    }
    return (struct result){1, 2 * n, sum};
}

/* Batches of 100 blocks, sizes drawn from sizes[], freed in the order made. */
static struct result small_batches(const size_t *sizes, size_t nsizes)
{
    enum { BATCH = 100 };
    void *blocks[BATCH];
    size_t size[BATCH];
    uint64_t rounds = 100ull * scale, sum = 0, state = seed, mask = probe_mask(rounds);
    for (uint64_t r = 0; r < rounds; r++) {
        for (int i = 0; i < BATCH; i++) {
            size[i] = sizes[(next_random(&state) >> 32) % nsizes];
            blocks[i] = xmalloc(size[i]);
            mark(blocks[i], size[i], tag_of(r, (uint64_t)i));
        }
        if ((r & mask) == 0)
            probe_rss();
        for (int i = 0; i < BATCH; i++) {
            sum += verify(blocks[i], size[i], tag_of(r, (uint64_t)i));
            free(blocks[i]);
        }
    }
    return (struct result){1, 2 * rounds * BATCH, sum};
}

static struct result small_fixed(void) { return small_batches((const size_t[]){32}, 1); }

static struct result small_mixed(void)
{
    static const size_t sizes[] = {16, 24, 32, 48, 64, 80, 96, 128, 160, 256, 384, 512};
    return small_batches(sizes, sizeof sizes / sizeof sizes[0]);
}

/* ---- many threads: a shared driver -------------------------------------------------------- */

/* Each worker counts in its own cache line: two threads bumping counters in one
   line would bounce it between the cores on every call, and time that instead
   of the allocator (it made two-thread runs of every allocator swing 3x). */
struct worker {
    _Alignas(64) pthread_t thread;
    unsigned index;
    uint64_t ops, sum;
};

/* Runs body on `n` threads (index 0 .. n-1) and adds up what they report. */
static struct result run_threads(unsigned n, void *(*body)(void *))
{
    struct worker w[8];
    for (unsigned i = 0; i < n; i++) {
        w[i] = (struct worker){.index = i};
        if (pthread_create(&w[i].thread, NULL, body, &w[i]) != 0) {
            fprintf(stderr, "arena-bench: cannot create a thread\n");
            exit(1);
        }
    }
    struct result r = {n, 0, 0};
    for (unsigned i = 0; i < n; i++) {
        pthread_join(w[i].thread, NULL);
        r.ops += w[i].ops;
        r.checksum += w[i].sum;
    }
    return r;
}

/* ---- bench-malloc-thread: random sizes, 1024-block working set ------------------------------ */

enum { WORKING_SET = 1024, MIN_SIZE = 4, MAX_SIZE = 32768 };

/* A size in [MIN_SIZE, MAX_SIZE] with probability density proportional to
   1/size^2: the inverse of that distribution's CDF at a uniform u in [0, 1). */
static size_t inverse_square_size(uint64_t *state)
{
    double u = (double)(next_random(state) >> 11) * 0x1p-53;
    double inv = 1.0 / MIN_SIZE - u * (1.0 / MIN_SIZE - 1.0 / MAX_SIZE);
    size_t size = (size_t)(1.0 / inv);
    return size < 8 ? 8 : size; /* room for the pattern's word */
}

static void *random_sizes_thread(void *arg)
{
    struct worker *w = arg;
    void *block[WORKING_SET] = {0};
    size_t size[WORKING_SET];
    uint64_t tag[WORKING_SET];
    uint64_t state = seed * 7919 + w->index, steps = 5000ull * scale, mask = probe_mask(steps);
    for (uint64_t i = 0; i < steps; i++) {
        unsigned slot = (unsigned)(next_random(&state) >> 32) % WORKING_SET;
        if (block[slot] != NULL) {
            w->sum += verify(block[slot], size[slot], tag[slot]);
            free(block[slot]);
            w->ops++;
        }
        size[slot] = inverse_square_size(&state);
        tag[slot] = tag_of(w->index, i);
        block[slot] = xmalloc(size[slot]);
        mark(block[slot], size[slot], tag[slot]);
        w->ops++;
        if (w->index == 0 && (i & mask) == 0)
            probe_rss();
    }
    for (unsigned s = 0; s < WORKING_SET; s++) {
        if (block[s] != NULL) {
            w->sum += verify(block[s], size[s], tag[s]);
            free(block[s]);
            w->ops++;
        }
    }
    return NULL;
}

/* ---- larson: every object is freed by the other thread ------------------------------------ */

/* Two halves of slots, A and B.  In each round thread 0 works on one half and
   thread 1 on the other, and they swap at the barrier: each thread frees the
   objects the other one allocated in the round before, and puts new ones of
   its own in their place.  Both threads allocate and free at once, all the
   time, as a server whose requests are answered on another thread. */
enum { LARSON_SLOTS = 5000 };
static struct larson_slot {
    void *block;
    size_t size;
    uint64_t tag;
} larson_half[2][LARSON_SLOTS];
static pthread_barrier_t larson_barrier;
static uint64_t larson_rounds;

static void *larson_thread(void *arg)
{
    struct worker *w = arg;
    uint64_t state = seed * 104729 + w->index, mask = probe_mask(larson_rounds);
    for (uint64_t r = 0; r < larson_rounds; r++) {
        struct larson_slot *half = larson_half[(w->index + r) % 2];
        for (unsigned i = 0; i < LARSON_SLOTS; i++) {
            struct larson_slot *s = &half[i];
            if (s->block != NULL) {
                w->sum += verify(s->block, s->size, s->tag);
                free(s->block);
                w->ops++;
            }
            s->size = 16 + (next_random(&state) >> 32) % 113; /* 16 .. 128 */
            s->tag = tag_of(w->index, r * LARSON_SLOTS + i);
            s->block = xmalloc(s->size);
            mark(s->block, s->size, s->tag);
            w->ops++;
        }
        if (w->index == 0 && (r & mask) == 0)
            probe_rss();
        pthread_barrier_wait(&larson_barrier);
    }
    return NULL;
}

static struct result larson(void)
{
    larson_rounds = scale / 4 + 2;
    pthread_barrier_init(&larson_barrier, NULL, 2);
    struct result r = run_threads(2, larson_thread);
    for (int h = 0; h < 2; h++) {
        for (unsigned i = 0; i < LARSON_SLOTS; i++) {
            struct larson_slot *s = &larson_half[h][i];
            r.checksum += verify(s->block, s->size, s->tag);
            free(s->block);
            r.ops++;
        }
    }
    pthread_barrier_destroy(&larson_barrier);
    return r;
}

/* ---- xmalloc: one thread allocates, the other frees ---------------------------------------- */

/* A single-producer single-consumer ring of batches of blocks: the producer
   fills a batch and publishes it with one release store, the consumer takes it
   with one acquire load.  Batches keep the ring's traffic small beside the
   allocator's. */
enum { XM_BATCH = 64, XM_RING = 256 };
static struct xm_batch {
    void *block[XM_BATCH];
    size_t size[XM_BATCH];
} xm_ring[XM_RING];
static atomic_ulong xm_produced, xm_consumed;
static uint64_t xm_batches;

static void *xmalloc_thread(void *arg)
{
    struct worker *w = arg;
    uint64_t state = seed * 15485863, mask = probe_mask(xm_batches);
    for (uint64_t b = 0; b < xm_batches; b++) {
        struct xm_batch *batch = &xm_ring[b % XM_RING];
        if (w->index == 0) { /* the producer */
            while (b - atomic_load_explicit(&xm_consumed, memory_order_acquire) >= XM_RING)
                sched_yield();
            for (int i = 0; i < XM_BATCH; i++) {
                batch->size[i] = 16 + (next_random(&state) >> 32) % 241; /* 16 .. 256 */
                batch->block[i] = xmalloc(batch->size[i]);
                mark(batch->block[i], batch->size[i], tag_of(b, (uint64_t)i));
            }
            atomic_store_explicit(&xm_produced, b + 1, memory_order_release);
            if ((b & mask) == 0)
                probe_rss();
        } else { /* the consumer */
            while (atomic_load_explicit(&xm_produced, memory_order_acquire) <= b)
                sched_yield();
            for (int i = 0; i < XM_BATCH; i++) {
                w->sum += verify(batch->block[i], batch->size[i], tag_of(b, (uint64_t)i));
                free(batch->block[i]);
            }
            atomic_store_explicit(&xm_consumed, b + 1, memory_order_release);
        }
        w->ops += XM_BATCH;
    }
    return NULL;
}

static struct result xmalloc_pc(void)
{
    xm_batches = 20ull * scale;
    return run_threads(2, xmalloc_thread);
}

/* ---- realloc: buffers grown in small steps ---------------------------------------------------- */

/* Byte i of buffer k is a function of (k, i): after a move, every byte kept
   must still be there. */
static inline unsigned char realloc_byte(unsigned k, size_t i) { return (unsigned char)(k * 131 + i * 7); }

static struct result realloc_growth(void)
{
    enum { BUFFERS = 2000, LIMIT = 4096 };
    static unsigned char *buf[BUFFERS];
    static size_t len[BUFFERS];
    uint64_t rounds = scale / 200 + 1, ops = 0, sum = 0, state = seed;
    for (uint64_t r = 0; r < rounds; r++) {
        for (bool grown = true; grown;) {
            grown = false;
            for (unsigned k = 0; k < BUFFERS; k++) {
                if (len[k] >= LIMIT)
                    continue;
                size_t n = len[k] + 8 + (next_random(&state) >> 32) % 57;
                unsigned char *p = realloc(buf[k], n);
                if (p == NULL) {
                    fprintf(stderr, "arena-bench: realloc(%zu) failed\n", n);
                    exit(1);
                }
                /* Spot checks of what moved: its first and last byte. */
                if (len[k] > 0 && (p[0] != realloc_byte(k, 0) || p[len[k] - 1] != realloc_byte(k, len[k] - 1)))
                    atomic_fetch_add(&failures, 1);
                for (size_t i = len[k]; i < n; i++)
                    p[i] = realloc_byte(k, i);
                buf[k] = p;
                len[k] = n;
                ops++;
                grown = true;
            }
        }
        probe_rss(); /* every buffer at its longest */
        for (unsigned k = 0; k < BUFFERS; k++) { /* every byte, then free */
            for (size_t i = 0; i < len[k]; i++) {
                if (buf[k][i] != realloc_byte(k, i))
                    atomic_fetch_add(&failures, 1);
                sum += buf[k][i];
            }
            free(buf[k]);
            buf[k] = NULL;
            len[k] = 0;
            ops++;
        }
    }
    return (struct result){1, ops, sum};
}

/* ---- main --------------------------------------------------------------------------------- */

/* One thread is the main thread, as in glibc's bench-malloc-thread: its calls
   go to main_arena under every allocator's policy.  (A single created thread
   would get an arena of its own on glibc 2.36 but stay on main_arena under
   arenalloc's trylock policy, and the two heaps grow and trim differently.) */
static struct result random_1t(void)
{
    struct worker w = {.index = 0};
    random_sizes_thread(&w);
    return (struct result){1, w.ops, w.sum};
}
static struct result random_2t(void) { return run_threads(2, random_sizes_thread); }

static const struct {
    const char *name;
    struct result (*run)(void);
} workloads[] = {
    {"pair32", pair32},       {"small-fixed", small_fixed}, {"small-mixed", small_mixed},
    {"random-1t", random_1t}, {"random-2t", random_2t},     {"larson-2t", larson},
    {"xmalloc-2t", xmalloc_pc}, {"realloc", realloc_growth},
};

static void usage(void)
{
    fprintf(stderr, "usage: arena-bench WORKLOAD [--smoke | --scale N] [--seed S]\nworkloads:");
    for (size_t i = 0; i < sizeof workloads / sizeof workloads[0]; i++)
        fprintf(stderr, " %s", workloads[i].name);
    fprintf(stderr, "\n");
    exit(2);
}

int main(int argc, char **argv)
{
    anon_base_kb = anon_kb();
    if (argc < 2)
        usage();
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--smoke") == 0)
            scale = 1;
        else if (strcmp(argv[i], "--scale") == 0 && i + 1 < argc && (scale = strtoul(argv[++i], NULL, 10)) > 0)
            continue;
        else if (strcmp(argv[i], "--seed") == 0 && i + 1 < argc)
            seed = strtoull(argv[++i], NULL, 0) | 1;
        else
            usage();
    }
    for (size_t i = 0; i < sizeof workloads / sizeof workloads[0]; i++) {
        if (strcmp(argv[1], workloads[i].name) != 0)
            continue;
        double start = now_s();
        struct result r = workloads[i].run();
        double elapsed = now_s() - start - probe_s;
        probe_rss();
        if (anon_base_kb < 0 || anon_peak_kb < 0) {
            fprintf(stderr, "arena-bench: no Anonymous: line in /proc/self/smaps_rollup (Linux 4.14 and later have it)\n");
            return 1;
        }
        struct rusage ru;
        getrusage(RUSAGE_SELF, &ru);
        printf("workload=%s threads=%u ops=%llu time_s=%.4f ns_per_op=%.2f checksum=%016llx peak_rss=%ld "
               "maxrss_kb=%ld\n",
               workloads[i].name, r.threads, (unsigned long long)r.ops, elapsed, elapsed * 1e9 / (double)r.ops,
               (unsigned long long)r.checksum, (anon_peak_kb - anon_base_kb) * 1024, ru.ru_maxrss);
        unsigned long bad = atomic_load(&failures);
        if (bad != 0) {
            fprintf(stderr, "arena-bench: %s: %lu blocks did not hold what was written to them\n",
                    workloads[i].name, bad);
            return 1;
        }
        return 0;
    }
    usage();
}
