/*
 * mallinfo.c - mallinfo2, mallinfo and malloc_stats: how much memory the arenas
 * hold, and how much of it is in use.
 *
 * The figures are glibc's, field for field, so a program that prints them reads
 * the same under both allocators:
 *
 *   arena     bytes obtained from the OS for the arenas (system_mem, all arenas)
 *   ordblks   free chunks in the bins, plus top (always counted as one)
 *   smblks    free chunks in the fastbins          fsmblks  their bytes
 *   fordblks  bytes free: top + bins + fastbins    uordblks arena - fordblks
 *   hblks     chunks with a mapping of their own   hblkhd   their bytes
 *   keepcost  main_arena's top: what malloc_trim could give back at most
 *   usmblks   always 0 (glibc's "maximum total allocated" is no longer kept)
 */
#include "include/arenalloc.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "arena/arena.h"
#include "arena/main_arena.h"
#include "bins/malloc_par.h"
#include "bins/checks.h"
#include "bins/fastbins.h"
#include "bins/malloc_printerr.h"

/* Adds arena av's figures to m.  av is locked. */
static void int_mallinfo(mstate av, struct mallinfo2 *m)
{
    INTERNAL_SIZE_T avail = chunksize(av->top);
    size_t nblocks = 1; /* top */
    size_t nfastblocks = 0;
    INTERNAL_SIZE_T fastavail = 0;

    for (unsigned i = 0; i < NFASTBINS; i++) {
        for (mchunkptr p = *fastbin(av, i); p != NULL; p = reveal_ptr(&p->fd)) {
            if (checks_since(32) && misaligned_chunk(p))
                malloc_printerr("int_mallinfo(): unaligned fastbin chunk detected");
            nfastblocks++;
            fastavail += chunksize(p);
        }
    }
    avail += fastavail;
    for (unsigned i = 1; i < NBINS; i++) {
        mbinptr b = bin_at(av, i);
        for (mchunkptr p = last(b); p != b; p = p->bk) {
            nblocks++;
            avail += chunksize(p);
        }
    }

    m->smblks += nfastblocks;
    m->ordblks += nblocks;
    m->fordblks += avail;
    m->uordblks += av->system_mem - avail;
    m->arena += av->system_mem;
    m->fsmblks += fastavail;
    if (av == &main_arena) {
        m->hblks = (size_t)mp_.n_mmaps;
        m->hblkhd = mp_.mmapped_mem;
        m->usmblks = 0;
        m->keepcost = chunksize(av->top);
    }
}

struct mallinfo2 arenalloc_mallinfo2(void)
{
    struct mallinfo2 m;
    memset(&m, 0, sizeof m);
    malloc_ensure_init();

    mstate av = &main_arena;
    do {
        os_lock(&av->mutex);
        int_mallinfo(av, &m);
        os_unlock(&av->mutex);
        av = next_arena(av);
    } while (av != &main_arena);
    return m;
}

/* The old interface has int fields: figures above INT_MAX wrap, as in glibc. */
struct mallinfo arenalloc_mallinfo(void)
{
    struct mallinfo2 m2 = arenalloc_mallinfo2();
    struct mallinfo m = {
        .arena = (int)m2.arena,
        .ordblks = (int)m2.ordblks,
        .smblks = (int)m2.smblks,
        .hblks = (int)m2.hblks,
        .hblkhd = (int)m2.hblkhd,
        .usmblks = (int)m2.usmblks,
        .fsmblks = (int)m2.fsmblks,
        .uordblks = (int)m2.uordblks,
        .fordblks = (int)m2.fordblks,
        .keepcost = (int)m2.keepcost,
    };
    return m;
}

void arenalloc_malloc_stats(void)
{
    unsigned int in_use_b = (unsigned int)mp_.mmapped_mem;
    unsigned int system_b = in_use_b;
    malloc_ensure_init();

    /* stderr is unbuffered, so fprintf allocates nothing; the lock is not held
       while printing anyway.  As glibc's, the report is not cut short by a
       pending thread cancellation. */
    int cancel = os_disable_cancel();
    mstate av = &main_arena;
    int i = 0;
    do {
        struct mallinfo2 mi;
        memset(&mi, 0, sizeof mi);
        os_lock(&av->mutex);
        int_mallinfo(av, &mi);
        os_unlock(&av->mutex);
        fprintf(stderr, "Arena %d:\n", i++);
        fprintf(stderr, "system bytes     = %10u\n", (unsigned int)mi.arena);
        fprintf(stderr, "in use bytes     = %10u\n", (unsigned int)mi.uordblks);
        system_b += (unsigned int)mi.arena;
        in_use_b += (unsigned int)mi.uordblks;
        av = next_arena(av);
    } while (av != &main_arena);
    fprintf(stderr, "Total (incl. mmap):\n");
    fprintf(stderr, "system bytes     = %10u\n", system_b);
    fprintf(stderr, "in use bytes     = %10u\n", in_use_b);
    fprintf(stderr, "max mmap regions = %10u\n", (unsigned int)mp_.max_n_mmaps);
    fprintf(stderr, "max mmap bytes   = %10lu\n", (unsigned long)mp_.max_mmapped_mem);
    os_restore_cancel(cancel);
}
