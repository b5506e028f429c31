/*
 * sysmalloc.c - growing and shrinking an arena's top chunk.
 *
 * _int_malloc calls sysmalloc when no bin and not the top chunk can serve a
 * request.  Large requests get a mapping of their own.  A thread arena's top
 * grows within its 1 MiB heap, or moves to a new heap (heap.c).  main_arena's
 * grows the brk heap:
 *
 *   brk       main_arena's memory is the process's brk heap.  Ask for the
 *             request plus M_TOP_PAD (so the next few mallocs need no system
 *             call), rounded to pages.  Usually the new memory starts where top
 *             ends, and top simply grows.
 *   no brk    if brk fails (another mapping is in the way), continue in an
 *             mmap'ed region of at least 1 MiB; from then on the arena is
 *             "non-contiguous" and never assumes two regions touch.
 *   a gap     if the new memory does not start where top ended (someone else
 *             moved brk, or the region is mmap'ed), top starts afresh in the new
 *             memory, and the old top is fenced off and freed.
 *
 * systrim is the opposite: when free() leaves top larger than M_TRIM_THRESHOLD,
 * give back all whole pages of it above M_TOP_PAD by shrinking brk.
 */
#include "arena/sysmalloc.h"

#include <errno.h>

#include "arena/heap.h"
#include "arena/main_arena.h"
#include "bins/malloc_par.h"
#include "bins/malloc_path.h"
#include "arena/mmap_chunk.h"
#include "bins/int_malloc.h"
#include "bins/checks.h"
#include "bins/malloc_printerr.h"
#include "bins/top.h"
#include "syscall/os.h"

static void record_segment(char *start)
{
    if (main_nsegments < MAX_MAIN_SEGMENTS)
        main_segments[main_nsegments++] = start;
}

/* brk failed: map a region instead (at least 1 MiB, since more will follow). */
static char *sysmalloc_mmap_fallback(mstate av, size_t *size, INTERNAL_SIZE_T nb, INTERNAL_SIZE_T old_size)
{
    size_t pagesize = os_page_size();
    size_t s = *size;
    if (contiguous(av)) /* old top cannot be merged after all: count it back in */
        s = align_up(s + old_size, pagesize);
    if (s < MMAP_AS_MORECORE_SIZE)
        s = MMAP_AS_MORECORE_SIZE;
    if (s <= nb)
        return NULL;

    char *mbrk = os_map(s);
    if (mbrk == NULL)
        return NULL;
    set_noncontiguous(av);
    *size = s;
    return mbrk;
}

/* The old top cannot grow into the new memory.  Cut two tiny "fencepost" chunks,
   marked in use, off its end, so nothing ever merges across the gap; free the
   rest of the old top like any chunk. */
static void fence_old_top(mstate av, mchunkptr old_top, INTERNAL_SIZE_T old_size)
{
    old_size = (old_size - 2 * CHUNK_HDR_SZ) & ~MALLOC_ALIGN_MASK;
    set_head(old_top, old_size | PREV_INUSE);
    set_head(chunk_at_offset(old_top, (ptrdiff_t)old_size), CHUNK_HDR_SZ | PREV_INUSE);
    set_head(chunk_at_offset(old_top, (ptrdiff_t)(old_size + CHUNK_HDR_SZ)), CHUNK_HDR_SZ | PREV_INUSE);
    if (old_size >= MINSIZE)
        _int_free(av, old_top, FREE_LOCK_HELD);
}

/* New memory [brk, brk + size) does not continue top.  Align its start for
   chunks; in a contiguous arena also ask brk for enough more to end on a page
   boundary (and to make up for the old top, which cannot be merged).  Then make
   it the new top. */
