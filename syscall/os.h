/*
 * os.h - everything arenalloc asks of the operating system.
 *
 * This is the only interface between the allocator and the OS.  Nothing above
 * syscall/ includes a system header that maps, protects or locks memory; it asks
 * here.  One implementation per OS: os_posix.c (Linux and other POSIX systems) and
 * os_windows.c.  The emulated brk (brk_emulated.c) is written on top of the
 * functions below and so works on every OS.
 *
 * The vocabulary is that of an OS that separates address space from memory
 * (Windows does; POSIX mmap can be made to):
 *
 *   reserve   claim a range of addresses; touching it faults.  Costs no memory.
 *   commit    make part of a reserved range readable and writable; its pages read
 *             as zero the first time.
 *   decommit  give the pages of a committed range back; the addresses stay reserved
 *             and later read as zero again once recommitted.
 *   release   give the whole reserved range back; pass what os_reserve returned.
 *
 * Every function reports failure by its return value and never aborts: the
 * allocator decides what a failure means (usually: try another way, or return NULL
 * with errno ENOMEM).  The functions that give memory back (os_decommit,
 * os_discard, os_release, os_morecore with a negative increment) leave errno as
 * it was, even when they fail: free calls them, and free must not change errno.
 * So free need not save errno on every call, only the rare path that reaches
 * the OS does.
 */
#ifndef ARENALLOC_SYSCALL_OS_H
#define ARENALLOC_SYSCALL_OS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- pages ---------------------------------------------------------------- */

/* The size of a page (4096 on x86-64 Linux).  Cheap: read once, then cached. */
size_t os_page_size(void);

/* Rounds n up to a multiple of a, a power of two (a page, an alignment).  For an
   address: (char *)align_up((uintptr_t)p, a).  The caller keeps n small enough
   not to wrap. */
static inline size_t align_up(size_t n, size_t a) { return (n + a - 1) & ~(a - 1); }

/* ---- address space -------------------------------------------------------- */

/* Reserves `size` bytes (a multiple of the page size) of inaccessible address
   space.  Returns NULL on failure. */
void *os_reserve(size_t size);

/* Reserves and commits in one step: `size` bytes, readable and writable, zeroed.
   Returns NULL on failure.  This is the plain "mmap some memory" of the allocator. */
void *os_map(size_t size);

/* Reserves `size` bytes at an address that is a multiple of `alignment` (a power
   of two from the page size to 64 MiB).  The range is inaccessible, as with
   os_reserve; `size` is rounded up to whole pages.  Returns NULL on failure, and
   for a size of 0 or an alignment outside that range.
   The alignment exists so that any pointer into the range, masked with
   ~(alignment - 1), gives its start (heap_for_ptr).  A size above the alignment
   would break that for the range's end, so it is refused on every OS: NULL,
   errno EINVAL, and a line on stderr.
   The arguments are checked once, in reserve_aligned.c; each OS file then finds
   the range its own way (os_reserve_aligned_checked, below). */
void *os_reserve_aligned(size_t size, size_t alignment);

/* The OS half of os_reserve_aligned, for reserve_aligned.c alone: size is whole
   pages, 0 < size <= alignment, and alignment is valid.  POSIX maps size +
   alignment and unmaps the unaligned head and tail; Windows uses VirtualAlloc2
   with an alignment requirement, else reserve-release-re-reserve at the aligned
   address, else keeps an oversized reservation and hands out its aligned part. */
void *os_reserve_aligned_checked(size_t size, size_t alignment);

/* The largest alignment os_reserve_aligned takes: glibc's 64-bit HEAP_MAX_SIZE. */
#define OS_MAX_ALIGNMENT ((size_t)64 << 20)

/* Makes [addr, addr + size) readable and writable.  Both page aligned, inside one
   reservation.  Returns false on failure (out of memory). */
bool os_commit(void *addr, size_t size);

/* Gives the pages of [addr, addr + size) back to the OS and makes the range
   inaccessible again; the addresses stay reserved.  Returns false on failure. */
bool os_decommit(void *addr, size_t size);

/* Tells the OS the pages of [addr, addr + size) hold nothing worth keeping; they
   stay accessible and read as zero (or their old contents) when touched again.
   Used to give back memory inside a heap without unmapping it.  (Linux:
   MADV_DONTNEED, zeros; Windows: MEM_RESET, either.) */
bool os_discard(void *addr, size_t size);

/* Releases a reservation, or a page-aligned tail or head of one.  Returns false
   on failure.  POSIX unmaps exactly the range given.  Windows frees only whole
   reservations: a call covering all that os_reserve, os_reserve_aligned or
   os_map returned frees it; a call for a part decommits that part (its memory
   goes back at once, its addresses stay reserved until the rest is released in
   one call covering the whole).  arenalloc always releases whole reservations. */
bool os_release(void *addr, size_t size);

/* Moves or resizes the mapping at `addr` from `old_size` to `new_size` bytes,
   keeping its contents (mremap on Linux).  Returns the new address, or NULL when
   the OS cannot do it (always, on Windows); the caller then copies. */
void *os_remap(void *addr, size_t old_size, size_t new_size);

/* ---- brk: the main arena's contiguous heap --------------------------------- */

/* Moves the end of the contiguous heap by `increment` bytes (negative shrinks)
   and returns the old end, like sbrk(2).  Returns NULL on failure.  With
   increment 0 it returns the current end.
   The drop-in build uses the process's real brk; the prefixed build, whose
   process already has glibc using brk, uses an emulated one grown inside a large
   reservation (brk_emulated.c). */
void *os_morecore(intptr_t increment);

