/*
 * perturb.h - filling memory on malloc and free, to make misuse visible.
 *
 * Two ways, one mechanism:
 *   M_PERTURB / MALLOC_PERTURB_=N (glibc's)  malloc fills a block with N ^ 0xff,
 *                                            free fills it with N.
 *   ARENALLOC_FILL=1 / arenalloc_set_fill    malloc fills with 0xA1, free with
 *                                            0xDE, the "clear values" of a
 *                                            debugging allocator: in gdb, a word
 *                                            of a1a1a1a1 is memory read before it
 *                                            was written, dededede memory read
 *                                            after it was freed.
 * The fill patterns win when both are on.  A freed chunk's fd/bk are written
 * after the fill, so they stay intact; calloc still returns zeroes.
 */
#ifndef ARENALLOC_BINS_PERTURB_H
#define ARENALLOC_BINS_PERTURB_H

#include <stdbool.h>
#include <string.h>

#include "syscall/os.h"

extern OS_HIDDEN int perturb_byte;   /* M_PERTURB; 0 is off */
extern OS_HIDDEN bool fill_patterns; /* ARENALLOC_FILL */
/* Either of the two is on, kept by their setters (arena/mallopt.c), so that
   malloc and free, which ask at every call, test one byte instead of two. */
extern OS_HIDDEN bool perturbing_on;

#define FILL_ALLOCATED 0xA1
#define FILL_FREED     0xDE

static inline bool perturbing(void) { return perturbing_on; }

static inline void alloc_perturb(void *p, size_t n)
{
    if (__builtin_expect(perturbing_on, 0))
        memset(p, fill_patterns ? FILL_ALLOCATED : perturb_byte ^ 0xff, n);
}

static inline void free_perturb(void *p, size_t n)
{
    if (__builtin_expect(perturbing_on, 0))
        memset(p, fill_patterns ? FILL_FREED : perturb_byte, n);
}

#endif /* ARENALLOC_BINS_PERTURB_H */
