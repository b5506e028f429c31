/*
 * hooks.h - glibc's malloc hooks, honoured before glibc 2.34.
 *
 * Until 2.34 a program could take over malloc by storing a function in
 * __malloc_hook, __free_hook, __realloc_hook or __memalign_hook: each entry
 * point called the hook instead of itself when one was set.  Debuggers of old
 * used them; so did exploits, since one write of a function's address into
 * __free_hook turns the next free(p) into a call of it with p.  glibc 2.34
 * removed them (the variables stayed for old binaries, and are never read).
 *
 * The drop-in library exports them under glibc's names, so a lab program
 * declares `extern void (*__free_hook)(void *, const void *);` and links with
 * libarenalloc.so; the prefixed library names them arenalloc_malloc_hook ...
 * (include/arenalloc.h).  The C name is the prefixed one in both builds: the
 * drop-in build only gives the same variables glibc's symbol names, so the
 * program's copy and the library's reads are one variable.
 *
 * As in glibc, a hook is read first of all, before the cache, the arguments'
 * checks and free(NULL)'s early return; the caller's address is passed along.
 * In the 2.36 profile the hot path pays a compare of the release and a branch
 * never taken (hooks_in_force).
 */
#ifndef ARENALLOC_ARENA_HOOKS_H
#define ARENALLOC_ARENA_HOOKS_H

#include <stdbool.h>
#include <stddef.h>

#include "bins/checks.h"

typedef void *(*malloc_hook_fn)(size_t size, const void *caller);
typedef void (*free_hook_fn)(void *mem, const void *caller);
typedef void *(*realloc_hook_fn)(void *mem, size_t size, const void *caller);
typedef void *(*memalign_hook_fn)(size_t alignment, size_t size, const void *caller);

#ifdef ARENALLOC_DROPIN
#define HOOK_SYMBOL(glibc_name) __asm__(glibc_name)
#else
#define HOOK_SYMBOL(glibc_name)
#endif

/* Visible to the program (ARENALLOC_API: default visibility), so its writes,
   possibly to a copy in the executable, are what the library reads. */
extern __attribute__((visibility("default"))) malloc_hook_fn arenalloc_malloc_hook HOOK_SYMBOL("__malloc_hook");
extern __attribute__((visibility("default"))) free_hook_fn arenalloc_free_hook HOOK_SYMBOL("__free_hook");
extern __attribute__((visibility("default"))) realloc_hook_fn arenalloc_realloc_hook HOOK_SYMBOL("__realloc_hook");
extern __attribute__((visibility("default"))) memalign_hook_fn arenalloc_memalign_hook HOOK_SYMBOL("__memalign_hook");

/* Whether the hooks are read at all: before 2.34.  The release is a variable
   of the library's own, read directly, where a hook is reached through the
   GOT (the program may hold the variable), so the 2.36 profile pays one
   compare and one branch never taken; malloc and free keep even the hooks'
   reading out of line (malloc.c). */
static inline bool hooks_in_force(void) { return __builtin_expect(!release_since(34), 0); }

/* The caller's address, which glibc hands every hook (RETURN_ADDRESS(0)). */
#define HOOK_CALLER() __builtin_return_address(0)

#endif /* ARENALLOC_ARENA_HOOKS_H */
