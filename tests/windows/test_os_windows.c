/*
 * test_os_windows.c - the OS layer on Windows (syscall/os_windows.c), seen
 * through VirtualQuery.
 *
 * Pages and granularity; reserve, commit, decommit and release, each checked
 * against the state Windows reports for the pages (MEM_RESERVE, MEM_COMMIT,
 * MEM_FREE); aligned reservations from a page to 64 MiB by each of the three
 * paths of os_reserve_aligned (VirtualAlloc2; reserve-release-re-reserve, forced
 * with ARENALLOC_WIN_NO_VIRTUALALLOC2=1; the oversized reservation, forced with
 * =last-resort); releasing a part and the whole; locks; the thread-exit hook; the
 * environment, stderr and abort; and the emulated brk that main_arena grows.
 */
#include "tests/windows/win_runner.h"

#include <errno.h>
#include <string.h>

#include <windows.h>

#include "arenalloc.h"
#include "syscall/os.h"

static const size_t KiB = 1024, MiB = 1024 * 1024;

/* ---- what Windows says about pages -------------------------------------------- */

static MEMORY_BASIC_INFORMATION query(const void *p)
{
    MEMORY_BASIC_INFORMATION info;
    if (VirtualQuery(p, &info, sizeof info) == 0)
        memset(&info, 0, sizeof info);
    return info;
}

/* True when every page of [p, p + size) is in `state` (and, for MEM_COMMIT,
   readable and writable). */
static bool pages_are(const void *p, size_t size, DWORD state)
{
    const char *at = p, *end = at + size;
    while (at < end) {
        MEMORY_BASIC_INFORMATION info = query(at);
        if (info.RegionSize == 0 || info.State != state)
            return false;
        if (state == MEM_COMMIT && info.Protect != PAGE_READWRITE)
            return false;
        at = (const char *)info.BaseAddress + info.RegionSize;
    }
    return true;
}

static bool all_bytes_are(const void *p, size_t size, unsigned char value)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < size; i++)
        if (b[i] != value)
            return false;
    return true;
}

/* Chooses os_reserve_aligned's first path: NULL for the normal order. */
static void force_path(const char *value) { SetEnvironmentVariableA("ARENALLOC_WIN_NO_VIRTUALALLOC2", value); }

/* ---- pages ---------------------------------------------------------------- */

static void test_page_size_and_granularity(void)
{
    SYSTEM_INFO info;
    GetSystemInfo(&info);
    CHECK(os_page_size() == info.dwPageSize);
    CHECK(os_page_size() == 4096);
    /* Reservations start on the granularity: an unaligned reserve shows it. */
    char *p = os_reserve(os_page_size());
    CHECK(p != NULL);
    CHECK((uintptr_t)p % info.dwAllocationGranularity == 0);
    CHECK(os_release(p, os_page_size()));
    win_note("page %lu bytes, allocation granularity %lu KiB, %d processors", info.dwPageSize,
             info.dwAllocationGranularity / 1024, os_ncpus());
}

/* ---- reserve, commit, decommit, release ------------------------------------------ */

static void test_reserve_commit_decommit_release(void)
{
    size_t page = os_page_size();
    char *p = os_reserve(4 * page);
    CHECK(p != NULL);
    CHECK(pages_are(p, 4 * page, MEM_RESERVE));

    CHECK(os_commit(p + page, 2 * page));
    CHECK(pages_are(p + page, 2 * page, MEM_COMMIT));
    CHECK(pages_are(p, page, MEM_RESERVE));
    CHECK(pages_are(p + 3 * page, page, MEM_RESERVE));
    CHECK(all_bytes_are(p + page, 2 * page, 0));
    memset(p + page, 0x5a, 2 * page);

    CHECK(os_decommit(p + page, page));
    CHECK(pages_are(p + page, page, MEM_RESERVE));
    CHECK(pages_are(p + 2 * page, page, MEM_COMMIT));
    CHECK(all_bytes_are(p + 2 * page, page, 0x5a)); /* the neighbour keeps its contents */
    CHECK(os_commit(p + page, page));
    CHECK(all_bytes_are(p + page, page, 0)); /* recommitted pages are fresh */
    CHECK(os_decommit(p, 0));                /* nothing: not "the whole region" */
    CHECK(pages_are(p + page, 2 * page, MEM_COMMIT));

    CHECK(os_release(p, 4 * page));
    CHECK(pages_are(p, 4 * page, MEM_FREE));
}

