/*
 * tcache_check.c - verifying the calling thread's per-thread cache against the
 * heap (arena/tcache.h).
 *
 * To its arena a cached chunk is a chunk in use, so the arena checker
 * (heap_check.c) has nothing to say about it.  This one checks the cache's own
 * invariants:
 *   - each bin's list is exactly as long as its count (so a list that loops is
 *     caught after count + 1 steps, never followed forever);
 *   - every entry is the user memory of a chunk that the walk of its arena finds,
 *     in use, and of the bin's size;
 *   - no chunk is in the cache twice.
 * A link is read through only when it lies inside a region of some arena, so a
 * damaged link is reported, never followed out of the heap.  Only the caller's
 * cache can be checked: the others are other threads' thread-local data.
 */
#include "inspect/heap_check.h"

#include <stdio.h>

#include "arena/heap.h"
#include "arena/tcache.h"

/* Every region of every arena, each with its limit, read under its arena's lock. */
struct span {
    mstate av;
    mchunkptr first;
    char *limit;
};

struct tcheck {
    struct span *spans;
    size_t nspans, maxspans;
    uintptr_t *entries;   /* every entry met, then sorted */
    size_t nentries;
    size_t ticked;        /* entries found to be chunks in use */
    char *buf;
    size_t buflen;
};

static size_t count_arenas(void)
{
    size_t n = 0;
    mstate av = &main_arena;
    do {
        n++;
        av = next_arena(av);
    } while (av != &main_arena);
    return n;
}

/* Every region of the whole ring.  The ring, not a count taken earlier: other
   threads may add arenas meanwhile (right after main_arena), and the arena
   of a cached chunk, older than the chunk, must not be the one left out.
   Returns false when there are more regions than t->spans can hold. */
static bool read_spans(struct tcheck *t)
{
    struct heap_region regions[MAX_ARENA_REGIONS], sorted[MAX_ARENA_REGIONS];
    mstate av = &main_arena;
    do {
        os_lock(&av->mutex);
        int n = arena_regions(av, regions, MAX_ARENA_REGIONS);
        bool fits = t->nspans + (size_t)n <= t->maxspans;
        if (fits) {
            sort_regions(regions, n, sorted);
            for (int i = 0; i < n; i++) {
                /* A region recorded twice is walked once. */
                if (i > 0 && sorted[i].first == sorted[i - 1].first)
                    continue;
                t->spans[t->nspans++] = (struct span){av, sorted[i].first, region_limit(av, sorted, i, n)};
            }
        }
        os_unlock(&av->mutex);
        if (!fits)
            return false;
        av = next_arena(av);
    } while (av != &main_arena);
    return true;
}

/* Whether a chunk of at least MINSIZE at p lies inside some region. */
static bool inside_heap(const struct tcheck *t, uintptr_t p)
{
    for (size_t i = 0; i < t->nspans; i++)
        if (p >= (uintptr_t)t->spans[i].first && p + MINSIZE <= (uintptr_t)t->spans[i].limit)
            return true;
    return false;
}

/* Follows bin i's list, recording its entries. */
static const char *walk_tcache_bin(struct tcheck *t, size_t i)
{
    tcache_entry *e = tcache->entries[i];
    size_t n = 0;
    for (; e != NULL; n++) {
        if (n == tcache->counts[i])
            return "more entries than its count (a loop?)";
        if (!aligned_OK((uintptr_t)e) || !inside_heap(t, (uintptr_t)mem2chunk(e)))
            return "an entry outside every arena's regions";
        t->entries[t->nentries++] = (uintptr_t)e;
        e = tcache_reveal(&e->next);
    }
    return n == tcache->counts[i] ? NULL : "fewer entries than its count";
}

/* Shell sort (no qsort: it may call malloc, from inside the allocator). */
static void sort_entries(uintptr_t *a, size_t n)
{
    for (size_t gap = n / 2; gap > 0; gap /= 2)
        for (size_t i = gap; i < n; i++)
            for (size_t j = i; j >= gap && a[j - gap] > a[j]; j -= gap) {
                uintptr_t tmp = a[j];
                a[j] = a[j - gap];
                a[j - gap] = tmp;
            }
}

/* Walks region s, ticking off the sorted entries that fall inside it from *j
   on: each must be a chunk of the walk, in use.  Sizes were checked by the
   arena checker, which ran first. */
