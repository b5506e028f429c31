/*
 * dump.h - arenalloc_dump: the heap read into memory, then printed as text
 * (dump_text.c) or JSON (dump_json.c).
 *
 * read_heap visits the arenas one at a time, each under its lock, and copies out
 * what the printers need: the arena's own fields and a heap_snapshot of its
 * chunks and bins (inspect/heap_snapshot.h), then follows the calling thread's
 * cache over those snapshots.  Nothing is printed while a lock is held, because
 * printing allocates.  The heap checker (heap_check.c) judges the same reading.
 */
#ifndef ARENALLOC_INSPECT_DUMP_H
#define ARENALLOC_INSPECT_DUMP_H

#include <stdio.h>

#include "arena/heap.h"
#include "arena/tcache_thread.h"
#include "inspect/heap_snapshot.h"

/* One arena as it was read. */
struct arena_dump {
    uintptr_t address;
    int index;                      /* 0 is main_arena; then in ring order */
    bool is_main;
    uintptr_t top;
    INTERNAL_SIZE_T top_size;
    INTERNAL_SIZE_T system_mem, max_system_mem, attached_threads;
    uintptr_t last_remainder;
    bool have_fastchunks, contiguous;
    unsigned binmap[BINMAPSIZE];
    int nregions;                   /* sorted by address */
    struct heap_region regions[MAX_ARENA_REGIONS];
    struct heap_snapshot snap;      /* empty unless chunks or bins were asked for */
};

/* One bin of the calling thread's per-thread cache: its count as stored, and
   the entries its list reached, decoded (the chunk's memory, as malloc returns
   it) and as stored in the entry before (safe-linked from 2.32). */
struct tcache_bin_dump {
    unsigned count;
    size_t first, n;                /* entries[first .. first + n), stored[] alike */
    uintptr_t end;                  /* the decoded link the list ended on: 0, or where it was cut */
    const char *damage;             /* NULL, or why the list was cut */
};

/* The calling thread's cache (only its own can be read: the others are other
   threads' thread-local data), read after the arenas.  An entry is followed
   only when it is the memory of a chunk some arena's snapshot holds. */
struct tcache_dump {
    uintptr_t address;              /* the tcache_perthread_struct; 0: none */
    size_t tcache_count, tcache_max_bytes;
    struct tcache_bin_dump bins[TCACHE_MAX_BINS];
    uintptr_t *entries, *stored;
    size_t nentries;
    void *mem;                      /* the mapping behind entries[] and stored[] */
    size_t memsize;
};

struct heap_dump {
    int release;                    /* the glibc 2.x release in force (bins/checks.h) */
    int narenas;
    struct arena_dump *arenas;
    struct tcache_dump tcache;
    int n_mmaps;                    /* mmapped chunks, which belong to no arena */
    INTERNAL_SIZE_T mmapped_mem;
    void *mem;                      /* the mapping behind arenas[] */
    size_t memsize;
};

/* Reads every arena (with its chunks and bins when `with_chunks`, and then the
   calling thread's cache) into *d.  Returns false when no memory could be
   mapped for it; damage is recorded, not reported.  Release with
   release_heap_dump. */
bool read_heap(struct heap_dump *d, bool with_chunks);
void release_heap_dump(struct heap_dump *d);

/* The chunk whose memory is `entry` (a cache entry), in any arena's snapshot,
   or NULL. */
struct snap_chunk *find_entry(const struct heap_dump *d, uintptr_t entry);

void print_dump_text(FILE *out, const struct heap_dump *d, unsigned what);
void print_dump_json(FILE *out, const struct heap_dump *d, unsigned what);

/* The names of a size word's flag bits, joined by `separator`, into buf:
   "PREV_INUSE | NON_MAIN_ARENA" with " | ". */
const char *chunk_flag_names(INTERNAL_SIZE_T size_field, const char *separator, char *buf, size_t len);

/* The chunk sizes a bin holds, [*lo, *hi]; *hi is SIZE_MAX for the bins with no
   upper bound (the unsorted bin, the last large bin). */
void bin_sizes(enum bin_kind kind, unsigned index, size_t *lo, size_t *hi);

#endif /* ARENALLOC_INSPECT_DUMP_H */
