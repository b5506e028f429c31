/*
 * tunables.c - the settings read from the environment at start-up.
 *
 * The same names as glibc, so one experiment's settings drive both allocators:
 *
 *   GLIBC_TUNABLES=glibc.malloc.NAME=VALUE:...   glibc's tunables; of the malloc
 *                                                namespace only, others ignored;
 *                                                tcache_count, tcache_max and
 *                                                tcache_unsorted_limit only here
 *   MALLOC_TOP_PAD_, MALLOC_PERTURB_, MALLOC_MMAP_THRESHOLD_, MALLOC_TRIM_THRESHOLD_,
 *   MALLOC_MMAP_MAX_, MALLOC_ARENA_MAX, MALLOC_ARENA_TEST, MALLOC_CHECK_
 *                                                the older names of the same
 *
 * GLIBC_TUNABLES is read after the older names, so it wins where both are set.
 * Values are numbers, decimal, 0x-hexadecimal or 0-octal, as glibc reads them; a
 * malformed or out-of-range value is ignored and the default kept, never an
 * error (glibc would take the digits before the junk).  Each value goes through the
 * same setter as mallopt (mallopt.c), so a threshold set here also stops the
 * threshold's dynamic adjustment.  arenalloc's own settings:
 *
 *   ARENALLOC_ARENA_POLICY=trylock|per-thread    how threads choose arenas
 *   ARENALLOC_FILL=1                             fill patterns (perturb.h)
 *   ARENALLOC_STOMP=1|overflow|underflow         guard pages (stomp.c)
 *   ARENALLOC_RELEASE=2.23 ... 2.36              behave as that glibc release
 *                                                (checks.h); ARENALLOC_CHECKS is
 *                                                its older name (RELEASE wins)
 *   ARENALLOC_HEAP_MAX_SIZE=1M|64M|BYTES         a thread arena's heap size and
 *                                                alignment (heap.h; 64M: glibc's)
 */
#include "arena/tunables.h"

#include <string.h>

#include "arena/arena.h"
#include "arena/heap.h"
#include "include/arenalloc.h" /* the M_* constants: <malloc.h>'s, or its own on Windows */

#include "arena/tcache_thread.h"
#include "bins/checks.h"
#include "bins/perturb.h"
#include "stomp/stomp.h"
#include "syscall/os.h"

/* A tunable: its name under glibc.malloc., its older alias, the mallopt
   parameter it sets, and its range.  The cache's three have no mallopt
   parameter (glibc has none either): their own setter instead. */
struct tunable {
    const char *name;
    const char *env_alias;
    int param;
    size_t min, max;
    bool (*set)(size_t value);
};

static bool set_tcache_unsorted_limit(size_t value)
{
    do_set_tcache_unsorted_limit(value);
    return true;
}

static const struct tunable tunables[] = {
    {"check", "MALLOC_CHECK_", M_CHECK_ACTION, 0, 3, NULL},
    {"top_pad", "MALLOC_TOP_PAD_", M_TOP_PAD, 0, SIZE_MAX, NULL},
    {"perturb", "MALLOC_PERTURB_", M_PERTURB, 0, 0xff, NULL},
    {"mmap_threshold", "MALLOC_MMAP_THRESHOLD_", M_MMAP_THRESHOLD, 0, SIZE_MAX, NULL},
    {"trim_threshold", "MALLOC_TRIM_THRESHOLD_", M_TRIM_THRESHOLD, 0, SIZE_MAX, NULL},
    {"mmap_max", "MALLOC_MMAP_MAX_", M_MMAP_MAX, 0, INT32_MAX, NULL},
    {"arena_max", "MALLOC_ARENA_MAX", M_ARENA_MAX, 1, SIZE_MAX, NULL},
    {"arena_test", "MALLOC_ARENA_TEST", M_ARENA_TEST, 1, SIZE_MAX, NULL},
    {"mxfast", NULL, M_MXFAST, 0, SIZE_MAX, NULL},
    {"tcache_max", NULL, 0, 0, SIZE_MAX, do_set_tcache_max},
    {"tcache_count", NULL, 0, 0, SIZE_MAX, do_set_tcache_count},
    {"tcache_unsorted_limit", NULL, 0, 0, SIZE_MAX, set_tcache_unsorted_limit},
};
#define NTUNABLES (sizeof tunables / sizeof tunables[0])

