/*
 * replay.c - arena-replay: replays a trace against an allocator and measures
 * how much memory the allocator holds for the program's live bytes.
 *
 *   arena-replay [--allocator arenalloc|system] [--samples N] [--data FILE.tsv]
 *                [--log] TRACE
 *
 *   --allocator arenalloc   arenalloc_malloc ... of the prefixed build, linked in
 *   --allocator system      plain malloc ...: glibc's, or whatever LD_PRELOAD
 *                           puts first (jemalloc, mimalloc, tcmalloc)
 *   --samples N             about N measurements, evenly spaced by op index (500)
 *   --data FILE.tsv         "# op live footprint rss ns", then one line per sample
 *   --log                   print every call as executed, in arena-trace dump's form
 *
 * stdout is one line of key=value pairs (see print_summary).  Exit status: 0;
 * 1 for a refused trace or another error; 2 for a bad command line; 3 when the
 * allocator returned NULL where the recorded run got memory.
 *
 * How it measures.  The whole trace is decoded first into per-thread op lists
 * in mmap'd memory, which is touched, so that nothing the replayer owns grows
 * while it replays; the allocator under test never holds replayer data.  Each
 * sampled op records
 *   live       bytes the program has asked for and not freed (calloc counts
 *              nmemb * size): a property of the trace, the same everywhere;
 *   rss        anonymous resident memory (statm's resident - shared) above
 *              the baseline taken just before the first op;
 *   footprint  what the allocator holds: mallinfo2's arena + hblkhd when the
 *              allocator provides mallinfo2, else rss;
 *   ns         time since the first op, not counting sampling.
 * Every block is written to once per page (and at its last byte), so that
 * pages the program would use are resident, whatever the allocator.
 *
 * Each thread of the trace replays on a thread of its own, in its own order;
 * a thread that frees an id another thread allocates waits until that
 * allocation has happened.  Ops that failed in the recorded run are skipped.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <malloc.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "arenalloc.h"
#include "trace_io.h"

#define PAGE 4096u
#define FREED ((void *)1) /* an id's pointer after its free */

/* ---- the allocator under test ------------------------------------------------------ */

struct allocator {
    const char *name;
    void *(*malloc)(size_t);
    void (*free)(void *);
    void *(*calloc)(size_t, size_t);
    void *(*realloc)(void *, size_t);
    void *(*memalign)(size_t, size_t);
    int (*posix_memalign)(void **, size_t, size_t);
    void *(*aligned_alloc)(size_t, size_t);
    void *(*valloc)(size_t);
    void *(*pvalloc)(size_t);
    struct mallinfo2 (*mallinfo2)(void); /* NULL: the footprint is the rss */
};

static struct allocator A;

static const struct allocator arenalloc = {
    .name = "arenalloc",
    .malloc = arenalloc_malloc,
    .free = arenalloc_free,
    .calloc = arenalloc_calloc,
    .realloc = arenalloc_realloc,
    .memalign = arenalloc_memalign,
    .posix_memalign = arenalloc_posix_memalign,
    .aligned_alloc = arenalloc_aligned_alloc,
    .valloc = arenalloc_valloc,
    .pvalloc = arenalloc_pvalloc,
    .mallinfo2 = arenalloc_mallinfo2,
};

/* Stand-ins for aligned functions a preloaded allocator does not provide
   (jemalloc has no pvalloc): glibc's own would hand out blocks from glibc's
   heap, which the preloaded free cannot take back. */
static size_t power_of_two_at_least(size_t n)
{
    size_t p = sizeof(void *);
    while (p < n)
        p *= 2;
    return p;
}

static void *posix_memalign_or_null(size_t alignment, size_t size)
{
    void *p;
    return A.posix_memalign(&p, power_of_two_at_least(alignment), size) == 0 ? p : NULL;
}

static void *memalign_standin(size_t alignment, size_t size)
{
    return posix_memalign_or_null(alignment, size);
}

static void *valloc_standin(size_t size)
{
    return posix_memalign_or_null(PAGE, size);
}

