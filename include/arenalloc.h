/*
 * arenalloc.h - the public interface of arenalloc.
 *
 * arenalloc is a reimplementation of glibc's malloc (ptmalloc2), written to be read
 * and stepped through.  It comes as two builds of the same code:
 *
 *   build/libarenalloc.so           drop-in: exports malloc, free, ... under their
 *                                   standard names as well as the arenalloc_* names
 *                                   below; meant for LD_PRELOAD.
 *   build/libarenalloc-prefixed.a   only the arenalloc_* names, so it can live beside
 *   build/libarenalloc-prefixed.so  glibc's malloc in one process (tests, tools).
 *
 * Every function behaves as its glibc 2.36 namesake, errno included.
 */
#ifndef ARENALLOC_H
#define ARENALLOC_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define ARENALLOC_API __attribute__((visibility("default")))
#else
#define ARENALLOC_API
#endif

/* The standard allocation functions (C11, POSIX and glibc). */
ARENALLOC_API void *arenalloc_malloc(size_t size);
ARENALLOC_API void arenalloc_free(void *ptr);
ARENALLOC_API void *arenalloc_calloc(size_t nmemb, size_t size);
ARENALLOC_API void *arenalloc_realloc(void *ptr, size_t size);
ARENALLOC_API void *arenalloc_reallocarray(void *ptr, size_t nmemb, size_t size);
ARENALLOC_API void *arenalloc_memalign(size_t alignment, size_t size);
ARENALLOC_API int arenalloc_posix_memalign(void **memptr, size_t alignment, size_t size);
ARENALLOC_API void *arenalloc_aligned_alloc(size_t alignment, size_t size);
ARENALLOC_API void *arenalloc_valloc(size_t size);
ARENALLOC_API void *arenalloc_pvalloc(size_t size);
ARENALLOC_API size_t arenalloc_malloc_usable_size(void *ptr);

/* glibc's tuning call: M_MXFAST, M_TRIM_THRESHOLD, M_TOP_PAD, M_MMAP_THRESHOLD and
   M_MMAP_MAX take effect (the constants are <malloc.h>'s).  Returns 1 on success and
   0 for a parameter or value it refuses, as glibc does. */
ARENALLOC_API int arenalloc_mallopt(int param, int value);

/* Walks every chunk of every arena and verifies the heap's invariants: sizes and
   flags, boundary tags, no two neighbouring free chunks outside the fastbins,
   every free chunk in exactly one bin of the right size, bin order, binmap.
   Returns NULL when the heap is sound, else a description of the first violation
   (a static string, valid until the next call).  It takes the arena locks. */
ARENALLOC_API const char *arenalloc_check_heap(void);

#ifdef __cplusplus
}
#endif

#endif /* ARENALLOC_H */
