/*
 * stomp.h - the stomp mode: every allocation on pages of its own, against an
 * inaccessible guard page, so that an overflow, an underflow or a use after free
 * faults at the faulty instruction instead of corrupting a neighbour.
 *
 * The layout of a block in each mode, its cost and why freed blocks wait in a
 * quarantine are described at the top of stomp.c.  Switch it on with
 * ARENALLOC_STOMP=1 (or =overflow), or =underflow for the guard in front.
 *
 * The public entry points ask stomp_active() (malloc, calloc and free through
 * the flags of arena/usual_paths.h) and, when it is on, hand the request to the
 * functions below.  free, realloc and malloc_usable_size ask stomp_free /
 * stomp_usable_size whatever the mode: a block outlives a switch of the mode,
 * and those calls cost one load while no stomp block was ever made.
 */
#ifndef ARENALLOC_STOMP_STOMP_H
#define ARENALLOC_STOMP_STOMP_H

#include <stdbool.h>
#include <stddef.h>

#include "syscall/os.h"

enum stomp_mode { STOMP_OFF, STOMP_OVERFLOW, STOMP_UNDERFLOW };

/* Set once at start-up (stomp_read_env) or by the API call; read on every malloc. */
extern OS_HIDDEN enum stomp_mode stomp_mode;

static inline bool stomp_active(void) { return stomp_mode != STOMP_OFF; }

/* arenalloc_set_stomp's work: mode is one of ARENALLOC_STOMP_*.  Returns 0, or
   EINVAL for anything else. */
int stomp_set_mode(int mode);

/* Reads ARENALLOC_STOMP: 1 or overflow, underflow, 0 or off.  Anything else is
   ignored and the mode kept, as with every other setting.  Called by ptmalloc_init. */
void stomp_read_env(void);

/* A new block of `bytes` bytes, its pointer a multiple of `alignment` (0, or a
   power of two; below 16 means 16).  Laid out for the current mode (overflow when
   the mode is off).  Returns NULL with errno ENOMEM when the OS says no (EINVAL
   for an alignment that is not a power of two).  Its contents read as zero: the
   pages are fresh, so calloc need not clear them. */
void *stomp_malloc(size_t bytes, size_t alignment);

/* Set for good when the first stomp block is made.  Until then no pointer can
   be a stomp block, so the two questions below are answered inline, with one
   load and a branch that always goes the same way, on every free and realloc;
   only after that do they look the block up (stomp.c). */
extern OS_HIDDEN bool stomp_registry_used;
bool stomp_free_block(void *mem);
bool stomp_block_usable_size(void *mem, size_t *size);

/* Whether stomp mode has ever made a block (free must then ask each pointer). */
static inline bool stomp_blocks_exist(void) { return __atomic_load_n(&stomp_registry_used, __ATOMIC_ACQUIRE); }

/* Frees a stomp block: its pages become inaccessible and it waits in the
   quarantine.  Returns false, touching nothing, when mem is not a stomp block
   (the caller then frees it normally).  A second free of a block still in the
   quarantine aborts with "free(): invalid pointer".  Keeps errno. */
static inline bool stomp_free(void *mem) { return stomp_blocks_exist() && stomp_free_block(mem); }

/* When mem is a stomp block, stores its usable size in *size (0 once freed) and
   returns true; else returns false.  Never reads the block itself. */
static inline bool stomp_usable_size(void *mem, size_t *size)
{
    return __atomic_load_n(&stomp_registry_used, __ATOMIC_ACQUIRE) && stomp_block_usable_size(mem, size);
}

/* mem must be a live stomp block.  Moves it to a new block of `bytes` bytes (laid
   out for the current mode), copying what fits, and frees the old one.  As glibc's
   realloc: bytes 0 frees mem and returns NULL; on failure returns NULL with errno
   ENOMEM and mem is untouched.  A freed or unknown mem aborts with
   "realloc(): invalid pointer". */
void *stomp_realloc(void *mem, size_t bytes);

/* What the stomp allocator holds now (for tests and reports). */
struct stomp_stats {
    size_t live_blocks;        /* allocated and not freed */
    size_t quarantined_blocks; /* freed, inaccessible, still reserved */
    size_t quarantined_bytes;  /* address space the quarantine keeps reserved */
};
void stomp_get_stats(struct stomp_stats *stats);

/* Around fork(): the registry's lock must not be held by a thread that does not
   exist in the child.  Call from the allocator's fork handlers. */
void stomp_fork_prepare(void);
void stomp_fork_parent(void);
void stomp_fork_child(void);

#endif /* ARENALLOC_STOMP_STOMP_H */