/* Parses a whole number from [s, end) as glibc reads tunables: hexadecimal
   after 0x, octal after a leading 0, else decimal.  Returns false for anything
   else, or on overflow. */
static bool parse_size(const char *s, const char *end, size_t *out)
{
    unsigned base = 10;
    if (end - s > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        base = 16;
        s += 2;
    } else if (end - s > 1 && s[0] == '0') {
        base = 8;
        s += 1;
    }
    if (s == end)
        return false;
    size_t n = 0;
    for (; s < end; s++) {
        unsigned d;
        if (*s >= '0' && *s <= '9' && (unsigned)(*s - '0') < base)
            d = (unsigned)(*s - '0');
        else if (base == 16 && (*s | 0x20) >= 'a' && (*s | 0x20) <= 'f')
            d = (unsigned)((*s | 0x20) - 'a' + 10);
        else
            return false;
        if (n > (SIZE_MAX - d) / base)
            return false;
        n = n * base + d;
    }
    *out = n;
    return true;
}

/* Applies `value` (the text [value, end)) to tunable t if it is well formed and
   in range. */
static void apply(const struct tunable *t, const char *value, const char *end)
{
    size_t n;
    if (!parse_size(value, end, &n) || n < t->min || n > t->max)
        return;
    if (t->set != NULL)
        t->set(n);
    else
        set_malloc_param(t->param, n);
}

/* One NAME=VALUE item of GLIBC_TUNABLES, [item, end). */
static void apply_tunable_item(const char *item, const char *end)
{
    static const char prefix[] = "glibc.malloc.";
    const char *eq = memchr(item, '=', (size_t)(end - item));
    if (eq == NULL || (size_t)(eq - item) <= sizeof prefix - 1 || memcmp(item, prefix, sizeof prefix - 1) != 0)
        return;
    const char *name = item + sizeof prefix - 1;
    for (size_t i = 0; i < NTUNABLES; i++) {
        if (strlen(tunables[i].name) == (size_t)(eq - name) && memcmp(name, tunables[i].name, (size_t)(eq - name)) == 0) {
            apply(&tunables[i], eq + 1, end);
            return;
        }
    }
}

static void read_glibc_tunables(void)
{
    const char *s = os_getenv("GLIBC_TUNABLES");
    while (s != NULL && *s != '\0') {
        const char *end = strchr(s, ':');
        if (end == NULL)
            end = s + strlen(s);
        apply_tunable_item(s, end);
        s = *end == ':' ? end + 1 : end;
    }
}

/* ARENALLOC_RELEASE=2.yy (or its older name): the release to behave as.
   Nothing is allocated yet, so there is no cache to convert. */
static void read_release(const char *variable)
{
    const char *v = os_getenv(variable);
    size_t minor;
    if (v != NULL && strncmp(v, "2.", 2) == 0 && parse_size(v + 2, v + strlen(v), &minor) &&
        minor >= RELEASE_OLDEST && minor <= RELEASE_NEWEST)
        glibc_release = (int)minor;
}

void read_tunables(void)
{
    for (size_t i = 0; i < NTUNABLES; i++) {
        const char *v = tunables[i].env_alias != NULL ? os_getenv(tunables[i].env_alias) : NULL;
        if (v != NULL)
            apply(&tunables[i], v, v + strlen(v));
    }
    read_glibc_tunables();
    stomp_read_env();

    const char *policy = os_getenv("ARENALLOC_ARENA_POLICY");
    if (policy != NULL && strcmp(policy, "per-thread") == 0)
        arena_policy = ARENA_POLICY_PER_THREAD;
    read_release("ARENALLOC_CHECKS");
    read_release("ARENALLOC_RELEASE");
    const char *heap = os_getenv("ARENALLOC_HEAP_MAX_SIZE");
    if (heap != NULL) {
        size_t len = strlen(heap), unit = 1, bytes;
        if (len > 0 && heap[len - 1] == 'M') {
            unit = 1024 * 1024;
            len--;
        }
        if (parse_size(heap, heap + len, &bytes) && bytes <= SIZE_MAX / unit)
            set_heap_max_size(bytes * unit); /* a size it refuses leaves the default */
    }
    const char *fill = os_getenv("ARENALLOC_FILL");
    if (fill != NULL && strcmp(fill, "1") == 0)
        arenalloc_set_fill(1);
}
