/*
 * stepper.c - arena-step: replays a trace against the prefixed build and writes,
 * call by call, what the heap became, for the browser heap stepper
 * (tools/stepper turns the file into one page).
 *
 *   arena-step [--from N] [--count M] [--max-steps K] [--lessons FILE --lesson S]
 *              [--dump-at I,J,... --dump-dir DIR] -o OUT.json TRACE
 *
 * The calls before --from are replayed without a record, so the window starts
 * on the heap they left; then each of the --count calls is replayed and
 * followed by a reading of every arena (the same reading arenalloc_dump
 * prints, inspect/dump.h).  Only what changed is written: the chunks whose
 * header, state or links differ from the step before, the chunks that are
 * gone, and the arena fields that moved.  A heap of thousands of chunks
 * changes by two or three chunks a call, so 100,000 steps stay a few MB.
 * The bins are not written at all: every free chunk carries its bin and its
 * links, from which the page rebuilds the lists (and tests/stepper checks that
 * the lists so rebuilt are the dump's).
 *
 * Each thread of the trace is replayed on a thread of its own (trace thread 0
 * on this one), and the threads take turns in the trace's order: a thread
 * waits for the baton, makes its call, reads the heap and writes the step,
 * then hands the baton back.  So the replay is the same every time, the heap
 * is read while no other thread can change it, and the step shows the heap as
 * the calling thread sees it (its own cache).  Which arena a thread gets then
 * depends only on the order of the calls and the arena policy
 * (ARENALLOC_ARENA_POLICY, or the lesson's): under the per-thread policy every
 * thread gets the arena it had in the program; under trylock, never
 * contended, they all stay on main_arena.  A trace does not say when a thread
 * ended: a replayed thread ends after its last call in the trace (as the
 * tour's second thread does), and that call's step is read once it has ended,
 * so it shows the thread's cache given back to its arena.
 *
 * --lessons names a file the tour writes (tools/tour/tour.c): one line per
 * lesson, "first_call<TAB>tcache_count<TAB>arena_policy<TAB>title<TAB>text" (a
 * tcache_count of -1: the lesson made no call; arena_policy trylock or
 * per-thread).
 * --lesson S makes the window lesson S's calls, with the cache and the arena
 * policy set as the tour set them.  --dump-at writes arenalloc_dump's own JSON after the given
 * steps of the window to DIR/step-I.json, for the test that compares the two.
 *
 * Refused with one line and exit status 1: a trace the reader refuses, a
 * window longer than --max-steps (default 200,000), a window past the end of
 * the trace, a call the prefixed build fails where the program's succeeded.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena/arena.h"
#include "arena/heap.h"
#include "arena/main_arena.h"
#include "include/arenalloc.h"
#include "inspect/dump.h"
#include "trace_io.h"

#define DEFAULT_MAX_STEPS 200000
#define MAX_DUMPS 64

static struct {
    uint64_t from, count, max_steps;
    const char *lessons, *out, *trace, *dump_dir;
    long lesson;
    uint64_t dump_at[MAX_DUMPS];
    int ndumps;
} O = {.count = UINT64_MAX, .max_steps = DEFAULT_MAX_STEPS, .lesson = -1};

/* What the page shows of a lesson; and where each lesson of the tour starts,
   with the cache's setting and the arena policy the tour gave it, so that the
   calls before the window run as they ran in the tour. */
#define MAX_LESSONS 64
static struct {
    char title[256], text[2048];
    uint64_t first, end;
    uint64_t starts[MAX_LESSONS];
    long tcache_count[MAX_LESSONS];
    int arena_policy[MAX_LESSONS];
    int n;
} L;

static void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n, size);
    if (p == NULL) {
        fprintf(stderr, "arena-step: out of memory\n");
        exit(1);
    }
    return p;
}

/* ---- one chunk as the page sees it ------------------------------------------------- */

/* A chunk's row: everything the page draws and the header panel shows. */
struct row {
    int arena;
    uintptr_t addr;
    uint64_t size_field;
    int state, bin;
    uintptr_t fd, bk, fd_nextsize, bk_nextsize, next_stored;
};

