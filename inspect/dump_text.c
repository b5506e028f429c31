/*
 * dump_text.c - the heap as text, in the manner of pwndbg's `arenas`, `heap`
 * and `bins`, but one line per chunk so a whole heap reads as a table:
 *
 *   arena 0: main_arena 0x7ffff7f9cc80, regions 0x555555559000, top ...
 *   chunks of arena 0
 *     0x555555559000   0x290    in use                     PREV_INUSE
 *     0x555555559290   0x20     fastbins[0x20]             PREV_INUSE    fd 0x0
 *   bins of arena 0
 *   fastbins
 *     0x20: 0x555555559290 -> 0x0
 *
 * Damage is marked at the end of its line with "!!" and what is wrong.  The gdb
 * commands (tools/gdb/arenalloc.py) print the same lines from a stopped process
 * or a core file, so the two can be compared.
 */
#include "inspect/dump.h"

#include <inttypes.h>
#include <string.h>

#include "include/arenalloc.h"

/* pwndbg's labels: "0x20" for a fastbin or small bin, "0x400-0x430" for a
   large bin, "all" for the unsorted bin. */
static const char *bin_label(enum bin_kind kind, unsigned index, char *buf, size_t len)
{
    size_t lo, hi;
    bin_sizes(kind, index, &lo, &hi);
    if (kind == BIN_UNSORTED)
        snprintf(buf, len, "all");
    else if (lo == hi)
        snprintf(buf, len, "0x%zx", lo);
    else if (hi == SIZE_MAX)
        snprintf(buf, len, "0x%zx+", lo);
    else
        snprintf(buf, len, "0x%zx-0x%zx", lo, hi);
    return buf;
}

static enum bin_kind kind_of(enum chunk_state state)
{
    return state == CHUNK_FASTBIN    ? BIN_FAST
           : state == CHUNK_UNSORTED ? BIN_UNSORTED
           : state == CHUNK_SMALLBIN ? BIN_SMALL
                                     : BIN_LARGE;
}

/* Prints line (which may end in padding) without its trailing blanks. */
static void put_line(FILE *out, char *line)
{
    size_t n = strlen(line);
    while (n > 0 && line[n - 1] == ' ')
        line[--n] = '\0';
    fprintf(out, "%s\n", line);
}

/* ---- arenas ------------------------------------------------------------------------ */

static void print_arena(FILE *out, const struct arena_dump *a)
{
    fprintf(out, "arena %d: %s 0x%" PRIxPTR ", %s", a->index, a->is_main ? "main_arena" : "thread arena",
            a->address, a->is_main ? "regions" : "heaps");
    /* A thread arena's region is named by its heap (heap_info), main_arena's
       by its first chunk. */
    for (int i = 0; i < a->nregions; i++) {
        uintptr_t start = (uintptr_t)a->regions[i].first;
        if (!a->is_main)
            start = (uintptr_t)heap_for_ptr((void *)start);
        fprintf(out, " 0x%" PRIxPTR, start);
    }
    if (a->nregions == 0)
        fprintf(out, " none");
    fprintf(out, ", top 0x%" PRIxPTR " (size 0x%zx), system_mem 0x%zx (max 0x%zx), threads %zu\n", a->top,
            (size_t)a->top_size, (size_t)a->system_mem, (size_t)a->max_system_mem, (size_t)a->attached_threads);
}

/* ---- chunks ------------------------------------------------------------------------ */

static void print_chunk(FILE *out, const struct snap_chunk *c)
{
    char state[48], label[40], flags[48], links[160] = "", line[400];
    size_t size = c->size_field & ~(INTERNAL_SIZE_T)SIZE_BITS;

    if (c->state == CHUNK_TCACHE)
        snprintf(state, sizeof state, "%s[0x%zx]", chunk_state_name(c->state), tidx2csize((size_t)c->bin));
    else if (c->bin >= 0)
        snprintf(state, sizeof state, "%s[%s]", chunk_state_name(c->state),
                 bin_label(kind_of(c->state), (unsigned)c->bin, label, sizeof label));
    else
        snprintf(state, sizeof state, "%s", chunk_state_name(c->state));

    if (c->state == CHUNK_FASTBIN)
        snprintf(links, sizeof links, "fd 0x%" PRIxPTR, c->fd);
    else if (c->state == CHUNK_TCACHE)
        snprintf(links, sizeof links, "next 0x%" PRIxPTR " (stored 0x%" PRIxPTR ")", c->fd, c->next_stored);
    else if (c->state == CHUNK_UNSORTED || c->state == CHUNK_SMALLBIN)
        snprintf(links, sizeof links, "fd 0x%" PRIxPTR " bk 0x%" PRIxPTR, c->fd, c->bk);
    else if (c->state == CHUNK_LARGEBIN)
        snprintf(links, sizeof links,
                 "fd 0x%" PRIxPTR " bk 0x%" PRIxPTR " fd_nextsize 0x%" PRIxPTR " bk_nextsize 0x%" PRIxPTR, c->fd,
                 c->bk, c->fd_nextsize, c->bk_nextsize);

    int n = snprintf(line, sizeof line, "  0x%-14" PRIxPTR " 0x%-6zx %-26s %-28s %s", c->addr, size, state,
                     chunk_flag_names(c->size_field, " | ", flags, sizeof flags), links);
    if (c->damage != NULL && n > 0 && (size_t)n < sizeof line)
        snprintf(line + n, sizeof line - (size_t)n, "  !! %s", c->damage);
    put_line(out, line);
}

