/*
 * dropin.c - the standard names, for the drop-in build (build/libarenalloc.so).
 *
 * Linked only into the drop-in library: there, every program's malloc, free, ...
 * resolve here first (LD_PRELOAD), and each forwards to its arenalloc_* twin.
 * The prefixed build leaves this file out, so glibc keeps the standard names.
 */
#include "include/arenalloc.h"

#include <malloc.h>
#include <stdlib.h>

ARENALLOC_API void *malloc(size_t size) { return arenalloc_malloc(size); }
ARENALLOC_API void free(void *ptr) { arenalloc_free(ptr); }
ARENALLOC_API void *calloc(size_t nmemb, size_t size) { return arenalloc_calloc(nmemb, size); }
ARENALLOC_API void *realloc(void *ptr, size_t size) { return arenalloc_realloc(ptr, size); }
ARENALLOC_API void *reallocarray(void *ptr, size_t nmemb, size_t size)
{
    return arenalloc_reallocarray(ptr, nmemb, size);
}
ARENALLOC_API void *memalign(size_t alignment, size_t size) { return arenalloc_memalign(alignment, size); }
ARENALLOC_API int posix_memalign(void **memptr, size_t alignment, size_t size)
{
    return arenalloc_posix_memalign(memptr, alignment, size);
}
ARENALLOC_API void *aligned_alloc(size_t alignment, size_t size) { return arenalloc_aligned_alloc(alignment, size); }
ARENALLOC_API void *valloc(size_t size) { return arenalloc_valloc(size); }
ARENALLOC_API void *pvalloc(size_t size) { return arenalloc_pvalloc(size); }
ARENALLOC_API size_t malloc_usable_size(void *ptr) { return arenalloc_malloc_usable_size(ptr); }
ARENALLOC_API int mallopt(int param, int value) { return arenalloc_mallopt(param, value); }
ARENALLOC_API struct mallinfo2 mallinfo2(void) { return arenalloc_mallinfo2(); }
ARENALLOC_API struct mallinfo mallinfo(void) { return arenalloc_mallinfo(); }
ARENALLOC_API void malloc_stats(void) { arenalloc_malloc_stats(); }
ARENALLOC_API int malloc_info(int options, FILE *fp) { return arenalloc_malloc_info(options, fp); }
ARENALLOC_API int malloc_trim(size_t pad) { return arenalloc_malloc_trim(pad); }
