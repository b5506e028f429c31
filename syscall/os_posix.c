/*
 * os_posix.c - the OS layer (os.h) for Linux and other POSIX systems.
 *
 * Everything arenalloc asks of the kernel happens here: mmap and its relatives
 * for address space, a futex for locks, and a few process services (fork hooks,
 * the environment, stderr, abort).  Callers are the arena and heap code above
 * syscall/, and brk_emulated.c; os_morecore itself lives in brk_posix.c or
 * brk_emulated.c, depending on the build.
 *
 * This code runs inside malloc, so nothing here may call malloc: a call back into
 * the allocator from its own OS layer would deadlock on the arena lock, or recurse
 * forever.  And nothing here aborts: every failure is a return value, and the
 * allocator decides what it means.
 *
 * How POSIX mmap is made to speak os.h's reserve/commit vocabulary:
 *
 *   reserve   mmap(PROT_NONE, MAP_NORESERVE)   addresses only, no memory charged
 *   commit    mprotect(PROT_READ | PROT_WRITE) the kernel supplies zeroed pages on
 *                                              first touch
 *   decommit  mmap(MAP_FIXED, PROT_NONE) over the range (see os_decommit)
 *   release   munmap
 */
#include "syscall/os.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#if defined(__linux__)
#include <linux/futex.h>
#include <sys/syscall.h>
#else
#include <sched.h>
#endif

/* Not every POSIX system has MAP_NORESERVE; where it is missing, reservations
   are simply not exempted from memory accounting. */
#ifndef MAP_NORESERVE
#define MAP_NORESERVE 0
#endif

/* ---- pages ---------------------------------------------------------------- */

size_t os_page_size(void)
{
    /* The size the kernel gave the dynamic loader at start-up, which glibc keeps
       and its own malloc reads too. */
    return (size_t)getpagesize();
}

/* ---- address space -------------------------------------------------------- */

