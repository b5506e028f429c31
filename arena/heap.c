/*
 * heap.c - making, growing, shrinking and deleting the heaps of thread arenas
 * (see heap.h for the picture).
 */
#include "arena/heap.h"

#include <errno.h>
#include <stdatomic.h>

#include "arena/main_arena.h"
#include "include/arenalloc.h"
#include "bins/malloc_par.h"
#include "bins/bins.h"
#include "bins/top.h"
#include "syscall/os.h"

size_t heap_max_bytes = HEAP_MAX_SIZE_DEFAULT;

/* Set by the first new_heap: from then on the size may not change, since
   free() finds a heap by masking with it. */
static atomic_bool heap_made;

int set_heap_max_size(size_t bytes)
{
    if (bytes < HEAP_MAX_SIZE_DEFAULT || bytes > HEAP_MAX_SIZE_GLIBC_64 || (bytes & (bytes - 1)) != 0)
        return EINVAL;
    if (atomic_load(&heap_made))
        return bytes == heap_max_bytes ? 0 : EBUSY;
    heap_max_bytes = bytes;
    return 0;
}

int arenalloc_set_heap_max_size(size_t bytes)
{
    malloc_ensure_init(); /* ARENALLOC_HEAP_MAX_SIZE first, so the call wins */
    return set_heap_max_size(bytes);
}

heap_info *new_heap(size_t size, size_t top_pad)
{
    size_t pagesize = os_page_size();
    size_t max = heap_max_size();

    if (size + top_pad < HEAP_MIN_SIZE)
        size = HEAP_MIN_SIZE;
    else if (size + top_pad <= max)
        size += top_pad;
    else if (size > max)
        return NULL;
    else
        size = max; /* the pad is a wish, the size a need */
    size = align_up(size, pagesize);

    /* The whole heap is reserved, so it can grow in place; only `size` of it
       costs memory. */
    /* LAB(heap) BEGIN */
    char *p = os_reserve_aligned(max, max);
    if (p == NULL)
        return NULL;
    if (!os_commit(p, size)) {
        os_release(p, max);
        return NULL;
    }
    atomic_store(&heap_made, true);
    heap_info *h = (heap_info *)p;
    h->size = size;
    h->mprotect_size = size;
    h->pagesize = pagesize;
    return h;
    /* LAB(heap) END */
}

int grow_heap(heap_info *h, long diff)
{
    size_t new_size = h->size + align_up((size_t)diff, h->pagesize);
    if (new_size > heap_max_size())
        return -1;
    if (new_size > h->mprotect_size) {
        if (!os_commit((char *)h + h->mprotect_size, new_size - h->mprotect_size))
            return -2;
        h->mprotect_size = new_size;
    }
    h->size = new_size;
    return 0;
}

/* Gives back the last `diff` bytes of h.  The pages stay committed (a later
   grow_heap finds them ready) but the OS may reclaim their memory. */
static int shrink_heap(heap_info *h, size_t diff)
{
    if (h->size < diff + sizeof(*h))
        return -1;
    size_t new_size = h->size - diff;
    os_discard((char *)h + new_size, diff);
    h->size = new_size;
    return 0;
}

/* If top fills a whole heap (it starts right after the heap_info), that heap can
   go: the previous heap's last free chunk, behind its fenceposts, becomes top
   again.  Returns false when the heap should stay. */
static bool delete_top_heap(mstate ar_ptr, heap_info **heapp, size_t pad)
{
    heap_info *heap = *heapp;
    heap_info *prev_heap = heap->prev;

    /* The fenceposts sysmalloc put at the end of prev_heap: a 16-byte chunk and a
       size-0 header after it; p is the chunk before them (the old top). */
    size_t fence_offset = prev_heap->size - (MINSIZE - 2 * SIZE_SZ);
    size_t misalign = ((uintptr_t)prev_heap + fence_offset) & MALLOC_ALIGN_MASK;
    mchunkptr p = prev_chunk(chunk_at_offset((mchunkptr)prev_heap, (ptrdiff_t)(fence_offset - misalign)));
    size_t new_size = chunksize(p) + (MINSIZE - 2 * SIZE_SZ) + misalign;
    if (!prev_inuse(p))
        new_size += prev_size(p);

    /* Keep the heap if the previous one could not hold pad + a page more. */
    if (new_size + (heap_max_size() - prev_heap->size) < pad + MINSIZE + heap->pagesize)
        return false;

    ar_ptr->system_mem -= heap->size;
    os_release(heap, heap_max_size());
    if (!prev_inuse(p)) { /* the old top's free neighbour joins it */
        p = prev_chunk(p);
        unlink_chunk(ar_ptr, p);
    }
    ar_ptr->top = p;
    set_head(p, new_size | PREV_INUSE);
    *heapp = prev_heap;
    return true;
}

int heap_trim(heap_info *heap, size_t pad)
{
    mstate ar_ptr = heap->ar_ptr;

    while (ar_ptr->top == (mchunkptr)(heap + 1) && heap->prev != NULL)
        if (!delete_top_heap(ar_ptr, &heap, pad))
            break;

    /* As systrim does for main_arena: keep pad, give back whole pages. */
    mchunkptr top_chunk = ar_ptr->top;
    size_t top_size = chunksize(top_chunk);
    if (top_size < mp_.trim_threshold)
        return 0;
    size_t extra = top_trim_size(top_size, pad, heap->pagesize);
    if (extra == 0 || shrink_heap(heap, extra) != 0)
        return 0;

    ar_ptr->system_mem -= extra;
    set_head(top_chunk, (top_size - extra) | PREV_INUSE);
    return 1;
}