static void test_map_is_zeroed_and_released(void)
{
    size_t size = 16 * os_page_size();
    char *p = os_map(size);
    CHECK(p != NULL);
    CHECK(pages_are(p, size, MEM_COMMIT));
    CHECK(all_bytes_are(p, size, 0));
    memset(p, 0x5a, size);
    CHECK(os_release(p, size));
    CHECK(pages_are(p, size, MEM_FREE));
}

static void test_discard_keeps_range_accessible(void)
{
    size_t page = os_page_size();
    char *p = os_map(4 * page);
    CHECK(p != NULL);
    memset(p, 0x5a, 4 * page);
    CHECK(os_discard(p, 4 * page));
    CHECK(pages_are(p, 4 * page, MEM_COMMIT));
    for (size_t i = 0; i < 4 * page; i++) /* os.h allows either */
        CHECK(p[i] == 0 || p[i] == 0x5a);
    memset(p, 0x33, 4 * page);
    CHECK(all_bytes_are(p, 4 * page, 0x33));
    CHECK(os_release(p, 4 * page));
}

static void test_remap_says_copy(void)
{
    size_t page = os_page_size();
    char *p = os_map(2 * page);
    CHECK(p != NULL);
    CHECK(os_remap(p, 2 * page, 64 * page) == NULL);
    CHECK(pages_are(p, 2 * page, MEM_COMMIT)); /* untouched */
    CHECK(os_release(p, 2 * page));
}

/* ---- aligned reservations ---------------------------------------------------- */

enum path { VIRTUALALLOC2, RETRY, LAST_RESORT };
static const char *const path_value[] = {NULL, "1", "last-resort"};
static const char *const path_name[] = {"VirtualAlloc2 (or its fallback)", "retry", "last resort"};

/* Reserves, checks where Windows put it, commits all and uses the first and
   last page, releases, and checks that the whole reservation went. */
static void check_aligned(size_t size, size_t alignment, enum path path)
{
    char *p = os_reserve_aligned(size, alignment);
    CHECK_MSG(p != NULL, "%s: os_reserve_aligned(%zu, %zu) failed", path_name[path], size, alignment);
    CHECK_MSG((uintptr_t)p % alignment == 0, "%s: %p not aligned to %zu", path_name[path], (void *)p, alignment);

    MEMORY_BASIC_INFORMATION info = query(p);
    char *base = info.AllocationBase;
    CHECK(info.State == MEM_RESERVE);
    if (path == LAST_RESORT && alignment > 64 * KiB)
        CHECK_MSG(base < p && p - base <= (ptrdiff_t)alignment, "last resort: base %p, p %p", (void *)base, (void *)p);
    else
        CHECK_MSG(base == p, "%s: AllocationBase %p, p %p", path_name[path], (void *)base, (void *)p);

    size_t page = os_page_size();
    CHECK(os_commit(p, size));
    CHECK(all_bytes_are(p, page, 0));
    CHECK(all_bytes_are(p + size - page, page, 0));
    p[0] = 1;
    p[size - 1] = 1;
    CHECK(os_release(p, size));
    CHECK(pages_are(p, size, MEM_FREE));
    CHECK(query(base).State == MEM_FREE);
}

static void check_every_alignment(enum path path)
{
    size_t page = os_page_size();
    force_path(path_value[path]);
    for (size_t alignment = page; alignment <= 64 * MiB; alignment *= 2) {
        check_aligned(page, alignment, path);
        if (3 * page <= alignment)
            check_aligned(3 * page, alignment, path);
        check_aligned(alignment, alignment, path);
        if (win_failed())
            break;
    }
    force_path(NULL);
}

