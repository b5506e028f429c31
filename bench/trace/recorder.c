/*
 * recorder.c - libarenalloc-record.so, the trace recorder.
 *
 *   ARENALLOC_TRACE=out.trace LD_PRELOAD=build/tools/libarenalloc-record.so prog ...
 *
 * (bench/trace/arena-record sets both.)  Preloaded, this library's malloc,
 * free, calloc, realloc, reallocarray, memalign, posix_memalign,
 * aligned_alloc, valloc and pvalloc come first in the symbol search, so every
 * call of the program and of its libraries lands here.  Each one calls the
 * real function, found with dlsym(RTLD_NEXT, ...), and appends a record to the
 * trace (trace_format.h).
 *
 * The recorder lives inside the allocator it watches, so it allocates nothing
 * from it: the address -> id map and the record buffer are mmap'd, output is
 * write(), and any allocation made while the recorder itself is busy (dlsym,
 * pthread_atfork) goes straight to the real functions unrecorded.
 *
 * ARENALLOC_TRACE names the file; "%p" in it becomes the pid, so each process
 * of a command (gcc -> cc1 -> as) writes a trace of its own.  Without "%p" the
 * trace belongs to the first process: the file is created with O_EXCL, and a
 * process that finds it already there records nothing, unless that process
 * wrote it itself before it called exec (see take_over_from_pre_exec_image).
 * A child forked without exec records nothing either.
 *
 * Blocks allocated before the recorder started (or through a path it does not
 * see) are unknown to it: their free is not recorded, only counted; a realloc
 * of one is recorded as realloc(NULL, size), the block appearing there.
 *
 * What a process has buffered when it calls exec is lost (exec runs no
 * destructor): its trace ends at a block boundary then, which readers accept.
 * ARENALLOC_TRACE_STATS=1 prints a line of counts to stderr at exit.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "trace_io.h"

#define EXPORT __attribute__((visibility("default")))
#define BLOCK_CAPACITY (64u << 10) /* payload bytes per block: ~20000 records */
#define MAP_INITIAL_BITS 16        /* 65536 slots, 1 MiB */

/* ---- the real functions, and memory for the time before we know them ------- */

static void *(*real_malloc)(size_t);
static void (*real_free)(void *);
static void *(*real_calloc)(size_t, size_t);
static void *(*real_realloc)(void *, size_t);
static void *(*real_memalign)(size_t, size_t);
static int (*real_posix_memalign)(void **, size_t, size_t);
static void *(*real_aligned_alloc)(size_t, size_t);
static void *(*real_valloc)(size_t);
static void *(*real_pvalloc)(size_t);

/* dlsym itself may call malloc or calloc before dlsym has told us where the
   real ones are.  Those few calls are served from this buffer, bump by bump;
   its blocks are never reused, so free ignores them (and calloc gets zeroes). */
static _Alignas(4096) unsigned char bootstrap[64u << 10];
static size_t bootstrap_used;

static int in_bootstrap(const void *p)
{
    return (const unsigned char *)p >= bootstrap &&
           (const unsigned char *)p < bootstrap + sizeof bootstrap;
}

/* The size of each block is kept in the word before it, for realloc. */
static void *bootstrap_alloc(size_t size, size_t alignment)
{
    if (alignment < 16)
        alignment = 16;
    size_t start = (bootstrap_used + sizeof(size_t) + alignment - 1) & ~(alignment - 1);
    if (start > sizeof bootstrap || size > sizeof bootstrap - start)
        return NULL;
    memcpy(bootstrap + start - sizeof(size_t), &size, sizeof size);
    bootstrap_used = start + size;
    return bootstrap + start;
}

static size_t bootstrap_size(const void *p)
{
    size_t size;
    memcpy(&size, (const unsigned char *)p - sizeof size, sizeof size);
    return size;
}

/* The real free is looked up first, so that anything dlsym gets from the real
   malloc can already be given back to it. */
