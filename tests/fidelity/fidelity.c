/*
 * fidelity SEED COUNT [THREADS] - address fidelity probe.
 *
 * Runs a seeded pseudo-random sequence of COUNT malloc/calloc/realloc/free
 * calls over a table of SLOTS pointers and prints, one line per operation,
 *
 *     index op size offset
 *
 * where offset is the returned (or freed) address minus the address of the
 * first allocation in the heap, in signed hex ("NULL" when nothing was returned), or
 * "mapped" for a chunk with a mapping of its own (see below).
 * Now and then the sequence frees 8 to 16 blocks of one tcache size in a
 * row, overflowing that bin of the per-thread cache.  THREADS threads then
 * run sequences of their own (COUNT / 4 operations each), printed as
 * "tN:index op size offset" relative to the thread's own first allocation.
 * tests/fidelity/fidelity.sh runs it on glibc 2.36 and with arenalloc
 * preloaded, with the tcache off (GLIBC_TUNABLES=glibc.malloc.tcache_count=0)
 * and with the defaults: identical output means the same chunks were chosen
 * in the same order, i.e. the same algorithm.
 *
 * Why the offsets are reproducible despite ASLR: every request but a few is
 * below the 128 KiB mmap threshold, so it lives in main_arena's brk heap. The
 * kernel randomises where brk starts, but always page-aligned, so glibc's
 * first sbrk needs no alignment correction and the whole heap layout
 * (including where the top chunk ends, which decides when sysmalloc and
 * malloc_consolidate run) is a fixed function of the call sequence.  The few
 * (one main-sequence request in 200) are of 128 KiB to 4 MiB: mapped at first,
 * at addresses the kernel randomises on its own, hence "mapped" in place of
 * their offset; freeing one raises the mmap threshold to its size, and from
 * then on such sizes come from the heap, with offsets like any other.
 *
 * What plain glibc allocates before our first malloc (measured on Debian 12,
 * glibc 2.36, with gdb breakpoints on libc's malloc/calloc/realloc and with
 * the start_brk line printed below): nothing before main. The dynamic loader
 * uses its own minimal allocator until libc is relocated, and neither it nor
 * libc's start-up code calls malloc for this program, so the heap does not
 * exist when main starts (sbrk(0) == start_brk). Nor does anything allocate
 * between our calls: glibc's first allocations of its own would be stdio
 * buffers, on first use of a FILE, and here that is only stdout, after the
 * sequence, because nothing is printed before it (the usage message goes to
 * stderr, which is unbuffered). So the program must not touch stdio, locale
 * or anything else that may allocate between two operations; all
 * bookkeeping is in static arrays.
 *
 * But inside our first call glibc allocates for itself, even with the
 * tcache off: the first malloc/calloc/realloc(NULL) of a thread runs
 * tcache_init, which carves the tcache_perthread_struct (a 640-byte
 * request, a 0x290 chunk, kept until the thread exits) from the arena
 * before serving the caller, whatever tcache_count says. So the heap starts with that chunk, the first
 * brk is ALIGN_UP(0x290 + top_pad 0x20000 + MINSIZE 0x20, 4096) = 0x21000
 * bytes, and our first allocation sits at start_brk + 0x2a0, not + 0x10.
 * The offsets printed here do not show that chunk, but the size of the top
 * chunk does: an allocator without it has 0x290 more top, so now and then
 * glibc runs malloc_consolidate (or sysmalloc) where the other still splits
 * top, and later addresses differ. The "brk-end" line (end of the heap,
 * relative to the first allocation) shows the difference in every run, so
 * it is compared too.
 *
 * The last lines are "integrity-errors N" (contents lost by realloc, calloc
 * memory not zeroed: must be 0) and "brk-end OFFSET". Lines starting with
 * '#' are informational (where the heap starts); the harness compares only
 * the other lines, and reports '#' differences as notes.
 */
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum {
    SLOTS = 512,             /* live pointers at most */
    MAX_OPS = 1000000,       /* size of the static result table */
    FAST_MAX = 120,          /* largest request served by a fastbin (64-bit) */
    SMALL_MAX = 1008,        /* largest request in a small bin */
    LARGE_MAX = 120 * 1024,  /* stays below the 128 KiB mmap threshold */
    HUGE_MIN = 128 * 1024,   /* the few requests at or above it */
    HUGE_MAX = 4 << 20,      /* far below the threshold's 32 MiB cap */
    PHASE_LEN = 1500,        /* operations per grow/shrink phase */
    TCACHE_MAX = 1032,       /* largest request the tcache holds (64-bit) */
    BURST_MIN = 8,           /* a burst frees more than a tcache bin holds (7) */
    BURST_MAX = 16,
    MAX_THREADS = 4,
    THREAD_SLOTS = 64,       /* a thread's live set stays far below one */
    THREAD_LARGE_MAX = 4096, /* arenalloc heap (1 MiB; glibc's is 64 MiB) */
};

