/*
 * grade_wine.c - the Windows lab's grader, a Windows program run under Wine:
 * reserve_aligned_by_retry (reserve oversized, release, reserve again at the
 * aligned address inside; retry on a lost race) and
 * reserve_aligned_inside_larger (keep the oversized reservation, hand out the
 * aligned run inside it, and leave a note for os_release), in
 * syscall/os_windows.c.
 *
 * Check is not built for Windows, so this is its own small runner: every test
 * runs in a child process (this program with --child N, the path forced through
 * ARENALLOC_WIN_NO_VIRTUALALLOC2 as the library reads it), so a stub's abort
 * fails that test alone.  It prints what grade_main.c prints: PASS or FAIL per
 * test, then "score: P/N" and "untouched: P/N".
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <windows.h>

#include "arenalloc.h"
#include "syscall/os.h"

#define KiB ((size_t)1 << 10)
#define MiB ((size_t)1 << 20)

/* A failed test prints why and exits its child with status 1. */
#define REQUIRE(cond, ...)                                       \
    do {                                                         \
        if (!(cond)) {                                           \
            printf("        ");                                  \
            printf(__VA_ARGS__);                                 \
            printf("\n");                                        \
            fflush(stdout);                                      \
            exit(1);                                             \
        }                                                        \
    } while (0)

static MEMORY_BASIC_INFORMATION query(const void *p)
{
    MEMORY_BASIC_INFORMATION info;
    memset(&info, 0, sizeof info);
    VirtualQuery(p, &info, sizeof info);
    return info;
}

/* Reserves size at alignment, commits and writes it, releases it, and checks
   the reservation is gone.  `exact` says whether the reservation must start
   where the run starts (path 2) or may start before it (path 3). */
static void reserve_use_release(size_t size, size_t alignment, bool exact)
{
    char *p = os_reserve_aligned(size, alignment);
    REQUIRE(p != NULL, "os_reserve_aligned(%zu KiB, %zu KiB) returned NULL", size / KiB, alignment / KiB);
    REQUIRE((uintptr_t)p % alignment == 0, "os_reserve_aligned(%zu KiB, %zu KiB) returned %p, not a multiple of the "
            "alignment", size / KiB, alignment / KiB, (void *)p);
    char *base = query(p).AllocationBase;
    if (exact)
        REQUIRE(base == p, "path 2 reserves exactly the aligned range again: its AllocationBase should be %p, it is %p",
                (void *)p, (void *)base);
    else
        REQUIRE(base < p && p - base <= (ptrdiff_t)alignment, "path 3 keeps the oversized reservation: its "
                "AllocationBase (%p) should lie before %p, less than the alignment away", (void *)base, (void *)p);
    REQUIRE(os_commit(p, size), "os_commit of the reserved range failed");
    p[0] = 1;
    p[size - 1] = 1;
    REQUIRE(os_release(p, size), "os_release of the whole range failed");
    REQUIRE(query(base).State == MEM_FREE, "after os_release the whole reservation, from its AllocationBase, should "
            "be free");
}

static void retry_1mib(void) { reserve_use_release(MiB, MiB, true); }

static void retry_alignments(void)
{
    for (size_t alignment = 128 * KiB; alignment <= 16 * MiB; alignment *= 2) {
        reserve_use_release(64 * KiB, alignment, true);
        reserve_use_release(alignment, alignment, true);
    }
}

static void last_resort_1mib(void) { reserve_use_release(MiB, MiB, false); }

static void last_resort_alignments(void)
{
    for (size_t alignment = 128 * KiB; alignment <= 16 * MiB; alignment *= 2)
        reserve_use_release(alignment, alignment, false);
}

static DWORD WINAPI thread_block(void *arg)
{
    *(void **)arg = arenalloc_malloc(0x100);
    return 0;
}

/* A thread arena's heap is a 1 MiB-aligned reservation: under path 2 it is
   made by the student's code, and free finds it again by masking. */
