/*
 * technique.h - what every heap-technique program of tests/techniques/ shares.
 *
 * Each program is one technique told to a student: it prints what every step
 * does to the heap, then checks for itself whether the attack won (a write
 * landed at the target, or malloc returned the target's address).  It talks
 * to arenalloc's prefixed build (arenalloc_malloc, arenalloc_free, ...), so
 * glibc's own malloc, which stdio uses, stays out of the way.
 *
 * The release: a program asks the library which glibc release it behaves as
 * (arenalloc_get_release: ARENALLOC_RELEASE=2.yy at start-up) and does what
 * an attacker facing that glibc would do: fill the tcache first where there
 * is one, encode pointers where safe-linking is on.  It trusts that answer,
 * as an exploit written for one libc does; if the library then behaves
 * otherwise, the technique fails, and that is worth knowing.
 *
 * Exit status:
 *   0  won: the check at the end found the write or the address.
 *   1  lost: the program ran to its end and the heap did not do what the
 *      technique expects.
 *   2  not at this release: what the technique abuses does not exist yet
 *      (the tcache before 2.26, safe-linking before 2.32).
 *   and when a check of the release stops the technique, arenalloc aborts
 *   with glibc's message on stderr (SIGABRT).
 *
 * tests/techniques/techniques.tsv says, per technique, which of these to
 * expect at which release; tests/test_techniques.c holds every program to it.
 */
#ifndef ARENALLOC_TECHNIQUES_TECHNIQUE_H
#define ARENALLOC_TECHNIQUES_TECHNIQUE_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arenalloc.h"

enum { TECHNIQUE_WON = 0, TECHNIQUE_LOST = 1, TECHNIQUE_NOT_HERE = 2 };

/* How many freed chunks a tcache bin holds (glibc's default tcache_count):
   the eighth free of one size goes past the cache, to the arena's bins. */
#define TCACHE_FILL 7

/* The glibc 2.x release this run stands for, as the library answers it:
   ARENALLOC_RELEASE=2.yy at start-up, else its build's release (2.36, or
   2.yy for make RELEASE=2.yy). */
static inline int release_minor(void) { return arenalloc_get_release(); }

/* glibc 2.26 added the per-thread cache; 2.32 encoded the links of the tcache
   and of the fastbins (safe-linking). */
static inline bool release_has_tcache(void) { return release_minor() >= 26; }
static inline bool release_has_safe_linking(void) { return release_minor() >= 32; }

/* Narration, on stdout: one line per step. */
static inline void say(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    putchar('\n');
    fflush(stdout);
}

/* The first line of every run: which technique, at which release. */
static inline void technique_begin(const char *name, const char *idea)
{
    say("== %s, as on glibc 2.%d ==", name, release_minor());
    say("%s", idea);
    say("");
}

/* The value to store in a tcache or fastbin link at `pos` so that the
   allocator reads `target` back: from 2.32 a link is stored XORed with its
   own address shifted right by 12 (glibc's PROTECT_PTR), before that plain. */
static inline uintptr_t protect_ptr(const void *pos, const void *target)
{
    uintptr_t plain = (uintptr_t)target;
    return release_has_safe_linking() ? ((uintptr_t)pos >> 12) ^ plain : plain;
}

/* A chunk's header sits 16 bytes before the pointer malloc returns: prev_size,
   then size with its three flag bits.  These give both words as arrays. */
static inline size_t *chunk_header(void *mem) { return (size_t *)((char *)mem - 2 * sizeof(size_t)); }
static inline size_t *size_field(void *mem) { return (size_t *)((char *)mem - sizeof(size_t)); }

/* Fills the tcache bin of `request`-sized chunks where the release has one,
   so that the next free of that size goes to the arena as on a release
   without the cache.  Allocate first (tcache_prepare), before the chunks the
   technique works on, so these do not sit between them; free later. */
static inline void tcache_prepare(void *slots[TCACHE_FILL], size_t request)
{
    for (int i = 0; i < TCACHE_FILL; i++)
        slots[i] = release_has_tcache() ? arenalloc_malloc(request) : NULL;
}
static inline void tcache_fill(void *slots[TCACHE_FILL])
{
    if (release_has_tcache())
        say("The tcache exists at this release: %d frees fill the bin, so the next one of this size "
            "goes to the arena's bins.", TCACHE_FILL);
    for (int i = 0; i < TCACHE_FILL; i++)
        arenalloc_free(slots[i]);
}
/* Takes the cached chunks back, so the next malloc of that size reaches the
   arena's bins. */
static inline void tcache_empty(size_t request)
{
    if (!release_has_tcache())
        return;
    say("Seven mallocs of that size empty its tcache bin; the next one reaches the arena.");
    for (int i = 0; i < TCACHE_FILL; i++)
        arenalloc_malloc(request);
}

/* The end of every run. */
static inline int technique_end(bool won, const char *what)
{
    say("");
    say("%s: %s", won ? "WON" : "LOST, this did not happen", what);
    return won ? TECHNIQUE_WON : TECHNIQUE_LOST;
}
static inline int technique_not_here(const char *why)
{
    say("NOT AT THIS RELEASE: %s", why);
    return TECHNIQUE_NOT_HERE;
}

#endif /* ARENALLOC_TECHNIQUES_TECHNIQUE_H */
