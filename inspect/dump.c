/*
 * dump.c - arenalloc_dump: read every arena, then print (see dump.h).
 */
#include "inspect/dump.h"

#include <errno.h>
#include <string.h>

#include "arena/arena.h"
#include "arena/main_arena.h"
#include "include/arenalloc.h"

/* At most this many arenas are dumped: the cap on a machine of 512 cores, and
   a bound on the walk should the ring itself be damaged. */
#define MAX_DUMP_ARENAS 4096

static int count_arenas(void)
{
    int n = 0;
    mstate av = &main_arena;
    do {
        n++;
        av = next_arena(av);
    } while (av != &main_arena && av != NULL && n < MAX_DUMP_ARENAS);
    return n;
}

/* Copies arena av's fields, and snapshots its chunks and bins when
   `with_chunks`.  av is locked. */
static bool read_arena(mstate av, struct arena_dump *a, bool with_chunks)
{
    struct heap_region regions[MAX_ARENA_REGIONS];

    a->address = (uintptr_t)av;
    a->is_main = av == &main_arena;
    a->top = (uintptr_t)av->top;
    a->top_size = chunksize(av->top);
    a->system_mem = av->system_mem;
    a->max_system_mem = av->max_system_mem;
    a->attached_threads = av->attached_threads;
    a->last_remainder = (uintptr_t)av->last_remainder;
    a->have_fastchunks = have_fastchunks(av);
    a->contiguous = contiguous(av);
    memcpy(a->binmap, av->binmap, sizeof a->binmap);
    a->nregions = arena_regions(av, regions, MAX_ARENA_REGIONS);
    sort_regions(regions, a->nregions, a->regions);
    return !with_chunks || take_snapshot(av, a->regions, a->nregions, &a->snap);
}

/* The memory behind the arenas' and the cache's arrays, kept between readings. */
static struct scratch *arenas_spare, *tcache_spare;

void release_heap_dump(struct heap_dump *d)
{
    for (int i = 0; i < d->narenas; i++)
        release_snapshot(&d->arenas[i].snap);
    if (d->tcache.mem != NULL)
        scratch_put(&tcache_spare, d->tcache.mem, d->tcache.memsize);
    scratch_put(&arenas_spare, d->mem, d->memsize);
}

/* Marks chunk c as damaged; the first thing found wrong with it is kept. */
static void mark_damage(struct snap_chunk *c, const char *damage)
{
    if (c->damage == NULL)
        c->damage = damage;
}

struct snap_chunk *find_entry(const struct heap_dump *d, uintptr_t entry)
{
    for (int i = 0; i < d->narenas; i++) {
        struct snap_chunk *c = snapshot_find(&d->arenas[i].snap, entry - CHUNK_HDR_SZ);
        if (c != NULL)
            return c;
    }
    return NULL;
}

/* Follows bin i of the cache, giving each chunk met the state tcachebins. */
static void read_tcache_bin(struct heap_dump *d, size_t i)
{
    struct tcache_dump *t = &d->tcache;
    struct tcache_bin_dump *b = &t->bins[i];
    *b = (struct tcache_bin_dump){.count = tcache->counts[i], .first = t->nentries};

    tcache_entry *e = tcache->entries[i];
    uintptr_t stored = (uintptr_t)e; /* the head is stored plainly */
    for (; e != NULL; b->n++) {
        struct snap_chunk *c = find_entry(d, (uintptr_t)e);
        if (c == NULL || c->room < MINSIZE) {
            b->damage = "an entry that is not a chunk of any arena";
            break;
        }
        if (c->state == CHUNK_TCACHE) {
            b->damage = "the list loops back to a chunk it already passed";
            break;
        }
        if (c->state != CHUNK_IN_USE)
            mark_damage(c, "in the tcache but not in use");
        t->entries[t->nentries] = (uintptr_t)e;
        t->stored[t->nentries++] = stored;
        stored = (uintptr_t)e->next;
        e = tcache_reveal(&e->next);
        c->state = CHUNK_TCACHE;
        c->bin = (int)i;
        c->fd = (uintptr_t)e;
        c->next_stored = stored;
    }
    b->end = (uintptr_t)e;
}

/* The calling thread's cache, once every arena has its snapshot.  A list is
   at most as long as there are chunks: each chunk joins one list once. */