/* mmap says "no" with MAP_FAILED, which is not NULL; os.h says "no" with NULL. */
static inline void *mmap_or_null(void *addr, size_t size, int prot, int flags)
{
    void *p = mmap(addr, size, prot, flags | MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    return p == MAP_FAILED ? NULL : p;
}

/* An inaccessible reservation, left out of core dumps: the prefixed build
   reserves 64 GiB for its emulated brk, and a core file (or gdb's gcore) would
   otherwise write every byte of it.  os_commit puts committed pages back in. */
static void *reserve_at(void *addr, size_t size, int flags)
{
    void *p = mmap_or_null(addr, size, PROT_NONE, flags | MAP_NORESERVE);
    if (p != NULL)
        madvise(p, size, MADV_DONTDUMP); /* a core file may be larger; nothing else */
    return p;
}

void *os_reserve(size_t size)
{
    /* MAP_NORESERVE: inaccessible pages cannot be dirtied, so there is nothing
       to charge against the system's commit limit until os_commit makes them
       writable. */
    return reserve_at(NULL, size, 0);
}

void *os_map(size_t size)
{
    return mmap_or_null(NULL, size, PROT_READ | PROT_WRITE, 0);
}

/* Gives back [from, to) of a reservation; true when there was nothing to give. */
static inline bool trim(char *from, char *to)
{
    return from == to || munmap(from, (size_t)(to - from)) == 0;
}

void *os_reserve_aligned_checked(size_t size, size_t alignment)
{
    /* mmap only promises page alignment, but any size + alignment bytes hold
       an aligned run of size bytes: map that many, then give back what lies
       before and after the aligned run. */
    /* LAB(heap) BEGIN */
    size_t total = size + alignment;
    char *base = reserve_at(NULL, total, 0);
    if (base == NULL)
        return NULL;
    char *aligned = (char *)align_up((uintptr_t)base, alignment);
    char *end = base + total;

    if (!trim(base, aligned) || !trim(aligned + size, end)) {
        /* Unmapping what is already unmapped is not an error, so the whole
           original range can be given back whichever trim failed. */
        munmap(base, total);
        return NULL;
    }
    return aligned;
    /* LAB(heap) END */
}

bool os_commit(void *addr, size_t size)
{
    /* The first write to each page faults in a fresh zeroed page; under strict
       overcommit (vm.overcommit_memory=2) this is where the charge is taken, so
       this is where "out of memory" shows up. */
    if (mprotect(addr, size, PROT_READ | PROT_WRITE) != 0)
        return false;
    madvise(addr, size, MADV_DODUMP); /* see reserve_at */
    return true;
}

bool os_decommit(void *addr, size_t size)
{
    /* Why not madvise(MADV_DONTNEED) and then mprotect(PROT_NONE)?  That frees
       the pages, but Linux keeps the range's commit charge once it has been
       writable, so under strict overcommit a heap that shrank would still count
       against the limit at its largest size.  A fresh PROT_NONE NORESERVE mapping
       laid over the range drops the old pages and their charge together, in one
       call - what decommit means on Windows, and what glibc's shrink_heap does
       under strict overcommit for the same reason.  The addresses never stop being ours: MAP_FIXED
       replaces the mapping in place. */
    int saved_errno = errno; /* os.h: giving back keeps errno */
    bool done = reserve_at(addr, size, MAP_FIXED) == addr;
    errno = saved_errno;
    return done;
}

bool os_discard(void *addr, size_t size)
{
    /* Not posix_madvise: glibc implements POSIX_MADV_DONTNEED as a no-op,
       because POSIX promises the contents survive.  Linux's MADV_DONTNEED frees
       the pages at once and refills them with zeros on the next touch. */
    int saved_errno = errno;
    bool done = madvise(addr, size, MADV_DONTNEED) == 0;
    errno = saved_errno;
    return done;
}

bool os_release(void *addr, size_t size)
{
    int saved_errno = errno;
    bool done = munmap(addr, size) == 0;
    errno = saved_errno;
    return done;
}

void *os_remap(void *addr, size_t old_size, size_t new_size)
{
#if defined(__linux__)
    /* mremap moves page table entries instead of copying bytes, which is what
       makes realloc of a huge mmapped chunk cheap. */
    void *p = mremap(addr, old_size, new_size, MREMAP_MAYMOVE);
    return p == MAP_FAILED ? NULL : p;
#else
    (void)addr;
    (void)old_size;
    (void)new_size;
    return NULL;
#endif
}

/* ---- locks ---------------------------------------------------------------- */

/*
 * A mutex in the style of Ulrich Drepper's "Futexes Are Tricky", whose word also
 * says what kind of thread holds it:
 *
 *   0  free
 *   1  held by a user, nobody waiting           unlock only has to store 0
 *   2  held by a user, maybe someone waiting    unlock must also wake one waiter
 *   3  held by a visitor, nobody waiting        (os_lock_as_visitor)
 *   4  held by a visitor, maybe someone waiting
 *
 * Locking and unlocking an uncontended lock is one atomic instruction each and
 * no system call; the kernel is entered only to sleep, or to wake a sleeper.
 * A waiter stores its kind's "maybe someone waiting" value before it sleeps, so
 * the holder's unlock knows to wake someone; the exchange that stores it also
 * takes the lock if it was freed meanwhile (the lock is then left marked
 * "waiting" even if nobody else waits, which costs one needless wake-up and is
 * never wrong).  A user waiting behind a visitor overwrites 3 with 2: the mark
 * is a hint, lost in that case, never needed for correctness.
 *
 * os_lock_t is a plain int (so struct malloc_state keeps glibc's layout), not an
 * _Atomic int, hence the __atomic builtins, which work on ordinary objects.
 */
enum {
    LOCK_FREE = 0,
    LOCK_TAKEN = 1,
    LOCK_CONTENDED = 2,
    LOCK_VISITED = 3,
    LOCK_VISITED_CONTENDED = 4,
};

#if defined(__linux__)
/* A successful malloc must leave errno as the caller had it, and FUTEX_WAIT
   fails with EAGAIN whenever the lock changed before the kernel looked. */
static inline void futex(os_lock_t *lock, int op, int value)
{
    int saved_errno = errno;
    syscall(SYS_futex, lock, op, value, NULL, NULL, 0);
    errno = saved_errno;
}

/* Sleeps unless *lock is no longer `waiting`; the kernel checks that and goes to
   sleep as one step, so a wake between our check and our sleep is not lost.
   May return early (signal, spurious wake-up, another waiter's mark): callers
   loop. */
static inline void wait_while(os_lock_t *lock, int waiting)
{
    futex(lock, FUTEX_WAIT_PRIVATE, waiting);
}

static inline void wake_one_waiter(os_lock_t *lock)
{
    futex(lock, FUTEX_WAKE_PRIVATE, 1);
}
#else
/* Without a futex there is nothing to sleep on: a waiter gives up its time slice
   and tries again, and so nobody needs waking. */
static inline void wait_while(os_lock_t *lock, int waiting)
{
    (void)lock;
    (void)waiting;
    sched_yield();
}

static inline void wake_one_waiter(os_lock_t *lock)
{
    (void)lock;
}
#endif

void os_lock_init(os_lock_t *lock)
{
    __atomic_store_n(lock, LOCK_FREE, __ATOMIC_RELAXED);
}

static inline bool take_if_free(os_lock_t *lock, int as)
{
    int expected = LOCK_FREE;
    return __atomic_compare_exchange_n(lock, &expected, as, false, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED);
}

/* The contended path of both kinds: announce a waiter, sleep, try again. */
static void wait_and_take(os_lock_t *lock, int waiting)
{
    while (__atomic_exchange_n(lock, waiting, __ATOMIC_ACQUIRE) != LOCK_FREE)
        wait_while(lock, waiting);
}

bool os_trylock(os_lock_t *lock) { return take_if_free(lock, LOCK_TAKEN); }

void os_lock(os_lock_t *lock)
{
    if (!take_if_free(lock, LOCK_TAKEN))
        wait_and_take(lock, LOCK_CONTENDED);
}

void os_lock_as_visitor(os_lock_t *lock)
{
    if (!take_if_free(lock, LOCK_VISITED))
        wait_and_take(lock, LOCK_VISITED_CONTENDED);
}

void os_unlock(os_lock_t *lock)
{
    int was = __atomic_exchange_n(lock, LOCK_FREE, __ATOMIC_RELEASE);
    if (was == LOCK_CONTENDED || was == LOCK_VISITED_CONTENDED)
        wake_one_waiter(lock);
}

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

bool os_lock_unless_used(os_lock_t *lock)
{
    /* A visit is a few hundred instructions: spin through it; sleep only when
       the visitor seems to have lost its processor. */
    for (int spins = 0;; spins++) {
        int now = __atomic_load_n(lock, __ATOMIC_RELAXED);
        if (now == LOCK_FREE) {
            if (take_if_free(lock, LOCK_TAKEN))
                return true;
        } else if (now == LOCK_VISITED || now == LOCK_VISITED_CONTENDED) {
            if (spins >= 200) {
                os_lock(lock);
                return true;
            }
            cpu_relax();
        } else {
            return false; /* a user has it */
        }
    }
}

/* ---- threads ---------------------------------------------------------------- */

/* A pthread key whose value is only a flag: its destructor is the hook.  Keys
   below 32 live inside the thread descriptor, so setting one never allocates;
   the library creates its key at start-up, when few keys exist. */
static pthread_key_t exit_key;
static void (*exit_fn)(void);

static void run_exit_hook(void *flag)
{
    (void)flag;
    exit_fn();
}

bool os_thread_exit_hook(void (*fn)(void))
{
    exit_fn = fn;
    return pthread_key_create(&exit_key, run_exit_hook) == 0;
}

void os_thread_exit_arm(void) { pthread_setspecific(exit_key, (void *)1); }

/* With glibc 2.32 and later, os.h reads the flag inline. */
#if !(defined(__GLIBC__) && (__GLIBC__ > 2 || __GLIBC_MINOR__ >= 32))
bool os_single_threaded(void) { return false; }
#endif

int os_ncpus(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n >= 1 ? (int)n : 1;
}

/* Mixes x's bits (splitmix64's finaliser), for the fallback below. */
static uint64_t mix64(uint64_t x)
{
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

void os_random(void *buf, size_t size)
{
    unsigned char *out = buf;
    size_t got = 0;
#ifdef SYS_getrandom
    /* The system call, not getrandom(3): older C libraries lack the wrapper.
       GRND_NONBLOCK: early in boot the pool may not be ready, and malloc must
       not wait for it. */
    while (got < size) {
        long n = syscall(SYS_getrandom, out + got, size - got, 0x1 /* GRND_NONBLOCK */);
        if (n <= 0)
            break;
        got += (size_t)n;
    }
#endif
    if (got == size)
        return;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    uint64_t seed = (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 32) ^ (uint64_t)(uintptr_t)&ts;
    for (; got < size; got++)
        out[got] = (unsigned char)(seed = mix64(seed + got));
}

/* ---- process -------------------------------------------------------------- */

/* glibc's fork takes its stdio list lock, then its own malloc's locks.  A
   replacement malloc's handlers run before fork takes the stdio lock, so a
   thread in fflush(NULL) (holding the list lock, waiting for a stream) and a
   thread in getline (holding the stream, waiting for an arena) would deadlock
   with the forking thread (holding the arenas, waiting for the list lock).
   Taking the list lock first, as glibc's own malloc effectively does, keeps one
   order.  The lock is recursive, so fork's own locking still works.  These
   three are exported by glibc, though no longer declared in its headers. */
#if defined(__GLIBC__)
extern void _IO_list_lock(void);
extern void _IO_list_unlock(void);
extern void _IO_list_resetlock(void);
#else
static void _IO_list_lock(void) {}
static void _IO_list_unlock(void) {}
static void _IO_list_resetlock(void) {}
#endif

static void (*user_prepare)(void), (*user_parent)(void), (*user_child)(void);
static bool stdio_locked;

static void fork_prepare_in_order(void)
{
    /* As glibc's fork: a single-threaded process takes no locks, which keeps a
       fork from a signal handler that interrupted stdio from deadlocking. */
    stdio_locked = !os_single_threaded();
    if (stdio_locked)
        _IO_list_lock();
    user_prepare();
}

static void fork_parent_in_order(void)
{
    user_parent();
    if (stdio_locked)
        _IO_list_unlock();
}

static void fork_child_in_order(void)
{
    user_child();
    if (stdio_locked)
        _IO_list_resetlock();
}

bool os_atfork(void (*prepare)(void), void (*parent)(void), void (*child)(void))
{
    user_prepare = prepare;
    user_parent = parent;
    user_child = child;
    return pthread_atfork(fork_prepare_in_order, fork_parent_in_order, fork_child_in_order) == 0;
}

int os_disable_cancel(void)
{
    int old;
    pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &old);
    return old;
}

void os_restore_cancel(int old) { pthread_setcancelstate(old, &old); }

const char *os_getenv(const char *name)
{
    /* getenv only searches environ; it never allocates. */
    return getenv(name);
}

const char *os_program_name(void)
{
    return program_invocation_short_name; /* glibc's __progname */
}

void os_write_error(const char *message)
{
    /* Not stdio: fprintf may allocate its buffer with malloc, and stderr's lock
       may be held by the very code that called into the allocator. */
    int saved_errno = errno;
    size_t left = strlen(message);
    while (left > 0) {
        ssize_t written = write(STDERR_FILENO, message, left);
        if (written > 0) {
            message += written;
            left -= (size_t)written;
        } else if (written < 0 && errno == EINTR) {
            continue;
        } else {
            break; /* stderr is closed or broken: there is nobody to tell */
        }
    }
    errno = saved_errno;
}

_Noreturn void os_abort(void)
{
    /* Not abort(): older C libraries flush stdio in abort(), which can call
       malloc - on a heap we have just found corrupt. */
    sigset_t abrt;
    sigemptyset(&abrt);
    sigaddset(&abrt, SIGABRT);
    pthread_sigmask(SIG_UNBLOCK, &abrt, NULL);
    raise(SIGABRT);

    /* A handler caught SIGABRT and returned.  Like abort(), end the process
       anyway: restore the default action and raise again. */
    struct sigaction default_action = {.sa_handler = SIG_DFL};
    sigemptyset(&default_action.sa_mask);
    sigaction(SIGABRT, &default_action, NULL);
    raise(SIGABRT);
    _exit(127);
}
