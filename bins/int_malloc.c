/*
 * int_malloc.c - _int_malloc: find a chunk for a request in one arena.
 *
 * The steps, in glibc's order; the first that produces a chunk wins:
 *
 *   1. fastbin     a chunk of exactly the size, most recently freed first.
 *   2. small bin   a chunk of exactly the size, least recently freed first.
 *      (a large request instead empties the fastbins now: malloc_consolidate)
 *   3. unsorted    walk the chunks freed since the last walk.  An exact fit is
 *                  taken; a small request may split the last remainder; every
 *                  other chunk is sorted into its small or large bin.
 *   4. large bin   the smallest chunk in the request's own large bin that fits.
 *   5. binmap      the first chunk of the next non-empty larger bin, split.
 *   6. top         split the top chunk; if too small and fastbins are not empty,
 *                  consolidate and go back to step 3; else sysmalloc.
 *
 * Steps 4 and 5 are best fit; only step 3's last-remainder rule breaks it, on
 * purpose, so a run of small requests is carved from one place in memory.
 *
 * The calling thread's cache (bins/tcache.h) is filled on the way, while the
 * arena is locked anyway: steps 1 and 2 move the other chunks of the bin they
 * took from into it, and step 3 caches exact fits instead of returning the first
 * one, returning one of them from the cache when the scan ends.
 */
#include "bins/int_malloc.h"

#include <errno.h>

#include "arena/sysmalloc.h"
#include "bins/bins.h"
#include "bins/checks.h"
#include "bins/fastbins.h"
#include "bins/malloc_par.h"
#include "bins/malloc_path.h"
#include "bins/malloc_printerr.h"
#include "bins/perturb.h"
#include "bins/tcache.h"
#include "bins/top.h"

/* The unsorted scan sorts at most this many chunks per call, bounding the time
   one malloc can take. */
#define MAX_ITERS 10000

/* ---- carving chunks ---------------------------------------------------------- */

/* Marks `victim` (free, of `size`, already out of its bin) in use as a whole. */
static void *take_whole(mstate av, mchunkptr victim, INTERNAL_SIZE_T size)
{
    set_inuse_bit_at_offset(victim, size);
    if (av != &main_arena)
        set_non_main_arena(victim);
    return chunk2mem(victim);
}

/* Splits free chunk `victim` of `size` (out of its bin) into an in-use chunk of nb
   and a free remainder.  Returns the remainder, not yet in any bin. */
static mchunkptr split_chunk(mstate av, mchunkptr victim, INTERNAL_SIZE_T size, INTERNAL_SIZE_T nb)
{
    mchunkptr remainder = chunk_at_offset(victim, (ptrdiff_t)nb);
    set_head(victim, nb | PREV_INUSE | arena_bit(av));
    set_head(remainder, (size - nb) | PREV_INUSE);
    set_foot(remainder, size - nb);
    return remainder;
}

/* Steps 4 and 5 end the same way: take `victim` out of its bin and use it whole
   if what is left would be too small for a chunk, else split and send the rest to
   the unsorted bin.  A small request's remainder becomes the last remainder. */
static inline void *take_from_bin(mstate av, mchunkptr victim, INTERNAL_SIZE_T nb, const char *corruption_msg,
                                  bool advertise_remainder)
{
    INTERNAL_SIZE_T size = chunksize(victim);
    unlink_chunk(av, victim);
    if (size - nb < MINSIZE)
        return take_whole(av, victim, size);

    mchunkptr remainder = split_chunk(av, victim, size, nb);
    unsorted_push(av, remainder, size - nb, corruption_msg);
    if (advertise_remainder && in_smallbin_range(nb))
        av->last_remainder = remainder;
    return chunk2mem(victim);
}

/* ---- 1. fastbins ------------------------------------------------------------ */

/* The cache's bin for chunk size nb, or -1 when the thread has no cache or nb
   is beyond tcache_max. */
static long tcache_bin_for(INTERNAL_SIZE_T nb)
{
    size_t tc_idx = csize2tidx(nb);
    return tcache != NULL && tc_idx < mp_.tcache_bins ? (long)tc_idx : -1;
}

/* Having taken a chunk from fastbin fb, moves the bin's other chunks (all of the
   same size) into cache bin tc_idx until it is full. */
