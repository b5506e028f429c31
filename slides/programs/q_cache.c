/*
 * q_cache.c - why can page-aligned mmapped blocks compete for the cache?
 * (deck 90-questions)
 *
 * Every mmapped chunk starts a page, so the first bytes of many such blocks sit
 * at the same offset in their pages, and map to the same few sets of the CPU's
 * caches (a set is chosen by the address bits just above the line offset).
 * Walk one cache line in each of BLOCKS blocks of 256 KiB, round after round:
 * "aligned" reads the same offset in every block (as the user pointers malloc
 * returned); "staggered" reads block i at offset i * 64, which spreads the same
 * number of lines over many sets.  Time per read, and the L1 data cache's read
 * misses from the kernel's counter where the machine allows (perf_event_open).
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

/* ns per read, and L1 misses per read (-1 when not countable). */
static void walk(size_t stagger, long rounds, int counter, double *ns, double *misses)
{
    volatile char sink = 0;
    struct timespec a, b;
    uint64_t count = 0;
    if (counter >= 0) {
        ioctl(counter, PERF_EVENT_IOC_RESET, 0);
        ioctl(counter, PERF_EVENT_IOC_ENABLE, 0);
    }
    clock_gettime(CLOCK_MONOTONIC, &a);
    for (long r = 0; r < rounds; r++)
        for (int i = 0; i < BLOCKS; i++)
            sink += blocks[i][(size_t)i * stagger];
    clock_gettime(CLOCK_MONOTONIC, &b);
    if (counter >= 0) {
        ioctl(counter, PERF_EVENT_IOC_DISABLE, 0);
        if (read(counter, &count, sizeof count) != sizeof count)
            counter = -1;
    }
    (void)sink;
    double reads = (double)rounds * BLOCKS;
    *ns = ((b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec)) / reads;
    *misses = counter >= 0 ? (double)count / reads : -1;
}

int main(int argc, char **argv)
{
    experiment_start(argc, argv);
    long rounds = short_mode ? 2000 : 100000;
    for (int i = 0; i < BLOCKS; i++) {
        blocks[i] = xmalloc(BLOCK_SIZE);
        memset(blocks[i], i, BLOCK_SIZE);
    }
    value("mapped", "%s", (size_field(blocks[0]) & 2) ? "yes" : "no");
    value("offset", "%lu", (unsigned long)((uintptr_t)blocks[0] % 4096));
    value("blocks", "%d", BLOCKS);
    value("reads", "%ld", rounds * BLOCKS);
    int counter = open_l1_misses();
    double ns_aligned, ns_staggered, miss_aligned, miss_staggered;
    walk(0, rounds / 10 + 1, counter, &ns_aligned, &miss_aligned); /* warm up */
    walk(0, rounds, counter, &ns_aligned, &miss_aligned);
    walk(64, rounds, counter, &ns_staggered, &miss_staggered);
    value("ns_aligned", "%.2f", ns_aligned);
    value("ns_staggered", "%.2f", ns_staggered);
    value("ratio", "%.1f", ns_aligned / ns_staggered);
    if (ns_aligned / ns_staggered >= 1.1)
        value("verdict", "The same number of lines, %.1f× slower when they share sets.", ns_aligned / ns_staggered);
    else
        value("verdict", "No slowdown was measurable in this run (%.1f×): this machine's caches held both walks.",
              ns_aligned / ns_staggered);
    if (counter >= 0 && miss_aligned >= 0) {
        value("misses_aligned", "%.2f per read", miss_aligned);
        value("misses_staggered", "%.2f per read", miss_staggered);
    } else {
        value("misses_aligned", "not countable here (%s)", strerror(errno));
        value("misses_staggered", "not countable here");
    }
    for (int i = 0; i < BLOCKS; i++)
        arenalloc_free(blocks[i]);
    return 0;
}
