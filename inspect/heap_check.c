/*
 * heap_check.c - verifying one arena's invariants (see heap_check.h for the list).
 *
 * The chunk walk runs twice: once to count the free chunks, once to record their
 * addresses (in ascending order) in scratch memory mapped for the purpose, since
 * the checker must not allocate from the heap it is checking.  The bin walk then
 * looks each binned chunk up in that list and ticks it off.
 */
#include "inspect/heap_check.h"

#include <stdarg.h>
#include <stdio.h>

#include "bins/fastbins.h"

struct check {
    mstate av;
    mchunkptr *free;       /* free chunks of the walk, ascending (second pass) */
    unsigned char *seen;   /* seen[i]: free[i] was found in a bin */
    size_t nfree;          /* free chunks counted */
    size_t nchunks;        /* all chunks walked */
    char *buf;
    size_t buflen;
};

static const char *fail(struct check *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->buf, c->buflen, fmt, ap);
    va_end(ap);
    return c->buf;
}

/* ---- the chunk walk -------------------------------------------------------------- */

/* Checks the chunk p of the walk, whose size is known to lie inside its region;
   `prev_free` / `prev_sz` describe the chunk before it (false / 0 at a region's
   start). */
static const char *check_chunk(struct check *c, mchunkptr p, bool prev_free, INTERNAL_SIZE_T prev_sz)
{
    INTERNAL_SIZE_T size = chunksize(p);

    if (chunk_is_mmapped(p))
        return fail(c, "chunk %p: IS_MMAPPED set on a heap chunk", (void *)p);
    if (prev_inuse(p) == prev_free)
        return fail(c, "chunk %p: PREV_INUSE is %d but the previous chunk is %s", (void *)p, prev_inuse(p),
                    prev_free ? "free" : "in use");
    if (prev_free && prev_size(p) != prev_sz)
        return fail(c, "chunk %p: prev_size %#zx but the previous chunk has size %#zx", (void *)p, prev_size(p),
                    prev_sz);

    mchunkptr next = next_chunk(p);
    if (prev_inuse(next)) { /* in use: it carries its arena's bit */
        if (chunk_main_arena(p) != (c->av == &main_arena))
            return fail(c, "chunk %p: NON_MAIN_ARENA bit is wrong for its arena", (void *)p);
    } else {
        if (prev_free)
            return fail(c, "chunk %p: free and next to another free chunk", (void *)p);
        if (prev_size(next) != size)
            return fail(c, "chunk %p: free, but its foot %#zx differs from its size %#zx", (void *)p,
                        prev_size(next), size);
    }
    return NULL;
}

/* Walks one region from `p` to top, or to the fenceposts that close it, never
   past `limit`.  With `record`, stores the free chunks' addresses. */
static const char *walk_region(struct check *c, mchunkptr p, char *limit, bool record)
{
    mstate av = c->av;
    bool prev_free = false;
    INTERNAL_SIZE_T prev_sz = 0;

    for (;;) {
        if (misaligned_chunk(p))
            return fail(c, "chunk %p: misaligned", (void *)p);
        if (p == av->top) {
            if (chunksize(p) < MINSIZE || prev_inuse(p) == prev_free)
                return fail(c, "top chunk %p: size %#zx or PREV_INUSE is wrong", (void *)p, chunksize(p));
            return NULL;
        }
        /* The fenceposts that close a region (heap_region.h). */
        if (chunksize(p) == CHUNK_HDR_SZ) {
            if (!fencepost_pair(p))
                return fail(c, "chunk %p: a lone fencepost", (void *)p);
            return NULL;
        }
        /* The size first: every later check reads the next chunk's header. */
        INTERNAL_SIZE_T size = chunksize(p);
        if (size < MINSIZE || !aligned_OK(size))
            return fail(c, "chunk %p: size %#zx is not a chunk size", (void *)p, size);
        if ((uintptr_t)limit - (uintptr_t)p < size)
            return fail(c, "chunk %p: size %#zx runs past the end of its region", (void *)p, size);
        if (before_heap_end(p))
            return NULL;
        const char *err = check_chunk(c, p, prev_free, prev_sz);
        if (err != NULL)
            return err;

        prev_free = !inuse(p);
        prev_sz = chunksize(p);
        if (prev_free) {
            if (record)
                c->free[c->nfree] = p;
            c->nfree++;
        }
        c->nchunks++;
        p = next_chunk(p);
    }
}

/* Walks every region, in ascending address order. */
static const char *walk_chunks(struct check *c, const struct heap_region *sorted, int n, bool record)
{
    c->nfree = c->nchunks = 0;
    for (int i = 0; i < n; i++) {
        const char *err = walk_region(c, sorted[i].first, region_limit(c->av, sorted, i, n), record);
        if (err != NULL)
            return err;
    }
    return NULL;
}

/* ---- the bins -------------------------------------------------------------------- */

/* The index of free chunk p in c->free, or -1. */
static ptrdiff_t find_free(struct check *c, mchunkptr p)
{
    size_t lo = 0, hi = c->nfree;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (c->free[mid] == p)
            return (ptrdiff_t)mid;
        if ((uintptr_t)c->free[mid] < (uintptr_t)p)
            lo = mid + 1;
        else
            hi = mid;
    }
    return -1;
}