static void *pvalloc_standin(size_t size)
{
    return posix_memalign_or_null(PAGE, size ? (size + PAGE - 1) & ~(size_t)(PAGE - 1) : PAGE);
}

/* Which shared object defines `name` first in the global scope. */
static void *lookup(const char *name, const char **object)
{
    Dl_info info;
    void *sym = dlsym(RTLD_DEFAULT, name);
    *object = sym && dladdr(sym, &info) && info.dli_fname ? info.dli_fname : "?";
    return sym;
}

/* The function `name` if the object that provides malloc provides it too. */
static void *same_provider(const char *name, const char *malloc_object)
{
    const char *object;
    void *sym = lookup(name, &object);
    return sym && strcmp(object, malloc_object) == 0 ? sym : NULL;
}

/* "system", or the preloaded library's basename when LD_PRELOAD is set. */
static const char *system_name(void)
{
    static char name[256];
    const char *preload = getenv("LD_PRELOAD");
    if (!preload || !*preload)
        return "system";
    size_t n = strcspn(preload, " :");
    snprintf(name, sizeof name, "%.*s", (int)n, preload);
    const char *slash = strrchr(name, '/');
    return slash ? slash + 1 : name;
}

static void use_system_allocator(void)
{
    const char *m;
    A.name = system_name();
    A.malloc = (void *(*)(size_t))lookup("malloc", &m);
    A.free = (void (*)(void *))same_provider("free", m);
    A.calloc = (void *(*)(size_t, size_t))same_provider("calloc", m);
    A.realloc = (void *(*)(void *, size_t))same_provider("realloc", m);
    A.posix_memalign = (int (*)(void **, size_t, size_t))same_provider("posix_memalign", m);
    A.memalign = (void *(*)(size_t, size_t))same_provider("memalign", m);
    A.aligned_alloc = (void *(*)(size_t, size_t))same_provider("aligned_alloc", m);
    A.valloc = (void *(*)(size_t))same_provider("valloc", m);
    A.pvalloc = (void *(*)(size_t))same_provider("pvalloc", m);
    A.mallinfo2 = (struct mallinfo2(*)(void))same_provider("mallinfo2", m);
    if (!A.malloc || !A.free || !A.calloc || !A.realloc || !A.posix_memalign) {
        fprintf(stderr, "arena-replay: %s does not provide malloc, free, calloc, realloc and "
                "posix_memalign together\n", m);
        exit(1);
    }
}

static void note_standin(const uint64_t *ops_by_kind, unsigned op, const char *how)
{
    if (ops_by_kind[op])
        fprintf(stderr, "arena-replay: note: %s has no %s; replaying it as %s\n", A.name,
                trace_op_name(op), how);
}

/* Fills the gaps with stand-ins, and says so when the trace needs them. */
static void fill_in_standins(const uint64_t *ops_by_kind)
{
    if (!A.memalign) {
        A.memalign = memalign_standin;
        note_standin(ops_by_kind, TRACE_MEMALIGN, "posix_memalign");
    }
    if (!A.aligned_alloc) {
        A.aligned_alloc = memalign_standin;
        note_standin(ops_by_kind, TRACE_ALIGNED_ALLOC, "posix_memalign");
    }
    if (!A.valloc) {
        A.valloc = valloc_standin;
        note_standin(ops_by_kind, TRACE_VALLOC, "posix_memalign(4096, n)");
    }
    if (!A.pvalloc) {
        A.pvalloc = pvalloc_standin;
        note_standin(ops_by_kind, TRACE_PVALLOC, "posix_memalign(4096, n rounded up to 4096)");
    }
}

/* ---- the decoded trace --------------------------------------------------------------- */

struct replay_op {
    uint64_t index;  /* position in the trace */
    uint64_t arg;    /* calloc: nmemb; memalign, posix_memalign, aligned_alloc: alignment */
    uint64_t size;
    uint32_t old_id; /* the id freed or reallocated, 0 = NULL */
    uint32_t new_id; /* the id created, 0 = none */
    uint32_t sample; /* 1 + slot in samples[], or 0 */
    uint8_t op;
    uint8_t failed;
};

