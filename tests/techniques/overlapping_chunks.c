/*
 * overlapping_chunks.c - enlarge a free chunk's size, and malloc returns it
 * together with the chunk after it.
 *
 * A chunk in the unsorted bin is sorted, or returned, by the size in its own
 * header.  An overflow from the chunk before it can rewrite that size: here
 * to cover the next chunk p3 too.  A malloc of exactly the enlarged size then
 * takes the free chunk whole, and the new allocation overlaps p3, which its
 * owner still uses: writes to one show in the other.
 *
 * Until 2.28 malloc checked only that the size is within the arena's memory.
 * 2.29 checks every unsorted chunk against its neighbour: the next chunk's
 * size must be plausible, and its prev_size must equal this chunk's size.
 * Here the "next chunk" found with the forged size is the guard after p3,
 * whose prev_size is p3's last 8 bytes, not the forged size: the run stops
 * with "malloc(): mismatching next->prev_size (unsorted)".  Chunks above the
 * tcache's largest keep the tcache out of the story.
 */
#include "tests/techniques/technique.h"

int main(void)
{
    technique_begin("overlapping_chunks", "Rewrite a free chunk's size to cover its neighbour: malloc then returns "
                                          "one chunk spanning both.");

    char *p1 = arenalloc_malloc(0x4f8);
    char *p2 = arenalloc_malloc(0x4f8);
    char *p3 = arenalloc_malloc(0x78);
    char *guard = arenalloc_malloc(0x18);
    memset(p3, 0, 0x78);
    say("p1 = %p, p2 = %p (chunks of 0x500), p3 = %p (0x80), a guard %p.", (void *)p1, (void *)p2, (void *)p3,
        (void *)guard);

    arenalloc_free(p2);
    say("free(p2): to the unsorted bin.");

    /* LAB(tech-overlapping_chunks) BEGIN */
    *size_field(p2) = 0x580 | 1;
    /* LAB(tech-overlapping_chunks) END */
    say("An overflow of p1 rewrites p2's size: 0x581 = 0x500 + p3's 0x80, PREV_INUSE set.");

    char *p4 = arenalloc_malloc(0x578);
    say("p4 = malloc(0x578) = %p: the unsorted chunk fits exactly and is returned whole.", (void *)p4);

    strcpy(p3, "p3's own data");
    bool overlaps = p3 > p4 && p3 < p4 + 0x578;
    if (overlaps)
        say("p3 lies inside p4: p4 + %#tx reads \"%s\".", p3 - p4, p4 + (p3 - p4));
    return technique_end(p4 == p2 && overlaps, "malloc returned a chunk that overlaps p3, still in use");
}
