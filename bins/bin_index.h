/*
 * bin_index.h - which bin a chunk size belongs to.
 *
 * An arena keeps free chunks in bins, each holding one range of sizes.  This file
 * is only the arithmetic from a size to a bin number; the bins themselves are in
 * malloc_state.h.  The geometry is glibc's on 64-bit, so the bin a student
 * predicts from glibc's source is the bin arenalloc uses.
 *
 *   fastbins  10 singly-linked LIFO lists, chunk sizes 32, 48, ... 176 (one size
 *             each); by default only sizes up to 128 are put there (M_MXFAST).
 *   bin 1     the unsorted bin: every freed chunk waits here for one malloc.
 *   bins 2-63 small bins, one size each: 32, 48, ... 1008 (62 bins).
 *   bins 64-126  large bins, ranges that widen with the size (63 bins):
 *
 *       bins      width of each    chunk sizes
 *       64-96         64 bytes      1024 ... 3135
 *       97-111       512 bytes      3136 ... 10751  (97 and 112 are narrower:
 *       112-119     4096 bytes     10752 ... 40959   where two bands meet, a bin
 *       120           (wider)      40960 ... 65535   takes what is left of both)
 *       121-123    32768 bytes     65536 ... 163839
 *       124-125     (wider)       163840 ... 524287
 *       126         the rest      524288 ...
 *
 * Bin 0 and bin 127 do not exist (bin 0's slot is never used; NBINS counts them).
 */
#ifndef ARENALLOC_BINS_BIN_INDEX_H
#define ARENALLOC_BINS_BIN_INDEX_H

#include "bins/chunk.h"

/* ---- regular bins ------------------------------------------------------------ */

#define NBINS          128
#define NSMALLBINS     64
#define SMALLBIN_WIDTH MALLOC_ALIGNMENT
/* The first size too large for a small bin: 1024 on 64-bit. */
#define MIN_LARGE_SIZE (NSMALLBINS * SMALLBIN_WIDTH)

static inline bool in_smallbin_range(INTERNAL_SIZE_T sz) { return sz < MIN_LARGE_SIZE; }

/* Small bins hold one size each, 16 bytes apart: size 32 is bin 2. */
static inline unsigned smallbin_index(INTERNAL_SIZE_T sz) { return (unsigned)(sz >> 4); }

/* Large bins: the first test that fits picks a band of the table above. */
static inline unsigned largebin_index(INTERNAL_SIZE_T sz)
{
    if ((sz >> 6) <= 48)
        return 48 + (unsigned)(sz >> 6);
    if ((sz >> 9) <= 20)
        return 91 + (unsigned)(sz >> 9);
    if ((sz >> 12) <= 10)
        return 110 + (unsigned)(sz >> 12);
    if ((sz >> 15) <= 4)
        return 119 + (unsigned)(sz >> 15);
    if ((sz >> 18) <= 2)
        return 124 + (unsigned)(sz >> 18);
    return 126;
}

static inline unsigned bin_index(INTERNAL_SIZE_T sz)
{
    return in_smallbin_range(sz) ? smallbin_index(sz) : largebin_index(sz);
}

/* The smallest chunk size that goes to bin i or a later one (2 <= i < NBINS),
   found by bisection since bin_index never decreases as sizes grow.  With the
   next bin's, it gives the sizes a bin holds; for printing only. */
static inline size_t bin_lowest_size(unsigned i)
{
    size_t lo = MINSIZE, hi = (size_t)1 << 40;
    while (lo < hi) {
        size_t mid = (lo + (hi - lo) / 2) & ~(size_t)MALLOC_ALIGN_MASK;
        if (bin_index(mid) >= i)
            hi = mid;
        else
            lo = mid + MALLOC_ALIGNMENT;
    }
    return lo;
}

/* ---- the binmap ------------------------------------------------------------ */

/* One bit per bin, set when the bin may be non-empty, so malloc can skip empty
   bins a 32-bit word at a time.  Bits are set eagerly when a chunk is binned and
   cleared lazily, when a search finds the bin empty: a set bit is a hint, a
   clear bit is a promise. */
#define BINMAPSHIFT 5
#define BITSPERMAP  (1U << BINMAPSHIFT)
#define BINMAPSIZE  (NBINS / BITSPERMAP)

static inline unsigned idx2block(unsigned i) { return i >> BINMAPSHIFT; }
static inline unsigned idx2bit(unsigned i) { return 1U << (i & (BITSPERMAP - 1)); }

/* ---- fastbins ---------------------------------------------------------------- */

/* Fastbins hold one chunk size each, 16 bytes apart, from MINSIZE (index 0). */
static inline unsigned fastbin_index(INTERNAL_SIZE_T sz) { return (unsigned)(sz >> 4) - 2; }

/* The largest request M_MXFAST may make fast: 160 bytes, chunk size 176. */
#define MAX_FAST_SIZE (80 * SIZE_SZ / 4)
/* fastbin_index(request2size(MAX_FAST_SIZE)) + 1; spelled out because it sizes
   an array. */
#define NFASTBINS     10

/* The default M_MXFAST: requests up to 128 bytes (chunk size 128). */
#define DEFAULT_MXFAST (64 * SIZE_SZ / 4)

/* Freeing a chunk this large (after merging) first empties the fastbins into the
   regular bins, so free memory next to top can be seen and trimmed. */
#define FASTBIN_CONSOLIDATION_THRESHOLD 65536UL

#endif /* ARENALLOC_BINS_BIN_INDEX_H */