struct replay_thread {
    struct trace_array ops; /* struct replay_op, in this thread's order */
    pthread_t pthread;
    uint64_t sampling_ns;   /* time this thread spent sampling, not replaying */
    uint64_t finish_ns;     /* when it ran its last op, less its sampling_ns */
    _Alignas(64) atomic_uint_fast64_t done; /* ops executed, for the progress line */
};

struct sample {
    uint64_t op, live, footprint, ns;
    int64_t rss;
    int taken;
};

static struct {
    const char *path;
    struct trace_array threads; /* struct replay_thread */
    uint64_t ops, ids, peak_live;
    uint64_t by_kind[TRACE_OP_COUNT];
    uint64_t *id_bytes;             /* requested bytes of each id */
    _Atomic(void *) *id_ptr;        /* NULL until allocated, FREED after */
    struct sample *samples;
    size_t nsamples;
} T;

static struct replay_thread *thread_at(uint32_t t)
{
    return trace_array_at(&T.threads, t);
}

static void add_op(const struct trace_record *rec, struct trace_array *bytes, uint64_t *live)
{
    struct replay_thread *t = thread_at(rec->thread);
    if (t->ops.elem == 0)
        trace_array_init(&t->ops, sizeof(struct replay_op));
    struct replay_op *op = trace_array_push(&t->ops);
    op->index = rec->index;
    op->arg = rec->op == TRACE_CALLOC ? rec->nmemb : rec->alignment;
    op->size = rec->size;
    op->old_id = (uint32_t)rec->old_id;
    op->new_id = (uint32_t)rec->new_id;
    op->op = (uint8_t)rec->op;
    op->failed = (uint8_t)rec->failed;
    T.by_kind[rec->op]++;
    if (trace_record_ends_old(rec))
        *live -= *(uint64_t *)trace_array_at(bytes, rec->old_id);
    if (rec->new_id) {
        uint64_t n = trace_record_bytes(rec);
        *(uint64_t *)trace_array_at(bytes, rec->new_id) = n;
        *live += n;
    }
    if (*live > T.peak_live)
        T.peak_live = *live;
}

/* Reads the whole trace; 0, or -1 after the reader's message. */
static int decode(const char *path)
{
    struct trace_reader r;
    struct trace_record rec;
    struct trace_array bytes;
    uint64_t live = 0;
    int status;

    T.path = path;
    trace_array_init(&T.threads, sizeof(struct replay_thread));
    trace_array_init(&bytes, sizeof(uint64_t));
    if (trace_open(&r, path) < 0)
        return -1;
    while ((status = trace_next(&r, &rec)) > 0) {
        if (rec.new_id > UINT32_MAX) {
            fprintf(stderr, "arena-replay: %s: more than 2^32 ids\n", path);
            return -1;
        }
        add_op(&rec, &bytes, &live);
    }
    T.ops = r.next_index;
    T.ids = r.next_id - 1;
    trace_array_at(&bytes, T.ids); /* every id has a slot, and id 0 too */
    T.id_bytes = (uint64_t *)bytes.data;
    trace_close(&r);
    return status;
}

/* Marks about `wanted` ops, evenly spaced (op step-1, 2*step-1, ...), and the
   last op, as sampled.  Slots follow op order, the last op's slot comes last. */
static void plan_samples(size_t wanted)
{
    uint64_t step = wanted ? (T.ops + wanted - 1) / wanted : T.ops;
    if (step == 0)
        step = 1;
    T.nsamples = T.ops / step + 1;
    T.samples = trace_map(T.nsamples * sizeof(struct sample));
    for (uint32_t t = 0; t < T.threads.len; t++) {
        struct replay_thread *th = thread_at(t);
        for (size_t i = 0; i < th->ops.len; i++) {
            struct replay_op *op = (struct replay_op *)trace_array_at(&th->ops, i);
            if (op->index + 1 == T.ops)
                op->sample = (uint32_t)T.nsamples;
            else if ((op->index + 1) % step == 0)
                op->sample = (uint32_t)((op->index + 1) / step);
        }
    }
}

/* Writes to one byte of every page of n bytes, so they are resident now. */
static void touch_pages(void *p, size_t n)
{
    volatile unsigned char *c = p;
    for (size_t i = 0; i < n; i += PAGE)
        c[i] = c[i];
}

