/*
 * grade_main.c - the grading driver every lab's grader is linked with.
 *
 *   build/.../grade            every test, one line each, then the score
 *   build/.../grade --list     the behaviours tested, numbered
 *   build/.../grade N          test number N alone
 *
 * Each test runs in a child process of its own (Check's fork mode), so a stub's
 * abort, or a crash in the student's code, fails that test alone.  CK_FORK=no
 * runs them in this process instead, for gdb:
 *     CK_FORK=no gdb -x tools/gdb/gdbinit --args build/grade/lab/grade 3
 * What the child wrote on stderr (a stub's "TODO(lab ...)", or glibc's corruption message) is
 * kept and its last line shown under the failure: that line usually says more
 * than "received signal 6".
 *
 * Output: "PASS behaviour" or "FAIL behaviour" with the reason, for every test,
 * then "score: P/N" over the scored tests and "untouched: P/N" over the others.
 * Exit status 0 when every test passed.
 */
#include "grade.h"

#include "include/arenalloc.h"
#include "tests/test_helpers.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { MAX_TESTS = 64 };

struct graded {
    const char *behaviour;
    const TTest *test;
    bool scored;
};

static struct graded tests[MAX_TESTS];
static int ntests;

void lab_add(const char *behaviour, const TTest *test, bool scored)
{
    if (ntests == MAX_TESTS) {
        fprintf(stderr, "grade: more than %d tests\n", MAX_TESTS);
        exit(2);
    }
    tests[ntests++] = (struct graded){behaviour, test, scored};
}

/* ---- what most labs' stubs must leave working ------------------------------- */

START_TEST(untouched_mmap)
{
    void *p = xmalloc(1 << 20);
    ck_assert_msg(is_mmapped(p), "a 1 MiB request should still be served by mmap");
    arenalloc_free(p);
}
END_TEST

START_TEST(untouched_fast)
{
    tcache_off();
    void *a = xmalloc(0x28), *b = xmalloc(0x28);
    arenalloc_free(a);
    arenalloc_free(b);
    ck_assert_msg(arenalloc_malloc(0x28) == b, "fast chunks should still be reused last-freed first");
}
END_TEST

size_t lab_mapped_bytes(void)
{
    FILE *f = fopen("/proc/self/maps", "r");
    ck_assert_ptr_nonnull(f);
    unsigned long lo, hi;
    size_t total = 0;
    char line[512];
    while (fgets(line, sizeof line, f) != NULL)
        if (sscanf(line, "%lx-%lx", &lo, &hi) == 2)
            total += hi - lo;
    fclose(f);
    return total;
}

void lab_untouched_mmap(void) { lab_untouched("a 1 MiB block still comes from mmap", untouched_mmap); }
void lab_untouched_fastbins(void) { lab_untouched("fast chunks are still reused, LIFO", untouched_fast); }

/* The last non-empty line of file f (a child's stderr), into buf. */
static void last_line(FILE *f, char *buf, size_t size)
{
    char line[512];
    buf[0] = '\0';
    rewind(f);
    while (fgets(line, sizeof line, f) != NULL) {
        line[strcspn(line, "\n")] = '\0';
        if (line[0] != '\0')
            snprintf(buf, size, "%s", line);
    }
}

/* Runs one test in a child whose stderr goes to a temporary file.  Returns
   whether it passed; prints its line. */
static bool run_one(const struct graded *g)
{
    FILE *err = tmpfile();
    int saved = dup(2);
    fflush(stderr);
    if (err != NULL)
        dup2(fileno(err), 2);

    Suite *s = suite_create("lab");
    TCase *tc = tcase_create(g->behaviour);
    tcase_set_timeout(tc, 20);
    tcase_add_test(tc, g->test);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_set_fork_status(sr, CK_FORK_GETENV); /* CK_FORK=no: for gdb */
    srunner_run_all(sr, CK_SILENT);

    fflush(stderr);
    dup2(saved, 2);
    close(saved);

    bool passed = srunner_ntests_failed(sr) == 0;
    printf("%s  %s%s\n", passed ? "PASS" : "FAIL", g->behaviour, g->scored ? "" : "  [untouched]");
    if (!passed) {
        TestResult **results = srunner_results(sr);
        printf("        %s\n", tr_msg(results[0]));
        free(results);
        char said[512];
        if (err != NULL) {
            last_line(err, said, sizeof said);
            if (said[0] != '\0')
                printf("        stderr: %s\n", said);
        }
    }
    fflush(stdout);
    srunner_free(sr);
    if (err != NULL)
        fclose(err);
    return passed;
}

int main(int argc, char **argv)
{
    lab_register();
    if (argc > 1 && strcmp(argv[1], "--list") == 0) {
        for (int i = 0; i < ntests; i++)
            printf("%2d  %s%s\n", i + 1, tests[i].behaviour, tests[i].scored ? "" : "  [untouched]");
        return 0;
    }
    if (argc > 1) {
        int n = atoi(argv[1]);
        if (n < 1 || n > ntests) {
            fprintf(stderr, "grade: no test %s (grade --list)\n", argv[1]);
            return 2;
        }
        return run_one(&tests[n - 1]) ? 0 : 1;
    }

    int scored = 0, scored_passed = 0, untouched = 0, untouched_passed = 0;
    for (int i = 0; i < ntests; i++) {
        bool ok = run_one(&tests[i]);
        if (tests[i].scored) {
            scored++;
            scored_passed += ok;
        } else {
            untouched++;
            untouched_passed += ok;
        }
    }
    printf("score: %d/%d\n", scored_passed, scored);
    printf("untouched: %d/%d\n", untouched_passed, untouched);
    return scored_passed == scored && untouched_passed == untouched ? 0 : 1;
}
