/*
 * path_record.c - arenalloc_path_take: the steps the calling thread's calls took
 * since it last asked (bins/malloc_path.h says what is recorded, and why only
 * in the prefixed build).
 */
#include "bins/malloc_path.h"

#include "include/arenalloc.h"

#ifndef ARENALLOC_DROPIN
OS_THREAD_LOCAL unsigned malloc_path_steps;
#endif

unsigned arenalloc_path_take(void)
{
#ifdef ARENALLOC_DROPIN
    return 0;
#else
    unsigned steps = malloc_path_steps;
    malloc_path_steps = 0;
    return steps;
#endif
}

const char *arenalloc_path_step_name(int step)
{
    static const char *const names[PATH_NSTEPS] = {
        [PATH_TCACHE_GET] = "tcache_get",
        [PATH_FASTBIN] = "fastbin",
        [PATH_SMALLBIN] = "smallbin",
        [PATH_MALLOC_CONSOLIDATE] = "malloc_consolidate",
        [PATH_UNSORTED_SORTED] = "unsorted: sorted into bins",
        [PATH_UNSORTED_EXACT] = "unsorted: exact fit",
        [PATH_LAST_REMAINDER] = "last_remainder",
        [PATH_LARGEBIN] = "largebin",
        [PATH_BINMAP] = "binmap",
        [PATH_USE_TOP] = "use_top",
        [PATH_SYSMALLOC] = "sysmalloc",
        [PATH_MMAP] = "mmap",
        [PATH_TCACHE_PUT] = "tcache_put",
        [PATH_FREE_FASTBIN] = "fastbin",
        [PATH_CONSOLIDATE_BACKWARD] = "consolidate backward",
        [PATH_CONSOLIDATE_FORWARD] = "consolidate forward",
        [PATH_FREE_UNSORTED] = "unsorted",
        [PATH_FREE_TOP] = "top",
        [PATH_TRIM] = "trim",
        [PATH_MUNMAP] = "munmap_chunk",
    };
    return step >= 0 && step < PATH_NSTEPS ? names[step] : NULL;
}
