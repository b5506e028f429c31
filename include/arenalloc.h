/*
 * arenalloc.h - the public interface of arenalloc.
 *
 * arenalloc is a reimplementation of glibc's malloc (ptmalloc2), written to be read
 * and stepped through.  It comes as two builds of the same code:
 *
 *   build/libarenalloc.so           drop-in: exports malloc, free, ... under their
 *                                   standard names as well as the arenalloc_* names
 *                                   below; meant for LD_PRELOAD.
 *   build/libarenalloc-prefixed.a   only the arenalloc_* names, so it can live beside
 *   build/libarenalloc-prefixed.so  glibc's malloc in one process (tests, tools).
 *
 * Every function behaves as its glibc 2.36 namesake, errno included.
 */
#ifndef ARENALLOC_H
#define ARENALLOC_H

#ifndef _WIN32
#include <malloc.h> /* struct mallinfo, struct mallinfo2, the M_* constants */
#endif
#include <stddef.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define ARENALLOC_API __attribute__((visibility("default")))
#else
#define ARENALLOC_API
#endif

#ifdef _WIN32
/* Windows's <malloc.h> is not glibc's: it has neither the mallinfo structures
   nor the mallopt parameters.  Here they are, with glibc 2.36's fields and
   values, so one program's settings mean the same on both systems.
   arena/mallinfo.c says what each figure counts. */
struct mallinfo2 {
    size_t arena, ordblks, smblks, hblks, hblkhd, usmblks, fsmblks, uordblks, fordblks, keepcost;
};
struct mallinfo {
    int arena, ordblks, smblks, hblks, hblkhd, usmblks, fsmblks, uordblks, fordblks, keepcost;
};

#define M_MXFAST         1
#define M_TRIM_THRESHOLD -1
#define M_TOP_PAD        -2
#define M_MMAP_THRESHOLD -3
#define M_MMAP_MAX       -4
#define M_CHECK_ACTION   -5
#define M_PERTURB        -6
#define M_ARENA_TEST     -7
#define M_ARENA_MAX      -8
#endif

/* The standard allocation functions (C11, POSIX and glibc). */
ARENALLOC_API void *arenalloc_malloc(size_t size);
ARENALLOC_API void arenalloc_free(void *ptr);
ARENALLOC_API void *arenalloc_calloc(size_t nmemb, size_t size);
ARENALLOC_API void *arenalloc_realloc(void *ptr, size_t size);
ARENALLOC_API void *arenalloc_reallocarray(void *ptr, size_t nmemb, size_t size);
ARENALLOC_API void *arenalloc_memalign(size_t alignment, size_t size);
ARENALLOC_API int arenalloc_posix_memalign(void **memptr, size_t alignment, size_t size);
ARENALLOC_API void *arenalloc_aligned_alloc(size_t alignment, size_t size);
ARENALLOC_API void *arenalloc_valloc(size_t size);
ARENALLOC_API void *arenalloc_pvalloc(size_t size);
ARENALLOC_API size_t arenalloc_malloc_usable_size(void *ptr);

/* glibc's tuning call: M_MXFAST, M_TRIM_THRESHOLD, M_TOP_PAD, M_MMAP_THRESHOLD,
   M_MMAP_MAX, M_PERTURB, M_ARENA_TEST and M_ARENA_MAX take effect (the constants
   are <malloc.h>'s); M_CHECK_ACTION is accepted and ignored, as by glibc 2.36.
   Returns 0 for a value it refuses (M_MXFAST above 160), else 1, also for
   unknown parameters, as glibc does.  The same settings come from the
   environment (GLIBC_TUNABLES=glibc.malloc.*, MALLOC_*_) at start-up. */
ARENALLOC_API int arenalloc_mallopt(int param, int value);

/* ARENALLOC_FILL in a call: when on, every block malloc returns is filled with
   0xA1 and every block free takes back with 0xDE (see bins/perturb.h). */
ARENALLOC_API void arenalloc_set_fill(int on);

