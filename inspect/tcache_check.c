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
    size_t nspans;
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

static void read_spans(struct tcheck *t, size_t narenas)
{
    struct heap_region regions[MAX_ARENA_REGIONS], sorted[MAX_ARENA_REGIONS];
    mstate av = &main_arena;
    for (size_t a = 0; a < narenas; a++, av = next_arena(av)) {
        os_lock(&av->mutex);
        int n = arena_regions(av, regions, MAX_ARENA_REGIONS);
        sort_regions(regions, n, sorted);
        for (int i = 0; i < n; i++)
            t->spans[t->nspans++] = (struct span){av, sorted[i].first, region_limit(av, sorted, i, n)};
        os_unlock(&av->mutex);
    }
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

static void sort_entries(uintptr_t *a, size_t n)
{
    for (size_t i = 1; i < n; i++) /* insertion sort: at most 64 x count entries */
        for (size_t j = i; j > 0 && a[j - 1] > a[j]; j--) {
            uintptr_t tmp = a[j];
            a[j] = a[j - 1];
            a[j - 1] = tmp;
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
    for (size_t s = 0; s < t->nspans; s++) {
        size_t j = 0;
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
    size_t narenas = count_arenas(), total = 0;
    for (size_t i = 0; i < TCACHE_MAX_BINS; i++)
        total += tcache->counts[i];
    size_t bytes = narenas * MAX_ARENA_REGIONS * sizeof(struct span) + (total + 1) * sizeof(uintptr_t);
    size_t page = os_page_size(), size = (bytes + page - 1) & ~(page - 1);
    void *mem = os_map(size);
    if (mem == NULL)
        return NULL; /* nothing to check with: say nothing */

    struct tcheck t = {.spans = mem, .buf = buf, .buflen = buflen};
    t.entries = (uintptr_t *)(t.spans + narenas * MAX_ARENA_REGIONS);
    read_spans(&t, narenas);
    const char *err = check_entries(&t);
    os_release(mem, size);
    return err;
}
