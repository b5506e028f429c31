/*
 * synth.c - arena-synth: synthetic workloads, written as traces.
 *
 *   arena-synth ramp|peak|plateau|sawtooth [--ops N] [--seed S] -o FILE
 *
 * The four shapes of live memory over time that Wilson and Johnstone found in
 * real programs ("The Memory Fragmentation Problem: Solved?", 1998), plus the
 * classic fragmentation maker:
 *
 *   ramp      live memory grows steadily (most objects live to the end, a
 *             quarter die young); everything is freed at the end
 *   peak      eight times: build up to a peak, then release nine tenths of
 *             what was built
 *   plateau   a fast rise to a level, then a long turnover at that level
 *   sawtooth  phases that allocate many objects, then free most of them but
 *             keep one in twenty, scattered between the freed ones: the
 *             survivors pin the holes, and each phase asks for larger sizes
 *
 * One thread; N records (1 to 10^9), give or take one (default 200000); the same seed gives
 * the same file.  Sizes: 70% 16-128 bytes, 22% 129-512, 6% up to 4 KiB, 2% 4-64 KiB.
 * Only malloc and free, so every other effect is the allocator's.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "trace_io.h"

struct synth {
    struct trace_writer w;
    uint64_t rng;
    uint64_t budget;        /* records to write in all */
    struct trace_array ids; /* uint64_t: the live ids */
};

