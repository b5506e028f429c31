/*
 * tour.c - a guided walk through the classic lessons of glibc's malloc, on
 * arenalloc's prefixed build, printing the heap after every step.
 *
 *   build/tools/arena-tour [OUTDIR]
 *
 * Each step makes a few calls, says in a sentence or two what to look for, and
 * prints the heap (arenalloc_dump, text).  It also writes the heap as JSON to
 * OUTDIR/step-NNN.json (default build/tour), which `make tour` turns into
 * pictures with tools/heapviz.  Read this file beside the output: every step is
 * one function, in the order of the tour.
 *
 * It also records its calls as a trace, OUTDIR/tour.trace, and where each
 * lesson starts in it, OUTDIR/lessons.tsv, from which `make stepper` builds a
 * page per lesson (arena-step --lessons; tools/stepper).  The threads of the
 * thread lessons take turns, so a replay of the same calls in the same order,
 * on threads of its own and under the policy lessons.tsv names, finds each
 * thread on the arena it had here.
 *
 * The tour peeks at internals to show them: mp_ (the mmap threshold),
 * heap_for_ptr (how free() finds a thread arena's chunk's arena) and
 * main_arena's lock (held while a thread makes its first call).
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "arena/heap.h"
#include "bench/trace/trace_io.h"
#include "include/arenalloc.h"

static const char *outdir = "build/tour";
static int step;

/* ---- the tour as a trace, for the stepper ---------------------------------------- */

#define MAX_LESSONS 16
#define MAX_LIVE 256

static struct trace_writer writer;
static uint64_t calls;                 /* calls recorded so far */
static struct {
    void *ptr;
    uint64_t id;
} live[MAX_LIVE];                      /* the recorded blocks not yet freed */
static struct {
    const char *title, *explanation;
    uint64_t first_call;
    long tcache_count;                 /* at the lesson's first call; -1 before it */
    int arena_policy;                  /* ARENALLOC_POLICY_* a replay runs the lesson with */
} lessons[MAX_LESSONS];
static int replay_policy = ARENALLOC_POLICY_TRYLOCK; /* the policy a replay needs (second_arena) */
static _Thread_local uint32_t trace_thread;          /* this thread's number in the trace */

static void record(unsigned op, size_t size, uint64_t old_id, void *p)
{
    if (lessons[step].tcache_count < 0) {
        lessons[step].tcache_count = (long)mp_.tcache_count;
        lessons[step].arena_policy = replay_policy;
    }
    struct trace_record r = {.op = op, .size = size, .old_id = old_id, .thread = trace_thread};
    uint64_t id = trace_put(&writer, &r);
    calls++;
    for (int i = 0; id != 0 && i < MAX_LIVE; i++)
        if (live[i].ptr == NULL) {
            live[i].ptr = p, live[i].id = id;
            return;
        }
}

/* The id of a recorded block, forgotten; 0 for a block made off the record. */
static uint64_t take_id(void *p)
{
    for (int i = 0; i < MAX_LIVE; i++)
        if (live[i].ptr == p) {
            live[i].ptr = NULL;
            return live[i].id;
        }
    return 0;
}

static void open_trace(void)
{
    char path[512];
    snprintf(path, sizeof path, "%s/tour.trace", outdir);
    trace_progname = "arena-tour";
    int fd = trace_create(path);
    if (fd < 0 || trace_write_header(fd, 0, "arena-tour") != 0 || trace_writer_init(&writer, fd, 1 << 16) != 0)
        exit(1);
}

/* The trace's last block, and one line per lesson (arena-step reads it):
   first call, tcache_count (-1: the lesson made no call), arena policy (trylock or per-thread), title,
   explanation with "\n" for its line breaks. */
static void close_trace(void)
{
    char path[512];
    if (trace_flush(&writer) != 0)
        exit(1);
    snprintf(path, sizeof path, "%s/lessons.tsv", outdir);
    FILE *f = fopen(path, "w");
    for (int i = 1; f != NULL && i <= step; i++) {
        fprintf(f, "%llu\t%ld\t%s\t%s\t", (unsigned long long)lessons[i].first_call,
                lessons[i].tcache_count,
                lessons[i].arena_policy == ARENALLOC_POLICY_PER_THREAD ? "per-thread" : "trylock",
                lessons[i].title);
        for (const char *c = lessons[i].explanation; *c; c++)
            fputs(*c == '\n' ? "\\n" : (char[2]){*c, 0}, f);
        fputc('\n', f);
    }
    if (f == NULL || fclose(f) != 0) {
        fprintf(stderr, "arena-tour: cannot write %s: %s\n", path, strerror(errno));
        exit(1);
    }
}