/* ---- measuring ------------------------------------------------------------------------ */

static int statm_fd = -1;
static int64_t baseline_rss;
static uint64_t start_ns;
static atomic_uint_fast64_t live_bytes;

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Anonymous resident bytes: statm's resident minus its shared (file-backed)
   pages, so that code paged in on first use does not count as heap. */
static int64_t anon_rss(void)
{
    char buf[256];
    unsigned long long size, resident, shared;
    ssize_t n = pread(statm_fd, buf, sizeof buf - 1, 0);
    if (n <= 0)
        return 0;
    buf[n] = '\0';
    if (sscanf(buf, "%llu %llu %llu", &size, &resident, &shared) != 3)
        return 0;
    return (int64_t)(resident - shared) * (int64_t)sysconf(_SC_PAGESIZE);
}

/* Sampling time is each thread's own: threads sample at the same time, so
   their sampling times summed can exceed the wall time of the whole replay. */
static void take_sample(const struct replay_op *op, struct replay_thread *th)
{
    uint64_t t0 = now_ns();
    struct sample *s = &T.samples[op->sample - 1];

    s->op = op->index;
    s->live = atomic_load_explicit(&live_bytes, memory_order_relaxed);
    s->rss = anon_rss() - baseline_rss;
    if (A.mallinfo2) {
        struct mallinfo2 mi = A.mallinfo2();
        s->footprint = mi.arena + mi.hblkhd;
    } else {
        s->footprint = s->rss > 0 ? (uint64_t)s->rss : 0;
    }
    s->ns = t0 - start_ns - th->sampling_ns;
    s->taken = 1;
    th->sampling_ns += now_ns() - t0;
}

/* ---- output ----------------------------------------------------------------------------- */

static struct trace_out out;  /* stdout: the --log lines, then the summary */
static struct trace_out data; /* --data, fd -1 when not wanted */
static int log_calls;
static pthread_mutex_t out_lock = PTHREAD_MUTEX_INITIALIZER;

static void to_record(const struct replay_op *op, uint32_t thread, struct trace_record *r)
{
    memset(r, 0, sizeof *r);
    r->index = op->index;
    r->op = op->op;
    r->failed = op->failed;
    r->thread = thread;
    r->nmemb = r->alignment = op->arg; /* the text form uses the one that applies */
    r->size = op->size;
    r->old_id = op->old_id;
    r->new_id = op->new_id;
}

static void log_op(const struct replay_op *op, uint32_t thread)
{
    struct trace_record r;
    char line[256];

    to_record(op, thread, &r);
    size_t n = trace_format_record(line, sizeof line, &r);
    pthread_mutex_lock(&out_lock);
    trace_out_write(&out, line, n);
    pthread_mutex_unlock(&out_lock);
}

static void write_data(void)
{
    if (data.fd < 0)
        return;
    trace_out_printf(&data, "# op live footprint rss ns\n");
    for (size_t i = 0; i < T.nsamples; i++) {
        const struct sample *s = &T.samples[i];
        if (s->taken)
            trace_out_printf(&data, "%" PRIu64 "\t%" PRIu64 "\t%" PRIu64 "\t%" PRId64 "\t%" PRIu64
                             "\n", s->op, s->live, s->footprint, s->rss, s->ns);
    }
    trace_out_flush(&data);
}

/* The allocator refused memory the recorded run got: the replay cannot go on
   faithfully.  What was measured so far is kept. */
static void fail_null(const struct replay_op *op, uint32_t thread)
{
    struct trace_record r;
    char call[96];

    to_record(op, thread, &r);
    trace_format_call(call, sizeof call, &r);
    pthread_mutex_lock(&out_lock);
    trace_out_flush(&out);
    fprintf(stderr, "arena-replay: %s returned NULL for %s at op %" PRIu64 " of %s; stopping\n",
            A.name, call, op->index, T.path);
    write_data();
    _exit(3);
}

/* ---- replaying ---------------------------------------------------------------------------- */

