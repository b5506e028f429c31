/*
 * tcache_house_of_spirit.c - free() a fake chunk on the stack into the
 * tcache, and the next malloc of its size returns the stack.
 *
 * house_of_spirit.c with the tcache: free puts a chunk in the tcache before
 * any of the fastbin's checks, so the fake chunk needs only what every free
 * checks first, an aligned pointer and a plausible size.  No next chunk has
 * to be faked.  From 2.29 free also reads the chunk's "key" word (the second
 * word of the user data) to spot a double free; it must not hold the key,
 * and a zeroed buffer does not.
 *
 * Works on 2.26 ... 2.36; before 2.26 there is no tcache.
 */
#include "tests/techniques/technique.h"

int main(void)
{
    technique_begin("tcache_house_of_spirit", "Free a fake chunk on the stack: the tcache takes it with no check of "
                                              "its neighbour, and malloc returns it.");
    if (!release_has_tcache())
        return technique_not_here("the tcache came with glibc 2.26");

    arenalloc_malloc(1);
    say("malloc(1): sets the heap and this thread's tcache up.");

    _Alignas(16) size_t fake[8] = {0};
    void *target = &fake[2];
    fake[1] = 0x40;
    say("On the stack at %p: a fake chunk whose size field says 0x40; nothing after it.", (void *)fake);

    /* LAB(tech-tcache_house_of_spirit) BEGIN */
    arenalloc_free(target);
    /* LAB(tech-tcache_house_of_spirit) END */
    say("free(%p): the 0x40 tcache bin now holds the fake chunk.", target);

    void *p = arenalloc_malloc(0x38);
    say("malloc(0x38) = %p.", p);

    return technique_end(p == target, "malloc returned the fake chunk on the stack");
}
