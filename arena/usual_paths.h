/*
 * usual_paths.h - whether malloc and free may take their usual path.
 *
 * Most calls meet the same conditions: the heap is set up, the newest release
 * is in force (no hooks, and every test of the release folds away: bins/checks.h)
 * and stomp mode is not in play.  Those are the usual paths of arena/malloc.c;
 * anything else takes a detour.  The conditions change only when a setting
 * does, so they are worked out then, into one flag for each entry point, and
 * every call tests one byte: glibc's malloc, which has no such settings, tests
 * only __malloc_initialized.
 *
 *   usual_malloc_path  started, the newest release, stomp mode off
 *   usual_free_path    the newest release, stomp mode off, no stomp block made
 *                      (one made before the mode went off is still freed by stomp/)
 *
 * Whatever changes one of those conditions calls update_usual_paths():
 * ptmalloc_init, a change of release, arenalloc_set_stomp.  Stomp blocks are
 * made only while stomp mode is on, when usual_free_path is already false, and
 * are never forgotten (stomp_blocks_exist), so switching the mode off reads them.
 */
#ifndef ARENALLOC_ARENA_USUAL_PATHS_H
#define ARENALLOC_ARENA_USUAL_PATHS_H

#include <stdbool.h>

#include "syscall/os.h"

extern OS_HIDDEN bool usual_malloc_path, usual_free_path;

/* Works both flags out again from the settings in force. */
void update_usual_paths(void);

/* Acquire, as __malloc_initialized is read: a thread that sees the flag set
   sees main_arena set up. */
static inline bool malloc_may_take_usual_path(void) { return __atomic_load_n(&usual_malloc_path, __ATOMIC_ACQUIRE); }
static inline bool free_may_take_usual_path(void) { return __atomic_load_n(&usual_free_path, __ATOMIC_ACQUIRE); }

#endif /* ARENALLOC_ARENA_USUAL_PATHS_H */