/* The block of an id, once its allocation has happened: another thread's
   allocation may still be on its way; the trace's order guarantees it comes. */
static void *wait_for_id(uint32_t id)
{
    void *p;
    unsigned spins = 0;
    while ((p = atomic_load_explicit(&T.id_ptr[id], memory_order_acquire)) == NULL)
        if (++spins > 64)
            sched_yield();
    return p;
}

/* The block a free or realloc gives back (NULL for id 0); the id ends here. */
static void *take_block(const struct replay_op *op)
{
    if (op->old_id == 0)
        return NULL;
    void *p = wait_for_id(op->old_id);
    if (p == FREED) {
        fprintf(stderr, "arena-replay: %s: op %" PRIu64 ": %s of #%" PRIu32
                ", which is not live\n", T.path, op->index, trace_op_name(op->op), op->old_id);
        _exit(1);
    }
    atomic_store_explicit(&T.id_ptr[op->old_id], FREED, memory_order_relaxed);
    atomic_fetch_sub_explicit(&live_bytes, T.id_bytes[op->old_id], memory_order_relaxed);
    return p;
}

/* One byte per page, and the last byte, of the bytes [from, to) of a block. */
static void touch_block(void *p, uint64_t from, uint64_t to)
{
    volatile unsigned char *c = p;
    for (uint64_t i = from; i < to; i += PAGE)
        c[i] = 0xa5;
    if (to > from)
        c[to - 1] = 0xa5;
}

static void *allocate(const struct replay_op *op, void *old)
{
    void *p = NULL;
    switch (op->op) {
    case TRACE_MALLOC: return A.malloc(op->size);
    case TRACE_CALLOC: return A.calloc(op->arg, op->size);
    case TRACE_REALLOC: return A.realloc(old, op->size);
    case TRACE_MEMALIGN: return A.memalign(op->arg, op->size);
    case TRACE_POSIX_MEMALIGN: return A.posix_memalign(&p, op->arg, op->size) == 0 ? p : NULL;
    case TRACE_ALIGNED_ALLOC: return A.aligned_alloc(op->arg, op->size);
    case TRACE_VALLOC: return A.valloc(op->size);
    case TRACE_PVALLOC: return A.pvalloc(op->size);
    }
    return NULL;
}

static void run_op(const struct replay_op *op, uint32_t thread)
{
    /* Failed calls are skipped, except that realloc(p, 0) returning NULL
       freed p (glibc); allocators differ on realloc(p, 0), free does not. */
    if (op->failed) {
        if (op->op == TRACE_REALLOC && op->size == 0 && op->old_id)
            A.free(take_block(op));
        return;
    }
    uint64_t old_bytes = op->old_id ? T.id_bytes[op->old_id] : 0;
    void *old = take_block(op), *p;
    if (op->op == TRACE_FREE) {
        A.free(old);
        return;
    }
    if (op->op == TRACE_REALLOC && op->size == 0 && old) {
        A.free(old); /* a realloc(p, 0) that returned a block: the same as this */
        p = A.malloc(0);
    } else {
        p = allocate(op, old);
    }
    if (!p)
        fail_null(op, thread);
    uint64_t bytes = T.id_bytes[op->new_id];
    touch_block(p, op->op == TRACE_REALLOC ? old_bytes : 0, bytes); /* realloc: the new part */
    atomic_fetch_add_explicit(&live_bytes, bytes, memory_order_relaxed);
    atomic_store_explicit(&T.id_ptr[op->new_id], p, memory_order_release);
}

/* The progress line: only on a terminal, only for replays over a second. */
static int progress_on;
static unsigned progress_shown = 101;

static void show_progress(void)
{
    uint64_t done = 0;
    if (!progress_on || now_ns() - start_ns < 1000000000u || T.ops == 0)
        return;
    for (uint32_t t = 0; t < T.threads.len; t++)
        done += atomic_load_explicit(&thread_at(t)->done, memory_order_relaxed);
    unsigned percent = (unsigned)(done * 100 / T.ops);
    if (percent != progress_shown)
        fprintf(stderr, "\rarena-replay: %u%%", percent);
    progress_shown = percent;
}