static struct row to_row(int arena, const struct snap_chunk *c)
{
    return (struct row){arena, c->addr, c->size_field, (int)c->state, c->bin, c->fd, c->bk,
                        c->fd_nextsize, c->bk_nextsize, c->next_stored};
}

static bool same_row(const struct row *a, const struct row *b)
{
    return a->size_field == b->size_field && a->state == b->state && a->bin == b->bin && a->fd == b->fd &&
           a->bk == b->bk && a->fd_nextsize == b->fd_nextsize && a->bk_nextsize == b->bk_nextsize &&
           a->next_stored == b->next_stored;
}

static void put_row(FILE *out, const struct row *r, bool *first)
{
    fprintf(out, "%s[%d,%" PRIuPTR ",%" PRIu64 ",%d,%d,%" PRIuPTR ",%" PRIuPTR ",%" PRIuPTR ",%" PRIuPTR
                 ",%" PRIuPTR "]",
            *first ? "" : ",", r->arena, r->addr, r->size_field, r->state, r->bin, r->fd, r->bk, r->fd_nextsize,
            r->bk_nextsize, r->next_stored);
    *first = false;
}

/* The heap of the step before, as rows in (arena, address) order. */
static struct row *prev_rows;
static size_t nprev, prev_cap;
static struct row *cur_rows;
static size_t ncur, cur_cap;

static void take_rows(const struct heap_dump *d)
{
    size_t n = 0;
    for (int i = 0; i < d->narenas; i++)
        n += d->arenas[i].snap.nchunks;
    if (n > cur_cap) {
        free(cur_rows);
        cur_cap = n * 2;
        cur_rows = xcalloc(cur_cap, sizeof *cur_rows);
    }
    ncur = 0;
    for (int i = 0; i < d->narenas; i++)
        for (size_t k = 0; k < d->arenas[i].snap.nchunks; k++)
            cur_rows[ncur++] = to_row(i, &d->arenas[i].snap.chunks[k]);
}

static int row_order(const struct row *a, const struct row *b)
{
    if (a->arena != b->arena)
        return a->arena < b->arena ? -1 : 1;
    return a->addr < b->addr ? -1 : a->addr > b->addr;
}

/* Writes [changed rows],[removed (arena, address) pairs] by one merge of the
   two sorted lists, then makes the current rows the previous ones. */
static void put_chunk_diff(FILE *out)
{
    bool first = true;
    fputc('[', out);
    for (size_t i = 0, j = 0; j < ncur; j++) {
        while (i < nprev && row_order(&prev_rows[i], &cur_rows[j]) < 0)
            i++;
        if (i < nprev && row_order(&prev_rows[i], &cur_rows[j]) == 0 && same_row(&prev_rows[i], &cur_rows[j]))
            continue;
        put_row(out, &cur_rows[j], &first);
    }
    fputs("],[", out);
    first = true;
    for (size_t i = 0, j = 0; i < nprev; i++) {
        while (j < ncur && row_order(&cur_rows[j], &prev_rows[i]) < 0)
            j++;
        if (j < ncur && row_order(&cur_rows[j], &prev_rows[i]) == 0)
            continue;
        fprintf(out, "%s%d,%" PRIuPTR, first ? "" : ",", prev_rows[i].arena, prev_rows[i].addr);
        first = false;
    }
    fputc(']', out);
    struct row *t = prev_rows;
    size_t tcap = prev_cap;
    prev_rows = cur_rows, nprev = ncur, prev_cap = cur_cap;
    cur_rows = t, cur_cap = tcap, ncur = 0;
}

/* ---- the arenas' own fields ------------------------------------------------------ */

#define ARENA_FIELDS 8
static uint64_t prev_arena[4096][ARENA_FIELDS];
static int nprev_arenas;

static void arena_fields(const struct heap_dump *d, int i, uint64_t f[ARENA_FIELDS])
{
    const struct arena_dump *a = &d->arenas[i];
    uint64_t v[ARENA_FIELDS] = {a->address, a->is_main, a->top, a->top_size, a->system_mem,
                                a->last_remainder, a->have_fastchunks, (uint64_t)a->nregions};
    memcpy(f, v, sizeof v);
}

/* [[index, address, is_main, top, top_size, system_mem, last_remainder,
   have_fastchunks, regions], ...] for the arenas that changed. */
