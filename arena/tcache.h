/*
 * tcache.h - the per-thread cache's structure, allocated as glibc 2.36 does.
 *
 * glibc 2.26 added a per-thread cache of freed chunks (the tcache) in front of
 * the arenas.  arenalloc does not cache yet: it behaves as glibc does with
 * GLIBC_TUNABLES=glibc.malloc.tcache_count=0.  But even then glibc allocates the
 * cache's 640-byte structure (a 0x290 chunk) from the thread's arena at the
 * thread's first malloc, calloc, realloc or free, and frees it when the thread
 * exits.  That chunk shifts where top ends, and so when the heap grows, and so
 * addresses.  arenalloc allocates it at the same moments so its heap has the same
 * shape as glibc's, address for address.
 */
#ifndef ARENALLOC_ARENA_TCACHE_H
#define ARENALLOC_ARENA_TCACHE_H

#include <stdbool.h>
#include <stdint.h>

#include "syscall/os.h"

#define TCACHE_MAX_BINS 64

/* glibc's layouts, for the day the cache holds chunks. */
typedef struct tcache_entry {
    struct tcache_entry *next; /* next cached chunk of this size (safe-linked) */
    uintptr_t key;             /* marks a chunk as cached, to catch double frees */
} tcache_entry;

typedef struct tcache_perthread_struct {
    uint16_t counts[TCACHE_MAX_BINS];        /* chunks cached per size */
    tcache_entry *entries[TCACHE_MAX_BINS];  /* the cached chunks per size */
} tcache_perthread_struct;

extern OS_THREAD_LOCAL tcache_perthread_struct *tcache;
extern OS_THREAD_LOCAL bool tcache_shutting_down;

void tcache_init(void);

/* Called first by malloc, calloc, and by realloc and free of a heap chunk. */
static inline void maybe_init_tcache(void)
{
    if (tcache == NULL && !tcache_shutting_down)
        tcache_init();
}

/* The thread is exiting: free the structure, and never allocate it again. */
void tcache_thread_shutdown(void);

#endif /* ARENALLOC_ARENA_TCACHE_H */
