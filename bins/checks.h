/*
 * checks.h - glibc's integrity checks, by the release that added them.
 *
 * Every check that aborts with malloc_printerr exists because an exploitation
 * technique once went through where it now stands.  Heap-exploitation courses
 * (how2heap's glibc_2.23/, glibc_2.27/, ... folders) are organised by glibc
 * release for that reason.  arenalloc can run with the checks of an older
 * release, so a demo written for glibc 2.23 works, and then, one setting
 * later, is stopped by the check the next release added:
 *
 *   2.23  the classic checks: double free of the fastbin top, free of a pointer
 *         or size that cannot be a chunk, list links that do not point back, ...
 *   2.26  unlink also checks the size against the next chunk's prev_size
 *   2.27  malloc_consolidate checks that a fastbin chunk's size is its bin's
 *   2.29  the unsorted bin's chunks are checked one by one (size, next size,
 *         prev_size, links, PREV_INUSE) instead of only for a plausible size;
 *         top's size must be plausible (the end of House of Force); merging a
 *         chunk checks its neighbour's size against prev_size
 *   2.30  inserting into a large bin checks the neighbours' links
 *   2.32  safe-linking of fastbin pointers, and the alignment checks
 *         (the default: glibc 2.36's checks)
 *
 * And those of the per-thread cache (bins/tcache.h), which is on at every
 * level (below 2.26 too, where glibc had none: only the checks are modelled here):
 *   2.29  the key: a double free is looked for in the chunk's bin
 *   2.32  safe-linking of its links, and the alignment of every entry taken
 *   2.33  the double-free walk stops after tcache_count entries
 *   2.34  the key is random, no longer the address of the thread's structure
 *
 * The setting: ARENALLOC_CHECKS=2.23 (any 2.23 to 2.36) at start-up, or
 * arenalloc_set_checks(23).
 */
#ifndef ARENALLOC_BINS_CHECKS_H
#define ARENALLOC_BINS_CHECKS_H

#include <stdbool.h>

#include "syscall/os.h"

/* The glibc 2.x release whose checks are in force: 23 ... 36. */
extern OS_HIDDEN int check_generation;

#define CHECKS_OLDEST 23
#define CHECKS_NEWEST 36

/* True when the checks glibc 2.`release` added are in force. */
static inline bool checks_since(int release) { return check_generation >= release; }

#endif /* ARENALLOC_BINS_CHECKS_H */
