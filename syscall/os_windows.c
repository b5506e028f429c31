/*
 * os_windows.c - the OS layer (os.h) for Windows.
 *
 * The same operations as os_posix.c, in the same order, over the Win32 API:
 * VirtualAlloc and VirtualFree for address space, an SRWLOCK for locks, fiber
 * local storage for the thread-exit hook, and a few process services (the
 * environment, stderr, abort).  Callers are the arena and heap code above
 * syscall/, and brk_emulated.c, which is the only os_morecore on Windows: there
 * is no sbrk, and the Windows build is the prefixed one (arenalloc_* names only).
 *
 * As in os_posix.c, nothing here calls malloc - ours or the C runtime's - and
 * nothing here aborts: every failure is a return value.
 *
 * os.h's vocabulary is Windows's own, so the mapping is direct:
 *
 *   reserve   VirtualAlloc(MEM_RESERVE, PAGE_NOACCESS)
 *   commit    VirtualAlloc(MEM_COMMIT, PAGE_READWRITE)   zeroed on first touch
 *   decommit  VirtualFree(MEM_DECOMMIT)                  addresses stay reserved
 *   release   VirtualFree(MEM_RELEASE)                   whole reservations only
 *
 * Two things POSIX has and Windows lacks shape this file:
 *
 *   - No alignment beyond the allocation granularity (64 KiB).  A thread
 *     arena's heap must start on a multiple of HEAP_MAX_SIZE (1 MiB), so
 *     os_reserve_aligned has three ways to get one (see there).
 *   - No freeing of part of a reservation.  VirtualFree(MEM_RELEASE) takes the
 *     address VirtualAlloc returned and frees everything it reserved; os_release
 *     of a part can only decommit it (see there).
 */
/* rand_s, from the C runtime every program already links. */
#define _CRT_RAND_S

#include "syscall/os.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <windows.h>

/* os.h cannot include <windows.h> (it would drag its macros into every file of
   the allocator), so it declares a lock of the same shape as an SRWLOCK: one
   pointer, zero when free.  Here is where the two are held to agreeing. */
_Static_assert(sizeof(os_lock_t) == sizeof(SRWLOCK), "os_lock_t must be an SRWLOCK");
_Static_assert(_Alignof(os_lock_t) == _Alignof(SRWLOCK), "os_lock_t must be an SRWLOCK");

/* ---- pages ---------------------------------------------------------------- */

/* Windows has two sizes where POSIX has one: the page (4 KiB), the unit of
   commit and protection, and the allocation granularity (64 KiB), the unit in
   which reservations start.  Both come from GetSystemInfo. */
static size_t cached_page_size, cached_granularity;

static void read_system_info(void)
{
    /* Several threads may race to fill the cache; they all store the same
       values, and the relaxed atomics only keep that race out of undefined
       behaviour.  The granularity is stored first: a reader that sees the page
       size (the flag) sees it too. */
    SYSTEM_INFO info;
    GetSystemInfo(&info);
    size_t page = info.dwPageSize != 0 ? info.dwPageSize : 4096;
    size_t granularity = info.dwAllocationGranularity >= page ? info.dwAllocationGranularity : page;
    __atomic_store_n(&cached_granularity, granularity, __ATOMIC_RELAXED);
    __atomic_store_n(&cached_page_size, page, __ATOMIC_RELEASE);
}

size_t os_page_size(void)
{
    size_t size = __atomic_load_n(&cached_page_size, __ATOMIC_ACQUIRE);
    if (size == 0) {
        read_system_info();
        size = __atomic_load_n(&cached_page_size, __ATOMIC_ACQUIRE);
    }
    return size;
}

/* Where VirtualAlloc may start a reservation: every address it returns is a
   multiple of this. */
static size_t allocation_granularity(void)
{
    os_page_size(); /* fills both */
    return __atomic_load_n(&cached_granularity, __ATOMIC_RELAXED);
}

/* ---- address space -------------------------------------------------------- */

