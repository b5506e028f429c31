/*
 * mmap_chunk.c - chunks with a mapping of their own (see mmap_chunk.h).
 */
#include "arena/mmap_chunk.h"

#include "bins/malloc_par.h"
#include "bins/malloc_path.h"
#include "bins/malloc_printerr.h"
#include "syscall/os.h"

static void count_mapping(long delta_chunks, ptrdiff_t delta_bytes)
{
    int n = __atomic_add_fetch(&mp_.n_mmaps, (int)delta_chunks, __ATOMIC_RELAXED);
    INTERNAL_SIZE_T sum = __atomic_add_fetch(&mp_.mmapped_mem, (INTERNAL_SIZE_T)delta_bytes, __ATOMIC_RELAXED);
    /* The maxima are statistics: a lost race between two threads is harmless. */
    if (n > mp_.max_n_mmaps)
        mp_.max_n_mmaps = n;
    if (sum > mp_.max_mmapped_mem)
        mp_.max_mmapped_mem = sum;
}

void *sysmalloc_mmap(INTERNAL_SIZE_T nb)
{
    /* LAB(sysmalloc) BEGIN */
    /* One more word than a heap chunk: there is no next chunk whose prev_size
       the payload could borrow. */
    size_t size = align_up(nb + SIZE_SZ, os_page_size());
    if (size <= nb)
        return NULL; /* wrapped around */

    char *mm = os_map(size);
    if (mm == NULL)
        return NULL;

    /* Pages are aligned, so chunk2mem(mm) already meets MALLOC_ALIGNMENT. */
    mchunkptr p = (mchunkptr)mm;
    set_prev_size(p, 0);
    set_head(p, size | IS_MMAPPED);
    count_mapping(1, (ptrdiff_t)size);
    return malloc_path(PATH_MMAP, chunk2mem(p));
    /* LAB(sysmalloc) END */
}

/* Where p's mapping starts, and its length; aborts unless both are whole pages
   and the user pointer is where a mapped chunk's would be. */
static uintptr_t mapping_of(mchunkptr p, size_t *total_size, const char *msg)
{
    size_t pagesize = os_page_size();
    uintptr_t block = (uintptr_t)p - prev_size(p);
    uintptr_t mem = (uintptr_t)chunk2mem(p);
    *total_size = prev_size(p) + chunksize(p);

    /* mem's offset in its page must be a power of two: 16 for a plain mapped
       chunk, the alignment for a memalign'ed one. */
    uintptr_t offset = mem & (pagesize - 1);
    if (((block | *total_size) & (pagesize - 1)) != 0 || (offset & (offset - 1)) != 0)
        malloc_printerr(msg);
    return block;
}

void munmap_chunk(mchunkptr p)
{
    /* LAB(sysmalloc) BEGIN */
    size_t total_size;
    uintptr_t block = mapping_of(p, &total_size, "munmap_chunk(): invalid pointer");
    count_mapping(-1, -(ptrdiff_t)total_size);
    os_release((void *)block, total_size);
    malloc_path_note(PATH_MUNMAP);
    /* LAB(sysmalloc) END */
}

mchunkptr mremap_chunk(mchunkptr p, size_t nb)
{
    size_t total_size;
    uintptr_t block = mapping_of(p, &total_size, "mremap_chunk(): invalid pointer");
    INTERNAL_SIZE_T offset = prev_size(p);
    size_t new_size = align_up(nb + offset + SIZE_SZ, os_page_size());

    if (new_size == total_size)
        return p;
    char *cp = os_remap((void *)block, total_size, new_size);
    if (cp == NULL)
        return NULL;

    count_mapping(0, (ptrdiff_t)new_size - (ptrdiff_t)total_size);
    p = (mchunkptr)(cp + offset);
    set_head(p, (new_size - offset) | IS_MMAPPED);
    return p;
}

void mmap_threshold_after_free(mchunkptr p)
{
    /* LAB(sysmalloc) BEGIN */
    if (!mp_.no_dyn_threshold && chunksize_nomask(p) > mp_.mmap_threshold &&
        chunksize_nomask(p) <= DEFAULT_MMAP_THRESHOLD_MAX) {
        mp_.mmap_threshold = chunksize(p);
        mp_.trim_threshold = 2 * mp_.mmap_threshold;
    }
    /* LAB(sysmalloc) END */
}