static const char *tick_region(struct tcheck *t, const struct span *s, size_t *j)
{
    mchunkptr p = s->first;
    while (*j < t->nentries && t->entries[*j] < (uintptr_t)chunk2mem(p))
        ++*j; /* below this region: another region's */
    for (; *j < t->nentries && (char *)p < s->limit && p != s->av->top; p = next_chunk(p)) {
        INTERNAL_SIZE_T size = chunksize(p);
        if (size < MINSIZE || before_heap_end(p))
            break;
        uintptr_t mem = (uintptr_t)chunk2mem(p);
        if (t->entries[*j] < mem)
            return "an entry that is not a chunk";
        if (t->entries[*j] == mem) {
            if (!inuse(p))
                return "an entry that the arena has as free";
            if (*j + 1 < t->nentries && t->entries[*j + 1] == mem)
                return "a chunk cached twice";
            ++*j;
            t->ticked++;
        }
    }
    return NULL;
}

static const char *check_entries(struct tcheck *t)
{
    for (size_t i = 0; i < TCACHE_MAX_BINS; i++) {
        size_t before = t->nentries;
        const char *err = walk_tcache_bin(t, i);
        if (err != NULL) {
            snprintf(t->buf, t->buflen, "tcache bin %zu (%u entries): %s", i, (unsigned)tcache->counts[i], err);
            return t->buf;
        }
        for (size_t k = before; k < t->nentries; k++)
            if (csize2tidx(chunksize(mem2chunk((void *)t->entries[k]))) != i) {
                snprintf(t->buf, t->buflen, "tcache bin %zu: entry %#zx has another bin's size", i,
                         (size_t)t->entries[k]);
                return t->buf;
            }
    }
    sort_entries(t->entries, t->nentries);
    for (size_t s = 0, j = 0; s < t->nspans; s++, j = 0) {
        /* Only the regions that hold an entry are walked. */
        while (j < t->nentries && t->entries[j] < (uintptr_t)t->spans[s].first)
            j++;
        if (j == t->nentries || t->entries[j] >= (uintptr_t)t->spans[s].limit)
            continue;
        j = 0;
        os_lock(&t->spans[s].av->mutex);
        const char *err = tick_region(t, &t->spans[s], &j);
        os_unlock(&t->spans[s].av->mutex);
        if (err != NULL) {
            snprintf(t->buf, t->buflen, "tcache: %s (near %#zx)", err, j < t->nentries ? (size_t)t->entries[j] : 0);
            return t->buf;
        }
    }
    if (t->ticked != t->nentries) {
        snprintf(t->buf, t->buflen, "tcache: %zu entries are not chunks of any arena's walk",
                 t->nentries - t->ticked);
        return t->buf;
    }
    return NULL;
}

const char *check_tcache(char *buf, size_t buflen)
{
    if (tcache == NULL)
        return NULL;
    size_t total = 0;
    bool any = false;
    for (size_t i = 0; i < TCACHE_MAX_BINS; i++) {
        total += tcache->counts[i];
        any |= tcache->entries[i] != NULL;
    }
    if (total == 0 && !any) /* the common case in the DEBUG build's check after every call */
        return NULL;

    /* On the stack when the cache and the regions are few (the DEBUG build
       checks after every call); else scratch memory mapped for the purpose. */
    struct span small_spans[64];
    uintptr_t small_entries[64 * TCACHE_FILL_COUNT + 1];
    struct tcheck t = {.spans = small_spans, .maxspans = 64, .entries = small_entries, .buf = buf, .buflen = buflen};
    void *mem = NULL;
    size_t size = 0;
    if (total + 1 > sizeof small_entries / sizeof small_entries[0] || !read_spans(&t)) {
        size_t narenas = count_arenas() + 64; /* and room for arenas made meanwhile */
        size_t bytes = narenas * MAX_ARENA_REGIONS * sizeof(struct span) + (total + 1) * sizeof(uintptr_t);
        size = (bytes + os_page_size() - 1) & ~(os_page_size() - 1);
        if ((mem = os_map(size)) == NULL)
            return NULL; /* nothing to check with: say nothing */
        t.spans = mem;
        t.nspans = 0;
        t.maxspans = narenas * MAX_ARENA_REGIONS;
        t.entries = (uintptr_t *)(t.spans + t.maxspans);
        read_spans(&t);
    }
    const char *err = check_entries(&t);
    if (mem != NULL)
        os_release(mem, size);
    return err;
}
