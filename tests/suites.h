/*
 * suites.h - every Check suite of tests/, one per concern; check_main.c runs them.
 */
#ifndef ARENALLOC_TESTS_SUITES_H
#define ARENALLOC_TESTS_SUITES_H

#include <check.h>

Suite *syscall_suite(void);
Suite *chunk_suite(void);
Suite *api_suite(void);
Suite *reuse_suite(void);
Suite *calloc_suite(void);
Suite *realloc_suite(void);
Suite *memalign_suite(void);
Suite *mmap_suite(void);
Suite *trim_suite(void);
Suite *corruption_suite(void);
Suite *random_suite(void);
Suite *arenas_suite(void);
Suite *stress_suite(void);
Suite *tunables_suite(void);
Suite *reports_suite(void);
Suite *fill_suite(void);
Suite *stomp_suite(void);
Suite *dump_suite(void);
Suite *tcache_suite(void);
Suite *releases_suite(void);
Suite *techniques_suite(void);
Suite *path_suite(void);

#endif /* ARENALLOC_TESTS_SUITES_H */