/* The chunk of a user pointer, as malloc sees it. */
static unsigned long chunk_of(void *mem) { return (unsigned long)mem2chunk(mem); }

/* Starts a step: its title and what it shows. */
static void lesson(const char *title, const char *explanation)
{
    step++;
    lessons[step].title = title;
    lessons[step].explanation = explanation;
    lessons[step].first_call = calls;
    lessons[step].tcache_count = -1;
    printf("\n==== step %d: %s ====\n%s\n\n", step, title, explanation);
}

/* Ends a step: the heap as text on stdout, and as JSON for the pictures. */
static void show(unsigned what)
{
    char path[512];
    printf("\n");
    fflush(stdout);
    if (arenalloc_dump(stdout, what, ARENALLOC_DUMP_TEXT) != 0)
        perror("arena-tour: dump");
    snprintf(path, sizeof path, "%s/step-%03d.json", outdir, step);
    FILE *f = fopen(path, "w");
    if (f == NULL || arenalloc_dump(f, ARENALLOC_DUMP_ALL, ARENALLOC_DUMP_JSON) != 0 || fclose(f) != 0) {
        fprintf(stderr, "arena-tour: cannot write %s: %s\n", path, strerror(errno));
        exit(1);
    }
}

static void *call_malloc(size_t n)
{
    void *p = arenalloc_malloc(n);
    if (p == NULL) {
        fprintf(stderr, "arena-tour: malloc(%zu) failed\n", n);
        exit(1);
    }
    printf("  malloc(%zu) = %p   (chunk %#lx)\n", n, p, chunk_of(p));
    record(TRACE_MALLOC, n, 0, p);
    return p;
}

static void call_free(void *p)
{
    printf("  free(%p)   (chunk %#lx)\n", p, chunk_of(p));
    arenalloc_free(p);
    uint64_t id = take_id(p);
    if (id != 0)
        record(TRACE_FREE, 0, id, NULL);
}

#define CHUNKS_AND_BINS (ARENALLOC_DUMP_CHUNKS | ARENALLOC_DUMP_BINS)

/* ---- the lessons ------------------------------------------------------------ */

static void *guard; /* keeps freed chunks from merging into top */

static void first_malloc(void)
{
    lesson("the first malloc",
           "The arena has no memory yet, so the first call asks the OS for some (sysmalloc: brk grows by\n"
           "132 KiB) and carves chunks off the front of it; what is left is the top chunk.  The first chunk,\n"
           "0x290 bytes, is the per-thread cache glibc 2.36 allocates at every thread's first call (the\n"
           "cache itself is off until the last lesson).");
    call_malloc(24);
    call_malloc(24);
    guard = call_malloc(24);
    show(ARENALLOC_DUMP_ARENAS | CHUNKS_AND_BINS);
}

static void fastbin_lifo(void)
{
    lesson("fastbins are LIFO",
           "Small chunks (up to 0x80 bytes) go to a fastbin when freed: a singly linked list, last in first\n"
           "out, and the chunk stays marked in use so nothing merges with it.  The next malloc of that size\n"
           "gets the chunk freed last.");
    void *a = call_malloc(40);
    void *b = call_malloc(40);
    call_malloc(40); /* keeps b from touching top */
    call_free(a);
    call_free(b);
    show(CHUNKS_AND_BINS);
    void *c = call_malloc(40);
    printf("  -> malloc(40) returned %s\n", c == b ? "b, the chunk freed last" : "something else (unexpected)");
    c = call_malloc(40);
    printf("  -> and the next one a: the fastbin is empty again\n");
}

static void *large[2]; /* freed in the next step */

static void unsorted_merge(void)
{
    lesson("free merges neighbours into the unsorted bin",
           "A freed chunk too big for a fastbin merges with free neighbours (the boundary tags: PREV_INUSE\n"
           "and prev_size), and the merged chunk goes to the unsorted bin, where malloc looks at it next time\n"
           "before sorting it into its bin.  Two 0xd0 chunks side by side become one 0x1a0 chunk.");
    void *small[3];
    for (int i = 0; i < 3; i++)
        small[i] = call_malloc(200);
    large[0] = call_malloc(1024);
    guard = call_malloc(24);
    large[1] = call_malloc(1056);
    guard = call_malloc(24);
    call_free(small[0]);
    call_free(small[1]);
    show(CHUNKS_AND_BINS);
}

