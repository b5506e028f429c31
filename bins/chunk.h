/*
 * chunk.h - the malloc chunk: the unit everything else in arenalloc moves around.
 *
 * Every block malloc hands out sits inside a chunk, and every chunk starts with a
 * two-word header.  The layout is glibc's on x86-64, bit for bit, so a heap written
 * by arenalloc reads the same in gdb, in how2heap's diagrams and in pwndbg:
 *
 *        chunk -> +---------------------------------------------+
 *                 | prev_size: size of the previous chunk,       |  only meaningful
 *                 |            if it is free (else its payload)  |  when P == 0
 *                 +---------------------------------------------+
 *                 | size of this chunk                   |A|M|P|
 *          mem -> +---------------------------------------------+  <- malloc returns this
 *                 | fd           \  only while the chunk is free:|
 *                 | bk            | links of the bin holding it  |
 *                 | fd_nextsize   | large bins only: links to the|
 *                 | bk_nextsize  /  next chunk of another size   |
 *                 | ...   (in use: the caller's bytes)           |
 *   next chunk -> +---------------------------------------------+
 *                 | prev_size (= this chunk's size, if free)     |
 *
 * Sizes are multiples of 16 (MALLOC_ALIGNMENT), so the three low bits of the size
 * word are free to carry flags:
 *   P  PREV_INUSE      the chunk *before* this one is in use.  Free chunks always
 *                      have a neighbour in use on both sides (they would have been
 *                      merged otherwise), so this bit is what free() reads to know
 *                      whether it may coalesce backwards.
 *   M  IS_MMAPPED      the chunk has a mapping of its own and is not in any arena.
 *   A  NON_MAIN_ARENA  the chunk belongs to a heap of a thread arena, not to
 *                      main_arena; the arena is found from the address.
 *
 * An in-use chunk uses the next chunk's prev_size word as payload, which is why a
 * chunk of size S gives S - 8 usable bytes and why the smallest request (0 bytes)
 * still needs a 32-byte chunk: a free chunk must hold fd and bk, and its size is
 * repeated at its end (the "foot") for the next chunk's backward coalescing.
 */
#ifndef ARENALLOC_BINS_CHUNK_H
#define ARENALLOC_BINS_CHUNK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bins/checks.h"

/* The type of sizes kept in headers.  glibc's name; a size_t on every target here. */
typedef size_t INTERNAL_SIZE_T;

#define SIZE_SZ           (sizeof(INTERNAL_SIZE_T))         /* 8 */
#define MALLOC_ALIGNMENT  (2 * SIZE_SZ)                     /* 16: alignof(long double) */
#define MALLOC_ALIGN_MASK (MALLOC_ALIGNMENT - 1)
#define CHUNK_HDR_SZ      (2 * SIZE_SZ)                     /* prev_size + size */

struct malloc_chunk {
    INTERNAL_SIZE_T mchunk_prev_size; /* size of the previous chunk, if it is free */
    INTERNAL_SIZE_T mchunk_size;      /* size of this chunk, with the A|M|P bits */
    struct malloc_chunk *fd;          /* free: next chunk in the bin */
    struct malloc_chunk *bk;          /* free: previous chunk in the bin */
    struct malloc_chunk *fd_nextsize; /* free, large bins: next smaller size */
    struct malloc_chunk *bk_nextsize; /* free, large bins: next larger size */
};

typedef struct malloc_chunk *mchunkptr;

/* The smallest chunk: room for the header and the fd/bk links of a free chunk. */
#define MIN_CHUNK_SIZE (offsetof(struct malloc_chunk, fd_nextsize))       /* 32 */
#define MINSIZE        ((MIN_CHUNK_SIZE + MALLOC_ALIGN_MASK) & ~MALLOC_ALIGN_MASK)

/* ---- flag bits of the size word ------------------------------------------ */

#define PREV_INUSE     0x1
#define IS_MMAPPED     0x2
#define NON_MAIN_ARENA 0x4
#define SIZE_BITS      (PREV_INUSE | IS_MMAPPED | NON_MAIN_ARENA)

/* ---- chunk <-> user pointer ------------------------------------------------ */

static inline void *chunk2mem(mchunkptr p) { return (char *)p + CHUNK_HDR_SZ; }
static inline mchunkptr mem2chunk(void *mem) { return (mchunkptr)((char *)mem - CHUNK_HDR_SZ); }

static inline bool aligned_OK(uintptr_t m) { return (m & MALLOC_ALIGN_MASK) == 0; }
static inline bool misaligned_chunk(mchunkptr p) { return !aligned_OK((uintptr_t)chunk2mem(p)); }

/* ---- request sizes ----------------------------------------------------------- */

/* The chunk size that serves a request of `req` bytes: add the size word (the
   prev_size word of the next chunk is borrowed), round up to 16, at least MINSIZE. */
