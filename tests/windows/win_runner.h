/*
 * win_runner.h - a minimal test runner for the Windows tests (tests/windows/).
 *
 * The Linux suites use Check, which Debian does not build for mingw-w64, so the
 * Windows tests are plain C functions run by this: each test prints its name
 * and "ok" or "FAIL" (with the failed condition and its line), and the run ends
 * with "N passed, M failed" and a non-zero exit status when M > 0.
 *
 *   static void test_something(void)
 *   {
 *       CHECK(os_page_size() == 4096);          // on failure: report, return
 *       CHECK_MSG(p != NULL, "size %zu", size); // the same, with a printf message
 *   }
 *   ...
 *   win_run("something", test_something);
 *
 * CHECK returns from the function it is in, so a helper that CHECKs returns
 * early and the test calling it should stop too: `if (win_failed()) return;`.
 *
 * Some checks need a process to die (a guard page touched, os_abort): the test
 * runs this same program again as a child (win_run_child) and looks at its exit
 * code; win_check.c's main dispatches "--child NAME" to the child's body.
 */
#ifndef ARENALLOC_TESTS_WINDOWS_WIN_RUNNER_H
#define ARENALLOC_TESTS_WINDOWS_WIN_RUNNER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* mingw-w64 checks printf formats against its own C99 printf (gnu_printf) when
   that is the one in use, which it is in -std=c11 mode. */
#ifdef __MINGW_PRINTF_FORMAT
#define WIN_PRINTF(f, a) __attribute__((format(__MINGW_PRINTF_FORMAT, f, a)))
#else
#define WIN_PRINTF(f, a) __attribute__((format(printf, f, a)))
#endif

/* Records a failure of the running test (the first one is printed in full). */
void win_check_failed(const char *file, int line, const char *what);

/* True once the running test has failed. */
bool win_failed(void);

#define CHECK(cond)                                          \
    do {                                                     \
        if (!(cond)) {                                       \
            win_check_failed(__FILE__, __LINE__, #cond);     \
            return;                                          \
        }                                                    \
    } while (0)

/* CHECK with a printf-style explanation of what was seen. */
void win_check_failed_fmt(const char *file, int line, const char *fmt, ...) WIN_PRINTF(3, 4);
#define CHECK_MSG(cond, ...)                                       \
    do {                                                           \
        if (!(cond)) {                                             \
            win_check_failed_fmt(__FILE__, __LINE__, __VA_ARGS__); \
            return;                                                \
        }                                                          \
    } while (0)

/* Runs one test and prints "name ... ok" or "name ... FAIL". */
void win_run(const char *name, void (*test)(void));

/* Prints an indented note under the running test (what path was taken ...). */
void win_note(const char *fmt, ...) WIN_PRINTF(1, 2);

/* Runs this program again as "--child NAME" with `env` ("VAR=value", or NULL)
   added to its environment; returns its exit code (0xC0000005 for an access
   violation, 3 for an abort), or -1 when it could not be started. */
long win_run_child(const char *name, const char *env);

/* A child's body: returns the exit code; a body that dies never returns. */
struct win_child {
    const char *name;
    int (*body)(void);
};

/* The test groups, one per file, each running its tests with win_run. */
void os_windows_tests(void);
void random_windows_tests(void);
void arenas_windows_tests(void);
void stomp_windows_tests(void);

/* Children the groups define (NULL-terminated lists). */
extern const struct win_child os_windows_children[];
extern const struct win_child stomp_windows_children[];

/* ---- a small seeded PRNG (xorshift64*), the same sequence on every OS ---- */

struct win_rng {
    uint64_t state;
};

static inline uint64_t win_rng_next(struct win_rng *r)
{
    r->state ^= r->state >> 12;
    r->state ^= r->state << 25;
    r->state ^= r->state >> 27;
    return r->state * UINT64_C(0x2545F4914F6CDD1D);
}

/* Uniform in [0, n), n > 0 (the bias is irrelevant for a test). */
static inline size_t win_rng_below(struct win_rng *r, size_t n) { return (size_t)(win_rng_next(r) % n); }

#endif /* ARENALLOC_TESTS_WINDOWS_WIN_RUNNER_H */