static inline __attribute__((always_inline)) void stash_fastbin_chunks(mfastbinptr *fb, size_t tc_idx, bool single)
{
    mchunkptr tc_victim;
    /* With one thread nobody pushes meanwhile: a plain read of the top, which
       unlike fastbin_top's lets the compiler keep what it read before (the
       release in force) across the loop instead of reading it for every chunk. */
    while (tcache_bin_count(tc_idx) < mp_.tcache_count && (tc_victim = single ? *fb : fastbin_top(fb)) != NULL) {
        if (checks_since(32) && misaligned_chunk(tc_victim))
            malloc_printerr("malloc(): unaligned fastbin chunk detected 3");
        tcache_put(fastbin_pop(fb, tc_victim, single), tc_idx);
    }
}

static void stash_fastbin(mfastbinptr *fb, INTERNAL_SIZE_T nb, bool single)
{
    long tc_idx = tcache_bin_for(nb);
    if (tc_idx < 0)
        return;
    /* The same loop twice: the first copy knows the release (checks.h). */
    if (release_is_newest() && single)
        stash_fastbin_chunks(fb, (size_t)tc_idx, true);
    else
        stash_fastbin_chunks(fb, (size_t)tc_idx, single);
}

static void *malloc_from_fastbin(mstate av, INTERNAL_SIZE_T nb)
{
    unsigned idx = fastbin_index(nb);
    mfastbinptr *fb = fastbin(av, idx);
    mchunkptr victim = fastbin_top(fb);
    if (victim == NULL)
        return NULL;
    /* LAB(fastbins) BEGIN */

    if (checks_since(32) && misaligned_chunk(victim))
        malloc_printerr("malloc(): unaligned fastbin chunk detected 2");
    bool single = single_thread_p();
    victim = fastbin_pop(fb, victim, single);
    /* A chunk whose size does not belong to this bin was not put here by free. */
    if (fastbin_index(chunksize(victim)) != idx)
        malloc_printerr("malloc(): memory corruption (fast)");
    stash_fastbin(fb, nb, single);
    return chunk2mem(victim);
    /* LAB(fastbins) END */
}

/* ---- 2. small bins ---------------------------------------------------------- */

/* Having taken a chunk from small bin `bin`, moves the bin's other chunks (all of
   size nb), oldest first, into the cache until the cache's bin is full.  Unlike
   the first chunk taken, these are not checked against their neighbours' links:
   the weakness "tcache stashing unlink" builds on. */
static inline __attribute__((always_inline)) void stash_smallbin_chunks(mstate av, mbinptr bin, INTERNAL_SIZE_T nb,
                                                                         size_t tc_idx)
{
    mchunkptr tc_victim;
    while (tcache_bin_count(tc_idx) < mp_.tcache_count && (tc_victim = last(bin)) != bin) {
        mchunkptr bck = tc_victim->bk;
        take_whole(av, tc_victim, nb);
        bin->bk = bck;
        bck->fd = bin;
        tcache_put(tc_victim, tc_idx);
    }
}

static void stash_smallbin(mstate av, mbinptr bin, INTERNAL_SIZE_T nb)
{
    long tc_idx = tcache_bin_for(nb);
    if (tc_idx < 0)
        return;
    /* The same loop twice: the first copy knows the release (checks.h). */
    if (release_is_newest())
        stash_smallbin_chunks(av, bin, nb, (size_t)tc_idx);
    else
        stash_smallbin_chunks(av, bin, nb, (size_t)tc_idx);
}

static void *malloc_from_smallbin(mstate av, INTERNAL_SIZE_T nb)
{
    mbinptr bin = bin_at(av, smallbin_index(nb));
    mchunkptr victim = last(bin);
    if (victim == bin)
        return NULL;

    mchunkptr bck = victim->bk;
    if (bck->fd != victim)
        malloc_printerr("malloc(): smallbin double linked list corrupted");
    bin->bk = bck;
    bck->fd = bin;
    void *mem = take_whole(av, victim, nb);
    stash_smallbin(av, bin, nb);
    return mem;
}

/* ---- 3. the unsorted bin ------------------------------------------------------- */

/* Aborts unless `victim`, the oldest chunk in the unsorted bin, and its links and
   neighbour look like what free() left there.  Before 2.29 only the size was
   checked, which left the unsorted bin attack open. */