static void print_chunks(FILE *out, const struct arena_dump *a)
{
    fprintf(out, "chunks of arena %d\n", a->index);
    for (size_t i = 0; i < a->snap.nchunks; i++)
        print_chunk(out, &a->snap.chunks[i]);
}

/* ---- bins ---------------------------------------------------------------------------- */

static void print_list(FILE *out, const struct heap_snapshot *s, const struct snap_bin *b, uintptr_t header)
{
    char label[40];
    fprintf(out, "  %s:", bin_label(b->kind, b->index, label, sizeof label));
    for (size_t k = 0; k < b->count; k++)
        fprintf(out, " 0x%" PRIxPTR " ->", s->links[b->first + k]);
    if (b->end == header && b->kind != BIN_FAST)
        fprintf(out, " 0x%" PRIxPTR " (bin)", b->end);
    else
        fprintf(out, " 0x%" PRIxPTR, b->end);
    if (b->damage != NULL)
        fprintf(out, "  !! %s", b->damage);
    fputc('\n', out);
    if (b->nnextsize > 0) {
        fprintf(out, "    nextsize:");
        for (size_t k = 0; k < b->nnextsize; k++)
            fprintf(out, " 0x%" PRIxPTR, s->links[b->first + b->count + k]);
        fputc('\n', out);
    }
}

static void print_bins(FILE *out, const struct arena_dump *a)
{
    const struct heap_snapshot *s = &a->snap;
    fprintf(out, "bins of arena %d\n", a->index);
    for (enum bin_kind kind = BIN_FAST; kind <= BIN_LARGE; kind++) {
        bool any = false;
        fprintf(out, "%s\n", bin_kind_name(kind));
        for (size_t i = 0; i < SNAP_NBINS; i++) {
            const struct snap_bin *b = &s->bins[i];
            if (b->kind != kind || (b->count == 0 && b->damage == NULL))
                continue;
            /* A bin's header is the fake chunk bin_at() gives (malloc_state.h). */
            struct malloc_state *av = (struct malloc_state *)a->address;
            uintptr_t header = kind == BIN_FAST ? 0 : (uintptr_t)bin_at(av, b->index);
            print_list(out, s, b, header);
            any = true;
        }
        if (!any)
            fprintf(out, "  empty\n");
    }
}

/* The calling thread's cache: per non-empty bin, its count and its entries
   (the chunks' memory, as malloc returns them), each with its link as stored
   in the entry before it (safe-linked from 2.32; the head is stored plainly). */
static void print_tcache(FILE *out, const struct tcache_dump *t)
{
    if (t->address == 0) {
        fprintf(out, "tcache of this thread: none\n");
        return;
    }
    fprintf(out, "tcache of this thread: 0x%" PRIxPTR " (tcache_count %zu, tcache_max %zu)\n", t->address,
            t->tcache_count, t->tcache_max_bytes);
    bool any = false;
    for (size_t i = 0; i < TCACHE_MAX_BINS; i++) {
        const struct tcache_bin_dump *b = &t->bins[i];
        if (b->count == 0 && b->n == 0 && b->damage == NULL)
            continue;
        fprintf(out, "  0x%zx [%u]:", tidx2csize(i), b->count);
        for (size_t k = 0; k < b->n; k++)
            fprintf(out, " 0x%" PRIxPTR " (stored 0x%" PRIxPTR ") ->", t->entries[b->first + k],
                    t->stored[b->first + k]);
        fprintf(out, " 0x%" PRIxPTR, b->end);
        if (b->damage != NULL)
            fprintf(out, "  !! %s", b->damage);
        else if (b->n != b->count)
            fprintf(out, "  !! the count differs from the list's length");
        fputc('\n', out);
        any = true;
    }
    if (!any)
        fprintf(out, "  empty\n");
}

void print_dump_text(FILE *out, const struct heap_dump *d, unsigned what)
{
    if (what & ARENALLOC_DUMP_ARENAS) /* which glibc the heap behaves as: its checks, its cache, its layouts */
        fprintf(out, "release: glibc 2.%d\n", d->release);
    for (int i = 0; i < d->narenas; i++) {
        const struct arena_dump *a = &d->arenas[i];
        if (what & ARENALLOC_DUMP_ARENAS)
            print_arena(out, a);
        if (what & ARENALLOC_DUMP_CHUNKS)
            print_chunks(out, a);
        if (what & ARENALLOC_DUMP_BINS)
            print_bins(out, a);
    }
    if (what & ARENALLOC_DUMP_BINS)
        print_tcache(out, &d->tcache);
    if (what & ARENALLOC_DUMP_ARENAS)
        fprintf(out, "mmapped chunks: %d, 0x%zx bytes\n", d->n_mmaps, (size_t)d->mmapped_mem);
}