static void put_arena_diff(FILE *out, const struct heap_dump *d)
{
    bool first = true;
    fputc('[', out);
    for (int i = 0; i < d->narenas && i < 4096; i++) {
        uint64_t f[ARENA_FIELDS];
        arena_fields(d, i, f);
        if (i < nprev_arenas && memcmp(f, prev_arena[i], sizeof f) == 0)
            continue;
        fprintf(out, "%s[%d", first ? "" : ",", i);
        for (int k = 0; k < ARENA_FIELDS; k++)
            fprintf(out, ",%" PRIu64, f[k]);
        fputc(']', out);
        memcpy(prev_arena[i], f, sizeof f);
        first = false;
    }
    nprev_arenas = d->narenas;
    fprintf(out, "],[%d,%" PRIu64 ",%" PRIuPTR "]", d->n_mmaps, (uint64_t)d->mmapped_mem, d->tcache.address);
}

/* The index in the dump of the arena whose address is `a`; -1 for none. */
static int arena_index(const struct heap_dump *d, uintptr_t a)
{
    for (int i = 0; i < d->narenas; i++)
        if (d->arenas[i].address == a)
            return i;
    return -1;
}

/* One step: [changed chunks],[removed],[arenas],[mmaps, mmapped bytes, tcache].
   Returns the dump's index of arena `used` (-1 for none). */
static int put_step(FILE *out, bool first, mstate used)
{
    struct heap_dump d;
    malloc_ensure_init(); /* the window may start before the first call */
    if (!read_heap(&d, true)) {
        fprintf(stderr, "arena-step: no memory to read the heap\n");
        exit(1);
    }
    take_rows(&d);
    fputs(first ? "\n[" : ",\n[", out);
    put_chunk_diff(out);
    fputc(',', out);
    put_arena_diff(out, &d);
    fputc(']', out);
    int index = used != NULL ? arena_index(&d, (uintptr_t)used) : -1;
    release_heap_dump(&d);
    return index;
}

/* ---- replaying ---------------------------------------------------------------------- */

static void **id_ptr;
static uint64_t id_cap;

static void *ptr_of(uint64_t id)
{
    return id < id_cap ? id_ptr[id] : NULL;
}

static void set_ptr(uint64_t id, void *p)
{
    if (id >= id_cap) {
        uint64_t cap = id_cap ? id_cap * 2 : 1024;
        while (cap <= id)
            cap *= 2;
        void **n = realloc(id_ptr, cap * sizeof *n);
        if (n == NULL) {
            fprintf(stderr, "arena-step: out of memory\n");
            exit(1);
        }
        memset(n + id_cap, 0, (cap - id_cap) * sizeof *n);
        id_ptr = n, id_cap = cap;
    }
    id_ptr[id] = p;
}

/* Makes the call of record r on the prefixed build; returns what it returned. */
static void *replay(const struct trace_record *r)
{
    void *old = ptr_of(r->old_id), *p = NULL;
    switch (r->op) {
    case TRACE_MALLOC: p = arenalloc_malloc(r->size); break;
    case TRACE_FREE: arenalloc_free(old); break;
    case TRACE_CALLOC: p = arenalloc_calloc(r->nmemb, r->size); break;
    case TRACE_REALLOC: p = arenalloc_realloc(old, r->size); break;
    case TRACE_MEMALIGN: p = arenalloc_memalign(r->alignment, r->size); break;
    case TRACE_POSIX_MEMALIGN:
        if (arenalloc_posix_memalign(&p, r->alignment, r->size) != 0)
            p = NULL;
        break;
    case TRACE_ALIGNED_ALLOC: p = arenalloc_aligned_alloc(r->alignment, r->size); break;
    case TRACE_VALLOC: p = arenalloc_valloc(r->size); break;
    case TRACE_PVALLOC: p = arenalloc_pvalloc(r->size); break;
    }
    if (trace_record_ends_old(r) && !(r->op == TRACE_REALLOC && p == NULL && r->size != 0))
        set_ptr(r->old_id, NULL);
    if (r->new_id != 0) {
        if (p == NULL) {
            fprintf(stderr, "arena-step: %s: call %" PRIu64 " failed here but succeeded in the program\n", O.trace,
                    r->index);
            exit(1);
        }
        set_ptr(r->new_id, p);
    }
    return p;
}

