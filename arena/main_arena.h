/*
 * main_arena.h - start-up, and the memory of main_arena.
 *
 * main_arena itself is declared with its type (bins/malloc_state.h), since bins/
 * must tell its chunks from the others'.  What is here belongs to arena/: the
 * one-time start-up every entry point goes through, and where each piece of
 * main_arena's memory begins (brk may fail or be moved, so there can be several).
 */
#ifndef ARENALLOC_ARENA_MAIN_ARENA_H
#define ARENALLOC_ARENA_MAIN_ARENA_H

#include <stdatomic.h>

#include "bins/malloc_state.h"

/* ---- start-up ---------------------------------------------------------------- */

extern OS_HIDDEN atomic_bool malloc_initialized;

/* Sets up main_arena, reads the settings, registers the fork and thread-exit
   hooks.  Runs once, whichever thread calls first. */
void ptmalloc_init(void);

/* Every public entry point starts with this. */
static inline void malloc_ensure_init(void)
{
    if (!atomic_load_explicit(&malloc_initialized, memory_order_acquire))
        ptmalloc_init();
}

/* ---- the regions of main_arena's memory (for the heap checker) ------------------ */

/* Where each piece of main_arena's memory starts: the brk heap, and any region
   begun after brk failed or was moved by someone else.  Recorded by sysmalloc. */
#define MAX_MAIN_SEGMENTS 64
extern char *main_segments[MAX_MAIN_SEGMENTS];
extern int main_nsegments;

#endif /* ARENALLOC_ARENA_MAIN_ARENA_H */
