/*
 * main_arena.c - the main arena, the global parameters, and start-up.
 *
 * main_arena is a static struct malloc_state: it exists before the first malloc,
 * and its memory comes from brk.  ptmalloc_init runs once, at the first call into
 * the allocator: it sets up main_arena's bins, reads the settings (tunables.c), and
 * registers the fork and thread-exit hooks of arena.c.
 */

/* The owner of three of the static symbols (bins/static_symbols.h). */
#define DEFINES_main_arena
#define DEFINES_mp_
#define DEFINES___malloc_initialized
#include "arena/main_arena.h"

#include "arena/arena.h"
#include "arena/tcache_thread.h"
#include "arena/tunables.h"
#include "arena/usual_paths.h"
#include "bins/int_malloc.h"
#include "bins/malloc_par.h"

/* glibc's names, so a debugger's `p main_arena` and `p mp_` work as they do
   there; static as glibc's, with their hidden aliases for the other files.
   Each in a section of its own: the drop-in library's link (arena/dropin.ld)
   puts mp_ as far below main_arena as libc.so.6 has it. */
STATIC_SYMBOL __attribute__((section(".data.main_arena"))) struct malloc_state main_arena = {
    .mutex = OS_LOCK_INITIALIZER, .next = &main_arena, .attached_threads = 1};
STATIC_SYMBOL_ALIAS(main_arena);

STATIC_SYMBOL __attribute__((section(".data.mp_"))) struct malloc_par mp_ = {
    .top_pad = DEFAULT_TOP_PAD,
    .n_mmaps_max = DEFAULT_MMAP_MAX,
    .mmap_threshold = DEFAULT_MMAP_THRESHOLD,
    .trim_threshold = DEFAULT_TRIM_THRESHOLD,
    .arena_test = DEFAULT_ARENA_TEST,
    .tcache_count = TCACHE_FILL_COUNT,
    .tcache_bins = TCACHE_MAX_BINS,
    .tcache_max_bytes = MAX_TCACHE_SIZE,
    .tcache_unsorted_limit = 0, /* no limit */
};
STATIC_SYMBOL_ALIAS(mp_);

STATIC_SYMBOL atomic_bool __malloc_initialized;
STATIC_SYMBOL_ALIAS(__malloc_initialized);

char *main_segments[MAX_MAIN_SEGMENTS];
int main_nsegments;

void ptmalloc_init(void)
{
    static os_lock_t init_lock = OS_LOCK_INITIALIZER;
    bool first = false;

    os_lock(&init_lock);
    if (!atomic_load_explicit(&__malloc_initialized, memory_order_relaxed)) {
        tcache_key_initialize();
        malloc_init_state(&main_arena);
        thread_arena = &main_arena; /* the initialising thread is already attached */
        read_tunables();
        atomic_store_explicit(&__malloc_initialized, true, memory_order_release);
        update_usual_paths();
        first = true;
    }
    os_unlock(&init_lock);

    /* After the flag is set: registering may itself call malloc. */
    if (first) {
        arena_init_hooks();
        os_thread_exit_arm(); /* the initialising thread may not be the main one */
    }
}
