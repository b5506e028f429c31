/*
 * brk_emulated.c - os_morecore for the prefixed build: a brk of our own.
 *
 * The main arena grows one contiguous heap through os_morecore, as glibc's
 * main_arena grows through sbrk.  The prefixed build shares its process with
 * glibc's malloc, which already owns the real program break: if both moved it,
 * each would find the other's memory inside what it believes is its own heap.
 * So this build keeps a break of its own, inside one large reservation:
 *
 *    base                brk      committed_end                    limit
 *      |<--- the heap --->|<-spare->|<------ reserved, faults ------>|
 *      |<- committed, read-write -->|
 *
 * The reservation costs address space only, so it is made large (64 GiB) and
 * once, on first use; pages are committed as the break passes them and
 * decommitted as it falls back.  Only os.h functions are used, so the same file
 * serves every OS (on Windows it is the only brk there is).
 *
 * Thread safety: none needed.  The only caller is the main arena's code, which
 * holds main_arena's lock, so one thread at a time is here.
 */
#include "syscall/os.h"

/* Where a 64 GiB reservation fails (a ulimit -v, valgrind, a small address
   space), smaller ones are tried, halving down to the smallest. */
#if SIZE_MAX > UINT32_MAX
static const size_t largest_region = (size_t)64 << 30;
static const size_t smallest_region = (size_t)1 << 30;
#else
/* A 32-bit process has 4 GiB of addresses in all, most of them spoken for. */
static const size_t largest_region = (size_t)1 << 30;
static const size_t smallest_region = (size_t)64 << 20;
#endif

/* Invariants: base <= brk <= committed_end <= limit, and committed_end is brk
   rounded up to a page: exactly the pages holding part of the heap are committed. */
static struct {
    char *base;          /* start of the reservation; the break never goes below */
    char *brk;           /* the end of the heap: what os_morecore(0) returns */
    char *committed_end; /* end of the committed pages */
    char *limit;         /* end of the reservation; the break never goes above */
} region;

static inline char *page_end(char *p)
{
    return (char *)align_up((uintptr_t)p, os_page_size());
}

static bool reserve_region(void)
{
    for (size_t size = largest_region; size >= smallest_region; size /= 2) {
        char *base = os_reserve(size);
        if (base != NULL) {
            region.base = region.brk = region.committed_end = base;
            region.limit = base + size;
            return true;
        }
    }
    return false;
}

static void *grow(size_t amount)
{
    char *old_brk = region.brk;
    if (amount > (size_t)(region.limit - old_brk))
        return NULL;
    char *new_brk = old_brk + amount;
    char *new_committed_end = page_end(new_brk); /* <= limit: limit is page aligned */
    if (new_committed_end > region.committed_end) {
        if (!os_commit(region.committed_end, (size_t)(new_committed_end - region.committed_end)))
            return NULL;
        region.committed_end = new_committed_end;
    }
    region.brk = new_brk;
    return old_brk;
}

/* Like the kernel's brk, only whole pages are given back: the bytes between the
   new break and the end of its page keep their contents, while every page handed
   out again later reads as zero (OS_MORECORE_CLEARS).  If the pages cannot be
   given back the break stays where it was and NULL says so; a caller learns how
   far the break really moved by asking for it again, as glibc's systrim does. */
static void *shrink(size_t amount)
{
    char *old_brk = region.brk;
    if (amount > (size_t)(old_brk - region.base))
        return NULL;
    char *new_brk = old_brk - amount;
    char *new_committed_end = page_end(new_brk);
    if (new_committed_end < region.committed_end) {
        if (!os_decommit(new_committed_end, (size_t)(region.committed_end - new_committed_end)))
            return NULL;
        region.committed_end = new_committed_end;
    }
    region.brk = new_brk;
    return old_brk;
}

void *os_morecore(intptr_t increment)
{
    if (region.base == NULL && !reserve_region())
        return NULL;
    if (increment >= 0)
        return grow((size_t)increment);
    /* The size of a negative increment, computed unsigned: -INTPTR_MIN overflows. */
    return shrink((size_t)0 - (size_t)increment);
}
