/*
 * fastbin_dup_consolidate.c - a double free that the fastbin never sees,
 * because consolidation moved the chunk away in between.
 *
 * A large request first empties the fastbins (malloc_consolidate): every
 * fastbin chunk is merged with its free neighbours.  A fastbin chunk right
 * below top melts into top, and the large request is then carved from top at
 * the very same address.  Freeing the old small pointer a second time now
 * frees the large chunk, which the program still uses: the next large
 * request returns it again, to a second owner.
 *
 * At 2.23 the second free merges the large chunk back into top and the next
 * request carves it again; from 2.26 it lands in the tcache (0x410 bytes is
 * the tcache's largest size) and comes straight back.  The same lines win
 * on both.  The tcache of the small size is filled first where it exists,
 * so that the first free reaches the fastbin at all.
 *
 * Works on every release 2.23 ... 2.36.
 */
#include "tests/techniques/technique.h"

int main(void)
{
    technique_begin("fastbin_dup_consolidate", "A large malloc consolidates the fastbins: a fastbin chunk next to "
                                               "top is merged away, and freeing it again frees the large chunk.");

    void *fill[TCACHE_FILL];
    tcache_prepare(fill, 0x38);
    char *p1 = arenalloc_malloc(0x38);
    say("p1 = malloc(0x38) = %p: a 0x40-byte chunk, the last before top.", (void *)p1);
    tcache_fill(fill);

    arenalloc_free(p1);
    say("free(p1): p1's chunk goes to the 0x40 fastbin, still marked in use so nothing merges with it.");

    char *p2 = arenalloc_malloc(0x400);
    say("p2 = malloc(0x400) = %p: a large request runs malloc_consolidate first, which merges p1 into top;",
        (void *)p2);
    say("then p2 is carved from top, at p1's address.");

    /* LAB(tech-fastbin_dup_consolidate) BEGIN */
    arenalloc_free(p1);
    /* LAB(tech-fastbin_dup_consolidate) END */
    say("free(p1) again: no fastbin holds p1 any more, so no check sees a double free; it frees p2's chunk.");

    char *p3 = arenalloc_malloc(0x400);
    say("p3 = malloc(0x400) = %p: the chunk p2 still uses.", (void *)p3);

    return technique_end(p2 == p1 && p3 == p2, "two live allocations share one chunk");
}
