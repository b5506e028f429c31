/*
 * first_fit.c - a freed chunk is handed to the next request that fits it.
 *
 * The idea behind every use-after-free: free() does not wipe or fence a
 * chunk, it only files it in a bin, and the next malloc that the chunk can
 * serve takes it from there.  A program that kept the old pointer now shares
 * the memory with the new owner: it reads what the new owner writes, and its
 * own writes land in the new owner's data.
 *
 * Sizes above the tcache's largest (0x410 bytes per chunk) keep the story the
 * same at every release: the freed chunk goes to the unsorted bin, and the
 * next request's search through the bins finds it.
 *
 * Works on every release 2.23 ... 2.36; no check can stop it, because nothing
 * here is corrupt: the program simply keeps a pointer it should have dropped.
 */
#include "tests/techniques/technique.h"

int main(void)
{
    technique_begin("first_fit", "A freed chunk is reused by the next request it fits: an old pointer to it "
                                 "then reaches the new owner's data.");

    char *a = arenalloc_malloc(0x500);
    char *guard = arenalloc_malloc(0x20);
    say("a = malloc(0x500) = %p, and a small guard after it (%p) so a does not merge into top when freed.",
        (void *)a, (void *)guard);
    strcpy(a, "the first owner's data");

    arenalloc_free(a);
    say("free(a): a's chunk (0x510 bytes, too large for the tcache or a fastbin) goes to the unsorted bin.");
    say("The program keeps the pointer a: a dangling pointer.");

    /* LAB(tech-first_fit) BEGIN */
    char *c = arenalloc_malloc(0x4f0);
    /* LAB(tech-first_fit) END */
    say("c = malloc(0x4f0) = %p: the bins' search finds a's chunk; splitting it would leave less than", (void *)c);
    say("a minimum chunk (0x10 bytes), so c gets all of it.");

    strcpy(c, "the second owner's data");
    say("The new owner writes \"%s\" to c; through the old pointer, a reads \"%s\".", c, a);

    return technique_end(c == a && strcmp(a, "the second owner's data") == 0,
                         "malloc returned the freed chunk, and the old pointer reads the new owner's data");
}
