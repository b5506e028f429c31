/*
 * bins.c - setting up an arena's bins, and unlink_chunk, the list operation every
 * path of malloc and free shares (see bins.h).
 */
#define DEFINES_global_max_fast /* bins/static_symbols.h */
#include "bins/bins.h"

#include "bins/checks.h"
#include "bins/fastbins.h"
#include "bins/malloc_printerr.h"

STATIC_SYMBOL INTERNAL_SIZE_T global_max_fast;
STATIC_SYMBOL_ALIAS(global_max_fast);
int glibc_release = RELEASE_DEFAULT;

void malloc_init_state(mstate av)
{
    for (unsigned i = 1; i < NBINS; i++) {
        mbinptr bin = bin_at(av, i);
        bin->fd = bin->bk = bin;
    }
    if (av != &main_arena)
        set_noncontiguous(av);
    else
        set_max_fast(DEFAULT_MXFAST);
    clear_fastchunks(av);
    av->top = initial_top(av);
}

/* Large bins only: p leaves the nextsize list.  If p headed its run of equal
   sizes, the next chunk of the run (fd, of the same size) takes its place. */
static void unlink_nextsize(mchunkptr p, mchunkptr fd)
{
    /* LAB(bins) BEGIN */
    if (p->fd_nextsize->bk_nextsize != p || p->bk_nextsize->fd_nextsize != p)
        malloc_printerr("corrupted double-linked list (not small)");

    if (fd->fd_nextsize == NULL) {            /* fd inherits p's place */
        if (p->fd_nextsize == p) {            /* p was the only size in the bin */
            fd->fd_nextsize = fd->bk_nextsize = fd;
        } else {
            fd->fd_nextsize = p->fd_nextsize;
            fd->bk_nextsize = p->bk_nextsize;
            p->fd_nextsize->bk_nextsize = fd;
            p->bk_nextsize->fd_nextsize = fd;
        }
    } else {                                  /* p was alone of its size */
        p->fd_nextsize->bk_nextsize = p->bk_nextsize;
        p->bk_nextsize->fd_nextsize = p->fd_nextsize;
    }
    /* LAB(bins) END */
}

void unlink_chunk(mstate av, mchunkptr p)
{
    (void)av;
    if (checks_since(26) && chunksize(p) != prev_size(next_chunk(p)))
        malloc_printerr("corrupted size vs. prev_size");

    mchunkptr fd = p->fd;
    mchunkptr bk = p->bk;
    /* LAB(checks) BEGIN quiet */
    if (fd->bk != p || bk->fd != p)
        malloc_printerr("corrupted double-linked list");
    /* LAB(checks) END */

    fd->bk = bk;
    bk->fd = fd;
    /* A chunk that is not the head of its size run has fd_nextsize NULL. */
    if (!in_smallbin_range(chunksize_nomask(p)) && p->fd_nextsize != NULL)
        unlink_nextsize(p, fd);
}