/* The arena a call worked in: that of the chunk it freed or resized, else of
   the chunk it returned; NULL for a mapped chunk or no chunk.  `mem` is read
   before a free, while its chunk is still the program's. */
static mstate arena_of(void *mem)
{
    if (mem == NULL || chunk_is_mmapped(mem2chunk(mem)))
        return NULL;
    return arena_for_chunk(mem2chunk(mem));
}

/* A JSON string: the call's text and the lesson's words need only these escapes. */
static void put_string(FILE *out, const char *s)
{
    fputc('"', out);
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            fprintf(out, "\\%c", *s);
        else if (*s == '\n')
            fputs("\\n", out);
        else if ((unsigned char)*s >= 0x20)
            fputc(*s, out);
    }
    fputc('"', out);
}

static bool dump_wanted(uint64_t step)
{
    for (int i = 0; i < O.ndumps; i++)
        if (O.dump_at[i] == step)
            return true;
    return false;
}

static void write_dump(uint64_t step)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/step-%" PRIu64 ".json", O.dump_dir, step);
    FILE *f = fopen(path, "w");
    if (f == NULL || arenalloc_dump(f, ARENALLOC_DUMP_ALL, ARENALLOC_DUMP_JSON) != 0 || fclose(f) != 0) {
        fprintf(stderr, "arena-step: cannot write %s: %s\n", path, strerror(errno));
        exit(1);
    }
}

/* ---- the turns ------------------------------------------------------------------------ */

/* A turn: one call of the trace, and, inside the window, its step. */
static struct {
    FILE *out, *calls;
    uint64_t steps;
} W;

/* What a call did: what it returned, its path, the arena it worked in. */
struct call_result {
    void *p;
    unsigned path;
    mstate used;
};

static struct call_result make_call(const struct trace_record *r)
{
    mstate freed = trace_record_ends_old(r) ? arena_of(ptr_of(r->old_id)) : NULL;
    arenalloc_path_take();
    void *p = replay(r);
    unsigned path = arenalloc_path_take();
    return (struct call_result){p, path, freed != NULL ? freed : arena_of(p)};
}

/* The call's row and the heap after it: [index, thread, text, returned, path,
   new id, arena (-1: none), whether the thread ended after it]. */
static void write_step(const struct trace_record *r, const struct call_result *c, bool ended)
{
    int arena = put_step(W.out, false, c->used);
    char text[256];
    trace_format_call(text, sizeof text, r);
    fprintf(W.calls, "%s\n[%" PRIu64 ",%" PRIu32 ",", W.steps == 0 ? "" : ",", r->index, r->thread);
    put_string(W.calls, text);
    fprintf(W.calls, ",%" PRIuPTR ",%u,%" PRIu64 ",%d,%d]", (uintptr_t)c->p, c->path, r->new_id, arena, ended);
    W.steps++;
    if (dump_wanted(W.steps))
        write_dump(W.steps);
}

/* The baton.  The thread whose turn it is (a trace thread's, or this one's)
   holds it; each of the others waits on its own condition until handed a
   record, and the main thread waits on `done` until the turn is over.  The
   mutex's hand-over orders the threads' memory, so each sees the heap and the
   files as the turn before left them. */
struct turn_thread {
    pthread_t pthread;
    pthread_cond_t go;
    struct trace_record r;
    struct call_result result; /* of its last call, for the main thread to write */
    bool in_window, has_turn, quit;
};

/* The index of each trace thread's last call (count_records). */
static uint64_t *last_call;
static uint32_t nlast_calls;

static bool is_last_call(const struct trace_record *r)
{
    return r->thread < nlast_calls && last_call[r->thread] == r->index;
}

static pthread_mutex_t baton = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t done = PTHREAD_COND_INITIALIZER;
static struct turn_thread **turn_threads; /* by trace thread; [0] unused: the main thread's */
static uint32_t nturn_threads;