static void test_aligned_by_virtualalloc2(void)
{
    /* Report what this Windows (or Wine) offers; the library must work either way. */
    HMODULE kernelbase = GetModuleHandleA("kernelbase.dll");
    FARPROC va2 = kernelbase != NULL ? GetProcAddress(kernelbase, "VirtualAlloc2") : NULL;
    win_note("VirtualAlloc2 in kernelbase.dll: %s", va2 != NULL ? "found" : "missing (the fallback is used)");
    check_every_alignment(VIRTUALALLOC2);
}

static void test_aligned_by_retry(void) { check_every_alignment(RETRY); }

static void test_aligned_by_last_resort(void) { check_every_alignment(LAST_RESORT); }

/* Shows where each path put a heap-sized reservation. */
static void test_aligned_paths_show_themselves(void)
{
    for (enum path path = VIRTUALALLOC2; path <= LAST_RESORT; path++) {
        force_path(path_value[path]);
        char *p = os_reserve_aligned(MiB, MiB);
        force_path(NULL);
        CHECK(p != NULL);
        char *base = query(p).AllocationBase;
        win_note("ARENALLOC_WIN_NO_VIRTUALALLOC2=%s: os_reserve_aligned(1 MiB, 1 MiB) = %p, AllocationBase %p "
                 "(%zu KiB before it)",
                 path_value[path] != NULL ? path_value[path] : "(unset)", (void *)p, (void *)base,
                 (size_t)(p - base) / KiB);
        CHECK((uintptr_t)p % MiB == 0);
        CHECK(path == LAST_RESORT ? base < p : base == p);
        CHECK(os_release(p, MiB));
        CHECK(query(base).State == MEM_FREE);
    }
}

/* Runs os_reserve_aligned(size, alignment) with stderr going into a pipe. */
static void *reserve_capturing_stderr(size_t size, size_t alignment, char *out, size_t out_size)
{
    HANDLE rd, wr;
    out[0] = '\0';
    if (!CreatePipe(&rd, &wr, NULL, 65536))
        return NULL;
    HANDLE old = GetStdHandle(STD_ERROR_HANDLE);
    SetStdHandle(STD_ERROR_HANDLE, wr);
    void *p = os_reserve_aligned(size, alignment);
    SetStdHandle(STD_ERROR_HANDLE, old);
    CloseHandle(wr);
    DWORD n = 0;
    if (!ReadFile(rd, out, (DWORD)out_size - 1, &n, NULL))
        n = 0;
    out[n] = '\0';
    CloseHandle(rd);
    return p;
}

static void test_aligned_refuses_what_masking_cannot_find(void)
{
    size_t page = os_page_size();
    char message[512];
    errno = 0;
    CHECK(reserve_capturing_stderr(2 * MiB, MiB, message, sizeof message) == NULL);
    CHECK(errno == EINVAL);
    CHECK_MSG(strstr(message, "masking") != NULL, "stderr said: \"%s\"", message);
    win_note("os_reserve_aligned(2 MiB, 1 MiB) said: %.*s", (int)strcspn(message, "\n"), message);
    CHECK(reserve_capturing_stderr(2 * page, page, message, sizeof message) == NULL);

    const size_t bad[] = {0, 1, 3, page / 2, page + 1, 3 * page, 128 * MiB, SIZE_MAX};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        CHECK_MSG(os_reserve_aligned(page, bad[i]) == NULL, "alignment %zu accepted", bad[i]);
    CHECK(os_reserve_aligned(0, page) == NULL);
    CHECK(os_reserve_aligned(SIZE_MAX, page) == NULL);
    CHECK(os_reserve_aligned(SIZE_MAX - page + 1, page) == NULL);
}

/* ---- releasing a part, then the whole ----------------------------------------- */

