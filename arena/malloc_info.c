/*
 * malloc_info.c - malloc_info: every arena's free memory by size, as XML.
 *
 * The schema is glibc's (<malloc version="1">, one <heap nr=...> per arena with
 * <size from to total count/> per non-empty bin, <unsorted>, <total type=fast|
 * rest>, <system type=current|max>, <aspace ...>, then totals), so scripts
 * written against glibc's output read arenalloc's.
 */
#include "include/arenalloc.h"

#include <errno.h>
#include <stdio.h>

#include "arena/arena.h"
#include "arena/heap.h"
#include "arena/main_arena.h"
#include "bins/malloc_par.h"
#include "bins/checks.h"
#include "bins/fastbins.h"
#include "bins/malloc_printerr.h"

/* One line of <sizes>: a fastbin, the unsorted bin or a regular bin. */
struct size_class {
    size_t from, to, total, count;
};

/* What one arena reports, gathered under its lock and printed after. */
struct arena_report {
    struct size_class sizes[NFASTBINS + NBINS - 1]; /* fastbins, then bins 1..127 */
    size_t nfastblocks, fastavail, nblocks, avail;
    size_t system, max_system, aspace, aspace_mprotect, nheaps;
};

static void gather_fastbins(mstate av, struct arena_report *r)
{
    for (unsigned i = 0; i < NFASTBINS; i++) {
        struct size_class *s = &r->sizes[i];
        *s = (struct size_class){0};
        mchunkptr p = *fastbin(av, i);
        if (p == NULL)
            continue;
        size_t thissize = chunksize(p);
        for (; p != NULL; p = reveal_ptr(&p->fd)) {
            if (checks_since(32) && misaligned_chunk(p))
                malloc_printerr("__malloc_info(): unaligned fastbin chunk detected");
            s->count++;
        }
        s->from = thissize - (MALLOC_ALIGNMENT - 1);
        s->to = thissize;
        s->total = s->count * s->to;
        r->fastavail += s->total;
        r->nfastblocks += s->count;
    }
}

static void gather_bins(mstate av, struct arena_report *r)
{
    for (unsigned i = 1; i < NBINS; i++) {
        struct size_class *s = &r->sizes[NFASTBINS - 1 + i];
        mbinptr bin = bin_at(av, i);
        *s = (struct size_class){.from = ~(size_t)0};
        for (mchunkptr p = bin->fd; p != bin; p = p->fd) {
            size_t size = chunksize_nomask(p);
            s->count++;
            s->total += size;
            s->from = size < s->from ? size : s->from;
            s->to = size > s->to ? size : s->to;
        }
        if (s->count == 0)
            s->from = 0;
        r->nblocks += s->count;
        r->avail += s->total;
    }
}

static void gather(mstate av, struct arena_report *r)
{
    *r = (struct arena_report){.avail = chunksize(av->top), .nblocks = 1};
    gather_fastbins(av, r);
    gather_bins(av, r);
    r->system = av->system_mem;
    r->max_system = av->max_system_mem;
    if (av == &main_arena) {
        r->aspace = r->aspace_mprotect = av->system_mem;
        return;
    }
    for (heap_info *h = heap_for_ptr(av->top); h != NULL; h = h->prev) {
        r->aspace += h->size;
        r->aspace_mprotect += h->mprotect_size;
        r->nheaps++;
    }
}

static void print_arena(FILE *fp, int nr, mstate av, const struct arena_report *r)
{
    fprintf(fp, "<heap nr=\"%d\">\n<sizes>\n", nr);
    for (size_t i = 0; i < NFASTBINS + NBINS - 1; i++) {
        const struct size_class *s = &r->sizes[i];
        if (s->count != 0 && i != NFASTBINS)
            fprintf(fp, "  <size from=\"%zu\" to=\"%zu\" total=\"%zu\" count=\"%zu\"/>\n", s->from, s->to,
                    s->total, s->count);
    }
    const struct size_class *u = &r->sizes[NFASTBINS]; /* bin 1, the unsorted bin */
    if (u->count != 0)
        fprintf(fp, "  <unsorted from=\"%zu\" to=\"%zu\" total=\"%zu\" count=\"%zu\"/>\n", u->from, u->to,
                u->total, u->count);
    fprintf(fp,
            "</sizes>\n<total type=\"fast\" count=\"%zu\" size=\"%zu\"/>\n"
            "<total type=\"rest\" count=\"%zu\" size=\"%zu\"/>\n"
            "<system type=\"current\" size=\"%zu\"/>\n"
            "<system type=\"max\" size=\"%zu\"/>\n"
            "<aspace type=\"total\" size=\"%zu\"/>\n"
            "<aspace type=\"mprotect\" size=\"%zu\"/>\n",
            r->nfastblocks, r->fastavail, r->nblocks, r->avail, r->system, r->max_system, r->aspace,
            r->aspace_mprotect);
    if (av != &main_arena)
        fprintf(fp, "<aspace type=\"subheaps\" size=\"%zu\"/>\n", r->nheaps);
    fputs("</heap>\n", fp);
}

int arenalloc_malloc_info(int options, FILE *fp)
{
    if (options != 0)
        return EINVAL;
    malloc_ensure_init();

    struct arena_report r, total = {0};
    int n = 0;
    fputs("<malloc version=\"1\">\n", fp);
    mstate av = &main_arena;
    do {
        /* Printing may allocate a stdio buffer: never with an arena locked. */
        os_lock(&av->mutex);
        gather(av, &r);
        os_unlock(&av->mutex);
        print_arena(fp, n++, av, &r);
        total.nfastblocks += r.nfastblocks;
        total.fastavail += r.fastavail;
        total.nblocks += r.nblocks;
        total.avail += r.avail;
        total.system += r.system;
        total.max_system += r.max_system;
        total.aspace += r.aspace;
        total.aspace_mprotect += r.aspace_mprotect;
        av = next_arena(av);
    } while (av != &main_arena);

    fprintf(fp,
            "<total type=\"fast\" count=\"%zu\" size=\"%zu\"/>\n"
            "<total type=\"rest\" count=\"%zu\" size=\"%zu\"/>\n"
            "<total type=\"mmap\" count=\"%d\" size=\"%zu\"/>\n"
            "<system type=\"current\" size=\"%zu\"/>\n"
            "<system type=\"max\" size=\"%zu\"/>\n"
            "<aspace type=\"total\" size=\"%zu\"/>\n"
            "<aspace type=\"mprotect\" size=\"%zu\"/>\n"
            "</malloc>\n",
            total.nfastblocks, total.fastavail, total.nblocks, total.avail, mp_.n_mmaps, mp_.mmapped_mem,
            total.system, total.max_system, total.aspace, total.aspace_mprotect);
    return 0;
}
