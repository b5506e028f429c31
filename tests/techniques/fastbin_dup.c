/*
 * fastbin_dup.c - a double free through the fastbins: malloc returns one
 * chunk twice.
 *
 * free() checks a fastbin against a double free only at its head: it refuses
 * to push the chunk that is already on top ("double free or corruption
 * (fasttop)").  Free another chunk in between and the first one can be freed
 * again: the list becomes a -> b -> a, and three mallocs of that size return
 * a, b, then a again, to two owners at once.
 *
 * Where the tcache exists (2.26 on) the same size would go to the tcache
 * first, so the program fills the tcache bin with seven chunks, and takes the
 * chunks back with calloc, which never looks in the tcache.  With a full
 * tcache bin, malloc's fastbin path also moves nothing from the fastbin into
 * the tcache, so the fastbin is seen exactly as on 2.23.
 *
 * Works on every release 2.23 ... 2.36: the fasttop check has never grown
 * into a walk of the whole list.
 */
#include "tests/techniques/technique.h"

int main(void)
{
    technique_begin("fastbin_dup", "Free a, b, a: the fastbin's double-free check looks only at its head, "
                                   "so a sits in the list twice and malloc returns it twice.");

    void *fill[TCACHE_FILL];
    tcache_prepare(fill, 0x18);
    char *a = arenalloc_malloc(0x18);
    char *b = arenalloc_malloc(0x18);
    say("a = malloc(0x18) = %p, b = malloc(0x18) = %p: chunks of 0x20 bytes, fastbin-sized.", (void *)a,
        (void *)b);
    tcache_fill(fill);

    arenalloc_free(a);
    say("free(a): the 0x20 fastbin is a.");
    arenalloc_free(b);
    say("free(b): b -> a.  a is no longer at the head of the list.");
    /* LAB(tech-fastbin_dup) BEGIN */
    arenalloc_free(a);
    /* LAB(tech-fastbin_dup) END */
    say("free(a) again: free compares a only with the head (b), so it passes: a -> b -> a.");

    char *p1 = arenalloc_calloc(1, 0x18);
    char *p2 = arenalloc_calloc(1, 0x18);
    char *p3 = arenalloc_calloc(1, 0x18);
    say("Three callocs of 0x18 return %p, %p, %p.", (void *)p1, (void *)p2, (void *)p3);

    return technique_end(p1 == a && p3 == a && p2 == b, "the first and third allocations are the same chunk");
}
