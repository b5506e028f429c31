/*
 * heap_check.c - the heap checker (see heap_check.h for what it verifies).
 *
 * The heap is read as for the dump (read_heap): each arena into a snapshot
 * (heap_snapshot.c), then the calling thread's cache over those.  The reading
 * already marks what a walk can see is wrong: a size that is no chunk size or leaves its region,
 * wrong flag bits, a foot that differs, a bin link to something that is not a
 * chunk, a loop, a bk that does not point back, a chunk in the wrong bin.  The
 * checker reports the first of those, then verifies what concerns more than one
 * chunk: neighbours, the arena's flags and binmap, the order of large bins,
 * that every free chunk was found in a bin, and the cache's counts and sizes.
 */
#include "inspect/heap_check.h"

#include <stdarg.h>
#include <stdio.h>

#include "arena/main_arena.h"
#include "bins/malloc_printerr.h"
#include "include/arenalloc.h"
#include "inspect/dump.h"

struct check {
    const struct arena_dump *a;
    const struct heap_snapshot *s;
    char *buf;
    size_t buflen;
};

static const char *fail(struct check *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->buf, c->buflen, fmt, ap);
    va_end(ap);
    return c->buf;
}

static bool is_binned_free(enum chunk_state state)
{
    return state == CHUNK_UNSORTED || state == CHUNK_SMALLBIN || state == CHUNK_LARGEBIN || state == CHUNK_FREE;
}

static INTERNAL_SIZE_T snap_size(const struct snap_chunk *k) { return k->size_field & ~(INTERNAL_SIZE_T)SIZE_BITS; }

/* ---- chunks ---------------------------------------------------------------------- */

static const char *check_chunks(struct check *c)
{
    const struct heap_snapshot *s = c->s;
    for (size_t i = 0; i < s->nchunks; i++) {
        const struct snap_chunk *k = &s->chunks[i];
        if (k->damage != NULL)
            return fail(c, "chunk %#lx (size %#zx): %s", (unsigned long)k->addr, snap_size(k), k->damage);
        const struct snap_chunk *prev = i > 0 ? &s->chunks[i - 1] : NULL;
        bool touches = prev != NULL && prev->addr + snap_size(prev) == k->addr;
        if (touches && is_binned_free(prev->state) && is_binned_free(k->state))
            return fail(c, "chunk %#lx: free and next to another free chunk", (unsigned long)k->addr);
        if (k->state == CHUNK_FREE)
            return fail(c, "free chunk %#lx (size %#zx) is in no bin", (unsigned long)k->addr, snap_size(k));
    }

    if (c->a->top == (uintptr_t)initial_top((mstate)c->a->address)) /* main_arena before its first chunk */
        return NULL;
    const struct snap_chunk *top = snapshot_find(s, c->a->top);
    if (top == NULL || top->state != CHUNK_TOP)
        return fail(c, "top chunk %#lx: the walk of its region does not end on it", (unsigned long)c->a->top);
    if (snap_size(top) < MINSIZE)
        return fail(c, "top chunk %#lx: size %#zx is below MINSIZE", (unsigned long)c->a->top, snap_size(top));
    return NULL;
}

/* Nothing lies before a region's first chunk, so it must say its predecessor
   is in use, or a free would try to merge backwards out of the region. */
static const char *check_region_starts(struct check *c)
{
    for (int i = 0; i < c->a->nregions; i++) {
        const struct snap_chunk *k = snapshot_find(c->s, (uintptr_t)c->a->regions[i].first);
        if (k != NULL && !(k->size_field & PREV_INUSE))
            return fail(c, "chunk %#lx: first of its region, but PREV_INUSE is clear", (unsigned long)k->addr);
    }
    return NULL;
}

/* ---- bins -------------------------------------------------------------------------- */

/* Large bins: sorted largest first, and the first chunk of each size (only it)
   is on the nextsize list, whose links agree both ways. */
static const char *check_large_order(struct check *c, const struct snap_bin *b)
{
    const struct heap_snapshot *s = c->s;
    const struct snap_chunk *prev = NULL;
    for (size_t j = 0; j < b->count; j++) {
        const struct snap_chunk *k = snapshot_find(s, s->links[b->first + j]);
        if (prev != NULL && snap_size(prev) < snap_size(k))
            return fail(c, "large bin %u: chunk %#lx is larger than the one before it", b->index,
                        (unsigned long)k->addr);
        bool head = prev == NULL || snap_size(prev) != snap_size(k);
        if (head != (k->fd_nextsize != 0))
            return fail(c, "large bin %u: chunk %#lx: fd_nextsize %s", b->index, (unsigned long)k->addr,
                        head ? "is NULL on the first chunk of a size"
                             : "is set on a chunk that is not first of its size");
        if (head) {
            const struct snap_chunk *fwd = snapshot_find(s, k->fd_nextsize);
            const struct snap_chunk *back = snapshot_find(s, k->bk_nextsize);
            if (fwd == NULL || back == NULL || fwd->bk_nextsize != k->addr || back->fd_nextsize != k->addr)
                return fail(c, "large bin %u: chunk %#lx: nextsize links do not point back", b->index,
                            (unsigned long)k->addr);
        }
        prev = k;
    }
    return NULL;
}

