/*
 * stomp.c - the stomp mode: one allocation, its own pages, a guard page.
 *
 * What it is for.  A heap overflow in the ordinary allocator writes into the
 * next chunk's header or data, and the program dies later, somewhere else (or
 * never).  A use after free reads memory that has already been handed to
 * someone else.  In the stomp mode (ARENALLOC_STOMP=1) every allocation gets
 * pages of its own, placed so that the first byte past its end is the first byte
 * of an inaccessible guard page: the faulty write itself dies with SIGSEGV, and
 * gdb stops on the line that did it.  Freed pages become inaccessible too, so a
 * use after free faults as well.  This is the "stomp allocator" of game engines
 * (Unreal's, seeds/003_*), built here on syscall/'s reserve/commit vocabulary,
 * which maps to VirtualAlloc / VirtualProtect on Windows and to mmap/mprotect on
 * POSIX.
 *
 * The layout, with 4 KiB pages.  overflow (ARENALLOC_STOMP=1 or =overflow),
 * malloc(40):
 *
 *     base (os_reserve)                          guard
 *     |<------------- committed page ----------->|<--- guard page --->|
 *     [ never handed out, but writable  |  48    ][ inaccessible       ]
 *                                       ^p        ^p + 48: p[48] faults
 *
 *   The pointer must stay 16-byte aligned (the requested alignment for
 *   memalign), so the block is the request rounded up to that: here 48 bytes,
 *   and malloc_usable_size says 48 - exactly the distance to the guard: writing
 *   48 bytes works, the 49th faults.  A write a little before p lands in the
 *   writable start of the page and goes unnoticed: that is what the other mode
 *   is for.
 *
 * underflow (ARENALLOC_STOMP=underflow), malloc(40):
 *
 *     base                p
 *     |<-- guard page -->|<------------- committed page -------------->|
 *     [ inaccessible      ][ 40 asked for, 4096 usable                  ]
 *                        ^p[-1] faults
 *
 *   The block starts at the first byte after the guard (page aligned, so any
 *   alignment up to a page comes free).  Its usable size is the committed room
 *   to the end of its pages: the request rounded up to whole pages, here 4096,
 *   and an overflow inside that room is not caught.
 *
 *   An alignment above a page needs the block (overflow) or the guard's end
 *   (underflow) at a multiple of it: the reservation is made larger by
 *   alignment - page, and the spare part, never committed, stays reserved with
 *   the rest.  It is not trimmed, because Windows can only release a
 *   reservation whole.
 *
 *   malloc(0) gets a block of 0 usable bytes whose pointer touches the guard:
 *   in overflow mode p is the guard's first byte, in underflow mode the first
 *   byte of a reserved page after the guard that is never committed.  The
 *   pointer is unique, as C asks, and any access through it faults.
 *
 * The cost.  Every allocation takes at least one committed page plus one page
 * of address space for the guard (malloc(1) costs 4 KiB of memory), two
 * system calls to make and two to free, and on Linux two or three kernel
 * mappings (Linux allows about 65530 per process, so at most some tens of
 * thousands of live blocks).  A debugging mode, not one to run production in.
 *
 * Why a quarantine.  If free released the pages at once, the next allocation
 * could get the same addresses back, and a dangling pointer would read the new
 * block instead of faulting.  So free only decommits: the pages go back to the
 * OS, the addresses stay reserved and inaccessible.  The last QUARANTINE_BLOCKS
 * freed blocks (at most QUARANTINE_BYTES of address space) wait like that in a
 * FIFO; only the oldest, pushed out by newer ones, is released for reuse.  The
 * bound keeps a program that allocates in a loop from running out of address
 * space or kernel mappings.  A dangling pointer older than the quarantine is
 * not caught, unless nothing has been mapped at its address since.
 *
 * The registry.  free(p) must know whether p is a stomp block before it reads
 * p's chunk header - which, in underflow mode, would be in the guard page.  So
 * every stomp block, live or quarantined, is in a hash table keyed by its
 * pointer (open addressing, linear probing, in memory from os_map so it never
 * calls malloc), grown by rehashing when half full, behind one lock.  A pointer
 * the table does not know is not ours, and the caller frees it normally.
 */
