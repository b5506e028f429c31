/*
 * lab_todo.c - what a lab's stubs call (copied into a student tree as
 * bins/lab_todo.c by labs/cut.sh; the reference library has no stubs).
 *
 * Every region a lab removes is replaced by one call to lab_todo, so a student
 * who runs the program before writing the code sees which lab and which
 * function are missing, instead of a wrong answer or a hang much later.  Plain
 * stdio and abort: it is linked into the Windows build too.
 */
#include <stdio.h>
#include <stdlib.h>

_Noreturn void lab_todo(const char *lab, const char *function, const char *file);

void lab_todo(const char *lab, const char *function, const char *file)
{
    fprintf(stderr, "TODO(lab %s): %s() in %s is yours to write (lab/README.md)\n", lab, function, file);
    fflush(stderr);
    abort();
}
