/*
 * checks.h - the glibc release arenalloc behaves as, and glibc's integrity
 * checks by the release that added them.
 *
 * Heap-exploitation courses (how2heap's glibc_2.23/, glibc_2.27/, ... folders)
 * are organised by glibc release, because each release changed what a
 * corrupted heap lets through.  arenalloc can behave as any release from 2.23
 * to 2.36 (ARENALLOC_RELEASE=2.23 at start-up, or arenalloc_set_release(23)),
 * so a demo written for glibc 2.23 works, and then, one setting later, is
 * stopped by what the next release added.  A release whose malloc did not
 * change behaves as the one before it.  What each release adds (the README's
 * table, and tests/releases.tsv, which the `releases` suite checks):
 *
 *   2.23  the classic checks: double free of the fastbin top, free of a pointer
 *         or size that cannot be a chunk, list links that do not point back, ...
 *         No per-thread cache; hooks honoured; requests up to 2^64 - 64 bytes
 *   2.26  the per-thread cache (tcache, bins/tcache.h); unlink also checks the
 *         size against the next chunk's prev_size
 *   2.27  malloc_consolidate checks that a fastbin chunk's size is its bin's;
 *         malloc_state gains have_fastchunks (a layout: make RELEASE=2.26)
 *   2.29  the unsorted bin's chunks are checked one by one (size, next size,
 *         prev_size, links, PREV_INUSE) instead of only for a plausible size;
 *         top's size must be plausible (the end of House of Force); merging a
 *         chunk checks its neighbour's size against prev_size; the cache's key
 *   2.30  inserting into a large bin checks the neighbours' links; requests
 *         above PTRDIFF_MAX fail; the cache's counts are 16 bits wide (its
 *         structure a 0x290 chunk, 0x250 before: make RELEASE=2.29)
 *   2.32  safe-linking of fastbin and cache pointers, and the alignment checks
 *   2.33  the cache's double-free walk stops after tcache_count entries
 *   2.34  the hooks are gone; the cache's key is random
 *   2.36  (the default) glibc 2.36's messages
 */
#ifndef ARENALLOC_BINS_CHECKS_H
#define ARENALLOC_BINS_CHECKS_H

#include <stdbool.h>

#include "syscall/os.h"

#define RELEASE_OLDEST 23
#define RELEASE_NEWEST 36

/* The release a build starts as: 36, or the one `make RELEASE=2.yy` built
   (its layouts are fixed at build time, so its profile starts there). */
#ifdef ARENALLOC_RELEASE_BUILD
#define RELEASE_DEFAULT ARENALLOC_RELEASE_BUILD
#else
#define RELEASE_DEFAULT RELEASE_NEWEST
#endif

/* The glibc 2.x release in force: 23 ... 36 (arenalloc_get_release is the
   interface; the library's code reads it directly). */
extern OS_HIDDEN int glibc_release;

/* True when glibc 2.`minor`'s behaviour is in force: the one question code asks. */
static inline bool release_since(int minor) { return glibc_release >= minor; }

/* Whether the newest release is in force, as it is unless a setting says
   otherwise.  The hot paths ask this once and then run code in which the
   compiler, having just compared glibc_release with a constant, knows its value:
   every release_since() there folds to true and its test disappears.  Written
   once, compiled twice (arena/malloc.c, _int_free): older releases run the
   other copy, which reads the release at each test. */
static inline bool release_is_newest(void) { return glibc_release == RELEASE_NEWEST; }

/* The older name of release_since, from when a release decided only the checks. */
static inline bool checks_since(int minor) { return release_since(minor); }

#endif /* ARENALLOC_BINS_CHECKS_H */
