/*
 * tunables.h - setting the parameters: one setter shared by mallopt and the
 * environment (tunables.c), so both mean exactly the same.
 */
#ifndef ARENALLOC_ARENA_TUNABLES_H
#define ARENALLOC_ARENA_TUNABLES_H

#include <stddef.h>

/* Sets mallopt parameter `param` to `value` (an int widened to size_t, as glibc
   widens it: -1 becomes SIZE_MAX).  The caller holds main_arena's lock, or is
   start-up.  Returns 1 when taken, 0 when refused, as mallopt. */
int set_malloc_param(int param, size_t value);

/* Reads GLIBC_TUNABLES, the MALLOC_*_ variables and arenalloc's own settings.
   Called once by ptmalloc_init. */
void read_tunables(void);

#endif /* ARENALLOC_ARENA_TUNABLES_H */
