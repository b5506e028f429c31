/*
 * fidelity SEED COUNT - address fidelity probe.
 *
 * Runs a seeded pseudo-random sequence of COUNT malloc/calloc/realloc/free
 * calls over a table of SLOTS pointers and prints, one line per operation,
 *
 *     index op size offset
 *
 * where offset is the returned (or freed) address minus the address of the
 * very first allocation, in signed hex ("NULL" when nothing was returned).
 * tests/fidelity/fidelity.sh runs it once on glibc 2.36 with the tcache off
 * (GLIBC_TUNABLES=glibc.malloc.tcache_count=0) and once with arenalloc
 * preloaded: identical output means the same chunks were chosen in the same
 * order, i.e. the same algorithm.
 *
 * Why the offsets are reproducible despite ASLR: every request is below the
 * 128 KiB mmap threshold, so everything lives in main_arena's brk heap. The
 * kernel randomises where brk starts, but always page-aligned, so glibc's
 * first sbrk needs no alignment correction and the whole heap layout
 * (including where the top chunk ends, which decides when sysmalloc and
 * malloc_consolidate run) is a fixed function of the call sequence.
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
    PHASE_LEN = 1500,        /* operations per grow/shrink phase */
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
};

struct slot {
    unsigned char *p;
    size_t size;
    unsigned char tag;  /* byte written at both ends, checked later */
};

/* Static, so bookkeeping never goes through the allocator under test. */
static struct record records[MAX_OPS];
static struct slot slots[SLOTS];
static unsigned live_count;
static unsigned long integrity_errors;
static uint64_t rng_state;
static unsigned style;

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
    unsigned r = (unsigned)rng_below(100);
    if (r == 0)
        return 0;
    if (style == 3)
        return log_uniform(1, LARGE_MAX);
    r = (unsigned)rng_below(100);
    if (r < mix[style][0])
        return 1 + (size_t)rng_below(FAST_MAX);
    if (r < mix[style][0] + mix[style][1])
        return FAST_MAX + 1 + (size_t)rng_below(SMALL_MAX - FAST_MAX);
    return log_uniform(SMALL_MAX + 1, LARGE_MAX);
}

/* A random slot that is empty (want_empty) or in use, scanning from a
 * random start; the caller guarantees one exists. */
static unsigned pick_slot(int want_empty)
{
    unsigned i = (unsigned)rng_below(SLOTS);
    while ((slots[i].p == NULL) != want_empty)
        i = (i + 1) % SLOTS;
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
        *op = OP_REALLOC_GROW;
        return grown > LARGE_MAX ? LARGE_MAX : grown;
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
    if (q && size && s->size)
        check_byte(q[0], s->tag);
    if (q == NULL && op == OP_REALLOC_ZERO)
        live_count--;    /* glibc freed it */
    if (q == NULL && op != OP_REALLOC_ZERO)
        return;          /* failed realloc: the old block stays valid */
    s->p = q;
    s->size = size;
    if (q)
        touch(s, tag);
}

/* Alternating phases push the live set up and down, so the heap grows,
 * fills holes, and empties again (top coalescing and trimming). */
static void run_sequence(unsigned long count)
{
    for (unsigned long i = 0; i < count; i++) {
        int growing = (i / PHASE_LEN) % 2 == 0;
        unsigned p_alloc = growing ? 70 : 25;
        int allocate = live_count == 0 ||
                       (live_count < SLOTS && rng_below(100) < p_alloc);
        unsigned char tag = (unsigned char)(i * 31 + 7);
        struct slot *s = &slots[pick_slot(allocate)];
        if (allocate)
            do_allocate(s, &records[i], tag);
        else
            do_release(s, &records[i], tag);
    }
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

static void print_results(unsigned long count, uintptr_t brk_at_main,
                          uintptr_t brk_at_end)
{
    uintptr_t base = records[0].addr;
    uintptr_t start_brk = read_start_brk();

    for (unsigned long i = 0; i < count; i++) {
        printf("%lu %s %lu ", i, op_names[records[i].op],
               (unsigned long)records[i].size);
        print_offset(records[i].addr, base);
    }
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
    char *end1 = NULL, *end2 = NULL;
    unsigned long long seed = argc == 3 ? strtoull(argv[1], &end1, 0) : 0;
    unsigned long count = argc == 3 ? strtoul(argv[2], &end2, 0) : 0;
    if (argc != 3 || *end1 || *end2 || count == 0 || count > MAX_OPS) {
        fprintf(stderr, "usage: %s SEED COUNT   (1 <= COUNT <= %d)\n",
                argv[0], MAX_OPS);
        return 2;
    }
    rng_state = seed;
    style = (unsigned)(seed % 4);

    uintptr_t brk_at_main = (uintptr_t)sbrk(0);
    run_sequence(count);
    uintptr_t brk_at_end = (uintptr_t)sbrk(0);

    printf("# fidelity seed %llu count %lu style %u\n", seed, count, style);
    print_results(count, brk_at_main, brk_at_end);
    return 0;
}
