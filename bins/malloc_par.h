/*
 * malloc_par.h - the process-wide parameters: the tunables and the figures kept
 * across all arenas (glibc's struct malloc_par, `mp_`).
 *
 * Every value here is set once at start-up from the environment (tunables.c) and
 * afterwards only by mallopt; the counters are updated by the mapped-chunk code.
 * The struct sits in bins/, below arena/, because both read it: arena/ for the
 * thresholds and arena limits, bins/ for the per-thread cache's limits, which
 * _int_malloc and _int_free consult as they fill the cache.
 * The mmap threshold's upper bound follows from HEAP_MAX_SIZE: a request that
 * could not fit in one heap must be mapped on its own.
 */
#ifndef ARENALLOC_BINS_MALLOC_PAR_H
#define ARENALLOC_BINS_MALLOC_PAR_H

#include "bins/malloc_state.h"

/* The size and alignment of a thread arena's heap (1 MiB; glibc's 64-bit value
   is 64 MiB, its 32-bit value this one). */
#define HEAP_MAX_SIZE (1024 * 1024)

/* Defaults of the tunables, glibc's values. */
#define DEFAULT_TOP_PAD            (128 * 1024) /* extra asked of brk each time */
#define DEFAULT_TRIM_THRESHOLD     (128 * 1024) /* top larger than this: trim */
#define DEFAULT_MMAP_THRESHOLD     (128 * 1024) /* requests this large: mmap */
#define DEFAULT_MMAP_THRESHOLD_MAX (HEAP_MAX_SIZE / 2) /* the dynamic threshold's cap */
#define DEFAULT_MMAP_MAX           65536        /* at most this many mapped chunks */
#define DEFAULT_ARENA_TEST         8            /* arenas before the cap is computed */

/* When brk fails, main_arena continues in mappings of at least this size. */
#define MMAP_AS_MORECORE_SIZE (1024 * 1024)

/* The process-wide parameters, glibc's struct malloc_par field for field (the
   fields for huge pages and the per-thread cache are kept for that layout). */
struct malloc_par {
    unsigned long trim_threshold;   /* M_TRIM_THRESHOLD */
    INTERNAL_SIZE_T top_pad;        /* M_TOP_PAD */
    INTERNAL_SIZE_T mmap_threshold; /* M_MMAP_THRESHOLD */
    INTERNAL_SIZE_T arena_test;     /* M_ARENA_TEST */
    INTERNAL_SIZE_T arena_max;      /* M_ARENA_MAX */
    INTERNAL_SIZE_T thp_pagesize;   /* (glibc: transparent huge pages) */
    INTERNAL_SIZE_T hp_pagesize;    /* (glibc: huge pages) */
    int hp_flags;                   /* (glibc: huge page mmap flags) */
    int n_mmaps;                    /* mapped chunks now */
    int n_mmaps_max;                /* M_MMAP_MAX */
    int max_n_mmaps;                /* highest n_mmaps so far */
    int no_dyn_threshold;           /* the user set a threshold: stop adjusting it */
    INTERNAL_SIZE_T mmapped_mem;    /* bytes in mapped chunks now */
    INTERNAL_SIZE_T max_mmapped_mem;/* highest mmapped_mem so far */
    char *sbrk_base;                /* where main_arena's brk heap starts */
    size_t tcache_bins;             /* (per-thread cache, not yet built) */
    size_t tcache_max_bytes;
    size_t tcache_count;
    size_t tcache_unsorted_limit;
};

extern OS_HIDDEN struct malloc_par mp_;

#endif /* ARENALLOC_BINS_MALLOC_PAR_H */
