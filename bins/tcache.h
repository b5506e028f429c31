/*
 * tcache.h - the per-thread cache (tcache) of glibc 2.26 and later.
 *
 * Each thread keeps, for each of the 64 smallest chunk sizes (32 to 1040 bytes
 * on x86-64), a short singly linked list of chunks it freed.  malloc looks there
 * before it even picks an arena, and free puts a chunk there before it takes any
 * lock: the cache belongs to one thread, so neither needs one.  To the arena a
 * cached chunk is still in use (its neighbour's PREV_INUSE stays set, nothing
 * merges with it), exactly like a chunk in a fastbin.
 *
 *   tcache ──> tcache_perthread_struct (itself a 0x290 chunk in the thread's arena)
 *                counts[0]  entries[0] ──> chunk 0x20 ──> chunk 0x20 ──> NULL
 *                counts[1]  entries[1] ──> chunk 0x30 ──> NULL
 *                ...        (bin i holds chunks of size 32 + 16 i)
 *
 * An entry is the chunk's user memory: `next` where fd would be, `key` where bk
 * would be.  So an entry points at user memory, not at the chunk header as every
 * other bin does.  Who reads and writes the cache, as in glibc:
 *
 *   malloc        takes from the cache first (tcache_get), else goes to the arena
 *   _int_malloc   having found a chunk in a fastbin or small bin, moves the other
 *                 chunks of that size into the cache while it holds the arena;
 *                 exact fits found by the unsorted scan fill the cache before one
 *                 is returned
 *   _int_free     puts a chunk in the cache while its bin has fewer than
 *                 mp_.tcache_count entries (tcache_put)
 *   thread exit   gives every entry back with free (tcache_thread_shutdown)
 *
 * calloc never takes from the cache (it wants chunks it can clear cheaply), and
 * in 2.36 neither do memalign and friends.  The structure is allocated at the
 * thread's first malloc, calloc, realloc or free even when tcache_count is 0,
 * and read whenever glibc reads it, so a heap with the cache turned off has the
 * same shape, address for address, as glibc's with the cache turned off.
 *
 * The hardening, by the glibc release that added it (bins/checks.h):
 *   2.29  `key`: free marks a cached chunk, and a chunk freed again with the mark
 *         still there is looked for in its bin ("free(): double free detected in
 *         tcache 2").  The mark was the address of the thread's structure until
 *         2.34 made it a random process-wide value, which a heap leak cannot reveal
 *   2.32  `next` is safe-linked like fastbin links (fastbins.h), and every entry
 *         taken must be 16-byte aligned
 *   2.33  the double-free scan stops after tcache_count entries, so a corrupted
 *         list cannot loop forever ("free(): too many chunks detected in tcache")
 *
 * The cache's lists and the operations on them live here, in bins/, because
 * glibc's algorithms fill the calling thread's cache from inside the arena's own
 * steps (_int_malloc, _int_free).  Its life with the thread (made at the first
 * call, given back at exit) and its settings are arena/'s: tcache_thread.h.
 * The two variables below are defined there.
 */
#ifndef ARENALLOC_BINS_TCACHE_H
#define ARENALLOC_BINS_TCACHE_H

#include <stdbool.h>
#include <stdint.h>

#include "bins/checks.h"
#include "bins/fastbins.h"
#include "bins/malloc_par.h"
#include "bins/malloc_path.h"
#include "bins/malloc_printerr.h"
#include "syscall/os.h"

#define TCACHE_MAX_BINS   64       /* bins; tcache_max can only lower the bound */
#define TCACHE_FILL_COUNT 7        /* chunks per bin by default */

/* The width of a bin's count: 16 bits from glibc 2.30, one signed byte before
   (so the structure was a 0x250 chunk, not 0x290).  A layout cannot change at
   run time: `make RELEASE=2.29` (or older) builds the narrow one. */
#if defined(ARENALLOC_RELEASE_BUILD) && ARENALLOC_RELEASE_BUILD < 30
typedef char tcache_count_t;
#define MAX_TCACHE_COUNT  127        /* what counts[] can hold */
#else
typedef uint16_t tcache_count_t;
#define MAX_TCACHE_COUNT  UINT16_MAX /* what counts[] can hold */
#endif

/* The largest request bin `idx` serves (24, 40, ... 1032 bytes on x86-64). */
static inline size_t tidx2usize(size_t idx) { return idx * MALLOC_ALIGNMENT + MINSIZE - SIZE_SZ; }

/* The chunk size bin `idx` holds (32, 48, ... 1040 on x86-64). */
static inline size_t tidx2csize(size_t idx) { return idx * MALLOC_ALIGNMENT + MINSIZE; }

