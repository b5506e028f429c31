/*
 * dropin_program.c - tests/gdb/heap_program.c with plain malloc and free, for a
 * run under LD_PRELOAD=build/libarenalloc.so (the drop-in library): the same
 * heap, built through the standard names; arenalloc_dump and
 * arenalloc_set_arena_policy are found with dlsym, since the drop-in library
 * exports them too.  Not linked with any arenalloc library.
 */
#define HEAP_PROGRAM_DROPIN 1
#include "heap_program.c"
