/*
 * fastbin_dup_into_stack.c - a fastbin double free turned into a malloc that
 * returns a stack address.
 *
 * After a double free (fastbin_dup.c) one chunk is both allocated and still in
 * the fastbin.  Its first word, which the program may now write, is the
 * fastbin's link to the next free chunk.  Point it at a fake chunk elsewhere,
 * here on the stack, and the fastbin hands that address out two mallocs later.
 *
 * What the fake chunk must pass:
 *   - its size field must be of the fastbin's size (malloc checks it:
 *     "malloc(): memory corruption (fast)", since 2.23);
 *   - from 2.32 its address must be 16-byte aligned ("malloc(): unaligned
 *     fastbin chunk detected"), and the link must be written encoded
 *     (safe-linking: stored XOR the link's own address >> 12), which needs
 *     the address of the chunk being written, here known.
 * The tcache is handled as in fastbin_dup.c: filled, and calloc to allocate.
 *
 * Works on every release 2.23 ... 2.36 with those two adaptations.
 */
#include "tests/techniques/technique.h"

int main(void)
{
    technique_begin("fastbin_dup_into_stack", "Double-free a fastbin chunk, reallocate it, and write its link: "
                                              "the fastbin then hands out a fake chunk on the stack.");

    /* The fake chunk: prev_size, size, then the user data malloc will return. */
    _Alignas(16) size_t stack_area[8] = {0};
    size_t *fake = stack_area;
    void *target = &stack_area[2];
    fake[1] = 0x20;
    fake[2] = protect_ptr(&fake[2], NULL);
    say("On the stack at %p: a fake chunk whose size field says 0x20, the fastbin's size.", (void *)fake);

    void *fill[TCACHE_FILL];
    tcache_prepare(fill, 0x18);
    char *a = arenalloc_malloc(0x18);
    char *b = arenalloc_malloc(0x18);
    tcache_fill(fill);
    arenalloc_free(a);
    arenalloc_free(b);
    arenalloc_free(a);
    say("a = %p, b = %p; free(a), free(b), free(a): the fastbin is a -> b -> a.", (void *)a, (void *)b);

    char *d = arenalloc_calloc(1, 0x18);
    char *e = arenalloc_calloc(1, 0x18);
    say("d = calloc = %p (a), e = calloc = %p (b).  The fastbin now holds a again, and d points into it.",
        (void *)d, (void *)e);

    /* LAB(tech-fastbin_dup_into_stack) BEGIN */
    *(uintptr_t *)d = protect_ptr(d, fake);
    /* LAB(tech-fastbin_dup_into_stack) END */
    say("Through d, a's link now names the fake chunk%s.",
        release_has_safe_linking() ? " (encoded: XOR (address of the link >> 12))" : "");

    char *f = arenalloc_calloc(1, 0x18);
    say("calloc = %p: a, for the last time; the fastbin's head is now the fake chunk.", (void *)f);
    char *g = arenalloc_calloc(1, 0x18);
    say("calloc = %p: the fake chunk's user data, on the stack.", (void *)g);

    return technique_end((void *)g == target, "malloc returned an address on the stack");
}