static void replay_thread(uint32_t t)
{
    struct replay_thread *th = thread_at(t);
    const struct replay_op *ops = (const struct replay_op *)th->ops.data;

    for (size_t i = 0; i < th->ops.len; i++) {
        run_op(&ops[i], t);
        if (log_calls)
            log_op(&ops[i], t);
        if (ops[i].sample)
            take_sample(&ops[i], th);
        if ((i & 4095) == 4095) {
            atomic_store_explicit(&th->done, i + 1, memory_order_relaxed);
            if (t == 0)
                show_progress();
        }
    }
    th->finish_ns = now_ns() - start_ns - th->sampling_ns;
    atomic_store_explicit(&th->done, th->ops.len, memory_order_relaxed);
}

static pthread_barrier_t start_line;

static void *worker(void *arg)
{
    uint32_t t = (uint32_t)(uintptr_t)arg;
    pthread_barrier_wait(&start_line);
    replay_thread(t);
    return NULL;
}

/* Trace thread 0 runs on the main thread (glibc gives it main_arena, as the
   recorded program's first thread had); the others get threads of their own,
   created before the baseline, all let go at once.  The replay's time is the
   latest thread's, each less its own sampling. */
static uint64_t replay_all(void)
{
    uint32_t n = (uint32_t)T.threads.len;
    pthread_barrier_init(&start_line, NULL, n ? n : 1);
    for (uint32_t t = 1; t < n; t++)
        if (pthread_create(&thread_at(t)->pthread, NULL, worker, (void *)(uintptr_t)t) != 0) {
            fprintf(stderr, "arena-replay: cannot create thread %" PRIu32 "\n", t);
            exit(1);
        }
    baseline_rss = anon_rss();
    start_ns = now_ns();
    pthread_barrier_wait(&start_line);
    if (n > 0)
        replay_thread(0);
    for (uint32_t t = 1; t < n; t++) {
        struct replay_thread *th = thread_at(t);
        while (atomic_load_explicit(&th->done, memory_order_relaxed) < th->ops.len) {
            show_progress();
            nanosleep(&(struct timespec){0, 20000000}, NULL);
        }
        pthread_join(th->pthread, NULL);
    }
    uint64_t latest = 0;
    for (uint32_t t = 0; t < n; t++)
        if (thread_at(t)->finish_ns > latest)
            latest = thread_at(t)->finish_ns;
    return latest;
}

/* ---- setting up, and the summary ---------------------------------------------------------- */

/* Everything the replay writes to is mapped and resident before the baseline. */
static void prepare_memory(void)
{
    T.id_ptr = trace_map((T.ids + 1) * sizeof *T.id_ptr);
    touch_pages((void *)T.id_ptr, (T.ids + 1) * sizeof *T.id_ptr);
    touch_pages(T.id_bytes, (T.ids + 1) * sizeof *T.id_bytes);
    touch_pages(T.samples, T.nsamples * sizeof *T.samples);
    for (uint32_t t = 0; t < T.threads.len; t++) {
        struct replay_thread *th = thread_at(t);
        touch_pages(th->ops.data, th->ops.len * th->ops.elem);
    }
    touch_pages(out.buf, out.cap);
    if (data.fd >= 0)
        touch_pages(data.buf, data.cap);
}

static void print_summary(uint64_t replay_ns)
{
    uint64_t peak_footprint = 0, with_live = 0;
    int64_t peak_rss = 0;
    double ratios = 0;

    for (size_t i = 0; i < T.nsamples; i++) {
        const struct sample *s = &T.samples[i];
        if (!s->taken)
            continue;
        peak_footprint = s->footprint > peak_footprint ? s->footprint : peak_footprint;
        peak_rss = s->rss > peak_rss ? s->rss : peak_rss;
        /* frag_avg: over the samples with at least a tenth of the peak live, or
           the nearly empty heap of a run's first and last moments, where a few
           bytes live sit in a whole page, would outweigh the rest. */
        if (s->live > 0 && s->live >= T.peak_live / 10) {
            ratios += (double)s->footprint / (double)s->live;
            with_live++;
        }
    }
    trace_out_printf(&out,
                     "allocator=%s trace=%s ops=%" PRIu64 " threads=%zu peak_live=%" PRIu64
                     " peak_footprint=%" PRIu64 " peak_rss=%" PRId64 " frag_peak=%.3f"
                     " frag_avg=%.3f time_s=%.4f ns_per_op=%.1f footprint_source=%s\n",
                     A.name, T.path, T.ops, T.threads.len, T.peak_live, peak_footprint, peak_rss,
                     T.peak_live ? (double)peak_footprint / (double)T.peak_live : 0.0,
                     with_live ? ratios / (double)with_live : 0.0, (double)replay_ns / 1e9,
                     T.ops ? (double)replay_ns / (double)T.ops : 0.0,
                     A.mallinfo2 ? "mallinfo2" : "rss");
}

