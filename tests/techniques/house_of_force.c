/*
 * house_of_force.c - overwrite the top chunk's size with the largest value,
 * and one malloc moves top anywhere.
 *
 * The top chunk is the arena's free space at the high end.  A request that no
 * bin serves is carved from the front of top, and top moves up by the size
 * taken.  Until 2.29 malloc trusted top's size: an overflow into top's header
 * that makes it -1 (all bits set) lets any request, however huge, be served
 * from top.  Ask for exactly the distance between top and a target, and top
 * then starts at the target: the next malloc returns it.
 *
 * Here the target is on the stack, above the heap, so the distance is an
 * ordinary positive size.  (A target below the heap needs a request that
 * wraps around the address space, above PTRDIFF_MAX; glibc 2.30 refuses
 * those, which is not what stops this program.)
 *
 * Works on 2.23 ... 2.28.  2.29 checks top's size against the memory the
 * arena has from the system and stops it with "malloc(): corrupted top size".
 */
#include "tests/techniques/technique.h"

int main(void)
{
    technique_begin("house_of_force", "Set top's size to -1, then malloc the distance to a target: top lands "
                                      "on the target and the next malloc returns it.");

    _Alignas(16) size_t stack_area[16] = {0};
    char *target = (char *)&stack_area[4];

    char *p = arenalloc_malloc(0x100);
    char *top = (char *)chunk_header(p) + (*size_field(p) & ~(size_t)7);
    say("p = malloc(0x100) = %p; the top chunk now starts right after it, at %p, size %#zx.", (void *)p,
        (void *)top, ((size_t *)top)[1]);

    /* LAB(tech-house_of_force) BEGIN */
    ((size_t *)top)[1] = (size_t)-1;
    /* LAB(tech-house_of_force) END */
    say("An overflow of p sets top's size to %#zx: top now seems to cover all memory.", ((size_t *)top)[1]);

    /* Carving nb bytes moves top to top + nb; the next chunk is then top, and
       its user data 16 bytes further.  A request of nb - 16 rounds up to nb. */
    size_t distance = (size_t)(target - 2 * sizeof(size_t) - top);
    say("The target, on the stack, is at %p: %#zx bytes past top's header, less 16.", (void *)target, distance);
    char *big = arenalloc_malloc(distance - 2 * sizeof(size_t));
    say("malloc(%#zx) = %p: served from top, which now starts 16 bytes before the target.",
        distance - 2 * sizeof(size_t), (void *)big);

    char *q = arenalloc_malloc(0x18);
    say("malloc(0x18) = %p.", (void *)q);

    return technique_end(q == target, "malloc returned the target on the stack");
}
