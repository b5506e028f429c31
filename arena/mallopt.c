/*
 * mallopt.c - mallopt: setting the tunable parameters at run time.
 *
 * The parameters live in mp_ (and global_max_fast for M_MXFAST, perturb_byte
 * for M_PERTURB).  Setting any of the thresholds by hand turns off their dynamic
 * adjustment (see mmap_threshold_after_free): the user's choice wins from then on.
 */
#include "include/arenalloc.h"

#include <errno.h>

#include "arena/arena.h"
#include "arena/main_arena.h"
#include "arena/tcache_thread.h"
#include "arena/tunables.h"
#include "arena/usual_paths.h"
#include "bins/checks.h"
#include "bins/fastbins.h"
#include "bins/int_malloc.h"
#include "bins/malloc_par.h"
#include "bins/perturb.h"
#include "stomp/stomp.h"

int perturb_byte;
bool fill_patterns;
bool perturbing_on;

static void update_perturbing(void) { perturbing_on = perturb_byte != 0 || fill_patterns; }

int set_malloc_param(int param, size_t value)
{
    switch (param) {
    case M_MXFAST:
        if (value > MAX_FAST_SIZE)
            return 0;
        set_max_fast(value);
        return 1;
    case M_TRIM_THRESHOLD:
        mp_.trim_threshold = value;
        break;
    case M_TOP_PAD:
        mp_.top_pad = value;
        break;
    case M_MMAP_THRESHOLD:
        mp_.mmap_threshold = value;
        break;
    case M_MMAP_MAX:
        mp_.n_mmaps_max = (int)value;
        break;
    case M_PERTURB:
        perturb_byte = (int)value;
        update_perturbing();
        return 1;
    case M_ARENA_TEST:
        mp_.arena_test = value;
        return 1;
    case M_ARENA_MAX:
        mp_.arena_max = value;
        return 1;
    default:
        /* M_CHECK_ACTION is accepted and has no effect, as in glibc 2.36 without
           its debugging library; unknown parameters are accepted too. */
        return 1;
    }
    mp_.no_dyn_threshold = 1;
    return 1;
}

int arenalloc_mallopt(int param, int value)
{
    /* A count of arenas must be positive; glibc ignores the rest. */
    if ((param == M_ARENA_TEST || param == M_ARENA_MAX) && value <= 0)
        return 1;

    malloc_ensure_init();
    os_lock(&main_arena.mutex);
    /* Empty the fastbins first: changing M_MXFAST would strand chunks in bins
       that malloc no longer looks at. */
    malloc_consolidate(&main_arena);
    int res = set_malloc_param(param, (size_t)(long)value);
    arena_unlock(&main_arena);
    return res;
}

int arenalloc_set_release(int glibc_minor)
{
    if (glibc_minor < RELEASE_OLDEST || glibc_minor > RELEASE_NEWEST)
        return EINVAL;
    malloc_ensure_init();

    /* Fastbin links are stored differently before 2.32 (no safe-linking): empty
       every fastbin, with every arena held, before the format changes; the
       calling thread's cache is re-linked in the new format. */
    mstate av = &main_arena;
    do {
        os_lock(&av->mutex);
        malloc_consolidate(av);
        av = av->next;
    } while (av != &main_arena);
    tcache_change_release(glibc_minor);
    update_usual_paths();
    do {
        os_unlock(&av->mutex);
        av = av->next;
    } while (av != &main_arena);
    return 0;
}

int arenalloc_set_checks(int glibc_minor)
{
    return arenalloc_set_release(glibc_minor);
}

int arenalloc_get_release(void)
{
    malloc_ensure_init(); /* ARENALLOC_RELEASE is read at start-up */
    return glibc_release;
}

/* Stomp mode is stomp/'s; whether malloc and free must ask it is arena/'s. */
int arenalloc_set_stomp(int mode)
{
    int err = stomp_set_mode(mode);
    update_usual_paths();
    return err;
}

void arenalloc_set_fill(int on)
{
    fill_patterns = on != 0;
    update_perturbing();
}