static void *turn_loop(void *arg)
{
    struct turn_thread *t = arg;
    pthread_mutex_lock(&baton);
    for (;;) {
        while (!t->has_turn && !t->quit)
            pthread_cond_wait(&t->go, &baton);
        if (t->quit)
            break;
        pthread_mutex_unlock(&baton);
        bool last = is_last_call(&t->r);
        t->result = make_call(&t->r);
        if (t->in_window && !last)
            write_step(&t->r, &t->result, false);
        pthread_mutex_lock(&baton);
        t->has_turn = false;
        pthread_cond_signal(&done);
        if (last)
            break; /* the main thread joins it, then writes the step */
    }
    pthread_mutex_unlock(&baton);
    return NULL;
}

/* The thread of trace thread n, started at its first call (the trace numbers
   threads in the order of their first calls). */
static struct turn_thread *turn_thread(uint32_t n)
{
    if (n >= nturn_threads) {
        struct turn_thread **more = realloc(turn_threads, (n + 1) * sizeof *more);
        if (more == NULL) {
            fprintf(stderr, "arena-step: out of memory\n");
            exit(1);
        }
        memset(more + nturn_threads, 0, (n + 1 - nturn_threads) * sizeof *more);
        turn_threads = more, nturn_threads = n + 1;
    }
    if (turn_threads[n] == NULL) {
        struct turn_thread *t = xcalloc(1, sizeof *t);
        pthread_cond_init(&t->go, NULL);
        if (pthread_create(&t->pthread, NULL, turn_loop, t) != 0) {
            fprintf(stderr, "arena-step: %s: cannot start a thread for the trace's thread %" PRIu32 "\n", O.trace,
                    n);
            exit(1);
        }
        turn_threads[n] = t;
    }
    return turn_threads[n];
}

/* The thread of trace thread n has ended. */
static void end_turn_thread(uint32_t n)
{
    struct turn_thread *t = turn_threads[n];
    pthread_join(t->pthread, NULL);
    pthread_cond_destroy(&t->go);
    free(t);
    turn_threads[n] = NULL;
}

/* Gives record r its turn, on its thread, and waits until it is over. */
static void turn(const struct trace_record *r, bool in_window)
{
    if (r->thread == 0) {
        struct call_result c = make_call(r);
        if (in_window)
            write_step(r, &c, false);
        return;
    }
    struct turn_thread *t = turn_thread(r->thread);
    pthread_mutex_lock(&baton);
    t->r = *r, t->in_window = in_window, t->has_turn = true;
    pthread_cond_signal(&t->go);
    while (t->has_turn)
        pthread_cond_wait(&done, &baton);
    pthread_mutex_unlock(&baton);
    if (is_last_call(r)) {
        struct call_result c = t->result;
        end_turn_thread(r->thread);
        if (in_window)
            write_step(r, &c, true);
    }
}

static void end_turn_threads(void)
{
    for (uint32_t n = 1; n < nturn_threads; n++) {
        struct turn_thread *t = turn_threads[n];
        if (t == NULL)
            continue;
        pthread_mutex_lock(&baton);
        t->quit = true;
        pthread_cond_signal(&t->go);
        pthread_mutex_unlock(&baton);
        end_turn_thread(n);
    }
    free(turn_threads);
}

/* Replays the calls before the window silently, then the window's calls, each
   followed by its step.  Returns the number of steps written. */
static uint64_t replay_window(struct trace_reader *tr, FILE *out, FILE *calls)
{
    struct trace_record r;
    int got;

    W.out = out, W.calls = calls;
    while ((got = trace_next(tr, &r)) == 1) {
        if (r.index >= O.from && W.steps == O.count)
            break; /* before the next lesson's settings, which the header reports */
        for (int i = 0; i < L.n; i++)
            if (L.starts[i] == r.index && L.tcache_count[i] >= 0) {
                arenalloc_set_tcache_count((size_t)L.tcache_count[i]);
                arenalloc_set_arena_policy(L.arena_policy[i]);
            }
        if (r.index < O.from) {
            turn(&r, false);
            continue;
        }
        if (W.steps == 0)
            put_step(out, true, NULL); /* step 0: the whole heap the window starts on */
        turn(&r, true);
    }
    if (got < 0)
        exit(1);
    end_turn_threads();
    return W.steps;
}

/* ---- the lesson file ------------------------------------------------------------------- */

