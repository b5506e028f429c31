/*
 * mmap_chunk.h - chunks with a mapping of their own (IS_MMAPPED).
 *
 * A request at or above the mmap threshold does not come from any arena: it gets
 * its own pages, and free() gives them straight back to the OS, so a large block
 * never pins memory in the heap.  Such a chunk has no neighbours, and its
 * prev_size field has a job of its own: the distance from the start of the
 * mapping to the chunk (non-zero when memalign moved the chunk forward).
 */
#ifndef ARENALLOC_ARENA_MMAP_CHUNK_H
#define ARENALLOC_ARENA_MMAP_CHUNK_H

#include "bins/chunk.h"

/* Maps a chunk of at least nb bytes.  Returns the user pointer, or NULL. */
void *sysmalloc_mmap(INTERNAL_SIZE_T nb);

/* Unmaps mapped chunk p; aborts if p's header does not describe a mapping. */
void munmap_chunk(mchunkptr p);

/* Resizes mapped chunk p to hold nb bytes, moving it if need be.  Returns the
   chunk, or NULL when the OS cannot (p is then unchanged). */
mchunkptr mremap_chunk(mchunkptr p, size_t nb);

/* free() of a mapped chunk larger than the threshold raises the threshold to its
   size (up to DEFAULT_MMAP_THRESHOLD_MAX) and the trim threshold to twice that:
   a program that frees such blocks will likely ask for them again, and from the
   heap they are cheaper than a fresh mapping every time. */
void mmap_threshold_after_free(mchunkptr p);

#endif /* ARENALLOC_ARENA_MMAP_CHUNK_H */