static void thread_heap(void)
{
    REQUIRE(arenalloc_set_arena_policy(ARENALLOC_POLICY_PER_THREAD) == 0, "could not set the per-thread policy");
    void *p = NULL;
    HANDLE t = CreateThread(NULL, 0, thread_block, &p, 0, NULL);
    REQUIRE(t != NULL, "CreateThread failed");
    WaitForSingleObject(t, INFINITE);
    CloseHandle(t);
    REQUIRE(p != NULL, "malloc in a thread returned NULL");
    size_t word;
    memcpy(&word, (char *)p - sizeof word, sizeof word);
    REQUIRE(word & 4, "a block from a thread's own arena should be marked NON_MAIN_ARENA (size word %#zx)", word);
    arenalloc_free(p);
    REQUIRE(arenalloc_check_heap() == NULL, "heap check: %s", arenalloc_check_heap());
}

static void path1_untouched(void)
{
    char *p = os_reserve_aligned(MiB, MiB);
    REQUIRE(p != NULL && (uintptr_t)p % MiB == 0, "path 1 (VirtualAlloc2, as Wine offers it) should still work");
    REQUIRE(os_release(p, MiB), "os_release failed");
}

static void main_arena_untouched(void)
{
    void *p = arenalloc_malloc(0x100), *q = arenalloc_malloc(200 * KiB);
    REQUIRE(p != NULL && q != NULL, "malloc in the main thread should not need an aligned reservation");
    arenalloc_free(p);
    arenalloc_free(q);
}

struct test {
    const char *behaviour;
    void (*fn)(void);
    const char *path; /* ARENALLOC_WIN_NO_VIRTUALALLOC2, or NULL */
    bool scored;
};

static const struct test tests[] = {
    {"path 2: 1 MiB at a 1 MiB boundary, reserved exactly, released whole", retry_1mib, "1", true},
    {"path 2: every alignment from 128 KiB to 16 MiB", retry_alignments, "1", true},
    {"path 3: the aligned run inside a larger reservation, released whole", last_resort_1mib, "last-resort", true},
    {"path 3: every alignment from 128 KiB to 16 MiB", last_resort_alignments, "last-resort", true},
    {"a thread arena's heap made by path 2, freed by masking", thread_heap, "1", true},
    {"path 1 (VirtualAlloc2) is not part of the lab", path1_untouched, NULL, false},
    {"the main thread's malloc needs no aligned reservation", main_arena_untouched, "1", false},
};
enum { NTESTS = sizeof tests / sizeof tests[0] };

/* Runs test i in a child process; its exit status says how it went. */
static bool run_child(int i)
{
    char exe[MAX_PATH], command[MAX_PATH + 32];
    GetModuleFileNameA(NULL, exe, sizeof exe);
    snprintf(command, sizeof command, "\"%s\" --child %d", exe, i);
    SetEnvironmentVariableA("ARENALLOC_WIN_NO_VIRTUALALLOC2", tests[i].path);
    STARTUPINFOA startup = {.cb = sizeof startup};
    PROCESS_INFORMATION child;
    fflush(stdout);
    if (!CreateProcessA(exe, command, NULL, NULL, TRUE, 0, NULL, NULL, &startup, &child))
        return false;
    WaitForSingleObject(child.hProcess, INFINITE);
    DWORD code = 1;
    GetExitCodeProcess(child.hProcess, &code);
    CloseHandle(child.hProcess);
    CloseHandle(child.hThread);
    if (code == 3)
        printf("        the test aborted (a TODO stub, or a check in the library): see the message above\n");
    else if (code != 0 && code != 1)
        printf("        the test died with exit code %#lx\n", (unsigned long)code);
    return code == 0;
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "--child") == 0) {
        int i = atoi(argv[2]);
        if (i < 0 || i >= NTESTS)
            return 2;
        tests[i].fn();
        return 0;
    }
    int scored = 0, scored_passed = 0, untouched = 0, untouched_passed = 0;
    for (int i = 0; i < NTESTS; i++) {
        printf("---- %s\n", tests[i].behaviour);
        bool ok = run_child(i);
        printf("%s  %s%s\n", ok ? "PASS" : "FAIL", tests[i].behaviour, tests[i].scored ? "" : "  [untouched]");
        fflush(stdout);
        if (tests[i].scored) {
            scored++;
            scored_passed += ok;
        } else {
            untouched++;
            untouched_passed += ok;
        }
    }
    printf("score: %d/%d\nuntouched: %d/%d\n", scored_passed, scored, untouched_passed, untouched);
    return scored_passed == scored && untouched_passed == untouched ? 0 : 1;
}