enum op_kind {
    OP_MALLOC,
    OP_CALLOC,
    OP_REALLOC_NULL,   /* realloc(NULL, n): a malloc through realloc's path */
    OP_REALLOC_GROW,
    OP_REALLOC_SHRINK,
    OP_REALLOC_ZERO,   /* realloc(p, 0): glibc frees p and returns NULL */
    OP_FREE,
};

static const char *const op_names[] = {
    [OP_MALLOC] = "malloc",
    [OP_CALLOC] = "calloc",
    [OP_REALLOC_NULL] = "realloc-null",
    [OP_REALLOC_GROW] = "realloc-grow",
    [OP_REALLOC_SHRINK] = "realloc-shrink",
    [OP_REALLOC_ZERO] = "realloc-zero",
    [OP_FREE] = "free",
};

struct record {
    uintptr_t addr;    /* raw address; made relative when printing */
    uint32_t size;
    uint8_t op;
    uint8_t mapped;    /* a chunk with a mapping of its own */
};

struct slot {
    unsigned char *p;
    size_t size;
    unsigned char tag;  /* byte written at both ends, checked later */
    uint8_t mapped;
};

/* Static, so bookkeeping never goes through the allocator under test.  Each
 * thread has its own sequence: the state of one is thread-local (static TLS,
 * set up without malloc), the records of each in its own static table. */
static struct record main_records[MAX_OPS];
static struct record thread_records[MAX_THREADS][MAX_OPS / 4];
static _Thread_local struct record *records;
static _Thread_local struct slot slots[SLOTS];
static _Thread_local unsigned slot_limit;   /* slots this sequence may use */
static _Thread_local size_t large_max;      /* largest heap-sized request */
static _Thread_local size_t huge_max;       /* largest huge one; 0: none */
static _Thread_local unsigned live_count;
static _Thread_local unsigned long integrity_errors;
static _Thread_local uint64_t rng_state;
static _Thread_local unsigned style;

/* ---- deterministic randomness ------------------------------------------ */

/* splitmix64: tiny, good enough, and identical in every process (rand()
 * would be too, but its state is libc's and its quality poor). */
