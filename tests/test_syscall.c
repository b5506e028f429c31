/*
 * test_syscall.c - the Check suite for the OS layer (syscall/os.h).
 *
 * Pages, reservations and their alignment, commit and decommit, locks, fork
 * hooks, the error path, and the emulated brk of the prefixed build, which is
 * what this suite is linked against.  tests/check_main.c runs it through
 * syscall_suite().
 *
 * Whatever should kill a process (touching an inaccessible page, os_abort) is
 * done in a forked child (see signal_that_kills), so the suite also runs with
 * CK_FORK=no, where Check would die with the test instead of reporting it.
 */
#include "syscall/os.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

Suite *syscall_suite(void);

/* The largest alignment os.h promises os_reserve_aligned takes. */
static const size_t max_alignment = OS_MAX_ALIGNMENT;

/* ---- helpers -------------------------------------------------------------- */

/* Runs body(arg) in a forked child, which has its own copy of our mappings,
   and returns the signal that killed it, or 0 when it lived. */
static int signal_that_kills(void (*body)(void *), void *arg)
{
    pid_t child = fork();
    ck_assert_int_ge(child, 0);
    if (child == 0) {
        /* No core file for a death on purpose, and no sanitizer's SIGSEGV
           handler turning the death into an exit. */
        struct rlimit no_core = {0, 0};
        setrlimit(RLIMIT_CORE, &no_core);
        signal(SIGSEGV, SIG_DFL);
        body(arg);
        _exit(0);
    }
    int status;
    ck_assert_int_eq(waitpid(child, &status, 0), child);
    return WIFSIGNALED(status) ? WTERMSIG(status) : 0;
}

static void write_a_byte(void *p)
{
    *(volatile char *)p = 1;
}

static bool touching_faults(char *p)
{
    return signal_that_kills(write_a_byte, p) == SIGSEGV;
}

/* Is any page of [p, p + size) mapped, accessible or not?  mincore answers
   ENOMEM for a page that is not, without touching it. */
static bool is_mapped(char *p, size_t size)
{
    size_t page = os_page_size();
    for (size_t offset = 0; offset < size; offset += page) {
        unsigned char resident;
        if (mincore(p + offset, page, &resident) == 0)
            return true;
        ck_assert_int_eq(errno, ENOMEM);
    }
    return false;
}

static bool all_bytes_are(const char *p, size_t size, unsigned char value)
{
    for (size_t i = 0; i < size; i++)
        if ((unsigned char)p[i] != value)
            return false;
    return true;
}

/* The process's whole address space in KiB, as /proc/self/status says.  Read
   with open/read into the stack, so asking changes nothing. */
static long vm_size_kib(void)
{
    char text[4096];
    int fd = open("/proc/self/status", O_RDONLY);
    ck_assert_int_ge(fd, 0);
    ssize_t length = read(fd, text, sizeof text - 1);
    close(fd);
    ck_assert_int_gt(length, 0);
    text[length] = '\0';
    const char *field = strstr(text, "\nVmSize:");
    ck_assert_ptr_nonnull(field);
    return strtol(field + strlen("\nVmSize:"), NULL, 10);
}

static char *page_end(char *p)
{
    uintptr_t page = os_page_size();
    return (char *)(((uintptr_t)p + page - 1) & ~(page - 1));
}

/* ---- pages ---------------------------------------------------------------- */

START_TEST(test_page_size_is_a_power_of_two)
{
    size_t page = os_page_size();
    ck_assert_uint_ge(page, 4096);
    ck_assert_uint_eq(page & (page - 1), 0);
    ck_assert_uint_eq(page, (size_t)sysconf(_SC_PAGESIZE));
    ck_assert_uint_eq(os_page_size(), page);
}
END_TEST

/* ---- address space -------------------------------------------------------- */

START_TEST(test_map_is_zeroed_and_writable)
{
    size_t size = 16 * os_page_size();
    char *p = os_map(size);
    ck_assert_ptr_nonnull(p);
    ck_assert(all_bytes_are(p, size, 0));
    memset(p, 0x5a, size);
    ck_assert(all_bytes_are(p, size, 0x5a));
    ck_assert(os_release(p, size));
    ck_assert(!is_mapped(p, size));
}
END_TEST

