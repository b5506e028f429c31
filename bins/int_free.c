/*
 * int_free.c - _int_free and malloc_consolidate: giving chunks back to an arena.
 *
 * A freed chunk small enough for the per-thread cache goes there first, while
 * its bin in the cache has room (bins/tcache.h).  Otherwise it takes one of two
 * roads:
 *
 *   fast    its size is at most M_MXFAST: push it on its fastbin and stop.  No
 *           merging, no header change, no lock (bins/fastbins.h); the cheapest
 *           free there is.
 *   normal  under the arena's lock, merge it with a free neighbour on either
 *           side (boundary tags make that O(1): PREV_INUSE and prev_size say
 *           where the previous chunk starts, the next chunk's successor's
 *           PREV_INUSE says whether the next one is free), then put the result
 *           at the front of the unsorted bin, or make it part of top if it
 *           touches top.
 *
 * Fastbin chunks are merged later, all at once, by malloc_consolidate, which runs
 * each through the same merging step.  Freeing a chunk that ends up 64 KiB or more
 * also consolidates, and then asks arena/ to trim the top of the heap.
 */
#include "bins/int_malloc.h"

#include "arena/sysmalloc.h"
#include "bins/bins.h"
#include "bins/checks.h"
#include "bins/fastbins.h"
#include "bins/malloc_par.h"
#include "bins/malloc_path.h"
#include "bins/malloc_printerr.h"
#include "bins/perturb.h"
#include "bins/tcache.h"

/* Merges free chunk p (of `size`, in no bin; `nextchunk` is the chunk after it)
   with whichever neighbours are free, and files the result: into top if it
   touches top, else at the front of the unsorted bin.  Returns the merged size.
   The two callers differ only in the words of their corruption messages.
   (glibc 2.39 gave this step, and the two below, these names.) */
static inline INTERNAL_SIZE_T _int_free_create_chunk(mstate av, mchunkptr p, INTERNAL_SIZE_T size, mchunkptr nextchunk,
                                                     const char *prev_size_msg, const char *unsorted_msg)
{
    /* LAB(coalesce) BEGIN */
    INTERNAL_SIZE_T nextsize = chunksize(nextchunk);

    if (!prev_inuse(p)) {
        INTERNAL_SIZE_T prevsize = prev_size(p);
        size += prevsize;
        p = chunk_at_offset(p, -(ptrdiff_t)prevsize);
        if (checks_since(29) && chunksize(p) != prevsize)
            malloc_printerr(prev_size_msg);
        unlink_chunk(av, p);
        malloc_path_note(PATH_CONSOLIDATE_BACKWARD);
    }

    if (nextchunk == av->top) {
        size += nextsize;
        set_head(p, size | PREV_INUSE);
        av->top = p;
        malloc_path_note(PATH_FREE_TOP);
        return size;
    }

    if (!inuse_bit_at_offset(nextchunk, nextsize)) {
        unlink_chunk(av, nextchunk);
        size += nextsize;
        malloc_path_note(PATH_CONSOLIDATE_FORWARD);
    } else {
        clear_inuse_bit_at_offset(nextchunk, 0); /* p is free now */
    }
    unsorted_push(av, p, size, unsorted_msg);
    malloc_path_note(PATH_FREE_UNSORTED);
    set_head(p, size | PREV_INUSE);
    set_foot(p, size);
    return size;
    /* LAB(coalesce) END */
}

/* free found the key in chunk e of bin tc_idx: a double free, or a program
   whose data holds the key.  Walks the bin to tell which; aborts on the first. */
static void tcache_double_free_verify(tcache_entry *e, size_t tc_idx)
{
    size_t cnt = 0;
    for (tcache_entry *tmp = tcache->entries[tc_idx]; tmp != NULL; tmp = tcache_reveal(&tmp->next), ++cnt) {
        /* A bin never holds more than tcache_count entries: more means the list
           was rewritten into a loop, which this walk would never leave. */
        if (checks_since(33) && cnt >= mp_.tcache_count)
            malloc_printerr("free(): too many chunks detected in tcache");
        if (checks_since(32) && !aligned_OK((uintptr_t)tmp))
            malloc_printerr("free(): unaligned chunk detected in tcache 2");
        if (tmp == e)
            malloc_printerr("free(): double free detected in tcache 2");
    }
    /* Not in the bin: the program's data happened to hold the key.  Go on. */
}