/* Behaves as glibc 2.`glibc_minor` (23 to 36; the default is 36): its integrity
   checks and their messages, whether the per-thread cache exists (2.26) and
   its key and safe-linking, the request-size limit (PTRDIFF_MAX from 2.30),
   the hooks (honoured before 2.34).  A release whose malloc did not change
   behaves as the one before it.  Heap-exploitation demos written for an older
   release work, and are stopped by the release that stopped them (the table:
   README, bins/checks.h).  ARENALLOC_RELEASE=2.23 does the same at start-up,
   which is the better time: the cache of threads other than the caller's is
   not converted.  Layouts fixed at build time (malloc_state before 2.27, the
   cache's counts before 2.30) come from `make RELEASE=2.yy`.  Returns 0, or
   EINVAL. */
ARENALLOC_API int arenalloc_set_release(int glibc_minor);

/* The release in force (23 to 36). */
ARENALLOC_API int arenalloc_get_release(void);

/* The older name of arenalloc_set_release (and ARENALLOC_CHECKS of
   ARENALLOC_RELEASE), from when a release decided only the checks. */
ARENALLOC_API int arenalloc_set_checks(int glibc_minor);

/* glibc's malloc hooks (__malloc_hook ...), honoured before glibc 2.34
   (arenalloc_set_release): when one is set, the function calls it instead of
   doing its work, passing the caller's address; calloc calls the malloc hook
   and clears what it returns; memalign, posix_memalign, aligned_alloc, valloc
   and pvalloc call the memalign hook.  From 2.34 they are never read.  The
   drop-in library exports them under glibc's names: a program declares
   `extern void (*__free_hook)(void *, const void *);` and links with
   libarenalloc.so.  NULL at start. */
#ifndef ARENALLOC_DROPIN /* arena/hooks.h gives the drop-in build glibc's names */
ARENALLOC_API extern void *(*arenalloc_malloc_hook)(size_t size, const void *caller);
ARENALLOC_API extern void (*arenalloc_free_hook)(void *ptr, const void *caller);
ARENALLOC_API extern void *(*arenalloc_realloc_hook)(void *ptr, size_t size, const void *caller);
ARENALLOC_API extern void *(*arenalloc_memalign_hook)(size_t alignment, size_t size, const void *caller);
#endif

/* Stomp mode (ARENALLOC_STOMP=1|underflow at start-up): every block gets pages
   of its own with an inaccessible guard page right after its end (OVERFLOW) or
   right before its start (UNDERFLOW), so the first byte written out of bounds
   faults; freed blocks become inaccessible and stay reserved for a while, so a
   use after free faults too.  Costs a page and a guard per block.  Blocks made
   before the switch stay as they are.  Returns 0, or EINVAL. */
enum { ARENALLOC_STOMP_OFF = 0, ARENALLOC_STOMP_OVERFLOW = 1, ARENALLOC_STOMP_UNDERFLOW = 2 };
ARENALLOC_API int arenalloc_set_stomp(int mode);

/* glibc's reports, with glibc's figures and formats: mallinfo2 (and the old
   int-sized mallinfo) sum over all arenas; malloc_stats prints per arena to
   stderr; malloc_info writes XML to fp (options must be 0, else EINVAL). */
ARENALLOC_API struct mallinfo2 arenalloc_mallinfo2(void);
ARENALLOC_API struct mallinfo arenalloc_mallinfo(void);
ARENALLOC_API void arenalloc_malloc_stats(void);
ARENALLOC_API int arenalloc_malloc_info(int options, FILE *fp);

/* Gives free memory back to the OS in every arena, keeping `pad` bytes on
   main_arena's top.  Returns 1 if anything was released, else 0. */
ARENALLOC_API int arenalloc_malloc_trim(size_t pad);

/* How a thread chooses its arena.
     ARENALLOC_POLICY_TRYLOCK (the default): threads share main_arena while it is
       uncontended; a thread whose arena's lock is taken moves to the first arena
       it can lock, and a new arena is made only when all are busy (glibc before
       2.15).
     ARENALLOC_POLICY_PER_THREAD: each thread gets an arena of its own at its
       first call, as glibc 2.36 does.
   The environment variable ARENALLOC_ARENA_POLICY=trylock|per-thread sets it at
   start-up.  Returns 0, or EINVAL for an unknown policy.  Threads keep the arena
   they have; the policy decides how they move from now on. */
