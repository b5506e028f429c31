/*
 * grade.h - what a lab's grader (lab/grade_LAB.c) needs from the grading driver
 * (lab/grade_main.c).
 *
 * A grader is a Check suite written as one test per behaviour, each registered
 * with a sentence that names the behaviour, so that a failure reads as what is
 * wrong ("free: a fast chunk goes on its fastbin, LIFO") rather than as a test
 * name:
 *
 *   START_TEST(fastbin_lifo) { ... ck_assert_msg(q == b, "... should return the chunk freed last"); }
 *   END_TEST
 *   void lab_register(void)
 *   {
 *       lab_scored("malloc takes fast chunks back last-freed first", fastbin_lifo);
 *       lab_untouched("a 1 MiB block still comes from mmap", mmap_path);
 *   }
 *
 * Scored tests make the lab's score.  Untouched tests check what the lab's stubs
 * must leave working (the rest of the allocator): they pass on the student's
 * tree before a line is written, and `make labcheck` verifies that they do.
 */
#ifndef ARENALLOC_LABS_GRADE_H
#define ARENALLOC_LABS_GRADE_H

#include <check.h>
#include <stdbool.h>
#include <stddef.h>

/* Defined by each grader: registers its tests, in the order they are run. */
void lab_register(void);

/* Registers one test of the lab's own behaviour (counted in the score). */
void lab_add(const char *behaviour, const TTest *test, bool scored);
static inline void lab_scored(const char *behaviour, const TTest *test) { lab_add(behaviour, test, true); }
/* Registers one test of what the stubs must not break. */
static inline void lab_untouched(const char *behaviour, const TTest *test) { lab_add(behaviour, test, false); }

/* Bytes of address space the process has mapped, by /proc/self/maps: how the
   heap and pool labs see a reservation made or given back. */
size_t lab_mapped_bytes(void);

/* The untouched tests most labs share (grade_main.c): the mmap path, and the
   fastbins' LIFO reuse. */
void lab_untouched_mmap(void);
void lab_untouched_fastbins(void);

#endif /* ARENALLOC_LABS_GRADE_H */