static void start_new_top(mstate av, char *brk, size_t size, char *snd_brk, mchunkptr old_top,
                          INTERNAL_SIZE_T old_size)
{
    size_t pagesize = os_page_size();
    char *aligned_brk = brk;
    INTERNAL_SIZE_T front_misalign = (uintptr_t)chunk2mem((mchunkptr)brk) & MALLOC_ALIGN_MASK;
    intptr_t correction = 0;

    if (front_misalign > 0)
        aligned_brk += MALLOC_ALIGNMENT - front_misalign;
    record_segment(aligned_brk);

    if (contiguous(av)) {
        if (old_size != 0)
            av->system_mem += (INTERNAL_SIZE_T)(brk - (char *)chunk_at_offset(old_top, (ptrdiff_t)old_size));
        if (front_misalign > 0)
            correction = (intptr_t)(MALLOC_ALIGNMENT - front_misalign);
        correction += (intptr_t)old_size;
        uintptr_t end_misalign = (uintptr_t)brk + size + (uintptr_t)correction;
        correction += (intptr_t)(align_up(end_misalign, pagesize) - end_misalign);

        snd_brk = os_morecore(correction);
        if (snd_brk == NULL) { /* can't: use what we have, find where it ends */
            correction = 0;
            snd_brk = os_morecore(0);
        }
    } else if (snd_brk == NULL) {
        snd_brk = os_morecore(0);
    }
    if (snd_brk == NULL)
        return;

    av->top = (mchunkptr)aligned_brk;
    set_head(av->top, (INTERNAL_SIZE_T)(snd_brk - aligned_brk + correction) | PREV_INUSE);
    av->system_mem += (INTERNAL_SIZE_T)correction;
    if (old_size != 0)
        fence_old_top(av, old_top, old_size);
}

/* Grows main_arena so that top can serve nb. */
static void grow_main_arena(mstate av, INTERNAL_SIZE_T nb)
{
    mchunkptr old_top = av->top;
    INTERNAL_SIZE_T old_size = chunksize(old_top);
    char *old_end = (char *)chunk_at_offset(old_top, (ptrdiff_t)old_size);
    char *snd_brk = NULL;

    size_t size = nb + mp_.top_pad + MINSIZE;
    if (contiguous(av)) /* top's current space will join the new space */
        size -= old_size;
    size = align_up(size, os_page_size());

    char *brk = (intptr_t)size > 0 ? os_morecore((intptr_t)size) : NULL;
    if (brk == NULL) {
        brk = sysmalloc_mmap_fallback(av, &size, nb, old_size);
        if (brk == NULL)
            return;
        snd_brk = brk + size;
    }

    if (mp_.sbrk_base == NULL) {
        mp_.sbrk_base = brk;
    }
    av->system_mem += size;

    if (brk == old_end && snd_brk == NULL)
        set_head(old_top, (size + old_size) | PREV_INUSE); /* the usual case */
    else if (contiguous(av) && old_size != 0 && brk < old_end)
        malloc_printerr("break adjusted to free malloc space");
    else
        start_new_top(av, brk, size, snd_brk, old_top, old_size);
}

/* A thread arena's top cannot be extended: start a new heap for it.  Cut the
   old top's end into fenceposts (a 16-byte chunk in use, then a header of size
   0) so nothing merges past the heap's end, and free what is left of it. */
static void fence_heap_top(mstate av, mchunkptr old_top, INTERNAL_SIZE_T old_size)
{
    old_size = (old_size - MINSIZE) & ~MALLOC_ALIGN_MASK;
    set_head(chunk_at_offset(old_top, (ptrdiff_t)(old_size + CHUNK_HDR_SZ)), 0 | PREV_INUSE);
    if (old_size >= MINSIZE) {
        mchunkptr fence = chunk_at_offset(old_top, (ptrdiff_t)old_size);
        set_head(fence, CHUNK_HDR_SZ | PREV_INUSE);
        set_foot(fence, CHUNK_HDR_SZ);
        set_head(old_top, old_size | PREV_INUSE | NON_MAIN_ARENA);
        _int_free(av, old_top, FREE_LOCK_HELD);
    } else { /* too small to free: the old top is all fencepost */
        set_head(old_top, (old_size + CHUNK_HDR_SZ) | PREV_INUSE);
        set_foot(old_top, old_size + CHUNK_HDR_SZ);
    }
}

/* Grows thread arena av so that top can serve nb: commit more of top's heap, or
   chain a new heap.  Returns false when neither works. */
static bool grow_thread_arena(mstate av, INTERNAL_SIZE_T nb)
{
    mchunkptr old_top = av->top;
    INTERNAL_SIZE_T old_size = chunksize(old_top);
    heap_info *old_heap = heap_for_ptr(old_top);
    size_t old_heap_size = old_heap->size;

    if ((long)(MINSIZE + nb - old_size) > 0 && grow_heap(old_heap, (long)(MINSIZE + nb - old_size)) == 0) {
        av->system_mem += old_heap->size - old_heap_size;
        set_head(old_top, (INTERNAL_SIZE_T)((char *)old_heap + old_heap->size - (char *)old_top) | PREV_INUSE);
        return true;
    }

    heap_info *heap = new_heap(nb + (MINSIZE + sizeof(*heap)), mp_.top_pad);
    if (heap == NULL)
        return false;
    heap->ar_ptr = av;
    heap->prev = old_heap;
    av->system_mem += heap->size;
    av->top = heap_first_chunk(heap);
    set_head(av->top, (heap->size - sizeof(*heap)) | PREV_INUSE);
    fence_heap_top(av, old_top, old_size);
    return true;
}