enum { ARENALLOC_POLICY_TRYLOCK = 0, ARENALLOC_POLICY_PER_THREAD = 1 };
ARENALLOC_API int arenalloc_set_arena_policy(int policy);

/* The size and alignment of a thread arena's heap: 1 MiB by default, or any
   power of two up to 64 MiB, glibc's 64-bit value, with which gef and pwndbg
   (which assume 64 MiB) read thread arenas unchanged.  The mmap threshold's
   dynamic rise stops at 32 MiB whatever this size, as on glibc's 64-bit
   systems.  ARENALLOC_HEAP_MAX_SIZE=64M (or 1M, or a number of bytes) sets it
   at start-up.  Only before the first thread arena is made: free() finds a
   chunk's heap by masking its address with this size, so it cannot change
   under existing heaps.  Returns 0, EINVAL for another size, or EBUSY once a
   heap exists. */
ARENALLOC_API int arenalloc_set_heap_max_size(size_t bytes);

/* Sets glibc.malloc.tcache_count at run time: how many freed chunks each bin of
   a thread's cache holds (glibc's default 7; 0 turns the cache off, and the heap
   then behaves as glibc's with GLIBC_TUNABLES=glibc.malloc.tcache_count=0).
   The calling thread's entries beyond the new count go back to their arenas;
   other threads' stay until they are taken or the thread exits.  Returns 1, or
   0 for a count over 65535 (the setting is then unchanged). */
ARENALLOC_API int arenalloc_set_tcache_count(size_t count);

/* Walks every chunk of every arena and verifies the heap's invariants: sizes and
   flags, boundary tags, no two neighbouring free chunks outside the fastbins,
   every free chunk in exactly one bin of the right size, bin order, binmap;
   and the calling thread's per-thread cache: counts equal to its lists'
   lengths, every entry a chunk in use of its bin's size, no loops.
   Returns NULL when the heap is sound, else a description of the first violation
   (a static string, valid until the next call).  It takes the arena locks. */
ARENALLOC_API const char *arenalloc_check_heap(void);

/* Prints the heap to `out`: `what` is any of the parts below or'ed together, in
   text (one line per chunk, bins as lists, in the manner of pwndbg's `heap` and
   `bins`) or JSON (schema: tools/dump.schema.json).
     ARENAS  every arena: address, kind, heaps, top, system_mem, threads; and
             the mmapped chunks, which belong to no arena.
     CHUNKS  each arena's chunks in address order: address, size, flags, state
             (in use, in which bin, top), and the links of free chunks.
     BINS    each arena's non-empty fastbins, unsorted, small and large bins as
             lists from the head, with a large bin's nextsize chain.
   The arenas are read first, under their locks, and printed afterwards, so the
   dump shows one moment and reading never changes the heap.  A damaged heap is
   dumped as far as it can be read, with the damage marked ("!! ..." in text,
   "damage" in JSON).  Returns 0, or -1 when memory for reading the heap could
   not be had or `out` reported an error. */
enum { ARENALLOC_DUMP_ARENAS = 1, ARENALLOC_DUMP_CHUNKS = 2, ARENALLOC_DUMP_BINS = 4, ARENALLOC_DUMP_ALL = 7 };
enum { ARENALLOC_DUMP_TEXT = 0, ARENALLOC_DUMP_JSON = 1 };
ARENALLOC_API int arenalloc_dump(FILE *out, unsigned what, int format);

/* The road the calling thread's calls took since it last asked: bit i is set
   when a call went through step i (tcache_get, fastbin, smallbin,
   malloc_consolidate, unsorted, last_remainder, largebin, binmap, use_top,
   sysmalloc, mmap; for free tcache_put, fastbin, consolidate backward/forward,
   unsorted, top, trim, munmap_chunk), named by arenalloc_path_step_name(i)
   (NULL past the last step).  Reading clears the set.  Only the prefixed build
   records; the drop-in library always answers 0, at no cost to its calls. */
ARENALLOC_API unsigned arenalloc_path_take(void);
ARENALLOC_API const char *arenalloc_path_step_name(int step);

#ifdef __cplusplus
}
#endif

#endif /* ARENALLOC_H */