/* The bin of a chunk size (from chunksize), and of a request. */
static inline size_t csize2tidx(INTERNAL_SIZE_T csize) { return (csize - MINSIZE + MALLOC_ALIGNMENT - 1) / MALLOC_ALIGNMENT; }
static inline size_t usize2tidx(size_t bytes) { return csize2tidx(request2size(bytes)); }

/* tidx2usize(TCACHE_MAX_BINS - 1), spelt out to be a constant: 1032 */
#define MAX_TCACHE_SIZE ((TCACHE_MAX_BINS - 1) * MALLOC_ALIGNMENT + MINSIZE - SIZE_SZ)

typedef struct tcache_entry {
    struct tcache_entry *next; /* next cached chunk of this size (safe-linked from 2.32) */
    uintptr_t key;             /* tcache_key while cached (from 2.29), to catch double frees */
} tcache_entry;

typedef struct tcache_perthread_struct {
    tcache_count_t counts[TCACHE_MAX_BINS];  /* entries per bin */
    tcache_entry *entries[TCACHE_MAX_BINS];  /* the most recently cached chunk per bin */
} tcache_perthread_struct;

/* The calling thread's cache: NULL before its first call, or after its exit
   began.  Static in arena/tcache_thread.c, as glibc's (bins/static_symbols.h). */
#ifdef DEFINES_tcache
STATIC_SYMBOL OS_THREAD_LOCAL tcache_perthread_struct *tcache;
#else
extern OS_THREAD_LOCAL tcache_perthread_struct *tcache STATIC_SYMBOL_NAME(tcache);
#endif

/* One random value for the process, chosen at start-up: a cached chunk's key.
   Random, so a program's own data (or an attacker who cannot read memory) does
   not carry it by chance. */
extern OS_HIDDEN uintptr_t tcache_key;

/* The mark free leaves in a cached chunk's key: the random key from 2.34, the
   thread's structure before. */
static inline uintptr_t tcache_key_value(void)
{
    return checks_since(34) ? tcache_key : (uintptr_t)tcache;
}

/* An entry's `next`, as stored and as meant: safe-linked from 2.32 on, like the
   fastbins (the same protect_ptr, keyed on where the link is stored). */
static inline tcache_entry *tcache_protect(tcache_entry **pos, tcache_entry *next)
{
    return (tcache_entry *)protect_ptr(pos, (mchunkptr)next);
}
static inline tcache_entry *tcache_reveal(tcache_entry **pos) { return tcache_protect(pos, *pos); }

/* Caches in-use chunk `chunk` in bin tc_idx.  The caller knows the bin has room. */
static inline void tcache_put(mchunkptr chunk, size_t tc_idx)
{
    /* LAB(tcache) BEGIN */
    tcache_entry *e = chunk2mem(chunk);
    if (checks_since(29))
        e->key = tcache_key_value();
    e->next = tcache_protect(&e->next, tcache->entries[tc_idx]);
    tcache->entries[tc_idx] = e;
    tcache->counts[tc_idx]++;
    /* LAB(tcache) END */
}

/* Bin tc_idx's count, compared with mp_.tcache_count as glibc compares it: a
   one-byte count driven below 0 reads as huge, a full bin. */
static inline size_t tcache_bin_count(size_t tc_idx) { return (size_t)tcache->counts[tc_idx]; }

/* Whether malloc may take from bin tc_idx: its count says it holds an entry; up
   to 2.29 its list head was asked instead, so a count brought to 0 (or below)
   with a forged list still served.  The release is read only on a miss. */
static inline bool tcache_available(size_t tc_idx)
{
    if (__builtin_expect(tcache->counts[tc_idx] > 0, 1))
        return true;
    return !release_since(30) && tcache->entries[tc_idx] != NULL;
}

/* Takes the most recent entry of bin tc_idx; the caller knows there is one.
   Clearing the key means the chunk's owner will not find the mark by accident. */
static inline void *tcache_get(size_t tc_idx)
{
    /* LAB(tcache) BEGIN */
    tcache_entry *e = tcache->entries[tc_idx];
    if (checks_since(32) && !aligned_OK((uintptr_t)e))
        malloc_printerr("malloc(): unaligned tcache chunk detected");
    tcache->entries[tc_idx] = tcache_reveal(&e->next);
    tcache->counts[tc_idx]--;
    if (checks_since(29))
        e->key = 0;
    return malloc_path(PATH_TCACHE_GET, e);
    /* LAB(tcache) END */
}

#endif /* ARENALLOC_BINS_TCACHE_H */