static void read_lesson(void)
{
    FILE *f = fopen(O.lessons, "r");
    if (f == NULL) {
        fprintf(stderr, "arena-step: %s: %s\n", O.lessons, strerror(errno));
        exit(1);
    }
    char line[4096];
    long n = 0;
    bool found = false;
    while (fgets(line, sizeof line, f) != NULL) {
        n++;
        unsigned long long first;
        long tc;
        char policy[16], title[256], text[2048];
        if (sscanf(line, "%llu\t%ld\t%15[^\t]\t%255[^\t]\t%2047[^\n]", &first, &tc, policy, title, text) != 5 ||
            (strcmp(policy, "trylock") != 0 && strcmp(policy, "per-thread") != 0)) {
            fprintf(stderr, "arena-step: %s: line %ld is not a lesson\n", O.lessons, n);
            exit(1);
        }
        if (L.n < MAX_LESSONS) {
            L.starts[L.n] = first;
            L.arena_policy[L.n] = strcmp(policy, "per-thread") == 0 ? ARENALLOC_POLICY_PER_THREAD
                                                                    : ARENALLOC_POLICY_TRYLOCK;
            L.tcache_count[L.n++] = tc;
        }
        if (found) {
            L.end = first;
            found = false;
        }
        if (n == O.lesson) {
            found = true;
            L.first = first, L.end = UINT64_MAX;
            snprintf(L.title, sizeof L.title, "%s", title);
            /* The tour writes the text's line breaks as "\n", two characters. */
            char *o = L.text;
            for (const char *s = text; *s && o < L.text + sizeof L.text - 1; s++)
                *o++ = s[0] == '\\' && s[1] == 'n' ? (s++, '\n') : *s;
            *o = '\0';
        }
    }
    fclose(f);
    if (L.first == 0 && L.end == 0) {
        fprintf(stderr, "arena-step: %s: no lesson %ld\n", O.lessons, O.lesson);
        exit(1);
    }
    O.from = L.first;
    O.count = L.end - L.first;
}

/* ---- the command line -------------------------------------------------------------------- */

static int usage(void)
{
    fprintf(stderr, "usage: arena-step [--from N] [--count M] [--max-steps K] [--lessons FILE --lesson S]\n"
                    "                  [--dump-at I,J,... --dump-dir DIR] -o OUT.json TRACE\n");
    return 2;
}

static bool number(const char *s, uint64_t *v)
{
    char *end;
    errno = 0;
    unsigned long long n = strtoull(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || s[0] == '-')
        return false;
    *v = n;
    return true;
}

static int parse(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        uint64_t n;
        if (a[0] != '-') {
            if (O.trace != NULL)
                return usage();
            O.trace = a;
            continue;
        }
        if (v == NULL)
            return usage();
        i++;
        if (strcmp(a, "-o") == 0)
            O.out = v;
        else if (strcmp(a, "--lessons") == 0)
            O.lessons = v;
        else if (strcmp(a, "--dump-dir") == 0)
            O.dump_dir = v;
        else if (strcmp(a, "--from") == 0 && number(v, &n))
            O.from = n;
        else if (strcmp(a, "--count") == 0 && number(v, &n))
            O.count = n;
        else if (strcmp(a, "--max-steps") == 0 && number(v, &n))
            O.max_steps = n;
        else if (strcmp(a, "--lesson") == 0 && number(v, &n) && n > 0)
            O.lesson = (long)n;
        else if (strcmp(a, "--dump-at") == 0) {
            for (char *s = (char *)v, *tok; (tok = strtok(s, ",")) != NULL && O.ndumps < MAX_DUMPS; s = NULL)
                if (!number(tok, &O.dump_at[O.ndumps++]))
                    return usage();
        } else
            return usage();
    }
    if (O.trace == NULL || O.out == NULL || (O.lesson > 0) != (O.lessons != NULL) ||
        (O.ndumps > 0) != (O.dump_dir != NULL))
        return usage();
    return 0;
}

/* Counts the records, so that a window too long is refused before any work,
   and notes each thread's last call. */
