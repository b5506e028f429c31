/*
 * check_main.c - runs every Check suite in one runner, so a run ends with one
 * summary line.  CK_RUN_SUITE=name runs one suite, CK_FORK=no runs the tests in
 * this process (to step through one in gdb): Check's own switches.
 */
#include <stdlib.h>

#include "tests/suites.h"

int main(void)
{
    SRunner *sr = srunner_create(syscall_suite());
    srunner_add_suite(sr, chunk_suite());
    srunner_add_suite(sr, api_suite());
    srunner_add_suite(sr, reuse_suite());
    srunner_add_suite(sr, calloc_suite());
    srunner_add_suite(sr, realloc_suite());
    srunner_add_suite(sr, memalign_suite());
    srunner_add_suite(sr, mmap_suite());
    srunner_add_suite(sr, trim_suite());
    srunner_add_suite(sr, corruption_suite());
    srunner_add_suite(sr, random_suite());
    srunner_add_suite(sr, arenas_suite());
    srunner_add_suite(sr, stress_suite());
    srunner_add_suite(sr, tunables_suite());
    srunner_add_suite(sr, reports_suite());
    srunner_add_suite(sr, fill_suite());
    srunner_add_suite(sr, stomp_suite());
    srunner_add_suite(sr, dump_suite());
    srunner_add_suite(sr, tcache_suite());
    srunner_add_suite(sr, releases_suite());
    srunner_add_suite(sr, techniques_suite());
    srunner_add_suite(sr, path_suite());

    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