static bool read_tcache(struct heap_dump *d)
{
    struct tcache_dump *t = &d->tcache;
    t->tcache_count = mp_.tcache_count;
    t->tcache_max_bytes = mp_.tcache_max_bytes;
    if (tcache == NULL)
        return true;
    size_t nchunks = 0;
    for (int i = 0; i < d->narenas; i++)
        nchunks += d->arenas[i].snap.nchunks;
    if ((t->mem = scratch_get(&tcache_spare, 2 * (nchunks + 1) * sizeof(uintptr_t), &t->memsize)) == NULL)
        return false;
    t->address = (uintptr_t)tcache;
    t->entries = t->mem;
    t->stored = t->entries + nchunks + 1;
    for (size_t i = 0; i < TCACHE_MAX_BINS; i++)
        read_tcache_bin(d, i);
    return true;
}

bool read_heap(struct heap_dump *d, bool with_chunks)
{
    /* A new arena joins the ring right after main_arena, so one made while we
       read shifts the ring: walk it round to main_arena again, with room for a
       few newcomers, rather than a number of steps counted before. */
    int room = count_arenas() + 64;
    d->mem = scratch_get(&arenas_spare, (size_t)room * sizeof(struct arena_dump), &d->memsize);
    if (d->mem == NULL)
        return false;
    d->arenas = d->mem;
    d->release = glibc_release;
    d->narenas = 0;
    d->tcache = (struct tcache_dump){0};

    bool ok = true;
    mstate av = &main_arena;
    do {
        struct arena_dump *a = &d->arenas[d->narenas];
        memset(a, 0, sizeof *a); /* the memory may hold an earlier reading */
        a->index = d->narenas++;
        os_lock(&av->mutex);
        ok = read_arena(av, a, with_chunks);
        os_unlock(&av->mutex);
        av = next_arena(av);
    } while (ok && av != &main_arena && av != NULL && d->narenas < room);
    if (ok && with_chunks)
        ok = read_tcache(d);
    d->n_mmaps = __atomic_load_n(&mp_.n_mmaps, __ATOMIC_RELAXED);
    d->mmapped_mem = __atomic_load_n(&mp_.mmapped_mem, __ATOMIC_RELAXED);
    if (!ok)
        release_heap_dump(d);
    return ok;
}

int arenalloc_dump(FILE *out, unsigned what, int format)
{
    struct heap_dump d;

    if (out == NULL || (what & ~(unsigned)ARENALLOC_DUMP_ALL) != 0 ||
        (format != ARENALLOC_DUMP_TEXT && format != ARENALLOC_DUMP_JSON)) {
        errno = EINVAL;
        return -1;
    }
    malloc_ensure_init();
    if (!read_heap(&d, (what & (ARENALLOC_DUMP_CHUNKS | ARENALLOC_DUMP_BINS)) != 0)) {
        errno = ENOMEM;
        return -1;
    }
    if (format == ARENALLOC_DUMP_JSON)
        print_dump_json(out, &d, what);
    else
        print_dump_text(out, &d, what);
    release_heap_dump(&d);
    return ferror(out) ? -1 : 0;
}

const char *chunk_flag_names(INTERNAL_SIZE_T size_field, const char *separator, char *buf, size_t len)
{
    static const struct { INTERNAL_SIZE_T bit; const char *name; } flags[] = {
        {PREV_INUSE, "PREV_INUSE"}, {IS_MMAPPED, "IS_MMAPPED"}, {NON_MAIN_ARENA, "NON_MAIN_ARENA"}};
    size_t n = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++)
        if (size_field & flags[i].bit)
            n += (size_t)snprintf(buf + n, n < len ? len - n : 0, "%s%s", n > 0 ? separator : "", flags[i].name);
    return buf;
}

void bin_sizes(enum bin_kind kind, unsigned index, size_t *lo, size_t *hi)
{
    switch (kind) {
    case BIN_FAST:
        *lo = *hi = (size_t)(index + 2) * MALLOC_ALIGNMENT;
        break;
    case BIN_UNSORTED:
        *lo = MINSIZE;
        *hi = SIZE_MAX;
        break;
    case BIN_SMALL:
        *lo = *hi = (size_t)index * MALLOC_ALIGNMENT;
        break;
    case BIN_LARGE:
        *lo = bin_lowest_size(index);
        *hi = index + 1 < NBINS ? bin_lowest_size(index + 1) - MALLOC_ALIGNMENT : SIZE_MAX;
        break;
    }
}