static uint64_t count_records(const char *path)
{
    struct trace_reader tr;
    struct trace_record r;
    int got;
    if (trace_open(&tr, path) != 0)
        exit(1);
    while ((got = trace_next(&tr, &r)) == 1) {
        if (r.thread >= nlast_calls) {
            last_call = realloc(last_call, (r.thread + 1) * sizeof *last_call);
            if (last_call == NULL) {
                fprintf(stderr, "arena-step: out of memory\n");
                exit(1);
            }
            nlast_calls = r.thread + 1;
        }
        last_call[r.thread] = r.index;
    }
    uint64_t n = tr.next_index;
    trace_close(&tr);
    if (got < 0)
        exit(1);
    return n;
}

static void check_window(uint64_t total)
{
    if (O.from >= total && total > 0) {
        fprintf(stderr, "arena-step: %s: FROM=%" PRIu64 " is past the trace's last call (%" PRIu64 " calls)\n",
                O.trace, O.from, total);
        exit(1);
    }
    uint64_t left = total - O.from;
    if (O.count > left)
        O.count = left;
    if (O.count == 0) {
        fprintf(stderr, "arena-step: %s: COUNT=0: a page needs at least one call\n", O.trace);
        exit(1);
    }
    if (O.count > O.max_steps) {
        fprintf(stderr,
                "arena-step: %s: %" PRIu64 " calls from call %" PRIu64 "; a page holds at most %" PRIu64
                " steps: choose a window with FROM= and COUNT=\n",
                O.trace, O.count, O.from, O.max_steps);
        exit(1);
    }
    if (total == 0) {
        fprintf(stderr, "arena-step: %s: the trace has no calls\n", O.trace);
        exit(1);
    }
}

int main(int argc, char **argv)
{
    trace_progname = "arena-step";
    if (parse(argc, argv) != 0)
        return 2;
    if (O.lessons != NULL)
        read_lesson();
    uint64_t total = count_records(O.trace);
    check_window(total);

    struct trace_reader tr;
    if (trace_open(&tr, O.trace) != 0)
        return 1;
    char calls_path[4096], steps_path[4096];
    snprintf(calls_path, sizeof calls_path, "%s.calls", O.out);
    snprintf(steps_path, sizeof steps_path, "%s.steps", O.out);
    FILE *calls = fopen(calls_path, "w+"), *steps = fopen(steps_path, "w+"), *out = fopen(O.out, "w");
    if (calls == NULL || steps == NULL || out == NULL) {
        fprintf(stderr, "arena-step: cannot write %s: %s\n", O.out, strerror(errno));
        return 1;
    }
    uint64_t n = replay_window(&tr, steps, calls);

    /* The header, then the two parts written side by side. */
    const char *base = strrchr(O.trace, '/');
    fputs("{\"version\": 1, \"trace\": ", out);
    put_string(out, base ? base + 1 : O.trace);
    fputs(", \"program\": ", out);
    put_string(out, tr.program);
    fprintf(out, ", \"threads\": %" PRIu32 ", \"from\": %" PRIu64 ", \"count\": %" PRIu64 ", \"total\": %" PRIu64,
            tr.threads, O.from, n, total);
    fprintf(out, ", \"release\": \"2.%d\", \"tcache_count\": %zu, \"steps_names\": [", arenalloc_get_release(),
            (size_t)mp_.tcache_count);
    for (int i = 0; arenalloc_path_step_name(i) != NULL; i++) {
        fputs(i ? ", " : "", out);
        put_string(out, arenalloc_path_step_name(i));
    }
    fputs("], \"lesson\": ", out);
    if (O.lesson > 0) {
        fputs("{\"number\": ", out);
        fprintf(out, "%ld, \"title\": ", O.lesson);
        put_string(out, L.title);
        fputs(", \"text\": ", out);
        put_string(out, L.text);
        fputc('}', out);
    } else {
        fputs("null", out);
    }
    fputs(",\n\"calls\": [", out);
    rewind(calls);
    for (int c; (c = fgetc(calls)) != EOF;)
        fputc(c, out);
    fputs("],\n\"diffs\": [", out);
    long end = ftell(steps);
    rewind(steps);
    for (long i = 0; i < end; i++)
        fputc(fgetc(steps), out);
    fputs("]}\n", out);
    trace_close(&tr);
    fclose(calls), fclose(steps);
    remove(calls_path), remove(steps_path);
    if (fclose(out) != 0) {
        fprintf(stderr, "arena-step: cannot write %s: %s\n", O.out, strerror(errno));
        return 1;
    }
    return 0;
}
