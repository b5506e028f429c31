/*
 * heap_snapshot.h - a picture of one arena: its chunks in address order and its
 * bins as lists, taken in one go so it can be printed afterwards.
 *
 * Why a snapshot rather than printing while walking: printing allocates (stdio
 * buffers), and in the drop-in build that allocation would come from the very
 * arena being walked, whose lock the walker holds.  So the arena is read into
 * memory mapped for the purpose, the lock is dropped, and only then is anything
 * printed.  Taking a snapshot only reads the heap.
 *
 * A heap is most interesting when it has been damaged on purpose, so the walk
 * trusts nothing it reads:
 *   - a chunk size is followed only when it is a chunk size that stays inside its
 *     region; otherwise the chunk is marked and the rest of the region skipped;
 *   - a bin link is followed only when it points at a chunk the walk found (so
 *     nothing outside the heap is ever read through it); otherwise the bin is
 *     marked and the list cut there;
 *   - a list that comes back to a chunk it has already visited is a cycle: marked
 *     and cut.
 * So a snapshot of any heap ends, and it never reads memory outside the regions.
 */
#ifndef ARENALLOC_INSPECT_HEAP_SNAPSHOT_H
#define ARENALLOC_INSPECT_HEAP_SNAPSHOT_H

#include "inspect/heap_region.h"

/* What a chunk of the walk turned out to be. */
enum chunk_state {
    CHUNK_IN_USE,
    CHUNK_FASTBIN,   /* marked in use, but on a fastbin list */
    CHUNK_UNSORTED,
    CHUNK_SMALLBIN,
    CHUNK_LARGEBIN,
    CHUNK_FREE,      /* free, yet in no bin: a damaged heap */
    CHUNK_TOP,
    CHUNK_FENCEPOST, /* the small in-use chunks that close a region */
    CHUNK_TCACHE,    /* marked in use, but in the calling thread's cache */
};

struct snap_chunk {
    uintptr_t addr;
    INTERNAL_SIZE_T size_field;          /* the raw size word: size and flag bits */
    enum chunk_state state;
    int bin;                             /* fastbin index, or bin index; -1 */
    uintptr_t fd, bk;                    /* free chunks (fastbins: fd only, revealed);
                                            tcache: fd is the next entry, revealed (an
                                            entry is a chunk's memory, not its header) */
    uintptr_t next_stored;               /* tcache: the next entry as stored (safe-linked) */
    uintptr_t fd_nextsize, bk_nextsize;  /* large-bin chunks */
    size_t room;                         /* bytes readable from addr inside its region */
    const char *damage;                  /* NULL, or what is wrong with this chunk */
};

enum bin_kind { BIN_FAST, BIN_UNSORTED, BIN_SMALL, BIN_LARGE };

/* One list: a fastbin, or bin 1..127.  Its members are links[first .. first +
   count), in list order (from the head, following fd); a large bin's nextsize
   chain follows at links[first + count .. + nnextsize). */
struct snap_bin {
    enum bin_kind kind;
    unsigned index;                      /* fastbin index, or bin index */
    size_t first, count, nnextsize;
    uintptr_t end;                       /* the link the list ended on (0, the bin
                                            header, or where it was cut) */
    uintptr_t header_bk;                 /* bins 1..127: the header's bk, which
                                            should name the last chunk */
    const char *damage;                  /* NULL, or why the list was cut */
};

#define SNAP_NBINS (NFASTBINS + NBINS - 1) /* fastbins, then bins 1..127 */

struct heap_snapshot {
    struct snap_chunk *chunks;           /* ascending addresses */
    size_t nchunks;
    struct snap_bin bins[SNAP_NBINS];
    uintptr_t *links;
    size_t nlinks;
    void *mem;                           /* the scratch mapping behind both arrays */
    size_t memsize;
};

/* Snapshots arena av, whose memory is the given regions (any order), with av
   locked by the caller.  Returns false only when no scratch memory could be
   mapped; damage is recorded, not reported. */
bool take_snapshot(mstate av, const struct heap_region *regions, int nregions, struct heap_snapshot *s);

void release_snapshot(struct heap_snapshot *s);

/* Scratch memory for a reading of the heap (never the heap's own): at least
   `need` bytes, zeroed only when fresh; *size says how many were mapped.  NULL
   when the OS has none.  Give it back with scratch_put, which may keep it in
   *spare for the next reading of the same kind (one spare per use). */
struct scratch;
void *scratch_get(struct scratch **spare, size_t need, size_t *size);
void scratch_put(struct scratch **spare, void *mem, size_t size);

/* The chunk of the walk at address a, or NULL (a binary search). */
struct snap_chunk *snapshot_find(const struct heap_snapshot *s, uintptr_t a);

/* Names for printing: "in use", "fastbins", ... and the bin kinds. */
const char *chunk_state_name(enum chunk_state state);
const char *bin_kind_name(enum bin_kind kind);

#endif /* ARENALLOC_INSPECT_HEAP_SNAPSHOT_H */
