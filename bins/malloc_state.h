/*
 * malloc_state.h - one arena's bookkeeping: its bins, its top chunk, its lock.
 *
 * struct malloc_state is glibc's, field for field and byte for byte, so gdb
 * scripts written for glibc's main_arena can read arenalloc's.  This file gives
 * the structure and the small accessors every algorithm in bins/ uses:
 *
 *   fastbinsY[i]   singly-linked, LIFO lists of chunks of one small size, left
 *                  marked in use so nothing merges with them (fastbins.h).
 *   bins[]         doubly-linked circular lists; bin 1 is the unsorted bin,
 *                  2..63 the small bins, 64..126 the large bins (bin_index.h).
 *   top            the chunk at the high end of the arena's memory, never in a
 *                  bin: what is left when no bin can serve a request, grown by
 *                  sysmalloc and shrunk by systrim.
 *   last_remainder what was left the last time a chunk was split for a small
 *                  request; the next small request is carved from it again so
 *                  consecutive small allocations end up next to each other.
 *
 * How a bin header is stored: each bin is just a pair of pointers (fd, bk) in
 * bins[].  bin_at() returns the address 16 bytes *before* the pair, so that the
 * pair sits exactly where a chunk's fd and bk fields would; the bin header can
 * then be linked into its list and compared like any chunk, and the list code
 * never needs a special case for the head.  The fake chunk's prev_size and size
 * overlap the previous bin's pair: never read them.
 */
#ifndef ARENALLOC_BINS_MALLOC_STATE_H
#define ARENALLOC_BINS_MALLOC_STATE_H

#include "bins/bin_index.h"
#include "bins/chunk.h"
#include "syscall/os.h"

typedef struct malloc_chunk *mbinptr;    /* a bin header, seen as a chunk */
typedef struct malloc_chunk *mfastbinptr;

/* av->flags: the arena's memory is not one contiguous range (always true for
   thread arenas; true for main_arena once brk failed and mmap took over). */
#define NONCONTIGUOUS_BIT 2U

struct malloc_state {
    os_lock_t mutex;                      /* serialises every use of this arena */
    int flags;                            /* NONCONTIGUOUS_BIT */
    int have_fastchunks;                  /* some fastbin may be non-empty */
    mfastbinptr fastbinsY[NFASTBINS];     /* heads of the fastbin lists */
    mchunkptr top;                        /* the top chunk */
    mchunkptr last_remainder;             /* remainder of the last small split */
    mchunkptr bins[NBINS * 2 - 2];        /* fd/bk pairs of bins 1..127 */
    unsigned int binmap[BINMAPSIZE];      /* one bit per possibly non-empty bin */
    struct malloc_state *next;            /* ring of all arenas */
    struct malloc_state *next_free;       /* list of arenas no thread uses */
    INTERNAL_SIZE_T attached_threads;     /* threads whose arena this is */
    INTERNAL_SIZE_T system_mem;           /* bytes obtained from the OS */
    INTERNAL_SIZE_T max_system_mem;       /* highest system_mem so far */
};

typedef struct malloc_state *mstate;

/* The arena that owns the brk heap.  Defined in arena/; bins/ needs its address
   only to tell main_arena's chunks (NON_MAIN_ARENA clear) from the others. */
extern OS_HIDDEN struct malloc_state main_arena;

/* ---- bins as lists ----------------------------------------------------------- */

static inline mbinptr bin_at(mstate av, unsigned i)
{
    /* Signed: the binmap search starts a word at bin 0, which has no pair; its
       address (before bins[]) is computed but never read. */
    ptrdiff_t pair = ((ptrdiff_t)i - 1) * 2;
    return (mbinptr)((char *)av->bins + pair * (ptrdiff_t)sizeof(mchunkptr) - offsetof(struct malloc_chunk, fd));
}
static inline mbinptr next_bin(mbinptr b) { return (mbinptr)((char *)b + 2 * sizeof(mchunkptr)); }

/* Lists run from the bin header forwards (fd) from newest to oldest: chunks are
   added at the front, and small bins take from the back (FIFO). */
static inline mchunkptr first(mbinptr b) { return b->fd; }
static inline mchunkptr last(mbinptr b) { return b->bk; }

static inline mbinptr unsorted_chunks(mstate av) { return bin_at(av, 1); }

/* Before an arena has memory its top is the unsorted bin's header, whose size
   field reads as 0 (bins[] starts zeroed): the first malloc then finds top too
   small and calls sysmalloc, with no special case for "no top yet". */
static inline mchunkptr initial_top(mstate av) { return unsorted_chunks(av); }

/* ---- binmap ---------------------------------------------------------------- */

static inline void mark_bin(mstate av, unsigned i) { av->binmap[idx2block(i)] |= idx2bit(i); }
static inline void unmark_bin(mstate av, unsigned i) { av->binmap[idx2block(i)] &= ~idx2bit(i); }
static inline bool get_binmap(mstate av, unsigned i) { return av->binmap[idx2block(i)] & idx2bit(i); }

/* ---- flags and arena identity ------------------------------------------------ */

static inline bool contiguous(mstate av) { return !(av->flags & NONCONTIGUOUS_BIT); }
static inline void set_noncontiguous(mstate av) { av->flags |= (int)NONCONTIGUOUS_BIT; }

/* The NON_MAIN_ARENA bit every chunk of this arena carries in its size word. */
static inline INTERNAL_SIZE_T arena_bit(mstate av) { return av != &main_arena ? NON_MAIN_ARENA : 0; }

/* Empties the bins and fastbins and points top at initial_top.  Main arena only:
   fastbins on (M_MXFAST), and the brk heap is contiguous until proven otherwise. */
void malloc_init_state(mstate av);

#endif /* ARENALLOC_BINS_MALLOC_STATE_H */