static void unsorted_sort(void)
{
    lesson("malloc sorts the unsorted bin into small and large bins",
           "malloc takes chunks off the unsorted bin one by one: an exact fit is returned, anything else is\n"
           "put in its bin.  Small bins hold one size each; large bins hold a range of sizes, largest first,\n"
           "with a nextsize list that skips from each size to the next.  A request that fits none of the\n"
           "three free chunks sorts them all and is cut from top.");
    call_free(large[0]);
    call_free(large[1]);
    show(ARENALLOC_DUMP_BINS);
    call_malloc(2000);
    show(CHUNKS_AND_BINS);
}

static void split_remainder(void)
{
    lesson("splitting, and last_remainder",
           "A request with no exact fit takes the smallest bigger chunk and splits it; the rest goes back to\n"
           "the unsorted bin and, for small requests, becomes last_remainder.  The next small request is\n"
           "carved from it again, so consecutive small allocations sit next to each other.");
    void *x = call_malloc(100);
    void *y = call_malloc(100);
    printf("  -> the second block starts %ld bytes after the first (one 0x70 chunk)\n", (long)((char *)y - (char *)x));
    show(ARENALLOC_DUMP_ARENAS | CHUNKS_AND_BINS);
}

static void top_grow_trim(void)
{
    lesson("top grows, and is trimmed",
           "When no bin can serve a request, malloc cuts it from top, and when top is too small, sysmalloc\n"
           "grows the heap (brk).  Freeing the last chunks merges them back into top, and once top is larger\n"
           "than M_TRIM_THRESHOLD (128 KiB) the heap shrinks again: watch system_mem.");
    void *blocks[6];
    for (int i = 0; i < 6; i++)
        blocks[i] = call_malloc(64 * 1024);
    struct mallinfo2 grown = arenalloc_mallinfo2();
    printf("  -> the arena holds %zu bytes from the OS\n", grown.arena);
    show(ARENALLOC_DUMP_ARENAS);
    for (int i = 5; i >= 0; i--)
        call_free(blocks[i]);
    struct mallinfo2 trimmed = arenalloc_mallinfo2();
    printf("  -> after the frees: %zu bytes (%zu given back)\n", trimmed.arena, grown.arena - trimmed.arena);
    show(ARENALLOC_DUMP_ARENAS | CHUNKS_AND_BINS);
}

static void mmap_threshold(void)
{
    lesson("the mmap threshold, and how it rises",
           "Requests of M_MMAP_THRESHOLD (128 KiB) and more get a mapping of their own, outside every arena.\n"
           "Freeing one raises the threshold to its size (up to 32 MiB), so a program that keeps\n"
           "allocating blocks of that size gets them from the heap from then on.");
    printf("  mmap threshold: %zu\n", (size_t)mp_.mmap_threshold);
    void *m = call_malloc(200 * 1024);
    show(ARENALLOC_DUMP_ARENAS);
    call_free(m);
    printf("  mmap threshold after the free: %zu\n", (size_t)mp_.mmap_threshold);
    call_malloc(200 * 1024);
    show(ARENALLOC_DUMP_ARENAS);
}

/* ---- the second thread ---------------------------------------------------------- */

static void *thread_chunk; /* the second thread's first block, freed in the next lesson */

/* The second thread's calls, made while the main thread waits for it. */
static void *second_thread(void *unused)
{
    (void)unused;
    trace_thread = 1;
    thread_chunk = call_malloc(48);
    void *big = call_malloc(1200);
    call_malloc(100); /* keeps big from touching top */
    call_free(big);
    return NULL;
}

