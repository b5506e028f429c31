/*
 * heap_check.h - the heap checker over every arena, and its use in DEBUG builds.
 *
 * arenalloc_check_heap (include/arenalloc.h) gathers each arena's regions and
 * runs inspect/heap_check.c's check_arena on it.  `make DEBUG=1` defines
 * ARENALLOC_DEBUG, and every public call then ends with debug_check_heap(), which
 * aborts with the checker's description at the first call that left the heap
 * broken: the bug is then in that call, not somewhere later.  In the default
 * build the call compiles to nothing.
 */
#ifndef ARENALLOC_INSPECT_CHECK_HEAP_H
#define ARENALLOC_INSPECT_CHECK_HEAP_H

#if ARENALLOC_DEBUG
void debug_check_heap(void);
#else
static inline void debug_check_heap(void) {}
#endif

#endif /* ARENALLOC_INSPECT_CHECK_HEAP_H */