#include "stomp/stomp.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "bins/chunk.h"
#include "bins/malloc_printerr.h"
#include "include/arenalloc.h"
#include "syscall/os.h"

enum stomp_mode stomp_mode = STOMP_OFF;

/* How many freed blocks wait, inaccessible, before their addresses are reused,
   and how much address space they may keep reserved together. */
enum { QUARANTINE_BLOCKS = 1024 };
static const size_t QUARANTINE_BYTES = (size_t)64 << 20;

/* The registry's first size, in entries (a power of two). */
enum { REGISTRY_FIRST_CAPACITY = 256 };

/* ---- sizes and addresses ---------------------------------------------------- */

static inline size_t max_size(size_t a, size_t b) { return a > b ? a : b; }

static inline size_t min_size(size_t a, size_t b) { return a < b ? a : b; }

/* One stomp block, as the registry remembers it. */
struct stomp_block {
    char *mem;         /* what malloc returned; NULL marks an empty slot */
    char *base;        /* what os_reserve returned: os_release needs it */
    size_t reserved;   /* bytes reserved at base, guard and alignment slack included */
    size_t usable;     /* malloc_usable_size */
    bool quarantined;  /* freed: inaccessible, waiting in the FIFO to be released */
};

/* A block's sizes, worked out before it has an address. */
struct stomp_plan {
    size_t alignment;   /* of mem: at least MALLOC_ALIGNMENT */
    size_t usable;      /* the block as the caller sees it */
    size_t commit_size; /* the pages made accessible: usable rounded up to pages */
    size_t reserved;    /* everything: slack + data pages + guard */
};

/* Works out the sizes of a block of `bytes` bytes.  False when no address space
   could hold it (glibc refuses above PTRDIFF_MAX too); below the limit checked
   here, the sums cannot overflow. */
static bool plan_block(size_t bytes, size_t alignment, enum stomp_mode mode, struct stomp_plan *plan)
{
    size_t page = os_page_size();
    if (bytes > PTRDIFF_MAX / 4 || alignment > PTRDIFF_MAX / 4)
        return false;
    plan->alignment = max_size(alignment, MALLOC_ALIGNMENT);
    /* Overflow mode pads only to the alignment, so the guard is exactly at the
       end; underflow mode gives the whole of its pages. */
    plan->usable = align_up(bytes, mode == STOMP_OVERFLOW ? plan->alignment : page);
    plan->commit_size = align_up(plan->usable, page);

    /* An alignment above a page cannot be had from os_reserve's page-aligned
       address without room to slide the block. */
    size_t slack = plan->alignment > page ? plan->alignment - page : 0;
    /* A 0-byte underflow block still needs an address after the guard that is
       ours: one reserved page, never committed. */
    size_t data_room = mode == STOMP_UNDERFLOW ? max_size(plan->commit_size, page) : plan->commit_size;
    plan->reserved = slack + data_room + page;
    return true;
}

/* Places a planned block in the reservation at base: fills in b and returns the
   start of the pages to commit.  It stays inside the reservation: aligning moves
   the guard (overflow) or the block (underflow) at most alignment - page bytes up
   from its lowest place, the slack plan_block reserved. */
static char *place_block(char *base, const struct stomp_plan *plan, enum stomp_mode mode, struct stomp_block *b)
{
    size_t page = os_page_size();
    /* The guard (overflow) or the block (underflow) starts on a multiple of
       step: a page boundary, and aligned as asked.  In overflow mode mem is then
       aligned too, since usable is a multiple of the alignment. */
    size_t step = max_size(plan->alignment, page);
    char *commit;

    if (mode == STOMP_OVERFLOW) {
        char *guard = (char *)align_up((uintptr_t)(base + plan->commit_size), step);
        commit = guard - plan->commit_size;
        b->mem = guard - plan->usable;
    } else {
        b->mem = (char *)align_up((uintptr_t)(base + page), step);
        commit = b->mem;
    }
    b->base = base;
    b->reserved = plan->reserved;
    b->usable = plan->usable;
    b->quarantined = false;
    return commit;
}