static void check_unsorted_chunk(mstate av, mchunkptr victim)
{
    INTERNAL_SIZE_T size = chunksize(victim);
    mchunkptr next = chunk_at_offset(victim, (ptrdiff_t)size);

    if (!checks_since(29)) {
        if (chunksize_nomask(victim) <= CHUNK_HDR_SZ || chunksize_nomask(victim) > av->system_mem)
            malloc_printerr("malloc(): memory corruption");
        return;
    }
    if (size <= CHUNK_HDR_SZ || size > av->system_mem)
        malloc_printerr("malloc(): invalid size (unsorted)");
    if (chunksize_nomask(next) < CHUNK_HDR_SZ || chunksize_nomask(next) > av->system_mem)
        malloc_printerr("malloc(): invalid next size (unsorted)");
    if ((prev_size(next) & ~(INTERNAL_SIZE_T)SIZE_BITS) != size)
        malloc_printerr("malloc(): mismatching next->prev_size (unsorted)");
    /* LAB(checks) BEGIN quiet */
    if (victim->bk->fd != victim || victim->fd != unsorted_chunks(av))
        malloc_printerr("malloc(): unsorted double linked list corrupted");
    /* LAB(checks) END */
    if (prev_inuse(next))
        malloc_printerr("malloc(): invalid next->prev_inuse (unsorted)");
}

/* The one exception to best fit: a small request that finds the last remainder
   alone in the unsorted bin splits it again, keeping the remainder's remainder in
   the unsorted bin as the new last remainder. */
static void *split_last_remainder(mstate av, mchunkptr victim, INTERNAL_SIZE_T nb)
{
    /* LAB(unsorted) BEGIN */
    INTERNAL_SIZE_T size = chunksize(victim);
    mbinptr unsorted = unsorted_chunks(av);
    mchunkptr remainder = chunk_at_offset(victim, (ptrdiff_t)nb);

    unsorted->bk = unsorted->fd = remainder;
    remainder->bk = remainder->fd = unsorted;
    if (!in_smallbin_range(size - nb)) {
        remainder->fd_nextsize = NULL;
        remainder->bk_nextsize = NULL;
    }
    av->last_remainder = remainder;
    split_chunk(av, victim, size, nb);
    return chunk2mem(victim);
    /* LAB(unsorted) END */
}

/* Links `victim` into large bin `bck` (non-empty), keeping the bin sorted by size,
   largest first, and the nextsize list pointing at the first chunk of each size.
   A chunk of a size already present goes second in its run, so the run's head,
   and with it the nextsize list, stays as it is.  Sets *bckp and *fwdp to the
   neighbours victim must be linked between. */
static void largebin_find_place(mchunkptr victim, INTERNAL_SIZE_T size, mchunkptr *bckp, mchunkptr *fwdp)
{
    /* LAB(bins) BEGIN */
    mchunkptr bck = *bckp;
    mchunkptr fwd = bck->fd;

    size |= PREV_INUSE; /* compare with raw size words, whose P bit is always set */
    if (size < chunksize_nomask(bck->bk)) {
        /* Smaller than everything: goes last, and last in the nextsize list. */
        fwd = bck;
        bck = bck->bk;
        victim->fd_nextsize = fwd->fd;
        victim->bk_nextsize = fwd->fd->bk_nextsize;
        fwd->fd->bk_nextsize = victim->bk_nextsize->fd_nextsize = victim;
    } else {
        while (size < chunksize_nomask(fwd))
            fwd = fwd->fd_nextsize;
        if (size == chunksize_nomask(fwd)) {
            fwd = fwd->fd; /* second in the run of its size */
        } else {
            victim->fd_nextsize = fwd;
            victim->bk_nextsize = fwd->bk_nextsize;
            if (checks_since(30) && fwd->bk_nextsize->fd_nextsize != fwd)
                malloc_printerr("malloc(): largebin double linked list corrupted (nextsize)");
            fwd->bk_nextsize = victim;
            victim->bk_nextsize->fd_nextsize = victim;
        }
        bck = fwd->bk;
        if (checks_since(30) && bck->fd != fwd)
            malloc_printerr("malloc(): largebin double linked list corrupted (bk)");
    }
    *bckp = bck;
    *fwdp = fwd;
    /* LAB(bins) END */
}

