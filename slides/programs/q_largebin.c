/*
 * q_largebin.c - does dlmalloc's tree of large bins beat ptmalloc's sorted lists
 * on real programs?  (deck 90-questions)
 *
 * Replays the demo's real traces on arenalloc and, before every malloc or calloc
 * that a large bin would serve (chunk size 0x400 and up, below the mmap
 * threshold), walks that bin the way malloc_from_largebin does - from the
 * smallest size up the nextsize list until a size fits - counting the sizes it
 * visits.  dlmalloc keeps each large bin as a bitwise trie instead; a balanced
 * tree over the same d sizes needs about ceil(log2(d + 1)) visits, printed
 * beside it.  The bins are read just before the call, as they stand; the sorting
 * of the unsorted bin that the call does first, which walks the same lists to
 * insert, is not counted.  --short replays the first 300000 calls of each trace.
 * The traces (bench/workloads/ *.trace.xz) are unpacked into OUTDIR with xz and
 * removed after their replay.
 */
#include <math.h>
#include <sys/mman.h>

#include "bins/malloc_par.h"
#include "bench/trace/trace_io.h"
#include "bins/bin_index.h"
#include "experiment.h"



#define MAX_IDS ((size_t)1 << 27)

struct counts {
    uint64_t large, searches, list_steps, tree_steps, max_list, max_sizes, calls;
};

/* The search of malloc_from_largebin, counted instead of taken. */
static void count_search(INTERNAL_SIZE_T nb, struct counts *c)
{
    mbinptr bin = bin_at(&main_arena, largebin_index(nb));
    mchunkptr victim = first(bin);
    if (victim == bin || chunksize(victim) < nb)
        return;
    uint64_t sizes = 0, steps = 1;
    mchunkptr p = victim;
    do { /* the distinct sizes: the nextsize ring */
        sizes++;
        p = p->fd_nextsize;
    } while (p != victim);
    for (p = victim->bk_nextsize; chunksize(p) < nb; p = p->bk_nextsize)
        steps++;
    c->searches++;
    c->list_steps += steps;
    c->tree_steps += (uint64_t)ceil(log2((double)sizes + 1));
    if (steps > c->max_list)
        c->max_list = steps;
    if (sizes > c->max_sizes)
        c->max_sizes = sizes;
}

static void large_request(size_t bytes, struct counts *c)
{
    INTERNAL_SIZE_T nb = request2size(bytes);
    if (!in_smallbin_range(nb) && nb < mp_.mmap_threshold) {
        c->large++;
        count_search(nb, c);
    }
}

static void replay(const char *path, uint64_t limit, struct counts *c)
{
    void **ptrs = mmap(NULL, MAX_IDS * sizeof(void *), PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (ptrs == MAP_FAILED)
        die("mmap");
    struct trace_reader r;
    struct trace_record rec;
    if (trace_open(&r, path) < 0)
        exit(1);
    int status;
    while ((status = trace_next(&r, &rec)) > 0 && c->calls < limit) {
        c->calls++;
        if (rec.failed || rec.new_id >= MAX_IDS || rec.old_id >= MAX_IDS)
            continue;
        void *p = NULL;
        switch (rec.op) {
        case TRACE_MALLOC:
            large_request(rec.size, c);
            p = arenalloc_malloc(rec.size);
            break;
        case TRACE_CALLOC:
            large_request(rec.nmemb * rec.size, c);
            p = arenalloc_calloc(rec.nmemb, rec.size);
            break;
        case TRACE_REALLOC:
            p = arenalloc_realloc(ptrs[rec.old_id], rec.size);
            if (p != NULL || rec.size == 0) /* the old block is gone */
                ptrs[rec.old_id] = NULL;
            break;
        case TRACE_FREE:
            arenalloc_free(ptrs[rec.old_id]);
            ptrs[rec.old_id] = NULL;
            break;
        default: /* the aligned allocators */
            p = arenalloc_memalign(rec.alignment ? rec.alignment : 4096, rec.size);
            break;
        }
        if (rec.new_id != 0)
            ptrs[rec.new_id] = p;
    }
    if (status < 0)
        exit(1);
    const char *bad = arenalloc_check_heap(); /* counting read the bins: they must be sound */
    if (bad != NULL) {
        fprintf(stderr, "q_largebin: %s: heap check failed: %s\n", path, bad);
        exit(1);
    }
    /* Give everything back, so that the next trace starts from an empty heap. */
    for (uint64_t id = 1; id < r.next_id && id < MAX_IDS; id++)
        arenalloc_free(ptrs[id]);
    trace_close(&r);
    munmap(ptrs, MAX_IDS * sizeof(void *));
}

int main(int argc, char **argv)
{
    experiment_start(argc, argv);
    trace_progname = "q_largebin";
    static const char *const traces[] = {"sqlite3-table", "gcc-cc1", "python3-json-regex"};
    for (int i = 0; i < 3; i++) {
        char path[1024], cmd[2200], key[64];
        snprintf(path, sizeof path, "%s/%s.trace", outdir, traces[i]);
        snprintf(cmd, sizeof cmd, "xz -dc 'bench/workloads/%s.trace.xz' > '%s'", traces[i], path);
        if (system(cmd) != 0) {
            fprintf(stderr, "q_largebin: %s failed\n", cmd);
            return 1;
        }
        struct counts c = {0};
        replay(path, short_mode ? 300000 : UINT64_MAX, &c);
        remove(path);
        const char *k = i == 0 ? "sqlite" : i == 1 ? "gcc" : "python";
#define PUT(name, fmt, v) (snprintf(key, sizeof key, "%s_" name, k), value(key, fmt, v))
        PUT("calls", "%llu", (unsigned long long)c.calls);
        PUT("large", "%llu", (unsigned long long)c.large);
        PUT("searches", "%llu", (unsigned long long)c.searches);
        PUT("list_mean", "%.2f", c.searches ? (double)c.list_steps / (double)c.searches : 0.0);
        PUT("tree_mean", "%.2f", c.searches ? (double)c.tree_steps / (double)c.searches : 0.0);
        PUT("list_max", "%llu", (unsigned long long)c.max_list);
        PUT("sizes_max", "%llu", (unsigned long long)c.max_sizes);
#undef PUT
    }
    return 0;
}