/* ---- the registry: pointer -> block, open addressing -------------------------- */

static struct {
    os_lock_t lock;
    struct stomp_block *slots; /* capacity entries, in memory from os_map */
    size_t capacity;           /* a power of two; 0 before the first block */
    unsigned log2_capacity;
    size_t count;              /* slots in use: live and quarantined blocks */
    size_t live;
} registry = {.lock = OS_LOCK_INITIALIZER};

/* Set, for good, when the first block enters the registry (stomp.h). */
bool stomp_registry_used;

enum { NOT_FOUND = -1 };

/* Fibonacci hashing: multiply by 2^64 / golden ratio and keep the top bits.  The
   low bits of a block pointer say little (they are 0 in underflow mode); the
   multiplication mixes every bit of the pointer into the top ones. */
static inline size_t home_slot(const char *mem, unsigned log2_capacity)
{
    uint64_t h = (uint64_t)(uintptr_t)mem * UINT64_C(0x9E3779B97F4A7C15);
    return (size_t)(h >> (64 - log2_capacity));
}

/* The slot holding mem, or NOT_FOUND.  Linear probing: an entry lies at its home
   slot or after it, with no empty slot in between, so the first empty slot ends
   the search.  The caller holds the lock. */
static ptrdiff_t registry_find(const void *mem)
{
    if (registry.capacity == 0)
        return NOT_FOUND;
    size_t mask = registry.capacity - 1;
    for (size_t i = home_slot(mem, registry.log2_capacity);; i = (i + 1) & mask) {
        if (registry.slots[i].mem == mem)
            return (ptrdiff_t)i;
        if (registry.slots[i].mem == NULL)
            return NOT_FOUND;
    }
}

/* Puts b in the first empty slot from its home on.  There is one: the table is
   never more than half full. */
static void registry_put(struct stomp_block *slots, size_t capacity, unsigned log2_capacity,
                         const struct stomp_block *b)
{
    size_t i = home_slot(b->mem, log2_capacity);
    while (slots[i].mem != NULL)
        i = (i + 1) & (capacity - 1);
    slots[i] = *b;
}

static inline size_t table_bytes(size_t capacity)
{
    return align_up(capacity * sizeof(struct stomp_block), os_page_size());
}

/* Doubles the table, rehashing every entry into the new one: an entry's home
   depends on the capacity.  False when the OS has no memory for it. */
static bool registry_grow(void)
{
    size_t capacity = registry.capacity == 0 ? REGISTRY_FIRST_CAPACITY : 2 * registry.capacity;
    unsigned log2_capacity = 0;
    while (((size_t)1 << log2_capacity) < capacity)
        log2_capacity++;

    struct stomp_block *slots = os_map(table_bytes(capacity)); /* zeroed: all slots empty */
    if (slots == NULL)
        return false;
    for (size_t i = 0; i < registry.capacity; i++)
        if (registry.slots[i].mem != NULL)
            registry_put(slots, capacity, log2_capacity, &registry.slots[i]);

    if (registry.slots != NULL)
        os_release(registry.slots, table_bytes(registry.capacity));
    registry.slots = slots;
    registry.capacity = capacity;
    registry.log2_capacity = log2_capacity;
    return true;
}

/* Adds a new live block.  The caller holds the lock.  False when the table
   needed to grow and could not. */
static bool registry_add(const struct stomp_block *b)
{
    /* At most half full keeps the probe sequences short. */
    if (2 * (registry.count + 1) > registry.capacity && !registry_grow())
        return false;
    registry_put(registry.slots, registry.capacity, registry.log2_capacity, b);
    registry.count++;
    registry.live++;
    __atomic_store_n(&stomp_registry_used, true, __ATOMIC_RELEASE);
    return true;
}