/* Sorts `victim` (out of the unsorted bin) into its small or large bin. */
static void place_in_bin(mstate av, mchunkptr victim, INTERNAL_SIZE_T size)
{
    unsigned victim_index = bin_index(size);
    mchunkptr bck = bin_at(av, victim_index);
    mchunkptr fwd = bck->fd;

    if (!in_smallbin_range(size)) {
        if (fwd != bck)
            largebin_find_place(victim, size, &bck, &fwd);
        else
            victim->fd_nextsize = victim->bk_nextsize = victim;
    }
    mark_bin(av, victim_index);
    victim->bk = bck;
    victim->fd = fwd;
    fwd->bk = victim;
    bck->fd = victim;
}

/* What step 3 needs to fill the cache with exact fits (glibc's tcache_nb,
   return_cached and tcache_unsorted_count), kept across the retries of 3 to 6. */
struct unsorted_fill {
    long tc_idx;        /* the cache's bin for nb, or -1: an exact fit is returned at once */
    bool return_cached; /* an exact fit went into the cache: the request is served from there */
    size_t sorted;      /* chunks sorted into bins since then, for tcache_unsorted_limit */
    bool from_cache;    /* the memory returned came out of the cache */
};

/* Ends step 3 with one of the exact fits it cached. */
static void *return_cached(struct unsorted_fill *fill)
{
    fill->from_cache = true;
    return malloc_path(PATH_UNSORTED_EXACT, tcache_get((size_t)fill->tc_idx));
}

/* Step 3: walks the unsorted bin from its oldest chunk.  Returns memory for nb if
   a chunk fits exactly or the last remainder can be split; NULL once every chunk
   walked has been sorted into its bin.  Exact fits go into the cache while its bin
   has room, and the walk goes on (up to tcache_unsorted_limit more sorted chunks):
   the next requests of the same size will want them. */
static void *process_unsorted(mstate av, INTERNAL_SIZE_T nb, struct unsorted_fill *fill)
{
    mbinptr unsorted = unsorted_chunks(av);
    mchunkptr victim;
    int iters = 0;

    while ((victim = unsorted->bk) != unsorted) {
        /* LAB(unsorted) BEGIN */
        mchunkptr bck = victim->bk;
        INTERNAL_SIZE_T size = chunksize(victim);
        check_unsorted_chunk(av, victim);

        if (in_smallbin_range(nb) && bck == unsorted && victim == av->last_remainder && size > nb + MINSIZE)
            return malloc_path(PATH_LAST_REMAINDER, split_last_remainder(av, victim, nb));

        if (checks_since(29) && bck->fd != victim)
            malloc_printerr("malloc(): corrupted unsorted chunks 3");
        unsorted->bk = bck;
        bck->fd = unsorted;

        if (size == nb) {
            void *mem = take_whole(av, victim, size);
            if (fill->tc_idx < 0 || tcache_bin_count(fill->tc_idx) >= mp_.tcache_count)
                return malloc_path(PATH_UNSORTED_EXACT, mem);
            tcache_put(victim, (size_t)fill->tc_idx);
            fill->return_cached = true;
            continue;
        }

        place_in_bin(av, victim, size);
        malloc_path_note(PATH_UNSORTED_SORTED);
        fill->sorted++;
        if (fill->return_cached && mp_.tcache_unsorted_limit > 0 && fill->sorted > mp_.tcache_unsorted_limit)
            return return_cached(fill);
        if (++iters >= MAX_ITERS)
            break;
        /* LAB(unsorted) END */
    }
    return fill->return_cached ? return_cached(fill) : NULL;
}

/* ---- 4. the request's own large bin ---------------------------------------------- */

static void *malloc_from_largebin(mstate av, INTERNAL_SIZE_T nb, unsigned idx)
{
    mbinptr bin = bin_at(av, idx);
    mchunkptr victim = first(bin);

    /* Empty, or even the largest chunk (the first) is too small. */
    if (victim == bin || chunksize_nomask(victim) < nb)
        return NULL;

    /* LAB(bins) BEGIN */
    /* Walk the sizes upwards from the smallest until one fits. */
    victim = victim->bk_nextsize;
    while (chunksize(victim) < nb)
        victim = victim->bk_nextsize;
    /* Prefer the second chunk of a run: taking the head would mean re-threading
       the nextsize list through its successor. */
    if (victim != last(bin) && chunksize_nomask(victim) == chunksize_nomask(victim->fd))
        victim = victim->fd;
    return take_from_bin(av, victim, nb, "malloc(): corrupted unsorted chunks", false);
    /* LAB(bins) END */
}