START_TEST(test_reserve_faults_until_committed)
{
    size_t page = os_page_size();
    char *p = os_reserve(4 * page);
    ck_assert_ptr_nonnull(p);
    ck_assert(touching_faults(p));
    ck_assert(touching_faults(p + 4 * page - 1));

    ck_assert(os_commit(p + page, 2 * page));
    ck_assert(all_bytes_are(p + page, 2 * page, 0));
    memset(p + page, 0x5a, 2 * page);
    ck_assert(!touching_faults(p + page));
    /* Only what was committed: the pages either side still fault. */
    ck_assert(touching_faults(p));
    ck_assert(touching_faults(p + 3 * page));
    ck_assert(os_release(p, 4 * page));
}
END_TEST

/* Commits a fresh aligned reservation and uses its first and last page (all of a
   64 MiB one would be slow to fault in and prove nothing more). */
static void check_aligned_reservation(size_t size, size_t alignment)
{
    size_t page = os_page_size();
    char *p = os_reserve_aligned(size, alignment);
    ck_assert_msg(p != NULL, "os_reserve_aligned(%zu, %zu) failed", size, alignment);
    ck_assert_uint_eq((uintptr_t)p % alignment, 0);
    ck_assert(os_commit(p, size));
    ck_assert(all_bytes_are(p, page, 0));
    ck_assert(all_bytes_are(p + size - page, page, 0));
    p[0] = 1;
    p[size - 1] = 1;
    ck_assert(os_release(p, size));
    ck_assert(!is_mapped(p, size));
}

START_TEST(test_reserve_aligned_every_alignment)
{
    size_t page = os_page_size();
    for (size_t alignment = page; alignment <= max_alignment; alignment *= 2) {
        check_aligned_reservation(page, alignment);
        if (3 * page <= alignment) /* longer ranges are refused (below) */
            check_aligned_reservation(3 * page, alignment);
        check_aligned_reservation(alignment, alignment);
    }
}
END_TEST

/* mmap-and-trim maps size + alignment bytes; all but `size` must be given back
   at once, or every heap would leak up to an alignment of address space. */
START_TEST(test_reserve_aligned_keeps_only_size)
{
    size_t page = os_page_size();
    long before = vm_size_kib();
    char *p = os_reserve_aligned(page, max_alignment);
    ck_assert_ptr_nonnull(p);
    ck_assert_int_eq(vm_size_kib() - before, (long)(page / 1024));
    ck_assert(os_release(p, page));
    ck_assert_int_eq(vm_size_kib(), before);
}
END_TEST