/* Empties slot `hole`.  Linear probing cannot simply clear it: an entry further
   on that probed past the hole would then be cut off from its home by an empty
   slot.  So the entries after the hole move back into it, each one only if that
   does not put it before its home, until an empty slot ends the run ("backward
   shift deletion"; no tombstones needed). */
static void registry_remove_at(size_t hole)
{
    size_t mask = registry.capacity - 1;
    for (size_t j = (hole + 1) & mask; registry.slots[j].mem != NULL; j = (j + 1) & mask) {
        size_t home = home_slot(registry.slots[j].mem, registry.log2_capacity);
        size_t from_home = (j - home) & mask; /* how far j already is from its home */
        size_t from_hole = (j - hole) & mask; /* how far back the hole is */
        if (from_hole <= from_home) {
            registry.slots[hole] = registry.slots[j];
            hole = j;
        }
    }
    registry.slots[hole].mem = NULL;
    registry.count--;
}

/* Removes the block at slot i from the registry and gives its addresses back. */
static void release_block_at(size_t i)
{
    struct stomp_block b = registry.slots[i]; /* a copy: the slot is reused below */
    registry_remove_at(i);
    os_release(b.base, b.reserved);
}

/* ---- the quarantine: a FIFO of freed blocks ------------------------------------ */

static struct {
    char *mem[QUARANTINE_BLOCKS]; /* a ring: the oldest at head */
    size_t head, count;
    size_t bytes;                 /* address space reserved by the blocks in it */
} quarantine;

/* Releases the oldest block of the quarantine.  The caller holds the lock. */
static void quarantine_release_oldest(void)
{
    char *mem = quarantine.mem[quarantine.head];
    quarantine.head = (quarantine.head + 1) % QUARANTINE_BLOCKS;
    quarantine.count--;

    ptrdiff_t i = registry_find(mem);
    quarantine.bytes -= registry.slots[i].reserved;
    release_block_at((size_t)i);
}

/* Adds a freed block, already inaccessible, to the quarantine, and releases the
   oldest ones while it is over either bound - the new one too, if it alone
   reserves more than QUARANTINE_BYTES. */
static void quarantine_add(char *mem, size_t reserved)
{
    if (quarantine.count == QUARANTINE_BLOCKS)
        quarantine_release_oldest();
    quarantine.mem[(quarantine.head + quarantine.count) % QUARANTINE_BLOCKS] = mem;
    quarantine.count++;
    quarantine.bytes += reserved;
    while (quarantine.bytes > QUARANTINE_BYTES)
        quarantine_release_oldest();
}

/* ---- the entry points ---------------------------------------------------------- */

/* Reserves, commits and registers a planned block.  Returns its pointer, or NULL
   when the OS said no (nothing is left behind then). */
static void *make_block(const struct stomp_plan *plan, enum stomp_mode mode)
{
    char *base = os_reserve(plan->reserved);
    if (base == NULL)
        return NULL;
    struct stomp_block b;
    char *commit = place_block(base, plan, mode, &b);
    if (plan->commit_size != 0 && !os_commit(commit, plan->commit_size)) {
        os_release(base, plan->reserved);
        return NULL;
    }

    os_lock(&registry.lock);
    bool added = registry_add(&b);
    os_unlock(&registry.lock);
    if (!added) {
        os_release(base, plan->reserved);
        return NULL;
    }
    return b.mem;
}

void *stomp_malloc(size_t bytes, size_t alignment)
{
    enum stomp_mode mode = stomp_mode == STOMP_UNDERFLOW ? STOMP_UNDERFLOW : STOMP_OVERFLOW;
    if (alignment & (alignment - 1)) { /* the caller normalises; refuse rather than misplace */
        errno = EINVAL;
        return NULL;
    }
    struct stomp_plan plan;
    void *mem = plan_block(bytes, alignment, mode, &plan) ? make_block(&plan, mode) : NULL;
    if (mem == NULL)
        errno = ENOMEM; /* not whatever mmap said */
    return mem;
}