/* True when os_morecore returns memory that already reads as zero the first time
   (fresh pages always do, on every OS arenalloc runs on).  As with the kernel's
   brk, a shrink gives back whole pages only: the bytes from a lowered break to the
   end of its page keep their contents if the break grows over them again. */
#define OS_MORECORE_CLEARS 1

/* ---- locks ---------------------------------------------------------------- */

/* A lock is one int, as glibc's arena mutex is, so struct malloc_state keeps
   glibc's layout.  Zero is unlocked: a static lock needs no initialiser call.
   On Windows it is an SRWLOCK: one pointer, also zero when unlocked.  It is
   declared by shape here, to keep <windows.h> out of the allocator; os_windows.c
   checks that the two agree. */
#ifdef _WIN32
typedef struct {
    void *srwlock;
} os_lock_t;
#define OS_LOCK_INITIALIZER {0}
#else
typedef int os_lock_t;
#define OS_LOCK_INITIALIZER 0
#endif

void os_lock_init(os_lock_t *lock);
void os_lock(os_lock_t *lock);
bool os_trylock(os_lock_t *lock); /* true when the lock was taken; never waits */
void os_unlock(os_lock_t *lock);

/* A thread can take a lock as a visitor: for a short job on something it does
   not otherwise use (free of a chunk of another thread's arena).  It excludes
   everyone exactly as os_lock does, and os_unlock releases it; but the lock
   says it is held by a visitor, so that its regular user can wait for the
   visit to end instead of treating it as a rival (arena.h's arena_get).
   os_lock_unless_used takes the lock when it is free or only visited, waiting
   for the visitor if need be, and returns false at once, without waiting, when
   another thread holds it as a user (os_lock, os_trylock).  Where the lock
   cannot carry the mark (Windows's SRWLOCK) a visitor is a user, and
   os_lock_unless_used is os_trylock. */
void os_lock_as_visitor(os_lock_t *lock);
bool os_lock_unless_used(os_lock_t *lock);

/* ---- threads ---------------------------------------------------------------- */

/* Storage class of a per-thread variable (the thread's arena).  The library is
   built with the initial-exec TLS model, so reading one is a single load and
   never allocates.  mingw-w64's GCC emulates TLS instead: a thread's first
   access allocates its copy with the C runtime's malloc (not arenalloc's: the
   Windows build exports only the arenalloc_* names). */
#define OS_THREAD_LOCAL _Thread_local

/* Marks the declaration of a variable the library's files share (extern in a
   header).  Its definition is hidden already (-fvisibility=hidden), but a file
   that sees only the declaration must assume it may live in another shared
   object and reads it through the GOT: two instructions, an address load and
   the read.  Declared hidden, it is read in one, relative to the instruction
   pointer; the fast paths read half a dozen such variables on every call.
   Only ELF has the attribute; elsewhere it is nothing. */
#ifdef __ELF__
#define OS_HIDDEN __attribute__((visibility("hidden")))
#else
#define OS_HIDDEN
#endif

/* Registers `fn`, to be called when a thread that called os_thread_exit_arm()
   exits (once per arming).  Call once, before arming.  Returns false on failure.
   (POSIX: a pthread key's destructor; Windows: a fiber-local slot's callback.) */
bool os_thread_exit_hook(void (*fn)(void));

/* Asks for the exit hook to run when the calling thread exits. */
void os_thread_exit_arm(void);

/* True while the process has never had a second thread (glibc keeps this
   flag; where it is unknown, false).  Fork needs no locks then, nor does
   malloc (arena.h's single_thread_p).  malloc asks on every call, so with
   glibc the answer is inline: one load of the C library's own flag, which its
   pthread_create clears before a second thread can run. */
#if defined(__GLIBC__) && (__GLIBC__ > 2 || __GLIBC_MINOR__ >= 32)
#include <sys/single_threaded.h>
static inline bool os_single_threaded(void) { return __libc_single_threaded; }
#else
bool os_single_threaded(void);
#endif

/* The number of processors online (at least 1). */
int os_ncpus(void);

/* Fills `size` bytes at `buf` with random bits from the OS, without blocking
   and without allocating; where the OS has none to give, bits that at least
   differ from run to run (time, addresses).  Not for cryptography: the per-thread
   cache's key only has to be unlikely to appear in a program's own data. */
void os_random(void *buf, size_t size);

/* ---- process -------------------------------------------------------------- */

/* Registers handlers run around fork() (before, then in the parent, then in the
   child), so locks held by other threads do not stay locked in the child.  Only
   one set: a second call replaces the first.  In a process with threads the
   handlers run with the C library's stdio list lock held, the order glibc's own
   malloc keeps (see os_posix.c).  Returns false on failure.  Windows has no
   fork: nothing is registered, and the answer is true. */
bool os_atfork(void (*prepare)(void), void (*parent)(void), void (*child)(void));

/* Defers thread cancellation (POSIX cancellation points such as write) until
   os_restore_cancel: for reports that must come out whole.  Returns the state
   to restore.  Windows has no cancellation: both do nothing. */
int os_disable_cancel(void);
void os_restore_cancel(int old);

/* Reads an environment variable without allocating; NULL when unset.  On
   Windows the value is copied into a buffer of the calling thread, valid until
   its next os_getenv; a value longer than 4095 bytes counts as unset. */
const char *os_getenv(const char *name);

/* Writes a message to standard error without allocating. */
void os_write_error(const char *message);

/* The program's name without its directory ("" when unknown), which glibc's
   assertion messages begin with. */
const char *os_program_name(void);

/* Ends the process abnormally (SIGABRT), as abort() does, without allocating.
   On Windows, which has no signals: TerminateProcess with exit code 3
   (abort's code there), running no exit callbacks and no handler. */
_Noreturn void os_abort(void);

#endif /* ARENALLOC_SYSCALL_OS_H */
