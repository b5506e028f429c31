/*
 * dump_json.c - the heap as JSON, for tools (the diagram maker, tests, scripts).
 *
 * The schema is tools/dump.schema.json.  Addresses are strings ("0x5555...")
 * because a 64-bit address does not fit a JSON number exactly in most readers;
 * sizes and counts are numbers.  In outline:
 *
 *   {"version": 1, "release": "2.36",
 *    "arenas": [{"index", "address", "kind": "main"|"thread", "regions": [...],
 *                "top", "top_size", "system_mem", "max_system_mem",
 *                "attached_threads", "last_remainder", "have_fastchunks",
 *                "contiguous",
 *                "chunks": [{"address", "size", "flags", "state", "bin",
 *                            "fd", "bk", "fd_nextsize", "bk_nextsize", "damage"}],
 *                "bins": [{"kind", "index", "size_min", "size_max", "header",
 *                          "chunks", "end", "nextsize", "damage"}]}],
 *    "tcache": null | {"address", "tcache_count", "tcache_max",
 *                      "bins": [{"index", "size", "count", "entries", "stored",
 *                                "end", "damage"}]},
 *    "mmapped": {"chunks", "bytes"}}
 *
 * "chunks" and "bins" appear when asked for ("tcache", the calling thread's
 * cache, with "bins"); a chunk in the cache has state "tcache", its bin of the
 * cache, and "next" / "next_stored"; "bins" lists only the non-empty
 * (or damaged) ones; links appear on the chunks whose state has them.
 */
#include "inspect/dump.h"

#include <inttypes.h>

#include "include/arenalloc.h"

static void put_addr(FILE *out, const char *key, uintptr_t a)
{
    fprintf(out, ", \"%s\": \"0x%" PRIxPTR "\"", key, a);
}

static void put_damage(FILE *out, const char *damage)
{
    /* Damage texts are fixed strings without quotes or backslashes. */
    if (damage != NULL)
        fprintf(out, ", \"damage\": \"%s\"", damage);
}

/* ---- chunks ------------------------------------------------------------------------ */

static void put_chunk(FILE *out, const struct snap_chunk *c)
{
    static const char *const states[] = {"in_use", "fastbin", "unsorted", "smallbin",
                                         "largebin", "free", "top", "fencepost", "tcache"};
    char flags[64];

    /* ["PREV_INUSE", "NON_MAIN_ARENA"]: the names joined by '", "', quoted. */
    chunk_flag_names(c->size_field, "\", \"", flags, sizeof flags);
    fprintf(out, "{\"address\": \"0x%" PRIxPTR "\", \"size\": %zu, \"flags\": [%s%s%s", c->addr,
            (size_t)(c->size_field & ~(INTERNAL_SIZE_T)SIZE_BITS), flags[0] ? "\"" : "", flags, flags[0] ? "\"" : "");
    fprintf(out, "], \"state\": \"%s\"", states[c->state]);
    if (c->bin >= 0)
        fprintf(out, ", \"bin\": %d", c->bin);
    if (c->state == CHUNK_FASTBIN || c->state == CHUNK_UNSORTED || c->state == CHUNK_SMALLBIN ||
        c->state == CHUNK_LARGEBIN)
        put_addr(out, "fd", c->fd);
    if (c->state == CHUNK_UNSORTED || c->state == CHUNK_SMALLBIN || c->state == CHUNK_LARGEBIN)
        put_addr(out, "bk", c->bk);
    if (c->state == CHUNK_TCACHE) {
        put_addr(out, "next", c->fd);
        put_addr(out, "next_stored", c->next_stored);
    }
    if (c->state == CHUNK_LARGEBIN) {
        put_addr(out, "fd_nextsize", c->fd_nextsize);
        put_addr(out, "bk_nextsize", c->bk_nextsize);
    }
    put_damage(out, c->damage);
    fputc('}', out);
}

/* ---- bins ---------------------------------------------------------------------------- */

static void put_links(FILE *out, const char *key, const uintptr_t *links, size_t n)
{
    fprintf(out, ", \"%s\": [", key);
    for (size_t k = 0; k < n; k++)
        fprintf(out, "%s\"0x%" PRIxPTR "\"", k > 0 ? ", " : "", links[k]);
    fputc(']', out);
}

static void put_bin(FILE *out, const struct arena_dump *a, const struct snap_bin *b)
{
    const struct heap_snapshot *s = &a->snap;
    static const char *const kinds[] = {"fast", "unsorted", "small", "large"};
    size_t lo, hi;

    bin_sizes(b->kind, b->index, &lo, &hi);
    fprintf(out, "{\"kind\": \"%s\", \"index\": %u, \"size_min\": %zu, \"size_max\": ", kinds[b->kind], b->index,
            lo);
    if (hi != SIZE_MAX)
        fprintf(out, "%zu", hi);
    else
        fprintf(out, "null");
    /* A list ends at its header: NULL for a fastbin, else the fake chunk
       bin_at() gives, inside the arena (malloc_state.h). */
    if (b->kind != BIN_FAST)
        put_addr(out, "header", (uintptr_t)bin_at((struct malloc_state *)a->address, b->index));
    put_links(out, "chunks", s->links + b->first, b->count);
    put_addr(out, "end", b->end);
    if (b->kind == BIN_LARGE)
        put_links(out, "nextsize", s->links + b->first + b->count, b->nnextsize);
    put_damage(out, b->damage);
    fputc('}', out);
}