bool stomp_free_block(void *mem)
{
    if (mem == NULL || !__atomic_load_n(&stomp_registry_used, __ATOMIC_ACQUIRE))
        return false;
    int saved_errno = errno; /* free() keeps errno, and a failed mmap sets it */

    os_lock(&registry.lock);
    ptrdiff_t i = registry_find(mem);
    if (i == NOT_FOUND) {
        os_unlock(&registry.lock);
        return false;
    }
    struct stomp_block *b = &registry.slots[i];
    if (b->quarantined) {
        os_unlock(&registry.lock);
        malloc_printerr("free(): invalid pointer");
    }
    registry.live--;
    /* The whole reservation, guard included: one inaccessible range afterwards
       (one kernel mapping instead of two or three). */
    if (os_decommit(b->base, b->reserved)) {
        b->quarantined = true;
        quarantine_add(b->mem, b->reserved); /* may move slots: b is not used after */
    } else {
        /* The pages stay accessible: better let the addresses go at once than
           keep readable memory that looks freed. */
        release_block_at((size_t)i);
    }
    os_unlock(&registry.lock);
    errno = saved_errno;
    return true;
}

/* Looks mem up and copies its entry to *b.  False when mem is not a stomp block. */
static bool find_block(void *mem, struct stomp_block *b)
{
    if (mem == NULL || !__atomic_load_n(&stomp_registry_used, __ATOMIC_ACQUIRE))
        return false;
    os_lock(&registry.lock);
    ptrdiff_t i = registry_find(mem);
    if (i != NOT_FOUND)
        *b = registry.slots[i];
    os_unlock(&registry.lock);
    return i != NOT_FOUND;
}

bool stomp_block_usable_size(void *mem, size_t *size)
{
    struct stomp_block b;
    if (!find_block(mem, &b))
        return false;
    *size = b.quarantined ? 0 : b.usable; /* glibc says 0 for a freed chunk */
    return true;
}

void *stomp_realloc(void *mem, size_t bytes)
{
    struct stomp_block old;
    if (!find_block(mem, &old) || old.quarantined)
        malloc_printerr("realloc(): invalid pointer");
    if (bytes == 0) { /* glibc: realloc(p, 0) frees p */
        stomp_free(mem);
        return NULL;
    }
    /* Never in place, even when it would fit: a new block puts the guard right
       after the new size, and leaves the old addresses faulting for anyone who
       kept a pointer to them. */
    void *new_mem = stomp_malloc(bytes, 0);
    if (new_mem == NULL)
        return NULL;
    memcpy(new_mem, mem, min_size(old.usable, bytes));
    stomp_free(mem);
    return new_mem;
}

void stomp_read_env(void)
{
    const char *value = os_getenv("ARENALLOC_STOMP");
    if (value == NULL)
        return;
    if (strcmp(value, "1") == 0 || strcmp(value, "overflow") == 0)
        stomp_mode = STOMP_OVERFLOW;
    else if (strcmp(value, "underflow") == 0)
        stomp_mode = STOMP_UNDERFLOW;
    else if (strcmp(value, "0") == 0 || strcmp(value, "off") == 0)
        stomp_mode = STOMP_OFF;
}

void stomp_get_stats(struct stomp_stats *stats)
{
    os_lock(&registry.lock);
    stats->live_blocks = registry.live;
    stats->quarantined_blocks = quarantine.count;
    stats->quarantined_bytes = quarantine.bytes;
    os_unlock(&registry.lock);
}

void stomp_fork_prepare(void) { os_lock(&registry.lock); }

void stomp_fork_parent(void) { os_unlock(&registry.lock); }

/* The child has one thread, the one that forked and holds the lock. */
void stomp_fork_child(void) { os_lock_init(&registry.lock); }

int stomp_set_mode(int mode)
{
    switch (mode) {
    case ARENALLOC_STOMP_OFF: stomp_mode = STOMP_OFF; return 0;
    case ARENALLOC_STOMP_OVERFLOW: stomp_mode = STOMP_OVERFLOW; return 0;
    case ARENALLOC_STOMP_UNDERFLOW: stomp_mode = STOMP_UNDERFLOW; return 0;
    default: return EINVAL;
    }
}