static void check_release_in_parts(enum path path)
{
    force_path(path_value[path]);
    char *p = os_reserve_aligned(MiB, MiB);
    force_path(NULL);
    CHECK(p != NULL);
    char *base = query(p).AllocationBase;
    CHECK(os_commit(p, MiB));
    memset(p, 0x5a, MiB);

    /* A tail, then a head: decommitted, still reserved, the middle untouched. */
    CHECK(os_release(p + 768 * KiB, 256 * KiB));
    CHECK(pages_are(p + 768 * KiB, 256 * KiB, MEM_RESERVE));
    CHECK(os_release(p, 64 * KiB));
    CHECK(pages_are(p, 64 * KiB, MEM_RESERVE));
    CHECK(pages_are(p + 64 * KiB, 704 * KiB, MEM_COMMIT));
    CHECK(all_bytes_are(p + 64 * KiB, 704 * KiB, 0x5a));
    CHECK(query(base).State != MEM_FREE);

    /* The whole: the reservation goes, from its base. */
    CHECK(os_release(p, MiB));
    CHECK(pages_are(p, MiB, MEM_FREE));
    CHECK(query(base).State == MEM_FREE);
}

static void test_release_part_decommits_whole_frees(void)
{
    for (enum path path = VIRTUALALLOC2; path <= LAST_RESORT && !win_failed(); path++)
        check_release_in_parts(path);

    /* The same for os_map and os_reserve. */
    size_t page = os_page_size();
    char *m = os_map(8 * page);
    CHECK(m != NULL);
    CHECK(os_release(m + 6 * page, 2 * page));
    CHECK(pages_are(m + 6 * page, 2 * page, MEM_RESERVE));
    CHECK(pages_are(m, 6 * page, MEM_COMMIT));
    CHECK(os_release(m, 8 * page));
    CHECK(pages_are(m, 8 * page, MEM_FREE));
    CHECK(!os_release(m, 8 * page)); /* nothing there any more */
}

/* ---- locks ------------------------------------------------------------------ */

static DWORD WINAPI trylock_in_thread(void *lock) { return os_trylock(lock) ? 1 : 0; }

static bool trylock_in_another_thread(os_lock_t *lock)
{
    HANDLE thread = CreateThread(NULL, 0, trylock_in_thread, lock, 0, NULL);
    if (thread == NULL)
        return false;
    WaitForSingleObject(thread, INFINITE);
    DWORD result = 0;
    GetExitCodeThread(thread, &result);
    CloseHandle(thread);
    return result == 1;
}

static void test_trylock_fails_while_held(void)
{
    os_lock_t lock = OS_LOCK_INITIALIZER;
    CHECK(os_trylock(&lock));
    CHECK(!trylock_in_another_thread(&lock));
    os_unlock(&lock);
    CHECK(trylock_in_another_thread(&lock)); /* that thread took it and exited */
    os_lock_init(&lock);
    os_lock(&lock);
    CHECK(!os_trylock(&lock)); /* not recursive */
    os_unlock(&lock);
}

static os_lock_t counter_lock = OS_LOCK_INITIALIZER;
static volatile long counter;
enum { COUNTING_THREADS = 4, COUNTS_PER_THREAD = 200000 };

static DWORD WINAPI count_under_lock(void *unused)
{
    (void)unused;
    for (int i = 0; i < COUNTS_PER_THREAD; i++) {
        os_lock(&counter_lock);
        counter = counter + 1; /* not atomic: only the lock keeps it right */
        os_unlock(&counter_lock);
    }
    return 0;
}

static void test_lock_excludes(void)
{
    HANDLE threads[COUNTING_THREADS];
    counter = 0;
    for (int i = 0; i < COUNTING_THREADS; i++) {
        threads[i] = CreateThread(NULL, 0, count_under_lock, NULL, 0, NULL);
        CHECK(threads[i] != NULL);
    }
    WaitForMultipleObjects(COUNTING_THREADS, threads, TRUE, INFINITE);
    for (int i = 0; i < COUNTING_THREADS; i++)
        CloseHandle(threads[i]);
    CHECK_MSG(counter == (long)COUNTING_THREADS * COUNTS_PER_THREAD, "counter %ld", counter);
}

/* ---- threads and process --------------------------------------------------------- */

static void test_thread_exit_hook(void)
{
    /* The hook is one per process and the allocator registers its own, so the
       test registers one in a fresh process. */
    CHECK(win_run_child("exit-hook", NULL) == 0);
}