static void resolve_real_functions(void)
{
    real_free = (void (*)(void *))dlsym(RTLD_NEXT, "free");
    real_malloc = (void *(*)(size_t))dlsym(RTLD_NEXT, "malloc");
    real_calloc = (void *(*)(size_t, size_t))dlsym(RTLD_NEXT, "calloc");
    real_realloc = (void *(*)(void *, size_t))dlsym(RTLD_NEXT, "realloc");
    real_memalign = (void *(*)(size_t, size_t))dlsym(RTLD_NEXT, "memalign");
    real_posix_memalign = (int (*)(void **, size_t, size_t))dlsym(RTLD_NEXT, "posix_memalign");
    real_aligned_alloc = (void *(*)(size_t, size_t))dlsym(RTLD_NEXT, "aligned_alloc");
    real_valloc = (void *(*)(size_t))dlsym(RTLD_NEXT, "valloc");
    real_pvalloc = (void *(*)(size_t))dlsym(RTLD_NEXT, "pvalloc");
    if (!real_malloc || !real_free || !real_calloc || !real_realloc) {
        static const char msg[] = "libarenalloc-record: the real malloc was not found\n";
        trace_write_all(2, msg, sizeof msg - 1);
        _exit(127);
    }
}

/* ---- address -> id: open addressing in its own mapping ---------------------- */

struct map_slot {
    uintptr_t addr; /* 0 = empty */
    uint64_t id;
};

struct addr_map {
    struct map_slot *slots;
    unsigned bits; /* 1 << bits slots */
    size_t count;
};

/* Fibonacci hashing: the multiply mixes the address's middle bits (its low
   four are always zero) into the top bits, which pick the slot. */
static size_t map_home(const struct addr_map *m, uintptr_t addr)
{
    return (size_t)(((uint64_t)addr * 0x9e3779b97f4a7c15ull) >> (64 - m->bits));
}

