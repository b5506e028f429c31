/*
 * malloc_printerr.h - what happens when the heap is found corrupted.
 *
 * Every function of arenalloc reports ordinary failure (no memory, bad argument)
 * by its return value and errno.  A corrupted heap is different: a chunk header or
 * a list link that cannot be right means someone wrote where they should not, and
 * carrying on would hand out memory twice.  Like glibc, arenalloc then prints one
 * line naming the check that failed (the same words as glibc, so a message found
 * in a how2heap write-up or a bug report matches) and aborts.
 */
#ifndef ARENALLOC_BINS_MALLOC_PRINTERR_H
#define ARENALLOC_BINS_MALLOC_PRINTERR_H

_Noreturn void malloc_printerr(const char *str);

/* One of glibc's assert()s in malloc failed: print it as the release in force
   printed it (`prog: malloc.c:LINE: FUNCTION: Assertion `EXPR' failed.` up to
   2.35, `Fatal glibc error: malloc assertion failure in FUNCTION: EXPR` in
   2.36) and abort.  `line` is where that release's malloc.c has it. */
_Noreturn void malloc_assert(const char *function, unsigned line, const char *assertion);

#endif /* ARENALLOC_BINS_MALLOC_PRINTERR_H */