/* Where glibc 2.23 ... 2.35's malloc.c has the assertion below, for its message:
   the line of `assert (` as GCC 9 and later report it, and from 2.30, when
   distributions built glibc with those; the line of its closing parenthesis
   before, as older GCCs reported a macro call spanning lines (the 2.23 line
   every House of Orange write-up quotes, malloc.c:2394). */
static const unsigned short old_top_assert_line[] = {
    2394, 2402, 2368, 2414, 2400, 2384, 2391, /* 2.23 ... 2.29 */
    2379, 2379, 2394, 2539, 2516, 2617,       /* 2.30 ... 2.35 */
};

/* glibc's assertion on the old top, at every release: unless the arena has no
   top yet, top must be a chunk (at least MINSIZE, PREV_INUSE set) that ends on
   a page boundary, as every top that sysmalloc made does.  A top whose size
   was overwritten (House of Orange, House of Tangerine shrink it so that the
   next large request frees it) must keep both to get through. */
static void check_old_top(mstate av)
{
    mchunkptr old_top = av->top;
    INTERNAL_SIZE_T old_size = chunksize(old_top);
    uintptr_t old_end = (uintptr_t)chunk_at_offset(old_top, (ptrdiff_t)old_size);
    if ((old_top == initial_top(av) && old_size == 0) ||
        (old_size >= MINSIZE && prev_inuse(old_top) && (old_end & (os_page_size() - 1)) == 0))
        return;
    malloc_assert("sysmalloc",
                  release_since(36) ? 0 : old_top_assert_line[glibc_release - RELEASE_OLDEST],
                  "(old_top == initial_top (av) && old_size == 0) || ((unsigned long) (old_size) >= MINSIZE && "
                  "prev_inuse (old_top) && ((unsigned long) old_end & (pagesize - 1)) == 0)");
}

void *sysmalloc(INTERNAL_SIZE_T nb, mstate av)
{
    bool tried_mmap = false;

    if (nb >= mp_.mmap_threshold && mp_.n_mmaps < mp_.n_mmaps_max) {
        void *mem = sysmalloc_mmap(nb);
        if (mem != NULL)
            return mem;
        tried_mmap = true;
    }

    check_old_top(av);
    malloc_path_note(PATH_SYSMALLOC);
    if (av == &main_arena) {
        grow_main_arena(av, nb);
    } else if (!grow_thread_arena(av, nb) && !tried_mmap) {
        /* A request too large for any heap still gets memory: its own mapping. */
        void *mem = sysmalloc_mmap(nb);
        if (mem != NULL)
            return mem;
    }
    if (av->system_mem > av->max_system_mem)
        av->max_system_mem = av->system_mem;

    if (chunksize(av->top) < nb + MINSIZE) {
        errno = ENOMEM;
        return NULL;
    }
    return split_top(av, nb);
}

int systrim(size_t pad, mstate av)
{
    INTERNAL_SIZE_T top_size = chunksize(av->top);
    size_t extra = top_trim_size(top_size, pad, os_page_size());
    if (extra == 0)
        return 0;

    /* Only when brk is still where top ends: a foreign sbrk may own the end. */
    char *current_brk = os_morecore(0);
    if (current_brk != (char *)av->top + top_size)
        return 0;

    os_morecore(-(intptr_t)extra);
    char *new_brk = os_morecore(0); /* ask where it ended up, not what we asked for */
    if (new_brk == NULL || new_brk == current_brk)
        return 0;

    INTERNAL_SIZE_T released = (INTERNAL_SIZE_T)(current_brk - new_brk);
    av->system_mem -= released;
    set_head(av->top, (top_size - released) | PREV_INUSE);
    return 1;
}

void trim_top(mstate av)
{
    INTERNAL_SIZE_T before = av->system_mem; /* a trim shows as system_mem falling */
    if (av != &main_arena)
        heap_trim(heap_for_ptr(av->top), mp_.top_pad);
    else if (chunksize(av->top) >= mp_.trim_threshold)
        systrim(mp_.top_pad, av);
    if (av->system_mem < before)
        malloc_path_note(PATH_TRIM);
}
