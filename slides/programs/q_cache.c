/*
 * q_cache.c - why can page-aligned mmapped blocks compete for the cache?
 * (deck 90-questions)
 *
 * Every mmapped chunk starts a page, so the first bytes of many such blocks sit
 * at the same offset in their pages, and map to the same few sets of the CPU's
 * caches (a set is chosen by the address bits just above the line offset).
 * Walk one cache line in each of BLOCKS blocks of 256 KiB, round after round,
 * each read giving the next one's address: "aligned" reads the same offset in
 * every block (as the user pointers malloc returned); "staggered" reads block i
 * at offset i * 64, which spreads the same number of lines over many sets.  Time per read, and the L1 data cache's read
 * misses from the kernel's counter where the machine allows (perf_event_open).
 * Each walk is timed five times, alternating, and the fastest kept.
 */
#include <linux/perf_event.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "experiment.h"

enum { BLOCKS = 64, BLOCK_SIZE = 256 * 1024 };

static char *blocks[BLOCKS];

static int open_l1_misses(void)
{
    struct perf_event_attr attr;
    memset(&attr, 0, sizeof attr);
    attr.size = sizeof attr;
    attr.type = PERF_TYPE_HW_CACHE;
    attr.config = PERF_COUNT_HW_CACHE_L1D | (PERF_COUNT_HW_CACHE_OP_READ << 8) |
                  (PERF_COUNT_HW_CACHE_RESULT_MISS << 16);
    attr.disabled = 1;
    attr.exclude_kernel = 1;
    attr.exclude_hv = 1;
    return (int)syscall(SYS_perf_event_open, &attr, 0, -1, -1, 0);
}

/* ns per read, and L1 misses per read (-1 when not countable).  Each read
   loads the address of the next one (a ring through one line of every block),
   so the reads cannot overlap and each pays the full latency of wherever its
   line is: a cache miss cannot hide behind the next read. */
static void walk(size_t stagger, long rounds, int counter, double *ns, double *misses)
{
    for (int i = 0; i < BLOCKS; i++)
        *(char **)(blocks[i] + (size_t)i * stagger) = blocks[(i + 1) % BLOCKS] + (size_t)((i + 1) % BLOCKS) * stagger;
    char *volatile end;
    char *p = blocks[0];
    struct timespec a, b;
    uint64_t count = 0;
    if (counter >= 0) {
        ioctl(counter, PERF_EVENT_IOC_RESET, 0);
        ioctl(counter, PERF_EVENT_IOC_ENABLE, 0);
    }
    clock_gettime(CLOCK_MONOTONIC, &a);
    for (long r = 0; r < rounds * BLOCKS; r++)
        p = *(char **)p;
    clock_gettime(CLOCK_MONOTONIC, &b);
    end = p;
    (void)end;
    if (counter >= 0) {
        ioctl(counter, PERF_EVENT_IOC_DISABLE, 0);
        if (read(counter, &count, sizeof count) != sizeof count)
            counter = -1;
    }
    double reads = (double)rounds * BLOCKS;
    *ns = ((b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec)) / reads;
    *misses = counter >= 0 ? (double)count / reads : -1;
}

int main(int argc, char **argv)
{
    experiment_start(argc, argv);
    long rounds = short_mode ? 2000 : 40000;
    for (int i = 0; i < BLOCKS; i++) {
        blocks[i] = xmalloc(BLOCK_SIZE);
        memset(blocks[i], i, BLOCK_SIZE);
    }
    value("mapped", "%s", (size_field(blocks[0]) & 2) ? "yes" : "no");
    value("offset", "%lu", (unsigned long)((uintptr_t)blocks[0] % 4096));
    value("blocks", "%d", BLOCKS);
    value("reads", "%ld", rounds * BLOCKS);
    int counter = open_l1_misses();
    int counter_errno = errno;
    double ns_aligned, ns_staggered, miss_aligned = -1, miss_staggered = -1;
    walk(0, rounds / 10 + 1, counter, &ns_aligned, &miss_aligned); /* warm up */
    /* Alternating runs, the fastest of each kept: other processes on a shared
       machine only ever add time. */
    ns_aligned = ns_staggered = 1e30;
    for (int run = 0; run < 5; run++) {
        double ns, miss;
        walk(0, rounds, counter, &ns, &miss);
        if (ns < ns_aligned)
            ns_aligned = ns, miss_aligned = miss;
        walk(64, rounds, counter, &ns, &miss);
        if (ns < ns_staggered)
            ns_staggered = ns, miss_staggered = miss;
    }
    value("ns_aligned", "%.2f", ns_aligned);
    value("ns_staggered", "%.2f", ns_staggered);
    value("ratio", "%.1f", ns_aligned / ns_staggered);
    if (ns_aligned / ns_staggered >= 1.1)
        value("verdict", "The same number of lines, %.1f× slower when they share sets.", ns_aligned / ns_staggered);
    else
        value("verdict", "No slowdown was measurable in this run (%.1f×) on this machine.", ns_aligned / ns_staggered);
    if (counter >= 0 && miss_aligned >= 0) {
        value("misses_aligned", "%.2f per read", miss_aligned);
        value("misses_staggered", "%.2f per read", miss_staggered);
    } else {
        const char *why = counter_errno == ENOENT                             ? "no such counter on this machine"
                          : counter_errno == EACCES || counter_errno == EPERM ? "counters not permitted here"
                                                                              : strerror(counter_errno);
        value("misses_aligned", "not counted: %s", why);
        value("misses_staggered", "not counted");
    }
    for (int i = 0; i < BLOCKS; i++)
        arenalloc_free(blocks[i]);
    return 0;
}
