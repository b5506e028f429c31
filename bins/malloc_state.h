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
#include "bins/static_symbols.h"
#include "syscall/os.h"

typedef struct malloc_chunk *mbinptr;    /* a bin header, seen as a chunk */
typedef struct malloc_chunk *mfastbinptr;

/* av->flags: the arena's memory is not one contiguous range (always true for
   thread arenas; true for main_arena once brk failed and mmap took over). */
#define NONCONTIGUOUS_BIT 2U

/* Whether the structure has glibc 2.27's have_fastchunks field.  Before 2.27
   the same fact was bit 0 of flags, inverted (FASTCHUNKS_BIT set: every
   fastbin empty), and fastbinsY came 8 bytes earlier, which a lab that forges
   an arena (House of Mind) depends on.  A layout cannot change at run time:
   `make RELEASE=2.26` (or older) builds the older one. */
#if defined(ARENALLOC_RELEASE_BUILD) && ARENALLOC_RELEASE_BUILD < 27
#define HAVE_FASTCHUNKS_FIELD 0
#define FASTCHUNKS_BIT 1U
#else
#define HAVE_FASTCHUNKS_FIELD 1
#endif

struct malloc_state {
    os_lock_t mutex;                      /* serialises every use of this arena */
    int flags;                            /* NONCONTIGUOUS_BIT (and FASTCHUNKS_BIT before 2.27) */
#if HAVE_FASTCHUNKS_FIELD
    int have_fastchunks;                  /* some fastbin may be non-empty */
#endif
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

/* The arena that owns the brk heap.  Defined in arena/main_arena.c, static as
   glibc's (bins/static_symbols.h); bins/ needs its address only to tell
   main_arena's chunks (NON_MAIN_ARENA clear) from the others. */
#ifdef DEFINES_main_arena
STATIC_SYMBOL struct malloc_state main_arena;
#else
extern struct malloc_state main_arena STATIC_SYMBOL_NAME(main_arena);
#endif

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

/* flags is read and changed atomically: before 2.27 it also holds the bit free
   sets without the arena's lock (below), and a plain read-modify-write of one
   bit could undo a concurrent change of the other. */
static inline int arena_flags(mstate av) { return __atomic_load_n(&av->flags, __ATOMIC_RELAXED); }

static inline bool contiguous(mstate av) { return !(arena_flags(av) & NONCONTIGUOUS_BIT); }
static inline void set_noncontiguous(mstate av)
{
    __atomic_fetch_or(&av->flags, (int)NONCONTIGUOUS_BIT, __ATOMIC_RELAXED);
}

/* Whether some fastbin may be non-empty, in either layout.  free sets it
   without the arena's lock (bins/fastbins.h), hence atomic accesses; relaxed
   ones, as the flag is only a hint that malloc_consolidate has work to do. */
#if HAVE_FASTCHUNKS_FIELD
static inline bool have_fastchunks(mstate av) { return __atomic_load_n(&av->have_fastchunks, __ATOMIC_RELAXED); }
static inline void set_fastchunks(mstate av) { __atomic_store_n(&av->have_fastchunks, 1, __ATOMIC_RELAXED); }
static inline void clear_fastchunks(mstate av) { __atomic_store_n(&av->have_fastchunks, 0, __ATOMIC_RELAXED); }
#else
static inline bool have_fastchunks(mstate av) { return !(arena_flags(av) & (int)FASTCHUNKS_BIT); }
static inline void set_fastchunks(mstate av)
{
    __atomic_fetch_and(&av->flags, ~(int)FASTCHUNKS_BIT, __ATOMIC_RELAXED);
}
static inline void clear_fastchunks(mstate av)
{
    __atomic_fetch_or(&av->flags, (int)FASTCHUNKS_BIT, __ATOMIC_RELAXED);
}
#endif

/* glibc's SINGLE_THREAD_P.  While the process has one thread, nobody else can
   hold an arena's lock or want it, so malloc, free, calloc, realloc and the
   aligned allocators take no lock at all: they allocate from main_arena (free
   goes to the chunk's own arena), and a request that fails is not tried again
   in another arena, since there is no contention to escape.  Asked once per
   call: a call that began without the lock cannot be overtaken, because only
   this thread can start a second one, and not from inside malloc.  Once a
   second thread has existed the answer stays false, and every call locks.
   (free never locks for a fast chunk: bins/fastbins.h.) */
static inline bool single_thread_p(void) { return os_single_threaded(); }

/* The NON_MAIN_ARENA bit every chunk of this arena carries in its size word. */
static inline INTERNAL_SIZE_T arena_bit(mstate av) { return av != &main_arena ? NON_MAIN_ARENA : 0; }

/* Empties the bins and fastbins and points top at initial_top.  Main arena only:
   fastbins on (M_MXFAST), and the brk heap is contiguous until proven otherwise. */
void malloc_init_state(mstate av);

#endif /* ARENALLOC_BINS_MALLOC_STATE_H */