/* ---- arenas ------------------------------------------------------------------------ */

static void put_regions(FILE *out, const struct arena_dump *a)
{
    fprintf(out, ", \"regions\": [");
    for (int i = 0; i < a->nregions; i++) {
        const struct heap_region *r = &a->regions[i];
        fprintf(out, "%s{\"first_chunk\": \"0x%" PRIxPTR "\"", i > 0 ? ", " : "", (uintptr_t)r->first);
        if (!a->is_main)
            put_addr(out, "heap", (uintptr_t)heap_for_ptr(r->first));
        if (r->end != NULL)
            put_addr(out, "end", (uintptr_t)r->end);
        fputc('}', out);
    }
    fputc(']', out);
}

static void put_arena(FILE *out, const struct arena_dump *a, unsigned what)
{
    fprintf(out, "{\"index\": %d", a->index);
    put_addr(out, "address", a->address);
    fprintf(out, ", \"kind\": \"%s\"", a->is_main ? "main" : "thread");
    put_regions(out, a);
    put_addr(out, "top", a->top);
    fprintf(out, ", \"top_size\": %zu, \"system_mem\": %zu, \"max_system_mem\": %zu, \"attached_threads\": %zu",
            (size_t)a->top_size, (size_t)a->system_mem, (size_t)a->max_system_mem, (size_t)a->attached_threads);
    put_addr(out, "last_remainder", a->last_remainder);
    fprintf(out, ", \"have_fastchunks\": %s, \"contiguous\": %s", a->have_fastchunks ? "true" : "false",
            a->contiguous ? "true" : "false");

    if (what & ARENALLOC_DUMP_CHUNKS) {
        fprintf(out, ",\n   \"chunks\": [");
        for (size_t i = 0; i < a->snap.nchunks; i++) {
            fprintf(out, "%s\n    ", i > 0 ? "," : "");
            put_chunk(out, &a->snap.chunks[i]);
        }
        fprintf(out, "]");
    }
    if (what & ARENALLOC_DUMP_BINS) {
        const char *sep = "";
        fprintf(out, ",\n   \"bins\": [");
        for (size_t i = 0; i < SNAP_NBINS; i++) {
            const struct snap_bin *b = &a->snap.bins[i];
            if (b->count == 0 && b->damage == NULL)
                continue;
            fprintf(out, "%s\n    ", sep);
            put_bin(out, a, b);
            sep = ",";
        }
        fprintf(out, "]");
    }
    fputc('}', out);
}

/* The calling thread's cache: null when it has none; its non-empty bins, each
   entry as malloc would return it ("entries") and as stored ("stored"). */
static void put_tcache(FILE *out, const struct tcache_dump *t)
{
    if (t->address == 0) {
        fprintf(out, ",\n \"tcache\": null");
        return;
    }
    fprintf(out, ",\n \"tcache\": {\"address\": \"0x%" PRIxPTR "\", \"tcache_count\": %zu, \"tcache_max\": %zu, \"bins\": [",
            t->address, t->tcache_count, t->tcache_max_bytes);
    const char *sep = "";
    for (size_t i = 0; i < TCACHE_MAX_BINS; i++) {
        const struct tcache_bin_dump *b = &t->bins[i];
        if (b->count == 0 && b->n == 0 && b->damage == NULL)
            continue;
        fprintf(out, "%s\n  {\"index\": %zu, \"size\": %zu, \"count\": %u", sep, i, tidx2csize(i), b->count);
        put_links(out, "entries", t->entries + b->first, b->n);
        put_links(out, "stored", t->stored + b->first, b->n);
        put_addr(out, "end", b->end);
        if (b->damage == NULL && b->n != b->count)
            put_damage(out, "the count differs from the list's length");
        else
            put_damage(out, b->damage);
        fputc('}', out);
        sep = ",";
    }
    fprintf(out, "]}");
}

void print_dump_json(FILE *out, const struct heap_dump *d, unsigned what)
{
    fprintf(out, "{\"version\": 1, \"release\": \"2.%d\",\n \"arenas\": [", d->release);
    for (int i = 0; i < d->narenas; i++) {
        fprintf(out, "%s\n  ", i > 0 ? "," : "");
        put_arena(out, &d->arenas[i], what);
    }
    fprintf(out, "]");
    if (what & ARENALLOC_DUMP_BINS)
        put_tcache(out, &d->tcache);
    fprintf(out, ",\n \"mmapped\": {\"chunks\": %d, \"bytes\": %zu}}\n", d->n_mmaps, (size_t)d->mmapped_mem);
}
