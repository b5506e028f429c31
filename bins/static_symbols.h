/*
 * static_symbols.h - why main_arena, mp_, global_max_fast, thread_arena, tcache
 * and __malloc_initialized are `static`, and how the library's other files
 * still reach them by those names.
 *
 * In glibc these six are static variables of malloc.c and arena.c, and the heap
 * tools people use on top of gdb (pwndbg, gef) look them up as such: gdb's
 * lookup_static_symbol("main_arena") finds only a variable defined `static`.
 * Under LD_PRELOAD with libc's debug symbols installed, libc.so.6 holds its own,
 * unused copies; were arenalloc's external, the tools would read libc's and
 * call the heap uninitialised.  Static here too, they are found in
 * libarenalloc.so first, since gdb searches the libraries in load order and a
 * preloaded library comes before libc.
 *
 * A static variable is seen by its own file only, so its owner also gives it a
 * second, hidden (never exported) name: STATIC_SYMBOL_ALIAS(main_arena) makes
 * "arenalloc_hidden_main_arena" an alias of the same bytes.  The header then
 * declares main_arena with that assembler name (STATIC_SYMBOL_NAME): every
 * other file writes main_arena and the linker sends it to the alias.  The owner
 * defines DEFINES_main_arena before its #includes, so that the header declares
 * the static one there instead:
 *
 *     #ifdef DEFINES_main_arena
 *     STATIC_SYMBOL struct malloc_state main_arena;
 *     #else
 *     extern struct malloc_state main_arena STATIC_SYMBOL_NAME(main_arena);
 *     #endif
 *
 * Aliases and assembler names are ELF's; elsewhere (the Windows build) the six
 * stay plain globals, and no debugger there looks for them.
 */
#ifndef ARENALLOC_BINS_STATIC_SYMBOLS_H
#define ARENALLOC_BINS_STATIC_SYMBOLS_H

#include "syscall/os.h"

#if defined(__ELF__)
#define STATIC_SYMBOL static
#define STATIC_SYMBOL_NAME(name) __asm__("arenalloc_hidden_" #name) __attribute__((visibility("hidden")))
#define STATIC_SYMBOL_ALIAS(name) \
    extern __typeof__(name) arenalloc_hidden_##name __attribute__((alias(#name), visibility("hidden")))
#define STATIC_SYMBOL_TLS_ALIAS(name) \
    extern OS_THREAD_LOCAL __typeof__(name) arenalloc_hidden_##name __attribute__((alias(#name), visibility("hidden")))
#else
#define STATIC_SYMBOL
#define STATIC_SYMBOL_NAME(name)
#define STATIC_SYMBOL_ALIAS(name) _Static_assert(1, #name)
#define STATIC_SYMBOL_TLS_ALIAS(name) _Static_assert(1, #name)
#endif

#endif /* ARENALLOC_BINS_STATIC_SYMBOLS_H */