static const char *check_bin(struct check *c, const struct snap_bin *b)
{
    const char *name = bin_kind_name(b->kind);
    if (b->damage != NULL)
        return fail(c, "%s %u: %s", name, b->index, b->damage);
    if (b->kind == BIN_FAST) {
        /* With other threads, a free can push between malloc_consolidate's
           clearing the flag and its emptying this bin, and the flag stays clear
           until the next fast free: harmless (it is a hint), so checked only
           while the process has one thread. */
        if (b->count > 0 && !c->a->have_fastchunks && single_thread_p())
            return fail(c, "fastbin %u is not empty but have_fastchunks is 0", b->index);
        return NULL;
    }
    bool marked = c->a->binmap[idx2block(b->index)] & idx2bit(b->index);
    if (b->kind != BIN_UNSORTED && b->count > 0 && !marked)
        return fail(c, "bin %u is not empty but its binmap bit is clear", b->index);
    uintptr_t header = (uintptr_t)bin_at((mstate)c->a->address, b->index); /* an address, not read */
    uintptr_t last = b->count > 0 ? c->s->links[b->first + b->count - 1] : header;
    if (b->header_bk != last)
        return fail(c, "bin %u: the header's bk is not the last chunk", b->index);
    return b->kind == BIN_LARGE ? check_large_order(c, b) : NULL;
}

/* ---- the calling thread's cache ---------------------------------------------------------- */

/* read_heap has followed each list over the arenas' snapshots, marking a list
   that loops or leaves the heap, and a cached chunk the arena has as free. */
static const char *check_tcache(const struct heap_dump *d, char *buf, size_t buflen)
{
    struct check c = {.buf = buf, .buflen = buflen};
    const struct tcache_dump *t = &d->tcache;
    if (t->address == 0)
        return NULL;
    for (size_t i = 0; i < TCACHE_MAX_BINS; i++) {
        const struct tcache_bin_dump *b = &t->bins[i];
        if (b->damage != NULL)
            return fail(&c, "tcache bin %zu (%u entries): %s", i, b->count, b->damage);
        if (b->n != b->count)
            return fail(&c, "tcache bin %zu: %s entries than its count (%zu, count %u)", i,
                        b->n < b->count ? "fewer" : "more", b->n, b->count);
        for (size_t k = b->first; k < b->first + b->n; k++) {
            const struct snap_chunk *ch = find_entry(d, t->entries[k]);
            if (ch != NULL && csize2tidx(snap_size(ch)) != i)
                return fail(&c, "tcache bin %zu: entry %#lx has another bin's size %#zx", i,
                            (unsigned long)t->entries[k], snap_size(ch));
        }
    }
    return NULL;
}

/* ---- every arena ------------------------------------------------------------------------ */

/* Checks arena a as read.  Returns NULL if sound, else the first violation,
   written into buf. */
static const char *check_arena(const struct arena_dump *a, char *buf, size_t buflen)
{
    struct check c = {.a = a, .s = &a->snap, .buf = buf, .buflen = buflen};
    /* The bins first: a chunk they reach wrongly is marked there, and the
       list's own fault says more than the chunk's. */
    const char *err = NULL;
    for (unsigned i = 0; i < SNAP_NBINS && err == NULL; i++)
        err = check_bin(&c, &a->snap.bins[i]);
    if (err == NULL)
        err = check_chunks(&c);
    if (err == NULL)
        err = check_region_starts(&c);
    return err;
}

/* The description of the last violation this thread found (the API returns a
   pointer here).  Per thread, so checks in several threads need no lock, and a
   child forked in the middle of one inherits nothing held. */
static OS_THREAD_LOCAL char check_message[320];

const char *arenalloc_check_heap(void)
{
    char detail[256];
    const char *err = NULL;
    struct heap_dump d;

    malloc_ensure_init();
    if (!read_heap(&d, true)) {
        snprintf(check_message, sizeof check_message, "heap check: no memory to read the heap into");
        return check_message;
    }
    for (int i = 0; i < d.narenas && err == NULL; i++)
        if ((err = check_arena(&d.arenas[i], detail, sizeof detail)) != NULL)
            snprintf(check_message, sizeof check_message, "arena %d (%#lx): %s", d.arenas[i].index,
                     (unsigned long)d.arenas[i].address, detail);
    if (err == NULL && (err = check_tcache(&d, detail, sizeof detail)) != NULL)
        snprintf(check_message, sizeof check_message, "%s", detail);
    release_heap_dump(&d);
    return err != NULL ? check_message : NULL;
}

#if ARENALLOC_DEBUG
void debug_check_heap(void)
{
    const char *err = arenalloc_check_heap();
    if (err != NULL) {
        os_write_error("arenalloc: heap check failed: ");
        malloc_printerr(err);
    }
}
#endif