/* The first road of all, from glibc 2.26: the calling thread's cache, while the
   chunk's bin there has room.  Needs no lock.  A chunk carrying the cache's key
   may be in the cache already: the bin is searched before anything else. */
static inline __attribute__((always_inline)) bool free_to_tcache(mchunkptr p, INTERNAL_SIZE_T size)
{
    size_t tc_idx = csize2tidx(size);
    if (tcache == NULL || tc_idx >= mp_.tcache_bins)
        return false;

    tcache_entry *e = chunk2mem(p);
    /* LAB(checks) BEGIN quiet */
    if (checks_since(29) && e->key == tcache_key_value())
        tcache_double_free_verify(e, tc_idx);
    /* LAB(checks) END */
    if (tcache_bin_count(tc_idx) >= mp_.tcache_count)
        return false;
    tcache_put(p, tc_idx);
    malloc_path_note(PATH_TCACHE_PUT);
    return true;
}

/* Whether this free must take av's lock itself (not held, and needed). */
static inline bool free_must_lock(enum free_lock lock) { return lock == FREE_LOCK_TAKE || lock == FREE_LOCK_VISIT; }

/* Takes av's lock as `lock` says, and gives it back. */
static inline void free_lock_take(mstate av, enum free_lock lock)
{
    if (lock == FREE_LOCK_TAKE)
        os_lock(&av->mutex);
    else if (lock == FREE_LOCK_VISIT)
        os_lock_as_visitor(&av->mutex);
}

static inline void free_lock_release(mstate av, enum free_lock lock)
{
    if (free_must_lock(lock))
        os_unlock(&av->mutex);
}

/* Whether the chunk after a fast chunk has a size no chunk can have.  Without
   the lock, another thread may be growing system_mem: a failure is then
   checked again under the lock before it counts. */
static bool fast_next_size_bad(mstate av, mchunkptr next, enum free_lock lock)
{
    bool bad = chunksize_nomask(next) <= CHUNK_HDR_SZ || chunksize(next) >= av->system_mem;
    if (bad && free_must_lock(lock)) {
        free_lock_take(av, lock);
        bad = chunksize_nomask(next) <= CHUNK_HDR_SZ || chunksize(next) >= av->system_mem;
        free_lock_release(av, lock);
    }
    return bad;
}

/* Pushes fast chunk p on its fastbin, with or without av's lock (`lock` says
   which; the push is lock-free either way, bins/fastbins.h). */
static void free_to_fastbin(mstate av, mchunkptr p, INTERNAL_SIZE_T size, enum free_lock lock)
{
    /* LAB(fastbins) BEGIN */
    if (fast_next_size_bad(av, chunk_at_offset(p, (ptrdiff_t)size), lock))
        malloc_printerr("free(): invalid next size (fast)");

    free_perturb(chunk2mem(p), size - CHUNK_HDR_SZ);
    set_fastchunks(av);
    unsigned idx = fastbin_index(size);
    mfastbinptr *fb = fastbin(av, idx);
    bool single = single_thread_p();
    mchunkptr old = fastbin_top(fb);
    do {
        /* Only the top of the bin is checked: freeing the same chunk twice in a
           row is the common double free, and checking deeper would cost a walk. */
        /* LAB(checks) BEGIN quiet */
        if (old == p)
            malloc_printerr("double free or corruption (fasttop)");
        /* LAB(checks) END */
        p->fd = protect_ptr(&p->fd, old);
    } while (!fastbin_replace_top(fb, &old, p, single));
    malloc_path_note(PATH_FREE_FASTBIN);
    /* The old top may be read only under the lock: without it, another thread
       may have taken that chunk and be using it by now.  So only a caller that
       holds the lock checks it, as in glibc, where free() never does (not even
       with one thread: a bad size there is found by malloc_consolidate). */
    if (lock == FREE_LOCK_HELD && old != NULL && fastbin_index(chunksize(old)) != idx)
        malloc_printerr("invalid fastbin entry (free)");
    /* LAB(fastbins) END */
}