/* splitmix64: tiny, and good enough to drive a workload. */
static uint64_t next_random(struct synth *s)
{
    uint64_t z = (s->rng += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static uint64_t below(struct synth *s, uint64_t n)
{
    return next_random(s) % n;
}

static uint64_t draw_size(struct synth *s, unsigned scale)
{
    uint64_t r = below(s, 100), size;
    if (r < 70) {
        size = 16 + below(s, 113);
    } else if (r < 92) {
        size = 129 + below(s, 384);
    } else if (r < 98) {
        size = 513 + below(s, 3584);
    } else {
        uint64_t base = (uint64_t)4096 << below(s, 4); /* 4, 8, 16 or 32 KiB ... */
        size = base + below(s, base);                 /* ... up to twice that */
    }
    return size * scale;
}

static size_t live_count(const struct synth *s)
{
    return s->ids.len;
}

/* The trace is full when what is live could only just be freed in time. */
static int done(const struct synth *s)
{
    return s->w.records + live_count(s) >= s->budget;
}

static void do_malloc(struct synth *s, unsigned scale)
{
    struct trace_record r = {.op = TRACE_MALLOC, .size = draw_size(s, scale)};
    *(uint64_t *)trace_array_push(&s->ids) = trace_put(&s->w, &r);
}

/* Frees the i-th live id; the last one takes its place. */
static void do_free(struct synth *s, size_t i)
{
    uint64_t *ids = (uint64_t *)s->ids.data;
    struct trace_record r = {.op = TRACE_FREE, .old_id = ids[i]};
    trace_put(&s->w, &r);
    ids[i] = ids[--s->ids.len];
}

/* Frees a random id among the live ids from `first` on. */
static void free_random(struct synth *s, size_t first)
{
    do_free(s, first + below(s, live_count(s) - first));
}

static void ramp(struct synth *s)
{
    while (!done(s)) {
        if (live_count(s) < 32 || below(s, 4) != 0)
            do_malloc(s, 1);
        else
            do_free(s, live_count(s) - 1 - below(s, 32)); /* one of the young */
    }
}

static void peak(struct synth *s)
{
    uint64_t phase_ops = s->budget / 8;
    while (!done(s)) {
        size_t base = live_count(s);
        uint64_t start = s->w.records;
        while (!done(s) && s->w.records - start < phase_ops * 7 / 10) {
            if (live_count(s) - base < 16 || below(s, 100) < 85)
                do_malloc(s, 1);
            else
                free_random(s, base);
        }
        size_t built = live_count(s) - base;
        while (!done(s) && live_count(s) - base > built / 10)
            free_random(s, base);
    }
}

static void plateau(struct synth *s)
{
    size_t level = (size_t)(s->budget / 6);
    while (!done(s) && live_count(s) < level)
        do_malloc(s, 1);
    while (!done(s)) {
        if (live_count(s) == 0 || below(s, 2) == 0)
            do_malloc(s, 1);
        else
            free_random(s, 0);
    }
}

static void sawtooth(struct synth *s)
{
    uint64_t per_phase = s->budget / 16;
    for (unsigned phase = 0; !done(s); phase++) {
        size_t base = live_count(s);
        for (uint64_t i = 0; i < per_phase && !done(s); i++)
            do_malloc(s, 1 + phase % 3);
        /* Survivors are chosen at random: the phase's ids in [base, kept)
           stay, the rest of [kept, end) go, picked at random. */
        size_t kept = base;
        while (!done(s) && live_count(s) > kept) {
            size_t i = kept + below(s, live_count(s) - kept);
            if (below(s, 20) == 0) {
                uint64_t *ids = (uint64_t *)s->ids.data, keep = ids[i];
                ids[i] = ids[kept];
                ids[kept++] = keep;
            } else {
                do_free(s, i);
            }
        }
    }
}

/* A billion records is a trace of about 4 GB: past that, a typo, not a workload. */
#define MAX_OPS 1000000000u

static int usage(void)
{
    fprintf(stderr, "usage: arena-synth ramp|peak|plateau|sawtooth [--ops N] [--seed S] -o FILE\n");
    return 2;
}

/* A decimal number from min to max.  strtoull alone would read "-5" as
   2^64 - 5, and a trace of that many records never ends. */
static int parse_number(const char *option, const char *text, uint64_t min, uint64_t max,
                        uint64_t *value)
{
    char *end;
    errno = 0;
    *value = strtoull(text, &end, 10);
    if (*text >= '0' && *text <= '9' && !*end && !errno && *value >= min && *value <= max)
        return 0;
    fprintf(stderr, "arena-synth: %s %s: expected a number from %" PRIu64 " to %" PRIu64 "\n",
            option, text, min, max);
    return -1;
}

static int write_trace(const char *pattern, void (*shape)(struct synth *), uint64_t ops,
                       uint64_t seed, const char *path)
{
    struct synth s = {.rng = seed, .budget = ops};
    char program[TRACE_PROGRAM_SIZE];
    int fd = trace_create(path);

    if (fd < 0)
        return 1;
    snprintf(program, sizeof program, "arena-synth %s", pattern);
    trace_array_init(&s.ids, sizeof(uint64_t));
    if (trace_write_header(fd, 0, program) < 0 || trace_writer_init(&s.w, fd, 64u << 10) < 0) {
        fprintf(stderr, "arena-synth: %s: %s\n", path, strerror(errno));
        return 1;
    }
    shape(&s);
    while (live_count(&s) > 0)
        free_random(&s, 0);
    if (trace_flush(&s.w) < 0 || close(fd) < 0) {
        fprintf(stderr, "arena-synth: %s: %s\n", path, strerror(s.w.error ? s.w.error : errno));
        return 1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    static const struct { const char *name; void (*shape)(struct synth *); } shapes[] = {
        {"ramp", ramp}, {"peak", peak}, {"plateau", plateau}, {"sawtooth", sawtooth},
    };
    uint64_t ops = 200000, seed = 1;
    const char *path = NULL;
    int chosen = -1;

    trace_progname = "arena-synth";
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--ops") == 0 && i + 1 < argc) {
            if (parse_number("--ops", argv[++i], 1, MAX_OPS, &ops) < 0)
                return 2;
        } else if (strcmp(argv[i], "--seed") == 0 && i + 1 < argc) {
            if (parse_number("--seed", argv[++i], 0, UINT64_MAX, &seed) < 0)
                return 2;
        } else if (strcmp(argv[i], "-o") == 0 && i + 1 < argc) {
            path = argv[++i];
        } else {
            int k = 0;
            while (k < 4 && strcmp(argv[i], shapes[k].name) != 0)
                k++;
            if (k == 4 || chosen >= 0)
                return usage();
            chosen = k;
        }
    }
    if (chosen < 0 || !path)
        return usage();
    return write_trace(shapes[chosen].name, shapes[chosen].shape, ops, seed, path);
}
