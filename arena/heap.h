/*
 * heap.h - the heaps of thread arenas, and finding a chunk's arena by masking.
 *
 * main_arena owns brk.  Every other arena lives in one or more heaps: regions of
 * heap_max_size() (1 MiB, or glibc's 64 MiB as a setting: bins/malloc_par.h)
 * address space, each starting at an address that is a multiple of that size.
 * Only the front part of a heap is committed (its `size`); the heap grows by
 * committing more, up to its full size, and then the arena chains a new heap
 * (`prev` points back to the older one).
 *
 *   heap (1 MiB aligned) -> +-----------------------------+
 *                           | heap_info: ar_ptr, prev,    |
 *                           |   size, mprotect_size, ...  |
 *                           | struct malloc_state         |  first heap only
 *                           | chunks ...                  |
 *                           | top chunk                   |
 *          heap + size  ->  +- - - - - - - - - - - - - - -+
 *                           | reserved, not yet committed |
 * heap + heap_max_size()-> +-----------------------------+
 *
 * The alignment is the point: free(p) must find p's arena without a search and
 * without a pointer in every chunk.  A chunk of a thread arena has the
 * NON_MAIN_ARENA bit; clearing the low 20 bits of its address (26 with 64 MiB
 * heaps) gives the start of its heap, whose heap_info names the arena (heap_for_ptr, arena_for_chunk).
 */
#ifndef ARENALLOC_ARENA_HEAP_H
#define ARENALLOC_ARENA_HEAP_H

#include "bins/malloc_par.h"

/* A heap never starts smaller than this (glibc's HEAP_MIN_SIZE). */
#define HEAP_MIN_SIZE (32 * 1024)

/* glibc 2.36's heap_info, field for field.  The padding makes sizeof(heap_info)
   + 2 * SIZE_SZ a multiple of MALLOC_ALIGNMENT, so the first chunk after the
   header is aligned. */
typedef struct _heap_info {
    mstate ar_ptr;              /* the arena this heap belongs to */
    struct _heap_info *prev;    /* the arena's previous (older) heap */
    size_t size;                /* bytes in use, from the heap's start */
    size_t mprotect_size;       /* bytes committed (made read-write) so far */
    size_t pagesize;            /* the page size the heap was made with */
    char pad[-3 * SIZE_SZ & MALLOC_ALIGN_MASK];
} heap_info;

_Static_assert((sizeof(heap_info) + 2 * SIZE_SZ) % MALLOC_ALIGNMENT == 0, "heap_info padding");

static inline heap_info *heap_for_ptr(void *ptr)
{
    /* LAB(heap) BEGIN */
    return (heap_info *)((uintptr_t)ptr & ~((uintptr_t)heap_max_size() - 1));
    /* LAB(heap) END */
}

/* The arena owning a heap chunk (not an mmapped one). */
static inline mstate arena_for_chunk(mchunkptr p)
{
    return chunk_main_arena(p) ? &main_arena : heap_for_ptr(p)->ar_ptr;
}

/* The first chunk of a heap: after heap_info, and after the arena's
   malloc_state in its first heap; aligned so its user pointer is. */
static inline mchunkptr heap_first_chunk(heap_info *h)
{
    char *ptr = (char *)(h + 1);
    if (h->prev == NULL)
        ptr += sizeof(struct malloc_state);
    uintptr_t misalign = (uintptr_t)chunk2mem((mchunkptr)ptr) & MALLOC_ALIGN_MASK;
    if (misalign > 0)
        ptr += MALLOC_ALIGNMENT - misalign;
    return (mchunkptr)ptr;
}

/* Reserves a new heap with at least `size` + `top_pad` bytes committed (no more
   than heap_max_size()).  Returns NULL when size alone cannot fit, or on failure. */
heap_info *new_heap(size_t size, size_t top_pad);

/* Commits `diff` more bytes (rounded to pages) of h.  Returns 0, or -1 when the
   heap would outgrow heap_max_size(), -2 when the OS refuses. */
int grow_heap(heap_info *h, long diff);

/* Frees whole heaps at the top of the arena that are empty, then gives back the
   unused pages of the top heap's top chunk above `pad`.  Returns 1 if anything
   was released. */
int heap_trim(heap_info *heap, size_t pad);

/* Sets heap_max_bytes (ARENALLOC_HEAP_MAX_SIZE, arenalloc_set_heap_max_size):
   0, EINVAL for a size that is not a power of two from 1 MiB to 64 MiB, EBUSY
   once a heap exists (its chunks are found with the old mask). */
int set_heap_max_size(size_t bytes);

#endif /* ARENALLOC_ARENA_HEAP_H */
