/*
 * heap_check.c - the heap checker (see heap_check.h for what it verifies).
 *
 * Each arena is read into a snapshot (heap_snapshot.c), which already marks what
 * a walk can see is wrong: a size that is no chunk size or leaves its region,
 * wrong flag bits, a foot that differs, a bin link to something that is not a
 * chunk, a loop, a bk that does not point back, a chunk in the wrong bin.  The
 * checker reports the first of those, then verifies what concerns more than one
 * chunk: neighbours, the arena's flags and binmap, the order of large bins, and
 * that every free chunk was found in a bin.
 */
#include "inspect/heap_check.h"

#include <stdarg.h>
#include <stdio.h>

#include "arena/arena.h"
#include "arena/main_arena.h"
#include "bins/malloc_printerr.h"
#include "include/arenalloc.h"
#include "inspect/heap_snapshot.h"

struct check {
    mstate av;
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

    if (c->av->top == initial_top(c->av)) /* main_arena before its first chunk */
        return NULL;
    const struct snap_chunk *top = snapshot_find(s, (uintptr_t)c->av->top);
    if (top == NULL || top->state != CHUNK_TOP)
        return fail(c, "top chunk %p: the walk of its region does not end on it", (void *)c->av->top);
    if (snap_size(top) < MINSIZE)
        return fail(c, "top chunk %p: size %#zx is below MINSIZE", (void *)c->av->top, snap_size(top));
    return NULL;
}

/* Nothing lies before a region's first chunk, so it must say its predecessor
   is in use, or a free would try to merge backwards out of the region. */
static const char *check_region_starts(struct check *c, const struct heap_region *regions, int n)
{
    for (int i = 0; i < n; i++) {
        const struct snap_chunk *k = snapshot_find(c->s, (uintptr_t)regions[i].first);
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
        if (b->count > 0 && !c->av->have_fastchunks)
            return fail(c, "fastbin %u is not empty but have_fastchunks is 0", b->index);
        return NULL;
    }
    mbinptr bin = bin_at(c->av, b->index);
    if (b->kind != BIN_UNSORTED && b->count > 0 && !get_binmap(c->av, b->index))
        return fail(c, "bin %u is not empty but its binmap bit is clear", b->index);
    uintptr_t last = b->count > 0 ? c->s->links[b->first + b->count - 1] : (uintptr_t)bin;
    if ((uintptr_t)bin->bk != last)
        return fail(c, "bin %u: the header's bk is not the last chunk", b->index);
    return b->kind == BIN_LARGE ? check_large_order(c, b) : NULL;
}

/* ---- one arena, every arena ------------------------------------------------------------ */

/* Checks arena av, locked by the caller.  Returns NULL if sound, else a
   description of the first violation, written into buf. */
static const char *check_arena(mstate av, char *buf, size_t buflen)
{
    struct heap_region regions[MAX_ARENA_REGIONS];
    int n = arena_regions(av, regions, MAX_ARENA_REGIONS);
    struct heap_snapshot s;
    struct check c = {.av = av, .s = &s, .buf = buf, .buflen = buflen};

    if (!take_snapshot(av, regions, n, &s))
        return fail(&c, "heap check: no memory for its snapshot");
    /* The bins first: a chunk they reach wrongly is marked there, and the
       list's own fault says more than the chunk's. */
    const char *err = NULL;
    for (unsigned i = 0; i < SNAP_NBINS && err == NULL; i++)
        err = check_bin(&c, &s.bins[i]);
    if (err == NULL)
        err = check_chunks(&c);
    if (err == NULL)
        err = check_region_starts(&c, regions, n);
    release_snapshot(&s);
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
    int index = 0;

    malloc_ensure_init();
    mstate av = &main_arena;
    do {
        os_lock(&av->mutex);
        err = check_arena(av, detail, sizeof detail);
        os_unlock(&av->mutex);
        if (err != NULL) {
            snprintf(check_message, sizeof check_message, "arena %d (%p): %s", index, (void *)av, detail);
            break;
        }
        index++;
        av = next_arena(av);
    } while (av != &main_arena);
    if (err == NULL && (err = check_tcache(detail, sizeof detail)) != NULL)
        snprintf(check_message, sizeof check_message, "%s", detail);
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