static void second_arena(void)
{
    lesson("a thread that finds its arena busy gets a new one",
           "Every arena has a lock.  Under arenalloc's default trylock policy (the lecture's model) a thread\n"
           "that finds its arena's lock taken does not wait: it tries the other arenas, and creates one when\n"
           "all are busy.  Here the main thread allocates, then holds main_arena's lock while a second thread\n"
           "makes its first call.  The new arena lives in a heap mapped apart from main_arena, with its own\n"
           "top, bins and lock; its chunks have NON_MAIN_ARENA set, and the first is the thread's cache.");
    /* A replay cannot hold the lock as the tour does; under the per-thread
       policy the second thread gets the same new arena at its first call, so
       that is the policy arena-step replays this lesson with. */
    replay_policy = ARENALLOC_POLICY_PER_THREAD;
    call_malloc(48);
    os_lock(&main_arena.mutex); /* the tour peeks: as if the main thread were inside malloc */
    pthread_t t;
    if (pthread_create(&t, NULL, second_thread, NULL) != 0) {
        fprintf(stderr, "arena-tour: cannot create a thread\n");
        exit(1);
    }
    pthread_join(t, NULL);
    os_unlock(&main_arena.mutex);
    printf("  the second thread's malloc(48) = %p, chunk %#lx, NON_MAIN_ARENA set\n", thread_chunk,
           chunk_of(thread_chunk));
    show(ARENALLOC_DUMP_ARENAS | CHUNKS_AND_BINS);
}

static void find_arena(void)
{
    lesson("free() finds a thread arena's chunk by masking its address",
           "Thread arenas live in heaps aligned to heap_max_size() (1 MiB here).  Clearing the low 20 bits of a\n"
           "chunk's address gives its heap, whose heap_info names the arena - no search, no pointer in\n"
           "the chunk.  main_arena's chunks have NON_MAIN_ARENA clear and need no lookup.  Here the main\n"
           "thread frees the second thread's block.");
    mchunkptr p = mem2chunk(thread_chunk);
    heap_info *h = heap_for_ptr(p);
    printf("  chunk            %p  size field %#zx (NON_MAIN_ARENA = 0x4)\n", (void *)p, (size_t)p->mchunk_size);
    printf("  heap_for_ptr     %p  = chunk & ~(%#zx - 1)\n", (void *)h, heap_max_size());
    printf("  heap->ar_ptr     %p  (the arena in the dump above)\n", (void *)h->ar_ptr);
    printf("  heap->size       %#zx committed of %#zx reserved\n", h->size, heap_max_size());
    call_free(thread_chunk);
    show(ARENALLOC_DUMP_ARENAS);
}

static void tcache_lesson(void)
{
    lesson("the per-thread cache (glibc 2.26 and later)",
           "Until now the cache was off (tcache_count 0), so every free reached the arena.  With glibc's\n"
           "default, 7, free first puts a chunk of up to 0x410 bytes in the calling thread's own cache: a\n"
           "LIFO list per size in the 0x290 structure, no lock needed.  To the arena a cached chunk is still\n"
           "in use.  Nine chunks of 0x30 freed: seven fill their bin of the cache, two reach the fastbin.\n"
           "An entry points at the next one's user memory, stored safe-linked: (where >> 12) ^ next.");
    arenalloc_set_tcache_count(7);
    void *p[9];
    for (int i = 0; i < 9; i++) {
        p[i] = call_malloc(40);
        call_malloc(24); /* a guard: nothing merges */
    }
    for (int i = 0; i < 9; i++)
        call_free(p[i]);
    show(CHUNKS_AND_BINS);
    void *c = call_malloc(40);
    printf("  -> malloc(40) returned %s\n", c == p[6] ? "the seventh chunk, the last one cached" : "something else (unexpected)");
}

int main(int argc, char **argv)
{
    if (argc > 2) {
        fprintf(stderr, "usage: %s [OUTDIR]\n", argv[0]);
        return 2;
    }
    if (argc == 2)
        outdir = argv[1];
    if (mkdir(outdir, 0777) != 0 && errno != EEXIST) {
        fprintf(stderr, "arena-tour: cannot create %s: %s\n", outdir, strerror(errno));
        return 1;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    printf("arenalloc tour: glibc 2.%d's malloc (ARENALLOC_RELEASE; each heap printed below says so on its\n"
           "first line), step by step.  Chunk addresses are of chunk headers (the user pointer is 16 bytes\n"
           "further); sizes include the header.\n",
           arenalloc_get_release());

    /* The classic lessons are about the arena's bins: the cache stays off
       until its own lesson, the last. */
    arenalloc_set_tcache_count(0);
    open_trace();
    first_malloc();
    fastbin_lifo();
    unsorted_merge();
    unsorted_sort();
    split_remainder();
    top_grow_trim();
    mmap_threshold();
    second_arena();
    find_arena();
    tcache_lesson();
    close_trace();

    printf("\nend of the tour: %d steps; the heap of each step is in %s/step-NNN.json\n", step, outdir);
    return 0;
}
