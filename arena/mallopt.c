/*
 * mallopt.c - mallopt: setting the tunable parameters at run time.
 *
 * The parameters live in mp_ (and global_max_fast for M_MXFAST).  Setting any of
 * the thresholds by hand turns off their dynamic adjustment (see
 * mmap_threshold_after_free): the user's choice wins from then on.
 */
#include "include/arenalloc.h"

#include <malloc.h>

#include "arena/arena.h"
#include "bins/fastbins.h"
#include "bins/int_malloc.h"

int arenalloc_mallopt(int param, int value)
{
    int res = 1; /* parameters it does not know are accepted and ignored, as by glibc */

    malloc_ensure_init();
    os_lock(&main_arena.mutex);
    /* Empty the fastbins first: changing M_MXFAST would strand chunks in bins
       that malloc no longer looks at. */
    malloc_consolidate(&main_arena);

    /* A negative int becomes a huge size_t, which the checks below refuse or
       which means "never", as in glibc. */
    switch (param) {
    case M_MXFAST:
        if ((size_t)value <= MAX_FAST_SIZE)
            set_max_fast((size_t)value);
        else
            res = 0;
        break;
    case M_TRIM_THRESHOLD:
        mp_.trim_threshold = (unsigned long)value;
        mp_.no_dyn_threshold = 1;
        break;
    case M_TOP_PAD:
        mp_.top_pad = (size_t)value;
        mp_.no_dyn_threshold = 1;
        break;
    case M_MMAP_THRESHOLD:
        mp_.mmap_threshold = (size_t)value;
        mp_.no_dyn_threshold = 1;
        break;
    case M_MMAP_MAX:
        mp_.n_mmaps_max = value;
        mp_.no_dyn_threshold = 1;
        break;
    case M_ARENA_TEST:
        if (value > 0)
            mp_.arena_test = (size_t)value;
        break;
    case M_ARENA_MAX:
        if (value > 0)
            mp_.arena_max = (size_t)value;
        break;
    }
    arena_unlock(&main_arena);
    return res;
}