static uint64_t rng_next(void)
{
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static uint64_t rng_below(uint64_t n)
{
    return rng_next() % n;
}

static unsigned bit_length(uint64_t v)
{
    unsigned n = 0;
    while (v) {
        n++;
        v >>= 1;
    }
    return n;
}

/* Log-uniform in [lo, hi]: first a power of two uniformly, then a value
 * inside it, so 20-byte and 20-KiB requests are both common. Integer-only
 * because the test programs are linked without libm. */
static size_t log_uniform(size_t lo, size_t hi)
{
    unsigned lo_bits = bit_length(lo), hi_bits = bit_length(hi);
    unsigned bits = lo_bits + (unsigned)rng_below(hi_bits - lo_bits + 1);
    size_t base = bits ? (size_t)1 << (bits - 1) : 0;
    size_t v = base + (size_t)rng_below(base ? base : 1);
    if (v < lo)
        v = lo;
    if (v > hi)
        v = hi;
    return v;
}

/* ---- the sequence ------------------------------------------------------ */

/* One request size in the current style's mix (style = seed % 4):
 * 0 mostly fastbin sizes, 1 mostly small-bin sizes, 2 mostly large-bin
 * sizes, 3 log-uniform over everything. A few malloc(0) in every style. */
static size_t draw_size(void)
{
    static const unsigned mix[3][3] = {
        {80, 15, 5},   /* percent tiny, small, large */
        {10, 80, 10},
        {10, 20, 70},
    };
    if (huge_max != 0 && rng_below(200) == 0)
        return log_uniform(HUGE_MIN, huge_max);
    unsigned r = (unsigned)rng_below(100);
    if (r == 0)
        return 0;
    if (style == 3)
        return log_uniform(1, large_max);
    r = (unsigned)rng_below(100);
    if (r < mix[style][0])
        return 1 + (size_t)rng_below(FAST_MAX);
    if (r < mix[style][0] + mix[style][1])
        return FAST_MAX + 1 + (size_t)rng_below(SMALL_MAX - FAST_MAX);
    return log_uniform(SMALL_MAX + 1, large_max);
}

/* A random slot that is empty (want_empty) or in use, scanning from a
 * random start; the caller guarantees one exists. */
static unsigned pick_slot(int want_empty)
{
    unsigned i = (unsigned)rng_below(slot_limit);
    while ((slots[i].p == NULL) != want_empty)
        i = (i + 1) % slot_limit;
    return i;
}

/* Mark a fresh block so that realloc and free can check it kept its
 * contents, and so the compiler cannot drop the allocation. */
static void touch(struct slot *s, unsigned char tag)
{
    s->tag = tag;
    if (s->size) {
        s->p[0] = tag;
        s->p[s->size - 1] = tag;
    }
}

/* The IS_MMAPPED bit of the size word before p (x86-64: 8 bytes before). */
static uint8_t is_mapped(const void *p)
{
    size_t size_word = 0;
    if (p != NULL)
        memcpy(&size_word, (const char *)p - sizeof size_word, sizeof size_word);
    return (size_word & 2) != 0;
}

static void check_byte(unsigned char have, unsigned char want)
{
    if (have != want)
        integrity_errors++;
}

/* Fill an empty slot with malloc, calloc or realloc(NULL, n). */
static void do_allocate(struct slot *s, struct record *rec, unsigned char tag)
{
    size_t size = draw_size();
    unsigned r = (unsigned)rng_below(100);
    if (r < 60) {
        rec->op = OP_MALLOC;
        s->p = malloc(size);
    } else if (r < 85) {
        /* Vary the nmemb/size split: both must give the same chunk. */
        size_t n = size % 3 == 0 && size ? 3 : 1;
        rec->op = OP_CALLOC;
        s->p = calloc(n, size / n);
        size = size / n * n;
        if (s->p && size)
            check_byte((unsigned char)(s->p[0] | s->p[size - 1]), 0);
    } else {
        rec->op = OP_REALLOC_NULL;
        s->p = realloc(NULL, size);
    }
    rec->size = (uint32_t)size;
    rec->addr = (uintptr_t)s->p;
    rec->mapped = s->mapped = is_mapped(s->p);
    s->size = size;
    if (s->p) {
        live_count++;
        touch(s, tag);
    }
}

/* New size for a realloc of a block of old bytes: grow by a drawn amount,
 * shrink to a random fraction, or (rarely) zero. */
static size_t realloc_size(size_t old, enum op_kind *op)
{
    unsigned r = (unsigned)rng_below(100);
    if (r < 2) {
        *op = OP_REALLOC_ZERO;
        return 0;
    }
    if (r < 55 || old < 2) {
        size_t grown = old + 1 + draw_size();
        size_t cap = old > large_max ? huge_max : large_max;
        *op = OP_REALLOC_GROW;
        return grown > cap ? cap : grown;
    }
    /* Never shrink to 0 here: that is realloc-zero, a free. */
    size_t lo = old / 4 ? old / 4 : 1;
    *op = OP_REALLOC_SHRINK;
    return lo + (size_t)rng_below(old - lo);
}

/* Free or realloc the block in a used slot. */
static void do_release(struct slot *s, struct record *rec, unsigned char tag)
{
    if (s->size)
        check_byte(s->p[0], s->tag);
    if (rng_below(100) < 65) {
        if (s->size)
            check_byte(s->p[s->size - 1], s->tag);
        rec->op = OP_FREE;
        rec->size = (uint32_t)s->size;
        rec->addr = (uintptr_t)s->p;
        rec->mapped = s->mapped;
        free(s->p);
        s->p = NULL;
        live_count--;
        return;
    }
    enum op_kind op;
    size_t size = realloc_size(s->size, &op);
    unsigned char *q = realloc(s->p, size);
    rec->op = (uint8_t)op;
    rec->size = (uint32_t)size;
    rec->addr = (uintptr_t)q;
    rec->mapped = is_mapped(q);
    if (q && size && s->size)
        check_byte(q[0], s->tag);
    if (q == NULL && op == OP_REALLOC_ZERO)
        live_count--;    /* glibc freed it */
    if (q == NULL && op != OP_REALLOC_ZERO)
        return;          /* failed realloc: the old block stays valid */
    s->p = q;
    s->size = size;
    s->mapped = rec->mapped;
    if (q)
        touch(s, tag);
}

/* A burst: n blocks of one size the tcache holds, then every one freed,
 * so that a bin of the cache fills and the frees after the seventh reach
 * the arena's bins (and the next mallocs of that size stash them back).
 * Returns the operations recorded, at most room. */
static unsigned long burst(unsigned long first, unsigned long room)
{
    size_t size = 1 + (size_t)rng_below(TCACHE_MAX);
    unsigned n = BURST_MIN + (unsigned)rng_below(BURST_MAX - BURST_MIN + 1);
    unsigned picked[BURST_MAX];
    unsigned long done = 0;

    if (live_count + n > slot_limit || 2 * (unsigned long)n > room)
        return 0;
    for (unsigned k = 0; k < n; k++) {
        struct slot *s = &slots[picked[k] = pick_slot(1)];
        struct record *rec = &records[first + done++];
        s->size = size;
        s->p = malloc(size);
        rec->op = OP_MALLOC;
        rec->size = (uint32_t)size;
        rec->addr = (uintptr_t)s->p;
        if (s->p) {
            live_count++;
            touch(s, (unsigned char)(first + k));
        }
    }
    for (unsigned k = 0; k < n; k++) {
        struct slot *s = &slots[picked[k]];
        struct record *rec = &records[first + done++];
        rec->op = OP_FREE;
        rec->size = (uint32_t)s->size;
        rec->addr = (uintptr_t)s->p;
        if (s->p) {
            check_byte(s->p[0], s->tag);
            live_count--;
        }
        free(s->p);
        s->p = NULL;
    }
    return done;
}

/* Alternating phases push the live set up and down, so the heap grows,
 * fills holes, and empties again (top coalescing and trimming).  Now and
 * then a burst of frees of one tcache size overflows the cache. */
static void run_sequence_from(unsigned long i, unsigned long count)
{
    while (i < count) {
        if (rng_below(100) == 0) {
            unsigned long n = burst(i, count - i);
            if (n > 0) {
                i += n;
                continue;
            }
        }
        int growing = (i / PHASE_LEN) % 2 == 0;
        unsigned p_alloc = growing ? 70 : 25;
        int allocate = live_count == 0 ||
                       (live_count < slot_limit && rng_below(100) < p_alloc);
        unsigned char tag = (unsigned char)(i * 31 + 7);
        struct slot *s = &slots[pick_slot(allocate)];
        if (allocate)
            do_allocate(s, &records[i], tag);
        else
            do_release(s, &records[i], tag);
        i++;
    }
}

static void run_sequence(unsigned long count)
{
    run_sequence_from(0, count);
}

/* FIDELITY_STANDIN=BYTES: before its first recorded call, each sequence
 * allocates a block of BYTES that it never frees.  The 2.23 mode asks for the
 * size of glibc 2.36's cache structure (0x280), which arenalloc as glibc 2.23
 * does not allocate: the two heaps then start alike and must stay alike. */
static size_t standin_bytes;

static void take_standin(void)
{
    if (standin_bytes != 0 && malloc(standin_bytes) == NULL)
        abort();
}

/* Sets up the calling thread's sequence. */
static void start_sequence(uint64_t seed, struct record *table, unsigned nslots, size_t largest,
                           size_t huge)
{
    records = table;
    slot_limit = nslots;
    large_max = largest;
    huge_max = huge;
    rng_state = seed;
    style = (unsigned)(seed % 4);
}

/* ---- threads ----------------------------------------------------------- */

/* glibc 2.36 gives every new thread an arena of its own, and only that
 * thread allocates there, so a thread's addresses relative to its first
 * allocation are as reproducible as the main thread's, whatever the
 * threads' interleaving.  (arenalloc needs ARENALLOC_ARENA_POLICY=per-thread
 * for that, which fidelity.sh sets.) */
struct thread_job {
    pthread_t id;
    unsigned index;
    uint64_t seed;
    unsigned long count;
    unsigned long integrity_errors;
};

/* Which thread may make its first call: thread t waits for t - 1's, so the
 * threads take their arenas in a fixed order; and none goes on before all
 * have one, or a thread that started late would be given the arena of one
 * that had already finished and exited.  After that they run at once. */
static _Atomic unsigned first_call_turn;
static unsigned thread_total;

static void *thread_main(void *arg)
{
    struct thread_job *job = arg;
    start_sequence(job->seed, thread_records[job->index], THREAD_SLOTS, THREAD_LARGE_MAX, 0);
    while (first_call_turn != job->index)
        sched_yield();
    take_standin();
    run_sequence(1);
    first_call_turn = job->index + 1;
    while (first_call_turn != thread_total)
        sched_yield();
    run_sequence_from(1, job->count);
    job->integrity_errors = integrity_errors;
    /* The blocks still live stay: freeing them would only add operations
     * that are not recorded. */
    return NULL;
}

/* Runs n threads at once, each its own sequence of count operations. */
static int run_threads(struct thread_job *jobs, unsigned n, uint64_t seed, unsigned long count)
{
    thread_total = n;
    for (unsigned t = 0; t < n; t++) {
        jobs[t] = (struct thread_job){.index = t, .seed = seed * 1000 + t + 1, .count = count};
        if (pthread_create(&jobs[t].id, NULL, thread_main, &jobs[t]) != 0)
            return -1;
    }
    for (unsigned t = 0; t < n; t++)
        pthread_join(jobs[t].id, NULL);
    return 0;
}

/* ---- reporting (only after the sequence: stdio allocates) -------------- */

/* start_brk (field 47 of /proc/self/stat), read with plain syscalls.
 * Returns 0 if unavailable. */
static uintptr_t read_start_brk(void)
{
    static char buf[4096];
    int fd = open("/proc/self/stat", O_RDONLY);
    if (fd < 0)
        return 0;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return 0;
    buf[n] = '\0';
    /* comm (field 2) may hold spaces; count fields after its ')'. */
    char *p = strrchr(buf, ')');
    for (unsigned field = 2; p && field < 47; field++)
        p = strchr(p + 1, ' ');
    return p ? (uintptr_t)strtoull(p + 1, NULL, 10) : 0;
}

static void print_offset(uintptr_t addr, uintptr_t base)
{
    if (addr == 0) {
        fputs("NULL\n", stdout);
        return;
    }
    if (addr >= base)
        printf("+0x%llx\n", (unsigned long long)(addr - base));
    else
        printf("-0x%llx\n", (unsigned long long)(base - addr));
}

/* Where a sequence's offsets count from: its first allocation in the heap. */
static uintptr_t first_heap_address(const struct record *table, unsigned long count)
{
    for (unsigned long i = 0; i < count; i++)
        if (table[i].addr != 0 && !table[i].mapped)
            return table[i].addr;
    return 0;
}

/* One sequence's operations, relative to its first allocation in the heap. */
static void print_records(const char *prefix, const struct record *table, unsigned long count)
{
    uintptr_t base = first_heap_address(table, count);
    for (unsigned long i = 0; i < count; i++) {
        printf("%s%lu %s %lu ", prefix, i, op_names[table[i].op],
               (unsigned long)table[i].size);
        if (table[i].mapped)
            puts("mapped");
        else
            print_offset(table[i].addr, base);
    }
}

static void print_results(unsigned long count, uintptr_t brk_at_main,
                          uintptr_t brk_at_end)
{
    uintptr_t base = first_heap_address(records, count);
    uintptr_t start_brk = read_start_brk();

    print_records("", records, count);
    printf("integrity-errors %lu\n", integrity_errors);
    /* Where the heap ends says how sysmalloc grew it and systrim shrank it;
     * a top chunk of another size changes when malloc_consolidate runs, so
     * this is compared like an address (see the top of this file). */
    printf("brk-end ");
    print_offset(brk_at_end, base);
    if (start_brk) {
        printf("# heap used before main: 0x%llx bytes (sbrk(0) - start_brk)\n",
               (unsigned long long)(brk_at_main - start_brk));
        printf("# first allocation at start_brk %c 0x%llx\n",
               base >= start_brk ? '+' : '-',
               (unsigned long long)(base >= start_brk ? base - start_brk
                                                      : start_brk - base));
    }
}

int main(int argc, char **argv)
{
    /* Argument parsing uses only strtoul, which does not allocate. */
    char *end1 = NULL, *end2 = NULL, *end3 = NULL;
    int ok_args = argc == 3 || argc == 4;
    unsigned long long seed = ok_args ? strtoull(argv[1], &end1, 0) : 0;
    unsigned long count = ok_args ? strtoul(argv[2], &end2, 0) : 0;
    unsigned long nthreads = argc == 4 ? strtoul(argv[3], &end3, 0) : 0;
    if (!ok_args || *end1 || *end2 || (end3 && *end3) || count == 0 || count > MAX_OPS ||
        nthreads > MAX_THREADS) {
        fprintf(stderr, "usage: %s SEED COUNT [THREADS]   (1 <= COUNT <= %d, THREADS <= %d)\n",
                argv[0], MAX_OPS, MAX_THREADS);
        return 2;
    }
    start_sequence(seed, main_records, SLOTS, LARGE_MAX, HUGE_MAX);
    const char *standin = getenv("FIDELITY_STANDIN"); /* reads environ: no allocation */
    standin_bytes = standin != NULL ? strtoul(standin, NULL, 0) : 0;

    uintptr_t brk_at_main = (uintptr_t)sbrk(0);
    take_standin();
    run_sequence(count);
    uintptr_t brk_at_end = (uintptr_t)sbrk(0);

    /* Then the threads, each a quarter as long, in arenas of their own. */
    static struct thread_job jobs[MAX_THREADS];
    unsigned long thread_count = count / 4 ? count / 4 : 1;
    if (nthreads > 0 && run_threads(jobs, (unsigned)nthreads, seed, thread_count) != 0) {
        fprintf(stderr, "pthread_create failed\n");
        return 1;
    }

    printf("# fidelity seed %llu count %lu style %u threads %lu\n", seed, count, style, nthreads);
    print_results(count, brk_at_main, brk_at_end);
    for (unsigned t = 0; t < nthreads; t++) {
        char prefix[32];
        snprintf(prefix, sizeof prefix, "t%u:", t);
        print_records(prefix, thread_records[t], thread_count);
        printf("t%u:integrity-errors %lu\n", t, jobs[t].integrity_errors);
    }
    return 0;
}