/* ---- 5. the next larger non-empty bin, by the binmap --------------------------------- */

static void *malloc_from_binmap(mstate av, INTERNAL_SIZE_T nb, unsigned idx)
{
    idx++; /* the bins after nb's own */
    mbinptr bin = bin_at(av, idx);
    unsigned block = idx2block(idx);
    unsigned map = av->binmap[block];
    unsigned bit = idx2bit(idx);

    for (;;) {
        /* No set bit at or above `bit` in this word: find the next non-zero word. */
        if (bit > map || bit == 0) {
            do {
                if (++block >= BINMAPSIZE)
                    return NULL;
            } while ((map = av->binmap[block]) == 0);
            bin = bin_at(av, block << BINMAPSHIFT);
            bit = 1;
        }
        while ((bit & map) == 0) {
            bin = next_bin(bin);
            bit <<= 1;
        }
        mchunkptr victim = last(bin);
        if (victim != bin) /* every chunk here is larger than nb: take the oldest */
            return take_from_bin(av, victim, nb, "malloc(): corrupted unsorted chunks 2", true);

        /* The bit was stale (the bin emptied since it was set): clear it, go on. */
        av->binmap[block] = map &= ~bit;
        bin = next_bin(bin);
        bit <<= 1;
    }
}

/* ---- 6. the top chunk ------------------------------------------------------------ */

/* Steps 1 to 6 for chunk size nb. */
static void *malloc_steps(mstate av, INTERNAL_SIZE_T nb, struct unsorted_fill *fill)
{
    void *p;

    if (nb <= get_max_fast() && (p = malloc_from_fastbin(av, nb)) != NULL)
        return malloc_path(PATH_FASTBIN, p);
    if (in_smallbin_range(nb)) {
        if ((p = malloc_from_smallbin(av, nb)) != NULL)
            return malloc_path(PATH_SMALLBIN, p);
    } else if (have_fastchunks(av)) {
        /* Large requests first merge the fastbins, so the small chunks parked
           there can form a chunk large enough instead of fragmenting the heap. */
        malloc_path_note(PATH_MALLOC_CONSOLIDATE);
        malloc_consolidate(av);
    }

    /* Asked only now, as glibc does: a chunk found above needs no cache bin. */
    fill->tc_idx = tcache_bin_for(nb);
    /* nb's bin, worked out once before the loop, as glibc does: left to the
       steps below, the compiler hoisted every case of the computation out of
       the loop, and each call paid for all of them. */
    unsigned idx = bin_index(nb);
    for (;;) {
        if ((p = process_unsorted(av, nb, fill)) != NULL)
            return p;
        if (!in_smallbin_range(nb) && (p = malloc_from_largebin(av, nb, idx)) != NULL)
            return malloc_path(PATH_LARGEBIN, p);
        if ((p = malloc_from_binmap(av, nb, idx)) != NULL)
            return malloc_path(PATH_BINMAP, p);

        INTERNAL_SIZE_T top_size = chunksize(av->top);
        if (checks_since(29) && top_size > av->system_mem) /* House of Force */
            malloc_printerr("malloc(): corrupted top size");
        if (top_size >= nb + MINSIZE)
            return malloc_path(PATH_USE_TOP, split_top(av, nb));
        if (!have_fastchunks(av))
            return sysmalloc(nb, av);
        /* Merging the fastbins may free enough, perhaps next to top: retry. */
        malloc_path_note(PATH_MALLOC_CONSOLIDATE);
        malloc_consolidate(av);
    }
}

void *_int_malloc(mstate av, size_t bytes)
{
    INTERNAL_SIZE_T nb = checked_request2size(bytes);
    if (nb == 0) {
        errno = ENOMEM;
        return NULL;
    }
    struct unsorted_fill fill = {.tc_idx = -1};
    void *p = malloc_steps(av, nb, &fill);
    if (p != NULL && !fill.from_cache) /* glibc fills no memory from the cache */
        alloc_perturb(p, bytes);
    return p;
}
