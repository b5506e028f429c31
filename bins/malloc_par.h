/*
 * malloc_par.h - the process-wide parameters: the tunables and the figures kept
 * across all arenas (glibc's struct malloc_par, `mp_`).
 *
 * Every value here is set once at start-up from the environment (tunables.c) and
 * afterwards only by mallopt; the counters are updated by the mapped-chunk code.
 * The struct sits in bins/, below arena/, because both read it: arena/ for the
 * thresholds and arena limits, bins/ for the per-thread cache's limits, which
 * _int_malloc and _int_free consult as they fill the cache.
 * The mmap threshold's upper bound is glibc's 64-bit constant, whatever the heap
 * size: glibc derives its heap size from that bound, not the bound from the heap,
 * and the bound decides when main_arena stops mapping large blocks, so with any
 * other value a program that frees a 1 MiB block would see other addresses than
 * on glibc.  A thread arena whose heap cannot hold a request below the threshold
 * maps that chunk on its own (sysmalloc), as glibc does.
 */
#ifndef ARENALLOC_BINS_MALLOC_PAR_H
#define ARENALLOC_BINS_MALLOC_PAR_H

#include "bins/malloc_state.h"

/* The size and alignment of a thread arena's heap: 1 MiB by default (glibc's
   32-bit value, the design's and the lecture's mask), or glibc's 64-bit value,
   64 MiB, by ARENALLOC_HEAP_MAX_SIZE=64M or arenalloc_set_heap_max_size before
   the first heap is made (gef and pwndbg assume 64 MiB).  The value is read from
   heap_max_bytes alone (defined in arena/heap.c): heap_for_ptr's mask, the dump
   and the gdb commands all take it from there. */
#define HEAP_MAX_SIZE_DEFAULT (1024 * 1024)
#define HEAP_MAX_SIZE_GLIBC_64 (64 * 1024 * 1024) /* 2 * glibc's 64-bit DEFAULT_MMAP_THRESHOLD_MAX */
extern OS_HIDDEN size_t heap_max_bytes;

/* glibc 2.36's name for the heap size in force (there it can follow huge pages). */
static inline size_t heap_max_size(void) { return heap_max_bytes; }

/* Defaults of the tunables, glibc's values. */
#define DEFAULT_TOP_PAD            (128 * 1024) /* extra asked of brk each time */
#define DEFAULT_TRIM_THRESHOLD     (128 * 1024) /* top larger than this: trim */
#define DEFAULT_MMAP_THRESHOLD     (128 * 1024) /* requests this large: mmap */
#define DEFAULT_MMAP_THRESHOLD_MAX (4 * 1024 * 1024 * sizeof(size_t)) /* the dynamic rise's cap: 32 MiB on 64-bit */
#define DEFAULT_MMAP_MAX           65536        /* at most this many mapped chunks */
#define DEFAULT_ARENA_TEST         8            /* arenas before the cap is computed */

/* When brk fails, main_arena continues in mappings of at least this size. */
#define MMAP_AS_MORECORE_SIZE (1024 * 1024)

/* The process-wide parameters, glibc's struct malloc_par field for field (the
   fields for huge pages are kept for that layout). */
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
    size_t tcache_bins;             /* cache bins in use (64); pwndbg reads it to see a cache */
    size_t tcache_max_bytes;        /* largest cached request (1032) */
    size_t tcache_count;            /* entries per bin (glibc.malloc.tcache_count) */
    size_t tcache_unsorted_limit;
};

/* Static in arena/main_arena.c, as glibc's (bins/static_symbols.h). */
#ifdef DEFINES_mp_
STATIC_SYMBOL struct malloc_par mp_;
#else
extern struct malloc_par mp_ STATIC_SYMBOL_NAME(mp_);
#endif

#endif /* ARENALLOC_BINS_MALLOC_PAR_H */
