/*
 * bins.h - the doubly-linked bins: taking a chunk out, putting one in.
 *
 * Bins 1..126 are circular doubly-linked lists through the chunks' fd and bk
 * fields.  Large bins keep a second list through fd_nextsize / bk_nextsize that
 * links only the first chunk of each distinct size, largest first, so a best-fit
 * search skips over runs of equal sizes (a skip list of sorts).
 *
 * Chunks enter the regular bins in exactly one place, the unsorted scan of
 * _int_malloc; everything freed or split off goes to the front of the unsorted bin
 * first (unsorted_push), to be given one chance at being reused as it is.
 */
#ifndef ARENALLOC_BINS_BINS_H
#define ARENALLOC_BINS_BINS_H

#include "bins/malloc_printerr.h"
#include "bins/malloc_state.h"

/* Takes free chunk p out of whichever bin holds it, after checking that its
   neighbours in the list and its boundary tag agree that it is there. */
void unlink_chunk(mstate av, mchunkptr p);

/* Puts free chunk p (of `size`, header and foot already written) at the front of
   the unsorted bin.  When `corruption_msg` is not NULL, the first chunk's back
   link is checked first and a broken one aborts with that message.  Inline:
   every free that merges and every split of a chunk ends here. */
static inline void unsorted_push(mstate av, mchunkptr p, INTERNAL_SIZE_T size, const char *corruption_msg)
{
    mchunkptr bck = unsorted_chunks(av);
    mchunkptr fwd = bck->fd;
    if (corruption_msg != NULL && fwd->bk != bck)
        malloc_printerr(corruption_msg);

    p->fd = fwd;
    p->bk = bck;
    /* The unsorted bin keeps no size order; a large chunk's nextsize links are
       set when it is sorted into its bin. */
    if (!in_smallbin_range(size)) {
        p->fd_nextsize = NULL;
        p->bk_nextsize = NULL;
    }
    bck->fd = p;
    fwd->bk = p;
}

#endif /* ARENALLOC_BINS_BINS_H */
