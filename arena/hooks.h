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
 * Reading it costs the hot path one load and one branch never taken.
 */
#ifndef ARENALLOC_ARENA_HOOKS_H
#define ARENALLOC_ARENA_HOOKS_H

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

/* Each returns the hook to call instead of the function, or NULL: always NULL
   from 2.34, whatever the program stored. */
static inline malloc_hook_fn malloc_hook(void)
{
    malloc_hook_fn hook = arenalloc_malloc_hook;
    return __builtin_expect(hook != NULL, 0) && !release_since(34) ? hook : NULL;
}
static inline free_hook_fn free_hook(void)
{
    free_hook_fn hook = arenalloc_free_hook;
    return __builtin_expect(hook != NULL, 0) && !release_since(34) ? hook : NULL;
}
static inline realloc_hook_fn realloc_hook(void)
{
    realloc_hook_fn hook = arenalloc_realloc_hook;
    return __builtin_expect(hook != NULL, 0) && !release_since(34) ? hook : NULL;
}
static inline memalign_hook_fn memalign_hook(void)
{
    memalign_hook_fn hook = arenalloc_memalign_hook;
    return __builtin_expect(hook != NULL, 0) && !release_since(34) ? hook : NULL;
}

/* The caller's address, which glibc hands every hook (RETURN_ADDRESS(0)). */
#define HOOK_CALLER() __builtin_return_address(0)

#endif /* ARENALLOC_ARENA_HOOKS_H */