START_TEST(test_reserve_aligned_rejects_bad_alignment)
{
    size_t page = os_page_size();
    const size_t bad[] = {
        0, 1, 3, 3 * page, page + 1, 5 * page, /* not powers of two */
        page / 2,                             /* below the page size */
        2 * max_alignment,                    /* above os.h's range */
        SIZE_MAX,
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        ck_assert_msg(os_reserve_aligned(page, bad[i]) == NULL, "alignment %zu accepted", bad[i]);
    ck_assert_ptr_null(os_reserve_aligned(0, page));
    /* Sizes whose rounding up, or sum with the alignment, would overflow. */
    ck_assert_ptr_null(os_reserve_aligned(SIZE_MAX, page));
    ck_assert_ptr_null(os_reserve_aligned(SIZE_MAX - page + 1, page));
}
END_TEST

/* A range longer than its alignment could not be found back by masking a
   pointer into its end: refused on every OS, with EINVAL. */
START_TEST(test_reserve_aligned_rejects_size_above_alignment)
{
    size_t page = os_page_size();
    errno = 0;
    ck_assert_ptr_null(os_reserve_aligned(2 * page, page));
    ck_assert_int_eq(errno, EINVAL);
    errno = 0;
    ck_assert_ptr_null(os_reserve_aligned((size_t)2 << 20, (size_t)1 << 20));
    ck_assert_int_eq(errno, EINVAL);
    /* Rounded up to a page, a size just above the alignment is still refused. */
    ck_assert_ptr_null(os_reserve_aligned(page + 1, page));
}
END_TEST

START_TEST(test_decommit_faults_and_recommit_reads_zero)
{
    size_t page = os_page_size();
    char *p = os_reserve(4 * page);
    ck_assert_ptr_nonnull(p);
    ck_assert(os_commit(p, 4 * page));
    memset(p, 0x5a, 4 * page);

    ck_assert(os_decommit(p + page, 2 * page));
    ck_assert(touching_faults(p + page));
    ck_assert(touching_faults(p + 3 * page - 1));
    /* The neighbours keep their pages and contents. */
    ck_assert(all_bytes_are(p, page, 0x5a));
    ck_assert(all_bytes_are(p + 3 * page, page, 0x5a));

    ck_assert(os_commit(p + page, 2 * page));
    ck_assert(all_bytes_are(p + page, 2 * page, 0));
    ck_assert(os_release(p, 4 * page));
}
END_TEST

START_TEST(test_discard_keeps_range_accessible)
{
    size_t page = os_page_size();
    char *p = os_map(4 * page);
    ck_assert_ptr_nonnull(p);
    memset(p, 0x5a, 4 * page);
    ck_assert(os_discard(p, 4 * page));
    /* os.h allows either answer: zero (Linux) or the old contents. */
    for (size_t i = 0; i < 4 * page; i++)
        ck_assert(p[i] == 0 || p[i] == 0x5a);
    memset(p, 0x33, 4 * page);
    ck_assert(all_bytes_are(p, 4 * page, 0x33));
    ck_assert(os_release(p, 4 * page));
}
END_TEST

START_TEST(test_remap_grows_keeping_contents)
{
    size_t page = os_page_size();
    size_t old_size = 2 * page, new_size = 64 * page;
    char *p = os_map(old_size);
    ck_assert_ptr_nonnull(p);
    for (size_t i = 0; i < old_size; i++)
        p[i] = (char)(i % 251);

    char *q = os_remap(p, old_size, new_size);
    ck_assert_ptr_nonnull(q);
    for (size_t i = 0; i < old_size; i++)
        ck_assert_int_eq(q[i], (char)(i % 251));
    ck_assert(all_bytes_are(q + old_size, new_size - old_size, 0));
    q[new_size - 1] = 1;
    ck_assert(os_release(q, new_size));
}
END_TEST

/* ---- locks ---------------------------------------------------------------- */

static void *trylock_and_report(void *lock)
{
    return os_trylock(lock) ? lock : NULL;
}

static bool trylock_in_another_thread(os_lock_t *lock)
{
    pthread_t thread;
    void *result;
    ck_assert_int_eq(pthread_create(&thread, NULL, trylock_and_report, lock), 0);
    ck_assert_int_eq(pthread_join(thread, &result), 0);
    return result != NULL;
}

START_TEST(test_trylock_fails_while_held)
{
    os_lock_t lock = OS_LOCK_INITIALIZER;
    ck_assert(os_trylock(&lock));
    ck_assert(!os_trylock(&lock)); /* not recursive */
    ck_assert(!trylock_in_another_thread(&lock));
    os_unlock(&lock);

    ck_assert(trylock_in_another_thread(&lock)); /* and that thread now holds it */
    ck_assert(!os_trylock(&lock));
    os_unlock(&lock);

    os_lock(&lock);
    ck_assert(!trylock_in_another_thread(&lock));
    os_unlock(&lock);
    os_lock_init(&lock);
    ck_assert(os_trylock(&lock));
}
END_TEST

struct handoff {
    os_lock_t lock;
    int value; /* written by the holder before it unlocks */
};

static void *lock_and_read(void *arg)
{
    struct handoff *handoff = arg;
    os_lock(&handoff->lock);
    int value = handoff->value;
    os_unlock(&handoff->lock);
    return (void *)(intptr_t)value;
}

/* A thread blocked in os_lock gets the lock once the holder lets go, sees what
   the holder wrote, and leaves the lock free. */
START_TEST(test_lock_waits_for_the_holder)
{
    struct handoff handoff = {OS_LOCK_INITIALIZER, 0};
    os_lock(&handoff.lock);
    pthread_t thread;
    ck_assert_int_eq(pthread_create(&thread, NULL, lock_and_read, &handoff), 0);
    /* Long enough for the thread to be asleep in the kernel, most of the time;
       the test passes either way, it only covers the sleeping path more often. */
    nanosleep(&(struct timespec){.tv_nsec = 50 * 1000 * 1000}, NULL);
    handoff.value = 42;
    os_unlock(&handoff.lock);

    void *seen;
    ck_assert_int_eq(pthread_join(thread, &seen), 0);
    ck_assert_int_eq((intptr_t)seen, 42);
    ck_assert(os_trylock(&handoff.lock));
}
END_TEST

enum { COUNTING_THREADS = 4, INCREMENTS_PER_THREAD = 100000 };

static os_lock_t counter_lock = OS_LOCK_INITIALIZER;
static long counter; /* a plain long: only the lock keeps increments whole */

static void *count_up(void *unused)
{
    (void)unused;
    for (int i = 0; i < INCREMENTS_PER_THREAD; i++) {
        os_lock(&counter_lock);
        counter++;
        os_unlock(&counter_lock);
    }
    return NULL;
}

START_TEST(test_lock_counts_exactly)
{
    pthread_t threads[COUNTING_THREADS];
    counter = 0;
    for (int i = 0; i < COUNTING_THREADS; i++)
        ck_assert_int_eq(pthread_create(&threads[i], NULL, count_up, NULL), 0);
    for (int i = 0; i < COUNTING_THREADS; i++)
        ck_assert_int_eq(pthread_join(threads[i], NULL), 0);
    ck_assert_int_eq(counter, (long)COUNTING_THREADS * INCREMENTS_PER_THREAD);
    ck_assert(os_trylock(&counter_lock));
}
END_TEST

/* ---- the emulated brk ----------------------------------------------------- */

START_TEST(test_morecore_grows_and_shrinks)
{
    size_t page = os_page_size();
    char *start = os_morecore(0);
    ck_assert_ptr_nonnull(start);
    ck_assert_ptr_eq(os_morecore(0), start);

    size_t grown = 3 * page + 100;
    ck_assert_ptr_eq(os_morecore((intptr_t)grown), start);
    ck_assert_ptr_eq(os_morecore(0), start + grown);
    /* Fresh pages read zero; below page_end(start) is whatever was there. */
    ck_assert(all_bytes_are(page_end(start), (size_t)(start + grown - page_end(start)), 0));
    memset(start, 0x5a, grown);

    ck_assert_ptr_eq(os_morecore(-(intptr_t)grown), start + grown);
    ck_assert_ptr_eq(os_morecore(0), start);
    ck_assert(touching_faults(page_end(start)));

    /* Pages given back and handed out again read zero (OS_MORECORE_CLEARS). */
    ck_assert_ptr_eq(os_morecore((intptr_t)grown), start);
    ck_assert(all_bytes_are(page_end(start), (size_t)(start + grown - page_end(start)), 0));
    ck_assert_ptr_eq(os_morecore(-(intptr_t)grown), start + grown);
    ck_assert_ptr_eq(os_morecore(0), start);
}
END_TEST

START_TEST(test_morecore_refuses_beyond_its_region)
{
    char *start = os_morecore(0);
    ck_assert_ptr_nonnull(start);
    ck_assert_ptr_null(os_morecore(INTPTR_MAX));
    ck_assert_ptr_null(os_morecore(INTPTR_MIN));
    ck_assert_ptr_eq(os_morecore(0), start); /* a refusal moves nothing */
}
END_TEST

/* Check runs every test in a child of a runner that never touched the emulated
   brk, so here the break is still at the start of its region.  Under CK_FORK=no
   earlier tests may have moved it, the start is unknown, and only
   test_morecore_refuses_beyond_its_region can say anything. */
static bool in_a_fresh_process(void)
{
    const char *fork_mode = getenv("CK_FORK");
    return fork_mode == NULL || strcmp(fork_mode, "no") != 0;
}

START_TEST(test_morecore_never_below_its_start)
{
    if (!in_a_fresh_process())
        return;
    size_t page = os_page_size();
    char *start = os_morecore(0);
    ck_assert_ptr_nonnull(start);
    ck_assert_ptr_null(os_morecore(-1));

    ck_assert_ptr_eq(os_morecore((intptr_t)page), start);
    ck_assert_ptr_null(os_morecore(-(intptr_t)page - 1));
    ck_assert_ptr_eq(os_morecore(0), start + page);
    ck_assert_ptr_eq(os_morecore(-(intptr_t)page), start + page);
    ck_assert_ptr_eq(os_morecore(0), start);
}
END_TEST

/* ---- process -------------------------------------------------------------- */

static int prepare_calls, parent_calls, child_calls;
static void count_prepare(void) { prepare_calls++; }
static void count_parent(void) { parent_calls++; }
static void count_child(void) { child_calls++; }

START_TEST(test_atfork_runs_the_handlers)
{
    ck_assert(os_atfork(count_prepare, count_parent, count_child));
    prepare_calls = parent_calls = child_calls = 0;
    pid_t child = fork();
    ck_assert_int_ge(child, 0);
    if (child == 0)
        _exit(prepare_calls == 1 && child_calls == 1 && parent_calls == 0 ? 0 : 1);
    int status;
    ck_assert_int_eq(waitpid(child, &status, 0), child);
    ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    ck_assert_int_eq(prepare_calls, 1);
    ck_assert_int_eq(parent_calls, 1);
    ck_assert_int_eq(child_calls, 0);
}
END_TEST

START_TEST(test_getenv_reads_the_environment)
{
    ck_assert_int_eq(setenv("ARENALLOC_TEST_VARIABLE", "42", 1), 0);
    ck_assert_str_eq(os_getenv("ARENALLOC_TEST_VARIABLE"), "42");
    ck_assert_int_eq(unsetenv("ARENALLOC_TEST_VARIABLE"), 0);
    ck_assert_ptr_null(os_getenv("ARENALLOC_TEST_VARIABLE"));
}
END_TEST

START_TEST(test_write_error_reaches_stderr)
{
    static const char message[] = "arenalloc: a test message\n";
    int pipe_ends[2];
    ck_assert_int_eq(pipe(pipe_ends), 0);
    int saved_stderr = dup(STDERR_FILENO);
    ck_assert_int_ge(saved_stderr, 0);
    ck_assert_int_ge(dup2(pipe_ends[1], STDERR_FILENO), 0);

    errno = EDOM;
    os_write_error(message);
    int errno_after = errno;

    dup2(saved_stderr, STDERR_FILENO);
    close(saved_stderr);
    close(pipe_ends[1]);
    char received[sizeof message] = {0};
    ck_assert_int_eq(read(pipe_ends[0], received, sizeof received), (ssize_t)strlen(message));
    close(pipe_ends[0]);
    ck_assert_str_eq(received, message);
    ck_assert_int_eq(errno_after, EDOM);
}
END_TEST

static void abort_with_sigabrt_blocked(void *unused)
{
    (void)unused;
    sigset_t abrt;
    sigemptyset(&abrt);
    sigaddset(&abrt, SIGABRT);
    pthread_sigmask(SIG_BLOCK, &abrt, NULL);
    os_abort();
}

static void return_from_signal(int signal_number)
{
    (void)signal_number;
}

static void abort_with_a_handler_that_returns(void *unused)
{
    (void)unused;
    struct sigaction returning = {.sa_handler = return_from_signal};
    sigemptyset(&returning.sa_mask);
    sigaction(SIGABRT, &returning, NULL);
    os_abort();
}

START_TEST(test_abort_ends_the_process_with_sigabrt)
{
    ck_assert_int_eq(signal_that_kills(abort_with_sigabrt_blocked, NULL), SIGABRT);
    ck_assert_int_eq(signal_that_kills(abort_with_a_handler_that_returns, NULL), SIGABRT);
}
END_TEST

/* ---- the suite ------------------------------------------------------------ */

Suite *syscall_suite(void)
{
    Suite *suite = suite_create("syscall");

    TCase *pages = tcase_create("pages");
    tcase_add_test(pages, test_page_size_is_a_power_of_two);
    suite_add_tcase(suite, pages);

    TCase *space = tcase_create("address space");
    tcase_add_test(space, test_map_is_zeroed_and_writable);
    tcase_add_test(space, test_reserve_faults_until_committed);
    tcase_add_test(space, test_reserve_aligned_every_alignment);
    tcase_add_test(space, test_reserve_aligned_keeps_only_size);
    tcase_add_test(space, test_reserve_aligned_rejects_bad_alignment);
    tcase_add_test(space, test_reserve_aligned_rejects_size_above_alignment);
    tcase_add_test(space, test_decommit_faults_and_recommit_reads_zero);
    tcase_add_test(space, test_discard_keeps_range_accessible);
    tcase_add_test(space, test_remap_grows_keeping_contents);
    suite_add_tcase(suite, space);

    TCase *locks = tcase_create("locks");
    tcase_add_test(locks, test_trylock_fails_while_held);
    tcase_add_test(locks, test_lock_waits_for_the_holder);
    tcase_add_test(locks, test_lock_counts_exactly);
    suite_add_tcase(suite, locks);

    TCase *morecore = tcase_create("morecore");
    tcase_add_test(morecore, test_morecore_grows_and_shrinks);
    tcase_add_test(morecore, test_morecore_refuses_beyond_its_region);
    tcase_add_test(morecore, test_morecore_never_below_its_start);
    suite_add_tcase(suite, morecore);

    TCase *process = tcase_create("process");
    tcase_add_test(process, test_atfork_runs_the_handlers);
    tcase_add_test(process, test_getenv_reads_the_environment);
    tcase_add_test(process, test_write_error_reaches_stderr);
    tcase_add_test(process, test_abort_ends_the_process_with_sigabrt);
    suite_add_tcase(suite, process);

    return suite;
}