static inline INTERNAL_SIZE_T request2size(size_t req)
{
    if (req + SIZE_SZ + MALLOC_ALIGN_MASK < MINSIZE)
        return MINSIZE;
    return (req + SIZE_SZ + MALLOC_ALIGN_MASK) & ~MALLOC_ALIGN_MASK;
}

/* request2size, or 0 for a request no chunk can serve.  From glibc 2.30 objects
   larger than PTRDIFF_MAX are refused outright, so pointer differences inside
   one never overflow.  Before, only requests within 2 * MINSIZE of 2^64 were
   (so the padding arithmetic cannot wrap), and a huge request went on to
   _int_malloc: House of Force asks for one to move a forged top anywhere.
   The release is asked only for such a request, so the usual path pays
   nothing for it. */
static inline INTERNAL_SIZE_T checked_request2size(size_t req)
{
    if (__builtin_expect(req > PTRDIFF_MAX, 0) && (release_since(30) || req >= (size_t)-2 * MINSIZE))
        return 0;
    return request2size(req);
}

/* ---- reading and writing headers ------------------------------------------- */

static inline INTERNAL_SIZE_T chunksize_nomask(mchunkptr p) { return p->mchunk_size; }
static inline INTERNAL_SIZE_T chunksize(mchunkptr p) { return p->mchunk_size & ~(INTERNAL_SIZE_T)SIZE_BITS; }
static inline INTERNAL_SIZE_T prev_size(mchunkptr p) { return p->mchunk_prev_size; }
static inline void set_prev_size(mchunkptr p, INTERNAL_SIZE_T sz) { p->mchunk_prev_size = sz; }

static inline bool prev_inuse(mchunkptr p) { return p->mchunk_size & PREV_INUSE; }
static inline bool chunk_is_mmapped(mchunkptr p) { return p->mchunk_size & IS_MMAPPED; }
static inline bool chunk_main_arena(mchunkptr p) { return !(p->mchunk_size & NON_MAIN_ARENA); }
static inline void set_non_main_arena(mchunkptr p) { p->mchunk_size |= NON_MAIN_ARENA; }

static inline mchunkptr chunk_at_offset(mchunkptr p, ptrdiff_t offset)
{
    return (mchunkptr)((char *)p + offset);
}
static inline mchunkptr next_chunk(mchunkptr p) { return chunk_at_offset(p, (ptrdiff_t)chunksize(p)); }
static inline mchunkptr prev_chunk(mchunkptr p) { return chunk_at_offset(p, -(ptrdiff_t)prev_size(p)); }

/* A chunk's own in-use state lives in the PREV_INUSE bit of the chunk after it. */
static inline bool inuse(mchunkptr p) { return prev_inuse(next_chunk(p)); }
static inline bool inuse_bit_at_offset(mchunkptr p, INTERNAL_SIZE_T s)
{
    /* LAB(chunk) BEGIN */
    return prev_inuse(chunk_at_offset(p, (ptrdiff_t)s));
    /* LAB(chunk) END */
}
static inline void set_inuse_bit_at_offset(mchunkptr p, INTERNAL_SIZE_T s)
{
    /* LAB(chunk) BEGIN */
    chunk_at_offset(p, (ptrdiff_t)s)->mchunk_size |= PREV_INUSE;
    /* LAB(chunk) END */
}
static inline void clear_inuse_bit_at_offset(mchunkptr p, INTERNAL_SIZE_T s)
{
    /* LAB(chunk) BEGIN */
    chunk_at_offset(p, (ptrdiff_t)s)->mchunk_size &= ~(INTERNAL_SIZE_T)PREV_INUSE;
    /* LAB(chunk) END */
}

/* Sets the size and keeps the flags (set_head_size), or sets both (set_head). */
static inline void set_head_size(mchunkptr p, INTERNAL_SIZE_T s)
{
    /* LAB(chunk) BEGIN */
    p->mchunk_size = (p->mchunk_size & SIZE_BITS) | s;
    /* LAB(chunk) END */
}
static inline void set_head(mchunkptr p, INTERNAL_SIZE_T s) { p->mchunk_size = s; }

/* Writes a free chunk's size at its end, where the next chunk's prev_size is. */
static inline void set_foot(mchunkptr p, INTERNAL_SIZE_T s)
{
    /* LAB(chunk) BEGIN */
    chunk_at_offset(p, (ptrdiff_t)s)->mchunk_prev_size = s;
    /* LAB(chunk) END */
}

/* The bytes the caller may use in an in-use chunk.  A heap chunk also borrows the
   next chunk's prev_size word; a mapped chunk has no next chunk to borrow from. */
static inline size_t memsize(mchunkptr p)
{
    /* LAB(chunk) BEGIN */
    return chunksize(p) - CHUNK_HDR_SZ + (chunk_is_mmapped(p) ? 0 : SIZE_SZ);
    /* LAB(chunk) END */
}

#endif /* ARENALLOC_BINS_CHUNK_H */