#define MAX_SAMPLES 10000000u /* more than any plot can show; --data stays a few hundred MiB */

struct options {
    int system;
    size_t samples;
    const char *data;
    int log;
    const char *trace;
};

static int usage(void)
{
    fprintf(stderr, "usage: arena-replay [--allocator arenalloc|system] [--samples N] "
                    "[--data FILE.tsv] [--log] TRACE\n");
    return 2;
}

/* The value of "--name VALUE" or "--name=VALUE" at argv[*i], else NULL. */
static const char *option_value(int argc, char **argv, int *i, const char *name)
{
    size_t n = strlen(name);
    if (strncmp(argv[*i], name, n) != 0)
        return NULL;
    if (argv[*i][n] == '=')
        return argv[*i] + n + 1;
    if (argv[*i][n] == '\0' && *i + 1 < argc)
        return argv[++*i];
    return NULL;
}

static int parse_options(int argc, char **argv, struct options *o)
{
    const char *v;
    char *end;

    *o = (struct options){.samples = 500};
    for (int i = 1; i < argc; i++) {
        if ((v = option_value(argc, argv, &i, "--allocator"))) {
            if (strcmp(v, "arenalloc") != 0 && strcmp(v, "system") != 0)
                return -1;
            o->system = strcmp(v, "system") == 0;
        } else if ((v = option_value(argc, argv, &i, "--samples"))) {
            errno = 0;
            o->samples = strtoul(v, &end, 10);
            if (*v < '0' || *v > '9' || *end != '\0' || errno || o->samples > MAX_SAMPLES) {
                fprintf(stderr, "arena-replay: --samples %s: expected 0 to %u\n", v, MAX_SAMPLES);
                return -1;
            }
        } else if ((v = option_value(argc, argv, &i, "--data"))) {
            o->data = v;
        } else if (strcmp(argv[i], "--log") == 0) {
            o->log = 1;
        } else if (argv[i][0] == '-' || o->trace) {
            return -1;
        } else {
            o->trace = argv[i];
        }
    }
    return o->trace ? 0 : -1;
}

static void open_outputs(const struct options *o)
{
    trace_out_open(&out, STDOUT_FILENO);
    data.fd = -1;
    if (o->data) {
        int fd = trace_create(o->data);
        if (fd < 0)
            exit(1);
        trace_out_open(&data, fd);
    }
    statm_fd = open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
    if (statm_fd < 0) {
        fprintf(stderr, "arena-replay: /proc/self/statm: %s\n", strerror(errno));
        exit(1);
    }
}

int main(int argc, char **argv)
{
    struct options o;

    trace_progname = "arena-replay";
    if (parse_options(argc, argv, &o) < 0)
        return usage();
    if (decode(o.trace) < 0)
        return 1;
    if (o.system)
        use_system_allocator();
    else
        A = arenalloc;
    fill_in_standins(T.by_kind);
    log_calls = o.log;
    progress_on = isatty(STDERR_FILENO);
    plan_samples(o.samples);
    open_outputs(&o);
    prepare_memory();

    uint64_t replay_ns = replay_all();

    if (progress_shown <= 100)
        fprintf(stderr, "\r%30s\r", "");
    write_data();
    print_summary(replay_ns);
    trace_out_flush(&out);
    return out.error || data.error ? 1 : 0;
}
