/*
 * hooks.c - the four hook variables (hooks.h says what they are for).  NULL
 * until the program stores a function; glibc's started as functions that
 * initialised malloc and then cleared themselves, which a program never saw.
 */
#include "arena/hooks.h"

malloc_hook_fn arenalloc_malloc_hook;
free_hook_fn arenalloc_free_hook;
realloc_hook_fn arenalloc_realloc_hook;
memalign_hook_fn arenalloc_memalign_hook;