static void test_process_services(void)
{
    CHECK(os_ncpus() >= 1);
    CHECK(!os_single_threaded());
    CHECK(os_atfork(NULL, NULL, NULL)); /* no fork: nothing is called, ever */
    os_restore_cancel(os_disable_cancel());

    SetEnvironmentVariableA("ARENALLOC_TEST_VARIABLE", "42");
    const char *v = os_getenv("ARENALLOC_TEST_VARIABLE");
    CHECK(v != NULL && strcmp(v, "42") == 0);
    SetEnvironmentVariableA("ARENALLOC_TEST_VARIABLE", "");
    v = os_getenv("ARENALLOC_TEST_VARIABLE");
    CHECK(v != NULL && v[0] == '\0');
    SetEnvironmentVariableA("ARENALLOC_TEST_VARIABLE", NULL);
    CHECK(os_getenv("ARENALLOC_TEST_VARIABLE") == NULL);
    static char long_value[5000];
    memset(long_value, 'x', sizeof long_value - 1);
    SetEnvironmentVariableA("ARENALLOC_TEST_VARIABLE", long_value);
    CHECK(os_getenv("ARENALLOC_TEST_VARIABLE") == NULL); /* too long: unset */
    SetEnvironmentVariableA("ARENALLOC_TEST_VARIABLE", NULL);
}

static void test_write_error_reaches_stderr(void)
{
    HANDLE rd, wr;
    CHECK(CreatePipe(&rd, &wr, NULL, 65536));
    HANDLE old = GetStdHandle(STD_ERROR_HANDLE);
    SetStdHandle(STD_ERROR_HANDLE, wr);
    os_write_error("arenalloc: a message\n");
    SetStdHandle(STD_ERROR_HANDLE, old);
    CloseHandle(wr);
    char got[64] = "";
    DWORD n = 0;
    ReadFile(rd, got, sizeof got - 1, &n, NULL);
    CloseHandle(rd);
    got[n] = '\0';
    CHECK_MSG(strcmp(got, "arenalloc: a message\n") == 0, "got \"%s\"", got);
}

static void test_faults_and_aborts(void)
{
    CHECK(win_run_child("touch-reserved", NULL) == (long)EXCEPTION_ACCESS_VIOLATION);
    CHECK(win_run_child("touch-decommitted", NULL) == (long)EXCEPTION_ACCESS_VIOLATION);
    CHECK(win_run_child("abort", NULL) == 3);
    /* glibc's check and message, then os_abort. */
    win_note("the child's stderr follows: \"double free or corruption (fasttop)\"");
    CHECK(win_run_child("double-free", NULL) == 3);
}

static void test_emulated_brk(void) { CHECK(win_run_child("brk", NULL) == 0); }

void os_windows_tests(void)
{
    win_run("os: page size and granularity", test_page_size_and_granularity);
    win_run("os: reserve, commit, decommit, release", test_reserve_commit_decommit_release);
    win_run("os: map is zeroed and released", test_map_is_zeroed_and_released);
    win_run("os: discard keeps the range accessible", test_discard_keeps_range_accessible);
    win_run("os: remap says copy", test_remap_says_copy);
    win_run("os: aligned 4 KiB..64 MiB, VirtualAlloc2", test_aligned_by_virtualalloc2);
    win_run("os: aligned 4 KiB..64 MiB, retry (forced)", test_aligned_by_retry);
    win_run("os: aligned 4 KiB..64 MiB, last resort (forced)", test_aligned_by_last_resort);
    win_run("os: aligned, each path shows itself", test_aligned_paths_show_themselves);
    win_run("os: aligned refuses what masking cannot find", test_aligned_refuses_what_masking_cannot_find);
    win_run("os: release of a part decommits, of the whole frees", test_release_part_decommits_whole_frees);
    win_run("os: trylock fails while held", test_trylock_fails_while_held);
    win_run("os: lock excludes", test_lock_excludes);
    win_run("os: thread-exit hook", test_thread_exit_hook);
    win_run("os: environment, ncpus, fork, cancel", test_process_services);
    win_run("os: write_error reaches stderr", test_write_error_reaches_stderr);
    win_run("os: faults and aborts (children)", test_faults_and_aborts);
    win_run("os: emulated brk (child)", test_emulated_brk);
}