static int map_init(struct addr_map *m, unsigned bits)
{
    void *p = mmap(NULL, sizeof(struct map_slot) << bits, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return -1;
    m->slots = p;
    m->bits = bits;
    m->count = 0;
    return 0;
}

static void map_release(struct addr_map *m)
{
    if (m->slots)
        munmap(m->slots, sizeof(struct map_slot) << m->bits);
    m->slots = NULL;
}

/* Index of addr's slot, or of the empty slot where it would go. */
static size_t map_probe(const struct addr_map *m, uintptr_t addr)
{
    size_t mask = ((size_t)1 << m->bits) - 1;
    size_t i = map_home(m, addr);
    while (m->slots[i].addr != 0 && m->slots[i].addr != addr)
        i = (i + 1) & mask;
    return i;
}

static int map_insert(struct addr_map *m, const void *p, uint64_t id);

/* Kept at most half full, so probes stay short. */
static int map_grow(struct addr_map *m)
{
    struct addr_map bigger;
    if (map_init(&bigger, m->bits + 1) < 0)
        return -1;
    for (size_t i = 0; i < ((size_t)1 << m->bits); i++)
        if (m->slots[i].addr != 0)
            map_insert(&bigger, (const void *)m->slots[i].addr, m->slots[i].id);
    map_release(m);
    *m = bigger;
    return 0;
}

static int map_insert(struct addr_map *m, const void *p, uint64_t id)
{
    if (2 * (m->count + 1) > ((size_t)1 << m->bits) && map_grow(m) < 0)
        return -1;
    size_t i = map_probe(m, (uintptr_t)p);
    if (m->slots[i].addr == 0)
        m->count++;
    m->slots[i].addr = (uintptr_t)p;
    m->slots[i].id = id;
    return 0;
}

static uint64_t map_find(const struct addr_map *m, const void *p)
{
    return m->slots[map_probe(m, (uintptr_t)p)].id; /* an empty slot's id is 0 */
}

/* Removes p and returns its id (0 if absent).  Deletion shifts later entries
   of the probe chain back into the hole (Knuth's algorithm R), so the table
   needs no tombstones: an entry moves unless its home lies cyclically after
   the hole. */
static uint64_t map_remove(struct addr_map *m, const void *p)
{
    size_t mask = ((size_t)1 << m->bits) - 1;
    size_t hole = map_probe(m, (uintptr_t)p);
    uint64_t id = m->slots[hole].id;

    if (m->slots[hole].addr == 0)
        return 0;
    for (size_t j = (hole + 1) & mask; m->slots[j].addr != 0; j = (j + 1) & mask) {
        size_t home = map_home(m, m->slots[j].addr);
        if (((j - home) & mask) >= ((j - hole) & mask)) {
            m->slots[hole] = m->slots[j];
            hole = j;
        }
    }
    m->slots[hole].addr = 0;
    m->slots[hole].id = 0;
    m->count--;
    return id;
}

/* ---- the recorder's state ------------------------------------------------------ */

static struct {
    pthread_mutex_t lock; /* guards everything below */
    struct trace_writer writer;
    struct addr_map map;
    uint32_t threads;
    int flush_every_record; /* after our destructor ran */
    uint64_t unknown_frees; /* frees of pointers allocated before we started */
    uint64_t reused;        /* addresses handed out again without a free we saw */
    char path[4096];
} rec = {.lock = PTHREAD_MUTEX_INITIALIZER, .writer = {.fd = -1}};

enum { INIT_NONE, INIT_RUNNING, INIT_DONE };
static atomic_int init_state;
static atomic_int recording; /* 1 while calls are recorded */

/* Set while this thread is inside the recorder: any allocation it makes then
   (dlsym, pthread_atfork) is passed straight through, unrecorded. */
static __thread int busy __attribute__((tls_model("initial-exec")));
/* This thread's index + 1, 0 until its first recorded call. */
static __thread uint32_t thread_plus1 __attribute__((tls_model("initial-exec")));

static void say(const char *what)
{
    char line[4200];
    int n = snprintf(line, sizeof line, "libarenalloc-record: %s: %s\n", rec.path, what);
    if (n > 0)
        trace_write_all(2, line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1);
}

/* An existing trace file written by this very pid was written by the program
   this process was before it called exec (env, a shell, a launcher script):
   the program it runs now takes the trace over, so that "arena-record -- env
   X=1 prog" records prog.  Returns an fd for the emptied file, or -1. */
static int take_over_from_pre_exec_image(const char *path)
{
    unsigned char header[20];
    int fd = open(path, O_RDWR | O_CLOEXEC);
    if (fd < 0)
        return -1;
    uint32_t pid = 0;
    if (read(fd, header, sizeof header) == (ssize_t)sizeof header &&
        memcmp(header, TRACE_MAGIC, TRACE_MAGIC_SIZE) == 0)
        pid = (uint32_t)header[16] | (uint32_t)header[17] << 8 | (uint32_t)header[18] << 16 |
              (uint32_t)header[19] << 24;
    if (pid == (uint32_t)getpid() && ftruncate(fd, 0) == 0 && lseek(fd, 0, SEEK_SET) == 0)
        return fd;
    close(fd);
    return -1;
}

/* Expands "%p" to the pid, and to "pid-2", "pid-3" ... for the programs a
   process runs one after the other by exec, so each keeps its own trace.
   Without "%p" the first process owns the file.  Returns the fd, or -1 to
   record nothing. */
static int create_trace_file(const char *pattern)
{
    const char *percent_p = strstr(pattern, "%p");
    size_t head = percent_p ? (size_t)(percent_p - pattern) : strlen(pattern);
    if (head >= sizeof rec.path - 32)
        return -1;
    for (int attempt = 1; attempt <= 99; attempt++) {
        memcpy(rec.path, pattern, head);
        rec.path[head] = '\0';
        if (percent_p) {
            char pid[32];
            snprintf(pid, sizeof pid, attempt == 1 ? "%d" : "%d-%d", (int)getpid(), attempt);
            snprintf(rec.path + head, sizeof rec.path - head, "%s%s", pid, percent_p + 2);
        }
        int fd = open(rec.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        if (fd >= 0 || errno != EEXIST)
            return fd;
        if (!percent_p)
            return take_over_from_pre_exec_image(rec.path);
    }
    return -1;
}

/* The basename of argv[0], from /proc: nothing else is reliable this early. */
static void read_program_name(char *name, size_t size)
{
    char cmdline[4096];
    ssize_t n = -1;
    int fd = open("/proc/self/cmdline", O_RDONLY | O_CLOEXEC);

    if (fd >= 0) {
        n = read(fd, cmdline, sizeof cmdline - 1);
        close(fd);
    }
    if (n <= 0) {
        snprintf(name, size, "?");
        return;
    }
    cmdline[n] = '\0';
    const char *slash = strrchr(cmdline, '/');
    snprintf(name, size, "%s", slash ? slash + 1 : cmdline);
}

/* fork() without exec: the child keeps none of the parent's recording.  Its
   copy of the buffer must never reach the file, and its copy of the fd goes. */
static void forget_trace_in_child(void)
{
    atomic_store(&recording, 0);
    if (rec.writer.fd >= 0)
        close(rec.writer.fd);
    rec.writer.fd = -1;
    trace_writer_drop(&rec.writer);
    map_release(&rec.map);
    pthread_mutex_init(&rec.lock, NULL);
}

static void open_trace(void)
{
    const char *pattern = getenv("ARENALLOC_TRACE");
    char program[TRACE_PROGRAM_SIZE];

    if (!pattern || !*pattern)
        return;
    int fd = create_trace_file(pattern);
    if (fd < 0)
        return;
    read_program_name(program, sizeof program);
    if (trace_write_header(fd, (uint32_t)getpid(), program) < 0 ||
        trace_writer_init(&rec.writer, fd, BLOCK_CAPACITY) < 0 ||
        map_init(&rec.map, MAP_INITIAL_BITS) < 0) {
        say(strerror(errno));
        close(fd);
        return;
    }
    pthread_atfork(NULL, NULL, forget_trace_in_child);
    atomic_store(&recording, 1);
}

/* Runs once, from the constructor or from the first call, whichever comes
   first.  Other threads arriving meanwhile wait: they need the real functions. */
static void ensure_init(void)
{
    int expected = INIT_NONE;

    if (atomic_load_explicit(&init_state, memory_order_acquire) == INIT_DONE)
        return;
    if (atomic_compare_exchange_strong(&init_state, &expected, INIT_RUNNING)) {
        busy = 1;
        resolve_real_functions();
        open_trace();
        busy = 0;
        atomic_store_explicit(&init_state, INIT_DONE, memory_order_release);
        return;
    }
    while (atomic_load_explicit(&init_state, memory_order_acquire) != INIT_DONE)
        sched_yield();
}

__attribute__((constructor)) static void start_recording(void)
{
    ensure_init();
}

static void print_stats(void)
{
    char line[256];
    snprintf(line, sizeof line,
             "%llu records, %llu frees of pointers allocated before recording, "
             "%llu addresses reused without a free seen",
             (unsigned long long)rec.writer.records, (unsigned long long)rec.unknown_frees,
             (unsigned long long)rec.reused);
    say(line);
}

/* Flushes at exit; whatever the program frees after this (other libraries'
   destructors run later) is still recorded, each record written at once. */
__attribute__((destructor)) static void flush_at_exit(void)
{
    if (!atomic_load(&recording))
        return;
    pthread_mutex_lock(&rec.lock);
    trace_flush(&rec.writer);
    rec.flush_every_record = 1;
    const char *stats = getenv("ARENALLOC_TRACE_STATS");
    if (stats && *stats == '1')
        print_stats();
    pthread_mutex_unlock(&rec.lock);
}

/* ---- recording ------------------------------------------------------------------- */

static void stop_recording_locked(const char *why)
{
    if (atomic_exchange(&recording, 0))
        say(why);
}

/* Appends r (its thread filled in here) and returns the id it created. */
static uint64_t put_locked(struct trace_record *r)
{
    if (thread_plus1 == 0)
        thread_plus1 = ++rec.threads;
    r->thread = thread_plus1 - 1;
    uint64_t id = trace_put(&rec.writer, r);
    if (rec.flush_every_record)
        trace_flush(&rec.writer);
    if (rec.writer.error)
        stop_recording_locked(strerror(rec.writer.error));
    return id;
}

/* Records an allocation that has returned `result`.  An address we still
   think live was freed behind our back (by a path that bypassed free); a free
   record for it keeps the trace consistent. */
static void record_allocation(struct trace_record *r, void *result)
{
    int saved_errno = errno;
    pthread_mutex_lock(&rec.lock);
    if (atomic_load(&recording)) {
        uint64_t stale = result ? map_remove(&rec.map, result) : 0;
        if (stale) {
            struct trace_record f = {.op = TRACE_FREE, .old_id = stale};
            put_locked(&f);
            rec.reused++;
        }
        r->failed = result == NULL;
        uint64_t id = put_locked(r);
        if (result && map_insert(&rec.map, result, id) < 0)
            stop_recording_locked("cannot grow the address map");
    }
    pthread_mutex_unlock(&rec.lock);
    errno = saved_errno;
}

/* Takes p out of the map and returns its id: 0 for NULL, and for a pointer
   we never saw (allocated before recording began), which is counted. */
static uint64_t take_id(void *p)
{
    uint64_t id = 0;
    pthread_mutex_lock(&rec.lock);
    if (p) {
        id = map_remove(&rec.map, p);
        rec.unknown_frees += id == 0;
    }
    pthread_mutex_unlock(&rec.lock);
    return id;
}

/* Recorded before the real free, so that once the address can be handed out
   again, by any thread, it no longer maps to this id. */
static void record_free(void *p)
{
    int saved_errno = errno;
    pthread_mutex_lock(&rec.lock);
    uint64_t id = p ? map_remove(&rec.map, p) : 0;
    if (atomic_load(&recording) && (id != 0 || p == NULL)) {
        struct trace_record r = {.op = TRACE_FREE, .old_id = id};
        put_locked(&r);
    }
    rec.unknown_frees += p != NULL && id == 0;
    pthread_mutex_unlock(&rec.lock);
    errno = saved_errno;
}

/* realloc frees and allocates at once: the old address leaves the map before
   the real call (another thread may get it the moment it is freed) and comes
   back if the call fails; realloc(p, 0) returning NULL has freed p. */
static void *recorded_realloc(void *old, size_t size)
{
    uint64_t old_id = take_id(old);
    void *p = real_realloc(old, size);
    int saved_errno = errno;

    if (!p && size != 0 && old_id) {
        pthread_mutex_lock(&rec.lock);
        if (map_insert(&rec.map, old, old_id) < 0)
            stop_recording_locked("cannot grow the address map");
        pthread_mutex_unlock(&rec.lock);
    }
    struct trace_record r = {.op = TRACE_REALLOC, .old_id = old_id, .size = size};
    record_allocation(&r, p);
    errno = saved_errno;
    return p;
}

/* The first test of every entry point: 1 when the call must not be recorded
   (the recorder's own allocations, no trace, a forked child).  Once it has
   returned, the real functions are known, unless this thread is the one
   still looking them up (then they may be NULL: see bootstrap). */
static int pass_through(void)
{
    if (busy)
        return 1;
    ensure_init();
    return !atomic_load_explicit(&recording, memory_order_relaxed);
}

static void *allocated(unsigned op, size_t alignment, size_t nmemb, size_t size, void *p)
{
    struct trace_record r = {.op = op, .alignment = alignment, .nmemb = nmemb, .size = size};
    record_allocation(&r, p);
    return p;
}

/* ---- the entry points ---------------------------------------------------------------- */

EXPORT void *malloc(size_t size)
{
    if (pass_through())
        return real_malloc ? real_malloc(size) : bootstrap_alloc(size, 16);
    return allocated(TRACE_MALLOC, 0, 0, size, real_malloc(size));
}

EXPORT void free(void *p)
{
    if (in_bootstrap(p))
        return;
    if (!pass_through())
        record_free(p);
    if (real_free)
        real_free(p);
}

EXPORT void *calloc(size_t nmemb, size_t size)
{
    if (pass_through()) {
        size_t bytes;
        if (real_calloc)
            return real_calloc(nmemb, size);
        return __builtin_mul_overflow(nmemb, size, &bytes) ? NULL : bootstrap_alloc(bytes, 16);
    }
    return allocated(TRACE_CALLOC, 0, nmemb, size, real_calloc(nmemb, size));
}

/* A bootstrap block moving to the real heap is recorded as malloc(size). */
static void *realloc_bootstrap_block(void *old, size_t size)
{
    void *p = malloc(size);
    if (p) {
        size_t old_size = bootstrap_size(old);
        memcpy(p, old, old_size < size ? old_size : size);
    }
    return p;
}

EXPORT void *realloc(void *old, size_t size)
{
    if (in_bootstrap(old))
        return realloc_bootstrap_block(old, size);
    if (pass_through()) {
        if (real_realloc)
            return real_realloc(old, size);
        return old ? NULL : bootstrap_alloc(size, 16);
    }
    return recorded_realloc(old, size);
}

/* Recorded as realloc of nmemb * size; an overflow fails with ENOMEM, as
   glibc's does, and is recorded as a failed realloc of SIZE_MAX bytes. */
EXPORT void *reallocarray(void *old, size_t nmemb, size_t size)
{
    size_t bytes;
    if (!__builtin_mul_overflow(nmemb, size, &bytes))
        return realloc(old, bytes);
    if (!pass_through() && !in_bootstrap(old)) {
        pthread_mutex_lock(&rec.lock);
        uint64_t old_id = map_find(&rec.map, old);
        pthread_mutex_unlock(&rec.lock);
        struct trace_record r = {.op = TRACE_REALLOC, .old_id = old_id, .size = SIZE_MAX};
        record_allocation(&r, NULL);
    }
    errno = ENOMEM;
    return NULL;
}

EXPORT void *memalign(size_t alignment, size_t size)
{
    if (pass_through())
        return real_memalign ? real_memalign(alignment, size) : bootstrap_alloc(size, alignment);
    return allocated(TRACE_MEMALIGN, alignment, 0, size, real_memalign(alignment, size));
}

EXPORT int posix_memalign(void **memptr, size_t alignment, size_t size)
{
    void *p = NULL;
    if (pass_through()) {
        if (real_posix_memalign)
            return real_posix_memalign(memptr, alignment, size);
        p = bootstrap_alloc(size, alignment);
        if (p)
            *memptr = p;
        return p ? 0 : ENOMEM;
    }
    int rc = real_posix_memalign(&p, alignment, size);
    allocated(TRACE_POSIX_MEMALIGN, alignment, 0, size, rc == 0 ? p : NULL);
    if (rc == 0)
        *memptr = p; /* untouched on failure, as the real one leaves it */
    return rc;
}

EXPORT void *aligned_alloc(size_t alignment, size_t size)
{
    if (pass_through())
        return real_aligned_alloc ? real_aligned_alloc(alignment, size)
                                  : bootstrap_alloc(size, alignment);
    return allocated(TRACE_ALIGNED_ALLOC, alignment, 0, size,
                     real_aligned_alloc(alignment, size));
}

EXPORT void *valloc(size_t size)
{
    if (pass_through())
        return real_valloc ? real_valloc(size) : bootstrap_alloc(size, 4096);
    return allocated(TRACE_VALLOC, 0, 0, size, real_valloc(size));
}

EXPORT void *pvalloc(size_t size)
{
    if (pass_through())
        return real_pvalloc ? real_pvalloc(size)
                            : bootstrap_alloc((size + 4095) & ~(size_t)4095, 4096);
    return allocated(TRACE_PVALLOC, 0, 0, size, real_pvalloc(size));
}