void *os_reserve(size_t size)
{
    /* A reservation costs no memory and no commit charge: the pages cannot be
       touched until os_commit commits them. */
    return VirtualAlloc(NULL, size, MEM_RESERVE, PAGE_NOACCESS);
}

void *os_map(size_t size)
{
    /* Committed at once, so it counts against the commit limit now; the pages
       are still only made (and zeroed) on first touch. */
    return VirtualAlloc(NULL, size, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
}

/*
 * Aligned reservations, three ways, best first:
 *
 * 1. VirtualAlloc2 with MEM_ADDRESS_REQUIREMENTS.Alignment: the kernel finds an
 *    aligned range itself, in one call, with no race.  It appeared in Windows 10
 *    version 1803, so it is looked up at run time; on an older Windows the
 *    program must still start.
 *
 * 2. Reserve size + alignment anywhere (any such range holds an aligned run of
 *    size bytes), note the aligned address inside it, release the whole, and
 *    reserve again exactly at the aligned address.  POSIX would trim the
 *    unaligned head and tail instead; Windows cannot free part of a
 *    reservation, hence the release and the second reserve.  Between the two
 *    another thread may take some of those addresses; then the second reserve
 *    fails and we start over, a bounded number of times.
 *
 * 3. When that keeps losing the race: reserve size + alignment and keep it all,
 *    handing out only the aligned run inside.  The rest is address space, not
 *    memory, and is freed with the reservation.  Such a reservation does not
 *    start where the caller's range starts, so os_release must be able to tell
 *    (see the note below).
 */

/* How often path 2 may lose the race before path 3 is taken.  Losing needs
   another thread to reserve inside our few microseconds' window, so even one
   retry is rarely needed. */
enum { ALIGNED_RESERVE_RETRIES = 8 };

/* VirtualAlloc2 is exported by kernelbase.dll (kernel32 only forwards it). */
typedef PVOID(WINAPI *virtual_alloc2_fn)(HANDLE process, PVOID address, SIZE_T size, ULONG type,
                                         ULONG protect, MEM_EXTENDED_PARAMETER *params, ULONG count);

static virtual_alloc2_fn find_virtual_alloc2(void)
{
    /* 0: not looked up yet, 1: looked up (the pointer may be NULL).  Racing
       threads look it up twice and find the same answer. */
    static int looked_up;
    static virtual_alloc2_fn fn;
    if (__atomic_load_n(&looked_up, __ATOMIC_ACQUIRE))
        return fn;
    virtual_alloc2_fn found = NULL;
    HMODULE kernelbase = GetModuleHandleA("kernelbase.dll");
    if (kernelbase != NULL) {
        /* Through void (*)(void), the one function type GCC lets any other be
           cast to without a warning: FARPROC's own type is a lie anyway. */
        found = (virtual_alloc2_fn)(void (*)(void))GetProcAddress(kernelbase, "VirtualAlloc2");
    }
    fn = found;
    __atomic_store_n(&looked_up, 1, __ATOMIC_RELEASE);
    return found;
}

/* The paths a test can force, to exercise on a new Windows what an old one, or
   a busy one, does:
     ARENALLOC_WIN_NO_VIRTUALALLOC2=1            skip path 1 (as if VirtualAlloc2
                                                 were missing or failed)
     ARENALLOC_WIN_NO_VIRTUALALLOC2=last-resort  skip paths 1 and 2
   Read on every call (aligned reservations are rare: one per 1 MiB heap), into
   a buffer on the stack rather than os_getenv's, so a test can switch paths
   with SetEnvironmentVariable between calls. */
enum aligned_path { PATH_VIRTUALALLOC2, PATH_RETRY, PATH_LAST_RESORT };

static enum aligned_path first_aligned_path(void)
{
    char value[16];
    DWORD n = GetEnvironmentVariableA("ARENALLOC_WIN_NO_VIRTUALALLOC2", value, sizeof value);
    if (n == 0 || n >= sizeof value)
        return PATH_VIRTUALALLOC2;
    if (strcmp(value, "last-resort") == 0)
        return PATH_LAST_RESORT;
    return strcmp(value, "1") == 0 ? PATH_RETRY : PATH_VIRTUALALLOC2;
}

/* Path 1.  NULL when VirtualAlloc2 is missing or refuses. */
static void *reserve_aligned_by_virtualalloc2(size_t size, size_t alignment)
{
    virtual_alloc2_fn virtual_alloc2 = find_virtual_alloc2();
    if (virtual_alloc2 == NULL)
        return NULL;
    /* No lower or upper bound on the address; only its alignment. */
    MEM_ADDRESS_REQUIREMENTS requirements = {.Alignment = alignment};
    MEM_EXTENDED_PARAMETER param = {0};
    param.Type = MemExtendedParameterAddressRequirements;
    param.Pointer = &requirements;
    return virtual_alloc2(GetCurrentProcess(), NULL, size, MEM_RESERVE, PAGE_NOACCESS, &param, 1);
}

/* Path 2.  NULL when every try lost the race, or when not even the oversized
   range could be reserved. */
static void *reserve_aligned_by_retry(size_t size, size_t alignment)
{
    /* LAB(wine) BEGIN */
    for (int attempt = 0; attempt < ALIGNED_RESERVE_RETRIES; attempt++) {
        char *probe = VirtualAlloc(NULL, size + alignment, MEM_RESERVE, PAGE_NOACCESS);
        if (probe == NULL)
            return NULL; /* out of address space: retrying will not help */
        char *aligned = (char *)align_up((uintptr_t)probe, alignment);
        VirtualFree(probe, 0, MEM_RELEASE);
        /* aligned is a multiple of the granularity, so VirtualAlloc starts the
           reservation exactly there, or says no. */
        void *p = VirtualAlloc(aligned, size, MEM_RESERVE, PAGE_NOACCESS);
        if (p == aligned)
            return p;
        if (p != NULL) /* not where asked: cannot happen, but never leak */
            VirtualFree(p, 0, MEM_RELEASE);
    }
    return NULL;
    /* LAB(wine) END */
}

/*
 * Path 3 keeps a note in the first page of the reservation, which is never
 * handed out (the aligned run starts at least a page in):
 *
 *   base (AllocationBase)       start = aligned          start + size
 *   |<- note ->|<-- unused -->|<------ handed out ------>|<-- unused -->|
 *   |<------------------- size + alignment, reserved ------------------>|
 *
 * The note says where the handed-out run starts and how long it is, which
 * os_release needs to tell "the whole" from "a part".  It is found from any
 * address inside through VirtualQuery's AllocationBase, and such reservations
 * are recognised by the protection they were reserved with (VirtualQuery's
 * AllocationProtect), PAGE_READONLY, which no other reservation here uses.  So
 * the note is read only where it exists, never guessed from bytes that might be
 * somebody's data.  The note's page is read-only once written.
 */
#define LAST_RESORT_MARK PAGE_READONLY

struct last_resort_note {
    char *base;  /* the reservation's own address: a check that this is a note */
    char *start; /* the aligned run handed out */
    size_t size; /* its length */
};

static void *reserve_aligned_inside_larger(size_t size, size_t alignment)
{
    /* LAB(wine) BEGIN */
    size_t page = os_page_size();
    char *base = VirtualAlloc(NULL, size + alignment, MEM_RESERVE, LAST_RESORT_MARK);
    if (base == NULL)
        return NULL;
    /* base and alignment are multiples of the page, so the first aligned
       address at least a page in is at most alignment bytes in: the run still
       ends inside the reservation. */
    char *start = (char *)align_up((uintptr_t)(base + page), alignment);
    struct last_resort_note *note = (struct last_resort_note *)base;
    DWORD old_protect;
    if (VirtualAlloc(base, page, MEM_COMMIT, PAGE_READWRITE) == NULL) {
        VirtualFree(base, 0, MEM_RELEASE);
        return NULL;
    }
    *note = (struct last_resort_note){.base = base, .start = start, .size = size};
    VirtualProtect(base, page, PAGE_READONLY, &old_protect);
    return start;
    /* LAB(wine) END */
}

void *os_reserve_aligned_checked(size_t size, size_t alignment)
{
    /* Every reservation starts on a multiple of the granularity anyway. */
    if (alignment <= allocation_granularity())
        return os_reserve(size);

    enum aligned_path path = first_aligned_path();
    void *p = NULL;
    if (path == PATH_VIRTUALALLOC2)
        p = reserve_aligned_by_virtualalloc2(size, alignment);
    if (p == NULL && path <= PATH_RETRY)
        p = reserve_aligned_by_retry(size, alignment);
    if (p == NULL)
        p = reserve_aligned_inside_larger(size, alignment);
    return p;
}

bool os_commit(void *addr, size_t size)
{
    /* Commit is where Windows charges memory against the commit limit, so this
       is where "out of memory" shows up.  Committing committed pages is allowed
       and keeps their contents. */
    if (size == 0)
        return true;
    return VirtualAlloc(addr, size, MEM_COMMIT, PAGE_READWRITE) != NULL;
}

bool os_decommit(void *addr, size_t size)
{
    /* The pages and their commit charge go back; touching them faults, as
       PAGE_NOACCESS would, until os_commit gives fresh zeroed ones.  Size 0
       must not reach VirtualFree: with MEM_DECOMMIT it means "the whole
       reservation" there. */
    if (size == 0)
        return true;
    return VirtualFree(addr, size, MEM_DECOMMIT) != 0;
}

bool os_discard(void *addr, size_t size)
{
    /* MEM_RESET: the pages stay committed and accessible, but Windows may drop
       their contents instead of writing them to the page file.  Touched again
       they hold their old bytes or zeros, which os.h allows.  (The protection
       argument is ignored with MEM_RESET, but must be a valid one.) */
    if (size == 0)
        return true;
    return VirtualAlloc(addr, size, MEM_RESET, PAGE_NOACCESS) != NULL;
}

/* One reservation, as VirtualQuery sees it, and the part of it handed out. */
struct reservation {
    char *base, *end;   /* what VirtualAlloc reserved: [AllocationBase, end) */
    char *start, *stop; /* what os_reserve* or os_map returned: [start, stop) */
};

/* Finds the reservation holding addr.  False when addr is not reserved. */
static bool find_reservation(void *addr, struct reservation *r)
{
    MEMORY_BASIC_INFORMATION info;
    if (VirtualQuery(addr, &info, sizeof info) == 0 || info.State == MEM_FREE)
        return false;
    r->base = info.AllocationBase;
    /* VirtualQuery describes runs of pages in the same state; walk them to the
       first that belongs to another reservation (or none). */
    char *end = (char *)info.BaseAddress + info.RegionSize;
    while (VirtualQuery(end, &info, sizeof info) != 0 && info.AllocationBase == r->base)
        end += info.RegionSize;
    r->end = end;
    r->start = r->base;
    r->stop = end;

    if (VirtualQuery(r->base, &info, sizeof info) != 0 && info.AllocationProtect == LAST_RESORT_MARK &&
        info.State == MEM_COMMIT) {
        const struct last_resort_note *note = (const struct last_resort_note *)r->base;
        if (note->base == r->base) {
            r->start = note->start;
            r->stop = note->start + note->size;
        }
    }
    return true;
}

bool os_release(void *addr, size_t size)
{
    /* POSIX unmaps exactly [addr, addr + size).  Windows frees only whole
       reservations, and only from their AllocationBase, so: a range that
       covers all that was handed out frees the reservation (from its base,
       which for path 3 of os_reserve_aligned lies before addr); a part of it is
       decommitted - its memory goes back now, its addresses with the rest. */
    struct reservation r;
    if (size == 0 || !find_reservation(addr, &r))
        return false;
    char *from = addr;
    char *to = from + align_up(size, os_page_size());
    if (from <= r.start && to >= r.stop)
        return VirtualFree(r.base, 0, MEM_RELEASE) != 0;
    if (to > r.end) /* one VirtualFree cannot span reservations */
        to = r.end;
    return os_decommit(from, (size_t)(to - from));
}

void *os_remap(void *addr, size_t old_size, size_t new_size)
{
    /* Windows cannot move or grow a reservation in place: the caller copies. */
    (void)addr;
    (void)old_size;
    (void)new_size;
    return NULL;
}

/* ---- locks ---------------------------------------------------------------- */

/*
 * A slim reader/writer lock, used only exclusively.  It is what os_posix.c's
 * futex lock is, built into Windows: one pointer-sized word, zero when free
 * (SRWLOCK_INIT), an atomic instruction to take or give it uncontended, and a
 * sleep in the kernel only under contention.  Unlike a CRITICAL_SECTION it needs
 * no initialisation call and no cleanup, so a static lock just works.
 */
static inline SRWLOCK *srw(os_lock_t *lock) { return (SRWLOCK *)lock; }

void os_lock_init(os_lock_t *lock) { InitializeSRWLock(srw(lock)); }

bool os_trylock(os_lock_t *lock) { return TryAcquireSRWLockExclusive(srw(lock)) != 0; }

void os_lock(os_lock_t *lock) { AcquireSRWLockExclusive(srw(lock)); }

void os_unlock(os_lock_t *lock) { ReleaseSRWLockExclusive(srw(lock)); }

/* An SRWLOCK cannot say who holds it: a visitor is an ordinary holder. */
void os_lock_as_visitor(os_lock_t *lock) { os_lock(lock); }

bool os_lock_unless_used(os_lock_t *lock) { return os_trylock(lock); }

/* ---- threads ---------------------------------------------------------------- */

/* A fiber-local storage slot whose value is only a flag: its callback is the
   hook.  Windows calls an FLS callback when a thread exits with a non-NULL
   value in the slot - before DLL_THREAD_DETACH and the TLS callbacks that free
   the thread's OS_THREAD_LOCAL variables, so the hook still sees the thread's
   arena.  (The slot is per fiber, the arena per thread: in a program that
   switches fibers the hook may run when a fiber is deleted, detaching the
   thread early - it attaches again on its next call - or not at all if the
   thread ends on a fiber that never armed it.  arenalloc does not aim at
   fibers.) */
static DWORD exit_slot = FLS_OUT_OF_INDEXES;
static void (*exit_fn)(void);

/* Windows also calls FLS callbacks for the thread that ends the process, after
   ExitProcess has killed every other thread - perhaps one inside malloc,
   holding a lock the hook would then wait for forever.  glibc runs no
   thread-exit destructors at exit() either, so the hook is skipped then.
   ntdll's RtlDllShutdownInProgress says which case this is; it is looked up
   at run time because no import library declares it. */
typedef BOOLEAN(NTAPI *shutdown_in_progress_fn)(void);
static shutdown_in_progress_fn shutdown_in_progress;

static void NTAPI run_exit_hook(void *flag)
{
    (void)flag;
    if (shutdown_in_progress != NULL && shutdown_in_progress())
        return;
    exit_fn();
}

bool os_thread_exit_hook(void (*fn)(void))
{
    HMODULE ntdll = GetModuleHandleA("ntdll.dll");
    if (ntdll != NULL)
        shutdown_in_progress = (shutdown_in_progress_fn)(void (*)(void))GetProcAddress(ntdll, "RtlDllShutdownInProgress");
    exit_fn = fn;
    exit_slot = FlsAlloc(run_exit_hook);
    return exit_slot != FLS_OUT_OF_INDEXES;
}

void os_thread_exit_arm(void)
{
    if (exit_slot != FLS_OUT_OF_INDEXES)
        FlsSetValue(exit_slot, (void *)1);
}

bool os_single_threaded(void)
{
    /* Windows keeps no such flag (and the process may have threads the loader
       started); os.h allows "unknown".  Only fork needed it. */
    return false;
}

int os_ncpus(void)
{
    /* Every processor group, not only ours: on machines with more than 64
       processors, GetSystemInfo counts one group. */
    DWORD n = GetActiveProcessorCount(ALL_PROCESSOR_GROUPS);
    return n >= 1 && n <= (DWORD)INT32_MAX ? (int)n : 1;
}

void os_random(void *buf, size_t size)
{
    /* rand_s asks the system's generator (RtlGenRandom) four bytes at a time;
       should it fail, the counter and an address still differ from run to run. */
    unsigned char *out = buf;
    LARGE_INTEGER t;
    QueryPerformanceCounter(&t);
    unsigned fallback = (unsigned)t.QuadPart ^ (unsigned)(uintptr_t)&t;
    for (size_t i = 0; i < size; i += 4) {
        unsigned r;
        if (rand_s(&r) != 0)
            r = fallback = fallback * 1103515245u + 12345u;
        for (size_t j = 0; j < 4 && i + j < size; j++)
            out[i + j] = (unsigned char)(r >> (8 * j));
    }
}

/* ---- process -------------------------------------------------------------- */

bool os_atfork(void (*prepare)(void), void (*parent)(void), void (*child)(void))
{
    /* Windows has no fork, so there is nothing to register and nothing that
       could fail. */
    (void)prepare;
    (void)parent;
    (void)child;
    return true;
}

/* Windows threads have no cancellation points: nothing to defer. */
int os_disable_cancel(void) { return 0; }

void os_restore_cancel(int old) { (void)old; }

const char *os_getenv(const char *name)
{
    /* The process environment block, not the C runtime's copy of it (which a
       SetEnvironmentVariable does not reach).  The value is copied into a
       buffer of the calling thread, valid until that thread's next call: the
       callers (tunables at start-up) parse each value before asking for the
       next.  A value that does not fit is treated as unset, as a malformed one
       is.  GetEnvironmentVariableA reports "unset" and "set but empty" both as
       0; the last error tells them apart. */
    static OS_THREAD_LOCAL char value[4096];
    SetLastError(ERROR_SUCCESS);
    DWORD n = GetEnvironmentVariableA(name, value, sizeof value);
    if (n >= sizeof value)
        return NULL;
    if (n == 0) {
        if (GetLastError() == ERROR_ENVVAR_NOT_FOUND)
            return NULL;
        value[0] = '\0';
    }
    return value;
}

const char *os_program_name(void)
{
    return ""; /* glibc's messages are the reference; Windows has no __progname */
}

void os_write_error(const char *message)
{
    /* Not stdio: fprintf may allocate its buffer, and stderr's lock may be held
       by the very code that called into the allocator.  A console, a pipe and a
       file all take WriteFile. */
    HANDLE err = GetStdHandle(STD_ERROR_HANDLE);
    if (err == NULL || err == INVALID_HANDLE_VALUE)
        return; /* no stderr (a GUI program): there is nobody to tell */
    size_t left = strlen(message);
    while (left > 0) {
        DWORD chunk = left > 0x10000 ? 0x10000 : (DWORD)left;
        DWORD written = 0;
        if (!WriteFile(err, message, chunk, &written, NULL) || written == 0)
            break; /* stderr is closed or broken */
        message += written;
        left -= written;
    }
}

_Noreturn void os_abort(void)
{
    /* Ends the process at once with exit code 3, abort's code on Windows.
       Not abort(), nor raise(SIGABRT): Windows has no signals, and the C
       runtime that emulates them ends the process with ExitProcess, which runs
       every thread-exit callback - ours too, which would take the lock of an
       arena this very thread holds while it reports the corruption, and wait
       forever.  TerminateProcess runs nothing: no callbacks, no stdio flush, no
       dialog.  (It does not return for the calling process; the loop only
       tells the compiler so.) */
    for (;;)
        TerminateProcess(GetCurrentProcess(), 3);
}
