/*
 * heap_snapshot.c - reading one arena into a heap_snapshot (see heap_snapshot.h).
 *
 * Four steps: walk the regions once to count the chunks, map scratch memory for
 * that many, walk again recording each chunk, then follow every bin's list,
 * giving each chunk met there its state.  A link is followed only after it has
 * been found among the chunks of the walk (a binary search), so a damaged link
 * is reported rather than dereferenced.
 */
#include "inspect/heap_snapshot.h"

#include "bins/fastbins.h"

struct walk {
    mstate av;
    struct heap_snapshot *s;
    bool record; /* false: only count */
};

/* Records chunk p, of which `room` bytes lie inside its region (its size word
   is read only when its header does). */
static void add_chunk(struct walk *w, mchunkptr p, size_t room, enum chunk_state state, const char *damage)
{
    struct heap_snapshot *s = w->s;
    if (w->record)
        s->chunks[s->nchunks] = (struct snap_chunk){.addr = (uintptr_t)p,
                                                    .size_field = room >= CHUNK_HDR_SZ ? chunksize_nomask(p) : 0,
                                                    .state = state,
                                                    .bin = -1,
                                                    .room = room,
                                                    .damage = damage};
    s->nchunks++;
}

/* ---- the chunks, region by region ------------------------------------------------ */

/* The state of heap chunk p, whose next chunk's header is readable, and what
   is visibly wrong with it. */
static enum chunk_state plain_state(struct walk *w, mchunkptr p, const char **damage)
{
    mchunkptr next = next_chunk(p);
    if (chunk_is_mmapped(p))
        *damage = "IS_MMAPPED set on a heap chunk";
    if (prev_inuse(next)) { /* only a chunk in use needs its arena's bit */
        if (chunk_main_arena(p) != (w->av == &main_arena))
            *damage = "NON_MAIN_ARENA bit is wrong for this arena";
        return CHUNK_IN_USE;
    }
    if (prev_size(next) != chunksize(p))
        *damage = "free, but its foot differs from its size";
    return CHUNK_FREE;
}

static void walk_region(struct walk *w, mchunkptr p, char *limit)
{
    for (;;) {
        size_t room = (char *)p < limit ? (size_t)(limit - (char *)p) : 0;
        if (room < CHUNK_HDR_SZ || misaligned_chunk(p)) {
            add_chunk(w, p, room, CHUNK_IN_USE, "the walk left its region here");
            return;
        }
        if (p == w->av->top) {
            add_chunk(w, p, room, CHUNK_TOP, NULL);
            return;
        }
        INTERNAL_SIZE_T size = chunksize(p);
        /* The fenceposts that close a region (heap_region.h); a 16-byte
           chunk without its partner is a damaged size, below. */
        if (room >= 2 * CHUNK_HDR_SZ && fencepost_pair(p)) {
            add_chunk(w, p, room, CHUNK_FENCEPOST, NULL);
            return;
        }
        if (size < MINSIZE || !aligned_OK(size)) {
            add_chunk(w, p, room, CHUNK_IN_USE, "size is not a chunk size");
            return;
        }
        if (size > room - CHUNK_HDR_SZ) {
            add_chunk(w, p, room, CHUNK_IN_USE, "size runs past the end of its region");
            return;
        }
        if (before_heap_end(p)) {
            add_chunk(w, p, room, CHUNK_FENCEPOST, NULL);
            return;
        }
        const char *damage = NULL;
        enum chunk_state state = plain_state(w, p, &damage);
        add_chunk(w, p, room, state, damage);
        p = next_chunk(p);
    }
}

static void walk_chunks(struct walk *w, const struct heap_region *sorted, int n)
{
    w->s->nchunks = 0;
    for (int i = 0; i < n; i++)
        walk_region(w, sorted[i].first, region_limit(w->av, sorted, i, n));
}

/* ---- the bins -------------------------------------------------------------------- */