static const char *check_fastbins(struct check *c)
{
    mstate av = c->av;
    for (unsigned i = 0; i < NFASTBINS; i++) {
        size_t steps = 0;
        for (mchunkptr p = av->fastbinsY[i]; p != NULL; p = reveal_ptr(&p->fd)) {
            if (!av->have_fastchunks)
                return fail(c, "fastbin %u is not empty but have_fastchunks is 0", i);
            if (++steps > c->nchunks)
                return fail(c, "fastbin %u: a cycle, or a chunk not in the heap", i);
            if (misaligned_chunk(p))
                return fail(c, "fastbin %u: chunk %p is misaligned", i, (void *)p);
            if (fastbin_index(chunksize(p)) != i)
                return fail(c, "fastbin %u: chunk %p has size %#zx", i, (void *)p, chunksize(p));
            if (!inuse(p))
                return fail(c, "fastbin %u: chunk %p is not marked in use", i, (void *)p);
        }
    }
    return NULL;
}

/* Large bins: sorted largest first, and the first chunk of each size (only it)
   is on the nextsize list, whose links agree both ways. */
static const char *check_large_order(struct check *c, unsigned i, mchunkptr p, mchunkptr prev, mbinptr bin)
{
    bool head = prev == bin || chunksize(prev) != chunksize(p);
    if (prev != bin && chunksize(prev) < chunksize(p))
        return fail(c, "large bin %u: chunk %p is larger than the one before it", i, (void *)p);
    if (head != (p->fd_nextsize != NULL))
        return fail(c, "large bin %u: chunk %p: fd_nextsize %s", i, (void *)p,
                    head ? "is NULL on the first chunk of a size" : "is set on a chunk that is not first of its size");
    if (head && (p->fd_nextsize->bk_nextsize != p || p->bk_nextsize->fd_nextsize != p))
        return fail(c, "large bin %u: chunk %p: nextsize links do not point back", i, (void *)p);
    return NULL;
}

static const char *check_bin(struct check *c, unsigned i)
{
    mbinptr bin = bin_at(c->av, i);
    mchunkptr prev = bin;
    size_t steps = 0;

    if (i >= 2 && bin->fd != bin && !get_binmap(c->av, i))
        return fail(c, "bin %u is not empty but its binmap bit is clear", i);
    for (mchunkptr p = bin->fd; p != bin; prev = p, p = p->fd) {
        if (++steps > c->nfree)
            return fail(c, "bin %u: a cycle, or a chunk that is not free", i);
        if (p->bk != prev)
            return fail(c, "bin %u: chunk %p: bk does not point to the chunk before it", i, (void *)p);
        ptrdiff_t k = find_free(c, p);
        if (k < 0)
            return fail(c, "bin %u: chunk %p is not a free chunk of the heap", i, (void *)p);
        if (c->seen[k])
            return fail(c, "bin %u: chunk %p is in a bin twice", i, (void *)p);
        c->seen[k] = 1;
        if (i >= 2 && bin_index(chunksize(p)) != i)
            return fail(c, "bin %u: chunk %p has size %#zx, of bin %u", i, (void *)p, chunksize(p),
                        bin_index(chunksize(p)));
        if (!in_smallbin_range(chunksize(p)) && i >= NSMALLBINS) {
            const char *err = check_large_order(c, i, p, prev, bin);
            if (err != NULL)
                return err;
        }
    }
    if (bin->bk != prev)
        return fail(c, "bin %u: the header's bk is not the last chunk", i);
    return NULL;
}

static const char *check_bins(struct check *c)
{
    for (unsigned i = 1; i < NBINS; i++) {
        const char *err = check_bin(c, i);
        if (err != NULL)
            return err;
    }
    for (size_t k = 0; k < c->nfree; k++)
        if (!c->seen[k])
            return fail(c, "free chunk %p (size %#zx) is in no bin", (void *)c->free[k], chunksize(c->free[k]));
    return NULL;
}

/* ---- putting it together ------------------------------------------------------------ */

const char *check_arena(mstate av, const struct heap_region *regions, int nregions, char *buf, size_t buflen)
{
    struct check c = {.av = av, .buf = buf, .buflen = buflen};
    struct heap_region sorted[nregions > 0 ? nregions : 1];

    sort_regions(regions, nregions, sorted);
    const char *err = walk_chunks(&c, sorted, nregions, false);
    if (err != NULL)
        return err;

    size_t scratch = c.nfree * (sizeof(mchunkptr) + 1) + 1;
    scratch = (scratch + os_page_size() - 1) & ~(os_page_size() - 1);
    char *mem = os_map(scratch);
    if (mem == NULL)
        return fail(&c, "heap check: no memory for its scratch list");
    c.free = (mchunkptr *)mem;
    c.seen = (unsigned char *)(mem + c.nfree * sizeof(mchunkptr));

    err = walk_chunks(&c, sorted, nregions, true);
    if (err == NULL)
        err = check_fastbins(&c);
    if (err == NULL)
        err = check_bins(&c);
    os_release(mem, scratch);
    return err;
}
