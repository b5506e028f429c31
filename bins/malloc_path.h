/*
 * malloc_path.h - which steps of malloc and free served a call, for the heap
 * stepper (tools/stepper) and anyone else who wants to see the road a call took.
 *
 * The algorithms note each step they take (malloc_path_note) into a per-thread
 * set of bits that arenalloc_path_take (arena/path_record.c) hands out and
 * clears.  Only the prefixed build records: in the drop-in build the note is an
 * empty inline function, so the library people LD_PRELOAD has not one
 * instruction of it on its hot path.
 *
 * The steps are named as glibc's source and the heap tutorials name them, in
 * the order a call meets them, so the set read in bit order tells the story of
 * the call ("malloc_consolidate, unsorted: sorted, binmap").
 */
#ifndef ARENALLOC_BINS_MALLOC_PATH_H
#define ARENALLOC_BINS_MALLOC_PATH_H

#include "syscall/os.h"

enum malloc_path_step {
    /* malloc */
    PATH_TCACHE_GET,         /* served from the calling thread's cache */
    PATH_FASTBIN,            /* popped off its fastbin */
    PATH_SMALLBIN,           /* taken from its small bin */
    PATH_MALLOC_CONSOLIDATE, /* the fastbins were merged first (large request, or top too small) */
    PATH_UNSORTED_SORTED,    /* the unsorted scan filed chunks into their bins */
    PATH_UNSORTED_EXACT,     /* an exact fit in the unsorted bin */
    PATH_LAST_REMAINDER,     /* split off last_remainder */
    PATH_LARGEBIN,           /* the request's own large bin, best fit */
    PATH_BINMAP,             /* the next non-empty bin, found by the binmap */
    PATH_USE_TOP,            /* cut from top */
    PATH_SYSMALLOC,          /* top too small: the heap grew (brk, or a heap's next pages) */
    PATH_MMAP,               /* a mapping of its own */
    /* free */
    PATH_TCACHE_PUT,         /* into the calling thread's cache */
    PATH_FREE_FASTBIN,       /* pushed on its fastbin */
    PATH_CONSOLIDATE_BACKWARD, /* merged with the free chunk before it */
    PATH_CONSOLIDATE_FORWARD,  /* merged with the free chunk after it */
    PATH_FREE_UNSORTED,      /* put at the front of the unsorted bin */
    PATH_FREE_TOP,           /* became part of top */
    PATH_TRIM,               /* top given back to the OS (systrim, heap_trim) */
    PATH_MUNMAP,             /* a mapped chunk unmapped (munmap_chunk) */
    PATH_NSTEPS
};

#ifdef ARENALLOC_DROPIN
static inline void malloc_path_note(enum malloc_path_step step) { (void)step; }
#else
extern OS_THREAD_LOCAL unsigned malloc_path_steps;
static inline void malloc_path_note(enum malloc_path_step step) { malloc_path_steps |= 1u << step; }
#endif

/* Notes `step` and passes p on, so that a return names its step:
   `return malloc_path(PATH_FASTBIN, p);`. */
static inline void *malloc_path(enum malloc_path_step step, void *p)
{
    malloc_path_note(step);
    return p;
}

#endif /* ARENALLOC_BINS_MALLOC_PATH_H */
