/*
 * malloc_trim.c - malloc_trim: give every arena's unused memory back to the OS.
 *
 * free() trims only the top of an arena, and only past M_TRIM_THRESHOLD.
 * malloc_trim goes further, in every arena: it merges the fastbins, then tells
 * the OS that the whole pages inside large free chunks hold nothing (madvise,
 * the pages stay mapped and read as zero if touched), and finally trims
 * main_arena's top down to `pad` with systrim.
 */
#include "arena/arena.h"
#include "arena/main_arena.h"
#include "arena/sysmalloc.h"
#include "include/arenalloc.h"

#include "bins/int_malloc.h"
#include "syscall/os.h"

/* Discards the whole pages inside free chunk p, past its header and links. */
static int discard_free_pages(mchunkptr p, size_t pagesize)
{
    size_t size = chunksize(p);
    if (size <= pagesize - 1 + sizeof(struct malloc_chunk))
        return 0;
    char *paligned = (char *)align_up((uintptr_t)p + sizeof(struct malloc_chunk), pagesize);
    size -= (size_t)(paligned - (char *)p);
    if (size <= pagesize - 1)
        return 0;
    os_discard(paligned, size & ~(pagesize - 1));
    return 1;
}

static int mtrim(mstate av, size_t pad)
{
    size_t pagesize = os_page_size();
    unsigned psindex = bin_index(pagesize);
    int result = 0;

    malloc_consolidate(av);
    /* Only the unsorted bin and the bins of page-sized chunks and up can hold a
       chunk with a whole free page inside. */
    for (unsigned i = 1; i < NBINS; i++) {
        if (i != 1 && i < psindex)
            continue;
        mbinptr bin = bin_at(av, i);
        for (mchunkptr p = last(bin); p != bin; p = p->bk)
            result |= discard_free_pages(p, pagesize);
    }
    return result | (av == &main_arena ? systrim(pad, av) : 0);
}

int arenalloc_malloc_trim(size_t pad)
{
    int result = 0;
    malloc_ensure_init();

    mstate av = &main_arena;
    do {
        os_lock(&av->mutex);
        result |= mtrim(av, pad);
        os_unlock(&av->mutex);
        av = next_arena(av);
    } while (av != &main_arena);
    return result;
}