/* ---- children ---------------------------------------------------------------- */

static int child_touch_reserved(void)
{
    volatile char *p = os_reserve(os_page_size());
    p[0] = 1;
    return 0; /* survived: wrong */
}

static int child_touch_decommitted(void)
{
    size_t page = os_page_size();
    volatile char *p = os_map(2 * page);
    p[page] = 1;
    os_decommit((char *)p, page);
    p[page] = 2; /* still committed */
    p[0] = 1;    /* faults */
    return 0;
}

static int child_abort(void)
{
    os_abort();
}

static int child_double_free(void)
{
    void *p = arenalloc_malloc(24);
    arenalloc_free(p);
    arenalloc_free(p); /* fastbin top: "double free or corruption (fasttop)" */
    return 0;
}

static volatile LONG hook_calls;
static DWORD main_thread;

static void count_exit(void)
{
    /* At process exit the hook must not run (os_windows.c): if it does, the
       exit code says so. */
    if (GetCurrentThreadId() == main_thread)
        TerminateProcess(GetCurrentProcess(), 99);
    InterlockedIncrement(&hook_calls);
}

static DWORD WINAPI arm_and_exit(void *arm)
{
    if (arm != NULL)
        os_thread_exit_arm();
    return 0;
}

static bool run_thread(bool arm)
{
    HANDLE t = CreateThread(NULL, 0, arm_and_exit, arm ? (void *)1 : NULL, 0, NULL);
    if (t == NULL)
        return false;
    WaitForSingleObject(t, INFINITE);
    CloseHandle(t);
    return true;
}

static int child_exit_hook(void)
{
    if (!os_thread_exit_hook(count_exit))
        return 1;
    if (!run_thread(true) || hook_calls != 1)
        return 2;
    if (!run_thread(false) || hook_calls != 1) /* not armed: not called */
        return 3;
    if (!run_thread(true) || hook_calls != 2)
        return 4;
    main_thread = GetCurrentThreadId();
    os_thread_exit_arm(); /* and return: the process ends with this thread */
    return 0;
}

/* The emulated brk: sbrk's contract, with the pages committed exactly where the
   break is (brk_emulated.c). */
static int child_brk(void)
{
    size_t page = os_page_size();
    char *start = os_morecore(0);
    if (start == NULL || (uintptr_t)start % page != 0)
        return 1;
    if (query(start).State != MEM_RESERVE) /* nothing committed yet */
        return 2;
    char *old = os_morecore((intptr_t)(10 * page + 100));
    if (old != start || os_morecore(0) != start + 10 * page + 100)
        return 3;
    if (!pages_are(start, 11 * page, MEM_COMMIT) || !pages_are(start + 11 * page, page, MEM_RESERVE))
        return 4;
    if (!all_bytes_are(start, 10 * page + 100, 0))
        return 5;
    memset(start, 0x5a, 10 * page + 100);
    if (os_morecore(-(intptr_t)(5 * page)) != start + 10 * page + 100)
        return 6;
    /* The break is at 5 pages + 100: six pages stay committed. */
    if (!pages_are(start, 6 * page, MEM_COMMIT) || !pages_are(start + 6 * page, 5 * page, MEM_RESERVE))
        return 7;
    if (os_morecore((intptr_t)(5 * page)) == NULL || !all_bytes_are(start + 6 * page, 4 * page, 0))
        return 8; /* pages given back come back zeroed */
    if (os_morecore(-(intptr_t)(20 * page)) != NULL) /* below the start: refused */
        return 9;
    if (os_morecore(-(intptr_t)(10 * page + 100)) == NULL || os_morecore(0) != start)
        return 10;
    if (!pages_are(start, page, MEM_RESERVE))
        return 11;
    return 0;
}

const struct win_child os_windows_children[] = {
    {"touch-reserved", child_touch_reserved},
    {"touch-decommitted", child_touch_decommitted},
    {"abort", child_abort},
    {"double-free", child_double_free},
    {"exit-hook", child_exit_hook},
    {"brk", child_brk},
    {NULL, NULL},
};