/* A large free may leave a large top; fastbin chunks next to top would hide
   part of it, so empty them first, then see whether top is worth trimming. */
static void _int_free_maybe_consolidate(mstate av, INTERNAL_SIZE_T size)
{
    if (size >= FASTBIN_CONSOLIDATION_THRESHOLD) {
        if (have_fastchunks(av))
            malloc_consolidate(av);
        trim_top(av);
    }
}

/* A chunk too large for a fastbin: check that it is a chunk in use, then merge
   it with its free neighbours into the unsorted bin or top. */
static void _int_free_merge_chunk(mstate av, mchunkptr p, INTERNAL_SIZE_T size)
{
    mchunkptr nextchunk = chunk_at_offset(p, (ptrdiff_t)size);

    /* These catch a pointer freed twice, or one that was never malloc'ed: p must
       not be top, must lie below top's end, and must be marked in use. */
    if (p == av->top)
        malloc_printerr("double free or corruption (top)");
    if (contiguous(av) && (char *)nextchunk >= (char *)av->top + chunksize(av->top))
        malloc_printerr("double free or corruption (out)");
    if (!prev_inuse(nextchunk))
        malloc_printerr("double free or corruption (!prev)");
    if (chunksize_nomask(nextchunk) <= CHUNK_HDR_SZ || chunksize(nextchunk) >= av->system_mem)
        malloc_printerr("free(): invalid next size (normal)");

    free_perturb(chunk2mem(p), size - CHUNK_HDR_SZ);
    size = _int_free_create_chunk(av, p, size, nextchunk, "corrupted size vs. prev_size while consolidating",
                                  "free(): corrupted unsorted chunks");
    _int_free_maybe_consolidate(av, size);
}

void _int_free(mstate av, mchunkptr p, enum free_lock lock)
{
    INTERNAL_SIZE_T size = chunksize(p);

    /* A chunk cannot wrap around the end of the address space, and starts on a
       16-byte boundary: anything else was not returned by malloc. */
    if ((uintptr_t)p > (uintptr_t)-size || misaligned_chunk(p))
        malloc_printerr("free(): invalid pointer");
    if (size < MINSIZE || !aligned_OK(size))
        malloc_printerr("free(): invalid size");

    /* The same call twice: the first copy knows the release (checks.h). */
    if (release_is_newest()) {
        if (free_to_tcache(p, size))
            return;
    } else if (free_to_tcache(p, size)) {
        return;
    }

    if (size <= get_max_fast()) {
        free_to_fastbin(av, p, size, lock);
        return;
    }
    free_lock_take(av, lock);
    _int_free_merge_chunk(av, p, size);
    free_lock_release(av, lock);
}

void malloc_consolidate(mstate av)
{
    /* LAB(fastbins) BEGIN */
    clear_fastchunks(av);

    for (unsigned i = 0; i < NFASTBINS; i++) {
        mfastbinptr *fb = fastbin(av, i);
        mchunkptr p = fastbin_take_all(fb); /* frees may still push; they start a new chain */
        while (p != NULL) {
            if (checks_since(32) && misaligned_chunk(p))
                malloc_printerr("malloc_consolidate(): unaligned fastbin chunk detected");
            if (checks_since(27) && fastbin(av, fastbin_index(chunksize(p))) != fb)
                malloc_printerr("malloc_consolidate(): invalid chunk size");

            mchunkptr nextp = reveal_ptr(&p->fd);
            INTERNAL_SIZE_T size = chunksize(p);
            _int_free_create_chunk(av, p, size, chunk_at_offset(p, (ptrdiff_t)size),
                                   "corrupted size vs. prev_size in fastbins", NULL);
            p = nextp;
        }
    }
    /* LAB(fastbins) END */
}
