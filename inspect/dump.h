/*
 * dump.h - arenalloc_dump: the heap read into memory, then printed as text
 * (dump_text.c) or JSON (dump_json.c).
 *
 * read_heap visits the arenas one at a time, each under its lock, and copies out
 * what the printers need: the arena's own fields and a heap_snapshot of its
 * chunks and bins (inspect/heap_snapshot.h).  Nothing is printed while a lock is
 * held, because printing allocates.
 */
#ifndef ARENALLOC_INSPECT_DUMP_H
#define ARENALLOC_INSPECT_DUMP_H

#include <stdio.h>

#include "arena/heap.h"
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
    int nregions;                   /* sorted by address */
    struct heap_region regions[MAX_ARENA_REGIONS];
    struct heap_snapshot snap;      /* empty unless chunks or bins were asked for */
};

struct heap_dump {
    int narenas;
    struct arena_dump *arenas;
    int n_mmaps;                    /* mmapped chunks, which belong to no arena */
    INTERNAL_SIZE_T mmapped_mem;
    void *mem;                      /* the mapping behind arenas[] */
    size_t memsize;
};

void print_dump_text(FILE *out, const struct heap_dump *d, unsigned what);
void print_dump_json(FILE *out, const struct heap_dump *d, unsigned what);

/* The names of a size word's flag bits, joined by `separator`, into buf:
   "PREV_INUSE | NON_MAIN_ARENA" with " | ". */
const char *chunk_flag_names(INTERNAL_SIZE_T size_field, const char *separator, char *buf, size_t len);

/* The chunk sizes a bin holds, [*lo, *hi]; *hi is SIZE_MAX for the bins with no
   upper bound (the unsorted bin, the last large bin). */
void bin_sizes(enum bin_kind kind, unsigned index, size_t *lo, size_t *hi);

#endif /* ARENALLOC_INSPECT_DUMP_H */