struct snap_chunk *snapshot_find(const struct heap_snapshot *s, uintptr_t a)
{
    size_t lo = 0, hi = s->nchunks;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (s->chunks[mid].addr == a)
            return &s->chunks[mid];
        if (s->chunks[mid].addr < a)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

/* Marks chunk c as damaged; the first thing found wrong with it is kept. */
static void mark(struct snap_chunk *c, const char *damage)
{
    if (c->damage == NULL)
        c->damage = damage;
}

static enum chunk_state state_of(enum bin_kind kind)
{
    static const enum chunk_state states[] = {CHUNK_FASTBIN, CHUNK_UNSORTED, CHUNK_SMALLBIN, CHUNK_LARGEBIN};
    return states[kind];
}

/* Takes chunk address a into list b.  Returns the chunk, or NULL (with b's
   damage set) when the list must be cut before a. */
static struct snap_chunk *take_link(struct heap_snapshot *s, struct snap_bin *b, uintptr_t a)
{
    struct snap_chunk *c = snapshot_find(s, a);
    if (c == NULL || c->state == CHUNK_TOP || c->state == CHUNK_FENCEPOST) {
        b->damage = "a link points outside the arena's chunks";
        return NULL;
    }
    /* The list's fields of a chunk: fd and bk, and the nextsize pair too in a
       large bin.  A chunk cut short by its region's end is not followed. */
    if (c->room < (b->kind == BIN_LARGE ? sizeof(struct malloc_chunk) : MIN_CHUNK_SIZE)) {
        b->damage = "a link points to a chunk at the broken end of a region";
        return NULL;
    }
    if (c->state == state_of(b->kind) && c->bin == (int)b->index) {
        b->damage = "the list loops back to a chunk it already passed";
        return NULL;
    }
    if (c->state != CHUNK_IN_USE && c->state != CHUNK_FREE) {
        b->damage = "a link points to a chunk of another bin";
        return NULL;
    }
    if ((b->kind == BIN_FAST) != (c->state == CHUNK_IN_USE))
        mark(c, b->kind == BIN_FAST ? "in a fastbin but not marked in use" : "in a bin but marked in use");
    c->state = state_of(b->kind);
    c->bin = (int)b->index;
    s->links[s->nlinks++] = a;
    b->count++;
    return c;
}

static void walk_fastbin(struct walk *w, unsigned i)
{
    struct heap_snapshot *s = w->s;
    struct snap_bin *b = &s->bins[i];
    *b = (struct snap_bin){.kind = BIN_FAST, .index = i, .first = s->nlinks};

    mchunkptr p = w->av->fastbinsY[i];
    while (p != NULL) {
        struct snap_chunk *c = take_link(s, b, (uintptr_t)p);
        if (c == NULL)
            break;
        if (fastbin_index(chunksize(p)) != i)
            mark(c, "its size does not belong to this fastbin");
        p = reveal_ptr(&p->fd);
        c->fd = (uintptr_t)p;
    }
    b->end = (uintptr_t)p;
}

/* A large bin's nextsize chain: from its first chunk round to it again, over
   chunks of this bin only. */
static void walk_nextsize(struct heap_snapshot *s, struct snap_bin *b)
{
    if (b->count == 0 || b->damage != NULL)
        return;
    uintptr_t head = s->links[b->first];
    mchunkptr p = (mchunkptr)head;
    do {
        struct snap_chunk *c = snapshot_find(s, (uintptr_t)p);
        if (c == NULL || c->state != CHUNK_LARGEBIN || c->bin != (int)b->index || b->nnextsize == b->count) {
            b->damage = "the nextsize chain leaves the bin, or loops";
            return;
        }
        s->links[s->nlinks++] = (uintptr_t)p;
        b->nnextsize++;
        p = p->fd_nextsize;
    } while ((uintptr_t)p != head);
}

static void walk_bin(struct walk *w, unsigned i)
{
    struct heap_snapshot *s = w->s;
    struct snap_bin *b = &s->bins[NFASTBINS + i - 1];
    enum bin_kind kind = i == 1 ? BIN_UNSORTED : i < NSMALLBINS ? BIN_SMALL : BIN_LARGE;
    mbinptr bin = bin_at(w->av, i);
    *b = (struct snap_bin){.kind = kind, .index = i, .first = s->nlinks, .header_bk = (uintptr_t)bin->bk};

    mchunkptr prev = bin, p = bin->fd;
    while (p != bin) {
        struct snap_chunk *c = take_link(s, b, (uintptr_t)p);
        if (c == NULL)
            break;
        c->fd = (uintptr_t)p->fd;
        c->bk = (uintptr_t)p->bk;
        if (p->bk != prev)
            mark(c, "its bk does not point to the chunk before it");
        else if (i > 1 && bin_index(chunksize(p)) != i)
            mark(c, "its size does not belong to this bin");
        if (kind == BIN_LARGE) {
            c->fd_nextsize = (uintptr_t)p->fd_nextsize;
            c->bk_nextsize = (uintptr_t)p->bk_nextsize;
        }
        prev = p;
        p = p->fd;
    }
    b->end = (uintptr_t)p;
    if (kind == BIN_LARGE)
        walk_nextsize(s, b);
}

/* ---- scratch memory ----------------------------------------------------------------- */

/* The DEBUG build checks the heap after every call, and mapping fresh scratch
   memory each time (faulting its pages in, and unmapping it again) would cost
   more than the walk.  So each use of scratch memory keeps the mapping it gave
   back for its next time: one spare per use, shared by every thread, taken and
   refilled with an atomic exchange.  Outside the DEBUG build only small ones
   are kept, so that one dump of a large heap does not stay resident. */
#if ARENALLOC_DEBUG
#define SPARE_SCRATCH_MAX SIZE_MAX
#else
#define SPARE_SCRATCH_MAX ((size_t)4 << 20)
#endif

struct scratch {
    size_t size; /* of the mapping that starts with this header */
};

void *scratch_get(struct scratch **spare, size_t need, size_t *size)
{
    /* Powers of two from 64 KiB: a heap that grows a little still fits the
       mapping the last reading used. */
    size_t want = (size_t)64 << 10;
    while (want < need + sizeof(struct scratch))
        want *= 2;
    struct scratch *s = __atomic_exchange_n(spare, NULL, __ATOMIC_ACQUIRE);
    if (s != NULL && s->size >= want) {
        *size = s->size;
        return s;
    }
    if (s != NULL)
        os_release(s, s->size);
    *size = want;
    return os_map(want);
}

void scratch_put(struct scratch **spare, void *mem, size_t size)
{
    struct scratch *s = mem;
    s->size = size;
    if (size <= SPARE_SCRATCH_MAX)
        s = __atomic_exchange_n(spare, s, __ATOMIC_RELEASE);
    if (s != NULL)
        os_release(s, s->size);
}

static struct scratch *snapshot_spare;

/* ---- putting it together ---------------------------------------------------------- */

bool take_snapshot(mstate av, const struct heap_region *regions, int nregions, struct heap_snapshot *s)
{
    struct heap_region sorted[nregions > 0 ? nregions : 1];
    struct walk w = {.av = av, .s = s};

    *s = (struct heap_snapshot){0};
    sort_regions(regions, nregions, sorted);
    walk_chunks(&w, sorted, nregions);

    /* Every chunk is in at most one list, and a large bin's nextsize chain
       repeats some of its chunks: two links per chunk are enough. */
    size_t nchunks = s->nchunks;
    size_t bytes = nchunks * sizeof(struct snap_chunk) + 2 * nchunks * sizeof(uintptr_t);
    s->mem = scratch_get(&snapshot_spare, bytes, &s->memsize);
    if (s->mem == NULL)
        return false;
    s->chunks = s->mem;
    s->links = (uintptr_t *)(s->chunks + nchunks);

    w.record = true;
    walk_chunks(&w, sorted, nregions);
    for (unsigned i = 0; i < NFASTBINS; i++)
        walk_fastbin(&w, i);
    for (unsigned i = 1; i < NBINS; i++)
        walk_bin(&w, i);
    return true;
}

void release_snapshot(struct heap_snapshot *s)
{
    if (s->mem != NULL)
        scratch_put(&snapshot_spare, s->mem, s->memsize);
    *s = (struct heap_snapshot){0};
}

const char *chunk_state_name(enum chunk_state state)
{
    static const char *const names[] = {"in use", "fastbins", "unsortedbin", "smallbins",
                                        "largebins", "free", "top", "fencepost", "tcachebins"};
    return names[state];
}

const char *bin_kind_name(enum bin_kind kind)
{
    static const char *const names[] = {"fastbins", "unsortedbin", "smallbins", "largebins"};
    return names[kind];
}
